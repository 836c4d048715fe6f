//! Snapshots as the executor sees them: starting a capture at the current log offset,
//! walking it in slices, finishing it, and the bookkeeping INFO persistence and the automatic
//! triggers read. The capture itself is `db::capture`; the file work is
//! `storage::compactor`, on its own thread for background snapshots (`server::snapshot`
//! drives those) or inline for SAVE.

use std::rc::Rc;
use std::time::{Duration, Instant};

use super::Server;
use crate::db::capture::Capture;
use crate::db::{Db, KeyHasher, Keyspace};
use crate::storage::compactor::{self, Done};
use crate::storage::snapshot::{Checked, DbCount, Header};

/// Why a snapshot runs; INFO reports BGSAVE-like ones under rdb_* and compactions under aof_*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SAVE, BGSAVE, save points, SHUTDOWN SAVE, DEBUG RELOAD.
    Save,
    /// BGREWRITEAOF and the automatic compaction triggers.
    Rewrite,
}

/// Outcome counters of one kind.
#[derive(Debug, Clone, Copy)]
pub struct KindStats {
    pub count: u64,
    pub last_ok: bool,
    pub last_secs: i64,
    pub consecutive_failures: u64,
}

impl Default for KindStats {
    fn default() -> Self {
        KindStats { count: 0, last_ok: true, last_secs: -1, consecutive_failures: 0 }
    }
}

/// A snapshot in progress.
pub struct Running {
    pub kind: Kind,
    pub started: Instant,
    pub header: Header,
    /// Keys in the dataset when it started (INFO current_save_keys_total).
    pub keys_total: u64,
    /// The compactor thread of a background snapshot.
    pub thread: Option<compactor::Thread>,
    /// Writes counted when it started: those are in the image (Redis's dirty_before_bgsave).
    pub dirty_before: u64,
}

#[derive(Default)]
pub struct Snapshots {
    pub running: Option<Running>,
    /// BGSAVE SCHEDULE / BGREWRITEAOF that arrived while another snapshot ran.
    pub scheduled: Option<Kind>,
    pub save: KindStats,
    pub rewrite: KindStats,
    /// Writes since the last successful snapshot (rdb_changes_since_last_save).
    pub dirty: u64,
    /// Log offset and size of the newest durable snapshot (0 when there is none).
    pub last_offset: u64,
    pub last_file_bytes: u64,
    pub last_keys: u64,
    /// Longest slice of the last snapshot's walk: executor CPU time, and wall time.
    pub last_step_max_us: u64,
    pub last_step_wall_max_us: u64,
    pub last_step_max_minflt: u64,
    /// Sequence number of the next snapshot file.
    pub next_seq: u64,
    /// Unix ms before which automatic triggers wait (after a failure, as Redis waits 5 s).
    pub retry_after_ms: i64,
    /// Replay speed measured at start-up, for the recovery-time trigger.
    pub replay_bytes_per_sec: f64,
    pub loaded_keys: u64,
    /// Wakes the background driver (BGSAVE, BGREWRITEAOF).
    pub wake: Rc<tokio::sync::Notify>,
    /// Pinged by the compactor thread when a background snapshot has an outcome.
    pub done: std::sync::Arc<tokio::sync::Notify>,
}

impl Snapshots {
    pub fn stats_mut(&mut self, kind: Kind) -> &mut KindStats {
        match kind {
            Kind::Save => &mut self.save,
            Kind::Rewrite => &mut self.rewrite,
        }
    }
}

/// Replay speed assumed before one is measured (bytes of log per second; measured here at
/// 110-140 MB/s for small SETs).
pub const REPLAY_BYTES_PER_SEC_DEFAULT: f64 = 100e6;

/// Automatic triggers wait this long after a failed snapshot.
const RETRY_AFTER_FAILURE_MS: i64 = 5000;

impl Server {
    /// Starts capturing the image at the current log offset. Must run between units: no
    /// effects may be pending (they would be in the image but after its offset).
    pub fn snapshot_begin(&mut self, kind: Kind) -> Result<Header, String> {
        if self.snapshots.running.is_some() || self.clock.capture.borrow().is_some() {
            return Err("ERR Background save already in progress".into());
        }
        if self.fs.is_none() {
            return Err("ERR snapshots are not available: the data directory is not open".into());
        }
        assert!(self.effects.is_empty(), "a snapshot must start between units");
        let epoch = self.clock.snap_epoch.get().wrapping_add(1);
        self.clock.snap_epoch.set(epoch);
        *self.clock.capture.borrow_mut() = Some(Capture::new(epoch, self.dbs.len()));
        self.clock.capturing.set(true);
        let mut run_id = [0u8; 20];
        for (i, pair) in self.info.run_id.as_bytes().chunks(2).take(20).enumerate() {
            run_id[i] = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("0"), 16).unwrap_or(0);
        }
        let header = Header {
            key_seed: self.hasher.seed(),
            log_id: self.log_id,
            log_offset: self.written_offset,
            created_ms: u64::try_from(super::unix_ms()).unwrap_or(0),
            run_id,
        };
        let keys_total = self.dbs.iter().map(|d| d.len() as u64).sum();
        let dirty_before = self.snapshots.dirty;
        self.snapshots.running = Some(Running { kind, started: Instant::now(), header, keys_total, thread: None, dirty_before });
        Ok(header)
    }

    /// One slice of the walk, at most `budget` long; true when the image is complete.
    pub fn snapshot_step(&mut self, budget: Duration) -> bool {
        let clock = self.clock.clone();
        let mut guard = clock.capture.borrow_mut();
        let c = guard.as_mut().expect("a capture is running");
        let done = c.step(&mut self.dbs, budget);
        for ks in c.spent.drain(..) {
            self.lazyfree.free(Box::new(ks), &mut self.stats);
        }
        done
    }

    /// Takes the raw blocks ready for the compactor.
    pub fn snapshot_blocks(&mut self) -> std::collections::VecDeque<(Vec<u8>, u32)> {
        self.clock.capture.borrow_mut().as_mut().map(|c| std::mem::take(&mut c.sink.ready)).unwrap_or_default()
    }

    /// Gives back blocks the compactor could not take yet (they go first next time).
    pub fn snapshot_unsent(&mut self, mut blocks: std::collections::VecDeque<(Vec<u8>, u32)>) {
        if let Some(c) = self.clock.capture.borrow_mut().as_mut() {
            blocks.extend(c.sink.ready.drain(..));
            c.sink.ready = blocks;
        }
    }

    /// Takes back the block buffers the compactor thread is done with.
    pub fn snapshot_recycle(&mut self) {
        let Some(t) = self.snapshots.running.as_ref().and_then(|r| r.thread.as_ref()) else { return };
        if let Some(c) = self.clock.capture.borrow_mut().as_mut() {
            while let Ok(b) = t.recycled.try_recv() {
                c.sink.pool.push(b);
            }
        }
    }

    /// Keys the capture has written so far.
    pub fn snapshot_keys_done(&self) -> u64 {
        self.clock.capture.borrow().as_ref().map_or(0, |c| c.sink.keys)
    }

    /// Ends the capture (the walk is complete); returns the image's per-database counts and
    /// the last blocks for the compactor.
    pub fn snapshot_end(&mut self) -> (Vec<DbCount>, std::collections::VecDeque<(Vec<u8>, u32)>) {
        self.clock.capturing.set(false);
        let mut c = self.clock.capture.borrow_mut().take().expect("a capture is running");
        let counts = c.finish();
        self.snapshots.last_step_max_us = c.step_cpu_max_us;
        self.snapshots.last_step_wall_max_us = u64::try_from(c.step_wall_max.as_micros()).unwrap_or(u64::MAX);
        self.snapshots.last_step_max_minflt = c.step_cpu_max_minflt;
        (counts, std::mem::take(&mut c.sink.ready))
    }

    /// Records the outcome of a snapshot.
    pub fn snapshot_finished(&mut self, result: &Result<Done, String>) {
        let Some(run) = self.snapshots.running.take() else { return };
        let secs = i64::try_from(run.started.elapsed().as_secs()).unwrap_or(i64::MAX);
        let st = self.snapshots.stats_mut(run.kind);
        st.last_secs = secs;
        match result {
            Ok(done) => {
                st.count += 1;
                st.last_ok = true;
                st.consecutive_failures = 0;
                let now = super::unix_ms();
                self.last_save_secs = now / 1000;
                self.snapshots.dirty = self.snapshots.dirty.saturating_sub(run.dirty_before);
                self.snapshots.last_offset = done.log_offset;
                self.snapshots.last_file_bytes = done.file_bytes;
                self.snapshots.last_keys = done.keys;
                crate::log_notice!(
                    "Snapshot saved: {} keys at log offset {}, {} bytes, in {:.3} s (longest executor slice {} us of CPU, {} us of wall time); removed {} old snapshots and {} log segments",
                    done.keys,
                    done.log_offset,
                    done.file_bytes,
                    run.started.elapsed().as_secs_f64(),
                    self.snapshots.last_step_max_us,
                    self.snapshots.last_step_wall_max_us,
                    done.removed_snapshots,
                    done.removed_segments
                );
            }
            Err(e) => {
                st.last_ok = false;
                st.consecutive_failures += 1;
                self.snapshots.retry_after_ms = super::unix_ms() + RETRY_AFTER_FAILURE_MS;
                crate::log_warning!("Snapshot failed: {e}");
            }
        }
    }

    /// The compactor's work for a snapshot with `header`, to run on any thread.
    pub fn compactor_job(&mut self, header: Header) -> Result<Box<dyn FnOnce() -> compactor::Job + Send>, String> {
        let fs = self.fs.clone().ok_or("ERR the data directory is not open")?;
        let dir = crate::server::durability::log_dir(self);
        let seq = self.snapshots.next_seq.max(1);
        self.snapshots.next_seq = seq + 1;
        let retain = compactor::Retention {
            snapshots: usize::try_from(self.config.snapshot_retain).unwrap_or(2),
            keep_ms: self.config.log_retention_hours.saturating_mul(3_600_000),
            keep_bytes: self.config.log_retention_bytes,
            now_ms: 0,
        };
        let log = self.log.as_ref().map(crate::storage::log_writer::LogWriter::sync_handle);
        Ok(Box::new(move || compactor::Job::new(fs, &dir, header, seq, retain, log)))
    }

    /// SAVE: the whole snapshot on this thread, as Redis's SAVE blocks the server.
    pub fn save_now(&mut self, kind: Kind) -> Result<Done, String> {
        let header = self.snapshot_begin(kind)?;
        let make = match self.compactor_job(header) {
            Ok(m) => m,
            Err(e) => {
                self.abandon_capture();
                self.snapshots.running = None;
                return Err(e);
            }
        };
        let mut job = make();
        loop {
            let done = self.snapshot_step(Duration::from_secs(3600));
            for (raw, keys) in self.snapshot_blocks() {
                job.block(&raw, keys);
            }
            if done {
                break;
            }
        }
        let (dbs, last) = self.snapshot_end();
        for (raw, keys) in last {
            job.block(&raw, keys);
        }
        let result = job.finish(&dbs);
        self.snapshot_finished(&result);
        result
    }

    /// Starts a background snapshot: the capture here, the file on a compactor thread that
    /// calls `on_done` when it has an outcome.
    pub fn snapshot_start_background(&mut self, kind: Kind, on_done: Box<dyn Fn() + Send>) -> Result<(), String> {
        let header = self.snapshot_begin(kind)?;
        let cpus = match kind {
            Kind::Save => self.config.bgsave_cpulist.clone(),
            Kind::Rewrite => self.config.aof_rewrite_cpulist.clone(),
        };
        let spawned = self.compactor_job(header).and_then(|make| {
            compactor::spawn(make, compactor_queue(), cpus, on_done).map_err(|e| format!("ERR cannot start the snapshot thread: {e}"))
        });
        match spawned {
            Ok(t) => {
                if let Some(r) = &mut self.snapshots.running {
                    r.thread = Some(t);
                }
                Ok(())
            }
            Err(e) => {
                self.abandon_capture();
                self.snapshot_finished(&Err(e.clone()));
                Err(e)
            }
        }
    }

    /// Stops producing blocks but finishes the walk at once (every entry must carry the
    /// current epoch before the next capture starts).
    fn abandon_capture(&mut self) {
        if let Some(c) = self.clock.capture.borrow_mut().as_mut() {
            c.sink.discard = true;
            c.sink.ready.clear();
        }
        while !self.snapshot_step(Duration::from_secs(3600)) {}
        self.drop_capture();
    }

    /// Removes the capture and the running snapshot without finishing the walk. Only safe
    /// when a new capture walks everything next (it gets a new epoch, which no entry has) or
    /// the process ends; the compactor thread gives up when its channel is dropped.
    pub fn snapshot_drop(&mut self) {
        self.snapshots.running = None;
        self.drop_capture();
    }

    fn drop_capture(&mut self) {
        self.clock.capturing.set(false);
        self.clock.capture.borrow_mut().take();
    }

    /// Which automatic trigger, if any, asks for a snapshot now.
    pub fn snapshot_due(&self, now_ms: i64) -> Option<Kind> {
        if self.snapshots.running.is_some() || self.fs.is_none() {
            return None;
        }
        if let Some(k) = self.snapshots.scheduled {
            return Some(k);
        }
        if now_ms < self.snapshots.retry_after_ms {
            return None;
        }
        if self.log.is_some() {
            let since = self.written_offset.saturating_sub(self.snapshots.last_offset);
            let pct = self.config.auto_aof_rewrite_percentage;
            let base = self.snapshots.last_file_bytes;
            if pct > 0 && since >= self.config.auto_aof_rewrite_min_size && (base == 0 || since.saturating_mul(100) / base >= pct) {
                return Some(Kind::Rewrite);
            }
            let max_secs = self.config.max_recovery_seconds;
            if max_secs > 0 && since as f64 / self.snapshots.replay_bytes_per_sec.max(1e6) > max_secs as f64 {
                return Some(Kind::Rewrite);
            }
            return None;
        }
        // Without the log, Redis's save points decide (with it they would only add work:
        // the log already keeps every write).
        let elapsed = now_ms / 1000 - self.last_save_secs;
        let hit = self.config.save_points.iter().any(|&(secs, changes)| self.snapshots.dirty >= changes && elapsed >= secs);
        hit.then_some(Kind::Save)
    }

    /// Loads a checked snapshot into the (empty) databases; returns the keys loaded.
    pub fn load_snapshot(&mut self, snap: &Checked) -> Result<u64, String> {
        self.load_snapshot_with(snap, &mut |_| {})
    }

    /// `load_snapshot`, calling `progress` with the keys loaded so far every 64Ki keys.
    pub fn load_snapshot_with(&mut self, snap: &Checked, progress: &mut dyn FnMut(u64)) -> Result<u64, String> {
        assert!(self.dbs.iter().all(Db::is_empty), "a snapshot loads into empty databases");
        // The writer's hash seed: keys then arrive grouped by shard (see `KeyHasher::seed`).
        self.hasher = KeyHasher::new(snap.summary.header.key_seed);
        let ndbs = self.dbs.len();
        for db in &mut self.dbs {
            db.ks = Keyspace::new(self.hasher.clone());
        }
        for c in &snap.summary.dbs {
            let db =
                self.dbs.get_mut(c.db as usize).ok_or_else(|| format!("the snapshot has database {} but `databases` is {ndbs}", c.db))?;
            // The counts are checked against the total only after loading: never trust one
            // beyond the file's own key count.
            db.ks.reserve(usize::try_from(c.keys.min(snap.summary.keys)).unwrap_or(0));
        }
        let access = self.clock.initial_access();
        let dbs = &mut self.dbs;
        let mut done = 0u64;
        snap.for_each_key(&mut |k| {
            done += 1;
            if done % 65_536 == 0 {
                progress(done);
            }
            let db = dbs.get_mut(k.db).ok_or_else(|| format!("the snapshot has database {} but `databases` is {ndbs}", k.db))?;
            if !db.load(k.key, k.value.into_value(), k.expire_at_ms, access) {
                return Err(format!("key {:?} appears twice", String::from_utf8_lossy(k.key)));
            }
            Ok(())
        })
    }
}

/// Blocks in flight between the executor and the compactor thread.
fn compactor_queue() -> usize {
    crate::db::capture::READY_BLOCKS_MAX
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sim::SimFs;

    fn write_bytes(srv: &mut Server, slot: usize, n: usize) {
        let value = "v".repeat(1000);
        for i in 0..n / 1000 {
            crate::crashsim::run(srv, slot, &["SET".to_string(), format!("k{i}"), value.clone()]);
        }
    }

    #[test]
    fn automatic_triggers_follow_the_settings() {
        let fs = SimFs::new(9);
        let mut srv = crate::crashsim::server(&fs).unwrap();
        let slot = srv.connect("t".into(), String::new(), -1);
        let now = super::super::unix_ms();
        // Growth against the last snapshot's size, above the minimum size.
        srv.config.auto_aof_rewrite_percentage = 100;
        srv.config.auto_aof_rewrite_min_size = 1 << 20;
        srv.config.max_recovery_seconds = 0;
        srv.snapshots.last_file_bytes = 3 << 20;
        write_bytes(&mut srv, slot, 2 << 20);
        assert_eq!(srv.snapshot_due(now), None, "2 MB of log is 66% of a 3 MB snapshot");
        write_bytes(&mut srv, slot, 2 << 20);
        assert_eq!(srv.snapshot_due(now), Some(Kind::Rewrite), "4 MB is over 100%");
        // The recovery-time knob: 4 MB at 1 MB/s is 4 s of replay.
        srv.config.auto_aof_rewrite_percentage = 0;
        srv.snapshots.replay_bytes_per_sec = 1e6;
        srv.config.max_recovery_seconds = 10;
        assert_eq!(srv.snapshot_due(now), None);
        srv.config.max_recovery_seconds = 3;
        assert_eq!(srv.snapshot_due(now), Some(Kind::Rewrite));
        // A failure holds automatic triggers back for a while; BGSAVE SCHEDULE does not wait.
        srv.snapshots.retry_after_ms = now + 5000;
        assert_eq!(srv.snapshot_due(now), None);
        srv.snapshots.scheduled = Some(Kind::Save);
        assert_eq!(srv.snapshot_due(now), Some(Kind::Save));
    }
}
