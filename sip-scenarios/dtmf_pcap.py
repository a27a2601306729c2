#!/usr/bin/env python3
"""dtmf_pcap.py OUT.pcap DIGIT@MS... -- writes a pcap of RFC 4733 events
(payload type 101) for SIPp's play_pcap_audio: each DIGIT (0-9, *, #, A-D)
starts MS milliseconds after the first, shaped as SIPp's own
dtmf_2833_<digit>.pcap: a marked first packet, one every 20 ms with the
duration growing by 320 samples, the end packet (duration 2240) sent three
times, 140 ms in all.

SIPp's shipped pcaps all share one SSRC but number their packets and
timestamps independently, so playing several of them in one call sends
some digits with older timestamps than the one before, which Asterisk
drops as out of order. Here sequence numbers and timestamps grow across
the digits, as one phone's would. Addresses are placeholders (SIPp
rewrites them).
"""
import struct
import sys

EVENTS = {c: i for i, c in enumerate("0123456789*#ABCD")}


def packet(seq, ts, marker, event, end, duration):
    rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | 101, seq & 0xFFFF,
                      ts & 0xFFFFFFFF, 0x0E051E0D)
    rtp += struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
    udp_len = 8 + len(rtp)
    udp = struct.pack("!HHHH", 40000, 40000, udp_len, 0) + rtp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, seq & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + udp


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = open(sys.argv[1], "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    seq = 1000
    for part in sys.argv[2:]:
        digit, ms = part.rsplit("@", 1)
        event = EVENTS[digit.upper()]
        start_us = int(ms) * 1000
        ts = 8 * int(ms) + 160
        for i in range(10):
            n = min(i, 7)
            end = i >= 7
            t_us = start_us + n * 20000
            data = packet(seq, ts, i == 0, event, end, n * 320)
            out.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(data), len(data)))
            out.write(data)
            if i < 7:
                seq += 1
        seq += 1
    out.close()


if __name__ == "__main__":
    main()
