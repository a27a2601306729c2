//! SAYFILES (Asterisk's `func_sayfiles.c`): the prompt files the Say
//! applications would play, joined with `&` as the `ast_get_*_str`
//! builders of say.c join them.

use super::{Failed, FuncCtx, Function};
use crate::media::file::SoundPaths;
use crate::media::say::{self, SayCase};

const FILE: &str = "func_sayfiles.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "SAYFILES",
        read: Some(sayfiles),
        write: None,
        synopsis: "Lists the sound files that saying a value would play.",
        syntax: "SAYFILES(value[,type])",
    }]
}

fn sayfiles(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        // Asterisk warns and still succeeds, with nothing.
        ctx.warning(
            crate::site!(FILE, 109, "sayfile_exec"),
            "SAYFILES requires an argument",
        );
        return Ok(String::new());
    }
    let args = super::c::app_args(data, 2);
    let value = args.first().map(String::as_str).unwrap_or("");
    let kind = match args.get(1).map(String::as_str) {
        None | Some("") => "alpha",
        Some(k) => k,
    };
    let lang = ctx
        .chan
        .map_or_else(|| "en".to_string(), |c| c.lock().language.clone());
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    let exists = |name: &str| paths.exists(name, &lang);
    let log = |warnings: Vec<crate::core::logger::Deferred>| {
        for w in &warnings {
            ctx.sys.pbx.logger.deferred(w, None);
        }
    };
    let number = |line: u32| match crate::apps::say::parse_c_int(value) {
        Some(n) => Ok(n),
        None => {
            ctx.warning(
                crate::site!(FILE, line, "sayfile_exec"),
                &format!("Invalid numeric argument: {value}"),
            );
            Err(Failed)
        }
    };
    let files = match kind {
        "alpha" => say::character_files(value, SayCase::None, exists),
        "phonetic" => say::phonetic_files(value, exists),
        "digits" => say::digit_files(value, exists),
        "number" => {
            let (files, warnings) = say::number_str(&lang, number(128)?, exists);
            log(warnings);
            files
        }
        "ordinal" => {
            let (files, warnings) = say::ordinal_str(&lang, number(135)?);
            log(warnings);
            files
        }
        "money" => {
            // An empty amount builds nothing at all: the read fails.
            if value.is_empty() {
                return Err(Failed);
            }
            log(say::money_warnings(&lang, value));
            say::money_files_en(value, exists)
        }
        other => {
            ctx.warning(
                crate::site!(FILE, 142, "sayfile_exec"),
                &format!("Invalid say type specified: {other}"),
            );
            return Err(Failed);
        }
    };
    Ok(files.join("&"))
}
