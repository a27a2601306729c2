//! Login, Logoff and Challenge (`action_login`, `authenticate`,
//! `action_challenge`).

use std::time::{Duration, SystemTime};

use md5::{Digest, Md5};

use super::{BoxFuture, now};
use crate::manager::class;
use crate::manager::message::{Message, Reply};
use crate::manager::security::Kind;
use crate::manager::session::{Flow, Session, logged_in};

pub fn logoff<'a>(_s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    now(Flow::Close(Reply::response(
        "Goodbye",
        m,
        Some("Thanks for all the fish."),
    )))
}

pub fn challenge<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    if !m.get("AuthType").eq_ignore_ascii_case("MD5") {
        return now(Flow::Reply(Reply::error(m, "Must specify AuthType")));
    }
    if s.challenge.is_empty() {
        // ast_random() is a non-negative long.
        s.challenge = (rand_u64() >> 33).to_string();
    }
    let mut r = Reply::start("Success", m);
    r.line("Challenge", &s.challenge).end();
    now(Flow::Reply(r))
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

pub fn login<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    Box::pin(async move {
        if s.authenticated {
            return Flow::Reply(Reply::ack(m, "Already authenticated"));
        }
        if !authenticate(s, m) {
            // Asterisk answers a failed login after a second, then hangs up.
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Flow::Close(Reply::error(m, "Authentication failed"));
        }
        logged_in(s);
        let sys = s.sys().clone();
        let shows = sys
            .loaded()
            .manager
            .user(&s.username)
            .is_none_or(|u| u.displayconnects);
        if shows {
            sys.pbx.logger.verbose(
                2,
                crate::site!("manager.c", 3393, "action_login"),
                None,
                &format!(
                    "{}Manager '{}' logged on from {}",
                    if s.managerid != 0 { "HTTP " } else { "" },
                    s.username,
                    s.peer.ip()
                ),
            );
        }
        let mut r = Reply::ack(m, "Authentication accepted");
        if s.send_events & class::SYSTEM != 0 && s.readperm & class::SYSTEM != 0 {
            let now = SystemTime::now();
            let secs = |t: SystemTime| now.duration_since(t).map(|d| d.as_secs()).unwrap_or(0);
            r.line("Event", "FullyBooted")
                .line("Privilege", crate::manager::authority_to_str(class::SYSTEM))
                .line("Uptime", secs(sys.started))
                .line("LastReload", secs(sys.last_reload()))
                .line("Status", "Fully Booted")
                .end();
        }
        Flow::Reply(r)
    })
}

/// `authenticate`: the user must exist, pass its ACL, and give the secret
/// (or the MD5 of challenge and secret). Raises the matching security
/// event either way.
fn authenticate(s: &mut Session, m: &Message) -> bool {
    let username = m.get("Username").to_string();
    if username.is_empty() {
        return false;
    }
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let log_fail = |s: &Session| {
        sys.pbx.logger.notice(
            crate::site!("manager.c", 2405, "authenticate"),
            None,
            &format!("{} failed to authenticate as '{username}'", s.peer.ip()),
        );
    };
    let Some(user) = loaded.manager.user(&username) else {
        s.security(Some(&username), Kind::InvalidAccountId);
        sys.pbx.logger.notice(
            crate::site!("manager.c", 2368, "authenticate"),
            None,
            &format!(
                "{} tried to authenticate with nonexistent user '{username}'",
                s.peer.ip()
            ),
        );
        log_fail(s);
        return false;
    };
    if !user.acls.is_empty() && !user.acls.allows(s.peer.ip()) {
        s.security(Some(&username), Kind::FailedAcl);
        sys.pbx.logger.notice(
            crate::site!("manager.c", 2371, "authenticate"),
            None,
            &format!("{} failed to pass IP ACL as '{username}'", s.peer.ip()),
        );
        log_fail(s);
        return false;
    }
    let ok = if m.get("AuthType").eq_ignore_ascii_case("MD5") {
        let key = m.get("Key");
        match user.secret.as_deref() {
            Some(secret) if !key.is_empty() && !s.challenge.is_empty() => {
                let mut h = Md5::new();
                h.update(s.challenge.as_bytes());
                h.update(secret.as_bytes());
                let expected: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
                if expected == key {
                    true
                } else {
                    let challenge = s.challenge.clone();
                    s.security(
                        Some(&username),
                        Kind::ChallengeResponseFailed {
                            challenge: &challenge,
                            response: key,
                            expected: &expected,
                        },
                    );
                    false
                }
            }
            _ => false,
        }
    } else {
        match user.secret.as_deref() {
            Some(secret) if m.get("Secret") == secret => true,
            Some(_) => {
                s.security(Some(&username), Kind::InvalidPassword);
                false
            }
            None => false,
        }
    };
    if !ok {
        log_fail(s);
        return false;
    }
    s.username = username;
    s.readperm = user.readperm;
    s.writeperm = user.writeperm;
    s.writetimeout = Duration::from_millis(u64::from(user.writetimeout));
    s.chanvars = user.chanvars.clone();
    for (criteria, pattern) in &user.eventfilters {
        // A bad filter in manager.conf is logged and left out.
        if let Err(e) = s.filters.add(criteria, pattern) {
            sys.pbx.logger.warning(
                crate::site!("manager.c", 0, "authenticate"),
                None,
                &e.to_string(),
            );
        }
    }
    s.session_tv = SystemTime::now();
    s.set_eventmask(m.get("Events"));
    s.security(
        None,
        Kind::SuccessfulAuth {
            using_password: false,
        },
    );
    true
}
