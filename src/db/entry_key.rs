//! The key slot of a keyspace entry, and its expiry: 16 bytes. A key of up to 14 bytes
//! without an expiry lives inline; otherwise the slot holds a thin pointer to one exact-size
//! heap block (the key, or the expiry then the key) and the length.
//!
//! Why the expiry is here: most keys have none, so a field for it in every entry is 8 bytes
//! most entries never use, and it is what pushes an entry past jemalloc's 48-byte class. A
//! volatile key instead carries it in its key block (8 more bytes there), which the lookup
//! that found the entry has just read anyway.
//!
//! Why `unsafe`: a `Box<[u8]>` is itself 16 bytes (pointer and length), so an enum of it and
//! an inline buffer needs 24. Splitting the box into a thin pointer and a u32 length
//! (`Box::into_raw`, rebuilt by `Box::from_raw` in `drop`) keeps the slot at 16. The pointer is
//! owned exactly as the box was: nothing else aliases it, and it is freed once, in `drop`.
#![allow(unsafe_code)]

use std::ptr::NonNull;

/// Key bytes kept inline (a key without expiry).
pub const ENTRY_KEY_INLINE_MAX: usize = 14;

/// Bytes of the expiry at the start of a `Timed` block.
const EXPIRE_BYTES: usize = 8;

pub enum EntryKey {
    Inline {
        len: u8,
        buf: [u8; ENTRY_KEY_INLINE_MAX],
    },
    /// A `Box<[u8]>` of the key's `len` bytes, taken apart.
    Heap {
        len: u32,
        ptr: NonNull<u8>,
    },
    /// A `Box<[u8]>` of `EXPIRE_BYTES + len` bytes, taken apart: the expiry in Unix
    /// milliseconds (i64, little-endian), then the key.
    Timed {
        len: u32,
        ptr: NonNull<u8>,
    },
    /// Keys of 4 GiB and more (proto-max-bulk-len allows them): the length needs 64 bits.
    Huge(Box<(Option<i64>, Box<[u8]>)>),
}

// SAFETY: an EntryKey owns its heap block exclusively, as the Box<[u8]> it was made from did;
// nothing else points at it, so moving or sharing it across threads is as safe as for Box.
unsafe impl Send for EntryKey {}
// SAFETY: as above; shared access only reads the block.
unsafe impl Sync for EntryKey {}

/// Takes a boxed block apart into its thin pointer (the caller keeps the length).
fn into_thin(block: Box<[u8]>) -> NonNull<u8> {
    // A Box's pointer is never null.
    NonNull::new(Box::into_raw(block).cast::<u8>()).expect("box pointer")
}

impl EntryKey {
    pub fn new(key: &[u8], expire_at_ms: Option<i64>) -> Self {
        let Ok(len) = u32::try_from(key.len()) else {
            return EntryKey::Huge(Box::new((expire_at_ms, key.into())));
        };
        match expire_at_ms {
            None if key.len() <= ENTRY_KEY_INLINE_MAX => {
                let mut buf = [0; ENTRY_KEY_INLINE_MAX];
                buf[..key.len()].copy_from_slice(key);
                // At most ENTRY_KEY_INLINE_MAX, so it fits in a u8.
                EntryKey::Inline { len: key.len() as u8, buf }
            }
            None => EntryKey::Heap { len, ptr: into_thin(key.into()) },
            Some(at) => {
                let mut block = Vec::with_capacity(EXPIRE_BYTES + key.len());
                block.extend_from_slice(&at.to_le_bytes());
                block.extend_from_slice(key);
                EntryKey::Timed { len, ptr: into_thin(block.into_boxed_slice()) }
            }
        }
    }

    /// The whole heap block of a `Heap` or `Timed` key.
    fn block(&self) -> &[u8] {
        match self {
            // SAFETY: ptr and the length are those of a live Box<[u8]> this key owns (`new`).
            EntryKey::Heap { len, ptr } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), *len as usize) },
            // SAFETY: as above; a Timed block has EXPIRE_BYTES more than the key.
            EntryKey::Timed { len, ptr } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), EXPIRE_BYTES + *len as usize) },
            EntryKey::Inline { .. } | EntryKey::Huge(_) => &[],
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            EntryKey::Inline { len, buf } => &buf[..usize::from(*len)],
            EntryKey::Heap { .. } => self.block(),
            EntryKey::Timed { .. } => &self.block()[EXPIRE_BYTES..],
            EntryKey::Huge(h) => &h.1,
        }
    }

    pub fn expire_at_ms(&self) -> Option<i64> {
        match self {
            EntryKey::Inline { .. } | EntryKey::Heap { .. } => None,
            EntryKey::Timed { .. } => {
                let b = self.block();
                Some(i64::from_le_bytes(b[..EXPIRE_BYTES].try_into().expect("8 bytes")))
            }
            EntryKey::Huge(h) => h.0,
        }
    }

    /// Sets or clears the expiry: in place when the key already has one, else by moving the
    /// key into a block of the other shape.
    pub fn set_expire(&mut self, at: Option<i64>) {
        match (&mut *self, at) {
            (EntryKey::Timed { ptr, .. }, Some(ms)) => {
                // SAFETY: this key owns the block, which is at least EXPIRE_BYTES long, and
                // `&mut self` means no shared borrow of it is alive.
                let head = unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), EXPIRE_BYTES) };
                head.copy_from_slice(&ms.to_le_bytes());
            }
            (EntryKey::Huge(h), at) => h.0 = at,
            (EntryKey::Inline { .. } | EntryKey::Heap { .. }, None) => {}
            _ => *self = EntryKey::new(self.as_bytes(), at),
        }
    }

    /// Heap bytes owned beyond the slot itself.
    pub fn heap_bytes(&self) -> usize {
        match self {
            EntryKey::Inline { .. } => 0,
            EntryKey::Heap { .. } | EntryKey::Timed { .. } => self.block().len(),
            EntryKey::Huge(h) => h.1.len() + std::mem::size_of::<(Option<i64>, Box<[u8]>)>(),
        }
    }
}

impl Drop for EntryKey {
    fn drop(&mut self) {
        let n = self.block().len();
        if let EntryKey::Heap { ptr, .. } | EntryKey::Timed { ptr, .. } = *self {
            let slice = std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), n);
            // SAFETY: rebuilds the Box<[u8]> that `new` took apart, exactly once (in drop).
            drop(unsafe { Box::from_raw(slice) });
        }
    }
}

impl Clone for EntryKey {
    fn clone(&self) -> Self {
        EntryKey::new(self.as_bytes(), self.expire_at_ms())
    }
}

impl std::fmt::Debug for EntryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))?;
        if let Some(at) = self.expire_at_ms() {
            write!(f, "@{at}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_expiry_round_trip() {
        assert_eq!(std::mem::size_of::<EntryKey>(), 16);
        for n in [0, 1, 13, 14, 15, 16, 100, 70_000] {
            let b: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
            let mut k = EntryKey::new(&b, None);
            assert_eq!((k.as_bytes(), k.expire_at_ms()), (&b[..], None));
            assert_eq!(matches!(k, EntryKey::Inline { .. }), n <= ENTRY_KEY_INLINE_MAX);
            assert_eq!(k.heap_bytes(), if n <= ENTRY_KEY_INLINE_MAX { 0 } else { n });
            k.set_expire(Some(-5));
            assert_eq!((k.as_bytes(), k.expire_at_ms()), (&b[..], Some(-5)));
            assert_eq!(k.heap_bytes(), n + EXPIRE_BYTES);
            k.set_expire(Some(i64::MAX));
            let c = k.clone();
            k.set_expire(None);
            assert_eq!((k.as_bytes(), k.expire_at_ms()), (&b[..], None));
            drop(k);
            assert_eq!((c.as_bytes(), c.expire_at_ms()), (&b[..], Some(i64::MAX)));
        }
    }
}
