//! PJSIP_ENDPOINT, PJSIP_AOR and PJSIP_CONTACT (func_pjsip_endpoint.c,
//! func_pjsip_aor.c, func_pjsip_contact.c): one field of a res_pjsip
//! object, as sorcery prints it (`ast_sorcery_objectset_create`).

use super::c::app_args;
use super::{Failed, FuncCtx, Function};
use crate::channels::sip::qualify::Reach;
use crate::config::views::pjsip::{Aor, Contact, PjsipConf};

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "PJSIP_AOR",
            read: Some(aor_read),
            write: None,
            synopsis: "Reads a field of a PJSIP AOR, or the ids of its contacts.",
            syntax: "PJSIP_AOR(name,field)",
        },
        Function {
            name: "PJSIP_CONTACT",
            read: Some(contact_read),
            write: None,
            synopsis: "Reads a field, the status or the round trip of a PJSIP contact.",
            syntax: "PJSIP_CONTACT(name,field)",
        },
        Function {
            name: "PJSIP_ENDPOINT",
            read: Some(endpoint_read),
            write: None,
            synopsis: "Reads a field of a PJSIP endpoint.",
            syntax: "PJSIP_ENDPOINT(name,field)",
        },
    ]
}

/// Where each function logs from, and what its messages call the object.
struct Source {
    file: &'static str,
    function: &'static str,
    /// "an endpoint name", "an AOR name", "a contact name".
    a_name: &'static str,
    /// Lines of the three argument errors, in the order checked.
    lines: [u32; 3],
}

const ENDPOINT: Source = Source {
    file: "func_pjsip_endpoint.c",
    function: "pjsip_endpoint_function_read",
    a_name: "an endpoint name",
    lines: [91, 98, 103],
};

const AOR: Source = Source {
    file: "func_pjsip_aor.c",
    function: "pjsip_aor_function_read",
    a_name: "an AOR name",
    lines: [107, 114, 119],
};

const CONTACT: Source = Source {
    file: "func_pjsip_contact.c",
    function: "pjsip_contact_function_read",
    a_name: "a contact name",
    lines: [117, 124, 129],
};

impl Source {
    fn error(&self, ctx: &FuncCtx<'_>, line: usize, msg: &str) -> Failed {
        ctx.error(
            crate::site!(self.file, self.lines[line], self.function),
            msg,
        );
        Failed
    }

    fn warning(&self, ctx: &FuncCtx<'_>, line: u32, msg: &str) -> Failed {
        ctx.warning(crate::site!(self.file, line, self.function), msg);
        Failed
    }

    /// The object's name and the field, or the error each function logs
    /// for missing ones. The field is all after the first `,`.
    fn args(&self, ctx: &FuncCtx<'_>, args: &str) -> Result<(String, String), Failed> {
        if args.is_empty() {
            return Err(self.error(
                ctx,
                0,
                &format!("Cannot call {} without arguments", ctx.name),
            ));
        }
        let mut a = app_args(args, 2).into_iter();
        let name = a.next().unwrap_or_default();
        let field = a.next().unwrap_or_default();
        if name.is_empty() {
            return Err(self.error(
                ctx,
                1,
                &format!("Cannot call {} without {} to query", ctx.name, self.a_name),
            ));
        }
        if field.is_empty() {
            return Err(self.error(
                ctx,
                2,
                &format!("Cannot call {} with an empty field name to query", ctx.name),
            ));
        }
        Ok((name, field))
    }
}

/// The first entry of an object set named `field` (case-sensitive), or
/// the warning for an unknown property.
fn field_of(
    ctx: &FuncCtx<'_>,
    src: &Source,
    line: u32,
    kind: &str,
    set: &[(String, String)],
    field: &str,
) -> Result<String, Failed> {
    match set.iter().find(|(n, _)| n == field) {
        Some((_, v)) => Ok(v.clone()),
        None => Err(src.warning(
            ctx,
            line,
            &format!("Unknown property '{field}' for PJSIP {kind}"),
        )),
    }
}

fn endpoint_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (name, field) = ENDPOINT.args(ctx, args)?;
    let loaded = ctx.sys.loaded();
    let Some(ep) = loaded.pjsip.endpoint(&name) else {
        return Err(ENDPOINT.warning(
            ctx,
            115,
            &format!("Failed to retrieve information for endpoint '{name}'"),
        ));
    };
    // `disallow` has no to-string handler, so it is never in the set
    // (Asterisk's `!` prefix for it cannot show).
    field_of(ctx, &ENDPOINT, 138, "endpoint", &ep.objectset(), &field)
}

fn aor_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (name, field) = AOR.args(ctx, args)?;
    let loaded = ctx.sys.loaded();
    let Some(aor) = loaded.pjsip.aor(&name) else {
        return Err(AOR.warning(
            ctx,
            131,
            &format!("Failed to retrieve information for AOR '{name}'"),
        ));
    };
    if field == "contact" {
        // The contacts' ids, permanent and registered, not their URIs.
        let ids: Vec<String> = crate::channels::sip::aor_contacts(ctx.sys, aor)
            .into_iter()
            .map(|c| c.id)
            .collect();
        return Ok(ids.join(","));
    }
    field_of(ctx, &AOR, 180, "AOR", &aor.params(), &field)
}

fn contact_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (id, field) = CONTACT.args(ctx, args)?;
    let loaded = ctx.sys.loaded();
    let (contact, aor, reach) = find_contact(ctx, &loaded.pjsip, &id).map_err(|line| {
        CONTACT.warning(
            ctx,
            line,
            &format!("Failed to retrieve information for contact '{id}'"),
        )
    })?;
    let (status, rtt) = crate::channels::sip::contact_status(aor, reach);
    match field.as_str() {
        "status" => Ok(status.to_string()),
        "rtt" => Ok(rtt),
        _ => field_of(ctx, &CONTACT, 194, "contact", &contact.params(), &field),
    }
}

/// A contact by id: `<aor>@@<hash>` among that AOR's permanent contacts,
/// else a registered one (`<aor>;@<hash>`), as res_pjsip builds them.
/// When there is none, the line Asterisk warns from: one for an unknown
/// AOR, another for an unknown contact.
fn find_contact<'a>(
    ctx: &FuncCtx<'_>,
    conf: &'a PjsipConf,
    id: &str,
) -> Result<(Contact, &'a Aor, Option<Reach>), u32> {
    use crate::channels::sip::endpoint::Flavor;
    const NO_CONTACT: u32 = 161;
    if let Some((aor_name, _)) = id.split_once("@@") {
        let aor = conf.aor(aor_name).ok_or(151u32)?;
        let (_, uri) = aor
            .contact_ids()
            .into_iter()
            .find(|(cid, _)| cid == id)
            .ok_or(NO_CONTACT)?;
        let reach = crate::channels::sip::static_reach(ctx.sys, Flavor::Pjsip, &aor.name, uri);
        return Ok((Contact::permanent(uri), aor, reach));
    }
    let names: Vec<String> = conf.aors.iter().map(|a| a.name.clone()).collect();
    let live = crate::channels::sip::live_contacts(ctx.sys, Flavor::Pjsip, &names)
        .into_iter()
        .find(|c| {
            format!(
                "{};@{}",
                c.aor,
                crate::funcs::md5::hex(c.binding.uri.as_bytes())
            ) == id
        })
        .ok_or(NO_CONTACT)?;
    let aor = conf.aor(&live.aor).ok_or(NO_CONTACT)?;
    Ok((
        registered_contact(ctx, conf, aor, &live.binding),
        aor,
        live.reach,
    ))
}

/// A registered contact as res_pjsip_registrar stores it: the AOR's
/// qualify settings and outbound proxy copied, the REGISTER's details.
fn registered_contact(
    ctx: &FuncCtx<'_>,
    conf: &PjsipConf,
    aor: &Aor,
    b: &crate::channels::sip::registrar::Binding,
) -> Contact {
    let params = aor.params();
    let opt = |n: &str| {
        params
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let endpoint = conf.aor_endpoint(&aor.name);
    let expires = crate::core::unix_seconds() + b.remaining(std::time::Instant::now()) as i64;
    // A contact rewritten to a reliable connection's source address does
    // not outlive a restart.
    let prune_on_boot = b.over_tcp
        && b.target == b.source
        && b.uri.to_ascii_lowercase().contains(";transport=tcp")
        && endpoint.is_some_and(|e| e.rewrite_contact);
    Contact {
        uri: b.uri.clone(),
        expiration_time: expires,
        qualify_frequency: aor.qualify_frequency,
        qualify_timeout: opt("qualify_timeout").parse().unwrap_or(3.0),
        qualify_2xx_only: opt("qualify_2xx_only") == "true",
        authenticate_qualify: opt("authenticate_qualify") == "true",
        outbound_proxy: opt("outbound_proxy").to_string(),
        user_agent: b.user_agent.clone(),
        endpoint: endpoint.map(|e| e.name.clone()).unwrap_or_default(),
        reg_server: ctx.sys.conf.options.system_name.clone(),
        via_addr: b.via.0.clone(),
        via_port: b.via.1,
        call_id: b.call_id.clone(),
        prune_on_boot,
        ..Contact::permanent("")
    }
}

#[cfg(test)]
mod tests {
    use super::super::ReadFn;
    use super::*;

    const PJSIP_CONF: &str = "[e]\ntype = endpoint\naors = a\nset_var = X=1\nset_var = context=v\n\
        allow = ulaw\n[f]\ntype = endpoint\n\
        [a]\ntype = aor\ncontact = sip:a@127.0.0.1:5099\nqualify_timeout = 2\n";

    fn read(f: ReadFn, name: &'static str, args: &str) -> Option<String> {
        let (_dir, sys) = crate::funcs::test_system(&[("pjsip.conf", PJSIP_CONF)]);
        let ctx = FuncCtx {
            sys: &sys,
            chan: None,
            name,
        };
        f(&ctx, args).ok()
    }

    #[test]
    fn endpoint_fields_as_the_object_set_lists_them() {
        let r = |args| read(endpoint_read, "PJSIP_ENDPOINT", args);
        assert_eq!(r("e,allow").as_deref(), Some("(ulaw)"));
        assert_eq!(r("e,direct_media").as_deref(), Some("true"));
        // Channel variables are listed under their names; `set_var`
        // only when there are none. The `context` field comes first.
        assert_eq!(r("e,X").as_deref(), Some("1"));
        assert_eq!(r("e,set_var"), None);
        assert_eq!(r("f,set_var").as_deref(), Some(""));
        assert_eq!(r("e,context").as_deref(), Some("default"));
        assert_eq!(r("e,disallow"), None);
        assert_eq!(r("e,Context"), None);
        assert_eq!(r("e"), None);
        assert_eq!(r(""), None);
        assert_eq!(r("nosuch,context"), None);
    }

    #[test]
    fn aor_contact_lists_ids_and_contacts_keep_sorcery_defaults() {
        let id = format!("a@@{}", crate::funcs::md5::hex(b"sip:a@127.0.0.1:5099"));
        let aor = |args| read(aor_read, "PJSIP_AOR", args);
        assert_eq!(aor("a,contact"), Some(id.clone()));
        assert_eq!(aor("a,qualify_timeout").as_deref(), Some("2.000000"));
        assert_eq!(aor("a,type"), None);
        let contact = |field: &str| read(contact_read, "PJSIP_CONTACT", &format!("{id},{field}"));
        assert_eq!(contact("uri").as_deref(), Some("sip:a@127.0.0.1:5099"));
        // Not the AOR's qualify settings: a permanent contact has its own.
        assert_eq!(contact("qualify_timeout").as_deref(), Some("3.000000"));
        assert_eq!(contact("authenticate_qualify").as_deref(), Some("no"));
        assert_eq!(contact("qualify_2xx_only").as_deref(), Some("false"));
        assert_eq!(contact("status").as_deref(), Some("NonQualified"));
        assert_eq!(contact("rtt").as_deref(), Some("N/A"));
        assert_eq!(contact("type"), None);
        assert_eq!(read(contact_read, "PJSIP_CONTACT", "a@@0,uri"), None);
        assert_eq!(read(contact_read, "PJSIP_CONTACT", "a;@0,uri"), None);
    }
}
