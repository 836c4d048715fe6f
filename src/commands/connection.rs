//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, SELECT, AUTH.

use super::keys::db_index_arg;
use super::spec::{acl, flags, CommandSpec};
use super::{err, CmdError, CmdResult, Ctx};
use crate::executor::ReplyMode;

/// The version Keel reports to clients: the Redis release whose replies it follows.
pub const REDIS_VERSION: &str = "7.0.15";

fn ping(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.argc() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(ctx.args.get(1)),
        _ => return Err(ctx.arity_error()),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.bulk(ctx.args.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.client().close_after_reply = true;
    ctx.out.ok();
    Ok(())
}

fn select(ctx: &mut Ctx<'_>) -> CmdResult {
    let db = db_index_arg(ctx, 1)?;
    ctx.client().db = db;
    ctx.out.ok();
    Ok(())
}

/// Checks credentials of the (only, for now) "default" user.
fn check_credentials(ctx: &Ctx<'_>, user: &[u8], pass: &[u8]) -> bool {
    user == b"default" && ctx.srv.config.requirepass.as_deref().is_none_or(|p| p == pass)
}

fn auth(ctx: &mut Ctx<'_>) -> CmdResult {
    let (user, pass) = match ctx.argc() {
        2 => {
            if ctx.srv.config.requirepass.is_none() {
                return Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into());
            }
            (&b"default"[..], ctx.arg(1))
        }
        3 => (ctx.arg(1), ctx.arg(2)),
        _ => return Err(err::SYNTAX.into()),
    };
    if !check_credentials(ctx, user, pass) {
        return Err(err::WRONGPASS.into());
    }
    ctx.client().authenticated = true;
    ctx.out.ok();
    Ok(())
}

fn hello(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut ver = None;
    let mut j = 1;
    if ctx.argc() >= 2 {
        let v = ctx.arg_i64(1).map_err(|_| CmdError::from("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err("NOPROTO unsupported protocol version".into());
        }
        ver = Some(v);
        j = 2;
    }
    let (mut creds, mut name) = (None, None);
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if ctx.arg_is(j, "AUTH") && more >= 2 {
            creds = Some((ctx.arg(j + 1), ctx.arg(j + 2)));
            j += 3;
        } else if ctx.arg_is(j, "SETNAME") && more >= 1 {
            name = Some(ctx.arg(j + 1));
            j += 2;
        } else {
            let mut m = b"ERR Syntax error in HELLO option '".to_vec();
            m.extend_from_slice(ctx.arg(j));
            m.push(b'\'');
            return Err(m.into());
        }
    }
    if let Some((u, p)) = creds {
        if !check_credentials(ctx, u, p) {
            return Err(err::WRONGPASS.into());
        }
        ctx.client().authenticated = true;
    }
    if !ctx.client_ref().authenticated {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
    }
    if let Some(n) = name {
        super::client::validate_name(n)?;
        ctx.client().name = (!n.is_empty()).then(|| n.to_vec());
    }
    if let Some(v) = ver {
        let resp3 = v == 3;
        ctx.client().resp3 = resp3;
        ctx.out.resp3 = resp3;
    }
    let (id, resp3) = (ctx.client_ref().id, ctx.client_ref().resp3);
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(i64::try_from(id).unwrap_or(i64::MAX));
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.empty_array();
    Ok(())
}

fn reset(ctx: &mut Ctx<'_>) -> CmdResult {
    let slot = ctx.slot;
    let srv = &mut *ctx.srv;
    srv.watch.unwatch_all(&mut srv.clients, slot);
    srv.monitors.retain(|&s| s != slot);
    let needs_auth = srv.config.requirepass.is_some();
    let c = srv.clients.get_mut(slot);
    c.discard_multi();
    c.db = 0;
    c.resp3 = false;
    c.name = None;
    c.monitor = false;
    c.no_evict = false;
    c.reply_mode = ReplyMode::On;
    c.authenticated = !needs_auth;
    ctx.out.resp3 = false;
    ctx.out.simple("RESET");
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, ping)
        .flags(flags::FAST)
        .acl(acl::FAST | acl::CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("connection", "1.0.0"),
    CommandSpec::new("echo", 2, echo)
        .flags(flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0"),
    CommandSpec::new("quit", -1, quit)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0"),
    CommandSpec::new("reset", 1, reset)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "6.2.0"),
    CommandSpec::new("hello", -1, hello)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "6.0.0"),
    CommandSpec::new("select", 2, select)
        .flags(flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0"),
    CommandSpec::new("auth", -2, auth)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0"),
];
