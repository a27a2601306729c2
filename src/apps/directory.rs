//! Directory (Asterisk's `app_directory.c`): the caller spells the first
//! letters of a name on the keypad; the voicemail.conf mailboxes (and
//! users.conf users with `hasdirectory`) whose last, first or alias name
//! matches are offered one by one (or eight at a time with `m`), each by
//! its recorded name (the mailbox's `greet`) or spelled out; `1` (or the
//! menu number) sends the call to the extension in the dial context.
//! DIRECTORY_RESULT says how it ended.
//!
//! Asterism has no realtime and no ADSI: voicemail.conf is read as a flat
//! file, and `d` logs that ADSI is not available, as Asterisk does for a
//! channel without it.

use std::cmp::Ordering;
use std::time::Duration;

use super::playback::{Streamed, start_file, wait_stream};
use super::read::{GetData, readstring};
use super::say::{DIGIT_ANY, Said, say_files};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, options, split_args};
use crate::channels::ChanState;
use crate::config::loader::{LoadOptions, load};
use crate::config::{Config, is_true};
use crate::media::file::SoundPaths;
use crate::media::say::{SayCase, character_files};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Directory",
        run: Run::Wait(directory),
        synopsis: "Finds a user by name on the keypad and sends the call there.",
        syntax: "Directory([vm-context[,dial-context[,options]]])",
    }]
}

/// The option letters app_directory knows.
const OPTIONS: &str = "flbpevmnacsd";

/// A result as Asterisk's functions pass it: a digit's code, 0, or -1.
type Res = i32;

fn code(c: char) -> Res {
    c as Res
}

/// One entry found (`struct directory_item`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    exten: String,
    name: String,
    context: String,
    /// What the entries are sorted by: last name then first name, or the
    /// full name (at most 49 bytes).
    key: String,
}

/// How names are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Search {
    last: bool,
    first: bool,
    alias: bool,
}

/// `compare`: whether the start of `text` spells `pattern` on the keypad
/// (letters and digits by their key; blanks and control characters are
/// passed over, anything else fails).
fn keypad_matches(text: &str, pattern: &str) -> bool {
    let mut t = text.bytes();
    if text.is_empty() {
        return false;
    }
    for want in pattern.bytes() {
        let key = loop {
            let Some(c) = t.next() else {
                return false;
            };
            let k = match c.to_ascii_uppercase() {
                b'1' => b'1',
                b'2' | b'A' | b'B' | b'C' => b'2',
                b'3' | b'D' | b'E' | b'F' => b'3',
                b'4' | b'G' | b'H' | b'I' => b'4',
                b'5' | b'J' | b'K' | b'L' => b'5',
                b'6' | b'M' | b'N' | b'O' => b'6',
                b'7' | b'P' | b'Q' | b'R' | b'S' => b'7',
                b'8' | b'T' | b'U' | b'V' => b'8',
                b'9' | b'W' | b'X' | b'Y' | b'Z' => b'9',
                // C's char is signed: bytes above 127 are below ' '.
                c if c > b' ' && c < 0x80 => return false,
                _ => continue,
            };
            break k;
        };
        if key != want {
            return false;
        }
    }
    true
}

/// Cuts a string to at most `max` bytes on a character boundary.
fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `check_match`: the entry when `fullname` (its last name, or the whole
/// name with `use_first_name`) spells `pattern`.
fn check_match(
    context: &str,
    fullname: &str,
    exten: &str,
    pattern: &str,
    use_first_name: bool,
) -> Option<Item> {
    if fullname.is_empty() {
        return None;
    }
    let split = if use_first_name {
        None
    } else {
        fullname.find(' ')
    };
    let key = match split {
        Some(i) => &fullname[i + 1..],
        None => fullname,
    };
    if !keypad_matches(key, pattern) {
        return None;
    }
    // The key is sorted on: the last name, then the first (key[50]).
    let mut sort_key = truncate_bytes(key, 49).to_string();
    if let Some(i) = split {
        let room = 49 - sort_key.len();
        sort_key.push_str(truncate_bytes(&fullname[..i], room));
    }
    Some(Item {
        exten: exten.to_string(),
        name: fullname.to_string(),
        context: context.to_string(),
        key: sort_key,
    })
}

/// `strcasestr`, ASCII case-insensitively: the byte offset of `needle`.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// `search_directory_sub`: the mailboxes of one voicemail.conf context,
/// then the users.conf users, that match.
fn search_context(
    context: &str,
    vmcfg: &Config,
    ucfg: Option<&Config>,
    pattern: &str,
    search: Search,
    out: &mut Vec<Item>,
) {
    if let Some(cat) = vmcfg.section(context) {
        for v in &cat.variables {
            // password,Full Name,email,pager,options
            let mut fields = v.value.splitn(5, ',');
            let _password = fields.next();
            let name = fields.next().unwrap_or("");
            let _email = fields.next();
            let _pager = fields.next();
            let options = fields.next();
            if options.is_some_and(|o| find_ci(o, "hidefromdir=yes").is_some()) {
                continue;
            }
            if name.is_empty() {
                continue;
            }
            let mut found = None;
            if search.last {
                found = check_match(context, name, &v.name, pattern, false);
            }
            if found.is_none() && search.first {
                found = check_match(context, name, &v.name, pattern, true);
            }
            if found.is_none()
                && search.alias
                && let Some(o) = options
                && let Some(at) = find_ci(o, "alias=")
            {
                for a in o[at..].split('|') {
                    if a.len() >= 6 && a.as_bytes()[..6].eq_ignore_ascii_case(b"alias=") {
                        found = check_match(context, &a[6..], &v.name, pattern, true);
                        if found.is_some() {
                            break;
                        }
                    }
                }
            }
            out.extend(found);
        }
    }
    let Some(ucfg) = ucfg else {
        return;
    };
    for cat in ucfg.sections() {
        if cat.name.eq_ignore_ascii_case("general") {
            continue;
        }
        // `ast_config_option`: the user's setting, else [general]'s.
        let hasdir = cat
            .get("hasdirectory")
            .or_else(|| ucfg.get("general", "hasdirectory"));
        if !hasdir.is_some_and(is_true) {
            continue;
        }
        let Some(fullname) = cat.get("fullname") else {
            continue;
        };
        let mut found = None;
        if search.last {
            found = check_match(context, fullname, &cat.name, pattern, false);
        }
        if found.is_none() && search.first {
            found = check_match(context, fullname, &cat.name, pattern, true);
        }
        if found.is_none() && search.alias {
            found = cat
                .all("alias")
                .find_map(|v| check_match(context, &v.value, &cat.name, pattern, true));
        }
        out.extend(found);
    }
}

/// `search_directory`: the given context, or with none every context
/// (`searchcontexts`) or `default`.
fn search_directory(
    context: &str,
    vmcfg: &Config,
    ucfg: Option<&Config>,
    pattern: &str,
    search: Search,
) -> Vec<Item> {
    let mut out = Vec::new();
    if !context.is_empty() {
        search_context(context, vmcfg, ucfg, pattern, search, &mut out);
    } else if vmcfg
        .get("general", "searchcontexts")
        .is_some_and(|v| !v.is_empty() && is_true(v))
    {
        for cat in vmcfg.sections() {
            if cat.name == "general" || cat.name == "zonemessages" {
                continue;
            }
            search_context(&cat.name, vmcfg, ucfg, pattern, search, &mut out);
        }
    } else {
        search_context("default", vmcfg, ucfg, pattern, search, &mut out);
    }
    out
}

/// `strcasecmp` of two keys.
fn strcasecmp(a: &str, b: &str) -> Ordering {
    let la = a.bytes().map(|c| c.to_ascii_lowercase());
    let lb = b.bytes().map(|c| c.to_ascii_lowercase());
    la.cmp(lb)
}

/// `sort_items`: Asterisk's bubble sort only swaps unequal neighbours,
/// so equal keys keep their order (a stable sort).
fn sort_items(items: &mut [Item]) {
    items.sort_by(|a, b| strcasecmp(&a.key, &b.key));
}

/// What the run was asked for.
struct Dir<'a> {
    ctx: &'a AppCtx,
    opts: options::Options,
    vmcontext: String,
    dialcontext: String,
    vmcfg: Config,
    ucfg: Option<Config>,
    search: Search,
    digits: usize,
    /// The prompt left playing (`ast_streamfile` without a wait).
    pending: Option<u64>,
}

fn directory<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { directory_exec(ctx, &data).await })
}

/// `ast_stream_and_wait`.
async fn stream_and_wait(ctx: &AppCtx, file: &str, ints: &str) -> Res {
    if file.is_empty() {
        return 0;
    }
    let Some(g) = start_file(ctx, file) else {
        ctx.chan.stop_stream();
        return -1;
    };
    streamed(wait_stream(ctx, g, ints).await)
}

fn streamed(s: Streamed) -> Res {
    match s {
        Streamed::Done => 0,
        Streamed::Digit(d) => code(d),
        Streamed::Failed | Streamed::Hangup => -1,
    }
}

/// `ast_waitfordigit`.
async fn wait_for_digit(ctx: &AppCtx, ms: u64) -> Res {
    match ctx.chan.wait_digit(Duration::from_millis(ms)).await {
        Ok(Some(d)) => code(d),
        Ok(None) => 0,
        Err(_) => -1,
    }
}

/// `ast_say_character_str` with any digit interrupting.
async fn say_chars(ctx: &AppCtx, text: &str) -> Res {
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    let lang = ctx.chan.lock().language.clone();
    let files = character_files(text, SayCase::None, |n| paths.exists(n, &lang));
    match say_files(ctx, &files, DIGIT_ANY).await {
        Said::Done => 0,
        Said::Digit(d) => code(d),
        Said::Failed => -1,
    }
}

impl Dir<'_> {
    /// `ast_waitstream` on what was left playing (nothing: 0).
    async fn wait_pending(&mut self) -> Res {
        match self.pending.take() {
            Some(g) => streamed(wait_stream(self.ctx, g, DIGIT_ANY).await),
            None => 0,
        }
    }

    /// `ast_streamfile` left playing: 0, or -1 when it does not open.
    fn stream(&mut self, file: &str) -> Res {
        match start_file(self.ctx, file) {
            Some(g) => {
                self.pending = Some(g);
                0
            }
            None => -1,
        }
    }

    /// `goto_exten`: to `ext` in the dial context (or the channel's).
    fn goto_exten(&self, ext: &str) -> bool {
        let context = if self.dialcontext.is_empty() {
            self.ctx.chan.lock().context.clone()
        } else {
            self.dialcontext.clone()
        };
        // Asterisk also tries the channel's macro context; Asterism does
        // not keep one (Macro's MACRO_CONTEXT is a variable only).
        if self.ctx.goto_if_exists(&context, ext) {
            return true;
        }
        self.ctx.warning(
            crate::site!("app_directory.c", 366, "goto_exten"),
            &format!(
                "Can't find extension '{ext}' in current context.  Not Exiting the Directory!"
            ),
        );
        false
    }

    /// `play_mailbox_owner`: the recorded name, or the name (or the
    /// extension) spelled; with `e` the extension after it.
    async fn play_owner(&self, item: &Item) -> Res {
        let ctx = self.ctx;
        let greet = ctx
            .sys
            .conf
            .dirs
            .spool
            .join("voicemail")
            .join(&item.context)
            .join(&item.exten)
            .join("greet");
        let greet = greet.display().to_string();
        let paths = SoundPaths::from_conf(&ctx.sys.conf);
        let sayname = if paths.exists(&greet, "") {
            stream_and_wait(ctx, &greet, DIGIT_ANY).await
        } else {
            -1
        };
        if sayname >= 0 {
            ctx.chan.stop_stream();
            if self.opts.has('e') {
                stream_and_wait(ctx, "vm-extension", DIGIT_ANY).await;
                return say_chars(ctx, &item.exten).await;
            }
            return sayname;
        }
        let spelled = if item.name.is_empty() {
            &item.exten
        } else {
            &item.name
        };
        let mut res = say_chars(ctx, spelled).await;
        if !item.name.is_empty() && self.opts.has('e') {
            stream_and_wait(ctx, "vm-extension", DIGIT_ANY).await;
            res = say_chars(ctx, &item.exten).await;
        }
        res
    }

    /// `select_entry`: 0 when the entry was taken, -1 when its extension
    /// does not exist.
    fn select_entry(&self, item: &Item) -> Res {
        if self.opts.has('v') {
            // The extension is set, without going anywhere.
            self.ctx.chan.lock().set_exten(&item.exten);
        } else if self.opts.has('s') {
            self.ctx.set_var("DIRECTORY_EXTEN", Some(&item.exten));
        } else {
            let context = if self.dialcontext.is_empty() {
                &item.context
            } else {
                &self.dialcontext
            };
            if !self.ctx.goto_if_exists(context, &item.exten) {
                self.ctx.warning(
                    crate::site!("app_directory.c", 416, "select_entry"),
                    &format!(
                        "Can't find extension '{}' in context '{context}'.  Did you pass the wrong context to Directory?",
                        item.exten
                    ),
                );
                return -1;
            }
        }
        self.ctx.set_var("DIRECTORY_RESULT", Some("SELECTED"));
        0
    }

    /// `select_item_pause`: `p(ms)` waits up to 3 s for an early key.
    async fn pause(&self) -> Res {
        match self.opts.arg('p').filter(|a| !a.is_empty()) {
            Some(ms) => {
                let ms = super::builtins::atoi(ms).min(3000);
                wait_for_digit(self.ctx, u64::try_from(ms).unwrap_or(0)).await
            }
            None => 0,
        }
    }

    /// `select_item_seq`: each entry three times at most, then the next.
    async fn select_seq(&self, items: &[Item]) -> Res {
        let ctx = self.ctx;
        let mut res = self.pause().await;
        for item in items {
            for _ in 0..3 {
                if res == 0 {
                    res = self.play_owner(item).await;
                }
                if res == 0 {
                    res = stream_and_wait(ctx, "dir-instr", DIGIT_ANY).await;
                }
                if res == 0 {
                    res = wait_for_digit(ctx, 3000).await;
                }
                ctx.chan.stop_stream();
                if res == code('0') {
                    // The operator, whether or not `o` exists.
                    self.goto_exten("o");
                    ctx.set_var("DIRECTORY_RESULT", Some("OPERATOR"));
                    return res;
                } else if res == code('1') {
                    return if self.select_entry(item) != 0 { -1 } else { 1 };
                } else if res == code('*') {
                    break;
                } else if res == code('#') {
                    ctx.set_var("DIRECTORY_RESULT", Some("USEREXIT"));
                    return res;
                }
                if res < 0 {
                    return -1;
                }
                res = 0;
            }
            res = 0;
        }
        0
    }

    /// `select_item_menu`: eight entries at a time, each with its number.
    async fn select_menu(&mut self, items: &[Item]) -> Res {
        let ctx = self.ctx;
        // An early key here is read and dropped, as in Asterisk.
        self.pause().await;
        let mut res = 0;
        for (n, block) in items.chunks(8).enumerate() {
            let limit = block.len();
            // Entries after this block: "press 9 for more".
            let more = items.len() - n * 8 > limit;
            for (i, item) in block.iter().enumerate() {
                if res != 0 {
                    break;
                }
                res = stream_and_wait(ctx, "dir-multi1", DIGIT_ANY).await;
                if res == 0 {
                    res = stream_and_wait(ctx, &format!("digits/{}", i + 1), DIGIT_ANY).await;
                }
                if res == 0 {
                    res = stream_and_wait(ctx, "dir-multi2", DIGIT_ANY).await;
                }
                if res == 0 {
                    res = self.play_owner(item).await;
                }
                if res == 0 {
                    res = self.wait_pending().await;
                }
                if res == 0 {
                    res = wait_for_digit(ctx, 800).await;
                }
            }
            if res == 0 && more {
                res = stream_and_wait(ctx, "dir-multi9", DIGIT_ANY).await;
            }
            if res == 0 {
                res = wait_for_digit(ctx, 3000).await;
            }
            if res > code('0') && res < code('1') + limit as Res {
                ctx.set_var("DIRECTORY_RESULT", Some("SELECTED"));
                let idx = (res - code('1')) as usize;
                return if self.select_entry(&block[idx]) != 0 {
                    -1
                } else {
                    1
                };
            }
            if res < 0 {
                return -1;
            }
            res = 0;
        }
        0
    }

    /// `do_directory`: `digit` was pressed; read the rest of the letters,
    /// search, offer what matched.
    async fn do_directory(&mut self, digit: char) -> Res {
        let ctx = self.ctx;
        if digit == '0' && self.goto_exten("o") {
            ctx.set_var("DIRECTORY_RESULT", Some("OPERATOR"));
            return code(digit);
        }
        if digit == '*' && self.goto_exten("a") {
            ctx.set_var("DIRECTORY_RESULT", Some("ASSISTANT"));
            return code(digit);
        }
        let mut rest = String::new();
        // ext[10]: the digit, then up to `digits - 1` more.
        let got = readstring(ctx, None, &mut rest, self.digits - 1, 3000, 3000, "#").await;
        if got == GetData::Failed {
            return -1;
        }
        let pattern = format!("{digit}{rest}");
        let mut items = search_directory(
            &self.vmcontext,
            &self.vmcfg,
            self.ucfg.as_ref(),
            &pattern,
            self.search,
        );
        if items.is_empty() {
            return self.stream("dir-nomatch");
        }
        sort_items(&mut items);
        let res = if self.opts.has('m') {
            self.select_menu(&items).await
        } else {
            self.select_seq(&items).await
        };
        if res == 0 {
            return self.stream("dir-nomore");
        }
        res
    }
}

async fn directory_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let opts = match args.get(2) {
        Some(o) => match options::parse(&ctx.sys.pbx.logger, o, OPTIONS) {
            Ok(o) => o,
            Err(_) => return Err(AppExit::Hangup),
        },
        None => options::Options::default(),
    };
    let file = opts
        .arg('c')
        .filter(|f| !f.is_empty())
        .unwrap_or("voicemail.conf")
        .to_string();
    let load_opts = LoadOptions::new(ctx.sys.conf.dirs.etc.clone());
    let vmcfg = match load(&file, &load_opts) {
        Ok(Some(c)) => c,
        Ok(None) => {
            ctx.warning(
                crate::site!("app_directory.c", 580, "realtime_directory"),
                "Loading config failed.",
            );
            ctx.error(
                crate::site!("app_directory.c", 971, "directory_exec"),
                "Unable to read the configuration data!",
            );
            return Err(AppExit::Hangup);
        }
        Err(_) => {
            ctx.error(
                crate::site!("app_directory.c", 583, "realtime_directory"),
                &format!("Config file {file} is in an invalid format.  Aborting."),
            );
            ctx.error(
                crate::site!("app_directory.c", 971, "directory_exec"),
                "Unable to read the configuration data!",
            );
            return Err(AppExit::Hangup);
        }
    };
    let ucfg = match load("users.conf", &load_opts) {
        Ok(c) => c,
        Err(_) => {
            ctx.error(
                crate::site!("app_directory.c", 976, "directory_exec"),
                "Config file users.conf is in an invalid format.  Aborting.",
            );
            None
        }
    };
    // Without any argument the intro may come from any context.
    let dirintro = if data.is_empty() {
        vmcfg
            .sections()
            .find_map(|c| c.get("directoryintro"))
            .map(str::to_string)
    } else {
        vmcfg.get(arg(0), "directoryintro").map(str::to_string)
    }
    .filter(|s| !s.is_empty())
    .or_else(|| vmcfg.get("general", "directoryintro").map(str::to_string))
    .unwrap_or_default();

    let mut search = Search {
        last: opts.has('l') || opts.has('b'),
        first: opts.has('f') || opts.has('b'),
        alias: opts.has('a'),
    };
    let given = |c: char| {
        opts.arg(c)
            .filter(|a| !a.is_empty())
            .map(super::builtins::atoi)
    };
    let mut digit = 3;
    let prompt = if search.first && search.last {
        // `b(n)`; with `f` and `l` both given, neither's count.
        if let Some(n) = given('b') {
            digit = n;
        }
        "dir-firstlast"
    } else if search.first {
        if let Some(n) = given('f') {
            digit = n;
        }
        "dir-first"
    } else {
        if let Some(n) = given('l') {
            digit = n;
        }
        "dir-last"
    };
    if !search.first && !search.last {
        search.last = true;
    }
    let digit = if digit > 9 {
        9
    } else if digit < 1 {
        3
    } else {
        digit
    } as usize;
    if opts.has('d') {
        // No channel here carries ADSI.
        ctx.warning(
            crate::site!("app_directory.c", 1018, "directory_exec"),
            &format!("ADSI not available on {}", ctx.chan.name),
        );
    }
    let mut dir = Dir {
        ctx,
        opts,
        vmcontext: arg(0).to_string(),
        dialcontext: arg(1).to_string(),
        vmcfg,
        ucfg,
        search,
        digits: digit,
        pending: None,
    };
    let mut res: Res = 0;
    if ctx.chan.state() != ChanState::Up && !dir.opts.has('n') {
        res = match super::builtins::answer_and_wait(ctx).await {
            Ok(()) => 0,
            Err(_) => -1,
        };
    }
    let digits_prompt = format!("digits/{digit}");
    loop {
        if !dirintro.is_empty() && res == 0 {
            res = stream_and_wait(ctx, &dirintro, DIGIT_ANY).await;
        } else if res == 0 {
            for f in [
                "dir-welcome",
                "dir-pls-enter",
                digits_prompt.as_str(),
                prompt,
                "dir-usingkeypad",
            ] {
                res = stream_and_wait(ctx, f, DIGIT_ANY).await;
                if res != 0 {
                    break;
                }
            }
        }
        ctx.chan.stop_stream();
        if res == 0 {
            res = wait_for_digit(ctx, 5000).await;
        }
        if res <= 0 {
            if res == 0 {
                ctx.set_var("DIRECTORY_RESULT", Some("TIMEOUT"));
            }
            break;
        }
        let pressed = u32::try_from(res)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\0');
        res = dir.do_directory(pressed).await;
        if res != 0 {
            break;
        }
        res = dir.wait_pending().await;
        ctx.chan.stop_stream();
        if res < 0 {
            break;
        }
    }
    if ctx.chan.check_hangup() {
        ctx.set_var("DIRECTORY_RESULT", Some("HANGUP"));
    } else if res < 0 {
        ctx.set_var("DIRECTORY_RESULT", Some("FAILED"));
    }
    if res < 0 {
        Err(AppExit::Hangup)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_the_keypad() {
        assert!(keypad_matches("Smith", "764"));
        assert!(keypad_matches("smith", "76484"));
        assert!(!keypad_matches("Smith", "765"));
        // Blanks are passed over, other signs fail.
        assert!(keypad_matches("Mc Donald", "623"));
        assert!(!keypad_matches("O'Brien", "627"));
        assert!(!keypad_matches("Al", "252"));
        assert!(!keypad_matches("", "2"));
        assert!(keypad_matches("x", ""));
        // Digits stand for themselves but for 0.
        assert!(keypad_matches("1a", "12"));
        assert!(!keypad_matches("0", "0"));
    }

    #[test]
    fn matches_by_last_first_and_sorts_last_first() {
        let m = check_match("default", "Alice Smith", "1001", "764", false);
        assert_eq!(
            m.as_ref().map(|i| i.key.as_str()),
            Some("SmithAlice"),
            "last name, then the first"
        );
        assert!(check_match("default", "Alice Smith", "1001", "254", true).is_some());
        assert!(check_match("default", "Alice Smith", "1001", "254", false).is_none());
        // One word: the whole name is the last name too.
        assert!(check_match("default", "Cher", "1003", "243", false).is_some());
        let mut items: Vec<Item> = [
            ("Carol Smithers", "1003"),
            ("bob smith", "1002"),
            ("Alice Smith", "1001"),
        ]
        .iter()
        .filter_map(|(n, e)| check_match("default", n, e, "764", false))
        .collect();
        sort_items(&mut items);
        let order: Vec<&str> = items.iter().map(|i| i.exten.as_str()).collect();
        assert_eq!(order, ["1001", "1002", "1003"]);
    }

    #[test]
    fn searches_voicemail_conf() {
        let text = "[general]\nsearchcontexts=no\n[default]\n\
            1001 => 1234,Alice Smith,a@x\n\
            1002 => 1234,Bob Smith,,,hidefromdir=yes\n\
            1003 => 1234,Robert Jones,,,attach=no|alias=Bobby Tables\n\
            directoryintro => dir-intro\n\
            [other]\n2001 => 1,Sam Smithson\n";
        let cfg = crate::config::loader::load_str("voicemail.conf", text, &LoadOptions::new("/x"))
            .expect("loads");
        let last = Search {
            last: true,
            first: false,
            alias: false,
        };
        let found = |ctx: &str, p: &str, s: Search| -> Vec<String> {
            search_directory(ctx, &cfg, None, p, s)
                .into_iter()
                .map(|i| format!("{}@{}", i.exten, i.context))
                .collect()
        };
        assert_eq!(found("", "764", last), ["1001@default"]);
        assert_eq!(found("other", "764", last), ["2001@other"]);
        assert!(found("", "262", last).is_empty());
        let alias = Search {
            alias: true,
            ..last
        };
        assert_eq!(found("default", "262", alias), ["1003@default"]);
        // users.conf: users with `hasdirectory` (theirs or [general]'s),
        // after the mailboxes, in the context searched.
        let users = crate::config::loader::load_str(
            "users.conf",
            "[general]\nhasdirectory=yes\n[6001]\nfullname=Sue Smythe\n\
             [6002]\nfullname=Tim Smith\nhasdirectory=no\n\
             [6003]\nfullname=Ann Other\nalias=Smitty\n",
            &LoadOptions::new("/x"),
        )
        .expect("loads");
        let with_users: Vec<String> = search_directory("", &cfg, Some(&users), "769", alias)
            .into_iter()
            .map(|i| format!("{}@{}", i.exten, i.context))
            .collect();
        assert_eq!(with_users, ["6001@default"]);
        let by_alias: Vec<String> = search_directory("", &cfg, Some(&users), "764", alias)
            .into_iter()
            .map(|i| i.exten)
            .collect();
        assert_eq!(by_alias, ["1001", "6003"]);
        assert_eq!(
            found(
                "",
                "762",
                Search {
                    first: true,
                    ..last
                }
            ),
            ["1003@default"]
        );
    }
}
