//! The snapshot file: a point-in-time image of every database at one log offset
//! (docs/format/snapshot.md). `Writer` takes raw blocks of key records (serialized by the
//! executor, `db::capture`), compresses and checksums them and writes the file under a
//! temporary name; `commit` renames it into place. `read` checks a whole file and hands
//! back its key records block by block.
//!
//! Crash safety: a snapshot exists under its final name only after its bytes and its
//! directory entry are durable; a temporary file is garbage (start-up deletes it).

use std::path::{Path, PathBuf};

use super::codec::{self, Reader};
use super::io::{write_all_at, Fs, LogFile};
use crate::db::value::Value;

pub const MAGIC: &[u8; 8] = b"KEEL.SNP";
pub const TRAILER_MAGIC: &[u8; 8] = b"KEEL.END";
pub const FORMAT_VERSION: u16 = 1;
pub const HEADER_BYTES: usize = 96;
pub const TRAILER_BYTES: usize = 64;
const BLOCK_HEADER_BYTES: usize = 16;
const INDEX_ENTRY_BYTES: usize = 24;
/// A raw block is sealed once it reaches this size (so it ends up a little bigger, or much
/// bigger when one value is huge).
pub const BLOCK_RAW_BYTES: usize = 1 << 20;
/// Record opcode: one key.
const OP_KEY: u8 = 1;
const KEY_FLAG_EXPIRE: u8 = 1;
/// zstd level: 1 is the fastest that still compresses text and repeated values well.
const ZSTD_LEVEL: i32 = 1;
/// Compressed bytes gathered before one write call.
const WRITE_CHUNK_BYTES: usize = 1 << 20;
/// Written bytes between two writeback starts while the file is written (Redis's
/// rdb-save-incremental-fsync, which uses sync_file_range too): one big sync at the end would
/// write back the whole file at once. Not fdatasync: each of those forces an ext4 journal
/// commit, and the executor's own log writes wait for commits (measured: SET max latency
/// +12 to +36 ms during a snapshot with an fdatasync every 8 MiB).
const SYNC_EVERY_BYTES: u64 = 8 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub log_id: u64,
    /// The image holds the effects of every log record below this offset, and no other.
    pub log_offset: u64,
    pub created_ms: u64,
    /// The writing server's run id (40 hex characters), for operators.
    pub run_id: [u8; 20],
    /// The writer's keyspace hash seed (see `KeyHasher::seed`).
    pub key_seed: u64,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut b = [0u8; HEADER_BYTES];
        b[0..8].copy_from_slice(MAGIC);
        b[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        b[10..12].copy_from_slice(&(HEADER_BYTES as u16).to_le_bytes());
        b[16..24].copy_from_slice(&self.log_id.to_le_bytes());
        b[24..32].copy_from_slice(&self.log_offset.to_le_bytes());
        b[32..40].copy_from_slice(&self.created_ms.to_le_bytes());
        b[40..60].copy_from_slice(&self.run_id);
        b[60..68].copy_from_slice(&self.key_seed.to_le_bytes());
        let crc = crc32fast::hash(&b[..92]);
        b[92..96].copy_from_slice(&crc.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Result<Self, String> {
        if b.len() < HEADER_BYTES {
            return Err(format!("truncated header ({} bytes)", b.len()));
        }
        if &b[0..8] != MAGIC {
            return Err("not a Keel snapshot (bad magic)".into());
        }
        if crc32fast::hash(&b[..92]) != u32le(&b[92..96]) {
            return Err("header checksum mismatch".into());
        }
        let version = u16::from_le_bytes([b[8], b[9]]);
        if version == 0 {
            return Err("format version 0 is never written".into());
        }
        if version > FORMAT_VERSION {
            return Err(format!("written by a newer Keel: snapshot format version {version}, this build reads up to {FORMAT_VERSION}"));
        }
        if u16::from_le_bytes([b[10], b[11]]) as usize != HEADER_BYTES || u32le(&b[12..16]) != 0 {
            return Err("unknown header length or flags".into());
        }
        Ok(Header {
            log_id: u64le(&b[16..24]),
            log_offset: u64le(&b[24..32]),
            created_ms: u64le(&b[32..40]),
            run_id: b[40..60].try_into().expect("20 bytes"),
            key_seed: u64le(&b[60..68]),
        })
    }
}

fn u32le(b: &[u8]) -> u32 {
    u32::from_le_bytes(b.try_into().expect("4 bytes"))
}

fn u64le(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().expect("8 bytes"))
}

/// `<offset, 20 digits>-<sequence, 6 digits>.snap`: names sort by offset, then by the order
/// in which snapshots were taken (several may share an offset when nothing was logged
/// between them).
pub fn file_name(log_offset: u64, seq: u64) -> String {
    format!("{log_offset:020}-{seq:06}.snap")
}

/// (offset, sequence) of a snapshot file name.
pub fn parse_file_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".snap")?;
    let (o, s) = stem.split_once('-')?;
    if o.len() != 20 || s.len() < 6 || !o.bytes().chain(s.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((o.parse().ok()?, s.parse().ok()?))
}

/// Temporary files of unfinished snapshots.
pub fn is_temp_name(name: &str) -> bool {
    name.ends_with(".snap.tmp")
}

/// Appends one key record to a raw block.
pub fn put_key(out: &mut Vec<u8>, db: usize, key: &[u8], expire_at_ms: Option<i64>, value: &Value) {
    out.push(OP_KEY);
    codec::put_len(out, db as u64);
    match expire_at_ms {
        Some(at) => {
            out.push(KEY_FLAG_EXPIRE);
            out.extend_from_slice(&at.to_le_bytes());
        }
        None => out.push(0),
    }
    codec::put_len(out, key.len() as u64);
    out.extend_from_slice(key);
    codec::put_value(out, value);
}

/// One key as read back, borrowing from the block (a load makes the entry straight from
/// these bytes, with no copy in between).
#[derive(Debug, PartialEq, Eq)]
pub struct KeyRecord<'a> {
    pub db: usize,
    pub key: &'a [u8],
    pub expire_at_ms: Option<i64>,
    pub value: codec::ValueRef<'a>,
}

/// Reads the key records of one raw block.
pub fn read_keys(raw: &[u8], each: &mut dyn FnMut(KeyRecord<'_>) -> Result<(), String>) -> Result<u64, String> {
    let mut r = Reader::new(raw);
    let mut n = 0;
    while r.remaining() > 0 {
        let at = r.pos;
        let op = r.u8()?;
        if op != OP_KEY {
            return Err(format!("unknown record opcode {op} at block byte {at}"));
        }
        let db = usize::try_from(r.length()?).map_err(|_| "database index overflows".to_string())?;
        let flags = r.u8()?;
        if flags & !KEY_FLAG_EXPIRE != 0 {
            return Err(format!("unknown key flags {flags:#x} at block byte {at}"));
        }
        let expire_at_ms = if flags & KEY_FLAG_EXPIRE != 0 { Some(r.i64_le()?) } else { None };
        let klen = r.bounded_len()?;
        let key = r.take(klen)?;
        let value = r.value_ref()?;
        each(KeyRecord { db, key, expire_at_ms, value })?;
        n += 1;
    }
    Ok(n)
}

/// Counts of one database in the image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DbCount {
    pub db: u32,
    pub keys: u64,
    pub volatile: u64,
}

#[derive(Debug, Clone, Copy)]
struct IndexEntry {
    pos: u64,
    compressed: u32,
    raw: u32,
    keys: u32,
    crc: u32,
}

/// Writes one snapshot file under a temporary name.
pub struct Writer {
    fs: std::sync::Arc<dyn Fs>,
    dir: PathBuf,
    tmp: PathBuf,
    file: Box<dyn LogFile>,
    header: Header,
    /// Bytes written to the file so far, and synced so far.
    pos: u64,
    synced_pos: u64,
    pending: Vec<u8>,
    crc: crc32fast::Hasher,
    index: Vec<IndexEntry>,
    keys: u64,
    raw_bytes: u64,
    zstd: zstd::bulk::Compressor<'static>,
    /// Compressed output, reused: compression then allocates nothing.
    out: Vec<u8>,
    /// Set: compression runs under SCHED_IDLE unless the flag says the thread is starved
    /// (`compactor::Thread::set_starved`); file I/O never does (see `compress`).
    idle_compression: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Writer {
    pub fn create(fs: std::sync::Arc<dyn Fs>, dir: &Path, header: Header, seq: u64) -> std::io::Result<Self> {
        let tmp = dir.join(format!("{}.tmp", file_name(header.log_offset, seq)));
        let _ = fs.remove(&tmp);
        let file = fs.create(&tmp)?;
        let mut w = Writer {
            fs,
            dir: dir.to_path_buf(),
            tmp,
            file,
            header,
            pos: 0,
            synced_pos: 0,
            pending: Vec::with_capacity(WRITE_CHUNK_BYTES + BLOCK_RAW_BYTES),
            crc: crc32fast::Hasher::new(),
            index: Vec::new(),
            keys: 0,
            raw_bytes: 0,
            zstd: zstd::bulk::Compressor::new(ZSTD_LEVEL)?,
            out: Vec::new(),
            idle_compression: None,
        };
        w.put(&header.encode());
        Ok(w)
    }

    fn put(&mut self, b: &[u8]) {
        self.crc.update(b);
        self.pending.extend_from_slice(b);
    }

    fn flush(&mut self) -> std::io::Result<()> {
        write_all_at(self.file.as_ref(), self.pos, &self.pending)?;
        self.pos += self.pending.len() as u64;
        self.pending.clear();
        if self.pos - self.synced_pos >= SYNC_EVERY_BYTES {
            // A hint: a failure here only means the final fdatasync has more to do.
            let _ = self.file.start_writeback(self.synced_pos, self.pos - self.synced_pos);
            self.synced_pos = self.pos;
        }
        Ok(())
    }

    /// Runs compression under SCHED_IDLE while `starved` is false (see `compress`).
    pub fn set_idle_compression(&mut self, starved: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        self.idle_compression = Some(starved);
    }

    /// Compresses `raw` into `self.out`. Under SCHED_IDLE the thread yields the core to any
    /// waking task at once, so compression never delays a command by more than a wake-up;
    /// but a SCHED_IDLE thread that holds a kernel lock (an inode's, the journal's, the
    /// address space's) while starved would stall whoever waits for it. So only this part,
    /// pure computation into a buffer that never grows here, runs under it.
    fn compress(&mut self, raw: &[u8]) -> std::io::Result<()> {
        self.out.clear();
        self.out.reserve(zstd::zstd_safe::compress_bound(raw.len()));
        let idle = self.idle_compression.as_ref().is_some_and(|s| !s.load(std::sync::atomic::Ordering::Acquire));
        if idle {
            crate::util::sys::set_idle_policy(true);
        }
        let r = self.zstd.compress_to_buffer(raw, &mut self.out);
        if idle {
            crate::util::sys::set_idle_policy(false);
        }
        r.map(|_| ())
    }

    /// Compresses and appends one raw block of `keys` key records.
    pub fn write_block(&mut self, raw: &[u8], keys: u32) -> std::io::Result<()> {
        self.compress(raw)?;
        let compressed = std::mem::take(&mut self.out);
        let mut h = [0u8; BLOCK_HEADER_BYTES];
        h[0..4].copy_from_slice(&u32::try_from(compressed.len()).map_err(std::io::Error::other)?.to_le_bytes());
        h[4..8].copy_from_slice(&u32::try_from(raw.len()).map_err(std::io::Error::other)?.to_le_bytes());
        h[8..12].copy_from_slice(&keys.to_le_bytes());
        let mut c = crc32fast::Hasher::new();
        c.update(&h[..12]);
        c.update(&compressed);
        let crc = c.finalize();
        h[12..16].copy_from_slice(&crc.to_le_bytes());
        let pos = self.pos + self.pending.len() as u64;
        self.put(&h);
        self.put(&compressed);
        self.index.push(IndexEntry { pos, compressed: compressed.len() as u32, raw: raw.len() as u32, keys, crc });
        self.out = compressed;
        self.keys += u64::from(keys);
        self.raw_bytes += raw.len() as u64;
        if self.pending.len() >= WRITE_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the index and trailer and fsyncs the temporary file. Returns its size.
    pub fn finish(&mut self, dbs: &[DbCount]) -> std::io::Result<u64> {
        let index_pos = self.pos + self.pending.len() as u64;
        let mut idx = Vec::with_capacity(self.index.len() * INDEX_ENTRY_BYTES + 4 + dbs.len() * 20);
        for e in &self.index {
            idx.extend_from_slice(&e.pos.to_le_bytes());
            idx.extend_from_slice(&e.compressed.to_le_bytes());
            idx.extend_from_slice(&e.raw.to_le_bytes());
            idx.extend_from_slice(&e.keys.to_le_bytes());
            idx.extend_from_slice(&e.crc.to_le_bytes());
        }
        idx.extend_from_slice(&(dbs.len() as u32).to_le_bytes());
        for d in dbs {
            idx.extend_from_slice(&d.db.to_le_bytes());
            idx.extend_from_slice(&d.keys.to_le_bytes());
            idx.extend_from_slice(&d.volatile.to_le_bytes());
        }
        self.put(&idx);
        let mut t = [0u8; TRAILER_BYTES];
        t[0..8].copy_from_slice(TRAILER_MAGIC);
        t[8..16].copy_from_slice(&index_pos.to_le_bytes());
        t[16..24].copy_from_slice(&(self.index.len() as u64).to_le_bytes());
        t[24..32].copy_from_slice(&self.keys.to_le_bytes());
        t[32..40].copy_from_slice(&self.raw_bytes.to_le_bytes());
        t[40..48].copy_from_slice(&self.header.log_offset.to_le_bytes());
        let file_crc = std::mem::take(&mut self.crc).finalize();
        t[56..60].copy_from_slice(&file_crc.to_le_bytes());
        let tcrc = crc32fast::hash(&t[..60]);
        t[60..64].copy_from_slice(&tcrc.to_le_bytes());
        self.pending.extend_from_slice(&t);
        self.flush()?;
        self.file.sync_data()?;
        Ok(self.pos)
    }

    /// Renames the finished file to its final name and makes that durable.
    pub fn commit(self, seq: u64) -> std::io::Result<PathBuf> {
        let path = self.dir.join(file_name(self.header.log_offset, seq));
        drop(self.file);
        self.fs.rename(&self.tmp, &path)?;
        self.fs.sync_dir(&self.dir)?;
        Ok(path)
    }

    /// Gives up: the temporary file is removed (best effort; start-up removes leftovers).
    pub fn abort(self) {
        drop(self.file);
        let _ = self.fs.remove(&self.tmp);
    }

    pub fn keys(&self) -> u64 {
        self.keys
    }
}

/// What a checked snapshot file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub header: Header,
    pub blocks: u64,
    pub keys: u64,
    pub raw_bytes: u64,
    pub file_bytes: u64,
    pub dbs: Vec<DbCount>,
}

/// A snapshot file checked end to end (header, trailer, whole-file checksum, index), with
/// its blocks ready to decompress.
pub struct Checked {
    pub summary: Summary,
    bytes: Vec<u8>,
    index: Vec<IndexEntry>,
}

/// Reads and checks a whole snapshot file.
pub fn open(fs: &dyn Fs, path: &Path) -> Result<Checked, String> {
    let f = fs.open(path, false).map_err(|e| format!("cannot open: {e}"))?;
    let bytes = super::io::read_all(f.as_ref()).map_err(|e| format!("cannot read: {e}"))?;
    check(bytes)
}

pub fn check(bytes: Vec<u8>) -> Result<Checked, String> {
    let header = Header::decode(&bytes)?;
    if bytes.len() < HEADER_BYTES + TRAILER_BYTES {
        return Err(format!("truncated: {} bytes, no trailer", bytes.len()));
    }
    let tstart = bytes.len() - TRAILER_BYTES;
    let t = &bytes[tstart..];
    if &t[0..8] != TRAILER_MAGIC || crc32fast::hash(&t[..60]) != u32le(&t[60..64]) {
        return Err("truncated or damaged: no valid trailer at the end".into());
    }
    if crc32fast::hash(&bytes[..tstart]) != u32le(&t[56..60]) {
        return Err("file checksum mismatch".into());
    }
    let index_pos = usize::try_from(u64le(&t[8..16])).map_err(|_| "bad index position".to_string())?;
    let blocks = u64le(&t[16..24]);
    let keys = u64le(&t[24..32]);
    let raw_bytes = u64le(&t[32..40]);
    if u64le(&t[40..48]) != header.log_offset {
        return Err("trailer and header disagree on the log offset".into());
    }
    let idx = bytes.get(index_pos..tstart).ok_or("bad index position")?;
    let nblocks = usize::try_from(blocks).map_err(|_| "bad block count".to_string())?;
    let need = nblocks.checked_mul(INDEX_ENTRY_BYTES).ok_or("bad block count")?;
    if idx.len() < need + 4 {
        return Err("index shorter than its block count".into());
    }
    let mut index = Vec::with_capacity(nblocks);
    for e in idx[..need].chunks_exact(INDEX_ENTRY_BYTES) {
        index.push(IndexEntry {
            pos: u64le(&e[0..8]),
            compressed: u32le(&e[8..12]),
            raw: u32le(&e[12..16]),
            keys: u32le(&e[16..20]),
            crc: u32le(&e[20..24]),
        });
    }
    let ndbs = u32le(&idx[need..need + 4]) as usize;
    let dbs_bytes = &idx[need + 4..];
    if dbs_bytes.len() != ndbs.checked_mul(20).ok_or("bad database count")? {
        return Err("index size does not match its database count".into());
    }
    let dbs =
        dbs_bytes.chunks_exact(20).map(|d| DbCount { db: u32le(&d[0..4]), keys: u64le(&d[4..12]), volatile: u64le(&d[12..20]) }).collect();
    let mut sum = 0u64;
    for e in &index {
        let start = usize::try_from(e.pos).map_err(|_| "bad block position".to_string())?;
        let end = start.checked_add(BLOCK_HEADER_BYTES + e.compressed as usize).ok_or("bad block position")?;
        if start < HEADER_BYTES || end > index_pos {
            return Err(format!("block at byte {start} outside the data area"));
        }
        sum += u64::from(e.keys);
    }
    if sum != keys {
        return Err("block key counts do not add up to the trailer's".into());
    }
    let summary = Summary { header, blocks, keys, raw_bytes, file_bytes: bytes.len() as u64, dbs };
    Ok(Checked { summary, bytes, index })
}

impl Checked {
    /// Decompresses block `i` into `raw` (reused) and checks it; returns its key count.
    pub fn block(&self, i: usize, raw: &mut Vec<u8>, zstd: &mut zstd::bulk::Decompressor<'_>) -> Result<u32, String> {
        let e = &self.index[i];
        let start = e.pos as usize;
        let h = &self.bytes[start..start + BLOCK_HEADER_BYTES];
        let data = &self.bytes[start + BLOCK_HEADER_BYTES..start + BLOCK_HEADER_BYTES + e.compressed as usize];
        let mut c = crc32fast::Hasher::new();
        c.update(&h[..12]);
        c.update(data);
        if u32le(&h[0..4]) != e.compressed
            || u32le(&h[4..8]) != e.raw
            || u32le(&h[8..12]) != e.keys
            || u32le(&h[12..16]) != e.crc
            || c.finalize() != e.crc
        {
            return Err(format!("block {i} at byte {start}: checksum mismatch"));
        }
        raw.clear();
        raw.reserve(e.raw as usize);
        zstd.decompress_to_buffer(data, raw).map_err(|err| format!("block {i}: cannot decompress: {err}"))?;
        if raw.len() != e.raw as usize {
            return Err(format!("block {i}: {} bytes after decompression, {} expected", raw.len(), e.raw));
        }
        Ok(e.keys)
    }

    pub fn block_count(&self) -> usize {
        self.index.len()
    }

    /// Calls `each` for every key, in file order.
    pub fn for_each_key(&self, each: &mut dyn FnMut(KeyRecord<'_>) -> Result<(), String>) -> Result<u64, String> {
        let mut zstd = zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        let mut total = 0;
        for i in 0..self.block_count() {
            let want = self.block(i, &mut raw, &mut zstd)?;
            let got = read_keys(&raw, each).map_err(|e| format!("block {i}: {e}"))?;
            if got != u64::from(want) {
                return Err(format!("block {i}: {got} keys, the index says {want}"));
            }
            total += got;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::value::Str;
    use crate::storage::sim::SimFs;
    use std::sync::Arc;

    fn header() -> Header {
        Header { log_id: 9, log_offset: 1234, created_ms: 55, run_id: [7; 20], key_seed: 3 }
    }

    fn write(fs: &SimFs, n: usize) -> PathBuf {
        let dir = Path::new("/d");
        fs.create_dir_all(dir).unwrap();
        let mut w = Writer::create(Arc::new(fs.clone()), dir, header(), 1).unwrap();
        let mut raw = Vec::new();
        let mut in_block = 0;
        for i in 0..n {
            let exp = (i % 3 == 0).then_some(i as i64 * 1000);
            put_key(&mut raw, i % 2, format!("key:{i}").as_bytes(), exp, &Value::Str(Str::from_bytes(format!("v{i}").as_bytes())));
            in_block += 1;
            if raw.len() > 4000 {
                w.write_block(&raw, in_block).unwrap();
                raw.clear();
                in_block = 0;
            }
        }
        w.write_block(&raw, in_block).unwrap();
        w.finish(&[DbCount { db: 0, keys: n.div_ceil(2) as u64, volatile: 0 }]).unwrap();
        w.commit(1).unwrap()
    }

    #[test]
    fn round_trip() {
        let fs = SimFs::new(1);
        let path = write(&fs, 5000);
        assert_eq!(path, Path::new("/d/00000000000000001234-000001.snap"));
        let c = open(&fs, &path).unwrap();
        assert_eq!(c.summary.header, header());
        assert_eq!(c.summary.keys, 5000);
        assert!(c.summary.blocks > 10);
        let mut seen = 0;
        c.for_each_key(&mut |k| {
            assert_eq!(k.key, format!("key:{seen}").as_bytes());
            assert_eq!(k.value.into_value(), Value::Str(Str::from_bytes(format!("v{seen}").as_bytes())));
            assert_eq!(k.db, seen % 2);
            assert_eq!(k.expire_at_ms, (seen % 3 == 0).then_some(seen as i64 * 1000));
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 5000);
    }

    #[test]
    fn any_damage_is_detected() {
        let fs = SimFs::new(2);
        let path = write(&fs, 300);
        let good = fs.contents(&path).unwrap();
        for at in (0..good.len()).step_by(7) {
            let mut b = good.clone();
            b[at] ^= 0x10;
            assert!(check(b).is_err(), "flip at byte {at} not detected");
        }
        for cut in [0, 10, 64, 100, good.len() - 1] {
            assert!(check(good[..cut].to_vec()).is_err(), "truncation at {cut} not detected");
        }
    }

    #[test]
    fn names_sort_by_offset_then_sequence() {
        assert_eq!(parse_file_name(&file_name(77, 3)), Some((77, 3)));
        assert_eq!(parse_file_name("00000000000000000077-000003.snap.tmp"), None);
        assert_eq!(parse_file_name("x.snap"), None);
        assert!(file_name(77, 3) < file_name(77, 10) && file_name(77, 999_999) < file_name(78, 1));
    }

    #[test]
    fn newer_version_is_named() {
        let mut h = header().encode();
        h[8] = 2;
        let crc = crc32fast::hash(&h[..92]);
        h[92..96].copy_from_slice(&crc.to_le_bytes());
        assert!(Header::decode(&h).unwrap_err().contains("newer Keel"));
    }
}
