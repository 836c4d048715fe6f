//! DUMP and RESTORE. The payload is Redis's: the value in RDB encoding (the snapshot's value
//! encoding, `storage::codec`), the RDB version as 2 little-endian bytes, and the CRC-64 of
//! everything before it as 8 little-endian bytes. So a payload moves between Keel and Redis
//! 7.0 in both directions (Keel never LZF-compresses, so a long compressible string's payload
//! differs from Redis's bytes, while each server reads the other's).

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{err, CmdResult, Ctx};
use crate::db::lru;
use crate::db::SetTtl;
use crate::storage::codec::{self, Reader};
use crate::util::crc64::crc64;

/// Redis 7.0's RDB version: payloads from newer versions are refused, as Redis 7.0 does.
pub const RDB_VERSION: u16 = 10;

/// The DUMP payload of a value.
pub fn payload(v: &crate::db::Value) -> Vec<u8> {
    let mut out = Vec::new();
    codec::put_value(&mut out, v);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks version and checksum; returns the value bytes.
fn verify(p: &[u8]) -> Option<&[u8]> {
    if p.len() < 10 {
        return None;
    }
    let (body, crc) = p.split_at(p.len() - 8);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version > RDB_VERSION || crc64(body) != u64::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    Some(&body[..body.len() - 2])
}

fn dump(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(1);
    match ctx.db().get(key) {
        Some(e) => {
            let p = payload(&e.value);
            ctx.out.bulk(&p);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn restore(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < ctx.argc() {
        let more = j + 1 < ctx.argc();
        if ctx.arg_is(j, "REPLACE") {
            replace = true;
        } else if ctx.arg_is(j, "ABSTTL") {
            absttl = true;
        } else if ctx.arg_is(j, "IDLETIME") && more && freq.is_none() {
            let v = ctx.arg_i64(j + 1)?;
            if v < 0 {
                return Err("ERR Invalid IDLETIME value, must be >= 0".into());
            }
            idle = Some(v);
            j += 1;
        } else if ctx.arg_is(j, "FREQ") && more && idle.is_none() {
            let v = ctx.arg_i64(j + 1)?;
            if !(0..=255).contains(&v) {
                return Err("ERR Invalid FREQ value, must be >= 0 and <= 255".into());
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    let key = ctx.arg(1).to_vec();
    if !replace && ctx.db().get_quiet(&key).is_some() {
        return Err("BUSYKEY Target key name already exists.".into());
    }
    let ttl = ctx.arg_i64(2)?;
    if ttl < 0 {
        return Err("ERR Invalid TTL value, must be >= 0".into());
    }
    let Some(body) = verify(ctx.arg(3)) else { return Err("ERR DUMP payload version or checksum are wrong".into()) };
    let mut r = Reader::new(body);
    // Like Redis, bytes after the value are ignored.
    let Ok(value) = r.value() else { return Err("ERR Bad data format".into()) };
    let deleted = replace && ctx.db().remove(&key).is_some();
    let now = ctx.now_ms();
    let at = match (ttl, absttl) {
        (0, _) => None,
        (t, true) => Some(t),
        (t, false) => Some(now.saturating_add(t)),
    };
    if at.is_some_and(|at| at <= now) && !ctx.replaying() {
        // Already expired: Redis creates nothing (and logs the deletion it made, if any).
        if deleted {
            ctx.log_as(&[b"DEL", &key]);
        } else {
            ctx.srv.effects.suppress();
        }
        ctx.out.ok();
        return Ok(());
    }
    let payload_arg = ctx.arg(3).to_vec();
    let db = ctx.db();
    db.set(&key, value, at.map_or(SetTtl::Clear, SetTtl::At));
    let (lfu, now) = (db.clock().lfu.get(), db.clock().now());
    if let Some(e) = db.get_mut_cosmetic(&key) {
        if let Some(secs) = idle.filter(|_| !lfu) {
            let clock = lru::lru_clock(now.saturating_sub(secs.saturating_mul(1000)));
            e.access = clock;
        }
        if let Some(f) = freq.filter(|_| lfu) {
            e.access = (e.access & !0xFF) | u32::try_from(f).unwrap_or(0);
        }
    }
    // Logged with an absolute expiry: a relative TTL would not replay to the same state.
    let mut argv: Vec<Vec<u8>> = vec![b"RESTORE".to_vec(), key, at.unwrap_or(0).to_string().into_bytes(), payload_arg];
    if replace {
        argv.push(b"REPLACE".to_vec());
    }
    if at.is_some() {
        argv.push(b"ABSTTL".to_vec());
    }
    let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    ctx.log_as(&refs);
    ctx.out.ok();
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dump", 2, dump)
        .flags(flags::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)], (1, 1, 1))
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.6.0"),
    CommandSpec::new("restore", -4, restore)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
        .keys(&[KeySpec::index(kflags::OW | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("generic", "2.6.0"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Str, Value};

    #[test]
    fn payloads_match_redis_bytes() {
        // Taken from redis-server 7.0.15: DUMP of SET k hello, and of SET k 12345.
        let hello = [0x00, 0x05, b'h', b'e', b'l', b'l', b'o', 0x0a, 0x00, 0x63, 0x72, 0xdf, 0x76, 0x65, 0x34, 0x20, 0x0a];
        assert_eq!(payload(&Value::Str(Str::from_bytes(b"hello"))), hello.to_vec());
        let int = [0x00, 0xc1, 0x39, 0x30, 0x0a, 0x00, 0x9d, 0x94, 0xea, 0x27, 0x93, 0xfc, 0x08, 0xb9];
        assert_eq!(payload(&Value::Str(Str::Int(12345))), int.to_vec());
        let mut bad = payload(&Value::Str(Str::Int(1)));
        bad[1] ^= 1;
        assert!(verify(&bad).is_none());
    }
}
