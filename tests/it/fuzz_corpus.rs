//! Replays the fuzz corpora (fuzz/corpus/resp_parse, fuzz/corpus/log_reader) with the fuzz
//! targets' checks, plus bounded, seeded mutation passes over them, so CI covers the parsers
//! without a fuzzing toolchain.

use std::path::Path;

fn corpus_of(target: &str, min: usize) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut v: Vec<_> = std::fs::read_dir(&dir).expect("corpus dir").map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    v.sort();
    assert!(v.len() >= min, "corpus too small");
    v
}

fn corpus() -> Vec<Vec<u8>> {
    corpus_of("resp_parse", 10)
}

fn corpus_file(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target).join(name)).unwrap()
}

/// xorshift64: the mutation passes are seeded, so a failure replays.
fn rng(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[test]
fn log_reader_corpus_replays_clean_and_survives_mutation() {
    let corpus = corpus_of("log_reader", 8);
    for input in &corpus {
        keel::storage::fuzz::check(input);
    }
    let mut rnd = rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..20_000 {
        let mut input = corpus[(rnd() as usize) % corpus.len()].clone();
        for _ in 0..1 + rnd() % 3 {
            let pos = (rnd() as usize) % input.len().max(1);
            match rnd() % 3 {
                0 if !input.is_empty() => input[pos] ^= 1 << (rnd() % 8),
                1 => input.truncate(pos),
                _ => input.extend(std::iter::repeat_n(0u8, (rnd() % 64) as usize)),
            }
        }
        keel::storage::fuzz::check(&input);
    }
}

/// The corpus seeds were written by an independent Python encoder from docs/format/log.md:
/// reading them back checks the format document against the code.
#[test]
fn segments_written_from_the_format_document_read_back() {
    use keel::storage::log_reader::{scan, Stop};
    use keel::storage::segment::SegmentHeader;
    let clean = corpus_file("log_reader", "clean");
    let h = SegmentHeader::decode(&clean).unwrap();
    assert_eq!((h.log_id, h.base_offset), (0xC0FFEE, 4096));
    let mut effects = 0;
    let stop = scan::<()>(&clean, h.log_id, h.base_offset, 1 << 20, |_, r| {
        effects += keel::storage::record::decode_effects(r.payload).unwrap().len();
        Ok(())
    })
    .unwrap();
    assert_eq!(effects, 7, "six SETs and one DEL");
    assert_eq!(stop, Stop::Clean { pos: clean.len() as u64 });
    let bad = corpus_file("log_reader", "bad_crc_then_valid");
    match scan::<()>(&bad, h.log_id, h.base_offset, 1 << 20, |_, _| Ok(())).unwrap() {
        Stop::Bad { offset, later: Some(l), .. } => assert!(offset == 4096 && l.durable_offset > offset),
        other => panic!("{other:?}"),
    }
    let newer = corpus_file("log_reader", "newer_version");
    assert!(SegmentHeader::decode(&newer).is_err());
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
    let mut rnd = rng(0x9E37_79B9_7F4A_7C15);
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
