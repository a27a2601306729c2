//! Qualify: the OPTIONS a driver sends to its devices' contacts to learn
//! whether they answer and how fast (chan_sip's `qualify=`, pjsip's AOR
//! `qualify_frequency`). Pure bookkeeping: the SIP task says when a probe
//! went out and what came back, and asks which probes are due and which
//! went unanswered for too long.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::sip::transaction::TransactionId;

/// What the last probe of a contact showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Not probed yet.
    #[default]
    Unknown,
    /// Answered within the limit, after this long.
    Reachable(Duration),
    /// Answered, but later than the limit (chan_sip's "LAGGED").
    Lagged(Duration),
    /// No answer within the limit.
    Unreachable,
}

impl Reach {
    pub fn is_reachable(self) -> bool {
        matches!(self, Reach::Reachable(_))
    }

    /// chan_sip's round trip in whole milliseconds, at least 1 (0 means
    /// unknown there).
    pub fn millis(rtt: Duration) -> u128 {
        rtt.as_millis().max(1)
    }

    /// chan_sip's status column (`peer_status`).
    pub fn chan_sip_text(self) -> String {
        match self {
            Reach::Unknown => "UNKNOWN".into(),
            Reach::Reachable(d) => format!("OK ({} ms)", Reach::millis(d)),
            Reach::Lagged(d) => format!("LAGGED ({} ms)", Reach::millis(d)),
            Reach::Unreachable => "UNREACHABLE".into(),
        }
    }
}

/// One contact to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The device (chan_sip peer, pjsip endpoint).
    pub device: String,
    /// Its AOR (the peer's name for chan_sip).
    pub aor: String,
    /// The contact's sorcery id (pjsip's test-suite events name it).
    pub contact_id: String,
    /// The contact URI (the Request-URI of the OPTIONS).
    pub uri: String,
    /// Where the OPTIONS goes.
    pub addr: SocketAddr,
    /// An answer later than this is lagged (chan_sip's `maxms`) or none
    /// at all (pjsip's `qualify_timeout`).
    pub limit: Duration,
    /// How long to wait for any answer before calling it unreachable.
    pub timeout: Duration,
    /// Time between probes after an answer, and after none.
    pub every: Duration,
    pub every_unreachable: Duration,
}

/// A probe's key: (AOR, contact URI).
pub type Key = (String, String);

#[derive(Debug)]
struct Probe {
    target: Target,
    reach: Reach,
    next_at: Option<Instant>,
    /// The probe out now: when it went and its transaction.
    out: Option<(Instant, TransactionId)>,
    /// A probe forced without a timer (chan_sip's `sip_poke_peer` with
    /// `force`): unanswered, it stays out and the contact is not probed
    /// again until it answers.
    untimed: bool,
}

/// A change of reach worth telling about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub target: Target,
    pub old: Reach,
    pub new: Reach,
}

/// The result of one probe (an answer, or none in time), with the change
/// of state it made, if any.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub target: Target,
    pub new: Reach,
    pub change: Option<Change>,
}

#[derive(Debug, Default)]
pub struct Qualifier {
    probes: HashMap<Key, Probe>,
    by_tx: HashMap<TransactionId, Key>,
}

impl Qualifier {
    /// Starts probing `target` now (again from scratch if it was known).
    pub fn start(&mut self, target: Target, now: Instant) {
        let key = (target.aor.clone(), target.uri.clone());
        if let Some(old) = self.probes.remove(&key)
            && let Some((_, id)) = old.out
        {
            self.by_tx.remove(&id);
        }
        self.probes.insert(
            key,
            Probe {
                target,
                reach: Reach::Unknown,
                next_at: Some(now),
                out: None,
                untimed: false,
            },
        );
    }

    /// Stops probing a contact (it went away).
    pub fn stop(&mut self, aor: &str, uri: &str) {
        if let Some(p) = self.probes.remove(&(aor.to_string(), uri.to_string()))
            && let Some((_, id)) = p.out
        {
            self.by_tx.remove(&id);
        }
    }

    /// Probes every contact of `aor` at once (a qualify on demand),
    /// dropping a probe still out; `timed` false leaves the new probes
    /// without a timeout. How many contacts it has.
    pub fn force(&mut self, aor: &str, now: Instant, timed: bool) -> usize {
        let mut n = 0;
        for (key, p) in self.probes.iter_mut() {
            if key.0 != aor {
                continue;
            }
            if let Some((_, id)) = p.out.take() {
                self.by_tx.remove(&id);
            }
            p.next_at = Some(now);
            p.untimed = !timed;
            n += 1;
        }
        n
    }

    /// The probes due to be sent at `now`.
    pub fn due(&self, now: Instant) -> Vec<Target> {
        self.probes
            .values()
            .filter(|p| p.out.is_none() && p.next_at.is_some_and(|t| t <= now))
            .map(|p| p.target.clone())
            .collect()
    }

    /// The OPTIONS for `target` went out as transaction `id`.
    pub fn sent(&mut self, target: &Target, id: TransactionId, now: Instant) {
        let key = (target.aor.clone(), target.uri.clone());
        if let Some(p) = self.probes.get_mut(&key) {
            p.out = Some((now, id));
            p.next_at = None;
            self.by_tx.insert(id, key);
        }
    }

    /// Whether `id` is one of our probes.
    pub fn owns(&self, id: &TransactionId) -> bool {
        self.by_tx.contains_key(id)
    }

    /// A response to probe `id` arrived at `now`: its round trip decides
    /// the reach; the change, if the reach's kind changed or was unknown.
    pub fn answered(&mut self, id: &TransactionId, now: Instant) -> Option<Outcome> {
        let key = self.by_tx.remove(id)?;
        let p = self.probes.get_mut(&key)?;
        let (sent, _) = p.out.take()?;
        p.untimed = false;
        let rtt = now.saturating_duration_since(sent);
        let new = if rtt <= p.target.limit {
            Reach::Reachable(rtt)
        } else {
            Reach::Lagged(rtt)
        };
        p.next_at = Some(now + p.target.every);
        let old = std::mem::replace(&mut p.reach, new);
        let kind = |r: Reach| std::mem::discriminant(&r);
        let change = (kind(old) != kind(new)).then(|| Change {
            target: p.target.clone(),
            old,
            new,
        });
        Some(Outcome {
            target: p.target.clone(),
            new,
            change,
        })
    }

    /// Probes unanswered past their timeout at `now` become unreachable;
    /// one outcome each (a contact already unreachable has no change).
    pub fn expire(&mut self, now: Instant) -> Vec<Outcome> {
        let mut changes = Vec::new();
        for p in self.probes.values_mut() {
            let Some((sent, id)) = p.out else { continue };
            if p.untimed || now < sent + p.target.timeout {
                continue;
            }
            p.out = None;
            self.by_tx.remove(&id);
            p.next_at = Some(now + p.target.every_unreachable);
            let old = std::mem::replace(&mut p.reach, Reach::Unreachable);
            let change = (old != Reach::Unreachable).then(|| Change {
                target: p.target.clone(),
                old,
                new: Reach::Unreachable,
            });
            changes.push(Outcome {
                target: p.target.clone(),
                new: Reach::Unreachable,
                change,
            });
        }
        changes
    }

    /// The transaction of probe `id` ended without an answer (its own
    /// timeout): forget the transaction; [`Qualifier::expire`] decides.
    pub fn transaction_over(&mut self, id: &TransactionId) {
        self.by_tx.remove(id);
    }

    /// When the task must next look: a probe due or a timeout.
    pub fn next_wake(&self) -> Option<Instant> {
        self.probes
            .values()
            .filter_map(|p| match p.out {
                Some(_) if p.untimed => None,
                Some((sent, _)) => Some(sent + p.target.timeout),
                None => p.next_at,
            })
            .min()
    }

    /// Every contact's reach, for the CLI and AMI.
    pub fn snapshot(&self) -> HashMap<Key, Reach> {
        self.probes
            .iter()
            .map(|(k, p)| (k.clone(), p.reach))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            device: "1002".into(),
            aor: "1002".into(),
            contact_id: "1002;@x".into(),
            uri: "sip:1002@127.0.0.1:35166".into(),
            addr: "127.0.0.1:35166".parse().unwrap(),
            limit: Duration::from_millis(2000),
            timeout: Duration::from_millis(4000),
            every: Duration::from_secs(60),
            every_unreachable: Duration::from_secs(10),
        }
    }

    #[test]
    fn answered_then_silent_then_answered_again() {
        let t0 = Instant::now();
        let mut q = Qualifier::default();
        q.start(target(), t0);
        assert_eq!(q.due(t0), vec![target()]);
        let id = TransactionId::from_raw(1);
        q.sent(&target(), id, t0);
        assert!(q.due(t0).is_empty());
        assert_eq!(q.next_wake(), Some(t0 + Duration::from_secs(4)));
        let o = q.answered(&id, t0 + Duration::from_millis(3)).unwrap();
        let c = o.change.expect("a change");
        assert_eq!(c.old, Reach::Unknown);
        assert_eq!(c.new, Reach::Reachable(Duration::from_millis(3)));
        assert_eq!(c.new.chan_sip_text(), "OK (3 ms)");
        let t1 = t0 + Duration::from_millis(3) + Duration::from_secs(60);
        assert_eq!(q.next_wake(), Some(t1));
        // The next probe goes unanswered: unreachable once, retried at 10 s.
        let id2 = TransactionId::from_raw(2);
        q.sent(&target(), id2, t1);
        assert!(q.expire(t1 + Duration::from_secs(3)).is_empty());
        let gone = q.expire(t1 + Duration::from_secs(4));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].new, Reach::Unreachable);
        assert!(gone[0].change.is_some());
        assert!(q.answered(&id2, t1 + Duration::from_secs(5)).is_none());
        assert_eq!(
            q.next_wake(),
            Some(t1 + Duration::from_secs(4) + Duration::from_secs(10))
        );
        // A slow answer is lagged; a same-kind answer is no change.
        let t2 = t1 + Duration::from_secs(14);
        let id3 = TransactionId::from_raw(3);
        q.sent(&target(), id3, t2);
        let c = q.answered(&id3, t2 + Duration::from_millis(2500)).unwrap();
        assert_eq!(c.new.chan_sip_text(), "LAGGED (2500 ms)");
        // A same-kind answer is an outcome without a change.
        let t3 = t2 + Duration::from_secs(70);
        let id4 = TransactionId::from_raw(4);
        q.sent(&target(), id4, t3);
        let same = q.answered(&id4, t3 + Duration::from_millis(2600)).unwrap();
        assert!(same.change.is_none());
        // A forced probe goes at once; untimed, it never expires.
        let t4 = t3 + Duration::from_secs(1);
        assert_eq!(q.force("1002", t4, false), 1);
        assert_eq!(q.force("other", t4, false), 0);
        assert_eq!(q.due(t4), vec![target()]);
        let id5 = TransactionId::from_raw(5);
        q.sent(&target(), id5, t4);
        assert!(q.expire(t4 + Duration::from_secs(3600)).is_empty());
        assert_eq!(q.next_wake(), None);
        assert!(q.answered(&id5, t4 + Duration::from_secs(3601)).is_some());
        q.stop("1002", "sip:1002@127.0.0.1:35166");
        assert!(q.snapshot().is_empty());
        assert_eq!(q.next_wake(), None);
    }
}
