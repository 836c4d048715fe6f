//! aof-repair: shows what a repair of a Keel data directory would remove (the default) and,
//! with `--apply`, removes it after backing every removed byte up. A thin command line over
//! `keel::ops::repair` (see docs/operations.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keel::ops::progress::Reading;
use keel::ops::repair::{self, Fix, Plan};
use keel::ops::restore::{self, Target};
use keel::ops::{self, inspect, Verdict};
use keel::storage::io::RealFs;

const AFTER_HELP: &str = "Without --apply nothing is changed: the plan is printed and the exit code says what it found.
With --apply an unsynced tail is cut as a server start would cut it; damage to durable data is
repaired only with --truncate-at-corruption or --skip-corrupt-record too. Every removed byte is first copied to the backup
directory (default: DIR's data directory, repair-backup-<unix ms>/), and the directory's lock is
taken first: a running server holds it, and the repair refuses.

";

#[derive(Parser)]
#[command(name = "aof-repair", version, about = "Repair a Keel data directory's log (prints the plan unless --apply)")]
#[command(after_help = format!("{AFTER_HELP}{}", ops::EXIT_CODES_HELP))]
#[command(subcommand_negates_reqs = true, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    restore: Option<Restore>,
    /// Make the repair (after a backup); without it only the plan is printed.
    #[arg(long)]
    apply: bool,
    /// Print the plan and change nothing (the default; for scripts that want to say so).
    #[arg(long, conflicts_with = "apply")]
    dry_run: bool,
    /// With --apply: cut the log just before damaged durable data, losing everything after it
    /// (the plan shows what: records, offsets, time span, keys).
    #[arg(long, conflicts_with = "skip_corrupt_record")]
    truncate_at_corruption: bool,
    /// With --apply: overwrite damaged durable data, up to the next valid record, with one
    /// skip record of the same length, keeping every record after it.
    #[arg(long)]
    skip_corrupt_record: bool,
    /// Where removed bytes are copied before anything is cut.
    #[arg(long)]
    backup_dir: Option<PathBuf>,
    /// Largest record payload to accept as valid (the server's `record-max-bytes`).
    #[arg(long, default_value_t = 1 << 30)]
    record_max_bytes: u64,
    /// The data directory (or its `log` directory).
    #[arg(required = true)]
    dir: Option<PathBuf>,
}

const RESTORE_HELP: &str = "Builds OUT, a new data directory holding DIR's state as of the target, from the snapshots and
segments DIR retains (the server's log-retention-hours and log-retention-bytes keep more of
them). DIR is only read: it may be a running server's. Start a server on OUT to read the past:
  keel-server --dir OUT --port 6380

--to-offset N: every record that ends at or before log offset N (offsets are what
  `aof-inspect records DIR` prints; to leave out the record at offset N, give N).
--to-time T: every record up to the first one stamped later than T. T is Unix seconds
  (1763596800 or 1763596800.250) or RFC 3339 (2025-11-20T00:00:00Z, 2025-11-20T01:00:00+01:00).

Exit codes:
  0  restored: OUT holds the state and a dry recovery of it passed
  2  usage error, a target outside what DIR retains, or an OUT that is not new or empty
  3  DIR's log is damaged before the target (restore to an offset before the damage, or repair)
  4  I/O error";

#[derive(Subcommand)]
enum Restore {
    /// Build a new data directory holding the state as of a log offset or a time.
    #[command(after_help = RESTORE_HELP)]
    Restore {
        /// The log offset to restore to.
        #[arg(long, value_name = "N", conflicts_with = "to_time", required_unless_present = "to_time")]
        to_offset: Option<u64>,
        /// The time to restore to: Unix seconds or RFC 3339.
        #[arg(long, value_name = "T", value_parser = parse_time)]
        to_time: Option<u64>,
        /// The new data directory (must not exist, or be empty).
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
        /// Largest record payload to accept as valid (the server's `record-max-bytes`).
        #[arg(long, default_value_t = 1 << 30)]
        record_max_bytes: u64,
        /// The data directory to restore from (or its `log` directory).
        dir: PathBuf,
    },
}

fn parse_time(s: &str) -> Result<u64, String> {
    let ms = keel::util::log::parse_time(s)?;
    u64::try_from(ms).map_err(|_| format!("'{s}' is before 1970"))
}

fn run_restore(r: Restore) -> ExitCode {
    let Restore::Restore { to_offset, to_time, out, record_max_bytes, dir } = r;
    let target = match (to_offset, to_time) {
        (Some(n), _) => Target::Offset(n),
        (None, Some(t)) => Target::Time(t),
        (None, None) => unreachable!("clap requires one"),
    };
    let reading = Reading::new(&RealFs, &dir, "restore");
    let result = restore::restore(&reading, &dir, target, &out, record_max_bytes);
    reading.finish();
    match result {
        Ok(r) => {
            print!("{}", restore::restored_text(&r, target));
            ExitCode::SUCCESS
        }
        Err((code, why)) => {
            eprintln!("aof-repair restore: {why}");
            ExitCode::from(u8::try_from(code).unwrap_or(4))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(r) = cli.restore {
        return run_restore(r);
    }
    let Some(dir) = cli.dir else { unreachable!("clap requires DIR") };
    let fs = RealFs;
    let reading = Reading::new(&fs, &dir, "reading the log");
    let (v, plan) = repair::plan(&reading, &dir, cli.record_max_bytes);
    reading.finish();
    print!("{}", repair::plan_text(&plan));
    let code = match (&plan, cli.apply) {
        (Plan::Nothing, _) => Verdict::Clean,
        (_, false) | (Plan::Unrepairable(_), true) => v.verdict,
        (Plan::Corruption { .. }, true) if !cli.truncate_at_corruption && !cli.skip_corrupt_record => {
            println!("refusing: damaged durable data needs --truncate-at-corruption or --skip-corrupt-record as well as --apply");
            v.verdict
        }
        (_, true) => {
            let data_dir = v.log_dir.parent().map_or_else(|| v.log_dir.clone(), |p| p.to_path_buf());
            let backup = cli.backup_dir.clone().unwrap_or_else(|| data_dir.join(format!("repair-backup-{}", keel::executor::unix_ms())));
            let fix = if cli.truncate_at_corruption {
                Fix::TruncateAtCorruption
            } else if cli.skip_corrupt_record {
                Fix::SkipCorruptRecord
            } else {
                Fix::TailOnly
            };
            match repair::apply(&fs, &v, &plan, fix, &backup, cli.record_max_bytes) {
                Ok(saved) => {
                    for s in &saved {
                        println!("backed up: {}", s.display());
                    }
                    let after = inspect::verify(&fs, &dir, cli.record_max_bytes);
                    println!("after the repair: {}", after.summary);
                    after.verdict
                }
                Err((verdict, why)) => {
                    println!("repair refused or failed: {why}");
                    verdict
                }
            }
        }
    };
    ExitCode::from(u8::try_from(code.exit_code()).unwrap_or(4))
}
