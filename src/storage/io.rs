//! Every file touch of the storage code goes through `Fs` and `LogFile`, so tests can swap in
//! `sim::SimFs`, which loses unsynced bytes, tears writes and fails on cue. `RealFs` is the
//! std implementation. Durability is spelled out once: `durable_replace` for whole files, and
//! `sync_dir` after every create, rename and delete.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A file the log writes and reads by position. Every method takes `&self` (as pwrite and
/// fdatasync do) so one thread can fsync a segment while another appends to it.
pub trait LogFile: Send + Sync {
    /// Writes some prefix of `buf` at `pos` (a short count is allowed, as with pwrite).
    fn write_at(&self, pos: u64, buf: &[u8]) -> io::Result<usize>;
    /// Reads up to `buf.len()` bytes at `pos`; 0 at or past the end.
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// fdatasync: the bytes written so far survive a crash once this returns Ok.
    fn sync_data(&self) -> io::Result<()>;
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Reserves space up to `len` bytes (zero-filled; the file grows to `len` if shorter), so
    /// later writes inside it change no file metadata and fdatasync has less to do. Callers
    /// treat it as a hint: on failure, writes still extend the file.
    fn allocate(&self, len: u64) -> io::Result<()>;
    fn len_bytes(&self) -> io::Result<u64>;
    /// The file mapped read-only, if this file system can (`view`). Only readers that never
    /// change the file while they hold the map may ask: a file cut shorter under a map
    /// faults the reader (SIGBUS) at the missing pages.
    fn map_read_only(&self) -> Option<io::Result<memmap2::Mmap>> {
        None
    }
    /// Starts writing `len` bytes at `pos` to disk without waiting for them and without
    /// making anything durable (a hint that spreads writeback out; `sync_data` is still the
    /// durability point). The default does nothing.
    fn start_writeback(&self, _pos: u64, _len: u64) -> io::Result<()> {
        Ok(())
    }
}

/// A held directory lock; dropping it releases the lock.
pub trait DirLock: Send {}

/// The file system operations storage needs.
pub trait Fs: Send + Sync {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Creates a new, empty file; fails if it exists.
    fn create(&self, path: &Path) -> io::Result<Box<dyn LogFile>>;
    fn open(&self, path: &Path, writable: bool) -> io::Result<Box<dyn LogFile>>;
    /// Names of the entries in `dir`, sorted.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes creates, renames and deletes in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Takes an exclusive lock on `dir` (through a `LOCK` file in it), or fails at once if
    /// another holder has it.
    fn lock_dir(&self, dir: &Path) -> io::Result<Box<dyn DirLock>>;
}

/// Writes all of `buf` at `pos`, retrying short writes.
pub fn write_all_at(f: &dyn LogFile, mut pos: u64, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = f.write_at(pos, buf)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0"));
        }
        pos += n as u64;
        buf = &buf[n..];
    }
    Ok(())
}

/// Fills `buf` from byte `pos`; a file that ends first is an `UnexpectedEof` error.
pub fn read_exact_at(f: &dyn LogFile, mut pos: u64, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = f.read_at(pos, buf)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the file ends early"));
        }
        pos += n as u64;
        buf = &mut buf[n..];
    }
    Ok(())
}

/// Copies bytes `range` of `from` to the new file `to` (from its byte 0), in chunks, and
/// syncs it (aof-repair's backups, aof-repair restore's copies).
pub fn copy_range(fs: &dyn Fs, from: &Path, range: std::ops::Range<u64>, to: &Path) -> io::Result<()> {
    const CHUNK: u64 = 8 << 20;
    let src = fs.open(from, false)?;
    let dst = fs.create(to)?;
    let mut buf = vec![0u8; usize::try_from(CHUNK.min(range.end.saturating_sub(range.start))).unwrap_or(0)];
    let mut pos = range.start;
    while pos < range.end {
        let n = usize::try_from((range.end - pos).min(CHUNK)).unwrap_or(buf.len());
        read_exact_at(src.as_ref(), pos, &mut buf[..n])?;
        write_all_at(dst.as_ref(), pos - range.start, &buf[..n])?;
        pos += n as u64;
    }
    dst.sync_data()
}

/// Reads the whole file.
pub fn read_all(f: &dyn LogFile) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    read_into(f, &mut buf)?;
    Ok(buf)
}

/// Reads the whole file into `buf`, reusing its memory (recovery reads segment after
/// segment: fresh 64 MiB buffers would fault in every page again).
pub fn read_into(f: &dyn LogFile, buf: &mut Vec<u8>) -> io::Result<()> {
    let len = usize::try_from(f.len_bytes()?).map_err(|_| io::Error::other("file too large"))?;
    buf.clear();
    buf.resize(len, 0);
    let mut at = 0;
    while at < len {
        let n = f.read_at(at as u64, &mut buf[at..])?;
        if n == 0 {
            buf.truncate(at);
            break;
        }
        at += n;
    }
    Ok(())
}

/// The whole file's bytes, for a reader that only reads: mapped read-only when `map_ok` and
/// the file system can (no copy: `aof-inspect` scans a gigabyte of segments in place),
/// else read into `buf`. `map` holds the mapping as long as the bytes are used.
pub fn view<'a>(f: &dyn LogFile, map_ok: bool, map: &'a mut Option<memmap2::Mmap>, buf: &'a mut Vec<u8>) -> io::Result<&'a [u8]> {
    *map = None;
    if map_ok {
        // An empty file, or one a file system will not map, is read instead.
        if let Some(Ok(m)) = f.map_read_only() {
            *map = Some(m);
        }
    }
    match map {
        Some(m) => Ok(&m[..]),
        None => {
            read_into(f, buf)?;
            Ok(&buf[..])
        }
    }
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

struct RealFile(File);

impl LogFile for RealFile {
    fn write_at(&self, pos: u64, buf: &[u8]) -> io::Result<usize> {
        self.0.write_at(buf, pos)
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_at(buf, pos)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    #[allow(unsafe_code)]
    fn map_read_only(&self) -> Option<io::Result<memmap2::Mmap>> {
        // SAFETY: callers map only files nothing writes to while they hold the map
        // (`map_read_only`'s contract): sealed segments, which the server never writes again
        // (the active one, written in place into preallocated space, is read instead), and
        // snapshots. The one way left to fault is a file cut shorter while it is mapped (a
        // server's start-up truncating an unsynced tail, `aof-repair --apply`); a reader hit
        // by one dies of SIGBUS without having written anything. An empty file is not mapped
        // (mmap of 0 bytes fails).
        match self.0.metadata() {
            Ok(m) if m.len() > 0 => Some(unsafe { memmap2::MmapOptions::new().map(&self.0) }),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    }
    fn allocate(&self, len: u64) -> io::Result<()> {
        crate::util::sys::fallocate(&self.0, len)
    }
    fn start_writeback(&self, pos: u64, len: u64) -> io::Result<()> {
        crate::util::sys::start_writeback(&self.0, pos, len)
    }
    fn len_bytes(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
}

struct RealLock(#[allow(dead_code)] File);
impl DirLock for RealLock {}

impl Fs for RealFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        Ok(Box::new(RealFile(OpenOptions::new().read(true).write(true).create_new(true).open(path)?)))
    }
    fn open(&self, path: &Path, writable: bool) -> io::Result<Box<dyn LogFile>> {
        Ok(Box::new(RealFile(OpenOptions::new().read(true).write(writable).open(path)?)))
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(dir)? {
            v.push(e?.file_name().to_string_lossy().into_owned());
        }
        v.sort();
        Ok(v)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
    fn lock_dir(&self, dir: &Path) -> io::Result<Box<dyn DirLock>> {
        let f = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dir.join("LOCK"))?;
        crate::util::sys::try_lock_exclusive(&f)?;
        Ok(Box::new(RealLock(f)))
    }
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new file, never a
/// mix: write a temporary file, fsync it, rename it over the target, fsync the directory.
pub fn durable_replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("keel-io-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_atomically() {
        let dir = temp_dir("replace");
        let p = dir.join("x.conf");
        durable_replace(&p, b"one").unwrap();
        durable_replace(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn real_files_by_position() {
        let dir = temp_dir("real");
        let fs = RealFs;
        let p = dir.join("a.seg");
        let mut f = fs.create(&p).unwrap();
        assert!(fs.create(&p).is_err(), "create refuses an existing file");
        write_all_at(f.as_mut(), 4, b"world").unwrap();
        write_all_at(f.as_mut(), 0, b"helo").unwrap();
        f.sync_data().unwrap();
        assert_eq!(read_all(f.as_ref()).unwrap(), b"heloworld");
        f.set_len(4).unwrap();
        assert_eq!(f.len_bytes().unwrap(), 4);
        fs.rename(&p, &dir.join("b.seg")).unwrap();
        fs.sync_dir(&dir).unwrap();
        assert_eq!(fs.list(&dir).unwrap(), vec!["b.seg".to_string()]);
        fs.remove(&dir.join("b.seg")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn directory_lock_is_exclusive() {
        let dir = temp_dir("lock");
        let held = RealFs.lock_dir(&dir).unwrap();
        let err = RealFs.lock_dir(&dir).err().expect("second lock refused");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        drop(held);
        let _again = RealFs.lock_dir(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
