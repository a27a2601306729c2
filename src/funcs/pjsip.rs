//! PJSIP_DIAL_CONTACTS (chan_pjsip's dialplan functions).

use super::c::app_args;
use super::{Failed, FuncCtx, Function};
use crate::channels::sip::qualify::Reach;

const FILE: &str = "dialplan_functions.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "PJSIP_DIAL_CONTACTS",
        read: Some(dial_contacts_read),
        write: None,
        synopsis: "Builds a Dial() string for every reachable contact of an endpoint's AORs.",
        syntax: "PJSIP_DIAL_CONTACTS(endpoint[,aor[,request_user]])",
    }]
}

/// `PJSIP/[user@]endpoint/<contact uri>` for each contact of the named
/// AORs (the endpoint's own when none are named) that qualify has not
/// found unreachable, joined by `&`; unknown AORs are passed over.
fn dial_contacts_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = app_args(args, 3);
    let arg = |i: usize| a.get(i).map(String::as_str).unwrap_or_default();
    let (endpoint, aors, user) = (arg(0), arg(1), arg(2));
    if endpoint.is_empty() {
        ctx.warning(
            crate::site!(FILE, 526, "pjsip_acf_dial_contacts_read"),
            &format!(
                "An endpoint name must be specified when using the '{}' dialplan function",
                ctx.name
            ),
        );
        return Err(Failed);
    }
    let loaded = ctx.sys.loaded();
    let Some(ep) = loaded.pjsip.endpoint(endpoint) else {
        ctx.warning(
            crate::site!(FILE, 529, "pjsip_acf_dial_contacts_read"),
            &format!("Specified endpoint '{endpoint}' was not found"),
        );
        return Err(Failed);
    };
    let aors = if aors.is_empty() {
        ep.aors.as_str()
    } else {
        aors
    };
    if aors.trim().is_empty() {
        ctx.warning(
            crate::site!(FILE, 536, "pjsip_acf_dial_contacts_read"),
            &format!(
                "No AOR has been provided and no AORs are configured on endpoint '{endpoint}'"
            ),
        );
        return Err(Failed);
    }
    let user = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    let dial: Vec<String> = aors
        .split(',')
        .filter_map(|name| loaded.pjsip.aor(name.trim()))
        .flat_map(|aor| crate::channels::sip::aor_contacts(ctx.sys, aor))
        .filter(|c| c.reach != Some(Reach::Unreachable))
        .map(|c| format!("PJSIP/{user}{endpoint}/{}", c.uri))
        .collect();
    Ok(dial.join("&"))
}
