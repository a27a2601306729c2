#!/bin/bash
# capture.sh <name>|all
#
# Re-captures golden/asterisk-20.20.1/ami/<name>.rx from the reference
# Asterisk 20.20.1 (/work/ref/install): for each scenario a fresh instance
# boots on a private copy of compat-configs/ami (through
# /work/ref/capture2.sh, holding /tmp/refcapture.lock), capture.py plays
# <name>.scenario against 127.0.0.1:5038, and the instance is stopped.
# A failed play (a `wait` timing out, ...) is retried up to 3 times.
# Environment: AMI_RX_DIR (where the .rx go; default next to this script),
# AMI_CONFIG_DIR (config dir; default compat-configs/<the scenario's
# `# config: <name>` line, else ami>), ATTEMPTS (3), AMI_SIPP_OUT (keep the
# SIPp traces of `sipp` lines there), AMI_SCENARIO_DIR (where <name>.scenario
# is; default next to this script), AMI_LOG_OUT (copy the instance's
# cdr-csv log directory to <AMI_LOG_OUT>/<name>.cdr-csv once it stopped,
# its queue_log and, when it holds verbose lines, its messages log as
# <name>.queue_log and <name>.messages.log),
# AMI_MONITOR_OUT (copy the instance's monitor spool directory, where
# MixMonitor records, to <AMI_MONITOR_OUT>/<name>.monitor once it stopped).
# A scenario with a `# build: test-framework` line runs on a reference
# built with the TEST_FRAMEWORK compile option instead (its TestEvents):
# ASTERISK_TEST_PREFIX (default /work/ref-test/install); the script
# refuses an install without it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
configs=$(cd "$here/../../../compat-configs" && pwd)
PREFIX=${ASTERISK_PREFIX:-/work/ref/install}
TEST_PREFIX=${ASTERISK_TEST_PREFIX:-/work/ref-test/install}
PORT=5038
# AMI_RX_DIR: write the .rx files elsewhere (e.g. to compare two runs)
outdir=${AMI_RX_DIR:-$here}
scenarios=${AMI_SCENARIO_DIR:-$here}

[ $# -eq 1 ] || { echo "usage: $0 <name>|all" >&2; exit 2; }

# "chan_sip=<host:port> pjsip=<host:port>" from sip.conf's udpbindaddr and
# the first pjsip.conf bind (either may be missing).
sip_targets() {
    local cfg=$1 t
    t=$(sed -n 's/^[[:space:]]*udpbindaddr[[:space:]]*=[[:space:]]*\([^[:space:];]*\).*/\1/p' "$cfg/sip.conf" 2>/dev/null | head -n 1)
    [ -n "$t" ] && printf 'chan_sip=%s ' "$t"
    t=$(sed -n 's/^[[:space:]]*bind[[:space:]]*=[[:space:]]*\([^[:space:];]*\).*/\1/p' "$cfg/pjsip.conf" 2>/dev/null | head -n 1)
    [ -n "$t" ] && printf 'pjsip=%s' "$t"
}

# One instance, one play. Runs with the lock held.
play_once() {
    local name=$1 rx=$2
    local work cmds out cap pid conf status i cfg
    cfg=$(sed -n 's/^# config: *//p' "$scenarios/$name.scenario" | head -n 1)
    cfg=${AMI_CONFIG_DIR:-$configs/${cfg:-ami}}
    # the reference build: the regular one, or one with TEST_FRAMEWORK
    # (its build options, compiled into the binary, name it)
    local prefix=$PREFIX
    if grep -q '^# build: *test-framework' "$scenarios/$name.scenario"; then
        prefix=$TEST_PREFIX
        if ! grep -aq 'TEST_FRAMEWORK' "$prefix/sbin/asterisk" 2>/dev/null; then
            echo "$name: $prefix/sbin/asterisk is not built with TEST_FRAMEWORK" >&2
            return 1
        fi
    fi
    local AST=$prefix/sbin/asterisk
    work=$(mktemp -d /tmp/amicap.XXXXXX)
    cmds=$work/cmds
    out=$work/out
    # The instance lives as long as capture2.sh works through these lines;
    # it is stopped early (TERM to capture2.sh, which then stops Asterisk
    # within a second) once the player is done.
    { echo 'core waitfullybooted'; for i in $(seq 1 180); do echo '#sleep 1'; done; } >"$cmds"
    : >"$out"
    # AMI_LOG_OUT: keep the instance's directory past its stop (its logs
    # are written until then)
    local keep=
    [ -n "${AMI_LOG_OUT:-}${AMI_MONITOR_OUT:-}" ] && keep=1
    CAPTURE_KEEP=$keep ASTERISK_PREFIX=$prefix \
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
    # cdr_csv writes into <astlogdir>/cdr-csv but does not create it (an
    # install does)
    [ -n "${AMI_LOG_OUT:-}" ] && mkdir -p "$(dirname "$(dirname "$conf")")/log/cdr-csv"
    # `sipp` lines target the config's chan_sip and pjsip UDP listeners
    AMI_SIPP_TARGETS=$(sip_targets "$cfg") \
        python3 "$here/capture.py" "$scenarios/$name.scenario" "$PORT" "$rx" "$AST -C $conf -rx"
    status=$?
    kill -TERM "$cap" 2>/dev/null
    wait "$cap" 2>/dev/null
    if [ -n "$keep" ]; then
        # $conf is <tmp>/etc/asterisk.conf; the logs are in <tmp>/log, the
        # recordings in <tmp>/spool/monitor
        local top
        top=$(dirname "$(dirname "$conf")")
        if [ -n "${AMI_LOG_OUT:-}" ]; then
            rm -rf "$AMI_LOG_OUT/$name.cdr-csv"
            [ $status -eq 0 ] && [ -d "$top/log/cdr-csv" ] && cp -r "$top/log/cdr-csv" "$AMI_LOG_OUT/$name.cdr-csv"
            # app_queue's queue_log (when something wrote it)
            rm -f "$AMI_LOG_OUT/$name.queue_log"
            [ $status -eq 0 ] && [ -f "$top/log/queue_log" ] && cp "$top/log/queue_log" "$AMI_LOG_OUT/$name.queue_log"
            # the messages log, when the config logs verbose messages to it
            # (the prompts played: sip_queue_announce)
            rm -f "$AMI_LOG_OUT/$name.messages.log"
            [ $status -eq 0 ] && [ -f "$top/log/messages" ] && grep -q 'VERBOSE\[' "$top/log/messages" \
                && cp "$top/log/messages" "$AMI_LOG_OUT/$name.messages.log"
        fi
        if [ -n "${AMI_MONITOR_OUT:-}" ]; then
            rm -rf "$AMI_MONITOR_OUT/$name.monitor"
            [ $status -eq 0 ] && [ -d "$top/spool/monitor" ] && cp -r "$top/spool/monitor" "$AMI_MONITOR_OUT/$name.monitor"
        fi
        rm -rf "$top"
    fi
    rm -rf "$work"
    return $status
}

capture() {
    local name=$1 attempt tmp
    [ -f "$scenarios/$name.scenario" ] || { echo "no scenario $name" >&2; return 2; }
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
    mv "$tmp" "/tmp/amicap-$name.partial"
    echo "$name: no complete capture (partial transcript: /tmp/amicap-$name.partial)" >&2
    return 1
}

if [ "$1" = all ]; then
    rc=0
    for s in "$scenarios"/*.scenario; do
        capture "$(basename "$s" .scenario)" || rc=1
    done
    exit $rc
fi
capture "$1"
