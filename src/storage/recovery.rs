//! Opening the log on start-up: check every segment and record in order, hand each valid
//! record to the caller's apply function, and decide what a damaged end means. The cases are
//! lettered as in docs/recovery.md; a refusal names the file, the offset and the repair tool.
//!
//! Invariant: nothing that may have been acknowledged is dropped. Only an end that no later
//! record proves durable is truncated: in the last segment, or in the one before it together
//! with the segments after (the writer seals a segment and syncs it while the next fills;
//! nothing past it is called durable before that sync).

use std::fmt;
use std::path::{Path, PathBuf};

use super::io::{read_into, view, Fs};
use super::log_reader::{scan, Stop};
use super::record::Record;
use super::segment::{self, offset_at, SegmentHeader, SEGMENT_HEADER_BYTES};

#[derive(Debug, Clone)]
pub struct Options {
    pub payload_max_bytes: u64,
    /// `aof-load-truncated`: truncate an unsynced tail (yes, the default) or refuse to start.
    pub load_truncated: bool,
    /// The offset of the snapshot recovery starts from (0: none). Segments wholly before it
    /// are not read, records before it are checked but not applied, and the log must reach
    /// it exactly.
    pub from_offset: u64,
    /// The snapshot's log id: every segment read must carry it.
    pub log_id: Option<u64>,
    /// Change nothing on disk: the repairs an unsynced tail needs are only listed in
    /// `Recovered::repairs` (aof-inspect, aof-repair's plan; the files may be a live server's).
    pub dry_run: bool,
}

/// A change recovery makes to the log (or, dry, would make): always the removal of an end
/// that no record proves durable (cases B and E).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// Cut the segment at byte `pos` (log offset `offset`), dropping `bytes` written bytes.
    Truncate { path: PathBuf, pos: u64, offset: u64, bytes: u64 },
    /// Remove the whole segment, which holds `bytes` written bytes.
    Remove { path: PathBuf, bytes: u64 },
}

/// A segment that recovery kept, and where its records end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentMeta {
    pub base_offset: u64,
    pub path: PathBuf,
    /// Byte position just past the last record.
    pub end_pos: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// None when the directory holds no segment yet.
    pub log_id: Option<u64>,
    pub segments: Vec<SegmentMeta>,
    /// The log offset after the last valid record.
    pub end_offset: u64,
    pub records: u64,
    /// Bytes of unsynced tail removed (case B), or of a half-created last segment (case E).
    pub truncated_bytes: u64,
    /// What was removed, in order (with `dry_run`: what would be).
    pub repairs: Vec<Repair>,
}

/// Why the log cannot be opened as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryError {
    pub case: char,
    pub file: PathBuf,
    pub offset: Option<u64>,
    pub reason: String,
}

impl fmt::Display for RecoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bad log file {}", self.file.display())?;
        if let Some(o) = self.offset {
            write!(f, " at log offset {o}")?;
        }
        write!(f, ": {} (case {} in docs/recovery.md).", self.reason, self.case)?;
        if self.case != 'I' {
            let dir = self.file.parent().map_or_else(String::new, |d| d.display().to_string());
            write!(f, " Make a backup of {dir}, then inspect it with `aof-inspect verify {dir}` and fix it with `aof-repair {dir}`.")?;
        }
        Ok(())
    }
}

impl std::error::Error for RecoveryError {}

fn refuse(case: char, file: &Path, offset: Option<u64>, reason: impl Into<String>) -> RecoveryError {
    RecoveryError { case, file: file.to_path_buf(), offset, reason: reason.into() }
}

/// Reads the log in `dir`, calling `apply` with every valid record in order, repairs an
/// unsynced tail, and returns where the log ends.
pub fn recover(
    fs: &dyn Fs,
    dir: &Path,
    opts: &Options,
    apply: &mut dyn FnMut(&Record<'_>) -> Result<(), String>,
) -> Result<Recovered, RecoveryError> {
    let io_err = |file: &Path, e: std::io::Error| refuse('X', file, None, format!("cannot read: {e}"));
    let bases = match segment::list_bases(fs, dir) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Recovered::default()),
        Err(e) => return Err(io_err(dir, e)),
    };
    // Segments that end at or before the snapshot's offset hold nothing to replay.
    let from = opts.from_offset;
    let skip = bases.windows(2).take_while(|w| w[1] <= from).count();
    let bases = &bases[skip..];
    if let Some(&first) = bases.first() {
        if first > from {
            let path = dir.join(segment::file_name(first));
            let what = if from == 0 { "the log's start".to_string() } else { format!("the snapshot at offset {from}") };
            return Err(refuse('K', &path, Some(first), format!("missing log between {what} and offset {first}")));
        }
    }
    let mut out = Recovered { log_id: opts.log_id, end_offset: from, ..Recovered::default() };
    // Whether a record boundary (or the log's end) falls exactly at `from`.
    let mut from_seen = from == 0 || bases.is_empty();
    // A dry run maps the sealed segments (it never truncates them, and nothing writes to
    // them); a real one, and the last segment, which a live server may be writing, are read.
    let (mut buf, mut map, mut other) = (Vec::new(), None, Vec::new());
    for (i, &base) in bases.iter().enumerate() {
        let last = i + 1 == bases.len();
        let path = dir.join(segment::file_name(base));
        let file = fs.open(&path, last && !opts.dry_run).map_err(|e| io_err(&path, e))?;
        let bytes = view(file.as_ref(), opts.dry_run && !last, &mut map, &mut buf).map_err(|e| io_err(&path, e))?;
        let header = match SegmentHeader::decode(bytes) {
            Ok(h) => h,
            // E: the last segment was being made when the process died: its header and name
            // are synced before any offset in it is durable, so a header that does not decode
            // means none of its records can have been acknowledged, unless one of them names
            // the log durable past the segment's start (then the header was synced and
            // damaged later: F). Records are checked against the log id of the segments
            // before it and the base offset of its name; without those, only an all-zero
            // file passes. Any length: the file is preallocated.
            Err(reason) if last && !reason.contains("newer Keel") => {
                let zeros = bytes.iter().skip(SEGMENT_HEADER_BYTES).all(|&b| b == 0);
                let proof = match out.log_id.or(opts.log_id) {
                    Some(id) => first_durable_past(bytes, id, base, base, opts.payload_max_bytes),
                    None if zeros => None,
                    None => Some((base, base)),
                };
                if let Some((at, durable)) = proof {
                    let why = if at == base && durable == base && !zeros {
                        reason.to_string()
                    } else {
                        format!("{reason}, but the record at offset {at} shows the log was durable up to {durable}")
                    };
                    return Err(refuse('F', &path, Some(base), why));
                }
                drop(file);
                if !opts.dry_run {
                    fs.remove(&path).and_then(|()| fs.sync_dir(dir)).map_err(|e| io_err(&path, e))?;
                }
                out.truncated_bytes += written_len(bytes);
                out.repairs.push(Repair::Remove { path: path.clone(), bytes: written_len(bytes) });
                // A snapshot taken just as the previous segment filled sits at this base (if
                // that segment really ended there).
                from_seen |= base == from && (i == 0 || out.end_offset == base);
                break;
            }
            Err(reason) => {
                let case = if reason.contains("newer Keel") { 'I' } else { 'F' };
                return Err(refuse(case, &path, Some(base), reason));
            }
        };
        check_header(&header, base, &path, &out, i == 0)?;
        out.log_id = Some(header.log_id);
        let stop = scan(bytes, header.log_id, base, opts.payload_max_bytes, |_, rec| {
            if rec.offset < from {
                return Ok(());
            }
            from_seen |= rec.offset == from;
            out.records += 1;
            apply(rec)
        })
        .map_err(|e| refuse('X', &path, None, format!("applying a record failed: {e}")))?;
        // Where this segment's records stop short of the next segment: damage, or a clean
        // end (zeros) before the offset the next one starts at.
        let short = match &stop {
            Stop::Bad { offset, reason, later, .. } if later.is_none_or(|l| l.durable_offset <= *offset) => Some((*offset, *reason)),
            Stop::Clean { pos } if !last && offset_at(base, *pos) != bases[i + 1] => {
                Some((offset_at(base, *pos), "the segment ends early"))
            }
            _ => None,
        };
        let mut tail_across = false;
        if let (Some((offset, reason)), false) = (short, last) {
            // Only the segment before the last can end in an unsynced tail (the writer seals
            // one segment at a time and syncs it while records go into the next, and those
            // name a durable offset below its end), and only if no later record and no
            // snapshot proves the log durable past the damage.
            let after = if offset < from || i + 2 < bases.len() {
                After::Foreign
            } else {
                durable_past(fs, &bases[i + 1..], dir, header.log_id, offset, opts.payload_max_bytes)?
            };
            let proof = match after {
                After::NoProof => None,
                _ if offset < from => Some(format!(", and the snapshot at offset {from} shows the log was durable past it")),
                After::Proof(p, at, durable) => {
                    Some(format!(", and the record at offset {at} in {} shows the log was durable up to {durable}", p.display()))
                }
                After::Foreign => Some(String::new()),
            };
            match (proof, &stop) {
                (None, _) => tail_across = true,
                // The next segment's own checks name what is wrong (F, G, H).
                (Some(proof), Stop::Clean { .. }) if proof.is_empty() => {}
                (Some(proof), Stop::Clean { .. }) => {
                    return Err(refuse('F', &path, Some(offset), format!("{reason} before the next segment starts{proof}")));
                }
                (Some(proof), Stop::Bad { .. }) => {
                    return Err(refuse('D', &path, Some(offset), format!("{reason} in a segment that later segments follow{proof}")));
                }
            }
        }
        let end_pos = match stop {
            Stop::Clean { pos } => pos,
            Stop::Bad { offset, reason, later: Some(l), .. } if l.durable_offset > offset => {
                return Err(refuse(
                    'C',
                    &path,
                    Some(offset),
                    format!("{reason}, but the record at offset {} shows the log was durable up to {}", l.offset, l.durable_offset),
                ));
            }
            // The snapshot's offset proves the log was durable up to it (the compactor waits
            // for that before the snapshot exists): damage below it is not an unsynced tail.
            Stop::Bad { offset, reason, .. } if offset < from => {
                return Err(refuse(
                    'C',
                    &path,
                    Some(offset),
                    format!("{reason}, but the snapshot at offset {from} shows the log was durable past it"),
                ));
            }
            Stop::Bad { pos, offset, reason, .. } => {
                if !opts.load_truncated {
                    return Err(refuse('B', &path, Some(offset), format!("{reason} at the end of the log, and aof-load-truncated is no")));
                }
                if !opts.dry_run {
                    let file = fs.open(&path, true).map_err(|e| io_err(&path, e))?;
                    file.set_len(pos).and_then(|()| file.sync_data()).map_err(|e| io_err(&path, e))?;
                }
                // Count what was written there, not the preallocated zeros after it.
                let cut = written_len(bytes).saturating_sub(pos);
                out.truncated_bytes += cut;
                out.repairs.push(Repair::Truncate { path: path.clone(), pos, offset, bytes: cut });
                pos
            }
        };
        // Reached only when the short end is an unsynced tail (or this is the last segment).
        if tail_across {
            // The unsynced tail goes on into the later segments: they go with it.
            if !opts.load_truncated {
                let offset = offset_at(base, end_pos);
                return Err(refuse('B', &path, Some(offset), "an unsynced tail across segments, and aof-load-truncated is no"));
            }
            for &b in &bases[i + 1..] {
                let p = dir.join(segment::file_name(b));
                let f = fs.open(&p, false).map_err(|e| io_err(&p, e))?;
                read_into(f.as_ref(), &mut other).map_err(|e| io_err(&p, e))?;
                drop(f);
                let cut = written_len(&other).saturating_sub(SEGMENT_HEADER_BYTES as u64);
                out.truncated_bytes += cut;
                out.repairs.push(Repair::Remove { path: p.clone(), bytes: cut });
                if !opts.dry_run {
                    fs.remove(&p).map_err(|e| io_err(&p, e))?;
                }
            }
            if !opts.dry_run {
                fs.sync_dir(dir).map_err(|e| io_err(dir, e))?;
            }
        }
        out.end_offset = offset_at(base, end_pos);
        from_seen |= out.end_offset == from;
        out.segments.push(SegmentMeta { base_offset: base, path, end_pos });
        if tail_across {
            break;
        }
    }
    if !from_seen {
        let path = out.segments.last().map_or_else(|| dir.to_path_buf(), |s| s.path.clone());
        let why = if out.end_offset < from {
            format!("the log ends at offset {}, before the snapshot's offset {from}", out.end_offset)
        } else {
            format!("no record starts at the snapshot's offset {from}")
        };
        return Err(refuse('J', &path, Some(from), why));
    }
    Ok(out)
}

/// Bytes up to the last non-zero one (a segment's preallocated zeros are not data).
pub fn written_len(bytes: &[u8]) -> u64 {
    bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i as u64 + 1)
}

/// What the segments after a short one say about the damage at `offset`.
enum After {
    /// A record names the log durable past it: (its file, its offset, the durable offset).
    Proof(PathBuf, u64, u64),
    /// None does: an unsynced tail.
    NoProof,
    /// A header that does not decode, or does not match its name or the log: not the
    /// writer's next segment; the usual checks decide.
    Foreign,
}

fn durable_past(fs: &dyn Fs, bases: &[u64], dir: &Path, log_id: u64, offset: u64, payload_max_bytes: u64) -> Result<After, RecoveryError> {
    let mut bytes = Vec::new();
    for (j, &base) in bases.iter().enumerate() {
        let path = dir.join(segment::file_name(base));
        let file = fs.open(&path, false).map_err(|e| refuse('X', &path, None, format!("cannot read: {e}")))?;
        read_into(file.as_ref(), &mut bytes).map_err(|e| refuse('X', &path, None, format!("cannot read: {e}")))?;
        match SegmentHeader::decode(&bytes) {
            Ok(h) if h.base_offset == base && h.log_id == log_id => {}
            // A last segment whose header never reached the disk (case E): its records,
            // checked against its name and this log, still count.
            Err(reason) if j + 1 == bases.len() && !reason.contains("newer Keel") => {}
            _ => return Ok(After::Foreign),
        }
        if let Some((at, durable)) = first_durable_past(&bytes, log_id, base, offset, payload_max_bytes) {
            return Ok(After::Proof(path, at, durable));
        }
    }
    Ok(After::NoProof)
}

/// The first valid record of a segment's `bytes` (header not read: `log_id` and `base` given)
/// that names the log durable past `offset`: (its offset, the durable offset it names).
fn first_durable_past(bytes: &[u8], log_id: u64, base: u64, offset: u64, payload_max_bytes: u64) -> Option<(u64, u64)> {
    let mut found = None;
    let stop = scan(bytes, log_id, base, payload_max_bytes, |_, rec| {
        if rec.durable_offset > offset {
            found = Some((rec.offset, rec.durable_offset));
            return Err(());
        }
        Ok(())
    });
    if let Ok(Stop::Bad { later: Some(l), .. }) = stop {
        if l.durable_offset > offset {
            found = found.or(Some((l.offset, l.durable_offset)));
        }
    }
    found
}

/// Cases F, G, H: a header that contradicts its name or the segments before it.
fn check_header(h: &SegmentHeader, base: u64, path: &Path, so_far: &Recovered, first: bool) -> Result<(), RecoveryError> {
    if h.base_offset != base {
        return Err(refuse('G', path, Some(base), format!("the header says the segment starts at offset {}", h.base_offset)));
    }
    if let Some(id) = so_far.log_id {
        if h.log_id != id {
            return Err(refuse('H', path, Some(base), format!("segment of another log (log id {:016x}, expected {id:016x})", h.log_id)));
        }
        if !first && base != so_far.end_offset {
            let what = if base > so_far.end_offset { "missing log between" } else { "segments overlap between" };
            return Err(refuse('F', path, Some(base), format!("{what} offsets {} and {base}", so_far.end_offset)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::write_all_at;
    use crate::storage::record::{encode, encode_effect, KIND_EFFECTS};
    use crate::storage::sim::SimFs;

    const ID: u64 = 7;
    const OPTS: Options = Options { payload_max_bytes: 1 << 20, load_truncated: true, from_offset: 0, log_id: None, dry_run: false };

    /// Writes segments of `per` records each; every record claims durability up to itself
    /// minus `lag`. Returns the (path, pos, offset) of every record.
    fn write_log(fs: &SimFs, dir: &Path, segments: usize, per: usize, lag: u64) -> Vec<(PathBuf, u64, u64)> {
        fs.create_dir_all(dir).unwrap();
        let mut at = Vec::new();
        let mut offset = 0;
        for _ in 0..segments {
            let path = dir.join(segment::file_name(offset));
            let mut b = SegmentHeader { log_id: ID, base_offset: offset, created_ms: 0 }.encode().to_vec();
            for i in 0..per {
                let pos = b.len() as u64;
                let mut p = Vec::new();
                encode_effect(&mut p, 0, &[b"INCR", format!("k{i}").as_bytes()]);
                encode(
                    &mut b,
                    ID,
                    &Record { kind: KIND_EFFECTS, offset, timestamp_ms: 0, durable_offset: offset.saturating_sub(lag), payload: &p },
                );
                at.push((path.clone(), pos, offset));
                offset = offset_at(at.last().unwrap().2 - (pos - 64), b.len() as u64);
            }
            let mut f = fs.create(&path).unwrap();
            write_all_at(f.as_mut(), 0, &b).unwrap();
            f.sync_data().unwrap();
        }
        fs.sync_dir(dir).unwrap();
        at
    }

    fn run(fs: &SimFs, dir: &Path) -> (Result<Recovered, RecoveryError>, Vec<u64>) {
        let mut seen = Vec::new();
        let r = recover(fs, dir, &OPTS, &mut |rec| {
            seen.push(rec.offset);
            Ok(())
        });
        (r, seen)
    }

    #[test]
    fn a_clean_log_replays_every_record_across_segments() {
        let fs = SimFs::new(1);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 3, 4, 0);
        let (r, seen) = run(&fs, dir);
        let r = r.unwrap();
        assert_eq!(seen, at.iter().map(|a| a.2).collect::<Vec<_>>());
        assert_eq!((r.records, r.truncated_bytes, r.segments.len(), r.log_id), (12, 0, 3, Some(ID)));
        assert!(r.end_offset > at.last().unwrap().2);
        assert_eq!(run(&fs, Path::new("/nothing")).0.unwrap(), Recovered::default());
    }

    #[test]
    fn case_b_torn_tail_is_truncated_and_counted() {
        let fs = SimFs::new(2);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 2, 3, 1_000_000);
        let (path, pos, _) = at.last().unwrap().clone();
        let len = fs.contents(&path).unwrap().len() as u64;
        let f = fs.open(&path, true).unwrap();
        f.set_len(pos + 10).unwrap();
        // Counted up to the last non-zero byte: zeros after it look like preallocated space.
        let torn = fs.contents(&path).unwrap()[pos as usize..].iter().rposition(|&b| b != 0).unwrap() as u64 + 1;
        // Dry: the same verdict and plan, and not a byte changed.
        let before = fs.contents(&path).unwrap();
        let dry = recover(&fs, dir, &Options { dry_run: true, ..OPTS }, &mut |_| Ok(())).unwrap();
        assert_eq!(fs.contents(&path).unwrap(), before);
        let offset = at.last().unwrap().2;
        assert_eq!(dry.repairs, vec![Repair::Truncate { path: path.clone(), pos, offset, bytes: torn }]);
        let (r, seen) = run(&fs, dir);
        let r = r.unwrap();
        assert_eq!(seen.len(), 5);
        assert_eq!(r.truncated_bytes, torn);
        assert_eq!(r.repairs, dry.repairs);
        assert!(torn > 4, "the torn header's length and CRC are counted");
        assert_eq!(fs.contents(&path).unwrap().len() as u64, pos, "tail cut at the bad record");
        assert!(len > pos + 10);
        assert_eq!(run(&fs, dir).0.unwrap().truncated_bytes, 0, "a second start finds a clean log");
    }

    #[test]
    fn case_c_damage_proven_durable_refuses_to_start() {
        let fs = SimFs::new(3);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 1, 5, 0);
        fs.flip_bit(&at[1].0, at[1].1 as usize + 44, 2).unwrap();
        let err = run(&fs, dir).0.unwrap_err();
        assert_eq!((err.case, err.offset), ('C', Some(at[1].2)));
        let msg = err.to_string();
        assert!(msg.contains("00000000000000000000.seg") && msg.contains("aof-repair"), "{msg}");
    }

    #[test]
    fn case_c_a_zeroed_range_proven_durable_refuses_to_start() {
        let fs = SimFs::new(33);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 1, 5, 0);
        let f = fs.open(&at[1].0, true).unwrap();
        write_all_at(f.as_ref(), at[1].1, &vec![0; (at[2].1 - at[1].1) as usize]).unwrap();
        f.sync_data().unwrap();
        let err = run(&fs, dir).0.unwrap_err();
        assert_eq!((err.case, err.offset), ('C', Some(at[1].2)), "zeros are not the end when durable records follow");
    }

    #[test]
    fn case_d_damage_before_a_later_segment_refuses_to_start() {
        // Lag 0: every record names the log durable up to itself, so the later segment's
        // records prove the damaged one was synced.
        let fs = SimFs::new(4);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 2, 3, 0);
        fs.flip_bit(&at[2].0, at[2].1 as usize + 50, 0).unwrap();
        let err = run(&fs, dir).0.unwrap_err();
        assert_eq!((err.case, err.offset), ('D', Some(at[2].2)));
        assert!(err.reason.contains(&format!("offset {}", at[3].2)), "{err}");
        // A segment that ends early (its tail zeroed) before a proven-durable later one: D too.
        let fs = SimFs::new(5);
        let at = write_log(&fs, dir, 2, 3, 0);
        let f = fs.open(&at[2].0, true).unwrap();
        f.set_len(at[2].1).unwrap();
        f.set_len(at[2].1 + 4096).unwrap();
        assert_eq!(run(&fs, dir).0.unwrap_err().case, 'F');
        // Damage with two segments after it: never an unsynced tail, whatever they name.
        let fs = SimFs::new(6);
        let at = write_log(&fs, dir, 3, 3, 1_000_000);
        fs.flip_bit(&at[2].0, at[2].1 as usize + 50, 0).unwrap();
        assert_eq!(run(&fs, dir).0.unwrap_err().case, 'D');
    }

    #[test]
    fn case_b_an_unsynced_tail_across_a_roll_goes_with_the_later_segments() {
        // A sealed segment's final sync runs while the next one fills; records written
        // meanwhile name a durable offset below its end (lag). Torn, or ended early (zeros).
        for torn in [true, false] {
            let fs = SimFs::new(6);
            let dir = Path::new("/k/log");
            let at = write_log(&fs, dir, 2, 3, 1_000_000);
            let (path, pos, offset) = at[2].clone();
            if torn {
                fs.flip_bit(&path, pos as usize + 50, 0).unwrap();
            } else {
                let f = fs.open(&path, true).unwrap();
                f.set_len(pos).unwrap();
                f.set_len(pos + 4096).unwrap();
            }
            let (r, seen) = run(&fs, dir);
            let r = r.unwrap();
            assert_eq!(seen, vec![at[0].2, at[1].2], "torn={torn}");
            assert_eq!((r.end_offset, r.segments.len()), (offset, 1));
            assert!(r.truncated_bytes > 100, "later segments' records are counted: {}", r.truncated_bytes);
            assert!(fs.contents(&at[3].0).is_err(), "the later segment is removed");
            assert_eq!(run(&fs, dir).0.unwrap().truncated_bytes, 0, "a second start finds a clean log");
            // aof-load-truncated no refuses instead, and removes nothing.
            let fs = SimFs::new(7);
            let at = write_log(&fs, dir, 2, 3, 1_000_000);
            fs.flip_bit(&at[2].0, at[2].1 as usize + 50, 0).unwrap();
            let strict = Options { load_truncated: false, ..OPTS };
            let err = recover(&fs, dir, &strict, &mut |_| Ok(())).unwrap_err();
            assert_eq!(err.case, 'B');
            assert!(fs.contents(&at[3].0).is_ok());
        }
    }

    #[test]
    fn case_e_half_created_last_segment_is_removed() {
        let fs = SimFs::new(5);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 1, 2, 0);
        let r0 = run(&fs, dir).0.unwrap();
        let next = dir.join(segment::file_name(r0.end_offset));
        let mut f = fs.create(&next).unwrap();
        write_all_at(f.as_mut(), 0, &[0x4b, 0x45, 0x45]).unwrap();
        let r = run(&fs, dir).0.unwrap();
        assert_eq!((r.records, r.truncated_bytes, r.segments.len()), (2, 3, 1));
        assert_eq!(fs.list(dir).unwrap(), vec![at[0].0.file_name().unwrap().to_string_lossy().into_owned()]);
    }

    #[test]
    fn case_e_a_last_segment_whose_header_never_reached_the_disk() {
        // A segment made from the spare: header written, renamed, records written, and the
        // power lost before its first sync kept the header page. Records that name no durable
        // offset past its start were never acknowledged: the segment goes. One that does
        // proves the header was synced once: refuse (F).
        for lag in [1_000_000u64, 0] {
            let fs = SimFs::new(30);
            let dir = Path::new("/k/log");
            let at = write_log(&fs, dir, 2, 3, lag);
            let f = fs.open(&at[3].0, true).unwrap();
            write_all_at(f.as_ref(), 0, &[0u8; SEGMENT_HEADER_BYTES]).unwrap();
            let (r, seen) = run(&fs, dir);
            if lag == 0 {
                let err = r.unwrap_err();
                assert_eq!((err.case, err.offset), ('F', Some(at[3].2)), "{err}");
                assert!(err.reason.contains("durable"), "{err}");
            } else {
                let r = r.unwrap();
                assert_eq!(seen, vec![at[0].2, at[1].2, at[2].2]);
                assert_eq!((r.segments.len(), r.end_offset), (1, at[3].2));
                assert!(r.truncated_bytes > 100 && fs.contents(&at[3].0).is_err());
            }
        }
        // The only segment, with records but no header: nothing to check them against.
        let fs = SimFs::new(31);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 1, 2, 1_000_000);
        let f = fs.open(&at[0].0, true).unwrap();
        write_all_at(f.as_ref(), 0, &[0u8; SEGMENT_HEADER_BYTES]).unwrap();
        assert_eq!(run(&fs, dir).0.unwrap_err().case, 'F');
    }

    #[test]
    fn cases_f_g_h_i_refuse_with_their_letter() {
        // F: a missing middle segment.
        let fs = SimFs::new(6);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 3, 2, 0);
        fs.remove(&at[2].0).unwrap();
        assert_eq!(run(&fs, dir).0.unwrap_err().case, 'F');
        // G: a segment renamed to another offset.
        let fs = SimFs::new(7);
        let at = write_log(&fs, dir, 2, 2, 0);
        fs.rename(&at[2].0, &dir.join(segment::file_name(at[2].2 + 1))).unwrap();
        assert_eq!(run(&fs, dir).0.unwrap_err().case, 'G');
        // H: a segment from another log.
        let fs = SimFs::new(8);
        let at = write_log(&fs, dir, 2, 2, 0);
        let mut f = fs.open(&at[2].0, true).unwrap();
        let h = SegmentHeader { log_id: ID + 1, base_offset: at[2].2, created_ms: 0 }.encode();
        write_all_at(f.as_mut(), 0, &h).unwrap();
        assert_eq!(run(&fs, dir).0.unwrap_err().case, 'H');
        // I: a newer format version.
        let fs = SimFs::new(9);
        let at = write_log(&fs, dir, 1, 2, 0);
        let mut h = SegmentHeader { log_id: ID, base_offset: 0, created_ms: 0 }.encode();
        h[8] = 9;
        let crc = crc32fast::hash(&h[..60]);
        h[60..].copy_from_slice(&crc.to_le_bytes());
        write_all_at(fs.open(&at[0].0, true).unwrap().as_mut(), 0, &h).unwrap();
        let err = run(&fs, dir).0.unwrap_err();
        assert_eq!(err.case, 'I');
        assert!(err.to_string().contains("newer Keel"), "{err}");
    }

    #[test]
    fn aof_load_truncated_no_refuses_a_torn_tail() {
        let fs = SimFs::new(10);
        let dir = Path::new("/k/log");
        let at = write_log(&fs, dir, 1, 3, 1_000_000);
        let (path, pos, _) = at.last().unwrap().clone();
        fs.open(&path, true).unwrap().set_len(pos + 3).unwrap();
        let opts = Options { load_truncated: false, ..OPTS };
        let err = recover(&fs, dir, &opts, &mut |_| Ok(())).unwrap_err();
        assert_eq!(err.case, 'B');
        assert!(err.reason.contains("aof-load-truncated is no"));
    }
}

#[cfg(test)]
mod every_byte {
    use super::*;
    use crate::storage::io::write_all_at;
    use crate::storage::record::{encode, encode_effect, KIND_EFFECTS};
    use crate::storage::sim::SimFs;

    /// A crash at every byte offset of the last 64 records (the file ends there, or the rest
    /// reads as zeros, or as the bytes of an older, longer file): recovery always starts, keeps
    /// exactly the records that are whole, and never refuses.
    #[test]
    fn a_crash_at_every_byte_of_the_last_64_records_recovers() {
        const ID: u64 = 0xB17E;
        let mut seg = SegmentHeader { log_id: ID, base_offset: 0, created_ms: 0 }.encode().to_vec();
        let mut ends = Vec::new();
        for i in 0..100u32 {
            let offset = offset_at(0, seg.len() as u64);
            let mut p = Vec::new();
            encode_effect(&mut p, i % 4, &[b"SET", format!("key:{i}").as_bytes(), &vec![b'x'; (i as usize * 7) % 90]]);
            // Each record names the previous ones durable, as group commit writes them.
            encode(&mut seg, ID, &Record { kind: KIND_EFFECTS, offset, timestamp_ms: 1, durable_offset: offset, payload: &p });
            ends.push(seg.len());
        }
        let first = ends[ends.len() - 65];
        let opts = Options { payload_max_bytes: 1 << 20, load_truncated: true, from_offset: 0, log_id: None, dry_run: false };
        let dir = Path::new("/x/log");
        for cut in first..=seg.len() {
            let whole = ends.iter().filter(|&&e| e <= cut).count() as u64;
            for tail in 0..3 {
                let fs = SimFs::new(cut as u64);
                fs.create_dir_all(dir).unwrap();
                let mut bytes = seg[..cut].to_vec();
                match tail {
                    0 => {}
                    1 => bytes.resize(seg.len() + 100, 0),
                    _ => bytes.extend(std::iter::repeat_n(0xA5, 100)),
                }
                let path = dir.join(segment::file_name(0));
                write_all_at(fs.create(&path).unwrap().as_mut(), 0, &bytes).unwrap();
                let mut n = 0;
                let r = recover(&fs, dir, &opts, &mut |_| {
                    n += 1;
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("cut at {cut}, tail {tail}: refused: {e}"));
                assert_eq!((n, r.records), (whole, whole), "cut at {cut}, tail {tail}");
            }
        }
    }
}
