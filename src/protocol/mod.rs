//! The wire protocol: request parsing (`request`), reply encoding (`reply`) and a general
//! RESP2/RESP3 frame codec (`frame`) used by tests, tools and anything that must read replies.

pub mod frame;
pub mod fuzz;
pub mod reply;
pub mod request;

pub use reply::Out;
pub use request::{ParseLimits, Parsed, ProtocolError, RequestParser};

/// A borrowed argument vector: the command name is `get(0)`.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    spans: &'a [(usize, usize)],
}

impl<'a> Args<'a> {
    pub fn new(buf: &'a [u8], spans: &'a [(usize, usize)]) -> Self {
        debug_assert!(spans.iter().all(|&(s, e)| s <= e && e <= buf.len()));
        Args { buf, spans }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Argument `i`. Callers index within the arity the dispatcher checked, so an index
    /// past the end is a bug in the handler, not a client error.
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (s, e) = self.spans[i];
        &self.buf[s..e]
    }

    pub fn try_get(&self, i: usize) -> Option<&'a [u8]> {
        self.spans.get(i).map(|&(s, e)| &self.buf[s..e])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + '_ {
        self.spans.iter().map(|&(s, e)| &self.buf[s..e])
    }

    /// Arguments `from..` as a sub-vector (used by commands that wrap others).
    pub fn slice_from(&self, from: usize) -> Args<'a> {
        Args { buf: self.buf, spans: &self.spans[from.min(self.spans.len())..] }
    }

    pub fn to_owned(&self) -> OwnedArgs {
        let mut o = OwnedArgs::with_capacity(self.len(), self.iter().map(<[u8]>::len).sum());
        for a in self.iter() {
            o.push(a);
        }
        o
    }
}

impl std::fmt::Debug for Args<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(String::from_utf8_lossy)).finish()
    }
}

/// An argument vector that owns its bytes (queued MULTI commands, effects, tests).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OwnedArgs {
    buf: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl OwnedArgs {
    pub fn with_capacity(args: usize, bytes: usize) -> Self {
        OwnedArgs { buf: Vec::with_capacity(bytes), spans: Vec::with_capacity(args) }
    }

    pub fn from_slices<T: AsRef<[u8]>>(parts: &[T]) -> Self {
        let mut o = OwnedArgs::default();
        for p in parts {
            o.push(p.as_ref());
        }
        o
    }

    pub fn push(&mut self, arg: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(arg);
        self.spans.push((start, self.buf.len()));
    }

    pub fn as_args(&self) -> Args<'_> {
        Args::new(&self.buf, &self.spans)
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Bytes held, for memory accounting of queued commands.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.spans.capacity() * std::mem::size_of::<(usize, usize)>()
    }
}

impl std::fmt::Debug for OwnedArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_args().fmt(f)
    }
}

/// Encodes an argument vector as a RESP multibulk request (what clients send).
pub fn encode_request<T: AsRef<[u8]>>(args: &[T], out: &mut Vec<u8>) {
    encode_request_iter(args.iter().map(AsRef::as_ref), out);
}

/// `encode_request` over any arguments that know their count (no slice to build first).
pub fn encode_request_iter<'a>(args: impl ExactSizeIterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    out.push(b'*');
    crate::util::num::fmt_i64(args.len() as i64, out);
    out.extend_from_slice(b"\r\n");
    for a in args {
        out.push(b'$');
        crate::util::num::fmt_i64(a.len() as i64, out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}
