//! Memory and CPU figures for INFO: the allocator's own counters (jemalloc, like Redis's
//! `used_memory`) and the kernel's view of the process (`/proc`).

use std::sync::atomic::{AtomicU64, Ordering};

static PEAK: AtomicU64 = AtomicU64::new(0);
static STARTUP: AtomicU64 = AtomicU64::new(0);

/// One reading of the memory counters, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Bytes the program holds (`used_memory`).
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    /// Resident set size the kernel reports (`used_memory_rss`).
    pub rss: u64,
    pub peak: u64,
    pub startup: u64,
}

/// Bytes currently allocated, as the allocator counts them.
pub fn allocated() -> u64 {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    stats::allocated::read().map_or(0, |v| v as u64)
}

/// Lets jemalloc purge freed pages from its own background threads (`jemalloc-bg-thread`,
/// on by default as in Redis) instead of inside whichever allocation crosses a decay
/// deadline — on the executor thread that is a stall of a command.
pub fn set_background_thread(on: bool) {
    if tikv_jemalloc_ctl::background_thread::read().ok() != Some(on) {
        let _ = tikv_jemalloc_ctl::background_thread::write(on);
    }
}

pub fn sample() -> Sample {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    let allocated = stats::allocated::read().map_or(0, |v| v as u64);
    let active = stats::active::read().map_or(0, |v| v as u64);
    let resident = stats::resident::read().map_or(0, |v| v as u64);
    let peak = PEAK.fetch_max(allocated, Ordering::Relaxed).max(allocated);
    Sample { allocated, active, resident, rss: rss_bytes(), peak, startup: STARTUP.load(Ordering::Relaxed) }
}

/// Records the memory in use once the server is initialised (`used_memory_startup`).
pub fn mark_startup() {
    STARTUP.store(allocated(), Ordering::Relaxed);
}

/// Resident set size from /proc/self/statm (pages × page size).
pub fn rss_bytes() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else { return 0 };
    s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).map_or(0, |pages| pages * 4096)
}

pub fn total_system_memory() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/meminfo") else { return 0 };
    s.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// (user, system) CPU seconds from a /proc stat file (clock ticks of 1/100 s).
pub fn cpu_seconds(path: &str) -> (f64, f64) {
    let Ok(s) = std::fs::read_to_string(path) else { return (0.0, 0.0) };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let Some(rest) = s.rfind(')').map(|i| &s[i + 1..]) else { return (0.0, 0.0) };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

/// "Linux 6.1.0-x" as INFO's `os` field starts.
pub fn os_name() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string()).unwrap_or_default();
    format!("{} {}", read("/proc/sys/kernel/ostype"), read("/proc/sys/kernel/osrelease"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn background_purging_follows_the_setting() {
        super::set_background_thread(true);
        assert_eq!(tikv_jemalloc_ctl::background_thread::read().ok(), Some(true));
        super::set_background_thread(false);
        assert_eq!(tikv_jemalloc_ctl::background_thread::read().ok(), Some(false));
    }
}
