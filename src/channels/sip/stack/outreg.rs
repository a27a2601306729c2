//! Outbound registrations driven by hand: PJSIPUnregister and
//! PJSIPRegister and the CLI's `pjsip send unregister|register`
//! (res_pjsip_outbound_registration's `queue_unregister`,
//! `queue_register`, `unregister_all`, `reregister_all`).

use std::time::Instant;

use super::super::outbound;
use super::{Task, lock, make_clients, unix_seconds};

impl Task {
    /// The running (not retired) registration called `name`.
    fn live_registration(&self, name: &str) -> Option<usize> {
        self.regs
            .iter()
            .position(|c| !c.retired && c.reg.name == name)
    }

    /// Whether a REGISTER of registration `i` is out.
    fn registration_busy(&self, i: usize) -> bool {
        self.reg_by_tx.values().any(|&j| j == i)
    }

    /// `unregister_task`: the refresh is cancelled and a REGISTER with
    /// Expires: 0 goes out (unless one of ours is still out: pjsip's
    /// client refuses a second transaction).
    fn send_unregister(&mut self, i: usize) {
        if self.registration_busy(i) {
            self.regs[i].next_at = None;
            return;
        }
        let req = self.regs[i].unregister(self.flavor, self.local);
        self.send_registration(i, req);
    }

    pub(super) fn unregister_command(&mut self, name: Option<&str>) {
        match name {
            Some(name) => {
                if let Some(i) = self.live_registration(name) {
                    self.send_unregister(i);
                    self.registry_changed(i, false);
                }
            }
            None => self.retire_all(),
        }
    }

    /// A named registration unregisters now and registers again a second
    /// later (two tasks on its serializer); `*all` drops every
    /// registration and starts them afresh from the configuration.
    pub(super) async fn register_command(&mut self, name: Option<&str>) {
        match name {
            Some(name) => {
                if let Some(i) = self.live_registration(name) {
                    self.send_unregister(i);
                    self.regs[i].schedule_register(Instant::now());
                    self.registry_changed(i, false);
                }
            }
            None => {
                self.retire_all();
                let fresh =
                    make_clients(&self.sys, self.flavor, self.local, self.configured.clone()).await;
                let now = Instant::now();
                for mut c in fresh {
                    c.schedule_register(now);
                    let status = c.status(self.flavor, now, unix_seconds());
                    self.regs.push(c);
                    lock(&self.registry).push(status);
                }
            }
        }
    }

    /// `unregister_all`: every registration's state is dropped; one bound
    /// now unregisters first (at once, or once the exchange under way has
    /// ended), the others just stop.
    fn retire_all(&mut self) {
        for i in 0..self.regs.len() {
            if self.regs[i].retired {
                continue;
            }
            self.regs[i].retired = true;
            if !self.registration_busy(i) {
                if self.regs[i].is_registered() {
                    self.send_unregister(i);
                } else {
                    self.regs[i].next_at = None;
                }
            }
            self.registry_changed(i, false);
        }
        self.prune_retired();
    }

    /// A retired registration's unregistration has had its final answer
    /// (or none): res_pjsip announces it as Unregistered whatever the
    /// answer (the state was STOPPING).
    pub(super) fn retired_outcome(&mut self, i: usize, was_unregistering: bool) {
        if self.regs[i].retired {
            if was_unregistering {
                self.regs[i].outcome = outbound::State::Unregistered;
            }
            self.regs[i].next_at = None;
        }
    }

    /// After a final answer to a retired registration's REGISTER (once
    /// announced): one that has just bound unregisters (the deferred
    /// destruction); then it is forgotten once nothing of it is out.
    pub(super) fn retired_answered(&mut self, i: usize) {
        if !self.regs[i].retired {
            return;
        }
        if self.regs[i].is_registered() && !self.registration_busy(i) {
            self.send_unregister(i);
        }
        self.prune_retired();
    }

    /// Forgets retired registrations with nothing out, keeping the shared
    /// listing and the transaction map aligned with `regs`.
    fn prune_retired(&mut self) {
        let mut i = self.regs.len();
        while i > 0 {
            i -= 1;
            if !self.regs[i].retired || self.registration_busy(i) {
                continue;
            }
            self.regs.remove(i);
            {
                let mut shown = lock(&self.registry);
                if i < shown.len() {
                    shown.remove(i);
                }
            }
            for v in self.reg_by_tx.values_mut() {
                if *v > i {
                    *v -= 1;
                }
            }
        }
    }
}
