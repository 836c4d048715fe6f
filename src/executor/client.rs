//! What the executor knows about each connected client. The connection task owns the socket
//! and the buffers; everything another client's command may read or change (CLIENT LIST,
//! CLIENT KILL, WATCH invalidation, MONITOR output) lives here, in the executor's slab.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::commands::CommandSpec;
use crate::db::Key;
use crate::protocol::OwnedArgs;

/// Wakes a connection task from elsewhere on the executor's thread (CLIENT KILL, MONITOR
/// output, the end of a pause). Cheaper than a `tokio::sync::Notify`, which locks a mutex on
/// every poll: everything here runs on one thread.
#[derive(Debug, Default)]
pub struct Signal {
    raised: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Signal {
    pub fn raise(&self) {
        self.raised.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// Ready (and lowered) if raised since the last poll; otherwise remembers who to wake.
    pub fn poll_raised(&self, cx: &Context<'_>) -> Poll<()> {
        if self.raised.replace(false) {
            return Poll::Ready(());
        }
        let mut slot = self.waker.borrow_mut();
        if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *slot = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Waits until raised.
    pub async fn raised(&self) {
        std::future::poll_fn(|cx| self.poll_raised(cx)).await;
    }
}

/// Reply mode set by CLIENT REPLY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Skipping the reply of the current command (SkipNext moves here when a command starts).
    Skip,
}

/// A key watched by this client: database, key, and whether it had already expired when
/// WATCH ran (then its deletion by expiry is not a change).
#[derive(Debug, Clone)]
pub struct Watched {
    pub db: usize,
    pub key: Key,
    pub expired_at_watch: bool,
}

/// A command queued between MULTI and EXEC.
#[derive(Debug)]
pub struct Queued {
    pub spec: &'static CommandSpec,
    /// The command's number in the table (for statistics).
    pub id: usize,
    pub args: OwnedArgs,
}

#[derive(Debug)]
pub struct Client {
    /// Replies may not be sent before the log's release offset reaches this (the end of the
    /// last record this client's commands wrote).
    pub hold_until: u64,
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub db: usize,
    pub resp3: bool,
    pub authenticated: bool,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    pub last_cmd: &'static str,
    pub commands_total: u64,
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    pub in_multi: bool,
    /// A command failed to queue: EXEC must abort.
    pub dirty_exec: bool,
    /// A watched key changed: EXEC must fail.
    pub dirty_cas: bool,
    pub multi: Vec<Queued>,
    pub multi_bytes: usize,
    pub watched: Vec<Watched>,
    pub monitor: bool,
    /// Set by CLIENT KILL or SHUTDOWN: the connection closes at its next turn.
    pub close_asap: bool,
    /// Set by QUIT: the connection closes once this reply is written.
    pub close_after_reply: bool,
    /// Bytes produced for this client outside its own commands (MONITOR lines); the
    /// connection task appends them to its output at its next turn.
    pub pending_out: Vec<u8>,
    /// Wakes the connection task (new pending output, kill, unpause).
    pub wake: Rc<Signal>,
    /// Query/output buffer sizes last reported by the connection task (CLIENT LIST).
    pub qbuf_bytes: usize,
    pub obuf_bytes: usize,
    /// End offset of the last record this client's commands wrote (Redis's `woff`): what
    /// WAITAOF waits for.
    pub last_write_offset: u64,
    /// The command at the head of the input is blocked (WAIT, WAITAOF): the connection
    /// keeps it and runs it again when woken or at the deadline.
    pub blocked: Option<Blocked>,
    /// While blocked on keys: the command and its keys (`executor::blocking`).
    pub waiting: Option<super::blocking::Waiting>,
    /// The reply of a blocked command the executor served: the connection sends it in place
    /// of running the command again.
    pub served_reply: Option<Vec<u8>>,
}

/// Why and until when a client's command is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked {
    /// Unix ms at which the command gives up and replies; 0 blocks until woken.
    pub deadline_ms: i64,
    /// Wake when the log is durable up to here (0: no durability wait).
    pub durable_offset: u64,
    /// Set by CLIENT UNBLOCK: reply now, as at the timeout (TIMEOUT) or with an error (ERROR).
    pub unblocked: Option<Unblock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    Timeout,
    Error,
}

impl Client {
    pub fn new(id: u64, addr: String, laddr: String, fd: i32, now_ms: i64, authenticated: bool) -> Self {
        Client {
            hold_until: 0,
            id,
            addr,
            laddr,
            fd,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            resp3: false,
            authenticated,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            commands_total: 0,
            reply_mode: ReplyMode::On,
            no_evict: false,
            in_multi: false,
            dirty_exec: false,
            dirty_cas: false,
            multi: Vec::new(),
            multi_bytes: 0,
            watched: Vec::new(),
            monitor: false,
            close_asap: false,
            close_after_reply: false,
            pending_out: Vec::new(),
            wake: Rc::new(Signal::default()),
            qbuf_bytes: 0,
            obuf_bytes: 0,
            last_write_offset: 0,
            blocked: None,
            waiting: None,
            served_reply: None,
        }
    }

    /// Leaves MULTI state (EXEC, DISCARD, RESET).
    pub fn discard_multi(&mut self) {
        self.multi.clear();
        self.multi_bytes = 0;
        self.in_multi = false;
        self.dirty_exec = false;
        self.dirty_cas = false;
    }

    /// The flags letters CLIENT LIST prints.
    pub fn flags_text(&self) -> String {
        let mut f = String::new();
        if self.monitor {
            f.push('O');
        }
        if self.in_multi {
            f.push('x');
        }
        if self.blocked.is_some() {
            f.push('b');
        }
        if self.dirty_cas {
            f.push('d');
        }
        if self.close_after_reply {
            f.push('c');
        }
        if self.close_asap {
            f.push('A');
        }
        if self.no_evict {
            f.push('e');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }
}

/// Clients by slot; slots are reused, ids never are.
#[derive(Debug, Default)]
pub struct Clients {
    slots: Vec<Option<Client>>,
    free: Vec<usize>,
    count: usize,
    next_id: u64,
}

impl Clients {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn insert(&mut self, c: Client) -> usize {
        self.count += 1;
        match self.free.pop() {
            Some(slot) => {
                debug_assert!(self.slots[slot].is_none());
                self.slots[slot] = Some(c);
                slot
            }
            None => {
                self.slots.push(Some(c));
                self.slots.len() - 1
            }
        }
    }

    pub fn remove(&mut self, slot: usize) -> Option<Client> {
        let c = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        self.count -= 1;
        Some(c)
    }

    /// The client in `slot`; the executor only hands out slots of live clients.
    pub fn get(&self, slot: usize) -> &Client {
        self.slots[slot].as_ref().expect("live client slot")
    }

    pub fn get_mut(&mut self, slot: usize) -> &mut Client {
        self.slots[slot].as_mut().expect("live client slot")
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, &Client)> {
        self.slots.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut Client)> {
        self.slots.iter_mut().enumerate().filter_map(|(i, c)| c.as_mut().map(|c| (i, c)))
    }

    pub fn slot_of(&self, id: u64) -> Option<usize> {
        self.iter().find(|(_, c)| c.id == id).map(|(s, _)| s)
    }
}
