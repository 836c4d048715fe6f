//! The hash type: field-value pairs, packed while small (`hash-max-listpack-entries` pairs,
//! no field or value over `hash-max-listpack-value` bytes), a hash table beyond. As in
//! Redis, a hash never goes back to packed while it lives (a reload repacks it).
//!
//! Fields given expiry times (HEXPIRE and its family, Redis 7.4) make a hash big: the table
//! keeps each field's expiry beside it. Expired fields
//! are removed by the commands' access path and the active expiry cycle, never by these
//! methods, which see every field that is present.

use super::dict::Dict;
use super::pack::Pack;

pub type Table = Dict<Box<[u8]>>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hash {
    /// field, value, field, value, ... in insertion order (Redis's listpack order).
    Packed(Pack),
    /// Boxed, so a hash is 16 bytes and lives inside a keyspace entry's value.
    Table(Box<Big>),
}

/// A big hash: its table, and the expiry of each field that has one (HEXPIRE).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Big {
    pub table: Table,
    /// Unix ms at which each field that has one expires.
    pub ttl: Dict<i64>,
}

/// The packed encoding's limits (from the config, read at each write).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Packed(Pack::new())
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Packed(p) => p.len() / 2,
            Hash::Table(v) => v.table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of `field` among the packed elements (even indexes are fields).
    fn packed_index(p: &Pack, field: &[u8]) -> Option<usize> {
        p.iter().step_by(2).position(|f| f == field).map(|i| i * 2)
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Packed(p) => {
                let mut it = p.iter();
                while let Some(f) = it.next() {
                    let v = it.next().expect("packed hashes hold pairs");
                    if f == field {
                        return Some(v);
                    }
                }
                None
            }
            Hash::Table(v) => v.table.get(field).map(|v| &**v),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; true if the field is new. As in Redis, a packed hash becomes a
    /// table when the field or value is too long, or when it then holds more pairs than the
    /// limit (also on an update, after the limit was lowered).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if let Hash::Packed(p) = self {
            if field.len() <= limits.value && value.len() <= limits.value {
                let new = match Self::packed_index(p, field) {
                    Some(i) => {
                        p.set(i + 1, value);
                        false
                    }
                    None => {
                        p.push(&[field, value]);
                        true
                    }
                };
                if p.len() / 2 > limits.entries {
                    self.convert_to_table();
                }
                return new;
            }
            self.convert_to_table();
        }
        match self {
            Hash::Table(v) => {
                // A new value is a new field: it has no expiry (HSET drops the old one).
                if !v.ttl.is_empty() {
                    v.ttl.remove(field);
                }
                v.table.upsert(field, value.into()).is_none()
            }
            Hash::Packed(_) => unreachable!("converted above"),
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Packed(p) => match Self::packed_index(p, field) {
                Some(i) => {
                    p.remove(i, 2);
                    true
                }
                None => false,
            },
            Hash::Table(v) => {
                if !v.ttl.is_empty() {
                    v.ttl.remove(field);
                }
                v.table.remove(field).is_some()
            }
        }
    }

    /// Sets `field` to `value` keeping the field's expiry, if any (HINCRBY and friends).
    pub fn set_keep_ttl(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        match self {
            Hash::Table(v) => v.table.upsert(field, value.into()).is_none(),
            _ => self.set(field, value, limits),
        }
    }

    /// The expiry of `field` in Unix ms, if it has one.
    pub fn field_ttl(&self, field: &[u8]) -> Option<i64> {
        match self {
            Hash::Table(v) => v.ttl.get(field).copied(),
            _ => None,
        }
    }

    /// Gives `field` (present) an expiry, making the hash volatile.
    pub fn set_field_ttl(&mut self, field: &[u8], at_ms: i64) {
        debug_assert!(self.contains(field));
        self.convert_to_table();
        if let Hash::Table(v) = self {
            v.ttl.upsert(field, at_ms);
        }
    }

    /// Removes `field`'s expiry; true if it had one.
    pub fn persist_field(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Table(v) => v.ttl.remove(field).is_some(),
            _ => false,
        }
    }

    /// Fields whose expiry is at or before `now_ms`.
    pub fn expired_fields(&self, now_ms: i64) -> Vec<Vec<u8>> {
        match self {
            Hash::Table(v) => v.ttl.iter().filter(|(_, &at)| at <= now_ms).map(|(f, _)| f.to_vec()).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether any field has an expiry.
    pub fn has_field_ttls(&self) -> bool {
        matches!(self, Hash::Table(v) if !v.ttl.is_empty())
    }

    fn convert_to_table(&mut self) {
        if let Hash::Packed(p) = self {
            let mut t = Table::with_capacity(p.len() / 2 + 1);
            let mut it = p.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                t.insert_new(f.into(), v.into());
            }
            *self = Hash::Table(Box::new(Big { table: t, ttl: Dict::default() }));
        }
    }

    /// A hash built from pairs (RESTORE, snapshot load): packed if it fits the limits.
    pub fn from_pairs(pairs: &[(&[u8], &[u8])], limits: Limits) -> Self {
        let mut h = Hash::default();
        if pairs.len() > limits.entries {
            h.convert_to_table();
        }
        for (f, v) in pairs {
            h.set(f, v, limits);
        }
        h
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Packed(p) => {
                let mut it = p.iter();
                Box::new(std::iter::from_fn(move || Some((it.next()?, it.next()?))))
            }
            Hash::Table(v) => Box::new(v.table.iter().map(|(f, v)| (f, &**v))),
        }
    }

    /// The pair at position `i` (0..len), for random picks.
    pub fn at(&self, i: usize) -> (&[u8], &[u8]) {
        match self {
            Hash::Packed(p) => (p.get(2 * i).expect("in range"), p.get(2 * i + 1).expect("pairs")),
            Hash::Table(v) => {
                let (f, v) = v.table.at(i);
                (f, v)
            }
        }
    }

    /// The table, for HSCAN over a big hash (None when packed: scanned whole).
    pub fn table(&self) -> Option<&Table> {
        match self {
            Hash::Packed(_) => None,
            Hash::Table(v) => Some(&v.table),
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Packed(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Heap bytes, approximately as the allocator sees them.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Hash::Packed(p) => p.bytes() + std::mem::size_of::<Hash>(),
            Hash::Table(v) => v.table.heap_bytes() + v.ttl.heap_bytes() + std::mem::size_of::<Big>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits { entries: 4, value: 8 };

    #[test]
    fn a_hash_converts_past_its_limits_and_keeps_every_pair() {
        let mut h = Hash::default();
        assert!(h.set(b"a", b"1", SMALL));
        assert!(!h.set(b"a", b"2", SMALL), "an update is not new");
        assert_eq!((h.get(b"a"), h.encoding_name()), (Some(&b"2"[..]), "listpack"));
        for f in [&b"b"[..], b"c", b"d"] {
            h.set(f, b"x", SMALL);
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"e", b"x", SMALL);
        assert_eq!((h.encoding_name(), h.len()), ("hashtable", 5), "five pairs exceed 4");
        let mut small = Hash::default();
        small.set(b"f", b"123456789", SMALL);
        assert_eq!(small.encoding_name(), "hashtable", "a value over 8 bytes");
        assert!(h.remove(b"a") && !h.remove(b"a"));
        let mut pairs: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        pairs.sort();
        assert_eq!(pairs.iter().map(|p| p.0.as_slice()).collect::<Vec<_>>(), vec![&b"b"[..], b"c", b"d", b"e"]);
        let mut p = Hash::from_pairs(&[(b"x", b"1"), (b"y", b"2")], SMALL);
        assert_eq!((p.encoding_name(), p.get(b"y")), ("listpack", Some(&b"2"[..])));
        assert!(p.remove(b"x") && p.iter().eq([(&b"y"[..], &b"2"[..])]));
    }
}
