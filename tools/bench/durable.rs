//! Scenarios with persistence on both servers: reads during fsync-bound writes (`mixed`) and
//! restart time from a log of the same writes (`replay`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::{call, int_reply, load, median, spawn_server, start, Args};

/// Persistence arguments for either server, with the given `appendfsync`.
fn persistent(program: &str, fsync: &str) -> Vec<String> {
    let mut v: Vec<&str> = vec!["--save", "", "--appendonly", "yes", "--appendfsync", fsync];
    if program == "redis-server" {
        v.extend(["--bind", "127.0.0.1", "--aof-use-rdb-preamble", "no", "--auto-aof-rewrite-percentage", "0"]);
    }
    v.iter().map(|s| (*s).to_string()).collect()
}

/// One redis-benchmark run of SETs (25 clients) in the background, pinned like the others.
fn background_sets(port: u16, requests: u64) -> Child {
    let pin = crate::client_pin();
    std::process::Command::new("bash")
        .args(["-c", &format!("{pin}redis-benchmark \"$@\""), "redis-benchmark"])
        .args(["-p", &port.to_string(), "-c", "25", "-r", "100000", "-n", &requests.to_string(), "-t", "set", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-benchmark")
}

/// GET latency while another client set writes under `appendfsync always`: Redis's reads
/// wait for their event-loop turn's fsync; Keel's reads of durable keys need not wait at all.
pub fn mixed(a: &Args, keel: &str) {
    println!("| round | keel GET p99 ms | redis GET p99 ms | ratio keel/redis | keel GET ops/s | redis GET ops/s |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let servers = [(keel.to_string(), "keel"), ("redis-server".to_string(), "redis")];
    let started: Vec<_> = servers.iter().map(|(p, tag)| start(p, &persistent(p, "always"), tag)).collect();
    for (_, port) in &started {
        load(*port, 100_000);
    }
    let mut ratios = Vec::new();
    for round in 0..a.rounds {
        let mut p99 = [0.0; 2];
        let mut rps = [0.0; 2];
        // Alternate who goes first: the machine's noise drifts within a run.
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let port = started[i].1;
            let mut sets = background_sets(port, 10_000_000);
            std::thread::sleep(Duration::from_millis(300));
            let f = mixed_gets(port, a.requests);
            let _ = sets.kill();
            let _ = sets.wait();
            (p99[i], rps[i]) = (f[5], f[0]);
        }
        ratios.push(p99[0] / p99[1]);
        println!("| {round} | {:.3} | {:.3} | {:.2} | {:.0} | {:.0} |", p99[0], p99[1], p99[0] / p99[1], rps[0], rps[1]);
    }
    println!("| median | | | {:.2} | | |", median(ratios));
}

/// GETs over the preloaded keys, 25 clients, while the SETs run.
fn mixed_gets(port: u16, requests: u64) -> Vec<f64> {
    let pin = crate::client_pin();
    let out = std::process::Command::new("bash")
        .args(["-c", &format!("{pin}redis-benchmark \"$@\""), "redis-benchmark"])
        .args(["-p", &port.to_string(), "-c", "25", "-r", "100000", "-n", &requests.to_string(), "-t", "get", "--csv"])
        .output()
        .expect("redis-benchmark");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("\"GET")).unwrap_or_else(|| panic!("no GET result: {text}"));
    line.split(',').skip(1).map(|v| v.trim_matches('"').parse().unwrap_or(f64::NAN)).collect()
}

/// Writes SETs (`key:<i % keys>`, 100-byte values) pipelined until `bytes` of commands were
/// sent; returns how many. The same sequence goes to both servers.
fn write_log(port: u16, bytes: u64, keys: u64) -> u64 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let value = [b'v'; 100];
    let (mut sent_bytes, mut n) = (0u64, 0u64);
    let mut tmp = vec![0u8; 1 << 16];
    while sent_bytes < bytes {
        let mut b = Vec::with_capacity(1 << 20);
        let first = n;
        while b.len() < 1 << 20 {
            let key = format!("key:{:012}", n % keys);
            keel::protocol::encode_request(&[&b"SET"[..], key.as_bytes(), &value], &mut b);
            n += 1;
        }
        s.write_all(&b).expect("write");
        sent_bytes += b.len() as u64;
        let mut want = (n - first) * 5;
        while want > 0 {
            let got = s.read(&mut tmp).expect("read");
            assert!(got > 0, "server closed");
            want = want.saturating_sub(got as u64);
        }
    }
    n
}

pub(crate) fn info_u64(port: u16, field: &str) -> u64 {
    info_field(port, field).parse().unwrap_or(0)
}

/// A field of INFO persistence, as text ("" when absent).
pub(crate) fn info_field(port: u16, field: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let info = String::from_utf8_lossy(&call(&mut s, &[b"INFO", b"persistence"])).into_owned();
    info.lines().find_map(|l| l.strip_prefix(&format!("{field}:"))).map(|v| v.trim().to_string()).unwrap_or_default()
}

/// Starts `program` on `dir` and times it until it answers PING with PONG (not LOADING).
pub(crate) fn time_to_ready(program: &str, args: &[String], dir: &Path) -> (Child, u16, f64) {
    let started = Instant::now();
    let (mut child, port) = spawn_server(program, args, dir);
    while started.elapsed() < Duration::from_secs(600) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(600)));
            let mut b = [0u8; 64];
            if s.write_all(b"PING\r\n").is_ok() && s.read(&mut b).is_ok_and(|n| b[..n].starts_with(b"+PONG")) {
                return (child, port, started.elapsed().as_secs_f64());
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{program} did not load within 600 s");
}

pub(crate) fn stop(mut child: Child, port: u16) {
    if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.write_all(b"SHUTDOWN NOSAVE\r\n");
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Restart time from a log of the same writes: Keel's segments against Redis's AOF without
/// the RDB preamble, each loaded by a fresh process, one after the other in one run.
pub fn replay(a: &Args, keel: &str) {
    println!(
        "| {} MB of SET commands, {} keys | log on disk MB | restart until PONG s | MB/s of log | keys after |",
        a.replay_mb, a.replay_keys
    );
    println!("| --- | --- | --- | --- | --- |");
    let mut times = Vec::new();
    for (program, tag) in [(keel.to_string(), "keel"), ("redis-server".to_string(), "redis")] {
        let args = persistent(&program, "everysec");
        let dir: PathBuf = std::env::temp_dir().join(format!("keel-bench-replay-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let (child, port, _) = time_to_ready(&program, &args, &dir);
        write_log(port, a.replay_mb * 1_000_000, a.replay_keys);
        // What the server says its log holds (Keel's segment files are preallocated).
        let size = info_u64(port, "aof_current_size");
        stop(child, port);
        let (child, port, secs) = time_to_ready(&program, &args, &dir);
        let keys = int_reply(port, &[b"DBSIZE"]);
        stop(child, port);
        let _ = std::fs::remove_dir_all(&dir);
        println!("| {tag} | {:.0} | {secs:.2} | {:.0} |  {keys} |", size as f64 / 1e6, size as f64 / 1e6 / secs);
        times.push(secs);
    }
    println!("| ratio keel/redis | | {:.2} | | |", times[0] / times[1]);
}
