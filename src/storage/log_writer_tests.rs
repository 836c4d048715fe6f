//! Tests of the log writer on the simulated disk: group commit, resume, fsync failure,
//! full disk, everysec.

use super::*;
use crate::storage::record::{encode_effect, KIND_EFFECTS};
use crate::storage::recovery::{recover, Options};
use crate::storage::sim::{Faults, SimFs};
use std::sync::mpsc;

const DIR: &str = "/data/log";

fn payload(i: usize) -> Vec<u8> {
    let mut p = Vec::new();
    encode_effect(&mut p, 0, &[b"SET", format!("key:{i}").as_bytes(), &[b'v'; 100]]);
    p
}

fn start(fs: &SimFs, resume: &Resume, segment_size_bytes: u64, fsync: Fsync) -> (LogWriter, mpsc::Receiver<u64>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let w = LogWriter::start(
        Arc::new(fs.clone()),
        Path::new(DIR),
        resume,
        WriterOptions { segment_size_bytes, fsync },
        Box::new(move |o| {
            let _ = lock(&tx).send(o);
        }),
    )
    .unwrap();
    (w, rx)
}

/// Appends records `range` (with side effects, in order) and returns the last end offset.
fn append_all(w: &LogWriter, range: std::ops::Range<usize>) -> u64 {
    let mut end = 0;
    for i in range {
        end = w.append(KIND_EFFECTS, 1, &payload(i));
    }
    end
}

/// Waits (bounded) until the writer reports a failure, and returns it.
fn wait_failure(w: &LogWriter) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(f) = w.failure() {
            return f;
        }
        assert!(std::time::Instant::now() < deadline, "no failure reported");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn new_log() -> Resume {
    Resume { log_id: 99, end_offset: 0, last_segment: None }
}

fn wait_durable(w: &LogWriter, rx: &mpsc::Receiver<u64>, offset: u64) {
    while w.durable_offset() < offset {
        rx.recv_timeout(Duration::from_secs(10)).expect("durable offset advances");
    }
}

fn recovered_offsets(fs: &SimFs) -> (Vec<u64>, crate::storage::recovery::Recovered) {
    let mut seen = Vec::new();
    let r = recover(
        fs,
        Path::new(DIR),
        &Options { payload_max_bytes: 1 << 20, load_truncated: true, from_offset: 0, log_id: None, dry_run: false },
        &mut |rec| {
            seen.push(rec.offset);
            Ok(())
        },
    )
    .unwrap();
    (seen, r)
}

#[test]
fn group_commit_rolls_segments_and_recovers_everything_acknowledged() {
    let fs = SimFs::new(11);
    let (w, rx) = start(&fs, &new_log(), 1000, Fsync::Always);
    let ends: Vec<u64> = (0..50).map(|i| w.append(KIND_EFFECTS, 1, &payload(i))).collect();
    wait_durable(&w, &rx, *ends.last().unwrap());
    assert!(fs.syncs() < 50 + 20, "group commit: {} syncs for 50 records", fs.syncs());
    // The thread keeps the next segment ready, so a roll only writes a header and renames.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !fs.list(Path::new(DIR)).unwrap().iter().any(|n| n == segment::SPARE_FILE_NAME) {
        assert!(std::time::Instant::now() < deadline, "no spare segment");
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(w);
    fs.crash();
    let (seen, r) = recovered_offsets(&fs);
    assert_eq!(seen.len(), 50, "every acknowledged record survives a crash");
    assert_eq!(r.end_offset, *ends.last().unwrap());
    assert!(r.segments.len() >= 8, "1000-byte segments hold ~6 records: {} segments", r.segments.len());
}

#[test]
fn resumes_after_recovery_and_keeps_offsets_contiguous() {
    let fs = SimFs::new(12);
    let (w, rx) = start(&fs, &new_log(), 1 << 20, Fsync::Always);
    let first = append_all(&w, 0..10);
    wait_durable(&w, &rx, first);
    drop(w);
    let (_, r) = recovered_offsets(&fs);
    let last = r.segments.last().unwrap();
    let resume = Resume {
        log_id: r.log_id.unwrap(),
        end_offset: r.end_offset,
        last_segment: Some((last.path.clone(), last.base_offset, last.end_pos)),
    };
    let (w, rx) = start(&fs, &resume, 1 << 20, Fsync::Always);
    let second = append_all(&w, 10..20);
    wait_durable(&w, &rx, second);
    drop(w);
    fs.crash();
    let (seen, r) = recovered_offsets(&fs);
    assert_eq!((seen.len(), r.end_offset), (20, second));
}

#[test]
fn a_failed_fsync_stops_the_writer_and_is_never_retried() {
    let fs = SimFs::new(13);
    let (w, rx) = start(&fs, &new_log(), 1 << 20, Fsync::Always);
    let ok = w.append(KIND_EFFECTS, 1, &payload(0));
    wait_durable(&w, &rx, ok);
    fs.set_faults(Faults { fail_sync_after: Some(0), ..Faults::default() });
    let lost = w.append(KIND_EFFECTS, 1, &payload(1));
    assert!(wait_failure(&w).contains("fsync of the log failed"));
    assert_eq!(w.durable_offset(), ok, "the record whose fsync failed is never durable");
    assert!(lost > ok);
    let syncs = fs.syncs();
    w.append(KIND_EFFECTS, 1, &payload(2));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(fs.syncs(), syncs, "no fsync after the failure");
    drop(w);
    fs.crash();
    assert_eq!(recovered_offsets(&fs).0.len(), 1);
}

#[test]
fn a_full_disk_holds_writes_until_space_returns() {
    // Twice: once when preallocation failed and appends grow the file into a full disk,
    // once when a preallocated segment fills and the next one cannot be created.
    for preallocated in [false, true] {
        let fs = SimFs::new(14);
        if !preallocated {
            fs.set_faults(Faults { space_bytes: Some(SEGMENT_HEADER_BYTES as u64 + 250), ..Faults::default() });
        }
        let (w, rx) = start(&fs, &new_log(), 600, Fsync::Always);
        let ok = w.append(KIND_EFFECTS, 1, &payload(0));
        wait_durable(&w, &rx, ok);
        let len = fs.contents(&Path::new(DIR).join(segment::file_name(0))).unwrap().len() as u64;
        assert_eq!(len >= 600, preallocated, "segment file is {len} bytes");
        if preallocated {
            fs.set_faults(Faults { space_bytes: Some(len), ..Faults::default() });
        }
        let held = append_all(&w, 1..8);
        assert!(wait_failure(&w).starts_with("the disk is full"));
        assert!(w.durable_offset() < held, "preallocated={preallocated}");
        fs.set_faults(Faults::default());
        wait_durable(&w, &rx, held);
        assert_eq!(w.failure(), None, "resumes by itself");
        drop(w);
        fs.crash();
        assert_eq!(recovered_offsets(&fs).0.len(), 8, "preallocated={preallocated}");
    }
}

#[test]
fn everysec_releases_on_write_and_syncs_later() {
    let fs = SimFs::new(15);
    let (w, rx) = start(&fs, &new_log(), 1 << 20, Fsync::EverySec);
    let end = w.append(KIND_EFFECTS, 1, &payload(0));
    let released = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(released, end, "released once written");
    wait_durable(&w, &rx, end);
    assert_eq!(w.shutdown(), None);
}

#[test]
fn a_roll_seals_the_segment_and_a_crash_before_its_sync_recovers_a_prefix() {
    // Under everysec the executor writes inline; at a roll the thread starts the next segment
    // and syncs the sealed one after writing into the new one. Cut the power at every
    // operation across several rolls: recovery never refuses, keeps everything that was
    // durable, and yields a prefix of the records. Some cuts leave the sealed segment's tail
    // unsynced while the next one kept records: that tail goes, with the later segment.
    let mut across = 0;
    for cut in 0..90u64 {
        let fs = SimFs::new(500 + cut);
        let (w, _rx) = start(&fs, &new_log(), 2000, Fsync::EverySec);
        fs.set_faults(Faults { power_cut_after_ops: Some(cut), ..Faults::default() });
        let mut ends = Vec::new();
        for i in 0..80 {
            ends.push(w.append(KIND_EFFECTS, 1, &payload(i)));
            let _ = w.write_inline();
            if fs.is_cut() {
                break;
            }
        }
        // Let the thread finish what it was handed (it fails once the power is out).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !fs.is_cut() && w.durable_offset() < *ends.last().unwrap() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let durable = w.durable_offset();
        drop(w);
        let before = fs.list(Path::new(DIR)).unwrap().iter().filter(|n| segment::parse_file_name(n).is_some()).count();
        fs.crash();
        let (seen, r) = recovered_offsets(&fs);
        assert!(r.end_offset >= durable, "cut {cut}: durable {durable} lost (recovered to {})", r.end_offset);
        let starts: Vec<u64> = std::iter::once(0).chain(ends.iter().copied()).take(seen.len()).collect();
        assert_eq!(seen, starts, "cut {cut}: a prefix of the records, in order");
        if r.segments.len() < before && r.truncated_bytes > 0 {
            across += 1;
        }
    }
    assert!(across > 0, "no cut left an unsynced tail across a roll");
}
