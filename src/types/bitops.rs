//! Pure bitmap algorithms behind SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and
//! BITFIELD, reproducing Redis 7.0.15 results exactly.
//!
//! Contract: every function works on a plain byte slice (the string value;
//! integer-encoded values must be passed as their decimal text, as Redis
//! does), never panics, and never grows a buffer beyond what Redis itself
//! could reach with the default `proto-max-bulk-len` of 512MB: bit offsets
//! up to 2^32-1 plus at most 64 bits of field width. Bit 0 is the most
//! significant bit of byte 0. Argument syntax, WRONGTYPE checks, key
//! creation/deletion and replies stay with the command layer; the rules the
//! caller must apply are documented on each function.

/// Default `proto-max-bulk-len`; bit offsets are bounded by it.
pub const PROTO_MAX_BULK_LEN: i64 = 512 * 1024 * 1024;

/// Largest bit offset `parse_offset` accepts with the default limit.
pub const MAX_BIT_OFFSET: u64 = (PROTO_MAX_BULK_LEN as u64) * 8 - 1;

/// Hard ceiling for buffers grown by the write helpers: the byte holding the
/// last bit of a 64-bit field at `MAX_BIT_OFFSET`. Writes that would need
/// more are caller bugs; they are ignored rather than allowed to allocate.
pub const MAX_WRITE_LEN: usize = ((MAX_BIT_OFFSET + 63) / 8 + 1) as usize;

/// Error text (without the `ERR ` prefix) for a bad bit offset.
pub const ERR_BIT_OFFSET: &str = "bit offset is not an integer or out of range";
/// Error text (without the `ERR ` prefix) for a bad BITFIELD type.
pub const ERR_BITFIELD_TYPE: &str = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

// ---- Counting and searching ----

/// Number of set bits. Works a 32-byte block at a time with independent
/// accumulators so the adds do not serialise on one register.
pub fn popcount(bytes: &[u8]) -> u64 {
    let mut acc = [0u64; 4];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (k, word) in block.chunks_exact(8).enumerate() {
            acc[k] += u64::from(load_u64(word).count_ones());
        }
    }
    let mut total = acc.iter().sum::<u64>();
    let mut words = blocks.remainder().chunks_exact(8);
    for word in &mut words {
        total += u64::from(load_u64(word).count_ones());
    }
    for b in words.remainder() {
        total += u64::from(b.count_ones());
    }
    total
}

/// Native-endian load of an 8-byte chunk; endianness is irrelevant for
/// popcount and for comparisons against all-zero/all-one words.
#[inline]
fn load_u64(word: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&word[..8]);
    u64::from_ne_bytes(a)
}

/// Resolves a Redis `start`/`end` pair against a length in the chosen unit:
/// negatives count from the end, both are clamped into the value, and an
/// empty result is `None`. `i128` keeps every step overflow-free for any
/// i64 input.
fn normalize(start: i64, end: i64, total: i128) -> Option<(u64, u64)> {
    let mut s = i128::from(start);
    let mut e = i128::from(end);
    if s < 0 {
        s += total;
    }
    if e < 0 {
        e += total;
    }
    s = s.max(0);
    e = e.max(0);
    if e >= total {
        e = total - 1;
    }
    if s > e {
        return None;
    }
    // Both are now in 0..total, which itself came from a slice length.
    Some((s as u64, e as u64))
}

/// Inclusive bit range covered by a range in the chosen unit.
fn to_bit_range(s: u64, e: u64, unit_is_bit: bool) -> (u64, u64) {
    if unit_is_bit {
        (s, e)
    } else {
        (s * 8, e * 8 + 7)
    }
}

fn unit_len(bytes: &[u8], unit_is_bit: bool) -> i128 {
    let n = bytes.len() as i128;
    if unit_is_bit {
        n * 8
    } else {
        n
    }
}

/// `BITCOUNT key start end [BYTE|BIT]`. For the form without a range the
/// caller uses `popcount` on the whole value. A missing key counts 0.
///
/// Redis 7.0 returns 0 straight away when both indexes are negative and
/// `start > end`, even where clamping would otherwise make them overlap
/// (`BITCOUNT k -5 -10` on a 3-byte value is 0, while `-10 -5` counts byte 0).
pub fn bitcount_range(bytes: &[u8], start: i64, end: i64, unit_is_bit: bool) -> u64 {
    if start < 0 && end < 0 && start > end {
        return 0;
    }
    let Some((s, e)) = normalize(start, end, unit_len(bytes, unit_is_bit)) else {
        return 0;
    };
    let (sb, eb) = to_bit_range(s, e, unit_is_bit);
    let (first, last) = ((sb / 8) as usize, (eb / 8) as usize);
    let head = 0xffu8 >> (sb % 8);
    let tail = 0xffu8 << (7 - eb % 8);
    if first == last {
        return u64::from((bytes[first] & head & tail).count_ones());
    }
    u64::from((bytes[first] & head).count_ones()) + popcount(&bytes[first + 1..last]) + u64::from((bytes[last] & tail).count_ones())
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]` on an existing key.
///
/// The caller answers a missing key itself: 0 when looking for a clear bit,
/// -1 for a set bit (an absent key is an endless run of zeros). An existing
/// empty value, by contrast, gives -1 for both, which this function returns.
///
/// `start: None` means 0 and `end: None` means the last unit, so
/// `(None, None)` searches the whole value; `end` being `Some` is what marks
/// an explicit end. Rules, as in 7.0.15: indexes are normalised like
/// BITCOUNT but without its "both negative and reversed" shortcut
/// (`BITPOS k 1 -5 -10` on 3 bytes searches byte 0); an empty normalised
/// range gives -1; looking for a 0 that is not in the range gives -1 when
/// `end` was given and otherwise the first bit past the value (the value is
/// taken as zero padded on the right), e.g. `BITPOS k 0` and `BITPOS k 0 1`
/// on `\xff\xff\xff` give 24 but `BITPOS k 0 1 -1` gives -1.
pub fn bitpos(bytes: &[u8], bit: bool, start: Option<i64>, end: Option<i64>, unit_is_bit: bool) -> i64 {
    let end_given = end.is_some();
    // With no explicit end the range runs to the last unit, which is what
    // Redis's own default end resolves to after clamping.
    let range = normalize(start.unwrap_or(0), end.unwrap_or(-1), unit_len(bytes, unit_is_bit));
    let Some((s, e)) = range else {
        return -1;
    };
    let (sb, eb) = to_bit_range(s, e, unit_is_bit);
    match find_bit(bytes, bit, sb, eb) {
        Some(pos) => pos as i64,
        None if bit || end_given => -1,
        None => (eb + 1) as i64,
    }
}

/// First bit equal to `bit` in the inclusive bit range, which must lie
/// inside `bytes`. Whole bytes (and then whole words) that cannot contain
/// the target are skipped, which matters for long uniform runs.
fn find_bit(bytes: &[u8], bit: bool, sb: u64, eb: u64) -> Option<u64> {
    let (first, last) = ((sb / 8) as usize, (eb / 8) as usize);
    // Inverting when looking for zeros turns every case into "find a one".
    let flip = if bit { 0u8 } else { 0xff };
    let head = 0xffu8 >> (sb % 8);
    let tail = 0xffu8 << (7 - eb % 8);
    let hit = |i: usize, b: u8| Some(i as u64 * 8 + u64::from(b.leading_zeros()));
    if first == last {
        let b = (bytes[first] ^ flip) & head & tail;
        return if b != 0 { hit(first, b) } else { None };
    }
    let b = (bytes[first] ^ flip) & head;
    if b != 0 {
        return hit(first, b);
    }
    let middle = &bytes[first + 1..last];
    let skip_word = if bit { 0u64 } else { u64::MAX };
    let mut words = middle.chunks_exact(8);
    let mut base = first + 1;
    for word in &mut words {
        if load_u64(word) != skip_word {
            break;
        }
        base += 8;
    }
    for (k, &byte) in bytes[base..last].iter().enumerate() {
        let b = byte ^ flip;
        if b != 0 {
            return hit(base + k, b);
        }
    }
    let b = (bytes[last] ^ flip) & tail;
    if b != 0 {
        hit(last, b)
    } else {
        None
    }
}

// ---- BITOP ----

/// BITOP operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// Combines the sources into a value as long as the longest one, shorter
/// sources reading as zero bytes. `Not` uses only the first source (the
/// caller rejects NOT with more than one key). Missing keys are passed as
/// empty slices. An empty result means the caller deletes the destination
/// and replies 0.
pub fn bitop(op: BitOp, srcs: &[&[u8]]) -> Vec<u8> {
    let Some((head, rest)) = srcs.split_first() else {
        return Vec::new();
    };
    if op == BitOp::Not {
        return head.iter().map(|b| !b).collect();
    }
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = Vec::with_capacity(maxlen);
    out.extend_from_slice(head);
    out.resize(maxlen, 0);
    for src in rest {
        match op {
            BitOp::And => {
                zip_apply(&mut out, src, |a, b| a & b);
                out[src.len()..].fill(0);
            }
            BitOp::Or => zip_apply(&mut out, src, |a, b| a | b),
            BitOp::Xor => zip_apply(&mut out, src, |a, b| a ^ b),
            BitOp::Not => {}
        }
    }
    out
}

/// Generic so each operator gets its own plain zipped loop, which the
/// compiler vectorises.
fn zip_apply(out: &mut [u8], src: &[u8], f: impl Fn(u8, u8) -> u8) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = f(*o, b);
    }
}

// ---- Single bits (GETBIT / SETBIT) ----

/// Value of one bit; bits past the end read as 0.
pub fn get_bit(bytes: &[u8], offset: u64) -> bool {
    match usize::try_from(offset / 8).ok().and_then(|i| bytes.get(i)) {
        Some(b) => b & (0x80 >> (offset % 8)) != 0,
        None => false,
    }
}

/// Sets one bit, zero-extending the value as needed, and returns the old bit.
/// `offset` should come from `parse_bit_offset`.
pub fn set_bit(bytes: &mut Vec<u8>, offset: u64, on: bool) -> bool {
    let old = get_bit(bytes, offset);
    if !grow_for(bytes, offset, 1) {
        return old;
    }
    let i = (offset / 8) as usize;
    let mask = 0x80u8 >> (offset % 8);
    if on {
        bytes[i] |= mask;
    } else {
        bytes[i] &= !mask;
    }
    old
}

/// Zero-extends `bytes` so that bits `offset .. offset+bits` exist. Returns
/// false (leaving `bytes` alone) when that would exceed `MAX_WRITE_LEN`.
fn grow_for(bytes: &mut Vec<u8>, offset: u64, bits: u8) -> bool {
    let need = offset.saturating_add(u64::from(bits) - 1) / 8 + 1;
    match usize::try_from(need) {
        Ok(n) if n <= MAX_WRITE_LEN => {
            if bytes.len() < n {
                bytes.resize(n, 0);
            }
            true
        }
        _ => false,
    }
}

/// Offset argument of SETBIT/GETBIT (no `#` form), checked against the
/// default `proto-max-bulk-len`. `None` means reply `ERR_BIT_OFFSET`.
pub fn parse_bit_offset(s: &[u8]) -> Option<u64> {
    parse_offset_with_limit(s, None, PROTO_MAX_BULK_LEN)
}

// ---- BITFIELD ----

/// A BITFIELD integer type such as `i5` or `u16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldType {
    pub signed: bool,
    pub bits: u8,
}

impl FieldType {
    /// Parses `i1`..`i64` or `u1`..`u63` with Redis's number rules. Redis
    /// reads the width with `strlen`, so anything after an embedded NUL is
    /// ignored (`"u8\0junk"` is `u8`); that is reproduced. `None` means reply
    /// `ERR_BITFIELD_TYPE`.
    pub fn parse(s: &[u8]) -> Option<FieldType> {
        let (&sign, rest) = s.split_first()?;
        let signed = match sign {
            b'i' => true,
            b'u' => false,
            _ => return None,
        };
        let width = match rest.iter().position(|&b| b == 0) {
            Some(nul) => &rest[..nul],
            None => rest,
        };
        let bits = crate::util::num::parse_i64(width)?;
        let max = if signed { 64 } else { 63 };
        if (1..=max).contains(&bits) {
            Some(FieldType { signed, bits: bits as u8 })
        } else {
            None
        }
    }

    /// Width clamped to 1..=64 so a hand-built invalid type cannot make the
    /// shifts below overflow; `parse` never produces one.
    fn width(self) -> u8 {
        self.bits.clamp(1, 64)
    }

    fn max_unsigned(self) -> u64 {
        u64::MAX >> (64 - u32::from(self.width()))
    }
}

/// BITFIELD offset: a plain bit offset or `#N`, meaning N times the type
/// width. As in Redis the multiplication wraps on overflow, so absurd `#N`
/// values may land on a small valid offset. `None` means reply
/// `ERR_BIT_OFFSET`.
pub fn parse_offset(s: &[u8], ty: FieldType) -> Option<u64> {
    parse_offset_with_limit(s, Some(ty), PROTO_MAX_BULK_LEN)
}

/// Offset parsing with an explicit `proto-max-bulk-len` (Redis skips the
/// bound for its master and AOF clients; pass `i64::MAX` for that). `ty`
/// enables the `#N` form. The accepted range is `offset >> 3 < max_bulk_len`.
pub fn parse_offset_with_limit(s: &[u8], ty: Option<FieldType>, max_bulk_len: i64) -> Option<u64> {
    let (digits, mul) = match (s.first(), ty) {
        (Some(b'#'), Some(t)) => (&s[1..], Some(t.width())),
        _ => (s, None),
    };
    let mut off = crate::util::num::parse_i64(digits)?;
    if let Some(bits) = mul {
        off = off.wrapping_mul(i64::from(bits));
    }
    if off < 0 || (off >> 3) >= max_bulk_len {
        return None;
    }
    Some(off as u64)
}

/// BITFIELD overflow policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Raw `bits`-wide field, most significant bit first; bytes past the end
/// read as zero.
fn read_raw(bytes: &[u8], offset: u64, bits: u8) -> u64 {
    // A 64-bit field at any bit alignment spans at most 9 bytes.
    let first = offset / 8;
    let mut acc: u128 = 0;
    for k in 0..9u64 {
        let b = usize::try_from(first + k).ok().and_then(|i| bytes.get(i)).copied().unwrap_or(0);
        acc = (acc << 8) | u128::from(b);
    }
    let shift = 72 - (offset % 8) - u64::from(bits);
    let mask = u128::from(u64::MAX >> (64 - u32::from(bits)));
    ((acc >> shift) & mask) as u64
}

/// Writes the low `bits` of `value`; the buffer must already be long enough.
fn write_raw(bytes: &mut [u8], offset: u64, bits: u8, value: u64) {
    let first = (offset / 8) as usize;
    let span = (offset % 8 + u64::from(bits)).div_ceil(8) as usize;
    let shift = 72 - (offset % 8) - u64::from(bits);
    let field_mask = u128::from(u64::MAX >> (64 - u32::from(bits))) << shift;
    let mut acc: u128 = 0;
    for k in 0..span {
        acc |= u128::from(bytes[first + k]) << (64 - 8 * k as u32);
    }
    acc = (acc & !field_mask) | ((u128::from(value) << shift) & field_mask);
    for k in 0..span {
        bytes[first + k] = (acc >> (64 - 8 * k as u32)) as u8;
    }
}

/// Interprets raw field bits as the reply value of the type.
fn decode(raw: u64, ty: FieldType) -> i64 {
    let bits = ty.width();
    if ty.signed && bits < 64 && raw & (1u64 << (bits - 1)) != 0 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

/// `BITFIELD ... GET`: the field's value; bits past the end read as zero.
pub fn get_field(bytes: &[u8], offset: u64, ty: FieldType) -> i64 {
    decode(read_raw(bytes, offset, ty.width()), ty)
}

/// `BITFIELD ... SET` under the default WRAP policy: stores the low bits of
/// `value`, growing the value as needed, and returns the previous value.
pub fn set_field(bytes: &mut Vec<u8>, offset: u64, ty: FieldType, value: i64) -> i64 {
    set_field_with_overflow(bytes, offset, ty, value, Overflow::Wrap).unwrap_or(0)
}

/// `BITFIELD ... SET` under any policy. Redis applies OVERFLOW to SET too:
/// a value outside the type's range saturates or fails. For unsigned types
/// the i64 argument is first reinterpreted as u64, so a negative value counts
/// as an overflow past the maximum (SAT stores the max, never 0). Returns
/// the previous value, or `None` for a FAIL (nothing written).
///
/// The buffer is grown to cover the field even when the write fails, because
/// Redis sizes the string for every SET/INCRBY of the command before running
/// any of them.
pub fn set_field_with_overflow(bytes: &mut Vec<u8>, offset: u64, ty: FieldType, value: i64, ov: Overflow) -> Option<i64> {
    let grown = grow_for(bytes, offset, ty.width());
    let old = get_field(bytes, offset, ty);
    let side = if ty.signed {
        // Redis computes `max - value` in 64 bits before looking at the low
        // side; for values near i64::MIN that wraps negative and the value is
        // classed as an overflow *above* max, so SAT stores max there.
        let max = ty.max_unsigned() >> 1;
        if ty.width() < 64 && (max.wrapping_sub(value as u64) as i64) < 0 {
            Side::High
        } else {
            side_of(i128::from(value), ty)
        }
    } else {
        side_of(i128::from(value as u64), ty)
    };
    let new = settle(side, value as u64, ty, ov)?;
    if grown {
        write_raw(bytes, offset, ty.width(), new);
    }
    Some(old)
}

/// `BITFIELD ... INCRBY`: adds `incr` under the policy and returns the new
/// value, or `None` for a FAIL overflow (nothing written). Grows the buffer
/// to cover the field in every case, as `set_field_with_overflow` explains.
pub fn incr_field(bytes: &mut Vec<u8>, offset: u64, ty: FieldType, incr: i64, ov: Overflow) -> Option<i64> {
    let grown = grow_for(bytes, offset, ty.width());
    let sum = i128::from(get_field(bytes, offset, ty)) + i128::from(incr);
    // The low 64 bits of the exact sum are also the two's complement
    // wrapping result, which is all WRAP needs.
    let new = settle(side_of(sum, ty), sum as u64, ty, ov)?;
    if grown {
        write_raw(bytes, offset, ty.width(), new);
    }
    Some(decode(new, ty))
}

/// Where a result falls relative to the type's range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    High,
    Low,
}

fn bounds(ty: FieldType) -> (i128, i128) {
    let span = 1i128 << ty.width();
    if ty.signed {
        (-span / 2, span / 2 - 1)
    } else {
        (0, span - 1)
    }
}

fn side_of(v: i128, ty: FieldType) -> Side {
    let (min, max) = bounds(ty);
    if v > max {
        Side::High
    } else if v < min {
        Side::Low
    } else {
        Side::Inside
    }
}

/// Field bits to store, given the low 64 bits of the exact result.
fn settle(side: Side, low: u64, ty: FieldType, ov: Overflow) -> Option<u64> {
    let (min, max) = bounds(ty);
    let mask = ty.max_unsigned();
    match (side, ov) {
        (Side::Inside, _) | (_, Overflow::Wrap) => Some(low & mask),
        (_, Overflow::Fail) => None,
        (Side::High, Overflow::Sat) => Some(max as u64 & mask),
        (Side::Low, Overflow::Sat) => Some(min as u64 & mask),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every expectation below was produced by redis-server 7.0.15 (the
    // reference install) through a raw RESP client: values were written with
    // SET as exact bytes, then the command under test was run and its reply
    // (and, for writes, the final GET) recorded.

    #[rustfmt::skip]
    const RANGES: &[(i64, i64)] = &[
        (0, -1), (1, 2), (-3, -1), (-5, -10), (-10, -5), (5, 100), (-100, 100), (2, 1),
        (0, 0), (7, 7), (8, 15), (3, 20), (-9, -2), (i64::MIN, i64::MAX), (70, 95), (-17, -17),
    ];
    #[rustfmt::skip]
    const STARTS: &[i64] = &[0, 1, -1, -2, 2, 5, 9, 11, 12, -100, 100];
    /// Per bitmap: BITCOUNT over RANGES (BYTE then BIT), BITPOS 0/1 over
    /// RANGES (BYTE then BIT, giving start and end), BITPOS 0/1 with only a
    /// start from STARTS, BITPOS 0/1 with no range, and plain BITCOUNT.
    #[rustfmt::skip]
    const MATRIX: &[(&[u8], [&[i64]; 11])] = &[
        (b"\xa5\x4d\xca\x18\x25\x30\xbb", [
            &[25, 8, 11, 0, 12, 8, 25, 0, 4, 0, 0, 13, 19, 25, 0, 4],
            &[25, 1, 2, 0, 3, 23, 25, 0, 1, 1, 4, 9, 5, 25, 0, 1],
            &[1, 8, 32, -1, 1, 40, 1, -1, 1, -1, -1, 24, 1, 1, -1, 1],
            &[0, 9, 34, -1, 0, 42, 0, -1, 0, -1, -1, 27, 0, 0, -1, 0],
            &[1, 1, 53, -1, 46, 6, 1, -1, -1, -1, 8, 3, 47, 1, -1, -1],
            &[0, 2, 54, -1, 48, 5, 0, -1, 0, 7, 9, 5, 48, 0, -1, 39],
            &[1, 8, 49, 40, 18, 40, -1, -1, -1, 1, -1],
            &[0, 9, 48, 42, 16, 42, -1, -1, -1, 0, -1],
            &[1], &[0], &[25],
        ]),
        (b"\xff\xff\xff", [
            &[24, 16, 24, 0, 8, 0, 24, 0, 8, 0, 0, 0, 16, 24, 0, 8],
            &[24, 2, 3, 0, 6, 19, 24, 0, 1, 1, 8, 18, 8, 24, 0, 1],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[0, 8, 0, 0, 0, -1, 0, -1, 0, -1, -1, -1, 0, 0, -1, 0],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[0, 1, 21, -1, 14, 5, 0, -1, 0, 7, 8, 3, 15, 0, -1, 7],
            &[24, 24, 24, 24, 24, -1, -1, -1, -1, 24, -1],
            &[0, 8, 16, 8, 16, -1, -1, -1, -1, 0, -1],
            &[24], &[0], &[24],
        ]),
        (b"\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x80\x00", [
            &[2, 0, 1, 0, 1, 1, 2, 0, 0, 0, 1, 2, 2, 2, 0, 0],
            &[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 2, 1, 0],
            &[0, 8, 72, -1, 16, 40, 0, -1, 0, 56, 64, 24, 24, 0, -1, 0],
            &[35, -1, 80, -1, 35, 80, 35, -1, -1, -1, 80, 35, 35, 35, -1, -1],
            &[0, 1, 93, -1, 86, 5, 0, -1, 0, 7, 8, 3, 87, 0, 70, 79],
            &[35, -1, -1, -1, -1, 35, 35, -1, -1, -1, -1, -1, -1, 35, 80, -1],
            &[0, 8, 88, 81, 16, 40, 72, 88, -1, 0, -1],
            &[35, 35, -1, 80, 35, 80, 80, -1, -1, 35, -1],
            &[0], &[35], &[2],
        ]),
        (b"", [
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
            &[-1], &[-1], &[0],
        ]),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\x7f", [
            &[94, 16, 22, 0, 48, 54, 94, 0, 8, 8, 30, 70, 63, 94, 0, 8],
            &[94, 2, 3, 0, 5, 89, 94, 0, 1, 1, 8, 18, 7, 94, 24, 0],
            &[79, -1, 79, -1, -1, 79, 79, -1, -1, -1, 79, 79, 79, 79, -1, -1],
            &[0, 8, 72, -1, 16, 40, 0, -1, 0, 56, 64, 24, 24, 0, -1, 0],
            &[79, -1, -1, -1, 88, 79, 79, -1, -1, -1, -1, -1, 88, 79, 79, 79],
            &[0, 1, 93, -1, 86, 5, 0, -1, 0, 7, 8, 3, 87, 0, 70, -1],
            &[79, 79, 88, 88, 79, 79, 79, 88, -1, 79, -1],
            &[0, 8, 89, 80, 16, 40, 72, 89, -1, 0, -1],
            &[79], &[0], &[94],
        ]),
    ];

    #[test]
    fn bitcount_bitpos_matrix() {
        for (bytes, rows) in MATRIX {
            let over_ranges = |f: &dyn Fn(i64, i64) -> i64| -> Vec<i64> { RANGES.iter().map(|&(s, e)| f(s, e)).collect() };
            let from_starts = |bit: bool| -> Vec<i64> { STARTS.iter().map(|&s| bitpos(bytes, bit, Some(s), None, false)).collect() };
            let got: Vec<Vec<i64>> = vec![
                over_ranges(&|s, e| bitcount_range(bytes, s, e, false) as i64),
                over_ranges(&|s, e| bitcount_range(bytes, s, e, true) as i64),
                over_ranges(&|s, e| bitpos(bytes, false, Some(s), Some(e), false)),
                over_ranges(&|s, e| bitpos(bytes, true, Some(s), Some(e), false)),
                over_ranges(&|s, e| bitpos(bytes, false, Some(s), Some(e), true)),
                over_ranges(&|s, e| bitpos(bytes, true, Some(s), Some(e), true)),
                from_starts(false),
                from_starts(true),
                vec![bitpos(bytes, false, None, None, false)],
                vec![bitpos(bytes, true, None, None, false)],
                vec![popcount(bytes) as i64],
            ];
            let want: Vec<Vec<i64>> = rows.iter().map(|r| r.to_vec()).collect();
            assert_eq!(got, want, "bitmap {bytes:?}");
        }
    }

    fn rows(table: &str) -> impl Iterator<Item = Vec<&str>> {
        table.split([';', '\n']).map(str::trim).filter(|r| !r.is_empty()).map(|r| r.split(' ').collect())
    }

    fn unhex(s: &str) -> Vec<u8> {
        if s == "-" || s == "_" {
            return Vec::new();
        }
        (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect()
    }

    /// `initial overflow op type offset value reply final`, `;`-separated: one
    /// `BITFIELD f OVERFLOW <WRAP|SAT|FAIL> <op> <type> <offset> <value>` (GET
    /// rows without OVERFLOW) on a key holding `initial` (`-`: no key).
    const BITFIELD_ROWS: &str = "
    fffffffffffffffe W INCRBY u63 0 1 0 0000000000000000
    fffffffffffffffe S INCRBY u63 0 1 9223372036854775807 fffffffffffffffe
    fffffffffffffffe F INCRBY u63 0 1 nil fffffffffffffffe; - W INCRBY u63 0 -1 9223372036854775807 fffffffffffffffe
    - S INCRBY u63 0 -1 0 0000000000000000; - F INCRBY u63 0 -1 nil 0000000000000000
    - W SET u63 0 -1 0 fffffffffffffffe; - S SET u63 0 -1 0 fffffffffffffffe; - F SET u63 0 -1 nil 0000000000000000
    - S SET u63 0 9223372036854775807 0 fffffffffffffffe
    - W INCRBY u63 0 9223372036854775807 9223372036854775807 fffffffffffffffe
    fffffffffffffffe W INCRBY u63 0 9223372036854775807 9223372036854775806 fffffffffffffffc
    7fffffffffffffff W INCRBY i64 0 1 -9223372036854775808 8000000000000000
    7fffffffffffffff S INCRBY i64 0 1 9223372036854775807 7fffffffffffffff
    7fffffffffffffff F INCRBY i64 0 1 nil 7fffffffffffffff
    8000000000000000 W INCRBY i64 0 -1 9223372036854775807 7fffffffffffffff
    8000000000000000 S INCRBY i64 0 -1 -9223372036854775808 8000000000000000
    8000000000000000 F INCRBY i64 0 -1 nil 8000000000000000
    8000000000000000 W INCRBY i64 0 -9223372036854775808 0 0000000000000000
    8000000000000000 S INCRBY i64 0 -9223372036854775808 -9223372036854775808 8000000000000000
    7fffffffffffffff S INCRBY i64 0 -9223372036854775808 -1 ffffffffffffffff
    - S SET i64 0 -9223372036854775808 0 8000000000000000; - F SET i64 0 9223372036854775807 0 7fffffffffffffff
    - W SET i64 5 -9223372036854775808 0 040000000000000000; ffffffffffffffffff W GET i64 3 0 -1 ffffffffffffffffff
    - W SET u8 0 -1 0 ff; - S SET u8 0 -1 0 ff; - F SET u8 0 -1 nil 00; - S SET u8 0 256 0 ff; - W SET u8 0 256 0 00
    - S SET i8 0 -9223372036854775808 0 7f; - S SET i8 0 -9223372036854775681 0 7f
    - S SET i8 0 -9223372036854775680 0 80; - S SET i8 0 -129 0 80; - W SET i8 0 128 0 80; - S SET i8 0 200 0 7f
    - F SET i8 0 -129 nil 00; - F SET i8 0 -128 0 80; - S SET i63 0 -9223372036854775808 0 7ffffffffffffffe
    - S SET i62 0 -6917529027641081857 0 7ffffffffffffffc; - S SET i62 0 -6917529027641081856 0 8000000000000000
    - W INCRBY i1 0 1 -1 80; - S INCRBY i1 0 1 0 00; - S INCRBY i1 0 -1 -1 80; - S INCRBY i1 0 -2 -1 80
    - W SET i1 0 1 0 80; - W INCRBY u1 0 3 1 80; - S INCRBY u1 0 3 1 80; 80 F INCRBY u1 0 -1 0 00
    7f W INCRBY i8 0 1 -128 80; 7f S INCRBY i8 0 1 127 7f; 80 S INCRBY i8 0 -1 -128 80; 80 W INCRBY i8 0 -1 127 7f
    7f W INCRBY i8 0 9223372036854775807 126 7e; 7f W INCRBY i8 0 -9223372036854775808 127 7f
    ff W INCRBY u8 0 -9223372036854775808 255 ff; ff S INCRBY u8 0 -9223372036854775808 0 00
    0102030405060708090a W GET u63 1 0 72623859790382856 0102030405060708090a
    0102030405060708090a W GET i64 9 0 289928065256919058 0102030405060708090a
    0102030405060708090a W GET i13 70 0 2128 0102030405060708090a; 0102 W GET u16 8 0 512 0102
    0102 W GET u16 100 0 0 0102; f0 W GET i4 0 0 -1 f0; f0 W GET i4 4 0 0 f0; aa W SET u4 2 15 10 be
    aa W SET i3 6 -1 -4 ab80; - W SET u8 100 1 0 0000000000000000000000000010; - W INCRBY u5 3 7 7 07
    - W INCRBY u5 3 2 2 02; - W INCRBY u2 3 -2 2 10; - S INCRBY i2 0 -129 -2 80; - F INCRBY u33 1 256 256 0000004000
    - F SET u32 3 100 0 0000000c80; 000000000000000000 F SET i9 65 100 0 00000000000000001900
    0000000000000000 W SET u7 8 -128 0 0000000000000000; - F INCRBY u5 9 3 3 000c
";

    #[test]
    fn bitfield_rows() {
        let mut n = 0;
        for r in rows(BITFIELD_ROWS) {
            let mut b = unhex(r[0]);
            let ov = match r[1] {
                "W" => Overflow::Wrap,
                "S" => Overflow::Sat,
                _ => Overflow::Fail,
            };
            let ty = FieldType::parse(r[3].as_bytes()).unwrap();
            let (off, val): (u64, i64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
            let got = match r[2] {
                "GET" => Some(get_field(&b, off, ty)),
                "SET" => set_field_with_overflow(&mut b, off, ty, val, ov),
                _ => incr_field(&mut b, off, ty, val, ov),
            };
            assert_eq!(got.map_or("nil".to_string(), |v| v.to_string()), r[6], "{r:?}");
            assert_eq!(b, unhex(r[7]), "{r:?}");
            if r[2] == "SET" && ov == Overflow::Wrap {
                let mut b2 = unhex(r[0]);
                assert_eq!(set_field(&mut b2, off, ty, val).to_string(), r[6]);
                assert_eq!(b2, b);
            }
            n += 1;
        }
        assert_eq!(n, 76);
    }

    /// `op sources result`: sources comma-separated (`_`: missing key, passed
    /// as empty), result read back with GET on the BITOP destination.
    const BITOP_ROWS: &str = "
    AND fefffefeeffffeef,_ 0000000000000000; AND 000000,0000000080808000 0000000000000000
    AND _,ffffffffffffffff,ac3375a97e85cfac 0000000000000000; AND 77cdba34d51ba8c58f,ecfbfe8d9cbba789 64c9ba04941ba08100
    OR 0000,00000000000000000000000000 00000000000000000000000000
    OR 00000000000000000000000000,1001008010 10010080100000000000000000; OR 7fff7ffe7f,ffffffffffffffff ffffffffffffffff
    OR _,a68c a68c; XOR 0000000101000000000180100000808001,94a96d60ba 94a96d61bb000000000180100000808001
    XOR 30528fb176,101080,dc7f,_ fc3d0fb176
    XOR ffffffffffffffffffffffffff,785774222eac466a11 87a88bddd153b995eeffffffff
    XOR 1f46a0315a9ee67fcc,0000000000008010 1f46a0315a9e666fcc; NOT ffff 0000; NOT ffffffffffffffffff 000000000000000000
    AND _ _
";

    #[test]
    fn bitop_rows() {
        for r in rows(BITOP_ROWS) {
            let op = match r[0] {
                "AND" => BitOp::And,
                "OR" => BitOp::Or,
                "XOR" => BitOp::Xor,
                _ => BitOp::Not,
            };
            let srcs: Vec<Vec<u8>> = r[1].split(',').map(unhex).collect();
            let refs: Vec<&[u8]> = srcs.iter().map(Vec::as_slice).collect();
            assert_eq!(bitop(op, &refs), unhex(r[2]), "{r:?}");
        }
    }

    /// Accepted or rejected by `BITFIELD_RO k GET <arg> 0`.
    #[rustfmt::skip]
    const TYPES: &[(&[u8], Option<u8>)] = &[
        (b"u8\x00z", Some(8)), (b"i8\x00", Some(8)), (b"u63", Some(63)), (b"u64", None), (b"i64", Some(64)),
        (b"i65", None), (b"u0", None), (b"i0", None), (b"I8", None), (b"U8", None), (b"u08", None), (b"u+8", None),
        (b"u-1", None), (b"", None), (b"i", None), (b"u", None), (b"u 8", None), (b"u8 ", None), (b"i1", Some(1)),
        (b"u1", Some(1)), (b"i-0", None), (b"u9223372036854775807", None), (b"u18446744073709551617", None),
        (b"x8", None), (b"\x00u8", None), (b"i32", Some(32)), (b"u32", Some(32)),
    ];

    /// Offset accepted by `BITFIELD_RO k GET <type> <arg>` for u8, i64, i1,
    /// u16, then by `GETBIT k <arg>` (-1: rejected). Accepted `#N` values are the wrapped
    /// products N*width; a few were cross-checked by reading known bytes.
    #[rustfmt::skip]
    const OFFSETS: &[(&[u8], [i64; 5])] = &[
        (b"0", [0, 0, 0, 0, 0]), (b"1", [1, 1, 1, 1, 1]), (b"-0", [-1, -1, -1, -1, -1]),
        (b"-1", [-1, -1, -1, -1, -1]), (b"01", [-1, -1, -1, -1, -1]), (b"+1", [-1, -1, -1, -1, -1]),
        (b" 1", [-1, -1, -1, -1, -1]), (b"1 ", [-1, -1, -1, -1, -1]),
        (b"4294967295", [4294967295, 4294967295, 4294967295, 4294967295, 4294967295]),
        (b"4294967296", [-1, -1, -1, -1, -1]), (b"#0", [0, 0, 0, 0, -1]), (b"#1", [8, 64, 1, 16, -1]),
        (b"#-1", [-1, -1, -1, -1, -1]), (b"#", [-1, -1, -1, -1, -1]), (b"##1", [-1, -1, -1, -1, -1]),
        (b"#536870911", [4294967288, -1, 536870911, -1, -1]), (b"#536870912", [-1, -1, 536870912, -1, -1]),
        (b"#2305843009213693953", [8, 64, -1, 16, -1]), (b"#9223372036854775807", [-1, -1, -1, -1, -1]),
        (b"9223372036854775807", [-1, -1, -1, -1, -1]), (b"9223372036854775808", [-1, -1, -1, -1, -1]),
        (b"-9223372036854775808", [-1, -1, -1, -1, -1]), (b"#01", [-1, -1, -1, -1, -1]),
        (b"1#", [-1, -1, -1, -1, -1]), (b"", [-1, -1, -1, -1, -1]), (b"0x10", [-1, -1, -1, -1, -1]),
        (b"1e3", [-1, -1, -1, -1, -1]), (b"#268435455", [2147483640, -1, 268435455, 4294967280, -1]),
        (b"#268435456", [2147483648, -1, 268435456, -1, -1]), (b"#4611686018427387905", [8, 64, -1, 16, -1]),
    ];

    #[test]
    fn parse_rows() {
        for &(arg, want) in TYPES {
            assert_eq!(FieldType::parse(arg).map(|t| t.bits), want, "{arg:?}");
        }
        for &(arg, want) in OFFSETS {
            let want = want.map(|v| u64::try_from(v).ok());
            for (k, ty) in ["u8", "i64", "i1", "u16"].iter().enumerate() {
                let ty = FieldType::parse(ty.as_bytes()).unwrap();
                assert_eq!(parse_offset(arg, ty), want[k], "{arg:?} {ty:?}");
            }
            assert_eq!(parse_bit_offset(arg), want[4], "{arg:?}");
        }
    }

    #[test]
    fn popcount_matches_naive() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let data: Vec<u8> = (0..10_007)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for len in [0, 1, 7, 8, 31, 32, 33, 100, 10_007] {
            let naive: u64 = data[..len].iter().map(|b| u64::from(b.count_ones())).sum();
            assert_eq!(popcount(&data[..len]), naive);
        }
    }

    #[test]
    fn single_bits_and_limits() {
        // SETBIT k 100 1 on a missing key leaves a 13-byte value, bit 100 set.
        let mut b = Vec::new();
        assert!(!set_bit(&mut b, 100, true));
        assert_eq!(b.len(), 13);
        assert!(get_bit(&b, 100) && !get_bit(&b, 99) && !get_bit(&b, u64::MAX));
        assert!(set_bit(&mut b, 100, false));
        assert_eq!(popcount(&b), 0);
        // Offsets no parser would accept must not allocate.
        let (i64t, u8t) = (FieldType::parse(b"i64").unwrap(), FieldType::parse(b"u8").unwrap());
        let mut c = Vec::new();
        assert!(!set_bit(&mut c, u64::MAX, true));
        assert_eq!(set_field(&mut c, u64::MAX - 3, i64t, -1), 0);
        assert_eq!(incr_field(&mut c, 1 << 40, u8t, 1, Overflow::Wrap), Some(1));
        assert!(c.is_empty());
        assert_eq!(get_field(&c, u64::MAX, i64t), 0);
        // Hand-built invalid widths are clamped instead of panicking.
        let (zero, wide) = (FieldType { bits: 0, ..i64t }, FieldType { bits: 200, ..u8t });
        let _ = get_field(&[0xff], 0, zero);
        let _ = incr_field(&mut c, 0, wide, 5, Overflow::Sat);
    }
}
