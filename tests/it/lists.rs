//! Lists on a real server: blocking pops served first-come first-served by pushes from
//! other clients and from MULTI, timeouts, CLIENT UNBLOCK, a blocked client going away, and
//! the served pop logged as its effect (it survives kill -9, and a replay does not block).
//! Command replies are compared with Redis in tests/cases/lists.cases.

use std::time::{Duration, Instant};

use crate::common::{arr, bulk, bulks, info_field, int, nil, ok, temp_dir, Raw, Server};
use keel::protocol::frame::Frame;

/// Sends a command without reading its reply (it blocks).
fn send(c: &mut Raw, line: &str) {
    c.send_cmd(&line.split(' ').collect::<Vec<_>>());
}

/// Waits until the server counts `n` blocked clients.
fn wait_blocked(c: &mut Raw, n: usize) {
    let t = Instant::now();
    while info_field(c, "clients", "blocked_clients") != n.to_string() {
        assert!(t.elapsed() < Duration::from_secs(10), "never saw {n} blocked clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn blocked_clients_are_served_in_arrival_order() {
    let s = Server::start();
    let mut ctl = s.raw();
    let mut waiters: Vec<Raw> = Vec::new();
    for i in 0..3 {
        let mut w = s.raw();
        send(&mut w, "BLPOP q 0");
        wait_blocked(&mut ctl, i + 1);
        waiters.push(w);
    }
    // One push of three: each waiter gets one, oldest first, each from the head.
    assert_eq!(ctl.q("RPUSH q a b c"), int(3));
    for (w, want) in waiters.iter_mut().zip(["a", "b", "c"]) {
        assert_eq!(w.read(), bulks(&["q", want]));
    }
    assert_eq!(ctl.q("EXISTS q"), int(0), "every element went to a waiter");
    // One element for two waiters: the older gets it, the younger keeps waiting.
    let (mut w1, mut w2) = (s.raw(), s.raw());
    send(&mut w1, "BRPOP other q 0");
    wait_blocked(&mut ctl, 1);
    send(&mut w2, "BLPOP q 0");
    wait_blocked(&mut ctl, 2);
    assert_eq!(ctl.q("LPUSH q x"), int(1));
    assert_eq!(w1.read(), bulks(&["q", "x"]));
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.q("LPUSH q y"), int(1));
    assert_eq!(w2.read(), bulks(&["q", "y"]));
    // The served client's connection goes on normally afterwards.
    assert_eq!(w2.q("PING"), Frame::Simple("PONG".into()));
}

#[test]
fn a_push_inside_multi_serves_after_exec_and_only_what_is_left() {
    let s = Server::start();
    let mut ctl = s.raw();
    let mut w = s.raw();
    send(&mut w, "BLPOP m 0");
    wait_blocked(&mut ctl, 1);
    // Pushed and popped inside one transaction: nothing is left to serve.
    assert_eq!(ctl.q("MULTI"), ok());
    ctl.q("LPUSH m a");
    ctl.q("LPOP m");
    assert_eq!(ctl.q("EXEC"), arr(vec![int(1), bulk("a")]));
    std::thread::sleep(Duration::from_millis(50));
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.q("MULTI"), ok());
    ctl.q("RPUSH m b c");
    ctl.q("LLEN m");
    // Inside the transaction the list is whole: the waiter is served after EXEC.
    assert_eq!(ctl.q("EXEC"), arr(vec![int(2), int(2)]));
    assert_eq!(w.read(), bulks(&["m", "b"]));
    assert_eq!(ctl.q("LRANGE m 0 -1"), bulks(&["c"]));
    // A blocking pop inside MULTI never blocks.
    assert_eq!(ctl.q("MULTI"), ok());
    assert_eq!(ctl.q("BLPOP empty 0"), Frame::Simple("QUEUED".into()));
    assert_eq!(ctl.q("EXEC"), arr(vec![Frame::NullArray]));
}

#[test]
fn timeouts_unblock_and_disconnects() {
    let s = Server::start();
    let mut ctl = s.raw();
    let mut w = s.raw();
    let t = Instant::now();
    assert_eq!(w.q("BLPOP t 0.2"), Frame::NullArray);
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(190) && waited < Duration::from_secs(3), "{waited:?}");
    // BLMOVE times out with a null array too; the registration is gone afterwards.
    assert_eq!(w.q("BLMOVE t d LEFT RIGHT 0.05"), Frame::NullArray);
    wait_blocked(&mut ctl, 0);
    // CLIENT UNBLOCK: TIMEOUT replies as at the deadline, ERROR with Redis's error.
    let id = match w.q("CLIENT ID") {
        Frame::Int(n) => n,
        f => panic!("{f:?}"),
    };
    send(&mut w, "BRPOP t 0");
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.q(&format!("CLIENT UNBLOCK {id}")), int(1));
    assert_eq!(w.read(), Frame::NullArray);
    send(&mut w, "BLMPOP 0 2 t u LEFT");
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.q(&format!("CLIENT UNBLOCK {id} ERROR")), int(1));
    assert_eq!(w.read(), Frame::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK".into()));
    // A waiter that goes away takes nothing: the element stays for the next one.
    let mut gone = s.raw();
    send(&mut gone, "BLPOP t 0");
    wait_blocked(&mut ctl, 1);
    drop(gone);
    wait_blocked(&mut ctl, 0);
    assert_eq!(ctl.q("RPUSH t kept"), int(1));
    assert_eq!(ctl.q("LRANGE t 0 -1"), bulks(&["kept"]));
}

#[test]
fn blmove_chains_and_wrong_types_while_blocked() {
    let s = Server::start();
    let mut ctl = s.raw();
    // A waits on a (moving to b); B waits on b. One push to a feeds both, in turn.
    let (mut a, mut b) = (s.raw(), s.raw());
    send(&mut a, "BLMOVE a b LEFT LEFT 0");
    wait_blocked(&mut ctl, 1);
    send(&mut b, "BLPOP b 0");
    wait_blocked(&mut ctl, 2);
    assert_eq!(ctl.q("RPUSH a x"), int(1));
    assert_eq!(a.read(), bulk("x"));
    assert_eq!(b.read(), bulks(&["b", "x"]));
    assert_eq!(ctl.q("EXISTS a b"), int(0));
    // A key that becomes a string does not serve a list waiter; a list later does.
    let mut w = s.raw();
    send(&mut w, "BLPOP k 0");
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.q("SET k v"), ok());
    assert_eq!(ctl.q("DEL k"), int(1));
    assert_eq!(ctl.q("RPUSH k later"), int(1));
    assert_eq!(w.read(), bulks(&["k", "later"]));
}

#[test]
fn a_served_pop_is_logged_as_its_effect() {
    let dir = temp_dir("lists-served");
    let s = Server::start_in(&dir, &["--appendfsync", "always"]);
    let mut ctl = s.raw();
    let mut w = s.raw();
    assert_eq!(ctl.q("RPUSH src 1 2 3"), int(3));
    send(&mut w, "BLMPOP 0 1 empty RIGHT COUNT 5");
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.q("RPUSH empty a b"), int(2));
    assert_eq!(w.read(), arr(vec![bulk("empty"), bulks(&["b", "a"])]));
    assert_eq!(w.q("BRPOPLPUSH src dst 0"), bulk("3"));
    assert_eq!(w.q("BLPOP src 0"), bulks(&["src", "1"]));
    let want = ctl.q("DEBUG DIGEST");
    s.kill9();
    // Replayed: the pops happen again as plain pops (a replayed BLPOP on an empty list
    // would block recovery), and the state is the same.
    let s = Server::start_in(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(c.q("DEBUG DIGEST"), want);
    assert_eq!(c.q("LRANGE src 0 -1"), bulks(&["2"]));
    assert_eq!(c.q("LRANGE dst 0 -1"), bulks(&["3"]));
    assert_eq!(c.q("EXISTS empty"), int(0));
    assert_eq!(c.q("LPOP nothing"), nil());
}

#[test]
fn a_big_list_survives_restart_and_snapshot() {
    let dir = temp_dir("lists-restart");
    let s = Server::start_in(&dir, &[]);
    let mut c = s.raw();
    let mut args: Vec<String> = vec!["RPUSH".into(), "big".into()];
    args.extend((0..5000).map(|i| format!("element:{i}")));
    assert_eq!(c.cmd(&args), int(5000));
    assert_eq!(c.q("LPUSH big head"), int(5001));
    assert_eq!(c.q("LSET big 2500 middle"), ok());
    assert_eq!(c.q("LINSERT big BEFORE middle before"), int(5002));
    assert_eq!(c.q("LTRIM big 1 -2"), ok());
    let want = c.q("DEBUG DIGEST");
    let range = c.q("LRANGE big 2495 2505");
    s.kill9();
    let s = Server::start_in(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(c.q("DEBUG DIGEST"), want);
    assert_eq!(c.q("LRANGE big 2495 2505"), range);
    assert_eq!(c.q("SAVE"), ok());
    assert_eq!(c.q("RPOP big"), bulk("element:4998"));
    let want = c.q("DEBUG DIGEST");
    s.kill9();
    let s = Server::start_in(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(c.q("DEBUG DIGEST"), want);
    assert_eq!(c.q("LLEN big"), int(4999));
    assert_eq!(c.q("OBJECT ENCODING big"), bulk("quicklist"));
}
