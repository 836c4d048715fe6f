//! Arbitrary bytes as a log segment: the reader never panics and never yields a record whose
//! checksum fails (properties in src/storage/fuzz.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keel::storage::fuzz::check(data);
});
