//! Reload (Asterisk's `app_reload.c` over `ast_module_reload`): reloads
//! the named modules, or all of them, and says in RELOADSTATUS whether
//! every one reloaded.

use super::{App, AppCtx, AppFuture, AppResult, Run};
use crate::core::{Part, System};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Reload",
        run: Run::Wait(reload),
        synopsis: "Reloads the named modules, or everything.",
        syntax: "Reload([module[,module...]])",
    }]
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

/// `resource_name_match`: any case, `.so` optional on either side.
fn same_module(a: &str, b: &str) -> bool {
    let base = |s: &str| {
        let n = s.len();
        match s.get(n.saturating_sub(3)..) {
            Some(ext) if n > 3 && ext.eq_ignore_ascii_case(".so") => s[..n - 3].to_string(),
            _ => s.to_string(),
        }
    };
    base(a).eq_ignore_ascii_case(&base(b))
}

/// `ast_module_reload` for one module, or all with `None`: true on
/// success. A module that is not loaded, does not run, or cannot reload
/// fails without a word; one that reloads is logged first.
fn module_reload(ctx: &AppCtx, name: Option<&str>) -> bool {
    let sys: &System = &ctx.sys;
    // The core's own parts (no `.so`) always run; a module runs when
    // modules.conf loads it and it starts (its file's presence).
    let running: Vec<&(&str, Part, &str)> = RELOADABLE
        .iter()
        .filter(|(m, ..)| name.is_none_or(|n| same_module(n, m)))
        .filter(|(m, ..)| !m.ends_with(".so") || crate::core::modules::running(sys, m))
        .collect();
    if running.is_empty() {
        return false;
    }
    let mut ok = false;
    for (module, part, description) in running {
        ctx.verbose(
            3,
            crate::site!("loader.c", 1795, "ast_module_reload"),
            &format!("Reloading module '{module}' ({description})"),
        );
        match sys.reload(&[*part]) {
            Ok(()) => ok = true,
            Err(e) => ctx.error(
                crate::site!("loader.c", 0, "ast_module_reload"),
                &e.to_string(),
            ),
        }
    }
    ok
}

fn reload<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { reload_exec(ctx, &data) })
}

fn reload_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let ok = if data.is_empty() {
        module_reload(ctx, None)
    } else {
        let mut rest = Some(data);
        let mut all = true;
        while let Some(target) = crate::config::views::geolocation::strsep(&mut rest, b',') {
            // Every target is tried, whatever the ones before did.
            all &= module_reload(ctx, Some(&target));
        }
        all
    };
    ctx.set_var("RELOADSTATUS", Some(if ok { "SUCCESS" } else { "FAILURE" }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
