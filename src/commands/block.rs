//! What blocking pops (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP, ...) share: the timeout
//! argument, and the states of a command that may block (see `executor::blocking`).
//!
//! A blocking handler runs first when the command arrives, then again when the executor
//! serves its key, at its deadline, or after CLIENT UNBLOCK. [`state`] says which: it tries
//! to pop in every state but the ends, and blocks with [`block_on`] only when fresh.

use super::{err, CmdError, CmdResult, Ctx};
use crate::executor::blocking::{Waiting, Wants};
use crate::executor::client::{Blocked, Unblock};
use crate::util::num::parse_f64;
use crate::util::num::parse_i64;

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

/// What every blocking pop does around its `attempt` (which pops and replies if it can):
/// the timeout reply, errors ending the block, blocking when fresh and nothing was popped,
/// and `in_multi_reply` inside MULTI, where nothing blocks.
pub fn run(
    ctx: &mut Ctx<'_>,
    timeout_at: usize,
    keys: Vec<Vec<u8>>,
    wants: Wants,
    in_multi_reply: fn(&mut Ctx<'_>),
    attempt: impl FnOnce(&mut Ctx<'_>) -> Result<bool, CmdError>,
) -> CmdResult {
    let st = state(ctx)?;
    if st == State::TimedOut {
        unblock(ctx);
        ctx.out.null_array();
        return Ok(());
    }
    let deadline = if st == State::Fresh { timeout_arg(ctx, timeout_at)? } else { 0 };
    match attempt(ctx) {
        Err(e) => {
            unblock(ctx);
            Err(e)
        }
        Ok(true) => {
            unblock(ctx);
            Ok(())
        }
        Ok(false) if st == State::Waiting => Ok(()),
        Ok(false) if !may_block(ctx) => {
            in_multi_reply(ctx);
            Ok(())
        }
        Ok(false) => {
            block_on(ctx, deadline, keys, wants);
            Ok(())
        }
    }
}

/// The arguments of LMPOP/ZMPOP and their blocking forms from the numkeys position `at`:
/// the keys, whether the end word is `ends.1` (RIGHT, MAX) rather than `ends.0`, and the
/// COUNT (1 by default).
pub fn mpop_args(ctx: &Ctx<'_>, at: usize, ends: (&str, &str)) -> Result<(Vec<Vec<u8>>, bool, usize), CmdError> {
    let numkeys = parse_i64(ctx.arg(at)).filter(|&n| n > 0).ok_or(CmdError::from("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    let first = at + 1;
    if numkeys > ctx.argc().saturating_sub(first + 1) {
        return Err(err::SYNTAX.into());
    }
    let keys = (first..first + numkeys).map(|i| ctx.arg(i).to_vec()).collect();
    let w = first + numkeys;
    let second = if ctx.arg_is(w, ends.1) {
        true
    } else if ctx.arg_is(w, ends.0) {
        false
    } else {
        return Err(err::SYNTAX.into());
    };
    let mut count = None;
    let mut i = w + 1;
    while i < ctx.argc() {
        if ctx.arg_is(i, "COUNT") && i + 1 < ctx.argc() && count.is_none() {
            let n = parse_i64(ctx.arg(i + 1)).filter(|&n| n > 0).ok_or(CmdError::from("ERR count should be greater than 0"))?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            i += 2;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    Ok((keys, second, count.unwrap_or(1)))
}
