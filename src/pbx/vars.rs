//! Variable lists as Asterisk keeps them (`ast_var_t` lists): newest first,
//! names compared exactly, inheritance marked by leading underscores.

/// One list of variables: a channel's, or the globals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarList {
    /// Newest first, as Asterisk inserts at the head. Names keep their
    /// inheritance underscores (`_X`, `__X`); lookups ignore them.
    entries: Vec<(String, String)>,
}

/// A name without its inheritance prefix (`__X` → `X`, `_X` → `X`).
pub fn strip_inheritance(name: &str) -> &str {
    let n = name.strip_prefix('_').unwrap_or(name);
    n.strip_prefix('_').unwrap_or(n)
}

impl VarList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Looks a variable up the way `pbx_retrieve_variable` does: the name as
    /// given against each stored name stripped of its underscores, so
    /// `${INH}` finds `_INH` but `${_INH}` finds nothing.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| strip_inheritance(n) == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets (or with `None`, deletes) a variable; an old value under the same
    /// stripped name is replaced. Returns whether an old, non-empty value
    /// existed.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> bool {
        let tail = strip_inheritance(name);
        let mut existed = false;
        if let Some(pos) = self
            .entries
            .iter()
            .position(|(n, _)| strip_inheritance(n) == tail)
        {
            existed = !self.entries[pos].1.is_empty();
            self.entries.remove(pos);
        }
        if let Some(v) = value {
            self.entries.insert(0, (name.to_string(), v.to_string()));
        }
        existed
    }

    /// Adds a variable at the head without removing an older one of the
    /// same name (`pbx_builtin_pushvar_helper`, used by Gosub's LOCAL()).
    pub fn push(&mut self, name: &str, value: &str) {
        self.entries
            .insert(0, (name.to_string(), value.to_string()));
    }

    /// Removes the newest variable with this exact stored name.
    pub fn remove_first(&mut self, name: &str) -> Option<String> {
        let pos = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(pos).1)
    }

    /// Drops, without any event, the variables `keep` refuses (given the
    /// stored name and the value), as an application walking the
    /// channel's list does.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.entries.retain(|(n, v)| keep(n, v));
    }

    /// Newest first, names as stored.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Adds `other`'s variables after these (`ast_channel_inherit_variables`
    /// appends to the list).
    pub fn append(&mut self, other: VarList) {
        self.entries.extend(other.entries);
    }

    /// What a channel created from this one inherits (`ast_channel_inherit_variables`):
    /// `__X` stays `__X` (inherited forever), `_X` becomes `X` (one level).
    /// The order is kept.
    pub fn inheritable(&self) -> VarList {
        let mut out = Vec::new();
        for (n, v) in &self.entries {
            if let Some(rest) = n.strip_prefix("__") {
                if !rest.is_empty() {
                    out.push((n.clone(), v.clone()));
                }
            } else if let Some(rest) = n.strip_prefix('_') {
                if !rest.is_empty() {
                    out.push((rest.to_string(), v.clone()));
                }
            }
        }
        VarList { entries: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_stored_underscores_only() {
        let mut v = VarList::new();
        v.set("_INH", Some("one"));
        v.set("__INH2", Some("two"));
        assert_eq!(v.get("INH"), Some("one"));
        assert_eq!(v.get("INH2"), Some("two"));
        assert_eq!(v.get("__INH2"), None);
        assert_eq!(v.get("inh"), None);
    }

    #[test]
    fn set_replaces_and_deletes() {
        let mut v = VarList::new();
        v.set("A", Some("1"));
        assert!(v.set("_A", Some("2")));
        assert_eq!(v.len(), 1);
        assert_eq!(v.get("A"), Some("2"));
        v.set("A", None);
        assert!(v.is_empty());
    }

    #[test]
    fn inheritance_levels() {
        let mut v = VarList::new();
        v.set("PLAIN", Some("p"));
        v.set("_ONE", Some("1"));
        v.set("__ALL", Some("a"));
        let child = v.inheritable();
        assert_eq!(child.get("ONE"), Some("1"));
        assert_eq!(child.get("ALL"), Some("a"));
        assert_eq!(child.get("PLAIN"), None);
        let grandchild = child.inheritable();
        assert_eq!(grandchild.get("ONE"), None);
        assert_eq!(grandchild.get("ALL"), Some("a"));
    }
}
