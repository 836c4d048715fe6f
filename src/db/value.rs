//! In-memory values. These types may change freely: they are not the on-disk encoding (the
//! snapshot format has its own, append-only type tags).
//!
//! Memory is the point of this file. An entry of the keyspace is one 48-byte allocation (key,
//! value, access clock, flags), reached through an 8-byte pointer in a shard's table. Keys of
//! up to 14 bytes and values of up to 22 live inside it, longer ones in one exact-size
//! allocation each; an expiry rides in the key's block (`entry_key`), so the keys without one
//! do not pay for it. That is how 1M keys of 16 bytes with 32-byte values fit in less memory
//! than Redis's dictEntry + robj + two sds strings.

use std::borrow::Cow;

pub use super::entry_key::{EntryKey, ENTRY_KEY_INLINE_MAX};
use crate::types::hash::Hash;
use crate::types::list::List;
use crate::types::set::Set;
use crate::types::zset::ZSet;
use crate::util::num::{fmt_i64, parse_i64};

/// Bytes that fit inline in a [`Bytes22`].
pub const INLINE_BYTES_MAX: usize = 22;

/// Redis keeps strings up to this length in one allocation with their header ("embstr");
/// longer ones are "raw". Only `OBJECT ENCODING` cares.
pub const EMBSTR_BYTES_MAX: usize = 44;

/// A byte string stored inline when short, else in one exact-size heap allocation.
#[derive(Clone, PartialEq, Eq)]
pub enum Bytes22 {
    Inline { len: u8, buf: [u8; INLINE_BYTES_MAX] },
    Heap(Box<[u8]>),
}

impl Bytes22 {
    pub fn new(b: &[u8]) -> Self {
        if b.len() <= INLINE_BYTES_MAX {
            let mut buf = [0; INLINE_BYTES_MAX];
            buf[..b.len()].copy_from_slice(b);
            // The length fits in a u8 because it is at most INLINE_BYTES_MAX.
            Bytes22::Inline { len: b.len() as u8, buf }
        } else {
            Bytes22::Heap(b.into())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Bytes22::Inline { len, buf } => &buf[..usize::from(*len)],
            Bytes22::Heap(b) => b,
        }
    }

    /// Heap bytes owned beyond the struct itself.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Bytes22::Inline { .. } => 0,
            Bytes22::Heap(b) => b.len(),
        }
    }
}

impl std::fmt::Debug for Bytes22 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A key as events and clients name it.
pub type Key = Bytes22;

/// A string value in one of Redis's encodings (reported by `OBJECT ENCODING`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Str {
    /// A canonical decimal integer ("int").
    Int(i64),
    /// Short bytes ("embstr").
    Inline { len: u8, buf: [u8; INLINE_BYTES_MAX] },
    /// Bytes set whole ("embstr" up to 44 bytes, "raw" beyond).
    Boxed(Box<[u8]>),
    /// Bytes grown in place by APPEND, SETRANGE, SETBIT and friends ("raw"): the vector keeps
    /// spare capacity so repeated appends are amortised O(1).
    Raw(Box<Vec<u8>>),
}

impl Str {
    /// A value as SET stores it: integers in canonical form become `Int` (Redis's
    /// `tryObjectEncoding`), the rest is stored as given.
    pub fn from_bytes(b: &[u8]) -> Self {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return Str::Int(n);
            }
        }
        Self::from_bytes_no_int(b)
    }

    /// Bytes kept as bytes even when they spell an integer.
    pub fn from_bytes_no_int(b: &[u8]) -> Self {
        match Bytes22::new(b) {
            Bytes22::Inline { len, buf } => Str::Inline { len, buf },
            Bytes22::Heap(h) => Str::Boxed(h),
        }
    }

    /// A growable ("raw") string, as APPEND and SETRANGE create.
    pub fn raw(v: Vec<u8>) -> Self {
        Str::Raw(Box::new(v))
    }

    /// The bytes; integers are formatted on the fly.
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Str::Int(n) => {
                let mut v = Vec::with_capacity(20);
                fmt_i64(*n, &mut v);
                Cow::Owned(v)
            }
            Str::Inline { len, buf } => Cow::Borrowed(&buf[..usize::from(*len)]),
            Str::Boxed(b) => Cow::Borrowed(b),
            Str::Raw(v) => Cow::Borrowed(v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Str::Int(n) => {
                let mut v = Vec::with_capacity(20);
                fmt_i64(*n, &mut v);
                v.len()
            }
            Str::Inline { len, .. } => usize::from(*len),
            Str::Boxed(b) => b.len(),
            Str::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer, if it is one (INCR's view).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Str::Int(n) => Some(*n),
            other => {
                let b = other.as_bytes();
                if b.len() > 20 {
                    return None;
                }
                parse_i64(&b)
            }
        }
    }

    /// Turns the value into a growable byte vector in place and returns it.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            let bytes = self.as_bytes().into_owned();
            *self = Str::raw(bytes);
        }
        match self {
            Str::Raw(v) => v,
            _ => unreachable!("just made raw"),
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Str::Int(_) => "int",
            Str::Inline { .. } => "embstr",
            Str::Boxed(b) if b.len() <= EMBSTR_BYTES_MAX => "embstr",
            Str::Boxed(_) | Str::Raw(_) => "raw",
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Str::Int(_) | Str::Inline { .. } => 0,
            Str::Boxed(b) => b.len(),
            Str::Raw(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
        }
    }
}

/// A value of the keyspace. Collections are boxed, so this stays 24 bytes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Value {
    Str(Str),
    /// Inline (16 bytes): a small hash costs its entry and its one packed buffer.
    Hash(Hash),
    List(Box<List>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::List(_) => "quicklist",
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
        }
    }

    /// Heap bytes beyond the entry itself, for memory accounting and lazy-free decisions.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_bytes(),
            Value::Hash(h) => h.heap_bytes(),
            Value::List(l) => l.heap_bytes(),
            Value::Set(s) => s.heap_bytes(),
            Value::ZSet(z) => z.heap_bytes(),
        }
    }
}

/// Entry flag: a small integer that Redis would hold in a private object rather than its
/// shared one (made by COPY); only OBJECT REFCOUNT can tell.
pub const FLAG_UNSHARED: u8 = 1;

/// One key of the keyspace with everything Redis keeps per key.
#[derive(Debug)]
pub struct Entry {
    /// The key, and the expiry time (absolute Unix milliseconds) if it has one.
    key: EntryKey,
    pub value: Value,
    /// LRU clock (seconds, 24 bits) or LFU state (minutes << 8 | counter), as in Redis.
    pub access: u32,
    flags: u8,
    /// The snapshot epoch this entry was last written in, or born in (`db::capture`).
    pub(crate) snap_epoch: u8,
}

impl Entry {
    pub fn new(key: &[u8], value: Value, access: u32) -> Self {
        Entry { key: EntryKey::new(key, None), value, access, flags: 0, snap_epoch: 0 }
    }

    pub fn key(&self) -> &[u8] {
        self.key.as_bytes()
    }

    /// The same entry under another name (RENAME), keeping value, expiry and clock.
    pub fn rekey(mut self: Box<Self>, key: &[u8]) -> Box<Self> {
        self.key = EntryKey::new(key, self.key.expire_at_ms());
        self
    }

    /// A copy under another name with a fresh access clock (COPY).
    pub fn duplicate(&self, key: &[u8], access: u32) -> Box<Self> {
        let mut e = Box::new(Entry::new(key, self.value.clone(), access));
        e.set_expire_raw(self.expire_at_ms());
        e.flags |= FLAG_UNSHARED;
        e
    }

    /// Replaces the value (INCR and friends update in place).
    pub fn set_value(&mut self, v: Value) {
        self.value = v;
        self.flags &= !FLAG_UNSHARED;
    }

    /// Whether Redis would report this value as its shared integer object.
    pub fn is_shared_int(&self) -> bool {
        matches!(self.value, Value::Str(Str::Int(n)) if (0..10_000).contains(&n)) && self.flags & FLAG_UNSHARED == 0
    }

    pub fn expire_at_ms(&self) -> Option<i64> {
        self.key.expire_at_ms()
    }

    /// Sets or clears the expiry. Callers keep the keyspace's count of volatile keys right,
    /// so only the keyspace calls this.
    pub(crate) fn set_expire_raw(&mut self, at: Option<i64>) {
        self.key.set_expire(at);
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expire_at_ms().is_some_and(|at| at <= now_ms)
    }

    /// Heap bytes this entry owns, itself included.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Entry>() + self.key.heap_bytes() + self.value.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stay_small() {
        // These sizes are the memory budget; a change here changes used_memory per key.
        assert_eq!(std::mem::size_of::<Bytes22>(), 24);
        assert_eq!(std::mem::size_of::<Str>(), 24);
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<EntryKey>(), 16);
        assert_eq!(std::mem::size_of::<Entry>(), 48);
        assert_eq!(std::mem::size_of::<Hash>(), 16);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Str::from_bytes(b"12345").encoding_name(), "int");
        assert_eq!(Str::from_bytes(b"012").encoding_name(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 45]).encoding_name(), "raw");
        let mut s = Str::from_bytes(b"7");
        s.make_raw().push(b'8');
        assert_eq!((s.encoding_name(), &*s.as_bytes()), ("raw", &b"78"[..]));
        assert_eq!(Str::from_bytes(b"-9223372036854775808").as_i64(), Some(i64::MIN));
    }
}
