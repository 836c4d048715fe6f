//! Model-based property tests, one per collection type: a random sequence of commands on
//! three keys with small alphabets (so members collide, collections empty out and are
//! deleted, indexes fall out of range, keys are missing) runs against one Keel server and
//! against a plain Rust model kept in the test. Every reply must equal the model's frame for
//! frame, and at the end of each case so must the whole content of every key and its TYPE.
//!
//! Models: lists are `VecDeque`s, hashes `BTreeMap`s, sets `BTreeSet`s, sorted sets a `Vec`
//! of (score, member) kept in (score, member) order. An empty model collection stands for a
//! missing key. Replies whose order Redis leaves to the encoding (SMEMBERS, SINTER and
//! friends, HGETALL of a hash table) are sorted before they are compared.
//!
//! One server per test function (not per case); each case starts with FLUSHALL. The log
//! syncs every second so the cases do not wait for the disk; replies still wait for the
//! write, so the write path is the ordinary one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use keel::protocol::frame::Frame;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use proptest::{collection, option};

use crate::common::{err, int, nil, ok, st, Raw, Server};

/// The keys every case works on.
const KEYS: [&str; 3] = ["ka", "kb", "kc"];
/// Random cases per test function.
const CASES: u32 = 64;
/// Operations per case, at most.
const OPS_MAX: usize = 60;

/// A command as separate arguments, each written with `to_string`.
macro_rules! args {
    ($($part:expr),* $(,)?) => { vec![$($part.to_string().into_bytes()),*] };
}

// ---------------------------------------------------------------------------------------
// The harness: steps (a command and the model's reply), the runner, shared helpers.
// ---------------------------------------------------------------------------------------

/// How a reply is compared with the model's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// As is.
    Exact,
    /// An array whose elements may come in any order (sorted by bytes before comparing).
    Sorted,
    /// A flat array of (field, value) pairs in any order (sorted by field).
    SortedPairs,
}

/// One command sent to Keel and the reply the model expects.
struct Step {
    args: Vec<Vec<u8>>,
    want: Frame,
    order: Order,
}

impl Step {
    fn exact(args: Vec<Vec<u8>>, want: Frame) -> Step {
        Step { args, want, order: Order::Exact }
    }

    fn sorted(args: Vec<Vec<u8>>, want: Frame) -> Step {
        Step { args, want, order: Order::Sorted }
    }

    fn sorted_pairs(args: Vec<Vec<u8>>, want: Frame) -> Step {
        Step { args, want, order: Order::SortedPairs }
    }

    /// Runs the command; Err describes a reply that differs from the model's.
    fn check(&self, c: &mut Raw) -> Result<(), String> {
        let got = in_order(c.cmd(&self.args), self.order);
        let want = in_order(self.want.clone(), self.order);
        if got == want {
            return Ok(());
        }
        let line: Vec<String> = self.args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        Err(format!("{}: Keel replied {}, the model expects {}", line.join(" "), show(&got), show(&want)))
    }
}

fn frame_bytes(f: &Frame) -> &[u8] {
    f.as_bytes().unwrap_or(&[])
}

/// Puts an unordered reply in a canonical order.
fn in_order(f: Frame, order: Order) -> Frame {
    match (order, f) {
        (Order::Sorted, Frame::Array(mut v)) => {
            v.sort_by(|a, b| frame_bytes(a).cmp(frame_bytes(b)));
            Frame::Array(v)
        }
        (Order::SortedPairs, Frame::Array(v)) => {
            let mut pairs = Vec::new();
            let mut it = v.into_iter();
            while let Some(field) = it.next() {
                pairs.push((field, it.next().unwrap_or(Frame::NullArray)));
            }
            pairs.sort_by(|a, b| frame_bytes(&a.0).cmp(frame_bytes(&b.0)));
            Frame::Array(pairs.into_iter().flat_map(|(f, v)| [f, v]).collect())
        }
        (_, f) => f,
    }
}

/// A reply written the way redis-cli would, for failure messages.
fn show(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) => format!("{:?}", String::from_utf8_lossy(b)),
        Frame::Simple(b) => format!("+{}", String::from_utf8_lossy(b)),
        Frame::Error(b) => format!("-{}", String::from_utf8_lossy(b)),
        Frame::Int(n) => format!(":{n}"),
        Frame::NullBulk => "nil".into(),
        Frame::NullArray => "*nil".into(),
        Frame::Array(v) => format!("[{}]", v.iter().map(show).collect::<Vec<_>>().join(", ")),
        other => format!("{other:?}"),
    }
}

/// Runs `CASES` random histories of `op` against one server and a fresh `M` each: every
/// step's reply, then the `contents` steps, must match.
fn check_model<S, M>(op: S, step: impl Fn(&mut M, &S::Value) -> Vec<Step>, contents: impl Fn(&M) -> Vec<Step>)
where
    S: Strategy,
    M: Default,
{
    let server = Server::start_with(&["--appendfsync", "everysec"]);
    let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
    let histories = collection::vec(op, 1..=OPS_MAX);
    let outcome = runner.run(&histories, |history| {
        let mut c = server.raw();
        prop_assert_eq!(c.q("FLUSHALL"), ok());
        let mut model = M::default();
        for (i, op) in history.iter().enumerate() {
            for s in step(&mut model, op) {
                s.check(&mut c).map_err(|e| TestCaseError::fail(format!("op {i} ({op:?}): {e}")))?;
            }
        }
        for s in contents(&model) {
            s.check(&mut c).map_err(|e| TestCaseError::fail(format!("after the last op: {e}")))?;
        }
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

fn key() -> std::ops::Range<usize> {
    0..KEYS.len()
}

fn len_int(n: usize) -> Frame {
    int(n as i64)
}

fn bool_int(b: bool) -> Frame {
    int(i64::from(b))
}

fn bulk_array<'a>(items: impl IntoIterator<Item = &'a Vec<u8>>) -> Frame {
    Frame::Array(items.into_iter().map(|b| Frame::Bulk(b.clone())).collect())
}

fn empty_array() -> Frame {
    Frame::Array(Vec::new())
}

/// Redis's rule for a rank range (LRANGE, LTRIM, ZRANGE, ZREMRANGEBYRANK): the inclusive
/// positions `start..=stop` select in a collection of `len`, or None when they select none.
fn rank_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (start + len).max(0) } else { start };
    let mut stop = if stop < 0 { stop + len } else { stop };
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize))
}

/// A single index (LINDEX, LSET): negative counts from the end.
fn norm_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { index + len as i64 } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

// ---------------------------------------------------------------------------------------
// Lists.
// ---------------------------------------------------------------------------------------

type Lists = [VecDeque<Vec<u8>>; 3];

const LIST_ELEMS: [&str; 5] = ["a", "b", "c", "1", "22"];

#[derive(Debug, Clone)]
enum ListOp {
    Push { left: bool, key: usize, elems: Vec<&'static str> },
    Pop { left: bool, key: usize, count: Option<i64> },
    Index { key: usize, index: i64 },
    Set { key: usize, index: i64, elem: &'static str },
    Insert { key: usize, before: bool, pivot: &'static str, elem: &'static str },
    Rem { key: usize, count: i64, elem: &'static str },
    Trim { key: usize, start: i64, stop: i64 },
    Range { key: usize, start: i64, stop: i64 },
    Len { key: usize },
    Pos { key: usize, elem: &'static str, rank: Option<i64>, count: Option<i64> },
    Move { src: usize, dst: usize, from_left: bool, to_left: bool },
}

fn list_op() -> impl Strategy<Value = ListOp> {
    let elem = || select(LIST_ELEMS.to_vec());
    let index = || -7i64..7;
    prop_oneof![
        6 => (any::<bool>(), key(), collection::vec(elem(), 1..4)).prop_map(|(left, key, elems)| ListOp::Push { left, key, elems }),
        3 => (any::<bool>(), key(), option::of(0i64..4)).prop_map(|(left, key, count)| ListOp::Pop { left, key, count }),
        2 => (key(), index()).prop_map(|(key, index)| ListOp::Index { key, index }),
        2 => (key(), index(), elem()).prop_map(|(key, index, elem)| ListOp::Set { key, index, elem }),
        2 => (key(), any::<bool>(), elem(), elem())
            .prop_map(|(key, before, pivot, elem)| ListOp::Insert { key, before, pivot, elem }),
        2 => (key(), -3i64..4, elem()).prop_map(|(key, count, elem)| ListOp::Rem { key, count, elem }),
        1 => (key(), index(), index()).prop_map(|(key, start, stop)| ListOp::Trim { key, start, stop }),
        2 => (key(), index(), index()).prop_map(|(key, start, stop)| ListOp::Range { key, start, stop }),
        1 => key().prop_map(|key| ListOp::Len { key }),
        2 => (key(), elem(), option::of(select(vec![-3i64, -2, -1, 1, 2, 3])), option::of(0i64..3))
            .prop_map(|(key, elem, rank, count)| ListOp::Pos { key, elem, rank, count }),
        2 => (key(), key(), any::<bool>(), any::<bool>())
            .prop_map(|(src, dst, from_left, to_left)| ListOp::Move { src, dst, from_left, to_left }),
    ]
}

fn pop_end(l: &mut VecDeque<Vec<u8>>, left: bool) -> Option<Vec<u8>> {
    if left {
        l.pop_front()
    } else {
        l.pop_back()
    }
}

fn push_end(l: &mut VecDeque<Vec<u8>>, left: bool, e: Vec<u8>) {
    if left {
        l.push_front(e);
    } else {
        l.push_back(e);
    }
}

fn side(left: bool) -> &'static str {
    if left {
        "LEFT"
    } else {
        "RIGHT"
    }
}

/// Applies one list op to the model: the command and the reply the model gives.
fn list_step(m: &mut Lists, op: &ListOp) -> Vec<Step> {
    let step = match op.clone() {
        ListOp::Push { left, key, elems } => {
            let l = &mut m[key];
            for e in &elems {
                push_end(l, left, e.as_bytes().to_vec());
            }
            let name = if left { "LPUSH" } else { "RPUSH" };
            let mut a = args![name, KEYS[key]];
            a.extend(elems.iter().map(|e| e.as_bytes().to_vec()));
            Step::exact(a, len_int(l.len()))
        }
        ListOp::Pop { left, key, count } => {
            let l = &mut m[key];
            let name = if left { "LPOP" } else { "RPOP" };
            match count {
                // Without a count: one element or a null bulk.
                None => Step::exact(args![name, KEYS[key]], pop_end(l, left).map_or(nil(), Frame::Bulk)),
                // With one: a null array for a missing key, else up to `n` (0 gives []).
                Some(n) => {
                    let want = if l.is_empty() {
                        Frame::NullArray
                    } else {
                        Frame::Array((0..n).map_while(|_| pop_end(l, left)).map(Frame::Bulk).collect())
                    };
                    Step::exact(args![name, KEYS[key], n], want)
                }
            }
        }
        ListOp::Index { key, index } => {
            let l = &m[key];
            let want = norm_index(index, l.len()).map_or(nil(), |i| Frame::Bulk(l[i].clone()));
            Step::exact(args!["LINDEX", KEYS[key], index], want)
        }
        ListOp::Set { key, index, elem } => {
            let l = &mut m[key];
            let want = if l.is_empty() {
                err("ERR no such key")
            } else if let Some(i) = norm_index(index, l.len()) {
                l[i] = elem.as_bytes().to_vec();
                ok()
            } else {
                err("ERR index out of range")
            };
            Step::exact(args!["LSET", KEYS[key], index, elem], want)
        }
        ListOp::Insert { key, before, pivot, elem } => {
            let l = &mut m[key];
            let want = if l.is_empty() {
                int(0)
            } else {
                match l.iter().position(|e| e.as_slice() == pivot.as_bytes()) {
                    None => int(-1),
                    Some(i) => {
                        l.insert(if before { i } else { i + 1 }, elem.as_bytes().to_vec());
                        len_int(l.len())
                    }
                }
            };
            let place = if before { "BEFORE" } else { "AFTER" };
            Step::exact(args!["LINSERT", KEYS[key], place, pivot, elem], want)
        }
        ListOp::Rem { key, count, elem } => {
            let l = &mut m[key];
            let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
            let mut removed = 0;
            if count >= 0 {
                let mut i = 0;
                while i < l.len() && removed < limit {
                    if l[i].as_slice() == elem.as_bytes() {
                        l.remove(i);
                        removed += 1;
                    } else {
                        i += 1;
                    }
                }
            } else {
                let mut i = l.len();
                while i > 0 && removed < limit {
                    i -= 1;
                    if l[i].as_slice() == elem.as_bytes() {
                        l.remove(i);
                        removed += 1;
                    }
                }
            }
            Step::exact(args!["LREM", KEYS[key], count, elem], len_int(removed))
        }
        ListOp::Trim { key, start, stop } => {
            let l = &mut m[key];
            match rank_range(start, stop, l.len()) {
                None => l.clear(),
                Some((s, e)) => {
                    l.truncate(e + 1);
                    l.drain(..s);
                }
            }
            Step::exact(args!["LTRIM", KEYS[key], start, stop], ok())
        }
        ListOp::Range { key, start, stop } => {
            let l = &m[key];
            let want = rank_range(start, stop, l.len()).map_or(empty_array(), |(s, e)| bulk_array(l.range(s..=e)));
            Step::exact(args!["LRANGE", KEYS[key], start, stop], want)
        }
        ListOp::Len { key } => Step::exact(args!["LLEN", KEYS[key]], len_int(m[key].len())),
        ListOp::Pos { key, elem, rank, count } => {
            let l = &m[key];
            let r = rank.unwrap_or(1);
            // A positive rank scans from the head, a negative one from the tail; |rank| - 1
            // matches are skipped.
            let scan: Vec<usize> = if r > 0 { (0..l.len()).collect() } else { (0..l.len()).rev().collect() };
            let mut found = scan.into_iter().filter(|&i| l[i].as_slice() == elem.as_bytes()).skip(r.unsigned_abs() as usize - 1);
            let mut a = args!["LPOS", KEYS[key], elem];
            if let Some(r) = rank {
                a.extend(args!["RANK", r]);
            }
            let want = match count {
                None => found.next().map_or(nil(), len_int),
                Some(c) => {
                    a.extend(args!["COUNT", c]);
                    let take = if c == 0 { usize::MAX } else { c as usize };
                    Frame::Array(found.take(take).map(len_int).collect())
                }
            };
            Step::exact(a, want)
        }
        ListOp::Move { src, dst, from_left, to_left } => {
            let want = match pop_end(&mut m[src], from_left) {
                None => nil(),
                Some(e) => {
                    push_end(&mut m[dst], to_left, e.clone());
                    Frame::Bulk(e)
                }
            };
            Step::exact(args!["LMOVE", KEYS[src], KEYS[dst], side(from_left), side(to_left)], want)
        }
    };
    vec![step]
}

fn list_contents(m: &Lists) -> Vec<Step> {
    KEYS.iter()
        .zip(m)
        .flat_map(|(k, l)| {
            [
                Step::exact(args!["LRANGE", k, "0", "-1"], bulk_array(l)),
                Step::exact(args!["LLEN", k], len_int(l.len())),
                Step::exact(args!["TYPE", k], st(if l.is_empty() { "none" } else { "list" })),
            ]
        })
        .collect()
}

#[test]
fn lists_match_a_model() {
    check_model(list_op(), list_step, list_contents);
}

// ---------------------------------------------------------------------------------------
// Hashes.
// ---------------------------------------------------------------------------------------

type Hashes = [BTreeMap<Vec<u8>, Vec<u8>>; 3];

const FIELDS: [&str; 4] = ["f", "g", "h", "ij"];
/// Integers (HINCRBY works on them) and strings (it refuses them).
const VALUES: [&str; 6] = ["0", "1", "-3", "42", "x", "hello"];

#[derive(Debug, Clone)]
enum HashOp {
    Set { key: usize, pairs: Vec<(&'static str, &'static str)> },
    SetNx { key: usize, field: &'static str, value: &'static str },
    Del { key: usize, fields: Vec<&'static str> },
    Get { key: usize, field: &'static str },
    MGet { key: usize, fields: Vec<&'static str> },
    Len { key: usize },
    Exists { key: usize, field: &'static str },
    StrLen { key: usize, field: &'static str },
    IncrBy { key: usize, field: &'static str, by: i64 },
}

fn hash_op() -> impl Strategy<Value = HashOp> {
    let field = || select(FIELDS.to_vec());
    let value = || select(VALUES.to_vec());
    prop_oneof![
        5 => (key(), collection::vec((field(), value()), 1..4)).prop_map(|(key, pairs)| HashOp::Set { key, pairs }),
        2 => (key(), field(), value()).prop_map(|(key, field, value)| HashOp::SetNx { key, field, value }),
        3 => (key(), collection::vec(field(), 1..4)).prop_map(|(key, fields)| HashOp::Del { key, fields }),
        2 => (key(), field()).prop_map(|(key, field)| HashOp::Get { key, field }),
        2 => (key(), collection::vec(field(), 1..5)).prop_map(|(key, fields)| HashOp::MGet { key, fields }),
        1 => key().prop_map(|key| HashOp::Len { key }),
        1 => (key(), field()).prop_map(|(key, field)| HashOp::Exists { key, field }),
        1 => (key(), field()).prop_map(|(key, field)| HashOp::StrLen { key, field }),
        3 => (key(), field(), -5i64..8).prop_map(|(key, field, by)| HashOp::IncrBy { key, field, by }),
    ]
}

/// Redis's strict integer syntax (string2ll): optional minus, no plus, no leading zeros,
/// no spaces, and not "-0".
fn redis_int(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical =
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0')) && s != "-0";
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

fn hash_step(m: &mut Hashes, op: &HashOp) -> Vec<Step> {
    let step = match op.clone() {
        HashOp::Set { key, pairs } => {
            let h = &mut m[key];
            let mut a = args!["HSET", KEYS[key]];
            let mut added = 0;
            for (f, v) in &pairs {
                a.extend(args![f, v]);
                if h.insert(f.as_bytes().to_vec(), v.as_bytes().to_vec()).is_none() {
                    added += 1;
                }
            }
            Step::exact(a, len_int(added))
        }
        HashOp::SetNx { key, field, value } => {
            let h = &mut m[key];
            let set = !h.contains_key(field.as_bytes());
            if set {
                h.insert(field.as_bytes().to_vec(), value.as_bytes().to_vec());
            }
            Step::exact(args!["HSETNX", KEYS[key], field, value], bool_int(set))
        }
        HashOp::Del { key, fields } => {
            let h = &mut m[key];
            let mut a = args!["HDEL", KEYS[key]];
            let mut removed = 0;
            for f in &fields {
                a.extend(args![f]);
                if h.remove(f.as_bytes()).is_some() {
                    removed += 1;
                }
            }
            Step::exact(a, len_int(removed))
        }
        HashOp::Get { key, field } => {
            let want = m[key].get(field.as_bytes()).map_or(nil(), |v| Frame::Bulk(v.clone()));
            Step::exact(args!["HGET", KEYS[key], field], want)
        }
        HashOp::MGet { key, fields } => {
            let h = &m[key];
            let mut a = args!["HMGET", KEYS[key]];
            a.extend(fields.iter().map(|f| f.as_bytes().to_vec()));
            let want = fields.iter().map(|f| h.get(f.as_bytes()).map_or(nil(), |v| Frame::Bulk(v.clone()))).collect();
            Step::exact(a, Frame::Array(want))
        }
        HashOp::Len { key } => Step::exact(args!["HLEN", KEYS[key]], len_int(m[key].len())),
        HashOp::Exists { key, field } => Step::exact(args!["HEXISTS", KEYS[key], field], bool_int(m[key].contains_key(field.as_bytes()))),
        HashOp::StrLen { key, field } => {
            let n = m[key].get(field.as_bytes()).map_or(0, Vec::len);
            Step::exact(args!["HSTRLEN", KEYS[key], field], len_int(n))
        }
        HashOp::IncrBy { key, field, by } => {
            let h = &mut m[key];
            // A missing field counts as 0; a value that is not an integer is refused.
            let want = match h.get(field.as_bytes()).map_or(Some(0), |v| redis_int(v)) {
                None => err("ERR hash value is not an integer"),
                Some(n) => match n.checked_add(by) {
                    None => err("ERR increment or decrement would overflow"),
                    Some(v) => {
                        h.insert(field.as_bytes().to_vec(), v.to_string().into_bytes());
                        int(v)
                    }
                },
            };
            Step::exact(args!["HINCRBY", KEYS[key], field, by], want)
        }
    };
    vec![step]
}

fn hash_contents(m: &Hashes) -> Vec<Step> {
    KEYS.iter()
        .zip(m)
        .flat_map(|(k, h)| {
            let pairs = h.iter().flat_map(|(f, v)| [Frame::Bulk(f.clone()), Frame::Bulk(v.clone())]).collect();
            [
                Step::sorted_pairs(args!["HGETALL", k], Frame::Array(pairs)),
                Step::exact(args!["HLEN", k], len_int(h.len())),
                Step::exact(args!["TYPE", k], st(if h.is_empty() { "none" } else { "hash" })),
            ]
        })
        .collect()
}

#[test]
fn hashes_match_a_model() {
    check_model(hash_op(), hash_step, hash_contents);
}

// ---------------------------------------------------------------------------------------
// Sets.
// ---------------------------------------------------------------------------------------

type Sets = [BTreeSet<Vec<u8>>; 3];

/// Integers and strings, so a set is an intset or a hash table depending on the history.
const MEMBERS: [&str; 6] = ["a", "b", "c", "1", "2", "3"];

#[derive(Debug, Clone, Copy)]
enum Algebra {
    Inter,
    Union,
    Diff,
}

impl Algebra {
    fn command(self) -> &'static str {
        match self {
            Algebra::Inter => "SINTER",
            Algebra::Union => "SUNION",
            Algebra::Diff => "SDIFF",
        }
    }

    /// The result over the model's sets; a missing key is an empty set.
    fn apply(self, m: &Sets, keys: &[usize]) -> BTreeSet<Vec<u8>> {
        let mut acc = m[keys[0]].clone();
        for &k in &keys[1..] {
            acc = match self {
                Algebra::Inter => acc.intersection(&m[k]).cloned().collect(),
                Algebra::Union => acc.union(&m[k]).cloned().collect(),
                Algebra::Diff => acc.difference(&m[k]).cloned().collect(),
            };
        }
        acc
    }
}

#[derive(Debug, Clone)]
enum SetOp {
    Add { key: usize, members: Vec<&'static str> },
    Rem { key: usize, members: Vec<&'static str> },
    IsMember { key: usize, member: &'static str },
    MIsMember { key: usize, members: Vec<&'static str> },
    Card { key: usize },
    Members { key: usize },
    Move { src: usize, dst: usize, member: &'static str },
    Store { alg: Algebra, dst: usize, keys: Vec<usize> },
    Read { alg: Algebra, keys: Vec<usize> },
}

fn set_op() -> impl Strategy<Value = SetOp> {
    let member = || select(MEMBERS.to_vec());
    let alg = || select(vec![Algebra::Inter, Algebra::Union, Algebra::Diff]);
    let keys = || collection::vec(key(), 1..4);
    prop_oneof![
        6 => (key(), collection::vec(member(), 1..4)).prop_map(|(key, members)| SetOp::Add { key, members }),
        3 => (key(), collection::vec(member(), 1..4)).prop_map(|(key, members)| SetOp::Rem { key, members }),
        2 => (key(), member()).prop_map(|(key, member)| SetOp::IsMember { key, member }),
        1 => (key(), collection::vec(member(), 1..5)).prop_map(|(key, members)| SetOp::MIsMember { key, members }),
        1 => key().prop_map(|key| SetOp::Card { key }),
        1 => key().prop_map(|key| SetOp::Members { key }),
        2 => (key(), key(), member()).prop_map(|(src, dst, member)| SetOp::Move { src, dst, member }),
        2 => (alg(), key(), keys()).prop_map(|(alg, dst, keys)| SetOp::Store { alg, dst, keys }),
        2 => (alg(), keys()).prop_map(|(alg, keys)| SetOp::Read { alg, keys }),
    ]
}

fn key_args(keys: &[usize]) -> Vec<Vec<u8>> {
    keys.iter().map(|&k| KEYS[k].as_bytes().to_vec()).collect()
}

fn set_step(m: &mut Sets, op: &SetOp) -> Vec<Step> {
    let step = match op.clone() {
        SetOp::Add { key, members } => {
            let s = &mut m[key];
            let mut a = args!["SADD", KEYS[key]];
            a.extend(members.iter().map(|e| e.as_bytes().to_vec()));
            let added = members.iter().filter(|e| s.insert(e.as_bytes().to_vec())).count();
            Step::exact(a, len_int(added))
        }
        SetOp::Rem { key, members } => {
            let s = &mut m[key];
            let mut a = args!["SREM", KEYS[key]];
            a.extend(members.iter().map(|e| e.as_bytes().to_vec()));
            let removed = members.iter().filter(|e| s.remove(e.as_bytes())).count();
            Step::exact(a, len_int(removed))
        }
        SetOp::IsMember { key, member } => Step::exact(args!["SISMEMBER", KEYS[key], member], bool_int(m[key].contains(member.as_bytes()))),
        SetOp::MIsMember { key, members } => {
            let mut a = args!["SMISMEMBER", KEYS[key]];
            a.extend(members.iter().map(|e| e.as_bytes().to_vec()));
            Step::exact(a, Frame::Array(members.iter().map(|e| bool_int(m[key].contains(e.as_bytes()))).collect()))
        }
        SetOp::Card { key } => Step::exact(args!["SCARD", KEYS[key]], len_int(m[key].len())),
        SetOp::Members { key } => Step::sorted(args!["SMEMBERS", KEYS[key]], bulk_array(&m[key])),
        SetOp::Move { src, dst, member } => {
            // 1 when the member is in the source (a move onto itself changes nothing).
            let moved = m[src].contains(member.as_bytes());
            if moved && src != dst {
                m[src].remove(member.as_bytes());
                m[dst].insert(member.as_bytes().to_vec());
            }
            Step::exact(args!["SMOVE", KEYS[src], KEYS[dst], member], bool_int(moved))
        }
        SetOp::Store { alg, dst, keys } => {
            // The sources are read before the destination is replaced (it may be one of them);
            // an empty result deletes the destination.
            let result = alg.apply(m, &keys);
            m[dst] = result;
            let n = m[dst].len();
            let mut a = args![format!("{}STORE", alg.command()), KEYS[dst]];
            a.extend(key_args(&keys));
            return vec![
                Step::exact(a, len_int(n)),
                Step::exact(args!["SCARD", KEYS[dst]], len_int(n)),
                Step::sorted(args!["SMEMBERS", KEYS[dst]], bulk_array(&m[dst])),
            ];
        }
        SetOp::Read { alg, keys } => {
            let mut a = args![alg.command()];
            a.extend(key_args(&keys));
            Step::sorted(a, bulk_array(&alg.apply(m, &keys)))
        }
    };
    vec![step]
}

fn set_contents(m: &Sets) -> Vec<Step> {
    KEYS.iter()
        .zip(m)
        .flat_map(|(k, s)| {
            [
                Step::sorted(args!["SMEMBERS", k], bulk_array(s)),
                Step::exact(args!["SCARD", k], len_int(s.len())),
                Step::exact(args!["TYPE", k], st(if s.is_empty() { "none" } else { "set" })),
            ]
        })
        .collect()
}

#[test]
fn sets_match_a_model() {
    check_model(set_op(), set_step, set_contents);
}

// ---------------------------------------------------------------------------------------
// Sorted sets.
// ---------------------------------------------------------------------------------------

/// (score, member) in (score, member) order.
type ZSet = Vec<(f64, Vec<u8>)>;
type ZSets = [ZSet; 3];

const ZMEMBERS: [&str; 5] = ["a", "b", "c", "d", "e"];
/// Scores whose sums stay exact and print the same in Rust as with Redis's %.17g.
const SCORES: [f64; 5] = [-2.5, 0.0, 1.0, 1.5, 3.0];
/// ZCOUNT / ZRANGEBYSCORE bounds: infinities, inclusive and exclusive, on and off the scores.
const BOUNDS: [&str; 14] = ["-inf", "+inf", "-2.5", "(-2.5", "0", "(0", "1", "(1", "1.5", "(1.5", "2", "(2", "3", "(3"];
/// Compatible ZADD flag sets (NX with GT or LT is an error, left out).
const ZADD_FLAGS: [&str; 7] = ["", "NX", "XX", "GT", "LT", "XX GT", "XX LT"];

#[derive(Debug, Clone)]
enum ZOp {
    Add { key: usize, flags: &'static str, ch: bool, pairs: Vec<(f64, &'static str)> },
    IncrBy { key: usize, by: f64, member: &'static str },
    Rem { key: usize, members: Vec<&'static str> },
    Score { key: usize, member: &'static str },
    Rank { key: usize, member: &'static str, rev: bool },
    Card { key: usize },
    Count { key: usize, min: &'static str, max: &'static str },
    Range { key: usize, start: i64, stop: i64, withscores: bool },
    RangeByScore { key: usize, min: &'static str, max: &'static str, withscores: bool, limit: Option<(i64, i64)> },
    Pop { key: usize, max: bool, count: Option<i64> },
    RemRangeByRank { key: usize, start: i64, stop: i64 },
}

fn zset_op() -> impl Strategy<Value = ZOp> {
    let member = || select(ZMEMBERS.to_vec());
    let score = || select(SCORES.to_vec());
    let bound = || select(BOUNDS.to_vec());
    let rank = || -7i64..7;
    prop_oneof![
        6 => (key(), select(ZADD_FLAGS.to_vec()), any::<bool>(), collection::vec((score(), member()), 1..4))
            .prop_map(|(key, flags, ch, pairs)| ZOp::Add { key, flags, ch, pairs }),
        3 => (key(), score(), member()).prop_map(|(key, by, member)| ZOp::IncrBy { key, by, member }),
        2 => (key(), collection::vec(member(), 1..4)).prop_map(|(key, members)| ZOp::Rem { key, members }),
        2 => (key(), member()).prop_map(|(key, member)| ZOp::Score { key, member }),
        2 => (key(), member(), any::<bool>()).prop_map(|(key, member, rev)| ZOp::Rank { key, member, rev }),
        1 => key().prop_map(|key| ZOp::Card { key }),
        2 => (key(), bound(), bound()).prop_map(|(key, min, max)| ZOp::Count { key, min, max }),
        2 => (key(), rank(), rank(), any::<bool>())
            .prop_map(|(key, start, stop, withscores)| ZOp::Range { key, start, stop, withscores }),
        2 => (key(), bound(), bound(), any::<bool>(), option::of((-1i64..4, -1i64..4)))
            .prop_map(|(key, min, max, withscores, limit)| ZOp::RangeByScore { key, min, max, withscores, limit }),
        2 => (key(), any::<bool>(), option::of(0i64..4)).prop_map(|(key, max, count)| ZOp::Pop { key, max, count }),
        1 => (key(), rank(), rank()).prop_map(|(key, start, stop)| ZOp::RemRangeByRank { key, start, stop }),
    ]
}

/// A score as Redis 7.0 prints it (%.17g) for the scores these tests reach: integers
/// without a fraction, halves as Rust prints them.
fn fmt_score(s: f64) -> String {
    if s.fract() == 0.0 && s.abs() < 1e15 {
        format!("{}", s as i64)
    } else {
        format!("{s}")
    }
}

/// A ZCOUNT / ZRANGEBYSCORE bound: its value and whether it is exclusive.
fn parse_bound(b: &str) -> (f64, bool) {
    let (exclusive, text) = match b.strip_prefix('(') {
        Some(rest) => (true, rest),
        None => (false, b),
    };
    let v = match text {
        "-inf" => f64::NEG_INFINITY,
        "+inf" => f64::INFINITY,
        t => t.parse().unwrap(),
    };
    (v, exclusive)
}

fn in_score_range(s: f64, (min, min_ex): (f64, bool), (max, max_ex): (f64, bool)) -> bool {
    (if min_ex { s > min } else { s >= min }) && (if max_ex { s < max } else { s <= max })
}

fn zpos(z: &ZSet, member: &[u8]) -> Option<usize> {
    z.iter().position(|(_, m)| m.as_slice() == member)
}

/// Sets a member's score, keeping (score, member) order.
fn zput(z: &mut ZSet, score: f64, member: &[u8]) {
    if let Some(i) = zpos(z, member) {
        z.remove(i);
    }
    let at = z.partition_point(|(s, m)| *s < score || (*s == score && m.as_slice() < member));
    z.insert(at, (score, member.to_vec()));
}

/// Members, each followed by its score with WITHSCORES (RESP2: one flat array).
fn zreply<'a>(items: impl IntoIterator<Item = &'a (f64, Vec<u8>)>, withscores: bool) -> Frame {
    let mut v = Vec::new();
    for (s, m) in items {
        v.push(Frame::Bulk(m.clone()));
        if withscores {
            v.push(Frame::Bulk(fmt_score(*s).into_bytes()));
        }
    }
    Frame::Array(v)
}

fn zset_step(m: &mut ZSets, op: &ZOp) -> Vec<Step> {
    let step = match op.clone() {
        ZOp::Add { key, flags, ch, pairs } => {
            let z = &mut m[key];
            let has = |f: &str| flags.split_whitespace().any(|x| x == f);
            let (nx, xx, gt, lt) = (has("NX"), has("XX"), has("GT"), has("LT"));
            let mut a = args!["ZADD", KEYS[key]];
            a.extend(flags.split_whitespace().map(|f| f.as_bytes().to_vec()));
            if ch {
                a.extend(args!["CH"]);
            }
            // Pairs apply one after the other (a member given twice sees its first pair).
            let (mut added, mut changed) = (0, 0);
            for (score, member) in &pairs {
                a.extend(args![fmt_score(*score), member]);
                match zpos(z, member.as_bytes()) {
                    Some(i) => {
                        let cur = z[i].0;
                        if nx || (gt && *score <= cur) || (lt && *score >= cur) {
                            continue;
                        }
                        if *score != cur {
                            zput(z, *score, member.as_bytes());
                            changed += 1;
                        }
                    }
                    None if !xx => {
                        zput(z, *score, member.as_bytes());
                        added += 1;
                    }
                    None => {}
                }
            }
            Step::exact(a, len_int(if ch { added + changed } else { added }))
        }
        ZOp::IncrBy { key, by, member } => {
            let z = &mut m[key];
            let new = zpos(z, member.as_bytes()).map_or(0.0, |i| z[i].0) + by;
            zput(z, new, member.as_bytes());
            Step::exact(args!["ZINCRBY", KEYS[key], fmt_score(by), member], Frame::Bulk(fmt_score(new).into_bytes()))
        }
        ZOp::Rem { key, members } => {
            let z = &mut m[key];
            let mut a = args!["ZREM", KEYS[key]];
            let mut removed = 0;
            for e in &members {
                a.extend(args![e]);
                if let Some(i) = zpos(z, e.as_bytes()) {
                    z.remove(i);
                    removed += 1;
                }
            }
            Step::exact(a, len_int(removed))
        }
        ZOp::Score { key, member } => {
            let z = &m[key];
            let want = zpos(z, member.as_bytes()).map_or(nil(), |i| Frame::Bulk(fmt_score(z[i].0).into_bytes()));
            Step::exact(args!["ZSCORE", KEYS[key], member], want)
        }
        ZOp::Rank { key, member, rev } => {
            let z = &m[key];
            let want = zpos(z, member.as_bytes()).map_or(nil(), |i| len_int(if rev { z.len() - 1 - i } else { i }));
            let name = if rev { "ZREVRANK" } else { "ZRANK" };
            Step::exact(args![name, KEYS[key], member], want)
        }
        ZOp::Card { key } => Step::exact(args!["ZCARD", KEYS[key]], len_int(m[key].len())),
        ZOp::Count { key, min, max } => {
            let (lo, hi) = (parse_bound(min), parse_bound(max));
            let n = m[key].iter().filter(|(s, _)| in_score_range(*s, lo, hi)).count();
            Step::exact(args!["ZCOUNT", KEYS[key], min, max], len_int(n))
        }
        ZOp::Range { key, start, stop, withscores } => {
            let z = &m[key];
            let want = rank_range(start, stop, z.len()).map_or(empty_array(), |(s, e)| zreply(&z[s..=e], withscores));
            let mut a = args!["ZRANGE", KEYS[key], start, stop];
            if withscores {
                a.extend(args!["WITHSCORES"]);
            }
            Step::exact(a, want)
        }
        ZOp::RangeByScore { key, min, max, withscores, limit } => {
            let (lo, hi) = (parse_bound(min), parse_bound(max));
            let hits = m[key].iter().filter(|(s, _)| in_score_range(*s, lo, hi));
            let mut a = args!["ZRANGEBYSCORE", KEYS[key], min, max];
            if withscores {
                a.extend(args!["WITHSCORES"]);
            }
            let want = match limit {
                None => zreply(hits, withscores),
                Some((offset, count)) => {
                    a.extend(args!["LIMIT", offset, count]);
                    // A negative offset selects nothing; a negative count means no limit.
                    if offset < 0 {
                        empty_array()
                    } else {
                        let take = if count < 0 { usize::MAX } else { count as usize };
                        zreply(hits.skip(offset as usize).take(take), withscores)
                    }
                }
            };
            Step::exact(a, want)
        }
        ZOp::Pop { key, max, count } => {
            let z = &mut m[key];
            let n = count.map_or(1, |c| c as usize).min(z.len());
            // Highest first for ZPOPMAX; a missing key gives an empty array either way.
            let popped: ZSet = if max {
                let mut top = z.split_off(z.len() - n);
                top.reverse();
                top
            } else {
                z.drain(..n).collect()
            };
            let name = if max { "ZPOPMAX" } else { "ZPOPMIN" };
            let mut a = args![name, KEYS[key]];
            if let Some(c) = count {
                a.extend(args![c]);
            }
            Step::exact(a, zreply(&popped, true))
        }
        ZOp::RemRangeByRank { key, start, stop } => {
            let z = &mut m[key];
            let removed = match rank_range(start, stop, z.len()) {
                None => 0,
                Some((s, e)) => z.drain(s..=e).count(),
            };
            Step::exact(args!["ZREMRANGEBYRANK", KEYS[key], start, stop], len_int(removed))
        }
    };
    vec![step]
}

fn zset_contents(m: &ZSets) -> Vec<Step> {
    KEYS.iter()
        .zip(m)
        .flat_map(|(k, z)| {
            [
                Step::exact(args!["ZRANGE", k, "0", "-1", "WITHSCORES"], zreply(z, true)),
                Step::exact(args!["ZCARD", k], len_int(z.len())),
                Step::exact(args!["TYPE", k], st(if z.is_empty() { "none" } else { "zset" })),
            ]
        })
        .collect()
}

#[test]
fn sorted_sets_match_a_model() {
    check_model(zset_op(), zset_step, zset_contents);
}
