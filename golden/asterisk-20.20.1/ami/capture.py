#!/usr/bin/env python3
"""AMI scenario player (python3 stdlib only).

usage: capture.py <scenario> <port> <rx-out> <asterisk -rx command prefix>

Plays golden/asterisk-20.20.1/ami/<name>.scenario against an AMI server on
127.0.0.1:<port> and writes every byte received, per connection, to <rx-out>:

    ## connection <n>\n<exact bytes received on connection n>...

The command prefix (split like a shell would) is used for `cli` lines, e.g.
"/work/ref/install/sbin/asterisk -C /tmp/astcap.X/etc/asterisk.conf -rx".
See README.md for the scenario format.  Exit status 0 on success; on a
failed `wait`/`closed`/connect the partial transcript is still written and
the status is 1.

`sipp` lines run sip-scenarios/run.sh against the instance's SIP
listeners, named in the environment: AMI_SIPP_TARGETS="chan_sip=<host:port>
pjsip=<host:port>"; SIPp's traces go to AMI_SIPP_OUT (default: a temporary
directory, removed afterwards).
"""
import hashlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = 10.0
TAIL = 0.5


class Failure(Exception):
    pass


class Conn:
    """One TCP connection; a reader thread appends every received byte."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.settimeout(None)
        self.data = bytearray()
        self.eof = False
        self.cond = threading.Condition()
        # messages (after the banner line) already parsed, and where the
        # next unparsed byte is; `cursor` = first message not yet consumed
        # by a `wait`.
        self.msgs = []
        self.parsed = 0
        self.banner_end = None
        self.cursor = 0
        self.challenge = None
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.data += chunk
                self.cond.notify_all()

    def _parse(self):
        """Split newly received bytes into messages (caller holds cond)."""
        if self.banner_end is None:
            i = self.data.find(b"\r\n")
            if i < 0:
                return
            self.banner_end = self.parsed = i + 2
        while True:
            j = self.data.find(b"\r\n\r\n", self.parsed)
            if j < 0:
                return
            block = bytes(self.data[self.parsed:j]).decode("utf-8", "replace")
            self.parsed = j + 4
            headers = []
            for line in block.split("\r\n"):
                name, sep, value = line.partition(":")
                if sep:
                    headers.append((name, value.lstrip(" ")))
            for name, value in headers:
                if name == "Challenge":
                    self.challenge = value
            self.msgs.append(headers)

    def wait_until(self, pred, what):
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                self._parse()
                r = pred()
                if r:
                    return r
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("timeout waiting for " + what)
                if self.eof:
                    raise Failure("connection closed while waiting for " + what)
                self.cond.wait(left)

    def read_banner(self):
        self.wait_until(lambda: self.banner_end is not None, "the banner")

    def wait_message(self, pairs, text):
        def pred():
            while self.cursor < len(self.msgs):
                msg = self.msgs[self.cursor]
                self.cursor += 1
                if all(p in msg for p in pairs):
                    return True
            return False
        self.wait_until(pred, "message with " + text)

    def wait_closed(self):
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("server did not close the connection")
                self.cond.wait(left)

    def scanned_header(self, name):
        """The value of header `name` in the last message a `wait` has
        scanned on this connection that has one."""
        with self.cond:
            for msg in reversed(self.msgs[:self.cursor]):
                for n, v in reversed(msg):
                    if n == name:
                        return v
        raise Failure("no %s header scanned yet" % name)

    def get_challenge(self):
        return self.wait_until(lambda: self.challenge, "a Challenge value")

    def send(self, payload):
        self.sock.sendall(payload)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(2)


class FastAgi:
    """A FastAGI server for one connection: `agi listen <port>` starts it;
    every byte the PBX sends is kept (reader thread), as on AMI."""

    def __init__(self, port):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", port))
        self.lsock.listen(1)
        self.sock = None
        self.data = bytearray()
        self.eof = False
        self.mark = 0
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            sock, _ = self.lsock.accept()
        except OSError:
            return
        finally:
            self.lsock.close()
        with self.cond:
            self.sock = sock
            self.cond.notify_all()
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.data += chunk
                self.cond.notify_all()

    def wait_until(self, pred, what):
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                r = pred()
                if r:
                    return r
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("FastAGI: timeout waiting for " + what)
                if self.eof:
                    raise Failure("FastAGI: connection closed while waiting for " + what)
                self.cond.wait(left)

    def command(self, text):
        """Sends one command once the environment (ended by a blank line)
        is in, and waits for its final reply line (`NNN ...`; a `100`
        line is an interim one)."""
        def env_in():
            i = self.data.find(b"\n\n")
            return i + 2 if self.sock is not None and i >= 0 else None
        env_end = self.wait_until(env_in, "the agi_ environment")
        with self.cond:
            self.mark = max(self.mark, env_end)
        self.sock.sendall(text.encode("utf-8") + b"\n")

        def replied():
            return self._line_end(
                lambda l: re.match(rb"[0-9]{3} ", l) and not l.startswith(b"100 "))
        # Up to the end of the reply line only: the HANGUP notice may come
        # in the same read.
        end = self.wait_until(replied, "the reply to " + text)
        with self.cond:
            self.mark = end

    def _line_end(self, accept):
        """Where the first complete line after the mark that `accept`
        takes ends (caller holds cond)."""
        at = self.mark
        while True:
            n = self.data.find(b"\n", at)
            if n < 0:
                return None
            line = bytes(self.data[at:n])
            at = n + 1
            if accept(line):
                return at

    def wait_line(self, text):
        want = text.encode("utf-8")
        end = self.wait_until(lambda: self._line_end(lambda l: l == want), "line " + text)
        with self.cond:
            self.mark = end

    def close(self):
        with self.cond:
            sock = self.sock
        if sock is None:
            self.lsock.close()
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        self.thread.join(2)


def parse_pairs(spec):
    pairs = []
    for part in spec.split("; "):
        name, sep, value = part.partition(": ")
        if not sep:
            # "Header:" with an empty value
            if part.endswith(":"):
                name, value = part[:-1], ""
            else:
                raise Failure("bad wait predicate part: %r" % part)
        pairs.append((name, value))
    return pairs


MD5_RE = re.compile(r"\{md5-challenge:([^}]*)\}")
HEADER_RE = re.compile(r"\{header:([^}]*)\}")

RUN_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "..", "..", "..", "sip-scenarios", "run.sh")


class Sipp:
    """The SIPp runs of one play (`sipp`, `sipp&`, `sippwait`)."""

    def __init__(self):
        self.targets = dict(t.split("=", 1) for t in
                            os.environ.get("AMI_SIPP_TARGETS", "").split() if "=" in t)
        self.out = os.environ.get("AMI_SIPP_OUT")
        self.tmp = None
        self.count = 0
        self.background = []

    def start(self, spec):
        words = shlex.split(spec)
        if len(words) < 2:
            raise Failure("sipp needs <driver> <scenario> [args]")
        driver, scenario, args = words[0], words[1], words[2:]
        if driver not in self.targets:
            raise Failure("no SIP target %r (AMI_SIPP_TARGETS=%r)"
                          % (driver, os.environ.get("AMI_SIPP_TARGETS", "")))
        if self.out is None:
            self.tmp = self.out = tempfile.mkdtemp(prefix="amisipp.")
        self.count += 1
        name = "%02d-%s-%s" % (self.count, driver, scenario)
        env = dict(os.environ)
        env.setdefault("SIPP_TIMEOUT", "30")
        proc = subprocess.Popen(
            [RUN_SH, "-o", self.out, "-n", name, scenario, self.targets[driver]] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env)
        return name, proc

    def finish(self, name, proc):
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise Failure("sipp %s exited %d: %s" % (
                name, proc.returncode, err.decode("utf-8", "replace").strip()))

    def run(self, spec):
        self.finish(*self.start(spec))

    def spawn(self, spec):
        self.background.append(self.start(spec))

    def wait_all(self):
        running, self.background = self.background, []
        for name, proc in running:
            self.finish(name, proc)

    def close(self, failed):
        """Stops what is still running (a failed play); the temporary
        traces are removed, or kept and named after a failure."""
        for _, proc in self.background:
            if proc.poll() is None:
                proc.terminate()
            proc.wait()
        self.background = []
        if self.tmp is not None:
            if failed:
                sys.stderr.write("capture.py: SIPp traces kept in %s\n" % self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)


def spool_dir(cli_prefix):
    """The instance's astspooldir, from the asterisk.conf the CLI prefix
    names (relative to its directory)."""
    args = shlex.split(cli_prefix)
    conf = args[args.index("-C") + 1]
    spool = None
    with open(conf, encoding="utf-8") as f:
        for l in f:
            m = re.match(r"\s*astspooldir\s*=>?\s*(\S+)", l)
            if m:
                spool = m.group(1)
    if spool is None:
        raise Failure("no astspooldir in %s" % conf)
    return os.path.join(os.path.dirname(conf), spool)


def drop_call_file(cli_prefix, spec):
    """`callfile <name> <text>`: the text (`\\n` for line ends) becomes a
    call file <astspooldir>/outgoing/<name>, written beside the directory
    and moved in whole, as a call file should be."""
    name, _, text = spec.partition(" ")
    spool = spool_dir(cli_prefix)
    tmp = os.path.join(spool, "." + name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text.replace("\\n", "\n"))
    os.rename(tmp, os.path.join(spool, "outgoing", name))


def spool_file(cli_prefix, spec):
    """`spoolfile <path> <text>`: the text (`\\n` for line ends) becomes
    <astspooldir>/<path> (its directories made), written in the spool's
    top directory and renamed into place, so the PBX never sees it half
    written (voicemail messages for the voicemail actions)."""
    path, _, text = spec.partition(" ")
    spool = spool_dir(cli_prefix)
    target = os.path.join(spool, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = os.path.join(spool, ".spoolfile.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text.replace("\\n", "\n"))
    os.rename(tmp, target)


def run(scenario, port, cli_prefix, conns, sipp, agis):
    conn = None
    agi = None
    building = []
    with open(scenario, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        where = "%s:%d: " % (scenario, lineno)
        try:
            if line == "connect":
                if conn is not None:
                    conn.close()
                conn = Conn(port)
                conns.append(conn)
                conn.read_banner()
            elif line.startswith(">>lf") or line.startswith(">>"):
                lf = line.startswith(">>lf")
                rest = line[4:] if lf else line[2:]
                eol = b"\n" if lf else b"\r\n"
                if rest == "":
                    if conn is None:
                        raise Failure("send without a connection")
                    out = b"".join(l + eol for l in building) + eol
                    building = []
                    conn.send(out)
                else:
                    if not rest.startswith(" "):
                        raise Failure("expected a space after >>: %r" % line)
                    text = rest[1:]
                    m = MD5_RE.search(text)
                    if m:
                        ch = conn.get_challenge()
                        key = hashlib.md5((ch + m.group(1)).encode()).hexdigest()
                        text = text[:m.start()] + key + text[m.end():]
                    text = HEADER_RE.sub(lambda h: conn.scanned_header(h.group(1)), text)
                    building.append(text.encode("utf-8"))
            elif line.startswith("wait "):
                spec = line[5:]
                conn.wait_message(parse_pairs(spec), spec)
            elif line.startswith("sleep "):
                time.sleep(float(line[6:]))
            elif line == "second":
                now = time.time()
                time.sleep(1.05 - (now - int(now)))
            elif line.startswith("cli "):
                cmd = shlex.split(cli_prefix) + [line[4:]]
                subprocess.run(cmd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30)
            elif line == "closed":
                conn.wait_closed()
            elif line.startswith("sipp& "):
                sipp.spawn(line[6:])
            elif line.startswith("sipp "):
                sipp.run(line[5:])
            elif line == "sippwait":
                sipp.wait_all()
            elif line.startswith("callfile "):
                drop_call_file(cli_prefix, line[9:])
            elif line.startswith("spoolfile "):
                spool_file(cli_prefix, line[10:])
            elif line.startswith("agi listen "):
                agi = FastAgi(int(line[11:]))
                agis.append(agi)
            elif line.startswith("agi> "):
                agi.command(line[5:])
            elif line.startswith("agi wait "):
                agi.wait_line(line[9:])
            elif line == "agi close":
                agi.close()
            else:
                raise Failure("unknown directive: %r" % line)
        except Failure as e:
            raise Failure(where + str(e))
    if building:
        raise Failure("%s: unterminated message at end of file" % scenario)
    if sipp.background:
        raise Failure("%s: background sipp runs not waited for (sippwait)" % scenario)
    time.sleep(TAIL)
    if conn is not None:
        conn.close()


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    scenario, port, rx_out, cli_prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    conns = []
    agis = []
    status = 0
    sipp = Sipp()
    try:
        run(scenario, port, cli_prefix, conns, sipp, agis)
    except (Failure, OSError) as e:
        sys.stderr.write("capture.py: %s\n" % e)
        status = 1
        for c in conns:
            try:
                c.close()
            except OSError:
                pass
    sipp.close(status != 0)
    with open(rx_out, "wb") as f:
        for n, c in enumerate(conns, 1):
            with c.cond:
                data = bytes(c.data)
            f.write(b"## connection %d\n" % n)
            f.write(data)
        for n, a in enumerate(agis, 1):
            a.close()
            with a.cond:
                data = bytes(a.data)
            f.write(b"## fastagi %d\n" % n)
            f.write(data)
    return status


if __name__ == "__main__":
    sys.exit(main())
