//! INFO: the server's state in Redis's sections and field names, so monitoring tools that
//! parse Redis's INFO parse Keel's. Fields Keel has no counterpart for yet report Redis's
//! idle values (0, "ok", -1).

use std::fmt::Write as _;

use super::connection::REDIS_VERSION;
use super::spec::{acl, flags, CommandSpec};
use super::table::table;
use super::{CmdResult, Ctx};
use crate::executor::{unix_us, Server};
use crate::util::memory;

/// Sections in the order INFO prints them; `true` if part of the default set.
const SECTIONS: [(&str, bool); 13] = [
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// Which sections a list of INFO arguments selects.
fn selected(args: &[Vec<u8>]) -> Vec<&'static str> {
    let want = |name: &str, default: bool| {
        if args.is_empty() {
            return default;
        }
        args.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a == name.as_bytes() || a == b"all" || a == b"everything" || (a == b"default" && default)
        })
    };
    SECTIONS.iter().filter(|(n, d)| want(n, *d)).map(|(n, _)| *n).collect()
}

/// Bytes in Redis's human form (`1.50M`).
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    let units =
        [("", 1.0), ("K", 1024.0), ("M", 1024.0 * 1024.0), ("G", 1024.0 * 1024.0 * 1024.0), ("T", 1024f64.powi(4)), ("P", 1024f64.powi(5))];
    for (i, (u, size)) in units.iter().enumerate().rev() {
        if n >= *size || i == 0 {
            return if i == 0 { format!("{n}B") } else { format!("{:.2}{u}", n / size) };
        }
    }
    format!("{n}B")
}

fn section_server(s: &Server, out: &mut String) {
    let up = s.uptime_secs();
    let _ = write!(
        out,
        "redis_version:{REDIS_VERSION}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nkeel_version:{}\r\nos:{} {}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{up}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
        env!("CARGO_PKG_VERSION"),
        memory::os_name(),
        std::env::consts::ARCH,
        s.info.pid,
        s.info.run_id,
        s.info.tcp_port,
        unix_us(),
        up / 86_400,
        s.config.hz,
        s.config.hz,
        crate::db::lru::lru_clock(s.clock.now()),
        s.info.executable,
        s.config.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
    );
}

fn section_clients(s: &Server, out: &mut String) {
    let max_in = s.clients.iter().map(|(_, c)| c.qbuf_bytes).max().unwrap_or(0);
    let max_out = s.clients.iter().map(|(_, c)| c.obuf_bytes).max().unwrap_or(0);
    let (blocked, in_timeout) =
        s.clients.iter().filter_map(|(_, c)| c.blocked).fold((0, 0), |(n, t), b| (n + 1, t + usize::from(b.deadline_ms != 0)));
    let _ = write!(
        out,
        "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{max_in}\r\nclient_recent_max_output_buffer:{max_out}\r\nblocked_clients:{blocked}\r\ntracking_clients:0\r\nclients_in_timeout_table:{in_timeout}\r\n",
        s.clients.len(),
        s.config.maxclients
    );
}

fn section_memory(s: &Server, out: &mut String) {
    let m = memory::sample();
    let maxmem = s.config.maxmemory_bytes;
    let dataset = m.allocated.saturating_sub(m.startup);
    let total = memory::total_system_memory();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let _ = write!(
        out,
        "used_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{}\r\nused_memory_startup:{}\r\nused_memory_dataset:{dataset}\r\nused_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{}\r\nallocator_active:{}\r\nallocator_resident:{}\r\ntotal_system_memory:{total}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:0\r\nused_memory_vm_eval:0\r\nused_memory_lua_human:0B\r\nused_memory_scripts_eval:0\r\nnumber_of_cached_scripts:0\r\nnumber_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:0\r\nused_memory_vm_total:0\r\nused_memory_vm_total_human:0B\r\nused_memory_functions:0\r\nused_memory_scripts:0\r\nused_memory_scripts_human:0B\r\nmaxmemory:{maxmem}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:{:.2}\r\nallocator_frag_bytes:{}\r\nallocator_rss_ratio:{:.2}\r\nallocator_rss_bytes:{}\r\nrss_overhead_ratio:{:.2}\r\nrss_overhead_bytes:{}\r\nmem_fragmentation_ratio:{:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:{}\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:jemalloc\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
        m.allocated,
        human_bytes(m.allocated),
        m.rss,
        human_bytes(m.rss),
        m.peak,
        human_bytes(m.peak),
        ratio(m.allocated, m.peak) * 100.0,
        m.startup,
        m.startup,
        ratio(dataset, m.allocated) * 100.0,
        m.allocated,
        m.active,
        m.resident,
        human_bytes(total),
        human_bytes(maxmem),
        s.config.maxmemory_policy,
        ratio(m.active, m.allocated),
        m.active.saturating_sub(m.allocated),
        ratio(m.resident, m.active),
        m.resident.saturating_sub(m.active),
        ratio(m.rss, m.resident),
        m.rss.saturating_sub(m.resident),
        ratio(m.rss, m.allocated),
        m.rss.saturating_sub(m.allocated),
        s.clients.iter().map(|(_, c)| c.qbuf_bytes + c.obuf_bytes + c.multi_bytes).sum::<usize>(),
        s.lazyfree.pending(),
        s.lazyfree.freed(),
    );
}

fn section_persistence(s: &Server, out: &mut String) {
    use crate::executor::snapshot::Kind;
    let sn = &s.snapshots;
    let running = sn.running.as_ref();
    let in_progress = |k: Kind| i32::from(running.is_some_and(|r| r.kind == k));
    let current_secs = |k: Kind| running.filter(|r| r.kind == k).map_or(-1, |r| r.started.elapsed().as_secs() as i64);
    let status = |ok: bool| if ok { "ok" } else { "err" };
    let _ = write!(
        out,
        "loading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:{}\r\ncurrent_save_keys_total:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:{}\r\naof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        if running.is_some() { s.snapshot_keys_done() } else { 0 },
        running.map_or(0, |r| r.keys_total),
        sn.dirty,
        in_progress(Kind::Save),
        s.last_save_secs,
        status(sn.save.last_ok),
        sn.save.last_secs,
        current_secs(Kind::Save),
        sn.save.count,
        sn.loaded_keys,
        i32::from(s.config.appendonly),
        in_progress(Kind::Rewrite),
        i32::from(sn.scheduled == Some(Kind::Rewrite)),
        sn.rewrite.last_secs,
        current_secs(Kind::Rewrite),
        status(sn.rewrite.last_ok),
        sn.rewrite.count,
        sn.rewrite.consecutive_failures,
    );
    if let Some(log) = &s.log {
        log_fields(s, log, out);
    }
    let _ = write!(
        out,
        "keel_snapshot_offset:{}\r\nkeel_snapshot_bytes:{}\r\nkeel_snapshot_keys:{}\r\nkeel_snapshot_step_max_usec:{}\r\nkeel_snapshot_step_max_wall_usec:{}\r\nkeel_snapshot_step_max_minflt:{}\r\nkeel_log_since_snapshot_bytes:{}\r\n",
        sn.last_offset,
        sn.last_file_bytes,
        sn.last_keys,
        sn.last_step_max_us,
        sn.last_step_wall_max_us,
        sn.last_step_max_minflt,
        s.written_offset.saturating_sub(sn.last_offset),
    );
}

/// Redis's AOF fields where they mean something for the log, then Keel's own: the written and
/// durable offsets and the fsync count and latency histogram.
fn log_fields(s: &Server, log: &crate::storage::log_writer::LogWriter, out: &mut String) {
    use crate::storage::log_writer::FSYNC_BUCKETS_USEC;
    if log.failure().is_some() {
        *out = out.replace("aof_last_write_status:ok", "aof_last_write_status:err");
    }
    let (written, durable) = (log.written_offset(), log.durable_offset());
    let st = log.stats();
    let _ = write!(
        out,
        "aof_current_size:{written}\r\naof_base_size:{}\r\naof_pending_rewrite:0\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:0\r\nkeel_log_appended_offset:{}\r\nkeel_log_written_offset:{written}\r\nkeel_log_durable_offset:{durable}\r\nkeel_log_fsyncs:{}\r\nkeel_log_fsync_latency_usec:",
        s.snapshots.last_file_bytes,
        s.written_offset.saturating_sub(written),
        i32::from(durable < written),
        s.written_offset,
        st.fsyncs,
    );
    for (i, n) in st.fsync_usec_histogram.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        match FSYNC_BUCKETS_USEC.get(i) {
            Some(le) => {
                let _ = write!(out, "{sep}le{le}={n}");
            }
            None => {
                let _ = write!(out, "{sep}inf={n}");
            }
        }
    }
    let _ = write!(
        out,
        "\r\nkeel_log_rolls:{}\r\nkeel_log_roll_max_usec:{}\r\nkeel_log_inline_write_max_usec:{}\r\n",
        st.rolls, st.roll_usec_max, st.inline_write_usec_max
    );
    if let Some(why) = log.failure() {
        let _ = write!(out, "keel_log_error:{}\r\n", why.replace(['\r', '\n'], " "));
    }
}

fn section_stats(s: &Server, out: &mut String) {
    let st = &s.stats;
    let (hits, misses, expired) = s.dbs.iter().fold((0, 0, 0), |a, d| (a.0 + d.stats.hits, a.1 + d.stats.misses, a.2 + d.stats.expired));
    let _ = write!(
        out,
        "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:{expired}\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:0\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{hits}\r\nkeyspace_misses:{misses}\r\npubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0\r\nunexpected_error_replies:0\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
        st.connections_received,
        st.commands_processed,
        st.ops_per_sec,
        st.net_input_bytes,
        st.net_output_bytes,
        st.input_kbps,
        st.output_kbps,
        st.rejected_connections,
        st.expire_cycle_us_this / 1000,
        st.error_replies,
        st.reads_processed,
        st.writes_processed,
    );
}

fn section_replication(s: &Server, out: &mut String) {
    let _ = write!(
        out,
        "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
        s.info.run_id
    );
}

fn section_cpu(out: &mut String) {
    let (user, sys) = memory::cpu_seconds("/proc/self/stat");
    let (tuser, tsys) = memory::cpu_seconds("/proc/thread-self/stat");
    let _ = write!(
        out,
        "used_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\nused_cpu_sys_main_thread:{tsys:.6}\r\nused_cpu_user_main_thread:{tuser:.6}\r\n"
    );
}

fn section_commandstats(s: &Server, out: &mut String) {
    for (id, st) in s.cmdstats.iter().enumerate() {
        if st.calls == 0 && st.rejected == 0 && st.failed == 0 {
            continue;
        }
        let per = if st.calls == 0 { 0.0 } else { st.usec as f64 / st.calls as f64 };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={per:.2},rejected_calls={},failed_calls={}\r\n",
            table().all()[id].full_name,
            st.calls,
            st.usec,
            st.rejected,
            st.failed
        );
    }
}

fn section_errorstats(s: &Server, out: &mut String) {
    for (code, n) in &s.stats.errors_by_code {
        let _ = write!(out, "errorstat_{code}:count={n}\r\n");
    }
}

fn section_keyspace(s: &Server, out: &mut String) {
    for db in &s.dbs {
        if !db.is_empty() {
            let _ = write!(out, "db{}:keys={},expires={},avg_ttl=0\r\n", db.id, db.len(), db.ks.volatile_len());
        }
    }
}

/// The INFO text for the given section arguments.
pub fn info_text(s: &Server, args: &[Vec<u8>]) -> String {
    let mut out = String::new();
    for name in selected(args) {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let title = match name {
            "cpu" => "CPU".to_string(),
            n => {
                let mut t = n.to_string();
                t[..1].make_ascii_uppercase();
                t
            }
        };
        let _ = write!(out, "# {title}\r\n");
        match name {
            "server" => section_server(s, &mut out),
            "clients" => section_clients(s, &mut out),
            "memory" => section_memory(s, &mut out),
            "persistence" => section_persistence(s, &mut out),
            "stats" => section_stats(s, &mut out),
            "replication" => section_replication(s, &mut out),
            "cpu" => section_cpu(&mut out),
            "commandstats" => section_commandstats(s, &mut out),
            "errorstats" => section_errorstats(s, &mut out),
            "cluster" => out.push_str("cluster_enabled:0\r\n"),
            "keyspace" => section_keyspace(s, &mut out),
            _ => {}
        }
    }
    out
}

fn info(ctx: &mut Ctx<'_>) -> CmdResult {
    let args: Vec<Vec<u8>> = (1..ctx.argc()).map(|i| ctx.arg(i).to_vec()).collect();
    let text = info_text(ctx.srv, &args);
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::new("info", -1, info)
    .flags(flags::LOADING | flags::STALE)
    .acl(acl::SLOW | acl::DANGEROUS)
    .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
    .doc("server", "1.0.0")];
