#![no_main]
//! Fuzz target: `imginspect::fuzzing::fat_directory` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imginspect::fuzzing::fat_directory(data));
