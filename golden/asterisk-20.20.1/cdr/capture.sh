#!/bin/bash
# capture.sh <name>|all
#
# Re-captures the CDR goldens of one scenario (or all) from the reference
# Asterisk 20.20.1 through ../ami/capture.sh: <name>.rx (the AMI session,
# Cdr events included) and <name>.cdr-csv/ (the instance's cdr-csv log
# directory after it stopped). Run from the repository's root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 <name>|all" >&2; exit 2; }
export AMI_SCENARIO_DIR=$here
export AMI_RX_DIR=${AMI_RX_DIR:-$here}
export AMI_LOG_OUT=${AMI_LOG_OUT:-$AMI_RX_DIR}
exec "$here/../ami/capture.sh" "$1"
