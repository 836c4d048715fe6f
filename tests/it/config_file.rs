//! Start-up configuration: a real redis.conf, directives on the command line, errors that
//! name the file, the line and the reason, and CONFIG REWRITE.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// Runs keel-server expecting it to refuse to start; returns (exit code, stderr+stdout).
fn refused(args: &[&str]) -> (i32, String) {
    let dir = temp_dir("refused");
    let out = Command::new(env!("CARGO_BIN_EXE_keel-server"))
        .args(args)
        .args(["--dir", &dir.display().to_string(), "--port", "0"])
        .stdin(Stdio::null())
        .output()
        .expect("run keel-server");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn debian_redis_conf_loads_with_one_warning() {
    let conf = "/etc/redis/redis.conf";
    assert!(std::path::Path::new(conf).exists(), "{conf} missing: .ci/run installs redis-server, which ships it");
    let dir = temp_dir("conf");
    let s = Server::start_in(&dir, &[conf, "--logfile", "", "--pidfile", ""]);
    let mut c = s.raw();
    assert_eq!(c.q("PING"), st("PONG"));
    assert_eq!(c.q("CONFIG GET databases"), bulks(&["databases", "16"]));
    assert_eq!(c.q("CONFIG GET appendfsync"), bulks(&["appendfsync", "everysec"]));
    let log = s.log_text();
    let warning = log.lines().find(|l| l.contains("Ignored directives")).unwrap_or_else(|| panic!("no warning in:\n{log}"));
    assert_eq!(log.matches("Ignored directives").count(), 1, "one warning line: {log}");
    for d in ["daemonize", "rdbcompression", "oom-score-adj", "client-output-buffer-limit"] {
        assert!(warning.contains(d), "{d} should be listed: {warning}");
    }
}

#[test]
fn command_line_directives_win_over_the_file() {
    let dir = temp_dir("cli");
    let conf = dir.join("keel.conf");
    std::fs::write(&conf, "hz 20\nmaxmemory 100mb\nslowlog-max-len 5\n").unwrap();
    let s = Server::start_in(&dir, &[conf.to_str().unwrap(), "--hz", "30", "--slowlog-max-len", "7"]);
    let mut c = s.raw();
    assert_eq!(c.q("CONFIG GET hz"), bulks(&["hz", "30"]));
    assert_eq!(c.q("CONFIG GET slowlog-max-len"), bulks(&["slowlog-max-len", "7"]));
    assert_eq!(c.q("CONFIG GET maxmemory"), bulks(&["maxmemory", "104857600"]));
    // --config FILE is the same as the positional file.
    let s2 = Server::start_in(&temp_dir("cli2"), &["--config", conf.to_str().unwrap()]);
    assert_eq!(s2.raw().q("CONFIG GET hz"), bulks(&["hz", "20"]));
}

#[test]
fn bad_configuration_stops_start_up_with_file_line_and_reason() {
    let dir = temp_dir("bad");
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "# ok\nport 7000\nmaxmemroy 1gb\n").unwrap();
    let (code, text) = refused(&[conf.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FATAL CONFIG FILE ERROR"), "{text}");
    assert!(text.contains(&conf.display().to_string()) && text.contains("at line 3"), "{text}");
    assert!(text.contains(">>> 'maxmemroy 1gb'") && text.contains("Bad directive or wrong number of arguments"), "{text}");
    assert!(text.contains("did you mean 'maxmemory'"), "{text}");
    std::fs::write(&conf, "appendonly maybe\n").unwrap();
    let (code, text) = refused(&[conf.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(text.contains("argument must be 'yes' or 'no'") && text.contains("at line 1"), "{text}");
    let (code, text) = refused(&["--hz", "lots"]);
    assert_eq!(code, 1);
    assert!(text.contains("command line") && text.contains("argument couldn't be parsed into an integer"), "{text}");
    let (code, text) = refused(&["--no-such-directive", "1"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Bad directive"), "{text}");
    let (code, text) = refused(&["/nonexistent/keel.conf"]);
    assert_eq!(code, 1);
    assert!(text.contains("can't open config file"), "{text}");
}

#[test]
fn config_rewrite_keeps_the_file_and_updates_values() {
    // The file lives outside the server's data directory, which is removed with the server.
    let conf = temp_dir("rwconf").join("keel.conf");
    std::fs::write(&conf, "# my settings\nhz 20\n\nslowlog-max-len 5\n").unwrap();
    let s = Server::start_in(&temp_dir("rw"), &[conf.to_str().unwrap()]);
    let mut c = s.raw();
    assert_eq!(c.q("CONFIG SET hz 40 maxmemory-policy allkeys-lru"), ok());
    assert_eq!(c.q("CONFIG REWRITE"), ok());
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.starts_with("# my settings\nhz 40\n\nslowlog-max-len 5\n"), "{text}");
    assert!(text.contains("maxmemory-policy allkeys-lru"), "{text}");
    let plain = Server::start();
    assert_eq!(plain.raw().q("CONFIG REWRITE"), err("ERR The server is running without a config file"));
    drop(s);
    // The rewritten file starts a server with the new values.
    let s2 = Server::start_in(&temp_dir("rw2"), &[conf.to_str().unwrap()]);
    assert_eq!(s2.raw().q("CONFIG GET hz"), bulks(&["hz", "40"]));
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn help_and_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_keel-server")).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for flag in ["--port", "--bind", "--dir", "--config", "--databases", "--loglevel"] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_keel-server")).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}
