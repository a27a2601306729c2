//! The SIP header functions: chan_sip's SIP_HEADER and SIP_HEADERS (the
//! dialog's first request) and res_pjsip_header_funcs' PJSIP_HEADER and
//! PJSIP_HEADERS (the session's header list: the received INVITE's
//! headers, and on a call being placed the headers its INVITE will carry).
//! The headers themselves live with the call
//! (`channels::sip::callheaders`).

use std::sync::Arc;

use super::strings::atoi;
use super::{Failed, FuncCtx, Function, standard_args};
use crate::channels::sip::callheaders::{self, CallHeaders};
// The session's own work (update_header, remove_header) runs on its
// serializer in Asterisk: what it logs carries no call id.
use crate::core::logger::off_call;

const CHAN_SIP: &str = "chan_sip.c";
const PJSIP: &str = "res_pjsip_header_funcs.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "SIP_HEADER",
            read: Some(sip_header_read),
            write: None,
            synopsis: "Reads a header of the request that began a chan_sip call.",
            syntax: "SIP_HEADER(name[,number])",
        },
        Function {
            name: "SIP_HEADERS",
            read: Some(sip_headers_read),
            write: None,
            synopsis: "Lists the header names of the request that began a chan_sip call.",
            syntax: "SIP_HEADERS([prefix])",
        },
        Function {
            name: "PJSIP_HEADER",
            read: Some(pjsip_header_read),
            write: Some(pjsip_header_write),
            synopsis: "Reads, adds, updates or removes headers of a chan_pjsip call's INVITE.",
            syntax: "PJSIP_HEADER(action,name[,number])",
        },
        Function {
            name: "PJSIP_HEADERS",
            read: Some(pjsip_headers_read),
            write: None,
            synopsis: "Lists the header names of a chan_pjsip call's INVITE.",
            syntax: "PJSIP_HEADERS([prefix])",
        },
        Function {
            name: "PJSIP_RESPONSE_HEADER",
            read: Some(pjsip_response_header_read),
            write: None,
            synopsis: "Reads a header of the 200 that answered a chan_pjsip call we placed.",
            syntax: "PJSIP_RESPONSE_HEADER(read,name[,number])",
        },
        Function {
            name: "PJSIP_RESPONSE_HEADERS",
            read: Some(pjsip_response_headers_read),
            write: None,
            synopsis: "Lists the header names of the 200 that answered a chan_pjsip call.",
            syntax: "PJSIP_RESPONSE_HEADERS(prefix)",
        },
    ]
}

fn arg(a: &[String], i: usize) -> &str {
    a.get(i).map(String::as_str).unwrap_or_default()
}

/// A header number as the functions scan it (`%d`): 1 when absent or
/// below 1.
fn number(a: &[String], i: usize) -> usize {
    match a.get(i) {
        None => 1,
        Some(n) => usize::try_from(atoi(n)).unwrap_or(0).max(1),
    }
}

/// The call's headers, when the channel is a live SIP call.
fn headers_of(chan: &Arc<crate::channels::Channel>) -> Option<Arc<CallHeaders>> {
    chan.driver().and_then(|d| d.sip_headers())
}

/// chan_sip's check (`IS_SIP_TECH`), with its warning from `site`.
fn chan_sip_call(
    ctx: &FuncCtx<'_>,
    chan: &Arc<crate::channels::Channel>,
    site: &crate::core::logger::Site<'_>,
) -> Result<Arc<CallHeaders>, Failed> {
    if chan.tech != "SIP" {
        ctx.warning(site, "This function can only be used on SIP channels.");
        return Err(Failed);
    }
    // A channel whose call has ended has nothing to read.
    headers_of(chan).ok_or(Failed)
}

fn sip_header_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(CHAN_SIP, 23290, "func_header_read"))?;
    if args.is_empty() {
        ctx.warning(
            crate::site!(CHAN_SIP, 23295, "func_header_read"),
            "This function requires a header name.",
        );
        return Err(Failed);
    }
    let call = chan_sip_call(ctx, chan, crate::site!(CHAN_SIP, 23301, "func_header_read"))?;
    let a = standard_args(args);
    let (name, n) = (arg(&a, 0), number(&a, 1));
    let value = call.with_initial(|lines| {
        lines
            .map(|l| callheaders::nth_header(l, name, n).to_string())
            .unwrap_or_default()
    });
    if value.is_empty() {
        return Err(Failed);
    }
    Ok(value)
}

fn sip_headers_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let Some(chan) = ctx.chan else {
        return Err(Failed);
    };
    let call = chan_sip_call(
        ctx,
        chan,
        crate::site!(CHAN_SIP, 23360, "func_headers_read2"),
    )?;
    let a = standard_args(args);
    let prefix = arg(&a, 0);
    Ok(call.with_initial(|lines| {
        lines
            .map(|l| callheaders::chan_sip_header_names(l, prefix))
            .unwrap_or_default()
    }))
}

/// res_pjsip_header_funcs' check: a PJSIP channel with its session.
fn pjsip_call(
    ctx: &FuncCtx<'_>,
    line: u32,
    function: &'static str,
) -> Result<Arc<CallHeaders>, Failed> {
    let call = ctx
        .chan
        .filter(|c| c.name.starts_with("PJSIP/"))
        .and_then(headers_of);
    call.ok_or_else(|| {
        ctx.error(
            crate::site!(PJSIP, line, function),
            "This function requires a PJSIP channel.",
        );
        Failed
    })
}

/// The action and header name PJSIP_HEADER requires, each with its error.
fn action_and_name<'a>(
    ctx: &FuncCtx<'_>,
    a: &'a [String],
    line: u32,
    function: &'static str,
) -> Result<(&'a str, &'a str), Failed> {
    let (action, name) = (arg(a, 0), arg(a, 1));
    if action.is_empty() {
        ctx.error(
            crate::site!(PJSIP, line, function),
            "This function requires an action.",
        );
        return Err(Failed);
    }
    if name.is_empty() {
        ctx.error(
            crate::site!(PJSIP, line + 4, function),
            "This function requires a header name.",
        );
        return Err(Failed);
    }
    Ok((action, name))
}

/// PJSIP_HEADER(remove,…): how many went, or the error when the session
/// has no list.
fn remove(ctx: &FuncCtx<'_>, call: &CallHeaders, name: &str) -> Result<usize, Failed> {
    call.with_session(|list| match list {
        Some(list) => Ok(callheaders::pjsip_remove(list, name)),
        None => {
            off_call(|| {
                ctx.error(
                    crate::site!(PJSIP, 1030, "remove_header"),
                    "No headers had been previously added to this session.",
                )
            });
            Err(Failed)
        }
    })
}

fn pjsip_header_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = standard_args(args);
    let call = pjsip_call(ctx, 1248, "func_read_header")?;
    let (action, name) = action_and_name(ctx, &a, 1253, "func_read_header")?;
    let n = number(&a, 2);
    if action.eq_ignore_ascii_case("read") {
        call.with_session(|list| {
            list.as_deref()
                .and_then(|l| callheaders::pjsip_read(l, name, n))
                .ok_or(Failed)
        })
    } else if action.eq_ignore_ascii_case("remove") {
        remove(ctx, &call, name).map(|n| n.to_string())
    } else {
        ctx.error(
            crate::site!(PJSIP, 1283, "func_read_header"),
            &format!("Unknown action '{action}' is not valid, must be 'read' or 'remove'."),
        );
        Err(Failed)
    }
}

fn pjsip_header_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let a = standard_args(args);
    let call = pjsip_call(ctx, 1363, "func_write_header")?;
    let (action, name) = action_and_name(ctx, &a, 1368, "func_write_header")?;
    let n = number(&a, 2);
    if action.eq_ignore_ascii_case("add") {
        call.with_session(|list| {
            list.get_or_insert_with(Vec::new)
                .push((name.to_string(), value.to_string()));
        });
        Ok(())
    } else if action.eq_ignore_ascii_case("update") {
        call.with_session(|list| {
            callheaders::pjsip_update(list.as_mut(), name, n, value).map_err(|e| {
                let line = match e {
                    callheaders::UpdateError::NoList => 894,
                    callheaders::UpdateError::NoHeader(_) => 902,
                };
                off_call(|| ctx.error(crate::site!(PJSIP, line, "update_header"), &e.to_string()));
                Failed
            })
        })
    } else if action.eq_ignore_ascii_case("remove") {
        remove(ctx, &call, name).map(|_| ())
    } else {
        ctx.error(
            crate::site!(PJSIP, 1402, "func_write_header"),
            &format!(
                "Unknown action '{action}' is not valid, must be 'add', 'update', or 'remove'."
            ),
        );
        Err(Failed)
    }
}

fn pjsip_headers_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = standard_args(args);
    let call = pjsip_call(ctx, 1184, "func_read_headers")?;
    let prefix = arg(&a, 0);
    call.with_session(|list| {
        list.as_deref()
            .and_then(|l| callheaders::pjsip_header_names(l, prefix))
            .ok_or(Failed)
    })
}

fn pjsip_response_header_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = standard_args(args);
    let call = pjsip_call(ctx, 1306, "func_response_read_header")?;
    let (action, name) = action_and_name(ctx, &a, 1311, "func_response_read_header")?;
    let n = number(&a, 2);
    if !action.eq_ignore_ascii_case("read") {
        ctx.error(
            crate::site!(PJSIP, 1338, "func_response_read_header"),
            &format!("Unknown action '{action}' is not valid, must be 'read'."),
        );
        return Err(Failed);
    }
    call.with_response(|list| {
        list.and_then(|l| callheaders::pjsip_read(l, name, n))
            .ok_or(Failed)
    })
}

fn pjsip_response_headers_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = standard_args(args);
    let call = pjsip_call(ctx, 1212, "func_response_read_headers")?;
    let prefix = arg(&a, 0);
    if prefix.is_empty() {
        ctx.error(
            crate::site!(PJSIP, 1217, "func_response_read_headers"),
            "This function requires a pattern.",
        );
        return Err(Failed);
    }
    call.with_response(|list| {
        list.and_then(|l| callheaders::pjsip_header_names(l, prefix))
            .ok_or(Failed)
    })
}
