//! Administration: INFO, CLIENT, MONITOR, SLOWLOG, LATENCY, DEBUG, SHUTDOWN and signals.

use std::time::{Duration, Instant};

use keel::protocol::frame::Frame;

use crate::common::*;

#[test]
fn info_reports_redis_fields() {
    let s = Server::start();
    let mut c = s.raw();
    c.q("SET a 1");
    c.q("GET a");
    c.q("GET nope");
    c.q("INCR a");
    c.q("NOPE");
    let server = text(&c.q("INFO server"));
    for field in
        ["redis_version:7.0.15", "keel_version:", "redis_mode:standalone", "os:Linux", "arch_bits:64", "run_id:", "uptime_in_seconds:"]
    {
        assert!(server.contains(field), "INFO server lacks {field}:\n{server}");
    }
    assert!(server.contains(&format!("process_id:{}", s.pid())));
    assert!(server.contains(&format!("tcp_port:{}", s.port)));
    assert_eq!(info_field(&mut c, "stats", "keyspace_hits"), "1");
    assert_eq!(info_field(&mut c, "stats", "keyspace_misses"), "1");
    assert_eq!(info_field(&mut c, "clients", "connected_clients"), "1");
    let used: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
    let rss: u64 = info_field(&mut c, "memory", "used_memory_rss").parse().unwrap();
    assert!(used > 100_000 && rss > used / 2, "used {used} rss {rss}");
    let cmdstats = text(&c.q("INFO commandstats"));
    assert!(cmdstats.contains("cmdstat_get:calls=2,"), "{cmdstats}");
    assert!(cmdstats.contains("cmdstat_incr:calls=1,"), "{cmdstats}");
    let errs = text(&c.q("INFO errorstats"));
    assert!(errs.contains("errorstat_ERR:count=1"), "{errs}");
    assert!(text(&c.q("INFO keyspace")).contains("db0:keys=1,expires=0,avg_ttl=0"));
    let all = text(&c.q("INFO all"));
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Commandstats",
        "# Errorstats",
        "# Cluster",
        "# Keyspace",
    ] {
        assert!(all.contains(section), "INFO all lacks {section}");
    }
    let default = text(&c.q("INFO"));
    assert!(!default.contains("# Commandstats"), "commandstats is not a default section");
}

#[test]
fn client_list_kill_and_names() {
    let s = Server::start();
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(b.q("CLIENT SETNAME worker"), ok());
    let Frame::Int(bid) = b.q("CLIENT ID") else { panic!() };
    let list = text(&a.q("CLIENT LIST"));
    assert_eq!(list.lines().count(), 2, "{list}");
    let line = list.lines().find(|l| l.contains("name=worker")).unwrap();
    for field in ["id=", "addr=127.0.0.1:", "laddr=", "fd=", "age=", "idle=", "flags=N", "db=0", "cmd=client|id", "resp=2"] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
    assert_eq!(a.q(&format!("CLIENT LIST ID {bid}")), a.q(&format!("CLIENT LIST ID {bid}")));
    assert_eq!(a.q(&format!("CLIENT KILL ID {bid}")), int(1));
    assert!(b.is_closed(), "killed client is disconnected");
    assert_eq!(a.q("CLIENT KILL 1.2.3.4:5"), err("ERR No such client"));
    assert_eq!(a.q("CLIENT KILL ID 0"), err("ERR client-id should be greater than 0"));
}

#[test]
fn client_pause_holds_writes_but_not_reads() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut w = s.raw();
    assert_eq!(admin.q("SET k 1"), ok());
    assert_eq!(admin.q("CLIENT PAUSE 400 WRITE"), ok());
    let t = Instant::now();
    assert_eq!(w.q("GET k"), bulk("1"));
    assert!(t.elapsed() < Duration::from_millis(300), "reads are not paused");
    let t = Instant::now();
    assert_eq!(w.q("INCR k"), int(2));
    assert!(t.elapsed() >= Duration::from_millis(300), "writes wait for the pause: {:?}", t.elapsed());
    // ALL holds every command, reads included.
    assert_eq!(admin.q("CLIENT PAUSE 300 ALL"), ok());
    let t = Instant::now();
    assert_eq!(w.q("PING"), st("PONG"));
    assert!(t.elapsed() >= Duration::from_millis(250), "ALL pauses reads too: {:?}", t.elapsed());
    // UNPAUSE releases held commands at once.
    assert_eq!(admin.q("CLIENT PAUSE 10000 WRITE"), ok());
    w.send_cmd(&["INCR", "k"]);
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    assert_eq!(admin.q("CLIENT UNPAUSE"), ok());
    assert_eq!(w.read(), int(3));
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn client_reply_off_skip_on() {
    let s = Server::start();
    let mut c = s.raw();
    c.send(b"CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nCLIENT REPLY ON\r\n");
    assert_eq!(c.read(), ok());
    c.send(b"CLIENT REPLY SKIP\r\nSET b 2\r\nGET b\r\n");
    assert_eq!(c.read(), bulk("2"));
    assert_eq!(c.q("GET a"), bulk("1"));
}

#[test]
fn monitor_streams_commands() {
    let s = Server::start();
    let mut m = s.raw();
    assert_eq!(m.q("MONITOR"), ok());
    let mut c = s.raw();
    c.q("SELECT 3");
    c.cmd(&["SET", "a b", "x\"y\n"]);
    c.q("CONFIG GET hz");
    let line1 = text(&m.read());
    let line2 = text(&m.read());
    assert!(line1.ends_with("] \"SELECT\" \"3\""), "{line1}");
    assert!(line2.contains("[3 127.0.0.1:") && line2.ends_with("\"SET\" \"a b\" \"x\\\"y\\n\""), "{line2}");
    // Admin commands are not shown; the next line is the next data command.
    c.q("GET a");
    let line3 = text(&m.read());
    assert!(line3.ends_with("\"GET\" \"a\""), "{line3}");
}

#[test]
fn slowlog_and_latency_monitor() {
    let s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("CONFIG SET slowlog-log-slower-than 0"), ok());
    c.q("SET slow 1");
    let Frame::Array(entries) = c.q("SLOWLOG GET 1") else { panic!() };
    let Frame::Array(e) = &entries[0] else { panic!() };
    assert_eq!(e[3], bulks(&["SET", "slow", "1"]));
    assert!(matches!(c.q("SLOWLOG LEN"), Frame::Int(n) if n >= 2));
    assert_eq!(c.q("SLOWLOG RESET"), ok());
    assert_eq!(c.q("SLOWLOG GET -2"), err("ERR count should be greater than or equal to -1"));
    // Long argument lists are trimmed as Redis trims them.
    let mut args: Vec<String> = vec!["MSET".into()];
    for i in 0..40 {
        args.push(format!("k{i}"));
        args.push("v".repeat(200));
    }
    c.cmd(&args);
    let Frame::Array(entries) = c.q("SLOWLOG GET 1") else { panic!() };
    let Frame::Array(e) = &entries[0] else { panic!() };
    let Frame::Array(a) = &e[3] else { panic!() };
    assert_eq!(a.len(), 32);
    assert_eq!(text(&a[31]), "... (50 more arguments)");
    assert_eq!(text(&a[2]), format!("{}... (72 more bytes)", "v".repeat(128)));
    assert_eq!(c.q("CONFIG SET latency-monitor-threshold 50"), ok());
    assert_eq!(c.q("DEBUG SLEEP 0.12"), ok());
    let Frame::Array(latest) = c.q("LATENCY LATEST") else { panic!() };
    let Frame::Array(ev) = &latest[0] else { panic!() };
    assert_eq!(ev[0], bulk("command"));
    assert!(matches!(ev[2], Frame::Int(ms) if ms >= 100), "{ev:?}");
    let Frame::Array(hist) = c.q("LATENCY HISTORY command") else { panic!() };
    assert_eq!(hist.len(), 1);
    assert_eq!(c.q("LATENCY RESET"), int(1));
    assert_eq!(c.q("LATENCY LATEST"), arr(vec![]));
}

#[test]
fn debug_digest_tracks_the_dataset() {
    let s = Server::start();
    let mut c = s.raw();
    let empty = text(&c.q("DEBUG DIGEST"));
    assert_eq!(empty, "0".repeat(40));
    c.q("SET a 1");
    c.q("SET b 2");
    let d1 = text(&c.q("DEBUG DIGEST"));
    assert_ne!(d1, empty);
    // Same data written in another order gives the same digest.
    let s2 = Server::start();
    let mut c2 = s2.raw();
    c2.q("SET b 2");
    c2.q("SET a 1");
    assert_eq!(text(&c2.q("DEBUG DIGEST")), d1);
    // Any change to a value, a name, the database or an expiry changes it.
    c2.q("SET a 2");
    assert_ne!(text(&c2.q("DEBUG DIGEST")), d1);
    c2.q("SET a 1");
    c2.q("PEXPIREAT a 4102444800000");
    assert_ne!(text(&c2.q("DEBUG DIGEST")), d1);
    c2.q("PERSIST a");
    assert_eq!(text(&c2.q("DEBUG DIGEST")), d1);
    c2.q("MOVE a 1");
    assert_ne!(text(&c2.q("DEBUG DIGEST")), d1);
    let Frame::Array(v) = c.q("DEBUG DIGEST-VALUE a nokey") else { panic!() };
    assert_eq!(v[1], st(&"0".repeat(40)));
}

#[test]
fn debug_is_refused_unless_enabled() {
    let s = Server::start_with(&["--enable-debug-command", "no"]);
    let mut c = s.raw();
    assert_eq!(c.q("DEBUG SLEEP 0"), err(keel::executor::DEBUG_NOT_ALLOWED));
}

#[test]
fn shutdown_command_exits_cleanly() {
    let mut s = Server::start();
    let mut c = s.raw();
    assert_eq!(c.q("SHUTDOWN FOO"), err("ERR syntax error"));
    assert_eq!(c.q("SHUTDOWN ABORT"), err("ERR No shutdown in progress."));
    c.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(c.is_closed());
    let status = s.wait_exit(Duration::from_secs(10)).expect("server exits after SHUTDOWN");
    assert!(status.success(), "{status:?}");
}

#[test]
fn sigterm_and_sigint_shut_down_gracefully() {
    for sig in ["TERM", "INT"] {
        let mut s = Server::start();
        let mut c = s.raw();
        // A command in flight when the signal arrives still gets its reply.
        c.send(b"DEBUG SLEEP 0.3\r\n");
        std::thread::sleep(Duration::from_millis(50));
        let _ = std::process::Command::new("kill").args([&format!("-{sig}"), &s.pid().to_string()]).status();
        assert_eq!(c.read(), ok(), "in-flight reply delivered on SIG{sig}");
        let status = s.wait_exit(Duration::from_secs(10)).expect("exits");
        assert!(status.success(), "SIG{sig}: {status:?}");
        assert!(s.log_text().contains("shutdown"), "{}", s.log_text());
    }
}
