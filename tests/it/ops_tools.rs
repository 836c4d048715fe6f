//! The operator tools as an operator runs them: data directories built (and damaged) through
//! the library's own encoders, then `aof-inspect` run as a process; the verdict, the exit code
//! and the one-line summary are asserted, and so is that inspection changed no byte.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use keel::db::value::{Str, Value};
use keel::storage::io::RealFs;
use keel::storage::record::{encode, encode_effect, Record, KIND_EFFECTS};
use keel::storage::segment::{file_name, SegmentHeader, SEGMENT_HEADER_BYTES};
use keel::storage::snapshot::{self, DbCount, Header};

use crate::common::temp_dir;

const LOG_ID: u64 = 0x5eed;
/// 2025-11-20 00:00:00 UTC; record i is written i seconds later.
const T0_MS: u64 = 1_763_596_800_000;

/// A record as written: where it is.
#[derive(Debug, Clone, Copy)]
struct At {
    seg: usize,
    pos: u64,
    offset: u64,
    len: u64,
}

/// A log of `per_seg[s]` records in segment `s`, each `SET k<i> v<i>` naming itself durable
/// (as under `appendfsync always`), so any damage before the last record is provably durable.
fn write_log(dir: &Path, per_seg: &[usize]) -> Vec<At> {
    let log = dir.join("log");
    std::fs::create_dir_all(&log).unwrap();
    let (mut at, mut offset, mut i) = (Vec::new(), 0u64, 0u64);
    for (s, &n) in per_seg.iter().enumerate() {
        let base = offset;
        let mut b = SegmentHeader { log_id: LOG_ID, base_offset: base, created_ms: T0_MS }.encode().to_vec();
        for _ in 0..n {
            let pos = b.len() as u64;
            let mut payload = Vec::new();
            encode_effect(&mut payload, 0, &[b"SET", format!("k{i}").as_bytes(), format!("v{i}").as_bytes()]);
            let rec = Record { kind: KIND_EFFECTS, offset, timestamp_ms: T0_MS + i * 1000, durable_offset: offset, payload: &payload };
            encode(&mut b, LOG_ID, &rec);
            at.push(At { seg: s, pos, offset, len: rec.len_bytes() });
            offset += rec.len_bytes();
            i += 1;
        }
        std::fs::write(log.join(file_name(base)), &b).unwrap();
    }
    at
}

/// Rewrites the file at `path` through `f`; returns its new bytes.
fn damage(path: &Path, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = std::fs::read(path).unwrap();
    f(&mut b);
    std::fs::write(path, &b).unwrap();
    b
}

fn seg_path(dir: &Path, at: &[At], seg: usize) -> PathBuf {
    let base = at.iter().find(|a| a.seg == seg).map_or(0, |a| a.offset);
    dir.join("log").join(file_name(base))
}

/// A snapshot at `offset` holding `keys` small keys.
fn write_snapshot(dir: &Path, offset: u64, keys: usize) -> PathBuf {
    snapshot_of(dir, offset, T0_MS, (0..keys).map(|i| (format!("k{i}"), "v".to_string())))
}

/// The true image of `write_log`'s first `n` records (`k<i>` = `v<i>`), taken just after
/// the last of them.
fn write_image(dir: &Path, at: &[At], n: usize) -> PathBuf {
    let created = T0_MS + (n as u64 - 1) * 1000 + 500;
    snapshot_of(dir, at[n].offset, created, (0..n).map(|i| (format!("k{i}"), format!("v{i}"))))
}

fn snapshot_of(dir: &Path, offset: u64, created_ms: u64, kvs: impl Iterator<Item = (String, String)>) -> PathBuf {
    let log = dir.join("log");
    let header = Header { log_id: LOG_ID, log_offset: offset, created_ms, run_id: [1; 20], key_seed: 7 };
    let mut w = snapshot::Writer::create(Arc::new(RealFs), &log, header, 1).unwrap();
    let mut raw = Vec::new();
    let mut keys = 0;
    for (k, v) in kvs {
        snapshot::put_key(&mut raw, 0, k.as_bytes(), None, &Value::Str(Str::from_bytes(v.as_bytes())));
        keys += 1;
    }
    w.write_block(&raw, keys as u32).unwrap();
    w.finish(&[DbCount { db: 0, keys: keys as u64, volatile: 0 }]).unwrap();
    w.commit(1).unwrap()
}

/// Every file of the directory and its bytes, to prove inspection wrote nothing.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let log = if dir.join("log").is_dir() { dir.join("log") } else { dir.to_path_buf() };
    let mut v: Vec<_> = std::fs::read_dir(log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    v.sort();
    v
}

/// Runs `aof-inspect <args>`; returns the exit code and the last line of its output.
fn inspect(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aof-inspect")).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text.lines().last().unwrap_or("").to_string())
}

fn verify(dir: &Path) -> (i32, String) {
    let before = contents(dir);
    let r = inspect(&["verify", dir.to_str().unwrap()]);
    assert!(before == contents(dir), "aof-inspect verify changed {}", dir.display());
    r
}

#[test]
fn a_clean_directory_verifies_clean() {
    let dir = temp_dir("ops-clean");
    let at = write_log(&dir, &[40, 30]);
    write_snapshot(&dir, at[50].offset, 50);
    let end = at.last().map(|a| a.offset + a.len).unwrap();
    let (code, line) = verify(&dir);
    assert_eq!(code, 0, "{line}");
    assert_eq!(line, format!("clean: 2 segments, 70 records, log offsets up to {end}, 1 snapshots ({})", dir.join("log").display()));
    // The log directory itself is accepted too.
    assert_eq!(verify(&dir.join("log")).0, 0);
}

#[test]
fn a_torn_tail_at_every_byte_of_the_last_record_is_repairable() {
    let dir = temp_dir("ops-torn");
    let at = write_log(&dir, &[10, 6]);
    let last = *at.last().unwrap();
    let path = seg_path(&dir, &at, 1);
    let whole = std::fs::read(&path).unwrap();
    for cut in last.pos + 1..last.pos + last.len {
        std::fs::write(&path, &whole[..cut as usize]).unwrap();
        let (code, line) = verify(&dir);
        assert_eq!(code, 1, "cut at byte {cut}: {line}");
        // Counted up to the last non-zero byte, as recovery counts (zeros may be preallocation).
        let lost = whole[..cut as usize].iter().rposition(|&x| x != 0).unwrap() as u64 + 1 - last.pos;
        let want = format!("repairable: an unsynced tail of {lost} bytes from log offset {} would be truncated", last.offset);
        assert!(line.starts_with(&want), "cut at byte {cut}: {line}\nwanted: {want}");
    }
    // Garbage instead of a cut: the same verdict.
    let mut b = whole.clone();
    b[(last.pos + last.len - 3) as usize] ^= 0x40;
    std::fs::write(&path, &b).unwrap();
    assert_eq!(verify(&dir).0, 1);
}

#[test]
fn damage_to_durable_records_is_corruption() {
    // A bit flip mid-log, in the last segment: a later record proves it was durable (case C).
    let dir = temp_dir("ops-flip");
    let at = write_log(&dir, &[10, 10]);
    let path = seg_path(&dir, &at, 1);
    damage(&path, |b| {
        b[(at[14].pos + 45) as usize] ^= 0x08;
    });
    let (code, line) = verify(&dir);
    assert_eq!(code, 3, "{line}");
    assert!(line.starts_with("corrupt: case C: ") && line.contains(&format!("log offset {}", at[14].offset)), "{line}");

    // The same in a segment that others follow (case D).
    let dir = temp_dir("ops-flip-d");
    let at = write_log(&dir, &[10, 10, 10]);
    let path = seg_path(&dir, &at, 0);
    damage(&path, |b| {
        // The segment's last record: no later record in it, two segments after it.
        b[(at[9].pos + 41) as usize] ^= 0x01;
    });
    let (code, line) = verify(&dir);
    assert_eq!((code, line.starts_with("corrupt: case D: ")), (3, true), "{line}");

    // A zero-filled range with durable records after it (case C, not a clean end).
    let dir = temp_dir("ops-zeros");
    let at = write_log(&dir, &[20]);
    let path = seg_path(&dir, &at, 0);
    damage(&path, |b| {
        b[at[5].pos as usize..at[8].pos as usize].fill(0);
    });
    let (code, line) = verify(&dir);
    assert_eq!(code, 3, "{line}");
    assert!(line.starts_with("corrupt: case C: zero-filled bytes followed by data"), "{line}");
}

#[test]
fn a_missing_segment_a_damaged_snapshot_and_a_newer_format_need_a_decision() {
    // The middle one of three segments is gone (case F).
    let dir = temp_dir("ops-missing");
    let at = write_log(&dir, &[5, 5, 5]);
    std::fs::remove_file(seg_path(&dir, &at, 1)).unwrap();
    let (code, line) = verify(&dir);
    assert_eq!(code, 3, "{line}");
    assert!(line.starts_with("corrupt: case F: the segment ends early before the next segment starts"), "{line}");

    // A truncated snapshot: the log is fine, the snapshot is not.
    let dir = temp_dir("ops-snap");
    let at = write_log(&dir, &[8]);
    let snap = write_snapshot(&dir, at[4].offset, 4);
    let b = std::fs::read(&snap).unwrap();
    std::fs::write(&snap, &b[..b.len() - 10]).unwrap();
    let (code, line) = verify(&dir);
    assert_eq!(code, 3, "{line}");
    assert!(line.starts_with("corrupt: snapshot ") && line.contains(".snap: "), "{line}");

    // A snapshot whose offset falls inside a record (case J's symptom).
    let dir = temp_dir("ops-snap-off");
    let at = write_log(&dir, &[8]);
    write_snapshot(&dir, at[4].offset + 3, 4);
    let (code, line) = verify(&dir);
    assert_eq!(code, 3, "{line}");

    // A segment written by a newer Keel (format version 2, header CRC valid): case I.
    let dir = temp_dir("ops-newer");
    let at = write_log(&dir, &[4]);
    let path = seg_path(&dir, &at, 0);
    damage(&path, |b| {
        b[8..10].copy_from_slice(&2u16.to_le_bytes());
        let crc = crc32fast::hash(&b[..60]);
        b[60..64].copy_from_slice(&crc.to_le_bytes());
    });
    let (code, line) = verify(&dir);
    assert_eq!(code, 3, "{line}");
    assert!(line.starts_with("corrupt: case I: ") && line.contains("newer Keel"), "{line}");
}

#[test]
fn bad_paths_are_io_errors_and_bad_arguments_usage_errors() {
    let (code, line) = inspect(&["verify", "/nonexistent/keel-dir"]);
    assert_eq!(code, 4, "{line}");
    assert!(line.starts_with("error: cannot read directory /nonexistent/keel-dir"), "{line}");
    assert_eq!(inspect(&["segments", "/nonexistent/keel-dir"]).0, 4);
    assert_eq!(inspect(&["verify"]).0, 2);
    assert_eq!(inspect(&["no-such-subcommand"]).0, 2);
    let help = Command::new(env!("CARGO_BIN_EXE_aof-inspect")).args(["verify", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for code in ["0  clean", "1  repairable", "2  usage error", "3  corruption", "4  I/O error"] {
        assert!(help.contains(code), "--help lacks {code:?}:\n{help}");
    }
}

/// Golden output of `segments`: a change to this format must be deliberate.
#[test]
fn segments_output_is_golden() {
    let dir = temp_dir("ops-golden");
    let at = write_log(&dir, &[3, 2]);
    let path = seg_path(&dir, &at, 1);
    let b = damage(&path, |b| {
        let last = at[4];
        b.truncate((last.pos + 10) as usize);
    });
    let out = Command::new(env!("CARGO_BIN_EXE_aof-inspect")).args(["segments", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let expected = format!(
        "\
segment                           base offset           end offset    records   file bytes  first record              last record               status
00000000000000000000.seg                    0                  {e0}          3          {s0}  2025-11-20T00:00:00.000Z  2025-11-20T00:00:02.000Z  ok
{n1}                  {e0}                  {e1}          1          {s1}  2025-11-20T00:00:03.000Z  2025-11-20T00:00:03.000Z  bad record at offset {e1} (record header cut short); nothing valid after it
",
        e0 = at[3].offset,
        e1 = at[4].offset,
        s0 = SEGMENT_HEADER_BYTES as u64 + at[3].offset,
        s1 = b.len(),
        n1 = file_name(at[3].offset),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

/// Runs `aof-repair <args>`; returns the exit code and the whole output.
fn repair(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aof-repair")).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Starts a server on the repaired directory; asserts it holds exactly keys k0..k(n-1) of
/// `write_log` (record i sets k<i>), the records before the cut.
fn assert_server_holds_first(dir: &Path, n: usize, written: usize) {
    let srv = crate::common::Server::start_in(dir, &["--appendonly", "yes"]);
    let mut c = srv.client();
    let dbsize: usize = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(dbsize, n, "keys after the repair");
    for i in 0..written {
        let v: Option<String> = redis::cmd("GET").arg(format!("k{i}")).query(&mut c).unwrap();
        assert_eq!(v, (i < n).then(|| format!("v{i}")), "k{i}");
    }
}

#[test]
fn aof_repair_cuts_a_torn_tail_after_a_backup_and_the_server_starts_with_the_rest() {
    let dir = temp_dir("repair-torn");
    let at = write_log(&dir, &[6, 5]);
    let last = *at.last().unwrap();
    let path = seg_path(&dir, &at, 1);
    let whole = std::fs::read(&path).unwrap();
    let cut = last.pos + 23;
    std::fs::write(&path, &whole[..cut as usize]).unwrap();
    let before = contents(&dir);
    // The plan: exit 1, the cut named, nothing changed.
    let (code, text) = repair(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    // Written bytes are counted up to the last non-zero one (zeros may be preallocation).
    let lost = whole[..cut as usize].iter().rposition(|&x| x != 0).unwrap() + 1 - last.pos as usize;
    assert!(lost > 4 && lost <= 23);
    let want = format!("cut {} at byte {} (log offset {}), removing {lost} bytes", path.display(), last.pos, last.offset);
    assert!(text.contains(&want), "{text}");
    assert!(before == contents(&dir), "the plan changed the directory");
    // --dry-run says the same explicitly, and cannot be combined with --apply.
    assert_eq!(repair(&["--dry-run", dir.to_str().unwrap()]), (code, text));
    assert_eq!(repair(&["--dry-run", "--apply", dir.to_str().unwrap()]).0, 2);
    assert!(before == contents(&dir), "the plan changed the directory");
    // Applied: a backup of exactly the removed bytes, then a clean log.
    let backup = dir.join("bk");
    let (code, text) = repair(&["--apply", "--backup-dir", backup.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("after the repair: clean: 2 segments, 10 records"), "{text}");
    let saved = std::fs::read(backup.join(format!("{}.from-{}", file_name(at[6].offset), last.pos))).unwrap();
    assert_eq!(saved, &whole[last.pos as usize..last.pos as usize + lost]);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), last.pos);
    assert_server_holds_first(&dir, 10, 11);
}

#[test]
fn aof_repair_shows_what_a_cut_at_corruption_loses_and_cuts_only_when_told() {
    let dir = temp_dir("repair-corrupt");
    let at = write_log(&dir, &[8, 8]);
    let path = seg_path(&dir, &at, 0);
    let b = damage(&path, |b| {
        b[(at[3].pos + 50) as usize] ^= 0x20;
    });
    let before = contents(&dir);
    let (code, text) = repair(&[dir.to_str().unwrap()]);
    assert_eq!(code, 3, "{text}");
    // Golden: what the plan says about the loss.
    let seg1 = file_name(at[8].offset);
    let lost_bytes = (b.len() as u64 - at[3].pos) + std::fs::read(dir.join("log").join(&seg1)).unwrap().len() as u64;
    let expected = format!(
        "damage to durable data at log offset {o3} (record checksum mismatch, but the record at offset {o4} shows the log was durable up to {o4}) in {p}:\n  --skip-corrupt-record would overwrite bytes {pos}..{pos4} (log offsets {o3}..{o4}) with one skip record of the same length, losing what was there and keeping every record after it\n  --truncate-at-corruption would cut it at byte {pos} and remove 1 later segments, losing {lost_bytes} bytes: 12 valid records (offsets {o4}..{o15}), written 2025-11-20T00:00:04.000Z .. 2025-11-20T00:00:15.000Z, touching 12 keys: k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15\n",
        o3 = at[3].offset,
        p = path.display(),
        pos = at[3].pos,
        pos4 = at[4].pos,
        o4 = at[4].offset,
        o15 = at[15].offset,
    );
    assert_eq!(text, expected);
    // --apply alone refuses; nothing changes.
    let (code, text) = repair(&["--apply", dir.to_str().unwrap()]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("refusing: damaged durable data needs --truncate-at-corruption or --skip-corrupt-record"), "{text}");
    assert!(before == contents(&dir));
    // Told: backed up, cut, clean, and the server holds exactly the three records before it.
    let backup = dir.join("bk");
    let (code, text) = repair(&["--apply", "--truncate-at-corruption", "--backup-dir", backup.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("after the repair: clean: 1 segments, 3 records"), "{text}");
    assert_eq!(std::fs::read(backup.join(format!("{}.from-{}", file_name(0), at[3].pos))).unwrap(), &b[at[3].pos as usize..]);
    assert!(backup.join(format!("{seg1}.from-0")).exists());
    assert!(!dir.join("log").join(&seg1).exists());
    assert_server_holds_first(&dir, 3, 16);
}

#[test]
fn aof_repair_refuses_a_directory_a_running_server_holds() {
    let dir = temp_dir("repair-live");
    let srv = crate::common::Server::start_in(&dir, &["--appendonly", "yes"]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET").arg("a").arg("1").query(&mut c).unwrap();
    // Give the directory a torn tail to repair, while the server holds it.
    let log = dir.join("log");
    let seg = log.join(file_name(0));
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    let end = std::fs::read(&seg).unwrap().iter().rposition(|&x| x != 0).unwrap() as u64 + 1;
    std::os::unix::fs::FileExt::write_at(&f, &[7u8; 9], end).unwrap();
    let before = std::fs::read(&seg).unwrap();
    let (code, text) = repair(&["--apply", dir.to_str().unwrap()]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("is a server running on it?"), "{text}");
    assert!(before == std::fs::read(&seg).unwrap(), "the refused repair changed the segment");
    drop(srv);
}

#[test]
fn aof_repair_skips_a_corrupt_record_keeping_every_offset_even_below_a_snapshot() {
    // Damage in the middle of the first segment, below a snapshot's offset: cutting there
    // would leave the snapshot ahead of the log, skipping is possible.
    let dir = temp_dir("repair-skip");
    let at = write_log(&dir, &[8, 8]);
    let snap_at = at[10].offset;
    write_snapshot(&dir, snap_at, 10);
    let path = seg_path(&dir, &at, 0);
    let b = damage(&path, |b| {
        b[(at[3].pos + 44) as usize] ^= 0x02;
    });
    let (code, text) = repair(&[dir.to_str().unwrap()]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("--truncate-at-corruption is not possible: snapshot "), "{text}");
    let (code, text) = repair(&["--apply", "--truncate-at-corruption", dir.to_str().unwrap()]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("repair refused or failed: snapshot"), "{text}");
    let backup = dir.join("bk");
    let (code, text) = repair(&["--apply", "--skip-corrupt-record", "--backup-dir", backup.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("after the repair: clean: 2 segments, 16 records"), "{text}");
    // Exactly the bad record's bytes were saved, and only they changed.
    let (p3, p4) = (at[3].pos as usize, at[4].pos as usize);
    assert_eq!(std::fs::read(backup.join(format!("{}.from-{p3}", file_name(0)))).unwrap(), &b[p3..p4]);
    let after = std::fs::read(&path).unwrap();
    assert_eq!((&after[..p3], &after[p4..]), (&b[..p3], &b[p4..]));
    assert_eq!(after[p3 + 8], keel::storage::record::KIND_SKIP);

    // Without the snapshot the server replays the whole log: every key but the skipped one.
    let dir = temp_dir("repair-skip-replay");
    let at = write_log(&dir, &[8, 8]);
    let path = seg_path(&dir, &at, 0);
    damage(&path, |b| {
        b[(at[3].pos + 44) as usize] ^= 0x02;
    });
    let (code, text) = repair(&["--apply", "--skip-corrupt-record", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let srv = crate::common::Server::start_in(&dir, &["--appendonly", "yes"]);
    let mut c = srv.client();
    let dbsize: usize = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(dbsize, 15);
    for i in 0..16 {
        let v: Option<String> = redis::cmd("GET").arg(format!("k{i}")).query(&mut c).unwrap();
        assert_eq!(v, (i != 3).then(|| format!("v{i}")), "k{i}");
    }
}

fn inspect_out(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aof-inspect")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Golden output of `records` (text and JSON, with each filter) and `stats`.
#[test]
fn records_and_stats_output_is_golden() {
    let dir = temp_dir("ops-records");
    let at = write_log(&dir, &[3, 2]);
    let d = dir.to_str().unwrap();
    let (code, text) = inspect_out(&["records", d]);
    assert_eq!(code, 0);
    let mut expected = String::from("offset               time                       db      size  command           keys\n");
    for (i, a) in at.iter().enumerate() {
        expected.push_str(&format!("{:<20} 2025-11-20T00:00:0{i}.000Z     0 {:>9}  SET               k{i}\n", a.offset, a.len));
    }
    assert_eq!(text, expected);
    let (_, text) = inspect_out(&["records", "--json", "--from", &at[1].offset.to_string(), "--to", &at[3].offset.to_string(), d]);
    assert_eq!(
        text,
        format!(
            "{{\"offset\":{},\"time_ms\":{},\"db\":0,\"size\":{},\"command\":\"SET\",\"keys\":[\"k1\"]}}\n\
             {{\"offset\":{},\"time_ms\":{},\"db\":0,\"size\":{},\"command\":\"SET\",\"keys\":[\"k2\"]}}\n",
            at[1].offset,
            T0_MS + 1000,
            at[1].len,
            at[2].offset,
            T0_MS + 2000,
            at[2].len
        )
    );
    let count = |args: &[&str]| inspect_out(args).1.lines().count() - 1;
    assert_eq!(count(&["records", "--key", "k[34]", d]), 2);
    assert_eq!(count(&["records", "--command", "set", "--db", "0", d]), 5);
    assert_eq!(count(&["records", "--command", "del", d]), 0);
    assert_eq!(count(&["records", "--db", "1", d]), 0);
    let (code, text) = inspect_out(&["stats", d]);
    assert_eq!(code, 0);
    let total: u64 = at.iter().map(|a| a.len).sum();
    let mut biggest: Vec<&At> = at.iter().collect();
    biggest.sort_by(|a, b| b.len.cmp(&a.len).then(a.offset.cmp(&b.offset)));
    let mut expected = format!(
        "5 records, {total} bytes\n\nwrites per command:\n  SET                         5 {total:>14} bytes\n\nwrites per key prefix:\n"
    );
    for i in 0..5 {
        expected.push_str(&format!("  k{i}                                  1\n"));
    }
    expected.push_str("\nbiggest records:\n");
    for a in biggest {
        let i = at.iter().position(|x| x.offset == a.offset).unwrap();
        expected.push_str(&format!("  offset {:<20} {:>12} bytes  SET k{i}\n", a.offset, a.len));
    }
    assert_eq!(text, expected);
}

/// Golden output of `snapshot`; a truncated snapshot is damage (3), a missing file an error (4).
#[test]
fn snapshot_report_is_golden_and_damage_is_named() {
    let dir = temp_dir("ops-snapshot");
    let at = write_log(&dir, &[4]);
    let path = write_snapshot(&dir, at[2].offset, 3);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let c = snapshot::open(&RealFs, &path).unwrap();
    let (code, text) = inspect_out(&["snapshot", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let expected = format!(
        "snapshot {name}: ok\n  log offset {}, log id {LOG_ID:016x}, created 2025-11-20T00:00:00.000Z, run id {}\n  3 keys (0 with an expiry) in 1 blocks, {} bytes raw, {} bytes on disk\n  db0: 3 keys, 0 with an expiry\n  string: 3\n",
        at[2].offset,
        "01".repeat(20),
        c.summary.raw_bytes,
        c.summary.file_bytes
    );
    assert_eq!(text, expected);
    let b = std::fs::read(&path).unwrap();
    std::fs::write(&path, &b[..b.len() - 1]).unwrap();
    let (code, text) = inspect_out(&["snapshot", path.to_str().unwrap()]);
    assert_eq!(code, 3, "{text}");
    assert!(text.starts_with(&format!("snapshot {name}: DAMAGED: ")), "{text}");
    let (code, text) = inspect_out(&["snapshot", "/nonexistent/x.snap"]);
    assert_eq!(code, 4, "{text}");
}

/// Runs `aof-repair restore --to-time|--to-offset <at> --out <out> <dir>`.
fn restore(dir: &Path, by: &str, at: &str, out: &Path) -> (i32, String) {
    repair(&["restore", by, at, "--out", out.to_str().unwrap(), dir.to_str().unwrap()])
}

/// Unix seconds of `write_log`'s record `i` plus `extra_ms`.
fn at_time(i: u64, extra_ms: u64) -> String {
    let ms = T0_MS + i * 1000 + extra_ms;
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[test]
fn restore_reaches_up_to_damage_and_back_to_what_is_retained() {
    let dir = temp_dir("restore-lib");
    let at = write_log(&dir, &[4, 4, 4]);
    damage(&seg_path(&dir, &at, 2), |b| b[at[9].pos as usize + 45] ^= 0x10);
    let before = contents(&dir);

    // Before the damage: records 0..=5, from the log's start; the report is golden.
    let out = temp_dir("restore-lib-out");
    let (code, text) = restore(&dir, "--to-time", &at_time(5, 999), &out);
    assert_eq!(code, 0, "{text}");
    let golden = format!(
        "target:          time 2025-11-20T00:00:05.999Z
from snapshot:   none (the log from offset 0)
then replays:    6 records in 2 segments, to log offset {o6}
last kept:       offset {o5} at 2025-11-20T00:00:05.000Z
first left out:  offset {o6} at 2025-11-20T00:00:06.000Z
copied:          {copied} bytes
restored: OUT holds the state at log offset {o6}; read it with keel-server --dir OUT
",
        o5 = at[5].offset,
        o6 = at[6].offset,
        copied = 2 * SEGMENT_HEADER_BYTES as u64 + at[6].offset,
    );
    assert_eq!(text.replace(out.to_str().unwrap(), "OUT"), golden);
    assert_server_holds_first(&out, 6, 12);

    // Past the damage: refused, naming the offset to restore to instead; which works.
    let out = temp_dir("restore-lib-past");
    let (code, text) = restore(&dir, "--to-time", &at_time(10, 0), &out);
    assert_eq!(code, 3, "{text}");
    let hint = format!("--to-offset {}", at[9].offset);
    assert!(text.contains(&format!("cannot be read past offset {} (case C", at[9].offset)) && text.contains(&hint), "{text}");
    let (code, text) = restore(&dir, "--to-offset", &at[9].offset.to_string(), &out);
    assert_eq!(code, 0, "{text}");
    assert_server_holds_first(&out, 9, 12);
    // An offset inside a record rounds down to the record before it.
    let out = temp_dir("restore-lib-mid");
    let (code, text) = restore(&dir, "--to-offset", &(at[3].offset + 7).to_string(), &out);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("the last record boundary at or before it is {}", at[3].offset)), "{text}");
    assert_server_holds_first(&out, 3, 12);
    assert!(before == contents(&dir), "restore changed its source");

    // A snapshot of the first 4 records, and the log before it gone (as pruning leaves it).
    write_image(&dir, &at, 4);
    std::fs::remove_file(seg_path(&dir, &at, 0)).unwrap();
    let out = temp_dir("restore-lib-snap");
    let (code, text) = restore(&dir, "--to-time", &at_time(6, 0), &out);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!("(log offset {})", at[4].offset)) && text.contains("then replays:    3 records in 1 segments"),
        "{text}"
    );
    assert_server_holds_first(&out, 7, 12);
    // Between the snapshot and the first retained record: the snapshot alone.
    let out = temp_dir("restore-lib-snap-only");
    let (code, text) = restore(&dir, "--to-time", &at_time(3, 700), &out);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("then replays:    0 records in 0 segments"), "{text}");
    assert_server_holds_first(&out, 4, 12);
    // Before the snapshot: no longer retained.
    let out = temp_dir("restore-lib-gone");
    std::fs::remove_dir(&out).unwrap();
    let (code, text) = restore(&dir, "--to-time", &at_time(2, 0), &out);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&format!("the oldest restorable point is the snapshot at offset {}", at[4].offset)), "{text}");
    assert!(!out.exists());
    let (code, text) = restore(&dir, "--to-offset", &at[2].offset.to_string(), &out);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&format!("offset {} is older than what", at[2].offset)), "{text}");
    // An output that is a file.
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let (code, text) = restore(&dir, "--to-time", &at_time(6, 0), &file);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("is not a directory"), "{text}");
}

#[test]
fn restore_to_the_end_leaves_out_a_half_made_last_segment() {
    let dir = temp_dir("restore-half");
    let at = write_log(&dir, &[2, 2]);
    let end = at[3].offset + at[3].len;
    // A segment whose header never reached the disk: recovery removes it (case E).
    std::fs::write(dir.join("log").join(file_name(end)), vec![0u8; 4096]).unwrap();
    assert_eq!(verify(&dir).0, 1);
    let out = temp_dir("restore-half-out");
    let (code, text) = restore(&dir, "--to-time", &at_time(100, 0), &out);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("then replays:    4 records in 2 segments, to log offset {end}")), "{text}");
    assert_eq!(verify(&out).0, 0);
    assert_server_holds_first(&out, 4, 4);
}

#[test]
fn a_progress_bar_shows_on_long_reads_at_a_terminal_only() {
    // 5 segments of 64 records of 1 MiB: past the 256 MiB from which the tools show a bar.
    let dir = temp_dir("progress");
    let log = dir.join("log");
    std::fs::create_dir_all(&log).unwrap();
    // Zero values, written sparse: 320 MiB to read without dirtying 320 MiB of page cache
    // (which would stall the other tests' servers on their log writes).
    let value = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    for _ in 0..5 {
        let base = offset;
        let mut b = SegmentHeader { log_id: LOG_ID, base_offset: base, created_ms: T0_MS }.encode().to_vec();
        for i in 0..64u64 {
            let mut payload = Vec::new();
            encode_effect(&mut payload, 0, &[b"SET", format!("k{i}").as_bytes(), &value]);
            let rec = Record { kind: KIND_EFFECTS, offset, timestamp_ms: T0_MS + i, durable_offset: offset, payload: &payload };
            encode(&mut b, LOG_ID, &rec);
            offset += rec.len_bytes();
        }
        write_sparse(&log.join(file_name(base)), &b);
    }
    assert!(offset > keel::ops::progress::SHOW_FROM_BYTES);
    // Piped: the plain output, no bar.
    let out = Command::new(env!("CARGO_BIN_EXE_aof-inspect")).args(["verify", dir.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains('\r') && !text.contains("verify ["), "{text}");
    // On a terminal (script(1) gives it one): the bar, then the same summary.
    let cmd = format!("{} verify {}", env!("CARGO_BIN_EXE_aof-inspect"), dir.display());
    let out = Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().expect("script(1), from bsdutils");
    let tty = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{tty}");
    assert!(tty.contains("verify [") && tty.contains("MiB"), "no bar on a terminal: {tty:?}");
    assert!(tty.contains(&format!("clean: 5 segments, 320 records, log offsets up to {offset}")), "{tty:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verify_output_is_golden() {
    let dir = temp_dir("ops-verify-golden");
    let at = write_log(&dir, &[3, 3]);
    write_snapshot(&dir, at[2].offset, 2);
    let last = at[5];
    let b = damage(&seg_path(&dir, &at, 1), |b| b.truncate((last.pos + 20) as usize));
    // Written bytes count up to the last non-zero one (zeros may be preallocation).
    let lost = b.iter().rposition(|&x| x != 0).unwrap() as u64 + 1 - last.pos;
    let (code, text) = inspect_out(&["verify", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    let expected = format!(
        "snapshot {snap}: ok, 2 keys at log offset {o2}
segment DIR/log/{s0}: ok up to byte {e0}
segment DIR/log/{s1}: ok up to byte {e1}
repairable: an unsynced tail of {lost} bytes from log offset {o5} would be truncated; no record proves it durable (`aof-repair --apply DIR/log`)
",
        snap = keel::storage::snapshot::file_name(at[2].offset, 1),
        o2 = at[2].offset,
        s0 = file_name(0),
        e0 = at[2].pos + at[2].len,
        s1 = file_name(at[3].offset),
        e1 = last.pos,
        o5 = last.offset,
    );
    assert_eq!(text.replace(dir.to_str().unwrap(), "DIR"), expected);
}

/// Writes `bytes` to a new file, leaving holes for its all-zero 4 KiB pages.
fn write_sparse(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::create(path).unwrap();
    for (i, page) in bytes.chunks(4096).enumerate() {
        if page.iter().any(|&x| x != 0) {
            f.write_all_at(page, i as u64 * 4096).unwrap();
        }
    }
    f.set_len(bytes.len() as u64).unwrap();
}

#[test]
fn the_tools_read_a_live_servers_directory_while_it_writes() {
    let dir = temp_dir("ops-live");
    let srv = crate::common::Server::start_in(&dir, &["--appendonly", "yes", "--segment-size", "65536"]);
    let mut c = srv.client();
    let d = dir.to_str().unwrap().to_string();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (mut w, done) = (srv.client(), done.clone());
        std::thread::spawn(move || {
            for batch in 0..60 {
                let mut p = redis::pipe();
                for i in 0..500 {
                    p.cmd("SET").arg(format!("k{batch}:{i}")).arg("v".repeat(200)).ignore();
                }
                let () = p.query(&mut w).unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    // While records arrive: a record still being written may show as a repairable tail (1),
    // never as corruption (3) or an error (4), and no tool may die of a signal.
    let mut rounds = 0;
    while rounds < 3 || !done.load(std::sync::atomic::Ordering::SeqCst) {
        for args in [vec!["verify", &d], vec!["segments", &d], vec!["stats", &d], vec!["records", "--json", "--key", "k1:*", &d]] {
            let out = Command::new(env!("CARGO_BIN_EXE_aof-inspect")).args(&args).output().unwrap();
            let code = out.status.code();
            assert!(matches!(code, Some(0 | 1)), "{args:?} exited {code:?}: {}", String::from_utf8_lossy(&out.stdout));
        }
        let out = temp_dir("ops-live-restore");
        let (code, text) = restore(&dir, "--to-time", &(crate::restore::unix_ms() / 1000).to_string(), &out);
        assert_eq!(code, 0, "{text}");
        assert_eq!(verify(&out).0, 0, "a restore of a live directory verifies clean");
        rounds += 1;
    }
    writer.join().unwrap();
    let n: usize = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 30_000);
    // Quiet again: clean, and every key is in the log.
    let (code, line) = verify(&dir);
    assert_eq!(code, 0, "{line}");
    let (code, stats) = inspect_out(&["stats", &d]);
    assert_eq!(code, 0);
    assert!(stats.lines().any(|l| l.trim_start().starts_with("SET") && l.contains("30000")), "{stats}");
}
