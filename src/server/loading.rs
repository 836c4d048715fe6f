//! Serving clients while the dataset loads at start-up, as Redis does: the listeners accept
//! at once, every command gets `-LOADING` except INFO (which reports the progress and an
//! estimate of the time left, with Redis's loading_* fields) and SHUTDOWN.
//!
//! The load itself runs on the executor's thread and owns the data, so this answers from a
//! small thread of its own, polling its sockets; when the load is done it hands every
//! connection back, with any bytes of a command it had only partly received, and the
//! executor serves them from there.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::protocol::{ParseLimits, Parsed, RequestParser};

/// How often the responder looks at its sockets.
const POLL_EVERY: Duration = Duration::from_millis(2);

/// Connections the responder holds at most (the rest wait in the listen backlog).
const CONNECTIONS_MAX: usize = 1024;

/// Bytes of unanswered input one connection may hold while loading.
const INPUT_BYTES_MAX: usize = 1 << 20;

pub const LOADING_ERROR: &str = "-LOADING Keel is loading the dataset in memory\r\n";

/// How far the load is; the loader updates it, INFO reads it.
#[derive(Debug, Clone)]
pub struct Progress {
    pub started: Instant,
    pub started_unix_secs: i64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
}

impl Progress {
    pub fn new() -> Self {
        Progress { started: Instant::now(), started_unix_secs: crate::executor::unix_ms() / 1000, total_bytes: 0, loaded_bytes: 0 }
    }

    /// Seconds left at the rate so far (0 until there is a rate).
    pub fn eta_secs(&self) -> u64 {
        let secs = self.started.elapsed().as_secs_f64();
        if self.loaded_bytes == 0 || secs <= 0.0 {
            return 0;
        }
        let rate = self.loaded_bytes as f64 / secs;
        (self.total_bytes.saturating_sub(self.loaded_bytes) as f64 / rate) as u64
    }

    pub fn percent(&self) -> f64 {
        if self.total_bytes == 0 {
            return 0.0;
        }
        (self.loaded_bytes as f64 * 100.0 / self.total_bytes as f64).min(100.0)
    }

    /// Redis's loading fields of INFO persistence.
    pub fn info_fields(&self) -> String {
        format!(
            "loading_start_time:{}\r\nloading_total_bytes:{}\r\nloading_rdb_used_mem:{}\r\nloading_loaded_bytes:{}\r\nloading_loaded_perc:{:.2}\r\nloading_eta_seconds:{}\r\n",
            self.started_unix_secs,
            self.total_bytes,
            crate::util::memory::allocated(),
            self.loaded_bytes,
            self.percent(),
            self.eta_secs()
        )
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

pub type SharedProgress = Arc<Mutex<Progress>>;

/// A connection accepted while loading, handed to the executor afterwards.
pub struct Held {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    /// Received bytes not yet answered (the start of a command).
    pub input: Vec<u8>,
}

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    input: Vec<u8>,
    parser: RequestParser,
    closed: bool,
}

pub struct Responder {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Held>>,
}

/// Starts answering on (clones of) `listeners`.
/// With `password_required`, nothing is answered but -NOAUTH (AUTH itself gets -LOADING: the
/// executor checks passwords once it has the connection).
pub fn start(listeners: &[TcpListener], progress: SharedProgress, password_required: bool) -> std::io::Result<Responder> {
    let ls: Vec<TcpListener> = listeners.iter().map(TcpListener::try_clone).collect::<Result<_, _>>()?;
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let thread = std::thread::Builder::new().name("keel-loading".into()).spawn(move || serve(&ls, &progress, &s, password_required))?;
    Ok(Responder { stop, thread })
}

impl Responder {
    /// Stops answering and returns the connections it holds.
    pub fn finish(self) -> Vec<Held> {
        self.stop.store(true, Ordering::Release);
        self.thread.join().unwrap_or_default()
    }
}

fn serve(listeners: &[TcpListener], progress: &SharedProgress, stop: &AtomicBool, password_required: bool) -> Vec<Held> {
    let mut conns: Vec<Conn> = Vec::new();
    while !stop.load(Ordering::Acquire) {
        for l in listeners {
            while conns.len() < CONNECTIONS_MAX {
                let Ok((stream, peer)) = l.accept() else { break };
                if stream.set_nonblocking(true).is_err() {
                    continue;
                }
                let _ = stream.set_nodelay(true);
                conns.push(Conn { stream, peer, input: Vec::new(), parser: RequestParser::new(), closed: false });
            }
        }
        for c in &mut conns {
            poll(c, progress, password_required);
        }
        conns.retain(|c| !c.closed);
        std::thread::sleep(POLL_EVERY);
    }
    conns.into_iter().map(|c| Held { stream: c.stream, peer: c.peer, input: c.input }).collect()
}

/// Reads what arrived and answers every complete command.
fn poll(c: &mut Conn, progress: &SharedProgress, password_required: bool) {
    let mut tmp = [0u8; 16 * 1024];
    loop {
        match c.stream.read(&mut tmp) {
            Ok(0) => {
                c.closed = true;
                return;
            }
            Ok(n) => c.input.extend_from_slice(&tmp[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(_) => {
                c.closed = true;
                return;
            }
        }
        if c.input.len() > INPUT_BYTES_MAX {
            // More than any command we would answer now: drop the client.
            c.closed = true;
            return;
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let limits = ParseLimits { authenticated: !password_required, ..ParseLimits::default() };
        match c.parser.parse(&c.input[at..], limits) {
            Ok(Parsed::Command(n)) => {
                let name = c.parser.args(&c.input[at..]).get(0).to_ascii_lowercase();
                if password_required && name != b"auth" {
                    out.extend_from_slice(b"-NOAUTH Authentication required.\r\n");
                } else {
                    answer(&name, progress, &mut out);
                }
                at += n;
            }
            Ok(Parsed::Skip(n)) => at += n,
            Ok(Parsed::Incomplete) => break,
            Err(e) => {
                out.extend_from_slice(format!("-ERR {}\r\n", e.0).as_bytes());
                c.closed = true;
                break;
            }
        }
    }
    c.input.drain(..at);
    if !out.is_empty() && c.stream.write_all(&out).is_err() {
        c.closed = true;
    }
}

fn answer(name: &[u8], progress: &SharedProgress, out: &mut Vec<u8>) {
    match name {
        b"info" => {
            let p = progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            let body = format!("# Persistence\r\nloading:1\r\nasync_loading:0\r\n{}", p.info_fields());
            out.extend_from_slice(format!("${}\r\n{body}\r\n", body.len()).as_bytes());
        }
        b"shutdown" => {
            crate::log_warning!("User requested shutdown while loading; exiting");
            std::process::exit(0);
        }
        _ => out.extend_from_slice(LOADING_ERROR.as_bytes()),
    }
}
