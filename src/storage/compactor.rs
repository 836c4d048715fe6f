//! The snapshot compactor: turns the raw blocks a capture produces into a durable snapshot
//! file, then retires what the new snapshot makes unnecessary. It runs on its own thread
//! (`spawn`) for BGSAVE and the automatic triggers, or inline for SAVE and in tests.
//!
//! The protocol, each step crash-safe (docs/format/snapshot.md, "Taking a snapshot"):
//! 1. write blocks, index and trailer to `<name>.snap.tmp`, fdatasync it;
//! 2. wait until the log is durable past the snapshot's offset (so the log never ends before
//!    a snapshot that recovery may load);
//! 3. rename to `<name>.snap`, fsync the directory: the snapshot now exists;
//! 4. delete snapshots beyond the newest `retain` (and the one `Retention` keeps for
//!    point-in-time restore), then the segments wholly before the oldest snapshot kept, and
//!    fsync the directory. A power loss may keep any subset of these
//!    deletions; that is safe because recovery never reads a segment wholly before the
//!    snapshot it loads, and every snapshot kept is at or after the cut.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::io::Fs;
use super::log_writer::LogSync;
use super::segment;
use super::snapshot::{self, DbCount, Header, Writer};

/// The compactor thread's nice value, which counts when it leaves SCHED_IDLE because it
/// starved (`Thread::set_starved`): compression yields to the executor when they share a
/// core, so clients do not wait for it.
const COMPACTOR_NICE: i32 = 19;

/// How long step 2 may wait for the log.
const LOG_SYNC_TIMEOUT: Duration = Duration::from_secs(60);

/// A finished snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub path: PathBuf,
    pub file_bytes: u64,
    pub keys: u64,
    pub log_offset: u64,
    pub removed_snapshots: usize,
    pub removed_segments: usize,
}

/// One snapshot being written.
pub struct Job {
    fs: Arc<dyn Fs>,
    dir: PathBuf,
    seq: u64,
    retain: Retention,
    log: Option<LogSync>,
    log_offset: u64,
    writer: Result<Writer, String>,
}

/// What step 4 keeps: the newest `snapshots` (at least 2), and, for point-in-time restore
/// (`aof-repair restore`), enough older history that every point of the last `keep_ms`
/// milliseconds and of the last `keep_bytes` bytes of log stays restorable: the newest
/// snapshot at or before that window's start, and every segment after it (0: off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub snapshots: usize,
    pub keep_ms: u64,
    pub keep_bytes: u64,
    /// The clock `keep_ms` counts back from (Unix ms).
    pub now_ms: u64,
}

impl Retention {
    /// Only the newest `snapshots` snapshots and the log after the oldest of them.
    pub fn snapshots(n: usize) -> Self {
        Retention { snapshots: n, keep_ms: 0, keep_bytes: 0, now_ms: 0 }
    }
}

impl Job {
    /// Creates the temporary file (on the compactor's thread: file I/O stays off the
    /// executor).
    pub fn new(fs: Arc<dyn Fs>, dir: &Path, header: Header, seq: u64, retain: Retention, log: Option<LogSync>) -> Self {
        let writer = Writer::create(fs.clone(), dir, header, seq).map_err(|e| format!("cannot create the snapshot file: {e}"));
        Job { fs, dir: dir.to_path_buf(), seq, retain, log, log_offset: header.log_offset, writer }
    }

    pub fn block(&mut self, raw: &[u8], keys: u32) {
        if let Ok(w) = &mut self.writer {
            if let Err(e) = w.write_block(raw, keys) {
                self.writer = Err(format!("writing the snapshot failed: {e}"));
            }
        }
    }

    /// Steps 1 to 4.
    pub fn finish(self, dbs: &[DbCount]) -> Result<Done, String> {
        let mut w = self.writer?;
        let keys = w.keys();
        let file_bytes = match w.finish(dbs) {
            Ok(n) => n,
            Err(e) => {
                w.abort();
                return Err(format!("writing the snapshot failed: {e}"));
            }
        };
        if let Some(log) = &self.log {
            if let Err(e) = log.sync_to(self.log_offset, LOG_SYNC_TIMEOUT) {
                w.abort();
                return Err(format!("the log could not be made durable up to the snapshot: {e}"));
            }
        }
        let path = w.commit(self.seq).map_err(|e| format!("publishing the snapshot failed: {e}"))?;
        let retain = Retention { now_ms: crate::executor::unix_ms().try_into().unwrap_or(0), ..self.retain };
        let (removed_snapshots, removed_segments) = prune(self.fs.as_ref(), &self.dir, &retain)
            .map_err(|e| format!("the snapshot is saved, but removing old files failed: {e}"))?;
        Ok(Done { path, file_bytes, keys, log_offset: self.log_offset, removed_snapshots, removed_segments })
    }

    /// Gives up and removes the temporary file.
    pub fn abort(self) {
        if let Ok(w) = self.writer {
            w.abort();
        }
    }
}

/// The snapshots in `dir`, oldest first: (offset, sequence, file name).
pub fn list_snapshots(fs: &dyn Fs, dir: &Path) -> std::io::Result<Vec<(u64, u64, String)>> {
    let mut v: Vec<(u64, u64, String)> =
        fs.list(dir)?.into_iter().filter_map(|n| snapshot::parse_file_name(&n).map(|(o, s)| (o, s, n))).collect();
    v.sort();
    Ok(v)
}

/// The sequence number for the next snapshot.
pub fn next_seq(fs: &dyn Fs, dir: &Path) -> u64 {
    list_snapshots(fs, dir).ok().and_then(|v| v.iter().map(|s| s.1).max()).map_or(1, |m| m + 1)
}

/// Step 4: keeps the newest `retain.snapshots` snapshots (at least 2: the newest and its
/// fallback), the one the retention window needs, and the segments from the oldest kept one
/// on; returns (snapshots removed, segments removed). With a single snapshot every segment
/// stays: the whole log is its fallback.
pub fn prune(fs: &dyn Fs, dir: &Path, retain: &Retention) -> std::io::Result<(usize, usize)> {
    let snaps = list_snapshots(fs, dir)?;
    let bases = segment::list_bases(fs, dir)?;
    let newest = snaps.len().saturating_sub(retain.snapshots.max(2));
    // The snapshot a restore to the window's start would load (the anchor); the first one
    // after the start, which becomes the anchor when the window moves past it (without it
    // the anchor could only be one of the newest, and would stay put while the log grew);
    // and whether the log's very start must stay (the window reaches before every snapshot,
    // and the log has it).
    let (anchor, successor, keep_all) = match window_start(fs, dir, &bases, &snaps, retain)? {
        None => (None, None, false),
        Some(start) => {
            let anchor = snaps.iter().rposition(|s| s.0 <= start);
            let successor = snaps.iter().position(|s| s.0 > start);
            (anchor, successor, anchor.is_none() && bases.first() == Some(&0))
        }
    };
    let keep = |i: usize| i >= newest || anchor == Some(i) || successor == Some(i);
    let mut removed_snapshots = 0;
    for (i, (_, _, name)) in snaps.iter().enumerate() {
        if !keep(i) {
            fs.remove(&dir.join(name))?;
            removed_snapshots += 1;
        }
    }
    let kept: Vec<u64> = snaps.iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, s)| s.0).collect();
    let mut removed_segments = 0;
    if kept.len() >= 2 && !keep_all {
        let cutoff = kept[0];
        // A segment's records end where the next segment begins; the last one is active.
        for w in bases.windows(2) {
            if w[1] > cutoff {
                break;
            }
            fs.remove(&dir.join(segment::file_name(w[0])))?;
            removed_segments += 1;
        }
    }
    if removed_snapshots > 0 || removed_segments > 0 {
        fs.sync_dir(dir)?;
    }
    Ok((removed_snapshots, removed_segments))
}

/// The oldest log offset the retention window must keep restorable (None: retention off).
/// The byte window counts back from the newest snapshot (the log's end is at or past it).
/// The time window starts in the newest segment whose first record is at or before
/// `now - keep_ms`: a restore to any time after that cuts the log in or after it.
fn window_start(fs: &dyn Fs, dir: &Path, bases: &[u64], snaps: &[(u64, u64, String)], r: &Retention) -> std::io::Result<Option<u64>> {
    let mut start: Option<u64> = None;
    if r.keep_bytes > 0 {
        let end = snaps.last().map_or(0, |s| s.0);
        start = Some(end.saturating_sub(r.keep_bytes));
    }
    if r.keep_ms > 0 {
        let since = r.now_ms.saturating_sub(r.keep_ms);
        let mut at = bases.first().copied().unwrap_or(0);
        for &base in bases {
            match first_record_ms(fs, &dir.join(segment::file_name(base)))? {
                Some(ms) if ms <= since => at = base,
                _ => break,
            }
        }
        start = Some(start.map_or(at, |s| s.min(at)));
    }
    Ok(start)
}

/// The timestamp of a segment's first record (None: it has none yet). Read without its
/// checksum: this only decides which old files to keep.
fn first_record_ms(fs: &dyn Fs, path: &Path) -> std::io::Result<Option<u64>> {
    let f = fs.open(path, false)?;
    let mut h = [0u8; super::record::RECORD_HEADER_BYTES];
    match super::io::read_exact_at(f.as_ref(), segment::SEGMENT_HEADER_BYTES as u64, &mut h) {
        Ok(()) if h != [0; super::record::RECORD_HEADER_BYTES] => Ok(Some(u64::from_le_bytes(h[24..32].try_into().unwrap_or_default()))),
        Ok(()) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes temporary files of snapshots a crash interrupted.
pub fn remove_temp_files(fs: &dyn Fs, dir: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    for name in fs.list(dir)? {
        if snapshot::is_temp_name(&name) {
            fs.remove(&dir.join(&name))?;
            n += 1;
        }
    }
    if n > 0 {
        fs.sync_dir(dir)?;
    }
    Ok(n)
}

/// What the executor sends the compactor thread.
pub enum Msg {
    Block(Vec<u8>, u32),
    Finish(Vec<DbCount>),
}

/// A compactor thread working on one job.
pub struct Thread {
    pub tx: SyncSender<Msg>,
    /// Block buffers the thread is done with, for the capture to fill again.
    pub recycled: Receiver<Vec<u8>>,
    /// The outcome, once there is one; `on_done` is called after it is set.
    pub result: Arc<Mutex<Option<Result<Done, String>>>>,
    /// Set while the compactor is starved: its compression leaves SCHED_IDLE.
    starved: Arc<std::sync::atomic::AtomicBool>,
}

impl Thread {
    /// The compactor compresses under SCHED_IDLE (`snapshot::Writer::compress`), so it never
    /// delays a command by more than a wake-up; on a core a load keeps busy it can then
    /// starve. `starved` (its queue has stayed full) keeps it at nice 19 under the normal
    /// policy (a share of about 1.5% against a busy executor) until the queue drains.
    pub fn set_starved(&self, starved: bool) {
        self.starved.store(starved, Ordering::Release);
    }
}

/// Starts a thread that builds `job`'s file from the blocks it is sent. `queue` bounds the
/// blocks in flight (memory); `on_done` runs on the thread when the outcome is known.
/// `cpulist` binds the thread (bgsave_cpulist or aof_rewrite_cpulist; empty: inherit).
pub fn spawn(
    make_job: Box<dyn FnOnce() -> Job + Send>,
    queue: usize,
    cpulist: String,
    on_done: Box<dyn Fn() + Send>,
) -> std::io::Result<Thread> {
    let (tx, rx) = sync_channel(queue);
    let (back, recycled) = sync_channel(queue);
    let result = Arc::new(Mutex::new(None));
    let r = result.clone();
    let starved = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let st = starved.clone();
    std::thread::Builder::new().name("keel-snapshot".into()).spawn(move || {
        crate::util::sys::set_thread_nice(COMPACTOR_NICE);
        crate::util::sys::bind_thread_to(&cpulist, "the snapshot thread");
        let make_job = move || {
            let mut job = make_job();
            if let Ok(w) = &mut job.writer {
                w.set_idle_compression(st);
            }
            job
        };
        // A panic here must still produce an outcome: the executor waits for one.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| serve(make_job(), &rx, &back)))
            .unwrap_or_else(|_| Err("the snapshot thread panicked".into()));
        *r.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
        on_done();
    })?;
    Ok(Thread { tx, recycled, result, starved })
}

fn serve(mut job: Job, rx: &Receiver<Msg>, back: &SyncSender<Vec<u8>>) -> Result<Done, String> {
    loop {
        match rx.recv() {
            Ok(Msg::Block(mut raw, keys)) => {
                job.block(&raw, keys);
                raw.clear();
                let _ = back.try_send(raw);
            }
            Ok(Msg::Finish(dbs)) => return job.finish(&dbs),
            // The executor let go of the channel (shutdown) before sending Finish.
            Err(_) => {
                job.abort();
                return Err("the snapshot was abandoned".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::write_all_at;
    use crate::storage::sim::SimFs;

    fn touch(fs: &SimFs, p: &Path) {
        let f = fs.create(p).unwrap();
        write_all_at(f.as_ref(), 0, b"x").unwrap();
    }

    #[test]
    fn prune_keeps_the_fallback_and_its_log() {
        let fs = SimFs::new(3);
        let dir = Path::new("/d");
        fs.create_dir_all(dir).unwrap();
        for base in [0u64, 100, 200, 300] {
            touch(&fs, &dir.join(segment::file_name(base)));
        }
        for (o, s) in [(50, 1), (210, 2), (250, 3)] {
            touch(&fs, &dir.join(snapshot::file_name(o, s)));
        }
        assert_eq!(prune(&fs, dir, &Retention::snapshots(2)).unwrap(), (1, 2));
        let left = fs.list(dir).unwrap();
        let mut want = vec![segment::file_name(200), segment::file_name(300), snapshot::file_name(210, 2), snapshot::file_name(250, 3)];
        want.sort();
        assert_eq!(left, want);
        // Never fewer than two: the newest and its fallback.
        assert_eq!(prune(&fs, dir, &Retention::snapshots(1)).unwrap(), (0, 0));
        assert_eq!(next_seq(&fs, dir), 4);
    }

    /// Segments at 0, 100, .. 500 whose first records are stamped 1000 s apart, snapshots at
    /// 50, 150, .. 450; the window decides which old ones stay.
    fn history(fs: &SimFs, dir: &Path) {
        fs.create_dir_all(dir).unwrap();
        for (i, base) in (0u64..6).map(|i| (i, i * 100)) {
            let mut b = segment::SegmentHeader { log_id: 1, base_offset: base, created_ms: 0 }.encode().to_vec();
            let rec = crate::storage::record::Record {
                kind: 1,
                offset: base,
                timestamp_ms: (i + 1) * 1_000_000,
                durable_offset: base,
                payload: b"x",
            };
            crate::storage::record::encode(&mut b, 1, &rec);
            let f = fs.create(&dir.join(segment::file_name(base))).unwrap();
            write_all_at(f.as_ref(), 0, &b).unwrap();
        }
        for (i, o) in [50u64, 150, 250, 350, 450].into_iter().enumerate() {
            touch(fs, &dir.join(snapshot::file_name(o, i as u64 + 1)));
        }
    }

    fn left(fs: &SimFs, dir: &Path) -> (Vec<u64>, Vec<u64>) {
        let snaps = list_snapshots(fs, dir).unwrap().into_iter().map(|s| s.0).collect();
        (snaps, segment::list_bases(fs, dir).unwrap())
    }

    #[test]
    fn retention_keeps_the_snapshot_and_log_a_restore_to_the_window_start_needs() {
        let dir = Path::new("/d");
        // Off: the newest two snapshots and the log from the older one.
        let fs = SimFs::new(5);
        history(&fs, dir);
        assert_eq!(prune(&fs, dir, &Retention::snapshots(2)).unwrap(), (3, 3));
        assert_eq!(left(&fs, dir), (vec![350, 450], vec![300, 400, 500]));
        // 2500 s back from 6000 s is 3500 s, inside the segment at 200 (its first record is
        // at 3000 s, the next one's at 4000 s): a restore to then may cut the log anywhere
        // from offset 200 on, so the snapshot at 150 and the log from its segment stay.
        let fs = SimFs::new(5);
        history(&fs, dir);
        // The first snapshot after the start stays too: it is the next anchor.
        let r = Retention { snapshots: 2, keep_ms: 2_500_000, keep_bytes: 0, now_ms: 6_000_000 };
        assert_eq!(prune(&fs, dir, &r).unwrap(), (1, 1));
        assert_eq!(left(&fs, dir), (vec![150, 250, 350, 450], vec![100, 200, 300, 400, 500]));
        // 200 bytes back from the newest snapshot (450): offset 250, so the snapshot at 250.
        let fs = SimFs::new(5);
        history(&fs, dir);
        let r = Retention { snapshots: 2, keep_ms: 0, keep_bytes: 200, now_ms: 0 };
        assert_eq!(prune(&fs, dir, &r).unwrap(), (2, 2));
        assert_eq!(left(&fs, dir), (vec![250, 350, 450], vec![200, 300, 400, 500]));
        // A window older than every snapshot keeps the log from offset 0: the history from
        // the start is restorable.
        let fs = SimFs::new(5);
        history(&fs, dir);
        let r = Retention { snapshots: 2, keep_ms: 5_500_000, keep_bytes: 0, now_ms: 6_000_000 };
        assert_eq!(prune(&fs, dir, &r).unwrap(), (2, 0));
        assert_eq!(left(&fs, dir), (vec![50, 350, 450], vec![0, 100, 200, 300, 400, 500]));
    }

    /// Pruning after every snapshot, as the server does, while time passes: every point of
    /// the window stays restorable, and what is kept stays bounded (the log of at most about
    /// two windows, four snapshots).
    #[test]
    fn retention_pruned_after_every_snapshot_keeps_the_window_and_stays_bounded() {
        let (fs, dir) = (SimFs::new(9), Path::new("/d"));
        fs.create_dir_all(dir).unwrap();
        // Step k: a segment at k*100 whose first record is at k*1000 s, and a snapshot at
        // k*100+50; the window is 5000 s (five segments).
        let r = |k: u64| Retention { snapshots: 2, keep_ms: 5_000_000, keep_bytes: 0, now_ms: k * 1_000_000 + 999_000 };
        for k in 0..60u64 {
            let base = k * 100;
            let mut b = segment::SegmentHeader { log_id: 1, base_offset: base, created_ms: 0 }.encode().to_vec();
            let rec =
                crate::storage::record::Record { kind: 1, offset: base, timestamp_ms: k * 1_000_000, durable_offset: base, payload: b"x" };
            crate::storage::record::encode(&mut b, 1, &rec);
            let f = fs.create(&dir.join(segment::file_name(base))).unwrap();
            write_all_at(f.as_ref(), 0, &b).unwrap();
            touch(&fs, &dir.join(snapshot::file_name(base + 50, k + 1)));
            prune(&fs, dir, &r(k)).unwrap();
            let (snaps, segs) = left(&fs, dir);
            // The window starts at (k-5)*1000 s + 999 s: inside segment k-5 (or before 0).
            let start = k.saturating_sub(5) * 100;
            let restorable = snaps.iter().any(|&s| s <= start && segs.first().is_some_and(|&f| f <= s)) || segs.first() == Some(&0);
            assert!(restorable, "step {k}: window from offset {start}, kept {snaps:?} {segs:?}");
            assert!(segs.windows(2).all(|w| w[1] == w[0] + 100), "step {k}: a gap in {segs:?}");
            assert!(snaps.len() <= 4 && segs.len() <= 12, "step {k}: unbounded: {snaps:?} {segs:?}");
        }
    }
}
