//! Crash recovery as a property: random write histories run through the real executor and
//! log writer on `SimFs`, a power loss at a random moment (each unsynced page kept, lost or
//! torn independently), recovery on a fresh executor. The recovered state must equal the state
//! after some prefix of the history that contains every acknowledged write — so nothing
//! acknowledged is lost, nothing never attempted appears, and no MULTI is half-applied.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keel::commands::debug::dataset_digest;
use keel::config::Config;
use keel::executor::Server;
use keel::protocol::{Out, OwnedArgs};
use keel::server::durability;
use keel::storage::sim::SimFs;
use proptest::prelude::*;

const KEYS: [&str; 4] = ["a", "b", "c", "d"];

/// One step of a history: a command (or a MULTI block) and whether to wait for its reply.
#[derive(Debug, Clone)]
struct Step {
    commands: Vec<Vec<String>>,
    wait_for_ack: bool,
}

fn command(kind: u8, k: usize, v: u16) -> Vec<String> {
    let key = KEYS[k % KEYS.len()].to_string();
    let other = KEYS[(k + 1) % KEYS.len()].to_string();
    let v = v.to_string();
    let words: Vec<&str> = match kind % 16 {
        0 => vec!["SET", &key, &v],
        1 => vec!["SET", &key, &v, "EX", "100000"],
        2 => vec!["INCR", &key],
        3 => vec!["APPEND", &key, &v],
        4 => vec!["DEL", &key],
        5 => vec!["INCRBYFLOAT", &key, "1.5"],
        6 => vec!["SETRANGE", &key, "3", &v],
        7 => vec!["SETBIT", &key, &v, "1"],
        8 => vec!["PFADD", &key, &v],
        9 => vec!["EXPIRE", &key, "50000"],
        10 => vec!["PERSIST", &key],
        11 => vec!["RENAME", &key, &other],
        12 => vec!["COPY", &key, &other, "DB", "1", "REPLACE"],
        13 => vec!["MOVE", &key, "2"],
        14 => vec!["SWAPDB", "0", "1"],
        _ => vec!["GETEX", &key, "PX", "900000"],
    };
    words.into_iter().map(str::to_string).collect()
}

fn step() -> impl Strategy<Value = Step> {
    let cmd = (any::<u8>(), 0usize..4, 0u16..300).prop_map(|(k, i, v)| command(k, i, v));
    (proptest::collection::vec(cmd, 1..4), any::<bool>(), 0u8..4).prop_map(|(cmds, wait, multi)| {
        let commands = if multi == 0 && cmds.len() > 1 {
            let mut v = vec![vec!["MULTI".to_string()]];
            v.extend(cmds);
            v.push(vec!["EXEC".to_string()]);
            v
        } else {
            cmds[..1].to_vec()
        };
        Step { commands, wait_for_ack: wait }
    })
}

fn server(fs: &SimFs) -> Server {
    let mut config = Config::default();
    config.dir = PathBuf::from("/data");
    // Small segments: histories cross many segment boundaries.
    config.segment_size_bytes = 4096;
    let mut srv = Server::new(config);
    durability::open_with(&mut srv, Arc::new(fs.clone())).expect("recovery after a crash never refuses");
    srv
}

fn run(srv: &mut Server, slot: usize, words: &[String]) {
    let args = OwnedArgs::from_slices(words);
    let mut out = Out::new(false);
    srv.execute(slot, args.as_args(), &mut out);
}

fn released(srv: &Server) -> u64 {
    srv.log.as_ref().map_or(0, keel::storage::log_writer::LogWriter::released_offset)
}

fn check(seed: u64, history: &[Step], crash_at: usize) -> Result<(), TestCaseError> {
    let fs = SimFs::new(seed);
    let mut srv = server(&fs);
    let slot = srv.connect("test".into(), String::new(), -1);
    // digests[i]: the state after the first i steps; holds[i]: the log offset step i waits for.
    let mut digests = vec![dataset_digest(&srv)];
    let mut holds = Vec::new();
    for s in &history[..crash_at.min(history.len())] {
        for words in &s.commands {
            run(&mut srv, slot, words);
        }
        let hold = srv.clients.get(slot).hold_until;
        holds.push(hold);
        digests.push(dataset_digest(&srv));
        if s.wait_for_ack {
            let deadline = Instant::now() + Duration::from_secs(10);
            while released(&srv) < hold {
                prop_assert!(Instant::now() < deadline, "the log never released offset {}", hold);
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }
    // Acknowledged: every step whose record the log had released before the power loss.
    let released_before = released(&srv);
    let acked = holds.iter().rposition(|&h| h <= released_before).map_or(0, |i| i + 1);
    fs.crash();
    drop(srv);
    let recovered = server(&fs);
    let got = dataset_digest(&recovered);
    let matches: Vec<usize> = (0..digests.len()).filter(|&i| digests[i] == got).collect();
    prop_assert!(
        matches.iter().any(|&i| i >= acked),
        "recovered state {} matches prefixes {:?} only, but {} steps were acknowledged (of {})",
        got,
        matches,
        acked,
        digests.len() - 1
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn recovered_state_is_a_prefix_holding_every_acknowledged_write(
        seed in any::<u64>(),
        history in proptest::collection::vec(step(), 1..40),
        crash_at in 0usize..40,
    ) {
        check(seed, &history, crash_at)?;
    }
}

/// Reads of a key with a write the log has not released wait for it; reads of other keys do
/// not. The disk is made slow (fsync stalls) so writes stay unreleased while the test looks.
#[test]
fn reads_wait_only_for_unreleased_writes_of_their_keys() {
    let fs = SimFs::new(77);
    let mut srv = server(&fs);
    let (a, b) = (srv.connect("a".into(), String::new(), -1), srv.connect("b".into(), String::new(), -1));
    run(&mut srv, a, &["SET".into(), "durable".into(), "1".into()]);
    let first = srv.clients.get(a).hold_until;
    let deadline = Instant::now() + Duration::from_secs(10);
    while released(&srv) < first {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(1));
    }
    srv.release_offset = released(&srv);
    srv.pending.prune(srv.release_offset);
    fs.set_faults(keel::storage::sim::Faults { stall_syncs: true, ..Default::default() });
    run(&mut srv, a, &["SET".into(), "k".into(), "v".into()]);
    let write_end = srv.clients.get(a).hold_until;
    assert!(write_end > srv.release_offset, "the write is held");
    let hold_of = |srv: &mut Server, words: &[&str]| {
        srv.clients.get_mut(b).hold_until = 0;
        run(srv, b, &words.iter().map(|w| (*w).to_string()).collect::<Vec<_>>());
        srv.clients.get(b).hold_until
    };
    assert_eq!(hold_of(&mut srv, &["GET", "k"]), write_end, "a read of the pending key waits");
    assert_eq!(hold_of(&mut srv, &["MGET", "durable", "k"]), write_end);
    assert_eq!(hold_of(&mut srv, &["GET", "durable"]), 0, "a read of durable data does not");
    assert_eq!(hold_of(&mut srv, &["PING"]), 0);
    assert_eq!(hold_of(&mut srv, &["DBSIZE"]), write_end, "a keyless read waits for everything written");
    run(&mut srv, a, &["FLUSHALL".into()]);
    let flush_end = srv.clients.get(a).hold_until;
    assert!(flush_end > write_end, "FLUSHALL was logged");
    assert_eq!(hold_of(&mut srv, &["GET", "durable"]), flush_end, "a keyless write is a barrier");
    fs.set_faults(keel::storage::sim::Faults::default());
    let deadline = Instant::now() + Duration::from_secs(10);
    while released(&srv) < flush_end {
        assert!(Instant::now() < deadline, "the log resumes once fsync does");
        std::thread::sleep(Duration::from_millis(5));
    }
    srv.release_offset = released(&srv);
    srv.pending.prune(srv.release_offset);
    assert_eq!(hold_of(&mut srv, &["GET", "k"]), 0, "released: reads no longer wait");
}

/// Every write command, replayed from its log record on a fresh executor whose clock is an
/// hour later (and whose random seed differs), must rebuild the same state: a command logged
/// verbatim when it is not deterministic (a relative TTL, a float sum) fails this.
#[test]
fn every_write_replays_to_the_same_state_under_another_clock() {
    let invocations: &[(&str, &[&str])] = &[
        ("append", &["APPEND", "s", "tail"]),
        ("bitfield", &["BITFIELD", "bf", "INCRBY", "u8", "0", "200", "SET", "i5", "10", "7"]),
        ("bitop", &["BITOP", "OR", "dest", "s", "bf"]),
        ("copy", &["COPY", "s", "s2"]),
        ("decr", &["DECR", "n"]),
        ("decrby", &["DECRBY", "n", "5"]),
        ("del", &["DEL", "s2"]),
        ("expire", &["EXPIRE", "s", "1000"]),
        ("expireat", &["EXPIREAT", "n", "99999999999"]),
        ("flushall", &["FLUSHALL"]),
        ("flushdb", &["FLUSHDB"]),
        ("getdel", &["GETDEL", "s3"]),
        ("getex", &["GETEX", "s", "EX", "5000"]),
        ("getset", &["GETSET", "g", "new"]),
        ("incr", &["INCR", "n"]),
        ("incrby", &["INCRBY", "n", "10"]),
        ("incrbyfloat", &["INCRBYFLOAT", "f", "0.1"]),
        ("move", &["MOVE", "g", "3"]),
        ("mset", &["MSET", "m1", "a", "m2", "b"]),
        ("msetnx", &["MSETNX", "m3", "a", "m4", "b"]),
        ("persist", &["PERSIST", "n"]),
        ("pexpire", &["PEXPIRE", "m1", "777777"]),
        ("pexpireat", &["PEXPIREAT", "m2", "99999999999999"]),
        ("pfadd", &["PFADD", "h", "a", "b", "c"]),
        ("pfcount", &["PFCOUNT", "h"]),
        ("pfmerge", &["PFMERGE", "h2", "h"]),
        ("psetex", &["PSETEX", "p", "60000", "v"]),
        ("rename", &["RENAME", "m3", "m5"]),
        ("renamenx", &["RENAMENX", "m4", "m6"]),
        ("set", &["SET", "s", "v", "EX", "100"]),
        ("setbit", &["SETBIT", "b", "77", "1"]),
        ("setex", &["SETEX", "e", "100", "v"]),
        ("setnx", &["SETNX", "nx", "v"]),
        ("setrange", &["SETRANGE", "s", "2", "zz"]),
        ("swapdb", &["SWAPDB", "0", "1"]),
        ("unlink", &["UNLINK", "p"]),
    ];
    let writes: Vec<&str> =
        keel::commands::table::table().all().iter().filter(|c| c.has(keel::commands::flags::WRITE)).map(|c| c.full_name).collect();
    let missing: Vec<&&str> = writes.iter().filter(|w| !invocations.iter().any(|(n, _)| n == *w)).collect();
    assert!(missing.is_empty(), "write commands without a replay check: {missing:?}");
    // Set-up writes give every command something to work on; the checked command runs last.
    let setup: &[&[&str]] = &[
        &["SET", "s", "hello"],
        &["SET", "s3", "x"],
        &["SET", "n", "10"],
        &["SET", "f", "1.1"],
        &["SET", "g", "old"],
        &["SET", "bf", "\x01"],
    ];
    for (name, words) in invocations {
        let fs = SimFs::new(1);
        let mut srv = server(&fs);
        let slot = srv.connect("t".into(), String::new(), -1);
        for w in setup.iter().copied().chain([*words, &["SET", "after", "1"][..]]) {
            run(&mut srv, slot, &w.iter().map(|s| (*s).to_string()).collect::<Vec<_>>());
        }
        let want = dataset_digest(&srv);
        let hold = srv.clients.get(slot).hold_until;
        let deadline = Instant::now() + Duration::from_secs(10);
        while released(&srv) < hold {
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(srv);
        // Replay by hand with the clock an hour ahead of every record's own time.
        let mut fresh = Server::new(Config::default());
        let replay_slot = fresh.connect("replay".into(), String::new(), -1);
        let opts = keel::storage::recovery::Options { payload_max_bytes: 1 << 30, load_truncated: false };
        keel::storage::recovery::recover(&fs, std::path::Path::new("/data/log"), &opts, &mut |rec| {
            let later = i64::try_from(rec.timestamp_ms).unwrap() + 3_600_000;
            for e in keel::storage::record::decode_effects(rec.payload).unwrap() {
                fresh.apply_effect(replay_slot, e.db as usize, &e.argv, later)?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(dataset_digest(&fresh), want, "{name}: replay under another clock differs");
    }
}
