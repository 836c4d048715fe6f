//! aof-inspect: reads a Keel data directory and reports on it; never changes anything.
//! A thin command line over `keel::ops` (see docs/operations.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keel::ops::{self, inspect, Verdict};
use keel::storage::io::RealFs;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let fs = RealFs;
    let code = match cli.command {
        Command::Verify { dir } => {
            let v = inspect::verify(&fs, &dir, cli.record_max_bytes);
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
        Command::Segments { dir } => match inspect::segments(&fs, &dir, cli.record_max_bytes) {
            Ok(list) => {
                // The statuses are per file; the verdict on the log as a whole is `verify`'s.
                print!("{}", inspect::segments_table(&list));
                Verdict::Clean
            }
            Err(e) => {
                eprintln!("aof-inspect: cannot read {}: {e}", ops::log_dir(&dir).display());
                Verdict::Io
            }
        },
    };
    ExitCode::from(u8::try_from(code.exit_code()).unwrap_or(4))
}
