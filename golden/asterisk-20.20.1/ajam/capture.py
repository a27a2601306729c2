#!/usr/bin/env python3
"""AJAM (AMI over HTTP) scenario player, python3 stdlib only.

usage: capture.py <scenario> <port> <rx-out> <asterisk -rx command prefix>

Plays a .scenario against the HTTP server on 127.0.0.1:<port> and writes
what came back to <rx-out>, one block per request or CLI command:

    ## <label>\n<exact bytes received>\n

Scenario lines (see README.md):
    # ...                 comment
    req <label>           starts a request
    > <line>              a request line (CRLF is added); `$COOKIE` is the
                          last mansession_id the server set, `$SAVED` the
                          one `keep` saved, `$LEN` the body's length
    body <text>           the request body (no line end is added; `\\r`,
                          `\\n` and `\\xNN` are unescaped)
    send                  one new connection: send, read one response
                          (to Content-Length, or to the close), record it
    sendclose             the same, reading until the server closes
    keep                  $SAVED := $COOKIE
    keepnonce             $OLDNONCE := $NONCE
    auth <user> <secret> <method> <uri> <nc> [<nonce>]
                          $AUTH := an `Authorization: Digest` value
                          answering the last challenge ($NONCE, $REALM)
                          with qop=auth (or the nonce given, e.g.
                          $OLDNONCE)
    sendtls, sendtlsclose the same over TLS (to $AJAM_TLS_PORT, default
                          8089; the certificate is not verified)
    file <path> <text>    write <text> (unescaped) to $AJAM_STATIC_DIR/<path>
                          (parents made), modification time 1700000000
    conf <file> <line>    for capture.sh (a line added to a config file
                          before the instance boots); ignored here
    cli <command>         run `asterisk -rx <command>`, record its output
    sleep <seconds>
The exit status is 1 when a response did not come within the timeout (the
partial transcript is written all the same).
"""
import hashlib
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time

TIMEOUT = 10.0
STATIC_MTIME = 1700000000


def unescape(text):
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "r":
                out += b"\r"
                i += 2
                continue
            if n == "n":
                out += b"\n"
                i += 2
                continue
            if n == "x" and i + 3 < len(text):
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
            if n == "\\":
                out += b"\\"
                i += 2
                continue
        out += c.encode()
        i += 1
    return bytes(out)


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def digest(user, secret, realm, nonce, method, uri, nc):
    """The Authorization value answering a challenge (RFC 2617, qop=auth)."""
    cnonce = "0a4f113b"
    a1 = md5("%s:%s:%s" % (user, realm, secret))
    a2 = md5("%s:%s" % (method, uri))
    resp = md5("%s:%s:%s:%s:auth:%s" % (a1, nonce, nc, cnonce, a2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'qop=auth, nc=%s, cnonce="%s", response="%s", opaque="%s"'
            % (user, realm, nonce, uri, nc, cnonce, resp, nonce))


def read_response(sock, to_close, head_request):
    """Bytes of one response: its head, then Content-Length bytes (none
    for a successful HEAD), or all until the server closes (to_close, or
    a `Connection: close` reply)."""
    data = bytearray()
    deadline = time.time() + TIMEOUT
    while True:
        if not to_close:
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                head = data[:end].decode("latin-1")
                m = re.search(r"(?im)^content-length:\s*(\d+)", head)
                closes = re.search(r"(?im)^connection:\s*close", head)
                size = int(m.group(1)) if m else 0
                if head_request and re.match(r"HTTP/1.1 [23]", head):
                    size = 0
                if m and not closes and len(data) >= end + 4 + size:
                    return bytes(data), True
                if closes:
                    to_close = True
        left = deadline - time.time()
        if left <= 0:
            return bytes(data), False
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return bytes(data), False
        except OSError:
            chunk = b""
        if not chunk:
            return bytes(data), to_close
        data += chunk


def main():
    scenario, port, rx_out, cli_prefix = sys.argv[1:5]
    port = int(port)
    out = open(rx_out, "wb")
    cookie = ""
    saved = ""
    nonce = realm = oldnonce = auth = ""
    label = None
    lines = []
    body = b""
    ok = True
    for raw in open(scenario, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "req":
            label, lines, body = rest, [], b""
        elif word == ">":
            lines.append(rest)
        elif line == ">":
            lines.append("")
        elif word == "body":
            body = unescape(rest)
        elif word in ("send", "sendclose", "sendtls", "sendtlsclose"):
            head = "".join(
                l.replace("$COOKIE", cookie).replace("$SAVED", saved)
                 .replace("$AUTH", auth)
                 .replace("$LEN", str(len(body))) + "\r\n"
                for l in lines)
            if word.startswith("sendtls"):
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                raw = socket.create_connection(
                    ("127.0.0.1", int(os.environ.get("AJAM_TLS_PORT", "8089"))),
                    timeout=TIMEOUT)
                sock = ctx.wrap_socket(raw)
            else:
                sock = socket.create_connection(("127.0.0.1", port),
                                                timeout=TIMEOUT)
            sock.sendall(unescape(head) + body)
            data, complete = read_response(sock, word.endswith("close"),
                                           head.startswith("HEAD "))
            sock.close()
            out.write(b"## " + label.encode() + b"\n" + data + b"\n")
            out.flush()
            m = re.search(rb'mansession_id="([0-9a-f]+)"', data)
            if m:
                cookie = m.group(1).decode()
            m = re.search(rb'realm="([^"]*)", nonce="([0-9a-f]+)"', data)
            if m:
                realm, nonce = m.group(1).decode(), m.group(2).decode()
            if not complete:
                sys.stderr.write("%s: no complete response\n" % label)
                ok = False
                break
        elif word == "file":
            name, _, text = rest.partition(" ")
            path = os.path.join(os.environ["AJAM_STATIC_DIR"], name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(unescape(text))
            os.utime(path, (STATIC_MTIME, STATIC_MTIME))
        elif word == "conf":
            pass
        elif word == "keep":
            saved = cookie
        elif word == "keepnonce":
            oldnonce = nonce
        elif word == "auth":
            f = rest.split(" ")
            user, secret, method, uri, nc = f[:5]
            n = f[5].replace("$OLDNONCE", oldnonce) if len(f) > 5 else nonce
            auth = digest(user, secret, realm, n, method, uri, nc)
        elif word == "cli":
            res = subprocess.run(shlex.split(cli_prefix) + [rest],
                                 stdout=subprocess.PIPE, timeout=30)
            out.write(b"## cli " + rest.encode() + b"\n" + res.stdout + b"\n")
            out.flush()
        elif word == "sleep":
            time.sleep(float(rest))
        else:
            sys.stderr.write("bad scenario line: %s\n" % line)
            return 2
    out.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
