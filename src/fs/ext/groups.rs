//! Block groups: the descriptor table (`struct ext4_group_desc`), where each
//! group's metadata lies, the descriptor and bitmap checksums, and the block
//! bitmaps turned into runs of allocated blocks.
//!
//! Sources: Documentation/filesystems/ext4/group_descr.rst, blockgroup.rst,
//! checksums.rst; e2fsprogs lib/ext2fs/closefs.c (`ext2fs_super_and_bgd_loc2`),
//! lib/ext2fs/csum.c; fs/ext4/super.c (`descriptor_loc`), fs/ext4/balloc.c.

use crate::bytes::{hi_lo, le16, le32};
use crate::fs::ext::csum::{crc16, raw_crc32c};
use crate::fs::ext::roles;
use crate::fs::ext::superblock::{Superblock, incompat, ro_compat};
use crate::image::View;
use crate::model::Code;
use crate::model::{BlockNo, Finding, MetaRole, MetadataRegion, coalesce_runs};

/// bg_flags: the inode bitmap and table are not initialised.
pub const BG_INODE_UNINIT: u16 = 0x1;
/// bg_flags: the block bitmap is not initialised; the kernel synthesises it.
pub const BG_BLOCK_UNINIT: u16 = 0x2;

/// One group descriptor, decoded.
#[derive(Debug, Clone)]
pub struct GroupDesc {
    pub group: u32,
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: u64,
    pub flags: u16,
    /// Inodes at the tail of the inode table never used (`bg_itable_unused`).
    pub itable_unused: u32,
    /// Whether `bg_checksum` verified (true when the filesystem has no checksums).
    pub checksum_ok: bool,
    block_bitmap_csum: u32,
    inode_bitmap_csum: u32,
}

/// Whether the descriptor flags can be trusted at all: only with group
/// descriptor checksums (uninit_bg or metadata_csum) do the kernel and e2fsprogs honour them.
pub fn has_group_csums(sb: &Superblock) -> bool {
    sb.has_ro_compat(ro_compat::GDT_CSUM) || sb.metadata_csum()
}

impl GroupDesc {
    pub fn inode_uninit(&self, sb: &Superblock) -> bool {
        has_group_csums(sb) && self.flags & BG_INODE_UNINIT != 0
    }
    pub fn block_uninit(&self, sb: &Superblock) -> bool {
        has_group_csums(sb) && self.flags & BG_BLOCK_UNINIT != 0
    }
}

/// The block holding the primary superblock: 1 with 1 KiB blocks, else 0.
pub fn primary_sb_block(sb: &Superblock) -> u64 {
    if sb.block_size == 1024 { 1 } else { 0 }
}

fn is_meta_bg_group(sb: &Superblock, group: u64) -> bool {
    sb.has_incompat(incompat::META_BG)
        && group / sb.descs_per_block() >= u64::from(sb.first_meta_bg)
}

/// Where the descriptor of `group` lies: (block, byte offset within that block).
/// fs/ext4/super.c `descriptor_loc`.
fn descriptor_location(sb: &Superblock, group: u64) -> (u64, u64) {
    let dpb = sb.descs_per_block();
    let index = group / dpb;
    let offset = (group % dpb) * u64::from(sb.desc_size);
    if !is_meta_bg_group(sb, group) {
        // With a backup superblock, the table copy that follows it
        // (ext2fs_descriptor_block_loc2 with a group_block of the backup).
        let base = if sb.backup_group == 0 {
            primary_sb_block(sb)
        } else {
            sb.group_first_block(sb.backup_group)
        };
        return (base + 1 + index, offset);
    }
    // A meta group's copies are in its first, second and last groups; from
    // a backup superblock, the second's.
    let first = index.saturating_mul(dpb) + u64::from(sb.backup_group != 0);
    let block = sb
        .group_first_block(first)
        .saturating_add(u64::from(sb.group_has_super(first)) + group_zero_adjust(sb, first));
    (block, offset)
}

/// 1 KiB blocks with s_first_data_block 0 (bigalloc): block 0 is the boot
/// block and the superblock is block 1, so group 0's meta_bg descriptor block
/// is block 2, not 1 (super.c `descriptor_loc`; e2fsprogs
/// `ext2fs_descriptor_block_loc2`'s group_zero_adjust).
fn group_zero_adjust(sb: &Superblock, group: u64) -> u64 {
    u64::from(group == 0 && sb.block_size == 1024 && sb.first_data_block == 0)
}

/// Reads every group descriptor. Descriptors that cannot be read end the table
/// (the image is truncated); the findings say so.
pub fn read_descriptors(
    view: &View<'_>,
    sb: &Superblock,
    findings: &mut Vec<Finding>,
) -> Vec<GroupDesc> {
    let mut out = Vec::new();
    let bs = u64::from(sb.block_size);
    let desc_size = sb.desc_size as usize;
    let max_groups = max_groups(view, sb);
    if sb.group_count > max_groups {
        findings.push(Finding::new(Code::BadSuperblock,
            format!(
                "the superblock describes {} block groups ({} blocks of {} per group) but the volume's {} blocks hold at most {max_groups} inode tables of {} blocks; only the first {max_groups} groups are read",
                sb.group_count,
                sb.blocks_count,
                sb.blocks_per_group,
                view.len() / bs,
                inode_table_blocks(sb).max(1)
            ),
        ));
    }
    for group in 0..sb.group_count.min(max_groups) {
        let (block, offset) = descriptor_location(sb, group);
        let at = block.saturating_mul(bs).saturating_add(offset);
        let raw = match view.read(at, desc_size) {
            Ok(raw) => raw,
            Err(e) => {
                findings.push(Finding::new(Code::TruncatedImage,
                    format!(
                        "group descriptor {group} of {} cannot be read ({e}); groups from {group} on are not scanned",
                        sb.group_count
                    ),
                ));
                break;
            }
        };
        let Ok(group32) = u32::try_from(group) else {
            break;
        };
        let is64 = sb.has_incompat(incompat::BIT64) && desc_size >= 64;
        let hi = |off: usize| if is64 { le32(raw, off) } else { 0 };
        let hi16 = |off: usize| if is64 { le16(raw, off) } else { 0 };
        let stored = le16(raw, 0x1E);
        let computed = descriptor_checksum(sb, group32, raw);
        let checksum_ok = computed.is_none_or(|c| c == stored);
        if !checksum_ok {
            findings.push(
                Finding::new(Code::ChecksumMismatch,
                    format!(
                        "group descriptor {group} checksum is {stored:#06x}, computed {:#06x} (descriptor at byte {:#x}); its flags are not trusted",
                        computed.unwrap_or(0),
                        view.base().saturating_add(at)
                    ),
                )
                .with_blocks([[block, 1]]),
            );
        }
        // A backup table's flags and unused counts are as old as the backup:
        // e2fsprogs' ext2fs_open2 clears BLOCK_UNINIT, INODE_UNINIT and
        // bg_itable_unused when it opens one, and so is every slot read here.
        let from_backup = sb.backup_group != 0;
        out.push(GroupDesc {
            group: group32,
            block_bitmap: hi_lo(hi(0x20), le32(raw, 0x0)),
            inode_bitmap: hi_lo(hi(0x24), le32(raw, 0x4)),
            inode_table: hi_lo(hi(0x28), le32(raw, 0x8)),
            flags: if from_backup {
                le16(raw, 0x12) & !(BG_INODE_UNINIT | BG_BLOCK_UNINIT)
            } else {
                le16(raw, 0x12)
            },
            itable_unused: if from_backup {
                0
            } else {
                (u32::from(hi16(0x32)) << 16) | u32::from(le16(raw, 0x1C))
            },
            checksum_ok,
            block_bitmap_csum: (u32::from(hi16(0x38)) << 16) | u32::from(le16(raw, 0x18)),
            inode_bitmap_csum: (u32::from(hi16(0x3A)) << 16) | u32::from(le16(raw, 0x1A)),
        });
    }
    out
}

/// The most groups whose descriptors are read: every group owns an inode
/// table of its own (e2fsck `check_super_block` holds s_inodes_per_group to
/// what fits in s_blocks_per_group − 4 blocks, so the tables of all groups fit
/// in the filesystem), so a volume of N blocks holds at most
/// N / (blocks per inode table) of them, wherever flex_bg puts them. A
/// superblock that claims more (a forged s_blocks_count_hi makes 2^40 groups)
/// sizes no work by its claim: the rest lie past the end of the image.
pub fn max_groups(view: &View<'_>, sb: &Superblock) -> u64 {
    let image_blocks = view.len() / u64::from(sb.block_size).max(1);
    (image_blocks / inode_table_blocks(sb).max(1)).max(1)
}

/// Whether `len` blocks at `start` can hold group metadata: inside the
/// filesystem and past s_first_data_block, the block of the primary
/// superblock. The kernel refuses a bitmap at or below it
/// (fs/ext4/balloc.c `ext4_read_block_bitmap_nowait`, fs/ext4/ialloc.c
/// `ext4_read_inode_bitmap`: "Invalid block bitmap block"), and e2fsck
/// `check_super_block` takes a bitmap or inode table at block 0 as invalid:
/// a zeroed descriptor (read past the real table when s_blocks_count is
/// forged) would otherwise put every table over the superblock.
pub fn metadata_in_fs(sb: &Superblock, start: u64, len: u64) -> bool {
    start > u64::from(sb.first_data_block) && start.saturating_add(len) <= sb.blocks_count
}

/// `bg_checksum` as it should be, or None when the filesystem has none.
/// e2fsprogs lib/ext2fs/csum.c `ext2fs_group_desc_csum`.
fn descriptor_checksum(sb: &Superblock, group: u32, raw: &[u8]) -> Option<u16> {
    let group_le = group.to_le_bytes();
    let before = raw.get(..0x1E).unwrap_or(&[]);
    let after = raw.get(0x20..).unwrap_or(&[]);
    if sb.metadata_csum() {
        let crc = raw_crc32c(sb.checksum_seed, &group_le);
        let crc = raw_crc32c(crc, before);
        let crc = raw_crc32c(crc, &[0, 0]);
        let crc = raw_crc32c(crc, after);
        Some((crc & 0xFFFF) as u16)
    } else if sb.has_ro_compat(ro_compat::GDT_CSUM) {
        let crc = crc16(!0, &sb.uuid);
        let crc = crc16(crc, &group_le);
        let crc = crc16(crc, before);
        Some(crc16(crc, after))
    } else {
        None
    }
}

/// Blocks one inode table occupies.
pub fn inode_table_blocks(sb: &Superblock) -> u64 {
    (u64::from(sb.inodes_per_group) * u64::from(sb.inode_size)).div_ceil(u64::from(sb.block_size))
}

/// Every metadata region of the filesystem, each with its role and group.
/// Descriptor-given locations outside the filesystem become findings instead.
pub fn metadata_regions(
    sb: &Superblock,
    descs: &[GroupDesc],
    findings: &mut Vec<Finding>,
) -> Vec<MetadataRegion> {
    let mut regions = Vec::new();
    let meta_bg = sb.has_incompat(incompat::META_BG);
    // The table as long as the groups read need, not as s_blocks_count says:
    // a forged count would make every block of the image a descriptor block.
    let desc_blocks = sb
        .desc_blocks()
        .min((descs.len() as u64).div_ceil(sb.descs_per_block().max(1)));
    // Without meta_bg the whole table is copied with each superblock; with it,
    // only the first s_first_meta_bg blocks are.
    let old_desc_blocks = if meta_bg {
        desc_blocks.min(u64::from(sb.first_meta_bg))
    } else {
        desc_blocks
    };
    let reserved_gdt = if meta_bg {
        0
    } else {
        u64::from(sb.reserved_gdt_blocks)
    };
    let dpb = sb.descs_per_block();
    // Only the groups whose descriptors were read (bounded by the image).
    for group in 0..descs.len() as u64 {
        let g32 = u32::try_from(group).ok();
        if sb.group_has_super(group) {
            let sb_block = if group == 0 {
                primary_sb_block(sb)
            } else {
                sb.group_first_block(group)
            };
            push(&mut regions, sb_block, 1, roles::SUPERBLOCK, g32);
            if old_desc_blocks > 0 {
                push(
                    &mut regions,
                    sb_block + 1,
                    old_desc_blocks,
                    roles::GROUP_DESCRIPTORS,
                    g32,
                );
            }
            if reserved_gdt > 0 {
                push(
                    &mut regions,
                    sb_block + 1 + old_desc_blocks,
                    reserved_gdt,
                    roles::RESERVED_GDT,
                    g32,
                );
            }
        }
        if is_meta_bg_group(sb, group) {
            let r = group % dpb;
            if r == 0 || r == 1 || r == dpb - 1 {
                let block = sb.group_first_block(group)
                    + u64::from(sb.group_has_super(group))
                    + group_zero_adjust(sb, group);
                push(&mut regions, block, 1, roles::GROUP_DESCRIPTORS, g32);
            }
        }
    }
    let table_blocks = inode_table_blocks(sb);
    for desc in descs {
        for (start, len, role) in [
            (desc.block_bitmap, 1, roles::BLOCK_BITMAP),
            (desc.inode_bitmap, 1, roles::INODE_BITMAP),
            (desc.inode_table, table_blocks, roles::INODE_TABLE),
        ] {
            if !metadata_in_fs(sb, start, len) {
                findings.push(
                    Finding::new(Code::BadGroupDescriptor,
                        format!(
                            "group {}: {} at block {start} (+{len}) lies outside the filesystem's blocks {}..{} (block {} holds the superblock)",
                            desc.group,
                            role.name(),
                            u64::from(sb.first_data_block).saturating_add(1),
                            sb.blocks_count,
                            sb.first_data_block
                        ),
                    )
                    .with_blocks([[start, len]]),
                );
                continue;
            }
            push(&mut regions, start, len, role, Some(desc.group));
        }
    }
    if sb.has_incompat(incompat::MMP) && sb.mmp_block != 0 {
        if sb.mmp_block < sb.blocks_count {
            push(&mut regions, sb.mmp_block, 1, roles::MMP, None);
        } else {
            findings.push(Finding::new(
                Code::OutOfRange,
                format!(
                    "the MMP block {} is beyond the end of the filesystem ({} blocks)",
                    sb.mmp_block, sb.blocks_count
                ),
            ));
        }
    }
    regions.sort_by_key(|r| (r.start, r.len));
    regions
}

fn push(
    regions: &mut Vec<MetadataRegion>,
    start: u64,
    len: u64,
    role: MetaRole,
    group: Option<u32>,
) {
    regions.push(MetadataRegion {
        start,
        len,
        role,
        group,
    });
}

/// What the block bitmaps say is allocated.
pub struct Allocation {
    /// Sorted, disjoint allocated runs.
    pub allocated: Vec<(BlockNo, u64)>,
    /// Groups whose bitmap could not be read: nothing is known there.
    pub unknown: Vec<(BlockNo, u64)>,
}

/// Reads every block bitmap (verifying its checksum) and turns set bits into runs.
/// A BLOCK_UNINIT group is taken as the kernel synthesises it: its metadata only.
pub fn read_block_bitmaps(
    view: &View<'_>,
    sb: &Superblock,
    descs: &[GroupDesc],
    regions: &[MetadataRegion],
    findings: &mut Vec<Finding>,
) -> Allocation {
    let mut allocated: Vec<(BlockNo, u64)> = Vec::new();
    let mut unknown = Vec::new();
    let bs = u64::from(sb.block_size);
    let ratio = u64::from(sb.cluster_ratio);
    let bits = if sb.cluster_ratio > 1 {
        sb.clusters_per_group
    } else {
        sb.blocks_per_group
    };
    let bitmap_bytes = (bits as usize).div_ceil(8);
    let metadata_runs = coalesce_runs(regions.iter().map(|r| (r.start, r.len)).collect());
    for desc in descs {
        let group = u64::from(desc.group);
        let first = sb.group_first_block(group);
        let len = sb.group_len(group);
        let end = first.saturating_add(len);
        if desc.block_uninit(sb) && desc.checksum_ok {
            // Synthesised: the metadata that lies in this group. The runs are
            // disjoint and sorted, so their ends are sorted too.
            let k = metadata_runs.partition_point(|&(s, l)| s.saturating_add(l) <= first);
            for &(s, l) in metadata_runs.get(k..).unwrap_or(&[]) {
                if s >= end {
                    break;
                }
                let (s, e) = (s.max(first), s.saturating_add(l).min(end));
                if s < e {
                    allocated.push((s, e - s));
                }
            }
            continue;
        }
        let at = desc.block_bitmap.saturating_mul(bs);
        let bitmap = match view.read(at, bitmap_bytes) {
            Ok(b) if metadata_in_fs(sb, desc.block_bitmap, 1) => b,
            _ => {
                unknown.push((first, len));
                continue;
            }
        };
        findings.extend(bitmap_checksum_mismatch(
            sb,
            bitmap,
            desc.block_bitmap_csum,
            "block",
            desc.group,
            desc.block_bitmap,
        ));
        for (bit_start, bit_len) in set_bit_runs(bitmap, u64::from(bits)) {
            let s = first.saturating_add(bit_start.saturating_mul(ratio));
            let e = s.saturating_add(bit_len.saturating_mul(ratio)).min(end);
            if s < e {
                allocated.push((s, e - s));
            }
        }
    }
    allocated.sort_unstable();
    Allocation {
        allocated: coalesce_runs(allocated),
        unknown,
    }
}

/// Verifies the inode bitmap checksum of each initialised group and returns the
/// bitmaps (None for groups whose bitmap is uninitialised or unreadable).
pub fn read_inode_bitmaps<'a>(
    view: &View<'a>,
    sb: &Superblock,
    descs: &[GroupDesc],
    findings: &mut Vec<Finding>,
) -> Vec<Option<&'a [u8]>> {
    let bs = u64::from(sb.block_size);
    let bytes = (sb.inodes_per_group as usize).div_ceil(8);
    descs
        .iter()
        .map(|desc| {
            if desc.inode_uninit(sb) || !metadata_in_fs(sb, desc.inode_bitmap, 1) {
                return None;
            }
            let bitmap = view
                .read(desc.inode_bitmap.saturating_mul(bs), bytes)
                .ok()?;
            findings.extend(bitmap_checksum_mismatch(
                sb,
                bitmap,
                desc.inode_bitmap_csum,
                "inode",
                desc.group,
                desc.inode_bitmap,
            ));
            Some(bitmap)
        })
        .collect()
}

/// Under metadata_csum, the finding for a bitmap whose checksum does not
/// verify: crc32c(seed, bitmap), stored in 16 bits with 32-byte descriptors and
/// in 32 (lo and hi halves) with 64-byte ones.
fn bitmap_checksum_mismatch(
    sb: &Superblock,
    bitmap: &[u8],
    stored: u32,
    kind: &str,
    group: u32,
    block: u64,
) -> Option<Finding> {
    if !sb.metadata_csum() {
        return None;
    }
    let computed = raw_crc32c(sb.checksum_seed, bitmap);
    let (stored, computed) = if sb.desc_size >= 64 {
        (stored, computed)
    } else {
        (stored & 0xFFFF, computed & 0xFFFF)
    };
    (stored != computed).then(|| {
        Finding::new(Code::ChecksumMismatch,
            format!(
                "{kind} bitmap of group {group} (block {block}) checksum is {stored:#x}, computed {computed:#x}"
            ),
        )
        .with_blocks([[block, 1]])
    })
}

/// Runs of set bits among the first `nbits` bits (little-endian bit order, as
/// ext bitmaps are), skipping whole 0x00 and 0xFF bytes quickly.
pub fn set_bit_runs(bitmap: &[u8], nbits: u64) -> Vec<(u64, u64)> {
    let mut runs = Vec::new();
    let mut run_start: Option<u64> = None;
    for (i, &byte) in bitmap.iter().enumerate() {
        let base = i as u64 * 8;
        if base >= nbits {
            break;
        }
        let whole = base + 8 <= nbits;
        if whole && byte == 0xFF {
            run_start.get_or_insert(base);
            continue;
        }
        if whole && byte == 0 {
            if let Some(s) = run_start.take() {
                runs.push((s, base - s));
            }
            continue;
        }
        for bit in 0..8u64 {
            let n = base + bit;
            if n >= nbits {
                break;
            }
            if byte & (1 << bit) != 0 {
                run_start.get_or_insert(n);
            } else if let Some(s) = run_start.take() {
                runs.push((s, n - s));
            }
        }
    }
    if let Some(s) = run_start {
        let end = nbits.min(bitmap.len() as u64 * 8);
        runs.push((s, end - s));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_runs() {
        assert_eq!(set_bit_runs(&[0b0000_0110], 8), vec![(1, 2)]);
        assert_eq!(set_bit_runs(&[0xFF, 0xFF, 0x01], 24), vec![(0, 17)]);
        assert_eq!(set_bit_runs(&[0xFF, 0x00, 0x80], 24), vec![(0, 8), (23, 1)]);
        // Bits past nbits (padding in the last group) are ignored.
        assert_eq!(set_bit_runs(&[0xFF, 0xFF], 12), vec![(0, 12)]);
        assert_eq!(set_bit_runs(&[], 8), vec![]);
    }
}
