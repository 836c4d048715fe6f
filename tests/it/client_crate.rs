//! Keel driven by the `redis` crate as an application would drive Redis: RESP2 and RESP3,
//! typed replies, pipelines, MULTI/EXEC pipelines, errors.

use redis::{Commands, RedisResult, Value};

use crate::common::*;

#[test]
fn resp2_basics_and_types() {
    let s = Server::start();
    let mut c = s.client();
    let _: () = c.set("name", "keel").unwrap();
    let v: String = c.get("name").unwrap();
    assert_eq!(v, "keel");
    let n: i64 = c.incr("counter", 5).unwrap();
    assert_eq!(n, 5);
    let f: f64 = redis::cmd("INCRBYFLOAT").arg("f").arg("1.25").query(&mut c).unwrap();
    assert!((f - 1.25).abs() < 1e-12);
    let missing: Option<String> = c.get("nope").unwrap();
    assert_eq!(missing, None);
    let many: Vec<Option<String>> = c.mget(&["name", "nope"]).unwrap();
    assert_eq!(many, vec![Some("keel".into()), None]);
    let _: () = c.set_ex("tmp", "x", 100).unwrap();
    let ttl: i64 = c.ttl("tmp").unwrap();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    let e: RedisResult<i64> = c.incr("name", 1);
    let e = e.unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    assert!(e.to_string().contains("value is not an integer or out of range"), "{e}");
}

#[test]
fn pipelines_and_transactions() {
    let s = Server::start();
    let mut c = s.client();
    let mut p = redis::pipe();
    for i in 0..1000 {
        p.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    p.cmd("DBSIZE");
    let (size,): (i64,) = p.query(&mut c).unwrap();
    assert_eq!(size, 1000);
    // redis-py and redis-rs send MULTI ... EXEC for atomic pipelines.
    let (a, b): (i64, i64) = redis::pipe().atomic().incr("x", 1).incr("x", 2).query(&mut c).unwrap();
    assert_eq!((a, b), (1, 3));
    // An optimistic-locking transaction that succeeds, then one that a write invalidates.
    let mut other = s.client();
    let r: (i64,) = redis::transaction(&mut c, &["balance"], |con, pipe| {
        let cur: i64 = con.get::<_, Option<i64>>("balance")?.unwrap_or(0);
        pipe.set("balance", cur + 10).ignore().get("balance").query(con)
    })
    .unwrap();
    assert_eq!(r, (10,));
    let _: () = redis::cmd("WATCH").arg("balance").query(&mut c).unwrap();
    let _: () = other.set("balance", 99).unwrap();
    let res: Value = redis::pipe().atomic().set("balance", 1).query(&mut c).unwrap();
    assert_eq!(res, Value::Nil, "EXEC after a watched key changed returns nil");
    let v: i64 = c.get("balance").unwrap();
    assert_eq!(v, 99);
}

#[test]
fn resp3_connection() {
    let s = Server::start();
    let mut c = s.client_resp3();
    let _: () = c.set("k", "v").unwrap();
    let v: Value = redis::cmd("CONFIG").arg("GET").arg("maxmemory-policy").query(&mut c).unwrap();
    assert!(matches!(v, Value::Map(ref m) if m.len() == 1), "CONFIG GET is a map in RESP3: {v:?}");
    let d: Value = redis::cmd("DEBUG").arg("PROTOCOL").arg("double").query(&mut c).unwrap();
    assert!(matches!(d, Value::Double(x) if (x - 3.141).abs() < 1e-9), "{d:?}");
    let b: Value = redis::cmd("DEBUG").arg("PROTOCOL").arg("true").query(&mut c).unwrap();
    assert_eq!(b, Value::Boolean(true));
    let n: Value = redis::cmd("GET").arg("missing").query(&mut c).unwrap();
    assert_eq!(n, Value::Nil);
    let info: Value = redis::cmd("CLIENT").arg("INFO").query(&mut c).unwrap();
    let text = match info {
        Value::VerbatimString { text, .. } => text,
        other => panic!("CLIENT INFO is verbatim text in RESP3: {other:?}"),
    };
    assert!(text.contains("resp=3"), "{text}");
}

#[test]
fn client_library_handshake() {
    // What client libraries send on connect (redis-py: HELLO, CLIENT SETINFO).
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("CLIENT SETINFO LIB-NAME redis-py"), ok());
    assert_eq!(c.q("CLIENT SETINFO LIB-VER 5.0.1"), ok());
    assert_eq!(c.q("CLIENT SETINFO lib-name bad\nname"), err("ERR lib-name cannot contain spaces, newlines or special characters."));
    assert_eq!(c.q("CLIENT SETINFO FOO x"), err("ERR Unrecognized option 'FOO'"));
    let info = text(&c.q("CLIENT INFO"));
    assert!(info.contains("lib-name=redis-py") && info.contains("lib-ver=5.0.1"), "{info}");
    let hello = c.q("HELLO 3 SETNAME app");
    let keel::protocol::frame::Frame::Map(m) = hello else { panic!("HELLO 3 replies with a map") };
    let get = |k: &str| m.iter().find(|(a, _)| text(a) == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(get("server"), bulk("redis"));
    assert_eq!(get("version"), bulk("7.0.15"));
    assert_eq!(get("proto"), int(3));
    assert_eq!(c.q("CLIENT GETNAME"), bulk("app"));
    assert_eq!(c.q("HELLO 4"), err("NOPROTO unsupported protocol version"));
}
