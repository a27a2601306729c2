//! cdr_csv: one line per record in `<astlogdir>/cdr-csv/Master.csv`, and
//! with `accountlogs` in `<accountcode>.csv` too.
//!
//! Each line is appended with one `write` on a file opened with
//! `O_APPEND`, then synced before the next record: bytes already in the
//! file are never rewritten, so a crash can cost at most the line being
//! written. A torn last line (no newline at the end) is closed with a
//! newline before the next record, so it cannot swallow it. Rewriting
//! the whole log through a temporary file for every call would make each
//! record cost the size of the log.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{Record, amaflags_str, format_time};
use crate::config::views::cdr::CsvConf;
use crate::core::System;

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("Unable to open file {path} : {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Unable to write file {path} : {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A field in double quotes, quotes doubled.
fn quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push_str("\",");
}

fn date(out: &mut String, t: Option<std::time::SystemTime>, gmt: bool) {
    match t {
        Some(t) => quoted(out, &format_time(t, gmt)),
        None => out.push(','),
    }
}

/// The record's line, newline included.
pub fn line(r: &Record, conf: &CsvConf) -> String {
    let mut out = String::with_capacity(256);
    for f in [
        &r.accountcode,
        &r.src,
        &r.dst,
        &r.dcontext,
        &r.clid,
        &r.channel,
        &r.dstchannel,
        &r.lastapp,
        &r.lastdata,
    ] {
        quoted(&mut out, f);
    }
    date(&mut out, Some(r.start), conf.usegmtime);
    date(&mut out, r.answer, conf.usegmtime);
    date(&mut out, Some(r.end), conf.usegmtime);
    out.push_str(&format!("{},{},", r.duration, r.billsec));
    quoted(&mut out, r.disposition.as_str());
    quoted(&mut out, amaflags_str(r.amaflags));
    if conf.loguniqueid {
        quoted(&mut out, &r.uniqueid);
    }
    if conf.loguserfield {
        quoted(&mut out, &r.userfield);
    }
    if conf.newcdrcolumns {
        quoted(&mut out, &r.peeraccount);
        quoted(&mut out, &r.linkedid);
        out.push_str(&format!("{},", r.sequence));
    }
    out.pop();
    out.push('\n');
    out
}

/// Appends `text` to `path` as one write, then syncs it.
pub fn append(path: &Path, text: &str) -> Result<(), CsvError> {
    let open_err = |source| CsvError::Open {
        path: path.to_path_buf(),
        source,
    };
    let write_err = |source| CsvError::Write {
        path: path.to_path_buf(),
        source,
    };
    let created = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(open_err)?;
    let mut buf = String::with_capacity(text.len() + 1);
    if !created && !ends_with_newline(&mut f).map_err(write_err)? {
        buf.push('\n');
    }
    buf.push_str(text);
    f.write_all(&crate::core::raw::encode(&buf))
        .map_err(write_err)?;
    f.sync_data().map_err(write_err)?;
    if created {
        // The new name must survive a crash too.
        if let Some(dir) = path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
    }
    Ok(())
}

fn ends_with_newline(f: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut b = [0u8; 1];
    f.read_exact(&mut b)?;
    Ok(b[0] == b'\n')
}

/// `csv_log`: the master file, then the account's.
pub fn log(sys: &System, conf: &CsvConf, r: &Record) {
    let dir = sys.conf.dirs.log.join("cdr-csv");
    // An Asterisk install creates this directory; Asterism has no
    // installer, so it makes it on first use rather than lose records.
    if let Err(e) = std::fs::create_dir_all(&dir) {
        sys.pbx.logger.error(
            crate::site!("cdr_csv.c", 302, "csv_log"),
            None,
            &format!("Unable to create {} : {e}", dir.display()),
        );
    }
    let text = line(r, conf);
    let master = dir.join("Master.csv");
    if let Err(e) = append(&master, &text) {
        sys.pbx.logger.warning(
            crate::site!("cdr_csv.c", 308, "csv_log"),
            None,
            &format!(
                "Unable to write CSV record to master '{}' : {e}",
                master.display()
            ),
        );
    }
    if conf.accountlogs && !r.accountcode.is_empty() {
        if r.accountcode.contains('/') || r.accountcode.starts_with('.') {
            sys.pbx.logger.warning(
                crate::site!("cdr_csv.c", 290, "writefile_account"),
                None,
                &format!("Account code '{}' insecure for writing file", r.accountcode),
            );
            return;
        }
        let path = dir.join(format!("{}.csv", r.accountcode));
        if let Err(e) = append(&path, &text) {
            sys.pbx.logger.warning(
                crate::site!("cdr_csv.c", 312, "csv_log"),
                None,
                &format!(
                    "Unable to write CSV record to account file '{}' : {e}",
                    r.accountcode
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdr::Disposition;
    use std::time::{Duration, SystemTime};

    fn record() -> Record {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        Record {
            clid: "\"Al \"x\"\" <1000>".into(),
            src: "1000".into(),
            dst: "600".into(),
            dcontext: "internal".into(),
            channel: "SIP/1000-00000000".into(),
            dstchannel: String::new(),
            lastapp: "Dial".into(),
            lastdata: "SIP/1001,20".into(),
            start: t,
            answer: None,
            end: t + Duration::from_secs(3),
            duration: 3,
            billsec: 0,
            disposition: Disposition::NoAnswer,
            amaflags: 3,
            accountcode: "acct".into(),
            peeraccount: String::new(),
            uniqueid: "1700000000.0".into(),
            linkedid: "1700000000.0".into(),
            userfield: "u".into(),
            sequence: 7,
            vars: Vec::new(),
        }
    }

    #[test]
    fn quoting_and_columns() {
        let mut conf = CsvConf {
            usegmtime: true,
            ..CsvConf::default()
        };
        assert_eq!(
            line(&record(), &conf),
            "\"acct\",\"1000\",\"600\",\"internal\",\"\"\"Al \"\"x\"\"\"\" <1000>\",\
             \"SIP/1000-00000000\",\"\",\"Dial\",\"SIP/1001,20\",\"2023-11-14 22:13:20\",,\
             \"2023-11-14 22:13:23\",3,0,\"NO ANSWER\",\"DOCUMENTATION\"\n"
        );
        conf.loguniqueid = true;
        conf.loguserfield = true;
        conf.newcdrcolumns = true;
        assert!(
            line(&record(), &conf)
                .ends_with("\"DOCUMENTATION\",\"1700000000.0\",\"u\",\"\",\"1700000000.0\",7\n")
        );
    }

    /// A torn last line (a crash mid-write) does not swallow the next
    /// record.
    #[test]
    fn append_after_a_torn_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("Master.csv");
        append(&path, "\"a\"\n").expect("append");
        std::fs::write(&path, "\"a\"\n\"tor").expect("tear");
        append(&path, "\"b\"\n").expect("append");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "\"a\"\n\"tor\n\"b\"\n"
        );
    }
}
