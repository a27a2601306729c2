//! The CDR state machine (Asterisk 20's `main/cdr.c`, in our own code).
//!
//! Every channel owns a chain of records; the channel is each record's
//! party A. A record moves through the states Single → Dial →
//! DialedPending → Bridged → Finalized as dial and bridge events arrive;
//! when no record in the chain takes a change (all finalized), a new one
//! is appended. When the channel dies, the chain is finalized and turned
//! into public [`Record`]s.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use crate::channels::ChanState;
use crate::config::views::cdr::CdrGeneral;
use crate::core::events::{BridgeAction, ChannelSnapshot, Event, EventKind};

/// `enum ast_cdr_disposition`, with Asterisk's numbers (what `CDR(…,u)`
/// shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Disposition {
    NoAnswer = 0,
    Null = 1,
    Failed = 2,
    Busy = 4,
    Answered = 8,
    Congestion = 16,
    /// Only with `canceldispositionenabled`; compares above ANSWERED as
    /// Asterisk's numbers do (a cancelled one-legged record is kept
    /// even without `unanswered`).
    Cancel = 32,
}

impl Disposition {
    /// `ast_cdr_disp2str`.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::NoAnswer | Disposition::Null => "NO ANSWER",
            Disposition::Failed => "FAILED",
            Disposition::Busy => "BUSY",
            Disposition::Answered => "ANSWERED",
            Disposition::Congestion => "CONGESTION",
            Disposition::Cancel => "CANCEL",
        }
    }

    pub fn from_number(n: i64) -> Option<Disposition> {
        Some(match n {
            0 => Disposition::NoAnswer,
            1 => Disposition::Null,
            2 => Disposition::Failed,
            4 => Disposition::Busy,
            8 => Disposition::Answered,
            16 => Disposition::Congestion,
            32 => Disposition::Cancel,
            _ => return None,
        })
    }
}

/// `ast_channel_amaflags2string`.
pub fn amaflags_str(n: u32) -> &'static str {
    match n {
        1 => "OMIT",
        2 => "BILLING",
        3 => "DOCUMENTATION",
        _ => "Unknown",
    }
}

/// A finished record, as the backends get it (`struct ast_cdr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub clid: String,
    pub src: String,
    pub dst: String,
    pub dcontext: String,
    pub channel: String,
    pub dstchannel: String,
    pub lastapp: String,
    pub lastdata: String,
    pub start: SystemTime,
    pub answer: Option<SystemTime>,
    pub end: SystemTime,
    pub duration: i64,
    pub billsec: i64,
    pub disposition: Disposition,
    pub amaflags: u32,
    pub accountcode: String,
    pub peeraccount: String,
    pub uniqueid: String,
    pub linkedid: String,
    pub userfield: String,
    pub sequence: u32,
    /// Custom variables set with `CDR(name)=value`, party A's first.
    pub vars: Vec<(String, String)>,
}

/// ForkCDR's options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForkOptions {
    /// `a`: the fork's answer time is now (if the channel is up).
    pub set_answer: bool,
    /// `e`: the records before the fork end.
    pub finalize: bool,
    /// `r`: the fork's start and answer times are now.
    pub reset: bool,
    /// `v`: the fork keeps the `CDR()` variables.
    pub keep_vars: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Single,
    Dial,
    DialedPending,
    Bridged,
    Finalized,
}

#[derive(Debug, Clone)]
struct Party {
    snap: Arc<ChannelSnapshot>,
    userfield: String,
    vars: Vec<(String, String)>,
    /// `CDR_PROP(party_a)`.
    party_a: bool,
}

impl Party {
    fn new(snap: Arc<ChannelSnapshot>) -> Party {
        Party {
            snap,
            userfield: String::new(),
            vars: Vec::new(),
            party_a: false,
        }
    }

    /// A party that had no snapshot before (`cdr_object_swap_snapshot`
    /// on an empty party): its DNID becomes the `dnid` variable.
    fn joining(snap: Arc<ChannelSnapshot>) -> Party {
        let mut p = Party::new(snap);
        let dnid = p.snap.dnid.clone();
        set_var(&mut p.vars, "dnid", &dnid);
        p
    }

    /// `cdr_object_swap_snapshot`: a changed DNID updates the `dnid`
    /// variable, then the snapshot is replaced.
    fn swap(&mut self, snap: &Arc<ChannelSnapshot>) {
        if self.snap.dnid != snap.dnid {
            set_var(&mut self.vars, "dnid", &snap.dnid);
        }
        self.snap = snap.clone();
    }
}

#[derive(Debug, Clone)]
struct Cdr {
    st: St,
    a: Party,
    b: Option<Party>,
    start: SystemTime,
    answer: Option<SystemTime>,
    end: Option<SystemTime>,
    lastevent: SystemTime,
    appl: String,
    data: String,
    context: String,
    exten: String,
    linkedid: String,
    bridge: String,
    disposition: Disposition,
    sequence: u32,
    lock_app: bool,
    /// `AST_CDR_FLAG_DISABLE_ALL`: no record, now or later in the chain.
    disable_all: bool,
}

fn set_var(vars: &mut Vec<(String, String)>, name: &str, value: &str) {
    vars.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if !value.is_empty() {
        vars.push((name.to_string(), value.to_string()));
    }
}

fn ms_between(later: SystemTime, earlier: SystemTime) -> i64 {
    match later.duration_since(earlier) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

impl Cdr {
    fn duration(&self, now: SystemTime) -> i64 {
        ms_between(self.end.unwrap_or(now), self.start) / 1000
    }

    fn billsec(&self, now: SystemTime, initiated: bool) -> i64 {
        let Some(answer) = self.answer else { return 0 };
        let ms = ms_between(self.end.unwrap_or(now), answer);
        if initiated && ms % 1000 >= 500 {
            ms / 1000 + 1
        } else {
            ms / 1000
        }
    }
}

/// How a channel came to be, for picking party A: a dialed channel is
/// never party A against one that was not (`snapshot_is_dialed`).
#[derive(Debug, Clone, Copy, Default)]
struct Origin {
    outgoing: bool,
    originated: bool,
}

/// Every live channel's chain, and what the engine tracks beside.
#[derive(Default)]
pub struct State {
    chains: HashMap<String, Vec<Cdr>>,
    /// Chains by channel name (`CDR()` finds a channel by name).
    names: HashMap<String, String>,
    origins: HashMap<String, Origin>,
    /// Channels (uniqueids) in each bridge, in order of entry.
    bridges: HashMap<String, Vec<String>>,
    /// The chains (uniqueids) that have or had a channel (lower-case
    /// name) as party B, so a channel's update visits those records only
    /// rather than every live one. Entries may outlive the pairing; users
    /// check the record itself.
    party_b: HashMap<String, Vec<String>>,
    sequence: u32,
}

enum Enter {
    OnlyParty,
    ObtainedB,
    NoB,
    NeedCdr,
}

impl State {
    /// Record `i` of a channel's chain.
    fn cdr(&self, uid: &str, i: usize) -> Option<&Cdr> {
        self.chains.get(uid).and_then(|ch| ch.get(i))
    }

    fn cdr_mut(&mut self, uid: &str, i: usize) -> Option<&mut Cdr> {
        self.chains.get_mut(uid).and_then(|ch| ch.get_mut(i))
    }

    /// `uid`'s chain has `name` as party B of some record.
    fn note_party_b(&mut self, uid: &str, name: &str) {
        let chains = self.party_b.entry(name.to_ascii_lowercase()).or_default();
        if !chains.iter().any(|c| c == uid) {
            chains.push(uid.to_string());
        }
    }

    /// Makes `party` the party B of record `i` of chain `uid`, keeping the
    /// index of chains by party B in step; the record, for more changes.
    fn set_party_b(&mut self, uid: &str, i: usize, party: &Party) -> Option<&mut Cdr> {
        self.note_party_b(uid, &party.snap.name);
        let c = self.cdr_mut(uid, i)?;
        c.b = Some(party.clone());
        Some(c)
    }

    /// The chains that may have `name` as a party B.
    fn chains_with_party_b(&self, name: &str) -> Vec<String> {
        self.party_b
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// The record is now in its bridge (whether or not it found a party B).
    fn set_bridged(&mut self, uid: &str, i: usize) {
        if let Some(c) = self.cdr_mut(uid, i) {
            c.st = St::Bridged;
        }
    }

    pub fn new() -> State {
        State::default()
    }

    fn is_dialed(&self, snap: &ChannelSnapshot) -> bool {
        let o = self
            .origins
            .get(&snap.uniqueid)
            .copied()
            .unwrap_or_default();
        o.outgoing && !o.originated
    }

    /// `cdr_object_pick_party_a`: true when `left` wins.
    fn left_is_party_a(&self, left: &Party, right: &Party) -> bool {
        let (ld, rd) = (self.is_dialed(&left.snap), self.is_dialed(&right.snap));
        if ld != rd {
            return !ld;
        }
        if left.party_a != right.party_a {
            return left.party_a;
        }
        // Older channel first; same time: the left one.
        right.snap.created >= left.snap.created
    }

    fn new_cdr(&mut self, snap: Arc<ChannelSnapshot>, now: SystemTime) -> Cdr {
        let seq = self.sequence;
        self.sequence = self.sequence.wrapping_add(1);
        let mut c = Cdr {
            st: St::Single,
            linkedid: snap.linkedid.clone(),
            a: Party::new(snap),
            b: None,
            start: now,
            answer: None,
            end: None,
            lastevent: now,
            appl: String::new(),
            data: String::new(),
            context: String::new(),
            exten: String::new(),
            bridge: String::new(),
            disposition: Disposition::Null,
            sequence: seq,
            lock_app: false,
            disable_all: false,
        };
        check_answer(&mut c);
        c
    }

    /// `cdr_object_create_and_append`: a new record carrying on from the
    /// chain's last one.
    fn append(&mut self, uid: &str, now: SystemTime) -> Option<usize> {
        let last = self.chains.get(uid)?.last()?.clone();
        let mut c = self.new_cdr(last.a.snap.clone(), now);
        c.linkedid = last.linkedid;
        c.appl = last.appl;
        c.data = last.data;
        c.context = last.context;
        c.exten = last.exten;
        c.disable_all = last.disable_all;
        c.a = last.a;
        let chain = self.chains.get_mut(uid)?;
        chain.push(c);
        Some(chain.len() - 1)
    }

    /// Feeds one bus event; returns the chains' records that are done.
    pub fn process(&mut self, ev: &Event, now: SystemTime, cfg: &CdrGeneral) -> Vec<Record> {
        let mut out = Vec::new();
        let Some(chan) = ev.channel.as_ref() else {
            return out;
        };
        match &ev.kind {
            EventKind::Snapshot { old } => {
                self.snapshot(old.as_deref(), chan, now, cfg, &mut out);
            }
            EventKind::CallerDial { name, caller, tail } => {
                if *name == "DialBegin" {
                    self.origins
                        .entry(chan.uniqueid.clone())
                        .or_default()
                        .outgoing = true;
                    self.dial(Some(caller), chan, None, now, cfg);
                } else if *name == "DialEnd" {
                    let status = tail
                        .split("\r\n")
                        .find_map(|l| l.strip_prefix("DialStatus: "))
                        .unwrap_or("")
                        .to_string();
                    self.dial(Some(caller), chan, Some(&status), now, cfg);
                }
            }
            EventKind::DialBegin { .. } => {
                let o = self.origins.entry(chan.uniqueid.clone()).or_default();
                o.outgoing = true;
                o.originated = true;
                self.dial(None, chan, None, now, cfg);
            }
            EventKind::DialEnd { status } => {
                self.dial(None, chan, Some(status), now, cfg);
            }
            EventKind::Pickup { target } => {
                // The pickup's masquerade left AST_FLAG_OUTGOING and
                // AST_FLAG_ORIGINATED with the channel structures: the
                // picker, in the dialed leg's place, is dialed (its own
                // flag or the leg's), the leg left behind has the
                // picker's flags (so its record is posted).
                let picker = self
                    .origins
                    .get(&chan.uniqueid)
                    .copied()
                    .unwrap_or_default();
                let leg = self
                    .origins
                    .get(&target.uniqueid)
                    .copied()
                    .unwrap_or_default();
                self.origins.insert(
                    chan.uniqueid.clone(),
                    Origin {
                        outgoing: leg.outgoing || picker.outgoing,
                        originated: leg.originated,
                    },
                );
                self.origins.insert(target.uniqueid.clone(), picker);
            }
            EventKind::Bridge { action, bridge, .. } => {
                if bridge.technology == "holding_bridge" {
                    return out;
                }
                match action {
                    BridgeAction::Enter => {
                        let members = self.bridges.entry(bridge.uniqueid.clone()).or_default();
                        if !members.contains(&chan.uniqueid) {
                            members.push(chan.uniqueid.clone());
                        }
                        self.bridge_enter(&bridge.uniqueid, chan, now, cfg);
                    }
                    BridgeAction::Leave => {
                        self.bridge_leave(&bridge.uniqueid, chan, now, cfg);
                        if let Some(m) = self.bridges.get_mut(&bridge.uniqueid) {
                            m.retain(|u| *u != chan.uniqueid);
                        }
                    }
                    BridgeAction::Destroy => {
                        self.bridges.remove(&bridge.uniqueid);
                    }
                    BridgeAction::Create => {}
                }
            }
            _ => {}
        }
        out
    }

    fn snapshot(
        &mut self,
        old: Option<&ChannelSnapshot>,
        new: &Arc<ChannelSnapshot>,
        now: SystemTime,
        cfg: &CdrGeneral,
        out: &mut Vec<Record>,
    ) {
        let uid = new.uniqueid.clone();
        if old.is_none() && !self.chains.contains_key(&uid) {
            let mut c = self.new_cdr(new.clone(), now);
            c.disable_all = !cfg.channeldefaultenabled;
            self.chains.insert(uid.clone(), vec![c]);
            self.names
                .insert(new.name.to_ascii_lowercase(), uid.clone());
        }
        if let Some(chain) = self.chains.get_mut(&uid) {
            let mut all_reject = true;
            for c in chain.iter_mut() {
                c.lastevent = now;
                all_reject &= process_party_a(c, new, cfg);
            }
            if all_reject && new_cdr_needed(old, new, cfg) {
                if let Some(i) = self.append(&uid, now) {
                    if let Some(c) = self.cdr_mut(&uid, i) {
                        process_party_a(c, new, cfg);
                    }
                }
            }
        }
        if new.dead {
            if let Some(mut chain) = self.chains.remove(&uid) {
                for c in chain.iter_mut() {
                    c.lastevent = now;
                    finalize(c, cfg);
                }
                out.extend(self.public_records(&chain, now, cfg));
            }
            self.names.remove(&new.name.to_ascii_lowercase());
            self.origins.remove(&uid);
        }
        // This channel as party B of other records.
        for chain_uid in self.chains_with_party_b(&new.name) {
            let Some(chain) = self.chains.get_mut(&chain_uid) else {
                continue;
            };
            for c in chain.iter_mut() {
                let is_b = c.b.as_ref().is_some_and(|b| b.snap.name == new.name);
                if !is_b {
                    continue;
                }
                if matches!(c.st, St::Dial | St::Bridged) {
                    if let Some(b) = c.b.as_mut() {
                        b.swap(new);
                    }
                    if new.dead {
                        to_finalized(c, cfg);
                    }
                }
                if new.dead {
                    finalize(c, cfg);
                }
            }
        }
        if new.dead {
            self.party_b.remove(&new.name.to_ascii_lowercase());
        }
    }

    fn dial(
        &mut self,
        caller: Option<&Arc<ChannelSnapshot>>,
        peer: &Arc<ChannelSnapshot>,
        status: Option<&str>,
        now: SystemTime,
        cfg: &CdrGeneral,
    ) {
        let uid = caller.map_or(&peer.uniqueid, |c| &c.uniqueid).clone();
        if !self.chains.contains_key(&uid) {
            return;
        }
        let status = status.filter(|s| !s.is_empty());
        if status.is_none() {
            // dial_begin may make the peer party B of this chain.
            self.note_party_b(&uid, &peer.name);
        }
        let Some(chain) = self.chains.get_mut(&uid) else {
            return;
        };
        let mut res = true;
        for c in chain.iter_mut() {
            c.lastevent = now;
            match status {
                None => {
                    if cfg.ignoredialchanges {
                        continue;
                    }
                    res &= dial_begin(c, caller, peer, cfg);
                }
                Some(s) if !matches!(s, "RINGING" | "PROCEEDING" | "PROGRESS") => {
                    if cfg.ignoredialchanges {
                        c.disposition = dial_disposition(s, cfg);
                        continue;
                    }
                    if c.st == St::Dial {
                        dial_end(c, caller, peer, s, cfg);
                    }
                }
                Some(_) => {}
            }
        }
        if res && status.is_none() && !cfg.ignoredialchanges {
            if let Some(i) = self.append(&uid, now) {
                if let Some(c) = self.cdr_mut(&uid, i) {
                    dial_begin(c, caller, peer, cfg);
                }
            }
        }
    }

    fn bridge_enter(
        &mut self,
        bridge: &str,
        chan: &Arc<ChannelSnapshot>,
        now: SystemTime,
        cfg: &CdrGeneral,
    ) {
        let uid = chan.uniqueid.clone();
        if !self.chains.contains_key(&uid) {
            return;
        }
        let members = self.bridges.get(bridge).cloned().unwrap_or_default();
        loop {
            let mut handled: Option<usize> = None;
            let len = self.chains.get(&uid).map_or(0, Vec::len);
            for i in 0..len {
                let result = {
                    let Some(c) = self.cdr_mut(&uid, i) else {
                        break;
                    };
                    c.lastevent = now;
                    process_party_a(c, chan, cfg);
                    match c.st {
                        St::Single | St::Dial | St::DialedPending => {
                            if c.st == St::DialedPending {
                                c.st = St::Dial;
                            }
                            c.bridge = bridge.to_string();
                            Some(c.st)
                        }
                        _ => None,
                    }
                };
                let r = match result {
                    Some(St::Single) => self.single_bridge_enter(&uid, i, bridge, &members, cfg),
                    Some(_) => self.dial_bridge_enter(&uid, i, bridge, &members, cfg),
                    None => Enter::NeedCdr,
                };
                match r {
                    Enter::OnlyParty | Enter::ObtainedB => {
                        handled.get_or_insert(i);
                    }
                    Enter::NoB => {
                        handled.get_or_insert(i);
                        // Asterisk ends the chain's first record here.
                        if let Some(first) = self.chains.get_mut(&uid).and_then(|ch| ch.first_mut())
                        {
                            finalize(first, cfg);
                        }
                    }
                    Enter::NeedCdr => {}
                }
            }
            match handled {
                Some(i) => {
                    self.pairings(&uid, i, bridge, &members);
                    return;
                }
                None => {
                    if self.append(&uid, now).is_none() {
                        return;
                    }
                }
            }
        }
    }

    /// Other channels' records in `bridge` that are in the Bridged state:
    /// (uniqueid, index).
    fn bridged_in(&self, bridge: &str, members: &[String]) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for m in members {
            if let Some(chain) = self.chains.get(m) {
                for (i, c) in chain.iter().enumerate() {
                    if c.st == St::Bridged && c.bridge == bridge {
                        out.push((m.clone(), i));
                    }
                }
            }
        }
        out
    }

    fn single_bridge_enter(
        &mut self,
        uid: &str,
        i: usize,
        bridge: &str,
        members: &[String],
        cfg: &CdrGeneral,
    ) -> Enter {
        if members.len() <= 1 {
            self.set_bridged(uid, i);
            return Enter::OnlyParty;
        }
        let Some(me) = self.cdr(uid, i).cloned() else {
            return Enter::NoB;
        };
        let mut success = false;
        for (cu, ci) in self.bridged_in(bridge, members) {
            let Some(cand) = self.cdr(&cu, ci).cloned() else {
                continue;
            };
            if cand.a.snap.name == me.a.snap.name {
                continue;
            }
            if self.left_is_party_a(&me.a, &cand.a) {
                self.set_party_b(uid, i, &cand.a);
                if cand.b.is_none() {
                    if let Some(cc) = self.cdr_mut(&cu, ci) {
                        finalize(cc, cfg);
                    }
                }
                success = true;
                break;
            }
            if let Some(cb) = &cand.b {
                if cb.snap.name != me.a.snap.name && self.left_is_party_a(&me.a, cb) {
                    self.set_party_b(uid, i, cb);
                    success = true;
                    break;
                }
            }
        }
        self.set_bridged(uid, i);
        if success {
            Enter::ObtainedB
        } else {
            Enter::NoB
        }
    }

    fn dial_bridge_enter(
        &mut self,
        uid: &str,
        i: usize,
        bridge: &str,
        members: &[String],
        cfg: &CdrGeneral,
    ) -> Enter {
        if members.len() <= 1 {
            self.set_bridged(uid, i);
            return Enter::OnlyParty;
        }
        let b_name = self
            .cdr(uid, i)
            .and_then(|c| c.b.as_ref())
            .map(|b| b.snap.name.clone());
        let mut success = false;
        if let Some(b_name) = b_name {
            for (cu, ci) in self.bridged_in(bridge, members) {
                let Some(cand) = self.cdr(&cu, ci).cloned() else {
                    continue;
                };
                if cand.a.snap.name != b_name {
                    continue;
                }
                self.set_party_b(uid, i, &cand.a);
                if cand.b.is_none() {
                    if let Some(cc) = self.cdr_mut(&cu, ci) {
                        finalize(cc, cfg);
                    }
                }
                success = true;
                break;
            }
        }
        self.set_bridged(uid, i);
        if success {
            Enter::ObtainedB
        } else {
            Enter::NoB
        }
    }

    /// `handle_bridge_pairings`: the record that entered makes pairs with
    /// everyone else in the bridge it is not paired with yet.
    fn pairings(&mut self, uid: &str, i: usize, bridge: &str, members: &[String]) {
        for m in members {
            let Some(me) = self.cdr(uid, i).cloned() else {
                return;
            };
            let Some(cands) = self.chains.get(m).cloned() else {
                continue;
            };
            for (ci, cand) in cands.iter().enumerate() {
                if cand.bridge != bridge {
                    continue;
                }
                if cand.a.snap.name == me.a.snap.name
                    || me
                        .b
                        .as_ref()
                        .is_some_and(|b| b.snap.name == cand.a.snap.name)
                {
                    break;
                }
                if self.left_is_party_a(&me.a, &cand.a) {
                    self.add_pair(uid, &cand.a, bridge);
                } else if cand
                    .b
                    .as_ref()
                    .is_some_and(|b| b.snap.name != me.a.snap.name)
                {
                    self.add_pair(m, &me.a, bridge);
                } else if let Some(cc) = self.set_party_b(m, ci, &me.a) {
                    cc.end = None;
                }
                break;
            }
        }
    }

    /// `bridge_candidate_add_to_cdr`.
    fn add_pair(&mut self, uid: &str, b: &Party, bridge: &str) {
        let now = self
            .chains
            .get(uid)
            .and_then(|ch| ch.last())
            .map_or_else(SystemTime::now, |c| c.lastevent);
        if let Some(i) = self.append(uid, now) {
            if let Some(c) = self.set_party_b(uid, i, b) {
                check_answer(c);
                c.bridge = bridge.to_string();
                c.st = St::Bridged;
            }
        }
    }

    fn bridge_leave(
        &mut self,
        bridge: &str,
        chan: &Arc<ChannelSnapshot>,
        now: SystemTime,
        cfg: &CdrGeneral,
    ) {
        let mut left = false;
        if let Some(chain) = self.chains.get_mut(&chan.uniqueid) {
            for c in chain.iter_mut() {
                c.lastevent = now;
                if c.st != St::Bridged || c.bridge != bridge {
                    continue;
                }
                let ours = c.a.snap.name == chan.name
                    || c.b.as_ref().is_none_or(|b| b.snap.name == chan.name);
                if !ours {
                    continue;
                }
                to_finalized(c, cfg);
                c.bridge.clear();
                left = true;
            }
        }
        if !left {
            return;
        }
        for chain_uid in self.chains_with_party_b(&chan.name) {
            let Some(chain) = self.chains.get_mut(&chain_uid) else {
                continue;
            };
            for c in chain.iter_mut() {
                if c.st == St::Bridged
                    && c.bridge == bridge
                    && c.b.as_ref().is_some_and(|b| b.snap.name == chan.name)
                {
                    c.lastevent = now;
                    finalize(c, cfg);
                }
            }
        }
    }

    /// `cdr_object_create_public_records`, then `post_cdr`'s filters
    /// (unanswered records, disabled ones).
    fn public_records(&self, chain: &[Cdr], now: SystemTime, cfg: &CdrGeneral) -> Vec<Record> {
        let mut out = Vec::new();
        for c in chain {
            if self.is_dialed(&c.a.snap) && c.b.is_none() {
                continue;
            }
            let a = &c.a.snap;
            let mut userfield = String::new();
            let mut vars = c.a.vars.clone();
            if let Some(b) = &c.b {
                if !b.userfield.is_empty() {
                    userfield = format!("{};{}", c.a.userfield, b.userfield);
                }
                for (n, v) in &b.vars {
                    if !vars.iter().any(|(x, _)| x.eq_ignore_ascii_case(n)) {
                        vars.push((n.clone(), v.clone()));
                    }
                }
            }
            if userfield.is_empty() {
                userfield = c.a.userfield.clone();
            }
            let r = Record {
                clid: format!(
                    "\"{}\" <{}>",
                    a.caller_name.as_deref().unwrap_or(""),
                    a.caller_num.as_deref().unwrap_or("")
                ),
                src: a.caller_num.clone().unwrap_or_default(),
                dst: c.exten.clone(),
                dcontext: c.context.clone(),
                channel: a.name.clone(),
                dstchannel: c
                    .b
                    .as_ref()
                    .map(|b| b.snap.name.clone())
                    .unwrap_or_default(),
                lastapp: c.appl.clone(),
                lastdata: c.data.clone(),
                start: c.start,
                answer: c.answer,
                end: c.end.unwrap_or(now),
                duration: c.duration(now),
                billsec: c.billsec(now, cfg.initiatedseconds),
                disposition: c.disposition,
                amaflags: a.amaflags,
                accountcode: a.accountcode.clone(),
                peeraccount: c
                    .b
                    .as_ref()
                    .map(|b| b.snap.accountcode.clone())
                    .unwrap_or_default(),
                uniqueid: a.uniqueid.clone(),
                linkedid: c.linkedid.clone(),
                userfield,
                sequence: c.sequence,
                vars,
            };
            let unanswered = r.disposition < Disposition::Answered
                && (r.channel.is_empty() || r.dstchannel.is_empty());
            if unanswered && !cfg.unanswered {
                continue;
            }
            if c.disable_all {
                continue;
            }
            out.push(r);
        }
        out
    }

    fn chain_by_name(&self, name: &str) -> Option<&Vec<Cdr>> {
        let uid = self.names.get(&name.to_ascii_lowercase())?;
        self.chains.get(uid)
    }

    fn chain_by_name_mut(&mut self, name: &str) -> Option<&mut Vec<Cdr>> {
        let uid = self.names.get(&name.to_ascii_lowercase())?.clone();
        self.chains.get_mut(&uid)
    }

    /// `ast_cdr_getvar`: a field of the channel's current record, raw
    /// (times as `secs.usecs`, disposition and AMA flags as numbers), or
    /// a custom variable. `None` when the channel has no CDR.
    pub fn getvar(
        &self,
        chan: &str,
        name: &str,
        now: SystemTime,
        cfg: &CdrGeneral,
    ) -> Option<String> {
        let c = self.chain_by_name(chan)?.last()?;
        let v = match property(c, name, now, cfg) {
            Some(v) => v,
            None => {
                c.a.vars
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            }
        };
        Some(v)
    }

    /// `ast_cdr_serialize_variables(chan, '=', '\n')`, as `core show
    /// channel` lists them: every record of the channel's chain, its
    /// custom variables then its non-empty read-only fields, each line
    /// `level <n>: name=value`, a blank line before each record after the
    /// first. `None` when the channel has no CDR or nothing was counted.
    pub fn serialize(&self, chan: &str, now: SystemTime, cfg: &CdrGeneral) -> Option<String> {
        let chain = self.chain_by_name(chan)?;
        let mut out = String::new();
        let mut total = 0usize;
        for (i, c) in chain.iter().enumerate() {
            let level = i + 1;
            if level > 1 {
                out.push('\n');
            }
            for (n, v) in &c.a.vars {
                out.push_str(&format!("level {level}: {n}={v}\n"));
                total += 1;
            }
            for name in READONLY_VARS {
                let v = property(c, name, now, cfg).unwrap_or_default();
                if !v.is_empty() {
                    out.push_str(&format!("level {level}: {name}={v}\n"));
                }
                total += 1;
            }
        }
        (total > 0).then_some(out)
    }

    /// `ast_cdr_setvar` for a custom variable: on every record of the
    /// channel that is still open (or last), as party A or party B.
    pub fn setvar(&mut self, chan: &str, name: &str, value: &str) -> bool {
        let mut found = self.names.contains_key(&chan.to_ascii_lowercase());
        let own = self.names.get(&chan.to_ascii_lowercase()).cloned();
        let mut uids = self.chains_with_party_b(chan);
        uids.extend(own);
        for uid in uids {
            let Some(chain) = self.chains.get_mut(&uid) else {
                continue;
            };
            let n = chain.len();
            for (i, c) in chain.iter_mut().enumerate() {
                if c.st == St::Finalized && i + 1 < n {
                    continue;
                }
                if c.a.snap.name.eq_ignore_ascii_case(chan) {
                    set_var(&mut c.a.vars, name, value);
                    found = true;
                } else if let Some(b) =
                    c.b.as_mut()
                        .filter(|b| b.snap.name.eq_ignore_ascii_case(chan))
                {
                    set_var(&mut b.vars, name, value);
                    found = true;
                }
            }
        }
        found
    }

    /// `ast_cdr_setuserfield`.
    pub fn set_userfield(&mut self, chan: &str, value: &str) {
        if let Some(chain) = self.chain_by_name_mut(chan) {
            let n = chain.len();
            for (i, c) in chain.iter_mut().enumerate() {
                if c.st == St::Finalized && i + 1 < n {
                    continue;
                }
                c.a.userfield = value.to_string();
            }
        }
        for uid in self.chains_with_party_b(chan) {
            let Some(chain) = self.chains.get_mut(&uid) else {
                continue;
            };
            let n = chain.len();
            for (i, c) in chain.iter_mut().enumerate() {
                if c.st == St::Finalized && i + 1 < n {
                    continue;
                }
                if let Some(b) =
                    c.b.as_mut()
                        .filter(|b| b.snap.name.eq_ignore_ascii_case(chan))
                {
                    b.userfield = value.to_string();
                }
            }
        }
    }

    /// `CDR_PROP(disable)` / `NoCDR` (set) and `CDR_PROP(disable)=0`
    /// (clear); `CDR_PROP(party_a)`. False when the channel has no CDR.
    pub fn set_property(&mut self, chan: &str, disable: bool, value: bool) -> bool {
        let Some(chain) = self.chain_by_name_mut(chan) else {
            return false;
        };
        for c in chain.iter_mut().filter(|c| c.st != St::Finalized) {
            if disable {
                c.disable_all = value;
            } else {
                c.a.party_a = value;
            }
        }
        true
    }

    /// `ast_cdr_reset` (ResetCDR): every record starts over now.
    pub fn reset(&mut self, chan: &str, keep_vars: bool, now: SystemTime) -> bool {
        let Some(chain) = self.chain_by_name_mut(chan) else {
            return false;
        };
        for c in chain.iter_mut() {
            if !keep_vars {
                c.a.vars.clear();
                if let Some(b) = c.b.as_mut() {
                    b.vars.clear();
                }
            }
            c.start = now;
            c.end = None;
            c.answer = None;
            c.lastevent = now;
            check_answer(c);
        }
        true
    }

    /// `ast_cdr_fork` (ForkCDR): a new record at the end of the chain,
    /// carrying on from the last one. False when the channel has no CDR
    /// or its last record is already finalized.
    pub fn fork(
        &mut self,
        chan: &str,
        opts: ForkOptions,
        now: SystemTime,
        cfg: &CdrGeneral,
    ) -> bool {
        let Some(uid) = self.names.get(&chan.to_ascii_lowercase()).cloned() else {
            return false;
        };
        let (head, last) = match self.chains.get(&uid) {
            Some(chain) => match (chain.first(), chain.last()) {
                (Some(h), Some(l)) => (h.clone(), l.clone()),
                _ => return false,
            },
            None => return false,
        };
        if last.st == St::Finalized {
            return false;
        }
        let Some(i) = self.append(&uid, now) else {
            return false;
        };
        if let Some(b) = &last.b {
            self.note_party_b(&uid, &b.snap.name);
        }
        let Some(chain) = self.chains.get_mut(&uid) else {
            return false;
        };
        let Some(c) = chain.get_mut(i) else {
            return false;
        };
        c.st = last.st;
        // The chain's first record gives the location and the flags.
        c.bridge = head.bridge.clone();
        c.appl = head.appl.clone();
        c.data = head.data.clone();
        c.context = head.context.clone();
        c.exten = head.exten.clone();
        c.disable_all = head.disable_all;
        c.lock_app = false;
        c.b = last.b.clone().map(|mut b| {
            if !opts.keep_vars {
                b.vars.clear();
            }
            b
        });
        c.start = last.start;
        c.answer = last.answer;
        c.lastevent = now;
        if opts.set_answer && c.a.snap.state == ChanState::Up {
            c.answer = Some(now);
        }
        // As Asterisk: `r` sets the answer time whatever the state.
        if opts.reset {
            c.answer = Some(now);
            c.start = now;
        }
        if !opts.keep_vars {
            c.a.vars.clear();
        }
        if opts.finalize {
            for c in chain[..i].iter_mut().filter(|c| c.st != St::Finalized) {
                to_finalized(c, cfg);
            }
        }
        true
    }

    /// Forgets every live record (the engine was disabled).
    pub fn clear(&mut self) {
        *self = State {
            sequence: self.sequence,
            ..State::default()
        };
    }

    /// Live records.
    pub fn active(&self) -> usize {
        self.chains.values().map(Vec::len).sum()
    }

    /// `cdr show active`: a line per live chain whose party A was not
    /// dialed, from its first such record's start and answer to its last
    /// record's end (now, while open); in the order Asterisk's master
    /// container (1567 buckets by uniqueid) walks them.
    pub fn active_summary(&self, now: SystemTime) -> Vec<ActiveCdr> {
        let mut uids: Vec<&String> = self.chains.keys().collect();
        uids.sort_by_key(|u| (crate::core::devicestate::str_case_hash(u) % 1567, *u));
        let mut out = Vec::new();
        for uid in uids {
            let chain = &self.chains[uid];
            let mut own = chain.iter().filter(|c| !self.is_dialed(&c.a.snap));
            let Some(first) = own.next() else {
                continue;
            };
            let answer = std::iter::once(first).chain(own).find_map(|c| c.answer);
            let Some(last) = chain.last() else {
                continue;
            };
            let end = last.end.unwrap_or(now);
            out.push(ActiveCdr {
                channel: last.a.snap.name.clone(),
                dst: last.b.as_ref().map(|b| b.snap.name.clone()),
                appl: last.appl.clone(),
                data: last.data.clone(),
                accountcode: last.a.snap.accountcode.clone(),
                clid: String::new(),
                start: first.start,
                answer,
                end,
                billsec: answer.map_or(0, |a| ms_between(end, a) / 1000),
                duration: ms_between(end, first.start) / 1000,
            });
        }
        out
    }

    /// `cdr show active <channel>`: each record of the channel's chain
    /// whose party A was not dialed; `None` for an unknown channel.
    pub fn channel_records(&self, name: &str, now: SystemTime) -> Option<Vec<ActiveCdr>> {
        let uid = self.names.get(&name.to_ascii_lowercase())?;
        let chain = self.chains.get(uid)?;
        Some(
            chain
                .iter()
                .filter(|c| !self.is_dialed(&c.a.snap))
                .map(|c| {
                    let end = c.end.unwrap_or(now);
                    let snap = &c.a.snap;
                    ActiveCdr {
                        channel: snap.name.clone(),
                        dst: c.b.as_ref().map(|b| b.snap.name.clone()),
                        appl: c.appl.clone(),
                        data: c.data.clone(),
                        accountcode: snap.accountcode.clone(),
                        // A snapshot's name and number are never absent,
                        // only empty: always the `"name" <number>` form.
                        clid: crate::config::views::callerid::merge(
                            Some(snap.caller_name.as_deref().unwrap_or("")),
                            Some(snap.caller_num.as_deref().unwrap_or("")),
                            "",
                        ),
                        start: c.start,
                        answer: c.answer,
                        end,
                        // Against the epoch when unanswered, as Asterisk
                        // subtracts a zero answer time.
                        billsec: ms_between(end, c.answer.unwrap_or(SystemTime::UNIX_EPOCH)) / 1000,
                        duration: ms_between(end, c.start) / 1000,
                    }
                })
                .collect(),
        )
    }
}

/// A record as `cdr show active` prints it.
#[derive(Debug, Clone)]
pub struct ActiveCdr {
    pub channel: String,
    pub dst: Option<String>,
    pub appl: String,
    pub data: String,
    pub accountcode: String,
    /// `"name" <number>` (per channel only).
    pub clid: String,
    pub start: SystemTime,
    pub answer: Option<SystemTime>,
    pub end: SystemTime,
    pub billsec: i64,
    pub duration: i64,
}

fn check_answer(c: &mut Cdr) {
    if c.a.snap.state == ChanState::Up && c.answer.is_none() {
        c.answer = Some(c.lastevent);
    }
}

/// `cdr_object_finalize`: the end time, and a disposition when the
/// record has none yet. Safe to call again.
fn finalize(c: &mut Cdr, cfg: &CdrGeneral) {
    if c.end.is_some() {
        return;
    }
    c.end = Some(c.lastevent);
    if c.disposition == Disposition::Null {
        if c.answer.is_some() {
            c.disposition = Disposition::Answered;
        } else if c.a.snap.hangup_cause != 0 {
            set_disposition(c, c.a.snap.hangup_cause, cfg);
        } else if let Some(cause) =
            c.b.as_ref()
                .map(|b| b.snap.hangup_cause)
                .filter(|x| *x != 0)
        {
            set_disposition(c, cause, cfg);
        } else {
            c.disposition = Disposition::Failed;
        }
    }
}

/// `cdr_object_set_disposition`: from a hangup cause.
fn set_disposition(c: &mut Cdr, cause: u32, cfg: &CdrGeneral) {
    c.disposition = match cause {
        17 => Disposition::Busy,
        34 if cfg.congestion => Disposition::Congestion,
        34 | 3 | 20 => Disposition::Failed,
        16 | 19 => Disposition::NoAnswer,
        _ => return,
    };
}

fn to_finalized(c: &mut Cdr, cfg: &CdrGeneral) {
    c.st = St::Finalized;
    finalize(c, cfg);
}

/// `snapshot_cep_changed`: the dialplan moved on to another application.
fn cep_changed(old: &ChannelSnapshot, new: &ChannelSnapshot, cfg: &CdrGeneral) -> bool {
    if new.hangup_exec && cfg.endbeforehexten {
        return false;
    }
    new.appl != old.appl
        && !starts_with_ci(&new.appl, "appdial")
        && (new.context != old.context || new.exten != old.exten || new.priority != old.priority)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `check_new_cdr_needed`.
fn new_cdr_needed(old: Option<&ChannelSnapshot>, new: &ChannelSnapshot, cfg: &CdrGeneral) -> bool {
    if new.dead || (new.hangup_exec && cfg.endbeforehexten) {
        return false;
    }
    if new.appl.is_empty() {
        return false;
    }
    !old.is_some_and(|o| !cep_changed(o, new, cfg))
}

/// The read-only CDR fields in the order `ast_cdr_serialize_variables`
/// lists them.
pub const READONLY_VARS: [&str; 21] = [
    "clid",
    "src",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "accountcode",
    "uniqueid",
    "linkedid",
    "tenantid",
    "userfield",
    "sequence",
];

/// `cdr_object_format_property`: a read-only field of a record, raw (times
/// as `secs.usecs`, disposition and AMA flags as numbers); `None` for a
/// name that is not one.
fn property(c: &Cdr, name: &str, now: SystemTime, cfg: &CdrGeneral) -> Option<String> {
    let a = &c.a.snap;
    let b = c.b.as_ref().map(|b| &b.snap);
    let tv = |t: Option<SystemTime>| match t {
        Some(t) => {
            let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            format!("{}.{:06}", d.as_secs(), d.subsec_micros())
        }
        None => "0.000000".to_string(),
    };
    let v = match name.to_ascii_lowercase().as_str() {
        "clid" => format!(
            "\"{}\" <{}>",
            a.caller_name.as_deref().unwrap_or(""),
            a.caller_num.as_deref().unwrap_or("")
        ),
        "src" => a.caller_num.clone().unwrap_or_default(),
        "dst" => a.exten.clone(),
        "dcontext" => a.context.clone(),
        "channel" => a.name.clone(),
        "dstchannel" => b.map(|b| b.name.clone()).unwrap_or_default(),
        "lastapp" => a.appl.clone(),
        "lastdata" => a.data.clone(),
        "start" => tv(Some(c.start)),
        "answer" => tv(c.answer),
        "end" => tv(c.end),
        "duration" => c.duration(now).to_string(),
        "billsec" => c.billsec(now, cfg.initiatedseconds).to_string(),
        "disposition" => (c.disposition as u32).to_string(),
        "amaflags" => a.amaflags.to_string(),
        "accountcode" => a.accountcode.clone(),
        "peeraccount" => b.map(|b| b.accountcode.clone()).unwrap_or_default(),
        "uniqueid" => a.uniqueid.clone(),
        "linkedid" => c.linkedid.clone(),
        "tenantid" => a.tenantid.clone(),
        "peertenantid" => b.map(|b| b.tenantid.clone()).unwrap_or_default(),
        "userfield" => c.a.userfield.clone(),
        "sequence" => c.sequence.to_string(),
        _ => return None,
    };
    Some(v)
}

/// The state's party-A handler; true means "not mine, a new record is
/// wanted".
fn process_party_a(c: &mut Cdr, snap: &Arc<ChannelSnapshot>, cfg: &CdrGeneral) -> bool {
    match c.st {
        St::Finalized => !(snap.hangup_exec && cfg.endbeforehexten),
        St::DialedPending => {
            if cep_changed(&c.a.snap, snap, cfg) {
                if c.b.is_some() {
                    to_finalized(c, cfg);
                    return true;
                }
                // Back to Single without starting over (the start time
                // stays).
                c.st = St::Single;
                base_party_a(c, snap, cfg);
                return false;
            }
            base_party_a(c, snap, cfg);
            false
        }
        _ => {
            base_party_a(c, snap, cfg);
            false
        }
    }
}

/// `base_process_party_a`.
fn base_party_a(c: &mut Cdr, snap: &Arc<ChannelSnapshot>, cfg: &CdrGeneral) {
    if snap.hangup_exec && cfg.endbeforehexten {
        finalize(c, cfg);
        return;
    }
    c.context.clone_from(&snap.context);
    c.exten.clone_from(&snap.exten);
    c.a.swap(snap);
    if !c.lock_app
        && !snap.appl.is_empty()
        && (!starts_with_ci(&snap.appl, "appdial") || c.appl.is_empty())
    {
        c.appl.clone_from(&snap.appl);
        c.data.clone_from(&snap.data);
        // Dial's own application stays (pre-dial handlers would hide it).
        if snap.appl == "Dial" {
            c.lock_app = true;
        }
    }
    c.linkedid.clone_from(&snap.linkedid);
    check_answer(c);
    if snap.hangup_exec && cfg.endbeforehexten {
        finalize(c, cfg);
    }
    if snap.dead && c.st != St::Finalized {
        to_finalized(c, cfg);
    }
}

/// A dial began; true means "not mine".
fn dial_begin(
    c: &mut Cdr,
    caller: Option<&Arc<ChannelSnapshot>>,
    peer: &Arc<ChannelSnapshot>,
    cfg: &CdrGeneral,
) -> bool {
    match c.st {
        St::Single => {
            if let Some(caller) = caller.filter(|x| x.name.eq_ignore_ascii_case(&c.a.snap.name)) {
                base_party_a(c, caller, cfg);
                c.b = Some(Party::joining(peer.clone()));
                c.lock_app = true;
            } else if peer.name.eq_ignore_ascii_case(&c.a.snap.name) {
                base_party_a(c, peer, cfg);
            }
            c.st = St::Dial;
            false
        }
        St::DialedPending => {
            to_finalized(c, cfg);
            true
        }
        St::Dial | St::Bridged | St::Finalized => true,
    }
}

fn dial_disposition(status: &str, cfg: &CdrGeneral) -> Disposition {
    match status {
        "ANSWER" => Disposition::Answered,
        "BUSY" => Disposition::Busy,
        "CANCEL" if cfg.canceldispositionenabled => Disposition::Cancel,
        "CANCEL" | "NOANSWER" => Disposition::NoAnswer,
        "CONGESTION" if cfg.congestion => Disposition::Congestion,
        _ => Disposition::Failed,
    }
}

fn dial_end(
    c: &mut Cdr,
    caller: Option<&Arc<ChannelSnapshot>>,
    peer: &Arc<ChannelSnapshot>,
    status: &str,
    cfg: &CdrGeneral,
) {
    if let Some(b) = &c.b {
        if !b.snap.name.eq_ignore_ascii_case(&peer.name) {
            return;
        }
    }
    c.a.swap(caller.unwrap_or(peer));
    if let Some(b) = c.b.as_mut() {
        b.swap(peer);
    }
    c.disposition = dial_disposition(status, cfg);
    if c.disposition == Disposition::Answered {
        c.st = St::DialedPending;
    } else {
        to_finalized(c, cfg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::events::BridgeSnapshot;
    use std::time::Duration;

    fn snap(name: &str, uid: &str) -> ChannelSnapshot {
        ChannelSnapshot {
            name: name.into(),
            uniqueid: uid.into(),
            linkedid: uid.into(),
            tech: "SIP",
            state: ChanState::Ring,
            caller_num: Some("1000".into()),
            caller_name: Some("Alice".into()),
            caller_pres: 0,
            connected_num: None,
            connected_name: None,
            language: "en".into(),
            accountcode: String::new(),
            context: "internal".into(),
            exten: "600".into(),
            priority: 1,
            appl: String::new(),
            data: String::new(),
            tenantid: String::new(),
            dnid: String::new(),
            amaflags: 3,
            hangup_exec: false,
            hangup_cause: 0,
            tech_cause: 0,
            dead: false,
            created: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            manager_vars: Vec::new(),
        }
    }

    /// Feeds events with a clock that moves one second per event.
    struct Run {
        st: State,
        cfg: CdrGeneral,
        now: SystemTime,
        last: HashMap<String, Arc<ChannelSnapshot>>,
        out: Vec<Record>,
    }

    impl Run {
        fn new(cfg: CdrGeneral) -> Run {
            Run {
                st: State::new(),
                cfg,
                now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
                last: HashMap::new(),
                out: Vec::new(),
            }
        }

        fn feed(&mut self, kind: EventKind, chan: Arc<ChannelSnapshot>) {
            self.now += Duration::from_secs(1);
            let ev = Event {
                kind,
                channel: Some(chan),
            };
            let done = self.st.process(&ev, self.now, &self.cfg);
            self.out.extend(done);
        }

        /// Publishes `s` as the channel's new snapshot.
        fn update(&mut self, s: ChannelSnapshot) -> Arc<ChannelSnapshot> {
            let s = Arc::new(s);
            let old = self.last.insert(s.uniqueid.clone(), s.clone());
            self.feed(EventKind::Snapshot { old }, s.clone());
            s
        }

        fn app(&mut self, s: &mut ChannelSnapshot, prio: i32, appl: &str, data: &str) {
            s.priority = prio;
            s.appl = appl.into();
            s.data = data.into();
            self.update(s.clone());
        }

        fn hangup(&mut self, s: &mut ChannelSnapshot, cause: u32) {
            s.hangup_cause = cause;
            s.dead = true;
            self.update(s.clone());
        }
    }

    fn cfg(unanswered: bool) -> CdrGeneral {
        CdrGeneral {
            unanswered,
            ..CdrGeneral::default()
        }
    }

    /// `dial_status_to_disposition`: CANCEL is NO ANSWER unless
    /// canceldispositionenabled; CONGESTION is FAILED unless congestion.
    #[test]
    fn dial_status_dispositions() {
        let mut g = CdrGeneral::default();
        assert_eq!(dial_disposition("CANCEL", &g), Disposition::NoAnswer);
        assert_eq!(dial_disposition("CONGESTION", &g), Disposition::Failed);
        g.canceldispositionenabled = true;
        g.congestion = true;
        assert_eq!(dial_disposition("CANCEL", &g).as_str(), "CANCEL");
        assert_eq!(dial_disposition("CANCEL", &g) as u32, 32);
        assert_eq!(dial_disposition("NOANSWER", &g), Disposition::NoAnswer);
        assert_eq!(dial_disposition("CONGESTION", &g), Disposition::Congestion);
        assert_eq!(dial_disposition("CHANUNAVAIL", &g), Disposition::Failed);
        assert!(Disposition::Cancel > Disposition::Answered);
    }

    #[test]
    fn answered_call_to_an_application() {
        let mut r = Run::new(cfg(false));
        let mut a = snap("SIP/1000-00000000", "1.0");
        r.update(a.clone());
        r.app(&mut a, 1, "Answer", "");
        a.state = ChanState::Up;
        r.update(a.clone());
        r.app(&mut a, 2, "Playback", "tt-weasels");
        r.app(&mut a, 3, "Hangup", "");
        r.hangup(&mut a, 16);
        assert_eq!(r.out.len(), 1, "{:?}", r.out);
        let c = &r.out[0];
        assert_eq!(c.clid, "\"Alice\" <1000>");
        assert_eq!((c.dst.as_str(), c.dcontext.as_str()), ("600", "internal"));
        assert_eq!((c.lastapp.as_str(), c.lastdata.as_str()), ("Hangup", ""));
        assert_eq!(c.disposition, Disposition::Answered);
        // Created at +1 s, answered at +3 s, ended at +6 s.
        assert_eq!((c.duration, c.billsec), (5, 3));
        assert_eq!(c.dstchannel, "");
    }

    /// ForkCDR: the fork starts from the last record's times; without
    /// `v` it drops the CDR() variables, `e` ends the records before it
    /// (at their last event), `r` restarts its times.
    #[test]
    fn fork_options() {
        let name = "SIP/1000-00000000";
        let mut r = Run::new(cfg(false));
        let mut a = snap(name, "1.0");
        r.update(a.clone());
        a.state = ChanState::Up;
        r.app(&mut a, 1, "Answer", "");
        assert!(r.st.setvar(name, "mine", "v1"));
        r.app(&mut a, 2, "ForkCDR", "e");
        let now = r.now;
        let opts = ForkOptions {
            finalize: true,
            ..ForkOptions::default()
        };
        assert!(r.st.fork(name, opts, now, &r.cfg));
        r.app(&mut a, 3, "ForkCDR", "rv");
        let opts = ForkOptions {
            reset: true,
            keep_vars: true,
            ..ForkOptions::default()
        };
        assert!(r.st.fork(name, opts, r.now, &r.cfg));
        r.app(&mut a, 4, "Hangup", "");
        r.hangup(&mut a, 16);
        assert_eq!(r.out.len(), 3, "{:?}", r.out);
        let [first, second, third] = [&r.out[0], &r.out[1], &r.out[2]];
        // Created at +1 s, answered at +2 s; the first ends at the fork's
        // application (+3 s), the others at the hangup (+6 s).
        assert_eq!((first.lastapp.as_str(), first.duration), ("ForkCDR", 2));
        assert_eq!(first.vars, [("mine".to_string(), "v1".to_string())]);
        assert_eq!((second.lastapp.as_str(), second.duration), ("Hangup", 5));
        assert!(second.vars.is_empty(), "{:?}", second.vars);
        // `r`: started at the second fork (+4 s).
        assert_eq!((third.duration, third.billsec), (2, 2));
        assert!(third.vars.is_empty(), "v keeps what the last had");
        assert!(
            !r.st
                .fork("SIP/nosuch", ForkOptions::default(), r.now, &r.cfg)
        );
    }

    #[test]
    fn unanswered_records_need_the_option() {
        for (unanswered, want) in [(false, 0), (true, 1)] {
            let mut r = Run::new(cfg(unanswered));
            let mut a = snap("SIP/1000-00000000", "1.0");
            r.update(a.clone());
            r.app(&mut a, 1, "Busy", "");
            r.hangup(&mut a, 17);
            assert_eq!(r.out.len(), want);
            if let Some(c) = r.out.first() {
                assert_eq!(c.disposition, Disposition::Busy);
                assert_eq!(c.answer, None);
            }
        }
        // Congestion: FAILED unless `congestion = yes`.
        for (congestion, want) in [
            (false, Disposition::Failed),
            (true, Disposition::Congestion),
        ] {
            let mut r = Run::new(CdrGeneral {
                unanswered: true,
                congestion,
                ..CdrGeneral::default()
            });
            let mut a = snap("SIP/1000-00000000", "1.0");
            r.update(a.clone());
            r.app(&mut a, 1, "Congestion", "");
            r.hangup(&mut a, 34);
            assert_eq!(r.out[0].disposition, want);
        }
    }

    /// Dial that times out, then VoiceMail: two records for the caller,
    /// none for the dialed channel.
    #[test]
    fn dial_no_answer_then_voicemail() {
        let mut r = Run::new(cfg(true));
        let mut a = snap("SIP/1000-00000000", "1.0");
        a.exten = "1010".into();
        r.update(a.clone());
        r.app(&mut a, 1, "Dial", "SIP/1001,3");
        let mut b = snap("SIP/1001-00000001", "1.1");
        b.linkedid = "1.0".into();
        let bs = r.update(b.clone());
        let caller = r.last["1.0"].clone();
        r.feed(
            EventKind::CallerDial {
                name: "DialBegin",
                caller: caller.clone(),
                tail: "DialString: 1001\r\n".into(),
            },
            bs.clone(),
        );
        r.feed(
            EventKind::CallerDial {
                name: "DialEnd",
                caller,
                tail: "DialStatus: NOANSWER\r\n".into(),
            },
            bs,
        );
        r.hangup(&mut b, 16);
        assert!(
            r.out.is_empty(),
            "a dialed channel has no record of its own"
        );
        r.app(&mut a, 2, "VoiceMail", "1001@default,s");
        a.state = ChanState::Up;
        r.update(a.clone());
        r.hangup(&mut a, 16);
        assert_eq!(r.out.len(), 2, "{:?}", r.out);
        let (d, v) = (&r.out[0], &r.out[1]);
        assert_eq!(
            (d.lastapp.as_str(), d.lastdata.as_str()),
            ("Dial", "SIP/1001,3")
        );
        assert_eq!(d.dstchannel, "SIP/1001-00000001");
        assert_eq!(d.disposition, Disposition::NoAnswer);
        assert_eq!((d.answer, d.billsec), (None, 0));
        assert_eq!(v.lastapp, "VoiceMail");
        assert_eq!(v.dstchannel, "");
        assert_eq!(v.disposition, Disposition::Answered);
        assert!(
            v.start > d.end,
            "the second record starts when the dialplan moves on"
        );
        assert!(v.sequence > d.sequence);
        assert_eq!(v.dst, "1010");
    }

    /// An answered Dial: the callee's record is folded into the caller's
    /// (party B), which ends when the callee leaves the bridge.
    #[test]
    fn dial_answered_and_bridged() {
        let mut r = Run::new(cfg(false));
        let mut a = snap("SIP/1000-00000000", "1.0");
        r.update(a.clone());
        r.app(&mut a, 1, "Dial", "SIP/1001,20");
        let mut b = snap("SIP/1001-00000001", "1.1");
        let bs = r.update(b.clone());
        let caller = r.last["1.0"].clone();
        r.feed(
            EventKind::CallerDial {
                name: "DialBegin",
                caller,
                tail: String::new(),
            },
            bs,
        );
        b.state = ChanState::Up;
        b.appl = "AppDial".into();
        b.data = "(Outgoing Line)".into();
        let bs = r.update(b.clone());
        a.state = ChanState::Up;
        let caller = r.update(a.clone());
        r.feed(
            EventKind::CallerDial {
                name: "DialEnd",
                caller,
                tail: "DialStatus: ANSWER\r\n".into(),
            },
            bs,
        );
        let bridge = BridgeSnapshot {
            uniqueid: "br-1".into(),
            bridge_type: "basic",
            technology: "simple_bridge",
            num_channels: 1,
            creator: "",
            name: String::new(),
            ..Default::default()
        };
        for s in [r.last["1.0"].clone(), r.last["1.1"].clone()] {
            r.feed(
                EventKind::Bridge {
                    action: BridgeAction::Enter,
                    bridge: bridge.clone(),
                    swap: None,
                },
                s,
            );
        }
        for s in [r.last["1.1"].clone(), r.last["1.0"].clone()] {
            r.feed(
                EventKind::Bridge {
                    action: BridgeAction::Leave,
                    bridge: bridge.clone(),
                    swap: None,
                },
                s,
            );
        }
        r.hangup(&mut b, 16);
        r.hangup(&mut a, 16);
        assert_eq!(r.out.len(), 1, "{:?}", r.out);
        let c = &r.out[0];
        assert_eq!(c.channel, "SIP/1000-00000000");
        assert_eq!(c.dstchannel, "SIP/1001-00000001");
        assert_eq!(c.lastapp, "Dial");
        assert_eq!(c.disposition, Disposition::Answered);
        assert!(c.answer.is_some());
    }

    #[test]
    fn variables_userfield_and_disable() {
        let mut r = Run::new(cfg(true));
        let mut a = snap("SIP/1000-00000000", "1.0");
        r.update(a.clone());
        r.app(&mut a, 1, "Set", "");
        let now = r.now;
        assert!(r.st.setvar("SIP/1000-00000000", "mine", "v1"));
        r.st.set_userfield("SIP/1000-00000000", "note");
        let get = |r: &Run, n: &str| r.st.getvar("SIP/1000-00000000", n, now, &r.cfg);
        assert_eq!(get(&r, "MINE").as_deref(), Some("v1"));
        assert_eq!(get(&r, "userfield").as_deref(), Some("note"));
        assert_eq!(get(&r, "disposition").as_deref(), Some("1"));
        assert_eq!(get(&r, "answer").as_deref(), Some("0.000000"));
        assert_eq!(r.st.getvar("SIP/nosuch", "src", now, &r.cfg), None);
        r.hangup(&mut a, 16);
        assert_eq!(r.out[0].vars, [("mine".to_string(), "v1".to_string())]);
        assert_eq!(r.out[0].userfield, "note");

        let mut r = Run::new(cfg(true));
        let mut a = snap("SIP/1000-00000001", "1.1");
        r.update(a.clone());
        assert!(r.st.set_property("SIP/1000-00000001", true, true));
        r.app(&mut a, 1, "Busy", "");
        r.hangup(&mut a, 17);
        assert!(r.out.is_empty(), "CDR_PROP(disable) keeps it out");
    }
}
