//! Longest common subsequence for the LCS command, reproducing Redis 7.0.15
//! byte for byte: the same subsequence when several are possible, and the
//! same IDX match ranges in the same order.
//!
//! Contract: `try_lcs` applies Redis's size guards (returning the exact error
//! text, without the `ERR ` prefix) and then runs the classic dynamic
//! programming table of u32 lengths, exactly as large as the one Redis
//! builds, so the transient memory is bounded by `proto-max-bulk-len` just
//! like the reference. `lcs` is the infallible form for callers that have
//! already checked. Nothing here panics. Missing keys are passed as empty
//! slices; option parsing (LEN/IDX/MINMATCHLEN/WITHMATCHLEN, the "LEN and IDX
//! together" error, WRONGTYPE) stays with the command layer, and those
//! checks come before the size guards in Redis.

/// Default `proto-max-bulk-len`, which also caps the LCS table in bytes.
pub const PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;

/// Error when either input is at least `u32::MAX - 1` bytes long.
pub const ERR_TOO_LONG: &str = "String too long for LCS";
/// Error when the table would need more than `proto-max-bulk-len` bytes.
pub const ERR_TABLE_TOO_BIG: &str = "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
/// Error when the table size overflows or cannot be allocated.
pub const ERR_ALLOC_FAILED: &str = "Insufficient memory, failed allocating transient memory for LCS";

/// One IDX range: `((a_start, a_end), (b_start, b_end), match_len)`.
pub type LcsMatch = ((usize, usize), (usize, usize), usize);

/// Outcome of an LCS computation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LcsResult {
    /// The common subsequence Redis reports (its backtrack prefers moving
    /// left in `b` on ties, which fixes one subsequence among equals).
    pub lcs: Vec<u8>,
    /// Its length, the LEN reply and the `len` field of IDX.
    pub len: usize,
    /// IDX ranges (inclusive) in reply order: from the ends of the strings
    /// towards their starts. Empty unless requested.
    pub matches: Vec<LcsMatch>,
}

/// True when Redis, with the default `proto-max-bulk-len`, would refuse
/// inputs of these lengths before computing (reply `ERR_TABLE_TOO_BIG`, or
/// one of the other guard errors for absurd sizes; see `check_sizes`).
pub fn table_too_big(a_len: usize, b_len: usize) -> bool {
    check_sizes(a_len, b_len, PROTO_MAX_BULK_LEN).is_err()
}

/// Redis's guards, in its order: each length must be below `u32::MAX - 1`;
/// the table holds `(a_len+1)*(b_len+1)` u32 cells, and a byte size that
/// overflows 64 bits is an allocation failure while one above
/// `max_bulk_len` is refused outright.
pub fn check_sizes(a_len: usize, b_len: usize, max_bulk_len: u64) -> Result<(), &'static str> {
    let limit = u64::from(u32::MAX) - 1;
    let (a, b) = (a_len as u64, b_len as u64);
    if a >= limit || b >= limit {
        return Err(ERR_TOO_LONG);
    }
    // Cannot overflow: both factors are below 2^32.
    let cells = (a + 1) * (b + 1);
    match cells.checked_mul(4) {
        None => Err(ERR_ALLOC_FAILED),
        Some(bytes) if bytes > max_bulk_len => Err(ERR_TABLE_TOO_BIG),
        Some(_) => Ok(()),
    }
}

/// Checks sizes against `max_bulk_len` and computes the LCS. An allocation
/// failure is reported as `ERR_ALLOC_FAILED` rather than aborting, as Redis
/// does with its "try" allocator. Ranges shorter than `min_match_len` are
/// left out of `matches` (0 and 1 keep everything).
pub fn try_lcs(a: &[u8], b: &[u8], min_match_len: usize, want_matches: bool, max_bulk_len: u64) -> Result<LcsResult, &'static str> {
    check_sizes(a.len(), b.len(), max_bulk_len)?;
    let width = b.len() + 1;
    let cells = (a.len() + 1).checked_mul(width).ok_or(ERR_ALLOC_FAILED)?;
    let mut table: Vec<u32> = Vec::new();
    table.try_reserve_exact(cells).map_err(|_| ERR_ALLOC_FAILED)?;
    table.resize(cells, 0);
    fill_table(&mut table, a, b);
    Ok(backtrack(&table, a, b, min_match_len, want_matches))
}

/// Infallible form using the default limit: inputs that Redis would refuse
/// (see `table_too_big`) give an empty result instead of allocating.
pub fn lcs(a: &[u8], b: &[u8], min_match_len: usize, want_matches: bool) -> LcsResult {
    try_lcs(a, b, min_match_len, want_matches, PROTO_MAX_BULK_LEN).unwrap_or_default()
}

/// Row `i` holds the LCS lengths of `a[..i]` against every prefix of `b`.
/// Row 0 and column 0 stay zero from the allocation.
fn fill_table(table: &mut [u32], a: &[u8], b: &[u8]) {
    let width = b.len() + 1;
    for (i, &ac) in a.iter().enumerate() {
        // Borrow the previous and current rows separately so the inner loop
        // needs no index arithmetic on the whole table.
        let (done, rest) = table.split_at_mut((i + 1) * width);
        let prev = &done[i * width..];
        let cur = &mut rest[..width];
        for (j, &bc) in b.iter().enumerate() {
            cur[j + 1] = if ac == bc { prev[j] + 1 } else { prev[j + 1].max(cur[j]) };
        }
    }
}

/// Walks back from the bottom-right corner the way Redis does: on a match
/// take the byte and move diagonally; otherwise move up only when that cell
/// is strictly larger, else left. A run of diagonal moves forms one range,
/// reported when the run breaks or reaches the start of either string.
fn backtrack(table: &[u32], a: &[u8], b: &[u8], min_len: usize, want: bool) -> LcsResult {
    let width = b.len() + 1;
    let at = |i: usize, j: usize| table[i * width + j];
    let total = at(a.len(), b.len()) as usize;
    let mut out = vec![0u8; total];
    let mut matches = Vec::new();
    let mut k = total;
    let (mut i, mut j) = (a.len(), b.len());
    // Current run as (a_start, a_end, b_start, b_end).
    let mut run: Option<(usize, usize, usize, usize)> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            k -= 1;
            out[k] = a[i - 1];
            run = match run {
                None => Some((i - 1, i - 1, j - 1, j - 1)),
                Some((as_, ae, bs, be)) if as_ == i && bs == j => Some((as_ - 1, ae, bs - 1, be)),
                // Unreachable in practice (any step off the diagonal closes
                // the run first), kept so the walk mirrors Redis exactly.
                Some(r) => {
                    emit = true;
                    Some(r)
                }
            };
            if let Some((as_, _, bs, _)) = run {
                if as_ == 0 || bs == 0 {
                    emit = true;
                }
            }
            i -= 1;
            j -= 1;
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = run.is_some();
        }
        if emit {
            if let Some((as_, ae, bs, be)) = run.take() {
                let len = ae - as_ + 1;
                if want && len >= min_len {
                    matches.push(((as_, ae), (bs, be), len));
                }
            }
        }
    }
    LcsResult { lcs: out, len: total, matches }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (&'static [u8], &'static [u8], usize, &'static [u8], &'static [LcsMatch]);

    /// (a, b, MINMATCHLEN, plain LCS reply, IDX matches). Each row comes from
    /// redis-server 7.0.15: `SET k1 a`, `SET k2 b` (raw bytes; an empty
    /// string means the key was deleted), then `LCS k1 k2`, `LCS k1 k2 LEN`
    /// and `LCS k1 k2 IDX MINMATCHLEN n WITHMATCHLEN`.
    #[rustfmt::skip]
    const VECTORS: &[Row] = &[
        (b"ohmytext", b"mynewtext", 0, b"mytext", &[((4, 7), (5, 8), 4), ((2, 3), (0, 1), 2)]),
        (b"ohmytext", b"mynewtext", 4, b"mytext", &[((4, 7), (5, 8), 4)]),
        (b"", b"abc", 0, b"", &[]),
        (b"abc", b"", 0, b"", &[]),
        (b"", b"", 0, b"", &[]),
        (b"abc", b"abc", 0, b"abc", &[((0, 2), (0, 2), 3)]),
        (b"abc", b"cba", 0, b"c", &[((2, 2), (0, 0), 1)]),
        (b"aaaa", b"aa", 0, b"aa", &[((2, 3), (0, 1), 2)]),
        (b"aa", b"aaaa", 0, b"aa", &[((0, 1), (2, 3), 2)]),
        (b"ABCBDAB", b"BDCABA", 0, b"BDAB", &[((5, 6), (3, 4), 2), ((3, 4), (0, 1), 2)]),
        (b"abcabcabc", b"cbacbacba", 2, b"cbabc", &[]),
        (b"xyz", b"abc", 0, b"", &[]),
        (b"a\x00b\xffc", b"\x00\xffc", 0, b"\x00\xffc", &[((3, 4), (1, 2), 2), ((1, 1), (0, 0), 1)]),
        (b"hello world", b"world hello", 1, b"world", &[((6, 10), (0, 4), 5)]),
        (b"GATTACA", b"TACGATTA", 3, b"GATTA", &[((0, 3), (3, 6), 4)]),
        (b"aab", b"ab", 0, b"ab", &[((1, 2), (0, 1), 2)]),
        (b"ccabcbccaca", b"bcaacbccbbcaaca", 3, b"cacbccaca", &[((8, 10), (12, 14), 3)]),
        (b"cacaacababbccb", b"bbccbabaaababcbcbbc", 2, b"ccaaaabbccb", &[((10, 11), (12, 13), 2), ((8, 9), (9, 10), 2)]),
        (b"bccbcabcabcccacbc", b"caccaccbbaabcbaba", 2, b"cccacabcab", &[((8, 9), (10, 11), 2), ((4, 5), (3, 4), 2)]),
        (b"abbbaaccab", b"cbcbcaabaaaccaabbcb", 0, b"bbbaaccab", &[((9, 9), (18, 18), 1), ((8, 8), (14, 14), 1), ((4, 7), (9, 12), 4), ((3, 3), (7, 7), 1), ((2, 2), (3, 3), 1), ((1, 1), (1, 1), 1)]),
        (b"abbbabbbcbccccaccbb", b"ccabbbcbcbabcbabcc", 3, b"abbbbbbcbacc", &[((7, 9), (11, 13), 3), ((0, 3), (2, 5), 4)]),
    ];

    #[test]
    fn reference_vectors() {
        for &(a, b, min, want_lcs, want_matches) in VECTORS {
            let r = lcs(a, b, min, true);
            assert_eq!(r.lcs, want_lcs, "{a:?} {b:?}");
            assert_eq!(r.len, want_lcs.len());
            assert_eq!(r.matches, want_matches, "{a:?} {b:?} min {min}");
            assert!(lcs(a, b, min, false).matches.is_empty());
        }
    }

    #[test]
    fn size_guards() {
        // Checked on the reference with `CONFIG SET proto-max-bulk-len 1mb`:
        // 511 x 511 bytes (exactly 1MB of table) runs, 511 x 512 is refused.
        assert_eq!(check_sizes(511, 511, 1 << 20), Ok(()));
        assert_eq!(check_sizes(511, 512, 1 << 20), Err(ERR_TABLE_TOO_BIG));
        // Default limit: 16383 x 8192 bytes was refused by the reference.
        assert!(table_too_big(16383, 8192));
        assert!(!table_too_big(16383, 8191));
        assert!(!table_too_big(0, 0));
        let huge = u32::MAX as usize;
        assert_eq!(check_sizes(huge - 1, 0, u64::MAX), Err(ERR_TOO_LONG));
        assert_eq!(check_sizes(huge - 2, huge - 2, u64::MAX), Err(ERR_ALLOC_FAILED));
        assert_eq!(check_sizes(huge - 2, 1000, u64::MAX), Ok(()));
        let big = vec![b'x'; 20_000];
        assert_eq!(lcs(&big, &big, 0, true), LcsResult::default());
        assert_eq!(try_lcs(&big, &big, 0, true, PROTO_MAX_BULK_LEN), Err(ERR_TABLE_TOO_BIG));
    }
}
