//! Transfer (Asterisk's `apps/app_transfer.c`): asks the channel's driver
//! to send the call elsewhere, and reports how it went in TRANSFERSTATUS
//! and TRANSFERSTATUSPROTOCOL.

use super::{App, AppCtx, AppResult, Run, split_args};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Transfer",
        run: Run::Now(transfer),
        synopsis: "Asks the channel's driver to transfer the call.",
        syntax: "Transfer([Tech/]destination)",
    }]
}

/// Drivers that can transfer in Asterisk (`ast_channel_tech.transfer`):
/// chan_sip and chan_pjsip (a 302 before the answer, a REFER after).
/// Asterism's SIP drivers do not yet; Local channels have no transfer.
const TRANSFERRING_TECHS: [&str; 2] = ["SIP", "PJSIP"];

/// What check-config says about a Transfer the SIP drivers would make.
pub fn unsupported_uses(data: &str) -> Vec<String> {
    let tech = data.split_once('/').map(|(t, _)| t).unwrap_or("");
    let any = tech.is_empty() || !data.contains('/');
    if any
        || TRANSFERRING_TECHS
            .iter()
            .any(|t| t.eq_ignore_ascii_case(tech))
    {
        vec!["Transfer of SIP channels (a 302 or a REFER) is not supported by Asterism".into()]
    } else {
        Vec::new()
    }
}

fn set_status(ctx: &AppCtx, status: &str, protocol: i32) {
    ctx.set_var("TRANSFERSTATUS", Some(status));
    ctx.set_var("TRANSFERSTATUSPROTOCOL", Some(&protocol.to_string()));
}

fn transfer(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_transfer.c", 106, "transfer_exec"),
            "Transfer requires an argument ([Tech/]destination)",
        );
        set_status(ctx, "FAILURE", 0);
        return Ok(());
    }
    let args = split_args(data, ',');
    let dest = args.first().map(String::as_str).unwrap_or("");
    let tech_type = ctx.chan.tech;
    // `strncasecmp(type, tech, len)`: the given technology must be the
    // channel's type or a prefix of it.
    if let Some((tech, _)) = dest.split_once('/')
        && !tech.is_empty()
    {
        let agrees = tech_type
            .get(..tech.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(tech));
        if !agrees {
            set_status(ctx, "FAILURE", 0);
            return Ok(());
        }
    }
    if !TRANSFERRING_TECHS.contains(&tech_type) {
        set_status(ctx, "UNSUPPORTED", 0);
        return Ok(());
    }
    // Not built: chan_sip's and chan_pjsip's transfer (302 or REFER and
    // its NOTIFYs). Said, and reported as a failure.
    ctx.warning(
        crate::site!("app_transfer.c", 0, "transfer_exec"),
        &format!(
            "Asterism cannot transfer {} channels yet; {} not transferred",
            tech_type, ctx.chan.name
        ),
    );
    set_status(ctx, "FAILURE", 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::unsupported_uses;

    #[test]
    fn check_config_names_the_sip_transfers() {
        assert_eq!(unsupported_uses("Local/100@x").len(), 0);
        assert_eq!(unsupported_uses("PJSIP/100").len(), 1);
        assert_eq!(unsupported_uses("100").len(), 1);
    }
}
