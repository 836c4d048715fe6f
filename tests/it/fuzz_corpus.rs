//! Replays the fuzz corpus (fuzz/corpus/resp_parse) with the fuzz target's checks, plus a
//! bounded, seeded mutation pass over it, so CI covers the parser without a fuzzing toolchain.

use std::path::Path;

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/resp_parse");
    let mut v: Vec<_> = std::fs::read_dir(&dir).expect("corpus dir").map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    v.sort();
    assert!(v.len() >= 10, "corpus too small");
    v
}

#[test]
fn corpus_replays_clean() {
    for input in corpus() {
        keel::protocol::fuzz::check(&input);
    }
}

#[test]
fn seeded_mutations_hold_the_properties() {
    let corpus = corpus();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    const ALPHABET: &[u8] = b"*$+-:_,#(=~%|>\r\n0123456789-\x00\"' \\x";
    for _ in 0..200_000 {
        let mut input = corpus[(rnd() as usize) % corpus.len()].clone();
        for _ in 0..1 + rnd() % 4 {
            let pos = if input.is_empty() { 0 } else { (rnd() as usize) % input.len() };
            match rnd() % 4 {
                0 if !input.is_empty() => input[pos] = ALPHABET[(rnd() as usize) % ALPHABET.len()],
                1 => input.insert(pos, ALPHABET[(rnd() as usize) % ALPHABET.len()]),
                2 if !input.is_empty() => {
                    input.remove(pos);
                }
                _ => input.truncate(pos),
            }
        }
        keel::protocol::fuzz::check(&input);
    }
}
