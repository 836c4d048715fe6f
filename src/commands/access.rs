//! Typed access to the keyspace for the collection commands: the value at a key as a hash,
//! list, set or sorted set, WRONGTYPE for anything else, created on a write when absent and
//! deleted when a write leaves it empty (Redis deletes empty collections).

use super::{err, CmdError};
use crate::db::{Db, Value};
use crate::types::{hash::Hash, list::List, set::Set, zset::ZSet};

/// A collection type held in a [`Value`] variant.
pub trait Typed {
    fn of(v: &Value) -> Option<&Self>;
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    fn is_empty(&self) -> bool;
}

macro_rules! typed {
    ($t:ty, $variant:ident) => {
        impl Typed for $t {
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn is_empty(&self) -> bool {
                <$t>::is_empty(self)
            }
        }
    };
}

typed!(Hash, Hash);
typed!(List, List);
typed!(Set, Set);
typed!(ZSet, ZSet);

/// The collection at `key` for reading (a counted lookup), if any.
pub fn read<'a, T: Typed>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a T>, CmdError> {
    match db.get(key) {
        None => Ok(None),
        Some(e) => T::of(&e.value).map(Some).ok_or(CmdError::from(err::WRONGTYPE)),
    }
}

/// Whether `key` holds a `T` (no statistics); WRONGTYPE for another type.
pub fn exists<T: Typed>(db: &mut Db, key: &[u8]) -> Result<bool, CmdError> {
    match db.get_quiet(key) {
        None => Ok(false),
        Some(e) if T::of(&e.value).is_some() => Ok(true),
        Some(_) => Err(err::WRONGTYPE.into()),
    }
}

/// The collection at `key` for writing, created with `make` if absent; one lookup when it
/// exists. Records the write (nothing is recorded for WRONGTYPE).
pub fn write_with<'a, T: Typed>(db: &'a mut Db, key: &[u8], make: impl FnOnce() -> Value) -> Result<&'a mut T, CmdError> {
    let e = db.write_entry(key, |v| T::of(v).is_some(), make).ok_or(CmdError::from(err::WRONGTYPE))?;
    Ok(T::of_mut(&mut e.value).expect("checked or just made"))
}

/// The existing collection at `key` for writing; None when absent.
pub fn write_existing<'a, T: Typed>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a mut T>, CmdError> {
    if !exists::<T>(db, key)? {
        return Ok(None);
    }
    Ok(db.get_mut(key).and_then(|e| T::of_mut(&mut e.value)))
}

/// Deletes `key` if its collection was left empty.
pub fn drop_if_empty<T: Typed>(db: &mut Db, key: &[u8]) {
    if db.get_quiet(key).and_then(|e| T::of(&e.value)).is_some_and(T::is_empty) {
        db.remove(key);
    }
}

/// The count and option of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER: argument 2 if present,
/// and whether argument 3 is `with` (WITHVALUES, WITHSCORES; None where none is accepted).
pub fn random_args(ctx: &super::Ctx<'_>, with: Option<&str>) -> Result<(Option<i64>, bool), CmdError> {
    let most = if with.is_some() { 4 } else { 3 };
    if ctx.argc() == 2 {
        return Ok((None, false));
    }
    if ctx.argc() > most {
        return Err(err::SYNTAX.into());
    }
    let n = ctx.arg_i64(2)?;
    if n == i64::MIN {
        return Err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807".into());
    }
    if n < 0 && n.unsigned_abs() > crate::limits::RANDOM_REPEATS_MAX {
        return Err(format!("ERR count is out of range, at most {} repeated picks", crate::limits::RANDOM_REPEATS_MAX).into());
    }
    let flag = match with {
        Some(w) if ctx.argc() == 4 => ctx.arg_is(3, w).then_some(true).ok_or(CmdError::from(err::SYNTAX))?,
        _ => false,
    };
    Ok((Some(n), flag))
}

/// The positions a random pick takes among `len` entries (len > 0): one for no count; for a
/// negative count that many independent picks; for a positive one distinct positions — all
/// of them in order when it reaches `len`, else drawn without repeats.
pub fn random_positions(len: usize, count: Option<i64>, rng: &crate::db::DbContext) -> Vec<usize> {
    debug_assert!(len > 0);
    let pick = || (rng.next_rand() % len as u64) as usize;
    let Some(n) = count else { return vec![pick()] };
    if n < 0 {
        return (0..n.unsigned_abs()).map(|_| pick()).collect();
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n >= len {
        return (0..len).collect();
    }
    if n.saturating_mul(4) < len {
        // Few of many: draw and skip repeats (no O(len) work on a big collection).
        let mut seen = std::collections::HashSet::with_capacity(n);
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            let p = pick();
            if seen.insert(p) {
                v.push(p);
            }
        }
        return v;
    }
    // Most of them: a partial Fisher-Yates over all positions.
    let mut pos: Vec<usize> = (0..len).collect();
    for i in 0..n {
        let j = i + (rng.next_rand() % (len - i) as u64) as usize;
        pos.swap(i, j);
    }
    pos.truncate(n);
    pos
}

/// A SCAN-family page to produce: cursor, COUNT and MATCH pattern.
pub type ScanStart<'a> = (u64, usize, Option<&'a [u8]>);

/// What SSCAN, HSCAN and ZSCAN share before they walk: the cursor (parsed first), the key's
/// type, then COUNT and MATCH, in Redis's order. None when the key is missing: the empty
/// page has been replied.
pub fn scan_start<'a, T: Typed>(ctx: &mut super::Ctx<'a>) -> Result<Option<ScanStart<'a>>, CmdError> {
    let key = ctx.arg(1);
    let cursor = super::keys::parse_cursor(ctx.arg(2)).ok_or(CmdError::from("ERR invalid cursor"))?;
    if !exists::<T>(ctx.db(), key)? {
        super::keys::scan_reply::<&[u8]>(ctx, 0, &[]);
        return Ok(None);
    }
    let (count, pat) = super::keys::scan_options(ctx, 3)?;
    Ok(Some((cursor, count, pat)))
}
