//! The server log, in Redis's line format (`pid:M 25 Nov 2026 21:38:40.123 * message`) so
//! log scrapers written for Redis keep working. Times are UTC. Writes go to the `logfile`
//! (stdout when empty); a line that cannot be written is dropped rather than stalling.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);
static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);

pub fn set_level(name: &str) {
    let l = match name {
        "debug" => Level::Debug,
        "verbose" => Level::Verbose,
        "warning" => Level::Warning,
        _ => Level::Notice,
    };
    LEVEL.store(l as u8, Ordering::Relaxed);
}

/// Sends log lines to `path` (appending); an empty path means stdout.
pub fn set_file(path: &str) -> std::io::Result<()> {
    let f = if path.is_empty() { None } else { Some(std::fs::OpenOptions::new().create(true).append(true).open(path)?) };
    if let Ok(mut g) = FILE.lock() {
        *g = f;
    }
    Ok(())
}

pub fn enabled(l: Level) -> bool {
    l as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `25 Nov 2026 21:38:40.123` for a Unix time in milliseconds.
pub fn format_time(ms: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{d} {} {y} {:02}:{:02}:{:02}.{:03}", MONTHS[(m - 1) as usize], s / 3600, s / 60 % 60, s % 60, ms.rem_euclid(1000))
}

/// `2026-11-25T21:38:40.123Z` (RFC 3339, UTC) for a Unix time in milliseconds.
pub fn format_rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, s / 60 % 60, s % 60, ms.rem_euclid(1000))
}

pub fn write(l: Level, msg: &str) {
    if !enabled(l) {
        return;
    }
    let mark = match l {
        Level::Debug => '.',
        Level::Verbose => '-',
        Level::Notice => '*',
        Level::Warning => '#',
    };
    let line = format!("{}:M {} {mark} {msg}\n", std::process::id(), format_time(crate::executor::unix_ms()));
    let Ok(mut g) = FILE.lock() else { return };
    let _ = match g.as_mut() {
        Some(f) => f.write_all(line.as_bytes()),
        None => std::io::stdout().lock().write_all(line.as_bytes()),
    };
}

#[macro_export]
macro_rules! log_notice { ($($t:tt)*) => { $crate::util::log::write($crate::util::log::Level::Notice, &format!($($t)*)) } }
#[macro_export]
macro_rules! log_warning { ($($t:tt)*) => { $crate::util::log::write($crate::util::log::Level::Warning, &format!($($t)*)) } }
#[macro_export]
macro_rules! log_verbose { ($($t:tt)*) => { $crate::util::log::write($crate::util::log::Level::Verbose, &format!($($t)*)) } }
#[macro_export]
macro_rules! log_debug { ($($t:tt)*) => { $crate::util::log::write($crate::util::log::Level::Debug, &format!($($t)*)) } }

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_like_redis() {
        assert_eq!(super::format_time(1_795_643_767_110), "25 Nov 2026 21:56:07.110");
        assert_eq!(super::format_time(0), "1 Jan 1970 00:00:00.000");
    }
}
