//! MD5 (Asterisk's `func_md5.c`).

use md5::{Digest, Md5};

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "MD5",
        read: Some(md5_read),
        write: None,
        synopsis: "Gives the MD5 digest of a string in lower-case hex.",
        syntax: "MD5(data)",
    }]
}

/// `ast_md5_hash`: 32 lower-case hex digits.
pub fn hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn md5_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!("func_md5.c", 59, "md5"),
            "Syntax: MD5(<data>) - missing argument!",
        );
        return Err(Failed);
    }
    Ok(hex(&crate::core::raw::encode(data)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(super::hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }
}
