// Drives Asterism's AMI with asterisk-manager (npm), unmodified.
//
// Usage: node asterisk_manager_client.js PORT USERNAME SECRET
// (with NODE_PATH naming the node_modules that holds asterisk-manager)
//
// Logs in, pings, runs a CLI command, originates two async calls (one
// that succeeds, one towards a missing extension), collects every event
// the library emits, logs off, and prints a JSON summary on stdout for
// tests/ami_clients.rs to check. Every wait is bounded.
'use strict';

const AsteriskManager = require('asterisk-manager');

const STEP_MS = 10000;
const [port, username, secret] = process.argv.slice(2);

const events = [];
const waiters = [];

// Resolves with the first event `pred` accepts, from now on.
function waitEvent(what, pred) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout waiting for ' + what)), STEP_MS);
    waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); } });
  });
}

// The library's action(): the callback gets (error, response).
function action(ami, fields) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout on ' + fields.action)), STEP_MS);
    ami.action(fields, (err, res) => {
      clearTimeout(timer);
      resolve({ err: err || null, res });
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const ami = new AsteriskManager(port, '127.0.0.1', username, secret, true);
  ami.on('managerevent', (e) => {
    events.push({ Event: e.event, Channel: e.channel || '' });
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i].pred(e)) {
        waiters.splice(i, 1)[0].resolve(e);
        break;
      }
    }
  });
  const summary = {};
  // The constructor connects and logs in; actions are held until then.
  // FullyBooted follows the Login response on the wire.
  const booted = waitEvent('FullyBooted', (e) => e.event === 'FullyBooted');
  summary.ping = await action(ami, { action: 'Ping' });
  await booted;
  summary.connected = ami.isConnected();

  summary.command = await action(ami, { action: 'Command', command: 'dialplan show 601@ami-test' });

  const hangup = waitEvent('Hangup', (e) => e.event === 'Hangup' && /^Local\/600@ami-test-[0-9a-f]{8};2$/.test(e.channel));
  const origResp = waitEvent('OriginateResponse', (e) => e.event === 'OriginateResponse');
  summary.originate = await action(ami, {
    action: 'Originate',
    channel: 'Local/600@ami-test',
    context: 'ami-test',
    exten: '601',
    priority: 1,
    async: 'true',
    callerid: '"Orig" <5555>',
    variable: { OV1: 'one', OV2: 'two' },
  });
  summary.originate_response = await origResp;
  await hangup;
  await sleep(1000);

  const failedResp = waitEvent('OriginateResponse', (e) => e.event === 'OriginateResponse');
  summary.originate_failed = await action(ami, {
    action: 'Originate',
    channel: 'Local/nosuch@ami-test',
    context: 'ami-test',
    exten: '601',
    priority: 1,
    async: 'true',
  });
  summary.originate_failed_response = await failedResp;
  await sleep(1000);

  summary.logoff = await action(ami, { action: 'Logoff' });
  ami.disconnect();
  summary.events = events;
  process.stdout.write(JSON.stringify(summary, null, 1) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
