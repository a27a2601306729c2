//! SoftHangup (Asterisk's `app_softhangup.c`): asks the channel of a
//! given name, or with `a` every channel of a device, to hang up.

use super::{App, AppCtx, AppResult, Run, separate_args};
use crate::channels::softhangup;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "SoftHangup",
        run: Run::Now(softhangup_exec),
        synopsis: "Hangs up a channel by name, or all channels of a device.",
        syntax: "SoftHangup(Technology/Resource[,options])",
    }]
}

/// A channel's name without its `-<sequence>` suffix (`Foo/Bar-Z` is the
/// device `Foo/Bar`; the last `-` is cut, as names may hold others).
fn device_part(name: &str) -> &str {
    name.rfind('-').map_or(name, |i| &name[..i])
}

fn softhangup_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_softhangup.c", 91, "softhangup_exec"),
            "SoftHangup requires an argument (Technology/resource)",
        );
        return Ok(());
    }
    let args = separate_args(data, ',', 2);
    let wanted = args.first().map(String::as_str).unwrap_or("");
    // The only option; anything else in the string is ignored.
    let all = args.len() == 2 && super::option_letters(&args[1]).contains(&'a');
    // Asterisk walks its channel container (in its hash order) for the
    // names that start with the argument.
    let prefix = wanted.to_ascii_lowercase();
    let candidates = ctx.sys.pbx.channels.in_container_order();
    for c in candidates
        .iter()
        .filter(|c| c.name.to_ascii_lowercase().starts_with(&prefix))
    {
        let name = if all { device_part(&c.name) } else { &c.name };
        if !name.eq_ignore_ascii_case(wanted) {
            continue;
        }
        ctx.verbose(
            4,
            crate::site!("app_softhangup.c", 123, "softhangup_exec"),
            &format!("Soft hanging {} up.", c.name),
        );
        c.softhangup(softhangup::EXPLICIT);
        if !all {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::device_part;

    #[test]
    fn the_device_is_the_name_before_the_last_dash() {
        assert_eq!(device_part("SIP/1000-00000001"), "SIP/1000");
        assert_eq!(device_part("SIP/b-a-r-0001"), "SIP/b-a-r");
        assert_eq!(device_part("Local/100@x-0001;1"), "Local/100@x");
        assert_eq!(device_part("DAHDI/pseudo"), "DAHDI/pseudo");
    }
}
