//! The collections scenario: list, hash, set and sorted-set commands side by side with
//! redis-server (rounds alternate who goes first; the ratio is the median of per-round
//! ratios), then the memory of a 1,000,000-member sorted set, 1,000,000 small hashes and a
//! 1,000,000-element list on fresh servers.
//!
//! The rank and range rows run on a leaderboard of `--zset-members` members loaded first, so
//! they measure O(log n) work on a big set, not a small one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::{cpu_ticks, median, memory, start, Args};

/// The rows: a name and the redis-benchmark command (`__rand_int__` is replaced by it).
const ROWS: &[(&str, &[&str])] = &[
    ("LPUSH", &["LPUSH", "mylist", "element:__rand_int__"]),
    ("RPOP", &["RPOP", "mylist"]),
    ("HSET", &["HSET", "myhash", "field:__rand_int__", "value"]),
    ("SADD", &["SADD", "myset", "element:__rand_int__"]),
    ("ZADD", &["ZADD", "myzset", "__rand_int__", "element:__rand_int__"]),
    ("ZINCRBY", &["ZINCRBY", "lb", "1", "player:__rand_int__"]),
    ("ZRANK", &["ZRANK", "lb", "player:__rand_int__"]),
    ("ZRANGE 0 9", &["ZRANGE", "lb", "0", "9"]),
];

/// Sends `cmds` (already encoded, `n` of them) and reads until `n` replies have come back:
/// counting the CRLF-terminated reply lines each simple reply ends with.
fn pipeline(s: &mut TcpStream, cmds: &[u8], n: usize) {
    s.write_all(cmds).expect("write");
    let mut got = 0;
    let mut tmp = vec![0u8; 1 << 16];
    // Every reply here is one line (an integer or +OK), so lines count replies.
    while got < n {
        let k = s.read(&mut tmp).expect("read");
        assert!(k > 0, "server closed");
        got += tmp[..k].iter().filter(|&&b| b == b'\n').count();
    }
}

/// Loads a batch of single-line-reply commands made by `make(i)` for i in 0..n.
fn load_with(port: u16, n: usize, make: impl Fn(usize, &mut Vec<u8>)) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut i = 0;
    while i < n {
        let batch = (n - i).min(10_000);
        let mut b = Vec::with_capacity(batch * 64);
        for j in i..i + batch {
            make(j, &mut b);
        }
        pipeline(&mut s, &b, batch);
        i += batch;
    }
}

fn load_leaderboard(port: u16, n: usize) {
    load_with(port, n, |i, b| {
        let (score, member) = ((i * 7919 % n).to_string(), format!("player:{i}"));
        keel::protocol::encode_request(&[&b"ZADD"[..], b"lb", score.as_bytes(), member.as_bytes()], b);
    });
}

/// One redis-benchmark run of a custom command: (ops/s, p99 ms).
fn bench(port: u16, cmd: &[&str], pipeline: u32, requests: u64, keyspace: usize) -> (f64, f64) {
    let pin = crate::client_pin();
    let script = format!("{pin}redis-benchmark \"$@\"");
    let out = Command::new("bash")
        .args(["-c", &script, "redis-benchmark"])
        .args(["-p", &port.to_string(), "-c", "50", "-r", &keyspace.to_string(), "-n", &requests.to_string(), "-P", &pipeline.to_string()])
        .arg("--csv")
        .args(cmd)
        .output()
        .expect("bash runs redis-benchmark");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with('"') && !l.starts_with("\"test\"") && l.contains(','))
        .unwrap_or_else(|| panic!("no result (is redis-benchmark installed? apt-get install redis-tools): {text}"));
    let f: Vec<f64> = line.rsplitn(8, ',').map(|v| v.trim_matches('"').parse().unwrap_or(f64::NAN)).collect();
    // rsplitn gives the fields backwards: max, p99, p95, p50, min, avg, rps, name.
    (f[6], f[1])
}

pub fn collections(a: &Args, keel: &str, keel_args: &[String], redis_args: &[String]) {
    let (kproc, kport) = start(keel, keel_args, "keel-coll");
    let (rproc, rport) = start("redis-server", redis_args, "redis-coll");
    println!("keel-server {}", keel_args.join(" "));
    println!("redis-server {}", redis_args.join(" "));
    for port in [kport, rport] {
        load_leaderboard(port, a.zset_members);
    }
    println!("| command | pipeline | keel ops/s | redis ops/s | ratio keel/redis | ratio range | keel p99 ms | redis p99 ms | keel CPU µs/op | redis CPU µs/op |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &p in &a.pipelines {
        for (name, cmd) in ROWS.iter().filter(|(name, _)| a.rows.is_empty() || a.rows.iter().any(|r| r.eq_ignore_ascii_case(name))) {
            let n = a.requests * u64::from(p.clamp(1, 8));
            let (mut k, mut r) = (Vec::new(), Vec::new());
            for round in 0..a.rounds {
                let order = if round % 2 == 0 { [kport, rport] } else { [rport, kport] };
                for port in order {
                    let pid = if port == kport { kproc.0.id() } else { rproc.0.id() };
                    let before = cpu_ticks(pid);
                    let (rps, p99) = bench(port, cmd, p, n, a.zset_members);
                    let cpu_us = (cpu_ticks(pid) - before) as f64 * 10_000.0 / n as f64;
                    if port == kport { &mut k } else { &mut r }.push((rps, p99, cpu_us));
                }
            }
            let ratios: Vec<f64> = k.iter().zip(&r).map(|(k, r)| k.0 / r.0).collect();
            let (lo, hi) = ratios.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            let col = |v: &[(f64, f64, f64)], f: fn(&(f64, f64, f64)) -> f64| median(v.iter().map(f).collect());
            println!(
                "| {name} | {p} | {:.0} | {:.0} | {:.2} | {lo:.2}–{hi:.2} | {:.3} | {:.3} | {:.2} | {:.2} |",
                col(&k, |x| x.0),
                col(&r, |x| x.0),
                median(ratios.clone()),
                col(&k, |x| x.1),
                col(&r, |x| x.1),
                col(&k, |x| x.2),
                col(&r, |x| x.2),
            );
        }
    }
    drop((kproc, rproc));
    if a.memory_keys > 0 {
        memory_rows(a, keel, keel_args, redis_args);
    }
}

/// used_memory growth for each shape, on fresh servers (one per shape and server).
fn memory_rows(a: &Args, keel: &str, keel_args: &[String], redis_args: &[String]) {
    let n = a.memory_keys;
    println!();
    println!("| memory ({n}) | keel used_memory MB | redis used_memory MB | ratio keel/redis |");
    println!("| --- | --- | --- | --- |");
    type Loader = fn(u16, usize);
    let shapes: [(&str, Loader); 3] = [
        ("sorted set of n members", load_leaderboard),
        ("n hashes of 5 fields", |port, n| {
            load_with(port, n, |i, b| {
                let key = format!("user:{i}");
                let f: [&[u8]; 12] =
                    [b"HSET", key.as_bytes(), b"name", b"somebody", b"age", b"42", b"city", b"Lisbon", b"score", b"1234", b"active", b"1"];
                keel::protocol::encode_request(&f, b);
            });
        }),
        ("list of n elements", |port, n| {
            load_with(port, n / 100, |i, b| {
                let items: Vec<String> = (0..100).map(|j| format!("job:{}", i * 100 + j)).collect();
                let mut args: Vec<&[u8]> = vec![b"RPUSH", b"jobs"];
                args.extend(items.iter().map(String::as_bytes));
                keel::protocol::encode_request(&args, b);
            });
        }),
    ];
    for (name, loader) in shapes {
        let mut used = Vec::new();
        for (program, args, tag) in [(keel, keel_args, "keel-mem"), ("redis-server", redis_args, "redis-mem")] {
            let (_p, port) = start(program, args, tag);
            std::thread::sleep(Duration::from_millis(200));
            let before = memory(port).0;
            loader(port, n);
            std::thread::sleep(Duration::from_millis(200));
            used.push(memory(port).0.saturating_sub(before));
        }
        println!("| {name} | {:.1} | {:.1} | {:.2} |", used[0] as f64 / 1e6, used[1] as f64 / 1e6, used[0] as f64 / used[1] as f64);
    }
}
