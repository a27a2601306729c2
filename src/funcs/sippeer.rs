//! SIPPEER (chan_sip's `function_sippeer`): one item of a peer's settings
//! or state, read from the sip.conf view and the peer's registration.

use super::{Failed, FuncCtx, Function};
use crate::config::views::groups::print_group;
use crate::config::views::sip::SipPeer;
use crate::config::views::values::atoi;

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "SIPPEER",
        read: Some(sippeer_read),
        write: None,
        synopsis: "Reads one setting or state item of a chan_sip peer.",
        syntax: "SIPPEER(peername[,item])",
    }]
}

/// chan_sip's `SIP_PAGE2_USE_SRTP` flag: `encryption` prints the flag's
/// bit itself, not 1.
const USE_SRTP_FLAG: u32 = 1 << 29;

/// The peer is the text before the first `,`, the item all after it
/// (`ip` when there is no `,`). A peer chan_sip does not find (users are
/// not peers) fails without a message; an unknown item reads empty.
fn sippeer_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (name, item) = args.split_once(',').unwrap_or((args, "ip"));
    let loaded = ctx.sys.loaded();
    let peer = loaded.sip.peer(name).ok_or(Failed)?;
    Ok(item_value(ctx, peer, item))
}

fn item_value(ctx: &FuncCtx<'_>, p: &SipPeer, item: &str) -> String {
    let st = &p.settings;
    let live = || crate::channels::sip::peer_now(ctx.sys, p);
    // The text of `prefix[...]` up to its `]` (or the end), prefix
    // matched in any case.
    let bracketed = |prefix: &str| {
        let head = item.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix).then(|| {
            let rest = &item[prefix.len()..];
            rest.split(']').next().unwrap_or(rest)
        })
    };
    match item.to_ascii_lowercase().as_str() {
        // `ast_sockaddr_stringify_addr` of an unset address is "(null)".
        "ip" => live()
            .addr
            .map_or("(null)".to_string(), |a| a.ip().to_string()),
        "port" => live().addr.map_or(0, |a| a.port()).to_string(),
        "status" => live().status,
        "language" => st.language.clone(),
        "regexten" => p.regexten.clone(),
        "limit" => st.call_limit.to_string(),
        "busylevel" => p.busy_level.to_string(),
        "curcalls" => current_calls(ctx, p).to_string(),
        "maxforwards" => p.maxforwards.to_string(),
        "accountcode" => p.accountcode.clone(),
        "callgroup" => print_group(p.callgroup),
        "pickupgroup" => print_group(p.pickupgroup),
        "namedcallgroup" => p.namedcallgroup.print(),
        "namedpickupgroup" => p.namedpickupgroup.print(),
        "useragent" => live().useragent,
        "mailbox" => p.mailboxes.join(","),
        "context" => st.context.clone(),
        // chan_sip prints the id of the registration's expiry in its
        // scheduler, -1 when none is pending. Asterism has no such id: a
        // registered peer shows the seconds its registration has left.
        "expire" => live()
            .expires_in
            .map_or("-1".to_string(), |s| s.to_string()),
        "dynamic" => if p.host_dynamic { "yes" } else { "no" }.to_string(),
        "callerid_name" => p.cid_name.clone(),
        "callerid_num" => p.cid_num.clone(),
        "codecs" => st.codecs.names(),
        "encryption" => if st.encryption { USE_SRTP_FLAG } else { 0 }.to_string(),
        _ => {
            if let Some(var) = bracketed("chanvar[") {
                // Every match is copied in turn: the last in chan_sip's
                // list wins.
                p.chanvars
                    .iter()
                    .rev()
                    .find(|(n, _)| n.eq_ignore_ascii_case(var))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            } else if let Some(index) = bracketed("codec[") {
                usize::try_from(atoi(index))
                    .ok()
                    .and_then(|i| st.codecs.0.get(i))
                    .cloned()
                    .unwrap_or_default()
            } else {
                String::new()
            }
        }
    }
}

/// chan_sip's `inuse`: its calls, counted only under a call limit
/// (`call-limit` or `callcounter`).
fn current_calls(ctx: &FuncCtx<'_>, p: &SipPeer) -> u32 {
    crate::channels::sip::peer_calls(ctx.sys, &p.name).inuse
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIP_CONF: &str = "[general]\ndisallow = all\nallow = ulaw\n\
        [p]\ntype = friend\nhost = dynamic\nallow = gsm,alaw\nencryption = yes\n\
        setvar = A=1\nsetvar = b=2\nsetvar = A=3\nsetvar = B=4\n\
        [s]\ntype = peer\nhost = 127.0.0.1\nport = 5099\n\
        [u]\ntype = user\n";

    fn read(args: &str) -> Option<String> {
        let (_dir, sys) = crate::funcs::test_system(&[("sip.conf", SIP_CONF)]);
        let ctx = FuncCtx {
            sys: &sys,
            chan: None,
            name: "SIPPEER",
        };
        sippeer_read(&ctx, args).ok()
    }

    #[test]
    fn items_read_as_chan_sip_prints_them() {
        let cases = [
            ("p", Some("(null)")),
            ("p,port", Some("0")),
            ("p,codecs", Some("(ulaw|gsm|alaw)")),
            ("p,codec[2]", Some("alaw")),
            // atoi of the index: no number is 0; no `]` is fine.
            ("p,codec[z]", Some("ulaw")),
            ("p,codec[1", Some("gsm")),
            ("p,codec[3]", Some("")),
            ("p,codec[-1]", Some("")),
            ("p,encryption", Some("536870912")),
            ("s,encryption", Some("0")),
            // A name set again keeps its place; names match in any case,
            // the last in the list winning.
            ("p,chanvar[A]", Some("3")),
            ("p,chanvar[b]", Some("2")),
            ("p,CHANVAR[none]", Some("")),
            ("p,Dynamic", Some("yes")),
            ("p,expire", Some("-1")),
            ("p,", Some("")),
            ("p,nosuch", Some("")),
            ("s", Some("127.0.0.1")),
            ("s,port", Some("5099")),
            ("s,status", Some("Unmonitored")),
            ("u", None),
            ("P", None),
            ("", None),
        ];
        for (args, want) in cases {
            assert_eq!(read(args).as_deref(), want, "{args}");
        }
    }
}
