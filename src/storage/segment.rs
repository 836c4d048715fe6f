//! Segment files: the 64-byte header and the file naming. Byte layout in docs/format/log.md.
//!
//! Invariant: a header that decodes is one this build wrote or can read; every other header
//! is refused with a reason an operator can act on.

/// Bytes of a segment header; records start here.
pub const SEGMENT_HEADER_BYTES: usize = 64;
pub const MAGIC: &[u8; 8] = b"KEEL.LOG";
/// The newest log format this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
const SEGMENT_SUFFIX: &str = ".seg";
/// The largest log offset a segment may start at: 4 EiB of log, far beyond any real log, and
/// low enough that offset arithmetic on a forged header cannot overflow (found by fuzzing).
pub const LOG_OFFSET_MAX: u64 = 1 << 62;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    pub log_id: u64,
    pub base_offset: u64,
    pub created_ms: u64,
}

impl SegmentHeader {
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_BYTES] {
        let mut h = [0u8; SEGMENT_HEADER_BYTES];
        h[0..8].copy_from_slice(MAGIC);
        h[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        h[10..12].copy_from_slice(&(SEGMENT_HEADER_BYTES as u16).to_le_bytes());
        h[16..24].copy_from_slice(&self.log_id.to_le_bytes());
        h[24..32].copy_from_slice(&self.base_offset.to_le_bytes());
        h[32..40].copy_from_slice(&self.created_ms.to_le_bytes());
        let crc = crc32fast::hash(&h[..60]);
        h[60..64].copy_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(Self::decode(&h), Ok(*self), "segment header does not round-trip");
        h
    }

    /// Decodes and checks a header; the error says why the segment cannot be read.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let Some(h) = bytes.get(..SEGMENT_HEADER_BYTES) else {
            return Err(format!("segment header cut short ({} of {SEGMENT_HEADER_BYTES} bytes)", bytes.len()));
        };
        if &h[0..8] != MAGIC {
            return Err("not a Keel log segment (bad magic)".into());
        }
        let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().expect("8 bytes"));
        if u32::from_le_bytes(h[60..64].try_into().expect("4 bytes")) != crc32fast::hash(&h[..60]) {
            return Err("segment header checksum mismatch".into());
        }
        let version = u16_at(8);
        if version > FORMAT_VERSION {
            return Err(format!("written by a newer Keel: log format version {version}, this build reads up to {FORMAT_VERSION}"));
        }
        if version == 0 {
            return Err("log format version 0 does not exist".into());
        }
        if usize::from(u16_at(10)) != SEGMENT_HEADER_BYTES {
            return Err(format!("segment header length {} (expected {SEGMENT_HEADER_BYTES})", u16_at(10)));
        }
        let flags = u32::from_le_bytes(h[12..16].try_into().expect("4 bytes"));
        if flags != 0 {
            return Err(format!("unknown segment flags {flags:#x}"));
        }
        let base_offset = u64_at(24);
        if base_offset > LOG_OFFSET_MAX {
            return Err(format!("segment base offset {base_offset} out of range"));
        }
        Ok(Self { log_id: u64_at(16), base_offset, created_ms: u64_at(32) })
    }
}

/// The file name of the segment starting at `base_offset`: 20 digits, so names sort in order.
pub fn file_name(base_offset: u64) -> String {
    format!("{base_offset:020}{SEGMENT_SUFFIX}")
}

/// The next segment, made ahead by the writer thread (created, space reserved, synced) so
/// that a roll only writes its header and renames it. Not a segment until renamed: start-up
/// removes a leftover one.
pub const SPARE_FILE_NAME: &str = "next-segment.spare";

/// The base offset a segment file name claims, or None for files that are not segments.
pub fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The base offsets of the segment files in `dir`, in log order.
pub fn list_bases(fs: &dyn super::io::Fs, dir: &std::path::Path) -> std::io::Result<Vec<u64>> {
    let mut bases: Vec<u64> = fs.list(dir)?.iter().filter_map(|n| parse_file_name(n)).collect();
    bases.sort_unstable();
    Ok(bases)
}

/// The log offset of the record at byte `pos` of a segment starting at `base_offset`.
pub fn offset_at(base_offset: u64, pos: u64) -> u64 {
    debug_assert!(pos >= SEGMENT_HEADER_BYTES as u64);
    base_offset + (pos - SEGMENT_HEADER_BYTES as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Version 1 frozen.
    #[test]
    fn golden_header() {
        let h = SegmentHeader { log_id: 0x0102_0304_0506_0708, base_offset: 67_108_912, created_ms: 1_700_000_000_000 };
        let b = h.encode();
        assert_eq!(&b[0..16], b"KEEL.LOG\x01\x00\x40\x00\x00\x00\x00\x00");
        assert_eq!(&b[16..24], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&b[24..32], &67_108_912u64.to_le_bytes());
        assert_eq!(&b[40..60], &[0; 20]);
        assert_eq!(u32::from_le_bytes(b[60..64].try_into().unwrap()), crc32fast::hash(&b[..60]));
        assert_eq!(SegmentHeader::decode(&b), Ok(h));
    }

    #[test]
    fn refusals_name_the_reason() {
        let good = SegmentHeader { log_id: 9, base_offset: 0, created_ms: 1 }.encode();
        let reseal = |mut b: [u8; 64]| {
            let crc = crc32fast::hash(&b[..60]);
            b[60..64].copy_from_slice(&crc.to_le_bytes());
            b
        };
        let mut newer = good;
        newer[8] = 2;
        assert_eq!(
            SegmentHeader::decode(&reseal(newer)).unwrap_err(),
            "written by a newer Keel: log format version 2, this build reads up to 1"
        );
        let mut flags = good;
        flags[12] = 1;
        assert!(SegmentHeader::decode(&reseal(flags)).unwrap_err().contains("unknown segment flags"));
        let mut magic = good;
        magic[0] = b'R';
        assert!(SegmentHeader::decode(&magic).unwrap_err().contains("bad magic"));
        for i in 8..64 {
            let mut b = good;
            b[i] ^= 0x10;
            assert!(SegmentHeader::decode(&b).is_err(), "flip in byte {i} accepted");
        }
        assert!(SegmentHeader::decode(&good[..63]).unwrap_err().contains("cut short"));
        let mut far = good;
        far[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(SegmentHeader::decode(&reseal(far)).unwrap_err().contains("out of range"));
    }

    #[test]
    fn names_sort_and_parse() {
        assert_eq!(file_name(0), "00000000000000000000.seg");
        assert_eq!(file_name(u64::MAX), "18446744073709551615.seg");
        assert!(file_name(999) < file_name(1000));
        assert_eq!(parse_file_name(&file_name(67_108_912)), Some(67_108_912));
        for bad in ["0.seg", "0000000000000000000x.seg", "00000000000000000000.tmp", "LOCK", "99999999999999999999.seg"] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
        assert_eq!(offset_at(100, 64), 100);
        assert_eq!(offset_at(100, 164), 200);
    }
}
