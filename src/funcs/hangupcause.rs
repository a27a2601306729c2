//! HANGUPCAUSE, HANGUPCAUSE_KEYS and HangupCauseClear (Asterisk's
//! `func_hangupcause.c`): what the channels a call dialled reported, as
//! their drivers recorded it and Dial relayed it to the caller
//! ([`crate::channels::causes::DialedCause`]).

use super::{Failed, FuncCtx, Function};
use crate::apps::{App, AppCtx, AppResult, Run};
use crate::channels::causes;

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "HANGUPCAUSE",
            read: Some(hangupcause_read),
            write: None,
            synopsis: "Gives the cause a dialled channel reported: its technology's words or Asterisk's.",
            syntax: "HANGUPCAUSE(channel,type)",
        },
        Function {
            name: "HANGUPCAUSE_KEYS",
            read: Some(keys_read),
            write: None,
            synopsis: "Lists the channels HANGUPCAUSE has causes for, comma-separated.",
            syntax: "HANGUPCAUSE_KEYS()",
        },
    ]
}

pub fn apps() -> Vec<App> {
    vec![App {
        name: "HangupCauseClear",
        run: Run::Now(clear),
        synopsis: "Forgets every cause HANGUPCAUSE could give on the channel.",
        syntax: "HangupCauseClear()",
    }]
}

fn hangupcause_read(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let args = crate::apps::separate_args(data, ',', 2);
    let [channel, kind] = args.as_slice() else {
        ctx.warning(
            crate::site!("func_hangupcause.c", 138, "hangupcause_read"),
            &format!(
                "The HANGUPCAUSE function must have 2 parameters, not {}",
                args.len()
            ),
        );
        return Err(Failed);
    };
    let found = chan
        .lock()
        .dialed_causes
        .iter()
        .find(|c| causes::same_channel(&c.chan_name, channel))
        .cloned();
    let Some(found) = found else {
        ctx.warning(
            crate::site!("func_hangupcause.c", 147, "hangupcause_read"),
            &format!("Unable to find information for channel {channel}"),
        );
        return Err(Failed);
    };
    match kind.as_str() {
        "ast" => Ok(causes::text(found.cause).to_string()),
        "tech" => Ok(found.tech),
        other => {
            ctx.warning(
                crate::site!("func_hangupcause.c", 156, "hangupcause_read"),
                &format!("Information type not recognized ({other})"),
            );
            Err(Failed)
        }
    }
}

fn keys_read(ctx: &FuncCtx<'_>, _data: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    Ok(causes::keys(&chan.lock().dialed_causes))
}

/// Never done by Dial itself: causes of earlier Dials stay until this.
fn clear(ctx: &AppCtx, _data: &str) -> AppResult {
    ctx.chan.lock().dialed_causes.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::channels::causes::DialedCause;

    #[test]
    fn reads_what_the_channel_stored() {
        let (_dir, sys) = crate::funcs::test_system(&[]);
        let chan = sys
            .pbx
            .channels
            .alloc("SIP/1000-00000001".into(), "SIP", 0, Default::default());
        let read = |call: &str| crate::funcs::read(&sys, Some(&chan), call);
        assert_eq!(read("HANGUPCAUSE_KEYS()").as_deref(), Some(""));
        chan.indicate_cause(DialedCause {
            chan_name: "SIP/1001-00000002".into(),
            tech: "SIP 486 Busy Here".into(),
            cause: 17,
        });
        assert_eq!(
            read("HANGUPCAUSE_KEYS()").as_deref(),
            Some("SIP/1001-00000002")
        );
        assert_eq!(
            read("HANGUPCAUSE(SIP/1001-00000002,tech)").as_deref(),
            Some("SIP 486 Busy Here")
        );
        // The technology is matched without case.
        assert_eq!(
            read("HANGUPCAUSE(sip/1001-00000002,ast)").as_deref(),
            Some("User busy")
        );
        // Failures (each with its warning); a third argument is part of
        // the type, as the function declares two.
        assert_eq!(read("HANGUPCAUSE(SIP/1001-00000002)"), None);
        assert_eq!(read("HANGUPCAUSE(SIP/1001-00000003,ast)"), None);
        assert_eq!(read("HANGUPCAUSE(SIP/1001-00000002,ast,x)"), None);
        assert_eq!(crate::funcs::read(&sys, None, "HANGUPCAUSE_KEYS()"), None);
        chan.lock().dialed_causes.clear();
        assert_eq!(read("HANGUPCAUSE_KEYS()").as_deref(), Some(""));
    }
}
