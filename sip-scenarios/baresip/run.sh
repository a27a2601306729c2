#!/bin/bash
# run.sh [-o OUTDIR] [-n NAME] [-p SIPPORT] [-r RTPMIN-RTPMAX] <host:port> <user> <password> [extension]
#
# One headless baresip call, bounded in time: baresip (Debian baresip-core)
# registers as <user> at <host:port> with digest auth, calls
# sip:<extension>@<host:port> (default 600), waits until the call ends (the
# PBX is expected to hang up), quits (which unregisters) and exits.
#
#   -o OUTDIR   where the results go (default ./baresip-out)
#   -n NAME     base name of the result files (default baresip)
#   -p SIPPORT  baresip's local SIP port on 127.0.0.1 (default 5082)
#   -r RANGE    baresip's RTP port range (default 26200-26299)
#
# Writes, in OUTDIR:
#   NAME.out      baresip's output with its SIP trace (-s): every SIP
#                 message it sent and received, verbatim, and its RTP
#                 statistics at the end of the call (rtp_stats)
#   NAME.dec.wav  the audio baresip received and decoded (the sndfile
#                 module's dump), 8 kHz mono 16-bit
#   NAME.conf/    the baresip config directory that was used
#
# Everything is on 127.0.0.1; no sound card is used: the microphone is a
# prompt file (aufile) and the loudspeaker an unconnected aubridge device.
#
# Exit status: 0 if baresip registered, the call was established and
# terminated, and baresip quit by itself; 1 otherwise (with the reason on
# stderr); 2 for a usage error or a missing baresip.
set -u
out=./baresip-out
name=baresip
sipport=5082
rtp=26200-26299
while [ $# -gt 0 ]; do
    case $1 in
        -o) out=$2; shift 2 ;;
        -n) name=$2; shift 2 ;;
        -p) sipport=$2; shift 2 ;;
        -r) rtp=$2; shift 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 3 ]; then
    echo "usage: $0 [-o OUTDIR] [-n NAME] [-p SIPPORT] [-r RANGE] <host:port> <user> <password> [extension]" >&2
    exit 2
fi
target=$1; user=$2; pass=$3; ext=${4:-600}
command -v baresip >/dev/null || { echo "run.sh: baresip not found (apt-get install baresip-core)" >&2; exit 2; }
mods=/usr/lib/baresip/modules
# The caller's voice: any 8 kHz mono prompt will do.
mic=/usr/share/asterisk/sounds/en/tt-monkeys.wav
[ -f "$mic" ] || { echo "run.sh: $mic missing (apt-get install asterisk-core-sounds-en-wav)" >&2; exit 2; }

mkdir -p "$out" || exit 2
conf=$out/$name.conf
log=$out/$name.out
rm -rf "$conf" "$log" "$out/$name.dec.wav"
mkdir -p "$conf/dump" || exit 2
# Only the modules the call needs: no sound card driver, no NAT helpers,
# no contact/presence/MWI, so nothing but the call's own SIP traffic.
cat >"$conf/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:$sipport
net_interface		127.0.0.1
call_local_timeout	120
call_max_calls		1
audio_player		aubridge,speaker
audio_source		aufile,$mic
audio_alert		aubridge,alert
ausrc_format		s16
auplay_format		s16
auenc_format		s16
audec_format		s16
audio_buffer		20-160
rtp_ports		$rtp
rtcp_mux		no
rtp_stats		yes
jitter_buffer_delay	5-10
snd_path		$conf/dump
module_path		$mods
module			stdio.so
module			g711.so
module			aufile.so
module			aubridge.so
module			sndfile.so
module_tmp		account.so
module_app		menu.so
CONF
# PCMU only, no MWI subscription, no early/auto answer (we only call out).
echo "<sip:$user@$target>;auth_pass=$pass;audio_codecs=PCMU;answermode=manual;regint=120;mwi=no" >"$conf/accounts"
: >"$conf/contacts"

# wait_for <text> <seconds>: until baresip printed <text> (fails early if
# baresip is gone)
wait_for() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        grep -q -- "$1" "$log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

status=$out/$name.status
: >"$status"
# baresip reads its commands (the menu's keys) from stdin, here a FIFO that
# this script writes each command to once the previous step shows in the
# output. Every wait is bounded, and `timeout` kills baresip if it outlives
# them all.
fifo=$conf/stdin
mkfifo "$fifo" || exit 2
# a write to a baresip that died fails instead of killing this script
trap '' PIPE
timeout --kill-after=2 60 baresip -f "$conf" -s <"$fifo" >"$log" 2>&1 &
pid=$!
exec 3>"$fifo"
if ! wait_for "registered successfully" 10; then
    echo "not registered within 10 s" >>"$status"
else
    printf '/dial sip:%s@%s\n' "$ext" "$target" >&3
    if ! wait_for "Call established" 10; then
        echo "call not established within 10 s" >>"$status"
    elif ! wait_for " terminated (duration" 30; then
        echo "call not terminated within 30 s" >>"$status"
    fi
fi
# quit: baresip hangs up what is left, unregisters and exits
printf 'q' >&3
for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$pid" 2>/dev/null && echo "baresip still running 10 s after quit" >>"$status"
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
exec 3>&-
# The decoded audio of the call (the encoded one is what we sent).
for f in "$conf"/dump/*-dec.wav; do
    [ -e "$f" ] && cp "$f" "$out/$name.dec.wav"
done
grep -q "ua: stop all" "$log" || echo "baresip did not quit" >>"$status"
[ $rc = 0 ] || echo "baresip exit status $rc" >>"$status"
if [ -s "$status" ]; then
    echo "run.sh: $name against $target failed: $(tr '\n' ';' <"$status"); see $log" >&2
    exit 1
fi
rm -f "$status"
exit 0
