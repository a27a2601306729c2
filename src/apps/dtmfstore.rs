//! StoreDTMF (Asterisk's `apps/app_dtmfstore.c`): appends each DTMF digit
//! the channel receives (RX) or sends (TX) to a variable, up to an
//! optional count; `remove` stops it.

use std::sync::{Arc, Weak};

use super::{App, AppCtx, AppExit, AppResult, Run, split_args};
use crate::channels::{Channel, DtmfHook};
use crate::core::System;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "StoreDTMF",
        run: Run::Now(storedtmf),
        synopsis: "Appends the DTMF digits a channel receives or sends to a variable.",
        syntax: "StoreDTMF(direction[,varname[,maxdigits]])",
    }]
}

/// The framehook's data (`struct dtmf_store_data`).
struct Store {
    sys: Weak<System>,
    chan: Weak<Channel>,
    /// Which digits: those sent (TX) or received (RX).
    sent: bool,
    /// None without a name (the hook then stores nothing).
    var: Option<String>,
    /// 0: no limit.
    maxdigits: i32,
}

impl DtmfHook for Store {
    fn dtmf_end(&self, digit: char, sent: bool) {
        if sent != self.sent {
            return;
        }
        let (Some(sys), Some(chan), Some(var)) =
            (self.sys.upgrade(), self.chan.upgrade(), self.var.as_deref())
        else {
            return;
        };
        if var.len() + 3 >= 64 {
            // app_dtmfstore's buffer for `${name}` is 64 bytes: no room.
            return;
        }
        // The variable is read by substitution (a function such as CDR()
        // reads too), at most 511 bytes.
        let mut current = crate::pbx::subst::substitute(&sys, Some(&chan), &format!("${{{var}}}"));
        if current.len() > 511 {
            let mut end = 511;
            while !current.is_char_boundary(end) {
                end -= 1;
            }
            current.truncate(end);
        }
        if self.maxdigits > 0 && current.len() >= self.maxdigits as usize {
            // The limit reached: the store is removed, this digit not kept.
            chan.set_dtmf_hook(None);
            return;
        }
        current.push(digit);
        crate::pbx::set_var(&sys, Some(&chan), var, Some(&current));
    }
}

fn storedtmf(ctx: &AppCtx, data: &str) -> AppResult {
    let chan = &ctx.chan;
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_dtmfstore.c", 222, "dtmfstore_exec"),
            "StoreDTMF requires an argument",
        );
        return Err(AppExit::Hangup);
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    if arg(0).eq_ignore_ascii_case("remove") {
        if chan.dtmf_hook().is_none() {
            ctx.warning(
                crate::site!("app_dtmfstore.c", 118, "remove_dtmf_store"),
                &format!(
                    "Cannot remove StoreDTMF from {}: StoreDTMF not currently enabled",
                    chan.name
                ),
            );
            return Err(AppExit::Hangup);
        }
        chan.set_dtmf_hook(None);
        return Ok(());
    }
    if chan.dtmf_hook().is_some() {
        ctx.warning(
            crate::site!("app_dtmfstore.c", 232, "dtmfstore_exec"),
            &format!("StoreDTMF already set on '{}'", chan.name),
        );
        return Ok(());
    }
    let sent = if arg(0).eq_ignore_ascii_case("tx") {
        true
    } else if arg(0).eq_ignore_ascii_case("rx") {
        false
    } else {
        ctx.error(
            crate::site!("app_dtmfstore.c", 259, "dtmfstore_exec"),
            "Direction must be either RX or TX",
        );
        return Err(AppExit::Hangup);
    };
    let mut maxdigits = 0;
    if !arg(2).is_empty() {
        let Some(n) = super::pjsiphangup::str_to_int(arg(2)) else {
            ctx.error(
                crate::site!("app_dtmfstore.c", 265, "dtmfstore_exec"),
                &format!("Invalid integer: {}", arg(2)),
            );
            return Err(AppExit::Hangup);
        };
        if n < 0 {
            ctx.error(
                crate::site!("app_dtmfstore.c", 269, "dtmfstore_exec"),
                &format!("Invalid natural number: {n}"),
            );
            return Err(AppExit::Hangup);
        } else if n == 0 {
            ctx.warning(
                crate::site!("app_dtmfstore.c", 272, "dtmfstore_exec"),
                "No maximum digit count set",
            );
        }
        maxdigits = n;
    }
    chan.set_dtmf_hook(Some(Arc::new(Store {
        sys: Arc::downgrade(&ctx.sys),
        chan: Arc::downgrade(chan),
        sent,
        var: args.get(1).cloned(),
        maxdigits,
    })));
    Ok(())
}
