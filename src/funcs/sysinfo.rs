//! SYSINFO (Asterisk's `func_sysinfo.c`): facts about the machine and the
//! PBX. Linux's `sysinfo(2)` figures are read from `/proc` (the same
//! counters: memory in KiB, uptime in whole hours, the thread count of
//! `/proc/loadavg` as `procs`).

use super::{Failed, FuncCtx, Function};

const FILE: &str = "func_sysinfo.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "SYSINFO",
        read: Some(sysinfo),
        write: None,
        synopsis: "Gives a fact about the system: load, memory, uptime, calls.",
        syntax: "SYSINFO(parameter)",
    }]
}

/// A `/proc/meminfo` line's value in KiB.
fn meminfo(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, rest) = l.split_once(':')?;
        if k != key {
            return None;
        }
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// A `/proc/meminfo` value in KiB (`MemFree`, `Buffers`, …).
pub(crate) fn meminfo_kib(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo(&text, key)
}

/// The 1-, 5- and 15-minute load averages (`getloadavg`).
pub(crate) fn load_averages() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut f = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([f.next()??, f.next()??, f.next()??])
}

/// The fields of `/proc/loadavg`: the 1-minute load and the number of
/// scheduling entities (threads), `sysinfo`'s `procs`.
fn loadavg() -> Option<(f64, u64)> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut f = text.split_whitespace();
    let load = f.next()?.parse().ok()?;
    let procs = f.nth(2)?.split_once('/')?.1.parse().ok()?;
    Some((load, procs))
}

fn uptime_hours() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(secs as u64 / 3600)
}

fn sysinfo(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 106, "sysinfo_helper"),
            "Syntax: ${SYSINFO(<parameter>)} - missing argument!)",
        );
        return Err(Failed);
    }
    let mem = |key: &str| meminfo_kib(key).map(|v| v.to_string());
    let value = match data.to_ascii_lowercase().as_str() {
        "loadavg" => Some(format!(
            "{:.6}",
            loadavg().map(|(l, _)| l).unwrap_or_default()
        )),
        "numcalls" => Some(ctx.sys.pbx.channels.active_calls().to_string()),
        "uptime" => uptime_hours().map(|h| h.to_string()),
        "totalram" => mem("MemTotal"),
        "freeram" => mem("MemFree"),
        "bufferram" => mem("Buffers"),
        "totalswap" => mem("SwapTotal"),
        "freeswap" => mem("SwapFree"),
        "numprocs" => loadavg().map(|(_, p)| p.to_string()),
        _ => {
            ctx.error(
                crate::site!(FILE, 133, "sysinfo_helper"),
                &format!("Unknown sysinfo parameter type '{data}'."),
            );
            return Err(Failed);
        }
    };
    match value {
        Some(v) => Ok(v),
        None => {
            ctx.error(
                crate::site!(FILE, 101, "sysinfo_helper"),
                "FAILED to retrieve system information",
            );
            Err(Failed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_lines() {
        let t = "MemTotal:       16314736 kB\nMemFree:          812340 kB\nSwapTotal:             0 kB\n";
        assert_eq!(meminfo(t, "MemTotal"), Some(16314736));
        assert_eq!(meminfo(t, "MemFree"), Some(812340));
        assert_eq!(meminfo(t, "SwapTotal"), Some(0));
        assert_eq!(meminfo(t, "Buffers"), None);
    }

    #[test]
    fn proc_figures_are_plausible() {
        let (load, procs) = loadavg().expect("/proc/loadavg");
        assert!(load >= 0.0 && procs > 0);
        assert!(uptime_hours().is_some());
    }
}
