//! Module and logger actions: Reload (`action_reload`), ModuleCheck,
//! ModuleLoad and LoggerRotate.

use super::{BoxFuture, now};
use crate::core::Part;
use crate::core::modules::{self, ModuleFile};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

pub fn reload<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let module = m.get("Module");
    let sys = s.sys().clone();
    let parts: Vec<Part> = if module.is_empty() {
        Part::ALL.to_vec()
    } else {
        match Part::by_module(module) {
            Some(p) => vec![p],
            None => return now(Flow::Reply(Reply::error(m, "No such module"))),
        }
    };
    now(Flow::Reply(match sys.reload(&parts) {
        Ok(()) => Reply::ack(m, "Module Reloaded"),
        Err(e) => {
            sys.pbx.logger.error(
                crate::site!("manager.c", 0, "action_reload"),
                None,
                &e.to_string(),
            );
            Reply::error(m, "An unknown error occurred")
        }
    }))
}

/// `manager_modulecheck`: the empty `Version` stays for old clients.
pub fn module_check<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    if !modules::is_loaded(s.sys(), m.get("Module")) {
        return now(Flow::Reply(Reply::error(m, "Module not loaded")));
    }
    let mut r = Reply::start("Success", m);
    r.line("Version", "").end();
    now(Flow::Reply(r))
}

/// `manager_moduleload`. Asterisk answers a missing LoadType or Module
/// and carries on, so one request can get two answers. Built-in modules
/// cannot be loaded again, unloaded or refreshed: those fail as they do
/// in Asterisk when the loader refuses.
pub fn module_load<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let module = m.get("Module");
    let loadtype = m.get("LoadType");
    let mut out = Reply::new();
    if loadtype.is_empty() {
        out.append(Reply::error(m, "Incomplete ModuleLoad action."));
    }
    if module.is_empty() && !loadtype.eq_ignore_ascii_case("reload") {
        out.append(Reply::error(m, "Need module name"));
    }
    match modules::module_file(&sys, module) {
        ModuleFile::Outside => {
            out.append(Reply::error(
                m,
                "Module must be in the configured modules directory.",
            ));
            return now(Flow::Reply(out));
        }
        ModuleFile::Missing => {
            out.append(Reply::error(m, "Module not found."));
            return now(Flow::Reply(out));
        }
        ModuleFile::Inside => {}
    }
    let reply = match loadtype.to_ascii_lowercase().as_str() {
        "load" => {
            if modules::is_loaded(&sys, module) {
                sys.pbx.logger.warning(
                    crate::site!("loader.c", 1939, "load_resource"),
                    None,
                    &format!("Module '{module}' already loaded and running."),
                );
            }
            Reply::error(m, "Could not load module.")
        }
        "unload" => Reply::error(m, "Could not unload module."),
        "refresh" => Reply::error(m, "Could not refresh module."),
        "reload" if module.is_empty() => {
            if let Err(e) = sys.reload(&Part::ALL) {
                sys.pbx.logger.error(
                    crate::site!("manager.c", 0, "manager_moduleload"),
                    None,
                    &e.to_string(),
                );
            }
            Reply::ack(m, "All modules reloaded")
        }
        "reload" => match Part::by_module(module) {
            Some(p) => match sys.reload(&[p]) {
                Ok(()) => Reply::ack(m, "Module reloaded."),
                Err(e) => {
                    sys.pbx.logger.error(
                        crate::site!("manager.c", 0, "manager_moduleload"),
                        None,
                        &e.to_string(),
                    );
                    Reply::error(m, "An unknown error occurred")
                }
            },
            None if modules::exists(module) => {
                Reply::error(m, "Module does not support reload action.")
            }
            None => Reply::error(m, "No such module."),
        },
        _ => Reply::error(m, "Incomplete ModuleLoad action."),
    };
    out.append(reply);
    now(Flow::Reply(out))
}

/// `action_loggerrotate`.
pub fn logger_rotate<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys();
    let conf = sys.loaded().logger.clone();
    sys.pbx.logger.rotate(&conf, &sys.conf.dirs.log);
    now(Flow::Reply(Reply::ack(
        m,
        "Reloaded the logger and rotated log files",
    )))
}
