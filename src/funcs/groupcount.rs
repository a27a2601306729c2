//! GROUP(), GROUP_COUNT(), GROUP_MATCH_COUNT() and GROUP_LIST()
//! (Asterisk's `func_groupcount.c`) over the channel group list.

use super::{Failed, FuncCtx, Function};
use crate::channels::group::{MatchError, split};

const FILE: &str = "func_groupcount.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "GROUP",
            read: Some(group_read),
            write: Some(group_write),
            synopsis: "Reads or sets the channel's group in a category.",
            syntax: "GROUP([category])",
        },
        Function {
            name: "GROUP_COUNT",
            read: Some(count_read),
            write: None,
            synopsis: "Counts the channels in a group (the channel's own by default).",
            syntax: "GROUP_COUNT([groupname][@category])",
        },
        Function {
            name: "GROUP_LIST",
            read: Some(list_read),
            write: None,
            synopsis: "Lists the channel's groups as group@category words.",
            syntax: "GROUP_LIST()",
        },
        Function {
            name: "GROUP_MATCH_COUNT",
            read: Some(match_count_read),
            write: None,
            synopsis: "Counts the channels whose group matches a regular expression.",
            syntax: "GROUP_MATCH_COUNT(groupmatch[@category])",
        },
    ]
}

fn count_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 118, "group_count_function_read"))?;
    let groups = &ctx.sys.pbx.channels.groups;
    let (mut group, mut category) = split(args);
    // Without a group, the channel's own (in the category, if given).
    if group.is_empty()
        && let Some(own) = groups.of_channel(chan, &category)
    {
        group = own.group;
        if !own.category.is_empty() {
            category = own.category;
        }
    }
    Ok(groups.count(&group, &category).to_string())
}

fn match_count_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (group, category) = split(args);
    if group.is_empty() {
        return Err(Failed);
    }
    match ctx.sys.pbx.channels.groups.match_count(&group, &category) {
        Ok(n) => Ok(n.to_string()),
        Err(e @ MatchError::EmptyGroup) => {
            ctx.sys.pbx.logger.notice(
                crate::site!("app.c", 2339, "ast_app_group_match_get_count"),
                None,
                &e.to_string(),
            );
            Ok("0".into())
        }
        Err(e @ MatchError::Compile(_)) => {
            ctx.error(
                crate::site!("app.c", 2345, "ast_app_group_match_get_count"),
                &e.to_string(),
            );
            Ok("0".into())
        }
    }
}

fn group_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 194, "group_function_read"))?;
    // An empty argument finds the first group of any category; a category
    // finds only a label set in it.
    ctx.sys
        .pbx
        .channels
        .groups
        .of_channel(chan, args)
        .map(|e| e.group)
        .ok_or(Failed)
}

fn group_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 225, "group_function_write"))?;
    let grpcat = if args.is_empty() {
        value.to_string()
    } else {
        format!("{value}@{args}")
    };
    ctx.sys.pbx.channels.groups.set(chan, &grpcat);
    Ok(())
}

fn list_read(ctx: &FuncCtx<'_>, _args: &str) -> Result<String, Failed> {
    let Some(chan) = ctx.chan else {
        return Err(Failed);
    };
    let words: Vec<String> = ctx
        .sys
        .pbx
        .channels
        .groups
        .all_of_channel(chan)
        .into_iter()
        .map(|e| {
            if e.category.is_empty() {
                e.group
            } else {
                format!("{}@{}", e.group, e.category)
            }
        })
        .collect();
    Ok(words.join(" "))
}
