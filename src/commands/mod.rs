//! Commands: the table row type (`CommandSpec`), the handler context (`Ctx`), errors, and one
//! file per family with its handlers and, at the bottom, its rows of the table.
//!
//! A handler parses its arguments, calls `db` operations and writes one reply through
//! `ctx.out`. It never checks arity (the dispatcher did, from the row) and never touches a
//! socket. It returns `Err` only before writing anything: the dispatcher writes the error.

pub mod access;
pub mod admin;
pub mod bitmaps;
pub mod block;
pub mod client;
pub mod config_cmd;
pub mod connection;
pub mod debug;
pub mod dump;
pub mod expire;
pub mod hash_ttl;
pub mod hashes;
pub mod hll;
pub mod info;
pub mod introspect;
pub mod keys;
pub mod lists;
pub mod persistence;
pub mod sets;
pub mod sort;
pub mod spec;
pub mod strings;
pub mod table;
pub mod transactions;
pub mod wait;
pub mod zsets;

use std::borrow::Cow;

pub use spec::{acl, flags, BeginSearch, CommandSpec, FindKeys, KeySpec};

use crate::db::Db;
use crate::executor::{Client, Server};
use crate::protocol::{Args, Out};
use crate::util::num::{parse_f64, parse_i64};

/// An error reply: the full text after `-`, code first ("ERR ...", "WRONGTYPE ..."). Bytes,
/// not UTF-8, because Redis echoes client bytes (an unknown command's name) verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, [u8]>);

pub type CmdResult = Result<(), CmdError>;

impl From<&'static str> for CmdError {
    fn from(s: &'static str) -> Self {
        CmdError(Cow::Borrowed(s.as_bytes()))
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError(Cow::Owned(s.into_bytes()))
    }
}

impl From<Vec<u8>> for CmdError {
    fn from(s: Vec<u8>) -> Self {
        CmdError(Cow::Owned(s))
    }
}

impl CmdError {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

/// Redis's error texts, word for word.
pub mod err {
    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    pub const SYNTAX: &str = "ERR syntax error";
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    pub const NO_SUCH_KEY: &str = "ERR no such key";
    pub const OUT_OF_RANGE: &str = "ERR index out of range";
    pub const DB_INDEX: &str = "ERR DB index is out of range";
    pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    pub const OFFSET_RANGE: &str = "ERR offset is out of range";
    pub const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
    pub const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
    pub const NOAUTH: &str = "NOAUTH Authentication required.";
    pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
}

/// Everything a handler may touch while it runs.
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    /// The calling client's slot in `srv.clients`.
    pub slot: usize,
    pub args: Args<'a>,
    pub out: &'a mut Out,
    pub spec: &'static CommandSpec,
}

impl<'a> Ctx<'a> {
    pub fn arg(&self, i: usize) -> &'a [u8] {
        self.args.get(i)
    }

    pub fn argc(&self) -> usize {
        self.args.len()
    }

    pub fn client(&mut self) -> &mut Client {
        self.srv.clients.get_mut(self.slot)
    }

    pub fn client_ref(&self) -> &Client {
        self.srv.clients.get(self.slot)
    }

    pub fn db_index(&self) -> usize {
        self.client_ref().db
    }

    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        let i = self.db_index();
        &mut self.srv.dbs[i]
    }

    pub fn now_ms(&self) -> i64 {
        self.srv.clock.now()
    }

    /// True while the log is being replayed: time-based decisions (an expiry time already
    /// past) are not taken again, since their outcome is in the log (Redis's `server.loading`).
    pub fn replaying(&self) -> bool {
        self.srv.clock.mode.get() == crate::db::ExpireMode::Replay
    }

    /// Logs this command as `argv` (in the client's database) instead of its own arguments:
    /// for commands whose arguments would not replay to the same state (relative TTLs,
    /// floating-point results). See `executor::propagate`.
    pub fn log_as(&mut self, argv: &[&[u8]]) {
        if self.srv.log.is_some() {
            let db = self.db_index();
            self.srv.effects.push_rewrite(db, argv.iter().map(|a| a.to_vec()).collect());
        }
    }

    /// Argument `i` as a strict integer, or Redis's "not an integer" error.
    pub fn arg_i64(&self, i: usize) -> Result<i64, CmdError> {
        parse_i64(self.arg(i)).ok_or(CmdError::from(err::NOT_INTEGER))
    }

    pub fn arg_f64(&self, i: usize) -> Result<f64, CmdError> {
        parse_f64(self.arg(i)).ok_or(CmdError::from(err::NOT_FLOAT))
    }

    /// Argument `i` compared case-insensitively with an option name.
    pub fn arg_is(&self, i: usize, word: &str) -> bool {
        self.args.try_get(i).is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    }

    /// Replies `-ERR wrong number of arguments for '<cmd>' command` (for handlers whose
    /// argument count depends on options).
    pub fn arity_error(&self) -> CmdError {
        arity_error(self.spec.full_name)
    }
}

pub fn arity_error(full_name: &str) -> CmdError {
    CmdError::from(format!("ERR wrong number of arguments for '{full_name}' command"))
}

/// Redis's error for a subcommand given the wrong arguments (or unknown to a command that
/// parses its own subcommands): names the subcommand as typed and the command in capitals.
pub fn subcommand_syntax_error(args: Args<'_>) -> CmdError {
    let sub = args.try_get(1).unwrap_or_default();
    let sub = &sub[..sub.len().min(128)];
    let parent = String::from_utf8_lossy(args.get(0)).to_ascii_uppercase();
    error_with(&[b"ERR unknown subcommand or wrong number of arguments for '", sub, b"'. Try ", parent.as_bytes(), b" HELP."])
}

/// Builds an error from pieces that may hold client bytes.
pub fn error_with(parts: &[&[u8]]) -> CmdError {
    CmdError::from(parts.concat())
}
