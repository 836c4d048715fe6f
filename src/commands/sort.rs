//! SORT and SORT_RO over lists, sets and sorted sets, with Redis's option grammar: BY
//! (a pattern of keys or hash fields, or one without `*` to skip sorting), LIMIT, GET
//! (`#` for the element itself), ASC/DESC, ALPHA and STORE (a list; logged as it is, since
//! the result depends only on the data).

use std::cmp::Ordering;

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{Db, SetTtl, Value};
use crate::types::list::List;
use crate::util::num::strtod;

#[derive(Default)]
struct Options<'a> {
    by: Option<&'a [u8]>,
    /// BY a pattern without `*`: elements stay in their stored order.
    dontsort: bool,
    limit: Option<(i64, i64)>,
    gets: Vec<&'a [u8]>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
}

fn parse<'a>(ctx: &Ctx<'a>, read_only: bool) -> Result<Options<'a>, CmdError> {
    let mut o = Options::default();
    let mut i = 2;
    while i < ctx.argc() {
        let left = ctx.argc() - i - 1;
        if ctx.arg_is(i, "ASC") {
            o.desc = false;
        } else if ctx.arg_is(i, "DESC") {
            o.desc = true;
        } else if ctx.arg_is(i, "ALPHA") {
            o.alpha = true;
        } else if ctx.arg_is(i, "LIMIT") && left >= 2 {
            o.limit = Some((ctx.arg_i64(i + 1)?, ctx.arg_i64(i + 2)?));
            i += 2;
        } else if ctx.arg_is(i, "STORE") && left >= 1 && !read_only {
            o.store = Some(ctx.arg(i + 1));
            i += 1;
        } else if ctx.arg_is(i, "BY") && left >= 1 {
            let p = ctx.arg(i + 1);
            o.dontsort = !p.contains(&b'*');
            o.by = Some(p);
            i += 1;
        } else if ctx.arg_is(i, "GET") && left >= 1 {
            o.gets.push(ctx.arg(i + 1));
            i += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 1;
    }
    Ok(o)
}

/// Redis's lookupKeyByPattern: the first `*` of `pattern` replaced by `elem`, then the
/// string at that key, or with `->field` the hash field. `#` is the element itself.
fn by_pattern(db: &mut Db, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(elem.to_vec());
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let arrow = pattern[star + 1..].windows(2).position(|w| w == b"->").map(|p| p + star + 1).filter(|&p| p + 2 < pattern.len());
    let key_end = arrow.unwrap_or(pattern.len());
    let key = [&pattern[..star], elem, &pattern[star + 1..key_end]].concat();
    match (db.get(&key).map(|e| &e.value), arrow) {
        (Some(Value::Str(s)), None) => Some(s.as_bytes().into_owned()),
        (Some(Value::Hash(h)), Some(a)) => h.get(&pattern[a + 2..]).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// The elements to sort, in stored order (a sorted set's by rank).
fn elements(db: &mut Db, key: &[u8]) -> Result<Vec<Vec<u8>>, CmdError> {
    Ok(match db.get(key).map(|e| &e.value) {
        None => Vec::new(),
        Some(Value::List(l)) => l.iter().map(<[u8]>::to_vec).collect(),
        Some(Value::Set(s)) => s.iter().map(|m| m.into_owned()).collect(),
        Some(Value::ZSet(z)) => z.iter_from(0).map(|(m, _)| m.to_vec()).collect(),
        Some(_) => return Err(err::WRONGTYPE.into()),
    })
}

fn sort_generic(ctx: &mut Ctx<'_>, read_only: bool) -> CmdResult {
    let key = ctx.arg(1);
    let mut o = parse(ctx, read_only)?;
    let db = ctx.db();
    let is_set = matches!(db.get_quiet(key).map(|e| &e.value), Some(Value::Set(_)));
    let mut elems = elements(db, key)?;
    // A set's order is its table's: sorted when stored, so the result is deterministic.
    if o.dontsort && is_set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    if !o.dontsort {
        enum By {
            Num(f64),
            Text(Option<Vec<u8>>),
        }
        let mut keyed: Vec<(By, Vec<u8>)> = Vec::with_capacity(elems.len());
        for e in elems {
            let byval = match o.by {
                Some(p) => by_pattern(db, p, &e),
                None => Some(e.clone()),
            };
            let k = if o.alpha {
                By::Text(byval)
            } else {
                let v = byval.unwrap_or_default();
                let r = strtod(&v);
                if r.len != v.len() || r.range_error || r.value.is_nan() {
                    return Err("ERR One or more scores can't be converted into double".into());
                }
                By::Num(r.value)
            };
            keyed.push((k, e));
        }
        keyed.sort_by(|(a, ea), (b, eb)| {
            let c = match (a, b) {
                (By::Num(x), By::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal).then_with(|| ea.cmp(eb)),
                (By::Text(x), By::Text(y)) => x.cmp(y),
                _ => Ordering::Equal,
            };
            if o.desc {
                c.reverse()
            } else {
                c
            }
        });
        elems = keyed.into_iter().map(|(_, e)| e).collect();
    } else if o.desc && matches!(db.get_quiet(key).map(|e| &e.value), Some(Value::ZSet(_) | Value::List(_))) {
        // Unsorted, DESC still walks an ordered collection from its end, as Redis does.
        elems.reverse();
    }
    let len = elems.len() as i64;
    let (start, count) = o.limit.unwrap_or((0, -1));
    let start = start.max(0);
    let (mut s, mut e) = (start, if count < 0 { len - 1 } else { start.saturating_add(count) - 1 });
    if s >= len {
        s = len - 1;
        e = len - 2;
    }
    e = e.min(len - 1);
    let chosen: &[Vec<u8>] = if e >= s && s >= 0 { &elems[s as usize..=e as usize] } else { &[] };
    let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(chosen.len() * o.gets.len().max(1));
    for el in chosen {
        if o.gets.is_empty() {
            out.push(Some(el.clone()));
        }
        for g in &o.gets {
            out.push(by_pattern(db, g, el));
        }
    }
    match o.store {
        Some(dst) => {
            let n = out.len();
            if n == 0 {
                db.remove(dst);
            } else {
                let l = List::from_items(out.iter().map(|v| v.as_deref().unwrap_or_default()));
                db.set(dst, Value::List(Box::new(l)), SetTtl::Clear);
            }
            ctx.out.int(n as i64);
        }
        None => {
            ctx.out.array(out.len());
            for v in &out {
                match v {
                    Some(b) => ctx.out.bulk(b),
                    None => ctx.out.null(),
                }
            }
        }
    }
    Ok(())
}

fn sort(ctx: &mut Ctx<'_>) -> CmdResult {
    sort_generic(ctx, false)
}

fn sort_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    sort_generic(ctx, true)
}

/// SORT's keys: the sorted key, and the STORE destination when there is one.
fn sort_keys(args: crate::protocol::Args<'_>) -> Vec<(usize, u32)> {
    let mut v = vec![(1, kflags::RO | kflags::ACCESS)];
    let mut i = 2;
    while i < args.len() {
        let a = args.get(i);
        if a.eq_ignore_ascii_case(b"LIMIT") {
            i += 3;
            continue;
        }
        if (a.eq_ignore_ascii_case(b"BY") || a.eq_ignore_ascii_case(b"GET")) && i + 1 < args.len() {
            i += 2;
            continue;
        }
        if a.eq_ignore_ascii_case(b"STORE") && i + 1 < args.len() {
            v.push((i + 1, kflags::OW | kflags::UPDATE));
            i += 2;
            continue;
        }
        i += 1;
    }
    v
}

const KS_SORT: &[KeySpec] = &[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sort", -2, sort)
        .flags(flags::WRITE | flags::DENYOOM | flags::MOVABLEKEYS)
        .acl(acl::WRITE | acl::SET | acl::SORTEDSET | acl::LIST | acl::SLOW | acl::DANGEROUS)
        .keys(KS_SORT, (1, 1, 1))
        .getkeys(sort_keys)
        .doc("generic", "1.0.0"),
    CommandSpec::new("sort_ro", -2, sort_ro)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::SET | acl::SORTEDSET | acl::LIST | acl::SLOW | acl::DANGEROUS)
        .keys(KS_SORT, (1, 1, 1))
        .doc("generic", "7.0.0"),
];
