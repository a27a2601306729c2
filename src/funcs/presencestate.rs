//! PRESENCE_STATE() (func_presencestate.c): reads any provider's state,
//! sets `CustomPresence:` ones (kept in AstDB, announced).

use super::{Failed, FuncCtx, Function};
use crate::core::presencestate::{self, DataError, Presence};

const FILE: &str = "func_presencestate.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "PRESENCE_STATE",
        read: Some(presence_read),
        write: Some(presence_write),
        synopsis: "Reads a presence provider's state, subtype or message, or sets a CustomPresence: one.",
        syntax: "PRESENCE_STATE(provider,field[,options])",
    }]
}

/// What `parse_data` logs of a value it refuses.
pub fn log_data_error(sys: &crate::core::System, e: &DataError) {
    match e {
        DataError::NoState => {}
        DataError::UnknownState(_) => {
            sys.pbx
                .logger
                .warning(crate::site!(FILE, 183, "parse_data"), None, &e.to_string())
        }
        DataError::BadOptions(_) => {
            sys.pbx
                .logger
                .notice(crate::site!(FILE, 203, "parse_data"), None, &e.to_string())
        }
    }
}

fn presence_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        ctx.warning(
            crate::site!(FILE, 119, "presence_read"),
            "PRESENCE_STATE reading requires an argument ",
        );
        return Err(Failed);
    }
    let a = super::standard_args(args);
    let arg = |i: usize| a.get(i).map(String::as_str).unwrap_or_default();
    let (provider, field, options) = (arg(0), arg(1), arg(2));
    if provider.is_empty() || field.is_empty() {
        ctx.warning(
            crate::site!(FILE, 128, "presence_read"),
            "PRESENCE_STATE reading requires both presence provider and presence field arguments. ",
        );
        return Err(Failed);
    }
    let p = presencestate::state(ctx.sys, provider, false);
    if p.state == presencestate::State::Invalid {
        ctx.warning(
            crate::site!(FILE, 134, "presence_read"),
            "PRESENCE_STATE unknown ",
        );
        return Err(Failed);
    }
    let encode = options.contains('e');
    let out = |text: &str| {
        if encode {
            super::base64::encode(&crate::core::raw::encode(text))
        } else {
            text.to_string()
        }
    };
    Ok(
        if !p.subtype.is_empty() && field.eq_ignore_ascii_case("subtype") {
            out(&p.subtype)
        } else if !p.message.is_empty() && field.eq_ignore_ascii_case("message") {
            out(&p.message)
        } else if field.eq_ignore_ascii_case("value") {
            p.state.as_str().to_string()
        } else {
            String::new()
        },
    )
}

fn presence_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let prefix = "CustomPresence:";
    let name = match args.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &args[prefix.len()..],
        _ => {
            ctx.warning(
                crate::site!(FILE, 219, "presence_write"),
                "The PRESENCE_STATE function can only set CustomPresence: presence providers.",
            );
            return Err(Failed);
        }
    };
    if name.is_empty() {
        ctx.warning(
            crate::site!(FILE, 224, "presence_write"),
            "PRESENCE_STATE function called with no custom device name!",
        );
        return Err(Failed);
    }
    let data = match presencestate::parse_data(value) {
        Ok(d) => d,
        Err(e) => {
            log_data_error(ctx.sys, &e);
            ctx.warning(
                crate::site!(FILE, 229, "presence_write"),
                "Invalid arguments to PRESENCE_STATE",
            );
            return Err(Failed);
        }
    };
    // Kept as written; a failed write is not the setter's failure.
    if let Err(e) = ctx.sys.db.put(presencestate::CUSTOM_FAMILY, name, value) {
        tracing::warn!("storing the presence of CustomPresence:{name}: {e}");
    }
    let p: Presence = data.presence();
    presencestate::changed(ctx.sys, args, p);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::funcs::{FuncCtx, test_system};

    #[test]
    fn written_states_are_stored_read_and_cached() {
        let (_dir, sys) = test_system(&[]);
        let ctx = FuncCtx {
            sys: &sys,
            chan: None,
            name: "PRESENCE_STATE",
        };
        let read = |args: &str| super::presence_read(&ctx, args);
        assert_eq!(read("CustomPresence:a,value").unwrap(), "not_set");
        assert!(super::presence_write(&ctx, "CustomPresence:a", "away,out,lunch").is_ok());
        assert_eq!(read("CustomPresence:a,value").unwrap(), "away");
        assert_eq!(read("CustomPresence:a,subtype").unwrap(), "out");
        assert_eq!(read("CustomPresence:a,message,e").unwrap(), "bHVuY2g=");
        assert_eq!(
            sys.db.get("CustomPresence", "a").unwrap().as_deref(),
            Some("away,out,lunch")
        );
        assert_eq!(
            sys.presence.get("CustomPresence:a").map(|p| p.state),
            Some(crate::core::presencestate::State::Away)
        );
        assert!(super::presence_write(&ctx, "CustomPresence:a", "busy").is_err());
        assert!(super::presence_write(&ctx, "Other:a", "away").is_err());
        assert!(super::presence_write(&ctx, "CustomPresence:", "away").is_err());
        assert!(read("nolabel,value").is_err());
    }

    #[test]
    fn a_hint_takes_its_providers_changes() {
        let (_dir, sys) = test_system(&[(
            "extensions.conf",
            "[internal]\nexten => 650,hint,Custom:lamp,CustomPresence:dave\n",
        )]);
        let ctx = FuncCtx {
            sys: &sys,
            chan: None,
            name: "PRESENCE_STATE",
        };
        let state = |sys: &crate::core::System| {
            crate::core::presencestate::hint_state(
                sys,
                "internal",
                "650",
                "Custom:lamp,CustomPresence:dave",
            )
        };
        assert_eq!(state(&sys), crate::core::presencestate::State::NotSet);
        let mut events = sys.pbx.channels.events.subscribe();
        assert!(super::presence_write(&ctx, "CustomPresence:dave", "chat,phone").is_ok());
        assert_eq!(state(&sys), crate::core::presencestate::State::Chat);
        let names: Vec<String> = std::iter::from_fn(|| events.try_recv().ok())
            .filter_map(|e| match &e.kind {
                crate::core::events::EventKind::Manager { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["PresenceStateChange", "PresenceStatus"]);
        // The same again is no change for the hint.
        assert!(super::presence_write(&ctx, "CustomPresence:dave", "chat,phone").is_ok());
        let names: Vec<String> = std::iter::from_fn(|| events.try_recv().ok())
            .filter_map(|e| match &e.kind {
                crate::core::events::EventKind::Manager { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["PresenceStateChange"]);
    }
}
