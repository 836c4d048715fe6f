//! Per-field hash expiry, with Redis 7.4's grammar and replies: HEXPIRE HPEXPIRE HEXPIREAT
//! HPEXPIREAT set it, HTTL HPTTL HEXPIRETIME HPEXPIRETIME read it, HPERSIST removes it.
//!
//! Replies are an integer per field: -2 no such field (or no key), and then for the setters
//! 0 condition not met, 1 set, 2 deleted (a time already past); for the readers -1 no
//! expiry; for HPERSIST -1 no expiry, 1 removed. The setters are logged as HPEXPIREAT of the
//! fields they set (absolute milliseconds), plus HDEL of those they deleted; the expiry of
//! a field later is logged as HDEL (`Db::expire_fields`).

use super::hashes::{read, write};
use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{CmdError, CmdResult, Ctx};
use crate::types::hash::Hash;
use crate::util::num::parse_i64;

/// Largest absolute expiry in ms Redis accepts for a field (its `HFE_MAX_ABS_TIME_MSEC`).
const FIELD_EXPIRE_MS_MAX: i64 = ((1 << 48) - 1) >> 2;

/// The fields after `FIELDS numfields` at `at` (the position of FIELDS); errors as Redis's.
fn fields_arg<'a>(ctx: &Ctx<'a>, at: usize, numfields_err: &'static str) -> Result<Vec<&'a [u8]>, CmdError> {
    if !ctx.arg_is(at, "FIELDS") {
        return Err("ERR Mandatory argument FIELDS is missing or not at the right position".into());
    }
    let n = ctx.args.try_get(at + 1).and_then(parse_i64).filter(|&n| n >= 1).ok_or(CmdError::from(numfields_err))?;
    if usize::try_from(n).ok() != Some(ctx.argc() - at - 2) {
        return Err("ERR The `numfields` parameter must match the number of arguments".into());
    }
    Ok((at + 2..ctx.argc()).map(|i| ctx.arg(i)).collect())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    None,
    Nx,
    Xx,
    Gt,
    Lt,
}

/// HEXPIRE and friends: `base_ms` is now for the relative forms, 0 for the absolute ones.
fn expire_generic(ctx: &mut Ctx<'_>, base_ms: i64, seconds: bool) -> CmdResult {
    let key = ctx.arg(1);
    // The type is checked first, as in Redis.
    if let Some(e) = ctx.db().get_quiet(key) {
        if !matches!(e.value, crate::db::Value::Hash(_)) {
            return Err(super::err::WRONGTYPE.into());
        }
    }
    let mut at = ctx.arg_i64(2)?;
    if at < 0 {
        return Err("ERR invalid expire time, must be >= 0".into());
    }
    let bad_time = || CmdError::from(format!("ERR invalid expire time in '{}' command", ctx.spec.full_name));
    if seconds {
        if at > FIELD_EXPIRE_MS_MAX / 1000 {
            return Err(bad_time());
        }
        at *= 1000;
    }
    if at > FIELD_EXPIRE_MS_MAX - base_ms {
        return Err(bad_time());
    }
    at += base_ms;
    let cond = [("NX", Cond::Nx), ("XX", Cond::Xx), ("GT", Cond::Gt), ("LT", Cond::Lt)]
        .iter()
        .find(|(w, _)| ctx.arg_is(3, w))
        .map_or(Cond::None, |&(_, c)| c);
    let fields = fields_arg(ctx, if cond == Cond::None { 3 } else { 4 }, "ERR Parameter `numFields` should be greater than 0")?;
    let (now, replaying) = (ctx.now_ms(), ctx.replaying());
    let db = ctx.db();
    if read(db, key)?.is_none() {
        ctx.out.array(fields.len());
        for _ in &fields {
            ctx.out.int(-2);
        }
        return Ok(());
    }
    let h: &mut Hash = write(db, key)?;
    let (mut set, mut deleted, mut replies) = (Vec::new(), Vec::new(), Vec::with_capacity(fields.len()));
    for f in fields {
        if !h.contains(f) {
            replies.push(-2);
            continue;
        }
        let met = match (cond, h.field_ttl(f)) {
            (Cond::None, _) => true,
            // No expiry counts as an infinite one.
            (Cond::Nx, prev) => prev.is_none(),
            (Cond::Xx, prev) => prev.is_some(),
            (Cond::Gt, prev) => prev.is_some_and(|p| at > p),
            (Cond::Lt, prev) => prev.is_none_or(|p| at < p),
        };
        if !met {
            replies.push(0);
        } else if at <= now && !replaying {
            h.remove(f);
            deleted.push(f);
            replies.push(2);
        } else {
            h.set_field_ttl(f, at);
            set.push(f);
            replies.push(1);
        }
    }
    if h.is_empty() {
        db.remove(key);
    } else if !set.is_empty() {
        db.note_field_ttls(key);
    }
    ctx.out.array(replies.len());
    for r in &replies {
        ctx.out.int(*r);
    }
    // Logged as what it did: nothing, an HDEL, an HPEXPIREAT of the fields it set, or both.
    if !deleted.is_empty() {
        let mut argv: Vec<&[u8]> = vec![b"HDEL", key];
        argv.extend(deleted);
        ctx.log_as(&argv);
    }
    if !set.is_empty() {
        let (at, n) = (at.to_string(), set.len().to_string());
        let mut argv: Vec<&[u8]> = vec![b"HPEXPIREAT", key, at.as_bytes(), b"FIELDS", n.as_bytes()];
        argv.extend(set);
        ctx.log_as(&argv);
    }
    if ctx.srv.log.is_some() && replies.iter().all(|&r| r < 1) {
        ctx.srv.effects.suppress();
    }
    Ok(())
}

fn hexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms();
    expire_generic(ctx, now, true)
}

fn hpexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms();
    expire_generic(ctx, now, false)
}

fn hexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, 0, true)
}

fn hpexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, 0, false)
}

/// HTTL and friends: `base_ms` is now for the TTL forms, 0 for the absolute ones.
fn ttl_generic(ctx: &mut Ctx<'_>, base_ms: i64, seconds: bool) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db_index();
    let found = read(&mut ctx.srv.dbs[db], key)?.is_some();
    let fields = fields_arg(ctx, 2, "ERR Number of fields must be a positive integer")?;
    let h = if found { read(&mut ctx.srv.dbs[db], key)? } else { None };
    ctx.out.array(fields.len());
    for f in fields {
        let r = match h {
            Some(h) if h.contains(f) => match h.field_ttl(f) {
                None => -1,
                Some(at) if seconds => (at + 999 - base_ms) / 1000,
                Some(at) => at - base_ms,
            },
            _ => -2,
        };
        ctx.out.int(r);
    }
    Ok(())
}

fn httl(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms();
    ttl_generic(ctx, now, true)
}

fn hpttl(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms();
    ttl_generic(ctx, now, false)
}

fn hexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, 0, true)
}

fn hpexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, 0, false)
}

fn hpersist(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let found = read(ctx.db(), key)?.is_some();
    let fields = fields_arg(ctx, 2, "ERR Number of fields must be a positive integer")?;
    let mut replies = Vec::with_capacity(fields.len());
    if found {
        let h = write(ctx.db(), key)?;
        for f in &fields {
            replies.push(if !h.contains(f) {
                -2
            } else if h.persist_field(f) {
                1
            } else {
                -1
            });
        }
    } else {
        replies.resize(fields.len(), -2);
    }
    ctx.out.array(replies.len());
    for r in &replies {
        ctx.out.int(*r);
    }
    if ctx.srv.log.is_some() && !replies.contains(&1) {
        ctx.srv.effects.suppress();
    }
    Ok(())
}

const KS_RW: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::UPDATE, 1, 0, 1)];
const KS_RO: &[KeySpec] = &[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)];
const W: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const R: u32 = flags::READONLY | flags::FAST;
const AW: u32 = acl::WRITE | acl::HASH | acl::FAST;
const AR: u32 = acl::READ | acl::HASH | acl::FAST;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hexpire", -6, hexpire).flags(W).acl(AW).keys(KS_RW, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("hpexpire", -6, hpexpire).flags(W).acl(AW).keys(KS_RW, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("hexpireat", -6, hexpireat).flags(W).acl(AW).keys(KS_RW, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("hpexpireat", -6, hpexpireat).flags(W).acl(AW).keys(KS_RW, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("httl", -5, httl).flags(R).acl(AR).keys(KS_RO, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("hpttl", -5, hpttl).flags(R).acl(AR).keys(KS_RO, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("hexpiretime", -5, hexpiretime).flags(R).acl(AR).keys(KS_RO, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("hpexpiretime", -5, hpexpiretime).flags(R).acl(AR).keys(KS_RO, (1, 1, 1)).doc("hash", "7.4.0"),
    CommandSpec::new("hpersist", -5, hpersist).flags(flags::WRITE | flags::FAST).acl(AW).keys(KS_RW, (1, 1, 1)).doc("hash", "7.4.0"),
];
