//! One media clock for the whole process.
//!
//! Asterisk paces each channel with its own timer; here a single 20 ms
//! tick drives every session, generator and file player, so the work of
//! all calls happens in one batch per tick and the pure core
//! ([`MediaClock::tick`]) is testable without sleeping. The shell,
//! [`spawn`], is one tokio interval task.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The clock's period: one 20 ms frame.
pub const TICK: Duration = Duration::from_millis(crate::media::FRAME_MS as u64);

/// Anything the clock drives: an RTP session, a playback, a bridge.
pub trait Tick: Send {
    /// Called once per period; `now` is the period's nominal time, so
    /// consecutive calls are exactly [`TICK`] apart even when the task
    /// woke late.
    fn tick(&mut self, now: Instant);

    /// False once the participant is finished; the clock then drops it.
    fn is_active(&self) -> bool {
        true
    }
}

impl Tick for crate::media::rtp::RtpSession {
    fn tick(&mut self, now: Instant) {
        crate::media::rtp::RtpSession::tick(self, now)
    }
}

/// A participant shared with signalling code (which needs to reach the
/// session to send DTMF or change the remote) ticks through its lock.
impl<T: Tick + ?Sized> Tick for Arc<Mutex<T>> {
    fn tick(&mut self, now: Instant) {
        if let Ok(mut t) = self.lock() {
            t.tick(now);
        }
    }

    fn is_active(&self) -> bool {
        self.lock().map(|t| t.is_active()).unwrap_or(false)
    }
}

/// Handle to a registered participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TickId(u64);

/// At most this many missed periods are replayed after a stall; beyond it
/// the clock skips ahead rather than bursting media.
const MAX_CATCH_UP: u32 = 5;

/// The pure tick source: registered participants and the next deadline.
pub struct MediaClock {
    next: Instant,
    ticks: u64,
    next_id: u64,
    participants: BTreeMap<TickId, Box<dyn Tick>>,
}

impl MediaClock {
    /// A clock whose first period is due at `start`.
    pub fn new(start: Instant) -> Self {
        MediaClock {
            next: start,
            ticks: 0,
            next_id: 0,
            participants: BTreeMap::new(),
        }
    }

    pub fn register(&mut self, participant: Box<dyn Tick>) -> TickId {
        let id = TickId(self.next_id);
        self.next_id += 1;
        self.participants.insert(id, participant);
        id
    }

    pub fn unregister(&mut self, id: TickId) -> Option<Box<dyn Tick>> {
        self.participants.remove(&id)
    }

    pub fn get_mut(&mut self, id: TickId) -> Option<&mut (dyn Tick + 'static)> {
        self.participants.get_mut(&id).map(|b| b.as_mut())
    }

    pub fn len(&self) -> usize {
        self.participants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// When the next period is due.
    pub fn next_deadline(&self) -> Instant {
        self.next
    }

    /// Periods run since creation.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// Runs every period due by `now` (at most [`MAX_CATCH_UP`]), ticking
    /// each participant with the period's nominal time; returns how many
    /// periods ran.
    pub fn tick(&mut self, now: Instant) -> u32 {
        let mut ran = 0;
        while self.next <= now {
            if ran == MAX_CATCH_UP {
                // Too far behind: drop the backlog, keep the phase.
                let behind = now.duration_since(self.next).as_nanos() / TICK.as_nanos();
                self.next += TICK * (behind as u32 + 1);
                break;
            }
            let at = self.next;
            for p in self.participants.values_mut() {
                p.tick(at);
            }
            self.participants.retain(|_, p| p.is_active());
            self.next += TICK;
            self.ticks += 1;
            ran += 1;
        }
        ran
    }
}

/// Runs `clock` from a tokio interval until the task is aborted. The
/// clock is shared so signalling code can register and unregister.
pub fn spawn(clock: Arc<Mutex<MediaClock>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        // The clock replays missed periods itself.
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            let now = Instant::now();
            match clock.lock() {
                Ok(mut c) => {
                    c.tick(now);
                }
                Err(poisoned) => {
                    poisoned.into_inner().tick(now);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter {
        seen: Arc<Mutex<Vec<Instant>>>,
        limit: usize,
    }

    impl Tick for Counter {
        fn tick(&mut self, now: Instant) {
            if let Ok(mut s) = self.seen.lock() {
                s.push(now);
            }
        }
        fn is_active(&self) -> bool {
            self.seen
                .lock()
                .map(|s| s.len() < self.limit)
                .unwrap_or(false)
        }
    }

    fn counter(limit: usize) -> (Box<Counter>, Arc<Mutex<Vec<Instant>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        (
            Box::new(Counter {
                seen: seen.clone(),
                limit,
            }),
            seen,
        )
    }

    #[test]
    fn ticks_on_nominal_times_without_sleeping() {
        let t0 = Instant::now();
        let mut c = MediaClock::new(t0);
        let (p, seen) = counter(usize::MAX);
        c.register(p);
        assert_eq!(c.tick(t0 - Duration::from_millis(1)), 0);
        assert_eq!(c.tick(t0), 1);
        // Woke 5 ms late: still one period, nominal time.
        assert_eq!(c.tick(t0 + Duration::from_millis(25)), 1);
        assert_eq!(c.tick(t0 + Duration::from_millis(39)), 0);
        // 60 ms stall: the missed periods run in order.
        assert_eq!(c.tick(t0 + Duration::from_millis(100)), 4);
        let seen = seen.lock().expect("lock").clone();
        let ms: Vec<u128> = seen.iter().map(|t| (*t - t0).as_millis()).collect();
        assert_eq!(ms, [0, 20, 40, 60, 80, 100]);
        assert_eq!(c.ticks(), 6);
        assert_eq!(c.next_deadline(), t0 + Duration::from_millis(120));
    }

    #[test]
    fn long_stall_skips_ahead() {
        let t0 = Instant::now();
        let mut c = MediaClock::new(t0);
        assert_eq!(c.tick(t0 + Duration::from_secs(10)), MAX_CATCH_UP);
        assert!(c.next_deadline() > t0 + Duration::from_secs(10));
        assert!(c.next_deadline() <= t0 + Duration::from_secs(10) + TICK);
    }

    #[test]
    fn finished_participants_are_dropped_and_ids_unregister() {
        let t0 = Instant::now();
        let mut c = MediaClock::new(t0);
        let (a, _) = counter(2);
        let (b, _) = counter(usize::MAX);
        c.register(a);
        let b = c.register(b);
        c.tick(t0 + Duration::from_millis(20));
        assert_eq!(c.len(), 1);
        assert!(c.get_mut(b).is_some());
        assert!(c.unregister(b).is_some());
        assert!(c.is_empty());
    }

    #[test]
    fn drives_rtp_sessions() {
        use crate::media::rtp::{RtpConfig, RtpSession};
        let t0 = Instant::now();
        let mut c = MediaClock::new(t0);
        let cfg = RtpConfig {
            rtcp_interval: Some(Duration::from_millis(100)),
            ..RtpConfig::new(0)
        };
        let session = Arc::new(Mutex::new(RtpSession::new(
            cfg,
            t0,
            Some(std::net::SocketAddr::from(([127, 0, 0, 1], 4000))),
        )));
        c.register(Box::new(session.clone()));
        // The first packet sent starts the report clock.
        if let Ok(mut s) = session.lock() {
            assert!(s.send_audio(t0, &[0xFF; 160], 160));
            assert!(s.poll_transmit().is_some());
        }
        for ms in (0..=100).step_by(20) {
            c.tick(t0 + Duration::from_millis(ms));
        }
        // The RTCP interval elapsed on the clock's tick.
        let sent = session.lock().ok().and_then(|mut s| s.poll_transmit());
        assert!(sent.is_some());
    }

    #[tokio::test]
    async fn shell_runs_the_clock() {
        // The only test that waits: the shell itself, briefly.
        let clock = Arc::new(Mutex::new(MediaClock::new(Instant::now())));
        let task = spawn(clock.clone());
        tokio::time::sleep(Duration::from_millis(50)).await;
        task.abort();
        assert!(clock.lock().map(|c| c.ticks()).unwrap_or(0) >= 1);
    }
}
