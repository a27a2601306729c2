#!/bin/bash
# capture.sh <capture>...|all
#
# Captures the SIP golden flows of golden/asterisk-20.20.1/sip/ from the
# reference Asterisk 20.20.1 (/work/ref/install). For each capture a fresh
# instance boots on a private copy of compat-configs/sipcalls (through
# /work/ref/capture2.sh, holding /tmp/refcapture.lock); the capture's SIPp
# steps run against chan_sip (127.0.0.1:5060) and then chan_pjsip
# (127.0.0.1:5070) through sip-scenarios/run.sh, and the instance is stopped.
#
# For every step and variant (chan_sip|pjsip) it writes, in the output dir:
#   <step>.<variant>.sip.log   SIPp -trace_msg log (raw, the reference)
#   <step>.<variant>.flow      sip-scenarios/flow.py of it
# and per capture <capture>.messages.log: what the instance logged
# (messages.log, verbose 3) while the steps ran.
#
# Environment: SIP_GOLDEN_DIR (output dir; default next to this script),
# SIP_CONFIG_DIR (default compat-configs/sipcalls), VARIANTS (default
# "chan_sip pjsip"), ATTEMPTS (a failed capture is retried on a fresh
# instance, up to this many times in all; default 3).
# Exit status nonzero if any step failed (its logs are written all the same).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cfg=${SIP_CONFIG_DIR:-$repo/compat-configs/sipcalls}
outdir=${SIP_GOLDEN_DIR:-$here}
scen=$repo/sip-scenarios
PREFIX=${ASTERISK_PREFIX:-/work/ref/install}
AST=$PREFIX/sbin/asterisk
CAPTURES="register register_badpass invite_playback invite_bye invite_ipauth
          busy congestion unknown_ext invite_badpass dial cancel dtmf_ivr hold load
          malformed register_out dial_auth dial_contacts session_timer session_refresh session_expire
          session_update subscribe mwi hint_gone"

# Per-variant parameters: target, two authenticated users, the
# address-identified peer (source port 5099).
variant() {
    case $1 in
        chan_sip) T=127.0.0.1:5060; U1=1000; P1=s3cret1000; U2=1001; P2=s3cret1001; IPU=1099
                  TRUNK=620; TU=5000; TP=trunkpass5000
                  MW1=1002; MWP1=s3cret1002; MW2=1003; MWP2=s3cret1003 ;;
        pjsip)    T=127.0.0.1:5070; U1=2000; P1=s3cret2000; U2=2001; P2=s3cret2001; IPU=2099
                  TRUNK=621; TU=6000; TP=trunkpass6000
                  MW1=2002; MWP1=s3cret2002; MW2=2003; MWP2=s3cret2003 ;;
        *) echo "unknown variant $1" >&2; return 1 ;;
    esac
}

# step <name> <scenario> [sipp args]: one sipp run; its log is <name>.<variant>
step() {
    local name=$1 sc=$2; shift 2
    echo "  $name.$V: sipp $T -sf $sc.xml $*" >&2
    "$scen/run.sh" -o "$work/out" -n "$name.$V" "$sc" "$T" "$@" || failed=1
}
# UAC (caller U1, port 5062, media 26000)
uac() { local name=$1 sc=$2; shift 2
        step "$name" "$sc" -key user "$U1" -au "$U1" -ap "$P1" -p 5062 -mp 26000 "$@"; }

steps_register()         { uac register register; }
steps_register_badpass() { uac register_badpass register_badpass -ap wrongpass; }
steps_invite_playback()  { uac invite_playback invite_playback -s 600; }
steps_invite_bye()       { uac invite_bye invite_bye -s 700; }
steps_invite_ipauth()    { step invite_ipauth invite_ipauth -s 601 -key user "$IPU" -p 5099 -mp 26000; }
steps_busy()             { uac busy invite_reject -s 602; }
steps_congestion()       { uac congestion invite_reject -s 603; }
steps_unknown_ext()      { uac unknown_ext invite_reject -s 999; }
steps_invite_badpass()   { uac invite_badpass invite_badpass -s 600 -ap wrongpass; }
steps_dtmf_ivr()         { uac dtmf_ivr dtmf_ivr -s 610; }
steps_hold()             { uac hold hold -s 700; }
steps_session_timer()    { uac session_timer session_timer -s 700; }
steps_session_refresh()  { SIPP_TIMEOUT=90 uac session_refresh session_refresh -s 700; }
steps_session_expire()   { SIPP_TIMEOUT=90 uac session_expire session_expire -s 700; }
steps_session_update()   { uac session_update session_update -s 700; }
steps_load()             { step load load_uac -s 600 -key user "$IPU" -p 5099 -mp 26000; }
# outbound registration (compat-configs/sipreg): the registrars (SIPp UASs
# on 5064 for chan_sip, 5065 for pjsip) listen before the instance boots,
# since both drivers register at once on start.
pre_register_out() {
    "$scen/run.sh" -o "$work/out" -n register_out.chan_sip registrar_uas 127.0.0.1:5060 \
        -p 5064 -key user 3000 -key password trunkpass3000 &
    uas_chan_sip=$!
    "$scen/run.sh" -o "$work/out" -n register_out.pjsip registrar_uas 127.0.0.1:5070 \
        -p 5065 -key user 4000 -key password trunkpass4000 &
    uas_pjsip=$!
    sleep 1
}
steps_register_out() { local pid=uas_$V; wait "${!pid}" || failed=1; }
config_register_out=$repo/compat-configs/sipreg
# malformed datagrams from the address-identified peer's port (no SIPp)
steps_malformed() {
    echo "  malformed.$V: malformed.py $T $IPU" >&2
    python3 "$scen/malformed.py" "$T" "$IPU" >"$work/out/malformed.$V.txt" || failed=1
}
# two SIPp UAs: U2 registers from port 5063, a UAS runs there, U1 calls U2
# (or the extension given)
two_party() { # <capture> <uas scenario> <uac scenario> [extension]
    local pid
    step "$1_register" register_only -key user "$U2" -key expires 120 -au "$U2" -ap "$P2" -p 5063
    "$scen/run.sh" -o "$work/out" -n "$1_uas.$V" "$2" "$T" -key user "$U2" -p 5063 -mp 26100 &
    pid=$!
    echo "  $1_uas.$V: sipp $T -sf $2.xml -key user $U2 -p 5063 -mp 26100 (background)" >&2
    sleep 1
    uac "$1_uac" "$3" -s "${4:-$U2}"
    wait $pid || failed=1
    step "$1_unregister" register_only -key user "$U2" -key expires 0 -au "$U2" -ap "$P2" -p 5063
}
# U1 calls a trunk (a SIPp UAS on 5066) that challenges the PBX's INVITE
# with 401 (dial_auth, auth_uas.xml) and then with 407 (dial_proxyauth,
# proxyauth_uas.xml)
trunk_call() { # <step> <uas scenario>
    local pid
    "$scen/run.sh" -o "$work/out" -n "$1_uas.$V" "$2" "$T" -p 5066 -mp 26100 \
        -key user "$TU" -key password "$TP" &
    pid=$!
    echo "  $1_uas.$V: sipp $T -sf $2.xml -p 5066 (background)" >&2
    sleep 1
    uac "$1_uac" dial_uac -s "$TRUNK"
    wait $pid || failed=1
}
steps_dial_auth() {
    trunk_call dial_auth auth_uas
    trunk_call dial_proxyauth proxyauth_uas
}
subscriber() { # <step> <port> <event> <accept>: subscribe.xml to 1060, in the background
    "$scen/run.sh" -o "$work/out" -n "$1.$V" subscribe "$T" -s 1060 -key user "$U2" \
        -key event "$3" -key accept "$4" -au "$U2" -ap "$P2" -p "$2" &
    echo "  $1.$V: sipp $T -sf subscribe.xml -s 1060 -key event $3 -key accept $4 -p $2 (background)" >&2
}
steps_subscribe() {
    local p1 p2 p3
    subscriber subscribe_dialog 5063 dialog application/dialog-info+xml; p1=$!
    subscriber subscribe_pidf 5064 presence application/pidf+xml; p2=$!
    subscriber subscribe_xpidf 5065 presence application/xpidf+xml; p3=$!
    sleep 1
    uac subscribe_call invite_playback -s 1061
    wait $p1 || failed=1
    wait $p2 || failed=1
    wait $p3 || failed=1
    step subscribe_nohint subscribe_refused -s 1061 -key user "$U2" -key event dialog \
        -key accept application/dialog-info+xml -au "$U2" -ap "$P2" -p 5063
    step subscribe_badevent subscribe_refused -s 1060 -key user "$U2" -key event x-unknown \
        -key accept application/x-unknown -au "$U2" -ap "$P2" -p 5063
}
# message waiting (compat-configs/sipmwi): MW1 is told of its mailbox
# unasked once registered (mwi_phone.xml from 5063, SIPp answering the
# out-of-dialog NOTIFYs itself) while U1 leaves it a message (8<box>); MW2
# registers from 5064, subscribes to message-summary and is told of the
# message U1 leaves it, then unsubscribes and unregisters.
config_mwi=$repo/compat-configs/sipmwi
steps_mwi() {
    local pid
    "$scen/run.sh" -o "$work/out" -n "mwi_unsolicited.$V" mwi_phone "$T" -key user "$MW1" \
        -au "$MW1" -ap "$MWP1" -p 5063 -aa -d 9000 &
    pid=$!
    echo "  mwi_unsolicited.$V: sipp $T -sf mwi_phone.xml -key user $MW1 -p 5063 -aa -d 9000 (background)" >&2
    sleep 1
    uac mwi_leave1 voicemail_short_uac -s "8$MW1"
    # chan_sip's record of the last NOTIFY (lastmsgssent), while the
    # phone is registered and once it is not
    [ "$V" = chan_sip ] && "$AST" -C "$conf" -rx "sip show peer $MW1" >"$work/out/mwi_peer_registered.txt"
    wait $pid || failed=1
    [ "$V" = chan_sip ] && "$AST" -C "$conf" -rx "sip show peer $MW1" >"$work/out/mwi_peer_unregistered.txt"
    step mwi_register register_only -key user "$MW2" -key expires 120 -au "$MW2" -ap "$MWP2" -p 5064
    "$scen/run.sh" -o "$work/out" -n "mwi_subscribe.$V" mwi_subscribe "$T" -s "$MW2" -key user "$MW2" \
        -au "$MW2" -ap "$MWP2" -p 5064 &
    pid=$!
    echo "  mwi_subscribe.$V: sipp $T -sf mwi_subscribe.xml -s $MW2 -key user $MW2 -p 5064 (background)" >&2
    sleep 1
    uac mwi_leave2 voicemail_short_uac -s "8$MW2"
    wait $pid || failed=1
    step mwi_unregister register_only -key user "$MW2" -key expires 0 -au "$MW2" -ap "$MWP2" -p 5064
}
# a hint that goes away under two watchers (dialog from 5063, pidf from
# 5064): first `dialplan remove extension 1060@internal` (the hint's
# watchers are told it is deactivated), then the hint restored; then a
# dialplan reload of an extensions.conf without it (removed), and the
# file and dialplan restored.
gone_watchers() { # <step prefix>; starts both in the background, pids in $w1 $w2
    "$scen/run.sh" -o "$work/out" -n "$1_dialog.$V" subscribe_removed "$T" -s 1060 -key user "$U2" \
        -key event dialog -key accept application/dialog-info+xml -au "$U2" -ap "$P2" -p 5063 &
    w1=$!
    "$scen/run.sh" -o "$work/out" -n "$1_pidf.$V" subscribe_removed "$T" -s 1060 -key user "$U2" \
        -key event presence -key accept application/pidf+xml -au "$U2" -ap "$P2" -p 5064 &
    w2=$!
    echo "  $1_dialog.$V, $1_pidf.$V: sipp $T -sf subscribe_removed.xml -s 1060 (background)" >&2
    sleep 1
}
steps_hint_gone() {
    local etc=${conf%/asterisk.conf} w1 w2
    gone_watchers hint_deactivated
    "$AST" -C "$conf" -rx "dialplan remove extension 1060@internal" >&2
    wait $w1 || failed=1
    wait $w2 || failed=1
    "$AST" -C "$conf" -rx "dialplan add extension 1060,hint,Custom:blf1060 into internal" >&2
    gone_watchers hint_removed
    cp "$etc/extensions.conf" "$work/extensions.conf"
    grep -v '^exten => 1060,hint' "$work/extensions.conf" >"$etc/extensions.conf"
    "$AST" -C "$conf" -rx "dialplan reload" >&2
    wait $w1 || failed=1
    wait $w2 || failed=1
    cp "$work/extensions.conf" "$etc/extensions.conf"
    "$AST" -C "$conf" -rx "dialplan reload" >&2
}
steps_dial()   { two_party dial dial_uas dial_uac; }
steps_cancel() { two_party cancel cancel_uas cancel_uac; }
# pjsip only (VARIANTS=pjsip): 2100 dials ${PJSIP_DIAL_CONTACTS(2001)}
steps_dial_contacts() { two_party dial_contacts dial_uas dial_uac 2100; }

# One instance, all variants of one capture. Runs with the lock held.
capture_once() {
    local name=$1 cmds out cap pid conf i log lines
    work=$(mktemp -d /tmp/sipcap.XXXXXX)
    cmds=$work/cmds; out=$work/rx
    mkdir -p "$work/out"
    { echo 'core waitfullybooted'; for i in $(seq 1 300); do echo '#sleep 1'; done; } >"$cmds"
    : >"$out"
    declare -F "pre_$name" >/dev/null && "pre_$name"
    local cfgvar=config_$name
    /work/ref/capture2.sh "${!cfgvar:-$cfg}" "$cmds" "$out" 2>"$work/capture2.stderr" &
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
    failed=0
    for V in ${VARIANTS:-chan_sip pjsip}; do
        variant "$V" || { failed=1; continue; }
        "steps_$name"
        sleep 1
    done
    [ -f "$log" ] && tail -n +"$((lines + 1))" "$log" >"$work/out/$name.messages.log"
    kill -TERM "$cap" 2>/dev/null
    wait "$cap" 2>/dev/null
    for f in "$work"/out/*.sip.log; do
        [ -e "$f" ] || continue
        python3 "$scen/flow.py" "$f" >"${f%.sip.log}.flow"
    done
    # a failed attempt is kept only if it is the last one
    if [ $failed = 0 ] || [ "$attempt" = "$attempts" ]; then
        mkdir -p "$outdir"
        cp "$work"/out/*.sip.log "$work"/out/*.flow "$work"/out/*.txt "$work/out/$name.messages.log" "$outdir"/ 2>/dev/null
        for f in "$work"/out/*.err.log; do
            [ -e "$f" ] && cp "$f" "$outdir"/
        done
    fi
    rm -rf "$work"
    return $failed
}

[ $# -ge 1 ] || { echo "usage: $0 <capture>...|all  (captures: $(echo $CAPTURES))" >&2; exit 2; }
[ "$1" = all ] && set -- $CAPTURES
rc=0
for c in "$@"; do
    declare -F "steps_$c" >/dev/null || { echo "no capture $c" >&2; rc=2; continue; }
    echo "$c:" >&2
    attempts=${ATTEMPTS:-3}
    for attempt in $(seq 1 "$attempts"); do
        ( flock 9; capture_once "$c" ) 9>/tmp/refcapture.lock && break
        if [ "$attempt" = "$attempts" ]; then
            echo "$c: FAILED (the logs of the last attempt are kept)" >&2; rc=1
        else
            echo "$c: attempt $attempt failed; retrying" >&2
        fi
    done
done
exit $rc
