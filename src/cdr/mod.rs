//! Call detail records: the engine (`main/cdr.c`) and its backends,
//! cdr_csv and cdr_manager.
//!
//! The engine sees every bus event synchronously, as it is published (see
//! [`EventBus::set_observer`](crate::core::events::EventBus::set_observer)),
//! so `CDR()` in the dialplan reads a record that reflects everything the
//! channel did before. Finished records go to a task that hands them to
//! the backends, so no file is written under the bus's lock.
//!
//! In batch mode (`batch = yes`) finished records wait in a queue that the
//! same task posts when it holds `size` records, every `time` seconds, on
//! `cdr submit`, on a reload, and when the daemon stops.

pub mod csv;
pub mod state;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::core::events::{Event, EventKind};
use crate::core::{System, lock};
pub use state::{Disposition, ForkOptions, READONLY_VARS, Record, State, amaflags_str};

/// The CDR engine of one system.
#[derive(Default)]
pub struct Engine {
    state: Mutex<State>,
    /// Where finished records go (the backends' task), once started.
    out: Mutex<Option<UnboundedSender<Post>>>,
    batch: Mutex<Batch>,
}

/// What the backends' task is asked to do.
enum Post {
    Records(Vec<Record>),
    /// The batch's due time changed: look at it again.
    Wake,
    /// Answered once everything sent before it has been posted.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Batch mode's queue and its scheduled submission (`cdr_sched`).
#[derive(Default)]
struct Batch {
    pending: Vec<Record>,
    /// When the queue is next posted; `None` while batch mode is off.
    due: Option<Instant>,
}

/// What `cdr submit` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submit {
    Submitted,
    Disabled,
    NotBatch,
}

/// `%Y-%m-%d %T` of `t` in local time (or GMT), as the backends print
/// times.
pub fn format_time(t: SystemTime, gmt: bool) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    match crate::core::tz::localtime(secs, i64::from(d.subsec_micros()), gmt.then_some("GMT")) {
        Some(tm) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            i64::from(tm.year) + 1900,
            tm.mon + 1,
            tm.mday,
            tm.hour,
            tm.min,
            tm.sec
        ),
        None => String::new(),
    }
}

/// `ast_cdr_format_var` on a finished record (not raw): what `${CDR(x)}`
/// gives in cdr_manager's mappings.
pub fn format_var(r: &Record, name: &str) -> String {
    let opt_time = |t: Option<SystemTime>| t.map(|t| format_time(t, false)).unwrap_or_default();
    match name.to_ascii_lowercase().as_str() {
        "clid" => r.clid.clone(),
        "src" => r.src.clone(),
        "dst" => r.dst.clone(),
        "dcontext" => r.dcontext.clone(),
        "channel" => r.channel.clone(),
        "dstchannel" => r.dstchannel.clone(),
        "lastapp" => r.lastapp.clone(),
        "lastdata" => r.lastdata.clone(),
        "start" => format_time(r.start, false),
        "answer" => opt_time(r.answer),
        "end" => format_time(r.end, false),
        "duration" => r.duration.to_string(),
        "billsec" => r.billsec.to_string(),
        "disposition" => r.disposition.as_str().to_string(),
        "amaflags" => amaflags_str(r.amaflags).to_string(),
        "accountcode" => r.accountcode.clone(),
        "peeraccount" => r.peeraccount.clone(),
        "uniqueid" => r.uniqueid.clone(),
        "linkedid" => r.linkedid.clone(),
        "userfield" => r.userfield.clone(),
        "sequence" => r.sequence.to_string(),
        _ => r
            .vars
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    }
}

/// The AMI `Cdr` event's fields (cdr_manager), in Asterisk's order.
pub fn manager_body(r: &Record, mappings: &[(String, String)]) -> String {
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "AccountCode: {}\r\nSource: {}\r\nDestination: {}\r\nDestinationContext: {}\r\n\
         CallerID: {}\r\nChannel: {}\r\nDestinationChannel: {}\r\nLastApplication: {}\r\n\
         LastData: {}\r\nStartTime: {}\r\nAnswerTime: {}\r\nEndTime: {}\r\nDuration: {}\r\n\
         BillableSeconds: {}\r\nDisposition: {}\r\nAMAFlags: {}\r\nUniqueID: {}\r\n\
         UserField: {}\r\n",
        r.accountcode,
        r.src,
        r.dst,
        r.dcontext,
        r.clid,
        r.channel,
        r.dstchannel,
        r.lastapp,
        r.lastdata,
        format_time(r.start, false),
        r.answer.map(|t| format_time(t, false)).unwrap_or_default(),
        format_time(r.end, false),
        r.duration,
        r.billsec,
        r.disposition.as_str(),
        amaflags_str(r.amaflags),
        r.uniqueid,
        r.userfield,
    );
    for (var, header) in mappings {
        let _ = write!(out, "{header}: {}\r\n", format_var(r, var));
    }
    out
}

/// A registered backend as `cdr show status` lists it.
pub struct Backend {
    pub name: &'static str,
    pub suspended: bool,
}

/// The backends that take records, sorted by name as Asterisk keeps them:
/// cdr_manager (when cdr_manager.conf exists; suspended unless
/// `enabled`) and csv (when cdr.conf has a `[csv]`), each only when
/// modules.conf loads it.
pub fn backends(sys: &System) -> Vec<Backend> {
    let loaded = sys.loaded();
    let mut out = Vec::new();
    if loaded.cdr_manager.present && loaded.modules.loads("cdr_manager") {
        out.push(Backend {
            name: "cdr_manager",
            suspended: !loaded.cdr_manager.enabled,
        });
    }
    if loaded.cdr.csv.is_some() && loaded.modules.loads("cdr_csv") {
        out.push(Backend {
            name: "csv",
            suspended: false,
        });
    }
    out
}

impl Engine {
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Starts taking events from the system's bus, and the backends'
    /// task.
    pub fn start(sys: &Arc<System>) {
        let (tx, rx) = unbounded_channel();
        *lock(&sys.cdr.out) = Some(tx);
        sys.cdr.configure(&sys.loaded().cdr.general);
        let weak = Arc::downgrade(sys);
        sys.pbx
            .channels
            .events
            .set_observer(Some(Arc::new(move |ev: &Event| {
                if let Some(sys) = weak.upgrade() {
                    sys.cdr.observe(&sys, ev);
                }
            })));
        tokio::spawn(post_task(Arc::downgrade(sys), rx));
    }

    fn observe(&self, sys: &System, ev: &Event) {
        let loaded = sys.loaded();
        let general = &loaded.cdr.general;
        if !general.enable {
            // Disabled (at start or by a reload): nothing is tracked, and
            // calls in progress get no record, as when Asterisk drops its
            // subscriptions.
            let mut st = lock(&self.state);
            if st.active() > 0 {
                st.clear();
            }
            return;
        }
        let done = lock(&self.state).process(ev, SystemTime::now(), general);
        if done.is_empty() {
            return;
        }
        if !general.batch {
            self.send(Post::Records(done));
            return;
        }
        // `cdr_detach`: queued; a full batch is posted at once (size 0
        // never fills).
        let full = {
            let mut b = lock(&self.batch);
            b.pending.extend(done);
            general.size > 0 && b.pending.len() >= general.size as usize
        };
        if full {
            self.submit_soon();
        }
    }

    fn send(&self, post: Post) {
        if let Some(tx) = lock(&self.out).as_ref() {
            let _ = tx.send(post);
        }
    }

    /// `start_batch_mode`: the queue is posted right away, and then every
    /// `time` seconds from then.
    fn submit_soon(&self) {
        lock(&self.batch).due = Some(Instant::now());
        self.send(Post::Wake);
    }

    /// Applies `[general]` at start and after each reload, as the engine's
    /// reload does: batch mode (re)starts with an immediate submission;
    /// leaving it posts what was queued.
    pub fn configure(&self, general: &crate::config::views::cdr::CdrGeneral) {
        if general.enable && general.batch {
            self.submit_soon();
            return;
        }
        let queued = {
            let mut b = lock(&self.batch);
            b.due = None;
            std::mem::take(&mut b.pending)
        };
        if !queued.is_empty() {
            self.send(Post::Records(queued));
        }
    }

    /// `cdr submit`.
    pub fn submit(&self, general: &crate::config::views::cdr::CdrGeneral) -> Submit {
        if !general.enable {
            Submit::Disabled
        } else if !general.batch {
            Submit::NotBatch
        } else {
            self.submit_soon();
            Submit::Submitted
        }
    }

    /// Records waiting for the next batch.
    pub fn batch_len(&self) -> usize {
        lock(&self.batch).pending.len()
    }

    /// Whole seconds until the next batch as Asterisk's scheduler counts
    /// them (the difference of the two clock readings' seconds), or `None`
    /// when none is scheduled.
    pub fn next_batch_secs(&self) -> Option<i64> {
        let due = lock(&self.batch).due?;
        let now = SystemTime::now();
        let at = now + due.saturating_duration_since(Instant::now());
        let secs = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        };
        Some(secs(at) - secs(now))
    }

    /// Takes the queue if its time has come, and schedules the next
    /// submission `time` seconds on.
    fn take_due(&self, time: u32) -> Option<Vec<Record>> {
        let mut b = lock(&self.batch);
        let due = b.due?;
        if due > Instant::now() {
            return None;
        }
        b.due = Some(Instant::now() + Duration::from_secs(u64::from(time)));
        Some(std::mem::take(&mut b.pending))
    }

    fn due(&self) -> Option<Instant> {
        lock(&self.batch).due
    }

    /// At shutdown: posts the queue and waits (a bounded time) until the
    /// backends have everything, so no finished record is lost.
    pub async fn shutdown(&self) {
        let queued = std::mem::take(&mut lock(&self.batch).pending);
        if !queued.is_empty() {
            self.send(Post::Records(queued));
        }
        let (ack, done) = tokio::sync::oneshot::channel();
        self.send(Post::Flush(ack));
        let _ = tokio::time::timeout(Duration::from_secs(10), done).await;
    }

    /// Runs `f` on the engine's state (for `CDR()` and the CDR apps).
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut lock(&self.state))
    }

    /// Records not finished yet.
    pub fn active(&self) -> usize {
        lock(&self.state).active()
    }
}

/// Hands finished records to the backends, in order, off the runtime's
/// worker threads (cdr_csv writes and syncs files), and posts the batch
/// when it is due.
async fn post_task(sys: std::sync::Weak<System>, mut rx: UnboundedReceiver<Post>) {
    loop {
        let due = match sys.upgrade() {
            Some(s) => s.cdr.due(),
            None => return,
        };
        let msg = match due {
            Some(at) => tokio::select! {
                p = rx.recv() => p,
                _ = tokio::time::sleep_until(at.into()) => Some(Post::Wake),
            },
            None => rx.recv().await,
        };
        let Some(msg) = msg else { return };
        let Some(sys) = sys.upgrade() else { return };
        let records = match msg {
            Post::Records(records) => records,
            Post::Wake => {
                let time = sys.loaded().cdr.general.time;
                match sys.cdr.take_due(time) {
                    Some(records) if !records.is_empty() => records,
                    _ => continue,
                }
            }
            Post::Flush(ack) => {
                let _ = ack.send(());
                continue;
            }
        };
        let join = tokio::task::spawn_blocking(move || post(&sys, &records)).await;
        if let Err(e) = join {
            tracing::error!("CDR backends failed: {e}");
        }
    }
}

/// `post_cdr`: every backend that is registered and not suspended gets
/// each record.
fn post(sys: &System, records: &[Record]) {
    let loaded = sys.loaded();
    let backends = backends(sys);
    for r in records {
        for b in backends.iter().filter(|b| !b.suspended) {
            match b.name {
                "cdr_manager" => {
                    sys.pbx.channels.events.publish_system(EventKind::Manager {
                        class: crate::manager::class::CDR,
                        name: "Cdr".to_string(),
                        body: manager_body(r, &loaded.cdr_manager.mappings),
                    });
                }
                "csv" => {
                    if let Some(conf) = loaded.cdr.csv.as_ref() {
                        csv::log(sys, conf, r);
                    }
                }
                _ => {}
            }
        }
    }
}
