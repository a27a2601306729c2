//! A conference's recording (app_confbridge's `conf_start_record` and
//! `conf_stop_record`, the `CBRec` technology of
//! `confbridge/conf_chan_record.c`): a recorder channel joins the mix and
//! MixMonitor on it records what it hears, which is everyone.
//!
//! The recorder is an internal channel: the manager shows none of its
//! events, but the bridge counts it and members see it in BRIDGEPEER.
//! ConfbridgeRecord and ConfbridgeStopRecord tell AMI it started and
//! stopped.

use std::sync::Arc;
use std::time::Instant;

use super::Conference;
use crate::channels::media::MediaPort;
use crate::channels::{ChanState, Channel, NewChannel};
use crate::config::views::confbridge::BridgeProfile;
use crate::core::{System, lock};
use crate::media::{AudioFrame, Codec};

/// Why a recording could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("the conference is already being recorded")]
    AlreadyRecording,
    /// The conference ended, or MixMonitor would not take the file.
    #[error("the recorder could not start")]
    Failed,
}

/// Stopping a conference that is not being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the conference is not being recorded")]
pub struct NotRecording;

/// The recorder in the bridge.
pub(super) struct Recorder {
    pub chan: Arc<Channel>,
    /// Its place in the bridge's join order (for BRIDGEPEER).
    pub seq: u64,
}

/// What is written to the recorder goes nowhere (`rec_write`): only its
/// MixMonitor hears it, on the way.
struct Discard;

impl MediaPort for Discard {
    fn codec(&self) -> Codec {
        Codec::Slin
    }
    fn write(&self, _frame: &AudioFrame, _now: Instant) {}
}

/// The recording's state besides the recorder: the profile's file (which
/// the manager and the CLI may change) and the MixMonitor arguments last
/// used.
#[derive(Default)]
pub(super) struct RecordState {
    pub recorder: Option<Recorder>,
    /// `b_profile.rec_file`: `None` until changed, the profile's then.
    pub file: Option<String>,
    /// The last MixMonitor arguments (`record_filename`), reused while
    /// appending to the same file.
    pub arguments: String,
    /// The file named when the arguments were last made anew
    /// (`orig_rec_file`).
    pub named: Option<String>,
}

/// `is_new_rec_file`: whether `file` differs from the one named before;
/// an empty file is never new.
fn is_new_file(file: &str, named: &mut Option<String>) -> bool {
    if file.is_empty() {
        return false;
    }
    let before = named.get_or_insert_with(String::new);
    if before != file {
        *before = file.to_string();
        return true;
    }
    false
}

/// `set_rec_filename`: MixMonitor's `file,options,command` for a
/// recording that starts at `now` (seconds since the epoch). With
/// `record_file_append` the previous arguments stay unless the file is
/// new; without a file the name is `confbridge-<name>-<now>.wav`; with
/// `record_file_timestamp` the time goes before the last dot.
fn arguments(
    profile: &BridgeProfile,
    conference: &str,
    file: &str,
    previous: &str,
    is_new: bool,
    now: u64,
) -> String {
    if !previous.is_empty() && profile.record_file_append && !is_new {
        return previous.to_string();
    }
    let name = if file.is_empty() {
        format!("confbridge-{conference}-{now}.wav")
    } else if profile.record_file_timestamp {
        match file.rfind('.') {
            Some(dot) => format!("{}-{now}{}", &file[..dot], &file[dot..]),
            None => format!("{file}-{now}"),
        }
    } else {
        file.to_string()
    };
    format!(
        "{name},{}{},{}",
        if profile.record_file_append { "a" } else { "" },
        profile.record_options,
        profile.record_command
    )
}

impl Conference {
    pub fn is_recording(&self) -> bool {
        lock(&self.st).record.recorder.is_some()
    }

    /// The file the next recording goes to (the manager's `RecordFile`,
    /// the CLI's file): it replaces the profile's for this conference.
    pub fn set_record_file(&self, file: &str) {
        lock(&self.st).record.file = Some(file.to_string());
    }

    /// `conf_start_record`: a recorder channel, MixMonitor on it, the
    /// recorder into the bridge (the members' BRIDGEPEER), then
    /// ConfbridgeRecord.
    pub fn start_record(&self, sys: &System) -> Result<(), StartError> {
        {
            let mut st = lock(&self.st);
            if st.ended {
                return Err(StartError::Failed);
            }
            if st.record.recorder.is_some() {
                return Err(StartError::AlreadyRecording);
            }
            let chans = &sys.pbx.channels;
            let chan = chans.alloc_internal(
                format!("CBRec/{}-{:08x}", self.name, sys.confbridge.next_recorder()),
                "CBRec",
                NewChannel {
                    state: Some(ChanState::Up),
                    ..Default::default()
                },
            );
            chan.set_media_port(Arc::new(Discard));
            let record = &mut st.record;
            let file = record
                .file
                .clone()
                .unwrap_or_else(|| self.profile.record_file.clone());
            let is_new = is_new_file(&file, &mut record.named);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            record.arguments = arguments(
                &self.profile,
                &self.name,
                &file,
                &record.arguments,
                is_new,
                now,
            );
            if !crate::apps::mixmonitor::start_on(&sys.arc(), &chan, &record.arguments) {
                chans.release_internal(&chan);
                return Err(StartError::Failed);
            }
            let seq = st.next_seq();
            st.record.recorder = Some(Recorder { chan, seq });
        }
        self.set_peers();
        self.publish("ConfbridgeRecord", None, "");
        Ok(())
    }

    /// `conf_stop_record`: ConfbridgeStopRecord (the bridge still counts
    /// the recorder, whose hangup is only queued), then the recorder
    /// leaves and hangs up, its MixMonitor closing the file.
    pub fn stop_record(&self, sys: &System) -> Result<(), NotRecording> {
        let (recorder, counted) = {
            let mut st = lock(&self.st);
            let recorder = st.record.recorder.take().ok_or(NotRecording)?;
            let counted = self.snapshot_of(&st, Self::bridged(&st) + 1);
            (recorder, counted)
        };
        self.publish_as(&counted, "ConfbridgeStopRecord", None, "");
        sys.pbx.channels.release_internal(&recorder.chan);
        self.set_peers();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(append: bool, timestamp: bool) -> BridgeProfile {
        let mut p = BridgeProfile::new("b");
        p.record_file_append = append;
        p.record_file_timestamp = timestamp;
        p.record_options = "r(in.wav)".into();
        p.record_command = "echo done".into();
        p
    }

    #[test]
    fn file_names_follow_the_profile() {
        let p = profile(true, true);
        assert_eq!(
            arguments(&p, "Room", "", "", false, 17),
            "confbridge-Room-17.wav,ar(in.wav),echo done"
        );
        assert_eq!(
            arguments(&p, "Room", "/tmp/a.b/rec.wav", "", true, 17),
            "/tmp/a.b/rec-17.wav,ar(in.wav),echo done"
        );
        assert_eq!(
            arguments(&p, "Room", "rec", "", true, 17),
            "rec-17,ar(in.wav),echo done"
        );
        let plain = profile(false, false);
        assert_eq!(
            arguments(&plain, "Room", "rec.wav", "old", false, 17),
            "rec.wav,r(in.wav),echo done"
        );
    }

    #[test]
    fn appending_keeps_the_file_until_another_is_named() {
        let p = profile(true, true);
        let mut named = None;
        let first = arguments(&p, "R", "x.wav", "", is_new_file("x.wav", &mut named), 1);
        assert_eq!(first, "x-1.wav,ar(in.wav),echo done");
        let again = arguments(
            &p,
            "R",
            "x.wav",
            &first,
            is_new_file("x.wav", &mut named),
            2,
        );
        assert_eq!(again, first);
        let other = arguments(
            &p,
            "R",
            "y.wav",
            &first,
            is_new_file("y.wav", &mut named),
            3,
        );
        assert_eq!(other, "y-3.wav,ar(in.wav),echo done");
        // No file: never new, so the default name once made stays.
        assert!(!is_new_file("", &mut named));
    }
}
