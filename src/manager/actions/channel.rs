//! Hangup, Status, Redirect and AbsoluteTimeout: actions on live
//! channels.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{BoxFuture, now};
use crate::channels::{Channel, softhangup};
use crate::manager::events::channel_state;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};
use crate::pbx::expr::posix_re::Regex;

/// `ast_manager_hangup_helper` with `ast_channel_softhangup_withcause_locked`.
pub fn hangup<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let target = m.get("Channel");
    if target.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No channel specified")));
    }
    let sys = s.sys().clone();
    let cause_text = m.get("Cause");
    let mut cause: u32 = 0;
    if !cause_text.is_empty() {
        match cause_text.parse::<i64>() {
            Ok(n) if (0..=127).contains(&n) => cause = n as u32,
            _ => sys.pbx.logger.notice(
                crate::site!("manager.c", 3475, "ast_manager_hangup_helper"),
                None,
                &format!("Invalid 'Cause: {cause_text}' in manager action Hangup"),
            ),
        }
    }
    let reply = hangup_targets(s, m, target, &mut |c| {
        if cause > 0 {
            c.lock().hangupcause = cause;
        }
        c.softhangup_quiet(softhangup::EXPLICIT);
    });
    now(Flow::Reply(reply))
}

/// The rest of `ast_manager_hangup_helper`, once the cause is worked out:
/// `hang` runs on the channel named, or on each channel the `/regex/`
/// matches (each then listed in a ChannelHungup event).
pub(super) fn hangup_targets(
    s: &Session,
    m: &Message,
    target: &str,
    hang: &mut dyn FnMut(&Arc<Channel>),
) -> Reply {
    let sys = s.sys().clone();
    // By name and by regex are two ast_verb calls in Asterisk.
    let mut hang = |c: &Arc<Channel>, site: &crate::core::logger::Site<'_>| {
        sys.pbx.logger.verbose(
            3,
            site,
            None,
            &format!(
                "{}Manager '{}' from {}, hanging up channel: {}",
                if s.managerid != 0 { "HTTP " } else { "" },
                s.username,
                s.peer.ip(),
                c.name
            ),
        );
        hang(c);
    };
    if !target.starts_with('/') {
        let Some(c) = sys.pbx.channels.by_name(target) else {
            sys.pbx.logger.notice(
                crate::site!("manager.c", 3486, "ast_manager_hangup_helper"),
                None,
                &format!("Request to hangup non-existent channel: {target}"),
            );
            return Reply::error(m, "No such channel");
        };
        hang(
            &c,
            crate::site!("manager.c", 3492, "ast_manager_hangup_helper"),
        );
        return Reply::ack(m, "Channel Hungup");
    }
    let mut pattern = &target[1..];
    if target.len() > 1 && target.ends_with('/') {
        pattern = &pattern[..pattern.len() - 1];
    }
    let Ok(re) = Regex::new(pattern) else {
        return Reply::error(m, &format!("Regex compile failed on: {target}"));
    };
    let mut r = Reply::list_start(m, "Channels hung up will follow");
    let mut n = 0;
    for c in sys.pbx.channels.in_container_order() {
        if re.search(&c.name, false).is_none() {
            continue;
        }
        hang(
            &c,
            crate::site!("manager.c", 3538, "ast_manager_hangup_helper"),
        );
        n += 1;
        r.line("Event", "ChannelHungup")
            .line("Channel", &c.name)
            .action_id(m)
            .end();
    }
    r.list_complete(m, "ChannelsHungupListComplete", n);
    r
}

/// `action_status` / `generate_status`.
pub fn status<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let wanted = m.get("Variables");
    let all_vars = crate::config::is_true(m.get("AllVariables"));
    if !super::vars::allowed_for(wanted, s.writeperm) {
        return now(Flow::Reply(Reply::error(
            m,
            "Status Access Forbidden: Variables",
        )));
    }
    let chans = match super::named_channel(&sys, m) {
        Ok(Some(c)) => vec![c],
        Ok(None) => sys.pbx.channels.in_container_order(),
        Err(r) => return now(Flow::Reply(r)),
    };
    let vars: Vec<String> = if wanted.is_empty() {
        Vec::new()
    } else {
        crate::apps::separate_args(wanted, ',', 100)
    };
    let mut r = Reply::list_start(m, "Channel status will follow");
    let now_t = SystemTime::now();
    for c in &chans {
        let snap = c.snapshot();
        let mut var_lines = String::new();
        for v in &vars {
            // A function that fails reads as empty; a variable that is
            // not set is a NULL pointer, which glibc prints as `(null)`.
            let val = if v.ends_with(')') {
                crate::funcs::read(&sys, Some(c), v).unwrap_or_default()
            } else {
                crate::pbx::subst::retrieve_variable(&sys, Some(c), v)
                    .unwrap_or_else(|| "(null)".into())
            };
            var_lines.push_str(&format!("Variable: {v}={val}\r\n"));
        }
        let d = c.lock();
        if all_vars {
            for (n, v) in d.vars.iter() {
                var_lines.push_str(&format!("Variable: {n}={v}\r\n"));
            }
        }
        let eff_num = d
            .connected
            .id
            .number()
            .filter(|n| !n.is_empty())
            .unwrap_or("<unknown>")
            .to_string();
        let eff_name = d
            .connected
            .id
            .name()
            .filter(|n| !n.is_empty())
            .unwrap_or("<unknown>")
            .to_string();
        let hangup_at = d
            .when_to_hangup
            .map(|t| {
                let left = t.saturating_duration_since(Instant::now());
                (now_t + left)
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|x| x.as_secs())
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        let (callgroup, pickupgroup) = (d.props.callgroup, d.props.pickupgroup);
        drop(d);
        let seconds = now_t
            .duration_since(c.created)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        r.line("Event", "Status").line("Privilege", "Call");
        r.raw(&channel_state(&snap, ""));
        r.line("Type", c.tech)
            .line("DNID", &snap.dnid)
            .line("EffectiveConnectedLineNum", eff_num)
            .line("EffectiveConnectedLineName", eff_name)
            .line("TimeToHangup", hangup_at)
            .line("BridgeID", "")
            .line("Application", &snap.appl)
            .line("Data", &snap.data)
            // Local channels carry signed linear; no other driver exists yet.
            .line("Nativeformats", "(slin)")
            .line("Readformat", "slin")
            .line("Readtrans", "")
            .line("Writeformat", "slin")
            .line("Writetrans", "")
            .line("Callgroup", callgroup)
            .line("Pickupgroup", pickupgroup)
            .line("Seconds", seconds)
            .raw(&var_lines)
            .action_id(m)
            .end();
    }
    r.list_complete_open(m, "StatusComplete", chans.len());
    r.line("Items", chans.len()).end();
    now(Flow::Reply(r))
}

/// `action_redirect`.
pub fn redirect<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let (name, name2) = (m.get("Channel"), m.get("ExtraChannel"));
    let (exten, exten2) = (m.get("Exten"), m.get("ExtraExten"));
    let (context, context2) = (m.get("Context"), m.get("ExtraContext"));
    let (priority, priority2) = (m.get("Priority"), m.get("ExtraPriority"));
    let err = |msg: &str| now(Flow::Reply(Reply::error(m, msg)));
    if name.is_empty() {
        return err("Channel not specified");
    }
    if context.is_empty() {
        return err("Context not specified");
    }
    if exten.is_empty() {
        return err("Exten not specified");
    }
    if priority.is_empty() {
        return err("Priority not specified");
    }
    let pi = super::parse_priority(&sys, context, exten, priority).unwrap_or(0);
    if pi < 1 {
        return err("Priority is invalid");
    }
    let mut pi2 = 0;
    if !name2.is_empty() && !context2.is_empty() {
        if exten2.is_empty() {
            return err("ExtraExten not specified");
        }
        if priority2.is_empty() {
            return err("ExtraPriority not specified");
        }
        pi2 = super::parse_priority(&sys, context2, exten2, priority2).unwrap_or(0);
        if pi2 < 1 {
            return err("ExtraPriority is invalid");
        }
    }
    let Some(chan) = sys.pbx.channels.by_name(name) else {
        return err(&format!("Channel does not exist: {name}"));
    };
    if chan.check_hangup() {
        return err("Redirect failed, channel not up.");
    }
    if name2.is_empty() {
        return now(Flow::Reply(
            match crate::pbx::run::async_goto(&chan, context, exten, pi) {
                Ok(()) => Reply::ack(m, "Redirect successful"),
                Err(()) => Reply::error(m, "Redirect failed"),
            },
        ));
    }
    let Some(chan2) = sys.pbx.channels.by_name(name2) else {
        return err(&format!("ExtraChannel does not exist: {name2}"));
    };
    if chan2.check_hangup() {
        return err("Redirect failed, extra channel not up.");
    }
    if crate::pbx::run::async_goto(&chan, context, exten, pi).is_err() {
        return err("Redirect failed");
    }
    let second = if context2.is_empty() {
        crate::pbx::run::async_goto(&chan2, context, exten, pi)
    } else {
        crate::pbx::run::async_goto(&chan2, context2, exten2, pi2)
    };
    now(Flow::Reply(match second {
        Ok(()) => Reply::ack(m, "Dual Redirect successful"),
        Err(()) => Reply::error(m, "Secondary redirect failed"),
    }))
}

/// `action_timeout`.
pub fn absolute_timeout<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Channel");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No channel specified")));
    }
    let timeout = crate::funcs::c::scan_double(m.get("Timeout")).unwrap_or(0.0);
    if timeout <= 0.0 || !timeout.is_finite() {
        return now(Flow::Reply(Reply::error(m, "No timeout specified")));
    }
    let Some(c) = s.sys().pbx.channels.by_name(name) else {
        return now(Flow::Reply(Reply::error(m, "No such channel")));
    };
    c.lock().when_to_hangup = Some(Instant::now() + Duration::from_secs_f64(timeout.min(1e9)));
    c.wake();
    now(Flow::Reply(Reply::ack(m, "Timeout Set")))
}

/// `action_coreshowchannelmap`: the channels bridged with a channel.
/// Channels here are never in a bridge that AMI shows (CoreShowChannel's
/// BridgeId is empty), so a known channel's map is empty.
pub fn show_channel_map<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Channel");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "CoreShowChannelMap requires a channel.\n",
        )));
    }
    if s.sys().pbx.channels.by_name(name).is_none() {
        return now(Flow::Reply(Reply::error(
            m,
            "Could not get channel snapshot\n",
        )));
    }
    let mut r = Reply::list_start(m, "Channel map will follow");
    r.list_complete(m, "CoreShowChannelMapComplete", 0);
    now(Flow::Reply(r))
}

/// app_senddtmf's `manager_play_dtmf`: the first character of `Digit`
/// goes to the channel's device, or with `Receive` is queued as if the
/// device had sent it.
pub fn play_dtmf<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    Box::pin(async move {
        let Some(chan) = sys.pbx.channels.by_name(m.get("Channel")) else {
            return Flow::Reply(Reply::error(m, "Channel not found"));
        };
        let Some(digit) = m.get("Digit").chars().next() else {
            return Flow::Reply(Reply::error(m, "No digit specified"));
        };
        let duration = m.get("Duration");
        let duration_ms = if duration.is_empty() {
            0
        } else {
            match duration_header(duration) {
                Some(v) => v,
                None => {
                    return Flow::Reply(Reply::error(m, "Could not convert Duration parameter"));
                }
            }
        };
        if crate::config::is_true(m.get("Receive")) {
            chan.queue_dtmf(digit, duration_ms);
        } else {
            chan.send_digit_external(digit, duration_ms).await;
        }
        Flow::Reply(Reply::ack(m, "DTMF successfully queued"))
    })
}

/// `%30u` for a Duration: strtoul, keeping the low 32 bits (so "-1"
/// wraps); None when it is no number.
fn duration_header(text: &str) -> Option<u32> {
    crate::funcs::c::scan_long(text, 30).map(|(v, _)| v as u32)
}

/// app_mf's `manager_play_mf`: the digits of `Digit` are played to the
/// channel as MF tones; the answer comes once they have been played.
pub fn play_mf<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    use crate::apps::mf;
    let sys = s.sys().clone();
    Box::pin(async move {
        let Some(chan) = sys.pbx.channels.by_name(m.get("Channel")) else {
            return Flow::Reply(Reply::error(m, "Channel not found"));
        };
        let digits = m.get("Digit");
        if digits.is_empty() {
            return Flow::Reply(Reply::error(m, "No digit specified"));
        }
        // KP and the ST digits alone have their own default length.
        let mut duration_ms = match digits {
            "*" => mf::MF_KP_DURATION,
            "#" | "A" | "B" | "C" => mf::MF_ST_DURATION,
            _ => mf::MF_DURATION,
        };
        let duration = m.get("Duration");
        if !duration.is_empty() {
            match duration_header(duration) {
                Some(v) => duration_ms = v,
                None => {
                    return Flow::Reply(Reply::error(m, "Could not convert Duration parameter"));
                }
            }
        }
        let ctx = crate::apps::AppCtx { sys, chan };
        let durations = (duration_ms, duration_ms, duration_ms);
        let _ = mf::mf_stream(&ctx, digits, 0, durations, mf::Waits::External).await;
        Flow::Reply(Reply::ack(m, "MF successfully queued"))
    })
}

/// app_senddtmf's `manager_send_flash`: a flash written to the channel
/// (its driver sends it on), or with `Receive` queued as if the device had
/// flashed.
pub fn send_flash<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    use crate::channels::HookSignal;
    let Some(chan) = s.sys().pbx.channels.by_name(m.get("Channel")) else {
        return now(Flow::Reply(Reply::error(m, "Channel not found")));
    };
    if crate::config::is_true(m.get("Receive")) {
        chan.hook_signal_read(HookSignal::Flash);
    } else {
        chan.write_hook_signal(HookSignal::Flash);
    }
    now(Flow::Reply(Reply::ack(m, "Flash successfully queued")))
}

/// app_controlplayback's `controlplayback_manager`: a stream control
/// queued on the channel, for what plays a file to it.
pub fn control_playback<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    use crate::channels::media::StreamControl;
    let (name, control) = (m.get("Channel"), m.get("Control"));
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Channel not specified")));
    }
    if control.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Control not specified")));
    }
    let Some(chan) = s.sys().pbx.channels.by_name(name) else {
        return now(Flow::Reply(Reply::error(m, "No such channel")));
    };
    let control = match control.to_ascii_lowercase().as_str() {
        "stop" => StreamControl::Stop,
        "forward" => StreamControl::Forward,
        "reverse" => StreamControl::Reverse,
        "pause" => StreamControl::Suspend,
        "restart" => StreamControl::Restart,
        _ => return now(Flow::Reply(Reply::error(m, "Unknown control type"))),
    };
    chan.queue_stream_control(control);
    now(Flow::Reply(Reply::response("Success", m, None)))
}

/// LocalOptimizeAway (core_local's `manager_optimize_away`): lets a Local
/// pair made with `/n` optimise itself away after all.
pub fn local_optimize_away<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Channel");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(m, "'Channel' not specified.")));
    }
    let Some(chan) = s.sys().pbx.channels.by_name(name) else {
        return now(Flow::Reply(Reply::error(m, "Channel does not exist.")));
    };
    let reply = match chan.registry().and_then(|r| r.local_of(&chan)) {
        Some(pvt) => {
            pvt.allow_optimization();
            Reply::ack(m, "Queued channel to be optimized away")
        }
        None => Reply::error(m, "Unable to find channel"),
    };
    now(Flow::Reply(reply))
}

/// SendText (`action_sendtext`): text for a channel's device, with an
/// optional `Content-Type`; the driver sends it when the channel next
/// reads (at once here), and the answer does not wait for it.
pub fn send_text<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (name, text) = (m.get("Channel"), m.get("Message"));
    let reply = if name.is_empty() {
        Reply::error(m, "No channel specified")
    } else if text.is_empty() {
        Reply::error(m, "No Message specified")
    } else {
        let chans = &s.sys().pbx.channels;
        match chans.by_name(name).or_else(|| chans.by_uniqueid(name)) {
            None => Reply::error(m, "No such channel"),
            Some(chan) => {
                let content_type = m.get("Content-Type");
                if let Some(d) = chan.driver() {
                    d.send_text(
                        &chan,
                        text,
                        (!content_type.is_empty()).then_some(content_type),
                    );
                }
                Reply::ack(m, "Success")
            }
        }
    };
    now(Flow::Reply(reply))
}
