//! LOCK, TRYLOCK and UNLOCK (Asterisk's `funcs/func_lock.c`): named
//! mutexes a channel holds until it unlocks them as often as it locked
//! them, or goes away. LOCK waits up to three seconds for another
//! channel's lock; TRYLOCK does not wait.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use super::{Failed, FuncCtx, Function};
use crate::channels::Channel;
use crate::core::lock;

const FILE: &str = "func_lock.c";

/// How long LOCK waits for a lock another channel holds (func_lock's
/// fixed three seconds).
const LOCK_WAIT: Duration = Duration::from_secs(3);

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "LOCK",
            read: Some(lock_read),
            write: None,
            synopsis: "Takes a named lock, waiting up to 3 seconds for it (1 or 0).",
            syntax: "LOCK(lockname)",
        },
        Function {
            name: "TRYLOCK",
            read: Some(trylock_read),
            write: None,
            synopsis: "Takes a named lock if it is free (1 or 0).",
            syntax: "TRYLOCK(lockname)",
        },
        Function {
            name: "UNLOCK",
            read: Some(unlock_read),
            write: None,
            synopsis: "Releases a named lock the channel holds (1 or 0).",
            syntax: "UNLOCK(lockname)",
        },
    ]
}

/// One named lock (`struct lock_frame`).
struct Frame {
    name: String,
    state: Mutex<FrameState>,
    freed: Condvar,
}

#[derive(Default)]
struct FrameState {
    owner: Option<Weak<Channel>>,
    /// How many times the owner took it: it is free after as many UNLOCKs.
    count: u32,
    /// Channels inside LOCK/TRYLOCK for it now.
    requesters: u32,
}

impl FrameState {
    fn owned_by(&self, chan: &Arc<Channel>) -> bool {
        self.owner
            .as_ref()
            .is_some_and(|o| std::ptr::eq(o.as_ptr(), Arc::as_ptr(chan)))
    }
}

/// One lock as `dialplan locks show` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    pub name: String,
    pub requesters: u32,
    /// The owner's name, none when unlocked.
    pub owner: Option<String>,
}

/// Every lock ever named (Asterisk keeps them until unload), and the
/// channels that have func_lock's datastore.
#[derive(Default)]
pub struct Locks {
    frames: Mutex<Vec<Arc<Frame>>>,
    /// Channels that asked for a lock at least once: UNLOCK on any other
    /// warns that nothing was ever locked.
    stores: Mutex<Vec<Weak<Channel>>>,
}

fn same(w: &Weak<Channel>, chan: &Arc<Channel>) -> bool {
    std::ptr::eq(w.as_ptr(), Arc::as_ptr(chan))
}

impl Locks {
    fn frame(&self, name: &str) -> Arc<Frame> {
        let mut frames = lock(&self.frames);
        if let Some(f) = frames.iter().find(|f| f.name == name) {
            return f.clone();
        }
        let f = Arc::new(Frame {
            name: name.to_string(),
            state: Mutex::new(FrameState::default()),
            freed: Condvar::new(),
        });
        frames.push(f.clone());
        f
    }

    fn has_store(&self, chan: &Arc<Channel>) -> bool {
        lock(&self.stores).iter().any(|w| same(w, chan))
    }

    /// `get_lock`: whether `chan` now holds `name`. A lock it already
    /// holds is taken once more; otherwise TRYLOCK (`wait` none) takes
    /// only a free lock and LOCK waits up to `wait` for it.
    pub fn acquire(&self, chan: &Arc<Channel>, name: &str, wait: Option<Duration>) -> bool {
        {
            let mut stores = lock(&self.stores);
            if !stores.iter().any(|w| same(w, chan)) {
                stores.retain(|w| w.strong_count() > 0);
                stores.push(Arc::downgrade(chan));
            }
        }
        let frame = self.frame(name);
        let mut st = lock(&frame.state);
        if st.owned_by(chan) {
            st.count += 1;
            return true;
        }
        st.requesters += 1;
        if let Some(wait) = wait {
            let deadline = Instant::now() + wait;
            while st.owner.is_some() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                st = match frame.freed.wait_timeout(st, left) {
                    Ok((g, _)) => g,
                    Err(p) => p.into_inner().0,
                };
            }
        }
        st.requesters -= 1;
        if st.owner.is_some() {
            return false;
        }
        st.owner = Some(Arc::downgrade(chan));
        st.count = 1;
        true
    }

    /// `unlock_read`: `None` when the channel never asked for a lock,
    /// else whether it held `name` (and gave one of its holds back).
    pub fn release(&self, chan: &Arc<Channel>, name: &str) -> Option<bool> {
        if !self.has_store(chan) {
            return None;
        }
        let frame = lock(&self.frames).iter().find(|f| f.name == name).cloned();
        let Some(frame) = frame else {
            return Some(false);
        };
        let mut st = lock(&frame.state);
        if !st.owned_by(chan) {
            return Some(false);
        }
        st.count = st.count.saturating_sub(1);
        if st.count == 0 {
            st.owner = None;
            frame.freed.notify_one();
        }
        Some(true)
    }

    /// The channel is gone (`lock_free`, its datastore destroyed): every
    /// lock it holds is free again, however many times it took it.
    pub fn discard(&self, chan: &Arc<Channel>) {
        let had = {
            let mut stores = lock(&self.stores);
            let before = stores.len();
            stores.retain(|w| !same(w, chan) && w.strong_count() > 0);
            before != stores.len()
        };
        if !had {
            return;
        }
        for frame in lock(&self.frames).iter() {
            let mut st = lock(&frame.state);
            if st.owned_by(chan) {
                st.owner = None;
                st.count = 0;
                frame.freed.notify_one();
            }
        }
    }

    /// A masquerade (`lock_fixup`): the locks `from` holds now belong to
    /// `to`, which carries on in its place.
    pub fn moved(&self, from: &Arc<Channel>, to: &Arc<Channel>) {
        {
            let mut stores = lock(&self.stores);
            if !stores.iter().any(|w| same(w, from)) {
                return;
            }
            if !stores.iter().any(|w| same(w, to)) {
                stores.push(Arc::downgrade(to));
            }
        }
        for frame in lock(&self.frames).iter() {
            let mut st = lock(&frame.state);
            if st.owned_by(from) {
                st.owner = Some(Arc::downgrade(to));
            }
        }
    }

    /// Every lock in the order first named, for `dialplan locks show`.
    pub fn list(&self) -> Vec<LockInfo> {
        lock(&self.frames)
            .iter()
            .map(|f| {
                let st = lock(&f.state);
                LockInfo {
                    name: f.name.clone(),
                    requesters: st.requesters,
                    owner: st
                        .owner
                        .as_ref()
                        .and_then(Weak::upgrade)
                        .map(|c| c.name.clone()),
                }
            })
            .collect()
    }
}

fn answer(held: bool) -> String {
    if held { "1" } else { "0" }.into()
}

fn lock_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    // Without a channel (the CLI) there is nobody to own the lock.
    let chan = ctx.chan.ok_or(Failed)?;
    let locks = &ctx.sys.pbx.channels.locks;
    // The channel waits as under autoservice.
    Ok(answer(crate::core::blocking(|| {
        locks.acquire(chan, data, Some(LOCK_WAIT))
    })))
}

fn trylock_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    Ok(answer(ctx.sys.pbx.channels.locks.acquire(chan, data, None)))
}

fn unlock_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    match ctx.sys.pbx.channels.locks.release(chan, data) {
        Some(held) => Ok(answer(held)),
        None => {
            ctx.warning(
                crate::site!(FILE, 391, "unlock_read"),
                "No datastore for dialplan locks.  Nothing was ever locked!",
            );
            Ok(answer(false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chan(sys: &crate::core::System, exten: &str) -> Arc<Channel> {
        sys.pbx.channels.alloc(
            format!("Local/{exten}@c-00000000;1"),
            "Local",
            0,
            Default::default(),
        )
    }

    #[test]
    fn recursive_holds_and_release_on_hangup() {
        let (_dir, sys) = crate::funcs::test_system(&[]);
        let locks = &sys.pbx.channels.locks;
        let (a, b) = (chan(&sys, "a"), chan(&sys, "b"));
        assert_eq!(locks.release(&a, "x"), None);
        assert!(locks.acquire(&a, "x", None));
        assert!(locks.acquire(&a, "x", Some(LOCK_WAIT)));
        assert!(!locks.acquire(&b, "x", None));
        assert_eq!(locks.release(&b, "x"), Some(false));
        assert_eq!(locks.release(&a, "x"), Some(true));
        assert!(!locks.acquire(&b, "x", None), "still held once");
        assert_eq!(locks.list()[0].owner.as_deref(), Some(a.name.as_str()));
        assert!(locks.acquire(&a, "x", None));
        // Gone with two holds: free at once.
        locks.discard(&a);
        assert!(locks.acquire(&b, "x", None));
        assert_eq!(locks.release(&a, "x"), None);
    }

    #[test]
    fn lock_waits_for_the_owner_then_gives_up() {
        let (_dir, sys) = crate::funcs::test_system(&[]);
        let (a, b) = (chan(&sys, "a"), chan(&sys, "b"));
        assert!(sys.pbx.channels.locks.acquire(&a, "w", None));
        let started = Instant::now();
        assert!(
            !sys.pbx
                .channels
                .locks
                .acquire(&b, "w", Some(Duration::from_millis(200)))
        );
        assert!(started.elapsed() >= Duration::from_millis(200));
        // Released while the other waits: it gets the lock then.
        let sys2 = sys.clone();
        let b2 = b.clone();
        let waiter =
            std::thread::spawn(move || sys2.pbx.channels.locks.acquire(&b2, "w", Some(LOCK_WAIT)));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(sys.pbx.channels.locks.list()[0].requesters, 1);
        assert_eq!(sys.pbx.channels.locks.release(&a, "w"), Some(true));
        assert_eq!(waiter.join().ok(), Some(true));
        assert_eq!(
            sys.pbx.channels.locks.list()[0].owner.as_deref(),
            Some(b.name.as_str())
        );
    }

    #[test]
    fn masquerade_moves_the_holds() {
        let (_dir, sys) = crate::funcs::test_system(&[]);
        let locks = &sys.pbx.channels.locks;
        let (a, b, c) = (chan(&sys, "a"), chan(&sys, "b"), chan(&sys, "c"));
        assert!(locks.acquire(&a, "m", None));
        locks.moved(&a, &b);
        assert!(!locks.acquire(&c, "m", None));
        assert_eq!(locks.release(&b, "m"), Some(true));
        assert!(locks.acquire(&c, "m", None));
    }
}
