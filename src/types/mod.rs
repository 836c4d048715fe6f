//! Pure algorithms on values, kept apart from the commands that use them so they can be
//! tested against Redis's results on their own.

pub mod bitops;
pub mod dict;
pub mod hash;
pub mod hll;
pub mod lcs;
pub mod list;
pub mod ostree;
pub mod pack;
pub mod set;
pub mod zset;
