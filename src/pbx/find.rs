//! Finding the extension and priority to run (`pbx_find_extension` with
//! Asterisk's classic matcher): a context's own extensions in sort order,
//! then its includes, recursively, skipping includes outside their time.

use super::dialplan::{Dialplan, Priority};
use super::pattern::extension_match;

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

/// Looks up `exten` in `context` for the wanted priority or label.
pub fn find<'a>(
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
