//! Session timers (RFC 4028): what an INVITE asks for (Session-Expires,
//! Min-SE, `timer` in Supported/Require), what the UAS decides under a
//! device's policy, and when the session must next be refreshed or is
//! given up for dead. Pure functions: the call code applies the decision
//! and owns the clock.

use std::time::Duration;

use super::message::Headers;

/// Who sends the refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    Uac,
    Uas,
}

impl Refresher {
    pub fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

/// What a request (or a 2xx) says about session timers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// Session-Expires' interval and its `refresher` parameter.
    pub interval: Option<u32>,
    pub refresher: Option<Refresher>,
    pub min_se: Option<u32>,
    /// `timer` in Supported, and in Require.
    pub supported: bool,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimerError {
    #[error("Session-Expires Invalid Syntax")]
    SessionExpires,
    #[error("Min-SE Invalid Syntax")]
    MinSe,
}

fn has_token(h: &Headers, name: &str, token: &str) -> bool {
    h.get_all(name)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The leading delta-seconds of a header value (`600;refresher=uac`).
fn seconds(value: &str) -> Option<u32> {
    value.split(';').next()?.trim().parse().ok()
}

impl Asked {
    pub fn read(h: &Headers) -> Result<Asked, TimerError> {
        let mut asked = Asked {
            supported: has_token(h, "Supported", "timer"),
            required: has_token(h, "Require", "timer"),
            ..Asked::default()
        };
        if let Some(se) = h.get("Session-Expires") {
            asked.interval = Some(seconds(se).ok_or(TimerError::SessionExpires)?);
            asked.refresher = se.split(';').skip(1).find_map(|p| {
                let (k, v) = p.split_once('=')?;
                if !k.trim().eq_ignore_ascii_case("refresher") {
                    return None;
                }
                match v.trim().to_ascii_lowercase().as_str() {
                    "uac" => Some(Refresher::Uac),
                    "uas" => Some(Refresher::Uas),
                    _ => None,
                }
            });
        }
        if let Some(m) = h.get("Min-SE") {
            asked.min_se = Some(seconds(m).ok_or(TimerError::MinSe)?);
        }
        Ok(asked)
    }
}

/// When a device runs session timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// chan_sip `refuse`, pjsip `no`.
    Refuse,
    /// chan_sip `accept`, pjsip `yes`/`required`: when the caller asks.
    Accept,
    /// chan_sip `originate`, pjsip `always`: even when it does not.
    Always,
}

/// A device's session-timer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// The interval we ask for (`session-expires`, `timers_sess_expires`).
    pub expires: u32,
    /// The smallest interval we accept (`session-minse`, `timers_min_se`).
    pub min_se: u32,
    /// Who refreshes when the caller names no one.
    pub refresher: Refresher,
}

/// The UAS's answer to an INVITE's session-timer request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No session timer for this call.
    Off,
    /// 422 Session Interval Too Small, with our Min-SE.
    TooSmall {
        min_se: u32,
    },
    /// 420: the caller requires timers and they are refused here.
    Refused,
    Active(Active),
}

/// A running session timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Active {
    pub interval: u32,
    pub refresher: Refresher,
    /// Whether our 2xx says `Require: timer`.
    pub require: bool,
}

impl Active {
    /// How long until the refresher must act: half the interval for it,
    /// the interval less min(32 s, a third) before the other side gives up.
    pub fn wait(&self, we_refresh: bool) -> Duration {
        let ms = u64::from(self.interval) * 1000;
        let ms = if we_refresh {
            ms / 2
        } else {
            ms - (ms / 3).min(32_000)
        };
        Duration::from_millis(ms)
    }

    /// The Session-Expires value.
    pub fn header(&self) -> String {
        format!("{};refresher={}", self.interval, self.refresher.as_str())
    }
}

/// How the UAS (us) answers `asked` under `policy`. The interval is the
/// caller's when it gives one no larger than ours, else ours (chan_sip's
/// negotiation; a caller's Min-SE above our interval wins).
pub fn decide(policy: &Policy, asked: &Asked) -> Decision {
    if policy.mode == Mode::Refuse || !(asked.supported || policy.mode == Mode::Always) {
        return if policy.mode == Mode::Refuse && asked.required {
            Decision::Refused
        } else {
            Decision::Off
        };
    }
    if !asked.supported {
        // Always: a caller that does not know timers is refreshed by us.
        return Decision::Active(Active {
            interval: policy.expires,
            refresher: Refresher::Uas,
            require: false,
        });
    }
    if let Some(i) = asked.interval
        && i < policy.min_se
    {
        return Decision::TooSmall {
            min_se: policy.min_se,
        };
    }
    let interval = match (asked.interval, asked.min_se) {
        (Some(i), Some(m)) if policy.expires < m => i,
        (Some(i), _) => i.min(policy.expires),
        (None, Some(m)) => m.max(policy.expires),
        (None, None) => policy.expires,
    };
    let refresher = asked.refresher.unwrap_or(policy.refresher);
    Decision::Active(Active {
        interval,
        refresher,
        // RFC 4028 §9: required when the UAC refreshes; both drivers also
        // send it when we do and the UAC knows timers.
        require: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&str, &str)]) -> Headers {
        let mut h = Headers::default();
        for (n, v) in lines {
            h.push(n, *v);
        }
        h
    }

    const ACCEPT: Policy = Policy {
        mode: Mode::Accept,
        expires: 1800,
        min_se: 90,
        refresher: Refresher::Uas,
    };

    #[test]
    fn reads_the_request() {
        let h = headers(&[
            ("Supported", "replaces, timer"),
            ("x", "600 ; refresher=UAC"),
            ("Min-SE", "90"),
        ]);
        let a = Asked::read(&h).expect("reads");
        assert_eq!(a.interval, Some(600));
        assert_eq!(a.refresher, Some(Refresher::Uac));
        assert_eq!(a.min_se, Some(90));
        assert!(a.supported && !a.required);
        let bad = headers(&[("Session-Expires", "soon")]);
        assert_eq!(Asked::read(&bad), Err(TimerError::SessionExpires));
        let bad = headers(&[("Min-SE", "")]);
        assert_eq!(Asked::read(&bad), Err(TimerError::MinSe));
    }

    #[test]
    fn negotiates_as_the_uas() {
        let asked = |interval, refresher, supported| Asked {
            interval,
            refresher,
            supported,
            ..Asked::default()
        };
        let active = |interval, refresher| {
            Decision::Active(Active {
                interval,
                refresher,
                require: true,
            })
        };
        assert_eq!(
            decide(&ACCEPT, &asked(Some(600), Some(Refresher::Uac), true)),
            active(600, Refresher::Uac)
        );
        // Larger than ours: ours; no refresher named: the policy's.
        assert_eq!(
            decide(&ACCEPT, &asked(Some(7200), None, true)),
            active(1800, Refresher::Uas)
        );
        assert_eq!(
            decide(&ACCEPT, &asked(Some(30), None, true)),
            Decision::TooSmall { min_se: 90 }
        );
        assert_eq!(decide(&ACCEPT, &asked(None, None, false)), Decision::Off);
        let always = Policy {
            mode: Mode::Always,
            ..ACCEPT
        };
        assert_eq!(
            decide(&always, &asked(None, None, false)),
            Decision::Active(Active {
                interval: 1800,
                refresher: Refresher::Uas,
                require: false
            })
        );
        let refuse = Policy {
            mode: Mode::Refuse,
            ..ACCEPT
        };
        let required = Asked {
            required: true,
            supported: true,
            interval: Some(600),
            ..Asked::default()
        };
        assert_eq!(decide(&refuse, &required), Decision::Refused);
        assert_eq!(
            decide(&refuse, &asked(Some(600), None, true)),
            Decision::Off
        );
    }

    #[test]
    fn refresh_and_expiry_times() {
        let a = Active {
            interval: 600,
            refresher: Refresher::Uac,
            require: true,
        };
        assert_eq!(a.wait(true), Duration::from_secs(300));
        assert_eq!(a.wait(false), Duration::from_secs(568));
        let short = Active { interval: 90, ..a };
        assert_eq!(short.wait(false), Duration::from_secs(60));
        assert_eq!(a.header(), "600;refresher=uac");
    }
}
