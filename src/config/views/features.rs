//! `features.conf` (main/features_config.c): `[general]`, `[featuremap]`,
//! `[applicationmap]` and feature groups (every other section).
//!
//! Read with config_options: any error in the file and Asterisk runs on
//! the built-in defaults instead, which is what this view then holds.

use super::hash::{sort_into_buckets, str_case_hash};
use super::{View, bad_value, file_note, line_note, report_unknown, section_note};
use crate::config::{Config, Diagnostic, Severity, Variable, is_true};

/// Settings whose feature Asterism does not run yet: three-way calling,
/// and calling the transferer back when a transfer completed while the
/// target rang is not answered (the transfer ends as with
/// `atxferdropcall=yes`); the pickup sound, played by the bridge.
const ATXFER_NOT_BUILT: &[(&str, &str)] = &[
    (
        "atxferthreeway",
        "Asterism does not run three-way calling from an attended transfer yet",
    ),
    (
        "atxferdropcall",
        "Asterism does not call the transferer back yet; transfers end as with atxferdropcall=yes",
    ),
    (
        "atxferloopdelay",
        "Asterism does not call the transferer back yet (atxferdropcall)",
    ),
    (
        "atxfercallbackretries",
        "Asterism does not call the transferer back yet (atxferdropcall)",
    ),
    (
        "pickupsound",
        "Asterism sets BRIDGE_PLAY_SOUND on a picked-up call but does not play it in the bridge yet",
    ),
];

/// Parking options that moved to res_parking.conf: accepted, warned about.
const PARKING_OPTIONS: &[&str] = &[
    "context",
    "parkext",
    "parkext_exclusive",
    "parkinghints",
    "parkedmusicclass",
    "parkingtime",
    "parkpos",
    "findslot",
    "parkedcalltransfers",
    "parkedcallreparking",
    "parkedcallhangup",
    "parkedcallrecording",
    "comebackcontext",
    "comebacktoorigin",
    "comebackdialtime",
    "parkeddynamic",
    "adsipark",
];

/// `[general]`: general, transfer and pickup settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeaturesGeneral {
    pub featuredigittimeout: i32,
    pub recordingfailsound: String,
    pub courtesytone: String,
    pub transferdigittimeout: i32,
    pub atxfernoanswertimeout: i32,
    pub atxferdropcall: bool,
    pub atxferloopdelay: i32,
    pub atxfercallbackretries: i32,
    pub xfersound: String,
    pub xferfailsound: String,
    pub atxferabort: String,
    pub atxfercomplete: String,
    pub atxferthreeway: String,
    pub atxferswap: String,
    pub transferdialattempts: i32,
    pub transferretrysound: String,
    pub transferinvalidsound: String,
    pub transferannouncesound: String,
    pub pickupexten: String,
    pub pickupsound: String,
    pub pickupfailsound: String,
}

impl Default for FeaturesGeneral {
    fn default() -> Self {
        FeaturesGeneral {
            featuredigittimeout: 1000,
            recordingfailsound: String::new(),
            courtesytone: String::new(),
            transferdigittimeout: 3,
            atxfernoanswertimeout: 15,
            atxferdropcall: false,
            atxferloopdelay: 10,
            atxfercallbackretries: 2,
            xfersound: "beep".into(),
            xferfailsound: "beeperr".into(),
            atxferabort: "*1".into(),
            atxfercomplete: "*2".into(),
            atxferthreeway: "*3".into(),
            atxferswap: "*4".into(),
            transferdialattempts: 3,
            transferretrysound: "pbx-invalid".into(),
            transferinvalidsound: "privacy-incorrect".into(),
            transferannouncesound: "pbx-transfer".into(),
            pickupexten: "*8".into(),
            pickupsound: String::new(),
            pickupfailsound: String::new(),
        }
    }
}

/// `[featuremap]`: the DTMF of the built-in features.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeatureMap {
    pub blindxfer: String,
    pub disconnect: String,
    pub automon: String,
    pub atxfer: String,
    pub parkcall: String,
    pub automixmon: String,
}

impl Default for FeatureMap {
    fn default() -> Self {
        FeatureMap {
            blindxfer: "#".into(),
            disconnect: "*".into(),
            automon: String::new(),
            atxfer: String::new(),
            parkcall: String::new(),
            automixmon: String::new(),
        }
    }
}

/// One `[applicationmap]` line: `name => dtmf,self|peer,App(args)[,moh]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppMapItem {
    pub name: String,
    pub dtmf: String,
    /// Activated by the caller's side (`self`/`caller`) or the other one.
    pub activate_on_self: bool,
    pub app: String,
    pub app_data: String,
    pub moh_class: String,
    /// Where it was configured (check-config reports its application).
    #[serde(skip)]
    pub origin: Option<crate::config::Origin>,
}

/// A feature group: applicationmap items, with optional other DTMF.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeatureGroup {
    pub name: String,
    /// (item name, DTMF override or empty), sorted by name.
    pub items: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FeaturesConf {
    pub general: FeaturesGeneral,
    pub featuremap: FeatureMap,
    /// Sorted by name, case ignored.
    pub applicationmap: Vec<AppMapItem>,
    /// In the order `features show` lists them.
    pub groups: Vec<FeatureGroup>,
}

impl FeaturesConf {
    pub fn app(&self, name: &str) -> Option<&AppMapItem> {
        self.applicationmap
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

impl FeatureMap {
    /// A built-in feature's code by its features.conf name; `None` for a
    /// name that is no built-in feature.
    pub fn code(&self, name: &str) -> Option<&str> {
        let code = match name.to_ascii_lowercase().as_str() {
            "blindxfer" => &self.blindxfer,
            "disconnect" => &self.disconnect,
            "automon" => &self.automon,
            "atxfer" => &self.atxfer,
            "parkcall" => &self.parkcall,
            "automixmon" => &self.automixmon,
            _ => return None,
        };
        Some(code)
    }

    /// The same code, to change it.
    pub fn code_mut(&mut self, name: &str) -> Option<&mut String> {
        let code = match name.to_ascii_lowercase().as_str() {
            "blindxfer" => &mut self.blindxfer,
            "disconnect" => &mut self.disconnect,
            "automon" => &mut self.automon,
            "atxfer" => &mut self.atxfer,
            "parkcall" => &mut self.parkcall,
            "automixmon" => &mut self.automixmon,
            _ => return None,
        };
        Some(code)
    }
}

fn int(value: &str) -> Result<i32, String> {
    value.trim().parse::<i32>().map_err(|_| "a number".into())
}

/// Sets one `[general]` option (from the file or `FEATURE()`): `Ok(false)`
/// for a name it does not have, `Err` for a value that does not parse.
pub fn set_general(g: &mut FeaturesGeneral, name: &str, value: &str) -> Result<bool, String> {
    let val = value.to_string();
    match name.to_ascii_lowercase().as_str() {
        "featuredigittimeout" => g.featuredigittimeout = int(value)?,
        "recordingfailsound" => g.recordingfailsound = val,
        "courtesytone" => g.courtesytone = val,
        "transferdigittimeout" => g.transferdigittimeout = int(value)?,
        "atxfernoanswertimeout" => g.atxfernoanswertimeout = int(value)?,
        "atxferdropcall" => g.atxferdropcall = is_true(&val),
        "atxferloopdelay" => g.atxferloopdelay = int(value)?,
        "atxfercallbackretries" => g.atxfercallbackretries = int(value)?,
        "xfersound" => g.xfersound = val,
        "xferfailsound" => g.xferfailsound = val,
        "atxferabort" => g.atxferabort = val,
        "atxfercomplete" => g.atxfercomplete = val,
        "atxferthreeway" => g.atxferthreeway = val,
        "atxferswap" => g.atxferswap = val,
        "transferdialattempts" => g.transferdialattempts = int(value)?,
        "transferretrysound" => g.transferretrysound = val,
        "transferinvalidsound" => g.transferinvalidsound = val,
        "transferannouncesound" => g.transferannouncesound = val,
        "pickupexten" => g.pickupexten = val,
        "pickupsound" => g.pickupsound = val,
        "pickupfailsound" => g.pickupfailsound = val,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `applicationmap_handler`.
fn parse_appmap(v: &Variable) -> Result<AppMapItem, String> {
    // AST_STANDARD_APP_ARGS: commas inside App(...) do not split.
    let fields = crate::apps::separate_args(&v.value, ',', 5);
    let mut args = fields.iter().map(|f| f.trim());
    let dtmf = args.next().unwrap_or("");
    let activate_on = args.next().unwrap_or("");
    let app = args.next().unwrap_or("");
    let mut app_data = args.next().unwrap_or("").to_string();
    let mut moh_class = args.next().unwrap_or("").to_string();
    if dtmf.is_empty() || activate_on.is_empty() || app.is_empty() {
        return Err("dtmf,activate_on,application[,arguments[,moh class]]".into());
    }
    // The old "activated_by" part after a slash is dropped.
    let activate_on = activate_on.split('/').next().unwrap_or("");
    let mut app = app.to_string();
    if let Some(open) = app.find('(') {
        // App(args) form: what follows is the music class.
        moh_class = app_data;
        let inner = &app[open + 1..];
        app_data = match inner.rfind(')') {
            Some(close) => inner[..close].to_string(),
            None => inner.to_string(),
        };
        app.truncate(open);
        if app.is_empty() {
            return Err("an application name".into());
        }
    } else if app_data.contains('"') {
        app_data = app_data
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .map(str::to_string)
            .unwrap_or(app_data);
    }
    let activate_on_self = match activate_on.to_ascii_lowercase().as_str() {
        "self" | "caller" => true,
        "peer" | "callee" => false,
        _ => return Err("self, peer, caller or callee".into()),
    };
    Ok(AppMapItem {
        name: v.name.clone(),
        dtmf: dtmf.to_string(),
        activate_on_self,
        app,
        app_data,
        moh_class,
        origin: Some(v.origin.clone()),
    })
}

impl View for FeaturesConf {
    const FILE: &'static str = "features.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = FeaturesConf::default();
        let mut failed = false;
        for cat in cfg.sections() {
            let lname = cat.name.to_ascii_lowercase();
            match lname.as_str() {
                "general" => {
                    for v in &cat.variables {
                        match set_general(&mut conf.general, &v.name, &v.value) {
                            Ok(true) => {
                                let lname = v.name.to_ascii_lowercase();
                                if let Some(what) = ATXFER_NOT_BUILT
                                    .iter()
                                    .find(|(n, _)| *n == lname)
                                    .map(|(_, what)| what)
                                {
                                    line_note(
                                        diags,
                                        Severity::Notice,
                                        v,
                                        format!("{}: {what}", v.name),
                                    );
                                }
                            }
                            Ok(false)
                                if PARKING_OPTIONS
                                    .iter()
                                    .any(|p| p.eq_ignore_ascii_case(&v.name)) =>
                            {
                                line_note(
                                    diags,
                                    Severity::Warning,
                                    v,
                                    format!(
                                        "'{}' belongs in res_parking.conf now; ignored",
                                        v.name
                                    ),
                                );
                            }
                            Ok(false) => {
                                report_unknown(cfg, diags, cat, v);
                                failed = true;
                            }
                            Err(why) => {
                                bad_value(diags, v, &why);
                                failed = true;
                            }
                        }
                    }
                }
                "featuremap" => {
                    for v in &cat.variables {
                        let Some(slot) = conf.featuremap.code_mut(&v.name) else {
                            report_unknown(cfg, diags, cat, v);
                            failed = true;
                            continue;
                        };
                        *slot = v.value.clone();
                    }
                }
                "applicationmap" => {
                    for v in &cat.variables {
                        match parse_appmap(v) {
                            Ok(item) => {
                                conf.applicationmap
                                    .retain(|a| !a.name.eq_ignore_ascii_case(&item.name));
                                conf.applicationmap.push(item);
                            }
                            Err(why) => {
                                bad_value(diags, v, &why);
                                failed = true;
                            }
                        }
                    }
                }
                // Parking lots moved to res_parking.conf.
                _ if lname.starts_with("parkinglot_") => {
                    section_note(
                        diags,
                        Severity::Warning,
                        cat,
                        format!(
                            "[{}]: parking lots belong in res_parking.conf now; ignored",
                            cat.name
                        ),
                    );
                }
                _ => {
                    let mut g = FeatureGroup {
                        name: cat.name.clone(),
                        items: Vec::new(),
                    };
                    if let Some(existing) = conf
                        .groups
                        .iter()
                        .position(|x| x.name.eq_ignore_ascii_case(&cat.name))
                    {
                        g = conf.groups.remove(existing);
                    }
                    for v in &cat.variables {
                        g.items.retain(|(n, _)| !n.eq_ignore_ascii_case(&v.name));
                        g.items.push((v.name.clone(), v.value.clone()));
                    }
                    g.items.sort_by_key(|(n, _)| n.to_ascii_lowercase());
                    conf.groups.push(g);
                }
            }
        }
        conf.applicationmap
            .sort_by_key(|a| a.name.to_ascii_lowercase());
        // Every group item must name an applicationmap item.
        for g in &conf.groups {
            for (item, _) in &g.items {
                if conf.app(item).is_none() {
                    file_note(
                        diags,
                        Severity::Error,
                        cfg,
                        format!(
                            "feature group '{}' names '{item}', which is not in [applicationmap]",
                            g.name
                        ),
                    );
                    failed = true;
                }
            }
        }
        // Groups live in an 11-bucket hash container.
        sort_into_buckets(&mut conf.groups, 11, |g| str_case_hash(&g.name));
        if failed {
            file_note(
                diags,
                Severity::Error,
                cfg,
                "Asterisk ignores features.conf and uses the feature defaults".into(),
            );
            return FeaturesConf::default();
        }
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    #[test]
    fn applicationmap_forms() {
        let cfg = config(vec![
            category(
                "features.conf",
                "applicationmap",
                &[
                    ("b", "#9,peer,Playback(tt-monkeys),quiet"),
                    ("A", "*7,caller/both,NoOp,\"x\""),
                    ("C", "*8,peer,UserEvent(E,A: 1,B: 2),quiet"),
                ],
            ),
            category("features.conf", "grp", &[("a", ""), ("b", "#5")]),
        ]);
        let mut d = Vec::new();
        let f = FeaturesConf::from_config(&cfg, &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.applicationmap[0].name, "A");
        assert_eq!(f.applicationmap[0].app_data, "x");
        let b = f.app("B").expect("b");
        assert_eq!(
            (b.app.as_str(), b.app_data.as_str(), b.moh_class.as_str()),
            ("Playback", "tt-monkeys", "quiet")
        );
        assert!(!b.activate_on_self);
        let c = f.app("c").expect("c");
        assert_eq!(
            (c.app.as_str(), c.app_data.as_str(), c.moh_class.as_str()),
            ("UserEvent", "E,A: 1,B: 2", "quiet")
        );
        let bad = config(vec![
            category("features.conf", "featuremap", &[("blindxfer", "#1")]),
            category("features.conf", "grp", &[("nosuch", "")]),
        ]);
        let f = FeaturesConf::from_config(&bad, &mut d);
        assert_eq!(f.featuremap.blindxfer, "#");
    }
}
