//! Verbose and Log (Asterisk's `apps/app_verbose.c`).

use super::{App, AppCtx, AppResult, Run, split_args};
use crate::core::logger::{Level, Record};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Log",
            run: Run::Now(log),
            synopsis: "Writes a message to the log at a chosen level.",
            syntax: "Log(level,message)",
        },
        App {
            name: "Verbose",
            run: Run::Now(verbose),
            synopsis: "Writes a message to the verbose log.",
            syntax: "Verbose([level,]message)",
        },
    ]
}

fn verbose(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        return Ok(());
    }
    let args = split_args(data, ',');
    let (level_s, msg) = if args.len() == 1 {
        ("0".to_string(), args[0].clone())
    } else {
        (args[0].clone(), args.get(1).cloned().unwrap_or_default())
    };
    let t = level_s.trim_start();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    let level = if digits.is_empty() {
        ctx.warning(
            "app_verbose.c",
            &format!("'{level_s}' is not a verboser number"),
        );
        0
    } else {
        digits.parse::<u32>().unwrap_or(4).min(4)
    };
    ctx.verbose(level, "app_verbose.c", &msg);
    Ok(())
}

fn log(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        return Ok(());
    }
    let args = split_args(data, ',');
    let level_s = args.first().cloned().unwrap_or_default();
    let msg = args.get(1).cloned().unwrap_or_default();
    let level = match level_s.to_ascii_uppercase().as_str() {
        "ERROR" => Level::Error,
        "WARNING" => Level::Warning,
        "NOTICE" => Level::Notice,
        "DEBUG" => Level::Debug,
        "VERBOSE" => Level::Verbose(0),
        "DTMF" => Level::Dtmf,
        _ => {
            ctx.sys.pbx.logger.error(
                "app_verbose.c",
                None,
                &format!("Unknown log level: '{level_s}'"),
            );
            return Ok(());
        }
    };
    let exten = ctx.chan.lock().exten.clone();
    ctx.sys.pbx.logger.log(Record {
        level,
        file: &format!("Ext. {exten}"),
        callid: None,
        message: &msg,
    });
    Ok(())
}
