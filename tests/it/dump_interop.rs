//! DUMP payloads of collections move between Keel and the reference redis-server 7.0.15 in
//! both directions: Redis's compact encodings (quicklist of listpacks, intset, listpack hash
//! and sorted set) and its big ones restore in Keel, and Keel's (types 1, 2, 4, 5) restore in
//! Redis, with the same contents on both sides.

use crate::common::{ok, Raw, Reference, Server};
use keel::protocol::frame::Frame;

/// The contents of `key` in a comparable form (members of unordered types sorted).
fn contents(c: &mut Raw, key: &str) -> Frame {
    let kind = c.cmd(&["TYPE", key]);
    let sorted = |f: Frame, pairs: bool| match f {
        Frame::Array(v) => {
            let mut groups: Vec<Vec<Frame>> = v.chunks(if pairs { 2 } else { 1 }).map(<[Frame]>::to_vec).collect();
            groups.sort_by_key(|g| format!("{g:?}"));
            Frame::Array(groups.concat())
        }
        other => other,
    };
    match kind {
        Frame::Simple(t) if t == b"list" => c.cmd(&["LRANGE", key, "0", "-1"]),
        Frame::Simple(t) if t == b"set" => sorted(c.cmd(&["SMEMBERS", key]), false),
        Frame::Simple(t) if t == b"hash" => sorted(c.cmd(&["HGETALL", key]), true),
        Frame::Simple(t) if t == b"zset" => c.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]),
        other => panic!("{key}: {other:?}"),
    }
}

/// Fills one server with a small and a big value of every collection type.
fn fill(c: &mut Raw) {
    let many = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>();
    let mut cmd = |head: &[&str], rest: Vec<String>| {
        let mut args: Vec<String> = head.iter().map(|s| (*s).to_string()).collect();
        args.extend(rest);
        c.cmd(&args);
    };
    cmd(&["RPUSH", "list:small", "a", "1", "-7", "300000", "x y", ""], vec![]);
    cmd(&["RPUSH", "list:big"], many(3000, &|i| format!("element-{i}-{}", "p".repeat(i % 90))));
    cmd(&["SADD", "set:ints", "5", "-3", "70000", "9223372036854775807", "-9223372036854775808"], vec![]);
    cmd(&["SADD", "set:big"], many(1000, &|i| format!("m{i}")));
    cmd(&["HSET", "hash:small", "name", "somebody", "age", "42", "neg", "-1234567", "empty", ""], vec![]);
    cmd(&["HSET", "hash:big"], many(1200, &|i| if i % 2 == 0 { format!("f{}", i / 2) } else { format!("v{i}") }));
    cmd(&["ZADD", "zset:small", "1", "a", "2.5", "b", "-3", "c", "1e300", "d", "-inf", "e", "0.1", "f"], vec![]);
    cmd(&["ZADD", "zset:big"], many(600, &|i| if i % 2 == 0 { format!("{}.25", i / 2) } else { format!("member{i}") }));
}

const KEYS: [&str; 8] = ["list:small", "list:big", "set:ints", "set:big", "hash:small", "hash:big", "zset:small", "zset:big"];

fn dump(c: &mut Raw, key: &str) -> Vec<u8> {
    match c.cmd(&["DUMP", key]) {
        Frame::Bulk(b) => b,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

#[test]
fn collection_payloads_restore_both_ways() {
    let reference = Reference::start();
    let keel = Server::start();
    let (mut r, mut k) = (reference.raw(), keel.raw());
    fill(&mut r);
    fill(&mut k);
    for key in KEYS {
        let want = contents(&mut r, key);
        assert_eq!(contents(&mut k, key), want, "{key}: the same commands give the same contents");
        // Redis's payload into Keel, and Keel's into Redis.
        let from_redis = dump(&mut r, key);
        let restored = format!("{key}:from-redis");
        assert_eq!(k.cmd(&[b"RESTORE".as_slice(), restored.as_bytes(), b"0", &from_redis]), ok(), "{key}: type {}", from_redis[0]);
        assert_eq!(contents(&mut k, &restored), want, "{key}: Redis's payload (type {}) restored in Keel", from_redis[0]);
        let from_keel = dump(&mut k, key);
        let restored = format!("{key}:from-keel");
        assert_eq!(r.cmd(&[b"RESTORE".as_slice(), restored.as_bytes(), b"0", &from_keel]), ok(), "{key}: type {}", from_keel[0]);
        assert_eq!(contents(&mut r, &restored), want, "{key}: Keel's payload (type {}) restored in Redis", from_keel[0]);
    }
    // A damaged compact payload is refused, not half-restored.
    let mut bad = dump(&mut r, "hash:small");
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    assert!(matches!(k.cmd(&[b"RESTORE".as_slice(), b"bad", b"0", &bad]), Frame::Error(_)));
    assert_eq!(k.cmd(&["EXISTS", "bad"]), Frame::Int(0));
}
