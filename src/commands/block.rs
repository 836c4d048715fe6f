//! What blocking pops (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP, ...) share: the timeout
//! argument, and the states of a command that may block (see `executor::blocking`).
//!
//! A blocking handler runs first when the command arrives, then again when the executor
//! serves its key, at its deadline, or after CLIENT UNBLOCK. [`state`] says which: it tries
//! to pop in every state but the ends, and blocks with [`block_on`] only when fresh.

use super::{CmdError, Ctx};
use crate::executor::blocking::{Waiting, Wants};
use crate::executor::client::{Blocked, Unblock};
use crate::util::num::parse_f64;

/// Which run of a blocking command this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Just arrived.
    Fresh,
    /// Blocked, and run again by the executor (its key is ready) or by a wake-up.
    Waiting,
    /// Its deadline passed, or CLIENT UNBLOCK ... TIMEOUT came: reply the timeout reply.
    TimedOut,
}

/// The state of the calling client's command. CLIENT UNBLOCK ... ERROR ends it with
/// Redis's error (and unregisters it).
pub fn state(ctx: &mut Ctx<'_>) -> Result<State, CmdError> {
    let now = ctx.now_ms();
    let Some(b) = ctx.client_ref().blocked else { return Ok(State::Fresh) };
    match b.unblocked {
        Some(Unblock::Error) => {
            unblock(ctx);
            Err("UNBLOCKED client unblocked via CLIENT UNBLOCK".into())
        }
        Some(Unblock::Timeout) => Ok(State::TimedOut),
        None if b.deadline_ms != 0 && now >= b.deadline_ms => Ok(State::TimedOut),
        None => Ok(State::Waiting),
    }
}

/// Blocks the calling client's command on `keys` until `deadline_ms` (0: no deadline).
pub fn block_on(ctx: &mut Ctx<'_>, deadline_ms: i64, keys: Vec<Vec<u8>>, wants: Wants) {
    let db = ctx.db_index();
    let slot = ctx.slot;
    ctx.srv.blocking.register(slot, db, &keys);
    let argv = ctx.args.to_owned();
    let c = ctx.client();
    c.blocked = Some(Blocked { deadline_ms, durable_offset: 0, unblocked: None });
    c.waiting = Some(Waiting { argv, db, keys, wants });
}

/// Ends a blocked state (served, timed out, failed); harmless when not blocked.
pub fn unblock(ctx: &mut Ctx<'_>) {
    let slot = ctx.slot;
    let c = ctx.client();
    c.blocked = None;
    if let Some(w) = c.waiting.take() {
        ctx.srv.blocking.unregister(slot, w.db, &w.keys);
    }
}

/// Whether the command may block: not inside MULTI (nor, later, a script).
pub fn may_block(ctx: &Ctx<'_>) -> bool {
    !ctx.srv.in_exec
}

/// A timeout in seconds (a float) as an absolute deadline in Unix ms; 0 blocks forever.
/// Redis truncates to whole milliseconds, so a timeout under 1 ms also blocks forever.
pub fn timeout_arg(ctx: &Ctx<'_>, i: usize) -> Result<i64, CmdError> {
    let secs = parse_f64(ctx.arg(i)).filter(|s| s.is_finite()).ok_or(CmdError::from("ERR timeout is not a float or out of range"))?;
    if secs < 0.0 {
        return Err("ERR timeout is negative".into());
    }
    let ms = secs * 1000.0;
    if ms >= 9.2e18 {
        return Err("ERR timeout is out of range".into());
    }
    let ms = ms as i64;
    if ms == 0 {
        return Ok(0);
    }
    let now = ctx.now_ms();
    ms.checked_add(now).ok_or(CmdError::from("ERR timeout is out of range"))
}
