#!/bin/bash
# capture_datetime.sh -- captures which prompts the reference Asterisk
# 20.20.1 (/work/ref/install) plays for SayUnixTime (app_sayunixtime,
# ast_say_date_with_format_en) with fixed times, zones and formats, into
# sayunixtime.table next to this script; then, from a second instance
# whose sounds lack MISSING_NAMES, sayunixtime.missing.table.
#
# The same method as capture.sh (whose functions this script repeats): a
# private sounds tree of 20 ms silent files, one Local channel running a
# generated context with a NoOp(SAYCASE ...) marker before each case, the
# table built from messages.log (verbose 3). Times are fixed; the only
# cases of Q and q are dates decades away from any capture date, which
# both say as month, day and year.
#
# Output lines (tab separated), as say.table:
#   <language> <SayUnixTime(args)> <prompts joined by &> <warnings joined by " | ">
set -u
here=$(cd "$(dirname "$0")" && pwd)
outdir=${SAY_GOLDEN_DIR:-$here}

LANGS="en"
TIMES="1795319320 1234567890 946684800 915148800 -2051222400 1000000000 1700000005 0 4102444800"
ZONES="UTC America/New_York Asia/Kolkata XYZ3"
# Formats (no commas: they would split the arguments); "-" is none (the
# English default).
FORMATS="- ABdY_'digits/at'_IMp aBbhmdeY IlHkMNPpS R T 'beep'_x_A HMS_NM"
FAR_FORMATS="Q q"
FAR_TIMES="0 4102444800"
MISSING_NAMES="digits/at digits/h-13 digits/oclock digits/day-0 digits/thousand"
# A prompt that fails ends SayUnixTime with -1, which hangs the channel up:
# each case of the second instance runs on a channel of its own, its END
# marker written by the h extension.
MISSING_TIMES="1795319320 1234567890 946684800"
MISSING_ZONES="UTC America/New_York"

work=$(mktemp -d /tmp/saydtcap.XXXXXX)
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
    local n
    for n in $(seq 0 100); do echo "digits/$n"; done
    for n in $(seq 0 31); do echo "digits/h-$n"; done
    for n in $(seq 0 6); do echo "digits/day-$n"; done
    for n in $(seq 0 11); do echo "digits/mon-$n"; done
    for n in at a-m p-m oclock oh hundred thousand million minus today \
             tomorrow yesterday h-hundred h-thousand; do
        echo "digits/$n"
    done
    echo beep
}
make_tree() { # <dir> <languages> <names left out>
    local f l
    mkdir -p "$1/all/digits"
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
# (capture2.sh's instance needs a modules.conf: autoload, without the
# modules that would open listeners.)
cat >"$work/cfg/modules.conf" <<'CONF'
[modules]
autoload = yes
noload => chan_sip.so
noload => chan_pjsip.so
noload => res_pjsip.so
noload => chan_iax2.so
noload => res_ari.so
CONF
cat >"$work/cfg/logger.conf" <<'CONF'
[general]
dateformat = %F %T.%3q
[logfiles]
messages.log => notice,warning,error,verbose
CONF
contexts() {
    local l t z f a
    echo '[general]'
    echo 'static=yes'
    echo 'writeprotect=yes'
    for l in $LANGS; do
        echo
        echo "[say-$l]"
        echo "exten => s,1,Answer()"
        echo " same => n,Set(CHANNEL(language)=$l)"
        for t in $TIMES; do
            for z in $ZONES; do
                for f in $FORMATS; do
                    if [ "$f" = - ]; then a="$t,$z"; else a="$t,$z,${f//_/ }"; fi
                    echo " same => n,NoOp(SAYCASE $l SayUnixTime($a))"
                    echo " same => n,SayUnixTime($a)"
                done
            done
        done
        for t in $FAR_TIMES; do
            for f in $FAR_FORMATS; do
                a="$t,UTC,$f"
                echo " same => n,NoOp(SAYCASE $l SayUnixTime($a))"
                echo " same => n,SayUnixTime($a)"
            done
        done
        echo " same => n,NoOp(SAYCASE $l END)"
        echo " same => n,Hangup()"
    done
}

missing_contexts() { # prints the contexts; their names (say-mN) go to $work/mlist
    local t z f a n=0
    echo '[general]'
    echo 'static=yes'
    echo 'writeprotect=yes'
    : >"$work/mlist"
    for t in $MISSING_TIMES; do
        for z in $MISSING_ZONES; do
            for f in $FORMATS; do
                n=$((n + 1))
                if [ "$f" = - ]; then a="$t,$z"; else a="$t,$z,${f//_/ }"; fi
                echo
                echo "[say-m$n]"
                echo "exten => s,1,Answer()"
                echo " same => n,Set(CHANNEL(language)=en)"
                echo " same => n,NoOp(SAYCASE en SayUnixTime($a))"
                echo " same => n,SayUnixTime($a)"
                echo " same => n,Hangup()"
                echo "exten => h,1,NoOp(SAYCASE en END)"
                echo "m$n" >>"$work/mlist"
            done
        done
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
    rm -f "$tmp/data/sounds"
    ln -s "$2" "$tmp/data/sounds"
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
make_tree "$work/snd-missing" "$LANGS" "$MISSING_NAMES"
rc=0
contexts >"$work/cfg/extensions.conf"
( flock 9; capture "$LANGS" "$work/snd" "$work/dt.messages.log" ) 9>/tmp/refcapture.lock || rc=1
missing_contexts >"$work/cfg/extensions.conf"
( flock 9; capture "$(cat "$work/mlist")" "$work/snd-missing" "$work/dt.missing.messages.log" ) 9>/tmp/refcapture.lock || rc=1
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
table "$work/dt.messages.log" "$outdir/sayunixtime.table"
table "$work/dt.missing.messages.log" "$outdir/sayunixtime.missing.table"
if [ -n "${SAY_LOG_DIR:-}" ]; then
    mkdir -p "$SAY_LOG_DIR"
    cp "$work/dt.messages.log" "$work/dt.missing.messages.log" "$SAY_LOG_DIR/"
fi
rm -rf "$work"
exit $rc
