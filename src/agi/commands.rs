//! The AGI commands (res_agi's `commands[]` table, and app_stack's
//! GOSUB), each replying with the lines Asterisk sends. The table's order
//! is the order Asterisk registers them in, which `agi show commands`
//! lists.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use super::{Agi, Res};
use crate::apps::AppExit;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::apps::playback::{Streamed, wait_stream};
use crate::apps::say::{Said, say_files, say_number};
use crate::channels::ChanState;
use crate::channels::media::FrameSource;
use crate::media::file::FileError;
use crate::media::file::SoundPaths;
use crate::media::say::{self as saylib, SayCase};

pub type Fut<'a> = Pin<Box<dyn Future<Output = Res> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a mut Agi, &'a [String]) -> Fut<'a>;

/// One AGI command.
pub struct Command {
    pub words: &'static [&'static str],
    /// Runs on a hung-up channel too.
    pub dead: bool,
    pub handler: Handler,
    /// One line, our own words, for `agi show commands`.
    pub summary: &'static str,
    /// The call syntax, printed in a 520 reply.
    pub syntax: &'static str,
}

macro_rules! cmd {
    ($words:expr, $h:expr, $dead:expr, $summary:literal, $syntax:literal) => {
        Command {
            words: $words,
            dead: $dead,
            handler: $h,
            summary: $summary,
            syntax: $syntax,
        }
    };
}

pub static COMMANDS: &[Command] = &[
    cmd!(&["answer"], answer, false, "Answers the channel.", "ANSWER"),
    cmd!(
        &["asyncagi", "break"],
        asyncagi_break,
        true,
        "Leaves AsyncAGI.",
        "ASYNCAGI BREAK"
    ),
    cmd!(
        &["channel", "status"],
        channel_status,
        false,
        "Gives a channel's state as a number.",
        "CHANNEL STATUS [channelname]"
    ),
    cmd!(
        &["database", "del"],
        database_del,
        true,
        "Removes one AstDB key.",
        "DATABASE DEL <family> <key>"
    ),
    cmd!(
        &["database", "deltree"],
        database_deltree,
        true,
        "Removes an AstDB family or a subtree of it.",
        "DATABASE DELTREE <family> [keytree]"
    ),
    cmd!(
        &["database", "get"],
        database_get,
        true,
        "Reads one AstDB key.",
        "DATABASE GET <family> <key>"
    ),
    cmd!(
        &["database", "put"],
        database_put,
        true,
        "Stores a value in the AstDB.",
        "DATABASE PUT <family> <key> <value>"
    ),
    cmd!(
        &["exec"],
        exec,
        true,
        "Runs a dialplan application.",
        "EXEC <application> <options>"
    ),
    cmd!(
        &["get", "data"],
        get_data,
        false,
        "Plays a prompt and collects digits.",
        "GET DATA <file to be streamed> [timeout] [maxdigits]"
    ),
    cmd!(
        &["get", "full", "variable"],
        get_full_variable,
        true,
        "Expands an expression with variables and functions.",
        "GET FULL VARIABLE <expression> [channelname]"
    ),
    cmd!(
        &["get", "option"],
        get_option,
        false,
        "Plays a file, then waits for one digit.",
        "GET OPTION <filename> <escape_digits> [timeout]"
    ),
    cmd!(
        &["get", "variable"],
        get_variable,
        true,
        "Reads a variable or function.",
        "GET VARIABLE <variablename>"
    ),
    cmd!(
        &["hangup"],
        hangup,
        false,
        "Hangs up this or a named channel.",
        "HANGUP [channelname]"
    ),
    cmd!(&["noop"], noop, true, "Does nothing.", "NOOP"),
    cmd!(
        &["receive", "char"],
        receive_char,
        false,
        "Waits for one character of text.",
        "RECEIVE CHAR <timeout>"
    ),
    cmd!(
        &["receive", "text"],
        receive_text,
        false,
        "Waits for a text message.",
        "RECEIVE TEXT <timeout>"
    ),
    cmd!(
        &["record", "file"],
        record_file,
        false,
        "Records the caller to a file.",
        "RECORD FILE <filename> <format> <escape_digits> <timeout> [offset samples] [BEEP] [s=silence]"
    ),
    cmd!(
        &["say", "alpha"],
        say_alpha,
        false,
        "Spells out a string.",
        "SAY ALPHA <string> <escape_digits> [case]"
    ),
    cmd!(
        &["say", "digits"],
        say_digits,
        false,
        "Says a number digit by digit.",
        "SAY DIGITS <number> <escape_digits>"
    ),
    cmd!(
        &["say", "number"],
        say_number_cmd,
        false,
        "Says a number.",
        "SAY NUMBER <number> <escape_digits> [gender]"
    ),
    cmd!(
        &["say", "phonetic"],
        say_phonetic,
        false,
        "Spells out a string with the phonetic alphabet.",
        "SAY PHONETIC <string> <escape_digits>"
    ),
    cmd!(
        &["say", "date"],
        say_date,
        false,
        "Says the date of a Unix time.",
        "SAY DATE <date> <escape_digits>"
    ),
    cmd!(
        &["say", "time"],
        say_time,
        false,
        "Says the time of day of a Unix time.",
        "SAY TIME <time> <escape_digits>"
    ),
    cmd!(
        &["say", "datetime"],
        say_datetime,
        false,
        "Says a Unix time in a given format and zone.",
        "SAY DATETIME <time> <escape_digits> [format] [timezone]"
    ),
    cmd!(
        &["send", "image"],
        send_image,
        false,
        "Sends an image to channels that take images.",
        "SEND IMAGE <image>"
    ),
    cmd!(
        &["send", "text"],
        send_text,
        false,
        "Sends text to channels that take text.",
        "SEND TEXT <text to send>"
    ),
    cmd!(
        &["set", "autohangup"],
        set_autohangup,
        false,
        "Hangs the channel up after a number of seconds.",
        "SET AUTOHANGUP <time>"
    ),
    cmd!(
        &["set", "callerid"],
        set_callerid,
        false,
        "Sets the caller ID.",
        "SET CALLERID <number>"
    ),
    cmd!(
        &["set", "context"],
        set_context,
        false,
        "Sets the context to go on in.",
        "SET CONTEXT <desired context>"
    ),
    cmd!(
        &["set", "extension"],
        set_extension,
        false,
        "Sets the extension to go on in.",
        "SET EXTENSION <new extension>"
    ),
    cmd!(
        &["set", "music"],
        set_music,
        false,
        "Starts or stops music on hold.",
        "SET MUSIC <on|off> [class]"
    ),
    cmd!(
        &["set", "priority"],
        set_priority,
        false,
        "Sets the priority (number or label) to go on at.",
        "SET PRIORITY <priority>"
    ),
    cmd!(
        &["set", "variable"],
        set_variable,
        true,
        "Sets a variable or function.",
        "SET VARIABLE <variablename> <value>"
    ),
    cmd!(
        &["stream", "file"],
        stream_file,
        false,
        "Plays a file, stopped by the given digits.",
        "STREAM FILE <filename> <escape_digits> [sample offset]"
    ),
    cmd!(
        &["control", "stream", "file"],
        control_stream_file,
        false,
        "Plays a file the caller can stop.",
        "CONTROL STREAM FILE <filename> <escape_digits> [skipms] [ffchar] [rewchr] [pausechr] [offsetms]"
    ),
    cmd!(
        &["tdd", "mode"],
        tdd_mode,
        false,
        "Turns TDD mode on or off on channels that have it.",
        "TDD MODE <on|off|mate|tdd>"
    ),
    cmd!(
        &["verbose"],
        verbose,
        true,
        "Writes a line to the console and logs.",
        "VERBOSE <message> <level>"
    ),
    cmd!(
        &["wait", "for", "digit"],
        wait_for_digit,
        false,
        "Waits for one digit.",
        "WAIT FOR DIGIT <timeout>"
    ),
    cmd!(
        &["speech", "create"],
        speech_none,
        false,
        "Creates a speech object (needs a speech engine).",
        "SPEECH CREATE <engine>"
    ),
    cmd!(
        &["speech", "set"],
        speech_words::<4>,
        false,
        "Sets a speech engine setting.",
        "SPEECH SET <name> <value>"
    ),
    cmd!(
        &["speech", "destroy"],
        speech_none,
        true,
        "Destroys the speech object.",
        "SPEECH DESTROY"
    ),
    cmd!(
        &["speech", "load", "grammar"],
        speech_words::<5>,
        false,
        "Loads a grammar.",
        "SPEECH LOAD GRAMMAR <grammar name> <path to grammar>"
    ),
    cmd!(
        &["speech", "unload", "grammar"],
        speech_words::<4>,
        true,
        "Unloads a grammar.",
        "SPEECH UNLOAD GRAMMAR <grammar name>"
    ),
    cmd!(
        &["speech", "activate", "grammar"],
        speech_words::<4>,
        false,
        "Activates a grammar.",
        "SPEECH ACTIVATE GRAMMAR <grammar name>"
    ),
    cmd!(
        &["speech", "deactivate", "grammar"],
        speech_words::<4>,
        false,
        "Deactivates a grammar.",
        "SPEECH DEACTIVATE GRAMMAR <grammar name>"
    ),
    cmd!(
        &["speech", "recognize"],
        speech_recognize,
        false,
        "Plays a prompt and recognizes speech.",
        "SPEECH RECOGNIZE <prompt> <timeout> [offset]"
    ),
    // Registered by app_stack, which loads after res_agi.
    cmd!(
        &["gosub"],
        gosub,
        false,
        "Runs a dialplan subroutine.",
        "GOSUB <context> <extension> <priority> [optional-argument]"
    ),
];

/// `find_command` (non-exact): the first command whose words start the line.
pub fn find(words: &[String]) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| super::parse::matches(c.words, words))
}

/// `sscanf("%30d")`: an optional sign and digits after blanks.
pub(super) fn scan(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    rest[..end.min(30)].parse::<i64>().ok().map(|v| sign * v)
}

fn scan_i32(s: &str) -> Option<i32> {
    scan(s).map(|v| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

fn atoi(s: &str) -> i64 {
    crate::apps::builtins::atoi(s)
}

/// A digit as Asterisk's `int` results carry it (its character code).
fn code(d: char) -> i64 {
    d as i64
}

/// What a prompt played through `ast_say_*` ends as: 0, a digit's code,
/// or -1.
fn said(s: Said) -> i64 {
    match s {
        Said::Done => 0,
        Said::Digit(d) => code(d),
        Said::Failed => -1,
    }
}

fn ok_or_fail(res: i64) -> Res {
    if res >= 0 { Res::Success } else { Res::Failure }
}

fn exists_for(agi: &Agi) -> impl Fn(&str) -> bool + use<> {
    let paths = SoundPaths::from_conf(&agi.ctx.sys.conf);
    let lang = agi.ctx.chan.lock().language.clone();
    move |name| paths.exists(name, &lang)
}

fn answer<'a>(agi: &'a mut Agi, _a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        let mut res = 0;
        if agi.ctx.chan.state() != ChanState::Up
            && crate::apps::builtins::answer_and_wait(&agi.ctx)
                .await
                .is_err()
        {
            res = -1;
        }
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn asyncagi_break<'a>(agi: &'a mut Agi, _a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        agi.send("200 result=0\n").await;
        Res::AsyncBreak
    })
}

fn channel_status<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        match a.len() {
            2 => {
                let st = agi.ctx.chan.state().number();
                agi.send(&format!("200 result={st}\n")).await;
            }
            3 => match agi.ctx.sys.pbx.channels.by_name(&a[2]) {
                Some(c) => {
                    let st = c.published_snapshot().state.number();
                    agi.send(&format!("200 result={st}\n")).await;
                }
                None => agi.send("200 result=-1\n").await,
            },
            _ => return Res::ShowUsage,
        }
        Res::Success
    })
}

fn database_del<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 {
            return Res::ShowUsage;
        }
        let ok = agi.ctx.sys.db.del(&a[2], &a[3]).is_ok();
        agi.send(&format!("200 result={}\n", if ok { '1' } else { '0' }))
            .await;
        Res::Success
    })
}

fn database_deltree<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if !(3..=4).contains(&a.len()) {
            return Res::ShowUsage;
        }
        let tree = a.get(3).map(String::as_str).unwrap_or("");
        let deleted = agi.ctx.sys.db.deltree(&a[2], tree).unwrap_or(0);
        // Asterisk answers 0 when something was deleted and 1 when not.
        agi.send(&format!(
            "200 result={}\n",
            if deleted > 0 { '0' } else { '1' }
        ))
        .await;
        Res::Success
    })
}

fn database_get<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 {
            return Res::ShowUsage;
        }
        match agi.ctx.sys.db.get(&a[2], &a[3]) {
            Ok(Some(v)) => agi.send(&format!("200 result=1 ({v})\n")).await,
            _ => agi.send("200 result=0\n").await,
        }
        Res::Success
    })
}

fn database_put<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 5 {
            return Res::ShowUsage;
        }
        let ok = agi.ctx.sys.db.put(&a[2], &a[3], &a[4]).is_ok();
        agi.send(&format!("200 result={}\n", if ok { '1' } else { '0' }))
            .await;
        Res::Success
    })
}

fn exec<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() < 2 {
            return Res::ShowUsage;
        }
        let opts = a.get(2).map(String::as_str).unwrap_or("");
        agi.ctx.verbose(
            3,
            crate::site!("res_agi.c", 3324, "handle_exec"),
            &format!(
                "AGI Script Executing Application: ({}) Options: ({opts})",
                a[1]
            ),
        );
        let res: i64 = match crate::apps::find(&a[1]) {
            Some(app) => {
                let full = agi
                    .ctx
                    .var("AGIEXECFULL")
                    .is_some_and(|v| crate::config::is_true(&v));
                let data = if a.len() == 2 {
                    String::new()
                } else if full {
                    agi.ctx.substitute(opts)
                } else {
                    opts.to_string()
                };
                match crate::apps::exec(&agi.ctx, app, &data).await {
                    Ok(()) => 0,
                    Err(AppExit::Digit(d)) => code(d),
                    Err(_) => -1,
                }
            }
            None => {
                agi.ctx.warning(
                    crate::site!("res_agi.c", 3349, "handle_exec"),
                    &format!("Could not find application ({})", a[1]),
                );
                -2
            }
        };
        agi.send(&format!("200 result={res}\n")).await;
        // Asterisk returns the application's own result here.
        match res {
            0 => Res::Success,
            1 => Res::ShowUsage,
            2 => Res::Failure,
            _ => Res::Other,
        }
    })
}

fn get_data<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() < 3 {
            return Res::ShowUsage;
        }
        let timeout = a.get(3).map(|t| atoi(t)).unwrap_or(0);
        let max = a.get(4).map(|m| atoi(m)).unwrap_or(1024);
        let max = usize::try_from(max).unwrap_or(0).min(1023);
        let mut data = String::new();
        use crate::apps::read::GetData;
        let r = crate::apps::read::getdata(&agi.ctx, &a[2], &mut data, max, timeout, "#").await;
        match r {
            GetData::Timeout => agi.send(&format!("200 result={data} (timeout)\n")).await,
            GetData::Failed => agi.send("200 result=-1\n").await,
            _ => agi.send(&format!("200 result={data}\n")).await,
        }
        Res::Success
    })
}

fn get_full_variable<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 && a.len() != 5 {
            return Res::ShowUsage;
        }
        let target = match a.get(4) {
            Some(name) => agi.ctx.sys.pbx.channels.by_name(name),
            None => Some(agi.ctx.chan.clone()),
        };
        match target {
            Some(c) => {
                let v = crate::pbx::subst::substitute(&agi.ctx.sys, Some(&c), &a[3]);
                agi.send(&format!("200 result=1 ({v})\n")).await;
            }
            None => agi.send("200 result=0\n").await,
        }
        Res::Success
    })
}

/// The file's length in samples as Asterisk's stream reports it when
/// seeked to its end: the bytes after a wav's 44-byte header over two,
/// a raw 8 kHz file's bytes, a GSM file's frames of 160.
fn file_samples(agi: &Agi, name: &str) -> i64 {
    let lang = agi.ctx.chan.lock().language.clone();
    let paths = SoundPaths::from_conf(&agi.ctx.sys.conf);
    let Ok(found) = paths.find(name, &lang) else {
        return 0;
    };
    let Some((_, path)) = found.best_for(agi.ctx.chan.native_codec()) else {
        return 0;
    };
    let len = std::fs::metadata(path).map(|m| m.len() as i64).unwrap_or(0);
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "wav" => ((len - 44) / 2).max(0),
        "sln" | "raw" => len / 2,
        "gsm" => len / 33 * 160,
        "WAV" | "wav49" => len / 65 * 320,
        _ => len,
    }
}

/// A file being played that counts the samples read from it, for the
/// position `ast_tellstream` reports.
struct Counted {
    file: crate::media::file::Playback,
    read: Arc<AtomicU64>,
}

impl FrameSource for Counted {
    fn next_frame(&mut self) -> Option<crate::media::AudioFrame> {
        let f = FrameSource::next_frame(&mut self.file)?;
        self.read.fetch_add(f.samples() as u64, Ordering::Relaxed);
        Some(f)
    }
}

/// `ast_openstream` + `ast_seekstream` + `ast_playstream`: the file starts
/// `offset` samples in; `announce` logs the command's own line (given the
/// write format). The generation playing and the samples read so far.
fn open_stream(
    agi: &Agi,
    name: &str,
    offset: u64,
    announce: &dyn Fn(&str),
) -> Option<(u64, Arc<AtomicU64>)> {
    let ctx = &agi.ctx;
    ctx.chan.stop_source();
    let lang = ctx.chan.lock().language.clone();
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    match paths.open(name, &lang, ctx.chan.native_codec()) {
        Ok(mut p) => {
            if offset > 0 {
                // Past the end the file simply has nothing left to play.
                let _ = p.skip_samples(offset);
            }
            announce(p.format().media_format_name());
            let read = Arc::new(AtomicU64::new(offset));
            let generation = ctx.chan.start_source(Box::new(Counted {
                file: p,
                read: read.clone(),
            }));
            Some((generation, read))
        }
        Err(FileError::NotFound(_) | FileError::Remote(_)) => {
            ctx.warning(
                crate::site!("file.c", 832, "openstream_internal"),
                &format!("File {name} does not exist in any format"),
            );
            None
        }
        Err(e) => {
            ctx.warning(
                crate::site!("file.c", 0, "ast_openstream"),
                &format!("Asterism cannot play {name}: {e}"),
            );
            None
        }
    }
}

/// Streams `name` (`ast_openstream` + `ast_waitstream_full`): the result
/// (0, a digit's code, -1 on hangup) and the end position (the file's
/// length when it played out, else the samples read), or `None` when it
/// does not open.
async fn play(
    agi: &Agi,
    name: &str,
    breaks: &str,
    offset: i64,
    announce: &(dyn Fn(&str) + Sync),
) -> Option<(i64, i64)> {
    let max = file_samples(agi, name);
    let offset = u64::try_from(offset).unwrap_or(0);
    let (generation, read) = open_stream(agi, name, offset, announce)?;
    let res = wait_stream(&agi.ctx, generation, breaks).await;
    let pos = (read.load(Ordering::Relaxed) as i64).min(max);
    Some(match res {
        Streamed::Done => (0, max),
        Streamed::Digit(d) => (code(d), pos),
        Streamed::Hangup | Streamed::Failed => (-1, pos),
    })
}

fn stream_file<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if !(4..=5).contains(&a.len()) {
            return Res::ShowUsage;
        }
        let mut offset = 0;
        if let Some(o) = a.get(4) {
            match scan(o) {
                Some(v) => offset = v,
                None => return Res::ShowUsage,
            }
        }
        let lang = agi.ctx.chan.lock().language.clone();
        let lang = if lang.is_empty() {
            "default".to_string()
        } else {
            lang
        };
        let announce = |fmt: &str| {
            agi.ctx.verbose(
                3,
                crate::site!("res_agi.c", 2746, "handle_streamfile"),
                &format!(
                    "<{}> Playing '{}.{fmt}' (escape_digits={}) (sample_offset {offset}) (language '{lang}')",
                    agi.ctx.chan.name, a[2], a[3]
                ),
            )
        };
        let Some((res, endpos)) = play(agi, &a[2], &a[3], offset, &announce).await else {
            agi.send(&format!("200 result=-1 endpos={offset}\n")).await;
            return Res::Failure;
        };
        agi.send(&format!("200 result={res} endpos={endpos}\n"))
            .await;
        agi.ctx.set_var(
            "PLAYBACKSTATUS",
            Some(if res != 0 { "FAILED" } else { "SUCCESS" }),
        );
        ok_or_fail(res)
    })
}

/// `handle_controlstreamfile`: `ast_control_streamfile` with the AGI's
/// keys (`#` and `*` unless given, a pause key, no restart key).
fn control_stream_file<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    use crate::apps::controlplayback::{Ended, Keys, control_streamfile};
    use crate::channels::media::StreamControl;
    Box::pin(async move {
        if !(5..=10).contains(&a.len()) {
            return Res::ShowUsage;
        }
        let skip_ms = match a.get(5) {
            Some(s) => match scan(s) {
                Some(v) => v,
                None => return Res::ShowUsage,
            },
            None => 3000,
        };
        let mut offset_ms = 0;
        if let Some(o) = a.get(9) {
            match scan(o) {
                Some(v) => offset_ms = v,
                None => return Res::ShowUsage,
            }
        }
        let given = |i: usize, default: &str| {
            a.get(i)
                .filter(|s| !s.is_empty())
                .map_or(default.to_string(), String::clone)
        };
        let keys = Keys {
            forward: given(6, "#"),
            reverse: given(7, "*"),
            stop: a[4].clone(),
            pause: given(8, ""),
            restart: String::new(),
        };
        let (ended, endpos) = control_streamfile(&agi.ctx, &a[3], &keys, skip_ms, offset_ms).await;
        let mut res = ended.code();
        match ended {
            Ended::Digit(d) if keys.stop.contains(d) => {
                agi.ctx.set_var("CPLAYBACKSTATUS", Some("USERSTOPPED"));
                agi.ctx.set_var("CPLAYBACKSTOPKEY", Some(&d.to_string()));
            }
            Ended::Control(StreamControl::Stop) => {
                agi.ctx.set_var("CPLAYBACKSTATUS", Some("REMOTESTOPPED"));
                res = 0;
            }
            _ if res < 0 => agi.ctx.set_var("CPLAYBACKSTATUS", Some("ERROR")),
            _ => agi.ctx.set_var("CPLAYBACKSTATUS", Some("SUCCESS")),
        }
        agi.ctx
            .set_var("CPLAYBACKOFFSET", Some(&endpos.to_string()));
        agi.send(&format!("200 result={res} endpos={endpos}\n"))
            .await;
        ok_or_fail(res)
    })
}

fn get_option<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if !(4..=5).contains(&a.len()) {
            return Res::ShowUsage;
        }
        let edigits = a[3].clone();
        let timeout = match a.get(4) {
            Some(t) => atoi(t),
            None => {
                let d = agi.ctx.chan.lock();
                if d.has_pbx {
                    d.digit_timeout_ms as i64
                } else {
                    0
                }
            }
        };
        let announce = |_: &str| {
            agi.ctx.verbose(
                3,
                crate::site!("res_agi.c", 2810, "handle_getoption"),
                &format!(
                    "Playing '{}' (escape_digits={edigits}) (timeout {timeout})",
                    a[2]
                ),
            )
        };
        let Some((mut res, endpos)) = play(agi, &a[2], &edigits, 0, &announce).await else {
            agi.send("200 result=-1 endpos=0\n").await;
            agi.ctx.warning(
                crate::site!("res_agi.c", 2801, "handle_getoption"),
                &format!("Unable to open {}", a[2]),
            );
            return Res::Failure;
        };
        if res == 0 {
            res = match wait_digit(agi, timeout).await {
                Ok(Some(d)) if edigits.contains(d) => code(d),
                Ok(_) => 0,
                Err(()) => -1,
            };
        }
        agi.send(&format!("200 result={res} endpos={endpos}\n"))
            .await;
        ok_or_fail(res)
    })
}

/// `ast_waitfordigit_full`: a negative timeout waits for ever.
async fn wait_digit(agi: &Agi, ms: i64) -> Result<Option<char>, ()> {
    let dur = if ms < 0 {
        Duration::from_secs(365 * 86_400)
    } else {
        Duration::from_millis(ms as u64)
    };
    agi.ctx.chan.wait_digit(dur).await.map_err(|_| ())
}

fn get_variable<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        let name = &a[2];
        let v = if name.ends_with(')') {
            crate::funcs::read(&agi.ctx.sys, Some(&agi.ctx.chan), name)
        } else {
            crate::pbx::subst::retrieve_variable(&agi.ctx.sys, Some(&agi.ctx.chan), name)
        };
        match v {
            Some(v) => agi.send(&format!("200 result=1 ({v})\n")).await,
            None => agi.send("200 result=0\n").await,
        }
        Res::Success
    })
}

fn hangup<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        use crate::channels::softhangup::EXPLICIT;
        match a.len() {
            1 => {
                agi.ctx.chan.softhangup(EXPLICIT);
                agi.send("200 result=1\n").await;
            }
            2 => match agi.ctx.sys.pbx.channels.by_name(&a[1]) {
                Some(c) => {
                    c.softhangup(EXPLICIT);
                    agi.send("200 result=1\n").await;
                }
                None => agi.send("200 result=-1\n").await,
            },
            _ => return Res::ShowUsage,
        }
        Res::Success
    })
}

fn noop<'a>(agi: &'a mut Agi, _a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

/// Waits `ms` for text on the channel: no channel driver here delivers
/// text frames, so this ends by the timeout (or a hangup: `false`).
async fn wait_text(agi: &Agi, ms: i64) -> bool {
    if ms <= 0 {
        return !agi.ctx.chan.check_hangup();
    }
    agi.ctx
        .chan
        .sleep(Duration::from_millis(ms as u64))
        .await
        .is_ok()
}

fn receive_char<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        if wait_text(agi, atoi(&a[2])).await {
            agi.send("200 result=0 (timeout)\n").await;
            Res::Success
        } else {
            agi.send("200 result=-1 (hangup)\n").await;
            Res::Failure
        }
    })
}

fn receive_text<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        wait_text(agi, atoi(&a[2])).await;
        agi.send("200 result=-1\n").await;
        Res::Success
    })
}

fn record_file<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move { super::record::record_file(agi, a).await })
}

fn say_alpha<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if !(4..=5).contains(&a.len()) {
            return Res::ShowUsage;
        }
        let case = match a.get(4).and_then(|c| c.chars().next()) {
            None => SayCase::None,
            Some('a' | 'A') => SayCase::All,
            Some('l' | 'L') => SayCase::Lower,
            Some('n' | 'N') => SayCase::None,
            Some('u' | 'U') => SayCase::Upper,
            Some(_) => return Res::ShowUsage,
        };
        let files = saylib::character_files(&a[2], case, exists_for(agi));
        let res = said(say_files(&agi.ctx, &files, &a[3]).await);
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn say_digits<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 || scan(&a[2]).is_none() {
            return Res::ShowUsage;
        }
        let files = saylib::digit_files(&a[2], exists_for(agi));
        let res = said(say_files(&agi.ctx, &files, &a[3]).await);
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn say_number_cmd<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if !(4..=5).contains(&a.len()) {
            return Res::ShowUsage;
        }
        let Some(n) = scan_i32(&a[2]) else {
            return Res::ShowUsage;
        };
        let res = said(say_number(&agi.ctx, n, &a[3]).await);
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn say_phonetic<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 {
            return Res::ShowUsage;
        }
        let files = saylib::phonetic_files(&a[2], exists_for(agi));
        let res = said(say_files(&agi.ctx, &files, &a[3]).await);
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

/// Plays a mix of prompts and numbers, each interruptible.
async fn say_items(agi: &Agi, items: &[crate::media::saydate::DateItem], ints: &str) -> i64 {
    use crate::media::saydate::DateItem;
    for it in items {
        let r = match it {
            DateItem::Play(f) => said(say_files(&agi.ctx, std::slice::from_ref(f), ints).await),
            DateItem::Number(n) => said(say_number(&agi.ctx, *n, ints).await),
            // Not built by ast_say_date_en or ast_say_time_en.
            DateItem::Enumerated(_) | DateItem::Unknown { .. } => 0,
        };
        if r != 0 {
            return r;
        }
    }
    0
}

fn say_date<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 {
            return Res::ShowUsage;
        }
        let Some(t) = scan(&a[2]) else {
            return Res::ShowUsage;
        };
        use crate::media::saydate::DateItem;
        // ast_say_date_en: weekday, month, day and year as numbers.
        let items = match crate::core::tz::localtime(t, 0, None) {
            Some(tm) => vec![
                DateItem::Play(format!("digits/day-{}", tm.wday)),
                DateItem::Play(format!("digits/mon-{}", tm.mon)),
                DateItem::Number(tm.mday),
                DateItem::Number(tm.year + 1900),
            ],
            None => Vec::new(),
        };
        let res = say_items(agi, &items, &a[3]).await;
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn say_time<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 {
            return Res::ShowUsage;
        }
        let Some(t) = scan(&a[2]) else {
            return Res::ShowUsage;
        };
        use crate::media::saydate::DateItem;
        // ast_say_time_en: the hour on a 12-hour clock, the minutes ("oh"
        // before one digit), a.m. or p.m.
        let items = match crate::core::tz::localtime(t, 0, None) {
            Some(tm) => {
                let pm = tm.hour > 11;
                let hour = match tm.hour {
                    0 => 12,
                    h if h > 12 => h - 12,
                    h => h,
                };
                let mut v = vec![DateItem::Number(hour)];
                if tm.min > 9 {
                    v.push(DateItem::Number(tm.min));
                } else if tm.min > 0 {
                    v.push(DateItem::Play("digits/oh".into()));
                    v.push(DateItem::Number(tm.min));
                }
                v.push(DateItem::Play(
                    if pm { "digits/p-m" } else { "digits/a-m" }.into(),
                ));
                v
            }
            None => Vec::new(),
        };
        let res = say_items(agi, &items, &a[3]).await;
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn say_datetime<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() < 4 {
            return Res::ShowUsage;
        }
        let lang = agi.ctx.chan.lock().language.clone();
        let format = match a.get(4) {
            Some(f) => f.clone(),
            None if lang.eq_ignore_ascii_case("de") => "A dBY HMS".into(),
            None => "ABdY 'digits/at' IMp".into(),
        };
        let zone = a.get(5).filter(|z| !z.is_empty()).cloned();
        let Some(t) = scan(&a[2]) else {
            return Res::ShowUsage;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let items = crate::media::saydate::date_items(t, now, &format, zone.as_deref());
        let res = said(crate::apps::sayunixtime::say_date(&agi.ctx, &items, &a[3]).await);
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn send_image<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        // No channel driver here takes images: Asterisk's answer for those.
        let res = if agi.ctx.chan.check_hangup() { -1 } else { 0 };
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

fn send_text<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        // ast_sendtext on a channel without text support does nothing
        // and succeeds.
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn set_autohangup<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        let Some(secs) = crate::apps::builtins::parse_float_prefix(&a[2]) else {
            return Res::ShowUsage;
        };
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        {
            let mut d = agi.ctx.chan.lock();
            d.when_to_hangup = (secs > 0.0).then(|| Instant::now() + Duration::from_secs_f64(secs));
        }
        agi.ctx.chan.wake();
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn set_callerid<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if let Some(v) = a.get(2) {
            let (name, number) = crate::config::views::callerid::parse(v);
            let number = number
                .map(|n| crate::config::views::callerid::shrink_phone_number(&n))
                .unwrap_or_default();
            let name = name.unwrap_or_default();
            {
                let mut d = agi.ctx.chan.lock();
                d.caller.id.set_number(Some(&number));
                d.caller.id.set_name(Some(&name));
            }
            agi.ctx.chan.publish_snapshot();
        }
        agi.send("200 result=1\n").await;
        Res::Success
    })
}

fn set_context<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        agi.ctx.chan.lock().set_context(&a[2]);
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn set_extension<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        agi.ctx.chan.lock().set_exten(&a[2]);
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn set_music<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() < 3 {
            return Res::ShowUsage;
        }
        let v = a[2].to_ascii_lowercase();
        if v.starts_with("on") {
            let _ = crate::apps::moh::moh_start(&agi.ctx, a.get(3).map(String::as_str));
        } else if v.starts_with("off") {
            crate::apps::moh::moh_stop(&agi.ctx);
        }
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn set_priority<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        let pri = match scan_i32(&a[2]) {
            Some(p) => p,
            None => {
                let (context, exten, cid) = {
                    let d = agi.ctx.chan.lock();
                    (
                        d.context.clone(),
                        d.exten.clone(),
                        d.caller.id.number().map(str::to_string),
                    )
                };
                let plan = agi.ctx.sys.loaded();
                let p = crate::pbx::find::find_label(
                    &plan.dialplan,
                    &context,
                    &exten,
                    &a[2],
                    cid.as_deref(),
                )
                .unwrap_or(0);
                if p < 1 {
                    return Res::ShowUsage;
                }
                p
            }
        };
        crate::pbx::run::explicit_goto(&agi.ctx.chan, None, None, pri);
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn set_variable<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 {
            return Res::ShowUsage;
        }
        agi.ctx.set_var(&a[2], Some(&a[3]));
        agi.send("200 result=1\n").await;
        Res::Success
    })
}

fn tdd_mode<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 3 {
            return Res::ShowUsage;
        }
        // No channel driver here has the TDD option: setting it fails.
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn verbose<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() < 2 {
            return Res::ShowUsage;
        }
        let level = a
            .get(2)
            .and_then(|l| scan_i32(l))
            .map(|l| l.max(0) as u32)
            .unwrap_or(0);
        let data = agi.ctx.chan.lock().data.clone().unwrap_or_default();
        agi.ctx.verbose(
            level,
            crate::site!("res_agi.c", 3485, "handle_verbose"),
            &format!("{data}: {}", a[1]),
        );
        agi.send("200 result=1\n").await;
        Res::Success
    })
}

fn wait_for_digit<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != 4 {
            return Res::ShowUsage;
        }
        let Some(ms) = scan(&a[3]) else {
            return Res::ShowUsage;
        };
        let res = match wait_digit(agi, ms).await {
            Ok(Some(d)) => code(d),
            Ok(None) => 0,
            Err(()) => -1,
        };
        agi.send(&format!("200 result={res}\n")).await;
        ok_or_fail(res)
    })
}

/// SPEECH commands without a speech engine (none is built): there is
/// never a speech object, so each answers 0 after its argument check.
fn speech_none<'a>(agi: &'a mut Agi, _a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

/// A SPEECH command taking exactly `N` words: 0 once they are there.
fn speech_words<'a, const N: usize>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() != N {
            return Res::ShowUsage;
        }
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn speech_recognize<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if a.len() < 4 {
            return Res::ShowUsage;
        }
        agi.send("200 result=0\n").await;
        Res::Success
    })
}

fn gosub<'a>(agi: &'a mut Agi, a: &'a [String]) -> Fut<'a> {
    Box::pin(async move {
        if !(4..=5).contains(&a.len()) {
            return Res::ShowUsage;
        }
        let cid = agi.ctx.chan.lock().caller.id.number().map(str::to_string);
        let plan = agi.ctx.sys.loaded();
        let priority = match scan_i32(&a[3]).filter(|p| *p >= 1) {
            Some(p) => {
                if !crate::pbx::find::exists(&plan.dialplan, &a[1], &a[2], p, cid.as_deref()) {
                    drop(plan);
                    agi.send("200 result=-1 Gosub label not found\n").await;
                    return Res::Failure;
                }
                p
            }
            None => match crate::pbx::find::find_label(
                &plan.dialplan,
                &a[1],
                &a[2],
                &a[3],
                cid.as_deref(),
            ) {
                Some(p) => p,
                None => {
                    drop(plan);
                    agi.ctx.error(
                        crate::site!("app_stack.c", 1100, "handle_gosub"),
                        &format!("Priority '{}' not found in '{}@{}'", a[3], a[2], a[1]),
                    );
                    agi.send("200 result=-1 Gosub label not found\n").await;
                    return Res::Failure;
                }
            },
        };
        drop(plan);
        let target = match a.get(4) {
            Some(args) => format!("{},{},{priority}({args})", a[1], a[2]),
            None => format!("{},{},{priority}", a[1], a[2]),
        };
        agi.send("100 result=0 Trying...\n").await;
        let r = crate::apps::stack::gosub_from_outside(&agi.ctx, &target, false).await;
        let retval = agi.ctx.var("GOSUB_RETVAL").unwrap_or_default();
        if r.is_ok() {
            agi.ctx.verbose(
                3,
                crate::site!("app_stack.c", 1160, "handle_gosub"),
                &format!(
                    "{} AGI Gosub({target}) complete GOSUB_RETVAL={retval}",
                    agi.ctx.chan.name
                ),
            );
            agi.send("200 result=0 Gosub complete\n").await;
        } else {
            agi.send("200 result=0 Gosub complete (abnormal exit)\n")
                .await;
        }
        Res::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_the_longest_listed_command() {
        let w = |s: &str| super::super::parse::parse_args(s);
        assert_eq!(
            find(&w("GET FULL VARIABLE x")).map(|c| c.words),
            Some(&["get", "full", "variable"][..])
        );
        assert_eq!(
            find(&w("get variable x")).map(|c| c.words),
            Some(&["get", "variable"][..])
        );
        assert_eq!(
            find(&w("control stream file a b")).map(|c| c.words),
            Some(&["control", "stream", "file"][..])
        );
        assert!(find(&w("NOSUCHCOMMAND foo")).is_none());
        assert!(find(&w("GET")).is_none());
    }

    #[test]
    fn scanning_numbers_as_sscanf() {
        assert_eq!(scan("12abc"), Some(12));
        assert_eq!(scan(" -5"), Some(-5));
        assert_eq!(scan("x1"), None);
        assert_eq!(scan(""), None);
    }
}
