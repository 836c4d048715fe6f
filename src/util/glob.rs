//! Glob-style matching with the exact semantics of Redis 7.0.15's
//! `stringmatchlen`, as used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and
//! friends.
//!
//! Contract: `glob_match(pattern, s, nocase)` is binary safe, never panics and
//! never allocates. It reproduces Redis's observable quirks rather than a
//! "clean" glob: `*` does not match the empty string on its own (KEYS and SCAN
//! short-circuit the literal pattern `*` before calling the matcher, so callers
//! that want that behaviour must do the same); an unterminated `[` class ends
//! at the end of the pattern; a range endpoint may be the closing `]`
//! (`[a-]`); reversed ranges are swapped; range bounds compare as *signed*
//! chars (bytes >= 0x80 sort below ASCII); with `nocase` the swap happens
//! before lower-casing; an escaped byte inside a class is compared
//! case-sensitively; a trailing backslash matches a literal backslash.
//! Case folding is ASCII only (Redis runs with the C locale for ctype).
//!
//! Cost is bounded like Redis: once the tail after a `*` has failed at every
//! remaining position, no outer `*` can help (it would only hand the tail a
//! shorter string), so the whole search is abandoned; and recursion deeper
//! than 1000 stars yields "no match", which both caps stack use and is part
//! of the observable semantics.

/// Recursion depth beyond which Redis gives up and reports "no match".
const MAX_NESTING: u32 = 1000;

/// Returns true when `s` matches `pattern` exactly as Redis 7.0.15 would.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut give_up = false;
    match_from(pattern, 0, s, nocase, &mut give_up, 0)
}

/// Byte of the pattern at `i`, or 0 past the end: Redis patterns are
/// NUL-terminated and the C code peeks one byte beyond the logical end in a
/// few places, always seeing that terminator.
#[inline]
fn peek(pattern: &[u8], i: usize) -> u8 {
    pattern.get(i).copied().unwrap_or(0)
}

#[inline]
fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Range bounds in Redis are plain `char`, which is signed on the platforms
/// Redis ships for, so comparisons must happen on the signed value.
#[inline]
fn signed(c: u8) -> i32 {
    i32::from(c as i8)
}

/// The pattern is always passed whole with a start index so that `peek` can
/// model the terminator; the string is passed as the remaining suffix.
fn match_from(pattern: &[u8], mut p: usize, mut s: &[u8], nocase: bool, give_up: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    let plen = pattern.len();
    while p < plen && !s.is_empty() {
        match pattern[p] {
            b'*' => {
                while peek(pattern, p + 1) == b'*' {
                    p += 1;
                }
                if p + 1 == plen {
                    return true;
                }
                while !s.is_empty() {
                    if match_from(pattern, p + 1, s, nocase, give_up, nesting + 1) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                    s = &s[1..];
                }
                // The tail failed from every start position; letting an outer
                // star consume more input can only offer it fewer positions.
                *give_up = true;
                return false;
            }
            b'?' => {
                s = &s[1..];
            }
            b'[' => {
                p += 1;
                let negate = peek(pattern, p) == b'^';
                if negate {
                    p += 1;
                }
                let c = s[0];
                let mut hit = false;
                loop {
                    let left = plen - p.min(plen);
                    let pc = peek(pattern, p);
                    if pc == b'\\' && left >= 2 {
                        p += 1;
                        // Escapes inside a class ignore `nocase` in Redis.
                        if pattern[p] == c {
                            hit = true;
                        }
                    } else if pc == b']' {
                        break;
                    } else if left == 0 {
                        // Unterminated class: step back so the shared advance
                        // below lands exactly on the end of the pattern.
                        p -= 1;
                        break;
                    } else if left >= 3 && pattern[p + 1] == b'-' {
                        let (mut lo, mut hi) = (signed(pattern[p]), signed(pattern[p + 2]));
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let mut x = signed(c);
                        if nocase {
                            lo = lower_signed(lo);
                            hi = lower_signed(hi);
                            x = lower_signed(x);
                        }
                        p += 2;
                        if x >= lo && x <= hi {
                            hit = true;
                        }
                    } else if fold(pc, nocase) == fold(c, nocase) {
                        hit = true;
                    }
                    p += 1;
                }
                if negate {
                    hit = !hit;
                }
                if !hit {
                    return false;
                }
                s = &s[1..];
            }
            first => {
                let mut lit = first;
                if first == b'\\' && plen - p >= 2 {
                    p += 1;
                    lit = pattern[p];
                }
                if fold(lit, nocase) != fold(s[0], nocase) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p += 1;
        if s.is_empty() {
            // Trailing stars may match nothing, but only once input is used
            // up by a real token; this is why `*` alone never matches "".
            while peek(pattern, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= plen && s.is_empty()
}

/// `tolower` on a signed char value in the C locale: only 'A'..='Z' change.
#[inline]
fn lower_signed(v: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&v) {
        v + 32
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    /// (pattern, string, matches) with expectations taken from redis-server
    /// 7.0.15: for each row, `FLUSHALL`, `SET <string> x`, then
    /// `KEYS <pattern>`; the row is true iff the reply was non-empty. Bytes
    /// were sent raw over RESP, so `\xNN` below is the exact byte used.
    /// Rows whose pattern is exactly `*` are excluded because KEYS answers
    /// those without calling the matcher.
    const KEYS_VECTORS: &[(&[u8], &[u8], bool)] = &[
        (b"", b"a", false),
        (b"a", b"", false),
        (b"abc", b"abc", true),
        (b"abc", b"abd", false),
        (b"abc", b"ab", false),
        (b"ab", b"abc", false),
        (b"a*", b"a", true),
        (b"a*", b"abc", true),
        (b"*c", b"abc", true),
        (b"*b*", b"abc", true),
        (b"*b*", b"ac", false),
        (b"**", b"x", true),
        (b"a**b", b"ab", true),
        (b"a*b*c", b"axxbyyc", true),
        (b"a*b*c", b"axxbyy", false),
        (b"?", b"a", true),
        (b"?", b"ab", false),
        (b"??", b"a", false),
        (b"a?c", b"abc", true),
        (b"a?c", b"ac", false),
        (b"*?", b"a", true),
        (b"?*", b"a", true),
        (b"*?*", b"ab", true),
        (b"h?llo", b"hello", true),
        (b"h*llo", b"hllo", true),
        (b"h[ae]llo", b"hello", true),
        (b"h[ae]llo", b"hallo", true),
        (b"h[ae]llo", b"hillo", false),
        (b"h[^e]llo", b"hallo", true),
        (b"h[^e]llo", b"hello", false),
        (b"h[a-b]llo", b"hbllo", true),
        (b"h[a-b]llo", b"hcllo", false),
        (b"[z-a]", b"m", true),
        (b"[z-a]", b"A", false),
        (b"[a-z]", b"-", false),
        (b"[a-]", b"]", true),
        (b"[a-]", b"^", true),
        (b"[a-]", b"b", false),
        (b"[a-]", b"-", false),
        (b"[-a]", b"-", true),
        (b"[-a]", b"a", true),
        (b"[-a]", b"b", false),
        (b"[]", b"]", false),
        (b"[]a]", b"a", false),
        (b"[]a]", b"]", false),
        (b"[]a]", b"a]", false),
        (b"[", b"a", false),
        (b"[", b"[", false),
        (b"[^", b"a", true),
        (b"[^", b"^", true),
        (b"[^]", b"a", true),
        (b"[^]", b"]", true),
        (b"[abc", b"b", true),
        (b"[abc", b"d", false),
        (b"[abc", b"bx", false),
        (b"[a-c", b"b", true),
        (b"[a-", b"a", true),
        (b"[a-", b"-", true),
        (b"[a-", b"b", false),
        (b"\\", b"\\", true),
        (b"\\", b"a", false),
        (b"a\\", b"a\\", true),
        (b"\\*", b"*", true),
        (b"\\*", b"a", false),
        (b"\\?", b"?", true),
        (b"\\?", b"a", false),
        (b"\\[a]", b"[a]", true),
        (b"\\a", b"a", true),
        (b"[\\]]", b"]", true),
        (b"[\\]", b"]", true),
        (b"[\\]", b"\\", false),
        (b"[\\", b"\\", true),
        (b"[\\", b"a", false),
        (b"[\\-a]", b"-", true),
        (b"[\\-a]", b"b", false),
        (b"[\\^a]", b"^", true),
        (b"[a\\]b]", b"]", true),
        (b"[a\\]b]", b"b", true),
        (b"[\x80-\xff]", b"\x90", true),
        (b"[\x80-\xff]", b"a", false),
        (b"[a-\xff]", b"A", true),
        (b"[a-\xff]", b"\xff", true),
        (b"[a-\xff]", b"\x80", false),
        (b"[\x01-\x7f]", b"\x80", false),
        (b"[\x00-a]", b"\x00", true),
        (b"[\x00-a]", b"\xff", false),
        (b"a\x00b", b"a\x00b", true),
        (b"a?b", b"a\x00b", true),
        (b"*\x00", b"xyz\x00", true),
        (b"*a", b"aaaa", true),
        (b"a*a*a*a*a*b", b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        (b"a*a*a*a*a*a", b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true),
        (b"*a*b", b"xaxbxab", true),
        (b"*a*b*", b"bbbba", false),
        (b"a*", b"b", false),
        (b"*ab*ab", b"abab", true),
        (b"*ab*ab", b"aabab", true),
        (b"*x*y*z", b"xyzxyz", true),
        (b"*x*y*z", b"xzy", false),
        (b"*[ab]", b"ccb", true),
        (b"*[ab]*", b"ccc", false),
        (b"*\\*", b"a*", true),
        (b"*\\", b"ab\\", true),
        (b"*?*?*?", b"ab", false),
        (b"*?*?*?", b"abc", true),
        (b"[^a-c]*", b"dog", true),
        (b"[^a-c]*", b"cat", false),
        (b"[Aa]bc", b"abc", true),
        (b"ABC", b"abc", false),
        (b"[A-C]x", b"bx", false),
        (b"foo*", b"foo", true),
        (b"foo*bar", b"foobar", true),
        (b"foo*bar", b"foo-bar-baz", false),
        (b"user:[0-9]*", b"user:42", true),
        (b"user:[0-9]*", b"user:x", false),
        (b"[[]", b"[", true),
        (b"[[]", b"]", false),
        (b"[*]", b"*", true),
        (b"[*]", b"a", false),
        (b"[?]", b"?", true),
        (b"*]", b"a]", true),
        (b"]", b"]", true),
        (b"-", b"-", true),
        (b"^", b"^", true),
        (b"[a-a]", b"a", true),
        (b"[a-a]", b"b", false),
        (b"[a-b-c]", b"-", true),
        (b"[a-b-c]", b"c", true),
        (b"[a-b-c]", b"d", false),
        (b"[---]", b"-", true),
        (b"[^^]", b"^", false),
        (b"[^^]", b"a", true),
        (b"a*?", b"a", false),
        (b"a*?", b"ab", true),
        (b"**a**", b"a", true),
        (b"*a", b"a", true),
    ];

    /// Case-insensitive rows: Redis only exposes `nocase` matching through
    /// CONFIG GET, so these were obtained with `CONFIG GET <pattern>` on the
    /// reference, true iff the named parameter appeared in the reply.
    const NOCASE_VECTORS: &[(&[u8], &[u8], bool)] = &[
        (b"[L-N]axmemory", b"maxmemory", true),
        (b"[Z-a]axmemory", b"maxmemory", false),
        (b"[a-Z]axmemory", b"maxmemory", false),
        (b"[^M]axmemory", b"maxmemory", false),
        (b"[\\M]axmemory", b"maxmemory", false),
        (b"[\\m]axmemory", b"maxmemory", true),
        (b"\\Maxmemor?", b"maxmemory", true),
        (b"*AXMEM*", b"maxmemory", true),
        (b"m?XMEMORY", b"maxmemory", true),
        (b"[M]axmemory", b"maxmemory", true),
        (b"*MEMORY", b"maxmemory", true),
        (b"maxmemor[A-Z]", b"maxmemory", true),
        (b"maxmemor[[-Z]", b"maxmemory", false),
        (b"maxmemor[z-~]", b"maxmemory", false),
        (b"maxmemor[Y-~]", b"maxmemory", true),
    ];

    #[test]
    fn keys_vectors() {
        assert!(KEYS_VECTORS.len() >= 60);
        for (i, (p, s, want)) in KEYS_VECTORS.iter().enumerate() {
            assert_eq!(
                glob_match(p, s, false),
                *want,
                "row {}: pattern {:?} string {:?}",
                i,
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn nocase_vectors() {
        for (p, s, want) in NOCASE_VECTORS {
            assert_eq!(glob_match(p, s, true), *want, "pattern {:?} string {:?}", String::from_utf8_lossy(p), String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn star_alone_does_not_match_empty() {
        // KEYS special-cases the literal "*"; the matcher itself says no.
        assert!(!glob_match(b"*", b"", false));
        assert!(!glob_match(b"**", b"", false));
        assert!(glob_match(b"", b"", false));
    }

    #[test]
    fn adversarial_patterns_finish_quickly() {
        let start = std::time::Instant::now();
        let mut pat = b"a*".repeat(40);
        pat.push(b'b');
        let s = vec![b'a'; 100_000];
        assert!(!glob_match(&pat, &s, false));
        let pat2 = b"*?".repeat(300);
        assert!(!glob_match(&[pat2.as_slice(), b"x"].concat(), &s[..5000], false));
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn nesting_limit() {
        // Star number k recurses with depth k; a trailing star does not
        // recurse, so 1001 "a*" groups are the most that can still match.
        let s = vec![b'a'; 1100];
        assert!(glob_match(&b"a*".repeat(1001), &s, false));
        assert!(!glob_match(&b"a*".repeat(1002), &s, false));
    }

    #[test]
    fn no_panic_on_odd_patterns() {
        let pats: &[&[u8]] =
            &[b"[", b"[^", b"[\\", b"[a-", b"\\", b"[]", b"[-]", b"*[", b"?[", b"[a-\\", b"[\\]", b"[^\\", b"*\\", b"[z-", b"[\x00-\xff]"];
        for p in pats {
            for s in [&b""[..], b"a", b"\\", b"]", b"\xff", b"ab"] {
                let _ = glob_match(p, s, false);
                let _ = glob_match(p, s, true);
            }
        }
    }
}
