//! The dialplan: patterns and their order, contexts, time specifications,
//! variables, substitution, and the run loop that executes it on channels.

pub mod dialplan;
pub mod expr;
pub mod find;
pub mod originate;
pub mod pattern;
pub mod run;
pub mod spool;
pub mod subst;
pub mod timing;
pub mod vars;

use std::sync::{Arc, RwLock};

pub use dialplan::Dialplan;

use crate::channels::{Channel, Channels};
use crate::core::System;
use crate::core::events::EventKind;
use crate::core::logger::Logger;
use vars::VarList;

/// The running dialplan engine's shared state (what `main/pbx.c` keeps in
/// statics): globals, live channels, the logger.
pub struct Pbx {
    globals: RwLock<VarList>,
    pub channels: Channels,
    pub logger: Logger,
    /// Device states and hint states (`devicestate.c`).
    pub devstates: crate::core::devicestate::DeviceStates,
    /// Mailboxes' message-waiting states (`main/mwi.c`).
    pub mwi: crate::core::mwi::MwiStates,
}

impl Pbx {
    pub fn new(options: &crate::config::asterisk_conf::CoreOptions, logger: Logger) -> Self {
        Self {
            globals: RwLock::new(VarList::new()),
            channels: Channels::new(&options.system_name)
                .with_default_language(&options.default_language),
            logger,
            devstates: Default::default(),
            mwi: Default::default(),
        }
    }

    pub fn global(&self, name: &str) -> Option<String> {
        match self.globals.read() {
            Ok(g) => g.get(name).map(str::to_string),
            Err(p) => p.into_inner().get(name).map(str::to_string),
        }
    }

    /// Globals, newest first, as `dialplan show globals` lists them.
    pub fn globals(&self) -> Vec<(String, String)> {
        let g = match self.globals.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn with_globals<R>(&self, f: impl FnOnce(&mut VarList) -> R) -> R {
        match self.globals.write() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Loads `[globals]` from extensions.conf (`pbx_config` on load and on
    /// `dialplan reload`; `clearglobalvars` empties them first).
    pub fn load_globals(&self, plan: &Dialplan) {
        self.with_globals(|g| {
            if plan.general.clearglobalvars {
                g.clear();
            }
            for (n, v) in &plan.globals {
                g.set(n, Some(v));
            }
        });
        for (n, v) in &plan.globals {
            self.logger.verbose(
                2,
                crate::site!("pbx_variables.c", 1275, "pbx_builtin_setvar_helper"),
                None,
                &format!("Setting global variable '{n}' to '{v}'"),
            );
            // Nobody hears this at start; after a reload the manager does.
            self.channels
                .events
                .publish_system(EventKind::GlobalVarSet {
                    variable: n.clone(),
                    value: v.clone(),
                });
        }
    }
}

/// `pbx_builtin_setvar_helper`: sets a channel variable, or a global when
/// there is no channel; a name ending in `)` writes a function instead.
pub fn set_var(sys: &System, chan: Option<&Arc<Channel>>, name: &str, value: Option<&str>) {
    if name.ends_with(')') {
        crate::funcs::write(sys, chan, name, value.unwrap_or(""));
        return;
    }
    match chan {
        Some(c) => match value {
            Some(v) => c.set_var_event(name, v),
            None => c.unset_var_event(name),
        },
        None => set_global(sys, name, value),
    }
}

/// Adds a priority to the live dialplan as pbx_config does for the
/// manager's DialplanExtensionAdd and the CLI's `dialplan add extension`,
/// logging what pbx.c logs; `false` when the priority is taken.
#[allow(clippy::too_many_arguments)]
pub fn add_extension(
    sys: &System,
    context: &str,
    exten: &str,
    cid: Option<&str>,
    priority: i32,
    app: &str,
    data: &str,
    replace: bool,
) -> bool {
    // A hint that replaces one is moved, not added: nobody is told.
    let had_hint = priority == dialplan::PRIORITY_HINT
        && sys.loaded().dialplan.context(context).is_some_and(|c| {
            c.extensions
                .iter()
                .any(|e| e.name.eq_ignore_ascii_case(exten) && e.hint().is_some())
        });
    let mut outcome = (false, Vec::new());
    sys.update_dialplan(|dp| {
        outcome = dp.add_at_runtime(
            context,
            exten,
            cid,
            priority,
            app,
            data,
            replace,
            dialplan::REGISTRAR,
        );
    });
    for d in &outcome.1 {
        sys.pbx.logger.deferred(d, None);
    }
    // A hint added: it gets its first state, and the manager hears of it.
    sys.pbx
        .devstates
        .sync_hints(sys, crate::core::devicestate::HintEnd::Deactivated);
    if outcome.0 && priority == dialplan::PRIORITY_HINT && cid.is_none() && !had_hint {
        sys.pbx
            .devstates
            .announce_added_hints(sys, [(context, exten, app)]);
    }
    outcome.0
}

/// Removes an extension (`priority` 0) or one of its priorities from the
/// live dialplan as pbx_config, logging what pbx.c logs; `false` when
/// nothing was removed.
pub fn remove_extension(
    sys: &System,
    context: &str,
    exten: &str,
    cid: Option<&str>,
    priority: i32,
) -> bool {
    let mut outcome = (false, Vec::new());
    sys.update_dialplan(|dp| {
        outcome = dp.remove_at_runtime(context, exten, cid, priority, dialplan::REGISTRAR);
    });
    for d in &outcome.1 {
        sys.pbx.logger.deferred(d, None);
    }
    // A hint removed with its extension: its watchers are told.
    sys.pbx
        .devstates
        .sync_hints(sys, crate::core::devicestate::HintEnd::Deactivated);
    outcome.0
}

/// Sets a global variable, with the verbose line Asterisk prints.
pub fn set_global(sys: &System, name: &str, value: Option<&str>) {
    sys.pbx.with_globals(|g| g.set(name, value));
    if let Some(v) = value {
        sys.pbx.logger.verbose(
            2,
            crate::site!("pbx_variables.c", 1275, "pbx_builtin_setvar_helper"),
            None,
            &format!("Setting global variable '{name}' to '{v}'"),
        );
        sys.pbx
            .channels
            .events
            .publish_system(EventKind::GlobalVarSet {
                variable: name.to_string(),
                value: v.to_string(),
            });
    }
}

/// `pbx_builtin_getvar_helper`: a channel variable, else a global.
pub fn get_var(sys: &System, chan: Option<&Arc<Channel>>, name: &str) -> Option<String> {
    if let Some(c) = chan {
        if let Some(v) = c.get_var(name) {
            return Some(v);
        }
    }
    sys.pbx.global(name)
}
