//! The dialplan as `pbx_config` builds it from extensions.conf: contexts,
//! extensions kept in Asterisk's sort order, priorities, labels, hints,
//! includes (with time restrictions), ignore patterns and switches.

use super::find::{FastMap, LookupIndex};
use super::pattern::{ext_cmp, extension_match, fluffless_name, normalize_name};
use crate::config::{Config, Diagnostic, Origin, Severity, is_true};
use crate::core::logger::{Deferred, Level, Site};

/// The priority number Asterisk gives a `hint`.
pub const PRIORITY_HINT: i32 = -1;

/// Who registered a context or extension (`created by '…'`).
pub const REGISTRAR: &str = "pbx_config";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priority {
    pub priority: i32,
    pub label: Option<String>,
    pub app: String,
    pub data: String,
    pub origin: Origin,
    /// The module that added it, when not the context's registrar (a
    /// parking lot's `res_parking/<lot>`); `dialplan show` names it.
    pub registrar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// As written (spaces outside `[]` removed); what `dialplan show` prints.
    pub name: String,
    pub cidmatch: Option<String>,
    /// Sorted by priority; a hint (-1) comes first.
    pub priorities: Vec<Priority>,
}

impl Extension {
    pub fn hint(&self) -> Option<&Priority> {
        self.priorities.iter().find(|p| p.priority == PRIORITY_HINT)
    }

    pub fn priority(&self, n: i32) -> Option<&Priority> {
        self.priorities.iter().find(|p| p.priority == n)
    }

    pub fn find_label(&self, label: &str) -> Option<i32> {
        self.priorities
            .iter()
            .find(|p| p.label.as_deref() == Some(label))
            .map(|p| p.priority)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The whole value (`ctx` or `ctx,times,…`), as Asterisk keeps it.
    pub value: String,
    /// The context part alone.
    pub context: String,
    pub timing: Option<super::timing::Timing>,
    pub origin: Origin,
}

/// Why an ignore pattern could not be added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("no such context")]
    NoContext,
    #[error("the context already has the pattern")]
    Exists,
    #[error("the context has no such pattern")]
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    pub module: String,
    pub data: String,
    pub eval: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    pub registrar: String,
    pub extensions: Vec<Extension>,
    pub includes: Vec<Include>,
    pub ignorepats: Vec<String>,
    pub switches: Vec<Switch>,
    pub autohints: bool,
}

impl Context {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            registrar: REGISTRAR.into(),
            extensions: Vec::new(),
            includes: Vec::new(),
            ignorepats: Vec::new(),
            switches: Vec::new(),
            autohints: false,
        }
    }

    /// Extensions matching a dialled string, best first.
    pub fn matching<'a>(&'a self, exten: &'a str) -> impl Iterator<Item = &'a Extension> + 'a {
        self.extensions
            .iter()
            .filter(move |e| extension_match(&e.name, exten).is_match())
    }
}

/// `[general]` of extensions.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct General {
    pub static_config: bool,
    pub write_protect: bool,
    pub autofallthrough: bool,
    pub extenpatternmatchnew: bool,
    pub clearglobalvars: bool,
    pub userscontext: String,
}

impl Default for General {
    fn default() -> Self {
        Self {
            static_config: false,
            write_protect: false,
            autofallthrough: true,
            extenpatternmatchnew: false,
            clearglobalvars: false,
            userscontext: "default".into(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Dialplan {
    /// In the order `dialplan show` walks them.
    pub contexts: Vec<Context>,
    index: FastMap<String, usize>,
    pub globals: Vec<(String, String)>,
    pub general: General,
    /// Everything pbx_config would have logged while building.
    pub diagnostics: Vec<Diagnostic>,
    /// The same, as Asterisk logs it while the dialplan loads (pbx_config.c
    /// and the pbx.c and pbx_timing.c calls under it), in order.
    pub load_log: Vec<Deferred>,
    /// The directory of extensions.conf: pbx_config names files relative
    /// to it ("at line 7 of extensions.conf").
    config_dir: Option<std::path::PathBuf>,
    /// Extension lookup tables, built once the contexts are complete.
    lookup: LookupIndex,
}

/// `pbx_strsep`: splits on `delim` but not inside `[]`, skipping over
/// backslash-escaped characters.
fn pbx_strsep<'a>(s: &mut Option<&'a str>, delim: u8) -> Option<&'a str> {
    let input = (*s)?;
    let b = input.as_bytes();
    let mut square = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' if delim != b'[' => square += 1,
            b']' if delim != b']' => square = if square > 0 { square - 1 } else { 0 },
            b'\\' if delim != b'\\' => i += 1,
            c if c == delim && square == 0 => {
                *s = Some(&input[i + 1..]);
                return Some(&input[..i]);
            }
            _ => {}
        }
        i += 1;
    }
    *s = None;
    Some(input)
}

/// `strsep` on one byte.
fn strsep<'a>(s: &mut Option<&'a str>, delim: char) -> Option<&'a str> {
    let input = (*s)?;
    match input.find(delim) {
        Some(i) => {
            *s = Some(&input[i + delim.len_utf8()..]);
            Some(&input[..i])
        }
        None => {
            *s = None;
            Some(input)
        }
    }
}

/// Substitutes `${VAR}` from globals, as pbx_config does for extension
/// names and includes at load time (no channel: unknown names are empty).
pub fn substitute_globals(text: &str, globals: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let mut depth = 1;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = substitute_globals(&after[..end], globals);
        if let Some((_, v)) = globals.iter().rev().find(|(k, _)| *k == name) {
            out.push_str(v);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What the extensions.conf loader recognises in a context, for check-config.
pub const CONTEXT_KEYWORDS: &[&str] = &[
    "exten",
    "same",
    "include",
    "ignorepat",
    "switch",
    "lswitch",
    "eswitch",
    "autohints",
];

/// Contexts Asterisk modules register at load time, with their module:
/// func_periodic_hook keeps the dialplan its PERIODIC_HOOK() runs in
/// (`dialplan show` lists it first, as the last context created).
pub fn module_contexts() -> Vec<(&'static str, Context)> {
    let step = |priority: i32, app: &str, data: &str| Priority {
        priority,
        label: None,
        app: app.into(),
        data: data.into(),
        origin: Origin {
            file: std::sync::Arc::from(std::path::Path::new("")),
            line: 0,
        },
        registrar: None,
    };
    let mut ctx = Context::new("__func_periodic_hook_context__");
    ctx.registrar = "func_periodic_hook".into();
    ctx.extensions = vec![
        Extension {
            name: "beep".into(),
            cidmatch: Some(String::new()),
            priorities: vec![
                step(1, "Answer", ""),
                step(2, "Playback", "beep"),
                step(3, "Hangup", ""),
            ],
        },
        Extension {
            name: "hook".into(),
            cidmatch: Some(String::new()),
            priorities: vec![
                step(1, "Set", "EncodedChannel=${HOOK_CHANNEL}"),
                step(2, "Set", "GROUP_NAME=${EncodedChannel}${HOOK_ID}"),
                step(3, "Set", "GROUP(periodic-hook)=${GROUP_NAME}"),
                step(
                    4,
                    "ExecIf",
                    "$[${GROUP_COUNT(${GROUP_NAME}@periodic-hook)} > 1]?Hangup()",
                ),
                step(5, "Set", "ChannelToSpy=${URIDECODE(${EncodedChannel})}"),
                step(6, "ChanSpy", "${ChannelToSpy},qEB"),
            ],
        },
    ];
    vec![("func_periodic_hook", ctx)]
}

impl Dialplan {
    pub fn context(&self, name: &str) -> Option<&Context> {
        self.index.get(name).map(|&i| &self.contexts[i])
    }

    /// The position of a context in `contexts`.
    pub fn context_number(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn lookup_index(&self) -> &LookupIndex {
        &self.lookup
    }

    pub fn total_priorities(&self) -> usize {
        self.contexts
            .iter()
            .flat_map(|c| &c.extensions)
            .map(|e| e.priorities.len())
            .sum()
    }

    fn warn(&mut self, origin: &Origin, message: String) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            file: origin.file.to_path_buf(),
            line: origin.line,
            column: 1,
            message,
        });
    }

    /// Logs, as Asterisk would while loading, from `file`'s `function`.
    fn log(
        &mut self,
        level: Level,
        file: &'static str,
        line: u32,
        function: &'static str,
        message: String,
    ) {
        let site = Site {
            file,
            line,
            function,
        };
        self.load_log.push(Deferred::at(level, &site, message));
    }

    /// A pbx_load_config message, which ends in where the line is.
    fn log_config(&mut self, level: Level, line: u32, origin: &Origin, message: &str) {
        let text = message.replace("{at}", &self.at_line(origin));
        self.log(level, "pbx_config.c", line, "pbx_load_config", text);
    }

    /// " at line N of F", F as the config reader names the file: relative
    /// to the configuration directory when it is inside it.
    fn at_line(&self, origin: &Origin) -> String {
        let file = self
            .config_dir
            .as_deref()
            .and_then(|d| origin.file.strip_prefix(d).ok())
            .unwrap_or(&origin.file);
        format!(" at line {} of {}", origin.line, file.display())
    }

    fn context_mut(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.contexts.push(Context::new(name));
        let i = self.contexts.len() - 1;
        self.index.insert(name.to_string(), i);
        i
    }

    /// Adds a priority a module registers (`ast_add_extension2` with a
    /// registrar), creating the context as `ctx_registrar`'s if it does
    /// not exist. `false` when the priority is taken. The lookup tables
    /// are stale until [`Dialplan::reindex`].
    #[allow(clippy::too_many_arguments)]
    pub fn add_module_priority(
        &mut self,
        context: &str,
        ctx_registrar: &str,
        exten: &str,
        priority: i32,
        app: &str,
        data: &str,
        registrar: &str,
    ) -> bool {
        let created = !self.index.contains_key(context);
        let ci = self.context_mut(context);
        if created {
            self.contexts[ci].registrar = ctx_registrar.to_string();
        }
        let name = normalize_name(exten);
        let ctx = &mut self.contexts[ci];
        let pri = Priority {
            priority,
            label: None,
            app: app.to_string(),
            data: data.to_string(),
            origin: Origin {
                file: std::sync::Arc::from(std::path::Path::new("")),
                line: 0,
            },
            registrar: (registrar != ctx.registrar).then(|| registrar.to_string()),
        };
        // The same order as extensions.conf's: a caller-id match first.
        let at = ctx.extensions.partition_point(|e| {
            ext_cmp(&e.name, &name)
                .then(if e.cidmatch.is_some() {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Equal
                })
                .is_lt()
        });
        match ctx.extensions.get_mut(at) {
            Some(e) if ext_cmp(&e.name, &name).is_eq() && e.cidmatch.is_none() => {
                if e.priority(priority).is_some() {
                    return false;
                }
                let p = e.priorities.partition_point(|p| p.priority < priority);
                e.priorities.insert(p, pri);
            }
            _ => ctx.extensions.insert(
                at,
                Extension {
                    name,
                    cidmatch: None,
                    priorities: vec![pri],
                },
            ),
        }
        true
    }

    /// Removes what a module registered (`ast_context_destroy` by
    /// registrar): its priorities, extensions left empty, and contexts it
    /// created that are left empty.
    pub fn remove_registrar(&mut self, owns: impl Fn(&str) -> bool) {
        for ctx in &mut self.contexts {
            let ctx_reg = ctx.registrar.clone();
            for e in &mut ctx.extensions {
                e.priorities.retain(|p| {
                    p.origin.line != 0 || !owns(p.registrar.as_deref().unwrap_or(&ctx_reg))
                });
            }
            ctx.extensions.retain(|e| !e.priorities.is_empty());
        }
        self.contexts.retain(|c| {
            !(owns(&c.registrar)
                && c.extensions.is_empty()
                && c.includes.is_empty()
                && c.switches.is_empty()
                && c.ignorepats.is_empty())
        });
        self.index = self
            .contexts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
    }

    /// Removes one priority of an extension (no caller-id match), and the
    /// extension if it has no other.
    pub fn remove_priority(&mut self, context: &str, exten: &str, priority: i32) {
        let Some(&ci) = self.index.get(context) else {
            return;
        };
        let ctx = &mut self.contexts[ci];
        for e in &mut ctx.extensions {
            if e.name == exten && e.cidmatch.is_none() {
                e.priorities.retain(|p| p.priority != priority);
            }
        }
        ctx.extensions.retain(|e| !e.priorities.is_empty());
    }

    /// Adds a priority at run time (`ast_add_extension` from the manager
    /// or the CLI, as `registrar`), creating the context if need be. The
    /// warnings pbx.c logs on the way are returned for the caller to log;
    /// `false` when the priority is taken and `replace` is not set.
    #[allow(clippy::too_many_arguments)]
    pub fn add_at_runtime(
        &mut self,
        context: &str,
        exten: &str,
        cidmatch: Option<&str>,
        priority: i32,
        app: &str,
        data: &str,
        replace: bool,
        registrar: &str,
    ) -> (bool, Vec<Deferred>) {
        let created = !self.index.contains_key(context);
        let ci = self.context_mut(context);
        if created {
            self.contexts[ci].registrar = registrar.to_string();
        }
        let (log_mark, diag_mark) = (self.load_log.len(), self.diagnostics.len());
        let origin = Origin {
            file: std::sync::Arc::from(std::path::Path::new("")),
            line: 0,
        };
        let cidmatch = cidmatch.map(normalize_name);
        let ok = self.add_extension(
            ci,
            exten,
            cidmatch.clone(),
            priority,
            None,
            app.to_string(),
            data.to_string(),
            &origin,
            replace,
        );
        let log = self.load_log.split_off(log_mark);
        self.diagnostics.truncate(diag_mark);
        if ok {
            let ctx = &mut self.contexts[ci];
            let name = normalize_name(exten);
            let own = ctx.registrar != registrar;
            if let Some(p) = ctx
                .extensions
                .iter_mut()
                .find(|e| e.name == name && e.cidmatch == cidmatch)
                .and_then(|e| e.priorities.iter_mut().find(|p| p.priority == priority))
            {
                p.registrar = own.then(|| registrar.to_string());
            }
            self.reindex();
        }
        (ok, log)
    }

    /// Removes an extension's priority, or the whole extension
    /// (`priority` 0), at run time as `registrar`
    /// (`ast_context_remove_extension_callerid`). `cid`: the caller-id
    /// match to remove (`exten/cid`). Returns whether anything was
    /// removed and what pbx.c logged.
    pub fn remove_at_runtime(
        &mut self,
        context: &str,
        exten: &str,
        cid: Option<&str>,
        priority: i32,
        registrar: &str,
    ) -> (bool, Vec<Deferred>) {
        let Some(&ci) = self.index.get(context) else {
            return (false, Vec::new());
        };
        let mut log = Vec::new();
        let name = fluffless_name(exten);
        let cid = cid.map(fluffless_name);
        let match_cid = cid.is_some();
        // Without a caller-id match, a priority removes only from an
        // extension without one; a whole extension goes with its variants.
        let any_cid = cid.is_none() && priority == 0;
        let ctx = &mut self.contexts[ci];
        let ctx_registrar = ctx.registrar.clone();
        let e_cid = |e: &Extension| e.cidmatch.as_deref().map(fluffless_name);
        // The lookup table's key: name and caller-id match alike.
        if !ctx
            .extensions
            .iter()
            .any(|e| fluffless_name(&e.name) == name && e_cid(e) == cid)
        {
            log.push(Deferred::at(
                Level::Warning,
                &Site {
                    file: "pbx.c",
                    line: 5113,
                    function: "ast_context_remove_extension_callerid2",
                },
                format!("Cannot find extension {exten} in root_table in context {context}"),
            ));
        }
        let blank = |c: &Option<String>| c.as_deref().is_none_or(str::is_empty);
        let Some(start) = ctx.extensions.iter().position(|e| {
            fluffless_name(&e.name) == name
                && (!match_cid
                    || (!blank(&cid) && !blank(&e_cid(e)) && cid == e_cid(e))
                    || (blank(&cid) && blank(&e_cid(e))))
        }) else {
            return (false, log);
        };
        let mut found = false;
        'walk: for e in &mut ctx.extensions[start..] {
            let variant_ok = fluffless_name(&e.name) == name
                && (any_cid
                    || (!match_cid && e.cidmatch.is_none())
                    || (match_cid && e.cidmatch.is_some() && e_cid(e) == cid));
            if !variant_ok {
                break 'walk;
            }
            e.priorities.retain(|p| {
                let owner = p.registrar.as_deref().unwrap_or(&ctx_registrar);
                let gone = (priority == 0 || p.priority == priority) && owner == registrar;
                found |= gone;
                !gone
            });
        }
        ctx.extensions.retain(|e| !e.priorities.is_empty());
        if found {
            self.reindex();
        }
        (found, log)
    }

    /// `ast_context_add_include` from the CLI: `value` (`ctx[,times]`)
    /// into `into`, made if missing (as `registrar`'s). `false` when the
    /// context already includes it (any case).
    pub fn include_at_runtime(&mut self, into: &str, value: &str, registrar: &str) -> bool {
        let created = !self.index.contains_key(into);
        let ci = self.context_mut(into);
        if created {
            self.contexts[ci].registrar = registrar.to_string();
        }
        if self.contexts[ci]
            .includes
            .iter()
            .any(|i| i.value.eq_ignore_ascii_case(value))
        {
            return false;
        }
        let origin = Origin {
            file: std::sync::Arc::from(std::path::Path::new("")),
            line: 0,
        };
        self.add_include(ci, value, &origin);
        self.reindex();
        true
    }

    /// `ast_context_remove_include`: `false` when `from` does not include
    /// `value` (compared with case).
    pub fn remove_include_at_runtime(&mut self, from: &str, value: &str) -> bool {
        let Some(&ci) = self.index.get(from) else {
            return false;
        };
        let includes = &mut self.contexts[ci].includes;
        let Some(at) = includes.iter().position(|i| i.value == value) else {
            return false;
        };
        includes.remove(at);
        self.reindex();
        true
    }

    /// `ast_context_add_ignorepat`.
    pub fn add_ignorepat_at_runtime(
        &mut self,
        into: &str,
        pattern: &str,
    ) -> Result<(), PatternError> {
        let ci = *self.index.get(into).ok_or(PatternError::NoContext)?;
        let pats = &mut self.contexts[ci].ignorepats;
        if pats.iter().any(|p| p.eq_ignore_ascii_case(pattern)) {
            return Err(PatternError::Exists);
        }
        pats.push(pattern.to_string());
        Ok(())
    }

    /// `ast_context_remove_ignorepat`.
    pub fn remove_ignorepat_at_runtime(
        &mut self,
        from: &str,
        pattern: &str,
    ) -> Result<(), PatternError> {
        let ci = *self.index.get(from).ok_or(PatternError::NoContext)?;
        let pats = &mut self.contexts[ci].ignorepats;
        let at = pats
            .iter()
            .position(|p| p == pattern)
            .ok_or(PatternError::Missing)?;
        pats.remove(at);
        Ok(())
    }

    /// `ast_context_destroy_by_name`: the context and all it holds, whoever
    /// made it. `false` when there is none.
    pub fn remove_context(&mut self, name: &str) -> bool {
        let Some(&ci) = self.index.get(name) else {
            return false;
        };
        self.contexts.remove(ci);
        self.index = self
            .contexts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        self.reindex();
        true
    }

    /// Rebuilds the lookup tables after module changes.
    pub fn reindex(&mut self) {
        self.lookup = LookupIndex::build(&self.contexts, |name| self.index.get(name).copied());
    }

    /// Builds the dialplan from a loaded extensions.conf.
    pub fn from_config(cfg: &Config) -> Self {
        let mut dp = Dialplan {
            config_dir: cfg
                .files
                .first()
                .and_then(|f| f.parent())
                .map(|d| d.to_path_buf()),
            ..Dialplan::default()
        };
        if let Some(g) = cfg.section("general") {
            let gen_ = &mut dp.general;
            gen_.static_config = g.get("static").is_some_and(is_true);
            gen_.write_protect = g.get("writeprotect").is_some_and(is_true);
            if let Some(v) = g.get("autofallthrough") {
                gen_.autofallthrough = is_true(v);
            }
            if let Some(v) = g.get("extenpatternmatchnew") {
                gen_.extenpatternmatchnew = is_true(v);
            }
            gen_.clearglobalvars = g.get("clearglobalvars").is_some_and(is_true);
            if let Some(v) = g.get("userscontext") {
                gen_.userscontext = v.to_string();
            }
        }
        // Every [globals] section counts, in order.
        for cat in cfg
            .sections()
            .filter(|c| c.name.eq_ignore_ascii_case("globals"))
        {
            for v in &cat.variables {
                let value = substitute_globals(&v.value, &dp.globals);
                dp.globals.push((v.name.clone(), value));
            }
        }
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") || cat.name.eq_ignore_ascii_case("globals")
            {
                continue;
            }
            let ci = dp.context_mut(&cat.name);
            // `same` and `n` continue from the previous line of the same section.
            let mut last_exten = String::new();
            let mut last_pri: i32 = -2;
            for v in &cat.variables {
                let name = v.name.to_ascii_lowercase();
                if name.starts_with("same") {
                    if last_exten.is_empty() {
                        let msg = format!(
                            "No previous pattern in the first entry of context '{}' to match '{}'",
                            cat.name, v.name
                        );
                        dp.warn(&v.origin, msg.clone());
                        dp.log_config(Level::Error, 1763, &v.origin, &format!("{msg}{{at}}!"));
                        continue;
                    }
                    let ext = last_exten.clone();
                    dp.add_extension_line(ci, &ext, Some(&v.value), &mut last_pri, &v.origin);
                } else if name == "exten" {
                    let mut rest = Some(v.value.as_str());
                    let ext = pbx_strsep(&mut rest, b',').unwrap_or("");
                    let ext = substitute_globals(ext, &dp.globals);
                    last_exten = ext.clone();
                    dp.add_extension_line(ci, &ext, rest, &mut last_pri, &v.origin);
                } else if name == "include" {
                    let value = substitute_globals(&v.value, &dp.globals);
                    dp.add_include(ci, &value, &v.origin);
                } else if name == "ignorepat" {
                    let value = substitute_globals(&v.value, &dp.globals);
                    let ctx = &mut dp.contexts[ci];
                    if !ctx.ignorepats.contains(&value) {
                        ctx.ignorepats.push(value);
                    }
                } else if name == "switch" || name == "lswitch" || name == "eswitch" {
                    let value = if name == "switch" {
                        substitute_globals(&v.value, &dp.globals)
                    } else {
                        v.value.clone()
                    };
                    let (module, data) = value.split_once('/').unwrap_or((value.as_str(), ""));
                    dp.contexts[ci].switches.push(Switch {
                        module: module.to_string(),
                        data: data.to_string(),
                        eval: name == "eswitch",
                    });
                } else if name == "autohints" {
                    dp.contexts[ci].autohints = is_true(&v.value);
                } else {
                    dp.warn(
                        &v.origin,
                        format!("==!!== Unknown directive: {} -- IGNORING!!!", v.name),
                    );
                    let msg = format!("==!!== Unknown directive: {}{{at}} -- IGNORING!!!", v.name);
                    dp.log_config(Level::Warning, 1961, &v.origin, &msg);
                }
            }
        }
        dp.lookup = LookupIndex::build(&dp.contexts, |name| dp.index.get(name).copied());
        dp
    }

    fn add_include(&mut self, ci: usize, value: &str, origin: &Origin) {
        let (context, timing) = match value.find(['|', ',']) {
            Some(i) => (
                &value[..i],
                Some(super::timing::Timing::parse(&value[i + 1..])),
            ),
            None => (value, None),
        };
        // ast_build_timing's complaints come as the include is added.
        if let Some(t) = &timing {
            self.load_log.extend(t.warnings.iter().cloned());
        }
        let ctx = &mut self.contexts[ci];
        if ctx.includes.iter().any(|i| i.value == value) {
            let cname = ctx.name.clone();
            let msg = format!("Context '{value}' already included in '{cname}' context on include");
            self.warn(origin, msg.clone());
            self.log_config(Level::Warning, 1916, origin, &format!("{msg}{{at}}"));
            return;
        }
        ctx.includes.push(Include {
            value: value.to_string(),
            context: context.to_string(),
            timing,
            origin: origin.clone(),
        });
    }

    /// One `exten =>`/`same =>` line after the extension name: priority,
    /// optional label, application and its data.
    fn add_extension_line(
        &mut self,
        ci: usize,
        ext: &str,
        rest: Option<&str>,
        last_pri: &mut i32,
        origin: &Origin,
    ) {
        let mut rest = rest;
        let (exten, cidmatch) = match ext.split_once('/') {
            Some((e, cid)) => (e.to_string(), Some(shrink_phone_number(cid))),
            None => (ext.to_string(), None),
        };
        let pri_field = strsep(&mut rest, ',').unwrap_or("").trim();
        let (pri_field, label) = match pri_field.split_once('(') {
            Some((p, l)) => match l.find(')') {
                Some(end) => (p, Some(l[..end].to_string())),
                None => {
                    self.warn(origin, "Label missing trailing ')'".into());
                    self.log_config(
                        Level::Warning,
                        1796,
                        origin,
                        "Label missing trailing ')'{at}",
                    );
                    return;
                }
            },
            None => (pri_field, None),
        };
        let (pri_word, plus) = match pri_field.split_once('+') {
            Some((p, n)) => (p, Some(atoi(n))),
            None => (pri_field, None),
        };
        let mut ipri = match pri_word {
            "hint" => PRIORITY_HINT,
            "next" | "n" => {
                if *last_pri > -2 {
                    *last_pri + 1
                } else {
                    self.warn(
                        origin,
                        "Can't use 'next' priority on the first entry!".into(),
                    );
                    let msg = "Can't use 'next' priority on the first entry{at}!";
                    self.log_config(Level::Warning, 1812, origin, msg);
                    return;
                }
            }
            "same" | "s" => {
                if *last_pri > -2 {
                    *last_pri
                } else {
                    self.warn(
                        origin,
                        "Can't use 'same' priority on the first entry!".into(),
                    );
                    let msg = "Can't use 'same' priority on the first entry{at}!";
                    self.log_config(Level::Warning, 1822, origin, msg);
                    return;
                }
            }
            // sscanf("%30d"): a leading number counts, whatever follows.
            word => match crate::funcs::c::scan_long(word, 30) {
                Some((n, _)) if n >= 1 => n as i32,
                Some(_) => {
                    self.warn(origin, format!("Invalid priority '{word}'"));
                    let msg = format!("Invalid priority '{word}'{{at}}");
                    self.log_config(Level::Warning, 1837, origin, &msg);
                    return;
                }
                None => {
                    let ext = self.contexts[ci]
                        .extensions
                        .iter()
                        .find(|e| e.cidmatch == cidmatch && ext_cmp(&e.name, &exten).is_eq());
                    let found = ext.and_then(|e| e.find_label(word));
                    match found {
                        Some(p) if p >= 1 => p,
                        _ => {
                            // pbx.c's lookup says so first when the
                            // extension is there but the label is not.
                            if ext.is_some() {
                                let ctx_name = self.contexts[ci].name.clone();
                                self.log(
                                    Level::Notice,
                                    "pbx.c",
                                    3017,
                                    "pbx_extension_helper",
                                    format!(
                                        "No such label '{word}' in extension '{exten}' in context '{ctx_name}'"
                                    ),
                                );
                            }
                            self.warn(origin, format!("Invalid priority/label '{word}'"));
                            let msg = format!("Invalid priority/label '{word}'{{at}}");
                            self.log_config(Level::Warning, 1830, origin, &msg);
                            return;
                        }
                    }
                }
            },
        };
        let appl = rest.unwrap_or("");
        let (app, data) = match appl.find('(') {
            None => (appl.to_string(), String::new()),
            Some(open) => {
                let name = &appl[..open];
                // `exten => 100,hint,DAHDI/${X}`: no application, keep it whole.
                if name.contains("${") || name.contains("$[") {
                    (appl.to_string(), String::new())
                } else {
                    let inner = &appl[open + 1..];
                    match inner.rfind(')') {
                        Some(close) => (name.to_string(), inner[..close].to_string()),
                        None => {
                            let msg = format!("No closing parenthesis found? '{name}({inner}'");
                            self.warn(origin, msg.clone());
                            self.log_config(Level::Warning, 1869, origin, &format!("{msg}{{at}}"));
                            (name.to_string(), inner.to_string())
                        }
                    }
                }
            }
        };
        let app = app.trim_start().to_string();
        if let Some(p) = plus {
            ipri += p;
        }
        *last_pri = ipri;
        if exten == "_." || exten == "_!" {
            let msg = format!(
                "The use of '{exten}' for an extension is strongly discouraged and can have unexpected behavior.  Please use '_X{}' instead{{at}}",
                &exten[1..]
            );
            self.log_config(Level::Warning, 1885, origin, &msg);
        }
        if !self.add_extension(ci, &exten, cidmatch, ipri, label, app, data, origin, false) {
            self.log_config(
                Level::Warning,
                1897,
                origin,
                "Unable to register extension{at}",
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_extension(
        &mut self,
        ci: usize,
        exten: &str,
        cidmatch: Option<String>,
        priority: i32,
        label: Option<String>,
        app: String,
        data: String,
        origin: &Origin,
        replace: bool,
    ) -> bool {
        if exten.is_empty() {
            self.warn(
                origin,
                "You have to be kidding-- add exten '' to context? Action ignored.".into(),
            );
            let ctx_name = self.contexts[ci].name.clone();
            self.log(
                Level::Error,
                "pbx.c",
                7394,
                "ast_add_extension2_lockopt",
                format!(
                    "You have to be kidding-- add exten '' to context {ctx_name}? Figure out a name and call me back. Action ignored."
                ),
            );
            return false;
        }
        let name = normalize_name(exten);
        let label = label.filter(|l| !l.is_empty());
        let ctx_name = self.contexts[ci].name.clone();
        let ctx = &mut self.contexts[ci];
        // Extensions stay sorted; same name and caller-id match share one entry.
        // The list is sorted, so a binary search finds the slot.
        let at = ctx.extensions.partition_point(|e| {
            let ord = ext_cmp(&e.name, &name).then_with(|| match (&e.cidmatch, &cidmatch) {
                (None, None) => std::cmp::Ordering::Equal,
                // A caller-id match sorts before the same extension without one.
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
                (Some(a), Some(b)) => ext_cmp(a, b),
            });
            ord.is_lt()
        });
        let pos = (at < ctx.extensions.len()).then_some(at);
        let same = pos.is_some_and(|i| {
            let e = &ctx.extensions[i];
            ext_cmp(&e.name, &name).is_eq() && e.cidmatch == cidmatch
        });
        let mut new_pri = Priority {
            priority,
            label,
            app,
            data,
            origin: origin.clone(),
            registrar: None,
        };
        match (pos, same) {
            (Some(i), true) => {
                let e = &mut ctx.extensions[i];
                // A label already used at another priority is dropped; the
                // priority is still added (add_priority).
                if let Some(lbl) = new_pri.label.clone()
                    && let Some(other) = e.find_label(&lbl).filter(|&o| o != priority)
                {
                    let msg = format!(
                        "Extension '{name}' priority {priority} in '{ctx_name}', label '{lbl}' already in use at priority {other}"
                    );
                    new_pri.label = None;
                    self.warn(origin, msg.clone());
                    self.log(Level::Warning, "pbx.c", 7170, "add_priority", msg);
                }
                let e = &mut self.contexts[ci].extensions[i];
                if let Some(taken) = e.priorities.iter_mut().find(|p| p.priority == priority)
                    && replace
                {
                    *taken = new_pri;
                    return true;
                }
                if e.priority(priority).is_some() {
                    let msg = format!(
                        "Unable to register extension '{name}' priority {priority} in '{ctx_name}', already in use"
                    );
                    self.warn(origin, msg.clone());
                    self.log(Level::Warning, "pbx.c", 7203, "add_priority", msg);
                    return false;
                }
                let at = e.priorities.partition_point(|p| p.priority < priority);
                e.priorities.insert(at, new_pri);
            }
            (pos, _) => {
                let ext = Extension {
                    name,
                    cidmatch,
                    priorities: vec![new_pri],
                };
                match pos {
                    Some(i) => ctx.extensions.insert(i, ext),
                    None => ctx.extensions.push(ext),
                }
            }
        }
        true
    }
}

/// C `atoi`: leading digits (with sign), 0 when there are none.
fn atoi(s: &str) -> i32 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n: i32 = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i32, |acc, d| {
            acc.saturating_mul(10).saturating_add(i32::from(d - b'0'))
        });
    if neg { -n } else { n }
}

/// `ast_shrink_phone_number`: drops the punctuation people put in numbers
/// (parentheses, blanks, dashes outside `[]`, dots but a final one).
fn shrink_phone_number(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut bracketed = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '[' => {
                bracketed += 1;
                out.push(c);
            }
            ']' => {
                bracketed -= 1;
                out.push(c);
            }
            '-' if bracketed != 0 => out.push(c),
            '-' => {}
            '.' if i + 1 == b.len() => out.push(c),
            '.' | '(' | ' ' | ')' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, loader::load_str};

    fn build(text: &str) -> Dialplan {
        let cfg = load_str("extensions.conf", text, &LoadOptions::new("/x")).expect("loads");
        Dialplan::from_config(&cfg)
    }

    /// Run-time changes (DialplanExtensionAdd/Remove, `dialplan add|remove
    /// extension`): a taken priority is refused unless replaced, a new
    /// context belongs to the registrar, a caller-id variant is removed on
    /// its own, and nothing another module owns is removed.
    #[test]
    fn runtime_add_and_remove() {
        let mut dp = build("[c]\nexten => 100,1,NoOp(conf)\n");
        assert!(
            dp.add_at_runtime("c", "100", None, 2, "Hangup", "", false, REGISTRAR)
                .0
        );
        let (ok, log) = dp.add_at_runtime("c", "100", None, 1, "NoOp", "again", false, REGISTRAR);
        assert!(!ok);
        assert_eq!(log.len(), 1, "{log:?}");
        assert!(log[0].to_string().contains("already in use"), "{}", log[0]);
        assert!(
            dp.add_at_runtime("c", "100", None, 1, "Verbose", "x", true, REGISTRAR)
                .0
        );
        assert_eq!(
            dp.context("c")
                .and_then(|c| c.extensions[0].priority(1))
                .map(|p| p.app.as_str()),
            Some("Verbose")
        );
        assert!(
            dp.add_at_runtime("new", "1-2 3", Some("555"), 1, "NoOp", "", false, "mod")
                .0
        );
        assert!(
            dp.add_at_runtime("new", "123", None, 1, "NoOp", "", false, REGISTRAR)
                .0
        );
        assert_eq!(dp.context("new").map(|c| c.registrar.as_str()), Some("mod"));
        // Without a caller id, a priority is only removed from the plain
        // extension, and the lookup finds none: a warning.
        let (ok, log) = dp.remove_at_runtime("new", "1-23", None, 1, REGISTRAR);
        assert!(!ok);
        assert!(log.is_empty(), "{log:?}");
        // The variant belongs to `mod`: pbx_config cannot remove it.
        assert!(
            !dp.remove_at_runtime("new", "123", Some("555"), 0, REGISTRAR)
                .0
        );
        assert!(dp.remove_at_runtime("new", "123", Some("555"), 0, "mod").0);
        assert!(dp.remove_at_runtime("new", "123", None, 0, REGISTRAR).0);
        let (ok, log) = dp.remove_at_runtime("new", "123", None, 0, REGISTRAR);
        assert!(!ok);
        assert!(
            log[0].to_string().contains("Cannot find extension 123"),
            "{}",
            log[0]
        );
        assert!(!dp.remove_at_runtime("nosuch", "1", None, 0, REGISTRAR).0);
        assert!(dp.remove_at_runtime("c", "100", None, 2, REGISTRAR).0);
        assert_eq!(
            dp.context("c").map(|c| c.extensions[0].priorities.len()),
            Some(1)
        );
    }

    #[test]
    fn priorities_labels_and_same() {
        let dp = build(
            "[globals]\nPFX=9\n[c]\nexten => ${PFX}00,1,NoOp()\n same => n(lbl),Set(A=1)\n same => n,Goto(lbl)\nexten => 900,hint,SIP/900\nexten => 900,1,Dial(SIP/900,15)\nexten => 900,lbl2,Hangup\n",
        );
        let c = dp.context("c").expect("c");
        let e = &c.extensions[0];
        assert_eq!(e.name, "900");
        let pris: Vec<_> = e
            .priorities
            .iter()
            .map(|p| (p.priority, p.app.as_str(), p.data.as_str()))
            .collect();
        assert_eq!(
            pris,
            [
                (-1, "SIP/900", ""),
                (1, "NoOp", ""),
                (2, "Set", "A=1"),
                (3, "Goto", "lbl"),
            ]
        );
        // 900,1 was a duplicate; "lbl2" is not a label that exists.
        assert_eq!(dp.diagnostics.len(), 2, "{:?}", dp.diagnostics);
        assert_eq!(e.find_label("lbl"), Some(2));
    }

    #[test]
    fn extensions_sorted_as_asterisk() {
        let dp = build(
            "[c]\nexten => _X.,1,NoOp\nexten => s,1,NoOp\nexten => _1XX,1,NoOp\nexten => 100,1,NoOp\nexten => 100/200,1,NoOp\n",
        );
        let names: Vec<_> = dp
            .context("c")
            .expect("c")
            .extensions
            .iter()
            .map(|e| (e.name.as_str(), e.cidmatch.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("100", Some("200")),
                ("100", None),
                ("s", None),
                ("_1XX", None),
                ("_X.", None)
            ]
        );
    }

    #[test]
    fn includes_switches_ignorepats() {
        let dp = build(
            "[a]\ninclude => b\ninclude => c,09:00-17:00,mon-fri,*,*\nignorepat => 9\nswitch => Loopback/x\n[b]\n[c]\n",
        );
        let a = dp.context("a").expect("a");
        assert_eq!(a.includes[1].context, "c");
        assert_eq!(a.includes[1].value, "c,09:00-17:00,mon-fri,*,*");
        assert!(a.includes[1].timing.is_some());
        assert_eq!(a.ignorepats, ["9"]);
        assert_eq!(a.switches[0].module, "Loopback");
    }

    #[test]
    fn app_syntax_variants() {
        let dp = build(
            "[c]\nexten => 1,1,Hangup\nexten => 1,2,Set(X=$[1+(2)])\nexten => 1,3,Dial(SIP/a,,tT)\n",
        );
        let e = &dp.context("c").expect("c").extensions[0];
        assert_eq!(
            (e.priorities[0].app.as_str(), e.priorities[0].data.as_str()),
            ("Hangup", "")
        );
        assert_eq!(e.priorities[1].data, "X=$[1+(2)]");
        assert_eq!(e.priorities[2].data, "SIP/a,,tT");
    }
}
