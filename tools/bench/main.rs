//! `keel-bench`: Keel and a reference redis-server side by side, in one run.
//!
//! Starts both servers (persistence off on both), then for every row (command × pipeline
//! depth) runs `redis-benchmark` against each, alternating which goes first, for several
//! rounds, and prints the median throughput of each, the median of the per-round ratios
//! Keel/Redis with their range, the p99 latencies, each server's CPU time per operation and
//! how busy redis-benchmark's own core was (at pipeline 1 the single-threaded client, not the
//! server, is usually the bottleneck: see docs/performance.md). Then loads the same 1,000,000 small keys into each and compares memory.
//! Servers are pinned to CPU 1 and the load generator to CPU 0 when `taskset` exists, so the
//! two never compete for a core and rounds are comparable.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;
use keel::protocol::frame::Frame;

mod collections;
mod durable;
mod scenarios;
mod snapshot;

#[derive(Parser, Debug)]
#[command(name = "keel-bench", about = "Benchmark Keel against redis-server side by side")]
struct Args {
    /// The CPU (0 or 1) the servers are pinned to; load generators get the other. On this
    /// VM the disk's interrupts are taken by CPU 1 (/proc/interrupts, not movable here).
    #[arg(long, default_value_t = 1)]
    server_cpu: u32,
    /// Rounds per row (medians are reported).
    #[arg(long, default_value_t = 7)]
    rounds: usize,
    /// Requests per run at pipeline 1 (up to 8x that when pipelined).
    #[arg(long, default_value_t = 200_000)]
    requests: u64,
    /// Commands to benchmark (redis-benchmark -t names).
    #[arg(long, value_delimiter = ',', default_value = "set,get,incr,mset")]
    tests: Vec<String>,
    /// Rows of the collections scenario to run (names as printed, e.g. "SADD,ZRANGE 0 9";
    /// empty: all).
    #[arg(long, value_delimiter = ',')]
    rows: Vec<String>,
    /// Pipeline depths.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    pipelines: Vec<u32>,
    /// Keys loaded for the memory comparison (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    memory_keys: usize,
    /// Extra arguments for keel-server (e.g. "--appendfsync everysec").
    #[arg(long, allow_hyphen_values = true)]
    keel_args: Vec<String>,
    /// Extra arguments for redis-server (for the reference server).
    #[arg(long, allow_hyphen_values = true)]
    redis_args: Vec<String>,
    /// The reference server of the throughput table: redis (redis-server), or keel (a second
    /// keel-server with `--redis-args`, to price a setting: e.g. `always` against no log).
    #[arg(long, default_value = "redis")]
    reference: String,
    /// throughput (the default table), growth (load many keys, worst SET latency), expiry
    /// (many keys expiring at once: reclaim time and GET latency meanwhile), mixed (GET
    /// latency during SETs, both servers `appendfsync always`) or replay (restart time from
    /// a log of the same writes), snapshot (latency, memory and restart around a snapshot),
    /// collections (list, hash, set and sorted-set commands, and their memory).
    #[arg(long, default_value = "throughput")]
    scenario: String,
    /// Servers the growth and expiry scenarios run against.
    #[arg(long, value_delimiter = ',', default_value = "keel,redis")]
    servers: Vec<String>,
    /// Keys loaded by the growth scenario.
    #[arg(long, default_value_t = 10_000_000)]
    growth_keys: u64,
    /// Keys that expire together in the expiry scenario.
    #[arg(long, default_value_t = 1_000_000)]
    expiry_keys: usize,
    /// Megabytes of SET commands the replay scenario writes before restarting each server
    /// (822 MB of commands make 1 GiB of Keel log: each record adds a 40-byte header and the
    /// 4-byte db to the command).
    #[arg(long, default_value_t = 822)]
    replay_mb: u64,
    /// Distinct keys those SETs cycle through.
    #[arg(long, default_value_t = 2_000_000)]
    replay_keys: u64,
    /// Members of the leaderboard the collections scenario's ZINCRBY, ZRANK and ZRANGE rows
    /// run on (and the key space of its other rows).
    #[arg(long, default_value_t = 1_000_000)]
    zset_members: usize,
    /// Keys loaded by the snapshot scenario.
    #[arg(long, default_value_t = 5_000_000)]
    snapshot_keys: u64,
    /// Snapshot scenario without the snapshot: the "during" runs measure the machine's own
    /// noise between two identical runs.
    #[arg(long)]
    snapshot_control: bool,
    /// Trials per server in the snapshot scenario: each is a run without a snapshot, then a
    /// snapshot with the same run during it, so the two alternate on the same data.
    #[arg(long, default_value_t = 3)]
    snapshot_trials: usize,
}

struct Proc(Child, PathBuf);

/// CPU time (user + system) a process has used, in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    let Some(rest) = s.rfind(')').map(|i| &s[i + 1..]) else { return 0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    t(11) + t(12)
}

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

/// The CPU servers are pinned to (`--server-cpu`); load generators get the other one.
static SERVER_CPU: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

fn server_cpu() -> u32 {
    SERVER_CPU.load(std::sync::atomic::Ordering::Relaxed)
}

/// The shell prefix that pins a load generator to the CPU the servers do not use.
pub(crate) fn client_pin() -> String {
    if has("taskset") {
        format!("taskset -c {} ", 1 - server_cpu().min(1))
    } else {
        String::new()
    }
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

/// Spawns `program` pinned to the server core on a free port and data directory `dir`.
fn spawn_server(program: &str, args: &[String], dir: &std::path::Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let child = pinned(server_cpu(), program)
        .args(["--port", &port.to_string(), "--dir", &dir.display().to_string()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    (child, port)
}

fn start(program: &str, args: &[String], tag: &str) -> (Proc, u16) {
    static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("keel-bench-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (mut child, port) = spawn_server(program, args, &dir);
    for _ in 0..2000 {
        if keel::testkit::serving(port) {
            return (Proc(child, dir), port);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{program} did not start");
}

/// One redis-benchmark run: (requests per second, p99 latency in ms).
/// One measured run: throughput, p99 and how busy the load generator's own core was.
struct Run {
    rps: f64,
    p99: f64,
    /// redis-benchmark's CPU time over wall time: near 1.0 means the client, not the server,
    /// set the pace, and the row compares the servers only through the client's eyes.
    client_busy: f64,
}

fn run_benchmark(port: u16, test: &str, pipeline: u32, requests: u64) -> Run {
    let started = std::time::Instant::now();
    let (f, client_cpu) = benchmark_timed(port, test, pipeline, requests, 1_000_000);
    Run { rps: f[0], p99: f[5], client_busy: client_cpu / started.elapsed().as_secs_f64() }
}

/// The CSV fields of one redis-benchmark run: rps, avg, min, p50, p95, p99, max (ms).
fn benchmark_fields(port: u16, test: &str, pipeline: u32, requests: u64, keyspace: u64) -> Vec<f64> {
    benchmark_timed(port, test, pipeline, requests, keyspace).0
}

/// Runs redis-benchmark pinned to CPU 0 and returns its CSV fields and the CPU seconds it
/// used (from the shell's `times`, so no extra tool is needed).
fn benchmark_timed(port: u16, test: &str, pipeline: u32, requests: u64, keyspace: u64) -> (Vec<f64>, f64) {
    let pin = crate::client_pin();
    let script = format!("{pin}redis-benchmark \"$@\"; times");
    let out = Command::new("bash")
        .args(["-c", &script, "redis-benchmark"])
        .args(["-p", &port.to_string(), "-c", "50", "-r", &keyspace.to_string(), "-n", &requests.to_string(), "-P", &pipeline.to_string()])
        .args(["-t", test, "--csv"])
        .output()
        .expect("bash runs redis-benchmark");
    let text = String::from_utf8_lossy(&out.stdout);
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    let line = text
        .lines()
        .find(|l| l.starts_with('"') && !l.starts_with("\"test\"") && l.contains(','))
        .unwrap_or_else(|| panic!("no result (is redis-benchmark installed? apt-get install redis-tools): {text}"));
    let fields = line.split(',').skip(1).map(|v| v.trim_matches('"').parse().unwrap_or(f64::NAN)).collect();
    // `times` prints the shell's own user/sys, then its children's: "0m0.310s 0m3.000s".
    let children = text.lines().last().unwrap_or("");
    let cpu = children.split_whitespace().map(parse_times).sum();
    (fields, cpu)
}

/// "1m2.500s" -> 62.5
fn parse_times(v: &str) -> f64 {
    let v = v.trim_end_matches('s');
    let (m, s) = v.split_once('m').unwrap_or(("0", v));
    m.parse::<f64>().unwrap_or(0.0) * 60.0 + s.parse::<f64>().unwrap_or(0.0)
}

fn int_reply(port: u16, args: &[&[u8]]) -> i64 {
    match request(&mut TcpStream::connect(("127.0.0.1", port)).expect("connect"), args) {
        Frame::Int(v) => v,
        other => panic!("expected an integer reply, got {other:?}"),
    }
}

fn main() {
    let a = Args::parse();
    SERVER_CPU.store(a.server_cpu.min(1), std::sync::atomic::Ordering::Relaxed);
    if a.scenario != "throughput" {
        let exe = std::env::current_exe().expect("exe").with_file_name("keel-server").display().to_string();
        let mut keel_args: Vec<String> = ["--appendonly", "no", "--save", ""].iter().map(|s| (*s).to_string()).collect();
        keel_args.extend(a.keel_args.iter().cloned());
        let mut redis_args: Vec<String> =
            ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"].iter().map(|s| (*s).to_string()).collect();
        redis_args.extend(a.redis_args.iter().cloned());
        if a.scenario == "collections" {
            collections::collections(&a, &exe, &keel_args, &redis_args);
            return;
        }
        let servers: Vec<_> = [("keel", exe, keel_args), ("redis", "redis-server".to_string(), redis_args)]
            .into_iter()
            .filter(|(name, _, _)| a.servers.iter().any(|s| s == name))
            .collect();
        let keel = &servers.first().map_or(String::new(), |s| s.1.clone());
        match a.scenario.as_str() {
            "growth" => scenarios::growth(&a, &servers),
            "expiry" => scenarios::expiry(&a, &servers),
            "mixed" => durable::mixed(&a, keel),
            "replay" => durable::replay(&a, keel),
            "snapshot" => snapshot::snapshot(&a, keel),
            other => panic!("unknown scenario {other}"),
        }
        return;
    }
    throughput(&a);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn call(s: &mut TcpStream, args: &[&[u8]]) -> Vec<u8> {
    request(s, args).as_bytes().map(<[u8]>::to_vec).unwrap_or_default()
}

/// Sends one command and reads its whole reply.
fn request(s: &mut TcpStream, args: &[&[u8]]) -> Frame {
    let mut b = Vec::new();
    keel::protocol::encode_request(args, &mut b);
    s.write_all(&b).expect("write");
    let mut buf = Vec::new();
    loop {
        let mut tmp = [0u8; 65536];
        let n = s.read(&mut tmp).expect("read");
        assert!(n > 0, "connection closed before a reply");
        buf.extend_from_slice(&tmp[..n]);
        if let Ok(Some((f, _))) = keel::protocol::frame::parse(&buf) {
            return f;
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
        send_sets(&mut s, &b, batch);
        sent += batch;
    }
}

/// Sends a pipeline of `n` SETs and reads their `n` +OK replies (5 bytes each).
fn send_sets(s: &mut TcpStream, pipeline: &[u8], n: usize) {
    s.write_all(pipeline).expect("write");
    let mut want = n * 5;
    let mut tmp = vec![0u8; 1 << 16];
    while want > 0 {
        let got = s.read(&mut tmp).expect("read");
        assert!(got > 0, "server closed");
        want = want.saturating_sub(got);
    }
}

fn throughput(a: &Args) {
    let exe = std::env::current_exe().expect("exe").with_file_name("keel-server");
    let mut keel_args: Vec<String> = ["--appendonly", "no", "--save", ""].iter().map(|s| (*s).to_string()).collect();
    keel_args.extend(a.keel_args.iter().cloned());
    let mut redis_args: Vec<String> =
        ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"].iter().map(|s| (*s).to_string()).collect();
    redis_args.extend(a.redis_args.iter().cloned());
    let (kproc, kport) = start(&exe.display().to_string(), &keel_args, "keel");
    let (rproc, rport) = if a.reference == "keel" {
        let mut args: Vec<String> = ["--appendonly", "no", "--save", ""].iter().map(|s| (*s).to_string()).collect();
        args.extend(a.redis_args.iter().cloned());
        println!("reference: keel-server {}", args.join(" "));
        start(&exe.display().to_string(), &args, "keel-ref")
    } else {
        let version = Command::new("redis-server")
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        println!("reference: {}", version.trim());
        start("redis-server", &redis_args, "redis")
    };
    let (kpid, rpid) = (kproc.0.id(), rproc.0.id());
    let r = if a.reference == "keel" { "ref" } else { "redis" };
    println!(
        "| test | pipeline | keel ops/s | {r} ops/s | ratio keel/{r} | ratio range | keel p99 ms | {r} p99 ms | keel CPU µs/op | {r} CPU µs/op | client core busy |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &p in &a.pipelines {
        for t in &a.tests {
            // A pipelined run is as long as an unpipelined one at several times the rate; MSET
            // sets ten keys a command, so it gets fewer.
            let mut n = a.requests * u64::from(p.clamp(1, 8));
            if t == "mset" && p > 1 {
                n /= 4;
            }
            let mut keel = Vec::new();
            let mut redis = Vec::new();
            for round in 0..a.rounds {
                // Alternate who goes first, and pair each round: a ratio within one round is
                // far steadier on a shared machine than a ratio of medians taken minutes apart.
                let order = if round % 2 == 0 { [kport, rport] } else { [rport, kport] };
                for port in order {
                    let pid = if port == kport { kpid } else { rpid };
                    let before = cpu_ticks(pid);
                    let run = run_benchmark(port, t, p, n);
                    // Server CPU per operation: steadier than throughput on a shared machine.
                    let cpu_us = (cpu_ticks(pid) - before) as f64 * 10_000.0 / n as f64;
                    if port == kport { &mut keel } else { &mut redis }.push((run, cpu_us));
                }
            }
            let ratios: Vec<f64> = keel.iter().zip(&redis).map(|(k, r)| k.0.rps / r.0.rps).collect();
            let (lo, hi) = ratios.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &r| (lo.min(r), hi.max(r)));
            let col = |v: &[(Run, f64)], f: fn(&(Run, f64)) -> f64| median(v.iter().map(f).collect());
            println!(
                "| {} | {p} | {:.0} | {:.0} | {:.2} | {lo:.2}–{hi:.2} | {:.3} | {:.3} | {:.2} | {:.2} | {:.0}% / {:.0}% |",
                t.to_uppercase(),
                col(&keel, |x| x.0.rps),
                col(&redis, |x| x.0.rps),
                median(ratios.clone()),
                col(&keel, |x| x.0.p99),
                col(&redis, |x| x.0.p99),
                col(&keel, |x| x.1),
                col(&redis, |x| x.1),
                col(&keel, |x| x.0.client_busy) * 100.0,
                col(&redis, |x| x.0.client_busy) * 100.0,
            );
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
