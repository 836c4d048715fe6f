//! Runs every case file in tests/cases against Keel and against the reference redis-server
//! 7.0.15: each expectation there is Redis's behaviour, and Keel must match it exactly.

use std::path::{Path, PathBuf};

use crate::common::{Reference, Server};
use keel::testkit::{parse_cases, run_cases, Client};

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "cases")).collect();
    v.sort();
    v
}

fn run_file(file: &Path, port: u16) -> Vec<String> {
    let cases = parse_cases(&std::fs::read_to_string(file).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut c = Client::connect(port).unwrap();
    c.call(&["RESET"]).unwrap();
    c.call(&["FLUSHALL"]).unwrap();
    run_cases(&cases, &mut c)
}

#[test]
fn case_files_match_redis_and_keel() {
    let files = case_files();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // Fresh servers per file: files may change configuration.
        let reference = Reference::start_with(&["--enable-debug-command", "yes"]);
        for f in run_file(file, reference.port) {
            failures.push(format!("{name} [redis] {f}"));
        }
        let keel = Server::start();
        for f in run_file(file, keel.port) {
            failures.push(format!("{name} [keel] {f}"));
        }
    }
    assert!(failures.is_empty(), "{} failed expectations:\n{}", failures.len(), failures.join("\n"));
}
