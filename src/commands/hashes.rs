//! Hash commands. Writes are deterministic and logged as they are, except HINCRBYFLOAT
//! (logged as HSET of the formatted result: replaying the addition could round otherwise).
//! A hash left empty is deleted, as in Redis.

use super::access;
use super::keys::scan_reply;
use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{Db, Value};
use crate::types::hash::Hash;
use crate::util::glob::glob_match;
use crate::util::longdouble::LongDouble;
use crate::util::num::parse_i64;

/// The hash at `key` for reading, its expired fields removed first.
pub(crate) fn read<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a Hash>, CmdError> {
    db.expire_fields(key);
    access::read(db, key)
}

/// The hash at `key` for writing, its expired fields removed first; created empty if absent.
pub(crate) fn write<'a>(db: &'a mut Db, key: &[u8]) -> Result<&'a mut Hash, CmdError> {
    db.expire_fields(key);
    access::write_with(db, key, || Value::Hash(Hash::default()))
}

fn hset(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.argc() % 2 != 0 {
        return Err(ctx.arity_error());
    }
    let key = ctx.arg(1);
    let limits = ctx.srv.config.hash_limits;
    let pairs: Vec<(&[u8], &[u8])> = (2..ctx.argc()).step_by(2).map(|i| (ctx.arg(i), ctx.arg(i + 1))).collect();
    let h = write(ctx.db(), key)?;
    let added = pairs.iter().filter(|(f, v)| h.set(f, v, limits)).count();
    if ctx.spec.full_name == "hmset" {
        ctx.out.ok();
    } else {
        ctx.out.int(added as i64);
    }
    Ok(())
}

fn hsetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field, value) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let limits = ctx.srv.config.hash_limits;
    let db = ctx.db();
    if read_for_update(db, key, field)?.is_some() {
        // Nothing changed (no key event): nothing is logged.
        ctx.out.int(0);
        return Ok(());
    }
    write(db, key)?.set(field, value, limits);
    ctx.out.int(1);
    Ok(())
}

fn hget(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.db_index();
    match read(&mut ctx.srv.dbs[db], key)?.and_then(|h| h.get(field)) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db_index();
    let h = read(&mut ctx.srv.dbs[db], key)?;
    ctx.out.array(ctx.args.len() - 2);
    for i in 2..ctx.args.len() {
        match h.and_then(|h| h.get(ctx.args.get(i))) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let fields: Vec<&[u8]> = (2..ctx.argc()).map(|i| ctx.arg(i)).collect();
    let db = ctx.db();
    db.expire_fields(key);
    if db.get_quiet(key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let h = write(db, key)?;
    let removed = fields.iter().filter(|f| h.remove(f)).count();
    if h.is_empty() {
        db.remove(key);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn hlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let n = read(ctx.db(), key)?.map_or(0, Hash::len);
    ctx.out.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let field = ctx.arg(2);
    let key = ctx.arg(1);
    let n = read(ctx.db(), key)?.and_then(|h| h.get(field)).map_or(0, <[u8]>::len);
    ctx.out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx<'_>) -> CmdResult {
    let field = ctx.arg(2);
    let key = ctx.arg(1);
    let found = read(ctx.db(), key)?.is_some_and(|h| h.contains(field));
    ctx.out.int(i64::from(found));
    Ok(())
}

/// HKEYS, HVALS, HGETALL: which parts of each pair to reply.
fn getall(ctx: &mut Ctx<'_>, fields: bool, values: bool) -> CmdResult {
    let key = ctx.arg(1);
    let db_index = ctx.db_index();
    let Some(h) = read(&mut ctx.srv.dbs[db_index], key)? else {
        if fields && values {
            ctx.out.map(0);
        } else {
            ctx.out.empty_array();
        }
        return Ok(());
    };
    if fields && values {
        ctx.out.map(h.len());
    } else {
        ctx.out.array(h.len());
    }
    for (f, v) in h.iter() {
        if fields {
            ctx.out.bulk(f);
        }
        if values {
            ctx.out.bulk(v);
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    getall(ctx, true, false)
}

fn hvals(ctx: &mut Ctx<'_>) -> CmdResult {
    getall(ctx, false, true)
}

fn hgetall(ctx: &mut Ctx<'_>) -> CmdResult {
    getall(ctx, true, true)
}

fn hincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let by = ctx.arg_i64(3)?;
    let limits = ctx.srv.config.hash_limits;
    let db = ctx.db();
    let cur = match read_for_update(db, key, field)? {
        None => 0,
        Some(v) => parse_i64(&v).ok_or(CmdError::from("ERR hash value is not an integer"))?,
    };
    let new = cur.checked_add(by).ok_or(CmdError::from(err::OVERFLOW))?;
    let text = new.to_string();
    write(db, key)?.set_keep_ttl(field, text.as_bytes(), limits);
    ctx.out.int(new);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let incr = LongDouble::parse(ctx.arg(3)).ok_or(CmdError::from(err::NOT_FLOAT))?;
    if !incr.is_finite() {
        return Err("ERR value is NaN or Infinity".into());
    }
    let limits = ctx.srv.config.hash_limits;
    let db = ctx.db();
    let cur = match read_for_update(db, key, field)? {
        None => LongDouble::from_i64(0),
        Some(v) => LongDouble::parse(&v).ok_or(CmdError::from("ERR hash value is not a float"))?,
    };
    let sum = cur.add(incr);
    if !sum.is_finite() {
        return Err("ERR increment would produce NaN or Infinity".into());
    }
    let mut text = Vec::with_capacity(32);
    sum.fmt_human(&mut text);
    let h = write(db, key)?;
    h.set_keep_ttl(field, &text, limits);
    let ttl = h.field_ttl(field);
    ctx.out.bulk(&text);
    ctx.log_as(&[b"HSET", key, field, &text]);
    if let Some(at) = ttl {
        // HSET drops a field's expiry: the one it keeps here is logged after it.
        ctx.log_as(&[b"HPEXPIREAT", key, at.to_string().as_bytes(), b"FIELDS", b"1", field]);
    }
    Ok(())
}

fn hrandfield(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let (count, withvalues) = access::random_args(ctx, Some("WITHVALUES"))?;
    let rng = std::rc::Rc::clone(&ctx.srv.clock);
    let db = ctx.db_index();
    let Some(h) = read(&mut ctx.srv.dbs[db], key)? else {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.empty_array(),
        }
        return Ok(());
    };
    let picked: Vec<(&[u8], &[u8])> = access::random_positions(h.len(), count, &rng).into_iter().map(|p| h.at(p)).collect();
    let out = &mut *ctx.out;
    if count.is_none() {
        out.bulk(picked[0].0);
    } else if withvalues && out.resp3 {
        out.array(picked.len());
        for (f, v) in &picked {
            out.array(2);
            out.bulk(f);
            out.bulk(v);
        }
    } else {
        out.array(picked.len() * if withvalues { 2 } else { 1 });
        for (f, v) in &picked {
            out.bulk(f);
            if withvalues {
                out.bulk(v);
            }
        }
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    ctx.db().expire_fields(key);
    let Some((cursor, count, pat)) = access::scan_start::<Hash>(ctx)? else { return Ok(()) };
    let db = ctx.db_index();
    let Some(h) = read(&mut ctx.srv.dbs[db], key)? else { unreachable!("checked") };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut keep = |f: &[u8], v: &[u8]| {
        if pat.is_none_or(|p| glob_match(p, f, false)) {
            found.push(f.to_vec());
            found.push(v.to_vec());
        }
    };
    let next = match h.table() {
        // A packed hash comes back whole, as in Redis.
        None => {
            for (f, v) in h.iter() {
                keep(f, v);
            }
            0
        }
        Some(t) => t.scan(cursor, count, |f, v| keep(f, v)),
    };
    scan_reply(ctx, next, &found);
    Ok(())
}

/// The field's current value for HINCRBY and friends (WRONGTYPE checked; no statistics).
fn read_for_update(db: &mut Db, key: &[u8], field: &[u8]) -> Result<Option<Vec<u8>>, CmdError> {
    db.expire_fields(key);
    match db.get_quiet(key).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(h.get(field).map(<[u8]>::to_vec)),
        Some(_) => Err(err::WRONGTYPE.into()),
    }
}

const KS_RO: &[KeySpec] = &[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)];
const KS_INSERT: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::UPDATE, 1, 0, 1)];
const KS_RW_ACCESS: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)];
const KS_DELETE: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::DELETE, 1, 0, 1)];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, hset)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(KS_INSERT, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hmset", -4, hset)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(KS_INSERT, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hsetnx", 4, hsetnx)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(KS_INSERT, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hget", 3, hget)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(KS_RO, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hmget", -3, hmget)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(KS_RO, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hdel", -3, hdel)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(KS_DELETE, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hlen", 2, hlen)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hstrlen", 3, hstrlen)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .doc("hash", "3.2.0"),
    CommandSpec::new("hexists", 3, hexists)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hkeys", 2, hkeys)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hvals", 2, hvals)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(KS_RO, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hgetall", 2, hgetall)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(KS_RO, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hincrby", 4, hincrby)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(KS_RW_ACCESS, (1, 1, 1))
        .doc("hash", "2.0.0"),
    CommandSpec::new("hrandfield", -2, hrandfield)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("hash", "6.2.0"),
    CommandSpec::new("hscan", -3, hscan)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("hash", "2.8.0"),
    CommandSpec::new("hincrbyfloat", 4, hincrbyfloat)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(KS_RW_ACCESS, (1, 1, 1))
        .doc("hash", "2.6.0"),
];
