//! Spies on a channel's audio (Asterisk's `main/audiohook.c`, the spy
//! kind): what the channel receives (read) and what is sent to it (write)
//! are queued as linear audio, and whoever attached the spy takes both
//! back a frame at a time, mixed, from its own thread (MixMonitor).
//!
//! Every write to the device goes through the channel's media port, so
//! the port is wrapped once ([`SpiedPort`]) and feeds the spies whatever
//! path the audio takes (a file playing, a bridge peer, echo); received
//! audio is fed where it arrives ([`Channel::media_in`]).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Channel;
use super::media::MediaPort;
use crate::media::{AudioFrame, Codec};

/// `AST_AUDIOHOOK_SYNC_TOLERANCE`: one direction this far ahead of the
/// other flushes both, to keep them aligned.
const SYNC_TOLERANCE_MS: i64 = 100;
/// `AST_AUDIOHOOK_LONG_QUEUE_TOLERANCE`: audio queued longer is stale.
const LONG_QUEUE_MS: i64 = 500;
/// `AST_AUDIOHOOK_SMALL_QUEUE_TOLERANCE`, for hooks that asked for it.
const SMALL_QUEUE_MS: i64 = 100;

/// Which way audio went: from the device (read) or to it (write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

/// A spy's life (`ast_audiohook_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    /// Asked to stop (StopMixMonitor).
    Shutdown,
    /// Detached: the channel is gone.
    Done,
}

#[derive(Debug)]
struct Queues {
    read: VecDeque<i16>,
    write: VecDeque<i16>,
    /// When each direction was last fed.
    read_time: Option<Instant>,
    write_time: Option<Instant>,
    mute_read: bool,
    mute_write: bool,
    /// Volume factors (`get_volfactor`): 2^n louder, or quieter when
    /// negative; 0 leaves the audio alone.
    read_volume: i32,
    write_volume: i32,
    status: Status,
    /// `AST_AUDIOHOOK_SUBSTITUTE_SILENCE`: a direction without audio reads
    /// as silence (MixMonitor's default; its `n` option clears it).
    substitute_silence: bool,
    /// For a reader that wants every frame as it came, each direction on
    /// its own (res_monitor's two files): frames in arrival order.
    log: Option<VecDeque<(Direction, Vec<i16>)>>,
    /// `AST_AUDIOHOOK_SMALL_QUEUE`: at most 100 ms stays queued (ChanSpy
    /// without `l`), rather than 500.
    small_queue: bool,
}

/// One spy on one channel.
#[derive(Debug)]
pub struct Spy {
    /// Who attached it (`MixMonitor`): mutes and counts go by it.
    pub source: &'static str,
    state: Mutex<Queues>,
    trigger: Condvar,
}

/// One frame taken from a spy: the mix of both directions and each
/// direction alone; silence stands in for a direction that had none,
/// unless the spy was told not to substitute it (then `None`).
pub struct SpyFrame {
    pub mixed: Vec<i16>,
    pub read: Option<Vec<i16>>,
    pub write: Option<Vec<i16>>,
}

impl Spy {
    pub fn new(source: &'static str, read_volume: i32, write_volume: i32) -> Arc<Spy> {
        Arc::new(Spy {
            source,
            state: Mutex::new(Queues {
                read: VecDeque::new(),
                write: VecDeque::new(),
                read_time: None,
                write_time: None,
                mute_read: false,
                mute_write: false,
                read_volume,
                write_volume,
                status: Status::Running,
                substitute_silence: true,
                log: None,
                small_queue: false,
            }),
            trigger: Condvar::new(),
        })
    }

    /// A direction without audio is left out of the frames taken rather
    /// than read as silence.
    pub fn no_silence(&self) {
        self.lock().substitute_silence = false;
    }

    /// At most 100 ms of audio stays queued each way (ChanSpy's hook
    /// unless it asked for the long queue).
    pub fn small_queue(&self) {
        self.lock().small_queue = true;
    }

    /// A spy that keeps every frame in arrival order, neither mixed nor
    /// synchronised ([`Spy::take_log`]).
    pub fn ordered(source: &'static str) -> Arc<Spy> {
        let spy = Spy::new(source, 0, 0);
        spy.lock().log = Some(VecDeque::new());
        spy
    }

    /// The frames an ordered spy was fed since the last call.
    pub fn take_log(&self) -> Vec<(Direction, Vec<i16>)> {
        self.lock()
            .log
            .as_mut()
            .map(|l| l.drain(..).collect())
            .unwrap_or_default()
    }

    fn lock(&self) -> MutexGuard<'_, Queues> {
        crate::core::lock(&self.state)
    }

    pub fn status(&self) -> Status {
        self.lock().status
    }

    /// Ends the spy (`ast_audiohook_update_status`) and wakes its reader.
    pub fn set_status(&self, status: Status) {
        let mut q = self.lock();
        if q.status != Status::Done {
            q.status = status;
        }
        drop(q);
        self.trigger.notify_all();
    }

    /// Changes the volume factor of both directions (ChanSpy's `#`).
    pub fn set_volume(&self, factor: i32) {
        let mut q = self.lock();
        q.read_volume = factor;
        q.write_volume = factor;
    }

    /// Sets or clears the mute of one or both directions.
    pub fn set_mute(&self, read: bool, write: bool, on: bool) {
        let mut q = self.lock();
        if read {
            q.mute_read = on;
        }
        if write {
            q.mute_write = on;
        }
    }

    /// Queues a frame that went `dir` (`ast_audiohook_write_frame` of a
    /// spy kept in sync, with the long-queue guard).
    pub fn feed(&self, dir: Direction, frame: &AudioFrame) {
        let now = Instant::now();
        let mut q = self.lock();
        if q.status != Status::Running {
            return;
        }
        if let Some(log) = q.log.as_mut() {
            log.push_back((dir, frame.to_slin()));
            drop(q);
            self.trigger.notify_all();
            return;
        }
        let previous = match dir {
            Direction::Read => q.read_time.replace(now),
            Direction::Write => q.write_time.replace(now),
        };
        let (ours, other) = match dir {
            Direction::Read => (q.read.len(), q.write.len()),
            Direction::Write => (q.write.len(), q.read.len()),
        };
        let since = previous.map_or(i64::MAX / 2, |p| {
            i64::try_from(now.saturating_duration_since(p).as_millis()).unwrap_or(i64::MAX / 2)
        });
        let ours_ms = since.saturating_add(ms(ours));
        let other_ms = ms(other);
        let limit = if q.small_queue {
            SMALL_QUEUE_MS
        } else {
            LONG_QUEUE_MS
        };
        if ours_ms - other_ms > SYNC_TOLERANCE_MS || ours_ms > limit || other_ms > limit {
            q.read.clear();
            q.write.clear();
        }
        let samples = frame.to_slin();
        match dir {
            Direction::Read => q.read.extend(samples),
            Direction::Write => q.write.extend(samples),
        }
        drop(q);
        self.trigger.notify_all();
    }

    /// Takes `samples` of both directions (`audiohook_read_frame_both`
    /// with silence substituted): `None` when neither has enough, or when
    /// one has and the other fed recently enough to wait for it.
    pub fn take(&self, samples: usize) -> Option<SpyFrame> {
        let now = Instant::now();
        let mut q = self.lock();
        let read_ok = q.read.len() >= samples;
        let write_ok = q.write.len() >= samples;
        if !read_ok && !write_ok {
            return None;
        }
        // Give the other direction four frame times to catch up, unless
        // this one has four frames queued already.
        let recent = |t: Option<Instant>| {
            t.is_some_and(|t| now.saturating_duration_since(t) < frame_time(samples) * 4)
        };
        if read_ok && !write_ok && recent(q.write_time) && q.read.len() < 4 * samples {
            return None;
        }
        if write_ok && !read_ok && recent(q.read_time) && q.write.len() < 4 * samples {
            return None;
        }
        let q = &mut *q;
        let mut read = take_samples(&mut q.read, samples, q.mute_read, q.read_volume);
        let mut write = take_samples(&mut q.write, samples, q.mute_write, q.write_volume);
        if q.substitute_silence {
            read.get_or_insert_with(|| vec![0; samples]);
            write.get_or_insert_with(|| vec![0; samples]);
        }
        let mixed = match (&read, &write) {
            (Some(r), Some(w)) => r
                .iter()
                .zip(w)
                .map(|(&r, &w)| r.saturating_add(w))
                .collect(),
            (Some(one), None) | (None, Some(one)) => one.clone(),
            (None, None) => return None,
        };
        Some(SpyFrame { mixed, read, write })
    }

    /// Waits until fed or stopped, at most `timeout`
    /// (`ast_audiohook_trigger_wait`).
    pub fn wait(&self, timeout: Duration) {
        let q = self.lock();
        let _ = self.trigger.wait_timeout(q, timeout);
    }
}

/// `samples` from one direction's queue, muted or with its volume
/// applied; `None` when it has too few.
fn take_samples(buf: &mut VecDeque<i16>, samples: usize, mute: bool, vol: i32) -> Option<Vec<i16>> {
    if buf.len() < samples {
        return None;
    }
    let mut out: Vec<i16> = buf.drain(..samples).collect();
    if mute {
        out.iter_mut().for_each(|s| *s = 0);
    } else if vol != 0 {
        adjust_volume(&mut out, vol);
    }
    Some(out)
}

/// Milliseconds of 8 kHz audio in `samples`.
fn ms(samples: usize) -> i64 {
    i64::try_from(samples / 8).unwrap_or(i64::MAX / 2)
}

fn frame_time(samples: usize) -> Duration {
    Duration::from_millis(u64::try_from(samples / 8).unwrap_or(u64::MAX))
}

/// `ast_slinear_saturated_multiply`/`_divide` by the factor's magnitude.
fn adjust_volume(samples: &mut [i16], vol: i32) {
    let factor = vol.unsigned_abs();
    for s in samples {
        let v = i32::from(*s);
        let v = if vol > 0 {
            v.saturating_mul(i32::try_from(factor).unwrap_or(i32::MAX))
        } else {
            v / i32::try_from(factor.max(1)).unwrap_or(i32::MAX)
        };
        *s = v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
}

/// `get_volfactor`: an option's level (-4..4) as a factor.
pub fn volume_factor(level: i32) -> i32 {
    match level {
        0 => 0,
        l if l > 0 => 1 << l,
        l => -(1 << -l),
    }
}

/// A whisper on one channel (`AST_AUDIOHOOK_TYPE_WHISPER`): audio fed
/// to it is mixed into what is next sent to the channel's device, a frame
/// of it into each frame sent; nothing is sent for it alone.
#[derive(Debug)]
pub struct Whisper {
    /// Who attached it (`ChanSpy`).
    pub source: &'static str,
    state: Mutex<WhisperQueue>,
}

#[derive(Debug)]
struct WhisperQueue {
    samples: VecDeque<i16>,
    /// When it was last fed (attaching counts, as `ast_audiohook_init`
    /// starts its clocks then).
    fed: Instant,
    small_queue: bool,
    running: bool,
}

impl Whisper {
    pub fn new(source: &'static str, small_queue: bool) -> Arc<Whisper> {
        Arc::new(Whisper {
            source,
            state: Mutex::new(WhisperQueue {
                samples: VecDeque::new(),
                fed: Instant::now(),
                small_queue,
                running: true,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, WhisperQueue> {
        crate::core::lock(&self.state)
    }

    /// Queues audio to whisper (`ast_audiohook_write_frame`, write
    /// direction, kept in sync with a read side that is never fed: what
    /// is queued too long is dropped first).
    pub fn feed(&self, frame: &AudioFrame) {
        let now = Instant::now();
        let mut q = self.lock();
        if !q.running {
            return;
        }
        let since =
            i64::try_from(now.saturating_duration_since(q.fed).as_millis()).unwrap_or(i64::MAX / 2);
        q.fed = now;
        let ours_ms = since.saturating_add(ms(q.samples.len()));
        let limit = if q.small_queue {
            SMALL_QUEUE_MS
        } else {
            LONG_QUEUE_MS
        };
        if ours_ms > SYNC_TOLERANCE_MS || ours_ms > limit {
            q.samples.clear();
        }
        q.samples.extend(frame.to_slin());
    }

    /// `samples` of whispered audio, or `None` when fewer are queued
    /// (`ast_audiohook_read_frame` of the write direction).
    fn take(&self, samples: usize) -> Option<Vec<i16>> {
        let mut q = self.lock();
        if !q.running || q.samples.len() < samples {
            return None;
        }
        Some(q.samples.drain(..samples).collect())
    }

    fn running(&self) -> bool {
        self.lock().running
    }

    /// Stops it: nothing more is queued or mixed.
    pub fn stop(&self) {
        let mut q = self.lock();
        q.running = false;
        q.samples.clear();
    }
}

/// A channel's spies. `None` until the first is attached; emptied spies
/// are dropped at the next frame read (Asterisk frees the channel's
/// audiohook list then, and a mute finds none to count).
#[derive(Debug, Default)]
pub struct Spies {
    list: Mutex<Option<Vec<Arc<Spy>>>>,
    /// Whispers (ChanSpy's `w` and `B`), mixed into what is sent.
    whispers: Mutex<Vec<Arc<Whisper>>>,
}

impl Spies {
    fn lock(&self) -> MutexGuard<'_, Option<Vec<Arc<Spy>>>> {
        crate::core::lock(&self.list)
    }

    fn whispers(&self) -> MutexGuard<'_, Vec<Arc<Whisper>>> {
        crate::core::lock(&self.whispers)
    }

    /// The frame about to be sent with every whisper's audio mixed in
    /// (`audio_audiohook_write_list`), or `None` when no whisper had any.
    fn whispered(&self, frame: &AudioFrame) -> Option<AudioFrame> {
        let whispers = self.whispers();
        if whispers.is_empty() {
            return None;
        }
        let mut out: Option<Vec<i16>> = None;
        for w in whispers.iter() {
            let Some(extra) = w.take(frame.samples()) else {
                continue;
            };
            let mixed = out.get_or_insert_with(|| frame.to_slin());
            for (s, e) in mixed.iter_mut().zip(extra) {
                *s = s.saturating_add(e);
            }
        }
        out.map(AudioFrame::Slin)
    }

    /// Hands a frame that went `dir` to every running spy.
    pub(super) fn feed(&self, dir: Direction, frame: &AudioFrame) {
        let mut l = self.lock();
        match l.as_mut() {
            None => {}
            Some(v) if v.is_empty() => {
                if dir == Direction::Read {
                    *l = None;
                }
            }
            Some(v) => {
                v.retain(|s| s.status() == Status::Running);
                for s in v.iter() {
                    s.feed(dir, frame);
                }
            }
        }
    }
}

/// The device's port with the channel's spies listening to what is sent.
pub struct SpiedPort {
    pub inner: Arc<dyn MediaPort>,
    spies: Arc<Spies>,
    /// Muted voice goes to neither the spies nor the device.
    mute: Arc<super::media::Mute>,
    watches: Arc<super::framehook::Watches>,
}

impl SpiedPort {
    pub fn new(
        inner: Arc<dyn MediaPort>,
        spies: Arc<Spies>,
        mute: Arc<super::media::Mute>,
        watches: Arc<super::framehook::Watches>,
    ) -> SpiedPort {
        SpiedPort {
            inner,
            spies,
            mute,
            watches,
        }
    }
}

impl MediaPort for SpiedPort {
    fn codec(&self) -> Codec {
        self.inner.codec()
    }

    fn write(&self, frame: &AudioFrame, now: Instant) {
        if self.mute.write() {
            return;
        }
        self.watches.written(super::framehook::Written::Voice);
        self.spies.feed(Direction::Write, frame);
        // Spies hear what was sent before any whisper was mixed in.
        match self.spies.whispered(frame) {
            Some(mixed) => self.inner.write(&mixed, now),
            None => self.inner.write(frame, now),
        }
    }

    fn send_digit(&self, digit: char, duration_ms: u32) {
        self.inner.send_digit(digit, duration_ms);
    }
}

impl Channel {
    /// Attaches a spy (`ast_audiohook_attach`); a bridge the channel is
    /// in reconfigures for it. An ordered spy (res_monitor's, which is no
    /// audiohook in Asterisk) goes unnoticed by the bridge.
    pub fn attach_spy(&self, spy: Arc<Spy>) {
        let ordered = spy.lock().log.is_some();
        let spies = self.media().spies.clone();
        spies.lock().get_or_insert_with(Vec::new).push(spy);
        if !ordered && let Some(b) = self.bridge() {
            b.reconfigured();
        }
    }

    /// Detaches a spy; it is told it is done.
    pub fn detach_spy(&self, spy: &Arc<Spy>) {
        let spies = self.media().spies.clone();
        if let Some(v) = spies.lock().as_mut() {
            v.retain(|s| !Arc::ptr_eq(s, spy));
        }
        spy.set_status(Status::Done);
    }

    /// Attaches a whisper; a bridge the channel is in reconfigures for it
    /// (its audio must pass through the core to be mixed).
    pub fn attach_whisper(&self, whisper: Arc<Whisper>) {
        let spies = self.media().spies.clone();
        spies.whispers().push(whisper);
        if let Some(b) = self.bridge() {
            b.reconfigured();
        }
    }

    /// Detaches a whisper and stops it.
    pub fn detach_whisper(&self, whisper: &Arc<Whisper>) {
        let spies = self.media().spies.clone();
        spies.whispers().retain(|w| !Arc::ptr_eq(w, whisper));
        whisper.stop();
    }

    /// Whether any spy or whisper is on the channel: its audio must then
    /// pass through the core, so no native RTP bridge
    /// (`ast_channel_has_audio_frame_or_monitor`).
    pub fn has_spies(&self) -> bool {
        let spies = self.media().spies.clone();
        if spies.whispers().iter().any(|w| w.running()) {
            return true;
        }
        let l = spies.lock();
        l.as_ref()
            .is_some_and(|v| v.iter().any(|s| s.status() == Status::Running))
    }

    /// How many running spies `source` has on the channel
    /// (`ast_channel_audiohook_count_by_source`).
    pub fn spy_count(&self, source: &str) -> usize {
        let spies = self.media().spies.clone();
        let l = spies.lock();
        l.as_ref().map_or(0, |v| {
            v.iter()
                .filter(|s| s.source == source && s.status() == Status::Running)
                .count()
        })
    }

    /// Mutes or unmutes every spy of `source` (`ast_audiohook_set_mute_all`):
    /// how many, or `None` when the channel has no spy list at all.
    pub fn mute_spies(&self, source: &str, read: bool, write: bool, on: bool) -> Option<usize> {
        let spies = self.media().spies.clone();
        let l = spies.lock();
        let v = l.as_ref()?;
        let mut n = 0;
        for s in v.iter().filter(|s| s.source.eq_ignore_ascii_case(source)) {
            s.set_mute(read, write, on);
            n += 1;
        }
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(v: i16) -> AudioFrame {
        AudioFrame::Slin(vec![v; 160])
    }

    /// Each direction's first frame flushes both queues (it comes long
    /// after the "previous" one), as in Asterisk: feed both once, then
    /// the queues hold what comes next.
    fn primed(read_volume: i32, write_volume: i32) -> Arc<Spy> {
        let spy = Spy::new("MixMonitor", read_volume, write_volume);
        spy.feed(Direction::Read, &frame(1));
        spy.feed(Direction::Write, &frame(1));
        while spy.take(160).is_some() {}
        spy.lock().write.clear();
        spy
    }

    #[test]
    fn the_first_frame_of_a_direction_flushes_both() {
        let spy = Spy::new("MixMonitor", 0, 0);
        spy.feed(Direction::Read, &frame(5));
        spy.feed(Direction::Write, &frame(6));
        let q = spy.lock();
        assert_eq!((q.read.len(), q.write.len()), (0, 160));
    }

    #[test]
    fn both_directions_mix_and_a_missing_one_is_silence() {
        let spy = primed(0, 0);
        spy.feed(Direction::Read, &frame(100));
        spy.feed(Direction::Write, &frame(20));
        let f = spy.take(160).expect("a frame");
        let (r, w) = (f.read.expect("read"), f.write.expect("write"));
        assert_eq!((f.mixed[0], r[0], w[0]), (120, 100, 20));
        assert!(spy.take(160).is_none());
        // Only read audio, the write side never fed: silence for it.
        let spy = Spy::new("MixMonitor", 0, 0);
        spy.feed(Direction::Read, &frame(7));
        let f = spy.take(160).expect("a frame");
        assert_eq!((f.mixed[0], f.write.expect("silence")[0]), (7, 0));
        // Told not to substitute silence, the missing side is absent.
        let spy = Spy::new("MixMonitor", 0, 0);
        spy.no_silence();
        spy.feed(Direction::Read, &frame(7));
        let f = spy.take(160).expect("a frame");
        assert_eq!((f.mixed[0], f.write.is_none()), (7, true));
    }

    #[test]
    fn mute_and_volume() {
        let spy = primed(volume_factor(2), volume_factor(-1));
        spy.feed(Direction::Read, &frame(100));
        spy.feed(Direction::Write, &frame(100));
        let f = spy.take(160).expect("a frame");
        assert_eq!((f.read.expect("r")[0], f.write.expect("w")[0]), (400, 50));
        spy.set_mute(true, false, true);
        spy.feed(Direction::Read, &frame(100));
        spy.feed(Direction::Write, &frame(100));
        let f = spy.take(160).expect("a frame");
        assert_eq!((f.read.expect("r")[0], f.write.expect("w")[0]), (0, 50));
        assert_eq!(volume_factor(0), 0);
        assert_eq!(volume_factor(-4), -16);
    }

    #[test]
    fn whispers_mix_into_what_is_sent_a_frame_at_a_time() {
        let spies = Spies::default();
        assert!(spies.whispered(&frame(10)).is_none());
        let w = Whisper::new("ChanSpy", true);
        spies.whispers().push(w.clone());
        // Nothing whispered yet: the frame goes out as it was.
        assert!(spies.whispered(&frame(10)).is_none());
        w.feed(&frame(5));
        let Some(AudioFrame::Slin(out)) = spies.whispered(&AudioFrame::Slin(vec![i16::MAX; 160]))
        else {
            panic!("a mixed frame");
        };
        assert_eq!(out[0], i16::MAX);
        w.feed(&frame(5));
        let Some(AudioFrame::Slin(out)) = spies.whispered(&frame(10)) else {
            panic!("a mixed frame");
        };
        assert_eq!(out[0], 15);
        // A stopped whisper mixes nothing more.
        w.feed(&frame(5));
        w.stop();
        assert!(spies.whispered(&frame(10)).is_none());
    }

    #[test]
    fn a_stopped_spy_takes_nothing_more() {
        let spy = Spy::new("MixMonitor", 0, 0);
        spy.set_status(Status::Shutdown);
        spy.feed(Direction::Read, &frame(1));
        assert!(spy.take(160).is_none());
        spy.set_status(Status::Done);
        spy.set_status(Status::Running);
        assert_eq!(spy.status(), Status::Done);
    }
}
