//! `aof-inspect records` and `stats`: every valid record of the log in order, one line per
//! effect (a MULTI/EXEC is one record of several effects), filtered, as text or JSON lines;
//! and counts over them. Bad records are stepped over (`verify` judges them).

use std::collections::HashMap;
use std::path::Path;

use crate::commands::spec::command_keys;
use crate::commands::table::table;
use crate::protocol::Args;
use crate::storage::io::{view, Fs};
use crate::storage::log_reader::{scan, Stop};
use crate::storage::record::{next_effect, Record, KIND_SKIP};
use crate::storage::segment::{self, offset_at, SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::util::glob::glob_match;
use crate::util::log::format_rfc3339;

/// `scan` from byte `pos` on, stepping over bad records to the next valid one.
pub(crate) fn scan_from(bytes: &[u8], log_id: u64, base: u64, mut pos: u64, payload_max_bytes: u64, each: &mut dyn FnMut(&Record<'_>)) {
    let head = SEGMENT_HEADER_BYTES as u64;
    while pos < bytes.len() as u64 {
        // `scan` starts after a segment header: hand it a window whose header space ends at `pos`.
        let window = &bytes[(pos - head) as usize..];
        let stop = scan::<()>(window, log_id, offset_at(base, pos), payload_max_bytes, |_, rec| {
            each(rec);
            Ok(())
        });
        match stop {
            Ok(Stop::Bad { later: Some(l), .. }) => pos = pos - head + l.pos,
            _ => break,
        }
    }
}

/// The keys of one effect, as the command table finds them (the first argument when the
/// command is unknown to this build).
pub(crate) fn effect_keys(args: Args<'_>) -> Vec<Vec<u8>> {
    match table().lookup(args).ok().and_then(|r| command_keys(r.spec, args).ok()) {
        Some(pos) => pos.into_iter().map(|(i, _)| args.get(i).to_vec()).collect(),
        None if args.len() > 1 => vec![args.get(1).to_vec()],
        None => Vec::new(),
    }
}

/// Every valid record of every segment whose header reads, in log order.
pub fn for_each_record(fs: &dyn Fs, dir: &Path, payload_max_bytes: u64, each: &mut dyn FnMut(&Record<'_>)) -> std::io::Result<()> {
    let log_dir = super::log_dir(dir);
    let bases = crate::storage::segment::list_bases(fs, &log_dir)?;
    let (mut buf, mut map) = (Vec::new(), None);
    for (i, &base) in bases.iter().enumerate() {
        let f = fs.open(&log_dir.join(segment::file_name(base)), false)?;
        // Sealed segments are mapped; the last, which a live server may be writing, is read.
        let bytes = view(f.as_ref(), i + 1 < bases.len(), &mut map, &mut buf)?;
        if let Ok(h) = SegmentHeader::decode(bytes) {
            scan_from(bytes, h.log_id, base, SEGMENT_HEADER_BYTES as u64, payload_max_bytes, each);
        }
    }
    Ok(())
}

/// One effect as `records` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub offset: u64,
    pub timestamp_ms: u64,
    /// Bytes of the whole record (header included).
    pub size: u64,
    pub db: Option<u32>,
    /// Upper case; `SKIP` for a skip record.
    pub command: String,
    pub keys: Vec<Vec<u8>>,
}

/// What `records` shows: offsets in `from..to`, effects in `db`, named `command`, touching a
/// key that matches `key` (a glob, as KEYS takes).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub key: Option<Vec<u8>>,
    pub db: Option<u32>,
    pub command: Option<String>,
}

impl Filter {
    fn takes(&self, l: &Line) -> bool {
        self.from.is_none_or(|f| l.offset >= f)
            && self.to.is_none_or(|t| l.offset < t)
            && self.db.is_none_or(|d| l.db == Some(d))
            && self.command.as_ref().is_none_or(|c| c.eq_ignore_ascii_case(&l.command))
            && self.key.as_ref().is_none_or(|p| l.keys.iter().any(|k| glob_match(p, k, false)))
    }
}

/// The effects of one record, one line each.
pub fn lines_of(rec: &Record<'_>) -> Vec<Line> {
    let line =
        |db, command: String, keys| Line { offset: rec.offset, timestamp_ms: rec.timestamp_ms, size: rec.len_bytes(), db, command, keys };
    if rec.kind == KIND_SKIP {
        return vec![line(None, "SKIP".into(), Vec::new())];
    }
    let (mut at, mut spans, mut out) = (0, Vec::new(), Vec::new());
    loop {
        match next_effect(rec.payload, &mut at, &mut spans) {
            Ok(Some(db)) => {
                let args = Args::new(rec.payload, &spans);
                let name = String::from_utf8_lossy(args.get(0)).to_ascii_uppercase();
                out.push(line(Some(db), name, effect_keys(args)));
            }
            Ok(None) => break,
            Err(e) => {
                out.push(line(None, format!("(unreadable payload: {e})"), Vec::new()));
                break;
            }
        }
    }
    out
}

/// Every line that passes `filter`, in log order.
pub fn records(fs: &dyn Fs, dir: &Path, payload_max_bytes: u64, filter: &Filter, each: &mut dyn FnMut(&Line)) -> std::io::Result<()> {
    for_each_record(fs, dir, payload_max_bytes, &mut |rec| {
        if filter.to.is_some_and(|t| rec.offset >= t) || filter.from.is_some_and(|f| rec.offset < f) {
            return;
        }
        for l in lines_of(rec).iter().filter(|l| filter.takes(l)) {
            each(l);
        }
    })
}

fn keys_text(keys: &[Vec<u8>]) -> String {
    keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The header of the text form (golden-tested: a change here is deliberate).
pub const LINE_HEADER: &str = "offset               time                       db      size  command           keys";

pub fn line_text(l: &Line) -> String {
    let time = format_rfc3339(i64::try_from(l.timestamp_ms).unwrap_or(i64::MAX));
    let db = l.db.map_or_else(|| "-".to_string(), |d| d.to_string());
    format!("{:<20} {:<26} {:>3} {:>9}  {:<16}  {}", l.offset, time, db, l.size, l.command, keys_text(&l.keys))
}

/// One JSON object per line (`--json`); keys that are not UTF-8 are shown lossily.
pub fn line_json(l: &Line) -> String {
    let keys: Vec<String> = l.keys.iter().map(|k| json_str(&String::from_utf8_lossy(k))).collect();
    format!(
        "{{\"offset\":{},\"time_ms\":{},\"db\":{},\"size\":{},\"command\":{},\"keys\":[{}]}}",
        l.offset,
        l.timestamp_ms,
        l.db.map_or_else(|| "null".to_string(), |d| d.to_string()),
        l.size,
        json_str(&l.command),
        keys.join(",")
    )
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `stats`: writes per command, per key prefix (up to the first `:`), and the biggest records.
#[derive(Debug, Default)]
pub struct Stats {
    pub records: u64,
    pub bytes: u64,
    /// (effects, record bytes) by command.
    pub by_command: HashMap<String, (u64, u64)>,
    pub by_prefix: HashMap<Vec<u8>, u64>,
    /// The biggest records: (size, offset, first command, first key).
    pub biggest: Vec<(u64, u64, String, Vec<u8>)>,
}

/// Biggest records kept by `stats`.
const BIGGEST_MAX: usize = 10;
/// Rows of each table `stats` prints.
const ROWS_MAX: usize = 20;

pub fn stats(fs: &dyn Fs, dir: &Path, payload_max_bytes: u64) -> std::io::Result<Stats> {
    let mut st = Stats::default();
    for_each_record(fs, dir, payload_max_bytes, &mut |rec| {
        st.records += 1;
        st.bytes += rec.len_bytes();
        let lines = lines_of(rec);
        for l in &lines {
            let e = st.by_command.entry(l.command.clone()).or_default();
            e.0 += 1;
            e.1 += l.size;
            for k in &l.keys {
                let prefix = k.iter().position(|&b| b == b':').map_or(&k[..], |i| &k[..=i]);
                *st.by_prefix.entry(prefix.to_vec()).or_default() += 1;
            }
        }
        let first = lines.first();
        st.biggest.push((
            rec.len_bytes(),
            rec.offset,
            first.map_or_else(String::new, |l| l.command.clone()),
            first.and_then(|l| l.keys.first().cloned()).unwrap_or_default(),
        ));
        if st.biggest.len() > 4 * BIGGEST_MAX {
            st.biggest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            st.biggest.truncate(BIGGEST_MAX);
        }
    })?;
    st.biggest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    st.biggest.truncate(BIGGEST_MAX);
    Ok(st)
}

/// The `stats` report (golden-tested).
pub fn stats_text(st: &Stats) -> String {
    let mut s = format!("{} records, {} bytes\n\nwrites per command:\n", st.records, st.bytes);
    let mut cmds: Vec<_> = st.by_command.iter().collect();
    cmds.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    for (c, (n, bytes)) in cmds.into_iter().take(ROWS_MAX) {
        s.push_str(&format!("  {c:<16} {n:>12} {bytes:>14} bytes\n"));
    }
    s.push_str("\nwrites per key prefix:\n");
    let mut prefixes: Vec<_> = st.by_prefix.iter().collect();
    prefixes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (p, n) in prefixes.into_iter().take(ROWS_MAX) {
        s.push_str(&format!("  {:<24} {n:>12}\n", String::from_utf8_lossy(p)));
    }
    s.push_str("\nbiggest records:\n");
    for (size, offset, cmd, key) in &st.biggest {
        s.push_str(&format!("  offset {offset:<20} {size:>12} bytes  {cmd} {}\n", String::from_utf8_lossy(key)));
    }
    s
}
