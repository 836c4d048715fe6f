//! Keyspace commands: deletion, existence, renaming, copying and moving between databases,
//! enumeration (KEYS, SCAN, RANDOMKEY), OBJECT, and whole-database operations.

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::lru;
use crate::db::{Db, Entry};
use crate::limits::KEYSPACE_SHARDS;
use crate::util::glob::glob_match;

/// Values owning more heap than this are freed off the executor by UNLINK and FLUSH ASYNC.
const LAZYFREE_HEAP_BYTES_MIN: usize = 64 * 1024;

/// Two distinct databases at once.
pub fn two_dbs(dbs: &mut [Db], a: usize, b: usize) -> (&mut Db, &mut Db) {
    assert_ne!(a, b, "two_dbs needs distinct databases");
    if a < b {
        let (l, r) = dbs.split_at_mut(b);
        (&mut l[a], &mut r[0])
    } else {
        let (l, r) = dbs.split_at_mut(a);
        (&mut r[0], &mut l[b])
    }
}

/// A database index argument, with Redis's two errors.
pub fn db_index_arg(ctx: &Ctx<'_>, i: usize) -> Result<usize, CmdError> {
    let n = ctx.arg_i64(i)?;
    if n < i64::from(i32::MIN) || n > i64::from(i32::MAX) {
        return Err("ERR value is out of range, value must between -2147483648 and 2147483647".into());
    }
    usize::try_from(n).ok().filter(|&d| d < ctx.srv.dbs.len()).ok_or(CmdError::from(err::DB_INDEX))
}

fn del_generic(ctx: &mut Ctx<'_>, lazy: bool) -> CmdResult {
    let mut n = 0;
    for k in 1..ctx.argc() {
        let key = ctx.arg(k);
        let Some(old) = ctx.db().remove(key) else { continue };
        n += 1;
        if lazy && old.value.heap_bytes() > LAZYFREE_HEAP_BYTES_MIN {
            ctx.srv.lazyfree.free(old, &mut ctx.srv.stats);
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn del(ctx: &mut Ctx<'_>) -> CmdResult {
    let lazy = ctx.srv.config.get("lazyfree-lazy-user-del") == Some("yes");
    del_generic(ctx, lazy)
}

fn unlink(ctx: &mut Ctx<'_>) -> CmdResult {
    del_generic(ctx, true)
}

fn exists(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut n = 0;
    for k in 1..ctx.argc() {
        let key = ctx.arg(k);
        if ctx.db().lookup(key, true, false).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn touch(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut n = 0;
    for k in 1..ctx.argc() {
        let key = ctx.arg(k);
        if ctx.db().get(key).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn type_(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let t = ctx.db().lookup(key, true, false).map_or("none", |e| e.value.type_name());
    ctx.out.simple(t);
    Ok(())
}

fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.db();
    if db.get_quiet(src).is_none() {
        return Err(err::NO_SUCH_KEY.into());
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    if nx && db.get_quiet(dst).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(entry) = db.remove(src) else { unreachable!("key seen just above") };
    db.remove(dst);
    db.insert_entry(entry.rekey(dst));
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn rename(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, true)
}

fn copy(ctx: &mut Ctx<'_>) -> CmdResult {
    let src_db = ctx.db_index();
    let (mut dst_db, mut replace) = (src_db, false);
    let mut j = 3;
    while j < ctx.argc() {
        if ctx.arg_is(j, "REPLACE") {
            replace = true;
        } else if ctx.arg_is(j, "DB") && j + 1 < ctx.argc() {
            dst_db = db_index_arg(ctx, j + 1)?;
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if src_db == dst_db && src == dst {
        return Err("ERR source and destination objects are the same".into());
    }
    let access = ctx.srv.clock.initial_access();
    let Some(copy) = ctx.srv.dbs[src_db].get(src).map(|e| e.duplicate(dst, access)) else {
        ctx.out.int(0);
        return Ok(());
    };
    let target = &mut ctx.srv.dbs[dst_db];
    if target.get_quiet(dst).is_some() {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        target.remove(dst);
    }
    target.insert_entry(copy);
    ctx.out.int(1);
    Ok(())
}

fn move_(ctx: &mut Ctx<'_>) -> CmdResult {
    let src_db = ctx.db_index();
    let dst_db = db_index_arg(ctx, 2)?;
    if src_db == dst_db {
        return Err("ERR source and destination objects are the same".into());
    }
    let key = ctx.arg(1);
    let (src, dst) = two_dbs(&mut ctx.srv.dbs, src_db, dst_db);
    if src.get_quiet(key).is_none() || dst.get_quiet(key).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(entry) = src.remove(key) else { unreachable!("key seen just above") };
    dst.insert_entry(entry);
    ctx.out.int(1);
    Ok(())
}

fn keys(ctx: &mut Ctx<'_>) -> CmdResult {
    let pat = ctx.arg(1);
    let all = pat == b"*";
    let now = ctx.now_ms();
    let i = ctx.db_index();
    let db = &mut ctx.srv.dbs[i];
    let found: Vec<&[u8]> =
        db.ks.iter().filter(|e| !e.is_expired(now) && (all || glob_match(pat, e.key(), false))).map(Entry::key).collect();
    ctx.out.array(found.len());
    for k in found {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// SCAN's cursor: the C `strtoul` grammar Redis accepts (a sign is allowed, and a negative
/// number wraps around).
pub(crate) fn parse_cursor(s: &[u8]) -> Option<u64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s.is_empty() {
        // strtoul reads nothing and Redis accepts that as cursor 0.
        return Some(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The options of SSCAN, HSCAN and ZSCAN from argument `from` on: COUNT and MATCH (a
/// pattern of "*" is no pattern).
pub(crate) fn scan_options<'a>(ctx: &Ctx<'a>, from: usize) -> Result<(usize, Option<&'a [u8]>), CmdError> {
    let (mut count, mut pat) = (10usize, None);
    let mut i = from;
    while i < ctx.argc() {
        let more = i + 1 < ctx.argc();
        if ctx.arg_is(i, "COUNT") && more {
            let n = ctx.arg_i64(i + 1)?;
            if n < 1 {
                return Err(err::SYNTAX.into());
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if ctx.arg_is(i, "MATCH") && more {
            pat = Some(ctx.arg(i + 1)).filter(|p| *p != b"*");
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 2;
    }
    Ok((count, pat))
}

/// Replies a SCAN-family page: the next cursor and the items.
pub(crate) fn scan_reply<T: AsRef<[u8]>>(ctx: &mut Ctx<'_>, next: u64, items: &[T]) {
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(items.len());
    for it in items {
        ctx.out.bulk(it.as_ref());
    }
}

fn scan(ctx: &mut Ctx<'_>) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(1)).ok_or(CmdError::from("ERR invalid cursor"))?;
    let (mut count, mut pat, mut typ) = (10i64, None, None);
    let mut i = 2;
    while i < ctx.argc() {
        let more = i + 1 < ctx.argc();
        if ctx.arg_is(i, "COUNT") && more {
            count = ctx.arg_i64(i + 1)?;
            if count < 1 {
                return Err(err::SYNTAX.into());
            }
        } else if ctx.arg_is(i, "MATCH") && more {
            pat = Some(ctx.arg(i + 1)).filter(|p| *p != b"*");
        } else if ctx.arg_is(i, "TYPE") && more {
            typ = Some(ctx.arg(i + 1));
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 2;
    }
    let now = ctx.now_ms();
    let i = ctx.db_index();
    let db = &mut ctx.srv.dbs[i];
    let mut shard = usize::try_from(cursor).unwrap_or(usize::MAX);
    let mut found: Vec<&[u8]> = Vec::new();
    let mut visited = 0i64;
    // Whole shards at a time: a key never changes shard, so every key present for the whole
    // scan is returned, whatever the tables do in between.
    while shard < KEYSPACE_SHARDS && db.ks.shard_count() > 0 && visited < count {
        for e in db.ks.shard_iter(shard) {
            visited += 1;
            let keep = !e.is_expired(now)
                && pat.is_none_or(|p| glob_match(p, e.key(), false))
                && typ.is_none_or(|t| t.eq_ignore_ascii_case(e.value.type_name().as_bytes()));
            if keep {
                found.push(e.key());
            }
        }
        shard += 1;
    }
    let next = if shard >= KEYSPACE_SHARDS || db.ks.shard_count() == 0 { 0 } else { shard };
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(found.len());
    for k in found {
        ctx.out.bulk(k);
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx<'_>) -> CmdResult {
    let db = ctx.db();
    // Expired picks are deleted and another is drawn, as Redis does; each draw removes a
    // key, so this ends.
    let key = loop {
        let Some(k) = db.random_entry().map(|e| e.key().to_vec()) else { break None };
        if !db.expire_if_needed(&k) {
            break Some(k);
        }
    };
    match key {
        Some(k) => ctx.out.bulk(&k),
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_entry<'a>(ctx: &'a mut Ctx<'_>) -> Option<&'a Entry> {
    let key = ctx.arg(2);
    let i = ctx.db_index();
    ctx.srv.dbs[i].lookup(key, true, false)
}

fn object_encoding(ctx: &mut Ctx<'_>) -> CmdResult {
    match object_entry(ctx).map(|e| e.value.encoding_name()) {
        Some(enc) => ctx.out.bulk_str(enc),
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let shared_ints = ctx.srv.config.maxmemory_bytes == 0 || !ctx.srv.config.maxmemory_policy.contains("-l");
    // Redis shares the objects of the integers 0..10000, with a pinned refcount.
    let rc = object_entry(ctx).map(|e| if e.is_shared_int() && shared_ints { i64::from(i32::MAX) } else { 1 });
    match rc {
        Some(n) => ctx.out.int(n),
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx<'_>) -> CmdResult {
    let lfu = ctx.srv.config.lfu();
    let now = ctx.now_ms();
    let Some(access) = object_entry(ctx).map(|e| e.access) else {
        ctx.out.null();
        return Ok(());
    };
    if lfu {
        return Err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into());
    }
    ctx.out.int((lru::idle_ms(access, now) / 1000) as i64);
    Ok(())
}

fn object_freq(ctx: &mut Ctx<'_>) -> CmdResult {
    let lfu = ctx.srv.config.lfu();
    let (now, decay) = (ctx.now_ms(), ctx.srv.config.lfu_decay_time_min);
    let Some(access) = object_entry(ctx).map(|e| e.access) else {
        ctx.out.null();
        return Ok(());
    };
    if !lfu {
        return Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into());
    }
    ctx.out.int(i64::from(lru::lfu_decayed(access, now, decay)));
    Ok(())
}

/// Writes a HELP reply: a title line, then the lines given, then HELP's own entry.
pub fn help_reply(ctx: &mut Ctx<'_>, title: &str, lines: &[&str]) -> CmdResult {
    let parent = ctx.spec.full_name.split('|').next().unwrap_or("").to_ascii_uppercase();
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!("{parent} <subcommand> [<arg> [value] [opt] ...]. {title}"));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Print this help.");
    Ok(())
}

fn object_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "Subcommands are:",
        &[
            "ENCODING <key>",
            "    Name of the representation Keel keeps the value of <key> in.",
            "FREQ <key>",
            "    Logarithmic access counter of <key> (LFU policies only).",
            "IDLETIME <key>",
            "    Seconds since <key> was last accessed (LRU policies only).",
            "REFCOUNT <key>",
            "    References to the value of <key>.",
        ],
    )
}

fn dbsize(ctx: &mut Ctx<'_>) -> CmdResult {
    let n = ctx.db().len();
    ctx.out.int(n as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL's optional ASYNC|SYNC; true for asynchronous.
fn flush_mode(ctx: &Ctx<'_>) -> Result<bool, CmdError> {
    match ctx.argc() {
        1 => Ok(ctx.srv.config.get("lazyfree-lazy-user-flush") == Some("yes")),
        2 if ctx.arg_is(1, "ASYNC") => Ok(true),
        2 if ctx.arg_is(1, "SYNC") => Ok(false),
        _ => Err(err::SYNTAX.into()),
    }
}

fn flushdb(ctx: &mut Ctx<'_>) -> CmdResult {
    let lazy = flush_mode(ctx)?;
    let i = ctx.db_index();
    ctx.srv.flush_db(i, lazy);
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_>) -> CmdResult {
    let lazy = flush_mode(ctx)?;
    for i in 0..ctx.srv.dbs.len() {
        ctx.srv.flush_db(i, lazy);
    }
    ctx.out.ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx<'_>) -> CmdResult {
    let parse = |i: usize, what: &'static str| -> Result<i64, CmdError> {
        crate::util::num::parse_i64(ctx.arg(i)).filter(|n| i32::try_from(*n).is_ok()).ok_or(CmdError::from(what))
    };
    let a = parse(1, "ERR invalid first DB index")?;
    let b = parse(2, "ERR invalid second DB index")?;
    let n = ctx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(err::DB_INDEX.into());
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        let srv = &mut *ctx.srv;
        srv.watch.on_db_replaced(&mut srv.clients, &srv.dbs[a], Some(&srv.dbs[b]));
        srv.watch.on_db_replaced(&mut srv.clients, &srv.dbs[b], Some(&srv.dbs[a]));
        let (x, y) = two_dbs(&mut srv.dbs, a, b);
        std::mem::swap(&mut x.ks, &mut y.ks);
        if let Some(c) = srv.clock.capture.borrow_mut().as_mut() {
            c.on_swap(a, b);
        }
    }
    ctx.out.ok();
    Ok(())
}

const OBJECT_SUBS: &[CommandSpec] = &[
    CommandSpec::new("object|encoding", 3, object_encoding)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO, 2, 0, 1)], (2, 2, 1))
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.2.3"),
    CommandSpec::new("object|refcount", 3, object_refcount)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO, 2, 0, 1)], (2, 2, 1))
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.2.3"),
    CommandSpec::new("object|idletime", 3, object_idletime)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO, 2, 0, 1)], (2, 2, 1))
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.2.3"),
    CommandSpec::new("object|freq", 3, object_freq)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO, 2, 0, 1)], (2, 2, 1))
        .tips(&["nondeterministic_output"])
        .doc("generic", "4.0.0"),
    CommandSpec::new("object|help", 2, object_help)
        .flags(flags::LOADING | flags::STALE)
        .acl(acl::KEYSPACE | acl::SLOW)
        .doc("generic", "6.2.0"),
];

const KS_RM_ALL: &[KeySpec] = &[KeySpec::index(kflags::RM | kflags::DELETE, 1, -1, 1)];
const KS_RO_ALL: &[KeySpec] = &[KeySpec::index(kflags::RO, 1, -1, 1)];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, del)
        .flags(flags::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW)
        .keys(KS_RM_ALL, (1, -1, 1))
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "1.0.0"),
    CommandSpec::new("unlink", -2, unlink)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(KS_RM_ALL, (1, -1, 1))
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "4.0.0"),
    CommandSpec::new("exists", -2, exists)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(KS_RO_ALL, (1, -1, 1))
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "1.0.0"),
    CommandSpec::new("type", 2, type_)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO, 1, 0, 1)], (1, 1, 1))
        .doc("generic", "1.0.0"),
    CommandSpec::new("rename", 3, rename)
        .flags(flags::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW)
        .keys(
            &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1), KeySpec::index(kflags::OW | kflags::UPDATE, 2, 0, 1)],
            (1, 2, 1),
        )
        .doc("generic", "1.0.0"),
    CommandSpec::new("renamenx", 3, renamenx)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(
            &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::DELETE, 1, 0, 1), KeySpec::index(kflags::OW | kflags::INSERT, 2, 0, 1)],
            (1, 2, 1),
        )
        .doc("generic", "1.0.0"),
    CommandSpec::new("copy", -3, copy)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1), KeySpec::index(kflags::OW | kflags::UPDATE, 2, 0, 1)], (1, 2, 1))
        .doc("generic", "6.2.0"),
    CommandSpec::new("move", 3, move_)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("generic", "1.0.0"),
    CommandSpec::new("keys", 2, keys)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .doc("generic", "1.0.0"),
    CommandSpec::new("scan", -2, scan)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .tips(&["nondeterministic_output", "request_policy:special"])
        .doc("generic", "2.8.0"),
    CommandSpec::new("randomkey", 1, randomkey)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .tips(&["request_policy:all_shards", "nondeterministic_output"])
        .doc("generic", "1.0.0"),
    CommandSpec::new("touch", -2, touch)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(KS_RO_ALL, (1, -1, 1))
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "3.2.1"),
    CommandSpec::container("object", -2, OBJECT_SUBS).acl(acl::SLOW).doc("generic", "2.2.3"),
    CommandSpec::new("dbsize", 1, dbsize)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
        .doc("server", "1.0.0"),
    CommandSpec::new("flushdb", -1, flushdb)
        .flags(flags::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("server", "1.0.0"),
    CommandSpec::new("flushall", -1, flushall)
        .flags(flags::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("server", "1.0.0"),
    CommandSpec::new("swapdb", 3, swapdb)
        .flags(flags::WRITE | flags::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST | acl::DANGEROUS)
        .doc("server", "4.0.0"),
];
