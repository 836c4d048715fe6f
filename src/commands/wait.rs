//! WAIT and WAITAOF: block the caller until its own earlier writes have reached replicas
//! and/or the local log's fsync.
//!
//! A blocked command is not consumed: the handler sets `Client::blocked` and the connection
//! runs the same command again when the log wakes it (`server::durability::release_loop`) or
//! at the deadline, and that run replies. So both stay one small handler with no saved state
//! beyond the deadline. Replication does not exist yet: there are no replicas to count, so
//! `numreplicas > 0` waits for the timeout (as on a Redis master without replicas).

use super::client::timeout_ms_arg;
use super::spec::{acl, flags, CommandSpec};
use super::{CmdError, CmdResult, Ctx};
use crate::executor::client::{Blocked, Unblock};

/// Replicas that acknowledged the caller's writes: none until replication exists.
fn acked_replicas(_ctx: &Ctx<'_>) -> i64 {
    0
}

/// Blocks the command (first run) or, once its deadline has passed (or CLIENT UNBLOCK
/// TIMEOUT came), reports that it has. CLIENT UNBLOCK ERROR ends it with Redis's error.
fn block_or_expired(ctx: &mut Ctx<'_>, deadline_ms: i64, durable_offset: u64) -> Result<bool, CmdError> {
    let now = ctx.now_ms();
    let c = ctx.client();
    match c.blocked {
        Some(b) if b.unblocked == Some(Unblock::Error) => {
            c.blocked = None;
            Err("UNBLOCKED client unblocked via CLIENT UNBLOCK".into())
        }
        Some(b) if b.unblocked == Some(Unblock::Timeout) || (b.deadline_ms != 0 && now >= b.deadline_ms) => {
            c.blocked = None;
            Ok(true)
        }
        Some(_) => Ok(false),
        None => {
            c.blocked = Some(Blocked { deadline_ms, durable_offset, unblocked: None });
            Ok(false)
        }
    }
}

/// Commands inside MULTI (or, later, scripts) may not block: they reply at once.
fn may_block(ctx: &Ctx<'_>) -> bool {
    !ctx.srv.in_exec
}

fn wait(ctx: &mut Ctx<'_>) -> CmdResult {
    let numreplicas = ctx.arg_i64(1)?;
    let deadline = timeout_ms_arg(ctx, 2)?;
    let acked = acked_replicas(ctx);
    if acked >= numreplicas || !may_block(ctx) || block_or_expired(ctx, deadline, 0)? {
        ctx.client().blocked = None;
        ctx.out.int(acked);
    }
    Ok(())
}

fn waitaof(ctx: &mut Ctx<'_>) -> CmdResult {
    let numlocal = ctx.arg_i64(1)?;
    if !(0..=1).contains(&numlocal) {
        return Err("ERR value is out of range, value must between 0 and 1".into());
    }
    let numreplicas = ctx.arg_i64(2)?;
    if numreplicas < 0 {
        return Err("ERR value is out of range, must be positive".into());
    }
    let deadline = timeout_ms_arg(ctx, 3)?;
    let Some(log) = ctx.srv.log.as_ref() else {
        if numlocal > 0 {
            return Err(CmdError::from("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled."));
        }
        ctx.out.array(2);
        ctx.out.int(0);
        ctx.out.int(acked_replicas(ctx));
        return Ok(());
    };
    let woff = ctx.client_ref().last_write_offset;
    let acklocal = i64::from(log.durable_offset() >= woff);
    // After a fatal log failure nothing more becomes durable: reply now with what is.
    let hopeless = log.failed_for_good();
    let acked = acked_replicas(ctx);
    let met = acklocal >= numlocal && acked >= numreplicas;
    if met || hopeless || !may_block(ctx) || block_or_expired(ctx, deadline, if acklocal < numlocal { woff } else { 0 })? {
        ctx.client().blocked = None;
        ctx.out.array(2);
        ctx.out.int(acklocal);
        ctx.out.int(acked);
    }
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("wait", 3, wait)
        .flags(flags::NOSCRIPT)
        .acl(acl::SLOW | acl::CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:agg_min"])
        .doc("generic", "3.0.0"),
    CommandSpec::new("waitaof", 4, waitaof)
        .flags(flags::NOSCRIPT)
        .acl(acl::SLOW | acl::CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:agg_min"])
        .doc("generic", "7.2.0"),
];
