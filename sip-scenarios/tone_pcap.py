#!/usr/bin/env python3
"""tone_pcap.py OUT.pcap PART... -- writes a pcap of µ-law RTP (payload type
0, 20 ms packets) for SIPp's play_pcap_audio.

Each PART is FREQ:MS: MS milliseconds of a FREQ Hz sine at about -10 dBm0,
or of digital silence when FREQ is 0. SIPp replays the packets with the
pcap's timing, rewriting addresses and ports, so the addresses written here
are placeholders.
"""
import math
import struct
import sys


def linear_to_ulaw(sample):
    # G.711 µ-law, as Asterisk's tables encode it.
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, clip) + bias
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(payload, seq, ts):
    rtp = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, 0x5EED) + payload
    udp_len = 8 + len(rtp)
    udp = struct.pack("!HHHH", 40000, 40000, udp_len, 0) + rtp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, seq & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + udp


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = open(sys.argv[1], "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    seq, n = 1, 0
    for part in sys.argv[2:]:
        freq, ms = (int(x) for x in part.split(":"))
        for _ in range(ms // 20):
            samples = [
                int(10000 * math.sin(2 * math.pi * freq * (n * 160 + i) / 8000)) if freq else 0
                for i in range(160)
            ]
            data = packet(bytes(linear_to_ulaw(s) for s in samples), seq, n * 160)
            t_us = n * 20000
            out.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(data), len(data)))
            out.write(data)
            seq += 1
            n += 1
    out.close()


if __name__ == "__main__":
    main()
