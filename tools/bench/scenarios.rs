//! The growth and expiry scenarios: worst SET latency while the keyspace grows, and GET
//! latency while many keys expire at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use keel::protocol::frame::Frame;

use crate::{benchmark_fields, call, int_reply, load, request, start, Args};

/// Loads `growth_keys` keys, keeping the worst SET latency: the keyspace must never stall to
/// grow. The client's maximum includes every preemption of either process on this shared
/// machine, so the servers' own SLOWLOG (every command over 1 ms, with its duration) is read
/// too: it times the command alone.
pub fn growth(a: &Args, servers: &[(&str, String, Vec<String>)]) {
    println!(
        "| {} SETs, 50 clients, pipeline 1, random keys | ops/s | p99 ms | client max ms | server: SETs over 1 ms | server: SETs over 10 ms | server: slowest SET ms |",
        a.growth_keys
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, program, args) in servers {
        let (_p, port) = start(program, args, name);
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        call(&mut c, &[b"CONFIG", b"SET", b"slowlog-log-slower-than", b"1000", b"slowlog-max-len", b"1000000"]);
        let f = benchmark_fields(port, "set", 1, a.growth_keys, 1_000_000_000);
        let keys = int_reply(port, &[b"DBSIZE"]);
        // SLOWLOG GET -1: every entry, each [id, time, duration µs, args, ...].
        let durations: Vec<i64> = match request(&mut c, &[b"SLOWLOG", b"GET", b"-1"]) {
            Frame::Array(entries) => entries
                .iter()
                .filter_map(|e| match e {
                    Frame::Array(fields) => match fields.get(2) {
                        Some(Frame::Int(us)) => Some(*us),
                        _ => None,
                    },
                    _ => None,
                })
                .collect(),
            other => panic!("SLOWLOG GET: {other:?}"),
        };
        let over_10ms = durations.iter().filter(|&&us| us > 10_000).count();
        let worst = durations.iter().max().map_or(0.0, |&us| us as f64 / 1000.0);
        println!("| {name} ({keys} keys) | {:.0} | {:.3} | {:.3} | {} | {over_10ms} | {worst:.3} |", f[0], f[5], f[6], durations.len());
    }
}

/// Loads persistent keys for GETs and `expiry_keys` keys that all expire at the same
/// moment; measures GET latency before and while they are reclaimed, and how long that takes.
pub fn expiry(a: &Args, servers: &[(&str, String, Vec<String>)]) {
    println!(
        "| {} keys expiring together | reclaimed in s | GET p99 quiet ms | GET p99 during ms | ratio | GET max during ms |",
        a.expiry_keys
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, program, args) in servers {
        let (_p, port) = start(program, args, name);
        load(port, 100_000);
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() + 20_000;
        let mut sent = 0;
        while sent < a.expiry_keys {
            let batch = (a.expiry_keys - sent).min(10_000);
            let mut b = Vec::new();
            for i in sent..sent + batch {
                keel::protocol::encode_request(
                    &[&b"SET"[..], format!("exp:{i}").as_bytes(), b"v", b"PXAT", at.to_string().as_bytes()],
                    &mut b,
                );
            }
            s.write_all(&b).expect("write");
            let mut want = batch * 5;
            let mut tmp = vec![0u8; 1 << 16];
            while want > 0 {
                want = want.saturating_sub(s.read(&mut tmp).expect("read"));
            }
            sent += batch;
        }
        let quiet = benchmark_fields(port, "get", 1, 200_000, 100_000);
        let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
        while now() < at {
            std::thread::sleep(Duration::from_millis(10));
        }
        let started = std::time::Instant::now();
        let during = std::thread::spawn(move || benchmark_fields(port, "get", 1, 400_000, 100_000));
        let mut reclaimed = None;
        while started.elapsed() < Duration::from_secs(60) {
            if int_reply(port, &[b"DBSIZE"]) <= 100_000 {
                reclaimed = Some(started.elapsed().as_secs_f64());
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let during = during.join().expect("benchmark");
        let shown = reclaimed.map_or("over 60".to_string(), |s| format!("{s:.2}"));
        println!("| {name} | {shown} | {:.3} | {:.3} | {:.2} | {:.3} |", quiet[5], during[5], during[5] / quiet[5], during[6]);
    }
}
