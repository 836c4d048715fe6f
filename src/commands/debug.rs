//! DEBUG: hooks for tests and operators. DIGEST is the state fingerprint later tests compare
//! across restarts and replicas: it depends on every database, key, type, value and expiry,
//! and not on insertion order or memory layout.

use super::spec::{acl, flags, CommandSpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{lru, Entry, Value};

/// Digest of one key: SHA-1 over (db, key, type, value, expiry), each length-prefixed.
fn entry_digest(db: usize, e: &Entry) -> [u8; 20] {
    let mut h = sha1_smol::Sha1::new();
    let mut put = |b: &[u8]| {
        h.update(&(b.len() as u64).to_le_bytes());
        h.update(b);
    };
    put(&(db as u64).to_le_bytes());
    put(e.key());
    put(e.value.type_name().as_bytes());
    match &e.value {
        Value::Str(s) => put(&s.as_bytes()),
        // Pairs and members in any order (a table's order is its own): XOR of each one's
        // digest. Lists and sorted sets are ordered: their elements go in order.
        Value::Hash(hash) if hash.has_field_ttls() => {
            let with_ttl = hash.iter().map(|(f, v)| (f, [v, &hash.field_ttl(f).unwrap_or(-1).to_le_bytes()].concat()));
            put(&unordered(with_ttl));
        }
        Value::Hash(hash) => put(&unordered(hash.iter())),
        Value::Set(set) => put(&unordered(set.iter().map(|m| (m, &b""[..])))),
        Value::List(list) => {
            for item in list.iter() {
                put(item);
            }
        }
        Value::ZSet(z) => {
            for (m, s) in z.iter_from(0) {
                put(m);
                put(&s.to_le_bytes());
            }
        }
    }
    put(&e.expire_at_ms().unwrap_or(-1).to_le_bytes());
    h.digest().bytes()
}

/// XOR of the digests of (field, value) pairs: the same for any order.
fn unordered<F: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: impl Iterator<Item = (F, V)>) -> [u8; 20] {
    let mut acc = [0u8; 20];
    for (f, v) in pairs {
        let (f, v) = (f.as_ref(), v.as_ref());
        let mut p = sha1_smol::Sha1::new();
        p.update(&(f.len() as u64).to_le_bytes());
        p.update(f);
        p.update(v);
        for (a, b) in acc.iter_mut().zip(p.digest().bytes()) {
            *a ^= b;
        }
    }
    acc
}

fn hex(d: &[u8; 20]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The dataset digest: XOR of every key's digest, so order does not matter; all zeros when
/// the dataset is empty.
pub fn dataset_digest(srv: &crate::executor::Server) -> String {
    let mut acc = [0u8; 20];
    for db in &srv.dbs {
        for e in db.ks.iter() {
            for (a, b) in acc.iter_mut().zip(entry_digest(db.id, e)) {
                *a ^= b;
            }
        }
    }
    hex(&acc)
}

fn protocol(ctx: &mut Ctx<'_>) -> CmdResult {
    let out = &mut *ctx.out;
    match ctx.args.get(2).to_ascii_lowercase().as_slice() {
        b"string" => out.bulk(b"Hello World"),
        b"integer" => out.int(12345),
        // The value Redis's DEBUG PROTOCOL uses, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => out.double(3.141),
        b"bignum" => out.big_number(b"1234567999999999999999999999999999999"),
        b"null" => out.null(),
        b"array" | b"set" | b"map" => {
            let kind = ctx.args.get(2).to_ascii_lowercase();
            match kind.as_slice() {
                b"array" => out.array(3),
                b"set" => out.set(3),
                _ => out.map(3),
            }
            for j in 0..3 {
                out.int(j);
                if kind == b"map" {
                    out.bool(j == 1);
                }
            }
        }
        b"attrib" => {
            if out.resp3 {
                out.raw(b"|1\r\n");
                out.bulk(b"key-popularity");
                out.array(2);
                out.bulk(b"key:123");
                out.int(90);
            }
            out.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !out.resp3 {
                return Err("ERR RESP2 is not supported by this command".into());
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.int(42);
            out.bulk(b"Some real reply following the push reply");
        }
        b"true" => out.bool(true),
        b"false" => out.bool(false),
        b"verbatim" => out.verbatim(b"This is a verbatim\nstring"),
        _ => {
            return Err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false".into())
        }
    }
    Ok(())
}

fn object(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(2);
    let now = ctx.now_ms();
    let Some(e) = ctx.db().lookup(key, false, false) else {
        return Err(err::NO_SUCH_KEY.into());
    };
    let line = format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        std::ptr::from_ref(e),
        e.value.encoding_name(),
        e.value.heap_bytes().max(1),
        e.access,
        lru::idle_ms(e.access, now) / 1000
    );
    ctx.out.simple(&line);
    Ok(())
}

/// DEBUG RELOAD: a synchronous snapshot, then the databases emptied and loaded back from it
/// (Redis does the same with its RDB). Nothing is logged: the state does not change.
fn reload(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.srv.in_exec || ctx.srv.snapshots.running.is_some() {
        return Err("ERR Background save already in progress".into());
    }
    let done = ctx
        .srv
        .save_now(crate::executor::snapshot::Kind::Save)
        .map_err(|e| CmdError::from(format!("ERR Error trying to save the DB: {e}")))?;
    let fs = ctx.srv.fs.clone().ok_or("ERR the data directory is not open")?;
    let checked = crate::storage::snapshot::open(fs.as_ref(), &done.path)
        .map_err(|e| CmdError::from(format!("ERR Error trying to load the snapshot: {e}")))?;
    for db in 0..ctx.srv.dbs.len() {
        ctx.srv.flush_db(db, true);
    }
    ctx.srv.load_snapshot(&checked).map_err(|e| CmdError::from(format!("ERR Error trying to load the snapshot: {e}")))?;
    crate::log_notice!("DB reloaded by DEBUG RELOAD");
    ctx.out.ok();
    Ok(())
}

fn debug(ctx: &mut Ctx<'_>) -> CmdResult {
    let sub = ctx.arg(1).to_ascii_lowercase();
    match (sub.as_slice(), ctx.argc()) {
        (b"sleep", 3) => {
            let secs = crate::util::num::parse_f64(ctx.arg(2)).unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(3600.0)));
            }
            ctx.out.ok();
        }
        (b"digest", 2) => {
            let d = dataset_digest(ctx.srv);
            ctx.out.simple(&d);
        }
        (b"digest-value", _) => {
            let i = ctx.db_index();
            ctx.out.array(ctx.argc() - 2);
            for k in 2..ctx.argc() {
                let key = ctx.args.get(k);
                let d = ctx.srv.dbs[i].lookup(key, false, false).map_or([0u8; 20], |e| entry_digest(i, e));
                ctx.out.simple(&hex(&d));
            }
        }
        (b"object", 3) => return object(ctx),
        (b"protocol", 3) => return protocol(ctx),
        (b"set-active-expire", 3) => {
            ctx.srv.active_expire_enabled = ctx.arg(2) != b"0";
            ctx.out.ok();
        }
        (b"log", 3) => {
            crate::log_warning!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.arg(2)));
            ctx.out.ok();
        }
        (b"error", 3) => return Err(CmdError::from(ctx.arg(2).to_vec())),
        (b"reload", 2) => return reload(ctx),
        (b"help", 2) => {
            return super::keys::help_reply(
                ctx,
                "Subcommands are:",
                &[
                    "DIGEST",
                    "    A fingerprint of the whole dataset (all zeros when empty).",
                    "DIGEST-VALUE <key> [<key> ...]",
                    "    A fingerprint of each key.",
                    "ERROR <string>",
                    "    Replies with <string> as an error.",
                    "LOG <message>",
                    "    Writes <message> to the server log.",
                    "OBJECT <key>",
                    "    Low-level details of the value of <key>.",
                    "RELOAD",
                    "    Saves a snapshot, empties the databases and loads them back from it.",
                    "PROTOCOL <type>",
                    "    A reply of the given RESP type.",
                    "SET-ACTIVE-EXPIRE <0|1>",
                    "    Turns the active expiry cycle off or on.",
                    "SLEEP <seconds>",
                    "    Blocks the server for <seconds> (decimals allowed).",
                ],
            )
        }
        _ => return Err(super::subcommand_syntax_error(ctx.args)),
    }
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::new("debug", -2, debug)
    .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
    .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
    .doc("server", "1.0.0")];
