//! A packed sequence of byte strings in one allocation: the small encoding of collections
//! (Redis's listpack). Each element is a varint length then its bytes; the element count is
//! kept beside the buffer. Lookups are linear, which is what makes it small: collections
//! stay packed only below the `*-max-listpack-*` limits, where a scan of a few hundred bytes
//! is cheaper than following pointers.
//!
//! The buffer is a boxed slice of exactly the bytes used: a small hash of five fields costs
//! its bytes plus 20, not a vector's spare capacity. Every change reallocates, as a listpack
//! does; the limits keep that cheap.

/// Bytes a varint takes for `n`.
fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads the varint at `pos`: (value, bytes it took). The buffer is ours, so it is valid.
fn get_varint(buf: &[u8], pos: usize) -> (usize, usize) {
    let (mut n, mut shift, mut i) = (0usize, 0, pos);
    loop {
        let b = buf[i];
        n |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b < 0x80 {
            return (n, i - pos);
        }
        shift += 7;
    }
}

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pack {
    buf: Box<[u8]>,
    len: u32,
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(String::from_utf8_lossy)).finish()
    }
}

impl Pack {
    pub fn new() -> Self {
        Pack::default()
    }

    /// Elements in the pack.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of the buffer (for memory accounting).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter { buf: &self.buf, pos: 0 }
    }

    /// The element at index `i` and the byte range it takes (length prefix included).
    fn locate(&self, i: usize) -> Option<(usize, usize)> {
        let mut pos = 0;
        for _ in 0..i {
            let (n, l) = get_varint(&self.buf, pos);
            pos += l + n;
            if pos >= self.buf.len() {
                return None;
            }
        }
        if pos >= self.buf.len() {
            return None;
        }
        let (n, l) = get_varint(&self.buf, pos);
        Some((pos, pos + l + n))
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let (start, end) = self.locate(i)?;
        let (_, l) = get_varint(&self.buf, start);
        Some(&self.buf[start + l..end])
    }

    /// Rebuilds the buffer with `range` replaced by `with` (already encoded elements).
    fn splice(&mut self, range: std::ops::Range<usize>, with: &[u8]) {
        let mut v = Vec::with_capacity(self.buf.len() - range.len() + with.len());
        v.extend_from_slice(&self.buf[..range.start]);
        v.extend_from_slice(with);
        v.extend_from_slice(&self.buf[range.end..]);
        self.buf = v.into_boxed_slice();
    }

    fn encode(items: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::with_capacity(items.iter().map(|b| varint_len(b.len()) + b.len()).sum());
        for b in items {
            put_varint(&mut v, b.len());
            v.extend_from_slice(b);
        }
        v
    }

    /// Inserts `items` before index `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, items: &[&[u8]]) {
        assert!(i <= self.len(), "insert at {i} past the end of {}", self.len());
        let at = if i == self.len() { self.buf.len() } else { self.locate(i).expect("index checked").0 };
        self.splice(at..at, &Self::encode(items));
        self.len += u32::try_from(items.len()).expect("packs stay small");
    }

    pub fn push(&mut self, items: &[&[u8]]) {
        self.insert(self.len(), items);
    }

    /// Removes `count` elements from index `i`.
    pub fn remove(&mut self, i: usize, count: usize) {
        if count == 0 {
            return;
        }
        let start = self.locate(i).expect("remove inside the pack").0;
        let end = self.locate(i + count - 1).expect("remove inside the pack").1;
        self.splice(start..end, &[]);
        self.len -= u32::try_from(count).expect("packs stay small");
    }

    /// Replaces the element at `i`.
    pub fn set(&mut self, i: usize, item: &[u8]) {
        let (start, end) = self.locate(i).expect("set inside the pack");
        self.splice(start..end, &Self::encode(&[item]));
    }

    /// Encoded size of `items` if pushed (to check limits before converting).
    pub fn encoded_len(items: &[&[u8]]) -> usize {
        items.iter().map(|b| varint_len(b.len()) + b.len()).sum()
    }
}

pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (n, l) = get_varint(self.buf, self.pos);
        let item = &self.buf[self.pos + l..self.pos + l + n];
        self.pos += l + n;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_behaves_like_a_vector_of_strings() {
        let mut model: Vec<Vec<u8>> = Vec::new();
        let mut p = Pack::new();
        let mut x: u64 = 7;
        for step in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let item = vec![b'a' + (x % 26) as u8; (x % 300) as usize];
            match x % 4 {
                0 | 1 => {
                    let i = (x as usize / 7) % (model.len() + 1);
                    p.insert(i, &[&item]);
                    model.insert(i, item);
                }
                2 if !model.is_empty() => {
                    let i = (x as usize / 7) % model.len();
                    let n = 1 + (x as usize / 11) % (model.len() - i).min(3);
                    p.remove(i, n);
                    model.drain(i..i + n);
                }
                _ if !model.is_empty() => {
                    let i = (x as usize / 7) % model.len();
                    p.set(i, &item);
                    model[i] = item;
                }
                _ => {}
            }
            assert_eq!(p.len(), model.len(), "step {step}");
            assert!(p.iter().eq(model.iter().map(Vec::as_slice)), "step {step}");
            if let Some(last) = model.last() {
                assert_eq!(p.get(model.len() - 1), Some(last.as_slice()));
            }
            assert_eq!(p.get(model.len()), None);
            assert_eq!(p.bytes(), Pack::encoded_len(&model.iter().map(Vec::as_slice).collect::<Vec<_>>()));
        }
    }
}
