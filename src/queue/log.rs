//! queue_log (`ast_queue_log` in main/logger.c): one line per queue event,
//! `time|callid|queue|agent|event|data`, appended to the log directory's
//! `queue_log` (logger.conf `queue_log`, `queue_log_name`).

use std::io::Write as _;

use crate::core::System;

/// The line as Asterisk writes it (without the newline).
pub fn line(time: i64, callid: &str, queue: &str, agent: &str, event: &str, data: &str) -> String {
    format!("{time}|{callid}|{queue}|{agent}|{event}|{data}")
}

/// Appends one line (an append is atomic enough: each line is one write).
pub fn queue_log(sys: &System, queue: &str, callid: &str, agent: &str, event: &str, data: &str) {
    let conf = sys.loaded().logger.general.clone();
    if !conf.queue_log {
        return;
    }
    let name = if conf.queue_log_name.is_empty() {
        "queue_log"
    } else {
        conf.queue_log_name.as_str()
    };
    let path = sys.conf.dirs.log.join(name);
    let text = format!(
        "{}\n",
        line(
            crate::core::unix_seconds(),
            callid,
            queue,
            agent,
            event,
            data
        )
    );
    let res = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = res {
        tracing::warn!("queue_log {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_have_asterisks_six_fields() {
        assert_eq!(
            super::line(1700000000, "NONE", "NONE", "NONE", "QUEUESTART", ""),
            "1700000000|NONE|NONE|NONE|QUEUESTART|"
        );
        assert_eq!(
            super::line(5, "1.2", "support", "SIP/1001", "CONNECT", "3|1.3|2"),
            "5|1.2|support|SIP/1001|CONNECT|3|1.3|2"
        );
    }
}
