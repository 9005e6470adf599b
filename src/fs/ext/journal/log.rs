//! The log's on-disk structures (include/linux/jbd2.h): the journal
//! superblock (journal_superblock_t), descriptor tags (journal_block_tag_t /
//! tag3_t), revoke records (jbd2_journal_revoke_header_t) and the checksums
//! that guard them; and the journal inode's map, through which every journal
//! block is read.

use crate::bytes::{be16, be32};
use crate::fs::ext::blockmap;
use crate::fs::ext::csum::raw_crc32c;
use crate::fs::ext::inode::{RawInode, flags};
use crate::fs::ext::inode_model::data_role;
use crate::fs::ext::superblock::Superblock;
use crate::image::View;
use crate::model::{BlockNo, BlockRun};

pub(super) const JBD2_MAGIC: u32 = 0xC03B_3998;
pub(super) const DESCRIPTOR_BLOCK: u32 = 1;
pub(super) const COMMIT_BLOCK: u32 = 2;
pub(super) const SUPERBLOCK_V1: u32 = 3;
pub(super) const SUPERBLOCK_V2: u32 = 4;
pub(super) const REVOKE_BLOCK: u32 = 5;

/// s_feature_compat / s_feature_incompat bits.
pub(super) const COMPAT_CHECKSUM: u32 = 0x1;
pub(super) const INCOMPAT_REVOKE: u32 = 0x1;
pub(super) const INCOMPAT_64BIT: u32 = 0x2;
pub(super) const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
pub(super) const INCOMPAT_CSUM_V2: u32 = 0x8;
pub(super) const INCOMPAT_CSUM_V3: u32 = 0x10;
pub(super) const INCOMPAT_FAST_COMMIT: u32 = 0x20;
pub(super) const KNOWN_INCOMPAT: u32 = INCOMPAT_REVOKE
    | INCOMPAT_64BIT
    | INCOMPAT_ASYNC_COMMIT
    | INCOMPAT_CSUM_V2
    | INCOMPAT_CSUM_V3
    | INCOMPAT_FAST_COMMIT;

/// Tag flags (journal_block_tag_t.t_flags).
pub(super) const FLAG_ESCAPE: u32 = 0x1;
pub(super) const FLAG_SAME_UUID: u32 = 0x2;
pub(super) const FLAG_LAST_TAG: u32 = 0x8;

/// The journal's geometry and features (journal_superblock_t).
pub(super) struct JournalSb {
    pub(super) block_size: u32,
    pub(super) maxlen: u64,
    pub(super) first: u64,
    pub(super) sequence: u32,
    pub(super) start: u64,
    pub(super) incompat: u32,
    pub(super) compat: u32,
    /// crc32c(~0, s_uuid): the seed of every v2/v3 checksum.
    pub(super) seed: u32,
}

impl JournalSb {
    pub(super) fn csum(&self) -> bool {
        self.incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3) != 0
    }

    /// Bytes per tag (jbd2.h `journal_tag_bytes`).
    pub(super) fn tag_bytes(&self) -> usize {
        if self.incompat & INCOMPAT_CSUM_V3 != 0 {
            return 16;
        }
        let mut size = 12;
        if self.incompat & INCOMPAT_CSUM_V2 != 0 {
            size += 2;
        }
        if self.incompat & INCOMPAT_64BIT == 0 {
            size -= 4;
        }
        size
    }

    /// The journal block after `block`, wrapping from the end to `s_first`.
    pub(super) fn next(&self, block: u64) -> u64 {
        let next = block.saturating_add(1);
        if next >= self.maxlen {
            self.first
        } else {
            next
        }
    }

    /// jbd2 `jbd2_block_tag_csum_verify`: crc32c(seed, be32 sequence ‖ block).
    pub(super) fn data_csum(&self, sequence: u32, data: &[u8]) -> u32 {
        raw_crc32c(raw_crc32c(self.seed, &sequence.to_be_bytes()), data)
    }

    /// Descriptor and revoke blocks end in a 4-byte checksum of the block
    /// with that field zeroed (jbd2_journal_block_tail).
    pub(super) fn tail_ok(&self, block: &[u8]) -> bool {
        if !self.csum() {
            return true;
        }
        let n = block.len();
        let Some(tail_at) = n.checked_sub(4) else {
            return false;
        };
        let stored = be32(block, tail_at);
        let mut copy = block.to_vec();
        if let Some(t) = copy.get_mut(tail_at..) {
            t.fill(0);
        }
        raw_crc32c(self.seed, &copy) == stored
    }

    /// The commit block's checksum (commit_header.h_chksum[0]), computed with
    /// h_chksum_type, h_chksum_size and h_chksum[0] zeroed.
    pub(super) fn commit_ok(&self, block: &[u8]) -> bool {
        if !self.csum() {
            return true;
        }
        let stored = be32(block, 16);
        let mut copy = block.to_vec();
        if let Some(f) = copy.get_mut(12..14) {
            f.fill(0);
        }
        if let Some(f) = copy.get_mut(16..20) {
            f.fill(0);
        }
        raw_crc32c(self.seed, &copy) == stored
    }
}

/// A tag read from a descriptor block.
pub(super) struct Tag {
    pub(super) block: BlockNo,
    pub(super) flags: u32,
    pub(super) checksum: u32,
}

/// The journal inode's block map, journal block → filesystem block:
/// `(journal block, filesystem block, length)` extents, sorted.
pub(super) struct JournalMap {
    extents: Vec<(u64, BlockNo, u64)>,
}

impl JournalMap {
    /// The journal inode's own map (extents or indirect blocks).
    pub(super) fn of_inode(view: &View<'_>, sb: &Superblock, ri: &RawInode<'_>) -> JournalMap {
        let mut runs: Vec<BlockRun> = Vec::new();
        {
            let mut mapping = blockmap::Mapping::new(&mut runs);
            if ri.has_flag(flags::EXTENTS) {
                blockmap::map_extents(view, sb, ri, data_role(sb, ri), &mut mapping);
            } else {
                blockmap::map_indirect(view, sb, ri, data_role(sb, ri), &mut mapping);
            }
        }
        let mut extents: Vec<(u64, BlockNo, u64)> = runs
            .iter()
            .filter_map(|r| r.logical.map(|l| (l, r.start, r.len)))
            .collect();
        extents.sort_unstable();
        JournalMap { extents }
    }

    /// The filesystem block that holds journal block `j`.
    fn fs_block(&self, j: u64) -> Option<BlockNo> {
        let k = self.extents.partition_point(|&(l, _, _)| l <= j);
        let &(l, p, n) = self.extents.get(k.checked_sub(1)?)?;
        (j < l.saturating_add(n)).then(|| p.saturating_add(j - l))
    }

    /// Journal blocks the map covers.
    pub(super) fn mapped_blocks(&self) -> u64 {
        self.extents.iter().map(|&(_, _, n)| n).sum()
    }

    /// The filesystem blocks of the journal itself, as `(start, len)` runs.
    pub(super) fn own_runs(&self) -> Vec<(BlockNo, u64)> {
        self.extents.iter().map(|&(_, p, n)| (p, n)).collect()
    }
}

/// The journal as recovery reads it: its map and the filesystem block size.
pub(super) struct Log<'t, 'v> {
    pub(super) view: &'t View<'v>,
    pub(super) map: JournalMap,
    pub(super) block_size: u64,
}

impl Log<'_, '_> {
    /// Journal block `j`, read through the journal inode's map.
    pub(super) fn read_block(&self, j: u64) -> Option<Vec<u8>> {
        let bs = self.block_size;
        let fs_block = self.map.fs_block(j)?;
        let mut buf = vec![0u8; bs as usize];
        self.view
            .read_into(fs_block.checked_mul(bs)?, &mut buf)
            .ok()?;
        Some(buf)
    }
}

/// The tags of a descriptor block: up to the tag with LAST_TAG, within the
/// block (less its checksum tail).
pub(super) fn parse_tags(block: &[u8], jsb: &JournalSb, tag_bytes: usize) -> Vec<Tag> {
    let end = block.len().saturating_sub(if jsb.csum() { 4 } else { 0 });
    let mut tags = Vec::new();
    let mut at = 12usize;
    let csum_v3 = jsb.incompat & INCOMPAT_CSUM_V3 != 0;
    let wide = jsb.incompat & INCOMPAT_64BIT != 0;
    while at + tag_bytes <= end {
        let low = u64::from(be32(block, at));
        let (flags, high, checksum) = if csum_v3 {
            (
                be32(block, at + 4),
                be32(block, at + 8),
                be32(block, at + 12),
            )
        } else {
            (
                u32::from(be16(block, at + 6)),
                if wide { be32(block, at + 8) } else { 0 },
                u32::from(be16(block, at + 4)),
            )
        };
        let high = if wide { u64::from(high) } else { 0 };
        tags.push(Tag {
            block: (high << 32) | low,
            flags,
            checksum,
        });
        at += tag_bytes;
        if flags & FLAG_SAME_UUID == 0 {
            at += 16;
        }
        if flags & FLAG_LAST_TAG != 0 {
            break;
        }
    }
    tags
}

/// The block numbers of a revoke block (r_count bytes used, header included).
pub(super) fn parse_revokes(block: &[u8], jsb: &JournalSb) -> Vec<BlockNo> {
    let record = if jsb.incompat & INCOMPAT_64BIT != 0 {
        8
    } else {
        4
    };
    let limit = block.len().saturating_sub(if jsb.csum() { 4 } else { 0 });
    let used = (be32(block, 12) as usize).min(limit);
    let mut out = Vec::new();
    let mut at = 16usize;
    while at + record <= used {
        let b = if record == 8 {
            (u64::from(be32(block, at)) << 32) | u64::from(be32(block, at + 4))
        } else {
            u64::from(be32(block, at))
        };
        out.push(b);
        at += record;
    }
    out
}
