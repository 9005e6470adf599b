//! What each region of a FAT volume is, in the model's terms (Microsoft's
//! FAT specification, "FAT Volume Structure": reserved region, FAT region,
//! root directory region, data region).

use crate::model::{MetaKind, MetaRole};

/// The boot sector and the rest of the reserved sectors (FSInfo, the backup
/// boot sector).
pub const RESERVED: MetaRole = MetaRole {
    kind: MetaKind::Reserved,
    name: "fat_reserved",
    words: |_| "the reserved sectors (boot sector)".into(),
};
/// One copy of the file allocation table (the region's `group` is the copy
/// number, from 0).
pub const TABLE: MetaRole = MetaRole {
    kind: MetaKind::AllocationMap,
    name: "fat",
    words: |copy| match copy {
        Some(copy) => format!("FAT #{}", u64::from(copy) + 1),
        None => "the FAT".into(),
    },
};
/// FAT12/16: the fixed root-directory region.
pub const ROOT_DIRECTORY: MetaRole = MetaRole {
    kind: MetaKind::Directory,
    name: "fat_root_directory",
    words: |_| "the root directory region".into(),
};
