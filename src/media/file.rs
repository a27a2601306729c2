//! Finding, playing and recording sound files the way Asterisk 20 does
//! (main/file.c).
//!
//! Lookup: a relative name lives under `<astdatadir>/sounds`. Languages
//! are tried in order: the channel's language, then that language with
//! each `_suffix` stripped (`en_GB_x` → `en_GB` → `en`), then no language,
//! then `en` unless already tried. With `languageprefix = yes` (the
//! default) the language is a leading directory (`en/digits/1`);
//! otherwise, and always for absolute names, it goes just before the
//! file's base name (`digits/en/1`). At the first place where the name
//! exists in any format, every format present there is a candidate and
//! the one cheapest to convert to the channel's codec wins (Asterisk's
//! translation costs: same codec, then lossless slin, then the other
//! G.711 law), ties going to Asterisk's format order.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use crate::config::asterisk_conf::AsteriskConf;
use crate::media::formats::{self, FileFormat, FormatError, FrameReader, WavWriter};
use crate::media::{AudioFrame, Codec};

/// The language tried last (Asterisk's built-in default, not
/// `defaultlanguage`).
const DEFAULT_LANGUAGE: &str = "en";

/// Where sounds are and how languages are laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundPaths {
    /// `<astdatadir>/sounds`.
    pub sounds_dir: PathBuf,
    /// asterisk.conf `languageprefix`.
    pub language_prefix: bool,
    /// asterisk.conf `sounds_search_custom_dir`: `sounds/custom/<name>`
    /// overrides a relative name.
    pub search_custom_dir: bool,
}

/// The name exists here, in these formats (Asterisk's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSound {
    /// The path without extension (`…/sounds/en/hello-world`).
    pub base: PathBuf,
    pub files: Vec<(FileFormat, PathBuf)>,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("File {0} does not exist in any format")]
    NotFound(String),
    #[error("remote sound '{0}' is not supported")]
    Remote(String),
    #[error("{path}: {source}")]
    Format {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Relative cost of playing a file in `format` to a `channel` codec,
/// ordered like Asterisk's translation cost classes.
fn conversion_cost(format: FileFormat, channel: Codec) -> u8 {
    let Some(file) = format.codec() else {
        // GSM decodes to slin (lossy to lossless) and, for G.711, is
        // encoded again: a two-step path, dearer than µ-law to A-law.
        return if channel == Codec::Slin { 2 } else { 3 };
    };
    match (file, channel) {
        (f, c) if f == c => 0,
        // Lossless source to anything.
        (Codec::Slin, _) => 1,
        // Lossy to lossless or to the other law: same class in Asterisk.
        _ => 2,
    }
}

impl FoundSound {
    /// The file to play to a channel in `channel` codec.
    pub fn best_for(&self, channel: Codec) -> Option<(FileFormat, &Path)> {
        self.files
            .iter()
            .map(|(f, p)| (conversion_cost(*f, channel), *f, p))
            // min_by_key keeps the first of equals: Asterisk's order.
            .min_by_key(|(cost, _, _)| *cost)
            .map(|(_, f, p)| (f, p.as_path()))
    }
}

impl SoundPaths {
    pub fn new(sounds_dir: impl Into<PathBuf>) -> Self {
        SoundPaths {
            sounds_dir: sounds_dir.into(),
            language_prefix: true,
            search_custom_dir: false,
        }
    }

    /// From asterisk.conf: `astdatadir`, `languageprefix`,
    /// `sounds_search_custom_dir`.
    pub fn from_conf(conf: &AsteriskConf) -> Self {
        SoundPaths {
            sounds_dir: conf.dirs.data.join("sounds"),
            language_prefix: conf.options.language_prefix,
            search_custom_dir: conf.options.sounds_search_custom_dir,
        }
    }

    /// `name` with `lang` placed as Asterisk places it.
    fn with_language(&self, name: &str, lang: Option<&str>) -> String {
        let Some(lang) = lang else {
            return name.to_string();
        };
        if self.language_prefix && !name.starts_with('/') {
            format!("{lang}/{name}")
        } else {
            let cut = name.rfind('/').map_or(0, |i| i + 1);
            format!("{}{lang}/{}", &name[..cut], &name[cut..])
        }
    }

    fn base_path(&self, name: &str) -> PathBuf {
        if name.starts_with('/') {
            PathBuf::from(name)
        } else {
            self.sounds_dir.join(name)
        }
    }

    /// Every format `name` exists in at exactly this place (only `only`,
    /// if given).
    fn formats_at_only(&self, name: &str, only: Option<FileFormat>) -> Option<FoundSound> {
        let base = self.base_path(name);
        let mut files = Vec::new();
        for f in FileFormat::ALL {
            if only.is_some_and(|o| o != f) {
                continue;
            }
            for ext in f.extensions() {
                let mut p = base.clone().into_os_string();
                p.push(".");
                p.push(ext);
                let p = PathBuf::from(p);
                if p.is_file() {
                    files.push((f, p));
                }
            }
        }
        (!files.is_empty()).then_some(FoundSound { base, files })
    }

    /// Asterisk's language fallback for one name.
    fn find_core(&self, name: &str, preflang: &str) -> Option<FoundSound> {
        self.find_core_only(name, preflang, None)
    }

    fn find_core_only(
        &self,
        name: &str,
        preflang: &str,
        only: Option<FileFormat>,
    ) -> Option<FoundSound> {
        let mut lang = preflang;
        while !lang.is_empty() {
            if let Some(found) = self.formats_at_only(&self.with_language(name, Some(lang)), only) {
                return Some(found);
            }
            match lang.rfind('_') {
                Some(i) => lang = &lang[..i],
                None => break,
            }
        }
        if let Some(found) = self.formats_at_only(name, only) {
            return Some(found);
        }
        if preflang != DEFAULT_LANGUAGE && lang != DEFAULT_LANGUAGE {
            return self.formats_at_only(&self.with_language(name, Some(DEFAULT_LANGUAGE)), only);
        }
        None
    }

    /// Whether `name` exists in `format` (`ast_fileexists` with a format),
    /// with the same language fallback.
    pub fn exists_in(&self, name: &str, lang: &str, format: FileFormat) -> bool {
        !name.contains("://") && self.find_core_only(name, lang, Some(format)).is_some()
    }

    /// Where `name` is written in `ext` (`build_filename`): relative names
    /// under the sounds directory, no language.
    pub fn write_path(&self, name: &str, ext: &str) -> PathBuf {
        let mut p = self.base_path(name).into_os_string();
        p.push(".");
        p.push(ext);
        PathBuf::from(p)
    }

    /// Deletes `name` in every format (`ast_filedelete` without a format).
    pub fn delete_all(&self, name: &str) {
        for f in FileFormat::ALL {
            for ext in f.extensions() {
                // Most formats are simply not there.
                let _ = fs::remove_file(self.write_path(name, ext));
            }
        }
    }

    /// Finds `name` for a channel whose language is `lang` (`""` for
    /// none), as `ast_streamfile` does (the custom directory first when
    /// enabled).
    pub fn find(&self, name: &str, lang: &str) -> Result<FoundSound, FileError> {
        if name.contains("://") {
            return Err(FileError::Remote(name.to_string()));
        }
        if self.search_custom_dir
            && !name.starts_with('/')
            && let Some(found) = self.find_core(&format!("custom/{name}"), lang)
        {
            return Ok(found);
        }
        self.find_core(name, lang)
            .ok_or_else(|| FileError::NotFound(name.to_string()))
    }

    /// Whether `name` exists in any format (`ast_fileexists`).
    pub fn exists(&self, name: &str, lang: &str) -> bool {
        !name.contains("://") && self.find_core(name, lang).is_some()
    }

    /// Finds and opens `name` for a channel in `channel` codec.
    pub fn open(&self, name: &str, lang: &str, channel: Codec) -> Result<Playback, FileError> {
        let found = self.find(name, lang)?;
        let (format, path) = Self::best(&found, channel)?;
        Playback::open(format, path, channel)
    }

    /// As [`SoundPaths::open`], read as it plays (see
    /// [`Playback::open_streaming`]).
    pub fn open_streaming(
        &self,
        name: &str,
        lang: &str,
        channel: Codec,
    ) -> Result<Playback, FileError> {
        let found = self.find(name, lang)?;
        let (format, path) = Self::best(&found, channel)?;
        Playback::open_streaming(format, path, channel)
    }

    fn best(found: &FoundSound, channel: Codec) -> Result<(FileFormat, &Path), FileError> {
        found.best_for(channel).ok_or_else(|| FileError::Format {
            path: found.base.clone(),
            source: FormatError::Unsupported(found.files[0].0.name()),
        })
    }
}

/// A file being played: 20 ms frames already in the channel's codec
/// (passed through untouched when the file is in that codec).
pub struct Playback {
    frames: Frames,
    channel: Codec,
    format: FileFormat,
    path: PathBuf,
    /// Samples read so far by a [`Frames::Reader`] (its position).
    read: u64,
}

enum Frames {
    /// Decoded once and shared by every call playing the same file in the
    /// same codec (see [`SoundCache`]).
    Shared {
        frames: Arc<[AudioFrame]>,
        next: usize,
    },
    /// Read as it plays (files too big for the cache).
    Reader(Box<dyn FrameReader>),
}

/// Prompts decoded and converted once, then shared: a busy IVR plays the
/// same few files to hundreds of calls, and reading and transcoding them
/// per call was the largest cost of playback. An entry is keyed by path
/// and codec and stamped with the file's size and modification time, so a
/// prompt replaced on disk is read afresh, as Asterisk always reads it.
struct SoundCache {
    entries: HashMap<(PathBuf, Codec), (FileStamp, Arc<[AudioFrame]>)>,
    bytes: usize,
}

type FileStamp = (u64, Option<std::time::SystemTime>);

/// Files larger than this are read as they play.
const CACHE_FILE_LIMIT: u64 = 4 << 20;
/// When the cache would pass this many bytes of audio it starts over.
const CACHE_LIMIT: usize = 64 << 20;

static SOUND_CACHE: LazyLock<Mutex<SoundCache>> = LazyLock::new(|| {
    Mutex::new(SoundCache {
        entries: HashMap::new(),
        bytes: 0,
    })
});

fn frame_bytes(f: &AudioFrame) -> usize {
    match f {
        AudioFrame::Ulaw(b) | AudioFrame::Alaw(b) => b.len(),
        AudioFrame::Slin(s) => s.len() * 2,
    }
}

impl Playback {
    pub fn open(format: FileFormat, path: &Path, channel: Codec) -> Result<Self, FileError> {
        Self::open_with(format, path, channel, true)
    }

    /// Opens a file read as it plays, never decoded whole (music on hold:
    /// large files, opened while the media clock runs).
    pub fn open_streaming(
        format: FileFormat,
        path: &Path,
        channel: Codec,
    ) -> Result<Self, FileError> {
        Self::open_with(format, path, channel, false)
    }

    fn open_with(
        format: FileFormat,
        path: &Path,
        channel: Codec,
        use_cache: bool,
    ) -> Result<Self, FileError> {
        let format_error = |source| FileError::Format {
            path: path.to_path_buf(),
            source,
        };
        if !use_cache {
            let reader = formats::open_reader(format, path).map_err(format_error)?;
            return Ok(Playback {
                frames: Frames::Reader(reader),
                channel,
                format,
                path: path.to_path_buf(),
                read: 0,
            });
        }
        let meta = fs::metadata(path).map_err(|e| format_error(e.into()))?;
        let stamp: FileStamp = (meta.len(), meta.modified().ok());
        let key = (path.to_path_buf(), channel);
        let cached = {
            let cache = SOUND_CACHE.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .entries
                .get(&key)
                .filter(|(s, _)| *s == stamp)
                .map(|(_, f)| f.clone())
        };
        let frames = match cached {
            Some(frames) => Frames::Shared { frames, next: 0 },
            None => {
                let mut reader = formats::open_reader(format, path).map_err(format_error)?;
                if meta.len() > CACHE_FILE_LIMIT {
                    Frames::Reader(reader)
                } else {
                    let mut frames = Vec::new();
                    let mut complete = true;
                    loop {
                        match reader.read_frame() {
                            Ok(Some(f)) => frames.push(f.to_codec(channel)),
                            Ok(None) => break,
                            // Plays up to the error, as a short read does;
                            // such a file is not kept.
                            Err(_) => {
                                complete = false;
                                break;
                            }
                        }
                    }
                    let frames: Arc<[AudioFrame]> = frames.into();
                    if complete {
                        let size: usize = frames.iter().map(frame_bytes).sum();
                        let mut cache = SOUND_CACHE.lock().unwrap_or_else(|p| p.into_inner());
                        if cache.bytes + size > CACHE_LIMIT {
                            cache.entries.clear();
                            cache.bytes = 0;
                        }
                        if let Some((_, old)) = cache.entries.insert(key, (stamp, frames.clone())) {
                            cache.bytes -= old.iter().map(frame_bytes).sum::<usize>();
                        }
                        cache.bytes += size;
                    }
                    Frames::Shared { frames, next: 0 }
                }
            }
        };
        Ok(Playback {
            frames,
            channel,
            format,
            path: path.to_path_buf(),
            read: 0,
        })
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Skips about `samples` samples (whole frames), as a seek does.
    pub fn skip_samples(&mut self, samples: u64) -> Result<(), FileError> {
        let frames = samples / crate::media::FRAME_SAMPLES as u64;
        match &mut self.frames {
            Frames::Shared { next, .. } => {
                *next = next.saturating_add(usize::try_from(frames).unwrap_or(usize::MAX));
            }
            Frames::Reader(reader) => {
                reader.skip(samples).map_err(|source| FileError::Format {
                    path: self.path.clone(),
                    source,
                })?;
                self.read = self.read.saturating_add(samples);
            }
        }
        Ok(())
    }

    /// The position, in samples from the start (`ast_tellstream`).
    pub fn tell(&self) -> u64 {
        match &self.frames {
            Frames::Shared { frames, next } => {
                frames.iter().take(*next).map(|f| f.samples() as u64).sum()
            }
            Frames::Reader(_) => self.read,
        }
    }

    /// The length in samples, known for a file decoded whole.
    pub fn length(&self) -> Option<u64> {
        match &self.frames {
            Frames::Shared { frames, .. } => Some(frames.iter().map(|f| f.samples() as u64).sum()),
            Frames::Reader(_) => None,
        }
    }

    /// Moves to about `samples` from the start (whole frames), at most
    /// the end (`ast_seekstream` with `SEEK_SET`). A file read as it plays
    /// is opened again to go back.
    pub fn seek_to(&mut self, samples: u64) -> Result<(), FileError> {
        match &mut self.frames {
            Frames::Shared { frames, next } => {
                let frame = samples / crate::media::FRAME_SAMPLES as u64;
                *next = usize::try_from(frame)
                    .unwrap_or(usize::MAX)
                    .min(frames.len());
                Ok(())
            }
            Frames::Reader(_) => {
                if samples < self.read {
                    let reader =
                        formats::open_reader(self.format, &self.path).map_err(|source| {
                            FileError::Format {
                                path: self.path.clone(),
                                source,
                            }
                        })?;
                    self.frames = Frames::Reader(reader);
                    self.read = 0;
                }
                self.skip_samples(samples - self.read)
            }
        }
    }

    /// The next frame (the last may be short), `None` at the end.
    pub fn next_frame(&mut self) -> Result<Option<AudioFrame>, FileError> {
        match &mut self.frames {
            Frames::Shared { frames, next } => {
                let f = frames.get(*next).cloned();
                *next += 1;
                Ok(f)
            }
            Frames::Reader(reader) => {
                let frame = reader.read_frame().map_err(|source| FileError::Format {
                    path: self.path.clone(),
                    source,
                })?;
                if let Some(f) = &frame {
                    self.read += f.samples() as u64;
                }
                Ok(frame.map(|f| f.to_codec(self.channel)))
            }
        }
    }
}

enum Sink {
    Wav(WavWriter),
    Raw(std::io::BufWriter<File>),
    Gsm(formats::gsm::GsmWriter<std::io::BufWriter<File>>),
    Wav49(formats::gsm::Wav49Writer<std::io::BufWriter<File>>),
}

/// A recording in progress. Frames go to a temporary name beside the
/// target (`<name>.<ext>.part`, which no format's lookup matches) and the
/// file is renamed into place on [`Recording::finish`], so a crash never
/// leaves a half-written file under the real name. Dropping without
/// finishing finishes best-effort, keeping what was recorded as Asterisk
/// keeps a recording cut short by a hangup.
pub struct Recording {
    sink: Option<Sink>,
    format: FileFormat,
    codec: Codec,
    temp: PathBuf,
    target: PathBuf,
    file: Option<File>,
}

impl Recording {
    /// Starts recording `base` (path without extension) in `format`
    /// (Record() defaults to wav). Creates missing directories.
    pub fn create(base: &Path, format: FileFormat) -> Result<Self, FileError> {
        let mut target = base.as_os_str().to_owned();
        target.push(".");
        target.push(format.extensions()[0]);
        Self::create_file(Path::new(&target), format, false)
    }

    /// Starts recording into `target` (its extension chosen by the
    /// caller, as Record() keeps the one it was given) in `format`. With
    /// `append`, what `target` already holds comes first (Record's `a`).
    pub fn create_file(target: &Path, format: FileFormat, append: bool) -> Result<Self, FileError> {
        let mut temp = target.as_os_str().to_owned();
        temp.push(".part");
        Self::open(target, PathBuf::from(temp), format, append)
    }

    /// Records straight into `target`, as MixMonitor does: the file is
    /// there under its own name while recording (other programs may read
    /// it). [`Recording::flush`] keeps it whole so far, the wav header
    /// counting what was written.
    pub fn create_in_place(
        target: &Path,
        format: FileFormat,
        append: bool,
    ) -> Result<Self, FileError> {
        Self::open(target, target.to_path_buf(), format, append)
    }

    fn open(
        target: &Path,
        temp: PathBuf,
        format: FileFormat,
        append: bool,
    ) -> Result<Self, FileError> {
        // GSM files are encoded from linear audio.
        let codec = match format {
            FileFormat::Gsm | FileFormat::Wav49 => Codec::Slin,
            _ => format.codec().ok_or_else(|| FileError::Format {
                path: target.to_path_buf(),
                source: FormatError::Unsupported(format.name()),
            })?,
        };
        let target = target.to_path_buf();
        let in_place = temp == target;
        let io = |source| FileError::Io {
            path: temp.clone(),
            source,
        };
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let existing = append && target.is_file();
        if existing && matches!(format, FileFormat::Gsm | FileFormat::Wav49) {
            return Err(FileError::Format {
                path: target.clone(),
                source: FormatError::Unsupported("appending to gsm/wav49"),
            });
        }
        // A wav is rewritten whole (its header counts every sample): what
        // it holds is read before the file is truncated.
        let old_wav = if existing && format == FileFormat::Wav {
            Some(read_all_wav(&target)?)
        } else {
            None
        };
        let file = if existing && format != FileFormat::Wav {
            // Raw audio appends byte for byte.
            if !in_place {
                fs::copy(&target, &temp).map_err(io)?;
            }
            fs::OpenOptions::new()
                .append(true)
                .open(&temp)
                .map_err(io)?
        } else {
            File::create(&temp).map_err(io)?
        };
        let keep = file.try_clone().map_err(io)?;
        let sink = match format {
            FileFormat::Wav => {
                Sink::Wav(WavWriter::new(file).map_err(|source| FileError::Format {
                    path: temp.clone(),
                    source,
                })?)
            }
            FileFormat::Gsm => {
                Sink::Gsm(formats::gsm::GsmWriter::new(std::io::BufWriter::new(file)))
            }
            FileFormat::Wav49 => Sink::Wav49(
                formats::gsm::Wav49Writer::new(std::io::BufWriter::new(file)).map_err(io)?,
            ),
            _ => Sink::Raw(std::io::BufWriter::new(file)),
        };
        let mut rec = Recording {
            sink: Some(sink),
            format,
            codec,
            temp,
            target,
            file: Some(keep),
        };
        if let Some(old) = old_wav {
            for f in &old {
                rec.write_frame(f)?;
            }
            // What the file held is on disk again, counted by its header,
            // before anything new is added.
            rec.flush()?;
        }
        Ok(rec)
    }

    /// Writes out what is buffered; a wav's header is patched to count it.
    pub fn flush(&mut self) -> Result<(), FileError> {
        let temp = &self.temp;
        let io = |source| FileError::Io {
            path: temp.clone(),
            source,
        };
        match self.sink.as_mut() {
            Some(Sink::Wav(w)) => w.flush().map_err(|source| FileError::Format {
                path: temp.clone(),
                source,
            }),
            Some(Sink::Raw(w)) => std::io::Write::flush(w).map_err(io),
            // GSM frames are whole 33-byte blocks; what a partial block
            // holds waits for the rest.
            Some(Sink::Gsm(_)) | Some(Sink::Wav49(_)) | None => Ok(()),
        }
    }

    /// Drops what was recorded: the temporary file goes, nothing lands
    /// under the real name.
    pub fn discard(mut self) {
        self.sink = None;
        self.file = None;
        // Already gone is as good as removed.
        let _ = fs::remove_file(&self.temp);
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// Where the file will be once finished.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Appends a frame, converted to the file's codec.
    pub fn write_frame(&mut self, frame: &AudioFrame) -> Result<(), FileError> {
        let frame = frame.to_codec(self.codec);
        let temp = &self.temp;
        let io = |source| FileError::Io {
            path: temp.clone(),
            source,
        };
        match self.sink.as_mut() {
            Some(Sink::Wav(w)) => {
                w.write_samples(&frame.to_slin())
                    .map_err(|source| FileError::Format {
                        path: temp.clone(),
                        source,
                    })
            }
            Some(Sink::Raw(w)) => std::io::Write::write_all(w, &frame.to_bytes()).map_err(io),
            Some(Sink::Gsm(w)) => w.write_samples(&frame.to_slin()).map_err(io),
            Some(Sink::Wav49(w)) => w.write_samples(&frame.to_slin()).map_err(io),
            None => Ok(()),
        }
    }

    /// Completes the file (wav sizes patched, data synced to disk) and
    /// renames it into place; returns the final path.
    pub fn finish(mut self) -> Result<PathBuf, FileError> {
        self.finish_inner()?;
        Ok(self.target.clone())
    }

    fn finish_inner(&mut self) -> Result<(), FileError> {
        let Some(sink) = self.sink.take() else {
            return Ok(());
        };
        let temp = self.temp.clone();
        let io = |source| FileError::Io {
            path: temp.clone(),
            source,
        };
        match sink {
            Sink::Wav(w) => w.finish().map_err(|source| FileError::Format {
                path: temp.clone(),
                source,
            })?,
            Sink::Raw(w) => {
                w.into_inner().map_err(|e| io(e.into_error()))?;
            }
            Sink::Gsm(w) => {
                w.finish().map_err(io)?;
            }
            Sink::Wav49(w) => {
                w.finish().map_err(io)?;
            }
        }
        if let Some(f) = self.file.take() {
            f.sync_all().map_err(io)?;
        }
        if self.temp == self.target {
            return Ok(());
        }
        fs::rename(&self.temp, &self.target).map_err(io)
    }
}

/// Every frame of the wav at `path`.
fn read_all_wav(path: &Path) -> Result<Vec<AudioFrame>, FileError> {
    let err = |source| FileError::Format {
        path: path.to_path_buf(),
        source,
    };
    // The write stream's own samples, all of them (not the format's read).
    let mut old = formats::WavReader::open_whole(path).map_err(err)?;
    let mut frames = Vec::new();
    while let Some(f) = old.read_frame().map_err(err)? {
        frames.push(f);
    }
    Ok(frames)
}

impl Drop for Recording {
    fn drop(&mut self) {
        if self.sink.is_some()
            && let Err(e) = self.finish_inner()
        {
            tracing::warn!("recording {} not finished: {e}", self.target.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::FRAME_SAMPLES;

    fn touch(p: &Path) {
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).expect("mkdir");
        }
        fs::write(p, [0xFFu8; 10]).expect("write");
    }

    fn wav_fixture(p: &Path, samples: &[i16]) {
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).expect("mkdir");
        }
        let mut w = hound::WavWriter::create(p, formats::asterisk_spec()).expect("create");
        for &s in samples {
            w.write_sample(s).expect("sample");
        }
        w.finalize().expect("finalize");
    }

    fn base_name(found: &FoundSound, root: &Path) -> String {
        found
            .base
            .strip_prefix(root)
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    /// MixMonitor's recordings: straight into the file, whole on disk
    /// after each flush (the wav header counting what was written), and
    /// `a` appending to what a wav already held.
    #[test]
    fn in_place_recordings_are_whole_after_a_flush_and_append() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("m.wav");
        let mut rec = Recording::create_in_place(&target, FileFormat::Wav, false).expect("create");
        rec.write_frame(&AudioFrame::Slin(vec![7; FRAME_SAMPLES]))
            .expect("write");
        rec.flush().expect("flush");
        let on_disk = formats::WavReader::open(&target).expect("readable while recording");
        assert_eq!(on_disk.len() as usize, FRAME_SAMPLES);
        rec.finish().expect("finish");
        assert!(!dir.path().join("m.wav.part").exists());
        let mut rec = Recording::create_in_place(&target, FileFormat::Wav, true).expect("append");
        rec.write_frame(&AudioFrame::Slin(vec![9; FRAME_SAMPLES]))
            .expect("write");
        rec.finish().expect("finish");
        let frames = read_all_wav(&target).expect("read");
        let samples: Vec<i16> = frames.iter().flat_map(AudioFrame::to_slin).collect();
        assert_eq!(samples.len(), 2 * FRAME_SAMPLES);
        assert_eq!((samples[0], samples[FRAME_SAMPLES]), (7, 9));
        // Raw audio appends byte for byte.
        let raw = dir.path().join("m.sln");
        for v in [1i16, 2] {
            let mut rec = Recording::create_in_place(&raw, FileFormat::Sln, true).expect("raw");
            rec.write_frame(&AudioFrame::Slin(vec![v; FRAME_SAMPLES]))
                .expect("write");
            rec.finish().expect("finish");
        }
        assert_eq!(
            fs::metadata(&raw).expect("raw").len(),
            4 * FRAME_SAMPLES as u64
        );
    }

    #[test]
    fn language_fallback_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let paths = SoundPaths::new(root);
        touch(&root.join("en/hello.ulaw"));
        touch(&root.join("fr/hello.ulaw"));
        touch(&root.join("fr/only-fr.ulaw"));
        touch(&root.join("nolang.ulaw"));
        touch(&root.join("en/only-en.ulaw"));
        touch(&root.join("de_CH/hello.ulaw"));

        let f = |name: &str, lang: &str| {
            paths
                .find(name, lang)
                .map(|s| base_name(&s, root))
                .unwrap_or_else(|e| e.to_string())
        };
        assert_eq!(f("hello", "fr"), "fr/hello");
        // Dialect and style codes are stripped one at a time.
        assert_eq!(f("hello", "fr_CA_x"), "fr/hello");
        assert_eq!(f("hello", "de_CH"), "de_CH/hello");
        // No such language: none, then en.
        assert_eq!(f("hello", "it"), "en/hello");
        assert_eq!(f("nolang", "fr"), "nolang");
        assert_eq!(f("only-en", ""), "en/only-en");
        assert_eq!(
            f("only-fr", "en"),
            "File only-fr does not exist in any format"
        );
        assert!(paths.exists("hello", "xx"));
        assert!(!paths.exists("missing", "en"));
        assert!(matches!(
            paths.find("http://x/y", "en"),
            Err(FileError::Remote(_))
        ));
    }

    #[test]
    fn old_layout_and_absolute_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let paths = SoundPaths {
            language_prefix: false,
            ..SoundPaths::new(root.join("sounds"))
        };
        touch(&root.join("sounds/digits/fr/1.alaw"));
        touch(&root.join("abs/en/beep.sln"));
        let found = paths.find("digits/1", "fr").expect("found");
        assert_eq!(base_name(&found, root), "sounds/digits/fr/1");
        // Absolute names take the old layout whatever the setting.
        let abs = root.join("abs/beep");
        let abs = abs.to_str().expect("utf-8 path");
        let found = SoundPaths::new(root).find(abs, "en").expect("found");
        assert_eq!(base_name(&found, root), "abs/en/beep");
    }

    #[test]
    fn custom_dir_overrides() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        touch(&root.join("en/beep.ulaw"));
        touch(&root.join("custom/beep.ulaw"));
        let mut paths = SoundPaths::new(root);
        assert_eq!(
            base_name(&paths.find("beep", "en").expect("f"), root),
            "en/beep"
        );
        paths.search_custom_dir = true;
        assert_eq!(
            base_name(&paths.find("beep", "en").expect("f"), root),
            "custom/beep"
        );
    }

    #[test]
    fn best_format_for_channel() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let paths = SoundPaths::new(root);
        for ext in ["ulaw", "wav", "alaw", "gsm", "sln"] {
            touch(&root.join(format!("en/all.{ext}")));
        }
        let found = paths.find("all", "en").expect("found");
        assert_eq!(found.files.len(), 5);
        let best = |c| found.best_for(c).map(|(f, _)| f);
        assert_eq!(best(Codec::Ulaw), Some(FileFormat::Pcm));
        assert_eq!(best(Codec::Alaw), Some(FileFormat::Alaw));
        assert_eq!(best(Codec::Slin), Some(FileFormat::Wav));

        touch(&root.join("en/two.alaw"));
        touch(&root.join("en/two.sln"));
        let found = paths.find("two", "en").expect("found");
        // slin converts to µ-law more cheaply than A-law does.
        assert_eq!(
            found.best_for(Codec::Ulaw).map(|(f, _)| f),
            Some(FileFormat::Sln)
        );

        // GSM costs two steps to G.711, one (like G.711) to slin.
        touch(&root.join("en/three.gsm"));
        touch(&root.join("en/three.alaw"));
        let found = paths.find("three", "en").expect("found");
        assert_eq!(
            found.best_for(Codec::Ulaw).map(|(f, _)| f),
            Some(FileFormat::Alaw)
        );
        touch(&root.join("en/four.WAV"));
        touch(&root.join("en/four.ulaw"));
        let found = paths.find("four", "en").expect("found");
        assert_eq!(
            found.best_for(Codec::Slin).map(|(f, _)| f),
            Some(FileFormat::Wav49)
        );
        assert_eq!(
            found.best_for(Codec::Ulaw).map(|(f, _)| f),
            Some(FileFormat::Pcm)
        );
    }

    /// A tone recorded in `format` and played back through the lookup.
    fn gsm_round_trip(format: FileFormat, channel: Codec) -> Vec<AudioFrame> {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let tone: Vec<i16> = (0..1600)
            .map(|i| {
                (8000.0 * (i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin()) as i16
            })
            .collect();
        let mut r = Recording::create(&root.join("en/tone"), format).expect("create");
        for chunk in tone.chunks(160) {
            r.write_frame(&AudioFrame::Slin(chunk.to_vec()))
                .expect("write");
        }
        r.finish().expect("finish");
        let mut frames = Vec::new();
        for streaming in [false, true] {
            let paths = SoundPaths::new(root);
            let mut p = if streaming {
                paths.open_streaming("tone", "en", channel)
            } else {
                paths.open("tone", "en", channel)
            }
            .expect("opens");
            assert_eq!(p.format(), format);
            frames.clear();
            while let Some(f) = p.next_frame().expect("frame") {
                frames.push(f);
            }
        }
        // Ten whole frames, the tone's energy kept (GSM is lossy).
        assert_eq!(frames.len(), 10);
        let energy: f64 = frames
            .iter()
            .flat_map(|f| f.to_slin())
            .map(|s| (s as f64).powi(2))
            .sum::<f64>()
            / 1600.0;
        assert!(energy > 8000.0f64.powi(2) / 2.0 * 0.3, "energy {energy}");
        frames
    }

    #[test]
    fn gsm_and_wav49_play_back_what_was_recorded() {
        let frames = gsm_round_trip(FileFormat::Gsm, Codec::Ulaw);
        assert!(
            frames
                .iter()
                .all(|f| f.codec() == Codec::Ulaw && f.samples() == 160)
        );
        let frames = gsm_round_trip(FileFormat::Wav49, Codec::Slin);
        assert!(
            frames
                .iter()
                .all(|f| f.codec() == Codec::Slin && f.samples() == 160)
        );
    }

    #[test]
    fn malformed_gsm_files_warn_not_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let paths = SoundPaths::new(root);
        // Not a RIFF file: refused at open with format_wav_gsm's reason.
        fs::create_dir_all(root.join("en")).expect("dir");
        fs::write(root.join("en/bad.WAV"), b"RIFX0000WAVE").expect("write");
        match paths.open("bad", "en", Codec::Ulaw) {
            Err(FileError::Format {
                source: FormatError::Gsm(e),
                ..
            }) => {
                assert_eq!(e.to_string(), "Does not begin with RIFF");
                // check_header's line in Asterisk 20.20.1.
                let crate::media::formats::gsm::GsmFileError::BadWav49(w) = e else {
                    panic!("{e:?}");
                };
                assert_eq!((w.site.line, w.site.function), (114, "check_header"));
            }
            other => panic!("{:?}", other.map(|p| p.format())),
        }
        let mut h = crate::media::formats::gsm::wav49_header(0);
        h[20] = 1;
        fs::write(root.join("en/pcm.WAV"), h).expect("write");
        match paths.open("pcm", "en", Codec::Ulaw) {
            Err(FileError::Format {
                source: FormatError::Gsm(e),
                ..
            }) => assert_eq!(e.to_string(), "Not a GSM file 1"),
            other => panic!("{:?}", other.map(|p| p.format())),
        }
        // Garbage frames play as silence, a partial last frame is dropped.
        fs::write(root.join("en/junk.gsm"), [0u8; 33 * 2 + 5]).expect("write");
        for streaming in [false, true] {
            let mut p = if streaming {
                paths.open_streaming("junk", "en", Codec::Slin)
            } else {
                paths.open("junk", "en", Codec::Slin)
            }
            .expect("opens");
            let mut n = 0;
            while let Some(f) = p.next_frame().expect("frame") {
                assert!(f.to_slin().iter().all(|s| *s == 0));
                n += 1;
            }
            assert_eq!(n, 2);
        }
        // An empty .gsm file is simply nothing to play.
        fs::write(root.join("en/empty.gsm"), []).expect("write");
        let mut p = paths.open("empty", "en", Codec::Ulaw).expect("opens");
        assert!(p.next_frame().expect("end").is_none());
    }

    #[test]
    fn plays_wav_as_ulaw_frames() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let samples: Vec<i16> = (0..500).map(|i| ((i % 50) * 400 - 10000) as i16).collect();
        wav_fixture(&root.join("en/tone.wav"), &samples);
        let mut p = SoundPaths::new(root)
            .open("tone", "en", Codec::Ulaw)
            .expect("opens");
        assert_eq!(p.format(), FileFormat::Wav);
        let mut frames = Vec::new();
        while let Some(f) = p.next_frame().expect("frame") {
            frames.push(f);
        }
        // 500 samples, of which format_wav plays all but the last 22.
        assert_eq!(
            frames.iter().map(AudioFrame::samples).collect::<Vec<_>>(),
            [160, 160, 158]
        );
        assert!(frames.iter().all(|f| f.codec() == Codec::Ulaw));
        let AudioFrame::Ulaw(first) = &frames[0] else {
            panic!("µ-law");
        };
        assert_eq!(first[0], crate::media::g711::linear_to_ulaw(samples[0]));
    }

    /// The second playback of a prompt comes from the shared decoded copy;
    /// a file replaced on disk is read afresh.
    #[test]
    fn decoded_prompts_are_shared_until_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let path = root.join("en/shared.wav");
        wav_fixture(&path, &[1000; 400]);
        let paths = SoundPaths::new(root);
        let first = paths.open("shared", "en", Codec::Alaw).expect("opens");
        let second = paths.open("shared", "en", Codec::Alaw).expect("opens");
        let (Frames::Shared { frames: a, .. }, Frames::Shared { frames: b, .. }) =
            (&first.frames, &second.frames)
        else {
            panic!("small prompts are cached");
        };
        assert!(Arc::ptr_eq(a, b));
        assert_eq!(a.len(), 3);
        // A new recording under the same name (different size).
        wav_fixture(&path, &[-1000; 800]);
        let mut third = paths.open("shared", "en", Codec::Alaw).expect("opens");
        let mut n = 0;
        while let Some(f) = third.next_frame().expect("frame") {
            assert_eq!(f.codec(), Codec::Alaw);
            n += 1;
        }
        assert_eq!(n, 5);
    }

    /// Music on hold resumes mid-file: streamed readers seek.
    #[test]
    fn streamed_playback_skips_ahead() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let samples: Vec<i16> = (0..800).map(|i| i as i16).collect();
        wav_fixture(&root.join("en/long.wav"), &samples);
        let data: Vec<u8> = (0..800).map(|i| (i % 251) as u8).collect();
        fs::write(root.join("en/long.ulaw"), &data).expect("write");
        let paths = SoundPaths::new(root);
        let mut p = paths
            .open_streaming("long", "en", Codec::Slin)
            .expect("opens");
        assert_eq!(p.format(), FileFormat::Wav);
        p.next_frame().expect("frame");
        p.skip_samples(320).expect("skip");
        let f = p.next_frame().expect("frame").expect("some");
        assert_eq!(f.to_slin()[0], 480);
        p.skip_samples(10_000).expect("skip past the end");
        assert_eq!(p.next_frame().expect("frame"), None);

        let mut p = paths
            .open_streaming("long", "en", Codec::Ulaw)
            .expect("opens");
        assert_eq!(p.format(), FileFormat::Pcm);
        p.skip_samples(480).expect("skip");
        assert_eq!(
            p.next_frame().expect("frame"),
            Some(AudioFrame::Ulaw(data[480..640].to_vec()))
        );
    }

    #[test]
    fn ulaw_file_passes_through() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let data: Vec<u8> = (0..=255u8).collect();
        fs::create_dir_all(root.join("en")).expect("mkdir");
        fs::write(root.join("en/raw.ulaw"), &data).expect("write");
        let mut p = SoundPaths::new(root)
            .open("raw", "en", Codec::Ulaw)
            .expect("opens");
        assert_eq!(
            p.next_frame().expect("frame"),
            Some(AudioFrame::Ulaw(data[..FRAME_SAMPLES].to_vec()))
        );
    }

    #[test]
    fn recording_is_renamed_on_finish() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("rec/msg0000");
        let mut r = Recording::create(&base, FileFormat::Wav).expect("create");
        let part = dir.path().join("rec/msg0000.wav.part");
        assert!(part.exists());
        let target = dir.path().join("rec/msg0000.wav");
        assert!(
            !target.exists(),
            "nothing under the real name while recording"
        );
        let frame = AudioFrame::Ulaw(vec![crate::media::g711::linear_to_ulaw(1000); 160]);
        r.write_frame(&frame).expect("write");
        r.write_frame(&AudioFrame::Slin(vec![-5; 160]))
            .expect("write");
        assert_eq!(r.finish().expect("finish"), target);
        assert!(!part.exists());
        let mut reader = formats::WavReader::open(&target).expect("valid wav");
        assert_eq!(reader.len(), 320);
        let f = reader.read_frame().expect("frame").expect("some");
        assert_eq!(f.to_slin()[0], frame.to_slin()[0]);

        // Raw formats too, and a dropped recording still lands.
        let base = dir.path().join("drop");
        {
            let mut r = Recording::create(&base, FileFormat::Alaw).expect("create");
            r.write_frame(&AudioFrame::Slin(vec![0; 160]))
                .expect("write");
        }
        let bytes = fs::read(dir.path().join("drop.alaw")).expect("renamed on drop");
        assert_eq!(bytes, vec![crate::media::g711::ALAW_SILENCE; 160]);
        // GSM is encoded from linear audio: 33 bytes per whole frame.
        let mut r = Recording::create(&base, FileFormat::Gsm).expect("create gsm");
        r.write_frame(&AudioFrame::Slin(vec![0; 400]))
            .expect("write");
        r.finish().expect("finish");
        assert_eq!(
            fs::read(dir.path().join("drop.gsm")).expect("gsm").len(),
            66
        );
    }
}
