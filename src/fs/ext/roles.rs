//! What each region of ext metadata is, in the model's terms
//! (Documentation/filesystems/ext4/overview.rst: the layout of a block group).

use crate::model::{MetaKind, MetaRole};

/// "the inode table of group 3": ext names its regions by their group.
macro_rules! in_group {
    ($words:literal) => {
        |group: Option<u32>| match group {
            Some(g) => format!(concat!("the ", $words, " of group {}"), g),
            None => concat!("the ", $words).to_string(),
        }
    };
}

/// The superblock or one of its backups.
pub const SUPERBLOCK: MetaRole = MetaRole {
    kind: MetaKind::Header,
    name: "superblock",
    words: in_group!("superblock"),
};
/// The group descriptor table (or a backup of it, or a meta_bg group's block).
pub const GROUP_DESCRIPTORS: MetaRole = MetaRole {
    kind: MetaKind::Descriptors,
    name: "group_descriptors",
    words: in_group!("group descriptors"),
};
/// Reserved GDT blocks, kept for online resize (s_reserved_gdt_blocks).
pub const RESERVED_GDT: MetaRole = MetaRole {
    kind: MetaKind::Reserved,
    name: "reserved_gdt",
    words: in_group!("reserved gdt"),
};
pub const BLOCK_BITMAP: MetaRole = MetaRole {
    kind: MetaKind::AllocationMap,
    name: "block_bitmap",
    words: in_group!("block bitmap"),
};
pub const INODE_BITMAP: MetaRole = MetaRole {
    kind: MetaKind::AllocationMap,
    name: "inode_bitmap",
    words: in_group!("inode bitmap"),
};
pub const INODE_TABLE: MetaRole = MetaRole {
    kind: MetaKind::InodeTable,
    name: "inode_table",
    words: in_group!("inode table"),
};
/// The multiple-mount protection block (s_mmp_block).
pub const MMP: MetaRole = MetaRole {
    kind: MetaKind::Other,
    name: "mmp",
    words: in_group!("mmp"),
};
