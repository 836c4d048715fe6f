//! The log writer: the executor appends records to a shared batch; the batch is written to the
//! active segment and fsynced (group commit), then the durable offset is published and
//! `on_durable` runs so the executor can release held replies.
//!
//! Who writes: under `always` the keel-log thread writes and fsyncs each batch while the
//! executor keeps executing. Under `everysec` and `no` a reply waits only for the write
//! (the page cache survives a process crash), so the executor writes the batch itself with
//! `write_inline` just before it sends replies, as Redis does before it sleeps: handing a
//! batch to another thread would cost two cross-thread wake-ups for one pwrite. The thread
//! then only fsyncs once a second, through its own reference to the file so it never blocks
//! an inline write, and takes over what the executor leaves it (a segment roll, a full disk,
//! records with no reply waiting).
//!
//! Invariants (asserted): `durable_offset <= written_offset <= appended end`; records reach
//! the file in offset order (the batch is taken and written under the `files` lock); a segment
//! is synced completely before the next one gets a record; a segment's header and directory
//! entry are synced before its first record is written.
//!
//! Failures: an fsync error is never retried (Linux may have dropped the pages it failed to
//! write, so a retry could report success for data that is gone): the writer stops for good and
//! `failure` says why. A full disk (ENOSPC) keeps the batch and retries until space returns;
//! `failure` reports it meanwhile, and clears when the write goes through.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::io::{write_all_at, Fs, LogFile};
use super::record::{self, Record};
use super::segment::{self, SegmentHeader, SEGMENT_HEADER_BYTES};

/// How often a writer blocked by a full disk tries again.
const DISK_FULL_RETRY_MS: u64 = 100;

/// The log thread's nice value (the executor's is 0); see `Thread::run`.
const LOG_THREAD_NICE: i32 = 5;

/// How often an idle thread looks for records nobody wrote inline (active expiry's deletes
/// under everysec/no; a reply waiting for them writes them itself).
const LEFTOVER_POLL_MS: u64 = 1000;

/// fsync latency histogram buckets: upper bounds in microseconds (powers of two from 64 µs to
/// about 1 s), then one bucket for everything slower.
pub const FSYNC_BUCKETS_USEC: [u64; 15] =
    [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131_072, 262_144, 524_288, 1_048_576];

/// Counters INFO persistence reports.
#[derive(Debug, Clone, Default)]
pub struct LogStats {
    pub fsyncs: u64,
    /// Counts per bucket of `FSYNC_BUCKETS_USEC`, plus one for slower.
    pub fsync_usec_histogram: Vec<u64>,
    /// Segment rolls, and the longest one (sync of the old segment, creation of the next).
    pub rolls: u64,
    pub roll_usec_max: u64,
    /// The longest write the executor made itself (everysec, no): its thread waits for it.
    pub inline_write_usec_max: u64,
}

impl LogStats {
    fn empty() -> Self {
        LogStats { fsync_usec_histogram: vec![0; FSYNC_BUCKETS_USEC.len() + 1], ..LogStats::default() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// fdatasync after every batch; replies wait for it.
    Always,
    /// fdatasync at most once a second.
    EverySec,
    /// Never; the kernel writes back when it likes.
    No,
}

impl Fsync {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Fsync::Always,
            1 => Fsync::EverySec,
            _ => Fsync::No,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WriterOptions {
    pub segment_size_bytes: u64,
    pub fsync: Fsync,
}

/// Where the log continues: from recovery, or a new log.
#[derive(Debug, Clone)]
pub struct Resume {
    pub log_id: u64,
    pub end_offset: u64,
    /// The last segment and the byte position after its last record, to keep appending to.
    pub last_segment: Option<(PathBuf, u64, u64)>,
}

#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    /// Log end offset after each record in `bytes`, to split the batch at segment boundaries.
    record_ends: Vec<u64>,
    /// Log offset of `bytes[0]`.
    start_offset: u64,
    /// End offset of everything appended so far.
    end_offset: u64,
    stop: bool,
    /// The writer thread is parked on the condvar: an append must wake it. While it is busy
    /// writing or syncing it will look at the batch again by itself, so appends skip the
    /// futex call (one per record otherwise).
    writer_parked: bool,
    /// The executor left this batch to the thread (a roll, a full disk, a busy file); inline
    /// writes stay off until the thread has written it.
    handed_off: bool,
    /// A snapshot waits for the log to be durable up to here (`LogSync::sync_to`), whatever
    /// the fsync policy.
    sync_wanted: u64,
}

/// The segment files: whoever holds this lock may take the batch and write it.
struct Files {
    fs: Arc<dyn Fs>,
    dir: PathBuf,
    log_id: u64,
    segment_size_bytes: u64,
    active: Active,
    /// The segment before `active` while its final fdatasync is pending, with its end offset.
    /// Records go into `active` meanwhile, so a roll holds no write reply for that fsync
    /// (20-130 ms measured while a snapshot writes). Nothing past its end is published durable
    /// before it is synced; records written meanwhile name a durable offset below its end,
    /// which is how recovery tells an unsynced tail across the boundary from damage (case B
    /// in docs/recovery.md).
    sealed: Option<(Arc<dyn LogFile>, u64)>,
    /// The next segment's file, made ahead by the thread (`SPARE_FILE_NAME`): a roll writes
    /// its header and renames it, with no fsync, so the executor can roll inline.
    spare: Option<Arc<dyn LogFile>>,
    /// The active segment came from the spare and its header and name are not yet synced:
    /// the next sync covers them (directory, then file) before any offset in it is durable.
    fresh: bool,
}

struct Shared {
    /// Lock order: `files` before `batch`.
    files: Mutex<Files>,
    /// `Files::sealed` is set (readable without the files lock, under the batch lock).
    sealed_pending: AtomicBool,
    /// `LogStats::inline_write_usec_max`, kept apart from the stats lock.
    inline_write_usec_max: AtomicU64,
    batch: Mutex<Batch>,
    wake: Condvar,
    written_offset: AtomicU64,
    durable_offset: AtomicU64,
    /// Replies below this may be sent: durable under `always`, written otherwise. Never
    /// goes back, even when the policy changes.
    released_offset: AtomicU64,
    failure: Mutex<Option<String>>,
    /// A failure no restart of the writer can fix (a failed fsync, a failed write).
    fatal: AtomicBool,
    fsync: AtomicU8,
    stats: Mutex<LogStats>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why a batch was not (completely) written; the rest is back at the front of the batch.
enum Unwritten {
    /// The segment must roll and the caller may not (an inline write).
    NeedsRoll,
    DiskFull,
    Fatal,
}

pub struct LogWriter {
    shared: Arc<Shared>,
    log_id: u64,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LogWriter {
    /// Starts the writer thread. `on_durable` runs on that thread after each advance of the
    /// released or the durable offset it makes.
    pub fn start(
        fs: Arc<dyn Fs>,
        dir: &Path,
        resume: &Resume,
        opts: WriterOptions,
        on_durable: Box<dyn Fn(u64) + Send>,
    ) -> std::io::Result<Self> {
        fs.create_dir_all(dir)?;
        let active = match &resume.last_segment {
            Some((path, base, pos)) => {
                let file: Arc<dyn LogFile> = Arc::from(fs.open(path, true)?);
                let _ = file.allocate(opts.segment_size_bytes);
                Active { file, base: *base, pos: *pos }
            }
            None => Active::create(fs.as_ref(), dir, resume.log_id, resume.end_offset, opts.segment_size_bytes)?,
        };
        let files = Files {
            fs,
            dir: dir.to_path_buf(),
            log_id: resume.log_id,
            segment_size_bytes: opts.segment_size_bytes,
            active,
            sealed: None,
            spare: None,
            fresh: false,
        };
        let shared = Arc::new(Shared {
            files: Mutex::new(files),
            sealed_pending: AtomicBool::new(false),
            inline_write_usec_max: AtomicU64::new(0),
            batch: Mutex::new(Batch { start_offset: resume.end_offset, end_offset: resume.end_offset, ..Batch::default() }),
            wake: Condvar::new(),
            written_offset: AtomicU64::new(resume.end_offset),
            durable_offset: AtomicU64::new(resume.end_offset),
            released_offset: AtomicU64::new(resume.end_offset),
            failure: Mutex::new(None),
            fatal: AtomicBool::new(false),
            fsync: AtomicU8::new(opts.fsync as u8),
            stats: Mutex::new(LogStats::empty()),
        });
        let mut t = Thread { shared: shared.clone(), on_durable, last_sync: std::time::Instant::now() };
        let thread = std::thread::Builder::new().name("keel-log".into()).spawn(move || t.run())?;
        Ok(Self { shared, log_id: resume.log_id, thread: Some(thread) })
    }

    /// Appends one record and returns the log offset just past it. Never blocks on I/O.
    pub fn append(&self, kind: u8, timestamp_ms: u64, payload: &[u8]) -> u64 {
        let durable = self.durable_offset();
        let mut b = lock(&self.shared.batch);
        assert!(!b.stop, "append after shutdown");
        let offset = b.end_offset;
        let rec = Record { kind, offset, timestamp_ms, durable_offset: durable.min(offset), payload };
        record::encode(&mut b.bytes, self.log_id, &rec);
        b.end_offset = rec.end_offset();
        let end = b.end_offset;
        b.record_ends.push(end);
        // Without `always` the executor writes inline; the thread need not wake.
        let wake = b.writer_parked && self.fsync() == Fsync::Always;
        drop(b);
        if wake {
            self.shared.wake.notify_one();
        }
        end
    }

    /// Without `always`: writes the appended records now, on the calling thread, and returns
    /// the new released offset. None when the thread has the batch (or under `always`): the
    /// caller then waits for `on_durable`.
    pub fn write_inline(&self) -> Option<u64> {
        if self.fsync() == Fsync::Always || self.shared.fatal.load(Ordering::Acquire) {
            return None;
        }
        // Waits for the thread if it holds the files (it writes and rolls under this lock, and
        // syncs outside it unless a roll finds no spare): handing the batch off instead would
        // make these replies wait for whatever fsync the thread is in or starts next.
        let mut files = lock(&self.shared.files);
        if lock(&self.shared.batch).handed_off {
            return None;
        }
        let started = std::time::Instant::now();
        let wrote = self.shared.write_pending(&mut files, false);
        // An atomic, not the stats lock: this runs on the executor for every batch.
        let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.shared.inline_write_usec_max.fetch_max(usec, Ordering::Relaxed);
        match wrote {
            Ok(_) => {
                let written = self.written_offset();
                Some(self.shared.released_offset.fetch_max(written, Ordering::AcqRel).max(written))
            }
            Err(_) => {
                drop(files);
                self.hand_off();
                None
            }
        }
    }

    /// A handle other threads use to make the log durable up to an offset.
    pub fn sync_handle(&self) -> LogSync {
        LogSync(self.shared.clone())
    }

    fn hand_off(&self) {
        lock(&self.shared.batch).handed_off = true;
        self.shared.wake.notify_one();
    }

    /// Everything below this offset is on disk (fsynced).
    pub fn durable_offset(&self) -> u64 {
        self.shared.durable_offset.load(Ordering::Acquire)
    }

    /// Replies of writes below this offset may be sent.
    pub fn released_offset(&self) -> u64 {
        self.shared.released_offset.load(Ordering::Acquire)
    }

    /// Everything below this offset has been written to the file (not necessarily synced).
    pub fn written_offset(&self) -> u64 {
        self.shared.written_offset.load(Ordering::Acquire)
    }

    /// Why the log cannot take writes now, if it cannot.
    pub fn failure(&self) -> Option<String> {
        lock(&self.shared.failure).clone()
    }

    /// The log failed for good: held replies will never be released.
    pub fn failed_for_good(&self) -> bool {
        self.shared.fatal.load(Ordering::Acquire)
    }

    /// CONFIG RESETSTAT: the counters and maxima start again from zero.
    pub fn reset_stats(&self) {
        *lock(&self.shared.stats) = LogStats::empty();
        self.shared.inline_write_usec_max.store(0, Ordering::Relaxed);
    }

    pub fn stats(&self) -> LogStats {
        let mut st = lock(&self.shared.stats).clone();
        st.inline_write_usec_max = self.shared.inline_write_usec_max.load(Ordering::Relaxed);
        st
    }

    pub fn fsync(&self) -> Fsync {
        self.shared.fsync()
    }

    pub fn set_fsync(&self, fsync: Fsync) {
        self.shared.fsync.store(fsync as u8, Ordering::Relaxed);
        self.shared.wake.notify_one();
    }

    /// Writes and syncs everything appended, then stops the thread.
    pub fn shutdown(mut self) -> Option<String> {
        self.stop();
        self.failure()
    }

    fn stop(&mut self) {
        lock(&self.shared.batch).stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Makes the log durable up to an offset on request (the snapshot compactor needs the log
/// durable past a snapshot's offset before the snapshot may replace anything).
#[derive(Clone)]
pub struct LogSync(Arc<Shared>);

impl LogSync {
    /// Asks the writer thread to write and fsync everything below `offset`, and waits for it
    /// (at most `timeout`).
    pub fn sync_to(&self, offset: u64, timeout: Duration) -> Result<(), String> {
        let sh = &self.0;
        if sh.durable_offset.load(Ordering::Acquire) >= offset {
            return Ok(());
        }
        {
            let mut b = lock(&sh.batch);
            b.sync_wanted = b.sync_wanted.max(offset);
        }
        sh.wake.notify_one();
        let deadline = std::time::Instant::now() + timeout;
        while sh.durable_offset.load(Ordering::Acquire) < offset {
            if sh.fatal.load(Ordering::Acquire) {
                return Err(lock(&sh.failure).clone().unwrap_or_else(|| "the log failed".into()));
            }
            if std::time::Instant::now() >= deadline {
                return Err(format!("the log did not become durable up to offset {offset} in {timeout:?}"));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        Ok(())
    }

    pub fn durable_offset(&self) -> u64 {
        self.0.durable_offset.load(Ordering::Acquire)
    }
}

/// The segment being appended to.
struct Active {
    file: Arc<dyn LogFile>,
    base: u64,
    /// Byte position for the next record.
    pos: u64,
}

impl Active {
    /// Creates the segment starting at `base`: space for `size` bytes reserved (best effort:
    /// appends within it need no metadata update, which makes each fdatasync about a third
    /// cheaper on ext4), header written and synced, directory synced, before any record goes
    /// in (recovery's case E relies on it).
    fn create(fs: &dyn Fs, dir: &Path, log_id: u64, base: u64, size: u64) -> std::io::Result<Self> {
        let path = dir.join(segment::file_name(base));
        let file: Arc<dyn LogFile> = Arc::from(fs.create(&path)?);
        let _ = file.allocate(size);
        let created_ms = u64::try_from(crate::executor::unix_ms()).unwrap_or(0);
        let header = SegmentHeader { log_id, base_offset: base, created_ms }.encode();
        let done = write_all_at(file.as_ref(), 0, &header).and_then(|()| file.sync_data()).and_then(|()| fs.sync_dir(dir));
        if let Err(e) = done {
            // Remove the half-made file so a retry (after a full disk) can create it again.
            let _ = fs.remove(&path);
            return Err(e);
        }
        Ok(Self { file, base, pos: SEGMENT_HEADER_BYTES as u64 })
    }

    /// Makes the spare file the segment starting at `base`: header written, renamed. Nothing
    /// is synced here; `Thread::sync` syncs the file and the directory before any offset in
    /// it is published durable (recovery's case E covers a crash before that).
    fn from_spare(files: &Files, spare: Arc<dyn LogFile>, base: u64) -> std::io::Result<Self> {
        let created_ms = u64::try_from(crate::executor::unix_ms()).unwrap_or(0);
        let header = SegmentHeader { log_id: files.log_id, base_offset: base, created_ms }.encode();
        write_all_at(spare.as_ref(), 0, &header)?;
        files.fs.rename(&files.dir.join(segment::SPARE_FILE_NAME), &files.dir.join(segment::file_name(base)))?;
        Ok(Self { file: spare, base, pos: SEGMENT_HEADER_BYTES as u64 })
    }

    /// Creates the spare: space reserved, synced, its name synced; a leftover one replaced.
    fn create_spare(fs: &dyn Fs, dir: &Path, size: u64) -> std::io::Result<Arc<dyn LogFile>> {
        let path = dir.join(segment::SPARE_FILE_NAME);
        let _ = fs.remove(&path);
        let file: Arc<dyn LogFile> = Arc::from(fs.create(&path)?);
        let _ = file.allocate(size);
        file.sync_data().and_then(|()| fs.sync_dir(dir))?;
        Ok(file)
    }

    fn end_offset(&self) -> u64 {
        segment::offset_at(self.base, self.pos)
    }
}

impl Shared {
    /// Takes the batch and writes it. On failure the unwritten rest goes back to the front of
    /// the batch, so a later attempt continues at the same offset.
    fn write_pending(&self, files: &mut Files, may_roll: bool) -> Result<bool, Unwritten> {
        let (bytes, ends, start) = {
            let mut b = lock(&self.batch);
            if b.bytes.is_empty() {
                return Ok(false);
            }
            let start = b.start_offset;
            b.start_offset = b.end_offset;
            if may_roll {
                // The thread takes what was handed to it. Cleared here, under the batch lock:
                // records handed off after this point wait for the thread's next turn (and
                // its `on_durable`), never for an inline write that would wake no one.
                b.handed_off = false;
            }
            (std::mem::take(&mut b.bytes), std::mem::take(&mut b.record_ends), start)
        };
        match self.write_batch(files, &bytes, &ends, start, may_roll) {
            Ok(()) => {
                self.clear_disk_full();
                Ok(true)
            }
            Err((from, i, why)) => {
                let mut b = lock(&self.batch);
                let mut rest = bytes[from..].to_vec();
                rest.extend_from_slice(&b.bytes);
                let mut rest_ends = ends[i..].to_vec();
                rest_ends.extend_from_slice(&b.record_ends);
                b.bytes = rest;
                b.record_ends = rest_ends;
                b.start_offset = start + from as u64;
                Err(why)
            }
        }
    }

    /// Writes a batch, rolling segments at record boundaries. On failure returns where the
    /// unwritten part starts (byte, record index) and why.
    fn write_batch(
        &self,
        files: &mut Files,
        bytes: &[u8],
        ends: &[u64],
        start: u64,
        may_roll: bool,
    ) -> Result<(), (usize, usize, Unwritten)> {
        assert_eq!(start, files.active.end_offset(), "batch does not continue the log");
        let mut from = 0usize;
        let mut i = 0;
        while from < bytes.len() {
            if files.active.pos >= files.segment_size_bytes && files.active.pos > SEGMENT_HEADER_BYTES as u64 {
                self.roll(files, !may_roll).map_err(|why| (from, i, why))?;
                continue;
            }
            // Records up to the segment size (at least one: a record may overrun it).
            let room = files.segment_size_bytes.saturating_sub(files.active.pos);
            let mut to = from;
            let mut j = i;
            while j < ends.len() {
                let end = usize::try_from(ends[j] - start).expect("batch fits in memory");
                if to > from && (end - from) as u64 > room {
                    break;
                }
                to = end;
                j += 1;
            }
            assert!(to > from, "at least one record per write");
            if let Err(e) = write_all_at(files.active.file.as_ref(), files.active.pos, &bytes[from..to]) {
                return Err((from, i, self.classify(&e, "writing the log failed")));
            }
            files.active.pos += (to - from) as u64;
            (from, i) = (to, j);
            self.written_offset.store(files.active.end_offset(), Ordering::Release);
        }
        Ok(())
    }

    /// Starts the next segment at the log's end and seals the active one; its final sync
    /// follows on the thread (`Thread::sync`) without holding up writes. `inline` (the
    /// executor) rolls only into the spare, and only with no sealed segment pending: anything
    /// that needs an fsync is left to the thread (NeedsRoll).
    fn roll(&self, files: &mut Files, inline: bool) -> Result<(), Unwritten> {
        let started = std::time::Instant::now();
        if inline && (files.sealed.is_some() || files.spare.is_none()) {
            return Err(Unwritten::NeedsRoll);
        }
        // At most one sealed segment: an older one is synced first.
        if let Some((file, end)) = files.sealed.take() {
            if let Err(e) = self.sync_file(file.as_ref(), end) {
                files.sealed = Some((file, end));
                return Err(e);
            }
        }
        let base = files.active.end_offset();
        let (next, fresh) = match files.spare.take() {
            Some(spare) => match Active::from_spare(files, spare, base) {
                Ok(a) => (a, true),
                // The spare may be half-renamed or half-written: the thread makes a new one.
                Err(e) if inline => {
                    crate::log_warning!("rolling the log into the spare segment failed: {e}; the log thread rolls instead");
                    return Err(Unwritten::NeedsRoll);
                }
                Err(e) => return Err(self.classify(&e, "rolling the log into the spare segment failed")),
            },
            None => {
                let a = Active::create(files.fs.as_ref(), &files.dir, files.log_id, base, files.segment_size_bytes)
                    .map_err(|e| self.classify(&e, "creating a log segment failed"))?;
                (a, false)
            }
        };
        let old = std::mem::replace(&mut files.active, next);
        files.sealed = Some((old.file, base));
        files.fresh = fresh;
        self.sealed_pending.store(true, Ordering::Release);
        if inline {
            // The thread syncs the sealed segment and makes the next spare.
            self.wake.notify_one();
        }
        let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut st = lock(&self.stats);
        st.rolls += 1;
        st.roll_usec_max = st.roll_usec_max.max(usec);
        Ok(())
    }

    /// fdatasyncs `file`, which holds everything below `written`, and publishes the durable
    /// offset. Never retried.
    fn sync_file(&self, file: &dyn LogFile, written: u64) -> Result<(), Unwritten> {
        if written <= self.durable_offset.load(Ordering::Acquire) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let result = file.sync_data();
        let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        {
            let mut st = lock(&self.stats);
            st.fsyncs += 1;
            let bucket = FSYNC_BUCKETS_USEC.iter().position(|&b| usec <= b).unwrap_or(FSYNC_BUCKETS_USEC.len());
            st.fsync_usec_histogram[bucket] += 1;
        }
        if let Err(e) = result {
            // Never retried: the kernel may have dropped the pages it could not write.
            self.fail(format!("fsync of the log failed: {e}; writes are refused until a restart recovers from what is on disk"));
            return Err(Unwritten::Fatal);
        }
        assert!(written <= self.written_offset.load(Ordering::Acquire), "durable offset {written} past the written offset");
        self.durable_offset.fetch_max(written, Ordering::AcqRel);
        Ok(())
    }

    /// ENOSPC is reported and waited out; anything else stops the log for good.
    fn classify(&self, e: &std::io::Error, what: &str) -> Unwritten {
        if e.raw_os_error() == Some(libc::ENOSPC) {
            *lock(&self.failure) = Some(format!("the disk is full: {e}; writes are held until space returns"));
            return Unwritten::DiskFull;
        }
        self.fail(format!("{what}: {e}"));
        Unwritten::Fatal
    }

    fn clear_disk_full(&self) {
        let mut f = lock(&self.failure);
        if f.as_deref().is_some_and(|m| m.starts_with("the disk is full")) {
            *f = None;
        }
    }

    fn fail(&self, why: String) {
        crate::log_warning!("{why}");
        self.fatal.store(true, Ordering::Release);
        *lock(&self.failure) = Some(why);
    }

    fn fsync(&self) -> Fsync {
        Fsync::from_u8(self.fsync.load(Ordering::Relaxed))
    }
}

struct Thread {
    shared: Arc<Shared>,
    on_durable: Box<dyn Fn(u64) + Send>,
    last_sync: std::time::Instant,
}

impl Thread {
    fn run(&mut self) {
        // Slightly below the executor: when an fsync completes on a core the executor is
        // busy on, the log thread waits for the executor's turn to end instead of preempting
        // it mid-turn, so reads of durable data are not delayed by the write path. Measured
        // with both on one core (keel-bench --scenario mixed): GET p99 under a SET load went
        // from 2.3-2.4 ms to 1.4-1.55 ms, with SET throughput unchanged within the noise.
        crate::util::sys::set_thread_nice(LOG_THREAD_NICE);
        crate::util::sys::bind_bio_thread("the log writer (bio_cpulist)");
        self.make_spare();
        self.serve();
        if self.shared.fatal.load(Ordering::Acquire) {
            // Let the executor see the failure: its held replies will never be released.
            (self.on_durable)(self.shared.durable_offset.load(Ordering::Acquire));
        }
    }

    fn serve(&mut self) {
        let sh = self.shared.clone();
        loop {
            let stop = {
                let mut b = lock(&sh.batch);
                loop {
                    let policy = sh.fsync();
                    let has_bytes = !b.bytes.is_empty();
                    let wanted = b.sync_wanted > sh.durable_offset.load(Ordering::Acquire);
                    if b.stop
                        || (has_bytes && (policy == Fsync::Always || b.handed_off || wanted))
                        || (self.unsynced() && (self.sync_due() || wanted))
                        || self.sealed_pending()
                    {
                        break;
                    }
                    // Appends wake the thread under `always`; otherwise it wakes for the
                    // everysec fsync, or to write leftovers at least once a second.
                    let timeout = match policy {
                        Fsync::EverySec if self.unsynced() => {
                            Duration::from_secs(1).saturating_sub(self.last_sync.elapsed()).max(Duration::from_millis(1))
                        }
                        _ => Duration::from_millis(LEFTOVER_POLL_MS),
                    };
                    b.writer_parked = true;
                    let (g, timeout) = sh.wake.wait_timeout(b, timeout).unwrap_or_else(std::sync::PoisonError::into_inner);
                    b = g;
                    b.writer_parked = false;
                    if timeout.timed_out() && !b.bytes.is_empty() {
                        break; // leftovers nobody wrote inline (expiry's deletes, say)
                    }
                }
                b.stop
            };
            if sh.fatal.load(Ordering::Acquire) {
                return;
            }
            let wrote = {
                let mut files = lock(&sh.files);
                match sh.write_pending(&mut files, true) {
                    Ok(wrote) => wrote,
                    Err(Unwritten::DiskFull) => {
                        drop(files);
                        if stop {
                            // What was written before the disk filled may have been
                            // acknowledged (everysec): sync it before giving up.
                            let _ = self.sync();
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(DISK_FULL_RETRY_MS));
                        continue;
                    }
                    Err(_) => return,
                }
            };
            if wrote && sh.fsync() != Fsync::Always {
                self.release(sh.written_offset.load(Ordering::Acquire));
            }
            let wanted = lock(&sh.batch).sync_wanted > sh.durable_offset.load(Ordering::Acquire);
            if (self.sync_due() || stop || wanted || self.sealed_pending()) && self.sync().is_err() {
                return;
            }
            if stop {
                return;
            }
            self.make_spare();
        }
    }

    fn unsynced(&self) -> bool {
        self.shared.durable_offset.load(Ordering::Acquire) < self.shared.written_offset.load(Ordering::Acquire)
    }

    fn sync_due(&self) -> bool {
        match self.shared.fsync() {
            Fsync::Always => true,
            Fsync::EverySec => self.last_sync.elapsed() >= Duration::from_secs(1),
            Fsync::No => false,
        }
    }

    /// Syncs what has been written, without holding the files lock during the fsync (an
    /// inline write may go on meanwhile; it lands past `written`): a sealed segment first,
    /// then the active one, so the durable offset only ever covers a synced prefix.
    fn sync(&mut self) -> Result<(), ()> {
        let (sealed, file, fresh, written) = {
            let files = lock(&self.shared.files);
            let fresh = files.fresh.then(|| (files.fs.clone(), files.dir.clone()));
            (files.sealed.clone(), files.active.file.clone(), fresh, self.shared.written_offset.load(Ordering::Acquire))
        };
        if let Some((sealed, end)) = sealed {
            self.shared.sync_file(sealed.as_ref(), end).map_err(|_| ())?;
            // Only this thread rolls into a segment that needs a sync first (an inline roll
            // waits for `sealed` to clear), so the sealed segment is still the one just synced.
            lock(&self.shared.files).sealed = None;
            self.shared.sealed_pending.store(false, Ordering::Release);
            if written <= end {
                self.notify_durable(end);
                return Ok(());
            }
        }
        if written <= self.shared.durable_offset.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some((fs, dir)) = &fresh {
            // A segment made from the spare: its name becomes durable here, its header with
            // the fdatasync below, both before any offset in it is published (a crash in
            // between is case E: a named segment whose header did not reach the disk).
            if let Err(e) = fs.sync_dir(dir) {
                self.shared.fail(format!(
                    "syncing a new log segment failed: {e}; writes are refused until a restart recovers from what is on disk"
                ));
                return Err(());
            }
        }
        self.shared.sync_file(file.as_ref(), written).map_err(|_| ())?;
        if fresh.is_some() {
            let mut files = lock(&self.shared.files);
            if Arc::ptr_eq(&files.active.file, &file) {
                files.fresh = false;
            }
        }
        self.last_sync = std::time::Instant::now();
        self.notify_durable(written);
        Ok(())
    }

    /// Makes the spare segment if there is none (outside the files lock: it syncs).
    fn make_spare(&mut self) {
        let (fs, dir, size, missing) = {
            let files = lock(&self.shared.files);
            (files.fs.clone(), files.dir.clone(), files.segment_size_bytes, files.spare.is_none())
        };
        if !missing || self.shared.fatal.load(Ordering::Acquire) {
            return;
        }
        // Creating the spare syncs the directory, which makes every name in it durable. A
        // segment sealed since this thread last synced (an inline roll took the spare) must be
        // synced first: else a crash could leave it named but without its header, with the
        // next segment's name durable after it, which recovery must refuse (case F) though no
        // offset in it was ever durable. No roll can race this: an inline roll needs a spare.
        if self.sealed_pending() && self.sync().is_err() {
            return;
        }
        match Active::create_spare(fs.as_ref(), &dir, size) {
            Ok(f) => lock(&self.shared.files).spare = Some(f),
            // Rolls then create the segment themselves, on this thread.
            Err(e) => crate::log_warning!("preparing the next log segment failed: {e}"),
        }
    }

    fn notify_durable(&self, offset: u64) {
        if self.shared.fsync() == Fsync::Always {
            self.release(offset);
        } else {
            (self.on_durable)(offset);
        }
    }

    /// A sealed segment waits for its final sync: due now, whatever the policy.
    fn sealed_pending(&self) -> bool {
        self.shared.sealed_pending.load(Ordering::Acquire)
    }

    fn release(&self, offset: u64) {
        self.shared.released_offset.fetch_max(offset, Ordering::AcqRel);
        (self.on_durable)(offset);
    }
}

#[cfg(test)]
#[path = "log_writer_tests.rs"]
mod tests;
