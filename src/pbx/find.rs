//! Finding the extension and priority to run (`pbx_find_extension` with
//! Asterisk's classic matcher): a context's own extensions in sort order,
//! then its includes, recursively, skipping includes outside their time.
//!
//! [`find`] answers from a [`LookupIndex`] built when the dialplan loads:
//! literal names in one hash map, each context's patterns compiled and
//! bucketed by the first character they accept, includes resolved to
//! context numbers. It tries candidates in the same order as the plain
//! walk over each context's sorted extensions ([`find_linear`], kept as the
//! reference the differential tests hold the index to), so it returns the
//! same extension, priority and status.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::dialplan::{Context, Dialplan, Extension, Priority};
use super::pattern::{CompiledPattern, could_match_more, extension_match};

/// Asterisk's include-recursion limit (`AST_PBX_MAX_STACK`).
const MAX_STACK: usize = 512;

/// What to look for at the found extension.
#[derive(Debug, Clone, Copy)]
pub enum Want<'a> {
    Priority(i32),
    Label(&'a str),
}

/// Where a search ended when it found nothing (`q.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    NoContext,
    NoExtension,
    NoPriority,
    NoLabel,
}

pub struct Found<'a> {
    /// The context the extension lives in (may be an included one).
    pub context: &'a str,
    pub exten_name: &'a str,
    pub priority: &'a Priority,
}

/// Caller-id match: an extension with a CID pattern matches only callers
/// whose number matches it (`matchcid`).
fn cid_matches(cidmatch: Option<&str>, callerid: Option<&str>) -> bool {
    match cidmatch {
        None => true,
        Some(pat) => {
            let cid = callerid.unwrap_or("");
            if cid.is_empty() {
                return false;
            }
            extension_match(pat, cid).is_match()
        }
    }
}

/// The straightforward lookup: every extension of every context walked in
/// order with [`extension_match`]. [`find`] must agree with it; tests and
/// benches compare the two.
pub fn find_linear<'a>(
    plan: &'a Dialplan,
    context: &str,
    exten: &str,
    want: Want<'_>,
    callerid: Option<&str>,
) -> Result<Found<'a>, Status> {
    let mut status = Status::NoContext;
    let mut stack: Vec<&str> = Vec::new();
    search(
        plan,
        context,
        exten,
        want,
        callerid,
        &mut stack,
        &mut status,
    )
    .ok_or(status)
}

fn search<'a>(
    plan: &'a Dialplan,
    context: &str,
    exten: &str,
    want: Want<'_>,
    callerid: Option<&str>,
    stack: &mut Vec<&'a str>,
    status: &mut Status,
) -> Option<Found<'a>> {
    if stack.len() >= MAX_STACK {
        return None;
    }
    let ctx = plan.context(context)?;
    // A context already on the stack is an include loop; skip it.
    if stack.iter().any(|c| c.eq_ignore_ascii_case(&ctx.name)) {
        return None;
    }
    if *status < Status::NoExtension {
        *status = Status::NoExtension;
    }
    for e in &ctx.extensions {
        if !extension_match(&e.name, exten).is_match() {
            continue;
        }
        if !cid_matches(e.cidmatch.as_deref(), callerid) {
            continue;
        }
        if *status < Status::NoPriority {
            *status = Status::NoPriority;
        }
        let found = match want {
            Want::Priority(n) => e.priority(n),
            Want::Label(l) => {
                if *status < Status::NoLabel {
                    *status = Status::NoLabel;
                }
                e.priorities.iter().find(|p| p.label.as_deref() == Some(l))
            }
        };
        if let Some(p) = found {
            return Some(Found {
                context: &ctx.name,
                exten_name: &e.name,
                priority: p,
            });
        }
    }
    stack.push(&ctx.name);
    for inc in &ctx.includes {
        if let Some(t) = &inc.timing {
            if !t.matches_now() {
                continue;
            }
        }
        if let Some(f) = search(plan, &inc.context, exten, want, callerid, stack, status) {
            return Some(f);
        }
    }
    None
}

/// The Fx hash (as in rustc): a multiply and rotate per word. The keys are
/// dialplan names from the configuration and a lookup never inserts, so a
/// keyed hash buys nothing here and would cost more than the rest of a
/// lookup in the first context.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map with [`FxHasher`], for the dialplan's name indexes.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Patterns per context above which they are bucketed by first character
/// (a bucket table costs 1 KiB; fewer patterns are cheaper to scan).
const BUCKET_MIN: usize = 8;

/// Dialled strings up to this long are normalised on the stack.
const INLINE_DATA: usize = 64;

/// One pattern extension of a context, compiled.
#[derive(Debug, Clone)]
struct PatternEntry {
    /// Its place in `Context::extensions`.
    pos: u32,
    compiled: CompiledPattern,
}

/// `(context number, position in its extension list)`.
type Place = (u32, u32);

/// What the lookup knows about one context beyond its extension list.
#[derive(Debug, Clone, Default)]
struct ContextIndex {
    /// `Context::extensions.len()` when built (a guard against a stale index).
    extensions: usize,
    /// Names equal ignoring ASCII case share this number: an include loop is
    /// detected by a case-insensitive name comparison.
    fold: u32,
    /// Each include's context, resolved as `Dialplan::context` would.
    includes: Box<[Option<u32>]>,
    /// The pattern extensions, in list order.
    patterns: Box<[PatternEntry]>,
    /// With more than `BUCKET_MIN` patterns: for each byte `b`, the patterns
    /// a string starting with `b` can match are
    /// `bucket_list[bucket_start[b]..bucket_start[b + 1]]` (in list order).
    bucket_start: Box<[u32]>,
    bucket_list: Box<[u32]>,
}

/// Lookup tables for a loaded dialplan, built once by
/// [`LookupIndex::build`] when the dialplan is (the dialplan does not
/// change after loading: it is shared behind an `Arc` and replaced whole
/// on reload).
#[derive(Debug, Clone, Default)]
pub struct LookupIndex {
    contexts: Box<[ContextIndex]>,
    /// Literal extension names with `-` removed (and cut at a NUL, where
    /// Asterisk's comparison stops) to every `(context, position)` holding
    /// one, sorted. Candidates are confirmed with `extension_match`.
    literals: FastMap<Box<[u8]>, Box<[Place]>>,
    /// Number of distinct case-folded context names.
    folds: usize,
}

/// The literal-map key of a name or dialled string.
fn literal_key(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for &b in s {
        match b {
            0 => break,
            b'-' => {}
            _ => out.push(b),
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl LookupIndex {
    /// Builds the tables for `contexts`; `resolve` finds a context's number
    /// by name exactly as `Dialplan::context` does.
    pub fn build(contexts: &[Context], resolve: impl Fn(&str) -> Option<usize>) -> Self {
        let mut folds: FastMap<String, u32> = FastMap::default();
        let mut literals: FastMap<Box<[u8]>, Vec<(u32, u32)>> = FastMap::default();
        let mut key = Vec::new();
        let mut out = Vec::with_capacity(contexts.len());
        for (ci, ctx) in contexts.iter().enumerate() {
            let next_fold = to_u32(folds.len());
            let fold = *folds
                .entry(ctx.name.to_ascii_lowercase())
                .or_insert(next_fold);
            let includes = ctx
                .includes
                .iter()
                .map(|i| resolve(&i.context).map(to_u32))
                .collect();
            let mut patterns = Vec::new();
            for (pos, e) in ctx.extensions.iter().enumerate() {
                match CompiledPattern::new(&e.name) {
                    Some(compiled) => patterns.push(PatternEntry {
                        pos: to_u32(pos),
                        compiled,
                    }),
                    None => {
                        literal_key(e.name.as_bytes(), &mut key);
                        literals
                            .entry(key.as_slice().into())
                            .or_default()
                            .push((to_u32(ci), to_u32(pos)));
                    }
                }
            }
            let (bucket_start, bucket_list) = if patterns.len() > BUCKET_MIN {
                bucket(&patterns)
            } else {
                (Box::default(), Box::default())
            };
            out.push(ContextIndex {
                extensions: ctx.extensions.len(),
                fold,
                includes,
                patterns: patterns.into_boxed_slice(),
                bucket_start,
                bucket_list,
            });
        }
        LookupIndex {
            contexts: out.into_boxed_slice(),
            // Pushed in (context, position) order, so each list is sorted.
            literals: literals
                .into_iter()
                .map(|(k, v)| (k, v.into_boxed_slice()))
                .collect(),
            folds: folds.len(),
        }
    }

    /// Whether the tables were built for these contexts (always, unless a
    /// loaded dialplan was edited in place, which nothing does). Only the
    /// count is checked here; each context's own count is checked when it
    /// is searched.
    fn fits(&self, contexts: &[Context]) -> bool {
        self.contexts.len() == contexts.len()
    }
}

/// The first-character buckets of a context's patterns.
fn bucket(patterns: &[PatternEntry]) -> (Box<[u32]>, Box<[u32]>) {
    let mut start = vec![0u32; 257];
    let mut list = Vec::new();
    for b in 0..=255u8 {
        start[usize::from(b)] = to_u32(list.len());
        for (i, p) in patterns.iter().enumerate() {
            if p.compiled.may_start_with(b) {
                list.push(to_u32(i));
            }
        }
    }
    start[256] = to_u32(list.len());
    (start.into_boxed_slice(), list.into_boxed_slice())
}

/// The dialled string, normalised once per lookup.
struct Query<'q> {
    /// As given.
    raw: &'q str,
    /// Without `-`: what compiled patterns match.
    data: &'q [u8],
    /// Literal extensions whose key equals the dialled string's.
    literals: &'q [(u32, u32)],
    /// A dialled string starting with `_` is also compared as a pattern,
    /// which the compiled matcher does not do: patterns are then tried with
    /// `extension_match` itself.
    as_pattern: bool,
    want: Want<'q>,
    callerid: Option<&'q str>,
}

/// Contexts already searched (Asterisk's include stack, which only grows
/// during one lookup), by case-folded name. The bits live on the stack
/// for the first 256 names and move to the heap only when a search reaches
/// a context past them.
struct Searched {
    bits: SearchedBits,
    folds: usize,
    count: usize,
}

enum SearchedBits {
    Inline([u64; 4]),
    Heap(Vec<u64>),
}

impl Searched {
    fn new(folds: usize) -> Self {
        Searched {
            bits: SearchedBits::Inline([0; 4]),
            folds,
            count: 0,
        }
    }

    fn words(&self) -> &[u64] {
        match &self.bits {
            SearchedBits::Inline(w) => w,
            SearchedBits::Heap(w) => w,
        }
    }

    fn contains(&self, fold: u32) -> bool {
        let f = fold as usize;
        self.words()
            .get(f / 64)
            .is_some_and(|w| w >> (f % 64) & 1 == 1)
    }

    fn insert(&mut self, fold: u32) {
        let f = fold as usize;
        if let SearchedBits::Inline(w) = &self.bits
            && f / 64 >= w.len()
        {
            let mut heap = vec![0; self.folds.div_ceil(64).max(f / 64 + 1)];
            heap[..w.len()].copy_from_slice(w);
            self.bits = SearchedBits::Heap(heap);
        }
        let words = match &mut self.bits {
            SearchedBits::Inline(w) => &mut w[..],
            SearchedBits::Heap(w) => &mut w[..],
        };
        if let Some(w) = words.get_mut(f / 64) {
            *w |= 1 << (f % 64);
        }
        self.count += 1;
    }
}

/// Looks up `exten` in `context` for the wanted priority or label.
pub fn find<'a>(
    plan: &'a Dialplan,
    context: &str,
    exten: &str,
    want: Want<'_>,
    callerid: Option<&str>,
) -> Result<Found<'a>, Status> {
    let ix = plan.lookup_index();
    if !ix.fits(&plan.contexts) {
        return find_linear(plan, context, exten, want, callerid);
    }
    let mut status = Status::NoContext;
    let Some(root) = plan.context_number(context) else {
        return Err(status);
    };
    let raw = exten.as_bytes();
    let mut inline = [0u8; INLINE_DATA];
    let mut heap = Vec::new();
    let data: &[u8] = if raw.len() <= INLINE_DATA {
        let mut n = 0;
        for &b in raw.iter().filter(|&&b| b != b'-') {
            inline[n] = b;
            n += 1;
        }
        &inline[..n]
    } else {
        heap.extend(raw.iter().copied().filter(|&b| b != b'-'));
        &heap
    };
    // The literal key is `data` cut at its first NUL.
    let key = match data.iter().position(|&b| b == 0) {
        Some(n) => &data[..n],
        None => data,
    };
    let q = Query {
        raw: exten,
        data,
        literals: ix.literals.get(key).map(|v| &v[..]).unwrap_or(&[]),
        as_pattern: raw.first() == Some(&b'_'),
        want,
        callerid,
    };
    let mut searched = Searched::new(ix.folds);
    search_indexed(plan, ix, root, &q, &mut searched, &mut status).ok_or(status)
}

/// The indexed counterpart of `search`, step for step.
fn search_indexed<'a>(
    plan: &'a Dialplan,
    ix: &LookupIndex,
    ci: usize,
    q: &Query<'_>,
    searched: &mut Searched,
    status: &mut Status,
) -> Option<Found<'a>> {
    if searched.count >= MAX_STACK {
        return None;
    }
    let (ctx, cix) = (plan.contexts.get(ci)?, ix.contexts.get(ci)?);
    if searched.contains(cix.fold) {
        return None;
    }
    if *status < Status::NoExtension {
        *status = Status::NoExtension;
    }
    // A context edited since the index was built (nothing does that) is
    // searched without its tables rather than wrongly.
    let stale = cix.extensions != ctx.extensions.len() || cix.includes.len() != ctx.includes.len();
    let own = if stale {
        ctx.extensions
            .iter()
            .filter(|e| extension_match(&e.name, q.raw).is_match())
            .find_map(|e| try_extension(ctx, e, q, status))
    } else {
        search_context(ctx, cix, ci, q, status)
    };
    if own.is_some() {
        return own;
    }
    searched.insert(cix.fold);
    for (n, inc) in ctx.includes.iter().enumerate() {
        if let Some(t) = &inc.timing
            && !t.matches_now()
        {
            continue;
        }
        let target = match cix.includes.get(n) {
            Some(&t) if !stale => t.map(|t| t as usize),
            _ => plan.context_number(&inc.context),
        };
        let Some(target) = target else {
            continue;
        };
        if let Some(f) = search_indexed(plan, ix, target, q, searched, status) {
            return Some(f);
        }
    }
    None
}

/// The patterns of a context worth matching against the query, in list order.
fn pattern_candidates<'c>(cix: &'c ContextIndex, q: &Query<'_>) -> PatternCandidates<'c> {
    let all = PatternCandidates::All(0..cix.patterns.len());
    if q.as_pattern || cix.bucket_start.is_empty() {
        return all;
    }
    let Some(&b) = q.data.first() else {
        return all;
    };
    let b = usize::from(b);
    match (cix.bucket_start.get(b), cix.bucket_start.get(b + 1)) {
        (Some(&s), Some(&e)) => PatternCandidates::Some(
            cix.bucket_list
                .get(s as usize..e as usize)
                .unwrap_or(&[])
                .iter(),
        ),
        _ => all,
    }
}

enum PatternCandidates<'c> {
    All(std::ops::Range<usize>),
    Some(std::slice::Iter<'c, u32>),
}

impl Iterator for PatternCandidates<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        match self {
            PatternCandidates::All(r) => r.next(),
            PatternCandidates::Some(it) => it.next().map(|&i| i as usize),
        }
    }
}

/// A context's own extensions that match the query by name, in list order:
/// its literal candidates and its matching patterns, merged by position.
fn search_context<'a>(
    ctx: &'a Context,
    cix: &ContextIndex,
    ci: usize,
    q: &Query<'_>,
    status: &mut Status,
) -> Option<Found<'a>> {
    let c = to_u32(ci);
    let lits = {
        let lo = q.literals.partition_point(|&(lc, _)| lc < c);
        let hi = lo + q.literals[lo..].partition_point(|&(lc, _)| lc == c);
        &q.literals[lo..hi]
    };
    // Literal candidates still need the name comparison: their key only
    // narrows the search (it drops `-` and stops at a NUL).
    let mut lits = lits
        .iter()
        .map(|&(_, pos)| pos as usize)
        .filter(|&pos| {
            ctx.extensions
                .get(pos)
                .is_some_and(|e| extension_match(&e.name, q.raw).is_match())
        })
        .peekable();
    let mut pats = pattern_candidates(cix, q)
        .filter_map(|i| {
            let p = cix.patterns.get(i)?;
            let hit = if q.as_pattern {
                ctx.extensions
                    .get(p.pos as usize)
                    .is_some_and(|e| extension_match(&e.name, q.raw).is_match())
            } else {
                p.compiled.may_match(q.data) && p.compiled.matches(q.data).is_match()
            };
            hit.then_some(p.pos as usize)
        })
        .peekable();
    // Literal names sort before patterns, so a literal candidate ahead of
    // the context's first pattern is tried without matching any pattern.
    let first_pattern = cix.patterns.first().map_or(usize::MAX, |p| p.pos as usize);
    while let Some(&l) = lits.peek() {
        if l >= first_pattern {
            break;
        }
        lits.next();
        if let Some(e) = ctx.extensions.get(l)
            && let Some(f) = try_extension(ctx, e, q, status)
        {
            return Some(f);
        }
    }
    loop {
        let pos = match (lits.peek(), pats.peek()) {
            (Some(&l), Some(&p)) if l < p => lits.next(),
            (Some(_), None) => lits.next(),
            (_, Some(_)) => pats.next(),
            (None, None) => return None,
        }?;
        let Some(e) = ctx.extensions.get(pos) else {
            continue;
        };
        if let Some(f) = try_extension(ctx, e, q, status) {
            return Some(f);
        }
    }
}

/// An extension that matched by name: the caller-id test, then the wanted
/// priority or label (the body of `search`'s loop).
fn try_extension<'a>(
    ctx: &'a Context,
    e: &'a Extension,
    q: &Query<'_>,
    status: &mut Status,
) -> Option<Found<'a>> {
    if !cid_matches(e.cidmatch.as_deref(), q.callerid) {
        return None;
    }
    if *status < Status::NoPriority {
        *status = Status::NoPriority;
    }
    let found = match q.want {
        Want::Priority(n) => e.priority(n),
        Want::Label(l) => {
            if *status < Status::NoLabel {
                *status = Status::NoLabel;
            }
            e.priorities.iter().find(|p| p.label.as_deref() == Some(l))
        }
    };
    found.map(|p| Found {
        context: &ctx.name,
        exten_name: &e.name,
        priority: p,
    })
}

/// `ast_exists_extension`.
pub fn exists(
    plan: &Dialplan,
    context: &str,
    exten: &str,
    priority: i32,
    callerid: Option<&str>,
) -> bool {
    find(plan, context, exten, Want::Priority(priority), callerid).is_ok()
}

/// `ast_findlabel_extension`: the priority number of a label.
pub fn find_label(
    plan: &Dialplan,
    context: &str,
    exten: &str,
    label: &str,
    callerid: Option<&str>,
) -> Option<i32> {
    find(plan, context, exten, Want::Label(label), callerid)
        .ok()
        .map(|f| f.priority.priority)
}

/// `ast_matchmore_extension`: could `exten` become an extension of
/// `context` (or its includes) with more digits?
pub fn matchmore(plan: &Dialplan, context: &str, exten: &str, callerid: Option<&str>) -> bool {
    fn walk<'a>(
        plan: &'a Dialplan,
        context: &str,
        exten: &str,
        cid: Option<&str>,
        stack: &mut Vec<&'a str>,
    ) -> bool {
        if stack.len() >= MAX_STACK {
            return false;
        }
        let Some(ctx) = plan.context(context) else {
            return false;
        };
        if stack.iter().any(|c| c.eq_ignore_ascii_case(&ctx.name)) {
            return false;
        }
        if ctx
            .extensions
            .iter()
            .any(|e| could_match_more(&e.name, exten) && cid_matches(e.cidmatch.as_deref(), cid))
        {
            return true;
        }
        stack.push(&ctx.name);
        let found = ctx.includes.iter().any(|inc| {
            inc.timing.as_ref().is_none_or(|t| t.matches_now())
                && walk(plan, &inc.context, exten, cid, stack)
        });
        stack.pop();
        found
    }
    walk(plan, context, exten, callerid, &mut Vec::new())
}
