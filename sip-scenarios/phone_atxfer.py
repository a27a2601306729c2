#!/usr/bin/env python3
"""A phone's attended transfer by REFER with Replaces, which SIPp cannot
play: one SIPp instance knows only its own dialog, and the REFER of one
call must name the other call's dialog (Call-ID and both tags).

    phone_atxfer.py <host:port> -key user U -au U -ap SECRET -p PORT
                    -s FIRST -key second SECOND [--trace FILE]

Calls FIRST (digest auth; answered), then SECOND, each a plain audio call
without RTP; then, in the first call's dialog, a REFER whose Refer-To is
SECOND with `Replaces=<second's Call-ID>;to-tag=<the PBX's tag>;from-tag=
<ours>` (RFC 3891/5589). Waits for the 202, answers every NOTIFY until one
ends the subscription, answers the PBX's BYEs, and hangs up (BYE) whatever
call the PBX has not ended within two seconds. Every message sent and
received is traced as SIPp's -trace_msg does, so the traces read alike.
Exit status 0 when the 202 and a final NOTIFY came, 1 otherwise.
Other SIPp options the harness passes (-mp, -m, -timeout...) are ignored.
Standard library only.
"""
import hashlib
import random
import re
import socket
import sys
import time

TIMEOUT = 10.0


def parse_args(argv):
    opts = {"keys": {}, "trace": None}
    if not argv:
        raise SystemExit("usage: phone_atxfer.py <host:port> [options]")
    opts["target"] = argv[0]
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "-key" and i + 2 < len(argv) + 1:
            opts["keys"][argv[i + 1]] = argv[i + 2]
            i += 3
        elif a == "--trace":
            opts["trace"] = argv[i + 1]
            i += 2
        elif a in ("-au", "-ap", "-p", "-s"):
            opts[a] = argv[i + 1]
            i += 2
        elif a.startswith("-") and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            i += 2  # a SIPp option with a value: not ours
        else:
            i += 1
    return opts


class Message:
    def __init__(self, raw):
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers = []
        for l in lines[1:]:
            name, _, value = l.partition(":")
            self.headers.append((name.strip(), value.strip()))
        parts = self.first.split(" ", 2)
        self.is_response = parts[0].startswith("SIP/")
        self.status = int(parts[1]) if self.is_response else 0
        self.method = None if self.is_response else parts[0]

    def get(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def cseq(self):
        num, _, method = (self.get("CSeq") or "0 X").partition(" ")
        return int(num), method.strip()


def tag_of(value):
    m = re.search(r";\s*tag=([^;>\s]+)", value or "")
    return m.group(1) if m else None


def uri_of(value):
    m = re.search(r"<([^>]*)>", value or "")
    return m.group(1) if m else (value or "").split(";")[0]


class Phone:
    def __init__(self, opts):
        host, _, port = opts["target"].partition(":")
        self.remote = (host, int(port or 5060))
        self.user = opts["keys"].get("user", "phone")
        self.auth_user = opts.get("-au", self.user)
        self.secret = opts.get("-ap", "")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", int(opts.get("-p", "0"))))
        self.local = self.sock.getsockname()
        self.trace = open(opts["trace"], "w") if opts["trace"] else None
        self.branch = 0
        self.pending = []

    def log(self, direction, raw):
        if not self.trace:
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S") + ".%06d" % (time.time() % 1 * 1e6)
        if direction == "sent":
            head = "UDP message sent (%d bytes):" % len(raw)
        else:
            head = "UDP message received [%d] bytes :" % len(raw)
        self.trace.write("\n----------------------------------------------- %s\n%s\n\n%s\n"
                         % (stamp, head, raw))
        self.trace.flush()

    def send(self, raw):
        data = raw.encode()
        self.sock.sendto(data, self.remote)
        self.log("sent", raw)

    def recv(self, timeout):
        """The next message, or None after `timeout` seconds."""
        if self.pending:
            return self.pending.pop(0)
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        raw = data.decode("utf-8", "replace")
        self.log("received", raw)
        return Message(raw)

    def new_branch(self):
        self.branch += 1
        return "z9hG4bK-%d-%d" % (random.randint(1, 1 << 30), self.branch)

    def via(self, branch=None):
        return "SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.local[0], self.local[1],
                                                     branch or self.new_branch())

    def contact(self):
        return "<sip:%s@%s:%d>" % (self.user, self.local[0], self.local[1])

    def respond(self, req, status, reason):
        lines = ["SIP/2.0 %d %s" % (status, reason)]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            for v in req.all(name):
                lines.append("%s: %s" % (name, v))
        lines += ["Contact: %s" % self.contact(), "Content-Length: 0", "", ""]
        self.send("\r\n".join(lines))

    def digest(self, challenge, method, uri):
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
        ha1 = hashlib.md5(("%s:%s:%s" % (self.auth_user, realm, self.secret)).encode()).hexdigest()
        ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
        if "qop" in fields:
            cnonce, nc = "%08x" % random.randint(0, 1 << 31), "00000001"
            resp = hashlib.md5(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)).encode()).hexdigest()
            return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                    'algorithm=MD5, cnonce="%s", qop=auth, nc=%s'
                    % (self.auth_user, realm, nonce, uri, resp, cnonce, nc))
        resp = hashlib.md5(("%s:%s:%s" % (ha1, nonce, ha2)).encode()).hexdigest()
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5'
                % (self.auth_user, realm, nonce, uri, resp))

    def handle_request(self, req, calls):
        """A request from the PBX while waiting for something else."""
        if req.method == "BYE":
            self.respond(req, 200, "OK")
            for c in calls:
                if c.call_id == req.get("Call-ID"):
                    c.up = False
        elif req.method == "ACK":
            pass
        else:
            self.respond(req, 200, "OK")


class Call:
    def __init__(self, phone, service):
        self.phone = phone
        self.service = service
        self.call_id = "%d-%d@%s" % (random.randint(1, 1 << 30), id(self) % 100000, phone.local[0])
        self.tag = "%dPhoneTag" % random.randint(1, 1 << 30)
        self.remote_tag = None
        self.target = None
        self.cseq = 0
        self.up = False
        host, port = phone.remote
        self.uri = "sip:%s@%s:%d" % (service, host, port)

    def request(self, method, uri, extra=(), body="", cseq=None, branch=None, to_tag=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        p = self.phone
        to_tag = to_tag or self.remote_tag
        to = "<%s>" % self.uri + (";tag=%s" % to_tag if to_tag else "")
        via = p.via(branch)
        if method == "INVITE":
            self.invite_branch = via.split("branch=")[1].split(";")[0]
        lines = ["%s %s SIP/2.0" % (method, uri), "Via: %s" % via,
                 'From: "%s" <sip:%s@%s:%d>;tag=%s' % (p.user, p.user, p.remote[0], p.remote[1], self.tag),
                 "To: %s" % to, "Call-ID: %s" % self.call_id, "CSeq: %d %s" % (cseq, method),
                 "Contact: %s" % p.contact(), "Max-Forwards: 70", "User-Agent: phone_atxfer"]
        lines += list(extra)
        if body:
            lines += ["Content-Type: application/sdp"]
        lines += ["Content-Length: %d" % len(body.encode()), "", body]
        p.send("\r\n".join(lines))

    def sdp(self):
        ip = self.phone.local[0]
        port = 36000 + random.randint(0, 500) * 2
        return ("v=0\r\no=phone 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n" % (ip, ip, port))

    def wait_response(self, method, calls):
        """The final response to our `method` in this call."""
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            m = self.phone.recv(deadline - time.time())
            if m is None:
                break
            if not m.is_response:
                self.phone.handle_request(m, calls)
                continue
            if m.get("Call-ID") != self.call_id or m.cseq() != (self.cseq, method):
                continue
            if m.status >= 200:
                return m
        raise SystemExit("phone_atxfer: no final response to %s in %s" % (method, self.call_id))

    def ack(self, invite_cseq, uri, rejected=None):
        """The ACK of a 2xx is a request of its own; that of a refusal
        belongs to the INVITE's transaction (its branch, the To of the
        refusal: RFC 3261 17.1.1.3)."""
        if rejected is None:
            self.request("ACK", uri, cseq=invite_cseq)
        else:
            self.request("ACK", uri, cseq=invite_cseq, branch=self.invite_branch,
                         to_tag=tag_of(rejected.get("To")))

    def place(self, calls):
        body = self.sdp()
        self.request("INVITE", self.uri, body=body)
        r = self.wait_response("INVITE", calls)
        if r.status in (401, 407):
            self.ack(self.cseq, self.uri, rejected=r)
            header = "Authorization" if r.status == 401 else "Proxy-Authorization"
            challenge = r.get("WWW-Authenticate" if r.status == 401 else "Proxy-Authenticate")
            self.request("INVITE", self.uri, [header + ": " + self.phone.digest(challenge, "INVITE", self.uri)],
                         body=body)
            r = self.wait_response("INVITE", calls)
        if r.status != 200:
            raise SystemExit("phone_atxfer: INVITE to %s answered %d" % (self.service, r.status))
        self.remote_tag = tag_of(r.get("To"))
        self.target = uri_of(r.get("Contact")) or self.uri
        self.ack(self.cseq, self.target)
        self.up = True


def main():
    opts = parse_args(sys.argv[1:])
    phone = Phone(opts)
    first = Call(phone, opts.get("-s", "2001"))
    second = Call(phone, opts["keys"].get("second", "2002"))
    calls = [first, second]
    first.place(calls)
    time.sleep(1)
    second.place(calls)
    time.sleep(1)
    replaces = "%s;to-tag=%s;from-tag=%s" % (second.call_id, second.remote_tag, second.tag)
    escaped = replaces.replace("@", "%40").replace(";", "%3B").replace("=", "%3D")
    refer_to = "<sip:%s@%s:%d?Replaces=%s>" % (second.service, phone.remote[0], phone.remote[1], escaped)
    first.request("REFER", first.target, ["Refer-To: %s" % refer_to,
                                          "Referred-By: <sip:%s@%s:%d>" % (phone.user, phone.local[0], phone.local[1])])
    accepted = final = False
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and not final:
        m = phone.recv(deadline - time.time())
        if m is None:
            break
        if m.is_response:
            if m.cseq()[1] == "REFER" and m.status >= 200:
                accepted = m.status == 202
                if not accepted:
                    break
            continue
        if m.method == "NOTIFY":
            phone.respond(m, 200, "OK")
            state = m.get("Subscription-State") or ""
            final = state.lower().startswith("terminated")
        else:
            phone.handle_request(m, calls)
    # The PBX hangs up what it replaced; the phone hangs up the rest.
    settle = time.time() + 2
    while time.time() < settle and any(c.up for c in calls):
        m = phone.recv(settle - time.time())
        if m is not None and not m.is_response:
            phone.handle_request(m, calls)
    for c in calls:
        if c.up:
            c.request("BYE", c.target)
            c.wait_response("BYE", calls)
            c.up = False
    return 0 if accepted and final else 1


if __name__ == "__main__":
    sys.exit(main())
