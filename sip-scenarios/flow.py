#!/usr/bin/env python3
"""Normalised message flow of a SIPp -trace_msg log.

    flow.py [--headers] [--sdp] [--by-call] LOG...

One line per SIP message, in log order:

    >> INVITE (INVITE)            sent by SIPp: request method (CSeq method)
    << 100 Trying (INVITE)        received by SIPp: status code, reason (CSeq method)

--headers  after each message line, one line per header in message order:
           four spaces and the header NAME as written on the wire (case and
           compact forms kept), then, if the message has a body, "    --
           <Content-Type>" (values are not printed: they vary between runs).
--sdp      append " [sdp DIR]" to the line of every message with an SDP body,
           DIR = its a=sendrecv/sendonly/recvonly/inactive attribute ("-" if
           it has none): shows hold/unhold offers and answers.
--by-call  group the messages by Call-ID (in order of first appearance),
           each group headed by "call N:" (N = 1, 2, ... in that order), for
           logs of several calls (-m > 1), where the interleaving of calls
           depends on timing.

Several LOG files are read one after the other. Exit status 1 if a log holds
no SIP message.
"""
import re
import sys

# A -trace_msg entry starts with a line of dashes and a timestamp, then e.g.
#   UDP message sent (557 bytes):
#   UDP message received [284] bytes :
ENTRY = re.compile(r"^-{20,} .*$", re.M)
KIND = re.compile(r"^\s*(\w+) message (sent|received)\b.*?:\s*$", re.M)


def entries(text):
    """(direction, message text) for every SIP message in the log."""
    parts = ENTRY.split(text)
    for part in parts:
        m = KIND.search(part)
        if not m:
            continue
        direction = ">>" if m.group(2) == "sent" else "<<"
        body = part[m.end():].lstrip("\r\n")
        if body.strip():
            yield direction, body


def parse(msg):
    """(first line, [(name, value)], body) of a SIP message."""
    msg = msg.replace("\r\n", "\n")
    head, _, body = msg.partition("\n\n")
    lines = head.split("\n")
    start = lines[0].strip()
    headers = []
    for line in lines[1:]:
        if not line.strip():
            continue
        if line[0] in " \t" and headers:  # folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return start, headers, body


COMPACT = {"i": "call-id", "f": "from", "t": "to", "v": "via", "m": "contact",
           "l": "content-length", "c": "content-type", "k": "supported",
           "e": "content-encoding", "s": "subject"}


def header(headers, name):
    for n, v in headers:
        low = n.lower()
        if low == name or COMPACT.get(low) == name:
            return v
    return ""


DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def sdp_direction(headers, body):
    """' [sdp DIR]' for an SDP body, '' otherwise."""
    if "sdp" not in header(headers, "content-type").lower() or not body.strip():
        return ""
    found = "-"
    for line in body.replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line.startswith("a=") and line[2:] in DIRECTIONS:
            found = line[2:]
    return " [sdp %s]" % found


def describe(direction, msg, with_sdp=False):
    start, headers, body = parse(msg)
    if start.startswith("SIP/2.0 "):
        what = start[len("SIP/2.0 "):]          # "100 Trying"
    else:
        what = start.split(" ", 1)[0]           # "INVITE"
    cseq = header(headers, "cseq").split()
    method = cseq[1] if len(cseq) > 1 else "?"
    line = "%s %s (%s)" % (direction, what, method)
    if with_sdp:
        line += sdp_direction(headers, body)
    return line, start, headers, body


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    opts = {a for a in argv if a.startswith("--")}
    unknown = opts - {"--headers", "--by-call", "--sdp"}
    if unknown or not args:
        sys.stderr.write(__doc__)
        return 2
    show_headers = "--headers" in opts
    by_call = "--by-call" in opts
    calls = {}      # call-id -> list of output lines
    order = []
    out = []
    count = 0
    for path in args:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for direction, msg in entries(text):
            count += 1
            line, start, headers, body = describe(direction, msg, "--sdp" in opts)
            lines = [line]
            if show_headers:
                lines += ["    " + n for n, _ in headers]
                if body.strip():
                    lines.append("    -- " + (header(headers, "content-type") or "?"))
            if by_call:
                cid = header(headers, "call-id")
                if cid not in calls:
                    calls[cid] = []
                    order.append(cid)
                calls[cid] += lines
            else:
                out += lines
    if by_call:
        for n, cid in enumerate(order, 1):
            out.append("call %d:" % n)
            out += ["  " + l for l in calls[cid]]
    sys.stdout.write("".join(l + "\n" for l in out))
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
