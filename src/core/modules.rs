//! Which Asterisk modules Asterism stands in for: what ModuleCheck finds
//! loaded and ModuleLoad finds in the modules directory. Asterism has no
//! module files; a module "exists" when its work is built in.

use super::{Part, System};

/// Modules whose work is built into Asterism (without `.so`): the
/// applications, functions, drivers and resources it provides. Asterisk's
/// core (pbx builtins, local channels, bridging, the HTTP server) is not
/// a module and is not listed.
const BUILTIN: &[&str] = &[
    "app_authenticate",
    "app_cdr",
    "app_chanisavail",
    "app_channelredirect",
    "app_chanspy",
    "app_confbridge",
    "app_controlplayback",
    "app_db",
    "app_dial",
    "app_directed_pickup",
    "app_directory",
    "app_disa",
    "app_echo",
    "app_exec",
    "app_followme",
    "app_forkcdr",
    "app_macro",
    "app_mf",
    "app_milliwatt",
    "app_mixmonitor",
    "app_originate",
    "app_playback",
    "app_playtones",
    "app_queue",
    "app_read",
    "app_readexten",
    "app_record",
    "app_sayunixtime",
    "app_senddtmf",
    "app_sendtext",
    "app_softhangup",
    "app_stack",
    "app_system",
    "app_userevent",
    "app_verbose",
    "app_voicemail",
    "app_waituntil",
    "app_while",
    "cdr_csv",
    "cdr_manager",
    "chan_pjsip",
    "chan_sip",
    "codec_alaw",
    "codec_ulaw",
    "format_pcm",
    "format_sln",
    "format_wav",
    "func_base64",
    "func_callerid",
    "func_cdr",
    "func_channel",
    "func_cut",
    "func_db",
    "func_devstate",
    "func_dialgroup",
    "func_dialplan",
    "func_env",
    "func_evalexten",
    "func_export",
    "func_extstate",
    "func_global",
    "func_groupcount",
    "func_hangupcause",
    "func_json",
    "func_logic",
    "func_math",
    "func_md5",
    "func_module",
    "func_presencestate",
    "func_rand",
    "func_sayfiles",
    "func_sha1",
    "func_shell",
    "func_sprintf",
    "func_strings",
    "func_sysinfo",
    "func_timeout",
    "func_uri",
    "func_uuid",
    "func_version",
    "pbx_config",
    "pbx_spool",
    "res_agi",
    "res_fax",
    "res_geolocation",
    "res_manager_devicestate",
    "res_manager_presencestate",
    "res_monitor",
    "res_musiconhold",
    "res_mutestream",
    "res_parking",
    "res_pjsip",
    "res_pjsip_authenticator_digest",
    "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_endpoint_identifier_user",
    "res_pjsip_header_funcs",
    "res_pjsip_maintenance",
    "res_pjsip_messaging",
    "res_pjsip_notify",
    "res_pjsip_outbound_registration",
    "res_pjsip_pubsub",
    "res_pjsip_registrar",
    "res_pjsip_sdp_rtp",
    "res_pjsip_session",
    "res_rtp_asterisk",
];

/// Whether modules.conf loads a module and it starts: some decline to
/// load without their configuration file, and chan_pjsip and the
/// res_pjsip_* modules need res_pjsip. What ModuleCheck, IFMODULE, the
/// AMI actions and the CLI commands of a module go by.
pub fn running(sys: &System, module: &str) -> bool {
    let loaded = sys.loaded();
    let module = base(module);
    let etc = |file: &str| sys.conf.dirs.etc.join(file).exists();
    match module {
        "chan_sip" => loaded.modules.loads(module) && etc("sip.conf"),
        "app_queue" => loaded.modules.loads(module) && etc("queues.conf"),
        "app_followme" => loaded.modules.loads(module) && loaded.followme.present,
        // The config framework declines the module without its file, or
        // with a file it refuses.
        "app_agent_pool" => {
            loaded.modules.loads(module) && etc("agents.conf") && !loaded.agents.refused
        }
        "res_parking" => loaded.parking.running(&loaded.modules),
        "app_confbridge" => loaded.confbridge.running(&loaded.modules),
        "res_pjsip_notify" => {
            loaded.modules.loads(module)
                && loaded.modules.loads("res_pjsip")
                && loaded.pjsip_notify.0.present
        }
        m if m.starts_with("res_pjsip_") || m == "chan_pjsip" => {
            loaded.modules.loads(m) && loaded.modules.loads("res_pjsip")
        }
        m => loaded.modules.loads(m),
    }
}

/// A module name as Asterisk compares them: without `.so`, any case
/// (`resource_name_match`).
fn base(name: &str) -> &str {
    let n = name.len();
    match name.get(n.saturating_sub(3)..) {
        Some(ext) if n > 3 && ext.eq_ignore_ascii_case(".so") => &name[..n - 3],
        _ => name,
    }
}

/// `ast_module_check`: whether the module is loaded (built in, and not
/// kept out by modules.conf).
pub fn is_loaded(sys: &System, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let b = base(name);
    BUILTIN
        .iter()
        .find(|m| m.eq_ignore_ascii_case(b))
        .is_some_and(|m| running(sys, m))
}

/// Where a ModuleLoad file name points (`file_in_modules_dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleFile {
    /// A module file in the modules directory (or the directory itself).
    Inside,
    /// A file that exists, outside the modules directory.
    Outside,
    /// Nothing there.
    Missing,
}

/// `file_in_modules_dir`: `<astmoddir>/<name>` (blanks stripped). The
/// path is resolved by its text, `..` against the directory above, since
/// the modules directory holds no files here: inside it only
/// `<built-in>.so` exists; outside it whatever is on disk.
pub fn module_file(sys: &System, name: &str) -> ModuleFile {
    let name = name.trim();
    let dir = &sys.conf.dirs.modules;
    let mut path = std::path::PathBuf::new();
    for c in dir.join(name).components() {
        match c {
            std::path::Component::ParentDir => {
                path.pop();
            }
            std::path::Component::CurDir => {}
            other => path.push(other),
        }
    }
    match path.strip_prefix(dir) {
        Ok(rest) => {
            let rest = rest.to_string_lossy();
            if rest.is_empty() {
                return ModuleFile::Inside;
            }
            match rest.strip_suffix(".so") {
                Some(m) if BUILTIN.iter().any(|b| *b == m) => ModuleFile::Inside,
                _ => ModuleFile::Missing,
            }
        }
        Err(_) if path.exists() => ModuleFile::Outside,
        Err(_) => ModuleFile::Missing,
    }
}

/// Whether `name` is a built-in module (loaded or not).
pub fn exists(name: &str) -> bool {
    let b = base(name);
    BUILTIN.iter().any(|m| m.eq_ignore_ascii_case(b))
}

/// The modules that reload, as `module_list` names them, with the part
/// of our configuration each reloads and the description loader.c logs.
/// Alphabetical, as Asterisk keeps its module list.
const RELOADABLE: &[(&str, Part, &str)] = &[
    (
        "app_agent_pool.so",
        Part::Agents,
        "Call center agent pool applications",
    ),
    (
        "app_confbridge.so",
        Part::Confbridge,
        "Conference Bridge Application",
    ),
    (
        "app_followme.so",
        Part::Followme,
        "Find-Me/Follow-Me Application",
    ),
    ("app_queue.so", Part::Queues, "True Call Queueing"),
    (
        "app_voicemail.so",
        Part::Voicemail,
        "Comedian Mail (Voicemail System)",
    ),
    ("cdr", Part::Cdr, "CDR Engine"),
    (
        "cdr_csv.so",
        Part::Cdr,
        "Comma Separated Values CDR Backend",
    ),
    (
        "cdr_manager.so",
        Part::CdrManager,
        "Asterisk Manager Interface CDR Backend",
    ),
    (
        "chan_sip.so",
        Part::Sip,
        "Session Initiation Protocol (SIP)",
    ),
    ("features", Part::Features, "Call Features"),
    ("http", Part::Http, "Built-in HTTP Server"),
    ("indications", Part::Indications, "Indication Tone Handling"),
    ("logger", Part::Logger, "Logger"),
    ("manager", Part::Manager, "Asterisk Manager Interface"),
    (
        "pbx_config.so",
        Part::Dialplan,
        "Text Extension Configuration",
    ),
    ("res_ari.so", Part::Ari, "Asterisk RESTful Interface"),
    (
        "res_geolocation.so",
        Part::Geolocation,
        "res_geolocation Module for Asterisk",
    ),
    ("res_musiconhold.so", Part::Moh, "Music On Hold Resource"),
    ("res_parking.so", Part::Parking, "Call Parking Resource"),
    ("res_pjsip.so", Part::Pjsip, "Basic SIP resource"),
    ("res_rtp_asterisk.so", Part::Rtp, "Asterisk RTP Stack"),
];

/// `ast_module_reload_result`, numbered as the Reload event gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadResult {
    Success = 0,
    Queued = 1,
    NotFound = 2,
    Error = 3,
    InProgress = 4,
    Uninitialized = 5,
    NotImplemented = 6,
}

/// `ast_module_reload`: the named module (any case, `.so` optional), or
/// every running one with `None`. Each reload is logged first, and the
/// outcome is published as the manager's Reload event (`Module` as
/// named, or `All`).
pub fn reload(sys: &System, name: Option<&str>) -> ReloadResult {
    reload_reporting(sys, name, &mut Vec::new())
}

/// [`reload`], keeping each file that was refused and why, for a console
/// to show.
pub fn reload_reporting(
    sys: &System,
    name: Option<&str>,
    refused: &mut Vec<(Part, crate::config::ConfigError)>,
) -> ReloadResult {
    let result = reload_modules(sys, name, refused);
    sys.pbx
        .channels
        .events
        .publish_system(crate::core::events::EventKind::Manager {
            class: crate::manager::class::SYSTEM,
            name: "Reload".into(),
            body: format!(
                "Module: {}\r\nStatus: {}\r\n",
                name.unwrap_or("All"),
                result as u8
            ),
        });
    result
}

fn reload_modules(
    sys: &System,
    name: Option<&str>,
    refused: &mut Vec<(Part, crate::config::ConfigError)>,
) -> ReloadResult {
    let mut result = ReloadResult::NotFound;
    let wanted = |m: &str| name.is_none_or(|n| same_module(n, m));
    // Modules Asterisk has that reload nothing here (app_dial): found,
    // but without a reload.
    if let Some(n) = name
        && !RELOADABLE.iter().any(|(m, ..)| same_module(n, m))
    {
        return if is_loaded(sys, n) {
            ReloadResult::NotImplemented
        } else {
            ReloadResult::NotFound
        };
    }
    for (module, part, description) in RELOADABLE.iter().filter(|(m, ..)| wanted(m)) {
        // The core's own parts (no `.so`) always run; a module runs when
        // modules.conf loads it and it starts. One modules.conf loads but
        // that declined is in the list, not running.
        if module.ends_with(".so") && !running(sys, module) {
            if sys.loaded().modules.loads(base(module)) && result == ReloadResult::NotFound {
                result = ReloadResult::Uninitialized;
            }
            continue;
        }
        sys.pbx.logger.verbose(
            3,
            crate::site!("loader.c", 1795, "ast_module_reload"),
            None,
            &format!("Reloading module '{module}' ({description})"),
        );
        match sys.reload(&[*part]) {
            Ok(()) => result = ReloadResult::Success,
            Err(e) => {
                sys.pbx.logger.error(
                    crate::site!("loader.c", 1796, "ast_module_reload"),
                    None,
                    &e.to_string(),
                );
                refused.push((*part, e));
                if result == ReloadResult::NotFound {
                    result = ReloadResult::Error;
                }
            }
        }
    }
    result
}

/// `resource_name_match`: any case, `.so` optional on either side.
fn same_module(a: &str, b: &str) -> bool {
    base(a).eq_ignore_ascii_case(base(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(base("pbx_config.so"), "pbx_config");
        assert_eq!(base("PBX_CONFIG.SO"), "PBX_CONFIG");
        assert_eq!(base(".so"), ".so");
        assert_eq!(base("pbx_config.so "), "pbx_config.so ");
        assert!(exists("PBX_CONFIG.so"));
        assert!(!exists("chan_nosuch"));
    }

    /// A driver or application Asterism provides is loaded as Asterisk's
    /// module would be: chan_sip only with a sip.conf, nothing modules.conf
    /// keeps out, no module Asterism does not have.
    #[test]
    fn loaded_as_the_modules_would_be() {
        let (_dir, sys) = crate::funcs::test_system(&[(
            "modules.conf",
            "[modules]\nautoload=yes\nnoload => app_voicemail.so\n",
        )]);
        assert!(is_loaded(&sys, "app_dial.so"));
        assert!(is_loaded(&sys, "CHAN_PJSIP"));
        assert!(!is_loaded(&sys, "chan_sip.so"), "no sip.conf");
        assert!(!is_loaded(&sys, "app_voicemail.so"), "noload");
        assert!(!is_loaded(&sys, "app_meetme.so"), "not provided");
        let (_dir, sys) = crate::funcs::test_system(&[
            ("modules.conf", "[modules]\nautoload=yes\n"),
            ("sip.conf", "[general]\n"),
        ]);
        assert!(is_loaded(&sys, "chan_sip.so"));
    }

    #[test]
    fn module_names_match_as_asterisk_compares_them() {
        for (a, b, same) in [
            ("res_musiconhold", "res_musiconhold.so", true),
            ("RES_MUSICONHOLD.SO", "res_musiconhold.so", true),
            ("logger", "logger", true),
            ("logger.so", "logger", true),
            ("res_musiconhol", "res_musiconhold.so", false),
            ("chan_sip", "chan_pjsip.so", false),
        ] {
            assert_eq!(same_module(a, b), same, "{a} {b}");
        }
    }

    #[test]
    fn table_is_sorted() {
        let names: Vec<&str> = RELOADABLE.iter().map(|(m, ..)| *m).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }
}
