//! Call parking (Asterisk's `res/res_parking.c` and `res/parking/`): the
//! lots of res_parking.conf and the calls parked in them, each lot's
//! holding bridge, the extensions a lot adds to the dialplan, and what
//! parking tells AMI. The applications are in `apps::park`, the AMI
//! actions in `manager::actions::parking`, `parking show` in `cli::parking`.

pub mod features;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::apps::AppCtx;
use crate::channels::Channel;
use crate::channels::bridge::Bridge;
use crate::config::views::parking::{DEFAULT_LOT, LotCfg};
use crate::core::devicestate::{DeviceState, Pending};
use crate::core::events::{ChannelSnapshot, EventKind};
use crate::core::{Loaded, System, lock};

/// Who registers the lots' shared extensions (`BASE_REGISTRAR`).
pub const REGISTRAR: &str = "res_parking";
/// Where a call that times out dials its parker back (`PARK_DIAL_CONTEXT`).
pub const PARK_DIAL_CONTEXT: &str = "park-dial";

/// A lot's own registrar (`res_parking/<lot>`).
fn lot_registrar(lot: &str) -> String {
    format!("{REGISTRAR}/{lot}")
}

/// Adds every lot's extensions to the dialplan (`configure_parking_
/// extensions`), after taking away what res_parking had added. Run when
/// the dialplan or res_parking.conf is (re)loaded.
pub fn install_extensions(loaded: &mut Loaded) {
    let conf = loaded.parking.clone();
    let on = conf.running(&loaded.modules);
    let dp = Arc::make_mut(&mut loaded.dialplan);
    dp.remove_registrar(|r| r == REGISTRAR || r.starts_with("res_parking/"));
    if on {
        for lot in &conf.lots {
            create_extensions(dp, lot);
        }
    }
    dp.reindex();
}

/// `parking_lot_cfg_create_extensions`: the park extension, one
/// ParkedCall extension per space, and their hints. `false` (nothing more
/// added) where one is already taken, as res_parking gives up there.
fn create_extensions(dp: &mut crate::pbx::dialplan::Dialplan, lot: &LotCfg) -> bool {
    use crate::pbx::dialplan::PRIORITY_HINT;
    if lot.parkext.is_empty() {
        return true;
    }
    let own = lot_registrar(&lot.name);
    let park_reg = if lot.parkext_exclusive {
        own.as_str()
    } else {
        REGISTRAR
    };
    let taken = |dp: &crate::pbx::dialplan::Dialplan, exten: &str, pri: i32| {
        dp.context(&lot.context).is_some_and(|c| {
            c.matching(exten)
                .any(|e| e.cidmatch.is_none() && e.priority(pri).is_some())
        })
    };
    if let Some(c) = dp.context(&lot.context)
        && let Some(e) = c
            .matching(&lot.parkext)
            .find(|e| e.cidmatch.is_none() && e.priority(1).is_some())
    {
        // Shared park extensions are fine between non-exclusive lots.
        let compatible = !lot.parkext_exclusive
            && e.priority(1).is_some_and(|p| {
                p.app == "Park" && p.registrar.as_deref().unwrap_or(&c.registrar) == REGISTRAR
            });
        if !compatible {
            return false;
        }
    } else {
        let data = if lot.parkext_exclusive {
            lot.name.as_str()
        } else {
            ""
        };
        // The reference names the lot's own registrar as the context's
        // creator (`dialplan show`), whoever owns the park extension.
        dp.add_module_priority(&lot.context, &own, &lot.parkext, 1, "Park", data, park_reg);
    }
    for space in lot.start..=lot.stop {
        let s = space.to_string();
        if taken(dp, &s, 1) {
            return false;
        }
        dp.add_module_priority(
            &lot.context,
            &own,
            &s,
            1,
            "ParkedCall",
            &format!("{},{s}", lot.name),
            &own,
        );
        if lot.parkinghints {
            if taken(dp, &s, PRIORITY_HINT) {
                return false;
            }
            let hint = format!("park:{s}@{}", lot.context);
            dp.add_module_priority(&lot.context, &own, &s, PRIORITY_HINT, &hint, "", &own);
        }
    }
    true
}

/// How a parked call left its space (`enum park_call_resolution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Unset,
    /// It hung up while parked.
    Abandon,
    /// ParkedCall took it.
    Answered,
    Timeout,
}

/// One parked call (`struct parked_user`).
pub struct ParkedUser {
    pub chan: Arc<Channel>,
    pub space: u32,
    pub lot: String,
    /// The lot's context when it was parked (its device is
    /// `park:<space>@<context>`).
    pub context: String,
    pub start: Instant,
    /// The wall clock's second when it was parked: the events count
    /// whole seconds as differences of clock readings, as Asterisk does.
    start_secs: i64,
    /// Seconds; 0 never times out.
    pub time_limit: u32,
    pub parker_dial_string: String,
    /// `c(...)`: where it goes on timeout instead of the lot's choice.
    pub comeback: Option<String>,
    resolution: Mutex<Resolution>,
    retriever: Mutex<Option<Arc<ChannelSnapshot>>>,
    /// The bridge ParkedCall moved it into.
    retrieved_to: Mutex<Option<Arc<Bridge>>>,
}

impl ParkedUser {
    pub fn resolution(&self) -> Resolution {
        *lock(&self.resolution)
    }

    /// Sets the resolution if none is set yet (the first to decide wins).
    fn resolve(&self, r: Resolution) -> bool {
        let mut g = lock(&self.resolution);
        if *g != Resolution::Unset {
            return false;
        }
        *g = r;
        true
    }

    /// Seconds left and seconds parked, as the events count them.
    fn times(&self) -> (i64, i64) {
        // The reference's timeout fires at the limit itself; ours acts a
        // frame early (see `hold`), so a timeout reads the limit.
        if self.resolution() == Resolution::Timeout {
            return (0, i64::from(self.time_limit));
        }
        let parked = crate::core::unix_seconds() - self.start_secs;
        (i64::from(self.time_limit) - parked, parked)
    }
}

/// A lot's live state (`struct parking_lot`): its calls, in space order,
/// and its bridge, made when first needed and kept.
#[derive(Default)]
struct LotState {
    users: Vec<Arc<ParkedUser>>,
    next_space: u32,
    bridge: Option<Arc<Bridge>>,
}

/// Every lot's state, by name (`parking_lot_container`).
#[derive(Default)]
pub struct Parking {
    lots: Mutex<BTreeMap<String, LotState>>,
    /// Calls parked out of a bridge whose application (Dial) holds them
    /// once the bridge is done.
    waiting: Mutex<Vec<Entered>>,
    /// Channels the Park action took from their application: their PBX
    /// parks them when the application has let go.
    yanked: Mutex<Vec<(Arc<Channel>, ParkOptions)>>,
    /// Park actions for a bridge's task to carry out: (parker, parkee).
    bridge_parks: Mutex<Vec<(Arc<Channel>, Arc<Channel>, ParkOptions)>>,
}

impl Parking {
    /// The calls parked in `lot`, in space order.
    pub fn parked(&self, lot: &str) -> Vec<Arc<ParkedUser>> {
        lock(&self.lots)
            .get(lot)
            .map(|l| l.users.clone())
            .unwrap_or_default()
    }

    /// The parked call of `chan`, if it is parked.
    pub fn find_chan(&self, chan: &Channel) -> Option<Arc<ParkedUser>> {
        lock(&self.lots)
            .values()
            .flat_map(|l| l.users.iter())
            .find(|u| std::ptr::eq(u.chan.as_ref(), chan))
            .cloned()
    }

    /// The lot's bridge, made (BridgeCreate) if it has none yet.
    fn bridge(&self, sys: &System, lot: &str) -> Arc<Bridge> {
        let mut lots = lock(&self.lots);
        let st = lots.entry(lot.to_string()).or_default();
        st.bridge
            .get_or_insert_with(|| {
                Bridge::create_holding(&sys.pbx.channels.events, "parking", "Parking", lot)
            })
            .clone()
    }

    /// `parking_lot_get_space`: the preferred space if free, else the
    /// first free one from where the lot starts looking.
    fn take_space(&self, cfg: &LotCfg, preferred: Option<u32>) -> Option<u32> {
        let lots = lock(&self.lots);
        let st = lots.get(&cfg.name);
        let used: Vec<u32> = st
            .map(|s| s.users.iter().map(|u| u.space).collect())
            .unwrap_or_default();
        let next = st.map_or(0, |s| s.next_space);
        let mut target = if cfg.findnext && next != 0 {
            next
        } else {
            cfg.start
        };
        if let Some(p) = preferred.filter(|p| (cfg.start..=cfg.stop).contains(p)) {
            target = p;
        }
        let mut wrap = cfg.start;
        for &s in &used {
            if wrap == s {
                wrap += 1;
            }
            if s < target {
                continue;
            }
            if s > target {
                break;
            }
            target += 1;
        }
        if target <= cfg.stop {
            Some(target)
        } else if wrap <= cfg.stop {
            Some(wrap)
        } else {
            None
        }
    }

    fn link(&self, cfg: &LotCfg, pu: Arc<ParkedUser>) {
        let mut lots = lock(&self.lots);
        let st = lots.entry(cfg.name.clone()).or_default();
        let span = cfg.stop - cfg.start + 1;
        st.next_space = (pu.space + 1 - cfg.start) % span + cfg.start;
        let at = st.users.partition_point(|u| u.space < pu.space);
        st.users.insert(at, pu);
    }

    fn unlink(&self, pu: &ParkedUser) {
        if let Some(st) = lock(&self.lots).get_mut(&pu.lot) {
            st.users.retain(|u| !std::ptr::eq(u.as_ref(), pu));
        }
    }

    /// `parking_lot_retrieve_parked_user`: the call on `space` (or the
    /// first one), taken out of the lot as answered.
    pub fn retrieve(&self, lot: &str, space: Option<u32>) -> Option<Arc<ParkedUser>> {
        let mut lots = lock(&self.lots);
        let st = lots.get_mut(lot)?;
        let i = match space {
            Some(s) => st.users.iter().position(|u| u.space == s)?,
            None => (!st.users.is_empty()).then_some(0)?,
        };
        if !st.users[i].resolve(Resolution::Answered) {
            return None;
        }
        Some(st.users.remove(i))
    }
}

/// `find_channel_parking_lot_name`: PARKINGLOT, the channel's own lot,
/// else `default`.
pub fn channel_lot_name(chan: &Channel) -> String {
    if let Some(v) = chan.get_var("PARKINGLOT").filter(|v| !v.is_empty()) {
        return v;
    }
    let own = chan.lock().props.parkinglot.clone();
    if own.is_empty() {
        DEFAULT_LOT.to_string()
    } else {
        own
    }
}

/// `ast_channel_name_to_dial_string`: the name without its `-<seq>`.
pub fn dial_string(name: &str) -> String {
    match name.rfind('-') {
        Some(i) => name[..i].to_string(),
        None => name.to_string(),
    }
}

/// What Park and the other ways in ask for (`park_common_datastore` and
/// the application's options).
#[derive(Debug, Clone, Default)]
pub struct ParkOptions {
    /// Empty: the parker's lot.
    pub lot: String,
    /// `s`: no announcement.
    pub silence: bool,
    /// `r`: ringing instead of music.
    pub ringing: bool,
    /// `R`: a random space.
    pub randomize: bool,
    /// `t(...)`: seconds instead of the lot's parkingtime.
    pub time_limit: Option<u32>,
    /// `c(...)`: where to go on timeout.
    pub comeback: Option<String>,
    /// `m(...)`: the music class.
    pub musicclass: Option<String>,
}

/// How a parked call's stay ended, for whoever runs its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parked {
    /// It could not be parked (logged; a ParkedCall failure published).
    Failed,
    /// It hung up, or was hung up, while parked or once retrieved.
    Hangup,
    /// It goes on in the dialplan where an async goto sent it (it timed
    /// out, or was transferred once retrieved).
    GoesOn,
}

/// A ParkedCall-family AMI event about `pu` (`manager_build_parked_
/// call_string`): the parkee (and retriever) snapshots, then the lot's
/// view of it.
pub fn parked_call_body(pu: &ParkedUser, with_retriever: bool) -> String {
    use crate::manager::events::channel_state;
    let (timeout, duration) = pu.times();
    let mut s = channel_state(&pu.chan.snapshot(), "Parkee");
    if with_retriever && let Some(r) = lock(&pu.retriever).as_ref() {
        s.push_str(&channel_state(r, "Retriever"));
    }
    s.push_str(&format!(
        "ParkerDialString: {}\r\nParkinglot: {}\r\nParkingSpace: {}\r\nParkingTimeout: {}\r\nParkingDuration: {}\r\n",
        pu.parker_dial_string,
        pu.lot,
        pu.space,
        // An unsigned long in Asterisk: a call past its time wraps.
        timeout.max(0),
        duration
    ));
    s
}

/// Publishes a parking event (`publish_parked_call`): on the parking
/// topic, not the channel's.
fn publish(sys: &System, name: &str, pu: &ParkedUser) {
    sys.pbx.channels.events.publish_system(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: name.to_string(),
        body: parked_call_body(pu, name == "UnParkedCall"),
    });
}

/// `parking_notify_metermaids`: the space's device state (cachable).
fn metermaids(sys: &System, pu: &ParkedUser, state: DeviceState) {
    sys.pbx.channels.events.device_changed(
        &format!("park:{}@{}", pu.space, pu.context),
        true,
        Pending::Known(state),
    );
}

/// `metermaidstate`, the `park:` provider. Res_parking's lookup never
/// finds the lot (it is handed the wrong argument), so a space not in the
/// cache reads as free.
pub fn device_state(resource: &str) -> DeviceState {
    match resource.split_once('@') {
        Some((exten, context))
            if !exten.is_empty() && !context.is_empty() && exten.parse::<i32>().is_ok() =>
        {
            DeviceState::NotInUse
        }
        _ => DeviceState::Invalid,
    }
}

/// Parks `chan` (it must have a PBX or be run by its caller) and holds it
/// until it leaves the lot: `parker` is who parked it (itself for Park).
/// Covers `park_common_setup`, the parking bridge's push and pull, and
/// the interval hook that times it out.
pub async fn park_and_hold(
    sys: &Arc<System>,
    chan: &Arc<Channel>,
    parker: Option<&Arc<Channel>>,
    opts: &ParkOptions,
) -> Parked {
    match enter(sys, chan, parker, opts, None) {
        Some(e) => e.hold().await,
        None => Parked::Failed,
    }
}

/// A call in its space, not yet holding (its announcement and music
/// come with [`Entered::hold`]).
pub struct Entered {
    sys: Arc<System>,
    ctx: AppCtx,
    bridge: Arc<Bridge>,
    cfg: LotCfg,
    pub pu: Arc<ParkedUser>,
    announce: bool,
    opts: ParkOptions,
}

impl Entered {
    /// Announces the space (unless silenced or transferred), starts the
    /// music (or ringing), and holds until the call leaves its space.
    pub async fn hold(self) -> Parked {
        let Entered {
            sys,
            ctx,
            bridge,
            cfg,
            pu,
            announce,
            opts,
        } = self;
        let chan = &ctx.chan;
        if announce {
            say_space(&ctx, pu.space).await;
        }
        if !chan.check_hangup() && pu.resolution() == Resolution::Unset {
            if opts.ringing {
                chan.indicate(crate::channels::Indication::Ringing);
            } else {
                let class = opts
                    .musicclass
                    .clone()
                    .filter(|c| !c.is_empty())
                    .or_else(|| Some(cfg.mohclass.clone()).filter(|c| !c.is_empty()));
                let _ = crate::apps::moh::moh_start(&ctx, class.as_deref());
            }
        }
        hold(&sys, &ctx, &bridge, &cfg, &pu).await
    }
}

/// Puts `chan` in a space of its lot and in the lot's bridge
/// (`park_common_setup` and the parking bridge's push): ParkedCall, the
/// space's device in use, BridgeEnter. `from`: the bridge it moves out
/// of (a parked bridge member). `None` when it cannot be parked (logged).
pub fn enter(
    sys: &Arc<System>,
    chan: &Arc<Channel>,
    parker: Option<&Arc<Channel>>,
    opts: &ParkOptions,
    from: Option<&Arc<Bridge>>,
) -> Option<Entered> {
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    let parker_chan = parker.unwrap_or(chan);
    let lot_name = if opts.lot.is_empty() {
        channel_lot_name(parker_chan)
    } else {
        opts.lot.clone()
    };
    let loaded = sys.loaded();
    let Some(cfg) = loaded.parking.lot(&lot_name).cloned() else {
        // Dynamic lots (parkeddynamic) are not built: check-config says so.
        ctx.error(
            crate::site!("parking_applications.c", 443, "park_common_setup2"),
            &format!("Could not find parking lot: '{lot_name}'"),
        );
        return None;
    };
    let bridge = sys.parking.bridge(sys, &cfg.name);
    // park_common_datastore: a transfer that brought it here names the
    // parker to call back.
    let attended = chan.get_var("ATTENDEDTRANSFER").filter(|v| !v.is_empty());
    let blind = chan.get_var("BLINDTRANSFER").filter(|v| !v.is_empty());
    let from_transfer = attended
        .clone()
        .or_else(|| blind.clone())
        .map(|n| dial_string(&n));
    // bridge_parking_push: the parker's name when it is another channel.
    let parker_name = if std::ptr::eq(parker_chan.as_ref(), chan.as_ref()) {
        blind.clone().unwrap_or_else(|| parker_chan.name.clone())
    } else {
        parker_chan.name.clone()
    };
    if chan.state() != crate::channels::ChanState::Up {
        chan.answer();
    }
    let preferred = if opts.randomize {
        let span = cfg.stop - cfg.start + 1;
        Some(cfg.start + (crate::channels::sip::style::random_u64() % u64::from(span)) as u32)
    } else {
        match chan.get_var("PARKINGEXTEN").filter(|v| !v.is_empty()) {
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    ctx.warning(
                        crate::site!("parking_bridge.c", 137, "generate_parked_user"),
                        &format!("PARKINGEXTEN='{v}' is not a valid parking space."),
                    );
                    return None;
                }
            },
            None => None,
        }
    };
    if let Some(p) = preferred.filter(|p| !(cfg.start..=cfg.stop).contains(p)) {
        ctx.warning(
            crate::site!("parking_controller.c", 115, "parking_lot_get_space"),
            &format!(
                "Preferred parking spot {p} is out of bounds ({}-{})",
                cfg.start, cfg.stop
            ),
        );
    }
    let Some(space) = sys.parking.take_space(&cfg, preferred) else {
        ctx.notice(
            crate::site!("parking_bridge.c", 148, "generate_parked_user"),
            &format!(
                "Failed to get parking space in lot '{}'. All full.",
                cfg.name
            ),
        );
        return None;
    };
    if let Some(b) = from {
        // Out of its old bridge (its peer variables go once it is in).
        b.move_out(chan);
    }
    let pu = Arc::new(ParkedUser {
        chan: chan.clone(),
        space,
        lot: cfg.name.clone(),
        context: cfg.context.clone(),
        start: Instant::now(),
        start_secs: crate::core::unix_seconds(),
        time_limit: opts.time_limit.unwrap_or(cfg.parkingtime),
        parker_dial_string: from_transfer.unwrap_or_else(|| dial_string(&parker_name)),
        comeback: opts.comeback.clone().filter(|c| !c.is_empty()),
        resolution: Mutex::new(Resolution::Unset),
        retriever: Mutex::new(None),
        retrieved_to: Mutex::new(None),
    });
    sys.parking.link(&cfg, pu.clone());
    publish(sys, "ParkedCall", &pu);
    ctx.verbose(
        3,
        crate::site!("parking_bridge.c", 304, "bridge_parking_push"),
        &format!("Parking '{}' in '{}' at space {space}", chan.name, cfg.name),
    );
    metermaids(sys, &pu, DeviceState::InUse);
    bridge.join(chan);
    Some(Entered {
        sys: sys.clone(),
        ctx,
        bridge,
        cfg,
        pu,
        announce: blind.is_none() && !opts.silence,
        opts: opts.clone(),
    })
}

/// `say_parking_space`: the space's digits.
pub async fn say_space(ctx: &AppCtx, space: u32) {
    let paths = crate::media::file::SoundPaths::from_conf(&ctx.sys.conf);
    let lang = ctx.chan.lock().language.clone();
    let files = crate::media::say::digit_files(&space.to_string(), |f| paths.exists(f, &lang));
    let _ = crate::apps::say::say_files(ctx, &files, "").await;
    ctx.chan.stop_stream();
}

/// The parked call waits in the lot until it hangs up, times out, or is
/// retrieved (then until the retrieval bridge lets it go).
async fn hold(
    sys: &Arc<System>,
    ctx: &AppCtx,
    bridge: &Arc<Bridge>,
    cfg: &LotCfg,
    pu: &Arc<ParkedUser>,
) -> Parked {
    let chan = &ctx.chan;
    // Asterisk's music is paced from its own start, and the interval hook
    // due with the last frame runs first: a call parked for N periods
    // hears N-1 frames (149 in 3 s, 99 in 2 s in every capture). Our
    // music starts a little after the parking's clock reading, so the
    // timeout counts the music's frames instead, acting once N-1 went out
    // (or at the time limit, without music).
    let deadline =
        (pu.time_limit > 0).then(|| pu.start + Duration::from_secs(u64::from(pu.time_limit)));
    let music = chan.media().music.clone();
    let baseline = lock(&music).samples;
    let frames_due = u64::from(pu.time_limit) * u64::from(1000 / crate::media::FRAME_MS) - 1;
    let music_done = || {
        let st = lock(&music);
        st.active
            && st.samples >= baseline
            && (st.samples - baseline) / crate::media::FRAME_SAMPLES as u64 >= frames_due
    };
    loop {
        if pu.resolution() == Resolution::Answered {
            // Retrieved: the retriever's bridge runs it now.
            loop {
                let gone = lock(&pu.retrieved_to)
                    .as_ref()
                    .is_some_and(|b| !b.members().iter().any(|m| Arc::ptr_eq(m, chan)));
                if gone && let Some(p) = Box::pin(features::hold_if_parked(sys, chan)).await {
                    // Parked again from the retrieval bridge.
                    return p;
                }
                if gone || chan.is_dead() {
                    let goto = chan.softhangup_flags() & crate::channels::softhangup::ASYNCGOTO;
                    return if goto != 0 && !chan.is_dead() {
                        Parked::GoesOn
                    } else {
                        Parked::Hangup
                    };
                }
                let _ =
                    tokio::time::timeout(Duration::from_millis(100), chan.wake_handle().notified())
                        .await;
            }
        }
        if chan.check_hangup() {
            if pu.resolve(Resolution::Abandon) {
                pull(sys, ctx, bridge, pu, "ParkedCallGiveUp");
                return Parked::Hangup;
            }
            continue;
        }
        // With music the count decides (the time limit only backs it up,
        // should the music stall); without, the time limit.
        let music_on = lock(&music).active;
        let due = deadline.is_some_and(|d| {
            let now = Instant::now();
            if music_on {
                music_done() || now >= d + Duration::from_millis(100)
            } else {
                now >= d
            }
        });
        if due && pu.resolve(Resolution::Timeout) {
            return time_out(sys, ctx, bridge, cfg, pu);
        }
        // Near the end the frames are watched closely.
        let wait = deadline
            .map(|d| {
                let left = d.saturating_duration_since(Instant::now());
                if left < Duration::from_millis(100) {
                    Duration::from_millis(2)
                } else {
                    left - Duration::from_millis(90)
                }
            })
            .unwrap_or(Duration::from_millis(500))
            .min(Duration::from_millis(500));
        let _ = tokio::time::timeout(wait, chan.wake_handle().notified()).await;
    }
}

/// The parked call leaves the lot's bridge (`bridge_parking_pull` and
/// the holding bridge's leave): its music stops, the space is free, the
/// event tells why, then BridgeLeave.
fn pull(sys: &System, ctx: &AppCtx, bridge: &Bridge, pu: &ParkedUser, event: &str) {
    {
        // It leaves its bridge with a normal clearing unless it has a cause.
        let mut d = ctx.chan.lock();
        if d.hangupcause == 0 {
            d.hangupcause = 16;
        }
    }
    crate::apps::moh::moh_stop(ctx);
    sys.parking.unlink(pu);
    metermaids(sys, pu, DeviceState::NotInUse);
    publish(sys, event, pu);
    bridge.leave(&ctx.chan);
}

/// `parking_duration_callback`: the timeout's variables, the park-dial
/// extension, the way out, and the pull.
fn time_out(
    sys: &Arc<System>,
    ctx: &AppCtx,
    bridge: &Bridge,
    cfg: &LotCfg,
    pu: &ParkedUser,
) -> Parked {
    let chan = &ctx.chan;
    // The hook runs on the bridge channel's own thread: from now on no
    // music goes out, though it stops (MusicOnHoldStop) only on the pull.
    let music = chan.take_source();
    let dial = pu.parker_dial_string.clone();
    let flat = dial.replace('/', "_");
    chan.set_var_event("PARKING_SPACE", &pu.space.to_string());
    chan.set_var_event("PARKEDLOT", &pu.lot);
    chan.set_var_event("PARKER", &dial);
    chan.set_var_event("PARKER_FLAT", &flat);
    // parking_timeout_set_caller_features: the callee's Dial letters, as
    // the parker is called back.
    let mut features = String::new();
    for (by, letter) in [
        (cfg.parkedcalltransfers, 't'),
        (cfg.parkedcallreparking, 'k'),
        (cfg.parkedcallhangup, 'h'),
        (cfg.parkedcallrecording, 'x'),
    ] {
        if by.caller {
            features.push(letter);
        }
    }
    chan.set_var_event("BRIDGE_FEATURES", &features);
    add_park_dial(sys, &flat, &format!("{dial},{}", cfg.comebackdialtime));
    // The way out is set first: the timeout event shows where it goes.
    let went = match &pu.comeback {
        Some(target) => crate::pbx::run::parseable_goto(ctx, target).map(|_| {
            let mut d = chan.lock();
            if d.has_pbx {
                // An async goto lands on the priority itself, where the
                // run loop's explicit goto would land one early.
                if d.in_autoloop {
                    d.priority += 1;
                }
                drop(d);
                chan.softhangup_quiet(crate::channels::softhangup::ASYNCGOTO);
            }
        }),
        None => comeback_goto(ctx, cfg, &flat),
    };
    drop(music);
    pull(sys, ctx, bridge, pu, "ParkedCallTimeOut");
    // The new place shows while the application (Park) still runs.
    if chan.lock().appl.is_some() {
        chan.publish_snapshot();
    }
    if went.is_err() {
        return Parked::Hangup;
    }
    Parked::GoesOn
}

/// `park-dial,<flat>,1 => Dial(<parker>,<comebackdialtime>)`, unless
/// another module owns that extension.
fn add_park_dial(sys: &System, flat: &str, data: &str) {
    sys.update_dialplan(|dp| {
        let owned_elsewhere = dp.context(PARK_DIAL_CONTEXT).is_some_and(|c| {
            c.extensions.iter().any(|e| {
                e.name == flat
                    && e.priority(1).is_some_and(|p| {
                        p.registrar.as_deref().unwrap_or(&c.registrar) != REGISTRAR
                    })
            })
        });
        if owned_elsewhere {
            return;
        }
        dp.remove_priority(PARK_DIAL_CONTEXT, flat, 1);
        dp.add_module_priority(
            PARK_DIAL_CONTEXT,
            REGISTRAR,
            flat,
            1,
            "Dial",
            data,
            REGISTRAR,
        );
        dp.reindex();
    });
}

/// `ast_async_goto`: a channel with a PBX is interrupted to go there;
/// one without (a parked dialled leg) is only moved, and gets a PBX
/// there once it leaves the lot.
fn goto(chan: &Arc<Channel>, context: &str, exten: &str) -> Result<(), ()> {
    if chan.lock().has_pbx {
        return crate::pbx::run::async_goto(chan, context, exten, 1);
    }
    let mut d = chan.lock();
    d.set_context(context);
    d.set_exten(exten);
    d.priority = 1;
    Ok(())
}

/// `comeback_goto`: back to the parker through park-dial, or the lot's
/// comebackcontext (the parker's flat name there, else `s`, else
/// `s@default`).
fn comeback_goto(ctx: &AppCtx, cfg: &LotCfg, flat: &str) -> Result<(), ()> {
    let chan = &ctx.chan;
    let loaded = ctx.sys.loaded();
    let cid = chan.lock().caller.id.number().map(str::to_string);
    let exists =
        |c: &str, e: &str| crate::pbx::find::exists(&loaded.dialplan, c, e, 1, cid.as_deref());
    if cfg.comebacktoorigin {
        if exists(PARK_DIAL_CONTEXT, flat) {
            return goto(chan, PARK_DIAL_CONTEXT, flat);
        }
        ctx.error(
            crate::site!("parking_controller.c", 275, "comeback_goto"),
            &format!(
                "Can not start {} at {PARK_DIAL_CONTEXT},{flat},1 because extension does not exist. Terminating call.",
                chan.name
            ),
        );
        return Err(());
    }
    let cc = &cfg.comebackcontext;
    if exists(cc, flat) {
        return goto(chan, cc, flat);
    }
    if exists(cc, "s") {
        ctx.verbose(
            2,
            crate::site!("parking_controller.c", 287, "comeback_goto"),
            &format!(
                "Could not start {} at {cc},{flat},1. Using 's@{cc}' instead.",
                chan.name
            ),
        );
        return goto(chan, cc, "s");
    }
    ctx.verbose(
        2,
        crate::site!("parking_controller.c", 294, "comeback_goto"),
        &format!(
            "Can not start {} at {cc},{flat},1 and exten 's@{cc}' does not exist. Using 's@default'",
            chan.name
        ),
    );
    goto(chan, "default", "s")
}

/// ParkedCall's side of a retrieval: the parked call `pu` (already taken
/// out of its lot) moves from the lot's bridge into `to`, told by
/// UnParkedCall with `retriever`.
pub fn move_to_retriever(
    sys: &Arc<System>,
    pu: &Arc<ParkedUser>,
    retriever: &Arc<Channel>,
    to: &Arc<Bridge>,
) {
    *lock(&pu.retriever) = Some(Arc::new(retriever.snapshot()));
    *lock(&pu.retrieved_to) = Some(to.clone());
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: pu.chan.clone(),
    };
    let from = sys.parking.bridge(sys, &pu.lot);
    // parked_call_retrieve_enable_features, for the parked call.
    if let Some(cfg) = sys.loaded().parking.lot(&pu.lot) {
        let mut d = pu.chan.lock();
        let mut f = d.props.dtmf_features.unwrap_or_default();
        f.redirect |= cfg.parkedcalltransfers.callee;
        f.parkcall |= cfg.parkedcallreparking.callee;
        f.disconnect |= cfg.parkedcallhangup.callee;
        f.automixmon |= cfg.parkedcallrecording.callee;
        d.props.dtmf_features = Some(f);
    }
    crate::apps::moh::moh_stop(&ctx);
    publish(sys, "UnParkedCall", pu);
    metermaids(sys, pu, DeviceState::NotInUse);
    from.move_member(&pu.chan, to);
    pu.chan.wake();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot() -> LotCfg {
        let mut l = LotCfg::new("t");
        l.start = 701;
        l.stop = 703;
        l
    }

    #[test]
    fn dial_strings_drop_the_sequence() {
        assert_eq!(dial_string("SIP/1000-00000001"), "SIP/1000");
        assert_eq!(dial_string("Local/a-b@c-0001;1"), "Local/a-b@c");
        assert_eq!(dial_string("DAHDI/1"), "DAHDI/1");
    }

    #[test]
    fn spaces_are_taken_first_free_from_the_start() {
        let p = Parking::default();
        let cfg = lot();
        assert_eq!(p.take_space(&cfg, None), Some(701));
        assert_eq!(p.take_space(&cfg, Some(703)), Some(703));
        // Out of the range: the first free one.
        assert_eq!(p.take_space(&cfg, Some(9)), Some(701));
    }

    #[test]
    fn the_park_provider_reads_free() {
        assert_eq!(device_state("701@parkedcalls"), DeviceState::NotInUse);
        assert_eq!(device_state("x@parkedcalls"), DeviceState::Invalid);
        assert_eq!(device_state("701"), DeviceState::Invalid);
    }
}
