//! Durability of a real server process: acknowledged writes survive `kill -9` and restart.
//! (SIGKILL keeps the page cache, so this proves process-crash safety; power loss is the
//! SimFs property tests' job.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::Commands;

use crate::common::{temp_dir, Server};

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

fn kill_9_rounds(name: &str, args: &[&str], rounds: usize) {
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
    let _ = std::fs::remove_dir_all(&dir);
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
    assert!(!cache.dir.join("log").exists(), "appendonly no writes no log");
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
}
