//! A hash table of byte-string keys that also numbers its entries: the entries live in one
//! vector (removal swaps the last one into the hole), and the table holds only their
//! positions. That gives what Redis's dict gives the big encodings of sets, hashes and
//! sorted sets — O(1) lookup, a uniformly random entry (SPOP, SRANDMEMBER, HRANDFIELD) and
//! a SCAN cursor that survives changes — in a 24-byte key slot (a key of up to 22 bytes
//! inside it, a longer one in its own allocation) plus the value and about 5 bytes of table
//! per entry, against Redis's dictEntry, bucket pointer and separately allocated sds key.
//!
//! Scanning walks positions from the end down. A removal moves the last entry (already
//! visited, or not yet reached only if it is below the cursor) to a lower position, so an
//! entry present for the whole scan is still returned at least once; that is SCAN's promise.

use hashbrown::HashTable;

use crate::db::value::{Bytes22, INLINE_BYTES_MAX};

pub struct Dict<V> {
    /// Keys of up to 22 bytes are stored in the entry itself: a lookup then touches the
    /// table and one entry, not a third allocation, and a short key costs no heap block.
    entries: Vec<(Bytes22, V)>,
    table: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    /// Heap bytes of the keys and values, kept as entries come and go so memory figures
    /// (and the lazy-free decision of UNLINK) cost O(1), not a walk of every entry.
    payload: usize,
}

/// Heap bytes a dictionary value owns (its allocation as the allocator rounds it).
pub trait HeapSize {
    fn heap_size(&self) -> usize;
}

impl HeapSize for () {
    fn heap_size(&self) -> usize {
        0
    }
}

impl HeapSize for i64 {
    fn heap_size(&self) -> usize {
        0
    }
}

impl HeapSize for f64 {
    fn heap_size(&self) -> usize {
        0
    }
}

impl HeapSize for Box<[u8]> {
    fn heap_size(&self) -> usize {
        self.len().next_multiple_of(8)
    }
}

/// Heap bytes a key takes: none when it fits in the entry.
fn key_size(k: &[u8]) -> usize {
    if k.len() <= INLINE_BYTES_MAX {
        0
    } else {
        k.len().next_multiple_of(8)
    }
}

impl<V: Clone> Clone for Dict<V> {
    fn clone(&self) -> Self {
        Dict { entries: self.entries.clone(), table: self.table.clone(), hasher: self.hasher.clone(), payload: self.payload }
    }
}

impl<V: PartialEq + HeapSize> PartialEq for Dict<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<V: Eq + HeapSize> Eq for Dict<V> {}

impl<V: std::fmt::Debug + HeapSize> std::fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter().map(|(k, v)| (String::from_utf8_lossy(k), v))).finish()
    }
}

impl<V: HeapSize> Default for Dict<V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<V: HeapSize> Dict<V> {
    pub fn with_capacity(n: usize) -> Self {
        Dict { entries: Vec::with_capacity(n), table: HashTable::with_capacity(n), hasher: Default::default(), payload: 0 }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn hash(&self, key: &[u8]) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, key)
    }

    /// Position of `key` among the entries.
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.table.find(self.hash(key), |&i| entries[i as usize].0.as_bytes() == key).map(|&i| i as usize)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    /// The position of `key`, adding it with `make()` if absent (one hash, one probe), and
    /// whether it was added.
    fn slot(&mut self, key: &[u8], make: impl FnOnce() -> V) -> (usize, bool) {
        let h = self.hash(key);
        let i = u32::try_from(self.entries.len()).expect("a collection of 4G entries");
        let (entries, hasher) = (&self.entries, &self.hasher);
        match self.table.entry(
            h,
            |&j| entries[j as usize].0.as_bytes() == key,
            |&j| std::hash::BuildHasher::hash_one(hasher, entries[j as usize].0.as_bytes()),
        ) {
            hashbrown::hash_table::Entry::Occupied(o) => (*o.get() as usize, false),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(i);
                let value = make();
                self.payload += key_size(key) + value.heap_size();
                self.entries.push((Bytes22::new(key), value));
                (i as usize, true)
            }
        }
    }

    /// Adds `key` with `value` unless present; true if added.
    pub fn insert_if_absent(&mut self, key: &[u8], value: impl FnOnce() -> V) -> bool {
        self.slot(key, value).1
    }

    /// Sets `key` to `value`; the old value if it was there.
    pub fn upsert(&mut self, key: &[u8], value: V) -> Option<V> {
        let mut value = Some(value);
        let (at, added) = self.slot(key, || value.take().expect("taken once"));
        let value = value?;
        debug_assert!(!added);
        self.payload += value.heap_size();
        let old = std::mem::replace(&mut self.entries[at].1, value);
        self.payload -= old.heap_size();
        Some(old)
    }

    /// The value at position `i`, to change in place (values without heap bytes only, so
    /// the byte count stays right).
    pub fn at_mut(&mut self, i: usize) -> &mut V
    where
        V: Copy,
    {
        &mut self.entries[i].1
    }

    /// Adds a key known to be absent.
    pub fn insert_new(&mut self, key: Box<[u8]>, value: V) {
        debug_assert!(!self.contains(&key));
        let i = u32::try_from(self.entries.len()).expect("a collection of 4G entries");
        let h = self.hash(&key);
        let (entries, hasher) = (&self.entries, &self.hasher);
        self.table.insert_unique(h, i, |&j| std::hash::BuildHasher::hash_one(hasher, entries[j as usize].0.as_bytes()));
        self.payload += key_size(&key) + value.heap_size();
        self.entries.push((Bytes22::new(&key), value));
    }

    /// Removes `key`; its value if it was there.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        let i = self.position(key)?;
        Some(self.remove_at(i))
    }

    /// Removes the entry at position `i`; the last entry takes its position.
    pub fn remove_at(&mut self, i: usize) -> (Box<[u8]>, V) {
        let h = self.hash(self.entries[i].0.as_bytes());
        match self.table.find_entry(h, |&j| j as usize == i) {
            Ok(e) => {
                e.remove();
            }
            Err(_) => unreachable!("every entry is in the table"),
        }
        let last = self.entries.len() - 1;
        if i != last {
            let h = self.hash(self.entries[last].0.as_bytes());
            let slot = self.table.find_mut(h, |&j| j as usize == last).expect("the last entry is in the table");
            *slot = i as u32;
        }
        let (key, value) = self.entries.swap_remove(i);
        let removed = (Box::<[u8]>::from(key.as_bytes()), value);
        self.payload -= key_size(&removed.0) + removed.1.heap_size();
        if self.entries.capacity() > 64 && self.entries.len() < self.entries.capacity() / 4 {
            self.entries.shrink_to(self.entries.len() * 2);
            let (entries, hasher) = (&self.entries, &self.hasher);
            self.table.shrink_to(entries.len() * 2, |&j| std::hash::BuildHasher::hash_one(hasher, entries[j as usize].0.as_bytes()));
        }
        removed
    }

    /// The entry at position `i` (0..len): a random entry is one at a random position.
    pub fn at(&self, i: usize) -> (&[u8], &V) {
        let (k, v) = &self.entries[i];
        (k.as_bytes(), v)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], &V)> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, v)| (k.as_bytes(), v))
    }

    /// One step of a SCAN: calls `f` on up to `count` entries below cursor position `cursor`
    /// (0 starts at the end) and returns the next cursor (0 when done).
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &V)) -> u64 {
        let top = if cursor == 0 { self.entries.len() } else { usize::try_from(cursor).unwrap_or(usize::MAX).min(self.entries.len()) };
        let bottom = top.saturating_sub(count.max(1));
        for i in (bottom..top).rev() {
            let (k, v) = &self.entries[i];
            f(k.as_bytes(), v);
        }
        bottom as u64
    }

    /// Heap bytes, approximately as the allocator sees them; O(1).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(Bytes22, V)>()
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
            + self.payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_dict_behaves_like_a_map_and_scans_keep_their_promise() {
        let mut d: Dict<()> = Dict::default();
        let mut model: HashMap<Vec<u8>, ()> = HashMap::new();
        let mut x: u64 = 5;
        for step in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = format!("k{}", x % 3000).into_bytes();
            if x % 3 == 0 {
                assert_eq!(d.remove(&key).map(|e| e.1), model.remove(&key), "step {step}");
            } else {
                assert_eq!(d.upsert(&key, ()), model.insert(key, ()), "step {step}");
            }
            assert_eq!(d.len(), model.len());
        }
        for (k, v) in &model {
            assert_eq!(d.get(k), Some(v));
        }
        assert_eq!(d.payload, model.keys().map(|k| key_size(k)).sum::<usize>(), "the byte count follows inserts and removals");
        // A scan interleaved with removals and inserts still returns every key present
        // throughout.
        let stable: Vec<Vec<u8>> = model.keys().filter(|k| k.ends_with(b"7")).cloned().collect();
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0u64;
        loop {
            cursor = d.scan(cursor, 10, |k, _| {
                seen.insert(k.to_vec());
            });
            round += 1;
            let victim = format!("k{}", (round * 37) % 3000).into_bytes();
            if !victim.ends_with(b"7") {
                d.remove(&victim);
            }
            d.upsert(format!("new{round}").as_bytes(), ());
            if cursor == 0 {
                break;
            }
        }
        for k in &stable {
            assert!(seen.contains(k), "{:?} missed", String::from_utf8_lossy(k));
        }
    }
}
