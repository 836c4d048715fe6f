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

/// Days since 1970-01-01 of a civil date (proleptic Gregorian); the inverse of `civil`.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A time given as Unix seconds (`1763596800`, `1763596800.250`) or as RFC 3339
/// (`2025-11-20T00:00:00Z`, `2025-11-20 01:30:00.5+01:30`), in Unix milliseconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || format!("'{s}' is not a time: give Unix seconds or RFC 3339 (2025-11-20T00:00:00Z)");
    let frac_ms = |f: &str| -> Option<i64> {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut digits = f.as_bytes().to_vec();
        digits.resize(3, b'0');
        std::str::from_utf8(&digits[..3]).ok()?.parse().ok()
    };
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let secs: i64 = whole.parse().map_err(|_| bad())?;
        let ms = if frac.is_empty() && !s.ends_with('.') { 0 } else { frac_ms(frac).ok_or_else(bad)? };
        return secs.checked_mul(1000).and_then(|v| v.checked_add(ms)).ok_or_else(bad);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes().all(|c| c.is_ascii_digit()).then(|| t.parse().ok()).flatten()
    };
    let field = |r: std::ops::Range<usize>| num(r).ok_or_else(bad);
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (y, mo, d, h, mi, sec) = (field(0..4)?, field(5..7)?, field(8..10)?, field(11..13)?, field(14..16)?, field(17..19)?);
    let mut rest = &s[19..];
    let mut ms = 0;
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        ms = frac_ms(&r[..end]).ok_or_else(bad)?;
        rest = &r[end..];
    }
    let offset_min = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let at = s.len() - rest.len();
            let (oh, om) = (field(at + 1..at + 3)?, field(at + 4..at + 6)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let m = oh * 60 + om;
            if *sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    if civil(days) != (y, mo as u32, d as u32) {
        return Err(bad());
    }
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Ok(secs * 1000 + ms)
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

    #[test]
    fn parses_unix_seconds_and_rfc3339_back_to_what_formatting_gives() {
        use super::{format_rfc3339, parse_time};
        let t0 = 1_763_596_800_000; // 2025-11-20T00:00:00Z
        assert_eq!(parse_time("1763596800"), Ok(t0));
        assert_eq!(parse_time("1763596800.25"), Ok(t0 + 250));
        assert_eq!(parse_time("2025-11-20T00:00:00Z"), Ok(t0));
        assert_eq!(parse_time("2025-11-20 01:30:00.5+01:30"), Ok(t0 + 500));
        assert_eq!(parse_time("2025-11-19T23:00:00.123-01:00"), Ok(t0 + 123));
        for ms in [0, 951_782_400_000, 1_709_164_800_999, t0 + 86_399_999, 4_102_444_800_000] {
            assert_eq!(parse_time(&format_rfc3339(ms)), Ok(ms), "{}", format_rfc3339(ms));
        }
        for bad in [
            "",
            "yesterday",
            "2025-11-20",
            "2025-02-30T00:00:00Z",
            "2025-11-20T24:00:00Z",
            "2025-11-20T00:00:00",
            "1.2.3",
            "2025-11-20T00:00:00+1:00",
            "-5",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
