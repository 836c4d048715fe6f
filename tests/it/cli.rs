//! redis-cli against Keel: single commands, RESP3, scripts on stdin, --pipe mass insertion,
//! --scan and --bigkeys.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::*;

#[test]
fn single_commands_and_formats() {
    let s = Server::start();
    let p = s.port;
    assert_eq!(redis_cli(p, &["SET", "greeting", "hello world"]), ("OK\n".into(), true));
    assert_eq!(redis_cli(p, &["GET", "greeting"]).0, "hello world\n");
    assert_eq!(redis_cli(p, &["--no-raw", "GET", "nope"]).0, "(nil)\n");
    assert_eq!(redis_cli(p, &["--no-raw", "INCR", "n"]).0, "(integer) 1\n");
    assert_eq!(redis_cli(p, &["--no-raw", "MGET", "greeting", "nope"]).0, "1) \"hello world\"\n2) (nil)\n");
    let (out, _) = redis_cli(p, &["--no-raw", "GET"]);
    assert_eq!(out, "(error) ERR wrong number of arguments for 'get' command\n");
    let (info, ok) = redis_cli(p, &["INFO", "server"]);
    assert!(ok && info.contains("redis_version:7.0.15"), "{info}");
    // RESP3 through redis-cli -3: maps print as key/value pairs.
    let (out, ok) = redis_cli(p, &["-3", "--no-raw", "CONFIG", "GET", "maxmemory"]);
    assert!(ok, "{out}");
    assert_eq!(out, "1# \"maxmemory\" => \"0\"\n");
    let (out, _) = redis_cli(p, &["-3", "--no-raw", "DEBUG", "PROTOCOL", "double"]);
    assert_eq!(out, "(double) 3.141\n");
}

#[test]
fn script_on_stdin() {
    let s = Server::start();
    let mut child =
        Command::new("redis-cli").args(["-p", &s.port.to_string()]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"SET x 10\nINCRBY x 5\nGET x\nMULTI\nINCR x\nEXEC\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK\n15\n15\nOK\nQUEUED\n16\n");
}

#[test]
fn pipe_mode_mass_insertion() {
    let s = Server::start();
    let mut payload = Vec::new();
    for i in 0..20_000 {
        keel::protocol::encode_request(&["SET", &format!("mass:{i}"), &format!("value-{i}")], &mut payload);
    }
    let mut child = Command::new("redis-cli")
        .args(["-p", &s.port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&payload).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("errors: 0, replies: 20000"), "{text}");
    assert_eq!(s.raw().q("DBSIZE"), int(20_000));
}

#[test]
fn scan_and_bigkeys() {
    let s = Server::start();
    let mut c = s.raw();
    for i in 0..500 {
        c.cmd(&["SET", &format!("user:{i}"), &"x".repeat(i)]);
    }
    c.q("SET other 1");
    let (out, ok) = redis_cli(s.port, &["--scan", "--pattern", "user:*"]);
    assert!(ok);
    let mut keys: Vec<&str> = out.lines().collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 500);
    let (out, ok) = redis_cli(s.port, &["--bigkeys"]);
    assert!(ok, "{out}");
    assert!(out.contains("Biggest string found") && out.contains("user:499"), "{out}");
    assert!(out.contains("501 keys"), "{out}");
}
