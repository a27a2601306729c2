//! ClearHash (Asterisk's `funcs/func_strings.c`): removes every key of a
//! hash made with HASH() from the channel.

use super::{App, AppCtx, AppResult, Run};
use crate::pbx::vars::strip_inheritance;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "ClearHash",
        run: Run::Now(clearhash),
        synopsis: "Deletes all the keys of a hash from the channel.",
        syntax: "ClearHash(hashname)",
    }]
}

fn clearhash(ctx: &AppCtx, data: &str) -> AppResult {
    let prefix = crate::funcs::hash::hash_prefix(data);
    let mut data = ctx.chan.lock();
    let doomed: Vec<String> = data
        .vars
        .iter()
        .filter(|(n, _)| strip_inheritance(n).starts_with(&prefix))
        .map(|(n, _)| n.to_string())
        .collect();
    for name in doomed {
        data.vars.remove_first(&name);
    }
    Ok(())
}
