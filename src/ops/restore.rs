//! Point-in-time restore: a new data directory holding the state as of a log offset or a
//! time, built from what the source directory retains (snapshots and the segments after the
//! oldest of them; the server's `log-retention-*` settings keep more of them).
//!
//! The output is the source's own files cut short: the newest valid snapshot at or before the
//! cut, and the segments from it to the cut, the last one truncated exactly there. A server
//! started on it replays them with its ordinary recovery, so the restored state is what the
//! server itself computes from those records, not a second implementation of replay. The
//! source is only read (a live server's directory is fine); the output is checked by a dry
//! recovery before the tool says it is done.
//!
//! The output keeps the source's log id: it is the same history up to the cut, and a branch
//! of it after (docs/operations.md, "Restore").

use std::path::{Path, PathBuf};

use super::Verdict;
use crate::storage::io::{copy_range, Fs};
use crate::storage::recovery::{self, Options};
use crate::storage::segment::{self, SEGMENT_HEADER_BYTES};
use crate::storage::{compactor, snapshot};
use crate::util::log::format_rfc3339;

/// Exit code for a target the retained history cannot reach, or an output that exists: a
/// bad argument value, like clap's usage errors.
pub const EXIT_TARGET: i32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The state after every record that ends at or before this offset.
    Offset(u64),
    /// The state before the first record stamped later than this (Unix ms).
    Time(u64),
}

/// What a restore built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub out_log: PathBuf,
    /// The log offset of the restored state (a record boundary).
    pub offset: u64,
    /// The snapshot it starts from: file name and log offset.
    pub snapshot: Option<(String, u64)>,
    pub segments: usize,
    /// Records a server replays after the snapshot.
    pub records: u64,
    pub bytes_copied: u64,
    /// The last record kept: offset and time.
    pub last_kept: Option<(u64, u64)>,
    /// The first record left out: offset and time.
    pub first_left_out: Option<(u64, u64)>,
}

/// Failure: the exit code (`EXIT_TARGET`, or a verdict's) and why.
pub type Failure = (i32, String);

fn fail(v: Verdict, why: impl Into<String>) -> Failure {
    (v.exit_code(), why.into())
}

fn time(ms: u64) -> String {
    format_rfc3339(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Builds `out` (a new or empty directory) holding the state of `src` at `target`.
pub fn restore(fs: &dyn Fs, src: &Path, target: Target, out: &Path, payload_max_bytes: u64) -> Result<Restored, Failure> {
    let log_dir = super::log_dir(src);
    let bases = crate::storage::segment::list_bases(fs, &log_dir)
        .map_err(|e| fail(Verdict::Io, format!("cannot read directory {}: {e}", log_dir.display())))?;
    let Some(&first_base) = bases.first() else {
        let why = format!("{} holds no log segment: a point-in-time restore needs the log (appendonly yes)", log_dir.display());
        return Err((EXIT_TARGET, why));
    };
    // Snapshots by name; one is read and checked only when it is the one to start from.
    let snaps = compactor::list_snapshots(fs, &log_dir).unwrap_or_default();
    let older_than_retained = |what: String| {
        let oldest = snaps.iter().map(|s| s.0).find(|&o| o >= first_base);
        let reach = oldest.map_or_else(
            || format!("the log starts at offset {first_base} and no snapshot at or after it is kept"),
            |o| format!("the oldest restorable point is the snapshot at offset {o}"),
        );
        let why = format!(
            "{what} is older than what {} retains: {reach} (raise log-retention-hours or log-retention-bytes to keep more)",
            log_dir.display()
        );
        (EXIT_TARGET, why)
    };
    if let Target::Offset(n) = target {
        if n < first_base {
            return Err(older_than_retained(format!("offset {n}")));
        }
    }

    // Find the cut: scan from the oldest segment until the first record the target leaves out.
    let (mut kept_end, mut kept_records, mut last_kept, mut left_out) = (first_base, 0u64, None, None);
    // Per snapshot: whether a record starts at its offset, and the records kept after it.
    let mut boundary = vec![false; snaps.len()];
    let mut since = vec![0u64; snaps.len()];
    let opts = Options { payload_max_bytes, load_truncated: true, from_offset: first_base, log_id: None, dry_run: true };
    let result = recovery::recover(fs, &log_dir, &opts, &mut |rec| {
        let keep = match target {
            Target::Offset(n) => rec.end_offset() <= n,
            Target::Time(t) => rec.timestamp_ms <= t,
        };
        for (s, b) in snaps.iter().zip(boundary.iter_mut()) {
            *b |= s.0 == rec.offset;
        }
        if !keep {
            left_out = Some((rec.offset, rec.timestamp_ms));
            // Stops the scan: nothing after the cut matters.
            return Err(String::new());
        }
        for (s, n) in snaps.iter().zip(since.iter_mut()) {
            *n += u64::from(rec.offset >= s.0);
        }
        kept_end = rec.end_offset();
        kept_records += 1;
        last_kept = Some((rec.offset, rec.timestamp_ms));
        Ok(())
    });
    let cut = kept_end;
    match (&result, left_out) {
        (_, Some(_)) => {}
        (Ok(r), None) => match target {
            Target::Offset(n) if n > r.end_offset => {
                return Err((EXIT_TARGET, format!("offset {n} is past the end of the log (offset {})", r.end_offset)));
            }
            _ => {}
        },
        (Err(e), None) if e.case == 'X' => return Err(fail(Verdict::Io, e.to_string())),
        // The log breaks off right at an offset target: every record before it is intact.
        (Err(_), None) if target == Target::Offset(cut) => {}
        (Err(e), None) => {
            let why = format!(
                "the log cannot be read past offset {cut} (case {}: {}), before the point asked for; restore to an offset at or before it (--to-offset {cut}), or repair the log first (`aof-repair {}`)",
                e.case,
                e.reason,
                src.display()
            );
            return Err(fail(Verdict::Corrupt, why));
        }
    }
    for (s, b) in snaps.iter().zip(boundary.iter_mut()) {
        *b |= s.0 == cut;
    }
    let log_id = header_of(fs, &log_dir, first_base)?.log_id;

    // The newest valid snapshot the cut is at or after, whose log the directory still holds.
    // When a time target keeps no retained record, the records before the log's retained
    // start may be later than the target too: only a snapshot taken by then shows they are not.
    let usable = |i: usize| -> bool {
        let (offset, _, name) = &snaps[i];
        if *offset > cut || *offset < first_base || !boundary[i] {
            return false;
        }
        let Ok(checked) = snapshot::open(fs, &log_dir.join(name)) else { return false };
        let h = checked.summary.header;
        let taken_by_then = match target {
            Target::Time(t) if last_kept.is_none() && first_base > 0 => h.created_ms <= t,
            _ => true,
        };
        h.log_offset == *offset && h.log_id == log_id && taken_by_then
    };
    let (snap, replayed) = match (0..snaps.len()).rev().find(|&i| usable(i)) {
        Some(i) => (Some((snaps[i].2.clone(), snaps[i].0)), since[i]),
        None if first_base == 0 => (None, kept_records),
        None => {
            return Err(older_than_retained(match (target, left_out) {
                (Target::Time(t), Some((o, _))) => format!("{} (offset {o})", time(t)),
                (Target::Time(t), None) => time(t),
                (Target::Offset(n), _) => format!("offset {n}"),
            }))
        }
    };

    let from = snap.as_ref().map_or(0, |s| s.1);
    // The segments from the snapshot's to the cut's; none when the cut is at the snapshot. A
    // cut at a segment's base ends the segment before it (that one may be half made).
    let segs = if cut == from {
        0..0
    } else {
        let lo = bases.iter().rposition(|&b| b <= from).unwrap_or(0);
        let hi = bases.iter().rposition(|&b| b < cut).unwrap_or(0);
        lo..hi + 1
    };
    let created = prepare_out(fs, out)?;
    let written = write_out(fs, &log_dir, out, snap.as_ref().map(|s| s.0.as_str()), &bases, segs.clone(), cut).and_then(|bytes| {
        // A server must accept it: recover it dry, as the server would.
        let check = Options { payload_max_bytes, load_truncated: false, from_offset: from, log_id: Some(log_id), dry_run: true };
        match recovery::recover(fs, &out.join("log"), &check, &mut |_| Ok(())) {
            Ok(r) if r.end_offset != cut => {
                Err(fail(Verdict::Corrupt, format!("the restored log ends at offset {}, not {cut}", r.end_offset)))
            }
            Ok(r) if !r.repairs.is_empty() => {
                Err(fail(Verdict::Corrupt, format!("the restored log would need a repair at start-up: {:?}", r.repairs[0])))
            }
            Ok(_) => Ok(bytes),
            Err(e) => Err(fail(Verdict::Corrupt, format!("the restored directory does not verify: {e}"))),
        }
    });
    let bytes_copied = match written {
        Ok(b) => b,
        Err((code, why)) => {
            // Leave nothing a server could be started on by mistake.
            let _ = std::fs::remove_dir_all(out.join("log"));
            if created {
                let _ = std::fs::remove_dir(out);
            }
            return Err((code, format!("{why} (the partial output was removed)")));
        }
    };
    Ok(Restored {
        out_log: out.join("log"),
        offset: cut,
        snapshot: snap,
        segments: segs.len(),
        records: replayed,
        bytes_copied,
        last_kept,
        first_left_out: left_out,
    })
}

/// Copies the snapshot `snap` and the segments `segs` (indexes into `bases`) to `out/log`,
/// the last one up to the cut, and syncs them; returns the bytes copied.
fn write_out(
    fs: &dyn Fs,
    log_dir: &Path,
    out: &Path,
    snap: Option<&str>,
    bases: &[u64],
    segs: std::ops::Range<usize>,
    cut: u64,
) -> Result<u64, Failure> {
    let out_log = out.join("log");
    let io = |what: &str, p: &Path, e: std::io::Error| fail(Verdict::Io, format!("{what} {}: {e}", p.display()));
    let mut bytes = 0;
    if let Some(name) = snap {
        let len = fs.open(&log_dir.join(name), false).and_then(|f| f.len_bytes()).map_err(|e| io("cannot read", &log_dir.join(name), e))?;
        bytes += copy_prefix(fs, &log_dir.join(name), &out_log.join(name), len)?;
    }
    let last = segs.end.saturating_sub(1);
    for i in segs {
        let end = if i == last { cut } else { bases[i + 1] };
        let name = segment::file_name(bases[i]);
        bytes += copy_prefix(fs, &log_dir.join(&name), &out_log.join(&name), SEGMENT_HEADER_BYTES as u64 + end - bases[i])?;
    }
    fs.sync_dir(&out_log).and_then(|()| fs.sync_dir(out)).map_err(|e| io("cannot sync", out, e))?;
    Ok(bytes)
}

fn header_of(fs: &dyn Fs, log_dir: &Path, base: u64) -> Result<segment::SegmentHeader, Failure> {
    let path = log_dir.join(segment::file_name(base));
    let mut h = [0u8; SEGMENT_HEADER_BYTES];
    let f = fs.open(&path, false).map_err(|e| fail(Verdict::Io, format!("cannot open {}: {e}", path.display())))?;
    crate::storage::io::read_exact_at(f.as_ref(), 0, &mut h)
        .map_err(|e| fail(Verdict::Io, format!("cannot read {}: {e}", path.display())))?;
    segment::SegmentHeader::decode(&h).map_err(|e| fail(Verdict::Corrupt, format!("{}: {e}", path.display())))
}

/// Creates `out/log`; `out` may exist only as an empty directory (a restore never mixes
/// with other files). Returns whether `out` itself was created.
fn prepare_out(fs: &dyn Fs, out: &Path) -> Result<bool, Failure> {
    let created = match fs.list(out) {
        Ok(names) if !names.is_empty() => {
            return Err((EXIT_TARGET, format!("{} already exists and is not empty: restore into a new directory", out.display())));
        }
        Ok(_) => false,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            return Err((EXIT_TARGET, format!("{} exists and is not a directory: restore into a new directory", out.display())));
        }
        Err(e) => return Err(fail(Verdict::Io, format!("cannot use {} as the output: {e}", out.display()))),
    };
    let out_log = out.join("log");
    fs.create_dir_all(&out_log).map_err(|e| fail(Verdict::Io, format!("cannot create {}: {e}", out_log.display())))?;
    Ok(created)
}

/// Copies the first `len` bytes of `from` to a new file `to`, synced; returns `len`.
fn copy_prefix(fs: &dyn Fs, from: &Path, to: &Path, len: u64) -> Result<u64, Failure> {
    copy_range(fs, from, 0..len, to)
        .map_err(|e| fail(Verdict::Io, format!("copying {} to {} failed: {e}", from.display(), to.display())))?;
    Ok(len)
}

/// The human-readable report (golden-tested).
pub fn restored_text(r: &Restored, target: Target) -> String {
    let mut s = String::new();
    let asked = match target {
        Target::Offset(n) if n == r.offset => format!("log offset {n}"),
        Target::Offset(n) => format!("log offset {n} (the last record boundary at or before it is {})", r.offset),
        Target::Time(t) => format!("time {}", time(t)),
    };
    s.push_str(&format!("target:          {asked}\n"));
    match r.snapshot.as_ref() {
        Some((name, o)) => s.push_str(&format!("from snapshot:   {name} (log offset {o})\n")),
        None => s.push_str("from snapshot:   none (the log from offset 0)\n"),
    }
    s.push_str(&format!("then replays:    {} records in {} segments, to log offset {}\n", r.records, r.segments, r.offset));
    let rec = |x: Option<(u64, u64)>| x.map_or_else(|| "-".to_string(), |(o, t)| format!("offset {o} at {}", time(t)));
    s.push_str(&format!("last kept:       {}\n", rec(r.last_kept)));
    s.push_str(&format!("first left out:  {}\n", rec(r.first_left_out)));
    s.push_str(&format!("copied:          {} bytes\n", r.bytes_copied));
    let data = r.out_log.parent().unwrap_or(&r.out_log);
    s.push_str(&format!(
        "restored: {} holds the state at log offset {}; read it with keel-server --dir {}\n",
        data.display(),
        r.offset,
        data.display()
    ));
    s
}
