//! Snapshots on demand: SAVE, BGSAVE, BGREWRITEAOF. In Keel both BGSAVE and BGREWRITEAOF
//! take a snapshot (which is also what compacts the log); they differ only in the INFO
//! fields that report them and in their replies, which are Redis's.

use super::spec::{acl, flags, CommandSpec};
use super::{err, CmdResult, Ctx};
use crate::executor::snapshot::Kind;

fn save(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.srv.snapshots.running.is_some() {
        return Err("ERR Background save already in progress".into());
    }
    match ctx.srv.save_now(Kind::Save) {
        Ok(_) => {
            ctx.out.ok();
            Ok(())
        }
        Err(e) => {
            crate::log_warning!("SAVE failed: {e}");
            Err("ERR".into())
        }
    }
}

/// Starts a background snapshot now, unless it must wait (inside MULTI the capture could not
/// start between units): then it is scheduled for the driver.
fn start_or_schedule(ctx: &mut Ctx<'_>, kind: Kind) -> Result<bool, super::CmdError> {
    if ctx.srv.in_exec {
        ctx.srv.snapshots.scheduled = Some(kind);
        ctx.srv.snapshots.wake.notify_one();
        return Ok(false);
    }
    let wake = ctx.srv.snapshots.wake.clone();
    let done = ctx.srv.snapshots.done.clone();
    ctx.srv.snapshot_start_background(kind, Box::new(move || done.notify_one())).map_err(super::CmdError::from)?;
    wake.notify_one();
    Ok(true)
}

fn bgsave(ctx: &mut Ctx<'_>) -> CmdResult {
    let schedule = match ctx.argc() {
        1 => false,
        2 if ctx.arg(1).eq_ignore_ascii_case(b"schedule") => true,
        _ => return Err(err::SYNTAX.into()),
    };
    match ctx.srv.snapshots.running.as_ref().map(|r| r.kind) {
        Some(Kind::Save) => return Err("ERR Background save already in progress".into()),
        Some(Kind::Rewrite) if !schedule => {
            return Err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.".into())
        }
        Some(Kind::Rewrite) => {
            ctx.srv.snapshots.scheduled = Some(Kind::Save);
            ctx.out.simple("Background saving scheduled");
            return Ok(());
        }
        None => {}
    }
    if start_or_schedule(ctx, Kind::Save)? {
        ctx.out.simple("Background saving started");
    } else {
        ctx.out.simple("Background saving scheduled");
    }
    Ok(())
}

fn bgrewriteaof(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.srv.snapshots.running.as_ref().map(|r| r.kind) {
        Some(Kind::Rewrite) => return Err("ERR Background append only file rewriting already in progress".into()),
        Some(Kind::Save) => {
            ctx.srv.snapshots.scheduled = Some(Kind::Rewrite);
            ctx.out.simple("Background append only file rewriting scheduled");
            return Ok(());
        }
        None => {}
    }
    if start_or_schedule(ctx, Kind::Rewrite)? {
        ctx.out.simple("Background append only file rewriting started");
    } else {
        ctx.out.simple("Background append only file rewriting scheduled");
    }
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("save", 1, save)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::NO_ASYNC_LOADING | flags::NO_MULTI)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0"),
    CommandSpec::new("bgsave", -1, bgsave)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::NO_ASYNC_LOADING)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0"),
    CommandSpec::new("bgrewriteaof", 1, bgrewriteaof)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::NO_ASYNC_LOADING)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0"),
];
