//! VM_INFO (app_voicemail's function) and VMCOUNT (`func_vmcount.c`):
//! what voicemail.conf says of a mailbox, and how many messages its spool
//! holds.

use super::c::app_args;
use super::{Failed, FuncCtx, Function};
use crate::apps::voicemail::{box_dir, count_messages, find_box};

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "VM_INFO",
            read: Some(vm_info),
            write: None,
            synopsis: "Tells a voicemail box's settings or message count, or whether it exists.",
            syntax: "VM_INFO(mailbox[@context],attribute[,folder])",
        },
        Function {
            name: "VMCOUNT",
            read: Some(vmcount),
            write: None,
            synopsis: "Counts the messages in a folder of one or more voicemail boxes.",
            syntax: "VMCOUNT(vmbox[@context][&vmbox2[@context2]...][,folder])",
        },
    ]
}

const VM_FILE: &str = "app_voicemail.c";

/// `box@context` into its parts, the context `default` when none is
/// given; `None` without a box (app_voicemail's `separate_mailbox`).
pub(crate) fn separate_mailbox(mailbox_id: &str) -> Option<(&str, &str)> {
    let (mailbox, context) = mailbox_id.split_once('@').unwrap_or((mailbox_id, ""));
    if mailbox.is_empty() {
        return None;
    }
    Some((
        mailbox,
        if context.is_empty() {
            "default"
        } else {
            context
        },
    ))
}

/// `messagecount`: the `msg….txt` files of a folder (INBOX when none is
/// named); INBOX counts its Urgent messages too.
fn message_count(ctx: &FuncCtx<'_>, mailbox_id: &str, folder: &str) -> u32 {
    let Some((mailbox, context)) = separate_mailbox(mailbox_id) else {
        return 0;
    };
    let base = box_dir(&ctx.sys.conf.dirs.spool, context, mailbox);
    let folder = if folder.is_empty() { "INBOX" } else { folder };
    let urgent = if folder == "INBOX" {
        count_messages(&base.join("Urgent"))
    } else {
        0
    };
    count_messages(&base.join(folder)) + urgent
}

/// Whether `attr` starts with the first `n` letters of `name`, as
/// Asterisk compares attribute names (`strncasecmp`).
fn attribute_is(attr: &str, name: &str, n: usize) -> bool {
    attr.len() >= n && attr.as_bytes()[..n].eq_ignore_ascii_case(&name.as_bytes()[..n])
}

fn vm_info(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let usage = || {
        ctx.error(
            crate::site!(VM_FILE, 13715, "acf_vm_info"),
            "VM_INFO requires an argument (<mailbox>[@<context>],attribute[,folder])",
        );
        Failed
    };
    if data.is_empty() {
        return Err(usage());
    }
    let args = app_args(data, 3);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let (mailbox_id, attr, folder) = (arg(0), arg(1), arg(2));
    let Some((mailbox, context)) = separate_mailbox(mailbox_id).filter(|_| !attr.is_empty()) else {
        return Err(usage());
    };
    let conf = ctx.sys.loaded().voicemail.clone();
    let found = find_box(&conf, Some(context), mailbox);
    if attribute_is(attr, "exists", 5) {
        return Ok(if found.is_some() { "1" } else { "0" }.into());
    }
    // An unknown box reads as empty, whatever was asked.
    let Some(m) = found else {
        return Ok(String::new());
    };
    let option = |key: &str| {
        m.options
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Ok(if attribute_is(attr, "password", 8) {
        m.password.clone()
    } else if attribute_is(attr, "fullname", 8) {
        m.fullname.clone()
    } else if attribute_is(attr, "email", 5) {
        m.email.clone()
    } else if attribute_is(attr, "pager", 5) {
        m.pager.clone()
    } else if attribute_is(attr, "language", 8) {
        let own = option("language");
        match ctx.chan {
            Some(c) if own.is_empty() => c.lock().language.clone(),
            _ => own,
        }
    } else if attribute_is(attr, "locale", 6) {
        option("locale")
    } else if attribute_is(attr, "tz", 2) {
        m.zonetag.clone()
    } else if attribute_is(attr, "count", 5) {
        let id = format!("{}@{}", mailbox, context);
        message_count(ctx, &id, folder).to_string()
    } else {
        ctx.error(
            crate::site!(VM_FILE, 13768, "acf_vm_info"),
            &format!("Unknown attribute '{attr}' for VM_INFO"),
        );
        return Err(Failed);
    })
}

fn vmcount(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        return Err(Failed);
    }
    let args = app_args(data, 2);
    let boxes = args.first().map(String::as_str).unwrap_or("");
    if boxes.is_empty() {
        return Err(Failed);
    }
    let folder = args.get(1).map(String::as_str).unwrap_or("");
    let folder = if folder.is_empty() { "INBOX" } else { folder };
    let total: u32 = boxes
        .split('&')
        .filter(|b| !b.is_empty())
        .map(|b| message_count(ctx, b, folder))
        .sum();
    Ok(total.to_string())
}

#[cfg(test)]
mod tests {
    fn system() -> (tempfile::TempDir, std::sync::Arc<crate::core::System>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let etc = dir.path();
        std::fs::write(
            etc.join("asterisk.conf"),
            format!(
                "[directories]\nastetcdir => {0}\nastlogdir => {0}\nastrundir => {0}\nastspooldir => {0}/spool\nastvarlibdir => {0}\nastdbdir => {0}\n",
                etc.display()
            ),
        )
        .expect("asterisk.conf");
        std::fs::write(etc.join("extensions.conf"), "[c]\nexten => s,1,NoOp()\n")
            .expect("extensions.conf");
        std::fs::write(
            etc.join("voicemail.conf"),
            "[general]\nformat=wav\n[zonemessages]\neastern=America/New_York|'vm-received' Q 'digits/at' IMp\n\
             [default]\n1000 => 1234,Alice Smith,alice@example.com,pager@example.com,tz=eastern|locale=de_DE\n\
             [other]\n2000 => 4321,Bob\n",
        )
        .expect("voicemail.conf");
        let inbox = etc.join("spool/voicemail/default/1000/INBOX");
        let urgent = etc.join("spool/voicemail/default/1000/Urgent");
        let old = etc.join("spool/voicemail/other/2000/Old");
        for (d, n) in [(&inbox, 2), (&urgent, 1), (&old, 3)] {
            std::fs::create_dir_all(d).expect("dir");
            for i in 0..n {
                std::fs::write(d.join(format!("msg{i:04}.txt")), "").expect("txt");
                std::fs::write(d.join(format!("msg{i:04}.wav")), "").expect("wav");
            }
        }
        let sys = crate::core::System::start(&etc.join("asterisk.conf")).expect("system");
        (dir, sys)
    }

    #[test]
    fn vm_info_attributes_and_counts() {
        let (_dir, sys) = system();
        let read = |e: &str| super::super::read(&sys, None, e);
        assert_eq!(read("VM_INFO(1000,exists)").as_deref(), Some("1"));
        assert_eq!(read("VM_INFO(1000@other,exists)").as_deref(), Some("0"));
        assert_eq!(read("VM_INFO(2000@other,EXISTS)").as_deref(), Some("1"));
        assert_eq!(read("VM_INFO(1000,password)").as_deref(), Some("1234"));
        assert_eq!(
            read("VM_INFO(1000@default,fullname)").as_deref(),
            Some("Alice Smith")
        );
        assert_eq!(
            read("VM_INFO(1000,email)").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(
            read("VM_INFO(1000,pager)").as_deref(),
            Some("pager@example.com")
        );
        assert_eq!(read("VM_INFO(1000,tz)").as_deref(), Some("eastern"));
        assert_eq!(read("VM_INFO(1000,locale)").as_deref(), Some("de_DE"));
        // INBOX counts the urgent messages too.
        assert_eq!(read("VM_INFO(1000,count)").as_deref(), Some("3"));
        assert_eq!(read("VM_INFO(1000,count,Urgent)").as_deref(), Some("1"));
        assert_eq!(read("VM_INFO(2000@other,count,Old)").as_deref(), Some("3"));
        // An unknown box reads empty; an unknown attribute and missing
        // arguments fail (Asterisk logs why).
        assert_eq!(read("VM_INFO(9999,password)").as_deref(), Some(""));
        assert_eq!(read("VM_INFO(1000,colour)"), None);
        assert_eq!(read("VM_INFO(1000)"), None);
        assert_eq!(read("VM_INFO(@default,exists)"), None);
    }

    #[test]
    fn vmcount_sums_boxes() {
        let (_dir, sys) = system();
        let read = |e: &str| super::super::read(&sys, None, e);
        assert_eq!(read("VMCOUNT(1000)").as_deref(), Some("3"));
        assert_eq!(read("VMCOUNT(1000&2000@other,Old)").as_deref(), Some("3"));
        assert_eq!(
            read("VMCOUNT(1000@default&&2000@other)").as_deref(),
            Some("3")
        );
        assert_eq!(read("VMCOUNT(4444)").as_deref(), Some("0"));
        assert_eq!(read("VMCOUNT()"), None);
    }
}
