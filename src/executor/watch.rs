//! WATCH: which clients watch which keys, and invalidation when a watched key changes.
//!
//! The index maps (db, key) to the slots of the clients watching it; each client also lists
//! its own watched keys (to unwatch on EXEC, DISCARD, UNWATCH or disconnect). The executor
//! feeds every key event of every command through `on_event`, whatever produced it — a
//! client's write, an expiry, a FLUSHDB — which is how Redis's "any change, including
//! expiry" rule holds without per-command code.

use std::collections::HashMap;

use super::client::{Clients, Watched};
use crate::db::{Db, Key};

#[derive(Debug, Default)]
pub struct WatchIndex {
    by_key: HashMap<(usize, Vec<u8>), Vec<usize>>,
}

impl WatchIndex {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Number of distinct watched keys (INFO watching_clients / watched_keys).
    pub fn keys(&self) -> usize {
        self.by_key.len()
    }

    pub fn watch(&mut self, clients: &mut Clients, slot: usize, db: usize, key: &[u8], expired_now: bool) {
        let c = clients.get_mut(slot);
        if c.watched.iter().any(|w| w.db == db && w.key.as_bytes() == key) {
            return;
        }
        c.watched.push(Watched { db, key: Key::new(key), expired_at_watch: expired_now });
        self.by_key.entry((db, key.to_vec())).or_default().push(slot);
    }

    pub fn unwatch_all(&mut self, clients: &mut Clients, slot: usize) {
        let watched = std::mem::take(&mut clients.get_mut(slot).watched);
        for w in watched {
            let k = (w.db, w.key.as_bytes().to_vec());
            if let Some(list) = self.by_key.get_mut(&k) {
                list.retain(|&s| s != slot);
                if list.is_empty() {
                    self.by_key.remove(&k);
                }
            }
        }
    }

    /// A key changed (`expired` = it was deleted by expiry).
    pub fn on_event(&mut self, clients: &mut Clients, db: usize, key: &[u8], expired: bool) {
        let Some(slots) = self.by_key.get(&(db, key.to_vec())) else { return };
        for &slot in slots {
            let c = clients.get_mut(slot);
            let Some(w) = c.watched.iter_mut().find(|w| w.db == db && w.key.as_bytes() == key) else { continue };
            if expired && w.expired_at_watch {
                // It was already logically gone when watched; its deletion changes nothing.
                w.expired_at_watch = false;
                continue;
            }
            c.dirty_cas = true;
        }
    }

    /// FLUSHDB/FLUSHALL (`replacement` None) or SWAPDB (`replacement` the database that takes
    /// its place) of `db`: watched keys that exist in either version changed.
    pub fn on_db_replaced(&mut self, clients: &mut Clients, db: &Db, replacement: Option<&Db>) {
        for ((d, key), slots) in &self.by_key {
            if *d != db.id {
                continue;
            }
            let in_old = db.ks.get(key).is_some();
            let in_new = replacement.is_some_and(|r| r.ks.get(key).is_some());
            if !in_old && !in_new {
                continue;
            }
            for &slot in slots {
                let c = clients.get_mut(slot);
                let Some(w) = c.watched.iter_mut().find(|w| w.db == *d && w.key.as_bytes() == key.as_slice()) else {
                    continue;
                };
                if w.expired_at_watch && !in_new {
                    w.expired_at_watch = false;
                    continue;
                }
                c.dirty_cas = true;
            }
        }
    }

    /// True if a key watched while alive has expired since (EXEC must then fail).
    pub fn any_expired_since_watch(&self, clients: &Clients, slot: usize, dbs: &[Db], now_ms: i64) -> bool {
        clients
            .get(slot)
            .watched
            .iter()
            .any(|w| !w.expired_at_watch && dbs[w.db].ks.get(w.key.as_bytes()).is_some_and(|e| e.is_expired(now_ms)))
    }
}
