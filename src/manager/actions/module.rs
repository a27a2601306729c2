//! Module and logger actions: Reload (`action_reload`), ModuleCheck,
//! ModuleLoad and LoggerRotate.

use super::{BoxFuture, now};
use crate::core::modules::{self, ModuleFile, ReloadResult};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

pub fn reload<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let module = m.get("Module");
    let sys = s.sys().clone();
    let name = (!module.is_empty()).then_some(module);
    now(Flow::Reply(match modules::reload(&sys, name) {
        ReloadResult::NotFound => Reply::error(m, "No such module"),
        ReloadResult::NotImplemented => Reply::error(m, "Module does not support reload"),
        ReloadResult::Error => Reply::error(m, "An unknown error occurred"),
        ReloadResult::InProgress => Reply::error(m, "A reload is in progress"),
        ReloadResult::Uninitialized => Reply::error(m, "Module not initialized"),
        ReloadResult::Queued | ReloadResult::Success => Reply::ack(m, "Module Reloaded"),
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
            modules::reload(&sys, None);
            Reply::ack(m, "All modules reloaded")
        }
        "reload" => match modules::reload(&sys, Some(module)) {
            ReloadResult::NotFound => Reply::error(m, "No such module."),
            ReloadResult::NotImplemented => {
                Reply::error(m, "Module does not support reload action.")
            }
            ReloadResult::Error => Reply::error(m, "An unknown error occurred"),
            ReloadResult::InProgress => Reply::error(m, "A reload is in progress"),
            ReloadResult::Uninitialized => Reply::error(m, "Module not initialized"),
            ReloadResult::Queued | ReloadResult::Success => Reply::ack(m, "Module reloaded."),
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
