//! Number parsing and formatting that reproduces Redis 7.0.15 byte for byte.
//!
//! Redis leans on a handful of C library routines (`strtod`, `strtoull`,
//! `printf("%.17g")`) plus its own strict integer parser, and clients can
//! observe every quirk of them: which spellings are accepted, when overflow
//! or underflow turns into an error, and exactly which digits come back.
//! This module reimplements those routines in safe Rust with glibc's
//! behaviour on x86-64 Linux as the reference. Every parser takes untrusted
//! client bytes and must never panic; formatters append to a caller-owned
//! buffer so hot reply paths do not allocate.
//!
//! Where each function is used by Redis 7.0.15 is noted on the function.

use std::fmt::Write as _;

/// Longest input `string2ll` will look at (its `LONG_STR_SIZE` minus the NUL).
const MAX_I64_CHARS: usize = 20;

/// `isspace()` in the "C" locale, which is the only ctype locale Redis uses.
#[must_use]
pub fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Redis `string2ll`: the strict integer syntax used for almost every
/// integer argument and for deciding whether a string is stored as an int.
///
/// Accepts `0` or `-?[1-9][0-9]*` that fits in an i64. No `+`, no spaces, no
/// leading zeros, and `-0` is rejected, so a successful parse always
/// round-trips to the identical bytes through [`fmt_i64`].
#[must_use]
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > MAX_I64_CHARS {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let magnitude = accumulate_decimal(digits)?;
    let signed = if neg { -i128::from(magnitude) } else { i128::from(magnitude) };
    i64::try_from(signed).ok()
}

/// Folds ASCII digits into a u64; `None` on a non-digit or on overflow.
fn accumulate_decimal(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &c| if c.is_ascii_digit() { acc.checked_mul(10)?.checked_add(u64::from(c - b'0')) } else { None })
}

/// Redis `string2ull`, used for the two halves of stream IDs (`XADD`,
/// `XRANGE`, `XSETID`, ...).
///
/// This is deliberately *not* strict, because Redis isn't: it first tries
/// [`parse_i64`] (rejecting negative results), and if that fails falls back
/// to C `strtoull`, which skips leading whitespace, accepts `+`, leading
/// zeros, and even a `-` sign whose magnitude is then negated modulo 2^64.
/// Verified against 7.0.15: `XADD s " 1-1"` -> `1-1`, `XADD s 4--05` ->
/// `4-18446744073709551611`, while `XADD s 1--5` is an error (the strict
/// parse succeeds with a negative number and that is final).
///
/// The input is treated as a C string: anything from the first NUL on is
/// ignored, because Redis passes a NUL-terminated buffer here.
#[must_use]
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    let s = s.iter().position(|&c| c == 0).map_or(s, |nul| &s[..nul]);
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let start = s.iter().take_while(|&&c| is_c_space(c)).count();
    let (neg, digits) = match s.get(start) {
        Some(b'-') => (true, &s[start + 1..]),
        Some(b'+') => (false, &s[start + 1..]),
        _ => (false, &s[start..]),
    };
    // strtoull needs at least one digit and Redis needs it to reach the end.
    if digits.is_empty() {
        return None;
    }
    let magnitude = accumulate_decimal(digits)?;
    Some(if neg { magnitude.wrapping_neg() } else { magnitude })
}

/// Redis `string2d` (reached through `getDoubleFromObject`): the parser for
/// `ZADD`/`ZINCRBY` scores, `GEOADD` coordinates and most float arguments.
///
/// Accepts exactly what glibc `strtod` accepts when it must consume the
/// whole string: optional sign, decimal with optional exponent, hex floats
/// (`0x1.8p3`), `inf`/`infinity` in any case. Rejects the empty string, a
/// leading whitespace byte (which `strtod` alone would skip), trailing bytes
/// (including an embedded NUL), NaN, and range errors: a finite literal that
/// overflows to infinity (`1e400`) or a non-zero literal that underflows to
/// zero (`1e-400`). Results that underflow to a subnormal (`1e-320`) are
/// accepted with their subnormal value, as in Redis.
#[must_use]
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let &first = s.first()?;
    if is_c_space(first) {
        return None;
    }
    let r = strtod(s);
    if r.len != s.len() || r.range_error || r.value.is_nan() {
        None
    } else {
        Some(r.value)
    }
}

/// The looser score parse of `zslParseRange` (`ZRANGEBYSCORE`, `ZCOUNT`,
/// `ZREMRANGEBYSCORE`, `ZRANGE ... BYSCORE`), called on the text after any
/// `(` prefix, which the caller strips.
///
/// Redis calls `strtod` directly there and only checks that parsing stopped
/// at the terminating NUL and that the result is not NaN. So leading
/// whitespace is fine, overflow gives +-inf, underflow gives 0, bytes after
/// an embedded NUL are ignored, and the empty string parses as 0 (all
/// verified against 7.0.15).
#[must_use]
pub fn parse_f64_lax(s: &[u8]) -> Option<f64> {
    let r = strtod(s);
    let stopped_at_nul = matches!(s.get(r.len), None | Some(0));
    if stopped_at_nul && !r.value.is_nan() {
        Some(r.value)
    } else {
        None
    }
}

/// Outcome of [`strtod`]: what C `strtod(s, &end)` would report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strtod {
    /// The converted value (0.0 when nothing could be converted).
    pub value: f64,
    /// Bytes consumed, i.e. `end - s`; 0 when nothing could be converted.
    pub len: usize,
    /// `errno == ERANGE` with a zero or infinite result: the only range
    /// errors Redis reacts to (subnormal results are not flagged).
    pub range_error: bool,
}

/// glibc `strtod` on a byte string, reporting the longest accepted prefix.
/// NUL and any other byte outside the grammar simply end the number.
#[must_use]
pub fn strtod(s: &[u8]) -> Strtod {
    let start = s.iter().take_while(|&&c| is_c_space(c)).count();
    let (neg, body_at) = match s.get(start) {
        Some(b'-') => (true, start + 1),
        Some(b'+') => (false, start + 1),
        _ => (false, start),
    };
    let body = &s[body_at..];
    let scanned = scan_special(body).or_else(|| scan_hex(body)).or_else(|| scan_decimal(body));
    match scanned {
        Some((len, magnitude, range_error)) => Strtod { value: if neg { -magnitude } else { magnitude }, len: body_at + len, range_error },
        None => Strtod { value: 0.0, len: 0, range_error: false },
    }
}

/// A scanned unsigned number: (bytes consumed, magnitude, range error).
type Scan = (usize, f64, bool);

fn starts_with_ignore_case(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// `inf`, `infinity`, `nan` and `nan(chars)`, case-insensitively.
fn scan_special(s: &[u8]) -> Option<Scan> {
    if starts_with_ignore_case(s, b"infinity") {
        return Some((8, f64::INFINITY, false));
    }
    if starts_with_ignore_case(s, b"inf") {
        return Some((3, f64::INFINITY, false));
    }
    if !starts_with_ignore_case(s, b"nan") {
        return None;
    }
    // The parenthesised payload is only consumed when it is well formed.
    let rest = &s[3..];
    let len = if rest.first() == Some(&b'(') {
        let payload = count_while(rest, 1, |c| c.is_ascii_alphanumeric() || c == b'_');
        if rest.get(1 + payload) == Some(&b')') {
            5 + payload
        } else {
            3
        }
    } else {
        3
    };
    Some((len, f64::NAN, false))
}

fn count_while(s: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    s.get(from..).map_or(0, |t| t.iter().take_while(|&&c| pred(c)).count())
}

/// Length of an exponent suffix (`e-12`, `p+3`) at `at`, or 0 if there is no
/// complete one: a marker without digits is not part of the number.
fn exponent_len(s: &[u8], at: usize, marker: u8) -> usize {
    if !s.get(at).is_some_and(|c| c.eq_ignore_ascii_case(&marker)) {
        return 0;
    }
    let sign = usize::from(matches!(s.get(at + 1), Some(b'+' | b'-')));
    let digits = count_while(s, at + 1 + sign, |c| c.is_ascii_digit());
    if digits == 0 {
        0
    } else {
        1 + sign + digits
    }
}

/// Integer part, optional fraction, and their combined end for a mantissa
/// made of `is_digit` characters. `None` when there is not a single digit.
fn scan_mantissa(s: &[u8], is_digit: impl Fn(u8) -> bool) -> Option<(usize, usize, usize)> {
    let int_len = count_while(s, 0, &is_digit);
    let has_dot = s.get(int_len) == Some(&b'.');
    let frac_len = if has_dot { count_while(s, int_len + 1, &is_digit) } else { 0 };
    if int_len + frac_len == 0 {
        return None;
    }
    Some((int_len, frac_len, int_len + usize::from(has_dot) + frac_len))
}

fn scan_decimal(s: &[u8]) -> Option<Scan> {
    let (_, _, mant_end) = scan_mantissa(s, |c| c.is_ascii_digit())?;
    let end = mant_end + exponent_len(s, mant_end, b'e');
    // The scanned text is plain ASCII in the grammar Rust's parser accepts,
    // and Rust's conversion is correctly rounded like glibc's.
    let value: f64 = std::str::from_utf8(&s[..end]).ok()?.parse().ok()?;
    let mantissa_nonzero = s[..mant_end].iter().any(|c| matches!(c, b'1'..=b'9'));
    let range_error = value.is_infinite() || (value == 0.0 && mantissa_nonzero);
    Some((end, value, range_error))
}

/// Hex floats (`0x1.8p3`). A bare `0x` is not an error in C: it converts
/// the `0` and stops at the `x`, which the decimal scanner then reproduces.
fn scan_hex(s: &[u8]) -> Option<Scan> {
    if !(s.first() == Some(&b'0') && matches!(s.get(1), Some(b'x' | b'X'))) {
        return None;
    }
    let body = &s[2..];
    let (int_len, _, mant_end) = scan_mantissa(body, |c| c.is_ascii_hexdigit())?;
    let exp_len = exponent_len(body, mant_end, b'p');
    let mut acc = HexAccumulator::default();
    for &c in &body[..int_len] {
        acc.push(c);
    }
    for &c in body.get(int_len + 1..mant_end).unwrap_or(&[]) {
        acc.push(c);
        acc.exp2 = acc.exp2.saturating_sub(4);
    }
    if exp_len > 0 {
        acc.exp2 = acc.exp2.saturating_add(parse_exponent(&body[mant_end + 1..mant_end + exp_len]));
    }
    let (value, range_error) = round_binary_f64(acc.mant, acc.exp2, acc.sticky);
    Some((2 + mant_end + exp_len, value, range_error))
}

/// Keeps the leading 60+ bits of a hex mantissa; the rest only matters as a
/// "something non-zero was cut off" flag for rounding.
#[derive(Default)]
struct HexAccumulator {
    mant: u64,
    exp2: i64,
    sticky: bool,
}

impl HexAccumulator {
    fn push(&mut self, c: u8) {
        let digit = hex_value(c);
        if self.mant < 1 << 60 {
            self.mant = self.mant << 4 | digit;
        } else {
            self.sticky |= digit != 0;
            self.exp2 = self.exp2.saturating_add(4);
        }
    }
}

fn hex_value(c: u8) -> u64 {
    u64::from(match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    })
}

/// Signed decimal exponent, saturated far beyond any representable range so
/// absurdly long exponents cannot overflow.
fn parse_exponent(s: &[u8]) -> i64 {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let magnitude = digits.iter().fold(0i64, |acc, &c| (acc * 10 + i64::from(c - b'0')).min(1 << 40));
    if neg {
        -magnitude
    } else {
        magnitude
    }
}

/// Rounds `(mant + sticky fraction) * 2^exp2` to a double the way glibc's
/// hex-float path does. Returns the value and whether it is a range error in
/// Redis's sense (non-zero input gave 0, or gave infinity).
///
/// glibc first cuts the mantissa to 53 bits, remembering the next bit as the
/// round bit and everything below as "more bits". For normal results that
/// is correct rounding. For subnormal results it shifts again and (glibc
/// 2.36, the reference) forgets the first round bit instead of folding it
/// into "more bits", so some exact-looking ties round to even when the true
/// value is above the tie: `0x307BE366AAD653p-1076` gives
/// `0x0.c1ef8d9aab594p-1022`, not `...595`. Redis inherits that, so we do too.
fn round_binary_f64(mant: u64, exp2: i64, sticky: bool) -> (f64, bool) {
    if mant == 0 {
        return (0.0, false);
    }
    let shift = mant.leading_zeros();
    let mant = mant << shift;
    let lead = exp2 - i64::from(shift) + 63;
    if lead > 1023 {
        return (f64::INFINITY, true);
    }
    if lead < -1075 {
        return (0.0, true);
    }
    let top = mant >> 11;
    let first_round = mant >> 10 & 1 == 1;
    let below = mant & 0x3ff != 0 || sticky;
    let (q, round, more) = match u32::try_from(-1022 - lead) {
        Ok(sub @ 1..=53) => (top >> sub, top >> (sub - 1) & 1 == 1, below || top & ((1 << (sub - 1)) - 1) != 0),
        _ => (top, first_round, below),
    };
    let q = q + u64::from(round && (more || q & 1 == 1));
    let bits = if lead >= -1022 {
        let (q, lead) = if q >> 53 == 1 { (q >> 1, lead + 1) } else { (q, lead) };
        if lead > 1023 {
            return (f64::INFINITY, true);
        }
        u64::try_from(lead + 1023).unwrap_or(0) << 52 | (q & ((1 << 52) - 1))
    } else {
        // Subnormal: a carry into bit 52 yields the smallest normal exactly.
        q
    };
    let value = f64::from_bits(bits);
    (value, value == 0.0)
}

/// A fixed-capacity `fmt::Write` sink so formatting never allocates.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl StackBuf {
    fn new() -> Self {
        StackBuf { buf: [0; 40], len: 0 }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// C `printf("%.17g")` as glibc prints it: 17 significant digits, correctly
/// rounded (ties to even), trailing zeros removed, exponent form when the
/// decimal exponent is below -4 or at least 17.
///
/// Redis 7.0.15 uses it for every double reply (`addReplyDouble`: `ZSCORE`,
/// `ZINCRBY`, `ZRANGE ... WITHSCORES`, `ZMSCORE`, RESP3 doubles) and, via
/// `d2string`, for listpack-stored zset scores that are not integers (see
/// [`f64_to_i64_exact`]). Infinities print as `inf`/`-inf`; NaN prints as
/// `nan` (glibc would print `-nan` for a negative NaN, but no Redis reply
/// path can produce one).
pub fn fmt_g17(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    // Rust's `{:e}` with a precision is exact and rounds ties to even, like
    // glibc; only the layout differs, so it is rearranged below.
    let mut sci = StackBuf::new();
    if write!(sci, "{v:.16e}").is_err() {
        return;
    }
    let text = sci.bytes();
    let (neg, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    // Layout is always `d.<16 digits>e<exp>`; bail out rather than panic.
    if text.get(18) != Some(&b'e') {
        return;
    }
    let mut digits = [0u8; 17];
    digits[0] = text[0];
    digits[1..].copy_from_slice(&text[2..18]);
    let exp = parse_exponent(&text[19..]);
    if neg {
        out.push(b'-');
    }
    if (-4..17).contains(&exp) {
        push_g_fixed(&digits, exp, out);
    } else {
        push_g_scientific(&digits, exp, out);
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let len = digits.iter().rposition(|&c| c != b'0').map_or(0, |i| i + 1);
    &digits[..len]
}

fn push_g_fixed(digits: &[u8; 17], exp: i64, out: &mut Vec<u8>) {
    if exp < 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(trim_zeros(digits));
        return;
    }
    let int_len = usize::try_from(exp + 1).unwrap_or(1).min(17);
    out.extend_from_slice(&digits[..int_len]);
    let frac = trim_zeros(&digits[int_len..]);
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac);
    }
}

fn push_g_scientific(digits: &[u8; 17], exp: i64, out: &mut Vec<u8>) {
    out.push(digits[0]);
    let frac = trim_zeros(&digits[1..]);
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac);
    }
    out.extend_from_slice(if exp < 0 { b"e-" } else { b"e+" });
    if exp.abs() < 10 {
        out.push(b'0');
    }
    fmt_u64(exp.unsigned_abs(), out);
}

/// C `printf("%.*f", decimals, v)` as glibc prints it (exact, ties to even).
///
/// Redis 7.0.15 uses `%.4f` for distances (`GEODIST`, `GEOSEARCH ...
/// WITHDIST`, `GEORADIUS ... WITHDIST`).
pub fn fmt_fixed(v: f64, decimals: usize, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
    } else {
        // Writing into a Vec cannot fail.
        let _ = std::io::Write::write_fmt(out, format_args!("{v:.decimals$}"));
    }
}

/// Redis `double2ll`: the integer a double is exactly equal to, if that
/// integer is within +-2^62.
///
/// Redis 7.0.15 uses this when storing a score in a listpack-encoded zset:
/// scores passing it are stored as integers, the rest as [`fmt_g17`] text.
/// A visible consequence: `-0.0` passes (as 0), so `ZADD z -0 m` on a small
/// zset makes `ZSCORE` reply `0`, while a skiplist-encoded zset keeps `-0`.
#[must_use]
pub fn f64_to_i64_exact(d: f64) -> Option<i64> {
    // Redis compares against (double)(LLONG_MAX/2), which rounds to 2^62.
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    if !(-LIMIT..=LIMIT).contains(&d) {
        return None;
    }
    // The casts mirror C's `(long long)d` and its round trip; exact
    // equality is the whole test.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::float_cmp)]
    let (truncated, exact) = (d as i64, (d as i64) as f64 == d);
    exact.then_some(truncated)
}

/// Two-digit lookup so integer formatting does half as many divisions.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Decimal text of an i64 (Redis `ll2string`).
pub fn fmt_i64(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        out.push(b'-');
    }
    fmt_u64(v.unsigned_abs(), out);
}

/// Decimal text of a u64 (Redis `ull2string`).
pub fn fmt_u64(mut v: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    while v >= 100 {
        let pair = usize::try_from(v % 100).unwrap_or(0) * 2;
        v /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    let pair = usize::try_from(v).unwrap_or(0) * 2;
    if v >= 10 {
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        buf[at] = DIGIT_PAIRS[pair + 1];
    }
    out.extend_from_slice(&buf[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g17(v: f64) -> String {
        let mut out = Vec::new();
        fmt_g17(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn i64_strictness() {
        let ok: &[(&str, i64)] = &[("0", 0), ("-1", -1), ("99", 99), ("-9223372036854775808", i64::MIN), ("9223372036854775807", i64::MAX)];
        for &(s, v) in ok {
            assert_eq!(parse_i64(s.as_bytes()), Some(v), "{s}");
        }
        let bad = [
            "",
            "-",
            "+1",
            " 1",
            "1 ",
            "01",
            "-0",
            "00",
            "1a",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "1\0",
            "0x1",
            "1.0",
        ];
        for s in bad {
            assert_eq!(parse_i64(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn u64_follows_string2ull() {
        let ok: &[(&str, u64)] = &[
            ("0", 0),
            ("18446744073709551615", u64::MAX),
            (" 1", 1),
            ("+2", 2),
            ("03", 3),
            ("-05", u64::MAX - 4),
            ("-0", 0),
            ("-18446744073709551615", 1),
            ("-9223372036854775809", 9_223_372_036_854_775_807),
            ("\t7", 7),
            ("7\0junk", 7),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_u64(s.as_bytes()), Some(v), "{s:?}");
        }
        let bad = ["", "-5", "-1", "18446744073709551616", "-18446744073709551616", " ", "+", "1 ", "1x", "\0", "- 1"];
        for s in bad {
            assert_eq!(parse_u64(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn f64_accepts_what_zadd_accepts() {
        // Each case verified with `ZADD z <s> m` + `ZSCORE z m` on 7.0.15.
        let ok: &[(&str, &str)] = &[
            ("0e-400", "0"),
            ("3e-324", "4.9406564584124654e-324"),
            ("1e-320", "9.9998886718268301e-321"),
            ("inf", "inf"),
            ("-inf", "-inf"),
            ("+inf", "inf"),
            ("Infinity", "inf"),
            ("INFINITY", "inf"),
            ("0x1p3", "8"),
            ("+1.5", "1.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0x.8", "0.5"),
            ("0X1P-2", "0.25"),
            ("0x1p-1074", "4.9406564584124654e-324"),
            ("1.7976931348623158e308", "1.7976931348623157e+308"),
            ("0e999999999999999999999", "0"),
            ("-0.0", "-0"),
            ("5.e3", "5000"),
            ("0xA", "10"),
            ("0x1.fffffffffffffp1023", "1.7976931348623157e+308"),
            ("0x1.00000000000008p0", "1"),
            ("0x1.00000000000008000001p0", "1.0000000000000002"),
            ("0x1.00000000000018p0", "1.0000000000000004"),
            ("0x0.0000000000001p-1022", "4.9406564584124654e-324"),
            // glibc's subnormal hex rounding quirk, confirmed on the reference.
            ("0x307Be366aad653p-1076", "1.6856303807615792e-308"),
            ("0x1.0000000000003p-1024", "5.5626846462680084e-309"),
        ];
        for &(s, want) in ok {
            let v = parse_f64(s.as_bytes()).unwrap_or_else(|| panic!("{s} rejected"));
            assert_eq!(g17(v), want, "{s}");
        }
        let bad = [
            "1e400",
            "1e-400",
            "-1e-400",
            "nan",
            "NaN",
            "-nan",
            "nan(123)",
            " 1",
            "1 ",
            "",
            "0x",
            "0x1p",
            ".",
            "1e",
            "1e+",
            "infinit",
            "1e999999999999999999999",
            "0x1p-1075",
            "0x1.fffffffffffff8p1023",
            "1.7976931348623159e308",
            "1\0",
            "\t1",
            "1_0",
            "--1",
            "+-1",
            "0x.p1",
            "e5",
            "1e5x",
        ];
        for s in bad {
            assert_eq!(parse_f64(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn lax_range_parse_matches_zrangebyscore() {
        assert_eq!(parse_f64_lax(b""), Some(0.0));
        assert_eq!(parse_f64_lax(b" 1"), Some(1.0));
        assert_eq!(parse_f64_lax(b"\t2"), Some(2.0));
        assert_eq!(parse_f64_lax(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_f64_lax(b"-1e-400"), Some(-0.0));
        assert_eq!(parse_f64_lax(b"1\0x"), Some(1.0));
        assert_eq!(parse_f64_lax(b"0x1p0"), Some(1.0));
        for s in ["nan", "1 ", "[1", "  ", "+", "abc"] {
            assert_eq!(parse_f64_lax(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn strtod_prefixes() {
        let cases: &[(&str, usize)] = &[
            ("0x", 1),
            ("-0x", 2),
            ("0x1p", 3),
            ("1e", 1),
            ("1e+", 1),
            ("infinit", 3),
            ("nan(ab_1)x", 9),
            ("nan(a", 3),
            ("  12abc", 4),
            ("abc", 0),
            ("  ", 0),
            ("5.x", 2),
        ];
        for &(s, len) in cases {
            assert_eq!(strtod(s.as_bytes()).len, len, "{s:?}");
        }
    }

    #[test]
    fn g17_layout() {
        let cases: &[(f64, &str)] = &[
            (1.1, "1.1000000000000001"),
            (3.0, "3"),
            (1e20, "1e+20"),
            (1e-5, "1.0000000000000001e-05"),
            (-0.0, "-0"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            // 1 + 2^-17 has 18 significant digits ending in 5: a true tie.
            (1.0 + f64::powi(2.0, -17), "1.0000076293945312"),
            (0.0001, "0.0001"),
            (0.000_123, "0.00012300000000000001"),
            (1e100, "1e+100"),
            (123_456_789_012_345_678.0, "1.2345678901234568e+17"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (-2.5, "-2.5"),
            (0.1, "0.10000000000000001"),
        ];
        for &(v, want) in cases {
            assert_eq!(g17(v), want, "{v:e}");
        }
    }

    #[test]
    fn fixed_and_integers() {
        let mut out = Vec::new();
        fmt_fixed(0.031_25, 4, &mut out);
        out.push(b' ');
        fmt_fixed(-0.000_01, 4, &mut out);
        out.push(b' ');
        fmt_fixed(166_274.151_6, 4, &mut out);
        assert_eq!(out, b"0.0312 -0.0000 166274.1516");
        for v in [0, 1, -1, 9, 10, 99, 100, 12345, i64::MIN, i64::MAX, -1_000_000] {
            let mut out = Vec::new();
            fmt_i64(v, &mut out);
            assert_eq!(out, v.to_string().as_bytes());
        }
        let mut out = Vec::new();
        fmt_u64(u64::MAX, &mut out);
        assert_eq!(out, b"18446744073709551615");
    }

    #[test]
    fn double2ll_range() {
        assert_eq!(f64_to_i64_exact(-0.0), Some(0));
        assert_eq!(f64_to_i64_exact(1e17), Some(100_000_000_000_000_000));
        assert_eq!(f64_to_i64_exact(4_611_686_018_427_387_904.0), Some(1 << 62));
        assert_eq!(f64_to_i64_exact(9_223_372_036_854_775_807.0), None);
        assert_eq!(f64_to_i64_exact(1.5), None);
        assert_eq!(f64_to_i64_exact(f64::NAN), None);
        assert_eq!(f64_to_i64_exact(f64::INFINITY), None);
    }
}
