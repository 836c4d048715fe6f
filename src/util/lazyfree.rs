//! Freeing large values off the executor thread (UNLINK, FLUSHALL ASYNC). The executor hands
//! ownership to a background thread that drops it; dropping a big keyspace or collection can
//! take seconds, and the executor must not stall for that.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use crate::executor::Stats;

type Garbage = Box<dyn Send>;

pub struct LazyFree {
    tx: Option<mpsc::Sender<Garbage>>,
    pending: Arc<AtomicU64>,
    freed: Arc<AtomicU64>,
}

impl LazyFree {
    pub fn start() -> Self {
        let (tx, rx) = mpsc::channel::<Garbage>();
        let pending = Arc::new(AtomicU64::new(0));
        let freed = Arc::new(AtomicU64::new(0));
        let (p, f) = (pending.clone(), freed.clone());
        let spawned = std::thread::Builder::new().name("keel-lazyfree".into()).spawn(move || {
            crate::util::sys::bind_bio_thread("lazy free (bio_cpulist)");
            crate::util::sys::lower_thread_priority();
            for garbage in rx {
                drop(garbage);
                p.fetch_sub(1, Ordering::Relaxed);
                f.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Without the thread, values are simply freed inline.
        LazyFree { tx: spawned.is_ok().then_some(tx), pending, freed }
    }

    /// Frees `garbage` in the background (or inline if the thread is gone).
    pub fn free(&self, garbage: Garbage, stats: &mut Stats) {
        if let Some(tx) = &self.tx {
            self.pending.fetch_add(1, Ordering::Relaxed);
            if let Err(mpsc::SendError(g)) = tx.send(garbage) {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                drop(g);
            }
        }
        stats.lazyfree_pending = self.pending.load(Ordering::Relaxed);
    }

    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    pub fn freed(&self) -> u64 {
        self.freed.load(Ordering::Relaxed)
    }
}
