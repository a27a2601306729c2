#!/bin/bash
# capture.sh [OUTDIR]
#
# Captures the baresip golden flows of golden/asterisk-20.20.1/baresip/ from
# the reference Asterisk 20.20.1 (/work/ref/install): holding
# /tmp/refcapture.lock, a fresh instance boots on a private copy of
# compat-configs/sipcalls (through /work/ref/capture2.sh), baresip
# (sip-scenarios/baresip/run.sh) registers and calls 600 as chan_sip user
# 1000 (127.0.0.1:5060) and then as pjsip user 2000 (127.0.0.1:5070), and
# the instance is stopped.
#
# Writes, per variant (chan_sip|pjsip), in OUTDIR (default: next to this
# script):
#   call.<variant>.out      baresip's output with its SIP trace (raw)
#   call.<variant>.flow     sip-scenarios/baresip/flow.py of it
#   call.<variant>.headers  the same with --headers --sdp
#   call.<variant>.audio    sip-scenarios/baresip/audio.py of the decoded audio
# and call.messages.log: what the instance logged while the calls ran.
# Exit status nonzero if a call failed (its files are written all the same).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
outdir=${1:-$here}
bs=$repo/sip-scenarios/baresip

capture_once() {
    local cmds out cap pid conf i log lines failed=0
    work=$(mktemp -d /tmp/bscap.XXXXXX)
    cmds=$work/cmds; out=$work/rx
    mkdir -p "$work/out"
    { echo 'core waitfullybooted'; for i in $(seq 1 120); do echo '#sleep 1'; done; } >"$cmds"
    : >"$out"
    /work/ref/capture2.sh "$repo/compat-configs/sipcalls" "$cmds" "$out" 2>"$work/capture2.stderr" &
    cap=$!
    for i in $(seq 1 600); do
        grep -q 'fully booted' "$out" 2>/dev/null && break
        kill -0 "$cap" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'fully booted' "$out"; then
        echo "the reference did not boot" >&2
        cat "$work/capture2.stderr" >&2
        kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null
        rm -rf "$work"
        return 1
    fi
    conf=
    for pid in $(pgrep -P "$cap"); do
        conf=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/,$p' | sed -n '/^-C$/{n;p;q}')
        [ -n "$conf" ] && break
    done
    log=${conf%/etc/asterisk.conf}/log/messages.log
    lines=$(wc -l <"$log" 2>/dev/null || echo 0)
    "$bs/run.sh" -o "$work/out" -n call.chan_sip 127.0.0.1:5060 1000 s3cret1000 600 || failed=1
    sleep 1
    "$bs/run.sh" -o "$work/out" -n call.pjsip 127.0.0.1:5070 2000 s3cret2000 600 || failed=1
    sleep 1
    [ -f "$log" ] && tail -n +"$((lines + 1))" "$log" >"$work/out/call.messages.log"
    kill -TERM "$cap" 2>/dev/null
    wait "$cap" 2>/dev/null
    mkdir -p "$outdir"
    for v in chan_sip pjsip; do
        f=$work/out/call.$v
        python3 "$bs/flow.py" "$f.out" >"$f.flow"
        python3 "$bs/flow.py" --headers --sdp "$f.out" >"$f.headers"
        python3 "$bs/audio.py" "$f.dec.wav" >"$f.audio"
        cp "$f.out" "$f.flow" "$f.headers" "$f.audio" "$outdir"/
    done
    cp "$work/out/call.messages.log" "$outdir"/ 2>/dev/null
    rm -rf "$work"
    return $failed
}

( flock 9; capture_once ) 9>/tmp/refcapture.lock
