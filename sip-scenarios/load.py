#!/usr/bin/env python3
"""Load test: the highest clean call rate of Asterism and, optionally, of a
reference Asterisk, measured the same way in the same run.

    load.py [--asterisk PREFIX] [--case media|signalling|both]
            [--media-rates 50,100,...] [--signalling-rates 200,400,...]
            [--duration S] [--binary PATH]

For each case and each server, rates are tried in ascending order, each on
a fresh server process, until one fails >= 1 % of its calls. Every call is
`load_uac.xml` from the address-identified chan_sip peer 1099 (source port
5099) of `compat-configs/sipcalls`:

* media: extension 600, Answer + Playback(tt-weasels) (~3 s) + Hangup;
  SIPp echoes the RTP it receives (`-rtp_echo`), so the server sends and
  receives 50 packets/s per call;
* signalling: extension 601, Answer + Wait(1) + Hangup, no RTP.

Per run it prints the achieved call rate, failed calls, peak concurrent
calls (SIPp's CurrentCall), the server's steady CPU % of one core (mean of
1 s samples from 5 s to the end of the sending period), CPU ms per call,
the peak RSS and the RSS per concurrent call above the idle process. With
--asterisk, a last table gives Asterism/Asterisk ratios at the highest rate
both ran cleanly, and of the highest clean rates.

Only loopback is used; each run is bounded (SIPp -m rate*duration,
-timeout duration+30 s, killed 10 s later). Nothing here builds Asterisk:
--asterisk takes an existing install prefix (sbin/asterisk, lib/asterisk/
modules).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CONFIG = os.path.join(REPO, "compat-configs", "sipcalls")
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

CASES = {
    "media": {"exten": "600", "echo": True},
    "signalling": {"exten": "601", "echo": False},
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Server:
    """A fresh server process on a private copy of compat-configs/sipcalls."""

    def __init__(self, kind, binary, prefix=None):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"load-{kind}-")
        etc = os.path.join(self.dir, "etc")
        shutil.copytree(CONFIG, etc)
        dirs = {
            "astetcdir": etc,
            "astvarlibdir": os.path.join(self.dir, "lib"),
            "astdbdir": os.path.join(self.dir, "lib"),
            "astkeydir": os.path.join(self.dir, "lib"),
            "astdatadir": "/usr/share/asterisk",
            "astagidir": os.path.join(self.dir, "agi-bin"),
            "astspooldir": os.path.join(self.dir, "spool"),
            "astrundir": os.path.join(self.dir, "run"),
            "astlogdir": os.path.join(self.dir, "log"),
        }
        if prefix:
            # Asterisk needs its own data (XML documentation) to boot; the
            # prompts are the same files as Asterism's.
            data = os.path.join(self.dir, "data")
            os.makedirs(data)
            src = os.path.join(prefix, "var", "lib", "asterisk")
            for entry in os.listdir(src):
                if entry != "sounds":
                    os.symlink(os.path.join(src, entry), os.path.join(data, entry))
            os.symlink("/usr/share/asterisk/sounds", os.path.join(data, "sounds"))
            dirs["astdatadir"] = data
            dirs["astmoddir"] = os.path.join(prefix, "lib", "asterisk", "modules")
        for d in dirs.values():
            os.makedirs(d, exist_ok=True)
        conf = os.path.join(etc, "asterisk.conf")
        with open(conf) as f:
            text = f.read()
        options = text[text.index("[options]"):]
        with open(conf, "w") as f:
            f.write("[directories]\n")
            for k, v in dirs.items():
                f.write(f"{k} => {v}\n")
            f.write("\n" + options)
        self.conf = conf
        self.binary = binary
        self.proc = subprocess.Popen(
            [binary, "-f", "-g", "-q", "-n", "-C", conf],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_booted()

    def rx(self, command, timeout=10):
        r = subprocess.run(
            [self.binary, "-C", self.conf, "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return r.stdout

    def wait_booted(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited during boot")
            try:
                if "fully booted" in self.rx("core waitfullybooted", timeout=5):
                    break
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{self.kind} did not boot")
        # the SIP port answers once the channel driver is up
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not sip_answers("127.0.0.1", 5060):
            time.sleep(0.2)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def sip_answers(host, port):
    """Whether an OPTIONS gets any answer within 0.5 s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        lport = s.getsockname()[1]
        s.sendto(
            (
                f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bKload{time.time_ns()}\r\n"
                f"From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:{host}>\r\n"
                f"Call-ID: load-probe-{time.time_ns()}\r\nCSeq: 1 OPTIONS\r\n"
                "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            ).encode(),
            (host, port),
        )
        s.settimeout(0.5)
        s.recvfrom(65535)
        return True
    except OSError:
        return False
    finally:
        s.close()


def read_stats(path):
    """SIPp's -trace_stat CSV: the rows as dicts (';'-separated)."""
    rows = []
    try:
        with open(path) as f:
            header = f.readline().strip().split(";")
            for line in f:
                vals = line.strip().split(";")
                rows.append(dict(zip(header, vals)))
    except OSError:
        pass
    return rows


def run(kind, binary, prefix, case, rate, duration):
    spec = CASES[case]
    server = Server(kind, binary, prefix)
    work = tempfile.mkdtemp(prefix="load-sipp-")
    try:
        time.sleep(1)
        idle_rss = server.rss_mib()
        calls = rate * duration
        stat = os.path.join(work, "stat.csv")
        cmd = [
            "sipp", "127.0.0.1:5060", "-sf", os.path.join(HERE, "load_uac.xml"),
            "-s", spec["exten"], "-key", "user", "1099",
            "-i", "127.0.0.1", "-p", "5099", "-mi", "127.0.0.1",
            "-nostdin", "-r", str(rate), "-rp", "1000", "-m", str(calls), "-l", "10000",
            "-timeout", f"{duration + 30}s", "-timeout_error",
            "-trace_stat", "-stf", stat, "-fd", "1",
            "-trace_err", "-error_file", os.path.join(work, "errors.log"),
        ]
        if spec["echo"]:
            cmd += ["-rtp_echo", "-mp", "16000"]
        sipp_err = open(os.path.join(work, "sipp.err"), "w")
        sipp = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=sipp_err,
            stdin=subprocess.DEVNULL, cwd=work, start_new_session=True,
        )
        t0 = time.monotonic()
        cpu0 = server.cpu_seconds()
        samples = []  # (elapsed, cpu seconds, rss MiB)
        hard_stop = t0 + duration + 40
        while sipp.poll() is None and time.monotonic() < hard_stop:
            time.sleep(1)
            if server.proc.poll() is not None:
                break
            samples.append((time.monotonic() - t0, server.cpu_seconds(), server.rss_mib()))
        if sipp.poll() is None:
            os.killpg(sipp.pid, signal.SIGKILL)
            sipp.wait()
        crashed = server.proc.poll() is not None
        wall = time.monotonic() - t0
        cpu_total = (samples[-1][1] if samples else cpu0) - cpu0
        sipp_err.close()
        rows = read_stats(stat)
        if not rows:
            with open(os.path.join(work, "sipp.err")) as f:
                log("  sipp: " + f.read()[-1000:])
        last = rows[-1] if rows else {}
        created = int(last.get("TotalCallCreated", 0) or 0)
        ok = int(last.get("SuccessfulCall(C)", 0) or 0)
        failed = int(last.get("FailedCall(C)", 0) or 0)
        # calls never created count as failed: the rate was not reached
        failed_pct = 100.0 * (calls - ok) / calls if calls else 100.0
        peak = max((int(r.get("CurrentCall", 0) or 0) for r in rows), default=0)
        steady = [
            (b[1] - a[1]) / (b[0] - a[0]) * 100
            for a, b in zip(samples, samples[1:])
            if a[0] >= 5 and b[0] <= duration
        ]
        result = {
            "server": kind,
            "case": case,
            "rate": rate,
            "calls": calls,
            "created": created,
            "ok": ok,
            "failed": failed,
            "failed_pct": round(failed_pct, 2),
            "achieved_cps": round(ok / wall, 1) if wall else 0,
            "peak_calls": peak,
            "cpu_steady_pct": round(sum(steady) / len(steady), 1) if steady else None,
            "cpu_ms_per_call": round(1000 * cpu_total / ok, 3) if ok else None,
            "rss_max_mib": round(max((s[2] for s in samples), default=0), 1),
            "rss_idle_mib": round(idle_rss, 1),
            "crashed": crashed,
        }
        rss_calls = result["rss_max_mib"] - idle_rss
        result["rss_kib_per_call"] = round(1024 * rss_calls / peak, 1) if peak else None
        return result
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def clean(r):
    return r["failed_pct"] < 1.0 and not r["crashed"]


def table(results):
    cols = ["server", "case", "rate", "ok", "failed_pct", "achieved_cps", "peak_calls",
            "cpu_steady_pct", "cpu_ms_per_call", "rss_max_mib", "rss_kib_per_call"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(REPO, "target", "release", "asterism"))
    ap.add_argument("--asterisk", help="install prefix of a reference Asterisk")
    ap.add_argument("--case", default="both", choices=["media", "signalling", "both"])
    ap.add_argument("--media-rates", default="50,100,150,200,300,400,500,600,750")
    ap.add_argument("--signalling-rates", default="200,400,600,800,1000,1200,1500")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--json", help="also write every result to this file")
    args = ap.parse_args()
    if shutil.which("sipp") is None:
        sys.exit("sipp is needed (Debian package sip-tester)")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary}: not found (cargo build --release)")
    servers = [("asterism", args.binary, None)]
    if args.asterisk:
        servers.append(("asterisk", os.path.join(args.asterisk, "sbin", "asterisk"), args.asterisk))
    cases = ["media", "signalling"] if args.case == "both" else [args.case]
    results = []
    best = {}
    for case in cases:
        rates = [int(x) for x in getattr(args, f"{case}_rates").split(",")]
        for kind, binary, prefix in servers:
            for rate in rates:
                log(f"{kind} {case} {rate} cps for {args.duration} s ...")
                r = run(kind, binary, prefix, case, rate, args.duration)
                log("  " + json.dumps(r))
                results.append(r)
                if not clean(r):
                    break
                best[(kind, case)] = r
    table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print()
    for case in cases:
        for kind, _, _ in servers:
            r = best.get((kind, case))
            print(f"{kind} {case}: highest clean rate "
                  + (f"{r['rate']} cps (peak {r['peak_calls']} calls, "
                     f"{r['cpu_steady_pct']} % CPU, {r['cpu_ms_per_call']} ms CPU/call, "
                     f"RSS {r['rss_max_mib']} MiB)" if r else "none"))
    if args.asterisk:
        print("\nRatios Asterism / Asterisk:")
        for case in cases:
            a, b = best.get(("asterism", case)), best.get(("asterisk", case))
            if a and b:
                print(f"  {case}: clean rate {a['rate'] / b['rate']:.2f}x")
            common = [
                (x, y) for x in results for y in results
                if x["case"] == case == y["case"] and x["rate"] == y["rate"]
                and x["server"] == "asterism" and y["server"] == "asterisk"
                and clean(x) and clean(y)
            ]
            if common:
                x, y = max(common, key=lambda p: p[0]["rate"])
                if x["cpu_ms_per_call"] and y["cpu_ms_per_call"]:
                    print(f"  {case} at {x['rate']} cps: CPU per call "
                          f"{x['cpu_ms_per_call'] / y['cpu_ms_per_call']:.2f}, "
                          f"peak RSS {x['rss_max_mib'] / y['rss_max_mib']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
