//! `asterisk.conf`: where everything lives (`[directories]`, `[files]`) and
//! the core `[options]`, with Asterisk 20's built-in defaults.

use std::path::{Path, PathBuf};

use super::{Config, ConfigError, LoadOptions, is_true, load};

/// The directories Asterisk reads from `[directories]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directories {
    pub config_file: PathBuf,
    pub etc: PathBuf,
    pub modules: PathBuf,
    pub var_lib: PathBuf,
    pub db: PathBuf,
    pub keys: PathBuf,
    pub data: PathBuf,
    pub agi: PathBuf,
    pub spool: PathBuf,
    pub run: PathBuf,
    pub log: PathBuf,
    pub sbin: PathBuf,
    pub cache: PathBuf,
    /// `astctl` from `[files]`: the control socket's name inside `run`.
    pub ctl_name: String,
}

impl Directories {
    /// Paths Asterisk uses when asterisk.conf says nothing.
    pub fn builtin(config_file: &Path) -> Self {
        Self {
            config_file: config_file.to_path_buf(),
            etc: "/etc/asterisk".into(),
            modules: "/usr/lib/asterisk/modules".into(),
            var_lib: "/var/lib/asterisk".into(),
            db: "/var/lib/asterisk/astdb".into(),
            keys: "/var/lib/asterisk/keys".into(),
            data: "/var/lib/asterisk".into(),
            agi: "/var/lib/asterisk/agi-bin".into(),
            spool: "/var/spool/asterisk".into(),
            run: "/var/run/asterisk".into(),
            log: "/var/log/asterisk".into(),
            sbin: "/usr/sbin".into(),
            cache: "/var/cache/asterisk".into(),
            ctl_name: "asterisk.ctl".into(),
        }
    }

    pub fn pid_file(&self) -> PathBuf {
        self.run.join("asterisk.pid")
    }

    pub fn socket(&self) -> PathBuf {
        self.run.join(&self.ctl_name)
    }

    pub fn monitor(&self) -> PathBuf {
        self.spool.join("monitor")
    }
}

/// `[options]` values the core uses, with Asterisk's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreOptions {
    pub verbose: u32,
    pub debug: u32,
    pub exec_includes: bool,
    pub system_name: String,
    pub default_language: String,
    pub language_prefix: bool,
    pub max_calls: Option<u32>,
    pub max_load: f64,
    pub max_files: Option<u64>,
    pub min_memfree: u64,
    pub transcode_via_sln: bool,
    pub transmit_silence: bool,
    pub cache_media_frames: bool,
    pub min_dtmf_duration: u32,
    pub run_user: String,
    pub run_group: String,
    pub dump_core: bool,
    pub hide_messaging_ami_events: bool,
    pub sounds_search_custom_dir: bool,
    pub disable_remote_console_shell: bool,
    /// `hideconnect`: no "Remote UNIX connection" lines.
    pub hide_connect: bool,
    pub entity_id: Option<String>,
}

impl Default for CoreOptions {
    fn default() -> Self {
        Self {
            verbose: 0,
            debug: 0,
            exec_includes: false,
            system_name: String::new(),
            default_language: "en".into(),
            language_prefix: true,
            max_calls: None,
            max_load: 0.0,
            max_files: None,
            min_memfree: 0,
            transcode_via_sln: true,
            transmit_silence: false,
            cache_media_frames: true,
            min_dtmf_duration: 80,
            run_user: String::new(),
            run_group: String::new(),
            dump_core: false,
            hide_messaging_ami_events: false,
            sounds_search_custom_dir: false,
            disable_remote_console_shell: false,
            hide_connect: false,
            entity_id: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AsteriskConf {
    pub dirs: Directories,
    pub options: CoreOptions,
    /// The parsed file, when there was one (check-config reports on it).
    pub raw: Option<Config>,
}

/// Resolves a configured directory. Absolute paths are taken as written;
/// a relative one is taken relative to the directory holding asterisk.conf,
/// so a config tree can be moved as a whole (compat-configs/ and tests).
fn resolve(base: &Path, value: &str) -> PathBuf {
    let p = Path::new(value.trim());
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    // Drop "." components so reports show clean paths.
    joined
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

impl AsteriskConf {
    /// Reads `path`. A missing file gives the built-in defaults, as in
    /// Asterisk ("using built-in defaults").
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let opts = LoadOptions::new(&base);
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw = load(&file, &opts)?;
        let mut conf = AsteriskConf {
            dirs: Directories::builtin(path),
            options: CoreOptions::default(),
            raw: None,
        };
        let Some(cfg) = raw else {
            return Ok(conf);
        };
        conf.apply(&cfg, &base);
        conf.raw = Some(cfg);
        Ok(conf)
    }

    fn apply(&mut self, cfg: &Config, base: &Path) {
        let d = &mut self.dirs;
        if let Some(files) = cfg.section("files")
            && let Some(ctl) = files.get("astctl")
        {
            d.ctl_name = ctl.to_string();
        }
        let mut db_set = false;
        let mut key_set = false;
        if let Some(dirs) = cfg.section("directories") {
            for v in &dirs.variables {
                let p = resolve(base, &v.value);
                match v.name.to_ascii_lowercase().as_str() {
                    "astcachedir" => d.cache = p,
                    "astetcdir" => d.etc = p,
                    "astspooldir" => d.spool = p,
                    "astvarlibdir" => {
                        if !db_set {
                            d.db = p.join("astdb");
                        }
                        d.var_lib = p;
                    }
                    "astdbdir" => {
                        d.db = p.join("astdb");
                        db_set = true;
                    }
                    "astdatadir" => {
                        if !key_set {
                            d.keys = p.join("keys");
                        }
                        d.data = p;
                    }
                    "astkeydir" => {
                        d.keys = p.join("keys");
                        key_set = true;
                    }
                    "astlogdir" => d.log = p,
                    "astagidir" => d.agi = p,
                    "astrundir" => d.run = p,
                    "astmoddir" => d.modules = p,
                    "astsbindir" => d.sbin = p,
                    _ => {}
                }
            }
        }
        let o = &mut self.options;
        if let Some(opts) = cfg.section("options") {
            for v in &opts.variables {
                let val = v.value.as_str();
                match v.name.to_ascii_lowercase().as_str() {
                    "verbose" => o.verbose = val.trim().parse().unwrap_or(0),
                    "debug" => o.debug = val.trim().parse().unwrap_or(0),
                    "execincludes" => o.exec_includes = is_true(val),
                    "systemname" => o.system_name = val.to_string(),
                    "defaultlanguage" => o.default_language = val.to_string(),
                    "languageprefix" => o.language_prefix = is_true(val),
                    "maxcalls" => o.max_calls = val.trim().parse().ok(),
                    "maxload" => o.max_load = val.trim().parse().unwrap_or(0.0),
                    "maxfiles" => o.max_files = val.trim().parse().ok(),
                    "minmemfree" => o.min_memfree = val.trim().parse().unwrap_or(0),
                    "transcode_via_sln" => o.transcode_via_sln = is_true(val),
                    "transmit_silence" | "transmit_silence_during_record" => {
                        o.transmit_silence = is_true(val)
                    }
                    "cache_media_frames" => o.cache_media_frames = is_true(val),
                    "mindtmfduration" => o.min_dtmf_duration = val.trim().parse().unwrap_or(80),
                    "runuser" => o.run_user = val.to_string(),
                    "rungroup" => o.run_group = val.to_string(),
                    "dumpcore" => o.dump_core = is_true(val),
                    "hide_messaging_ami_events" => o.hide_messaging_ami_events = is_true(val),
                    "sounds_search_custom_dir" => o.sounds_search_custom_dir = is_true(val),
                    "disable_remote_console_shell" => o.disable_remote_console_shell = is_true(val),
                    "hideconnect" => o.hide_connect = is_true(val),
                    "entityid" => o.entity_id = Some(val.to_string()),
                    _ => {}
                }
            }
        }
    }

    /// The asterisk.conf lines Asterism does not act on (check-config):
    /// options it has not built, ones that mean nothing without
    /// Asterisk's process model, and names Asterisk does not know either.
    pub fn unsupported(&self) -> Vec<crate::config::Diagnostic> {
        // Read and acted on; everything else is reported.
        const ACTED: &[(&str, &[&str])] = &[
            ("files", &["astctl"]),
            (
                "directories",
                &[
                    "astcachedir",
                    "astetcdir",
                    "astspooldir",
                    "astvarlibdir",
                    "astdbdir",
                    "astdatadir",
                    "astkeydir",
                    "astlogdir",
                    "astagidir",
                    "astrundir",
                    // No module files to load or programs beside ours: the
                    // paths are kept for `core show settings`.
                    "astmoddir",
                    "astsbindir",
                ],
            ),
            (
                "options",
                &[
                    "verbose",
                    "execincludes",
                    "systemname",
                    "defaultlanguage",
                    "languageprefix",
                    "maxcalls",
                    "maxload",
                    "minmemfree",
                    "entityid",
                    "hideconnect",
                    "disable_remote_console_shell",
                    "sounds_search_custom_dir",
                ],
            ),
        ];
        let mut out = Vec::new();
        let Some(cfg) = &self.raw else {
            return out;
        };
        for (section, names) in ACTED {
            let Some(sec) = cfg.section(section) else {
                continue;
            };
            for v in &sec.variables {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(&v.name)) {
                    crate::config::views::unknown_option(&mut out, v, section);
                }
            }
        }
        out
    }

    /// Options for loading the other config files of this installation.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            config_dir: self.dirs.etc.clone(),
            exec_includes: self.options.exec_includes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// check-config hears of every line Asterism does not act on, with
    /// its place; lines it acts on are not mentioned.
    #[test]
    fn unsupported_lines_are_reported() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("asterisk.conf");
        std::fs::write(
            &path,
            "[files]\nastctl => a.ctl\nastctlpermissions => 0660\n[directories]\nastlogdir => log\nastfoo => x\n[options]\nverbose = 3\nmaxcalls = 10\nrunuser = asterisk\ntransmit_silence = yes\nfrobnicate = 1\n",
        )
        .expect("write");
        let conf = AsteriskConf::load(&path).expect("load");
        let got: Vec<(u32, String)> = conf
            .unsupported()
            .into_iter()
            .map(|d| (d.line, d.message))
            .collect();
        assert_eq!(
            got,
            [
                (
                    3,
                    "unknown or unsupported option 'astctlpermissions' in [files]".to_string()
                ),
                (
                    6,
                    "unknown or unsupported option 'astfoo' in [directories]".to_string()
                ),
                (
                    10,
                    "unknown or unsupported option 'runuser' in [options]".to_string()
                ),
                (
                    11,
                    "unknown or unsupported option 'transmit_silence' in [options]".to_string()
                ),
                (
                    12,
                    "unknown or unsupported option 'frobnicate' in [options]".to_string()
                ),
            ]
        );
        assert_eq!(conf.options.max_calls, Some(10));
    }
}
