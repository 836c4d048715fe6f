//! Reply encoding straight into a connection's output buffer, in the shape the client's
//! protocol (RESP2 or RESP3, chosen with HELLO) expects. Handlers write replies through
//! these calls and never see bytes; the RESP2 fallbacks are Redis's (a map is a flat
//! array, a double is a bulk string, a boolean is an integer, null is `$-1` or `*-1`).

use crate::util::num::{fmt_g17, fmt_i64};

/// An output buffer plus the protocol it speaks.
#[derive(Debug, Default)]
pub struct Out {
    pub buf: Vec<u8>,
    pub resp3: bool,
}

impl Out {
    pub fn new(resp3: bool) -> Self {
        Out { buf: Vec::new(), resp3 }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn header(&mut self, tag: u8, n: i64) {
        self.buf.push(tag);
        fmt_i64(n, &mut self.buf);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+text`; the text must not hold CR or LF.
    pub fn simple(&mut self, s: &str) {
        debug_assert!(!s.contains(['\r', '\n']));
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+text` from bytes, with CR/LF replaced by spaces so the framing stays sound.
    pub fn simple_bytes(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend(s.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// `-CODE message`. `msg` holds the code (e.g. "ERR ...", "WRONGTYPE ..."). As Redis does,
    /// CR and LF at either end of the message are trimmed and those inside become spaces, so
    /// an error can never break the framing.
    pub fn error(&mut self, msg: &[u8]) {
        let is_crlf = |b: &u8| *b == b'\r' || *b == b'\n';
        let (code, text) = match msg.iter().position(|&b| b == b' ') {
            Some(i) => (&msg[..=i], &msg[i + 1..]),
            None => (msg, &msg[..0]),
        };
        let start = text.iter().position(|b| !is_crlf(b)).unwrap_or(text.len());
        let end = text.iter().rposition(|b| !is_crlf(b)).map_or(start, |i| i + 1);
        self.buf.push(b'-');
        for part in [code, &text[start..end]] {
            self.buf.extend(part.iter().map(|b| if is_crlf(b) { b' ' } else { *b }));
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    pub fn bulk(&mut self, data: &[u8]) {
        self.header(b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    /// An integer as a bulk string (what GET returns for a value stored as an integer).
    pub fn bulk_i64(&mut self, n: i64) {
        let mut tmp = Vec::with_capacity(20);
        fmt_i64(n, &mut tmp);
        self.bulk(&tmp);
    }

    /// Null bulk reply (`$-1` / `_`).
    pub fn null(&mut self) {
        self.buf.extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// Null array reply (`*-1` / `_`).
    pub fn null_array(&mut self) {
        self.buf.extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    pub fn empty_array(&mut self) {
        self.buf.extend_from_slice(b"*0\r\n");
    }

    /// A map of `n` pairs; RESP2 sees a flat array of 2n elements.
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set of `n` elements; RESP2 sees an array.
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// An out-of-band push of `n` elements; RESP2 sees an array.
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A double as Redis 7.0 prints it (`%.17g`, `inf`, `-inf`).
    pub fn double(&mut self, d: f64) {
        let mut tmp = Vec::with_capacity(32);
        if d.is_infinite() {
            tmp.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
        } else {
            fmt_g17(d, &mut tmp);
        }
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&tmp);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&tmp);
        }
    }

    pub fn bool(&mut self, b: bool) {
        if self.resp3 {
            self.buf.extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(i64::from(b));
        }
    }

    /// Verbatim text (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A big number (`(digits`) in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// Appends already-encoded protocol bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_per_protocol() {
        let mut o2 = Out::new(false);
        let mut o3 = Out::new(true);
        for o in [&mut o2, &mut o3] {
            o.map(1);
            o.bulk(b"k");
            o.double(1.5);
            o.null();
            o.bool(true);
            o.error(b"ERR bad\r\nthing");
        }
        assert_eq!(o2.buf, b"*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n$-1\r\n:1\r\n-ERR bad  thing\r\n");
        assert_eq!(o3.buf, b"%1\r\n$1\r\nk\r\n,1.5\r\n_\r\n#t\r\n-ERR bad  thing\r\n");
        let mut o = Out::new(false);
        o.error(b"ERR Unsupported option x\r\n");
        o.error(b"ERR Unsupported option \r\n");
        assert_eq!(o.buf, b"-ERR Unsupported option x\r\n-ERR Unsupported option \r\n");
    }
}
