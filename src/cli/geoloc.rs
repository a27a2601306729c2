//! res_geolocation's commands: `geoloc list locations|profiles`, `geoloc
//! show profiles`, `geoloc show gml_shape_defs`, `geoloc reload`.

use std::fmt::Write as _;

use super::{CliArgs, CliEntry, CliResult, pad};
use crate::config::views::geolocation::{GML_SHAPES, GeolocationConf, join};
use crate::core::{Part, System};

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "geoloc list locations",
            "Usage: geoloc list locations [ like <pattern> ]\n      List Geolocation Location Objects\n",
            list_locations,
        ),
        CliEntry::new(
            "geoloc list profiles",
            "Usage: geoloc list profiles [ like <pattern> ]\n      List Geolocation Profile Objects\n",
            list_profiles,
        ),
        CliEntry::new(
            "geoloc show profiles",
            "Usage: geoloc show profiles [ like <pattern> ]\n      List Geolocation Profile Objects\n",
            show_profiles,
        ),
        CliEntry::new(
            "geoloc reload",
            "Usage: geoloc reload\n      Reload Geolocation Configuration\n",
            reload,
        ),
        CliEntry::new(
            "geoloc show gml_shape_defs",
            "Usage: geoloc show gml_shape_defs\n       Show the GML Shape definitions.\n",
            show_gml_shape_defs,
        ),
    ]
}

/// Whether an object id is listed.
type Keep = Box<dyn Fn(&str) -> bool>;

/// Which objects a listing takes: all, or (`like <pattern>`) those whose
/// id the POSIX extended regular expression matches somewhere, as
/// sorcery's regex retrieval does. A pattern that does not compile
/// matches nothing. `None`: bad arguments.
fn selection(a: &CliArgs<'_>) -> Option<Keep> {
    match a.argc() {
        3 => Some(Box::new(|_| true)),
        5 if a.arg(3).is_some_and(|w| w.eq_ignore_ascii_case("like")) => {
            match regex::Regex::new(a.arg(4).unwrap_or_default()) {
                Ok(re) => Some(Box::new(move |id| re.is_match(id))),
                Err(_) => Some(Box::new(|_| false)),
            }
        }
        _ => None,
    }
}

/// The chosen objects in sorcery's id order (byte order).
fn sorted<'a, T>(all: &'a [T], id: impl Fn(&T) -> &str, keep: &dyn Fn(&str) -> bool) -> Vec<&'a T> {
    let mut v: Vec<&T> = all.iter().filter(|o| keep(id(o))).collect();
    v.sort_by(|a, b| id(a).as_bytes().cmp(id(b).as_bytes()));
    v
}

fn list_locations(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some(keep) = selection(a) else {
        return CliResult::ShowUsage;
    };
    let loaded = sys.loaded();
    let locs = sorted(&loaded.geolocation.locations, |l| &l.name, &*keep);
    out.push_str("Geolocation Location Objects:\n\n");
    out.push_str(
        "<Object ID...................................> <Format.....> <Details.............>\n",
    );
    out.push_str(
        "===================================================================================\n",
    );
    for l in &locs {
        let _ = writeln!(
            out,
            "{} {:<13} {}",
            pad(&l.name, 46),
            l.format.name(),
            join(&l.location_info)
        );
    }
    let _ = write!(out, "\nTotal Location Objects: {}\n\n", locs.len());
    CliResult::Success
}

fn list_profiles(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some(keep) = selection(a) else {
        return CliResult::ShowUsage;
    };
    let loaded = sys.loaded();
    let profiles = sorted(&loaded.geolocation.profiles, |p| &p.name, &*keep);
    out.push_str("Geolocation Profile Objects:\n\n");
    out.push_str(
        "<Object ID...................................> <Profile Action> <Location Reference> \n",
    );
    out.push_str(
        "=====================================================================================\n",
    );
    for p in &profiles {
        let _ = writeln!(
            out,
            "{} {:<16} {}",
            pad(&p.name, 46),
            p.precedence.name(),
            p.location_reference
        );
    }
    let _ = write!(out, "\nTotal Profile Objects: {}\n\n", profiles.len());
    CliResult::Success
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "<none>" } else { s }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn show_profiles(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some(keep) = selection(a) else {
        return CliResult::ShowUsage;
    };
    let loaded = sys.loaded();
    let geo: &GeolocationConf = &loaded.geolocation;
    out.push_str("Geolocation Profile Objects:\n");
    let mut count = 0;
    for p in sorted(&geo.profiles, |p| &p.name, &*keep) {
        // Asterisk 20.20.1 logs this, then crashes; the profile is left
        // out here.
        let Some(e) = geo.effective(p) else {
            sys.pbx.logger.error(
                crate::site!(
                    "res_geolocation/geoloc_eprofile.c",
                    99,
                    "ast_geoloc_eprofile_refresh_location"
                ),
                None,
                &format!(
                    "Profile '{}' referenced location '{}' does not exist!",
                    p.name, p.location_reference
                ),
            );
            continue;
        };
        let list = |l| or_none(&join(l)).to_string();
        let rows: [(&str, String); 18] = [
            ("id", p.name.clone()),
            ("profile_precedence", p.precedence.name().into()),
            ("pidf_element", p.pidf_element.name().into()),
            ("pidf_element_id", or_none(&p.pidf_element_id).into()),
            ("location_reference", or_none(&p.location_reference).into()),
            ("location_format", e.format.name().into()),
            ("location_info", list(&e.location_info)),
            ("location_method", or_none(&e.method).into()),
            ("location_source", or_none(&e.location_source).into()),
            // The profile's own confidence, even when it names a location.
            ("location_confidence", list(&p.confidence)),
            ("location_refinement", list(&p.location_refinement)),
            ("location_variables", list(&p.location_variables)),
            ("allow_routing_use", yes_no(p.allow_routing_use).into()),
            (
                "suppress_empty_elements",
                yes_no(p.suppress_empty_ca_elements).into(),
            ),
            ("effective_location", list(&e.effective_location)),
            ("usage_rules", list(&p.usage_rules)),
            ("notes", or_none(&p.notes).into()),
            ("device_id", or_none(&p.device_id).into()),
        ];
        out.push('\n');
        for (name, value) in rows {
            let _ = writeln!(out, "{:<25}{value}", format!("{name}:"));
        }
        count += 1;
    }
    let _ = write!(out, "\nTotal Profile Objects: {count}\n\n");
    CliResult::Success
}

fn reload(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    // A file that does not parse keeps the objects loaded before, as
    // sorcery keeps them.
    let _ = sys.reload(&[Part::Geolocation]);
    out.push_str("Geolocation Configuration reloaded.\n");
    CliResult::Success
}

fn show_gml_shape_defs(_: &System, _: &CliArgs<'_>, out: &mut String) -> CliResult {
    let _ = writeln!(
        out,
        "{:<16} {:<3} {:<32}",
        "Shape", "CRS", "Attributes name(min,max)"
    );
    out.push_str("================ === ===============================\n");
    for s in GML_SHAPES {
        let _ = write!(out, "{:<16} {:<3}", s.name, s.crs);
        for at in s.attrs {
            match at.max {
                Some(max) => {
                    let _ = write!(out, " {}({},{max})", at.name, at.min);
                }
                None => {
                    let _ = write!(out, " {}({},unl)", at.name, at.min);
                }
            }
        }
        out.push('\n');
    }
    out.push('\n');
    CliResult::Success
}
