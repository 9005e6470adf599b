#![no_main]
//! Fuzz target: `imginspect::fuzzing::block_map` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imginspect::fuzzing::block_map(data));
