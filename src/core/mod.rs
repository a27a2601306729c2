//! The running system (Asterisk's `main/asterisk.c`): what is loaded, how
//! it is reloaded, and the daemon with its control socket.

pub mod astdb;
pub mod console;
pub mod daemon;
pub mod devicestate;
pub mod environ;
pub mod events;
pub mod logger;
pub mod message;
pub mod modules;
pub mod mwi;
pub mod presencestate;
pub mod raw;
pub mod remote;
pub mod testsuite;
pub mod tz;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::SystemTime;

use crate::cli::CliEntry;
use crate::config::asterisk_conf::AsteriskConf;
use crate::config::views::{self, View};
use crate::config::{Config, ConfigError, Diagnostic, IncludeRecord, load};
use crate::pbx::Dialplan;

/// What one config file load produced, for check-config and the CLI.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub name: String,
    /// Every file read (the file itself and its includes); empty when the
    /// file does not exist.
    pub files: Vec<PathBuf>,
    pub includes: Vec<IncludeRecord>,
    /// Loader warnings and the view's notes on options it does not use.
    pub diagnostics: Vec<Diagnostic>,
}

/// Everything built from configuration; a reload builds a new one and
/// swaps it in whole, so a failed reload leaves the old one live.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub dialplan: Arc<Dialplan>,
    pub extensions_config: Option<Arc<Config>>,
    pub modules: Arc<views::modules::ModulesConf>,
    pub logger: Arc<views::logger::LoggerConf>,
    pub sip: Arc<views::sip::SipConf>,
    /// chan_sip's NOTIFY types, read with sip.conf.
    pub sip_notify: Arc<views::notify::SipNotifyConf>,
    pub pjsip: Arc<views::pjsip::PjsipConf>,
    /// res_pjsip_notify's NOTIFY types, read with pjsip.conf.
    pub pjsip_notify: Arc<views::notify::PjsipNotifyConf>,
    pub geolocation: Arc<views::geolocation::GeolocationConf>,
    pub voicemail: Arc<views::voicemail::VoicemailConf>,
    pub queues: Arc<views::queues::QueuesConf>,
    /// app_queue's penalty rule lists, read with queues.conf.
    pub queuerules: Arc<views::queuerules::QueueRulesConf>,
    pub confbridge: Arc<views::confbridge::ConfbridgeConf>,
    pub moh: Arc<views::musiconhold::MohConf>,
    pub manager: Arc<views::manager::ManagerConf>,
    pub http: Arc<views::http::HttpConf>,
    pub ari: Arc<views::ari::AriConf>,
    pub cdr: Arc<views::cdr::CdrConf>,
    pub cdr_manager: Arc<views::cdr_manager::CdrManagerConf>,
    pub rtp: Arc<views::rtp::RtpConf>,
    pub features: Arc<views::features::FeaturesConf>,
    pub indications: Arc<views::indications::IndicationsConf>,
    pub parking: Arc<views::parking::ParkingConf>,
    pub agents: Arc<views::agents::AgentsConf>,
    pub followme: Arc<views::followme::FollowmeConf>,
    /// Per config file name, what loading it produced.
    pub reports: Vec<FileReport>,
}

/// The parts of the configuration that reload on their own, named as
/// `module reload` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Dialplan,
    Modules,
    Logger,
    Sip,
    Geolocation,
    Pjsip,
    Voicemail,
    Queues,
    Confbridge,
    Moh,
    Manager,
    Http,
    Ari,
    Cdr,
    CdrManager,
    Rtp,
    Features,
    Indications,
    Parking,
    Agents,
    Followme,
}

impl Part {
    pub const ALL: [Part; 21] = [
        Part::Modules,
        Part::Logger,
        Part::Dialplan,
        Part::Sip,
        // Before res_pjsip, whose endpoints name its profiles.
        Part::Geolocation,
        Part::Pjsip,
        Part::Voicemail,
        Part::Queues,
        Part::Confbridge,
        Part::Moh,
        Part::Manager,
        Part::Http,
        Part::Ari,
        Part::Cdr,
        Part::CdrManager,
        Part::Rtp,
        Part::Features,
        Part::Indications,
        Part::Parking,
        Part::Agents,
        Part::Followme,
    ];

    /// The config file this part reads.
    pub fn file(self) -> &'static str {
        match self {
            Part::Dialplan => "extensions.conf",
            Part::Modules => views::modules::ModulesConf::FILE,
            Part::Logger => views::logger::LoggerConf::FILE,
            Part::Sip => views::sip::SipConf::FILE,
            Part::Geolocation => views::geolocation::GeolocationConf::FILE,
            Part::Pjsip => views::pjsip::PjsipConf::FILE,
            Part::Voicemail => views::voicemail::VoicemailConf::FILE,
            Part::Queues => views::queues::QueuesConf::FILE,
            Part::Confbridge => views::confbridge::ConfbridgeConf::FILE,
            Part::Moh => views::musiconhold::MohConf::FILE,
            Part::Manager => views::manager::ManagerConf::FILE,
            Part::Http => views::http::HttpConf::FILE,
            Part::Ari => views::ari::AriConf::FILE,
            Part::Cdr => views::cdr::CdrConf::FILE,
            Part::CdrManager => views::cdr_manager::CdrManagerConf::FILE,
            Part::Rtp => views::rtp::RtpConf::FILE,
            Part::Features => views::features::FeaturesConf::FILE,
            Part::Indications => views::indications::IndicationsConf::FILE,
            Part::Parking => views::parking::ParkingConf::FILE,
            Part::Agents => views::agents::AgentsConf::FILE,
            Part::Followme => views::followme::FollowmeConf::FILE,
        }
    }

    /// The Asterisk module that owns the file (`module reload <name>`).
    pub fn module(self) -> &'static str {
        match self {
            Part::Dialplan => "pbx_config",
            Part::Modules => "modules",
            Part::Logger => "logger",
            Part::Sip => "chan_sip",
            Part::Geolocation => "res_geolocation",
            Part::Pjsip => "res_pjsip",
            Part::Voicemail => "app_voicemail",
            Part::Queues => "app_queue",
            Part::Confbridge => "app_confbridge",
            Part::Moh => "res_musiconhold",
            Part::Manager => "manager",
            Part::Http => "http",
            Part::Ari => "res_ari",
            Part::Cdr => "cdr",
            Part::CdrManager => "cdr_manager",
            Part::Rtp => "res_rtp_asterisk",
            Part::Features => "features",
            Part::Indications => "indications",
            Part::Parking => "res_parking",
            Part::Agents => "app_agent_pool",
            Part::Followme => "app_followme",
        }
    }
}

fn load_file(ast: &AsteriskConf, name: &str) -> Result<(Option<Config>, FileReport), ConfigError> {
    let cfg = load(name, &ast.load_options())?;
    let mut report = FileReport {
        name: name.to_string(),
        ..Default::default()
    };
    if let Some(c) = &cfg {
        report.files = c.files.clone();
        report.includes = c.includes.clone();
        report.diagnostics = c.warnings.clone();
    }
    Ok((cfg, report))
}

fn load_view<V: View>(ast: &AsteriskConf) -> Result<(V, FileReport), ConfigError> {
    let (cfg, mut report) = load_file(ast, V::FILE)?;
    let view = match cfg {
        Some(cfg) => V::from_config(&cfg, &mut report.diagnostics),
        None => V::default(),
    };
    Ok((view, report))
}

impl Loaded {
    /// Loads every file. Any file Asterisk would reject fails the load.
    pub fn load(ast: &AsteriskConf) -> Result<Loaded, ConfigError> {
        let mut loaded = Loaded::default();
        for part in Part::ALL {
            loaded.reload_part(ast, part)?;
        }
        Ok(loaded)
    }

    fn set_report(&mut self, report: FileReport) {
        match self.reports.iter_mut().find(|r| r.name == report.name) {
            Some(r) => *r = report,
            None => self.reports.push(report),
        }
    }

    /// Re-reads one part. On error `self` is left as it was.
    pub fn reload_part(&mut self, ast: &AsteriskConf, part: Part) -> Result<(), ConfigError> {
        macro_rules! view {
            ($field:ident) => {{
                let (v, report) = load_view(ast)?;
                self.$field = Arc::new(v);
                self.set_report(report);
            }};
        }
        match part {
            Part::Dialplan => {
                let (cfg, mut report) = load_file(ast, "extensions.conf")?;
                let dp = cfg.as_ref().map(Dialplan::from_config).unwrap_or_default();
                report.diagnostics.extend(dp.diagnostics.iter().cloned());
                self.dialplan = Arc::new(dp);
                self.extensions_config = cfg.map(Arc::new);
                self.set_report(report);
                // res_parking's extensions live in the dialplan too.
                crate::parking::install_extensions(self);
            }
            Part::Modules => view!(modules),
            Part::Logger => view!(logger),
            Part::Sip => {
                view!(sip);
                // chan_sip reads its NOTIFY types at each (re)load.
                view!(sip_notify);
            }
            // Asterisk reads geolocation.conf only in res_geolocation.
            Part::Geolocation if !self.modules.loads("res_geolocation") => {
                self.geolocation = Arc::default();
                self.set_report(FileReport {
                    name: views::geolocation::GeolocationConf::FILE.to_string(),
                    ..Default::default()
                });
            }
            Part::Geolocation => view!(geolocation),
            Part::Pjsip => {
                let (cfg, mut report) = load_file(ast, views::pjsip::PjsipConf::FILE)?;
                // res_pjsip checks endpoints' profiles against what
                // res_geolocation holds, when modules.conf loads it.
                let geoloc = self
                    .modules
                    .loads("res_geolocation")
                    .then_some(&*self.geolocation);
                let view = match cfg {
                    Some(cfg) => views::pjsip::PjsipConf::from_config_with(
                        &cfg,
                        &mut report.diagnostics,
                        geoloc,
                    ),
                    None => Default::default(),
                };
                self.pjsip = Arc::new(view);
                self.set_report(report);
                view!(pjsip_notify);
            }
            Part::Voicemail => view!(voicemail),
            Part::Queues => {
                view!(queues);
                view!(queuerules);
            }
            Part::Confbridge => view!(confbridge),
            Part::Moh => view!(moh),
            Part::Manager => view!(manager),
            Part::Http => view!(http),
            Part::Ari => view!(ari),
            Part::Cdr => view!(cdr),
            Part::CdrManager => view!(cdr_manager),
            Part::Rtp => view!(rtp),
            Part::Features => view!(features),
            Part::Indications => view!(indications),
            Part::Parking => {
                view!(parking);
                crate::parking::install_extensions(self);
            }
            Part::Agents => {
                let (v, report) = load_view::<views::agents::AgentsConf>(ast)?;
                // The config framework refuses a bad file whole: a reload
                // keeps the agents there were.
                if !v.refused || self.agents.agents.is_empty() {
                    self.agents = Arc::new(v);
                }
                self.set_report(report);
            }
            Part::Followme => view!(followme),
        }
        Ok(())
    }
}

/// How the daemon was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    Now,
    Gracefully,
    WhenConvenient,
}

/// The system's lasting identity, AstDB `/pbx/UUID`, made on first start.
fn pbx_uuid(db: &astdb::AstDb) -> Result<String, astdb::DbError> {
    if let Some(uuid) = db.get("pbx", "UUID")? {
        return Ok(uuid);
    }
    let uuid = random_uuid();
    db.put("pbx", "UUID", &uuid)?;
    Ok(uuid)
}

/// Locks `m`, taking the data over from a holder that panicked: what the
/// core keeps under its locks stays usable after one task failed.
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Runs `f`, which blocks (a disk write, a child process, a wait on
/// another channel), as Asterisk's channel thread would: on a worker of the
/// multi-threaded runtime the worker first hands its other tasks over.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Drives `fut` to its end from synchronous code that runs for a channel
/// (a dialplan function that runs dialplan, as EVAL_SUB does). `None` when
/// the thread is a current-thread runtime's, which cannot be blocked.
pub fn run_to_end<F: std::future::Future>(fut: F) -> Option<F::Output> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            Some(tokio::task::block_in_place(|| h.block_on(fut)))
        }
        Ok(_) => None,
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()
            .map(|rt| rt.block_on(fut)),
    }
}

/// The wall clock in whole seconds since the epoch (`time(NULL)`).
pub fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A random (version 4) UUID, in its usual text form.
pub fn random_uuid() -> String {
    // The kernel hands one out; fall back to hashing time and pid.
    if let Ok(s) = std::fs::read_to_string("/proc/sys/kernel/random/uuid") {
        let s = s.trim();
        if s.len() == 36 {
            return s.to_string();
        }
    }
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Why the system could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Db(#[from] astdb::DbError),
}

/// The running PBX: its directories, what is loaded, and its clocks.
pub struct System {
    pub conf: AsteriskConf,
    loaded: RwLock<Arc<Loaded>>,
    pub started: SystemTime,
    last_reload: Mutex<SystemTime>,
    cli: Vec<CliEntry>,
    stop: Mutex<Option<StopMode>>,
    stop_notify: tokio::sync::Notify,
    /// The dialplan engine: globals, channels, logger.
    pub pbx: crate::pbx::Pbx,
    /// AstDB, `<astdbdir>/astdb.sqlite3`.
    pub db: astdb::AstDb,
    /// The SIP listeners (chan_sip, pjsip transports) once started.
    pub sip: Mutex<Vec<Arc<crate::channels::sip::stack::SipStack>>>,
    /// Counts reloads, so listeners (the HTTP server) can follow them.
    pub reloads: tokio::sync::watch::Sender<u64>,
    /// The CDR engine (`main/cdr.c`), fed once started.
    pub cdr: crate::cdr::Engine,
    /// The parking lots' calls (res_parking).
    pub parking: crate::parking::Parking,
    /// The call queues' members and callers (app_queue).
    pub queues: crate::queue::Queues,
    /// The agents' live state (app_agent_pool).
    pub agents: crate::apps::agent_pool::Pool,
    /// The running conferences (app_confbridge).
    pub confbridge: crate::confbridge::Conferences,
    /// The last presence state announced per presentity.
    pub presence: presencestate::Cache,
    /// DIALGROUP()'s groups (func_dialgroup).
    pub dialgroups: crate::funcs::dialgroup::Groups,
    /// The pjsip endpoints in maintenance (res_pjsip_maintenance).
    pub pjsip_maintenance: crate::channels::sip::maintenance::Maintenance,
    /// AST_CONFIG()'s files as last loaded (func_config).
    pub ast_config: crate::funcs::config::Cache,
    /// BridgeWait's named holding bridges (app_bridgewait).
    pub wait_bridges: crate::apps::bridgewait::WaitBridges,
    /// The out-of-call message queue (main/message.c).
    pub messages: message::Queue,
    /// The manager's connected sessions.
    pub manager_sessions: crate::manager::Sessions,
    this: Weak<System>,
}

impl System {
    /// Loads asterisk.conf and everything it points at.
    pub fn start(config_file: &Path) -> Result<Arc<System>, StartError> {
        let conf = AsteriskConf::load(config_file)?;
        let loaded = Loaded::load(&conf)?;
        let db = astdb::AstDb::open(&conf.dirs.db)?;
        let now = SystemTime::now();
        let verbose = conf.options.verbose;
        let logger = crate::core::logger::Logger::new(&loaded.logger, &conf.dirs.log, verbose);
        let pbx = crate::pbx::Pbx::new(&conf.options, logger);
        pbx.load_globals(&loaded.dialplan);
        let uuid = pbx_uuid(&db)?;
        pbx.logger.verbose(
            0,
            crate::site!("asterisk.c", 4254, "asterisk_daemon"),
            None,
            &format!("PBX UUID: {uuid}"),
        );
        // pbx_config loads as the modules do, after the UUID line.
        for d in &loaded.dialplan.load_log {
            pbx.logger.deferred(d, None);
        }
        if loaded.modules.loads("app_followme") {
            for d in &loaded.followme.load_log {
                pbx.logger.deferred(d, None);
            }
        }
        Ok(Arc::new_cyclic(|this| System {
            conf,
            loaded: RwLock::new(Arc::new(loaded)),
            started: now,
            last_reload: Mutex::new(now),
            cli: crate::cli::registry(),
            stop: Mutex::new(None),
            stop_notify: tokio::sync::Notify::new(),
            pbx,
            db,
            sip: Mutex::new(Vec::new()),
            reloads: tokio::sync::watch::Sender::new(0),
            cdr: crate::cdr::Engine::new(),
            parking: Default::default(),
            queues: Default::default(),
            agents: Default::default(),
            confbridge: Default::default(),
            presence: Default::default(),
            dialgroups: Default::default(),
            pjsip_maintenance: Default::default(),
            ast_config: Default::default(),
            wait_bridges: Default::default(),
            messages: Default::default(),
            manager_sessions: Default::default(),
            this: this.clone(),
        }))
        .inspect(|sys| {
            // func_presencestate announces the stored states as it loads.
            if sys.loaded().modules.loads("func_presencestate") {
                presencestate::load(sys);
            }
            // app_agent_pool makes its agents as it loads (their device
            // states told before anyone listens).
            if modules::running(sys, "app_agent_pool") {
                sys.agents.load(sys);
            }
            // func_dialgroup reads its groups back from AstDB as it loads.
            if sys.loaded().modules.loads("func_dialgroup") {
                crate::funcs::dialgroup::load(sys);
            }
        })
    }

    /// The shared handle to this system (for tasks that outlive a call).
    /// Only a dropped system has none, and nothing runs on one.
    pub fn arc(&self) -> Arc<System> {
        match self.this.upgrade() {
            Some(a) => a,
            None => unreachable!("System is only ever used through its Arc"),
        }
    }

    /// `ENTITYID`: asterisk.conf `entityid`, else the first network
    /// interface's MAC address, as Asterisk picks it.
    pub fn entity_id(&self) -> String {
        if let Some(eid) = self
            .conf
            .options
            .entity_id
            .as_ref()
            .filter(|e| !e.is_empty())
        {
            return eid.clone();
        }
        let mut names: Vec<_> = std::fs::read_dir("/sys/class/net")
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        for p in names {
            if let Ok(mac) = std::fs::read_to_string(p.join("address")) {
                let mac = mac.trim();
                if !mac.is_empty() && mac != "00:00:00:00:00:00" {
                    return mac.to_string();
                }
            }
        }
        "00:00:00:00:00:00".into()
    }

    /// A snapshot of the live configuration.
    pub fn loaded(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Changes the live dialplan in place, as a module adding extensions
    /// at run time does (res_parking's park-dial): the rest of the
    /// configuration stays as it is.
    pub fn update_dialplan(&self, f: impl FnOnce(&mut Dialplan)) {
        let mut g = match self.loaded.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut next = (**g).clone();
        f(Arc::make_mut(&mut next.dialplan));
        *g = Arc::new(next);
    }

    /// The id of the bridge `chan` is in (a snapshot's `bridge->id`): a
    /// bridge of the channel core or a conference's, empty when none.
    pub fn bridge_id_of(&self, chan: &Arc<crate::channels::Channel>) -> String {
        match chan.bridge() {
            Some(b) => b.uniqueid.clone(),
            None => self.confbridge.bridge_of(chan).unwrap_or_default(),
        }
    }

    pub fn cli_entries(&self) -> &[CliEntry] {
        &self.cli
    }

    pub fn last_reload(&self) -> SystemTime {
        match self.last_reload.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    /// Changes the live voicemail configuration in place, without a
    /// reload (app_voicemail's `reset_user_pw` after a password change).
    pub fn update_voicemail(&self, f: impl FnOnce(&mut views::voicemail::VoicemailConf)) {
        let mut g = match self.loaded.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut next = (**g).clone();
        let mut vm = (*next.voicemail).clone();
        f(&mut vm);
        next.voicemail = Arc::new(vm);
        *g = Arc::new(next);
    }

    /// Reloads the given parts as one change: all of them or none.
    pub fn reload(&self, parts: &[Part]) -> Result<(), ConfigError> {
        let mut next = (*self.loaded()).clone();
        for part in parts {
            next.reload_part(&self.conf, *part)?;
        }
        if parts.contains(&Part::Dialplan) {
            self.pbx.load_globals(&next.dialplan);
        }
        if parts.contains(&Part::Logger) {
            self.pbx.logger.apply(&next.logger, &self.conf.dirs.log);
        }
        if parts.contains(&Part::Dialplan) {
            for d in &next.dialplan.load_log {
                self.pbx.logger.deferred(d, None);
            }
        }
        if parts.contains(&Part::Followme) && next.modules.loads("app_followme") {
            for d in &next.followme.load_log {
                self.pbx.logger.deferred(d, None);
            }
        }
        if parts.contains(&Part::Cdr) {
            self.cdr.configure(&next.cdr.general);
        }
        match self.loaded.write() {
            Ok(mut g) => *g = Arc::new(next),
            Err(p) => *p.into_inner() = Arc::new(next),
        }
        match self.last_reload.lock() {
            Ok(mut g) => *g = SystemTime::now(),
            Err(p) => *p.into_inner() = SystemTime::now(),
        }
        if parts.contains(&Part::Dialplan) {
            self.pbx
                .devstates
                .sync_hints(self, devicestate::HintEnd::Removed);
            // Every hint of the new dialplan is added anew, in the order
            // the file gives them.
            let loaded = self.loaded();
            let mut hints: Vec<(&str, &str, &str, u32)> = loaded
                .dialplan
                .contexts
                .iter()
                .flat_map(|c| {
                    c.extensions.iter().filter_map(move |e| {
                        e.hint().map(|h| {
                            (
                                c.name.as_str(),
                                e.name.as_str(),
                                h.app.as_str(),
                                h.origin.line,
                            )
                        })
                    })
                })
                .collect();
            // Within a context, by line (extensions are kept sorted).
            let context_of = |name: &str| loaded.dialplan.context_number(name);
            hints.sort_by_key(|(c, _, _, line)| (context_of(c), *line));
            self.pbx
                .devstates
                .announce_added_hints(self, hints.iter().map(|(c, e, d, _)| (*c, *e, *d)));
        }
        if parts.contains(&Part::Queues) {
            crate::queue::reload(self);
        }
        if parts.contains(&Part::Pjsip) {
            // res_pjsip_maintenance forgets an endpoint sorcery deletes.
            let loaded = self.loaded();
            self.pjsip_maintenance
                .retain_configured(&|name| loaded.pjsip.endpoint(name).is_some());
        }
        if parts.contains(&Part::Agents) {
            self.agents.reloaded(self);
        }
        if parts.contains(&Part::Voicemail) && self.loaded().modules.loads("app_voicemail") {
            crate::apps::voicemail::reloaded(self);
        }
        self.reloads.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Asks the daemon to stop.
    pub fn request_stop(&self, mode: StopMode) {
        match self.stop.lock() {
            Ok(mut g) => *g = Some(mode),
            Err(p) => *p.into_inner() = Some(mode),
        }
        self.stop_notify.notify_waiters();
        self.stop_notify.notify_one();
    }

    pub fn stop_requested(&self) -> Option<StopMode> {
        match self.stop.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    /// Waits until a stop is requested.
    pub async fn stopped(&self) {
        while self.stop_requested().is_none() {
            self.stop_notify.notified().await;
        }
    }
}
