//! Every bound the server enforces, in one place. Each name carries its unit; configurable
//! bounds give their default here and live in `config.rs` at run time.

/// A `*N` or `$N` header, or an inline request, that has no line end within this many bytes
/// is refused (Redis's `PROTO_INLINE_MAX_SIZE`).
pub const INLINE_LINE_BYTES_MAX: usize = 64 * 1024;

/// Largest multibulk count a client may announce (Redis refuses counts above `INT_MAX`).
/// Nothing is allocated from the announced count: argv grows as arguments arrive.
pub const MULTIBULK_ARGS_MAX: usize = i32::MAX as usize;

/// Default for `proto-max-bulk-len`: the largest single argument.
pub const PROTO_MAX_BULK_LEN_DEFAULT_BYTES: u64 = 512 * 1024 * 1024;

/// Before authentication a client may only send tiny requests (Redis's rule).
pub const UNAUTH_MULTIBULK_ARGS_MAX: usize = 10;
/// Before authentication a client may only send tiny requests (Redis's rule).
pub const UNAUTH_BULK_LEN_BYTES_MAX: u64 = 16 * 1024;

/// Default for `client-query-buffer-limit`: unparsed bytes buffered per client.
pub const QUERY_BUFFER_BYTES_MAX_DEFAULT: u64 = 1024 * 1024 * 1024;

/// How many argv slots the parser reserves up front, whatever count the client announced.
pub const ARGV_PREALLOC_MAX: usize = 1024;

/// Read buffer size for one `read(2)`; the buffer grows past it only for large arguments.
pub const READ_CHUNK_BYTES: usize = 16 * 1024;

/// Commands executed for one connection before yielding to the others, so a deep pipeline
/// cannot starve other clients.
pub const COMMANDS_PER_TURN_MAX: usize = 1024;

/// Output bytes buffered for one connection before it stops reading more requests
/// (back-pressure for pipelines whose replies the client does not read).
pub const OUTPUT_PENDING_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Largest string value (`proto-max-bulk-len` is the default cap, Redis's 512 MB rule
/// for SETRANGE/APPEND/SETBIT growth).
pub const STRING_BYTES_MAX_DEFAULT: u64 = 512 * 1024 * 1024;

/// Maximum accepted clients (`maxclients` default).
pub const CLIENTS_MAX_DEFAULT: u64 = 10_000;

/// Keyspace shards per database: each grows on its own, so no single insert rehashes more
/// than `keys / KEYSPACE_SHARDS` entries.
pub const KEYSPACE_SHARDS: usize = 4096;

/// Slow-log entries kept by default, and arguments / bytes kept per entry (Redis's numbers).
pub const SLOWLOG_ARGS_MAX: usize = 32;
/// Bytes kept per slow-log argument.
pub const SLOWLOG_ARG_BYTES_MAX: usize = 128;

/// Samples kept per latency event (Redis keeps 160).
pub const LATENCY_HISTORY_SAMPLES_MAX: usize = 160;

/// Active expiry: one slice of work never runs longer than this, so a mass expiry adds at
/// most this much to any client's latency.
pub const EXPIRE_SLICE_MICROS_MAX: u64 = 200;
/// Active expiry never takes more than this share of the executor (percent).
pub const EXPIRE_CPU_PERCENT_MAX: u64 = 25;

/// Largest `DEBUG SLEEP`/`CLIENT PAUSE` style waits accept any value; this caps scan work per
/// SCAN call in shards visited (the reply still holds every key of each visited shard).
pub const SCAN_SHARDS_PER_CALL_MAX: usize = KEYSPACE_SHARDS;

const _: () = assert!(KEYSPACE_SHARDS.is_power_of_two());
const _: () = assert!(UNAUTH_MULTIBULK_ARGS_MAX < ARGV_PREALLOC_MAX);
const _: () = assert!(INLINE_LINE_BYTES_MAX <= READ_CHUNK_BYTES * 4);

/// Most elements SRANDMEMBER, HRANDFIELD and ZRANDMEMBER reply to a negative count (picks
/// with repeats). Redis streams any count into the client's buffer until memory runs out;
/// Keel refuses a count past this with an error instead.
pub const RANDOM_REPEATS_MAX: u64 = 10_000_000;
