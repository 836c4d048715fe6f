//! `keel-server`: parse the command line, load the configuration, run the server.

use std::path::PathBuf;

use clap::Parser;

/// A Redis-compatible, durable in-memory data-structure server.
///
/// Any redis.conf directive can also be given as `--name value...`, after an optional config
/// file: `keel-server /etc/keel.conf --port 7000 --appendfsync everysec`. Options given on
/// the command line win over the file.
#[derive(Parser, Debug)]
#[command(name = "keel-server", version, about, long_about = None)]
struct Cli {
    /// redis.conf-style file: one `directive value...` per line.
    #[arg(value_name = "CONFIG_FILE")]
    file: Option<PathBuf>,
    /// Config file (same as the positional argument).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// TCP port to listen on.
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// Addresses to listen on (space separated; a leading '-' marks an optional one).
    #[arg(long, default_value = "127.0.0.1", num_args = 1..)]
    bind: Vec<String>,
    /// Data directory.
    #[arg(long, default_value = "./keel-data")]
    dir: PathBuf,
    /// Number of databases.
    #[arg(long, default_value_t = 16)]
    databases: u32,
    /// debug, verbose, notice or warning.
    #[arg(long, default_value = "notice")]
    loglevel: String,
}

/// The flags clap knows; every other `--name` is a config directive.
const CLAP_FLAGS: [&str; 8] = ["config", "port", "bind", "dir", "databases", "loglevel", "help", "version"];

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let (file, mut directives) = match keel::config::split_command_line(&raw) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("keel-server: {e}");
            std::process::exit(2);
        }
    };
    // Let clap parse (and document, and type-check) its own flags; the rest are directives.
    let mut clap_args = vec!["keel-server".to_string()];
    clap_args.extend(file.iter().map(|f| f.display().to_string()));
    let mut rest = Vec::new();
    for (name, vals) in directives.drain(..) {
        if CLAP_FLAGS.contains(&name.as_str()) {
            clap_args.push(format!("--{name}"));
            clap_args.extend(vals);
        } else {
            rest.push((name, vals));
        }
    }
    let cli = Cli::parse_from(&clap_args);
    let given = |flag: &str| raw.iter().any(|a| a == &format!("--{flag}"));
    let mut cli_directives = Vec::new();
    for (flag, value) in [
        ("port", vec![cli.port.to_string()]),
        ("bind", cli.bind.clone()),
        ("dir", vec![cli.dir.display().to_string()]),
        ("databases", vec![cli.databases.to_string()]),
        ("loglevel", vec![cli.loglevel.clone()]),
    ] {
        if given(flag) {
            cli_directives.push((flag.to_string(), value));
        }
    }
    cli_directives.extend(rest);
    let file = cli.config.or(cli.file);
    let config = match keel::config::Config::load(file.as_deref(), &cli_directives) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    keel::util::log::set_level(&config.loglevel);
    if let Err(e) = keel::util::log::set_file(&config.logfile) {
        eprintln!("Can't open the log file {}: {e}", config.logfile);
        std::process::exit(1);
    }
    match keel::server::run(config) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            keel::log_warning!("{e}");
            std::process::exit(1);
        }
    }
}
