//! The network side and the process lifecycle: bind, accept, spawn one task per connection,
//! run the periodic jobs (statistics, client time-outs, active expiry), and shut down
//! gracefully on SHUTDOWN, SIGTERM or SIGINT.
//!
//! Everything here runs on one current-thread tokio runtime, the executor's thread: a
//! connection task executes its commands itself, in arrival order, with no hand-off to another
//! thread. On the two cores this server is built for, a hand-off per batch costs more than
//! parsing does (see docs/ARCHITECTURE.md).

pub mod connection;
pub mod durability;
pub mod expiry;
mod fd;
pub mod loading;
pub mod snapshot;

use std::cell::RefCell;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::sync::Notify;

use crate::config::Config;
use crate::executor::{unix_ms, Server};
use crate::storage::io::{Fs, RealFs};
use crate::{log_notice, log_warning};

/// How long a graceful shutdown waits for connections to flush their replies.
const SHUTDOWN_DRAIN_MS_MAX: u64 = 2000;

/// Resolves `bind` entries to listen addresses. A leading `-` marks an address that may be
/// unavailable (skipped with a warning), as in Redis.
fn bind_addrs(config: &Config) -> Vec<(SocketAddr, bool)> {
    let mut out = Vec::new();
    for b in &config.bind {
        let (optional, host) = match b.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, b.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        let text = if host.contains(':') { format!("[{host}]:{}", config.port) } else { format!("{host}:{}", config.port) };
        match text.parse() {
            Ok(a) => out.push((a, optional)),
            Err(_) => out.push(("0.0.0.0:0".parse().expect("literal address"), true)),
        }
    }
    out
}

fn listen(config: &Config) -> Result<Vec<TcpListener>, String> {
    let mut listeners = Vec::new();
    for (addr, optional) in bind_addrs(config) {
        if addr.port() == 0 {
            continue;
        }
        match TcpListener::bind(addr) {
            Ok(l) => {
                l.set_nonblocking(true).map_err(|e| e.to_string())?;
                listeners.push(l);
            }
            Err(e) if optional => log_warning!("Could not create server TCP listening socket {addr}: {e}"),
            Err(e) => return Err(format!("Could not create server TCP listening socket {addr}: {e}")),
        }
    }
    if listeners.is_empty() {
        return Err("Configured to not listen anywhere, exiting.".into());
    }
    Ok(listeners)
}

/// Runs the server until it shuts down. Returns the process exit code.
pub fn run(config: Config) -> Result<i32, String> {
    run_on(config, Arc::new(RealFs), true)
}

/// `run` with the log on any file system (tests pass a fault-injecting `SimFs` and serve
/// real sockets from a thread), and optionally without taking over SIGTERM/SIGINT.
pub fn run_on(config: Config, fs: Arc<dyn Fs>, handle_signals: bool) -> Result<i32, String> {
    // Threads started from here on inherit the executor's CPUs unless their own list says.
    crate::util::sys::bind_thread_to(&config.server_cpulist, "the executor (server_cpulist)");
    crate::util::sys::set_bio_cpulist(&config.bio_cpulist);
    fs.create_dir_all(&config.dir).map_err(|e| format!("Can't create data directory {}: {e}", config.dir.display()))?;
    let listeners = listen(&config)?;
    let pidfile = config.pidfile.clone();
    if !pidfile.is_empty() {
        if let Err(e) = std::fs::write(&pidfile, format!("{}\n", std::process::id())) {
            log_warning!("Failed to write PID file {pidfile}: {e}");
        }
    }
    // A local runtime: tasks need not be Send, and there is no LocalSet layer per wake-up.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(tokio::runtime::LocalOptions::default())
        .map_err(|e| e.to_string())?;
    let code = rt.block_on(serve(config, listeners, fs, handle_signals));
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    code
}

async fn serve(config: Config, listeners: Vec<TcpListener>, fs: Arc<dyn Fs>, handle_signals: bool) -> Result<i32, String> {
    if !config.ignored.is_empty() {
        log_warning!(
            "Ignored directives (accepted for compatibility, not implemented by Keel yet, no effect): {}",
            config.ignored.join(", ")
        );
    }
    let port = config.port;
    let srv = Rc::new(RefCell::new(Server::new(config)));
    // Clients connecting while the dataset loads get -LOADING (and INFO) from a helper
    // thread; the load runs here, and the connections are ours once it is done.
    let progress = loading::SharedProgress::default();
    let password_required = srv.borrow().config.requirepass.is_some();
    let responder =
        loading::start(&listeners, progress.clone(), password_required).map_err(|e| format!("Can't start the loading responder: {e}"))?;
    let released = durability::open_reporting(&mut srv.borrow_mut(), fs, &progress);
    let held = responder.finish();
    let released = released?;
    if let Some(notify) = released {
        tokio::task::spawn_local(durability::release_loop(srv.clone(), notify));
    }
    let stop = srv.borrow().stop.clone();
    crate::util::memory::mark_startup();
    for l in listeners {
        let fd = fd::register_listener(l).map_err(|e| e.to_string())?;
        tokio::task::spawn_local(accept_loop(srv.clone(), fd, stop.clone()));
    }
    for h in held {
        start_connection_with(&srv, h.stream, h.peer, &h.input);
    }
    tokio::task::spawn_local(cron(srv.clone(), stop.clone()));
    tokio::task::spawn_local(expiry::run(srv.clone()));
    tokio::task::spawn_local(snapshot::run(srv.clone()));
    if handle_signals {
        tokio::task::spawn_local(signals(srv.clone(), stop.clone()));
    }
    log_notice!("Server initialized");
    log_notice!("Ready to accept connections tcp (port {port})");
    stop.notified().await;
    drain(&srv).await;
    save_at_shutdown(&mut srv.borrow_mut());
    durability::close(&mut srv.borrow_mut());
    log_notice!("Keel is now ready to exit, bye bye...");
    Ok(0)
}

/// SHUTDOWN SAVE, or a plain shutdown with save points and no log (Redis saves its RDB
/// then): a snapshot of the final state. With the log on, the log already holds it.
fn save_at_shutdown(srv: &mut Server) {
    let wanted = match srv.shutdown {
        Some(crate::executor::ShutdownMode::Save) => true,
        Some(crate::executor::ShutdownMode::NoSave) => false,
        _ => srv.log.is_none() && !srv.config.save_points.is_empty(),
    };
    if !wanted || srv.fs.is_none() {
        return;
    }
    if srv.snapshots.running.is_some() {
        log_warning!("A snapshot is running at shutdown; it is abandoned and a new one taken");
        srv.snapshot_drop();
    }
    log_notice!("Saving the final snapshot before exiting.");
    match srv.save_now(crate::executor::snapshot::Kind::Save) {
        Ok(_) => log_notice!("DB saved on disk"),
        Err(e) => log_warning!("Error trying to save the DB: {e}"),
    }
}

/// Asks every connection to close once its replies are written, then waits (bounded).
async fn drain(srv: &Rc<RefCell<Server>>) {
    {
        let mut s = srv.borrow_mut();
        for (_, c) in s.clients.iter_mut() {
            c.close_after_reply = true;
            c.wake.raise();
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(SHUTDOWN_DRAIN_MS_MAX);
    while !srv.borrow().clients.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn accept_loop(srv: Rc<RefCell<Server>>, listener: AsyncFd<TcpListener>, stop: Rc<Notify>) {
    loop {
        let accepted = {
            let Ok(mut guard) = listener.readable().await else { return };
            match guard.try_io(|l| l.get_ref().accept()) {
                Ok(r) => r,
                Err(_would_block) => continue,
            }
        };
        match accepted {
            Ok((stream, peer)) => {
                if srv.borrow().shutdown.is_some() {
                    return;
                }
                start_connection(&srv, stream, peer);
            }
            Err(e) => {
                log_warning!("Accepting client connection: {e}");
                // Out of descriptors and similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        if srv.borrow().shutdown.is_some() {
            stop.notify_one();
            return;
        }
    }
}

fn start_connection(srv: &Rc<RefCell<Server>>, stream: std::net::TcpStream, peer: SocketAddr) {
    start_connection_with(srv, stream, peer, &[]);
}

/// Starts serving a connection whose first `input` bytes were already received.
fn start_connection_with(srv: &Rc<RefCell<Server>>, stream: std::net::TcpStream, peer: SocketAddr, input: &[u8]) {
    let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let fd = stream.as_raw_fd();
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut s = srv.borrow_mut();
    if s.config.tcp_keepalive_secs > 0 {
        crate::util::sys::set_tcp_keepalive(fd, s.config.tcp_keepalive_secs);
    }
    if s.clients.len() as u64 >= s.config.maxclients {
        s.stats.rejected_connections += 1;
        let _ = std::io::Write::write_all(&mut &stream, b"-ERR max number of clients reached\r\n");
        return;
    }
    let Ok(sock) = fd::register_stream(stream) else { return };
    let slot = s.connect(peer.to_string(), laddr, fd);
    drop(s);
    tokio::task::spawn_local(connection::Connection::new(srv.clone(), sock, slot).with_input(input).run());
}

/// Periodic jobs at `hz`: rate sampling, idle-client time-outs, CLIENT PAUSE expiry, and
/// noticing a SHUTDOWN requested by a command.
async fn cron(srv: Rc<RefCell<Server>>, stop: Rc<Notify>) {
    loop {
        let hz = srv.borrow().config.hz.max(1);
        tokio::time::sleep(Duration::from_millis(1000 / u64::from(hz))).await;
        let mut s = srv.borrow_mut();
        let now = unix_ms();
        s.resync_clock();
        s.stats.sample(now);
        if s.pause.until_ms != 0 && now >= s.pause.until_ms {
            s.end_pause();
        }
        let timeout_ms = i64::try_from(s.config.timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        if timeout_ms > 0 {
            for (_, c) in s.clients.iter_mut() {
                if !c.monitor && now - c.last_interaction_ms > timeout_ms {
                    c.close_asap = true;
                    c.wake.raise();
                }
            }
        }
        if s.shutdown.is_some() {
            stop.notify_one();
            return;
        }
    }
}

async fn signals(srv: Rc<RefCell<Server>>, stop: Rc<Notify>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        log_warning!("Could not install signal handlers; SIGTERM will not shut down gracefully");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    log_warning!("Received {name} scheduling shutdown...");
    srv.borrow_mut().shutdown = Some(crate::executor::ShutdownMode::Default);
    stop.notify_one();
}
