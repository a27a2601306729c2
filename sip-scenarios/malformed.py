#!/usr/bin/env python3
"""Sends malformed (and a few unusual but valid) SIP datagrams to a server
and prints, per case, what came back: the status lines of the responses
(retransmissions dropped), or `(no answer)`.

    malformed.py <host:port> <user> [case ...]

`user` is the From user of the requests: for the reference corpus the
address-identified peer (1099 for chan_sip, 2099 for pjsip), so that the
server has a known peer but no authentication is involved. Requests are
sent from 127.0.0.1:5099 (where that peer lives); each case has its own
Call-ID and waits up to WAIT seconds (env MALFORMED_WAIT, default 1.5) for
answers. INVITEs that get a final answer >= 300 are ACKed so that the
server stops retransmitting; a 2xx is ACKed and then ended with BYE.

The output is one block per case:

    == <case>
    <status line>
    ...

Stdlib only; used by tests/sip_malformed.rs and to capture the reference
answers in golden/asterisk-20.20.1/sip/malformed.*.txt.
"""
import os
import random
import socket
import sys
import time

WAIT = float(os.environ.get("MALFORMED_WAIT", "1.5"))
LOCAL_PORT = 5099


def sdp(port=26000):
    return (
        "v=0\r\n"
        "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "c=IN IP4 127.0.0.1\r\n"
        "t=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
    )


def request(method, ctx, ruri=None, extra="", drop=(), body="", clen=None,
            version="SIP/2.0", cseq_method=None, max_forwards="70"):
    """One request in the usual shape, with knobs to break it."""
    ruri = ruri or f"sip:600@{ctx['host']}:{ctx['port']}"
    cseq_method = cseq_method or method
    headers = [
        ("Via", f"SIP/2.0/UDP 127.0.0.1:{LOCAL_PORT};branch={ctx['branch']};rport"),
        ("Max-Forwards", max_forwards),
        ("From", f"<sip:{ctx['user']}@127.0.0.1:{LOCAL_PORT}>;tag={ctx['tag']}"),
        ("To", f"<sip:600@{ctx['host']}:{ctx['port']}>"),
        ("Call-ID", ctx["callid"]),
        ("CSeq", f"1 {cseq_method}"),
        ("Contact", f"<sip:{ctx['user']}@127.0.0.1:{LOCAL_PORT}>"),
        ("User-Agent", "malformed-probe"),
    ]
    if body:
        headers.append(("Content-Type", "application/sdp"))
    headers.append(("Content-Length", str(len(body.encode())) if clen is None else clen))
    lines = [f"{method} {ruri} {version}"]
    lines += [f"{k}: {v}" for k, v in headers if k not in drop]
    text = "\r\n".join(lines) + "\r\n" + extra + "\r\n" + body
    return text.encode("latin-1")


# name -> function(ctx) -> bytes. Order is the output order.
CASES = {
    # a well-formed OPTIONS, the baseline
    "options_ok": lambda c: request("OPTIONS", c),
    # compact header names and folded (continuation) header lines are valid
    "options_compact": lambda c: (
        f"OPTIONS sip:600@{c['host']}:{c['port']} SIP/2.0\r\n"
        f"v: SIP/2.0/UDP 127.0.0.1:{LOCAL_PORT};branch={c['branch']};rport\r\n"
        f"f: <sip:{c['user']}@127.0.0.1:{LOCAL_PORT}>;tag={c['tag']}\r\n"
        f"t: <sip:600@{c['host']}:{c['port']}>\r\n"
        f"i: {c['callid']}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Max-Forwards: 70\r\n"
        "l: 0\r\n\r\n"
    ).encode(),
    "options_folded": lambda c: request(
        "OPTIONS", c, extra="Subject: a subject\r\n  folded over two lines\r\n"),
    # bytes that are not SIP at all
    "garbage": lambda c: bytes(random.Random(7).getrandbits(8) for _ in range(300)),
    "text_garbage": lambda c: b"hello there, this is not SIP\r\n\r\n",
    # the start line and nothing else
    "start_line_only": lambda c: f"OPTIONS sip:600@{c['host']}:{c['port']} SIP/2.0\r\n".encode(),
    # headers without the blank line that ends them
    "no_blank_line": lambda c: request("OPTIONS", c)[:-2],
    "missing_via": lambda c: request("OPTIONS", c, drop=("Via",)),
    "missing_callid": lambda c: request("OPTIONS", c, drop=("Call-ID",)),
    "missing_cseq": lambda c: request("OPTIONS", c, drop=("CSeq",)),
    "missing_from": lambda c: request("OPTIONS", c, drop=("From",)),
    "missing_to": lambda c: request("OPTIONS", c, drop=("To",)),
    "bad_cseq": lambda c: request("OPTIONS", c, cseq_method="OPTIONS").replace(
        b"CSeq: 1 OPTIONS", b"CSeq: abc OPTIONS"),
    "cseq_method_mismatch": lambda c: request("OPTIONS", c, cseq_method="INFO"),
    "bad_version": lambda c: request("OPTIONS", c, version="SIP/3.0"),
    "header_without_colon": lambda c: request("OPTIONS", c, extra="This line has no colon\r\n"),
    "huge_header": lambda c: request("OPTIONS", c, extra="X-Big: " + "a" * 20000 + "\r\n"),
    "many_headers": lambda c: request(
        "OPTIONS", c, extra="".join(f"X-H{i}: {i}\r\n" for i in range(300))),
    "content_length_too_big": lambda c: request("OPTIONS", c, body="hello", clen="500"),
    "content_length_negative": lambda c: request("OPTIONS", c, body="hello", clen="-5"),
    "content_length_not_number": lambda c: request("OPTIONS", c, body="hello", clen="five"),
    "content_length_short": lambda c: request("OPTIONS", c, body="hello world", clen="3"),
    "unknown_method": lambda c: request("FOOBAR", c),
    "max_forwards_zero": lambda c: request("OPTIONS", c, max_forwards="0"),
    "bad_request_uri": lambda c: request("OPTIONS", c, ruri="not a uri"),
    # a response nobody asked for is dropped
    "stray_response": lambda c: (
        "SIP/2.0 200 OK\r\n"
        f"Via: SIP/2.0/UDP {c['host']}:{c['port']};branch=z9hG4bKnotours\r\n"
        f"From: <sip:600@{c['host']}>;tag=x\r\n"
        f"To: <sip:{c['user']}@127.0.0.1>;tag=y\r\n"
        f"Call-ID: {c['callid']}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode(),
    # an INVITE whose body is not SDP
    "invite_bad_sdp": lambda c: request(
        "INVITE", c, body="this is not a session description\r\n"),
    # an INVITE whose SDP offers nothing we can use
    "invite_no_common_codec": lambda c: request(
        "INVITE", c, body=sdp().replace("RTP/AVP 0", "RTP/AVP 98").replace(
            "a=rtpmap:0 PCMU/8000", "a=rtpmap:98 L16/16000")),
}


def status_line(data):
    line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    return line


def header(data, name):
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        k, _, v = line.decode("latin-1", "replace").partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def run_case(name, host, port, user, seq):
    ctx = {
        "host": host,
        "port": port,
        "user": user,
        "branch": f"z9hG4bK-probe-{seq}-{os.getpid()}",
        "tag": f"probe{seq}",
        "callid": f"malformed-{seq}-{os.getpid()}@127.0.0.1",
    }
    data = CASES[name](ctx)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", LOCAL_PORT))
    seen = []
    try:
        sock.sendto(data, (host, port))
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                msg, peer = sock.recvfrom(70000)
            except socket.timeout:
                break
            line = status_line(msg)
            if not line.startswith("SIP/2.0 "):
                # a request from the server (BYE after our ACK): answer it
                if line.startswith("BYE "):
                    sock.sendto(answer_200(msg), peer)
                    seen.append(line.split(" ", 1)[0])
                continue
            key = (line, header(msg, "CSeq"))
            code = int(line.split(" ")[1]) if line.split(" ")[1].isdigit() else 0
            cseq = header(msg, "CSeq") or ""
            if cseq.endswith("INVITE") and code >= 200:
                sock.sendto(ack(msg, ctx, host, port, code), peer)
                if code < 300 and key not in seen:
                    seen.append(key)
                    sock.sendto(bye(msg, ctx, host, port), peer)
                    continue
            if key not in seen:
                seen.append(key)
    finally:
        sock.close()
    lines = [k if isinstance(k, str) else k[0] for k in seen]
    return lines or ["(no answer)"]


def to_tag_header(msg):
    return header(msg, "To") or ""


def ack(msg, ctx, host, port, code):
    # ACK for a non-2xx shares the INVITE's branch; for a 2xx it is new
    branch = ctx["branch"] if code >= 300 else ctx["branch"] + "-ack"
    return (
        f"ACK sip:600@{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{LOCAL_PORT};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{ctx['user']}@127.0.0.1:{LOCAL_PORT}>;tag={ctx['tag']}\r\n"
        f"To: {to_tag_header(msg)}\r\n"
        f"Call-ID: {ctx['callid']}\r\n"
        "CSeq: 1 ACK\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def bye(msg, ctx, host, port):
    return (
        f"BYE sip:600@{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{LOCAL_PORT};branch={ctx['branch']}-bye;rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{ctx['user']}@127.0.0.1:{LOCAL_PORT}>;tag={ctx['tag']}\r\n"
        f"To: {to_tag_header(msg)}\r\n"
        f"Call-ID: {ctx['callid']}\r\n"
        "CSeq: 2 BYE\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def answer_200(req):
    keep = ("via", "from", "to", "call-id", "cseq")
    head = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    lines = ["SIP/2.0 200 OK"]
    for raw in head:
        k = raw.decode("latin-1", "replace").partition(":")[0].strip().lower()
        if k in keep:
            lines.append(raw.decode("latin-1", "replace"))
    return ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    host, _, port = sys.argv[1].rpartition(":")
    user = sys.argv[2]
    names = sys.argv[3:] or list(CASES)
    for seq, name in enumerate(names):
        if name not in CASES:
            print(f"unknown case {name}", file=sys.stderr)
            return 2
        print(f"== {name}")
        for line in run_case(name, host, int(port), user, seq):
            print(line)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
