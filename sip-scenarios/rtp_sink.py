#!/usr/bin/env python3
"""rtp_sink.py PORT OUT.wav [--max SECONDS] -- receives the RTP a PBX sends
to 127.0.0.1:PORT (the port media_call.py --sdp-port wrote into the SDP)
and, when stopped (SIGTERM, SIGINT, or after --max seconds, default 60),
writes the µ-law (payload type 0) audio decoded to 16-bit 8 kHz mono WAV,
packets in arrival order, nothing added for gaps.

On stdout it prints one line: "packets=N audio=M events=K first_ms=F"
(audio packets, RFC 4733 event packets, ms from the first packet received
to the first audio packet).
"""
import signal
import socket
import struct
import sys
import time
import wave


def ulaw_to_linear(u):
    u = ~u & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if u & 0x80 else (t - 0x84)


TABLE = [ulaw_to_linear(i) for i in range(256)]


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    port, out = int(args[0]), args[1]
    limit = 60.0
    if "--max" in args:
        limit = float(args[args.index("--max") + 1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.2)
    pcm = bytearray()
    stats = {"packets": 0, "audio": 0, "events": 0}
    first = [None, None]
    stop = [False]

    def on_signal(*_):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    deadline = time.monotonic() + limit
    # Tell whoever started us that the port is bound.
    print("ready", flush=True)
    while not stop[0] and time.monotonic() < deadline:
        try:
            data = sock.recv(2048)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if len(data) < 12:
            continue
        now = time.monotonic()
        stats["packets"] += 1
        if first[0] is None:
            first[0] = now
        pt = data[1] & 0x7F
        cc = data[0] & 0x0F
        payload = data[12 + 4 * cc:]
        if pt == 0:
            stats["audio"] += 1
            if first[1] is None:
                first[1] = now
            pcm += b"".join(struct.pack("<h", TABLE[b]) for b in payload)
        elif pt == 101:
            stats["events"] += 1
    w = wave.open(out, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(bytes(pcm))
    w.close()
    first_ms = -1 if first[1] is None else int((first[1] - first[0]) * 1000)
    print("packets=%d audio=%d events=%d first_ms=%d"
          % (stats["packets"], stats["audio"], stats["events"], first_ms), flush=True)


if __name__ == "__main__":
    main()
