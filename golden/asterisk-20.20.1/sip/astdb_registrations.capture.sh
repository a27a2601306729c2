#!/bin/bash
# reference: register 1001 (chan_sip) and 2001 (pjsip), database show, stop, restart on the same astdb
set -u
repo=$(cd "$(dirname "$0")/../../.." && pwd)
AST=/work/ref/install/sbin/asterisk
out=${OUT:-/tmp/astdb-registrations}; rm -rf $out; mkdir -p $out
{ echo 'core waitfullybooted'; echo '#sleep 8'; echo 'database show'; echo 'sip show peers'; echo 'pjsip show contacts'; } > $out/cmds1
CAPTURE_KEEP=1 /work/ref/capture2.sh $repo/compat-configs/sipcalls $out/cmds1 $out/phase1.rx 2>$out/cap.stderr &
cap=$!
for i in $(seq 1 300); do grep -q 'fully booted' $out/phase1.rx 2>/dev/null && break; sleep 0.1; done
$repo/sip-scenarios/run.sh -o $out -n reg.chan_sip register_only 127.0.0.1:5060 -key user 1001 -key expires 120 -au 1001 -ap s3cret1001 -p 5063
$repo/sip-scenarios/run.sh -o $out -n reg.pjsip register_only 127.0.0.1:5070 -key user 2001 -key expires 120 -au 2001 -ap s3cret2001 -p 5063
wait $cap
TMP=$(sed -n 's/.*temp dir kept: //p' $out/cap.stderr)
echo "TMP=$TMP"
CONF=$TMP/etc/asterisk.conf
cp $TMP/log/messages* $out/phase1.messages.log 2>/dev/null
: > $TMP/log/messages.log
cd $TMP/run
$AST -f -C $CONF </dev/null >$TMP/log/d2.stdout 2>$TMP/log/d2.stderr &
pid=$!
for i in $(seq 1 300); do [ -S $TMP/run/asterisk.ctl ] && $AST -C $CONF -rx 'core waitfullybooted' >/dev/null 2>&1 && break; sleep 0.2; done
for c in 'database show' 'sip show peers' 'sip show peer 1001' 'pjsip show contacts' 'pjsip show endpoints' 'pjsip show contact 2001;@x' ; do echo "\$ $c" >> $out/phase2.rx; $AST -C $CONF -rx "$c" >> $out/phase2.rx 2>&1; echo >> $out/phase2.rx; done
# expired entries: rewrite both with past values, restart again
$AST -C $CONF -rx 'core stop now' >/dev/null 2>&1; wait $pid
cp $TMP/log/messages.log $out/phase2.messages.log
echo done
