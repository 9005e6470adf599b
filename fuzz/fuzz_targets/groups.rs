#![no_main]
//! Fuzz target: `imginspect::fuzzing::groups` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imginspect::fuzzing::groups(data));
