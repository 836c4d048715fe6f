//! A short pass of the differential checker (tools/compat.rs) in every test run: seeded
//! random command sequences, identical replies from Keel and redis-server 7.0.15.

#[test]
fn random_sequences_match_redis() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keel-compat"))
        .args(["--seed", "1000", "--runs", "8", "--commands", "2500"])
        .output()
        .expect("run keel-compat");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "keel-compat found a difference:\n{stdout}\n{stderr}");
    assert!(stdout.contains("replies identical"), "{stdout}");
}
