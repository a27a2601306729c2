#!/bin/bash
# run.sh [-o OUTDIR] [-n NAME] <scenario> <target host:port> [extra sipp args]
#
# Runs one SIPp scenario against a SIP server, bounded in calls and time,
# with every SIP message traced, and exits nonzero if the scenario failed.
#
#   <scenario>   a file, or the name of a scenario in this directory
#                (`register` = sip-scenarios/register.xml), or of a Python
#                phone here (`phone_atxfer` = phone_atxfer.py: same
#                arguments, same trace file)
#   -o OUTDIR    where the traces go (default: $SIPP_OUT, else ./sipp-out)
#   -n NAME      base name of the trace files (default: the scenario name)
#
# Writes, in OUTDIR:
#   NAME.sip.log      SIPp -trace_msg: every SIP message sent and received
#   NAME.err.log      SIPp -trace_err: unexpected messages, errors
#   NAME.screen.log   SIPp's final statistics screen (stdout)
#
# Defaults (any of them can be overridden by the extra args, which come last
# on the sipp command line): -m 1 (one call), -timeout ${SIPP_TIMEOUT:-30}s
# -timeout_error (a run that reaches the global timeout fails), -i 127.0.0.1,
# -nostdin. The wrapper also kills sipp (and fails) if it is still running
# 10 s after the global timeout.
#
# Exit status: sipp's (0 = every call succeeded; 1 = some call failed;
# 97/99/255 = aborted, no call processed, fatal), 124 if it had to be killed,
# 2 for a usage error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${SIPP_OUT:-./sipp-out}
name=
while [ $# -gt 0 ]; do
    case $1 in
        -o) out=$2; shift 2 ;;
        -n) name=$2; shift 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "usage: $0 [-o OUTDIR] [-n NAME] <scenario> <host:port> [extra sipp args]" >&2
    exit 2
fi
scen=$1; target=$2; shift 2
# A phone SIPp cannot play (several dialogs at once) is a Python script
# taking the same arguments, traced alike.
if [ -f "$here/$scen.py" ]; then
    [ -n "$name" ] || name=$scen
    mkdir -p "$out" || exit 2
    timeout --kill-after=5 "${SIPP_TIMEOUT:-30}" \
        python3 "$here/$scen.py" "$target" "$@" --trace "$out/$name.sip.log" \
        >"$out/$name.screen.log" 2>&1 </dev/null
    rc=$?
    [ $rc -eq 0 ] || { echo "run.sh: $name against $target failed (exit $rc); see $out/$name.*.log" >&2; tail -n 5 "$out/$name.screen.log" >&2; }
    exit $rc
fi
if [ ! -f "$scen" ]; then
    if [ -f "$here/$scen.xml" ]; then scen=$here/$scen.xml
    elif [ -f "$here/$scen" ]; then scen=$here/$scen
    else echo "run.sh: no such scenario: $scen" >&2; exit 2
    fi
fi
[ -n "$name" ] || name=$(basename "$scen" .xml)
command -v sipp >/dev/null || { echo "run.sh: sipp not found (apt-get install sip-tester)" >&2; exit 2; }
mkdir -p "$out" || exit 2
timeout_s=${SIPP_TIMEOUT:-30}
log=$out/$name.sip.log
err=$out/$name.err.log
screen=$out/$name.screen.log
rm -f "$log" "$err" "$screen"

# extra args come last so that they override the defaults (-m, -timeout, ...)
timeout --kill-after=5 $((timeout_s + 10)) \
    sipp "$target" -sf "$scen" \
        -i 127.0.0.1 -nostdin -m 1 \
        -timeout "${timeout_s}s" -timeout_error \
        -trace_msg -message_file "$log" \
        -trace_err -error_file "$err" \
        "$@" >"$screen" 2>&1 </dev/null
rc=$?
[ -s "$err" ] || rm -f "$err"
if [ $rc -ne 0 ]; then
    echo "run.sh: $name against $target failed (sipp exit $rc); see $out/$name.*.log" >&2
    [ -f "$err" ] && tail -n 20 "$err" >&2
fi
exit $rc
