#!/usr/bin/env python3
"""Normalised message flow of a baresip SIP trace (`baresip -s` output).

    flow.py [--headers] [--sdp] OUT

One line per SIP message, in trace order, in the format of
sip-scenarios/flow.py (which this reuses):

    >> INVITE (INVITE)            sent by baresip: method (CSeq method)
    << 401 Unauthorized (INVITE)  received by baresip: status, reason (CSeq method)

baresip's own address is the source of the first traced message (its first
REGISTER). --headers and --sdp add what they add in sip-scenarios/flow.py.

Retransmissions are left out: a message with the same direction, start line,
top Via and CSeq as an earlier one is a copy of it (a UDP retransmission,
whose count depends on timing), not a step of the flow.

Exit status 1 if the output holds no SIP message.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import flow  # noqa: E402  (sip-scenarios/flow.py)

# baresip prints each traced message in colour: ESC[36;1m "#", a line
# "<transport> <src> -> <dst>", the message verbatim, then ESC[;m.
BLOCK = re.compile(r"\x1b\[36;1m#\r?\n(\w+) (\S+) -> (\S+)\r?\n(.*?)\x1b\[;m", re.S)


def messages(text):
    """(direction, message text) for every traced SIP message."""
    local = None
    for m in BLOCK.finditer(text):
        src, msg = m.group(2), m.group(4)
        if local is None:
            local = src
        yield (">>" if src == local else "<<"), msg


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    opts = {a for a in argv if a.startswith("--")}
    if opts - {"--headers", "--sdp"} or len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = []
    seen = set()
    for direction, msg in messages(text):
        line, start, headers, body = flow.describe(direction, msg, "--sdp" in opts)
        key = (direction, start, flow.header(headers, "via"), flow.header(headers, "cseq"))
        if key in seen:
            continue
        seen.add(key)
        out.append(line)
        if "--headers" in opts:
            out += ["    " + n for n, _ in headers]
            if body.strip():
                out.append("    -- " + (flow.header(headers, "content-type") or "?"))
    sys.stdout.write("".join(l + "\n" for l in out))
    return 0 if out else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
