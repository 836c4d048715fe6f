//! Calls into the operating system that std does not offer. This is the one module besides
//! `server::fd` where `unsafe` is allowed; each call is a plain libc function on values owned
//! here.
#![allow(unsafe_code)]

/// Lowers the calling thread's scheduling priority (nice 19), so background work such as
/// freeing a flushed keyspace yields the core to the executor on a busy machine.
pub fn lower_thread_priority() {
    set_thread_nice(19);
}

/// Sets the calling thread's nice value (a failure, e.g. raising it back without the
/// privilege, only leaves the priority unchanged).
pub fn set_thread_nice(nice: i32) {
    // SAFETY: setpriority takes plain integers; `which`=PRIO_PROCESS with who=0 applies to the
    // calling thread on Linux (threads are scheduled as tasks).
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, nice);
    }
}

/// Turns on TCP keepalive the way Redis does for `tcp-keepalive N`: the first probe after `secs`
/// idle seconds, then every `secs / 3`, and the peer is dropped after 3 unanswered probes. Dead
/// peers (a client host that vanished) are noticed instead of holding a client slot forever.
pub fn set_tcp_keepalive(fd: std::os::fd::RawFd, secs: u64) {
    let idle = libc::c_int::try_from(secs.max(1)).unwrap_or(libc::c_int::MAX);
    let opts = [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle),
        (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (idle / 3).max(1)),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ];
    for (level, name, value) in opts {
        // SAFETY: `value` lives across the call and its size is passed; the fd is a socket the
        // caller owns. A failure (not a TCP socket) only leaves keepalive off.
        unsafe {
            libc::setsockopt(fd, level, name, std::ptr::from_ref(&value).cast(), std::mem::size_of::<libc::c_int>() as libc::socklen_t);
        }
    }
}

/// Takes an exclusive flock on `f` without waiting; `WouldBlock` if another open file holds
/// it. The lock lives as long as the file stays open, and the kernel drops it if the process
/// dies, so a crashed server never leaves a stale lock behind.
pub fn try_lock_exclusive(f: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock takes the raw fd of a file borrowed for the duration of the call.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Reserves `len` bytes for `f` (zero-filled, growing it if shorter): fallocate mode 0.
pub fn fallocate(f: &std::fs::File, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(len).map_err(|_| std::io::Error::other("length too large"))?;
    // SAFETY: fallocate on the raw fd of a file borrowed for the duration of the call; no
    // memory is passed.
    let rc = unsafe { libc::fallocate(f.as_raw_fd(), 0, 0, len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    fn sockopt(fd: std::os::fd::RawFd, level: libc::c_int, name: libc::c_int) -> libc::c_int {
        let mut v: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `v` and `len` outlive the call and `len` is v's size.
        let rc = unsafe { libc::getsockopt(fd, level, name, std::ptr::from_mut(&mut v).cast(), &mut len) };
        assert_eq!(rc, 0, "getsockopt");
        v
    }

    #[test]
    fn keepalive_follows_redis_timers() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let fd = s.as_raw_fd();
        assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE), 0);
        super::set_tcp_keepalive(fd, 300);
        assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE), 1);
        assert_eq!(sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), 300);
        assert_eq!(sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 100);
        assert_eq!(sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT), 3);
    }
}
