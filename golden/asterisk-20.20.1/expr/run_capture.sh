#!/bin/bash
# Re-capture the Asterisk 20.20.1 expression results:
#   cases.txt -> config/extensions.conf -> reference Asterisk -> cli.txt + full.log
# Needs the reference install and /work/ref/capture.sh (see golden/README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/make_config.py" "$here/cases.txt" "$here/config" "$here/nochan_cases.txt"
out=$(mktemp)
keep=$(mktemp)
CAPTURE_KEEP=1 flock /tmp/refcapture.lock /work/ref/capture.sh \
    "$here/config" "$here/commands.txt" "$out" 2>"$keep"
tmp=$(sed -n 's/^capture.sh: temp dir kept: //p' "$keep")
grep -q '^   DONE=1$' "$out" || { echo "dialplan did not finish; output in $out" >&2; exit 1; }
mv "$out" "$here/cli.txt"
cp "$tmp/log/full" "$here/full.log"
rm -rf "$tmp" "$keep"
