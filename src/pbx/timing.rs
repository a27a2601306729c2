//! Time specifications (`times,weekdays,mdays,months[,timezone]`) used by
//! time-restricted includes, `GotoIfTime`, `IFTIME`: parsed into bit masks
//! with Asterisk's rules (ranges wrap around, a time range includes its
//! last minute, a bad element is skipped with a warning).

use chrono::{Datelike, Timelike};

use crate::core::logger::{Deferred, Site};

const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// One bit per minute of the day.
    minutes: Box<[u64; 23]>,
    dow: u32,
    mday: u32,
    month: u32,
    pub timezone: Option<String>,
    /// What Asterisk would have warned about while parsing, from where
    /// (main/pbx_timing.c).
    pub warnings: Vec<Deferred>,
}

/// C `sscanf("%2d")`: up to two digits after optional blanks and sign.
fn scan2(s: &str) -> Option<(i32, &str)> {
    let s = s.trim_start();
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let n = body.bytes().take(2).take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v: i32 = body[..n].parse().ok()?;
    Some((if neg { -v } else { v }, &body[n..]))
}

/// `%2d:%2d`
fn scan_hhmm(s: &str) -> Option<(i32, i32)> {
    let (h, rest) = scan2(s)?;
    let rest = rest.strip_prefix(':')?;
    let (m, _) = scan2(rest)?;
    Some((h, m))
}

fn lookup(s: &str, names: Option<&[&str]>, max: i32) -> Option<i32> {
    if let Some(names) = names
        && s.as_bytes().first().is_some_and(|&b| b > b'9')
        && let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s))
    {
        return Some(i as i32);
    }
    match scan2(s) {
        Some((i, _)) if (1..=max).contains(&i) => Some(i - 1),
        _ => None,
    }
}

/// `get_timerange`'s warning at `line`.
fn timerange_warning(line: u32, message: String) -> Deferred {
    Deferred::new(
        &Site {
            file: "pbx_timing.c",
            line,
            function: "get_timerange",
        },
        message,
    )
}

/// `get_range`'s warning at `line`.
fn range_warning(line: u32, message: String) -> Deferred {
    Deferred::new(
        &Site {
            file: "pbx_timing.c",
            line,
            function: "get_range",
        },
        message,
    )
}

impl Timing {
    fn set_minute(&mut self, m: i32) {
        let m = m as usize;
        self.minutes[m / 64] |= 1 << (m % 64);
    }

    fn has_minute(&self, m: u32) -> bool {
        let m = m as usize;
        self.minutes[m / 64] & (1 << (m % 64)) != 0
    }

    fn time_range(&mut self, spec: &str) {
        if spec.is_empty() || spec == "*" {
            for m in 0..24 * 60 {
                self.set_minute(m);
            }
            return;
        }
        for part in spec.split('&') {
            let Some((start, end)) = part.split_once('-') else {
                match scan_hhmm(part) {
                    Some((h, m)) if (0..=23).contains(&h) && (0..=59).contains(&m) => {
                        self.set_minute(h * 60 + m)
                    }
                    _ => self.warnings.push(timerange_warning(
                        132,
                        format!("{part} isn't a valid time."),
                    )),
                }
                continue;
            };
            let end = end.trim_start_matches(|c: char| !c.is_ascii_digit());
            if end.is_empty() {
                self.warnings.push(timerange_warning(
                    144,
                    format!("Invalid time range starting with '{start}-'."),
                ));
                continue;
            }
            let Some((sh, sm)) =
                scan_hhmm(start).filter(|(h, m)| (0..=23).contains(h) && (0..=59).contains(m))
            else {
                self.warnings.push(timerange_warning(
                    148,
                    format!("'{start}' isn't a valid start time."),
                ));
                continue;
            };
            let Some((eh, em)) =
                scan_hhmm(end).filter(|(h, m)| (0..=23).contains(h) && (0..=59).contains(m))
            else {
                self.warnings.push(timerange_warning(
                    152,
                    format!("'{end}' isn't a valid end time."),
                ));
                continue;
            };
            let (mut x, last) = (sh * 60 + sm, eh * 60 + em);
            while x != last {
                self.set_minute(x);
                x = (x + 1) % (24 * 60);
            }
            self.set_minute(last);
        }
    }

    fn range(&mut self, spec: &str, max: i32, names: Option<&[&str]>, what: &str) -> u32 {
        if spec.is_empty() || spec == "*" {
            return (1u32 << max) - 1;
        }
        let mut mask = 0u32;
        for part in spec.split('&') {
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (a, Some(b)),
                None => (part, None),
            };
            let Some(mut start) = lookup(first, names, max) else {
                self.warnings.push(range_warning(
                    84,
                    format!("Invalid {what} '{first}', skipping element"),
                ));
                continue;
            };
            let end = match last {
                Some(l) => match lookup(l, names, max) {
                    Some(e) => e,
                    None => {
                        self.warnings.push(range_warning(
                            89,
                            format!("Invalid end {what} '{l}', skipping element"),
                        ));
                        continue;
                    }
                },
                None => start,
            };
            mask |= 1 << end;
            while start != end {
                mask |= 1 << start;
                start += 1;
                if start >= max {
                    start = 0;
                }
            }
        }
        mask
    }

    /// Parses `times|weekdays|mdays|months|timezone` (`,` or `|` separated).
    pub fn parse(spec: &str) -> Self {
        let mut t = Timing {
            minutes: Box::new([0; 23]),
            dow: 0x7f,
            mday: 0x7fff_ffff,
            month: 0xfff,
            timezone: None,
            warnings: Vec::new(),
        };
        let fields: Vec<&str> = spec.split(['|', ',']).collect();
        if fields.len() == 5 {
            t.timezone = Some(fields[4].to_string());
        }
        t.time_range(fields[0]);
        if let Some(f) = fields.get(1) {
            t.dow = t.range(f, 7, Some(&DAYS), "day of week");
        }
        if let Some(f) = fields.get(2) {
            t.mday = t.range(f, 31, None, "day");
        }
        if let Some(f) = fields.get(3) {
            t.month = t.range(f, 12, Some(&MONTHS), "month");
        }
        t
    }

    /// Whether a local date-time falls inside this specification.
    pub fn matches<T: Datelike + Timelike>(&self, when: &T) -> bool {
        self.month & (1 << when.month0()) != 0
            && self.mday & (1 << when.day0()) != 0
            && self.dow & (1 << when.weekday().num_days_from_sunday()) != 0
            && self.has_minute(when.hour() * 60 + when.minute())
    }

    /// Whether now, in the spec's timezone (the system's when none is
    /// given, GMT when the name is unknown, as `ast_check_timing`), falls
    /// inside the specification.
    pub fn matches_now(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.matches_at(now)
    }

    /// Whether a moment (seconds since the epoch) falls inside the
    /// specification, in its timezone.
    pub fn matches_at(&self, epoch: i64) -> bool {
        let Some(tm) = crate::core::tz::localtime(epoch, 0, self.timezone.as_deref()) else {
            return false;
        };
        let when =
            chrono::NaiveDate::from_ymd_opt(tm.year + 1900, (tm.mon + 1) as u32, tm.mday as u32)
                .and_then(|d| d.and_hms_opt(tm.hour as u32, tm.min as u32, tm.sec.min(59) as u32));
        when.is_some_and(|w| self.matches(&w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .expect("valid date")
    }

    #[test]
    fn office_hours_table() {
        // 2026-11-23 is a Monday, 2026-11-22 a Sunday.
        let rows: &[(&str, chrono::NaiveDateTime, bool)] = &[
            ("17:00-23:59,mon-fri,*,*", at(2026, 11, 23, 17, 0), true),
            ("17:00-23:59,mon-fri,*,*", at(2026, 11, 23, 23, 59), true),
            ("17:00-23:59,mon-fri,*,*", at(2026, 11, 23, 16, 59), false),
            ("17:00-23:59,mon-fri,*,*", at(2026, 11, 22, 18, 0), false),
            ("00:00-08:59,mon-fri,*,*", at(2026, 11, 24, 8, 59), true),
            ("00:00-08:59,mon-fri,*,*", at(2026, 11, 24, 9, 0), false),
            ("22:00-02:00,*,*,*", at(2026, 11, 24, 1, 30), true),
            ("*,sat-mon,*,*", at(2026, 11, 22, 12, 0), true),
            ("*,fri-sun,*,*", at(2026, 11, 23, 12, 0), false),
            ("*,*,1-15,jan&nov", at(2026, 11, 14, 12, 0), true),
            ("*,*,1-15,jan&nov", at(2026, 11, 16, 12, 0), false),
            ("*,*,*,dec", at(2026, 11, 16, 12, 0), false),
            ("09:00&12:30,*,*,*", at(2026, 11, 16, 12, 30), true),
        ];
        for (spec, when, expected) in rows {
            assert_eq!(
                Timing::parse(spec).matches(when),
                *expected,
                "{spec} at {when}"
            );
        }
    }

    #[test]
    fn timezone_field() {
        // 1700000000 is 22:13 UTC, 17:13 in New York (a Tuesday).
        assert!(Timing::parse("17:00-17:30,tue,*,*,America/New_York").matches_at(1_700_000_000));
        assert!(!Timing::parse("17:00-17:30,tue,*,*,UTC").matches_at(1_700_000_000));
        assert!(Timing::parse("22:00-22:30,tue,*,*,No/Such_Zone").matches_at(1_700_000_000));
    }

    #[test]
    fn bad_elements_warn() {
        let t = Timing::parse("25:00-26:00,funday,*,*");
        assert_eq!(t.warnings.len(), 2);
        // Each keeps its pbx_timing.c site (20.20.1).
        let w = &t.warnings[0];
        assert_eq!(w.message, "'25:00' isn't a valid start time.");
        assert_eq!((w.site.line, w.site.function), (148, "get_timerange"));
        let w = &t.warnings[1];
        assert_eq!(w.message, "Invalid day of week 'funday', skipping element");
        assert_eq!(
            (w.site.file, w.site.line, w.site.function),
            ("pbx_timing.c", 84, "get_range")
        );
    }
}
