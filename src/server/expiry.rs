//! Active expiry: reclaims keys whose time has passed even if nobody reads them.
//!
//! The work is cut into slices of at most `EXPIRE_SLICE_MICROS_MAX`; between slices the task
//! yields, so every connection with a ready command runs before the next slice. A mass expiry
//! therefore adds at most one slice to any client's latency, and the task never takes more
//! than `EXPIRE_CPU_PERCENT_MAX` of a 100 ms window. A slice walks whole keyspace shards with
//! a cursor (db, shard); when a full pass over the volatile shards finds fewer than 10% of
//! the volatile keys expired, the task sleeps until the next cron tick.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::executor::{unix_ms, Server};
use crate::limits::{EXPIRE_CPU_PERCENT_MAX, EXPIRE_SLICE_MICROS_MAX, KEYSPACE_SHARDS};

/// Where the next slice starts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cursor {
    db: usize,
    shard: usize,
    pass_expired: usize,
    pass_sampled: usize,
}

/// What a slice found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// More expired keys are likely: run another slice soon.
    More,
    /// The pass is complete and found little to do.
    Idle,
}

/// Hashes with field expiry times visited per database per expiry pass.
const FIELD_HASHES_PER_PASS: usize = 64;

impl Server {
    /// The keys a slice deleted: logged as DELs (one record per slice), then handed on.
    fn finish_expiry_slice(&mut self) {
        self.propagate_expired_events();
        self.process_events();
        self.flush_effects();
    }

    /// Runs one slice of active expiry, at most `budget` long.
    pub fn active_expire_slice(&mut self, cur: &mut Cursor, budget: Duration) -> Step {
        let start = Instant::now();
        self.clock.now_ms.set(unix_ms());
        if !self.active_expire_enabled || (self.pause.writes_only && self.pause.until_ms != 0) {
            // CLIENT PAUSE WRITE stops expiry so the dataset stays still.
            return Step::Idle;
        }
        let ndb = self.dbs.len();
        if cur.db == 0 && cur.shard == 0 {
            // Hash fields with expiry times: a bounded round-robin step per pass.
            for db in &mut self.dbs {
                cur.pass_expired += db.expire_fields_some(FIELD_HASHES_PER_PASS);
            }
        }
        loop {
            if cur.db >= ndb {
                let busy = cur.pass_sampled > 0 && cur.pass_expired * 10 >= cur.pass_sampled;
                *cur = Cursor::default();
                self.finish_expiry_slice();
                return if busy { Step::More } else { Step::Idle };
            }
            let db = &mut self.dbs[cur.db];
            if db.ks.volatile_len() == 0 || db.ks.shard_count() == 0 {
                cur.db += 1;
                cur.shard = 0;
                continue;
            }
            let (expired, sampled) = db.expire_shard(cur.shard);
            cur.pass_expired += expired;
            cur.pass_sampled += sampled;
            cur.shard += 1;
            if cur.shard >= KEYSPACE_SHARDS {
                cur.db += 1;
                cur.shard = 0;
            }
            if start.elapsed() >= budget {
                self.finish_expiry_slice();
                return Step::More;
            }
        }
    }
}

/// The active expiry task.
pub async fn run(srv: Rc<RefCell<Server>>) {
    let mut cur = Cursor::default();
    let window = Duration::from_millis(100);
    let busy_max = window * u32::try_from(EXPIRE_CPU_PERCENT_MAX).unwrap_or(25) / 100;
    let mut window_start = Instant::now();
    let mut busy = Duration::ZERO;
    loop {
        let effort = srv.borrow().config.active_expire_effort.clamp(1, 10);
        // Effort 1..10 scales the slice like Redis's active-expire-effort.
        let budget = Duration::from_micros(EXPIRE_SLICE_MICROS_MAX * u64::from(effort + 3) / 4);
        let t = Instant::now();
        let step = srv.borrow_mut().active_expire_slice(&mut cur, budget);
        let spent = t.elapsed();
        busy += spent;
        srv.borrow_mut().stats.expire_cycle_us_this += u64::try_from(spent.as_micros()).unwrap_or(0);
        if window_start.elapsed() >= window {
            window_start = Instant::now();
            busy = Duration::ZERO;
        }
        match step {
            Step::More if busy < busy_max => tokio::task::yield_now().await,
            Step::More => tokio::time::sleep(window.saturating_sub(window_start.elapsed())).await,
            Step::Idle => {
                let hz = srv.borrow().config.hz.max(1);
                tokio::time::sleep(Duration::from_millis(1000 / u64::from(hz))).await;
            }
        }
    }
}
