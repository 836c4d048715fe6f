//! The background snapshot driver: a task on the executor's thread that starts snapshots
//! (BGSAVE, BGREWRITEAOF, the automatic triggers), walks the capture in short slices between
//! other tasks, and feeds the raw blocks to the compactor thread.
//!
//! Latency: a slice lasts at most `STEP_BUDGET`, then the task yields, so every connection
//! with a ready command runs before the next slice; a client waits for at most one slice.
//! While clients are active the walk also takes at most about a sixth of the executor's time
//! (a slice, then a pause of `BUSY_PAUSE`): a client-bound load leaves the server core idle
//! between few ready connections, and back-to-back slices would fill those gaps and halve
//! the load's throughput (measured: SETs at 50 clients fell from 58k/s to 29k/s). When no
//! command ran since the last slice, slices follow each other at once.
//! The compactor's queue is bounded; when it is full the walk pauses (the write hooks do
//! not: a command never waits for the disk), which bounds the memory a snapshot takes.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::Duration;

use crate::executor::{unix_ms, Server};
use crate::storage::compactor::Msg;

/// Longest walk slice between two yields.
pub const STEP_BUDGET: Duration = Duration::from_micros(200);

/// Pause after a slice while clients are active: 200 us of walk per 1.2 ms, about 17%.
const BUSY_PAUSE: Duration = Duration::from_millis(1);

/// Pause while the executor's core is nearly saturated (over `SATURATED_PERCENT` of the last
/// `LOAD_WINDOW` busy): about 6%. A saturated core also starves the kernel's deferred network
/// work (ksoftirqd), which showed as 10-40 ms latency spikes during snapshots.
const SATURATED_PAUSE: Duration = Duration::from_millis(3);
const SATURATED_PERCENT: u64 = 85;
const LOAD_WINDOW: Duration = Duration::from_millis(100);

/// How busy the executor's thread has been lately (CPU time over wall time).
struct Load {
    since: std::time::Instant,
    cpu_us: u64,
    saturated: bool,
}

impl Load {
    fn new() -> Self {
        Load { since: std::time::Instant::now(), cpu_us: crate::util::sys::thread_cpu_us(), saturated: false }
    }

    /// Whether the executor was saturated over the last window (re-measured once a window).
    fn saturated(&mut self) -> bool {
        let wall = self.since.elapsed();
        if wall >= LOAD_WINDOW {
            let cpu = crate::util::sys::thread_cpu_us();
            let wall_us = u64::try_from(wall.as_micros()).unwrap_or(u64::MAX).max(1);
            self.saturated = cpu.saturating_sub(self.cpu_us) * 100 / wall_us >= SATURATED_PERCENT;
            self.since = std::time::Instant::now();
            self.cpu_us = cpu;
        }
        self.saturated
    }
}

/// How often the automatic triggers are looked at.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Pause of a walk that the compactor cannot keep up with.
const BACKPRESSURE_PAUSE: Duration = Duration::from_millis(1);

/// The compactor's queue full for this long: it is starved (`compactor::Thread::set_starved`).
const STARVED_AFTER: Duration = Duration::from_millis(250);

/// Tracks how long the compactor's queue has stayed full, and lifts the compactor out of
/// SCHED_IDLE while it does.
struct Starvation {
    full_since: Option<std::time::Instant>,
    boosted: bool,
}

impl Starvation {
    fn new() -> Self {
        Starvation { full_since: None, boosted: false }
    }

    /// Notes whether the queue is full now; returns the new starved state when it changes.
    fn update(&mut self, full: bool, now: std::time::Instant) -> Option<bool> {
        let starved = if full {
            now.saturating_duration_since(*self.full_since.get_or_insert(now)) >= STARVED_AFTER
        } else {
            self.full_since = None;
            false
        };
        (starved != self.boosted).then(|| {
            self.boosted = starved;
            starved
        })
    }

    fn note(&mut self, srv: &Rc<RefCell<Server>>, full: bool) {
        if let Some(starved) = self.update(full, std::time::Instant::now()) {
            if starved {
                crate::log_notice!("the snapshot compactor is starved (its queue stayed full for {STARVED_AFTER:?}): it leaves SCHED_IDLE until the queue drains");
            }
            if let Some(t) = srv.borrow().snapshots.running.as_ref().and_then(|r| r.thread.as_ref()) {
                t.set_starved(starved);
            }
        }
    }
}

pub async fn run(srv: Rc<RefCell<Server>>) {
    let (wake, done) = {
        let s = srv.borrow();
        (s.snapshots.wake.clone(), s.snapshots.done.clone())
    };
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(CHECK_EVERY) => {}
        }
        {
            let mut s = srv.borrow_mut();
            if s.shutdown.is_some() {
                return;
            }
            // BGSAVE and BGREWRITEAOF start their snapshot themselves; the rest start here.
            if s.snapshots.running.is_none() {
                let Some(kind) = s.snapshot_due(unix_ms()) else { continue };
                let d = done.clone();
                if s.snapshot_start_background(kind, Box::new(move || d.notify_one())).is_err() {
                    continue;
                }
                s.snapshots.scheduled = None;
            }
        }
        drive(&srv, &done).await;
    }
}

/// Walks the running capture to its end, then waits for the compactor's outcome.
async fn drive(srv: &Rc<RefCell<Server>>, done: &tokio::sync::Notify) {
    let Some(tx) = srv.borrow().snapshots.running.as_ref().and_then(|r| r.thread.as_ref()).map(|t| t.tx.clone()) else { return };
    let mut load = Load::new();
    let mut starvation = Starvation::new();
    let mut rest = loop {
        let (walked, full, commands) = {
            let mut s = srv.borrow_mut();
            let walked = s.snapshot_step(STEP_BUDGET);
            let full = forward(&mut s, &tx);
            (walked, full, s.stats.commands_processed)
        };
        if walked {
            // The image is complete: the write hooks are off from here on.
            let (dbs, last) = srv.borrow_mut().snapshot_end();
            let mut rest: VecDeque<Msg> = last.into_iter().map(|(raw, keys)| Msg::Block(raw, keys)).collect();
            rest.push_back(Msg::Finish(dbs));
            break rest;
        }
        starvation.note(srv, full);
        if full {
            tokio::time::sleep(BACKPRESSURE_PAUSE).await;
            continue;
        }
        tokio::task::yield_now().await;
        if srv.borrow().stats.commands_processed != commands {
            tokio::time::sleep(if load.saturated() { SATURATED_PAUSE } else { BUSY_PAUSE }).await;
        }
    };
    while let Some(m) = rest.pop_front() {
        let finish = matches!(m, Msg::Finish(_));
        match tx.try_send(m) {
            // After Finish the thread may end at any time: its policy is left alone.
            Ok(()) if finish => {}
            Ok(()) => starvation.note(srv, false),
            Err(TrySendError::Full(m)) => {
                rest.push_front(m);
                starvation.note(srv, true);
                tokio::time::sleep(BACKPRESSURE_PAUSE).await;
            }
            Err(TrySendError::Disconnected(_)) => break,
        }
    }
    drop(tx);
    loop {
        done.notified().await;
        let mut s = srv.borrow_mut();
        let outcome = s.snapshots.running.as_ref().and_then(|r| r.thread.as_ref()).and_then(|t| t.result.lock().ok()?.take());
        if let Some(result) = outcome {
            s.snapshot_finished(&result);
            return;
        }
    }
}

/// Sends the ready blocks to the compactor; true if its queue is full (some stay behind).
fn forward(s: &mut Server, tx: &SyncSender<Msg>) -> bool {
    s.snapshot_recycle();
    let mut blocks = s.snapshot_blocks();
    while let Some((raw, keys)) = blocks.pop_front() {
        match tx.try_send(Msg::Block(raw, keys)) {
            Ok(()) => {}
            Err(TrySendError::Full(Msg::Block(raw, keys))) => {
                blocks.push_front((raw, keys));
                s.snapshot_unsent(blocks);
                return true;
            }
            // The thread left early (it only does after Finish or Abort): drop the blocks.
            Err(_) => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compactor_is_starved_once_its_queue_stays_full() {
        let t0 = std::time::Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut s = Starvation::new();
        assert_eq!(s.update(false, at(0)), None);
        assert_eq!(s.update(true, at(10)), None, "full, but not for long");
        assert_eq!(s.update(true, at(200)), None);
        assert_eq!(s.update(true, at(260)), Some(true), "full for 250 ms");
        assert_eq!(s.update(true, at(400)), None, "reported once");
        assert_eq!(s.update(false, at(410)), Some(false), "drained");
        assert_eq!(s.update(true, at(420)), None, "the clock starts again");
        assert_eq!(s.update(true, at(600)), None);
        assert_eq!(s.update(true, at(670)), Some(true));
    }
}
