//! Metadata regions: the blocks the filesystem itself owns, and what each is.

use super::*;
use serde::Serialize;

/// What a metadata region is to the filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaRole {
    Superblock,
    GroupDescriptors,
    ReservedGdt,
    BlockBitmap,
    InodeBitmap,
    InodeTable,
    Mmp,
    /// FAT: the boot sector and the rest of the reserved sectors (FSInfo,
    /// backup boot sector).
    FatReserved,
    /// FAT: one copy of the file allocation table (the region's `group` is
    /// the copy number, from 0).
    Fat,
    /// FAT12/16: the fixed root-directory region.
    FatRootDirectory,
    /// EROFS: a block holding the superblock, inode slots (with their inline
    /// xattrs, tails and chunk indexes) or shared xattrs.
    ErofsMetadata,
    /// XFS: an AG's first sectors (superblock or its copy, AGF, AGI, AGFL).
    XfsAgHeader,
    /// XFS: a block of a per-AG btree (free space, inodes, rmap, refcount).
    XfsBtree,
    /// XFS: a block held on an AG's free list (AGFL), reserved for btrees.
    XfsFreeList,
    /// XFS: blocks of an inode chunk.
    XfsInodeChunk,
    /// XFS: the internal log.
    XfsLog,
}

impl MetaRole {
    /// "the inode table of group 3", "FAT #2": the region in words.
    pub fn describe(self, group: Option<u32>) -> String {
        match (self, group) {
            (MetaRole::Fat, Some(copy)) => format!("FAT #{}", u64::from(copy) + 1),
            (MetaRole::Fat, None) => "the FAT".into(),
            (MetaRole::FatReserved, _) => "the reserved sectors (boot sector)".into(),
            (MetaRole::FatRootDirectory, _) => "the root directory region".into(),
            (MetaRole::ErofsMetadata, _) => {
                "the EROFS metadata (superblock, inode slots, xattrs)".into()
            }
            (MetaRole::XfsAgHeader, Some(ag)) => {
                format!("the AG headers of AG {ag} (superblock, AGF, AGI, AGFL)")
            }
            (MetaRole::XfsBtree, Some(ag)) => format!("a btree block of AG {ag}"),
            (MetaRole::XfsFreeList, Some(ag)) => format!("the free list (AGFL) of AG {ag}"),
            (MetaRole::XfsInodeChunk, Some(ag)) => format!("an inode chunk of AG {ag}"),
            (MetaRole::XfsLog, _) => "the XFS log".into(),
            (_, Some(g)) => format!("the {} of group {g}", self.name().replace('_', " ")),
            (_, None) => format!("the {}", self.name().replace('_', " ")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MetaRole::Superblock => "superblock",
            MetaRole::GroupDescriptors => "group_descriptors",
            MetaRole::ReservedGdt => "reserved_gdt",
            MetaRole::BlockBitmap => "block_bitmap",
            MetaRole::InodeBitmap => "inode_bitmap",
            MetaRole::InodeTable => "inode_table",
            MetaRole::Mmp => "mmp",
            MetaRole::FatReserved => "fat_reserved",
            MetaRole::Fat => "fat",
            MetaRole::FatRootDirectory => "fat_root_directory",
            MetaRole::ErofsMetadata => "erofs_metadata",
            MetaRole::XfsAgHeader => "xfs_ag_header",
            MetaRole::XfsBtree => "xfs_btree",
            MetaRole::XfsFreeList => "xfs_agfl",
            MetaRole::XfsInodeChunk => "xfs_inode_chunk",
            MetaRole::XfsLog => "xfs_log",
        }
    }
}

/// A region the filesystem itself owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataRegion {
    pub start: BlockNo,
    pub len: u64,
    pub role: MetaRole,
    /// The block group the region belongs to, where the format has groups.
    pub group: Option<u32>,
}

impl MetadataRegion {
    pub fn end(&self) -> BlockNo {
        self.start.saturating_add(self.len)
    }
}
