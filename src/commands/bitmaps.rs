//! Bitmap commands over string values. The bit arithmetic lives in `types::bitops`; here are
//! the argument rules and the keyspace side, including Redis's rule that a write which
//! changes no bit and grows nothing is not a write.

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::strings::read_str;
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::{Db, SetTtl, Str, Value};
use crate::types::bitops::{self, BitOp, FieldType, Overflow};

fn bit_offset(ctx: &Ctx<'_>, i: usize, ty: Option<FieldType>) -> Result<u64, CmdError> {
    let max = i64::try_from(ctx.srv.config.proto_max_bulk_len).unwrap_or(i64::MAX);
    bitops::parse_offset_with_limit(ctx.arg(i), ty, max).ok_or(CmdError::from(err::BIT_OFFSET))
}

/// The bytes of the string at `key` for writing, created empty if absent, grown with zeros to
/// hold `min_len` bytes. Records the write.
fn bytes_for_write<'a>(db: &'a mut Db, key: &[u8], min_len: usize) -> &'a mut Vec<u8> {
    if db.get_quiet(key).is_none() {
        db.set(key, Value::Str(Str::raw(Vec::new())), SetTtl::Clear);
    }
    let Some(e) = db.get_mut(key) else { unreachable!("key created just above") };
    let Value::Str(s) = &mut e.value else { unreachable!("callers check the type first") };
    let v = s.make_raw();
    if v.len() < min_len {
        v.resize(min_len, 0);
    }
    v
}

fn setbit(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = bit_offset(ctx, 2, None)?;
    let on = match ctx.arg_i64(3) {
        Ok(0) => false,
        Ok(1) => true,
        _ => return Err(err::BIT_VALUE.into()),
    };
    let key = ctx.arg(1);
    let db = ctx.db();
    let byte = usize::try_from(offset >> 3).unwrap_or(usize::MAX);
    let old = match read_str_quiet(db, key)? {
        Some(s) => {
            let bytes = s.as_bytes();
            let old = bitops::get_bit(&bytes, offset);
            if old == on && byte < bytes.len() {
                // Redis makes the string "raw" even when no bit changes.
                if let Some(e) = db.get_mut_cosmetic(key) {
                    if let Value::Str(s) = &mut e.value {
                        s.make_raw();
                    }
                }
                ctx.out.int(i64::from(old));
                return Ok(());
            }
            old
        }
        None => false,
    };
    bitops::set_bit(bytes_for_write(db, key, byte + 1), offset, on);
    ctx.out.int(i64::from(old));
    Ok(())
}

fn read_str_quiet<'a>(db: &'a mut Db, key: &[u8]) -> Result<Option<&'a Str>, CmdError> {
    match db.get_quiet(key).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        #[allow(unreachable_patterns)]
        Some(_) => Err(err::WRONGTYPE.into()),
    }
}

fn getbit(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = bit_offset(ctx, 2, None)?;
    let key = ctx.arg(1);
    let bit = read_str(ctx.db(), key)?.is_some_and(|s| bitops::get_bit(&s.as_bytes(), offset));
    ctx.out.int(i64::from(bit));
    Ok(())
}

/// The optional BYTE|BIT unit argument at `i`.
fn unit_arg(ctx: &Ctx<'_>, i: usize) -> Result<bool, CmdError> {
    if ctx.arg_is(i, "BIT") {
        Ok(true)
    } else if ctx.arg_is(i, "BYTE") {
        Ok(false)
    } else {
        Err(err::SYNTAX.into())
    }
}

fn bitcount(ctx: &mut Ctx<'_>) -> CmdResult {
    // Redis 7.0 looks the key up before it parses the range: a missing key is 0 whatever
    // follows it.
    let key = ctx.arg(1);
    let i = ctx.db_index();
    let Some(bytes) = read_str(&mut ctx.srv.dbs[i], key)?.map(|s| s.as_bytes().into_owned()) else {
        ctx.out.int(0);
        return Ok(());
    };
    let n = match ctx.argc() {
        2 => bitops::popcount(&bytes),
        4 | 5 => {
            let (s, e) = (ctx.arg_i64(2)?, ctx.arg_i64(3)?);
            // Redis answers an empty negative range before it reads the unit.
            if s < 0 && e < 0 && s > e {
                0
            } else {
                let bit = if ctx.argc() == 5 { unit_arg(ctx, 4)? } else { false };
                bitops::bitcount_range(&bytes, s, e, bit)
            }
        }
        _ => return Err(err::SYNTAX.into()),
    };
    ctx.out.int(i64::try_from(n).unwrap_or(i64::MAX));
    Ok(())
}

fn bitpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let bit = match ctx.arg_i64(2)? {
        0 => false,
        1 => true,
        _ => return Err("ERR The bit argument must be 1 or 0.".into()),
    };
    let key = ctx.arg(1);
    let i = ctx.db_index();
    let Some(bytes) = read_str(&mut ctx.srv.dbs[i], key)?.map(|s| s.as_bytes().into_owned()) else {
        ctx.out.int(if bit { -1 } else { 0 });
        return Ok(());
    };
    if ctx.argc() > 6 {
        return Err(err::SYNTAX.into());
    }
    let start = if ctx.argc() >= 4 { Some(ctx.arg_i64(3)?) } else { None };
    let unit_bit = if ctx.argc() == 6 { unit_arg(ctx, 5)? } else { false };
    let end = if ctx.argc() >= 5 { Some(ctx.arg_i64(4)?) } else { None };
    ctx.out.int(bitops::bitpos(&bytes, bit, start, end, unit_bit));
    Ok(())
}

fn bitop(ctx: &mut Ctx<'_>) -> CmdResult {
    let op = match ctx.arg(1).to_ascii_lowercase().as_slice() {
        b"and" => BitOp::And,
        b"or" => BitOp::Or,
        b"xor" => BitOp::Xor,
        b"not" => BitOp::Not,
        _ => return Err(err::SYNTAX.into()),
    };
    if op == BitOp::Not && ctx.argc() != 4 {
        return Err("ERR BITOP NOT must be called with a single source key.".into());
    }
    let i = ctx.db_index();
    let mut srcs: Vec<Vec<u8>> = Vec::with_capacity(ctx.argc() - 3);
    for k in 3..ctx.argc() {
        let key = ctx.arg(k);
        srcs.push(read_str(&mut ctx.srv.dbs[i], key)?.map(|s| s.as_bytes().into_owned()).unwrap_or_default());
    }
    let refs: Vec<&[u8]> = srcs.iter().map(Vec::as_slice).collect();
    let res = bitops::bitop(op, &refs);
    let (dest, len) = (ctx.arg(2), res.len());
    let db = &mut ctx.srv.dbs[i];
    if res.is_empty() {
        db.remove(dest);
    } else {
        db.set(dest, Value::Str(Str::raw(res)), SetTtl::Clear);
    }
    ctx.out.int(len as i64);
    Ok(())
}

enum FieldOp {
    Get,
    Set(i64),
    Incr(i64),
}

/// Parses BITFIELD's operations; returns them with the overflow policy in force for each.
fn parse_field_ops(ctx: &Ctx<'_>) -> Result<Vec<(FieldOp, FieldType, u64, Overflow)>, CmdError> {
    let mut ops = Vec::new();
    let mut ov = Overflow::Wrap;
    let mut j = 2;
    while j < ctx.argc() {
        let rem = ctx.argc() - j - 1;
        let name = ctx.arg(j).to_ascii_lowercase();
        let kind = match name.as_slice() {
            b"get" if rem >= 2 => 0,
            b"set" if rem >= 3 => 1,
            b"incrby" if rem >= 3 => 2,
            b"overflow" if rem >= 1 => {
                ov = match ctx.arg(j + 1).to_ascii_lowercase().as_slice() {
                    b"wrap" => Overflow::Wrap,
                    b"sat" => Overflow::Sat,
                    b"fail" => Overflow::Fail,
                    _ => return Err("ERR Invalid OVERFLOW type specified".into()),
                };
                j += 2;
                continue;
            }
            _ => return Err(err::SYNTAX.into()),
        };
        let ty = FieldType::parse(ctx.arg(j + 1)).ok_or_else(|| CmdError::from(format!("ERR {}", bitops::ERR_BITFIELD_TYPE)))?;
        let offset = bit_offset(ctx, j + 2, Some(ty))?;
        let op = match kind {
            0 => FieldOp::Get,
            1 => FieldOp::Set(ctx.arg_i64(j + 3)?),
            _ => FieldOp::Incr(ctx.arg_i64(j + 3)?),
        };
        j += if kind == 0 { 3 } else { 4 };
        ops.push((op, ty, offset, ov));
    }
    Ok(ops)
}

fn bitfield_generic(ctx: &mut Ctx<'_>, readonly_cmd: bool) -> CmdResult {
    let ops = parse_field_ops(ctx)?;
    let key = ctx.arg(1);
    let writes = ops.iter().any(|(op, ..)| !matches!(op, FieldOp::Get));
    let i = ctx.db_index();
    if !writes {
        let bytes = read_str(&mut ctx.srv.dbs[i], key)?.map(|s| s.as_bytes().into_owned()).unwrap_or_default();
        ctx.out.array(ops.len());
        for (_, ty, off, _) in &ops {
            ctx.out.int(bitops::get_field(&bytes, *off, *ty));
        }
        return Ok(());
    }
    if readonly_cmd {
        return Err("ERR BITFIELD_RO only supports the GET subcommand".into());
    }
    read_str_quiet(&mut ctx.srv.dbs[i], key)?;
    // Redis sizes the string for every write before running any of them.
    let highest_bit = ops.iter().filter(|(op, ..)| !matches!(op, FieldOp::Get)).map(|(_, ty, off, _)| off + u64::from(ty.bits) - 1).max();
    let min_len = highest_bit.map_or(0, |b| usize::try_from(b / 8 + 1).unwrap_or(usize::MAX));
    let bytes = bytes_for_write(&mut ctx.srv.dbs[i], key, min_len);
    ctx.out.array(ops.len());
    for (op, ty, off, ov) in ops {
        let r = match op {
            FieldOp::Get => Some(bitops::get_field(bytes, off, ty)),
            FieldOp::Set(v) => bitops::set_field_with_overflow(bytes, off, ty, v, ov),
            FieldOp::Incr(by) => bitops::incr_field(bytes, off, ty, by, ov),
        };
        match r {
            Some(n) => ctx.out.int(n),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn bitfield(ctx: &mut Ctx<'_>) -> CmdResult {
    bitfield_generic(ctx, false)
}

fn bitfield_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    bitfield_generic(ctx, true)
}

/// BITFIELD only reads its key when every operation is a GET (syntax errors count as writes).
fn bitfield_keys(args: crate::protocol::Args<'_>) -> Vec<(usize, u32)> {
    let mut i = 2;
    let mut readonly = true;
    while i < args.len() {
        let rem = args.len() - i - 1;
        let a = args.get(i);
        if a.eq_ignore_ascii_case(b"get") && rem >= 2 {
            i += 3;
        } else if a.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
            i += 2;
        } else {
            readonly = false;
            break;
        }
    }
    vec![(1, if readonly { kflags::RO | kflags::ACCESS } else { kflags::RW | kflags::ACCESS | kflags::UPDATE })]
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("setbit", 4, setbit)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE, 1, 0, 1)], (1, 1, 1))
        .doc("bitmap", "2.2.0"),
    CommandSpec::new("getbit", 3, getbit)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::BITMAP | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)], (1, 1, 1))
        .doc("bitmap", "2.2.0"),
    CommandSpec::new("bitcount", -2, bitcount)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)], (1, 1, 1))
        .doc("bitmap", "2.6.0"),
    CommandSpec::new("bitpos", -3, bitpos)
        .flags(flags::READONLY)
        .acl(acl::READ | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)], (1, 1, 1))
        .doc("bitmap", "2.8.7"),
    CommandSpec::new("bitop", -4, bitop)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::index(kflags::OW | kflags::UPDATE, 2, 0, 1), KeySpec::index(kflags::RO | kflags::ACCESS, 3, -1, 1)], (2, -1, 1))
        .doc("bitmap", "2.6.0"),
    CommandSpec::new("bitfield", -2, bitfield)
        .flags(flags::WRITE | flags::DENYOOM)
        .acl(acl::WRITE | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::index(kflags::RW | kflags::ACCESS | kflags::UPDATE | kflags::VARIABLE_FLAGS, 1, 0, 1)], (1, 1, 1))
        .getkeys(bitfield_keys)
        .doc("bitmap", "3.2.0"),
    CommandSpec::new("bitfield_ro", -2, bitfield_ro)
        .flags(flags::READONLY | flags::FAST)
        .acl(acl::READ | acl::BITMAP | acl::FAST)
        .keys(&[KeySpec::index(kflags::RO | kflags::ACCESS, 1, 0, 1)], (1, 1, 1))
        .doc("bitmap", "6.0.0"),
];
