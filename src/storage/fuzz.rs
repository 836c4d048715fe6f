//! Properties the log-reader fuzz target (`fuzz/fuzz_targets/log_reader.rs`) checks on
//! arbitrary bytes taken as a segment file; in the library so `cargo test` replays the corpus.
//!
//! 1. Reading never panics, whatever the bytes.
//! 2. Every record the reader yields passes its checksum when decoded again on its own, lies
//!    inside the file, follows the previous one exactly, and re-encodes to the same bytes.
//! 3. EFFECTS payloads of yielded records either parse or fail cleanly.

use super::log_reader::{scan, Stop};
use super::record::{self, Record};
use super::segment::{offset_at, SegmentHeader, SEGMENT_HEADER_BYTES};

const PAYLOAD_MAX_BYTES: u64 = 1 << 20;

pub fn check(data: &[u8]) {
    let Ok(header) = SegmentHeader::decode(data) else { return };
    let (id, base) = (header.log_id, header.base_offset);
    let mut next_pos = SEGMENT_HEADER_BYTES as u64;
    let stop = scan::<()>(data, id, base, PAYLOAD_MAX_BYTES, |pos, rec: &Record<'_>| {
        assert_eq!(pos, next_pos, "records are contiguous");
        let start = usize::try_from(pos).expect("position fits");
        let end = start + record::RECORD_HEADER_BYTES + rec.payload.len();
        assert!(end <= data.len(), "a record lies inside the file");
        let again = record::decode(&data[start..], id, offset_at(base, pos), PAYLOAD_MAX_BYTES);
        assert_eq!(again.as_ref(), Ok(rec), "a yielded record decodes on its own");
        let mut bytes = Vec::new();
        record::encode(&mut bytes, id, rec);
        assert_eq!(&bytes[..], &data[start..end], "a yielded record re-encodes to its bytes");
        let _ = record::decode_effects(rec.payload);
        next_pos = end as u64;
        Ok(())
    })
    .expect("the callback never fails");
    match stop {
        Stop::Clean { pos } | Stop::Bad { pos, .. } => assert_eq!(pos, next_pos, "the scan stops where the records end"),
    }
}

/// A valid segment to seed the corpus: a header and `n` EFFECTS records.
pub fn sample_segment(n: usize) -> Vec<u8> {
    let mut b = SegmentHeader { log_id: 0xC0FFEE, base_offset: 4096, created_ms: 1 }.encode().to_vec();
    for i in 0..n {
        let offset = offset_at(4096, b.len() as u64);
        let mut p = Vec::new();
        record::encode_effect(&mut p, u32::try_from(i % 3).unwrap_or(0), &[b"SET", format!("k{i}").as_bytes(), b"value"]);
        record::encode(
            &mut b,
            0xC0FFEE,
            &Record { kind: record::KIND_EFFECTS, offset, timestamp_ms: 7, durable_offset: offset - 1, payload: &p },
        );
    }
    b
}

#[cfg(test)]
mod tests {
    #[test]
    fn samples_hold_the_properties() {
        let s = super::sample_segment(5);
        super::check(&s);
        for cut in (0..s.len()).step_by(7) {
            super::check(&s[..cut]);
        }
    }
}
