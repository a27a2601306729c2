//! PlayTones and StopPlayTones (Asterisk's `app_playtones.c`), and the
//! tone generator they share with Read's `i` option and Milliwatt
//! (`ast_playtones_start`/`ast_playtones_stop` of `main/indications.c`).
//!
//! The tones play in the background: the application returns at once and
//! the dialplan goes on while they sound, until something else plays or
//! StopPlayTones ends them.

use super::{App, AppCtx, AppExit, AppResult, Run};
use crate::channels::media::FrameSource;
use crate::media::AudioFrame;
use crate::media::tones::{ToneGenerator, ToneList};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "PlayTones",
            run: Run::Now(playtones),
            synopsis: "Plays a tone list or an indication while the dialplan goes on.",
            syntax: "PlayTones(arg)",
        },
        App {
            name: "StopPlayTones",
            run: Run::Now(stopplaytones),
            synopsis: "Stops the tones PlayTones started.",
            syntax: "StopPlayTones()",
        },
    ]
}

/// A tone list played to a channel.
pub struct TonesSource(pub ToneGenerator);

impl FrameSource for TonesSource {
    fn next_frame(&mut self) -> Option<AudioFrame> {
        self.0.next_frame().map(|f| AudioFrame::Slin(f.to_vec()))
    }

    fn is_generator(&self) -> bool {
        true
    }
}

/// The tone list of indication `name` in the channel's tone zone (its
/// CHANNEL(tonezone), else indications.conf's default), as
/// `ast_get_indication_tone` finds it.
pub fn indication_tone(ctx: &AppCtx, name: &str) -> Option<String> {
    let conf = ctx.sys.loaded().indications.clone();
    let country = ctx.chan.lock().props.tonezone.clone();
    let zone = match country {
        Some(c) => conf.zone(&c),
        None => conf.default_country.as_deref().and_then(|c| conf.zone(c)),
    }?;
    zone.tone(name).map(str::to_string)
}

/// `ast_playtones_start`: parses `list` (logging the parts that do not
/// parse, as Asterisk does) and plays it at `volume` (0: the default
/// level). `Err` when no part is valid.
pub fn playtones_start(ctx: &AppCtx, volume: i32, list: &str) -> Result<(), ()> {
    let parsed = ToneList::parse_reporting(list, |bad| {
        ctx.error(
            crate::site!("indications.c", 340, "ast_playtones_start"),
            &format!("Failed to parse tone part '{bad}'"),
        );
    });
    match parsed {
        Ok(tones) => {
            ctx.chan
                .start_source(Box::new(TonesSource(ToneGenerator::new(&tones, volume))));
            Ok(())
        }
        Err(_) => {
            ctx.error(
                crate::site!("indications.c", 381, "ast_playtones_start"),
                "No valid tone parts",
            );
            Err(())
        }
    }
}

fn playtones(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.notice(
            crate::site!("app_playtones.c", 90, "handle_playtones"),
            "Nothing to play",
        );
        return Err(AppExit::Hangup);
    }
    let list = indication_tone(ctx, data).unwrap_or_else(|| data.to_string());
    if playtones_start(ctx, 0, &list).is_err() {
        ctx.notice(
            crate::site!("app_playtones.c", 104, "handle_playtones"),
            "Unable to start playtones",
        );
        return Err(AppExit::Hangup);
    }
    Ok(())
}

fn stopplaytones(ctx: &AppCtx, _: &str) -> AppResult {
    ctx.chan.stop_generator();
    Ok(())
}
