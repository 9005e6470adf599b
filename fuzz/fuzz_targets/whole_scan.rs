#![no_main]
//! Fuzz target: `imginspect::fuzzing::whole_scan` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imginspect::fuzzing::whole_scan(data));
