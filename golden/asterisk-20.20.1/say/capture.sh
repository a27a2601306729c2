#!/bin/bash
# capture.sh -- captures which prompts the reference Asterisk 20.20.1
# (/work/ref/install) plays for SayNumber, SayOrdinal and SayMoney in
# several languages, into say.table next to this script.
#
# Only English prompts are installed with the reference, so the instance
# gets a private sounds tree: every name the number rules may ask for
# (digits/<n> for n up to 1000 with the suffixes F, M, N, E, S, C, W,
# their lower case, z, a, kvk, hk and -and, Greek's digits/-<n> for the
# negative numbers asked,
# the h- ordinals, the unit words, ...) as a link to one 20 ms wav file,
# and every language directory a link to that one tree. A language rule
# asking for a name outside that set shows up as a "does not exist" line.
#
# One instance boots through /work/ref/capture2.sh on a minimal config
# (holding /tmp/refcapture.lock while it runs), the sounds tree replaces
# its data dir's sounds link, and one Local channel per language runs a
# generated context: Set(CHANNEL(language)=<lang>), then for every case a
# NoOp marker and the Say application. say.table is then built from the
# instance's messages.log (verbose 3): per case, the prompts played
# (`Playing '<file>.<fmt>'`) and the warnings logged, in order.
#
# Output lines (tab separated):
#   <language> <application(args)> <prompts joined by &> <warnings joined by " | ">
# Also keeps the raw log lines of the second instance's calls as
# say.missing.messages.log; the first instance's (several MB) go to
# $SAY_LOG_DIR/say.messages.log only when SAY_LOG_DIR is set.
set -u
here=$(cd "$(dirname "$0")" && pwd)
outdir=${SAY_GOLDEN_DIR:-$here}

LANGS="en en_GB cs da de de_DE es fr fr_CA gr hu is it nl no pl pt pt_BR ru se sv th vi xx"
NUMBERS="$(seq -s ' ' 0 31) 35 38 40 41 48 50 60 70 71 77 80 81 88 90 91 98 99 100 101 110 111 121 150 199 200 201 250 999 1000 1001 1010 1050 1100 1234 1999 2000 2001 2034 12345 21000 100000 101000 1000000 1000001 1000012 1100000 1200000 2000000 2000100 21000000 1000000000 2000000000 2147483647 -1 -21 -1234 -2147483648"
GENDERS="- f m c n"
ORD_LANGS="en de fr xx"
ORDINALS="0 1 2 3 11 20 21 22 30 99 100 101 111 1000 2000 2001 1000000 -3"
MONEY_LANGS="en de"
MONEY="0 1 1.01 12.50 2000.99 .5"
# The second instance: these prompts missing from every language (Asterisk
# falls back to en's, so they cannot be missing from one language only).
MISSING_NAMES="digits/20 digits/hundred digits/et digits/pt-e"
MISSING_LANGS="en xx de fr it nl pl pt da"
MISSING_NUMBERS="21 71 121 1234 -20"

work=$(mktemp -d /tmp/saycap.XXXXXX)
mkdir -p "$work/cfg"

# One 20 ms silent 8 kHz 16-bit mono wav (an empty one does not play:
# ast_streamfile fails on it after logging that it plays).
python3 - "$work/empty.wav" <<'PY'
import sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"\0\0" * 160)
w.close()
PY
names() {
    local n s
    for n in $(seq 0 1000); do
        for s in "" F M N E S C W f m n c w z a kvk hk -and; do echo "digits/$n$s"; done
        echo "digits/h-$n"
    done
    for s in 1000000 1000000S hundred thousand thousands million millions \
             milliard milliards billion minus and et nl-en pt-e \
             1sto 2ste sta set thousands-i million-a \
             1_E3 2-4_E3 5_E3 1_E6 2-4_E6 5_E6 1_E9 2-4_E9 5_E9 \
             10en 20on xilia hundreds -1 -21 -1234 -2147483648 \
             2-1m 3-1m 4-1m 2-2m 3-2m 4-2m 1000.2 1000.5 1000000.2 1000000.5 \
             1000000000 1000000000.2 1000000000.5 \
             lop roi pan muan san larn odd 0-hundred 0-hundred-odd \
             hundred-100 hundred-200 hundred-300 hundred-400 hundred-500 \
             hundred-600 hundred-700 hundred-800 hundred-900 \
             h-hundred h-thousand h-million h-billion star pound; do
        echo "digits/$s"
    done
    echo vm-and; echo and; echo dollars; echo cents; echo cent
    echo letters/dollar; echo letters/dollar_
}
make_tree() { # <dir> <languages> <names left out>
    local f l
    mkdir -p "$1/all/digits" "$1/all/letters"
    names | while read -r f; do
        echo " $3 " | grep -q " $f " && continue
        ln -s "$work/empty.wav" "$1/all/$f.wav"
    done
    for l in $2; do ln -s all "$1/$l"; done
}

cat >"$work/cfg/asterisk.conf" <<'CONF'
[options]
verbose = 3
debug = 0
defaultlanguage = en
CONF
cat >"$work/cfg/logger.conf" <<'CONF'
[general]
dateformat = %F %T.%3q
[logfiles]
messages.log => notice,warning,error,verbose
CONF
contexts() { # <languages> <numbers> <with ordinals and money: 1/0>
    local l n g a
    echo '[general]'
    echo 'static=yes'
    echo 'writeprotect=yes'
    for l in $1; do
        echo
        echo "[say-$l]"
        echo "exten => s,1,Answer()"
        echo " same => n,Set(CHANNEL(language)=$l)"
        for n in $2; do
            for g in $GENDERS; do
                if [ "$g" = - ]; then a=$n; else a=$n,$g; fi
                echo " same => n,NoOp(SAYCASE $l SayNumber($a))"
                echo " same => n,SayNumber($a)"
            done
        done
        if [ "$3" = 1 ] && echo " $ORD_LANGS " | grep -q " $l "; then
            for n in $ORDINALS; do
                echo " same => n,NoOp(SAYCASE $l SayOrdinal($n))"
                echo " same => n,SayOrdinal($n)"
            done
        fi
        if [ "$3" = 1 ] && echo " $MONEY_LANGS " | grep -q " $l "; then
            for n in $MONEY; do
                echo " same => n,NoOp(SAYCASE $l SayMoney($n))"
                echo " same => n,SayMoney($n)"
            done
        fi
        echo " same => n,NoOp(SAYCASE $l END)"
        echo " same => n,Hangup()"
    done
}

capture() { # <languages> <sounds tree> <log out>
    local cmds=$work/cmds rx=$work/rx cap pid conf tmp i l
    { echo 'core waitfullybooted'; for i in $(seq 1 300); do echo '#sleep 1'; done; } >"$cmds"
    : >"$rx"
    CAPTURE_KEEP=1 /work/ref/capture2.sh "$work/cfg" "$cmds" "$rx" 2>"$work/capture2.stderr" &
    cap=$!
    for i in $(seq 1 600); do
        grep -q 'fully booted' "$rx" 2>/dev/null && break
        kill -0 "$cap" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'fully booted' "$rx"; then
        echo "the reference did not boot" >&2
        cat "$work/capture2.stderr" >&2
        kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null
        return 1
    fi
    conf=
    for pid in $(pgrep -P "$cap"); do
        conf=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/,$p' | sed -n '/^-C$/{n;p;q}')
        [ -n "$conf" ] && break
    done
    tmp=${conf%/etc/asterisk.conf}
    rm -f "$tmp/var/lib/sounds"
    ln -s "$2" "$tmp/var/lib/sounds"
    for l in $1; do
        /work/ref/install/sbin/asterisk -C "$conf" -rx "channel originate Local/s@say-$l application Wait 120" >/dev/null
    done
    # Every language's channel ends with its END marker.
    for i in $(seq 1 1200); do
        [ "$(grep -c 'SAYCASE [^ ]* END' "$tmp/log/messages.log")" -ge "$(echo $1 | wc -w)" ] && break
        sleep 0.1
    done
    sleep 0.5
    grep -E '\]\[C-[0-9a-f]+\] ' "$tmp/log/messages.log" >"$3"
    kill -TERM "$cap" 2>/dev/null
    wait "$cap" 2>/dev/null
    rm -rf "$tmp"
}

make_tree "$work/snd" "$LANGS" ""
make_tree "$work/snd-missing" "$MISSING_LANGS" "$MISSING_NAMES"
rc=0
contexts "$LANGS" "$NUMBERS" 1 >"$work/cfg/extensions.conf"
( flock 9; capture "$LANGS" "$work/snd" "$work/say.messages.log" ) 9>/tmp/refcapture.lock || rc=1
contexts "$MISSING_LANGS" "$MISSING_NUMBERS" 0 >"$work/cfg/extensions.conf"
( flock 9; capture "$MISSING_LANGS" "$work/snd-missing" "$work/say.missing.messages.log" ) 9>/tmp/refcapture.lock || rc=1
mkdir -p "$outdir"
table() { # <log> <table>
# The log without dates, thread and call ids: one case after the other
# per call (calls ran in parallel; their lines are regrouped by call id).
python3 - "$1" "$2" <<'PY'
import re, sys
calls = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"\[[^]]*\] (\w+)\[\d+\]\[(C-[0-9a-f]+)\] (\S+): (.*)", line.rstrip("\n"))
    if not m:
        continue
    calls.setdefault(m.group(2), []).append((m.group(1), m.group(3), m.group(4)))
rows = []
for lines in calls.values():
    case = None
    for level, src, text in lines:
        mk = re.search(r'NoOp\("[^"]*", "SAYCASE (\S+) (.*)"\)', text)
        if mk:
            if case:
                rows.append(case)
            case = None if mk.group(2) == "END" else [mk.group(1), mk.group(2), [], []]
            continue
        if case is None:
            continue
        pm = re.search(r"Playing '(.*)\.[^.']*' \(language '[^']*'\)", text)
        if pm:
            case[2].append(pm.group(1))
        elif level in ("WARNING", "ERROR", "NOTICE"):
            case[3].append(f"{level} {src} {text}")
order = {}
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for lang, app, files, warns in rows:
        out.write(f"{lang}\t{app}\t{'&'.join(files)}\t{' | '.join(warns)}\n")
PY
}
table "$work/say.messages.log" "$outdir/say.table"
table "$work/say.missing.messages.log" "$outdir/say.missing.table"
cp "$work/say.missing.messages.log" "$outdir/"
if [ -n "${SAY_LOG_DIR:-}" ]; then
    mkdir -p "$SAY_LOG_DIR"
    cp "$work/say.messages.log" "$SAY_LOG_DIR/"
fi
rm -rf "$work"
exit $rc
