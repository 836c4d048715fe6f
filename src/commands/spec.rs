//! The command table row: name, arity, flags, ACL categories, key specifications in Redis 7's
//! form, legacy key range, documentation and handler. Rows are `const` and sit at the bottom
//! of each family's file; `table.rs` joins them.
//!
//! Key specs say where keys are and how they are used (RO/RW/OW/RM plus access/update/insert/
//! delete). A begin-search by index or by keyword plus a find-keys by range or by a key count
//! can express XREAD STREAMS, ZUNION numkeys and friends, which first/last/step cannot; COMMAND
//! GETKEYS, cluster routing and ACL key checks all read keys through `keys_of`.

use super::{CmdResult, Ctx};
use crate::protocol::Args;
use crate::util::num::parse_i64;

pub type Handler = fn(&mut Ctx<'_>) -> CmdResult;

/// A command's own key finder, for commands whose key flags depend on their arguments
/// (Redis's getkeys_proc): returns positions and flags.
pub type GetKeys = fn(Args<'_>) -> Vec<(usize, u32)>;

/// Command flags; bit order is the order COMMAND prints them in.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const MODULE: u32 = 1 << 3;
    pub const ADMIN: u32 = 1 << 4;
    pub const PUBSUB: u32 = 1 << 5;
    pub const NOSCRIPT: u32 = 1 << 6;
    pub const BLOCKING: u32 = 1 << 7;
    pub const LOADING: u32 = 1 << 8;
    pub const STALE: u32 = 1 << 9;
    pub const SKIP_MONITOR: u32 = 1 << 10;
    pub const SKIP_SLOWLOG: u32 = 1 << 11;
    pub const ASKING: u32 = 1 << 12;
    pub const FAST: u32 = 1 << 13;
    pub const NO_AUTH: u32 = 1 << 14;
    pub const MAY_REPLICATE: u32 = 1 << 15;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
    pub const NO_ASYNC_LOADING: u32 = 1 << 17;
    pub const NO_MULTI: u32 = 1 << 18;
    pub const MOVABLEKEYS: u32 = 1 << 19;
    pub const ALLOW_BUSY: u32 = 1 << 20;

    pub const NAMES: [&str; 21] = [
        "write",
        "readonly",
        "denyoom",
        "module",
        "admin",
        "pubsub",
        "noscript",
        "blocking",
        "loading",
        "stale",
        "skip_monitor",
        "skip_slowlog",
        "asking",
        "fast",
        "no_auth",
        "may_replicate",
        "no_mandatory_keys",
        "no_async_loading",
        "no_multi",
        "movablekeys",
        "allow_busy",
    ];
}

/// ACL categories; bit order is the order COMMAND prints them in.
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    pub const NAMES: [&str; 21] = [
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "stream",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
    ];
}

/// Per-key flags of a key spec; bit order is the order COMMAND prints them in.
pub mod kflags {
    pub const RO: u32 = 1 << 0;
    pub const RW: u32 = 1 << 1;
    pub const OW: u32 = 1 << 2;
    pub const RM: u32 = 1 << 3;
    pub const ACCESS: u32 = 1 << 4;
    pub const UPDATE: u32 = 1 << 5;
    pub const INSERT: u32 = 1 << 6;
    pub const DELETE: u32 = 1 << 7;
    pub const NOT_KEY: u32 = 1 << 8;
    pub const INCOMPLETE: u32 = 1 << 9;
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    pub const NAMES: [&str; 11] =
        ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// Keys start at this argument index.
    Index(i32),
    /// Keys start after this keyword, searched from `start_from` (negative: from the end).
    Keyword {
        keyword: &'static str,
        start_from: i32,
    },
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// `last_key` relative to the first key (negative: from the end), every `step`th
    /// argument; `limit` > 1 keeps only 1/limit of the remaining arguments.
    Range {
        last_key: i32,
        step: i32,
        limit: i32,
    },
    /// The key count is at `keynum_idx` (relative to the begin), keys start at `first_key`.
    Keynum {
        keynum_idx: i32,
        first_key: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub flags: u32,
    pub begin: BeginSearch,
    pub find: FindKeys,
    pub notes: &'static str,
}

impl KeySpec {
    /// The common case: one key at `index`, or keys from `index` to `last_key` with `step`.
    pub const fn index(flags: u32, index: i32, last_key: i32, step: i32) -> Self {
        KeySpec { flags, begin: BeginSearch::Index(index), find: FindKeys::Range { last_key, step, limit: 0 }, notes: "" }
    }

    pub const fn new(flags: u32, begin: BeginSearch, find: FindKeys) -> Self {
        KeySpec { flags, begin, find, notes: "" }
    }

    pub const fn notes(mut self, notes: &'static str) -> Self {
        self.notes = notes;
        self
    }
}

/// Documentation COMMAND DOCS reports (brief: the group and the Redis version that added it).
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    pub group: &'static str,
    pub since: &'static str,
}

/// One row of the command table.
#[derive(Clone, Copy)]
pub struct CommandSpec {
    /// Lower-case; a subcommand is "parent|sub".
    pub full_name: &'static str,
    pub arity: i32,
    pub flags: u32,
    pub acl: u32,
    pub keys: &'static [KeySpec],
    /// first key, last key, step, as the legacy COMMAND fields report them.
    pub legacy_range: (i32, i32, i32),
    pub tips: &'static [&'static str],
    pub doc: Doc,
    pub handler: Handler,
    pub subcommands: &'static [CommandSpec],
    pub getkeys: Option<GetKeys>,
}

impl std::fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSpec").field("name", &self.full_name).field("arity", &self.arity).finish_non_exhaustive()
    }
}

fn no_handler(_: &mut Ctx<'_>) -> CmdResult {
    unreachable!("container commands dispatch to their subcommands")
}

impl CommandSpec {
    pub const fn new(full_name: &'static str, arity: i32, handler: Handler) -> Self {
        CommandSpec {
            full_name,
            arity,
            flags: 0,
            acl: 0,
            keys: &[],
            legacy_range: (0, 0, 0),
            tips: &[],
            doc: Doc { group: "", since: "" },
            handler,
            subcommands: &[],
            getkeys: None,
        }
    }

    pub const fn getkeys(mut self, f: GetKeys) -> Self {
        self.getkeys = Some(f);
        self
    }

    /// A command that only groups subcommands (CONFIG, CLIENT...).
    pub const fn container(full_name: &'static str, arity: i32, subcommands: &'static [CommandSpec]) -> Self {
        let mut c = Self::new(full_name, arity, no_handler);
        c.subcommands = subcommands;
        c
    }

    pub const fn flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }

    pub const fn acl(mut self, acl: u32) -> Self {
        self.acl = acl;
        self
    }

    pub const fn keys(mut self, keys: &'static [KeySpec], legacy_range: (i32, i32, i32)) -> Self {
        self.keys = keys;
        self.legacy_range = legacy_range;
        self
    }

    pub const fn tips(mut self, tips: &'static [&'static str]) -> Self {
        self.tips = tips;
        self
    }

    pub const fn doc(mut self, group: &'static str, since: &'static str) -> Self {
        self.doc = Doc { group, since };
        self
    }

    /// The name after the `|` for a subcommand, else the whole name.
    pub fn name(&self) -> &'static str {
        match self.full_name.split_once('|') {
            Some((_, sub)) => sub,
            None => self.full_name,
        }
    }

    pub fn is_write(&self) -> bool {
        self.flags & flags::WRITE != 0
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// Why keys could not be extracted (COMMAND GETKEYS reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadKeys;

/// The keys of a call as Redis finds them: from the key specs when their flags are reliable,
/// else (flags that vary with the arguments, or specs that cannot be followed) from the
/// command's own key finder.
pub fn command_keys(spec: &CommandSpec, args: Args<'_>) -> Result<Vec<(usize, u32)>, BadKeys> {
    let varflags = spec.keys.iter().any(|k| k.flags & kflags::VARIABLE_FLAGS != 0);
    if !varflags || spec.getkeys.is_none() {
        match (keys_of(spec, args), spec.getkeys) {
            (Ok(k), _) => return Ok(k),
            (Err(e), None) => return Err(e),
            (Err(_), Some(_)) => {}
        }
    }
    spec.getkeys.map(|f| f(args)).ok_or(BadKeys)
}

/// Positions of the keys of a call, with each key's flags, following the key specs.
pub fn keys_of(spec: &CommandSpec, args: Args<'_>) -> Result<Vec<(usize, u32)>, BadKeys> {
    let argc = args.len() as i64;
    let mut out = Vec::new();
    for ks in spec.keys {
        let Some(first) = begin_of(ks, args, argc)? else { continue };
        let (first, last, step) = range_of(ks, args, argc, first)?;
        if last >= argc || last < first || first >= argc {
            return Err(BadKeys);
        }
        let mut i = first;
        while i <= last {
            // The arity check guarantees this for fixed-arity commands; variadic ones may be
            // short, and then the handler reports the error.
            if i < argc {
                out.push((i as usize, ks.flags));
            }
            i += step.max(1);
        }
    }
    Ok(out)
}

fn begin_of(ks: &KeySpec, args: Args<'_>, argc: i64) -> Result<Option<i64>, BadKeys> {
    match ks.begin {
        BeginSearch::Index(i) => Ok(Some(i64::from(i))),
        BeginSearch::Keyword { keyword, start_from } => {
            let sf = i64::from(start_from);
            let (start, end) = if sf > 0 { (sf, argc - 1) } else { (argc + sf, 1) };
            let mut i = start;
            loop {
                if i >= argc || i < 1 {
                    return Ok(None);
                }
                if args.get(i as usize).eq_ignore_ascii_case(keyword.as_bytes()) {
                    return Ok(Some(i + 1));
                }
                if i == end {
                    return Ok(None);
                }
                i += if start <= end { 1 } else { -1 };
            }
        }
        BeginSearch::Unknown => Err(BadKeys),
    }
}

fn range_of(ks: &KeySpec, args: Args<'_>, argc: i64, first: i64) -> Result<(i64, i64, i64), BadKeys> {
    match ks.find {
        FindKeys::Range { last_key, step, limit } => {
            let (lk, lim) = (i64::from(last_key), i64::from(limit));
            let last = if lk >= 0 {
                first + lk
            } else if lim == 0 {
                argc + lk
            } else {
                first + ((argc - first) / lim + lk)
            };
            Ok((first, last, i64::from(step)))
        }
        FindKeys::Keynum { keynum_idx, first_key, step } => {
            let idx = first + i64::from(keynum_idx);
            if i64::from(keynum_idx) >= argc - first {
                return Err(BadKeys);
            }
            let n = parse_i64(args.get(idx as usize)).filter(|&n| n >= 0).ok_or(BadKeys)?;
            let first = first + i64::from(first_key);
            Ok((first, first.saturating_add(n) - 1, i64::from(step)))
        }
        FindKeys::Unknown => Err(BadKeys),
    }
}
