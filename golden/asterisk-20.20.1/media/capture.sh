#!/bin/bash
# capture.sh -- captures the media application goldens of this directory
# from the reference Asterisk 20.20.1 (/work/ref/install).
#
# One fresh instance boots (through /work/ref/capture2.sh, holding
# /tmp/refcapture.lock: its SIP ports and SIPp's are the fixed ones of the
# SIP captures) on a copy of compat-configs/sipcalls with
# tests/configs/mediaapps/{media-test.conf,musiconhold.conf,indications.conf}
# added (media-test.conf #included at the end of extensions.conf). Then
# every step of tests/configs/mediaapps/steps.txt runs, in order: a SIPp
# call (sip-scenarios/media_call.py writes the scenario, run.sh runs it)
# whose SDP sends the PBX's RTP to sip-scenarios/rtp_sink.py.
#
# Writes, in the output dir (default: next to this script):
#   <step>.<driver>.sip.log   SIPp -trace_msg log
#   <step>.<driver>.flow      sip-scenarios/flow.py of it
#   <step>.<driver>.rtp.txt   rtp_sink.py's summary of the RTP received
#   media.messages.log        what the instance logged for the calls
#                             (messages.log lines with a call id, verbose 3)
#   recordings.txt            the files Record() left in the spool
#                             directory: name and length in samples
#   spooldir.txt              the instance's spool directory (to
#                             normalise RECORDED_FILE in the log)
# Keeps the received audio of each step as <step>.<driver>.rtp.wav in
# $MEDIA_AUDIO_DIR when that is set.
#
# Environment: MEDIA_GOLDEN_DIR (output dir), STEPS (names to run, default
# all; the log then only holds those).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
outdir=${MEDIA_GOLDEN_DIR:-$here}
scen=$repo/sip-scenarios
media=$repo/tests/configs/mediaapps

variant() {
    case $1 in
        chan_sip) T=127.0.0.1:5060; U1=1000; P1=s3cret1000 ;;
        pjsip)    T=127.0.0.1:5070; U1=2000; P1=s3cret2000 ;;
        *) echo "unknown driver $1" >&2; return 1 ;;
    esac
}

work=$(mktemp -d /tmp/mediacap.XXXXXX)
mkdir -p "$work/cfg" "$work/out" "$work/pcap"
cp -a "$repo/compat-configs/sipcalls/." "$work/cfg/"
cp "$media/media-test.conf" "$media/musiconhold.conf" "$media/indications.conf" "$work/cfg/"
printf '\n#include "media-test.conf"\n' >>"$work/cfg/extensions.conf"

# A --play argument's pcap: SIPp's own digits, or a generated tone.
pcap_of() {
    local name=$1 parts
    case $name in
        tone-*)
            if [ ! -f "$work/pcap/$name.pcap" ]; then
                parts=$(echo "${name#tone-}" | tr '+' ' ' | sed 's/\([0-9]*\)-\([0-9]*\)/\1:\2/g')
                # shellcheck disable=SC2086
                python3 "$scen/tone_pcap.py" "$work/pcap/$name.pcap" $parts
            fi
            echo "$work/pcap/$name.pcap" ;;
        *) echo "/usr/share/sip-tester/$name.pcap" ;;
    esac
}

run_step() { # <name> <exten> <driver> <options...>
    local name=$1 exten=$2 drv=$3 sink args=() a sinkport=27000
    shift 3
    variant "$drv" || return 1
    while [ $# -gt 0 ]; do
        a=$1; shift
        if [ "$a" = --play ]; then
            args+=(--play "${1%%:*}:$(pcap_of "${1#*:}")"); shift
        else
            args+=("$a")
        fi
    done
    python3 "$scen/media_call.py" "$work/$name.$drv.xml" --sdp-port "$sinkport" "${args[@]}"
    python3 "$scen/rtp_sink.py" "$sinkport" "$work/out/$name.$drv.rtp.wav" --max 60 \
        >"$work/out/$name.$drv.rtp.out" &
    sink=$!
    for _ in $(seq 1 50); do grep -q ready "$work/out/$name.$drv.rtp.out" && break; sleep 0.1; done
    echo "  $name.$drv: sipp $T -s $exten ${args[*]}" >&2
    "$scen/run.sh" -o "$work/out" -n "$name.$drv" "$work/$name.$drv.xml" "$T" \
        -s "$exten" -key user "$U1" -au "$U1" -ap "$P1" -p 5062 -mp 26000 || failed=1
    sleep 0.5
    kill -TERM "$sink"; wait "$sink"
    grep -v ready "$work/out/$name.$drv.rtp.out" >"$work/out/$name.$drv.rtp.txt"
    python3 "$scen/flow.py" "$work/out/$name.$drv.sip.log" >"$work/out/$name.$drv.flow"
}

capture() {
    local cmds=$work/cmds rx=$work/rx cap pid conf tmp i name exten drivers opts d
    { echo 'core waitfullybooted'; for i in $(seq 1 600); do echo '#sleep 1'; done; } >"$cmds"
    : >"$rx"
    CAPTURE_KEEP=1 /work/ref/capture2.sh "$work/cfg" "$cmds" "$rx" 2>"$work/capture2.stderr" &
    cap=$!
    for i in $(seq 1 600); do
        grep -q 'fully booted' "$rx" 2>/dev/null && break
        kill -0 "$cap" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'fully booted' "$rx"; then
        echo "the reference did not boot" >&2
        cat "$work/capture2.stderr" >&2
        kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null
        return 1
    fi
    conf=
    for pid in $(pgrep -P "$cap"); do
        conf=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/,$p' | sed -n '/^-C$/{n;p;q}')
        [ -n "$conf" ] && break
    done
    tmp=${conf%/etc/asterisk.conf}
    failed=0
    while read -r name exten drivers opts; do
        case $name in ''|'#'*) continue ;; esac
        if [ -n "${STEPS:-}" ] && ! echo " $STEPS " | grep -q " $name "; then continue; fi
        for d in ${drivers//,/ }; do
            # shellcheck disable=SC2086
            run_step "$name" "$exten" "$d" $opts
            sleep 0.5
        done
    done <"$media/steps.txt"
    sleep 1
    grep -E '\]\[C-[0-9a-f]+\] ' "$tmp/log/messages.log" >"$work/out/media.messages.log"
    echo "$tmp/spool" >"$work/out/spooldir.txt"
    : >"$work/out/recordings.txt"
    for f in "$tmp"/spool/media/*; do
        [ -e "$f" ] || continue
        case $f in
            *.wav) echo "$(basename "$f") $(( ($(stat -c %s "$f") - 44) / 2 ))" ;;
            *) echo "$(basename "$f") $(stat -c %s "$f")" ;;
        esac >>"$work/out/recordings.txt"
    done
    kill -TERM "$cap" 2>/dev/null
    wait "$cap" 2>/dev/null
    rm -rf "$tmp"
    return $failed
}

( flock 9; capture ) 9>/tmp/refcapture.lock
rc=$?
mkdir -p "$outdir"
cp "$work"/out/*.sip.log "$work"/out/*.flow "$work"/out/*.rtp.txt \
   "$work/out/media.messages.log" "$work/out/recordings.txt" "$work/out/spooldir.txt" "$outdir"/
if [ -n "${MEDIA_AUDIO_DIR:-}" ]; then
    mkdir -p "$MEDIA_AUDIO_DIR"
    cp "$work"/out/*.rtp.wav "$MEDIA_AUDIO_DIR"/
fi
for f in "$work"/out/*.err.log; do
    [ -e "$f" ] && cp "$f" "$outdir"/
done
rm -rf "$work"
[ $rc = 0 ] || echo "capture.sh: some steps failed (their logs are kept)" >&2
exit $rc
