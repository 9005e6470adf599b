//! What each region of XFS metadata is, in the model's terms (the XFS
//! Algorithms & Data Structures book: "Allocation Groups"). Regions are
//! numbered by their allocation group.

use crate::model::{MetaKind, MetaRole};

/// An AG's first sectors: the superblock or its copy, AGF, AGI, AGFL.
pub const AG_HEADER: MetaRole = MetaRole {
    kind: MetaKind::Header,
    name: "xfs_ag_header",
    words: |ag| match ag {
        Some(ag) => format!("the AG headers of AG {ag} (superblock, AGF, AGI, AGFL)"),
        None => "the AG headers (superblock, AGF, AGI, AGFL)".into(),
    },
};
/// A block of a per-AG btree (free space, inodes, rmap, refcount).
pub const BTREE: MetaRole = MetaRole {
    kind: MetaKind::Index,
    name: "xfs_btree",
    words: |ag| match ag {
        Some(ag) => format!("a btree block of AG {ag}"),
        None => "a btree block".into(),
    },
};
/// A block held on an AG's free list (AGFL), reserved for btree growth.
pub const FREE_LIST: MetaRole = MetaRole {
    kind: MetaKind::Reserved,
    name: "xfs_free_list",
    words: |ag| match ag {
        Some(ag) => format!("the free list (AGFL) of AG {ag}"),
        None => "the free list (AGFL)".into(),
    },
};
/// The blocks of an inode chunk.
pub const INODE_CHUNK: MetaRole = MetaRole {
    kind: MetaKind::InodeTable,
    name: "xfs_inode_chunk",
    words: |ag| match ag {
        Some(ag) => format!("an inode chunk of AG {ag}"),
        None => "an inode chunk".into(),
    },
};
/// The internal log (sb_logstart, sb_logblocks).
pub const LOG: MetaRole = MetaRole {
    kind: MetaKind::Log,
    name: "xfs_log",
    words: |_| "the XFS log".into(),
};
