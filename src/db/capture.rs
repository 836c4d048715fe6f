//! Capturing a snapshot without fork and without stopping: the image of every database at
//! the log offset where the capture began, serialized a slice at a time while commands keep
//! running.
//!
//! Every entry carries a one-byte *snapshot epoch*. Starting a capture bumps the current
//! epoch, which makes every existing entry "not yet written". Two things then write entries
//! and mark them with the current epoch:
//! - the walk (`step`), a shard at a time, in slices of bounded time between commands;
//! - the write hooks in `Db`: before a command changes, replaces or deletes an entry that is
//!   not yet written, the entry is written first, as it was at the start (copy-on-write at
//!   key granularity, as Dragonfly does). Entries created during the capture get the current
//!   epoch at birth: they were not in the image.
//!
//! So every key present at the start is written exactly once, with its value at the start,
//! and nothing else is. FLUSHDB hands the whole old keyspace to the capture (`detach`);
//! SWAPDB swaps which image database each live database holds (`on_swap`). The walk always
//! runs to the end, even when the snapshot is abandoned (blocks are then dropped): the next
//! capture relies on every entry carrying the current epoch when it starts.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::keyspace::Keyspace;
use super::value::Entry;
use super::Db;
use crate::limits::KEYSPACE_SHARDS;
use crate::storage::snapshot::{put_key, DbCount, BLOCK_RAW_BYTES};

/// Full raw blocks the walk may leave for the compactor before it pauses (the write hooks
/// never pause: a command must not wait for the disk).
pub const READY_BLOCKS_MAX: usize = 8;

/// Entries the walk handles between two looks at the clock.
const ENTRIES_PER_CLOCK_CHECK: usize = 128;

/// Entries a slice writes at least, whatever the clock says: progress is certain even when
/// a slice cannot resume where the last one stopped.
const ENTRIES_PER_SLICE_MIN: usize = 64;

/// Where a slice stopped inside a shard: resuming there is valid while the shard's layout
/// is unchanged (no key added or removed there meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resume {
    /// Live database, or `usize::MAX - i` for detached keyspace `i`.
    source: usize,
    shard: usize,
    layout: u64,
    visited: usize,
}

#[derive(Debug, Clone, Copy)]
struct LiveDb {
    /// The image database this live database holds (SWAPDB moves contents).
    image: usize,
    /// Shards below this are completely written.
    next_shard: usize,
}

/// Where written entries go: raw blocks and the image's counts.
pub struct Sink {
    block: Vec<u8>,
    block_keys: u32,
    /// Full raw blocks and their key counts, oldest first.
    pub ready: VecDeque<(Vec<u8>, u32)>,
    counts: Vec<DbCount>,
    pub keys: u64,
    /// The snapshot was abandoned: keep counting and marking, stop producing blocks.
    pub discard: bool,
    /// Empty block buffers handed back by the compactor.
    pub pool: Vec<Vec<u8>>,
}

impl Sink {
    fn write(&mut self, image: usize, e: &Entry) {
        self.keys += 1;
        let c = &mut self.counts[image];
        c.keys += 1;
        c.volatile += u64::from(e.expire_at_ms().is_some());
        if self.discard {
            return;
        }
        put_key(&mut self.block, image, e.key(), e.expire_at_ms(), &e.value);
        self.block_keys += 1;
        if self.block.len() >= BLOCK_RAW_BYTES {
            self.seal_block();
        }
    }

    fn seal_block(&mut self) {
        if self.block_keys == 0 {
            return;
        }
        // A recycled buffer when there is one: fresh 1 MiB buffers cost page faults (and,
        // with transparent huge pages, sometimes a compaction) on the executor.
        let next = self.pool.pop().unwrap_or_else(|| Vec::with_capacity(BLOCK_RAW_BYTES + 4096));
        let full = std::mem::replace(&mut self.block, next);
        self.ready.push_back((full, self.block_keys));
        self.block_keys = 0;
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Capture(epoch {}, {} keys written)", self.epoch, self.sink.keys)
    }
}

pub struct Capture {
    epoch: u8,
    live: Vec<LiveDb>,
    /// Keyspaces emptied by FLUSHDB/FLUSHALL during the capture, still to be written:
    /// (image database, keyspace, next shard).
    detached: Vec<(usize, Keyspace, usize)>,
    /// Walked detached keyspaces, for the caller to free off the executor.
    pub spent: Vec<Keyspace>,
    pub sink: Sink,
    resume: Option<Resume>,
    /// The longest walk slice so far: executor CPU time, and wall time.
    pub step_cpu_max_us: u64,
    pub step_wall_max: Duration,
    /// Minor page faults during the slice of `step_cpu_max_us` (fresh buffers cost them).
    pub step_cpu_max_minflt: u64,
}

impl Capture {
    pub fn new(epoch: u8, databases: usize) -> Self {
        let sink = Sink {
            block: Vec::with_capacity(BLOCK_RAW_BYTES + 4096),
            block_keys: 0,
            ready: VecDeque::new(),
            counts: (0..databases).map(|i| DbCount { db: i as u32, keys: 0, volatile: 0 }).collect(),
            keys: 0,
            discard: false,
            pool: Vec::new(),
        };
        Capture {
            epoch,
            live: (0..databases).map(|i| LiveDb { image: i, next_shard: 0 }).collect(),
            detached: Vec::new(),
            spent: Vec::new(),
            sink,
            resume: None,
            step_cpu_max_us: 0,
            step_wall_max: Duration::ZERO,
            step_cpu_max_minflt: 0,
        }
    }

    /// Write hook: `e`, in live database `db`, is about to change or go. Writes it if the
    /// walk has not; the caller then marks it (or drops it).
    pub fn preserve(&mut self, db: usize, e: &Entry) {
        if e.snap_epoch == self.epoch {
            return;
        }
        let image = self.live[db].image;
        debug_assert!(image != usize::MAX, "an unwritten entry in a database flushed during the capture");
        if image != usize::MAX {
            self.sink.write(image, e);
        }
    }

    /// SWAPDB: the live databases exchange contents, and with them their image and progress.
    pub fn on_swap(&mut self, a: usize, b: usize) {
        self.live.swap(a, b);
    }

    /// FLUSHDB of live database `db`: its old keyspace still holds keys of the image. Returns
    /// it back if nothing in it is left to write.
    pub fn detach(&mut self, db: usize, ks: Keyspace) -> Option<Keyspace> {
        let live = &mut self.live[db];
        let (image, from) = (live.image, live.next_shard);
        // The live database's new contents were not in the image at all.
        live.next_shard = KEYSPACE_SHARDS;
        live.image = usize::MAX;
        if image == usize::MAX || from >= KEYSPACE_SHARDS || ks.is_empty() {
            return Some(ks);
        }
        self.detached.push((image, ks, from));
        None
    }

    /// One slice of the walk: writes unwritten entries until `budget` is spent or the ready
    /// queue is full. Returns true when everything has been written.
    pub fn step(&mut self, dbs: &mut [Db], budget: Duration) -> bool {
        let start = Instant::now();
        let cpu = crate::util::sys::thread_cpu_us();
        let faults = crate::util::sys::thread_minor_faults();
        let done = self.walk(dbs, start + budget);
        // CPU time is the slice's own cost; wall time also holds any preemption by other
        // threads or the kernel, which delays commands just as much when no walk runs.
        let used = crate::util::sys::thread_cpu_us().saturating_sub(cpu);
        if used > self.step_cpu_max_us {
            self.step_cpu_max_us = used;
            self.step_cpu_max_minflt = crate::util::sys::thread_minor_faults().saturating_sub(faults);
        }
        self.step_wall_max = self.step_wall_max.max(start.elapsed());
        done
    }

    fn walk(&mut self, dbs: &mut [Db], deadline: Instant) -> bool {
        let epoch = self.epoch;
        let mut w = Walk { work: 0, written: 0, deadline, epoch };
        loop {
            let source = usize::MAX - self.detached.len();
            let Some((image, ks, next)) = self.detached.last_mut() else { break };
            while *next < KEYSPACE_SHARDS {
                if !walk_shard(&mut self.sink, ks, source, *next, *image, &mut w, &mut self.resume) {
                    return false;
                }
                *next += 1;
                if self.sink.ready.len() >= READY_BLOCKS_MAX {
                    return false;
                }
            }
            let (_, ks, _) = self.detached.pop().expect("just walked");
            self.spent.push(ks);
        }
        for (db, live) in self.live.iter_mut().enumerate() {
            if live.image == usize::MAX || dbs[db].ks.shard_count() == 0 {
                // Flushed during the capture, or never used: nothing of the image here.
                live.next_shard = KEYSPACE_SHARDS;
                continue;
            }
            while live.next_shard < KEYSPACE_SHARDS {
                if !walk_shard(&mut self.sink, &mut dbs[db].ks, db, live.next_shard, live.image, &mut w, &mut self.resume) {
                    return false;
                }
                live.next_shard += 1;
                if self.sink.ready.len() >= READY_BLOCKS_MAX {
                    return false;
                }
            }
        }
        self.sink.seal_block();
        true
    }

    /// Ends the capture: the last partial block goes to `ready`; returns per-database counts
    /// of the image (empty databases left out).
    pub fn finish(&mut self) -> Vec<DbCount> {
        debug_assert!(self.detached.is_empty() && self.live.iter().all(|l| l.next_shard >= KEYSPACE_SHARDS));
        self.sink.seal_block();
        self.sink.counts.iter().copied().filter(|c| c.keys > 0).collect()
    }
}

/// The state of one slice of the walk.
struct Walk {
    /// Entries looked at since the clock was last read.
    work: usize,
    /// Entries written in this slice.
    written: usize,
    deadline: Instant,
    epoch: u8,
}

/// Writes the unwritten entries of one shard as image database `image`, marking them; false
/// if the deadline came first. The next slice resumes at the same position if the shard's
/// layout did not change; otherwise it walks the shard again from its start, skipping marked
/// entries (a comparison each, but a read of each entry: a cache miss).
fn walk_shard(
    sink: &mut Sink,
    ks: &mut Keyspace,
    source: usize,
    shard: usize,
    image: usize,
    w: &mut Walk,
    resume: &mut Option<Resume>,
) -> bool {
    let layout = ks.shard_layout(shard);
    let skip = match resume.take() {
        Some(r) if r.source == source && r.shard == shard && r.layout == layout => r.visited,
        _ => 0,
    };
    w.work += 1;
    for (at, e) in (skip..).zip(ks.shard_iter_mut(shard).skip(skip)) {
        w.work += 1;
        if w.work >= ENTRIES_PER_CLOCK_CHECK {
            w.work = 0;
            if w.written >= ENTRIES_PER_SLICE_MIN && Instant::now() >= w.deadline {
                // Entry `at` is not handled yet: the next slice starts with it.
                *resume = Some(Resume { source, shard, layout, visited: at });
                return false;
            }
        }
        if e.snap_epoch == w.epoch {
            continue;
        }
        sink.write(image, e);
        e.snap_epoch = w.epoch;
        w.written += 1;
    }
    true
}
