//! Snapshots on a real server process: BGSAVE/SAVE/BGREWRITEAOF and their replies, restart
//! from a snapshot plus the log after it, automatic compaction bounding the log, fallback
//! past a damaged snapshot, a clear refusal when nothing covers the gap, and kill -9 in the
//! middle of snapshots.

use std::path::Path;
use std::time::{Duration, Instant};

use keel::protocol::frame::Frame;
use redis::Commands;

use crate::common::{ok, st, temp_dir, Reference, Server};

pub(crate) fn info_field(c: &mut redis::Connection, name: &str) -> String {
    let info: String = redis::cmd("INFO").arg("persistence").query(c).unwrap();
    info.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or_else(|| panic!("no {name} in {info}")).trim().to_string()
}

pub(crate) fn wait_no_snapshot(c: &mut redis::Connection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_field(c, "rdb_bgsave_in_progress") == "1" || info_field(c, "aof_rewrite_in_progress") == "1" {
        assert!(Instant::now() < deadline, "the snapshot never finished");
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub(crate) fn digest(c: &mut redis::Connection) -> String {
    redis::cmd("DEBUG").arg("DIGEST").query(c).unwrap()
}

pub(crate) fn files(dir: &Path, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("log"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(suffix)).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn pipeline_sets(c: &mut redis::Connection, prefix: &str, n: usize, value_len: usize) {
    let value = "v".repeat(value_len);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut p = redis::pipe();
        for i in chunk {
            p.set(format!("{prefix}{i}"), &value).ignore();
        }
        let () = p.query(c).unwrap();
    }
}

#[test]
fn bgsave_then_restart_from_snapshot_and_log() {
    let dir = temp_dir("snap-restart");
    let mut s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    pipeline_sets(&mut c, "k", 5000, 40);
    let () = c.set_ex("ttl", "x", 1000).unwrap();
    let () = redis::cmd("SELECT").arg(3).query(&mut c).unwrap();
    let () = c.set("in3", 42).unwrap();
    let () = redis::cmd("SELECT").arg(0).query(&mut c).unwrap();
    let before: i64 = redis::cmd("LASTSAVE").query(&mut c).unwrap();
    let reply: String = redis::cmd("BGSAVE").query(&mut c).unwrap();
    assert_eq!(reply, "Background saving started");
    wait_no_snapshot(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    assert_eq!(info_field(&mut c, "keel_snapshot_keys"), "5002");
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    let after: i64 = redis::cmd("LASTSAVE").query(&mut c).unwrap();
    assert!(after >= before);
    assert_eq!(files(&dir, ".snap").len(), 1, "one snapshot file");
    // Writes after the snapshot come back from the log.
    let () = c.set("later", "yes").unwrap();
    let _: i64 = c.incr("k7", 1).unwrap_or(0);
    let _: i64 = c.del("k8").unwrap();
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "2");
    let want = digest(&mut c);
    s.keep_dir();
    assert!(s.signal_and_wait("TERM").success());
    drop(s);
    let s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    assert_eq!(digest(&mut c), want);
    let ttl: i64 = c.ttl("ttl").unwrap();
    assert!(ttl > 900 && ttl <= 1000, "the expiry is kept: {ttl}");
    assert!(s.log_text().contains("Snapshot") && s.log_text().contains("loaded: 5002 keys"), "{}", s.log_text());
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), "5002");
}

#[test]
fn save_bgsave_bgrewriteaof_replies_match_redis() {
    let s = Server::start();
    let r = Reference::start();
    let (mut k, mut rr) = (s.raw(), r.raw());
    for cmd in [&["BGSAVE", "foo"][..], &["BGSAVE", "SCHEDULE", "x"], &["SAVE", "x"], &["BGREWRITEAOF", "x"]] {
        assert_eq!(k.cmd(cmd), rr.cmd(cmd), "{cmd:?}");
    }
    // Inside MULTI, SAVE is refused and BGSAVE is scheduled, as in Redis.
    for raw in [&mut k, &mut rr] {
        assert_eq!(raw.cmd(&["MULTI"]), ok());
    }
    assert_eq!(k.cmd(&["SAVE"]), rr.cmd(&["SAVE"]));
    assert_eq!(k.cmd(&["DISCARD"]), rr.cmd(&["DISCARD"]));
    assert_eq!(k.cmd(&["MULTI"]), ok());
    assert_eq!(k.cmd(&["BGSAVE"]), st("QUEUED"));
    assert_eq!(k.cmd(&["EXEC"]), Frame::Array(vec![st("Background saving scheduled")]));
    let mut c = s.client();
    wait_no_snapshot(&mut c);
    // The scheduled one ran.
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "rdb_saves") != "1" {
        assert!(Instant::now() < deadline, "the scheduled BGSAVE never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(k.cmd(&["SAVE"]), ok());
    assert_eq!(info_field(&mut c, "rdb_saves"), "2");
    assert_eq!(k.cmd(&["BGREWRITEAOF"]), st("Background append only file rewriting started"));
    wait_no_snapshot(&mut c);
    assert_eq!(info_field(&mut c, "aof_rewrites"), "1");
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
}

#[test]
fn automatic_snapshots_bound_the_log() {
    let dir = temp_dir("snap-auto");
    let args = ["--segment-size", "65536", "--auto-aof-rewrite-min-size", "262144", "--auto-aof-rewrite-percentage", "50"];
    let mut s = Server::start_in(&dir, &args);
    let mut c = s.client();
    // ~14 MB of log, over 200 segments' worth.
    for _ in 0..3 {
        pipeline_sets(&mut c, "key:", 20_000, 200);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(&mut c, "aof_rewrites").parse::<u64>().unwrap() < 2 {
        assert!(Instant::now() < deadline, "no automatic snapshot");
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_no_snapshot(&mut c);
    let segments = files(&dir, ".seg").len() as u64;
    let written = info_field(&mut c, "aof_current_size").parse::<u64>().unwrap() / 65536;
    assert!(written > 200 && segments < written / 3, "old segments are deleted: {segments} left of {written}");
    assert!(files(&dir, ".snap").len() <= 2, "at most two snapshots kept");
    let want = digest(&mut c);
    s.keep_dir();
    drop(s);
    let s = Server::start_in(&dir, &args);
    assert_eq!(digest(&mut s.client()), want);
}

/// Writes, takes a snapshot with SAVE, three times; returns the digest at the end.
fn three_snapshots(s: &Server) -> String {
    let mut c = s.client();
    for round in 0..3 {
        pipeline_sets(&mut c, &format!("r{round}:"), 3000, 30);
        let () = redis::cmd("SAVE").query(&mut c).unwrap();
    }
    pipeline_sets(&mut c, "tail:", 100, 30);
    digest(&mut c)
}

fn damage(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x40;
    std::fs::write(path, b).unwrap();
}

#[test]
fn a_damaged_newest_snapshot_falls_back_to_the_previous_one() {
    let dir = temp_dir("snap-fallback");
    let args = ["--segment-size", "8192"];
    let mut s = Server::start_in(&dir, &args);
    let want = three_snapshots(&s);
    s.keep_dir();
    assert!(s.signal_and_wait("TERM").success());
    drop(s);
    let snaps = files(&dir, ".snap");
    assert_eq!(snaps.len(), 2, "two kept: {snaps:?}");
    damage(&dir.join("log").join(&snaps[1]));
    let s = Server::start_in(&dir, &args);
    assert_eq!(digest(&mut s.client()), want, "nothing lost: the older snapshot and the log cover it");
    assert!(s.log_text().contains("is damaged"), "{}", s.log_text());
    assert_eq!(files(&dir, ".snap.damaged"), vec![format!("{}.damaged", snaps[1])]);
}

#[test]
fn no_covering_log_refuses_to_start_with_the_reason() {
    let dir = temp_dir("snap-refuse");
    let args = ["--segment-size", "8192"];
    let mut s = Server::start_in(&dir, &args);
    three_snapshots(&s);
    s.keep_dir();
    assert!(s.signal_and_wait("TERM").success());
    drop(s);
    for name in files(&dir, ".snap") {
        damage(&dir.join("log").join(name));
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keel-server"))
        .args(["--port", &crate::common::free_port().to_string(), "--dir", &dir.display().to_string(), "--segment-size", "8192"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "it must not start without the data");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("missing log between") && text.contains("is damaged"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kill_9_in_the_middle_of_a_snapshot() {
    let dir = temp_dir("snap-kill");
    let args = ["--auto-aof-rewrite-percentage", "0", "--max-recovery-seconds", "0"];
    let s = Server::start_in(&dir, &args);
    let mut c = s.client();
    pipeline_sets(&mut c, "key:", 1_000_000, 60);
    let () = c.set("last", "one").unwrap();
    let reply: String = redis::cmd("BGSAVE").query(&mut c).unwrap();
    assert_eq!(reply, "Background saving started");
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "1", "still running when killed");
    s.kill9();
    let s = Server::start_in(&dir, &args);
    let mut c = s.client();
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 1_000_001);
    assert_eq!(c.get::<_, String>("last").unwrap(), "one");
    assert!(files(&dir, ".tmp").is_empty(), "the unfinished file is removed");
}

#[test]
fn without_the_log_save_points_and_save_persist_like_rdb() {
    let dir = temp_dir("snap-nolog");
    let args = ["--appendonly", "no", "--save", "1 1"];
    let mut s = Server::start_in(&dir, &args);
    let mut c = s.client();
    let () = c.set("a", "1").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "rdb_saves") == "0" {
        assert!(Instant::now() < deadline, "the save point never fired");
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_no_snapshot(&mut c);
    let () = c.set("b", "2").unwrap();
    let () = redis::cmd("SAVE").query(&mut c).unwrap();
    let () = c.set("c", "unsaved").unwrap();
    s.keep_dir();
    drop(s); // kill: c was never saved, as with Redis's RDB
    let s = Server::start_in(&dir, &args);
    let mut c = s.client();
    assert_eq!(c.get::<_, Option<String>>("a").unwrap().as_deref(), Some("1"));
    assert_eq!(c.get::<_, Option<String>>("b").unwrap().as_deref(), Some("2"));
    assert_eq!(c.get::<_, Option<String>>("c").unwrap(), None);
    assert!(files(&dir, ".seg").is_empty(), "no log without appendonly");
}

#[test]
fn kill_9_while_snapshots_run_loses_nothing_acknowledged() {
    let left = crate::durability::kill_9_rounds(
        "kill9-snapshots",
        &["--segment-size", "32768", "--auto-aof-rewrite-min-size", "65536", "--auto-aof-rewrite-percentage", "10"],
        8,
    );
    assert!(left.iter().any(|n| n.ends_with(".snap")), "snapshots were taken meanwhile: {left:?}");
}

/// While a big snapshot loads, the port answers: -LOADING to commands, INFO with the
/// progress; a connection made meanwhile is served normally once the load ends.
#[test]
fn clients_get_loading_and_progress_while_the_dataset_loads() {
    let dir = temp_dir("snap-loading");
    let args = ["--auto-aof-rewrite-percentage", "0", "--max-recovery-seconds", "0"];
    let mut s = Server::start_in(&dir, &args);
    let mut c = s.client();
    pipeline_sets(&mut c, "key:", 1_000_000, 40);
    let () = redis::cmd("SAVE").query(&mut c).unwrap();
    s.keep_dir();
    assert!(s.signal_and_wait("TERM").success());
    drop(s);
    let port = crate::common::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keel-server"))
        .args(["--port", &port.to_string(), "--dir", &dir.display().to_string()])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut raw = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            break crate::common::Raw::from_stream(s);
        }
        assert!(Instant::now() < deadline, "never listened");
        std::thread::sleep(Duration::from_millis(1));
    };
    let (mut loading, mut info_seen) = (false, false);
    let served = loop {
        assert!(Instant::now() < deadline, "never finished loading");
        match raw.cmd(&["GET", "key:7"]) {
            Frame::Error(e) if e.starts_with(b"LOADING") => {
                if !loading {
                    // A framing error while loading gets Redis's text too (then the close).
                    let mut bad = crate::common::Raw::connect(port);
                    bad.send(b"*abc\r\n");
                    assert_eq!(bad.read(), Frame::Error(b"ERR Protocol error: invalid multibulk length".to_vec()));
                }
                loading = true;
            }
            other => break other,
        }
        if let Frame::Bulk(b) = raw.cmd(&["INFO", "persistence"]) {
            let text = String::from_utf8_lossy(&b).into_owned();
            if text.contains("loading:1") {
                assert!(text.contains("loading_eta_seconds:") && text.contains("loading_total_bytes:"), "{text}");
                info_seen = true;
            }
        }
    };
    assert_eq!(served, crate::common::bulk(&"v".repeat(40)));
    assert!(loading && info_seen, "the load was observed: LOADING {loading}, INFO {info_seen}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// DUMP payloads are Redis's bytes, and each server restores the other's.
#[test]
fn dump_payloads_are_redis_bytes_and_move_both_ways() {
    let s = Server::start();
    let r = Reference::start();
    let (mut k, mut rr) = (s.raw(), r.raw());
    let random: Vec<u8> = (0..100u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let values: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        b"".to_vec(),
        b"12345".to_vec(),
        b"-7".to_vec(),
        b"2147483648".to_vec(),
        b"-9223372036854775808".to_vec(),
        b"007".to_vec(),
        b"exactly twenty bytes".to_vec(),
        random,
    ];
    for (i, v) in values.iter().enumerate() {
        let key = format!("v{i}");
        for raw in [&mut k, &mut rr] {
            assert_eq!(raw.cmd(&[b"SET".to_vec(), key.clone().into_bytes(), v.clone()]), ok());
        }
        let (kd, rd) = (k.cmd(&["DUMP", &key]), rr.cmd(&["DUMP", &key]));
        assert_eq!(kd, rd, "DUMP of {v:?}");
        let Frame::Bulk(payload) = rd else { panic!("no payload") };
        let back = format!("back{i}");
        for raw in [&mut k, &mut rr] {
            assert_eq!(raw.cmd(&[b"RESTORE".to_vec(), back.clone().into_bytes(), b"0".to_vec(), payload.clone()]), ok());
            assert_eq!(raw.cmd(&["GET", &back]), Frame::Bulk(v.clone()));
        }
    }
    // A long compressible string: Redis compresses it with LZF, Keel does not; each reads
    // the other's payload.
    let long = "abc".repeat(100);
    for raw in [&mut k, &mut rr] {
        assert_eq!(raw.cmd(&["SET", "long", &long]), ok());
    }
    let (Frame::Bulk(kp), Frame::Bulk(rp)) = (k.cmd(&["DUMP", "long"]), rr.cmd(&["DUMP", "long"])) else { panic!("no payloads") };
    assert!(rp.len() < kp.len(), "Redis's payload is LZF-compressed");
    assert_eq!(k.cmd(&[b"RESTORE".to_vec(), b"fromredis".to_vec(), b"0".to_vec(), rp]), ok());
    assert_eq!(rr.cmd(&[b"RESTORE".to_vec(), b"fromkeel".to_vec(), b"0".to_vec(), kp]), ok());
    assert_eq!(k.cmd(&["GET", "fromredis"]), Frame::Bulk(long.clone().into_bytes()));
    assert_eq!(rr.cmd(&["GET", "fromkeel"]), Frame::Bulk(long.into_bytes()));
}

#[test]
fn debug_reload_keeps_the_dataset() {
    let s = Server::start();
    let mut c = s.client();
    pipeline_sets(&mut c, "k", 2000, 30);
    let () = c.set_ex("ttl", "x", 500).unwrap();
    let () = redis::cmd("SELECT").arg(5).query(&mut c).unwrap();
    let () = c.set("five", 5).unwrap();
    let want = digest(&mut c);
    let () = redis::cmd("DEBUG").arg("RELOAD").query(&mut c).unwrap();
    assert_eq!(digest(&mut c), want);
    let () = redis::cmd("SELECT").arg(0).query(&mut c).unwrap();
    let ttl: i64 = c.ttl("ttl").unwrap();
    assert!(ttl > 400 && ttl <= 500, "{ttl}");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
}

#[test]
fn config_set_appendonly_turns_the_log_on_and_off() {
    let dir = temp_dir("snap-aof-toggle");
    let s = Server::start_in(&dir, &["--appendonly", "no"]);
    let mut c = s.client();
    pipeline_sets(&mut c, "before:", 1000, 20);
    let () = redis::cmd("CONFIG").arg("SET").arg("appendonly").arg("yes").query(&mut c).unwrap();
    assert_eq!(info_field(&mut c, "aof_enabled"), "1");
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "aof_rewrites") == "0" {
        assert!(Instant::now() < deadline, "the snapshot that makes earlier writes durable never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    pipeline_sets(&mut c, "after:", 1000, 20);
    let want = digest(&mut c);
    s.kill9();
    let s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    assert_eq!(digest(&mut c), want, "writes before and after turning the log on survive kill -9");
    let () = redis::cmd("CONFIG").arg("SET").arg("appendonly").arg("no").query(&mut c).unwrap();
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    let () = c.set("unlogged", 1).unwrap();
    s.kill9();
    let s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    assert_eq!(digest(&mut c), want, "a write made with the log off is not in it");
}

/// Without the log, SHUTDOWN saves when save points are set (Redis saves its RDB), SHUTDOWN
/// NOSAVE does not, and SHUTDOWN SAVE always does.
#[test]
fn shutdown_saves_without_the_log_like_redis() {
    let dir = temp_dir("snap-shutdown");
    for (args, shutdown, kept) in [
        (&["--appendonly", "no", "--save", "3600 1"][..], "SHUTDOWN", true),
        (&["--appendonly", "no", "--save", "3600 1"][..], "SHUTDOWN NOSAVE", false),
        (&["--appendonly", "no", "--save", ""][..], "SHUTDOWN", false),
        (&["--appendonly", "no", "--save", ""][..], "SHUTDOWN SAVE", true),
    ] {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = Server::start_in(&dir, args);
        let mut c = s.client();
        let () = c.set("k", "v").unwrap();
        let words: Vec<&str> = shutdown.split(' ').collect();
        s.raw().send_cmd(&words);
        assert!(s.wait_exit(Duration::from_secs(10)).is_some_and(|st| st.success()), "{shutdown} exits");
        s.keep_dir();
        drop(s);
        let s = Server::start_in(&dir, args);
        let got: Option<String> = s.client().get("k").unwrap();
        assert_eq!(got.is_some(), kept, "{args:?} then {shutdown}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_snapshot_finishes_while_a_write_load_saturates_its_core() {
    // Every thread of the server on one CPU (threads inherit server_cpulist), and clients
    // pipelining writes as fast as it answers: the compactor, which compresses under
    // SCHED_IDLE, would get almost nothing; once its queue stays full it is lifted to the
    // normal policy at nice 19 and the snapshot finishes while the load goes on.
    let dir = temp_dir("snap-starve");
    let args = ["--server_cpulist", "0", "--auto-aof-rewrite-percentage", "0", "--max-recovery-seconds", "0"];
    let s = Server::start_in(&dir, &args);
    let mut c = s.client();
    pipeline_sets(&mut c, "key:", 300_000, 60);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..2)
        .map(|t| {
            let (stop, mut c) = (stop.clone(), s.client());
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut batches = 0u64;
                // Bounded: at most 90 s whatever happens.
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && started.elapsed() < Duration::from_secs(90) {
                    let mut p = redis::pipe();
                    for i in 0..500 {
                        p.set(format!("key:{}", ((batches * 500 + i) * 7 + t) % 300_000), "w").ignore();
                    }
                    let () = p.query(&mut c).unwrap();
                    batches += 1;
                }
                batches
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let reply: String = redis::cmd("BGSAVE").query(&mut c).unwrap();
    assert_eq!(reply, "Background saving started");
    wait_no_snapshot(&mut c);
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let batches: Vec<u64> = load.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert!(batches.iter().all(|&b| b > 10), "the load ran throughout: {batches:?} batches in {took:?}");
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 300_000);
}
