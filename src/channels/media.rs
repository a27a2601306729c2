//! A channel's media: where its audio goes (the driver's [`MediaPort`]),
//! what plays to it (one [`FrameSource`] at a time, paced by the shared
//! media clock), where its received audio goes (a tap: echo, a bridge, a
//! recording) and the DTMF digits it has received.
//!
//! Asterisk reads and writes frames in each channel's own thread; here the
//! one 20 ms clock pulls every playing source in a single pass, and
//! received frames are pushed from the RTP receive task, so a call costs no
//! thread and no timer of its own.

use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Instant;

use super::Channel;
use crate::media::clock::{MediaClock, Tick};
use crate::media::{AudioFrame, Codec};

/// The driver side of a channel's media (an RTP session for SIP).
pub trait MediaPort: Send + Sync {
    /// The format the far end receives.
    fn codec(&self) -> Codec;
    /// Sends one frame toward the device, converting it if needed.
    fn write(&self, frame: &AudioFrame, now: Instant);
    /// Sends a DTMF digit out of band (RFC 4733) lasting `duration_ms`.
    fn send_digit(&self, _digit: char, _duration_ms: u32) {}
    /// A file played to the end: a short last frame still waiting for
    /// more is dropped (the reference sends none of the files' short last
    /// frames of digits said in a row: 129 frames for 701).
    fn end_of_file(&self) {}
}

/// Audio played to a channel: a file, tones, music on hold.
pub trait FrameSource: Send {
    /// The next 20 ms of audio, `None` once finished.
    fn next_frame(&mut self) -> Option<AudioFrame>;

    /// A generator (tones, music on hold) rather than a file stream:
    /// `ast_stopstream` leaves generators playing.
    fn is_generator(&self) -> bool {
        false
    }

    /// A file stream's position, in samples from its start
    /// (`ast_tellstream`); none for a generator.
    fn tell(&self) -> Option<u64> {
        None
    }

    /// Moves a file stream to `samples` from its start, at most its end
    /// (`ast_seekstream` with `SEEK_SET`); false when it cannot move.
    fn seek_to(&mut self, _samples: u64) -> bool {
        false
    }

    /// Its length in samples, when known.
    fn length(&self) -> Option<u64> {
        None
    }
}

/// The manager's ControlPlayback controls (`AST_CONTROL_STREAM_*`), read
/// by whatever waits on a stream the channel plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamControl {
    Stop,
    Suspend,
    Restart,
    Reverse,
    Forward,
}

impl StreamControl {
    /// Its `AST_CONTROL_STREAM_*` number, which the waits return.
    pub fn code(self) -> i32 {
        match self {
            StreamControl::Stop => 1000,
            StreamControl::Suspend => 1001,
            StreamControl::Restart => 1002,
            StreamControl::Reverse => 1003,
            StreamControl::Forward => 1004,
        }
    }
}

/// What a channel received is handed to this (echo, bridge, recording).
pub type Tap = Box<dyn FnMut(&AudioFrame) + Send>;

/// A tap that writes what it gets to `port` (echo, bridges).
pub fn forward_to(port: Arc<dyn MediaPort>) -> Tap {
    Box::new(move |f: &AudioFrame| port.write(f, Instant::now()))
}

/// Where a channel's music on hold is, kept between one hold and the next
/// so the music resumes where it stopped (res_musiconhold's
/// `moh_files_state`).
#[derive(Debug, Clone, Default)]
pub struct MusicState {
    /// Music is playing (Asterisk's `state->class` is set).
    pub active: bool,
    /// The class last played and how many files it had.
    pub class: String,
    pub file_count: usize,
    /// The file playing, and the one to resume at once stopped.
    pub pos: usize,
    pub save_pos: Option<usize>,
    pub save_pos_filename: String,
    /// Samples played of the current file.
    pub samples: u64,
    /// An announcement is playing (between files).
    pub announcement: bool,
}

/// A channel's media state.
#[derive(Default)]
pub struct ChanMedia {
    /// Music on hold's resume point, shared with the music playing.
    pub music: Arc<Mutex<MusicState>>,
    port: Option<Arc<dyn MediaPort>>,
    source: Option<(u64, Box<dyn FrameSource>)>,
    /// When the source started and how many frames it has written: frame
    /// `k` is due `k` frame times after the start, as the channel's own
    /// timer paces a stream in Asterisk.
    paced: (Option<Instant>, u32),
    /// When the file stream that last played to its end ended on its own
    /// clock: its start plus its samples. A short last frame lasts only
    /// its samples (the stream's timer is set to their rate), so the file
    /// that follows at once starts then, not a whole frame time later.
    stream_end: Option<Instant>,
    next_generation: u64,
    tap: Option<Tap>,
    digits: VecDeque<char>,
    /// Digit ends queued as received without a begin (`ast_queue_frame`:
    /// PlayDTMF's `Receive`, Atxfer), with their length, not read yet.
    queued_dtmf: VecDeque<(char, u32)>,
    /// The queued digit being read by a reader of frames: Asterisk turns
    /// an end without a begin into a begin and makes up the end once the
    /// digit has lasted its length, so it is seen then.
    emulating: Option<(char, Instant)>,
    /// When the last queued digit began or ended (`dtmf_tv`): the next one
    /// waits for the gap after it.
    last_dtmf: Option<Instant>,
    /// A stream's reader waits for digits (`ast_waitstream`): it reads a
    /// held-back digit on one of the stream's frame ticks, so frames due
    /// after that tick wait for what the digit decides.
    stream_reader: bool,
    /// The frame tick at which that reader read its last digit: a stop
    /// it makes writes the frames owed up to then, not up to whenever
    /// its task ran.
    digit_read_at: Option<Instant>,
    /// Whether any media (audio or a DTMF event) came from the device.
    media_seen: bool,
    /// The first media was this digit's begin (Answer's wait for media
    /// reads it, then puts it back).
    first_media_dtmf: Option<char>,
    /// A digit begin put back at the head of the channel's frames: the
    /// next application to run reads (and announces) it again.
    requeued_begin: Option<char>,
    /// Audio that arrived while nothing took it, newest last, with when.
    unread: VecDeque<(Instant, AudioFrame)>,
    /// Spies on the audio both ways (MixMonitor); the port is wrapped to
    /// feed them what is sent.
    pub(super) spies: Arc<super::audiohook::Spies>,
    /// Voice suppressed each way (res_mutestream's MuteAudio/MUTEAUDIO).
    pub(super) mute: Arc<Mute>,
    /// Watches on what is written (framehooks); the port is wrapped to
    /// tell them of voice sent.
    pub(super) watches: Arc<super::framehook::Watches>,
    /// Stream controls queued by the manager, while something reads them.
    stream_controls: VecDeque<StreamControl>,
    /// How many readers of stream controls run (ControlPlayback): with
    /// none, a control is read and dropped by whatever else reads.
    control_readers: u32,
}

/// `ast_channel_suppress` of voice: a muted direction's frames are
/// dropped before anything (a spy, a bridge, the device) sees them, as
/// the suppressing framehook turns them into null frames.
#[derive(Debug, Default)]
pub struct Mute {
    read: std::sync::atomic::AtomicBool,
    write: std::sync::atomic::AtomicBool,
}

impl Mute {
    pub fn read(&self) -> bool {
        self.read.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn write(&self) -> bool {
        self.write.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Received audio no tap took is kept this long for the next tap. In
/// Asterisk a frame waits in the channel (or its socket) until the channel
/// is next read, and whatever reads it gets it: Answer puts back the frame
/// it waited for, so the Echo after it echoes that frame too. Playing
/// something reads (and drops) what arrives; other steps of ours that
/// would read have no queue to drain, so only what arrived within one
/// frame time counts as still unread.
const UNREAD_FOR: std::time::Duration = std::time::Duration::from_millis(20);
/// At most this many frames are kept (one frame time's worth, and some).
const UNREAD_MAX: usize = 4;
/// `AST_DEFAULT_EMULATE_DTMF_DURATION`, the shortest digit sent.
pub const DEFAULT_DTMF_MS: u32 = 100;
/// `option_dtmfminduration`'s default: the shortest digit a reader of
/// frames is given.
const MIN_DTMF_MS: u32 = 80;
/// `AST_MIN_DTMF_GAP`: a queued digit is not read this soon after the
/// last one began or ended.
const MIN_DTMF_GAP: std::time::Duration = std::time::Duration::from_millis(45);

/// A stream's reader waiting for digits; see
/// [`Channel::read_stream_digits`].
pub struct StreamDigitReader<'a> {
    chan: &'a Channel,
}

impl StreamDigitReader<'_> {
    /// The digit read did not stop the stream: it plays on.
    pub fn digit_dropped(&self) {
        self.chan.media().digit_read_at = None;
    }
}

/// See [`Channel::read_stream_controls`].
pub struct StreamControlReader<'a> {
    chan: &'a Channel,
}

impl Drop for StreamControlReader<'_> {
    fn drop(&mut self) {
        let mut m = self.chan.media();
        m.control_readers = m.control_readers.saturating_sub(1);
        if m.control_readers == 0 {
            m.stream_controls.clear();
        }
    }
}

impl Drop for StreamDigitReader<'_> {
    fn drop(&mut self) {
        let mut m = self.chan.media();
        m.stream_reader = false;
        m.digit_read_at = None;
    }
}

/// How a reader takes digits (Asterisk's `AST_FLAG_END_DTMF_ONLY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitReader {
    /// Waiting for a digit or streaming a file (`ast_waitfordigit`,
    /// `ast_waitstream`): a queued digit is seen as soon as it is read.
    EndsOnly,
    /// Reading frames (bridges, Record, Echo): a queued digit without a
    /// begin is given one, and is seen once it has lasted its length.
    Frames,
}

/// The process's one media clock.
static CLOCK: LazyLock<Arc<Mutex<MediaClock>>> = LazyLock::new(|| {
    let clock = Arc::new(Mutex::new(MediaClock::new(Instant::now())));
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        let _guard = handle.enter();
        crate::media::clock::spawn(clock.clone());
    }
    clock
});

/// Adds a participant to the shared clock.
pub fn register_tick(participant: Box<dyn Tick>) {
    match CLOCK.lock() {
        Ok(mut c) => {
            c.register(participant);
        }
        Err(p) => {
            p.into_inner().register(participant);
        }
    }
}

/// Pulls one channel's source each period and writes it to its port.
struct Pump {
    chan: Weak<Channel>,
    generation: u64,
    active: bool,
}

impl Tick for Pump {
    fn tick(&mut self, now: Instant) {
        let Some(chan) = self.chan.upgrade() else {
            self.active = false;
            return;
        };
        let (frame, port, last) = {
            let mut m = chan.media();
            let due = m.next_due();
            // A digit its reader acts on at an earlier tick may stop the
            // stream before this frame (the reader writes what was owed
            // up to that tick).
            let held = due.is_some_and(|d| m.stream_digit_tick().is_some_and(|t| t < d));
            match m.source.as_mut() {
                // The clock's ticks fall anywhere in a frame time: a frame
                // not yet due waits for the next one.
                Some((g, _)) if *g == self.generation && due.is_some_and(|d| d > now) => {
                    return;
                }
                Some((g, _)) if *g == self.generation && held => return,
                Some((g, src)) if *g == self.generation => {
                    let frame = src.next_frame();
                    // A file's short frame is its last: the reference
                    // reads the end with it, and the next file in a row
                    // starts once its samples have played.
                    let generator = src.is_generator();
                    let last = frame
                        .as_ref()
                        .is_some_and(|f| !generator && f.samples() < crate::media::FRAME_SAMPLES);
                    if !generator {
                        m.stream_end = match &frame {
                            Some(f) if last => due.map(|d| d + sample_time(f.samples())),
                            Some(_) => None,
                            None => due,
                        };
                    }
                    if frame.is_some() && !last {
                        m.paced.1 += 1;
                    }
                    (frame, m.port.clone(), last)
                }
                _ => (None, None, false),
            }
        };
        if let (Some(f), Some(p)) = (&frame, &port) {
            p.write(f, now);
        }
        if frame.is_none() || last {
            // The stream ends once its last frame is out: what that frame
            // brought back meanwhile (a Local channel's far half echoing
            // it) was read by the playback, as `ast_waitstream` reads
            // until it sees the stream done.
            {
                let mut m = chan.media();
                if matches!(m.source, Some((g, _)) if g == self.generation) {
                    m.source = None;
                }
            }
            if let Some(p) = port {
                p.end_of_file();
            }
            self.active = false;
            chan.wake();
        }
    }

    fn is_active(&self) -> bool {
        self.active
    }
}

impl ChanMedia {
    /// When the source's next frame is due.
    fn next_due(&self) -> Option<Instant> {
        let (start, written) = self.paced;
        start
            .filter(|_| self.source.is_some())
            .map(|t| t + crate::media::clock::TICK * written)
    }

    /// When a digit held back by the gap after the last one is read: at
    /// the reader's first wake after the gap. A stream's reader wakes with
    /// each of its frames (its timer, from the stream's start), and the
    /// frame goes out first; other readers wake each frame time from the
    /// last digit (the timer DTMF emulation runs at 50 a second), the third
    /// time 60 ms after it. The tick is fixed by the stream's start and
    /// the last digit alone, so a reader or a clock that runs late reads
    /// the digit at the same tick.
    fn next_dtmf_read(&self) -> Option<Instant> {
        let last = self.last_dtmf?;
        let earliest = last + MIN_DTMF_GAP;
        let tick = crate::media::clock::TICK;
        let base = self
            .paced
            .0
            .filter(|_| self.source.is_some())
            .unwrap_or(last);
        let Some(after) = earliest.checked_duration_since(base) else {
            // The stream started after the gap: its reader reads at once.
            return Some(base);
        };
        let ticks = after.as_nanos().div_ceil(tick.as_nanos());
        Some(base + tick * u32::try_from(ticks).unwrap_or(u32::MAX))
    }

    /// The frame tick at which a stream's reader acts on a digit: one it
    /// read, or the next queued one, held back by the gap.
    fn stream_digit_tick(&self) -> Option<Instant> {
        if !self.stream_reader {
            return None;
        }
        self.digit_read_at.or_else(|| {
            if self.queued_dtmf.is_empty() || self.emulating.is_some() {
                None
            } else {
                self.next_dtmf_read()
            }
        })
    }

    /// Stops the source. The frames it owed by now that the clock has not
    /// yet written go out first: Asterisk's timer would have written them
    /// before whatever stops the stream was read.
    fn stop(&mut self) -> Vec<(AudioFrame, Instant)> {
        let mut owed = Vec::new();
        let now = Instant::now();
        let now = self.digit_read_at.take().map_or(now, |t| t.min(now));
        if let (Some((_, src)), (Some(start), written)) = (self.source.as_mut(), &mut self.paced) {
            loop {
                let due = *start + crate::media::clock::TICK * *written;
                if due > now {
                    break;
                }
                let Some(f) = src.next_frame() else {
                    break;
                };
                owed.push((f, due));
                *written += 1;
            }
        }
        // A stream stopped before its end leaves no end to follow on.
        if self.source.take().is_some() {
            self.stream_end = None;
        }
        self.paced = (None, 0);
        owed
    }
}

/// How long a stream's timer waits after a frame of `samples` (8 kHz):
/// it is set to a whole number of firings a second, the nearest to the
/// frame's rate (16.667 ms for a frame of 134 samples, not 16.75).
fn sample_time(samples: usize) -> std::time::Duration {
    let rate = (8000.0 / samples.max(1) as f64).round().max(1.0);
    std::time::Duration::from_secs_f64(1.0 / rate)
}

/// Writes the frames a stopped source owed.
fn write_owed(port: Option<Arc<dyn MediaPort>>, owed: Vec<(AudioFrame, Instant)>) {
    if let Some(p) = port {
        for (f, at) in owed {
            p.write(&f, at);
        }
    }
}

impl Channel {
    pub fn media(&self) -> std::sync::MutexGuard<'_, ChanMedia> {
        crate::core::lock(&self.media)
    }

    pub fn set_media_port(&self, port: Arc<dyn MediaPort>) {
        let mut m = self.media();
        let spied = super::audiohook::SpiedPort::new(
            port,
            m.spies.clone(),
            m.mute.clone(),
            m.watches.clone(),
        );
        m.port = Some(Arc::new(spied));
    }

    pub fn media_port(&self) -> Option<Arc<dyn MediaPort>> {
        self.media().port.clone()
    }

    /// The channel's native format (`ast_channel_nativeformats`); a
    /// channel without media is treated as signed linear.
    pub fn native_codec(&self) -> Codec {
        self.media_port().map(|p| p.codec()).unwrap_or(Codec::Slin)
    }

    /// Starts playing `source` in place of whatever played before
    /// (`ast_activate_generator` / `ast_playstream`); returns its
    /// generation for [`Channel::source_playing`].
    pub fn start_source(self: &Arc<Self>, mut source: Box<dyn FrameSource>) -> u64 {
        // ast_playstream writes a file's first frame at once and its timer
        // paces the rest; ast_activate_generator sets the channel's timer
        // to 50 a second from then, so a generator's first frame is due
        // one frame time after it starts, and the rest paced the same way.
        let generator = source.is_generator();
        let first = if generator { None } else { source.next_frame() };
        let (generation, port, owed) = {
            let mut m = self.media();
            // What played before ends here.
            let owed = m.stop();
            m.next_generation += 1;
            let g = m.next_generation;
            if generator || first.is_some() {
                m.source = Some((g, source));
                // Frame 0 is the file's first, written below; a generator
                // has none at its start. A file that follows one which
                // just played out is paced from that one's end, as the
                // reference starts it when its timer reads that end.
                let now = Instant::now();
                let start = match m.stream_end.take() {
                    Some(end) if !generator && now < end + crate::media::clock::TICK => end,
                    _ => now,
                };
                m.paced = (Some(start), 1);
                m.unread.clear();
            }
            (g, m.port.clone(), owed)
        };
        write_owed(port.clone(), owed);
        if !generator {
            let Some(first) = first else {
                self.wake();
                return generation;
            };
            if let Some(p) = port {
                p.write(&first, Instant::now());
            }
        }
        register_tick(Box::new(Pump {
            chan: Arc::downgrade(self),
            generation,
            active: true,
        }));
        generation
    }

    /// Whether the source started as `generation` still plays.
    pub fn source_playing(&self, generation: u64) -> bool {
        matches!(self.media().source, Some((g, _)) if g == generation)
    }

    /// Stops whatever plays (`ast_stopstream`, `ast_deactivate_generator`).
    pub fn stop_source(&self) {
        self.stop_if(|_| true);
    }

    /// Takes the playing source out without stopping it (no more frames
    /// go out; it stops when the caller drops it).
    pub fn take_source(&self) -> Option<Box<dyn FrameSource>> {
        self.media().source.take().map(|(_, s)| s)
    }

    /// Runs `f` on the source started as `generation`, if it still plays.
    pub fn with_source<R>(
        &self,
        generation: u64,
        f: impl FnOnce(&mut dyn FrameSource) -> R,
    ) -> Option<R> {
        let mut m = self.media();
        match m.source.as_mut() {
            Some((g, s)) if *g == generation => Some(f(s.as_mut())),
            _ => None,
        }
    }

    /// `ast_queue_control` of a stream control (the manager's
    /// ControlPlayback). Only a reader of controls acts on it; any other
    /// reader of the channel's frames drops it.
    pub fn queue_stream_control(&self, control: StreamControl) {
        let mut m = self.media();
        if m.control_readers > 0 {
            m.stream_controls.push_back(control);
            drop(m);
            self.wake();
        }
    }

    /// The oldest stream control queued, if any.
    pub fn take_stream_control(&self) -> Option<StreamControl> {
        self.media().stream_controls.pop_front()
    }

    /// Marks the channel as reading stream controls until the guard goes.
    pub fn read_stream_controls(&self) -> StreamControlReader<'_> {
        self.media().control_readers += 1;
        StreamControlReader { chan: self }
    }

    /// Stops a file stream, leaving a generator playing (`ast_stopstream`).
    pub fn stop_stream(&self) {
        self.stop_if(|s| !s.is_generator());
    }

    /// Stops a generator, leaving a file stream playing
    /// (`ast_deactivate_generator`).
    pub fn stop_generator(&self) {
        self.stop_if(|s| s.is_generator());
    }

    /// Stops the source if `which` picks it, its owed frames written.
    fn stop_if(&self, which: impl Fn(&dyn FrameSource) -> bool) {
        let (owed, port) = {
            let mut m = self.media();
            if !m.source.as_ref().is_some_and(|(_, s)| which(s.as_ref())) {
                return;
            }
            (m.stop(), m.port.clone())
        };
        write_owed(port, owed);
    }

    /// Whether a generator (tones, music) is playing.
    pub fn generator_playing(&self) -> bool {
        self.media()
            .source
            .as_ref()
            .is_some_and(|(_, s)| s.is_generator())
    }

    /// Writes one frame to the device (`ast_write`).
    pub fn write_frame(&self, frame: &AudioFrame) {
        if let Some(p) = self.media_port() {
            p.write(frame, Instant::now());
        }
    }

    /// Sets (or clears) where received audio goes.
    pub fn set_tap(&self, mut tap: Option<Tap>) {
        let mut m = self.media();
        let unread = std::mem::take(&mut m.unread);
        // Frames waiting to be read are read through the mute too.
        let muted = m.mute.read();
        if let Some(t) = tap.as_mut().filter(|_| !muted) {
            let now = Instant::now();
            for (_, f) in unread
                .iter()
                .filter(|(at, _)| now.saturating_duration_since(*at) <= UNREAD_FOR)
            {
                t(f);
            }
        }
        m.tap = tap;
    }

    /// Mutes (or unmutes) the voice the channel reads (`read`) and the
    /// voice written to it (`write`); the other direction is left as it
    /// is (`ast_channel_suppress`/`ast_channel_unsuppress`).
    pub fn suppress_voice(&self, read: bool, write: bool, on: bool) {
        use std::sync::atomic::Ordering;
        let mute = self.media().mute.clone();
        if read {
            mute.read.store(on, Ordering::Relaxed);
        }
        if write {
            mute.write.store(on, Ordering::Relaxed);
        }
    }

    /// Whether the voice read, and the voice written, are muted.
    pub fn voice_muted(&self) -> (bool, bool) {
        let m = self.media().mute.clone();
        (m.read(), m.write())
    }

    /// A frame arrived from the device.
    pub fn media_in(&self, frame: &AudioFrame) {
        if self.media().mute.read() {
            return;
        }
        let (first, spies) = {
            let mut m = self.media();
            // A file playing to the channel reads (and drops) what it
            // receives (`ast_waitstream`), so a bridge passes nothing on
            // meanwhile; a generator (music, tones) does not read.
            let file_playing = m.source.as_ref().is_some_and(|(_, s)| !s.is_generator());
            if let Some(tap) = m.tap.as_mut() {
                if !file_playing {
                    tap(frame);
                }
            } else if m.source.is_none() {
                // While something plays, Asterisk's playback reads (and
                // drops) what arrives, so nothing waits for the next reader.
                if m.unread.len() == UNREAD_MAX {
                    m.unread.pop_front();
                }
                m.unread.push_back((Instant::now(), frame.clone()));
            }
            (!std::mem::replace(&mut m.media_seen, true), m.spies.clone())
        };
        spies.feed(super::audiohook::Direction::Read, frame);
        // Only the first frame wakes waiters (Answer waits for it); the
        // other 50 a second need nobody.
        if first {
            self.wake();
        }
    }

    /// A DTMF begin arrived from the device: media too.
    pub fn note_dtmf_begin(&self, digit: char) {
        let first = {
            let mut m = self.media();
            let first = !std::mem::replace(&mut m.media_seen, true);
            if first {
                m.first_media_dtmf = Some(digit);
            }
            first
        };
        if first {
            self.wake();
        }
    }

    /// `__ast_answer`'s wait for media read the first frame and queued it
    /// back: when that was a digit's begin, the next reader announces it
    /// again (DTMFBegin twice in Asterisk).
    pub fn requeue_first_media(&self) {
        let mut m = self.media();
        if let Some(d) = m.first_media_dtmf.take() {
            m.requeued_begin = Some(d);
        }
    }

    /// The digit begin waiting to be read again, if any.
    pub fn take_requeued_begin(&self) -> Option<char> {
        self.media().requeued_begin.take()
    }

    /// Whether the device has sent any media yet.
    pub fn media_seen(&self) -> bool {
        self.media().media_seen
    }

    /// A DTMF digit ended on the device: queued for the dialplan.
    pub fn dtmf_in(&self, digit: char) {
        {
            let mut m = self.media();
            m.digits.push_back(digit);
            m.media_seen = true;
        }
        self.wake();
    }

    /// `ast_queue_frame` of a DTMF end (PlayDTMF with `Receive`, Atxfer):
    /// read as if the device had sent it, so the dialplan or the bridge
    /// gets it. Queued digits are read one at a time, when something asks
    /// for a digit: the end is announced then (Asterisk emulates the begin
    /// it lacks without an event) and the digit is seen once it has lasted
    /// its length.
    pub fn queue_dtmf(&self, digit: char, duration_ms: u32) {
        self.media().queued_dtmf.push_back((digit, duration_ms));
        self.wake();
    }

    /// `ast_senddigit_external`: the digit goes to the device out of band
    /// for `duration_ms` (at least 100, Asterisk's emulated length);
    /// returns once it has ended, as Asterisk's caller sleeps through it.
    /// A channel without media (nothing to play it to) ignores it.
    pub async fn send_digit_external(&self, digit: char, duration_ms: u32) {
        let duration_ms = duration_ms.max(DEFAULT_DTMF_MS);
        let Some(port) = self.media_port() else {
            return;
        };
        port.send_digit(digit, duration_ms);
        // usleep(duration * 1000) with an unsigned int product.
        let micros = duration_ms.wrapping_mul(1000);
        tokio::time::sleep(std::time::Duration::from_micros(u64::from(micros))).await;
    }

    /// Whether digits queued on the channel (`ast_queue_frame`) are
    /// waiting to be read, or one is being read, with no device digit
    /// ahead of them.
    pub fn queued_dtmf_pending(&self) -> bool {
        let m = self.media();
        m.digits.is_empty() && (!m.queued_dtmf.is_empty() || m.emulating.is_some())
    }

    /// The oldest digit not yet read, as `reader` reads it.
    pub fn take_digit(&self, reader: DigitReader) -> Option<char> {
        let now = Instant::now();
        let (digit, duration_ms, wake) = {
            let mut m = self.media();
            if let Some(d) = m.digits.pop_front() {
                return Some(d);
            }
            if let Some((d, at)) = m.emulating {
                if now < at {
                    return None;
                }
                m.emulating = None;
                // dtmf_tv is when the end was made up, as late as the
                // reader came to it: the gap runs from there.
                m.last_dtmf = Some(now);
                return Some(d);
            }
            if m.queued_dtmf.is_empty() {
                return None;
            }
            let read_at = match m.next_dtmf_read() {
                Some(next) if now < next => {
                    drop(m);
                    self.wake_at(next);
                    return None;
                }
                // A stream's reader waiting for it read it on that tick,
                // however late its task runs.
                Some(next) if m.stream_reader && m.source.is_some() => {
                    m.digit_read_at = Some(next);
                    next
                }
                _ => now,
            };
            let (digit, duration_ms) = m.queued_dtmf.pop_front()?;
            m.media_seen = true;
            m.last_dtmf = Some(read_at);
            let wake = match reader {
                DigitReader::EndsOnly => None,
                DigitReader::Frames => {
                    // No length: AST_DEFAULT_EMULATE_DTMF_DURATION.
                    let ms = match duration_ms {
                        0 => DEFAULT_DTMF_MS,
                        ms => ms.max(MIN_DTMF_MS),
                    };
                    let at = read_at + std::time::Duration::from_millis(u64::from(ms));
                    m.emulating = Some((digit, at));
                    Some(at)
                }
            };
            (digit, duration_ms, wake)
        };
        self.emit(crate::core::events::EventKind::DtmfEnd {
            digit,
            duration_ms,
            sent: false,
        });
        match wake {
            Some(at) => {
                self.wake_at(at);
                None
            }
            None => Some(digit),
        }
    }

    /// Marks a stream's reader as waiting for digits (`ast_waitstream`)
    /// until the guard drops: a digit held back by the gap is then read
    /// on one of the stream's frame ticks.
    pub fn read_stream_digits(&self) -> StreamDigitReader<'_> {
        self.media().stream_reader = true;
        StreamDigitReader { chan: self }
    }

    /// Whether a digit waits to be read or is being emulated (Asterisk:
    /// frames in the read queue, `AST_FLAG_EMULATE_DTMF`).
    pub fn has_pending_digits(&self) -> bool {
        let m = self.media();
        !m.digits.is_empty() || !m.queued_dtmf.is_empty() || m.emulating.is_some()
    }

    pub fn clear_digits(&self) {
        let mut m = self.media();
        m.digits.clear();
        m.queued_dtmf.clear();
        m.emulating = None;
    }

    /// Waits up to `timeout` for a digit (`ast_waitfordigit`): `None` on
    /// timeout, `Err` when the channel is hung up first.
    pub async fn wait_digit(
        &self,
        timeout: std::time::Duration,
    ) -> Result<Option<char>, super::Interrupted> {
        self.wait_digit_as(DigitReader::EndsOnly, timeout).await
    }

    /// [`wait_digit`](Self::wait_digit) for a reader of frames (Record's
    /// and Echo's `ast_read` loops).
    pub async fn wait_digit_as(
        &self,
        reader: DigitReader,
        timeout: std::time::Duration,
    ) -> Result<Option<char>, super::Interrupted> {
        let until = Instant::now() + timeout;
        loop {
            let notified = self.wake_handle().notified();
            if let Some(d) = self.take_digit(reader) {
                return Ok(Some(d));
            }
            if self.check_hangup() {
                return Err(super::Interrupted::Hangup);
            }
            if Instant::now() >= until {
                return Ok(None);
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(until)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::{Channels, NewChannel};

    struct Frames(usize);

    impl FrameSource for Frames {
        fn next_frame(&mut self) -> Option<AudioFrame> {
            if self.0 == 0 {
                return None;
            }
            self.0 -= 1;
            Some(AudioFrame::Slin(vec![0; 160]))
        }
    }

    struct Count(Mutex<usize>);

    impl MediaPort for Count {
        fn codec(&self) -> Codec {
            Codec::Ulaw
        }
        fn write(&self, _frame: &AudioFrame, _now: Instant) {
            if let Ok(mut n) = self.0.lock() {
                *n += 1;
            }
        }
    }

    #[test]
    fn a_pump_plays_a_source_to_the_port_then_stops() {
        let chans = Channels::new("");
        let chan = chans.alloc("Test/a".into(), "Test", 1, NewChannel::default());
        let port = Arc::new(Count(Mutex::new(0)));
        chan.set_media_port(port.clone());
        let generation = {
            let mut m = chan.media();
            m.next_generation += 1;
            m.source = Some((m.next_generation, Box::new(Frames(3))));
            m.next_generation
        };
        let mut pump = Pump {
            chan: Arc::downgrade(&chan),
            generation,
            active: true,
        };
        let now = Instant::now();
        for _ in 0..3 {
            pump.tick(now);
            assert!(pump.is_active());
        }
        assert!(chan.source_playing(generation));
        pump.tick(now);
        assert!(!pump.is_active());
        assert!(!chan.source_playing(generation));
        assert_eq!(*port.0.lock().unwrap(), 3);
    }

    /// A file whose last frame is short (134 samples) ends once those
    /// samples have played at its timer's rate (60 a second), and the
    /// file started right after it is paced from that end.
    #[test]
    fn a_file_after_a_short_last_frame_is_paced_from_its_end() {
        struct Short(usize);
        impl FrameSource for Short {
            fn next_frame(&mut self) -> Option<AudioFrame> {
                self.0 = self.0.checked_sub(1)?;
                let samples = if self.0 == 0 { 134 } else { 160 };
                Some(AudioFrame::Slin(vec![0; samples]))
            }
        }
        let chans = Channels::new("");
        let chan = chans.alloc("Test/f".into(), "Test", 1, NewChannel::default());
        chan.set_media_port(Arc::new(Count(Mutex::new(0))));
        let start = Instant::now();
        let generation = {
            let mut m = chan.media();
            m.next_generation += 1;
            m.source = Some((m.next_generation, Box::new(Short(1))));
            // Frame 0 went out as the stream started.
            m.paced = (Some(start), 1);
            m.next_generation
        };
        let mut pump = Pump {
            chan: Arc::downgrade(&chan),
            generation,
            active: true,
        };
        let tick = crate::media::clock::TICK;
        pump.tick(start + tick);
        assert!(!pump.is_active(), "the short frame is the last");
        let end = start + tick + std::time::Duration::from_secs_f64(1.0 / 60.0);
        assert_eq!(chan.media().stream_end, Some(end));
        chan.start_source(Box::new(Frames(3)));
        assert_eq!(chan.media().next_due(), Some(end + tick));
        // A file started later than a frame time after it begins afresh.
        chan.stop_source();
        assert_eq!(chan.media().stream_end, None);
    }

    /// A queued digit held back by the gap is read by a stream's reader
    /// on the stream's first frame tick after the gap (60 ms after the
    /// last digit here): the frames after it wait for the reader and are
    /// never written once it stops the stream, however late either the
    /// clock or the reader runs.
    #[tokio::test]
    async fn a_late_stream_reader_still_stops_on_the_digits_tick() {
        let chans = Channels::new("");
        let chan = chans.alloc("Test/s".into(), "Test", 1, NewChannel::default());
        let port = Arc::new(Count(Mutex::new(0)));
        chan.set_media_port(port.clone());
        chan.queue_dtmf('*', 0);
        chan.queue_dtmf('5', 0);
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), Some('*'));
        let (generation, start) = {
            let mut m = chan.media();
            let start = m.last_dtmf.unwrap();
            m.next_generation += 1;
            m.source = Some((m.next_generation, Box::new(Frames(50))));
            // Frame 0 went out as the stream started.
            m.paced = (Some(start), 1);
            (m.next_generation, start)
        };
        let reader = chan.read_stream_digits();
        let mut pump = Pump {
            chan: Arc::downgrade(&chan),
            generation,
            active: true,
        };
        for k in 1..=5 {
            pump.tick(start + crate::media::clock::TICK * k);
        }
        // Frames 1 to 3; frame 4 (due 80 ms) waits for the digit.
        assert_eq!(*port.0.lock().unwrap(), 3);
        tokio::time::sleep(std::time::Duration::from_millis(130)).await;
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), Some('5'));
        pump.tick(start + crate::media::clock::TICK * 6);
        chan.stop_source();
        drop(reader);
        assert_eq!(*port.0.lock().unwrap(), 3);
    }

    #[test]
    fn a_replaced_source_stops_the_old_pump() {
        let chans = Channels::new("");
        let chan = chans.alloc("Test/b".into(), "Test", 1, NewChannel::default());
        chan.media().source = Some((1, Box::new(Frames(10))));
        let mut old = Pump {
            chan: Arc::downgrade(&chan),
            generation: 0,
            active: true,
        };
        old.tick(Instant::now());
        assert!(!old.is_active());
        assert!(chan.source_playing(1));
    }

    #[test]
    fn digits_queue_in_order_and_taps_see_received_audio() {
        let chans = Channels::new("");
        let chan = chans.alloc("Test/c".into(), "Test", 1, NewChannel::default());
        chan.dtmf_in('1');
        chan.dtmf_in('#');
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), Some('1'));
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), Some('#'));
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), None);
        let seen = Arc::new(Mutex::new(0usize));
        let s = seen.clone();
        chan.set_tap(Some(Box::new(move |f| {
            *s.lock().unwrap() += f.samples();
        })));
        chan.media_in(&AudioFrame::Ulaw(vec![0xff; 160]));
        assert_eq!(*seen.lock().unwrap(), 160);
    }

    /// Queued digit ends (PlayDTMF `Receive`, Atxfer) as Asterisk reads
    /// them: a reader of frames sees one once its emulated begin has lasted
    /// 100 ms; a waiter for digits sees one at once; either reads the next
    /// only after the gap.
    #[tokio::test]
    async fn queued_digits_are_read_as_asterisk_emulates_them() {
        let chans = Channels::new("");
        let chan = chans.alloc("Test/q".into(), "Test", 1, NewChannel::default());
        chan.queue_dtmf('*', 0);
        chan.queue_dtmf('2', 0);
        assert_eq!(chan.take_digit(DigitReader::Frames), None);
        tokio::time::sleep(std::time::Duration::from_millis(110)).await;
        assert_eq!(chan.take_digit(DigitReader::Frames), Some('*'));
        // The gap after the digit's end holds the next one back.
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), None);
        tokio::time::sleep(std::time::Duration::from_millis(70)).await;
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), Some('2'));
        assert_eq!(chan.take_digit(DigitReader::EndsOnly), None);
    }

    #[tokio::test]
    async fn a_waiter_wakes_at_the_first_frame_from_the_device() {
        let chans = Channels::new("");
        let chan = chans.alloc("Test/d".into(), "Test", 1, NewChannel::default());
        assert!(!chan.media_seen());
        let waiter = {
            let chan = chan.clone();
            tokio::spawn(async move { chan.wait_for(|c| c.media_seen()).await })
        };
        tokio::task::yield_now().await;
        chan.media_in(&AudioFrame::Ulaw(vec![0xff; 160]));
        let woke = tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await;
        assert!(matches!(woke, Ok(Ok(Ok(())))));
        assert!(chan.media_seen());
    }
}
