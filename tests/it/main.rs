//! Integration tests: real `keel-server` processes driven over real sockets by the `redis`
//! crate, a raw RESP client and redis-cli, with a reference `redis-server` where replies are
//! compared side by side. One binary, one module per area.

#![allow(clippy::unwrap_used, clippy::approx_constant)]

mod admin;
mod cases;
mod cli;
mod client_crate;
mod common;
mod compat;
mod config_file;
mod crash_property;
mod dump_interop;
mod durability;
mod fuzz_corpus;
mod hash_ttl;
mod hashes;
mod keyspace;
mod lazyfree;
mod leaderboard;
mod lists;
mod log_faults;
mod models;
mod ops_tools;
mod restore;
mod snapshots;
mod wire;
