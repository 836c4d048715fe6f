//! Test harness: real `keel-server` processes on ephemeral ports, a raw RESP connection that
//! asserts replies byte for byte, and a reference `redis-server` for side-by-side checks.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use keel::protocol::frame::{self, Frame};

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("keel-it-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A server process that is killed when dropped.
pub struct Server {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
    pub log: PathBuf,
    /// Leave the data directory behind on drop (for a restart on the same data).
    keep_dir: bool,
}

fn wait_ready(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            if s.write_all(b"PING\r\n").is_ok() {
                let mut b = [0u8; 64];
                if let Ok(n) = s.read(&mut b) {
                    // Any reply but -LOADING (the dataset is still loading) means it serves;
                    // an error (NOAUTH) too.
                    if n > 0 && !b[..n].starts_with(b"-LOADING") {
                        return true;
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Starts keel-server with extra command-line arguments.
    pub fn start_with(args: &[&str]) -> Server {
        let dir = temp_dir("srv");
        Self::start_in(&dir, args)
    }

    /// Starts keel-server on a given data directory.
    pub fn start_in(dir: &std::path::Path, args: &[&str]) -> Server {
        for _ in 0..5 {
            let port = free_port();
            let log = dir.join(format!("server-{port}.log"));
            let out = std::fs::File::create(&log).expect("log file");
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_keel-server"));
            // A config file must come first, as with redis-server; later options win.
            cmd.args(args);
            cmd.args(["--port", &port.to_string(), "--dir", &dir.display().to_string()]);
            if !args.contains(&"--enable-debug-command") {
                cmd.args(["--enable-debug-command", "local"]);
            }
            cmd.stdout(out.try_clone().expect("log")).stderr(out).stdin(Stdio::null());
            let mut child = cmd.spawn().expect("spawn keel-server");
            if wait_ready(port, &mut child) {
                return Server { port, dir: dir.to_path_buf(), child, log, keep_dir: false };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("keel-server did not start; see logs in {}", dir.display());
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url()).expect("client").get_connection().expect("connect")
    }

    pub fn client_resp3(&self) -> redis::Connection {
        redis::Client::open(format!("{}?protocol=resp3", self.url())).expect("client").get_connection().expect("connect")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal and waits for the exit status.
    pub fn signal_and_wait(&mut self, sig: &str) -> std::process::ExitStatus {
        let _ = Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status();
        self.wait_exit(Duration::from_secs(10)).expect("server exits")
    }

    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// SIGKILL: no shutdown path runs; the data directory stays for a restart.
    pub fn kill9(mut self) {
        self.keep_dir = true;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Keeps the data directory when this handle is dropped.
    pub fn keep_dir(&mut self) {
        self.keep_dir = true;
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The reference Redis 7.0.15 (Debian's redis-server). Tests that need it fail loudly if it
/// is missing: .ci/run installs it.
pub struct Reference {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl Reference {
    pub fn start() -> Reference {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Reference {
        let dir = temp_dir("ref");
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&dir)
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server must be installed (apt-get install redis-server); .ci/run does this");
            if wait_ready(port, &mut child) {
                return Reference { port, child, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A raw RESP connection: sends commands, returns the decoded reply frames.
pub struct Raw {
    pub s: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        Self::from_stream(TcpStream::connect(("127.0.0.1", port)).expect("connect"))
    }

    pub fn from_stream(s: TcpStream) -> Raw {
        s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        Raw { s, buf: Vec::new() }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("write");
    }

    /// Sends one command given as separate arguments.
    pub fn send_cmd<T: AsRef<[u8]>>(&mut self, args: &[T]) {
        let mut b = Vec::new();
        keel::protocol::encode_request(args, &mut b);
        self.send(&b);
    }

    /// Reads one reply frame (None on EOF).
    pub fn try_read(&mut self) -> Option<Frame> {
        loop {
            if let Some((f, n)) = frame::parse(&self.buf).expect("server sent invalid RESP") {
                self.buf.drain(..n);
                return Some(f);
            }
            let mut tmp = [0u8; 65536];
            match self.s.read(&mut tmp) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    pub fn read(&mut self) -> Frame {
        self.try_read().expect("reply, not EOF")
    }

    /// Runs a command given as separate arguments.
    pub fn cmd<T: AsRef<[u8]>>(&mut self, args: &[T]) -> Frame {
        self.send_cmd(args);
        self.read()
    }

    /// Runs a command written as one line, split on spaces (use `cmd` for spaces in args).
    pub fn q(&mut self, line: &str) -> Frame {
        let args: Vec<&str> = line.split(' ').collect();
        self.cmd(&args)
    }

    /// True once the server has closed the connection (reads EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        let _ = self.s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut tmp = [0u8; 1024];
        loop {
            match self.s.read(&mut tmp) {
                Ok(0) => return true,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }
}

pub fn ok() -> Frame {
    Frame::Simple(b"OK".to_vec())
}

pub fn st(s: &str) -> Frame {
    Frame::Simple(s.as_bytes().to_vec())
}

pub fn int(n: i64) -> Frame {
    Frame::Int(n)
}

pub fn bulk(s: &str) -> Frame {
    Frame::Bulk(s.as_bytes().to_vec())
}

pub fn bulkb(s: &[u8]) -> Frame {
    Frame::Bulk(s.to_vec())
}

pub fn nil() -> Frame {
    Frame::NullBulk
}

pub fn err(s: &str) -> Frame {
    Frame::Error(s.as_bytes().to_vec())
}

pub fn arr(v: Vec<Frame>) -> Frame {
    Frame::Array(v)
}

pub fn bulks(v: &[&str]) -> Frame {
    Frame::Array(v.iter().map(|s| bulk(s)).collect())
}

/// The text of a bulk or simple reply.
pub fn text(f: &Frame) -> String {
    String::from_utf8_lossy(f.as_bytes().unwrap_or_else(|| panic!("not a string reply: {f:?}"))).into_owned()
}

/// An INFO field's value.
pub fn info_field(raw: &mut Raw, section: &str, field: &str) -> String {
    let t = text(&raw.q(&format!("INFO {section}")));
    t.lines().find_map(|l| l.strip_prefix(&format!("{field}:"))).unwrap_or_else(|| panic!("no {field} in INFO {section}")).to_string()
}

/// Runs `redis-cli` against a port with arguments; returns (stdout, status success).
pub fn redis_cli(port: u16, args: &[&str]) -> (String, bool) {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli must be installed (apt-get install redis-tools); .ci/run does this");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.success())
}
