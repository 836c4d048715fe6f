//! Configuration: every Redis 7.0 directive, in redis.conf syntax, from a file, the command
//! line (`--name value`) or CONFIG SET.
//!
//! Each directive has a grammar (`params::Kind`) that validates and normalises its value the
//! way Redis does, so CONFIG GET prints what Redis prints. Directives Keel acts on are marked
//! `KEEL`; the others are accepted, stored and reported, and start-up prints one warning
//! listing those that were set, so a real redis.conf loads while nobody is misled. An unknown
//! directive or a malformed value stops start-up with the file, the line and the reason.
//!
//! Typed copies of the values the server reads on hot paths are refreshed after every change
//! (`Config::refresh`), so nothing parses strings per command.

pub mod params;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use params::{find_param, Kind, Param, ALIASES, FILE_ONLY, IMMUTABLE, KEEL, PARAMS, PROTECTED};

mod special;

use crate::util::num::parse_i64;

/// Nested `include` directives deeper than this are refused (a file including itself).
const INCLUDE_DEPTH_MAX: usize = 16;

/// A configuration that failed to load: where and why, printed like Redis prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub source: String,
    pub line_no: usize,
    pub line: String,
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "\n*** FATAL CONFIG FILE ERROR (Keel {}) ***", env!("CARGO_PKG_VERSION"))?;
        writeln!(f, "Reading the configuration {}, at line {}", self.source, self.line_no)?;
        writeln!(f, ">>> '{}'", self.line)?;
        write!(f, "{}", self.reason)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    /// The file given at start-up (CONFIG REWRITE writes it back).
    pub config_file: Option<PathBuf>,
    /// Directives set at start-up that Keel does not act on yet.
    pub ignored: Vec<String>,

    pub port: u16,
    pub bind: Vec<String>,
    pub dir: PathBuf,
    pub databases: usize,
    pub requirepass: Option<Vec<u8>>,
    pub maxclients: u64,
    pub timeout_secs: u64,
    pub tcp_keepalive_secs: u64,
    pub proto_max_bulk_len: u64,
    pub query_buffer_limit_bytes: u64,
    pub hz: u32,
    pub slowlog_slower_than_us: i64,
    pub slowlog_max_len: usize,
    pub latency_threshold_ms: u64,
    pub maxmemory_bytes: u64,
    pub maxmemory_policy: String,
    pub lfu_log_factor: u32,
    pub lfu_decay_time_min: u32,
    pub hll_sparse_max_bytes: usize,
    pub active_expire_effort: u32,
    pub appendonly: bool,
    pub appendfsync: String,
    pub loglevel: String,
    pub logfile: String,
    pub pidfile: String,
    pub jemalloc_bg_thread: bool,
    pub aof_load_truncated: bool,
    pub segment_size_bytes: u64,
    pub record_max_bytes: u64,
    pub snapshot_retain: u64,
    pub log_retention_hours: u64,
    pub log_retention_bytes: u64,
    pub max_recovery_seconds: u64,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    /// Redis's save points: (seconds, changes).
    pub save_points: Vec<(i64, u64)>,
    pub server_cpulist: String,
    /// hash-max-listpack-entries / -value: a hash stays packed within them.
    pub hash_limits: crate::types::hash::Limits,
    /// set-max-intset-entries: a set of integers stays an intset within it.
    pub set_max_intset_entries: usize,
    /// zset-max-listpack-entries / -value.
    pub zset_limits: crate::types::zset::Limits,
    pub bio_cpulist: String,
    pub bgsave_cpulist: String,
    pub aof_rewrite_cpulist: String,
}

impl Default for Config {
    fn default() -> Self {
        let values = PARAMS.iter().map(|p| (p.name, p.default.to_string())).collect();
        let mut c = Config {
            values,
            config_file: None,
            ignored: Vec::new(),
            port: 0,
            bind: Vec::new(),
            dir: PathBuf::new(),
            databases: 0,
            requirepass: None,
            maxclients: 0,
            timeout_secs: 0,
            tcp_keepalive_secs: 0,
            proto_max_bulk_len: 0,
            query_buffer_limit_bytes: 0,
            hz: 0,
            slowlog_slower_than_us: 0,
            slowlog_max_len: 0,
            latency_threshold_ms: 0,
            maxmemory_bytes: 0,
            maxmemory_policy: String::new(),
            lfu_log_factor: 0,
            lfu_decay_time_min: 0,
            hll_sparse_max_bytes: 0,
            active_expire_effort: 0,
            appendonly: false,
            appendfsync: String::new(),
            loglevel: String::new(),
            logfile: String::new(),
            pidfile: String::new(),
            jemalloc_bg_thread: true,
            aof_load_truncated: true,
            segment_size_bytes: 64 << 20,
            record_max_bytes: 1 << 30,
            snapshot_retain: 2,
            log_retention_hours: 0,
            log_retention_bytes: 0,
            max_recovery_seconds: 0,
            auto_aof_rewrite_percentage: 0,
            auto_aof_rewrite_min_size: 0,
            save_points: Vec::new(),
            server_cpulist: String::new(),
            hash_limits: crate::types::hash::Limits { entries: 512, value: 64 },
            set_max_intset_entries: 512,
            zset_limits: crate::types::zset::Limits { entries: 128, value: 64 },
            bio_cpulist: String::new(),
            bgsave_cpulist: String::new(),
            aof_rewrite_cpulist: String::new(),
        };
        c.refresh();
        c
    }
}

/// Parses a memory size with Redis's units: b, k (1000), kb (1024), m, mb, g, gb.
pub fn parse_memory(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let digits_end = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (num, unit) = lower.split_at(digits_end);
    let mul: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if num.is_empty() {
        return None;
    }
    num.parse::<i64>().ok()?.checked_mul(mul)
}

fn one_arg(args: &[String]) -> Result<&str, String> {
    match args {
        [a] => Ok(a),
        _ => Err("wrong number of arguments".into()),
    }
}

/// Validates `args` for `p` and returns the normalised value CONFIG GET shows.
pub fn normalize(p: &Param, args: &[String]) -> Result<String, String> {
    if let Some(r) = special::normalize(p.name, args) {
        return r;
    }
    match p.kind {
        Kind::Bool => match one_arg(args)?.to_ascii_lowercase().as_str() {
            v @ ("yes" | "no") => Ok(v.to_string()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(lo, hi) => {
            let n = parse_i64(one_arg(args)?.as_bytes()).ok_or("argument couldn't be parsed into an integer")?;
            check_range(n, lo, hi)
        }
        Kind::Mem(lo, hi) => {
            let n = parse_memory(one_arg(args)?).ok_or("argument must be a memory value")?;
            check_range(n, lo, hi)
        }
        Kind::Enum(choices) => {
            let v = one_arg(args)?.to_ascii_lowercase();
            if choices.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(format!("argument(s) must be one of the following: {}", choices.join(", ")))
            }
        }
        Kind::Str => Ok(one_arg(args)?.to_string()),
        Kind::List => normalize_list(p.name, args),
    }
}

fn check_range(n: i64, lo: i64, hi: i64) -> Result<String, String> {
    if n < lo || n > hi {
        return Err(format!("argument must be between {lo} and {hi} inclusive"));
    }
    Ok(n.to_string())
}

fn normalize_list(name: &str, args: &[String]) -> Result<String, String> {
    // CONFIG SET passes one string holding all the words; files pass words.
    let words: Vec<&str> = args.iter().flat_map(|a| a.split_ascii_whitespace()).collect();
    if name == "bind" && words.is_empty() {
        return Err("wrong number of arguments".into());
    }
    Ok(words.join(" "))
}

impl Config {
    /// The current value of a directive (by its canonical name).
    pub fn get(&self, name: &str) -> Option<&str> {
        let p = find_param(name)?;
        self.values.get(p.name).map(String::as_str)
    }

    /// Sets one directive from start-up input (no immutability check).
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let p = find_param(name).ok_or("Bad directive or wrong number of arguments")?;
        let v = normalize(p, args).map_err(|e| {
            if e == "wrong number of arguments" {
                "Bad directive or wrong number of arguments".to_string()
            } else {
                e
            }
        })?;
        if p.flags & KEEL == 0 && !self.ignored.iter().any(|n| n == p.name) {
            self.ignored.push(p.name.to_string());
        }
        self.values.insert(p.name, v);
        Ok(())
    }

    /// CONFIG SET of several pairs: all are validated before any is applied.
    pub fn set_many(&mut self, pairs: &[(String, String)]) -> Result<(), String> {
        let mut staged: Vec<(&'static Param, String)> = Vec::with_capacity(pairs.len());
        let mut seen: Vec<String> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let Some(p) = find_param(name) else {
                return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'"));
            };
            let fail = |why: &str| format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}");
            // Redis compares the names given, so an old alias and its new name are not duplicates.
            let lower = name.to_ascii_lowercase();
            if seen.contains(&lower) {
                return Err(fail("duplicate parameter"));
            }
            seen.push(lower);
            if p.flags & PROTECTED != 0 && self.get("enable-protected-configs") != Some("yes") {
                return Err(fail("can't set protected config"));
            }
            if p.flags & IMMUTABLE != 0 {
                return Err(fail("can't set immutable config"));
            }
            let v = normalize(p, std::slice::from_ref(value)).map_err(|e| fail(&e))?;
            staged.push((p, v));
        }
        for (p, v) in staged {
            self.values.insert(p.name, v);
        }
        self.refresh();
        Ok(())
    }

    /// Names and values whose name (or alias) matches a glob, each once, in table order.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for p in PARAMS {
            if crate::util::glob::glob_match(pattern, p.name.as_bytes(), true) {
                out.push((p.name, self.values[p.name].clone()));
            }
        }
        for (alias, canon) in ALIASES {
            if crate::util::glob::glob_match(pattern, alias.as_bytes(), true) {
                out.push((alias, self.values[canon].clone()));
            }
        }
        out
    }

    /// Re-reads the typed copies from the stored values.
    pub fn refresh(&mut self) {
        let int = |c: &Self, n: &str| c.values.get(n).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let uint = |c: &Self, n: &str| u64::try_from(int(c, n)).unwrap_or(0);
        let text = |c: &Self, n: &str| c.values.get(n).cloned().unwrap_or_default();
        self.port = u16::try_from(int(self, "port")).unwrap_or(0);
        self.bind = text(self, "bind").split_ascii_whitespace().map(str::to_string).collect();
        self.dir = PathBuf::from(text(self, "dir"));
        self.databases = usize::try_from(int(self, "databases")).unwrap_or(1).max(1);
        let pass = text(self, "requirepass");
        self.requirepass = (!pass.is_empty()).then(|| pass.into_bytes());
        self.maxclients = uint(self, "maxclients");
        self.timeout_secs = uint(self, "timeout");
        self.tcp_keepalive_secs = uint(self, "tcp-keepalive");
        self.proto_max_bulk_len = uint(self, "proto-max-bulk-len");
        self.query_buffer_limit_bytes = uint(self, "client-query-buffer-limit");
        self.hz = u32::try_from(int(self, "hz").clamp(1, 500)).unwrap_or(10);
        self.slowlog_slower_than_us = int(self, "slowlog-log-slower-than");
        self.slowlog_max_len = usize::try_from(int(self, "slowlog-max-len")).unwrap_or(0);
        self.latency_threshold_ms = uint(self, "latency-monitor-threshold");
        self.maxmemory_bytes = uint(self, "maxmemory");
        self.maxmemory_policy = text(self, "maxmemory-policy");
        self.lfu_log_factor = u32::try_from(int(self, "lfu-log-factor")).unwrap_or(10);
        self.lfu_decay_time_min = u32::try_from(int(self, "lfu-decay-time")).unwrap_or(1);
        self.hll_sparse_max_bytes = usize::try_from(int(self, "hll-sparse-max-bytes")).unwrap_or(3000);
        self.active_expire_effort = u32::try_from(int(self, "active-expire-effort")).unwrap_or(1);
        self.appendonly = text(self, "appendonly") == "yes";
        self.appendfsync = text(self, "appendfsync");
        self.loglevel = text(self, "loglevel");
        self.logfile = text(self, "logfile");
        self.pidfile = text(self, "pidfile");
        self.jemalloc_bg_thread = text(self, "jemalloc-bg-thread") == "yes";
        self.aof_load_truncated = text(self, "aof-load-truncated") == "yes";
        self.segment_size_bytes = uint(self, "segment-size");
        self.record_max_bytes = uint(self, "record-max-bytes");
        self.snapshot_retain = uint(self, "snapshot-retain");
        self.log_retention_hours = uint(self, "log-retention-hours");
        self.log_retention_bytes = uint(self, "log-retention-bytes");
        self.max_recovery_seconds = uint(self, "max-recovery-seconds");
        self.auto_aof_rewrite_percentage = uint(self, "auto-aof-rewrite-percentage");
        self.auto_aof_rewrite_min_size = uint(self, "auto-aof-rewrite-min-size");
        self.server_cpulist = text(self, "server_cpulist");
        self.bio_cpulist = text(self, "bio_cpulist");
        self.bgsave_cpulist = text(self, "bgsave_cpulist");
        self.aof_rewrite_cpulist = text(self, "aof_rewrite_cpulist");
        let words: Vec<i64> = text(self, "save").split_whitespace().filter_map(|w| w.parse().ok()).collect();
        self.save_points = words.chunks_exact(2).map(|p| (p[0], u64::try_from(p[1]).unwrap_or(0))).collect();
        self.hash_limits = crate::types::hash::Limits {
            entries: usize::try_from(uint(self, "hash-max-listpack-entries")).unwrap_or(usize::MAX),
            value: usize::try_from(uint(self, "hash-max-listpack-value")).unwrap_or(usize::MAX),
        };
        self.set_max_intset_entries = usize::try_from(uint(self, "set-max-intset-entries")).unwrap_or(usize::MAX);
        self.zset_limits = crate::types::zset::Limits {
            entries: usize::try_from(uint(self, "zset-max-listpack-entries")).unwrap_or(usize::MAX),
            value: usize::try_from(uint(self, "zset-max-listpack-value")).unwrap_or(usize::MAX),
        };
        debug_assert!(self.proto_max_bulk_len >= 1024 * 1024 || self.values["proto-max-bulk-len"].is_empty());
    }

    /// Whether maxmemory-policy asks for LFU access clocks.
    pub fn lfu(&self) -> bool {
        self.maxmemory_policy.ends_with("-lfu")
    }

    /// Loads `text` (redis.conf syntax) as if it were the file `source`.
    pub fn load_text(&mut self, text: &str, source: &str, depth: usize) -> Result<(), ConfigError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: String| ConfigError { source: source.to_string(), line_no: i + 1, line: line.to_string(), reason };
            let words = split_line(line).ok_or_else(|| fail("Unbalanced quotes in configuration line".into()))?;
            let Some((name, args)) = words.split_first() else { continue };
            let name = name.to_ascii_lowercase();
            if name == "include" {
                let [path] = args else { return Err(fail("Bad directive or wrong number of arguments".into())) };
                self.include(Path::new(path), depth).map_err(fail)?;
                continue;
            }
            if FILE_ONLY.contains(&name.as_str()) {
                if !self.ignored.contains(&name) {
                    self.ignored.push(name);
                }
                continue;
            }
            self.apply(&name, args).map_err(|reason| {
                let hint = suggest(&name).map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default();
                fail(format!("{reason}{hint}"))
            })?;
        }
        self.refresh();
        Ok(())
    }

    fn include(&mut self, path: &Path, depth: usize) -> Result<(), String> {
        if depth >= INCLUDE_DEPTH_MAX {
            return Err("include nesting too deep".into());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("Fatal error, can't open config file '{}': {e}", path.display()))?;
        self.load_text(&text, &format!("file {}", path.display()), depth + 1).map_err(|e| e.to_string())
    }

    /// Builds the configuration from a file (optional) and `--name value` directives, which
    /// win over the file as they come after it.
    pub fn load(file: Option<&Path>, directives: &[(String, Vec<String>)]) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                source: format!("file {}", path.display()),
                line_no: 0,
                line: String::new(),
                reason: format!("Fatal error, can't open config file '{}': {e}", path.display()),
            })?;
            c.load_text(&text, &format!("file {}", path.display()), 0)?;
            c.config_file = Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
        }
        for (i, (name, args)) in directives.iter().enumerate() {
            let line = std::iter::once(name.as_str()).chain(args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
            let fail = |reason: String| ConfigError { source: "command line".into(), line_no: i + 1, line: format!("--{line}"), reason };
            if FILE_ONLY.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(fail("only allowed in a config file".into()));
            }
            c.apply(name, args).map_err(|reason| {
                let hint = suggest(name).map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default();
                fail(format!("{reason}{hint}"))
            })?;
        }
        c.refresh();
        Ok(c)
    }

    /// CONFIG REWRITE: rewrites the start-up file with the current values, keeping comments
    /// and the order of existing lines; returns the new text (the caller writes it durably).
    pub fn rewrite_text(&self, old: &str) -> String {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for raw in old.lines() {
            let name = split_line(raw.trim()).and_then(|w| w.first().map(|n| n.to_ascii_lowercase()));
            match name.as_deref().and_then(find_param) {
                Some(p) if !raw.trim_start().starts_with('#') => {
                    if seen.insert(p.name) {
                        out.push(self.directive_line(p));
                    }
                }
                _ => out.push(raw.to_string()),
            }
        }
        let mut extra = Vec::new();
        for p in PARAMS {
            if !seen.contains(p.name) && self.values[p.name] != p.default {
                extra.push(self.directive_line(p));
            }
        }
        if !extra.is_empty() {
            out.push("# Generated by CONFIG REWRITE".into());
            out.extend(extra);
        }
        out.join("\n") + "\n"
    }

    fn directive_line(&self, p: &Param) -> String {
        let v = &self.values[p.name];
        match p.kind {
            Kind::List if p.name == "save" && v.is_empty() => "save \"\"".to_string(),
            Kind::List => format!("{} {}", p.name, v),
            _ if v.is_empty() || v.contains([' ', '"', '\'']) => format!("{} {}", p.name, quote(v)),
            _ => format!("{} {}", p.name, v),
        }
    }
}

fn quote(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '"' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Splits a config line into words with redis.conf quoting; None on unbalanced quotes.
pub fn split_line(line: &str) -> Option<Vec<String>> {
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    if !crate::protocol::request::split_args(line.as_bytes(), &mut buf, &mut spans) {
        return None;
    }
    Some(spans.iter().map(|&(s, e)| String::from_utf8_lossy(&buf[s..e]).into_owned()).collect())
}

/// The closest known directive to a misspelled one, if it is close enough to be a typo.
fn suggest(name: &str) -> Option<&'static str> {
    if find_param(name).is_some() {
        return None;
    }
    PARAMS.iter().map(|p| (edit_distance(name, p.name), p.name)).filter(|(d, _)| *d <= 2).min().map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A directive from the command line: its name and its words.
pub type Directive = (String, Vec<String>);

/// Splits a `keel-server` command line (after the program name) into an optional config file
/// and `--name value...` directives, the way redis-server reads its arguments.
pub fn split_command_line(args: &[String]) -> Result<(Option<PathBuf>, Vec<Directive>), String> {
    let mut file = None;
    let mut rest = args;
    if let Some(first) = args.first() {
        if !first.starts_with("--") {
            file = Some(PathBuf::from(first));
            rest = &args[1..];
        }
    }
    let mut out: Vec<Directive> = Vec::new();
    for a in rest {
        if let Some(name) = a.strip_prefix("--") {
            if name.is_empty() {
                return Err("empty option name '--'".into());
            }
            out.push((name.to_string(), Vec::new()));
        } else if let Some((_, vals)) = out.last_mut() {
            vals.push(a.clone());
        } else {
            return Err(format!("unexpected argument '{a}' (directives are given as --name value)"));
        }
    }
    Ok((file, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn table_is_sorted_and_aliases_resolve() {
        assert!(PARAMS.windows(2).all(|w| w[0].name < w[1].name));
        for (alias, canon) in ALIASES {
            assert_eq!(find_param(alias).map(|p| p.name), Some(*canon));
        }
    }

    #[test]
    fn values_normalise_like_redis() {
        let mut c = Config::default();
        c.apply("maxmemory", &s(&["1GB"])).unwrap();
        assert_eq!(c.get("maxmemory"), Some("1073741824"));
        c.apply("appendfsync", &s(&["EverySec"])).unwrap();
        assert_eq!(c.get("appendfsync"), Some("everysec"));
        assert_eq!(c.apply("hz", &s(&["010"])).unwrap_err(), "argument couldn't be parsed into an integer");
        assert_eq!(c.apply("port", &s(&["70000"])).unwrap_err(), "argument must be between 0 and 65535 inclusive");
        assert_eq!(c.apply("appendonly", &s(&["maybe"])).unwrap_err(), "argument must be 'yes' or 'no'");
        assert!(c.apply("save", &s(&["900", "1", "300"])).is_err());
        c.apply("save", &s(&["900", "1", "300", "10"])).unwrap();
        assert_eq!(c.get("save"), Some("900 1 300 10"));
    }

    #[test]
    fn file_errors_name_line_and_reason() {
        let mut c = Config::default();
        let e = c.load_text("port 7000\n# comment\nmaxmemroy 1gb\n", "file x.conf", 0).unwrap_err();
        assert_eq!((e.line_no, e.line.as_str()), (3, "maxmemroy 1gb"));
        assert!(e.reason.contains("Bad directive") && e.reason.contains("did you mean 'maxmemory'"), "{}", e.reason);
        let e = c.load_text("hz many\n", "file x.conf", 0).unwrap_err();
        assert_eq!(e.reason, "argument couldn't be parsed into an integer");
    }

    #[test]
    fn unimplemented_directives_are_listed() {
        let mut c = Config::default();
        c.load_text("activedefrag yes\nrename-command FLUSHALL \"\"\nport 7001\n", "f", 0).unwrap();
        assert_eq!(c.ignored, vec!["activedefrag".to_string(), "rename-command".to_string()]);
        assert_eq!(c.port, 7001);
    }

    #[test]
    fn command_line_split() {
        let (f, d) = split_command_line(&s(&["r.conf", "--port", "7000", "--save", "", "--bind", "a", "b"])).unwrap();
        assert_eq!(f, Some(PathBuf::from("r.conf")));
        assert_eq!(d, vec![("port".into(), s(&["7000"])), ("save".into(), s(&[""])), ("bind".into(), s(&["a", "b"]))]);
    }

    #[test]
    fn rewrite_keeps_comments_and_updates_values() {
        let mut c = Config::default();
        c.set_many(&[("hz".into(), "20".into()), ("maxmemory".into(), "100".into())]).unwrap();
        let text = c.rewrite_text("# top\nhz 10\nhz 11\nport 6379\n");
        assert_eq!(text, "# top\nhz 20\nport 6379\n# Generated by CONFIG REWRITE\nmaxmemory 100\n");
    }
}
