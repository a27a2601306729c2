//! Core commands: version, uptime, boot wait, stop, reload.

use std::fmt::Write as _;
use std::time::SystemTime;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::modules::{self, ReloadResult};
use crate::core::{Part, StopMode, System};

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "!",
            "Usage: !<command>\n       Runs a shell command where the console runs; the console does it, the PBX does not.\n",
            bang,
        )
        .summary("Runs a shell command from a console"),
        CliEntry::new(
            "core show version",
            "Usage: core show version\n       Prints the Asterisk version Asterism answers as, with build facts.\n",
            show_version,
        ),
        CliEntry::new(
            "core show uptime [seconds]",
            "Usage: core show uptime [seconds]\n       How long the PBX has run and when it last reloaded; 'seconds' prints plain numbers.\n",
            show_uptime,
        ),
        CliEntry::new(
            "core show calls [uptime]",
            "Usage: core show calls [uptime [seconds]]\n       The calls up now and those handled since start; 'uptime' adds how long the PBX has run, 'seconds' prints it as a number.\n",
            show_calls,
        ),
        CliEntry::new(
            "core waitfullybooted",
            "Usage: core waitfullybooted\n\tReturns once start-up has finished.\n",
            wait_fully_booted,
        ),
        CliEntry::new(
            "core stop now",
            "Usage: core stop now\n       Stops the PBX at once, ending every call.\n",
            stop_now,
        ),
        CliEntry::new(
            "core stop gracefully",
            "Usage: core stop gracefully\n       Refuses new calls and stops once the current ones have ended.\n",
            stop_gracefully,
        ),
        CliEntry::new(
            "core stop when convenient",
            "Usage: core stop when convenient\n       Stops once no call is up.\n",
            stop_when_convenient,
        ),
        CliEntry::new(
            "core reload",
            "Usage: core reload\n       Re-reads every configuration file.\n",
            core_reload,
        ),
        CliEntry::new(
            "module reload",
            "Usage: module reload [module ...]\n       Re-reads the configuration of the named modules, or of all of them.\n",
            module_reload,
        )
        .completing(complete_module),
    ]
}

/// Typed on a console, `!` never reaches the PBX; sent anyway (`-rx '!'`)
/// it does nothing, as in Asterisk.
fn bang(_: &System, _: &CliArgs<'_>, _: &mut String) -> CliResult {
    CliResult::Success
}

fn show_version(_: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let _ = writeln!(out, "{}", crate::version::version_line());
    CliResult::Success
}

/// Asterisk's uptime wording: `1 week, 2 days, 3 hours, 1 minute, 5 seconds`.
pub fn uptime_text(mut secs: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const WEEK: u64 = 7 * DAY;
    const YEAR: u64 = 365 * DAY;
    let mut parts: Vec<String> = Vec::new();
    // Asterisk uses '>' here, so exactly one minute prints as seconds.
    for (unit, name) in [
        (YEAR, "year"),
        (WEEK, "week"),
        (DAY, "day"),
        (HOUR, "hour"),
        (MINUTE, "minute"),
    ] {
        if secs > unit {
            let x = secs / unit;
            secs -= x * unit;
            parts.push(format!("{x} {name}{}", if x == 1 { "" } else { "s" }));
        }
    }
    if secs > 0 || parts.is_empty() {
        parts.push(format!("{secs} second{}", if secs == 1 { "" } else { "s" }));
    }
    parts.join(", ")
}

fn elapsed(since: SystemTime) -> u64 {
    SystemTime::now()
        .duration_since(since)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn show_uptime(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let seconds = match a.argc() {
        4 if a.argv[3].eq_ignore_ascii_case("seconds") => true,
        3 => false,
        _ => return CliResult::ShowUsage,
    };
    for (label, since) in [
        ("System uptime: ", sys.started),
        ("Last reload: ", sys.last_reload()),
    ] {
        let secs = elapsed(since);
        if seconds {
            let _ = writeln!(out, "{label}{secs}");
        } else {
            let _ = writeln!(out, "{label}{}", uptime_text(secs));
        }
    }
    CliResult::Success
}

fn show_calls(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let uptime = match a.argc() {
        3 => None,
        4 if a.argv[3].eq_ignore_ascii_case("uptime") => Some(false),
        5 if a.argv[3].eq_ignore_ascii_case("uptime")
            && a.argv[4].eq_ignore_ascii_case("seconds") =>
        {
            Some(true)
        }
        _ => return CliResult::ShowUsage,
    };
    super::channel::call_counts(sys, out);
    if let Some(seconds) = uptime {
        let secs = elapsed(sys.started);
        if seconds {
            let _ = writeln!(out, "System uptime: {secs}");
        } else {
            let _ = writeln!(out, "System uptime: {}", uptime_text(secs));
        }
    }
    CliResult::Success
}

fn wait_fully_booted(_: &System, _: &CliArgs<'_>, out: &mut String) -> CliResult {
    // Commands are only served once loading has finished.
    out.push_str("Asterisk has fully booted.\n");
    CliResult::Success
}

fn stop(sys: &System, a: &CliArgs<'_>, words: usize, mode: StopMode) -> CliResult {
    if a.argc() != words {
        return CliResult::ShowUsage;
    }
    sys.request_stop(mode);
    CliResult::Success
}

fn stop_now(sys: &System, a: &CliArgs<'_>, _: &mut String) -> CliResult {
    stop(sys, a, 3, StopMode::Now)
}

fn stop_gracefully(sys: &System, a: &CliArgs<'_>, _: &mut String) -> CliResult {
    stop(sys, a, 3, StopMode::Gracefully)
}

fn stop_when_convenient(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    out.push_str("Waiting for inactivity to perform halt\n");
    stop(sys, a, 4, StopMode::WhenConvenient)
}

/// A failed reload keeps the previous configuration; the operator is told
/// exactly where the file is broken.
/// A module's own reload command (`sip reload`, `moh reload`): silent
/// when the file loads, as in Asterisk; a refused file is reported.
pub fn reload_one(sys: &System, part: Part, out: &mut String) {
    if let Err(e) = sys.reload(&[part]) {
        report_reload_error(out, part.file(), &e);
    }
}

pub fn report_reload_error(out: &mut String, what: &str, err: &crate::config::ConfigError) {
    let _ = writeln!(
        out,
        "Unable to reload {what}: {err}; the previous configuration stays in use."
    );
}

fn core_reload(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    reload_all(sys, out);
    CliResult::Success
}

/// `ast_module_reload(NULL)`, with whatever refused to load shown.
fn reload_all(sys: &System, out: &mut String) {
    let mut refused = Vec::new();
    modules::reload_reporting(sys, None, &mut refused);
    for (part, e) in &refused {
        report_reload_error(out, part.file(), e);
    }
}

fn module_reload(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() == 2 {
        reload_all(sys, out);
        return CliResult::Success;
    }
    for name in &a.argv[2..] {
        let mut refused = Vec::new();
        let _ = match modules::reload_reporting(sys, Some(name), &mut refused) {
            ReloadResult::NotFound => writeln!(out, "No such module '{name}'"),
            ReloadResult::NotImplemented => {
                writeln!(out, "The module '{name}' does not support reloads")
            }
            ReloadResult::Queued => {
                writeln!(out, "Asterisk cannot reload a module yet; request queued")
            }
            ReloadResult::Error => writeln!(out, "The module '{name}' reported a reload failure"),
            ReloadResult::InProgress => writeln!(
                out,
                "A module reload request is already in progress; please be patient"
            ),
            ReloadResult::Uninitialized => writeln!(
                out,
                "The module '{name}' was not properly initialized. Before reloading the module, you must run \"module load {name}\" and fix whatever is preventing the module from being initialized."
            ),
            ReloadResult::Success => writeln!(out, "Module '{name}' reloaded successfully."),
        };
        for (part, e) in &refused {
            report_reload_error(out, part.file(), e);
        }
    }
    CliResult::Success
}

/// The loaded modules that can reload, by file name (`chan_sip.so`).
fn complete_module(sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos < 2 {
        return Vec::new();
    }
    let loaded = sys.loaded();
    let names = Part::ALL
        .iter()
        .map(|p| p.module())
        .filter(|m| m.contains('_') && loaded.modules.loads(m))
        .map(|m| format!("{m}.so"));
    starting_with(c.word, names)
}

#[cfg(test)]
mod tests {
    use super::uptime_text;

    #[test]
    fn uptime_wording() {
        assert_eq!(uptime_text(0), "0 seconds");
        assert_eq!(uptime_text(1), "1 second");
        assert_eq!(uptime_text(60), "60 seconds");
        assert_eq!(uptime_text(358), "5 minutes, 58 seconds");
        assert_eq!(uptime_text(3600 + 61), "1 hour, 1 minute, 1 second");
        // Asterisk compares with `>`, so a whole day left over prints as hours.
        assert_eq!(uptime_text(86400 * 8), "1 week, 24 hours");
    }
}
