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
