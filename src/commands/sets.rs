//! Set commands. Writes are logged as they are, except SPOP, which is random: it is logged as
//! the SREM of what it popped. A set left empty is deleted, and a store command with an empty
//! result deletes its destination, as in Redis.

use super::access;
use super::keys::scan_reply;
use super::spec::{acl, flags, kflags, BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{Db, SetTtl, Value};
use crate::types::set::Set;
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

fn read<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a Set>, CmdError> {
    access::read(db, key)
}

fn is_set(db: &mut Db, key: &[u8]) -> Result<bool, CmdError> {
    access::exists::<Set>(db, key)
}

/// The set at `key` for writing, created empty if absent.
fn write<'a>(db: &'a mut Db, key: &[u8]) -> Result<&'a mut Set, CmdError> {
    access::write_with(db, key, || Value::Set(Box::default()))
}

fn drop_if_empty(db: &mut Db, key: &[u8]) {
    access::drop_if_empty::<Set>(db, key);
}

fn sadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let max = ctx.srv.config.set_max_intset_entries;
    let s = write(ctx.db(), key)?;
    let added = (2..args.len()).filter(|&i| s.add(args.get(i), max)).count();
    ctx.out.int(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let db = ctx.db();
    if !is_set(db, key)? {
        ctx.out.int(0);
        return Ok(());
    }
    let s = write(db, key)?;
    let removed = (2..args.len()).filter(|&i| s.remove(args.get(i))).count();
    drop_if_empty(db, key);
    ctx.out.int(removed as i64);
    Ok(())
}

/// Replies members as a set (RESP3) or an array.
fn reply_members<'m>(ctx: &mut Ctx<'_>, n: usize, members: impl Iterator<Item = std::borrow::Cow<'m, [u8]>>) {
    ctx.out.set(n);
    for m in members {
        ctx.out.bulk(&m);
    }
}

fn smembers(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db_index();
    match read(&mut ctx.srv.dbs[db], key)? {
        Some(s) => {
            ctx.out.set(s.len());
            for m in s.iter() {
                ctx.out.bulk(&m);
            }
        }
        None => ctx.out.set(0),
    }
    Ok(())
}

fn sismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, m) = (ctx.arg(1), ctx.arg(2));
    let found = read(ctx.db(), key)?.is_some_and(|s| s.contains(m));
    ctx.out.int(i64::from(found));
    Ok(())
}

fn smismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let db = ctx.db_index();
    let s = read(&mut ctx.srv.dbs[db], key)?;
    ctx.out.array(args.len() - 2);
    for i in 2..args.len() {
        ctx.out.int(i64::from(s.is_some_and(|s| s.contains(args.get(i)))));
    }
    Ok(())
}

fn scard(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let n = read(ctx.db(), key)?.map_or(0, Set::len);
    ctx.out.int(n as i64);
    Ok(())
}

fn spop(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let count = match ctx.argc() {
        2 => None,
        3 => Some(match parse_i64(ctx.arg(2)) {
            Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Err("ERR value is out of range, must be positive".into()),
        }),
        _ => return Err(err::SYNTAX.into()),
    };
    let rng = std::rc::Rc::clone(&ctx.srv.clock);
    let db = ctx.db();
    if !is_set(db, key)? {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.set(0),
        }
        return Ok(());
    }
    let s = write(db, key)?;
    let n = count.unwrap_or(1).min(s.len());
    let popped: Vec<Vec<u8>> = if n == s.len() {
        // Everything: in the set's own order (ascending for an intset, as Redis replies).
        let all = s.iter().map(|m| m.into_owned()).collect();
        *s = Set::default();
        all
    } else {
        (0..n).map(|_| s.remove_at((rng.next_rand() % s.len() as u64) as usize)).collect()
    };
    drop_if_empty(db, key);
    match count {
        None => ctx.out.bulk(&popped[0]),
        Some(_) => reply_members(ctx, popped.len(), popped.iter().map(|m| std::borrow::Cow::Borrowed(m.as_slice()))),
    }
    if !popped.is_empty() {
        let mut argv: Vec<&[u8]> = vec![b"SREM", key];
        argv.extend(popped.iter().map(Vec::as_slice));
        ctx.log_as(&argv);
    }
    Ok(())
}

fn srandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let (count, _) = access::random_args(ctx, None)?;
    let rng = std::rc::Rc::clone(&ctx.srv.clock);
    let db = ctx.db_index();
    let Some(s) = read(&mut ctx.srv.dbs[db], key)? else {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.empty_array(),
        }
        return Ok(());
    };
    let picked = access::random_positions(s.len(), count, &rng);
    if count.is_some() {
        ctx.out.array(picked.len());
    }
    for p in picked {
        ctx.out.bulk(&s.at(p));
    }
    Ok(())
}

fn smove(ctx: &mut Ctx<'_>) -> CmdResult {
    let (src, dst, m) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let max = ctx.srv.config.set_max_intset_entries;
    let db = ctx.db();
    if !is_set(db, src)? {
        ctx.out.int(0);
        return Ok(());
    }
    is_set(db, dst)?;
    let has = matches!(db.get_quiet(src).map(|e| &e.value), Some(Value::Set(s)) if s.contains(m));
    if src == dst || !has {
        ctx.out.int(i64::from(has));
        return Ok(());
    }
    write(db, src)?.remove(m);
    drop_if_empty(db, src);
    write(db, dst)?.add(m, max);
    ctx.out.int(1);
    Ok(())
}

/// The sets at `keys` (None for a missing key); WRONGTYPE if any key holds another type.
fn sets_of<'a>(db: &'a mut Db, keys: &[&[u8]]) -> Result<Vec<Option<&'a Set>>, CmdError> {
    for k in keys {
        if let Some(e) = db.get(k) {
            if !matches!(e.value, Value::Set(_)) {
                return Err(err::WRONGTYPE.into());
            }
        }
    }
    Ok(keys
        .iter()
        .map(|k| match db.peek(k).map(|e| &e.value) {
            Some(Value::Set(s)) => Some(&**s),
            _ => None,
        })
        .collect())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The members of the intersection, union or difference of `keys`, in the order Redis
/// replies them for the same encodings (intersection: the smallest set's order).
fn compute(db: &mut Db, keys: &[&[u8]], op: Op, limit: usize) -> Result<Vec<Vec<u8>>, CmdError> {
    let sets = sets_of(db, keys)?;
    Ok(match op {
        Op::Inter => {
            if sets.iter().any(Option::is_none) {
                return Ok(Vec::new());
            }
            let mut sets: Vec<&Set> = sets.into_iter().flatten().collect();
            sets.sort_by_key(|s| s.len());
            let mut out = Vec::new();
            for m in sets[0].iter() {
                if sets[1..].iter().all(|s| s.contains(&m)) {
                    out.push(m.into_owned());
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            out
        }
        Op::Union => {
            let mut acc = Set::default();
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    acc.add(&m, usize::MAX);
                }
            }
            acc.iter().map(|m| m.into_owned()).collect()
        }
        Op::Diff => {
            let Some(first) = sets[0] else { return Ok(Vec::new()) };
            let mut acc = Set::default();
            for m in first.iter() {
                if !sets[1..].iter().flatten().any(|s| s.contains(&m)) {
                    acc.add(&m, usize::MAX);
                }
            }
            acc.iter().map(|m| m.into_owned()).collect()
        }
    })
}

fn keys_from<'a>(ctx: &Ctx<'a>, from: usize) -> Vec<&'a [u8]> {
    (from..ctx.argc()).map(|i| ctx.arg(i)).collect()
}

fn combine(ctx: &mut Ctx<'_>, op: Op) -> CmdResult {
    let keys = keys_from(ctx, 1);
    let members = compute(ctx.db(), &keys, op, usize::MAX)?;
    reply_members(ctx, members.len(), members.iter().map(|m| std::borrow::Cow::Borrowed(m.as_slice())));
    Ok(())
}

fn combine_store(ctx: &mut Ctx<'_>, op: Op) -> CmdResult {
    let dst = ctx.arg(1);
    let keys = keys_from(ctx, 2);
    let max = ctx.srv.config.set_max_intset_entries;
    let db = ctx.db();
    let members = compute(db, &keys, op, usize::MAX)?;
    let n = members.len();
    if n == 0 {
        db.remove(dst);
    } else {
        db.set(dst, Value::Set(Box::new(Set::from_members(members.iter().map(Vec::as_slice), max))), SetTtl::Clear);
    }
    ctx.out.int(n as i64);
    Ok(())
}

fn sinter(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, Op::Inter)
}

fn sunion(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, Op::Union)
}

fn sdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, Op::Diff)
}

fn sinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    combine_store(ctx, Op::Inter)
}

fn sunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    combine_store(ctx, Op::Union)
}

fn sdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    combine_store(ctx, Op::Diff)
}

fn sintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    let numkeys = parse_i64(ctx.arg(1)).filter(|&n| n > 0).ok_or(CmdError::from("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > ctx.argc() - 2 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let mut limit = usize::MAX;
    let mut i = 2 + numkeys;
    while i < ctx.argc() {
        if ctx.arg_is(i, "LIMIT") && i + 1 < ctx.argc() {
            let n = parse_i64(ctx.arg(i + 1)).filter(|&n| n >= 0).ok_or(CmdError::from("ERR LIMIT can't be negative"))?;
            limit = if n == 0 { usize::MAX } else { usize::try_from(n).unwrap_or(usize::MAX) };
            i += 2;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| ctx.args.get(i)).collect();
    let n = compute(ctx.db(), &keys, Op::Inter, limit)?.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn sscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let Some((cursor, count, pat)) = access::scan_start::<Set>(ctx)? else { return Ok(()) };
    let db = ctx.db_index();
    let Some(s) = read(&mut ctx.srv.dbs[db], key)? else { unreachable!("checked") };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let keep = |m: &[u8]| pat.is_none_or(|p| glob_match(p, m, false));
    let next = match s {
        // Small encodings come back whole, as in Redis.
        Set::Ints(_) => {
            found.extend(s.iter().filter(|m| keep(m)).map(|m| m.into_owned()));
            0
        }
        Set::Table(d) => d.scan(cursor, count, |m, ()| {
            if keep(m) {
                found.push(m.to_vec());
            }
        }),
    };
    scan_reply(ctx, next, &found);
    Ok(())
}

const KS_RO: &[KeySpec] = &[KeySpec::index(kflags::RO, 1, 0, 1)];
const KS_RO_ALL: &[KeySpec] = &[KeySpec::index(kflags::RO, 1, -1, 1)];
const KS_INSERT: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::INSERT, 1, 0, 1)];
const KS_DELETE: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::DELETE, 1, 0, 1)];
const KS_POP: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1)];
const KS_MOVE: &[KeySpec] =
    &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1), KeySpec::index(kflags::RW | kflags::INSERT, 2, 0, 1)];
const KS_STORE: &[KeySpec] = &[KeySpec::index(kflags::OW | kflags::UPDATE, 1, 0, 1), KeySpec::index(kflags::RO | kflags::ACCESS, 2, -1, 1)];
const KS_CARD: &[KeySpec] =
    &[KeySpec::new(kflags::RO | kflags::ACCESS, BeginSearch::Index(1), FindKeys::Keynum { keynum_idx: 0, first_key: 1, step: 1 })];

const RO: u32 = flags::READONLY;
const ROF: u32 = flags::READONLY | flags::FAST;
const WDF: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, sadd).flags(WDF).acl(acl::WRITE | acl::SET | acl::FAST).keys(KS_INSERT, (1, 1, 1)).doc("set", "1.0.0"),
    CommandSpec::new("srem", -3, srem)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::WRITE | acl::SET | acl::FAST)
        .keys(KS_DELETE, (1, 1, 1))
        .doc("set", "1.0.0"),
    CommandSpec::new("smembers", 2, smembers).flags(RO).acl(acl::READ | acl::SET | acl::SLOW).keys(KS_RO, (1, 1, 1)).doc("set", "1.0.0"),
    CommandSpec::new("sismember", 3, sismember).flags(ROF).acl(acl::READ | acl::SET | acl::FAST).keys(KS_RO, (1, 1, 1)).doc("set", "1.0.0"),
    CommandSpec::new("smismember", -3, smismember)
        .flags(ROF)
        .acl(acl::READ | acl::SET | acl::FAST)
        .keys(KS_RO, (1, 1, 1))
        .doc("set", "6.2.0"),
    CommandSpec::new("scard", 2, scard).flags(ROF).acl(acl::READ | acl::SET | acl::FAST).keys(KS_RO, (1, 1, 1)).doc("set", "1.0.0"),
    CommandSpec::new("spop", -2, spop)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::WRITE | acl::SET | acl::FAST)
        .keys(KS_POP, (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("set", "1.0.0"),
    CommandSpec::new("srandmember", -2, srandmember)
        .flags(RO)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(KS_RO, (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("set", "1.0.0"),
    CommandSpec::new("smove", 4, smove)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::WRITE | acl::SET | acl::FAST)
        .keys(KS_MOVE, (1, 2, 1))
        .doc("set", "1.0.0"),
    CommandSpec::new("sinter", -2, sinter)
        .flags(RO)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(KS_RO_ALL, (1, -1, 1))
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0"),
    CommandSpec::new("sunion", -2, sunion)
        .flags(RO)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(KS_RO_ALL, (1, -1, 1))
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0"),
    CommandSpec::new("sdiff", -2, sdiff)
        .flags(RO)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(KS_RO_ALL, (1, -1, 1))
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0"),
    CommandSpec::new("sinterstore", -3, sinterstore)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::SET | acl::SLOW)
        .keys(KS_STORE, (1, -1, 1))
        .doc("set", "1.0.0"),
    CommandSpec::new("sunionstore", -3, sunionstore)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::SET | acl::SLOW)
        .keys(KS_STORE, (1, -1, 1))
        .doc("set", "1.0.0"),
    CommandSpec::new("sdiffstore", -3, sdiffstore)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::SET | acl::SLOW)
        .keys(KS_STORE, (1, -1, 1))
        .doc("set", "1.0.0"),
    CommandSpec::new("sintercard", -3, sintercard)
        .flags(RO | flags::MOVABLEKEYS)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(KS_CARD, (0, 0, 0))
        .doc("set", "7.0.0"),
    CommandSpec::new("sscan", -3, sscan)
        .flags(RO)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(KS_RO, (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("set", "2.8.0"),
];
