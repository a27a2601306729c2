//! UUID (Asterisk's `func_uuid.c`): a fresh random (version 4) UUID,
//! lower-case, as `ast_uuid_generate_str` writes it.

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "UUID",
        read: Some(uuid),
        write: None,
        synopsis: "Gives a new random UUID.",
        syntax: "UUID()",
    }]
}

/// Arguments are ignored, as in Asterisk.
fn uuid(_: &FuncCtx<'_>, _: &str) -> Result<String, Failed> {
    Ok(crate::core::random_uuid())
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_4_lower_case() {
        let (_dir, sys) = super::super::test_system(&[]);
        let a = super::super::read(&sys, None, "UUID()").expect("uuid");
        let b = super::super::read(&sys, None, "UUID(ignored)").expect("uuid");
        assert_ne!(a, b);
        let re = regex::Regex::new(
            r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        )
        .expect("regex");
        assert!(re.is_match(&a), "{a}");
        assert!(re.is_match(&b), "{b}");
    }
}
