//! `keel-compat`: differential compatibility checker. Sends the same seeded random command
//! sequences — valid, edge-case and malformed — to Keel and to a reference redis-server
//! 7.0.15 and compares the raw replies. Exits 1 with the seed, the step and both replies at
//! the first difference, so any failure can be replayed with `--seed`.
//!
//! By default it starts both servers itself (`keel-server` next to this binary and
//! `redis-server` from PATH); `--keel-port`/`--redis-port` point it at running ones instead.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;
use keel::protocol::frame::{self, Frame};

#[derive(Parser, Debug)]
#[command(name = "keel-compat", about = "Compare Keel's replies with redis-server's on random command sequences")]
struct Args {
    /// First seed; each run uses seed, seed+1, ...
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of seeds (independent sequences) to run.
    #[arg(long, default_value_t = 5)]
    runs: u64,
    /// Commands per sequence.
    #[arg(long, default_value_t = 2000)]
    commands: usize,
    /// Families to draw from (comma separated); all by default.
    #[arg(long, value_delimiter = ',')]
    families: Vec<String>,
    /// Use a running Keel instead of starting one.
    #[arg(long)]
    keel_port: Option<u16>,
    /// Use a running redis-server instead of starting one.
    #[arg(long)]
    redis_port: Option<u16>,
    /// Print every command and reply.
    #[arg(long)]
    verbose: bool,
    /// On a mismatch, shrink the command sequence to a minimal one that still differs.
    #[arg(long)]
    shrink: bool,
    /// Run case files (or directories of `*.cases` files) instead of random sequences.
    #[arg(long)]
    cases: Vec<PathBuf>,
    /// With --cases: check the expectations against keel, redis or both.
    #[arg(long, default_value = "both")]
    against: String,
}

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

type Cmd = Vec<Vec<u8>>;

fn c(parts: &[&str]) -> Cmd {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

struct Gen {
    rng: Rng,
}

const KEYS: &[&str] = &["k0", "k1", "k2", "k3", "k4", "k5", "{t}a", "{t}b", "", "n0", "n1", "h0", "h1", "b0"];

/// Keys of the list family; "k0" and "hs0" are the string and hash families' too (WRONGTYPE
/// both ways). None reads as a number: a dropped blocking timeout leaves a key in its place.
const LKEYS: &[&str] = &["l0", "l1", "l2", "k0", "hs0"];
const LELEMENTS: &[&str] = &["a", "b", "c", "1", "2", "", "long-element-over-eight"];
const LINDEXES: &[&str] = &["0", "1", "2", "3", "-1", "-2", "-3", "-100", "100", "x", "9223372036854775807"];

/// Keys of the set family. `sp` is not among them: see `sets`.
const SKEYS: &[&str] = &["s0", "s1", "s2", "k0", "hs0"];
const SINPUTS: &[&str] = &["s0", "s1", "s2", "k0", "nosuch"];
/// Nine members, so with the malformed variants' "extra" a set holds ten at most. "007" is no
/// integer (not canonical): it makes a table like a word does.
const SET_MEMBERS: &[&str] = &["1", "2", "3", "-5", "9223372036854775807", "a", "b", "", "007"];
const SET_INTS: &[&str] = &["1", "2", "3", "-5", "9223372036854775807"];

/// Keys the sorted-set family writes with any score. `zl` is not among them: see `zsets`.
const ZKEYS: &[&str] = &["z0", "z1", "z2", "k0", "hs0"];
/// Keys for lex ranges: `zl`, or keys no sorted-set command writes (WRONGTYPE or missing).
const ZLEX_KEYS: &[&str] = &["zl", "zl", "zl", "s0", "l0", "z9"];
/// Keys that are read or popped (removing members keeps `zl`'s scores all 0).
const ZREAD_KEYS: &[&str] = &["z0", "z1", "z2", "zl", "k0", "z9"];
/// Inputs of ZUNION and friends: plain sets too (their members scored 1).
const ZINPUTS: &[&str] = &["z0", "z1", "z2", "zl", "s0", "s1", "k0", "z9"];
const ZMEMBERS: &[&str] = &["a", "b", "c", "d", "", "1", "m1", "long-member-name-over-eight"];
const ZRANKS: &[&str] = &["0", "1", "2", "-1", "-2", "-100", "100", "x"];
const ZSCORE_BOUNDS: &[&str] = &["-inf", "+inf", "inf", "0", "1", "(1", "2", "(2.5", "0.1", "(-inf", "-1", "1e400", "abc", "[1", ""];
const ZLEX_BOUNDS: &[&str] = &["-", "+", "[a", "(a", "[b", "(c", "[", "(", "a", "[long", "(m1", "+inf"];

/// Blocking timeouts: 10 ms, or malformed ones. Never 0, nor anything under a millisecond
/// (Redis rounds it down to 0), nor inf: all of those block for good.
const TIMEOUTS: &[&str] = &["0.01", "0.01", "0.01", "0.01", "-1", "abc", "-0.5", ""];

impl Gen {
    fn key(&mut self) -> String {
        if self.rng.chance(3) {
            return "bin\0\r\nkey".to_string();
        }
        (*self.rng.pick(KEYS)).to_string()
    }

    fn int(&mut self) -> String {
        const EDGE: &[&str] = &[
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "007",
            "+1",
            " 1",
            "1.5",
            "1e3",
            "abc",
            "",
            "-0",
            "100",
            "-100",
        ];
        if self.rng.chance(25) {
            return (*self.rng.pick(EDGE)).to_string();
        }
        self.rng.range(-1000, 1000).to_string()
    }

    fn float(&mut self) -> String {
        const EDGE: &[&str] = &[
            "1.5",
            "-0.0",
            "0",
            "inf",
            "-inf",
            "+inf",
            "nan",
            "1e308",
            "1e400",
            "0x10",
            "3.0e-5",
            "10.1",
            "0.1",
            "-2.5",
            "1e-400",
            " 1",
            "1 ",
            "abc",
            "",
            "5.0e3",
            "123456789.123456789",
        ];
        if self.rng.chance(50) {
            return (*self.rng.pick(EDGE)).to_string();
        }
        format!("{}.{}", self.rng.range(-10000, 10000), self.rng.range(0, 999))
    }

    fn value(&mut self) -> String {
        match self.rng.below(6) {
            0 => self.int(),
            1 => self.float(),
            2 => String::new(),
            3 => "x".repeat(self.rng.below(60)),
            4 => (0..self.rng.below(12)).map(|_| char::from(b'a' + self.rng.below(26) as u8)).collect(),
            _ => "a\0b\r\nc".to_string(),
        }
    }

    fn small(&mut self) -> String {
        self.rng.range(-20, 200).to_string()
    }

    fn strings(&mut self) -> Cmd {
        let k = self.key();
        let v = self.value();
        match self.rng.below(24) {
            0 => {
                let mut cmd = c(&["SET", &k, &v]);
                for _ in 0..self.rng.below(4) {
                    let opt = self.rng.pick(&["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "nx", "BAD"]);
                    cmd.push(opt.as_bytes().to_vec());
                    if opt.ends_with('X') && opt.len() == 2 && !opt.starts_with('N') || opt.ends_with("AT") {
                        let t = match *opt {
                            "EX" => self.rng.range(100, 10000).to_string(),
                            "PX" => self.rng.range(100_000, 10_000_000).to_string(),
                            "EXAT" => self.rng.pick(&["1", "4000000000", "0", "-5", "abc"]).to_string(),
                            _ => self.rng.pick(&["1", "4000000000000", "0", "9223372036854775807"]).to_string(),
                        };
                        if self.rng.chance(90) {
                            cmd.push(t.into_bytes());
                        }
                    }
                }
                cmd
            }
            1 | 2 => c(&["GET", &k]),
            3 => c(&["GETSET", &k, &v]),
            4 => c(&["GETDEL", &k]),
            5 => {
                let mut cmd = c(&["GETEX", &k]);
                match self.rng.below(6) {
                    0 => cmd.extend(c(&["EX", &self.rng.range(100, 5000).to_string()])),
                    1 => cmd.extend(c(&["PERSIST"])),
                    2 => cmd.extend(c(&["PXAT", "1"])),
                    3 => cmd.extend(c(&["EX", "0"])),
                    4 => cmd.extend(c(&["KEEPTTL"])),
                    _ => {}
                }
                cmd
            }
            6 => {
                let n = self.rng.below(4);
                let mut cmd = c(&["MGET"]);
                for _ in 0..=n {
                    cmd.push(self.key().into_bytes());
                }
                cmd
            }
            7 | 8 => {
                let name = if self.rng.chance(50) { "MSET" } else { "MSETNX" };
                let mut cmd = c(&[name]);
                for _ in 0..=self.rng.below(3) {
                    cmd.push(self.key().into_bytes());
                    cmd.push(self.value().into_bytes());
                }
                if self.rng.chance(10) {
                    cmd.pop();
                }
                cmd
            }
            9 => c(&["SETNX", &k, &v]),
            10 => c(&["SETEX", &k, *self.rng.pick(&["100", "0", "-1", "abc", "9223372036854775807"]), &v]),
            11 => c(&["PSETEX", &k, *self.rng.pick(&["100000", "0", "-1", "abc"]), &v]),
            12 => c(&["APPEND", &k, &v]),
            13 => c(&["STRLEN", &k]),
            14 => c(&[*self.rng.pick(&["INCR", "DECR"]), *self.rng.pick(&["n0", "n1", "k0"])]),
            15 => c(&[*self.rng.pick(&["INCRBY", "DECRBY"]), *self.rng.pick(&["n0", "n1", "k1"]), &self.int()]),
            16 => c(&["INCRBYFLOAT", *self.rng.pick(&["n0", "n1", "k2"]), &self.float()]),
            17 => c(&[*self.rng.pick(&["GETRANGE", "SUBSTR"]), &k, &self.small(), &self.small()]),
            18 => c(&["SETRANGE", &k, *self.rng.pick(&["0", "3", "10", "-1", "abc", "536870912"]), &v]),
            19 => {
                let mut cmd = c(&["LCS", &k, &self.key()]);
                for _ in 0..self.rng.below(3) {
                    cmd.push(self.rng.pick(&["LEN", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "2", "BAD"]).as_bytes().to_vec());
                }
                cmd
            }
            20 => c(&["SET", &k, &self.int()]),
            21 => c(&["SET", *self.rng.pick(&["n0", "n1"]), &self.int()]),
            22 => c(&["OBJECT", "ENCODING", &k]),
            _ => c(&["OBJECT", "REFCOUNT", &k]),
        }
    }

    fn keys(&mut self) -> Cmd {
        let k = self.key();
        let k2 = self.key();
        match self.rng.below(18) {
            0 => c(&["DEL", &k, &k2]),
            1 => c(&["UNLINK", &k]),
            2 => c(&["EXISTS", &k, &k2, &k]),
            3 => c(&["TYPE", &k]),
            4 => c(&["RENAME", &k, &k2]),
            5 => c(&["RENAMENX", &k, &k2]),
            6 => {
                let mut cmd = c(&["COPY", &k, &k2]);
                if self.rng.chance(40) {
                    cmd.extend(c(&["DB", *self.rng.pick(&["0", "1", "2", "99", "x"])]));
                }
                if self.rng.chance(40) {
                    cmd.push(b"REPLACE".to_vec());
                }
                cmd
            }
            7 => c(&["MOVE", &k, *self.rng.pick(&["0", "1", "2", "99", "-1", "x"])]),
            8 => c(&["KEYS", *self.rng.pick(&["*", "k*", "?0", "[kn]*", "{t}*", "*\\*", "k[0-2]"])]),
            9 => c(&["TOUCH", &k, &k2]),
            10 => c(&["DBSIZE"]),
            11 => c(&["SELECT", *self.rng.pick(&["0", "0", "1", "2", "16", "-1", "x"])]),
            12 if self.rng.chance(10) => c(&["SWAPDB", *self.rng.pick(&["0", "1", "x"]), *self.rng.pick(&["0", "1", "99"])]),
            13 if self.rng.chance(5) => c(&[*self.rng.pick(&["FLUSHDB", "FLUSHDB ASYNC"])]),
            14 => c(&["OBJECT", *self.rng.pick(&["ENCODING", "REFCOUNT", "FOO"]), &k]),
            15 => c(&["DUMP", &k]),
            16 => self.restore(&k),
            _ => c(&["EXISTS", &k]),
        }
    }

    /// RESTORE with Redis-made payloads (a string, an integer, a damaged one) and options.
    fn restore(&mut self, k: &str) -> Cmd {
        const HELLO: &[u8] = b"\x00\x05hello\n\x00cr\xdfve4 \n";
        const INT: &[u8] = b"\x00\xc190\n\x00\x9d\x94\xea'\x93\xfc\x08\xb9";
        const BAD: &[u8] = b"\x00\x05hello\n\x00cr\xdfve4 \x0b";
        let payload = *self.rng.pick(&[HELLO, INT, BAD, b"short"]);
        let ttl = *self.rng.pick(&["0", "0", "100000", "-1", "x", "4102444800123", "1"]);
        let mut cmd = vec![b"RESTORE".to_vec(), k.as_bytes().to_vec(), ttl.as_bytes().to_vec(), payload.to_vec()];
        if ttl == "1" {
            // Long expired, not a race with a relative millisecond.
            cmd.push(b"ABSTTL".to_vec());
        }
        for _ in 0..self.rng.below(3) {
            match self.rng.below(6) {
                0 | 1 => cmd.push(b"REPLACE".to_vec()),
                2 => cmd.push(b"ABSTTL".to_vec()),
                3 => cmd.extend(c(&["IDLETIME", *self.rng.pick(&["10", "-1", "x"])])),
                4 => cmd.extend(c(&["FREQ", *self.rng.pick(&["5", "256"])])),
                _ => cmd.push(b"BOGUS".to_vec()),
            }
        }
        cmd
    }

    fn expire(&mut self) -> Cmd {
        let k = self.key();
        let cmd = *self.rng.pick(&["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]);
        let t = match cmd {
            "EXPIRE" => self.rng.pick(&["1000", "5000", "-1", "0", "abc", "9223372036854775807", "100000"]).to_string(),
            "PEXPIRE" => self.rng.pick(&["1000000", "-5", "abc", "9223372036854775807"]).to_string(),
            "EXPIREAT" => self.rng.pick(&["1", "4000000000", "4100000000", "0"]).to_string(),
            _ => self.rng.pick(&["1", "4000000000000", "4100000000000"]).to_string(),
        };
        match self.rng.below(6) {
            0 | 1 => {
                let mut v = c(&[cmd, &k, &t]);
                for _ in 0..self.rng.below(3) {
                    v.push(self.rng.pick(&["NX", "XX", "GT", "LT", "xx", "FOO"]).as_bytes().to_vec());
                }
                v
            }
            2 => c(&[*self.rng.pick(&["TTL", "PTTL"]), &k]),
            3 => c(&[*self.rng.pick(&["EXPIRETIME", "PEXPIRETIME"]), &k]),
            4 => c(&["PERSIST", &k]),
            _ => c(&["SET", &k, "v", "EX", "2000"]),
        }
    }

    fn bitmaps(&mut self) -> Cmd {
        let k = self.rng.pick(&["b0", "b1", "k0", "h0"]).to_string();
        // Offsets stay small: a bit near 2^32 makes a 512 MB value, which tests nothing new.
        let off = self.rng.pick(&["0", "1", "7", "8", "100", "1000", "-1", "x", "4294967296", "99999999999"]).to_string();
        match self.rng.below(9) {
            0 | 1 => c(&["SETBIT", &k, &off, *self.rng.pick(&["0", "1", "2", "x"])]),
            2 => c(&["GETBIT", &k, &off]),
            3 => {
                let mut v = c(&["BITCOUNT", &k]);
                if self.rng.chance(70) {
                    v.extend(c(&[&self.small(), &self.small()]));
                    if self.rng.chance(40) {
                        v.push(self.rng.pick(&["BIT", "BYTE", "bad"]).as_bytes().to_vec());
                    }
                }
                v
            }
            4 => {
                let mut v = c(&["BITPOS", &k, *self.rng.pick(&["0", "1", "2"])]);
                for _ in 0..self.rng.below(4) {
                    v.push(self.small().into_bytes());
                }
                if self.rng.chance(20) {
                    v.push(b"BIT".to_vec());
                }
                v
            }
            5 => c(&["BITOP", *self.rng.pick(&["AND", "OR", "XOR", "NOT", "bad"]), "b2", &k, *self.rng.pick(&["b0", "b1", "nosuch"])]),
            6 | 7 => {
                let mut v = c(&[if self.rng.chance(80) { "BITFIELD" } else { "BITFIELD_RO" }, &k]);
                for _ in 0..=self.rng.below(3) {
                    let ty = self.rng.pick(&["u8", "i8", "u1", "i64", "u63", "u64", "i16", "x"]).to_string();
                    let o = self.rng.pick(&["0", "5", "#1", "#3", "100", "-1"]).to_string();
                    match self.rng.below(4) {
                        0 => v.extend(c(&["GET", &ty, &o])),
                        1 => v.extend(c(&["SET", &ty, &o, &self.int()])),
                        2 => v.extend(c(&["INCRBY", &ty, &o, &self.int()])),
                        _ => v.extend(c(&["OVERFLOW", *self.rng.pick(&["WRAP", "SAT", "FAIL", "x"])])),
                    }
                }
                v
            }
            _ => c(&["GET", &k]),
        }
    }

    fn hll(&mut self) -> Cmd {
        let k = self.rng.pick(&["h0", "h1", "h2", "k0"]).to_string();
        match self.rng.below(5) {
            0 | 1 => {
                let mut v = c(&["PFADD", &k]);
                for _ in 0..self.rng.below(6) {
                    v.push(format!("e{}", self.rng.below(200)).into_bytes());
                }
                v
            }
            2 => c(&["PFCOUNT", &k]),
            3 => c(&["PFCOUNT", &k, *self.rng.pick(&["h0", "h1", "nosuch"])]),
            _ => c(&["PFMERGE", *self.rng.pick(&["h2", "h0", "k1"]), &k, *self.rng.pick(&["h1", "nosuch"])]),
        }
    }

    /// Hash commands over a few keys (shared with the string families, so WRONGTYPE both ways)
    /// and few fields, with the packed limits changed now and then. HGETALL/HKEYS/HVALS are
    /// compared sorted (a table's order is its own).
    fn hashes(&mut self) -> Cmd {
        let k = self.rng.pick(&["hs0", "hs1", "hs2", "k0", "h0"]).to_string();
        let f = |g: &mut Self| (*g.rng.pick(&["a", "b", "c", "", "n", "long-field-name-over-eight"])).to_string();
        match self.rng.below(16) {
            0..=2 => {
                let mut v = c(&[*self.rng.pick(&["HSET", "HSET", "HMSET"]), &k]);
                for _ in 0..1 + self.rng.below(3) {
                    let (field, value) = (f(self), self.small());
                    v.push(field.into_bytes());
                    v.push(value.into_bytes());
                }
                v
            }
            3 => c(&["HSETNX", &k, &f(self), &self.small()]),
            4 => c(&["HGET", &k, &f(self)]),
            5 => c(&["HMGET", &k, &f(self), &f(self)]),
            6 => c(&["HDEL", &k, &f(self), &f(self)]),
            7 => c(&["HLEN", &k]),
            8 => c(&["HSTRLEN", &k, &f(self)]),
            9 => c(&["HEXISTS", &k, &f(self)]),
            10 => c(&[*self.rng.pick(&["HGETALL", "HKEYS", "HVALS"]), &k]),
            11 => c(&["HINCRBY", &k, &f(self), &self.int()]),
            12 => c(&["HINCRBYFLOAT", &k, &f(self), &self.float()]),
            13 => c(&["OBJECT", "ENCODING", &k]),
            14 => c(&["TYPE", &k]),
            _ => c(&[
                "CONFIG",
                "SET",
                *self.rng.pick(&["hash-max-listpack-entries", "hash-max-listpack-value", "hash-max-ziplist-entries"]),
                *self.rng.pick(&["2", "3", "8", "128", "0"]),
            ]),
        }
    }

    /// `numkeys key...` for the multi-key commands: one to three keys from `pool`, the count
    /// now and then wrong (zero, negative, more than given, not a number). Returns the number
    /// of keys given.
    fn numkeys(&mut self, pool: &[&str], v: &mut Cmd) -> usize {
        let n = 1 + self.rng.below(3);
        let declared = if self.rng.chance(8) { (*self.rng.pick(&["0", "-1", "x", "4"])).to_string() } else { n.to_string() };
        v.push(declared.into_bytes());
        for _ in 0..n {
            v.push(self.rng.pick(pool).as_bytes().to_vec());
        }
        n
    }

    /// A blocking command's timeout (see `TIMEOUTS`: it never blocks for good).
    fn timeout(&mut self) -> String {
        (*self.rng.pick(TIMEOUTS)).to_string()
    }

    /// List commands over a few keys (shared with the string and hash families, so WRONGTYPE
    /// both ways) and few elements: indexes, counts and ranks at and past the ends, zero,
    /// negative and malformed; the packed-node size changed now and then. The blocking forms
    /// wait 10 ms at most. All replies are deterministic.
    fn lists(&mut self) -> Cmd {
        let k = (*self.rng.pick(LKEYS)).to_string();
        let k2 = (*self.rng.pick(LKEYS)).to_string();
        let e = |g: &mut Self| (*g.rng.pick(LELEMENTS)).to_string();
        let idx = |g: &mut Self| (*g.rng.pick(LINDEXES)).to_string();
        let side = |g: &mut Self| (*g.rng.pick(&["LEFT", "RIGHT", "LEFT", "RIGHT", "left", "UP"])).to_string();
        let count = |g: &mut Self| (*g.rng.pick(&["0", "1", "2", "3", "10", "-1", "x"])).to_string();
        match self.rng.below(26) {
            0..=3 => {
                let mut v = c(&[*self.rng.pick(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), &k]);
                for _ in 0..1 + self.rng.below(3) {
                    v.push(e(self).into_bytes());
                }
                v
            }
            4 => c(&[*self.rng.pick(&["LPOP", "RPOP"]), &k]),
            5 => c(&[*self.rng.pick(&["LPOP", "RPOP"]), &k, &count(self)]),
            6 => c(&["LLEN", &k]),
            7 | 8 => c(&["LRANGE", &k, &idx(self), &idx(self)]),
            9 => c(&["LINDEX", &k, &idx(self)]),
            10 => c(&["LSET", &k, &idx(self), &e(self)]),
            11 => c(&["LINSERT", &k, *self.rng.pick(&["BEFORE", "AFTER", "after", "MIDDLE"]), &e(self), &e(self)]),
            12 => c(&["LREM", &k, *self.rng.pick(&["0", "1", "2", "-1", "-2", "x"]), &e(self)]),
            13 => c(&["LTRIM", &k, &idx(self), &idx(self)]),
            14 | 15 => {
                let mut v = c(&["LPOS", &k, &e(self)]);
                for _ in 0..self.rng.below(4) {
                    match self.rng.below(3) {
                        0 => v.extend(c(&["RANK", *self.rng.pick(&["1", "2", "-1", "-2", "0", "x", "-9223372036854775808"])])),
                        1 => v.extend(c(&["COUNT", *self.rng.pick(&["0", "1", "2", "-1", "x"])])),
                        _ => v.extend(c(&["MAXLEN", *self.rng.pick(&["0", "1", "2", "-1", "x"])])),
                    }
                }
                v
            }
            16 => c(&["LMOVE", &k, &k2, &side(self), &side(self)]),
            17 => c(&["RPOPLPUSH", &k, &k2]),
            // The blocking forms are fewer than the others: each that times out costs its 10 ms
            // or more (a server may notice the timeout only at its next tick).
            18 | 22 => {
                let mut v = if self.rng.chance(50) { c(&["LMPOP"]) } else { c(&["BLMPOP", &self.timeout()]) };
                self.numkeys(LKEYS, &mut v);
                v.push(side(self).into_bytes());
                if self.rng.chance(40) {
                    v.extend(c(&["COUNT", &count(self)]));
                }
                v
            }
            19 => {
                let mut v = c(&[*self.rng.pick(&["BLPOP", "BRPOP"]), &k]);
                if self.rng.chance(40) {
                    v.push(k2.as_bytes().to_vec());
                }
                v.push(self.timeout().into_bytes());
                v
            }
            20 => c(&["LRANGE", &k, "0", "-1"]),
            21 => {
                if self.rng.chance(50) {
                    c(&["BLMOVE", &k, &k2, &side(self), &side(self), &self.timeout()])
                } else {
                    c(&["BRPOPLPUSH", &k, &k2, &self.timeout()])
                }
            }
            23 => c(&["OBJECT", "ENCODING", &k]),
            24 => c(&["TYPE", &k]),
            _ => c(&[
                "CONFIG",
                "SET",
                *self.rng.pick(&["list-max-listpack-size", "list-max-ziplist-size"]),
                *self.rng.pick(&["-1", "-2", "-5", "1", "3", "128"]),
            ]),
        }
    }

    /// Set commands over a few keys (shared with the string and hash families, so WRONGTYPE
    /// both ways) and at most ten members, small integers and words, so sets go from intsets
    /// to tables on a word or past the intset limit (changed now and then). Random replies:
    /// SPOP with a count pops at least ten, so every member; without one it pops from `sp`,
    /// which only ever holds "extra" (what the malformed variants add is that same member);
    /// SRANDMEMBER is compared by how many it gave. SMEMBERS, SINTER, SUNION, SDIFF, SPOP and
    /// SSCAN are compared sorted (a table's order is its own).
    fn sets(&mut self) -> Cmd {
        let k = (*self.rng.pick(SKEYS)).to_string();
        let k2 = (*self.rng.pick(SKEYS)).to_string();
        let m = |g: &mut Self| (*g.rng.pick(SET_MEMBERS)).to_string();
        match self.rng.below(22) {
            0..=2 => {
                let ints = self.rng.chance(50);
                let mut v = c(&["SADD", &k]);
                for _ in 0..1 + self.rng.below(3) {
                    let member = if ints { (*self.rng.pick(SET_INTS)).to_string() } else { m(self) };
                    v.push(member.into_bytes());
                }
                v
            }
            3 => c(&["SREM", &k, &m(self), &m(self)]),
            4 => c(&["SMEMBERS", &k]),
            5 => c(&["SISMEMBER", &k, &m(self)]),
            6 => c(&["SMISMEMBER", &k, &m(self), &m(self)]),
            7 => c(&["SCARD", &k]),
            8 => c(&["SPOP", &k, *self.rng.pick(&["10", "20", "0", "-1", "x"])]),
            9 => {
                if self.rng.chance(50) {
                    c(&["SADD", "sp", "extra"])
                } else {
                    c(&["SPOP", "sp"])
                }
            }
            10 => c(&["SRANDMEMBER", &k]),
            11 => c(&["SRANDMEMBER", &k, *self.rng.pick(&["1", "3", "10", "0", "-3", "-20", "x", "-9223372036854775808"])]),
            12 => c(&["SMOVE", &k, &k2, &m(self)]),
            13 | 14 => {
                let mut v = c(&[*self.rng.pick(&["SINTER", "SUNION", "SDIFF"])]);
                for _ in 0..1 + self.rng.below(3) {
                    v.push(self.rng.pick(SINPUTS).as_bytes().to_vec());
                }
                v
            }
            15 => {
                let mut v = c(&["SINTERCARD"]);
                self.numkeys(SINPUTS, &mut v);
                if self.rng.chance(40) {
                    v.extend(c(&["LIMIT", *self.rng.pick(&["0", "1", "2", "-1", "x"])]));
                }
                v
            }
            16 => {
                let mut v = c(&[*self.rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), &k]);
                for _ in 0..1 + self.rng.below(3) {
                    v.push(self.rng.pick(SINPUTS).as_bytes().to_vec());
                }
                v
            }
            // The whole set in one reply (cursor 0) on these small sets.
            17 => c(&["SSCAN", &k, *self.rng.pick(&["0", "0", "0", "x"]), "COUNT", "1000"]),
            18 => c(&["OBJECT", "ENCODING", &k]),
            19 => c(&["TYPE", &k]),
            _ => c(&["CONFIG", "SET", "set-max-intset-entries", *self.rng.pick(&["0", "1", "2", "3", "512"])]),
        }
    }

    /// Sorted-set commands over a few keys (shared with the string and hash families, so
    /// WRONGTYPE both ways; ZUNION and friends read the set family's sets too) with few members
    /// and odd scores (inf, 1e308, 0.1, -0, malformed); the packed limits changed now and then.
    /// Lex ranges go to `zl` only, whose scores are all 0 (ZADD gives it no other, nothing
    /// else writes it but removals): over mixed scores their result is unspecified, and Redis's
    /// own differs between its encodings. Blocking pops wait 10 ms at most. ZSCAN is compared
    /// sorted (a skiplist's table has its own order); ZRANDMEMBER is left out.
    fn zsets(&mut self) -> Cmd {
        match self.rng.below(10) {
            0..=3 => self.zset_members(),
            4..=6 => self.zset_ranges(),
            _ => self.zset_multi(),
        }
    }

    /// A score: mostly a small integer, else odd or malformed.
    fn zscore(&mut self) -> String {
        const ODD: &[&str] = &["0.1", "-0", "2.5", "inf", "-inf", "+inf", "1e308", "-1e308", "abc", "(1", "nan", "", "1e400", " 1"];
        if self.rng.chance(60) {
            self.rng.range(-3, 5).to_string()
        } else {
            (*self.rng.pick(ODD)).to_string()
        }
    }

    /// ZADD with up to two flags (any combination, compatible or not) and one to three pairs;
    /// with `zero`, every score is 0 (for `zl`).
    fn zadd(&mut self, k: &str, zero: bool) -> Cmd {
        let mut v = c(&["ZADD", k]);
        for _ in 0..self.rng.below(3) {
            v.push(self.rng.pick(&["NX", "XX", "GT", "LT", "CH", "INCR", "ch", "BAD"]).as_bytes().to_vec());
        }
        for _ in 0..1 + self.rng.below(3) {
            let score = if zero { "0".to_string() } else { self.zscore() };
            v.push(score.into_bytes());
            v.push(self.rng.pick(ZMEMBERS).as_bytes().to_vec());
        }
        v
    }

    /// ZADD and the commands on single members and whole sorted sets.
    fn zset_members(&mut self) -> Cmd {
        let k = (*self.rng.pick(ZKEYS)).to_string();
        let m = |g: &mut Self| (*g.rng.pick(ZMEMBERS)).to_string();
        match self.rng.below(16) {
            0..=2 => self.zadd(&k, false),
            3 => self.zadd("zl", true),
            4 => c(&["ZINCRBY", &k, &self.zscore(), &m(self)]),
            5 => c(&["ZREM", &k, &m(self), &m(self)]),
            6 => c(&["ZCARD", *self.rng.pick(ZREAD_KEYS)]),
            7 => c(&["ZSCORE", *self.rng.pick(ZREAD_KEYS), &m(self)]),
            8 => c(&["ZMSCORE", *self.rng.pick(ZREAD_KEYS), &m(self), &m(self)]),
            9 => c(&[*self.rng.pick(&["ZRANK", "ZREVRANK"]), *self.rng.pick(ZREAD_KEYS), &m(self)]),
            // The whole set in one reply (cursor 0) on these small sets.
            10 => c(&["ZSCAN", *self.rng.pick(ZREAD_KEYS), *self.rng.pick(&["0", "0", "0", "x"]), "COUNT", "1000"]),
            11 => c(&["OBJECT", "ENCODING", *self.rng.pick(ZREAD_KEYS)]),
            12 => c(&["TYPE", *self.rng.pick(ZREAD_KEYS)]),
            13 => c(&[
                "CONFIG",
                "SET",
                *self.rng.pick(&["zset-max-listpack-value", "zset-max-ziplist-value"]),
                *self.rng.pick(&["0", "1", "2", "5", "64"]),
            ]),
            _ => c(&[
                "CONFIG",
                "SET",
                *self.rng.pick(&["zset-max-listpack-entries", "zset-max-ziplist-entries"]),
                *self.rng.pick(&["0", "1", "2", "3", "8", "128"]),
            ]),
        }
    }

    /// ZRANGE's options after the bounds: BYSCORE or BYLEX as `by` says (0 is by rank), then
    /// REV, LIMIT and WITHSCORES now and then (LIMIT by rank and WITHSCORES with BYLEX are
    /// errors, and so is WITHSCORES in ZRANGESTORE).
    fn zrange_options(&mut self, v: &mut Cmd, by: usize) {
        match by {
            1 => v.push(b"BYSCORE".to_vec()),
            2 => v.push(b"BYLEX".to_vec()),
            _ => {}
        }
        if self.rng.chance(30) {
            v.push(b"REV".to_vec());
        }
        if self.rng.chance(if by == 0 { 5 } else { 40 }) {
            v.extend(c(&["LIMIT", *self.rng.pick(&["0", "1", "2", "-1", "x", "100"]), *self.rng.pick(&["0", "1", "2", "-1", "x"])]));
        }
        if self.rng.chance(if by == 2 { 5 } else { 30 }) {
            v.push(b"WITHSCORES".to_vec());
        }
    }

    /// The range commands of sorted sets, by rank, score or lex (lex on `zl` only), forward and
    /// reversed, with LIMIT and WITHSCORES; their counting and removing forms too.
    fn zset_ranges(&mut self) -> Cmd {
        let by = self.rng.below(3);
        let (keys, bounds) = match by {
            0 => (ZREAD_KEYS, ZRANKS),
            1 => (ZREAD_KEYS, ZSCORE_BOUNDS),
            _ => (ZLEX_KEYS, ZLEX_BOUNDS),
        };
        let k = (*self.rng.pick(keys)).to_string();
        let lo = (*self.rng.pick(bounds)).to_string();
        let hi = (*self.rng.pick(bounds)).to_string();
        match self.rng.below(10) {
            0..=2 => {
                let mut v = c(&["ZRANGE", &k, &lo, &hi]);
                self.zrange_options(&mut v, by);
                v
            }
            3 => {
                let mut v = c(&["ZRANGESTORE", *self.rng.pick(ZKEYS), &k, &lo, &hi]);
                self.zrange_options(&mut v, by);
                v
            }
            // The older forms, each with its own kind of range.
            4 | 5 => {
                let name = match by {
                    0 => "ZREVRANGE",
                    1 => *self.rng.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
                    _ => *self.rng.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]),
                };
                let mut v = c(&[name, &k, &lo, &hi]);
                if by != 2 && self.rng.chance(40) {
                    v.push(b"WITHSCORES".to_vec());
                }
                if by != 0 && self.rng.chance(30) {
                    v.extend(c(&["LIMIT", *self.rng.pick(&["0", "1", "2", "-1", "x"]), *self.rng.pick(&["0", "1", "2", "-1", "x"])]));
                }
                v
            }
            6 => c(&[if by == 2 { "ZLEXCOUNT" } else { "ZCOUNT" }, &k, &lo, &hi]),
            _ => {
                let name = match by {
                    0 => "ZREMRANGEBYRANK",
                    1 => "ZREMRANGEBYSCORE",
                    _ => "ZREMRANGEBYLEX",
                };
                c(&[name, &k, &lo, &hi])
            }
        }
    }

    /// The pops (the blocking ones wait 10 ms at most) and the commands over several sorted
    /// sets, whose inputs may be plain sets (members scored 1), with WEIGHTS (inf and 0 too:
    /// their product is NaN, which Redis counts as 0) and AGGREGATE.
    fn zset_multi(&mut self) -> Cmd {
        let k = (*self.rng.pick(ZREAD_KEYS)).to_string();
        let side = |g: &mut Self| (*g.rng.pick(&["MIN", "MAX", "MIN", "MAX", "min", "MID"])).to_string();
        let count = |g: &mut Self| (*g.rng.pick(&["0", "1", "2", "10", "-1", "x"])).to_string();
        match self.rng.below(12) {
            0 => c(&[*self.rng.pick(&["ZPOPMIN", "ZPOPMAX"]), &k]),
            1 => c(&[*self.rng.pick(&["ZPOPMIN", "ZPOPMAX"]), &k, &count(self)]),
            2 | 3 => {
                let mut v = if self.rng.chance(50) { c(&["ZMPOP"]) } else { c(&["BZMPOP", &self.timeout()]) };
                self.numkeys(ZREAD_KEYS, &mut v);
                v.push(side(self).into_bytes());
                if self.rng.chance(40) {
                    v.extend(c(&["COUNT", &count(self)]));
                }
                v
            }
            4 => {
                let mut v = c(&[*self.rng.pick(&["BZPOPMIN", "BZPOPMAX"]), &k]);
                if self.rng.chance(40) {
                    v.push(self.rng.pick(ZREAD_KEYS).as_bytes().to_vec());
                }
                v.push(self.timeout().into_bytes());
                v
            }
            5..=7 => {
                let mut v = c(&[*self.rng.pick(&["ZUNION", "ZINTER", "ZDIFF"])]);
                self.zcombine(&mut v);
                if self.rng.chance(40) {
                    v.push(b"WITHSCORES".to_vec());
                }
                v
            }
            8..=10 => {
                let mut v = c(&[*self.rng.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), *self.rng.pick(ZKEYS)]);
                self.zcombine(&mut v);
                v
            }
            _ => {
                let mut v = c(&["ZINTERCARD"]);
                self.numkeys(ZINPUTS, &mut v);
                if self.rng.chance(40) {
                    v.extend(c(&["LIMIT", *self.rng.pick(&["0", "1", "2", "-1", "x"])]));
                }
                v
            }
        }
    }

    /// `numkeys input...` then WEIGHTS (now and then one too many) and AGGREGATE now and then,
    /// for ZUNION, ZINTER, ZDIFF (which takes neither: errors) and their STORE forms.
    fn zcombine(&mut self, v: &mut Cmd) {
        let n = self.numkeys(ZINPUTS, v);
        if self.rng.chance(30) {
            v.push(b"WEIGHTS".to_vec());
            let given = if self.rng.chance(10) { n + 1 } else { n };
            for _ in 0..given {
                v.push(self.rng.pick(&["1", "2", "0", "-1", "0.5", "inf", "-inf", "abc"]).as_bytes().to_vec());
            }
        }
        if self.rng.chance(30) {
            v.extend(c(&["AGGREGATE", *self.rng.pick(&["SUM", "MIN", "MAX", "max", "AVG"])]));
        }
    }

    fn misc(&mut self) -> Cmd {
        match self.rng.below(13) {
            // WAIT with no replicas: 0 at once (a positive count would wait out its timeout).
            11 => c(&["WAIT", *self.rng.pick(&["0", "-1", "x"]), *self.rng.pick(&["0", "-5", "1.5", "abc"])]),
            0 => c(&["PING"]),
            1 => c(&["ECHO", &self.value()]),
            2 => c(&["PING", "a", "b"]),
            3 => c(&["NOSUCHCOMMAND", &self.value()]),
            4 => {
                c(&["CONFIG", "GET", *self.rng.pick(&["hll-sparse-max-bytes", "lfu-log-factor", "slowlog-max-len", "nosuch", "maxmemory"])])
            }
            5 => c(&[
                "CONFIG",
                "SET",
                *self.rng.pick(&["hll-sparse-max-bytes", "lfu-log-factor", "slowlog-max-len", "nosuch", "appendfsync", "hz"]),
                *self.rng.pick(&["100", "3000", "-1", "abc", "everysec", "1000", "1gb"]),
            ]),
            6 => c(&["OBJECT", "FOO"]),
            7 => c(&["CLIENT", "GETNAME"]),
            8 => c(&["CLIENT", "SETNAME", *self.rng.pick(&["a", "b c", "", "x\n"])]),
            9 => c(&["COMMAND", "GETKEYS", "SET", "a", "b"]),
            10 => c(&["COMMAND", "GETKEYS", *self.rng.pick(&["GET", "MSET", "PING", "NOPE"]), "a", "b"]),
            _ => c(&[*self.rng.pick(&["EXEC", "DISCARD", "UNWATCH"])]),
        }
    }

    /// A whole MULTI ... EXEC/DISCARD block, sometimes with WATCH before it.
    fn transaction(&mut self, families: &[String]) -> Vec<Cmd> {
        let mut v = Vec::new();
        if self.rng.chance(40) {
            v.push(c(&["WATCH", &self.key()]));
            if self.rng.chance(50) {
                v.push(self.one(families));
            }
        }
        v.push(c(&["MULTI"]));
        for _ in 0..self.rng.below(5) {
            // Replies compared loosely (KEYS order, clock-derived times, random members) stay out
            // of EXEC, and so does OBJECT REFCOUNT: inside EXEC Redis counts the queued argument
            // that still references a value, an artefact of its memory management.
            let cmd = self.one(families);
            let loose = [
                "KEYS",
                "TTL",
                "PTTL",
                "EXPIRETIME",
                "PEXPIRETIME",
                "OBJECT",
                "HGETALL",
                "HKEYS",
                "HVALS",
                "DUMP",
                "SMEMBERS",
                "SINTER",
                "SUNION",
                "SDIFF",
                "SRANDMEMBER",
                "SPOP",
                "SSCAN",
                "ZSCAN",
            ]
            .iter()
            .any(|n| cmd[0].eq_ignore_ascii_case(n.as_bytes()));
            if !loose {
                v.push(cmd);
            }
        }
        v.push(c(&[*self.rng.pick(&["EXEC", "EXEC", "EXEC", "DISCARD"])]));
        v
    }

    fn one(&mut self, families: &[String]) -> Cmd {
        let fam = self.rng.pick(families).clone();
        let mut cmd = match fam.as_str() {
            "strings" => self.strings(),
            "keys" => self.keys(),
            "expire" => self.expire(),
            "bitmaps" => self.bitmaps(),
            "hll" => self.hll(),
            "hashes" => self.hashes(),
            "lists" => self.lists(),
            "sets" => self.sets(),
            "zsets" => self.zsets(),
            _ => self.misc(),
        };
        // Malformed variants: a dropped or an extra argument. SPOP keeps its count: without one
        // it pops a random member, and the servers' sets would part ways.
        if self.rng.chance(4) && cmd.len() > 1 && !cmd[0].eq_ignore_ascii_case(b"SPOP") {
            cmd.pop();
        } else if self.rng.chance(3) {
            cmd.push(b"extra".to_vec());
        }
        cmd
    }
}

/// Commands whose replies legitimately differ between servers, and how to compare them.
fn normalize(cmd: &Cmd, f: Frame) -> Frame {
    let name = String::from_utf8_lossy(&cmd[0]).to_ascii_uppercase();
    match (name.as_str(), f) {
        // SPOP's count (at least ten, see `sets`) takes every member, in the set's order.
        ("KEYS" | "HKEYS" | "HVALS" | "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "SPOP", Frame::Array(mut v)) => {
            sort_frames(&mut v);
            Frame::Array(v)
        }
        // Random members: that there is one, or how many there are.
        ("SRANDMEMBER", Frame::Bulk(_)) => Frame::Bulk(b"(a member)".to_vec()),
        ("SRANDMEMBER", Frame::Array(v)) => Frame::Bulk(format!("({} members)", v.len()).into_bytes()),
        // `SSCAN/ZSCAN key 0 COUNT 1000` on these small sets: cursor 0 and every member, in the
        // order of the server's table (sorted members; pairs sorted by member).
        ("SSCAN" | "ZSCAN", Frame::Array(mut v)) if v.len() == 2 => {
            if let Frame::Array(items) = &mut v[1] {
                if name == "SSCAN" {
                    sort_frames(items);
                } else {
                    sort_pairs(items);
                }
            }
            Frame::Array(v)
        }
        // Redis LZF-compresses strings over 20 bytes, Keel does not: longer payloads are
        // compared by what they hold, not their bytes (both servers read both).
        // Redis writes a small hash as a listpack (type 16), Keel as pairs (type 4): both read
        // Keel's (docs/commands.md, "Deviations"); tests/it/hashes.rs restores them in Redis.
        ("DUMP", Frame::Bulk(p)) if matches!(p.first(), Some(4 | 16)) => Frame::Bulk(b"(a payload of a hash)".to_vec()),
        // Redis 7.0 writes a list as a quicklist of listpacks (type 18), a set as an intset (11)
        // or a table (2), a sorted set as a listpack (17) or a skiplist (5); Keel writes a list
        // as its elements (1), a set as its members (2), a sorted set as pairs (5), which Redis
        // reads too. Their payloads are compared by the type they hold.
        ("DUMP", Frame::Bulk(p)) if matches!(p.first(), Some(1 | 18)) => Frame::Bulk(b"(a payload of a list)".to_vec()),
        ("DUMP", Frame::Bulk(p)) if matches!(p.first(), Some(2 | 11)) => Frame::Bulk(b"(a payload of a set)".to_vec()),
        ("DUMP", Frame::Bulk(p)) if matches!(p.first(), Some(5 | 17)) => Frame::Bulk(b"(a payload of a sorted set)".to_vec()),
        ("DUMP", Frame::Bulk(p)) if long_string_payload(&p) => Frame::Bulk(b"(a payload of a string over 20 bytes)".to_vec()),
        // Pairs, sorted by field.
        ("HGETALL", Frame::Array(mut v)) => {
            sort_pairs(&mut v);
            Frame::Array(v)
        }
        (_, f) => f,
    }
}

/// Sorts frames by their debug form (any fixed order does).
fn sort_frames(v: &mut [Frame]) {
    v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
}

/// Sorts a flat array of pairs (field and value, member and score) by pair.
fn sort_pairs(v: &mut Vec<Frame>) {
    let mut pairs: Vec<Vec<Frame>> = v.chunks(2).map(<[Frame]>::to_vec).collect();
    pairs.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    *v = pairs.concat();
}

/// A DUMP payload of a string Redis may have LZF-compressed (over 20 bytes).
fn long_string_payload(p: &[u8]) -> bool {
    p.get(1) == Some(&0xC3) || p.get(1..).is_some_and(|rest| keel::storage::codec::Reader::new(rest).length().is_ok_and(|n| n > 20))
}

/// Whether two replies agree: equal, or (for times derived from the clock) within the time
/// that passes between sending a command to one server and then to the other.
fn equivalent(cmd: &Cmd, a: &Frame, b: &Frame) -> bool {
    if a == b {
        return true;
    }
    let name = String::from_utf8_lossy(&cmd[0]).to_ascii_uppercase();
    let slack = match name.as_str() {
        "TTL" | "EXPIRETIME" => 2,
        "PTTL" | "PEXPIRETIME" => 2000,
        _ => return false,
    };
    matches!((a, b), (Frame::Int(x), Frame::Int(y)) if *x > 0 && *y > 0 && (x - y).abs() <= slack)
}

struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect {port}: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        Conn { s, buf: Vec::new() }
    }

    fn call(&mut self, cmd: &Cmd) -> Frame {
        let mut b = Vec::new();
        keel::protocol::encode_request(cmd, &mut b);
        self.s.write_all(&b).expect("write");
        loop {
            match frame::parse(&self.buf) {
                Ok(Some((f, n))) => {
                    self.buf.drain(..n);
                    return f;
                }
                Ok(None) => {}
                Err(e) => panic!("invalid RESP from server: {e:?}"),
            }
            let mut tmp = [0u8; 65536];
            let n = self.s.read(&mut tmp).expect("read");
            assert!(n > 0, "server closed the connection");
            self.buf.extend_from_slice(&tmp[..n]);
        }
    }
}

/// A frame in the notation case files use, long bulk strings shortened.
fn fmt_frame(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) if b.len() > 200 => format!("{}...({} bytes)", Frame::Bulk(b[..200].to_vec()), b.len()),
        other => other.to_string(),
    }
}

fn show(cmd: &Cmd) -> String {
    cmd.iter().map(|a| format!("{:?}", String::from_utf8_lossy(a))).collect::<Vec<_>>().join(" ")
}

/// Fresh connections to both servers with empty datasets and default settings.
fn fresh(kport: u16, rport: u16) -> (Conn, Conn) {
    let mut k = Conn::open(kport);
    let mut r = Conn::open(rport);
    for conn in [&mut k, &mut r] {
        conn.call(&c(&["FLUSHALL"]));
        conn.call(&c(&["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]));
        // The encoding limits the families change, back to their defaults: a seed replays alike
        // alone, after other seeds, and when shrunk.
        for (name, value) in [
            ("hash-max-listpack-entries", "128"),
            ("hash-max-listpack-value", "64"),
            ("list-max-listpack-size", "-2"),
            ("set-max-intset-entries", "512"),
            ("zset-max-listpack-entries", "128"),
            ("zset-max-listpack-value", "64"),
        ] {
            conn.call(&c(&["CONFIG", "SET", name, value]));
        }
        // Keys set with a past expiry linger until touched; active expiry would remove them at
        // a moment that differs between the servers, so it is off (needs DEBUG enabled).
        conn.call(&c(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]));
    }
    (k, r)
}

/// True if replaying `seq` on fresh servers gives a different reply somewhere.
fn differs(seq: &[Cmd], kport: u16, rport: u16) -> bool {
    let (mut k, mut r) = fresh(kport, rport);
    seq.iter().any(|cmd| !equivalent(cmd, &normalize(cmd, k.call(cmd)), &normalize(cmd, r.call(cmd))))
}

/// Delta debugging: removes chunks of the sequence while it still shows a difference.
fn shrink(mut seq: Vec<Cmd>, kport: u16, rport: u16) -> Vec<Cmd> {
    let mut chunk = seq.len() / 2;
    while chunk >= 1 {
        let mut i = 0;
        while i < seq.len() {
            let mut trial = seq.clone();
            trial.drain(i..(i + chunk).min(seq.len()));
            if differs(&trial, kport, rport) {
                seq = trial;
            } else {
                i += chunk;
            }
        }
        chunk /= 2;
    }
    seq
}

/// Runs one seeded sequence; Err describes the first difference.
fn run_seed(seed: u64, n: usize, families: &[String], ports: (u16, u16), verbose: bool, shrink_on_fail: bool) -> Result<usize, String> {
    let (kport, rport) = ports;
    let (mut k, mut r) = fresh(kport, rport);
    let mut g = Gen { rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1) };
    let mut history: Vec<String> = Vec::new();
    let mut sent_cmds: Vec<Cmd> = Vec::new();
    let mut sent = 0;
    while sent < n {
        let batch = if g.rng.chance(8) { g.transaction(families) } else { vec![g.one(families)] };
        for cmd in batch {
            sent += 1;
            sent_cmds.push(cmd.clone());
            let (kf, rf) = (normalize(&cmd, k.call(&cmd)), normalize(&cmd, r.call(&cmd)));
            let line = format!("{}  ->  {}", show(&cmd), fmt_frame(&rf));
            if verbose {
                println!("[{seed}:{sent}] {line}");
            }
            history.push(line);
            if !equivalent(&cmd, &kf, &rf) {
                if shrink_on_fail {
                    let small = shrink(sent_cmds, kport, rport);
                    eprintln!("shrunk to {} commands:", small.len());
                    let (mut k2, mut r2) = fresh(kport, rport);
                    for c in &small {
                        eprintln!("  {}  ->  keel {} / redis {}", show(c), fmt_frame(&k2.call(c)), fmt_frame(&r2.call(c)));
                    }
                }
                let tail = history.iter().rev().take(12).rev().cloned().collect::<Vec<_>>().join("\n  ");
                return Err(format!(
                    "seed {seed}, step {sent}: {}\n  keel:  {}\n  redis: {}\nlast commands (redis replies):\n  {tail}",
                    show(&cmd),
                    fmt_frame(&kf),
                    fmt_frame(&rf)
                ));
            }
        }
    }
    compare_datasets(&mut k, &mut r).map_err(|e| format!("seed {seed}: final state differs: {e}"))?;
    Ok(sent)
}

/// Compares every key of databases 0-2: type, value (of any type), and expiry presence.
fn compare_datasets(k: &mut Conn, r: &mut Conn) -> Result<(), String> {
    for db in ["0", "1", "2"] {
        k.call(&c(&["SELECT", db]));
        r.call(&c(&["SELECT", db]));
        let keys = |f: Frame| match f {
            Frame::Array(mut v) => {
                v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
                v
            }
            other => panic!("KEYS gave {other:?}"),
        };
        let (kk, rk) = (keys(k.call(&c(&["KEYS", "*"]))), keys(r.call(&c(&["KEYS", "*"]))));
        if kk != rk {
            return Err(format!("db {db}: keys {kk:?} vs {rk:?}"));
        }
        for key in kk {
            let Frame::Bulk(key) = key else { continue };
            let mut probes = vec![
                vec![b"TYPE".to_vec(), key.clone()],
                vec![b"GET".to_vec(), key.clone()],
                vec![b"EXPIRETIME".to_vec(), key.clone()],
                vec![b"HGETALL".to_vec(), key.clone()],
            ];
            // A collection's members, read with its own type's command only (so a run of other
            // families needs no reader of a type Keel may not have yet).
            let reader: &[&str] = match r.call(&vec![b"TYPE".to_vec(), key.clone()]) {
                Frame::Simple(t) if t == b"list" => &["LRANGE", "0", "-1"][..],
                Frame::Simple(t) if t == b"set" => &["SMEMBERS"][..],
                Frame::Simple(t) if t == b"zset" => &["ZRANGE", "0", "-1", "WITHSCORES"][..],
                _ => &[][..],
            };
            if let Some((name, args)) = reader.split_first() {
                let mut probe = vec![name.as_bytes().to_vec(), key.clone()];
                probe.extend(args.iter().map(|a| a.as_bytes().to_vec()));
                probes.push(probe);
            }
            for probe in probes {
                let (a, b) = (normalize(&probe, k.call(&probe)), normalize(&probe, r.call(&probe)));
                if !equivalent(&probe, &a, &b) {
                    return Err(format!("db {db}: {} -> {} vs {}", show(&probe), fmt_frame(&a), fmt_frame(&b)));
                }
            }
        }
    }
    Ok(())
}

struct Spawned(Child, PathBuf);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn spawn(program: &str, args: &[String], tag: &str) -> (Spawned, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let dir = std::env::temp_dir().join(format!("keel-compat-{tag}-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut full: Vec<String> = vec!["--port".into(), port.to_string(), "--dir".into(), dir.display().to_string()];
    full.extend(args.iter().cloned());
    let mut child = Command::new(program)
        .args(&full)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    for _ in 0..1000 {
        if keel::testkit::serving(port) {
            return (Spawned(child, dir), port);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{program} did not start");
}

/// Expands directories into their `*.cases` files, sorted.
fn case_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .expect("read dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "cases"))
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Runs case files against the chosen servers, each file on freshly started servers (or on
/// the given ports, flushed first). Returns the number of failed expectations.
fn run_case_files(a: &Args) -> usize {
    let mut failed = 0;
    for file in case_files(&a.cases) {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let cases = keel::testkit::parse_cases(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut targets: Vec<(&str, u16, Option<Spawned>)> = Vec::new();
        if a.against != "redis" {
            match a.keel_port {
                Some(p) => targets.push(("keel", p, None)),
                None => {
                    let exe = std::env::current_exe().expect("exe").with_file_name("keel-server");
                    let (g, p) = spawn(&exe.display().to_string(), &["--enable-debug-command".into(), "yes".into()], "keel");
                    targets.push(("keel", p, Some(g)));
                }
            }
        }
        if a.against != "keel" {
            match a.redis_port {
                Some(p) => targets.push(("redis", p, None)),
                None => {
                    let args: Vec<String> =
                        ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"].iter().map(|s| (*s).to_string()).collect();
                    let (g, p) = spawn("redis-server", &args, "redis");
                    targets.push(("redis", p, Some(g)));
                }
            }
        }
        for (name, port, _guard) in &targets {
            let mut cl = keel::testkit::Client::connect(*port).expect("connect");
            for setup in [&["RESET"][..], &["FLUSHALL"][..]] {
                cl.call(setup).expect("setup");
            }
            for f in keel::testkit::run_cases(&cases, &mut cl) {
                eprintln!("{} [{name}] {f}", file.display());
                failed += 1;
            }
        }
        if a.verbose {
            println!("{}: {} steps", file.display(), cases.len());
        }
    }
    failed
}

fn main() {
    let a = Args::parse();
    if !a.cases.is_empty() {
        let failed = run_case_files(&a);
        if failed > 0 {
            eprintln!("keel-compat: {failed} expectation(s) failed");
            std::process::exit(1);
        }
        println!("keel-compat: all case files pass on {}", a.against);
        return;
    }
    let all = ["strings", "keys", "expire", "bitmaps", "hll", "hashes", "lists", "sets", "zsets", "misc"];
    let families: Vec<String> = if a.families.is_empty() { all.iter().map(|s| (*s).to_string()).collect() } else { a.families.clone() };
    let mut guards = Vec::new();
    let kport = a.keel_port.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("exe").with_file_name("keel-server");
        let (g, p) = spawn(&exe.display().to_string(), &["--enable-debug-command".into(), "yes".into()], "keel");
        guards.push(g);
        p
    });
    let rport = a.redis_port.unwrap_or_else(|| {
        let args: Vec<String> = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--enable-debug-command", "yes"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let (g, p) = spawn("redis-server", &args, "redis");
        guards.push(g);
        p
    });
    let mut total = 0;
    for seed in a.seed..a.seed + a.runs {
        match run_seed(seed, a.commands, &families, (kport, rport), a.verbose, a.shrink) {
            Ok(n) => total += n,
            Err(e) => {
                eprintln!("MISMATCH {e}");
                drop(guards);
                std::process::exit(1);
            }
        }
    }
    println!("keel-compat: {} seeds, {total} commands, replies identical to redis-server", a.runs);
}
