//! Storage: everything that touches files, behind the `io::Fs` trait.
//!
//! - `io`: the trait, the real implementation, and the one durable-replace helper.
//! - `sim`: a hostile in-memory file system for tests (lost unsynced pages, torn writes,
//!   failed fsync, a full disk).
//! - `segment`, `record`: the log's byte format (docs/format/log.md).

pub mod codec;
pub mod compactor;
pub mod fuzz;
pub mod io;
pub mod listpack;
pub mod log_reader;
pub mod log_writer;
pub mod record;
pub mod recovery;
pub mod segment;
pub mod sim;
pub mod snapshot;
