#!/usr/bin/env python3
"""Summary of the audio baresip received: audio.py DEC.WAV

Reads a 16-bit PCM WAV (baresip's decoded-audio dump, 8 kHz mono) and
prints, one per line:

    seconds S        length of the audio
    frames N         20 ms frames
    loud_frames L    frames whose RMS is at least 100 (of 32767): not silence
    loud_seconds X   L * 0.02
    rms R            RMS of the whole audio

Exit status 1 if the file is not such a WAV.
"""
import math
import struct
import sys
import wave

THRESHOLD = 100


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    try:
        with wave.open(argv[0], "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                sys.stderr.write("audio.py: not 16-bit mono\n")
                return 1
            rate = w.getframerate()
            data = w.readframes(w.getnframes())
    except (OSError, wave.Error, EOFError) as e:
        sys.stderr.write("audio.py: %s: %s\n" % (argv[0], e))
        return 1
    samples = struct.unpack("<%dh" % (len(data) // 2), data)
    per = rate // 50
    frames = [samples[i:i + per] for i in range(0, len(samples) - per + 1, per)]
    loud = sum(1 for f in frames if math.sqrt(sum(s * s for s in f) / per) >= THRESHOLD)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    print("seconds %.2f" % (len(samples) / rate))
    print("frames %d" % len(frames))
    print("loud_frames %d" % loud)
    print("loud_seconds %.2f" % (loud * 0.02))
    print("rms %d" % round(rms))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
