#!/bin/bash
# Re-captures golden/asterisk-20.20.1/funcs/<family>.log from the reference
# Asterisk 20.20.1 (see golden/README.md): runs compat-configs/funcs with
#   channel originate Local/s@f-<family> application NoOp
# and keeps the `full` log lines of the call (its call id, and dial.c's
# `Called`), date and thread id normalised.
set -eu
family=$1
here=$(cd "$(dirname "$0")" && pwd)
cfg=$(cd "$here/../../../compat-configs/funcs" && pwd)
[ -f "$cfg/families/$family.conf" ] || { echo "no family $family" >&2; exit 2; }
cmds=$(mktemp)
out=$(mktemp)
keep=$(mktemp)
printf 'channel originate Local/s@f-%s application NoOp\n#sleep 2\n' "$family" >"$cmds"
CAPTURE_KEEP=1 flock /tmp/refcapture.lock /work/ref/capture2.sh "$cfg" "$cmds" "$out" 2>"$keep"
tmp=$(sed -n 's/^capture.sh: temp dir kept: //p' "$keep")
{
    echo "; Asterisk 20.20.1, logger 'full' channel, compat-configs/funcs running"
    echo ";   channel originate Local/s@f-$family application NoOp"
    echo "; Normalised: date -> [DATE], thread id -> [TID]."
    sed -n '/dial\.c: Called/,$p' "$tmp/log/full" |
        sed -E 's/^\[[^]]*\] ([A-Z]+)\[[0-9]+\]/[DATE] \1[TID]/' |
        grep -E '\]\[C-|dial\.c: Called'
} >"$here/$family.log"
rm -rf "$tmp" "$cmds" "$out" "$keep"
echo "wrote $here/$family.log"
