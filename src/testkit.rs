//! Pieces shared by the integration tests and the tools in `tools/`: a blocking RESP client
//! and the case-file format.
//!
//! A case file is a script of commands with the exact reply each must get, written in
//! `Frame`'s display notation. The same file runs against Keel and against the reference
//! redis-server, so every expectation in it is both Redis's behaviour and Keel's:
//!
//! ```text
//! # comment
//! > SET k v              a command (redis-cli quoting) ...
//! +"OK"                  ... and the reply it must get, on the next line
//! >> DEBUG SLEEP 0       a command whose reply is not checked
//! >! CLIENT REPLY OFF    a command sent without reading any reply
//! > GET k
//! "v"
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::protocol::frame::{self, Frame};

/// A blocking RESP connection.
pub struct Client {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(port: u16) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(Client { s, buf: Vec::new() })
    }

    pub fn send<T: AsRef<[u8]>>(&mut self, args: &[T]) -> std::io::Result<()> {
        let mut b = Vec::new();
        crate::protocol::encode_request(args, &mut b);
        self.s.write_all(&b)
    }

    pub fn read(&mut self) -> std::io::Result<Frame> {
        loop {
            match frame::parse(&self.buf) {
                Ok(Some((f, n))) => {
                    self.buf.drain(..n);
                    return Ok(f);
                }
                Ok(None) => {}
                Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad RESP: {e:?}"))),
            }
            let mut tmp = [0u8; 65536];
            let n = self.s.read(&mut tmp)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&tmp[..n]);
        }
    }

    pub fn call<T: AsRef<[u8]>>(&mut self, args: &[T]) -> std::io::Result<Frame> {
        self.send(args)?;
        self.read()
    }
}

/// What a step of a case file does with the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// `> cmd` then the reply it must get (`*`: any reply).
    Reply(String),
    /// `>> cmd`: a reply is read and ignored.
    Ignore,
    /// `>! cmd`: no reply is read (the command is expected to get none).
    NoRead,
}

/// One step of a case file.
#[derive(Debug, Clone)]
pub struct Case {
    pub line_no: usize,
    pub cmd: Vec<Vec<u8>>,
    pub expect: Expect,
}

/// Parses a case file.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (kind, rest) = if let Some(r) = line.strip_prefix(">> ") {
            (Expect::Ignore, r)
        } else if let Some(r) = line.strip_prefix(">! ") {
            (Expect::NoRead, r)
        } else if let Some(r) = line.strip_prefix("> ") {
            (Expect::Reply(String::new()), r)
        } else {
            return Err(format!("line {}: expected a '> command' line, got {line:?}", i + 1));
        };
        let mut buf = Vec::new();
        let mut spans = Vec::new();
        if !crate::protocol::request::split_args(rest.as_bytes(), &mut buf, &mut spans) || spans.is_empty() {
            return Err(format!("line {}: cannot split {rest:?}", i + 1));
        }
        let cmd = spans.iter().map(|&(s, e)| buf[s..e].to_vec()).collect();
        let expect = match kind {
            Expect::Reply(_) => {
                let Some((_, e)) = lines.next() else { return Err(format!("line {}: command without expected reply", i + 1)) };
                Expect::Reply(e.trim().to_string())
            }
            other => other,
        };
        out.push(Case { line_no: i + 1, cmd, expect });
    }
    Ok(out)
}

/// Runs cases on a connection; returns one message per failed expectation.
pub fn run_cases(cases: &[Case], c: &mut Client) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        if case.expect == Expect::NoRead {
            if let Err(e) = c.send(&case.cmd) {
                failures.push(format!("line {}: send failed: {e}", case.line_no));
            }
            continue;
        }
        let got = match c.call(&case.cmd) {
            Ok(f) => f.to_string(),
            Err(e) => format!("<connection error: {e}>"),
        };
        // A push or attribute frame precedes the real reply: show both.
        let got = if got.starts_with(">[") || got.starts_with("|{") {
            format!("{got} {}", c.read().map(|f| f.to_string()).unwrap_or_default())
        } else {
            got
        };
        if let Expect::Reply(want) = &case.expect {
            if want != "*" && *want != got {
                let shown: Vec<String> = case.cmd.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
                failures.push(format!("line {}: > {}\n    expected: {want}\n    got:      {got}", case.line_no, shown.join(" ")));
            }
        }
    }
    failures
}

/// Whether a server on `port` serves commands: it accepts and answers PING with anything
/// but -LOADING (the dataset is still loading; see `server::loading`).
pub fn serving(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let mut b = [0u8; 64];
    s.write_all(b"PING\r\n").is_ok() && s.read(&mut b).is_ok_and(|n| n > 0 && !b[..n].starts_with(b"-LOADING"))
}
