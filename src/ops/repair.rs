//! `aof-repair`: what a repair would remove (the plan, the default), and removing it
//! (`--apply`), always after writing a backup of every byte it removes.
//!
//! An unsynced tail (verdict 1) is cut exactly as a server start would cut it: by running
//! recovery for real. Damage to durable data (cases C and D) is repaired only the way the
//! operator names: `--truncate-at-corruption` ends the log just before the bad record (the
//! plan shows first what that loses — records, offsets, time span, keys), and
//! `--skip-corrupt-record` overwrites the damaged bytes up to the next valid record with one
//! SKIP record of the same length, so every later record and offset stays.
//! Anything else (a missing or foreign segment, a newer format, a damaged snapshot) is not
//! something cutting can fix; the plan says so and nothing is changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::inspect::{self, Verification};
use super::records::{effect_keys, scan_from};
use super::Verdict;
use crate::protocol::Args;
use crate::storage::io::{copy_range, read_into, write_all_at, Fs};
use crate::storage::log_reader::{scan, Stop};
use crate::storage::record::{encode, next_effect, Record, KIND_SKIP, RECORD_HEADER_BYTES};
use crate::storage::recovery::{self, written_len, Options, Repair};
use crate::storage::segment::{self, offset_at, SegmentHeader, SEGMENT_HEADER_BYTES};

/// Keys a plan names (it counts them all).
const KEYS_SHOWN_MAX: usize = 20;

/// What cutting the log at an offset loses: the valid records at or after it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loss {
    pub records: u64,
    /// Written bytes removed (the bad record and everything after it).
    pub bytes: u64,
    pub first_offset: Option<u64>,
    pub last_offset: Option<u64>,
    pub first_ms: Option<u64>,
    pub last_ms: Option<u64>,
    /// The first `KEYS_SHOWN_MAX` distinct keys touched, in order, and how many there are.
    pub keys_shown: Vec<Vec<u8>>,
    pub keys_total: u64,
}

/// The damaged bytes `pos..end` of a segment (log offsets `offset..end_offset`), which one
/// SKIP record of the same length can replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skip {
    pub log_id: u64,
    pub pos: u64,
    pub end: u64,
    pub offset: u64,
    pub end_offset: u64,
    /// The last valid record's time before it (the SKIP record carries it).
    pub timestamp_ms: u64,
}

#[derive(Debug)]
pub enum Plan {
    /// Clean: nothing to do.
    Nothing,
    /// An unsynced tail: these cuts, as a server start would make them.
    Tail(Vec<Repair>),
    /// Damage to durable data at `offset` (byte `pos` of `path`): cutting there removes the
    /// rest of that segment and the segments in `later`, losing `loss` (unless
    /// `truncate_blocked` says why it cannot); `skip` is the damaged span a SKIP record can
    /// cover instead, if there is one.
    Corruption {
        path: PathBuf,
        pos: u64,
        offset: u64,
        reason: String,
        later: Vec<PathBuf>,
        loss: Box<Loss>,
        truncate_blocked: Option<String>,
        skip: Option<Box<Skip>>,
    },
    /// Not repairable by cutting; why.
    Unrepairable(String),
}

/// Reads the directory (without changing it) and decides what a repair would do.
pub fn plan(fs: &dyn Fs, dir: &Path, payload_max_bytes: u64) -> (Verification, Plan) {
    let v = inspect::verify(fs, dir, payload_max_bytes);
    let plan = match v.verdict {
        Verdict::Clean => Plan::Nothing,
        Verdict::Tail => Plan::Tail(v.recovered.as_ref().map(|r| r.repairs.clone()).unwrap_or_default()),
        Verdict::Io => Plan::Unrepairable(v.summary.clone()),
        Verdict::Corrupt => corruption_plan(fs, &v, payload_max_bytes),
    };
    (v, plan)
}

fn corruption_plan(fs: &dyn Fs, v: &Verification, payload_max_bytes: u64) -> Plan {
    let Some(err) = &v.refusal else { return Plan::Unrepairable(v.summary.clone()) };
    let Some(offset) = err.offset.filter(|_| matches!(err.case, 'C' | 'D')) else {
        return Plan::Unrepairable(format!("case {}: cutting the log cannot fix this ({})", err.case, err.reason));
    };
    let truncate_blocked = v.snapshots.iter().rev().find(|s| s.result.is_ok() && s.offset > offset).map(|s| {
        format!(
            "snapshot {} holds the state at log offset {}, past the damage at {offset}: cutting the log there would leave \
             the snapshot ahead of it",
            s.name, s.offset
        )
    });
    let base = segment::parse_file_name(&err.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let Some(base) = base.filter(|&b| b <= offset) else { return Plan::Unrepairable(v.summary.clone()) };
    let pos = offset - base + SEGMENT_HEADER_BYTES as u64;
    let bases = crate::storage::segment::list_bases(fs, &v.log_dir).unwrap_or_default();
    let later: Vec<PathBuf> = bases.iter().filter(|&&b| b > base).map(|&b| v.log_dir.join(segment::file_name(b))).collect();
    let next_base = later.first().and_then(|p| segment::parse_file_name(&p.file_name()?.to_string_lossy()));
    let found = loss_from(fs, &err.file, base, pos, &later, payload_max_bytes)
        .and_then(|loss| Ok((loss, skip_span(fs, &err.file, base, pos, next_base, payload_max_bytes)?)));
    match found {
        Ok((loss, skip)) => Plan::Corruption {
            path: err.file.clone(),
            pos,
            offset,
            reason: err.reason.clone(),
            later,
            loss: Box::new(loss),
            truncate_blocked,
            skip: skip.map(Box::new),
        },
        Err(e) => Plan::Unrepairable(format!("cannot read {}: {e}", err.file.display())),
    }
}

/// The damaged span starting at byte `pos`: up to the next valid record of the segment, or,
/// when none follows, up to where the next segment's base offset says the segment ended.
fn skip_span(
    fs: &dyn Fs,
    path: &Path,
    base: u64,
    pos: u64,
    next_base: Option<u64>,
    payload_max_bytes: u64,
) -> std::io::Result<Option<Skip>> {
    let mut bytes = Vec::new();
    let f = fs.open(path, false)?;
    read_into(f.as_ref(), &mut bytes)?;
    let Ok(h) = SegmentHeader::decode(&bytes) else { return Ok(None) };
    let mut timestamp_ms = 0;
    let stop = scan::<()>(&bytes, h.log_id, base, payload_max_bytes, |_, rec| {
        timestamp_ms = rec.timestamp_ms;
        Ok(())
    });
    let end = match stop {
        Ok(Stop::Bad { pos: p, later: Some(l), .. }) if p == pos => l.pos,
        Ok(Stop::Bad { pos: p, offset, later: None, .. }) if p == pos => match next_base {
            Some(nb) if nb > offset => pos + (nb - offset),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    // A record is at least a header long; the span must also fit the file and a payload.
    let header = RECORD_HEADER_BYTES as u64;
    let fits = end >= pos + header && end <= bytes.len() as u64 && end - pos - header <= payload_max_bytes;
    Ok(fits.then(|| Skip { log_id: h.log_id, pos, end, offset: offset_at(base, pos), end_offset: offset_at(base, end), timestamp_ms }))
}

/// Every valid record from byte `pos` of the segment at `path` on, then in the `later`
/// segments; a bad record is stepped over to the next valid one.
fn loss_from(fs: &dyn Fs, path: &Path, base: u64, pos: u64, later: &[PathBuf], payload_max_bytes: u64) -> std::io::Result<Loss> {
    let mut loss = Loss::default();
    let mut seen = BTreeSet::new();
    let mut bytes = Vec::new();
    let mut note = |rec: &Record<'_>| {
        loss.records += 1;
        loss.first_offset.get_or_insert(rec.offset);
        loss.last_offset = Some(rec.offset);
        loss.first_ms = Some(loss.first_ms.map_or(rec.timestamp_ms, |m| m.min(rec.timestamp_ms)));
        loss.last_ms = Some(loss.last_ms.map_or(rec.timestamp_ms, |m| m.max(rec.timestamp_ms)));
        for key in record_keys(rec) {
            if seen.insert(key.clone()) {
                loss.keys_total += 1;
                if loss.keys_shown.len() < KEYS_SHOWN_MAX {
                    loss.keys_shown.push(key);
                }
            }
        }
    };
    let f = fs.open(path, false)?;
    read_into(f.as_ref(), &mut bytes)?;
    let log_id = SegmentHeader::decode(&bytes).map(|h| h.log_id).unwrap_or_default();
    loss.bytes += written_len(&bytes).saturating_sub(pos);
    scan_from(&bytes, log_id, base, pos, payload_max_bytes, &mut note);
    for p in later {
        let f = fs.open(p, false)?;
        read_into(f.as_ref(), &mut bytes)?;
        loss.bytes += written_len(&bytes);
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let (Ok(h), Some(b)) = (SegmentHeader::decode(&bytes), segment::parse_file_name(&name)) {
            scan_from(&bytes, h.log_id, b, SEGMENT_HEADER_BYTES as u64, payload_max_bytes, &mut note);
        }
    }
    Ok(loss)
}

/// The keys a record's effects name.
fn record_keys(rec: &Record<'_>) -> Vec<Vec<u8>> {
    let (mut at, mut spans, mut keys) = (0, Vec::new(), Vec::new());
    while let Ok(Some(_db)) = next_effect(rec.payload, &mut at, &mut spans) {
        keys.extend(effect_keys(Args::new(rec.payload, &spans)));
    }
    keys
}

/// The plan as printed (golden-tested: a change here is deliberate).
pub fn plan_text(plan: &Plan) -> String {
    let time = |t: Option<u64>| t.map_or_else(|| "-".into(), |ms| crate::util::log::format_rfc3339(i64::try_from(ms).unwrap_or(i64::MAX)));
    match plan {
        Plan::Nothing => "nothing to repair: the log is clean\n".into(),
        Plan::Tail(repairs) => {
            let mut s = String::from("an unsynced tail (no record proves it durable; a server start would cut it too):\n");
            for r in repairs {
                s.push_str(&match r {
                    Repair::Truncate { path, pos, offset, bytes } => {
                        format!("  cut {} at byte {pos} (log offset {offset}), removing {bytes} bytes\n", path.display())
                    }
                    Repair::Remove { path, bytes } => format!("  remove {} ({bytes} bytes)\n", path.display()),
                });
            }
            s
        }
        Plan::Corruption { path, pos, offset, reason, later, loss, truncate_blocked, skip } => {
            let mut s = format!("damage to durable data at log offset {offset} ({reason}) in {}:\n", path.display());
            match skip {
                Some(k) => s.push_str(&format!(
                    "  --skip-corrupt-record would overwrite bytes {}..{} (log offsets {}..{}) with one skip record of the same \
                     length, losing what was there and keeping every record after it\n",
                    k.pos, k.end, k.offset, k.end_offset
                )),
                None => s.push_str("  --skip-corrupt-record is not possible: no record boundary is known after the damage\n"),
            }
            if let Some(why) = truncate_blocked {
                s.push_str(&format!("  --truncate-at-corruption is not possible: {why}\n"));
                return s;
            }
            s.push_str(&format!("  --truncate-at-corruption would cut it at byte {pos}"));
            if !later.is_empty() {
                s.push_str(&format!(" and remove {} later segments", later.len()));
            }
            s.push_str(&format!(
                ", losing {} bytes: {} valid records (offsets {}..{}), written {} .. {}, touching {} keys",
                loss.bytes,
                loss.records,
                loss.first_offset.map_or("-".into(), |o| o.to_string()),
                loss.last_offset.map_or("-".into(), |o| o.to_string()),
                time(loss.first_ms),
                time(loss.last_ms),
                loss.keys_total
            ));
            if !loss.keys_shown.is_empty() {
                let shown: Vec<String> = loss.keys_shown.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
                let more = if loss.keys_total > shown.len() as u64 { ", ..." } else { "" };
                s.push_str(&format!(": {}{more}", shown.join(", ")));
            }
            s.push('\n');
            s
        }
        Plan::Unrepairable(why) => format!("not repairable by cutting the log: {why}\n"),
    }
}

/// Applies `plan` to the directory verified as `v`: takes the directory's lock (a running
/// server holds it), writes every byte it will remove under `backup`, syncs the backup, then
/// cuts. Returns the backup files written.
/// How damage to durable data is to be repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// Only an unsynced tail may be cut.
    TailOnly,
    TruncateAtCorruption,
    SkipCorruptRecord,
}

pub fn apply(
    fs: &dyn Fs,
    v: &Verification,
    plan: &Plan,
    fix: Fix,
    backup: &Path,
    payload_max_bytes: u64,
) -> Result<Vec<PathBuf>, (Verdict, String)> {
    let _lock = fs
        .lock_dir(&v.log_dir)
        .map_err(|e| (Verdict::Io, format!("cannot lock {} ({e}): is a server running on it? Stop it first", v.log_dir.display())))?;
    let io = |e: String| (Verdict::Io, e);
    let refuse = |e: String| (Verdict::Corrupt, e);
    let mut saved = Vec::new();
    match plan {
        Plan::Nothing => {}
        Plan::Unrepairable(why) => return Err(refuse(why.clone())),
        Plan::Tail(repairs) => {
            for r in repairs {
                match r {
                    Repair::Truncate { path, pos, .. } => saved.push(back_up(fs, path, *pos, None, backup).map_err(io)?),
                    Repair::Remove { path, .. } => saved.push(back_up(fs, path, 0, None, backup).map_err(io)?),
                }
            }
            // The same recovery a start runs, for real this time: the same cuts.
            let from = v.recovered.as_ref().and_then(|r| r.segments.first()).map_or(0, |s| s.base_offset);
            let newest = v.snapshots.iter().rev().find_map(|s| s.result.as_ref().ok()).map(|s| s.header);
            let opts = Options {
                payload_max_bytes,
                load_truncated: true,
                from_offset: newest.map_or(0, |h| h.log_offset.min(from)),
                log_id: newest.map(|h| h.log_id),
                dry_run: false,
            };
            recovery::recover(fs, &v.log_dir, &opts, &mut |_| Ok(())).map_err(|e| io(e.to_string()))?;
        }
        Plan::Corruption { .. } if fix == Fix::TailOnly => {
            return Err(refuse("damage to durable data needs --truncate-at-corruption or --skip-corrupt-record".into()));
        }
        Plan::Corruption { path, skip, .. } if fix == Fix::SkipCorruptRecord => {
            let Some(k) = skip else { return Err(refuse("no record boundary is known after the damage: nothing to skip to".into())) };
            saved.push(back_up(fs, path, k.pos, Some(k.end), backup).map_err(io)?);
            let payload = vec![0u8; usize::try_from(k.end - k.pos).unwrap_or(0) - RECORD_HEADER_BYTES];
            let rec =
                Record { kind: KIND_SKIP, offset: k.offset, timestamp_ms: k.timestamp_ms, durable_offset: k.offset, payload: &payload };
            let mut buf = Vec::with_capacity(payload.len() + RECORD_HEADER_BYTES);
            encode(&mut buf, k.log_id, &rec);
            debug_assert_eq!(buf.len() as u64, k.end - k.pos);
            let failed = |e: std::io::Error| io(format!("cannot write the skip record into {}: {e}", path.display()));
            let f = fs.open(path, true).map_err(failed)?;
            write_all_at(f.as_ref(), k.pos, &buf).and_then(|()| f.sync_data()).map_err(failed)?;
        }
        Plan::Corruption { truncate_blocked: Some(why), .. } => return Err(refuse(why.clone())),
        Plan::Corruption { path, pos, later, .. } => {
            saved.push(back_up(fs, path, *pos, None, backup).map_err(io)?);
            for p in later {
                saved.push(back_up(fs, p, 0, None, backup).map_err(io)?);
            }
            let cut = |p: &Path, e: std::io::Error| io(format!("cannot cut {}: {e}", p.display()));
            let f = fs.open(path, true).map_err(|e| cut(path, e))?;
            f.set_len(*pos).and_then(|()| f.sync_data()).map_err(|e| cut(path, e))?;
            for p in later.iter().rev() {
                fs.remove(p).map_err(|e| cut(p, e))?;
            }
            fs.sync_dir(&v.log_dir).map_err(|e| cut(&v.log_dir, e))?;
        }
    }
    Ok(saved)
}

/// Copies the written bytes `from..to` (to the last written byte without `to`) of `path` to
/// `backup/<name>.from-<from>` and syncs it.
fn back_up(fs: &dyn Fs, path: &Path, from: u64, to: Option<u64>, backup: &Path) -> Result<PathBuf, String> {
    let err = |e: std::io::Error| format!("cannot back up {} to {}: {e}", path.display(), backup.display());
    fs.create_dir_all(backup).map_err(err)?;
    let end = match to {
        Some(to) => to,
        // Written bytes only: the zeros after them are preallocated space.
        None => {
            let mut bytes = Vec::new();
            read_into(fs.open(path, false).map_err(err)?.as_ref(), &mut bytes).map_err(err)?;
            written_len(&bytes)
        }
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let out = backup.join(format!("{name}.from-{from}"));
    copy_range(fs, path, from..end.max(from), &out).map_err(err)?;
    fs.sync_dir(backup).map_err(err)?;
    Ok(out)
}
