//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN and friends) and their service.
//!
//! A blocking command that finds nothing registers its client here, in a FIFO queue per
//! key, and keeps its arguments. Any write to a key with a queue marks the key ready (from
//! the key events every write produces, so pushes, renames, restores and stores all count).
//! After the command that caused it — after EXEC as a whole, so a push inside MULTI serves
//! only once the transaction is done — the executor serves the ready keys: it runs each
//! queued client's command again, oldest first, while the key still has something to pop.
//! Each served command is its own log record (its effect, LPOP rather than BLPOP), and its
//! reply waits in the client until its connection, woken, takes it in place of running the
//! command again.
//!
//! Deadlines and CLIENT UNBLOCK stay with the connection: it runs the command again at the
//! deadline, and the handler then replies with its timeout reply and unregisters.

use std::collections::{HashMap, VecDeque};

use crate::protocol::OwnedArgs;

/// What a blocked command waits for: a key holding this kind of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    List,
    ZSet,
}

#[derive(Default)]
pub struct BlockingKeys {
    queues: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    /// Keys written since the last service that have queues, in the order written.
    ready: Vec<(usize, Vec<u8>)>,
}

/// A client's registration: its command and the keys it waits on.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub argv: OwnedArgs,
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    pub wants: Wants,
}

impl BlockingKeys {
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    pub fn register(&mut self, slot: usize, db: usize, keys: &[Vec<u8>]) {
        for k in keys {
            let q = self.queues.entry((db, k.clone())).or_default();
            if !q.contains(&slot) {
                q.push_back(slot);
            }
        }
    }

    pub fn unregister(&mut self, slot: usize, db: usize, keys: &[Vec<u8>]) {
        for k in keys {
            let id = (db, k.clone());
            if let Some(q) = self.queues.get_mut(&id) {
                q.retain(|&s| s != slot);
                if q.is_empty() {
                    self.queues.remove(&id);
                }
            }
        }
    }

    /// Called for every key event: marks the key ready if anyone waits on it.
    pub fn on_write(&mut self, db: usize, key: &[u8]) {
        if self.queues.is_empty() {
            return;
        }
        let id = (db, key.to_vec());
        if self.queues.contains_key(&id) && !self.ready.contains(&id) {
            self.ready.push(id);
        }
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    pub fn take_ready(&mut self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut self.ready)
    }

    /// The clients waiting on a key, oldest first.
    pub fn queue(&self, db: usize, key: &[u8]) -> Vec<usize> {
        self.queues.get(&(db, key.to_vec())).map(|q| q.iter().copied().collect()).unwrap_or_default()
    }

    /// Blocked clients in total (INFO blocked_clients counts clients, not keys).
    pub fn keys_watched(&self) -> usize {
        self.queues.len()
    }
}

/// Served commands can make more keys ready (BLMOVE pushes): rounds of service per command
/// are bounded so a ring of clients moving one element around cannot hold the executor.
const SERVICE_ROUNDS_MAX: usize = 1000;

impl super::Server {
    /// Serves the clients blocked on keys written by the last command, oldest first per key.
    pub fn serve_blocked(&mut self) {
        for _ in 0..SERVICE_ROUNDS_MAX {
            if !self.blocking.has_ready() {
                return;
            }
            for (db, key) in self.blocking.take_ready() {
                for slot in self.blocking.queue(db, &key) {
                    let Some(wants) = self.clients.get(slot).waiting.as_ref().map(|w| w.wants) else { continue };
                    if !self.dbs[db].can_serve(&key, wants) {
                        break;
                    }
                    self.serve_one(slot);
                }
            }
        }
        crate::log_warning!("Blocked clients still ready after {SERVICE_ROUNDS_MAX} rounds of service; the rest wait for the next write");
        self.blocking.take_ready();
    }

    /// Runs a blocked client's command again; it pops now that its key has something.
    fn serve_one(&mut self, slot: usize) {
        let Some(w) = self.clients.get(slot).waiting.clone() else { return };
        let args = w.argv.as_args();
        let Ok(r) = crate::commands::table::table().lookup(args) else { return };
        let mut out = crate::protocol::Out::new(self.clients.get(slot).resp3);
        self.call(slot, r, args, &mut out);
        let hold = self.flush_effects();
        let c = self.clients.get_mut(slot);
        if let Some(end) = hold {
            c.hold_until = c.hold_until.max(end);
            c.last_write_offset = end;
        }
        if c.blocked.is_some() {
            debug_assert!(out.is_empty(), "a command still blocked replied");
            return;
        }
        match c.reply_mode {
            super::client::ReplyMode::Off => out.buf.clear(),
            super::client::ReplyMode::SkipNext | super::client::ReplyMode::Skip => {
                out.buf.clear();
                c.reply_mode = super::client::ReplyMode::On;
            }
            super::client::ReplyMode::On => {}
        }
        c.served_reply = Some(out.buf);
        c.wake.raise();
    }
}

impl crate::db::Db {
    /// Whether `key` holds something a client waiting for `wants` can pop.
    pub fn can_serve(&mut self, key: &[u8], wants: Wants) -> bool {
        use crate::db::Value;
        match (self.get_quiet(key).map(|e| &e.value), wants) {
            (Some(Value::List(l)), Wants::List) => !l.is_empty(),
            (Some(Value::ZSet(z)), Wants::ZSet) => !z.is_empty(),
            _ => false,
        }
    }
}
