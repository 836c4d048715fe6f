//! The snapshot scenario: Keel's fork-less snapshot against Redis's fork-based BGSAVE on the
//! same data, one server after the other in one run:
//! - client latency (redis-benchmark GET+SET, 50 clients; redis-cli --latency-history) with
//!   and without a snapshot running;
//! - peak RSS during the snapshot against RSS before it (Redis: its fork's copy-on-write);
//! - the longest executor slice of Keel's walk (INFO keel_snapshot_step_max_usec);
//! - restart time: Keel from snapshot + log, Redis from the RDB; and the file sizes.

use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::durable::{info_u64, stop, time_to_ready};
use crate::{benchmark_fields, call, Args};

/// Loads `n` keys `key:%012d` (redis-benchmark's -r key names) with values of 32 to 100
/// bytes, pipelined.
fn load_mixed_sizes(port: u16, n: u64) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut sent = 0;
    while sent < n {
        let batch = (n - sent).min(10_000);
        let mut b = Vec::with_capacity(usize::try_from(batch).unwrap_or(0) * 120);
        for i in sent..sent + batch {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 32 + (x % 69) as usize;
            // Printable, mildly repetitive values, as application data tends to be.
            let value: Vec<u8> = (0..len).map(|j| b'a' + ((x >> (j % 50)) % 26) as u8).collect();
            let key = format!("key:{i:012}");
            keel::protocol::encode_request(&[&b"SET"[..], key.as_bytes(), &value], &mut b);
        }
        crate::send_sets(&mut s, &b, usize::try_from(batch).unwrap_or(0));
        sent += batch;
    }
}

fn rss_bytes(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok()).unwrap_or(0) * 1024
}

/// Samples the RSS of `pid` every 5 ms until stopped; returns the peak.
fn rss_sampler(pid: u32) -> (Arc<AtomicBool>, Arc<AtomicU64>, std::thread::JoinHandle<()>) {
    let (stop, peak) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let (s, p) = (stop.clone(), peak.clone());
    let t = std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            p.fetch_max(rss_bytes(pid), Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    (stop, peak, t)
}

fn latency_history(port: u16) -> Child {
    let pin = crate::client_pin();
    Command::new("bash")
        .args(["-c", &format!("{pin}redis-cli -p {port} --latency-history -i 1")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-cli")
}

/// The highest max of redis-cli --latency-history output (ms): "min: 0, max: 3, avg: ..."
/// on a terminal, "0 3 0.12" lines (min max avg) when piped.
fn latency_max(mut child: Child) -> f64 {
    let _ = child.kill();
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    let _ = child.wait();
    let tty = out.split("max:").skip(1).filter_map(|t| t.split(',').next()?.trim().parse::<f64>().ok());
    let piped = out.lines().filter_map(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok());
    tty.chain(piped).fold(0.0, f64::max)
}

/// One trial: a GET and a SET run without a snapshot, then the same during one.
struct Trial {
    base_p99: [f64; 2],
    base_max: [f64; 2],
    snap_p99: [f64; 2],
    snap_max: [f64; 2],
    base_hist_max: f64,
    snap_hist_max: f64,
    snap_secs: f64,
    rss_before: u64,
    rss_peak: u64,
    cow: u64,
    /// Keel: the longest slice of this snapshot's walk, CPU and wall time (us).
    step_us: [u64; 3],
}

struct Measured {
    trials: Vec<Trial>,
    file_bytes: u64,
    restart_secs: f64,
    keys_after: i64,
}

fn bench_pair(port: u16, requests: u64) -> ([f64; 2], [f64; 2]) {
    let get = benchmark_fields(port, "get", 1, requests, 5_000_000);
    let set = benchmark_fields(port, "set", 1, requests, 5_000_000);
    ([get[5], set[5]], [get[6], set[6]])
}

fn in_progress(port: u16) -> bool {
    info_u64(port, "rdb_bgsave_in_progress") == 1
}

struct Opts<'a> {
    keys: u64,
    requests: u64,
    control: bool,
    trials: usize,
    extra: &'a [String],
}

fn measure(program: &str, tag: &str, o: &Opts<'_>) -> Measured {
    let redis = program == "redis-server";
    // Each server is pinned to one CPU with all its threads (Redis: its fork child too), like
    // every scenario's servers; redis-benchmark has the other.
    let mut args: Vec<String> = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--auto-aof-rewrite-percentage", "0"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    if redis {
        args.extend(["--bind", "127.0.0.1", "--dbfilename", "dump.rdb"].iter().map(|s| (*s).to_string()));
    } else {
        args.extend(["--max-recovery-seconds", "0"].iter().map(|s| (*s).to_string()));
    }
    args.extend(o.extra.iter().cloned());
    let dir: PathBuf = std::env::temp_dir().join(format!("keel-bench-snap-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (child, port, _) = time_to_ready(program, &args, &dir);
    let pid = child.id();
    load_mixed_sizes(port, o.keys);
    std::thread::sleep(Duration::from_secs(2));
    // The log's own view of each phase (Keel): rolls, the longest roll and inline write, and
    // the fsync latency histogram; CONFIG RESETSTAT starts each phase from zero.
    let log_view = |phase: &str| {
        if !redis {
            let fsyncs = crate::durable::info_field(port, "keel_log_fsync_latency_usec");
            println!(
                "{tag} {phase}: rolls {}, longest roll {} us, longest inline write {} us, fsyncs {fsyncs}",
                info_u64(port, "keel_log_rolls"),
                info_u64(port, "keel_log_roll_max_usec"),
                info_u64(port, "keel_log_inline_write_max_usec")
            );
            call(&mut TcpStream::connect(("127.0.0.1", port)).expect("connect"), &[b"CONFIG", b"RESETSTAT"]);
        }
    };
    log_view("load");
    let mut trials = Vec::new();
    for t in 0..o.trials {
        // Without a snapshot.
        let hist = latency_history(port);
        let (base_p99, base_max) = bench_pair(port, o.requests);
        let base_hist_max = latency_max(hist);
        log_view(&format!("trial {} without a snapshot", t + 1));
        let rss_before = rss_bytes(pid);
        // With one: start it, then measure while it runs.
        let (stop_rss, peak, sampler) = rss_sampler(pid);
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let started = Instant::now();
        if !o.control {
            call(&mut s, &[b"BGSAVE"]);
        }
        let hist = latency_history(port);
        let (snap_p99, snap_max) = bench_pair(port, o.requests);
        let snap_hist_max = latency_max(hist);
        log_view(&format!("trial {} during the snapshot", t + 1));
        let overlapped = in_progress(port);
        while in_progress(port) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let snap_secs = started.elapsed().as_secs_f64();
        stop_rss.store(true, Ordering::Relaxed);
        let _ = sampler.join();
        if !overlapped && !o.control {
            println!("note: {tag}'s snapshot ended before the measured run did ({snap_secs:.2} s)");
        }
        let cow = info_u64(port, "rdb_last_cow_size");
        let step_us = [
            info_u64(port, "keel_snapshot_step_max_usec"),
            info_u64(port, "keel_snapshot_step_max_wall_usec"),
            info_u64(port, "keel_snapshot_step_max_minflt"),
        ];
        trials.push(Trial {
            base_p99,
            base_max,
            snap_p99,
            snap_max,
            base_hist_max,
            snap_hist_max,
            snap_secs,
            rss_before,
            rss_peak: peak.load(Ordering::Relaxed),
            cow,
            step_us,
        });
        print_trial(tag, t + 1, trials.last().expect("pushed"));
        // The log grows with every run; let the machine settle between trials as after the load.
        std::thread::sleep(Duration::from_secs(2));
    }
    let file_bytes =
        if redis { std::fs::metadata(dir.join("dump.rdb")).map_or(0, |m| m.len()) } else { info_u64(port, "keel_snapshot_bytes") };
    stop(child, port);
    // Restart: Redis from the RDB alone (AOF off), Keel from its snapshot and the log after.
    let restart_args: Vec<String> = if redis {
        ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--dbfilename", "dump.rdb"].iter().map(|s| (*s).to_string()).collect()
    } else {
        args.clone()
    };
    let (child, port, restart_secs) = time_to_ready(program, &restart_args, &dir);
    let keys_after = crate::int_reply(port, &[b"DBSIZE"]);
    stop(child, port);
    let _ = std::fs::remove_dir_all(&dir);
    Measured { trials, file_bytes, restart_secs, keys_after }
}

fn print_trial(tag: &str, n: usize, t: &Trial) {
    println!(
        "{tag} trial {n}: GET p99 {:.3} / {:.3} ms ({:.2}x), SET p99 {:.3} / {:.3} ms ({:.2}x), max GET {:.1} / {:.1} ms ({:+.1}), SET {:.1} / {:.1} ms ({:+.1}), latency-history max {:.0} / {:.0} ms, snapshot {:.2} s, RSS {:.0} -> {:.0} MB ({:.2}), COW {:.0} MB, longest slice {} us CPU ({} us wall, {} page faults)",
        t.base_p99[0],
        t.snap_p99[0],
        t.snap_p99[0] / t.base_p99[0],
        t.base_p99[1],
        t.snap_p99[1],
        t.snap_p99[1] / t.base_p99[1],
        t.base_max[0],
        t.snap_max[0],
        t.snap_max[0] - t.base_max[0],
        t.base_max[1],
        t.snap_max[1],
        t.snap_max[1] - t.base_max[1],
        t.base_hist_max,
        t.snap_hist_max,
        t.snap_secs,
        t.rss_before as f64 / 1e6,
        t.rss_peak as f64 / 1e6,
        t.rss_peak as f64 / t.rss_before.max(1) as f64,
        t.cow as f64 / 1e6,
        t.step_us[0],
        t.step_us[1],
        t.step_us[2],
    );
}

pub fn snapshot(a: &Args, keel: &str) {
    let o = Opts {
        keys: a.snapshot_keys,
        requests: a.requests,
        control: a.snapshot_control,
        trials: a.snapshot_trials.max(1),
        extra: &a.keel_args,
    };
    println!(
        "{} keys (values 32-100 bytes); {} trials per server, each redis-benchmark -c 50 -r 5000000 -n {} GET then SET without a snapshot, then the same during one; both servers appendonly yes, everysec, pinned to one CPU with their snapshot work",
        o.keys, o.trials, o.requests
    );
    if o.control {
        println!("control: no snapshot in the \"during\" runs (the noise of the machine)");
    }
    let k = measure(keel, "keel", &o);
    let mut rows = vec![("keel", &k)];
    let r;
    if a.servers.iter().any(|s| s == "redis") {
        r = measure("redis-server", "redis", &Opts { extra: &a.redis_args, ..o });
        rows.push(("redis", &r));
    }
    print_rows(&rows);
}

/// Medians over the trials (the p99 ratio and the max difference are taken per trial).
fn print_rows(rows: &[(&str, &Measured)]) {
    println!("| | GET p99 during / without | SET p99 during / without | GET max during - without ms | SET max during - without ms | latency-history max ms without / during | snapshot s | peak RSS / before | fork COW MB | longest executor slice us CPU (wall) | file MB | restart s | keys after |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &(name, m) in rows {
        let med = |f: &dyn Fn(&Trial) -> f64| crate::median(m.trials.iter().map(f).collect());
        let all =
            |f: &dyn Fn(&Trial) -> f64, prec: usize| m.trials.iter().map(|t| format!("{:.prec$}", f(t))).collect::<Vec<_>>().join(", ");
        let get_ratio = |t: &Trial| t.snap_p99[0] / t.base_p99[0];
        let set_ratio = |t: &Trial| t.snap_p99[1] / t.base_p99[1];
        let get_diff = |t: &Trial| t.snap_max[0] - t.base_max[0];
        let set_diff = |t: &Trial| t.snap_max[1] - t.base_max[1];
        let rss = |t: &Trial| t.rss_peak as f64 / t.rss_before.max(1) as f64;
        println!(
            "| {name} | {:.2}x ({}) | {:.2}x ({}) | {:+.1} ({}) | {:+.1} ({}) | {} / {} | {} | {:.2} ({}) | {} | {} | {:.0} | {:.2} | {} |",
            med(&get_ratio),
            all(&get_ratio, 2),
            med(&set_ratio),
            all(&set_ratio, 2),
            med(&get_diff),
            all(&get_diff, 1),
            med(&set_diff),
            all(&set_diff, 1),
            all(&|t| t.base_hist_max, 0),
            all(&|t| t.snap_hist_max, 0),
            all(&|t| t.snap_secs, 1),
            m.trials.iter().map(rss).fold(0.0, f64::max),
            all(&rss, 2),
            if name == "keel" { "-".to_string() } else { all(&|t| t.cow as f64 / 1e6, 0) },
            if name == "keel" {
                m.trials.iter().map(|t| format!("{} ({})", t.step_us[0], t.step_us[1])).collect::<Vec<_>>().join(", ")
            } else {
                "-".into()
            },
            m.file_bytes as f64 / 1e6,
            m.restart_secs,
            m.keys_after
        );
    }
    // The per-trial ratio divides two noisy p99s (the one without a snapshot moved 0.57-2.46 ms
    // between trials of one run); the medians of each side over all trials compare the two
    // distributions more steadily.
    for &(name, m) in rows {
        let side = |f: &dyn Fn(&Trial) -> f64| crate::median(m.trials.iter().map(f).collect());
        let (gw, gd) = (side(&|t| t.base_p99[0]), side(&|t| t.snap_p99[0]));
        let (sw, sd) = (side(&|t| t.base_p99[1]), side(&|t| t.snap_p99[1]));
        println!(
            "{name}: median p99 over the trials, without / during: GET {gw:.3} / {gd:.3} ms ({:.2}x), SET {sw:.3} / {sd:.3} ms ({:.2}x)",
            gd / gw,
            sd / sw
        );
    }
    if let [(_, k), (_, r)] = rows {
        println!(
            "keel/redis: file size {:.2}, restart time {:.2}",
            k.file_bytes as f64 / r.file_bytes.max(1) as f64,
            k.restart_secs / r.restart_secs
        );
    }
}
