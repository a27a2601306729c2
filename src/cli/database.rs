//! `database …` commands (Asterisk's `main/db.c` CLI) over AstDB.

use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;
use crate::core::astdb::{DbError, Entry};

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "database show",
            "Usage: database show [family [keytree]]\n   OR: database show [family[/keytree]]\n       Lists AstDB entries: all of them, one family's, or one key\n       tree's within a family (a space or a slash between the two).\n",
            show,
        )
        .summary("Lists AstDB entries, all or one family or key tree"),
        CliEntry::new(
            "database showkey",
            "Usage: database showkey <keytree>\n       Lists AstDB entries whose key ends in <keytree>, in any family.\n",
            showkey,
        ),
        CliEntry::new(
            "database get",
            "Usage: database get <family> <key>\n       Prints the value stored in AstDB under family and key.\n",
            get,
        ),
        CliEntry::new(
            "database put",
            "Usage: database put <family> <key> <value>\n       Stores a value in AstDB under family and key, replacing any\n       value already there.\n",
            put,
        ),
        CliEntry::new(
            "database del",
            "Usage: database del <family> <key>\n       Removes one AstDB entry.\n",
            del,
        ),
        CliEntry::new(
            "database deltree",
            "Usage: database deltree <family> [keytree]\n   OR: database deltree <family>[/keytree]\n       Removes a whole family from AstDB, or one key tree within it\n       (a space or a slash between the two).\n",
            deltree,
        )
        .summary("Removes a family or key tree from AstDB"),
        CliEntry::new(
            "database query",
            "Usage: database query \"<SQL Statement>\"\n       Runs SQL of your own on the AstDB SQLite file. Take care.\n",
            query,
        ),
    ]
}

/// Logs a store failure the way Asterisk's db.c does.
fn log_db_error(sys: &System, e: &DbError) {
    sys.pbx.logger.warning(
        crate::site!("db.c", 0, "db_execute_sql"),
        None,
        &e.to_string(),
    );
}

fn list(out: &mut String, entries: &[Entry]) {
    for e in entries {
        out.push_str(&format!("{:<50}: {:<25}\n", e.key, e.value));
    }
    out.push_str(&format!("{} results found.\n", entries.len()));
}

fn show(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() > 4 {
        return CliResult::ShowUsage;
    }
    let family = a.arg(2).unwrap_or("");
    let keytree = a.arg(3).unwrap_or("");
    match sys.db.gettree(family, keytree) {
        Ok(entries) => list(out, &entries),
        Err(e) => {
            log_db_error(sys, &e);
            list(out, &[]);
        }
    }
    CliResult::Success
}

fn showkey(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    match sys.db.showkey(a.arg(2).unwrap_or("")) {
        Ok(entries) => list(out, &entries),
        Err(e) => {
            log_db_error(sys, &e);
            list(out, &[]);
        }
    }
    CliResult::Success
}

fn get(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (Some(family), Some(key), 4) = (a.arg(2), a.arg(3), a.argc()) else {
        return CliResult::ShowUsage;
    };
    match sys.db.get(family, key) {
        Ok(Some(v)) => out.push_str(&format!("Value: {v}\n")),
        Ok(None) => out.push_str("Database entry not found.\n"),
        Err(e) => {
            log_db_error(sys, &e);
            out.push_str("Database entry not found.\n");
        }
    }
    CliResult::Success
}

fn put(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (Some(family), Some(key), Some(value), 5) = (a.arg(2), a.arg(3), a.arg(4), a.argc()) else {
        return CliResult::ShowUsage;
    };
    match sys.db.put(family, key, value) {
        Ok(()) => out.push_str("Updated database successfully\n"),
        Err(e) => {
            log_db_error(sys, &e);
            out.push_str("Failed to update entry\n");
        }
    }
    CliResult::Success
}

fn del(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (Some(family), Some(key), 4) = (a.arg(2), a.arg(3), a.argc()) else {
        return CliResult::ShowUsage;
    };
    match sys.db.del_existing(family, key) {
        Ok(()) => out.push_str("Database entry removed.\n"),
        Err(e) => {
            log_db_error(sys, &e);
            out.push_str("Database entry could not be removed.\n");
        }
    }
    CliResult::Success
}

fn deltree(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if !(3..=4).contains(&a.argc()) {
        return CliResult::ShowUsage;
    }
    match sys
        .db
        .deltree(a.arg(2).unwrap_or(""), a.arg(3).unwrap_or(""))
    {
        Ok(0) => out.push_str("Database entries do not exist.\n"),
        Ok(n) => out.push_str(&format!("{n} database entries removed.\n")),
        Err(e) => {
            log_db_error(sys, &e);
            out.push_str("Database unavailable.\n");
        }
    }
    CliResult::Success
}

fn query(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (Some(sql), 3) = (a.arg(2), a.argc()) else {
        return CliResult::ShowUsage;
    };
    match sys.db.query(sql) {
        Ok(rows) => {
            for row in rows {
                for (col, value) in row {
                    out.push_str(&format!("{col:<5}: {value:<50}\n"));
                }
                out.push('\n');
            }
        }
        Err(e) => sys.pbx.logger.warning(
            crate::site!("db.c", 335, "db_execute_sql"),
            None,
            &format!("Error executing SQL ({sql}): {e}"),
        ),
    }
    CliResult::Success
}
