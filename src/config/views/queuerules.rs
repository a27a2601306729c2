//! `queuerules.conf`: app_queue's penalty rule lists. Each section but
//! `[general]` is a list; each `penaltychange => time,max[,min[,raise]]`
//! line a rule, kept sorted by time (`insert_penaltychange`). The lists
//! are shown by the QueueRule action and move a waiting caller's penalty
//! limits (Queue's `rule`, or the queue's `defaultrule`).

use super::values::atoi_i32;
use super::{View, line_note};
use crate::config::{Config, Diagnostic, Severity};

/// One penalty change: after `time` seconds, the max, min and raise
/// penalties become (or, relative, move by) these values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PenaltyRule {
    pub time: i32,
    pub max_relative: bool,
    pub max_value: i32,
    pub min_relative: bool,
    pub min_value: i32,
    pub raise_relative: bool,
    pub raise_value: i32,
    /// A raise written `r<n>`: members below the minimum stay below it.
    pub raise_respect_min: bool,
}

impl PenaltyRule {
    /// `time,max,min` as QueueRule prints it: a relative value that is
    /// not negative gets its `+`.
    pub fn display(&self) -> String {
        let sign = |relative: bool, v: i32| if relative && v >= 0 { "+" } else { "" };
        format!(
            "{},{}{},{}{}",
            self.time,
            sign(self.max_relative, self.max_value),
            self.max_value,
            sign(self.min_relative, self.min_value),
            self.min_value
        )
    }

    /// `insert_penaltychange`'s reading of a value; `None` (with
    /// app_queue's warning text) when it is refused.
    fn parse(value: &str) -> Result<PenaltyRule, &'static str> {
        let Some((time, rest)) = value.split_once(',') else {
            return Err("Improperly formatted penaltychange rule");
        };
        let mut parts = rest.splitn(3, ',');
        let max = parts.next().unwrap_or("");
        let min = parts.next();
        let raise = parts.next();
        let time = atoi_i32(time);
        if time < 0 {
            return Err("Improper time parameter specified for penaltychange rule");
        }
        let relative = |s: &str| s.starts_with('+') || s.starts_with('-');
        let (min_relative, min_value) = match min.filter(|m| !m.is_empty()) {
            Some(m) => (relative(m), atoi_i32(m)),
            None => (true, 0),
        };
        // No raise: no change to it.
        let (raise_relative, raise_value, raise_respect_min) = match raise.filter(|r| !r.is_empty())
        {
            Some(r) => {
                let (respect, r) = match r.strip_prefix('r') {
                    Some(rest) => (true, rest),
                    None => (false, r),
                };
                (relative(r), atoi_i32(r), respect)
            }
            None => (true, 0, false),
        };
        Ok(PenaltyRule {
            time,
            max_relative: max.is_empty() || relative(max),
            max_value: atoi_i32(max),
            min_relative,
            min_value,
            raise_relative,
            raise_value,
            raise_respect_min,
        })
    }
}

/// A named list of rules, sorted by time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleList {
    pub name: String,
    pub rules: Vec<PenaltyRule>,
}

/// The lists, in the file's order.
#[derive(Debug, Clone, Default)]
pub struct QueueRulesConf {
    pub lists: Vec<RuleList>,
}

impl View for QueueRulesConf {
    const FILE: &'static str = "queuerules.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = QueueRulesConf::default();
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                for var in &cat.variables {
                    line_note(
                        diags,
                        Severity::Notice,
                        var,
                        format!(
                            "'{}': not supported by Asterism (app_queue); ignored",
                            var.name
                        ),
                    );
                }
                continue;
            }
            let mut list = RuleList {
                name: cat.name.clone(),
                rules: Vec::new(),
            };
            for var in &cat.variables {
                if !var.name.eq_ignore_ascii_case("penaltychange") {
                    line_note(
                        diags,
                        Severity::Warning,
                        var,
                        format!("Don't know how to handle rule type '{}'", var.name),
                    );
                    continue;
                }
                match PenaltyRule::parse(&var.value) {
                    Ok(rule) => {
                        let at = list.rules.partition_point(|r| r.time <= rule.time);
                        list.rules.insert(at, rule);
                    }
                    Err(why) => {
                        line_note(diags, Severity::Warning, var, format!("{why}. Ignoring."))
                    }
                }
            }
            conf.lists.push(list);
        }
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_and_shown_as_app_queue() {
        let r = |v: &str| PenaltyRule::parse(v).map(|r| r.display());
        assert_eq!(r("30,+3,5").as_deref(), Ok("30,+3,5"));
        assert_eq!(r("60,7").as_deref(), Ok("60,7,+0"));
        assert_eq!(r("90,,-2").as_deref(), Ok("90,+0,-2"));
        assert_eq!(r("10,-1,+1,r+2").as_deref(), Ok("10,-1,+1"));
        assert!(r("30").is_err());
        let raise = |v: &str| {
            PenaltyRule::parse(v).map(|r| (r.raise_relative, r.raise_value, r.raise_respect_min))
        };
        assert_eq!(raise("10,-1,+1,r+2"), Ok((true, 2, true)));
        assert_eq!(raise("10,1,1,3"), Ok((false, 3, false)));
        assert_eq!(raise("10,1,1,r-1"), Ok((true, -1, true)));
        assert_eq!(raise("10,1"), Ok((true, 0, false)));
        assert!(r("-5,1").is_err());
    }
}
