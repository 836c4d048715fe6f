//! A packed sequence of byte strings in one allocation: the small encoding of collections
//! (Redis's listpack). The buffer starts with the element count as a varint; each element is
//! a varint length then its bytes. Lookups are linear, which is what makes it small:
//! collections stay packed only below the `*-max-listpack-*` limits, where a scan of a few
//! hundred bytes is cheaper than following pointers.
//!
//! A pack is one boxed slice of exactly the bytes used, 16 bytes in its owner (an empty pack
//! allocates nothing): a small hash of five fields costs its bytes plus 16, not a vector's
//! spare capacity. Every change reallocates, as a listpack does; the limits keep that cheap.

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
    /// The count (a varint), then the elements; empty for an empty pack.
    buf: Box<[u8]>,
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

    /// The count and the offset where the elements start.
    fn header(&self) -> (usize, usize) {
        if self.buf.is_empty() {
            (0, 0)
        } else {
            get_varint(&self.buf, 0)
        }
    }

    /// Elements in the pack.
    pub fn len(&self) -> usize {
        self.header().0
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes of the buffer (for memory accounting).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter { buf: &self.buf, pos: self.header().1 }
    }

    /// The element at index `i` and the byte range it takes (length prefix included).
    fn locate(&self, i: usize) -> Option<(usize, usize)> {
        let (count, mut pos) = self.header();
        if i >= count {
            return None;
        }
        for _ in 0..i {
            let (n, l) = get_varint(&self.buf, pos);
            pos += l + n;
        }
        let (n, l) = get_varint(&self.buf, pos);
        Some((pos, pos + l + n))
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let (start, end) = self.locate(i)?;
        let (_, l) = get_varint(&self.buf, start);
        Some(&self.buf[start + l..end])
    }

    /// Rebuilds the buffer with the elements' byte `range` replaced by `with` (already
    /// encoded elements) and the count set to `count`.
    fn rebuild(&mut self, range: std::ops::Range<usize>, with: &[u8], count: usize) {
        if count == 0 {
            self.buf = Box::default();
            return;
        }
        let body = self.header().1;
        let mut v = Vec::with_capacity(varint_len(count) + self.buf.len() - body - range.len() + with.len());
        put_varint(&mut v, count);
        v.extend_from_slice(&self.buf[body..range.start]);
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
        let (count, body) = self.header();
        assert!(i <= count, "insert at {i} past the end of {count}");
        let at = if i == count { self.buf.len().max(body) } else { self.locate(i).expect("index checked").0 };
        self.rebuild(at..at, &Self::encode(items), count + items.len());
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
        let left = self.len() - count;
        self.rebuild(start..end, &[], left);
    }

    /// Replaces the element at `i`.
    pub fn set(&mut self, i: usize, item: &[u8]) {
        let (start, end) = self.locate(i).expect("set inside the pack");
        let count = self.len();
        self.rebuild(start..end, &Self::encode(&[item]), count);
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
            let body = Pack::encoded_len(&model.iter().map(Vec::as_slice).collect::<Vec<_>>());
            assert_eq!(p.bytes(), if model.is_empty() { 0 } else { varint_len(model.len()) + body });
        }
    }
}
