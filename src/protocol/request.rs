//! Incremental, bounded parser for client requests: RESP multibulk (`*N\r\n$L\r\n...`) and
//! inline commands (`SET a b\n`), with Redis's exact protocol errors.
//!
//! The parser is resumable: state survives between reads, so a command split across any
//! number of TCP reads is parsed once, never from the start again. Offsets are relative to
//! the start of the current command, which the connection keeps in place until the command
//! completes. Nothing is allocated from a length the client announces: argv grows as
//! arguments arrive, and the caller bounds the buffer itself (`client-query-buffer-limit`).

use crate::limits;
use crate::protocol::Args;

/// A framing violation. The connection answers `-ERR Protocol error: ...` and closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(msg: &str) -> Self {
        ProtocolError(format!("Protocol error: {msg}"))
    }
}

/// Limits that depend on configuration and on the client's authentication state.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    pub bulk_len_bytes_max: u64,
    pub authenticated: bool,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits { bulk_len_bytes_max: limits::PROTO_MAX_BULK_LEN_DEFAULT_BYTES, authenticated: true }
    }
}

/// What one call to [`RequestParser::parse`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command of this many bytes; its arguments are in [`RequestParser::args`].
    Command(usize),
    /// This many bytes held no command (an empty line, `*0`, `*-1`): drop them and go on.
    Skip(usize),
    /// More bytes are needed.
    Incomplete,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Start,
    /// Inside a multibulk: `pos` is where the next `$` header is expected.
    Multibulk { remaining: usize, pos: usize },
}

/// Reusable parser; one per connection.
#[derive(Debug, Default)]
pub struct RequestParser {
    state: State,
    spans: Vec<(usize, usize)>,
    /// Unescaped inline arguments (quotes make them differ from the raw bytes).
    inline: Vec<u8>,
    is_inline: bool,
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// True while a command has been partly received.
    pub fn in_progress(&self) -> bool {
        matches!(self.state, State::Multibulk { .. })
    }

    /// Parses at most one command from `buf`, which starts at the current command's first
    /// byte (the same start on every call until a `Command` or `Skip` is returned).
    pub fn parse(&mut self, buf: &[u8], lim: ParseLimits) -> Result<Parsed, ProtocolError> {
        if let State::Start = self.state {
            let Some(&first) = buf.first() else { return Ok(Parsed::Incomplete) };
            self.spans.clear();
            self.is_inline = first != b'*';
            if self.is_inline {
                return self.parse_inline(buf);
            }
            match self.parse_count(buf, lim)? {
                None => return Ok(Parsed::Incomplete),
                Some((count, pos)) if count <= 0 => {
                    debug_assert!(pos <= buf.len());
                    return Ok(Parsed::Skip(pos));
                }
                Some((count, pos)) => {
                    let count = usize::try_from(count).map_err(|_| ProtocolError::new("invalid multibulk length"))?;
                    self.spans.reserve(count.min(limits::ARGV_PREALLOC_MAX));
                    self.state = State::Multibulk { remaining: count, pos };
                }
            }
        }
        self.parse_bulks(buf, lim)
    }

    /// Arguments of the command most recently returned as `Parsed::Command`.
    pub fn args<'a>(&'a self, buf: &'a [u8]) -> Args<'a> {
        let base = if self.is_inline { &self.inline[..] } else { buf };
        Args::new(base, &self.spans)
    }

    fn parse_count(&self, buf: &[u8], lim: ParseLimits) -> Result<Option<(i64, usize)>, ProtocolError> {
        let Some(cr) = line_end(b'\r', buf) else {
            if buf.len() > limits::INLINE_LINE_BYTES_MAX {
                return Err(ProtocolError::new("too big mbulk count string"));
            }
            return Ok(None);
        };
        // Like Redis, the byte after '\r' must have arrived but is not checked.
        if cr + 2 > buf.len() {
            return Ok(None);
        }
        let count = match crate::util::num::parse_i64(&buf[1..cr]) {
            Some(n) if n <= i64::from(i32::MAX) => n,
            _ => return Err(ProtocolError::new("invalid multibulk length")),
        };
        if count > limits::UNAUTH_MULTIBULK_ARGS_MAX as i64 && !lim.authenticated {
            return Err(ProtocolError::new("unauthenticated multibulk length"));
        }
        Ok(Some((count, cr + 2)))
    }

    fn parse_bulks(&mut self, buf: &[u8], lim: ParseLimits) -> Result<Parsed, ProtocolError> {
        let State::Multibulk { mut remaining, mut pos } = self.state else { unreachable!("parse_bulks outside a multibulk") };
        while remaining > 0 {
            let Some(step) = Self::parse_one_bulk(&buf[pos..], lim)? else {
                self.state = State::Multibulk { remaining, pos };
                return Ok(Parsed::Incomplete);
            };
            let (data_off, len, next) = step;
            self.spans.push((pos + data_off, pos + data_off + len));
            pos += next;
            remaining -= 1;
        }
        self.state = State::Start;
        debug_assert!(pos <= buf.len());
        Ok(Parsed::Command(pos))
    }

    /// One `$len\r\n<data>\r\n`: returns (data offset, data length, bytes consumed).
    fn parse_one_bulk(buf: &[u8], lim: ParseLimits) -> Result<Option<(usize, usize, usize)>, ProtocolError> {
        let Some(&first) = buf.first() else { return Ok(None) };
        if first != b'$' {
            return Err(ProtocolError(format!("Protocol error: expected '$', got '{}'", first as char)));
        }
        let Some(cr) = line_end(b'\r', buf) else {
            if buf.len() > limits::INLINE_LINE_BYTES_MAX {
                return Err(ProtocolError::new("too big bulk count string"));
            }
            return Ok(None);
        };
        if cr + 2 > buf.len() {
            return Ok(None);
        }
        let len = match crate::util::num::parse_i64(&buf[1..cr]) {
            Some(n) if n >= 0 && n.unsigned_abs() <= lim.bulk_len_bytes_max => n.unsigned_abs(),
            _ => return Err(ProtocolError::new("invalid bulk length")),
        };
        if len > limits::UNAUTH_BULK_LEN_BYTES_MAX && !lim.authenticated {
            return Err(ProtocolError::new("unauthenticated bulk length"));
        }
        let len = usize::try_from(len).map_err(|_| ProtocolError::new("invalid bulk length"))?;
        let data_off = cr + 2;
        // The two bytes after the data are skipped unchecked, as Redis does.
        let end = data_off + len + 2;
        if end > buf.len() {
            return Ok(None);
        }
        Ok(Some((data_off, len, end)))
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Result<Parsed, ProtocolError> {
        let Some(nl) = line_end(b'\n', buf) else {
            if buf.len() > limits::INLINE_LINE_BYTES_MAX {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(Parsed::Incomplete);
        };
        let mut line = &buf[..nl];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        self.inline.clear();
        if !split_args(line, &mut self.inline, &mut self.spans) {
            return Err(ProtocolError::new("unbalanced quotes in request"));
        }
        if self.spans.is_empty() {
            return Ok(Parsed::Skip(nl + 1));
        }
        Ok(Parsed::Command(nl + 1))
    }
}

/// Position of the line terminator `end`, as Redis finds it with `strchr` on its query buffer:
/// a NUL byte before the terminator hides it, so the line stays incomplete (until the
/// inline-size limit turns that into a protocol error).
fn line_end(end: u8, buf: &[u8]) -> Option<usize> {
    match memchr::memchr2(end, 0, buf) {
        Some(i) if buf[i] == end => Some(i),
        _ => None,
    }
}

/// Splits an inline line into arguments with redis-cli's quoting rules: "double quotes" with
/// `\n \r \t \b \a \\ \" \xHH` escapes, 'single quotes' with only `\'`, and a closing quote
/// that must be followed by a space or the end. Returns false on unbalanced quotes.
pub fn split_args(line: &[u8], out: &mut Vec<u8>, spans: &mut Vec<(usize, usize)>) -> bool {
    // Redis splits a C string: a NUL byte ends the line.
    let line = memchr::memchr(0, line).map_or(line, |nul| &line[..nul]);
    let mut i = 0;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return true;
        }
        let start = out.len();
        match split_one(&line[i..], out) {
            Some(used) => i += used,
            None => return false,
        }
        spans.push((start, out.len()));
    }
}

/// C `isspace`: separates arguments and must follow a closing quote.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c)
}

/// What ends an unquoted argument (a narrower set than `isspace`, as in Redis).
fn ends_bare_arg(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Reads one argument from the start of `s` into `out`; returns bytes consumed.
fn split_one(s: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let mut i = 0;
    let mut quote: Option<u8> = None;
    loop {
        let Some(&c) = s.get(i) else {
            return if quote.is_some() { None } else { Some(i) };
        };
        match quote {
            None if ends_bare_arg(c) => return Some(i),
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None => out.push(c),
            Some(q) if c == q => {
                // A closing quote must end the argument.
                if s.get(i + 1).is_some_and(|&n| !is_space(n)) {
                    return None;
                }
                return Some(i + 1);
            }
            Some(b'"') if c == b'\\' => {
                i += unescape_double(&s[i..], out);
                continue;
            }
            Some(_) if c == b'\\' && s.get(i + 1) == Some(&b'\'') => {
                out.push(b'\'');
                i += 2;
                continue;
            }
            Some(_) => out.push(c),
        }
        i += 1;
    }
}

/// `s` starts at a backslash inside double quotes; pushes the unescaped byte and returns
/// how many input bytes it used.
fn unescape_double(s: &[u8], out: &mut Vec<u8>) -> usize {
    if let [b'\\', b'x', h, l, ..] = *s {
        if let (Some(h), Some(l)) = (hex_val(h), hex_val(l)) {
            out.push(h * 16 + l);
            return 4;
        }
    }
    match s.get(1) {
        Some(&c) => {
            out.push(match c {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 8,
                b'a' => 7,
                other => other,
            });
            2
        }
        None => {
            out.push(b'\\');
            1
        }
    }
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut p = RequestParser::new();
        let mut out = Vec::new();
        let mut start = 0;
        loop {
            match p.parse(&input[start..], ParseLimits::default())? {
                Parsed::Incomplete => return Ok(out),
                Parsed::Skip(n) => start += n,
                Parsed::Command(n) => {
                    out.push(p.args(&input[start..]).iter().map(<[u8]>::to_vec).collect());
                    start += n;
                }
            }
        }
    }

    #[test]
    fn multibulk_and_inline() {
        let got = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\nSET k \"v\\x41\\n\" 'it\\'s'\r\n").unwrap();
        assert_eq!(
            got,
            vec![vec![b"GET".to_vec(), b"a".to_vec()], vec![b"SET".to_vec(), b"k".to_vec(), b"vA\n".to_vec(), b"it's".to_vec()]]
        );
    }

    #[test]
    fn split_at_every_byte_gives_same_commands() {
        let input = b"*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$5\r\nworld\r\nPING\r\n*1\r\n$4\r\nPING\r\n";
        let whole = parse_all(input).unwrap();
        assert_eq!(whole.len(), 3);
        // Feed growing prefixes to one parser, as a connection does.
        let mut p = RequestParser::new();
        let (mut start, mut got) = (0, Vec::new());
        for end in 1..=input.len() {
            loop {
                match p.parse(&input[start..end], ParseLimits::default()).unwrap() {
                    Parsed::Incomplete => break,
                    Parsed::Skip(n) => start += n,
                    Parsed::Command(n) => {
                        got.push(p.args(&input[start..end]).iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
                        start += n;
                    }
                }
            }
        }
        assert_eq!(got, whole);
    }

    #[test]
    fn errors_match_redis() {
        let err = |b: &[u8]| parse_all(b).unwrap_err().0;
        assert_eq!(err(b"*abc\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(err(b"*3000000000\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(err(b"*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(err(b"*1\r\n$600000000\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(err(b"*2\r\n$3\r\nGET\r\n*1\r\n"), "Protocol error: expected '$', got '*'");
        assert_eq!(err(b"SET a \"b\r\n"), "Protocol error: unbalanced quotes in request");
        assert_eq!(err(b"SET a \"b\"c\r\n"), "Protocol error: unbalanced quotes in request");
        assert_eq!(err(&vec![b'a'; limits::INLINE_LINE_BYTES_MAX + 1]), "Protocol error: too big inline request");
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; limits::INLINE_LINE_BYTES_MAX + 1]);
        assert_eq!(err(&big), "Protocol error: too big mbulk count string");
    }

    #[test]
    fn empty_and_negative_counts_are_skipped() {
        assert_eq!(parse_all(b"*0\r\n*-3\r\n\r\n  \r\nPING\r\n").unwrap(), vec![vec![b"PING".to_vec()]]);
    }

    #[test]
    fn unauthenticated_limits() {
        let lim = ParseLimits { authenticated: false, ..ParseLimits::default() };
        let mut p = RequestParser::new();
        assert_eq!(p.parse(b"*11\r\n", lim).unwrap_err().0, "Protocol error: unauthenticated multibulk length");
        let mut p = RequestParser::new();
        assert_eq!(p.parse(b"*1\r\n$16385\r\n", lim).unwrap_err().0, "Protocol error: unauthenticated bulk length");
    }
}
