//! Per-field hash expiry (HEXPIRE and its family, Redis 7.4's semantics) on a real server:
//! the replies of every form and condition, fields that expire on access and by the active
//! cycle (logged as HDEL), and expiry times that survive kill -9 and a snapshot.

use std::time::{Duration, Instant};

use crate::common::{arr, bulk, err, int, ok, temp_dir, Raw, Server};
use keel::protocol::frame::Frame;

fn ints(v: &[i64]) -> Frame {
    arr(v.iter().map(|&n| int(n)).collect())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn setters_readers_and_conditions() {
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("HSET h a 1 b 2 c 3"), int(3));
    // A missing key and a missing field: -2.
    assert_eq!(c.q("HEXPIRE nokey 100 FIELDS 2 a b"), ints(&[-2, -2]));
    assert_eq!(c.q("HEXPIRE h 100 FIELDS 2 a nosuch"), ints(&[1, -2]));
    assert_eq!(c.q("HTTL h FIELDS 3 a b nosuch"), ints(&[100, -1, -2]));
    let pttl = match c.q("HPTTL h FIELDS 1 a") {
        Frame::Array(v) => match v[0] {
            Frame::Int(n) => n,
            _ => panic!(),
        },
        f => panic!("{f:?}"),
    };
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    // Conditions: NX only without an expiry, XX only with one, GT/LT against it (no expiry
    // counts as infinite: GT fails, LT succeeds).
    assert_eq!(c.q("HEXPIRE h 200 NX FIELDS 2 a b"), ints(&[0, 1]));
    assert_eq!(c.q("HEXPIRE h 300 XX FIELDS 2 a c"), ints(&[1, 0]));
    assert_eq!(c.q("HEXPIRE h 100 GT FIELDS 2 a c"), ints(&[0, 0]));
    assert_eq!(c.q("HEXPIRE h 50 LT FIELDS 2 a c"), ints(&[1, 1]));
    assert_eq!(c.q("HTTL h FIELDS 3 a b c"), ints(&[50, 200, 50]));
    // Absolute forms and the time readers.
    let at = now_ms() / 1000 + 1000;
    assert_eq!(c.cmd(&["HEXPIREAT", "h", &at.to_string(), "FIELDS", "1", "a"]), ints(&[1]));
    assert_eq!(c.q("HEXPIRETIME h FIELDS 2 a nosuch"), ints(&[at, -2]));
    assert_eq!(c.q("HPEXPIRETIME h FIELDS 1 a"), ints(&[at * 1000]));
    assert_eq!(c.cmd(&["HPEXPIREAT", "h", &(at * 1000 + 5).to_string(), "FIELDS", "1", "a"]), ints(&[1]));
    assert_eq!(c.q("HPEXPIRETIME h FIELDS 1 a"), ints(&[at * 1000 + 5]));
    // HPERSIST: 1 removed, -1 none, -2 no field.
    assert_eq!(c.q("HPERSIST h FIELDS 3 a a nosuch"), ints(&[1, -1, -2]));
    assert_eq!(c.q("HTTL h FIELDS 1 a"), ints(&[-1]));
    // A time already past deletes the field (2); the last field takes the key with it.
    assert_eq!(c.q("HEXPIRE h 0 FIELDS 1 b"), ints(&[2]));
    assert_eq!(c.q("HPEXPIREAT h 1 FIELDS 2 a c"), ints(&[2, 2]));
    assert_eq!(c.q("EXISTS h"), int(0));
    // HSET drops a field's expiry; HINCRBY keeps it.
    assert_eq!(c.q("HSET g x 1 y 2"), int(2));
    assert_eq!(c.q("HEXPIRE g 100 FIELDS 2 x y"), ints(&[1, 1]));
    assert_eq!(c.q("HSET g x 5"), int(0));
    assert_eq!(c.q("HINCRBY g y 1"), int(3));
    assert_eq!(c.q("HTTL g FIELDS 2 x y"), ints(&[-1, 100]));
}

#[test]
fn errors_follow_redis() {
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("HSET h a 1"), int(1));
    assert_eq!(c.q("SET str v"), ok());
    let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_eq!(c.q("HEXPIRE str 10 FIELDS 1 a"), wrongtype);
    assert_eq!(c.q("HTTL str FIELDS 1 a"), wrongtype);
    assert_eq!(c.q("HPERSIST str FIELDS 1 a"), wrongtype);
    assert_eq!(c.q("HEXPIRE h x FIELDS 1 a"), err("ERR value is not an integer or out of range"));
    assert_eq!(c.q("HEXPIRE h -1 FIELDS 1 a"), err("ERR invalid expire time, must be >= 0"));
    assert_eq!(c.q("HEXPIRE h 9999999999999999 FIELDS 1 a"), err("ERR invalid expire time in 'hexpire' command"));
    assert_eq!(c.q("HPEXPIREAT h 70368744177664 FIELDS 1 a"), err("ERR invalid expire time in 'hpexpireat' command"));
    let missing = err("ERR Mandatory argument FIELDS is missing or not at the right position");
    assert_eq!(c.q("HEXPIRE h 10 FOO 1 a"), missing);
    assert_eq!(c.q("HEXPIRE h 10 NX XX 1 a"), missing);
    assert_eq!(c.q("HTTL h FOO 1 a"), missing);
    assert_eq!(c.q("HEXPIRE h 10 FIELDS 0 a"), err("ERR Parameter `numFields` should be greater than 0"));
    assert_eq!(c.q("HTTL h FIELDS x a"), err("ERR Number of fields must be a positive integer"));
    let mismatch = err("ERR The `numfields` parameter must match the number of arguments");
    assert_eq!(c.q("HEXPIRE h 10 FIELDS 2 a"), mismatch);
    assert_eq!(c.q("HPERSIST h FIELDS 1 a b"), mismatch);
    assert_eq!(c.q("HEXPIRE h 10 FIELDS"), err("ERR wrong number of arguments for 'hexpire' command"));
    assert_eq!(c.q("HTTL h FIELDS"), err("ERR wrong number of arguments for 'httl' command"));
}

/// Waits until `cond` holds (expiry is by time).
fn eventually(c: &mut Raw, line: &str, want: &Frame) {
    let t = Instant::now();
    loop {
        if &c.q(line) == want {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{line} never gave {want:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn fields_expire_on_access_and_in_the_background_and_survive_restarts() {
    let dir = temp_dir("hash-ttl");
    let s = Server::start_in(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(c.q("HSET h keep 1 short 2 long 3"), int(3));
    assert_eq!(c.q("HPEXPIRE h 100 FIELDS 1 short"), ints(&[1]));
    assert_eq!(c.q("HEXPIRE h 100000 FIELDS 1 long"), ints(&[1]));
    std::thread::sleep(Duration::from_millis(150));
    // On access: the expired field is gone from every read.
    assert_eq!(c.q("HGET h short"), Frame::NullBulk);
    assert_eq!(c.q("HLEN h"), int(2));
    // In the background: a hash nobody reads loses its field, and the key when it was last.
    assert_eq!(c.q("HSET bg only 1"), int(1));
    assert_eq!(c.q("HPEXPIRE bg 50 FIELDS 1 only"), ints(&[1]));
    eventually(&mut c, "DBSIZE", &int(1));
    let digest = c.q("DEBUG DIGEST");
    s.kill9();
    // Replayed: the HDEL of the expired fields and the expiry of the one left.
    let s = Server::start_in(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(c.q("DEBUG DIGEST"), digest);
    let ttl = c.q("HTTL h FIELDS 3 keep short long");
    assert!(matches!(&ttl, Frame::Array(v) if v[..2] == [int(-1), int(-2)] && matches!(v[2], Frame::Int(n) if n > 99_000)), "{ttl:?}");
    assert_eq!(c.q("EXISTS bg"), int(0));
    // A snapshot keeps the expiry times too.
    assert_eq!(c.q("SAVE"), ok());
    s.kill9();
    let s = Server::start_in(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(c.q("DEBUG DIGEST"), digest);
    assert_eq!(c.q("HGET h long"), bulk("3"));
    let ttl = c.q("HTTL h FIELDS 1 long");
    assert!(matches!(&ttl, Frame::Array(v) if matches!(v[0], Frame::Int(n) if (99_990..=100_000).contains(&n))), "{ttl:?}");
}
