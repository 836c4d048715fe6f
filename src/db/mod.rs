//! A database: the keyspace plus Redis's key semantics on top of it — lazy expiry, access
//! clocks for LRU/LFU, hit/miss counters — and the record of what each command changed.
//!
//! Every write goes through `set`, `get_mut`, `remove` or `set_expire`, and every deletion by
//! expiry through `expire_if_needed` or `expire_shard`; each notes a `KeyEvent` in the shared
//! context. After each command the executor drains the events: that is the one place where WATCH, and later the log, client
//! tracking and blocked clients, learn what changed — whether the write came from a client,
//! from recovery replay or from a primary. Handlers therefore call a write method only when
//! they really change the key (a failed INCR must not look like a write to WATCH).

pub mod capture;
mod entry_key;
pub mod keyspace;
pub mod lru;
pub mod value;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub use keyspace::{KeyHasher, Keyspace};
pub use value::{Entry, Key, Str, Value};

/// How expiry applies to lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireMode {
    /// A primary serving clients: an expired key is deleted when touched.
    Primary,
    /// Replaying the log: expiry already happened as logged DELs, so keys are taken as they
    /// are, whatever the clock says.
    Replay,
}

/// A change to a key, as the executor sees it after each command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    pub db: usize,
    pub key: Key,
    /// Deleted by expiry rather than written.
    pub expired: bool,
    /// With `expired`: only these fields of a hash expired (logged as HDEL, not DEL).
    pub fields: Vec<Vec<u8>>,
}

/// The per-command context every database shares: the time, set by the executor once per
/// command (Redis caches it the same way, so a command sees one instant), and the list of
/// key events the command produced.
#[derive(Debug)]
pub struct DbContext {
    pub events: RefCell<Vec<KeyEvent>>,
    pub now_ms: Cell<i64>,
    pub mode: Cell<ExpireMode>,
    /// LFU instead of LRU in `Entry::access` (maxmemory-policy *-lfu).
    pub lfu: Cell<bool>,
    pub lfu_log_factor: Cell<u32>,
    pub lfu_decay_minutes: Cell<u32>,
    /// Set while a command must not change access clocks (OBJECT, TOUCH's own logic, DEBUG).
    pub no_touch: Cell<bool>,
    pub rng: Cell<u64>,
    /// The snapshot being captured, if any (`capture`), and a fast flag for the write hooks.
    pub capture: RefCell<Option<capture::Capture>>,
    pub capturing: Cell<bool>,
    /// The current snapshot epoch: new entries are born with it.
    pub snap_epoch: Cell<u8>,
}

impl DbContext {
    pub fn new(now_ms: i64, seed: u64) -> Rc<Self> {
        Rc::new(DbContext {
            events: RefCell::new(Vec::new()),
            now_ms: Cell::new(now_ms),
            mode: Cell::new(ExpireMode::Primary),
            lfu: Cell::new(false),
            lfu_log_factor: Cell::new(10),
            lfu_decay_minutes: Cell::new(1),
            no_touch: Cell::new(false),
            rng: Cell::new(seed | 1),
            capture: RefCell::new(None),
            capturing: Cell::new(false),
            snap_epoch: Cell::new(0),
        })
    }

    pub fn now(&self) -> i64 {
        self.now_ms.get()
    }

    /// A fast pseudo-random number (xorshift64*), for LFU increments and sampling.
    pub fn next_rand(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The access clock a new key starts with.
    pub fn initial_access(&self) -> u32 {
        if self.lfu.get() {
            lru::lfu_initial(self.now())
        } else {
            lru::lru_clock(self.now())
        }
    }

    fn touched_access(&self, access: u32) -> u32 {
        if self.lfu.get() {
            let r = self.next_rand();
            lru::lfu_touch(access, self.now(), self.lfu_log_factor.get(), self.lfu_decay_minutes.get(), r)
        } else {
            lru::lru_clock(self.now())
        }
    }
}

/// Counters INFO reports, kept per database and summed.
#[derive(Debug, Default, Clone, Copy)]
pub struct DbStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
    /// Hash fields removed by their expiry (INFO `expired_subkeys`, as Redis 7.4).
    pub expired_fields: u64,
}

pub struct Db {
    pub id: usize,
    pub ks: Keyspace,
    clock: Rc<DbContext>,
    pub stats: DbStats,
    /// Keys of hashes with field expiry times, and the order the active cycle visits them.
    field_ttl_keys: std::collections::HashSet<Vec<u8>>,
    field_ttl_queue: std::collections::VecDeque<Vec<u8>>,
}

/// Expiry requested by a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTtl {
    /// Drop any expiry (plain SET).
    Clear,
    /// Keep the key's current expiry (SET KEEPTTL, SETRANGE, APPEND...).
    Keep,
    /// Expire at this absolute Unix time in milliseconds.
    At(i64),
}

/// Snapshot hook for an entry about to change in place: a capture that has not written it
/// yet writes it now, as it is (see `capture`).
fn preserve_in_place(clock: &DbContext, db: usize, e: &mut Entry) {
    if clock.capturing.get() && e.snap_epoch != clock.snap_epoch.get() {
        if let Some(c) = clock.capture.borrow_mut().as_mut() {
            c.preserve(db, e);
        }
        e.snap_epoch = clock.snap_epoch.get();
    }
}

impl Db {
    /// Snapshot hook for an entry leaving the keyspace (deleted, replaced, expired).
    fn preserve_gone(&self, e: &Entry) {
        if self.clock.capturing.get() {
            if let Some(c) = self.clock.capture.borrow_mut().as_mut() {
                c.preserve(self.id, e);
            }
        }
    }

    pub fn new(id: usize, hasher: KeyHasher, clock: Rc<DbContext>) -> Self {
        Db {
            id,
            ks: Keyspace::new(hasher),
            clock,
            stats: DbStats::default(),
            field_ttl_keys: Default::default(),
            field_ttl_queue: Default::default(),
        }
    }

    pub fn clock(&self) -> &DbContext {
        &self.clock
    }

    fn note_touched(&self, key: &[u8]) {
        self.clock.events.borrow_mut().push(KeyEvent { db: self.id, key: Key::new(key), expired: false, fields: Vec::new() });
    }

    pub fn len(&self) -> usize {
        self.ks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ks.is_empty()
    }

    /// Deletes `key` if it has expired (on a primary). True if the key is logically gone,
    /// which on a replay is never.
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        let h = self.ks.hash(key);
        self.expire_if_needed_h(h, key)
    }

    /// `expire_if_needed` with the key's hash already known (lookups hash a key once).
    fn expire_if_needed_h(&mut self, h: u64, key: &[u8]) -> bool {
        if self.clock.mode.get() == ExpireMode::Replay {
            return false;
        }
        let now = self.clock.now();
        if !self.ks.get_h(h, key).is_some_and(|e| e.is_expired(now)) {
            return false;
        }
        if let Some(old) = self.ks.remove_h(h, key) {
            self.preserve_gone(&old);
        }
        self.note_expired(key);
        true
    }

    fn note_expired(&mut self, key: &[u8]) {
        self.stats.expired += 1;
        self.clock.events.borrow_mut().push(KeyEvent { db: self.id, key: Key::new(key), expired: true, fields: Vec::new() });
    }

    /// Read lookup: counts a hit or miss and refreshes the access clock.
    pub fn get(&mut self, key: &[u8]) -> Option<&Entry> {
        self.lookup(key, true, true)
    }

    /// Read lookup that leaves statistics and access clocks alone (write paths, SCAN).
    pub fn get_quiet(&mut self, key: &[u8]) -> Option<&Entry> {
        self.lookup(key, false, false)
    }

    /// Read lookup: `stats` counts a keyspace hit or miss, `touch` refreshes the access clock
    /// (Redis's LOOKUP_NOSTATS and LOOKUP_NOTOUCH, inverted).
    pub fn lookup(&mut self, key: &[u8], stats: bool, touch: bool) -> Option<&Entry> {
        let h = self.ks.hash(key);
        if self.expire_if_needed_h(h, key) {
            if stats {
                self.stats.misses += 1;
            }
            return None;
        }
        let touch = touch && !self.clock.no_touch.get();
        let clock = &self.clock;
        match self.ks.get_mut_h(h, key) {
            Some(e) => {
                if stats {
                    self.stats.hits += 1;
                }
                if touch {
                    e.access = clock.touched_access(e.access);
                }
                Some(&*e)
            }
            None => {
                if stats {
                    self.stats.misses += 1;
                }
                None
            }
        }
    }

    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Write lookup: the caller will modify the entry, so the key counts as touched.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let (id, ctx) = (self.id, Rc::clone(&self.clock));
        let e = self.get_mut_pending(key)?;
        ctx.events.borrow_mut().push(KeyEvent { db: id, key: Key::new(key), expired: false, fields: Vec::new() });
        Some(e)
    }

    /// Write lookup for a change that may still fail (INCR on a non-number): nothing is
    /// recorded until the caller confirms with `mark_written`. One lookup instead of a read
    /// followed by a write lookup.
    pub fn get_mut_pending(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let h = self.ks.hash(key);
        if self.expire_if_needed_h(h, key) {
            return None;
        }
        let (clock, id) = (&self.clock, self.id);
        let e = self.ks.get_mut_h(h, key)?;
        e.access = clock.touched_access(e.access);
        preserve_in_place(clock, id, e);
        Some(e)
    }

    /// Write lookup for collection commands: the entry at `key` if `fits` its value, or a
    /// new one holding `make()` if the key is absent; None (and nothing recorded) if the key
    /// holds a value that does not fit. One hash and no second lookup when the key exists.
    pub fn write_entry(&mut self, key: &[u8], fits: impl Fn(&Value) -> bool, make: impl FnOnce() -> Value) -> Option<&mut Entry> {
        let h = self.ks.hash(key);
        let exists = !self.expire_if_needed_h(h, key) && self.ks.get_h(h, key).is_some();
        if exists {
            if !self.ks.get_h(h, key).is_some_and(|e| fits(&e.value)) {
                return None;
            }
            self.note_touched(key);
        } else {
            self.set(key, make(), SetTtl::Clear);
        }
        let (clock, id) = (&self.clock, self.id);
        let e = self.ks.get_mut_h(h, key).expect("present or just set");
        if exists {
            e.access = clock.touched_access(e.access);
            preserve_in_place(clock, id, e);
        }
        Some(e)
    }

    /// Confirms a write made through `get_mut_pending`.
    pub fn mark_written(&mut self, key: &[u8]) {
        self.note_touched(key);
    }

    /// Mutable access for changes that are not writes — a re-encoding Redis performs on its
    /// write paths even when nothing changes (SETBIT of an equal bit makes the string "raw").
    /// Records no key event, so nothing reacts to it; never use it to change a value.
    pub fn get_mut_cosmetic(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.expire_if_needed(key) {
            return None;
        }
        self.ks.get_mut(key)
    }

    /// Stores `value` under `key`; returns the previous entry (None if it had expired).
    pub fn set(&mut self, key: &[u8], value: Value, ttl: SetTtl) -> Option<Box<Entry>> {
        if matches!(&value, Value::Hash(h) if h.has_field_ttls()) {
            self.note_field_ttls(key);
        }
        let mut e = Box::new(Entry::new(key, value, self.clock.initial_access()));
        e.snap_epoch = self.clock.snap_epoch.get();
        let keep = match ttl {
            SetTtl::Clear => None,
            SetTtl::At(ms) => Some(ms),
            // Keeping a TTL needs the old entry first; the common SET never does.
            SetTtl::Keep => self.get_quiet(key).and_then(Entry::expire_at_ms),
        };
        e.set_expire_raw(keep);
        // One lookup replaces the old entry; if it had expired, that counts as its expiry.
        let old = self.ks.insert(e);
        if let Some(o) = &old {
            self.preserve_gone(o);
        }
        let old = match old {
            Some(o) if self.clock.mode.get() != ExpireMode::Replay && o.is_expired(self.clock.now()) => {
                self.note_expired(key);
                None
            }
            other => other,
        };
        self.note_touched(key);
        old
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Box<Entry>> {
        if self.expire_if_needed(key) {
            return None;
        }
        let old = self.ks.remove(key)?;
        self.preserve_gone(&old);
        self.note_touched(key);
        Some(old)
    }

    /// Sets or clears the expiry of an existing key; false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], at_ms: Option<i64>) -> bool {
        if self.expire_if_needed(key) {
            return false;
        }
        if self.clock.capturing.get() {
            let (clock, id) = (&self.clock, self.id);
            if let Some(e) = self.ks.get_mut(key) {
                preserve_in_place(clock, id, e);
            }
        }
        if !self.ks.set_expire(key, at_ms) {
            return false;
        }
        self.note_touched(key);
        true
    }

    /// Inserts an entry moved from elsewhere (RENAME, MOVE) keeping its expiry and clock.
    pub fn insert_entry(&mut self, mut entry: Box<Entry>) -> Option<Box<Entry>> {
        self.note_touched(entry.key());
        // Under its new name (or in its new database) the entry was not in any image.
        entry.snap_epoch = self.clock.snap_epoch.get();
        let old = self.ks.insert(entry);
        if let Some(o) = &old {
            self.preserve_gone(o);
        }
        old
    }

    /// Inserts a key read from a snapshot at start-up: no key event, no expiry check (the
    /// log replay that follows may still use it). False if the key is already there.
    pub fn load(&mut self, key: &[u8], value: Value, expire_at_ms: Option<i64>, access: u32) -> bool {
        let mut e = Box::new(Entry::new(key, value, access));
        e.snap_epoch = self.clock.snap_epoch.get();
        e.set_expire_raw(expire_at_ms);
        self.ks.insert(e).is_none()
    }

    /// One step of active expiry: deletes the expired keys of one shard.
    pub fn expire_shard(&mut self, shard: usize) -> (usize, usize) {
        if self.clock.mode.get() == ExpireMode::Replay || self.ks.shard_volatile(shard) == 0 {
            return (0, self.ks.shard_volatile(shard));
        }
        let now = self.clock.now();
        let sampled = self.ks.shard_volatile(shard);
        let gone = self.ks.shard_extract(shard, |e| e.is_expired(now));
        for e in &gone {
            self.preserve_gone(e);
            self.note_expired(e.key());
        }
        (gone.len(), sampled)
    }

    /// Removes every key; returns the old keyspace so the caller can free it elsewhere.
    pub fn flush(&mut self) -> Keyspace {
        self.ks.take()
    }

    /// Removes the fields of the hash at `key` whose expiry has passed (on a primary; a
    /// replay applies the HDEL that was logged instead), deleting the key if none are left.
    /// Noted as an expiry event, which logs `HDEL key fields`. Returns how many went.
    pub fn expire_fields(&mut self, key: &[u8]) -> usize {
        if self.clock.mode.get() == ExpireMode::Replay {
            return 0;
        }
        let now = self.clock.now();
        let fields = match self.ks.get(key).map(|e| &e.value) {
            Some(Value::Hash(h)) if h.has_field_ttls() => h.expired_fields(now),
            _ => return 0,
        };
        if fields.is_empty() {
            return 0;
        }
        let (clock, id) = (Rc::clone(&self.clock), self.id);
        let Some(e) = self.ks.get_mut(key) else { return 0 };
        preserve_in_place(&clock, id, e);
        let Value::Hash(h) = &mut e.value else { unreachable!("checked") };
        for f in &fields {
            h.remove(f);
        }
        let emptied = h.is_empty();
        if emptied {
            if let Some(old) = self.ks.remove(key) {
                self.preserve_gone(&old);
            }
        }
        self.stats.expired_fields += fields.len() as u64;
        let n = fields.len();
        self.clock.events.borrow_mut().push(KeyEvent { db: id, key: Key::new(key), expired: true, fields });
        n
    }

    /// Notes that the hash at `key` has fields with expiry times, for the active cycle.
    pub fn note_field_ttls(&mut self, key: &[u8]) {
        if self.field_ttl_keys.insert(key.to_vec()) {
            self.field_ttl_queue.push_back(key.to_vec());
        }
    }

    /// One step of active field expiry: up to `n` of the hashes with field expiry times,
    /// round robin; a key that no longer has any leaves the rotation.
    pub fn expire_fields_some(&mut self, n: usize) -> usize {
        let mut gone = 0;
        for _ in 0..n.min(self.field_ttl_queue.len()) {
            let Some(key) = self.field_ttl_queue.pop_front() else { break };
            gone += self.expire_fields(&key);
            if matches!(self.ks.get(&key).map(|e| &e.value), Some(Value::Hash(h)) if h.has_field_ttls()) {
                self.field_ttl_queue.push_back(key);
            } else {
                self.field_ttl_keys.remove(&key);
            }
        }
        gone
    }

    /// A shared look at a key already looked up by this command (so expired already): for
    /// commands that read several keys at once (SINTER, ZUNION).
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.ks.get(key)
    }

    /// A uniformly chosen shard's random entry, skipping empty shards.
    pub fn random_entry(&self) -> Option<&Entry> {
        if self.ks.is_empty() {
            return None;
        }
        let shards = self.ks.shard_count();
        let mut s = (self.clock.next_rand() as usize) % shards;
        while self.ks.shard_len(s) == 0 {
            s = (s + 1) % shards;
        }
        let n = (self.clock.next_rand() as usize) % self.ks.shard_len(s);
        self.ks.shard_nth(s, n)
    }
}
