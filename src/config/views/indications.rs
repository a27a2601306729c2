//! `indications.conf` (main/indications.c): tone zones by country, and
//! the default one.

use super::hash::{sort_into_buckets, str_case_hash};
use super::{View, bad_value, check_known, section_note};
use crate::config::{Config, Diagnostic, Severity};

/// One country's tones.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToneZone {
    pub country: String,
    pub description: String,
    /// `ringcadence=` in milliseconds.
    pub ringcadence: Vec<i64>,
    /// (indication, tone list) in file order; every option that is not
    /// `description` or `ringcadence` is a tone (`alias` included, as
    /// Asterisk 20 has no aliases).
    pub tones: Vec<(String, String)>,
}

impl ToneZone {
    pub fn tone(&self, name: &str) -> Option<&str> {
        self.tones
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, t)| t.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndicationsConf {
    /// In the order `indication show` lists them (a 53-bucket hash).
    pub zones: Vec<ToneZone>,
    /// The default zone's country, if any zone loaded.
    pub default_country: Option<String>,
}

impl IndicationsConf {
    /// `ast_get_indication_zone`: by country, case ignored.
    pub fn zone(&self, country: &str) -> Option<&ToneZone> {
        self.zones
            .iter()
            .find(|z| z.country.eq_ignore_ascii_case(country))
    }
}

impl View for IndicationsConf {
    const FILE: &'static str = "indications.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = IndicationsConf::default();
        // Registration order decides the default when [general] names none.
        let mut registered: Vec<String> = Vec::new();
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                check_known(cfg, diags, cat, &["country"]);
                continue;
            }
            // A country already loaded is updated in place: its cadence
            // starts over, its tones are kept and replaced by name.
            let existing = conf
                .zones
                .iter()
                .position(|z| z.country.eq_ignore_ascii_case(&cat.name));
            let mut zone = match existing {
                Some(i) => conf.zones.remove(i),
                None => ToneZone {
                    country: cat.name.chars().take(15).collect(),
                    description: String::new(),
                    ringcadence: Vec::new(),
                    tones: Vec::new(),
                },
            };
            zone.ringcadence.clear();
            for v in &cat.variables {
                match v.name.to_ascii_lowercase().as_str() {
                    "description" => zone.description = v.value.clone(),
                    "ringcadence" => {
                        for ring in v.value.split(',').map(str::trim) {
                            match ring.parse::<i64>() {
                                Ok(n) if ring.starts_with(|c: char| c.is_ascii_digit()) => {
                                    zone.ringcadence.push(n)
                                }
                                _ => bad_value(diags, v, "a list of milliseconds"),
                            }
                        }
                    }
                    _ => {
                        if v.name.is_empty() || v.value.is_empty() {
                            continue;
                        }
                        zone.tones.retain(|(n, _)| !n.eq_ignore_ascii_case(&v.name));
                        zone.tones.push((v.name.clone(), v.value.clone()));
                    }
                }
            }
            if let Some(i) = existing {
                conf.zones.insert(i, zone);
                continue;
            }
            if zone.description.is_empty() || zone.tones.is_empty() {
                section_note(
                    diags,
                    Severity::Warning,
                    cat,
                    format!(
                        "country [{}] needs a description and at least one tone; it is not loaded",
                        cat.name
                    ),
                );
                continue;
            }
            registered.push(zone.country.clone());
            conf.zones.push(zone);
        }
        conf.default_country = registered.first().cloned();
        if let Some(c) = cfg.get("general", "country").filter(|c| !c.is_empty()) {
            match conf.zone(c) {
                Some(z) => conf.default_country = Some(z.country.clone()),
                None => {
                    if let Some(v) = cfg.section("general").and_then(|s| s.get_var("country")) {
                        bad_value(diags, v, "a country defined in this file");
                    }
                }
            }
        }
        sort_into_buckets(&mut conf.zones, 53, |z| str_case_hash(&z.country));
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    #[test]
    fn zones_and_default() {
        let cfg = config(vec![
            category("indications.conf", "general", &[("country", "de")]),
            category(
                "indications.conf",
                "us",
                &[
                    ("description", "US"),
                    ("ringcadence", "2000,4000"),
                    ("dial", "350+440"),
                ],
            ),
            category(
                "indications.conf",
                "de",
                &[
                    ("description", "DE"),
                    ("alias", "at,ch"),
                    ("dial", "425"),
                    ("dial", "426"),
                ],
            ),
            category("indications.conf", "xx", &[("ring", "440")]),
        ]);
        let mut d = Vec::new();
        let i = IndicationsConf::from_config(&cfg, &mut d);
        assert_eq!(i.zones.len(), 2);
        assert_eq!(i.default_country.as_deref(), Some("de"));
        let de = i.zone("DE").expect("de");
        assert_eq!(
            de.tones,
            [
                ("alias".to_string(), "at,ch".to_string()),
                ("dial".to_string(), "426".to_string())
            ]
        );
        assert_eq!(
            i.zone("us").map(|z| z.ringcadence.clone()),
            Some(vec![2000, 4000])
        );
        assert_eq!(d.len(), 1);
    }
}
