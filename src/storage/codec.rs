//! The value encoding shared by snapshots and DUMP/RESTORE: Redis's RDB object encoding, so
//! a DUMP payload moves between Keel and Redis in both directions (docs/format/snapshot.md,
//! "Values").
//!
//! - Lengths use RDB's length encoding: `00xxxxxx` (6 bits), `01xxxxxx xxxxxxxx` (14 bits,
//!   big-endian), `0x80` + 4 bytes big-endian, `0x81` + 8 bytes big-endian.
//! - A string is a length and its bytes, or `11xxxxxx` for a special form: an integer in 1, 2
//!   or 4 little-endian bytes (`0xC0`..`0xC2`), or an LZF-compressed string (`0xC3`, read but
//!   never written: zstd compresses whole snapshot blocks).
//! - A value is a type byte (RDB's numbers: `0` string, `1` list, `2` set, `4` hash, `5`
//!   sorted set) and its payload. A list or set is its number of elements, then each as a
//!   string; a hash its number of pairs, then each field and value; a sorted set its number
//!   of members, then each member as a string and its score as an 8-byte little-endian
//!   double (RDB's ZSET_2).
//!
//! Decoding never trusts a length: every read is bounds-checked and an announced length is
//! compared with the bytes left before anything is allocated.

use crate::db::value::{Str, Value};
use crate::types::hash::{Hash, Limits};
use crate::types::list::List;
use crate::types::set::Set;
use crate::types::zset::{self, ZSet};
use crate::util::num::parse_i64;

/// RDB type numbers (a number is never reused).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
/// A hash with per-field expiry (Redis 7.4's RDB_TYPE_HASH_METADATA).
pub const TYPE_HASH_METADATA: u8 = 24;
/// Redis's compact encodings, read (never written) so Redis 7.0's DUMP payloads restore: a
/// set of integers as an intset, a hash and a sorted set as one listpack, a list as nodes.
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;

/// The packed-encoding limits values are loaded with (Redis 7.0's defaults). A loaded hash
/// is packed if it fits them, as Redis re-encodes on load.
// The configured limits are not used here yet: the snapshot and RESTORE readers do not see
// the config.
pub const HASH_LIMITS_LOAD: Limits = Limits { entries: 512, value: 64 };
pub const INTSET_ENTRIES_LOAD: usize = 512;
pub const ZSET_LIMITS_LOAD: zset::Limits = zset::Limits { entries: 128, value: 64 };

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

pub fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if let Ok(n32) = u32::try_from(n) {
        out.push(0x80);
        out.extend_from_slice(&n32.to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Writes a string, as an integer when Redis would (`rdbTryIntegerEncoding`: a canonical
/// decimal that fits in 32 bits).
pub fn put_string(out: &mut Vec<u8>, b: &[u8]) {
    if b.len() <= 11 {
        if let Some(n) = parse_i64(b) {
            if put_int(out, n) {
                return;
            }
        }
    }
    put_len(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// An integer in RDB's special encodings; false if it needs more than 32 bits.
fn put_int(out: &mut Vec<u8>, n: i64) -> bool {
    if let Ok(v) = i8::try_from(n) {
        out.extend_from_slice(&[0xC0 | ENC_INT8, v as u8]);
    } else if let Ok(v) = i16::try_from(n) {
        out.push(0xC0 | ENC_INT16);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(n) {
        out.push(0xC0 | ENC_INT32);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

fn put_str_value(out: &mut Vec<u8>, s: &Str) {
    match s {
        Str::Int(n) if put_int(out, *n) => {}
        other => put_string(out, &other.as_bytes()),
    }
}

/// Writes a value: its type byte, then its payload.
pub fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => {
            out.push(TYPE_STRING);
            put_str_value(out, s);
        }
        Value::Hash(h) if h.has_field_ttls() => {
            // The smallest expiry, then per pair: 0 for none, or expiry - smallest + 1.
            out.push(TYPE_HASH_METADATA);
            let ttls: Vec<Option<i64>> = h.iter().map(|(f, _)| h.field_ttl(f)).collect();
            let min = ttls.iter().flatten().copied().min().unwrap_or(0);
            out.extend_from_slice(&min.to_le_bytes());
            put_len(out, h.len() as u64);
            for ((f, v), ttl) in h.iter().zip(&ttls) {
                put_len(out, ttl.map_or(0, |t| (t - min) as u64 + 1));
                put_string(out, f);
                put_string(out, v);
            }
        }
        Value::Hash(h) => {
            out.push(TYPE_HASH);
            put_len(out, h.len() as u64);
            for (f, v) in h.iter() {
                put_string(out, f);
                put_string(out, v);
            }
        }
        Value::List(l) => {
            out.push(TYPE_LIST);
            put_len(out, l.len() as u64);
            for e in l.iter() {
                put_string(out, e);
            }
        }
        Value::Set(st) => {
            out.push(TYPE_SET);
            put_len(out, st.len() as u64);
            for m in st.iter() {
                put_string(out, &m);
            }
        }
        Value::ZSet(z) => {
            out.push(TYPE_ZSET_2);
            put_len(out, z.len() as u64);
            for (m, sc) in z.iter_from(0) {
                put_string(out, m);
                out.extend_from_slice(&sc.to_le_bytes());
            }
        }
    }
}

/// A bounds-checked reader over encoded bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pub pos: usize,
}

pub type DecodeResult<T> = Result<T, String>;

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn take(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(format!("{n} bytes announced at byte {}, {} left", self.pos, self.remaining()));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn i64_le(&mut self) -> DecodeResult<i64> {
        let b = self.take(8)?;
        Ok(i64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// A length, or Err for a special string form (callers of `len` never expect one).
    fn len_or_special(&mut self) -> DecodeResult<Result<u64, u8>> {
        let first = self.u8()?;
        Ok(match first >> 6 {
            0 => Ok(u64::from(first & 0x3F)),
            1 => Ok(u64::from(first & 0x3F) << 8 | u64::from(self.u8()?)),
            2 if first == 0x80 => Ok(u64::from(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")))),
            2 if first == 0x81 => Ok(u64::from_be_bytes(self.take(8)?.try_into().expect("8 bytes"))),
            2 => return Err(format!("unknown length encoding {first:#04x} at byte {}", self.pos - 1)),
            _ => Err(first & 0x3F),
        })
    }

    pub fn length(&mut self) -> DecodeResult<u64> {
        self.len_or_special()?.map_err(|e| format!("a length expected, found the special encoding {e}"))
    }

    /// A length that must fit in the bytes left (each unit at least one byte).
    pub fn bounded_len(&mut self) -> DecodeResult<usize> {
        let n = self.length()?;
        usize::try_from(n).ok().filter(|&n| n <= self.remaining()).ok_or_else(|| format!("length {n} past the end of the data"))
    }

    /// A string; integers come back as their decimal text.
    pub fn string(&mut self) -> DecodeResult<Vec<u8>> {
        match self.string_or_int()? {
            StrOrInt::Bytes(b) => Ok(b),
            StrOrInt::Int(n) => {
                let mut v = Vec::new();
                crate::util::num::fmt_i64(n, &mut v);
                Ok(v)
            }
        }
    }

    fn string_or_int(&mut self) -> DecodeResult<StrOrInt> {
        match self.len_or_special()? {
            Ok(n) => {
                let n = usize::try_from(n).map_err(|_| "string length overflows".to_string())?;
                Ok(StrOrInt::Bytes(self.take(n)?.to_vec()))
            }
            Err(ENC_INT8) => Ok(StrOrInt::Int(i64::from(self.u8()? as i8))),
            Err(ENC_INT16) => Ok(StrOrInt::Int(i64::from(i16::from_le_bytes(self.take(2)?.try_into().expect("2 bytes"))))),
            Err(ENC_INT32) => Ok(StrOrInt::Int(i64::from(i32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"))))),
            Err(ENC_LZF) => {
                let clen = self.bounded_len()?;
                let len = usize::try_from(self.length()?).map_err(|_| "LZF length overflows".to_string())?;
                let packed = self.take(clen)?;
                Ok(StrOrInt::Bytes(lzf_decompress(packed, len)?))
            }
            Err(e) => Err(format!("unknown string encoding {e}")),
        }
    }

    /// A value without copying its bytes.
    pub fn value_ref(&mut self) -> DecodeResult<ValueRef<'a>> {
        let at = self.pos;
        match self.u8()? {
            TYPE_STRING => {
                let save = self.pos;
                match self.len_or_special()? {
                    Ok(n) => {
                        let n = usize::try_from(n).map_err(|_| "string length overflows".to_string())?;
                        Ok(ValueRef::Str(StrRef::Bytes(self.take(n)?)))
                    }
                    Err(_) => {
                        self.pos = save;
                        Ok(ValueRef::Str(match self.string_or_int()? {
                            StrOrInt::Int(n) => StrRef::Int(n),
                            StrOrInt::Bytes(b) => StrRef::Owned(b),
                        }))
                    }
                }
            }
            TYPE_HASH => Ok(ValueRef::Owned(self.hash()?)),
            TYPE_HASH_METADATA => Ok(ValueRef::Owned(self.hash_metadata()?)),
            t @ (TYPE_SET_INTSET | TYPE_HASH_LISTPACK | TYPE_ZSET_LISTPACK | TYPE_LIST_QUICKLIST_2) => {
                Ok(ValueRef::Owned(self.compact(t)?))
            }
            TYPE_LIST => Ok(ValueRef::Owned(self.list()?)),
            TYPE_SET => Ok(ValueRef::Owned(self.set()?)),
            TYPE_ZSET_2 => Ok(ValueRef::Owned(self.zset()?)),
            t => Err(format!("unknown value type {t} at byte {at}")),
        }
    }

    /// A hash's payload (after its type byte). Duplicate fields are refused: Redis would
    /// count them twice.
    fn hash(&mut self) -> DecodeResult<Value> {
        let n = self.bounded_len()?;
        let mut pairs = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            pairs.push((self.string()?, self.string()?));
        }
        let refs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(f, v)| (f.as_slice(), v.as_slice())).collect();
        let h = Hash::from_pairs(&refs, HASH_LIMITS_LOAD);
        if h.len() != n || n == 0 {
            return Err(format!("a hash of {n} pairs with duplicate fields, or empty"));
        }
        Ok(Value::Hash(h))
    }

    /// A hash with field expiry times (after its type byte).
    fn hash_metadata(&mut self) -> DecodeResult<Value> {
        let min = self.i64_le()?;
        let n = self.bounded_len()?;
        let mut h = Hash::default();
        for _ in 0..n {
            let ttl = self.length()?;
            let (f, v) = (self.string()?, self.string()?);
            if h.set(&f, &v, HASH_LIMITS_LOAD) && ttl != 0 {
                let at = i64::try_from(ttl - 1).ok().and_then(|d| min.checked_add(d)).ok_or("a field expiry out of range")?;
                h.set_field_ttl(&f, at);
            }
        }
        if h.len() != n || n == 0 {
            return Err(format!("a hash of {n} pairs with duplicate fields, or empty"));
        }
        Ok(Value::Hash(h))
    }

    /// One of Redis's compact encodings (after its type byte), re-encoded as Keel's.
    fn compact(&mut self, t: u8) -> DecodeResult<Value> {
        match t {
            TYPE_SET_INTSET => {
                let ints = super::listpack::intset(&self.string()?)?;
                let s =
                    Set::from_members(ints.iter().map(|n| int_text(*n)).collect::<Vec<_>>().iter().map(Vec::as_slice), INTSET_ENTRIES_LOAD);
                if s.len() != ints.len() || ints.is_empty() {
                    return Err("an intset with duplicates, or empty".into());
                }
                Ok(Value::Set(Box::new(s)))
            }
            TYPE_HASH_LISTPACK => {
                let items = super::listpack::entries(&self.string()?)?;
                if items.len() % 2 != 0 {
                    return Err("a hash listpack of an odd length".into());
                }
                let pairs: Vec<(&[u8], &[u8])> = items.chunks_exact(2).map(|p| (p[0].as_slice(), p[1].as_slice())).collect();
                let h = Hash::from_pairs(&pairs, HASH_LIMITS_LOAD);
                if h.len() != pairs.len() || pairs.is_empty() {
                    return Err("a hash listpack with duplicate fields, or empty".into());
                }
                Ok(Value::Hash(h))
            }
            TYPE_ZSET_LISTPACK => {
                let items = super::listpack::entries(&self.string()?)?;
                if items.len() % 2 != 0 || items.is_empty() {
                    return Err("a sorted-set listpack of an odd length, or empty".into());
                }
                let longest = items.chunks_exact(2).map(|p| p[0].len()).max().unwrap_or(0);
                let mut z = ZSet::with_hint(items.len() / 2, longest, ZSET_LIMITS_LOAD);
                for p in items.chunks_exact(2) {
                    let sc = crate::util::num::parse_f64(&p[1]).ok_or("a sorted-set listpack score that is not a number")?;
                    z.set(&p[0], sc, ZSET_LIMITS_LOAD);
                }
                if z.len() != items.len() / 2 {
                    return Err("a sorted-set listpack with duplicate members".into());
                }
                Ok(Value::ZSet(Box::new(z)))
            }
            _ => {
                // Quicklist 2: nodes, each a container kind (1 plain element, 2 a listpack).
                let nodes = self.bounded_len()?;
                let mut l = List::new();
                for _ in 0..nodes {
                    match self.length()? {
                        1 => l.push(crate::types::list::End::Tail, &self.string()?),
                        2 => {
                            for e in super::listpack::entries(&self.string()?)? {
                                l.push(crate::types::list::End::Tail, &e);
                            }
                        }
                        k => return Err(format!("unknown quicklist node kind {k}")),
                    }
                }
                if l.is_empty() {
                    return Err("an empty list".into());
                }
                Ok(Value::List(Box::new(l)))
            }
        }
    }

    fn list(&mut self) -> DecodeResult<Value> {
        let n = self.bounded_len()?;
        if n == 0 {
            return Err("an empty list".into());
        }
        let mut items = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            items.push(self.string()?);
        }
        Ok(Value::List(Box::new(List::from_items(items.iter().map(Vec::as_slice)))))
    }

    /// A set's payload; duplicates are refused, as for hashes.
    fn set(&mut self) -> DecodeResult<Value> {
        let n = self.bounded_len()?;
        let mut s = Set::default();
        for _ in 0..n {
            s.add(&self.string()?, INTSET_ENTRIES_LOAD);
        }
        if s.len() != n || n == 0 {
            return Err(format!("a set of {n} members with duplicates, or empty"));
        }
        Ok(Value::Set(Box::new(s)))
    }

    /// A sorted set's payload (ZSET_2); duplicates and NaN scores are refused.
    fn zset(&mut self) -> DecodeResult<Value> {
        let n = self.bounded_len()?;
        let mut pairs = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let m = self.string()?;
            let sc = f64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"));
            if sc.is_nan() {
                return Err("a NaN score".into());
            }
            pairs.push((m, sc));
        }
        let longest = pairs.iter().map(|p| p.0.len()).max().unwrap_or(0);
        let mut z = ZSet::with_hint(n, longest, ZSET_LIMITS_LOAD);
        for (m, sc) in &pairs {
            z.set(m, *sc, ZSET_LIMITS_LOAD);
        }
        if z.len() != n || n == 0 {
            return Err(format!("a sorted set of {n} members with duplicates, or empty"));
        }
        Ok(Value::ZSet(Box::new(z)))
    }

    /// A value: type byte and payload.
    pub fn value(&mut self) -> DecodeResult<Value> {
        let at = self.pos;
        match self.u8()? {
            TYPE_STRING => Ok(Value::Str(match self.string_or_int()? {
                StrOrInt::Int(n) => Str::Int(n),
                StrOrInt::Bytes(b) => Str::from_bytes(&b),
            })),
            TYPE_HASH => self.hash(),
            TYPE_HASH_METADATA => self.hash_metadata(),
            t @ (TYPE_SET_INTSET | TYPE_HASH_LISTPACK | TYPE_ZSET_LISTPACK | TYPE_LIST_QUICKLIST_2) => self.compact(t),
            TYPE_LIST => self.list(),
            TYPE_SET => self.set(),
            TYPE_ZSET_2 => self.zset(),
            t => Err(format!("unknown value type {t} at byte {at}")),
        }
    }
}

fn int_text(n: i64) -> Vec<u8> {
    let mut v = Vec::with_capacity(20);
    crate::util::num::fmt_i64(n, &mut v);
    v
}

enum StrOrInt {
    Bytes(Vec<u8>),
    Int(i64),
}

/// A string value as read: borrowed when it is stored plainly.
#[derive(Debug, PartialEq, Eq)]
pub enum StrRef<'a> {
    Int(i64),
    Bytes(&'a [u8]),
    /// Decompressed (LZF).
    Owned(Vec<u8>),
}

/// A value as read, before it becomes a `Value`.
#[derive(Debug, PartialEq, Eq)]
pub enum ValueRef<'a> {
    Str(StrRef<'a>),
    /// A collection, decoded whole.
    Owned(Value),
}

impl ValueRef<'_> {
    pub fn into_value(self) -> Value {
        match self {
            ValueRef::Str(StrRef::Int(n)) => Value::Str(Str::Int(n)),
            ValueRef::Str(StrRef::Bytes(b)) => Value::Str(Str::from_bytes(b)),
            ValueRef::Str(StrRef::Owned(b)) => Value::Str(Str::from_bytes(&b)),
            ValueRef::Owned(v) => v,
        }
    }
}

/// LZF decompression (liblzf's format, which Redis writes for strings over 20 bytes with
/// rdbcompression on): literal runs `000LLLLL` + L+1 bytes; back references `LLLooooo
/// oooooooo` (length L+2, or 7 + next byte + 2 when L is 7) copying from `offset + 1` bytes
/// back.
pub fn lzf_decompress(input: &[u8], len: usize) -> DecodeResult<Vec<u8>> {
    // The output length is announced: refuse absurd ones before allocating (a back
    // reference of 3 bytes copies at most 264, so LZF expands at most ~88x).
    if len > input.len().saturating_mul(90).max(64) {
        return Err("LZF length does not match its data".into());
    }
    let bad = || "invalid LZF data".to_string();
    let mut out = Vec::with_capacity(len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input.get(i..i + run).ok_or_else(bad)?;
            out.extend_from_slice(lit);
            i += run;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += usize::from(*input.get(i).ok_or_else(bad)?);
                i += 1;
            }
            n += 2;
            let back = ((ctrl & 0x1F) << 8) + usize::from(*input.get(i).ok_or_else(bad)?) + 1;
            i += 1;
            let from = out.len().checked_sub(back).ok_or_else(bad)?;
            for k in 0..n {
                let b = out[from + k];
                out.push(b);
            }
        }
        if out.len() > len {
            return Err(bad());
        }
    }
    if out.len() != len {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(v: &Value) -> Value {
        let mut b = Vec::new();
        put_value(&mut b, v);
        let mut r = Reader::new(&b);
        let got = r.value().unwrap();
        assert_eq!(r.remaining(), 0);
        got
    }

    #[test]
    fn lengths_follow_rdb() {
        for (n, want) in [
            (5u64, vec![5u8]),
            (300, vec![0x41, 0x2C]),
            (70_000, vec![0x80, 0, 1, 0x11, 0x70]),
            (1 << 33, vec![0x81, 0, 0, 0, 2, 0, 0, 0, 0]),
        ] {
            let mut b = Vec::new();
            put_len(&mut b, n);
            assert_eq!(b, want, "{n}");
            assert_eq!(Reader::new(&b).length().unwrap(), n);
        }
    }

    #[test]
    fn strings_and_integers() {
        let mut b = Vec::new();
        put_string(&mut b, b"-5");
        put_string(&mut b, b"1000");
        put_string(&mut b, b"100000");
        put_string(&mut b, b"007");
        put_string(&mut b, b"12345678901");
        assert_eq!(&b[..8], &[0xC0, 0xFB, 0xC1, 0xE8, 0x03, 0xC2, 0xA0, 0x86]);
        let mut r = Reader::new(&b);
        for want in ["-5", "1000", "100000", "007", "12345678901"] {
            assert_eq!(r.string().unwrap(), want.as_bytes());
        }
        for v in [Str::Int(i64::MIN), Str::Int(42), Str::from_bytes(b"hello"), Str::from_bytes(&[7u8; 300]), Str::raw(b"12".to_vec())] {
            let got = round(&Value::Str(v.clone()));
            assert_eq!(got, Value::Str(Str::from_bytes(&v.as_bytes())));
        }
    }

    #[test]
    fn hashes_round_trip_in_either_encoding() {
        let limits = HASH_LIMITS_LOAD;
        let mut small = Hash::default();
        small.set(b"a", b"1", limits);
        small.set(b"", b"x", limits);
        let mut big = Hash::default();
        for i in 0..1000 {
            big.set(format!("f{i}").as_bytes(), format!("{}", i * 7).as_bytes(), limits);
        }
        for h in [small, big] {
            let v = Value::Hash(h.clone());
            let got = round(&v);
            let Value::Hash(g) = &got else { panic!("not a hash: {got:?}") };
            assert_eq!((g.len(), g.encoding_name()), (h.len(), h.encoding_name()));
            assert!(h.iter().all(|(f, x)| g.get(f) == Some(x)));
            let mut out = Vec::new();
            put_value(&mut out, &v);
            assert_eq!(Reader::new(&out).value_ref().unwrap().into_value(), got);
        }
        // A hash that names a field twice, or none, is refused.
        let mut dup = vec![TYPE_HASH];
        put_len(&mut dup, 2);
        for s in [&b"a"[..], b"1", b"a", b"2"] {
            put_string(&mut dup, s);
        }
        assert!(Reader::new(&dup).value().is_err());
        assert!(Reader::new(&[TYPE_HASH, 0]).value().is_err());
    }

    #[test]
    fn lzf_reads_back_references() {
        // "aaaaaaaaaa": literal 'a', then a back reference of 9 bytes at distance 1.
        let packed = [0u8, b'a', (7 << 5), 0, 0];
        assert_eq!(lzf_decompress(&packed, 10).unwrap(), b"aaaaaaaaaa");
        assert!(lzf_decompress(&packed, 11).is_err());
        assert!(lzf_decompress(&[0x20, 5], 3).is_err(), "reference before the start");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for b in [&[][..], &[0x80, 1], &[0, 5, b'a'], &[0, 0xC4], &[9], &[0, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]] {
            assert!(Reader::new(b).value().is_err(), "{b:?}");
        }
    }
}
