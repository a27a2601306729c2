//! Event filters (`eventfilter` in manager.conf, the `Filter` action):
//! the legacy form, a regular expression over the whole event (`!` in
//! front excludes), and the advanced form
//! `eventfilter(action(include|exclude),name(Event),header(Name),method(m))`.

use crate::pbx::expr::posix_re::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Regex,
    Exact,
    StartsWith,
    EndsWith,
    Contains,
    None,
}

#[derive(Clone)]
pub struct Filter {
    exclude: bool,
    event_name: Option<String>,
    /// With its colon.
    header: Option<String>,
    method: Method,
    pattern: String,
    regex: Option<std::sync::Arc<Regex>>,
}

/// Why a filter was refused (the `Filter` action's error messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("Filter did not compile.  Check the syntax of the filter given.")]
    Compile,
    #[error("Filter was formatted incorrectly.  Check the syntax of the filter given.")]
    Format(String),
}

/// A session's include and exclude filters.
#[derive(Clone, Default)]
pub struct Filters {
    include: Vec<Filter>,
    exclude: Vec<Filter>,
}

impl Filters {
    /// `manager_add_filter`: `criteria` is `eventfilter` or
    /// `eventfilter(options)`.
    pub fn add(&mut self, criteria: &str, pattern: &str) -> Result<(), FilterError> {
        let f = parse(criteria, pattern)?;
        if f.exclude {
            self.exclude.push(f);
        } else {
            self.include.push(f);
        }
        Ok(())
    }

    /// `should_send_event`: with include filters only an event one of them
    /// matches passes; with exclude filters only an event none matches;
    /// with both, it must match an include and no exclude.
    pub fn allows(&self, name: &str, text: &str) -> bool {
        let inc = || self.include.iter().any(|f| f.matches(name, text));
        let exc = || self.exclude.iter().any(|f| f.matches(name, text));
        match (self.include.is_empty(), self.exclude.is_empty()) {
            (true, true) => true,
            (false, true) => inc(),
            (true, false) => !exc(),
            (false, false) => inc() && !exc(),
        }
    }
}

fn parse(criteria: &str, pattern: &str) -> Result<Filter, FilterError> {
    let fmt = |why: &str| FilterError::Format(format!("'{criteria} = {pattern}': {why}"));
    let (mut exclude, pattern) = match pattern.strip_prefix('!') {
        Some(p) => (true, p),
        None => (false, pattern),
    };
    let mut f = Filter {
        exclude,
        event_name: None,
        header: None,
        method: Method::Regex,
        pattern: pattern.to_string(),
        regex: None,
    };
    match criteria.find('(') {
        None => {
            if pattern.is_empty() {
                return Err(fmt("Legacy filter with no filter pattern specified"));
            }
        }
        Some(open) => {
            f.method = Method::None;
            let opts = criteria[open + 1..].trim();
            if opts.is_empty() || !opts.ends_with(')') {
                return Err(fmt("Filter options not formatted correctly"));
            }
            let mut found = (false, false, false, false);
            // strtok on " ,)": each option is `word(value`.
            for option in opts.split([' ', ',', ')']).filter(|o| !o.is_empty()) {
                let value = option.split_once('(').map(|(_, v)| v.trim());
                if option.starts_with("action") {
                    match value {
                        Some("include") => exclude = false,
                        Some("exclude") => exclude = true,
                        Some(other) => {
                            return Err(fmt(&format!("'action' option '{other}' is unknown")));
                        }
                        None => return Err(fmt("'action' parameter not formatted correctly")),
                    }
                    found.0 = true;
                } else if option.starts_with("name") {
                    match value.filter(|v| !v.is_empty()) {
                        Some(v) => f.event_name = Some(v.to_string()),
                        None => return Err(fmt("'name' parameter not formatted correctly")),
                    }
                    found.1 = true;
                } else if option.starts_with("header") {
                    match value.filter(|v| !v.is_empty()) {
                        Some(v) if v.ends_with(':') => f.header = Some(v.to_string()),
                        Some(v) => f.header = Some(format!("{v}:")),
                        None => return Err(fmt("'header' parameter not formatted correctly")),
                    }
                    found.2 = true;
                } else if option.starts_with("method") {
                    f.method = match value.unwrap_or("") {
                        "regex" => Method::Regex,
                        "exact" => Method::Exact,
                        "starts_with" => Method::StartsWith,
                        "ends_with" => Method::EndsWith,
                        "contains" => Method::Contains,
                        "none" => Method::None,
                        "" => return Err(fmt("'method' parameter not formatted correctly")),
                        other => {
                            return Err(fmt(&format!("'method' option '{other}' is unknown")));
                        }
                    };
                    found.3 = true;
                } else {
                    return Err(fmt(&format!("Filter option '{option}' is unknown")));
                }
            }
            if found == (false, false, false, false) {
                return Err(fmt("No action, name, header, or method option found"));
            }
            if pattern.is_empty() && f.method != Method::None {
                return Err(fmt("method can't be set with no filter pattern"));
            }
            if !pattern.is_empty() && f.method == Method::None {
                return Err(fmt("method can't be 'none' with a filter pattern"));
            }
            if !found.1 && !found.2 && f.method == Method::None {
                return Err(fmt("No name or header option found and no filter pattern"));
            }
        }
    }
    f.exclude = exclude;
    if f.method == Method::Regex {
        f.regex = Some(std::sync::Arc::new(
            Regex::new(pattern).map_err(|_| FilterError::Compile)?,
        ));
    }
    Ok(f)
}

impl Filter {
    fn matches(&self, name: &str, text: &str) -> bool {
        if let Some(n) = &self.event_name {
            if n != name {
                return false;
            }
        }
        let Some(header) = &self.header else {
            return self.matches_data(text);
        };
        text.split("\r\n").any(|line| {
            line.strip_prefix(header.as_str())
                .map(|v| v.trim_start_matches([' ', '\t']))
                .is_some_and(|v| !v.is_empty() && self.matches_data(v))
        })
    }

    fn matches_data(&self, data: &str) -> bool {
        match self.method {
            Method::Regex => self
                .regex
                .as_ref()
                .is_some_and(|r| r.search(data, false).is_some()),
            Method::StartsWith => data.starts_with(&self.pattern),
            Method::EndsWith => data.ends_with(&self.pattern),
            Method::Contains => data.contains(&self.pattern),
            Method::Exact => data == self.pattern,
            Method::None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEWCHANNEL: &str =
        "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: Local/1@a-00000000;1\r\n\r\n";
    const VARSET: &str = "Event: VarSet\r\nPrivilege: dialplan,all\r\nVariable: X\r\n\r\n";

    #[test]
    fn legacy_and_advanced_filters() {
        let mut f = Filters::default();
        assert!(f.allows("VarSet", VARSET));
        f.add("eventfilter", "Event: Newchannel").expect("filter");
        assert!(f.allows("Newchannel", NEWCHANNEL));
        assert!(!f.allows("VarSet", VARSET));
        let mut g = Filters::default();
        g.add("eventfilter", "!Event: VarSet").expect("filter");
        assert!(g.allows("Newchannel", NEWCHANNEL) && !g.allows("VarSet", VARSET));
        let mut h = Filters::default();
        h.add(
            "eventfilter(action(include),name(Newchannel),header(Channel),method(starts_with))",
            "Local/",
        )
        .expect("filter");
        assert!(h.allows("Newchannel", NEWCHANNEL) && !h.allows("VarSet", VARSET));
        assert!(matches!(
            Filters::default().add("eventfilter", ""),
            Err(FilterError::Format(_))
        ));
        assert_eq!(
            Filters::default().add("eventfilter", "("),
            Err(FilterError::Compile)
        );
        assert!(matches!(
            Filters::default().add("eventfilter(bogus(x))", "y"),
            Err(FilterError::Format(_))
        ));
    }
}
