//! ENV, STAT, FILE, FILE_COUNT_LINE, FILE_FORMAT, DIRNAME and BASENAME
//! (Asterisk's `func_env.c`).
//!
//! ENV reads and writes go through [`crate::core::environ`], the process
//! environment as Asterism keeps it.

use std::io::{Read, Seek, SeekFrom};

use super::c::{app_args, scan_long};
use super::{Failed, FuncCtx, Function};
use crate::core::environ;

const FILE: &str = "func_env.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "ENV",
            read: Some(env_read),
            write: Some(env_write),
            synopsis: "Reads or sets an environment variable of the PBX process.",
            syntax: "ENV(varname)",
        },
        Function {
            name: "STAT",
            read: Some(stat_read),
            write: None,
            synopsis: "Tells facts about a file: existence, size, type, times, mode.",
            syntax: "STAT(flag,filename)",
        },
        Function {
            name: "FILE",
            read: Some(file_read),
            write: Some(file_write),
            synopsis: "Reads or writes part of a file, by bytes or by lines.",
            syntax: "FILE(filename[,offset[,length[,options[,format]]]])",
        },
        Function {
            name: "FILE_COUNT_LINE",
            read: Some(file_count_line),
            write: None,
            synopsis: "Counts the lines of a file.",
            syntax: "FILE_COUNT_LINE(filename[,format])",
        },
        Function {
            name: "FILE_FORMAT",
            read: Some(file_format),
            write: None,
            synopsis: "Tells a file's line endings: u (Unix), d (DOS), m (Mac) or x.",
            syntax: "FILE_FORMAT(filename)",
        },
        Function {
            name: "DIRNAME",
            read: Some(dirname_read),
            write: None,
            synopsis: "Gives the directory part of a path.",
            syntax: "DIRNAME(filename)",
        },
        Function {
            name: "BASENAME",
            read: Some(basename_read),
            write: None,
            synopsis: "Gives the last component of a path.",
            syntax: "BASENAME(filename)",
        },
    ]
}

fn env_read(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(environ::getenv(data).unwrap_or_default())
}

fn env_write(_: &FuncCtx<'_>, data: &str, value: &str) -> Result<(), Failed> {
    // setenv and unsetenv refuse a name with '=' (EINVAL), silently here.
    if data.is_empty() || data.starts_with("AST_") || data.contains('=') {
        return Ok(());
    }
    environ::setenv(data, (!value.is_empty()).then_some(value));
    Ok(())
}

fn stat_read(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    use std::os::unix::fs::MetadataExt;
    let Some((action, path)) = data.split_once(',') else {
        return Ok("0".into());
    };
    let Ok(m) = std::fs::metadata(path) else {
        return Ok("0".into());
    };
    Ok(match action.as_bytes().first() {
        Some(b'e') => "1".into(),
        Some(b's') => (m.size() as u32).to_string(),
        Some(b'f') => u8::from(m.file_type().is_file()).to_string(),
        Some(b'd') => u8::from(m.file_type().is_dir()).to_string(),
        // 'A' reports the modification time too, as Asterisk does.
        Some(b'M') | Some(b'A') => (m.mtime() as i32).to_string(),
        Some(b'C') => (m.ctime() as i32).to_string(),
        Some(b'm') => format!("{:o}", m.mode()),
        _ => "0".into(),
    })
}

/// `strerror(errno)` for an I/O error.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Unknown,
    Unix,
    Dos,
    Mac,
}

impl Format {
    fn from_arg(s: &str) -> Format {
        match s.as_bytes().first().map(u8::to_ascii_lowercase) {
            Some(b'd') => Format::Dos,
            Some(b'm') => Format::Mac,
            Some(b'u') => Format::Unix,
            _ => Format::Unknown,
        }
    }

    fn term(self) -> &'static [u8] {
        match self {
            Format::Unknown => b"",
            Format::Unix => b"\n",
            Format::Dos => b"\r\n",
            Format::Mac => b"\r",
        }
    }
}

/// The line ending the first terminator of `data` shows.
fn detect(data: &[u8]) -> Format {
    match data.iter().position(|&b| b == b'\r' || b == b'\n') {
        None => Format::Unknown,
        Some(i) if data[i] == b'\n' => Format::Unix,
        Some(i) if data.get(i + 1) == Some(&b'\n') => Format::Dos,
        Some(_) => Format::Mac,
    }
}

/// `file2format`.
fn file2format(ctx: &FuncCtx<'_>, path: &str) -> Format {
    match std::fs::read(path) {
        Ok(d) => detect(&d),
        Err(e) => {
            ctx.error(
                crate::site!(FILE, 569, "file2format"),
                &format!("Cannot open '{path}': {}", strerror(&e)),
            );
            Format::Unknown
        }
    }
}

fn file_format(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(match file2format(ctx, data) {
        Format::Unix => "u",
        Format::Dos => "d",
        Format::Mac => "m",
        Format::Unknown => "x",
    }
    .into())
}

/// `count_lines`. With DOS endings Asterisk's loop never ends (it stops
/// looking for line feeds); here CR LF pairs are counted.
fn count_lines(ctx: &FuncCtx<'_>, path: &str, format: Format) -> i64 {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            ctx.error(
                crate::site!(FILE, 454, "count_lines"),
                &format!("Unable to open '{path}': {}", strerror(&e)),
            );
            return -1;
        }
    };
    let format = if format == Format::Unknown {
        detect(&data)
    } else {
        format
    };
    let count = |pat: &[u8]| data.windows(pat.len()).filter(|w| *w == pat).count() as i64;
    match format {
        Format::Unix => count(b"\n"),
        Format::Mac => count(b"\r"),
        Format::Dos => count(b"\r\n"),
        Format::Unknown => 0,
    }
}

fn file_count_line(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = app_args(data, 2);
    let path = args.first().map(String::as_str).unwrap_or("");
    let format = args
        .get(1)
        .map(|f| Format::from_arg(f))
        .unwrap_or(Format::Unknown);
    Ok(count_lines(ctx, path, format).to_string())
}

/// `sscanf(s, "%" SCNd64)`, leaving `default` when nothing converts.
fn scan_i64(s: Option<&String>, default: i64) -> i64 {
    s.and_then(|s| scan_long(s, usize::MAX))
        .map(|(v, _)| v)
        .unwrap_or(default)
}

const FBUF: usize = 4096;
/// What a function result can hold (`VAR_BUF_SIZE` less the NUL).
const MAXOUT: usize = 4095;

/// `ast_str_append_substr`: at most `n` bytes, stopping at a NUL.
fn append_substr(out: &mut Vec<u8>, src: &[u8], n: usize) {
    let src = &src[..n.min(src.len())];
    let end = src.iter().position(|&b| b == 0).unwrap_or(src.len());
    out.extend_from_slice(&src[..end]);
}

/// The `LINE_COUNTER` macro.
fn line_counter(c: u8, term: Format, counter: &mut i64, dos_state: &mut bool) {
    if c == b'\n' && term == Format::Unix {
        *counter += 1;
    } else if c == b'\n' && term == Format::Dos && !*dos_state {
        *dos_state = true;
    } else if c == b'\r' && term == Format::Dos && *dos_state {
        *dos_state = false;
        *counter += 1;
    } else if c == b'\r' && term == Format::Mac {
        *counter += 1;
    } else if term == Format::Dos {
        *dos_state = false;
    }
}

fn finish(out: Vec<u8>) -> String {
    let out = &out[..out.len().min(MAXOUT)];
    String::from_utf8_lossy(out).into_owned()
}

fn file_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = app_args(data, 5);
    let filename = args.first().map(String::as_str).unwrap_or("");
    let mut offset = scan_i64(args.get(1), 0);
    let mut length = scan_i64(args.get(2), i64::MAX);
    let line_mode = args.get(3).is_some_and(|o| o.contains('l'));
    if !line_mode {
        let mut f = match std::fs::File::open(filename) {
            Ok(f) => f,
            Err(e) => {
                ctx.warning(
                    crate::site!(FILE, 673, "file_read"),
                    &format!(
                        "Cannot open file '{filename}' for reading: {}",
                        strerror(&e)
                    ),
                );
                return Ok(String::new());
            }
        };
        let flength = match f.seek(SeekFrom::End(0)) {
            Ok(n) => n as i64,
            Err(e) => {
                ctx.error(
                    crate::site!(FILE, 678, "file_read"),
                    &format!("Cannot seek to end of '{filename}': {}", strerror(&e)),
                );
                return Err(Failed);
            }
        };
        // A seek before the start fails and leaves the position alone.
        let mut pos = flength;
        if offset < 0 {
            if flength.checked_add(offset).is_some_and(|p| p >= 0) {
                pos = flength + offset;
            }
            offset = pos;
        }
        if length < 0 {
            if flength.checked_add(length).is_some_and(|p| p >= 0) {
                pos = flength + length;
            }
            // Asterisk keeps the position itself as the length.
            length = pos;
            if length - offset < 0 {
                return Err(Failed);
            }
        } else if length == i64::MAX {
            length = flength;
        }
        let end = offset.saturating_add(length);
        let mut out = Vec::new();
        let mut off_i = offset.max(0);
        if f.seek(SeekFrom::Start(off_i as u64)).is_err() {
            return Ok(String::new());
        }
        let mut fbuf = vec![0u8; FBUF];
        while off_i < flength && off_i < end && out.len() < MAXOUT {
            let n = read_full(&mut f, &mut fbuf);
            let mut toappend = FBUF as i64;
            if off_i + FBUF as i64 > end {
                toappend = (end - off_i).min(flength - off_i);
            }
            append_substr(&mut out, &fbuf[..n], toappend.max(0) as usize);
            off_i += FBUF as i64;
        }
        return Ok(finish(out));
    }
    // Line mode.
    let mut format = args
        .get(4)
        .map(|f| Format::from_arg(f))
        .unwrap_or(Format::Unknown);
    if format == Format::Unknown {
        format = file2format(ctx, filename);
        if format == Format::Unknown {
            ctx.warning(
                crate::site!(FILE, 740, "file_read"),
                &format!("'{filename}' is not a line-based file"),
            );
            return Err(Failed);
        }
    }
    let mut offset_offset: i64 = -1;
    let mut length_offset: i64 = -1;
    if offset < 0 && length <= offset {
        return Err(Failed);
    } else if offset == 0 {
        offset_offset = 0;
    }
    let content = match std::fs::read(filename) {
        Ok(d) => d,
        Err(e) => {
            ctx.error(
                crate::site!(FILE, 753, "file_read"),
                &format!("Cannot open '{filename}': {}", strerror(&e)),
            );
            return Err(Failed);
        }
    };
    let flength = content.len() as i64;
    if length == i64::MAX {
        length_offset = flength;
    }
    let fb = FBUF as i64;
    if offset < 0 || length < 0 {
        let mut count: i64 = 0;
        let mut dos_state = false;
        let mut i = (flength / fb) * fb;
        while i >= 0 {
            let chunk = &content[i as usize..((i + fb).min(flength)) as usize];
            for p in (0..chunk.len()).rev() {
                line_counter(chunk[p], format, &mut count, &mut dos_state);
                if length < 0 && count.wrapping_neg() == length {
                    length_offset = i + p as i64;
                } else if offset < 0 && count.wrapping_neg() == offset - 1 {
                    offset_offset = i + p as i64 + if format == Format::Dos { 2 } else { 1 };
                    break;
                }
            }
            if (offset < 0 && offset_offset >= 0) || (offset >= 0 && length_offset >= 0) {
                break;
            }
            i -= fb;
        }
        if offset < 0 && offset_offset < 0 && offset == count.wrapping_neg() {
            offset_offset = 0;
        }
    }
    if offset > 0 {
        let mut count: i64 = 0;
        let mut dos_state = false;
        // Asterisk scans the whole buffer; past the end of the file it
        // holds what the previous read left (nothing, for the first).
        let mut fbuf = vec![0u8; FBUF];
        let mut i: i64 = 0;
        'chunks: while i < flength {
            if i + fb <= flength {
                fbuf.iter_mut().for_each(|b| *b = 0);
            }
            let n = ((flength - i).min(fb)) as usize;
            fbuf[..n].copy_from_slice(&content[i as usize..i as usize + n]);
            for (p, &c) in fbuf.iter().enumerate() {
                line_counter(c, format, &mut count, &mut dos_state);
                if count == offset {
                    offset_offset = i + p as i64 + 1;
                    break 'chunks;
                }
            }
            i += fb;
        }
    }
    if offset_offset < 0 {
        let shown = args.get(1).map(String::as_str).unwrap_or("(null)");
        ctx.error(
            crate::site!(FILE, 836, "file_read"),
            &format!("Offset '{shown}' refers to before the beginning of the file!"),
        );
        return Err(Failed);
    }
    let mut out = Vec::new();
    let at = |from: i64, n: i64| -> &[u8] {
        let s = from.clamp(0, flength) as usize;
        let e = from.saturating_add(n).clamp(0, flength) as usize;
        &content[s..e.max(s)]
    };
    if length_offset >= 0 {
        let mut i = offset_offset;
        while i < length_offset && out.len() < MAXOUT {
            let chunk = at(i, fb);
            let take = if i + fb > length_offset {
                length_offset - i
            } else {
                fb
            };
            append_substr(&mut out, chunk, take as usize);
            i += fb;
        }
    } else if length != 0 {
        let mut current: i64 = 0;
        let mut dos_state = false;
        let mut i = offset_offset;
        while i < flength && out.len() < MAXOUT {
            let chunk = at(i, fb);
            for (p, &c) in chunk.iter().enumerate() {
                line_counter(c, format, &mut current, &mut dos_state);
                if current == length {
                    length_offset = i + p as i64 + 1;
                    break;
                }
            }
            let take = if length_offset >= 0 {
                length_offset - i
            } else {
                chunk.len() as i64
            };
            append_substr(&mut out, chunk, take as usize);
            if length_offset >= 0 {
                break;
            }
            i += fb;
        }
    }
    Ok(finish(out))
}

/// Reads as much of `buf` as the file still has.
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// Asterisk edits a file in place with stdio (`fseeko`, `fread`, `fwrite`,
/// `truncate`). Those steps are replayed here on the file's bytes, so the
/// result is byte for byte what the reference leaves -- its quirks with
/// files past one 4096-byte buffer included -- and then replaces the file
/// in one rename, so a crash never leaves it half rewritten.
struct Sim {
    data: Vec<u8>,
    pos: i64,
}

/// How large a file FILE() will build in memory; past it a write fails as
/// `EFBIG` would (a huge offset must not exhaust memory).
const SIM_MAX: i64 = 256 << 20;

impl Sim {
    fn len(&self) -> i64 {
        self.data.len() as i64
    }

    /// `fseeko(SEEK_SET)`: a position before the start fails and leaves
    /// the position alone.
    fn seek(&mut self, to: i64) -> bool {
        if to < 0 {
            return false;
        }
        self.pos = to;
        true
    }

    fn seek_cur(&mut self, by: i64) -> bool {
        self.seek(self.pos.wrapping_add(by))
    }

    /// `fread`: what is there, up to `buf`'s size; the rest of `buf` keeps
    /// what it held, as a C buffer does.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        if self.pos >= self.len() {
            return 0;
        }
        let from = self.pos as usize;
        let n = buf.len().min(self.data.len() - from);
        buf[..n].copy_from_slice(&self.data[from..from + n]);
        self.pos += n as i64;
        n
    }

    /// `fwrite`: past the end, the gap reads as zeros (a hole).
    fn write(&mut self, b: &[u8]) -> bool {
        let end = self.pos.saturating_add(b.len() as i64);
        if end > SIM_MAX.max(self.len()) {
            return false;
        }
        let from = self.pos as usize;
        if self.data.len() < end as usize {
            self.data.resize(end as usize, 0);
        }
        self.data[from..end as usize].copy_from_slice(b);
        self.pos = end;
        true
    }

    /// The bytes from the position on, as they are now.
    fn tail(&self) -> Vec<u8> {
        let from = usize::try_from(self.pos).unwrap_or(usize::MAX);
        self.data.get(from..).unwrap_or_default().to_vec()
    }

    /// `truncate`: a negative length is `EINVAL`; a longer one pads with
    /// zeros.
    fn truncate(&mut self, len: i64) -> bool {
        if len < 0 || len > SIM_MAX.max(self.len()) {
            return false;
        }
        self.data.resize(len as usize, 0);
        true
    }
}

/// The last write of a growing edit: `foplen` bytes of Asterisk's
/// buffer, which holds the first 4096 bytes of `tail`. Asterisk writes
/// none when the count is negative and, past its buffer, reads memory it
/// does not own; there the rest of the tail stands in (then zeros), the
/// bytes Asterisk meant to move.
fn rest(fbuf: &[u8], tail: &[u8], foplen: i64) -> Vec<u8> {
    let n = usize::try_from(foplen).unwrap_or(0);
    let mut out = fbuf[..n.min(fbuf.len())].to_vec();
    if n > fbuf.len() {
        out.extend(tail.iter().skip(fbuf.len()).take(n - fbuf.len()));
        out.resize(n, 0);
    }
    out
}

/// `strerror(EINVAL)`, what a failed seek or truncate reports.
const EINVAL: &str = "Invalid argument";

/// Opens `path` as `fopen(path, "r+")` would and reads it all.
fn open_modify(path: &str) -> std::io::Result<(std::fs::File, Vec<u8>)> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let mut data = Vec::new();
    f.read_to_end(&mut data)?;
    Ok((f, data))
}

/// Replaces the file at `path` with `data`: a temporary file in the same
/// directory, synced, then renamed over it. The file keeps its mode; a
/// symbolic link is followed, so the link stays. Where no temporary file
/// can be made (a directory not writable), the file is rewritten in place,
/// as Asterisk would; the error is then the one opening the file gives.
fn replace_file(path: &str, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);

    let target = match std::fs::canonicalize(path) {
        Ok(t) => Some(t),
        // Nothing there yet: the new file goes where the path says.
        Err(_) if std::fs::symlink_metadata(path).is_err() => Some(path.into()),
        // A dangling link or the like: leave its resolution to open().
        Err(_) => None,
    };
    let atomic = target.and_then(|target| {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = target.file_name()?.to_string_lossy().into_owned();
        let perms = std::fs::metadata(&target).ok().map(|m| m.permissions());
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&tmp)
            .ok()?;
        let done = f
            .write_all(data)
            .and_then(|()| match &perms {
                Some(p) => f.set_permissions(p.clone()),
                None => Ok(()),
            })
            .and_then(|()| f.sync_all())
            .and_then(|()| std::fs::rename(&tmp, &target));
        if done.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Some(done)
    });
    match atomic {
        Some(r) => r,
        None => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)?;
            f.write_all(data)
        }
    }
}

/// file_write logs the same errors from many lines; `line` says which.
fn file_write_site(line: u32) -> crate::core::logger::Site<'static> {
    crate::core::logger::Site {
        file: FILE,
        function: "file_write",
        line,
    }
}

/// Saves what a replayed edit left, when it changed anything. Asterisk
/// writes in place, so no one line of its own matches a failed save.
fn commit(ctx: &FuncCtx<'_>, path: &str, before: &[u8], sim: &Sim) {
    if sim.data != before && replace_file(path, &sim.data).is_err() {
        ctx.error(crate::site!(FILE, 0, "file_write"), "Short write?!!");
    }
}

/// FILE() writes: append, replace the whole file, or replace a range of
/// bytes or lines with the value, the file growing or shrinking to fit.
fn file_write(ctx: &FuncCtx<'_>, data: &str, value: &str) -> Result<(), Failed> {
    use std::io::Write;
    let args = app_args(data, 5);
    let filename = args.first().map(String::as_str).unwrap_or("");
    let offset = scan_i64(args.get(1), 0);
    let length = scan_i64(args.get(2), i64::MAX);
    let options = args.get(3).map(String::as_str);
    let line_mode = options.is_some_and(|o| o.contains('l'));
    let append = options.is_some_and(|o| o.contains('a'));
    // `strlen`: the value ends at a NUL.
    let value = value.as_bytes();
    let value = &value[..value.iter().position(|&b| b == 0).unwrap_or(value.len())];
    let open_append = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(filename)
    };
    if !line_mode {
        if append {
            match open_append() {
                Ok(mut f) => {
                    if f.write_all(value).is_err() {
                        ctx.error(crate::site!(FILE, 937, "file_write"), "Short write?!!");
                    }
                }
                Err(e) => ctx.warning(
                    crate::site!(FILE, 933, "file_write"),
                    &format!(
                        "Cannot open file '{filename}' for appending: {}",
                        strerror(&e)
                    ),
                ),
            }
            return Ok(());
        }
        if offset == 0 && length == i64::MAX {
            if let Err(e) = replace_file(filename, value) {
                ctx.warning(
                    crate::site!(FILE, 943, "file_write"),
                    &format!(
                        "Cannot open file '{filename}' for writing: {}",
                        strerror(&e)
                    ),
                );
            }
            return Ok(());
        }
        let (_f, before) = match open_modify(filename) {
            Ok(x) => x,
            Err(e) => {
                ctx.warning(
                    crate::site!(FILE, 954, "file_write"),
                    &format!(
                        "Cannot open file '{filename}' for modification: {}",
                        strerror(&e)
                    ),
                );
                return Ok(());
            }
        };
        let mut sim = Sim {
            data: before.clone(),
            pos: 0,
        };
        let r = byte_write(ctx, &args, &mut sim, offset, length, value);
        commit(ctx, filename, &before, &sim);
        return r;
    }
    let mut format = args
        .get(4)
        .map(|f| Format::from_arg(f))
        .unwrap_or(Format::Unknown);
    if format == Format::Unknown {
        format = file2format(ctx, filename);
        if format == Format::Unknown {
            ctx.error(
                crate::site!(FILE, 1104, "file_write"),
                &format!("File '{filename}' not in line format"),
            );
            return Err(Failed);
        }
    }
    let term = if options.is_some_and(|o| o.contains('d')) {
        &b""[..]
    } else {
        format.term()
    };
    let mut text = value.to_vec();
    text.extend_from_slice(term);
    if append {
        match open_append() {
            Ok(mut f) => {
                if f.write_all(&text).is_err() {
                    ctx.error(crate::site!(FILE, 1115, "file_write"), "Short write?!!");
                }
            }
            Err(e) => {
                ctx.error(
                    crate::site!(FILE, 1111, "file_write"),
                    &format!(
                        "Unable to open '{filename}' for appending: {}",
                        strerror(&e)
                    ),
                );
                return Err(Failed);
            }
        }
        return Ok(());
    }
    if offset == 0 && length == i64::MAX {
        if let Err(e) = replace_file(filename, &text) {
            ctx.error(
                crate::site!(FILE, 1124, "file_write"),
                &format!("Unable to open '{filename}' for writing: {}", strerror(&e)),
            );
            return Err(Failed);
        }
        return Ok(());
    }
    if offset < 0 && length < offset {
        ctx.error(
            crate::site!(FILE, 1146, "file_write"),
            "Length cannot specify a position prior to the offset",
        );
        return Err(Failed);
    }
    let (_f, before) = match open_modify(filename) {
        Ok(x) => x,
        Err(e) => {
            ctx.error(
                crate::site!(FILE, 1151, "file_write"),
                &format!(
                    "Cannot open '{filename}' for modification: {}",
                    strerror(&e)
                ),
            );
            return Err(Failed);
        }
    };
    let mut sim = Sim {
        data: before.clone(),
        pos: 0,
    };
    let r = line_write(ctx, &args, &mut sim, offset, length, format, &text);
    commit(ctx, filename, &before, &sim);
    r
}

/// Reads forward from `start` a buffer at a time (the last one zero
/// padded, as Asterisk's is) counting line ends until `lines` are seen:
/// the offset just past the last of them.
fn scan_lines(
    f: &mut Sim,
    fbuf: &mut [u8],
    start: i64,
    lines: i64,
    format: Format,
    dos_state: &mut bool,
) -> Option<i64> {
    let flength = f.len();
    let fb = fbuf.len() as i64;
    let mut count: i64 = 0;
    f.seek(start);
    let mut i = start;
    while i < flength {
        if i + fb >= flength {
            fbuf.fill(0);
        }
        f.read(fbuf);
        for (p, &c) in fbuf.iter().enumerate() {
            line_counter(c, format, &mut count, dos_state);
            if count == lines {
                return Some(i + p as i64 + 1);
            }
        }
        i += fb;
    }
    None
}
/// Byte mode, a range: `offset` and `length` as given, `value` to put
/// there.
fn byte_write(
    ctx: &FuncCtx<'_>,
    args: &[String],
    f: &mut Sim,
    mut offset: i64,
    mut length: i64,
    value: &[u8],
) -> Result<(), Failed> {
    let filename = args.first().map(String::as_str).unwrap_or("");
    let short_write = |line| ctx.error(&file_write_site(line), "Short write?!!");
    let flength = f.len();
    let vlength = value.len() as i64;
    let fb = FBUF as i64;
    f.pos = flength;
    if offset < 0 {
        if !f.seek(flength.wrapping_add(offset)) {
            ctx.error(
                crate::site!(FILE, 962, "file_write"),
                &format!("Cannot seek to offset of '{filename}': {EINVAL}"),
            );
            return Err(Failed);
        }
        offset = f.pos;
    }
    if length < 0 {
        length = flength.wrapping_sub(offset).wrapping_add(length);
        if length < 0 {
            let shown = args.get(2).map(String::as_str).unwrap_or("");
            ctx.error(
                crate::site!(FILE, 976, "file_write"),
                &format!("Length '{shown}' exceeds the file length.  No data will be written."),
            );
            return Err(Failed);
        }
    }
    f.seek(offset);
    let truncate_failed = |line| {
        ctx.error(
            &file_write_site(line),
            &format!("Unable to truncate the file: {EINVAL}"),
        )
    };
    if length == vlength {
        if !f.write(value) {
            short_write(990);
        }
    } else if length == i64::MAX {
        if !f.write(value) {
            short_write(996);
        }
        if !f.truncate(offset.saturating_add(vlength)) {
            truncate_failed(1000);
        }
    } else if length > vlength {
        // The value is shorter than what it replaces: the tail moves back.
        let mut fbuf = vec![0u8; FBUF];
        if !f.write(value) {
            short_write(1007);
        }
        f.seek_cur(length - vlength);
        loop {
            let cur = f.pos;
            if cur >= flength {
                break;
            }
            f.read(&mut fbuf);
            f.seek(cur + vlength - length);
            if !f.write(&fbuf) {
                short_write(1016);
            }
            if !f.seek(cur + fb) {
                break;
            }
        }
        if !f.truncate(flength.wrapping_sub(length - vlength)) {
            truncate_failed(1026);
        }
    } else {
        // Longer: the tail moves forward, a buffer at a time from the end.
        let mut fbuf = vec![0u8; FBUF];
        let mut lastwritten = flength + vlength - length;
        f.seek(flength - fb);
        while offset < f.pos {
            if f.read(&mut fbuf) < FBUF {
                ctx.error(crate::site!(FILE, 1037, "file_write"), "Short read?!!");
                return Err(Failed);
            }
            f.seek_cur(vlength - length - fb);
            lastwritten = f.pos;
            if !f.write(&fbuf) {
                short_write(1050);
                return Err(Failed);
            }
            if (lastwritten as u64) < (offset as u64).wrapping_add(FBUF as u64) {
                break;
            }
            f.seek_cur(2 * fb + vlength - length);
        }
        f.seek(offset.wrapping_add(length));
        let tail = f.tail();
        f.read(&mut fbuf);
        f.seek(offset);
        if !f.write(value) {
            short_write(1080);
        } else {
            let foplen = lastwritten - f.pos;
            if !f.write(&rest(&fbuf, &tail, foplen)) {
                short_write(1085);
            }
        }
    }
    Ok(())
}

/// Line mode, a range: `offset` and `length` count lines; `text` is the
/// value with its line ending.
fn line_write(
    ctx: &FuncCtx<'_>,
    args: &[String],
    f: &mut Sim,
    offset: i64,
    length: i64,
    format: Format,
    text: &[u8],
) -> Result<(), Failed> {
    let short_write = |line| ctx.error(&file_write_site(line), "Short write?!!");
    let flength = f.len();
    let fb = FBUF as i64;
    let mut fbuf = vec![0u8; FBUF];
    // One DOS state for every scan below, as in Asterisk.
    let mut dos_state = false;
    let mut offset_offset: i64 = if offset == 0 { 0 } else { -1 };
    let mut length_offset: i64 = -1;
    f.pos = flength;
    if offset < 0 || length < 0 {
        let mut count: i64 = 0;
        let mut i = (flength / fb) * fb;
        while i >= 0 {
            f.seek(i);
            if i + fb >= flength {
                fbuf.fill(0);
            }
            f.read(&mut fbuf);
            for p in (0..FBUF).rev() {
                line_counter(fbuf[p], format, &mut count, &mut dos_state);
                if length < 0 && count.wrapping_neg() == length {
                    length_offset = i + p as i64;
                } else if offset < 0 && count.wrapping_neg() == offset.wrapping_sub(1) {
                    offset_offset = i + p as i64 + if format == Format::Dos { 2 } else { 1 };
                    break;
                }
            }
            if (offset < 0 && offset_offset >= 0) || (offset >= 0 && length_offset >= 0) {
                break;
            }
            i -= fb;
        }
        if offset < 0 && offset_offset < 0 && offset == count.wrapping_neg() {
            offset_offset = 0;
        }
    }
    if offset > 0
        && let Some(at) = scan_lines(f, &mut fbuf, 0, offset, format, &mut dos_state)
    {
        offset_offset = at;
    }
    if offset_offset < 0 {
        let shown = args.get(1).map(String::as_str).unwrap_or("(null)");
        ctx.error(
            crate::site!(FILE, 1236, "file_write"),
            &format!("Offset '{shown}' refers to before the beginning of the file!"),
        );
        return Err(Failed);
    }
    if length == 0 {
        length_offset = offset_offset;
    } else if length == i64::MAX {
        length_offset = flength;
    }
    if length_offset < 0 {
        length_offset = scan_lines(f, &mut fbuf, offset_offset, length, format, &mut dos_state)
            .unwrap_or(flength);
    }
    let vlen = text.len() as i64;
    let span = length_offset - offset_offset;
    if span == vlen {
        f.seek(offset_offset);
        if !f.write(text) {
            short_write(1284);
        }
    } else if span > vlen {
        // Fewer bytes than the lines replaced: the tail moves back.
        f.seek(offset_offset);
        if !f.write(text) {
            short_write(1300);
            return Err(Failed);
        }
        while f.pos < flength {
            let cur = f.pos;
            f.seek_cur(span - vlen);
            f.read(&mut fbuf);
            f.seek(cur);
            if !f.write(&fbuf) {
                short_write(1323);
                return Err(Failed);
            }
        }
        if !f.truncate(flength - (span - vlen)) {
            ctx.error(
                crate::site!(FILE, 1330, "file_write"),
                &format!("Truncation of file failed: {EINVAL}"),
            );
        }
    } else {
        // More: the tail moves forward, a buffer at a time from the end.
        let origlen = span;
        let mut lastwritten = flength + vlen - origlen;
        f.seek(flength - fb);
        while (offset_offset as u64).wrapping_add(FBUF as u64) < f.pos as u64 {
            if f.read(&mut fbuf) < FBUF {
                ctx.error(crate::site!(FILE, 1344, "file_write"), "Short read?!!");
                return Err(Failed);
            }
            f.seek_cur(fb - vlen - origlen);
            if !f.write(&fbuf) {
                short_write(1350);
                return Err(Failed);
            }
            lastwritten = f.pos - fb;
            if (lastwritten as u64) < (offset_offset as u64).wrapping_add(FBUF as u64) {
                break;
            }
            f.seek_cur(2 * fb + vlen - origlen);
        }
        f.seek(length_offset);
        let tail = f.tail();
        f.read(&mut fbuf);
        f.seek(offset_offset);
        if !f.write(text) {
            short_write(1367);
            return Err(Failed);
        }
        let foplen = lastwritten - f.pos;
        if !f.write(&rest(&fbuf, &tail, foplen)) {
            short_write(1378);
        }
    }
    Ok(())
}

/// glibc `dirname`.
pub fn dirname(path: &str) -> String {
    let b = path.as_bytes();
    let mut last = b.iter().rposition(|&c| c == b'/');
    if let Some(ls) = last {
        if ls != 0 && ls + 1 == b.len() {
            let mut runp = ls;
            while runp != 0 && b[runp - 1] == b'/' {
                runp -= 1;
            }
            if runp != 0 {
                last = b[..runp].iter().rposition(|&c| c == b'/');
            }
        }
    }
    match last {
        None => ".".into(),
        Some(ls) => {
            let mut runp = ls;
            while runp != 0 && b[runp - 1] == b'/' {
                runp -= 1;
            }
            let end = if runp == 0 {
                if ls == 1 { 2 } else { 1 }
            } else {
                runp
            };
            String::from_utf8_lossy(&b[..end]).into_owned()
        }
    }
}

/// POSIX `basename` (`__xpg_basename`).
pub fn basename(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let t = path.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

fn dirname_read(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(dirname(data))
}

fn basename_read(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(basename(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_like_glibc() {
        let cases = [
            ("", ".", "."),
            ("/", "/", "/"),
            ("//", "//", "/"),
            ("///", "/", "/"),
            ("usr", ".", "usr"),
            ("/usr/lib", "/usr", "lib"),
            ("/usr/", "/", "usr"),
            ("usr/lib/", "usr", "lib"),
            ("//a//b//", "//a", "b"),
            ("a//", ".", "a"),
            ("..", ".", ".."),
        ];
        for (p, d, b) in cases {
            assert_eq!(dirname(p), d, "dirname {p}");
            assert_eq!(basename(p), b, "basename {p}");
        }
    }

    #[test]
    fn line_endings() {
        assert_eq!(detect(b"a\nb\r\n"), Format::Unix);
        assert_eq!(detect(b"a\r\nb"), Format::Dos);
        assert_eq!(detect(b"a\rb\n"), Format::Mac);
        assert_eq!(detect(b"ab"), Format::Unknown);
    }
}
