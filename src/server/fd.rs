//! Registering owned sockets with tokio's reactor.
//!
//! `AsyncFd::register` is `unsafe` because tokio cannot check that the descriptor stays open
//! while registered. Here the `AsyncFd` owns the socket, and the socket owns its descriptor,
//! so the descriptor lives exactly as long as the registration: the one condition holds by
//! construction. `util::sys` (libc calls) and `db::entry_key` (a thin key pointer) are the only
//! other modules with `unsafe`.
#![allow(unsafe_code)]

use std::net::{TcpListener, TcpStream};

use tokio::io::unix::AsyncFd;

pub fn register_stream(s: TcpStream) -> std::io::Result<AsyncFd<TcpStream>> {
    // SAFETY: the AsyncFd takes ownership of `s`, which owns its descriptor until dropped.
    unsafe { AsyncFd::register(s) }.map_err(std::io::Error::from)
}

pub fn register_listener(l: TcpListener) -> std::io::Result<AsyncFd<TcpListener>> {
    // SAFETY: as above, the AsyncFd owns the listener and so its descriptor.
    unsafe { AsyncFd::register(l) }.map_err(std::io::Error::from)
}
