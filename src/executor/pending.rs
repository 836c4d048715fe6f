//! Reads never reveal a write that is not yet durable, and reads of durable data never wait.
//!
//! Every key a logged unit touched is remembered (by hash) with the end offset of its record until the
//! log releases that offset. A read holds its reply until the newest pending write of any key
//! it reads is released; a keyless write (FLUSHALL, SWAPDB) is a barrier every read waits for;
//! a keyless read (KEYS, SCAN, DBSIZE) waits for everything written. When nothing is pending
//! (the common case for a read-mostly load) the check is one comparison.

use std::collections::{HashMap, VecDeque};

/// Keys are remembered by a 64-bit hash, not by their bytes: no allocation per logged write,
/// and a collision (odds 2^-64 per pair) only makes a read wait for an unrelated write's
/// fsync, never answer early.
type HashMap64 = HashMap<u64, u64, foldhash::fast::RandomState>;

#[derive(Debug, Default)]
pub struct PendingWrites {
    /// Indexed by database: key hash -> end offset of its newest unreleased record.
    by_db: Vec<HashMap64>,
    /// Keys across all databases.
    keys: usize,
    /// (end offset, db, key hash) in offset order, to forget keys as the log releases them.
    order: VecDeque<(u64, usize, u64)>,
    /// End offset of the last keyless write.
    barrier_offset: u64,
    hasher: foldhash::fast::RandomState,
}

impl PendingWrites {
    /// The hash a key is remembered by.
    pub fn key_hash(&self, key: &[u8]) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, key)
    }

    pub fn note(&mut self, db: usize, key_hash: u64, end_offset: u64) {
        if self.by_db.len() <= db {
            self.by_db.resize_with(db + 1, HashMap64::default);
        }
        if self.by_db[db].insert(key_hash, end_offset).is_none() {
            self.keys += 1;
        }
        debug_assert!(self.order.back().is_none_or(|b| b.0 <= end_offset), "records end in offset order");
        self.order.push_back((end_offset, db, key_hash));
    }

    pub fn note_barrier(&mut self, end_offset: u64) {
        self.barrier_offset = self.barrier_offset.max(end_offset);
    }

    /// The offset a read of `key` must wait for (0: none).
    pub fn hold_for(&self, db: usize, key: &[u8]) -> u64 {
        let own = self.by_db.get(db).and_then(|m| m.get(&self.key_hash(key))).copied().unwrap_or(0);
        own.max(self.barrier_offset)
    }

    /// Forgets writes the log has released.
    pub fn prune(&mut self, released_offset: u64) {
        while self.order.front().is_some_and(|f| f.0 <= released_offset) {
            let (end, db, key) = self.order.pop_front().expect("front exists");
            let m = &mut self.by_db[db];
            if m.get(&key) == Some(&end) {
                m.remove(&key);
                self.keys -= 1;
            }
        }
        if self.barrier_offset <= released_offset {
            self.barrier_offset = 0;
        }
        debug_assert_eq!(self.keys, self.by_db.iter().map(HashMap::len).sum::<usize>());
    }

    pub fn len(&self) -> usize {
        self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_only_reads_of_pending_keys_until_released() {
        let mut p = PendingWrites::default();
        let (a, b) = (p.key_hash(b"a"), p.key_hash(b"b"));
        p.note(0, a, 100);
        p.note(0, b, 200);
        p.note(0, a, 300);
        assert_eq!((p.hold_for(0, b"a"), p.hold_for(0, b"b"), p.hold_for(1, b"a"), p.hold_for(0, b"z")), (300, 200, 0, 0));
        p.prune(200);
        assert_eq!((p.hold_for(0, b"a"), p.hold_for(0, b"b")), (300, 0), "a's newer write still pending");
        p.note_barrier(400);
        assert_eq!(p.hold_for(0, b"z"), 400);
        p.prune(400);
        assert_eq!((p.hold_for(0, b"a"), p.hold_for(0, b"z"), p.len()), (0, 0, 0));
    }
}
