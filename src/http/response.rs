//! Responses as `ast_http_send` writes them: the status line, `Server`,
//! `Date`, `Connection: close` when the connection ends, `Cache-Control`
//! unless the content is static, the handler's own header lines, then
//! `Content-Length` and the body. Header names keep Asterisk's spelling
//! (`Content-type`), which is why responses are written here rather than
//! by a general HTTP library.

use std::fmt::Write as _;

/// One response before framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub title: String,
    /// Extra header lines, each ending in CRLF.
    pub headers: String,
    pub body: Vec<u8>,
    /// Whether the body goes out even for HEAD (error pages always do).
    pub always_send_body: bool,
    /// Ask for the connection to close after this response.
    pub close: bool,
    /// A file from `/static/`: no `Cache-Control` line.
    pub static_content: bool,
}

impl Response {
    pub fn ok(headers: String, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            title: "OK".into(),
            headers,
            body: body.into(),
            always_send_body: false,
            close: false,
            static_content: false,
        }
    }

    /// `ast_http_error`: Asterisk's HTML error page, `text` escaped.
    pub fn error(server_name: &str, status: u16, title: &str, text: &str) -> Response {
        let address = if server_name.is_empty() {
            String::new()
        } else {
            format!("<address>{}</address>\r\n", xml_escape(server_name))
        };
        let body = format!(
            "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n\
             <html><head>\r\n\
             <title>{status} {title}</title>\r\n\
             </head><body>\r\n\
             <h1>{title}</h1>\r\n\
             <p>{}</p>\r\n\
             <hr />\r\n\
             {address}\
             </body></html>\r\n",
            xml_escape(text)
        );
        Response {
            status,
            title: title.into(),
            headers: "Content-type: text/html\r\n".into(),
            body: body.into_bytes(),
            always_send_body: true,
            close: false,
            static_content: false,
        }
    }

    /// `ast_http_auth`: 401 with a digest challenge (the nonce doubles as
    /// the opaque value).
    pub fn auth(server_name: &str, realm: &str, nonce: u32, stale: bool) -> Response {
        let mut r = Response::error(server_name, 401, "Unauthorized", "");
        r.headers = format!(
            "WWW-authenticate: Digest algorithm=MD5, realm=\"{realm}\", nonce=\"{nonce:08x}\", qop=\"auth\", opaque=\"{nonce:08x}\"{}\r\nContent-type: text/html\r\n",
            if stale { ", stale=true" } else { "" }
        );
        r
    }

    /// A redirect (`Location`, no body).
    pub fn redirect(to: &str) -> Response {
        Response {
            status: 302,
            title: "Moved Temporarily".into(),
            headers: format!("Location: {to}\r\n"),
            body: Vec::new(),
            always_send_body: false,
            close: false,
            static_content: false,
        }
    }

    pub fn closing(mut self) -> Response {
        self.close = true;
        self
    }

    /// The bytes on the wire. `head_only` drops the body of a successful
    /// HEAD (its Content-Length still counts it).
    pub fn render(&self, server_name: &str, date: &str, close: bool, head_only: bool) -> Vec<u8> {
        let mut head = String::with_capacity(256);
        let _ = write!(head, "HTTP/1.1 {} {}\r\n", self.status, self.title);
        if !server_name.is_empty() {
            let _ = write!(head, "Server: {server_name}\r\n");
        }
        let _ = write!(head, "Date: {date}\r\n");
        if close {
            head.push_str("Connection: close\r\n");
        }
        if !self.static_content {
            head.push_str("Cache-Control: no-cache, no-store\r\n");
        }
        head.push_str(&self.headers);
        let _ = write!(head, "Content-Length: {}\r\n\r\n", self.body.len());
        let mut out = head.into_bytes();
        let send_body = !head_only || self.always_send_body || self.status >= 400;
        if send_body {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// `Date:` as Asterisk writes it (always GMT).
pub fn http_date(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `ast_xml_escape`: the five XML entities.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_page_as_asterisk_writes_it() {
        let r = Response::error(
            "Asterisk/20.20.1",
            404,
            "Not Found",
            "The requested URL was not found on this server.",
        );
        let bytes = r.render(
            "Asterisk/20.20.1",
            "Sun, 22 Nov 2026 11:57:40 GMT",
            false,
            false,
        );
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(
            "HTTP/1.1 404 Not Found\r\nServer: Asterisk/20.20.1\r\nDate: Sun, 22 Nov 2026 11:57:40 GMT\r\nCache-Control: no-cache, no-store\r\nContent-type: text/html\r\nContent-Length: 248\r\n\r\n<!DOCTYPE"
        ));
        assert!(text.ends_with("<address>Asterisk/20.20.1</address>\r\n</body></html>\r\n"));
    }

    #[test]
    fn head_keeps_the_length_but_not_the_body() {
        let r = Response::ok("Content-type: text/plain\r\n".into(), "abc");
        let bytes = r.render("", "D", true, true);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "HTTP/1.1 200 OK\r\nDate: D\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\nContent-type: text/plain\r\nContent-Length: 3\r\n\r\n"
        );
        assert_eq!(
            xml_escape("<a href='x'>&\"</a>"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
