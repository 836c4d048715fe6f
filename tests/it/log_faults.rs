//! Storage faults under a real server: the full server (listener, connections, executor, log
//! thread) runs in a thread of this process on a `SimFs` whose faults the test switches on,
//! and is driven over real sockets. A failed fsync and a full disk must refuse new writes with
//! a clear error, keep serving reads of durable data, never acknowledge a write that is not
//! durable, and lose nothing acknowledged across a restart.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keel::config::Config;
use keel::protocol::frame::Frame;
use keel::storage::sim::{Faults, SimFs};

use crate::common::{bulk, free_port, ok, Raw};

/// A server running in a thread on `fs`; SHUTDOWN NOSAVE stops it.
struct InProcess {
    port: u16,
    thread: Option<std::thread::JoinHandle<Result<i32, String>>>,
}

impl InProcess {
    fn start(fs: &SimFs) -> InProcess {
        Self::start_with(fs, |_| {})
    }

    fn start_with(fs: &SimFs, configure: impl FnOnce(&mut Config)) -> InProcess {
        let mut config = Config::default();
        config.port = free_port();
        config.bind = vec!["127.0.0.1".into()];
        config.dir = PathBuf::from("/data");
        // Small segments, so the simulated disk's per-sync copies stay small.
        config.segment_size_bytes = 16 * 1024;
        configure(&mut config);
        let port = config.port;
        let fs: Arc<dyn keel::storage::io::Fs> = Arc::new(fs.clone());
        let thread = std::thread::spawn(move || keel::server::run_on(config, fs, false));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "in-process server did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
        InProcess { port, thread: Some(thread) }
    }

    fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    fn stop(mut self) {
        let mut c = self.raw();
        c.send(b"SHUTDOWN NOSAVE\r\n");
        let result = self.thread.take().unwrap().join().expect("server thread");
        assert_eq!(result, Ok(0));
    }
}

/// Asserts that no reply arrives on `c` within `ms`.
fn no_reply_within(c: &mut Raw, ms: u64) {
    c.s.set_read_timeout(Some(Duration::from_millis(ms))).unwrap();
    let mut b = [0u8; 64];
    match c.s.read(&mut b) {
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
        other => panic!("expected no reply yet, got {other:?}"),
    }
    c.s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
}

fn error_text(f: Frame) -> String {
    match f {
        Frame::Error(e) => String::from_utf8(e).unwrap(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_failed_fsync_refuses_writes_serves_durable_reads_and_never_acknowledges() {
    let fs = SimFs::new(21);
    let srv = InProcess::start(&fs);
    let mut c = srv.raw();
    assert_eq!(c.q("SET durable 1"), ok());

    fs.set_faults(Faults { fail_sync_after: Some(0), ..Faults::default() });
    let mut writer = srv.raw();
    writer.send(b"SET lost 2\r\n");
    // Its fsync fails: the reply never comes; the connection is closed instead.
    assert!(writer.try_read().is_none(), "a write whose fsync failed is never acknowledged");

    let refused = error_text(c.q("SET other 3"));
    assert!(refused.starts_with("MISCONF Errors writing to the AOF file: fsync of the log failed"), "{refused}");
    assert_eq!(c.q("GET durable"), bulk("1"), "reads of durable data go on");
    // Turning the log off now would release the lost write's reply: refused.
    let off = error_text(c.q("CONFIG SET appendonly no"));
    assert!(off.starts_with("ERR CONFIG SET failed (possibly related to argument 'appendonly')"), "{off}");
    assert_eq!(c.q("CONFIG GET appendonly"), Frame::Array(vec![bulk("appendonly"), bulk("yes")]));
    let mut reader = srv.raw();
    reader.send(b"GET lost\r\n");
    assert!(reader.try_read().is_none(), "a read never reveals the write that did not become durable");
    srv.stop();

    // The operator restarts: recovery from what is on disk (after a power loss, too).
    fs.crash();
    let srv = InProcess::start(&fs);
    let mut c = srv.raw();
    assert_eq!(c.q("GET durable"), bulk("1"));
    assert_eq!(c.q("GET other"), Frame::NullBulk, "a refused write was never applied");
    assert_eq!(c.q("SET after 4"), ok(), "a restart clears the failure");
    srv.stop();
}

/// Under everysec a write is acknowledged before its fsync; when that fsync then fails, a
/// WAITAOF waiting for it replies that it is not durable instead of blocking forever.
#[test]
fn waitaof_replies_when_the_fsync_it_waits_for_fails() {
    let fs = SimFs::new(23);
    let srv = InProcess::start_with(&fs, |c| c.appendfsync = "everysec".into());
    let mut c = srv.raw();
    assert_eq!(c.q("SET a 1"), ok(), "everysec: acknowledged once written");
    fs.set_faults(Faults { fail_sync_after: Some(0), ..Faults::default() });
    c.send(b"WAITAOF 1 0 0\r\n");
    assert_eq!(c.read(), Frame::Array(vec![Frame::Int(0), Frame::Int(0)]), "not durable, and never will be");
    srv.stop();
}

#[test]
fn a_full_disk_holds_writes_and_resumes_by_itself() {
    let fs = SimFs::new(22);
    let srv = InProcess::start(&fs);
    let mut c = srv.raw();
    assert_eq!(c.q("SET durable 1"), ok());
    // Fill the preallocated segment and the disk behind it.
    let used = fs.used_bytes();
    fs.set_faults(Faults { space_bytes: Some(used), ..Faults::default() });
    let mut writer = srv.raw();
    let big = "x".repeat(20_000);
    writer.send(format!("SET held {big}\r\n").as_bytes());
    no_reply_within(&mut writer, 300);

    let refused = error_text(c.q("SET other 3"));
    assert!(refused.starts_with("MISCONF Errors writing to the AOF file: the disk is full"), "{refused}");
    assert_eq!(c.q("GET durable"), bulk("1"), "reads of durable data go on");

    fs.set_faults(Faults::default());
    assert_eq!(writer.read(), ok(), "the held write is acknowledged once space returns");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match c.q("SET other 3") {
            f if f == ok() => break,
            f => assert!(Instant::now() < deadline, "writes resume by themselves: {f:?}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    srv.stop();

    fs.crash();
    let srv = InProcess::start(&fs);
    let mut c = srv.raw();
    assert_eq!(c.q("GET held"), bulk(&big), "nothing acknowledged is lost");
    assert_eq!(c.q("GET other"), bulk("3"));
    srv.stop();
}
