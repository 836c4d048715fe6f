//! List commands. Writes are logged as they are, except the blocking ones, which are logged
//! as the pop they did (BLPOP as LPOP, BLMOVE as LMOVE, BLMPOP as LPOP/RPOP with a count):
//! replayed, a blocking command would block. A list left empty is deleted, as in Redis.

use super::access;
use super::block;
use super::spec::{acl, flags, kflags, BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{Db, Value};
use crate::executor::blocking::Wants;
use crate::types::list::{End, List};
use crate::util::num::parse_i64;

fn read<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a List>, CmdError> {
    access::read(db, key)
}

fn is_list(db: &mut Db, key: &[u8]) -> Result<bool, CmdError> {
    access::exists::<List>(db, key)
}

/// The list at `key` for writing, created empty if absent.
fn write<'a>(db: &'a mut Db, key: &[u8]) -> Result<&'a mut List, CmdError> {
    access::write_with(db, key, || Value::List(Box::new(List::new())))
}

fn write_existing<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a mut List>, CmdError> {
    access::write_existing(db, key)
}

fn drop_if_empty(db: &mut Db, key: &[u8]) {
    access::drop_if_empty::<List>(db, key);
}

fn end_arg(ctx: &Ctx<'_>, i: usize) -> Result<End, CmdError> {
    if ctx.arg_is(i, "LEFT") {
        Ok(End::Head)
    } else if ctx.arg_is(i, "RIGHT") {
        Ok(End::Tail)
    } else {
        Err(err::SYNTAX.into())
    }
}

fn push(ctx: &mut Ctx<'_>, end: End, only_existing: bool) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let db = ctx.db();
    let l = if only_existing {
        match write_existing(db, key)? {
            Some(l) => l,
            None => {
                ctx.out.int(0);
                return Ok(());
            }
        }
    } else {
        write(db, key)?
    };
    for i in 2..args.len() {
        l.push(end, args.get(i));
    }
    let n = l.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn lpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Head, false)
}

fn rpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Head, true)
}

fn rpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Tail, true)
}

/// Pops up to `count` elements from one end of an existing list, deleting it when emptied.
fn pop_n(db: &mut Db, key: &[u8], end: End, count: usize) -> Result<Vec<Vec<u8>>, CmdError> {
    let Some(l) = write_existing(db, key)? else { return Ok(Vec::new()) };
    let mut v = Vec::with_capacity(count.min(l.len()));
    while v.len() < count {
        match l.pop(end) {
            Some(e) => v.push(e),
            None => break,
        }
    }
    drop_if_empty(db, key);
    Ok(v)
}

fn pop(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let key = ctx.arg(1);
    let count = match ctx.argc() {
        2 => None,
        3 => Some(positive_count(ctx, 2)?),
        _ => return Err(ctx.arity_error()),
    };
    let db = ctx.db();
    if !is_list(db, key)? {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.null_array(),
        }
        return Ok(());
    }
    match count {
        None => {
            let v = pop_n(db, key, end, 1)?;
            ctx.out.bulk(&v[0]);
        }
        Some(n) => {
            let v = pop_n(db, key, end, n)?;
            ctx.out.array(v.len());
            for e in &v {
                ctx.out.bulk(e);
            }
        }
    }
    Ok(())
}

/// A count that must be zero or more ("value is out of range, must be positive").
fn positive_count(ctx: &Ctx<'_>, i: usize) -> Result<usize, CmdError> {
    match parse_i64(ctx.arg(i)) {
        Some(n) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err("ERR value is out of range, must be positive".into()),
    }
}

fn lpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop(ctx, End::Head)
}

fn rpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop(ctx, End::Tail)
}

fn llen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let n = read(ctx.db(), key)?.map_or(0, List::len);
    ctx.out.int(n as i64);
    Ok(())
}

/// Redis's index normalization: negative counts from the end.
fn index(i: i64, len: usize) -> i64 {
    if i < 0 {
        i + len as i64
    } else {
        i
    }
}

fn lrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let (start, stop) = (ctx.arg_i64(2)?, ctx.arg_i64(3)?);
    let db = ctx.db_index();
    let Some(l) = read(&mut ctx.srv.dbs[db], key)? else {
        ctx.out.empty_array();
        return Ok(());
    };
    let len = l.len();
    let start = index(start, len).max(0);
    let stop = index(stop, len).min(len as i64 - 1);
    if start > stop || start >= len as i64 {
        ctx.out.empty_array();
        return Ok(());
    }
    let n = (stop - start + 1) as usize;
    ctx.out.array(n);
    for e in l.iter_from(start as usize).take(n) {
        ctx.out.bulk(e);
    }
    Ok(())
}

fn lindex(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let db = ctx.db_index();
    // A missing key replies nil before the index is parsed, as in Redis.
    let Some(l) = read(&mut ctx.srv.dbs[db], key)? else {
        ctx.out.null();
        return Ok(());
    };
    let i = parse_i64(ctx.args.get(2)).ok_or(CmdError::from(err::NOT_INTEGER))?;
    let l = Some(l);
    let found = l.and_then(|l| usize::try_from(index(i, l.len())).ok().and_then(|i| l.get(i)));
    match found {
        Some(e) => ctx.out.bulk(e),
        None => ctx.out.null(),
    }
    Ok(())
}

fn lset(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, value) = (ctx.arg(1), ctx.arg(3));
    // The key is looked up before the index is parsed, as in Redis.
    let len = match ctx.db().get_quiet(key).map(|e| &e.value) {
        None => return Err(err::NO_SUCH_KEY.into()),
        Some(Value::List(l)) => l.len(),
        Some(_) => return Err(err::WRONGTYPE.into()),
    };
    let i = ctx.arg_i64(2)?;
    let db = ctx.db();
    let i = usize::try_from(index(i, len)).ok().filter(|&i| i < len).ok_or(CmdError::from(err::OUT_OF_RANGE))?;
    write(db, key)?.set(i, value);
    ctx.out.ok();
    Ok(())
}

fn linsert(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, pivot, value) = (ctx.arg(1), ctx.arg(3), ctx.arg(4));
    let after = if ctx.arg_is(2, "AFTER") {
        true
    } else if ctx.arg_is(2, "BEFORE") {
        false
    } else {
        return Err(err::SYNTAX.into());
    };
    let db = ctx.db();
    let pos = match db.get_quiet(key).map(|e| &e.value) {
        None => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(Value::List(l)) => l.iter().position(|e| e == pivot),
        Some(_) => return Err(err::WRONGTYPE.into()),
    };
    let Some(pos) = pos else {
        ctx.out.int(-1);
        return Ok(());
    };
    let l = write(db, key)?;
    l.insert(pos + usize::from(after), value);
    let n = l.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn lrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, elem) = (ctx.arg(1), ctx.arg(3));
    let count = ctx.arg_i64(2)?;
    let db = ctx.db();
    let matches = match db.get_quiet(key).map(|e| &e.value) {
        None => 0,
        Some(Value::List(l)) => l.iter().filter(|e| *e == elem).count(),
        Some(_) => return Err(err::WRONGTYPE.into()),
    };
    let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
    let removing = matches.min(limit);
    if removing > 0 {
        let l = write(db, key)?;
        let kept: Vec<Vec<u8>> = if count >= 0 {
            let mut left = removing;
            l.iter()
                .filter(|e| {
                    !(left > 0 && *e == elem && {
                        left -= 1;
                        true
                    })
                })
                .map(<[u8]>::to_vec)
                .collect()
        } else {
            let mut left = removing;
            let mut v: Vec<Vec<u8>> = l
                .iter()
                .rev()
                .filter(|e| {
                    !(left > 0 && *e == elem && {
                        left -= 1;
                        true
                    })
                })
                .map(<[u8]>::to_vec)
                .collect();
            v.reverse();
            v
        };
        *l = List::from_items(kept.iter().map(Vec::as_slice));
        drop_if_empty(db, key);
    }
    ctx.out.int(removing as i64);
    Ok(())
}

fn ltrim(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let (start, stop) = (ctx.arg_i64(2)?, ctx.arg_i64(3)?);
    let db = ctx.db();
    let len = match db.get_quiet(key).map(|e| &e.value) {
        None => {
            ctx.out.ok();
            return Ok(());
        }
        Some(Value::List(l)) => l.len(),
        Some(_) => return Err(err::WRONGTYPE.into()),
    };
    let start = index(start, len).max(0);
    let stop = index(stop, len).min(len as i64 - 1);
    let l = write(db, key)?;
    if start > stop || start >= len as i64 {
        l.trim(0, 0);
    } else {
        l.trim(start as usize, stop as usize + 1);
    }
    drop_if_empty(db, key);
    ctx.out.ok();
    Ok(())
}

fn lpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, elem) = (ctx.arg(1), ctx.arg(2));
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0i64);
    let mut i = 3;
    while i < ctx.argc() {
        if i + 1 >= ctx.argc() {
            return Err(err::SYNTAX.into());
        }
        if ctx.arg_is(i, "RANK") {
            rank = ctx.arg_i64(i + 1)?;
            if rank == 0 {
                return Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into());
            }
        } else if ctx.arg_is(i, "COUNT") {
            // Not a number gets the same error as a negative one (getPositiveLong...).
            let n = parse_i64(ctx.arg(i + 1)).filter(|&n| n >= 0).ok_or(CmdError::from("ERR COUNT can't be negative"))?;
            count = Some(n);
        } else if ctx.arg_is(i, "MAXLEN") {
            maxlen = parse_i64(ctx.arg(i + 1)).filter(|&n| n >= 0).ok_or(CmdError::from("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 2;
    }
    let db = ctx.db_index();
    let Some(l) = read(&mut ctx.srv.dbs[db], key)? else {
        match count {
            Some(_) => ctx.out.empty_array(),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let len = l.len();
    let scan = if maxlen == 0 { len } else { len.min(usize::try_from(maxlen).unwrap_or(usize::MAX)) };
    let want = match count {
        Some(0) => usize::MAX,
        // Redis negates RANK in a signed long: the most negative one stays negative, every
        // match from the tail counts, and the COUNT test overflows so no COUNT ends it.
        Some(_) if rank == i64::MIN => usize::MAX,
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => 1,
    };
    // Matches to skip before the first reported (RANK 2 skips one).
    let mut skip = if rank == i64::MIN { 0 } else { rank.unsigned_abs() - 1 };
    let mut found = Vec::new();
    let positions: Box<dyn Iterator<Item = (usize, &[u8])>> = if rank > 0 {
        Box::new(l.iter().enumerate().take(scan))
    } else {
        Box::new(l.iter().rev().enumerate().take(scan).map(|(k, e)| (len - 1 - k, e)))
    };
    for (p, e) in positions {
        if e == elem {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            found.push(p);
            if found.len() >= want {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for p in found {
                ctx.out.int(p as i64);
            }
        }
        None => match found.first() {
            Some(&p) => ctx.out.int(p as i64),
            None => ctx.out.null(),
        },
    }
    Ok(())
}

/// LMOVE's work once arguments are parsed: None when the source is empty.
fn move_one(db: &mut Db, src: &[u8], dst: &[u8], from: End, to: End) -> Result<Option<Vec<u8>>, CmdError> {
    if !is_list(db, src)? {
        return Ok(None);
    }
    is_list(db, dst)?;
    let e = pop_n(db, src, from, 1)?.pop().expect("a list is never empty");
    write(db, dst)?.push(to, &e);
    Ok(Some(e))
}

fn lmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let (from, to) = (end_arg(ctx, 3)?, end_arg(ctx, 4)?);
    match move_one(ctx.db(), src, dst, from, to)? {
        Some(e) => ctx.out.bulk(&e),
        None => ctx.out.null(),
    }
    Ok(())
}

fn rpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    match move_one(ctx.db(), src, dst, End::Tail, End::Head)? {
        Some(e) => ctx.out.bulk(&e),
        None => ctx.out.null(),
    }
    Ok(())
}

/// Pops from the first non-empty list of `keys` and replies [key, [elements]]; logs it as
/// LPOP/RPOP key count. False when every list is empty.
fn mpop_first(ctx: &mut Ctx<'_>, keys: &[Vec<u8>], end: End, count: usize) -> Result<bool, CmdError> {
    for key in keys {
        if is_list(ctx.db(), key)? {
            let v = pop_n(ctx.db(), key, end, count)?;
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.array(v.len());
            for e in &v {
                ctx.out.bulk(e);
            }
            let n = v.len().to_string();
            ctx.log_as(&[if end == End::Head { b"LPOP" } else { b"RPOP" }, key, n.as_bytes()]);
            return Ok(true);
        }
    }
    Ok(false)
}

fn lmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, right, count) = block::mpop_args(ctx, 1, ("LEFT", "RIGHT"))?;
    let end = if right { End::Tail } else { End::Head };
    if !mpop_first(ctx, &keys, end, count)? {
        ctx.out.null_array();
    }
    Ok(())
}

fn bpop(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let keys: Vec<Vec<u8>> = (1..ctx.argc() - 1).map(|i| ctx.arg(i).to_vec()).collect();
    let timeout_at = ctx.argc() - 1;
    let ks = keys.clone();
    block::run(
        ctx,
        timeout_at,
        keys,
        Wants::List,
        |c| c.out.null_array(),
        move |ctx| {
            for key in &ks {
                if is_list(ctx.db(), key)? {
                    let e = pop_n(ctx.db(), key, end, 1)?.pop().expect("a list is never empty");
                    ctx.out.array(2);
                    ctx.out.bulk(key);
                    ctx.out.bulk(&e);
                    ctx.log_as(&[if end == End::Head { &b"LPOP"[..] } else { b"RPOP" }, key]);
                    return Ok(true);
                }
            }
            Ok(false)
        },
    )
}

fn blpop(ctx: &mut Ctx<'_>) -> CmdResult {
    bpop(ctx, End::Head)
}

fn brpop(ctx: &mut Ctx<'_>) -> CmdResult {
    bpop(ctx, End::Tail)
}

fn bmove(ctx: &mut Ctx<'_>, from: End, to: End, timeout_at: usize) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    block::run(
        ctx,
        timeout_at,
        vec![src.to_vec()],
        Wants::List,
        |c| c.out.null(),
        move |ctx| match move_one(ctx.db(), src, dst, from, to)? {
            Some(e) => {
                ctx.out.bulk(&e);
                let word = |e: End| if e == End::Head { &b"LEFT"[..] } else { b"RIGHT" };
                ctx.log_as(&[b"LMOVE", src, dst, word(from), word(to)]);
                Ok(true)
            }
            None => Ok(false),
        },
    )
}

fn blmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let (from, to) = (end_arg(ctx, 3)?, end_arg(ctx, 4)?);
    bmove(ctx, from, to, 5)
}

fn brpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    bmove(ctx, End::Tail, End::Head, 3)
}

fn blmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, right, count) = block::mpop_args(ctx, 2, ("LEFT", "RIGHT"))?;
    let end = if right { End::Tail } else { End::Head };
    let ks = keys.clone();
    block::run(ctx, 1, keys, Wants::List, |c| c.out.null_array(), move |ctx| mpop_first(ctx, &ks, end, count))
}

const KS_RO: &[KeySpec] = &[KeySpec::index(kflags::RO, 1, 0, 1)];
const KS_INSERT: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::INSERT, 1, 0, 1)];
const KS_UPDATE: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::UPDATE, 1, 0, 1)];
const KS_DELETE: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1)];
const KS_MOVE: &[KeySpec] =
    &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1), KeySpec::index(kflags::RW | kflags::INSERT, 2, 0, 1)];
const KS_BPOP: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, -2, 1)];
const KS_MPOP: &[KeySpec] = &[KeySpec::new(
    kflags::RW | kflags::ACCESS | kflags::DELETE,
    BeginSearch::Index(1),
    FindKeys::Keynum { keynum_idx: 0, first_key: 1, step: 1 },
)];
const KS_BMPOP: &[KeySpec] = &[KeySpec::new(
    kflags::RW | kflags::ACCESS | kflags::DELETE,
    BeginSearch::Index(2),
    FindKeys::Keynum { keynum_idx: 0, first_key: 1, step: 1 },
)];

const W: u32 = flags::WRITE;
const WF: u32 = flags::WRITE | flags::FAST;
const WDF: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const RO: u32 = flags::READONLY;
const BLK: u32 = flags::WRITE | flags::BLOCKING;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, lpush).flags(WDF).acl(acl::WRITE | acl::LIST | acl::FAST).keys(KS_INSERT, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("rpush", -3, rpush).flags(WDF).acl(acl::WRITE | acl::LIST | acl::FAST).keys(KS_INSERT, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("lpushx", -3, lpushx)
        .flags(WDF)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(KS_INSERT, (1, 1, 1))
        .doc("list", "2.2.0"),
    CommandSpec::new("rpushx", -3, rpushx)
        .flags(WDF)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(KS_INSERT, (1, 1, 1))
        .doc("list", "2.2.0"),
    CommandSpec::new("lpop", -2, lpop).flags(WF).acl(acl::WRITE | acl::LIST | acl::FAST).keys(KS_DELETE, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("rpop", -2, rpop).flags(WF).acl(acl::WRITE | acl::LIST | acl::FAST).keys(KS_DELETE, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("llen", 2, llen)
        .flags(RO | flags::FAST)
        .acl(acl::READ | acl::LIST | acl::FAST)
        .keys(KS_RO, (1, 1, 1))
        .doc("list", "1.0.0"),
    CommandSpec::new("lrange", 4, lrange).flags(RO).acl(acl::READ | acl::LIST | acl::SLOW).keys(KS_RO, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("lindex", 3, lindex).flags(RO).acl(acl::READ | acl::LIST | acl::SLOW).keys(KS_RO, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("lset", 4, lset)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(KS_UPDATE, (1, 1, 1))
        .doc("list", "1.0.0"),
    CommandSpec::new("linsert", 5, linsert)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(KS_INSERT, (1, 1, 1))
        .doc("list", "2.2.0"),
    CommandSpec::new("lrem", 4, lrem).flags(W).acl(acl::WRITE | acl::LIST | acl::SLOW).keys(KS_DELETE, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("ltrim", 4, ltrim).flags(W).acl(acl::WRITE | acl::LIST | acl::SLOW).keys(KS_DELETE, (1, 1, 1)).doc("list", "1.0.0"),
    CommandSpec::new("lpos", -3, lpos).flags(RO).acl(acl::READ | acl::LIST | acl::SLOW).keys(KS_RO, (1, 1, 1)).doc("list", "6.0.6"),
    CommandSpec::new("lmove", 5, lmove)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(KS_MOVE, (1, 2, 1))
        .doc("list", "6.2.0"),
    CommandSpec::new("rpoplpush", 3, rpoplpush)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(KS_MOVE, (1, 2, 1))
        .doc("list", "1.2.0"),
    CommandSpec::new("lmpop", -4, lmpop)
        .flags(W | flags::MOVABLEKEYS)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(KS_MPOP, (0, 0, 0))
        .doc("list", "7.0.0"),
    CommandSpec::new("blpop", -3, blpop)
        .flags(BLK)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(KS_BPOP, (1, -2, 1))
        .doc("list", "2.0.0"),
    CommandSpec::new("brpop", -3, brpop)
        .flags(BLK)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(KS_BPOP, (1, -2, 1))
        .doc("list", "2.0.0"),
    CommandSpec::new("blmove", 6, blmove)
        .flags(BLK | flags::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(KS_MOVE, (1, 2, 1))
        .doc("list", "6.2.0"),
    CommandSpec::new("brpoplpush", 4, brpoplpush)
        .flags(BLK | flags::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(KS_MOVE, (1, 2, 1))
        .doc("list", "2.2.0"),
    CommandSpec::new("blmpop", -5, blmpop)
        .flags(BLK | flags::MOVABLEKEYS)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(KS_BMPOP, (0, 0, 0))
        .doc("list", "7.0.0"),
];
