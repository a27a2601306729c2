//! `cdr.conf` (main/cdr.c `[general]`, cdr/cdr_csv.c `[csv]`).
//!
//! The CDR engine reads the file with config_options: one unknown option,
//! unknown section or bad value and it ignores the whole file and runs
//! with its defaults, which is what this view then holds.

use super::{View, bad_value, file_note, line_note, report_unknown, section_note};
use crate::config::{Config, Diagnostic, Severity, is_false, is_true};

/// Sections other CDR modules read; the engine leaves them alone.
const BACKEND_SECTIONS: &[&str] = &[
    "csv", "custom", "manager", "odbc", "pgsql", "radius", "sqlite", "tds", "mysql",
];

/// `[general]` settings Asterism's CDR engine does not act on (debug
/// output, ignoring bridge changes), with the
/// value that would matter: check-config lists them. `None`: any value.
const UNBUILT_GENERAL: &[(&str, Option<bool>)] =
    &[("debug", Some(true)), ("ignorestatechanges", Some(true))];

/// Lists a `[general]` line the engine does not act on.
fn note_unbuilt(diags: &mut Vec<Diagnostic>, v: &crate::config::Variable) {
    let name = v.name.to_ascii_lowercase();
    let unbuilt = UNBUILT_GENERAL
        .iter()
        .any(|(n, when)| *n == name && when.is_none_or(|w| is_true(&v.value) == w));
    if unbuilt {
        line_note(
            diags,
            Severity::Warning,
            v,
            format!(
                "[general] {} = {}: Asterism's CDR engine does not act on this",
                v.name, v.value
            ),
        );
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CdrGeneral {
    pub enable: bool,
    pub debug: bool,
    pub unanswered: bool,
    pub congestion: bool,
    pub batch: bool,
    pub endbeforehexten: bool,
    pub initiatedseconds: bool,
    pub scheduleronly: bool,
    pub safeshutdown: bool,
    /// Records per batch (0 to 1000).
    pub size: u32,
    /// Seconds between batches (1 to 86400).
    pub time: u32,
    pub channeldefaultenabled: bool,
    pub ignorestatechanges: bool,
    pub ignoredialchanges: bool,
    pub canceldispositionenabled: bool,
}

impl Default for CdrGeneral {
    fn default() -> Self {
        CdrGeneral {
            enable: true,
            debug: false,
            unanswered: false,
            congestion: false,
            batch: false,
            endbeforehexten: true,
            initiatedseconds: false,
            scheduleronly: false,
            safeshutdown: true,
            size: 100,
            time: 300,
            channeldefaultenabled: true,
            ignorestatechanges: false,
            ignoredialchanges: false,
            canceldispositionenabled: false,
        }
    }
}

/// `[csv]` of cdr_csv.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CsvConf {
    pub usegmtime: bool,
    pub accountlogs: bool,
    pub loguniqueid: bool,
    pub loguserfield: bool,
    pub newcdrcolumns: bool,
}

impl Default for CsvConf {
    fn default() -> Self {
        CsvConf {
            usegmtime: false,
            accountlogs: true,
            loguniqueid: false,
            loguserfield: false,
            newcdrcolumns: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CdrConf {
    pub general: CdrGeneral,
    /// `None` when there is no `[csv]` with at least one option: cdr_csv
    /// then declines to load.
    pub csv: Option<CsvConf>,
}

/// A config_options boolean flag: true values set it, anything else
/// clears it.
fn flag(v: &str) -> bool {
    is_true(v)
}

/// Applies one `[general]` option; `Err` makes the engine drop the file.
fn apply(g: &mut CdrGeneral, name: &str, value: &str) -> Result<(), String> {
    let range = |lo: u32, hi: u32| -> Result<u32, String> {
        match value.trim().parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n),
            _ => Err(format!("a number from {lo} to {hi}")),
        }
    };
    match name.to_ascii_lowercase().as_str() {
        "enable" => g.enable = flag(value),
        "debug" => g.debug = flag(value),
        "unanswered" => g.unanswered = flag(value),
        "congestion" => g.congestion = flag(value),
        "batch" => g.batch = flag(value),
        "endbeforehexten" => g.endbeforehexten = flag(value),
        "initiatedseconds" => g.initiatedseconds = flag(value),
        "scheduleronly" => g.scheduleronly = flag(value),
        "safeshutdown" => g.safeshutdown = flag(value),
        "size" => g.size = range(0, 1000)?,
        "time" => g.time = range(1, 86400)?,
        "channeldefaultenabled" => g.channeldefaultenabled = flag(value),
        "ignorestatechanges" => g.ignorestatechanges = flag(value),
        "ignoredialchanges" => g.ignoredialchanges = flag(value),
        "canceldispositionenabled" => g.canceldispositionenabled = flag(value),
        _ => return Err("not a CDR option".into()),
    }
    Ok(())
}

impl View for CdrConf {
    const FILE: &'static str = "cdr.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut general = CdrGeneral::default();
        let mut failed = false;
        for cat in cfg.sections() {
            let lname = cat.name.to_ascii_lowercase();
            if lname == "general" {
                for v in &cat.variables {
                    note_unbuilt(diags, v);
                    if let Err(why) = apply(&mut general, &v.name, &v.value) {
                        if why == "not a CDR option" {
                            report_unknown(cfg, diags, cat, v);
                        } else {
                            bad_value(diags, v, &why);
                        }
                        failed = true;
                    } else if !matches!(v.name.to_ascii_lowercase().as_str(), "size" | "time")
                        && !is_true(&v.value)
                        && !is_false(&v.value)
                    {
                        bad_value(diags, v, "yes or no (read as no)");
                    }
                }
            } else if !BACKEND_SECTIONS.contains(&lname.as_str()) {
                section_note(
                    diags,
                    Severity::Error,
                    cat,
                    format!("the CDR engine knows no section [{}]", cat.name),
                );
                failed = true;
            }
        }
        if failed {
            file_note(
                diags,
                Severity::Error,
                cfg,
                "Asterisk ignores cdr.conf and uses the CDR defaults".into(),
            );
            general = CdrGeneral::default();
        }
        // cdr_csv reads the first [csv]; options it does not know it skips.
        let csv = cfg
            .sections()
            .find(|c| c.name.eq_ignore_ascii_case("csv"))
            .filter(|c| !c.variables.is_empty())
            .map(|cat| {
                let mut c = CsvConf::default();
                for v in &cat.variables {
                    match v.name.to_ascii_lowercase().as_str() {
                        "usegmtime" => c.usegmtime = is_true(&v.value),
                        "accountlogs" => c.accountlogs = is_true(&v.value),
                        "loguniqueid" => c.loguniqueid = is_true(&v.value),
                        "loguserfield" => c.loguserfield = is_true(&v.value),
                        "newcdrcolumns" => c.newcdrcolumns = is_true(&v.value),
                        _ => report_unknown(cfg, diags, cat, v),
                    }
                }
                c
            });
        CdrConf { general, csv }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    /// The settings the engine ignores are listed with their line; batch
    /// mode and the CANCEL disposition are built.
    #[test]
    fn unbuilt_options_are_listed() {
        let cfg = config(vec![category(
            "cdr.conf",
            "general",
            &[
                ("batch", "yes"),
                ("size", "50"),
                ("debug", "yes"),
                ("unanswered", "yes"),
                ("canceldispositionenabled", "yes"),
                ("ignorestatechanges", "yes"),
            ],
        )]);
        let mut d = Vec::new();
        let c = CdrConf::from_config(&cfg, &mut d);
        assert!(c.general.batch && c.general.unanswered);
        let listed: Vec<_> = d
            .iter()
            .filter(|d| d.message.contains("does not act on"))
            .map(|d| d.message.split(' ').nth(1).unwrap_or("").to_string())
            .collect();
        assert_eq!(listed, ["debug", "ignorestatechanges"]);
    }

    #[test]
    fn one_bad_option_drops_the_file() {
        let ok = config(vec![
            category(
                "cdr.conf",
                "general",
                &[("unanswered", "yes"), ("size", "50")],
            ),
            category("cdr.conf", "csv", &[("usegmtime", "yes")]),
        ]);
        let c = CdrConf::from_config(&ok, &mut Vec::new());
        assert!(c.general.unanswered && c.general.size == 50);
        assert!(c.csv.as_ref().is_some_and(|c| c.usegmtime && c.accountlogs));
        let bad = config(vec![category(
            "cdr.conf",
            "general",
            &[("unanswered", "yes"), ("size", "5000")],
        )]);
        let mut d = Vec::new();
        let c = CdrConf::from_config(&bad, &mut d);
        assert_eq!(c.general, CdrGeneral::default());
        assert!(c.csv.is_none());
        assert!(d.iter().any(|d| d.message.contains("ignores cdr.conf")));
    }
}
