//! The sorted-set type, ordered by (score, member bytes) as Redis orders it. Small sets are a
//! [`Pack`] of member and score pairs kept in order (Redis's listpack; linear, and small);
//! big ones are a [`Dict`] from member to score plus an [`OsTree`] of the dictionary's
//! positions in order, so lookups are O(1) and ranks, inserts and removals O(log n).
//!
//! The dictionary moves its last entry into the hole a removal leaves, so the tree's item
//! for that entry is renumbered (found by its key, in O(log n)).
//!
//! A packed set stores -0 as 0, as Redis's listpack does (its scores are strings written by
//! `d2string`, which prints an integral double as an integer); the big encoding keeps -0.

use std::cmp::Ordering;

use super::dict::Dict;
use super::ostree::OsTree;
use super::pack::Pack;

/// The packed encoding's limits (`zset-max-listpack-entries` / `-value`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Big {
    dict: Dict<f64>,
    tree: OsTree,
}

#[derive(Clone, Debug)]
pub enum ZSet {
    Packed(Pack),
    Big(Box<Big>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Packed(Pack::new())
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter_from(0).zip(other.iter_from(0)).all(|((m1, s1), (m2, s2))| m1 == m2 && s1 == s2)
    }
}

impl Eq for ZSet {}

/// Redis's order: by score, then by member bytes.
pub fn cmp(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2).expect("scores are never NaN").then_with(|| m1.cmp(m2))
}

fn score_of(b: &[u8]) -> f64 {
    f64::from_le_bytes(b.try_into().expect("packed scores are 8 bytes"))
}

/// A packed set's pair `i`.
fn packed_pair(p: &Pack, i: usize) -> (&[u8], f64) {
    (p.get(2 * i).expect("rank in range"), score_of(p.get(2 * i + 1).expect("pairs")))
}

impl Big {
    fn less(&self, item: u32, score: f64, member: &[u8]) -> bool {
        let (m, &s) = self.dict.at(item as usize);
        cmp(s, m, score, member) == Ordering::Less
    }

    fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        self.tree.partition_point(|x| self.less(x, score, member))
    }

    fn insert(&mut self, member: &[u8], score: f64) {
        let r = self.rank_of(score, member);
        let id = u32::try_from(self.dict.len()).expect("4G members");
        self.dict.insert_new(member.into(), score);
        self.tree.insert_at(r, id);
    }

    /// Removes the member at dictionary position `pos` (with its tree item).
    fn remove_pos(&mut self, pos: usize) -> (Box<[u8]>, f64) {
        let (m, &s) = self.dict.at(pos);
        let r = self.rank_of(s, m);
        debug_assert_eq!(self.tree.get(r), Some(pos as u32));
        self.tree.remove_at(r);
        let last = self.dict.len() - 1;
        if pos != last {
            let (lm, &ls) = self.dict.at(last);
            let lr = self.rank_of(ls, lm);
            debug_assert_eq!(self.tree.get(lr), Some(last as u32));
            self.tree.set_at(lr, pos as u32);
        }
        self.dict.remove_at(pos)
    }
}

impl ZSet {
    /// An empty set in the encoding Redis would pick for `size` members of up to
    /// `value_len` bytes (ZADD picks by its arguments, stores by their results).
    pub fn with_hint(size: usize, value_len: usize, limits: Limits) -> Self {
        if size > limits.entries || value_len > limits.value {
            ZSet::Big(Box::default())
        } else {
            ZSet::default()
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Packed(p) => p.len() / 2,
            ZSet::Big(b) => b.dict.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn packed_find(p: &Pack, member: &[u8]) -> Option<(usize, f64)> {
        let mut it = p.iter();
        let mut i = 0;
        while let (Some(m), Some(s)) = (it.next(), it.next()) {
            if m == member {
                return Some((i, score_of(s)));
            }
            i += 1;
        }
        None
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Packed(p) => Self::packed_find(p, member).map(|x| x.1),
            ZSet::Big(b) => b.dict.get(member).copied(),
        }
    }

    /// Sets `member`'s score, adding it if new; true if it was new. Converts past the
    /// limits, as Redis does after an insert.
    pub fn set(&mut self, member: &[u8], score: f64, limits: Limits) -> bool {
        debug_assert!(!score.is_nan());
        match self {
            ZSet::Packed(p) => {
                let old = Self::packed_find(p, member);
                if let Some((i, _)) = old {
                    p.remove(2 * i, 2);
                }
                if old.is_none() && (member.len() > limits.value || p.len() / 2 + 1 > limits.entries) {
                    self.convert();
                    return self.set(member, score, limits);
                }
                let score = if score == 0.0 { 0.0 } else { score };
                let r = Self::packed_rank_of(p, score, member);
                p.insert(2 * r, &[member, &score.to_le_bytes()]);
                old.is_none()
            }
            ZSet::Big(b) => match b.dict.position(member) {
                Some(pos) => {
                    let old = *b.dict.at(pos).1;
                    if old != score {
                        // The entry keeps its dictionary position: only its tree item moves.
                        let r = b.rank_of(old, member);
                        debug_assert_eq!(b.tree.get(r), Some(pos as u32));
                        b.tree.remove_at(r);
                        *b.dict.at_mut(pos) = score;
                        let r = b.rank_of(score, member);
                        b.tree.insert_at(r, pos as u32);
                    }
                    false
                }
                None => {
                    b.insert(member, score);
                    true
                }
            },
        }
    }

    fn packed_rank_of(p: &Pack, score: f64, member: &[u8]) -> usize {
        let mut it = p.iter();
        let mut i = 0;
        while let (Some(m), Some(s)) = (it.next(), it.next()) {
            if cmp(score_of(s), m, score, member) != Ordering::Less {
                break;
            }
            i += 1;
        }
        i
    }

    fn convert(&mut self) {
        if let ZSet::Packed(p) = self {
            let mut b = Big { dict: Dict::with_capacity(p.len() / 2 + 1), tree: OsTree::default() };
            let mut it = p.iter();
            let mut r = 0;
            while let (Some(m), Some(s)) = (it.next(), it.next()) {
                b.dict.insert_new(m.into(), score_of(s));
                b.tree.insert_at(r, r as u32);
                r += 1;
            }
            *self = ZSet::Big(Box::new(b));
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Packed(p) => match Self::packed_find(p, member) {
                Some((i, _)) => {
                    p.remove(2 * i, 2);
                    true
                }
                None => false,
            },
            ZSet::Big(b) => match b.dict.position(member) {
                Some(pos) => {
                    b.remove_pos(pos);
                    true
                }
                None => false,
            },
        }
    }

    /// Ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Packed(p) => Self::packed_find(p, member).map(|x| x.0),
            ZSet::Big(b) => {
                let &s = b.dict.get(member)?;
                Some(b.rank_of(s, member))
            }
        }
    }

    /// The member and score at ascending rank `r`.
    pub fn at_rank(&self, r: usize) -> Option<(&[u8], f64)> {
        if r >= self.len() {
            return None;
        }
        Some(match self {
            ZSet::Packed(p) => packed_pair(p, r),
            ZSet::Big(b) => {
                let (m, &s) = b.dict.at(b.tree.get(r).expect("rank in range") as usize);
                (m, s)
            }
        })
    }

    /// How many members come before the first for which `less(score, member)` is false
    /// (`less` holds for a prefix in order): where a score or lex range starts.
    pub fn partition_point(&self, less: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSet::Packed(p) => {
                let mut it = p.iter();
                let mut i = 0;
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    if !less(score_of(s), m) {
                        break;
                    }
                    i += 1;
                }
                i
            }
            ZSet::Big(b) => b.tree.partition_point(|x| {
                let (m, &s) = b.dict.at(x as usize);
                less(s, m)
            }),
        }
    }

    /// Members in ascending order from rank `r`.
    pub fn iter_from(&self, r: usize) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSet::Packed(p) => {
                let mut it = p.iter().skip(2 * r);
                Box::new(std::iter::from_fn(move || Some((it.next()?, score_of(it.next()?)))))
            }
            ZSet::Big(b) => Box::new(b.tree.iter_from(r).map(|x| {
                let (m, &s) = b.dict.at(x as usize);
                (m, s)
            })),
        }
    }

    /// Members in descending order from ascending rank `r` down to rank 0.
    pub fn iter_rev_from(&self, r: usize) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSet::Packed(p) => {
                let n = (p.len() / 2).min(r + 1);
                Box::new((0..n).rev().map(move |i| packed_pair(p, i)))
            }
            ZSet::Big(b) => Box::new(b.tree.iter_rev_from(r).map(|x| {
                let (m, &s) = b.dict.at(x as usize);
                (m, s)
            })),
        }
    }

    /// Removes ranks `start..end` (ZREMRANGEBY*, pops); returns how many went.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match self {
            ZSet::Packed(p) => p.remove(2 * start, 2 * (end - start)),
            ZSet::Big(b) => {
                for _ in start..end {
                    let pos = b.tree.get(start).expect("rank in range") as usize;
                    b.remove_pos(pos);
                }
            }
        }
        end - start
    }

    /// A member at uniformly random position `i` (0..len), for ZRANDMEMBER.
    pub fn at_position(&self, i: usize) -> (&[u8], f64) {
        match self {
            ZSet::Packed(p) => packed_pair(p, i),
            ZSet::Big(b) => {
                let (m, &s) = b.dict.at(i);
                (m, s)
            }
        }
    }

    /// The dictionary, for ZSCAN over a big set (None when packed: scanned whole).
    pub fn dict(&self) -> Option<&Dict<f64>> {
        match self {
            ZSet::Packed(_) => None,
            ZSet::Big(b) => Some(&b.dict),
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSet::Packed(_) => "listpack",
            ZSet::Big(_) => "skiplist",
        }
    }

    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<ZSet>()
            + match self {
                ZSet::Packed(p) => p.bytes(),
                ZSet::Big(b) => std::mem::size_of::<Big>() + b.dict.heap_bytes() + b.tree.heap_bytes(),
            }
    }

    /// Checks the big encoding's tree against its dictionary (tests).
    pub fn check(&self) {
        if let ZSet::Big(b) = self {
            b.tree.check();
            assert_eq!(b.tree.len(), b.dict.len());
            let mut prev: Option<(&[u8], f64)> = None;
            for x in b.tree.iter_from(0) {
                let (m, &s) = b.dict.at(x as usize);
                if let Some((pm, ps)) = prev {
                    assert_eq!(cmp(ps, pm, s, m), Ordering::Less, "out of order");
                }
                prev = Some((m, s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Total order key for the model: (score bits mapped to order, member).
    fn key(s: f64, m: &[u8]) -> (i64, Vec<u8>) {
        let b = s.to_bits() as i64;
        (if b < 0 { b ^ i64::MAX } else { b }, m.to_vec())
    }

    #[test]
    fn both_encodings_match_a_model() {
        for limits in [Limits { entries: 128, value: 64 }, Limits { entries: 0, value: 0 }, Limits { entries: 16, value: 64 }] {
            let mut z = ZSet::default();
            let mut model: BTreeMap<(i64, Vec<u8>), f64> = BTreeMap::new();
            let mut scores: std::collections::HashMap<Vec<u8>, f64> = Default::default();
            let mut x: u64 = 3;
            for step in 0..30_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let m = format!("m{}", x % 400).into_bytes();
                let s = ((x >> 20) % 50) as f64 / 4.0 - 3.0;
                if x % 3 == 0 {
                    let was = scores.remove(&m);
                    if let Some(os) = was {
                        model.remove(&key(os, &m));
                    }
                    assert_eq!(z.remove(&m), was.is_some(), "step {step}");
                } else {
                    let was = scores.insert(m.clone(), s);
                    if let Some(os) = was {
                        model.remove(&key(os, &m));
                    }
                    model.insert(key(s, &m), s);
                    assert_eq!(z.set(&m, s, limits), was.is_none(), "step {step}");
                }
                assert_eq!(z.len(), model.len());
                if step % 500 == 0 {
                    z.check();
                    let want: Vec<(Vec<u8>, f64)> = model.iter().map(|((_, m), &s)| (m.clone(), s)).collect();
                    let got: Vec<(Vec<u8>, f64)> = z.iter_from(0).map(|(m, s)| (m.to_vec(), s)).collect();
                    assert_eq!(got, want, "step {step}");
                    for (r, (m, s)) in want.iter().enumerate() {
                        assert_eq!(z.rank(m), Some(r));
                        assert_eq!(z.score(m), Some(*s));
                        assert_eq!(z.at_rank(r).map(|(m, s)| (m.to_vec(), s)), Some((m.clone(), *s)));
                    }
                    let r = (x as usize) % (want.len() + 1);
                    let rev: Vec<_> = z.iter_rev_from(r).map(|(m, s)| (m.to_vec(), s)).collect();
                    let wrev: Vec<_> = want[..(r + 1).min(want.len())].iter().rev().cloned().collect();
                    assert_eq!(rev, wrev);
                    assert_eq!(z.partition_point(|s, _| s < 0.5), want.partition_point(|(_, s)| *s < 0.5));
                }
            }
            let n = z.len();
            assert_eq!(z.remove_ranks(1, 5), 4.min(n.saturating_sub(1)));
            z.check();
        }
    }

    #[test]
    fn negative_zero_is_zero_only_when_packed() {
        let l = Limits { entries: 128, value: 64 };
        let mut z = ZSet::default();
        z.set(b"a", -0.0, l);
        assert!(z.score(b"a").unwrap().is_sign_positive());
        let mut big = ZSet::Big(Box::default());
        big.set(b"a", -0.0, l);
        assert!(big.score(b"a").unwrap().is_sign_negative());
    }
}
