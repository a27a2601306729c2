//! `dialplan show`, `dialplan reload`, `core show hints`.

use std::fmt::Write as _;

use super::complete::{Completion, names_at};
use super::{CliArgs, CliEntry, CliResult, pad};
use crate::core::{Part, System};
use crate::pbx::dialplan::{Context, Extension, PRIORITY_HINT, PatternError, Priority};
use crate::pbx::pattern::extension_match;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "dialplan show",
            "Usage: dialplan show [[exten@]context]\n       Lists the dialplan, one context, or the extensions matching exten in a context.\n",
            show,
        )
        .completing(complete_context),
        CliEntry::new(
            "dialplan reload",
            "Usage: dialplan reload\n       Re-reads extensions.conf; a file with errors leaves the running dialplan as it was.\n",
            reload,
        ),
        CliEntry::new(
            "dialplan show globals",
            "Usage: dialplan show globals\n       Lists the global variables and their values.\n",
            show_globals,
        ),
        CliEntry::new(
            "dialplan show chanvar",
            "Usage: dialplan show chanvar <channel>\n       Lists a channel's variables, newest first.\n",
            show_chanvar,
        ),
        CliEntry::new(
            "dialplan eval function",
            "Usage: dialplan eval function <name(args)>\n       Reads a dialplan function on a stand-in channel (so only globals\n       mean anything) and prints what it returned.\n",
            eval_function,
        ),
        CliEntry::new(
            "dialplan set global",
            "Usage: dialplan set global <name> <value>\n       Sets the global variable <name> to <value>.\n",
            set_global,
        ),
        CliEntry::new(
            "dialplan set chanvar",
            "Usage: dialplan set chanvar <channel> <varname> <value>\n       Sets a variable on a channel.\n",
            set_chanvar,
        ),
        CliEntry::new(
            "dialplan add extension",
            "Usage: dialplan add extension <exten>,<priority>,<app> into <context> [replace]\n       Adds a priority to the dialplan (creating the context if need be); with\n       replace, a priority that exists is replaced. <app> may be App(data) or\n       App,data. Example: dialplan add extension 100,1,Playback(beep) into local\n",
            add_extension,
        ),
        CliEntry::new(
            "dialplan remove extension",
            "Usage: dialplan remove extension exten[/cid]@context [priority]\n       Removes an extension, or only the given priority of it.\n",
            remove_extension,
        ),
        CliEntry::new(
            "dialplan add include",
            "Usage: dialplan add include <context> into <context>\n       Makes the second context include the first (made if missing).\n",
            add_include,
        ),
        CliEntry::new(
            "dialplan remove include",
            "Usage: dialplan remove include <context> from <context>\n       Stops the second context including the first.\n",
            remove_include,
        ),
        CliEntry::new(
            "dialplan add ignorepat",
            "Usage: dialplan add ignorepat <pattern> into <context>\n       Adds an ignore pattern to a context.\n",
            add_ignorepat,
        ),
        CliEntry::new(
            "dialplan remove ignorepat",
            "Usage: dialplan remove ignorepat <pattern> from <context>\n       Takes an ignore pattern out of a context.\n",
            remove_ignorepat,
        ),
        CliEntry::new(
            "dialplan remove context",
            "Usage: dialplan remove context <context>\n       Removes a context with everything in it.\n",
            remove_context,
        ),
        CliEntry::new(
            "core show hints",
            "Usage: core show hints\n       Lists hints: extension, devices, extension state, presence state, watchers.\n",
            show_hints,
        ),
        CliEntry::new(
            "core show hint",
            "Usage: core show hint <exten>\n       Lists the hints of extensions starting with <exten>, as 'core show hints' does.\n",
            show_hint,
        ),
    ]
}

fn reload(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    match sys.reload(&[Part::Dialplan]) {
        Ok(()) => out.push_str("Dialplan reloaded.\n"),
        Err(e) => super::core::report_reload_error(out, "extensions.conf", &e),
    }
    CliResult::Success
}

#[derive(Default)]
struct Counters {
    total_context: usize,
    total_exten: usize,
    total_prio: usize,
    context_existence: bool,
    extension_existence: bool,
}

fn print_priority(p: &Priority) -> String {
    if p.priority == PRIORITY_HINT {
        format!("hint: {}", p.app)
    } else {
        format!("{}. {}({})", p.priority, p.app, p.data)
    }
}

fn print_line(out: &mut String, left: &str, right: &str, p: &Priority, registrar: &str) {
    // Priorities a module added (not from a file) show the module instead.
    if p.origin.line == 0 {
        let registrar = p.registrar.as_deref().unwrap_or(registrar);
        let _ = writeln!(out, "  {left:<17} {right:<45} [{registrar}]");
    } else {
        let _ = writeln!(
            out,
            "  {left:<17} {right:<45} [{}:{}]",
            p.origin.file_name(),
            p.origin.line
        );
    }
}

fn print_extension(out: &mut String, e: &Extension, registrar: &str, dpc: &mut Counters) {
    let mut prios = e.priorities.iter();
    let Some(first) = prios.next() else {
        return;
    };
    dpc.total_prio += 1;
    let head = match &e.cidmatch {
        Some(cid) => format!("'{}' (CID match '{}') => ", e.name, cid),
        None => format!("'{}' =>", e.name),
    };
    print_line(out, &head, &print_priority(first), first, registrar);
    dpc.total_exten += 1;
    for p in prios {
        dpc.total_prio += 1;
        let label = p
            .label
            .as_ref()
            .map(|l| format!("   [{l}]"))
            .unwrap_or_default();
        print_line(out, &label, &print_priority(p), p, registrar);
    }
}

/// `show_dialplan_helper`: prints matching contexts; with an extension it
/// follows includes (by their full value, as Asterisk does, so a
/// time-restricted include is not followed), never the same one twice.
fn show_helper(
    contexts: &[Context],
    out: &mut String,
    context: Option<&str>,
    exten: Option<&str>,
    dpc: &mut Counters,
    included: bool,
    stack: &mut Vec<String>,
) {
    for c in contexts {
        if context.is_some_and(|name| name != c.name) {
            continue;
        }
        dpc.context_existence = true;
        let mut printed = false;
        if exten.is_none() {
            dpc.total_context += 1;
            let _ = writeln!(out, "[ Context '{}' created by '{}' ]", c.name, c.registrar);
            if c.autohints {
                out.push_str("Autohints support enabled\n");
            }
            printed = true;
        }
        for e in &c.extensions {
            if let Some(x) = exten
                && !extension_match(&e.name, x).is_match()
            {
                continue;
            }
            dpc.extension_existence = true;
            if !printed {
                dpc.total_context += 1;
                if included {
                    let _ = writeln!(
                        out,
                        "[ Included context '{}' created by '{}' ]",
                        c.name, c.registrar
                    );
                } else {
                    let _ = writeln!(out, "[ Context '{}' created by '{}' ]", c.name, c.registrar);
                    if c.autohints {
                        out.push_str("Autohints support enabled\n");
                    }
                }
                printed = true;
            }
            print_extension(out, e, &c.registrar, dpc);
        }
        for inc in &c.includes {
            match exten {
                Some(_) => {
                    if stack.len() >= 128 {
                        continue;
                    }
                    if stack.iter().any(|s| s.eq_ignore_ascii_case(&inc.value)) {
                        continue;
                    }
                    stack.push(inc.value.clone());
                    show_helper(contexts, out, Some(&inc.value), exten, dpc, true, stack);
                    stack.pop();
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  Include =>        {:<45} [{}]",
                        format!("'{}'", inc.value),
                        c.registrar
                    );
                }
            }
        }
        for ip in &c.ignorepats {
            let as_pattern = format!("_{ip}.");
            if exten.is_none_or(|x| extension_match(&as_pattern, x).is_match()) {
                let _ = writeln!(
                    out,
                    "  Ignore pattern => {:<45} [{}]",
                    format!("'{ip}'"),
                    c.registrar
                );
            }
        }
        if !included {
            for sw in &c.switches {
                let _ = writeln!(
                    out,
                    "  Alt. Switch =>    {:<45} [{}]",
                    format!("'{}/{}'", sw.module, sw.data),
                    c.registrar
                );
            }
        }
        if printed {
            out.push('\n');
        }
    }
}

/// The order `dialplan show` walks contexts in: Asterisk keeps its context
/// list newest first, and module contexts are created after pbx_config's.
pub(crate) fn walk_order(sys: &System) -> Vec<Context> {
    let loaded = sys.loaded();
    let mut all: Vec<Context> = crate::pbx::dialplan::module_contexts()
        .into_iter()
        .filter(|(module, _)| loaded.modules.loads(module))
        .map(|(_, c)| c)
        .collect();
    all.extend(loaded.dialplan.contexts.iter().rev().cloned());
    all
}

fn show(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 && a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let (mut exten, mut context) = (None, None);
    if let Some(arg) = a.arg(2) {
        match arg.split_once('@') {
            Some((x, c)) => {
                exten = Some(x).filter(|x| !x.is_empty());
                context = Some(c);
            }
            None => context = Some(arg),
        }
        context = context.filter(|c| !c.is_empty());
    }
    let contexts = walk_order(sys);
    let mut dpc = Counters::default();
    let mut stack = Vec::new();
    show_helper(&contexts, out, context, exten, &mut dpc, false, &mut stack);
    if let Some(c) = context
        && !dpc.context_existence
    {
        let _ = writeln!(out, "There is no existence of '{c}' context");
        return CliResult::Failure;
    }
    if let Some(x) = exten
        && !dpc.extension_existence
    {
        match context {
            Some(c) => {
                let _ = writeln!(out, "There is no existence of {x}@{c} extension");
            }
            None => {
                let _ = writeln!(
                    out,
                    "There is no existence of '{x}' extension in all contexts"
                );
            }
        }
        return CliResult::Failure;
    }
    let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    let _ = writeln!(
        out,
        "-= {} {} ({} {}) in {} {}. =-",
        dpc.total_exten,
        plural(dpc.total_exten, "extension", "extensions"),
        dpc.total_prio,
        plural(dpc.total_prio, "priority", "priorities"),
        dpc.total_context,
        plural(dpc.total_context, "context", "contexts"),
    );
    CliResult::Success
}

fn show_hints(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let hints = crate::core::devicestate::hints_in_order(&loaded.dialplan);
    if hints.is_empty() {
        out.push_str("There are no registered dialplan hints\n");
        return CliResult::Success;
    }
    out.push_str("\n    -= Registered Asterisk Dial Plan Hints =-\n");
    for (c, e, hint) in &hints {
        hint_row(sys, c, e, &hint.app, out);
    }
    out.push_str("----------------\n");
    let _ = writeln!(out, "- {} hints registered", hints.len());
    CliResult::Success
}

/// `core show hint <exten>`: the hints whose extension starts with it
/// (without case).
fn show_hint(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let hints = crate::core::devicestate::hints_in_order(&loaded.dialplan);
    if hints.is_empty() {
        out.push_str("There are no registered dialplan hints\n");
        return CliResult::Success;
    }
    let wanted = a.arg(3).unwrap_or("");
    let mut shown = 0;
    for (c, e, hint) in &hints {
        let starts = e
            .name
            .get(..wanted.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(wanted));
        if starts {
            hint_row(sys, c, e, &hint.app, out);
            shown += 1;
        }
    }
    if shown == 0 {
        let _ = writeln!(out, "No hints matching extension {wanted}");
    } else {
        let s = if shown == 1 { "" } else { "s" };
        let _ = writeln!(out, "{shown} hint{s} matching extension {wanted}");
    }
    CliResult::Success
}

/// One hint: where, its devices, the state it was last seen in
/// (`hint->laststate`), its presence and how many watch it.
fn hint_row(sys: &System, c: &Context, e: &Extension, devices: &str, out: &mut String) {
    let name = format!("{}@{}", e.name, c.name);
    let state = sys
        .pbx
        .devstates
        .laststate(&c.name, &e.name)
        .unwrap_or_else(|| crate::core::devicestate::extension_state(sys, devices));
    let _ = writeln!(
        out,
        "{}: {}  State:{} Presence:{} Watchers {:>2}",
        pad(&name, 30),
        pad(devices, 60),
        pad(state.as_str(), 15),
        pad(
            crate::core::presencestate::hint_state(sys, &c.name, &e.name, devices).as_str(),
            15
        ),
        crate::channels::sip::hint_watchers(sys, &c.name, &e.name)
    );
}

fn show_globals(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let globals = sys.pbx.globals();
    for (n, v) in &globals {
        let n = crate::pbx::vars::strip_inheritance(n);
        out.push_str(&format!("   {n}={v}\n"));
    }
    out.push_str(&format!("\n    -- {} variable(s)\n", globals.len()));
    CliResult::Success
}

fn show_chanvar(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or("");
    let Some(c) = sys.pbx.channels.by_name(name) else {
        let _ = writeln!(out, "Channel '{name}' not found");
        return CliResult::Failure;
    };
    for (n, v) in c.lock().vars.iter() {
        let n = crate::pbx::vars::strip_inheritance(n);
        let _ = writeln!(out, "{n}={v}");
    }
    CliResult::Success
}

fn set_chanvar(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 6 {
        return CliResult::ShowUsage;
    }
    let (name, var, value) = (
        a.arg(3).unwrap_or(""),
        a.arg(4).unwrap_or(""),
        a.arg(5).unwrap_or(""),
    );
    let Some(c) = sys.pbx.channels.by_name(name) else {
        let _ = writeln!(out, "Channel '{name}' not found");
        return CliResult::Failure;
    };
    crate::pbx::set_var(sys, Some(&c), var, Some(value));
    let _ = writeln!(
        out,
        "\n    -- Channel variable '{var}' set to '{value}' for '{name}'"
    );
    CliResult::Success
}

/// Numbers the stand-in channels of `dialplan eval function`.
static CLI_EVAL_CHANNELS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// `dialplan eval function`: substituted and read on a channel made for
/// it (`CLIEval/<n>`, which the manager sees come and go).
fn eval_function(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let n = CLI_EVAL_CHANNELS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let chan = sys.pbx.channels.alloc(
        format!("CLIEval/{n}"),
        "CLIEval",
        0,
        crate::channels::NewChannel::default(),
    );
    let call = crate::pbx::subst::substitute(sys, Some(&chan), a.arg(3).unwrap_or(""));
    let result = crate::funcs::read(sys, Some(&chan), &call);
    crate::pbx::run::hangup_channel(sys, &chan);
    let (word, code) = if result.is_some() {
        ("Success", 0)
    } else {
        ("Failure", -1)
    };
    let _ = writeln!(out, "Return Value: {word} ({code})");
    let _ = writeln!(out, "Result: {}", result.unwrap_or_default());
    CliResult::Success
}

fn set_global(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 5 {
        return CliResult::ShowUsage;
    }
    let (name, value) = (a.arg(3).unwrap_or(""), a.arg(4).unwrap_or(""));
    crate::pbx::set_global(sys, name, Some(value));
    out.push_str(&format!(
        "\n    -- Global variable '{name}' set to '{value}'\n"
    ));
    CliResult::Success
}

/// A context name, in the order `dialplan show` walks them.
fn complete_context(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(c, 2, walk_order(sys).iter().map(|ctx| ctx.name.clone()))
}

/// `dialplan add extension` (pbx_config's handler): the same change as
/// the manager's DialplanExtensionAdd, with the CLI's own messages.
fn add_extension(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 6 && a.argc() != 7 {
        return CliResult::ShowUsage;
    }
    if a.arg(4) != Some("into") || (a.argc() == 7 && a.arg(6) != Some("replace")) {
        return CliResult::ShowUsage;
    }
    let replace = a.argc() == 7;
    let whole = a.arg(3).unwrap_or("");
    let mut fields = whole.splitn(3, ',');
    let exten_field = fields.next().unwrap_or("");
    let (exten, cidmatch) = match exten_field.split_once('/') {
        Some((e, c)) => (e, Some(c)),
        None => (exten_field, None),
    };
    let Some(prior) = fields.next() else {
        return CliResult::ShowUsage;
    };
    let ipriority = if prior == "hint" {
        PRIORITY_HINT
    } else {
        match crate::funcs::c::scan_int(prior).map(|(p, _)| p) {
            Some(p) => p,
            None => {
                out.push_str(&format!("'{prior}' is not a valid priority\n"));
                return CliResult::ShowUsage;
            }
        }
    };
    let Some(app_field) = fields.next() else {
        return CliResult::ShowUsage;
    };
    // App(data), else App,data.
    let (app, data) = match (app_field.find('('), app_field.rfind(')')) {
        (Some(open), Some(close)) if close >= open => {
            (&app_field[..open], &app_field[open + 1..close])
        }
        _ => app_field.split_once(',').unwrap_or((app_field, "")),
    };
    let context = a.arg(5).unwrap_or("");
    if sys.loaded().dialplan.context(context).is_none() {
        out.push_str(&format!(
            "Context '{context}' did not exist prior to add extension - the context will be created.\n"
        ));
    }
    if !crate::pbx::add_extension(sys, context, exten, cidmatch, ipriority, app, data, replace) {
        if exten.is_empty() {
            out.push_str(&format!(
                "Failed to add '{exten},{prior},{app}({data})' extension into '{context}' context\n"
            ));
        } else {
            out.push_str(&format!(
                "Extension {exten}@{context} with priority {prior} already exists\n"
            ));
        }
        return CliResult::Failure;
    }
    if replace {
        out.push_str(&format!(
            "Extension {exten}@{context} ({prior}) replace by '{exten},{prior},{app}({data})'\n"
        ));
    } else {
        out.push_str(&format!(
            "Extension '{exten},{prior},{app}({data})' added into '{context}' context\n"
        ));
    }
    CliResult::Success
}

/// `dialplan remove extension` (pbx_config's handler).
/// `<word> <x> <into|from> <context>`: the two names, when the fifth
/// word is `joint` (compared with case, as Asterisk does).
fn object_and_context<'a>(a: &'a CliArgs<'_>, joint: &str) -> Option<(&'a str, &'a str)> {
    if a.argc() != 6 || a.arg(4) != Some(joint) {
        return None;
    }
    Some((a.arg(3)?, a.arg(5)?))
}

fn add_include(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some((include, into)) = object_and_context(a, "into") else {
        return CliResult::ShowUsage;
    };
    if sys.loaded().dialplan.context(into).is_none() {
        let _ = writeln!(
            out,
            "Context '{into}' did not exist prior to add include - the context will be created."
        );
    }
    let mut added = false;
    sys.update_dialplan(|dp| {
        added = dp.include_at_runtime(into, include, crate::pbx::dialplan::REGISTRAR);
    });
    if !added {
        let _ = writeln!(
            out,
            "Context '{include}' already included in '{into}' context"
        );
        return CliResult::Failure;
    }
    let _ = writeln!(out, "Context '{include}' included in '{into}' context");
    CliResult::Success
}

fn remove_include(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some((include, from)) = object_and_context(a, "from") else {
        return CliResult::ShowUsage;
    };
    let mut removed = false;
    sys.update_dialplan(|dp| removed = dp.remove_include_at_runtime(from, include));
    if !removed {
        let _ = writeln!(
            out,
            "Failed to remove '{include}' include from '{from}' context"
        );
        return CliResult::Failure;
    }
    sys.pbx.logger.verbose(
        3,
        crate::site!("pbx.c", 4911, "ast_context_remove_include2"),
        None,
        &format!(
            "Removing inclusion of context '{include}' in context '{from}; registrar={}'",
            crate::pbx::dialplan::REGISTRAR
        ),
    );
    let _ = writeln!(out, "We are not including '{include}' into '{from}' now");
    CliResult::Success
}

fn add_ignorepat(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    change_ignorepat(sys, a, out, true)
}

fn remove_ignorepat(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    change_ignorepat(sys, a, out, false)
}

/// `dialplan add ignorepat <p> into <c>` and `dialplan remove ignorepat
/// <p> from <c>`, with pbx_config's messages.
fn change_ignorepat(sys: &System, a: &CliArgs<'_>, out: &mut String, add: bool) -> CliResult {
    let joint = if add { "into" } else { "from" };
    let Some((pattern, context)) = object_and_context(a, joint) else {
        return CliResult::ShowUsage;
    };
    let mut outcome = Ok(());
    sys.update_dialplan(|dp| {
        outcome = if add {
            dp.add_ignorepat_at_runtime(context, pattern)
        } else {
            dp.remove_ignorepat_at_runtime(context, pattern)
        }
    });
    let _ = match outcome {
        Ok(()) => {
            let done = if add { "added into" } else { "removed from" };
            writeln!(out, "Ignore pattern '{pattern}' {done} '{context}' context")
        }
        Err(PatternError::NoContext) => {
            writeln!(out, "There is no existence of '{context}' context")
        }
        Err(PatternError::Exists) => writeln!(
            out,
            "Ignore pattern '{pattern}' already included in '{context}' context"
        ),
        Err(PatternError::Missing) => writeln!(
            out,
            "There is no existence of '{pattern}' ignore pattern in '{context}' context"
        ),
    };
    if outcome.is_ok() {
        CliResult::Success
    } else {
        CliResult::Failure
    }
}

fn remove_context(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or("");
    let mut removed = false;
    sys.update_dialplan(|dp| removed = dp.remove_context(name));
    if removed {
        // Its hints go with it.
        sys.pbx
            .devstates
            .sync_hints(sys, crate::core::devicestate::HintEnd::Removed);
        let _ = writeln!(out, "Removed context '{name}'");
    } else {
        let _ = writeln!(out, "There is no such context as '{name}'");
    }
    CliResult::Success
}

fn remove_extension(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 && a.argc() != 5 {
        return CliResult::ShowUsage;
    }
    let mut priority = 0;
    if let Some(p) = a.arg(4) {
        priority = if p == "hint" {
            PRIORITY_HINT
        } else if p.bytes().all(|b| b.is_ascii_digit()) {
            crate::apps::builtins::atoi(p) as i32
        } else {
            out.push_str(&format!("Invalid priority '{p}'\n"));
            return CliResult::Failure;
        };
        if priority == 0 {
            out.push_str("If you want to remove whole extension, please omit priority argument\n");
            return CliResult::Failure;
        }
    }
    let target = a.arg(3).unwrap_or("");
    let (exten_cid, context) = match target.split_once('@') {
        Some((_, c)) if c.contains('@') => return CliResult::Failure,
        Some((e, c)) => (e, c),
        None => (target, ""),
    };
    let (exten, cid) = match exten_cid.split_once('/') {
        Some((e, c)) => (e, Some(c)),
        None => (exten_cid, None),
    };
    if exten.is_empty() || context.is_empty() {
        out.push_str(&format!(
            "Missing extension or context name in third argument '{target}'\n"
        ));
        return CliResult::Failure;
    }
    match (
        crate::pbx::remove_extension(sys, context, exten, cid, priority),
        priority,
        cid,
    ) {
        (true, 0, _) => out.push_str(&format!("Whole extension {exten}@{context} removed\n")),
        (true, p, _) => out.push_str(&format!(
            "Extension {exten}@{context} with priority {p} removed\n"
        )),
        (false, _, Some(c)) => {
            out.push_str(&format!(
                "Failed to remove extension {exten}/{c}@{context}\n"
            ));
            return CliResult::Failure;
        }
        (false, _, None) => {
            out.push_str(&format!("Failed to remove extension {exten}@{context}\n"));
            return CliResult::Failure;
        }
    }
    CliResult::Success
}
