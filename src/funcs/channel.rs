//! CHANNEL, CHANNELS and CHANNEL_EXISTS (Asterisk's `func_channel.c`).

use std::sync::Arc;

use super::{Failed, FuncCtx, Function};
use crate::channels::Channel;
use crate::config::views::groups::{NamedGroups, parse_group, print_group};
use crate::pbx::expr::posix_re::Regex;

const FILE: &str = "func_channel.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "MASTER_CHANNEL",
            read: Some(master_read),
            write: Some(master_write),
            synopsis: "Reads or sets a variable on the channel that began the call.",
            syntax: "MASTER_CHANNEL(varname)",
        },
        Function {
            name: "CHANNEL",
            read: Some(channel_read),
            write: Some(channel_write),
            synopsis: "Reads or sets a property of the current channel.",
            syntax: "CHANNEL(item)",
        },
        Function {
            name: "CHANNELS",
            read: Some(channels_read),
            write: None,
            synopsis: "Lists the names of live channels, optionally filtered by a regex.",
            syntax: "CHANNELS([regular_expression])",
        },
        Function {
            name: "CHANNEL_EXISTS",
            read: Some(channel_exists_read),
            write: None,
            synopsis: "Tells whether a channel with this name or unique id is live (1 or 0).",
            syntax: "CHANNEL_EXISTS(name_or_uid)",
        },
    ]
}

/// Bearer capabilities by number (`transfercapability`).
const TRANSFER_CAPABILITIES: [&str; 32] = [
    "SPEECH",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "DIGITAL",
    "RESTRICTED_DIGITAL",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "3K1AUDIO",
    "DIGITAL_W_TONES",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "VIDEO",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
    "UNK",
];

const ADSI: [&str; 4] = ["unknown", "available", "unavailable", "offhookonly"];

/// The format a channel without media exchanges (Local channels start
/// with signed linear).
const NO_MEDIA_FORMAT: &str = "slin";

/// func_channel_read and func_channel_write_real each reject an unknown
/// item from their own line (`write`).
fn unknown_item(ctx: &FuncCtx<'_>, item: &str, write: bool) -> Failed {
    ctx.warning(
        if write {
            crate::site!(FILE, 802, "func_channel_write_real")
        } else {
            crate::site!(FILE, 610, "func_channel_read")
        },
        &format!("Unknown or unavailable item requested: '{item}'"),
    );
    Failed
}

fn channel_read(ctx: &FuncCtx<'_>, item: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 396, "func_channel_read"))?;
    let is = |w: &str| item.eq_ignore_ascii_case(w);
    if is("checkhangup") {
        return Ok(if chan.check_hangup() { "1" } else { "0" }.into());
    }
    if is("peer") {
        let peer = chan.peer();
        return Ok(match peer {
            Some(p) if p.tech != "Local" || chan.tech != "Local" => p.name.clone(),
            _ => String::new(),
        });
    }
    let d = chan.lock();
    let p = &d.props;
    // Format lists print as `(a|b)`, an empty one as `(nothing)`.
    let value = if is("audioreadformat") || is("audiowriteformat") {
        NO_MEDIA_FORMAT.to_string()
    } else if is("audionativeformat") {
        format!("({NO_MEDIA_FORMAT})")
    } else if is("videonativeformat") {
        "(nothing)".to_string()
    } else if is("tonezone") && p.tonezone.is_some() {
        p.tonezone.clone().unwrap_or_default()
    } else if is("adsicpe") {
        ADSI.get(p.adsicpe as usize)
            .copied()
            .unwrap_or("unknown")
            .into()
    } else if is("dtmf_features") {
        p.dtmf_features.map(|f| f.letters()).unwrap_or_default()
    } else if is("language") {
        d.language.clone()
    } else if is("musicclass") {
        d.musicclass.clone()
    } else if is("name") || is("channame") {
        chan.name.clone()
    } else if is("parkinglot") {
        p.parkinglot.clone()
    } else if is("state") {
        d.state.as_str().to_string()
    } else if is("onhold") {
        if p.on_hold { "1" } else { "0" }.into()
    } else if is("channeltype") {
        chan.tech.to_string()
    } else if is("accountcode") {
        d.accountcode.clone()
    } else if is("peeraccount") {
        d.peeraccount.clone()
    } else if is("hangupsource") {
        p.hangupsource.clone()
    } else if is("appname") && d.appl.is_some() {
        d.appl.clone().unwrap_or_default()
    } else if is("appdata") && d.data.is_some() {
        d.data.clone().unwrap_or_default()
    } else if is("exten") {
        d.exten.clone()
    } else if is("context") {
        d.context.clone()
    } else if is("lastexten") {
        d.lastexten.clone()
    } else if is("lastcontext") {
        d.lastcontext.clone()
    } else if is("userfield") {
        d.userfield.clone()
    } else if is("linkedid") {
        if d.linkedid.is_empty() {
            chan.uniqueid.clone()
        } else {
            d.linkedid.clone()
        }
    } else if is("uniqueid") {
        chan.uniqueid.clone()
    } else if is("transfercapability") {
        TRANSFER_CAPABILITIES[(p.transfercapability & 0x1f) as usize].into()
    } else if is("callgroup") {
        print_group(p.callgroup)
    } else if is("pickupgroup") {
        print_group(p.pickupgroup)
    } else if is("namedcallgroup") {
        p.named_callgroups.print()
    } else if is("namedpickupgroup") {
        p.named_pickupgroups.print()
    } else if is("after_bridge_goto") {
        p.after_bridge_goto.clone().unwrap_or_default()
    } else if item.len() >= 14 && item[..14].eq_ignore_ascii_case("secure_bridge_") {
        match p.secure {
            Some((signaling, _)) if is("secure_bridge_signaling") => {
                if signaling { "1" } else { "" }.into()
            }
            Some((_, media)) if is("secure_bridge_media") => if media { "1" } else { "" }.into(),
            _ => String::new(),
        }
    } else if is("amaflags") {
        d.amaflags.to_string()
    } else if is("max_forwards") {
        p.max_forwards.to_string()
    } else if is("callid") {
        let callid = chan.callid();
        if callid != 0 {
            format!("[C-{callid:08x}]")
        } else {
            String::new()
        }
    } else if is("tenantid") {
        p.tenantid.clone()
    } else {
        drop(d);
        return Err(unknown_item(ctx, item, false));
    };
    Ok(value)
}

/// `ast_channel_string2amaflag`.
pub(crate) fn amaflag(value: &str) -> u32 {
    match value.to_ascii_lowercase().as_str() {
        "default" | "documentation" => 3,
        "omit" => 1,
        "billing" => 2,
        _ => 0,
    }
}

/// `sscanf("%d")`: optional blanks, a sign, digits.
fn scan_int(value: &str) -> Option<i64> {
    super::c::scan_long(value, usize::MAX).map(|(n, _)| n)
}

fn channel_write(ctx: &FuncCtx<'_>, item: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 823, "func_channel_write"))?;
    let res = write_item(ctx, chan, item, value);
    // A Local channel passes the write on to its other half
    // (`ast_unreal_setoption`), except hangup handlers, and with account
    // and peer account crossed over.
    if chan.tech == "Local"
        && !(item.len() >= 15 && item[..15].eq_ignore_ascii_case("hangup_handler_"))
        && let Some(other) = chan.peer()
    {
        let crossed = if item.eq_ignore_ascii_case("accountcode") {
            "peeraccount"
        } else if item.eq_ignore_ascii_case("peeraccount") {
            "accountcode"
        } else {
            item
        };
        let _ = write_item(ctx, &other, crossed, value);
    }
    res
}

fn write_item(
    ctx: &FuncCtx<'_>,
    chan: &std::sync::Arc<crate::channels::Channel>,
    item: &str,
    value: &str,
) -> Result<(), Failed> {
    let is = |w: &str| item.eq_ignore_ascii_case(w);
    if is("hangupsource") {
        for c in std::iter::once(chan.clone()).chain(chan.peer()) {
            let mut d = c.lock();
            if d.props.hangupsource.is_empty() {
                d.props.hangupsource = value.to_string();
            }
        }
        return Ok(());
    }
    if is("tonezone") {
        let zones = ctx.sys.loaded().indications.clone();
        if zones.zone(value).is_none() {
            ctx.error(
                crate::site!(FILE, 660, "func_channel_write_real"),
                &format!(
                    "Unknown country code '{value}' for tonezone. Check indications.conf for available country codes."
                ),
            );
            return Err(Failed);
        }
        chan.lock().props.tonezone = Some(value.to_string());
        return Ok(());
    }
    if let Some(op) = item
        .get(..15)
        .filter(|p| p.eq_ignore_ascii_case("hangup_handler_"))
        .and(item.get(15..))
    {
        write_hangup_handlers(chan, &op.to_ascii_lowercase(), value);
        return Ok(());
    }
    let mut d = chan.lock();
    if is("language") {
        d.language = value.to_string();
    } else if is("parkinglot") {
        d.props.parkinglot = value.to_string();
    } else if is("musicclass") {
        d.musicclass = value.to_string();
    } else if is("accountcode") {
        d.accountcode = value.to_string();
    } else if is("userfield") {
        d.userfield = value.to_string();
    } else if is("after_bridge_goto") {
        d.props.after_bridge_goto = (!value.is_empty()).then(|| value.to_string());
    } else if is("amaflags") {
        d.amaflags = if value.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            scan_int(value)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0)
        } else {
            amaflag(value)
        };
    } else if is("peeraccount") {
        d.peeraccount = value.to_string();
    } else if is("adsicpe") {
        match ADSI.iter().position(|a| a.eq_ignore_ascii_case(value)) {
            Some(i) => d.props.adsicpe = i as i32,
            None => {
                drop(d);
                ctx.error(
                    crate::site!(FILE, 682, "func_channel_write_real"),
                    &format!("Unknown ADSI availability '{value}'"),
                );
                return Err(Failed);
            }
        }
    } else if is("dtmf_features") {
        // ast_bridge_features_ds_set_string: the whole set is replaced.
        match crate::channels::features::FeatureFlags::parse(value) {
            Ok((flags, unknown)) => {
                d.props.dtmf_features = Some(flags);
                drop(d);
                if !unknown.is_empty() {
                    ctx.warning(
                        crate::site!("bridge_basic.c", 183, "build_dtmf_features"),
                        &format!(
                            "Features '{unknown}' from features string '{value}' can not be applied."
                        ),
                    );
                }
            }
            Err(msg) => {
                drop(d);
                ctx.error(
                    crate::site!("bridge_basic.c", 0, "build_dtmf_features"),
                    &msg,
                );
                return Err(Failed);
            }
        }
    } else if is("callgroup") {
        d.props.callgroup = parse_group(value).0;
    } else if is("pickupgroup") {
        d.props.pickupgroup = parse_group(value).0;
    } else if is("namedcallgroup") {
        d.props.named_callgroups = NamedGroups::parse(value);
    } else if is("namedpickupgroup") {
        d.props.named_pickupgroups = NamedGroups::parse(value);
    } else if is("tdd")
        || is("relaxdtmf")
        || is("txgain")
        || is("rxgain")
        || is("digitdetect")
        || is("faxdetect")
    {
        // Channel options a Local channel does not take; Asterisk ignores
        // the answer too.
    } else if is("transfercapability") {
        if value != "UNK"
            && let Some(i) = TRANSFER_CAPABILITIES
                .iter()
                .position(|t| t.eq_ignore_ascii_case(value))
        {
            d.props.transfercapability = i as u16;
        }
    } else if item.len() >= 14 && item[..14].eq_ignore_ascii_case("secure_bridge_") {
        let on = crate::config::is_true(value);
        let s = d.props.secure.get_or_insert((false, false));
        if is("secure_bridge_signaling") {
            s.0 = on;
        } else if is("secure_bridge_media") {
            s.1 = on;
        }
    } else if is("max_forwards") {
        match scan_int(value) {
            Some(n) => d.props.max_forwards = n.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
            None => {
                drop(d);
                ctx.warning(
                    crate::site!(FILE, 791, "func_channel_write_real"),
                    &format!("Unable to set max forwards to '{value}'"),
                );
                return Err(Failed);
            }
        }
    } else if is("tenantid") {
        d.props.tenantid = value.to_string();
    } else {
        drop(d);
        return Err(unknown_item(ctx, item, true));
    }
    Ok(())
}

/// `ast_pbx_hangup_handler_push`: an empty location pushes nothing.
/// CHANNEL(hangup_handler_push|pop|wipe): the stack changes, and the
/// manager hears HangupHandlerPush for each handler pushed and
/// HangupHandlerPop for each popped (a wipe pops them all).
fn write_hangup_handlers(chan: &Arc<Channel>, op: &str, location: &str) {
    match op {
        "pop" => {
            pop_handler(chan);
        }
        "wipe" => while pop_handler(chan) {},
        "push" => {}
        _ => return,
    }
    push_handler(chan, location);
}

/// `ast_pbx_hangup_handler_pop`: `false` when the stack was empty.
fn pop_handler(chan: &Channel) -> bool {
    let popped = {
        let mut d = chan.lock();
        (!d.hangup_handlers.is_empty()).then(|| d.hangup_handlers.remove(0))
    };
    if let Some(h) = &popped {
        hangup_handler_event(chan, "HangupHandlerPop", h);
    }
    popped.is_some()
}

/// `ast_pbx_hangup_handler_push`: the location completed from where the
/// channel is now (`expand_gosub_args`), on top of the stack.
fn push_handler(chan: &Arc<Channel>, location: &str) {
    if location.is_empty() {
        return;
    }
    let expanded = crate::apps::dial::expand_gosub_args(chan, location);
    chan.lock().hangup_handlers.insert(0, expanded.clone());
    hangup_handler_event(chan, "HangupHandlerPush", &expanded);
}

/// HangupHandlerPush, HangupHandlerPop or HangupHandlerRun.
pub fn hangup_handler_event(chan: &Channel, name: &str, handler: &str) {
    chan.emit(crate::core::events::EventKind::Manager {
        class: crate::manager::class::DIALPLAN,
        name: name.to_string(),
        body: format!("Handler: {handler}\r\n"),
    });
}

fn channels_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    // REG_ICASE: the glibc-compatible engine has no case folding, so both
    // sides are folded to lower case instead.
    let filter = if args.is_empty() {
        None
    } else {
        match Regex::new(&args.to_lowercase()) {
            Ok(re) => Some(re),
            Err(e) => {
                ctx.warning(
                    crate::site!(FILE, 852, "func_channels_read"),
                    &format!(
                        "Error compiling regular expression for {}({args}): {e}",
                        ctx.name
                    ),
                );
                return Err(Failed);
            }
        }
    };
    let names: Vec<String> = ctx
        .sys
        .pbx
        .channels
        .all()
        .into_iter()
        .map(|c| c.name.clone())
        .filter(|n| {
            filter
                .as_ref()
                .is_none_or(|re| re.search(&n.to_lowercase(), false).is_some())
        })
        .collect();
    Ok(names.join(" "))
}

fn channel_exists_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        ctx.warning(
            crate::site!(FILE, 902, "func_chan_exists_read"),
            &format!("{}: Channel name or unique ID required", ctx.name),
        );
        return Err(Failed);
    }
    let channels = &ctx.sys.pbx.channels;
    let found = channels.by_name(args).is_some() || channels.by_uniqueid(args).is_some();
    Ok(if found { "1" } else { "0" }.into())
}

/// The channel whose uniqueid (or name) is `chan`'s linked id, as
/// `ast_channel_get_by_name` finds it; `chan` itself when it is gone.
fn master_of(ctx: &FuncCtx<'_>, chan: &Arc<Channel>) -> Arc<Channel> {
    let linkedid = chan.lock().linkedid.clone();
    let channels = &ctx.sys.pbx.channels;
    channels
        .by_name(&linkedid)
        .or_else(|| channels.by_uniqueid(&linkedid))
        .unwrap_or_else(|| chan.clone())
}

/// `MASTER_CHANNEL(x)`: `${x}` substituted on the master channel.
fn master_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 926, "func_mchan_read"))?;
    let master = master_of(ctx, chan);
    Ok(crate::pbx::subst::substitute(
        ctx.sys,
        Some(&master),
        &format!("${{{data}}}"),
    ))
}

/// `MASTER_CHANNEL(x)=v`: sets `x` on the master channel.
fn master_write(ctx: &FuncCtx<'_>, data: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 945, "func_mchan_write"))?;
    let master = master_of(ctx, chan);
    crate::pbx::set_var(ctx.sys, Some(&master), data, Some(value));
    Ok(())
}
