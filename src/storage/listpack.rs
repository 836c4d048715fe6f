//! Readers for the compact blobs Redis 7.0 writes in DUMP payloads and RDB files: listpacks
//! (small hashes, sorted sets and the nodes of lists) and intsets (small sets of integers),
//! so a payload DUMPed by Redis restores in Keel. Keel never writes them.
//!
//! Listpack: `total_bytes` (u32 LE), `count` (u16 LE, 65535 when unknown), the entries, and
//! 0xFF. An entry is an encoding byte (with its data) and a back-length of 1 to 5 bytes:
//! `0xxxxxxx` 7-bit uint; `10xxxxxx` string of up to 63 bytes; `110xxxxx yyyyyyyy` 13-bit
//! int; `1110xxxx yyyyyyyy` string of up to 4095 bytes; `0xF0` + u32 LE length string;
//! `0xF1`..`0xF4` int16/24/32/64 LE. Integers come back as their decimal text.
//!
//! Intset: `encoding` (u32 LE: 2, 4 or 8 bytes an integer), `length` (u32 LE), then the
//! integers LE, ascending. Every read is bounds-checked; garbage gives an error.

use crate::util::num::fmt_i64;

type Result<T> = std::result::Result<T, String>;

fn take(b: &[u8], pos: usize, n: usize) -> Result<&[u8]> {
    b.get(pos..pos.checked_add(n).ok_or("listpack length overflows")?).ok_or_else(|| "listpack entry past its end".to_string())
}

/// Bytes of the back-length that follows an entry of `l` bytes.
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        2_097_152..=268_435_455 => 4,
        _ => 5,
    }
}

fn int_text(n: i64) -> Vec<u8> {
    let mut v = Vec::with_capacity(20);
    fmt_i64(n, &mut v);
    v
}

/// Sign-extends the low `bits` of `v`.
fn signed(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Every entry of a listpack, integers as decimal text.
pub fn entries(b: &[u8]) -> Result<Vec<Vec<u8>>> {
    let head = take(b, 0, 6)?;
    let total = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
    if total != b.len() {
        return Err(format!("listpack says {total} bytes, has {}", b.len()));
    }
    let mut out = Vec::new();
    let mut pos = 6;
    loop {
        let first = *take(b, pos, 1)?.first().expect("1 byte");
        if first == 0xFF {
            if pos + 1 != b.len() {
                return Err("bytes after the listpack's end".into());
            }
            return Ok(out);
        }
        let (item, len) = match first {
            0x00..=0x7F => (int_text(i64::from(first)), 1),
            0x80..=0xBF => {
                let n = usize::from(first & 0x3F);
                (take(b, pos + 1, n)?.to_vec(), 1 + n)
            }
            0xC0..=0xDF => {
                let v = u64::from(first & 0x1F) << 8 | u64::from(take(b, pos + 1, 1)?[0]);
                (int_text(signed(v, 13)), 2)
            }
            0xE0..=0xEF => {
                let n = usize::from(first & 0x0F) << 8 | usize::from(take(b, pos + 1, 1)?[0]);
                (take(b, pos + 2, n)?.to_vec(), 2 + n)
            }
            0xF0 => {
                let n = u32::from_le_bytes(take(b, pos + 1, 4)?.try_into().expect("4 bytes")) as usize;
                (take(b, pos + 5, n)?.to_vec(), 5 + n)
            }
            0xF1..=0xF4 => {
                let w = [2, 3, 4, 8][usize::from(first - 0xF1)];
                let mut v = 0u64;
                for (i, &x) in take(b, pos + 1, w)?.iter().enumerate() {
                    v |= u64::from(x) << (8 * i);
                }
                (int_text(signed(v, 8 * w as u32)), 1 + w)
            }
            _ => return Err(format!("unknown listpack encoding {first:#04x}")),
        };
        out.push(item);
        pos += len + backlen_size(len);
        if out.len() > b.len() {
            return Err("listpack longer than its bytes".into());
        }
    }
}

/// The integers of an intset, in order.
pub fn intset(b: &[u8]) -> Result<Vec<i64>> {
    let head = take(b, 0, 8)?;
    let width = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
    let n = u32::from_le_bytes(head[4..].try_into().expect("4 bytes")) as usize;
    if !matches!(width, 2 | 4 | 8) || n.checked_mul(width).and_then(|l| l.checked_add(8)) != Some(b.len()) {
        return Err("malformed intset".into());
    }
    Ok(b[8..]
        .chunks_exact(width)
        .map(|c| match width {
            2 => i64::from(i16::from_le_bytes(c.try_into().expect("2 bytes"))),
            4 => i64::from(i32::from_le_bytes(c.try_into().expect("4 bytes"))),
            _ => i64::from_le_bytes(c.try_into().expect("8 bytes")),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listpack from encoded entries (each entry's bytes without its back-length).
    fn lp(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        for it in items {
            body.extend_from_slice(it);
            let l = it.len();
            assert!(l < 128);
            body.push(l as u8);
        }
        let mut v = Vec::new();
        v.extend_from_slice(&((6 + body.len() + 1) as u32).to_le_bytes());
        v.extend_from_slice(&(items.len() as u16).to_le_bytes());
        v.extend_from_slice(&body);
        v.push(0xFF);
        v
    }

    #[test]
    fn every_listpack_encoding_reads() {
        let b = lp(&[
            &[0x05],
            &[0x83, b'a', b'b', b'c'],
            &[0xDF, 0xFF],
            &[0xE0, 0x02, b'x', b'y'],
            &[0xF1, 0x00, 0x80],
            &[0xF4, 1, 0, 0, 0, 0, 0, 0, 0x80],
        ]);
        let got = entries(&b).unwrap();
        let want: Vec<&[u8]> = vec![b"5", b"abc", b"-1", b"xy", b"-32768", b"-9223372036854775807"];
        assert_eq!(got, want);
        // Damaged: a wrong total, a cut entry, an unknown encoding, junk after the end.
        let mut bad = b.clone();
        bad[0] ^= 1;
        assert!(entries(&bad).is_err());
        assert!(entries(&lp(&[&[0x85, b'a']])).is_err());
        assert!(entries(&lp(&[&[0xF5]])).is_err());
        for cut in 0..b.len() {
            assert!(entries(&b[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn intsets_read_every_width() {
        let mut b = vec![2, 0, 0, 0, 2, 0, 0, 0];
        b.extend_from_slice(&(-5i16).to_le_bytes());
        b.extend_from_slice(&7i16.to_le_bytes());
        assert_eq!(intset(&b).unwrap(), vec![-5, 7]);
        let mut b = vec![8, 0, 0, 0, 1, 0, 0, 0];
        b.extend_from_slice(&i64::MIN.to_le_bytes());
        assert_eq!(intset(&b).unwrap(), vec![i64::MIN]);
        assert!(intset(&b[..b.len() - 1]).is_err());
        assert!(intset(&[3, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
