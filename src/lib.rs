//! Keel: a Redis-compatible, durable in-memory data-structure server.
//!
//! # Layout
//! - `protocol`: RESP request parsing (incremental, bounded), reply encoding for RESP2/RESP3,
//!   and a general frame codec for tools and tests.
//! - `server`: listeners, one task per connection, periodic jobs, shutdown.
//! - `executor`: the single owner of all data; `execute` is the gate every command passes
//!   (lookup, arity, auth, MULTI), `call` runs it and publishes its key events.
//! - `commands`: the command table (`spec`, `table`) and one file per family of handlers.
//! - `db`: databases, the sharded keyspace, values, expiry and access clocks.
//! - `types`: pure algorithms on values (HyperLogLog, bit operations, LCS).
//! - `config`: every redis.conf directive, validated and normalised like Redis.
//! - `util`: Redis-exact number formats, glob matching, quoting, lazy freeing, logging.
//!
//! # Request flow
//! socket → `server::connection` (read, `protocol::request` parse) → `executor::Server::execute`
//! → `commands::*` handler → `db` → reply bytes into the connection's `protocol::Out` →
//! socket. All of it on one thread, one command at a time, in arrival order; see
//! docs/ARCHITECTURE.md for why.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod commands;
pub mod config;
pub mod crashsim;
pub mod db;
pub mod executor;
pub mod limits;
pub mod ops;
pub mod protocol;
pub mod server;
pub mod storage;
pub mod testkit;
pub mod types;
pub mod util;
