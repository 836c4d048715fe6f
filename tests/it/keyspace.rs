//! Keyspace behaviour that needs more than a case file: SCAN guarantees while the tables
//! grow, RANDOMKEY, KEYS over many keys, large values, expiry in real time.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use keel::protocol::frame::Frame;

use crate::common::*;

fn scan_all(c: &mut Raw, extra: &[&str], between: &mut dyn FnMut(&mut Raw)) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let Frame::Array(parts) = c.cmd(&args) else { panic!("SCAN reply") };
        cursor = text(&parts[0]);
        let Frame::Array(batch) = &parts[1] else { panic!("SCAN keys") };
        keys.extend(batch.iter().map(text));
        if cursor == "0" {
            return keys;
        }
        between(c);
    }
}

#[test]
fn scan_returns_every_key_present_for_the_whole_scan_while_the_table_grows() {
    let s = Server::start();
    let mut c = s.raw();
    let mut batch = Vec::new();
    for i in 0..20_000 {
        keel::protocol::encode_request(&["SET", &format!("old:{i}"), "v"], &mut batch);
    }
    c.send(&batch);
    for _ in 0..20_000 {
        c.read();
    }
    // Between SCAN calls, keep inserting, forcing growth everywhere: 300 new keys a call take
    // the shards from ~5 keys to ~100 (four doublings) over the scan's ~1,300 calls. (2,000 a
    // call made 8M SETs and 45 s, and once timed out under the full suite's load.)
    let mut n = 0;
    let mut grow = |c: &mut Raw| {
        let mut b = Vec::new();
        for _ in 0..300 {
            keel::protocol::encode_request(&["SET", &format!("new:{n}"), "v"], &mut b);
            n += 1;
        }
        c.send(&b);
        for _ in 0..300 {
            c.read();
        }
    };
    let got: HashSet<String> = scan_all(&mut c, &["COUNT", "100"], &mut grow).into_iter().collect();
    assert!(n > 200_000, "the keyspace grew tenfold during the scan ({n} new keys)");
    for i in 0..20_000 {
        assert!(got.contains(&format!("old:{i}")), "old:{i} missing from SCAN");
    }
}

#[test]
fn scan_options_and_errors() {
    let s = Server::start();
    let mut c = s.raw();
    for i in 0..300 {
        c.cmd(&["SET", &format!("user:{i}"), "x"]);
        c.cmd(&["SET", &format!("item:{i}"), "y"]);
    }
    c.q("PFADD hll a");
    let users: HashSet<String> = scan_all(&mut c, &["MATCH", "user:*"], &mut |_| {}).into_iter().collect();
    assert_eq!(users.len(), 300);
    assert!(users.iter().all(|k| k.starts_with("user:")));
    let strings = scan_all(&mut c, &["TYPE", "string", "COUNT", "1000"], &mut |_| {});
    assert_eq!(strings.len(), 601);
    let none = scan_all(&mut c, &["TYPE", "list"], &mut |_| {});
    assert!(none.is_empty());
    assert_eq!(c.q("SCAN abc"), err("ERR invalid cursor"));
    assert_eq!(c.q("SCAN 0 COUNT 0"), err("ERR syntax error"));
    assert_eq!(c.q("SCAN 0 COUNT x"), err("ERR value is not an integer or out of range"));
    assert_eq!(c.q("SCAN 0 FOO bar"), err("ERR syntax error"));
    assert_eq!(c.q("SCAN 0 MATCH"), err("ERR syntax error"));
}

#[test]
fn keys_randomkey_and_big_values() {
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("RANDOMKEY"), nil());
    for i in 0..1000 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let Frame::Array(all) = c.q("KEYS *") else { panic!() };
    assert_eq!(all.len(), 1000);
    let Frame::Array(some) = c.q("KEYS k1?") else { panic!() };
    assert_eq!(some.len(), 10);
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let k = text(&c.q("RANDOMKEY"));
        assert!(k.starts_with('k'));
        seen.insert(k);
    }
    assert!(seen.len() > 100, "RANDOMKEY should spread: {} distinct", seen.len());
    // A 50 MB value in and out, and APPEND growing it.
    let big = vec![b'z'; 50 << 20];
    assert_eq!(c.cmd(&[&b"SET"[..], b"big", &big]), ok());
    assert_eq!(c.q("STRLEN big"), int(50 << 20));
    assert_eq!(c.q("APPEND big tail"), int((50 << 20) + 4));
    assert_eq!(c.q("GETRANGE big -4 -1"), bulk("tail"));
    assert_eq!(c.q("OBJECT ENCODING big"), bulk("raw"));
}

#[test]
fn expiry_in_real_time() {
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("SET a 1 PX 150"), ok());
    assert_eq!(c.q("SET b 1 PX 150"), ok());
    assert_eq!(c.q("SET keep 1"), ok());
    let pttl = match c.q("PTTL a") {
        Frame::Int(n) => n,
        f => panic!("{f:?}"),
    };
    assert!((1..=150).contains(&pttl), "{pttl}");
    std::thread::sleep(Duration::from_millis(200));
    // Lazy expiry on access.
    assert_eq!(c.q("GET a"), nil());
    assert_eq!(c.q("TTL a"), int(-2));
    // Active expiry removes b without anyone touching it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.q("DBSIZE") != int(1) {
        assert!(Instant::now() < deadline, "active expiry did not reclaim b");
        std::thread::sleep(Duration::from_millis(20));
    }
    let expired: u64 = info_field(&mut c, "stats", "expired_keys").parse().unwrap();
    assert_eq!(expired, 2);
    let ks = text(&c.q("INFO keyspace"));
    assert!(ks.contains("db0:keys=1,expires=0"), "{ks}");
    // Expiry invalidates WATCH (Redis 7 semantics).
    assert_eq!(c.q("SET w 1 PX 100"), ok());
    assert_eq!(c.q("WATCH w"), ok());
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.q("MULTI"), ok());
    assert_eq!(c.q("SET other 1"), st("QUEUED"));
    assert_eq!(c.q("EXEC"), Frame::NullArray);
}

#[test]
fn many_keys_expiring_together_are_reclaimed() {
    let s = Server::start();
    let mut c = s.raw();
    let n = 200_000;
    // Far enough ahead for the load (every SET durable first) to finish before they expire.
    let at = keel::executor::unix_ms() + 5_000;
    let mut b = Vec::new();
    for i in 0..n {
        keel::protocol::encode_request(&["SET", &format!("e:{i}"), "v", "PXAT", &at.to_string()], &mut b);
    }
    c.send(&b);
    for _ in 0..n {
        c.read();
    }
    assert_eq!(c.q("DBSIZE"), int(n));
    let start = Instant::now();
    while c.q("DBSIZE") != int(0) {
        assert!(start.elapsed() < Duration::from_secs(15), "keys not reclaimed in time");
        // GETs keep being served while the keys expire.
        assert_eq!(c.q("PING"), st("PONG"));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(start.elapsed() < Duration::from_secs(11), "reclaimed in {:?}", start.elapsed());
}
