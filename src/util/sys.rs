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

/// Moves the calling thread to SCHED_IDLE, or back to SCHED_OTHER (its nice value is kept).
/// An idle-policy thread runs only when nothing else wants the core, and a waking normal
/// task preempts it at once; a nice-19 task, once picked, keeps the core for its whole slice
/// (milliseconds). Best effort.
pub fn set_idle_policy(idle: bool) {
    let param = libc::sched_param { sched_priority: 0 };
    let policy = if idle { libc::SCHED_IDLE } else { libc::SCHED_OTHER };
    // SAFETY: plain values; pid 0 is the calling thread.
    unsafe {
        libc::sched_setscheduler(0, policy, &param);
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
/// Starts writeback of a file range and waits for earlier writeback of it (Linux
/// `sync_file_range(WAIT_BEFORE | WRITE)`): dirty pages go to disk a little at a time, with no
/// journal commit (which an fdatasync forces, and which stalls every other writer of the
/// file system meanwhile). Not a durability point: an fdatasync still has to follow.
pub fn start_writeback(f: &std::fs::File, offset: u64, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let off = libc::off64_t::try_from(offset).map_err(|_| std::io::Error::other("offset too large"))?;
    let n = libc::off64_t::try_from(len).map_err(|_| std::io::Error::other("length too large"))?;
    // SAFETY: sync_file_range on the raw fd of a borrowed file; no memory is passed.
    let rc = unsafe { libc::sync_file_range(f.as_raw_fd(), off, n, libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

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

/// Parses a Redis cpulist ("0-3,5", "1,3-4:2" is not supported): the CPUs it names, or None
/// if it is malformed.
pub fn parse_cpulist(list: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (usize, usize) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        if a > b || b >= 1024 {
            return None;
        }
        cpus.extend(a..=b);
    }
    Some(cpus)
}

/// Binds the calling thread to the CPUs of a cpulist (Redis's server_cpulist,
/// bgsave_cpulist...). An empty list leaves the affinity alone; a bad one is reported.
pub fn bind_thread_to(list: &str, what: &str) {
    if list.trim().is_empty() {
        return;
    }
    let Some(cpus) = parse_cpulist(list) else {
        crate::log_warning!("Invalid cpulist '{list}' for {what}; affinity unchanged");
        return;
    };
    // SAFETY: cpu_set_t is plain data, zeroed then filled through libc's CPU_SET; the call
    // applies to the calling thread (pid 0).
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        crate::log_warning!("Could not bind {what} to CPUs {list}: {}", std::io::Error::last_os_error());
    }
}

/// `bio_cpulist`, kept for the background threads started below the executor (the log
/// writer, lazy free), which have no configuration of their own.
static BIO_CPULIST: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

pub fn set_bio_cpulist(list: &str) {
    *BIO_CPULIST.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = list.to_string();
}

/// Binds the calling background thread to `bio_cpulist`, if one is set.
pub fn bind_bio_thread(what: &str) {
    let list = BIO_CPULIST.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    bind_thread_to(&list, what);
}

/// CPU time the calling thread has used, in microseconds (CLOCK_THREAD_CPUTIME_ID): what a
/// piece of executor work cost, without the time another thread held the core meanwhile.
/// Minor page faults of the calling thread so far.
pub fn thread_minor_faults() -> u64 {
    // SAFETY: getrusage writes one rusage struct that we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_THREAD is the calling thread.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    if rc != 0 {
        return 0;
    }
    u64::try_from(ru.ru_minflt).unwrap_or(0)
}

pub fn thread_cpu_us() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec that we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1000
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpulists_parse_like_redis() {
        assert_eq!(super::parse_cpulist("0-2,5"), Some(vec![0, 1, 2, 5]));
        assert_eq!(super::parse_cpulist(""), Some(vec![]));
        assert_eq!(super::parse_cpulist("3-1"), None);
        assert_eq!(super::parse_cpulist("x"), None);
    }

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
