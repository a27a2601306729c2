#!/bin/bash
# warnings_capture.sh
#
# Re-captures warnings.messages.log: the lines pbx_config.c, pbx.c and
# pbx_timing.c log into the `messages` channel of the reference Asterisk
# 20.20.1 (/work/ref/install, through /work/ref/capture2.sh) while it loads
# tests/configs/dialplan-warnings and again on `dialplan reload`
# (warnings.cmds), without the date and with the thread id written PID.
# Run from the repository's root. Takes /tmp/refcapture.lock itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d /tmp/dpwarn-capture.XXXXXX)
trap 'rm -rf "$work"' EXIT
CAPTURE_KEEP=1 flock /tmp/refcapture.lock /work/ref/capture2.sh \
    "$repo/tests/configs/dialplan-warnings" "$here/warnings.cmds" "$work/out" 2>"$work/keep"
keep=$(sed -n 's/^capture.sh: temp dir kept: //p' "$work/keep")
{
    echo "; Asterisk 20.20.1, logger 'messages' channel, loading tests/configs/dialplan-warnings"
    echo "; and then 'dialplan reload' (warnings_capture.sh). Only pbx_config.c, pbx.c and"
    echo "; pbx_timing.c lines; normalised: no date, thread id -> PID."
    grep -E '\] [A-Z]+\[[0-9]+\] (pbx_config|pbx|pbx_timing)\.c: ' "$keep/log/messages" |
        sed -E 's/^\[[^]]*\] //; s/\[[0-9]+\]/[PID]/'
} >"$here/warnings.messages.log"
rm -rf "$keep"
