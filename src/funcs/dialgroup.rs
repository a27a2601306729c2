//! DIALGROUP (Asterisk's `func_dialgroup.c`): named lists of interfaces
//! kept in memory, each also saved in AstDB as `dialgroup/<group>` (the
//! interfaces joined with `&`) and read back from there when Asterism
//! starts.

use std::sync::Mutex;

use super::{Failed, FuncCtx, Function};
use crate::core::System;

const FILE: &str = "func_dialgroup.c";
/// AstDB family the groups are saved under.
const FAMILY: &str = "dialgroup";
/// Asterisk keeps an interface in `char[AST_CHANNEL_NAME]` and a group
/// name in `char[AST_MAX_EXTENSION]`: both cut at 79 bytes.
const NAME_MAX: usize = 80;
/// The hash buckets Asterisk spreads a group's interfaces over; reading a
/// group lists them bucket by bucket.
const BUCKETS: u32 = 37;
/// The buffer a dialplan read fills (`VAR_BUF_SIZE`).
const READ_BUF: usize = 4096;

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "DIALGROUP",
        read: Some(dialgroup_read),
        write: Some(dialgroup_write),
        synopsis: "Reads or changes a named group of interfaces to dial, saved in AstDB.",
        syntax: "DIALGROUP(group[,op])",
    }]
}

/// Every dial group (`group_container`).
#[derive(Debug, Default)]
pub struct Groups {
    groups: Mutex<Vec<Group>>,
}

#[derive(Debug)]
struct Group {
    /// As stored (cut); found by comparing with the full name asked for.
    name: String,
    /// In the order added.
    entries: Vec<String>,
}

/// `ast_str_hash`: djb2 with xor, kept positive.
fn str_hash(s: &str) -> u32 {
    let mut h: u32 = 5381;
    for b in crate::core::raw::encode(s).iter() {
        h = h.wrapping_mul(33) ^ u32::from(*b);
    }
    h & 0x7fff_ffff
}

impl Group {
    /// The interfaces as an ao2 hash container iterates them: by bucket,
    /// then in the order added.
    fn ordered(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.entries.iter().map(String::as_str).collect();
        v.sort_by_key(|e| str_hash(e) % BUCKETS);
        v
    }
}

/// C `ast_copy_string` into `size` bytes.
fn cut(s: &str) -> String {
    super::hash::cut(s.to_string(), NAME_MAX)
}

fn byte_len(s: &str) -> usize {
    crate::core::raw::encode(s).len()
}

/// Loads the groups AstDB holds, as func_dialgroup does when it loads:
/// each key's last `/` part names the group.
pub fn load(sys: &System) {
    let Ok(entries) = sys.db.gettree(FAMILY, "") else {
        return;
    };
    for e in entries {
        if let Some(i) = e.key.rfind('/') {
            let name = cut(&e.key[i + 1..]);
            write(sys, &name, None, &e.value);
        }
    }
}

fn dialgroup_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let groups = crate::core::lock(&ctx.sys.dialgroups.groups);
    let Some(group) = groups.iter().find(|g| g.name == data) else {
        ctx.warning(
            crate::site!(FILE, 142, "dialgroup_read"),
            &format!("No such dialgroup '{data}'"),
        );
        return Err(Failed);
    };
    // Only whole names go in; the first that does not fit is reported,
    // and a shorter one after it may still fit.
    let mut out = String::new();
    let mut used = 0usize;
    let mut warned = false;
    for e in group.ordered() {
        let n = byte_len(e);
        if READ_BUF - used > n + 2 {
            if used != 0 {
                out.push('&');
                used += 1;
            }
            out.push_str(e);
            used += n;
        } else if !warned {
            warned = true;
            ctx.warning(
                crate::site!(FILE, 160, "dialgroup_read"),
                &format!("Dialgroup '{data}' is too large.  Truncating list."),
            );
        }
    }
    Ok(out)
}

fn dialgroup_write(ctx: &FuncCtx<'_>, data: &str, value: &str) -> Result<(), Failed> {
    let args = super::c::app_args(data, 2);
    let group = args.first().map(String::as_str).unwrap_or("");
    let op = args.get(1).map(String::as_str).filter(|o| !o.is_empty());
    write_logged(ctx.sys, group, op, value, Some(ctx));
    Ok(())
}

fn write(sys: &System, group: &str, op: Option<&str>, value: &str) {
    write_logged(sys, group, op, value, None);
}

/// `dialgroup_write`: no operation replaces the group, `add` adds what is
/// not there yet, `del…` removes; anything else is refused, though a new
/// group is created (empty) all the same. Each change is saved.
fn write_logged(
    sys: &System,
    group: &str,
    op: Option<&str>,
    value: &str,
    ctx: Option<&FuncCtx<'_>>,
) {
    let warn = |site: &crate::core::logger::Site<'_>, msg: &str| match ctx {
        Some(c) => c.warning(site, msg),
        None => sys.pbx.logger.warning(site, None, msg),
    };
    let faces = crate::apps::app_separate_args(value, b'&', true, 100);
    let mut groups = crate::core::lock(&sys.dialgroups.groups);
    let ix = match groups.iter().position(|g| g.name == group) {
        Some(i) => i,
        None => {
            groups.push(Group {
                name: cut(group),
                entries: Vec::new(),
            });
            groups.len() - 1
        }
    };
    let g = &mut groups[ix];
    let op = match op {
        Some(op) => op,
        None => {
            g.entries.clear();
            "add"
        }
    };
    if op.eq_ignore_ascii_case("add") {
        for f in &faces {
            // Duplicates are found by the full name, stored cut.
            if !g.entries.iter().any(|e| e == f) {
                g.entries.push(cut(f));
            }
        }
    } else if op.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("del")) {
        for f in &faces {
            match g.entries.iter().position(|e| e == f) {
                Some(i) => {
                    g.entries.remove(i);
                }
                None => warn(
                    crate::site!(FILE, 273, "dialgroup_write"),
                    &format!("Interface '{f}' not found in dialgroup '{}'", g.name),
                ),
            }
        }
    } else {
        let msg = format!("Unrecognized operation: {op}");
        let site = crate::site!(FILE, 277, "dialgroup_write");
        match ctx {
            Some(c) => c.error(site, &msg),
            None => sys.pbx.logger.error(site, None, &msg),
        }
        return;
    }
    // `dialgroup_refreshdb` finds the group again by the name as given.
    let Some(g) = groups.iter().find(|g| g.name == group) else {
        return;
    };
    let joined = g.ordered().join("&");
    let r = if joined.is_empty() {
        sys.db.del(FAMILY, group)
    } else {
        sys.db.put(FAMILY, group, &joined)
    };
    if let Err(e) = r {
        sys.pbx.logger.warning(
            crate::site!("db.c", 0, "db_execute_sql"),
            None,
            &e.to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::{read, test_system, write};

    #[test]
    fn groups_in_hash_order_and_saved() {
        let (_dir, sys) = test_system(&[]);
        assert!(write(&sys, None, "DIALGROUP(g)", "SIP/a&SIP/b&SIP/c&SIP/a"));
        let listed = read(&sys, None, "DIALGROUP(g)").expect("group");
        // Bucket order of ast_str_hash % 37, not insertion order.
        let mut expected = ["SIP/a", "SIP/b", "SIP/c"];
        expected.sort_by_key(|e| super::str_hash(e) % super::BUCKETS);
        assert_eq!(listed, expected.join("&"));
        assert_eq!(
            sys.db.get("dialgroup", "g").expect("db").as_deref(),
            Some(listed.as_str())
        );
        assert!(write(&sys, None, "DIALGROUP(g,add)", "SIP/d"));
        assert!(
            read(&sys, None, "DIALGROUP(g)")
                .expect("group")
                .contains("SIP/d")
        );
        assert!(write(
            &sys,
            None,
            "DIALGROUP(g,delete)",
            "SIP/a&SIP/b&SIP/c&SIP/d"
        ));
        assert_eq!(read(&sys, None, "DIALGROUP(g)").as_deref(), Some(""));
        assert_eq!(sys.db.get("dialgroup", "g").expect("db"), None);
        // A bad operation still creates the group.
        assert!(write(&sys, None, "DIALGROUP(h,nonsense)", "x"));
        assert_eq!(read(&sys, None, "DIALGROUP(h)").as_deref(), Some(""));
        assert_eq!(read(&sys, None, "DIALGROUP(nope)"), None);
    }

    #[test]
    fn djb2_as_asterisk() {
        // ast_str_hash("") is 5381; one letter is 5381 * 33 ^ byte.
        assert_eq!(super::str_hash(""), 5381);
        assert_eq!(super::str_hash("a"), (5381u32 * 33) ^ 97);
    }

    #[test]
    fn groups_come_back_from_astdb() {
        let (dir, sys) = test_system(&[("modules.conf", "[modules]\nautoload = yes\n")]);
        sys.db
            .put("dialgroup", "saved", "SIP/x&SIP/y")
            .expect("put");
        drop(sys);
        let sys = crate::core::System::start(&dir.path().join("asterisk.conf")).expect("restart");
        let listed = read(&sys, None, "DIALGROUP(saved)").expect("group");
        let mut got: Vec<&str> = listed.split('&').collect();
        got.sort();
        assert_eq!(got, vec!["SIP/x", "SIP/y"]);
    }
}
