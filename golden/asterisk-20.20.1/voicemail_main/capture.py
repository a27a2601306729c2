#!/usr/bin/env python3
"""capture.py -- the VoiceMailMain sessions of tests/voicemail_main.rs,
played against a running reference instance (see capture.sh, README.md).

  capture.py sounds DATADIR
      DATADIR/sounds/en: every prompt name of /usr/share/asterisk/sounds/en
      as a 100 ms silent wav (the test's `short_sounds`).
  capture.py conf NAME
      prints the session's voicemail.conf (the test's `voicemail_conf`).
  capture.py session NAME --spool DIR --log FILE --sip HOST:PORT
                     --ami PORT --work DIR --out FILE [--etc DIR]
      puts the session's messages in DIR/voicemail/default/1000, logs in to
      AMI (user vm), calls the session's extension from SIPp pressing the
      session's keys (RFC 4733, at the test's times after the answer),
      waits 0.5 s, and writes FILE: the PLAYBACK TestEvents' `Message:`
      (spool paths cut to `voicemail/...`), every TestEvent with its
      origin and fields, the spool afterwards, the
      MessageWaiting events, and the instance's app_voicemail log lines;
      for the sessions of EXTRA, also the other mailboxes' spool (each
      .txt whole), voicemail.conf as DIR/voicemail.conf is afterwards and
      the VoicemailPasswordChange events.
"""
import argparse
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "../../.."))


def short_wav(path):
    samples = 800
    b = b"RIFF" + struct.pack("<I", 36 + samples * 2) + b"WAVEfmt "
    b += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    b += b"data" + struct.pack("<I", samples * 2) + b"\0" * (samples * 2)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b)


def short_sounds(src, dst):
    for e in os.scandir(src):
        if e.is_dir():
            short_sounds(e.path, os.path.join(dst, e.name))
        else:
            stem = e.name.rsplit(".", 1)[0] if "." in e.name else e.name
            short_wav(os.path.join(dst, stem + ".wav"))


def dtmf_pcap(path, key, n):
    """tests/voicemail_main.rs `dtmf_pcap`, byte for byte."""
    event = {"*": 10, "#": 11}.get(key)
    if event is None:
        event = int(key)
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    ts = 8000 * (n + 1)
    seq0 = (20 * (n + 1)) & 0xFFFF
    for i in range(8):
        end = i >= 5
        duration = 160 * (min(i, 4) + 1)
        rtp = bytes([0x80, 101 | (0x80 if i == 0 else 0)])
        rtp += struct.pack(">HII", seq0 + i, ts, 0x5EED)
        rtp += bytes([event, (0x80 | 10) if end else 10])
        rtp += struct.pack(">H", duration)
        udp_len = 8 + len(rtp)
        ip = bytearray([0x45, 0]) + struct.pack(">HH", 20 + udp_len, seq0 + i)
        ip += bytes([0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])
        s = sum(struct.unpack(">10H", bytes(ip)))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        ip[10:12] = struct.pack(">H", (~s) & 0xFFFF)
        frame = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]) + bytes(ip)
        frame += struct.pack(">HHHH", 40000, 40000, udp_len, 0) + rtp
        t_us = min(i, 5) * 20000
        out += struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(frame), len(frame))
        out += frame
    with open(path, "wb") as f:
        f.write(out)


def tone_pcap(path, ms):
    """`ms` ms of a 440 Hz tone as sip-scenarios/tone_pcap.py writes it
    (the test runs that script with the same arguments)."""
    subprocess.run([sys.executable, os.path.join(REPO, "sip-scenarios/tone_pcap.py"), path,
                    "440:%d" % ms], check=True)


def msg_txt(mark):
    return (";\n; Message Information file\n;\n[message]\norigmailbox=1000\n"
            "context=internal\nmacrocontext=\nexten=1000\nrdnis=unknown\npriority=1\n"
            "callerchan=SIP/1001-00000000\ncallerid=%s\n"
            "origdate=Tue Nov 14 10:13:20 PM UTC 2023\norigtime=1700000000\n"
            "category=\nmsg_id=1700000000-00000000\nflag=\nduration=5\n" % mark)


def login_keys():
    keys, t = [], 1000
    for s in ["1000#", "99#", "1000#", "1234#"]:
        for c in s:
            keys.append((t, c))
            t += 400
        t += 400
    t += 2500
    keys.append((t, "#"))
    return keys


# name: (extension, [(folder, n, callerid mark)], [(ms after answer, key)])
SESSIONS = {
    "login_wrong_password_then_right_and_intro":
        ("9700", [("INBOX", 0, "one")], login_keys()),
    "playing_a_message_moves_it_to_old":
        ("9701", [("INBOX", 0, "one")],
         [(1000, "1"), (1400, "2"), (1800, "3"), (2200, "4"), (2600, "#"),
          (5000, "1"), (8000, "#")]),
    "deleting_renumbers_the_rest_and_s_skips_the_password":
        ("9702", [("INBOX", 0, "one"), ("INBOX", 1, "two"), ("INBOX", 2, "three")],
         [(2500, "1"), (5500, "7"), (8500, "#")]),
    "saving_to_a_folder":
        ("9702", [("INBOX", 0, "one"), ("INBOX", 1, "two"), ("Work", 0, "old work")],
         [(2500, "1"), (5500, "9"), (12500, "2"), (15500, "#")]),
    "three_wrong_passwords_end_the_call":
        ("9701", [],
         [(1000, "5"), (1400, "#"), (2500, "6"), (2900, "#"), (4000, "7"), (4400, "#")]),
    "changing_folder":
        ("9702", [("Old", 0, "old one")], [(2500, "2"), (9500, "0"), (12000, "#")]),
    "next_message_advanced_and_mailbox_options":
        ("9702", [("INBOX", 0, "one"), ("INBOX", 1, "two"), ("INBOX", 2, "three")],
         [(2500, "6"), (5500, "3"), (8000, "*"), (10500, "0"), (13000, "*"), (15500, "#")]),
}


VOICEMAIL_CONF = "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice\n"

# Sessions added with the mailbox options, the new-user setup and
# forwarding: "tones": (ms after the answer, tone length in ms), audio for
# the recordings (Asterisk gives up a recording after 4 s without a
# frame); "conf": the session's voicemail.conf when not VOICEMAIL_CONF;
# "boxes": other mailboxes of [default] whose spool is listed too;
# "conf_after": voicemail.conf is listed afterwards (password changes).
EXTRA = {
    "recording_the_greetings": {
        "tones": [(5500, 1500), (12000, 1500), (20000, 1500), (26500, 1500)],
    },
    "temporary_greeting_record_then_remove": {
        "tones": [(5500, 1500)],
    },
    "changing_the_password": {"conf_after": True},
    "new_user_setup": {
        "tones": [(1000, 1500), (6000, 1500), (11000, 1500)],
        "conf": "[general]\nformat = wav\n\n[default]\n"
                "1000 => 1000,Alice,,,forcename=yes|forcegreetings=yes\n",
        "conf_after": True,
    },
    "forwarding_a_message_without_prepending": {
        "conf": VOICEMAIL_CONF + "1001 => 4444,Bob\n",
        "boxes": ["1001"],
    },
    "forwarding_a_message_with_a_prepended_recording": {
        "tones": [(12000, 1500)],
        "conf": VOICEMAIL_CONF + "1001 => 4444,Bob\n",
        "boxes": ["1001"],
    },
}


def pw_keys(start, s):
    return [(start + 400 * i, c) for i, c in enumerate(s)]


SESSIONS.update({
    "recording_the_greetings":
        ("9702", [],
         [(2500, "0"), (5000, "1"), (7500, "#"), (9500, "1"),
          (11500, "2"), (14000, "#"), (16000, "2"), (19500, "3"), (22000, "#"), (24000, "1"),
          (26000, "3"), (28500, "#"), (30500, "1"), (32500, "*"), (35000, "#")]),
    "temporary_greeting_record_then_remove":
        ("9702", [],
         [(2500, "0"), (5000, "4"), (7500, "#"), (9500, "1"), (12000, "4"), (14500, "2"),
          (17000, "*"), (19500, "#")]),
    "changing_the_password":
        ("9702", [],
         [(2500, "0"), (5000, "5")] + pw_keys(6000, "4321#") + pw_keys(9000, "4322#")
         + [(13000, "5")] + pw_keys(14000, "4321#") + pw_keys(17000, "4321#")
         + [(21000, "*"), (23500, "#")]),
    "new_user_setup":
        ("9702", [],
         [(3000, "#"), (5000, "1"), (8000, "#"), (10000, "1"), (13000, "#"), (15000, "1")]
         + pw_keys(16500, "5678#") + pw_keys(19000, "5678#") + [(24000, "#")]),
    "forwarding_a_message_without_prepending":
        ("9702", [("INBOX", 0, "one")],
         [(2500, "1"), (5500, "8")] + pw_keys(6500, "1001#") + [(11000, "2"), (14000, "#")]),
    "forwarding_a_message_with_a_prepended_recording":
        ("9702", [("INBOX", 0, "one")],
         [(2500, "1"), (5500, "8")] + pw_keys(6500, "1001#") + [(11000, "1"), (14000, "#"),
                                                                 (17000, "#")]),
})


# Sessions added with the advanced options (3) and VoiceMail's own
# recording (9703). "new_message": a message recorded in the session is
# listed whole (see masked_message_line for its run-dependent values).
BOB = '"Bob" <1001>'
CALLBACK_CONF = "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,callback=vmcallback\n"
OPERATOR_CONF = ("[general]\nformat = wav\noperator = yes\nexitcontext = vmexit\n\n"
                 "[default]\n1000 => 1234,Alice\n")
EXTRA.update({
    "advanced_options_reply": {
        "tones": [(9500, 1500)],
        "conf": VOICEMAIL_CONF + "1001 => 4444,Bob\n",
        "boxes": ["1001"],
        "new_message": True,
    },
    "advanced_options_callback": {"conf": CALLBACK_CONF},
    "advanced_options_callback_another_number": {
        "conf": "[general]\nformat = wav\n\n[default]\n"
                "1000 => 1234,Alice,,,callback=vmcallback|dialout=vmdialout\n",
    },
    "advanced_options_dialout": {
        "conf": "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,dialout=vmdialout\n",
    },
    "advanced_options_send_a_message": {
        "tones": [(13500, 1500)],
        "conf": "[general]\nformat = wav\n\n[default]\n"
                "1000 => 1234,Alice,,,sendvoicemail=yes\n1001 => 4444,Bob\n",
        "boxes": ["1001"],
        "new_message": True,
    },
    "advanced_options_no_caller_number": {"conf": CALLBACK_CONF},
    "advanced_options_callback_unanswered": {"conf": CALLBACK_CONF},
    "advanced_options_dialout_timeouts": {
        "conf": "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,dialout=vmdialout\n",
    },
    "saycid_from_an_internal_context": {
        "conf": "[general]\nformat = wav\nsaycid = yes\ncidinternalcontexts = other, internal\n\n"
                "[default]\n1000 => 1234,Alice\n",
    },
    "advanced_options_reply_to_the_operator": {
        "tones": [(9500, 1500)],
        "conf": OPERATOR_CONF + "1001 => 4444,Bob\n",
        "boxes": ["1001"],
        "new_message": True,
    },
    "voicemail_zero_during_recording_deleted": {"tones": [(1500, 1500)], "conf": OPERATOR_CONF},
    "voicemail_zero_during_recording_saved_urgent": {
        "tones": [(1500, 1500)], "conf": OPERATOR_CONF,
    },
    "voicemail_leaving_a_message": {"tones": [(1500, 1500)]},
    "voicemail_recording_cut_at_maxsecs": {
        "tones": [(1500, 5000)],
        "conf": "[general]\nformat = wav\nmaxsecs = 2\n\n[default]\n1000 => 1234,Alice\n",
    },
})

SESSIONS.update({
    # 1 play, 3, 3 envelope (date, "from phone number" and the digits);
    # 6 the next message, 3, 3: its caller unknown.
    "advanced_options_envelope":
        ("9702", [("INBOX", 0, BOB), ("INBOX", 1, "Unknown")],
         [(2500, "1"), (5500, "3"), (8000, "3"), (12000, "6"), (15000, "3"), (17500, "3"),
          (21000, "#")]),
    # Nothing configured: 3 then 2 (no callback), 4 (no dialout), 5 (no
    # sendvoicemail): "sorry" each; 1 reply, the sender 1001 has no box.
    "advanced_options_not_configured":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "2"), (10500, "3"), (13000, "4"), (15500, "3"),
          (18000, "5"), (20500, "3"), (23000, "1"), (25500, "3"), (28000, "*"), (30500, "#")]),
    # 1 play, 3, 1 reply: a message left in 1001's box (the tone, #).
    "advanced_options_reply":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "1"), (12500, "#"), (16000, "#")]),
    # callback=vmcallback: 3, 2 (the number said), 1 calls it back:
    # vmcallback,1001,1 runs.
    "advanced_options_callback":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "2"), (11500, "1")]),
    # callback and dialout: 3, 2, 5 ("sorry", asked again), 2 another
    # number, 2001#: vmdialout,2001,1.
    "advanced_options_callback_another_number":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "2"), (11500, "5"), (15000, "2")]
         + pw_keys(17500, "2001#")),
    # dialout=vmdialout: 3, 4, * cancels; 3, 4, 2001#: vmdialout,2001,1.
    "advanced_options_dialout":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "4"), (10500, "*"), (13000, "3"), (15500, "4")]
         + pw_keys(17500, "2001#")),
    # sendvoicemail=yes: 3, 5, 1001#, a message left in 1001's box.
    "advanced_options_send_a_message":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "5")] + pw_keys(9000, "1001#")
         + [(16500, "#"), (20000, "#")]),
    # callback=vmcallback, a caller ID without a number: 3, 2 "no
    # number", * cancels; 3, 1 reply: "no number" too.
    "advanced_options_no_caller_number":
        ("9702", [("INBOX", 0, "Bob")],
         [(2500, "1"), (5500, "3"), (8000, "2"), (10500, "*"), (13000, "3"), (15500, "1"),
          (18000, "#")]),
    # saycid=yes, the message's context (internal) in cidinternalcontexts:
    # play_message says "from extension" 1 0 0 1; 3, 3 the envelope too.
    "saycid_from_an_internal_context":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (6000, "3"), (8500, "3"), (12000, "#")]),
    # dialout=vmdialout, no message current yet: 3 (the menu without the
    # message's options), 1 "sorry"; 3, 4 and no number typed: asked
    # three times (6 s each), then back to the main menu; #.
    "advanced_options_dialout_timeouts":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "3"), (5000, "1"), (7500, "3"), (10000, "4"), (33000, "#")]),
    # operator=yes, exitcontext=vmexit (its o runs tt-somethingwrong):
    # 3, 1 reply, 0 during the recording, 1 keeps it: the operator
    # (OPERATOR_EXIT: no goodbye).
    "advanced_options_reply_to_the_operator":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "1"), (12500, "0"), (14000, "1")]),
    # VoiceMail on 9703 with operator=yes, exitcontext=vmexit: 0 during
    # the recording, no key at "vm-saveoper": deleted, then vmexit,o.
    "voicemail_zero_during_recording_deleted": ("9703", [], [(4500, "0")]),
    # ... 4 at "vm-saveoper": kept, marked urgent.
    "voicemail_zero_during_recording_saved_urgent":
        ("9703", [], [(4500, "0"), (6000, "4")]),
    # callback=vmcallback: 3, 2 and no answer: asked again after every
    # 6 s wait, also past the fourth (only a key leaves); * in the fifth
    # wait cancels; #.
    "advanced_options_callback_unanswered":
        ("9702", [("INBOX", 0, BOB)],
         [(2500, "1"), (5500, "3"), (8000, "2"), (38500, "*"), (42000, "#")]),
    # VoiceMail(1000@default) on 9703: the tone, then #.
    "voicemail_leaving_a_message": ("9703", [], [(4500, "#")]),
    # maxsecs = 2: the recording is cut by the time limit.
    "voicemail_recording_cut_at_maxsecs": ("9703", [], []),
})


def masked_message_line(l):
    """A message recorded during the session: when it was recorded
    (origdate, origtime and msg_id's time part) changes with every run."""
    for k in ("origdate=", "origtime="):
        if l.startswith(k):
            return k + "<time>"
    if l.startswith("msg_id="):
        return "msg_id=<time>-" + l.split("-", 1)[-1]
    return l


def masked_conf_line(l):
    """ast_config_text_file_save's header: its date and the file's full
    path change with every run."""
    if l.startswith(";! Creation Date: "):
        return ";! Creation Date: <date>"
    m = re.match(r";! Filename: (\S+) \((.*)\)$", l)
    if m:
        i = m.group(2).find("voicemail/")
        return ";! Filename: %s (%s)" % (m.group(1), m.group(2)[i:] if i >= 0 else "<etc>/" + m.group(1))
    if l.startswith(";! Filename: /"):
        i = l.find("voicemail/")
        return ";! Filename: " + (l[i:] if i >= 0 else "<path>")
    return l


class Ami:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(b"Action: Login\r\nUsername: vm\r\nSecret: vm\r\nEvents: on\r\n\r\n")
        self.buf = []
        self.lock = threading.Lock()
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                d = self.sock.recv(65536)
            except OSError:
                break
            if not d:
                break
            with self.lock:
                self.buf.append(d)

    def text(self):
        with self.lock:
            return b"".join(self.buf).decode("utf-8", "replace").replace("\r\n", "\n")


def played(events):
    out = []
    for b in events.split("\n\n"):
        if "Event: TestEvent" in b and "\nState: PLAYBACK" in b:
            for l in b.split("\n"):
                if l.startswith("Message: "):
                    m = l[len("Message: "):]
                    i = m.find("voicemail/")
                    out.append(m[i:] if i >= 0 else m)
                    break
    return out


def test_events(events):
    """Every TestEvent, in order: `State AppFile:AppLine AppFunction` and
    the event's own fields (those after AppLine) joined by "; ". A spool
    path in a field is cut to `voicemail/...`; RTP_PORT_ALLOCATED's
    `Port:` (a random port) becomes `Port: <port>`."""
    out = []
    for b in events.split("\n\n"):
        if "Event: TestEvent" not in b:
            continue
        ls = [l for l in b.split("\n") if l]
        h = {}
        data = []
        seen_line = False
        for l in ls:
            k, sep, v = l.partition(": ")
            if seen_line:
                v = re.sub(r"/\S*/(voicemail/)", r"\1", v)
                if k == "Port" and h.get("State") == "RTP_PORT_ALLOCATED":
                    v = "<port>"
                data.append("%s: %s" % (k, v) if sep else l)
            else:
                h.setdefault(k, v)
                seen_line = k == "AppLine"
        out.append("; ".join(["%s %s:%s %s" % (h.get("State"), h.get("AppFile"), h.get("AppLine"),
                                                h.get("AppFunction"))] + data))
    return out


def session(a):
    exten, msgs, keys = SESSIONS[a.name]
    ex = EXTRA.get(a.name, {})
    box = os.path.join(a.spool, "voicemail/default/1000")
    for folder, n, mark in msgs:
        d = os.path.join(box, folder)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "msg%04d.txt" % n), "w") as f:
            f.write(msg_txt(mark))
        short_wav(os.path.join(d, "msg%04d.wav" % n))
    os.makedirs(a.work, exist_ok=True)
    ami = Ami(a.ami)
    time.sleep(0.3)
    trace = "vmm" + exten
    xml = os.path.join(a.work, trace + ".xml")
    args = []
    for i, (ms, k) in enumerate(keys):
        pcap = os.path.join(a.work, "%s-key%d.pcap" % (trace, i))
        dtmf_pcap(pcap, k, i)
        args += ["--play", "%d:%s" % (ms, pcap)]
    for i, (ms, length) in enumerate(ex.get("tones", [])):
        pcap = os.path.join(a.work, "%s-tone%d.pcap" % (trace, i))
        tone_pcap(pcap, length)
        args += ["--play", "%d:%s" % (ms, pcap)]
    subprocess.run([sys.executable, os.path.join(REPO, "sip-scenarios/media_call.py"), xml] + args,
                   check=True)
    before = len(ami.text())
    env = dict(os.environ, SIPP_TIMEOUT="90")
    st = subprocess.run([os.path.join(REPO, "sip-scenarios/run.sh"), "-o", a.work, "-n", trace, xml,
                         a.sip, "-s", exten, "-key", "user", "1000", "-au", "1000",
                         "-ap", "s3cret1000", "-p", "35162", "-mp", "36000"], env=env)
    time.sleep(0.5)
    events = ami.text()
    got = played(events[before:])
    lines = ["# Asterisk 20.20.1 (TEST_FRAMEWORK build), VoiceMailMain session `%s` of"
             " tests/voicemail_main.rs;" % a.name,
             "# captured with golden/asterisk-20.20.1/voicemail_main/capture.sh (see README.md).",
             "# call: SIPp user 1000 -> %s; keys (ms after the answer): %s"
             % (exten, " ".join("%d:%s" % (ms, k) for ms, k in keys)),
             "# messages before: %s" % (", ".join("%s/msg%04d=%s" % m for m in msgs) or "none"),
             ] + (["# audio (ms after the answer:tone ms): %s"
                   % " ".join("%d:%d" % t for t in ex["tones"])] if "tones" in ex else []) + [
             "# SIPp exit status: %d" % st.returncode,
             "[played]"]
    lines += got
    lines.append("[the same PLAYBACK TestEvents: AppFile:AppLine AppFunction Message]")
    for b in events[before:].split("\n\n"):
        if "Event: TestEvent" in b and "\nState: PLAYBACK" in b:
            h = {}
            for l in b.split("\n"):
                k, sep, v = l.partition(": ")
                h.setdefault(k, v)
            m = h.get("Message", "")
            i = m.find("voicemail/")
            lines.append("%s:%s %s %s" % (h.get("AppFile"), h.get("AppLine"), h.get("AppFunction"),
                                          m[i:] if i >= 0 else m))
    lines.append("[TestEvents: State AppFile:AppLine AppFunction, then the data fields, \"; \"-separated]")
    lines += test_events(events[before:])
    lines.append("[spool voicemail/default/1000: folders (with /) and files]")
    for root, dirs, files in sorted(os.walk(box)):
        dirs.sort()
        if root != box:
            lines.append(os.path.relpath(root, box) + "/")
        for f in sorted(files):
            p = os.path.join(root, f)
            rel = os.path.relpath(p, box)
            extra = ""
            if f.endswith(".txt"):
                with open(p) as fh:
                    for l in fh:
                        if l.startswith("callerid="):
                            extra = " " + l.strip()
            lines.append(rel + extra)
    for other in ex.get("boxes", []):
        obox = os.path.join(a.spool, "voicemail/default", other)
        lines.append("[spool voicemail/default/%s: folders (with /) and files, each .txt whole]" % other)
        for root, dirs, files in sorted(os.walk(obox)):
            dirs.sort()
            if root != obox:
                lines.append(os.path.relpath(root, obox) + "/")
            for f in sorted(files):
                p = os.path.join(root, f)
                lines.append(os.path.relpath(p, obox))
                if f.endswith(".txt"):
                    with open(p) as fh:
                        mask = masked_message_line if ex.get("new_message") else (lambda l: l)
                        lines += ["  " + mask(masked_conf_line(l.rstrip("\n"))) for l in fh]
    if ex.get("conf_after"):
        lines.append("[voicemail.conf afterwards]")
        with open(os.path.join(a.etc, "voicemail.conf")) as fh:
            lines += [masked_conf_line(l.rstrip("\n")) for l in fh]
        lines.append("[VoicemailPasswordChange events]")
        for b in events.split("\n\n"):
            if "Event: VoicemailPasswordChange" in b:
                kv = [l for l in b.split("\n") if l.split(":", 1)[0] in ("Context", "Mailbox", "NewPassword")]
                lines.append("; ".join(kv))
    lines.append("[MessageWaiting events]")
    for b in events.split("\n\n"):
        if "Event: MessageWaiting" in b:
            kv = [l for l in b.split("\n") if l.split(":", 1)[0] in ("Mailbox", "Waiting", "New", "Old")]
            lines.append("; ".join(kv))
    lines.append("[log: app_voicemail.c lines, date and thread id dropped]")
    try:
        with open(a.log, errors="replace") as fh:
            for l in fh:
                if "app_voicemail.c" in l:
                    l = l.rstrip("\n")
                    j = l.find("app_voicemail.c")
                    lvl = l.split("] ", 1)[1].split("[", 1)[0] if "] " in l else ""
                    lines.append(lvl + " " + l[j:])
    except OSError:
        pass
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0 if st.returncode == 0 else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sounds")
    s.add_argument("datadir")
    s = sub.add_parser("session")
    s.add_argument("name", choices=sorted(SESSIONS))
    for o in ("--spool", "--log", "--sip", "--work", "--out"):
        s.add_argument(o, required=True)
    s.add_argument("--ami", type=int, required=True)
    s.add_argument("--etc")
    s = sub.add_parser("conf")
    s.add_argument("name", choices=sorted(SESSIONS))
    sub.add_parser("list")
    a = p.parse_args()
    if a.cmd == "sounds":
        short_sounds("/usr/share/asterisk/sounds/en", os.path.join(a.datadir, "sounds/en"))
        return 0
    if a.cmd == "conf":
        sys.stdout.write(EXTRA.get(a.name, {}).get("conf", VOICEMAIL_CONF))
        return 0
    if a.cmd == "list":
        print(" ".join(SESSIONS))
        return 0
    return session(a)


if __name__ == "__main__":
    sys.exit(main())
