//! A general RESP2/RESP3 value (`Frame`) with a bounded parser and an encoder.
//!
//! The server's hot path never builds frames (requests go through `request`, replies through
//! `reply`); frames serve the tools and tests that read replies (the compatibility checker,
//! the benchmark, the fuzz round trip) and, later, scripts. Parsing is not resumable: on
//! `Ok(None)` the caller reads more and parses again from the start. Doubles, big numbers and
//! verbatim strings keep their text so that `encode(parse(x)) == x` byte for byte.

use crate::util::num::{fmt_i64, parse_i64};

/// Nesting deeper than this is refused rather than recursed into.
pub const FRAME_DEPTH_MAX: usize = 64;
/// Elements reserved up front for an aggregate, whatever count it announces.
const PREALLOC_ELEMENTS_MAX: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    /// `$-1` in RESP2.
    NullBulk,
    /// `*-1` in RESP2.
    NullArray,
    /// `_` in RESP3.
    Null,
    Bulk(Vec<u8>),
    Array(Vec<Frame>),
    /// The text after `,` (e.g. `1.5`, `inf`).
    Double(Vec<u8>),
    Bool(bool),
    BigNumber(Vec<u8>),
    BlobError(Vec<u8>),
    /// Format (3 bytes) and text.
    Verbatim([u8; 3], Vec<u8>),
    Map(Vec<(Frame, Frame)>),
    Set(Vec<Frame>),
    Push(Vec<Frame>),
    Attribute(Vec<(Frame, Frame)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(pub &'static str);

type Step = Result<Option<(Frame, usize)>, FrameError>;

/// Parses one frame from the start of `buf`: `Ok(Some((frame, bytes used)))`, or `Ok(None)`
/// when more bytes are needed.
pub fn parse(buf: &[u8]) -> Step {
    parse_at(buf, 0)
}

fn line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let cr = memchr::memchr(b'\r', buf)?;
    if buf.get(cr + 1)? != &b'\n' {
        // A lone CR inside a line is never valid RESP.
        return Some((&buf[..0], usize::MAX));
    }
    Some((&buf[..cr], cr + 2))
}

fn parse_at(buf: &[u8], depth: usize) -> Step {
    if depth > FRAME_DEPTH_MAX {
        return Err(FrameError("nesting too deep"));
    }
    let Some(&tag) = buf.first() else { return Ok(None) };
    let Some((text, used)) = line(&buf[1..]) else { return Ok(None) };
    if used == usize::MAX {
        return Err(FrameError("CR without LF"));
    }
    let after = 1 + used;
    let num = || parse_i64(text).ok_or(FrameError("bad length or integer"));
    let frame = match tag {
        b'+' => Frame::Simple(text.to_vec()),
        b'-' => Frame::Error(text.to_vec()),
        b':' => Frame::Int(num()?),
        b',' => Frame::Double(text.to_vec()),
        b'(' => Frame::BigNumber(text.to_vec()),
        b'_' if text.is_empty() => Frame::Null,
        b'#' if text == b"t" || text == b"f" => Frame::Bool(text == b"t"),
        b'$' | b'!' | b'=' => return blob(tag, num()?, &buf[after..], after),
        b'*' | b'~' | b'>' => return aggregate(tag, num()?, &buf[after..], after, depth),
        b'%' | b'|' => return pairs(tag, num()?, &buf[after..], after, depth),
        _ => return Err(FrameError("unknown type byte")),
    };
    Ok(Some((frame, after)))
}

fn blob(tag: u8, len: i64, rest: &[u8], head: usize) -> Step {
    if len == -1 && tag == b'$' {
        return Ok(Some((Frame::NullBulk, head)));
    }
    let len = usize::try_from(len).map_err(|_| FrameError("negative length"))?;
    if rest.len() < len.saturating_add(2) {
        return Ok(None);
    }
    if &rest[len..len + 2] != b"\r\n" {
        return Err(FrameError("missing CRLF after blob"));
    }
    let data = rest[..len].to_vec();
    let frame = match tag {
        b'$' => Frame::Bulk(data),
        b'!' => Frame::BlobError(data),
        _ => {
            if data.len() < 4 || data[3] != b':' {
                return Err(FrameError("verbatim without format"));
            }
            Frame::Verbatim([data[0], data[1], data[2]], data[4..].to_vec())
        }
    };
    Ok(Some((frame, head + len + 2)))
}

fn aggregate(tag: u8, n: i64, rest: &[u8], head: usize, depth: usize) -> Step {
    if n == -1 && tag == b'*' {
        return Ok(Some((Frame::NullArray, head)));
    }
    let n = usize::try_from(n).map_err(|_| FrameError("negative count"))?;
    let mut items = Vec::with_capacity(n.min(PREALLOC_ELEMENTS_MAX));
    let mut pos = 0;
    for _ in 0..n {
        let Some((f, used)) = parse_at(&rest[pos..], depth + 1)? else { return Ok(None) };
        items.push(f);
        pos += used;
    }
    let frame = match tag {
        b'*' => Frame::Array(items),
        b'~' => Frame::Set(items),
        _ => Frame::Push(items),
    };
    Ok(Some((frame, head + pos)))
}

fn pairs(tag: u8, n: i64, rest: &[u8], head: usize, depth: usize) -> Step {
    let n = usize::try_from(n).map_err(|_| FrameError("negative count"))?;
    let mut items = Vec::with_capacity(n.min(PREALLOC_ELEMENTS_MAX));
    let mut pos = 0;
    for _ in 0..n {
        let Some((k, used)) = parse_at(&rest[pos..], depth + 1)? else { return Ok(None) };
        pos += used;
        let Some((v, used)) = parse_at(&rest[pos..], depth + 1)? else { return Ok(None) };
        pos += used;
        items.push((k, v));
    }
    let frame = if tag == b'%' { Frame::Map(items) } else { Frame::Attribute(items) };
    Ok(Some((frame, head + pos)))
}

fn head(out: &mut Vec<u8>, tag: u8, n: usize) {
    out.push(tag);
    fmt_i64(n as i64, out);
    out.extend_from_slice(b"\r\n");
}

fn text(out: &mut Vec<u8>, tag: u8, t: &[u8]) {
    out.push(tag);
    out.extend_from_slice(t);
    out.extend_from_slice(b"\r\n");
}

/// Encodes a frame; `parse(encode(f)) == f` for every frame whose texts hold no CR or LF.
pub fn encode(f: &Frame, out: &mut Vec<u8>) {
    match f {
        Frame::Simple(t) => text(out, b'+', t),
        Frame::Error(t) => text(out, b'-', t),
        Frame::Double(t) => text(out, b',', t),
        Frame::BigNumber(t) => text(out, b'(', t),
        Frame::Int(n) => {
            out.push(b':');
            fmt_i64(*n, out);
            out.extend_from_slice(b"\r\n");
        }
        Frame::NullBulk => out.extend_from_slice(b"$-1\r\n"),
        Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Frame::Null => out.extend_from_slice(b"_\r\n"),
        Frame::Bool(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Bulk(d) | Frame::BlobError(d) => {
            head(out, if matches!(f, Frame::Bulk(_)) { b'$' } else { b'!' }, d.len());
            out.extend_from_slice(d);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Verbatim(fmt, d) => {
            head(out, b'=', d.len() + 4);
            out.extend_from_slice(fmt);
            out.push(b':');
            out.extend_from_slice(d);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            let tag = match f {
                Frame::Array(_) => b'*',
                Frame::Set(_) => b'~',
                _ => b'>',
            };
            head(out, tag, items.len());
            items.iter().for_each(|i| encode(i, out));
        }
        Frame::Map(kv) | Frame::Attribute(kv) => {
            head(out, if matches!(f, Frame::Map(_)) { b'%' } else { b'|' }, kv.len());
            for (k, v) in kv {
                encode(k, out);
                encode(v, out);
            }
        }
    }
}

/// A compact, readable notation used by tests, case files and tools: `+"OK"`, `-"ERR x"`,
/// `"bulk"`, `:5`, `nil` (null bulk), `*nil` (null array), `_` (RESP3 null), `,"1.5"`,
/// `#t`, `("123")`, `="txt"`, `[a, b]`, `~[a]`, `>[a]`, `{k: v}`, `|{k: v}`. Strings are
/// shown with Rust's escapes (`\0`, `\r`, `\u{ff}` for bytes that are not UTF-8).
impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn text(b: &[u8]) -> String {
            format!("{:?}", String::from_utf8_lossy(b))
        }
        fn list(f: &mut std::fmt::Formatter<'_>, open: &str, items: &[Frame]) -> std::fmt::Result {
            write!(f, "{open}")?;
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{it}")?;
            }
            write!(f, "]")
        }
        fn pairs(f: &mut std::fmt::Formatter<'_>, open: &str, kv: &[(Frame, Frame)]) -> std::fmt::Result {
            write!(f, "{open}")?;
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{k}: {v}")?;
            }
            write!(f, "}}")
        }
        match self {
            Frame::Simple(b) => write!(f, "+{}", text(b)),
            Frame::Error(b) => write!(f, "-{}", text(b)),
            Frame::BlobError(b) => write!(f, "!{}", text(b)),
            Frame::Int(n) => write!(f, ":{n}"),
            Frame::NullBulk => write!(f, "nil"),
            Frame::NullArray => write!(f, "*nil"),
            Frame::Null => write!(f, "_"),
            Frame::Bulk(b) => write!(f, "{}", text(b)),
            Frame::Double(b) => write!(f, ",{}", text(b)),
            Frame::Bool(b) => write!(f, "{}", if *b { "#t" } else { "#f" }),
            Frame::BigNumber(b) => write!(f, "({})", text(b)),
            Frame::Verbatim(_, b) => write!(f, "={}", text(b)),
            Frame::Array(v) => list(f, "[", v),
            Frame::Set(v) => list(f, "~[", v),
            Frame::Push(v) => list(f, ">[", v),
            Frame::Map(kv) => pairs(f, "{", kv),
            Frame::Attribute(kv) => pairs(f, "|{", kv),
        }
    }
}

impl Frame {
    /// The bytes of a string-like frame.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Simple(b) | Frame::Bulk(b) | Frame::Verbatim(_, b) | Frame::Double(b) | Frame::BigNumber(b) => Some(b),
            _ => None,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_) | Frame::BlobError(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_kind() {
        let f = Frame::Array(vec![
            Frame::Simple(b"OK".to_vec()),
            Frame::Error(b"ERR x".to_vec()),
            Frame::Int(-42),
            Frame::NullBulk,
            Frame::NullArray,
            Frame::Null,
            Frame::Bulk(b"a\r\nb".to_vec()),
            Frame::Double(b"-inf".to_vec()),
            Frame::Bool(false),
            Frame::BigNumber(b"123456789012345678901234567890".to_vec()),
            Frame::BlobError(b"SYNTAX x".to_vec()),
            Frame::Verbatim(*b"txt", b"hello".to_vec()),
            Frame::Map(vec![(Frame::Bulk(b"k".to_vec()), Frame::Set(vec![Frame::Int(1)]))]),
            Frame::Push(vec![Frame::Bulk(b"message".to_vec())]),
            Frame::Attribute(vec![]),
        ]);
        let mut buf = Vec::new();
        encode(&f, &mut buf);
        assert_eq!(parse(&buf).unwrap(), Some((f, buf.len())));
        for cut in 0..buf.len() {
            assert_eq!(parse(&buf[..cut]).unwrap(), None, "prefix of {cut} bytes");
        }
    }

    #[test]
    fn hostile_input_is_refused() {
        let deep = "*1\r\n".repeat(FRAME_DEPTH_MAX + 2);
        assert!(parse(deep.as_bytes()).is_err());
        assert!(parse(b"$-5\r\n").is_err());
        assert!(parse(b"?\r\n").is_err());
        assert_eq!(parse(b"*2000000000\r\n:1\r\n").unwrap(), None);
    }
}
