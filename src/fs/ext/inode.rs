//! One on-disk inode (`struct ext4_inode`), decoded, with its checksum verified.
//!
//! Sources: Documentation/filesystems/ext4/inodes.rst; fs/ext4/ext4.h;
//! e2fsprogs lib/ext2fs/csum.c (`ext2fs_inode_csum`).

use crate::bytes::{hi_lo, le16, le32, u8_at};
use crate::fs::ext::csum::raw_crc32c;
use crate::fs::ext::superblock::{Superblock, ro_compat};

/// i_flags bits imginspect interprets.
pub mod flags {
    pub const INDEX: u32 = 0x1000;
    pub const HUGE_FILE: u32 = 0x40000;
    pub const EXTENTS: u32 = 0x80000;
    pub const EA_INODE: u32 = 0x200000;
    pub const INLINE_DATA: u32 = 0x1000_0000;
}

/// Inodes up to this size are checksummed from one stack copy; the rest of a
/// larger inode is fed after it (its checksum fields are in the first 132 bytes).
const MAX_CHECKSUMMED_INODE: usize = 1024;

/// Byte offset and length of `i_block` inside the inode.
pub const I_BLOCK_OFFSET: usize = 0x28;
pub const I_BLOCK_LEN: usize = 60;

/// The inode fields the model needs.
#[derive(Debug, Clone)]
pub struct RawInode<'a> {
    pub ino: u64,
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: u32,
    pub ctime: u32,
    pub mtime: u32,
    pub dtime: u32,
    pub crtime: Option<u32>,
    pub links: u16,
    /// i_blocks converted to 512-byte sectors (huge_file and HUGE_FILE_FL honoured).
    pub sectors: u64,
    pub flags: u32,
    pub generation: u32,
    pub file_acl: u64,
    pub extra_isize: u16,
    /// The 60 bytes of `i_block`: block pointers, an extent-tree root, inline
    /// data or a fast symlink's target.
    pub i_block: &'a [u8],
    /// The whole on-disk inode (s_inode_size bytes).
    pub raw: &'a [u8],
}

impl<'a> RawInode<'a> {
    pub fn parse(sb: &Superblock, ino: u64, raw: &'a [u8]) -> RawInode<'a> {
        let huge = sb.has_ro_compat(ro_compat::HUGE_FILE);
        let flags = le32(raw, 0x20);
        let blocks_lo = u64::from(le32(raw, 0x1C));
        let blocks_hi = if huge { u64::from(le16(raw, 0x74)) } else { 0 };
        let blocks = (blocks_hi << 32) | blocks_lo;
        // With HUGE_FILE_FL, i_blocks counts filesystem blocks, not sectors.
        let sectors = if huge && flags & flags::HUGE_FILE != 0 {
            blocks.saturating_mul(u64::from(sb.block_size / 512))
        } else {
            blocks
        };
        let extra_isize = if raw.len() > 128 { le16(raw, 0x80) } else { 0 };
        // i_crtime lives at 0x90, inside the extra area when i_extra_isize covers it.
        let crtime =
            (raw.len() > 128 && 0x80 + usize::from(extra_isize) >= 0x94).then(|| le32(raw, 0x90));
        RawInode {
            ino,
            mode: le16(raw, 0x0),
            uid: (u32::from(le16(raw, 0x78)) << 16) | u32::from(le16(raw, 0x2)),
            gid: (u32::from(le16(raw, 0x7A)) << 16) | u32::from(le16(raw, 0x18)),
            size: hi_lo(le32(raw, 0x6C), le32(raw, 0x4)),
            atime: le32(raw, 0x8),
            ctime: le32(raw, 0xC),
            mtime: le32(raw, 0x10),
            dtime: le32(raw, 0x14),
            crtime,
            links: le16(raw, 0x1A),
            sectors,
            flags,
            generation: le32(raw, 0x64),
            file_acl: hi_lo(u32::from(le16(raw, 0x76)), le32(raw, 0x68)),
            extra_isize,
            i_block: raw
                .get(I_BLOCK_OFFSET..I_BLOCK_OFFSET + I_BLOCK_LEN)
                .unwrap_or(&[]),
            raw,
        }
    }

    pub fn has_flag(&self, bit: u32) -> bool {
        self.flags & bit != 0
    }

    /// The value of the in-inode extended attribute `system.data`: the part of
    /// an inline-data file or directory beyond the 60 bytes of `i_block`.
    ///
    /// The in-inode xattr area starts at 128 + i_extra_isize with the magic
    /// 0xEA020000, then `struct ext4_xattr_entry` records (name_len, name_index,
    /// value_offs, value_inum, value_size, hash, name) padded to 4 bytes, ended by
    /// four zero bytes; value offsets count from the first entry.
    /// Sources: Documentation/filesystems/ext4/attributes.rst, inlinedata.rst.
    pub fn inline_data_xattr(&self) -> Option<&'a [u8]> {
        const XATTR_MAGIC: u32 = 0xEA02_0000;
        const SYSTEM_INDEX: u8 = 7;
        let area_start = 128usize.checked_add(usize::from(self.extra_isize))?;
        let area = self.raw.get(area_start..)?;
        if le32(area, 0) != XATTR_MAGIC {
            return None;
        }
        let entries = area.get(4..)?;
        let mut at = 0usize;
        // Each entry is at least 16 bytes: the loop ends within entries.len()/16 steps.
        while let Some(head) = entries.get(at..at.checked_add(16)?) {
            if le32(head, 0) == 0 {
                return None;
            }
            let name_len = usize::from(u8_at(head, 0));
            let name_index = u8_at(head, 1);
            let value_offs = usize::from(le16(head, 2));
            let value_size = le32(head, 8) as usize;
            let name = entries.get(at + 16..at + 16 + name_len)?;
            if name_index == SYSTEM_INDEX && name == b"data" {
                return entries.get(value_offs..value_offs.checked_add(value_size)?);
            }
            at = at.checked_add((16 + name_len).next_multiple_of(4))?;
        }
        None
    }

    /// Verifies `l_i_checksum_lo` / `i_checksum_hi` under metadata_csum.
    /// Returns (stored, computed) on a mismatch.
    ///
    /// The checksum is crc32c(seed, le32 inode number ‖ le32 i_generation ‖ the
    /// whole inode with both checksum fields zeroed); only the low 16 bits are
    /// stored when the inode has no room for `i_checksum_hi`.
    pub fn checksum_mismatch(&self, sb: &Superblock) -> Option<(u32, u32)> {
        if !sb.metadata_csum() {
            return None;
        }
        let ino32 = u32::try_from(self.ino).unwrap_or(u32::MAX);
        let has_hi = self.raw.len() > 128 && self.extra_isize >= 4;
        // One pass over a copy with both checksum fields zeroed: l_i_checksum_lo
        // (0x7C..0x7E) and, when present, i_checksum_hi (0x82..0x84).
        let mut buf = [0u8; 8 + MAX_CHECKSUMMED_INODE];
        let n = self.raw.len().min(MAX_CHECKSUMMED_INODE);
        let (head, body) = buf.split_at_mut(8);
        let (ino_field, gen_field) = head.split_at_mut(4);
        ino_field.copy_from_slice(&ino32.to_le_bytes());
        gen_field.copy_from_slice(&self.generation.to_le_bytes());
        if let (Some(body), Some(raw)) = (body.get_mut(..n), self.raw.get(..n)) {
            body.copy_from_slice(raw);
            if let Some(f) = body.get_mut(0x7C..0x7E) {
                f.fill(0);
            }
            if let Some(f) = body.get_mut(0x82..0x84).filter(|_| has_hi) {
                f.fill(0);
            }
        }
        let mut crc = raw_crc32c(sb.checksum_seed, buf.get(..8 + n).unwrap_or(&[]));
        // Inodes larger than the buffer (rare: s_inode_size up to the block size).
        if let Some(rest) = self.raw.get(MAX_CHECKSUMMED_INODE..) {
            crc = raw_crc32c(crc, rest);
        }
        let lo = u32::from(le16(self.raw, 0x7C));
        let (stored, computed) = if has_hi {
            ((u32::from(le16(self.raw, 0x82)) << 16) | lo, crc)
        } else {
            (lo, crc & 0xFFFF)
        };
        (stored != computed).then_some((stored, computed))
    }
}
