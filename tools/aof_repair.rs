//! aof-repair: shows what a repair of a Keel data directory would remove (the default) and,
//! with `--apply`, removes it after backing every removed byte up. A thin command line over
//! `keel::ops::repair` (see docs/operations.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use keel::ops::repair::{self, Fix, Plan};
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
struct Cli {
    /// Make the repair (after a backup); without it only the plan is printed.
    #[arg(long)]
    apply: bool,
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
    dir: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let fs = RealFs;
    let (v, plan) = repair::plan(&fs, &cli.dir, cli.record_max_bytes);
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
                    let after = inspect::verify(&fs, &cli.dir, cli.record_max_bytes);
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
