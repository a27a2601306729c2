//! Verbose and Log (Asterisk's `apps/app_verbose.c`).

use super::{App, AppCtx, AppResult, Run, split_args};
use crate::core::logger::{Level, Record, Site};

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
            crate::site!("app_verbose.c", 107, "verbose_exec"),
            &format!("'{level_s}' is not a verboser number"),
        );
        0
    } else {
        digits.parse::<u32>().unwrap_or(4).min(4)
    };
    ctx.verbose(
        level,
        crate::site!("app_verbose.c", 112, "verbose_exec"),
        &msg,
    );
    Ok(())
}

/// Log() logs as if from the dialplan itself: app_verbose.c hands
/// `ast_log` `Ext. <exten>` as the file, the priority as the line and
/// `@ <context>` as the function.
fn log_app_site<'a>(file: &'a str, function: &'a str, priority: i32) -> Site<'a> {
    Site {
        file,
        function,
        line: u32::try_from(priority).unwrap_or(0),
    }
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
                crate::site!("app_verbose.c", 155, "log_exec"),
                None,
                &format!("Unknown log level: '{level_s}'"),
            );
            return Ok(());
        }
    };
    let (exten, context, priority) = {
        let c = ctx.chan.lock();
        (c.exten.clone(), c.context.clone(), c.priority)
    };
    ctx.sys.pbx.logger.log(Record {
        level,
        site: log_app_site(&format!("Ext. {exten}"), &format!("@ {context}"), priority),
        callid: None,
        message: &msg,
    });
    Ok(())
}
