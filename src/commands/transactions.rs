//! MULTI/EXEC/DISCARD/WATCH/UNWATCH with Redis's semantics: a command that fails to queue
//! dooms the transaction (EXECABORT), a runtime error inside EXEC does not roll back the
//! others, and a watched key changed by anyone — a write, an expiry, a flush — makes EXEC
//! reply with a null array.

use super::spec::{acl, flags, kflags, CommandSpec, KeySpec};
use super::{CmdResult, Ctx};

fn multi(ctx: &mut Ctx<'_>) -> CmdResult {
    let c = ctx.client();
    if c.in_multi {
        return Err("ERR MULTI calls can not be nested".into());
    }
    c.in_multi = true;
    ctx.out.ok();
    Ok(())
}

fn discard(ctx: &mut Ctx<'_>) -> CmdResult {
    if !ctx.client_ref().in_multi {
        return Err("ERR DISCARD without MULTI".into());
    }
    let slot = ctx.slot;
    ctx.client().discard_multi();
    ctx.srv.watch.unwatch_all(&mut ctx.srv.clients, slot);
    ctx.out.ok();
    Ok(())
}

fn exec(ctx: &mut Ctx<'_>) -> CmdResult {
    if !ctx.client_ref().in_multi {
        return Err("ERR EXEC without MULTI".into());
    }
    let slot = ctx.slot;
    let now = ctx.now_ms();
    let srv = &mut *ctx.srv;
    let expired = srv.watch.any_expired_since_watch(&srv.clients, slot, &srv.dbs, now);
    let c = srv.clients.get_mut(slot);
    let (aborted, cas_failed) = (c.dirty_exec, c.dirty_cas || expired);
    let queued = std::mem::take(&mut c.multi);
    c.discard_multi();
    // Unwatch before running: the transaction's own writes must not look like interference.
    srv.watch.unwatch_all(&mut srv.clients, slot);
    if aborted {
        return Err("EXECABORT Transaction discarded because of previous errors.".into());
    }
    if cas_failed {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array(queued.len());
    ctx.srv.in_exec = true;
    for q in &queued {
        let r = crate::commands::table::Resolved { id: q.id, spec: q.spec };
        ctx.srv.call(slot, r, q.args.as_args(), ctx.out);
    }
    ctx.srv.in_exec = false;
    Ok(())
}

fn watch(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.client_ref().in_multi {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    if !ctx.client_ref().dirty_cas {
        let (slot, db, now) = (ctx.slot, ctx.db_index(), ctx.now_ms());
        for k in 1..ctx.argc() {
            let key = ctx.args.get(k);
            let srv = &mut *ctx.srv;
            let expired = srv.dbs[db].ks.get(key).is_some_and(|e| e.is_expired(now));
            srv.watch.watch(&mut srv.clients, slot, db, key, expired);
        }
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx<'_>) -> CmdResult {
    let slot = ctx.slot;
    ctx.srv.watch.unwatch_all(&mut ctx.srv.clients, slot);
    ctx.client().dirty_cas = false;
    ctx.out.ok();
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("multi", 1, multi)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .doc("transactions", "1.2.0"),
    CommandSpec::new("exec", 1, exec)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::SKIP_SLOWLOG)
        .acl(acl::SLOW | acl::TRANSACTION)
        .doc("transactions", "1.2.0"),
    CommandSpec::new("discard", 1, discard)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .doc("transactions", "2.0.0"),
    CommandSpec::new("watch", -2, watch)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .keys(&[KeySpec::index(kflags::RO, 1, -1, 1)], (1, -1, 1))
        .doc("transactions", "2.2.0"),
    CommandSpec::new("unwatch", 1, unwatch)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .doc("transactions", "2.2.0"),
];
