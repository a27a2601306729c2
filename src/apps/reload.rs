//! Reload (Asterisk's `app_reload.c` over `ast_module_reload`): reloads
//! the named modules, or all of them, and says in RELOADSTATUS whether
//! every one reloaded.

use super::{App, AppCtx, AppFuture, AppResult, Run};
use crate::core::modules::{self, ReloadResult};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Reload",
        run: Run::Wait(reload),
        synopsis: "Reloads the named modules, or everything.",
        syntax: "Reload([module[,module...]])",
    }]
}

fn reload<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { reload_exec(ctx, &data) })
}

fn reload_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let ok = if data.is_empty() {
        modules::reload(&ctx.sys, None) == ReloadResult::Success
    } else {
        let mut rest = Some(data);
        let mut all = true;
        while let Some(target) = crate::config::views::geolocation::strsep(&mut rest, b',') {
            // Every target is tried, whatever the ones before did.
            all &= modules::reload(&ctx.sys, Some(&target)) == ReloadResult::Success;
        }
        all
    };
    ctx.set_var("RELOADSTATUS", Some(if ok { "SUCCESS" } else { "FAILURE" }));
    Ok(())
}
