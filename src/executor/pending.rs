//! Reads never reveal a write that is not yet durable, and reads of durable data never wait.
//!
//! Every key a logged unit touched is remembered with the end offset of its record until the
//! log releases that offset. A read holds its reply until the newest pending write of any key
//! it reads is released; a keyless write (FLUSHALL, SWAPDB) is a barrier every read waits for;
//! a keyless read (KEYS, SCAN, DBSIZE) waits for everything written. When nothing is pending
//! (the common case for a read-mostly load) the check is one comparison.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// foldhash, not SipHash: these maps are touched by every logged write and every read while
/// writes are pending, and keys are client-chosen but only live until their record is
/// released (a flood of colliding keys costs at most one group commit's worth of probing).
type KeyMap = HashMap<Rc<[u8]>, u64, foldhash::fast::RandomState>;

#[derive(Debug, Default)]
pub struct PendingWrites {
    /// Indexed by database: key -> end offset of its newest unreleased record. Keys are
    /// shared with `order` (one allocation per noted key) and looked up by `&[u8]` (no
    /// allocation per read).
    by_db: Vec<KeyMap>,
    /// Keys across all databases.
    keys: usize,
    /// (end offset, db, key) in offset order, to forget keys as the log releases them.
    order: VecDeque<(u64, usize, Rc<[u8]>)>,
    /// End offset of the last keyless write.
    barrier_offset: u64,
}

impl PendingWrites {
    pub fn note(&mut self, db: usize, key: Rc<[u8]>, end_offset: u64) {
        if self.by_db.len() <= db {
            self.by_db.resize_with(db + 1, KeyMap::default);
        }
        if self.by_db[db].insert(key.clone(), end_offset).is_none() {
            self.keys += 1;
        }
        debug_assert!(self.order.back().is_none_or(|b| b.0 <= end_offset), "records end in offset order");
        self.order.push_back((end_offset, db, key));
    }

    pub fn note_barrier(&mut self, end_offset: u64) {
        self.barrier_offset = self.barrier_offset.max(end_offset);
    }

    /// The offset a read of `key` must wait for (0: none).
    pub fn hold_for(&self, db: usize, key: &[u8]) -> u64 {
        let own = self.by_db.get(db).and_then(|m| m.get(key)).copied().unwrap_or(0);
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
        p.note(0, Rc::from(&b"a"[..]), 100);
        p.note(0, Rc::from(&b"b"[..]), 200);
        p.note(0, Rc::from(&b"a"[..]), 300);
        assert_eq!((p.hold_for(0, b"a"), p.hold_for(0, b"b"), p.hold_for(1, b"a"), p.hold_for(0, b"z")), (300, 200, 0, 0));
        p.prune(200);
        assert_eq!((p.hold_for(0, b"a"), p.hold_for(0, b"b")), (300, 0), "a's newer write still pending");
        p.note_barrier(400);
        assert_eq!(p.hold_for(0, b"z"), 400);
        p.prune(400);
        assert_eq!((p.hold_for(0, b"a"), p.hold_for(0, b"z"), p.len()), (0, 0, 0));
    }
}
