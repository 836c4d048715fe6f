//! The list type: a deque of chunks, each a packed run of elements (Redis's quicklist of
//! listpacks). An element is its length as a varint, its bytes, and its length again as a
//! reversed varint, so a chunk can be walked from either end: pops at both ends touch only
//! the end chunks, and an index costs a walk over chunk counts plus one chunk.
//!
//! Chunks hold up to `CHUNK_BYTES` (a single longer element gets a chunk to itself). That is
//! a quarter of Redis's default 8 KB node: a push at the head moves at most this many
//! bytes, and the per-chunk overhead (32 bytes) stays under 2% of it. A chunk that stops
//! being an end chunk is shrunk to its exact size, so only the two end chunks carry spare
//! capacity. OBJECT ENCODING reports "quicklist" whatever the size, as Redis 7.0 does.

use std::collections::VecDeque;

pub const CHUNK_BYTES: usize = 2048;

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Bytes one element takes in a chunk.
fn encoded_len(item: &[u8]) -> usize {
    2 * varint_len(item.len()) + item.len()
}

fn encode(item: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let mut n = item.len();
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    let head = out.len() - start;
    out.extend_from_slice(item);
    // The same varint bytes in reverse order, read backwards from the element's end.
    for i in (0..head).rev() {
        out.push(out[start + i]);
    }
}

/// The varint at `pos`: (value, bytes it took).
fn read_fwd(buf: &[u8], pos: usize) -> (usize, usize) {
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

/// The reversed varint ending just before `end`: (value, bytes it took).
fn read_back(buf: &[u8], end: usize) -> (usize, usize) {
    let (mut n, mut shift, mut i) = (0usize, 0, end);
    loop {
        i -= 1;
        let b = buf[i];
        n |= usize::from(b & 0x7f) << shift;
        if b < 0x80 {
            return (n, end - i);
        }
        shift += 7;
    }
}

#[derive(Clone, Default, PartialEq, Eq, Debug)]
struct Chunk {
    buf: Vec<u8>,
    len: u32,
}

impl Chunk {
    fn len(&self) -> usize {
        self.len as usize
    }

    /// Byte range of the element starting at `pos`, and the range of its bytes.
    fn element_at(&self, pos: usize) -> (usize, std::ops::Range<usize>) {
        let (n, l) = read_fwd(&self.buf, pos);
        let end = pos + l + n + l;
        (end, pos + l..pos + l + n)
    }

    /// Start offset of the element ending at `end`, and the range of its bytes.
    fn element_before(&self, end: usize) -> (usize, std::ops::Range<usize>) {
        let (n, l) = read_back(&self.buf, end);
        let start = end - l - n - l;
        (start, start + l..start + l + n)
    }

    /// Byte range of element `i`, walking from the nearer end.
    fn locate(&self, i: usize) -> std::ops::Range<usize> {
        debug_assert!(i < self.len());
        if i <= self.len() / 2 {
            let mut pos = 0;
            for _ in 0..i {
                pos = self.element_at(pos).0;
            }
            pos..self.element_at(pos).0
        } else {
            let mut end = self.buf.len();
            for _ in 0..self.len() - 1 - i {
                end = self.element_before(end).0;
            }
            self.element_before(end).0..end
        }
    }

    fn get(&self, i: usize) -> &[u8] {
        let r = self.locate(i);
        &self.buf[self.element_at(r.start).1]
    }

    fn insert(&mut self, i: usize, item: &[u8]) {
        let at = if i == self.len() { self.buf.len() } else { self.locate(i).start };
        let mut enc = Vec::with_capacity(encoded_len(item));
        encode(item, &mut enc);
        self.buf.splice(at..at, enc);
        self.len += 1;
    }

    fn push_back(&mut self, item: &[u8]) {
        encode(item, &mut self.buf);
        self.len += 1;
    }

    fn set(&mut self, i: usize, item: &[u8]) {
        let r = self.locate(i);
        let mut enc = Vec::with_capacity(encoded_len(item));
        encode(item, &mut enc);
        self.buf.splice(r, enc);
    }

    fn remove(&mut self, i: usize) -> Vec<u8> {
        let r = self.locate(i);
        let item = self.buf[self.element_at(r.start).1].to_vec();
        self.buf.drain(r);
        self.len -= 1;
        item
    }

    fn pop_back(&mut self) -> Vec<u8> {
        let (start, bytes) = self.element_before(self.buf.len());
        let item = self.buf[bytes].to_vec();
        self.buf.truncate(start);
        self.len -= 1;
        item
    }

    /// Removes the first `n` elements.
    fn drop_front(&mut self, n: usize) {
        let mut pos = 0;
        for _ in 0..n {
            pos = self.element_at(pos).0;
        }
        self.buf.drain(..pos);
        self.len -= n as u32;
    }

    /// Removes the last `n` elements.
    fn drop_back(&mut self, n: usize) {
        let mut end = self.buf.len();
        for _ in 0..n {
            end = self.element_before(end).0;
        }
        self.buf.truncate(end);
        self.len -= n as u32;
    }

    /// Splits off the elements from `i` on into a new chunk.
    fn split_off(&mut self, i: usize) -> Chunk {
        let at = self.locate(i).start;
        let tail = Chunk { buf: self.buf[at..].to_vec(), len: (self.len() - i) as u32 };
        self.buf.truncate(at);
        self.buf.shrink_to_fit();
        self.len = i as u32;
        tail
    }

    fn iter(&self) -> ChunkIter<'_> {
        ChunkIter { chunk: self, front: 0, back: self.buf.len() }
    }
}

struct ChunkIter<'a> {
    chunk: &'a Chunk,
    front: usize,
    back: usize,
}

impl<'a> Iterator for ChunkIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let (end, r) = self.chunk.element_at(self.front);
        self.front = end;
        Some(&self.chunk.buf[r])
    }
}

impl DoubleEndedIterator for ChunkIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let (start, r) = self.chunk.element_before(self.back);
        self.back = start;
        Some(&self.chunk.buf[r])
    }
}

#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct List {
    chunks: VecDeque<Chunk>,
    len: usize,
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl List {
    pub fn new() -> Self {
        List { chunks: VecDeque::with_capacity(1), len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn fits(c: &Chunk, item: &[u8]) -> bool {
        c.len == 0 || c.buf.len() + encoded_len(item) <= CHUNK_BYTES
    }

    pub fn push(&mut self, end: End, item: &[u8]) {
        match end {
            End::Head => match self.chunks.front_mut() {
                Some(c) if Self::fits(c, item) => c.insert(0, item),
                _ => {
                    if let Some(c) = self.chunks.front_mut() {
                        c.buf.shrink_to_fit();
                    }
                    let mut c = Chunk::default();
                    c.push_back(item);
                    self.chunks.push_front(c);
                }
            },
            End::Tail => match self.chunks.back_mut() {
                Some(c) if Self::fits(c, item) => c.push_back(item),
                _ => {
                    if let Some(c) = self.chunks.back_mut() {
                        c.buf.shrink_to_fit();
                    }
                    let mut c = Chunk::default();
                    c.push_back(item);
                    self.chunks.push_back(c);
                }
            },
        }
        self.len += 1;
    }

    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let item = match end {
            End::Head => {
                let c = self.chunks.front_mut()?;
                let item = c.remove(0);
                if c.len == 0 {
                    self.chunks.pop_front();
                }
                item
            }
            End::Tail => {
                let c = self.chunks.back_mut()?;
                let item = c.pop_back();
                if c.len == 0 {
                    self.chunks.pop_back();
                }
                item
            }
        };
        self.len -= 1;
        Some(item)
    }

    /// The chunk holding element `i` and the index within it.
    fn find(&self, i: usize) -> (usize, usize) {
        debug_assert!(i < self.len);
        if i < self.len / 2 {
            let mut i = i;
            for (ci, c) in self.chunks.iter().enumerate() {
                if i < c.len() {
                    return (ci, i);
                }
                i -= c.len();
            }
        } else {
            let mut back = self.len - 1 - i;
            for (ci, c) in self.chunks.iter().enumerate().rev() {
                if back < c.len() {
                    return (ci, c.len() - 1 - back);
                }
                back -= c.len();
            }
        }
        unreachable!("index {i} checked against the length")
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let (ci, j) = self.find(i);
        Some(self.chunks[ci].get(j))
    }

    pub fn set(&mut self, i: usize, item: &[u8]) {
        let (ci, j) = self.find(i);
        self.chunks[ci].set(j, item);
        self.split_if_big(ci);
    }

    /// Inserts `item` before index `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, item: &[u8]) {
        if i == self.len {
            return self.push(End::Tail, item);
        }
        let (ci, j) = self.find(i);
        self.chunks[ci].insert(j, item);
        self.len += 1;
        self.split_if_big(ci);
    }

    /// A chunk grown past twice the limit by inserts in the middle is cut in two.
    fn split_if_big(&mut self, ci: usize) {
        let c = &mut self.chunks[ci];
        if c.buf.len() > 2 * CHUNK_BYTES && c.len() > 1 {
            let tail = c.split_off(c.len() / 2);
            self.chunks.insert(ci + 1, tail);
        }
    }

    pub fn remove(&mut self, i: usize) -> Vec<u8> {
        let (ci, j) = self.find(i);
        let item = self.chunks[ci].remove(j);
        if self.chunks[ci].len == 0 {
            self.chunks.remove(ci);
        }
        self.len -= 1;
        item
    }

    /// Keeps elements `start..end` (LTRIM), dropping whole chunks where it can.
    pub fn trim(&mut self, start: usize, end: usize) {
        debug_assert!(start <= end && end <= self.len);
        let mut front = start;
        while let Some(c) = self.chunks.front_mut() {
            if front == 0 {
                break;
            }
            if front >= c.len() {
                front -= c.len();
                self.chunks.pop_front();
            } else {
                c.drop_front(front);
                front = 0;
            }
        }
        let mut back = self.len - end;
        while let Some(c) = self.chunks.back_mut() {
            if back == 0 {
                break;
            }
            if back >= c.len() {
                back -= c.len();
                self.chunks.pop_back();
            } else {
                c.drop_back(back);
                back = 0;
            }
        }
        self.len = end - start;
        debug_assert_eq!(self.len, self.chunks.iter().map(Chunk::len).sum::<usize>());
    }

    /// Elements front to back (or back to front with `.rev()`).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.chunks.iter().flat_map(Chunk::iter)
    }

    /// Elements from index `i` on.
    pub fn iter_from(&self, i: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (ci, j) = if i < self.len { self.find(i) } else { (self.chunks.len(), 0) };
        self.chunks.range(ci..).enumerate().flat_map(move |(k, c)| c.iter().skip(if k == 0 { j } else { 0 }))
    }

    /// A list of `items`, packed tightly (snapshot load, RESTORE, stores).
    pub fn from_items<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut l = List::new();
        for it in items {
            l.push(End::Tail, it);
        }
        if let Some(c) = l.chunks.back_mut() {
            c.buf.shrink_to_fit();
        }
        l
    }

    /// Heap bytes, approximately as the allocator sees them.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<List>()
            + self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self.chunks.iter().map(|c| c.buf.capacity()).sum::<usize>()
    }

    /// Chunks, for tests of the layout.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_behaves_like_a_deque_of_strings() {
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let mut l = List::new();
        let mut x: u64 = 99;
        for step in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = if x % 50 == 0 { 3000 } else { (x % 200) as usize };
            let item = vec![b'a' + (x % 26) as u8; n];
            match x % 9 {
                0 | 1 => {
                    l.push(End::Head, &item);
                    model.push_front(item);
                }
                2 | 3 => {
                    l.push(End::Tail, &item);
                    model.push_back(item);
                }
                4 => assert_eq!(l.pop(End::Head), model.pop_front(), "step {step}"),
                5 => assert_eq!(l.pop(End::Tail), model.pop_back(), "step {step}"),
                6 => {
                    let i = (x as usize / 7) % (model.len() + 1);
                    l.insert(i, &item);
                    model.insert(i, item);
                }
                7 if !model.is_empty() => {
                    let i = (x as usize / 7) % model.len();
                    if x % 2 == 0 {
                        l.set(i, &item);
                        model[i] = item;
                    } else {
                        assert_eq!(l.remove(i), model.remove(i).unwrap());
                    }
                }
                8 if model.len() > 10 && x % 5 == 0 => {
                    let s = (x as usize / 3) % 5;
                    let e = model.len() - (x as usize / 11) % 5;
                    l.trim(s, e);
                    model = model.range(s..e).cloned().collect();
                }
                _ => {}
            }
            assert_eq!(l.len(), model.len(), "step {step}");
            if step % 97 == 0 {
                assert!(l.iter().eq(model.iter().map(Vec::as_slice)), "step {step}");
                assert!(l.iter().rev().eq(model.iter().rev().map(Vec::as_slice)), "step {step}");
                let i = (x as usize) % (model.len() + 1);
                assert!(l.iter_from(i).eq(model.range(i..).map(Vec::as_slice)), "step {step}");
            }
            if !model.is_empty() {
                let i = (x as usize / 13) % model.len();
                assert_eq!(l.get(i), Some(model[i].as_slice()), "step {step}");
            }
            assert_eq!(l.get(model.len()), None);
        }
    }

    #[test]
    fn chunks_fill_to_the_limit_and_long_lengths_round_trip() {
        let l = List::from_items((0..10_000).map(|_| &b"abcd"[..]));
        // 6 bytes an element: about 341 to a chunk.
        assert_eq!(l.chunk_count(), 10_000usize.div_ceil(CHUNK_BYTES / 6));
        let big = vec![b'x'; 300_000];
        let mut l = List::new();
        l.push(End::Tail, b"a");
        l.push(End::Tail, &big);
        l.push(End::Head, &big);
        assert_eq!(l.chunk_count(), 3);
        assert_eq!(l.pop(End::Tail).as_deref(), Some(&big[..]));
        assert!(l.iter().rev().eq([&b"a"[..], &big[..]]));
    }
}
