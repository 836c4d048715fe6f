//! Directives whose values have a grammar of their own; each is validated and printed back
//! in Redis's normal form (CONFIG GET shows what Redis shows).

use super::parse_memory;
use crate::util::num::{parse_f64, parse_i64};

/// The normalised value of a directive with a special grammar, or None for ordinary ones.
pub fn normalize(name: &str, args: &[String]) -> Option<Result<String, String>> {
    let words: Vec<&str> = args.iter().flat_map(|a| a.split_ascii_whitespace()).collect();
    Some(match name {
        "save" => save(&words),
        "shutdown-on-sigint" | "shutdown-on-sigterm" => shutdown_flags(&words),
        "notify-keyspace-events" => single(args).and_then(notify_flags),
        "client-output-buffer-limit" => output_buffer_limits(&words),
        "oom-score-adj-values" => oom_values(&words),
        "latency-tracking-info-percentiles" => percentiles(&words),
        "proc-title-template" => single(args).and_then(title_template),
        "maxmemory-clients" => single(args).and_then(memory_or_percent),
        // Redis stores hz clamped to 1..=500.
        "hz" => single(args).and_then(|v| {
            let n = parse_i64(v.as_bytes()).ok_or("argument couldn't be parsed into an integer")?;
            if !(0..=i64::from(i32::MAX)).contains(&n) {
                return Err(format!("argument must be between 0 and {} inclusive", i32::MAX));
            }
            Ok(n.clamp(1, 500).to_string())
        }),
        _ => return None,
    })
}

fn single(args: &[String]) -> Result<&str, String> {
    match args {
        [a] => Ok(a),
        _ => Err("wrong number of arguments".into()),
    }
}

fn save(words: &[&str]) -> Result<String, String> {
    let ok = words.len() % 2 == 0 && words.iter().all(|w| parse_i64(w.as_bytes()).is_some_and(|n| n >= 0));
    if !ok {
        return Err("Invalid save parameters".into());
    }
    Ok(words.join(" "))
}

fn shutdown_flags(words: &[&str]) -> Result<String, String> {
    const CHOICES: [&str; 5] = ["default", "save", "nosave", "now", "force"];
    let mut on = [false; 5];
    for w in words {
        let i = CHOICES
            .iter()
            .position(|c| c.eq_ignore_ascii_case(w))
            .ok_or_else(|| format!("argument(s) must be one of the following: {}", CHOICES.join(", ")))?;
        on[i] = true;
    }
    if words.is_empty() {
        return Err(format!("argument(s) must be one of the following: {}", CHOICES.join(", ")));
    }
    if on[1] && on[2] {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    let out: Vec<&str> = CHOICES[1..].iter().zip(&on[1..]).filter(|(_, &o)| o).map(|(c, _)| *c).collect();
    Ok(if out.is_empty() { "default".into() } else { out.join(" ") })
}

/// Event classes in the order Redis prints them; `A` stands for the first ten.
const EVENT_CLASSES: [char; 14] = ['g', '$', 'l', 's', 'h', 'z', 'x', 'e', 't', 'd', 'n', 'K', 'E', 'm'];
const EVENT_ALL_COUNT: usize = 10;

fn notify_flags(v: &str) -> Result<String, String> {
    let mut on = [false; 14];
    for c in v.chars() {
        if c == 'A' {
            on[..EVENT_ALL_COUNT].iter_mut().for_each(|b| *b = true);
            continue;
        }
        let i = EVENT_CLASSES.iter().position(|&x| x == c).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
        on[i] = true;
    }
    let mut out = String::new();
    if on[..EVENT_ALL_COUNT].iter().all(|&b| b) {
        out.push('A');
    } else {
        out.extend(EVENT_CLASSES[..11].iter().zip(&on[..11]).filter(|(_, &o)| o).map(|(c, _)| *c));
    }
    out.extend(EVENT_CLASSES[11..].iter().zip(&on[11..]).filter(|(_, &o)| o).map(|(c, _)| *c));
    Ok(out)
}

/// `class hard soft seconds` groups, merged into the three classes Redis always prints.
fn output_buffer_limits(words: &[&str]) -> Result<String, String> {
    if words.is_empty() || words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut classes: [(&str, [i64; 3]); 3] =
        [("normal", [0, 0, 0]), ("slave", [268_435_456, 67_108_864, 60]), ("pubsub", [33_554_432, 8_388_608, 60])];
    for g in words.chunks(4) {
        let class = match g[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string();
        let hard = parse_memory(g[1]).filter(|n| *n >= 0).ok_or_else(bad)?;
        let soft = parse_memory(g[2]).filter(|n| *n >= 0).ok_or_else(bad)?;
        let secs = parse_i64(g[3].as_bytes()).filter(|n| *n >= 0).ok_or_else(bad)?;
        classes[class].1 = [hard, soft, secs];
    }
    Ok(classes.iter().map(|(n, v)| format!("{n} {} {} {}", v[0], v[1], v[2])).collect::<Vec<_>>().join(" "))
}

fn oom_values(words: &[&str]) -> Result<String, String> {
    if words.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut out = Vec::new();
    for w in words {
        match parse_i64(w.as_bytes()) {
            Some(n) if (-2000..=2000).contains(&n) => out.push(n.to_string()),
            _ => return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into()),
        }
    }
    Ok(out.join(" "))
}

fn percentiles(words: &[&str]) -> Result<String, String> {
    let mut out = Vec::new();
    for w in words {
        let v = parse_f64(w.as_bytes()).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&v) {
            return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
        }
        out.push(v.to_string());
    }
    Ok(out.join(" "))
}

fn title_template(v: &str) -> Result<String, String> {
    const VARS: [&str; 7] = ["title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file"];
    let bad = || "template format is invalid or contains unknown variables".to_string();
    let mut rest = v;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or_else(bad)? + open;
        if !VARS.contains(&&rest[open + 1..close]) {
            return Err(bad());
        }
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(bad());
    }
    Ok(v.to_string())
}

fn memory_or_percent(v: &str) -> Result<String, String> {
    if let Some(p) = v.strip_suffix('%') {
        let n = parse_i64(p.as_bytes()).filter(|n| *n >= 0).ok_or("argument must be a memory or percent value")?;
        if n > 100 {
            return Err("percentage argument must be less or equal to 100".into());
        }
        return Ok(format!("{n}%"));
    }
    let n = parse_memory(v).filter(|n| *n >= 0).ok_or("argument must be a memory or percent value")?;
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, v: &str) -> Result<String, String> {
        normalize(name, &[v.to_string()]).unwrap()
    }

    #[test]
    fn forms_match_redis() {
        assert_eq!(n("notify-keyspace-events", "KEA").unwrap(), "AKE");
        assert_eq!(n("notify-keyspace-events", "EKgx$").unwrap(), "g$xKE");
        assert_eq!(n("notify-keyspace-events", "g$lshzxetmdn").unwrap(), "Am");
        assert_eq!(n("notify-keyspace-events", "Km").unwrap(), "Km");
        assert!(n("notify-keyspace-events", "xyz").is_err());
        assert_eq!(
            n("client-output-buffer-limit", "normal 1mb 2mb 60").unwrap(),
            "normal 1048576 2097152 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert!(n("client-output-buffer-limit", "master 1 2 3").is_err());
        assert_eq!(n("shutdown-on-sigterm", "now force save").unwrap(), "save now force");
        assert!(n("shutdown-on-sigterm", "nosave save").is_err());
        assert_eq!(n("latency-tracking-info-percentiles", "50.0 99 99.90").unwrap(), "50 99 99.9");
        assert_eq!(n("maxmemory-clients", "1kb").unwrap(), "1024");
        assert_eq!(n("hz", "0").unwrap(), "1");
        assert_eq!(n("hz", "1000").unwrap(), "500");
        assert!(n("proc-title-template", "{x}").is_err());
        assert!(n("proc-title-template", "{title} {port}").is_ok());
    }
}
