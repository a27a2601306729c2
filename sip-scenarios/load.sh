#!/bin/sh
# Load test of Asterism (and, with --asterisk <prefix>, of a reference
# Asterisk in the same run): see load.py for what is measured and how.
#   sip-scenarios/load.sh [--asterisk /path/to/prefix] [--case media] ...
exec python3 "$(dirname "$0")/load.py" "$@"
