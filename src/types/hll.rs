//! HyperLogLog values stored as plain strings, byte-compatible with Redis 7.0.15.
//!
//! Layout of a value (all multi-byte integers little endian):
//!
//! ```text
//! offset 0..4   b"HYLL"            magic
//! offset 4      encoding           0 = dense, 1 = sparse (anything else is not an HLL)
//! offset 5..8   unused             never checked, copied along on conversion
//! offset 8..16  cached cardinality u64 LE; the cache is *valid* only while the top
//!                                  bit of byte 15 is clear. Modifications set that
//!                                  bit and leave the other 63 bits untouched.
//! offset 16..   registers          dense: 16384 x 6-bit registers packed LSB first,
//!                                  12288 bytes (total value length exactly 12304).
//!                                  sparse: run-length opcodes covering 16384 registers:
//!                                    00llllll           ZERO  run of 1..=64 zeros
//!                                    01llllll llllllll  XZERO run of 1..=16384 zeros
//!                                    1vvvvvll           VAL   run of 1..=4 registers = 1..=32
//! ```
//!
//! Elements are hashed with MurmurHash64A (seed 0xadc83b19); the low 14 bits pick a
//! register and the position of the lowest set bit of the remaining 50 bits (plus a
//! sentinel at bit 50) gives the register candidate value 1..=51. Cardinality uses
//! Ertl's improved estimator (tau/sigma), exactly as Redis 7 does in `f64`.
//!
//! Contract: every function here is a pure transformation of byte vectors and never
//! panics on arbitrary client bytes. Each entry point runs [`validate`] itself, so a
//! non-HLL string yields [`HllError::NotHll`] ("WRONGTYPE …") and a sparse body that
//! does not describe exactly 16384 registers yields [`HllError::Corrupted`]
//! ("INVALIDOBJ …") wherever Redis would notice it. The server owns key lookup, the
//! string type check, keyspace notifications and dirty/propagation bookkeeping.

use std::fmt;

/// Default value of the `hll-sparse-max-bytes` config.
pub const HLL_SPARSE_MAX_BYTES_DEFAULT: usize = 3000;

/// Header size in bytes (magic + encoding + 3 unused + 8 cached cardinality).
pub const HLL_HDR_SIZE: usize = 16;
/// Number of registers.
pub const HLL_REGISTERS: usize = 1 << HLL_P;
/// Exact length of a dense value.
pub const HLL_DENSE_SIZE: usize = HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS).div_ceil(8);

const HLL_P: usize = 14;
const HLL_Q: usize = 64 - HLL_P;
const HLL_BITS: usize = 6;
const HLL_REGISTER_MAX: u8 = (1 << HLL_BITS) - 1;
const HLL_HASH_SEED: u64 = 0xadc8_3b19;
const ENC_DENSE: u8 = 0;
const ENC_SPARSE: u8 = 1;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const CACHE_STALE_BIT: u8 = 0x80;
/// 0.5 / ln(2), the asymptotic alpha used by the Ertl estimator.
const HLL_ALPHA_INF: f64 = 0.721_347_520_444_481_7;
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Why a value could not be used as a HyperLogLog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// Not an HLL string at all (bad length, magic or encoding).
    NotHll,
    /// Looks like an HLL but the sparse body is inconsistent.
    Corrupted,
}

impl HllError {
    /// The exact error line Redis sends (without the leading '-' and CRLF).
    pub fn reply_text(self) -> &'static str {
        match self {
            HllError::NotHll => "WRONGTYPE Key is not a valid HyperLogLog string value.",
            HllError::Corrupted => "INVALIDOBJ Corrupted HLL object detected",
        }
    }
}

impl fmt::Display for HllError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reply_text())
    }
}

impl std::error::Error for HllError {}

// ---------------------------------------------------------------------------
// Hashing

/// MurmurHash64A as Redis uses it (8-byte blocks read little endian).
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    // Redis passes the length as a C int; values are capped far below 2^31.
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let mut k = u64::from_le_bytes(word);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Register index and candidate value (1..=51) for an element.
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, HLL_HASH_SEED);
    let index = (hash as usize) & (HLL_REGISTERS - 1);
    // The sentinel bit bounds the run so the value always fits in 6 bits.
    let rest = (hash >> HLL_P) | (1u64 << HLL_Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---------------------------------------------------------------------------
// Header helpers

/// Redis's "is this string an HLL" check; the sparse body is not inspected here.
pub fn validate(bytes: &[u8]) -> Result<(), HllError> {
    if bytes.len() < HLL_HDR_SIZE || &bytes[..4] != b"HYLL" {
        return Err(HllError::NotHll);
    }
    match bytes[4] {
        ENC_SPARSE => Ok(()),
        ENC_DENSE if bytes.len() == HLL_DENSE_SIZE => Ok(()),
        _ => Err(HllError::NotHll),
    }
}

/// True when the cached cardinality may be returned as is (and PFCOUNT is read-only).
/// Only meaningful for values that pass [`validate`].
pub fn cache_valid(bytes: &[u8]) -> bool {
    bytes.get(15).is_some_and(|b| b & CACHE_STALE_BIT == 0)
}

fn invalidate_cache(hll: &mut [u8]) {
    if let Some(b) = hll.get_mut(15) {
        *b |= CACHE_STALE_BIT;
    }
}

fn read_cache(hll: &[u8]) -> u64 {
    let mut card = [0u8; 8];
    card.copy_from_slice(&hll[8..16]);
    u64::from_le_bytes(card)
}

fn is_dense(hll: &[u8]) -> bool {
    hll[4] == ENC_DENSE
}

/// The value PFADD stores for a key it creates. Redis builds it with a valid zero
/// cache and then always marks it stale (the creation counts as an update); PFMERGE
/// marks its destination stale too, so the fresh form is never observable.
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HLL_HDR_SIZE + 2);
    v.extend_from_slice(b"HYLL");
    v.extend_from_slice(&[ENC_SPARSE, 0, 0, 0]);
    v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, CACHE_STALE_BIT]);
    push_zero_run(&mut v, HLL_REGISTERS);
    v
}

// ---------------------------------------------------------------------------
// Dense registers

fn dense_get(regs: &[u8], index: usize) -> u8 {
    let byte = index * HLL_BITS / 8;
    let shift = (index * HLL_BITS) & 7;
    let lo = regs.get(byte).copied().unwrap_or(0) as u32;
    // Reading one past the array mirrors the sds terminator Redis relies on; the
    // bits taken from it are masked out anyway for the last register.
    let hi = regs.get(byte + 1).copied().unwrap_or(0) as u32;
    (((lo >> shift) | (hi << (8 - shift))) & HLL_REGISTER_MAX as u32) as u8
}

fn dense_set(regs: &mut [u8], index: usize, val: u8) {
    let byte = index * HLL_BITS / 8;
    let shift = (index * HLL_BITS) & 7;
    let v = val as u32;
    let max = HLL_REGISTER_MAX as u32;
    if let Some(b) = regs.get_mut(byte) {
        *b &= !((max << shift) as u8);
        *b |= (v << shift) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b &= !((max >> (8 - shift)) as u8);
        *b |= (v >> (8 - shift)) as u8;
    }
}

/// Raises a dense register; returns whether it changed.
fn dense_raise(regs: &mut [u8], index: usize, val: u8) -> bool {
    if val > dense_get(regs, index) {
        dense_set(regs, index, val);
        true
    } else {
        false
    }
}

// ---------------------------------------------------------------------------
// Sparse opcodes

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

impl Op {
    fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }
    fn width(self) -> usize {
        if let Op::XZero(_) = self {
            2
        } else {
            1
        }
    }
}

/// Decodes the opcode at `pos`. A two-byte opcode cut off by the end of the value
/// reads its second byte as 0, which is what Redis sees (the sds terminator).
fn op_at(buf: &[u8], pos: usize) -> Op {
    let b = buf[pos];
    if b & 0x80 != 0 {
        Op::Val(((b >> 2) & 0x1f) + 1, (b & 0x03) as usize + 1)
    } else if b & 0x40 == 0 {
        Op::Zero((b & 0x3f) as usize + 1)
    } else {
        let lo = buf.get(pos + 1).copied().unwrap_or(0) as usize;
        Op::XZero((((b & 0x3f) as usize) << 8 | lo) + 1)
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

/// Appends the shortest zero-run opcode for `len` (1..=16384) registers.
fn push_zero_run(out: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        let l = len - 1;
        out.push(0x40 | (l >> 8) as u8);
        out.push((l & 0xff) as u8);
    } else {
        out.push(len as u8 - 1);
    }
}

/// Walks a sparse body, calling `val(first_index, value, len)` for every VAL run.
/// The body is accepted only if its runs cover exactly 16384 registers; the
/// reference build (7.0.15 with the CVE-2025-32023 fix) rejects any overshoot, even
/// trailing opcodes after a complete body, instead of stopping early.
fn walk_sparse<F: FnMut(usize, u8, usize)>(body: &[u8], mut val: F) -> Result<(), HllError> {
    let mut idx = 0usize;
    let mut pos = 0;
    while pos < body.len() {
        let op = op_at(body, pos);
        pos += op.width();
        if idx + op.span() > HLL_REGISTERS {
            return Err(HllError::Corrupted);
        }
        if let Op::Val(v, n) = op {
            val(idx, v, n);
        }
        idx += op.span();
    }
    if idx == HLL_REGISTERS {
        Ok(())
    } else {
        Err(HllError::Corrupted)
    }
}

/// Converts a sparse value into the dense encoding in place, keeping the header
/// bytes (including unused bytes and cached cardinality). Returns whether it converted.
fn sparse_to_dense(hll: &mut Vec<u8>) -> Result<bool, HllError> {
    if is_dense(hll) {
        return Ok(false);
    }
    let mut dense = vec![0u8; HLL_DENSE_SIZE];
    dense[..HLL_HDR_SIZE].copy_from_slice(&hll[..HLL_HDR_SIZE]);
    dense[4] = ENC_DENSE;
    {
        let regs = &mut dense[HLL_HDR_SIZE..];
        walk_sparse(&hll[HLL_HDR_SIZE..], |first, v, n| {
            for i in first..first + n {
                dense_set(regs, i, v);
            }
        })?;
    }
    *hll = dense;
    Ok(true)
}

/// Raises register `index` of a sparse value to `count`, editing the opcode stream in
/// place the way Redis does (split the covering opcode, then coalesce equal
/// neighbouring VALs), promoting to dense when the value or the size demands it.
/// Marks the cache stale when the sparse body changed (the promote path leaves that
/// to the caller, as Redis does).
fn sparse_set(hll: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, HllError> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote_and_set(hll, index, count);
    }
    let end = hll.len();
    let mut pos = HLL_HDR_SIZE;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut found: Option<Op> = None;
    while pos < end {
        let op = op_at(hll, pos);
        if index < first + op.span() {
            found = Some(op);
            break;
        }
        prev = Some(pos);
        pos += op.width();
        first += op.span();
    }
    let op = match found {
        Some(op) => op,
        None => return Err(HllError::Corrupted),
    };

    let mut coalesce_only = false;
    match op {
        Op::Val(old, _) if old >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => {
            hll[pos] = val_byte(count, 1);
            coalesce_only = true;
        }
        _ => {}
    }

    if !coalesce_only {
        let last = first + op.span() - 1;
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        match op {
            Op::Val(cur, _) => {
                if index != first {
                    seq.push(val_byte(cur, index - first));
                }
                seq.push(val_byte(count, 1));
                if index != last {
                    seq.push(val_byte(cur, last - index));
                }
            }
            Op::Zero(_) | Op::XZero(_) => {
                if index != first {
                    push_zero_run(&mut seq, index - first);
                }
                seq.push(val_byte(count, 1));
                if index != last {
                    push_zero_run(&mut seq, last - index);
                }
            }
        }
        let old_width = op.width();
        let new_len = (end + seq.len()).saturating_sub(old_width);
        if seq.len() > old_width && new_len > max_bytes {
            return promote_and_set(hll, index, count);
        }
        // A truncated trailing XZERO "ends" one byte past the value; Redis then
        // resizes by the opcode-length delta, which drops the overhanging byte.
        let cut = (pos + old_width).min(end);
        hll.splice(pos..cut, seq);
        hll.truncate(new_len);
    }

    // Adjacent VALs with the same value are merged, scanning a few opcodes from
    // the one before the edit, to keep the encoding identical to Redis's.
    let mut p = prev.unwrap_or(HLL_HDR_SIZE);
    let mut budget = 5;
    while p < hll.len() && budget > 0 {
        budget -= 1;
        let op = op_at(hll, p);
        let (v1, l1) = match op {
            Op::Val(v, l) => (v, l),
            _ => {
                p += op.width();
                continue;
            }
        };
        if p + 1 < hll.len() {
            if let Op::Val(v2, l2) = op_at(hll, p + 1) {
                if v1 == v2 && l1 + l2 <= SPARSE_VAL_MAX_LEN {
                    hll[p + 1] = val_byte(v1, l1 + l2);
                    hll.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(hll);
    Ok(true)
}

fn promote_and_set(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, HllError> {
    sparse_to_dense(hll)?;
    Ok(dense_raise(&mut hll[HLL_HDR_SIZE..], index, count))
}

// ---------------------------------------------------------------------------
// Estimation

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    // The cap only matters for impossible inputs (which would spin forever in C).
    for _ in 0..4096 {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            break;
        }
    }
    z
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    for _ in 0..4096 {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        // C's pow(v, 2) is compiled to v * v.
        let d = 1.0 - x;
        z -= d * d * y;
        if before == z {
            break;
        }
    }
    z / 3.0
}

/// How many registers hold each value 0..=63.
type Histo = [u32; 64];

fn estimate(h: &Histo) -> u64 {
    let m = HLL_REGISTERS as f64;
    let mut z = m * tau((m - h[HLL_Q + 1] as f64) / m);
    for j in (1..=HLL_Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    // llroundl rounds half away from zero (like f64::round) and yields i64::MIN
    // for anything it cannot represent, e.g. the infinity produced when every
    // register is >= 51 (only possible in a hand-made dense value).
    let e = (HLL_ALPHA_INF * m * m / z).round();
    let rounded = if e.is_finite() && (-TWO_POW_63..TWO_POW_63).contains(&e) { e as i64 } else { i64::MIN };
    // Redis keeps that as a double and casts it to uint64_t: on x86-64 a negative
    // value goes through the signed conversion, so i64::MIN becomes 2^63.
    let back = rounded as f64;
    if back >= TWO_POW_63 {
        back as u64
    } else {
        back as i64 as u64
    }
}

fn histogram(hll: &[u8]) -> Result<Histo, HllError> {
    let mut h: Histo = [0; 64];
    if is_dense(hll) {
        let regs = &hll[HLL_HDR_SIZE..];
        for i in 0..HLL_REGISTERS {
            h[dense_get(regs, i) as usize] += 1;
        }
        return Ok(h);
    }
    walk_sparse(&hll[HLL_HDR_SIZE..], |_, v, n| h[v as usize] += n as u32)?;
    h[0] = HLL_REGISTERS as u32 - h.iter().skip(1).sum::<u32>();
    Ok(h)
}

/// Folds one HLL into a raw register array (`max[i] = max(max[i], reg[i])`).
fn merge_into(max: &mut [u8], hll: &[u8]) -> Result<(), HllError> {
    if is_dense(hll) {
        let regs = &hll[HLL_HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate() {
            let v = dense_get(regs, i);
            if v > *m {
                *m = v;
            }
        }
        Ok(())
    } else {
        walk_sparse(&hll[HLL_HDR_SIZE..], |first, v, n| {
            for m in &mut max[first..first + n] {
                if v > *m {
                    *m = v;
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------
// Command-level operations

/// PFADD of one element into an existing value. Returns true when a register was
/// raised; the cached cardinality is then marked stale. On `Corrupted` the value is
/// left as it was before this element; Redis edits in place, so changes made by the
/// earlier elements of the same command stay stored even though it replies an error.
///
/// Server side of PFADD: a missing key starts as [`new_sparse`] and the reply is 1
/// even with no elements; an existing key must pass [`validate`] even when no
/// elements are given; otherwise reply 1 iff any `add` returned true.
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max_bytes: usize) -> Result<bool, HllError> {
    validate(hll)?;
    let (index, count) = pattern(element);
    let changed =
        if is_dense(hll) { dense_raise(&mut hll[HLL_HDR_SIZE..], index, count) } else { sparse_set(hll, index, count, sparse_max_bytes)? };
    if changed {
        invalidate_cache(hll);
    }
    Ok(changed)
}

/// Single-key PFCOUNT. With a valid cache the stored number is returned and the
/// value is untouched (even if the body is garbage). Otherwise the estimate is
/// computed and written into bytes 8..16, clearing the stale bit: that is the only
/// mutation, and it happens exactly when `cache_valid` was false and the result is Ok.
/// Redis then treats the key as modified (signal + dirty, so PFCOUNT propagates).
///
/// Reply with `n as i64`: Redis prints the u64 as a signed long long. That matters
/// only for the degenerate 2^63 estimate of a hand-made dense value, which is also
/// stored with the stale bit set, so such a value is recomputed on every PFCOUNT.
pub fn count(hll: &mut [u8]) -> Result<u64, HllError> {
    validate(hll)?;
    if cache_valid(hll) {
        return Ok(read_cache(hll));
    }
    let card = estimate(&histogram(hll)?);
    hll[8..16].copy_from_slice(&card.to_le_bytes());
    Ok(card)
}

/// Multi-key PFCOUNT: cardinality of the union; nothing is modified and caches are
/// ignored. Inputs are checked in order, so the first bad one decides the error.
/// Missing keys should simply be left out. Reply with `n as i64`, as for [`count`].
pub fn count_union(hlls: &[&[u8]]) -> Result<u64, HllError> {
    let mut max = vec![0u8; HLL_REGISTERS];
    for hll in hlls {
        validate(hll)?;
        merge_into(&mut max, hll)?;
    }
    let mut h: Histo = [0; 64];
    for &v in &max {
        h[v as usize] += 1;
    }
    Ok(estimate(&h))
}

/// PFMERGE: the value to store at the destination. `dest` is the destination's
/// current value (None if the key does not exist); like Redis it is also folded in
/// as the first input. Missing source keys should be left out of `sources`.
///
/// Result encoding (7.0.15): dense if any input (destination included) is dense;
/// otherwise the destination (or a fresh empty sparse value) stays sparse and every
/// non-zero register is raised in index order through the sparse editor, which may
/// still promote to dense. The destination's header bytes are kept; the cache is
/// always marked stale.
pub fn merge(dest: Option<&[u8]>, sources: &[&[u8]], sparse_max_bytes: usize) -> Result<Vec<u8>, HllError> {
    let mut max = vec![0u8; HLL_REGISTERS];
    let mut use_dense = false;
    for hll in dest.into_iter().chain(sources.iter().copied()) {
        validate(hll)?;
        use_dense |= is_dense(hll);
        merge_into(&mut max, hll)?;
    }
    let mut out = match dest {
        Some(d) => d.to_vec(),
        None => new_sparse(),
    };
    if use_dense {
        sparse_to_dense(&mut out)?;
    }
    for (i, &v) in max.iter().enumerate() {
        if v == 0 {
            continue;
        }
        if is_dense(&out) {
            dense_raise(&mut out[HLL_HDR_SIZE..], i, v);
        } else {
            // Redis ignores failures here; the destination was already walked
            // successfully above, so none can occur.
            let _ = sparse_set(&mut out, i, v, sparse_max_bytes);
        }
    }
    invalidate_cache(&mut out);
    Ok(out)
}

// ---------------------------------------------------------------------------
// PFDEBUG-style helpers

/// "dense" or "sparse" (PFDEBUG ENCODING).
pub fn encoding_name(bytes: &[u8]) -> Result<&'static str, HllError> {
    validate(bytes)?;
    Ok(if is_dense(bytes) { "dense" } else { "sparse" })
}

/// PFDEBUG TODENSE: converts in place; true if it was sparse (value changed).
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, HllError> {
    validate(hll)?;
    sparse_to_dense(hll)
}

/// PFDEBUG GETREG: all 16384 registers. Like Redis this converts a sparse value to
/// dense in place first (use `to_dense`'s return value semantics: changed if it was sparse).
pub fn registers(hll: &mut Vec<u8>) -> Result<Vec<u8>, HllError> {
    to_dense(hll)?;
    let regs = &hll[HLL_HDR_SIZE..];
    Ok((0..HLL_REGISTERS).map(|i| dense_get(regs, i)).collect())
}

/// PFDEBUG DECODE text ("z:N" ZERO, "Z:N" XZERO, "v:VALUE,LEN" VAL, space separated);
/// `Ok(None)` for a dense value (Redis: "ERR HLL encoding is not sparse").
pub fn decode_sparse(bytes: &[u8]) -> Result<Option<String>, HllError> {
    validate(bytes)?;
    if is_dense(bytes) {
        return Ok(None);
    }
    let mut parts = Vec::new();
    let mut pos = HLL_HDR_SIZE;
    while pos < bytes.len() {
        let op = op_at(bytes, pos);
        pos += op.width();
        parts.push(match op {
            Op::Zero(n) => format!("z:{}", n),
            Op::XZero(n) => format!("Z:{}", n),
            Op::Val(v, n) => format!("v:{},{}", v, n),
        });
    }
    Ok(Some(parts.join(" ")))
}

#[cfg(test)]
mod tests {
    //! Expected values were recorded from a stock redis-server 7.0.15 (Debian
    //! 7.0.15-1~deb12u7) by replaying the same scripts over RESP; each script's
    //! replies are rendered as text ("i<n>", "+OK", "-<error>", "nil",
    //! "$<len>:<fnv1a64 of the bytes>") and the comma-joined trace is hashed.
    use super::*;
    use std::collections::HashMap;

    fn fnv(data: &[u8]) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            h ^= b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        h
    }

    fn elements(seed: u64, n: usize) -> Vec<Vec<u8>> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                if s % 8 == 0 {
                    s.to_le_bytes()[..((s >> 3) % 9) as usize].to_vec()
                } else {
                    format!("e:{}", s >> (s & 63)).into_bytes()
                }
            })
            .collect()
    }

    #[derive(Clone)]
    enum Step {
        Cfg(usize),
        Set(&'static str, Vec<u8>),
        /// key, seed, element count, elements per PFADD, PFCOUNT after every n PFADDs
        Add(&'static str, u64, usize, usize, usize),
        Count(Vec<&'static str>),
        Merge(&'static str, Vec<&'static str>),
        Get(&'static str),
    }
    use Step::*;

    /// Minimal stand-in for the server side of PFADD/PFCOUNT/PFMERGE/GET/SET.
    struct Sim {
        db: HashMap<&'static str, Vec<u8>>,
        max: usize,
        trace: Vec<String>,
    }

    fn err(e: HllError) -> String {
        format!("-{}", e.reply_text())
    }

    impl Sim {
        fn pfadd(&mut self, key: &'static str, els: &[Vec<u8>]) -> String {
            let (mut v, mut updated) = match self.db.get(key) {
                Some(v) => match validate(v) {
                    Ok(()) => (v.clone(), false),
                    Err(e) => return err(e),
                },
                None => (new_sparse(), true),
            };
            for e in els {
                match add(&mut v, e, self.max) {
                    Ok(c) => updated |= c,
                    Err(e) => {
                        self.db.insert(key, v);
                        return err(e);
                    }
                }
            }
            self.db.insert(key, v);
            format!("i{}", updated as u8)
        }

        fn pfcount(&mut self, keys: &[&'static str]) -> String {
            let r = if keys.len() == 1 {
                match self.db.get_mut(keys[0]) {
                    None => Ok(0),
                    Some(v) => count(v),
                }
            } else {
                let vals: Vec<&[u8]> = keys.iter().filter_map(|k| self.db.get(k)).map(|v| &v[..]).collect();
                count_union(&vals)
            };
            // Redis replies with the u64 reinterpreted as a signed long long.
            r.map_or_else(err, |n| format!("i{}", n as i64))
        }

        fn pfmerge(&mut self, dest: &'static str, srcs: &[&'static str]) -> String {
            let vals: Vec<&[u8]> = srcs.iter().filter_map(|k| self.db.get(k)).map(|v| &v[..]).collect();
            match merge(self.db.get(dest).map(|v| &v[..]), &vals, self.max) {
                Ok(v) => {
                    self.db.insert(dest, v);
                    "+OK".to_string()
                }
                Err(e) => err(e),
            }
        }

        fn run(&mut self, steps: &[Step]) {
            for step in steps {
                match step {
                    Cfg(m) => self.max = *m,
                    Set(k, v) => {
                        self.db.insert(k, v.clone());
                    }
                    Add(k, seed, n, batch, every) => {
                        let els = elements(*seed, *n);
                        if els.is_empty() {
                            let r = self.pfadd(k, &[]);
                            self.trace.push(r);
                        }
                        for (j, chunk) in els.chunks(*batch).enumerate() {
                            let r = self.pfadd(k, chunk);
                            self.trace.push(r);
                            if *every > 0 && (j + 1) % every == 0 {
                                let r = self.pfcount(&[k]);
                                self.trace.push(r);
                            }
                        }
                    }
                    Count(keys) => {
                        let r = self.pfcount(keys);
                        self.trace.push(r);
                    }
                    Merge(d, s) => {
                        let r = self.pfmerge(d, s);
                        self.trace.push(r);
                    }
                    Get(k) => {
                        let r = match self.db.get(k) {
                            None => "nil".to_string(),
                            Some(v) => format!("${}:{:016x}", v.len(), fnv(v)),
                        };
                        self.trace.push(r);
                    }
                }
            }
        }
    }

    fn hdr(enc: u8, card: [u8; 8], unused: [u8; 3]) -> Vec<u8> {
        let mut v = b"HYLL".to_vec();
        v.push(enc);
        v.extend_from_slice(&unused);
        v.extend_from_slice(&card);
        v
    }
    const STALE: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0x80];
    fn sp() -> Vec<u8> {
        hdr(1, STALE, [0; 3])
    }
    fn xz(n: usize) -> Vec<u8> {
        let mut v = Vec::new();
        let l = n - 1;
        v.push(0x40 | (l >> 8) as u8);
        v.push((l & 0xff) as u8);
        v
    }
    fn z(n: usize) -> Vec<u8> {
        vec![n as u8 - 1]
    }
    fn v(val: u8, n: usize) -> Vec<u8> {
        vec![val_byte(val, n)]
    }
    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }
    fn rep(part: Vec<u8>, n: usize) -> Vec<u8> {
        part.repeat(n)
    }

    const ABC: &[u8] = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ";

    /// The same scripts, in the same order, as the recorder ran against Redis.
    fn scripts() -> Vec<(String, usize, Vec<Step>)> {
        let mut out = Vec::new();
        for seed in 1..6 {
            for n in [1, 10, 100, 1000, 20000] {
                out.push((format!("seq seed={} n={}", seed, n), 3000, vec![Add("k", seed, n, 1, 0)]));
            }
        }
        let plain: &[(&str, usize, Step)] = &[
            ("empty pfadd", 3000, Add("k", 0, 0, 1, 0)),
            ("interleaved counts", 3000, Add("k", 6, 3000, 1, 37)),
            ("interleaved counts dense", 3000, Add("k", 7, 20000, 1, 500)),
            ("small sparse max", 200, Add("k", 8, 5000, 1, 50)),
            ("large sparse max", 12000, Add("k", 9, 8000, 1, 100)),
            ("sparse max zero", 0, Add("k", 12, 2000, 7, 3)),
            ("count after each add", 3000, Add("k", 13, 400, 1, 1)),
            ("batched 200k", 3000, Add("k", 10, 200_000, 1000, 10)),
            ("batched 1M", 3000, Add("k", 11, 1_000_000, 5000, 0)),
            ("batched sparse", 3000, Add("k", 14, 600, 13, 2)),
        ];
        for (name, max, step) in plain {
            out.push((name.to_string(), *max, vec![step.clone()]));
        }
        out.push((
            "lowered max".to_string(),
            3000,
            vec![Add("k", 15, 500, 1, 0), Get("k"), Cfg(100), Add("k", 16, 50, 1, 0), Get("k"), Count(vec!["k"])],
        ));

        let setup = vec![
            Add("s1", 21, 10, 1, 0),
            Count(vec!["s1"]),
            Add("s2", 22, 300, 1, 0),
            Add("s3", 23, 5, 1, 0),
            Add("d1", 24, 5000, 1, 0),
            Add("d2", 25, 50000, 50, 0),
            Count(vec!["d2"]),
            Add("s4", 26, 900, 1, 0),
        ];
        let merges: Vec<(&str, usize, Vec<Step>)> = vec![
            ("merge new dest sparse", 3000, vec![Merge("m", vec!["s1", "s2"])]),
            ("merge new dest sparse+dense", 3000, vec![Merge("m", vec!["s1", "d1"])]),
            ("merge into existing sparse", 3000, vec![Merge("s3", vec!["s1", "s2"])]),
            ("merge into existing sparse, dest listed", 3000, vec![Merge("s3", vec!["s3", "d1"])]),
            ("merge into dense dest", 3000, vec![Merge("d2", vec!["s1"])]),
            ("merge nothing", 3000, vec![Merge("m", vec![])]),
            ("merge missing sources", 3000, vec![Merge("m", vec!["nokey", "s1", "nokey2"])]),
            ("merge promotes by size", 3000, vec![Merge("m", vec!["s2", "s4"])]),
            ("merge small max", 200, vec![Merge("m", vec!["s2"])]),
            ("merge into counted sparse", 3000, vec![Merge("s1", vec!["s3"])]),
            ("merge self only", 3000, vec![Merge("s2", vec![])]),
            ("merge dense sources", 3000, vec![Merge("m", vec!["d1", "d2", "s4"])]),
            (
                "union counts",
                3000,
                vec![
                    Count(vec!["s1", "s2"]),
                    Count(vec!["s1", "d1"]),
                    Count(vec!["d1", "d2", "s3"]),
                    Count(vec!["s1", "s1"]),
                    Count(vec!["nokey", "s4"]),
                    Count(vec!["nokey", "nokey2"]),
                ],
            ),
            ("merge then add", 3000, vec![Merge("m", vec!["s1", "s3"]), Add("m", 27, 400, 1, 0)]),
        ];
        for (name, max, ops) in merges {
            let mut steps = setup.clone();
            steps.push(Cfg(max));
            steps.extend(ops);
            for k in ["m", "s1", "s2", "s3", "s4", "d1", "d2"] {
                steps.extend([Get(k), Count(vec![k]), Get(k)]);
            }
            out.push((name.to_string(), max, steps));
        }

        let mut cached = [0u8; 8];
        cached[..2].copy_from_slice(&12345u16.to_le_bytes());
        let huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        let dense_mixed: Vec<u8> = (0..12288usize).map(|i| (i * 37) as u8).collect();
        let crafted: Vec<(&str, Vec<u8>)> = vec![
            ("plain string", b"foo".to_vec()),
            ("15-byte header", sp()[..15].to_vec()),
            ("header only sparse stale", sp()),
            ("header only sparse cached", hdr(1, [0; 8], [0; 3])),
            ("bad encoding", cat(&[hdr(2, STALE, [0; 3]), xz(16384)])),
            ("bad magic", cat(&[b"HYLX".to_vec(), sp()[4..].to_vec(), xz(16384)])),
            ("dense short", cat(&[hdr(0, STALE, [0; 3]), vec![0; 12287]])),
            ("dense long", cat(&[hdr(0, STALE, [0; 3]), vec![0; 12289]])),
            ("dense all 63 odd header", cat(&[hdr(0, STALE, *b"abc"), vec![0xff; 12288]])),
            ("dense mixed", cat(&[hdr(0, STALE, [0; 3]), dense_mixed])),
            ("sparse short of registers", cat(&[sp(), xz(16383)])),
            ("sparse too many registers", cat(&[sp(), xz(16384), z(1)])),
            ("sparse trailing val", cat(&[sp(), xz(16384), v(3, 2)])),
            ("sparse val overflow", cat(&[sp(), xz(16382), v(5, 4)])),
            ("sparse truncated xzero", cat(&[sp(), xz(16383), vec![0x40]])),
            ("sparse truncated xzero 2", cat(&[sp(), xz(16000), vec![0x41]])),
            ("sparse cached garbage", cat(&[hdr(1, cached, [0; 3]), vec![0xff, 0xff]])),
            ("sparse cached huge", cat(&[hdr(1, huge, [0; 3]), xz(16384)])),
            ("sparse odd header", cat(&[hdr(1, [5, 0, 0, 0, 0, 0, 0, 0x80], [1, 2, 3]), xz(16384)])),
            ("sparse unmerged vals", cat(&[sp(), rep(v(2, 1), 8), rep(z(64), 10), xz(16384 - 8 - 640)])),
            ("sparse high vals", cat(&[sp(), rep(v(32, 4), 100), xz(16384 - 400)])),
            ("sparse all small zeros", cat(&[sp(), rep(z(64), 256)])),
            ("abc", ABC.to_vec()),
            ("sparse wrapped index", cat(&[sp(), rep(xz(16384), 262_145)])),
            ("sparse wrapped then body", cat(&[sp(), rep(xz(16384), 262_144), v(7, 3), xz(16381)])),
        ];
        for (name, val) in crafted {
            let big = val.len() > 100_000;
            let mut steps = vec![
                Set("x", val.clone()),
                Set("ok", ABC.to_vec()),
                Set("foo", b"foo".to_vec()),
                Get("x"),
                Count(vec!["x"]),
                Get("x"),
                // Error precedence: inputs are checked in argument order, dest first.
                Merge("ok", vec!["x", "foo"]),
                Merge("ok", vec!["foo", "x"]),
                Merge("x", vec!["ok"]),
                Get("x"),
                Set("x", val.clone()),
                Count(vec!["x", "x"]),
                // Multi-element PFADD that may fail half way keeps earlier changes.
                Add("x", 34, 2000, 400, 0),
                Get("x"),
                Set("x", val),
                Set("ok", ABC.to_vec()),
                Count(vec!["ok", "x"]),
                Count(vec!["x", "ok"]),
                Merge("y", vec!["x"]),
                Get("y"),
                Merge("ok", vec!["x"]),
                Get("ok"),
                Add("x", 31, 40, 1, 0),
                Get("x"),
                Count(vec!["x"]),
                Add("x", 32, 3, 1, 0),
                Add("x", 33, 5000, 1, 0),
                Get("x"),
                Count(vec!["x"]),
                Get("x"),
            ];
            if big {
                steps.retain(|s| !matches!(s, Get(_)));
                steps.push(Get("y"));
            }
            out.push((format!("craft {}", name), 3000, steps));
        }
        out
    }

    #[test]
    fn matches_reference_traces() {
        let scripts = scripts();
        assert_eq!(scripts.len(), EXPECTED.len());
        let dump = std::env::var("HLL_TRACE_DUMP").ok();
        let mut dumped = String::new();
        let mut failures = Vec::new();
        for ((name, max, steps), &(ename, emax, ehash, ereplies)) in scripts.iter().zip(EXPECTED) {
            assert_eq!((name.as_str(), *max), (ename, emax));
            let mut sim = Sim { db: HashMap::new(), max: *max, trace: Vec::new() };
            sim.run(steps);
            let text = sim.trace.join(",");
            if dump.is_some() {
                dumped.push_str(&format!("{}\n{}\n", name, text));
            }
            if fnv(text.as_bytes()) != ehash || sim.trace.len() != ereplies {
                failures.push(name.clone());
            }
        }
        if let Some(path) = dump {
            let _ = std::fs::write(path, dumped);
        }
        assert!(failures.is_empty(), "mismatching scripts: {:?}", failures);
    }

    #[test]
    fn known_values() {
        let empty = new_sparse();
        assert_eq!(&empty[..], b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff");
        let mut h = new_sparse();
        for e in [&b"a"[..], b"b", b"c"] {
            assert_eq!(add(&mut h, e, HLL_SPARSE_MAX_BYTES_DEFAULT), Ok(true));
        }
        assert_eq!(&h[..], ABC);
        assert_eq!(add(&mut h, b"a", HLL_SPARSE_MAX_BYTES_DEFAULT), Ok(false));
        assert!(!cache_valid(&h));
        assert_eq!(count(&mut h), Ok(3));
        assert!(cache_valid(&h));
        assert_eq!(&h[8..16], &[3, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decode_sparse(&h).unwrap().unwrap(), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(encoding_name(&h), Ok("sparse"));
        let regs = registers(&mut h).unwrap();
        assert_eq!(h.len(), HLL_DENSE_SIZE);
        assert_eq!(regs.iter().filter(|&&r| r != 0).count(), 3);
        assert_eq!(decode_sparse(&h), Ok(None));
        assert_eq!(validate(b"foo"), Err(HllError::NotHll));
        assert_eq!(count(&mut sp()), Err(HllError::Corrupted));
    }

    #[test]
    fn value_above_sparse_limit_promotes() {
        // No practical element hashes to a run > 32, so drive the editor directly.
        let mut h = new_sparse();
        assert_eq!(sparse_set(&mut h, 5, 33, HLL_SPARSE_MAX_BYTES_DEFAULT), Ok(true));
        assert_eq!(h.len(), HLL_DENSE_SIZE);
        assert_eq!(registers(&mut h).unwrap()[5], 33);
        let mut bad = cat(&[sp(), xz(100)]);
        assert_eq!(sparse_set(&mut bad, 5, 40, 3000), Err(HllError::Corrupted));
        assert_eq!(bad, cat(&[sp(), xz(100)]));
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut s: u64 = 0x1234_5678_9abc_def1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for round in 0..3000 {
            let len = (next() % 64) as usize;
            let mut val = hdr((round % 3) as u8, STALE, [0; 3]);
            if round % 3 == 0 {
                val.resize(HLL_DENSE_SIZE, 0);
            }
            val.extend((0..len).map(|_| next() as u8));
            if round % 5 == 0 {
                let cut = (next() as usize) % (val.len() + 1);
                val.truncate(cut);
            }
            let mut a = val.clone();
            for e in elements(round, 20) {
                let _ = add(&mut a, &e, (next() % 64) as usize);
            }
            let _ = count(&mut a);
            let _ = count(&mut val.clone());
            let _ = count_union(&[&val, &a]);
            let _ = merge(Some(&val), &[&a], 40);
            let _ = decode_sparse(&val);
            let _ = registers(&mut val.clone());
        }
    }

    const EXPECTED: &[(&str, usize, u64, usize)] = &[
        ("seq seed=1 n=1", 3000, 0x08b70307b55bf1af, 1),
        ("seq seed=1 n=10", 3000, 0x92eb8e455855b333, 10),
        ("seq seed=1 n=100", 3000, 0x3d66a95e23450ddb, 100),
        ("seq seed=1 n=1000", 3000, 0xb7e1ab92f6bdbc8c, 1000),
        ("seq seed=1 n=20000", 3000, 0xaaea77f1b814cc9d, 20000),
        ("seq seed=2 n=1", 3000, 0x08b70307b55bf1af, 1),
        ("seq seed=2 n=10", 3000, 0x92eb8e455855b333, 10),
        ("seq seed=2 n=100", 3000, 0xfc95d97082ae4006, 100),
        ("seq seed=2 n=1000", 3000, 0xd11974b208862041, 1000),
        ("seq seed=2 n=20000", 3000, 0x55ab50a1af5d2362, 20000),
        ("seq seed=3 n=1", 3000, 0x08b70307b55bf1af, 1),
        ("seq seed=3 n=10", 3000, 0x92eb8e455855b333, 10),
        ("seq seed=3 n=100", 3000, 0x6f3100752a1f2b3b, 100),
        ("seq seed=3 n=1000", 3000, 0xc33d6f9f6cf7f6a8, 1000),
        ("seq seed=3 n=20000", 3000, 0x5eca2f2678a241e3, 20000),
        ("seq seed=4 n=1", 3000, 0x08b70307b55bf1af, 1),
        ("seq seed=4 n=10", 3000, 0x92eb8e455855b333, 10),
        ("seq seed=4 n=100", 3000, 0xde85600b46f2036e, 100),
        ("seq seed=4 n=1000", 3000, 0xcaea4131800ba8fc, 1000),
        ("seq seed=4 n=20000", 3000, 0x85ff7f46f51ba6d4, 20000),
        ("seq seed=5 n=1", 3000, 0x08b70307b55bf1af, 1),
        ("seq seed=5 n=10", 3000, 0x92eb8e455855b333, 10),
        ("seq seed=5 n=100", 3000, 0x0eaa8aa1ab7523c8, 100),
        ("seq seed=5 n=1000", 3000, 0xd28339b82726a0a2, 1000),
        ("seq seed=5 n=20000", 3000, 0x85187f094c845408, 20000),
        ("empty pfadd", 3000, 0x08b70307b55bf1af, 1),
        ("interleaved counts", 3000, 0x82b38386f8a7cda4, 3081),
        ("interleaved counts dense", 3000, 0xfa9cd8f4d83f6737, 20040),
        ("small sparse max", 200, 0xf50d1883358bc987, 5100),
        ("large sparse max", 12000, 0xcf81e50a4d4b67ad, 8080),
        ("sparse max zero", 0, 0x25f5c5521fc7ba34, 381),
        ("count after each add", 3000, 0xf2afc5eb778722d2, 800),
        ("batched 200k", 3000, 0x463984f6ecb67fd2, 220),
        ("batched 1M", 3000, 0x1323bbc38831684b, 200),
        ("batched sparse", 3000, 0xadcb7b14416064dc, 70),
        ("lowered max", 3000, 0xeaf650ee7f516959, 553),
        ("merge new dest sparse", 3000, 0x537ca22b5f4add30, 7239),
        ("merge new dest sparse+dense", 3000, 0x5099915394dbb0dd, 7239),
        ("merge into existing sparse", 3000, 0xd82b1c041ea6f2e9, 7239),
        ("merge into existing sparse, dest listed", 3000, 0x2531aec43abc1dd8, 7239),
        ("merge into dense dest", 3000, 0xdd28df9fb6691358, 7239),
        ("merge nothing", 3000, 0xb13b1dc8afc62221, 7239),
        ("merge missing sources", 3000, 0x22e302123fa5a5cf, 7239),
        ("merge promotes by size", 3000, 0x97464ebaf32fbdd3, 7239),
        ("merge small max", 200, 0xe0585c00c476f8ae, 7239),
        ("merge into counted sparse", 3000, 0x95d4f00477359c26, 7239),
        ("merge self only", 3000, 0x4b1b332f8d3e9cff, 7239),
        ("merge dense sources", 3000, 0x555bfdd273db8ebb, 7239),
        ("union counts", 3000, 0x08168fad2736511b, 7244),
        ("merge then add", 3000, 0x69a1428618e2fff7, 7639),
        ("craft plain string", 3000, 0xed929cb907f40c19, 5068),
        ("craft 15-byte header", 3000, 0xb8edf8dd572da147, 5068),
        ("craft header only sparse stale", 3000, 0xc7d59be9cc7ae140, 5068),
        ("craft header only sparse cached", 3000, 0x2b3c53159224d6f5, 5068),
        ("craft bad encoding", 3000, 0x98d1e496d79a5855, 5068),
        ("craft bad magic", 3000, 0xd35db71bc53476fb, 5068),
        ("craft dense short", 3000, 0x8237f342ed10a406, 5068),
        ("craft dense long", 3000, 0x90031aeee2665875, 5068),
        ("craft dense all 63 odd header", 3000, 0xe4e525b5f9814762, 5068),
        ("craft dense mixed", 3000, 0x91f342b0723ea844, 5068),
        ("craft sparse short of registers", 3000, 0xc32937daef3c31f7, 5068),
        ("craft sparse too many registers", 3000, 0x8e67612914f31597, 5068),
        ("craft sparse trailing val", 3000, 0xb5efdc537cdbe484, 5068),
        ("craft sparse val overflow", 3000, 0xca28f18b88b97930, 5068),
        ("craft sparse truncated xzero", 3000, 0x20c1d932d14bb567, 5068),
        ("craft sparse truncated xzero 2", 3000, 0xf8823f5a8f6dc8ca, 5068),
        ("craft sparse cached garbage", 3000, 0xde4781c9160b2b35, 5068),
        ("craft sparse cached huge", 3000, 0x8798b86215ca2b6d, 5068),
        ("craft sparse odd header", 3000, 0x761d234d1e4ad9d0, 5068),
        ("craft sparse unmerged vals", 3000, 0xc81865b825d1cccb, 5068),
        ("craft sparse high vals", 3000, 0x22602a50ea3482c3, 5068),
        ("craft sparse all small zeros", 3000, 0x98a131cb965aaadb, 5068),
        ("craft abc", 3000, 0x97729283b1228f98, 5068),
        ("craft sparse wrapped index", 3000, 0x6083b8ca5c177e2d, 5060),
        ("craft sparse wrapped then body", 3000, 0x6083b8ca5c177e2d, 5060),
    ];
}
