//! Originate (`action_originate`, and `fast_originate` for `Async: true`).

use std::time::Duration;

use super::{BoxFuture, now};
use crate::channels::NewChannel;
use crate::manager::class;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};
use std::sync::Arc;

use crate::channels::Channel;
use crate::pbx::originate::{self as pbx_originate, Outgoing, Target, originate_then};

/// `originate_app_permissions`: applications (by substring, without
/// case) and functions in the data (by substring) that need `system`.
fn app_permitted(app: &str, data: &str, writeperm: u32) -> bool {
    let app_l = app.to_ascii_lowercase();
    for word in [
        "agi",
        "dbdeltree",
        "exec",
        "externalivr",
        "mixmonitor",
        "originate",
        "reload",
        "system",
    ] {
        if app_l.contains(word) {
            return writeperm & class::SYSTEM != 0;
        }
    }
    if app_l.contains("queue") && !data.is_empty() {
        let args = crate::apps::separate_args(data, ',', 9);
        if args.get(5).is_some_and(|a| !a.is_empty()) {
            return writeperm & (class::AGI | class::SYSTEM) != 0;
        }
    }
    for func in ["CURL", "DB", "EVAL", "FILE", "ODBC", "REALTIME", "SHELL"] {
        if data.contains(func) {
            return writeperm & class::SYSTEM != 0;
        }
    }
    true
}

pub fn originate<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let name = m.get("Channel");
    let exten = m.get("Exten");
    let context = m.get("Context");
    let priority = m.get("Priority");
    let timeout = m.get("Timeout");
    let app = m.get("Application");
    let appdata = m.get("Data");
    let err = |msg: &str| now(Flow::Reply(Reply::error(m, msg)));
    for id in [m.get("ChannelId"), m.get("OtherChannelId")] {
        if id.len() > 150 {
            return err("Uniqueid length exceeds maximum of 150\n");
        }
    }
    if name.is_empty() {
        return err("Channel not specified");
    }
    let mut pi = 0;
    if !priority.is_empty() {
        match super::parse_priority(&sys, context, exten, priority) {
            Ok(n) => pi = n,
            Err(()) => return err("Invalid priority"),
        }
    }
    let mut to_ms: i64 = 30_000;
    if !timeout.is_empty() {
        match crate::funcs::c::scan_long(timeout, 30) {
            Some((n, _)) => to_ms = n,
            None => return err("Invalid timeout"),
        }
    }
    if !name.contains('/') {
        return err("Invalid channel");
    }
    let (cid_name, cid_num) = crate::config::views::callerid::split(m.get("CallerID"));
    let cid_num = Some(cid_num).filter(|n| !n.is_empty());
    let cid_name = Some(cid_name).filter(|n| !n.is_empty());
    if !app.is_empty() && !app_permitted(app, appdata, s.writeperm) {
        return err("Originate Access Forbidden: app or data blacklisted");
    }
    if pi != 0 {
        let loaded = sys.loaded();
        if !crate::pbx::find::exists(&loaded.dialplan, context, exten, pi, cid_num.as_deref()) {
            return err("Extension does not exist.");
        }
    }
    // The session's `setvar` variables first, then the action's, each
    // list as Asterisk builds it (header values prepended, so reversed).
    let mut vars: Vec<(String, String)> = s.chanvars.clone();
    let mut given = m.variables();
    given.reverse();
    vars.extend(given);
    let account = Some(m.get("Account").to_string()).filter(|a| !a.is_empty());
    let out = Outgoing {
        vars,
        cid_num: cid_num.clone(),
        cid_name: cid_name.clone(),
        account,
        predial: None,
    };
    let target = if !app.is_empty() {
        Target::Application {
            app: app.to_string(),
            data: appdata.to_string(),
        }
    } else if !exten.is_empty() && !context.is_empty() && pi != 0 {
        Target::Extension {
            context: context.to_string(),
            exten: exten.to_string(),
            priority: pi,
        }
    } else {
        return err("Originate with 'Exten' requires 'Context' and 'Priority'");
    };
    let tech_data = name.to_string();
    let timeout = Duration::from_millis(to_ms.max(0) as u64);
    if crate::config::is_true(m.get("Async")) {
        let mgr = s.mgr.clone();
        let idtext = match m.get("ActionID") {
            "" => String::new(),
            id => format!("ActionID: {id}\r\n"),
        };
        tokio::spawn(async move {
            // A failed call reports the channel asked for, not the one
            // made (Asterisk has dropped it by then).
            let respond = |chan: Option<&Arc<Channel>>, reason: u32| {
                let mut body = idtext.clone();
                body.push_str(&format!(
                    "Response: {}\r\nChannel: {}\r\n",
                    if chan.is_some() { "Success" } else { "Failure" },
                    chan.map(|c| c.name.clone()).unwrap_or(tech_data.clone())
                ));
                match &target {
                    Target::Application { app, data } => {
                        body.push_str(&format!("Application: {app}\r\nData: {data}\r\n"))
                    }
                    Target::Extension { context, exten, .. } => {
                        body.push_str(&format!("Context: {context}\r\nExten: {exten}\r\n"))
                    }
                }
                body.push_str(&format!(
                    "Reason: {reason}\r\nUniqueid: {}\r\nCallerIDNum: {}\r\nCallerIDName: {}\r\n",
                    chan.map(|c| c.uniqueid.clone())
                        .unwrap_or_else(|| "<unknown>".into()),
                    out.cid_num.as_deref().unwrap_or("<unknown>"),
                    out.cid_name.as_deref().unwrap_or("<unknown>"),
                ));
                mgr.event_in_order(class::CALL, "OriginateResponse", body);
            };
            let res = originate_then(
                sys,
                &tech_data,
                target.clone(),
                timeout,
                NewChannel::default(),
                &out,
                |c| respond(Some(c), 4),
            )
            .await;
            if let Err(e) = &res {
                respond(None, e.reason());
                e.release(&mgr.sys);
            }
        });
        return now(Flow::Reply(Reply::ack(m, "Originate successfully queued")));
    }
    Box::pin(async move {
        let res = pbx_originate::originate(
            sys.clone(),
            &tech_data,
            target.clone(),
            timeout,
            NewChannel::default(),
            &out,
        )
        .await;
        if let Err(e) = &res {
            e.release(&sys);
            // A synchronous originate to an extension goes on at the
            // context's `failed` extension before the action answers.
            if let Target::Extension { context, .. } = &target {
                pbx_originate::run_failed_extension(&sys, context, e.reason(), &out).await;
            }
        }
        Flow::Reply(match res {
            Ok(_) => Reply::ack(m, "Originate successfully queued"),
            Err(_) => Reply::error(m, "Originate failed"),
        })
    })
}
