//! Hostile input: truncated images, zeroed and random superblocks, random
//! corruption of every sample image, and an extent tree that points at itself.
//! Every case must end in a result or a clear error, never a panic or a hang.

mod common;

use imginspect::analysis::ScanResult;
use imginspect::fs::ext::groups;
use imginspect::fs::ext::superblock::Superblock;
use imginspect::image::View;

use common::{sample_bytes as sample, scan_bytes};

fn codes(result: &ScanResult) -> Vec<&'static str> {
    result.findings().map(|f| f.code).collect()
}

/// xorshift64*: a seeded generator, so every failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

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

#[test]
fn random_corruption_of_every_sample_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (name, _, _) in common::expected() {
        let pristine = sample(&name);
        // The metadata of these images lies in the first 256 KiB.
        let hot = pristine.len().min(256 * 1024);
        for _ in 0..150 {
            let mut bytes = pristine.clone();
            for _ in 0..1 + rng.below(16) {
                let at = rng.below(hot);
                bytes[at] = rng.next() as u8;
            }
            let _ = scan_bytes(&bytes);
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
        .filter(|f| f.code == "bad_extent_tree" && f.inodes.contains(&13))
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
