//! String commands: SET and its relatives, counters, ranges, LCS.
//!
//! Options are parsed before the keyspace is touched, so a syntax error never changes data.
//! Relative expiry times become absolute milliseconds here (the log records absolute times).

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{Db, SetTtl, Str, Value};
use crate::protocol::Out;
use crate::types::lcs;
use crate::util::longdouble::LongDouble;

/// The string at `key`, if any; WRONGTYPE if the key holds another type.
pub fn read_str<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a Str>, CmdError> {
    match db.get(key).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        #[allow(unreachable_patterns)]
        Some(_) => Err(err::WRONGTYPE.into()),
    }
}

/// Like `read_str` but for a write path: no hit/miss statistics.
fn peek_str<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a Str>, CmdError> {
    match db.get_quiet(key).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        #[allow(unreachable_patterns)]
        Some(_) => Err(err::WRONGTYPE.into()),
    }
}

pub fn reply_str(out: &mut Out, s: &Str) {
    match s {
        Str::Int(n) => out.bulk_i64(*n),
        other => out.bulk(&other.as_bytes()),
    }
}

/// Which command's option grammar applies (SET and GETEX share one parser, as in Redis).
#[derive(Clone, Copy, PartialEq, Eq)]
enum OptsFor {
    Set,
    GetEx,
}

#[derive(Default)]
struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// (argument index, in seconds, absolute)
    expire: Option<(usize, bool, bool)>,
}

fn parse_set_opts(ctx: &Ctx<'_>, from: usize, cmd: OptsFor) -> Result<SetOpts, CmdError> {
    let mut o = SetOpts::default();
    let mut j = from;
    let set = cmd == OptsFor::Set;
    while j < ctx.argc() {
        let a = ctx.arg(j).to_ascii_uppercase();
        let has_next = j + 1 < ctx.argc();
        let exp = o.expire.map(|(_, secs, abs)| (secs, abs));
        // The conflict rules mirror Redis: repeating the same option is allowed.
        match a.as_slice() {
            b"NX" if set && !o.xx => o.nx = true,
            b"XX" if set && !o.nx => o.xx = true,
            b"GET" if set => o.get = true,
            b"KEEPTTL" if set && !o.persist && exp.is_none() => o.keepttl = true,
            b"PERSIST" if !set && exp.is_none() && !o.keepttl => o.persist = true,
            b"EX" | b"PX" | b"EXAT" | b"PXAT" if has_next && !o.keepttl && !o.persist => {
                let kind = (a == b"EX" || a == b"EXAT", a == b"EXAT" || a == b"PXAT");
                if exp.is_some_and(|e| e != kind) {
                    return Err(err::SYNTAX.into());
                }
                o.expire = Some((j + 1, kind.0, kind.1));
                j += 1;
            }
            _ => return Err(err::SYNTAX.into()),
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's "invalid expire time in '<cmd>' command" error.
pub fn invalid_expire(ctx: &Ctx<'_>) -> CmdError {
    CmdError::from(format!("ERR invalid expire time in '{}' command", ctx.spec.full_name))
}

/// An expiry argument as absolute Unix milliseconds, with Redis's range checks.
fn expire_at(ctx: &Ctx<'_>, idx: usize, secs: bool, absolute: bool) -> Result<i64, CmdError> {
    let v = ctx.arg_i64(idx)?;
    if v <= 0 || (secs && v > i64::MAX / 1000) {
        return Err(invalid_expire(ctx));
    }
    let ms = if secs { v * 1000 } else { v };
    let at = if absolute { Some(ms) } else { ms.checked_add(ctx.now_ms()) };
    match at {
        Some(at) if at > 0 => Ok(at),
        _ => Err(invalid_expire(ctx)),
    }
}

fn set(ctx: &mut Ctx<'_>) -> CmdResult {
    let o = if ctx.argc() > 3 { parse_set_opts(ctx, 3, OptsFor::Set)? } else { SetOpts::default() };
    let at = match o.expire {
        Some((idx, secs, abs)) => Some(expire_at(ctx, idx, secs, abs)?),
        None => None,
    };
    let (key, val) = (ctx.arg(1), ctx.arg(2));
    let i = ctx.db_index();
    let db = &mut ctx.srv.dbs[i];
    if o.get {
        match read_str(db, key)? {
            Some(s) => reply_str(ctx.out, s),
            None => ctx.out.null(),
        }
    }
    if o.nx || o.xx {
        let found = db.get_quiet(key).is_some();
        if (o.nx && found) || (o.xx && !found) {
            if !o.get {
                ctx.out.null();
            }
            return Ok(());
        }
    }
    let ttl = match (at, o.keepttl) {
        (Some(at), _) => SetTtl::At(at),
        (None, true) => SetTtl::Keep,
        (None, false) => SetTtl::Clear,
    };
    db.set(key, Value::Str(Str::from_bytes(val)), ttl);
    if !o.get {
        ctx.out.ok();
    }
    // Logged without NX/XX/GET (already decided) and with an absolute expiry time.
    let at_text;
    match ttl {
        SetTtl::At(at) => {
            at_text = at.to_string();
            ctx.log_as(&[b"SET", key, val, b"PXAT", at_text.as_bytes()]);
        }
        SetTtl::Keep => ctx.log_as(&[b"SET", key, val, b"KEEPTTL"]),
        SetTtl::Clear => ctx.log_as(&[b"SET", key, val]),
    }
    Ok(())
}

fn setnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, val) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.db();
    if db.get_quiet(key).is_some() {
        ctx.out.int(0);
    } else {
        db.set(key, Value::Str(Str::from_bytes(val)), SetTtl::Clear);
        ctx.out.int(1);
    }
    Ok(())
}

fn setex_generic(ctx: &mut Ctx<'_>, secs: bool) -> CmdResult {
    let at = expire_at(ctx, 2, secs, false)?;
    let (key, val) = (ctx.arg(1), ctx.arg(3));
    ctx.db().set(key, Value::Str(Str::from_bytes(val)), SetTtl::At(at));
    ctx.out.ok();
    ctx.log_as(&[b"SET", key, val, b"PXAT", at.to_string().as_bytes()]);
    Ok(())
}

fn setex(ctx: &mut Ctx<'_>) -> CmdResult {
    setex_generic(ctx, true)
}

fn psetex(ctx: &mut Ctx<'_>) -> CmdResult {
    setex_generic(ctx, false)
}

fn get(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let i = ctx.db_index();
    match read_str(&mut ctx.srv.dbs[i], key)? {
        Some(s) => reply_str(ctx.out, s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn getset(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, val) = (ctx.arg(1), ctx.arg(2));
    let i = ctx.db_index();
    let db = &mut ctx.srv.dbs[i];
    match read_str(db, key)? {
        Some(s) => reply_str(ctx.out, s),
        None => ctx.out.null(),
    }
    db.set(key, Value::Str(Str::from_bytes(val)), SetTtl::Clear);
    Ok(())
}

fn getdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let i = ctx.db_index();
    let db = &mut ctx.srv.dbs[i];
    match read_str(db, key)? {
        Some(s) => reply_str(ctx.out, s),
        None => {
            ctx.out.null();
            return Ok(());
        }
    }
    db.remove(key);
    Ok(())
}

fn getex(ctx: &mut Ctx<'_>) -> CmdResult {
    let o = parse_set_opts(ctx, 2, OptsFor::GetEx)?;
    let key = ctx.arg(1);
    let i = ctx.db_index();
    if read_str(&mut ctx.srv.dbs[i], key)?.is_none() {
        ctx.out.null();
        return Ok(());
    }
    let at = match o.expire {
        Some((idx, secs, abs)) => Some(expire_at(ctx, idx, secs, abs)?),
        None => None,
    };
    let now = ctx.now_ms();
    let db = &mut ctx.srv.dbs[i];
    if let Some(s) = peek_str(db, key)? {
        reply_str(ctx.out, s);
    }
    match (at, o.expire) {
        // An absolute time already past deletes the key, as Redis does.
        (Some(at), Some((_, _, true))) if at <= now => {
            db.remove(key);
            ctx.log_as(&[b"DEL", key]);
        }
        (Some(at), _) => {
            db.set_expire(key, Some(at));
            ctx.log_as(&[b"PEXPIREAT", key, at.to_string().as_bytes()]);
        }
        _ if o.persist && db.get_quiet(key).and_then(|e| e.expire_at_ms()).is_some() => {
            db.set_expire(key, None);
            ctx.log_as(&[b"PERSIST", key]);
        }
        _ => {}
    }
    Ok(())
}

fn mget(ctx: &mut Ctx<'_>) -> CmdResult {
    let n = ctx.argc() - 1;
    let i = ctx.db_index();
    ctx.out.array(n);
    for k in 1..=n {
        let key = ctx.args.get(k);
        match ctx.srv.dbs[i].get(key).map(|e| &e.value) {
            Some(Value::Str(s)) => reply_str(ctx.out, s),
            #[allow(unreachable_patterns)]
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

fn mset(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.argc() % 2 == 0 {
        return Err(ctx.arity_error());
    }
    let args = ctx.args;
    let db = ctx.db();
    for p in (1..args.len()).step_by(2) {
        db.set(args.get(p), Value::Str(Str::from_bytes(args.get(p + 1))), SetTtl::Clear);
    }
    ctx.out.ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.argc() % 2 == 0 {
        return Err(ctx.arity_error());
    }
    let args = ctx.args;
    let db = ctx.db();
    if (1..args.len()).step_by(2).any(|p| db.get_quiet(args.get(p)).is_some()) {
        ctx.out.int(0);
        return Ok(());
    }
    for p in (1..args.len()).step_by(2) {
        db.set(args.get(p), Value::Str(Str::from_bytes(args.get(p + 1))), SetTtl::Clear);
    }
    ctx.out.int(1);
    Ok(())
}

fn strlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let n = read_str(ctx.db(), key)?.map_or(0, Str::len);
    ctx.out.int(n as i64);
    Ok(())
}

/// Adds `by` to the integer at `key` (created as 0), keeping its expiry.
fn incr_by(ctx: &mut Ctx<'_>, by: i64) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db();
    let new = match db.get_mut_pending(key) {
        None => {
            db.set(key, Value::Str(Str::Int(by)), SetTtl::Clear);
            by
        }
        Some(e) => {
            let Value::Str(s) = &e.value else { return Err(err::WRONGTYPE.into()) };
            let cur = s.as_i64().ok_or(CmdError::from(err::NOT_INTEGER))?;
            let new = cur.checked_add(by).ok_or(CmdError::from(err::OVERFLOW))?;
            e.set_value(Value::Str(Str::Int(new)));
            db.mark_written(key);
            new
        }
    };
    ctx.out.int(new);
    Ok(())
}

fn incr(ctx: &mut Ctx<'_>) -> CmdResult {
    incr_by(ctx, 1)
}

fn decr(ctx: &mut Ctx<'_>) -> CmdResult {
    incr_by(ctx, -1)
}

fn incrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let by = ctx.arg_i64(2)?;
    incr_by(ctx, by)
}

fn decrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let by = ctx.arg_i64(2)?;
    if by == i64::MIN {
        return Err("ERR decrement would overflow".into());
    }
    incr_by(ctx, -by)
}

fn incrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let incr_arg = ctx.arg(2);
    let db = ctx.db();
    let cur = match peek_str(db, key)? {
        None => LongDouble::from_i64(0),
        Some(s) => LongDouble::parse(&s.as_bytes()).ok_or(CmdError::from(err::NOT_FLOAT))?,
    };
    let incr = LongDouble::parse(incr_arg).ok_or(CmdError::from(err::NOT_FLOAT))?;
    let sum = cur.add(incr);
    if !sum.is_finite() {
        return Err("ERR increment would produce NaN or Infinity".into());
    }
    let mut text = Vec::with_capacity(32);
    sum.fmt_human(&mut text);
    let value = Value::Str(Str::from_bytes_no_int(&text));
    match db.get_mut(key) {
        Some(e) => e.set_value(value),
        None => {
            db.set(key, value, SetTtl::Clear);
        }
    }
    ctx.out.bulk(&text);
    // The sum is formatted once here; replaying the addition could round differently.
    ctx.log_as(&[b"SET", key, &text, b"KEEPTTL"]);
    Ok(())
}

fn append(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, tail) = (ctx.arg(1), ctx.arg(2));
    let max = ctx.srv.config.proto_max_bulk_len;
    let i = ctx.db_index();
    let db = &mut ctx.srv.dbs[i];
    let len = match peek_str(db, key)? {
        None => {
            db.set(key, Value::Str(Str::from_bytes(tail)), SetTtl::Clear);
            tail.len()
        }
        Some(s) => {
            if (s.len() + tail.len()) as u64 > max {
                return Err(err::STRING_TOO_LONG.into());
            }
            let Some(e) = db.get_mut(key) else { unreachable!("key seen just above") };
            let Value::Str(s) = &mut e.value else { unreachable!("the type was checked above") };
            let v = s.make_raw();
            v.extend_from_slice(tail);
            v.len()
        }
    };
    ctx.out.int(len as i64);
    Ok(())
}

/// GETRANGE's index rules (shared with SUBSTR).
pub fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if (start < 0 && end < 0 && start > end) || len == 0 {
        return None;
    }
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { (len + end).max(0) } else { end.min(len - 1) };
    if start > end {
        return None;
    }
    Some((start as usize, end as usize))
}

fn getrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let (start, end) = (ctx.arg_i64(2)?, ctx.arg_i64(3)?);
    let key = ctx.arg(1);
    let i = ctx.db_index();
    let Some(s) = read_str(&mut ctx.srv.dbs[i], key)? else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let bytes = s.as_bytes();
    match clamp_range(start, end, bytes.len()) {
        Some((a, b)) => ctx.out.bulk(&bytes[a..=b]),
        None => ctx.out.bulk(b""),
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = ctx.arg_i64(2)?;
    if offset < 0 {
        return Err(err::OFFSET_RANGE.into());
    }
    let offset = offset.unsigned_abs();
    let (key, val) = (ctx.arg(1), ctx.arg(3));
    let max = ctx.srv.config.proto_max_bulk_len;
    let too_long = offset.checked_add(val.len() as u64).is_none_or(|t| t > max);
    let i = ctx.db_index();
    let db = &mut ctx.srv.dbs[i];
    let existing = peek_str(db, key)?.map(Str::len);
    if val.is_empty() {
        ctx.out.int(existing.unwrap_or(0) as i64);
        return Ok(());
    }
    if too_long {
        return Err(err::STRING_TOO_LONG.into());
    }
    // Both fit in usize: the sum is at most proto-max-bulk-len.
    let (offset, end) = (offset as usize, offset as usize + val.len());
    let len = match existing {
        None => {
            let mut v = vec![0u8; end];
            v[offset..].copy_from_slice(val);
            db.set(key, Value::Str(Str::raw(v)), SetTtl::Clear);
            end
        }
        Some(_) => {
            let Some(e) = db.get_mut(key) else { unreachable!("key seen just above") };
            let Value::Str(s) = &mut e.value else { unreachable!("the type was checked above") };
            let v = s.make_raw();
            if v.len() < end {
                v.resize(end, 0);
            }
            v[offset..end].copy_from_slice(val);
            v.len()
        }
    };
    ctx.out.int(len as i64);
    Ok(())
}

fn lcs_cmd(ctx: &mut Ctx<'_>) -> CmdResult {
    let i = ctx.db_index();
    let (k1, k2) = (ctx.arg(1), ctx.arg(2));
    let not_str = || CmdError::from("ERR The specified keys must contain string values");
    let a = read_str(&mut ctx.srv.dbs[i], k1).map_err(|_| not_str())?.map(|s| s.as_bytes().into_owned());
    let b = read_str(&mut ctx.srv.dbs[i], k2).map_err(|_| not_str())?.map(|s| s.as_bytes().into_owned());
    let (mut idx, mut len, mut withlen, mut minlen) = (false, false, false, 0i64);
    let mut j = 3;
    while j < ctx.argc() {
        let more = j + 1 < ctx.argc();
        if ctx.arg_is(j, "IDX") {
            idx = true;
        } else if ctx.arg_is(j, "LEN") {
            len = true;
        } else if ctx.arg_is(j, "WITHMATCHLEN") {
            withlen = true;
        } else if ctx.arg_is(j, "MINMATCHLEN") && more {
            minlen = ctx.arg_i64(j + 1)?.max(0);
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    if idx && len {
        return Err("ERR If you want both the length and indexes, please just use IDX.".into());
    }
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let min = usize::try_from(minlen).unwrap_or(usize::MAX);
    let r = lcs::try_lcs(&a, &b, min, idx, ctx.srv.config.proto_max_bulk_len).map_err(|e| CmdError::from(format!("ERR {e}")))?;
    let out = &mut *ctx.out;
    if idx {
        out.map(2);
        out.bulk(b"matches");
        out.array(r.matches.len());
        for ((a0, a1), (b0, b1), mlen) in &r.matches {
            out.array(if withlen { 3 } else { 2 });
            for (s, e) in [(a0, a1), (b0, b1)] {
                out.array(2);
                out.int(*s as i64);
                out.int(*e as i64);
            }
            if withlen {
                out.int(*mlen as i64);
            }
        }
        out.bulk(b"len");
        out.int(r.len as i64);
    } else if len {
        out.int(r.len as i64);
    } else {
        out.bulk(&r.lcs);
    }
    Ok(())
}

/// SET's key is read as well as written only with GET.
fn set_keys(args: crate::protocol::Args<'_>) -> Vec<(usize, u32)> {
    let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"GET"));
    vec![(1, if get { kflags::RW | kflags::ACCESS | kflags::UPDATE } else { kflags::OW | kflags::UPDATE })]
}

const KS_RO: &[KeySpec] = &[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, get)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::STRING | acl::FAST)
        .keys(KS_RO, (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("set", -3, set)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE | kflags::VARIABLE_FLAGS, 1, 0, 1)], (1, 1, 1))
        .getkeys(set_keys)
        .doc("string", "1.0.0"),
    CommandSpec::new("setnx", 3, setnx)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::OW | kflags::INSERT, 1, 0, 1)], (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("setex", 4, setex)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::index(kflags::OW | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "2.0.0"),
    CommandSpec::new("psetex", 4, psetex)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::index(kflags::OW | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "2.6.0"),
    CommandSpec::new("getset", 3, getset)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("getdel", 2, getdel)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "6.2.0"),
    CommandSpec::new("getex", -2, getex)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "6.2.0"),
    CommandSpec::new("mget", -2, mget)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, -1, 1)], (1, -1, 1))
        .tips(&["request_policy:multi_shard"])
        .doc("string", "1.0.0"),
    CommandSpec::new("mset", -3, mset)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::index(kflags::OW | kflags::UPDATE, 1, -1, 2)], (1, -1, 2))
        .tips(&["request_policy:multi_shard", "response_policy:all_succeeded"])
        .doc("string", "1.0.1"),
    CommandSpec::new("msetnx", -3, msetnx)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::index(kflags::OW | kflags::INSERT, 1, -1, 2)], (1, -1, 2))
        .tips(&["request_policy:multi_shard", "response_policy:agg_min"])
        .doc("string", "1.0.1"),
    CommandSpec::new("append", 3, append)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::INSERT, 1, 0, 1)], (1, 1, 1))
        .doc("string", "2.0.0"),
    CommandSpec::new("strlen", 2, strlen)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .doc("string", "2.2.0"),
    CommandSpec::new("incr", 2, incr)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("decr", 2, decr)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("incrby", 3, incrby)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("decrby", 3, decrby)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("incrbyfloat", 3, incrbyfloat)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "2.6.0"),
    CommandSpec::new("getrange", 4, getrange)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::STRING | acl::SLOW)
        .keys(KS_RO, (1, 1, 1))
        .doc("string", "2.4.0"),
    CommandSpec::new("substr", 4, getrange)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::STRING | acl::SLOW)
        .keys(KS_RO, (1, 1, 1))
        .doc("string", "1.0.0"),
    CommandSpec::new("setrange", 4, setrange)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RW | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("string", "2.2.0"),
    CommandSpec::new("lcs", -3, lcs_cmd)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 1, 1)], (1, 2, 1))
        .doc("string", "7.0.0"),
];
