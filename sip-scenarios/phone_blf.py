#!/usr/bin/env python3
"""A BLF key on a chan_sip hint, played by two phones: a watcher
subscribed to the hint's dialog state, and the hinted phone itself.

    phone_blf.py <host:port> -key user W -au W -ap SECRET -p PORT
                 -key ringer R -key ringer_port RPORT -key mode hold|pickup
                 [-key stale yes] [-key ring_delay SECONDS] [--trace FILE]

As W (bound on PORT, digest auth) it subscribes to R's extension (`Event:
dialog`, dialog-info bodies, Expires 120) and answers every NOTIFY 200.
As R (bound on RPORT, where R registered) it waits for the PBX's INVITE
and rings (180, a tag of its own; after a 100 and ring_delay seconds
when given). Then, with mode
  hold:   R answers 1.5 s later (200 with SDP), puts the call on hold 1 s
          after the ACK (re-INVITE with a=sendonly) and hangs up (BYE)
          1.5 s after that;
  pickup: W, on the first NOTIFY announcing `call-id="pickup-<id>"`,
          sends an INVITE to R with `Replaces: pickup-<id>;to-tag=<the
          PBX's subscription tag>;from-tag=<W's>` (a BLF key picking the
          call up), expects R's INVITE cancelled and hangs up 2 s after
          its 200; with `-key stale yes` an INVITE naming `pickup-stale-<id>`
          goes first (expected: 481).
Then, 1.5 s after the last call ended, W unsubscribes (Expires: 0) and
takes the final NOTIFY. Messages of both phones go to one trace file as
SIPp's -trace_msg writes them. Exit status 0 when every step got the
answer it expects, 1 otherwise.
Standard library only; the SIP plumbing is phone_atxfer.py's.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phone_atxfer import TIMEOUT, Call, Phone, parse_args, tag_of, uri_of  # noqa: E402


def reply(phone, req, status, reason, to_tag=None, body="", contact=True):
    lines = ["SIP/2.0 %d %s" % (status, reason)]
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for v in req.all(name):
            if name == "To" and to_tag and tag_of(v) is None:
                v = "%s;tag=%s" % (v, to_tag)
            lines.append("%s: %s" % (name, v))
    if contact:
        lines.append("Contact: %s" % phone.contact())
    if body:
        lines.append("Content-Type: application/sdp")
    lines += ["Content-Length: %d" % len(body.encode()), "", body]
    phone.send("\r\n".join(lines))


def sdp(phone, direction, version):
    ip = phone.local[0]
    return ("v=0\r\no=phone 1 %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio 36100 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=%s\r\n"
            % (version, ip, ip, direction))


class Watcher:
    """The subscription: SUBSCRIBE (with auth), then NOTIFYs."""

    def __init__(self, phone, service):
        self.phone = phone
        self.call = Call(phone, service)
        self.notifies = []
        self.pickup_id = None
        self.terminated = False

    def subscribe(self, expires, auth=None):
        extra = ["Event: dialog", "Accept: application/dialog-info+xml",
                 "Expires: %d" % expires]
        if auth:
            extra.append(auth)
        self.call.request("SUBSCRIBE", self.call.target or self.call.uri, extra)

    def handle(self, m):
        """A request for the watcher: a NOTIFY of the subscription."""
        if m.method == "NOTIFY" and m.get("Call-ID") == self.call.call_id:
            self.phone.respond(m, 200, "OK")
            self.notifies.append(m.body)
            # The key acts once the NOTIFY names the caller (a first one
            # may come before the ringing call is found, naming the
            # watched extension itself).
            found = re.search(r'call-id="pickup-([^"]*)"', m.body)
            entity = re.search(r'entity="([^"]*)"', m.body)
            local = re.search(r'<local>\s*<identity[^>]*>([^<]*)<', m.body)
            named = local and entity and local.group(1) != entity.group(1)
            if found and named and self.pickup_id is None:
                self.pickup_id = found.group(1)
            if (m.get("Subscription-State") or "").startswith("terminated"):
                self.terminated = True
            return True
        return False


class Ringer:
    """The hinted phone: one incoming INVITE, rung; answered, held and
    hung up (hold), or cancelled by the PBX (pickup)."""

    def __init__(self, phone):
        self.phone = phone
        self.invite = None
        self.tag = "%dRingTag" % int(time.time() * 1000 % 1000000)
        self.answered = False
        self.acked = False
        self.cancelled = False
        self.ended = False
        self.cseq = 0
        self.pending = None  # (method, cseq) of our request awaiting a final response
        self.final = None
        self.ring_delay = "0"

    def handle(self, m):
        if m.is_response:
            if self.pending and m.cseq() == self.pending and m.status >= 200:
                self.final = m
                if self.pending[1] == "INVITE":
                    self.request("ACK", cseq=self.pending[0])
                self.pending = None
            return
        if m.method == "INVITE" and self.invite is None:
            self.invite = m
            delay = float(self.ring_delay)
            if delay:
                reply(self.phone, m, 100, "Trying", contact=False)
                time.sleep(delay)
            reply(self.phone, m, 180, "Ringing", self.tag)
        elif m.method == "INVITE":
            # A retransmission of the ringing INVITE.
            if not self.answered:
                reply(self.phone, m, 180, "Ringing", self.tag)
        elif m.method == "CANCEL":
            reply(self.phone, m, 200, "OK", self.tag)
            if self.invite is not None:
                reply(self.phone, self.invite, 487, "Request Terminated", self.tag)
            self.cancelled = True
        elif m.method == "ACK":
            if self.cancelled:
                self.ended = True
            else:
                self.acked = True
        elif m.method == "BYE":
            reply(self.phone, m, 200, "OK", self.tag)
            self.ended = True
        else:
            reply(self.phone, m, 200, "OK", self.tag)

    def answer(self):
        self.answered = True
        reply(self.phone, self.invite, 200, "OK", self.tag, sdp(self.phone, "sendrecv", 1))

    def request(self, method, body="", cseq=None):
        """A request of ours in the PBX's dialog (we are its callee)."""
        inv = self.invite
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
            if method != "ACK":
                self.pending = (cseq, method)
        target = uri_of(inv.get("Contact")) or uri_of(inv.get("From"))
        lines = ["%s %s SIP/2.0" % (method, target), "Via: %s" % self.phone.via(),
                 "From: %s;tag=%s" % (inv.get("To"), self.tag), "To: %s" % inv.get("From"),
                 "Call-ID: %s" % inv.get("Call-ID"), "CSeq: %d %s" % (cseq, method),
                 "Contact: %s" % self.phone.contact(), "Max-Forwards: 70",
                 "User-Agent: phone_blf"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines += ["Content-Length: %d" % len(body.encode()), "", body]
        self.phone.send("\r\n".join(lines))


def main():
    opts = parse_args(sys.argv[1:])
    mode = opts["keys"].get("mode", "hold")
    trace_path = opts["trace"]
    opts["trace"] = None
    watcher_phone = Phone(opts)
    ringer_opts = dict(opts)
    ringer_opts["keys"] = dict(opts["keys"], user=opts["keys"].get("ringer", "ringer"))
    ringer_opts["-p"] = opts["keys"].get("ringer_port", "0")
    ringer_phone = Phone(ringer_opts)
    if trace_path:
        trace = open(trace_path, "w")
        watcher_phone.trace = ringer_phone.trace = trace
    service = ringer_opts["keys"]["user"]
    watcher = Watcher(watcher_phone, service)
    ringer = Ringer(ringer_phone)
    ringer.ring_delay = opts["keys"].get("ring_delay", "0")
    pick = None  # the pickup's Call, once sent
    calls = []
    failures = []
    responses = []  # final responses to the watcher's requests

    def poll(timeout):
        m = ringer_phone.recv(0.01)
        if m is not None:
            ringer.handle(m)
        m = watcher_phone.recv(timeout)
        if m is None:
            return
        if m.is_response:
            if m.status >= 200:
                responses.append(m)
            return
        if not watcher.handle(m):
            watcher_phone.handle_request(m, calls)

    def final(call, method):
        end = time.time() + TIMEOUT
        while time.time() < end:
            for r in responses:
                if r.get("Call-ID") == call.call_id and r.cseq() == (call.cseq, method):
                    responses.remove(r)
                    return r
            poll(0.02)
        raise SystemExit("phone_blf: no final response to %s" % method)

    def wait(until, what):
        end = time.time() + TIMEOUT
        while not until() and time.time() < end:
            poll(0.02)
        if not until():
            raise SystemExit("phone_blf: %s did not happen" % what)

    def settle(seconds):
        end = time.time() + seconds
        while time.time() < end:
            poll(0.02)

    def subscribe(expires):
        """A SUBSCRIBE, with credentials when challenged (chan_sip
        challenges the unsubscription too)."""
        watcher.subscribe(expires)
        r = final(watcher.call, "SUBSCRIBE")
        if r.status in (401, 407):
            header = "Authorization" if r.status == 401 else "Proxy-Authorization"
            challenge = r.get("WWW-Authenticate" if r.status == 401 else "Proxy-Authenticate")
            uri = watcher.call.target or watcher.call.uri
            watcher.subscribe(expires, "%s: %s" % (header, watcher_phone.digest(challenge, "SUBSCRIBE", uri)))
            r = final(watcher.call, "SUBSCRIBE")
        return r

    # The subscription, authenticated.
    r = subscribe(120)
    if r.status != 200:
        raise SystemExit("phone_blf: SUBSCRIBE answered %d" % r.status)
    watcher.call.remote_tag = tag_of(r.get("To"))
    watcher.call.target = uri_of(r.get("Contact")) or watcher.call.uri

    end = time.time() + 2 * TIMEOUT
    while ringer.invite is None and time.time() < end:
        poll(0.02)
    if ringer.invite is None:
        raise SystemExit("phone_blf: the ringing phone got no INVITE")

    if mode == "hold":
        settle(1.5)
        ringer.answer()
        wait(lambda: ringer.acked, "the ACK of the answer")
        settle(1)
        ringer.request("INVITE", sdp(ringer_phone, "sendonly", 2))
        wait(lambda: ringer.final is not None, "the answer to the hold")
        if ringer.final.status != 200:
            failures.append("hold answered %d" % ringer.final.status)
        ringer.final = None
        settle(1.5)
        ringer.request("BYE")
        wait(lambda: ringer.final is not None, "the answer to the BYE")
        ringer.ended = True
    else:
        wait(lambda: watcher.pickup_id is not None, "a NOTIFY with a pickup- call id")
        if opts["keys"].get("stale", "no") == "yes":
            # First a key naming a subscription the PBX does not have.
            stale = Call(watcher_phone, service)
            stale.request("INVITE", stale.uri, ["Replaces: pickup-stale-%s;to-tag=%s;from-tag=%s" % (
                watcher.pickup_id, watcher.call.remote_tag, watcher.call.tag)], body=stale.sdp())
            r = final(stale, "INVITE")
            stale.ack(stale.cseq, stale.uri, rejected=r)
            if r.status != 481:
                failures.append("stale pickup answered %d" % r.status)
        pick = Call(watcher_phone, service)
        calls.append(pick)
        replaces = "Replaces: pickup-%s;to-tag=%s;from-tag=%s" % (
            watcher.pickup_id, watcher.call.remote_tag, watcher.call.tag)
        body = pick.sdp()
        pick.request("INVITE", pick.uri, [replaces], body=body)
        r = final(pick, "INVITE")
        if r.status in (401, 407):
            pick.ack(pick.cseq, pick.uri, rejected=r)
            header = "Authorization" if r.status == 401 else "Proxy-Authorization"
            challenge = r.get("WWW-Authenticate" if r.status == 401 else "Proxy-Authenticate")
            pick.request("INVITE", pick.uri,
                         [replaces, "%s: %s" % (header, watcher_phone.digest(challenge, "INVITE", pick.uri))],
                         body=body)
            r = final(pick, "INVITE")
        if r.status != 200:
            failures.append("pickup answered %d" % r.status)
            pick.ack(pick.cseq, pick.uri, rejected=r)
        else:
            pick.remote_tag = tag_of(r.get("To"))
            pick.target = uri_of(r.get("Contact")) or pick.uri
            pick.ack(pick.cseq, pick.target)
            pick.up = True
        wait(lambda: ringer.ended, "the end of the ringing INVITE")
        hang_up_at = time.time() + 2
        while pick.up and time.time() < hang_up_at:
            poll(0.02)
        if pick.up:
            pick.request("BYE", pick.target)
            r = final(pick, "BYE")
            pick.up = False

    # The last states, then the end of the subscription.
    settle(1.5)
    r = subscribe(0)
    if r.status != 200:
        failures.append("unsubscribe answered %d" % r.status)
    wait(lambda: watcher.terminated, "the final NOTIFY")
    settle(0.3)
    for f in failures:
        print("phone_blf: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
