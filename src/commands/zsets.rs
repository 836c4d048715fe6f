//! Sorted-set commands. Writes are logged as they are: their effects depend only on the data
//! (ZADD INCR and ZINCRBY add the same doubles again on replay). The exceptions are the
//! blocking pops, logged as ZPOPMIN/ZPOPMAX with a count, and ZMPOP likewise. A sorted set
//! left empty is deleted, as in Redis.
//!
//! Ranges (by rank, score or member) all become a span of ranks through the type's
//! `partition_point`, so one code path serves ZRANGE's every form, ZCOUNT, ZLEXCOUNT and
//! the ZREMRANGEBY* commands.

use super::access;
use super::block;
use super::keys::scan_reply;
use super::spec::{acl, flags, kflags, BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{Db, SetTtl, Value};
use crate::executor::blocking::Wants;
use crate::types::zset::{Limits, ZSet};
use crate::util::glob::glob_match;
use crate::util::num::{fmt_g17, fmt_i64, parse_f64_lax, parse_i64};

fn read<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a ZSet>, CmdError> {
    access::read(db, key)
}

fn is_zset(db: &mut Db, key: &[u8]) -> Result<bool, CmdError> {
    access::exists::<ZSet>(db, key)
}

/// The sorted set at `key` for writing; created with `hint` (size, longest member) if absent.
fn write<'a>(db: &'a mut Db, key: &[u8], hint: (usize, usize), limits: Limits) -> Result<&'a mut ZSet, CmdError> {
    access::write_with(db, key, || Value::ZSet(Box::new(ZSet::with_hint(hint.0, hint.1, limits))))
}

fn drop_if_empty(db: &mut Db, key: &[u8]) {
    access::drop_if_empty::<ZSet>(db, key);
}

/// A score as ZSCAN prints it (Redis's `d2string`): integral values as integers.
fn score_text(s: f64, out: &mut Vec<u8>) {
    if s.is_infinite() {
        out.extend_from_slice(if s > 0.0 { b"inf" } else { b"-inf" });
    } else if s == 0.0 && s.is_sign_negative() {
        out.extend_from_slice(b"-0");
    } else if s.fract() == 0.0 && s.abs() < 9.2e18 {
        fmt_i64(s as i64, out);
    } else {
        fmt_g17(s, out);
    }
}

/// Replies (member, score) pairs: flat in RESP2, as pairs in RESP3.
fn reply_pairs(out: &mut crate::protocol::Out, pairs: &[(&[u8], f64)], withscores: bool) {
    if !withscores {
        out.array(pairs.len());
        for (m, _) in pairs {
            out.bulk(m);
        }
    } else if out.resp3 {
        out.array(pairs.len());
        for (m, s) in pairs {
            out.array(2);
            out.bulk(m);
            out.double(*s);
        }
    } else {
        out.array(pairs.len() * 2);
        for (m, s) in pairs {
            out.bulk(m);
            out.double(*s);
        }
    }
}

// ---- ZADD, ZINCRBY, ZREM ----

#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What one ZADD pair did: Some(new score) when it added or updated.
fn add_one(z: &mut ZSet, member: &[u8], score: f64, f: AddFlags, limits: Limits) -> Result<(Option<f64>, bool, bool), CmdError> {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Ok((None, false, false));
            }
            let new = if f.incr { cur + score } else { score };
            if new.is_nan() {
                return Err("ERR resulting score is not a number (NaN)".into());
            }
            if (f.lt && new >= cur) || (f.gt && new <= cur) {
                return Ok((None, false, false));
            }
            let changed = new != cur;
            if changed {
                z.set(member, new, limits);
            }
            Ok((Some(new), false, changed))
        }
        None => {
            if f.xx {
                return Ok((None, false, false));
            }
            z.set(member, score, limits);
            Ok((Some(score), true, false))
        }
    }
}

fn zadd_generic(ctx: &mut Ctx<'_>, mut f: AddFlags, first: usize) -> CmdResult {
    let key = ctx.arg(1);
    let mut i = first;
    while i < ctx.argc() {
        let a = ctx.arg(i);
        let set = |w: &str| a.eq_ignore_ascii_case(w.as_bytes());
        if set("NX") {
            f.nx = true;
        } else if set("XX") {
            f.xx = true;
        } else if set("GT") {
            f.gt = true;
        } else if set("LT") {
            f.lt = true;
        } else if set("CH") {
            f.ch = true;
        } else if set("INCR") {
            f.incr = true;
        } else {
            break;
        }
        i += 1;
    }
    let n = ctx.argc() - i;
    if n == 0 || n % 2 != 0 {
        return Err(err::SYNTAX.into());
    }
    if f.nx && f.xx {
        return Err("ERR XX and NX options at the same time are not compatible".into());
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err("ERR GT, LT, and/or NX options at the same time are not compatible".into());
    }
    if f.incr && n > 2 {
        return Err("ERR INCR option supports a single increment-element pair".into());
    }
    let mut pairs = Vec::with_capacity(n / 2);
    for j in (i..ctx.argc()).step_by(2) {
        pairs.push((ctx.arg_f64(j)?, ctx.arg(j + 1)));
    }
    let limits = ctx.srv.config.zset_limits;
    let db = ctx.db();
    let exists = is_zset(db, key)?;
    let (mut added, mut changed, mut last) = (0, 0, None);
    if exists || !f.xx {
        let longest = pairs.iter().map(|p| p.1.len()).max().unwrap_or(0);
        let z = write(db, key, (pairs.len(), longest), limits)?;
        for (s, m) in &pairs {
            let (new, a, c) = add_one(z, m, *s, f, limits)?;
            added += usize::from(a);
            changed += usize::from(c);
            last = new;
        }
        drop_if_empty(db, key);
    }
    if f.incr {
        match last {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.int((added + if f.ch { changed } else { 0 }) as i64);
    }
    Ok(())
}

fn zadd(ctx: &mut Ctx<'_>) -> CmdResult {
    zadd_generic(ctx, AddFlags::default(), 2)
}

fn zincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    zadd_generic(ctx, AddFlags { incr: true, ..AddFlags::default() }, 2)
}

fn zrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let limits = ctx.srv.config.zset_limits;
    let db = ctx.db();
    if !is_zset(db, key)? {
        ctx.out.int(0);
        return Ok(());
    }
    let z = write(db, key, (0, 0), limits)?;
    let n = (2..args.len()).filter(|&i| z.remove(args.get(i))).count();
    drop_if_empty(db, key);
    ctx.out.int(n as i64);
    Ok(())
}

// ---- Reads of single members ----

fn zcard(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let n = read(ctx.db(), key)?.map_or(0, ZSet::len);
    ctx.out.int(n as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let (key, m) = (ctx.arg(1), ctx.arg(2));
    match read(ctx.db(), key)?.and_then(|z| z.score(m)) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let args = ctx.args;
    let db = ctx.db_index();
    let z = read(&mut ctx.srv.dbs[db], key)?;
    ctx.out.array(args.len() - 2);
    for i in 2..args.len() {
        match z.and_then(|z| z.score(args.get(i))) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn rank(ctx: &mut Ctx<'_>, rev: bool) -> CmdResult {
    let (key, m) = (ctx.arg(1), ctx.arg(2));
    let found = read(ctx.db(), key)?.and_then(|z| z.rank(m).map(|r| if rev { z.len() - 1 - r } else { r }));
    match found {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx<'_>) -> CmdResult {
    rank(ctx, false)
}

fn zrevrank(ctx: &mut Ctx<'_>) -> CmdResult {
    rank(ctx, true)
}

// ---- Ranges ----

/// A score bound: the value and whether it is exclusive.
#[derive(Clone, Copy)]
struct ScoreBound(f64, bool);

fn score_bound(b: &[u8]) -> Option<ScoreBound> {
    match b.strip_prefix(b"(") {
        Some(rest) => parse_f64_lax(rest).map(|v| ScoreBound(v, true)),
        None => parse_f64_lax(b).map(|v| ScoreBound(v, false)),
    }
}

/// A lex bound: minus / plus infinity, or a member, inclusive or not.
#[derive(Clone)]
enum LexBound {
    Min,
    Max,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

fn lex_bound(b: &[u8]) -> Option<LexBound> {
    match b.first() {
        Some(b'-') if b.len() == 1 => Some(LexBound::Min),
        Some(b'+') if b.len() == 1 => Some(LexBound::Max),
        Some(b'[') => Some(LexBound::Incl(b[1..].to_vec())),
        Some(b'(') => Some(LexBound::Excl(b[1..].to_vec())),
        _ => None,
    }
}

/// A parsed range, as ZRANGE's three kinds take it.
#[derive(Clone)]
enum Range {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

const SCORE_RANGE_ERR: &str = "ERR min or max is not a float";
const LEX_RANGE_ERR: &str = "ERR min or max not valid string range item";

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<Range, CmdError> {
    match (score_bound(min), score_bound(max)) {
        (Some(a), Some(b)) => Ok(Range::Score(a, b)),
        _ => Err(SCORE_RANGE_ERR.into()),
    }
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<Range, CmdError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(a), Some(b)) => Ok(Range::Lex(a, b)),
        _ => Err(LEX_RANGE_ERR.into()),
    }
}

/// The ranks `lo..hi` a score or lex range covers (a rank range is normalized as Redis does).
fn span(z: &ZSet, r: &Range) -> (usize, usize) {
    let len = z.len();
    match r {
        Range::Rank(start, end) => {
            let n = len as i64;
            let mut s = if *start < 0 { n + start } else { *start };
            let mut e = if *end < 0 { n + end } else { *end };
            s = s.max(0);
            if s > e || s >= n {
                return (0, 0);
            }
            e = e.min(n - 1);
            (s as usize, e as usize + 1)
        }
        Range::Score(min, max) => {
            let lo = z.partition_point(|s, _| if min.1 { s <= min.0 } else { s < min.0 });
            let hi = z.partition_point(|s, _| if max.1 { s < max.0 } else { s <= max.0 });
            (lo, hi.max(lo))
        }
        Range::Lex(min, max) => {
            let lo = match min {
                LexBound::Min => 0,
                LexBound::Max => len,
                LexBound::Incl(b) => z.partition_point(|_, m| m < b.as_slice()),
                LexBound::Excl(b) => z.partition_point(|_, m| m <= b.as_slice()),
            };
            let hi = match max {
                LexBound::Min => 0,
                LexBound::Max => len,
                LexBound::Incl(b) => z.partition_point(|_, m| m <= b.as_slice()),
                LexBound::Excl(b) => z.partition_point(|_, m| m < b.as_slice()),
            };
            (lo, hi.max(lo))
        }
    }
}

/// The members a ZRANGE-style query returns, in reply order.
fn select<'z>(z: &'z ZSet, r: &Range, rev: bool, limit: Option<(i64, i64)>) -> Vec<(&'z [u8], f64)> {
    let (lo, hi) = if rev {
        match r {
            // REV by rank counts ranks from the end.
            Range::Rank(..) => {
                let (a, b) = span(z, r);
                (z.len() - b, z.len() - a)
            }
            _ => span(z, r),
        }
    } else {
        span(z, r)
    };
    let n = hi - lo;
    // A rank range takes no LIMIT (only `LIMIT x -1` gets this far, and Redis ignores it).
    let limit = if matches!(r, Range::Rank(..)) { None } else { limit };
    let (offset, count) = match limit {
        // A negative offset returns nothing; a negative count, everything after it.
        Some((o, _)) if o < 0 => return Vec::new(),
        Some((o, c)) => {
            (usize::try_from(o).unwrap_or(usize::MAX), if c < 0 { usize::MAX } else { usize::try_from(c).unwrap_or(usize::MAX) })
        }
        None => (0, usize::MAX),
    };
    if offset >= n {
        return Vec::new();
    }
    let take = count.min(n - offset);
    if rev {
        z.iter_rev_from(hi - 1 - offset).take(take).collect()
    } else {
        z.iter_from(lo + offset).take(take).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// ZRANGE and its older forms: `kind` and `rev` are fixed by the older commands, Auto for
/// ZRANGE/ZRANGESTORE. `src` is the source key's position; a store writes to argument 1.
fn zrange_generic(ctx: &mut Ctx<'_>, src: usize, kind: Kind, rev: Option<bool>, store: bool) -> CmdResult {
    let key = ctx.arg(src);
    let (mut kind, mut rev_opt) = (kind, rev);
    let (mut withscores, mut limit) = (false, None);
    let mut i = src + 3;
    while i < ctx.argc() {
        let left = ctx.argc() - i - 1;
        if !store && ctx.arg_is(i, "WITHSCORES") {
            withscores = true;
        } else if ctx.arg_is(i, "LIMIT") && left >= 2 {
            limit = Some((ctx.arg_i64(i + 1)?, ctx.arg_i64(i + 2)?));
            i += 2;
        } else if rev_opt.is_none() && ctx.arg_is(i, "REV") {
            rev_opt = Some(true);
        } else if kind == Kind::Auto && ctx.arg_is(i, "BYLEX") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && ctx.arg_is(i, "BYSCORE") {
            kind = Kind::Score;
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 1;
    }
    let rev = rev_opt.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if kind == Kind::Rank && limit.is_some_and(|(_, c)| c != -1) {
        return Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX".into());
    }
    if withscores && kind == Kind::Lex {
        return Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX".into());
    }
    let (mut a, mut b) = (ctx.arg(src + 1), ctx.arg(src + 2));
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut a, &mut b);
    }
    let range = match kind {
        Kind::Score => parse_score_range(a, b)?,
        Kind::Lex => parse_lex_range(a, b)?,
        _ => Range::Rank(parse_i64(a).ok_or(CmdError::from(err::NOT_INTEGER))?, parse_i64(b).ok_or(CmdError::from(err::NOT_INTEGER))?),
    };
    let db_index = ctx.db_index();
    if store {
        let dst = ctx.arg(1);
        let limits = ctx.srv.config.zset_limits;
        let db = &mut ctx.srv.dbs[db_index];
        let picked: Vec<(Vec<u8>, f64)> = match read(db, key)? {
            Some(z) => select(z, &range, rev, limit).into_iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            None => Vec::new(),
        };
        store_result(db, dst, &picked, limits);
        ctx.out.int(picked.len() as i64);
        return Ok(());
    }
    let Some(z) = read(&mut ctx.srv.dbs[db_index], key)? else {
        ctx.out.empty_array();
        return Ok(());
    };
    let picked = select(z, &range, rev, limit);
    reply_pairs(ctx.out, &picked, withscores);
    Ok(())
}

/// Stores a result set at `dst` (deleting it when empty), packed if it fits the limits.
fn store_result(db: &mut Db, dst: &[u8], pairs: &[(Vec<u8>, f64)], limits: Limits) {
    if pairs.is_empty() {
        db.remove(dst);
        return;
    }
    let longest = pairs.iter().map(|p| p.0.len()).max().unwrap_or(0);
    let mut z = ZSet::with_hint(pairs.len(), longest, limits);
    for (m, s) in pairs {
        z.set(m, *s, limits);
    }
    db.set(dst, Value::ZSet(Box::new(z)), SetTtl::Clear);
}

fn zrange(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, Kind::Auto, None, false)
}

fn zrangestore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 2, Kind::Auto, None, true)
}

fn zrevrange(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, Kind::Rank, Some(true), false)
}

fn zrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, Kind::Score, Some(false), false)
}

fn zrevrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, Kind::Score, Some(true), false)
}

fn zrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, Kind::Lex, Some(false), false)
}

fn zrevrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, Kind::Lex, Some(true), false)
}

fn count_in(ctx: &mut Ctx<'_>, range: Range) -> CmdResult {
    let key = ctx.arg(1);
    let n = read(ctx.db(), key)?.map_or(0, |z| {
        let (lo, hi) = span(z, &range);
        hi - lo
    });
    ctx.out.int(n as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let r = parse_score_range(ctx.arg(2), ctx.arg(3))?;
    count_in(ctx, r)
}

fn zlexcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let r = parse_lex_range(ctx.arg(2), ctx.arg(3))?;
    count_in(ctx, r)
}

fn remove_range(ctx: &mut Ctx<'_>, range: Range) -> CmdResult {
    let key = ctx.arg(1);
    let limits = ctx.srv.config.zset_limits;
    let db = ctx.db();
    let (lo, hi) = match db.get_quiet(key).map(|e| &e.value) {
        None => (0, 0),
        Some(Value::ZSet(z)) => span(z, &range),
        Some(_) => return Err(err::WRONGTYPE.into()),
    };
    if hi > lo {
        write(db, key, (0, 0), limits)?.remove_ranks(lo, hi);
        drop_if_empty(db, key);
    }
    ctx.out.int((hi - lo) as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx<'_>) -> CmdResult {
    let r = Range::Rank(ctx.arg_i64(2)?, ctx.arg_i64(3)?);
    remove_range(ctx, r)
}

fn zremrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let r = parse_score_range(ctx.arg(2), ctx.arg(3))?;
    remove_range(ctx, r)
}

fn zremrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    let r = parse_lex_range(ctx.arg(2), ctx.arg(3))?;
    remove_range(ctx, r)
}

// ---- Pops ----

/// Pops up to `count` members from the low (min) or high end of an existing set.
fn pop_n(db: &mut Db, key: &[u8], max: bool, count: usize, limits: Limits) -> Result<Vec<(Vec<u8>, f64)>, CmdError> {
    if !is_zset(db, key)? {
        return Ok(Vec::new());
    }
    let z = write(db, key, (0, 0), limits)?;
    let n = count.min(z.len());
    let (lo, hi) = if max { (z.len() - n, z.len()) } else { (0, n) };
    let mut v: Vec<(Vec<u8>, f64)> = z.iter_from(lo).take(n).map(|(m, s)| (m.to_vec(), s)).collect();
    z.remove_ranks(lo, hi);
    if max {
        v.reverse();
    }
    drop_if_empty(db, key);
    Ok(v)
}

fn zpop(ctx: &mut Ctx<'_>, max: bool) -> CmdResult {
    let key = ctx.arg(1);
    let count = match ctx.argc() {
        2 => None,
        3 => Some(match parse_i64(ctx.arg(2)) {
            Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Err("ERR value is out of range, must be positive".into()),
        }),
        _ => return Err(err::SYNTAX.into()),
    };
    let limits = ctx.srv.config.zset_limits;
    let v = pop_n(ctx.db(), key, max, count.unwrap_or(1), limits)?;
    let refs: Vec<(&[u8], f64)> = v.iter().map(|(m, s)| (m.as_slice(), *s)).collect();
    if count.is_none() && ctx.out.resp3 {
        // One pair, flat, as Redis replies without a count.
        ctx.out.array(refs.len() * 2);
        for (m, s) in &refs {
            ctx.out.bulk(m);
            ctx.out.double(*s);
        }
    } else {
        reply_pairs(ctx.out, &refs, true);
    }
    Ok(())
}

fn zpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop(ctx, false)
}

fn zpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop(ctx, true)
}

/// Pops from the first non-empty set of `keys`: replies [key, [[member, score], ...]] and
/// logs ZPOPMIN/ZPOPMAX key count. False when all are empty.
fn mpop_first(ctx: &mut Ctx<'_>, keys: &[Vec<u8>], max: bool, count: usize) -> Result<bool, CmdError> {
    let limits = ctx.srv.config.zset_limits;
    for key in keys {
        if is_zset(ctx.db(), key)? {
            let v = pop_n(ctx.db(), key, max, count, limits)?;
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.array(v.len());
            for (m, s) in &v {
                ctx.out.array(2);
                ctx.out.bulk(m);
                ctx.out.double(*s);
            }
            let n = v.len().to_string();
            ctx.log_as(&[if max { b"ZPOPMAX" } else { b"ZPOPMIN" }, key, n.as_bytes()]);
            return Ok(true);
        }
    }
    Ok(false)
}

fn zmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, max, count) = block::mpop_args(ctx, 1, ("MIN", "MAX"))?;
    if !mpop_first(ctx, &keys, max, count)? {
        ctx.out.null_array();
    }
    Ok(())
}

fn bzpop(ctx: &mut Ctx<'_>, max: bool) -> CmdResult {
    let keys: Vec<Vec<u8>> = (1..ctx.argc() - 1).map(|i| ctx.arg(i).to_vec()).collect();
    let timeout_at = ctx.argc() - 1;
    let ks = keys.clone();
    let limits = ctx.srv.config.zset_limits;
    block::run(
        ctx,
        timeout_at,
        keys,
        Wants::ZSet,
        |c| c.out.null_array(),
        move |ctx| {
            for key in &ks {
                if is_zset(ctx.db(), key)? {
                    let (m, s) = pop_n(ctx.db(), key, max, 1, limits)?.pop().expect("a sorted set is never empty");
                    ctx.out.array(3);
                    ctx.out.bulk(key);
                    ctx.out.bulk(&m);
                    ctx.out.double(s);
                    ctx.log_as(&[if max { b"ZPOPMAX" } else { b"ZPOPMIN" }, key]);
                    return Ok(true);
                }
            }
            Ok(false)
        },
    )
}

fn bzpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    bzpop(ctx, false)
}

fn bzpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    bzpop(ctx, true)
}

fn bzmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, max, count) = block::mpop_args(ctx, 2, ("MIN", "MAX"))?;
    let ks = keys.clone();
    block::run(ctx, 1, keys, Wants::ZSet, |c| c.out.null_array(), move |ctx| mpop_first(ctx, &ks, max, count))
}

// ---- ZRANDMEMBER, ZSCAN ----

fn zrandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let (count, withscores) = access::random_args(ctx, Some("WITHSCORES"))?;
    let rng = std::rc::Rc::clone(&ctx.srv.clock);
    let db = ctx.db_index();
    let Some(z) = read(&mut ctx.srv.dbs[db], key)? else {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.empty_array(),
        }
        return Ok(());
    };
    let picked: Vec<(&[u8], f64)> = access::random_positions(z.len(), count, &rng).into_iter().map(|p| z.at_position(p)).collect();
    match count {
        None => ctx.out.bulk(picked[0].0),
        Some(_) => reply_pairs(ctx.out, &picked, withscores),
    }
    Ok(())
}

fn zscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let Some((cursor, count, pat)) = access::scan_start::<ZSet>(ctx)? else { return Ok(()) };
    let db = ctx.db_index();
    let Some(z) = read(&mut ctx.srv.dbs[db], key)? else { unreachable!("checked") };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut keep = |m: &[u8], s: f64| {
        if pat.is_none_or(|p| glob_match(p, m, false)) {
            found.push(m.to_vec());
            let mut t = Vec::new();
            score_text(s, &mut t);
            found.push(t);
        }
    };
    let next = match z.dict() {
        None => {
            for (m, s) in z.iter_from(0) {
                keep(m, s);
            }
            0
        }
        Some(d) => d.scan(cursor, count, |m, &s| keep(m, s)),
    };
    scan_reply(ctx, next, &found);
    Ok(())
}

// ---- ZUNION, ZINTER, ZDIFF and their stores ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(acc: &mut f64, v: f64, a: Aggregate) {
    match a {
        Aggregate::Sum => {
            *acc += v;
            // inf + -inf: Redis makes it 0 rather than keep a NaN.
            if acc.is_nan() {
                *acc = 0.0;
            }
        }
        Aggregate::Min => *acc = acc.min(v),
        Aggregate::Max => *acc = acc.max(v),
    }
}

/// One input: a sorted set's members and scores, or a set's members with score 1.
fn input_pairs(v: Option<&Value>) -> Result<Vec<(Vec<u8>, f64)>, CmdError> {
    Ok(match v {
        None => Vec::new(),
        Some(Value::ZSet(z)) => z.iter_from(0).map(|(m, s)| (m.to_vec(), s)).collect(),
        Some(Value::Set(s)) => s.iter().map(|m| (m.into_owned(), 1.0)).collect(),
        Some(_) => return Err(err::WRONGTYPE.into()),
    })
}

/// An input of a set operation: (member, score) pairs.
type Pairs = Vec<(Vec<u8>, f64)>;

fn inputs_of(db: &mut Db, keys: &[&[u8]]) -> Result<Vec<Pairs>, CmdError> {
    keys.iter().map(|k| input_pairs(db.get(k).map(|e| &e.value))).collect()
}

/// ZUNION/ZINTER/ZDIFF and the STORE forms. `first` is the numkeys position; a store
/// writes to argument 1.
fn combine(ctx: &mut Ctx<'_>, op: SetOp, first: usize, store: bool) -> CmdResult {
    let numkeys = ctx.arg_i64(first)?;
    if numkeys < 1 {
        return Err(format!("ERR at least 1 input key is needed for '{}' command", ctx.spec.full_name).into());
    }
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > ctx.argc() - first - 1 {
        return Err(err::SYNTAX.into());
    }
    let keys: Vec<&[u8]> = (first + 1..first + 1 + numkeys).map(|i| ctx.arg(i)).collect();
    // Every key is looked up (and type-checked) before the options are parsed, as in Redis.
    let inputs = inputs_of(ctx.db(), &keys)?;
    let mut weights = vec![1.0; numkeys];
    let (mut agg, mut withscores) = (Aggregate::Sum, false);
    let mut i = first + 1 + numkeys;
    while i < ctx.argc() {
        let left = ctx.argc() - i - 1;
        if op != SetOp::Diff && ctx.arg_is(i, "WEIGHTS") && left >= numkeys {
            for (k, w) in weights.iter_mut().enumerate() {
                *w = crate::util::num::parse_f64(ctx.arg(i + 1 + k)).ok_or(CmdError::from("ERR weight value is not a float"))?;
            }
            i += numkeys;
        } else if op != SetOp::Diff && ctx.arg_is(i, "AGGREGATE") && left >= 1 {
            agg = if ctx.arg_is(i + 1, "SUM") {
                Aggregate::Sum
            } else if ctx.arg_is(i + 1, "MIN") {
                Aggregate::Min
            } else if ctx.arg_is(i + 1, "MAX") {
                Aggregate::Max
            } else {
                return Err(err::SYNTAX.into());
            };
            i += 1;
        } else if !store && ctx.arg_is(i, "WITHSCORES") {
            withscores = true;
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 1;
    }
    let result = compute(op, inputs, &weights, agg);
    if store {
        let dst = ctx.arg(1);
        let limits = ctx.srv.config.zset_limits;
        let db = ctx.db();
        store_result(db, dst, &result, limits);
        ctx.out.int(result.len() as i64);
    } else {
        let refs: Vec<(&[u8], f64)> = result.iter().map(|(m, s)| (m.as_slice(), *s)).collect();
        reply_pairs(ctx.out, &refs, withscores);
    }
    Ok(())
}

/// The result of a set operation, ordered by (score, member).
fn compute(op: SetOp, inputs: Vec<Vec<(Vec<u8>, f64)>>, weights: &[f64], agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    use std::collections::HashMap;
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut out: Vec<(Vec<u8>, f64)> = match op {
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for (input, &w) in inputs.into_iter().zip(weights) {
                for (m, s) in input {
                    let v = weighted(s, w);
                    match acc.get_mut(&m) {
                        Some(a) => aggregate(a, v, agg),
                        None => {
                            acc.insert(m, v);
                        }
                    }
                }
            }
            acc.into_iter().collect()
        }
        SetOp::Inter => {
            if inputs.iter().any(Vec::is_empty) {
                return Vec::new();
            }
            let mut order: Vec<usize> = (0..inputs.len()).collect();
            order.sort_by_key(|&i| inputs[i].len());
            let maps: Vec<HashMap<&[u8], f64>> = inputs.iter().map(|v| v.iter().map(|(m, s)| (m.as_slice(), *s)).collect()).collect();
            let small = order[0];
            let mut res = Vec::new();
            'members: for (m, s) in &inputs[small] {
                let mut acc = weighted(*s, weights[small]);
                for &j in &order[1..] {
                    match maps[j].get(m.as_slice()) {
                        Some(&sj) => aggregate(&mut acc, weighted(sj, weights[j]), agg),
                        None => continue 'members,
                    }
                }
                res.push((m.clone(), acc));
            }
            res
        }
        SetOp::Diff => {
            let mut it = inputs.into_iter();
            let first = it.next().unwrap_or_default();
            let others: Vec<std::collections::HashSet<Vec<u8>>> = it.map(|v| v.into_iter().map(|p| p.0).collect()).collect();
            first.into_iter().filter(|(m, _)| !others.iter().any(|o| o.contains(m))).collect()
        }
    };
    out.sort_by(|a, b| crate::types::zset::cmp(a.1, &a.0, b.1, &b.0));
    out
}

fn zunion(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, SetOp::Union, 1, false)
}

fn zinter(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, SetOp::Inter, 1, false)
}

fn zdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, SetOp::Diff, 1, false)
}

fn zunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, SetOp::Union, 2, true)
}

fn zinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, SetOp::Inter, 2, true)
}

fn zdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    combine(ctx, SetOp::Diff, 2, true)
}

fn zintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    let numkeys = ctx.arg_i64(1)?;
    if numkeys < 1 {
        return Err("ERR at least 1 input key is needed for 'zintercard' command".into());
    }
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > ctx.argc() - 2 {
        return Err(err::SYNTAX.into());
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| ctx.arg(i)).collect();
    let inputs = inputs_of(ctx.db(), &keys)?;
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
    let n = compute(SetOp::Inter, inputs, &vec![1.0; numkeys], Aggregate::Sum).len().min(limit);
    ctx.out.int(n as i64);
    Ok(())
}

// ---- The table ----

const KS_RO: &[KeySpec] = &[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)];
const KS_RO_NA: &[KeySpec] = &[KeySpec::index(kflags::RO, 1, 0, 1)];
const KS_INSERT: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::UPDATE, 1, 0, 1)];
const KS_DELETE: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::DELETE, 1, 0, 1)];
const KS_POP: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1)];
const KS_BPOP: &[KeySpec] = &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, -2, 1)];
const KS_RANGESTORE: &[KeySpec] =
    &[KeySpec::index(kflags::OW | kflags::UPDATE, 1, 0, 1), KeySpec::index(kflags::RO | kflags::ACCESS, 2, 0, 1)];
const fn keynum(flags: u32, at: i32) -> KeySpec {
    KeySpec::new(flags, BeginSearch::Index(at), FindKeys::Keynum { keynum_idx: 0, first_key: 1, step: 1 })
}
const KS_NUMKEYS: &[KeySpec] = &[keynum(kflags::RO | kflags::ACCESS, 1)];
const KS_STORE: &[KeySpec] = &[KeySpec::index(kflags::OW | kflags::UPDATE, 1, 0, 1), keynum(kflags::RO | kflags::ACCESS, 2)];
const KS_MPOP: &[KeySpec] = &[keynum(kflags::RW | kflags::ACCESS | kflags::DELETE, 1)];
const KS_BMPOP: &[KeySpec] = &[keynum(kflags::RW | kflags::ACCESS | kflags::DELETE, 2)];

const RO: u32 = flags::READONLY;
const ROF: u32 = flags::READONLY | flags::FAST;
const WDF: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const ZR: u32 = acl::READ | acl::SORTEDSET | acl::SLOW;
const ZRF: u32 = acl::READ | acl::SORTEDSET | acl::FAST;
const ZW: u32 = acl::WRITE | acl::SORTEDSET | acl::SLOW;
const ZWF: u32 = acl::WRITE | acl::SORTEDSET | acl::FAST;
const BLK: u32 = flags::WRITE | flags::BLOCKING;
const ZB: u32 = acl::WRITE | acl::SORTEDSET | acl::SLOW | acl::BLOCKING;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, zadd).flags(WDF).acl(ZWF).keys(KS_INSERT, (1, 1, 1)).doc("sorted-set", "1.2.0"),
    CommandSpec::new("zincrby", 4, zincrby).flags(WDF).acl(ZWF).keys(KS_INSERT, (1, 1, 1)).doc("sorted-set", "1.2.0"),
    CommandSpec::new("zrem", -3, zrem).flags(flags::WRITE | flags::FAST).acl(ZWF).keys(KS_DELETE, (1, 1, 1)).doc("sorted-set", "1.2.0"),
    CommandSpec::new("zcard", 2, zcard).flags(ROF).acl(ZRF).keys(KS_RO_NA, (1, 1, 1)).doc("sorted-set", "1.2.0"),
    CommandSpec::new("zscore", 3, zscore).flags(ROF).acl(ZRF).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "1.2.0"),
    CommandSpec::new("zmscore", -3, zmscore).flags(ROF).acl(ZRF).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "6.2.0"),
    CommandSpec::new("zrank", 3, zrank).flags(ROF).acl(ZRF).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "2.0.0"),
    CommandSpec::new("zrevrank", 3, zrevrank).flags(ROF).acl(ZRF).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "2.0.0"),
    CommandSpec::new("zcount", 4, zcount).flags(ROF).acl(ZRF).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "2.0.0"),
    CommandSpec::new("zlexcount", 4, zlexcount).flags(ROF).acl(ZRF).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "2.8.9"),
    CommandSpec::new("zrange", -4, zrange).flags(RO).acl(ZR).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "1.2.0"),
    CommandSpec::new("zrangestore", -5, zrangestore)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(ZW)
        .keys(KS_RANGESTORE, (1, 2, 1))
        .doc("sorted-set", "6.2.0"),
    CommandSpec::new("zrevrange", -4, zrevrange).flags(RO).acl(ZR).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "1.2.0"),
    CommandSpec::new("zrangebyscore", -4, zrangebyscore).flags(RO).acl(ZR).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "1.0.5"),
    CommandSpec::new("zrevrangebyscore", -4, zrevrangebyscore).flags(RO).acl(ZR).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "2.2.0"),
    CommandSpec::new("zrangebylex", -4, zrangebylex).flags(RO).acl(ZR).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "2.8.9"),
    CommandSpec::new("zrevrangebylex", -4, zrevrangebylex).flags(RO).acl(ZR).keys(KS_RO, (1, 1, 1)).doc("sorted-set", "2.8.9"),
    CommandSpec::new("zremrangebyrank", 4, zremrangebyrank)
        .flags(flags::WRITE)
        .acl(ZW)
        .keys(KS_DELETE, (1, 1, 1))
        .doc("sorted-set", "2.0.0"),
    CommandSpec::new("zremrangebyscore", 4, zremrangebyscore)
        .flags(flags::WRITE)
        .acl(ZW)
        .keys(KS_DELETE, (1, 1, 1))
        .doc("sorted-set", "1.2.0"),
    CommandSpec::new("zremrangebylex", 4, zremrangebylex).flags(flags::WRITE).acl(ZW).keys(KS_DELETE, (1, 1, 1)).doc("sorted-set", "2.8.9"),
    CommandSpec::new("zpopmin", -2, zpopmin).flags(flags::WRITE | flags::FAST).acl(ZWF).keys(KS_POP, (1, 1, 1)).doc("sorted-set", "5.0.0"),
    CommandSpec::new("zpopmax", -2, zpopmax).flags(flags::WRITE | flags::FAST).acl(ZWF).keys(KS_POP, (1, 1, 1)).doc("sorted-set", "5.0.0"),
    CommandSpec::new("zmpop", -4, zmpop)
        .flags(flags::WRITE | flags::MOVABLEKEYS)
        .acl(ZW)
        .keys(KS_MPOP, (0, 0, 0))
        .doc("sorted-set", "7.0.0"),
    CommandSpec::new("bzpopmin", -3, bzpopmin)
        .flags(BLK | flags::FAST)
        .acl(ZB | acl::FAST)
        .keys(KS_BPOP, (1, -2, 1))
        .doc("sorted-set", "5.0.0"),
    CommandSpec::new("bzpopmax", -3, bzpopmax)
        .flags(BLK | flags::FAST)
        .acl(ZB | acl::FAST)
        .keys(KS_BPOP, (1, -2, 1))
        .doc("sorted-set", "5.0.0"),
    CommandSpec::new("bzmpop", -5, bzmpop).flags(BLK | flags::MOVABLEKEYS).acl(ZB).keys(KS_BMPOP, (0, 0, 0)).doc("sorted-set", "7.0.0"),
    CommandSpec::new("zrandmember", -2, zrandmember)
        .flags(RO)
        .acl(ZR)
        .keys(KS_RO_NA, (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("sorted-set", "6.2.0"),
    CommandSpec::new("zscan", -3, zscan)
        .flags(RO)
        .acl(ZR)
        .keys(KS_RO_NA, (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("sorted-set", "2.8.0"),
    CommandSpec::new("zunion", -3, zunion).flags(RO | flags::MOVABLEKEYS).acl(ZR).keys(KS_NUMKEYS, (0, 0, 0)).doc("sorted-set", "6.2.0"),
    CommandSpec::new("zinter", -3, zinter).flags(RO | flags::MOVABLEKEYS).acl(ZR).keys(KS_NUMKEYS, (0, 0, 0)).doc("sorted-set", "6.2.0"),
    CommandSpec::new("zdiff", -3, zdiff).flags(RO | flags::MOVABLEKEYS).acl(ZR).keys(KS_NUMKEYS, (0, 0, 0)).doc("sorted-set", "6.2.0"),
    CommandSpec::new("zintercard", -3, zintercard)
        .flags(RO | flags::MOVABLEKEYS)
        .acl(ZR)
        .keys(KS_NUMKEYS, (0, 0, 0))
        .doc("sorted-set", "7.0.0"),
    CommandSpec::new("zunionstore", -4, zunionstore)
        .flags(flags::WRITE | flags::DENYOOM | flags::MOVABLEKEYS)
        .acl(ZW)
        .keys(KS_STORE, (1, 1, 1))
        .doc("sorted-set", "2.0.0"),
    CommandSpec::new("zinterstore", -4, zinterstore)
        .flags(flags::WRITE | flags::DENYOOM | flags::MOVABLEKEYS)
        .acl(ZW)
        .keys(KS_STORE, (1, 1, 1))
        .doc("sorted-set", "2.0.0"),
    CommandSpec::new("zdiffstore", -4, zdiffstore)
        .flags(flags::WRITE | flags::DENYOOM | flags::MOVABLEKEYS)
        .acl(ZW)
        .keys(KS_STORE, (1, 1, 1))
        .doc("sorted-set", "6.2.0"),
];
