//! AST_CONFIG (Asterisk's `funcs/func_config.c`): a variable of a .conf
//! file, read through the config layer with the cache Asterisk keeps for
//! it: a file is parsed again only when it (or a file it includes)
//! changed on disk, and a file that changed into one that does not load
//! fails once, then, while it stays as it is, answers from the last
//! version that loaded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::{Failed, FuncCtx, Function};
use crate::config::Config;
use crate::config::loader::load;
use crate::core::lock;

const FILE: &str = "func_config.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "AST_CONFIG",
        read: Some(config_read),
        write: None,
        synopsis: "Reads a variable from a configuration file.",
        syntax: "AST_CONFIG(config_file,category,variable_name[,index])",
    }]
}

/// What `cfmstat_save` keeps of a file: size and modification time.
type Stamp = (u64, Option<SystemTime>);

fn stamp(path: &Path) -> Option<Stamp> {
    let md = std::fs::metadata(path).ok()?;
    md.is_file().then(|| (md.len(), md.modified().ok()))
}

/// The config layer's record of a file AST_CONFIG loaded (`struct
/// cache_file_mtime`): its stamp, taken before it was parsed, and what
/// it included then.
struct Seen {
    stamp: Stamp,
    /// Each include: the files it read with their stamps (none read: the
    /// include counts as changed, as Asterisk finds no file to compare).
    includes: Vec<Vec<(PathBuf, Option<Stamp>)>>,
    has_exec: bool,
}

#[derive(Default)]
struct CacheState {
    /// By resolved path (`cfmtime_head` for this module).
    seen: HashMap<PathBuf, Seen>,
    /// The last configuration that loaded, by the name given
    /// (func_config's `configs` list).
    configs: HashMap<String, Arc<Config>>,
}

#[derive(Default)]
pub struct Cache {
    state: Mutex<CacheState>,
}

/// Why a file gave no configuration.
enum LoadFailure {
    Missing,
    Invalid(crate::config::ConfigError),
}

impl Cache {
    /// `ast_config_load` with CONFIG_FLAG_FILEUNCHANGED, then
    /// func_config's list.
    fn get(&self, sys: &crate::core::System, name: &str) -> Result<Arc<Config>, LoadFailure> {
        let opts = sys.conf.load_options();
        let path = if Path::new(name).is_absolute() {
            PathBuf::from(name)
        } else {
            opts.config_dir.join(name)
        };
        let mut st = lock(&self.state);
        let Some(now) = stamp(&path) else {
            st.seen.remove(&path);
            return Err(LoadFailure::Missing);
        };
        let unchanged = st.seen.get(&path).is_some_and(|s| {
            s.stamp == now
                && !s.has_exec
                && s.includes
                    .iter()
                    .all(|files| !files.is_empty() && files.iter().all(|(p, was)| stamp(p) == *was))
        });
        if unchanged && let Some(cfg) = st.configs.get(name) {
            return Ok(cfg.clone());
        }
        // Recorded before parsing, as Asterisk does: a file that fails to
        // load is "unchanged" until it is written again.
        st.seen.insert(
            path.clone(),
            Seen {
                stamp: now,
                includes: Vec::new(),
                has_exec: false,
            },
        );
        let cfg = match load(name, &opts) {
            Ok(Some(cfg)) => Arc::new(cfg),
            Ok(None) => return Err(LoadFailure::Missing),
            Err(e) => return Err(LoadFailure::Invalid(e)),
        };
        if let Some(seen) = st.seen.get_mut(&path) {
            seen.has_exec = cfg.includes.iter().any(|i| i.directive == "exec");
            seen.includes = cfg
                .includes
                .iter()
                .filter(|i| i.directive != "exec")
                .map(|i| i.files.iter().map(|f| (f.clone(), stamp(f))).collect())
                .collect();
        }
        st.configs.insert(name.to_string(), cfg.clone());
        Ok(cfg)
    }
}

/// `sscanf(index, "%d")`: leading blanks, a sign and digits; `None`
/// when no number starts the text, `Some(0)` for blanks only (sscanf's
/// EOF, which func_config lets through as index 0).
fn scan_index(text: &str) -> Option<i32> {
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        return Some(0);
    }
    super::c::scan_int(t).map(|(n, _)| n)
}

fn config_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let err = |line: u32, msg: &str| {
        ctx.error(crate::site!(FILE, line, "config_function_read"), msg);
        Failed
    };
    if data.is_empty() {
        return Err(err(95, "AST_CONFIG() requires an argument"));
    }
    let args = crate::apps::separate_args(data, ',', 4);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let (filename, category, variable) = (arg(0), arg(1), arg(2));
    if filename.is_empty() {
        return Err(err(103, "AST_CONFIG() requires a filename"));
    }
    if category.is_empty() {
        return Err(err(108, "AST_CONFIG() requires a category"));
    }
    if variable.is_empty() {
        return Err(err(113, "AST_CONFIG() requires a variable"));
    }
    let index = if arg(3).is_empty() {
        0
    } else {
        scan_index(arg(3)).ok_or_else(|| err(119, "AST_CONFIG() index must be an integer"))?
    };
    let cfg = match ctx.sys.ast_config.get(ctx.sys, filename) {
        Ok(cfg) => cfg,
        Err(LoadFailure::Missing) => return Err(Failed),
        Err(LoadFailure::Invalid(e)) => {
            if let Some(d) = e.0.asterisk_log() {
                ctx.sys.pbx.logger.deferred(&d, None);
            }
            return Err(Failed);
        }
    };
    // `ast_category_root`: the first category of that name that is not a
    // template; -1 takes the last occurrence of the variable.
    let Some(cat) = cfg.section(category) else {
        return Err(Failed);
    };
    let mut found = None;
    let mut ix = 0;
    for v in cat
        .variables
        .iter()
        .filter(|v| v.name.eq_ignore_ascii_case(variable))
    {
        if index == -1 {
            found = Some(v);
            continue;
        }
        if ix == index {
            found = Some(v);
            break;
        }
        ix += 1;
    }
    found.map(|v| v.value.clone()).ok_or(Failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_as_sscanf() {
        let cases: &[(&str, Option<i32>)] = &[
            ("1", Some(1)),
            (" 2", Some(2)),
            ("2x", Some(2)),
            ("-1", Some(-1)),
            ("x", None),
            (" ", Some(0)),
        ];
        for (text, want) in cases {
            assert_eq!(scan_index(text), *want, "{text:?}");
        }
    }

    #[test]
    fn a_file_that_stops_loading_answers_from_its_last_version() {
        let (dir, sys) = crate::funcs::test_system(&[("t.conf", "[s]\nv = one\n")]);
        let read = |args: &str| {
            let ctx = FuncCtx {
                sys: &sys,
                chan: None,
                name: "AST_CONFIG",
            };
            config_read(&ctx, args).ok()
        };
        assert_eq!(read("t.conf,s,v").as_deref(), Some("one"));
        std::fs::write(dir.path().join("t.conf"), "[s\nv = broken, longer\n").expect("write");
        assert_eq!(read("t.conf,s,v"), None);
        assert_eq!(read("t.conf,s,v").as_deref(), Some("one"));
        std::fs::write(dir.path().join("t.conf"), "[s]\nv = two\n").expect("write");
        assert_eq!(read("t.conf,s,v").as_deref(), Some("two"));
        std::fs::remove_file(dir.path().join("t.conf")).expect("rm");
        assert_eq!(read("t.conf,s,v"), None);
    }
}
