//! Reading one segment's records in order, and classifying where they stop.
//!
//! A scan ends either at a clean end (no bytes left, or zero-filled space) or at a bad record.
//! Past a bad record the scan looks for a later valid record — a position whose header names
//! that position's own offset and whose CRC matches — because such a record's
//! `durable_offset` tells whether the bad one had already been synced (corruption) or not (an
//! unsynced tail). The decision itself is `recovery`'s; this file only reports.

use super::record::{self, Decode, Record, RECORD_HEADER_BYTES};
use super::segment::{offset_at, SEGMENT_HEADER_BYTES};

/// Where a segment's records stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// No bytes left, or only zeros from `pos` to the end of the segment.
    Clean { pos: u64 },
    /// The bytes at `pos` (log offset `offset`) are not a valid record.
    Bad { pos: u64, offset: u64, reason: &'static str, later: Option<Later> },
}

/// The first valid record found after a bad one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Later {
    pub pos: u64,
    pub offset: u64,
    pub durable_offset: u64,
}

/// Calls `each` with every valid record of a segment (its bytes including the header), in
/// order, and says where the records stop. Stops early if `each` fails.
pub fn scan<E>(
    bytes: &[u8],
    log_id: u64,
    base_offset: u64,
    payload_max_bytes: u64,
    mut each: impl FnMut(u64, &Record<'_>) -> Result<(), E>,
) -> Result<Stop, E> {
    let mut pos = SEGMENT_HEADER_BYTES;
    loop {
        let offset = offset_at(base_offset, pos as u64);
        match record::decode(bytes.get(pos..).unwrap_or(&[]), log_id, offset, payload_max_bytes) {
            Ok(rec) => {
                each(pos as u64, &rec)?;
                pos += RECORD_HEADER_BYTES + rec.payload.len();
            }
            Err(Decode::End) => {
                // Zeros end the data only if nothing but zeros follows: a zeroed range with
                // records after it is a hole (a lost page, or damage), judged like a bad record.
                let rest = bytes.get(pos..).unwrap_or(&[]);
                let Some(z) = rest.iter().position(|&b| b != 0) else { return Ok(Stop::Clean { pos: pos as u64 }) };
                // A record holding the first non-zero byte starts at most a header before it.
                let from = (pos + z).saturating_sub(RECORD_HEADER_BYTES - 1).max(pos + 1);
                let later = find_later(bytes, from, log_id, base_offset, payload_max_bytes);
                return Ok(Stop::Bad { pos: pos as u64, offset, reason: "zero-filled bytes followed by data", later });
            }
            Err(Decode::Bad(reason)) => {
                let later = find_later(bytes, pos + 1, log_id, base_offset, payload_max_bytes);
                return Ok(Stop::Bad { pos: pos as u64, offset, reason, later });
            }
        }
    }
}

/// The first position at or after `from` holding a valid record.
fn find_later(bytes: &[u8], from: usize, log_id: u64, base_offset: u64, payload_max_bytes: u64) -> Option<Later> {
    let last = bytes.len().checked_sub(RECORD_HEADER_BYTES)?;
    (from..=last).find_map(|pos| {
        let offset = offset_at(base_offset, pos as u64);
        // Cheap filter first: a record names its own offset at bytes 16..24.
        if bytes[pos + 16..pos + 24] != offset.to_le_bytes() {
            return None;
        }
        let rec = record::decode(&bytes[pos..], log_id, offset, payload_max_bytes).ok()?;
        Some(Later { pos: pos as u64, offset, durable_offset: rec.durable_offset })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::record::{encode, encode_effect, KIND_EFFECTS};
    use crate::storage::segment::SegmentHeader;

    const ID: u64 = 42;

    /// A segment with `n` records; returns the bytes and each record's (pos, offset).
    fn segment(base: u64, n: usize, durable_lag: u64) -> (Vec<u8>, Vec<(u64, u64)>) {
        let mut b = SegmentHeader { log_id: ID, base_offset: base, created_ms: 0 }.encode().to_vec();
        let mut at = Vec::new();
        for i in 0..n {
            let pos = b.len() as u64;
            let offset = offset_at(base, pos);
            let mut payload = Vec::new();
            encode_effect(&mut payload, 0, &[b"SET", format!("k{i}").as_bytes(), b"v"]);
            let rec = Record {
                kind: KIND_EFFECTS,
                offset,
                timestamp_ms: i as u64,
                durable_offset: offset.saturating_sub(durable_lag),
                payload: &payload,
            };
            encode(&mut b, ID, &rec);
            at.push((pos, offset));
        }
        (b, at)
    }

    fn offsets(bytes: &[u8], base: u64) -> (Vec<u64>, Stop) {
        let mut seen = Vec::new();
        let stop = scan::<()>(bytes, ID, base, 1 << 20, |_, r| {
            seen.push(r.offset);
            Ok(())
        })
        .unwrap();
        (seen, stop)
    }

    #[test]
    fn clean_segments_end_cleanly_even_when_preallocated() {
        let (mut b, at) = segment(1000, 5, 0);
        let end = b.len() as u64;
        let (seen, stop) = offsets(&b, 1000);
        assert_eq!(seen, at.iter().map(|a| a.1).collect::<Vec<_>>());
        assert_eq!(stop, Stop::Clean { pos: end });
        b.resize(b.len() + 4096, 0);
        assert_eq!(offsets(&b, 1000).1, Stop::Clean { pos: end });
    }

    #[test]
    fn a_torn_last_record_has_nothing_valid_after_it() {
        let (b, at) = segment(0, 4, 0);
        for cut in at[3].0 + 1..b.len() as u64 {
            let (seen, stop) = offsets(&b[..cut as usize], 0);
            assert_eq!(seen.len(), 3);
            assert!(matches!(stop, Stop::Bad { pos, later: None, .. } if pos == at[3].0), "cut at {cut}: {stop:?}");
        }
    }

    #[test]
    fn damage_followed_by_a_valid_record_is_reported_with_it() {
        // Records written with durable_offset = their own offset: each proves all before it durable.
        let (mut b, at) = segment(0, 6, 0);
        b[at[2].0 as usize + 45] ^= 0x01;
        let (seen, stop) = offsets(&b, 0);
        assert_eq!(seen.len(), 2);
        match stop {
            Stop::Bad { pos, offset, later: Some(l), .. } => {
                assert_eq!((pos, offset), at[2]);
                assert_eq!((l.pos, l.offset), at[3]);
                assert!(l.durable_offset > offset, "the later record proves the bad one was durable");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_zeroed_range_before_later_records_is_not_the_end() {
        // Records written with durable_offset = their own offset, so the later one proves
        // the zeroed record was durable: damage, not a clean end.
        let (mut b, at) = segment(0, 6, 0);
        let (from, to) = (at[2].0 as usize, at[3].0 as usize);
        b[from..to].fill(0);
        let (seen, stop) = offsets(&b, 0);
        assert_eq!(seen.len(), 2);
        match stop {
            Stop::Bad { pos, later: Some(l), .. } => {
                assert_eq!(pos, at[2].0);
                assert_eq!((l.pos, l.offset), at[3]);
            }
            other => panic!("{other:?}"),
        }
        // Zeros with only garbage after them: bad, with nothing later to prove anything.
        let (mut b, at) = segment(0, 3, 0);
        let end = b.len();
        b[at[2].0 as usize..end].fill(0);
        b.extend_from_slice(&[0, 0, 7, 0]);
        assert!(matches!(offsets(&b, 0).1, Stop::Bad { later: None, .. }));
    }

    #[test]
    fn stops_when_the_callback_fails() {
        let (b, _) = segment(0, 3, 0);
        let mut n = 0;
        let r = scan(&b, ID, 0, 1 << 20, |_, _| {
            n += 1;
            if n == 2 {
                Err("apply failed")
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err("apply failed"));
    }

    proptest::proptest! {
        /// Arbitrary damage: never a panic, and every record yielded is one that was written.
        #[test]
        fn never_yields_a_record_that_was_not_written(flips in proptest::collection::vec((0usize..4000, 0u8..8), 0..6), cut in 64usize..4000) {
            let (mut b, at) = segment(500, 20, 3);
            for (i, bit) in flips {
                let i = i % b.len();
                b[i] ^= 1 << bit;
            }
            b.truncate(cut.min(b.len()));
            let written: Vec<u64> = at.iter().map(|a| a.1).collect();
            let (seen, _) = offsets(&b, 500);
            proptest::prop_assert!(seen.iter().all(|o| written.contains(o)));
            proptest::prop_assert!(seen.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
