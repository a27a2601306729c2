//! AMI messages: the header block a client sends, and the replies built
//! from it.
//!
//! Headers are kept as the raw lines the client sent, because some actions
//! (UserEvent) forward them unchanged; lookups follow `astman_get_header`:
//! the name is compared without case, it must be followed by `:`, and the
//! value starts after the blanks that follow the colon.

/// Asterisk keeps at most this many header lines per message
/// (`AST_MAX_MANHEADERS`); more makes the whole message an error.
pub const MAX_HEADERS: usize = 128;

/// One received message (an action request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    lines: Vec<String>,
}

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_lines<I: IntoIterator<Item = S>, S: Into<String>>(lines: I) -> Self {
        Self {
            lines: lines.into_iter().map(Into::into).collect(),
        }
    }

    /// Adds a line; false when the message already holds [`MAX_HEADERS`].
    pub fn push(&mut self, line: String) -> bool {
        if self.lines.len() >= MAX_HEADERS {
            return false;
        }
        self.lines.push(line);
        true
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The value of every line that carries header `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines.iter().filter_map(move |l| header_value(l, name))
    }

    /// The first value of `name`, or "" (`astman_get_header`).
    pub fn get<'a>(&'a self, name: &str) -> &'a str {
        self.lines
            .iter()
            .find_map(|l| header_value(l, name))
            .unwrap_or("")
    }

    /// The first non-empty value of `name` (`GET_HEADER_SKIP_EMPTY`, which
    /// Asterisk uses for `Action`).
    pub fn get_non_empty<'a>(&'a self, name: &str) -> &'a str {
        self.lines
            .iter()
            .filter_map(|l| header_value(l, name))
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }

    /// The `Variable` headers as name/value pairs, each header possibly
    /// holding several comma-separated `name=value` items
    /// (`astman_get_variables_order`).
    pub fn variables(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for v in self.all("Variable") {
            for item in crate::apps::split_args(v, ',') {
                if let Some((n, val)) = item.split_once('=') {
                    if !n.is_empty() {
                        out.push((n.to_string(), val.to_string()));
                    }
                }
            }
        }
        out
    }
}

fn header_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let head = line.get(..name.len())?;
    if !head.eq_ignore_ascii_case(name) {
        return None;
    }
    let rest = line[name.len()..].strip_prefix(':')?;
    Some(rest.trim_start_matches([' ', '\t']))
}

/// A reply being built, CRLF-terminated line by line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reply {
    text: String,
}

impl Reply {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn line(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write as _;
        let _ = write!(self.text, "{name}: {value}\r\n");
        self
    }

    /// Adds text that already ends in CRLF.
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Ends the current message with its blank line.
    pub fn end(&mut self) -> &mut Self {
        self.text.push_str("\r\n");
        self
    }

    /// `Response: <resp>` and the request's ActionID, if it had one.
    pub fn start(resp: &str, m: &Message) -> Self {
        let mut r = Self::new();
        r.line("Response", resp);
        r.action_id(m);
        r
    }

    pub fn action_id(&mut self, m: &Message) -> &mut Self {
        let id = m.get("ActionID");
        if !id.is_empty() {
            self.line("ActionID", id);
        }
        self
    }

    /// `astman_send_response`: a whole response with an optional message.
    pub fn response(resp: &str, m: &Message, msg: Option<&str>) -> Self {
        let mut r = Self::start(resp, m);
        if let Some(msg) = msg {
            r.line("Message", msg);
        }
        r.end();
        r
    }

    pub fn error(m: &Message, msg: &str) -> Self {
        Self::response("Error", m, Some(msg))
    }

    pub fn ack(m: &Message, msg: &str) -> Self {
        Self::response("Success", m, Some(msg))
    }

    /// `astman_send_listack`: the response that opens a list.
    pub fn list_start(m: &Message, msg: &str) -> Self {
        Self::list_start_flagged(m, msg, "start")
    }

    /// `astman_send_listack` with the module's own list flag (res_fax
    /// writes `Start`).
    pub fn list_start_flagged(m: &Message, msg: &str, flag: &str) -> Self {
        let mut r = Self::start("Success", m);
        r.line("EventList", flag);
        r.line("Message", msg);
        r.end();
        r
    }

    /// One list item event (`Event: <name>` and the ActionID).
    pub fn item(&mut self, event: &str, m: &Message) -> &mut Self {
        self.line("Event", event);
        self.action_id(m);
        self
    }

    /// `astman_send_list_complete_start`, without the closing blank line,
    /// so extra headers can follow.
    pub fn list_complete_open(&mut self, m: &Message, event: &str, count: usize) -> &mut Self {
        self.item(event, m);
        self.line("EventList", "Complete");
        self.line("ListItems", count);
        self
    }

    pub fn list_complete(&mut self, m: &Message, event: &str, count: usize) -> &mut Self {
        self.list_complete_open(m, event, count).end()
    }

    pub fn append(&mut self, other: Reply) -> &mut Self {
        self.text.push_str(&other.text);
        self
    }

    pub fn into_string(self) -> String {
        self.text
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_follows_asterisk() {
        let m = Message::from_lines([
            "action: Ping",
            "ActionID:   x 1 ",
            "ActionIDx: no",
            "Variable: A=1,B=2",
            "Variable: C=3",
            "Empty:",
        ]);
        assert_eq!(m.get("Action"), "Ping");
        assert_eq!(m.get("ActionID"), "x 1 ");
        assert_eq!(m.get("Missing"), "");
        assert_eq!(m.get("Empty"), "");
        assert_eq!(
            m.variables(),
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "2".to_string()),
                ("C".to_string(), "3".to_string())
            ]
        );
    }

    #[test]
    fn replies() {
        let m = Message::from_lines(["Action: Ping", "ActionID: 7"]);
        assert_eq!(
            Reply::error(&m, "Permission denied").into_string(),
            "Response: Error\r\nActionID: 7\r\nMessage: Permission denied\r\n\r\n"
        );
        let none = Message::from_lines(["Action: Ping"]);
        assert_eq!(
            Reply::list_start(&none, "Channels will follow").into_string(),
            "Response: Success\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
        );
        let mut r = Reply::new();
        r.list_complete(&m, "XComplete", 2);
        assert_eq!(
            r.into_string(),
            "Event: XComplete\r\nActionID: 7\r\nEventList: Complete\r\nListItems: 2\r\n\r\n"
        );
    }
}
