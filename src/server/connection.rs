//! One connection: read bytes, cut them into commands, run each through the executor, write
//! the replies in order.
//!
//! The socket is an `AsyncFd` over a non-blocking std stream rather than a tokio `TcpStream`
//! so that a short read can clear readiness without another `read` syscall that would only
//! return EAGAIN: with one request per read, that extra syscall would cost ~10% of throughput.
//! (Clearing is race-free: tokio only clears if no new readiness event arrived since.)
//!
//! Buffers are bounded: the unparsed input by `client-query-buffer-limit` (the client is
//! dropped past it, as Redis does), the output by `OUTPUT_PENDING_BYTES_MAX` (the connection
//! stops reading until the client drains it).

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use tokio::io::unix::AsyncFd;

use crate::executor::client::Signal;
use crate::executor::{Outcome, Server};
use crate::limits::{COMMANDS_PER_TURN_MAX, OUTPUT_PENDING_BYTES_MAX, READ_CHUNK_BYTES};
use crate::protocol::{Out, ParseLimits, Parsed, RequestParser};
use crate::server::durability;

/// Input buffer: `buf[start..filled]` is received and not yet executed.
struct Input {
    buf: Vec<u8>,
    start: usize,
    filled: usize,
}

impl Input {
    /// Makes room for one more read, moving unparsed bytes to the front when that frees space.
    fn reserve(&mut self) {
        if self.buf.len() - self.filled >= READ_CHUNK_BYTES / 2 {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.filled < READ_CHUNK_BYTES / 2 {
            let grown = (self.buf.len() * 2).max(READ_CHUNK_BYTES);
            self.buf.resize(grown, 0);
        }
    }

    fn pending(&self) -> usize {
        self.filled - self.start
    }

    /// Gives memory back after a large argument has been consumed.
    fn shrink_if_idle(&mut self) {
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
            if self.buf.len() > 4 * READ_CHUNK_BYTES {
                self.buf = vec![0; READ_CHUNK_BYTES];
            }
        }
    }
}

/// Time until the Unix-ms `deadline`, at least 1 ms: the executor's cached clock may lag the
/// real one by a millisecond, and a zero wait would re-run the command in a busy loop.
fn until_ms(deadline: i64) -> Duration {
    Duration::from_millis(u64::try_from(deadline - crate::executor::unix_ms()).unwrap_or(0).max(1))
}

/// Why a connection task woke up.
enum Woke {
    Bytes(usize),
    Read,
    Signal,
    Eof,
}

enum Turn {
    /// Keep serving.
    Continue,
    /// A command is held by CLIENT PAUSE.
    Paused,
    /// A command blocks (WAIT, WAITAOF) until woken or its deadline.
    Blocked,
    /// Close once the output is written.
    CloseAfterFlush,
    /// Close now.
    Close,
}

pub struct Connection {
    srv: Rc<RefCell<Server>>,
    sock: AsyncFd<TcpStream>,
    slot: usize,
    input: Input,
    parser: RequestParser,
    out: Out,
    written: usize,
    /// The last turn stopped with complete commands still buffered (turn budget or output
    /// limit), so the next turn need not wait for the socket.
    more_buffered: bool,
}

impl Connection {
    pub fn new(srv: Rc<RefCell<Server>>, sock: AsyncFd<TcpStream>, slot: usize) -> Self {
        Connection {
            srv,
            sock,
            slot,
            input: Input { buf: vec![0; READ_CHUNK_BYTES], start: 0, filled: 0 },
            parser: RequestParser::new(),
            out: Out::new(false),
            written: 0,
            more_buffered: false,
        }
    }

    /// Bytes already received for this connection (by the loading responder).
    pub fn with_input(mut self, bytes: &[u8]) -> Self {
        if self.input.buf.len() < bytes.len() {
            self.input.buf.resize(bytes.len(), 0);
        }
        self.input.buf[..bytes.len()].copy_from_slice(bytes);
        self.input.filled = bytes.len();
        self
    }

    pub async fn run(mut self) {
        let wake = self.srv.borrow().clients.get(self.slot).wake.clone();
        loop {
            let turn = self.execute_pending();
            if !self.wait_released(&wake).await {
                crate::log_warning!(
                    "Closing client {} without its replies: the log failed, so its writes were never made durable",
                    self.srv.borrow().clients.get(self.slot).addr
                );
                break;
            }
            if self.flush().await.is_err() {
                break;
            }
            match turn {
                Turn::Close | Turn::CloseAfterFlush => break,
                Turn::Paused => {
                    let until = self.srv.borrow().pause.until_ms;
                    tokio::select! {
                        () = wake.raised() => {}
                        () = tokio::time::sleep(until_ms(until)) => {}
                    }
                    continue;
                }
                Turn::Blocked => {
                    if !self.wait_unblocked(&wake).await {
                        break;
                    }
                    continue;
                }
                Turn::Continue => {}
            }
            if self.more_buffered {
                // More commands are already buffered: let other clients run first.
                tokio::task::yield_now().await;
                continue;
            }
            match self.read_or_signal(&wake).await {
                Ok(Woke::Read | Woke::Signal | Woke::Bytes(_)) => {}
                Ok(Woke::Eof) | Err(_) => break,
            }
        }
        self.srv.borrow_mut().disconnect(self.slot);
    }

    /// Holds the replies until the log has released the last record this client wrote
    /// (under `appendfsync always`: until it is durable). Without `always` the release is
    /// the write itself, done here on the executor: after one yield, so that the other
    /// connections ready in this tick append first and one write covers them all.
    /// False: they never will be (`durability::never_released`); close without them.
    async fn wait_released(&self, wake: &Signal) -> bool {
        let mut yielded = false;
        loop {
            let inline = {
                let mut srv = self.srv.borrow_mut();
                let hold = srv.clients.get(self.slot).hold_until;
                if hold <= srv.release_offset {
                    return true;
                }
                if durability::never_released(&srv, hold) {
                    return false;
                }
                let inline = durability::writes_inline(&srv);
                if inline && yielded && durability::write_inline(&mut srv) && hold <= srv.release_offset {
                    return true;
                }
                inline
            };
            if inline && !yielded {
                yielded = true;
                tokio::task::yield_now().await;
                continue;
            }
            wake.raised().await;
        }
    }

    /// While a command is blocked: waits for a wake-up or its deadline, reading (and only
    /// buffering) input meanwhile so a client that goes away is noticed. False: it went away.
    async fn wait_unblocked(&mut self, wake: &Signal) -> bool {
        let (blocked, ready) = {
            let srv = self.srv.borrow();
            let c = srv.clients.get(self.slot);
            let Some(b) = c.blocked else { return true };
            // A wake-up that came while the replies before the command were held was spent
            // there: look for its causes before waiting.
            let ready = b.unblocked.is_some() || c.close_asap || c.close_after_reply || durability::durable_for(&srv, &b);
            (b, ready || (b.durable_offset != 0 && durability::log_failed(&srv)))
        };
        if ready {
            return true;
        }
        let wait = if blocked.deadline_ms == 0 { Duration::MAX } else { until_ms(blocked.deadline_ms) };
        if self.input.pending() as u64 > self.srv.borrow().config.query_buffer_limit_bytes {
            // Buffered enough behind the blocked command: wait without reading.
            let _ = tokio::time::timeout(wait, wake.raised()).await;
            return true;
        }
        match tokio::time::timeout(wait, self.read_or_signal(wake)).await {
            Err(_elapsed) => true,
            Ok(Ok(Woke::Read | Woke::Signal | Woke::Bytes(_))) => true,
            Ok(Ok(Woke::Eof) | Err(_)) => false,
        }
    }

    /// Waits for input (and reads it, once) or for the client's signal, whichever comes first.
    /// One poll function instead of a `select!`: this runs once per request.
    async fn read_or_signal(&mut self, wake: &Signal) -> std::io::Result<Woke> {
        self.input.reserve();
        let sock = &self.sock;
        let buf = &mut self.input.buf[self.input.filled..];
        let room = buf.len();
        let woke = std::future::poll_fn(|cx| {
            if wake.poll_raised(cx).is_ready() {
                return Poll::Ready(Ok(Woke::Signal));
            }
            loop {
                let mut guard = std::task::ready!(sock.poll_read_ready(cx))?;
                match guard.try_io(|s| s.get_ref().read(buf)) {
                    Ok(Ok(0)) => return Poll::Ready(Ok(Woke::Eof)),
                    Ok(Ok(n)) => {
                        if n < room {
                            guard.clear_ready();
                        }
                        return Poll::Ready(Ok(Woke::Bytes(n)));
                    }
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Ok(Err(e)) => return Poll::Ready(Err(e)),
                    Err(_would_block) => {}
                }
            }
        })
        .await?;
        if let Woke::Bytes(n) = woke {
            self.input.filled += n;
            let mut srv = self.srv.borrow_mut();
            srv.stats.net_input_bytes += n as u64;
            srv.stats.reads_processed += 1;
            return Ok(Woke::Read);
        }
        Ok(woke)
    }

    /// Runs the buffered commands (at most one turn's worth) under one borrow of the server.
    fn execute_pending(&mut self) -> Turn {
        let mut srv = self.srv.borrow_mut();
        let srv = &mut *srv;
        let lim =
            ParseLimits { bulk_len_bytes_max: srv.config.proto_max_bulk_len, authenticated: srv.clients.get(self.slot).authenticated };
        let mut turn = Turn::Continue;
        self.more_buffered = true;
        for _ in 0..COMMANDS_PER_TURN_MAX {
            if let Some(t) = self.check_client(srv) {
                turn = t;
                break;
            }
            let buf = &self.input.buf[self.input.start..self.input.filled];
            match self.parser.parse(buf, lim) {
                Ok(Parsed::Incomplete) => {
                    self.more_buffered = false;
                    break;
                }
                Ok(Parsed::Skip(n)) => self.input.start += n,
                Ok(Parsed::Command(n)) => {
                    if let Some(reply) = srv.clients.get_mut(self.slot).served_reply.take() {
                        // A blocked command the executor served while it waited.
                        self.out.buf.extend_from_slice(&reply);
                        self.input.start += n;
                        continue;
                    }
                    let args = self.parser.args(buf);
                    match srv.execute(self.slot, args, &mut self.out) {
                        Outcome::Done => {}
                        Outcome::Paused => {
                            turn = Turn::Paused;
                            break;
                        }
                        Outcome::Blocked => {
                            turn = Turn::Blocked;
                            break;
                        }
                    }
                    self.input.start += n;
                }
                Err(e) => {
                    let mut msg = b"ERR ".to_vec();
                    msg.extend_from_slice(e.0.as_bytes());
                    self.out.error(&msg);
                    srv.stats.count_error(&msg);
                    crate::log_verbose!("Protocol error ({}) from client: {}", e.0, srv.clients.get(self.slot).addr);
                    turn = Turn::CloseAfterFlush;
                    break;
                }
            }
            if self.out.len() - self.written > OUTPUT_PENDING_BYTES_MAX {
                break;
            }
        }
        if self.input.pending() as u64 > srv.config.query_buffer_limit_bytes {
            crate::log_warning!("Closing client that reached max query buffer length: {}", srv.clients.get(self.slot).addr);
            return Turn::Close;
        }
        let c = srv.clients.get_mut(self.slot);
        if !c.pending_out.is_empty() {
            self.out.buf.append(&mut c.pending_out);
        }
        c.qbuf_bytes = self.input.pending();
        c.obuf_bytes = self.out.len() - self.written;
        self.input.shrink_if_idle();
        if matches!(turn, Turn::Continue) {
            turn = self.check_client(srv).unwrap_or(Turn::Continue);
        }
        turn
    }

    fn check_client(&self, srv: &Server) -> Option<Turn> {
        let c = srv.clients.get(self.slot);
        if c.close_asap {
            return Some(Turn::Close);
        }
        if c.close_after_reply {
            return Some(Turn::CloseAfterFlush);
        }
        None
    }

    /// Writes all pending output.
    async fn flush(&mut self) -> std::io::Result<()> {
        while self.written < self.out.len() {
            let mut guard = self.sock.writable().await?;
            match guard.try_io(|s| s.get_ref().write(&self.out.buf[self.written..])) {
                Ok(Ok(n)) => {
                    self.written += n;
                    let mut srv = self.srv.borrow_mut();
                    srv.stats.net_output_bytes += n as u64;
                    srv.stats.writes_processed += 1;
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => {}
            }
        }
        self.out.buf.clear();
        self.written = 0;
        if self.out.buf.capacity() > 4 * READ_CHUNK_BYTES {
            self.out.buf = Vec::with_capacity(READ_CHUNK_BYTES);
        }
        Ok(())
    }
}
