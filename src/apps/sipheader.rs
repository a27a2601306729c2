//! SIPAddHeader and SIPRemoveHeader (chan_sip's applications): headers
//! for the INVITE of a call chan_sip places are kept as inheritable
//! channel variables `__SIPADDHEADER01`, `02`, …, which chan_sip reads when
//! it sends the INVITE (see `channels::sip::callheaders::chan_sip_added`).

use super::{App, AppCtx, AppResult, Run};
use crate::funcs::FuncCtx;
use crate::pbx::vars::{VarList, strip_inheritance};

const FILE: &str = "chan_sip.c";

/// `sip_addheader` tries the numbers 1 to 51 (its loop checks the bound
/// before counting up), though its warning says 50.
const LAST_SLOT: u32 = 51;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "SIPAddHeader",
            run: Run::Now(add_header),
            synopsis: "Adds a header to the INVITE of the SIP calls this channel places.",
            syntax: "SIPAddHeader(Header: Content)",
        },
        App {
            name: "SIPRemoveHeader",
            run: Run::Now(remove_header),
            synopsis: "Removes headers SIPAddHeader added.",
            syntax: "SIPRemoveHeader([Header])",
        },
    ]
}

/// The first free `__SIPADDHEADERnn` (a number whose `SIPADDHEADERnn` is
/// neither a channel variable nor a global), if any is left.
pub fn free_slot(taken: impl Fn(&str) -> bool) -> Option<String> {
    (1..=LAST_SLOT)
        .map(|no| format!("__SIPADDHEADER{no:02}"))
        .find(|name| !taken(&name[2..]))
}

fn add_header(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 34124, "sip_addheader"),
            "This application requires the argument: Header",
        );
        return Ok(());
    }
    match free_slot(|name| ctx.var(name).is_some()) {
        Some(name) => {
            // Backslash escapes in the argument are decoded
            // (ast_get_encoded_str).
            let fctx = FuncCtx {
                sys: &ctx.sys,
                chan: Some(&ctx.chan),
                name: "SIPAddHeader",
            };
            let value = crate::funcs::strings::encoded_str(&fctx, data, data.len() + 1);
            let value = crate::core::raw::decode_owned(value);
            ctx.set_var(&name, Some(&value));
        }
        None => ctx.warning(
            crate::site!(FILE, 34148, "sip_addheader"),
            "Too many SIP headers added, max 50",
        ),
    }
    Ok(())
}

/// Whether SIPRemoveHeader(`prefix`) drops the variable `name`=`value`:
/// any SIPADDHEADER variable when no prefix is given, else one whose
/// header line starts with the prefix, whatever the case.
pub fn removes(name: &str, value: &str, prefix: &str) -> bool {
    strip_inheritance(name).starts_with("SIPADDHEADER")
        && (prefix.is_empty()
            || (value.len() >= prefix.len()
                && value.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())))
}

/// Drops the headers SIPRemoveHeader(`prefix`) names from a variable list.
pub fn remove_from(vars: &mut VarList, prefix: &str) {
    vars.retain(|n, v| !removes(n, v, prefix));
}

fn remove_header(ctx: &AppCtx, data: &str) -> AppResult {
    // chan_sip unlinks the variables from the channel's list itself: no
    // VarSet is raised.
    remove_from(&mut ctx.chan.lock().vars, data);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_the_first_gap_up_to_51() {
        let mut vars = VarList::new();
        let taken = |v: &VarList, n: &str| v.get(n).is_some();
        assert_eq!(
            free_slot(|n| taken(&vars, n)).as_deref(),
            Some("__SIPADDHEADER01")
        );
        for no in 1..=4 {
            vars.set(&format!("__SIPADDHEADER{no:02}"), Some("X: y"));
        }
        vars.set("__SIPADDHEADER02", None);
        assert_eq!(
            free_slot(|n| taken(&vars, n)).as_deref(),
            Some("__SIPADDHEADER02")
        );
        for no in 1..=50 {
            vars.set(&format!("__SIPADDHEADER{no:02}"), Some("X: y"));
        }
        assert_eq!(
            free_slot(|n| taken(&vars, n)).as_deref(),
            Some("__SIPADDHEADER51")
        );
        vars.set("__SIPADDHEADER51", Some("X: y"));
        assert_eq!(free_slot(|n| taken(&vars, n)), None);
        // A variable set without the underscores holds its number too.
        let mut plain = VarList::new();
        plain.set("SIPADDHEADER01", Some("X: y"));
        assert_eq!(
            free_slot(|n| taken(&plain, n)).as_deref(),
            Some("__SIPADDHEADER02")
        );
    }

    #[test]
    fn remove_by_prefix_of_the_header_line() {
        let mut vars = VarList::new();
        vars.set("__SIPADDHEADER01", Some("X-First: one"));
        vars.set("__SIPADDHEADER02", Some("X-Gone: bye"));
        vars.set("__SIPADDHEADER03", Some("x-gone-too: bye"));
        vars.set("_SIPADDHEADER04", Some("X-G"));
        vars.set("X-GONE", Some("X-Gone: not a header"));
        remove_from(&mut vars, "X-GONE");
        let left: Vec<&str> = vars.iter().map(|(n, _)| n).collect();
        assert_eq!(left, ["X-GONE", "_SIPADDHEADER04", "__SIPADDHEADER01"]);
        remove_from(&mut vars, "");
        let left: Vec<&str> = vars.iter().map(|(n, _)| n).collect();
        assert_eq!(left, ["X-GONE"]);
    }
}
