//! Deleting a huge collection does not stall the executor: UNLINK of a 10,000,000-member set
//! hands it to the lazy-free thread and returns at once (21 us of server time, its SLOWLOG
//! duration, when the machine is quiet), and the memory comes back afterwards.

use std::time::{Duration, Instant};

use crate::common::{info_field, int, ok, Server};
use keel::protocol::frame::Frame;

const MEMBERS: usize = 10_000_000;
const PER_COMMAND: usize = 100_000;

#[test]
fn unlink_of_ten_million_members_returns_at_once() {
    let s = Server::start();
    let mut c = s.raw();
    for batch in 0..MEMBERS / PER_COMMAND {
        let mut args = Vec::with_capacity(PER_COMMAND + 2);
        args.push("SADD".to_string());
        args.push("huge".to_string());
        args.extend((batch * PER_COMMAND..(batch + 1) * PER_COMMAND).map(|i| format!("member:{i}")));
        c.send_cmd(&args);
    }
    for _ in 0..MEMBERS / PER_COMMAND {
        assert_eq!(c.read(), int(PER_COMMAND as i64));
    }
    assert_eq!(c.q("SCARD huge"), int(MEMBERS as i64));
    let used: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
    assert!(used > 300_000_000, "ten million members take memory: {used}");
    assert_eq!(c.q("CONFIG SET slowlog-log-slower-than 0"), ok());
    assert_eq!(c.q("SLOWLOG RESET"), ok());
    let t = Instant::now();
    assert_eq!(c.q("UNLINK huge"), int(1));
    let round_trip = t.elapsed();
    // SLOWLOG GET 1: [[id, time, duration µs, [args...], peer, name]].
    let duration_us = match c.q("SLOWLOG GET 1") {
        Frame::Array(entries) => match entries.first() {
            Some(Frame::Array(e)) => match (&e[2], &e[3]) {
                (Frame::Int(us), Frame::Array(argv)) => {
                    assert_eq!(argv.first(), Some(&Frame::Bulk(b"UNLINK".to_vec())));
                    *us
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    // Freeing this set on the executor (DEL with lazyfree-lazy-user-del no) takes 82 ms here.
    // The bound sits well below that and well above a time slice lost to the other tests'
    // processes on 2 cores: a 1 ms bound failed 2 full runs in 5 (one at 5.0 ms).
    assert!(duration_us < 20_000, "UNLINK ran {duration_us} µs on the executor (round trip {round_trip:?})");
    assert_eq!(c.q("EXISTS huge"), int(0));
    // The set is freed in the background: the pending count drains and memory comes back.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending = info_field(&mut c, "memory", "lazyfree_pending_objects");
        let now: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
        if pending == "0" && now < used / 4 {
            break;
        }
        assert!(Instant::now() < deadline, "never freed: pending {pending}, used_memory {now} of {used}");
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("UNLINK of {MEMBERS} members: {duration_us} µs on the executor, {round_trip:?} round trip");
}
