//! Server administration: TIME, LASTSAVE, SHUTDOWN, MONITOR, SLOWLOG, LATENCY.

use super::keys::help_reply;
use super::spec::{acl, flags, CommandSpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::executor::{unix_us, ShutdownMode};

fn time(ctx: &mut Ctx<'_>) -> CmdResult {
    let us = unix_us();
    ctx.out.array(2);
    ctx.out.bulk((us / 1_000_000).to_string().as_bytes());
    ctx.out.bulk((us % 1_000_000).to_string().as_bytes());
    Ok(())
}

fn lastsave(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.int(ctx.srv.last_save_secs);
    Ok(())
}

fn shutdown(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut save, mut nosave, mut abort, mut other) = (false, false, false, false);
    for i in 1..ctx.argc() {
        match ctx.arg(i).to_ascii_lowercase().as_slice() {
            b"nosave" => nosave = true,
            b"save" => save = true,
            b"now" | b"force" => other = true,
            b"abort" => abort = true,
            _ => return Err(err::SYNTAX.into()),
        }
    }
    if (abort && (save || nosave || other)) || (save && nosave) {
        return Err(err::SYNTAX.into());
    }
    if abort {
        return Err("ERR No shutdown in progress.".into());
    }
    let mode = if save {
        ShutdownMode::Save
    } else if nosave {
        ShutdownMode::NoSave
    } else {
        ShutdownMode::Default
    };
    crate::log_warning!("User requested shutdown...");
    ctx.srv.shutdown = Some(mode);
    ctx.srv.stop.notify_one();
    // Redis replies nothing on success: the connection just closes.
    ctx.client().close_asap = true;
    Ok(())
}

fn monitor(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.srv.in_exec {
        return Err("ERR MONITOR isn't allowed for DENY BLOCKING client".into());
    }
    if ctx.client_ref().monitor {
        return Ok(());
    }
    ctx.client().monitor = true;
    let slot = ctx.slot;
    ctx.srv.monitors.push(slot);
    ctx.out.ok();
    Ok(())
}

fn slowlog_get(ctx: &mut Ctx<'_>) -> CmdResult {
    let len = ctx.srv.slowlog.entries.len();
    let count = match ctx.argc() {
        2 => 10,
        3 => match ctx.arg_i64(2) {
            Ok(-1) => len,
            Ok(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Err("ERR count should be greater than or equal to -1".into()),
        },
        _ => return Err(super::subcommand_syntax_error(ctx.args)),
    };
    let entries: Vec<_> = ctx.srv.slowlog.entries.iter().take(count).cloned().collect();
    let out = &mut *ctx.out;
    out.array(entries.len());
    for e in entries {
        out.array(6);
        out.int(i64::try_from(e.id).unwrap_or(i64::MAX));
        out.int(e.time_secs);
        out.int(i64::try_from(e.duration_us).unwrap_or(i64::MAX));
        out.array(e.args.len());
        for a in &e.args {
            out.bulk(a);
        }
        out.bulk(e.peer.as_bytes());
        out.bulk(&e.name);
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.int(ctx.srv.slowlog.entries.len() as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.srv.slowlog.reset();
    ctx.out.ok();
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "Subcommands are:",
        &[
            "GET [<count>]",
            "    Newest <count> entries of the slow log (default 10, -1 for all).",
            "LEN",
            "    Number of entries in the slow log.",
            "RESET",
            "    Empties the slow log.",
        ],
    )
}

fn latency_latest(ctx: &mut Ctx<'_>) -> CmdResult {
    let events: Vec<_> = ctx.srv.latency.events.iter().map(|(k, e)| (*k, e.samples.back().copied(), e.max_ms)).collect();
    ctx.out.array(events.len());
    for (name, last, max) in events {
        let (t, ms) = last.unwrap_or((0, 0));
        ctx.out.array(4);
        ctx.out.bulk_str(name);
        ctx.out.int(t);
        ctx.out.int(i64::try_from(ms).unwrap_or(i64::MAX));
        ctx.out.int(i64::try_from(max).unwrap_or(i64::MAX));
    }
    Ok(())
}

fn latency_history(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.arg(2);
    let samples: Vec<(i64, u64)> = ctx
        .srv
        .latency
        .events
        .iter()
        .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(name))
        .map(|(_, e)| e.samples.iter().copied().collect())
        .unwrap_or_default();
    ctx.out.array(samples.len());
    for (t, ms) in samples {
        ctx.out.array(2);
        ctx.out.int(t);
        ctx.out.int(i64::try_from(ms).unwrap_or(i64::MAX));
    }
    Ok(())
}

fn latency_reset(ctx: &mut Ctx<'_>) -> CmdResult {
    let names: Vec<&[u8]> = (2..ctx.argc()).map(|i| ctx.arg(i)).collect();
    let n = ctx.srv.latency.reset(&names);
    ctx.out.int(n as i64);
    Ok(())
}

fn latency_doctor(ctx: &mut Ctx<'_>) -> CmdResult {
    let threshold = ctx.srv.config.latency_threshold_ms;
    let mut text = String::new();
    if threshold == 0 {
        text.push_str("The latency monitor is disabled (latency-monitor-threshold is 0). Enable it with CONFIG SET latency-monitor-threshold <milliseconds>.\n");
    } else if ctx.srv.latency.events.is_empty() {
        text.push_str(&format!("No latency spikes at or above {threshold} ms were observed.\n"));
    } else {
        for (name, e) in &ctx.srv.latency.events {
            let avg = e.samples.iter().map(|s| s.1).sum::<u64>() / e.samples.len().max(1) as u64;
            text.push_str(&format!("{name}: {} latency spikes (average {avg}ms, worst {}ms).\n", e.samples.len(), e.max_ms));
        }
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

fn latency_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "Subcommands are:",
        &[
            "DOCTOR",
            "    A human readable summary of the latency events seen.",
            "HISTORY <event>",
            "    The (time, latency in ms) samples of <event>.",
            "LATEST",
            "    The latest sample and the worst latency of every event.",
            "RESET [<event> ...]",
            "    Forgets the samples of the given events (all events without arguments).",
        ],
    )
}

fn not_supported(ctx: &mut Ctx<'_>) -> CmdResult {
    Err(CmdError::from(format!("ERR {} is not supported by Keel yet", ctx.spec.full_name.to_ascii_uppercase().replace('|', " "))))
}

const SLOWLOG_SUBS: &[CommandSpec] = &[
    CommandSpec::new("slowlog|get", -2, slowlog_get)
        .flags(flags::ADMIN | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_nodes", "nondeterministic_output"])
        .doc("server", "2.2.12"),
    CommandSpec::new("slowlog|len", 2, slowlog_len)
        .flags(flags::ADMIN | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"])
        .doc("server", "2.2.12"),
    CommandSpec::new("slowlog|reset", 2, slowlog_reset)
        .flags(flags::ADMIN | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc("server", "2.2.12"),
    CommandSpec::new("slowlog|help", 2, slowlog_help).flags(flags::LOADING | flags::STALE).acl(acl::SLOW).doc("server", "6.2.0"),
];

const LATENCY_SUBS: &[CommandSpec] = &[
    CommandSpec::new("latency|latest", 2, latency_latest)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .doc("server", "2.8.13"),
    CommandSpec::new("latency|history", 3, latency_history)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .doc("server", "2.8.13"),
    CommandSpec::new("latency|reset", -2, latency_reset)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc("server", "2.8.13"),
    CommandSpec::new("latency|help", 2, latency_help).flags(flags::LOADING | flags::STALE).acl(acl::SLOW).doc("server", "2.8.13"),
    CommandSpec::new("latency|doctor", 2, latency_doctor)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .doc("server", "2.8.13"),
    CommandSpec::new("latency|graph", 3, not_supported)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .doc("server", "2.8.13"),
    CommandSpec::new("latency|histogram", -2, not_supported)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .doc("server", "7.0.0"),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("time", 1, time)
        .flags(flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::FAST)
        .tips(&["nondeterministic_output"])
        .doc("server", "2.6.0"),
    CommandSpec::new("lastsave", 1, lastsave)
        .flags(flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::ADMIN | acl::FAST | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("server", "1.0.0"),
    CommandSpec::new("shutdown", -1, shutdown)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::NO_MULTI | flags::ALLOW_BUSY)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0"),
    CommandSpec::new("monitor", 1, monitor)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0"),
    CommandSpec::container("slowlog", -2, SLOWLOG_SUBS).acl(acl::SLOW).doc("server", "2.2.12"),
    CommandSpec::container("latency", -2, LATENCY_SUBS).acl(acl::SLOW).doc("server", "2.8.13"),
];
