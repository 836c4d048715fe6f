//! Properties the fuzz target (`fuzz/fuzz_targets/resp_parse.rs`) checks on arbitrary
//! bytes, kept in the library so `cargo test` replays the checked-in corpus with the very same
//! checks on stable Rust.
//!
//! 1. The request parser never panics, and parsing the input whole or fed in pieces gives the
//!    same commands and the same error.
//! 2. Encoding the commands it found and parsing them again gives the same arguments.
//! 3. The frame (reply) parser never panics, and `parse(encode(f)) == f` for what it parsed.

use super::frame;
use super::request::{ParseLimits, Parsed, RequestParser};

/// What parsing a byte stream produced: the commands, then the error that stopped it.
type Outcome = (Vec<Vec<Vec<u8>>>, Option<String>);

/// Parses `data` fed in pieces cut at `cuts` (sorted offsets), as a connection would.
fn parse_stream(data: &[u8], cuts: &[usize]) -> Outcome {
    let lim = ParseLimits { bulk_len_bytes_max: 1 << 20, authenticated: true };
    let mut p = RequestParser::new();
    let (mut start, mut cmds) = (0, Vec::new());
    let mut ends: Vec<usize> = cuts.iter().copied().filter(|&c| c < data.len()).collect();
    ends.push(data.len());
    for end in ends {
        loop {
            match p.parse(&data[start..end], lim) {
                Ok(Parsed::Incomplete) => break,
                Ok(Parsed::Skip(n)) => {
                    assert!(n > 0 && start + n <= end, "skip must make progress within the input");
                    start += n;
                }
                Ok(Parsed::Command(n)) => {
                    assert!(n > 0 && start + n <= end, "command must lie within the input");
                    let args = p.args(&data[start..end]);
                    cmds.push(args.iter().map(<[u8]>::to_vec).collect());
                    start += n;
                }
                Err(e) => return (cmds, Some(e.0)),
            }
        }
    }
    (cmds, None)
}

/// Checks every property on one input; panics on a violation.
pub fn check(data: &[u8]) {
    // Cut points derived from the data itself, so the fuzzer explores them too.
    let cuts: Vec<usize> = {
        let mut v: Vec<usize> = data.iter().take(8).map(|&b| usize::from(b) % (data.len() + 1)).collect();
        v.sort_unstable();
        v
    };
    let whole = parse_stream(data, &[]);
    let pieces = parse_stream(data, &cuts);
    // Errors that depend on how much is buffered (the 64 KB line limits) are the only ones
    // that may legitimately move; everything before them must agree.
    if whole.1.as_deref().is_none_or(|e| !e.contains("too big")) && pieces.1.as_deref().is_none_or(|e| !e.contains("too big")) {
        assert_eq!(whole, pieces, "whole vs pieces");
    }
    for cmd in &whole.0 {
        if cmd.is_empty() {
            continue;
        }
        let mut enc = Vec::new();
        super::encode_request(cmd, &mut enc);
        let again = parse_stream(&enc, &[]);
        assert_eq!(again.0.as_slice(), std::slice::from_ref(cmd), "parse(encode(args)) == args");
        assert!(again.1.is_none());
    }
    check_frame(data);
}

fn check_frame(data: &[u8]) {
    let Ok(Some((f, n))) = frame::parse(data) else { return };
    assert!(n <= data.len());
    let mut enc = Vec::new();
    frame::encode(&f, &mut enc);
    let Ok(Some((g, m))) = frame::parse(&enc) else { panic!("re-encoded frame does not parse: {f:?}") };
    assert_eq!(m, enc.len());
    assert_eq!(f, g, "parse(encode(f)) == f");
}
