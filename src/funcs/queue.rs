//! QUEUE_MEMBER, QUEUE_MEMBER_LIST, QUEUE_WAITING_COUNT, QUEUE_VARIABLES,
//! QUEUE_EXISTS, QUEUE_GET_CHANNEL, QUEUE_MEMBER_PENALTY and the deprecated
//! QUEUE_MEMBER_COUNT (Asterisk's `apps/app_queue.c`).

use super::{Failed, FuncCtx, Function};
use crate::apps::split_args;
use crate::core::devicestate::{DeviceState, device_state};

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "QUEUE_MEMBER",
            read: Some(member_read),
            write: Some(member_write),
            synopsis: "Counts a queue's members, or reads or sets one member's field.",
            syntax: "QUEUE_MEMBER([queuename],option[,interface])",
        },
        Function {
            name: "QUEUE_MEMBER_LIST",
            read: Some(member_list),
            write: None,
            synopsis: "Lists a queue's member interfaces.",
            syntax: "QUEUE_MEMBER_LIST(queuename)",
        },
        Function {
            name: "QUEUE_WAITING_COUNT",
            read: Some(waiting_count),
            write: None,
            synopsis: "Counts the callers waiting in a queue.",
            syntax: "QUEUE_WAITING_COUNT([queuename])",
        },
        Function {
            name: "QUEUE_VARIABLES",
            read: Some(variables),
            write: None,
            synopsis: "Sets the QUEUE* statistics variables of a queue on the channel.",
            syntax: "QUEUE_VARIABLES(queuename)",
        },
        Function {
            name: "QUEUE_EXISTS",
            read: Some(exists),
            write: None,
            synopsis: "Whether a queue exists (1 or 0).",
            syntax: "QUEUE_EXISTS(queuename)",
        },
        Function {
            name: "QUEUE_GET_CHANNEL",
            read: Some(get_channel),
            write: None,
            synopsis: "The channel waiting at a position of a queue.",
            syntax: "QUEUE_GET_CHANNEL(queuename[,position])",
        },
        Function {
            name: "QUEUE_MEMBER_COUNT",
            read: Some(member_count),
            write: None,
            synopsis: "Counts a queue's logged-in members (deprecated: QUEUE_MEMBER).",
            syntax: "QUEUE_MEMBER_COUNT(queuename)",
        },
        Function {
            name: "QUEUE_MEMBER_PENALTY",
            read: Some(penalty_read),
            write: Some(penalty_write),
            synopsis: "Reads or sets a queue member's penalty.",
            syntax: "QUEUE_MEMBER_PENALTY(queuename,interface)",
        },
    ]
}

/// app_queue's `RESULT_FAILURE`, which QUEUE_MEMBER_PENALTY prints as the
/// penalty of a member it did not find.
const RESULT_FAILURE: i32 = 2;

/// A member counts as logged in unless its device is unavailable or
/// invalid (QUEUE_MEMBER's `logged`).
fn logged_in(sys: &crate::core::System, q: &crate::queue::QueueRt) -> usize {
    q.members
        .iter()
        .filter(|m| {
            !matches!(
                device_state(sys, &m.state_interface),
                DeviceState::Unavailable | DeviceState::Invalid
            )
        })
        .count()
}

/// `queue_function_qac_dep`.
fn member_count(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    // Said once per run of Asterisk, as its static flag does.
    static DEPRECATION_SAID: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);
    if !DEPRECATION_SAID.swap(true, std::sync::atomic::Ordering::SeqCst) {
        ctx.sys.pbx.logger.notice(
            crate::site!("app_queue.c", 9637, "queue_function_qac_dep"),
            None,
            "The function QUEUE_MEMBER_COUNT has been deprecated in favor of the QUEUE_MEMBER function and will not be in further releases.",
        );
    }
    if data.is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9641, "queue_function_qac_dep"),
            &format!("{} requires an argument: queuename", ctx.name),
        );
        return Err(Failed);
    }
    let sys = ctx.sys;
    match sys.queues.with_queue(sys, data, |q| logged_in(sys, q)) {
        Some(n) => Ok(n.to_string()),
        None => {
            ctx.warning(
                crate::site!("app_queue.c", 9659, "queue_function_qac_dep"),
                &format!("queue {data} was not found"),
            );
            Ok("0".into())
        }
    }
}

const PENALTY_USAGE: &str = "Missing argument. QUEUE_MEMBER_PENALTY(<queuename>,<interface>)";

/// `queue_function_memberpenalty_read` over `get_member_penalty`, whose
/// two messages are the wrong way round in Asterisk (a known queue
/// without the member says "Invalid queuename").
fn penalty_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = crate::apps::separate_args(data, ',', 2);
    if data.is_empty() || args.len() < 2 {
        let line = if data.is_empty() { 9843 } else { 9850 };
        ctx.error(
            crate::site!("app_queue.c", line, "queue_function_memberpenalty_read"),
            PENALTY_USAGE,
        );
        return Err(Failed);
    }
    let (queue, interface) = (args[0].as_str(), args[1].as_str());
    let found = ctx
        .sys
        .queues
        .with_queue(ctx.sys, queue, |q| q.member(interface).map(|m| m.penalty));
    let penalty = match found {
        Some(Some(p)) => p,
        Some(None) | None => {
            let msg = if found.is_some() {
                (8472, "Invalid queuename")
            } else {
                (8474, "Invalid interface")
            };
            ctx.error(
                crate::site!("app_queue.c", msg.0, "get_member_penalty"),
                msg.1,
            );
            RESULT_FAILURE
        }
    };
    // A negative penalty reads as nothing.
    Ok(if penalty >= 0 {
        penalty.to_string()
    } else {
        String::new()
    })
}

/// `queue_function_memberpenalty_write` over `set_member_value`: an
/// empty queue name sets the member's penalty in every queue.
fn penalty_write(ctx: &FuncCtx<'_>, data: &str, value: &str) -> Result<(), Failed> {
    let func = "queue_function_memberpenalty_write";
    let args = crate::apps::separate_args(data, ',', 2);
    if data.is_empty() || args.len() < 2 {
        let line = if data.is_empty() { 9873 } else { 9880 };
        ctx.error(crate::site!("app_queue.c", line, func), PENALTY_USAGE);
        return Err(Failed);
    }
    let (queue, interface) = (args[0].as_str(), args[1].as_str());
    let penalty = crate::config::views::values::atoi_i32(value);
    if interface.is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9887, func),
            "<interface> parameter can't be null",
        );
        return Err(Failed);
    }
    let sys = ctx.sys;
    let set_fn = "set_member_value";
    let set = if penalty < 0 && !sys.loaded().queues.general.negative_penalty_invalid {
        ctx.error(
            crate::site!("app_queue.c", 8392, set_fn),
            &format!("Invalid penalty ({penalty})"),
        );
        false
    } else {
        let known_queue = if queue.is_empty() {
            !sys.queues.names(sys).is_empty()
        } else {
            sys.queues.with_queue(sys, queue, |_| ()).is_some()
        };
        let v = penalty.to_string();
        let set = crate::queue::set_member_value(
            sys,
            queue,
            interface,
            |m| m.penalty = penalty,
            "QueueMemberPenalty",
            ("PENALTY", &v),
        );
        if !set {
            let (line, msg) = if known_queue {
                (8440, "Invalid interface")
            } else {
                (8438, "Invalid queuename")
            };
            ctx.error(crate::site!("app_queue.c", line, set_fn), msg);
        }
        set
    };
    if !set {
        ctx.error(
            crate::site!("app_queue.c", 9893, func),
            "Invalid interface, queue or penalty",
        );
        return Err(Failed);
    }
    Ok(())
}

fn not_found(ctx: &FuncCtx<'_>, q: &str) {
    ctx.warning(
        crate::site!("app_queue.c", 9555, "queue_function_mem_read"),
        &format!("queue {q} was not found"),
    );
}

/// `queue_function_mem_read`.
fn member_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
    if arg(0).is_empty() || arg(1).is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9478, "queue_function_mem_read"),
            &format!(
                "Missing required argument. {}(<queuename>,<option>[,<interface>])",
                ctx.name
            ),
        );
        return Err(Failed);
    }
    let (option, interface) = (arg(1).to_ascii_lowercase(), arg(2));
    let sys = ctx.sys;
    let got = sys.queues.with_queue(sys, arg(0), |q| {
        let now = crate::core::unix_seconds();
        let member = q.member(interface);
        let status = |m: &crate::queue::Member| device_state(sys, &m.state_interface);
        Some(match option.as_str() {
            "logged" => q
                .members
                .iter()
                .filter(|m| !matches!(status(m), DeviceState::Unavailable | DeviceState::Invalid))
                .count() as i32,
            "free" => q
                .members
                .iter()
                .filter(|m| status(m) == DeviceState::NotInUse && !m.paused)
                .count() as i32,
            "ready" => q
                .members
                .iter()
                .filter(|m| {
                    status(m) == DeviceState::NotInUse && !m.paused && !m.in_wrapup(&q.cfg, now)
                })
                .count() as i32,
            "count" => q.members.len() as i32,
            "penalty" => member.map(|m| m.penalty).unwrap_or(0),
            "paused" => member.map(|m| i32::from(m.paused)).unwrap_or(0),
            "ignorebusy" | "ringinuse" => member.map(|m| i32::from(m.ringinuse)).unwrap_or(0),
            _ => return None,
        })
    });
    match got {
        Some(Some(n)) => Ok(n.to_string()),
        Some(None) => {
            ctx.error(
                crate::site!("app_queue.c", 9550, "queue_function_mem_read"),
                &format!("{}: Invalid option '{}' provided.", ctx.name, arg(1)),
            );
            Ok("0".into())
        }
        None => {
            not_found(ctx, arg(0));
            Ok("0".into())
        }
    }
}

/// `queue_function_mem_write`: penalty, paused or ringinuse of a member
/// (in one queue, or every queue it is in).
fn member_write(ctx: &FuncCtx<'_>, data: &str, value: &str) -> Result<(), Failed> {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
    if arg(1).is_empty() || arg(2).is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9590, "queue_function_mem_write"),
            &format!(
                "Missing argument. Syntax {}(<queuename>,<option>,<interface>)",
                ctx.name
            ),
        );
        return Err(Failed);
    }
    let Ok(n) = value.trim().parse::<i32>() else {
        ctx.error(
            crate::site!("app_queue.c", 9596, "queue_function_mem_write"),
            &format!("Invalid value: '{value}'"),
        );
        return Err(Failed);
    };
    let (queue, interface) = (arg(0), arg(2));
    let ok = match arg(1).to_ascii_lowercase().as_str() {
        "penalty" if n >= 0 => {
            let v = n.to_string();
            crate::queue::set_member_value(
                ctx.sys,
                queue,
                interface,
                |m| m.penalty = n,
                "QueueMemberPenalty",
                ("PENALTY", &v),
            )
        }
        "paused" => crate::queue::pause_member(ctx.sys, queue, interface, "", n != 0),
        "ignorebusy" | "ringinuse" => crate::queue::set_member_value(
            ctx.sys,
            queue,
            interface,
            |m| m.ringinuse = n != 0,
            "QueueMemberRinginuse",
            ("RINGINUSE", if n != 0 { "1" } else { "0" }),
        ),
        _ => {
            ctx.error(
                crate::site!("app_queue.c", 9613, "queue_function_mem_write"),
                "Invalid option, only penalty , paused or ringinuse/ignorebusy are valid",
            );
            return Err(Failed);
        }
    };
    if ok { Ok(()) } else { Err(Failed) }
}

fn member_list(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let q = data.trim();
    if q.is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9809, "queue_function_queuememberlist"),
            "QUEUE_MEMBER_LIST requires an argument: queuename",
        );
        return Err(Failed);
    }
    match ctx.sys.queues.with_queue(ctx.sys, q, |q| {
        q.members
            .iter()
            .map(|m| m.interface.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }) {
        Some(list) => Ok(list),
        None => {
            not_found(ctx, q);
            Ok(String::new())
        }
    }
}

fn waiting_count(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let q = data.trim();
    if q.is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9758, "queue_function_queuewaitingcount"),
            "QUEUE_WAITING_COUNT requires an argument: queuename",
        );
        return Err(Failed);
    }
    match ctx.sys.queues.with_queue(ctx.sys, q, |q| q.callers.len()) {
        Some(n) => Ok(n.to_string()),
        None => {
            not_found(ctx, q);
            Ok("0".into())
        }
    }
}

/// `queue_function_var`: sets the statistics on the channel when the
/// queue has `setqueuevar`; "0" then, "-1" otherwise.
fn variables(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let q = data.trim();
    if q.is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9384, "queue_function_var"),
            &format!("{} requires an argument: queuename", ctx.name),
        );
        return Err(Failed);
    }
    let vars = ctx.sys.queues.with_queue(ctx.sys, q, |q| {
        q.cfg
            .setqueuevar
            .then(|| crate::queue::queue_vars(q, false))
    });
    match vars {
        Some(Some(vars)) => {
            for (k, v) in vars {
                crate::pbx::set_var(ctx.sys, ctx.chan, k, Some(&v));
            }
            Ok("0".into())
        }
        Some(None) => Ok("-1".into()),
        None => {
            not_found(ctx, q);
            Ok("-1".into())
        }
    }
}

fn exists(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let q = data.trim();
    if q.is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9426, "queue_function_exists"),
            &format!("{} requires an argument: queuename", ctx.name),
        );
        return Err(Failed);
    }
    let found = ctx.sys.queues.with_queue(ctx.sys, q, |_| ()).is_some();
    Ok(if found { "1" } else { "0" }.into())
}

fn get_channel(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
    if data.trim().is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9683, "queue_function_queuegetchannel"),
            "Missing argument. QUEUE_GET_CHANNEL(<queuename>,<position>)",
        );
        return Err(Failed);
    }
    if arg(0).is_empty() {
        ctx.error(
            crate::site!("app_queue.c", 9691, "queue_function_queuegetchannel"),
            "The <queuename> parameter is required.",
        );
        return Err(Failed);
    }
    let position = if arg(1).is_empty() {
        1
    } else {
        match crate::config::views::values::scan_d(arg(1)) {
            None => {
                ctx.error(
                    crate::site!("app_queue.c", 9699, "queue_function_queuegetchannel"),
                    "<position> parameter must be an integer.",
                );
                return Err(Failed);
            }
            Some(p) if p < 1 => {
                ctx.error(
                    crate::site!("app_queue.c", 9703, "queue_function_queuegetchannel"),
                    "<position> parameter must be an integer greater than zero.",
                );
                return Err(Failed);
            }
            Some(p) => p as usize,
        }
    };
    match ctx.sys.queues.with_queue(ctx.sys, arg(0), |q| {
        q.callers
            .get(position - 1)
            .map(|e| e.chan.name.clone())
            .unwrap_or_default()
    }) {
        Some(name) => Ok(name),
        None => {
            not_found(ctx, arg(0));
            Ok(String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{self, Res};

    const QUEUES: &str = "[general]\npersistentmembers = yes\n[support]\nsetqueuevar = yes\nmember => Custom:a\nmember => Custom:b,3,Bee\n";

    #[test]
    fn members_through_functions_astdb_and_queue_log() {
        let (dir, sys) = crate::funcs::test_system(&[("queues.conf", QUEUES)]);
        let read = |name: &str, args: &str| {
            let f = functions()
                .into_iter()
                .find(|f| f.name == name)
                .expect("function");
            let ctx = FuncCtx {
                sys: &sys,
                chan: None,
                name,
            };
            (f.read.expect("read"))(&ctx, args).map_err(|_| ())
        };
        assert_eq!(read("QUEUE_EXISTS", "SUPPORT"), Ok("1".into()));
        assert_eq!(read("QUEUE_EXISTS", "nosuch"), Ok("0".into()));
        assert_eq!(read("QUEUE_MEMBER", "support,count"), Ok("2".into()));
        assert_eq!(
            read("QUEUE_MEMBER", "support,penalty,Custom:b"),
            Ok("3".into())
        );
        assert_eq!(read("QUEUE_MEMBER", "support"), Err(()));
        assert_eq!(read("QUEUE_WAITING_COUNT", "support"), Ok("0".into()));
        assert_eq!(read("QUEUE_GET_CHANNEL", "support,0"), Err(()));
        assert_eq!(read("QUEUE_GET_CHANNEL", "support"), Ok(String::new()));
        // Without a channel the statistics land in the globals.
        assert_eq!(read("QUEUE_VARIABLES", "support"), Ok("0".into()));
        assert_eq!(
            crate::pbx::get_var(&sys, None, "QUEUESTRATEGY").as_deref(),
            Some("ringall")
        );
        assert_eq!(
            crate::pbx::get_var(&sys, None, "QUEUESRVLEVELPERF").as_deref(),
            Some("0.0")
        );

        let add = |iface: &str| {
            queue::add_member(
                &sys, "support", iface, "Dyn", 1, false, "", "", 0, "MANAGER",
            )
        };
        assert_eq!(add("Custom:c"), Res::Okay);
        assert_eq!(add("Custom:c"), Res::Exists);
        assert_eq!(
            queue::add_member(&sys, "nosuch", "Custom:c", "", 0, false, "", "", 0, "X"),
            Res::NoSuchQueue
        );
        assert!(queue::pause_member(&sys, "", "Custom:c", "lunch", true));
        assert_eq!(
            read("QUEUE_MEMBER", "support,paused,Custom:c"),
            Ok("1".into())
        );
        assert_eq!(
            read("QUEUE_MEMBER_LIST", "support").map(|l| l.split(',').count()),
            Ok(3)
        );
        // As app_queue stores it: interface;penalty;paused;name;state;reason;wrapup.
        assert_eq!(
            sys.db.get(queue::PM_FAMILY, "support").expect("db"),
            Some("Custom:c;1;1;Dyn;Custom:c;lunch;0".into())
        );
        assert_eq!(
            queue::remove_member(&sys, "support", "Custom:a", "X"),
            Res::NotDynamic
        );
        assert_eq!(
            queue::remove_member(&sys, "support", "Custom:c", "X"),
            Res::Okay
        );
        assert_eq!(sys.db.get(queue::PM_FAMILY, "support").expect("db"), None);

        // A reload takes the file's queues; a dynamic member stays.
        assert_eq!(add("Custom:d"), Res::Okay);
        std::fs::write(
            dir.path().join("queues.conf"),
            "[support]\nmember => Custom:a\n[extra]\n",
        )
        .expect("write");
        sys.reload(&[crate::core::Part::Queues]).expect("reload");
        assert_eq!(read("QUEUE_EXISTS", "extra"), Ok("1".into()));
        assert_eq!(
            read("QUEUE_MEMBER_LIST", "support"),
            Ok("Custom:a,Custom:d".into())
        );
        assert_eq!(
            queue::remove_member(&sys, "support", "Custom:d", "X"),
            Res::Okay
        );

        let log = std::fs::read_to_string(dir.path().join("queue_log")).expect("queue_log");
        let events: Vec<String> = log
            .lines()
            .map(|l| l.splitn(2, '|').nth(1).unwrap_or("").to_string())
            .collect();
        assert_eq!(
            events,
            [
                "MANAGER|support|Custom:c|ADDMEMBER|",
                "NONE|NONE|Dyn|PAUSEALL|lunch",
                "NONE|support|Dyn|PAUSE|lunch",
                "X|support|Custom:c|REMOVEMEMBER|",
                "MANAGER|support|Custom:d|ADDMEMBER|",
                "X|support|Custom:d|REMOVEMEMBER|",
            ]
        );
    }
}
