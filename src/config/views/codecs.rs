//! Codec preference lists (`allow=`/`disallow=`), as
//! `ast_format_cap_update_by_allow_disallow` builds them.

/// The formats Asterisk 20 knows by name, in codec registration order
/// (the order `allow=all` adds them in).
pub const FORMATS: &[&str] = &[
    "codec2", "g723", "ulaw", "alaw", "gsm", "g726", "g726aal2", "adpcm", "slin", "slin12",
    "slin16", "slin24", "slin32", "slin44", "slin48", "slin96", "slin192", "lpc10", "g729",
    "speex", "speex16", "speex32", "ilbc", "g722", "siren7", "siren14", "g719", "opus", "jpeg",
    "png", "h261", "h263", "h263p", "h264", "h265", "mpeg4", "vp8", "vp9", "red", "t140", "t38",
    "silk8", "silk12", "silk16", "silk24",
];

/// Formats in preference order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CodecList(pub Vec<String>);

impl CodecList {
    pub fn new(names: &[&str]) -> CodecList {
        CodecList(names.iter().map(|s| s.to_string()).collect())
    }

    /// Applies one `allow=` (`allowing`) or `disallow=` value: a `,` or
    /// `|` list, `all` for every format, `!` inverting one item, an
    /// optional `:ms` packetisation. A format already listed keeps its
    /// place. Returns the items Asterisk would warn about.
    pub fn update(&mut self, value: &str, allowing: bool) -> Vec<String> {
        let mut bad = Vec::new();
        if !allowing && value.is_empty() {
            return bad;
        }
        let mut list = value;
        // A list as Asterisk prints it, "(a|b)": replaces the whole set.
        if list.len() >= 2 && list.starts_with('(') && list.ends_with(')') {
            list = &list[1..list.len() - 1];
            if allowing {
                self.0.clear();
            } else {
                self.add_all();
            }
        }
        for item in list.split([',', '|']).map(str::trim) {
            let (item, allow) = match item.strip_prefix('!') {
                Some(rest) => (rest, !allowing),
                None => (item, allowing),
            };
            let name = match item.rsplit_once(':') {
                Some((n, ms)) => {
                    if !ms.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                        bad.push(item.to_string());
                        continue;
                    }
                    n
                }
                None => item,
            };
            if name.eq_ignore_ascii_case("all") {
                if allow {
                    self.add_all();
                } else {
                    self.0.clear();
                }
                continue;
            }
            let Some(format) = FORMATS.iter().find(|f| f.eq_ignore_ascii_case(name)) else {
                bad.push(name.to_string());
                continue;
            };
            if allow {
                if !self.0.iter().any(|c| c == format) {
                    self.0.push(format.to_string());
                }
            } else {
                self.0.retain(|c| c != format);
            }
        }
        bad
    }

    fn add_all(&mut self) {
        for f in FORMATS {
            if !self.0.iter().any(|c| c == f) {
                self.0.push(f.to_string());
            }
        }
    }

    /// `ast_format_cap_get_names`: `(ulaw|alaw)`, `(nothing)` when empty.
    pub fn names(&self) -> String {
        if self.0.is_empty() {
            "(nothing)".to_string()
        } else {
            format!("({})", self.0.join("|"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_keeps_first_place() {
        let mut c = CodecList::new(&["ulaw", "alaw", "gsm"]);
        assert!(c.update("all", false).is_empty());
        assert_eq!(c.names(), "(nothing)");
        assert!(c.update("alaw,ULAW|alaw:20", true).is_empty());
        assert_eq!(c.names(), "(alaw|ulaw)");
        assert_eq!(c.update("bogus,!alaw", true), ["bogus"]);
        assert_eq!(c.names(), "(ulaw)");
        c.update("all", true);
        assert_eq!(c.0[0], "ulaw");
        assert_eq!(c.0.len(), FORMATS.len());
    }
}
