//! `keel-crashsim`: the long run of the crash-recovery property. Runs seeded random write
//! histories through the real executor and log writer on the simulated disk, loses power at
//! a seeded step, recovers, and checks that every acknowledged write survived and nothing else
//! appeared (`keel::crashsim`). Prints the count and every failing seed; exits 1 on failure.
//!
//!     cargo run --release --bin keel-crashsim -- --seeds 100000

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "keel-crashsim", about = "Seeded crash-recovery checks on the simulated disk")]
struct Args {
    /// First seed; seeds run from here upwards.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many seeds (crash points) to run.
    #[arg(long, default_value_t = 100_000)]
    seeds: u64,
    /// Steps per history (the crash comes at a seeded step within it).
    #[arg(long, default_value_t = 40)]
    steps: usize,
}

fn main() {
    let a = Args::parse();
    // Each case recovers a log; its notices would drown the report.
    keel::util::log::set_level("warning");
    let started = std::time::Instant::now();
    let mut failed = Vec::new();
    for seed in a.seed..a.seed + a.seeds {
        let history = keel::crashsim::random_history(seed, a.steps);
        let crash_at = usize::try_from(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40).unwrap_or(0) % (a.steps + 1);
        if let Err(e) = keel::crashsim::check(seed, &history, crash_at) {
            println!("FAIL seed {seed} (crash at step {crash_at}): {e}");
            failed.push(seed);
        }
        let done = seed - a.seed + 1;
        if done % 10_000 == 0 {
            eprintln!("{done} crash points, {} failed, {:.0} s", failed.len(), started.elapsed().as_secs_f64());
        }
    }
    println!(
        "{} crash points checked in {:.0} s, {} failed{}",
        a.seeds,
        started.elapsed().as_secs_f64(),
        failed.len(),
        if failed.is_empty() { String::new() } else { format!(": seeds {failed:?}") }
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
