//! Integration tests: real `keel-server` processes driven over real sockets by the `redis`
//! crate, a raw RESP client and redis-cli, with a reference `redis-server` where replies are
//! compared side by side. One binary, one module per area.

mod common;
mod wire;
