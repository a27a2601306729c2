//! res_pjsip's listing actions: PJSIPShowEndpoints, PJSIPShowEndpoint and
//! PJSIPShowContacts (`ami_show_endpoints`, `ami_show_endpoint`,
//! `ami_show_contacts`), from the pjsip.conf view. Each object is shown
//! as `ast_sip_sorcery_object_to_ami` does: its type and id, then every
//! option under its camel-cased name, in sorcery's field order.

use super::{BoxFuture, now};
use crate::config::views::pjsip::{Aor, Endpoint};
use crate::core::System;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// `ast_to_camel_case`: each `_`-separated word capitalised, joined.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// An event for one object: `ObjectType`, `ObjectName`, its options.
fn object(
    r: &mut Reply,
    event: &str,
    m: &Message,
    kind: &str,
    id: &str,
    params: &[(String, String)],
) {
    r.item(event, m)
        .line("ObjectType", kind)
        .line("ObjectName", id);
    for (n, v) in params {
        r.line(&camel(n), v);
    }
}

/// `ast_sip_get_device_state`.
fn device_state(sys: &System, e: &Endpoint) -> &'static str {
    crate::core::devicestate::device_state(sys, &format!("PJSIP/{}", e.name)).as_str()
}

/// The channels of an endpoint now (its snapshot's `num_channels`).
fn active_channels(sys: &System, e: &Endpoint) -> usize {
    let prefix = format!("PJSIP/{}-", e.name);
    sys.pbx
        .channels
        .all()
        .iter()
        .filter(|c| c.name.starts_with(&prefix))
        .count()
}

/// An AOR's options as sorcery prints them now: its `contact` option
/// lists every contact, registered ones too (`contacts_to_str`).
fn live_aor_params(sys: &System, aor: &Aor) -> Vec<(String, String)> {
    let mut params = aor.params();
    let all: Vec<String> = crate::channels::sip::aor_contacts(sys, aor)
        .iter()
        .map(|c| format!("{}/{}", aor.name, c.uri))
        .collect();
    for (n, v) in &mut params {
        if n == "contact" {
            *v = all.join(",");
        }
    }
    params
}

/// A registered contact's sorcery id: `<aor>;@<md5 of its URI>`.
fn registered_id(aor: &Aor, uri: &str) -> String {
    format!("{};@{}", aor.name, crate::funcs::md5::hex(uri.as_bytes()))
}

/// The endpoint an AOR belongs to (the first that lists it), else empty.
fn aor_endpoint(conf: &crate::config::views::pjsip::PjsipConf, aor: &Aor) -> String {
    conf.aor_endpoint(&aor.name)
        .map(|e| e.name.clone())
        .unwrap_or_default()
}

/// An AOR's contacts, permanent and registered, `<aor>/<uri>,` each.
fn contacts_line(sys: &System, aor: &Aor) -> String {
    crate::channels::sip::aor_contacts(sys, aor)
        .iter()
        .map(|c| format!("{}/{},", aor.name, c.uri))
        .collect()
}

/// PJSIPShowEndpoints: an EndpointList event per endpoint, by id.
pub fn show_endpoints<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    if conf.endpoints.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No endpoints found\n")));
    }
    let mut eps: Vec<&Endpoint> = conf.endpoints.iter().collect();
    eps.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    let mut r = Reply::list_start(
        m,
        "A listing of Endpoints follows, presented as EndpointList events",
    );
    for e in &eps {
        r.item("EndpointList", m)
            .line("ObjectType", "endpoint")
            .line("ObjectName", &e.name)
            .line("Transport", &e.transport)
            .line("Aor", &e.aors)
            .line("Auths", e.inbound_auths.join(","))
            .line("OutboundAuths", e.outbound_auths.join(","));
        for aor in e.aor_names().filter_map(|a| conf.aor(a)) {
            r.line("Contacts", contacts_line(&sys, aor));
        }
        r.line("DeviceState", device_state(&sys, e))
            .line("ActiveChannels", active_channels(&sys, e))
            .end();
    }
    r.list_complete(m, "EndpointListComplete", eps.len());
    now(Flow::Reply(r))
}

/// PJSIPShowEndpoint: the endpoint's EndpointDetail, then what each
/// formatter adds in res_pjsip's order: auths, the transport, AORs with
/// their contacts' statuses, identifies.
pub fn show_endpoint<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mut name = m.get("Endpoint");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "PJSIPShowEndpoint requires an endpoint name\n",
        )));
    }
    if name.len() >= 6 && name[..6].eq_ignore_ascii_case("pjsip/") {
        name = &name[6..];
    }
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    let Some(e) = conf.endpoint(name) else {
        return now(Flow::Reply(Reply::error(
            m,
            &format!("Unable to retrieve endpoint {name}\n"),
        )));
    };
    let mut r = Reply::list_start(
        m,
        "Following are Events for each object associated with the Endpoint",
    );
    object(
        &mut r,
        "EndpointDetail",
        m,
        "endpoint",
        &e.name,
        &e.params_in_field_order(),
    );
    r.line("DeviceState", device_state(&sys, e))
        .line("ActiveChannels", active_channels(&sys, e))
        .end();
    let mut count = 0;
    let auths = e.inbound_auths.iter().chain(&e.outbound_auths);
    for a in auths.filter_map(|a| conf.auth(a)) {
        object(&mut r, "AuthDetail", m, "auth", &a.name, &a.params());
        r.line("EndpointName", &e.name).end();
        count += 1;
    }
    if let Some(t) = conf.transport(&e.transport) {
        object(
            &mut r,
            "TransportDetail",
            m,
            "transport",
            &t.name,
            &t.params(),
        );
        r.line("EndpointName", &e.name).end();
        count += 1;
    }
    for aor in e.aor_names().filter_map(|a| conf.aor(a)) {
        let mut params = live_aor_params(&sys, aor);
        // The AOR's `contact` option is shown as `Contacts`.
        for (n, _) in &mut params {
            if n == "contact" {
                *n = "contacts".into();
            }
        }
        object(&mut r, "AorDetail", m, "aor", &aor.name, &params);
        let opt = |n: &str| param(&params, n);
        // The contact status carries its AOR's qualify settings, flags as
        // numbers and the timeout to the millisecond.
        let flag = |n: &str| u8::from(opt(n) == "true");
        let qualify_timeout = format!(
            "{:.3}",
            opt("qualify_timeout").parse::<f64>().unwrap_or(3.0)
        );
        let live = crate::channels::sip::live_contacts(
            &sys,
            crate::channels::sip::endpoint::Flavor::Pjsip,
            std::slice::from_ref(&aor.name),
        );
        r.line("TotalContacts", aor.contacts.len() + live.len())
            .line("ContactsRegistered", live.len())
            .line("EndpointName", &e.name)
            .end();
        count += 1;
        // Every contact by id: registered ones (`aor;@…`) sort first.
        enum Row<'c> {
            Permanent(String, &'c str),
            Registered(crate::channels::sip::LiveContact),
        }
        let mut rows: Vec<(String, Row<'_>)> = aor
            .contact_ids()
            .into_iter()
            .map(|(id, uri)| (id.clone(), Row::Permanent(id, uri)))
            .collect();
        rows.extend(live.into_iter().map(|c| {
            let id = registered_id(aor, &c.binding.uri);
            (id, Row::Registered(c))
        }));
        rows.sort_by(|x, y| x.0.cmp(&y.0));
        for (_, row) in rows {
            match row {
                Row::Registered(c) => contact_status_detail(&mut r, m, aor, &c, &e.name),
                Row::Permanent(id, uri) => {
                    r.item("ContactStatusDetail", m)
                        .line("AOR", &aor.name)
                        .line("URI", uri)
                        .line("UserAgent", "")
                        .line("RegExpire", 0)
                        .line(
                            "Status",
                            if aor.qualify_frequency == 0 {
                                "NonQualified"
                            } else {
                                "Unknown"
                            },
                        )
                        .line("RoundtripUsec", "N/A")
                        .line("EndpointName", &e.name)
                        .line("ID", id)
                        .line("AuthenticateQualify", flag("authenticate_qualify"))
                        .line("OutboundProxy", opt("outbound_proxy"))
                        .line("Path", "")
                        .line("QualifyFrequency", aor.qualify_frequency)
                        .line("QualifyTimeout", &qualify_timeout)
                        .line("Qualify2xxOnly", flag("qualify_2xx_only"))
                        .end();
                }
            }
            count += 1;
        }
    }
    for id in conf.identifies.iter().filter(|i| i.endpoint == e.name) {
        object(
            &mut r,
            "IdentifyDetail",
            m,
            "identify",
            &id.name,
            &id.params(),
        );
        r.line("EndpointName", &e.name).end();
        count += 1;
    }
    r.list_complete(m, "EndpointDetailComplete", count + 1);
    now(Flow::Reply(r))
}

/// PJSIPShowContacts: the registered contacts. Permanent contacts belong
/// to their AORs and are not listed; nothing has registered.
pub fn show_contacts<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    use crate::channels::sip::endpoint::Flavor;
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    let unix_now = crate::core::unix_seconds();
    let now_instant = std::time::Instant::now();
    let mut r = Reply::list_start(
        m,
        "A listing of Contacts follows, presented as ContactList events",
    );
    let mut count = 0;
    // Registered contacts only: permanent ones are no stored objects.
    for aor in &conf.aors {
        let live = crate::channels::sip::live_contacts(
            &sys,
            Flavor::Pjsip,
            std::slice::from_ref(&aor.name),
        );
        let params = aor.params();
        let opt = |n: &str| param(&params, n);
        let endpoint = aor_endpoint(conf, aor);
        for c in live {
            let b = &c.binding;
            let (status, rtt) = crate::channels::sip::contact_status(aor, c.reach);
            r.item("ContactList", m)
                .line("ObjectType", "contact")
                .line("ObjectName", registered_id(aor, &b.uri))
                .line("ViaAddr", &b.via.0)
                .line(
                    "QualifyTimeout",
                    format!(
                        "{:.6}",
                        opt("qualify_timeout").parse::<f64>().unwrap_or(3.0)
                    ),
                )
                .line("Qualify2xxOnly", opt("qualify_2xx_only"))
                .line("CallId", &b.call_id)
                .line("RegServer", "")
                .line("PruneOnBoot", "no")
                .line("Path", "")
                .line("Endpoint", &endpoint)
                .line("ViaPort", b.via.1)
                .line(
                    "AuthenticateQualify",
                    if opt("authenticate_qualify") == "true" {
                        "yes"
                    } else {
                        "no"
                    },
                )
                .line("Uri", &b.uri)
                .line("QualifyFrequency", aor.qualify_frequency)
                .line("UserAgent", &b.user_agent)
                .line("ExpirationTime", unix_now + b.remaining(now_instant) as i64)
                .line("OutboundProxy", opt("outbound_proxy"))
                .line("Status", status)
                .line("RoundtripUsec", rtt)
                .end();
            count += 1;
        }
    }
    if count == 0 {
        return now(Flow::Reply(Reply::error(m, "No Contacts found\n")));
    }
    r.list_complete(m, "ContactListComplete", count);
    now(Flow::Reply(r))
}

/// PJSIPShowAors: an AorList event per AOR (its options, `contact`
/// shown as `Contacts`), in id order.
pub fn show_aors<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    if conf.aors.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No AORs found\n")));
    }
    let mut aors: Vec<&Aor> = conf.aors.iter().collect();
    aors.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    let mut r = Reply::list_start(m, "A listing of AORs follows, presented as AorList events");
    for aor in &aors {
        let mut params = live_aor_params(&sys, aor);
        for (n, _) in &mut params {
            if n == "contact" {
                *n = "contacts".into();
            }
        }
        object(&mut r, "AorList", m, "aor", &aor.name, &params);
        r.end();
    }
    r.list_complete(m, "AorListComplete", aors.len());
    now(Flow::Reply(r))
}

/// PJSIPShowAuths: an AuthList event per auth, in id order.
pub fn show_auths<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let loaded = s.sys().loaded();
    let conf = &*loaded.pjsip;
    if conf.auths.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No Auths found\n")));
    }
    let mut auths: Vec<_> = conf.auths.iter().collect();
    auths.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    let mut r = Reply::list_start(
        m,
        "A listing of Auths follows, presented as AuthList events",
    );
    for a in &auths {
        object(&mut r, "AuthList", m, "auth", &a.name, &a.params());
        r.end();
    }
    r.list_complete(m, "AuthListComplete", auths.len());
    now(Flow::Reply(r))
}

/// One of an object's parameters as shown (`params()`), empty when absent.
fn param(params: &[(String, String)], name: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_as_asterisk() {
        assert_eq!(camel("t38_udptl_maxdatagram"), "T38UdptlMaxdatagram");
        assert_eq!(camel("100rel"), "100rel");
        assert_eq!(camel("ignore_183_without_sdp"), "Ignore183WithoutSdp");
    }
}

/// PJSIPShowRegistrationsOutbound: per registration its options, status
/// and `NextReg` (always 0: res_pjsip schedules refreshes itself, not
/// through the registration client's timer), then its auths.
pub fn show_registrations_outbound<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    let registry =
        crate::channels::sip::registry(&sys, crate::channels::sip::endpoint::Flavor::Pjsip);
    let mut r = Reply::list_start(m, "Following are Events for each Outbound registration");
    let (mut registered, mut not_registered) = (0, 0);
    for o in conf.others.iter().filter(|o| o.kind == "registration") {
        let params = o.registration_params();
        object(
            &mut r,
            "OutboundRegistrationDetail",
            m,
            "registration",
            &o.name,
            &params,
        );
        if let Some(st) = registry.iter().find(|st| st.reg.name == o.name) {
            let word = st.outcome.pjsip_text();
            if word == "Registered" {
                registered += 1;
            } else {
                not_registered += 1;
            }
            r.line("Status", word).line("NextReg", 0);
        }
        r.end();
        let auths = params
            .iter()
            .find(|(n, _)| n == "outbound_auth")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        for a in auths.split(',').map(str::trim).filter_map(|a| conf.auth(a)) {
            object(&mut r, "AuthDetail", m, "auth", &a.name, &a.params());
            r.end();
        }
    }
    r.list_complete_open(
        m,
        "OutboundRegistrationDetailComplete",
        registered + not_registered,
    )
    .line("Registered", registered)
    .line("NotRegistered", not_registered)
    .end();
    now(Flow::Reply(r))
}

/// PJSIPQualify (`ami_sip_qualify`): every contact of the endpoint's
/// AORs gets an OPTIONS at once; the answer is sent once they are out.
pub fn qualify<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Endpoint");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Endpoint parameter missing.")));
    }
    let aors = match s.sys().loaded().pjsip.endpoint(name) {
        Some(ep) => ep.aors.clone(),
        None => {
            return now(Flow::Reply(Reply::error(
                m,
                "Unable to retrieve endpoint\n",
            )));
        }
    };
    if aors.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "No AoRs configured for endpoint\n",
        )));
    }
    crate::channels::sip::qualify_now(s.sys(), crate::channels::sip::endpoint::Flavor::Pjsip, name);
    now(Flow::Reply(Reply::ack(m, "Endpoint found, will qualify")))
}

/// A registered contact's ContactStatusDetail (`ast_sip_format_contact_ami`).
fn contact_status_detail(
    r: &mut Reply,
    m: &Message,
    aor: &Aor,
    c: &crate::channels::sip::LiveContact,
    endpoint: &str,
) {
    let params = aor.params();
    let opt = |n: &str| param(&params, n);
    let b = &c.binding;
    let expires = crate::core::unix_seconds() + b.remaining(std::time::Instant::now()) as i64;
    let (status, rtt) = crate::channels::sip::contact_status(aor, c.reach);
    r.item("ContactStatusDetail", m)
        .line("AOR", &aor.name)
        .line("URI", &b.uri)
        .line("UserAgent", &b.user_agent)
        .line("RegExpire", expires);
    if !b.via.0.is_empty() {
        if b.via.1 != 0 {
            r.line("ViaAddress", format!("{}:{}", b.via.0, b.via.1));
        } else {
            r.line("ViaAddress", &b.via.0);
        }
    }
    if !b.call_id.is_empty() {
        r.line("CallID", &b.call_id);
    }
    r.line("Status", status)
        .line("RoundtripUsec", rtt)
        .line("EndpointName", endpoint)
        .line("ID", registered_id(aor, &b.uri))
        .line(
            "AuthenticateQualify",
            u8::from(opt("authenticate_qualify") == "true"),
        )
        .line("OutboundProxy", opt("outbound_proxy"))
        .line("Path", "")
        .line("QualifyFrequency", aor.qualify_frequency)
        .line(
            "QualifyTimeout",
            format!(
                "{:.3}",
                opt("qualify_timeout").parse::<f64>().unwrap_or(3.0)
            ),
        )
        .line(
            "Qualify2xxOnly",
            u8::from(opt("qualify_2xx_only") == "true"),
        )
        .end();
}

/// PJSIPShowRegistrationsInbound (res_pjsip_registrar's
/// `ami_show_registrations`): each endpoint's AORs, in the endpoints'
/// order, as objects with their contacts.
pub fn show_registrations_inbound<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    let mut eps: Vec<&Endpoint> = conf.endpoints.iter().collect();
    eps.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    let mut r = Reply::list_start(m, "Following are Events for each Inbound registration");
    let mut count = 0;
    for e in eps {
        for aor in e.aor_names().filter_map(|a| conf.aor(a)) {
            object(
                &mut r,
                "InboundRegistrationDetail",
                m,
                "aor",
                &aor.name,
                &live_aor_params(&sys, aor),
            );
            let contacts: String = crate::channels::sip::aor_contacts(&sys, aor)
                .iter()
                .map(|c| format!("{}/{},", aor.name, c.uri))
                .collect();
            r.line("Contacts", contacts).end();
            count += 1;
        }
    }
    r.list_complete(m, "InboundRegistrationDetailComplete", count);
    now(Flow::Reply(r))
}

/// PJSIPShowRegistrationInboundContactStatuses
/// (`ami_show_registration_contact_statuses`): every registered contact,
/// by id.
pub fn show_registration_inbound_contact_statuses<'a>(
    s: &'a mut Session,
    m: &'a Message,
) -> BoxFuture<'a> {
    use crate::channels::sip::endpoint::Flavor;
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    let mut r = Reply::list_start(
        m,
        "Following are ContactStatusEvents for each Inbound registration",
    );
    let mut rows = Vec::new();
    for aor in &conf.aors {
        let endpoint = aor_endpoint(conf, aor);
        for c in crate::channels::sip::live_contacts(
            &sys,
            Flavor::Pjsip,
            std::slice::from_ref(&aor.name),
        ) {
            let id = registered_id(aor, &c.binding.uri);
            rows.push((id, aor, c, endpoint.clone()));
        }
    }
    rows.sort_by(|x, y| x.0.cmp(&y.0));
    for (_, aor, c, endpoint) in &rows {
        contact_status_detail(&mut r, m, aor, c, endpoint);
    }
    r.list_complete(m, "ContactStatusDetailComplete", rows.len());
    now(Flow::Reply(r))
}

/// PJSIPShowSubscriptionsInbound (`ami_show_subscriptions_inbound`): an
/// InboundSubscriptionDetail per subscription pjsip serves, oldest first.
pub fn show_subscriptions_inbound<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys();
    let rows =
        crate::channels::sip::subscriptions(&sys, crate::channels::sip::endpoint::Flavor::Pjsip);
    let mut r = Reply::list_start(m, "Following are Events for each inbound Subscription");
    for row in &rows {
        r.item("InboundSubscriptionDetail", m);
        for (name, value) in crate::channels::sip::subscription_lines(&sys, row) {
            r.line(name, value);
        }
        r.end();
    }
    r.list_complete(m, "InboundSubscriptionDetailComplete", rows.len());
    now(Flow::Reply(r))
}

/// PJSIPShowSubscriptionsOutbound: Asterism subscribes to nothing (no
/// outbound MWI or publish subscriptions), so the list is empty.
pub fn show_subscriptions_outbound<'a>(_s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mut r = Reply::list_start(m, "Following are Events for each outbound Subscription");
    r.list_complete(m, "OutboundSubscriptionDetailComplete", 0);
    now(Flow::Reply(r))
}

/// PJSIPShowResourceLists (`ami_show_resource_lists`): the configured
/// resource lists, by id.
pub fn show_resource_lists<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let loaded = s.sys().loaded();
    let mut lists: Vec<_> = loaded
        .pjsip
        .others
        .iter()
        .filter(|o| o.kind == "resource_list")
        .collect();
    if lists.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No resource lists found\n")));
    }
    lists.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    let mut r = Reply::list_start(
        m,
        "A listing of resource lists follows, presented as ResourceListDetail events",
    );
    for l in &lists {
        object(
            &mut r,
            "ResourceListDetail",
            m,
            "resource_list",
            &l.name,
            &l.resource_list_params(),
        );
        r.end();
    }
    r.list_complete(m, "ResourceListDetailComplete", lists.len());
    now(Flow::Reply(r))
}

/// PJSIPHangup (`pjsip_action_hangup`): the manager's Hangup whose
/// handler rejects each incoming, unanswered PJSIP call with the response
/// `Cause` names (603 when it names none usable; the warning names the
/// action's Channel).
pub fn hangup<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    Box::pin(async move {
        let target = m.get("Channel");
        if target.is_empty() {
            return Flow::Reply(Reply::error(m, "No channel specified"));
        }
        let sys = s.sys().clone();
        let code =
            crate::apps::pjsiphangup::response_code_logged(&sys.pbx.logger, target, m.get("Cause"));
        let mut chans = Vec::new();
        let reply = super::channel::hangup_targets(s, m, target, &mut |c| chans.push(c.clone()));
        for c in chans {
            crate::channels::sip::pjsip_reject(&sys, &c, code).await;
        }
        Flow::Reply(reply)
    })
}

/// PJSIPUnregister (`ami_unregister`): the registration's REGISTER with
/// Expires: 0 goes out and no refresh follows until PJSIPRegister or a
/// reload; `*all` drops every registration (each bound one unregisters).
pub fn unregister<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    now(Flow::Reply(registration_action(s.sys(), m, false)))
}

/// PJSIPRegister (`ami_register`): the registration unregisters now and
/// registers again a second (plus its random initial delay) later;
/// `*all` drops every registration and starts them afresh.
pub fn register<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    now(Flow::Reply(registration_action(s.sys(), m, true)))
}

fn registration_action(sys: &System, m: &Message, register: bool) -> Reply {
    let name = m.get("Registration");
    if name.is_empty() {
        return Reply::error(m, "Registration parameter missing.");
    }
    if name == "*all" {
        crate::channels::sip::outbound_registration(sys, None, register);
        return Reply::ack(
            m,
            if register {
                "Reregistrations queued."
            } else {
                "Unregistrations queued."
            },
        );
    }
    if !crate::channels::sip::outbound_registration(sys, Some(name), register) {
        return Reply::error(m, "Unable to retrieve registration entry\n");
    }
    Reply::ack(
        m,
        if register {
            "Reregistration sent"
        } else {
            "Unregistration sent"
        },
    )
}

/// PJSIPSetMaintenance (res_pjsip_maintenance's `ami_set_maintenance`).
pub fn set_maintenance<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    use crate::channels::sip::maintenance::{Applied, apply};
    let (endpoint, state) = (m.get("Endpoint"), m.get("State"));
    let reply = if endpoint.is_empty() {
        Reply::error(m, "Endpoint parameter missing")
    } else if state.is_empty() {
        Reply::error(m, "State parameter missing")
    } else if !state.eq_ignore_ascii_case("on") && !state.eq_ignore_ascii_case("off") {
        Reply::error(m, "State must be 'on' or 'off'")
    } else {
        let enable = state.eq_ignore_ascii_case("on");
        let word = if enable { "enabled" } else { "disabled" };
        match apply(s.sys(), endpoint, enable, false) {
            Ok(Applied::All { .. }) => {
                Reply::ack(m, &format!("Maintenance mode {word} for all endpoints"))
            }
            Ok(Applied::One { .. }) => Reply::ack(m, &format!("Maintenance mode {word}")),
            Err(_) => Reply::error(m, &format!("Endpoint '{endpoint}' not found")),
        }
    };
    now(Flow::Reply(reply))
}

/// PJSIPShowMaintenance (`ami_show_maintenance`): one endpoint's state
/// (known or not), or every endpoint in maintenance.
pub fn show_maintenance<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let set = &s.sys().pjsip_maintenance;
    let endpoint = m.get("Endpoint");
    let mut r = Reply::list_start(m, "Maintenance status events follow");
    let rows: Vec<(String, &str)> = if endpoint.is_empty() {
        set.listed().into_iter().map(|e| (e, "enabled")).collect()
    } else {
        let state = if set.contains(endpoint) {
            "enabled"
        } else {
            "disabled"
        };
        vec![(endpoint.to_string(), state)]
    };
    for (name, state) in &rows {
        r.item("PJSIPMaintenanceStatus", m);
        r.line("Endpoint", name);
        r.line("Status", state);
        r.end();
    }
    r.list_complete(m, "PJSIPMaintenanceStatusComplete", rows.len());
    now(Flow::Reply(r))
}
