//! Party identities (`ast_party_id` and the structures built from it in
//! `main/channel.c`): caller, connected line, dialed number, redirecting.
//! Names and numbers carry a validity flag apart from their text, as in
//! Asterisk: `CALLERID(num-valid)=0` hides a number without losing it.

/// `AST_PRES_*` bits.
pub mod pres {
    pub const NUMBER_TYPE: i32 = 0x03;
    pub const USER_NUMBER_UNSCREENED: i32 = 0x00;
    pub const RESTRICTION: i32 = 0x60;
    pub const ALLOWED: i32 = 0x00;
    pub const RESTRICTED: i32 = 0x20;
    pub const UNAVAILABLE: i32 = 0x40;
    /// `AST_PRES_NUMBER_NOT_AVAILABLE`.
    pub const NUMBER_NOT_AVAILABLE: i32 = UNAVAILABLE | 0x03;
}

/// `AST_PARTY_CHAR_SET_ISO8859_1`, a name's character set by default.
pub const CHARSET_ISO8859_1: i32 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyName {
    pub text: Option<String>,
    pub valid: bool,
    pub char_set: i32,
    pub presentation: i32,
}

impl Default for PartyName {
    fn default() -> Self {
        Self {
            text: None,
            valid: false,
            char_set: CHARSET_ISO8859_1,
            presentation: 0,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyNumber {
    pub text: Option<String>,
    pub valid: bool,
    /// Type of number and numbering plan (`ton`).
    pub plan: i32,
    pub presentation: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subaddress {
    pub text: Option<String>,
    pub valid: bool,
    pub kind: i32,
    pub odd_even: i32,
}

/// One side's identity (`ast_party_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub name: PartyName,
    pub number: PartyNumber,
    pub subaddress: Subaddress,
    pub tag: Option<String>,
}

impl Party {
    /// The name, when valid and set.
    pub fn name(&self) -> Option<&str> {
        self.name.text.as_deref().filter(|_| self.name.valid)
    }

    /// The number, when valid and set.
    pub fn number(&self) -> Option<&str> {
        self.number.text.as_deref().filter(|_| self.number.valid)
    }

    /// Sets the name (marking it valid), or invalidates it.
    pub fn set_name(&mut self, name: Option<&str>) {
        self.name.valid = name.is_some();
        self.name.text = name.map(str::to_string);
    }

    /// Sets the number (marking it valid), or invalidates it.
    pub fn set_number(&mut self, number: Option<&str>) {
        self.number.valid = number.is_some();
        self.number.text = number.map(str::to_string);
    }

    /// The presentation of the whole identity (`ast_party_id_presentation`):
    /// the more restrictive of name and number, with the number's screening.
    pub fn presentation(&self) -> i32 {
        let rank = |value: i32| match value {
            pres::RESTRICTED => Some(0),
            pres::ALLOWED => Some(1),
            pres::UNAVAILABLE => Some(2),
            _ => None,
        };
        let (name_value, name_rank) = if self.name.valid {
            let v = self.name.presentation & pres::RESTRICTION;
            match rank(v) {
                Some(r) => (v, r),
                None => (pres::UNAVAILABLE, 3),
            }
        } else {
            (pres::UNAVAILABLE, 3)
        };
        let (mut number_value, number_rank, screening) = if self.number.valid {
            let v = self.number.presentation & pres::RESTRICTION;
            match rank(v) {
                Some(r) => (v, r, self.number.presentation & pres::NUMBER_TYPE),
                None => (pres::UNAVAILABLE, 3, pres::USER_NUMBER_UNSCREENED),
            }
        } else {
            (pres::UNAVAILABLE, 3, pres::USER_NUMBER_UNSCREENED)
        };
        if name_rank < number_rank {
            number_value = name_value;
        }
        if number_value == pres::UNAVAILABLE {
            pres::NUMBER_NOT_AVAILABLE
        } else {
            number_value | screening
        }
    }
}

/// `ast_party_caller`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub id: Party,
    pub ani: Party,
    pub private: Party,
    pub ani2: i32,
}

/// `ast_party_connected_line`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connected {
    pub id: Party,
    pub ani: Party,
    pub private: Party,
    pub ani2: i32,
    /// Why it last changed (`AST_CONNECTED_LINE_UPDATE_SOURCE_*`).
    pub source: i32,
}

/// `ast_party_dialed` (DNID).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dialed {
    pub number: Option<String>,
    pub plan: i32,
    pub subaddress: Subaddress,
    pub transit_network_select: i32,
}

/// `ast_party_redirecting_reason`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectReason {
    pub code: i32,
    pub text: Option<String>,
}

/// `ast_party_redirecting`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redirecting {
    pub orig: Party,
    pub from: Party,
    pub to: Party,
    pub priv_orig: Party,
    pub priv_from: Party,
    pub priv_to: Party,
    pub reason: RedirectReason,
    pub orig_reason: RedirectReason,
    pub count: i32,
}

/// A value translation table row: value, name, description.
type Translation = (i32, &'static str, &'static str);

/// Connected line update sources (`ast_connected_line_source_*`).
const SOURCES: &[Translation] = &[
    (0, "unknown", "Unknown"),
    (1, "answer", "Normal Call Answering"),
    (
        2,
        "diversion",
        "Call Diversion (Deprecated, use REDIRECTING)",
    ),
    (3, "transfer_active", "Call Transfer(Active)"),
    (3, "transfer", "Call Transfer(Active)"),
    (4, "transfer_alerting", "Call Transfer(Alerting)"),
];

/// Name character sets (`ast_party_name_charset_*`).
const CHARSETS: &[Translation] = &[
    (0, "unknown", "Unknown"),
    (1, "iso8859-1", "ISO8859-1"),
    (2, "withdrawn", "Withdrawn"),
    (3, "iso8859-2", "ISO8859-2"),
    (4, "iso8859-3", "ISO8859-3"),
    (5, "iso8859-4", "ISO8859-4"),
    (6, "iso8859-5", "ISO8859-5"),
    (7, "iso8859-7", "ISO8859-7"),
    (8, "bmp", "ISO10646 Bmp String"),
    (9, "utf8", "ISO10646 UTF-8 String"),
];

/// Redirecting reasons (`ast_redirecting_reason_*`), then the SIP
/// spellings Asterisk also accepts.
const REASONS: &[Translation] = &[
    (0, "unknown", "Unknown"),
    (1, "cfb", "Call Forwarding Busy"),
    (2, "cfnr", "Call Forwarding No Reply"),
    (3, "unavailable", "Callee is Unavailable"),
    (4, "cfu", "Call Forwarding Unconditional"),
    (5, "time_of_day", "Time of Day"),
    (6, "dnd", "Do Not Disturb"),
    (7, "deflection", "Call Deflection"),
    (8, "follow_me", "Follow Me"),
    (9, "out_of_order", "Called DTE Out-Of-Order"),
    (10, "away", "Callee is Away"),
    (11, "cf_dte", "Call Forwarding By The Called DTE"),
    (
        12,
        "send_to_vm",
        "Call is being redirected to user's voicemail",
    ),
    (1, "user-busy", ""),
    (2, "no-answer", ""),
    (4, "unconditional", ""),
    (5, "time-of-day", ""),
    (6, "do-not-disturb", ""),
    (8, "follow-me", ""),
    (9, "out-of-service", ""),
];

fn by_name(table: &[Translation], name: &str) -> Option<i32> {
    table
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
        .map(|(v, _, _)| *v)
}

fn by_value(table: &[Translation], value: i32) -> Option<&'static str> {
    table
        .iter()
        .find(|(v, _, _)| *v == value)
        .map(|(_, n, _)| *n)
}

pub fn source_parse(name: &str) -> Option<i32> {
    by_name(SOURCES, name)
}

pub fn source_name(value: i32) -> &'static str {
    by_value(SOURCES, value).unwrap_or("not-known")
}

pub fn charset_parse(name: &str) -> Option<i32> {
    by_name(CHARSETS, name)
}

pub fn charset_name(value: i32) -> &'static str {
    by_value(CHARSETS, value).unwrap_or("not-known")
}

pub fn reason_parse(name: &str) -> Option<i32> {
    by_name(REASONS, name)
}

/// A reason's name: its own text when it has one, else the table's.
pub fn reason_name(reason: &RedirectReason) -> String {
    match reason.text.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => by_value(REASONS, reason.code)
            .unwrap_or("not-known")
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_of_an_empty_identity_is_unavailable() {
        assert_eq!(Party::default().presentation(), 0x43);
        let mut p = Party::default();
        p.set_number(Some("100"));
        assert_eq!(p.presentation(), 0);
        p.name.valid = true;
        p.name.presentation = pres::RESTRICTED;
        assert_eq!(p.presentation(), pres::RESTRICTED);
    }
}
