//! ChanIsAvail (Asterisk's `app_chanisavail.c`): finds which of several
//! devices can take a call, by asking each one's driver for a channel
//! (made and dropped at once) and, with options, by device state first.
//! AVAILCHAN, AVAILORIGCHAN, AVAILSTATUS and AVAILCAUSECODE say what it
//! found.

use std::sync::Arc;

use super::dial::{Start, request};
use super::{App, AppCtx, AppFuture, AppResult, Run, separate_args};
use crate::channels::{Channel, softhangup};
use crate::core::devicestate::{DeviceState, device_state};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "ChanIsAvail",
        run: Run::Wait(chanisavail),
        synopsis: "Checks which of a list of devices could take a call.",
        syntax: "ChanIsAvail(Technology/Resource[&Technology2/Resource2...][,options])",
    }]
}

/// `enum ast_device_state` as the number AVAILSTATUS shows.
fn state_number(s: DeviceState) -> i32 {
    match s {
        DeviceState::Unknown => 0,
        DeviceState::NotInUse => 1,
        DeviceState::InUse => 2,
        DeviceState::Busy => 3,
        DeviceState::Invalid => 4,
        DeviceState::Unavailable => 5,
        DeviceState::Ringing => 6,
        DeviceState::RingInUse => 7,
        DeviceState::OnHold => 8,
    }
}

/// `ast_parse_device_state`: the state of the first channel named
/// `device-…`, Unknown when there is none.
fn parse_device_state(ctx: &AppCtx, device: &str) -> DeviceState {
    let found = ctx
        .sys
        .pbx
        .channels
        .by_prefix(&format!("{device}-"))
        .into_iter()
        .next();
    match found {
        None => DeviceState::Unknown,
        Some(c) if c.is_held() => DeviceState::OnHold,
        Some(c) => DeviceState::from_chan_state(c.state()),
    }
}

/// Hangs up a channel ChanIsAvail asked for but never called, with its
/// call detail record disabled as the application does.
fn drop_unused(ctx: &AppCtx, chan: &Arc<Channel>, start: Start) {
    ctx.sys.cdr.with(|s| s.set_property(&chan.name, true, true));
    match start {
        // The other half has no dialplan yet: it goes with its owner.
        Start::Local(two) => {
            two.softhangup_quiet(softhangup::DEV);
            crate::channels::local::unlink(&two);
            ctx.sys.pbx.channels.unregister(&two);
        }
        Start::Sip(_, out) => drop(out),
    }
    crate::pbx::run::hangup_channel(&ctx.sys, chan);
}

fn chanisavail<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { chanisavail_exec(ctx, &data).await })
}

async fn chanisavail_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = separate_args(data, ',', 2);
    let reqchans = args.first().map(String::as_str).unwrap_or("");
    let options = args.get(1).map(String::as_str).unwrap_or("");
    // Asterisk looks for each letter anywhere in the option string.
    let all_avail = options.contains('a');
    let by_state = options.contains('s');
    let by_name = options.contains('t');

    let (mut chans, mut origs, mut states, mut causes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Carried from one device to the next, as in Asterisk: once a state
    // says busy, later devices are not asked without an option of theirs.
    let mut inuse: i32 = -1;
    for item in reqchans.split('&') {
        let item = crate::funcs::c::strip(item);
        let Some((tech, number)) = item.split_once('/') else {
            if !item.is_empty() {
                ctx.warning(
                    crate::site!("app_chanisavail.c", 159, "chanavail_exec"),
                    &format!("Invalid ChanIsAvail technology/resource argument: '{item}'"),
                );
            }
            states.push(state_number(DeviceState::Invalid).to_string());
            continue;
        };
        let device = format!("{tech}/{number}");
        let mut status = state_number(DeviceState::Unknown);
        if by_name {
            status = state_number(parse_device_state(ctx, &device));
            inuse = status;
        } else if by_state {
            status = state_number(device_state(&ctx.sys, &device));
            inuse = status;
        }
        states.push(status.to_string());
        if inuse > state_number(DeviceState::NotInUse) {
            continue;
        }
        let Ok((temp, start)) = request(&ctx.sys, &ctx.chan, &device).await else {
            continue;
        };
        chans.push(temp.name.clone());
        origs.push(device);
        // ast_request leaves the cause at "not defined" when it succeeds.
        causes.push("0".to_string());
        drop_unused(ctx, &temp, start);
        if !all_avail {
            break;
        }
    }
    ctx.set_var("AVAILCHAN", Some(&chans.join("&")));
    ctx.set_var("AVAILORIGCHAN", Some(&origs.join("&")));
    ctx.set_var("AVAILSTATUS", Some(&states.join("&")));
    ctx.set_var("AVAILCAUSECODE", Some(&causes.join("&")));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_number_as_asterisk_enumerates_them() {
        assert_eq!(state_number(DeviceState::Unknown), 0);
        assert_eq!(state_number(DeviceState::Invalid), 4);
        assert_eq!(state_number(DeviceState::OnHold), 8);
    }
}
