//! One complete dialplan run on a Local channel pair, in process: from
//! `originate` (as `channel originate Local/s@bench application Wait 30`
//! does it) to both halves hung up. The `;2` half runs a 20-priority
//! program of Set/NoOp/GotoIf with substitutions and expressions, then
//! hangs up; `originate`, still waiting for an answer, then hangs up `;1`.
//! (The program does not answer: `Answer` waits 500 ms for media that never
//! comes here, which would be all the bench measured.)
//!
//! Logging goes to a file only (`messages`: notices, warnings, errors) with
//! verbosity 0, so nothing is formatted for a terminal.
//!
//! Compare figures as ratios within one run. The baseline here is one
//! extension lookup in the program's own context (the run does about 20 of
//! them, plus the substitutions, the applications and the channel work).
//! Two runs (`--warm-up-time 1 --measurement-time 3`, shared, busy 2-core
//! machine): the lookup took 76-98 ns, the whole run 40-47 µs, so a run
//! is 400-600× one lookup.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use asterism::channels::NewChannel;
use asterism::core::System;
use asterism::pbx::find::{Want, find};
use asterism::pbx::originate::{Target, originate};
use criterion::{Criterion, criterion_group, criterion_main};

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

/// Twenty priorities, every one executed once.
const EXTENSIONS_CONF: &str = "[general]
static = yes

[globals]
RUNS = 0

[bench]
exten => s,1,Set(ID=42)
 same => n,Set(A=${EXTEN}@${CONTEXT})
 same => n,Set(N=0)
 same => n,Set(N=$[${N} + 1])
 same => n,NoOp(${A} step ${N})
 same => n,GotoIf($[${N} > 0]?p7:p20)
 same => n(p7),Set(B=${A}-${N})
 same => n,Set(N=$[${N} * 2])
 same => n,NoOp(${B} ${N})
 same => n,GotoIf($[\"${B}\" = \"\"]?p20)
 same => n,Set(C=$[${N} + ${ID}])
 same => n,NoOp(${C})
 same => n,Set(N=$[${N} - 1])
 same => n,GotoIf($[${N} = 1]?p15:p20)
 same => n(p15),Set(D=${A:1:3})
 same => n,NoOp(${D} ${C})
 same => n,Set(E=$[${C} % 3])
 same => n,GotoIf($[${E} >= 0]?p19)
 same => n(p19),Set(GLOBAL(RUNS)=$[${RUNS} + 1])
 same => n(p20),Hangup()
";

fn system(dir: &std::path::Path) -> Arc<System> {
    for (name, text) in [
        ("asterisk.conf", ASTERISK_CONF),
        ("logger.conf", LOGGER_CONF),
        ("extensions.conf", EXTENSIONS_CONF),
    ] {
        std::fs::write(dir.join(name), text).expect("bench config written");
    }
    System::start(&dir.join("asterisk.conf")).expect("bench config loads")
}

/// Originates the call and waits until both halves are gone.
async fn one_run(sys: &Arc<System>) {
    let target = Target::Application {
        app: "Wait".into(),
        data: "30".into(),
    };
    // Never answered, so an error, once `;2` has hung up.
    let chan = originate(
        sys.clone(),
        "Local/s@bench",
        target,
        Duration::from_secs(5),
        NewChannel::default(),
        &Default::default(),
    )
    .await;
    assert!(chan.is_err(), "the Local call is not answered");
    if let Err(e) = &chan {
        e.release(&sys);
    }
    while sys.pbx.channels.count() > 0 {
        tokio::task::yield_now().await;
    }
}

fn run(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sys = system(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The program must really run to its end: it counts its runs.
    rt.block_on(one_run(&sys));
    assert_eq!(sys.pbx.global("RUNS").as_deref(), Some("1"));

    let loaded = sys.loaded();
    c.bench_function("find s@bench priority 1 (baseline)", |b| {
        b.iter(|| {
            find(
                &loaded.dialplan,
                black_box("bench"),
                black_box("s"),
                Want::Priority(1),
                None,
            )
            .is_ok()
        })
    });
    c.bench_function("20-priority run on a Local channel pair", |b| {
        b.iter(|| rt.block_on(one_run(&sys)))
    });
    let runs: u64 = sys
        .pbx
        .global("RUNS")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    assert!(runs > 1, "{runs}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("var/log/messages")).unwrap_or_default(),
        "",
        "the program logs nothing at these levels"
    );
}

criterion_group!(benches, run);
criterion_main!(benches);
