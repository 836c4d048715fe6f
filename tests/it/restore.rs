//! Point-in-time restore end to end: a real server writes (and snapshots) while the test notes
//! the time and the state; `aof-repair restore` then builds directories for three past points
//! from the live directory, servers start on them, and each must hold exactly that point's
//! state: its digest, and a model of its string keys kept by the test.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use redis::Commands;

use crate::common::{temp_dir, Server};
use crate::snapshots::{digest, files, wait_no_snapshot};

pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Runs `aof-repair <args>`: exit code and everything it printed.
fn aof_repair(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aof-repair")).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// What the test knows about the server at one moment.
struct Point {
    ms: u64,
    digest: String,
    keys: i64,
    /// The string keys (`s:*`) and their values.
    strings: BTreeMap<String, Option<String>>,
}

/// Writes `n` random commands of several types; the string keys go into `model` too.
fn write_some(c: &mut redis::Connection, rng: &mut u64, n: usize, model: &mut BTreeMap<String, Option<String>>) {
    let mut p = redis::pipe();
    for _ in 0..n {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        let k = *rng % 200;
        let v = format!("v{}", *rng % 100_000);
        match (*rng >> 20) % 8 {
            0 | 1 => {
                p.set(format!("s:{k}"), &v).ignore();
                model.insert(format!("s:{k}"), Some(v));
            }
            2 => {
                p.del(format!("s:{k}")).ignore();
                model.insert(format!("s:{k}"), None);
            }
            3 => {
                p.hset(format!("h:{}", k % 20), format!("f{k}"), &v).ignore();
            }
            4 => {
                p.rpush(format!("l:{}", k % 10), &v).ignore();
            }
            5 => {
                p.zadd(format!("z:{}", k % 10), &v, (*rng % 1000) as f64).ignore();
            }
            6 => {
                p.incr(format!("c:{}", k % 30), 1 + (*rng % 5) as i64).ignore();
            }
            _ => {
                // An absolute expiry far ahead: the digest includes it, and it never fires.
                p.cmd("EXPIREAT").arg(format!("h:{}", k % 20)).arg(4_102_444_800u64).ignore();
            }
        }
    }
    let () = p.query(c).unwrap();
}

/// Notes the state between two writes, far enough from both that their records' times fall
/// on either side of it.
fn mark(c: &mut redis::Connection, model: &BTreeMap<String, Option<String>>) -> Point {
    std::thread::sleep(Duration::from_millis(15));
    let p = Point { ms: unix_ms(), digest: digest(c), keys: redis::cmd("DBSIZE").query(c).unwrap(), strings: model.clone() };
    std::thread::sleep(Duration::from_millis(15));
    p
}

fn bgsave(c: &mut redis::Connection) {
    let _: String = redis::cmd("BGSAVE").query(c).unwrap();
    wait_no_snapshot(c);
}

/// Starts a server on `out` and checks it holds `want`.
fn assert_holds(out: &Path, want: &Point, what: &str) {
    let mut s = Server::start_in(out, &[]);
    s.keep_dir();
    let mut c = s.client();
    assert_eq!(digest(&mut c), want.digest, "{what}: digest");
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, want.keys, "{what}: keys");
    for (k, v) in &want.strings {
        let got: Option<String> = c.get(k).unwrap();
        assert_eq!(&got, v, "{what}: {k}");
    }
}

fn restored_offset(text: &str) -> u64 {
    let at = text.find("holds the state at log offset ").unwrap_or_else(|| panic!("{text}")) + "holds the state at log offset ".len();
    text[at..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

#[test]
fn a_restore_to_three_points_in_time_holds_what_the_server_held_then() {
    let dir = temp_dir("pitr-src");
    let src = Server::start_in(&dir, &["--segment-size", "65536", "--log-retention-hours", "1"]);
    let mut c = src.client();
    let (mut rng, mut model) = (0x9e37_79b9_7f4a_7c15u64, BTreeMap::new());
    let mut points = Vec::new();
    // Point 1 lies before any snapshot; point 2 after the first, with snapshots taken after
    // it too; point 3 after the third and before the fourth. Retention keeps the log that
    // point 1 needs and the snapshot point 2 starts from although two newer ones exist.
    // 'w': 1500 writes, 'p': a point, 's': a snapshot, 'e': 500 writes at the end.
    for step in "wpwswpwswswpwse".chars() {
        match step {
            'w' => write_some(&mut c, &mut rng, 1500, &mut model),
            'e' => write_some(&mut c, &mut rng, 500, &mut model),
            'p' => points.push(mark(&mut c, &model)),
            _ => bgsave(&mut c),
        }
    }
    let segs = files(&dir, ".seg");
    assert!(segs.len() >= 10 && segs[0] == "00000000000000000000.seg", "the log from its start is retained: {segs:?}");
    // The newest two, and the first: the window reaches before every snapshot, so the first
    // one after its start stays as its next anchor (and the log from offset 0 with it).
    assert_eq!(files(&dir, ".snap").len(), 3);

    let d = dir.display().to_string();
    let mut offsets = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let out = temp_dir("pitr-out");
        std::fs::remove_dir(&out).unwrap();
        // RFC 3339 for one point, Unix seconds with milliseconds for the others.
        let t = if i == 1 { keel::util::log::format_rfc3339(p.ms as i64) } else { format!("{}.{:03}", p.ms / 1000, p.ms % 1000) };
        let (code, text) = aof_repair(&["restore", "--to-time", &t, "--out", out.to_str().unwrap(), &d]);
        assert_eq!(code, 0, "{text}");
        let from_snapshot = text.lines().any(|l| l.starts_with("from snapshot:") && l.contains(".snap"));
        assert_eq!(from_snapshot, i > 0, "point {i}: {text}");
        offsets.push(restored_offset(&text));
        assert_holds(&out, p, &format!("point {} at {t}", i + 1));
    }
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");

    // The same point by offset, and an offset past the end.
    let out = temp_dir("pitr-off");
    let (code, text) = aof_repair(&["restore", "--to-offset", &offsets[1].to_string(), "--out", out.to_str().unwrap(), &d]);
    assert_eq!((code, restored_offset(&text)), (0, offsets[1]), "{text}");
    assert_holds(&out, &points[1], "point 2 by offset");
    let out = temp_dir("pitr-end");
    let (code, text) = aof_repair(&["restore", "--to-offset", "999999999999", "--out", out.to_str().unwrap(), &d]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("past the end of the log"), "{text}");
    // The output must be new or empty.
    let (code, text) = aof_repair(&["restore", "--to-offset", "0", "--out", &d, &d]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("not empty"), "{text}");

    // Without retention the next snapshot lets the old log go, and the old points with it.
    let () = redis::cmd("CONFIG").arg("SET").arg("log-retention-hours").arg("0").query(&mut c).unwrap();
    bgsave(&mut c);
    assert_ne!(files(&dir, ".seg")[0], "00000000000000000000.seg");
    let out = temp_dir("pitr-gone");
    std::fs::remove_dir(&out).unwrap();
    let t = format!("{}.{:03}", points[0].ms / 1000, points[0].ms % 1000);
    let (code, text) = aof_repair(&["restore", "--to-time", &t, "--out", out.to_str().unwrap(), &d]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("older than what") && text.contains("log-retention-hours"), "{text}");
    assert!(!out.exists(), "a refused restore creates nothing");
}
