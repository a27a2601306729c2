#!/bin/bash
# Re-captures golden/asterisk-20.20.1/funcs/<family>.log from the reference
# Asterisk 20.20.1 (see golden/README.md): runs the config that holds the
# family (compat-configs/funcs, or compat-configs/funcs-sip for the SIP
# ones) with
#   channel originate Local/s@f-<family> application NoOp
# and keeps the `full` log lines of the call (its call id, and dial.c's
# `Called`), date and thread id normalised. The test compares the call's
# lines in order and the `Called` line apart.
set -eu
family=$1
here=$(cd "$(dirname "$0")" && pwd)
cfg=
for c in funcs funcs-sip; do
    d=$(cd "$here/../../../compat-configs/$c" && pwd)
    [ -f "$d/families/$family.conf" ] && cfg=$d
done
[ -n "$cfg" ] || { echo "no family $family" >&2; exit 2; }
cmds=$(mktemp)
out=$(mktemp)
keep=$(mktemp)
# A family whose call runs longer than 2 s says how long to wait with a
# line `; capture-sleep: N`.
wait=$(sed -n 's/^; capture-sleep: \([0-9][0-9]*\)$/\1/p' "$cfg/families/$family.conf" | head -1)
printf 'channel originate Local/s@f-%s application NoOp\n#sleep %s\n' "$family" "${wait:-2}" >"$cmds"
# A capture that looks cut short (the log ends before the run does) is
# retried.
for attempt in 1 2 3; do
    CAPTURE_KEEP=1 flock /tmp/refcapture.lock /work/ref/capture2.sh "$cfg" "$cmds" "$out" 2>"$keep"
    tmp=$(sed -n 's/^capture.sh: temp dir kept: //p' "$keep")
    # The call's messages with their continuation lines, and dial.c's
    # `Called` (logged by another thread, so it may come before or after
    # the first of them). DumpChan's unique ids hold the channel's
    # creation time: masked.
    body=$(sed -E -e 's/^\[[^]]*\] ([A-Z]+)\[[0-9]+\]/[DATE] \1[TID]/' \
        -e 's/(Channel will hangup at ).*\.$/\1[TIME]./' \
        -e 's/^((UniqueID|LinkedID)= +).*$/\1[ID]/' "$tmp/log/full" |
        awk '/^\[DATE\] [A-Z]+\[TID\]/ { keep = ($0 ~ /\]\[C-|dial\.c: Called/) } keep')
    # Complete when the first priority run is 1, each step within an
    # extension goes to the next priority unless the step before was a
    # jump, and the run ended.
    if printf '%s\n' "$body" | python3 -c '
import re, sys
# Each channel by itself: a Local callee runs beside the caller.
steps = re.findall(r"Executing \[([^\]]+):(\d+)\] (\w+)\(\"([^\"]*)\"", sys.stdin.read())
steps = [(c + " " + chan, p, app) for c, p, app, chan in steps]
jumps = ("goto", "gotoif", "gotoiftime", "gosub", "gosubif", "return", "macro",
         "macroif", "macroexit", "execif", "while", "endwhile", "exitwhile",
         "continuewhile", "exec", "tryexec", "stackpop", "raiseexception",
         "if", "elseif", "else", "endif", "exitif")
ok = bool(steps) and steps[0][1] == "1"
for (c1, p1, app), (c2, p2, _) in zip(steps, steps[1:]):
    if c1 == c2 and int(p2) != int(p1) + 1 and app.lower() not in jumps:
        ok = False
sys.exit(0 if ok else 1)' && printf '%s\n' "$body" | grep -q 'Spawn extension\|Auto fallthrough'; then
        break
    fi
    echo "attempt $attempt: the reference log is incomplete; retrying" >&2
    rm -rf "$tmp"
    tmp=
    : >"$out"
done
[ -n "$tmp" ] || { echo "no complete capture" >&2; exit 1; }
{
    echo "; Asterisk 20.20.1, logger 'full' channel, compat-configs/${cfg##*/} running"
    echo ";   channel originate Local/s@f-$family application NoOp"
    echo "; Normalised: date -> [DATE], thread id -> [TID], hangup time -> [TIME]."
    if printf '%s\n' "$body" | grep -q '^UniqueID= '; then
        echo "; DumpChan's UniqueID and LinkedID -> [ID]."
    fi
    printf '%s\n' "$body"
} >"$here/$family.log"
rm -rf "$tmp" "$cmds" "$out" "$keep"
echo "wrote $here/$family.log"
