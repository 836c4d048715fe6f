//! Access clocks kept in 24 bits per key, with Redis's encodings so `OBJECT IDLETIME`,
//! `OBJECT FREQ` and (later) eviction behave as Redis users expect.
//!
//! LRU: the Unix time in seconds, modulo 2^24 (wraps every ~194 days, like Redis).
//! LFU: the time in minutes modulo 2^16 in the high 16 bits, and a logarithmic 8-bit
//! counter in the low 8 bits that decays by one per `lfu-decay-time` minutes.

/// Bits of the LRU clock.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Counter a new key starts with in LFU mode, so it is not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;

pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u64 & u64::from(LRU_CLOCK_MAX)) as u32
}

/// Milliseconds since the access recorded in an LRU clock.
pub fn idle_ms(access: u32, now_ms: i64) -> u64 {
    let now = lru_clock(now_ms);
    let secs = if now >= access { now - access } else { (LRU_CLOCK_MAX - access) + now };
    u64::from(secs) * 1000
}

fn minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) as u64 & 0xFFFF) as u32
}

pub fn lfu_initial(now_ms: i64) -> u32 {
    (minutes(now_ms) << 8) | LFU_INIT_VAL
}

/// Minutes elapsed since the LFU timestamp, modulo 2^16.
fn lfu_elapsed_minutes(access: u32, now_ms: i64) -> u32 {
    let then = access >> 8;
    let now = minutes(now_ms);
    if now >= then {
        now - then
    } else {
        65535 - then + now
    }
}

/// The counter after decay, without recording an access (OBJECT FREQ).
pub fn lfu_decayed(access: u32, now_ms: i64, decay_minutes: u32) -> u32 {
    let counter = access & 0xFF;
    let periods = lfu_elapsed_minutes(access, now_ms).checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// Records an access: decay, then a probabilistic logarithmic increment (`rand` is uniform).
pub fn lfu_touch(access: u32, now_ms: i64, log_factor: u32, decay_minutes: u32, rand: u64) -> u32 {
    let mut counter = lfu_decayed(access, now_ms, decay_minutes);
    if counter < 255 {
        let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
        let p = 1.0 / (base * f64::from(log_factor) + 1.0);
        let r = (rand >> 11) as f64 / (1u64 << 53) as f64;
        if r < p {
            counter += 1;
        }
    }
    (minutes(now_ms) << 8) | counter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_idle_and_wrap() {
        let t = 1_700_000_000_000;
        assert_eq!(idle_ms(lru_clock(t), t + 5_000), 5_000);
        // Across the 24-bit wrap Redis's formula counts one second less; Keel keeps it.
        let near_wrap = i64::from(LRU_CLOCK_MAX) * 1000;
        assert_eq!(idle_ms(lru_clock(near_wrap), near_wrap + 3_000), 2_000);
    }

    #[test]
    fn lfu_grows_and_decays() {
        let t = 1_700_000_000_000;
        let mut a = lfu_initial(t);
        for i in 0..1000u64 {
            a = lfu_touch(a, t, 10, 1, i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
        let c = a & 0xFF;
        assert!(c > LFU_INIT_VAL && c < 255, "counter {c}");
        assert_eq!(lfu_decayed(a, t + 3 * 60_000, 1), c - 3);
    }
}
