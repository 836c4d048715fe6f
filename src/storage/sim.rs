//! `SimFs`: an in-memory file system that behaves like a disk at its worst, for tests.
//!
//! - **Crash** (`crash`): what was synced survives. Each 4 KiB page written since the last
//!   `sync_data` independently survives whole, is lost, or is torn at a random byte, as after
//!   a power loss. Directory changes (create, rename, remove) survive only if `sync_dir` ran.
//!   Locks are released (the process died).
//! - **Failed fsync** (`Faults::fail_sync_after`): `sync_data` returns EIO, and, as Linux does,
//!   the pages it failed to write are then considered clean: a later `sync_data` returns Ok
//!   without making them durable. Code that retries an fsync is caught losing data.
//! - **Full disk** (`Faults::space_bytes`): a write that would grow the files past the limit
//!   writes what fits, then fails with ENOSPC until space is freed or the limit raised.
//! - **Short writes** (`Faults::short_writes`): `write_at` may write any non-empty prefix.
//!
//! Every random choice comes from the seed given to `new`, so a failing case replays exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::io::{DirLock, Fs, LogFile};

const PAGE_BYTES: usize = 4096;

/// Faults to inject; change them at any time with `SimFs::set_faults`.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// `Some(n)`: the (n+1)-th `sync_data` from now fails with EIO (then the count is spent).
    pub fail_sync_after: Option<u64>,
    /// Total bytes the files may hold; growing past it fails with ENOSPC.
    pub space_bytes: Option<u64>,
    /// `write_at` writes a random non-empty prefix of its buffer.
    pub short_writes: bool,
    /// `sync_data` waits while this is set: a slow disk, to hold writes unreleased.
    pub stall_syncs: bool,
    /// `crash` also flips one random bit in the unsynced tail of each file that keeps some
    /// of it: a sector that reached the disk garbled.
    pub crash_flips_bits: bool,
    /// `Some(n)`: the power goes out after `n` more changing operations (writes, syncs,
    /// creates, renames, removes, directory syncs): from then on every one fails with EIO
    /// and changes nothing, until `crash`. Lets a test cut a protocol at every step.
    pub power_cut_after_ops: Option<u64>,
}

#[derive(Debug, Default)]
struct Inode {
    data: Vec<u8>,
    synced: Vec<u8>,
    /// Pages an EIO'd fsync dropped: never made durable by a later sync.
    poisoned_pages: BTreeSet<usize>,
}

#[derive(Debug)]
struct State {
    rng: u64,
    inodes: Vec<Inode>,
    names: BTreeMap<PathBuf, usize>,
    durable_names: BTreeMap<PathBuf, usize>,
    dirs: BTreeSet<PathBuf>,
    locks: BTreeSet<PathBuf>,
    faults: Faults,
    syncs: u64,
    /// Bumped by `crash`: handles opened before it fail, as the process that held them died.
    generation: u64,
    /// The power is out (`Faults::power_cut_after_ops` ran down).
    cut: bool,
}

impl State {
    fn rand(&mut self) -> u64 {
        // xorshift64*: small, seedable, good enough to pick pages.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn used_bytes(&self) -> u64 {
        self.names.values().collect::<BTreeSet<_>>().iter().map(|&&i| self.inodes[i].data.len() as u64).sum()
    }

    /// Every changing operation passes here first: it fails once the power is cut.
    fn change(&mut self) -> io::Result<()> {
        if let Some(n) = self.faults.power_cut_after_ops {
            if n == 0 {
                self.cut = true;
                self.faults.power_cut_after_ops = None;
            } else {
                self.faults.power_cut_after_ops = Some(n - 1);
            }
        }
        if self.cut {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        Ok(())
    }

    fn inode_of(&self, path: &Path) -> io::Result<usize> {
        self.names.get(path).copied().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{} not found", path.display())))
    }

    fn check_dir(&self, path: &Path) -> io::Result<()> {
        let parent = path.parent().unwrap_or(Path::new(""));
        if parent.as_os_str().is_empty() || self.dirs.contains(parent) {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::NotFound, format!("no directory {}", parent.display())))
        }
    }
}

/// Pages where `data` differs from `synced` (including growth and shrinkage).
fn dirty_pages(ino: &Inode) -> Vec<usize> {
    let len = ino.data.len().max(ino.synced.len());
    (0..len.div_ceil(PAGE_BYTES))
        .filter(|&p| {
            let r = p * PAGE_BYTES..((p + 1) * PAGE_BYTES).min(len);
            ino.data.get(r.clone()) != ino.synced.get(r.clone()) || ino.data.len().min(r.end) != ino.synced.len().min(r.end)
        })
        .collect()
}

#[derive(Clone)]
pub struct SimFs {
    state: Arc<Mutex<State>>,
}

impl SimFs {
    pub fn new(seed: u64) -> Self {
        let state = State {
            rng: seed | 1,
            inodes: Vec::new(),
            names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            dirs: BTreeSet::new(),
            locks: BTreeSet::new(),
            faults: Faults::default(),
            syncs: 0,
            generation: 0,
            cut: false,
        };
        Self { state: Arc::new(Mutex::new(state)) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Successful `sync_data` calls so far.
    pub fn syncs(&self) -> u64 {
        self.lock().syncs
    }

    /// Simulates a power loss and restart; open handles must not be used afterwards.
    pub fn crash(&self) {
        let mut st = self.lock();
        st.generation += 1;
        st.cut = false;
        let durable = st.durable_names.clone();
        st.names = durable;
        st.locks.clear();
        for i in 0..st.inodes.len() {
            let pages = dirty_pages(&st.inodes[i]);
            let mut out = st.inodes[i].synced.clone();
            // Unsynced byte ranges that made it to the disk.
            let mut kept: Vec<std::ops::Range<usize>> = Vec::new();
            for p in pages {
                let start = p * PAGE_BYTES;
                let fate = st.rand() % 3;
                let ino = &st.inodes[i];
                if fate == 0 || ino.poisoned_pages.contains(&p) {
                    continue; // lost
                }
                let end = ((p + 1) * PAGE_BYTES).min(ino.data.len());
                if start >= end {
                    continue;
                }
                let keep_to = if fate == 1 { end } else { start + (st.rand() as usize) % (end - start) };
                let ino = &st.inodes[i];
                if out.len() < keep_to {
                    out.resize(keep_to, 0);
                }
                out[start..keep_to].copy_from_slice(&ino.data[start..keep_to]);
                // From the first byte that differs from the synced copy: a page may begin
                // with synced bytes, which a flip must not touch.
                if let Some(lo) = (start..keep_to).find(|&j| ino.synced.get(j) != Some(&ino.data[j])) {
                    kept.push(lo..keep_to);
                }
            }
            if st.faults.crash_flips_bits && !kept.is_empty() {
                let r = kept[(st.rand() as usize) % kept.len()].clone();
                let at = r.start + (st.rand() as usize) % r.len();
                out[at] ^= 1 << (st.rand() % 8);
            }
            let ino = &mut st.inodes[i];
            ino.data = out.clone();
            ino.synced = out;
            ino.poisoned_pages.clear();
        }
    }

    /// Whether the power is out (see `Faults::power_cut_after_ops`).
    pub fn is_cut(&self) -> bool {
        self.lock().cut
    }

    /// Bytes the files hold now (what `Faults::space_bytes` is compared with).
    pub fn used_bytes(&self) -> u64 {
        self.lock().used_bytes()
    }

    /// The current bytes of a file (what a reader would see now).
    pub fn contents(&self, path: &Path) -> io::Result<Vec<u8>> {
        let st = self.lock();
        let i = st.inode_of(path)?;
        Ok(st.inodes[i].data.clone())
    }

    /// Flips one bit of a file, durably: damage on the medium.
    pub fn flip_bit(&self, path: &Path, byte: usize, bit: u8) -> io::Result<()> {
        let mut st = self.lock();
        let i = st.inode_of(path)?;
        let ino = &mut st.inodes[i];
        let b = ino.data.get_mut(byte).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "byte past the end"))?;
        *b ^= 1 << (bit % 8);
        if let Some(s) = ino.synced.get_mut(byte) {
            *s ^= 1 << (bit % 8);
        }
        Ok(())
    }
}

struct SimFile {
    fs: SimFs,
    inode: usize,
    writable: bool,
    generation: u64,
}

impl SimFile {
    /// The state, unless this handle belongs to a process that has since crashed.
    fn live(&self) -> io::Result<MutexGuard<'_, State>> {
        let st = self.fs.lock();
        if st.generation != self.generation {
            return Err(io::Error::other("simulated crash: handle from before the crash"));
        }
        Ok(st)
    }
}

impl LogFile for SimFile {
    fn write_at(&self, pos: u64, buf: &[u8]) -> io::Result<usize> {
        if !self.writable {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "file opened read-only"));
        }
        let mut st = self.live()?;
        st.change()?;
        let pos = usize::try_from(pos).map_err(|_| io::Error::other("offset too large"))?;
        let mut n = buf.len();
        if st.faults.short_writes && n > 1 {
            n = 1 + (st.rand() as usize) % n;
        }
        let growth = (pos + n).saturating_sub(st.inodes[self.inode].data.len()) as u64;
        if let Some(space) = st.faults.space_bytes {
            let free = space.saturating_sub(st.used_bytes());
            if growth > free {
                let fits = n - usize::try_from(growth - free).unwrap_or(n).min(n);
                if fits == 0 {
                    return Err(io::Error::from_raw_os_error(libc::ENOSPC));
                }
                n = fits;
            }
        }
        let ino = &mut st.inodes[self.inode];
        if ino.data.len() < pos + n {
            ino.data.resize(pos + n, 0);
        }
        ino.data[pos..pos + n].copy_from_slice(&buf[..n]);
        Ok(n)
    }

    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        let st = self.live()?;
        let data = &st.inodes[self.inode].data;
        let pos = usize::try_from(pos).unwrap_or(usize::MAX);
        if pos >= data.len() {
            return Ok(0);
        }
        let n = buf.len().min(data.len() - pos);
        buf[..n].copy_from_slice(&data[pos..pos + n]);
        Ok(n)
    }

    fn sync_data(&self) -> io::Result<()> {
        while self.live()?.faults.stall_syncs {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let mut st = self.live()?;
        st.change()?;
        if let Some(n) = st.faults.fail_sync_after {
            if n == 0 {
                st.faults.fail_sync_after = None;
                let pages = dirty_pages(&st.inodes[self.inode]);
                st.inodes[self.inode].poisoned_pages.extend(pages);
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            st.faults.fail_sync_after = Some(n - 1);
        }
        st.syncs += 1;
        let ino = &mut st.inodes[self.inode];
        let mut synced = ino.data.clone();
        for &p in &ino.poisoned_pages {
            // The kernel marked these clean after the failed sync: the disk keeps old bytes.
            let r = p * PAGE_BYTES..((p + 1) * PAGE_BYTES).min(synced.len());
            for i in r {
                synced[i] = ino.synced.get(i).copied().unwrap_or(0);
            }
        }
        ino.synced = synced;
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut st = self.live()?;
        st.change()?;
        let len = usize::try_from(len).map_err(|_| io::Error::other("length too large"))?;
        st.inodes[self.inode].data.resize(len, 0);
        Ok(())
    }

    fn allocate(&self, len: u64) -> io::Result<()> {
        let mut st = self.live()?;
        st.change()?;
        let len = usize::try_from(len).map_err(|_| io::Error::other("length too large"))?;
        let growth = len.saturating_sub(st.inodes[self.inode].data.len()) as u64;
        if st.faults.space_bytes.is_some_and(|space| growth > space.saturating_sub(st.used_bytes())) {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        // Zeros, unsynced like any write: after a crash the file may be shorter again.
        let data = &mut st.inodes[self.inode].data;
        if data.len() < len {
            data.resize(len, 0);
        }
        Ok(())
    }

    fn len_bytes(&self) -> io::Result<u64> {
        Ok(self.live()?.inodes[self.inode].data.len() as u64)
    }
}

struct SimLock {
    fs: SimFs,
    dir: PathBuf,
}

impl DirLock for SimLock {}

impl Drop for SimLock {
    fn drop(&mut self) {
        self.fs.lock().locks.remove(&self.dir);
    }
}

impl Fs for SimFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.lock();
        for a in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
            st.dirs.insert(a.to_path_buf());
        }
        Ok(())
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        let mut st = self.lock();
        st.change()?;
        st.check_dir(path)?;
        if st.names.contains_key(path) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} exists", path.display())));
        }
        st.inodes.push(Inode::default());
        let inode = st.inodes.len() - 1;
        st.names.insert(path.to_path_buf(), inode);
        Ok(Box::new(SimFile { fs: self.clone(), inode, writable: true, generation: st.generation }))
    }

    fn open(&self, path: &Path, writable: bool) -> io::Result<Box<dyn LogFile>> {
        let st = self.lock();
        let inode = st.inode_of(path)?;
        Ok(Box::new(SimFile { fs: self.clone(), inode, writable, generation: st.generation }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let st = self.lock();
        if !st.dirs.contains(dir) {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("no directory {}", dir.display())));
        }
        let mut v: Vec<String> = st
            .names
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        v.sort();
        Ok(v)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.lock();
        st.change()?;
        st.check_dir(to)?;
        let inode = st.inode_of(from)?;
        st.names.remove(from);
        st.names.insert(to.to_path_buf(), inode);
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut st = self.lock();
        st.change()?;
        st.inode_of(path)?;
        st.names.remove(path);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.lock();
        st.change()?;
        let in_dir = |p: &PathBuf| p.parent() == Some(dir);
        st.durable_names.retain(|p, _| !in_dir(p));
        let current: Vec<(PathBuf, usize)> = st.names.iter().filter(|(p, _)| in_dir(p)).map(|(p, &i)| (p.clone(), i)).collect();
        st.durable_names.extend(current);
        Ok(())
    }

    fn lock_dir(&self, dir: &Path) -> io::Result<Box<dyn DirLock>> {
        let mut st = self.lock();
        if !st.locks.insert(dir.to_path_buf()) {
            return Err(io::Error::new(io::ErrorKind::WouldBlock, format!("{} is locked by another process", dir.display())));
        }
        Ok(Box::new(SimLock { fs: self.clone(), dir: dir.to_path_buf() }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::io::{read_all, write_all_at};
    use super::*;

    fn setup(seed: u64) -> (SimFs, PathBuf) {
        let fs = SimFs::new(seed);
        let dir = PathBuf::from("/d");
        fs.create_dir_all(&dir).unwrap();
        (fs, dir)
    }

    #[test]
    fn synced_bytes_survive_and_unsynced_pages_may_not() {
        let mut outcomes = BTreeSet::new();
        for seed in 0..64 {
            let (fs, dir) = setup(seed);
            let p = dir.join("f");
            let mut f = fs.create(&p).unwrap();
            fs.sync_dir(&dir).unwrap();
            write_all_at(f.as_mut(), 0, &[1; 5000]).unwrap();
            f.sync_data().unwrap();
            write_all_at(f.as_mut(), 5000, &[2; 9000]).unwrap();
            fs.crash();
            let got = fs.contents(&p).unwrap();
            assert!(got.len() >= 5000 && got[..5000].iter().all(|&b| b == 1), "seed {seed}: synced prefix damaged");
            assert!(got[5000..].iter().all(|&b| b == 2 || b == 0), "seed {seed}: bytes never written appeared");
            outcomes.insert(got.len());
        }
        assert!(outcomes.len() > 3, "crashes should keep different amounts of the unsynced tail: {outcomes:?}");
    }

    #[test]
    fn crash_bit_flips_land_only_in_the_unsynced_tail() {
        let mut flipped = 0;
        for seed in 0..64 {
            let (fs, dir) = setup(seed);
            let p = dir.join("f");
            let f = fs.create(&p).unwrap();
            fs.sync_dir(&dir).unwrap();
            f.allocate(20_000).unwrap();
            write_all_at(f.as_ref(), 0, &[1; 5000]).unwrap();
            f.sync_data().unwrap();
            write_all_at(f.as_ref(), 5000, &[2; 9000]).unwrap();
            fs.set_faults(Faults { crash_flips_bits: true, ..Faults::default() });
            fs.crash();
            let got = fs.contents(&p).unwrap();
            assert!(got[..5000].iter().all(|&b| b == 1), "seed {seed}: synced prefix damaged");
            let odd = got[5000..].iter().filter(|&&b| b != 2 && b != 0).count();
            assert!(odd <= 1, "seed {seed}: one flip at most");
            flipped += odd;
        }
        assert!(flipped > 20, "flips happen when some of the tail was kept: {flipped} of 64");
    }

    #[test]
    fn directory_changes_need_sync_dir() {
        let (fs, dir) = setup(1);
        fs.create(&dir.join("a")).unwrap();
        fs.sync_dir(&dir).unwrap();
        fs.create(&dir.join("b")).unwrap();
        fs.rename(&dir.join("a"), &dir.join("c")).unwrap();
        assert_eq!(fs.list(&dir).unwrap(), ["b", "c"]);
        fs.crash();
        assert_eq!(fs.list(&dir).unwrap(), ["a"]);
    }

    #[test]
    fn failed_fsync_is_not_fixed_by_retrying() {
        let (fs, dir) = setup(7);
        let p = dir.join("f");
        let mut f = fs.create(&p).unwrap();
        fs.sync_dir(&dir).unwrap();
        write_all_at(f.as_mut(), 0, b"acknowledged?").unwrap();
        fs.set_faults(Faults { fail_sync_after: Some(0), ..Faults::default() });
        assert_eq!(f.sync_data().unwrap_err().raw_os_error(), Some(libc::EIO));
        f.sync_data().expect("the retry 'succeeds', as on Linux");
        assert_eq!(read_all(f.as_ref()).unwrap(), b"acknowledged?", "still readable from the cache");
        fs.crash();
        assert!(fs.contents(&p).unwrap().iter().all(|&b| b == 0), "but never reached the disk");
    }

    #[test]
    fn full_disk_then_space_returns() {
        let (fs, dir) = setup(3);
        let mut f = fs.create(&dir.join("f")).unwrap();
        fs.set_faults(Faults { space_bytes: Some(10), ..Faults::default() });
        assert_eq!(f.write_at(0, &[9; 16]).unwrap(), 10, "what fits is written");
        assert_eq!(f.write_at(10, &[9; 6]).unwrap_err().raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(f.write_at(0, &[8; 10]).unwrap(), 10, "overwriting needs no space");
        fs.set_faults(Faults::default());
        write_all_at(f.as_mut(), 10, &[7; 6]).unwrap();
        assert_eq!(f.len_bytes().unwrap(), 16);
    }

    #[test]
    fn short_writes_are_completed_by_write_all() {
        let (fs, dir) = setup(5);
        let mut f = fs.create(&dir.join("f")).unwrap();
        fs.set_faults(Faults { short_writes: true, ..Faults::default() });
        let data: Vec<u8> = (0..=255).cycle().take(10_000).collect();
        assert!(f.write_at(0, &data).unwrap() <= data.len());
        write_all_at(f.as_mut(), 0, &data).unwrap();
        assert_eq!(read_all(f.as_ref()).unwrap(), data);
    }

    #[test]
    fn locks_are_exclusive_until_dropped_or_crash() {
        let (fs, dir) = setup(9);
        let l = fs.lock_dir(&dir).unwrap();
        assert_eq!(fs.lock_dir(&dir).err().map(|e| e.kind()), Some(io::ErrorKind::WouldBlock));
        drop(l);
        let _l2 = fs.lock_dir(&dir).unwrap();
        fs.crash();
        let _l3 = fs.lock_dir(&dir).expect("a crash releases locks");
    }
}
