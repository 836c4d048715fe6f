//! HyperLogLog commands. The representation is Redis's own string format (`types::hll`), so
//! values move between Keel and Redis byte for byte and counts agree exactly.

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{CmdError, CmdResult, Ctx};
use crate::db::{Db, SetTtl, Str, Value};
use crate::types::hll::{self, HllError};

fn hll_error(e: HllError) -> CmdError {
    CmdError::from(e.reply_text())
}

/// The bytes of a string value that should hold an HLL (None if the key is absent). Whether
/// it is a valid HLL is checked by `types::hll`, input by input in Redis's order, so the
/// first bad input decides the error.
fn read_raw(db: &mut Db, key: &[u8], write_lookup: bool) -> Result<Option<Vec<u8>>, CmdError> {
    let e = if write_lookup { db.get_quiet(key) } else { db.get(key) };
    match e.map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.as_bytes().into_owned())),
        Some(_) => Err(super::err::WRONGTYPE.into()),
    }
}

/// Like `read_raw` for a single key that must be a valid HLL.
fn read_hll(db: &mut Db, key: &[u8], write_lookup: bool) -> Result<Option<Vec<u8>>, CmdError> {
    let Some(bytes) = read_raw(db, key, write_lookup)? else { return Ok(None) };
    hll::validate(&bytes).map_err(hll_error)?;
    Ok(Some(bytes))
}

/// Stores HLL bytes back into an existing key (keeping its expiry) or a new one.
fn store(db: &mut Db, key: &[u8], bytes: Vec<u8>) {
    match db.get_mut(key) {
        Some(e) => e.set_value(Value::Str(Str::raw(bytes))),
        None => {
            db.set(key, Value::Str(Str::raw(bytes)), SetTtl::Clear);
        }
    }
}

fn pfadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    let sparse_max = ctx.srv.config.hll_sparse_max_bytes;
    let args = ctx.args;
    let db = ctx.db();
    let (mut bytes, mut updated) = match read_hll(db, key, true)? {
        Some(b) => (b, false),
        None => (hll::new_sparse(), true),
    };
    let mut failure = None;
    for k in 2..args.len() {
        match hll::add(&mut bytes, args.get(k), sparse_max) {
            Ok(changed) => updated |= changed,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    // Redis keeps the registers already changed before a corrupt element was hit.
    if updated {
        store(db, key, bytes);
    }
    if let Some(e) = failure {
        return Err(hll_error(e));
    }
    ctx.out.int(i64::from(updated));
    Ok(())
}

/// The values of the keys from argument `from` on, in order, up to the first key of another
/// type (its error is returned beside them). Redis checks and merges keys one by one, so an
/// error in a key before that one (a corrupt HLL) must be reported first: callers merge
/// what was read, then give the type error.
fn read_in_order(ctx: &mut Ctx<'_>, from: usize) -> (Vec<Vec<u8>>, Option<CmdError>) {
    let i = ctx.db_index();
    let mut all = Vec::new();
    for k in from..ctx.argc() {
        let key = ctx.arg(k);
        match read_raw(&mut ctx.srv.dbs[i], key, false) {
            Ok(Some(b)) => all.push(b),
            Ok(None) => {}
            Err(e) => return (all, Some(e)),
        }
    }
    (all, None)
}

fn pfcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let i = ctx.db_index();
    if ctx.argc() > 2 {
        let (all, wrongtype) = read_in_order(ctx, 1);
        let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        let n = hll::count_union(&refs).map_err(hll_error)?;
        if let Some(e) = wrongtype {
            return Err(e);
        }
        // Redis replies with the count as a signed number.
        ctx.out.int(n as i64);
        return Ok(());
    }
    let key = ctx.arg(1);
    let db = &mut ctx.srv.dbs[i];
    let Some(mut bytes) = read_hll(db, key, true)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let stale = !hll::cache_valid(&bytes);
    let n = hll::count(&mut bytes).map_err(hll_error)?;
    if stale {
        // Refreshing the cached cardinality changes the value: it is a write, as in Redis.
        store(db, key, bytes);
    }
    ctx.out.int(n as i64);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx<'_>) -> CmdResult {
    let i = ctx.db_index();
    let dest = ctx.arg(1);
    let sparse_max = ctx.srv.config.hll_sparse_max_bytes;
    // The destination first, then the sources (see `read_in_order`).
    let dest_bytes = read_raw(&mut ctx.srv.dbs[i], dest, true)?;
    let (srcs, wrongtype) = read_in_order(ctx, 2);
    let refs: Vec<&[u8]> = srcs.iter().map(Vec::as_slice).collect();
    let merged = hll::merge(dest_bytes.as_deref(), &refs, sparse_max).map_err(hll_error)?;
    if let Some(e) = wrongtype {
        return Err(e);
    }
    store(&mut ctx.srv.dbs[i], dest, merged);
    ctx.out.ok();
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("pfadd", -2, pfadd)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .acl(acl::WRITE | acl::HYPERLOGLOG | acl::FAST)
        .keys(&[KeySpec::index(kflags::RW | kflags::INSERT, 1, 0, 1)], (1, 1, 1))
        .doc("hyperloglog", "2.8.9"),
    CommandSpec::new("pfcount", -2, pfcount)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::HYPERLOGLOG | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS, 1, -1, 1)], (1, -1, 1))
        .doc("hyperloglog", "2.8.9"),
    CommandSpec::new("pfmerge", -2, pfmerge)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::HYPERLOGLOG | acl::SLOW)
        .keys(
            &[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::INSERT, 1, 0, 1), KeySpec::index(kflags::RO | kflags::ACCESS, 2, -1, 1)],
            (1, -1, 1),
        )
        .doc("hyperloglog", "2.8.9"),
];
