#![no_main]
//! Fuzz target: `imginspect::fuzzing::xfs_scan`, the whole scan on bytes
//! that start with the XFS magic. Seeded with the first 128 KiB of
//! sample-images/xfs-clean: AG 0's headers, btree roots, AGFL and root inode
//! chunk, the rest cut off.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imginspect::fuzzing::xfs_scan(data));
