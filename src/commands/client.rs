//! CLIENT: connection introspection and control (ID, names, LIST/INFO, KILL, PAUSE, REPLY...).

use super::keys::help_reply;
use super::spec::{acl, flags, CommandSpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::executor::client::Unblock;
use crate::executor::{unix_ms, Client, ReplyMode};

/// Client names and library attributes must be printable without spaces (they appear in
/// CLIENT LIST lines).
pub fn validate_name(n: &[u8]) -> Result<(), CmdError> {
    if n.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err("ERR Client names cannot contain spaces, newlines or special characters.".into());
    }
    Ok(())
}

fn client_id(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = ctx.client_ref().id;
    ctx.out.int(i64::try_from(id).unwrap_or(i64::MAX));
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_>) -> CmdResult {
    let n = ctx.arg(2);
    validate_name(n)?;
    ctx.client().name = (!n.is_empty()).then(|| n.to_vec());
    ctx.out.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.client_ref().name.clone() {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
    Ok(())
}

fn client_setinfo(ctx: &mut Ctx<'_>) -> CmdResult {
    let (attr, val) = (ctx.arg(2), ctx.arg(3));
    let lib_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !lib_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        return Err(super::error_with(&[b"ERR Unrecognized option '", attr, b"'"]));
    }
    if val.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(super::error_with(&[b"ERR ", attr, b" cannot contain spaces, newlines or special characters."]));
    }
    let v = (!val.is_empty()).then(|| val.to_vec());
    let c = ctx.client();
    if lib_name {
        c.lib_name = v;
    } else {
        c.lib_ver = v;
    }
    ctx.out.ok();
    Ok(())
}

/// One CLIENT LIST line, with Redis 7's fields (plus 7.2's lib-name and lib-ver).
fn client_line(c: &Client, now: i64) -> String {
    let s = |v: &Option<Vec<u8>>| v.as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
    let multi = if c.in_multi { c.multi.len() as i64 } else { -1 };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs={} rbp={} obl={} oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        s(&c.name),
        (now - c.created_ms) / 1000,
        (now - c.last_interaction_ms) / 1000,
        c.flags_text(),
        c.db,
        multi,
        c.qbuf_bytes,
        crate::limits::READ_CHUNK_BYTES.saturating_sub(c.qbuf_bytes),
        c.multi_bytes,
        crate::limits::READ_CHUNK_BYTES,
        crate::limits::READ_CHUNK_BYTES,
        c.obuf_bytes,
        c.obuf_bytes,
        crate::limits::READ_CHUNK_BYTES + c.obuf_bytes + c.multi_bytes,
        c.last_cmd,
        if c.resp3 { 3 } else { 2 },
        s(&c.lib_name),
        s(&c.lib_ver),
    )
}

fn client_info(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut line = client_line(ctx.client_ref(), unix_ms());
    line.push('\n');
    ctx.out.verbatim(line.as_bytes());
    Ok(())
}

/// Client type names accepted by CLIENT LIST/KILL TYPE.
fn known_type(t: &[u8]) -> bool {
    ["normal", "master", "replica", "slave", "pubsub"].iter().any(|n| t.eq_ignore_ascii_case(n.as_bytes()))
}

fn client_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut only_normal, mut ids) = (true, None::<Vec<u64>>);
    let mut i = 2;
    while i < ctx.argc() {
        if ctx.arg_is(i, "TYPE") && i + 1 < ctx.argc() {
            let t = ctx.arg(i + 1);
            if !known_type(t) {
                return Err(super::error_with(&[b"ERR Unknown client type '", t, b"'"]));
            }
            only_normal = t.eq_ignore_ascii_case(b"normal");
            i += 2;
        } else if ctx.arg_is(i, "ID") && i + 1 < ctx.argc() {
            let mut v = Vec::new();
            for j in i + 1..ctx.argc() {
                let id = crate::util::num::parse_i64(ctx.arg(j)).ok_or(CmdError::from("ERR Invalid client ID"))?;
                v.push(u64::try_from(id).unwrap_or(0));
            }
            ids = Some(v);
            i = ctx.argc();
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let now = unix_ms();
    let mut text = String::new();
    for (_, c) in ctx.srv.clients.iter() {
        if !only_normal || ids.as_ref().is_some_and(|v| !v.contains(&c.id)) {
            continue;
        }
        text.push_str(&client_line(c, now));
        text.push('\n');
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

#[derive(Default)]
struct KillFilter<'a> {
    id: Option<u64>,
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    normal_only: Option<bool>,
    skipme: bool,
}

fn parse_kill_filter<'a>(ctx: &Ctx<'a>) -> Result<KillFilter<'a>, CmdError> {
    let mut f = KillFilter { skipme: true, ..KillFilter::default() };
    let mut i = 2;
    while i < ctx.argc() {
        if i + 1 >= ctx.argc() {
            return Err(err::SYNTAX.into());
        }
        let v = ctx.arg(i + 1);
        match ctx.arg(i).to_ascii_lowercase().as_slice() {
            b"id" => {
                let n =
                    crate::util::num::parse_i64(v).filter(|&n| n >= 1).ok_or(CmdError::from("ERR client-id should be greater than 0"))?;
                f.id = Some(n.unsigned_abs());
            }
            b"type" => {
                if !known_type(v) {
                    return Err(super::error_with(&[b"ERR Unknown client type '", v, b"'"]));
                }
                f.normal_only = Some(v.eq_ignore_ascii_case(b"normal"));
            }
            b"addr" => f.addr = Some(v),
            b"laddr" => f.laddr = Some(v),
            b"user" if v != b"default" => return Err(super::error_with(&[b"ERR No such user '", v, b"'"])),
            b"user" => {}
            b"skipme" if v.eq_ignore_ascii_case(b"yes") => f.skipme = true,
            b"skipme" if v.eq_ignore_ascii_case(b"no") => f.skipme = false,
            _ => return Err(err::SYNTAX.into()),
        }
        i += 2;
    }
    Ok(f)
}

fn client_kill(ctx: &mut Ctx<'_>) -> CmdResult {
    let old_form = ctx.argc() == 3;
    let f = if old_form { KillFilter { addr: Some(ctx.arg(2)), ..KillFilter::default() } } else { parse_kill_filter(ctx)? };
    let me = ctx.slot;
    let mut killed = 0;
    for (slot, c) in ctx.srv.clients.iter_mut() {
        let matches = f.id.is_none_or(|id| c.id == id)
            && f.addr.is_none_or(|a| a == c.addr.as_bytes())
            && f.laddr.is_none_or(|a| a == c.laddr.as_bytes())
            && f.normal_only != Some(false)
            && !(f.skipme && slot == me);
        if matches {
            killed += 1;
            if slot == me {
                c.close_after_reply = true;
            } else {
                c.close_asap = true;
                c.wake.raise();
            }
        }
    }
    if old_form {
        if killed == 0 {
            return Err("ERR No such client".into());
        }
        ctx.out.ok();
    } else {
        ctx.out.int(killed);
    }
    Ok(())
}

/// A timeout in milliseconds made absolute, with Redis's three errors.
pub fn timeout_ms_arg(ctx: &Ctx<'_>, i: usize) -> Result<i64, CmdError> {
    let ms = crate::util::num::parse_i64(ctx.arg(i)).ok_or(CmdError::from("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err("ERR timeout is negative".into());
    }
    if ms == 0 {
        return Ok(0);
    }
    let now = ctx.now_ms();
    if ms > i64::MAX - now {
        return Err("ERR timeout is out of range".into());
    }
    Ok(ms + now)
}

fn client_pause(ctx: &mut Ctx<'_>) -> CmdResult {
    // The mode is checked before the timeout, as Redis does.
    let writes_only = match ctx.argc() {
        3 => false,
        4 if ctx.arg_is(3, "WRITE") => true,
        4 if ctx.arg_is(3, "ALL") => false,
        4 => return Err("ERR CLIENT PAUSE mode must be WRITE or ALL".into()),
        _ => return Err(super::subcommand_syntax_error(ctx.args)),
    };
    let until = match timeout_ms_arg(ctx, 2)? {
        0 => unix_ms(),
        t => t,
    };
    let p = &mut ctx.srv.pause;
    // A pause only ever extends or widens, as in Redis.
    if p.until_ms == 0 || !writes_only || p.writes_only {
        p.writes_only = writes_only && (p.until_ms == 0 || p.writes_only);
    }
    p.until_ms = p.until_ms.max(until);
    ctx.out.ok();
    Ok(())
}

fn client_unpause(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.srv.end_pause();
    ctx.out.ok();
    Ok(())
}

fn client_unblock(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.argc() > 4 {
        return Err(super::subcommand_syntax_error(ctx.args));
    }
    if ctx.argc() == 4 && !ctx.arg_is(3, "TIMEOUT") && !ctx.arg_is(3, "ERROR") {
        return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into());
    }
    let id = ctx.arg_i64(2)?;
    let reason = if ctx.argc() == 4 && ctx.arg_is(3, "ERROR") { Unblock::Error } else { Unblock::Timeout };
    let target = u64::try_from(id).ok().and_then(|id| ctx.srv.clients.slot_of(id));
    let c = target.map(|slot| ctx.srv.clients.get_mut(slot));
    let unblocked = match c.and_then(|c| c.blocked.as_mut().map(|b| (b, &c.wake))) {
        Some((b, wake)) => {
            b.unblocked = Some(reason);
            wake.raise();
            1
        }
        None => 0,
    };
    ctx.out.int(unblocked);
    Ok(())
}

/// Argument `i` as ON or OFF (any case), else a syntax error.
fn on_off(ctx: &Ctx<'_>, i: usize) -> Result<bool, CmdError> {
    if ctx.arg_is(i, "ON") {
        Ok(true)
    } else if ctx.arg_is(i, "OFF") {
        Ok(false)
    } else {
        Err(err::SYNTAX.into())
    }
}

fn client_no_evict(ctx: &mut Ctx<'_>) -> CmdResult {
    let on = on_off(ctx, 2)?;
    ctx.client().no_evict = on;
    ctx.out.ok();
    Ok(())
}

fn client_reply(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.arg_is(2, "ON") {
        ctx.client().reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if ctx.arg_is(2, "OFF") {
        ctx.client().reply_mode = ReplyMode::Off;
    } else if ctx.arg_is(2, "SKIP") {
        let c = ctx.client();
        if c.reply_mode != ReplyMode::Off {
            c.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(err::SYNTAX.into());
    }
    Ok(())
}

fn client_getredir(ctx: &mut Ctx<'_>) -> CmdResult {
    // Tracking is never on yet, so there is no redirection.
    ctx.out.int(-1);
    Ok(())
}

fn client_trackinginfo(ctx: &mut Ctx<'_>) -> CmdResult {
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(1);
    out.bulk(b"off");
    out.bulk(b"redirect");
    out.int(-1);
    out.bulk(b"prefixes");
    out.array(0);
    Ok(())
}

fn client_caching(_ctx: &mut Ctx<'_>) -> CmdResult {
    Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled".into())
}

fn client_tracking(ctx: &mut Ctx<'_>) -> CmdResult {
    let on = on_off(ctx, 2)?;
    let mut j = 3;
    while j < ctx.argc() {
        let more = j + 1 < ctx.argc();
        if (ctx.arg_is(j, "REDIRECT") || ctx.arg_is(j, "PREFIX")) && more {
            j += 2;
        } else if ["BCAST", "OPTIN", "OPTOUT", "NOLOOP"].iter().any(|o| ctx.arg_is(j, o)) {
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    if on {
        // Client-side caching arrives with its own issue; refusing is better than pretending.
        return Err("ERR CLIENT TRACKING is not supported by Keel yet".into());
    }
    ctx.out.ok();
    Ok(())
}

fn client_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "Subcommands are:",
        &[
            "GETNAME",
            "    The name of this connection.",
            "ID",
            "    The id of this connection.",
            "INFO",
            "    Information about this connection, as one CLIENT LIST line.",
            "KILL <ip:port> | <option> <value> [<option> <value> ...]",
            "    Closes connections chosen by ID, TYPE, ADDR, LADDR, USER or SKIPME.",
            "LIST [TYPE <type>] [ID <id> [<id> ...]]",
            "    One line of information per connection.",
            "NO-EVICT (ON|OFF)",
            "    Protects this connection from client eviction.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Holds commands of all clients (or only writes) for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Turns replies to this connection's commands on or off, or skips the next one.",
            "SETINFO <LIB-NAME|LIB-VER> <value>",
            "    Records the client library's name or version.",
            "SETNAME <name>",
            "    Names this connection.",
            "UNBLOCK <id> [TIMEOUT|ERROR]",
            "    Unblocks a client blocked in a blocking command.",
            "UNPAUSE",
            "    Ends a CLIENT PAUSE.",
        ],
    )
}

const CONN: u32 = acl::SLOW | acl::CONNECTION;
const ADMIN_CONN: u32 = acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION;
const F: u32 = flags::NOSCRIPT | flags::LOADING | flags::STALE;
const FA: u32 = flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE;

const SUBS: &[CommandSpec] = &[
    CommandSpec::new("client|id", 2, client_id).flags(F).acl(CONN).doc("connection", "5.0.0"),
    CommandSpec::new("client|setname", 3, client_setname).flags(F).acl(CONN).doc("connection", "2.6.9"),
    CommandSpec::new("client|getname", 2, client_getname).flags(F).acl(CONN).doc("connection", "2.6.9"),
    CommandSpec::new("client|setinfo", 4, client_setinfo)
        .flags(F)
        .acl(CONN)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc("connection", "7.2.0"),
    CommandSpec::new("client|list", -2, client_list)
        .flags(FA)
        .acl(ADMIN_CONN)
        .tips(&["nondeterministic_output"])
        .doc("connection", "2.4.0"),
    CommandSpec::new("client|info", 2, client_info).flags(F).acl(CONN).tips(&["nondeterministic_output"]).doc("connection", "6.2.0"),
    CommandSpec::new("client|kill", -3, client_kill).flags(FA).acl(ADMIN_CONN).doc("connection", "2.4.0"),
    CommandSpec::new("client|pause", -3, client_pause).flags(FA).acl(ADMIN_CONN).doc("connection", "2.9.50"),
    CommandSpec::new("client|unpause", 2, client_unpause).flags(FA).acl(ADMIN_CONN).doc("connection", "6.2.0"),
    CommandSpec::new("client|unblock", -3, client_unblock).flags(FA).acl(ADMIN_CONN).doc("connection", "5.0.0"),
    CommandSpec::new("client|no-evict", 3, client_no_evict).flags(FA).acl(ADMIN_CONN).doc("connection", "7.0.0"),
    CommandSpec::new("client|reply", 3, client_reply).flags(F).acl(CONN).doc("connection", "3.2.0"),
    CommandSpec::new("client|help", 2, client_help).flags(flags::LOADING | flags::STALE).acl(CONN).doc("connection", "5.0.0"),
    CommandSpec::new("client|getredir", 2, client_getredir).flags(F).acl(CONN).doc("connection", "6.0.0"),
    CommandSpec::new("client|tracking", -3, client_tracking).flags(F).acl(CONN).doc("connection", "6.0.0"),
    CommandSpec::new("client|trackinginfo", 2, client_trackinginfo).flags(F).acl(CONN).doc("connection", "6.2.0"),
    CommandSpec::new("client|caching", 3, client_caching).flags(F).acl(CONN).doc("connection", "6.0.0"),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::container("client", -2, SUBS).acl(acl::SLOW).doc("connection", "2.4.0")];
