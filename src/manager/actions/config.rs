//! Config file actions (`manager.c`): GetConfig, GetConfigJSON,
//! ListCategories and UpdateConfig, over the same loader the modules use.
//! Only files under `astetcdir` are reachable (`is_restricted_file`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{BoxFuture, now};
use crate::config::{Category, Config, Origin, Variable};
use crate::core::System;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};
use crate::pbx::expr::posix_re::Regex;

/// What `is_restricted_file` says of a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Allowed,
    /// It resolves outside the config directory (1).
    Restricted,
    /// It does not resolve at all: missing (-1).
    Missing,
}

/// `is_restricted_file`: the name (blanks stripped) resolved against the
/// config directory unless absolute, symlinks and `..` followed; allowed
/// only if the result starts with the config directory as configured.
fn access(sys: &System, filename: &str) -> Access {
    let name = filename.trim();
    let etc = &sys.conf.dirs.etc;
    let path = if name.starts_with('/') {
        PathBuf::from(name)
    } else {
        PathBuf::from(format!("{}/{name}", etc.display()))
    };
    match std::fs::canonicalize(&path) {
        Err(_) => Access::Missing,
        Ok(real) => {
            if real
                .to_string_lossy()
                .starts_with(etc.to_string_lossy().as_ref())
            {
                Access::Allowed
            } else {
                Access::Restricted
            }
        }
    }
}

/// `ast_config_load2` for the manager: the file, or the error reply.
fn load(sys: &System, m: &Message, filename: &str) -> Result<Config, Reply> {
    match crate::config::load(filename, &sys.conf.load_options()) {
        Ok(Some(cfg)) => Ok(cfg),
        Ok(None) => Err(Reply::error(m, "Config file not found")),
        Err(_) => Err(Reply::error(m, "Config file has invalid format")),
    }
}

/// `does_category_match`: the name (without case) when given, and every
/// `name=value` regex pair of `filter` matched by some variable.
/// Templates match only when the filter says `TEMPLATES=include` or
/// `TEMPLATES=restrict` (which allows nothing else).
fn category_matches(cat: &Category, name: &str, filter: &str) -> bool {
    if !name.is_empty() && !cat.name.eq_ignore_ascii_case(name) {
        return false;
    }
    if filter.is_empty() {
        return !cat.template;
    }
    let mut expressions = 0;
    let mut found = 0;
    let mut template_ok = false;
    for nvp in filter.split(',') {
        expressions += 1;
        let mut parts = nvp.splitn(2, '=');
        let mname = parts.next().unwrap_or("").trim();
        // An empty value is fine; no `=` at all ends the checks.
        let Some(mvalue) = parts.next().map(str::trim) else {
            break;
        };
        if mname == "TEMPLATES" {
            if mvalue.eq_ignore_ascii_case("include") {
                if cat.template {
                    template_ok = true;
                }
                found += 1;
            } else if mvalue.eq_ignore_ascii_case("restrict") {
                if cat.template {
                    found += 1;
                    template_ok = true;
                } else {
                    break;
                }
            }
            continue;
        }
        let (Ok(rn), Ok(rv)) = (Regex::new(mname), Regex::new(mvalue)) else {
            return false;
        };
        if cat
            .variables
            .iter()
            .any(|v| rn.search(&v.name, false).is_some() && rv.search(&v.value, false).is_some())
        {
            found += 1;
        }
    }
    found == expressions && (!cat.template || template_ok)
}

/// The file-name check and load every reading action starts with. A name
/// that does not resolve is "not found" here, as GetConfig and
/// ListCategories say it.
fn open(sys: &System, m: &Message, strict_missing: bool) -> Result<Config, Reply> {
    let fname = m.get("Filename");
    if fname.is_empty() {
        return Err(Reply::error(m, "Filename not specified"));
    }
    match access(sys, fname) {
        Access::Allowed => {}
        Access::Missing if !strict_missing => {
            return Err(Reply::error(m, "Config file not found"));
        }
        _ => return Err(Reply::error(m, "File requires escalated privileges")),
    }
    load(sys, m, fname)
}

/// `action_getconfig`.
pub fn get_config<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let cfg = match open(s.sys(), m, false) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let category = m.get("Category");
    let filter = m.get("Filter");
    let mut r = Reply::start("Success", m);
    let mut n = 0;
    for cat in cfg
        .categories
        .iter()
        .filter(|c| category_matches(c, category, filter))
    {
        r.line(&format!("Category-{n:06}"), &cat.name);
        if cat.template {
            r.line(&format!("IsTemplate-{n:06}"), 1);
        }
        if !cat.inherits.is_empty() {
            r.line(&format!("Templates-{n:06}"), cat.inherits.join(","));
        }
        for (i, v) in cat.variables.iter().enumerate() {
            r.line(
                &format!("Line-{n:06}-{i:06}"),
                format!("{}={}", v.name, v.value),
            );
        }
        n += 1;
    }
    if !category.is_empty() && n == 0 {
        r.raw("No categories found\r\n");
    }
    r.end();
    now(Flow::Reply(r))
}

/// `json_escape`: only backslashes and double quotes.
fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `action_getconfigjson`: a missing file is refused like one outside
/// the config directory (Asterisk tests the check for non-zero).
pub fn get_config_json<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let cfg = match open(s.sys(), m, true) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let category = m.get("Category");
    let filter = m.get("Filter");
    let mut json = String::from("{");
    let mut first_cat = true;
    for cat in cfg
        .categories
        .iter()
        .filter(|c| category_matches(c, category, filter))
    {
        if !first_cat {
            json.push(',');
        }
        first_cat = false;
        let _ = write!(json, "\"{}\":{{", json_escape(&cat.name));
        let mut comma = false;
        if cat.template {
            json.push_str("\"istemplate\":1");
            comma = true;
        }
        if !cat.inherits.is_empty() {
            if comma {
                json.push(',');
            }
            let _ = write!(json, "\"templates\":\"{}\"", cat.inherits.join(","));
            comma = true;
        }
        for v in &cat.variables {
            if comma {
                json.push(',');
            }
            let _ = write!(
                json,
                "\"{}\":\"{}\"",
                json_escape(&v.name),
                json_escape(&v.value)
            );
            comma = true;
        }
        json.push('}');
    }
    json.push('}');
    let mut r = Reply::start("Success", m);
    r.line("JSON", json).end();
    now(Flow::Reply(r))
}

/// `action_listcategories`.
pub fn list_categories<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let cfg = match open(s.sys(), m, false) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let filter = m.get("Match");
    let mut r = Reply::start("Success", m);
    let mut n = 0;
    for cat in cfg
        .categories
        .iter()
        .filter(|c| category_matches(c, "", filter))
    {
        r.line(&format!("Category-{n:06}"), &cat.name);
        n += 1;
    }
    if n == 0 {
        r.raw("Error: no categories found\r\n");
    }
    r.end();
    now(Flow::Reply(r))
}

/// Why an UpdateConfig failed (`enum error_type`), with Asterisk's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum UpdateError {
    #[error("Unknown action command")]
    UnknownAction,
    #[error("Given category does not exist")]
    UnknownCategory,
    #[error("Category not specified")]
    UnspecifiedCategory,
    #[error("Problem with category, value, or line (if required)")]
    UnspecifiedArgument,
    #[error("Create category did not complete successfully")]
    NewCat,
    #[error("Update did not complete successfully")]
    Update,
    #[error("Template category not found")]
    Template,
}

/// `Options-n`: `allowdups`, `template`, `ignoreerror`, `inherit=a,b`
/// (sic: split at commas with the rest), `catfilter=…`.
#[derive(Default)]
struct UpdateOptions {
    allowdups: bool,
    template: bool,
    ignoreerror: bool,
    inherit: Option<String>,
    catfilter: String,
}

fn parse_options(options: &str) -> UpdateOptions {
    let mut o = UpdateOptions::default();
    for token in options.split(',').map(str::trim) {
        if token.eq_ignore_ascii_case("allowdups") {
            o.allowdups = true;
        } else if token.eq_ignore_ascii_case("template") {
            o.template = true;
        } else if token.eq_ignore_ascii_case("ignoreerror") {
            o.ignoreerror = true;
        } else if token.starts_with("inherit") {
            if let Some(v) = token.split('=').nth(1) {
                o.inherit = Some(v.trim().to_string());
            }
        } else if token.starts_with("catfilter") {
            if let Some(v) = token.split('=').nth(1) {
                o.catfilter = v.trim().to_string();
            }
        }
    }
    o
}

fn new_var(name: &str, value: &str, object: bool, file: &Path) -> Variable {
    Variable {
        name: name.to_string(),
        value: value.to_string(),
        object,
        inherited: false,
        origin: Origin {
            file: std::sync::Arc::from(file),
            line: 0,
        },
    }
}

/// `handle_updates`: applies `Action-n` … in order, stopping at the first
/// numbered action missing or at the first error.
fn apply_updates(m: &Message, cfg: &mut Config, dfn: &Path) -> Result<(), UpdateError> {
    for x in 0..100_000 {
        let action = m.get(&format!("Action-{x:06}"));
        if action.is_empty() {
            break;
        }
        let cat = m.get(&format!("Cat-{x:06}"));
        if cat.is_empty() {
            return Err(UpdateError::UnspecifiedCategory);
        }
        let var = m.get(&format!("Var-{x:06}"));
        let mut value = m.get(&format!("Value-{x:06}"));
        let mut object = false;
        if let Some(v) = value.strip_prefix('>') {
            object = true;
            value = v;
        }
        let matching = m.get(&format!("Match-{x:06}"));
        let line = m.get(&format!("Line-{x:06}"));
        let o = parse_options(m.get(&format!("Options-{x:06}")));
        let selected = |cfg: &Config| -> Vec<usize> {
            cfg.categories
                .iter()
                .enumerate()
                .filter(|(_, c)| category_matches(c, cat, &o.catfilter))
                .map(|(i, _)| i)
                .collect()
        };
        match action.to_ascii_lowercase().as_str() {
            "newcat" => {
                if !o.allowdups
                    && cfg
                        .categories
                        .iter()
                        .any(|c| c.name.eq_ignore_ascii_case(cat))
                {
                    if o.ignoreerror {
                        continue;
                    }
                    return Err(UpdateError::NewCat);
                }
                let mut new = Category {
                    name: cat.to_string(),
                    template: o.template,
                    inherits: Vec::new(),
                    variables: Vec::new(),
                    origin: Origin {
                        file: std::sync::Arc::from(dfn),
                        line: 0,
                    },
                };
                if let Some(inherit) = &o.inherit {
                    for t in inherit.split(',').map(str::trim) {
                        let Some(base) = cfg
                            .categories
                            .iter()
                            .find(|c| c.template && c.name.eq_ignore_ascii_case(t))
                        else {
                            return Err(UpdateError::Template);
                        };
                        new.inherits.push(base.name.clone());
                        new.variables
                            .extend(base.variables.iter().cloned().map(|mut v| {
                                v.inherited = true;
                                v
                            }));
                    }
                }
                if matching.is_empty() {
                    cfg.categories.push(new);
                } else {
                    // ast_category_insert: before the category named so.
                    let Some(at) = cfg
                        .categories
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(matching))
                    else {
                        return Err(UpdateError::NewCat);
                    };
                    cfg.categories.insert(at, new);
                }
            }
            "renamecat" => {
                if value.is_empty() {
                    return Err(UpdateError::UnspecifiedArgument);
                }
                let sel = selected(cfg);
                if sel.is_empty() {
                    return Err(UpdateError::UnknownCategory);
                }
                for i in sel {
                    cfg.categories[i].name = value.to_string();
                }
            }
            "delcat" => {
                let sel = selected(cfg);
                if sel.is_empty() && !o.ignoreerror {
                    return Err(UpdateError::UnknownCategory);
                }
                for i in sel.into_iter().rev() {
                    cfg.categories.remove(i);
                }
            }
            "emptycat" => {
                let sel = selected(cfg);
                if sel.is_empty() {
                    return Err(UpdateError::UnknownCategory);
                }
                for i in sel {
                    cfg.categories[i].variables.clear();
                }
            }
            "update" => {
                if var.is_empty() {
                    return Err(UpdateError::UnspecifiedArgument);
                }
                let sel = selected(cfg);
                if sel.is_empty() {
                    return Err(UpdateError::UnknownCategory);
                }
                let mut found = false;
                for i in sel {
                    // ast_variable_update: the first one with the name
                    // (and the value given in Match).
                    let c = &mut cfg.categories[i];
                    if let Some(v) = c.variables.iter_mut().find(|v| {
                        v.name.eq_ignore_ascii_case(var)
                            && (matching.is_empty() || v.value.eq_ignore_ascii_case(matching))
                    }) {
                        v.name = var.to_string();
                        v.value = value.to_string();
                        v.object = v.object || object;
                        v.inherited = false;
                        found = true;
                    }
                }
                if !found {
                    return Err(UpdateError::Update);
                }
            }
            "delete" => {
                if var.is_empty() && line.is_empty() {
                    return Err(UpdateError::UnspecifiedArgument);
                }
                let sel = selected(cfg);
                if sel.is_empty() {
                    return Err(UpdateError::UnknownCategory);
                }
                // By item number (`Line`), else every variable of the name
                // (and value). A bad item number deletes nothing.
                let item: Option<Option<usize>> = if line.is_empty() {
                    None
                } else {
                    Some(
                        crate::funcs::c::scan_long(line, 30)
                            .and_then(|(n, _)| usize::try_from(n).ok()),
                    )
                };
                let mut found = false;
                for i in sel {
                    let c = &mut cfg.categories[i];
                    let before = c.variables.len();
                    match item {
                        Some(None) => {}
                        Some(Some(n)) => {
                            if n < c.variables.len() {
                                c.variables.remove(n);
                            }
                        }
                        None => c.variables.retain(|v| {
                            !(v.name.eq_ignore_ascii_case(var)
                                && (matching.is_empty() || v.value.eq_ignore_ascii_case(matching)))
                        }),
                    }
                    found |= c.variables.len() != before;
                }
                if !found && !o.ignoreerror {
                    return Err(UpdateError::Update);
                }
            }
            "append" => {
                if var.is_empty() {
                    return Err(UpdateError::UnspecifiedArgument);
                }
                let sel = selected(cfg);
                if sel.is_empty() {
                    return Err(UpdateError::UnknownCategory);
                }
                let obj = object || matching.eq_ignore_ascii_case("object");
                for i in sel {
                    cfg.categories[i]
                        .variables
                        .push(new_var(var, value, obj, dfn));
                }
            }
            "insert" => {
                if var.is_empty() || line.is_empty() {
                    return Err(UpdateError::UnspecifiedArgument);
                }
                let sel = selected(cfg);
                if sel.is_empty() {
                    return Err(UpdateError::UnknownCategory);
                }
                // ast_variable_insert: before item `Line` (atoi), at the
                // end when there are fewer.
                let at = crate::apps::builtins::atoi(line).max(0) as usize;
                for i in sel {
                    let vars = &mut cfg.categories[i].variables;
                    let at = at.min(vars.len());
                    vars.insert(at, new_var(var, value, false, dfn));
                }
            }
            _ => {
                tracing::warn!("UpdateConfig: Action-{x:06}: {action} not handled");
                return Err(UpdateError::UnknownAction);
            }
        }
    }
    Ok(())
}

/// `ast_escape_semicolons`.
fn escape_semicolons(s: &str) -> String {
    s.replace(';', "\\;")
}

/// `ast_config_text_file_save2` for one file: the generated header, then
/// each category with its template marks and the variables it does not
/// take unchanged from a template. Comments and `#include`s of the
/// source are not kept (the loader does not keep them).
pub(crate) fn render(cfg: &Config, configfile: &str, path: &Path, generator: &str) -> String {
    let mut out = String::new();
    let date = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
    out.push_str(";!\n;! Automatically generated configuration file\n");
    let full = path.display().to_string();
    if configfile != full {
        let _ = writeln!(out, ";! Filename: {configfile} ({full})");
    } else {
        let _ = writeln!(out, ";! Filename: {configfile}");
    }
    let _ = writeln!(out, ";! Generator: {generator}");
    let _ = writeln!(out, ";! Creation Date: {date}");
    out.push_str(";!\n");
    for (i, cat) in cfg.categories.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "[{}]", cat.name);
        if cat.template || !cat.inherits.is_empty() {
            out.push('(');
            if cat.template {
                out.push('!');
            }
            if cat.template && !cat.inherits.is_empty() {
                out.push(',');
            }
            out.push_str(&cat.inherits.join(","));
            out.push(')');
        }
        out.push('\n');
        let bases: Vec<&Category> = cat
            .inherits
            .iter()
            .filter_map(|t| {
                cfg.categories
                    .iter()
                    .find(|c| c.template && c.name.eq_ignore_ascii_case(t))
            })
            .collect();
        for v in &cat.variables {
            // PRESERVE_EFFECTIVE_CONTEXT: what a template gives unchanged
            // is left to the template.
            let from_template = bases.iter().any(|b| {
                b.variables
                    .iter()
                    .any(|bv| bv.name.eq_ignore_ascii_case(&v.name) && bv.value == v.value)
            });
            if from_template {
                continue;
            }
            let _ = writeln!(
                out,
                "{} {} {}",
                v.name,
                if v.object { "=>" } else { "=" },
                escape_semicolons(&v.value)
            );
        }
    }
    out
}

/// `action_updateconfig`. The new file is written beside the old one and
/// renamed over it, so a crash leaves one or the other whole.
pub fn update_config<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let sfn = m.get("SrcFilename");
    let dfn = m.get("DstFilename");
    if sfn.is_empty() || dfn.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Filename not specified")));
    }
    if access(&sys, sfn) != Access::Allowed || access(&sys, dfn) != Access::Allowed {
        return now(Flow::Reply(Reply::error(
            m,
            "File requires escalated privileges",
        )));
    }
    let mut cfg = match load(&sys, m, sfn) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let path = if dfn.starts_with('/') {
        PathBuf::from(dfn)
    } else {
        sys.conf.dirs.etc.join(dfn)
    };
    if let Err(e) = apply_updates(m, &mut cfg, &path) {
        return now(Flow::Reply(Reply::error(m, &e.to_string())));
    }
    let text = render(&cfg, dfn, &path, "Manager");
    sys.pbx.logger.verbose(
        2,
        crate::site!("config.c", 2993, "ast_config_text_file_save2"),
        None,
        &format!("Saving '{}'", path.display()),
    );
    if let Err(e) = crate::core::daemon::write_atomic(&path, text.as_bytes()) {
        sys.pbx.logger.error(
            crate::site!("config.c", 2975, "ast_config_text_file_save2"),
            None,
            &format!("Unable to write {} ({e})", path.display()),
        );
        return now(Flow::Reply(Reply::error(m, "Save of config failed")));
    }
    let rld = m.get("Reload");
    let reply = Reply::response("Success", m, None);
    if !rld.is_empty() {
        if crate::config::is_true(rld) {
            crate::core::modules::reload(&sys, None);
        } else if !crate::config::is_false(rld) {
            crate::core::modules::reload(&sys, Some(rld));
        }
    }
    now(Flow::Reply(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        crate::config::loader::load_str(
            "x.conf",
            text,
            &crate::config::loader::LoadOptions::new("/tmp"),
        )
        .expect("config")
    }

    #[test]
    fn filters_follow_does_category_match() {
        let c = cfg("[t](!)\na=1\n[u](t)\nb=2\n[v]\nname=bob\n");
        let names = |name: &str, filter: &str| -> Vec<String> {
            c.categories
                .iter()
                .filter(|k| category_matches(k, name, filter))
                .map(|k| k.name.clone())
                .collect()
        };
        assert_eq!(names("", ""), ["u", "v"]);
        assert_eq!(names("", "TEMPLATES=include"), ["t", "u", "v"]);
        assert_eq!(names("", "TEMPLATES=restrict"), ["t"]);
        assert_eq!(names("", "name=^b"), ["v"]);
        assert_eq!(names("V", ""), ["v"]);
    }

    #[test]
    fn saved_text_keeps_templates_apart() {
        let c = cfg("[t](!)\na=1\n[u](t)\nb=x\\;y\n");
        let text = render(&c, "x.conf", Path::new("/tmp/x.conf"), "Manager");
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with(";!")).collect();
        assert_eq!(body, ["[t](!)", "a = 1", "", "[u](t)", "b = x\\;y"]);
    }
}

/// CreateConfig (`action_createconfig`): an empty file in the config
/// directory. The directory part is resolved (it must exist, and lie in
/// the config directory); the file must not exist yet.
pub fn create_config<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Filename");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Filename not specified")));
    }
    let name = name.trim();
    let etc = s.sys().conf.dirs.etc.to_string_lossy().into_owned();
    let path = if name.starts_with('/') {
        name.to_string()
    } else {
        format!("{etc}/{name}")
    };
    let Some((dir, file)) = path.rsplit_once('/') else {
        return now(Flow::Reply(Reply::error(m, "Filename is invalid")));
    };
    let real_dir = match std::fs::canonicalize(dir) {
        Ok(d) => d.to_string_lossy().into_owned(),
        Err(e) => {
            return now(Flow::Reply(Reply::error(
                m,
                &crate::funcs::env::strerror(&e),
            )));
        }
    };
    if !real_dir.starts_with(&etc) {
        return now(Flow::Reply(Reply::error(
            m,
            "File requires escalated privileges",
        )));
    }
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(format!("{real_dir}/{file}"));
    now(Flow::Reply(match created {
        Ok(_) => Reply::ack(m, "New configuration file created successfully"),
        Err(e) => Reply::error(m, &crate::funcs::env::strerror(&e)),
    }))
}
