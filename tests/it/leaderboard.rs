//! The leaderboard example: 1,000,000 players loaded pipelined, 100,000 ZINCRBY updates,
//! then 1,000 checks of the top 10 and of a player's rank and neighbours, each against a
//! model kept in the test (a map of scores and an ordered set of (score, player)).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::common::{bulk, int, Server};
use keel::protocol::frame::Frame;

const PLAYERS: u64 = 1_000_000;
const UPDATES: u64 = 100_000;
const CHECKS: u64 = 1_000;

/// xorshift64*: the test's reproducible randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn player(i: u64) -> String {
    format!("player:{i}")
}

/// A page of (player, score) from the model's ranking (highest first), ranks `from..to`.
fn model_page(ranked: &[(i64, String)], from: usize, to: usize) -> Frame {
    let mut v = Vec::new();
    for (score, name) in &ranked[from..to] {
        v.push(bulk(name));
        v.push(bulk(&score.to_string()));
    }
    Frame::Array(v)
}

#[test]
fn a_million_player_leaderboard_matches_its_model() {
    let started = Instant::now();
    let s = Server::start();
    let mut c = s.raw();
    let mut rng = Rng(0x5eed_1ead_e2b0_a2d5);
    let mut scores: HashMap<String, i64> = HashMap::with_capacity(PLAYERS as usize);
    let mut order: BTreeSet<(i64, String)> = BTreeSet::new();
    // Load: ZADD of 10,000 players a command, 100 commands in flight.
    let mut sent = 0;
    for batch in 0..PLAYERS / 10_000 {
        let mut args = vec!["ZADD".to_string(), "lb".to_string()];
        for i in batch * 10_000..(batch + 1) * 10_000 {
            let score = (rng.next() % 1_000_000) as i64;
            args.push(score.to_string());
            args.push(player(i));
            scores.insert(player(i), score);
            order.insert((score, player(i)));
        }
        c.send_cmd(&args);
        sent += 1;
    }
    for _ in 0..sent {
        assert_eq!(c.read(), int(10_000));
    }
    assert_eq!(c.cmd(&["ZCARD", "lb"]), int(PLAYERS as i64));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "lb"]), bulk("skiplist"));
    // Updates: pipelined in groups of 1,000, each reply checked against the model.
    for _ in 0..UPDATES / 1_000 {
        let mut expect = Vec::with_capacity(1_000);
        for _ in 0..1_000 {
            let p = player(rng.next() % PLAYERS);
            let by = (rng.next() % 2_001) as i64 - 1_000;
            c.send_cmd(&["ZINCRBY", "lb", &by.to_string(), &p]);
            let old = scores[&p];
            order.remove(&(old, p.clone()));
            order.insert((old + by, p.clone()));
            scores.insert(p, old + by);
            expect.push(old + by);
        }
        for want in expect {
            assert_eq!(c.read(), bulk(&want.to_string()));
        }
    }
    // Checks: the top 10, and a random player's rank and the two players either side.
    let ranked: Vec<(i64, String)> = order.iter().rev().cloned().collect();
    for _ in 0..CHECKS {
        assert_eq!(c.cmd(&["ZREVRANGE", "lb", "0", "9", "WITHSCORES"]), model_page(&ranked, 0, 10));
        let r = (rng.next() % PLAYERS) as usize;
        let name = &ranked[r].1;
        assert_eq!(c.cmd(&["ZREVRANK", "lb", name]), int(r as i64), "rank of {name}");
        assert_eq!(c.cmd(&["ZSCORE", "lb", name]), bulk(&scores[name].to_string()));
        let (from, to) = (r.saturating_sub(2), (r + 3).min(PLAYERS as usize));
        let got = c.cmd(&["ZREVRANGE", "lb", &from.to_string(), &(to - 1).to_string(), "WITHSCORES"]);
        assert_eq!(got, model_page(&ranked, from, to), "neighbours of {name}");
    }
    let took = started.elapsed();
    assert!(took.as_secs() <= 30, "the leaderboard example took {took:?}");
    eprintln!("leaderboard: {PLAYERS} players, {UPDATES} updates, {CHECKS} checks in {took:?}");
}
