//! The crash-recovery harness shared by the property test (`tests/it/crash_property.rs`,
//! proptest) and the seeded long run (`keel-crashsim` in `tools/`): a write history runs
//! through the real executor and log writer on `SimFs`, power is lost at a chosen step (each
//! unsynced page kept, lost or torn independently; for odd seeds one bit of the kept unsynced
//! tail also flipped), and a fresh executor recovers. The
//! recovered state must equal the state after some prefix of the history that contains every
//! acknowledged step: nothing acknowledged lost, nothing unattempted present, no MULTI half
//! applied.
//!
//! Snapshots: a step may start one. Its capture is then walked a few slices after every
//! command (so writes hit keys before and after the walk reaches them), and when the walk
//! ends the compactor runs its whole protocol (write, fsync, wait for the log, rename,
//! prune). For a third of the seeds the power is cut after a seeded number of file
//! operations (`Faults::power_cut_after_ops`): every step of the log's and the snapshot's
//! protocols fails from that operation on, as when the machine dies there.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::commands::debug::dataset_digest;
use crate::config::Config;
use crate::executor::snapshot::Kind;
use crate::executor::Server;
use crate::protocol::{Out, OwnedArgs};
use crate::server::durability;
use crate::storage::compactor;
use crate::storage::sim::{Faults, SimFs};

const KEYS: [&str; 4] = ["a", "b", "c", "d"];

/// One step of a history: a command (or a MULTI block), whether to wait for its reply, and
/// whether to start a snapshot first.
#[derive(Debug, Clone)]
pub struct Step {
    pub commands: Vec<Vec<String>>,
    pub wait_for_ack: bool,
    pub snapshot: bool,
}

/// Command number `kind` (34 kinds of writes over four keys and three databases; string,
/// hash, list, set and sorted-set commands meet on the same keys, so WRONGTYPE replies are
/// part of the histories; SPOP is random, so its logged effect is what replays).
pub fn command(kind: u8, k: usize, v: u16) -> Vec<String> {
    let key = KEYS[k % KEYS.len()].to_string();
    let other = KEYS[(k + 1) % KEYS.len()].to_string();
    let v = v.to_string();
    let field = format!("f{}", v.len() % 3);
    let member = format!("m{}", v.len() % 3);
    let words: Vec<&str> = match kind % 34 {
        0 => vec!["SET", &key, &v],
        1 => vec!["SET", &key, &v, "EX", "100000"],
        2 => vec!["INCR", &key],
        3 => vec!["APPEND", &key, &v],
        4 => vec!["DEL", &key],
        5 => vec!["INCRBYFLOAT", &key, "1.5"],
        6 => vec!["SETRANGE", &key, "3", &v],
        7 => vec!["SETBIT", &key, &v, "1"],
        8 => vec!["PFADD", &key, &v],
        9 => vec!["EXPIRE", &key, "50000"],
        10 => vec!["PERSIST", &key],
        11 => vec!["RENAME", &key, &other],
        12 => vec!["COPY", &key, &other, "DB", "1", "REPLACE"],
        13 => vec!["MOVE", &key, "2"],
        14 => vec!["SWAPDB", "0", "1"],
        15 => vec!["GETEX", &key, "PX", "900000"],
        16 => vec!["FLUSHDB"],
        17 => vec!["FLUSHALL"],
        18 => vec!["HSET", &key, &field, &v, "f9", "x"],
        19 => vec!["HDEL", &key, &field],
        20 => vec!["HINCRBYFLOAT", &key, &field, "1.5"],
        21 => vec!["HINCRBY", &key, "n", "2"],
        22 => vec!["LPUSH", &key, &v, "x"],
        23 => vec!["RPOP", &key, "2"],
        24 => vec!["LMOVE", &key, &other, "LEFT", "RIGHT"],
        25 => vec!["LTRIM", &key, "1", "-1"],
        26 => vec!["SADD", &key, &v, "f9"],
        27 => vec!["SPOP", &key],
        28 => vec!["SMOVE", &key, &other, "f9"],
        29 => vec!["ZADD", &key, &v, &member],
        30 => vec!["ZINCRBY", &key, "1.5", "m0"],
        31 => vec!["ZPOPMIN", &key],
        32 => vec!["ZUNIONSTORE", &other, "2", &key, &other],
        _ => vec!["SORT", &key, "ALPHA", "STORE", &other],
    };
    words.into_iter().map(str::to_string).collect()
}

/// A step from its parts: several commands become a MULTI block when `multi`.
pub fn step_of(cmds: Vec<Vec<String>>, wait_for_ack: bool, multi: bool) -> Step {
    let commands = if multi && cmds.len() > 1 {
        let mut v = vec![vec!["MULTI".to_string()]];
        v.extend(cmds);
        v.push(vec!["EXEC".to_string()]);
        v
    } else {
        cmds[..1].to_vec()
    };
    Step { commands, wait_for_ack, snapshot: false }
}

/// A seeded random history of `len` steps.
pub fn random_history(seed: u64, len: usize) -> Vec<Step> {
    let mut x = seed | 1;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..len)
        .map(|_| {
            let n = 1 + (rnd() % 3) as usize;
            let cmds = (0..n).map(|_| command(rnd() as u8, (rnd() % 4) as usize, (rnd() % 300) as u16)).collect();
            let mut s = step_of(cmds, rnd() % 2 == 0, rnd() % 4 == 0);
            s.snapshot = rnd() % 6 == 0;
            s
        })
        .collect()
}

/// An executor with the log on `fs` (recovering whatever is there).
pub fn server(fs: &SimFs) -> Result<Server, String> {
    let mut config = Config::default();
    config.dir = PathBuf::from("/data");
    // Small segments: histories cross many segment boundaries.
    config.segment_size_bytes = 4096;
    let mut srv = Server::new(config);
    durability::open_with(&mut srv, Arc::new(fs.clone()))?;
    Ok(srv)
}

pub fn run(srv: &mut Server, slot: usize, words: &[String]) {
    let args = OwnedArgs::from_slices(words);
    let mut out = Out::new(false);
    srv.execute(slot, args.as_args(), &mut out);
}

pub fn released(srv: &Server) -> u64 {
    srv.log.as_ref().map_or(0, crate::storage::log_writer::LogWriter::released_offset)
}

/// A snapshot the harness drives by hand: the capture in the executor, the compactor inline.
struct Snap {
    job: Option<compactor::Job>,
    /// Walk slices after each command.
    slices: u64,
    /// The dataset's digest when the capture began: the image must hold exactly that.
    expect: String,
}

impl Snap {
    fn start(srv: &mut Server, seed: u64) -> Snap {
        let expect = dataset_digest(srv);
        let job = srv.snapshot_begin(Kind::Rewrite).ok().and_then(|h| srv.compactor_job(h).ok()).map(|make| make());
        Snap { job, slices: 1 + seed % 40, expect }
    }

    /// Walks a few slices; at the end of the walk, runs the compactor's protocol and checks
    /// the file's image. Ok(true) when the snapshot is over (whatever its outcome).
    fn advance(&mut self, srv: &mut Server, fs: &SimFs) -> Result<bool, String> {
        let Some(job) = &mut self.job else { return Ok(true) };
        for _ in 0..self.slices {
            let walked = srv.snapshot_step(Duration::ZERO);
            for (raw, keys) in srv.snapshot_blocks() {
                job.block(&raw, keys);
            }
            if walked {
                let (dbs, last) = srv.snapshot_end();
                let mut job = self.job.take().expect("job present");
                for (raw, keys) in last {
                    job.block(&raw, keys);
                }
                let result = job.finish(&dbs);
                srv.snapshot_finished(&result);
                if let Ok(done) = result {
                    let image = image_digest(fs, &done.path)?;
                    if image != self.expect {
                        return Err(format!(
                            "snapshot {} holds {image}, the dataset was {} when it began",
                            done.path.display(),
                            self.expect
                        ));
                    }
                }
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The digest of what a snapshot file holds, loaded into a fresh executor.
pub fn image_digest(fs: &SimFs, path: &std::path::Path) -> Result<String, String> {
    let checked = crate::storage::snapshot::open(fs, path)?;
    let mut config = Config::default();
    config.dir = PathBuf::from("/nowhere");
    let mut fresh = Server::new(config);
    fresh.load_snapshot(&checked)?;
    Ok(dataset_digest(&fresh))
}

fn damage_newest_snapshot(fs: &SimFs) {
    let dir = PathBuf::from("/data/log");
    let Some((_, _, name)) = compactor::list_snapshots(fs, &dir).ok().and_then(|v| v.last().cloned()) else { return };
    let path = dir.join(name);
    let len = fs.contents(&path).map_or(0, |c| c.len());
    if len > 0 {
        let _ = fs.flip_bit(&path, len / 2, 5);
    }
}

/// Runs `history` up to `crash_at`, loses power, recovers, and checks the recovered state.
pub fn check(seed: u64, history: &[Step], crash_at: usize) -> Result<(), String> {
    let fs = SimFs::new(seed);
    let mut srv = server(&fs)?;
    let slot = srv.connect("test".into(), String::new(), -1);
    if seed % 3 == 2 {
        fs.set_faults(Faults { power_cut_after_ops: Some((seed / 3) % 400), ..Faults::default() });
    }
    let mut snap: Option<Snap> = None;
    // digests[i]: the state after the first i steps; holds[i]: the log offset step i waits for.
    let mut digests = vec![dataset_digest(&srv)];
    let mut holds = Vec::new();
    for s in &history[..crash_at.min(history.len())] {
        if s.snapshot && snap.is_none() {
            snap = Some(Snap::start(&mut srv, seed));
        }
        for words in &s.commands {
            run(&mut srv, slot, words);
            let over = match snap.as_mut() {
                Some(sn) => sn.advance(&mut srv, &fs)?,
                None => false,
            };
            if over {
                snap = None;
            }
        }
        let hold = srv.clients.get(slot).hold_until;
        holds.push(hold);
        digests.push(dataset_digest(&srv));
        if s.wait_for_ack {
            let deadline = Instant::now() + Duration::from_secs(10);
            while released(&srv) < hold {
                if fs.is_cut() {
                    break; // the power is out: this step is never acknowledged
                }
                if Instant::now() > deadline {
                    return Err(format!("the log never released offset {hold}"));
                }
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }
    // Acknowledged: every step whose record the log had released before the power loss.
    let released_before = released(&srv);
    let acked = holds.iter().rposition(|&h| h <= released_before).map_or(0, |i| i + 1);
    // Half the crashes also garble a bit of what reached the disk unsynced.
    if seed % 2 == 1 {
        fs.set_faults(Faults { crash_flips_bits: true, ..Faults::default() });
    }
    drop(snap);
    fs.crash();
    drop(srv);
    // For a fifth of the seeds the newest snapshot is also damaged on the medium: recovery
    // must fall back to the one before it (or to the whole log) and lose nothing.
    if seed % 5 == 4 {
        damage_newest_snapshot(&fs);
    }
    let recovered = server(&fs).map_err(|e| format!("recovery after a crash refused: {e}"))?;
    let got = dataset_digest(&recovered);
    let matches: Vec<usize> = (0..digests.len()).filter(|&i| digests[i] == got).collect();
    if matches.iter().any(|&i| i >= acked) {
        Ok(())
    } else {
        Err(format!(
            "recovered state {got} matches prefixes {matches:?} only, but {acked} steps were acknowledged (of {})",
            digests.len() - 1
        ))
    }
}
