//! Conferences (Asterisk's `apps/app_confbridge.c` and its `confbridge/`
//! directory): the running conferences, their members, the softmix-style
//! mixer on the shared media clock, and what a conference tells AMI. The
//! application is `apps::confbridge`, the AMI actions
//! `manager::actions::confbridge`, the CLI `cli::confbridge`.
//!
//! Asterisk gives each conference an announcer channel pair
//! (`CBAnn/<name>-<seq>;1/;2`, sharing the unreal channels' sequence) whose
//! second half sits in the bridge: it is what members see first in
//! BRIDGEPEER and why the bridge counts one more channel than members.
//! Those channels never reach AMI (they are internal), so here they are
//! internal channels that only `core show channels` lists, and what they
//! play is the mixer's own sound queue.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use crate::channels::Channel;
use crate::channels::media::FrameSource;
use crate::config::views::confbridge::{BridgeProfile, UserProfile};
use crate::core::devicestate::{DeviceState, Pending};
use crate::core::events::{BridgeAction, BridgeSnapshot, EventKind};
use crate::core::{System, lock};
use crate::manager::class;
use crate::manager::events::{bridge_state, channel_state};
use crate::media::clock::Tick;
use crate::media::file::SoundPaths;
use crate::media::{AudioFrame, Codec, FRAME_SAMPLES, SlinFrame};

mod record;
pub use record::{NotRecording, StartError};

/// Why a member may not join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// Locked, or as many active members as `max_members` (and the
    /// caller is no admin): it hears the locked prompt.
    #[error("the conference is locked or full")]
    LockedOrFull,
}

/// The channel hung up while waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("hung up")]
pub struct HungUp;

/// `MAX_CONF_NAME`: names must be shorter.
pub const MAX_CONF_NAME: usize = 128;

/// The running conferences, by name (case-insensitive, as Asterisk's
/// container hashes them).
#[derive(Default)]
pub struct Conferences {
    map: Mutex<BTreeMap<String, Arc<Conference>>>,
    /// Counts conferences made (their order within a hash bucket).
    made: std::sync::atomic::AtomicU64,
    /// Names recorder channels (`CBRec/<name>-<seq>`), across conferences.
    recorders: std::sync::atomic::AtomicU32,
    /// What `CONFBRIDGE()` set on channels (Asterisk's channel
    /// datastore): per channel, the lines of each type in order.
    dynamic: Mutex<Vec<(Weak<Channel>, DynamicLines)>>,
}

/// `CONFBRIDGE(type,option)=value` lines of one channel.
#[derive(Debug, Clone, Default)]
pub struct DynamicLines {
    pub bridge: Vec<(String, String)>,
    pub user: Vec<(String, String)>,
    pub menu: Vec<(String, String)>,
}

impl DynamicLines {
    pub fn of(&mut self, kind: &str) -> Option<&mut Vec<(String, String)>> {
        match kind.to_ascii_lowercase().as_str() {
            "bridge" => Some(&mut self.bridge),
            "user" => Some(&mut self.user),
            "menu" => Some(&mut self.menu),
            _ => None,
        }
    }
}

impl Conferences {
    /// The channel's `CONFBRIDGE()` lines.
    pub fn dynamic(&self, chan: &Arc<Channel>) -> DynamicLines {
        lock(&self.dynamic)
            .iter()
            .find(|(c, _)| c.upgrade().is_some_and(|c| Arc::ptr_eq(&c, chan)))
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    }

    /// Changes the channel's `CONFBRIDGE()` lines (channels gone are
    /// forgotten on the way).
    pub fn update_dynamic(&self, chan: &Arc<Channel>, f: impl FnOnce(&mut DynamicLines)) {
        let mut all = lock(&self.dynamic);
        all.retain(|(c, _)| c.strong_count() > 0);
        match all
            .iter_mut()
            .find(|(c, _)| c.upgrade().is_some_and(|c| Arc::ptr_eq(&c, chan)))
        {
            Some((_, d)) => f(d),
            None => {
                let mut d = DynamicLines::default();
                f(&mut d);
                all.push((Arc::downgrade(chan), d));
            }
        }
    }

    pub fn find(&self, name: &str) -> Option<Arc<Conference>> {
        lock(&self.map).get(&name.to_ascii_lowercase()).cloned()
    }

    /// Every conference, in the order Asterisk's container of 53 hash
    /// buckets hands them out (by bucket of the name, then as made).
    pub fn all(&self) -> Vec<Arc<Conference>> {
        let mut all: Vec<Arc<Conference>> = lock(&self.map).values().cloned().collect();
        all.sort_by_key(|c| c.created);
        crate::config::views::hash::sort_into_buckets(&mut all, 53, |c| {
            crate::config::views::hash::str_case_hash(&c.name)
        });
        all
    }

    pub fn is_empty(&self) -> bool {
        lock(&self.map).is_empty()
    }

    /// The next recorder channel's sequence number.
    fn next_recorder(&self) -> u32 {
        self.recorders.fetch_add(1, Ordering::SeqCst)
    }

    /// The conference called `name`, made (BridgeCreate, the device in
    /// use, ConfbridgeStart) if there is none yet.
    pub fn find_or_create(
        &self,
        sys: &System,
        name: &str,
        profile: &BridgeProfile,
    ) -> Arc<Conference> {
        let mut map = lock(&self.map);
        if let Some(c) = map.get(&name.to_ascii_lowercase()) {
            return c.clone();
        }
        let chans = &sys.pbx.channels;
        // The announcer pair takes an unreal sequence number, as its
        // channels do in Asterisk (the ;2 has the ;1's linkedid).
        let seq = chans.next_tech_seq("Local");
        let half = |n: u8, linkedid: Option<String>| {
            chans.alloc_internal(
                format!("CBAnn/{name}-{seq:08x};{n}"),
                "CBAnn",
                crate::channels::NewChannel {
                    state: Some(crate::channels::ChanState::Up),
                    linkedid,
                    ..Default::default()
                },
            )
        };
        let owner = half(1, None);
        let in_bridge = half(2, Some(owner.lock().linkedid.clone()));
        let conf = Arc::new(Conference {
            created: self.made.fetch_add(1, Ordering::SeqCst),
            name: name.to_string(),
            uniqueid: crate::core::random_uuid(),
            announcer: in_bridge.name.clone(),
            announcer_pair: vec![owner, in_bridge],
            profile: profile.clone(),
            sounds: SoundPaths::from_conf(&sys.conf),
            events: chans.events.clone(),
            sys: Arc::downgrade(&sys.arc()),
            st: Mutex::new(ConfState::default()),
            mixing: AtomicBool::new(true),
        });
        map.insert(name.to_ascii_lowercase(), conf.clone());
        drop(map);
        let events = &chans.events;
        events.publish_system(EventKind::Bridge {
            action: BridgeAction::Create,
            bridge: conf.snapshot(0),
            swap: None,
        });
        // Recording starts as the conference does, before it is announced.
        if profile.record_conference
            && let Err(e) = conf.start_record(sys)
        {
            tracing::warn!(conference = %name, "cannot record: {e}");
        }
        events.device_changed(
            &format!("confbridge:{name}"),
            true,
            Pending::Known(DeviceState::InUse),
        );
        // The announcer is in before anyone: it counts from the start.
        conf.publish("ConfbridgeStart", None, "");
        crate::channels::media::register_tick(Box::new(Mixer {
            conf: Arc::downgrade(&conf),
        }));
        conf
    }

    /// The conference is over: it goes from the list (ConfbridgeEnd and
    /// the bridge's end follow).
    fn remove(&self, conf: &Conference) {
        lock(&self.map).remove(&conf.name.to_ascii_lowercase());
    }

    /// The id of the conference bridge `chan` is in: a member past its
    /// join prompts, the announcer's ;2 or the recorder.
    pub fn bridge_of(&self, chan: &Arc<Channel>) -> Option<String> {
        self.all()
            .into_iter()
            .find(|conf| conf.holds(chan))
            .map(|conf| conf.uniqueid.clone())
    }
}

/// One conference.
pub struct Conference {
    /// When it was made, among the conferences.
    created: u64,
    pub name: String,
    /// The mixing bridge's id.
    pub uniqueid: String,
    /// The announcer channel in the bridge.
    pub announcer: String,
    /// The announcer's channels, ;1 then ;2 (internal, listed only by
    /// `core show channels`), hung up as the conference ends.
    announcer_pair: Vec<Arc<Channel>>,
    pub profile: BridgeProfile,
    sounds: SoundPaths,
    /// Where its events go (the mixer raises ConfbridgeTalking).
    events: crate::core::events::EventBus,
    /// For the announcer's log lines.
    sys: Weak<System>,
    st: Mutex<ConfState>,
    /// The mixer runs until the conference ends.
    mixing: AtomicBool,
}

#[derive(Default)]
struct ConfState {
    /// Members, in the order they joined (counted from when they start
    /// joining, prompts included).
    users: Vec<Arc<User>>,
    locked: bool,
    /// An admin muted the participants (non-admins join muted).
    muted: bool,
    /// A single video source was set (`SetSingleVideoSrc`): the bridge's
    /// video mode is `single` from then on.
    video_single: bool,
    video_source: String,
    /// The source that left, its update not told yet (the last member's
    /// is told once the conference has ended).
    video_left: Option<String>,
    /// Sounds the announcer plays to everyone, in order.
    queue: VecDeque<String>,
    playing: Option<Box<dyn FrameSource>>,
    ended: bool,
    /// The recording, and the recorder in the bridge.
    record: record::RecordState,
    /// Counts channels entering the bridge (their order in BRIDGEPEER).
    entered: u64,
}

impl ConfState {
    /// The members past their prompts, in the bridge.
    fn bridged_members(&self) -> Vec<Arc<User>> {
        self.users
            .iter()
            .filter(|u| u.in_bridge.load(Ordering::SeqCst))
            .cloned()
            .collect()
    }

    /// The next place in the bridge's join order.
    fn next_seq(&mut self) -> u64 {
        self.entered += 1;
        self.entered
    }
}

/// A member's talk detection, as softmix runs it on what a member says:
/// a frame whose mean absolute sample is below the talking threshold
/// (`dsp_talking_threshold`, the DSP's energy threshold) is silence; the
/// first frame above it starts talking, `dsp_silence_threshold` ms of
/// silence in a row end it.
#[derive(Debug, Default, Clone, Copy)]
struct TalkState {
    talking: bool,
    silence_ms: u32,
}

impl TalkState {
    /// Takes one frame in; `Some(talking)` when the state changes.
    fn feed(&mut self, f: &SlinFrame, threshold: u32, silence_ms: u32) -> Option<bool> {
        let energy = f.iter().map(|s| u32::from(s.unsigned_abs())).sum::<u32>() / f.len() as u32;
        let silent = energy < threshold;
        if silent {
            self.silence_ms += (f.len() / 8) as u32;
        } else {
            self.silence_ms = 0;
        }
        if self.silence_ms < silence_ms {
            if !self.talking && !silent {
                self.talking = true;
                return Some(true);
            }
        } else if self.talking {
            self.talking = false;
            return Some(false);
        }
        None
    }
}

/// What a join found (the state machine's post-join actions).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    /// No one else active: the only-person prompt.
    pub only_person: bool,
    /// Waits for a marked user: the wait-for-leader prompt.
    pub waiting: bool,
    /// The first marked user brought waiting ones in: the conference is
    /// told it begins.
    pub play_begin: bool,
}

/// One member.
pub struct User {
    pub chan: Arc<Channel>,
    pub profile: UserProfile,
    pub bridge_profile: String,
    pub menu: String,
    muted: AtomicBool,
    kicked: AtomicBool,
    /// The member is in the bridge (its prompts are done).
    in_bridge: AtomicBool,
    /// Its place in the bridge's join order.
    bridge_seq: std::sync::atomic::AtomicU64,
    /// Something plays to the member alone (a menu's playback): the mix
    /// is not written to it meanwhile.
    private_sound: AtomicBool,
    /// A leave asked for by a menu (`leave_conference`).
    leave: AtomicBool,
    /// Waits for a marked user (`wait_marked` with none in): on the
    /// conference's waiting list, not heard.
    waiting: AtomicBool,
    /// Music on hold plays to it (alone, or waiting): not heard.
    moh: AtomicBool,
    /// Its prompts are done: music may play to it (Asterisk suspends a
    /// member's music until it joins the bridge).
    moh_ready: AtomicBool,
    /// The last frame received, for the next mix.
    inbox: Mutex<Option<SlinFrame>>,
    /// Talk detection (`talk_detection_events`): talking now, and how
    /// long (ms) the member has been making noise or been silent.
    talk: Mutex<TalkState>,
    /// Listening and talking volume steps (`increase_listening_volume` …).
    listen_volume: AtomicI32,
    talk_volume: AtomicI32,
}

impl User {
    pub fn new(chan: Arc<Channel>, profile: UserProfile, bridge: &str, menu: &str) -> Arc<User> {
        let muted = profile.startmuted;
        Arc::new(User {
            chan,
            profile,
            bridge_profile: bridge.to_string(),
            menu: menu.to_string(),
            muted: AtomicBool::new(muted),
            kicked: AtomicBool::new(false),
            in_bridge: AtomicBool::new(false),
            bridge_seq: std::sync::atomic::AtomicU64::new(0),
            private_sound: AtomicBool::new(false),
            leave: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            moh: AtomicBool::new(false),
            moh_ready: AtomicBool::new(false),
            inbox: Mutex::new(None),
            talk: Mutex::new(TalkState::default()),
            listen_volume: AtomicI32::new(0),
            talk_volume: AtomicI32::new(0),
        })
    }

    pub fn muted(&self) -> bool {
        self.muted.load(Ordering::SeqCst)
    }

    pub fn kicked(&self) -> bool {
        self.kicked.load(Ordering::SeqCst)
    }

    pub fn waiting(&self) -> bool {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Counts as a marked user (`markedusers`): marked, and in.
    fn is_marked(&self) -> bool {
        self.profile.marked && !self.waiting()
    }

    pub fn wants_out(&self) -> bool {
        self.kicked() || self.leave.load(Ordering::SeqCst)
    }

    pub fn ask_leave(&self) {
        self.leave.store(true, Ordering::SeqCst);
        self.chan.wake();
    }

    pub fn set_moh(&self, on: bool) {
        self.moh.store(on, Ordering::SeqCst);
        self.set_private_sound(on);
    }

    /// Whether music on hold should play to it now
    /// (`music_on_hold_when_empty`: alone, or waiting for a marked user).
    pub fn wants_moh(&self, conf: &Conference) -> bool {
        self.profile.music_on_hold_when_empty
            && !self.wants_out()
            && (self.waiting() || conf.others(self) == 0)
    }

    pub fn set_private_sound(&self, on: bool) {
        self.private_sound.store(on, Ordering::SeqCst);
    }

    /// Volume steps: `talk` for what the member says, else what it hears.
    pub fn adjust_volume(&self, talk: bool, delta: i32) {
        let v = if talk {
            &self.talk_volume
        } else {
            &self.listen_volume
        };
        if delta == 0 {
            v.store(0, Ordering::SeqCst);
        } else {
            let _ = v.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |x| {
                Some((x + delta).clamp(-4, 4))
            });
        }
    }

    /// Takes what the member said since the last mix.
    fn take_input(&self) -> Option<SlinFrame> {
        lock(&self.inbox).take()
    }

    /// Flags as `confbridge list <conf>` shows them.
    pub fn flags(&self) -> String {
        let p = &self.profile;
        let mut f = String::new();
        if p.admin {
            f.push('A');
        }
        if p.marked {
            f.push('M');
        }
        if p.wait_marked {
            f.push('W');
        }
        if p.end_marked {
            f.push('E');
        }
        if self.muted() {
            f.push('m');
        }
        if self.waiting() {
            f.push('w');
        }
        f
    }
}

/// Scales a sample by a volume step (each step doubles or halves, as
/// `ast_frame_adjust_volume` does with its factor).
fn scale(s: i16, step: i32) -> i16 {
    match step {
        0 => s,
        n if n > 0 => (i32::from(s) << n).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16,
        n => (i32::from(s) >> -n) as i16,
    }
}

fn to_slin_frame(f: &AudioFrame) -> SlinFrame {
    let mut out = [0i16; FRAME_SAMPLES];
    for (o, s) in out.iter_mut().zip(f.to_slin()) {
        *o = s;
    }
    out
}

impl Conference {
    /// The bridge as events show it; `members` counts the announcer.
    fn snapshot(&self, num_channels: usize) -> BridgeSnapshot {
        let st = lock(&self.st);
        self.snapshot_of(&st, num_channels)
    }

    fn snapshot_of(&self, st: &ConfState, num_channels: usize) -> BridgeSnapshot {
        BridgeSnapshot {
            uniqueid: self.uniqueid.clone(),
            bridge_type: "base",
            technology: "softmix",
            num_channels,
            creator: "ConfBridge",
            name: self.name.clone(),
            video_mode: if st.video_single { "single" } else { "" },
            video_source: st.video_source.clone(),
        }
    }

    /// Channels in the bridge: the announcer (until the end), the
    /// recorder and the members past their prompts.
    fn bridged(st: &ConfState) -> usize {
        usize::from(!st.ended)
            + usize::from(st.record.recorder.is_some())
            + st.users
                .iter()
                .filter(|u| u.in_bridge.load(Ordering::SeqCst))
                .count()
    }

    fn current_snapshot(&self) -> BridgeSnapshot {
        let st = lock(&self.st);
        self.snapshot_of(&st, Self::bridged(&st))
    }

    /// A Confbridge* event (`confbridge_publish_manager_event`): the
    /// conference, the bridge, the channel, then the event's own lines.
    fn publish(&self, name: &str, chan: Option<&Channel>, extra: &str) {
        self.publish_as(&self.current_snapshot(), name, chan, extra);
    }

    /// As [`Conference::publish`], showing the bridge as `bridge`.
    fn publish_as(&self, bridge: &BridgeSnapshot, name: &str, chan: Option<&Channel>, extra: &str) {
        let mut body = format!("Conference: {}\r\n{}", self.name, bridge_state(bridge));
        if let Some(c) = chan {
            body.push_str(&channel_state(&c.published_snapshot(), ""));
        }
        body.push_str(extra);
        self.events.publish_system(EventKind::Manager {
            class: class::CALL,
            name: name.to_string(),
            body,
        });
    }

    pub fn users(&self) -> Vec<Arc<User>> {
        lock(&self.st).users.clone()
    }

    pub fn find_user(&self, channel: &str) -> Option<Arc<User>> {
        lock(&self.st)
            .users
            .iter()
            .find(|u| u.chan.name.eq_ignore_ascii_case(channel))
            .cloned()
    }

    pub fn locked(&self) -> bool {
        lock(&self.st).locked
    }

    /// Marked members (`markedusers`).
    pub fn marked(&self) -> usize {
        lock(&self.st)
            .users
            .iter()
            .filter(|u| u.is_marked())
            .count()
    }

    /// Whether the conference counts as muted in `ConfbridgeListRooms`
    /// (every non-admin member muted by an admin; `Muted: No` otherwise).
    pub fn all_muted(&self) -> bool {
        lock(&self.st).muted
    }

    /// `admin_toggle_mute_participants`: every non-admin muted or
    /// unmuted (ConfbridgeMute/Unmute each); whether they now are.
    pub fn toggle_mute_participants(&self) -> bool {
        let muted = {
            let mut st = lock(&self.st);
            st.muted = !st.muted;
            st.muted
        };
        for u in self.users().iter().filter(|u| !u.profile.admin) {
            self.set_mute(u, muted);
        }
        muted
    }

    /// Adds a member (not yet in the bridge), as the conference's state
    /// machine takes a join: `Err` when it may not (locked, or as many
    /// active members as `max_members`, and not an admin). A waitmarked
    /// user with no marked user in waits; the first marked user brings
    /// the waiting ones in.
    pub fn add_user(&self, user: &Arc<User>) -> Result<Joined, JoinError> {
        let mut st = lock(&self.st);
        let p = &user.profile;
        let active = st.users.iter().filter(|u| !u.waiting()).count();
        let full = self.profile.max_members > 0 && active >= self.profile.max_members as usize;
        if !p.admin && (st.locked || full) {
            return Err(JoinError::LockedOrFull);
        }
        if !p.admin && st.muted {
            user.muted.store(true, Ordering::SeqCst);
        }
        let marked_in = st.users.iter().any(|u| u.is_marked());
        let mut joined = Joined::default();
        if p.wait_marked && !p.marked && !marked_in {
            user.waiting.store(true, Ordering::SeqCst);
            joined.waiting = true;
        } else {
            // Alone (EMPTY), or only waiting ones there (INACTIVE) for an
            // unmarked user: a marked one brings those in instead.
            let waiting_there = st.users.iter().any(|u| u.waiting());
            joined.only_person = active == 0 && !(p.marked && waiting_there);
            if p.marked && !marked_in {
                // `transition_to_marked`: the waiting list joins the end
                // of the active one, after the marked user.
                let (waiting, mut rest): (Vec<_>, Vec<_>) =
                    st.users.drain(..).partition(|u| u.waiting());
                rest.push(user.clone());
                for u in &waiting {
                    u.waiting.store(false, Ordering::SeqCst);
                    u.chan.wake();
                }
                joined.play_begin = !waiting.is_empty() && !p.quiet;
                rest.extend(waiting);
                st.users = rest;
                return Ok(joined);
            }
        }
        // Active members first, then the waiting list, each in order.
        let at = if joined.waiting {
            st.users.len()
        } else {
            st.users.iter().take_while(|u| !u.waiting()).count()
        };
        st.users.insert(at, user.clone());
        Ok(joined)
    }

    /// ConfbridgeTalking (`conf_handle_talker_cb`).
    fn publish_talking(&self, user: &User, on: bool) {
        let mut body = format!(
            "Conference: {}\r\n{}",
            self.name,
            bridge_state(&self.current_snapshot())
        );
        body.push_str(&channel_state(&user.chan.published_snapshot(), ""));
        body.push_str(&format!(
            "TalkingStatus: {}\r\nAdmin: {}\r\n",
            if on { "on" } else { "off" },
            yes_no(user.profile.admin)
        ));
        self.events.publish_system(EventKind::Manager {
            class: class::CALL,
            name: "ConfbridgeTalking".into(),
            body,
        });
    }

    /// Whether talk detection has the member talking (ConfbridgeList).
    pub fn talking(&self, user: &User) -> bool {
        lock(&user.talk).talking
    }

    /// Active members other than `user`.
    pub fn others(&self, user: &User) -> usize {
        lock(&self.st)
            .users
            .iter()
            .filter(|u| !std::ptr::eq(u.as_ref(), user) && !u.waiting())
            .count()
    }

    /// `chan` is in the bridge.
    fn holds(&self, chan: &Arc<Channel>) -> bool {
        if self
            .announcer_pair
            .get(1)
            .is_some_and(|c| Arc::ptr_eq(c, chan))
        {
            return true;
        }
        let st = lock(&self.st);
        st.record
            .recorder
            .as_ref()
            .is_some_and(|r| Arc::ptr_eq(&r.chan, chan))
            || st
                .users
                .iter()
                .any(|u| u.in_bridge.load(Ordering::SeqCst) && Arc::ptr_eq(&u.chan, chan))
    }

    /// Members, active and waiting (`activeusers + waitingusers`).
    pub fn count(&self) -> usize {
        lock(&self.st).users.len()
    }

    /// The member enters the bridge: BridgeEnter, ConfbridgeJoin, then
    /// everyone's BRIDGEPEER (the bridge's other channels, the announcer
    /// first).
    pub fn enter(&self, user: &Arc<User>) {
        user.chan.publish_snapshot();
        {
            let inbox = Arc::downgrade(user);
            user.chan.set_tap(Some(Box::new(move |f: &AudioFrame| {
                if let Some(u) = inbox.upgrade() {
                    *lock(&u.inbox) = Some(to_slin_frame(f));
                }
            })));
        }
        let seq = lock(&self.st).next_seq();
        user.bridge_seq.store(seq, Ordering::SeqCst);
        user.in_bridge.store(true, Ordering::SeqCst);
        user.chan.emit(EventKind::Bridge {
            action: BridgeAction::Enter,
            bridge: self.current_snapshot(),
            swap: None,
        });
        self.publish(
            "ConfbridgeJoin",
            Some(&user.chan),
            &format!(
                "Admin: {}\r\nMuted: {}\r\n",
                yes_no(user.profile.admin),
                yes_no(user.muted())
            ),
        );
        self.set_peers();
        if !user.profile.quiet {
            self.announce(self.profile.sound("sound_join"));
        }
    }

    /// Sets BRIDGEPEER on every member in the bridge: the others in the
    /// order they entered, the announcer first.
    fn set_peers(&self) {
        let (members, in_order) = {
            let st = lock(&self.st);
            let members = st.bridged_members();
            // Everyone in the bridge but the announcer, in join order.
            let mut in_order: Vec<(u64, String)> = members
                .iter()
                .map(|u| (u.bridge_seq.load(Ordering::SeqCst), u.chan.name.clone()))
                .chain(
                    st.record
                        .recorder
                        .as_ref()
                        .map(|r| (r.seq, r.chan.name.clone())),
                )
                .collect();
            in_order.sort_by_key(|(seq, _)| *seq);
            (members, in_order)
        };
        for m in &members {
            let peers: Vec<&str> = std::iter::once(self.announcer.as_str())
                .chain(
                    in_order
                        .iter()
                        .filter(|(_, name)| *name != m.chan.name)
                        .map(|(_, name)| name.as_str()),
                )
                .collect();
            m.chan.set_var_event("BRIDGEPEER", &peers.join(","));
            // Its application follows who is in (music when alone).
            m.chan.wake();
        }
    }

    /// The member leaves the bridge (BRIDGEPEER cleared, ConfbridgeLeave,
    /// BridgeLeave, the others' peers set again, the leave sound).
    pub fn leave_bridge(&self, sys: &System, user: &Arc<User>) {
        if !user.in_bridge.load(Ordering::SeqCst) {
            return;
        }
        user.chan.set_tap(None);
        user.chan.set_var_event("BRIDGEPEER", "");
        self.publish(
            "ConfbridgeLeave",
            Some(&user.chan),
            &format!("Admin: {}\r\n", yes_no(user.profile.admin)),
        );
        user.in_bridge.store(false, Ordering::SeqCst);
        user.chan.emit(EventKind::Bridge {
            action: BridgeAction::Leave,
            bridge: self.current_snapshot(),
            swap: None,
        });
        self.set_peers();
        // The bridge drops a video source that leaves.
        let left = {
            let mut st = lock(&self.st);
            if !st.video_source.is_empty() && st.video_source == user.chan.uniqueid {
                st.video_left = Some(std::mem::take(&mut st.video_source));
                st.users.len() > 1
            } else {
                false
            }
        };
        if left {
            self.video_update(sys);
        }
        if !user.profile.quiet {
            self.announce(self.profile.sound("sound_leave"));
        }
    }

    /// BridgeVideoSourceUpdate for a source that left.
    fn video_update(&self, sys: &System) {
        let Some(previous) = lock(&self.st).video_left.take() else {
            return;
        };
        sys.pbx.channels.events.publish_system(EventKind::Manager {
            class: class::CALL,
            name: "BridgeVideoSourceUpdate".into(),
            body: format!(
                "{}BridgePreviousVideoSource: {previous}\r\n",
                bridge_state(&self.current_snapshot())
            ),
        });
    }

    /// The member is gone (`leave_conference`); the last one ends the
    /// conference: the device is free, ConfbridgeEnd, the video source is
    /// dropped, the announcer hangs up, the bridge is destroyed.
    pub fn remove_user(&self, sys: &System, user: &Arc<User>) {
        if user.moh.load(Ordering::SeqCst) {
            let ctx = crate::apps::AppCtx {
                sys: sys.arc(),
                chan: user.chan.clone(),
            };
            crate::apps::moh::moh_stop(&ctx);
            user.set_moh(false);
        }
        let was_marked = user.is_marked();
        let last = {
            let mut st = lock(&self.st);
            let before = st.users.len();
            st.users.retain(|u| !Arc::ptr_eq(u, user));
            if st.users.len() == before {
                return;
            }
            st.users.is_empty()
        };
        if was_marked && !last {
            self.marked_left(sys, user);
        }
        if !last {
            self.update_moh(sys);
            return;
        }
        sys.confbridge.remove(self);
        let events = &sys.pbx.channels.events;
        events.device_changed(
            &format!("confbridge:{}", self.name),
            true,
            Pending::Known(DeviceState::NotInUse),
        );
        self.publish("ConfbridgeEnd", None, "");
        // `conf_ended` stops the recording after ConfbridgeEnd.
        let _ = self.stop_record(sys);
        {
            let mut st = lock(&self.st);
            st.ended = true;
            st.queue.clear();
            st.playing = None;
        }
        self.mixing.store(false, Ordering::SeqCst);
        self.video_update(sys);
        // The announcer's device, in use until its channels are gone.
        let device = self.announcer.split('-').next().unwrap_or_default();
        events.device_changed(device, true, Pending::Known(DeviceState::InUse));
        events.publish_system(EventKind::Bridge {
            action: BridgeAction::Destroy,
            bridge: self.snapshot(0),
            swap: None,
        });
        for half in &self.announcer_pair {
            sys.pbx.channels.release_internal(half);
        }
        events.device_changed(device, true, Pending::Known(DeviceState::Unknown));
    }

    /// A marked user left (`leave_marked`): with no marked user left,
    /// `end_marked` members are kicked (ENDMARKED), waitmarked ones wait
    /// again, and the others hear that the leader has left; members with
    /// `end_marked_any` go whenever any marked user leaves.
    fn marked_left(&self, sys: &System, leaver: &User) {
        let marked_left = self.marked();
        let mut need_prompt = false;
        let mut now_waiting = Vec::new();
        for u in self.users().iter().filter(|u| !u.waiting()) {
            let p = &u.profile;
            if marked_left > 0 && !p.end_marked_any {
                continue;
            }
            if (p.end_marked || p.end_marked_any) && !u.kicked() {
                if p.wait_marked && (!p.marked || p.end_marked_any) {
                    now_waiting.push(u.clone());
                }
                self.kick_with(sys, u, "ENDMARKED");
            } else if p.wait_marked && !p.marked {
                need_prompt = true;
                now_waiting.push(u.clone());
            } else {
                need_prompt = true;
            }
        }
        {
            // Moved to the end of the waiting list, in order.
            let mut st = lock(&self.st);
            st.users
                .retain(|u| !now_waiting.iter().any(|w| Arc::ptr_eq(u, w)));
            for u in &now_waiting {
                u.waiting.store(true, Ordering::SeqCst);
                u.chan.wake();
            }
            st.users.extend(now_waiting);
        }
        if need_prompt && !leaver.profile.quiet {
            self.announce(self.profile.sound("sound_leader_has_left"));
        }
    }

    pub fn sound_exists(&self, name: &str) -> bool {
        self.sounds.exists(name, &self.profile_language())
    }

    /// Plays sounds to everyone in the bridge and waits until they are
    /// done (`play_sound_file`: the caller is on autoservice meanwhile).
    /// `Err` if `chan` hangs up first.
    pub async fn announce_and_wait(&self, chan: &Channel, sounds: &[String]) -> Result<(), HungUp> {
        for s in sounds {
            self.announce(s);
        }
        loop {
            {
                let st = lock(&self.st);
                if st.ended || (st.queue.is_empty() && st.playing.is_none()) {
                    return Ok(());
                }
            }
            if chan
                .sleep(std::time::Duration::from_millis(
                    crate::media::FRAME_MS as u64,
                ))
                .await
                .is_err()
            {
                return Err(HungUp);
            }
        }
    }

    /// Starts or stops music on hold on the members as the conference's
    /// state wants it (`conf_moh_start`/`conf_moh_stop`): those past their
    /// prompts with `music_on_hold_when_empty`, alone or waiting.
    pub fn update_moh(&self, sys: &System) {
        for u in self.users() {
            if !u.moh_ready.load(Ordering::SeqCst) {
                continue;
            }
            let want = u.wants_moh(self);
            if want == u.moh.load(Ordering::SeqCst) {
                continue;
            }
            let ctx = crate::apps::AppCtx {
                sys: sys.arc(),
                chan: u.chan.clone(),
            };
            if want {
                let class = (!u.profile.music_on_hold_class.is_empty())
                    .then_some(u.profile.music_on_hold_class.as_str());
                u.set_moh(crate::apps::moh::moh_start(&ctx, class).is_ok());
            } else {
                crate::apps::moh::moh_stop(&ctx);
                u.set_moh(false);
            }
        }
    }

    /// The member's music may play from now on (`conf_moh_unsuspend`),
    /// or not (`false`: leaving, or a prompt of its own; stopped if on).
    pub fn allow_moh(&self, sys: &System, user: &User, allow: bool) {
        user.moh_ready.store(allow, Ordering::SeqCst);
        if !allow && user.moh.load(Ordering::SeqCst) {
            let ctx = crate::apps::AppCtx {
                sys: sys.arc(),
                chan: user.chan.clone(),
            };
            crate::apps::moh::moh_stop(&ctx);
            user.set_moh(false);
        }
        self.update_moh(sys);
    }

    /// The member's music is no more the conference's to start or stop;
    /// what plays goes on until something replaces it or it is gone.
    pub fn hold_moh(&self, user: &User) {
        user.moh_ready.store(false, Ordering::SeqCst);
    }

    /// Queues a sound for everyone in the bridge.
    pub fn announce(&self, sound: &str) {
        if sound.is_empty() {
            return;
        }
        let mut st = lock(&self.st);
        if !st.ended {
            st.queue.push_back(sound.to_string());
        }
    }

    /// Mutes or unmutes a member (ConfbridgeMute/ConfbridgeUnmute).
    pub fn set_mute(&self, user: &User, mute: bool) {
        user.muted.store(mute, Ordering::SeqCst);
        self.publish(
            if mute {
                "ConfbridgeMute"
            } else {
                "ConfbridgeUnmute"
            },
            Some(&user.chan),
            &format!("Admin: {}\r\n", yes_no(user.profile.admin)),
        );
    }

    /// `generic_mute_unmute_helper`: `all`, `participants` (non-admins),
    /// or the first member whose channel name starts with `chan_name`
    /// (case-insensitive). False when nobody matched.
    pub fn mute_matching(&self, chan_name: &str, mute: bool) -> bool {
        let all = chan_name.eq_ignore_ascii_case("all");
        let participants = chan_name.eq_ignore_ascii_case("participants");
        let mut found = false;
        for u in self.users() {
            let name = u.chan.name.to_ascii_lowercase();
            let hit = name.starts_with(&chan_name.to_ascii_lowercase());
            if hit || all || (participants && !u.profile.admin) {
                self.set_mute(&u, mute);
                found = true;
                if hit {
                    break;
                }
            }
        }
        found
    }

    pub fn set_locked(&self, locked: bool) {
        lock(&self.st).locked = locked;
    }

    /// Kicks a member: `CONFBRIDGE_RESULT` is KICKED and it leaves.
    pub fn kick(&self, sys: &System, user: &User) {
        self.kick_with(sys, user, "KICKED");
    }

    fn kick_with(&self, sys: &System, user: &User, result: &str) {
        if user.kicked.swap(true, Ordering::SeqCst) {
            return;
        }
        crate::pbx::set_var(sys, Some(&user.chan), "CONFBRIDGE_RESULT", Some(result));
        user.chan.wake();
    }

    /// The last member to have joined who is not an admin
    /// (`admin_kick_last`).
    pub fn last_non_admin(&self) -> Option<Arc<User>> {
        lock(&self.st)
            .users
            .iter()
            .rev()
            .find(|u| !u.profile.admin)
            .cloned()
    }

    /// `ConfbridgeSetSingleVideoSrc`: the bridge's video mode becomes
    /// `single` with this source (BridgeVideoSourceUpdate).
    pub fn set_video_source(&self, sys: &System, user: &User) {
        let previous = {
            let mut st = lock(&self.st);
            st.video_single = true;
            std::mem::replace(&mut st.video_source, user.chan.uniqueid.clone())
        };
        sys.pbx.channels.events.publish_system(EventKind::Manager {
            class: class::CALL,
            name: "BridgeVideoSourceUpdate".into(),
            body: format!(
                "{}BridgePreviousVideoSource: {previous}\r\n",
                bridge_state(&self.current_snapshot())
            ),
        });
    }

    /// One mixing period: each member in the bridge hears everyone else
    /// (and the announcer), one frame per period.
    fn mix_tick(&self, now: Instant) {
        let (members, announce, recorder) = {
            let mut st = lock(&self.st);
            let members = st.bridged_members();
            let announce = self.next_announcer_frame(&mut st);
            let recorder = st.record.recorder.as_ref().map(|r| r.chan.clone());
            (members, announce, recorder)
        };
        let mut talk_changes = Vec::new();
        let inputs: Vec<Option<SlinFrame>> = members
            .iter()
            .map(|u| {
                let f = u.take_input()?;
                if u.profile.talk_detection_events {
                    let p = &u.profile;
                    let changed =
                        lock(&u.talk).feed(&f, p.dsp_talking_threshold, p.dsp_silence_threshold);
                    if let Some(on) = changed {
                        talk_changes.push((u.clone(), on));
                    }
                }
                // Muted by request, waiting for a marked user, or on hold
                // (`conf_update_user_mute`).
                if u.muted() || u.waiting() || u.moh.load(Ordering::SeqCst) {
                    return None;
                }
                let step = u.talk_volume.load(Ordering::SeqCst);
                Some(f.map(|s| scale(s, step)))
            })
            .collect();
        let mut refs: Vec<Option<&SlinFrame>> = inputs.iter().map(Option::as_ref).collect();
        refs.push(announce.as_ref());
        // The recorder says nothing and hears everyone.
        if let Some(port) = recorder.and_then(|r| r.media_port()) {
            let all = crate::media::mix::mix_all(&refs);
            port.write(&AudioFrame::Slin(all.to_vec()), now);
        }
        let mixed = crate::media::mix::mix(&refs);
        for (u, on) in talk_changes {
            self.publish_talking(&u, on);
        }
        for (u, out) in members.iter().zip(mixed) {
            if u.private_sound.load(Ordering::SeqCst) {
                continue;
            }
            let step = u.listen_volume.load(Ordering::SeqCst);
            let frame = AudioFrame::Slin(out.iter().map(|&s| scale(s, step)).collect());
            if let Some(p) = u.chan.media_port() {
                p.write(&frame, now);
            }
        }
    }

    /// The announcer's next frame: the sound playing, else the next
    /// queued one opened.
    fn next_announcer_frame(&self, st: &mut ConfState) -> Option<SlinFrame> {
        loop {
            if let Some(src) = st.playing.as_mut() {
                if let Some(f) = src.next_frame() {
                    return Some(to_slin_frame(&f));
                }
                st.playing = None;
            }
            let sound = st.queue.pop_front()?;
            match self
                .sounds
                .open(&sound, &self.profile_language(), Codec::Slin)
            {
                Ok(p) => {
                    // The announcer's own half plays it, as Asterisk logs.
                    if let Some(sys) = self.sys.upgrade() {
                        sys.pbx.logger.verbose(
                            3,
                            crate::site!("file.c", 1398, "ast_streamfile"),
                            None,
                            &format!(
                                "<{}1> Playing '{sound}.{}' (language '{}')",
                                self.announcer.trim_end_matches('2'),
                                p.format().media_format_name(),
                                self.profile_language()
                            ),
                        );
                    }
                    st.playing = Some(Box::new(p));
                }
                Err(e) => {
                    tracing::warn!(conference = %self.name, %sound, "cannot play: {e}");
                }
            }
        }
    }

    fn profile_language(&self) -> String {
        if self.profile.language.is_empty() {
            "en".into()
        } else {
            self.profile.language.clone()
        }
    }
}

pub fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// The conference's mixer on the shared clock.
struct Mixer {
    conf: Weak<Conference>,
}

impl Tick for Mixer {
    fn tick(&mut self, now: Instant) {
        if let Some(c) = self.conf.upgrade() {
            c.mix_tick(now);
        }
    }

    fn is_active(&self) -> bool {
        self.conf
            .upgrade()
            .is_some_and(|c| c.mixing.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::media::MediaPort;
    use crate::channels::{Channels, NewChannel};

    /// A port that keeps what it is sent, as signed linear.
    #[derive(Default)]
    struct Heard(Mutex<Vec<Vec<i16>>>);

    impl MediaPort for Heard {
        fn codec(&self) -> Codec {
            Codec::Slin
        }
        fn write(&self, frame: &AudioFrame, _now: Instant) {
            lock(&self.0).push(frame.to_slin());
        }
    }

    fn conference() -> Conference {
        Conference {
            created: 0,
            name: "test".into(),
            uniqueid: "b".into(),
            announcer: "CBAnn/test-00000000;2".into(),
            announcer_pair: Vec::new(),
            profile: BridgeProfile::new("default_bridge"),
            sounds: SoundPaths::new("/nonexistent"),
            events: crate::core::events::EventBus::new(),
            sys: Weak::new(),
            st: Mutex::new(ConfState::default()),
            mixing: AtomicBool::new(true),
        }
    }

    /// A member in the bridge with a port that records what it hears.
    fn member(chans: &Channels, conf: &Conference, name: &str) -> (Arc<User>, Arc<Heard>) {
        let chan = chans.alloc(format!("Test/{name}"), "Test", 1, NewChannel::default());
        let port = Arc::new(Heard::default());
        chan.set_media_port(port.clone());
        let u = User::new(chan, UserProfile::new("default_user"), "b", "m");
        u.in_bridge.store(true, Ordering::SeqCst);
        lock(&conf.st).users.push(u.clone());
        (u, port)
    }

    fn says(u: &User, first: i16, rest: i16) {
        let mut f = [rest; FRAME_SAMPLES];
        f[0] = first;
        *lock(&u.inbox) = Some(f);
    }

    #[test]
    fn each_member_hears_the_sum_of_the_others() {
        let chans = Channels::new("");
        let conf = conference();
        let (a, ha) = member(&chans, &conf, "a");
        let (b, hb) = member(&chans, &conf, "b");
        let (c, hc) = member(&chans, &conf, "c");
        let (d, hd) = member(&chans, &conf, "d");
        says(&a, 1000, 1);
        says(&b, -300, 2);
        says(&c, 20000, 4);
        says(&d, 20000, -8);
        conf.mix_tick(Instant::now());
        let first = |h: &Heard| lock(&h.0).last().map(|f| (f[0], f[1], f.len()));
        // Sample-exact sums of the other three; 40000 and more clip.
        assert_eq!(first(&ha), Some((i16::MAX, -2, FRAME_SAMPLES)));
        assert_eq!(first(&hb), Some((i16::MAX, -3, FRAME_SAMPLES)));
        assert_eq!(first(&hc), Some((20700, -5, FRAME_SAMPLES)));
        assert_eq!(first(&hd), Some((20700, 7, FRAME_SAMPLES)));
        // What was said is used once: the next period is silence.
        conf.mix_tick(Instant::now());
        assert_eq!(first(&ha), Some((0, 0, FRAME_SAMPLES)));
        assert_eq!(lock(&ha.0).len(), 2);
    }

    #[test]
    fn muted_members_are_not_heard_and_private_sounds_hold_the_mix() {
        let chans = Channels::new("");
        let conf = conference();
        let (a, ha) = member(&chans, &conf, "a");
        let (b, hb) = member(&chans, &conf, "b");
        let (c, hc) = member(&chans, &conf, "c");
        a.muted.store(true, Ordering::SeqCst);
        c.set_private_sound(true);
        says(&a, 500, 500);
        says(&b, -7, -7);
        says(&c, 30, 30);
        conf.mix_tick(Instant::now());
        // The muted member still hears; nobody hears it.
        assert_eq!(lock(&ha.0)[0][0], 23);
        assert_eq!(lock(&hb.0)[0][0], 30);
        // A member hearing a prompt of its own gets no mixed frame, but
        // is still heard.
        assert!(lock(&hc.0).is_empty());
        // Out of the bridge: neither heard nor written to.
        b.in_bridge.store(false, Ordering::SeqCst);
        says(&b, 1000, 1000);
        conf.mix_tick(Instant::now());
        assert_eq!(lock(&hb.0).len(), 1);
        assert_eq!(lock(&ha.0)[1][0], 0);
    }

    #[test]
    fn a_conference_bridge_snapshot_counts_the_announcer() {
        let chans = Channels::new("");
        let conf = conference();
        assert_eq!(conf.current_snapshot().num_channels, 1);
        let (u, _) = member(&chans, &conf, "a");
        assert_eq!(conf.current_snapshot().num_channels, 2);
        assert_eq!(u.flags(), "");
        u.muted.store(true, Ordering::SeqCst);
        assert_eq!(u.flags(), "m");
        let s = conf.current_snapshot();
        assert_eq!(
            (s.bridge_type, s.technology, s.creator),
            ("base", "softmix", "ConfBridge")
        );
    }

    #[test]
    fn talk_detection_starts_at_a_loud_frame_and_ends_after_the_silence() {
        let mut t = TalkState::default();
        let quiet = [100i16; FRAME_SAMPLES];
        let loud = [-2000i16; FRAME_SAMPLES];
        assert_eq!(t.feed(&quiet, 160, 2500), None);
        assert_eq!(t.feed(&loud, 160, 2500), Some(true));
        assert_eq!(t.feed(&loud, 160, 2500), None);
        // 2480 ms of silence: still talking; the 125th frame ends it.
        for _ in 0..124 {
            assert_eq!(t.feed(&quiet, 160, 2500), None);
        }
        assert_eq!(t.feed(&quiet, 160, 2500), Some(false));
        assert_eq!(t.feed(&quiet, 160, 2500), None);
    }

    #[test]
    fn volume_steps_double_and_halve_with_clipping() {
        assert_eq!(scale(100, 0), 100);
        assert_eq!(scale(100, 1), 200);
        assert_eq!(scale(100, -1), 50);
        assert_eq!(scale(20000, 2), i16::MAX);
        assert_eq!(scale(-20000, 1), i16::MIN);
    }

    #[test]
    fn short_frames_are_padded_with_silence() {
        let f = to_slin_frame(&AudioFrame::Slin(vec![7; 80]));
        assert_eq!(f[79], 7);
        assert_eq!(f[80], 0);
    }
}
