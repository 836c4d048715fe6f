//! Counters and logs about command execution: per-command statistics (INFO commandstats),
//! error statistics, the slow log and the latency monitor. All bounded: the slow log keeps
//! `slowlog-max-len` entries of at most `SLOWLOG_ARGS_MAX` arguments, each latency event keeps
//! `LATENCY_HISTORY_SAMPLES_MAX` samples.

use std::collections::{BTreeMap, VecDeque};

use crate::limits::{LATENCY_HISTORY_SAMPLES_MAX, SLOWLOG_ARGS_MAX, SLOWLOG_ARG_BYTES_MAX};
use crate::protocol::Args;

#[derive(Debug, Default, Clone, Copy)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

/// Server-wide counters INFO reports.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub connections_received: u64,
    pub commands_processed: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub error_replies: u64,
    pub reads_processed: u64,
    pub writes_processed: u64,
    pub expire_cycle_cpu_ms: u64,
    pub expire_cycle_us_this: u64,
    pub lazyfree_pending: u64,
    pub lazyfreed_objects: u64,
    /// Errors by their code (first word), for INFO errorstats.
    pub errors_by_code: BTreeMap<String, u64>,
    /// (time ms, commands processed) at the last ops/sec sample.
    pub ops_sample: (i64, u64),
    pub ops_per_sec: u64,
    pub net_in_sample: (i64, u64),
    pub net_out_sample: (i64, u64),
    pub input_kbps: f64,
    pub output_kbps: f64,
}

impl Stats {
    pub fn count_error(&mut self, msg: &[u8]) {
        self.error_replies += 1;
        let code_end = msg.iter().position(|&b| b == b' ').unwrap_or(msg.len());
        let code = String::from_utf8_lossy(&msg[..code_end.min(64)]).into_owned();
        // Bound the table: Redis caps distinct error codes at 128 too.
        if self.errors_by_code.len() < 128 || self.errors_by_code.contains_key(&code) {
            *self.errors_by_code.entry(code).or_default() += 1;
        }
    }

    /// Samples rates; called from the cron (every 100 ms at hz 10).
    pub fn sample(&mut self, now_ms: i64) {
        let (t0, c0) = self.ops_sample;
        if now_ms > t0 {
            let dt = (now_ms - t0) as u64;
            self.ops_per_sec = (self.commands_processed - c0) * 1000 / dt.max(1);
            let kbps = |bytes: u64, prev: u64| (bytes - prev) as f64 * 1000.0 / dt as f64 / 1024.0;
            self.input_kbps = kbps(self.net_input_bytes, self.net_in_sample.1);
            self.output_kbps = kbps(self.net_output_bytes, self.net_out_sample.1);
        }
        self.ops_sample = (now_ms, self.commands_processed);
        self.net_in_sample = (now_ms, self.net_input_bytes);
        self.net_out_sample = (now_ms, self.net_output_bytes);
    }
}

#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    pub time_secs: i64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct SlowLog {
    pub entries: VecDeque<SlowEntry>,
    next_id: u64,
}

impl SlowLog {
    /// Records a call that took `duration_us`, trimming arguments as Redis does.
    pub fn push(&mut self, args: Args<'_>, duration_us: u64, now_ms: i64, peer: &str, name: &[u8], max_len: usize) {
        let argc = args.len().min(SLOWLOG_ARGS_MAX);
        let mut kept = Vec::with_capacity(argc);
        for (i, a) in args.iter().take(argc).enumerate() {
            if i == argc - 1 && argc < args.len() {
                kept.push(format!("... ({} more arguments)", args.len() - argc + 1).into_bytes());
            } else if a.len() > SLOWLOG_ARG_BYTES_MAX {
                let mut v = a[..SLOWLOG_ARG_BYTES_MAX].to_vec();
                v.extend_from_slice(format!("... ({} more bytes)", a.len() - SLOWLOG_ARG_BYTES_MAX).as_bytes());
                kept.push(v);
            } else {
                kept.push(a.to_vec());
            }
        }
        self.entries.push_front(SlowEntry {
            id: self.next_id,
            time_secs: now_ms / 1000,
            duration_us,
            args: kept,
            peer: peer.to_string(),
            name: name.to_vec(),
        });
        self.next_id += 1;
        self.entries.truncate(max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

#[derive(Debug, Default, Clone)]
pub struct LatencyEvent {
    /// (unix seconds, latency ms), newest last.
    pub samples: VecDeque<(i64, u64)>,
    pub max_ms: u64,
}

/// The latency monitor: per event name, spikes at or above `latency-monitor-threshold`.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    pub events: BTreeMap<&'static str, LatencyEvent>,
}

impl LatencyMonitor {
    pub fn add(&mut self, event: &'static str, latency_ms: u64, now_ms: i64) {
        let e = self.events.entry(event).or_default();
        let secs = now_ms / 1000;
        e.max_ms = e.max_ms.max(latency_ms);
        // One sample per second: a second spike in the same second keeps the larger value.
        match e.samples.back_mut() {
            Some(last) if last.0 == secs => last.1 = last.1.max(latency_ms),
            _ => e.samples.push_back((secs, latency_ms)),
        }
        while e.samples.len() > LATENCY_HISTORY_SAMPLES_MAX {
            e.samples.pop_front();
        }
    }

    /// Resets the named events (all when empty); returns how many were reset.
    pub fn reset(&mut self, names: &[&[u8]]) -> usize {
        if names.is_empty() {
            let n = self.events.len();
            self.events.clear();
            return n;
        }
        let before = self.events.len();
        self.events.retain(|k, _| !names.iter().any(|n| n.eq_ignore_ascii_case(k.as_bytes())));
        before - self.events.len()
    }
}
