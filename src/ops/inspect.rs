//! `aof-inspect`'s reading of a directory: the verdict of `verify`, and the per-segment view
//! of `segments`. Read-only: recovery runs with `dry_run`, files are opened read-only, and a
//! live server's directory may be inspected while it writes (the last segment may then show
//! records that arrive during the read, or stop at a record still being written).

use std::path::{Path, PathBuf};

use super::Verdict;
use crate::storage::io::{view, Fs};
use crate::storage::log_reader::{scan, Stop};
use crate::storage::recovery::{self, Options, Recovered, RecoveryError, Repair};
use crate::storage::segment::{self, SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::storage::{compactor, snapshot};
use crate::util::log::format_rfc3339;

/// One snapshot file and what checking it found.
#[derive(Debug)]
pub struct SnapshotCheck {
    pub name: String,
    /// The log offset its name gives.
    pub offset: u64,
    pub result: Result<snapshot::Summary, String>,
}

#[derive(Debug)]
pub struct Verification {
    pub verdict: Verdict,
    pub log_dir: PathBuf,
    /// Oldest first.
    pub snapshots: Vec<SnapshotCheck>,
    /// What recovery found (None when it refused, or the directory could not be listed).
    pub recovered: Option<Recovered>,
    /// Why recovery refused, if it did.
    pub refusal: Option<RecoveryError>,
    /// Why recovery refused, or what else is wrong (a damaged snapshot, a snapshot offset
    /// that is not a record boundary).
    pub problems: Vec<String>,
    /// The one line printed last.
    pub summary: String,
}

/// Checks everything in the directory: each snapshot end to end, then every segment and
/// record from the oldest segment on (CRCs, offsets, continuity), and that the newest usable
/// snapshot's offset is a record boundary of the log.
pub fn verify(fs: &dyn Fs, dir: &Path, payload_max_bytes: u64) -> Verification {
    let log_dir = super::log_dir(dir);
    let mut v = Verification {
        verdict: Verdict::Clean,
        log_dir: log_dir.clone(),
        snapshots: Vec::new(),
        recovered: None,
        refusal: None,
        problems: Vec::new(),
        summary: String::new(),
    };
    let names = match fs.list(&log_dir) {
        Ok(n) => n,
        Err(e) => {
            v.verdict = Verdict::Io;
            v.summary = format!("error: cannot read directory {}: {e}", log_dir.display());
            return v;
        }
    };
    let snaps = compactor::list_snapshots(fs, &log_dir).unwrap_or_default();
    for (offset, _, name) in snaps {
        let result = snapshot::open(fs, &log_dir.join(&name)).map(|c| c.summary).and_then(|s| {
            if s.header.log_offset == offset {
                Ok(s)
            } else {
                Err(format!("its name says log offset {offset}, its header {}", s.header.log_offset))
            }
        });
        if let Err(why) = &result {
            v.problems.push(format!("snapshot {name}: {why}"));
            v.verdict = v.verdict.max(Verdict::Corrupt);
        }
        v.snapshots.push(SnapshotCheck { name, offset, result });
    }
    let newest = v.snapshots.iter().rev().find_map(|s| s.result.as_ref().ok()).map(|s| s.header);
    let first_base = names.iter().filter_map(|n| segment::parse_file_name(n)).min();
    // From the oldest segment when a snapshot covers the gap before it, so every record is
    // checked; without a snapshot the log must start at 0 (recovery says so: case K).
    let from = match (newest, first_base) {
        (Some(h), Some(b)) => h.log_offset.min(b),
        (Some(h), None) => h.log_offset,
        (None, _) => 0,
    };
    let opts = Options { payload_max_bytes, load_truncated: true, from_offset: from, log_id: newest.map(|h| h.log_id), dry_run: true };
    let snap_offset = newest.map(|h| h.log_offset);
    let mut boundary = snap_offset.is_none_or(|o| o == from);
    let result = recovery::recover(fs, &log_dir, &opts, &mut |rec| {
        boundary |= snap_offset == Some(rec.offset);
        Ok(())
    });
    match result {
        Ok(r) => {
            if let Some(o) = snap_offset.filter(|&o| !boundary && o != r.end_offset) {
                v.problems.push(format!("the newest usable snapshot's offset {o} is not a record boundary of the log"));
                v.verdict = v.verdict.max(Verdict::Corrupt);
            }
            if !r.repairs.is_empty() {
                v.verdict = v.verdict.max(Verdict::Tail);
            }
            v.recovered = Some(r);
        }
        Err(e) => {
            v.verdict = v.verdict.max(if e.case == 'X' { Verdict::Io } else { Verdict::Corrupt });
            v.problems.insert(0, refusal_text(&e));
            v.refusal = Some(e);
        }
    }
    v.summary = summary(&v);
    v
}

fn refusal_text(e: &RecoveryError) -> String {
    let mut s = format!("case {}: {}", e.case, e.reason);
    s.push_str(&format!(" ({}", e.file.display()));
    if let Some(o) = e.offset {
        s.push_str(&format!(", log offset {o}"));
    }
    s.push(')');
    s
}

fn summary(v: &Verification) -> String {
    let snaps = v.snapshots.iter().filter(|s| s.result.is_ok()).count();
    let dir = v.log_dir.display();
    match (&v.recovered, v.verdict) {
        (Some(r), Verdict::Clean) => format!(
            "clean: {} segments, {} records, log offsets up to {}, {snaps} snapshots ({dir})",
            r.segments.len(),
            r.records,
            r.end_offset
        ),
        (Some(r), Verdict::Tail) => {
            let at = r.repairs.first().map_or_else(String::new, |rep| match rep {
                Repair::Truncate { offset, .. } => format!(" from log offset {offset}"),
                Repair::Remove { path, .. } => format!(" in {}", path.display()),
            });
            format!(
                "repairable: an unsynced tail of {} bytes{at} would be truncated; no record proves it durable (`aof-repair --apply {}`)",
                r.truncated_bytes,
                v.log_dir.display()
            )
        }
        _ => format!("{}: {} ({dir})", v.verdict.word(), v.problems.first().map_or("", String::as_str)),
    }
}

/// One segment file as `segments` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    pub name: String,
    pub base_offset: u64,
    /// Log offset after its last valid record.
    pub end_offset: u64,
    pub records: u64,
    /// Bytes of the file (preallocated space included).
    pub file_bytes: u64,
    pub first_ms: Option<u64>,
    pub last_ms: Option<u64>,
    /// "ok", or what stops its records early.
    pub status: String,
}

/// Every segment file of the directory, in log order, each read on its own (the verdict on
/// the whole log, which needs the segments together, is `verify`'s).
pub fn segments(fs: &dyn Fs, dir: &Path, payload_max_bytes: u64) -> std::io::Result<Vec<SegmentInfo>> {
    let log_dir = super::log_dir(dir);
    let bases = crate::storage::segment::list_bases(fs, &log_dir)?;
    let mut out = Vec::new();
    let (mut buf, mut map) = (Vec::new(), None);
    for (i, &base) in bases.iter().enumerate() {
        let name = segment::file_name(base);
        let file = fs.open(&log_dir.join(&name), false)?;
        // Sealed segments are mapped; the last, which a live server may be writing, is read.
        let bytes = view(file.as_ref(), i + 1 < bases.len(), &mut map, &mut buf)?;
        let mut info = SegmentInfo {
            name,
            base_offset: base,
            end_offset: base,
            records: 0,
            file_bytes: bytes.len() as u64,
            first_ms: None,
            last_ms: None,
            status: "ok".into(),
        };
        match SegmentHeader::decode(bytes) {
            Err(why) => info.status = format!("bad header: {why}"),
            Ok(h) if h.base_offset != base => info.status = format!("bad header: base offset {} differs from the file name", h.base_offset),
            Ok(h) => {
                let stop = scan::<()>(bytes, h.log_id, base, payload_max_bytes, |_, rec| {
                    info.records += 1;
                    info.first_ms.get_or_insert(rec.timestamp_ms);
                    info.last_ms = Some(rec.timestamp_ms);
                    info.end_offset = rec.end_offset();
                    Ok(())
                })
                .unwrap_or(Stop::Clean { pos: SEGMENT_HEADER_BYTES as u64 });
                if let Stop::Bad { offset, reason, later, .. } = stop {
                    info.status = match later {
                        Some(l) => format!("bad record at offset {offset} ({reason}); a valid one follows at {}", l.offset),
                        None => format!("bad record at offset {offset} ({reason}); nothing valid after it"),
                    };
                }
            }
        }
        out.push(info);
    }
    Ok(out)
}

/// The `segments` table, as printed (golden-tested: a change here is deliberate).
pub fn segments_table(list: &[SegmentInfo]) -> String {
    let time = |t: Option<u64>| t.map_or_else(|| "-".to_string(), |ms| format_rfc3339(i64::try_from(ms).unwrap_or(i64::MAX)));
    let mut s = format!(
        "{:<24} {:>20} {:>20} {:>10} {:>12}  {:<24}  {:<24}  status\n",
        "segment", "base offset", "end offset", "records", "file bytes", "first record", "last record"
    );
    for i in list {
        s.push_str(&format!(
            "{:<24} {:>20} {:>20} {:>10} {:>12}  {:<24}  {:<24}  {}\n",
            i.name,
            i.base_offset,
            i.end_offset,
            i.records,
            i.file_bytes,
            time(i.first_ms),
            time(i.last_ms),
            i.status
        ));
    }
    s
}

/// What `aof-inspect snapshot` reports of one snapshot file, read and checked end to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotReport {
    pub summary: snapshot::Summary,
    /// Keys per type name (TYPE's names), in name order, and how many have an expiry.
    pub types: Vec<(&'static str, u64)>,
    pub volatile: u64,
}

/// Opens, checks (header, trailer, whole-file CRC, every block's CRC) and decodes every key
/// of the snapshot at `path`.
pub fn snapshot_report(fs: &dyn Fs, path: &Path) -> Result<SnapshotReport, String> {
    let checked = snapshot::open(fs, path)?;
    let mut types = std::collections::BTreeMap::new();
    let mut volatile = 0;
    checked.for_each_key(&mut |k| {
        let name = match k.value {
            crate::storage::codec::ValueRef::Str(_) => "string",
            crate::storage::codec::ValueRef::Owned(ref v) => v.type_name(),
        };
        *types.entry(name).or_insert(0u64) += 1;
        volatile += u64::from(k.expire_at_ms.is_some());
        Ok(())
    })?;
    Ok(SnapshotReport { summary: checked.summary, types: types.into_iter().collect(), volatile })
}

/// The `snapshot` report (golden-tested).
pub fn snapshot_text(name: &str, r: &SnapshotReport) -> String {
    let h = &r.summary.header;
    let run_id: String = h.run_id.iter().map(|b| format!("{b:02x}")).collect();
    let mut s = format!(
        "snapshot {name}: ok\n  log offset {}, log id {:016x}, created {}, run id {run_id}\n  {} keys ({} with an expiry) in {} blocks, {} bytes raw, {} bytes on disk\n",
        h.log_offset,
        h.log_id,
        format_rfc3339(i64::try_from(h.created_ms).unwrap_or(i64::MAX)),
        r.summary.keys,
        r.volatile,
        r.summary.blocks,
        r.summary.raw_bytes,
        r.summary.file_bytes
    );
    for d in &r.summary.dbs {
        s.push_str(&format!("  db{}: {} keys, {} with an expiry\n", d.db, d.keys, d.volatile));
    }
    for (t, n) in &r.types {
        s.push_str(&format!("  {t}: {n}\n"));
    }
    s
}
