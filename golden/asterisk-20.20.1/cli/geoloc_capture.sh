#!/bin/bash
# geoloc_capture.sh
#
# Re-captures geoloc.txt, geoloc_noload.txt and their .messages.log files
# from the reference Asterisk 20.20.1 (/work/ref/install, through
# /work/ref/capture.sh) for tests/configs/geoloc, and for the same
# configuration with tests/configs/geoloc-noload/modules.conf over it.
# The .messages.log files keep only the lines of res_geolocation, of the
# pjsip endpoint check and of sorcery/config_options about those objects,
# without the date and with the thread id written PID. Run from the
# repository's root. Takes /tmp/refcapture.lock itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
capture=${CAPTURE:-/work/ref/capture.sh}
exec 9>/tmp/refcapture.lock
flock 9
work=$(mktemp -d /tmp/geoloc-capture.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$repo/tests/configs/geoloc" "$work/cfg"
cp -a "$repo/tests/configs/geoloc" "$work/cfg-noload"
cp "$repo/tests/configs/geoloc-noload/modules.conf" "$work/cfg-noload/"

run() { # <config dir> <cmds> <golden stem>
    local out=$here/$3.txt keep
    {
        echo "# Asterisk 20.20.1 output for tests/configs/$3 (see golden/README.md), captured with $(basename "$0")."
        echo "# Normalised: the capture's random temp dir name /tmp/astcap.?????? is written /tmp/astcap.XXXXXX (same length)."
    } >"$out"
    CAPTURE_KEEP=1 "$capture" "$1" "$2" "$work/$3.raw" 2>"$work/$3.keep"
    keep=$(sed -n 's/^capture.sh: temp dir kept: //p' "$work/$3.keep")
    sed -E 's#/tmp/astcap\.[A-Za-z0-9]{6}#/tmp/astcap.XXXXXX#g' "$work/$3.raw" >>"$out"
    # The relevant lines, and the empty line Asterisk logs after a
    # message that ends in its own line break.
    awk '
        keep && $0 == "" { print; next }
        { keep = 0 }
        /geoloc_config\.c:|pjsip_configuration\.c:.*geoloc|type .(location|profile|endpoint). with id|config_options\.c: (Error parsing|Could not find option)/ {
            sub(/^\[[^]]*\] /, ""); sub(/\[[0-9]+\]/, "[PID]"); print; keep = 1
        }
    ' "$keep/log/messages" >"$here/$3.messages.log"
    rm -rf "$keep"
}
run "$work/cfg" "$here/geoloc.cmds" geoloc
run "$work/cfg-noload" "$here/geoloc_noload.cmds" geoloc_noload
