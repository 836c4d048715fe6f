//! Bit-exact emulation of the x86-64 C `long double` (x87 80-bit extended
//! precision) as Redis 7.0.15 uses it for `INCRBYFLOAT`, `HINCRBYFLOAT` and
//! the coordinates printed by `GEOPOS`.
//!
//! Redis parses both operands with glibc `strtold` (`string2ld`), adds them
//! in x87 arithmetic (64-bit significand with explicit integer bit, 15-bit
//! exponent, round to nearest even, gradual underflow), refuses NaN or
//! infinite sums, and prints the result with `printf("%.17Lf")` before
//! trimming trailing zeros (`ld2string(.., LD_STR_HUMAN)`). Clients see the
//! printed digits, and the stored string is re-parsed by the next increment,
//! so every step must match exactly. All of that is reproduced here with
//! exact integer arithmetic (a small private bignum for decimal conversion);
//! no floating-point hardware is involved, so results do not depend on the
//! host. Every entry point takes untrusted bytes and never panics.
//!
//! Error mapping for callers, verified against 7.0.15:
//! * [`LongDouble::parse`] returning `None` for the increment or for a
//!   string key's value: `-ERR value is not a valid float`.
//! * ... for an existing hash field's value (`HINCRBYFLOAT`): `-ERR hash
//!   value is not a float`. `HINCRBYFLOAT` parses the increment before it
//!   looks the key up, so a bad increment wins over `WRONGTYPE`;
//!   `INCRBYFLOAT` checks the key's type first.
//! * `HINCRBYFLOAT` only: an increment that parses as infinite is refused
//!   right after parsing, before the key is looked up: `-ERR value is NaN or
//!   Infinity`. (`INCRBYFLOAT` has no such check.)
//! * [`LongDouble::add`] giving a non-finite sum (for `INCRBYFLOAT`, `inf`
//!   operands included; for `HINCRBYFLOAT`, an `inf` stored in the field):
//!   `-ERR increment would produce NaN or Infinity`.
//! * A missing key or field counts as +0.

use std::cmp::Ordering;

/// Redis copies the argument into a `MAX_LONG_DOUBLE_CHARS` (5 KiB) buffer
/// and rejects anything that does not fit together with its NUL.
const MAX_INPUT_LEN: usize = 5 * 1024;
/// Exponent of the leading bit of the largest finite value.
const MAX_LEAD_EXP: i64 = 16383;
/// Exponent of the leading bit of the smallest normal value.
const MIN_NORMAL_EXP: i64 = -16382;
/// Exponent of the only bit of the smallest subnormal value.
const MIN_LSB_EXP: i64 = -16445;
const TEN_POW_17: u64 = 100_000_000_000_000_000;
const TEN_POW_19: u64 = 10_000_000_000_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Finite,
    Infinite,
    Nan,
}

/// An x87 extended-precision value.
///
/// Finite values are `mant * 2^exp`, kept canonical: either zero, or a
/// normal number with bit 63 of `mant` set, or a subnormal with
/// `exp == -16445`. Equality is therefore bitwise (`-0 != +0`, NaN == NaN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    kind: Kind,
    mant: u64,
    exp: i32,
}

impl Default for LongDouble {
    fn default() -> Self {
        Self::ZERO
    }
}

impl LongDouble {
    /// Positive zero: the starting value for a missing key or field.
    pub const ZERO: LongDouble = LongDouble { neg: false, kind: Kind::Finite, mant: 0, exp: 0 };
    const NAN: LongDouble = LongDouble { neg: false, kind: Kind::Nan, mant: 0, exp: 0 };

    fn zero(neg: bool) -> Self {
        LongDouble { neg, ..Self::ZERO }
    }

    fn infinity(neg: bool) -> Self {
        LongDouble { neg, kind: Kind::Infinite, mant: 0, exp: 0 }
    }

    fn finite(neg: bool, mant: u64, exp: i64) -> Self {
        if mant == 0 {
            return Self::zero(neg);
        }
        // Callers only pass exponents inside the format's range.
        let exp = i32::try_from(exp).unwrap_or(0);
        LongDouble { neg, kind: Kind::Finite, mant, exp }
    }

    /// Redis `string2ld`: glibc `strtold` that must consume the whole input.
    ///
    /// Accepts decimal and hex floats with optional sign and exponent, and
    /// `inf`/`infinity` in any case. Rejects: empty input, 5120 bytes or
    /// more, a leading whitespace byte, trailing or embedded bytes (NUL
    /// included), NaN spellings, finite literals that overflow (`1.2e4932`)
    /// and non-zero literals that round to zero (`1e-4951`). Subnormal
    /// results are accepted.
    #[must_use]
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        let first = *s.first()?;
        if s.len() >= MAX_INPUT_LEN || is_c_space(first) {
            return None;
        }
        let (neg, body) = match first {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Self::infinity(neg));
        }
        let value = match body {
            [b'0', b'x' | b'X', rest @ ..] => hex_value(neg, &scan_literal(rest, 16)?),
            _ => decimal_value(neg, &scan_literal(body, 10)?),
        };
        // Zero from a non-zero literal and infinity from a finite one are
        // the ERANGE cases Redis refuses.
        match value {
            Conversion::Exact(v) => Some(v),
            Conversion::Rounded(v) if v.is_finite() && v.mant != 0 => Some(v),
            Conversion::Rounded(_) => None,
        }
    }

    /// Exact conversion; every i64 fits in a 64-bit significand.
    #[must_use]
    pub fn from_i64(v: i64) -> Self {
        round_wide(v < 0, u128::from(v.unsigned_abs()), 0)
    }

    /// Exact widening conversion, as C does for `(long double)d`.
    #[must_use]
    pub fn from_f64(v: f64) -> Self {
        if v.is_nan() {
            return Self::NAN;
        }
        let neg = v.is_sign_negative();
        if v.is_infinite() {
            return Self::infinity(neg);
        }
        let bits = v.to_bits();
        let field = i64::try_from(bits >> 52 & 0x7ff).unwrap_or(0);
        let frac = bits & ((1 << 52) - 1);
        if field == 0 {
            round_wide(neg, u128::from(frac), -1074)
        } else {
            round_wide(neg, u128::from(frac | 1 << 52), field - 1075)
        }
    }

    /// x87 `fadd` with the default (64-bit) precision control: the exact sum
    /// rounded to nearest, ties to even, overflowing to infinity.
    /// (Also available as the `+` operator.)
    #[must_use]
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: LongDouble) -> LongDouble {
        match (self.kind, other.kind) {
            (Kind::Nan, _) | (_, Kind::Nan) => Self::NAN,
            (Kind::Infinite, Kind::Infinite) if self.neg != other.neg => Self::NAN,
            (Kind::Infinite, _) => self,
            (_, Kind::Infinite) => other,
            (Kind::Finite, Kind::Finite) => add_finite(self, other),
        }
    }

    #[must_use]
    pub fn is_finite(self) -> bool {
        self.kind == Kind::Finite
    }

    #[must_use]
    pub fn is_nan(self) -> bool {
        self.kind == Kind::Nan
    }

    #[must_use]
    pub fn is_infinite(self) -> bool {
        self.kind == Kind::Infinite
    }

    #[must_use]
    pub fn is_zero(self) -> bool {
        self.kind == Kind::Finite && self.mant == 0
    }

    #[must_use]
    pub fn is_sign_negative(self) -> bool {
        self.neg
    }

    /// The x87 memory image: (sign bit and 15-bit biased exponent, 64-bit
    /// significand with its explicit integer bit). NaN maps to the x87
    /// "indefinite" pattern, which is what `inf + -inf` produces.
    #[must_use]
    pub fn to_bits(self) -> (u16, u64) {
        let sign = if self.neg { 0x8000 } else { 0 };
        match self.kind {
            Kind::Nan => (0xffff, 0xc000_0000_0000_0000),
            Kind::Infinite => (sign | 0x7fff, 1 << 63),
            Kind::Finite if self.mant >> 63 == 0 => (sign, self.mant),
            Kind::Finite => {
                let biased = i64::from(self.exp) + 63 + MAX_LEAD_EXP;
                (sign | u16::try_from(biased).unwrap_or(0), self.mant)
            }
        }
    }

    /// `ld2string(.., LD_STR_HUMAN)`: `%.17Lf` (exact digits, ties to even),
    /// then trailing zeros and a bare trailing `.` removed, then `-0` turned
    /// into `0`. Infinities print as `inf`/`-inf`, NaN as `nan`.
    ///
    /// This is the reply and the stored value of `INCRBYFLOAT` and
    /// `HINCRBYFLOAT`, and (via [`LongDouble::from_f64`]) the RESP2 text of
    /// `GEOPOS` / `WITHCOORD` coordinates. Huge values print every integer
    /// digit (up to 4933), tiny ones collapse to `0`.
    pub fn fmt_human(self, out: &mut Vec<u8>) {
        match self.kind {
            Kind::Nan => out.extend_from_slice(b"nan"),
            Kind::Infinite => out.extend_from_slice(if self.neg { b"-inf" } else { b"inf" }),
            Kind::Finite => self.fmt_fixed17_trimmed(out),
        }
    }

    fn fmt_fixed17_trimmed(self, out: &mut Vec<u8>) {
        let start = out.len();
        if self.neg {
            out.push(b'-');
        }
        let frac = self.write_integer_part(out);
        if frac != 0 {
            let digits: [u8; 17] = padded_digits(frac);
            let used = digits.iter().rposition(|&c| c != b'0').map_or(0, |i| i + 1);
            out.push(b'.');
            out.extend_from_slice(&digits[..used]);
        }
        if &out[start..] == b"-0" {
            out.truncate(start);
            out.push(b'0');
        }
    }

    /// Appends the integer digits of the value rounded to 17 decimals and
    /// returns those 17 decimals as an integer below 10^17.
    fn write_integer_part(self, out: &mut Vec<u8>) -> u64 {
        let Ok(shift) = u32::try_from(-i64::from(self.exp)) else {
            let mut int = Big::from_u64(self.mant);
            int.shl(u64::from(self.exp.unsigned_abs()));
            int.write_decimal(out);
            return 0;
        };
        let (int, frac_bits) = if shift >= 64 { (0, self.mant) } else { (self.mant >> shift, self.mant & ((1 << shift) - 1)) };
        // frac_bits < 2^64, so the scaled fraction fits comfortably in u128.
        let scaled = u128::from(frac_bits) * u128::from(TEN_POW_17);
        let frac = u64::try_from(shr_round_even(scaled, i64::from(shift))).unwrap_or(0);
        let (int, frac) = if frac == TEN_POW_17 { (int + 1, 0) } else { (int, frac) };
        write_u64(int, out);
        frac
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    fn add(self, other: LongDouble) -> LongDouble {
        LongDouble::add(self, other)
    }
}

/// `isspace()` in the "C" locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn write_u64(v: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut v = v;
    loop {
        at -= 1;
        buf[at] = b'0' + u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at..]);
}

/// The last `N` decimal digits of `v`, zero padded.
fn padded_digits<const N: usize>(mut v: u64) -> [u8; N] {
    let mut digits = [b'0'; N];
    for d in digits.iter_mut().rev() {
        *d = b'0' + u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
    }
    digits
}

fn add_finite(a: LongDouble, b: LongDouble) -> LongDouble {
    if a.mant == 0 {
        // (-0) + (-0) is the only way to get a negative zero from zeros.
        return if b.mant == 0 { LongDouble::zero(a.neg && b.neg) } else { b };
    }
    if b.mant == 0 {
        return a;
    }
    let (big, small) = if a.exp >= b.exp { (a, b) } else { (b, a) };
    let diff = i64::from(big.exp) - i64::from(small.exp);
    // Two spare high bits absorb the carry of an addition; the low 62 bits
    // hold the smaller operand exactly unless it is far out of range.
    let big_w = u128::from(big.mant) << 62;
    let small_w = align_small(small.mant, diff);
    let lsb = i64::from(big.exp) - 62;
    if big.neg == small.neg {
        return round_wide(big.neg, big_w + small_w, lsb);
    }
    match big_w.cmp(&small_w) {
        Ordering::Greater => round_wide(big.neg, big_w - small_w, lsb),
        Ordering::Less => round_wide(small.neg, small_w - big_w, lsb),
        Ordering::Equal => LongDouble::ZERO,
    }
}

/// Places `mant * 2^-diff` on a grid 62 bits finer than the larger operand.
/// When bits fall off the end they are folded into bit 0 ("sticky"), which
/// is safe because the larger operand is then normal and the sum keeps at
/// least 60 bits between its rounding position and that sticky bit.
fn align_small(mant: u64, diff: i64) -> u128 {
    if diff <= 62 {
        return u128::from(mant) << (62 - diff);
    }
    let drop = u32::try_from(diff - 61).unwrap_or(u32::MAX);
    let kept = mant.checked_shr(drop).unwrap_or(0);
    let lost = mant.checked_shl(64 - drop.min(64)).unwrap_or(0) != 0;
    u128::from(kept) << 1 | u128::from(lost)
}

/// Rounds `wide * 2^lsb_exp` to the nearest long double, ties to even,
/// with gradual underflow. A set bit 0 may stand for discarded non-zero
/// bits below it; callers guarantee it sits below the rounding position.
fn round_wide(neg: bool, wide: u128, lsb_exp: i64) -> LongDouble {
    let Some(top_bit) = wide.checked_ilog2() else {
        return LongDouble::zero(neg);
    };
    let lead = i64::from(top_bit) + lsb_exp;
    if lead > MAX_LEAD_EXP {
        return LongDouble::infinity(neg);
    }
    let target = if lead >= MIN_NORMAL_EXP { lead - 63 } else { MIN_LSB_EXP };
    let drop = target - lsb_exp;
    if drop <= 0 {
        let shifted = wide << u32::try_from(-drop).unwrap_or(0);
        return LongDouble::finite(neg, u64::try_from(shifted).unwrap_or(0), target);
    }
    let q = shr_round_even(wide, drop);
    if q >> 64 != 0 {
        // Rounding carried into a new leading bit (normal range only).
        return if lead + 1 > MAX_LEAD_EXP { LongDouble::infinity(neg) } else { LongDouble::finite(neg, 1 << 63, target + 1) };
    }
    LongDouble::finite(neg, u64::try_from(q).unwrap_or(0), target)
}

/// `wide / 2^drop` rounded to nearest, ties to even, for any `drop >= 1`.
fn shr_round_even(wide: u128, drop: i64) -> u128 {
    let drop = match u32::try_from(drop) {
        Ok(d @ 1..=128) => d,
        Ok(0) => return wide,
        _ => return 0,
    };
    let q = wide.checked_shr(drop).unwrap_or(0);
    let rem = if drop == 128 { wide } else { wide & ((1 << drop) - 1) };
    let half = 1u128 << (drop - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q + 1
    } else {
        q
    }
}

/// Digits of a float literal, split at the point, plus its exponent.
struct Literal<'a> {
    int: &'a [u8],
    frac: &'a [u8],
    exp: i64,
}

/// Matches a whole literal in the given radix: digits with at most one
/// point (at least one digit overall), then optionally `e`/`p`, a sign and
/// at least one decimal digit. Anything else left over means strtold would
/// have stopped early, which Redis rejects.
fn scan_literal(s: &[u8], radix: u32) -> Option<Literal<'_>> {
    let is_digit = |c: &u8| char::from(*c).is_digit(radix);
    let int_len = s.iter().take_while(|c| is_digit(c)).count();
    let (int, mut rest) = s.split_at(int_len);
    let mut frac: &[u8] = &[];
    if let Some(after) = rest.strip_prefix(b".") {
        let frac_len = after.iter().take_while(|c| is_digit(c)).count();
        (frac, rest) = after.split_at(frac_len);
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = match rest.split_first() {
        None => 0,
        Some((marker, digits)) => {
            let expected = if radix == 16 { b'p' } else { b'e' };
            if !marker.eq_ignore_ascii_case(&expected) {
                return None;
            }
            parse_exponent(digits)?
        }
    };
    Some(Literal { int, frac, exp })
}

/// A signed run of decimal digits, saturated far outside any useful range.
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |acc, &c| (acc * 10 + i64::from(c - b'0')).min(1 << 40));
    Some(if neg { -magnitude } else { magnitude })
}

/// Result of converting a literal: exact zero is never a range error.
enum Conversion {
    Exact(LongDouble),
    Rounded(LongDouble),
}

/// Significant digits of a literal without leading and trailing zeros,
/// and how many trailing zeros were cut.
fn significant_digits(lit: &Literal<'_>) -> (Vec<u8>, i64) {
    let mut digits: Vec<u8> = lit.int.iter().chain(lit.frac).copied().collect();
    let trailing = digits.iter().rev().take_while(|&&c| c == b'0').count();
    digits.truncate(digits.len() - trailing);
    let leading = digits.iter().take_while(|&&c| c == b'0').count();
    digits.drain(..leading);
    (digits, i64::try_from(trailing).unwrap_or(0))
}

fn decimal_value(neg: bool, lit: &Literal<'_>) -> Conversion {
    let (digits, trailing) = significant_digits(lit);
    if digits.is_empty() {
        return Conversion::Exact(LongDouble::zero(neg));
    }
    let frac_len = i64::try_from(lit.frac.len()).unwrap_or(0);
    let exp10 = lit.exp - frac_len + trailing;
    let magnitude = i64::try_from(digits.len()).unwrap_or(0) + exp10;
    // 10^(magnitude-1) <= value < 10^magnitude: settle the hopeless cases
    // early so the exact arithmetic below stays small.
    if magnitude > 4934 {
        return Conversion::Rounded(LongDouble::infinity(neg));
    }
    if magnitude < -4951 {
        return Conversion::Rounded(LongDouble::zero(neg));
    }
    let mut num = Big::from_decimal(&digits);
    let mut den = Big::from_u64(1);
    if exp10 >= 0 {
        num.mul_pow10(exp10.unsigned_abs());
    } else {
        den.mul_pow10(exp10.unsigned_abs());
    }
    Conversion::Rounded(round_ratio(neg, num, den))
}

/// Correctly rounded `num / den` (both non-zero).
fn round_ratio(neg: bool, mut num: Big, mut den: Big) -> LongDouble {
    // Scale so the quotient has 67 or 68 bits: enough for 64 bits of
    // significand plus rounding information, with the remainder as sticky.
    let k = 67 - (num.bit_len() - den.bit_len());
    if k >= 0 {
        num.shl(k.unsigned_abs());
    } else {
        den.shl(k.unsigned_abs());
    }
    let q = num.div_rem_bounded(&den, 69);
    let wide = q << 1 | u128::from(!num.is_zero());
    round_wide(neg, wide, -k - 1)
}

/// Hex literals mirror glibc's rounding, including its subnormal quirk:
/// glibc first truncates to 64 bits and remembers the next bit as the round
/// bit; if the result is subnormal it shifts again and drops that first
/// round bit instead of counting it as "more bits", so a value just above a
/// tie can round down to even (glibc 2.36, the reference).
fn hex_value(neg: bool, lit: &Literal<'_>) -> Conversion {
    let (digits, trailing) = significant_digits(lit);
    if digits.is_empty() {
        return Conversion::Exact(LongDouble::zero(neg));
    }
    let mut acc = 0u128;
    let mut exp2 = lit.exp.saturating_add(4 * trailing);
    let mut sticky = false;
    for &c in &digits {
        let nibble = u128::from(char::from(c).to_digit(16).unwrap_or(0));
        if acc < 1 << 120 {
            acc = acc << 4 | nibble;
        } else {
            sticky |= nibble != 0;
            exp2 = exp2.saturating_add(4);
        }
    }
    let frac_len = i64::try_from(lit.frac.len()).unwrap_or(0);
    let exp2 = exp2.saturating_sub(4 * frac_len);
    Conversion::Rounded(round_hex(neg, acc, exp2, sticky))
}

fn round_hex(neg: bool, acc: u128, exp2: i64, sticky: bool) -> LongDouble {
    let Some(top_bit) = acc.checked_ilog2() else {
        return LongDouble::zero(neg);
    };
    let lz = 127 - top_bit;
    let lead = exp2.saturating_add(i64::from(top_bit));
    if lead > MAX_LEAD_EXP {
        return LongDouble::infinity(neg);
    }
    if lead < MIN_NORMAL_EXP - 64 {
        return LongDouble::zero(neg);
    }
    let aligned = acc << lz;
    let top = u64::try_from(aligned >> 64).unwrap_or(0);
    let first_round = aligned >> 63 & 1 == 1;
    let below = aligned & ((1 << 63) - 1) != 0 || sticky;
    let (q, round, more) = match u32::try_from(MIN_NORMAL_EXP - lead) {
        Ok(sub @ 1..=64) => (top.checked_shr(sub).unwrap_or(0), top >> (sub - 1) & 1 == 1, below || top & ((1 << (sub - 1)) - 1) != 0),
        _ => (top, first_round, below),
    };
    let q = u128::from(q) + u128::from(round && (more || q & 1 == 1));
    if lead < MIN_NORMAL_EXP {
        return LongDouble::finite(neg, u64::try_from(q).unwrap_or(0), MIN_LSB_EXP);
    }
    round_wide(neg, q, lead - 63)
}

/// The low limb of a double-width product; the truncation is the point.
#[allow(clippy::cast_possible_truncation)]
fn low64(x: u128) -> u64 {
    x as u64
}

/// Unsigned big integer, little-endian 64-bit limbs without high zeros.
/// Only what exact decimal <-> binary conversion needs.
#[derive(Clone, Debug)]
struct Big(Vec<u64>);

impl Big {
    fn from_u64(v: u64) -> Self {
        let mut b = Big(vec![v]);
        b.trim();
        b
    }

    fn from_decimal(digits: &[u8]) -> Self {
        let mut b = Big(Vec::new());
        for chunk in digits.chunks(19) {
            let value = chunk.iter().fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'));
            let scale = 10u64.pow(u32::try_from(chunk.len()).unwrap_or(0));
            b.mul_add(scale, value);
        }
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> i64 {
        let limbs = i64::try_from(self.0.len()).unwrap_or(0);
        self.0.last().map_or(0, |top| 64 * limbs - i64::from(top.leading_zeros()))
    }

    fn mul_add(&mut self, mul: u64, add: u64) {
        let mut carry = u128::from(add);
        for limb in &mut self.0 {
            let t = u128::from(*limb) * u128::from(mul) + carry;
            *limb = low64(t);
            carry = t >> 64;
        }
        if carry != 0 {
            self.0.push(low64(carry));
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut n: u64) {
        while n >= 19 {
            self.mul_add(TEN_POW_19, 0);
            n -= 19;
        }
        if n > 0 {
            self.mul_add(10u64.pow(u32::try_from(n).unwrap_or(0)), 0);
        }
    }

    fn shl(&mut self, bits: u64) {
        if self.is_zero() {
            return;
        }
        let limbs = usize::try_from(bits / 64).unwrap_or(0);
        let rem = bits % 64;
        if rem != 0 {
            let mut carry = 0u64;
            for limb in &mut self.0 {
                let next = *limb >> (64 - rem);
                *limb = *limb << rem | carry;
                carry = next;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        let len = self.0.len();
        self.0.resize(len + limbs, 0);
        self.0.rotate_right(limbs);
    }

    fn shr1(&mut self) {
        let mut carry = 0u64;
        for limb in self.0.iter_mut().rev() {
            let next = *limb << 63;
            *limb = *limb >> 1 | carry;
            carry = next;
        }
        self.trim();
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other`; requires `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = false;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let rhs = other.0.get(i).copied().unwrap_or(0);
            let (d1, b1) = limb.overflowing_sub(rhs);
            let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
            *limb = d2;
            borrow = b1 || b2;
        }
        self.trim();
    }

    /// Replaces `self` by `self % den` and returns `self / den`, which the
    /// caller guarantees is below `2^bits` (bits <= 128).
    fn div_rem_bounded(&mut self, den: &Big, bits: u32) -> u128 {
        let mut shifted = den.clone();
        shifted.shl(u64::from(bits - 1));
        let mut q = 0u128;
        for i in (0..bits).rev() {
            if self.cmp(&shifted) != Ordering::Less {
                self.sub_assign(&shifted);
                q |= 1 << i;
            }
            shifted.shr1();
        }
        q
    }

    /// Divides in place by a small divisor, returning the remainder.
    fn div_rem_small(&mut self, d: u64) -> u64 {
        let mut rem = 0u128;
        for limb in self.0.iter_mut().rev() {
            let t = rem << 64 | u128::from(*limb);
            *limb = low64(t / u128::from(d));
            rem = t % u128::from(d);
        }
        self.trim();
        low64(rem)
    }

    fn write_decimal(mut self, out: &mut Vec<u8>) {
        let mut chunks = Vec::new();
        while !self.is_zero() {
            chunks.push(self.div_rem_small(TEN_POW_19));
        }
        let Some((&first, rest)) = chunks.split_last() else {
            out.push(b'0');
            return;
        };
        write_u64(first, out);
        for &chunk in rest.iter().rev() {
            let digits: [u8; 19] = padded_digits(chunk);
            out.extend_from_slice(&digits);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unreadable_literal)] // tables are pasted oracle output
mod tests {
    use super::*;

    type Bits = Option<(u16, u64)>;

    fn human(v: LongDouble) -> String {
        let mut out = Vec::new();
        v.fmt_human(&mut out);
        String::from_utf8(out).unwrap()
    }

    /// What `SET k <a>` + `INCRBYFLOAT k <b>` replies, `!float` / `!nan`
    /// standing for the two error replies.
    fn incrbyfloat(a: &str, b: &str) -> String {
        match (LongDouble::parse(a.as_bytes()), LongDouble::parse(b.as_bytes())) {
            (Some(x), Some(y)) => {
                let sum = x.add(y);
                if sum.is_finite() {
                    human(sum)
                } else {
                    "!nan".to_string()
                }
            }
            _ => "!float".to_string(),
        }
    }

    #[test]
    fn matches_redis_incrbyfloat() {
        for &(a, b, want) in REDIS_VECTORS {
            assert_eq!(incrbyfloat(a, b), want, "{a:?} + {b:?}");
        }
    }

    #[test]
    fn sums_match_x87_hardware() {
        for &(a, b, want) in X87_SUMS {
            let x = LongDouble::parse(a.as_bytes()).unwrap();
            let y = LongDouble::parse(b.as_bytes());
            assert_eq!(y.map(|y| x.add(y).to_bits()), want, "{a} + {b}");
        }
    }

    #[test]
    fn parse_limits() {
        let ok = format!("1.{}", "0".repeat(5117));
        assert_eq!(ok.len(), 5119);
        assert_eq!(LongDouble::parse(ok.as_bytes()).map(human).as_deref(), Some("1"));
        let too_long = format!("{ok}0");
        assert_eq!(LongDouble::parse(too_long.as_bytes()), None);
        for bad in [&b"1\0"[..], b"1\x002", b"\x0b1", b"\x0c1", b"\r1", b"\n1", b"0x1p99999999999999999999"] {
            assert_eq!(LongDouble::parse(bad), None, "{bad:?}");
        }
        assert!(LongDouble::parse(b"0x1p-99999999999999999999").is_none());
        assert!(LongDouble::parse(b"0e99999999999999999999").is_some_and(LongDouble::is_zero));
        assert!(LongDouble::parse(b"-0").is_some_and(LongDouble::is_sign_negative));
        assert!(LongDouble::parse(b"iNfInItY").is_some_and(LongDouble::is_infinite));
    }

    #[test]
    fn conversions_and_bits() {
        assert_eq!(LongDouble::from_i64(0).to_bits(), (0, 0));
        assert_eq!(LongDouble::from_i64(-1).to_bits(), (0xbfff, 1 << 63));
        assert_eq!(LongDouble::from_i64(i64::MIN).to_bits(), (0xc03e, 1 << 63));
        assert_eq!(LongDouble::from_i64(i64::MAX).to_bits(), (0x403d, u64::MAX - 1));
        assert_eq!(LongDouble::from_f64(1.5).to_bits(), (0x3fff, 0xc000_0000_0000_0000));
        assert_eq!(LongDouble::from_f64(-0.0).to_bits(), (0x8000, 0));
        assert_eq!(LongDouble::from_f64(5e-324).to_bits(), (0x3bcd, 1 << 63));
        assert_eq!(LongDouble::from_f64(f64::MAX).to_bits(), (0x43fe, 0xffff_ffff_ffff_f800));
        assert_eq!(LongDouble::from_f64(f64::NEG_INFINITY).to_bits(), (0xffff, 1 << 63));
        assert!(LongDouble::from_f64(f64::NAN).is_nan());
        let inf = LongDouble::from_f64(f64::INFINITY);
        assert!(inf.add(LongDouble::from_f64(f64::NEG_INFINITY)).is_nan());
        assert_eq!(inf.add(LongDouble::from_i64(-5)), inf);
        assert_eq!(LongDouble::ZERO.add(LongDouble::from_f64(-0.0)), LongDouble::ZERO);
        assert_eq!(LongDouble::default(), LongDouble::ZERO);
    }

    #[test]
    fn human_format() {
        let cases: &[(LongDouble, &str)] = &[
            (LongDouble::from_f64(13.361_389_338_970_184), "13.36138933897018433"),
            (LongDouble::from_f64(-0.0), "0"),
            (LongDouble::from_f64(-1e-20), "0"),
            (LongDouble::from_f64(0.1), "0.10000000000000001"),
            (LongDouble::from_f64(1e20), "100000000000000000000"),
            (LongDouble::from_f64(f64::INFINITY), "inf"),
            (LongDouble::from_f64(f64::NEG_INFINITY), "-inf"),
            (LongDouble::from_f64(f64::NAN), "nan"),
            (LongDouble::from_i64(-42), "-42"),
            (LongDouble::from_f64(2.5e-17), "0.00000000000000002"),
            (LongDouble::from_f64(1.0 - f64::EPSILON / 2.0), "0.99999999999999989"),
        ];
        for &(v, want) in cases {
            assert_eq!(human(v), want);
        }
        let max = LongDouble::parse(b"0x1.fffffffffffffffep16383").unwrap();
        let text = human(max);
        assert_eq!(text.len(), 4933);
        assert!(text.starts_with("118973149535723176502126385303097020516906"));
    }

    /// `(a, b, reply)` captured from Redis 7.0.15 (`SET k a`,
    /// `INCRBYFLOAT k b`); `!float` = "value is not a valid float",
    /// `!nan` = "increment would produce NaN or Infinity".
    #[rustfmt::skip]
    const REDIS_VECTORS: &[(&str, &str, &str)] = &[
        ("10.1", "0.2", "10.3"),
        ("1e308", "1e308", "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"),
        ("1e4932", "1e4932", "!nan"),
        ("1e5000", "1", "!float"),
        ("1e-4951", "0", "!float"),
        ("1e-4950", "0", "0"),
        ("1e-20", "0", "0"),
        ("-1e-20", "0", "0"),
        ("-0", "-0", "0"),
        ("0", "-0", "0"),
        ("inf", "1", "!nan"),
        ("1", "inf", "!nan"),
        ("1", "nan", "!float"),
        ("1", " 1", "!float"),
        ("1", "1 ", "!float"),
        ("1", "", "!float"),
        ("", "1", "!float"),
        ("1", "0x1p3", "9"),
        ("1", "3.814697265625e-06", "1.00000381469726562"),
        ("0", "3.814697265625e-06", "0.00000381469726562"),
        ("0", "1.1444091796875e-05", "0.00001144409179688"),
        ("5.0e3", "0", "5000"),
        ("3.0e-5", "0", "0.00003"),
        ("1", "1.2e4932", "!float"),
        ("0", "0x1p-16445", "0"),
        ("0", "0x1p-16446", "!float"),
        ("0", "1e-17", "0.00000000000000001"),
        ("0", "5e-18", "0"),
        ("0", "5.000001e-18", "0.00000000000000001"),
        ("0", "1.5e-17", "0.00000000000000002"),
        ("0", "2.5e-17", "0.00000000000000002"),
        ("99999999999999999999999", "1", "100000000000000000000000"),
        ("0", "1.18973149535723176508e+4932", "!float"),
        ("0", "1.18973149535723176509e+4932", "!float"),
        ("1.18973149535723176502e+4932", "1e4916", "!nan"),
        ("-1.18973149535723176502e+4932", "-1e4916", "!nan"),
        ("1.1", "2.2", "3.3"),
        ("0.1", "0.2", "0.3"),
        ("0.3", "-0.1", "0.2"),
        ("-5", "2.5", "-2.5"),
        ("9223372036854775807", "1", "9223372036854775808"),
        ("-9223372036854775808", "-1", "-9223372036854775809"),
        ("18446744073709551616", "0.5", "18446744073709551616"),
        ("1.5", "-1.5", "0"),
        ("1e17", "0.25", "100000000000000000.25"),
        ("12345678901234567890", "0.1", "12345678901234567890"),
        ("3.14159265358979323846", "0", "3.14159265358979324"),
        ("2.71828182845904523536", "-2.71828182845904523536", "0"),
        ("1e-17", "-1e-17", "0"),
        ("0.00000000000000001", "0.000000000000000005", "0.00000000000000002"),
        ("5e-18", "5e-18", "0.00000000000000001"),
        ("0x1p63", "0x1p-1", "9223372036854775808"),
        ("0x1.fffffffffffffffep0", "0x1p-64", "2"),
        ("0x1.fffffffffffffffep0", "0x1p-65", "2"),
        ("0x1.fffffffffffffffep0", "0x1.8p-64", "2"),
        ("1", "0x1p-64", "1"),
        ("1", "0x1.0000000000000002p-64", "1"),
        ("-1", "0x1p-65", "-1"),
        ("INF", "-1e10", "!nan"),
        ("Infinity", "0", "!nan"),
        ("-infinity", "-5", "!nan"),
        ("inf", "-inf", "!nan"),
        ("+1", "+2", "3"),
        (".5", ".25", "0.75"),
        ("5.", "1", "6"),
        (".", "1", "!float"),
        ("1e", "1", "!float"),
        ("1e+", "1", "!float"),
        ("0x", "1", "!float"),
        ("0x1p", "1", "!float"),
        ("0x.8", "0x.8p1", "1.5"),
        ("nan(1)", "1", "!float"),
        ("1\\x00", "1", "!float"),
        ("--1", "1", "!float"),
        ("+-1", "1", "!float"),
        ("1_0", "1", "!float"),
        ("1,5", "1", "!float"),
        ("e5", "1", "!float"),
        ("1e5x", "1", "!float"),
        (" 1", "1", "!float"),
        ("\t1", "1", "!float"),
        ("0e-99999", "1", "1"),
        ("0e99999", "-1", "-1"),
        ("1e-99999", "1", "!float"),
        ("1e99999", "1", "!float"),
        ("0.1e-4950", "0", "!float"),
        ("3.6e-4951", "0", "0"),
        ("1.8e-4951", "0", "!float"),
        ("1.9e-4951", "0", "0"),
        ("1.1e4932", "-1e4932", "99999999999999999968354158140277926335193095024510292961202960464491125619904390096714180209901735746581782717694761795971073976824846537624142054249199090507226145544478906622313694107279666967522357145717303491983696054615161390431854193842635221803031088237270043901231587911373057670270274798131626886349559690127422585008067562877106024876528338681038633077525018389070728989171805532712632718472299725892786291703624119198335069423206964458744917210203885969283837746285240203101355271179564461955219870103750117460947565669593985438263524353137889096178051147346954695996481101111024866127677396144877812544612462509807739201126444029262548281019933055129151439016823679846212559993718542220812830255971095829106578007574701420295702090281024661038043909141871021491008192887051037443328734771964652897153707738678902901233764893520067467054923852809356346107647461864651192266734733512868218249812753556853397463174365204218059129673809687905107257239727810864550483858641616187452835300840185167024020857998614731780397262533372472431793435633536144355796274881189858381383249176418876760410634607500356048298230036232948313123620894569419469083632725451773601905393878310555318605177716516216095424672812785222180847981487689175825124993087960998928951549140989055995325734289902112473499934737479406648548387049401578375119005916551205517417318774013747387617085554350483800374421580446957823082118848966251383837005085295940353832224287398094443565886731857952804167335032122550554055541609815914760434553211566731294258721676599176675687030595751005338449142272956867491912836490278748536158608095917734912270863312813630381578671018593942069578320557889299001671220149143617157611873488495834847449269137240457922564418975702851305964276418643283163323658105684044601476239467962073586823027819488127918992260868961760820381505404373575871407144983625123810586618700079170227360904850614990885586101897302612293243330981936459694407006305246717982366720349421061701203967324606873519054578139948401108048869764960844150808413005234546846460818591372753690208005725383865818922241691698359979931522926375362474943319780741741754763159965063430134776648278596019782590678273509661802717107664968264086950006209666553209293195446813911875488841580509839586097095287169868831972714922352752453108165673463095118583746423673904770738621574135197486916015258162766297547570071569406095084357732106062422574799594682447304911519550355753602676900489200170565983637170392126788885960724625523273359892888046012949144734166903895865885473199045484173123954684038673092255296179693856418417767504928259474784205279101187631544977752981520209518964433769156024002934746110089321305887211123570636632080845118610090801854107607327419227570320095878804626403773063496096038906134589425348584488617000305654565448207351580723251386292071183419545238216765273289103104555731042761726190808202736776884347661774786154276402976766906286082379755360746420060321838623039189782108963911590597758591451334525873674877412107812849480406235612357761669813965105255135950115216308234831887804644572423973452437985973685735330827926847467623852401493299647707219446504042035763752702287503125890821025823143381195088592310436858869433442552528527940479007324434372093050420967632527585766410957743866140989236838450587264546275100564129528852872559645361843449439164333552549160271889122795052669165271802668459749533803660447932191645201326479745073479311834171408424490875078396803602418294236926498597137452467361286494559503432495241559423279708638293492222269598718921995808837504792248413059107767290855816101643274009231009019910507988468676259965484068779802924348229195202506466496467675705951844316492150520881822006461961160028852334256209127693558116334570572753187737409837427355077041822256176492702238646248083828568924388215410636549632545915376573332148221173306237279406867731077952009368257040174730060052053209349319666709624363706252405417096880753609674972891858411492302706974779090883450680410203347773438219765265588610786574777752987382010522100774190687212786570592778453519598230116470236061663281597449625559766357710756108914914050953322884843608029519201882194973967194455982645702991528752977875528777411192668225356173082178725444287854379587699684198734315641584192365579363718218597501479145620346873464788946928707755825101924381468430064408095758985769698292249704103895945469420682940601959452978451241794529507624019782115552619174591633306095017670975932893044706318850581282422641073328922320739406402146696724885963308782721237516374211761423417208279733513552861591860849051716928978809287479208577210940984735597580586247408476248520724175948701657494029071699983181220673905234483919409158788487867691699970519731490375320255879717756325347194601058153629821982470615219107332167859747880386010567373755589922412917774139662657028205568991444150401486099541672354083366816180640104209450201513984"),
        ("1.1e4932", "1.1e4932", "!nan"),
        ("-1.1e4932", "-1.1e4932", "!nan"),
        ("-58.59458", "4.1995084022633398811e4933", "!float"),
        ("-1.8e-4951", "1.8e-4951", "!float"),
        ("0x7.5c4070dc10137ada6p-16485", "534", "!float"),
        ("-1e20", "nan", "!float"),
        ("2.533817640864948373e4932", "4.19910255923501598e-26", "!float"),
        ("3.9280416662412115e4933", "0xf.881cae0a7c3088a9p-2", "!float"),
        ("-0.e-20", "0x4.9b3a8ff5a6b3313p-16486", "!float"),
        ("-0xcbb0d421f87018c0p-16448", "-0xe0180d41613fc63dp-16511", "!float"),
        ("0x1p-16446", "-4.34654550179986088204e-269", "!float"),
        ("+1e", "-1e", "!float"),
        ("0x4.0e23dfedc32f9470082p-16511", "+18480.29", "!float"),
        ("0x", "-1e20", "!float"),
        ("0x9852b821be9da331p-16449", "-0xd0e5197be54a57d5p-16549", "!float"),
        ("0x9.414c81f9799ed5ab9p-16486", "1", "!float"),
        ("0x1p16384", "0.000006198883056640625", "!float"),
        ("1.8e-4951", "5.e4932", "!float"),
        ("175873027679898023", "+6.9548656794821572e4932", "!float"),
        ("1.8e-4951", "+1.490486249234522841e-13", "!float"),
        ("-0xeca8b411108c6328p-16490", "0x937dddbcdd429beep-16590", "!float"),
        ("9.00e4932", "2.1901531363751061326e84", "!float"),
        ("-inf", "56379.0", "!nan"),
        ("inf", "6.82121026329696178436279296875E-13", "!nan"),
        ("-0x3.82c70c2d382106ee8p17", "-inf", "!nan"),
        ("-inf", "inf", "!nan"),
        ("8.2550592855947831757e-4933", "-inf", "!nan"),
        ("100", "inf", "!nan"),
        ("-Infinity", "3.9398212882228722531152698138612322509288787841796875E-16", "!nan"),
        ("+inf", "73.9", "!nan"),
        ("-inf", "0.6209756808937731e-322", "!nan"),
        ("4.e-195", "Infinity", "!nan"),
        ("-9.968", "9.968", "0"),
        ("18506.7", "-18506.7", "0"),
        ("-4.158000196541822653622474e-24", "4.158000196541822653622474e-24", "0"),
        ("9.3658405350401210e-12", "-9.3658405350401210e-12", "0"),
        ("2972.80", "-2972.80", "0"),
        ("0xdcdcf7717d092906p-16460", "0x9a97aa7eaf0c27a0p-16461", "0"),
        ("+44263", "-44263", "0"),
        ("1.95156391047390798121341504156589508056640625E-18", "1.e-4933", "0"),
        ("-0.8256544225607484e231", "0.8256544225607484e231", "0"),
        ("0xc51e5c330dde4b94p-6725", "0xbc9e0381e7f8ec98p-6661", "0"),
        ("-24.7872", "24.7872", "0"),
        ("-0.0000000000000000000000000", "0", "0"),
        ("0.1", "-0.10000000000000000001", "0"),
        ("3.58988926289545761e24", "-3.58988926289545761e24", "0"),
        ("4.6139888035398930e-4933", "5.871199260657182612696478e-4940", "0"),
        ("2.288140156268701828e-18", "7.575064637486376137493737e-4940", "0"),
        ("3.008587537591863724e165", "-3.008587537591863724e165", "0"),
        ("12018792870", "-12018792870", "0"),
        ("-0xd73773fdc1e3d47cp-16457", "-0xef685cbdbd195214p-16458", "0"),
        ("0.0000000000000000000", "0", "0"),
        ("-0x8e94f58d1a959b6bp-63", "0xdfda43cb73b9e1dcp-128", "-1.1139208735450382"),
        ("0x0.8678db3070c7516p-79", "+1", "1"),
        ("-0x8e7645eb07319acbp28", "-0xe545a2754c32babap29", "-11625147215979925167782494208"),
        ("-0x6.aba94933d8b45440bp11", "0.000005196430720388889312744140625", "-13661.2901806587202671"),
        ("0x5.ccdd08b0ada481p-84", "-3.0e-5", "-0.00003"),
        ("-0xc0871a357efb77b1p78", "-0x94cd2f2c9e41e411p14", "-4192882964031856220408514885302484278968320"),
        ("53253115665799676970035085425", "0xe.11b6c4113a3fc3dd5025bb8034d29p19", "53253115665799676971651694592"),
        ("-0x816e1c8b8797df8ep-96", "0x820316680cc2e765p-33", "1090620212.02492449851706624"),
        ("0xd9099e56e2c92d63p-69", "-0x8683a75d33ee8c1dp-132", "0.0264938442770354"),
        ("0xd700f616b422d034p-66", "0xafaf0dc672ba902dp-131", "0.20996460450718041"),
        ("0xab1a328c2fc41391p-68", "-0xb485eff8ef1924dbp-66", "-0.13451914989199321"),
        ("0x5.p-16446", "-1", "-1"),
        ("-0xa9005520f93073f2p-55", "-0x828f7fb1a2a00db9p-55", "-599.12368233307007637"),
        ("-0x4.c4e0a0036703c5ap77", "-6.19e60", "-6189999999999999999948209733748942088301045405360056155766784"),
        ("0xdac95e48e414ef8fp-77", "0xd5e12a868a31b5aap-75", "0.00051226845525463"),
        ("9.7609729203808007356e-4", "0x1.21cp-13", "0.00111426085862744"),
        ("0xaaa6b818ed4c1f2dp-68", "0xea54f77293b1afd3p-130", "0.04166290200267311"),
        ("-0xc94103a6e80414d4p63", "-0xcaf3e5c110376317p63", "-268641421886256194436175546527621578752"),
        ("0.0000348912653862498700618743896484375", "0x9.41f23a847cecc96a9c4p9", "4739.89244570459556938"),
        ("0x0.a8ep-16439", "100", "100"),
        ("-0xe4f8c6596359175ep-106", "0x9580110ba02e1aa4p-105", "0.0000000000000622"),
        ("0xc9f6d4247e7e4c24p-27", "-0x93ae9650e741d842p-27", "29142530674.90451790392398834"),
        ("98.8380", "0x7.7dbb45949a4de33e75b9ef1317f46p-17", "98.83805715285332393"),
        ("-30809139544757063470", "0x2.88dp4", "-30809139544757063430"),
        ("0x7.1b052abc290c5b894p-20", "294", "294.00000677637824167"),
        ("-0xf92cb1c0144eb6c1p-11", "0xff024fcb2525c75cp2", "73492581602787890072"),
        ("0xb.515540fd07e11744cp5", "-0.e-4933", "362.1666278617887077"),
        ("-0xd2e63b99a5dab591p-84", "-0xcf93cf7f91cc5066p-84", "-0.00000155894730929"),
        ("-0xf62f01f46beafc97p17", "0xb04750c220ebf537p81", "30712059436508350008710408421374244499226624"),
        ("0xf6704e65d18841dbp-63", "-0xc8368d94bf35d2e6p-125", "1.92530231448751193"),
        ("0xc2a2d628934c7ea4p-59", "0xc753f9f16dda388cp-59", "49.2455141097642258"),
        ("0xb8cde99ee8b6946ap66", "0xac8fa16c4947434fp1", "982588441887730944057758501212868575232"),
        ("0x1.8p-16446", "+4", "4"),
        ("-0xfdaa255f0bb413acp-58", "-0xb3a39c3384610974p-121", "-63.41615818509037055"),
        ("-0x9eb68d3778c58562p-54", "0xb75f1b5e12b7a6cfp-117", "-634.85236918253038679"),
        ("-0x9843522a85ed47bdp62", "-0x90cd3a0de1f2ad8cp125", "-443815818242264915922787941365959615343950656448287997952"),
        ("0xa.f29p-15", "7.4838501421502202511e-4950", "0.00033409148454666"),
        ("0.1", "0xf.501bf7e7f968371dp-16393", "0.1"),
        ("0xc.8320d843f34ac6p-5", "-7534.49", "-7534.09899312744768141"),
        ("-0.1", "+0x5.9ac2c4934c8bbep10", "5738.94324800944502263"),
        ("5224490492808692036033829662897743303925562116931584", "0", "5224490492808692036196088939726956667317140127219712"),
        ("1021956807988171441363575966972141209911296.1", "0", "1021956807988171441401354898835098371620864"),
        ("453665058129828343263996335497623043680763904", "0", "453665058129828343263996335497623043680763904"),
        ("304728738041930640858619413777289100394496", "0", "304728738041930640849174680811549809967104"),
        ("1.e58", "55052506229043", "10000000000000000000265960127803972457292005905794282291200"),
        ("2394117803881916276699876498908770851675105841381376", "0", "2394117803881916276699876498908770851675105841381376"),
        ("13443446906777157264296565313896884207616.1", "0", "13443446906777157264886861124255589859328"),
        ("3.4058997457444826e69", "37.35", "3405899745744482599911010706971802565996082169325043508439648659570688"),
        ("1014737552745934977246188834394448401293317176", "0", "1014737552745934977277020780715102401741193216"),
        ("327596124808859493309051078428221067144213210760", "0", "327596124808859493317593170535863991971646275584"),
        ("9.89705090658801320e61", "7.670", "98970509065880131998785514586509191117708000341796879173943296"),
        ("27107324583202529003866335267051250198980", "0", "27107324583202529002991099668078083964928"),
        ("360898899079153830131694839358762350804992", "0", "360898899079153830150584305290240931659776"),
        ("5.82e61", "3.45804322389726871e-4923", "58200000000000000002489789535456277368306095285093857344094208"),
        ("12361540234843751895066734627716308502437188116176693407634", "0", "12361540234843751895221836700206605716468189762582216704000"),
        ("571861815054471923257236341511884719188344086721456292", "0", "571861815054471923272221409252619853948070048229752832"),
        ("+1.9755538699511304e-25", "5.e40", "49999999999999999998328134650992575643648"),
        ("156439113788103856714597647890737926521141329920", "0", "156439113788103856714597647890737926521141329920"),
        ("+7.131061639351439222830088087371428205831e60", "5.26559439799279998499e-2747", "7131061639351439222513874256931429979538369530895202158379008"),
        ("94577899725606925954473793593329407041193292983173120", "0", "94577899725606925954473793593329407041193292983173120"),
        ("1313403977317957343789556384934605937967104.000000000", "0", "1313403977317957343827335316797563099676672"),
        ("200798926536448780092222555918012360233883393396678829", "0", "200798926536448780086018336641952594135943396835983360"),
        ("92902587405300635104776956649180715818410096209755492107411", "0", "92902587405300635102710286403229176259276465479305595453440"),
        ("596836251490894357078177461240726485467136", "0", "596836251490894357078177461240726485467136"),
        ("421311193718491082430713819365014419136957622506626505244672", "0", "421311193718491082408935747882074357475301647630993339711488"),
        ("24", "82.5561", "106.5561"),
        ("5e-18", "+8.4405406527974923e28", "84405406527974922999597891584"),
        ("+8.e-24", "49399962551842499351334224684181884078", "49399962551842499349169670924118523904"),
        ("7.03384916362055841718e20", "6.08191620510174941e-28", "703384916362055841728"),
        ("9.2719136894216343068e-3764", "5.0e3", "5000"),
        ("2604.0", "+9269.5347", "11873.53469999999999995"),
        ("+2401.483", "687.0903", "3088.57330000000000014"),
        ("+10820.9756", "+6658", "17478.97560000000000002"),
        ("2716358931755966810.6250000000001", "0", "2716358931755966810.75"),
        ("455.07", "-1", "454.07000000000000001"),
        ("-190960941696741620156826121308", "1909609416967416201568261213081.5", "1718648475270674581465944031232"),
        ("175", "+4003.88116", "4178.88115999999999994"),
        ("17.3", "438.1", "455.39999999999999999"),
        ("-1e20", "2.094413545730364512e23", "209341354573036451201024"),
        ("7777.2", "20077.664600372314453125", "27854.86460037231445241"),
        ("9163", "4.927", "9167.9269999999999996"),
        ("+6831.24", "-7.53006157427904554424458183348178863525390625E-10", "6831.23999999924699411"),
        ("67.6240234375", "-0.6121507451038428710e-4950", "67.6240234375"),
        ("671.1529", "0.002918243408203125", "671.15581824340820311"),
        ("-0.1", "31562915303876", "31562915303875.89999961853027344"),
        ("25", "1e20", "100000000000000000024"),
        ("1", "+0.040937364101409912109375", "1.04093736410140991"),
        ("62.59375", "7.07", "69.66375"),
        ("0e-99999", "34553.65825", "34553.65824999999999889"),
        ("0.714459981160100542196787163836204991457e10", "5.062056081949441157369302296667341931834e-14", "7144599811.60100542195141315"),
        ("441655869631272.9249420166015625", "0", "441655869631272.9249267578125"),
        ("4119235067", "116057.8648929595947265625", "4119351124.86489295959472656"),
        ("6342449968059635708", "28.9", "6342449968059635737"),
        ("6797064913392801670548407307531714560.1", "0", "6797064913392801670836637683683426304"),
        ("7.018", "6.16108773279393395130e-16", "7.01800000000000062"),
        ("+2.5e-17", "4687855362970748904819230168", "4687855362970748904808644608"),
        ("11.64348", "+0.1", "11.74348"),
        ("990.06", "9.001702867427064060780232e-4933", "990.06"),
        ("94141.893770395075616619351421832107007503509521484375", "0", "94141.89377039507562017"),
        ("-0.00001678556509432382881641387939453125", "+90807.910", "90807.90998321443490227"),
        ("4.5376", "-0.1", "4.4376"),
        ("70328346516723584725", "1e20", "170328346516723584720"),
        ("3", "883", "886"),
        ("6429033831579287855001201400610816.0000000", "0", "6429033831579287854719726423900160"),
        ("137252942068744739396397325045", "21320", "137252942068744739399353237504"),
        ("7.e-4940", "328582193371", "328582193371"),
        ("+96.880", "64.8", "161.67999999999999999"),
        ("47.20794", "+0.05135242777773082881e-292", "47.20794"),
        ("3.9126046261390989844386467666481621563434600830078125E-10", "+3129", "3129.00000000039126036"),
        ("-0.e-4932", "7", "7"),
        ("-9.946604986618324893206748e-7", "-0.1", "-0.10000099466049866"),
        ("0.00168570689857006072998046875", "+8.561504084849802531206658e-412", "0.00168570689857006"),
        ("1.0430812835693359375E-7", "1.9e-4951", "0.00000010430812836"),
        ("-2.5e-17", "-1.9e-4951", "-0.00000000000000002"),
        ("1.557054929435253143310546875E-9", "-1.557054929435253143310546875E-95", "0.00000000155705493"),
        ("-42560.818", "42560.8181", "0.00009999999999977"),
        ("2.73728309052362367e-4940", "3.0e-5", "0.00003"),
        ("2987.45", "-2987.455", "-0.00500000000000012"),
        ("+1.081830480233192393058061497868038713932037353515625E-17", "0.e-23", "0.00000000000000001"),
        ("3.14", "-3.149999", "-0.009999"),
        ("-1.208943730584696282143017e-3049", "-8.235323518426246683e-15", "-0.00000000000000824"),
        ("+593.620", "-593.6201", "-0.00009999999999999"),
        ("+33278.2", "-33278.21", "-0.01000000000000156"),
        ("2.4108206996483206e-5", "7.848111052587298686078696e-888", "0.00002410820699648"),
        ("0.1", "7.98e-4524", "0.1"),
        ("0.1", "-0.101", "-0.001"),
        ("-0.00000000000022722862395646900669158807849367796015", "0", "-0.00000000000022723"),
        ("-0.0048987384434440173208713531494140625", "9.215171542981996520e-23", "-0.00489873844344402"),
        ("-0.417648370545543438285638", "0", "-0.41764837054554344"),
        ("4.27", "-4.279999", "-0.009999"),
        ("124.87109375", "-124.8710937501", "-0.0000000001"),
        ("-6.23588144350994502877e-120", "3.0e-5", "0.00003"),
        ("0.000000000019582872", "0", "0.00000000001958287"),
        ("0.00390625", "+5.42130569093534974514e-4940", "0.00390625"),
        ("+4.5342880078450782e-5", "+0.000000000000000005", "0.00004534288007846"),
        ("+5.5409739505067370e-4932", "3.0e-5", "0.00003"),
        ("-3.e-1428", "2.40604792045434427754e-11", "0.00000000002406048"),
        ("8.7790337071763558e-11", "6.e-4932", "0.00000000008779034"),
        ("0.17270", "-0.172709999", "-0.000009999"),
        ("53.367", "-53.36701", "-0.00001"),
        ("1.73940861714072525501251220703125E-11", "-1.73940861714072525501251220703125E-111", "0.00000000001739409"),
        ("2.54e-3173", "2.74753201960631354694442052277736365795135498046875E-13", "0.00000000000027475"),
        ("0.1", "-7.85309029433875321e-8", "0.09999992146909706"),
        ("0.00015735626220703125", "2.9038946410744461e-4940", "0.00015735626220703"),
        ("341.14", "-341.141", "-0.00099999999999997"),
        ("0.1", "-0.11", "-0.01"),
        ("+92.88", "-92.881", "-0.001"),
        ("0.000032660177626174168868393947", "0", "0.00003266017762617"),
        ("-4.72554508259507022874e-1689", "-0.000001440756022930145263671875", "-0.00000144075602293"),
        ("-0.1", "0.0247802734375", "-0.0752197265625"),
        ("45844.4", "-45844.45", "-0.05000000000000071"),
        ("124206806.171875", "-124206806.1718755", "-0.00000049999653129"),
        ("0.000162405621404956", "0", "0.00016240562140496"),
        ("880.36733", "-880.367331", "-0.00000100000000003"),
        ("0.010332584381103515625", "-7.6096138621170235e-4940", "0.01033258438110352"),
        ("-60964976851351931453494447779385788608152600576", "0", "-60964976851351931451018567700815028058354352128"),
        ("-500756.68811020195306582536431960761547088623046875", "0", "-500756.68811020195306583"),
        ("-2014664660037362.1551513671875", "0", "-2014664660037362.1551513671875"),
        ("-139829651546511911317411987456", "0", "-139829651546511911317411987456"),
        ("-6114564308767891269651798035359440141266257233", "0", "-6114564308767891269596622023351979354634584064"),
        ("-790443227558964966195200", "0", "-790443227558964966195200"),
        ("-1", "-1e20", "-100000000000000000000"),
        ("-1", "7.89051790443812997146e-4950", "-1"),
        ("-6764647083466986166323004337206777429884928", "0", "-6764647083466986166625235792110434723561472"),
        ("-1e20", "41.11", "-99999999999999999960"),
        ("-4561276333330403389814278", "5.763230821222802879201045764543538341495e-2364", "-4561276333330403389865984"),
        ("-385146463604742800810512843640669027388416106016498105782", "0", "-385146463604742800817787305794784892465504037778382389248"),
        ("2409", "-24090000000000000000001.5", "-24089999999999999997952"),
        ("-8611912486083383815.5", "0", "-8611912486083383815.5"),
        ("-212.5074342611677244152534882459804066456854343414306640625", "0", "-212.50743426116772442"),
        ("-5.41767034569784047e6", "2.18234", "-5417668.16335784047032575"),
        ("-1", "-8970.154", "-8971.15399999999999991"),
        ("-41562961926188836151633480529736387554682150", "0", "-41562961926188836151288930316262892644597760"),
        ("-486428745006095676583370592451273489907712", "0", "-486428745006095676564481126519794909052928"),
        ("-470412.1552042140614133813869557343423366546630859375", "0", "-470412.15520421406142759"),
        ("1.9e-4951", "-1e20", "-100000000000000000000"),
        ("23546280355788809218073082450029430", "-235462803557888092180730824500294300000000000000000001.5", "-235462803557888092154461588483186790029100777711075328"),
        ("-2181700170930.0328289866447448730468750000000001", "0", "-2181700170930.03282904624938965"),
        ("+268827777654154731795768", "-26882777765415473179576801.5", "-26613949987761318447284224"),
        ("-125247604407554805910734015764548", "0", "-125247604407554805909956350443520"),
        ("+1", "-150565231557650", "-150565231557649"),
        ("-145542525510793499892757077921856432870482", "0", "-145542525510793499896462983179808945471488"),
        ("-2.213065425017620687733179e0", "5.03556180106609133962e-4933", "-2.21306542501762069"),
        ("6.53e-321", "-1.4602", "-1.4602"),
        ("-18201458.99117092588585364865139126777648925781", "0", "-18201458.99117092588494415"),
        ("4.395212234313499529753805e-4950", "-232736989111360", "-232736989111360"),
        ("-1", "5.e-26", "-1"),
        ("230863904736", "-2308639047365.5", "-2077775142629.5"),
        ("-11651681998366782747.5", "0", "-11651681998366782748"),
        ("57272469624010614527737770295827", "-572724696240106145277377702958279999.5", "-572667423770482134643905185829617664"),
    ];

    /// `(a, b, x87 bits of a + b)` computed by the FPU with `strtold`
    /// operands; `None` where `b` does not parse (rounds to zero).
    #[rustfmt::skip]
    const X87_SUMS: &[(&str, &str, Bits)] = &[
        ("0x1p0", "0x1p-64", Some((0x3fff, 0x8000000000000000))),
        ("0x1p0", "0x1.0000000000000002p-64", Some((0x3fff, 0x8000000000000001))),
        ("0x1p0", "0x1p-65", Some((0x3fff, 0x8000000000000000))),
        ("0x1.0000000000000002p0", "0x1p-64", Some((0x3fff, 0x8000000000000002))),
        ("0x1.fffffffffffffffep0", "0x1p-64", Some((0x4000, 0x8000000000000000))),
        ("0x1.fffffffffffffffep16383", "0x1p16319", Some((0x7fff, 0x8000000000000000))),
        ("0x1.fffffffffffffffep16383", "0x1p16318", Some((0x7ffe, 0xffffffffffffffff))),
        ("0x1.fffffffffffffffep16383", "0x1.0000000000000002p16318", Some((0x7ffe, 0xffffffffffffffff))),
        ("0x1p0", "-0x1p-64", Some((0x3ffe, 0xffffffffffffffff))),
        ("0x1p0", "-0x1p-65", Some((0x3fff, 0x8000000000000000))),
        ("0x1p0", "-0x1p-66", Some((0x3fff, 0x8000000000000000))),
        ("0x1p0", "-0x1.0000000000000002p-65", Some((0x3ffe, 0xffffffffffffffff))),
        ("0x1p0", "-0x1p-200", Some((0x3fff, 0x8000000000000000))),
        ("0x1p64", "-0x1p-200", Some((0x403f, 0x8000000000000000))),
        ("0x1p-16382", "-0x1p-16445", Some((0x0000, 0x7fffffffffffffff))),
        ("0x1p-16382", "-0x1.8p-16445", Some((0x0000, 0x7ffffffffffffffe))),
        ("0x1.8p-16445", "0x1p-16445", Some((0x0000, 0x0000000000000003))),
        ("0x1p-16445", "-0x1p-16445", Some((0x0000, 0x0000000000000000))),
        ("-0x1p-16445", "-0x1p-16445", Some((0x8000, 0x0000000000000002))),
        ("0x1.0000000000000002p-16380", "-0x1p-16380", Some((0x0000, 0x0000000000000004))),
        ("0x1p16383", "0x1p16383", Some((0x7fff, 0x8000000000000000))),
        ("-0x1p16383", "-0x1p16383", Some((0xffff, 0x8000000000000000))),
        ("0x1p-16382", "0x1p-16382", Some((0x0002, 0x8000000000000000))),
        ("0x1.fffffffffffffffep-16383", "0x1p-16445", Some((0x0001, 0x8000000000000001))),
        ("1", "-1", Some((0x0000, 0x0000000000000000))),
        ("-0", "0", Some((0x0000, 0x0000000000000000))),
        ("-0", "-0", Some((0x8000, 0x0000000000000000))),
        ("0", "-0", Some((0x0000, 0x0000000000000000))),
        ("0x1p-1", "0x1p63", Some((0x403e, 0x8000000000000000))),
        ("0x1p-1", "0x1.0000000000000002p63", Some((0x403e, 0x8000000000000002))),
        ("0x1p-2", "0x1p63", Some((0x403e, 0x8000000000000000))),
        ("0x1.8p-1", "0x1p63", Some((0x403e, 0x8000000000000001))),
        ("0x1.8p-1", "0x1.0000000000000002p63", Some((0x403e, 0x8000000000000002))),
        ("-0x1p-1", "0x1.0000000000000002p63", Some((0x403e, 0x8000000000000000))),
        ("-0x1p-1", "0x1p64", Some((0x403f, 0x8000000000000000))),
        ("-0xb209d4c8e1d262efp25", "-0x82e30a37915d96a9p27", Some((0xc059, 0xaf657f69c9d22f65))),
        ("0xf985c23062ce99cbp-11561", "-0xdeade45819680f7ap-11561", Some((0x1312, 0xd6beeec24b345288))),
        ("-0x92b49aa47adc9cc3p38", "0xf398ba6276a46ebdp-62", Some((0xc064, 0x92b49aa47adc9cc3))),
        ("-0xdcd1bfc38cdbc60ap-105", "0xf7827fb6c0db02a1p-168", Some((0xbfd5, 0xdcd1bfc38cdbc608))),
        ("0xf26af77c5e9921bbp-16446", "-0xa46b589f71ed7753p-16593", None),
        ("-0xf0936802a9443036p-63", "0xe5f87dc4a7a64810p1", Some((0x403f, 0xe5f87dc4a7a6480f))),
        ("-0x99a1fd3c021fe117p-4201", "-0xc1b78bc24cef0cbcp-4138", Some((0xb014, 0xc1b78bc24cef0cbd))),
        ("-0xb8cbcd91d47c97a0p-16464", "0xb51bc456eec963f2p-16464", Some((0x8000, 0x0000007601275cb7))),
        ("0x83264a5311c534f7p-123", "0x84d927570f201915p-185", Some((0x3fc3, 0x83264a5311c534f9))),
        ("-0xfa59ab0891422fa8p-16153", "-0x9e316ad3f689c349p-16216", Some((0x8125, 0xfa59ab0891422fa9))),
        ("0xf40b5a786ce4731bp-5615", "-0x9661f2f3b9323c74p-5741", Some((0x2a4f, 0xf40b5a786ce4731b))),
        ("0x998ea6d24884b6b8p-16493", "-0xc7c6540d2cbaaea3p-16558", None),
        ("-0x8d5d193060cecddcp71", "-0xb19309c076873b14p9", Some((0xc085, 0x8d5d193060cecddf))),
        ("0xbd44c5879da18e42p3358", "0xd6789f3ba9cb1a65p3270", Some((0x4d5c, 0xbd44c5879da18e42))),
        ("-0xf381ede28e9f681dp-69", "-0xb1327ecdea906414p-133", Some((0xbff9, 0xf381ede28e9f681e))),
        ("-0xf86f1329719c05a7p-16460", "0xff97bbfa039724d4p-16461", Some((0x8000, 0x0000f1466a58dfa1))),
        ("0xb860b3f0ec315afbp-16502", "-0xce34bda28add7382p-16612", None),
        ("0xa37560060f845300p-60", "-0xe91e509269944db5p-123", Some((0x4002, 0xa37560060f8452fe))),
        ("-0xd6eda43fc8513961p-10907", "0xaf305e8e88a79e7fp-10972", Some((0x95a3, 0xd6eda43fc8513961))),
        ("0xc7dca1f2c82ad794p-57", "0xac67584e2ac149b3p-120", Some((0x4005, 0xc7dca1f2c82ad795))),
        ("-0x9bcbb986ea4b455cp-73", "-0xa262b82d14b0d940p-137", Some((0xbff5, 0x9bcbb986ea4b455d))),
        ("-0xe4dbc462e2e8b08bp-16480", "0xd0c5902d1f93775ap-16545", None),
        ("-0xfc280e135dcef5a9p-4739", "0xe760dde792af371fp-4737", Some((0x2dbd, 0xa856da62bb3b79b5))),
        ("0xcaa6a013206b94c5p-8711", "0xb8df598520715db4p-8712", Some((0x1e38, 0x938b266ad85221d0))),
        ("0xb38471e008c9ea08p-12941", "0xef7f967365ba92ffp-12942", Some((0x0db2, 0x95a21e8cddd399c4))),
    ];
}
