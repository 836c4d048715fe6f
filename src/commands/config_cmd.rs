//! CONFIG GET/SET/RESETSTAT/REWRITE. The grammar of every directive lives in `config`; here
//! are the replies and the side effects of a change.

use super::keys::help_reply;
use super::spec::{acl, flags, CommandSpec};
use super::{CmdError, CmdResult, Ctx};
use crate::executor::{CmdStat, Stats};

fn config_get(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut add = |name: String, value: String| {
        if !found.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            found.push((name, value));
        }
    };
    for i in 2..ctx.argc() {
        let pat = String::from_utf8_lossy(ctx.arg(i)).into_owned();
        if pat.contains(['*', '?', '[']) {
            for (name, value) in ctx.srv.config.matching(pat.as_bytes()) {
                add(name.to_string(), value);
            }
        } else if let Some(v) = ctx.srv.config.get(&pat) {
            // An exact name is echoed as the client wrote it, as Redis does.
            add(pat.clone(), v.to_string());
        }
    }
    // Keel's data directory is reported absolute, as Redis reports its working directory.
    let dir = std::fs::canonicalize(&ctx.srv.config.dir).unwrap_or_else(|_| ctx.srv.config.dir.clone());
    ctx.out.map(found.len());
    for (name, value) in found {
        ctx.out.bulk_str(&name);
        if name.eq_ignore_ascii_case("dir") {
            ctx.out.bulk(dir.display().to_string().as_bytes());
        } else {
            ctx.out.bulk(value.as_bytes());
        }
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.argc() % 2 != 0 {
        return Err(super::err::SYNTAX.into());
    }
    let pairs: Vec<(String, String)> = (2..ctx.argc())
        .step_by(2)
        .map(|i| (String::from_utf8_lossy(ctx.arg(i)).into_owned(), String::from_utf8_lossy(ctx.arg(i + 1)).into_owned()))
        .collect();
    let was_appendonly = ctx.srv.config.appendonly;
    ctx.srv.config.set_many(&pairs).map_err(CmdError::from)?;
    ctx.srv.apply_config();
    crate::util::log::set_level(&ctx.srv.config.loglevel);
    // Turning the log on can fail (a full disk, a failed snapshot): say so, and leave the
    // setting as it was, as Redis does.
    if ctx.srv.fs.is_some() && ctx.srv.config.appendonly != ctx.srv.log.is_some() {
        let old = if was_appendonly { "yes" } else { "no" };
        let _ = ctx.srv.config.set_many(&[("appendonly".to_string(), old.to_string())]);
        return Err(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - the log could not be turned on or off, see the server log"
                .into(),
        );
    }
    ctx.out.ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx<'_>) -> CmdResult {
    let srv = &mut *ctx.srv;
    srv.stats = Stats::default();
    srv.cmdstats.iter_mut().for_each(|s| *s = CmdStat::default());
    for db in &mut srv.dbs {
        db.stats = crate::db::DbStats::default();
    }
    srv.slowlog.reset();
    srv.latency.reset(&[]);
    if let Some(log) = &srv.log {
        log.reset_stats();
    }
    ctx.out.ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(path) = ctx.srv.config.config_file.clone() else {
        return Err("ERR The server is running without a config file".into());
    };
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let text = ctx.srv.config.rewrite_text(&old);
    crate::storage::io::durable_replace(&path, text.as_bytes()).map_err(|e| CmdError::from(format!("ERR Rewriting config file: {e}")))?;
    crate::log_notice!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "Subcommands are:",
        &[
            "GET <pattern>",
            "    Parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Sets the directive to the value (several pairs may be given).",
            "RESETSTAT",
            "    Resets the statistics INFO reports.",
            "REWRITE",
            "    Writes the current configuration back to the file the server started with.",
        ],
    )
}

const SUBS: &[CommandSpec] = &[
    CommandSpec::new("config|get", -3, config_get)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "2.0.0"),
    CommandSpec::new("config|set", -4, config_set)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc("server", "2.0.0"),
    CommandSpec::new("config|resetstat", 2, config_resetstat)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "2.0.0"),
    CommandSpec::new("config|rewrite", 2, config_rewrite)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "2.8.0"),
    CommandSpec::new("config|help", 2, config_help).flags(flags::LOADING | flags::STALE).acl(acl::SLOW).doc("server", "5.0.0"),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::container("config", -2, SUBS).acl(acl::SLOW).doc("server", "2.0.0")];
