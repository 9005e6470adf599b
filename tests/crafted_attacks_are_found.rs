//! Attacks crafted in memory on top of the sample images: each variant is one
//! edit of a few bytes, and the scan must name exactly what it does.

mod common;

use imginspect::analysis::Claimer;
use imginspect::fs::ext::groups;
use imginspect::fs::ext::superblock::Superblock;
use imginspect::image::View;
use imginspect::model::Code;
use imginspect::model::Severity;

use common::{sample_bytes as sample, scan_bytes};

struct Geometry {
    block_size: usize,
    inode_size: usize,
    inodes_per_group: u64,
    tables: Vec<u64>,
    itable_unused: Vec<u32>,
}

fn geometry(bytes: &[u8]) -> Geometry {
    let sb = Superblock::parse(&bytes[1024..2048]).expect("superblock");
    let mut findings = Vec::new();
    let descs = groups::read_descriptors(&View::from_bytes(bytes), &sb, &mut findings);
    Geometry {
        block_size: sb.block_size as usize,
        inode_size: usize::from(sb.inode_size),
        inodes_per_group: u64::from(sb.inodes_per_group),
        tables: descs.iter().map(|d| d.inode_table).collect(),
        itable_unused: descs.iter().map(|d| d.itable_unused).collect(),
    }
}

impl Geometry {
    fn inode_at(&self, ino: u64) -> usize {
        let group = ((ino - 1) / self.inodes_per_group) as usize;
        let index = ((ino - 1) % self.inodes_per_group) as usize;
        self.tables[group] as usize * self.block_size + index * self.inode_size
    }
}

#[test]
fn an_inode_mapping_one_block_twice_is_a_crosslink() {
    // deep-tree-crosslink.img: deep.bin (inode 13) has a depth-1 tree whose
    // leaf at block 40 lists one-block extents; point the second at the first's block.
    let mut bytes = sample("deep-tree-crosslink.img");
    let g = geometry(&bytes);
    let leaf = 40 * g.block_size;
    let first_start = &bytes[leaf + 12 + 8..leaf + 12 + 12].to_vec();
    bytes[leaf + 24 + 8..leaf + 24 + 12].copy_from_slice(first_start);
    let result = scan_bytes(&bytes);
    let twice = result
        .findings()
        .find(|f| f.code == Code::Crosslink && f.inodes == vec![13])
        .unwrap_or_else(|| {
            panic!(
                "no self cross-link: {:?}",
                result.findings().collect::<Vec<_>>()
            )
        });
    assert!(twice.message.contains("twice"), "{}", twice.message);
    assert_eq!(twice.severity, Severity::Critical);
}

#[test]
fn more_xattr_referrers_than_refcount_is_a_crosslink_naming_all() {
    // shared-xattr.img: block 13 (4 KiB blocks) is shared by inodes 13, 14, 15
    // with h_refcount 3. Lower h_refcount to 2.
    let mut bytes = sample("shared-xattr.img");
    let at = 13 * 4096 + 4;
    assert_eq!(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()), 3);
    bytes[at..at + 4].copy_from_slice(&2u32.to_le_bytes());
    let result = scan_bytes(&bytes);
    let link = &result.volumes[0].crosslinks[0];
    assert!(!link.legitimate);
    let inodes: Vec<u64> = link
        .claimers
        .iter()
        .filter_map(|c| match c {
            Claimer::Inode { inode, .. } => Some(*inode),
            Claimer::Metadata { .. } => None,
        })
        .collect();
    assert_eq!(inodes, vec![13, 14, 15]);
    let codes: Vec<_> = result.findings().map(|f| f.code.name()).collect();
    assert!(codes.contains(&"crosslink"), "{codes:?}");
    assert!(codes.contains(&"xattr_refcount_mismatch"), "{codes:?}");
}

#[test]
fn a_live_inode_hidden_in_the_unused_itable_tail_is_found() {
    // clean-ext4.img has uninit_bg-style lazy init (metadata_csum) and a
    // bg_itable_unused tail in group 0. Copy a live regular file's inode into
    // the last slot of group 0: e2fsprogs' inode scan never looks there.
    let mut bytes = sample("clean-ext4.img");
    let g = geometry(&bytes);
    assert!(g.itable_unused[0] > 0, "group 0 has no unused tail");
    let hidden_ino = g.inodes_per_group; // last slot of group 0
    let src = g.inode_at(20);
    let dst = g.inode_at(hidden_ino);
    let raw = bytes[src..src + g.inode_size].to_vec();
    bytes[dst..dst + g.inode_size].copy_from_slice(&raw);
    let result = scan_bytes(&bytes);
    let hidden = result
        .findings()
        .find(|f| f.code == Code::HiddenInode)
        .expect("hidden_inode finding");
    assert_eq!(hidden.inodes, vec![hidden_ino]);
    assert_eq!(hidden.severity, Severity::High);
    // The copy shares inode 20's blocks, and its checksum (which covers the
    // inode number) no longer verifies.
    let codes: Vec<_> = result.findings().map(|f| f.code.name()).collect();
    assert!(codes.contains(&"crosslink"), "{codes:?}");
    assert!(
        result
            .findings()
            .any(|f| f.code == Code::ChecksumMismatch && f.inodes == vec![hidden_ino]),
        "{codes:?}"
    );
}

#[test]
fn every_corrupted_checksum_is_a_finding() {
    let pristine = sample("clean-ext4.img");
    let g = geometry(&pristine);
    // Superblock (s_mnt_count), a group descriptor (bg_flags high byte), and an inode (i_atime).
    let pristine_scan = scan_bytes(&pristine);
    let fs = pristine_scan.volumes[0].filesystem.as_ref().unwrap();
    let bitmap_at = |role: &str| {
        let m = fs.metadata.iter().find(|m| m.role.name() == role).unwrap();
        m.start as usize * g.block_size
    };
    for (what, at) in [
        ("superblock", 1024 + 0x34),
        ("group descriptor", 2 * 1024 + 0x13),
        ("inode", g.inode_at(12) + 0x8),
        // Bytes inside the checksummed part (blocks 800–807, inodes 25–32).
        ("block bitmap", bitmap_at("block_bitmap") + 100),
        ("inode bitmap", bitmap_at("inode_bitmap") + 3),
    ] {
        let mut bytes = pristine.clone();
        bytes[at] ^= 0x40;
        let result = scan_bytes(&bytes);
        assert!(
            result.findings().any(|f| f.code == Code::ChecksumMismatch
                && f.message.contains(what.split(' ').next().unwrap())),
            "{what}: {:?}",
            result.findings().map(|f| f.code.name()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_bad_blocks_inode_is_a_claimer_like_any_other() {
    // Point the bad-blocks inode's first direct pointer at /etc/shadow's block.
    let mut bytes = sample("shadow-crosslink.img");
    let g = geometry(&bytes);
    let bad = g.inode_at(1);
    bytes[bad + 0x28..bad + 0x2C].copy_from_slice(&13u32.to_le_bytes());
    let result = scan_bytes(&bytes);
    let link = result.volumes[0]
        .crosslinks
        .iter()
        .find(|c| c.start_block == 13)
        .expect("crosslink at 13");
    assert!(
        link.claimers
            .iter()
            .any(|c| matches!(c, Claimer::Inode { inode: 1, .. }))
    );
}

#[test]
fn the_block_index_answers_like_a_full_scan_of_the_runs() {
    use imginspect::analysis::{BlockIndex, claimers_of};
    for (name, _, _) in common::expected() {
        let result = scan_bytes(&sample(&name));
        let fs = result.volumes[0].filesystem.as_ref().unwrap();
        let index = BlockIndex::new(fs);
        let last = fs.info.block_count + 8;
        for block in (0..last).chain([1_000_000, 1_000_001, u64::MAX - 1]) {
            assert_eq!(
                index.claimers(fs, block),
                claimers_of(fs, block),
                "{name} block {block}"
            );
        }
    }
}

/// `imginspect block` parses with `Detail::Claiming(block)`: only directories,
/// reserved inodes and the inodes over that block are modelled. Its answer must
/// be the full model's, for every claimed block and for a sample of the rest.
#[test]
fn a_lookup_that_models_only_the_claimers_answers_like_the_full_model() {
    use imginspect::analysis::{ScanOptions, claimers_of, scan_view};
    use imginspect::fs::{Detail, NoProgress};
    use imginspect::image::View;
    for (name, _, _) in common::expected() {
        let bytes = sample(&name);
        let result = scan_bytes(&bytes);
        let fs = result.volumes[0].filesystem.as_ref().unwrap();
        let mut blocks: Vec<u64> = fs.runs.iter().map(|r| r.start).collect();
        blocks.extend((0..fs.info.block_count + 4).step_by(97));
        blocks.sort_unstable();
        blocks.dedup();
        // Inodes kept whatever the block: out-of-range claims are findings.
        let out_of_range: Vec<u64> = result
            .findings()
            .filter(|f| f.code == Code::OutOfRange)
            .flat_map(|f| f.inodes.iter().copied())
            .collect();
        for block in blocks {
            let options = ScanOptions {
                parse_only: true,
                detail: Detail::Claiming(block),
                ..ScanOptions::default()
            };
            let lookup = scan_view("lookup", &View::from_bytes(&bytes), &options, &NoProgress);
            let small = lookup.volumes[0].filesystem.as_ref().unwrap();
            let claimers = claimers_of(fs, block);
            assert_eq!(claimers_of(small, block), claimers, "{name} block {block}");
            // The point of the lookup: no regular file is modelled unless it
            // claims the block (or claims blocks outside the filesystem, or is
            // one of the filesystem's reserved inodes).
            for n in &small.inodes {
                let claims = claimers.iter().any(
                    |c| matches!(c, imginspect::analysis::Claimer::Inode { inode, .. } if *inode == n.ino),
                );
                assert!(
                    n.file_type != imginspect::model::FileType::Regular
                        || n.ino < 11 // reserved inodes (journal, resize inode) are kept
                        || claims
                        || out_of_range.contains(&n.ino),
                    "{name} block {block}: inode {} modelled but not a claimer",
                    n.ino
                );
            }
        }
    }
}
