//! Channel groups (`main/app.c`'s group list): the `group[@category]`
//! labels GROUP() puts on channels, counted by GROUP_COUNT() and
//! GROUP_MATCH_COUNT() to limit calls per trunk or per customer, and
//! listed by `group show channels`. One list, in the order labels were
//! set, as Asterisk keeps it.

use std::sync::{Arc, Mutex, Weak};

use super::Channel;
use crate::core::lock;
use crate::pbx::expr::posix_re::Regex;

/// Asterisk copies group and category names into 80-byte buffers.
const NAME_MAX: usize = 79;

/// One channel's label in one category (none: the default category).
#[derive(Debug, Clone)]
pub struct GroupEntry {
    pub chan: Weak<Channel>,
    pub group: String,
    pub category: String,
}

#[derive(Debug, Default)]
pub struct Groups {
    list: Mutex<Vec<GroupEntry>>,
}

/// Cuts a name as `ast_copy_string` into Asterisk's buffers does.
fn bounded(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `ast_app_group_split_group`: `group@category`, each possibly empty.
pub fn split(data: &str) -> (String, String) {
    let data = bounded(data, 255);
    let (group, category) = match data.split_once('@') {
        Some((g, c)) => (g, c),
        None => (data, ""),
    };
    (
        bounded(group, NAME_MAX).to_string(),
        bounded(category, NAME_MAX).to_string(),
    )
}

fn same_chan(entry: &GroupEntry, chan: &Arc<Channel>) -> bool {
    std::ptr::eq(entry.chan.as_ptr(), Arc::as_ptr(chan))
}

impl Groups {
    /// `ast_app_group_set_channel`: replaces the channel's label in the
    /// category of `data`; an empty group only removes it.
    pub fn set(&self, chan: &Arc<Channel>, data: &str) {
        let (group, category) = split(data);
        let mut list = lock(&self.list);
        if let Some(i) = list.iter().position(|e| {
            same_chan(e, chan)
                && if category.is_empty() {
                    e.category.is_empty()
                } else {
                    e.category.eq_ignore_ascii_case(&category)
                }
        }) {
            list.remove(i);
        }
        if !group.is_empty() {
            list.push(GroupEntry {
                chan: Arc::downgrade(chan),
                group,
                category,
            });
        }
    }

    /// The channel's first label, in `category` when one is given (GROUP()
    /// and GROUP_COUNT() without a group).
    pub fn of_channel(&self, chan: &Arc<Channel>, category: &str) -> Option<GroupEntry> {
        lock(&self.list)
            .iter()
            .find(|e| {
                same_chan(e, chan)
                    && (category.is_empty()
                        || (!e.category.is_empty() && e.category.eq_ignore_ascii_case(category)))
            })
            .cloned()
    }

    /// Every label of a channel, in the order set.
    pub fn all_of_channel(&self, chan: &Arc<Channel>) -> Vec<GroupEntry> {
        lock(&self.list)
            .iter()
            .filter(|e| same_chan(e, chan))
            .cloned()
            .collect()
    }

    /// `ast_app_group_get_count`: channels labelled `group` (in `category`
    /// if given), names compared without case.
    pub fn count(&self, group: &str, category: &str) -> usize {
        if group.is_empty() {
            return 0;
        }
        lock(&self.list)
            .iter()
            .filter(|e| {
                e.group.eq_ignore_ascii_case(group)
                    && (category.is_empty()
                        || (!e.category.is_empty() && e.category.eq_ignore_ascii_case(category)))
            })
            .count()
    }

    /// `ast_app_group_match_get_count`: as [`Groups::count`] with POSIX
    /// extended regular expressions; a pattern that does not compile
    /// counts nothing (the error says which).
    pub fn match_count(&self, group: &str, category: &str) -> Result<usize, MatchError> {
        if group.is_empty() {
            return Err(MatchError::EmptyGroup);
        }
        let group_re = Regex::new(group).map_err(|_| MatchError::Compile(group.to_string()))?;
        let category_re = if category.is_empty() {
            None
        } else {
            Some(Regex::new(category).map_err(|_| MatchError::Compile(category.to_string()))?)
        };
        Ok(lock(&self.list)
            .iter()
            .filter(|e| {
                group_re.search(&e.group, false).is_some()
                    && match &category_re {
                        None => true,
                        Some(re) => {
                            !e.category.is_empty() && re.search(&e.category, false).is_some()
                        }
                    }
            })
            .count())
    }

    /// The whole list, in order, for `group show channels`.
    pub fn entries(&self) -> Vec<GroupEntry> {
        lock(&self.list).clone()
    }

    /// `ast_app_group_discard`: a destroyed channel leaves every group.
    pub fn discard(&self, chan: &Arc<Channel>) {
        lock(&self.list).retain(|e| !same_chan(e, chan) && e.chan.strong_count() > 0);
    }
}

/// Why GROUP_MATCH_COUNT counted nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("groupmatch empty")]
    EmptyGroup,
    #[error("Regex compile failed on: {0}")]
    Compile(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_as_asterisk() {
        assert_eq!(split("trunk@out"), ("trunk".into(), "out".into()));
        assert_eq!(split("trunk"), ("trunk".into(), String::new()));
        assert_eq!(split("@out"), (String::new(), "out".into()));
        assert_eq!(split("a@b@c"), ("a".into(), "b@c".into()));
        assert_eq!(split(&"x".repeat(100)).0.len(), 79);
    }
}
