//! Hostile input: truncated images, zeroed and random superblocks, random
//! corruption of every sample image, and an extent tree that points at itself.
//! Every case must end in a result or a clear error, never a panic or a hang.

mod common;

use common::codes;

use imginspect::analysis::ScanResult;
use imginspect::fs::ext::groups;
use imginspect::fs::ext::superblock::Superblock;
use imginspect::image::View;
use imginspect::model::Code;

use common::{Rng, sample_bytes as sample, scan_bytes};

#[test]
fn truncated_images_scan_as_far_as_they_go() {
    for (name, _, _) in common::expected() {
        let bytes = sample(&name);
        for len in [
            0,
            1000,
            1100,
            2048,
            4096,
            8192,
            65536,
            bytes.len() / 2,
            bytes.len() - 1024,
        ] {
            let cut = &bytes[..len];
            let result = scan_bytes(cut);
            let volume = &result.volumes[0];
            if len < 2048 {
                assert!(
                    volume.error.is_some(),
                    "{name} cut to {len}: expected an error"
                );
            } else if volume.filesystem.is_some() && len < bytes.len() {
                assert!(
                    codes(&result).contains(&"truncated_image"),
                    "{name} cut to {len}: no truncated_image finding in {:?}",
                    codes(&result)
                );
            }
        }
    }
}

#[test]
fn zeroed_superblock_is_a_clear_error() {
    let mut bytes = sample("clean-ext4.img");
    bytes[1024..2048].fill(0);
    let result = scan_bytes(&bytes);
    assert!(result.nothing_recognised());
    let error = result.volumes[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("no supported filesystem"), "{error}");
}

#[test]
fn random_bytes_are_not_a_filesystem() {
    let mut rng = Rng(0x1234_5678);
    for round in 0..50 {
        let mut bytes: Vec<u8> = (0..256 * 1024).map(|_| rng.next() as u8).collect();
        if round % 2 == 0 {
            // Give the parser something to chew on: the ext magic on random fields.
            bytes[1024 + 0x38] = 0x53;
            bytes[1024 + 0x39] = 0xEF;
        }
        let result = scan_bytes(&bytes);
        if round % 2 == 1 {
            assert!(result.nothing_recognised());
        }
    }
}

/// Byte offset of an inode in a single-group-or-more image, from its own geometry.
fn inode_offset(bytes: &[u8], ino: u64) -> (usize, u64) {
    let sb = Superblock::parse(&bytes[1024..2048]).expect("superblock");
    let mut findings = Vec::new();
    let descs = groups::read_descriptors(&View::from_bytes(bytes), &sb, &mut findings);
    let ipg = u64::from(sb.inodes_per_group);
    let desc = &descs[((ino - 1) / ipg) as usize];
    let bs = u64::from(sb.block_size);
    let at = desc.inode_table * bs + ((ino - 1) % ipg) * u64::from(sb.inode_size);
    (at as usize, bs)
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn extent_tree_pointing_at_itself_is_cut_and_reported() {
    // deep-tree-crosslink.img: /data/deep.bin is inode 13 with a depth-1 tree
    // whose leaf is block 40 (sample-images/README.md).
    let mut bytes = sample("deep-tree-crosslink.img");
    let (inode_at, bs) = inode_offset(&bytes, 13);
    let root = inode_at + 0x28;
    assert_eq!(u16::from_le_bytes([bytes[root], bytes[root + 1]]), 0xF30A);
    // Root: depth 2, one index entry → block 40.
    put16(&mut bytes, root + 6, 2);
    // Block 40: depth 1, one index entry → block 40 itself.
    let leaf = (40 * bs) as usize;
    put16(&mut bytes, leaf, 0xF30A);
    put16(&mut bytes, leaf + 2, 1);
    put16(&mut bytes, leaf + 6, 1);
    put32(&mut bytes, leaf + 12, 0); // ei_block
    put32(&mut bytes, leaf + 16, 40); // ei_leaf_lo
    put16(&mut bytes, leaf + 20, 0); // ei_leaf_hi
    let result = scan_bytes(&bytes);
    let tree_findings: Vec<_> = result
        .findings()
        .filter(|f| f.code == Code::BadExtentTree && f.inodes.contains(&13))
        .collect();
    assert!(
        tree_findings
            .iter()
            .any(|f| f.message.contains("referenced twice")),
        "no loop finding: {:?}",
        codes(&result)
    );
}

#[test]
fn extent_entry_count_beyond_eh_max_is_bounded() {
    let mut bytes = sample("clean-ext4.img");
    // Inode 12 onwards are regular files in clean-ext4.img; corrupt the root of
    // every extent-mapped inode in the first table block to claim 65535 entries.
    let (first, _) = inode_offset(&bytes, 12);
    let mut patched = 0;
    for slot in 0..8 {
        let at = first + slot * 256 + 0x28;
        if at + 12 <= bytes.len() && bytes[at] == 0x0A && bytes[at + 1] == 0xF3 {
            put16(&mut bytes, at + 2, 0xFFFF);
            patched += 1;
        }
    }
    assert!(patched > 0, "no extent roots found to corrupt");
    let result = scan_bytes(&bytes);
    assert!(codes(&result).contains(&"bad_extent_tree"));
}

fn scan_metered(bytes: &[u8]) -> (ScanResult, u64) {
    use imginspect::analysis::{ScanOptions, scan_view};
    use imginspect::fs::NoProgress;
    use imginspect::image::ReadMeter;
    let meter = ReadMeter::default();
    let result = scan_view(
        "test",
        &View::metered(bytes, &meter),
        &ScanOptions::default(),
        &NoProgress,
    );
    let read = meter.bytes.load(std::sync::atomic::Ordering::Relaxed);
    (result, read)
}

#[test]
fn a_superblock_claiming_billions_of_groups_is_read_only_as_far_as_the_image() {
    let mut bytes = sample("clean-ext4.img");
    // s_blocks_count = 2^32 − 1 and s_blocks_per_group = 8: 536 million groups
    // (with the 16 inodes per group e2fsck allows in 8-block groups).
    put32(&mut bytes, 1024 + 0x4, u32::MAX);
    put32(&mut bytes, 1024 + 0x20, 8);
    put32(&mut bytes, 1024 + 0x28, 16);
    let (result, read) = scan_metered(&bytes);
    assert!(
        codes(&result).contains(&"bad_superblock"),
        "{:?}",
        codes(&result)
    );
    assert!(read < 16 * bytes.len() as u64, "read {read} bytes");
}

/// Byte offset of the first block of /etc in clean-ext4.img (1 KiB blocks).
fn etc_directory_block(bytes: &[u8]) -> usize {
    let result = scan_bytes(bytes);
    let fs = result.volumes[0].filesystem.as_ref().unwrap();
    let etc = fs
        .inodes
        .iter()
        .find(|n| fs.paths(n).iter().any(|p| p == "/etc"))
        .expect("/etc");
    fs.runs_of(etc)[0].start as usize * 1024
}

#[test]
fn a_directory_loop_is_walked_once() {
    // clean-ext4.img: make /etc (a subdirectory of /) list the root directory
    // under a new name by renaming one of its entries' inode to 2.
    let mut bytes = sample("clean-ext4.img");
    let block = etc_directory_block(&bytes);
    // The third entry of /etc (after . and ..) now points at the root.
    let third = block + 12 + 12;
    put32(&mut bytes, third, 2);
    let (result, read) = scan_metered(&bytes);
    let fs = result.volumes[0].filesystem.as_ref().unwrap();
    let root_paths = fs.paths(fs.inode(2).unwrap());
    assert!(
        root_paths.len() >= 2,
        "root got its second name: {root_paths:?}"
    );
    assert!(read < 16 * bytes.len() as u64, "read {read} bytes");
}

#[test]
fn a_directory_claiming_billions_of_blocks_costs_what_the_image_holds() {
    // Give the root directory an i_size of 2^40 and one extent of 32768 blocks
    // from block 1: the walk is bounded by the filesystem and the image.
    let mut bytes = sample("clean-ext4.img");
    let (root, _) = inode_offset(&bytes, 2);
    put32(&mut bytes, root + 0x4, 0); // i_size_lo
    put32(&mut bytes, root + 0x6C, 256); // i_size_high: 2^40 bytes
    let leaf = root + 0x28 + 12;
    put32(&mut bytes, leaf, 0); // ee_block
    put16(&mut bytes, leaf + 4, 32768); // ee_len
    put16(&mut bytes, leaf + 6, 0);
    put32(&mut bytes, leaf + 8, 1); // ee_start_lo
    let (result, read) = scan_metered(&bytes);
    assert!(read < 32 * bytes.len() as u64, "read {read} bytes");
    assert!(!codes(&result).is_empty());
}

#[test]
fn a_name_longer_than_its_record_is_a_finding() {
    // Without the filetype feature name_len is 16 bits: 65535 in a 12-byte record.
    let mut bytes = sample("clean-ext4.img");
    let block = etc_directory_block(&bytes);
    // Clear INCOMPAT_FILETYPE (0x2): name_len becomes the 16-bit field at 6.
    bytes[1024 + 0x60] &= !0x2;
    put16(&mut bytes, block + 24 + 6, 0xFFFF); // name_len of the third entry
    let result = scan_bytes(&bytes);
    assert!(
        codes(&result).contains(&"bad_directory_entry"),
        "{:?}",
        codes(&result)
    );
}

#[test]
fn random_sectors_without_a_jump_are_not_fat() {
    // Without the jump instruction the FAT probe rests on the BPB alone.
    use imginspect::fs::fat::bpb;
    let mut rng = Rng(0xFA7_0000);
    let (mut random, mut forced) = (0, 0);
    for round in 0..200_000 {
        let mut s: Vec<u8> = (0..512).map(|_| rng.next() as u8).collect();
        s[0] = 0x60;
        if round % 2 == 0 {
            // The fields Linux checks forced plausible, the sizes left random.
            s[11..13].copy_from_slice(&512u16.to_le_bytes());
            s[13] = 1 << rng.below(8);
            s[16] = 2;
            s[21] = 0xF8;
            forced += usize::from(bpb::probe(&s));
        } else {
            random += usize::from(bpb::probe(&s));
        }
    }
    assert_eq!(random, 0, "random sectors taken for FAT");
    // Then a root directory of whole sectors and a data area inside the
    // volume must agree by chance: without those checks every one of these
    // sectors would be FAT.
    assert!(
        forced < 1000,
        "{forced} of 100000 forced sectors taken for FAT"
    );
}

/// A primary superblock e2fsck rejects (`s_inode_size` 0) is read through
/// the backup its own geometry places in group 1, as e2fsck does, with the
/// same names as the intact image and a finding that says so; with every copy
/// gone there is nothing to read through.
#[test]
fn an_unusable_primary_superblock_is_read_through_a_backup() {
    let pristine = sample("clean-ext4.img");
    let names = |bytes: &[u8]| -> Vec<String> {
        let result = scan_bytes(bytes);
        let fs = result.volumes[0].filesystem.as_ref().expect("a filesystem");
        let mut all: Vec<String> = fs.inodes.iter().flat_map(|n| fs.paths(n)).collect();
        all.sort();
        all
    };
    let mut bytes = pristine.clone();
    bytes[1024 + 0x58..1024 + 0x5A].fill(0);
    let result = scan_bytes(&bytes);
    let volume = &result.volumes[0];
    assert!(volume.error.is_none(), "{:?}", volume.error);
    assert!(
        volume
            .findings
            .iter()
            .any(|f| f.code == Code::PrimarySuperblockUnusable && f.message.contains("-o sb=1025")),
        "{:?}",
        volume.findings
    );
    assert_eq!(names(&bytes), names(&pristine));
    // Group 1's copy gone too (clean-ext4.img has 1024 blocks per group).
    let backup = 1025 * 1024;
    bytes[backup..backup + 1024].fill(0);
    let result = scan_bytes(&bytes);
    assert!(
        result.volumes[0].filesystem.is_none(),
        "{:?}",
        result.volumes[0].findings
    );
}
