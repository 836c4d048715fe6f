//! Opening the log at start-up (recovery through the executor's apply path, then the writer
//! thread), releasing held replies as the log becomes durable, and closing it at shutdown.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use crate::executor::client::Blocked;
use crate::executor::Server;
use crate::server::loading::SharedProgress;
use crate::storage::compactor;
use crate::storage::io::Fs;
use crate::storage::log_writer::{Fsync, LogWriter, Resume, WriterOptions};
use crate::storage::record::{next_effect, KIND_EFFECTS, KIND_SKIP, RECORD_HEADER_BYTES};
use crate::storage::recovery::{recover, Options, Recovered};
use crate::storage::segment::{self, SEGMENT_HEADER_BYTES};
use crate::storage::snapshot::{self, Header};
use crate::{log_notice, log_warning};

pub fn fsync_policy(name: &str) -> Fsync {
    match name {
        "always" => Fsync::Always,
        "everysec" => Fsync::EverySec,
        _ => Fsync::No,
    }
}

/// Where segments and snapshots live.
pub fn log_dir(srv: &Server) -> PathBuf {
    srv.config.dir.join("log")
}

/// Opens the data directory on `fs` (tests pass a `SimFs`): loads the newest valid snapshot,
/// replays the log after it, and, with `appendonly yes`, starts the writer. Returns the
/// notifier the writer thread pings when the released offset advances (None without a log).
pub fn open_with(srv: &mut Server, fs: Arc<dyn Fs>) -> Result<Option<Arc<tokio::sync::Notify>>, String> {
    open_reporting(srv, fs, &Arc::default())
}

/// `open_with`, reporting how far the load is in `shared` (INFO while loading).
pub fn open_reporting(srv: &mut Server, fs: Arc<dyn Fs>, shared: &SharedProgress) -> Result<Option<Arc<tokio::sync::Notify>>, String> {
    let dir = log_dir(srv);
    fs.create_dir_all(&dir).map_err(|e| format!("Can't create the log directory {}: {e}", dir.display()))?;
    let lock = fs
        .lock_dir(&dir)
        .map_err(|e| format!("Can't lock the log directory {}: {e} (another keel-server or aof-repair is using it)", dir.display()))?;
    match compactor::remove_temp_files(fs.as_ref(), &dir) {
        Ok(n) if n > 0 => log_notice!("Removed {n} unfinished snapshot files"),
        Ok(_) => {}
        Err(e) => return Err(format!("Can't clean up {}: {e}", dir.display())),
    }
    let started = std::time::Instant::now();
    lock_progress(shared).total_bytes = newest_snapshot_bytes(fs.as_ref(), &dir) + log_file_bytes(fs.as_ref(), &dir);
    let (base, damaged) = load_newest_snapshot(srv, fs.as_ref(), &dir, shared)?;
    let opts = Options {
        payload_max_bytes: srv.config.record_max_bytes,
        load_truncated: srv.config.aof_load_truncated,
        from_offset: base.map_or(0, |h| h.log_offset),
        log_id: base.map(|h| h.log_id),
        dry_run: false,
    };
    let recovered = replay_log(srv, fs.as_ref(), &dir, &opts, shared).map_err(|e| match &damaged {
        Some(d) => format!("{e} ({d})"),
        None => e,
    })?;
    srv.snapshots.replay_bytes_per_sec =
        if recovered.1 > 0.0 { recovered.1 } else { crate::executor::snapshot::REPLAY_BYTES_PER_SEC_DEFAULT };
    let recovered = recovered.0;
    log_notice!("DB loaded from disk: {:.3} seconds", started.elapsed().as_secs_f64());
    srv.log_id = recovered.log_id.unwrap_or_else(new_log_id);
    srv.snapshots.next_seq = compactor::next_seq(fs.as_ref(), &dir);
    srv.snapshots.last_offset = base.map_or(0, |h| h.log_offset);
    srv.written_offset = recovered.end_offset;
    srv.release_offset = recovered.end_offset;
    srv.fs = Some(fs.clone());
    srv.log_dir_lock = Some(lock);
    let notify = srv.log_notify.clone();
    if !srv.config.appendonly {
        return Ok(Some(notify));
    }
    let last_segment = recovered.segments.last().map(|s| (s.path.clone(), s.base_offset, s.end_pos));
    start_writer(srv, last_segment)?;
    Ok(Some(notify))
}

/// Starts the log writer at the log's end, appending to `last_segment` if given.
fn start_writer(srv: &mut Server, last_segment: Option<(PathBuf, u64, u64)>) -> Result<(), String> {
    let fs = srv.fs.clone().ok_or("the data directory is not open")?;
    let dir = log_dir(srv);
    let resume = Resume { log_id: srv.log_id, end_offset: srv.written_offset, last_segment };
    let n = srv.log_notify.clone();
    let wopts = WriterOptions { segment_size_bytes: srv.config.segment_size_bytes, fsync: fsync_policy(&srv.config.appendfsync) };
    let writer = LogWriter::start(fs, &dir, &resume, wopts, Box::new(move |_| n.notify_one()))
        .map_err(|e| format!("Can't open the log in {}: {e}", dir.display()))?;
    srv.log = Some(writer);
    Ok(())
}

/// CONFIG SET appendonly at runtime. Turning the log on starts it at the current end and
/// schedules a snapshot (Redis rewrites its AOF then): writes made without the log are
/// recoverable once that snapshot is durable (aof_rewrite_in_progress back to 0). Turning it
/// off syncs and closes it, releasing every held reply.
pub fn set_appendonly(srv: &mut Server, on: bool) -> Result<(), String> {
    if srv.fs.is_none() || on == srv.log.is_some() {
        return Ok(());
    }
    if on {
        // A last segment that begins at the log's end (empty) is appended to; otherwise a
        // new one starts there, right after the last record.
        let fs = srv.fs.clone().ok_or("the data directory is not open")?;
        let dir = log_dir(srv);
        let end = srv.written_offset;
        let last = fs.list(&dir).ok().and_then(|names| names.iter().filter_map(|n| segment::parse_file_name(n)).max());
        let resume = last.filter(|&b| b == end).map(|b| (dir.join(segment::file_name(b)), b, SEGMENT_HEADER_BYTES as u64));
        // The current state is saved first (as SAVE does, blocking), so the log starts right
        // after an image of it: no record is ever replayed onto an older image. Inside
        // MULTI, or while another snapshot runs, the snapshot is scheduled instead, and
        // writes made without the log are durable once it completes.
        let now = srv.snapshots.running.is_none() && srv.effects.is_empty();
        if now {
            srv.save_now(crate::executor::snapshot::Kind::Rewrite)
                .map_err(|e| format!("Can't turn the log on: the snapshot failed: {e}"))?;
        }
        start_writer(srv, resume)?;
        if !now {
            srv.snapshots.scheduled = Some(crate::executor::snapshot::Kind::Rewrite);
            srv.snapshots.wake.notify_one();
        }
        log_notice!("Log turned on at offset {end}");
    } else {
        // After a failed fsync or write the log on disk ends before what memory holds;
        // closing it would release replies of writes that never reached the disk, and a
        // snapshot taken then would sit past the log's end (case J at the next start).
        if let Some(why) = srv.log.as_ref().and_then(|l| l.failed_for_good().then(|| l.failure().unwrap_or_default())) {
            return Err(format!("Can't turn the log off after it failed ({why}); restart to recover from what is on disk"));
        }
        close_log(srv);
        let end = srv.written_offset;
        advance(srv, end);
        for (_, c) in srv.clients.iter() {
            if c.hold_until != 0 {
                c.wake.raise();
            }
        }
        log_notice!("Log turned off at offset {end}");
    }
    Ok(())
}

/// Loads the newest snapshot that checks out, newest first. Returns its header (None if
/// there is none) and, when a newer one was damaged, why (for the error if the log cannot
/// cover the older one).
fn load_newest_snapshot(
    srv: &mut Server,
    fs: &dyn Fs,
    dir: &std::path::Path,
    shared: &SharedProgress,
) -> Result<(Option<Header>, Option<String>), String> {
    let list = compactor::list_snapshots(fs, dir).map_err(|e| format!("Can't list {}: {e}", dir.display()))?;
    let mut damaged: Option<String> = None;
    for (offset, _, name) in list.iter().rev() {
        let path = dir.join(name);
        let started = std::time::Instant::now();
        let checked = snapshot::open(fs, &path).and_then(|c| {
            if c.summary.header.log_offset == *offset {
                Ok(c)
            } else {
                Err(format!("its name says log offset {offset}, its header {}", c.summary.header.log_offset))
            }
        });
        let checked = match checked {
            Ok(c) => c,
            // Like the log (case I): a downgrade is refused, not treated as damage.
            Err(why) if why.contains("newer Keel") => {
                return Err(format!(
                    "Snapshot {}: {why}. Start the newer Keel, or move the file away to recover without it.",
                    path.display()
                ));
            }
            Err(why) => {
                // Renamed aside, so it neither counts as a fallback when old files are
                // pruned nor is tried again; kept for the operator.
                let aside = dir.join(format!("{name}.damaged"));
                let moved = fs.rename(&path, &aside).and_then(|()| fs.sync_dir(dir));
                log_warning!(
                    "Snapshot {} is damaged ({why}); {}; trying an older one",
                    path.display(),
                    if moved.is_ok() { format!("renamed to {}", aside.display()) } else { "left in place".to_string() }
                );
                damaged.get_or_insert(format!("the newest snapshot {} is damaged: {why}", path.display()));
                continue;
            }
        };
        let file_bytes = checked.summary.file_bytes;
        let keys_total = checked.summary.keys.max(1);
        let mut next_report = started + PROGRESS_EVERY;
        let keys = srv
            .load_snapshot_with(&checked, &mut |done| {
                let mut p = lock_progress(shared);
                p.loaded_bytes = u64::try_from(u128::from(file_bytes) * u128::from(done) / u128::from(keys_total)).unwrap_or(file_bytes);
                let now = std::time::Instant::now();
                if now >= next_report {
                    next_report = now + PROGRESS_EVERY;
                    log_notice!("Loading the snapshot: {done} of {keys_total} keys ({:.0}%), about {} s left", p.percent(), p.eta_secs());
                }
            })
            .map_err(|e| format!("Bad snapshot {}: {e}", path.display()))?;
        lock_progress(shared).loaded_bytes = file_bytes;
        srv.snapshots.loaded_keys = keys;
        srv.snapshots.last_file_bytes = checked.summary.file_bytes;
        let secs = started.elapsed().as_secs_f64().max(1e-6);
        log_notice!(
            "Snapshot {} loaded: {keys} keys at log offset {}, {} bytes, in {:.3} seconds ({:.0} keys/s)",
            path.display(),
            checked.summary.header.log_offset,
            checked.summary.file_bytes,
            secs,
            keys as f64 / secs
        );
        return Ok((Some(checked.summary.header), damaged));
    }
    Ok((None, damaged))
}

/// Replays the log from `opts.from_offset`; returns what recovery found and the replay rate
/// in bytes per second (0 when too little was replayed to tell).
fn replay_log(
    srv: &mut Server,
    fs: &dyn Fs,
    dir: &std::path::Path,
    opts: &Options,
    shared: &SharedProgress,
) -> Result<(Recovered, f64), String> {
    let started = std::time::Instant::now();
    let mut progress = Progress::new(log_file_bytes(fs, dir), started);
    progress.shared = Some((shared.clone(), lock_progress(shared).loaded_bytes));
    let slot = srv.connect("log-replay".into(), String::new(), -1);
    let (mut spans, mut out) = (Vec::new(), crate::protocol::Out::new(false));
    let mut replay = |rec: &crate::storage::record::Record<'_>| -> Result<(), String> {
        progress.record(RECORD_HEADER_BYTES + rec.payload.len());
        if rec.kind == KIND_SKIP {
            return Ok(());
        }
        if rec.kind != KIND_EFFECTS {
            return Err(format!("unknown record kind {} at offset {}", rec.kind, rec.offset));
        }
        let now = i64::try_from(rec.timestamp_ms).unwrap_or(i64::MAX);
        let mut at = 0;
        while let Some(db) = next_effect(rec.payload, &mut at, &mut spans).map_err(|e| format!("{e} at offset {}", rec.offset))? {
            let db = usize::try_from(db).unwrap_or(usize::MAX);
            let args = crate::protocol::Args::new(rec.payload, &spans);
            srv.apply_effect_args(slot, db, args, now, &mut out).map_err(|err| format!("{err} (record at offset {})", rec.offset))?;
        }
        Ok(())
    };
    let recovered = recover(fs, dir, opts, &mut replay).map_err(|e| e.to_string())?;
    srv.disconnect(slot);
    srv.process_events();
    if recovered.truncated_bytes > 0 {
        log_warning!("Truncated {} bytes of unsynced log tail (aof-load-truncated yes)", recovered.truncated_bytes);
    }
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    log_notice!(
        "Log loaded: {} records, {} bytes of log replayed, in {:.3} seconds ({:.0} records/s, {:.1} MB/s)",
        recovered.records,
        progress.bytes,
        secs,
        recovered.records as f64 / secs,
        progress.bytes as f64 / secs / 1e6
    );
    let rate = if progress.bytes >= 16 << 20 { progress.bytes as f64 / secs } else { 0.0 };
    Ok((recovered, rate))
}

/// Bytes of the segment files (an upper bound on the records to replay: segments are
/// preallocated), for progress reports.
fn log_file_bytes(fs: &dyn Fs, dir: &std::path::Path) -> u64 {
    let names = fs.list(dir).unwrap_or_default();
    names.iter().filter(|n| n.ends_with(".seg")).filter_map(|n| fs.open(&dir.join(n), false).and_then(|f| f.len_bytes()).ok()).sum()
}

/// Start-up progress for long replays: a line every `PROGRESS_EVERY` with the share done,
/// the replay rate and an estimate of the time left.
struct Progress {
    total: u64,
    bytes: u64,
    records: u64,
    started: std::time::Instant,
    next_report: std::time::Instant,
    /// Where INFO reads the progress, and the bytes loaded before the log (the snapshot).
    shared: Option<(SharedProgress, u64)>,
}

fn lock_progress(p: &SharedProgress) -> std::sync::MutexGuard<'_, crate::server::loading::Progress> {
    p.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Size of the snapshot start-up will try first, for the progress total.
fn newest_snapshot_bytes(fs: &dyn Fs, dir: &std::path::Path) -> u64 {
    let newest = compactor::list_snapshots(fs, dir).ok().and_then(|v| v.last().cloned());
    newest.and_then(|(_, _, n)| fs.open(&dir.join(n), false).and_then(|f| f.len_bytes()).ok()).unwrap_or(0)
}

const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

impl Progress {
    fn new(total: u64, started: std::time::Instant) -> Self {
        Progress { total, bytes: 0, records: 0, started, next_report: started + PROGRESS_EVERY, shared: None }
    }

    fn record(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
        self.records += 1;
        // The clock is read once per 4096 records: replay runs at millions of records a second.
        if self.records % 4096 != 0 {
            return;
        }
        if let Some((shared, base)) = &self.shared {
            lock_progress(shared).loaded_bytes = base + self.bytes;
        }
        let now = std::time::Instant::now();
        if now < self.next_report {
            return;
        }
        self.next_report = now + PROGRESS_EVERY;
        let secs = now.duration_since(self.started).as_secs_f64();
        let rate = self.bytes as f64 / secs;
        let left = self.total.saturating_sub(self.bytes) as f64 / rate.max(1.0);
        log_notice!(
            "Loading the log: {} MB of at most {} MB, {} records, {:.1} MB/s, at most {:.0} s left",
            self.bytes / 1_000_000,
            self.total / 1_000_000,
            self.records,
            rate / 1e6,
            left
        );
    }
}

fn new_log_id() -> u64 {
    let mut b = [0u8; 8];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b)).is_ok();
    let id = u64::from_le_bytes(b);
    if ok && id != 0 {
        id
    } else {
        (crate::executor::unix_us() as u64) ^ u64::from(std::process::id()).rotate_left(40)
    }
}

/// Wakes the clients whose held replies the log has released.
pub async fn release_loop(srv: Rc<RefCell<Server>>, notify: Arc<tokio::sync::Notify>) {
    loop {
        notify.notified().await;
        let mut s = srv.borrow_mut();
        // The log may be off now and on later (CONFIG SET appendonly): keep waiting.
        let Some(released) = s.log.as_ref().map(LogWriter::released_offset) else { continue };
        advance(&mut s, released);
        // Wake even when an inline write got there first: a client that waited for the
        // thread is not woken by anyone else.
        let released = s.release_offset;
        let failed = log_failed(&s);
        for (_, c) in s.clients.iter() {
            let waitaof = c.blocked.is_some_and(|b| durable_for(&s, &b));
            // After a fatal log failure held replies are never released: wake their
            // connections to close (see `never_released`), and blocked WAITAOFs to reply.
            let doomed = failed && (c.hold_until > released || c.blocked.is_some_and(|b| b.durable_offset != 0));
            if (c.hold_until != 0 && c.hold_until <= released) || waitaof || doomed {
                c.wake.raise();
            }
        }
    }
}

/// After a fatal log failure, a reply held for `hold` will never be released: the write it
/// acknowledges (or reveals) is not durable and never will be in this process. Its
/// connection is closed without the reply, so the client sees an error, not an ack.
pub fn never_released(srv: &Server, hold: u64) -> bool {
    hold > srv.release_offset && log_failed(srv)
}

/// The log failed for good: nothing more will become durable in this process.
pub fn log_failed(srv: &Server) -> bool {
    srv.log.as_ref().is_some_and(LogWriter::failed_for_good)
}

/// Whether a command blocked on durability (WAITAOF) may run again.
pub fn durable_for(srv: &Server, b: &Blocked) -> bool {
    b.durable_offset != 0 && srv.log.as_ref().is_some_and(|l| l.durable_offset() >= b.durable_offset)
}

/// Whether replies wait only for the write (not `always`), so the executor writes the log
/// itself (`write_inline`) before it sends them.
pub fn writes_inline(srv: &Server) -> bool {
    srv.log.as_ref().is_some_and(|l| l.fsync() != Fsync::Always)
}

/// Writes the appended records on the executor thread and advances the released offset.
/// False when the writer thread has them (a roll, a full disk): wait for `release_loop`.
pub fn write_inline(srv: &mut Server) -> bool {
    let Some(released) = srv.log.as_ref().and_then(LogWriter::write_inline) else { return false };
    advance(srv, released);
    true
}

fn advance(srv: &mut Server, released: u64) {
    if released > srv.release_offset {
        srv.release_offset = released;
        srv.pending.prune(released);
    }
}

/// Writes and syncs what is left, at shutdown.
pub fn close(srv: &mut Server) {
    close_log(srv);
    srv.log_dir_lock = None;
}

fn close_log(srv: &mut Server) {
    if let Some(log) = srv.log.take() {
        if let Some(why) = log.shutdown() {
            log_warning!("The log was not cleanly closed: {why}");
        }
    }
}
