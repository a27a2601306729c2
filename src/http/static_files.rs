//! `/static/...` (http.conf `enablestatic`): files under
//! `<astdatadir>/static-http/`, as `static_callback` serves them: a MIME
//! type from a short table (else `text/<extension>`), an `ETag` of the
//! modification time, `If-None-Match` answered with 304, and 403 for
//! names starting with a character from a deny list, for any `/..`, and
//! for `private/` files unless the request's manager session logged in.

use std::path::Path;

use super::request::Method;
use super::response::{Response, http_date};

/// Extensions and the types they are served as (`mimetypes` in http.c).
const MIME_TYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("xml", "text/xml"),
    ("jpg", "image/jpeg"),
    ("js", "application/x-javascript"),
    ("wav", "audio/x-wav"),
    ("mp3", "audio/mpeg"),
    ("svg", "image/svg+xml"),
    ("svgz", "image/svg+xml"),
    ("gif", "image/gif"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("css", "text/css"),
    ("cnf", "text/plain"),
    ("cfg", "text/plain"),
    ("bin", "application/octet-stream"),
    ("sbn", "application/octet-stream"),
    ("ld", "application/octet-stream"),
];

/// Longest path Asterisk builds (`<datadir>/static-http/<uri>` plus a
/// little) before refusing.
const MAX_PATH: usize = 1024;

/// The type a file name's extension maps to.
pub fn mime_type(uri: &str) -> String {
    let ext = uri.rfind('.').map(|i| &uri[i + 1..]);
    if let Some(e) = ext {
        if let Some((_, t)) = MIME_TYPES.iter().find(|(x, _)| x.eq_ignore_ascii_case(e)) {
            return (*t).to_string();
        }
    }
    format!("text/{}", ext.unwrap_or("plain"))
}

/// Why a name is refused before the disk is looked at.
fn refused(uri: &str) -> bool {
    let Some(&first) = uri.as_bytes().first() else {
        return true;
    };
    first < 33 || b"./|~@#$%^&*() \t".contains(&first) || uri.contains("/..")
}

/// What the handler needs to decide: is the request's manager session
/// authenticated (asked only for `private/` files).
pub enum Access {
    Authed,
    NotAuthed,
}

fn not_found(server: &str) -> Response {
    Response::error(
        server,
        404,
        "Not Found",
        "The requested URL was not found on this server.",
    )
}

fn denied(server: &str) -> Response {
    Response::error(
        server,
        403,
        "Access Denied",
        "You do not have permission to access the requested URL.",
    )
    .closing()
}

/// Where a request for `uri` (decoded, after `static/`) would be read
/// from, or the refusal.
pub fn locate(data_dir: &Path, uri: &str, server: &str) -> Result<std::path::PathBuf, Response> {
    if refused(uri) {
        return Err(denied(server));
    }
    let base = data_dir.join("static-http");
    if uri.len() + base.as_os_str().len() + 6 > MAX_PATH {
        return Err(denied(server));
    }
    Ok(base.join(uri))
}

/// Whether the path needs a logged-in session.
pub fn is_private(path: &Path) -> bool {
    path.to_string_lossy().contains("/private/")
}

/// Serves the file at `path` (from [`locate`]).
pub async fn serve(
    method: Method,
    path: &Path,
    uri: &str,
    if_none_match: Option<&str>,
    access: Access,
    server: &str,
) -> Response {
    if !matches!(method, Method::Get | Method::Head) {
        return super::not_implemented(server);
    }
    let meta = match tokio::fs::metadata(path).await {
        Ok(m) => m,
        Err(_) => return not_found(server),
    };
    if meta.is_dir() {
        return not_found(server);
    }
    if is_private(path) && matches!(access, Access::NotAuthed) {
        return denied(server);
    }
    let body = match tokio::fs::read(path).await {
        Ok(b) => b,
        Err(_) => return denied(server),
    };
    let mtime: i64 = {
        use std::os::unix::fs::MetadataExt;
        meta.mtime()
    };
    let etag = format!("\"{mtime}\"");
    let modified = chrono::DateTime::from_timestamp(mtime, 0)
        .map(http_date)
        .unwrap_or_default();
    let headers = format!(
        "Content-type: {}\r\nETag: {etag}\r\nLast-Modified: {modified}\r\n",
        mime_type(uri)
    );
    let not_modified = if_none_match.is_some_and(|v| v.eq_ignore_ascii_case(&etag));
    let mut r = Response::ok(headers, if not_modified { Vec::new() } else { body });
    if not_modified {
        r.status = 304;
        r.title = "Not Modified".into();
    }
    r.static_content = true;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_from_the_table_else_text() {
        assert_eq!(mime_type("a/b.JS"), "application/x-javascript");
        assert_eq!(mime_type("x.html"), "text/html");
        assert_eq!(mime_type("notes.weird"), "text/weird");
        assert_eq!(mime_type("README"), "text/plain");
        assert_eq!(mime_type("dir.d/file"), "text/d/file");
    }

    #[test]
    fn traversal_and_odd_names_are_refused() {
        for bad in [
            "",
            "../etc/passwd",
            "/page.html",
            "a/../../x",
            ".hidden",
            "~x",
            " x",
            "%x",
        ] {
            assert!(refused(bad), "{bad:?}");
        }
        for ok in ["page.html", "sub/inner.txt", "a..b/c", "a/.b"] {
            assert!(!refused(ok), "{ok:?}");
        }
        let long = "a".repeat(1100);
        assert!(locate(Path::new("/d"), &long, "S").is_err());
        assert!(is_private(Path::new("/d/static-http/private/x")));
    }
}
