//! The executor: the one owner of every database, client record and statistic.
//!
//! Connection tasks run on the same current-thread runtime and call `execute` with one
//! command at a time, in arrival order; nothing else ever touches the data, so no lock guards
//! it. `execute` is Redis's `processCommand` (lookup, arity, gates, MULTI queueing) and `call`
//! is its `call` (run the handler, then statistics, then the key events the command produced,
//! then MONITOR). Key events are the single hook for everything that reacts to writes.

pub mod blocking;
pub mod client;
pub mod pending;
pub mod propagate;
pub mod snapshot;
pub mod stats;
pub mod watch;

use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use client::{Client, Clients, Queued, ReplyMode};
pub use stats::{CmdStat, LatencyMonitor, SlowLog, Stats};
pub use watch::WatchIndex;

use crate::commands::table::{table, LookupError, Resolved};
use crate::commands::{arity_error, err, flags, CmdError, Ctx};
use crate::config::Config;
use crate::db::{Db, DbContext, ExpireMode, KeyHasher, Keyspace};
use crate::protocol::{Args, Out};
use crate::util::lazyfree::LazyFree;

/// Wall-clock time in Unix milliseconds.
pub fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Wall-clock time in Unix microseconds.
pub fn unix_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Facts about this process that INFO and HELLO report.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub run_id: String,
    pub start_ms: i64,
    pub started: Instant,
    pub pid: u32,
    pub executable: String,
    pub tcp_port: u16,
}

/// CLIENT PAUSE state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pause {
    pub until_ms: i64,
    pub writes_only: bool,
}

/// What a SHUTDOWN asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    Default,
    Save,
    NoSave,
}

/// What became of a command handed to `execute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// CLIENT PAUSE holds it: the connection keeps it and retries after the pause.
    Paused,
    /// It blocks (WAIT, WAITAOF; `Client::blocked` says until when): the connection keeps it
    /// and runs it again when woken or at the deadline.
    Blocked,
}

pub struct Server {
    pub config: Config,
    pub dbs: Vec<Db>,
    /// Time and key events shared with every database.
    pub clock: Rc<DbContext>,
    pub clients: Clients,
    pub watch: WatchIndex,
    pub stats: Stats,
    pub cmdstats: Vec<CmdStat>,
    pub slowlog: SlowLog,
    pub latency: LatencyMonitor,
    pub info: ServerInfo,
    pub pause: Pause,
    pub shutdown: Option<ShutdownMode>,
    /// Slots of clients in MONITOR mode.
    pub monitors: Vec<usize>,
    pub lazyfree: LazyFree,
    pub hasher: KeyHasher,
    /// Time of the last FLUSHALL/SAVE-like event INFO reports as rdb_last_save_time.
    pub last_save_secs: i64,
    /// Active expiry on or off (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: bool,
    /// Set while EXEC runs its queued commands: commands that would block or stream
    /// (MONITOR) refuse, as Redis's CLIENT_DENY_BLOCKING makes them.
    pub in_exec: bool,
    /// Wakes the server's main task when a SHUTDOWN was requested.
    pub stop: Rc<tokio::sync::Notify>,
    /// Wall-clock time at a monotonic instant: commands read one monotonic clock and derive
    /// Unix time from it (one clock read instead of two); the cron re-anchors it every tick
    /// so wall-clock adjustments are followed within 1/hz seconds.
    clock_anchor: (Instant, i64),
    /// The log, when `appendonly yes`; None while recovering and for a pure cache.
    pub log: Option<crate::storage::log_writer::LogWriter>,
    /// Effects of the unit being executed, not yet a record.
    pub effects: propagate::Effects,
    /// End offset of the last record appended.
    pub written_offset: u64,
    /// Replies of writes below this offset may be sent (durable under `always`).
    pub release_offset: u64,
    /// The command `execute` ran (not rejected, not queued), for `read_hold`: saves a second
    /// table lookup.
    called: Option<&'static crate::commands::CommandSpec>,
    /// Keys written by records the log has not released yet.
    pub pending: pending::PendingWrites,
    /// Held while the log is open: one process per data directory.
    pub log_dir_lock: Option<Box<dyn crate::storage::io::DirLock>>,
    /// The file system of the data directory, once it is open.
    pub fs: Option<std::sync::Arc<dyn crate::storage::io::Fs>>,
    /// The log's id (kept in every segment and snapshot header).
    pub log_id: u64,
    pub snapshots: snapshot::Snapshots,
    /// Pinged by the log writer when the released offset advances (`release_loop` waits).
    pub log_notify: std::sync::Arc<tokio::sync::Notify>,
    /// Clients blocked on keys, and the keys written since that they wait on.
    pub blocking: blocking::BlockingKeys,
}

fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b)).is_ok();
    if ok {
        u64::from_le_bytes(b)
    } else {
        (unix_us() as u64) ^ (u64::from(std::process::id()) << 32)
    }
}

impl Server {
    pub fn new(config: Config) -> Self {
        let seed = random_seed();
        let now = unix_ms();
        let clock = DbContext::new(now, seed);
        let hasher = KeyHasher::new(seed.rotate_left(17) ^ 0x9E37_79B9_7F4A_7C15);
        let dbs = (0..config.databases).map(|i| Db::new(i, hasher.clone(), clock.clone())).collect();
        let run_id = (0..40).map(|_| char::from_digit((clock.next_rand() % 16) as u32, 16).unwrap_or('0')).collect();
        let info = ServerInfo {
            run_id,
            start_ms: now,
            started: Instant::now(),
            pid: std::process::id(),
            executable: std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            tcp_port: config.port,
        };
        let mut srv = Server {
            dbs,
            clock,
            clients: Clients::default(),
            watch: WatchIndex::default(),
            stats: Stats::default(),
            cmdstats: vec![CmdStat::default(); table().all().len()],
            slowlog: SlowLog::default(),
            latency: LatencyMonitor::default(),
            info,
            pause: Pause::default(),
            shutdown: None,
            monitors: Vec::new(),
            lazyfree: LazyFree::start(),
            hasher,
            last_save_secs: now / 1000,
            active_expire_enabled: true,
            in_exec: false,
            clock_anchor: (Instant::now(), now),
            log: None,
            effects: propagate::Effects::default(),
            written_offset: 0,
            release_offset: 0,
            log_dir_lock: None,
            fs: None,
            log_id: 0,
            snapshots: snapshot::Snapshots::default(),
            log_notify: std::sync::Arc::new(tokio::sync::Notify::new()),
            blocking: blocking::BlockingKeys::default(),
            pending: pending::PendingWrites::default(),
            called: None,
            stop: Rc::new(tokio::sync::Notify::new()),
            config,
        };
        srv.apply_config();
        srv
    }

    /// Pushes configuration values into the structures that cache them.
    pub fn apply_config(&mut self) {
        self.clock.lfu.set(self.config.lfu());
        self.clock.lfu_log_factor.set(self.config.lfu_log_factor);
        self.clock.lfu_decay_minutes.set(self.config.lfu_decay_time_min);
        self.slowlog.entries.truncate(self.config.slowlog_max_len);
        crate::util::memory::set_background_thread(self.config.jemalloc_bg_thread);
        if let Some(log) = &self.log {
            log.set_fsync(crate::server::durability::fsync_policy(&self.config.appendfsync));
        }
        if let Err(e) = crate::server::durability::set_appendonly(self, self.config.appendonly) {
            crate::log_warning!("{e}");
        }
    }

    pub fn connect(&mut self, addr: String, laddr: String, fd: i32) -> usize {
        let id = self.clients.next_id();
        let authed = self.config.requirepass.is_none();
        self.stats.connections_received += 1;
        self.clients.insert(Client::new(id, addr, laddr, fd, unix_ms(), authed))
    }

    pub fn disconnect(&mut self, slot: usize) {
        if let Some(w) = self.clients.get_mut(slot).waiting.take() {
            self.blocking.unregister(slot, w.db, &w.keys);
        }
        self.watch.unwatch_all(&mut self.clients, slot);
        self.monitors.retain(|&s| s != slot);
        self.clients.remove(slot);
    }

    /// Unix milliseconds at a monotonic instant.
    fn unix_ms_at(&self, t: Instant) -> i64 {
        let (at, ms) = self.clock_anchor;
        ms + i64::try_from(t.saturating_duration_since(at).as_millis()).unwrap_or(0)
    }

    /// Re-anchors the derived wall clock (called by the cron).
    pub fn resync_clock(&mut self) {
        self.clock_anchor = (Instant::now(), unix_ms());
    }

    /// Sets the time every database reads for the next command; returns the instant.
    fn tick(&mut self) -> Instant {
        let t = Instant::now();
        self.clock.now_ms.set(self.unix_ms_at(t));
        self.clock.mode.set(ExpireMode::Primary);
        t
    }

    /// Runs one command from a client: Redis's processCommand.
    pub fn execute(&mut self, slot: usize, args: Args<'_>, out: &mut Out) -> Outcome {
        debug_assert!(!args.is_empty());
        let started = self.tick();
        let before = out.len();
        {
            let c = self.clients.get_mut(slot);
            c.last_interaction_ms = self.clock.now();
            if c.reply_mode == ReplyMode::SkipNext {
                c.reply_mode = ReplyMode::Skip;
            }
        }
        self.called = None;
        let outcome = self.process(slot, args, out, started);
        let (hold, wrote) = match self.flush_effects() {
            Some(end) => (end, true),
            None => (self.read_hold(slot, args), false),
        };
        let c = self.clients.get_mut(slot);
        c.hold_until = c.hold_until.max(hold);
        if wrote {
            c.last_write_offset = hold;
        }
        if self.blocking.has_ready() {
            self.serve_blocked();
        }
        if outcome != Outcome::Done {
            let c = self.clients.get_mut(slot);
            if c.reply_mode == ReplyMode::Skip {
                c.reply_mode = ReplyMode::SkipNext;
            }
            return outcome;
        }
        let c = self.clients.get_mut(slot);
        match c.reply_mode {
            ReplyMode::Off => out.buf.truncate(before),
            ReplyMode::Skip => {
                out.buf.truncate(before);
                c.reply_mode = ReplyMode::On;
            }
            ReplyMode::On | ReplyMode::SkipNext => {}
        }
        outcome
    }

    fn process(&mut self, slot: usize, args: Args<'_>, out: &mut Out, started: Instant) -> Outcome {
        let r = match table().lookup(args) {
            Ok(r) => r,
            Err(e) => {
                self.reject(slot, None, &lookup_error(e, args), out);
                return Outcome::Done;
            }
        };
        let spec = r.spec;
        let argc = i32::try_from(args.len()).unwrap_or(i32::MAX);
        if (spec.arity > 0 && argc != spec.arity) || argc < -spec.arity {
            self.reject(slot, Some(r), &arity_error(spec.full_name), out);
            return Outcome::Done;
        }
        if spec.full_name == "debug" && !self.debug_allowed(slot) {
            self.reject(slot, Some(r), &CmdError::from(DEBUG_NOT_ALLOWED), out);
            return Outcome::Done;
        }
        let c = self.clients.get(slot);
        if !c.authenticated && !spec.has(flags::NO_AUTH) {
            self.reject(slot, Some(r), &CmdError::from(err::NOAUTH), out);
            return Outcome::Done;
        }
        if c.in_multi && spec.has(flags::NO_MULTI) {
            self.reject(slot, Some(r), &CmdError::from("ERR Command not allowed inside a transaction"), out);
            return Outcome::Done;
        }
        if let Some(e) = self.log_refusal(slot, r) {
            self.reject(slot, Some(r), &e, out);
            return Outcome::Done;
        }
        if self.is_paused_for(slot, r) {
            return Outcome::Paused;
        }
        let c = self.clients.get_mut(slot);
        if c.in_multi && !matches!(spec.full_name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset") {
            c.multi_bytes += args.iter().map(<[u8]>::len).sum::<usize>();
            c.multi.push(Queued { spec, args: args.to_owned(), id: r.id });
            out.simple("QUEUED");
            return Outcome::Done;
        }
        self.called = Some(spec);
        self.call_at(slot, r, args, out, started);
        if self.clients.get(slot).blocked.is_some() {
            return Outcome::Blocked;
        }
        Outcome::Done
    }

    /// The log offset a read's reply must wait for: the newest unreleased write of a key it
    /// reads (see `pending`). Zero when nothing is pending.
    fn read_hold(&self, slot: usize, args: Args<'_>) -> u64 {
        if self.written_offset <= self.release_offset {
            return 0;
        }
        // Only a command that ran reveals data (a rejected or queued one does not).
        let Some(spec) = self.called else { return 0 };
        if spec.full_name == "exec" {
            return self.written_offset;
        }
        if !spec.has(flags::READONLY) {
            return 0;
        }
        if spec.keys.is_empty() {
            return self.written_offset;
        }
        let db = self.clients.get(slot).db;
        match crate::commands::spec::command_keys(spec, args) {
            Ok(keys) => keys.iter().map(|&(i, _)| self.pending.hold_for(db, args.get(i))).max().unwrap_or(0),
            Err(_) => self.written_offset,
        }
    }

    /// Writes are refused while the log cannot take them (failed fsync, full disk).
    fn log_refusal(&self, slot: usize, r: Resolved) -> Option<CmdError> {
        let failure = self.log.as_ref()?.failure()?;
        let writes = |f: u32| f & flags::WRITE != 0;
        let c = self.clients.get(slot);
        let is_write = writes(r.spec.flags) || (r.spec.full_name == "exec" && c.multi.iter().any(|q| writes(q.spec.flags)));
        is_write.then(|| CmdError::from(format!("MISCONF Errors writing to the AOF file: {failure}")))
    }

    /// Applies one logged effect during recovery: the same handlers as clients, in replay
    /// mode (no expiry, no logging), on a client that exists only for this.
    pub fn apply_effect(&mut self, replay_slot: usize, db: usize, argv: &[&[u8]], now_ms: i64) -> Result<(), String> {
        let args = crate::protocol::OwnedArgs::from_slices(argv);
        self.apply_effect_args(replay_slot, db, args.as_args(), now_ms, &mut Out::new(false))
    }

    /// `apply_effect` on arguments borrowed from the record (no copy), with a reply buffer
    /// the caller reuses. As Redis's AOF loading, it runs the handler alone: replayed
    /// commands are not counted in INFO commandstats, the slowlog or MONITOR.
    pub fn apply_effect_args(&mut self, replay_slot: usize, db: usize, args: Args<'_>, now_ms: i64, out: &mut Out) -> Result<(), String> {
        let r = table().lookup(args).map_err(|_| format!("unknown command in the log: {}", String::from_utf8_lossy(args.get(0))))?;
        if db >= self.dbs.len() {
            return Err(format!("the log names database {db}, but databases is {}", self.dbs.len()));
        }
        self.clock.now_ms.set(now_ms);
        self.clock.mode.set(ExpireMode::Replay);
        self.clients.get_mut(replay_slot).db = db;
        out.buf.clear();
        let spec = r.spec;
        let res = (spec.handler)(&mut Ctx { srv: self, slot: replay_slot, args, out: &mut *out, spec });
        self.propagate_command(replay_slot, spec, args, res.is_ok());
        self.process_events();
        self.clock.mode.set(ExpireMode::Primary);
        res.map_err(|e| format!("{} failed on replay: {}", spec.full_name, String::from_utf8_lossy(&e.0)))
    }

    fn debug_allowed(&self, slot: usize) -> bool {
        match self.config.get("enable-debug-command") {
            Some("yes") => true,
            Some("local") => {
                let a = &self.clients.get(slot).addr;
                a.starts_with("127.") || a.starts_with("[::1]") || a.starts_with("unix")
            }
            _ => false,
        }
    }

    /// An error before execution: counted as rejected, and it dooms a MULTI in progress. A
    /// rejected EXEC discards the transaction and says why, as Redis does.
    fn reject(&mut self, slot: usize, r: Option<Resolved>, e: &CmdError, out: &mut Out) {
        let is_exec = r.is_some_and(|r| r.spec.full_name == "exec");
        let msg = if is_exec {
            let reason = e.0.strip_prefix(b"ERR ").unwrap_or(&e.0);
            [&b"EXECABORT Transaction discarded because of: "[..], reason].concat()
        } else {
            e.0.to_vec()
        };
        out.error(&msg);
        self.stats.count_error(&msg);
        if let Some(r) = r {
            self.cmdstats[r.id].rejected += 1;
        }
        if is_exec {
            self.clients.get_mut(slot).discard_multi();
            self.watch.unwatch_all(&mut self.clients, slot);
            return;
        }
        let c = self.clients.get_mut(slot);
        if c.in_multi {
            c.dirty_exec = true;
        }
    }

    fn is_paused_for(&mut self, slot: usize, r: Resolved) -> bool {
        if self.pause.until_ms == 0 {
            return false;
        }
        if self.clock.now() >= self.pause.until_ms {
            self.end_pause();
            return false;
        }
        if !self.pause.writes_only {
            return true;
        }
        let writes = |f: u32| f & (flags::WRITE | flags::MAY_REPLICATE) != 0;
        if writes(r.spec.flags) {
            return true;
        }
        let c = self.clients.get(slot);
        r.spec.full_name == "exec" && c.multi.iter().any(|q| writes(q.spec.flags))
    }

    /// Lifts CLIENT PAUSE and wakes every client so held commands run.
    pub fn end_pause(&mut self) {
        self.pause = Pause::default();
        for (_, c) in self.clients.iter() {
            c.wake.raise();
        }
    }

    /// Runs a command whose arity and gates have been checked: Redis's `call`.
    pub fn call(&mut self, slot: usize, r: Resolved, args: Args<'_>, out: &mut Out) -> bool {
        self.call_at(slot, r, args, out, Instant::now())
    }

    /// `call` with the instant the command started (already read by `execute`).
    fn call_at(&mut self, slot: usize, r: Resolved, args: Args<'_>, out: &mut Out, start: Instant) -> bool {
        let before = out.len();
        let spec = r.spec;
        let res = (spec.handler)(&mut Ctx { srv: self, slot, args, out: &mut *out, spec });
        if res.is_ok() && self.clients.get(slot).blocked.is_some() {
            // Blocked: nothing ran yet; the call is counted when it replies.
            debug_assert_eq!(out.len(), before, "{} blocked after writing a reply", spec.full_name);
            self.clients.get_mut(slot).last_cmd = spec.full_name;
            return true;
        }
        let duration_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let ok = match res {
            Ok(()) => true,
            Err(e) => {
                debug_assert_eq!(out.len(), before, "{} wrote a reply and then failed", spec.full_name);
                out.error(&e.0);
                self.stats.count_error(&e.0);
                false
            }
        };
        let st = &mut self.cmdstats[r.id];
        st.calls += 1;
        st.usec += duration_us;
        if !ok {
            st.failed += 1;
        }
        self.stats.commands_processed += 1;
        let c = self.clients.get_mut(slot);
        c.commands_total += 1;
        c.last_cmd = spec.full_name;
        self.record_latency(spec, args, duration_us, slot);
        self.propagate_command(slot, spec, args, ok);
        self.process_events();
        if !self.monitors.is_empty() && !spec.has(flags::ADMIN | flags::SKIP_MONITOR) {
            self.feed_monitors(slot, args);
        }
        ok
    }

    fn record_latency(&mut self, spec: &crate::commands::CommandSpec, args: Args<'_>, duration_us: u64, slot: usize) {
        let threshold = self.config.slowlog_slower_than_us;
        if threshold >= 0 && duration_us >= threshold.unsigned_abs() && !spec.has(flags::SKIP_SLOWLOG) {
            let c = self.clients.get(slot);
            let (peer, name) = (c.addr.clone(), c.name.clone().unwrap_or_default());
            let now = self.clock.now();
            self.slowlog.push(args, duration_us, now, &peer, &name, self.config.slowlog_max_len);
        }
        let ms = duration_us / 1000;
        if self.config.latency_threshold_ms > 0 && ms >= self.config.latency_threshold_ms {
            let event = if spec.has(flags::FAST) { "fast-command" } else { "command" };
            self.latency.add(event, ms, self.clock.now());
        }
    }

    /// Hands the key events of the last command to everything that reacts to writes.
    pub fn process_events(&mut self) {
        let mut events = std::mem::take(&mut *self.clock.events.borrow_mut());
        if events.is_empty() {
            return;
        }
        if !self.blocking.is_empty() {
            for e in &events {
                self.blocking.on_write(e.db, e.key.as_bytes());
            }
        }
        if !self.watch.is_empty() {
            for e in &events {
                self.watch.on_event(&mut self.clients, e.db, e.key.as_bytes(), e.expired);
            }
        }
        events.clear();
        let mut slot = self.clock.events.borrow_mut();
        if slot.is_empty() {
            *slot = events;
        }
    }

    fn feed_monitors(&mut self, slot: usize, args: Args<'_>) {
        let c = self.clients.get(slot);
        let mut line = format!("+{:.6} [{} {}]", unix_us() as f64 / 1e6, c.db, c.addr).into_bytes();
        for a in args.iter() {
            line.push(b' ');
            crate::util::repr::quote_into(a, &mut line);
        }
        line.extend_from_slice(b"\r\n");
        for &m in &self.monitors {
            if m == slot {
                continue;
            }
            let mc = self.clients.get_mut(m);
            mc.pending_out.extend_from_slice(&line);
            mc.wake.raise();
        }
    }

    /// Empties a database, freeing its contents off the executor when large.
    pub fn flush_db(&mut self, db: usize, lazy: bool) {
        self.watch.on_db_replaced(&mut self.clients, &self.dbs[db], None);
        let old: Keyspace = self.dbs[db].flush();
        // A snapshot being captured may still have to write the old keys.
        let old = match self.clock.capture.borrow_mut().as_mut() {
            Some(c) => c.detach(db, old),
            None => Some(old),
        };
        let Some(old) = old else { return };
        if lazy || old.len() > 1024 {
            self.lazyfree.free(Box::new(old), &mut self.stats);
        }
    }

    /// Seconds since start.
    pub fn uptime_secs(&self) -> u64 {
        self.info.started.elapsed().as_secs()
    }
}

pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// Redis's text for an unknown command or subcommand. Like Redis, arguments are read as C
/// strings (up to a NUL) and the list stops once it holds 128 bytes.
fn lookup_error(e: LookupError, args: Args<'_>) -> CmdError {
    fn cstr(b: &[u8], max: usize) -> &[u8] {
        let b = b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n]);
        &b[..b.len().min(max)]
    }
    match e {
        LookupError::UnknownSub(parent) => {
            let mut m = b"ERR unknown subcommand '".to_vec();
            m.extend_from_slice(cstr(args.get(1), 128));
            m.extend_from_slice(format!("'. Try {} HELP.", parent.full_name.to_ascii_uppercase()).as_bytes());
            CmdError::from(m)
        }
        LookupError::Unknown => {
            let mut list = Vec::new();
            for a in args.iter().skip(1) {
                if list.len() >= 128 {
                    break;
                }
                let room = 128 - list.len();
                list.push(b'\'');
                list.extend_from_slice(cstr(a, room));
                list.extend_from_slice(b"' ");
            }
            let mut m = b"ERR unknown command '".to_vec();
            m.extend_from_slice(cstr(args.get(0), 128));
            m.extend_from_slice(b"', with args beginning with: ");
            m.extend_from_slice(&list);
            CmdError::from(m)
        }
    }
}
