#!/bin/bash
# capture.sh <name>|all
#
# Re-captures golden/asterisk-20.20.1/ajam/<name>.rx from the reference
# Asterisk 20.20.1 (/work/ref/install): for each scenario a fresh instance
# boots on a private copy of compat-configs/ajam (through
# /work/ref/capture2.sh, with /tmp/refcapture.lock held here: capture2.sh
# itself takes no lock), capture.py plays <name>.scenario against the HTTP
# server on 127.0.0.1:8088, and the instance is stopped. A failed play is
# retried up to 3 times.
# A scenario's `conf <file> <line>` lines are added to a copy of the
# config dir before the boot (`$CERT`: a fresh self-signed certificate
# with its key in the same PEM file, made with openssl); when it has
# `file` lines the instance's static-http link becomes an empty directory
# (after the boot) that the player fills (AJAM_STATIC_DIR).
# Environment: AJAM_RX_DIR (where the .rx go; default next to this script),
# AJAM_CONFIG_DIR (config dir; default compat-configs/ajam), ATTEMPTS (3).
set -u
here=$(cd "$(dirname "$0")" && pwd)
configs=$(cd "$here/../../../compat-configs" && pwd)
PREFIX=${ASTERISK_PREFIX:-/work/ref/install}
AST=$PREFIX/sbin/asterisk
PORT=8088
# AJAM_RX_DIR: write the .rx files elsewhere (e.g. to compare two runs)
outdir=${AJAM_RX_DIR:-$here}

[ $# -eq 1 ] || { echo "usage: $0 <name>|all" >&2; exit 2; }

# One instance, one play. Runs with the lock held.
play_once() {
    local name=$1 rx=$2
    local work cmds out cap pid conf status i cfg static
    cfg=${AJAM_CONFIG_DIR:-$configs/ajam}
    work=$(mktemp -d /tmp/ajamcap.XXXXXX)
    if grep -q '^conf ' "$here/$name.scenario"; then
        mkdir "$work/conf"
        cp -a "$cfg"/. "$work/conf"/
        cfg=$work/conf
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
            -subj /CN=127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" \
            2>/dev/null || { rm -rf "$work"; return 1; }
        cat "$work/cert.pem" "$work/key.pem" >"$work/asterisk.pem"
        sed -n 's/^conf //p' "$here/$name.scenario" | while read -r file line; do
            printf '%s\n' "${line//\$CERT/$work/asterisk.pem}" >>"$cfg/$file"
        done
    fi
    cmds=$work/cmds
    out=$work/out
    # The instance lives as long as capture2.sh works through these lines;
    # it is stopped early (TERM to capture2.sh, which then stops Asterisk
    # within a second) once the player is done.
    { echo 'core waitfullybooted'; for i in $(seq 1 180); do echo '#sleep 1'; done; } >"$cmds"
    : >"$out"
    /work/ref/capture2.sh "$cfg" "$cmds" "$out" 2>"$work/capture2.stderr" &
    cap=$!
    # booted once capture2.sh has run `core waitfullybooted`
    for i in $(seq 1 600); do
        grep -q 'fully booted' "$out" 2>/dev/null && break
        kill -0 "$cap" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'fully booted' "$out"; then
        echo "$name: the reference did not boot" >&2
        cat "$work/capture2.stderr" >&2
        kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null
        rm -rf "$work"
        return 1
    fi
    # the daemon (asterisk -f -C <conf>) is capture2.sh's child: its -C
    # argument is the private asterisk.conf the `cli` lines must use
    conf=
    for pid in $(pgrep -P "$cap"); do
        conf=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/,$p' | sed -n '/^-C$/{n;p;q}')
        [ -n "$conf" ] && break
    done
    if [ -z "$conf" ]; then
        echo "$name: could not find the private asterisk.conf" >&2
        kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null
        rm -rf "$work"
        return 1
    fi
    # the private data dir: <tmp>/var/lib beside <tmp>/etc/asterisk.conf
    static=$(dirname "$(dirname "$conf")")/var/lib/static-http
    if grep -q '^file ' "$here/$name.scenario"; then
        rm -f "$static" && mkdir "$static"
    fi
    AJAM_STATIC_DIR=$static python3 "$here/capture.py" "$here/$name.scenario" "$PORT" "$rx" "$AST -C $conf -rx"
    status=$?
    kill -TERM "$cap" 2>/dev/null
    wait "$cap" 2>/dev/null
    rm -rf "$work"
    return $status
}

capture() {
    local name=$1 attempt tmp
    [ -f "$here/$name.scenario" ] || { echo "no scenario $name" >&2; return 2; }
    tmp=$(mktemp)
    for attempt in $(seq 1 "${ATTEMPTS:-3}"); do
        if (
            flock 9
            play_once "$name" "$tmp"
        ) 9>/tmp/refcapture.lock; then
            cp "$tmp" "$outdir/$name.rx"
            rm -f "$tmp"
            echo "wrote $outdir/$name.rx"
            return 0
        fi
        echo "$name: attempt $attempt failed; retrying" >&2
    done
    mv "$tmp" "/tmp/ajamcap-$name.partial"
    echo "$name: no complete capture (partial transcript: /tmp/ajamcap-$name.partial)" >&2
    return 1
}

if [ "$1" = all ]; then
    rc=0
    for s in "$here"/*.scenario; do
        capture "$(basename "$s" .scenario)" || rc=1
    done
    exit $rc
fi
capture "$1"
