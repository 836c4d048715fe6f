//! Effects logging: after each command, its deterministic effect goes into the pending
//! EFFECTS payload, and at the end of each top-level unit (a command, an EXEC, an expiry slice)
//! the payload becomes one log record. The client that caused it gets its replies held until
//! the log is durable past that record.
//!
//! What is logged for a command (docs/format/log.md, "EFFECTS payload"):
//! - keys deleted by expiry while it ran: `DEL key`, first;
//! - then, if it succeeded and changed data: the rewrite its handler asked for
//!   (`Ctx::propagate_as`: relative TTLs made absolute, INCRBYFLOAT as SET ... KEEPTTL), or
//!   else its own arguments, which are then deterministic given the state they apply to.
//!
//! A WRITE command that changed nothing (SET NX on an existing key, DEL of a missing key)
//! logs nothing. Keyless writes (FLUSHALL, SWAPDB) are logged whenever they succeed.

use crate::commands::{flags, CommandSpec};
use crate::protocol::Args;
use crate::storage::record::{encode_effect, encode_effect_iter, KIND_EFFECTS};

use super::Server;

/// Effects collected for the record being built.
#[derive(Debug, Default)]
pub struct Effects {
    payload: Vec<u8>,
    /// Set by a handler that must be logged as other commands than its own arguments.
    rewrite: Vec<(usize, Vec<Vec<u8>>)>,
    rewritten: bool,
    /// (db, key hash) of the keys the pending record writes (see `pending`).
    touched: Vec<(usize, u64)>,
    /// The unit was a keyless write: a barrier every read waits for.
    barrier: bool,
}

impl Effects {
    /// Logs the running command as `argv` in `db` instead of its own arguments (several
    /// calls log several commands).
    pub fn push_rewrite(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        self.rewritten = true;
        self.rewrite.push((db, argv));
    }

    /// Logs the running command as nothing (its effect was already logged another way).
    pub fn suppress(&mut self) {
        self.rewritten = true;
    }

    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }
}

fn db32(db: usize) -> u32 {
    u32::try_from(db).expect("database index fits in u32")
}

/// The effect of an expiry: DEL of the key, or HDEL of the hash fields that expired.
fn encode_expired(payload: &mut Vec<u8>, e: &crate::db::KeyEvent) {
    if e.fields.is_empty() {
        encode_effect(payload, db32(e.db), &[b"DEL", e.key.as_bytes()]);
    } else {
        let mut argv: Vec<&[u8]> = vec![b"HDEL", e.key.as_bytes()];
        argv.extend(e.fields.iter().map(Vec::as_slice));
        encode_effect(payload, db32(e.db), &argv);
    }
}

impl Server {
    /// Records the effects of the command that just ran; called before its key events are
    /// handed on.
    pub(super) fn propagate_command(&mut self, slot: usize, spec: &CommandSpec, args: Args<'_>, ok: bool) {
        let keyless = spec.keys.is_empty() && spec.full_name != "exec";
        if ok && spec.has(flags::WRITE) && (keyless || self.clock.events.borrow().iter().any(|e| !e.expired)) {
            self.snapshots.dirty += 1;
        }
        if self.log.is_none() {
            self.effects.rewrite.clear();
            self.effects.rewritten = false;
            return;
        }
        let mut wrote = false;
        for e in self.clock.events.borrow().iter() {
            if e.expired {
                encode_expired(&mut self.effects.payload, e);
            } else {
                wrote = true;
            }
            self.effects.touched.push((e.db, self.pending.key_hash(e.key.as_bytes())));
        }
        let keyless_write = spec.keys.is_empty() && spec.full_name != "exec";
        if ok && spec.has(flags::WRITE) && (wrote || keyless_write) {
            // Keyless writes, and writes that name databases (MOVE, COPY ... DB), may change
            // keys the events do not name in the client's database: make them barriers.
            self.effects.barrier |= keyless_write || matches!(spec.full_name, "move" | "copy" | "swapdb");
            if self.effects.rewritten {
                for (db, argv) in std::mem::take(&mut self.effects.rewrite) {
                    encode_effect_iter(&mut self.effects.payload, db32(db), argv.iter().map(Vec::as_slice));
                }
            } else {
                encode_effect_iter(&mut self.effects.payload, db32(self.clients.get(slot).db), args.iter());
            }
        }
        self.effects.rewrite.clear();
        self.effects.rewritten = false;
    }

    /// Logs effects produced outside a command (active expiry).
    pub fn propagate_expired_events(&mut self) {
        if self.log.is_none() {
            return;
        }
        for e in self.clock.events.borrow().iter().filter(|e| e.expired) {
            encode_expired(&mut self.effects.payload, e);
            self.effects.touched.push((e.db, self.pending.key_hash(e.key.as_bytes())));
        }
    }

    /// Turns the collected effects into one log record; returns the log offset just past it.
    pub fn flush_effects(&mut self) -> Option<u64> {
        if self.effects.payload.is_empty() {
            // Events of a command that logged nothing (a read, a no-op write) pend on nothing.
            self.effects.touched.clear();
            self.effects.barrier = false;
            return None;
        }
        let Some(log) = self.log.as_ref() else {
            // The log was turned off inside this unit (CONFIG SET appendonly no in MULTI):
            // what it collected has nowhere to go.
            self.effects.payload.clear();
            self.effects.touched.clear();
            self.effects.barrier = false;
            return None;
        };
        let now = u64::try_from(self.clock.now()).unwrap_or(0);
        let end = log.append(KIND_EFFECTS, now, &self.effects.payload);
        self.effects.payload.clear();
        self.written_offset = end;
        for (db, key) in self.effects.touched.drain(..) {
            self.pending.note(db, key, end);
        }
        if std::mem::take(&mut self.effects.barrier) {
            self.pending.note_barrier(end);
        }
        Some(end)
    }
}
