#!/bin/bash
# capture.sh <session>|all
#
# Re-captures golden/asterisk-20.20.1/voicemail_main/<session>.txt from the
# reference Asterisk 20.20.1 built with TEST_FRAMEWORK
# (ASTERISK_TEST_PREFIX, default /work/ref-test/install): the sessions of
# tests/voicemail_main.rs (capture.py holds their messages and keys). Per
# session, holding /tmp/refcapture.lock, a fresh instance boots through
# /work/ref/capture2.sh on a private copy of compat-configs/sipcalls set
# up as the test sets up its own: astdatadir a directory of 100 ms silent
# prompts under the installed English prompts' names, the test's
# voicemail.conf, a manager.conf with user vm on 127.0.0.1:5038, the
# test's extensions 9700-9703 appended to [internal], its [vmcallback],
# [vmdialout] and [vmexit] after it. The
# session's messages go into the instance's spool once it has booted,
# capture.py logs in to AMI, calls through chan_sip (127.0.0.1:5060) with
# SIPp, records the PLAYBACK TestEvents, every TestEvent and the spool, and the instance is
# stopped. Output dir: VM_GOLDEN_DIR (default: next to this script).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
PREFIX=${ASTERISK_TEST_PREFIX:-/work/ref-test/install}
outdir=${VM_GOLDEN_DIR:-$here}
[ $# -eq 1 ] || { echo "usage: $0 <session>|all" >&2; exit 2; }
grep -aq TEST_FRAMEWORK "$PREFIX/sbin/asterisk" 2>/dev/null ||
    { echo "$PREFIX/sbin/asterisk is not built with TEST_FRAMEWORK" >&2; exit 1; }
if [ "$1" = all ]; then
    sessions=$(python3 "$here/capture.py" list)
else
    sessions=$1
fi

work=$(mktemp -d /tmp/vmmcap.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$here/capture.py" sounds "$work/data"
cfg=$work/cfg
mkdir -p "$cfg"
cp -r "$repo/compat-configs/sipcalls"/. "$cfg/"
sed -i "s#^astdatadir => /usr/share/asterisk\$#astdatadir => $work/data#" "$cfg/asterisk.conf"
printf '[general]\nenabled = yes\nport = 5038\nbindaddr = 127.0.0.1\n\n[vm]\nsecret = vm\nread = all\nwrite = all\n' >"$cfg/manager.conf"
printf '\n[internal](+)\nexten => 9700,1,VoiceMailMain()\n same => n,Hangup()\nexten => 9701,1,VoiceMailMain(1000@default)\n same => n,Hangup()\nexten => 9702,1,VoiceMailMain(1000@default,s)\n same => n,Hangup()\nexten => 9703,1,VoiceMail(1000@default)\n same => n,Hangup()\n\n[vmcallback]\nexten => _X.,1,Playback(tt-monkeys)\n same => n,Hangup()\n\n[vmdialout]\nexten => _X.,1,Playback(tt-weasels)\n same => n,Hangup()\n\n[vmexit]\nexten => o,1,Playback(tt-somethingwrong)\n same => n,Hangup()\n' >>"$cfg/extensions.conf"

capture_one() { # <session>; runs with the lock held
    local name=$1 cmds=$work/cmds out=$work/out cap pid conf tmp i status
    # The session's own voicemail.conf (capture.py's EXTRA, else the test's).
    python3 "$here/capture.py" conf "$name" >"$cfg/voicemail.conf" || return 1
    { echo 'core waitfullybooted'; for i in $(seq 1 240); do echo '#sleep 1'; done; } >"$cmds"
    : >"$out"
    ASTERISK_PREFIX=$PREFIX /work/ref/capture2.sh "$cfg" "$cmds" "$out" 2>"$work/capture2.stderr" &
    cap=$!
    for i in $(seq 1 600); do
        grep -q 'fully booted' "$out" 2>/dev/null && break
        kill -0 "$cap" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'fully booted' "$out"; then
        echo "$name: the reference did not boot" >&2
        cat "$work/capture2.stderr" >&2
        kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null
        return 1
    fi
    conf=
    for pid in $(pgrep -P "$cap"); do
        conf=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/,$p' | sed -n '/^-C$/{n;p;q}')
        [ -n "$conf" ] && break
    done
    [ -n "$conf" ] || { echo "$name: no private asterisk.conf" >&2; kill -TERM "$cap"; wait "$cap"; return 1; }
    tmp=${conf%/etc/asterisk.conf}
    python3 "$here/capture.py" session "$name" --spool "$tmp/spool" --log "$tmp/log/messages.log" \
        --sip 127.0.0.1:5060 --ami 5038 --work "$work/$name" --out "$work/$name.txt" \
        --etc "$tmp/etc"
    status=$?
    kill -TERM "$cap" 2>/dev/null
    wait "$cap" 2>/dev/null
    [ $status -eq 0 ] && cp "$work/$name.txt" "$outdir/$name.txt" && echo "wrote $outdir/$name.txt"
    [ $status -eq 0 ] || echo "$name: the SIPp call failed (traces: $work/$name, kept in /tmp/vmmcap-$name)" >&2
    [ $status -eq 0 ] || { rm -rf "/tmp/vmmcap-$name"; cp -r "$work/$name" "/tmp/vmmcap-$name"; cp "$work/$name.txt" "/tmp/vmmcap-$name/" 2>/dev/null; }
    return $status
}

rc=0
for s in $sessions; do
    ( flock 9; capture_one "$s" ) 9>/tmp/refcapture.lock || rc=1
done
exit $rc
