//! `res_parking.conf` (res/res_parking.c): `[general] parkeddynamic` and
//! one section per parking lot, with the defaults res_parking registers.
//! A `default` lot always exists: res_parking adds one (parkext 700) when
//! the file has none.

use super::{View, bad_value, line_note, report_unknown};
use crate::config::{Config, Diagnostic, Severity, is_false, is_true};

/// Who a parked-call feature or the courtesy tone is for
/// (`AST_FEATURE_FLAG_BYCALLER` / `BYCALLEE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ByWhom {
    /// The one retrieving the call (the caller of ParkedCall).
    pub caller: bool,
    /// The parked call.
    pub callee: bool,
}

impl ByWhom {
    /// `parking_feature_flag_cfg`: a false value, `both`, `caller`,
    /// `callee`; anything else is refused.
    fn parse(v: &str) -> Option<ByWhom> {
        if is_false(v) {
            Some(ByWhom::default())
        } else if v.eq_ignore_ascii_case("both") {
            Some(ByWhom {
                caller: true,
                callee: true,
            })
        } else if v.eq_ignore_ascii_case("caller") {
            Some(ByWhom {
                caller: true,
                callee: false,
            })
        } else if v.eq_ignore_ascii_case("callee") {
            Some(ByWhom {
                caller: false,
                callee: true,
            })
        } else {
            None
        }
    }
}

/// One lot's configuration (`struct parking_lot_cfg`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LotCfg {
    pub name: String,
    pub parkext: String,
    /// `context`: where the lot's extensions go.
    pub context: String,
    pub start: u32,
    pub stop: u32,
    /// Seconds; 0 never times out.
    pub parkingtime: u32,
    pub comebacktoorigin: bool,
    pub comebackcontext: String,
    pub comebackdialtime: u32,
    pub mohclass: String,
    pub parkext_exclusive: bool,
    pub parkinghints: bool,
    pub courtesytone: String,
    /// `findslot = next`.
    pub findnext: bool,
    pub parkedplay: ByWhom,
    pub parkedcalltransfers: ByWhom,
    pub parkedcallreparking: ByWhom,
    pub parkedcallhangup: ByWhom,
    pub parkedcallrecording: ByWhom,
}

impl LotCfg {
    /// A lot as res_parking's option defaults make it (no parkext).
    pub fn new(name: &str) -> LotCfg {
        LotCfg {
            name: name.to_string(),
            parkext: String::new(),
            context: "parkedcalls".into(),
            start: 701,
            stop: 750,
            parkingtime: 45,
            comebacktoorigin: true,
            comebackcontext: "parkedcallstimeout".into(),
            comebackdialtime: 30,
            mohclass: String::new(),
            parkext_exclusive: false,
            parkinghints: false,
            courtesytone: String::new(),
            findnext: false,
            parkedplay: ByWhom {
                caller: true,
                callee: false,
            },
            parkedcalltransfers: ByWhom::default(),
            parkedcallreparking: ByWhom::default(),
            parkedcallhangup: ByWhom::default(),
            parkedcallrecording: ByWhom::default(),
        }
    }
}

/// The name of the lot res_parking always has.
pub const DEFAULT_LOT: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParkingConf {
    /// The file exists: without it res_parking declines to load (its
    /// configuration fails to process), so no lot, extension, action or
    /// command exists.
    pub present: bool,
    pub parkeddynamic: bool,
    /// In the order the file names them; `default` where the file put it,
    /// or last when res_parking added it.
    pub lots: Vec<LotCfg>,
}

impl Default for ParkingConf {
    fn default() -> Self {
        ParkingConf {
            present: false,
            parkeddynamic: false,
            lots: vec![default_lot()],
        }
    }
}

/// `verify_default_parking_lot`: the defaults with parkext 700.
fn default_lot() -> LotCfg {
    let mut l = LotCfg::new(DEFAULT_LOT);
    l.parkext = "700".into();
    l
}

impl ParkingConf {
    /// Whether res_parking runs: loaded by modules.conf and configured.
    pub fn running(&self, modules: &super::modules::ModulesConf) -> bool {
        self.present && modules.loads("res_parking")
    }

    pub fn lot(&self, name: &str) -> Option<&LotCfg> {
        self.lots.iter().find(|l| l.name == name)
    }
}

/// `%d-%d` with 0 < low <= high.
fn parse_range(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('-')?;
    let (low, high) = (super::values::scan_d(a)?, super::values::scan_d(b)?);
    if high < low || low <= 0 {
        return None;
    }
    Some((u32::try_from(low).ok()?, u32::try_from(high).ok()?))
}

impl View for ParkingConf {
    const FILE: &'static str = "res_parking.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut c = ParkingConf {
            present: true,
            parkeddynamic: false,
            lots: Vec::new(),
        };
        for cat in cfg.sections() {
            // The category match is exact: `[General]` is a lot.
            if cat.name == "general" {
                for v in &cat.variables {
                    if v.name.eq_ignore_ascii_case("parkeddynamic") {
                        c.parkeddynamic = is_true(&v.value);
                        if c.parkeddynamic {
                            line_note(
                                diags,
                                Severity::Notice,
                                v,
                                "'parkeddynamic': dynamic parking lots are not supported by Asterism; Park to an unknown lot fails".into(),
                            );
                        }
                    } else {
                        report_unknown(cfg, diags, cat, v);
                    }
                }
                continue;
            }
            let mut lot = LotCfg::new(&cat.name);
            for v in &cat.variables {
                let val = v.value.as_str();
                let uint = |diags: &mut Vec<Diagnostic>, slot: &mut u32| match val.trim().parse() {
                    Ok(n) => *slot = n,
                    Err(_) => bad_value(diags, v, "a whole number"),
                };
                let by = |diags: &mut Vec<Diagnostic>, slot: &mut ByWhom| match ByWhom::parse(val) {
                    Some(b) => *slot = b,
                    None => bad_value(diags, v, "no, caller, callee or both"),
                };
                match v.name.to_ascii_lowercase().as_str() {
                    "parkext" => lot.parkext = val.to_string(),
                    "context" => lot.context = val.to_string(),
                    "parkingtime" => uint(diags, &mut lot.parkingtime),
                    "comebacktoorigin" => lot.comebacktoorigin = is_true(val),
                    "comebackcontext" => lot.comebackcontext = val.to_string(),
                    "comebackdialtime" => uint(diags, &mut lot.comebackdialtime),
                    "parkedmusicclass" => lot.mohclass = val.to_string(),
                    "parkext_exclusive" => lot.parkext_exclusive = is_true(val),
                    "parkinghints" => lot.parkinghints = is_true(val),
                    "courtesytone" => lot.courtesytone = val.to_string(),
                    "parkpos" => match parse_range(val) {
                        Some((a, b)) => (lot.start, lot.stop) = (a, b),
                        None => bad_value(diags, v, "a-b, 0 < a <= b"),
                    },
                    "findslot" => match val {
                        "first" => lot.findnext = false,
                        "next" => lot.findnext = true,
                        _ => bad_value(diags, v, "first or next"),
                    },
                    "parkedplay" => {
                        by(diags, &mut lot.parkedplay);
                        if lot.parkedplay.callee {
                            // Only the one retrieving hears the tone.
                            line_note(
                                diags,
                                Severity::Notice,
                                v,
                                "'parkedplay': the courtesy tone to the parked call is not supported by Asterism".into(),
                            );
                        }
                    }
                    "parkedcalltransfers" => by(diags, &mut lot.parkedcalltransfers),
                    "parkedcallreparking" => by(diags, &mut lot.parkedcallreparking),
                    "parkedcallhangup" => by(diags, &mut lot.parkedcallhangup),
                    "parkedcallrecording" => {
                        by(diags, &mut lot.parkedcallrecording);
                        if lot.parkedcallrecording != ByWhom::default() {
                            // The feature it grants (automixmon) is not built.
                            line_note(
                                diags,
                                Severity::Notice,
                                v,
                                "'parkedcallrecording': the automixmon feature it enables is not supported by Asterism".into(),
                            );
                        }
                    }
                    _ => report_unknown(cfg, diags, cat, v),
                }
            }
            super::replace_named(&mut c.lots, lot, |l| &l.name);
        }
        if c.lot(DEFAULT_LOT).is_none() {
            c.lots.push(default_lot());
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, loader::load_str};

    fn view(text: &str) -> (ParkingConf, Vec<Diagnostic>) {
        let cfg = load_str("res_parking.conf", text, &LoadOptions::new("/x")).expect("loads");
        let mut d = Vec::new();
        (ParkingConf::from_config(&cfg, &mut d), d)
    }

    #[test]
    fn the_default_lot_is_added_with_its_extension() {
        let (c, d) = view("[general]\nparkeddynamic=yes\n[lot2]\nparkpos=801-803\nbogus=1\n");
        assert!(c.parkeddynamic);
        assert_eq!(c.lots.len(), 2);
        let l2 = c.lot("lot2").expect("lot2");
        assert_eq!((l2.start, l2.stop, l2.parkext.as_str()), (801, 803, ""));
        let def = c.lot("default").expect("default");
        assert_eq!(
            (def.start, def.stop, def.parkext.as_str()),
            (701, 750, "700")
        );
        // `bogus`, and dynamic lots (not built).
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn bad_values_keep_the_default() {
        let (c, d) = view("[default]\nparkpos=9-3\nfindslot=last\nparkedplay=both\n");
        let def = c.lot("default").expect("default");
        assert_eq!((def.start, def.stop), (701, 750));
        assert!(def.parkedplay.callee && def.parkedplay.caller);
        // A configured default lot has no parkext unless it says so.
        assert_eq!(def.parkext, "");
        // Two bad values, and the parked call's courtesy tone (not built).
        assert_eq!(d.len(), 3);
    }
}
