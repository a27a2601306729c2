//! DBGet, DBGetTree, DBPut, DBDel, DBDelTree (main/db.c's manager
//! actions).

use super::{BoxFuture, now};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

pub fn put<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (family, key) = (m.get("Family"), m.get("Key"));
    let r = if family.is_empty() {
        Reply::error(m, "No family specified")
    } else if key.is_empty() {
        Reply::error(m, "No key specified")
    } else {
        match s.sys().db.put(family, key, m.get("Val")) {
            Ok(()) => Reply::ack(m, "Updated database successfully"),
            Err(_) => Reply::error(m, "Failed to update entry"),
        }
    };
    now(Flow::Reply(r))
}

pub fn get<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (family, key) = (m.get("Family"), m.get("Key"));
    if family.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No family specified.")));
    }
    if key.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No key specified.")));
    }
    let r = match s.sys().db.get(family, key) {
        Ok(Some(val)) => {
            let mut r = Reply::list_start(m, "Result will follow");
            r.line("Event", "DBGetResponse")
                .line("Family", family)
                .line("Key", key)
                .line("Val", val)
                .action_id(m)
                .end();
            r.list_complete(m, "DBGetComplete", 1);
            r
        }
        _ => Reply::error(m, "Database entry not found"),
    };
    now(Flow::Reply(r))
}

pub fn gettree<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (family, key) = (m.get("Family"), m.get("Key"));
    // Asterisk ignores a key given without a family.
    let key = if family.is_empty() { "" } else { key };
    let r = match s.sys().db.gettree(family, key) {
        Ok(entries) => {
            let mut r = Reply::list_start(m, "Result will follow");
            for e in &entries {
                r.line("Event", "DBGetTreeResponse")
                    .line("Key", &e.key)
                    .line("Val", &e.value)
                    .action_id(m)
                    .end();
            }
            r.list_complete(m, "DBGetTreeComplete", entries.len());
            r
        }
        Err(_) => Reply::error(m, "Unable to search database"),
    };
    now(Flow::Reply(r))
}

pub fn del<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (family, key) = (m.get("Family"), m.get("Key"));
    let r = if family.is_empty() {
        Reply::error(m, "No family specified.")
    } else if key.is_empty() {
        Reply::error(m, "No key specified.")
    } else {
        match s.sys().db.del_existing(family, key) {
            Ok(()) => Reply::ack(m, "Key deleted successfully"),
            Err(_) => Reply::error(m, "Database entry could not be deleted"),
        }
    };
    now(Flow::Reply(r))
}

pub fn deltree<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (family, key) = (m.get("Family"), m.get("Key"));
    let r = if family.is_empty() {
        Reply::error(m, "No family specified.")
    } else {
        match s.sys().db.deltree(family, key) {
            Ok(0) => Reply::error(m, "Database entry not found"),
            Ok(_) => Reply::ack(m, "Key tree deleted successfully"),
            Err(_) => Reply::error(m, "Database unavailable"),
        }
    };
    now(Flow::Reply(r))
}
