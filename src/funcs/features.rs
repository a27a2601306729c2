//! FEATURE and FEATUREMAP (kept in Asterisk's `main/features_config.c`):
//! a channel's own view of features.conf. The first write gives the channel
//! a copy of the loaded settings; reads see that copy, else the loaded file.

use std::sync::Arc;

use super::{Failed, FuncCtx, Function};
use crate::channels::Channel;
use crate::config::views::features::{FeaturesConf, set_general};
use crate::core::logger::Site;

const FILE: &str = "features_config.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "FEATURE",
            read: Some(feature_read),
            write: Some(feature_write),
            synopsis: "Reads or sets a features.conf [general] setting for this channel.",
            syntax: "FEATURE(option_name)",
        },
        Function {
            name: "FEATUREMAP",
            read: Some(featuremap_read),
            write: Some(featuremap_write),
            synopsis: "Reads or sets the DTMF code of a built-in feature for this channel.",
            syntax: "FEATUREMAP(feature_name)",
        },
    ]
}

/// The features settings `chan` works with.
pub fn channel_features(global: &Arc<FeaturesConf>, chan: &Channel) -> Arc<FeaturesConf> {
    chan.lock()
        .props
        .features
        .clone()
        .unwrap_or_else(|| global.clone())
}

/// The channel; each of the four functions logs its absence from `site`.
fn need_chan<'a>(ctx: &FuncCtx<'a>, site: &Site<'_>) -> Result<&'a Arc<Channel>, Failed> {
    ctx.chan.ok_or_else(|| {
        ctx.warning(
            site,
            &format!("No channel was provided to {} function.", ctx.name),
        );
        Failed
    })
}

/// One `[general]` setting as FEATURE() prints it; `None` for a name it
/// does not read (Asterisk cannot read `transferannouncesound` back).
fn general_get(conf: &FeaturesConf, field: &str) -> Option<String> {
    let g = &conf.general;
    let v = match field.to_ascii_lowercase().as_str() {
        "featuredigittimeout" => (g.featuredigittimeout as u32).to_string(),
        "courtesytone" => g.courtesytone.clone(),
        "recordingfailsound" => g.recordingfailsound.clone(),
        "transferdigittimeout" => (g.transferdigittimeout as u32).to_string(),
        "atxfernoanswertimeout" => (g.atxfernoanswertimeout as u32).to_string(),
        "atxferloopdelay" => (g.atxferloopdelay as u32).to_string(),
        "atxfercallbackretries" => (g.atxfercallbackretries as u32).to_string(),
        // Stored from ast_true (-1 for yes) and printed unsigned.
        "atxferdropcall" => if g.atxferdropcall { u32::MAX } else { 0 }.to_string(),
        "xfersound" => g.xfersound.clone(),
        "xferfailsound" => g.xferfailsound.clone(),
        "atxferabort" => g.atxferabort.clone(),
        "atxfercomplete" => g.atxfercomplete.clone(),
        "atxferthreeway" => g.atxferthreeway.clone(),
        "atxferswap" => g.atxferswap.clone(),
        "transferdialattempts" => (g.transferdialattempts as u32).to_string(),
        "transferretrysound" => g.transferretrysound.clone(),
        "transferinvalidsound" => g.transferinvalidsound.clone(),
        "pickupsound" => g.pickupsound.clone(),
        "pickupfailsound" => g.pickupfailsound.clone(),
        "pickupexten" => g.pickupexten.clone(),
        _ => return None,
    };
    Some(v)
}

/// Changes the channel's own copy of the settings, making it first.
fn change<R>(ctx: &FuncCtx<'_>, chan: &Channel, f: impl FnOnce(&mut FeaturesConf) -> R) -> R {
    let global = ctx.sys.loaded().features.clone();
    let mut d = chan.lock();
    let copy = d.props.features.get_or_insert_with(|| global.clone());
    f(Arc::make_mut(copy))
}

fn feature_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = need_chan(ctx, crate::site!(FILE, 1803, "feature_read"))?;
    if args.eq_ignore_ascii_case("inherit") {
        let inherit = chan.lock().props.features_inherit;
        return Ok(if inherit { "yes" } else { "no" }.into());
    }
    let conf = channel_features(&ctx.sys.loaded().features, chan);
    general_get(&conf, args).ok_or_else(|| {
        ctx.warning(
            crate::site!(FILE, 1728, "internal_feature_read"),
            &format!("Invalid argument '{args}' to FEATURE()"),
        );
        Failed
    })
}

fn feature_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = need_chan(ctx, crate::site!(FILE, 1814, "feature_write"))?;
    if args.eq_ignore_ascii_case("inherit") {
        // Only a channel that has its own copy can pass it on.
        let mut d = chan.lock();
        if d.props.features.is_some() {
            d.props.features_inherit = crate::config::is_true(value);
        }
        return Ok(());
    }
    match change(ctx, chan, |conf| {
        set_general(&mut conf.general, args, value)
    }) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => {
            ctx.warning(
                crate::site!(FILE, 1758, "internal_feature_write"),
                &format!("Invalid argument '{args}' to FEATURE()"),
            );
            Err(Failed)
        }
    }
}

fn featuremap_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = need_chan(ctx, crate::site!(FILE, 1825, "featuremap_read"))?;
    let conf = channel_features(&ctx.sys.loaded().features, chan);
    conf.featuremap
        .code(args)
        .map(str::to_string)
        .ok_or_else(|| {
            ctx.warning(
                crate::site!(FILE, 1773, "internal_featuremap_read"),
                &format!("Invalid argument '{args}' to FEATUREMAP()"),
            );
            Failed
        })
}

fn featuremap_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = need_chan(ctx, crate::site!(FILE, 1836, "featuremap_write"))?;
    let set = change(ctx, chan, |conf| match conf.featuremap.code_mut(args) {
        Some(code) => {
            *code = value.to_string();
            true
        }
        None => false,
    });
    if set {
        Ok(())
    } else {
        ctx.warning(
            crate::site!(FILE, 1792, "internal_featuremap_write"),
            &format!("Invalid argument '{args}' to FEATUREMAP()"),
        );
        Err(Failed)
    }
}
