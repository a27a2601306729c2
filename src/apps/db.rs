//! DBdeltree (Asterisk's `apps/app_db.c`): deletes a family, or a key
//! tree within one, from the AstDB.

use super::{App, AppCtx, AppResult, Run};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "DBdeltree",
        run: Run::Now(deltree_exec),
        synopsis: "Deletes a family or a key tree from the AstDB.",
        syntax: "DBdeltree(family[/keytree])",
    }]
}

/// The argument splits at its first `/`; an empty key tree is the whole
/// family, and an empty family (no argument at all) is the whole
/// database, as `ast_db_deltree` takes it.
fn deltree_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let (family, keytree) = data.split_once('/').unwrap_or((data, ""));
    if keytree.is_empty() {
        ctx.verbose(
            3,
            crate::site!("app_db.c", 92, "deltree_exec"),
            &format!("DBdeltree: family={family}"),
        );
    } else {
        ctx.verbose(
            3,
            crate::site!("app_db.c", 90, "deltree_exec"),
            &format!("DBdeltree: family={family}, keytree={keytree}"),
        );
    }
    if ctx.sys.db.deltree(family, keytree).is_err() {
        ctx.verbose(
            3,
            crate::site!("app_db.c", 96, "deltree_exec"),
            "DBdeltree: Error deleting key from database.",
        );
    }
    Ok(())
}
