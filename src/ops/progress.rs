//! Progress for the operator tools on long reads: a file system wrapper that advances a bar by
//! each log or snapshot file's size the first time the tool opens it. Files are read whole
//! (or mapped and scanned) right after they are opened, so the bar moves a segment at a time.
//! The bar goes to stderr, and only when stderr is a terminal and the files total more than
//! `SHOW_FROM_BYTES`: piped or scripted runs print exactly what they print without it.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::storage::io::{DirLock, Fs, LogFile};

/// Below this a read takes well under a second on this machine (docs/performance.md).
pub const SHOW_FROM_BYTES: u64 = 256 << 20;

pub struct Reading<'a> {
    inner: &'a dyn Fs,
    /// Only files in it count (a restore also reads the directory it writes).
    log_dir: PathBuf,
    bar: Option<ProgressBar>,
    seen: Mutex<HashSet<PathBuf>>,
}

fn counted(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "seg" || e == "snap")
}

impl<'a> Reading<'a> {
    /// A wrapper over `inner` for reading the data directory `dir`; `what` names the work.
    pub fn new(inner: &'a dyn Fs, dir: &Path, what: &str) -> Self {
        let log_dir = super::log_dir(dir);
        let total: u64 = inner
            .list(&log_dir)
            .unwrap_or_default()
            .iter()
            .map(|n| log_dir.join(n))
            .filter(|p| counted(p))
            .filter_map(|p| inner.open(&p, false).and_then(|f| f.len_bytes()).ok())
            .sum();
        let bar = (total > SHOW_FROM_BYTES && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}, {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar.set_message(what.to_string());
            bar
        });
        Reading { inner, log_dir, bar, seen: Mutex::new(HashSet::new()) }
    }

    /// No bar (output that a bar would garble, as records listed to a terminal).
    pub fn off(inner: &'a dyn Fs) -> Self {
        Reading { inner, log_dir: PathBuf::new(), bar: None, seen: Mutex::new(HashSet::new()) }
    }

    /// Whether a bar is shown.
    pub fn shown(&self) -> bool {
        self.bar.is_some()
    }

    /// Removes the bar before the tool prints its result.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Fs for Reading<'_> {
    fn create_dir_all(&self, dir: &Path) -> std::io::Result<()> {
        self.inner.create_dir_all(dir)
    }
    fn create(&self, path: &Path) -> std::io::Result<Box<dyn LogFile>> {
        self.inner.create(path)
    }
    fn open(&self, path: &Path, writable: bool) -> std::io::Result<Box<dyn LogFile>> {
        let f = self.inner.open(path, writable)?;
        if let Some(bar) = &self.bar {
            let first =
                counted(path) && path.starts_with(&self.log_dir) && self.seen.lock().is_ok_and(|mut s| s.insert(path.to_path_buf()));
            if first {
                bar.inc(f.len_bytes().unwrap_or(0));
            }
        }
        Ok(f)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        self.inner.list(dir)
    }
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove(&self, path: &Path) -> std::io::Result<()> {
        self.inner.remove(path)
    }
    fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
        self.inner.sync_dir(dir)
    }
    fn lock_dir(&self, dir: &Path) -> std::io::Result<Box<dyn DirLock>> {
        self.inner.lock_dir(dir)
    }
}
