//! What the operator tools do, as a library: `aof-inspect` and `aof-repair` (in `tools/`) are
//! thin command lines over these functions, which read a data directory through the same
//! storage code the server uses, so the tools and the server never disagree about a file.
//!
//! Nothing here writes unless a function says so: inspection runs recovery with
//! `dry_run`, which lists the repairs it would make instead of making them.

pub mod inspect;
pub mod progress;
pub mod records;
pub mod repair;
pub mod restore;

use std::path::{Path, PathBuf};

/// The log directory of `dir`: `dir/log` when `dir` is a data directory, else `dir` itself.
pub fn log_dir(dir: &Path) -> PathBuf {
    let sub = dir.join("log");
    if sub.is_dir() {
        sub
    } else {
        dir.to_path_buf()
    }
}

/// A verdict on a directory, and the exit code scripts see (2 is clap's usage error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every checksum holds, segments are contiguous, snapshots match the log.
    Clean,
    /// Only an end that no record proves durable is bad: a start-up (or `aof-repair
    /// --apply`) truncates it, losing nothing that was acknowledged.
    Tail,
    /// Damage to data that was durable, a missing segment, a snapshot that is damaged or
    /// does not meet the log, a newer format: an operator must decide.
    Corrupt,
    /// The directory or a file could not be read.
    Io,
}

impl Verdict {
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Clean => 0,
            Verdict::Tail => 1,
            Verdict::Corrupt => 3,
            Verdict::Io => 4,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Tail => "repairable",
            Verdict::Corrupt => "corrupt",
            Verdict::Io => "error",
        }
    }
}

/// The text `--help` shows for the exit codes (both tools).
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0  clean: every checksum holds, segments are contiguous, snapshots match the log
  1  repairable: only an unsynced tail is bad (no record proves it durable); a server start
     or `aof-repair --apply DIR` truncates it and loses nothing acknowledged
  2  usage error (bad arguments)
  3  corruption that needs a decision: damaged durable data, a missing or foreign segment,
     a damaged snapshot or one the log does not meet, a format newer than this build
  4  I/O error: the directory or a file cannot be read";
