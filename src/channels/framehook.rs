//! Watches on what is written to a channel (the write side of Asterisk's
//! framehooks): a watcher hears of each voice frame and indication sent
//! toward the device, of the channel entering a bridge, and of its own
//! end (detached, or the channel gone). res_pjsip_refer follows a
//! transferred call's progress this way.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{Channel, Indication};
use crate::core::lock;

/// What was written to the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Voice,
    Control(Indication),
}

/// Whether a watcher stays attached after what it was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watching {
    Keep,
    Detach,
}

pub trait FrameWatch: Send + Sync {
    /// A frame written to the channel.
    fn written(&self, frame: Written) -> Watching;
    /// The channel entered a bridge.
    fn entered_bridge(&self) -> Watching {
        Watching::Keep
    }
    /// The watch ends: detached, or the channel is gone (the framehook's
    /// destroy callback). Told once.
    fn ended(&self);
}

/// A channel's watchers; voice frames check `any` first, so a channel
/// nobody watches pays one atomic load per frame.
#[derive(Default)]
pub struct Watches {
    any: AtomicBool,
    list: Mutex<Vec<(u64, Arc<dyn FrameWatch>)>>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Watches {
    fn attach(&self, watch: Arc<dyn FrameWatch>) -> u64 {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut l = lock(&self.list);
        l.push((id, watch));
        self.any.store(true, Ordering::SeqCst);
        id
    }

    /// Removes watch `id`; it is told it ended.
    fn detach(&self, id: u64) {
        let removed = {
            let mut l = lock(&self.list);
            let at = l.iter().position(|(i, _)| *i == id);
            let w = at.map(|at| l.remove(at).1);
            self.any.store(!l.is_empty(), Ordering::SeqCst);
            w
        };
        if let Some(w) = removed {
            w.ended();
        }
    }

    /// Tells every watcher, outside the list's lock (a watcher may act
    /// on the channel), and detaches those that are done.
    fn tell(&self, what: impl Fn(&dyn FrameWatch) -> Watching) {
        if !self.any.load(Ordering::SeqCst) {
            return;
        }
        let watchers = lock(&self.list).clone();
        for (id, w) in watchers {
            if what(w.as_ref()) == Watching::Detach {
                self.detach(id);
            }
        }
    }

    pub(super) fn written(&self, frame: Written) {
        self.tell(|w| w.written(frame));
    }

    /// Every watcher ends (the channel is gone).
    pub(super) fn end_all(&self) {
        let all = {
            let mut l = lock(&self.list);
            self.any.store(false, Ordering::SeqCst);
            std::mem::take(&mut *l)
        };
        for (_, w) in all {
            w.ended();
        }
    }
}

impl Channel {
    /// Attaches a watch on what is written to the channel
    /// (`ast_framehook_attach`); returns its id. A bridge the channel is
    /// in looks at its technology again: native RTP would bypass the
    /// watch.
    pub fn attach_watch(&self, watch: Arc<dyn FrameWatch>) -> u64 {
        let id = self.watches().attach(watch);
        if let Some(b) = self.bridge() {
            b.framehook_attached();
        }
        id
    }

    /// `ast_framehook_detach`: the watch is told it ended.
    pub fn detach_watch(&self, id: u64) {
        self.watches().detach(id);
    }

    pub(super) fn watches(&self) -> Arc<Watches> {
        self.media().watches.clone()
    }

    /// The channel entered a bridge: watchers hear of it.
    pub(super) fn tell_entered_bridge(&self) {
        self.watches().tell(|w| w.entered_bridge());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[derive(Default)]
    struct Count {
        seen: AtomicU32,
        ended: AtomicU32,
    }

    impl FrameWatch for Count {
        fn written(&self, frame: Written) -> Watching {
            self.seen.fetch_add(1, Ordering::SeqCst);
            if frame == Written::Control(Indication::Busy) {
                Watching::Detach
            } else {
                Watching::Keep
            }
        }
        fn ended(&self) {
            self.ended.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_watch_that_detaches_is_told_once_and_hears_no_more() {
        let w = Watches::default();
        let c = Arc::new(Count::default());
        w.attach(c.clone());
        w.written(Written::Voice);
        w.written(Written::Control(Indication::Busy));
        w.written(Written::Voice);
        w.end_all();
        assert_eq!(c.seen.load(Ordering::SeqCst), 2);
        assert_eq!(c.ended.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_channel_ending_ends_every_watch() {
        let w = Watches::default();
        let (a, b) = (Arc::new(Count::default()), Arc::new(Count::default()));
        w.attach(a.clone());
        let id = w.attach(b.clone());
        w.detach(id);
        w.end_all();
        w.end_all();
        assert_eq!(a.ended.load(Ordering::SeqCst), 1);
        assert_eq!(b.ended.load(Ordering::SeqCst), 1);
        assert_eq!(b.seen.load(Ordering::SeqCst), 0);
    }
}
