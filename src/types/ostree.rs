//! An order-statistic B+tree of `u32` items: the ordered index of big sorted sets. Every
//! inner node keeps, per child, the child's item count (so rank and select are O(log n))
//! and the child's last item (so a search picks a child without descending into it).
//!
//! The tree does not know how items compare: each search takes a predicate `less(item)`
//! that is true for a prefix of the items in order (the caller compares through its own
//! storage, here the sorted set's dictionary). That keeps an item at 4 bytes in a leaf.

const MAX: usize = 64;
/// A node below this many entries is merged with (or topped up from) a sibling.
const MIN: usize = MAX / 4;

#[derive(Clone, Debug)]
enum Node {
    Leaf(Vec<u32>),
    Inner(Box<Inner>),
}

#[derive(Clone, Debug)]
struct Inner {
    kids: Vec<Node>,
    counts: Vec<usize>,
    lasts: Vec<u32>,
}

impl Node {
    fn size(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(n) => n.kids.len(),
        }
    }

    fn count(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(n) => n.counts.iter().sum(),
        }
    }

    fn last(&self) -> u32 {
        match self {
            Node::Leaf(v) => *v.last().expect("nodes are never empty"),
            Node::Inner(n) => *n.lasts.last().expect("nodes are never empty"),
        }
    }

    fn new_leaf(items: &[u32]) -> Node {
        let mut v = Vec::with_capacity(MAX + 1);
        v.extend_from_slice(items);
        Node::Leaf(v)
    }

    /// Splits a node over MAX into two halves; returns the upper half.
    fn split(&mut self) -> Node {
        match self {
            Node::Leaf(v) => {
                let upper = Node::new_leaf(&v[v.len() / 2..]);
                v.truncate(v.len() / 2);
                upper
            }
            Node::Inner(n) => {
                let at = n.kids.len() / 2;
                Node::Inner(Box::new(Inner { kids: n.kids.split_off(at), counts: n.counts.split_off(at), lasts: n.lasts.split_off(at) }))
            }
        }
    }

    /// Moves every entry of `other` (the next sibling) to the end of this node.
    fn absorb(&mut self, other: Node) {
        match (self, other) {
            (Node::Leaf(a), Node::Leaf(b)) => a.extend_from_slice(&b),
            (Node::Inner(a), Node::Inner(b)) => {
                let b = *b;
                a.kids.extend(b.kids);
                a.counts.extend(b.counts);
                a.lasts.extend(b.lasts);
            }
            _ => unreachable!("siblings are at the same depth"),
        }
    }
}

impl Inner {
    /// The child holding rank `r`, and the rank within it.
    fn child_for_rank(&self, mut r: usize) -> (usize, usize) {
        for (i, &c) in self.counts.iter().enumerate() {
            if r < c {
                return (i, r);
            }
            r -= c;
        }
        unreachable!("rank checked against the count")
    }

    /// After child `i` changed: its count and last again, then a split or a merge if its
    /// size left the bounds.
    fn fix_child(&mut self, i: usize) {
        if self.kids[i].size() > MAX {
            let upper = self.kids[i].split();
            self.counts.insert(i + 1, upper.count());
            self.lasts.insert(i + 1, upper.last());
            self.kids.insert(i + 1, upper);
        } else if self.kids[i].size() == 0 {
            self.kids.remove(i);
            self.counts.remove(i);
            self.lasts.remove(i);
            return;
        } else if self.kids[i].size() < MIN && self.kids.len() > 1 {
            let a = if i + 1 < self.kids.len() { i } else { i - 1 };
            let b = self.kids.remove(a + 1);
            self.counts.remove(a + 1);
            self.lasts.remove(a + 1);
            self.kids[a].absorb(b);
            if self.kids[a].size() > MAX {
                let upper = self.kids[a].split();
                self.counts.insert(a + 1, upper.count());
                self.lasts.insert(a + 1, upper.last());
                self.kids.insert(a + 1, upper);
            }
            self.counts[a] = self.kids[a].count();
            self.lasts[a] = self.kids[a].last();
            return;
        }
        self.counts[i] = self.kids[i].count();
        self.lasts[i] = self.kids[i].last();
    }
}

#[derive(Clone, Debug)]
pub struct OsTree {
    root: Node,
    len: usize,
}

impl Default for OsTree {
    fn default() -> Self {
        OsTree { root: Node::Leaf(Vec::new()), len: 0 }
    }
}

impl OsTree {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many items satisfy `less` (which holds for a prefix of the items in order): the
    /// rank of the first item that does not.
    pub fn partition_point(&self, less: impl Fn(u32) -> bool) -> usize {
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Leaf(v) => return rank + v.partition_point(|&x| less(x)),
                Node::Inner(n) => {
                    // Children's lasts are in order: a binary search picks the child (each
                    // `less` may cost the caller a cache miss; the counts are contiguous).
                    let i = n.lasts.partition_point(|&x| less(x));
                    rank += n.counts[..i].iter().sum::<usize>();
                    match n.kids.get(i) {
                        Some(k) => node = k,
                        None => return rank,
                    }
                }
            }
        }
    }

    /// The item at rank `r`.
    pub fn get(&self, mut r: usize) -> Option<u32> {
        if r >= self.len {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(v) => return Some(v[r]),
                Node::Inner(n) => {
                    let (i, rr) = n.child_for_rank(r);
                    r = rr;
                    node = &n.kids[i];
                }
            }
        }
    }

    /// Inserts `item` at rank `r` (the caller found `r` with `partition_point`, so order holds).
    pub fn insert_at(&mut self, r: usize, item: u32) {
        assert!(r <= self.len, "insert at rank {r} past {}", self.len);
        fn go(node: &mut Node, r: usize, item: u32) {
            match node {
                Node::Leaf(v) => v.insert(r, item),
                Node::Inner(n) => {
                    // Past the end goes to the last child.
                    let (i, rr) = if r == n.counts.iter().sum::<usize>() {
                        let i = n.kids.len() - 1;
                        (i, n.counts[i])
                    } else {
                        n.child_for_rank(r)
                    };
                    go(&mut n.kids[i], rr, item);
                    n.fix_child(i);
                }
            }
        }
        go(&mut self.root, r, item);
        self.len += 1;
        if self.root.size() > MAX {
            let upper = self.root.split();
            let lower = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
            self.root = Node::Inner(Box::new(Inner {
                counts: vec![lower.count(), upper.count()],
                lasts: vec![lower.last(), upper.last()],
                kids: vec![lower, upper],
            }));
        }
    }

    /// Removes the item at rank `r` and returns it.
    pub fn remove_at(&mut self, r: usize) -> u32 {
        assert!(r < self.len, "remove at rank {r} past {}", self.len);
        fn go(node: &mut Node, r: usize) -> u32 {
            match node {
                Node::Leaf(v) => v.remove(r),
                Node::Inner(n) => {
                    let (i, rr) = n.child_for_rank(r);
                    let item = go(&mut n.kids[i], rr);
                    n.fix_child(i);
                    item
                }
            }
        }
        let item = go(&mut self.root, r);
        self.len -= 1;
        self.collapse_root();
        item
    }

    fn collapse_root(&mut self) {
        while let Node::Inner(n) = &mut self.root {
            match n.kids.len() {
                0 => self.root = Node::Leaf(Vec::new()),
                1 => self.root = n.kids.pop().expect("one kid"),
                _ => break,
            }
        }
    }

    /// Replaces the item at rank `r` (the same place in the order, under a new number).
    pub fn set_at(&mut self, r: usize, item: u32) {
        fn go(node: &mut Node, r: usize, item: u32) {
            match node {
                Node::Leaf(v) => v[r] = item,
                Node::Inner(n) => {
                    let (i, rr) = n.child_for_rank(r);
                    go(&mut n.kids[i], rr, item);
                    if rr + 1 == n.counts[i] {
                        n.lasts[i] = item;
                    }
                }
            }
        }
        assert!(r < self.len);
        go(&mut self.root, r, item);
    }

    /// Items from rank `r` on, in order.
    pub fn iter_from(&self, r: usize) -> Iter<'_> {
        let mut it = Iter { stack: Vec::new(), leaf: &[], pos: 0 };
        if r >= self.len {
            return it;
        }
        let (mut node, mut r) = (&self.root, r);
        loop {
            match node {
                Node::Leaf(v) => {
                    it.leaf = v;
                    it.pos = r;
                    return it;
                }
                Node::Inner(n) => {
                    let (i, rr) = n.child_for_rank(r);
                    it.stack.push((n, i));
                    node = &n.kids[i];
                    r = rr;
                }
            }
        }
    }

    /// Items from rank `r` down to rank 0, in reverse order.
    pub fn iter_rev_from(&self, r: usize) -> RevIter<'_> {
        let mut it = RevIter { stack: Vec::new(), leaf: &[], pos: 0 };
        if self.len == 0 {
            return it;
        }
        let (mut node, mut r) = (&self.root, r.min(self.len - 1));
        loop {
            match node {
                Node::Leaf(v) => {
                    it.leaf = v;
                    it.pos = r + 1;
                    return it;
                }
                Node::Inner(n) => {
                    let (i, rr) = n.child_for_rank(r);
                    it.stack.push((n, i));
                    node = &n.kids[i];
                    r = rr;
                }
            }
        }
    }

    /// Heap bytes of the nodes, estimated in O(1): leaves are allocated for MAX + 1 items and
    /// run about three quarters full; inner nodes add about 1/48 more.
    pub fn heap_bytes(&self) -> usize {
        self.len * 4 * 4 / 3 * 49 / 48
    }

    /// Heap bytes of the nodes, counted node by node (tests compare the estimate with it).
    pub fn heap_bytes_exact(&self) -> usize {
        fn go(n: &Node) -> usize {
            match n {
                Node::Leaf(v) => v.capacity() * 4,
                Node::Inner(i) => {
                    std::mem::size_of::<Inner>()
                        + i.kids.capacity() * std::mem::size_of::<Node>()
                        + i.counts.capacity() * 8
                        + i.lasts.capacity() * 4
                        + i.kids.iter().map(go).sum::<usize>()
                }
            }
        }
        go(&self.root)
    }

    /// Checks the tree's bookkeeping (tests and debug builds).
    pub fn check(&self) {
        fn go(n: &Node, root: bool) -> usize {
            match n {
                Node::Leaf(v) => {
                    assert!(v.len() <= MAX);
                    v.len()
                }
                Node::Inner(i) => {
                    assert!(i.kids.len() <= MAX && (root || !i.kids.is_empty()));
                    let mut total = 0;
                    for (k, kid) in i.kids.iter().enumerate() {
                        let c = go(kid, false);
                        assert_eq!(c, i.counts[k], "count of kid {k}");
                        assert!(c > 0, "empty kid");
                        assert_eq!(kid.last(), i.lasts[k], "last of kid {k}");
                        total += c;
                    }
                    total
                }
            }
        }
        assert_eq!(go(&self.root, true), self.len);
    }
}

pub struct Iter<'a> {
    stack: Vec<(&'a Inner, usize)>,
    leaf: &'a [u32],
    pos: usize,
}

impl Iterator for Iter<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.pos < self.leaf.len() {
            self.pos += 1;
            return Some(self.leaf[self.pos - 1]);
        }
        // Up to the nearest ancestor with a next child, then down its leftmost path.
        loop {
            let (n, i) = self.stack.pop()?;
            if i + 1 < n.kids.len() {
                self.stack.push((n, i + 1));
                let mut node = &n.kids[i + 1];
                loop {
                    match node {
                        Node::Leaf(v) => {
                            self.leaf = v;
                            self.pos = 1;
                            return v.first().copied();
                        }
                        Node::Inner(m) => {
                            self.stack.push((m, 0));
                            node = &m.kids[0];
                        }
                    }
                }
            }
        }
    }
}

pub struct RevIter<'a> {
    stack: Vec<(&'a Inner, usize)>,
    leaf: &'a [u32],
    /// One past the next item to return.
    pos: usize,
}

impl Iterator for RevIter<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.pos > 0 {
            self.pos -= 1;
            return Some(self.leaf[self.pos]);
        }
        loop {
            let (n, i) = self.stack.pop()?;
            if i > 0 {
                self.stack.push((n, i - 1));
                let mut node = &n.kids[i - 1];
                loop {
                    match node {
                        Node::Leaf(v) => {
                            self.leaf = v;
                            self.pos = v.len() - 1;
                            return v.last().copied();
                        }
                        Node::Inner(m) => {
                            let last = m.kids.len() - 1;
                            self.stack.push((m, last));
                            node = &m.kids[last];
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items are their own keys here: a sorted multiset of u32 against a sorted vector.
    #[test]
    fn the_tree_keeps_order_ranks_and_counts() {
        let mut t = OsTree::default();
        let mut model: Vec<u32> = Vec::new();
        let mut x: u64 = 11;
        for step in 0..60_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = (x % 5000) as u32;
            // Insert-heavy first, then remove-heavy, so the tree grows deep and shrinks back.
            let insert = if step < 30_000 { x % 4 != 0 } else { x % 4 == 0 };
            if insert || model.is_empty() {
                let r = t.partition_point(|a| a < v);
                assert_eq!(r, model.partition_point(|&a| a < v));
                t.insert_at(r, v);
                model.insert(r, v);
            } else {
                let r = (x as usize / 3) % model.len();
                assert_eq!(t.remove_at(r), model.remove(r), "step {step}");
            }
            if step % 1000 == 0 {
                t.check();
                let r = (x as usize / 5) % (model.len() + 1);
                assert!(t.iter_from(r).eq(model[r..].iter().copied()), "step {step}");
                if !model.is_empty() {
                    let r = r.min(model.len() - 1);
                    assert!(t.iter_rev_from(r).eq(model[..=r].iter().rev().copied()), "step {step}");
                }
            }
            assert_eq!(t.len(), model.len());
            if !model.is_empty() {
                let r = (x as usize / 7) % model.len();
                assert_eq!(t.get(r), Some(model[r]));
            }
        }
        t.check();
        while !model.is_empty() {
            assert_eq!(t.remove_at(0), model.remove(0));
        }
        t.check();
        assert!(t.is_empty() && t.iter_from(0).next().is_none() && t.iter_rev_from(0).next().is_none());
    }

    #[test]
    fn the_memory_estimate_is_near_the_count() {
        let mut t = OsTree::default();
        let mut x: u64 = 1;
        for i in 0..200_000u32 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = (x >> 33) as usize % (i as usize + 1);
            t.insert_at(r, i);
        }
        let (est, exact) = (t.heap_bytes() as f64, t.heap_bytes_exact() as f64);
        assert!((est / exact - 1.0).abs() < 0.35, "estimate {est} against {exact}");
    }

    #[test]
    fn set_at_renumbers_in_place() {
        let mut t = OsTree::default();
        for i in 0..1000 {
            t.insert_at(i as usize, i * 2);
        }
        for r in [0, 63, 64, 500, 999] {
            t.set_at(r, r as u32 * 2 + 1);
        }
        t.check();
        assert_eq!(t.get(999), Some(1999));
        assert_eq!(t.partition_point(|a| a < 1999), 999);
    }
}
