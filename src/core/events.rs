//! The event bus every channel change goes through (Asterisk's stasis
//! channel topic, reduced). AMI, ARI, CDR and the CLI subscribe to it.
//!
//! Publishing never waits: the bus is a bounded broadcast ring, and a
//! subscriber that falls behind loses the oldest events (it is told how
//! many) instead of slowing a call down.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::channels::ChanState;

/// What a channel looked like when the event happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSnapshot {
    pub name: String,
    pub uniqueid: String,
    pub linkedid: String,
    pub state: ChanState,
    pub caller_num: Option<String>,
    pub caller_name: Option<String>,
    pub connected_num: Option<String>,
    pub connected_name: Option<String>,
    pub language: String,
    pub accountcode: String,
    pub context: String,
    pub exten: String,
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Newchannel,
    Newstate,
    /// An application is about to run (with its substituted arguments).
    Newexten {
        application: String,
        data: String,
    },
    VarSet {
        variable: String,
        value: String,
    },
    HangupRequest {
        cause: u32,
    },
    SoftHangupRequest {
        cause: u32,
    },
    Hangup {
        cause: u32,
    },
    UserEvent {
        name: String,
        headers: Vec<(String, String)>,
    },
    /// A global variable changed (no channel).
    GlobalVarSet {
        variable: String,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub channel: Option<ChannelSnapshot>,
}

/// Events kept for subscribers that are behind.
const CAPACITY: usize = 8192;

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }

    pub fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    pub fn publish(&self, kind: EventKind, snapshot: ChannelSnapshot) {
        // No receiver is not an error: nobody is listening.
        let _ = self.tx.send(Arc::new(Event {
            kind,
            channel: Some(snapshot),
        }));
    }

    pub fn publish_system(&self, kind: EventKind) {
        let _ = self.tx.send(Arc::new(Event {
            kind,
            channel: None,
        }));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_subscriber_lags_instead_of_blocking() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        for i in 0..(CAPACITY + 10) {
            bus.publish_system(EventKind::GlobalVarSet {
                variable: "X".into(),
                value: i.to_string(),
            });
        }
        match rx.recv().await {
            Err(broadcast::error::RecvError::Lagged(n)) => assert_eq!(n, 10),
            other => panic!("expected a lag report, got {other:?}"),
        }
    }
}
