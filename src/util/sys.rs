//! Calls into the operating system that std does not offer. This is the one module besides
//! `server::fd` where `unsafe` is allowed; each call is a plain libc function on values owned
//! here.
#![allow(unsafe_code)]

/// Lowers the calling thread's scheduling priority (nice 19), so background work such as
/// freeing a flushed keyspace yields the core to the executor on a busy machine.
pub fn lower_thread_priority() {
    // SAFETY: setpriority takes plain integers; `which`=PRIO_PROCESS with who=0 applies to the
    // calling thread on Linux (threads are scheduled as tasks). A failure only leaves the
    // priority unchanged.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}
