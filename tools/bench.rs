//! `keel-bench`: Keel and a reference redis-server side by side, in one run.
//!
//! Starts both servers (persistence off on both), then for every row (command × pipeline
//! depth) runs `redis-benchmark` against each, alternating which goes first, for several
//! rounds, and prints the median throughput of each, the ratio Keel/Redis and the p99
//! latencies. Then loads the same 1,000,000 small keys into each and compares memory.
//! Servers are pinned to CPU 1 and the load generator to CPU 0 when `taskset` exists, so the
//! two never compete for a core and rounds are comparable.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "keel-bench", about = "Benchmark Keel against redis-server side by side")]
struct Args {
    /// Rounds per row (the median is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Requests per run at pipeline 1 (16x that at pipeline 16).
    #[arg(long, default_value_t = 200_000)]
    requests: u64,
    /// Commands to benchmark (redis-benchmark -t names).
    #[arg(long, value_delimiter = ',', default_value = "set,get,incr,mset")]
    tests: Vec<String>,
    /// Pipeline depths.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    pipelines: Vec<u32>,
    /// Keys loaded for the memory comparison (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    memory_keys: usize,
    /// Extra arguments for keel-server (e.g. "--appendfsync everysec").
    #[arg(long, allow_hyphen_values = true)]
    keel_args: Vec<String>,
    /// Extra arguments for redis-server.
    #[arg(long, allow_hyphen_values = true)]
    redis_args: Vec<String>,
}

struct Proc(Child, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn has(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Runs `program args` pinned to `cpu` when taskset is available.
fn pinned(cpu: u32, program: &str) -> Command {
    if has("taskset") {
        let mut c = Command::new("taskset");
        c.args(["-c", &cpu.to_string(), program]);
        c
    } else {
        Command::new(program)
    }
}

fn start(program: &str, args: &[String], tag: &str) -> (Proc, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let dir = std::env::temp_dir().join(format!("keel-bench-{tag}-{port}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut child = pinned(1, program)
        .args(["--port", &port.to_string(), "--dir", &dir.display().to_string()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    for _ in 0..2000 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (Proc(child, dir), port);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{program} did not start");
}

/// One redis-benchmark run: (requests per second, p99 latency in ms).
fn run_benchmark(port: u16, test: &str, pipeline: u32, requests: u64) -> (f64, f64) {
    let out = pinned(0, "redis-benchmark")
        .args(["-p", &port.to_string(), "-c", "50", "-r", "1000000", "-n", &requests.to_string(), "-P", &pipeline.to_string()])
        .args(["-t", test, "--csv"])
        .output()
        .expect("redis-benchmark must be installed (apt-get install redis-tools)");
    let text = String::from_utf8_lossy(&out.stdout);
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    let line = text.lines().find(|l| !l.starts_with("\"test\"") && l.contains(',')).unwrap_or_else(|| panic!("no result: {text}"));
    let f: Vec<f64> = line.split(',').skip(1).map(|v| v.trim_matches('"').parse().unwrap_or(f64::NAN)).collect();
    (f[0], f[5])
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn call(s: &mut TcpStream, args: &[&[u8]]) -> Vec<u8> {
    let mut b = Vec::new();
    keel::protocol::encode_request(args, &mut b);
    s.write_all(&b).expect("write");
    let mut buf = Vec::new();
    loop {
        let mut tmp = [0u8; 65536];
        let n = s.read(&mut tmp).expect("read");
        buf.extend_from_slice(&tmp[..n]);
        if let Ok(Some((f, _))) = keel::protocol::frame::parse(&buf) {
            return f.as_bytes().map(<[u8]>::to_vec).unwrap_or_default();
        }
    }
}

fn memory(port: u16) -> (u64, u64) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let info = String::from_utf8_lossy(&call(&mut s, &[b"INFO", b"memory"])).into_owned();
    let field =
        |name: &str| info.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    (field("used_memory"), field("used_memory_rss"))
}

/// Loads `n` keys of 16 bytes with 32-byte values, pipelined.
fn load(port: u16, n: usize) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let value = [b'v'; 32];
    let mut sent = 0;
    while sent < n {
        let batch = (n - sent).min(10_000);
        let mut b = Vec::with_capacity(batch * 64);
        for i in sent..sent + batch {
            let key = format!("key:{i:012}");
            keel::protocol::encode_request(&[&b"SET"[..], key.as_bytes(), &value], &mut b);
        }
        s.write_all(&b).expect("write");
        let mut want = batch * 5;
        let mut tmp = vec![0u8; 1 << 16];
        while want > 0 {
            let got = s.read(&mut tmp).expect("read");
            assert!(got > 0, "server closed");
            want = want.saturating_sub(got);
        }
        sent += batch;
    }
}

fn main() {
    let a = Args::parse();
    let exe = std::env::current_exe().expect("exe").with_file_name("keel-server");
    let mut keel_args: Vec<String> = ["--appendonly", "no", "--save", ""].iter().map(|s| (*s).to_string()).collect();
    keel_args.extend(a.keel_args.iter().cloned());
    let mut redis_args: Vec<String> =
        ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"].iter().map(|s| (*s).to_string()).collect();
    redis_args.extend(a.redis_args.iter().cloned());
    let (_k, kport) = start(&exe.display().to_string(), &keel_args, "keel");
    let (_r, rport) = start("redis-server", &redis_args, "redis");
    let version =
        Command::new("redis-server").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    println!("reference: {}", version.trim());
    println!("| test | pipeline | keel ops/s | redis ops/s | ratio keel/redis | keel p99 ms | redis p99 ms |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for &p in &a.pipelines {
        for t in &a.tests {
            let n = a.requests * u64::from(p.min(16));
            let (mut kr, mut rr, mut kp, mut rp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for round in 0..a.rounds {
                let order = if round % 2 == 0 { [kport, rport] } else { [rport, kport] };
                for port in order {
                    let (rps, p99) = run_benchmark(port, t, p, n);
                    if port == kport {
                        kr.push(rps);
                        kp.push(p99);
                    } else {
                        rr.push(rps);
                        rp.push(p99);
                    }
                }
            }
            let (k, r) = (median(kr), median(rr));
            println!("| {} | {p} | {k:.0} | {r:.0} | {:.2} | {:.3} | {:.3} |", t.to_uppercase(), k / r, median(kp), median(rp));
        }
    }
    if a.memory_keys > 0 {
        println!();
        println!("| memory, {} keys (16-byte keys, 32-byte values) | keel | redis | ratio |", a.memory_keys);
        println!("| --- | --- | --- | --- |");
        // Fresh servers: memory freed by FLUSHALL stays resident and would hide RSS growth.
        let mut rows = Vec::new();
        for (program, args, tag) in
            [(exe.display().to_string(), &keel_args, "keel-mem"), ("redis-server".to_string(), &redis_args, "redis-mem")]
        {
            let (_p, port) = start(&program, args, tag);
            std::thread::sleep(Duration::from_millis(300));
            let before = memory(port);
            load(port, a.memory_keys);
            std::thread::sleep(Duration::from_millis(300));
            let after = memory(port);
            rows.push((after.0.saturating_sub(before.0), after.1.saturating_sub(before.1), after.0));
        }
        let per = |b: u64| b as f64 / a.memory_keys as f64;
        let (k, r) = (rows[0], rows[1]);
        println!("| used_memory growth, bytes/key | {:.1} | {:.1} | {:.2} |", per(k.0), per(r.0), per(k.0) / per(r.0));
        println!("| RSS growth, bytes/key | {:.1} | {:.1} | {:.2} |", per(k.1), per(r.1), per(k.1) / per(r.1));
        println!("| used_memory total, MB | {:.1} | {:.1} | {:.2} |", k.2 as f64 / 1e6, r.2 as f64 / 1e6, k.2 as f64 / r.2 as f64);
    }
}
