//! The command table: every family's rows joined into one lookup by lower-case name, each
//! command and subcommand numbered for per-command statistics. The tests at the bottom check
//! the table's own invariants, so a bad row fails the build's tests, not a client.

use std::collections::HashMap as StdHashMap;
use std::sync::OnceLock;

use super::CommandSpec;

/// Command names are looked up once per command: a fast hash matters more than DoS
/// resistance here (the keys are the fixed command names).
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::FixedState>;
use crate::protocol::Args;

/// Every family's rows, in the order COMMAND lists them.
fn families() -> [&'static [CommandSpec]; 22] {
    [
        super::strings::COMMANDS,
        super::keys::COMMANDS,
        super::expire::COMMANDS,
        super::bitmaps::COMMANDS,
        super::hll::COMMANDS,
        super::connection::COMMANDS,
        super::transactions::COMMANDS,
        super::admin::COMMANDS,
        super::config_cmd::COMMANDS,
        super::client::COMMANDS,
        super::debug::COMMANDS,
        super::info::COMMANDS,
        super::introspect::COMMANDS,
        super::wait::COMMANDS,
        super::persistence::COMMANDS,
        super::dump::COMMANDS,
        super::hashes::COMMANDS,
        super::hash_ttl::COMMANDS,
        super::lists::COMMANDS,
        super::sets::COMMANDS,
        super::sort::COMMANDS,
        super::zsets::COMMANDS,
    ]
}

/// A command found by name: its row and its number.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    pub id: usize,
    pub spec: &'static CommandSpec,
}

#[derive(Debug, Clone, Copy)]
pub enum LookupError {
    Unknown,
    /// A container command with an unknown subcommand.
    UnknownSub(&'static CommandSpec),
}

struct Top {
    id: usize,
    spec: &'static CommandSpec,
    subs: HashMap<&'static str, usize>,
}

pub struct CommandTable {
    by_name: HashMap<&'static str, Top>,
    /// Every command and subcommand by id.
    all: Vec<&'static CommandSpec>,
}

/// Names longer than this match no command, so lookups lower-case into a stack buffer.
const NAME_BYTES_MAX: usize = 32;

fn lower<'b>(name: &[u8], buf: &'b mut [u8; NAME_BYTES_MAX]) -> Option<&'b str> {
    if name.len() > NAME_BYTES_MAX {
        return None;
    }
    let out = &mut buf[..name.len()];
    for (o, &c) in out.iter_mut().zip(name) {
        *o = c.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

impl CommandTable {
    fn build() -> Self {
        let mut t = CommandTable { by_name: HashMap::default(), all: Vec::new() };
        for fam in families() {
            for spec in fam {
                let id = t.all.len();
                t.all.push(spec);
                let mut subs = HashMap::default();
                for sub in spec.subcommands {
                    subs.insert(sub.name(), t.all.len());
                    t.all.push(sub);
                }
                let dup = t.by_name.insert(spec.full_name, Top { id, spec, subs });
                assert!(dup.is_none(), "duplicate command {}", spec.full_name);
            }
        }
        t
    }

    pub fn lookup(&self, args: Args<'_>) -> Result<Resolved, LookupError> {
        let mut buf = [0u8; NAME_BYTES_MAX];
        let name = lower(args.get(0), &mut buf).ok_or(LookupError::Unknown)?;
        let top = self.by_name.get(name).ok_or(LookupError::Unknown)?;
        if top.subs.is_empty() || args.len() < 2 {
            return Ok(Resolved { id: top.id, spec: top.spec });
        }
        let mut buf = [0u8; NAME_BYTES_MAX];
        let sub = lower(args.get(1), &mut buf).ok_or(LookupError::UnknownSub(top.spec))?;
        let &id = top.subs.get(sub).ok_or(LookupError::UnknownSub(top.spec))?;
        Ok(Resolved { id, spec: self.all[id] })
    }

    /// A top-level command by name (COMMAND INFO, COMMAND DOCS).
    pub fn get(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut buf = [0u8; NAME_BYTES_MAX];
        self.by_name.get(lower(name, &mut buf)?).map(|t| t.spec)
    }

    /// A command or a subcommand by full name ("config|get"), case-insensitively.
    pub fn get_any(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut buf = [0u8; NAME_BYTES_MAX];
        let name = lower(name, &mut buf)?;
        match name.split_once('|') {
            None => self.by_name.get(name).map(|t| t.spec),
            Some((parent, sub)) => {
                let top = self.by_name.get(parent)?;
                top.subs.get(sub).map(|&id| self.all[id])
            }
        }
    }

    /// Top-level commands, in table order.
    pub fn tops(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        let mut v: Vec<_> = self.by_name.values().map(|t| (t.id, t.spec)).collect();
        v.sort_by_key(|(id, _)| *id);
        v.into_iter().map(|(_, s)| s)
    }

    /// Every command and subcommand by id.
    pub fn all(&self) -> &[&'static CommandSpec] {
        &self.all
    }
}

pub fn table() -> &'static CommandTable {
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(CommandTable::build)
}

#[cfg(test)]
mod tests {
    use super::super::spec::{flags, BeginSearch, FindKeys};
    use super::*;

    fn check_row(c: &CommandSpec) {
        let n = c.full_name;
        assert_eq!(n, n.to_ascii_lowercase(), "{n}: names are lower-case");
        assert!(c.arity != 0, "{n}: arity 0");
        assert!(!(c.has(flags::WRITE) && c.has(flags::READONLY)), "{n}: write and readonly");
        for ks in c.keys {
            if let BeginSearch::Index(i) = ks.begin {
                assert!(i >= 1, "{n}: key index {i}");
                if c.arity > 0 {
                    assert!(i < c.arity, "{n}: key index past arity");
                }
            }
            if let FindKeys::Range { step, .. } | FindKeys::Keynum { step, .. } = ks.find {
                assert!(step >= 1, "{n}: step {step}");
            }
        }
        let movable = c.keys.iter().any(|k| !matches!(k.begin, BeginSearch::Index(_)) || !matches!(k.find, FindKeys::Range { .. }));
        if movable {
            assert!(c.has(flags::MOVABLEKEYS), "{n}: keys move but no movablekeys flag");
        }
        assert!(c.acl != 0, "{n}: no ACL category");
    }

    #[test]
    fn table_invariants() {
        let t = table();
        assert!(t.all().len() > 100);
        for c in t.tops() {
            check_row(c);
            if !c.subcommands.is_empty() {
                assert!(c.arity < 0, "{}: containers take a subcommand", c.full_name);
            }
            for s in c.subcommands {
                check_row(s);
                assert!(s.full_name.starts_with(&format!("{}|", c.full_name)), "{}", s.full_name);
            }
        }
    }
}
