//! The manager under load, in process, over real TCP sockets: ten clients
//! logged in with all events on.
//!
//! - **Latency**: a channel changes state (`ast_setstate`) and the time
//!   until its `Newstate` event has arrived at all ten clients.
//! - **Fan-out**: ten Local calls run a short program (about a dozen
//!   priorities each, with variables set) while the clients read; the time
//!   until every client has seen every call's hangup. Criterion reports it
//!   as events delivered per second (events of one burst × 10 clients).
//!
//! Baseline in the same run: one `Newstate` rendered to AMI text without
//! any socket (`manager::events::render`), so the figures read as ratios.
//!
//! Logging goes to a file only (notices and worse) with verbosity 0.
//!
//! One run (`--warm-up-time 1 --measurement-time 3`, shared 2-core
//! machine): rendering 0.82 µs; state change to all ten clients 100 µs
//! (about 120× the rendering); fan-out 266 000 events/s delivered.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use asterism::channels::{ChanState, NewChannel};
use asterism::core::System;
use asterism::manager::Manager;
use asterism::pbx::originate::{Target, originate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Notify;

const CLIENTS: usize = 10;
const CALLS: usize = 10;

const ASTERISK_CONF: &str = "[directories]
astetcdir => .
astrundir => var/run
astspooldir => var/spool
astlogdir => var/log
astvarlibdir => var/lib
astdbdir => var/lib
astdatadir => /usr/share/asterisk

[options]
verbose = 0
";

const LOGGER_CONF: &str = "[logfiles]
messages => notice,warning,error
";

const EXTENSIONS_CONF: &str = "[general]
static = yes

[bench]
exten => s,1,Set(A=1)
 same => n,Set(B=${A}2)
 same => n,NoOp(${B})
 same => n,Set(C=$[${A} + 1])
 same => n,Set(D=${C}${B})
 same => n,NoOp(${D})
 same => n,Set(E=done)
 same => n,UserEvent(Bench,Value: ${D})
 same => n,Hangup()
";

fn manager_conf(port: u16) -> String {
    format!(
        "[general]
enabled = yes
port = {port}
bindaddr = 127.0.0.1

[bench]
secret = bench
read = all
write = all
"
    )
}

/// What the clients have seen, counted across all of them.
#[derive(Default)]
struct Seen {
    newstate: AtomicU64,
    hangup: AtomicU64,
    events: AtomicU64,
    changed: Notify,
}

impl Seen {
    async fn wait(&self, counter: impl Fn(&Seen) -> u64, target: u64) {
        while counter(self) < target {
            let notified = self.changed.notified();
            if counter(self) >= target {
                break;
            }
            // A bound, so a lost event fails the bench instead of hanging it.
            if tokio::time::timeout(Duration::from_secs(10), notified)
                .await
                .is_err()
            {
                panic!("events stopped arriving at the clients");
            }
        }
    }
}

async fn client(port: u16, seen: Arc<Seen>, ready: Arc<Notify>) {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("manager port");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write
        .write_all(b"Action: Login\r\nUsername: bench\r\nSecret: bench\r\nEvents: on\r\n\r\n")
        .await
        .expect("login sent");
    let mut logged_in = false;
    while let Ok(Some(line)) = lines.next_line().await {
        if !logged_in {
            if line == "Message: Authentication accepted" {
                logged_in = true;
                ready.notify_one();
            }
            continue;
        }
        let Some(name) = line.strip_prefix("Event: ") else {
            continue;
        };
        seen.events.fetch_add(1, Ordering::Relaxed);
        match name {
            "Newstate" => {
                seen.newstate.fetch_add(1, Ordering::SeqCst);
                seen.changed.notify_waiters();
            }
            "Hangup" => {
                seen.hangup.fetch_add(1, Ordering::SeqCst);
                seen.changed.notify_waiters();
            }
            _ => {}
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn one_burst(sys: &Arc<System>) {
    let mut calls = Vec::new();
    for _ in 0..CALLS {
        let sys = sys.clone();
        calls.push(tokio::spawn(async move {
            let target = Target::Application {
                app: "Wait".into(),
                data: "30".into(),
            };
            // Never answered: the `;2` program hangs up first.
            if let Err(e) = originate(
                sys.clone(),
                "Local/s@bench",
                target,
                Duration::from_secs(5),
                NewChannel::default(),
                &Default::default(),
            )
            .await
            {
                e.release(&sys);
            }
        }));
    }
    for c in calls {
        let _ = c.await;
    }
}

fn ami(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    for (name, text) in [
        ("asterisk.conf", ASTERISK_CONF.to_string()),
        ("logger.conf", LOGGER_CONF.to_string()),
        ("extensions.conf", EXTENSIONS_CONF.to_string()),
        ("manager.conf", manager_conf(port)),
    ] {
        std::fs::write(dir.path().join(name), text).expect("bench config written");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sys = System::start(&dir.path().join("asterisk.conf")).expect("bench config loads");
    let seen = Arc::new(Seen::default());
    let (manager, chan) = rt.block_on(async {
        let manager = Manager::new(sys.clone());
        manager.start().await.expect("manager listens");
        let ready = Arc::new(Notify::new());
        for _ in 0..CLIENTS {
            tokio::spawn(client(port, seen.clone(), ready.clone()));
            ready.notified().await;
        }
        let chan = sys.pbx.channels.alloc(
            "Bench/state-00000001".into(),
            "Bench",
            sys.pbx.channels.next_callid(),
            NewChannel::default(),
        );
        (manager, chan)
    });

    let snapshot_event = {
        let old = Arc::new(chan.snapshot());
        chan.set_state(ChanState::Ringing);
        rt.block_on(seen.wait(|s| s.newstate.load(Ordering::SeqCst), CLIENTS as u64));
        // A Newstate is a snapshot whose state differs from the previous.
        asterism::core::events::Event {
            kind: asterism::core::events::EventKind::Snapshot { old: Some(old) },
            channel: Some(Arc::new(chan.snapshot())),
        }
    };
    assert!(
        asterism::manager::events::render(&sys, &snapshot_event)
            .iter()
            .any(|e| format!("{e:?}").contains("Newstate")),
        "the baseline renders a Newstate"
    );
    c.bench_function("ami: render one Newstate (baseline, no socket)", |b| {
        b.iter(|| asterism::manager::events::render(&sys, &snapshot_event))
    });

    let mut up = false;
    c.bench_function("ami: state change to Newstate at all 10 clients", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let target = seen.newstate.load(Ordering::SeqCst) + CLIENTS as u64;
                up = !up;
                let t0 = Instant::now();
                chan.set_state(if up {
                    ChanState::Up
                } else {
                    ChanState::Ringing
                });
                rt.block_on(seen.wait(|s| s.newstate.load(Ordering::SeqCst), target));
                total += t0.elapsed();
            }
            total
        })
    });

    // Events one burst delivers to all clients, measured once.
    let before = seen.events.load(Ordering::SeqCst);
    let hangups = seen.hangup.load(Ordering::SeqCst);
    rt.block_on(async {
        one_burst(&sys).await;
        // two halves per call
        let target = hangups + (2 * CALLS * CLIENTS) as u64;
        seen.wait(|s| s.hangup.load(Ordering::SeqCst), target).await;
    });
    std::thread::sleep(Duration::from_millis(200));
    let per_burst = seen.events.load(Ordering::SeqCst) - before;
    assert!(
        per_burst >= (CALLS * CLIENTS * 20) as u64,
        "a burst delivers its events to every client ({per_burst})"
    );

    let mut group = c.benchmark_group("ami fan-out");
    group.throughput(Throughput::Elements(per_burst));
    group.bench_function("10 Local calls' events to 10 clients", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let target = seen.hangup.load(Ordering::SeqCst) + (2 * CALLS * CLIENTS) as u64;
                let t0 = Instant::now();
                rt.block_on(async {
                    one_burst(&sys).await;
                    seen.wait(|s| s.hangup.load(Ordering::SeqCst), target).await;
                });
                total += t0.elapsed();
            }
            total
        })
    });
    group.finish();
    drop(manager);
}

criterion_group!(benches, ami);
criterion_main!(benches);
