//! Loads a config file the way Asterisk's `config.c` does: categories,
//! templates, inheritance, `(+)` additions, `+=` appends, and the
//! `#include` / `#tryinclude` / `#exec` directives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::grammar::{CommentStripper, Line, parse_line};
use super::{Category, Config, ConfigError, Diagnostic, IncludeRecord, Origin, Severity, Variable};

/// Asterisk's include depth limit (`MAX_INCLUDE_LEVEL`).
const MAX_INCLUDE_LEVEL: usize = 10;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `astetcdir`: relative file names and includes resolve against it.
    pub config_dir: PathBuf,
    /// `execincludes` from asterisk.conf `[options]`: allows `#exec`.
    pub exec_includes: bool,
}

impl LoadOptions {
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            config_dir: config_dir.into(),
            exec_includes: false,
        }
    }
}

/// Loads `file` (relative to the config dir, or absolute).
///
/// `Ok(None)` means the file does not exist, which Asterisk treats as "no
/// configuration" rather than an error. `Err` is a file Asterisk would
/// refuse (`CONFIG_STATUS_FILEINVALID`), with the place and the reason.
pub fn load(file: &str, opts: &LoadOptions) -> Result<Option<Config>, ConfigError> {
    let mut loader = Loader {
        opts,
        config: Config::default(),
        current: None,
        depth: 0,
    };
    let found = loader.load_pattern(file, None)?;
    Ok(found.then_some(loader.config))
}

/// Loads configuration text that is not on disk (tests, fuzzing, `#exec`
/// output), as if it were the file `name`.
pub fn load_str(name: &str, text: &str, opts: &LoadOptions) -> Result<Config, ConfigError> {
    let mut loader = Loader {
        opts,
        config: Config::default(),
        current: None,
        depth: 1,
    };
    let path = opts.config_dir.join(name);
    loader.config.files.push(path.clone());
    loader.parse_text(&path, text, None)?;
    Ok(loader.config)
}

struct Loader<'a> {
    opts: &'a LoadOptions,
    config: Config,
    /// Asterisk's "current category" of the config: the last appended or
    /// `(+)`-selected one. An included file starts out adding to it.
    current: Option<usize>,
    depth: usize,
}

fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl Loader<'_> {
    fn resolve(&self, file: &str) -> PathBuf {
        let p = Path::new(file);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.opts.config_dir.join(p)
        }
    }

    /// Loads every file a name or glob expands to. Returns whether any
    /// file was read.
    fn load_pattern(
        &mut self,
        file: &str,
        files_out: Option<&mut Vec<PathBuf>>,
    ) -> Result<bool, ConfigError> {
        if self.depth > MAX_INCLUDE_LEVEL {
            return Ok(false);
        }
        let full = self.resolve(file);
        let candidates: Vec<PathBuf> = if has_glob_chars(&full.to_string_lossy()) {
            match glob::glob(&full.to_string_lossy()) {
                Ok(paths) => {
                    let mut v: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
                    v.sort();
                    v
                }
                Err(_) => vec![full],
            }
        } else {
            vec![full]
        };
        let mut count = 0;
        let mut read = Vec::new();
        for path in candidates {
            // Asterisk skips anything that is not a regular file.
            if !path.is_file() {
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(_) => continue,
            };
            count += 1;
            read.push(path.clone());
            self.config.files.push(path.clone());
            let text = crate::core::raw::decode(&bytes);
            let inherited_current = self.current;
            self.depth += 1;
            let res = self.parse_text(&path, &text, inherited_current);
            self.depth -= 1;
            res?;
        }
        if let Some(out) = files_out {
            out.extend(read);
        }
        Ok(count > 0)
    }

    fn warn(&mut self, file: &Path, line: u32, column: u32, message: impl Into<String>) {
        self.config.warnings.push(Diagnostic {
            severity: Severity::Warning,
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        });
    }

    fn fatal(file: &Path, line: u32, column: u32, message: impl Into<String>) -> ConfigError {
        ConfigError(Diagnostic {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        })
    }

    fn parse_text(
        &mut self,
        path: &Path,
        text: &str,
        mut cat: Option<usize>,
    ) -> Result<(), ConfigError> {
        let file: Arc<Path> = Arc::from(path);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut stripper = CommentStripper::new();
        for (idx, raw) in text.split('\n').enumerate() {
            let lineno = idx as u32 + 1;
            let Some(stripped) = stripper.strip(raw, lineno) else {
                continue;
            };
            let parsed = match parse_line(&stripped.text) {
                Ok(l) => l,
                Err(e) => {
                    let col = stripped.column_of(e.offset);
                    if e.fatal {
                        return Err(Self::fatal(path, lineno, col, e.message));
                    }
                    self.warn(path, lineno, col, e.message);
                    continue;
                }
            };
            let origin = Origin {
                file: file.clone(),
                line: lineno,
            };
            match parsed {
                Line::Category { name, options } => {
                    cat = Some(self.category(name, options, origin, &stripped)?);
                }
                Line::Directive { word, argument } => {
                    self.directive(path, lineno, &stripped, word, argument)?;
                }
                Line::Assignment {
                    name,
                    value,
                    object,
                    append,
                } => {
                    let Some(ci) = cat else {
                        return Err(Self::fatal(
                            path,
                            lineno,
                            stripped.column_of(0),
                            "expected a [category] header before the first variable",
                        ));
                    };
                    self.assign(ci, name, value, object, append, origin);
                }
            }
        }
        if let Some(since) = stripper.unterminated_since() {
            self.warn(
                path,
                since,
                1,
                "unterminated block comment ';--' (expected '--;')",
            );
        }
        Ok(())
    }

    fn category(
        &mut self,
        name: &str,
        options: Option<Vec<&str>>,
        origin: Origin,
        stripped: &super::grammar::StrippedLine,
    ) -> Result<usize, ConfigError> {
        let mut new = Category {
            name: name.to_string(),
            template: false,
            inherits: Vec::new(),
            variables: Vec::new(),
            origin: origin.clone(),
        };
        // While `target` is Some, options apply to an existing category
        // selected by `(+)` instead of the new one.
        let mut target: Option<usize> = None;
        let opt_col = stripped.column_of(name.len() + 3);
        for opt in options.unwrap_or_default() {
            if opt.eq_ignore_ascii_case("!") {
                match target {
                    Some(t) => self.config.categories[t].template = true,
                    None => new.template = true,
                }
            } else if let Some(filter) = opt.strip_prefix('+') {
                let found = self.find_for_addition(name, filter);
                let Some(t) = found else {
                    return Err(Self::fatal(
                        &origin.file,
                        origin.line,
                        opt_col,
                        format!(
                            "category addition requested, but category '{name}' does not exist"
                        ),
                    ));
                };
                if target.is_none() {
                    let existing = &mut self.config.categories[t];
                    existing.template |= new.template;
                    existing.variables.append(&mut new.variables);
                    existing.inherits.append(&mut new.inherits);
                }
                target = Some(t);
            } else {
                // Inheritance looks at templates and plain categories alike.
                let Some(base) = self
                    .config
                    .categories
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(opt))
                else {
                    return Err(Self::fatal(
                        &origin.file,
                        origin.line,
                        opt_col,
                        format!("inheritance requested, but category '{opt}' does not exist"),
                    ));
                };
                let base = &self.config.categories[base];
                let base_name = base.name.clone();
                let cloned: Vec<Variable> = base
                    .variables
                    .iter()
                    .map(|v| Variable {
                        inherited: true,
                        ..v.clone()
                    })
                    .collect();
                let dest = match target {
                    Some(t) => &mut self.config.categories[t],
                    None => &mut new,
                };
                dest.inherits.push(base_name);
                dest.variables.extend(cloned);
            }
        }
        let idx = match target {
            Some(t) => t,
            None => {
                self.config.categories.push(new);
                self.config.categories.len() - 1
            }
        };
        self.current = Some(idx);
        Ok(idx)
    }

    /// `[name](+)` picks the first non-template category of that name;
    /// `[name](+type=endpoint)` also requires variables to match the
    /// `name=value` regex pairs (joined by `&`).
    fn find_for_addition(&self, name: &str, filter: &str) -> Option<usize> {
        let filters: Vec<(regex::Regex, regex::Regex)> = filter
            .split('&')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .filter_map(|f| {
                let (n, v) = f.split_once('=')?;
                Some((
                    regex::Regex::new(n.trim()).ok()?,
                    regex::Regex::new(v.trim()).ok()?,
                ))
            })
            .collect();
        self.config.categories.iter().position(|c| {
            c.name.eq_ignore_ascii_case(name)
                && !c.template
                && filters.iter().all(|(rn, rv)| {
                    c.variables
                        .iter()
                        .any(|v| rn.is_match(&v.name) && rv.is_match(&v.value))
                })
        })
    }

    fn assign(
        &mut self,
        cat: usize,
        name: &str,
        value: &str,
        object: bool,
        append: bool,
        origin: Origin,
    ) {
        let category = &mut self.config.categories[cat];
        if append {
            // `name += text` extends the last variable of that exact name.
            if let Some(var) = category.variables.iter_mut().rev().find(|v| v.name == name) {
                let joined = format!("{}{}", var.value, value);
                var.value = joined.trim().to_string();
                return;
            }
        }
        category.variables.push(Variable {
            name: name.to_string(),
            value: value.trim().to_string(),
            object,
            inherited: false,
            origin,
        });
    }

    fn directive(
        &mut self,
        path: &Path,
        lineno: u32,
        stripped: &super::grammar::StrippedLine,
        word: &str,
        argument: Option<&str>,
    ) -> Result<(), ConfigError> {
        let col = stripped.column_of(0);
        let kind = word.to_ascii_lowercase();
        if !matches!(kind.as_str(), "include" | "tryinclude" | "exec") {
            self.warn(
                path,
                lineno,
                col,
                format!("unknown directive '#{word}' (expected #include, #tryinclude or #exec)"),
            );
            return Ok(());
        }
        if kind == "exec" && !self.opts.exec_includes {
            self.warn(
                path,
                lineno,
                col,
                "cannot perform #exec unless execincludes is enabled in asterisk.conf [options]",
            );
            return Ok(());
        }
        let Some(arg) = argument else {
            let what = if kind == "exec" {
                "/path/to/executable"
            } else {
                "filename"
            };
            self.warn(
                path,
                lineno,
                stripped.column_of(stripped.text.len()),
                format!("directive '#{word}' needs an argument (expected {what})"),
            );
            return Ok(());
        };
        let target = dequote(arg);
        let mut record = IncludeRecord {
            directive: kind.clone(),
            argument: target.to_string(),
            from: path.to_path_buf(),
            line: lineno,
            files: Vec::new(),
        };
        let found = if self.depth >= MAX_INCLUDE_LEVEL {
            self.warn(
                path,
                lineno,
                col,
                format!("maximum include level ({MAX_INCLUDE_LEVEL}) exceeded"),
            );
            false
        } else if kind == "exec" {
            self.exec_include(path, lineno, col, target, &mut record)?
        } else {
            let mut files = Vec::new();
            let found = self.load_pattern(target, Some(&mut files))?;
            record.files = files;
            found
        };
        self.config.includes.push(record);
        if !found && kind != "tryinclude" {
            return Err(Self::fatal(
                path,
                lineno,
                stripped.column_of(stripped.text.find(target).unwrap_or(0)),
                format!("the file '{target}' was listed as a #{kind} but it does not exist"),
            ));
        }
        Ok(())
    }

    /// `#exec cmd`: runs the command through the shell and reads its output
    /// as if it had been included.
    fn exec_include(
        &mut self,
        path: &Path,
        lineno: u32,
        col: u32,
        command: &str,
        record: &mut IncludeRecord,
    ) -> Result<bool, ConfigError> {
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(crate::core::raw::os(command))
            .current_dir(&self.opts.config_dir)
            .stdin(std::process::Stdio::null());
        // A reload runs it with what ENV() has set, as Asterisk's own
        // environment would have it.
        crate::core::environ::apply(&mut cmd);
        let output = cmd.output();
        let output = match output {
            Ok(o) => o,
            Err(e) => {
                return Err(Self::fatal(
                    path,
                    lineno,
                    col,
                    format!("#exec '{command}' failed to run: {e}"),
                ));
            }
        };
        let text = crate::core::raw::decode_owned(output.stdout);
        let pseudo = PathBuf::from(format!("#exec {command}"));
        record.files.push(pseudo.clone());
        let current = self.current;
        self.depth += 1;
        let res = self.parse_text(&pseudo, &text, current);
        self.depth -= 1;
        res?;
        Ok(true)
    }
}

/// Strips one pair of surrounding `"…"` or `<…>` as Asterisk does.
fn dequote(arg: &str) -> &str {
    let close = match arg.as_bytes().first() {
        Some(b'"') => '"',
        Some(b'<') => '>',
        _ => return arg,
    };
    if arg.len() >= 2 && arg.ends_with(close) {
        &arg[1..arg.len() - 1]
    } else {
        arg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        load_str("test.conf", text, &LoadOptions::new("/nonexistent"))
    }

    fn vars(c: &Category) -> Vec<(String, String)> {
        c.variables
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect()
    }

    #[test]
    fn templates_and_inheritance() {
        let cfg = load_text(
            "[tpl](!)\ncontext=x\nallow=ulaw\n[base]\nnat=yes\n[peer](tpl,base)\nallow=alaw\ncontext=y\n",
        )
        .expect("loads");
        let names: Vec<_> = cfg.sections().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["base", "peer"]);
        let peer = cfg.section("PEER").expect("peer");
        assert_eq!(peer.inherits, ["tpl", "base"]);
        assert_eq!(peer.get("context"), Some("y"));
        assert_eq!(
            peer.all("allow")
                .map(|v| v.value.as_str())
                .collect::<Vec<_>>(),
            ["ulaw", "alaw"]
        );
        assert!(peer.variables[0].inherited);
    }

    #[test]
    fn additions_and_appends() {
        let cfg = load_text("[a]\nx=1\n[b]\n[a](+)\ny=2\nx += 3\n").expect("loads");
        let a = cfg.section("a").expect("a");
        assert_eq!(
            vars(a),
            [("x".into(), "1 3".into()), ("y".into(), "2".into())]
        );
        let err = load_text("[nope](+)\n").expect_err("no base");
        assert_eq!(err.0.line, 1);
        assert!(err.0.message.contains("'nope' does not exist"));
    }

    #[test]
    fn filtered_addition_picks_matching_type() {
        let cfg = load_text(
            "[1001]\ntype=endpoint\n[1001]\ntype=aor\n[1001](+type=aor)\nmax_contacts=2\n",
        )
        .expect("loads");
        let aor = &cfg.categories[1];
        assert_eq!(aor.get("max_contacts"), Some("2"));
        assert_eq!(cfg.categories[0].get("max_contacts"), None);
    }

    #[test]
    fn repeated_sections_are_kept() {
        let cfg = load_text("[s]\na=1\n[s]\na=2\n").expect("loads");
        assert_eq!(cfg.categories.len(), 2);
        assert_eq!(cfg.get("s", "a"), Some("1"));
    }

    #[test]
    fn errors_carry_position() {
        let err = load_text("[ok]\na=1\n  [broken\n").expect_err("fatal");
        assert_eq!((err.0.line, err.0.column), (3, 10));
        let err = load_text("a=1\n").expect_err("no category");
        assert_eq!((err.0.line, err.0.column), (1, 1));
        let cfg = load_text("[x]\n  junk line\n#bogus arg\n").expect("warnings only");
        assert_eq!(cfg.warnings.len(), 2);
        assert_eq!((cfg.warnings[0].line, cfg.warnings[0].column), (2, 12));
    }

    #[test]
    fn includes_resolve_against_config_dir() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join("main.conf"),
            "[a]\nx=1\n#include \"sub/*.conf\"\ny=2\n#tryinclude missing.conf\n",
        )
        .expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/1.conf"), "z=3\n[b]\nw=4\n").expect("write");
        let opts = LoadOptions::new(dir.path());
        let cfg = load("main.conf", &opts).expect("ok").expect("found");
        // The included file continues [a]; after it, the parent goes on in [a].
        assert_eq!(vars(cfg.section("a").expect("a")).len(), 3);
        assert_eq!(cfg.get("b", "w"), Some("4"));
        assert_eq!(cfg.files.len(), 2);
        std::fs::write(dir.path().join("bad.conf"), "[a]\n#include nothere.conf\n").expect("write");
        let err = load("bad.conf", &opts).expect_err("missing include");
        assert_eq!(err.0.line, 2);
        assert!(load("absent.conf", &opts).expect("ok").is_none());
    }

    #[test]
    fn exec_only_when_enabled() {
        let mut opts = LoadOptions::new("/tmp");
        let cfg = load_str("t.conf", "[a]\n#exec echo x=1\n", &opts).expect("ok");
        assert_eq!(cfg.get("a", "x"), None);
        assert_eq!(cfg.warnings.len(), 1);
        opts.exec_includes = true;
        let cfg = load_str("t.conf", "[a]\n#exec \"echo x=1\"\n", &opts).expect("ok");
        assert_eq!(cfg.get("a", "x"), Some("1"));
    }

    #[test]
    fn exec_sees_what_env_set() {
        let mut opts = LoadOptions::new("/tmp");
        opts.exec_includes = true;
        crate::core::environ::setenv("ASTERISM_LOADER_EXEC_TEST", Some("42"));
        let text = "[a]\n#exec \"echo x=$ASTERISM_LOADER_EXEC_TEST\"\n";
        let cfg = load_str("t.conf", text, &opts).expect("ok");
        assert_eq!(cfg.get("a", "x"), Some("42"));
    }
}
