//! Crash recovery as a property (harness: `keel::crashsim`): random write histories run
//! through the real executor and log writer on `SimFs`, a power loss at a random moment (each
//! unsynced page kept, lost or torn independently), recovery on a fresh executor. The
//! recovered state must equal the state after some prefix of the history that contains every
//! acknowledged write — so nothing acknowledged is lost, nothing never attempted appears, and
//! no MULTI is half-applied. Also: reads wait only for unreleased writes of their keys, and
//! every write replays to the same state under another clock.

use std::time::{Duration, Instant};

use keel::commands::debug::dataset_digest;
use keel::config::Config;
use keel::crashsim::{check, command, released, run, step_of, Step};
use keel::executor::Server;
use keel::storage::sim::SimFs;
use proptest::prelude::*;

fn server(fs: &SimFs) -> Server {
    keel::crashsim::server(fs).expect("recovery after a crash never refuses")
}

fn step() -> impl Strategy<Value = Step> {
    let cmd = (any::<u8>(), 0usize..4, 0u16..300).prop_map(|(k, i, v)| command(k, i, v));
    (proptest::collection::vec(cmd, 1..4), any::<bool>(), 0u8..4, 0u8..6).prop_map(|(cmds, wait, multi, snap)| {
        let mut s = step_of(cmds, wait, multi == 0);
        s.snapshot = snap == 0;
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn recovered_state_is_a_prefix_holding_every_acknowledged_write(
        seed in any::<u64>(),
        history in proptest::collection::vec(step(), 1..150),
        crash_at in 0usize..150,
    ) {
        check(seed, &history, crash_at).map_err(TestCaseError::fail)?;
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
        ("hdel", &["HDEL", "hh", "a"]),
        // Relative field expiry: logged as HPEXPIREAT, so replay an hour later keeps it.
        ("hexpire", &["HEXPIRE", "hh", "100000", "FIELDS", "2", "a", "nosuch"]),
        ("hpexpire", &["HPEXPIRE", "hh", "100000000", "NX", "FIELDS", "1", "b"]),
        ("hexpireat", &["HEXPIREAT", "hh", "99999999999", "FIELDS", "1", "x"]),
        ("hpexpireat", &["HPEXPIREAT", "hh", "1", "FIELDS", "1", "b"]),
        ("hpersist", &["HPERSIST", "hh", "FIELDS", "1", "x"]),
        ("hincrby", &["HINCRBY", "hh", "n", "3"]),
        ("hincrbyfloat", &["HINCRBYFLOAT", "hh", "x", "0.1"]),
        ("hmset", &["HMSET", "hh", "c", "3", "d", "4"]),
        ("hset", &["HSET", "hh", "a", "9", "e", "5"]),
        ("hsetnx", &["HSETNX", "hh", "z", "1"]),
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
        // The DUMP payload of "valnv" (chosen so that it is all ASCII), with a relative TTL.
        ("restore", &["RESTORE", "r", "100000", "\x00\x05valnv\x0a\x00D\x0clWR\x5c]r"]),
        ("renamenx", &["RENAMENX", "m4", "m6"]),
        ("set", &["SET", "s", "v", "EX", "100"]),
        ("setbit", &["SETBIT", "b", "77", "1"]),
        ("setex", &["SETEX", "e", "100", "v"]),
        ("setnx", &["SETNX", "nx", "v"]),
        ("setrange", &["SETRANGE", "s", "2", "zz"]),
        ("swapdb", &["SWAPDB", "0", "1"]),
        ("unlink", &["UNLINK", "p"]),
        ("lpush", &["LPUSH", "li", "x", "y"]),
        ("rpush", &["RPUSH", "li", "x", "y"]),
        ("lpushx", &["LPUSHX", "li", "x"]),
        ("rpushx", &["RPUSHX", "li", "x"]),
        ("lpop", &["LPOP", "li", "2"]),
        ("rpop", &["RPOP", "li"]),
        ("lset", &["LSET", "li", "1", "new"]),
        ("linsert", &["LINSERT", "li", "AFTER", "c", "new"]),
        ("lrem", &["LREM", "li", "-1", "b"]),
        ("ltrim", &["LTRIM", "li", "1", "-2"]),
        ("lmove", &["LMOVE", "li", "li2", "LEFT", "RIGHT"]),
        ("rpoplpush", &["RPOPLPUSH", "li", "li"]),
        ("lmpop", &["LMPOP", "2", "nosuch", "li", "RIGHT", "COUNT", "2"]),
        // Blocking pops on lists with something in them: they pop at once, logged as pops.
        ("blpop", &["BLPOP", "nosuch", "li", "0"]),
        ("brpop", &["BRPOP", "li", "0"]),
        ("blmove", &["BLMOVE", "li", "li2", "RIGHT", "LEFT", "0"]),
        ("brpoplpush", &["BRPOPLPUSH", "li", "li2", "0"]),
        ("blmpop", &["BLMPOP", "0", "1", "li", "LEFT", "COUNT", "3"]),
        ("sadd", &["SADD", "st", "4", "w"]),
        ("srem", &["SREM", "st", "1", "x"]),
        // Random: logged as the SREM of what it popped.
        ("spop", &["SPOP", "st", "2"]),
        ("smove", &["SMOVE", "st", "st2", "x"]),
        ("sinterstore", &["SINTERSTORE", "sd", "st", "st2"]),
        ("sunionstore", &["SUNIONSTORE", "sd", "st", "st2"]),
        ("sdiffstore", &["SDIFFSTORE", "sd", "st", "st2"]),
        ("sort", &["SORT", "li", "ALPHA", "DESC", "STORE", "sorted"]),
        ("zadd", &["ZADD", "zz", "GT", "CH", "7", "a", "0.1", "f"]),
        ("zincrby", &["ZINCRBY", "zz", "0.1", "b"]),
        ("zrem", &["ZREM", "zz", "c"]),
        ("zrangestore", &["ZRANGESTORE", "zd", "zz", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2"]),
        ("zremrangebyrank", &["ZREMRANGEBYRANK", "zz", "0", "1"]),
        ("zremrangebyscore", &["ZREMRANGEBYSCORE", "zz", "-inf", "(3"]),
        ("zremrangebylex", &["ZREMRANGEBYLEX", "zz", "[a", "[c"]),
        ("zpopmin", &["ZPOPMIN", "zz", "2"]),
        ("zpopmax", &["ZPOPMAX", "zz"]),
        ("zmpop", &["ZMPOP", "1", "zz", "MAX", "COUNT", "2"]),
        ("bzpopmin", &["BZPOPMIN", "zz", "0"]),
        ("bzpopmax", &["BZPOPMAX", "zz", "0"]),
        ("bzmpop", &["BZMPOP", "0", "2", "nosuch", "zz", "MIN"]),
        ("zunionstore", &["ZUNIONSTORE", "zd", "3", "zz", "zz2", "st", "WEIGHTS", "1", "2", "0.5", "AGGREGATE", "MAX"]),
        ("zinterstore", &["ZINTERSTORE", "zd", "2", "zz", "zz2"]),
        ("zdiffstore", &["ZDIFFSTORE", "zd", "2", "zz", "zz2"]),
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
        &["HSET", "hh", "a", "1", "b", "2", "x", "1.5"],
        &["HEXPIRE", "hh", "5000", "FIELDS", "1", "x"],
        &["RPUSH", "li", "a", "b", "c", "d", "e", "b"],
        &["SADD", "st", "1", "2", "3", "x", "y"],
        &["SADD", "st2", "2", "3", "z"],
        &["ZADD", "zz", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
        &["ZADD", "zz2", "2", "b", "9", "z"],
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
        let opts = keel::storage::recovery::Options {
            payload_max_bytes: 1 << 30,
            load_truncated: false,
            from_offset: 0,
            log_id: None,
            dry_run: false,
        };
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

/// A capture over shards big enough that slices stop inside them (about 100 keys a shard),
/// with writes, deletes and new keys between slices: the image is the dataset at its start.
/// This is the resume-by-position path (`db::capture`), which small histories never reach.
#[test]
fn a_capture_with_writes_between_slices_images_its_start() {
    let fs = SimFs::new(5);
    let mut srv = server(&fs);
    let slot = srv.connect("t".into(), String::new(), -1);
    let mut words = vec!["MSET".to_string()];
    for i in 0..400_000 {
        words.push(format!("key:{i}"));
        words.push(format!("value-{i}"));
        if words.len() > 2000 {
            run(&mut srv, slot, &words);
            words.truncate(1);
        }
    }
    run(&mut srv, slot, &words);
    let expect = dataset_digest(&srv);
    let header = srv.snapshot_begin(keel::executor::snapshot::Kind::Rewrite).unwrap();
    let mut job = srv.compactor_job(header).unwrap()();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut slices = 0;
    loop {
        slices += 1;
        let walked = srv.snapshot_step(Duration::ZERO);
        for (raw, keys) in srv.snapshot_blocks() {
            job.block(&raw, keys);
        }
        if walked {
            break;
        }
        for _ in 0..40 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = format!("key:{}", x % 500_000);
            let cmd = match x % 3 {
                0 => vec!["DEL".to_string(), k],
                1 => vec!["SET".to_string(), k, "changed".to_string()],
                _ => vec!["APPEND".to_string(), k, "+".to_string()],
            };
            run(&mut srv, slot, &cmd);
        }
    }
    assert!(slices > 1000, "the walk was cut into many slices ({slices})");
    let (dbs, last) = srv.snapshot_end();
    for (raw, keys) in last {
        job.block(&raw, keys);
    }
    let done = job.finish(&dbs).unwrap();
    assert_eq!(done.keys, 400_000);
    assert_eq!(keel::crashsim::image_digest(&fs, &done.path).unwrap(), expect);
}
