//! Dialplan and device-state actions: ExtensionState (`manager.c`),
//! ExtensionStateList and ShowDialPlan (`pbx.c`), DeviceStateList
//! (`res_manager_devicestate.c`).

use super::{BoxFuture, now};
use crate::core::devicestate::{self, DeviceState, hint_of};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};
use crate::pbx::dialplan::{Context, PRIORITY_HINT};

/// `action_extensionstate`.
pub fn extension_state<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let exten = m.get("Exten");
    if exten.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Extension not specified")));
    }
    let context = match m.get("Context") {
        "" => "default",
        c => c,
    };
    let sys = s.sys();
    let hint = hint_of(sys, context, exten);
    // No hint: -1, which has no name.
    let (status, text) = match &hint {
        Some(h) => {
            let st = devicestate::extension_state(sys, h);
            (st.number(), st.as_str())
        }
        None => (-1, "Unknown"),
    };
    let mut r = Reply::start("Success", m);
    r.line("Message", "Extension Status")
        .line("Exten", exten)
        .line("Context", context)
        .line("Hint", hint.as_deref().unwrap_or(""))
        .line("Status", status)
        .line("StatusText", text)
        .end();
    now(Flow::Reply(r))
}

/// `action_extensionstatelist`: every hint (patterns aside) with the state
/// it was last seen in.
pub fn extension_state_list<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys();
    let loaded = sys.loaded();
    let mut r = Reply::list_start(m, "Extension Statuses will follow");
    let mut n = 0;
    for (c, e, p) in devicestate::hints_in_order(&loaded.dialplan) {
        if e.name.starts_with('_') {
            continue;
        }
        n += 1;
        let st = sys
            .pbx
            .devstates
            .laststate(&c.name, &e.name)
            .unwrap_or_else(|| devicestate::extension_state(sys, &p.app));
        r.item("ExtensionStatus", m)
            .line("Exten", &e.name)
            .line("Context", &c.name)
            .line("Hint", &p.app)
            .line("Status", st.number())
            .line("StatusText", st.as_str())
            .end();
    }
    r.list_complete(m, "ExtensionStateListComplete", n);
    now(Flow::Reply(r))
}

/// `action_devicestatelist`: the cached device states.
pub fn device_state_list<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let states: Vec<(String, DeviceState)> = s.sys().pbx.devstates.cached_all();
    let mut r = Reply::list_start(m, "Device State Changes will follow");
    for (device, state) in &states {
        r.item("DeviceStateChange", m)
            .line("Device", device)
            .line("State", state.token())
            .end();
    }
    r.list_complete(m, "DeviceStateListComplete", states.len());
    now(Flow::Reply(r))
}

/// `struct dialplan_counters`.
#[derive(Default)]
struct Counters {
    total_items: usize,
    total_context: usize,
    total_exten: usize,
    total_prio: usize,
    context_existence: bool,
    extension_existence: bool,
}

/// What `manager_show_dialplan_helper` walks.
struct Walk<'a> {
    contexts: &'a [Context],
    m: &'a Message,
    out: Reply,
    dpc: Counters,
}

impl Walk<'_> {
    /// The list's opening response goes out with the first item.
    fn item(&mut self) -> &mut Reply {
        self.dpc.total_items += 1;
        if self.dpc.total_items == 1 {
            self.out
                .append(Reply::list_start(self.m, "DialPlan list will follow"));
        }
        self.out.item("ListDialplan", self.m)
    }

    /// One context (or all, `context` None), following includes when an
    /// extension is asked for. `stack` holds the includes followed so far.
    fn helper(
        &mut self,
        context: Option<&str>,
        exten: Option<&str>,
        included: bool,
        stack: &mut Vec<String>,
    ) {
        let contexts = self.contexts;
        for c in contexts {
            if context.is_some_and(|n| n != c.name) {
                continue;
            }
            self.dpc.context_existence = true;
            self.dpc.total_context += 1;
            for e in &c.extensions {
                if let Some(x) = exten {
                    if !crate::pbx::pattern::extension_match(&e.name, x).is_match() {
                        continue;
                    }
                }
                self.dpc.extension_existence = true;
                self.dpc.total_exten += 1;
                for p in &e.priorities {
                    self.dpc.total_prio += 1;
                    let r = self.item();
                    r.line("Context", &c.name).line("Extension", &e.name);
                    if let Some(l) = &p.label {
                        r.line("ExtensionLabel", l);
                    }
                    if p.priority == PRIORITY_HINT {
                        r.line("Priority", "hint").line("Application", &p.app);
                    } else {
                        r.line("Priority", p.priority)
                            .line("Application", &p.app)
                            .line("AppData", &p.data);
                    }
                    r.line("Registrar", &c.registrar).end();
                }
            }
            for inc in &c.includes {
                if exten.is_some() {
                    // Asterisk's include-depth limit (AST_PBX_MAX_STACK).
                    if stack.len() >= 512 {
                        continue;
                    }
                    // The include's whole text names it, as Asterisk's
                    // `ast_get_include_name` does.
                    if stack.iter().any(|s| s.eq_ignore_ascii_case(&inc.value)) {
                        continue;
                    }
                    stack.push(inc.value.clone());
                    self.helper(Some(&inc.value), exten, true, stack);
                } else {
                    let r = self.item();
                    r.line("Context", &c.name)
                        .line("IncludeContext", &inc.value)
                        .line("Registrar", &c.registrar)
                        .end();
                }
            }
            for ip in &c.ignorepats {
                let pat = format!("_{ip}.");
                if exten.is_none_or(|x| crate::pbx::pattern::extension_match(&pat, x).is_match()) {
                    let r = self.item();
                    r.line("Context", &c.name)
                        .line("IgnorePattern", ip)
                        .line("Registrar", &c.registrar)
                        .end();
                }
            }
            if !included {
                for sw in &c.switches {
                    let r = self.item();
                    r.line("Context", &c.name)
                        .line("Switch", format!("{}/{}", sw.module, sw.data))
                        .line("Registrar", &c.registrar)
                        .end();
                }
            }
        }
    }
}

/// `manager_show_dialplan`.
pub fn show_dialplan<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let contexts = crate::cli::dialplan::walk_order(s.sys());
    let exten = Some(m.get("Extension")).filter(|x| !x.is_empty());
    let context = Some(m.get("Context")).filter(|x| !x.is_empty());
    let mut w = Walk {
        contexts: &contexts,
        m,
        out: Reply::new(),
        dpc: Counters::default(),
    };
    w.helper(context, exten, false, &mut Vec::new());
    let Walk { mut out, dpc, .. } = w;
    // An error after items already sent follows them, as in Asterisk.
    if let Some(c) = context {
        if !dpc.context_existence {
            out.append(Reply::error(m, &format!("Did not find context {c}")));
            return now(Flow::Reply(out));
        }
    }
    if let Some(x) = exten {
        if !dpc.extension_existence {
            let msg = match context {
                Some(c) => format!("Did not find extension {x}@{c}"),
                None => format!("Did not find extension {x} in any context"),
            };
            out.append(Reply::error(m, &msg));
            return now(Flow::Reply(out));
        }
    }
    if dpc.total_items == 0 {
        out.append(Reply::list_start(m, "DialPlan list will follow"));
    }
    out.list_complete_open(m, "ShowDialPlanComplete", dpc.total_items)
        .line("ListExtensions", dpc.total_exten)
        .line("ListPriorities", dpc.total_prio)
        .line("ListContexts", dpc.total_context)
        .end();
    now(Flow::Reply(out))
}

/// `exten/cid`: the extension and its caller-id match (`strsep` at the
/// first `/`).
fn split_cid(extension: &str) -> (&str, Option<&str>) {
    match extension.split_once('/') {
        Some((e, c)) => (e, Some(c)),
        None => (extension, None),
    }
}

/// DialplanExtensionAdd (pbx_config's `manager_dialplan_extension_add`).
pub fn dialplan_extension_add<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (context, extension, priority, app) = (
        m.get("Context"),
        m.get("Extension"),
        m.get("Priority"),
        m.get("Application"),
    );
    if context.is_empty() || extension.is_empty() || priority.is_empty() || app.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "Context, Extension, Priority, and Application must be defined for DialplanExtensionAdd.",
        )));
    }
    let ipriority = if priority == "hint" {
        PRIORITY_HINT
    } else {
        match crate::funcs::c::scan_int(priority).map(|(p, _)| p) {
            Some(p) if p >= 0 => p,
            _ => {
                return now(Flow::Reply(Reply::error(
                    m,
                    "The priority specified was invalid.",
                )));
            }
        }
    };
    let (exten, cid) = split_cid(extension);
    let replace = crate::config::is_true(m.get("Replace"));
    let data = m.get("ApplicationData");
    let added =
        crate::pbx::add_extension(s.sys(), context, exten, cid, ipriority, app, data, replace);
    now(Flow::Reply(if added {
        Reply::ack(m, "Added requested extension")
    } else if exten.is_empty() {
        Reply::error(m, "Failed to add extension")
    } else {
        Reply::error(
            m,
            "That extension and priority already exist at that context",
        )
    }))
}

/// DialplanExtensionRemove (`manager_dialplan_extension_remove`).
pub fn dialplan_extension_remove<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (context, extension, priority) = (m.get("Context"), m.get("Extension"), m.get("Priority"));
    if context.is_empty() || extension.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "Context and Extension must be provided for DialplanExtensionRemove",
        )));
    }
    let ipriority = if priority.is_empty() {
        0
    } else if priority == "hint" {
        PRIORITY_HINT
    } else {
        match crate::funcs::c::scan_int(priority).map(|(p, _)| p) {
            Some(p) if p > 0 => p,
            _ => {
                return now(Flow::Reply(Reply::error(
                    m,
                    "The priority specified was invalid.",
                )));
            }
        }
    };
    let (exten, cid) = split_cid(extension);
    let removed = crate::pbx::remove_extension(
        s.sys(),
        context,
        exten,
        cid.filter(|c| !c.is_empty()),
        ipriority,
    );
    now(Flow::Reply(match (removed, ipriority) {
        (true, 0) => Reply::ack(m, "Removed the requested extension"),
        (true, _) => Reply::ack(m, "Removed the requested priority from the extension"),
        (false, _) => Reply::error(m, "Failed to remove requested extension"),
    }))
}
