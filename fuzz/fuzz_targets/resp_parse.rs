//! Arbitrary bytes into the request parser and the frame parser: never a panic, the same
//! result however the bytes are split across reads, and parse(encode(x)) == x.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keel::protocol::fuzz::check(data);
});
