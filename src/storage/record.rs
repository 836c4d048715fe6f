//! Log records: the 40-byte header, its CRC, and the EFFECTS payload. Byte layout in
//! docs/format/log.md; this file is its only implementation, and the golden-byte tests below
//! freeze version 1.
//!
//! Invariants: an encoded record always decodes to itself (checked on encode in debug
//! builds); `decode` never panics and never returns a record whose CRC fails, whatever the
//! bytes.

/// Bytes of a record header.
pub const RECORD_HEADER_BYTES: usize = 40;

/// Record kinds: an on-disk registry, append-only; a number is never reused.
pub const KIND_EFFECTS: u8 = 1;
/// A record to ignore, written by `aof-repair --skip-corrupt-record` over a damaged record,
/// the same length, so the offsets of everything after it stay what they were.
pub const KIND_SKIP: u8 = 2;

/// A decoded record header plus a view of its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub kind: u8,
    pub offset: u64,
    pub timestamp_ms: u64,
    pub durable_offset: u64,
    pub payload: &'a [u8],
}

impl Record<'_> {
    /// Bytes the record takes in the log (header and payload).
    pub fn len_bytes(&self) -> u64 {
        (RECORD_HEADER_BYTES + self.payload.len()) as u64
    }

    /// The log offset just past this record.
    pub fn end_offset(&self) -> u64 {
        self.offset + self.len_bytes()
    }
}

/// Why bytes at a position are not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// No bytes left, or only zeros where the next header would be: the log ends here.
    End,
    /// Not a valid record (torn, corrupt, or not a record at all).
    Bad(&'static str),
}

fn crc(log_id: u64, header: &[u8], payload: &[u8]) -> u32 {
    debug_assert_eq!(header.len(), RECORD_HEADER_BYTES);
    let mut h = crc32fast::Hasher::new();
    h.update(&log_id.to_le_bytes());
    h.update(&header[0..4]);
    h.update(&[0; 4]);
    h.update(&header[8..]);
    h.update(payload);
    h.finalize()
}

/// Appends one record to `out`.
pub fn encode(out: &mut Vec<u8>, log_id: u64, rec: &Record<'_>) {
    assert!(rec.kind != 0, "kind 0 is never written");
    assert!(rec.durable_offset <= rec.offset, "durable offset {} past the record at {}", rec.durable_offset, rec.offset);
    let len = u32::try_from(rec.payload.len()).expect("payload over 4 GiB: record-max-bytes bounds it");
    let start = out.len();
    let mut h = [0u8; RECORD_HEADER_BYTES];
    h[0..4].copy_from_slice(&len.to_le_bytes());
    h[8] = rec.kind;
    h[16..24].copy_from_slice(&rec.offset.to_le_bytes());
    h[24..32].copy_from_slice(&rec.timestamp_ms.to_le_bytes());
    h[32..40].copy_from_slice(&rec.durable_offset.to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(rec.payload);
    // The record as written, CRC bytes still zero: one pass over contiguous bytes.
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&log_id.to_le_bytes());
    hasher.update(&out[start..]);
    out[start + 4..start + 8].copy_from_slice(&hasher.finalize().to_le_bytes());
    debug_assert_eq!(decode(&out[start..], log_id, rec.offset, u64::MAX).as_ref(), Ok(rec), "record does not round-trip");
}

/// Decodes the record at the start of `bytes`, which must sit at log offset `offset`.
pub fn decode(bytes: &[u8], log_id: u64, offset: u64, payload_max_bytes: u64) -> Result<Record<'_>, Decode> {
    let head = &bytes[..bytes.len().min(RECORD_HEADER_BYTES)];
    if head.iter().all(|&b| b == 0) {
        return Err(Decode::End);
    }
    let Some(h) = bytes.get(..RECORD_HEADER_BYTES) else { return Err(Decode::Bad("record header cut short")) };
    let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().expect("8 bytes"));
    let len = u32::from_le_bytes(h[0..4].try_into().expect("4 bytes"));
    let stored_crc = u32::from_le_bytes(h[4..8].try_into().expect("4 bytes"));
    if h[8] == 0 {
        return Err(Decode::Bad("record kind 0"));
    }
    // Flags and reserved bytes are zero in version 1: a record with others is not one this
    // build understands, even if its checksum matches (found by fuzzing).
    if h[9..16].iter().any(|&b| b != 0) {
        return Err(Decode::Bad("record flags or reserved bytes set"));
    }
    if u64_at(16) != offset {
        return Err(Decode::Bad("record names another offset"));
    }
    if u64::from(len) > payload_max_bytes {
        return Err(Decode::Bad("record longer than record-max-bytes"));
    }
    let end = RECORD_HEADER_BYTES + len as usize;
    let Some(payload) = bytes.get(RECORD_HEADER_BYTES..end) else { return Err(Decode::Bad("record runs past the end of the file")) };
    if crc(log_id, h, payload) != stored_crc {
        return Err(Decode::Bad("record checksum mismatch"));
    }
    let rec = Record { kind: h[8], offset, timestamp_ms: u64_at(24), durable_offset: u64_at(32), payload };
    if rec.durable_offset > offset {
        // The CRC matched, so the writer wrote this: a writer bug, not damage. Refuse it.
        return Err(Decode::Bad("record's durable offset lies past the record"));
    }
    Ok(rec)
}

/// One effect of an EFFECTS record: a command and the database it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect<'a> {
    pub db: u32,
    pub argv: Vec<&'a [u8]>,
}

/// Appends one effect to an EFFECTS payload.
pub fn encode_effect(out: &mut Vec<u8>, db: u32, argv: &[&[u8]]) {
    encode_effect_iter(out, db, argv.iter().copied());
}

/// `encode_effect` over any arguments that know their count.
pub fn encode_effect_iter<'a>(out: &mut Vec<u8>, db: u32, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
    assert!(argv.len() > 0, "an effect is a command");
    out.extend_from_slice(&db.to_le_bytes());
    crate::protocol::encode_request_iter(argv, out);
}

/// Splits an EFFECTS payload into its effects. The payload passed its record's CRC, so a
/// malformed one means a writer bug or a newer format: an error, never a partial result.
pub fn decode_effects(payload: &[u8]) -> Result<Vec<Effect<'_>>, &'static str> {
    let mut out = Vec::new();
    let (mut at, mut spans) = (0, Vec::new());
    while let Some(db) = next_effect(payload, &mut at, &mut spans)? {
        out.push(Effect { db, argv: spans.iter().map(|&(s, e)| &payload[s..e]).collect() });
    }
    Ok(out)
}

/// Decodes the effect at `payload[*at..]` without copying: its arguments as spans of
/// `payload` (for `protocol::Args`), and its database. Advances `at`; None at the end.
pub fn next_effect(payload: &[u8], at: &mut usize, spans: &mut Vec<(usize, usize)>) -> Result<Option<u32>, &'static str> {
    let Some(rest) = payload.get(*at..).filter(|r| !r.is_empty()) else { return Ok(None) };
    let Some((db, _)) = rest.split_first_chunk::<4>() else { return Err("effect cut short") };
    *at = parse_array(payload, *at + 4, spans)?;
    Ok(Some(u32::from_le_bytes(*db)))
}

/// `*<n>\r\n` then n × `$<len>\r\n<bytes>\r\n` at `b[at..]`: the arguments' spans go to
/// `spans`; returns the position after the array.
fn parse_array(b: &[u8], at: usize, spans: &mut Vec<(usize, usize)>) -> Result<usize, &'static str> {
    spans.clear();
    let (n, mut pos) = parse_len(b, at, b'*')?;
    if n == 0 {
        return Err("effect with no command");
    }
    for _ in 0..n {
        let (len, start) = parse_len(b, pos, b'$')?;
        let end = start.checked_add(len).filter(|&e| e <= b.len()).ok_or("effect argument cut short")?;
        if b.get(end..end + 2) != Some(b"\r\n") {
            return Err("effect argument not terminated");
        }
        spans.push((start, end));
        pos = end + 2;
    }
    Ok(pos)
}

/// `<tag><digits>\r\n` at `b[at..]`: the number and the position after the line.
fn parse_len(b: &[u8], at: usize, tag: u8) -> Result<(usize, usize), &'static str> {
    let b_at = b.get(at..).unwrap_or(&[]);
    if b_at.first() != Some(&tag) {
        return Err("effect is not a RESP array of bulk strings");
    }
    let nl = memchr::memchr(b'\n', b_at).ok_or("effect length not terminated")?;
    if nl < 2 || b_at[nl - 1] != b'\r' {
        return Err("effect length not terminated");
    }
    let digits = &b_at[1..nl - 1];
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return Err("effect length is not a number");
    }
    let n = digits.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    Ok((n, at + nl + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG_ID: u64 = 0x1122_3344_5566_7788;

    fn sample_payload() -> Vec<u8> {
        let mut p = Vec::new();
        encode_effect(&mut p, 0, &[b"SET", b"k", b"v", b"PXAT", b"1700000000000"]);
        encode_effect(&mut p, 3, &[b"DEL", b"gone"]);
        p
    }

    /// Version 1 frozen: if this fails, the format changed and needs a new version.
    #[test]
    fn golden_bytes() {
        let payload = sample_payload();
        let mut out = Vec::new();
        let rec = Record { kind: KIND_EFFECTS, offset: 4096, timestamp_ms: 1_700_000_000_123, durable_offset: 1000, payload: &payload };
        encode(&mut out, LOG_ID, &rec);
        let mut want = Vec::new();
        want.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        want.extend_from_slice(&[0xff; 4]); // CRC, checked below
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&4096u64.to_le_bytes());
        want.extend_from_slice(&1_700_000_000_123u64.to_le_bytes());
        want.extend_from_slice(&1000u64.to_le_bytes());
        want.extend_from_slice(b"\x00\x00\x00\x00*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n1700000000000\r\n");
        want.extend_from_slice(b"\x03\x00\x00\x00*2\r\n$3\r\nDEL\r\n$4\r\ngone\r\n");
        assert_eq!(out.len(), want.len());
        assert_eq!(out[..4], want[..4]);
        assert_eq!(out[8..], want[8..]);
        // Cross-checked with Python: zlib.crc32(log_id_le + header_with_zero_crc + payload).
        assert_eq!(u32::from_le_bytes(out[4..8].try_into().unwrap()), 0x696d_c3f5, "CRC of the golden record");
    }

    #[test]
    fn round_trip_and_effects() {
        let payload = sample_payload();
        let mut out = Vec::new();
        let rec = Record { kind: KIND_EFFECTS, offset: 77, timestamp_ms: 5, durable_offset: 77, payload: &payload };
        encode(&mut out, LOG_ID, &rec);
        let got = decode(&out, LOG_ID, 77, 1 << 20).unwrap();
        assert_eq!(got, rec);
        assert_eq!(got.end_offset(), 77 + out.len() as u64);
        let effects = decode_effects(got.payload).unwrap();
        assert_eq!(effects.len(), 2);
        assert_eq!(effects[0].argv, vec![&b"SET"[..], b"k", b"v", b"PXAT", b"1700000000000"]);
        assert_eq!(effects[1].db, 3);
        assert_eq!(effects[1].argv, vec![&b"DEL"[..], b"gone"]);
    }

    #[test]
    fn damage_is_detected() {
        let payload = sample_payload();
        let mut out = Vec::new();
        encode(&mut out, LOG_ID, &Record { kind: KIND_EFFECTS, offset: 8, timestamp_ms: 1, durable_offset: 0, payload: &payload });
        // Every single-bit flip is caught.
        for i in 0..out.len() * 8 {
            let mut b = out.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(decode(&b, LOG_ID, 8, 1 << 20).is_err(), "bit {i} flipped yet decoded");
        }
        // Every truncation is caught.
        for n in 0..out.len() {
            assert!(decode(&out[..n], LOG_ID, 8, 1 << 20).is_err(), "cut at {n} yet decoded");
        }
        // Another log, another position, a tighter bound.
        assert_eq!(decode(&out, LOG_ID + 1, 8, 1 << 20), Err(Decode::Bad("record checksum mismatch")));
        assert_eq!(decode(&out, LOG_ID, 9, 1 << 20), Err(Decode::Bad("record names another offset")));
        assert_eq!(decode(&out, LOG_ID, 8, 10), Err(Decode::Bad("record longer than record-max-bytes")));
        assert_eq!(decode(&[0; 64], LOG_ID, 8, 1 << 20), Err(Decode::End));
        // Reserved bytes set under a matching checksum: still refused.
        let mut b = out.clone();
        b[15] = 4;
        let c = crc(LOG_ID, &b[..RECORD_HEADER_BYTES], &b[RECORD_HEADER_BYTES..]);
        b[4..8].copy_from_slice(&c.to_le_bytes());
        assert_eq!(decode(&b, LOG_ID, 8, 1 << 20), Err(Decode::Bad("record flags or reserved bytes set")));
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for bad in [
            &b"\x00\x00"[..],
            b"\x00\x00\x00\x00*0\r\n",
            b"\x00\x00\x00\x00*1\r\n$5\r\nab\r\n",
            b"\x00\x00\x00\x00+OK\r\n",
            b"\x00\x00\x00\x00*1\r\n$x\r\n",
        ] {
            assert!(decode_effects(bad).is_err(), "{bad:?}");
        }
        assert_eq!(decode_effects(b"").unwrap(), vec![]);
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200), off in 0u64..64) {
            let _ = decode(&bytes, LOG_ID, off, 1 << 20);
            let _ = decode_effects(&bytes);
        }
    }
}
