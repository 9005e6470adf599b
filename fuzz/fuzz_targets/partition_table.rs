#![no_main]
//! Fuzz target: `imginspect::fuzzing::partition_table` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imginspect::fuzzing::partition_table(data));
