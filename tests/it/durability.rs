//! Durability of a real server process: acknowledged writes survive `kill -9` and restart.
//! (SIGKILL keeps the page cache, so this proves process-crash safety; power loss is the
//! SimFs property tests' job.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keel::protocol::frame::Frame;
use redis::Commands;

use crate::common::{int, ok, st, temp_dir, Raw, Server};

const WRITERS: usize = 4;

/// What one writer thread knows: the last INCR value acknowledged, the number of INCRs sent,
/// and the SETs acknowledged (k:<writer>:<i> = i).
#[derive(Default, Clone)]
struct Acked {
    counter: i64,
    counter_sent: i64,
    sets: Vec<u64>,
    set_sent: u64,
}

fn writer(port: u16, w: usize, stop: Arc<AtomicBool>, acked: Arc<Mutex<Acked>>) {
    let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) else { return };
    let Ok(mut c) = client.get_connection() else { return };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let key = format!("c:{w}");
    let mut i = acked.lock().unwrap().set_sent;
    // Bounded: the main thread kills the server within a second.
    for _ in 0..1_000_000 {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        acked.lock().unwrap().counter_sent += 1;
        let Ok(v) = c.incr::<_, _, i64>(&key, 1) else { return };
        acked.lock().unwrap().counter = v;
        i += 1;
        acked.lock().unwrap().set_sent = i;
        if c.set::<_, _, ()>(format!("k:{w}:{i}"), i).is_err() {
            return;
        }
        acked.lock().unwrap().sets.push(i);
    }
}

fn check(s: &Server, acked: &[Arc<Mutex<Acked>>], round: usize) {
    let mut c = s.client();
    for (w, a) in acked.iter().enumerate() {
        let a = a.lock().unwrap().clone();
        let v: Option<i64> = c.get(format!("c:{w}")).unwrap();
        let v = v.unwrap_or(0);
        assert!(v >= a.counter, "round {round}: writer {w}'s counter is {v}, but {} was acknowledged", a.counter);
        assert!(v <= a.counter_sent, "round {round}: writer {w}'s counter is {v}, more than the {} INCRs sent", a.counter_sent);
        for &i in &a.sets {
            let got: Option<u64> = c.get(format!("k:{w}:{i}")).unwrap();
            assert_eq!(got, Some(i), "round {round}: acknowledged SET k:{w}:{i} lost");
        }
        let unsent: Option<u64> = c.get(format!("k:{w}:{}", a.set_sent + 1)).unwrap();
        assert_eq!(unsent, None, "round {round}: a SET that was never sent exists");
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    kill_9_rounds("kill9", &[], 20);
}

/// Under everysec a reply waits for the write (done inline by the executor), not the fsync:
/// a process crash keeps the page cache, so it loses nothing acknowledged either.
#[test]
fn everysec_acknowledged_writes_survive_kill_9() {
    kill_9_rounds("kill9-everysec", &["--appendfsync", "everysec"], 8);
}

/// Under `no` the reply waits for the same inline write: a process crash loses nothing
/// acknowledged (a power loss may lose what the kernel had not written back).
#[test]
fn appendfsync_no_acknowledged_writes_survive_kill_9() {
    kill_9_rounds("kill9-no", &["--appendfsync", "no"], 4);
}

/// Rounds of concurrent writers and kill -9; returns the names in `<dir>/log` at the end.
pub(crate) fn kill_9_rounds(name: &str, args: &[&str], rounds: usize) -> Vec<String> {
    let dir = temp_dir(name);
    let acked: Vec<Arc<Mutex<Acked>>> = (0..WRITERS).map(|_| Arc::default()).collect();
    let mut seed: u64 = 0x5EED_0000_0000_0001;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut total_acked = 0;
    for round in 0..rounds {
        let s = Server::start_in(&dir, args);
        check(&s, &acked, round);
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (stop, a, port) = (stop.clone(), acked[w].clone(), s.port);
                std::thread::spawn(move || writer(port, w, stop, a))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(30 + rand() % 120));
        s.kill9();
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
        total_acked = acked.iter().map(|a| a.lock().unwrap().sets.len()).sum::<usize>();
    }
    let mut s = Server::start_in(&dir, args);
    check(&s, &acked, rounds);
    assert!(total_acked > 100, "the writers got through: {total_acked} acknowledged SETs");
    s.keep_dir();
    drop(s);
    let left = std::fs::read_dir(dir.join("log"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    left
}

#[test]
fn a_second_server_on_the_same_directory_is_refused() {
    let s = Server::start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keel-server"))
        .args(["--port", &crate::common::free_port().to_string(), "--dir", &s.dir.display().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Can't lock the log directory"), "{text}");
}

fn info_field(c: &mut redis::Connection, name: &str) -> String {
    let info: String = redis::cmd("INFO").arg("persistence").query(c).unwrap();
    info.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or_else(|| panic!("no {name} in {info}")).to_string()
}

#[test]
fn info_persistence_reports_the_log() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(info_field(&mut c, "aof_enabled"), "1");
    assert_eq!(info_field(&mut c, "aof_last_write_status"), "ok");
    let fsyncs: u64 = info_field(&mut c, "keel_log_fsyncs").parse().unwrap();
    for i in 0..5 {
        let _: () = c.set(format!("k{i}"), i).unwrap();
    }
    // Under appendfsync always, a reply means durable: nothing written is left unsynced.
    let written: u64 = info_field(&mut c, "keel_log_written_offset").parse().unwrap();
    let durable: u64 = info_field(&mut c, "keel_log_durable_offset").parse().unwrap();
    assert!(written > 0 && durable == written, "written {written}, durable {durable}");
    let after: u64 = info_field(&mut c, "keel_log_fsyncs").parse().unwrap();
    assert!(after >= fsyncs + 5, "one fsync per acknowledged write here: {fsyncs} -> {after}");
    let hist = info_field(&mut c, "keel_log_fsync_latency_usec");
    let total: u64 = hist.split(',').map(|b| b.split('=').nth(1).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(total, after, "{hist}");
    assert_eq!(info_field(&mut c, "aof_current_size"), written.to_string());
    let _: () = redis::cmd("CONFIG").arg("SET").arg("appendfsync").arg("everysec").query(&mut c).unwrap();
    let _: () = c.set("x", 1).unwrap();
    let cache = Server::start_with(&["--appendonly", "no"]);
    let mut cc = cache.client();
    assert_eq!(info_field(&mut cc, "aof_enabled"), "0");
    let _: () = cc.set("x", 1).unwrap();
    let segments = std::fs::read_dir(cache.dir.join("log"))
        .map_or(0, |d| d.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".seg")).count());
    assert_eq!(segments, 0, "appendonly no writes no log");
}

#[test]
fn sigterm_closes_the_log_and_a_restart_finds_every_write() {
    let dir = temp_dir("term");
    let mut s = Server::start_in(&dir, &["--appendfsync", "no"]);
    let mut c = s.client();
    for i in 0..200 {
        let _: () = c.set(format!("k{i}"), i).unwrap();
    }
    let _: () = redis::cmd("MULTI").query(&mut c).unwrap();
    let _: () = redis::cmd("INCR").arg("n").query(&mut c).unwrap();
    let _: () = redis::cmd("EXPIRE").arg("n").arg("1000").query(&mut c).unwrap();
    let _: Vec<i64> = redis::cmd("EXEC").query(&mut c).unwrap();
    s.keep_dir();
    assert!(s.signal_and_wait("TERM").success(), "exit 0 on SIGTERM");
    drop(s);
    let r = Server::start_in(&dir, &[]);
    let mut c = r.client();
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 201);
    let v: i64 = c.get("k199").unwrap();
    assert_eq!(v, 199);
    let ttl: i64 = c.ttl("n").unwrap();
    assert!((990..=1000).contains(&ttl), "the TTL survives as an absolute time: {ttl}");
    assert!(r.log_text().contains("Log loaded: 201 records"), "{}", r.log_text());
    assert!(r.log_text().contains("records/s"), "start-up reports the replay rate: {}", r.log_text());
}

fn pair(a: i64, b: i64) -> Frame {
    Frame::Array(vec![int(a), int(b)])
}

fn info_line(c: &mut Raw, section: &str, name: &str) -> String {
    let Frame::Bulk(b) = c.cmd(&["INFO", section]) else { panic!("INFO is a bulk string") };
    let text = String::from_utf8(b).unwrap();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or_else(|| panic!("no {name}")).to_string()
}

#[test]
fn waitaof_waits_for_the_fsync_of_the_callers_own_writes() {
    let s = Server::start();
    let mut c = s.raw();
    // Nothing written yet: the (empty) log is durable.
    assert_eq!(c.q("WAITAOF 1 0 0"), pair(1, 0));
    for (line, err) in [
        ("WAITAOF 2 0 0", "ERR value is out of range, value must between 0 and 1"),
        ("WAITAOF -1 0 0", "ERR value is out of range, value must between 0 and 1"),
        ("WAITAOF x 0 0", "ERR value is not an integer or out of range"),
        ("WAITAOF 1 -1 0", "ERR value is out of range, must be positive"),
        ("WAITAOF 1 0 -1", "ERR timeout is negative"),
        ("WAITAOF 1 0 x", "ERR timeout is not an integer or out of range"),
        ("WAITAOF 1 0", "ERR wrong number of arguments for 'waitaof' command"),
    ] {
        assert_eq!(c.q(line), Frame::Error(err.as_bytes().to_vec()), "{line}");
    }

    // always: pipelined behind its write, WAITAOF runs before the fsync and blocks until it.
    c.send(b"SET a 1\r\nWAITAOF 1 0 0\r\n");
    assert_eq!((c.read(), c.read()), (ok(), pair(1, 0)));

    // everysec: the write's reply does not wait for the fsync; WAITAOF does.
    assert_eq!(c.q("CONFIG SET appendfsync everysec"), ok());
    let started = Instant::now();
    c.send(b"SET b 2\r\nWAITAOF 1 0 0\r\n");
    assert_eq!((c.read(), c.read()), (ok(), pair(1, 0)));
    assert!(started.elapsed() < Duration::from_secs(3), "the once-a-second fsync came: {:?}", started.elapsed());
    let written: u64 = info_line(&mut c, "persistence", "keel_log_written_offset").parse().unwrap();
    let durable: u64 = info_line(&mut c, "persistence", "keel_log_durable_offset").parse().unwrap();
    assert_eq!(durable, written, "WAITAOF 1 replied, so the caller's write is fsynced");

    // no: nothing fsyncs, so WAITAOF 1 gives up at its timeout with numlocal 0.
    assert_eq!(c.q("CONFIG SET appendfsync no"), ok());
    let started = Instant::now();
    c.send(b"SET c 3\r\nWAITAOF 1 0 100\r\n");
    assert_eq!((c.read(), c.read()), (ok(), pair(0, 0)));
    // Millisecond clock: the deadline may fall up to a millisecond before 100 ms have passed.
    assert!(started.elapsed() >= Duration::from_millis(98), "{:?}", started.elapsed());
    // Inside MULTI it never blocks.
    c.send(b"MULTI\r\nWAITAOF 1 1 0\r\nEXEC\r\n");
    assert_eq!((c.read(), c.read(), c.read()), (ok(), st("QUEUED"), Frame::Array(vec![pair(0, 0)])));

    // No replicas yet: numreplicas 1 waits for the timeout; the blocked client shows as such
    // and one that goes away while blocked is dropped.
    assert_eq!(c.q("CONFIG SET appendfsync always"), ok());
    let started = Instant::now();
    assert_eq!(c.q("WAITAOF 0 1 100"), pair(1, 0));
    // Millisecond clock: the deadline may fall up to a millisecond before 100 ms have passed.
    assert!(started.elapsed() >= Duration::from_millis(98), "{:?}", started.elapsed());
    let mut blocked = s.raw();
    blocked.send(b"WAITAOF 0 1 0\r\n");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(info_line(&mut c, "clients", "blocked_clients"), "1");
    let Frame::Bulk(list) = c.q("CLIENT LIST") else { panic!() };
    let list = String::from_utf8(list).unwrap();
    assert!(list.lines().any(|l| l.contains("flags=b ") && l.contains("cmd=waitaof")), "{list}");
    drop(blocked);
    let deadline = Instant::now() + Duration::from_secs(5);
    while info_line(&mut c, "clients", "connected_clients") != "1" {
        assert!(Instant::now() < deadline, "a client that left while blocked is dropped");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(info_line(&mut c, "clients", "blocked_clients"), "0");

    // CLIENT UNBLOCK ends a blocked WAIT/WAITAOF as at its timeout, or with Redis's error.
    for (blocked_cmd, how, want) in [
        ("WAIT 1 0", "TIMEOUT", int(0)),
        ("WAITAOF 0 1 0", "TIMEOUT", pair(1, 0)),
        ("WAITAOF 0 1 0", "ERROR", Frame::Error(b"UNBLOCKED client unblocked via CLIENT UNBLOCK".to_vec())),
    ] {
        let mut w = s.raw();
        let Frame::Int(id) = w.q("CLIENT ID") else { panic!() };
        w.send(format!("{blocked_cmd}\r\n").as_bytes());
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(c.q(&format!("CLIENT UNBLOCK {id} {how}")), int(1), "{blocked_cmd}");
        assert_eq!(w.read(), want, "{blocked_cmd} {how}");
        assert_eq!(c.q(&format!("CLIENT UNBLOCK {id}")), int(0), "no longer blocked");
    }

    // appendonly no: numlocal cannot be asked for.
    let cache = Server::start_with(&["--appendonly", "no"]);
    let mut cc = cache.raw();
    assert_eq!(
        cc.q("WAITAOF 1 0 0"),
        Frame::Error(b"ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.".to_vec())
    );
    assert_eq!(cc.q("WAITAOF 0 0 0"), pair(0, 0));
}

/// Writes `n` acknowledged SETs (each fsynced before the next: each record proves the ones
/// before it durable), stops the server, and returns the data directory and first segment.
fn logged_dir(tag: &str, n: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = temp_dir(tag);
    let mut s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    for i in 0..n {
        let _: () = c.set(format!("k{i}"), "v".repeat(50)).unwrap();
    }
    s.keep_dir();
    assert!(s.signal_and_wait("TERM").success());
    let seg = dir.join("log").join(format!("{:020}.seg", 0));
    assert!(seg.exists(), "{}", seg.display());
    (dir, seg)
}

/// Starts keel-server on `dir` expecting it to refuse; a server that starts instead is
/// killed after 10 s and reported with exit code -1.
fn start_refused(dir: &std::path::Path) -> (i32, String) {
    let log = dir.join("refused.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keel-server"))
        .args(["--port", &crate::common::free_port().to_string(), "--dir", &dir.display().to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("run keel-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (code, std::fs::read_to_string(&log).unwrap_or_default())
}

#[test]
fn mid_log_damage_refuses_to_start_naming_the_file_and_offset() {
    let (dir, seg) = logged_dir("midlog", 10);
    let mut bytes = std::fs::read(&seg).unwrap();
    // A payload byte of the first record (at 64, right after the segment header).
    bytes[64 + 45] ^= 0x10;
    std::fs::write(&seg, &bytes).unwrap();
    let (code, text) = start_refused(&dir);
    assert!(code > 0, "exits with an error code, not running on: {code} {text}");
    for want in ["00000000000000000000.seg", "offset 0", "aof-repair"] {
        assert!(text.contains(want), "the refusal names {want}: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_torn_tail_is_truncated_and_reported_then_writes_go_on() {
    let (dir, seg) = logged_dir("torn", 10);
    let mut bytes = std::fs::read(&seg).unwrap();
    // The first zero after the records (the segment is preallocated): a torn, unsynced record.
    let end = (64..bytes.len()).rev().find(|&i| bytes[i] != 0).map_or(64, |i| i + 1);
    bytes[end..end + 30].fill(0xAB);
    std::fs::write(&seg, &bytes).unwrap();
    let s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 10, "every acknowledged write is back");
    let log = s.log_text();
    assert!(log.contains("Truncated") && log.contains("bytes of unsynced log tail"), "{log}");
    let _: () = c.set("after", 1).unwrap();
    drop(c);
    drop(s);
}
