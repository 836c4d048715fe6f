//! Hashes on a real server process: both encodings survive kill -9 (log replay) and a
//! snapshot plus the log after it, and a DUMP payload of either encoding restores in the
//! reference redis-server with the same pairs. Command replies are compared with Redis in
//! tests/cases/hashes.cases.

use std::collections::BTreeMap;

use redis::Commands;

use crate::common::{temp_dir, Reference, Server};

type Pairs = BTreeMap<Vec<u8>, Vec<u8>>;

fn pairs(c: &mut redis::Connection, key: &str) -> Pairs {
    c.hgetall(key).unwrap()
}

fn digest(c: &mut redis::Connection) -> String {
    redis::cmd("DEBUG").arg("DIGEST").query(c).unwrap()
}

/// A small (listpack) and a large (hashtable) hash, with updates, deletes and float sums.
fn write_hashes(c: &mut redis::Connection, round: usize) {
    let () = redis::cmd("HSET").arg("small").arg("a").arg(round).arg("b").arg("x").query(c).unwrap();
    let _: f64 = c.hincr("small", "f", 0.1).unwrap();
    let mut p = redis::pipe();
    for i in 0..700 {
        p.hset("big", format!("field:{i}"), format!("{}", i * round)).ignore();
    }
    let () = p.query(c).unwrap();
    let _: i64 = c.hdel("big", format!("field:{round}")).unwrap();
    let _: i64 = c.hincr("big", "counter", 3).unwrap();
}

#[test]
fn both_encodings_survive_kill_9_and_a_snapshot() {
    let dir = temp_dir("hashes-restart");
    let s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    write_hashes(&mut c, 1);
    let enc: Vec<String> = ["small", "big"].iter().map(|k| redis::cmd("OBJECT").arg("ENCODING").arg(*k).query(&mut c).unwrap()).collect();
    assert_eq!(enc, ["listpack", "hashtable"]);
    let (want, small, big) = (digest(&mut c), pairs(&mut c, "small"), pairs(&mut c, "big"));
    assert_eq!((small.len(), big.len()), (3, 700), "699 fields left of 700, plus the counter");
    s.kill9();
    // Replayed from the log alone.
    let s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    assert_eq!(digest(&mut c), want);
    assert_eq!((pairs(&mut c, "small"), pairs(&mut c, "big")), (small, big));
    // A snapshot of both, then more writes in the log after it.
    let _: String = redis::cmd("SAVE").query(&mut c).unwrap();
    write_hashes(&mut c, 2);
    let want = digest(&mut c);
    s.kill9();
    let s = Server::start_in(&dir, &[]);
    let mut c = s.client();
    assert_eq!(digest(&mut c), want);
    let enc: String = redis::cmd("OBJECT").arg("ENCODING").arg("big").query(&mut c).unwrap();
    assert_eq!(enc, "hashtable", "a loaded hash beyond the limits is a table");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dump_of_either_encoding_restores_in_redis() {
    let s = Server::start();
    let mut c = s.client();
    write_hashes(&mut c, 3);
    let reference = Reference::start();
    let mut r = redis::Client::open(format!("redis://127.0.0.1:{}/", reference.port)).unwrap().get_connection().unwrap();
    for key in ["small", "big"] {
        let payload: Vec<u8> = redis::cmd("DUMP").arg(key).query(&mut c).unwrap();
        let () = redis::cmd("RESTORE").arg(key).arg(0).arg(&payload).query(&mut r).unwrap();
        assert_eq!(pairs(&mut r, key), pairs(&mut c, key), "{key}");
        // And back into Keel under another name.
        let () = redis::cmd("RESTORE").arg(format!("{key}2")).arg(0).arg(&payload).query(&mut c).unwrap();
        assert_eq!(pairs(&mut c, &format!("{key}2")), pairs(&mut c, key));
    }
}
