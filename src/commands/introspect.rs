//! COMMAND and its subcommands, answered from the command table, in Redis 7's reply shapes
//! (cluster-aware clients read key positions from COMMAND INFO; redis-cli reads COMMAND DOCS).

use super::keys::help_reply;
use super::spec::{acl, command_keys, flags, kflags, BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::table::table;
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Out;
use crate::util::glob::glob_match;

fn names(out: &mut Out, bits: u32, names: &[&str]) {
    let set: Vec<&str> = names.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, n)| *n).collect();
    out.set(set.len());
    for n in set {
        out.simple(n);
    }
}

fn key_spec(out: &mut Out, ks: &KeySpec) {
    out.map(3);
    out.bulk(b"flags");
    names(out, ks.flags, &kflags::NAMES);
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match ks.begin {
        BeginSearch::Index(i) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(i64::from(i));
        }
        BeginSearch::Keyword { keyword, start_from } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(i64::from(start_from));
        }
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match ks.find {
        FindKeys::Range { last_key, step, limit } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            for (k, v) in [("lastkey", last_key), ("keystep", step), ("limit", limit)] {
                out.bulk(k.as_bytes());
                out.int(i64::from(v));
            }
        }
        FindKeys::Keynum { keynum_idx, first_key, step } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            for (k, v) in [("keynumidx", keynum_idx), ("firstkey", first_key), ("keystep", step)] {
                out.bulk(k.as_bytes());
                out.int(i64::from(v));
            }
        }
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

/// One COMMAND INFO entry (ten fields, subcommands nested).
pub fn command_info(out: &mut Out, c: &CommandSpec) {
    out.array(10);
    out.bulk(c.full_name.as_bytes());
    out.int(i64::from(c.arity));
    names(out, c.flags, &flags::NAMES);
    let (first, last, step) = c.legacy_range;
    out.int(i64::from(first));
    out.int(i64::from(last));
    out.int(i64::from(step));
    let cats: Vec<String> = acl::NAMES.iter().enumerate().filter(|(i, _)| c.acl & (1 << i) != 0).map(|(_, n)| format!("@{n}")).collect();
    out.set(cats.len());
    for n in &cats {
        out.simple(n);
    }
    out.set(c.tips.len());
    for t in c.tips {
        out.bulk(t.as_bytes());
    }
    out.set(c.keys.len());
    for ks in c.keys {
        key_spec(out, ks);
    }
    out.set(c.subcommands.len());
    for s in c.subcommands {
        command_info(out, s);
    }
}

fn command(ctx: &mut Ctx<'_>) -> CmdResult {
    let all: Vec<_> = table().tops().collect();
    ctx.out.array(all.len());
    for c in all {
        command_info(ctx.out, c);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.int(table().tops().count() as i64);
    Ok(())
}

fn command_info_cmd(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.argc() == 2 {
        return command(ctx);
    }
    ctx.out.array(ctx.argc() - 2);
    for i in 2..ctx.argc() {
        match table().get_any(ctx.arg(i)) {
            Some(c) => command_info(ctx.out, c),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn doc_entry(out: &mut Out, c: &CommandSpec) {
    let subs = !c.subcommands.is_empty();
    out.map(2 + usize::from(subs));
    out.bulk(b"since");
    out.bulk(c.doc.since.as_bytes());
    out.bulk(b"group");
    out.bulk(c.doc.group.as_bytes());
    if subs {
        out.bulk(b"subcommands");
        out.map(c.subcommands.len());
        for s in c.subcommands {
            out.bulk(s.full_name.as_bytes());
            doc_entry(out, s);
        }
    }
}

fn command_docs(ctx: &mut Ctx<'_>) -> CmdResult {
    let chosen: Vec<&CommandSpec> =
        if ctx.argc() == 2 { table().tops().collect() } else { (2..ctx.argc()).filter_map(|i| table().get(ctx.arg(i))).collect() };
    ctx.out.map(chosen.len());
    for c in chosen {
        ctx.out.bulk(c.full_name.as_bytes());
        doc_entry(ctx.out, c);
    }
    Ok(())
}

/// The keys of the command given as COMMAND GETKEYS's arguments, with their flags.
fn getkeys_of(ctx: &Ctx<'_>) -> Result<Vec<(usize, u32)>, CmdError> {
    let sub = ctx.args.slice_from(2);
    let r = table().lookup(sub).map_err(|_| CmdError::from("ERR Invalid command specified"))?;
    let argc = i32::try_from(sub.len()).unwrap_or(i32::MAX);
    if (r.spec.arity > 0 && r.spec.arity != argc) || argc < -r.spec.arity {
        return Err("ERR Invalid number of arguments specified for command".into());
    }
    if r.spec.keys.is_empty() {
        return Err("ERR The command has no key arguments".into());
    }
    match command_keys(r.spec, sub) {
        Ok(k) if !k.is_empty() || r.spec.has(flags::NO_MANDATORY_KEYS) => Ok(k),
        _ => Err("ERR Invalid arguments specified for command".into()),
    }
}

fn command_getkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = getkeys_of(ctx)?;
    ctx.out.array(keys.len());
    for (pos, _) in keys {
        ctx.out.bulk(ctx.args.get(pos + 2));
    }
    Ok(())
}

fn command_getkeysandflags(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = getkeys_of(ctx)?;
    ctx.out.array(keys.len());
    for (pos, f) in keys {
        ctx.out.array(2);
        ctx.out.bulk(ctx.args.get(pos + 2));
        names(ctx.out, f, &kflags::NAMES);
    }
    Ok(())
}

fn command_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let filter = match ctx.argc() {
        2 => None,
        5 if ctx.arg_is(2, "FILTERBY") => Some((ctx.arg(3).to_ascii_lowercase(), ctx.arg(4))),
        _ => return Err(super::err::SYNTAX.into()),
    };
    let mut found: Vec<&str> = Vec::new();
    for c in table().tops() {
        for s in std::iter::once(c).chain(c.subcommands.iter()) {
            let keep = match &filter {
                None => true,
                Some((by, v)) if by.as_slice() == b"pattern" => glob_match(v, s.full_name.as_bytes(), true),
                Some((by, v)) if by.as_slice() == b"aclcat" => {
                    acl::NAMES.iter().position(|n| n.as_bytes().eq_ignore_ascii_case(v)).is_some_and(|i| s.acl & (1 << i) != 0)
                }
                Some((by, _)) if by.as_slice() == b"module" => false,
                Some(_) => return Err(super::err::SYNTAX.into()),
            };
            if keep {
                found.push(s.full_name);
            }
        }
    }
    ctx.out.array(found.len());
    for n in found {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "Subcommands are:",
        &[
            "(no subcommand)",
            "    Details of every command.",
            "COUNT",
            "    Number of commands.",
            "DOCS [<command-name> ...]",
            "    Documentation of the given commands (all without arguments).",
            "GETKEYS <full-command>",
            "    The keys of a full command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    The keys of a full command line, with how each is used.",
            "INFO [<command-name> ...]",
            "    Details of the given commands (all without arguments).",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Names of the commands, optionally filtered.",
        ],
    )
}

const F: u32 = flags::LOADING | flags::STALE;
const A: u32 = acl::SLOW | acl::CONNECTION;

const SUBS: &[CommandSpec] = &[
    CommandSpec::new("command|count", 2, command_count).flags(F).acl(A).doc("server", "2.8.13"),
    CommandSpec::new("command|info", -2, command_info_cmd).flags(F).acl(A).tips(&["nondeterministic_output_order"]).doc("server", "2.8.13"),
    CommandSpec::new("command|docs", -2, command_docs).flags(F).acl(A).tips(&["nondeterministic_output_order"]).doc("server", "7.0.0"),
    CommandSpec::new("command|getkeys", -4, command_getkeys).flags(F).acl(A).doc("server", "2.8.13"),
    CommandSpec::new("command|getkeysandflags", -4, command_getkeysandflags).flags(F).acl(A).doc("server", "7.0.0"),
    CommandSpec::new("command|list", -2, command_list).flags(F).acl(A).tips(&["nondeterministic_output_order"]).doc("server", "7.0.0"),
    CommandSpec::new("command|help", 2, command_help).flags(F).acl(A).doc("server", "5.0.0"),
];

/// COMMAND is a container that also answers on its own (with no subcommand).
pub(crate) const COMMANDS: &[CommandSpec] = &[{
    let mut c =
        CommandSpec::container("command", -1, SUBS).flags(F).acl(A).tips(&["nondeterministic_output_order"]).doc("server", "2.8.13");
    c.handler = command;
    c
}];
