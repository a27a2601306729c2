//! Tone generation as Asterisk's PlayTones does it (main/indications.c),
//! the Milliwatt test tones, and silence.
//!
//! A tone list is comma-separated parts (`|` also accepted when present,
//! as in old configs): `f1[+f2][/ms]`, `f1*f2[/ms]` (f1 amplitude-modulated
//! by f2), and MIDI-note forms `Mn[+Mn][/ms]`. A part starting with `!`
//! plays once; the list repeats from the first part without `!`, and a
//! list whose parts all have `!` stops after the last. A part without a
//! duration plays until stopped.
//!
//! Samples come from the same integer recurrence Asterisk uses (a
//! second-order oscillator per frequency), and parts switch only on frame
//! boundaries as in Asterisk, so output can be compared with Asterisk's.

use crate::config::views::indications::IndicationsConf;
use crate::media::{AudioFrame, Codec, FRAME_SAMPLES, SAMPLE_RATE, SlinFrame, g711};

/// PlayTones' default level (about −8 dBm0) when none is given.
pub const DEFAULT_VOLUME: i32 = 7219;
/// Milliwatt's level: 0 dBm0.
pub const MILLIWATT_VOLUME: i32 = 23255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToneError {
    #[error("no valid tone parts in '{0}'")]
    NoValidParts(String),
    #[error("no tone zone '{0}'")]
    UnknownZone(String),
    #[error("no indication '{name}' in tone zone '{zone}'")]
    UnknownIndication { zone: String, name: String },
}

/// One part of a tone list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TonePart {
    /// Frequencies in Hz; 0 is silence.
    pub freq1: u32,
    pub freq2: u32,
    /// `f1*f2`: f1 modulated by f2 instead of summed with it.
    pub modulate: bool,
    /// Milliseconds; 0 plays until stopped.
    pub duration_ms: u32,
    /// Prefixed with `!`: not part of the repeat.
    pub once: bool,
}

/// A parsed tone list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToneList {
    pub parts: Vec<TonePart>,
    /// Index the list starts over at; `None` when every part has `!`.
    pub repeat_from: Option<usize>,
}

/// MIDI note → Hz, truncated as in Asterisk's table (A4 = note 69).
pub fn midi_to_hz(note: u32) -> u32 {
    if note > 127 {
        return 0;
    }
    (440.0 * 2f64.powf((f64::from(note) - 69.0) / 12.0)) as u32
}

/// Reads an unsigned decimal the way glibc's `%u` does after optional
/// blanks: a sign is allowed (`-5` is 2^32 - 5, as strtoul negates), and
/// a value past `unsigned long` is its maximum, cut to 32 bits.
fn number(s: &str) -> Option<(u32, &str)> {
    let s = s.trim_start();
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = body
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(body.len());
    if end == 0 {
        return None;
    }
    let v = body[..end].parse::<u64>().unwrap_or(u64::MAX);
    let v = if neg { v.wrapping_neg() } else { v };
    Some((v as u32, &body[end..]))
}

/// One part, with Asterisk's precedence of forms: two frequencies with a
/// joiner if the second parses, then a duration only if it follows
/// directly; whatever follows is ignored.
fn parse_part(s: &str) -> Option<TonePart> {
    let (midi, s) = match s.strip_prefix('M') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (f1, rest) = number(s)?;
    let mut part = TonePart {
        freq1: f1,
        // A single MIDI note has no second note (Asterisk stores -1,
        // which is out of the table and so 0 Hz).
        freq2: 0,
        modulate: false,
        duration_ms: 0,
        once: false,
    };
    let mut after = rest;
    let joined = rest
        .strip_prefix('+')
        .map(|r| (false, r))
        .or_else(|| rest.strip_prefix('*').map(|r| (true, r)));
    let mut two = false;
    if let Some((modulate, r)) = joined {
        let r = if midi { r.strip_prefix('M') } else { Some(r) };
        if let Some((f2, r)) = r.and_then(number) {
            part.freq2 = f2;
            part.modulate = modulate;
            after = r;
            two = true;
        }
    }
    if (two || joined.is_none())
        && let Some((ms, _)) = after.strip_prefix('/').and_then(number)
    {
        part.duration_ms = ms;
    }
    if midi {
        part.freq1 = midi_to_hz(part.freq1);
        part.freq2 = if two { midi_to_hz(part.freq2) } else { 0 };
    }
    Some(part)
}

impl ToneList {
    /// Parses a list; parts that do not parse are skipped (Asterisk logs
    /// and goes on), and a list with none left is an error. Parsing stops
    /// at the first empty part, as Asterisk's does.
    pub fn parse(list: &str) -> Result<ToneList, ToneError> {
        Self::parse_reporting(list, |_| {})
    }

    /// As [`ToneList::parse`], handing each part that does not parse (its
    /// `!` removed) to `bad`, for Asterisk's "Failed to parse tone part".
    pub fn parse_reporting(list: &str, mut bad: impl FnMut(&str)) -> Result<ToneList, ToneError> {
        let sep = if list.contains('|') { '|' } else { ',' };
        let mut parts = Vec::new();
        let mut repeat_from = None;
        for raw in list.split(sep) {
            if raw.is_empty() {
                break;
            }
            let mut s = raw.trim();
            let once = match s.strip_prefix('!') {
                Some(rest) => {
                    s = rest;
                    true
                }
                None => false,
            };
            if !once && repeat_from.is_none() {
                repeat_from = Some(parts.len());
            }
            match parse_part(s) {
                Some(mut p) => {
                    p.once = once;
                    parts.push(p);
                }
                None => bad(s),
            }
        }
        if parts.is_empty() {
            return Err(ToneError::NoValidParts(list.to_string()));
        }
        Ok(ToneList { parts, repeat_from })
    }
}

/// Oscillator coefficients of one part.
#[derive(Debug, Clone, Copy)]
struct Item {
    fac1: i32,
    init_v2_1: i32,
    init_v3_1: i32,
    fac2: i32,
    init_v2_2: i32,
    init_v3_2: i32,
    modulate: bool,
    /// In samples; 0 = forever.
    duration: u32,
}

impl Item {
    fn new(p: &TonePart, volume: i32) -> Self {
        // Asterisk divides in single precision, the rest in double.
        let coeffs = |f: u32| {
            let x = f64::from(f as f32 / SAMPLE_RATE as f32);
            let pi = std::f64::consts::PI;
            (
                (2.0 * (2.0 * pi * x).cos() * 32768.0) as i32,
                ((-4.0 * pi * x).sin() * f64::from(volume)) as i32,
                ((-2.0 * pi * x).sin() * f64::from(volume)) as i32,
            )
        };
        let (fac1, init_v2_1, init_v3_1) = coeffs(p.freq1);
        let (fac2, init_v2_2, init_v3_2) = coeffs(p.freq2);
        Item {
            fac1,
            init_v2_1,
            init_v3_1,
            fac2,
            init_v2_2,
            init_v3_2,
            modulate: p.modulate,
            duration: p.duration_ms.saturating_mul(SAMPLE_RATE / 1000),
        }
    }
}

/// Produces 20 ms frames of a tone list.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    items: Vec<Item>,
    repeat_from: Option<usize>,
    index: usize,
    loaded: Option<usize>,
    pos: u32,
    v: [i32; 6],
    done: bool,
}

impl ToneGenerator {
    /// `volume` ≤ 0 means Asterisk's default level.
    pub fn new(list: &ToneList, volume: i32) -> Self {
        let volume = if volume < 1 { DEFAULT_VOLUME } else { volume };
        ToneGenerator {
            items: list.parts.iter().map(|p| Item::new(p, volume)).collect(),
            repeat_from: list.repeat_from,
            index: 0,
            loaded: None,
            pos: 0,
            v: [0; 6],
            done: false,
        }
    }

    /// Parses `list` and plays it at the default level.
    pub fn parse(list: &str) -> Result<Self, ToneError> {
        Ok(Self::new(&ToneList::parse(list)?, 0))
    }

    /// An indication (`dial`, `busy`, `ring`...) from indications.conf,
    /// in `country` or the default zone.
    pub fn indication(
        conf: &IndicationsConf,
        country: Option<&str>,
        name: &str,
    ) -> Result<Self, ToneError> {
        let country = country
            .or(conf.default_country.as_deref())
            .unwrap_or_default();
        let zone = conf
            .zone(country)
            .ok_or_else(|| ToneError::UnknownZone(country.to_string()))?;
        let tones = zone
            .tone(name)
            .ok_or_else(|| ToneError::UnknownIndication {
                zone: zone.country.clone(),
                name: name.to_string(),
            })?;
        Self::parse(tones)
    }

    /// Whether the list has finished (only lists whose parts all have `!`).
    pub fn is_finished(&self) -> bool {
        self.done
    }

    /// The next 20 ms frame, or `None` once a non-repeating list ended.
    pub fn next_frame(&mut self) -> Option<SlinFrame> {
        if self.done {
            return None;
        }
        let item = *self.items.get(self.index)?;
        if self.loaded != Some(self.index) {
            // A new part restarts its oscillators; a part repeating
            // itself carries on in phase.
            self.v = [
                0,
                item.init_v2_1,
                item.init_v3_1,
                0,
                item.init_v2_2,
                item.init_v3_2,
            ];
            self.loaded = Some(self.index);
        }
        let mut out = [0i16; FRAME_SAMPLES];
        let [v1_1, v2_1, v3_1, v1_2, v2_2, v3_2] = &mut self.v;
        for o in out.iter_mut() {
            *v1_1 = *v2_1;
            *v2_1 = *v3_1;
            *v3_1 = (item.fac1.wrapping_mul(*v2_1) >> 15).wrapping_sub(*v1_1);
            *v1_2 = *v2_2;
            *v2_2 = *v3_2;
            *v3_2 = (item.fac2.wrapping_mul(*v2_2) >> 15).wrapping_sub(*v1_2);
            *o = if item.modulate {
                let p = (*v3_2 - 32768).abs() * 9 / 10 + 1;
                (v3_1.wrapping_mul(p) >> 15) as i16
            } else {
                v3_1.wrapping_add(*v3_2) as i16
            };
        }
        self.pos += FRAME_SAMPLES as u32;
        if item.duration != 0 && self.pos >= item.duration {
            self.pos = 0;
            self.index += 1;
            if self.index >= self.items.len() {
                match self.repeat_from {
                    Some(r) => self.index = r,
                    None => self.done = true,
                }
            }
        }
        Some(out)
    }
}

impl Iterator for ToneGenerator {
    type Item = SlinFrame;

    fn next(&mut self) -> Option<SlinFrame> {
        self.next_frame()
    }
}

/// The Milliwatt application's three signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilliwattMode {
    /// No option: a continuous 1004 Hz tone at 0 dBm0.
    Tone,
    /// `m`: the test-line pattern, 9 s of 1004 Hz then 1 s of silence.
    TestLine,
    /// `o`: the old behaviour, the G.711 digital milliwatt (a 1 kHz
    /// µ-law sequence of 8 codes).
    Digital,
}

/// One period of the digital milliwatt in µ-law (a 1 kHz sine sampled
/// 22.5° off its zero crossings).
pub const DIGITAL_MILLIWATT: [u8; 8] = [0x1e, 0x0b, 0x0b, 0x1e, 0x9e, 0x8b, 0x8b, 0x9e];

/// Milliwatt generator: slin frames for the tone modes, µ-law for the
/// digital one (Asterisk writes that straight to a µ-law channel).
#[derive(Debug, Clone)]
pub struct Milliwatt {
    tone: Option<ToneGenerator>,
    index: usize,
}

impl Milliwatt {
    pub fn new(mode: MilliwattMode) -> Self {
        let list = match mode {
            MilliwattMode::Tone => Some("1004/1000"),
            MilliwattMode::TestLine => Some("1004/9000,0/1000"),
            MilliwattMode::Digital => None,
        };
        let tone = list
            .and_then(|l| ToneList::parse(l).ok())
            .map(|l| ToneGenerator::new(&l, MILLIWATT_VOLUME));
        Milliwatt { tone, index: 0 }
    }

    pub fn next_frame(&mut self) -> AudioFrame {
        if let Some(t) = self.tone.as_mut() {
            // These lists repeat, so a frame always comes.
            return AudioFrame::Slin(t.next_frame().unwrap_or([0; FRAME_SAMPLES]).to_vec());
        }
        let mut out = Vec::with_capacity(FRAME_SAMPLES);
        for _ in 0..FRAME_SAMPLES {
            out.push(DIGITAL_MILLIWATT[self.index]);
            self.index = (self.index + 1) % DIGITAL_MILLIWATT.len();
        }
        AudioFrame::Ulaw(out)
    }
}

/// A 20 ms frame of silence in `codec`.
pub fn silence(codec: Codec) -> AudioFrame {
    match codec {
        Codec::Ulaw => AudioFrame::Ulaw(vec![g711::ULAW_SILENCE; FRAME_SAMPLES]),
        Codec::Alaw => AudioFrame::Alaw(vec![g711::ALAW_SILENCE; FRAME_SAMPLES]),
        Codec::Slin => AudioFrame::Slin(vec![0; FRAME_SAMPLES]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_percent_u() {
        for (text, want) in [
            ("800/80", Some((800, "/80"))),
            (" 12", Some((12, ""))),
            ("-5/10", Some((4_294_967_291, "/10"))),
            ("+7", Some((7, ""))),
            ("99999999999999999999", Some((u32::MAX, ""))),
            ("-", None),
            ("x", None),
        ] {
            assert_eq!(number(text), want, "{text:?}");
        }
    }

    fn part(freq1: u32, freq2: u32, modulate: bool, duration_ms: u32, once: bool) -> TonePart {
        TonePart {
            freq1,
            freq2,
            modulate,
            duration_ms,
            once,
        }
    }

    #[test]
    fn parses_asterisk_forms() {
        let l = ToneList::parse("!350+440/100,!0/100,350+440").expect("parses");
        assert_eq!(
            l.parts,
            [
                part(350, 440, false, 100, true),
                part(0, 0, false, 100, true),
                part(350, 440, false, 0, false)
            ]
        );
        assert_eq!(l.repeat_from, Some(2));
        let l = ToneList::parse("425*25/500| 0/500").expect("parses");
        assert_eq!(
            l.parts,
            [
                part(425, 25, true, 500, false),
                part(0, 0, false, 500, false)
            ]
        );
        assert_eq!(l.repeat_from, Some(0));
        assert_eq!(
            ToneList::parse("M69+M81/200").expect("midi").parts,
            [part(440, 880, false, 200, false)]
        );
        // A second note without its M is not a second note.
        assert_eq!(
            ToneList::parse("M69+81").expect("midi").parts,
            [part(440, 0, false, 0, false)]
        );
        // Garbage parts are skipped; none valid is an error.
        assert_eq!(
            ToneList::parse("x,440").expect("parses").parts,
            [part(440, 0, false, 0, false)]
        );
        assert!(matches!(
            ToneList::parse("foo"),
            Err(ToneError::NoValidParts(_))
        ));
        assert_eq!(ToneList::parse("!440/100").expect("once").repeat_from, None);
    }

    #[test]
    fn midi_table_matches_asterisk() {
        assert_eq!(midi_to_hz(0), 8);
        assert_eq!(midi_to_hz(60), 261);
        assert_eq!(midi_to_hz(69), 440);
        assert_eq!(midi_to_hz(127), 12543);
        assert_eq!(midi_to_hz(128), 0);
    }

    fn energy(f: &SlinFrame) -> i64 {
        f.iter().map(|&s| i64::from(s).pow(2)).sum()
    }

    /// Goertzel power of `freq` in a frame.
    fn goertzel(f: &[i16], freq: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
        let c = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &x in f {
            let s = f64::from(x) + c * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        s1 * s1 + s2 * s2 - c * s1 * s2
    }

    #[test]
    fn once_parts_then_repeat() {
        let mut g = ToneGenerator::parse("!350+440/100,!0/100,350+440").expect("tone");
        let frames: Vec<SlinFrame> = (&mut g).take(20).collect();
        assert_eq!(frames.len(), 20);
        // 100 ms = 5 frames of tone, then 5 of silence, then tone forever.
        assert!(frames[..5].iter().all(|f| energy(f) > 0));
        assert!(frames[5..10].iter().all(|f| energy(f) == 0));
        assert!(frames[10..].iter().all(|f| energy(f) > 0));
        let f = &frames[12];
        assert!(goertzel(f, 350.0) > 100.0 * goertzel(f, 1000.0));
        assert!(goertzel(f, 440.0) > 100.0 * goertzel(f, 1000.0));
        // Peak level is the two amplitudes summed, each about 7219.
        let peak = frames[12]
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!((12000..=14500).contains(&peak), "{peak}");
    }

    #[test]
    fn all_once_list_ends() {
        let mut g = ToneGenerator::parse("!440/40,!0/40").expect("tone");
        assert_eq!((&mut g).count(), 4);
        assert!(g.is_finished());
    }

    #[test]
    fn cadence_repeats() {
        // US busy: 500 ms on, 500 ms off.
        let g = ToneGenerator::parse("480+620/500,0/500").expect("tone");
        let on: Vec<bool> = g.take(100).map(|f| energy(&f) > 0).collect();
        for (i, &b) in on.iter().enumerate() {
            assert_eq!(b, (i / 25) % 2 == 0, "frame {i}");
        }
    }

    #[test]
    fn modulated_tone_has_sidebands() {
        let mut g = ToneGenerator::parse("425*50").expect("tone");
        let f: Vec<i16> = (0..10)
            .flat_map(|_| g.next_frame().unwrap_or([0; 160]))
            .collect();
        let carrier = goertzel(&f, 425.0);
        assert!(goertzel(&f, 375.0) > carrier / 100.0);
        assert!(goertzel(&f, 475.0) > carrier / 100.0);
        assert!(goertzel(&f, 1000.0) < carrier / 1000.0);
    }

    #[test]
    fn indication_from_conf() {
        use crate::config::views::indications::ToneZone;
        let conf = IndicationsConf {
            zones: vec![ToneZone {
                country: "us".into(),
                description: "US".into(),
                ringcadence: vec![2000, 4000],
                tones: vec![("dial".into(), "350+440".into())],
            }],
            default_country: Some("us".into()),
        };
        assert!(ToneGenerator::indication(&conf, None, "dial").is_ok());
        assert!(ToneGenerator::indication(&conf, Some("US"), "DIAL").is_ok());
        assert_eq!(
            ToneGenerator::indication(&conf, None, "busy").err(),
            Some(ToneError::UnknownIndication {
                zone: "us".into(),
                name: "busy".into()
            })
        );
        assert_eq!(
            ToneGenerator::indication(&conf, Some("fr"), "dial").err(),
            Some(ToneError::UnknownZone("fr".into()))
        );
    }

    #[test]
    fn milliwatt_modes() {
        let mut d = Milliwatt::new(MilliwattMode::Digital);
        let AudioFrame::Ulaw(b) = d.next_frame() else {
            panic!("digital milliwatt is µ-law");
        };
        assert_eq!(&b[..8], &DIGITAL_MILLIWATT);
        assert_eq!(&b[152..], &DIGITAL_MILLIWATT);
        let lin: Vec<i16> = b.iter().map(|&c| g711::ulaw_to_linear(c)).collect();
        assert!(goertzel(&lin, 1000.0) > 1000.0 * goertzel(&lin, 1500.0));

        let mut t = Milliwatt::new(MilliwattMode::Tone);
        let s = t.next_frame().to_slin();
        assert!(goertzel(&s, 1004.0) > 100.0 * goertzel(&s, 1500.0));
        let peak = s.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
        assert!((22000..=23300).contains(&peak), "{peak}");

        // Test line: 9 s on (450 frames), 1 s off (50).
        let mut m = Milliwatt::new(MilliwattMode::TestLine);
        let on: Vec<bool> = (0..500)
            .map(|_| m.next_frame().to_slin().iter().any(|&v| v != 0))
            .collect();
        assert!(on[..450].iter().all(|&b| b));
        assert!(on[450..].iter().all(|&b| !b));
    }

    #[test]
    fn silence_frames() {
        assert_eq!(silence(Codec::Ulaw).to_slin(), vec![0; 160]);
        assert_eq!(silence(Codec::Slin).samples(), 160);
        assert!(silence(Codec::Alaw).to_slin().iter().all(|&s| s.abs() <= 8));
    }
}
