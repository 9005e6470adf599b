//! Entry points for the coverage-guided fuzz targets in `fuzz/` and for the
//! test that replays their corpus (`tests/fuzz_corpus_scans_within_bounds.rs`): each takes
//! arbitrary bytes and must return without panicking, whatever they hold.

use crate::analysis::{ScanOptions, scan_view};
use crate::fs::ext::superblock::Superblock;
use crate::fs::ext::{blockmap, dir, groups, inode::RawInode};
use crate::fs::fat::{self, bpb::FatKind};
use crate::fs::{Detail, NoProgress};
use crate::image::View;
use crate::model::Role;

/// A fuzz entry point: arbitrary bytes in, nothing out, never a panic.
pub type Entry = fn(&[u8]);

/// The fuzz targets, by name (the file names under `fuzz/fuzz_targets/`).
pub const TARGETS: &[(&str, Entry)] = &[
    ("whole_scan", whole_scan),
    ("groups", groups),
    ("block_map", block_map),
    ("directory_block", directory_block),
    ("partition_table", partition_table),
    ("fat_directory", fat_directory),
    ("fat_chain", fat_chain),
    ("xfs_scan", xfs_scan),
];

/// The whole pipeline on an image: parse, analyse, render both reports; the
/// findings-only scan (`imginspect scan`) must report exactly what the full
/// model does.
pub fn whole_scan(data: &[u8]) {
    let reports = |detail| {
        let options = ScanOptions {
            detail,
            ..ScanOptions::default()
        };
        let result = scan_view("fuzz", &View::from_bytes(data), &options, &NoProgress);
        (
            crate::report::to_bytes(|out| crate::report::text::render(&result, out)),
            crate::report::to_bytes(|out| crate::report::json::render(&result, out)),
        )
    };
    let everything = reports(Detail::Everything);
    let findings_only = reports(Detail::FindingsOnly);
    assert!(
        everything == findings_only,
        "the findings-only scan differs from the full one"
    );
}

/// [`whole_scan`] on bytes made to start with the XFS magic, so that every
/// input reaches the XFS parser.
pub fn xfs_scan(data: &[u8]) {
    let mut bytes = data.to_vec();
    if let Some(magic) = bytes.get_mut(..4) {
        magic.copy_from_slice(b"XFSB");
    }
    whole_scan(&bytes);
}

/// Superblock, descriptors, metadata regions and bitmaps.
pub fn groups(data: &[u8]) {
    let view = View::from_bytes(data);
    let Ok(raw) = view.read(1024, 1024) else {
        return;
    };
    let Ok(sb) = Superblock::parse(raw) else {
        return;
    };
    let mut findings = Vec::new();
    let descs = groups::read_descriptors(&view, &sb, &mut findings);
    let regions = groups::metadata_regions(&sb, &descs, &mut findings);
    let _ = groups::read_block_bitmaps(&view, &sb, &descs, &regions, &mut findings);
    let _ = groups::read_inode_bitmaps(&view, &sb, &descs, &mut findings);
}

/// A synthetic 1 KiB-block filesystem geometry for the block-map target.
fn synthetic_superblock(blocks: u64) -> Option<Superblock> {
    let mut sb = [0u8; 1024];
    let put = |sb: &mut [u8; 1024], off: usize, v: &[u8]| {
        if let Some(dst) = sb.get_mut(off..off + v.len()) {
            dst.copy_from_slice(v);
        }
    };
    put(&mut sb, 0x0, &8u32.to_le_bytes()); // s_inodes_count
    put(
        &mut sb,
        0x4,
        &u32::try_from(blocks.max(2)).ok()?.to_le_bytes(),
    );
    put(&mut sb, 0x14, &1u32.to_le_bytes()); // s_first_data_block
    put(&mut sb, 0x20, &8192u32.to_le_bytes()); // s_blocks_per_group
    put(&mut sb, 0x28, &8u32.to_le_bytes()); // s_inodes_per_group
    put(&mut sb, 0x38, &0xEF53u16.to_le_bytes());
    put(&mut sb, 0x4C, &1u32.to_le_bytes()); // s_rev_level
    put(&mut sb, 0x54, &11u32.to_le_bytes()); // s_first_ino
    put(&mut sb, 0x58, &256u16.to_le_bytes()); // s_inode_size
    Superblock::parse(&sb).ok()
}

/// One inode's block map (extent tree or indirect blocks) over a disk made of
/// the rest of the input: the first 256 bytes are the inode.
pub fn block_map(data: &[u8]) {
    let Some((raw, disk)) = data.split_at_checked(256) else {
        return;
    };
    let Some(sb) = synthetic_superblock(disk.len() as u64 / 1024) else {
        return;
    };
    let view = View::from_bytes(disk);
    let inode = RawInode::parse(&sb, 12, raw);
    let _ = inode.checksum_mismatch(&sb);
    let _ = inode.inline_data_xattr();
    let mut arena = Vec::new();
    let mut mapping = blockmap::Mapping::new(&mut arena);
    blockmap::map_extents(&view, &sb, &inode, Role::Data, &mut mapping);
    blockmap::map_indirect(&view, &sb, &inode, Role::Data, &mut mapping);
}

/// One directory block, in both name_len encodings.
pub fn directory_block(data: &[u8]) {
    let _ = dir::parse_block(data, true, false, u32::MAX);
    let _ = dir::parse_block(data, true, true, 1 << 20);
    let _ = dir::parse_block(data, false, false, u32::MAX);
}

/// An MBR or GPT (and the EBR chain) read from the start of a disk.
pub fn partition_table(data: &[u8]) {
    let _ = crate::volume::read(&View::from_bytes(data));
}

/// Directory slots of a FAT directory, FAT12/16 and FAT32 layouts.
pub fn fat_directory(data: &[u8]) {
    for fat32 in [false, true] {
        let mut reader = fat::dir::Reader::default();
        for slot in data.chunks(fat::dir::ENTRY) {
            if reader.slot(slot, fat32).0 == fat::dir::Slot::End {
                break;
            }
        }
    }
}

/// Chain walks over a FAT made of the input, from every start cluster the
/// first bytes name, in all three widths, within one budget.
pub fn fat_chain(data: &[u8]) {
    let Some((starts, table)) = data.split_at_checked(8) else {
        return;
    };
    for kind in [FatKind::Fat12, FatKind::Fat16, FatKind::Fat32] {
        let fat = fat::table::Fat { bytes: table, kind };
        let max = (table.len() as u64).saturating_mul(2) / 3 + 1;
        let mut budget = max.saturating_mul(4);
        for s in starts.chunks(2) {
            let start = u32::from(u16::from_le_bytes([
                s.first().copied().unwrap_or(0),
                s.get(1).copied().unwrap_or(0),
            ]));
            if start >= 2 {
                let _ = fat::table::walk(&fat, start, max, &mut budget);
            }
        }
    }
}
