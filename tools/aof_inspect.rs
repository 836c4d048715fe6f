//! aof-inspect: reads a Keel data directory and reports on it; never changes anything.
//! A thin command line over `keel::ops` (see docs/operations.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};

use keel::ops::progress::Reading;
use keel::ops::{self, inspect, records, Verdict};
use keel::storage::io::{Fs, RealFs};

#[derive(Parser)]
#[command(name = "aof-inspect", version, about = "Inspect a Keel data directory (read-only)", after_help = ops::EXIT_CODES_HELP)]
struct Cli {
    /// Largest record payload to accept as valid (the server's `record-max-bytes`).
    #[arg(long, global = true, default_value_t = 1 << 30)]
    record_max_bytes: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check every snapshot and every record: CRCs, offsets, segment continuity, and that the
    /// newest snapshot meets the log. The verdict is the exit code; a one-line summary is last.
    #[command(after_help = ops::EXIT_CODES_HELP)]
    Verify {
        /// The data directory (or its `log` directory).
        dir: PathBuf,
    },
    /// One line per segment: offsets, records, bytes, first and last record time, status.
    #[command(after_help = ops::EXIT_CODES_HELP)]
    Segments {
        /// The data directory (or its `log` directory).
        dir: PathBuf,
    },
    /// One line per logged effect: offset, time, db, record size, command and keys.
    #[command(after_help = ops::EXIT_CODES_HELP)]
    Records {
        /// The data directory (or its `log` directory).
        dir: PathBuf,
        /// Only records at this log offset or later.
        #[arg(long)]
        from: Option<u64>,
        /// Only records before this log offset.
        #[arg(long)]
        to: Option<u64>,
        /// Only effects touching a key that matches this glob pattern (as KEYS takes).
        #[arg(long)]
        key: Option<String>,
        /// Only effects in this database.
        #[arg(long)]
        db: Option<u32>,
        /// Only effects of this command (any case).
        #[arg(long)]
        command: Option<String>,
        /// JSON lines instead of text, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// A snapshot file (or every snapshot of a directory): header, blocks, keys per database
    /// and per type, checked end to end (every checksum, every key decoded).
    #[command(after_help = ops::EXIT_CODES_HELP)]
    Snapshot {
        /// A `.snap` file, or a data directory (or its `log` directory).
        path: PathBuf,
    },
    /// Writes per command and per key prefix, and the biggest records.
    #[command(after_help = ops::EXIT_CODES_HELP)]
    Stats {
        /// The data directory (or its `log` directory).
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (dir, what) = match &cli.command {
        Command::Verify { dir } => (dir, "verify"),
        Command::Segments { dir } => (dir, "segments"),
        Command::Records { dir, .. } => (dir, "records"),
        Command::Stats { dir } => (dir, "stats"),
        Command::Snapshot { path } => (path, "snapshot"),
    };
    // A bar on stderr would garble records listed to the same terminal.
    let listing = matches!(cli.command, Command::Records { .. }) && std::io::stdout().is_terminal();
    let reading = if listing { Reading::off(&RealFs) } else { Reading::new(&RealFs, dir, what) };
    let fs: &dyn Fs = &reading;
    let code = run(cli.command, fs, cli.record_max_bytes, &reading);
    ExitCode::from(u8::try_from(code.exit_code()).unwrap_or(4))
}

fn run(command: Command, fs: &dyn Fs, record_max_bytes: u64, reading: &Reading<'_>) -> Verdict {
    match command {
        Command::Verify { dir } => {
            let v = inspect::verify(fs, &dir, record_max_bytes);
            reading.finish();
            for s in &v.snapshots {
                match &s.result {
                    Ok(sum) => println!("snapshot {}: ok, {} keys at log offset {}", s.name, sum.keys, sum.header.log_offset),
                    Err(why) => println!("snapshot {}: DAMAGED: {why}", s.name),
                }
            }
            if let Some(r) = &v.recovered {
                for seg in &r.segments {
                    println!("segment {}: ok up to byte {}", seg.path.display(), seg.end_pos);
                }
            }
            for p in &v.problems {
                println!("problem: {p}");
            }
            println!("{}", v.summary);
            v.verdict
        }
        Command::Segments { dir } => match inspect::segments(fs, &dir, record_max_bytes) {
            Ok(list) => {
                reading.finish();
                // The statuses are per file; the verdict on the log as a whole is `verify`'s.
                print!("{}", inspect::segments_table(&list));
                Verdict::Clean
            }
            Err(e) => read_failed(&dir, &e),
        },
        Command::Records { dir, from, to, key, db, command, json } => {
            let filter = records::Filter { from, to, key: key.map(String::into_bytes), db, command };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if !json {
                let _ = writeln!(out, "{}", records::LINE_HEADER);
            }
            let r = records::records(fs, &dir, record_max_bytes, &filter, &mut |l| {
                let _ = writeln!(out, "{}", if json { records::line_json(l) } else { records::line_text(l) });
            });
            reading.finish();
            match r {
                Ok(()) => Verdict::Clean,
                Err(e) => read_failed(&dir, &e),
            }
        }
        Command::Snapshot { path } => {
            let files = if path.is_dir() {
                let log = ops::log_dir(&path);
                match keel::storage::compactor::list_snapshots(fs, &log) {
                    Ok(list) => list.into_iter().map(|(_, _, n)| log.join(n)).collect(),
                    Err(e) => return read_failed(&path, &e),
                }
            } else {
                vec![path.clone()]
            };
            if files.is_empty() {
                println!("no snapshot in {}", ops::log_dir(&path).display());
            }
            let mut verdict = Verdict::Clean;
            let reports: Vec<_> = files.iter().map(|f| (f, inspect::snapshot_report(fs, f))).collect();
            reading.finish();
            for (f, report) in reports {
                let name = f.file_name().map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into_owned());
                match report {
                    Ok(r) => print!("{}", inspect::snapshot_text(&name, &r)),
                    // `snapshot::open` says "cannot open/read" for I/O; anything else is damage.
                    Err(why) if why.starts_with("cannot ") => {
                        println!("snapshot {name}: error: {why}");
                        verdict = verdict.max(Verdict::Io);
                    }
                    Err(why) => {
                        println!("snapshot {name}: DAMAGED: {why}");
                        verdict = verdict.max(Verdict::Corrupt);
                    }
                }
            }
            verdict
        }
        Command::Stats { dir } => match records::stats(fs, &dir, record_max_bytes) {
            Ok(st) => {
                reading.finish();
                print!("{}", records::stats_text(&st));
                Verdict::Clean
            }
            Err(e) => read_failed(&dir, &e),
        },
    }
}

fn read_failed(dir: &std::path::Path, e: &std::io::Error) -> Verdict {
    eprintln!("aof-inspect: cannot read {}: {e}", ops::log_dir(dir).display());
    Verdict::Io
}
