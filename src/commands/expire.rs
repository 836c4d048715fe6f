//! Expiry commands. Every expiry is stored as an absolute Unix time in milliseconds; a time
//! already past deletes the key at once (and is logged as a delete), as in Redis.

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::strings::invalid_expire;
use super::{CmdError, CmdResult, Ctx};

#[derive(Default, Clone, Copy)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_cond(ctx: &Ctx<'_>) -> Result<Cond, CmdError> {
    let mut c = Cond::default();
    for j in 3..ctx.argc() {
        match ctx.arg(j).to_ascii_lowercase().as_slice() {
            b"nx" => c.nx = true,
            b"xx" => c.xx = true,
            b"gt" => c.gt = true,
            b"lt" => c.lt = true,
            _ => {
                let mut m = b"ERR Unsupported option ".to_vec();
                // Redis prints the option as a C string.
                let opt = ctx.arg(j);
                m.extend_from_slice(&opt[..opt.iter().position(|&b| b == 0).unwrap_or(opt.len())]);
                return Err(m.into());
            }
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if c.gt && c.lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    Ok(c)
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `relative` adds the current time, `secs` scales.
fn expire_generic(ctx: &mut Ctx<'_>, relative: bool, secs: bool) -> CmdResult {
    let cond = parse_cond(ctx)?;
    let mut when = ctx.arg_i64(2)?;
    if secs {
        when = when.checked_mul(1000).ok_or_else(|| invalid_expire(ctx))?;
    }
    if relative {
        when = when.checked_add(ctx.now_ms()).ok_or_else(|| invalid_expire(ctx))?;
    }
    let key = ctx.arg(1);
    let now = ctx.now_ms();
    let replaying = ctx.replaying();
    let db = ctx.db();
    let Some(current) = db.get_quiet(key).map(|e| e.expire_at_ms()) else {
        ctx.out.int(0);
        return Ok(());
    };
    let refused = (cond.nx && current.is_some())
        || (cond.xx && current.is_none())
        || (cond.gt && current.is_none_or(|c| when <= c))
        || (cond.lt && current.is_some_and(|c| when >= c));
    if refused {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= now && !replaying {
        db.remove(key);
        ctx.log_as(&[b"DEL", key]);
    } else {
        db.set_expire(key, Some(when));
        ctx.log_as(&[b"PEXPIREAT", key, when.to_string().as_bytes()]);
    }
    ctx.out.int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, true)
}

fn pexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, false)
}

fn expireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, true)
}

fn pexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, false)
}

/// The key's expiry for the TTL family: None if the key is missing, Some(None) if it has no
/// expiry.
fn key_expiry(ctx: &mut Ctx<'_>) -> Option<Option<i64>> {
    let key = ctx.arg(1);
    ctx.db().lookup(key, true, false).map(|e| e.expire_at_ms())
}

fn ttl_generic(ctx: &mut Ctx<'_>, ms: bool) -> CmdResult {
    let now = ctx.now_ms();
    let v = match key_expiry(ctx) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => {
            let left = (at - now).max(0);
            if ms {
                left
            } else {
                (left + 500) / 1000
            }
        }
    };
    ctx.out.int(v);
    Ok(())
}

fn ttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false)
}

fn pttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true)
}

fn expiretime_generic(ctx: &mut Ctx<'_>, ms: bool) -> CmdResult {
    let v = match key_expiry(ctx) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) if ms => at,
        // Rounded like TTL, without overflowing at the top of the range.
        Some(Some(at)) => i64::try_from((i128::from(at) + 500) / 1000).unwrap_or(i64::MAX),
    };
    ctx.out.int(v);
    Ok(())
}

fn expiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    expiretime_generic(ctx, false)
}

fn pexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    expiretime_generic(ctx, true)
}

fn persist(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db();
    let had = db.get_quiet(key).and_then(|e| e.expire_at_ms()).is_some();
    if had {
        db.set_expire(key, None);
    }
    ctx.out.int(i64::from(had));
    Ok(())
}

const KS_EXPIRE: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::UPDATE, 1, 0, 1)];
const KS_TTL: &[KeySpec] = &[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("expire", -3, expire)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(KS_EXPIRE, (1, 1, 1))
        .doc("generic", "1.0.0"),
    CommandSpec::new("pexpire", -3, pexpire)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(KS_EXPIRE, (1, 1, 1))
        .doc("generic", "2.6.0"),
    CommandSpec::new("expireat", -3, expireat)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(KS_EXPIRE, (1, 1, 1))
        .doc("generic", "1.2.0"),
    CommandSpec::new("pexpireat", -3, pexpireat)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(KS_EXPIRE, (1, 1, 1))
        .doc("generic", "2.6.0"),
    CommandSpec::new("ttl", 2, ttl)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(KS_TTL, (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("generic", "1.0.0"),
    CommandSpec::new("pttl", 2, pttl)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(KS_TTL, (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.6.0"),
    CommandSpec::new("expiretime", 2, expiretime)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(KS_TTL, (1, 1, 1))
        .doc("generic", "7.0.0"),
    CommandSpec::new("pexpiretime", 2, pexpiretime)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(KS_TTL, (1, 1, 1))
        .doc("generic", "7.0.0"),
    CommandSpec::new("persist", 2, persist)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(KS_EXPIRE, (1, 1, 1))
        .doc("generic", "2.2.0"),
];
