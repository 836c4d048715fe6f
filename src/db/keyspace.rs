//! The keyspace of one database: `KEYSPACE_SHARDS` open-addressing tables of boxed entries,
//! chosen by bits 32.. of a keyed hash of the key.
//!
//! Why shards: a single table that doubles must move every entry at once (measured here: ~1 s
//! for one insert at 3.7M keys). A shard holds `keys / 4096` entries, so its growth moves a
//! few thousand pointers — tens of microseconds — and no insert ever stalls the executor.
//! The shards also give SCAN a cursor that survives growth: a key never changes shard, so a
//! cursor that walks whole shards returns every key present for the whole scan.
//!
//! Invariants: `len` equals the sum of the shards' lengths; `volatile` counts the entries with
//! an expiry, per shard and in total. Both are asserted in debug builds by `check()`.

use hashbrown::HashTable;

use super::value::Entry;
use crate::limits::KEYSPACE_SHARDS;

/// The hash used for every key of every database; seeded randomly when a server starts
/// empty, or with the seed of the snapshot it loads (see `seed`).
#[derive(Clone)]
pub struct KeyHasher(foldhash::fast::FixedState, u64);

impl KeyHasher {
    pub fn new(seed: u64) -> Self {
        KeyHasher(foldhash::fast::FixedState::with_seed(seed), seed)
    }

    pub fn hash(&self, key: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        self.0.hash_one(key)
    }

    /// The seed, which snapshots keep: loading with the writer's seed puts the keys of one
    /// shard next to each other in the file, so inserts fill one small table at a time.
    pub fn seed(&self) -> u64 {
        self.1
    }
}

/// Shard of a hash: bits above those the table uses for its slot (low bits) and below its
/// control tag (top 7 bits), so all three stay independent.
pub fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize & (KEYSPACE_SHARDS - 1)
}

#[derive(Default)]
struct Shard {
    table: HashTable<Box<Entry>>,
    volatile: usize,
    /// Bumped by every insert (a replacement too: see `insert`) and every removal: while it
    /// stays the same, the table's iteration order does too (the snapshot walk resumes by
    /// position).
    layout: u64,
}

pub struct Keyspace {
    /// Empty until the first insert, so the 15 unused databases of a server cost nothing.
    shards: Vec<Shard>,
    hasher: KeyHasher,
    len: usize,
    volatile: usize,
}

impl Keyspace {
    pub fn new(hasher: KeyHasher) -> Self {
        Keyspace { shards: Vec::new(), hasher, len: 0, volatile: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys with an expiry.
    pub fn volatile_len(&self) -> usize {
        self.volatile
    }

    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    fn locate(&self, key: &[u8]) -> (u64, usize) {
        let h = self.hasher.hash(key);
        (h, shard_of(h))
    }

    /// The hash of a key, to look it up more than once without hashing again.
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash(key)
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.get_h(self.hash(key), key)
    }

    pub fn get_h(&self, h: u64, key: &[u8]) -> Option<&Entry> {
        debug_assert_eq!(h, self.hash(key));
        self.shards.get(shard_of(h))?.table.find(h, |e| e.key() == key).map(|b| &**b)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.get_mut_h(self.hash(key), key)
    }

    pub fn get_mut_h(&mut self, h: u64, key: &[u8]) -> Option<&mut Entry> {
        debug_assert_eq!(h, self.hash(key));
        self.shards.get_mut(shard_of(h))?.table.find_mut(h, |e| e.key() == key).map(|b| &mut **b)
    }

    /// Inserts or replaces; returns the previous entry.
    pub fn insert(&mut self, entry: Box<Entry>) -> Option<Box<Entry>> {
        if self.shards.is_empty() {
            self.shards.resize_with(KEYSPACE_SHARDS, Shard::default);
        }
        let (h, s) = self.locate(entry.key());
        let hasher = &self.hasher;
        let shard = &mut self.shards[s];
        let new_volatile = entry.expire_at_ms().is_some();
        // `entry` makes room for one more before it looks (hashbrown reserves first), so even
        // a replacement may grow the table or rehash it in place: the order changes either way.
        shard.layout += 1;
        let old = match shard.table.entry(h, |e| e.key() == entry.key(), |e| hasher.hash(e.key())) {
            hashbrown::hash_table::Entry::Occupied(mut o) => Some(std::mem::replace(o.get_mut(), entry)),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(entry);
                None
            }
        };
        let old_volatile = old.as_ref().is_some_and(|o| o.expire_at_ms().is_some());
        if old.is_none() {
            self.len += 1;
        }
        Self::adjust_volatile(&mut shard.volatile, &mut self.volatile, old_volatile, new_volatile);
        old
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Box<Entry>> {
        self.remove_h(self.hash(key), key)
    }

    pub fn remove_h(&mut self, h: u64, key: &[u8]) -> Option<Box<Entry>> {
        debug_assert_eq!(h, self.hash(key));
        let shard = self.shards.get_mut(shard_of(h))?;
        let Ok(occ) = shard.table.find_entry(h, |e| e.key() == key) else { return None };
        shard.layout += 1;
        let (old, _) = occ.remove();
        self.len -= 1;
        Self::adjust_volatile(&mut shard.volatile, &mut self.volatile, old.expire_at_ms().is_some(), false);
        Some(old)
    }

    /// Sets or clears a key's expiry; returns false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], at_ms: Option<i64>) -> bool {
        if self.shards.is_empty() {
            return false;
        }
        let (h, s) = self.locate(key);
        let shard = &mut self.shards[s];
        let Some(e) = shard.table.find_mut(h, |e| e.key() == key) else { return false };
        let was = e.expire_at_ms().is_some();
        e.set_expire_raw(at_ms);
        Self::adjust_volatile(&mut shard.volatile, &mut self.volatile, was, at_ms.is_some());
        true
    }

    fn adjust_volatile(shard: &mut usize, total: &mut usize, was: bool, is: bool) {
        match (was, is) {
            (false, true) => {
                *shard += 1;
                *total += 1;
            }
            (true, false) => {
                *shard -= 1;
                *total -= 1;
            }
            _ => {}
        }
    }

    /// Entries of one shard (SCAN, KEYS, active expiry walk shards one at a time).
    pub fn shard_iter(&self, shard: usize) -> impl Iterator<Item = &Entry> {
        self.shards.get(shard).into_iter().flat_map(|s| s.table.iter().map(|b| &**b))
    }

    /// The shard's layout version (see `Shard::layout`).
    pub fn shard_layout(&self, shard: usize) -> u64 {
        self.shards.get(shard).map_or(0, |s| s.layout)
    }

    /// Entries of one shard, mutably (the snapshot walk marks what it has written).
    pub fn shard_iter_mut(&mut self, shard: usize) -> impl Iterator<Item = &mut Entry> {
        self.shards.get_mut(shard).into_iter().flat_map(|s| s.table.iter_mut().map(|b| &mut **b))
    }

    pub fn shard_len(&self, shard: usize) -> usize {
        self.shards.get(shard).map_or(0, |s| s.table.len())
    }

    pub fn shard_volatile(&self, shard: usize) -> usize {
        self.shards.get(shard).map_or(0, |s| s.volatile)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.shards.iter().flat_map(|s| s.table.iter().map(|b| &**b))
    }

    /// The `n`th entry of a shard in table order (RANDOMKEY's pick).
    pub fn shard_nth(&self, shard: usize, n: usize) -> Option<&Entry> {
        self.shards.get(shard)?.table.iter().nth(n).map(|b| &**b)
    }

    /// Removes the entries of one shard that `pred` selects, returning them.
    pub fn shard_extract(&mut self, shard: usize, mut pred: impl FnMut(&Entry) -> bool) -> Vec<Box<Entry>> {
        let Some(sh) = self.shards.get_mut(shard) else { return Vec::new() };
        let out: Vec<Box<Entry>> = sh.table.extract_if(|e| pred(e)).collect();
        sh.layout += out.len() as u64;
        for e in &out {
            self.len -= 1;
            if e.expire_at_ms().is_some() {
                sh.volatile -= 1;
                self.volatile -= 1;
            }
        }
        out
    }

    /// Makes room for `n` more keys spread over the shards (a snapshot load knows its counts:
    /// no table grows while it loads).
    pub fn reserve(&mut self, n: usize) {
        if self.shards.is_empty() {
            self.shards.resize_with(KEYSPACE_SHARDS, Shard::default);
        }
        let per = n / KEYSPACE_SHARDS + n / KEYSPACE_SHARDS / 8 + 8;
        let hasher = &self.hasher;
        for s in &mut self.shards {
            s.table.reserve(per, |e| hasher.hash(e.key()));
        }
    }

    /// Bytes held by the tables themselves (entries are counted by the allocator).
    pub fn table_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.table.allocation_size()).sum::<usize>() + self.shards.capacity() * std::mem::size_of::<Shard>()
    }

    /// Takes every entry out, leaving the keyspace empty (FLUSHDB; the caller decides where
    /// the old entries are freed).
    pub fn take(&mut self) -> Keyspace {
        let hasher = self.hasher.clone();
        std::mem::replace(self, Keyspace::new(hasher))
    }

    /// Debug-build consistency check of the counters against the tables.
    pub fn check(&self) {
        let len: usize = self.shards.iter().map(|s| s.table.len()).sum();
        assert_eq!(len, self.len, "keyspace length out of sync");
        for s in &self.shards {
            let v = s.table.iter().filter(|e| e.expire_at_ms().is_some()).count();
            assert_eq!(v, s.volatile, "shard volatile count out of sync");
        }
        assert_eq!(self.shards.iter().map(|s| s.volatile).sum::<usize>(), self.volatile);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::value::{Str, Value};

    fn entry(k: &str) -> Box<Entry> {
        Box::new(Entry::new(k.as_bytes(), Value::Str(Str::from_bytes(b"v")), 0))
    }

    /// hashbrown's `entry` reserves room before it looks, so replacing a key of a full table
    /// regrows it: the snapshot walk, which resumes a shard by position, must see the layout
    /// change (a capture once lost keys this way).
    #[test]
    fn a_replacement_that_regrows_the_table_changes_the_layout() {
        let mut ks = Keyspace::new(KeyHasher::new(11));
        let mut i = 0;
        loop {
            let k = format!("k{i}");
            i += 1;
            if shard_of(ks.hash(k.as_bytes())) != 0 {
                continue;
            }
            ks.insert(entry(&k));
            let t = &ks.shards[0].table;
            if t.len() > 8 && t.len() == t.capacity() {
                break;
            }
        }
        let order = |ks: &Keyspace| ks.shard_iter(0).map(|e| e.key().to_vec()).collect::<Vec<_>>();
        let (before, layout) = (order(&ks), ks.shard_layout(0));
        let k = String::from_utf8(before[0].clone()).unwrap();
        assert!(ks.insert(entry(&k)).is_some());
        assert_ne!(order(&ks), before, "the replacement regrew the table");
        assert_ne!(ks.shard_layout(0), layout);
    }

    #[test]
    fn insert_remove_expire_keep_counts() {
        let mut ks = Keyspace::new(KeyHasher::new(7));
        for i in 0..10_000 {
            assert!(ks.insert(entry(&format!("k{i}"))).is_none());
        }
        assert!(ks.insert(entry("k5")).is_some());
        assert_eq!(ks.len(), 10_000);
        assert!(ks.set_expire(b"k1", Some(5)));
        assert!(ks.set_expire(b"k2", Some(5)));
        assert!(!ks.set_expire(b"nope", Some(5)));
        assert_eq!(ks.volatile_len(), 2);
        assert!(ks.remove(b"k1").is_some());
        assert_eq!((ks.len(), ks.volatile_len()), (9_999, 1));
        // Replacing a volatile entry with a persistent one drops the volatile count.
        ks.insert(entry("k2"));
        assert_eq!(ks.volatile_len(), 0);
        ks.check();
        let all: usize = (0..KEYSPACE_SHARDS).map(|s| ks.shard_iter(s).count()).sum();
        assert_eq!(all, 9_999);
    }
}
