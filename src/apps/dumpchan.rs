//! DumpChan (app_dumpchan.c): the channel's details and variables as one
//! verbose message.

use super::{App, AppCtx, AppResult, Run};
use crate::channels::Channel;
use crate::config::views::groups::print_group;
use crate::config::views::values::atoi;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "DumpChan",
        run: Run::Now(dumpchan),
        synopsis: "Logs the channel's details and variables as a verbose message.",
        syntax: "DumpChan([level])",
    }]
}

/// check-config's note on every use: the block's lines Asterism cannot
/// fill from a real channel.
pub const UNTRACKED: &str = "DumpChan: Rings, the raw formats and translation paths, \
the first file descriptor and the frame counts are not tracked by Asterism: \
they show a Local channel's values (0, the native format, No, -1, 0)";

const RULE: &str =
    "================================================================================";

/// Logs at `level` (0 when not given), and only builds the block when a
/// message of that level would be produced.
fn dumpchan(ctx: &AppCtx, data: &str) -> AppResult {
    let level = u32::try_from(atoi(data).max(0)).unwrap_or(u32::MAX);
    if !ctx.sys.pbx.logger.verbose_enabled(level) {
        return Ok(());
    }
    let info = channel_info(&ctx.chan);
    let vars: String = {
        let d = ctx.chan.lock();
        d.vars
            .iter()
            .map(|(n, v)| format!("{}={v}\n", crate::pbx::vars::strip_inheritance(n)))
            .collect()
    };
    ctx.verbose(
        level,
        crate::site!("app_dumpchan.c", 188, "dumpchan_exec"),
        &format!(
            "\nDumping Info For Channel: {}:\n{RULE}\nInfo:\n{info}\nVariables:\n{vars}{RULE}",
            ctx.chan.name
        ),
    );
    Ok(())
}

/// `serialize_showchan`'s block, one `Name=value` line each. Asterism
/// tracks no translation paths, file descriptors or frame counts: the
/// formats are the channel's native one, no transcoding, no descriptor
/// (-1) and no frames, which is what a Local channel shows.
fn channel_info(c: &Channel) -> String {
    let codec = c.native_codec().name();
    let bridge = c.bridge();
    let secs = c.created_at.elapsed().as_secs();
    let d = c.lock();
    // A valid name or number prints as set (even empty), else (N/A).
    let valid_or_na = |valid: bool, text: &Option<String>| {
        if valid {
            text.as_deref().unwrap_or("(null)").to_string()
        } else {
            "(N/A)".to_string()
        }
    };
    let caller = &d.caller.id;
    let connected = &d.connected.id;
    let rdnis = &d.redirecting.from.number;
    // An absolute hangup time prints as Unix seconds, 0 when unset.
    let hangup_at = d.when_to_hangup.map_or(0, |t| {
        let left = t.saturating_duration_since(std::time::Instant::now());
        crate::core::unix_seconds() + i64::try_from(left.as_secs()).unwrap_or(i64::MAX / 2)
    });
    let rows: Vec<(&str, String)> = vec![
        ("Name", c.name.clone()),
        ("Type", c.tech.to_string()),
        ("UniqueID", c.uniqueid.clone()),
        ("LinkedID", d.linkedid.clone()),
        (
            "CallerIDNum",
            valid_or_na(caller.number.valid, &caller.number.text),
        ),
        (
            "CallerIDName",
            valid_or_na(caller.name.valid, &caller.name.text),
        ),
        (
            "ConnectedLineIDNum",
            valid_or_na(connected.number.valid, &connected.number.text),
        ),
        (
            "ConnectedLineIDName",
            valid_or_na(connected.name.valid, &connected.name.text),
        ),
        (
            "DNIDDigits",
            d.dialed
                .number
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "(N/A)".into()),
        ),
        ("RDNIS", valid_or_na(rdnis.valid, &rdnis.text)),
        ("Parkinglot", d.props.parkinglot.clone()),
        ("Language", d.language.clone()),
        (
            "State",
            format!("{} ({})", d.state.as_str(), d.state.number()),
        ),
        ("Rings", "0".into()),
        ("NativeFormat", format!("({codec})")),
        ("WriteFormat", codec.to_string()),
        ("ReadFormat", codec.to_string()),
        ("RawWriteFormat", codec.to_string()),
        ("RawReadFormat", codec.to_string()),
        ("WriteTranscode", "No ".into()),
        ("ReadTranscode", "No ".into()),
        ("1stFileDescriptor", "-1".into()),
        ("Framesin", "0 ".into()),
        ("Framesout", "0 ".into()),
        ("TimetoHangup", hangup_at.to_string()),
        (
            "ElapsedTime",
            format!("{}h{}m{}s", secs / 3600, (secs % 3600) / 60, secs % 60),
        ),
        (
            "BridgeID",
            bridge
                .as_ref()
                .map_or("(Not bridged)".to_string(), |b| b.uniqueid.clone()),
        ),
        ("Context", d.context.clone()),
        ("Extension", d.exten.clone()),
        ("Priority", d.priority.to_string()),
        ("CallGroup", print_group(d.props.callgroup)),
        ("PickupGroup", print_group(d.props.pickupgroup)),
        (
            "Application",
            d.appl.clone().unwrap_or_else(|| "(N/A)".into()),
        ),
        (
            "Data",
            match d.data.as_deref() {
                None => "(None)".into(),
                Some("") => "(Empty)".into(),
                Some(s) => s.to_string(),
            },
        ),
        ("Blocking_in", "(Not Blocking)".into()),
    ];
    rows.iter()
        .map(|(name, value)| format!("{:<20}{value}\n", format!("{name}=")))
        .collect()
}
