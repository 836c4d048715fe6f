//! The set type: a sorted vector of integers while every member is a canonical integer and
//! there are at most `set-max-intset-entries` of them (Redis's intset, replying in ascending
//! order as Redis does), a [`Dict`] beyond. As in Redis 7.0, a set never converts back while
//! it lives.

use super::dict::Dict;
use crate::util::num::{fmt_i64, parse_i64};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Set {
    Ints(Vec<i64>),
    Table(Dict<()>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Ints(Vec::new())
    }
}

/// A member as Redis's intset would take it: canonical decimal only.
fn as_int(m: &[u8]) -> Option<i64> {
    if m.len() > 20 {
        return None;
    }
    parse_i64(m)
}

fn int_bytes(n: i64) -> Vec<u8> {
    let mut v = Vec::with_capacity(20);
    fmt_i64(n, &mut v);
    v
}

/// A member, borrowed from a table or formatted from an intset.
pub type Member<'a> = std::borrow::Cow<'a, [u8]>;

impl Set {
    pub fn len(&self) -> usize {
        match self {
            Set::Ints(v) => v.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => as_int(m).is_some_and(|n| v.binary_search(&n).is_ok()),
            Set::Table(d) => d.contains(m),
        }
    }

    /// Adds `m`; true if it is new.
    pub fn add(&mut self, m: &[u8], max_ints: usize) -> bool {
        if let Set::Ints(v) = self {
            if let Some(n) = as_int(m) {
                let Err(at) = v.binary_search(&n) else { return false };
                if v.len() < max_ints {
                    v.insert(at, n);
                    return true;
                }
            }
            self.convert();
        }
        match self {
            Set::Table(d) => d.insert_if_absent(m, || ()),
            Set::Ints(_) => unreachable!("converted above"),
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => match as_int(m).map(|n| v.binary_search(&n)) {
                Some(Ok(i)) => {
                    v.remove(i);
                    true
                }
                _ => false,
            },
            Set::Table(d) => d.remove(m).is_some(),
        }
    }

    fn convert(&mut self) {
        if let Set::Ints(v) = self {
            let mut d = Dict::with_capacity(v.len() + 1);
            for &n in v.iter() {
                d.insert_new(int_bytes(n).into(), ());
            }
            *self = Set::Table(d);
        }
    }

    /// The member at position `i` (0..len), for random picks.
    pub fn at(&self, i: usize) -> Member<'_> {
        match self {
            Set::Ints(v) => Member::Owned(int_bytes(v[i])),
            Set::Table(d) => Member::Borrowed(d.at(i).0),
        }
    }

    /// Removes and returns the member at position `i`.
    pub fn remove_at(&mut self, i: usize) -> Vec<u8> {
        match self {
            Set::Ints(v) => int_bytes(v.remove(i)),
            Set::Table(d) => d.remove_at(i).0.into_vec(),
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = Member<'_>> + '_> {
        match self {
            Set::Ints(v) => Box::new(v.iter().map(|&n| Member::Owned(int_bytes(n)))),
            Set::Table(d) => Box::new(d.iter().map(|(k, _)| Member::Borrowed(k))),
        }
    }

    /// A set of `members` (store commands, snapshot load, RESTORE), encoded as SADD would.
    pub fn from_members<'a>(members: impl IntoIterator<Item = &'a [u8]>, max_ints: usize) -> Self {
        let mut s = Set::default();
        for m in members {
            s.add(m, max_ints);
        }
        s
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Set>()
            + match self {
                Set::Ints(v) => v.capacity() * 8,
                Set::Table(d) => d.heap_bytes(),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_stays_an_intset_within_its_limits() {
        let mut s = Set::default();
        for m in ["5", "-3", "9223372036854775807", "5"] {
            s.add(m.as_bytes(), 4);
        }
        assert_eq!(s.encoding_name(), "intset");
        let members: Vec<Vec<u8>> = s.iter().map(|m| m.into_owned()).collect();
        assert_eq!(members, vec![b"-3".to_vec(), b"5".to_vec(), b"9223372036854775807".to_vec()]);
        assert!(s.contains(b"5") && !s.contains(b"05") && !s.contains(b"x"));
        s.add(b"01", 4);
        assert_eq!((s.encoding_name(), s.len()), ("hashtable", 4), "01 is not canonical");
        assert!(s.contains(b"-3") && s.contains(b"01") && !s.contains(b"1"));
        let mut t = Set::from_members([&b"1"[..], b"2", b"3", b"4", b"5"], 4);
        assert_eq!(t.encoding_name(), "hashtable", "five members exceed 4");
        assert!(t.remove(b"3") && !t.remove(b"3") && t.len() == 4);
    }
}
