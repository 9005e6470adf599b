#![no_main]
//! Fuzz target: `imginspect::fuzzing::directory_block` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imginspect::fuzzing::directory_block(data));
