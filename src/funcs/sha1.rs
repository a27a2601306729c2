//! SHA1 (Asterisk's `func_sha1.c`).

use sha1::{Digest, Sha1};

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "SHA1",
        read: Some(sha1_read),
        write: None,
        synopsis: "Gives the SHA-1 digest of a string in lower-case hex.",
        syntax: "SHA1(data)",
    }]
}

/// `ast_sha1_hash`: 40 lower-case hex digits.
pub fn hex(data: &[u8]) -> String {
    Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sha1_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!("func_sha1.c", 66, "sha1"),
            "Syntax: SHA1(<data>) - missing argument!",
        );
        return Err(Failed);
    }
    Ok(hex(&crate::core::raw::encode(data)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(
            super::hex(b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
