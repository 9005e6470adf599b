#![no_main]
//! Fuzz target: the whole scan (`imginspect::fuzzing::whole_scan`) on bytes
//! that start with the XFS magic, so that every input reaches the XFS
//! parser. Seeded with the first 128 KiB of sample-images/xfs-clean: AG 0's
//! headers, btree roots, AGFL and root inode chunk, the rest cut off.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if let Some(magic) = bytes.get_mut(..4) {
        magic.copy_from_slice(b"XFSB");
    }
    imginspect::fuzzing::whole_scan(&bytes);
});
