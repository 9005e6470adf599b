//! Finding codes: every problem or notable fact a scan can report, with its
//! stable name (the JSON `code`), its default severity and what it means.
//! A code without an explanation does not compile: [`Code::explanation`]
//! matches every variant.

use super::Severity;

mod common;
mod erofs;
mod ext;
mod fat;
mod partitions;
mod xfs;

/// A finding's code. Serialised as its stable snake_case [`Code::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    AllocatedButUnclaimed,
    AmbiguousSymlink,
    AmbivalentFilesystem,
    BadAgHeader,
    BadBlockInUse,
    BadBlockMap,
    BadBtreeBlock,
    BadBtreeRecord,
    BadClusterChain,
    BadClusters,
    BadDirectory,
    BadDirectoryEntry,
    BadExtentTree,
    BadFsinfo,
    BadGroupDescriptor,
    BadInode,
    BadJournal,
    BadOrphanList,
    BadPartitionTable,
    BadSuperblock,
    BadXattrBlock,
    Bigalloc,
    ChecksumMismatch,
    ClaimedButFree,
    ClusterMisaligned,
    CowStaging,
    Crosslink,
    DirtyLog,
    ExternalLog,
    ExtraDevices,
    FatMismatch,
    FatTypeAmbiguous,
    FreeSpaceTreesDisagree,
    FsinfoMismatch,
    GptBackupMismatch,
    GptBackupMissing,
    GptNoProtectiveMbr,
    HiddenInode,
    HybridMbr,
    ImageChanged,
    InodeBitmapMismatch,
    JournalExternal,
    JournalFeatures,
    JournalInconsistent,
    JournalReplayPending,
    JournalReplaysOntoJournal,
    JournalTooLarge,
    JournalUncommitted,
    ManyNames,
    MetadataCollision,
    MetadataOverlap,
    NeedsRecovery,
    NeedsRepair,
    NoRootDirectory,
    OrphanCleanupPending,
    OutOfRange,
    PartialOverlap,
    PartitionOutOfRange,
    PartitionOutsideUsable,
    PartitionOverlap,
    PrimarySuperblockUnusable,
    RealtimeDevice,
    RefcountMismatch,
    Reflink,
    ReflinkFlagMissing,
    ReflinkUnrecorded,
    ResizeInodeInvalid,
    ReusedBlocks,
    RmapMetadataMismatch,
    RmapMissing,
    RmapOrphan,
    SelfReferencingPartition,
    SharedBlocksFeature,
    SharedLegitimately,
    SizeMismatch,
    SuperblockCopyMismatch,
    TruncatedImage,
    UnknownFeature,
    UnreachableInode,
    WalkBudgetExceeded,
    XattrRefcountMismatch,
}

/// What a finding means, in four parts, for the explain view and the HTML
/// report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    /// What the code is.
    pub what: &'static str,
    /// What an attacker can do with it.
    pub attack: &'static str,
    /// What fsck does about it.
    pub fsck: &'static str,
    /// What an immutable image (EROFS under OverlayFS) changes.
    pub immutable: &'static str,
}

impl Code {
    /// Every code, in name order.
    pub const ALL: [Code; 81] = [
        Code::AllocatedButUnclaimed,
        Code::AmbiguousSymlink,
        Code::AmbivalentFilesystem,
        Code::BadAgHeader,
        Code::BadBlockInUse,
        Code::BadBlockMap,
        Code::BadBtreeBlock,
        Code::BadBtreeRecord,
        Code::BadClusterChain,
        Code::BadClusters,
        Code::BadDirectory,
        Code::BadDirectoryEntry,
        Code::BadExtentTree,
        Code::BadFsinfo,
        Code::BadGroupDescriptor,
        Code::BadInode,
        Code::BadJournal,
        Code::BadOrphanList,
        Code::BadPartitionTable,
        Code::BadSuperblock,
        Code::BadXattrBlock,
        Code::Bigalloc,
        Code::ChecksumMismatch,
        Code::ClaimedButFree,
        Code::ClusterMisaligned,
        Code::CowStaging,
        Code::Crosslink,
        Code::DirtyLog,
        Code::ExternalLog,
        Code::ExtraDevices,
        Code::FatMismatch,
        Code::FatTypeAmbiguous,
        Code::FreeSpaceTreesDisagree,
        Code::FsinfoMismatch,
        Code::GptBackupMismatch,
        Code::GptBackupMissing,
        Code::GptNoProtectiveMbr,
        Code::HiddenInode,
        Code::HybridMbr,
        Code::ImageChanged,
        Code::InodeBitmapMismatch,
        Code::JournalExternal,
        Code::JournalFeatures,
        Code::JournalInconsistent,
        Code::JournalReplayPending,
        Code::JournalReplaysOntoJournal,
        Code::JournalTooLarge,
        Code::JournalUncommitted,
        Code::ManyNames,
        Code::MetadataCollision,
        Code::MetadataOverlap,
        Code::NeedsRecovery,
        Code::NeedsRepair,
        Code::NoRootDirectory,
        Code::OrphanCleanupPending,
        Code::OutOfRange,
        Code::PartialOverlap,
        Code::PartitionOutOfRange,
        Code::PartitionOutsideUsable,
        Code::PartitionOverlap,
        Code::PrimarySuperblockUnusable,
        Code::RealtimeDevice,
        Code::RefcountMismatch,
        Code::Reflink,
        Code::ReflinkFlagMissing,
        Code::ReflinkUnrecorded,
        Code::ResizeInodeInvalid,
        Code::ReusedBlocks,
        Code::RmapMetadataMismatch,
        Code::RmapMissing,
        Code::RmapOrphan,
        Code::SelfReferencingPartition,
        Code::SharedBlocksFeature,
        Code::SharedLegitimately,
        Code::SizeMismatch,
        Code::SuperblockCopyMismatch,
        Code::TruncatedImage,
        Code::UnknownFeature,
        Code::UnreachableInode,
        Code::WalkBudgetExceeded,
        Code::XattrRefcountMismatch,
    ];

    /// The stable snake_case name: the JSON `code`.
    pub fn name(self) -> &'static str {
        match self {
            Code::AllocatedButUnclaimed => "allocated_but_unclaimed",
            Code::AmbiguousSymlink => "ambiguous_symlink",
            Code::AmbivalentFilesystem => "ambivalent_filesystem",
            Code::BadAgHeader => "bad_ag_header",
            Code::BadBlockInUse => "bad_block_in_use",
            Code::BadBlockMap => "bad_block_map",
            Code::BadBtreeBlock => "bad_btree_block",
            Code::BadBtreeRecord => "bad_btree_record",
            Code::BadClusterChain => "bad_cluster_chain",
            Code::BadClusters => "bad_clusters",
            Code::BadDirectory => "bad_directory",
            Code::BadDirectoryEntry => "bad_directory_entry",
            Code::BadExtentTree => "bad_extent_tree",
            Code::BadFsinfo => "bad_fsinfo",
            Code::BadGroupDescriptor => "bad_group_descriptor",
            Code::BadInode => "bad_inode",
            Code::BadJournal => "bad_journal",
            Code::BadOrphanList => "bad_orphan_list",
            Code::BadPartitionTable => "bad_partition_table",
            Code::BadSuperblock => "bad_superblock",
            Code::BadXattrBlock => "bad_xattr_block",
            Code::Bigalloc => "bigalloc",
            Code::ChecksumMismatch => "checksum_mismatch",
            Code::ClaimedButFree => "claimed_but_free",
            Code::ClusterMisaligned => "cluster_misaligned",
            Code::CowStaging => "cow_staging",
            Code::Crosslink => "crosslink",
            Code::DirtyLog => "dirty_log",
            Code::ExternalLog => "external_log",
            Code::ExtraDevices => "extra_devices",
            Code::FatMismatch => "fat_mismatch",
            Code::FatTypeAmbiguous => "fat_type_ambiguous",
            Code::FreeSpaceTreesDisagree => "free_space_trees_disagree",
            Code::FsinfoMismatch => "fsinfo_mismatch",
            Code::GptBackupMismatch => "gpt_backup_mismatch",
            Code::GptBackupMissing => "gpt_backup_missing",
            Code::GptNoProtectiveMbr => "gpt_no_protective_mbr",
            Code::HiddenInode => "hidden_inode",
            Code::HybridMbr => "hybrid_mbr",
            Code::ImageChanged => "image_changed",
            Code::InodeBitmapMismatch => "inode_bitmap_mismatch",
            Code::JournalExternal => "journal_external",
            Code::JournalFeatures => "journal_features",
            Code::JournalInconsistent => "journal_inconsistent",
            Code::JournalReplayPending => "journal_replay_pending",
            Code::JournalReplaysOntoJournal => "journal_replays_onto_journal",
            Code::JournalTooLarge => "journal_too_large",
            Code::JournalUncommitted => "journal_uncommitted",
            Code::ManyNames => "many_names",
            Code::MetadataCollision => "metadata_collision",
            Code::MetadataOverlap => "metadata_overlap",
            Code::NeedsRecovery => "needs_recovery",
            Code::NeedsRepair => "needs_repair",
            Code::NoRootDirectory => "no_root_directory",
            Code::OrphanCleanupPending => "orphan_cleanup_pending",
            Code::OutOfRange => "out_of_range",
            Code::PartialOverlap => "partial_overlap",
            Code::PartitionOutOfRange => "partition_out_of_range",
            Code::PartitionOutsideUsable => "partition_outside_usable",
            Code::PartitionOverlap => "partition_overlap",
            Code::PrimarySuperblockUnusable => "primary_superblock_unusable",
            Code::RealtimeDevice => "realtime_device",
            Code::RefcountMismatch => "refcount_mismatch",
            Code::Reflink => "reflink",
            Code::ReflinkFlagMissing => "reflink_flag_missing",
            Code::ReflinkUnrecorded => "reflink_unrecorded",
            Code::ResizeInodeInvalid => "resize_inode_invalid",
            Code::ReusedBlocks => "reused_blocks",
            Code::RmapMetadataMismatch => "rmap_metadata_mismatch",
            Code::RmapMissing => "rmap_missing",
            Code::RmapOrphan => "rmap_orphan",
            Code::SelfReferencingPartition => "self_referencing_partition",
            Code::SharedBlocksFeature => "shared_blocks_feature",
            Code::SharedLegitimately => "shared_legitimately",
            Code::SizeMismatch => "size_mismatch",
            Code::SuperblockCopyMismatch => "superblock_copy_mismatch",
            Code::TruncatedImage => "truncated_image",
            Code::UnknownFeature => "unknown_feature",
            Code::UnreachableInode => "unreachable_inode",
            Code::WalkBudgetExceeded => "walk_budget_exceeded",
            Code::XattrRefcountMismatch => "xattr_refcount_mismatch",
        }
    }

    /// The severity a finding of this code has unless its finder says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            Code::BadClusters
            | Code::Bigalloc
            | Code::CowStaging
            | Code::ExternalLog
            | Code::ExtraDevices
            | Code::JournalFeatures
            | Code::JournalUncommitted
            | Code::ManyNames
            | Code::RealtimeDevice
            | Code::Reflink
            | Code::ReusedBlocks
            | Code::SelfReferencingPartition
            | Code::SharedLegitimately => Severity::Info,
            Code::AllocatedButUnclaimed
            | Code::BadFsinfo
            | Code::FsinfoMismatch
            | Code::XattrRefcountMismatch => Severity::Low,
            Code::BadBlockInUse
            | Code::BadDirectoryEntry
            | Code::BadXattrBlock
            | Code::ChecksumMismatch
            | Code::DirtyLog
            | Code::FatMismatch
            | Code::FatTypeAmbiguous
            | Code::GptBackupMissing
            | Code::GptNoProtectiveMbr
            | Code::HybridMbr
            | Code::InodeBitmapMismatch
            | Code::OrphanCleanupPending
            | Code::PartialOverlap
            | Code::PartitionOutsideUsable
            | Code::ResizeInodeInvalid
            | Code::RmapOrphan
            | Code::SharedBlocksFeature
            | Code::SizeMismatch
            | Code::SuperblockCopyMismatch
            | Code::UnknownFeature
            | Code::UnreachableInode => Severity::Medium,
            Code::AmbiguousSymlink
            | Code::AmbivalentFilesystem
            | Code::BadAgHeader
            | Code::BadBlockMap
            | Code::BadBtreeBlock
            | Code::BadBtreeRecord
            | Code::BadClusterChain
            | Code::BadDirectory
            | Code::BadExtentTree
            | Code::BadGroupDescriptor
            | Code::BadInode
            | Code::BadJournal
            | Code::BadOrphanList
            | Code::BadPartitionTable
            | Code::BadSuperblock
            | Code::ClaimedButFree
            | Code::ClusterMisaligned
            | Code::FreeSpaceTreesDisagree
            | Code::GptBackupMismatch
            | Code::HiddenInode
            | Code::ImageChanged
            | Code::JournalExternal
            | Code::JournalInconsistent
            | Code::JournalReplayPending
            | Code::JournalReplaysOntoJournal
            | Code::JournalTooLarge
            | Code::MetadataCollision
            | Code::NeedsRecovery
            | Code::NeedsRepair
            | Code::NoRootDirectory
            | Code::OutOfRange
            | Code::PartitionOutOfRange
            | Code::PrimarySuperblockUnusable
            | Code::RefcountMismatch
            | Code::ReflinkFlagMissing
            | Code::RmapMetadataMismatch
            | Code::RmapMissing
            | Code::TruncatedImage
            | Code::WalkBudgetExceeded => Severity::High,
            Code::Crosslink
            | Code::MetadataOverlap
            | Code::PartitionOverlap
            | Code::ReflinkUnrecorded => Severity::Critical,
        }
    }

    /// What the code means, what an attacker gets, what fsck does and what an
    /// immutable image changes.
    pub fn explanation(self) -> Explanation {
        match self {
            Code::AllocatedButUnclaimed => common::ALLOCATED_BUT_UNCLAIMED,
            Code::AmbiguousSymlink => ext::AMBIGUOUS_SYMLINK,
            Code::AmbivalentFilesystem => common::AMBIVALENT_FILESYSTEM,
            Code::BadAgHeader => xfs::BAD_AG_HEADER,
            Code::BadBlockInUse => ext::BAD_BLOCK_IN_USE,
            Code::BadBlockMap => ext::BAD_BLOCK_MAP,
            Code::BadBtreeBlock => xfs::BAD_BTREE_BLOCK,
            Code::BadBtreeRecord => xfs::BAD_BTREE_RECORD,
            Code::BadClusterChain => fat::BAD_CLUSTER_CHAIN,
            Code::BadClusters => fat::BAD_CLUSTERS,
            Code::BadDirectory => common::BAD_DIRECTORY,
            Code::BadDirectoryEntry => common::BAD_DIRECTORY_ENTRY,
            Code::BadExtentTree => ext::BAD_EXTENT_TREE,
            Code::BadFsinfo => fat::BAD_FSINFO,
            Code::BadGroupDescriptor => ext::BAD_GROUP_DESCRIPTOR,
            Code::BadInode => common::BAD_INODE,
            Code::BadJournal => ext::BAD_JOURNAL,
            Code::BadOrphanList => ext::BAD_ORPHAN_LIST,
            Code::BadPartitionTable => partitions::BAD_PARTITION_TABLE,
            Code::BadSuperblock => common::BAD_SUPERBLOCK,
            Code::BadXattrBlock => ext::BAD_XATTR_BLOCK,
            Code::Bigalloc => ext::BIGALLOC,
            Code::ChecksumMismatch => common::CHECKSUM_MISMATCH,
            Code::ClaimedButFree => common::CLAIMED_BUT_FREE,
            Code::ClusterMisaligned => ext::CLUSTER_MISALIGNED,
            Code::CowStaging => xfs::COW_STAGING,
            Code::Crosslink => common::CROSSLINK,
            Code::DirtyLog => xfs::DIRTY_LOG,
            Code::ExternalLog => xfs::EXTERNAL_LOG,
            Code::ExtraDevices => erofs::EXTRA_DEVICES,
            Code::FatMismatch => fat::FAT_MISMATCH,
            Code::FatTypeAmbiguous => fat::FAT_TYPE_AMBIGUOUS,
            Code::FreeSpaceTreesDisagree => xfs::FREE_SPACE_TREES_DISAGREE,
            Code::FsinfoMismatch => fat::FSINFO_MISMATCH,
            Code::GptBackupMismatch => partitions::GPT_BACKUP_MISMATCH,
            Code::GptBackupMissing => partitions::GPT_BACKUP_MISSING,
            Code::GptNoProtectiveMbr => partitions::GPT_NO_PROTECTIVE_MBR,
            Code::HiddenInode => common::HIDDEN_INODE,
            Code::HybridMbr => partitions::HYBRID_MBR,
            Code::ImageChanged => common::IMAGE_CHANGED,
            Code::InodeBitmapMismatch => ext::INODE_BITMAP_MISMATCH,
            Code::JournalExternal => ext::JOURNAL_EXTERNAL,
            Code::JournalFeatures => ext::JOURNAL_FEATURES,
            Code::JournalInconsistent => ext::JOURNAL_INCONSISTENT,
            Code::JournalReplayPending => ext::JOURNAL_REPLAY_PENDING,
            Code::JournalReplaysOntoJournal => ext::JOURNAL_REPLAYS_ONTO_JOURNAL,
            Code::JournalTooLarge => ext::JOURNAL_TOO_LARGE,
            Code::JournalUncommitted => ext::JOURNAL_UNCOMMITTED,
            Code::ManyNames => ext::MANY_NAMES,
            Code::MetadataCollision => common::METADATA_COLLISION,
            Code::MetadataOverlap => common::METADATA_OVERLAP,
            Code::NeedsRecovery => ext::NEEDS_RECOVERY,
            Code::NeedsRepair => xfs::NEEDS_REPAIR,
            Code::NoRootDirectory => common::NO_ROOT_DIRECTORY,
            Code::OrphanCleanupPending => ext::ORPHAN_CLEANUP_PENDING,
            Code::OutOfRange => common::OUT_OF_RANGE,
            Code::PartialOverlap => erofs::PARTIAL_OVERLAP,
            Code::PartitionOutOfRange => partitions::PARTITION_OUT_OF_RANGE,
            Code::PartitionOutsideUsable => partitions::PARTITION_OUTSIDE_USABLE,
            Code::PartitionOverlap => partitions::PARTITION_OVERLAP,
            Code::PrimarySuperblockUnusable => ext::PRIMARY_SUPERBLOCK_UNUSABLE,
            Code::RealtimeDevice => xfs::REALTIME_DEVICE,
            Code::RefcountMismatch => xfs::REFCOUNT_MISMATCH,
            Code::Reflink => xfs::REFLINK,
            Code::ReflinkFlagMissing => xfs::REFLINK_FLAG_MISSING,
            Code::ReflinkUnrecorded => xfs::REFLINK_UNRECORDED,
            Code::ResizeInodeInvalid => ext::RESIZE_INODE_INVALID,
            Code::ReusedBlocks => common::REUSED_BLOCKS,
            Code::RmapMetadataMismatch => xfs::RMAP_METADATA_MISMATCH,
            Code::RmapMissing => xfs::RMAP_MISSING,
            Code::RmapOrphan => xfs::RMAP_ORPHAN,
            Code::SelfReferencingPartition => fat::SELF_REFERENCING_PARTITION,
            Code::SharedBlocksFeature => ext::SHARED_BLOCKS_FEATURE,
            Code::SharedLegitimately => common::SHARED_LEGITIMATELY,
            Code::SizeMismatch => fat::SIZE_MISMATCH,
            Code::SuperblockCopyMismatch => xfs::SUPERBLOCK_COPY_MISMATCH,
            Code::TruncatedImage => common::TRUNCATED_IMAGE,
            Code::UnknownFeature => common::UNKNOWN_FEATURE,
            Code::UnreachableInode => ext::UNREACHABLE_INODE,
            Code::WalkBudgetExceeded => common::WALK_BUDGET_EXCEEDED,
            Code::XattrRefcountMismatch => ext::XATTR_REFCOUNT_MISMATCH,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_sorted_and_the_variants_in_snake_case() {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        for code in Code::ALL {
            let variant = format!("{code:?}");
            let snake: String = variant
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let lead = (i > 0 && c.is_uppercase()).then_some('_');
                    lead.into_iter().chain(c.to_lowercase())
                })
                .collect();
            assert_eq!(code.name(), snake);
        }
    }

    /// docs/findings.md lists every code once, in a table row of its own
    /// (`| \`name\` | severity | meaning |`), at its default severity, and
    /// names no code that does not exist.
    #[test]
    fn findings_doc_lists_every_code_at_its_default_severity() {
        let doc = include_str!("../../../docs/findings.md");
        let mut listed: Vec<&str> = Vec::new();
        for line in doc.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (name, severity) = match cells.as_slice() {
                ["", name, severity, _meaning, ""] => (*name, *severity),
                _ => panic!("not a `| code | severity | meaning |` row: {line}"),
            };
            let name = name
                .strip_prefix('`')
                .and_then(|n| n.strip_suffix('`'))
                .filter(|n| !n.contains('`'))
                .unwrap_or_else(|| panic!("the first cell must be one `code`: {line}"));
            let code = Code::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .unwrap_or_else(|| panic!("docs/findings.md names `{name}`, which is no code"));
            assert_eq!(
                severity,
                code.default_severity().name(),
                "docs/findings.md gives `{name}` another severity than its default"
            );
            assert!(!listed.contains(&name), "`{name}` is listed twice");
            listed.push(name);
        }
        let missing: Vec<&str> = Code::ALL
            .iter()
            .map(|c| c.name())
            .filter(|n| !listed.contains(n))
            .collect();
        assert!(missing.is_empty(), "not in docs/findings.md: {missing:?}");
    }

    /// Every code has an explanation of its own: no two codes share one, and
    /// none of its parts is empty.
    #[test]
    fn every_code_has_its_own_explanation() {
        for code in Code::ALL {
            let e = code.explanation();
            for (part, text) in [
                ("what", e.what),
                ("attack", e.attack),
                ("fsck", e.fsck),
                ("immutable", e.immutable),
            ] {
                assert!(!text.trim().is_empty(), "{code}: empty {part}");
            }
            for other in Code::ALL.into_iter().filter(|&o| o != code) {
                let o = other.explanation();
                assert_ne!(e.what, o.what, "{code} and {other} share their what");
                assert_ne!(e.attack, o.attack, "{code} and {other} share their attack");
            }
        }
    }
}
