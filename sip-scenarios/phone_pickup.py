#!/usr/bin/env python3
"""A phone's directed pickup by INVITE with Replaces (what a BLF key does
on a ringing line), which SIPp cannot play: the picking phone must name
the dialog the PBX opened towards the ringing phone (its Call-ID and both
tags), known only to that phone.

    phone_pickup.py <host:port> -key user U -au U -ap SECRET -p PORT
                    -key ringer R -key ringer_port RPORT [-key early_only no]
                    [-key stale yes] [-key answer yes] [--trace FILE]

Plays both phones. As R (bound on RPORT, where R registered) it waits for
the PBX's INVITE and rings (180, a tag of its own). One second later, as U
(bound on PORT, digest auth), it sends an INVITE to R with `Replaces:
<Call-ID>;to-tag=<the PBX's tag>;from-tag=<R's tag>` (RFC 3891; with
`;early-only` unless early_only is no; with stale, a Call-ID the PBX
does not know). The ringing INVITE is expected to be cancelled (200 to the
CANCEL, 487 to the INVITE), and is waited for; the picked-up call is hung
up (BYE) by U two seconds after its 200, unless the PBX ends it first.
With answer, R answers the PBX's INVITE (200 with SDP) and the Replaces
INVITE names that confirmed dialog (never early-only): the new call takes
R's place in its bridge, and R's call is expected to end with the PBX's
BYE instead.
Messages of both phones are traced to one file as SIPp's -trace_msg does.
Exit status 0 when the Replaces INVITE was answered 200 (with stale: 481),
1 otherwise.
Standard library only; the SIP plumbing is phone_atxfer.py's.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phone_atxfer import TIMEOUT, Call, Phone, parse_args, tag_of  # noqa: E402


class Ringer:
    """The ringing phone's side: one incoming INVITE, rung and then
    cancelled by the PBX."""

    def __init__(self, phone, answer):
        self.phone = phone
        self.answer = answer
        self.invite = None
        self.answered = False
        self.tag = "%dRingTag" % int(time.time() * 1000 % 1000000)
        self.done = False

    def reply(self, req, status, reason, to_tag=None, body=""):
        lines = ["SIP/2.0 %d %s" % (status, reason)]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            for v in req.all(name):
                if name == "To" and to_tag and tag_of(v) is None:
                    v = "%s;tag=%s" % (v, to_tag)
                lines.append("%s: %s" % (name, v))
        lines.append("Contact: %s" % self.phone.contact())
        if body:
            lines.append("Content-Type: application/sdp")
        lines += ["Content-Length: %d" % len(body), "", body]
        self.phone.send("\r\n".join(lines))

    def handle(self, m):
        if m.is_response:
            return
        if m.method == "INVITE" and self.invite is None:
            self.invite = m
            if self.answer:
                # A phone takes a moment to ring and to answer: the PBX
                # has told of the call (DialBegin) by then.
                time.sleep(0.2)
                self.reply(m, 180, "Ringing", self.tag)
                time.sleep(0.3)
                self.reply(m, 200, "OK", self.tag, self.sdp())
            else:
                self.reply(m, 180, "Ringing", self.tag)
        elif m.method == "BYE":
            self.reply(m, 200, "OK", self.tag)
            self.done = True
        elif m.method == "CANCEL":
            self.reply(m, 200, "OK", self.tag)
            if self.invite is not None:
                self.reply(self.invite, 487, "Request Terminated", self.tag)
        elif m.method == "ACK":
            if self.answer:
                self.answered = True
            else:
                self.done = True
        elif m.method == "INVITE" and self.answered:
            # A re-INVITE of the answered call.
            self.reply(m, 200, "OK", self.tag, self.sdp())
        elif m.method == "INVITE":
            # A retransmission of the ringing (or answered) INVITE.
            if self.answer:
                self.reply(m, 200, "OK", self.tag, self.sdp())
            else:
                self.reply(m, 180, "Ringing", self.tag)
        else:
            self.reply(m, 200, "OK", self.tag)

    def sdp(self):
        ip = self.phone.local[0]
        return ("v=0\r\no=ringer 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio 36900 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n" % (ip, ip))

    def poll(self, timeout):
        m = self.phone.recv(timeout)
        if m is not None:
            self.handle(m)
        return m


def main():
    opts = parse_args(sys.argv[1:])
    trace_path = opts["trace"]
    opts["trace"] = None
    picker_phone = Phone(opts)
    ringer_opts = dict(opts)
    ringer_opts["keys"] = dict(opts["keys"], user=opts["keys"].get("ringer", "ringer"))
    ringer_opts["-p"] = opts["keys"].get("ringer_port", "0")
    ringer_phone = Phone(ringer_opts)
    if trace_path:
        trace = open(trace_path, "w")
        picker_phone.trace = ringer_phone.trace = trace
    answer = opts["keys"].get("answer", "no") == "yes"
    ringer = Ringer(ringer_phone, answer)

    deadline = time.time() + TIMEOUT
    while ringer.invite is None and time.time() < deadline:
        ringer.poll(deadline - time.time())
    if ringer.invite is None:
        raise SystemExit("phone_pickup: the ringing phone got no INVITE")
    while answer and not ringer.answered and time.time() < deadline:
        ringer.poll(deadline - time.time())
    settle = time.time() + 1
    while time.time() < settle:
        ringer.poll(max(0.01, settle - time.time()))

    pbx_tag = tag_of(ringer.invite.get("From"))
    call_id = ringer.invite.get("Call-ID")
    if opts["keys"].get("stale", "no") == "yes":
        # A dialog the PBX does not have (the call ended meanwhile).
        call_id = "stale-" + call_id
    replaces = "%s;to-tag=%s;from-tag=%s" % (call_id, pbx_tag, ringer.tag)
    if opts["keys"].get("early_only", "yes") != "no" and not answer:
        replaces += ";early-only"
    call = Call(picker_phone, ringer_opts["keys"]["user"])
    calls = [call]
    extra = ["Replaces: %s" % replaces]
    body = call.sdp()
    call.request("INVITE", call.uri, extra, body=body)

    def final_response():
        end = time.time() + TIMEOUT
        while time.time() < end:
            ringer.poll(0.02)
            m = picker_phone.recv(0.02)
            if m is None:
                continue
            if not m.is_response:
                picker_phone.handle_request(m, calls)
                continue
            if m.get("Call-ID") == call.call_id and m.cseq() == (call.cseq, "INVITE") and m.status >= 200:
                return m
        raise SystemExit("phone_pickup: no final response to the Replaces INVITE")

    r = final_response()
    if r.status in (401, 407):
        call.ack(call.cseq, call.uri, rejected=r)
        header = "Authorization" if r.status == 401 else "Proxy-Authorization"
        challenge = r.get("WWW-Authenticate" if r.status == 401 else "Proxy-Authenticate")
        auth = "%s: %s" % (header, picker_phone.digest(challenge, "INVITE", call.uri))
        call.request("INVITE", call.uri, extra + [auth], body=body)
        r = final_response()
    final_status = r.status
    if r.status == 200:
        call.remote_tag = tag_of(r.get("To"))
        contact = r.get("Contact") or ""
        call.target = contact[contact.find("<") + 1:contact.find(">")] if "<" in contact else call.uri
        call.ack(call.cseq, call.target)
        call.up = True
    else:
        call.ack(call.cseq, call.uri, rejected=r)

    # The picked-up call lasts two seconds; the ringing INVITE's end (the
    # PBX's CANCEL, after a refused pickup only once the caller gives up;
    # answered, its BYE) is awaited.
    hang_up_at = time.time() + 2
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and (call.up or not ringer.done):
        ringer.poll(0.02)
        m = picker_phone.recv(0.02)
        if m is not None and not m.is_response:
            picker_phone.handle_request(m, calls)
        if call.up and time.time() >= hang_up_at:
            call.request("BYE", call.target)
            call.wait_response("BYE", calls)
            call.up = False
    expected = 481 if opts["keys"].get("stale", "no") == "yes" else 200
    return 0 if final_status == expected else 1


if __name__ == "__main__":
    sys.exit(main())
