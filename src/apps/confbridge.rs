//! ConfBridge and ConfKick (Asterisk's `apps/app_confbridge.c`): the
//! caller joins a conference (`crate::confbridge`) with a bridge profile,
//! a user profile and a DTMF menu from confbridge.conf.

use std::sync::Arc;
use std::time::Duration;

use super::playback::{Streamed, stream_file};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run};
use crate::channels::ChanState;
use crate::channels::media::DigitReader;
use crate::confbridge::{Conference, Joined, MAX_CONF_NAME, User};
use crate::config::views::confbridge::{
    BridgeProfile, DEFAULT_BRIDGE, DEFAULT_MENU, DEFAULT_USER, Dynamic, Menu, MenuAction,
};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "ConfBridge",
            run: Run::Wait(confbridge),
            synopsis: "Puts the caller in a conference mixed with everyone else in it.",
            syntax: "ConfBridge(conference[,bridge_profile[,user_profile[,menu]]])",
        },
        App {
            name: "ConfKick",
            run: Run::Now(conf_kick),
            synopsis: "Removes one participant, the non-admins or everyone from a conference.",
            syntax: "ConfKick(conference[,channel])",
        },
    ]
}

pub fn functions() -> Vec<crate::funcs::Function> {
    vec![
        crate::funcs::Function {
            name: "CONFBRIDGE",
            read: None,
            write: Some(confbridge_func_write),
            synopsis: "Sets an option of the channel's own conference bridge or user profile, or menu.",
            syntax: "CONFBRIDGE(type,option)",
        },
        crate::funcs::Function {
            name: "CONFBRIDGE_CHANNELS",
            read: Some(confbridge_channels_read),
            write: None,
            synopsis: "Lists the channels of a conference (parties, active, waiting, admins, marked).",
            syntax: "CONFBRIDGE_CHANNELS(type,conf)",
        },
        crate::funcs::Function {
            name: "CONFBRIDGE_INFO",
            read: Some(confbridge_info_read),
            write: None,
            synopsis: "Reads a count (parties, admins, marked) or state (locked, muted) of a conference.",
            syntax: "CONFBRIDGE_INFO(type,conf)",
        },
    ]
}

/// `func_confbridge_helper`: `CONFBRIDGE(bridge|user|menu,option)=value`,
/// `clear` forgetting what was set. A line Asterisk would refuse is not
/// kept.
fn confbridge_func_write(
    ctx: &crate::funcs::FuncCtx<'_>,
    args: &str,
    value: &str,
) -> Result<(), crate::funcs::Failed> {
    let chan = ctx.require_channel(crate::site!(
        "conf_config_parser.c",
        1328,
        "func_confbridge_helper"
    ))?;
    let a = super::split_args(args, ',');
    let (kind, option) = (
        a.first().map(String::as_str).unwrap_or(""),
        a.get(1).map(String::as_str).unwrap_or(""),
    );
    if kind.is_empty() || option.is_empty() {
        return Err(crate::funcs::Failed);
    }
    let refuse = || {
        ctx.warning(
            crate::site!("conf_config_parser.c", 1447, "func_confbridge_helper"),
            &format!(
                "{}({kind},{option}) cannot be set to '{value}'. Invalid type, option, or value.",
                ctx.name
            ),
        );
        crate::funcs::Failed
    };
    let confs = &ctx.sys.confbridge;
    let mut lines = confs.dynamic(chan);
    let Some(list) = lines.of(kind) else {
        return Err(refuse());
    };
    if option.eq_ignore_ascii_case("clear") {
        confs.update_dynamic(chan, |d| {
            if let Some(l) = d.of(kind) {
                l.clear();
            }
        });
        return Ok(());
    }
    list.push((option.to_string(), value.to_string()));
    let candidate = list.clone();
    if ctx
        .sys
        .loaded()
        .confbridge
        .build_dynamic(kind, &candidate)
        .is_err()
    {
        return Err(refuse());
    }
    confs.update_dynamic(chan, |d| {
        if let Some(l) = d.of(kind) {
            *l = candidate;
        }
    });
    Ok(())
}

/// `func_confbridge_channels`: the channel names of a conference's
/// `parties`, `active` or `waiting` members, or its active `admins` or
/// `marked` ones, comma-separated.
fn confbridge_channels_read(
    ctx: &crate::funcs::FuncCtx<'_>,
    args: &str,
) -> Result<String, crate::funcs::Failed> {
    let a = super::split_args(args, ',');
    let (kind, name) = (
        a.first().map(String::as_str).unwrap_or(""),
        a.get(1).map(String::as_str).unwrap_or(""),
    );
    if kind.is_empty() || name.is_empty() {
        ctx.warning(
            crate::site!("app_confbridge.c", 3983, "func_confbridge_channels"),
            &format!("Usage: {}(category,confno)", ctx.name),
        );
        return Err(crate::funcs::Failed);
    }
    let Some(conf) = ctx.sys.confbridge.find(name) else {
        return Err(crate::funcs::Failed);
    };
    let users = conf.users();
    let pick: Box<dyn Fn(&User) -> bool> = match kind.to_ascii_lowercase().as_str() {
        "parties" => Box::new(|_| true),
        "active" => Box::new(|u| !u.waiting()),
        "waiting" => Box::new(|u| u.waiting()),
        "admins" => Box::new(|u| !u.waiting() && u.profile.admin),
        "marked" => Box::new(|u| !u.waiting() && u.profile.marked),
        _ => {
            ctx.error(
                crate::site!("app_confbridge.c", 4036, "func_confbridge_channels"),
                &format!("Invalid keyword '{kind}' passed to {}.", ctx.name),
            );
            return Ok(String::new());
        }
    };
    Ok(users
        .iter()
        .filter(|u| pick(u))
        .map(|u| u.chan.name.clone())
        .collect::<Vec<_>>()
        .join(","))
}

/// `func_confbridge_info`: `parties`, `admins`, `marked`, `locked` or
/// `muted` of a conference; 0 for one not running.
fn confbridge_info_read(
    ctx: &crate::funcs::FuncCtx<'_>,
    args: &str,
) -> Result<String, crate::funcs::Failed> {
    let a = super::split_args(args, ',');
    let (kind, name) = (
        a.first().map(String::as_str).unwrap_or(""),
        a.get(1).map(String::as_str).unwrap_or(""),
    );
    if kind.is_empty() || name.is_empty() {
        return Err(crate::funcs::Failed);
    }
    let Some(conf) = ctx.sys.confbridge.find(name) else {
        return Ok("0".into());
    };
    let users = conf.users();
    let active = users.iter().filter(|u| !u.waiting());
    let n = match kind.to_ascii_lowercase().as_str() {
        "parties" => users.len(),
        "admins" => active.filter(|u| u.profile.admin).count(),
        "marked" => active.filter(|u| u.profile.marked).count(),
        "locked" => usize::from(conf.locked()),
        "muted" => usize::from(conf.all_muted()),
        _ => {
            ctx.error(
                crate::site!("app_confbridge.c", 4477, "func_confbridge_info"),
                &format!("Invalid keyword '{kind}' passed to CONFBRIDGE_INFO."),
            );
            0
        }
    };
    Ok(n.to_string())
}

fn result(ctx: &AppCtx, value: &str) {
    ctx.set_var("CONFBRIDGE_RESULT", Some(value));
}

fn failed(ctx: &AppCtx, line: u32, msg: &str) -> AppResult {
    result(ctx, "FAILED");
    let site = crate::core::logger::Site {
        file: "app_confbridge.c",
        line,
        function: "confbridge_exec",
    };
    ctx.warning(&site, msg);
    Err(AppExit::Hangup)
}

fn confbridge<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = super::split_args(&data, ',');
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
        let name = arg(0);
        if name.is_empty() {
            return failed(
                ctx,
                2719,
                "ConfBridge requires an argument (conference name[,options])",
            );
        }
        if name.len() >= MAX_CONF_NAME {
            return failed(
                ctx,
                2726,
                &format!(
                    "ConfBridge does not accept conference names longer than {}",
                    MAX_CONF_NAME - 1
                ),
            );
        }
        let loaded = ctx.sys.loaded();
        let conf = &loaded.confbridge;
        // Without a name, what CONFBRIDGE() set on the channel, if anything.
        let dynamic = ctx.sys.confbridge.dynamic(&ctx.chan);
        let built = |kind: &str, lines: &[(String, String)]| {
            (!lines.is_empty())
                .then(|| conf.build_dynamic(kind, lines).ok())
                .flatten()
        };
        let bname = if arg(1).is_empty() {
            DEFAULT_BRIDGE
        } else {
            arg(1)
        };
        let dyn_bridge = match built("bridge", &dynamic.bridge) {
            Some(Dynamic::Bridge(b)) if arg(1).is_empty() => Some(b),
            _ => None,
        };
        let Some(bprofile) = dyn_bridge.or_else(|| conf.bridge(bname).cloned()) else {
            return failed(
                ctx,
                2737,
                &format!("Conference bridge profile {bname} does not exist"),
            );
        };
        let uname = if arg(2).is_empty() {
            DEFAULT_USER
        } else {
            arg(2)
        };
        let dyn_user = match built("user", &dynamic.user) {
            Some(Dynamic::User(u)) if arg(2).is_empty() => Some(u),
            _ => None,
        };
        let Some(uprofile) = dyn_user.or_else(|| conf.user(uname).cloned()) else {
            return failed(
                ctx,
                2749,
                &format!("Conference user profile {uname} does not exist"),
            );
        };
        if ctx.chan.state() != ChanState::Up && uprofile.answer_channel {
            // `ast_answer`: a ringing caller gets up to 500 ms for media.
            super::builtins::answer_and_wait(ctx).await?;
        }
        let quiet = uprofile.quiet;
        if !uprofile.pin.is_empty() && !get_pin(ctx, &bprofile, &uprofile.pin).await {
            result(ctx, "FAILED");
            return Err(AppExit::Hangup);
        }
        let mname = if arg(3).is_empty() {
            DEFAULT_MENU
        } else {
            arg(3)
        };
        let Some(menu) = conf.menu(mname).cloned() else {
            return failed(
                ctx,
                2790,
                &format!("Conference menu profile {mname} does not exist"),
            );
        };
        let user = User::new(
            ctx.chan.clone(),
            uprofile.clone(),
            &bprofile.name,
            &menu.name,
        );
        let confr = ctx.sys.confbridge.find_or_create(&ctx.sys, name, &bprofile);
        let Ok(joined) = confr.add_user(&user) else {
            // Locked (or full) and not an admin: told so (quiet or not),
            // and gone.
            let _ = stream_file(ctx, confr.profile.sound("sound_locked"), "").await;
            result(ctx, "FAILED");
            return Err(AppExit::Hangup);
        };
        // Whoever had music alone (or waiting for this marked user) stops.
        confr.update_moh(&ctx.sys);
        if join_prompts(ctx, &confr, &user, joined).await.is_err() {
            leave_conference(ctx, &confr, &user);
            result(ctx, "FAILED");
            return Err(AppExit::Hangup);
        }
        if !quiet && !uprofile.hear_own_join_sound {
            // Everyone else hears the join sound before the member is in.
            let join = confr.profile.sound("sound_join").to_string();
            if confr.announce_and_wait(&ctx.chan, &[join]).await.is_err() {
                leave_conference(ctx, &confr, &user);
                result(ctx, "FAILED");
                return Err(AppExit::Hangup);
            }
        }
        // Music (alone, or waiting) starts before the member is in.
        confr.allow_moh(&ctx.sys, &user, true);
        confr.enter(&user);
        let outcome = stay(ctx, &confr, &user, &menu).await;
        confr.leave_bridge(&ctx.sys, &user);
        // `channel_set_cause`: a channel leaves the bridge with a normal
        // clearing unless it has a cause already.
        {
            let mut d = ctx.chan.lock();
            if d.hangupcause == 0 {
                d.hangupcause = crate::channels::causes::NORMAL_CLEARING;
            }
        }
        // Music playing on stays until the kicked prompt replaces it or the
        // member is gone (`leave_conference`).
        confr.hold_moh(&user);
        if !user.kicked() && ctx.chan.check_hangup() {
            result(ctx, "HANGUP");
        }
        if !quiet && user.kicked() && !ctx.chan.check_hangup() {
            let _ = stream_file(ctx, confr.profile.sound("sound_kicked"), "").await;
        }
        leave_conference(ctx, &confr, &user);
        if ctx.chan.check_hangup() {
            return Err(AppExit::Hangup);
        }
        // A menu's leave_conference set CONFBRIDGE_RESULT already.
        let (Stay::Left | Stay::Done) = outcome;
        Ok(())
    })
}

fn leave_conference(ctx: &AppCtx, conf: &Arc<Conference>, user: &Arc<User>) {
    conf.remove_user(&ctx.sys, user);
}

/// `conf_get_pin`: three tries at the user profile's pin.
async fn get_pin(ctx: &AppCtx, b: &BridgeProfile, pin: &str) -> bool {
    let mut first: Option<char> = None;
    for _ in 0..3 {
        let mut guess = String::new();
        let got = super::read::getdata(ctx, b.sound("sound_get_pin"), &mut guess, 80, 0, "#").await;
        if let Some(d) = first.take() {
            guess.insert(0, d);
        }
        if got != super::read::GetData::Failed && guess.eq_ignore_ascii_case(pin) {
            return true;
        }
        if ctx.chan.check_hangup() {
            return false;
        }
        match stream_file(ctx, b.sound("sound_invalid_pin"), "0123456789*#").await {
            Streamed::Digit(d) => first = Some(d),
            Streamed::Hangup => return false,
            _ => {}
        }
    }
    false
}

/// What a member hears before it enters the bridge (`join_conference_
/// bridge`): the profile's announcement, how many others there are
/// (`announce_user_count`), the count told to everyone
/// (`announce_user_count_all`), then the join's own prompts: alone, the
/// only-person prompt; waiting for a marked user, the wait prompt; the
/// first marked user bringing waiting ones in, the conference's begin
/// sound to everyone.
async fn join_prompts(
    ctx: &AppCtx,
    conf: &Arc<Conference>,
    user: &Arc<User>,
    joined: Joined,
) -> Result<(), ()> {
    let p = &user.profile;
    let b = &conf.profile;
    let play = |s: String| async move {
        match stream_file(ctx, &s, "").await {
            Streamed::Hangup => Err(()),
            _ => Ok(()),
        }
    };
    if !p.announcement.is_empty() {
        play(p.announcement.clone()).await?;
    }
    // `activeusers` counts the member itself.
    let active = if user.waiting() {
        conf.others(user)
    } else {
        conf.others(user) + 1
    };
    if p.announce_user_count && active > 1 {
        if active == 2 {
            play(b.sound("sound_only_one").to_string()).await?;
        } else {
            play(b.sound("sound_there_are").to_string()).await?;
            if super::say::say_number(ctx, (active - 1) as i32, "").await
                == super::say::Said::Failed
                && ctx.chan.check_hangup()
            {
                return Err(());
            }
            play(b.sound("sound_other_in_party").to_string()).await?;
        }
    }
    if p.announce_user_count_all && active > p.announce_user_count_all_after as usize {
        let sounds = count_sounds(conf, active);
        if !sounds.is_empty() {
            conf.announce_and_wait(&ctx.chan, &sounds)
                .await
                .map_err(|_| ())?;
        }
    }
    if joined.only_person && !p.quiet && p.announce_only_user {
        play(b.sound("sound_only_person").to_string()).await?;
    }
    if joined.waiting && !p.quiet {
        play(b.sound("sound_wait_for_leader").to_string()).await?;
    }
    if joined.play_begin {
        conf.announce_and_wait(&ctx.chan, &[b.sound("sound_begin").to_string()])
            .await
            .map_err(|_| ())?;
    }
    Ok(())
}

/// What everyone hears of how many are in (`announce_user_count` with no
/// user): one other, or "there are N others", when the files exist.
fn count_sounds(conf: &Conference, active: usize) -> Vec<String> {
    let b = &conf.profile;
    if active == 2 {
        return vec![b.sound("sound_only_one").to_string()];
    }
    let (there, other) = (b.sound("sound_there_are"), b.sound("sound_other_in_party"));
    if !conf.sound_exists(there) || !conf.sound_exists(other) {
        return Vec::new();
    }
    let mut v = vec![there.to_string()];
    v.extend(crate::media::say::number_files_en((active - 1) as i32).0);
    v.push(other.to_string());
    v
}

enum Stay {
    /// Hung up, kicked, or the conference ended it.
    Done,
    /// Left on its own: the menu's `leave_conference`, or its time was
    /// up (CONFBRIDGE_RESULT set already).
    Left,
}

/// How long a partial menu sequence waits for its next digit.
const MENU_DIGIT_TIMEOUT: Duration = Duration::from_millis(3000);

/// In the bridge until hung up, kicked or leaving: the menu's digits,
/// music when alone (`music_on_hold_when_empty`).
async fn stay(ctx: &AppCtx, conf: &Arc<Conference>, user: &Arc<User>, menu: &Menu) -> Stay {
    let mut seq = String::new();
    let mut seq_at: Option<std::time::Instant> = None;
    let mut pending: Option<char> = None;
    let joined_at = std::time::Instant::now();
    let timeout =
        (user.profile.timeout > 0).then(|| Duration::from_secs(u64::from(user.profile.timeout)));
    loop {
        if user.kicked() || ctx.chan.check_hangup() {
            return Stay::Done;
        }
        if user.wants_out() {
            return Stay::Left;
        }
        if let Some(t) = timeout
            && joined_at.elapsed() >= t
        {
            // `user_timeout`: out of the bridge, not kicked.
            result(ctx, "TIMEOUT");
            return Stay::Left;
        }
        // Woken at once by a kick, a leave, a digit or a hangup; every
        // 200 ms otherwise (a menu sequence's time, the profile's).
        let mut digit = pending.take();
        let waited = if digit.is_some() {
            Ok(Ok(()))
        } else {
            tokio::time::timeout(
                Duration::from_millis(200),
                ctx.chan.wait_for(|c| {
                    if user.wants_out() {
                        return true;
                    }
                    digit = c.take_digit(DigitReader::Frames);
                    digit.is_some()
                }),
            )
            .await
        };
        if let Ok(Err(_)) = waited {
            return Stay::Done;
        }
        match digit {
            None => {
                if seq_at.is_some_and(|t| t.elapsed() >= MENU_DIGIT_TIMEOUT) {
                    // A partial sequence timed out: it matches nothing.
                    seq.clear();
                    seq_at = None;
                }
            }
            Some(d) => {
                seq_at = Some(std::time::Instant::now());
                seq.push(d);
                let exact = menu.entries.iter().find(|e| e.dtmf == seq);
                let longer = menu
                    .entries
                    .iter()
                    .any(|e| e.dtmf.len() > seq.len() && e.dtmf.starts_with(&seq));
                if let Some(e) = exact.filter(|_| !longer) {
                    let actions = e.actions.clone();
                    seq.clear();
                    seq_at = None;
                    match run_actions(ctx, conf, user, &actions).await {
                        Err(()) => return Stay::Done,
                        Ok(fed) => pending = fed,
                    }
                } else if !longer {
                    seq.clear();
                    seq_at = None;
                }
            }
        }
    }
}

/// A menu entry's actions, in order (`execute_menu_entry`).
async fn run_actions(
    ctx: &AppCtx,
    conf: &Arc<Conference>,
    user: &Arc<User>,
    actions: &[MenuAction],
) -> Result<Option<char>, ()> {
    let sound = |o: &str| conf.profile.sound(o).to_string();
    // A digit that stopped a prompt starts the next sequence
    // (`ast_bridge_channel_feature_digit_add`).
    let mut fed = None;
    for a in actions {
        match a {
            MenuAction::ToggleMute => {
                let mute = !user.muted();
                conf.set_mute(user, mute);
                let s = sound(if mute { "sound_muted" } else { "sound_unmuted" });
                prompt(ctx, conf, user, &s, &mut fed).await?;
            }
            MenuAction::Leave => {
                result(ctx, "DTMF");
                user.ask_leave();
                return Ok(fed);
            }
            MenuAction::ParticipantCount => {
                // `announce_user_count` to the member: nothing when alone.
                let others = conf.others(user);
                if others == 1 {
                    prompt(ctx, conf, user, &sound("sound_only_one"), &mut fed).await?;
                } else if others > 1 {
                    private(ctx, conf, user, &sound("sound_there_are")).await?;
                    user.set_private_sound(true);
                    let _ = super::say::say_number(ctx, others as i32, "").await;
                    user.set_private_sound(false);
                    prompt(ctx, conf, user, &sound("sound_other_in_party"), &mut fed).await?;
                }
            }
            MenuAction::AdminKickLast => {
                if !user.profile.admin {
                    continue;
                }
                match conf.last_non_admin() {
                    Some(last) if !Arc::ptr_eq(&last, user) => conf.kick(&ctx.sys, &last),
                    _ => prompt(ctx, conf, user, &sound("sound_error_menu"), &mut fed).await?,
                }
            }
            MenuAction::AdminToggleLock => {
                if !user.profile.admin {
                    continue;
                }
                let lock = !conf.locked();
                conf.set_locked(lock);
                let s = sound(if lock {
                    "sound_locked_now"
                } else {
                    "sound_unlocked_now"
                });
                prompt(ctx, conf, user, &s, &mut fed).await?;
            }
            MenuAction::AdminToggleMuteParticipants => {
                if !user.profile.admin {
                    continue;
                }
                let muted = conf.toggle_mute_participants();
                let s = sound(if muted {
                    "sound_participants_muted"
                } else {
                    "sound_participants_unmuted"
                });
                // Everyone hears it from the announcer; the admin, who
                // does not, on its own.
                conf.announce(&s);
                private(ctx, conf, user, &s).await?;
            }
            MenuAction::Playback(files) => {
                for f in files.split('&').map(str::trim) {
                    private(ctx, conf, user, f).await?;
                }
            }
            MenuAction::PlaybackAndContinue(files) => {
                // A digit stops the prompts and starts a sequence of its
                // own (`action_playback_and_continue`).
                for f in files.split('&').map(str::trim) {
                    prompt(ctx, conf, user, f, &mut fed).await?;
                    if fed.is_some() {
                        break;
                    }
                }
            }
            MenuAction::IncreaseListening => user.adjust_volume(false, 1),
            MenuAction::DecreaseListening => user.adjust_volume(false, -1),
            MenuAction::ResetListening => user.adjust_volume(false, 0),
            MenuAction::IncreaseTalking => user.adjust_volume(true, 1),
            MenuAction::DecreaseTalking => user.adjust_volume(true, -1),
            MenuAction::ResetTalking => user.adjust_volume(true, 0),
            MenuAction::NoOp => {}
            other => {
                // Reported by check-config; at run time, said once.
                ctx.notice(
                    crate::site!("app_confbridge.c", 0, "execute_menu_entry"),
                    &format!(
                        "ConfBridge menu action {} is not supported by Asterism",
                        other.display()
                    ),
                );
            }
        }
    }
    Ok(fed)
}

/// `play_file` in the bridge: a sound to the member that any digit stops;
/// the first such digit is kept in `fed` for the menu.
async fn prompt(
    ctx: &AppCtx,
    conf: &Conference,
    user: &User,
    file: &str,
    fed: &mut Option<char>,
) -> Result<(), ()> {
    conf.allow_moh(&ctx.sys, user, false);
    user.set_private_sound(true);
    let r = stream_file(ctx, file, "0123456789*#ABCD").await;
    user.set_private_sound(false);
    conf.allow_moh(&ctx.sys, user, true);
    match r {
        Streamed::Hangup => Err(()),
        Streamed::Digit(d) => {
            fed.get_or_insert(d);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Plays a sound to the member alone, the mix (and its music) held back
/// meanwhile.
async fn private(ctx: &AppCtx, conf: &Conference, user: &User, file: &str) -> Result<(), ()> {
    conf.allow_moh(&ctx.sys, user, false);
    user.set_private_sound(true);
    let r = stream_file(ctx, file, "").await;
    user.set_private_sound(false);
    conf.allow_moh(&ctx.sys, user, true);
    match r {
        Streamed::Hangup => Err(()),
        _ => Ok(()),
    }
}

/// `ConfKick(conference[,channel])`: `all`, `participants` (non-admins)
/// or one channel; no channel kicks everyone. Sets CONFKICKSTATUS.
fn conf_kick(ctx: &AppCtx, data: &str) -> AppResult {
    let site = |line| crate::core::logger::Site {
        file: "app_confbridge.c",
        line,
        function: "confkick_exec",
    };
    let status = |ok: bool| {
        ctx.set_var(
            "CONFKICKSTATUS",
            Some(if ok { "SUCCESS" } else { "FAILURE" }),
        );
        Ok(())
    };
    if data.is_empty() {
        ctx.warning(&site(4497), "No conference bridge specified.");
        return status(false);
    }
    let args = super::split_args(data, ',');
    let name = args.first().map(String::as_str).unwrap_or("");
    let channel = args.get(1).map(String::as_str).unwrap_or("");
    let Some(conf) = ctx.sys.confbridge.find(name) else {
        ctx.warning(
            &site(4507),
            &format!("No conference bridge named '{name}' found!"),
        );
        return status(false);
    };
    let target = if channel.is_empty() { "all" } else { channel };
    if kick(&ctx.sys, &conf, target) > 0 {
        return status(true);
    }
    if channel.is_empty()
        || channel.eq_ignore_ascii_case("all")
        || channel.eq_ignore_ascii_case("participants")
    {
        ctx.warning(
            &site(4520),
            &format!("No participants found in conference bridge '{name}'!"),
        );
    } else {
        ctx.warning(
            &site(4522),
            &format!("No participant named '{channel}' found in conference bridge '{name}'!"),
        );
    }
    status(false)
}

/// Kicks `all`, `participants` (non-admins) or one channel
/// (`kick_conference_participant`: names without case, members already
/// kicked left alone); how many were kicked.
pub fn kick(sys: &crate::core::System, conf: &Conference, channel: &str) -> usize {
    let all = channel.eq_ignore_ascii_case("all");
    let participants = channel.eq_ignore_ascii_case("participants");
    let mut n = 0;
    for u in conf.users().iter().filter(|u| !u.kicked()) {
        let hit = u.chan.name.eq_ignore_ascii_case(channel);
        if hit || all || (participants && !u.profile.admin) {
            conf.kick(sys, u);
            n += 1;
            if hit {
                break;
            }
        }
    }
    n
}
