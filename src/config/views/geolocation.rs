//! `geolocation.conf` (res_geolocation): `type=location` and
//! `type=profile` objects, read through sorcery as res_geolocation 20
//! reads them, and refused as it refuses them when it loads. An object
//! Asterisk would not create is left out, and the lines Asterisk logs for
//! it are reported with its file:line.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{View, line_note, section_note};
use crate::config::{Category, Config, Diagnostic, Severity, Variable};
use crate::funcs::c::scan_double_w;

/// A list of `name=value` items (`location_info`, `usage_rules`, ...), in
/// the order they were given; names may repeat (GML's `pos`).
pub type VarList = Vec<(String, String)>;

/// How a location is described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Format {
    #[default]
    None,
    CivicAddress,
    Gml,
    Uri,
}

/// Where in the PIDF-LO document the location goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum PidfElement {
    None,
    #[default]
    Device,
    Tuple,
    Person,
}

/// `profile_precedence`: what wins between the call's location and the
/// configured one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Precedence {
    PreferIncoming,
    PreferConfig,
    #[default]
    DiscardIncoming,
    DiscardConfig,
}

/// Enumerations named in the config by a fixed, case-sensitive word, the
/// first of which (`<none>`) can be written too.
trait Named: Sized + Copy + 'static {
    const ALL: &'static [(Self, &'static str)];

    fn name(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::ALL
            .iter()
            .find(|(v, _)| *v == self)
            .map_or("none", |(_, n)| n)
    }

    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(v, _)| *v)
    }
}

impl Named for Format {
    const ALL: &'static [(Self, &'static str)] = &[
        (Format::None, "<none>"),
        (Format::CivicAddress, "civicAddress"),
        (Format::Gml, "GML"),
        (Format::Uri, "URI"),
    ];
}

impl Named for PidfElement {
    const ALL: &'static [(Self, &'static str)] = &[
        (PidfElement::None, "<none>"),
        (PidfElement::Device, "device"),
        (PidfElement::Tuple, "tuple"),
        (PidfElement::Person, "person"),
    ];
}

impl Named for Precedence {
    const ALL: &'static [(Self, &'static str)] = &[
        (Precedence::PreferIncoming, "prefer_incoming"),
        (Precedence::PreferConfig, "prefer_config"),
        (Precedence::DiscardIncoming, "discard_incoming"),
        (Precedence::DiscardConfig, "discard_config"),
    ];
}

impl Format {
    pub fn name(self) -> &'static str {
        Named::name(self)
    }
}

impl PidfElement {
    pub fn name(self) -> &'static str {
        Named::name(self)
    }
}

impl Precedence {
    pub fn name(self) -> &'static str {
        Named::name(self)
    }
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Location {
    pub name: String,
    pub format: Format,
    pub location_info: VarList,
    pub confidence: VarList,
    pub location_source: String,
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Profile {
    pub name: String,
    pub pidf_element: PidfElement,
    pub pidf_element_id: String,
    pub location_reference: String,
    pub precedence: Precedence,
    pub usage_rules: VarList,
    /// `location_info_refinement`.
    pub location_refinement: VarList,
    pub location_variables: VarList,
    pub notes: String,
    pub allow_routing_use: bool,
    pub suppress_empty_ca_elements: bool,
    pub format: Format,
    pub location_info: VarList,
    pub confidence: VarList,
    pub location_source: String,
    pub method: String,
    pub device_id: String,
}

/// What `geoloc show profiles` shows of a profile: the profile with the
/// location it names filled in (res_geolocation's "effective profile").
#[derive(Debug, Clone, PartialEq)]
pub struct Effective<'a> {
    pub profile: &'a Profile,
    pub format: Format,
    pub location_info: VarList,
    pub method: String,
    pub location_source: String,
    /// `location_info` with the profile's refinement laid over it.
    pub effective_location: VarList,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GeolocationConf {
    pub locations: Vec<Location>,
    /// The four built-in profiles (`<prefer_config>`, ...) first, then the
    /// configured ones.
    pub profiles: Vec<Profile>,
}

impl Default for GeolocationConf {
    /// Without geolocation.conf res_geolocation still has its built-in
    /// profiles.
    fn default() -> Self {
        GeolocationConf {
            locations: Vec::new(),
            profiles: builtin_profiles(),
        }
    }
}

/// One profile per precedence, named `<precedence>`.
fn builtin_profiles() -> Vec<Profile> {
    [
        Precedence::PreferConfig,
        Precedence::DiscardConfig,
        Precedence::PreferIncoming,
        Precedence::DiscardIncoming,
    ]
    .into_iter()
    .map(|p| Profile {
        name: format!("<{}>", p.name()),
        precedence: p,
        ..Profile::default()
    })
    .collect()
}

impl GeolocationConf {
    pub fn location(&self, id: &str) -> Option<&Location> {
        self.locations.iter().find(|l| l.name == id)
    }

    /// A profile by id, exactly as written (sorcery ids keep their case).
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == id)
    }

    /// The profile as `geoloc show profiles` resolves it; `None` when its
    /// `location_reference` names no location (Asterisk logs an error).
    pub fn effective<'a>(&self, p: &'a Profile) -> Option<Effective<'a>> {
        let (format, info, method, source) = if p.location_reference.is_empty() {
            (p.format, &p.location_info, &p.method, &p.location_source)
        } else {
            let l = self.location(&p.location_reference)?;
            (l.format, &l.location_info, &l.method, &l.location_source)
        };
        let mut eff = info.clone();
        for (n, v) in &p.location_refinement {
            // A refined item replaces the first of its name, or is added.
            match eff.iter_mut().find(|(en, _)| en == n) {
                Some(e) => e.1 = v.clone(),
                None => eff.push((n.clone(), v.clone())),
            }
        }
        Some(Effective {
            profile: p,
            format,
            location_info: info.clone(),
            method: method.clone(),
            location_source: source.clone(),
            effective_location: eff,
        })
    }
}

/// `ast_variable_list_join(list, ",", "=", "\"")`.
pub fn join(list: &VarList) -> String {
    list.iter()
        .map(|(n, v)| format!("{n}=\"{v}\""))
        .collect::<Vec<_>>()
        .join(",")
}

/// `ast_strsep(.., AST_STRSEP_ALL)` (see [`crate::funcs::c::strsep`]).
pub(crate) fn strsep(rest: &mut Option<&str>, sep: u8) -> Option<String> {
    crate::funcs::c::strsep(rest, sep, crate::funcs::c::Strsep::ALL)
}

/// Adds the `a=b,c="d, e"` items of one config line to `list`, as
/// res_geolocation's list options do (an item's value stops at a second
/// `=`).
fn append_varlist(list: &mut VarList, value: &str) {
    if value.is_empty() {
        return;
    }
    let mut items = Some(value);
    while let Some(item) = strsep(&mut items, b',') {
        let mut parts = Some(item.as_str());
        let name = strsep(&mut parts, b'=').unwrap_or_default();
        let val = strsep(&mut parts, b'=').unwrap_or_default();
        list.push((name, val));
    }
}

fn find<'a>(list: &'a VarList, name: &str) -> Option<&'a str> {
    list.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The civicAddress element names res_geolocation accepts (case matters).
const CIVIC_CODES: &[&str] = &[
    "country", "A1", "A2", "A3", "A4", "A5", "A6", "ADDCODE", "BLD", "FLR", "HNO", "HNS", "LMK",
    "LOC", "NAM", "PC", "PCN", "PLC", "POBOX", "POD", "POM", "PRD", "PRM", "RD", "RDBR", "RDSEC",
    "RDSUBBR", "ROOM", "SEAT", "STS", "UNIT",
];

/// A GML attribute of a shape: how many times it must and may appear.
#[derive(Debug, Clone, Copy)]
pub struct GmlAttr {
    pub name: &'static str,
    pub min: u32,
    /// `None`: unlimited.
    pub max: Option<u32>,
    check: AttrCheck,
}

#[derive(Debug, Clone, Copy)]
enum AttrCheck {
    Crs,
    Pos,
    Float,
    Angle,
}

#[derive(Debug, Clone, Copy)]
pub struct GmlShape {
    pub name: &'static str,
    /// "2d", "3d" or "any".
    pub crs: &'static str,
    pub attrs: &'static [GmlAttr],
}

const fn attr(name: &'static str, min: u32, max: Option<u32>, check: AttrCheck) -> GmlAttr {
    GmlAttr {
        name,
        min,
        max,
        check,
    }
}

const CRS_OPT: GmlAttr = attr("crs", 0, Some(1), AttrCheck::Crs);
const CRS_REQ: GmlAttr = attr("crs", 1, Some(1), AttrCheck::Crs);
const POS: GmlAttr = attr("pos", 1, Some(1), AttrCheck::Pos);
const POS3: GmlAttr = attr("pos", 3, None, AttrCheck::Pos);
const fn one_float(name: &'static str) -> GmlAttr {
    attr(name, 1, Some(1), AttrCheck::Float)
}
const fn one_angle(name: &'static str) -> GmlAttr {
    attr(name, 1, Some(1), AttrCheck::Angle)
}

/// The GML shapes res_geolocation knows, in its order (`geoloc show
/// gml_shape_defs` lists them so).
pub const GML_SHAPES: &[GmlShape] = &[
    GmlShape {
        name: "Point",
        crs: "any",
        attrs: &[CRS_OPT, POS],
    },
    GmlShape {
        name: "Polygon",
        crs: "any",
        attrs: &[CRS_OPT, POS3],
    },
    GmlShape {
        name: "Circle",
        crs: "2d",
        attrs: &[CRS_OPT, POS, one_float("radius")],
    },
    GmlShape {
        name: "Ellipse",
        crs: "2d",
        attrs: &[
            CRS_OPT,
            POS,
            one_float("semiMajorAxis"),
            one_float("semiMinorAxis"),
            one_angle("orientation"),
        ],
    },
    GmlShape {
        name: "ArcBand",
        crs: "2d",
        attrs: &[
            CRS_OPT,
            POS,
            one_float("innerRadius"),
            one_float("outerRadius"),
            one_angle("startAngle"),
            one_angle("openingAngle"),
        ],
    },
    GmlShape {
        name: "Sphere",
        crs: "3d",
        attrs: &[CRS_REQ, POS, one_float("radius")],
    },
    GmlShape {
        name: "Ellipsoid",
        crs: "3d",
        attrs: &[
            CRS_REQ,
            POS,
            one_float("semiMajorAxis"),
            one_float("semiMinorAxis"),
            one_float("verticalAxis"),
            one_angle("orientation"),
        ],
    },
    GmlShape {
        name: "Prism",
        crs: "3d",
        attrs: &[CRS_REQ, POS3, one_float("height")],
    },
];

/// `sscanf(value, "%f %f %f")`'s count of numbers read (0 also when
/// there is nothing to read, where C says EOF; neither is a position).
fn count_floats(value: &str) -> usize {
    let mut rest = value;
    let mut n = 0;
    while n < 3 {
        match scan_double_w(rest, usize::MAX) {
            Some((_, used)) => {
                n += 1;
                rest = &rest[used..];
            }
            None => break,
        }
    }
    n
}

/// `strtof` over the whole of `s`, or `None` when anything is left.
fn whole_float(s: &str) -> Option<f32> {
    match scan_double_w(s, usize::MAX) {
        Some((v, used)) if used == s.len() => Some(v as f32),
        _ => None,
    }
}

fn check_angle(name: &str, value: &str) -> Result<(), String> {
    let mut work = Some(value);
    let angle = strsep(&mut work, b' ').unwrap_or_default();
    if angle.is_empty() {
        return Err(format!("Empty angle in '{name}'"));
    }
    let Some(f) = whole_float(&angle) else {
        return Err(format!("Invalid angle '{value}' in '{name}'"));
    };
    let uom = strsep(&mut work, b' ').unwrap_or_default();
    let uom = if uom.is_empty() || uom.starts_with("deg") {
        "degrees"
    } else if uom.starts_with("rad") {
        "radians"
    } else {
        return Err(format!(
            "Invalid UOM '{value}' in '{name}'.  Must be 'degrees' or 'radians'."
        ));
    };
    let limit = if uom == "degrees" { 360.0 } else { 100.0 };
    if f > limit {
        return Err(format!(
            "Angle '{angle}' must be <= {limit:.1} for UOM '{uom}' in '{name}'"
        ));
    }
    Ok(())
}

fn check_crs(value: &str) -> Result<(), String> {
    if value == "2d" || value == "3d" {
        Ok(())
    } else {
        Err(format!(
            "Invalid crs '{value}'.  Must be either '2d' or '3d'"
        ))
    }
}

fn check_attr(a: &GmlAttr, name: &str, value: &str, list: &VarList) -> Result<(), String> {
    match a.check {
        AttrCheck::Crs => check_crs(value),
        AttrCheck::Pos => {
            let crs = find(list, "crs").filter(|c| !c.is_empty()).unwrap_or("2d");
            let n = count_floats(value);
            if crs == "3d" && n != 3 {
                Err(format!(
                    "Invalid 3d position '{value}'.  Must be 3 floating point values."
                ))
            } else if crs == "2d" && n != 2 {
                Err(format!(
                    "Invalid 2d position '{value}'.  Must be 2 floating point values."
                ))
            } else {
                Ok(())
            }
        }
        AttrCheck::Float => match scan_double_w(value, usize::MAX) {
            Some(_) => Ok(()),
            None => Err(format!(
                "Invalid floating point value '{value}' in '{name}'."
            )),
        },
        AttrCheck::Angle => check_angle(name, value),
    }
}

/// res_geolocation's GML check. Like Asterisk it adds `crs=2d` to the
/// list when no crs is given (whatever the shape's own crs), which then
/// shows in the CLI and counts in the checks.
fn check_gml(list: &mut VarList) -> Result<(), String> {
    let shape_name = find(list, "shape").ok_or("Missing 'shape'")?.to_string();
    let shape = GML_SHAPES
        .iter()
        .find(|s| s.name == shape_name)
        .ok_or_else(|| format!("Invalid shape '{shape_name}'"))?;
    let mut crs = find(list, "crs").unwrap_or("").to_string();
    if crs.is_empty() {
        crs = if shape.crs == "any" { "2d" } else { shape.crs }.to_string();
        list.push(("crs".into(), "2d".into()));
    }
    check_crs(&crs)?;
    if shape.crs != "any" && crs != shape.crs {
        return Err(format!("Invalid crs '{crs}' for shape '{shape_name}'"));
    }
    for (n, v) in list.iter() {
        if n == "shape" {
            continue;
        }
        // Asterisk's message ends in a line break of its own (an empty
        // line in its log); the diagnostic leaves it out.
        let a = shape
            .attrs
            .iter()
            .find(|a| a.name == n)
            .ok_or_else(|| format!("Invalid variable name '{n}'"))?;
        check_attr(a, n, v, list)?;
    }
    for a in shape.attrs {
        let count = list.iter().filter(|(n, _)| n == a.name).count() as u32;
        if count < a.min {
            return Err(format!(
                "Number of '{}' variables {count} is < {}",
                a.name, a.min
            ));
        }
        if let Some(max) = a.max.filter(|m| count > *m) {
            return Err(format!(
                "Number of '{}' variables {count} is > {max}",
                a.name
            ));
        }
    }
    Ok(())
}

/// The checks of a location's (or inline profile's) description; the
/// error is the line Asterisk logs.
fn check_location_info(id: &str, format: Format, info: &mut VarList) -> Result<(), String> {
    match format {
        Format::None => Err(format!("Location '{id}' must have a format")),
        Format::CivicAddress => match info
            .iter()
            .find(|(n, _)| !CIVIC_CODES.contains(&n.as_str()))
        {
            Some((n, _)) => Err(format!(
                "Location '{id}' has invalid item '{n}' in the location"
            )),
            None => Ok(()),
        },
        Format::Gml => check_gml(info).map_err(|why| format!("Location '{id}' failed: {why}")),
        Format::Uri => match find(info, "URI") {
            Some(_) => Ok(()),
            None => Err(format!(
                "Geolocation location '{id}' format is set to 'URI' but no 'URI' was found in location parameter '{}'",
                join(info)
            )),
        },
    }
}

/// Whether `s` is what `ast_sockaddr_parse(.., PARSE_PORT_FORBID)` takes
/// as an address: a numeric IPv4 (inet_aton's forms) or IPv6 host, in
/// brackets or not, without a port.
fn is_ip_literal(s: &str) -> bool {
    let host = if let Some(inner) = s.strip_prefix('[') {
        match inner.split_once(']') {
            Some((h, "")) => h,
            // `[h]:port`: a port is refused, so no address.
            _ => return false,
        }
    } else if s.matches(':').count() == 1 {
        return false;
    } else {
        s
    };
    host.parse::<Ipv6Addr>().is_ok() || inet_aton(host).is_some()
}

/// glibc `inet_aton`: one to four parts, decimal, octal or hex.
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(parts.len());
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or(p.strip_prefix("0X")) {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if p.is_empty() || (digits.is_empty() && radix != 16) {
            return None;
        }
        let n = if digits.is_empty() {
            0
        } else {
            u32::from_str_radix(digits, radix).ok()?
        };
        nums.push(n);
    }
    let last = *nums.last()?;
    let head = &nums[..nums.len() - 1];
    if head.iter().any(|n| *n > 255) {
        return None;
    }
    let last_bits = 8 * (4 - head.len() as u32);
    if last_bits < 32 && last >= 1 << last_bits {
        return None;
    }
    let mut v = last;
    for (i, n) in head.iter().enumerate() {
        v |= n << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(v))
}

fn check_location_source(id: &str, source: &str) -> Result<(), String> {
    if !source.is_empty() && is_ip_literal(source) {
        return Err(format!(
            "Geolocation location '{id}' location_source '{source}' must be a FQDN. RFC8787 expressly forbids IP addresses."
        ));
    }
    Ok(())
}

/// Why sorcery refused one line of an object.
fn option_error(cat: &Category, v: &Variable, known: bool) -> String {
    // Sorcery's variables carry no file name, so Asterisk's line ends in "of ".
    if known {
        format!(
            "Error parsing {}={} at line {} of ",
            v.name, v.value, v.origin.line
        )
    } else {
        format!(
            "Could not find option suitable for category '{}' named '{}' at line {} of ",
            cat.name, v.name, v.origin.line
        )
    }
}

/// Sets one option of a location; `Err(true)` for a bad value of a known
/// option, `Err(false)` for an unknown option.
fn set_location(l: &mut Location, name: &str, value: &str) -> Result<(), bool> {
    match name.to_ascii_lowercase().as_str() {
        "type" => {}
        "format" => l.format = Format::from_name(value).ok_or(true)?,
        "location_info" => append_varlist(&mut l.location_info, value),
        "confidence" => append_varlist(&mut l.confidence, value),
        "location_source" => l.location_source = value.to_string(),
        "method" => l.method = value.to_string(),
        _ => return Err(false),
    }
    Ok(())
}

fn set_profile(p: &mut Profile, name: &str, value: &str) -> Result<(), bool> {
    match name.to_ascii_lowercase().as_str() {
        "type" => {}
        "pidf_element" => p.pidf_element = PidfElement::from_name(value).ok_or(true)?,
        "pidf_element_id" => p.pidf_element_id = value.to_string(),
        "location_reference" => p.location_reference = value.to_string(),
        "profile_precedence" => p.precedence = Precedence::from_name(value).ok_or(true)?,
        "usage_rules" => append_varlist(&mut p.usage_rules, value),
        "location_info_refinement" => append_varlist(&mut p.location_refinement, value),
        "location_variables" => append_varlist(&mut p.location_variables, value),
        "notes" => p.notes = value.to_string(),
        "allow_routing_use" => p.allow_routing_use = crate::config::is_true(value),
        "suppress_empty_ca_elements" => {
            p.suppress_empty_ca_elements = crate::config::is_true(value)
        }
        "format" => p.format = Format::from_name(value).ok_or(true)?,
        "location_info" => append_varlist(&mut p.location_info, value),
        "confidence" => append_varlist(&mut p.confidence, value),
        "location_source" => p.location_source = value.to_string(),
        "method" => p.method = value.to_string(),
        "device_id" => p.device_id = value.to_string(),
        _ => return Err(false),
    }
    Ok(())
}

/// res_geolocation's final check of a location.
fn apply_location(l: &mut Location) -> Result<(), String> {
    if l.location_info.is_empty() {
        return Err(format!(
            "Location '{}' is missing required element 'location_info'",
            l.name
        ));
    }
    check_location_info(&l.name, l.format, &mut l.location_info)?;
    check_location_source(&l.name, &l.location_source)
}

/// res_geolocation's final check of a profile. A `location_reference` is
/// not looked up here (Asterisk 20 returns before its lookup), and a
/// refinement without inline information never has a format.
fn apply_profile(p: &mut Profile) -> Result<(), String> {
    if !p.location_reference.is_empty() {
        if !p.location_info.is_empty() || p.format != Format::None {
            return Err(format!(
                "Profile '{}' can't have location_reference and location_info or format at the same time",
                p.name
            ));
        }
        return Ok(());
    }
    if !p.location_info.is_empty() {
        check_location_info(&p.name, p.format, &mut p.location_info)?;
        return check_location_source(&p.name, &p.location_source);
    }
    if !p.location_refinement.is_empty() {
        check_location_info(&p.name, Format::None, &mut p.location_refinement)?;
    }
    Ok(())
}

/// Sorcery's criteria `type=<kind>`: the first `type` line, value exact.
fn is_kind(cat: &Category, kind: &str) -> bool {
    cat.variables
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case("type"))
        .is_some_and(|v| v.value == kind)
}

/// Loads every object of one kind as res_sorcery_config does: options in
/// order, then the object's own check; a refused object is logged and
/// left out, and two objects of one id make the whole kind fail.
fn load_kind<T>(
    cfg: &Config,
    diags: &mut Vec<Diagnostic>,
    kind: &str,
    new: impl Fn(&str) -> T,
    set: impl Fn(&mut T, &str, &str) -> Result<(), bool>,
    apply: impl Fn(&mut T) -> Result<(), String>,
    id: impl Fn(&T) -> &str,
) -> Vec<T> {
    let mut objects: Vec<T> = Vec::new();
    for cat in cfg.sections().filter(|c| is_kind(c, kind)) {
        if objects.iter().any(|o| id(o) == cat.name) {
            section_note(
                diags,
                Severity::Error,
                cat,
                format!(
                    "Config file 'geolocation.conf' could not be loaded; configuration contains a duplicate object: '{}' of type '{kind}'",
                    cat.name
                ),
            );
            return Vec::new();
        }
        let mut obj = new(&cat.name);
        let mut refused = false;
        for v in &cat.variables {
            if let Err(known) = set(&mut obj, &v.name, &v.value) {
                line_note(diags, Severity::Error, v, option_error(cat, v, known));
                refused = true;
                break;
            }
        }
        if !refused && let Err(why) = apply(&mut obj) {
            section_note(diags, Severity::Error, cat, why);
            refused = true;
        }
        if refused {
            section_note(
                diags,
                Severity::Error,
                cat,
                format!(
                    "Could not create an object of type '{kind}' with id '{}' from configuration file 'geolocation.conf'",
                    cat.name
                ),
            );
            continue;
        }
        objects.push(obj);
    }
    objects
}

impl View for GeolocationConf {
    const FILE: &'static str = "geolocation.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let locations = load_kind(
            cfg,
            diags,
            "location",
            |n| Location {
                name: n.to_string(),
                ..Location::default()
            },
            set_location,
            apply_location,
            |l| &l.name,
        );
        let configured = load_kind(
            cfg,
            diags,
            "profile",
            |n| Profile {
                name: n.to_string(),
                ..Profile::default()
            },
            set_profile,
            apply_profile,
            |p| &p.name,
        );
        let mut profiles = builtin_profiles();
        profiles.extend(configured);
        GeolocationConf {
            locations,
            profiles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, loader::load_str};

    fn load(text: &str) -> (GeolocationConf, Vec<String>) {
        let cfg = load_str("geolocation.conf", text, &LoadOptions::new("/x")).expect("loads");
        let mut d = Vec::new();
        let g = GeolocationConf::from_config(&cfg, &mut d);
        (g, d.into_iter().map(|d| d.message).collect())
    }

    fn items(s: &str) -> VarList {
        let mut l = Vec::new();
        append_varlist(&mut l, s);
        l
    }

    #[test]
    fn geoloc_varlists_split_as_ast_strsep() {
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(items("a=1, b = \"x, y\""), [p("a", "1"), p("b", "x, y")]);
        assert_eq!(items("a=b=c,d"), [p("a", "b"), p("d", "")]);
        assert_eq!(items("a=1,"), [p("a", "1"), p("", "")]);
        assert_eq!(items("a=x\\,y"), [p("a", "x,y")]);
        // Quotes around the whole item go first; the `=` is then quoted.
        assert_eq!(items("'q'='v'"), [p("q'='v", "")]);
        assert!(items("").is_empty());
    }

    #[test]
    fn geoloc_gml_checks() {
        let gml = |s: &str| {
            let mut l = items(s);
            check_gml(&mut l).map(|()| join(&l))
        };
        assert_eq!(
            gml("shape=Point,pos=1 2").as_deref(),
            Ok("shape=\"Point\",pos=\"1 2\",crs=\"2d\"")
        );
        // No crs: 2d is added even for a 3d shape, and then counts.
        assert_eq!(
            gml("shape=Sphere,pos=1 2 3,radius=1"),
            Err("Invalid 2d position '1 2 3'.  Must be 2 floating point values.".into())
        );
        assert_eq!(
            gml("shape=Point,crs=,pos=1 2"),
            Err("Invalid crs ''.  Must be either '2d' or '3d'".into())
        );
        assert_eq!(gml("shape=Ellipse,pos=1 2,semiMajorAxis=1,semiMinorAxis=1,orientation=1.5 rad"), Ok("shape=\"Ellipse\",pos=\"1 2\",semiMajorAxis=\"1\",semiMinorAxis=\"1\",orientation=\"1.5 rad\",crs=\"2d\"".into()));
        assert_eq!(
            gml("shape=Circle,pos=1 2,radius=1,startAngle=1"),
            Err("Invalid variable name 'startAngle'".into())
        );
        assert_eq!(
            gml("shape=Ellipse,pos=1 2,semiMajorAxis=1,semiMinorAxis=1,orientation=x"),
            Err("Invalid angle 'x' in 'orientation'".into())
        );
        assert_eq!(
            gml("shape=Ellipse,pos=1 2,semiMajorAxis=1,semiMinorAxis=1,orientation=101 radians"),
            Err("Angle '101' must be <= 100.0 for UOM 'radians' in 'orientation'".into())
        );
        assert_eq!(
            gml("shape=Prism,crs=3d,pos=1 2 3,pos=1 2 3,pos=1 2 3"),
            Err("Number of 'height' variables 0 is < 1".into())
        );
    }

    #[test]
    fn geoloc_location_sources() {
        for (src, ip) in [
            ("example.com", false),
            ("192.0.2.1", true),
            ("127.1", true),
            ("[2001:db8::1]", true),
            ("2001:db8::1", true),
            ("192.0.2.1:5060", false),
            ("[::1]:5060", false),
            ("1.2.3.4.5", false),
        ] {
            assert_eq!(is_ip_literal(src), ip, "{src}");
        }
    }

    #[test]
    fn geoloc_objects_and_refusals() {
        let (g, d) = load(
            "[a]\ntype=location\nformat=URI\nlocation_info=URI=http://x\n\
             [p]\ntype=profile\nlocation_reference=a\nlocation_info_refinement=x=1\n\
             [q]\ntype=profile\nlocation_info_refinement=x=1\n\
             [r]\ntype=profile\nPIDF_ELEMENT=person\nfoo=bar\n\
             [s]\ntype=Profile\n",
        );
        assert_eq!(g.locations.len(), 1);
        let names: Vec<&str> = g.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "<prefer_config>",
                "<discard_config>",
                "<prefer_incoming>",
                "<discard_incoming>",
                "p"
            ]
        );
        assert_eq!(
            d,
            [
                "Location 'q' must have a format",
                "Could not create an object of type 'profile' with id 'q' from configuration file 'geolocation.conf'",
                "Could not find option suitable for category 'r' named 'foo' at line 15 of ",
                "Could not create an object of type 'profile' with id 'r' from configuration file 'geolocation.conf'",
            ]
        );
        let p = g.profile("p").expect("p");
        let e = g.effective(p).expect("resolves");
        assert_eq!(join(&e.effective_location), "URI=\"http://x\",x=\"1\"");
    }

    #[test]
    fn geoloc_duplicate_ids_fail_the_kind() {
        let (g, d) = load(
            "[a]\ntype=location\nformat=URI\nlocation_info=URI=1\n\
             [b]\ntype=location\nformat=URI\nlocation_info=URI=2\n\
             [a]\ntype=location\nformat=URI\nlocation_info=URI=3\n",
        );
        assert!(g.locations.is_empty());
        assert_eq!(
            d,
            [
                "Config file 'geolocation.conf' could not be loaded; configuration contains a duplicate object: 'a' of type 'location'"
            ]
        );
    }
}
