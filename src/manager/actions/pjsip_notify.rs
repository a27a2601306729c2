//! res_pjsip_notify's PJSIPNotify (`manager_notify`): a NOTIFY to every
//! contact of an endpoint, to a URI (through the default outbound
//! endpoint) or inside a channel's dialog, its headers and body from the
//! `Variable`s or from a type of pjsip_notify.conf (`Option`).

use super::BoxFuture;
use crate::channels::sip::endpoint::Flavor;
use crate::channels::sip::notify::{self, Content, DialogRef, Source};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

pub fn notify<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    Box::pin(async move {
        let endpoint = m.get("Endpoint");
        let uri = m.get("URI");
        let channel = m.get("Channel");
        let variables = m.get("Variable");
        let option = m.get("Option");
        let count = [endpoint, uri, channel]
            .iter()
            .filter(|v| !v.is_empty())
            .count();
        let reply = if option.is_empty() == variables.is_empty() {
            Reply::error(
                m,
                "PJSIPNotify requires either an Option or Variable(s).You must use only one of them.",
            )
        } else if count > 1 {
            Reply::error(
                m,
                "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.  You must use only one of them.",
            )
        } else if !endpoint.is_empty() {
            to_endpoint(s, m, endpoint)
        } else if !uri.is_empty() {
            to_uri(s, m, uri)
        } else if !channel.is_empty() {
            to_channel(s, m, channel).await
        } else {
            Reply::error(
                m,
                "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.",
            )
        };
        Flow::Reply(reply)
    })
}

/// The NOTIFY's content: the `Option`'s notify type, else the
/// `Variable`s; Err is the reply when the type is unknown.
fn content(s: &Session, m: &Message) -> Result<Content, Reply> {
    let sys = s.sys();
    let option = m.get("Option");
    if !option.is_empty() {
        let types = sys.loaded().pjsip_notify.clone();
        return match types.0.find(option) {
            Some(t) => Ok(notify::pjsip_content(sys, &t.items, Source::Config)),
            None => Err(Reply::error(
                m,
                &format!("Unable to find notify type '{option}'\n"),
            )),
        };
    }
    Ok(notify::pjsip_content(sys, &m.variables(), Source::Manager))
}

fn strip_prefix<'a>(name: &'a str, prefix: &str) -> &'a str {
    match name.get(..prefix.len()) {
        Some(p) if p.eq_ignore_ascii_case(prefix) => &name[prefix.len()..],
        _ => name,
    }
}

fn to_endpoint(s: &Session, m: &Message, name: &str) -> Reply {
    let content = match content(s, m) {
        Ok(c) => c,
        Err(r) => return r,
    };
    // res_pjsip_notify strips both prefixes, one after the other.
    let name = strip_prefix(strip_prefix(name, "sip/"), "pjsip/");
    match send_to_endpoint(s.sys(), name, content) {
        Ok(()) => Reply::ack(m, "NOTIFY sent"),
        Err(()) => Reply::error(m, &format!("Unable to retrieve endpoint {name}")),
    }
}

/// A NOTIFY to each contact of the endpoint's AORs (`notify_endpoint`);
/// Err when there is no such endpoint.
pub fn send_to_endpoint(sys: &crate::core::System, name: &str, content: Content) -> Result<(), ()> {
    let aors = match sys.loaded().pjsip.endpoint(name) {
        Some(ep) => ep.aors.clone(),
        None => return Err(()),
    };
    if aors.trim().is_empty() {
        sys.pbx.logger.warning(
            crate::site!("res_pjsip_notify.c", 726, "notify_endpoint"),
            None,
            "Unable to NOTIFY - endpoint has no configured AORs",
        );
        return Ok(());
    }
    let notifies = notify::pjsip_targets(sys, name)
        .into_iter()
        .map(|(target, transport, uri)| notify::Notify {
            target,
            transport,
            uri,
            content: content.clone(),
            from_user: None,
        })
        .collect();
    notify::send(sys, Flavor::Pjsip, notifies);
    Ok(())
}

fn to_uri(s: &Session, m: &Message, uri: &str) -> Reply {
    let content = match content(s, m) {
        Ok(c) => c,
        Err(r) => return r,
    };
    send_to_uri(s.sys(), uri, content);
    Reply::ack(m, "NOTIFY sent")
}

/// A NOTIFY to a URI through the default outbound endpoint
/// (`notify_uri`). It goes out from a task of its own in
/// res_pjsip_notify: what fails there is only logged.
pub fn send_to_uri(sys: &crate::core::System, uri: &str, content: Content) {
    if notify::pjsip_default_outbound(sys).is_none() {
        sys.pbx.logger.warning(
            crate::site!("res_pjsip_notify.c", 760, "notify_uri"),
            None,
            "No default outbound endpoint set, can not send NOTIFY requests to arbitrary URIs.",
        );
    } else if let Some(target) = notify::uri_target(uri) {
        notify::send(
            sys,
            Flavor::Pjsip,
            vec![notify::Notify {
                target,
                transport: crate::sip::transaction::Transport::Udp,
                uri: uri.trim_matches(['<', '>']).to_string(),
                content,
                from_user: None,
            }],
        );
    } else {
        sys.pbx.logger.warning(
            crate::site!("res_pjsip_notify.c", 772, "notify_uri"),
            None,
            &format!("SIP NOTIFY - Unable to create request for uri {uri}"),
        );
    }
}

async fn to_channel(s: &Session, m: &Message, name: &str) -> Reply {
    let sys = s.sys().clone();
    let Some(chan) = sys.pbx.channels.by_name(name) else {
        return Reply::error(m, "Channel not found");
    };
    if chan.tech != "PJSIP" {
        sys.pbx.logger.warning(
            crate::site!("res_pjsip_notify.c", 910, "push_notify_channel"),
            None,
            &format!("Channel was a non-PJSIP channel: {name}"),
        );
        return Reply::error(m, "Channel not found");
    }
    // In a channel's dialog the Variables are used whatever else is given.
    let content = notify::pjsip_content(&sys, &m.variables(), Source::Manager);
    let dialog = DialogRef::Channel(chan.name.clone());
    if notify::send_in_dialog(&sys, Flavor::Pjsip, dialog, content).await {
        Reply::ack(m, "NOTIFY sent")
    } else {
        Reply::error(m, "Channel not found")
    }
}
