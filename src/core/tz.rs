//! Time zones as Asterisk's `main/stdtime/localtime.c` handles them
//! (`ast_localtime`, `ast_mktime`): a zone is a TZif file under
//! `/usr/share/zoneinfo` (or an absolute path, or `:file`), else a POSIX
//! TZ string such as `XYZ3`; a name that is neither is GMT, silently. No
//! name means `/etc/localtime`. Loaded zones are cached by name, as
//! Asterisk does.
//!
//! The system's zone files are read (through the `tz-rs` crate) rather than
//! a built-in copy of the database, because that is what Asterisk does:
//! the same files give the same offsets and abbreviations.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

pub use tz::timezone::{LocalTimeType, TimeZone, TransitionRule};

/// A broken-down time (`struct ast_tm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tm {
    pub sec: i32,
    pub min: i32,
    pub hour: i32,
    pub mday: i32,
    /// 0 to 11.
    pub mon: i32,
    /// Years since 1900.
    pub year: i32,
    /// 0 (Sunday) to 6.
    pub wday: i32,
    /// 0 to 365.
    pub yday: i32,
    pub isdst: bool,
    /// Seconds east of UTC.
    pub gmtoff: i32,
    /// The abbreviation (`%Z`).
    pub zone: String,
    /// Microseconds (Asterisk's `%q`).
    pub usec: i64,
}

static ZONES: LazyLock<Mutex<HashMap<String, Arc<TimeZone>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn gmt() -> TimeZone {
    if let Ok(z) = TimeZone::from_posix_tz("GMT") {
        return z;
    }
    LocalTimeType::new(0, false, Some(b"GMT"))
        .ok()
        .and_then(|t| TimeZone::new(vec![], vec![t], vec![], None).ok())
        .unwrap_or_else(TimeZone::utc)
}

/// `ast_tzset`: the zone of that name (empty: the system's local zone).
pub fn zone(name: Option<&str>) -> Arc<TimeZone> {
    let name = match name {
        Some(n) if !n.is_empty() => n,
        _ => "/etc/localtime",
    };
    let mut cache = crate::core::lock(&ZONES);
    if let Some(z) = cache.get(name) {
        return z.clone();
    }
    let z = Arc::new(load(name));
    cache.insert(name.to_string(), z.clone());
    z
}

fn load(name: &str) -> TimeZone {
    if let Some(file) = name.strip_prefix(':') {
        // A file only: no POSIX string after a colon.
        return TimeZone::from_posix_tz(&format!(":{file}")).unwrap_or_else(|_| gmt());
    }
    TimeZone::from_posix_tz(name).unwrap_or_else(|_| gmt())
}

const DAYS_PER_400Y: i64 = 146_097;

/// Days since 1970-01-01 to (year, month 1-12, day 1-31).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(DAYS_PER_400Y);
    let doe = z.rem_euclid(DAYS_PER_400Y);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

const MON_LENGTHS: [[i64; 12]; 2] = [
    [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
    [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
];

/// Seconds since the epoch to broken-down time in `tz`; `None` when the
/// year does not fit (`ast_localtime` failing).
pub fn localtime_in(tz: &TimeZone, secs: i64, usec: i64) -> Option<Tm> {
    let (offset, isdst, abbr) = match tz.find_local_time_type(secs) {
        Ok(t) => (
            t.ut_offset(),
            t.is_dst(),
            t.time_zone_designation().to_string(),
        ),
        Err(_) => (0, false, "GMT".to_string()),
    };
    let local = secs.checked_add(i64::from(offset))?;
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let year = i32::try_from(y - 1900).ok()?;
    let leap = usize::from(is_leap(y));
    let yday: i64 = MON_LENGTHS[leap][..(m - 1) as usize].iter().sum::<i64>() + d - 1;
    Some(Tm {
        sec: (rem % 60) as i32,
        min: ((rem / 60) % 60) as i32,
        hour: (rem / 3600) as i32,
        mday: d as i32,
        mon: (m - 1) as i32,
        year,
        wday: (days + 4).rem_euclid(7) as i32,
        yday: yday as i32,
        isdst,
        gmtoff: offset,
        zone: abbr,
        usec,
    })
}

/// `ast_localtime`.
pub fn localtime(secs: i64, usec: i64, zone_name: Option<&str>) -> Option<Tm> {
    localtime_in(&zone(zone_name), secs, usec)
}

/// `normalize_overflow`: carries whole `base`s of `units` into `tens`.
fn normalize(tens: &mut i64, units: &mut i64, base: i64) {
    let delta = if *units >= 0 {
        *units / base
    } else {
        -1 - (-1 - *units) / base
    };
    *units -= delta * base;
    *tens += delta;
}

fn tmcomp(a: &Tm, b: &Tm) -> i64 {
    let pairs = [
        (a.year, b.year),
        (a.mon, b.mon),
        (a.mday, b.mday),
        (a.hour, b.hour),
        (a.min, b.min),
        (a.sec, b.sec),
    ];
    for (x, y) in pairs {
        let r = i64::from(x) - i64::from(y);
        if r != 0 {
            return r;
        }
    }
    0
}

/// `time2sub` with `tm_isdst` -1 (how STRPTIME calls `ast_mktime`): a
/// binary search over all times for one whose local time is `tm`.
fn time2sub(tz: &TimeZone, tm: &Tm, norm_secs: bool) -> Option<i64> {
    let (mut sec, mut min, mut hour, mut mday, mut mon) = (
        i64::from(tm.sec),
        i64::from(tm.min),
        i64::from(tm.hour),
        i64::from(tm.mday),
        i64::from(tm.mon),
    );
    let mut y = i64::from(tm.year);
    if norm_secs {
        normalize(&mut min, &mut sec, 60);
    }
    normalize(&mut hour, &mut min, 60);
    normalize(&mut mday, &mut hour, 24);
    normalize(&mut y, &mut mon, 12);
    y += 1900;
    let year_len = |y: i64| if is_leap(y) { 366 } else { 365 };
    while mday <= 0 {
        y -= 1;
        mday += year_len(y + i64::from(1 < mon));
    }
    while mday > 366 {
        mday -= year_len(y + i64::from(1 < mon));
        y += 1;
    }
    loop {
        let i = MON_LENGTHS[usize::from(is_leap(y))][mon.clamp(0, 11) as usize];
        if mday <= i {
            break;
        }
        mday -= i;
        mon += 1;
        if mon >= 12 {
            mon = 0;
            y += 1;
        }
    }
    let year = i32::try_from(y - 1900).ok()?;
    let saved;
    if (0..60).contains(&sec) {
        saved = 0;
    } else if y < 1970 {
        sec += 1 - 60;
        saved = sec;
        sec = 59;
    } else {
        saved = sec;
        sec = 0;
    }
    let want = Tm {
        sec: sec as i32,
        min: min as i32,
        hour: hour as i32,
        mday: mday as i32,
        mon: mon as i32,
        year,
        wday: 0,
        yday: 0,
        isdst: false,
        gmtoff: 0,
        zone: String::new(),
        usec: 0,
    };
    let (mut lo, mut hi) = (i64::MIN, i64::MAX);
    let t = loop {
        let mut t = lo / 2 + hi / 2;
        t = t.clamp(lo, hi);
        let dir = match localtime_in(tz, t, 0) {
            None => {
                if t > 0 {
                    1
                } else {
                    -1
                }
            }
            Some(mine) => tmcomp(&mine, &want),
        };
        if dir == 0 {
            break t;
        }
        if t == lo {
            t = t.checked_add(1)?;
            lo += 1;
        } else if t == hi {
            t = t.checked_sub(1)?;
            hi -= 1;
        }
        if lo > hi {
            return None;
        }
        if dir > 0 {
            hi = t;
        } else {
            lo = t;
        }
    };
    let t = t.checked_add(saved)?;
    localtime_in(tz, t, 0).map(|_| t)
}

/// `ast_mktime` of a time whose daylight-saving flag is unknown: the
/// seconds since the epoch, or 0 (Asterisk's `WRONG`) for a local time
/// that does not exist.
pub fn mktime(tm: &Tm, zone_name: Option<&str>) -> i64 {
    let tz = zone(zone_name);
    time2sub(&tz, tm, false)
        .or_else(|| time2sub(&tz, tm, true))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york() {
        let tm = localtime(1_700_000_000, 0, Some("America/New_York")).expect("tm");
        assert_eq!(
            (tm.year, tm.mon, tm.mday, tm.hour, tm.min),
            (123, 10, 14, 17, 13)
        );
        assert_eq!(tm.zone, "EST");
        assert_eq!(mktime(&tm, Some("America/New_York")), 1_700_000_000);
        let g = localtime(0, 0, Some("No/Such_Zone")).expect("tm");
        assert_eq!(g.zone, "GMT");
        assert!(localtime(i64::MAX, 0, None).is_none());
        assert!(localtime(i64::MIN, 0, Some("Europe/Paris")).is_none());
    }
}
