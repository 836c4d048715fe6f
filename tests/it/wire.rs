//! The wire protocol against a real server: exact bytes, pipelining, requests split across
//! TCP writes, many clients at once, RESP3 shapes, and hostile input.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::*;
use keel::protocol::frame::Frame;

#[test]
fn byte_exact_replies() {
    let s = Server::start();
    let mut c = s.raw();
    let cases: &[(&[u8], &[u8])] = &[
        (b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n"),
        (b"PING\r\n", b"+PONG\r\n"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nabc\r\n", b"+OK\r\n"),
        (b"GET k\r\n", b"$3\r\nabc\r\n"),
        (b"GET nokey\r\n", b"$-1\r\n"),
        (b"INCR n\r\n", b":1\r\n"),
        (b"MGET k nokey\r\n", b"*2\r\n$3\r\nabc\r\n$-1\r\n"),
        (b"GET\r\n", b"-ERR wrong number of arguments for 'get' command\r\n"),
        (b"INCR k\r\n", b"-ERR value is not an integer or out of range\r\n"),
        (b"NOPE a b\r\n", b"-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n"),
        (b"ECHO \"a\\r\\nb\"\r\n", b"$4\r\na\r\nb\r\n"),
    ];
    for (req, want) in cases {
        c.send(req);
        let mut got = vec![0u8; want.len()];
        c.s.read_exact(&mut got).unwrap();
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want), "request {:?}", String::from_utf8_lossy(req));
    }
}

#[test]
fn pipeline_of_ten_thousand() {
    let s = Server::start();
    let mut c = s.raw();
    let mut batch = Vec::new();
    for _ in 0..10_000 {
        batch.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n");
    }
    c.send(&batch);
    for i in 1..=10_000 {
        assert_eq!(c.read(), int(i));
    }
    assert_eq!(c.q("GET ctr"), bulk("10000"));
}

#[test]
fn command_split_one_byte_per_write() {
    let s = Server::start();
    let mut admin = s.raw();
    let reads_before: u64 = info_field(&mut admin, "stats", "total_reads_processed").parse().unwrap();
    let mut c = s.raw();
    let req = b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$11\r\nhello world\r\n";
    for b in req.iter() {
        c.send(&[*b]);
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(c.read(), ok());
    assert_eq!(c.q("GET split"), bulk("hello world"));
    let reads_after: u64 = info_field(&mut admin, "stats", "total_reads_processed").parse().unwrap();
    // The server really saw the command in pieces.
    assert!(reads_after - reads_before >= req.len() as u64 / 2, "only {} reads", reads_after - reads_before);
}

#[test]
fn hundred_concurrent_clients() {
    let s = Server::start();
    let port = s.port;
    let threads: Vec<_> = (0..100)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                for i in 0..100 {
                    assert_eq!(c.cmd(&["SET", &format!("k{t}:{i}"), &format!("v{i}")]), ok());
                    c.cmd(&["INCR", "shared"]);
                }
                assert_eq!(c.cmd(&["GET", &format!("k{t}:99")]), bulk("v99"));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = s.raw();
    assert_eq!(c.q("GET shared"), bulk("10000"));
    assert_eq!(c.q("DBSIZE"), int(10_001));
}

#[test]
fn inline_commands_and_quoting() {
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("SET a b"), ok());
    c.send(b"SET \"sp ace\" 'it''s'\r\n");
    assert_eq!(c.read(), err("ERR Protocol error: unbalanced quotes in request"));
    assert!(c.is_closed(), "a protocol error closes the connection");
    let mut c = s.raw();
    c.send(b"SET \"sp ace\" \"x\\x41y\"\r\nGET \"sp ace\"\r\n");
    assert_eq!(c.read(), ok());
    assert_eq!(c.read(), bulk("xAy"));
}

/// Sends `input` and collects what comes back until the connection is idle or closed.
fn exchange(port: u16, input: &[u8]) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    // A write may fail if the server closes early on a large input; that is fine.
    let _ = s.write_all(input);
    s.set_read_timeout(Some(Duration::from_millis(150))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
            Err(_) => return (got, false),
        }
        assert!(Instant::now() < deadline, "server kept talking");
    }
}

fn hostile_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let digits = |n: usize| "7".repeat(n);
    vec![
        ("negative bulk length", b"*1\r\n$-5\r\n".to_vec()),
        ("bulk length -1", b"*1\r\n$-1\r\n".to_vec()),
        ("bulk beyond proto-max-bulk-len", b"*1\r\n$536870913\r\n".to_vec()),
        ("1 GB claimed bulk", b"*1\r\n$1073741824\r\n".to_vec()),
        ("huge bulk length", b"*1\r\n$99999999999999999999\r\n".to_vec()),
        ("count beyond INT_MAX", b"*2147483648\r\n".to_vec()),
        ("non-numeric count", b"*abc\r\n".to_vec()),
        ("count with plus sign", b"*+1\r\n$4\r\nPING\r\n".to_vec()),
        ("count with leading zero", b"*01\r\n$4\r\nPING\r\n".to_vec()),
        ("non-numeric bulk length", b"*1\r\n$abc\r\n".to_vec()),
        ("space in bulk length", b"*1\r\n$ 4\r\nPING\r\n".to_vec()),
        ("simple string inside multibulk", b"*1\r\n+OK\r\n".to_vec()),
        ("nested RESP3 aggregate", b"*1\r\n*1\r\n$1\r\na\r\n".to_vec()),
        ("RESP3 map as request", b"%1\r\n$1\r\na\r\n$1\r\nb\r\n".to_vec()),
        ("integer as request", b":1\r\n".to_vec()),
        ("bulk as request", b"$5\r\nhellx\r\n".to_vec()),
        ("missing CRLF after data (Redis skips two bytes)", b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nbXXGET a\r\n".to_vec()),
        ("LF only", b"PING\nPING\n".to_vec()),
        ("empty and negative counts", b"*0\r\n*-1\r\n*-10\r\nPING\r\n".to_vec()),
        ("blank lines", b"\r\n\r\n   \r\nPING\r\n".to_vec()),
        ("empty command name", b"*1\r\n$0\r\n\r\n".to_vec()),
        ("binary garbage", vec![0xff, 0xfe, 0x00, 0x01, b'\r', b'\n', 0x80, b' ', 0x7f, b'\r', b'\n']),
        ("NUL in inline command", b"ECHO ab\x00cd\r\n".to_vec()),
        ("never-ending inline line", vec![b'a'; 70 * 1024]),
        ("never-ending count line", [b"*".to_vec(), digits(70 * 1024).into_bytes()].concat()),
        ("never-ending bulk length line", [b"*1\r\n$".to_vec(), digits(70 * 1024).into_bytes()].concat()),
        ("unbalanced quotes", b"SET a \"b\r\n".to_vec()),
        ("closing quote not followed by space", b"SET a 'b'c\r\n".to_vec()),
        ("deep nesting", "*1\r\n".repeat(1000).into_bytes()),
        ("truncated command then nothing", b"*2\r\n$3\r\nGET\r\n".to_vec()),
        ("truncated bulk", b"*1\r\n$10\r\nabc".to_vec()),
        ("hex escapes inline", b"ECHO \"\\x41\\x42\\xzz\"\r\n".to_vec()),
        ("escape at end of quoted arg", b"ECHO \"abc\\\r\n".to_vec()),
        ("unknown command with long args", [b"FOO ".to_vec(), vec![b'x'; 300], b" y\r\n".to_vec()].concat()),
        ("argument count mismatch", b"*3\r\n$4\r\nPING\r\n$1\r\na\r\n".to_vec()),
    ]
}

#[test]
fn hostile_input_matches_redis_and_server_survives() {
    let keel = Server::start();
    let reference = Reference::start();
    let mut watcher = keel.raw();
    let mem_before: i64 = info_field(&mut watcher, "memory", "used_memory").parse().unwrap();
    let cases = hostile_inputs();
    assert!(cases.len() >= 30);
    for (name, input) in &cases {
        let (got, closed) = exchange(keel.port, input);
        let (want, want_closed) = exchange(reference.port, input);
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want), "case '{name}': reply differs from Redis 7.0.15");
        assert_eq!(closed, want_closed, "case '{name}': connection closed {closed}, Redis {want_closed}");
        // The server keeps serving others after every case.
        assert_eq!(watcher.q("PING"), st("PONG"), "after case '{name}'");
    }
    let mem_after: i64 = info_field(&mut watcher, "memory", "used_memory").parse().unwrap();
    assert!(mem_after - mem_before < 32 << 20, "memory grew by {} bytes", mem_after - mem_before);
}

#[test]
fn query_buffer_limit_closes_client() {
    let s = Server::start_with(&["--client-query-buffer-limit", "1mb"]);
    let mut c = s.raw();
    // A 2 MB argument that is accepted by proto-max-bulk-len but exceeds the buffer limit.
    let mut req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n".to_vec();
    req.extend(vec![b'x'; 2 * 1024 * 1024]);
    let _ = c.s.write_all(&req);
    assert!(c.is_closed(), "client past client-query-buffer-limit is dropped");
    let mut d = s.raw();
    assert_eq!(d.q("EXISTS k"), int(0));
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let s = Server::start_with(&["--requirepass", "secret"]);
    let mut c = s.raw();
    assert_eq!(c.q("GET k"), err("NOAUTH Authentication required."));
    c.send(b"*11\r\n");
    assert_eq!(c.read(), err("ERR Protocol error: unauthenticated multibulk length"));
    assert!(c.is_closed());
    let mut c = s.raw();
    c.send(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n");
    assert_eq!(c.read(), err("ERR Protocol error: unauthenticated bulk length"));
    let mut c = s.raw();
    assert_eq!(c.q("AUTH wrong"), err("WRONGPASS invalid username-password pair or user is disabled."));
    assert_eq!(c.q("AUTH secret"), ok());
    assert_eq!(c.q("SET k v"), ok());
}

#[test]
fn resp3_shapes_match_redis() {
    let keel = Server::start();
    let reference = Reference::start_with(&["--enable-debug-command", "yes"]);
    let script: &[&str] = &[
        "HELLO 3",
        "SET k v",
        "GET nokey",
        "MGET k nokey",
        "DEBUG PROTOCOL map",
        "DEBUG PROTOCOL set",
        "DEBUG PROTOCOL double",
        "DEBUG PROTOCOL true",
        "DEBUG PROTOCOL false",
        "DEBUG PROTOCOL null",
        "DEBUG PROTOCOL bignum",
        "DEBUG PROTOCOL verbatim",
        "DEBUG PROTOCOL attrib",
        "DEBUG PROTOCOL push",
        "CONFIG GET maxmemory-policy",
        "HELLO 2",
        "DEBUG PROTOCOL map",
        "DEBUG PROTOCOL double",
        "DEBUG PROTOCOL true",
        "DEBUG PROTOCOL push",
    ];
    let mut k = keel.raw();
    let mut r = reference.raw();
    for line in script {
        let (kf, rf) = (replies(&mut k, line), replies(&mut r, line));
        if line.starts_with("HELLO") {
            // The id and version fields may differ; the shape and protocol may not.
            let shape = |f: &Frame| match f {
                Frame::Map(m) => ("map", m.len()),
                Frame::Array(a) => ("array", a.len()),
                _ => ("other", 0),
            };
            assert_eq!(shape(&kf[0]), shape(&rf[0]), "{line}");
            continue;
        }
        assert_eq!(kf, rf, "{line}");
    }
}

/// A reply, with any attribute or push frames that precede it.
fn replies(c: &mut Raw, line: &str) -> Vec<Frame> {
    let mut v = vec![c.q(line)];
    while matches!(v.last(), Some(Frame::Attribute(_) | Frame::Push(_))) {
        v.push(c.read());
    }
    v
}
