//! Finding codes: every problem or notable fact a scan can report, with its
//! stable name (the JSON `code`), its default severity and what it means.
//! A code without an explanation does not compile: [`Code::explanation`]
//! matches every variant.

use serde::Serialize;

use super::Severity;

/// A finding's code. Serialised as its stable snake_case [`Code::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
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
            Code::AllocatedButUnclaimed => Explanation {
                what: "Blocks that the allocation map marks in use (the ext block bitmap, the XFS free-space btrees by leaving them out, the FAT by giving them a chain) belong to no inode and to no filesystem structure: leaked space. On FAT these are the lost clusters that no directory entry reaches.",
                attack: "Nothing through the filesystem: no file maps the blocks. But they keep whatever was written there, by a deleted or hidden file or on purpose, out of reach of every tool that walks files, and out of reach of carvers that look only at free space.",
                fsck: "e2fsck pass 5: \"Block bitmap differences: -N\" and a wrong free blocks count, which -y frees. fsck.fat: \"Reclaimed N unused clusters (… bytes).\" (with -f it salvages the chains into files instead).",
                immutable: "Nothing is allocated on an immutable image, so nothing leaks at run time; the bytes are still in the image for anyone who reads it raw.",
            },
            Code::AmbiguousSymlink => Explanation {
                what: "A symlink inode that the kernel and e2fsprogs read in two ways: the kernel (ext4_inode_is_fast_symlink) keeps the target in i_block when the inode owns no data blocks (i_blocks less its xattr block), e2fsprogs (ext2fs_is_fast_symlink) when 0 < i_size < 60. Here the rules disagree, so the same 60 bytes are a path to one and block pointers to the other.",
                attack: "The link resolves to one target in the kernel and to another for path lookups through libext2fs (ext2fs_namei, so debugfs and the tools built on it): a checker is shown a harmless target while the mounted filesystem follows the other one. Where one reading sees block pointers, those are claims the other never counts.",
                fsck: "e2fsck applies both rules: its symlink check reads the target inline by size (ext2fs_is_fast_symlink), its block walk follows i_block by i_blocks (ext2fs_inode_has_valid_blocks2), as the kernel does. An 11-byte target given i_blocks 2 made it say \"Inode N has illegal block(s). Clear?\", \"Illegal block #0 (…) in inode N.\" and \"Inode N, i_blocks is 2, should be 0. Fix?\"; were the bytes valid block numbers, the walk would claim those blocks instead.",
                immutable: "A read-only mount still resolves the link the kernel's way, so the two readings stay: reject the image.",
            },
            Code::AmbivalentFilesystem => Explanation {
                what: "The volume carries the fully valid signatures of more than one filesystem (for example an ext2 superblock at byte 1024 and an NTFS boot sector with its MFT at byte 0). Only one of them is modelled here, by the probe order ext, EROFS, XFS, FAT; the others are named.",
                attack: "Whoever mounts with `-t` chooses the parser: a checker (or this scan) passes one filesystem while the kernel is made to mount the other over the same bytes, whose files were never checked. Writing through either corrupts the other.",
                fsck: "fsck checks only its own format and says nothing; blkid -p reports \"ambivalent result (probably more filesystems on the device)\" and exits 8, and `mount` without -t refuses the device. `wipefs` lists every signature and can erase the stale ones.",
                immutable: "An immutable image mounted read-only corrupts nothing, but which filesystem is seen still depends on the mount type: reject the image or wipe the extra signature.",
            },
            Code::BadAgHeader => Explanation {
                what: "An XFS allocation group header is unusable: the superblock copy, AGF, AGI or AGFL has no magic, cannot be read or carries impossible fields, or the AGFL lists a block outside its AG. That AG's btrees are not walked, so claims in it may be missing here.",
                attack: "The AGF roots the free-space btrees and the AGI the inode btrees: a forged AGF steers the allocator onto blocks in use (a cross-link at the next write), a forged AGI hides inodes from lookups or invents them. A bad AGFL entry hands a block outside the AG to btree growth.",
                fsck: "xfs_repair checks every AG header in phase 2: for an AGF without its magic, -n said \"bad magic # 0x0 for agf 2\", \"would reset bad agf for ag 2\" and \"bad uncorrected agheader 2, skipping ag...\", then counted the superblock totals without that AG (\"sb_icount 512, counted 448\"). Without -n it rebuilds the headers and the AG's btrees (phase 5) from what it scanned.",
                immutable: "The kernel reads the AG headers on a read-only mount too (every inode lookup goes through the AGI): nothing is allocated, but lookups can still be misled.",
            },
            Code::BadBlockInUse => Explanation {
                what: "A file maps a block that the bad-blocks inode (ext inode 1) lists as unreadable.",
                attack: "No permission is crossed: inode 1 is never opened, read or written through the filesystem. The file's data in that block may be lost, and a tool that trusts the bad-blocks list may skip it.",
                fsck: "e2fsck pass 1B lists the file as sharing blocks with <The bad blocks inode> and offers to clone them.",
                immutable: "Nothing changes on a read-only mount.",
            },
            Code::BadBlockMap => Explanation {
                what: "An ext2/ext3 indirect block map reaches the same indirect block twice (a loop, or one node at two positions); it is walked once.",
                attack: "A loop makes naive walkers spin or exhaust memory; a node reached twice shows the same data at two file offsets and makes the inode claim those blocks twice, so a truncate or delete frees them twice: the second free corrupts the allocator's view, as a cross-link does.",
                fsck: "e2fsck counts the second reference as a duplicate: pass 1B says \"Multiply-claimed block(s) in inode N: B B\", pass 1D that the file has multiply-claimed blocks \"shared with 0 file(s)\", and offers to clone them.",
                immutable: "EROFS has no indirect blocks; a read-only ext mount still walks the map, loop included.",
            },
            Code::BadBtreeBlock => Explanation {
                what: "A block of an XFS per-AG btree (bnobt, cntbt, inobt, finobt, rmapbt, refcountbt) is unusable: wrong magic or level, more records than fit, outside its AG or past the image, reached twice (a loop or a shared subtree), or a tree larger than its AG. The walk of that tree stops or skips the block.",
                attack: "The allocator, inode lookups and reflink accounting trust these trees: a forged block hides free space or in-use inodes, makes allocations land on blocks in use, and a loop hangs walkers. Whatever sits below a skipped block is not checked here.",
                fsck: "xfs_repair walks every AG btree: for a bnobt root without its magic, -n said \"btree block 1/1 is suspect, error -117\", \"bad magic # 0 in btbno block 1/1\" and then \"free space (…) only seen by one free space btree\". Without -n it rebuilds the free-space, inode, rmap and refcount btrees from its own scan (phase 5).",
                immutable: "The kernel walks the inode btrees on a read-only mount too; the free-space trees matter only once something is written.",
            },
            Code::BadBtreeRecord => Explanation {
                what: "A record in an XFS per-AG btree is impossible: a bnobt free extent or a refcountbt record that runs past its AG, or an inobt inode chunk outside its AG, off its alignment, or listed twice. The record is not used.",
                attack: "The allocator and inode lookups take records at their word: a free extent past the AG hands out blocks of the next AG (or past the device), a chunk listed twice or misplaced makes one inode number resolve to the wrong slot, and a bad refcount record miscounts sharers.",
                fsck: "xfs_repair checks each record as it scans the trees: a bnobt record past its AG gave \"invalid length 30000 in record 0 of bno btree block 1/1\" (the refcountbt scanner says \"invalid start block …\" and \"invalid reference count …\" likewise). Without -n it rebuilds the trees from its own scan (phase 5).",
                immutable: "The inode btree is read on a read-only mount too; the free-space and refcount records matter only once something is written.",
            },
            Code::BadClusterChain => Explanation {
                what: "A FAT cluster chain loops, reaches a free, bad or reserved cluster, or leaves the volume.",
                attack: "A looping chain makes a file endless (tools hang or read the same clusters forever); a chain into a free cluster is a cross-link waiting for the next allocation.",
                fsck: "fsck.fat truncates circular and broken chains (\"Circular cluster chain. Truncating…\").",
                immutable: "Nothing is allocated on a read-only mount, but readers still follow the chain: reject the image.",
            },
            Code::BadClusters => Explanation {
                what: "The FAT marks clusters bad (0xFF7 and its FAT16/FAT32 forms): they belong to no file and are never allocated.",
                attack: "Nothing by itself: media defects are legitimate. But a cluster marked bad is skipped by the driver, by fsck and by every tool that walks files: a place to hide data in plain sight of anyone who reads the image raw.",
                fsck: "fsck.fat -n passes a volume with extra bad clusters and says nothing of them; fsck.fat -t tests clusters and marks unreadable ones bad itself.",
                immutable: "The same on a read-only image: the hidden bytes are still there.",
            },
            Code::BadDirectory => Explanation {
                what: "A directory that cannot be read as one tree: on FAT, a directory starting at a cluster another directory already uses (a loop, or two directories sharing their entries), read once; on ext, a directory mapping more than 2^20 blocks below its i_size, of which only the first 2^20 are read.",
                attack: "Two directories sharing entries put the same files under two paths, each with its parent's permissions; deleting a file through one leaves the other's entry pointing at freed clusters. A loop or an enormous directory makes recursive walkers (find, backup, rm -r, indexers) never finish.",
                fsck: "fsck.fat: \"/A and /B share clusters. Truncating second to 0 bytes.\" For the ext case the cap is this tool's: e2fsck checks every directory block in pass 2.",
                immutable: "A read-only mount still walks the loop and shows the shared entries: reject the image.",
            },
            Code::BadDirectoryEntry => Explanation {
                what: "A directory entry that is malformed or leads nowhere: on ext, a directory block whose records do not parse (rec_len, name_len) or an entry naming a free or out-of-range inode; on FAT, a bad short name or an entry whose first cluster is 0, 1 or past the volume (or a FAT32 root cluster outside the data area); on XFS and EROFS, entries that cannot be decoded or name an inode that cannot be read, and compressed EROFS directories.",
                attack: "Readers that parse malformed records differently see different names: a file hidden from one tool and shown by another. An entry naming a free inode reaches whatever file the next allocation puts there. A FAT entry whose first cluster is reserved or past the volume makes a driver read the FAT or data outside the volume as the file.",
                fsck: "e2fsck pass 2: \"Directory inode N, block #B, offset O: directory corrupted\" (Salvage?) and \"Entry 'x' in / (2) has deleted/unused inode N. Clear?\". fsck.fat: \"Bad short file name (…). Auto-renaming it.\", \"Start cluster beyond limit (…). Truncating file.\", and for a first cluster of 0 \"File size is N bytes, cluster chain length is 0 bytes. Truncating file to 0 bytes.\"",
                immutable: "Nothing is allocated into a free inode on a read-only mount, but the names each reader shows still differ.",
            },
            Code::BadExtentTree => Explanation {
                what: "An ext4 extent tree is malformed: a node without the extent magic, eh_entries above eh_max or above what fits, a depth other than the parent requires (or deeper than 5), a zero-length extent, an index entry outside the filesystem or its parent's range, or a node reached twice. An extent e2fsck skips claims nothing here; a tree deeper than 5, which the kernel refuses, is medium and still walked.",
                attack: "The kernel refuses the bad nodes it meets (EFSCORRUPTED) while lenient tools follow them, so a file's contents depend on the reader; an extent outside its index's range or overlapping another maps blocks that belong to someone else, and a loop hangs walkers. A subtree e2fsck skips is invisible to its duplicate-block check.",
                fsck: "e2fsck pass 1: \"Inode N has corrupt extent header. Clear inode?\"; for bad entries \"Inode N has an invalid extent node (blk B, lblk L)\" or \"end of extent exceeds allowed value\", each offering to clear the extent; the blocks it drops show up in pass 5 as bitmap differences.",
                immutable: "EROFS has no extent trees; a read-only ext mount still walks this one.",
            },
            Code::BadFsinfo => Explanation {
                what: "The FAT32 FSInfo sector is unusable: BPB_FSInfo points outside the reserved sectors, or the sector lacks its signatures (0x41615252 at 0, 0x61417272 at 484, 0xAA550000 at 508).",
                attack: "Little: FSInfo holds only hints (the free count and the next free cluster), and drivers ignore a sector without its signatures. It is worth noting as a sign that the boot area was edited by hand.",
                fsck: "fsck.fat: \"FSINFO sector has bad magic number(s): Offset 0: … != expected 0x41615252\" (Auto-correcting it), then \"Free cluster summary uninitialized (should be N)\".",
                immutable: "Nothing is allocated on a read-only mount, so the hints are never used.",
            },
            Code::BadGroupDescriptor => Explanation {
                what: "An ext group descriptor places its block bitmap, inode bitmap or inode table outside the filesystem's blocks.",
                attack: "The kernel refuses such descriptors at mount (ext4_check_descriptors: \"group descriptors corrupted!\"), so the image is a denial of service; a tool that does not check reads the group's bitmaps and inodes from bytes outside the filesystem, which no check of the filesystem covered and an attacker controls.",
                fsck: "e2fsck: \"ext2fs_check_desc: Corrupt group descriptor: bad block for block bitmap\", then \"Block bitmap for group G is not in group. (block B)\" (Relocate?) and suggests the backup descriptors (-b); with -n the bitmaps it cannot read turn into long bitmap differences.",
                immutable: "The kernel checks the descriptors on a read-only mount too and refuses it.",
            },
            Code::BadInode => Explanation {
                what: "An inode the format says is in use cannot be modelled: on XFS, the inobt lists it but the slot has no inode magic or bad fields, or its extents have no blocks, lie outside every AG or run past their AG's end; on EROFS, an inline tail crossing its block, a chunk index array past the image, a compressed index that cannot be read, or an unknown data layout. What it maps is not counted as a claim.",
                attack: "Readers handle a broken inode differently: the kernel refuses it (EFSCORRUPTED) while another tool follows the bad map into blocks that belong to other files or lie outside the image. Because its blocks are not counted, anything it maps escapes the cross-link checks here.",
                fsck: "xfs_repair checks every inode the inobt lists in phase 3: \"bad magic number 0x0 on inode N\", \"bad CRC for inode N\", and for a bad extent \"bad extent starting block …, would clear the inode\" with -n. fsck.erofs passes images whose file data lies outside the image (sample erofs-out-of-range): it does not check layouts this strictly.",
                immutable: "Nothing is written, but every reader still decodes the inode in its own way: reject the image.",
            },
            Code::BadJournal => Explanation {
                what: "The ext journal cannot be loaded: the journal inode cannot be read, the journal superblock (journal block 0) cannot be read or has no JBD2 magic, or its geometry is impossible (another block size, s_first 0 or past s_maxlen, more blocks than the journal inode maps).",
                attack: "The kernel refuses to mount a filesystem whose journal it cannot load, so the image is a denial of service; and if the filesystem needs recovery, what replay would write cannot be known. Tools that ignore the journal (debugfs, or the kernel itself with -o ro,noload) see a filesystem a normal mount refuses.",
                fsck: "e2fsck: \"Superblock has an invalid journal (inode 8). Clear?\" and \"Journal superblock is corrupt. Fix?\"; with -n it then stops: \"The journal superblock is corrupt while checking journal … Cannot proceed with file system check\" (exit 12).",
                immutable: "EROFS has no journal; a read-only ext mount still has to load it, and fails.",
            },
            Code::BadOrphanList => Explanation {
                what: "The ext orphan list is broken: the chain from s_last_orphan (through i_dtime) names an inode out of range, a free inode, or one already seen (a loop); or blocks of the orphan file lack their ext4_orphan_block_tail magic (medium), so their slots are not read.",
                attack: "The kernel's orphan cleanup stops at the bad entry (ext4_orphan_get: \"bad orphan inode\"), and it refuses an orphan file without its tails: orphans past that point are never deleted or truncated, so unlinked files keep their blocks and half-truncated ones keep data past their size. A loop must be cut by every reader that follows the chain.",
                fsck: "e2fsck -fn does not process the orphan list and says nothing (checked with s_last_orphan set past the last inode); e2fsck -fy or -p: \"Illegal orphaned inode N in superblock.\" and it clears the list. An in-range free inode on the list is not refused: -fy reports \"Clearing orphaned inode N\" and releases it.",
                immutable: "A read-only mount of a read-only device skips orphan cleanup; EROFS has no orphan list.",
            },
            Code::BadPartitionTable => Explanation {
                what: "The partition table is broken: a GPT header that does not parse, a primary GPT so damaged that the backup is read instead, a partition that ends before it starts, more partitions than are scanned (medium), a protective MBR (0xEE) with no GPT behind it, or an extended partition whose EBR chain loops, breaks (no 55 AA) or runs too long.",
                attack: "Readers disagree on the layout: Linux reads only the primary GPT unless booted with `gpt`, firmware falls back to the backup, so the two can see different partitions; an EBR loop makes naive parsers hang or list the same logical partition again and again; partitions behind a lost table cannot be found by the tools that would check them.",
                fsck: "No filesystem checker reads partition tables. sgdisk -v rebuilds a damaged GPT header from the other copy when it saves (\"Caution: invalid backup GPT header, but valid main header; regenerating backup header from main header.\"); fdisk -l prints \"The backup GPT table is corrupt, but the primary appears OK, so that will be used.\" On an EBR chain that links back to itself, fdisk -l and sfdisk -l list the same logical partition as partitions 5 to 60 and stop there (\"Omitting partitions after #60.\").",
                immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
            },
            Code::BadSuperblock => Explanation {
                what: "Superblock fields that contradict each other or the volume: on ext, s_inodes_count differs from groups × inodes per group (medium), or the superblock describes more block groups than the volume can hold inode tables for; on XFS, the internal log starts outside every AG.",
                attack: "Readers that trust different fields compute different layouts: the kernel refuses an inode count that does not match the groups (ext4_fill_super: \"inodes count not valid\"), while a lenient tool reads on and finds inode tables, and so inodes, at other places than a checker did. An XFS log outside the AGs is replayed onto blocks no AG accounts for.",
                fsck: "e2fsck finds the primary corrupt and tries the backups (\"Superblock invalid, trying backup blocks...\"); when they say the same it offers the fix (\"Inode count in superblock is N, should be M. Fix?\") and with -n stops with \"The superblock could not be read or does not describe a valid ext2/ext3/ext4 filesystem\" (exit 12). xfs_repair verifies the superblock in phase 1.",
                immutable: "The kernel checks the superblock on a read-only mount too.",
            },
            Code::BadXattrBlock => Explanation {
                what: "An ext extended-attribute block (i_file_acl) has no 0xEA020000 magic, or its h_blocks is not 1. The kernel refuses it (ext4_xattr_check_block), so it is not counted as its referrers' claim.",
                attack: "The attributes in it (ACLs, SELinux labels, file capabilities) are not applied: getxattr fails with EFSCORRUPTED, and a file meant to carry a restrictive ACL or label is left with its mode bits only. Tools that skip the header check still read the block as attributes, so readers disagree.",
                fsck: "e2fsck pass 1: \"Inode N has a bad extended attribute block B. Clear?\"",
                immutable: "The kernel refuses the block on a read-only mount too; the attributes are lost the same way.",
            },
            Code::Bigalloc => Explanation {
                what: "The ext4 filesystem uses bigalloc: blocks are allocated in clusters of 2^N blocks, and one cluster has one owner. Sharing is checked per block and per cluster; leaked blocks are not counted.",
                attack: "Nothing by itself: bigalloc is a supported layout. It widens what a forged block map can reach (a cluster shared with another file, or a block at the wrong offset in its cluster: see cluster_misaligned).",
                fsck: "e2fsck checks bigalloc filesystems and passes a clean one (mke2fs -O bigalloc -C 16384).",
                immutable: "Not applicable: EROFS has no clusters, and nothing is allocated on a read-only mount.",
            },
            Code::ChecksumMismatch => Explanation {
                what: "A metadata checksum (metadata_csum or uninit_bg) does not verify.",
                attack: "Either corruption, or metadata edited by a tool that did not recompute the checksum — a sign of tampering worth correlating with other findings.",
                fsck: "e2fsck reports the mismatch and recomputes the checksum; the kernel refuses to use the structure.",
                immutable: "The kernel verifies checksums on read-only mounts too.",
            },
            Code::ClaimedButFree => Explanation {
                what: "An inode uses blocks that the block bitmap marks free.",
                attack: "The next file written may be given those blocks: the two files then share them (a delayed cross-link), and one overwrites the other.",
                fsck: "e2fsck pass 5 reports the block bitmap differences (+N) and marks the blocks in use.",
                immutable: "Nothing is allocated on an immutable image, so the latent cross-link never forms.",
            },
            Code::ClusterMisaligned => Explanation {
                what: "On a bigalloc filesystem, a file maps a block at an offset within its logical cluster that differs from its offset within the physical cluster, or maps one physical cluster at two logical positions.",
                attack: "When the file later writes another block of that logical cluster, the kernel maps it by offset into the same physical cluster (get_implied_cluster_alloc): onto a block the file already uses for other data, or, with two owners, onto someone else's. Freeing either frees the whole cluster.",
                fsck: "e2fsck: \"logical block N (physical block M) violates cluster allocation rules. Will fix in pass 1B.\"",
                immutable: "Nothing is written on a read-only mount.",
            },
            Code::CowStaging => Explanation {
                what: "An XFS refcount btree record with the copy-on-write flag: blocks staged for a copy-on-write that never completed. The filesystem was not unmounted cleanly.",
                attack: "Nothing by itself: the blocks belong to no file, and the kernel frees leftover staging extents at mount (xfs_reflink_recover_cow). They may still hold the data of an unfinished write, readable in the raw image.",
                fsck: "xfs_repair reports each leftover staging extent (\"leftover CoW extent (AG/block) len N\") and frees it; one whose blocks something else claims is \"extent (AG/block) len N claimed, state is S\".",
                immutable: "An immutable image has no copy-on-write; the blocks are only bytes in the image.",
            },
            Code::Crosslink => Explanation {
                what: "Two inodes map the same disk blocks. On a healthy filesystem every block has exactly one owner; here the block map of one file points into another file's data.",
                attack: "Read: whoever can read one file reads the other's contents, whatever its permissions say (a world-readable file sharing blocks with /etc/shadow exposes the password hashes). Tamper: whoever can write one file rewrites the other, including root-owned ones. Double free: deleting one file returns blocks the other still uses to the allocator, which hands them to the next file written — corruption spreads, and an attacker can aim it.",
                fsck: "e2fsck passes 1B–1D list every multiply-claimed block and the files that share it, and offer to clone the blocks so that each file gets its own copy (`e2fsck -fn` only reports). Never mount such an image read-write before that.",
                immutable: "An immutable image (EROFS) mounted read-only under a copy-on-write layer (OverlayFS) is never written in place: the shared blocks can leak nothing new and tamper with nothing, because writes go to the upper layer. Reading through the second name still reads the first file's data, so the image should be rejected anyway.",
            },
            Code::DirtyLog => Explanation {
                what: "The XFS internal log's newest record is not an unmount record: the filesystem was not unmounted cleanly, and mounting it replays transactions this scan does not model. Low when the log holds no record header at all (zeroed, as by xfs_repair -L, or overwritten).",
                attack: "The kernel replays the log before anything is seen: logged metadata (inodes, btree blocks, the superblock) lands on disk at mount, so what this scan and xfs_repair -n check is not what is mounted. A forged log rewrites metadata at mount.",
                fsck: "xfs_repair -n: \"ALERT: The filesystem has valuable metadata changes in a log which is being ignored because the -n option was used. Expect spurious inconsistencies…\"; xfs_repair refuses (\"ERROR: … needs to be replayed. Mount the filesystem to replay the log…\", exit 2) unless -L destroys the log.",
                immutable: "mount -o norecovery skips the replay (read-only only); a plain mount replays the log, even one with -o ro on a writable device.",
            },
            Code::ExternalLog => Explanation {
                what: "The XFS filesystem keeps its log on a separate device (mkfs.xfs -l logdev=…; sb_logstart is 0), which is not in this image.",
                attack: "A log that needs recovery holds metadata writes the kernel replays at mount: what the filesystem will look like then cannot be judged from this image alone, and a forged log could change it.",
                fsck: "xfs_repair refuses the filesystem without `-l` naming the log device; with it, a dirty log must be replayed by mounting (or zeroed with -L) first.",
                immutable: "Nothing is replayed on a read-only norecovery mount; a normal mount replays the log.",
            },
            Code::ExtraDevices => Explanation {
                what: "The EROFS superblock names extra devices (a device table, as mkfs.erofs --blobdev writes): chunks stored on them are not in this image and are not mapped.",
                attack: "Nothing by itself. But the files whose chunks live on blob devices get their contents from whatever device is supplied at mount: this image does not pin them down, and their blocks cannot be checked here.",
                fsck: "fsck.erofs takes the extra devices with --device=X, one per device; given none, fsck.erofs 1.5 passed an image whose superblock names one (exit 0).",
                immutable: "The blob devices are as immutable as the image only if they are supplied from the same trusted source.",
            },
            Code::FatMismatch => Explanation {
                what: "The copies of the FAT disagree.",
                attack: "Linux follows FAT #1; another driver or a repair tool may take another copy: the same image then holds different files for different readers — a way to show a checker one file and the victim another.",
                fsck: "fsck.fat says \"FATs differ\" and lets you pick a copy.",
                immutable: "Read-only mounts still read one copy: which one decides what is seen.",
            },
            Code::FatTypeAmbiguous => Explanation {
                what: "The FAT type the specification derives from the cluster count (FAT12 below 4085, FAT16 below 65525, FAT32 above) differs from the one Linux and dosfstools derive from the BPB (FAT32 when FATSz16 is 0). The volume is read here as Linux reads it.",
                attack: "The same bytes are two filesystems: tools that follow the specification (The Sleuth Kit among them) decode the FAT with another entry width, follow other chains and list other files than the kernel mounts. A checker can be shown one tree while the victim mounts another.",
                fsck: "fsck.fat reads the type as Linux does; for a FAT32 layout with too few clusters it warns \"Filesystem is FAT32 according to fat_length and fat32_length fields, but has only N clusters, less than the required minimum of 65525. This may lead to problems on some systems.\", and a FAT16 layout with too many clusters stops it: \"Too many clusters (N) for FAT16 filesystem.\"",
                immutable: "Nothing is written on a read-only mount, but which tree is seen still depends on the reader.",
            },
            Code::FreeSpaceTreesDisagree => Explanation {
                what: "In an XFS AG, the two free-space btrees disagree: the bnobt (by block number) and the cntbt (by size) should list the same free extents, and here some are only in one of them.",
                attack: "The allocator searches the cntbt for a size and the bnobt for a place, and trusts both: a free extent listed in only one of them can be handed out although a file uses it (a cross-link at the next write), or free space is lost.",
                fsck: "xfs_repair -n, phase 4: \"free space (AG,start-end) only seen by one free space btree\"; without -n it rebuilds both trees from its own scan (phase 5).",
                immutable: "Nothing is allocated on a read-only mount, so the disagreement is latent.",
            },
            Code::FsinfoMismatch => Explanation {
                what: "The FAT32 FSInfo free-cluster count (offset 488) differs from the number of free clusters in the FAT.",
                attack: "Little: the count is a hint. A driver that trusts it misjudges the space left, refusing writes on a volume that has room or starting them on one that has none.",
                fsck: "fsck.fat: \"Free cluster summary wrong (N vs. really M)\" and corrects it.",
                immutable: "Nothing is allocated on a read-only mount, so the hint is never used.",
            },
            Code::GptBackupMismatch => Explanation {
                what: "The primary GPT (LBA 1) and the backup GPT (last LBA) both verify but disagree: on the partition entries, the disk GUID or the usable range.",
                attack: "The disk has two layouts: Linux reads the primary, UEFI firmware switches to the backup when it considers the primary bad. An attacker who can flip one byte of the primary header (breaking its CRC) moves every firmware reader to the other layout.",
                fsck: "sgdisk -v: \"Warning! Main and backup partition tables differ! Use the 'c' and 'e' options on the recovery & transformation menu to examine the two tables.\" (\"Identified 1 problems!\", yet exit status 0).",
                immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
            },
            Code::GptBackupMissing => Explanation {
                what: "The primary GPT is valid, but there is no backup GPT header at the last LBA: the image was truncated or grown, or the backup was erased.",
                attack: "Little by itself: there is no second copy to fall back on, so damage to the primary loses the partitions. A disk that was grown leaves space past the old end that no table describes.",
                fsck: "sgdisk -v: \"Caution: invalid backup GPT header, but valid main header; regenerating backup header from main header.\" and otherwise \"No problems found.\"; fdisk -l: \"The backup GPT table is corrupt, but the primary appears OK, so that will be used.\"",
                immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
            },
            Code::GptNoProtectiveMbr => Explanation {
                what: "The disk has a GPT but sector 0 holds no protective MBR entry (type 0xEE).",
                attack: "Readers disagree on whether the disk is partitioned: Linux ignores such a GPT unless booted with `gpt`, fdisk shows no partition table at all, while sgdisk reads the GPT. An MBR-only tool sees an empty disk that it may partition over.",
                fsck: "sgdisk -v: \"Found valid GPT with corrupt MBR; using GPT and will write new protective MBR on save.\" and \"No problems found.\"; fdisk -l lists the disk without any partition.",
                immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
            },
            Code::HiddenInode => Explanation {
                what: "A live inode sits in a part of the inode table marked uninitialised, which e2fsck and the kernel's scans skip.",
                attack: "The file is invisible to checks that trust those flags, yet a directory entry can still reach it: a place to hide data or a forged block map.",
                fsck: "e2fsck only notices when a directory entry points at it (pass 2: inode in an unused area).",
                immutable: "Still reachable on a read-only mount: reject the image.",
            },
            Code::HybridMbr => Explanation {
                what: "The protective MBR lists other partitions besides its 0xEE entry: a hybrid MBR, as `sgdisk -h` writes for systems that boot from MBR.",
                attack: "MBR-only systems see the MBR entries, GPT-aware ones the GPT; when the two disagree, each writes to what it takes for its own partition, corrupting the other's view. The hybrid can also show an MBR reader a partition the GPT does not have.",
                fsck: "sgdisk -v passes a hybrid MBR (\"No problems found.\"); fdisk -l lists the GPT partitions and says nothing of the MBR ones.",
                immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
            },
            Code::ImageChanged => Explanation {
                what: "The image file changed size while it was being scanned: something was writing it.",
                attack: "A time-of-check/time-of-use race: the bytes that were checked are not the bytes that will be mounted, and whoever writes the file can wait for the check to pass.",
                fsck: "Not a property of the filesystem, so no checker reports it: check (and mount) a private, read-only copy of the image.",
                immutable: "An image that is immutable on disk cannot change; this one did.",
            },
            Code::InodeBitmapMismatch => Explanation {
                what: "An ext inode is live (it has links) but its bit in the inode bitmap is clear: the allocator considers it free.",
                attack: "The next inode allocation, by anyone who creates a file, can hand out the live inode: the new file is written over it, and every existing name of the old file then reaches the new file (its owner, its mode, its data), while the old file's blocks leak.",
                fsck: "e2fsck pass 5: \"Inode bitmap differences: +N\" and a wrong free inodes count (Fix?).",
                immutable: "Nothing is allocated on an immutable image, so the inode is never reused.",
            },
            Code::JournalExternal => Explanation {
                what: "The ext filesystem needs recovery from an external journal device (s_journal_inum 0, a journal UUID or device), which is not in this image.",
                attack: "What the kernel replays at mount comes from another device: a forged external journal rewrites any metadata block at mount, and nothing in this image lets that be checked.",
                fsck: "e2fsck: \"Can't find external journal\" and stops (exit 12) unless the device is given with -j.",
                immutable: "EROFS has no journal; a read-only mount of an ext device that needs recovery still replays, unless -o noload.",
            },
            Code::JournalFeatures => Explanation {
                what: "The journal uses v1 commit checksums (JBD2_FEATURE_COMPAT_CHECKSUM) or fast commits, which this tool neither verifies nor replays.",
                attack: "Nothing by itself: both are supported features. But fast-commit blocks are replayed by the kernel after the full transactions, so the replayed view shown here may miss what they write.",
                fsck: "e2fsck replays fast commits too (its journal.c has a replay of its own for them); with -n it skips recovery altogether.",
                immutable: "EROFS has no journal.",
            },
            Code::JournalInconsistent => Explanation {
                what: "The superblock's needs_recovery flag contradicts the journal: it is set on a filesystem without has_journal (high), or on one whose journal is empty (s_start 0: low, nothing to replay).",
                attack: "Little by itself, but it is a state no kernel leaves behind: an image edited by hand. Readers may differ on whether to replay and from where.",
                fsck: "e2fsck: \"Superblock needs_recovery flag is set, but no journal is present. Clear?\"; with -n it then stops (\"Filesystem has unsupported feature(s) while checking journal\", exit 12).",
                immutable: "EROFS has no journal.",
            },
            Code::JournalReplayPending => Explanation {
                what: "The ext journal needs recovery and holds committed transactions: the finding says which transactions the kernel replays at mount and every block it writes; it is as severe as the worst finding the replay brings (high at most), low when it brings none.",
                attack: "At mount the kernel writes every logged block to its home location before anything is seen: a forged transaction rewrites inodes, bitmaps or the superblock after every check that read the disk as it is. Findings marked \"appears when the journal is replayed\" exist only after that.",
                fsck: "e2fsck -fn: \"Warning: skipping journal recovery because doing a read-only filesystem check.\" It checks the unreplayed disk and sees none of the replayed findings; e2fsck without -n replays first (\"recovering journal\").",
                immutable: "EROFS has no journal. A read-only ext mount of a writable device still replays; mount -o ro,noload does not.",
            },
            Code::JournalReplaysOntoJournal => Explanation {
                what: "A logged block's home location is a block of the journal itself: replay would rewrite the log it is reading, or the journal superblock.",
                attack: "No legitimate transaction logs the journal: this is a forged or corrupt journal. Replay overwrites log blocks that later transactions (or the next mount) read, so what finally lands on disk depends on replay order, and can be aimed.",
                fsck: "e2fsck -fn skips recovery and sees nothing; e2fsck -fy replays with the kernel's own recovery code (recovery.c), which writes each block where its tag points, and passes the result without a word (\"recovering journal\", then clean: sample journal-onto-journal).",
                immutable: "EROFS has no journal; a read-only ext mount still replays, unless -o noload.",
            },
            Code::JournalTooLarge => Explanation {
                what: "Replaying the journal would write more than 512 MiB, this tool's bound: the replayed view is cut there.",
                attack: "Either a very large journal, or one built to exhaust whoever models the replay. Whatever lies past the cut is not checked here, and the kernel replays all of it.",
                fsck: "The bound is this tool's: e2fsck replays the whole log (without -n).",
                immutable: "EROFS has no journal; a read-only ext mount still replays, unless -o noload.",
            },
            Code::JournalUncommitted => Explanation {
                what: "A journal transaction has descriptor and data blocks but no commit block: the crash came before it committed. It is not replayed, as the kernel would not replay it.",
                attack: "Nothing by itself: this is what a crash leaves. The logged blocks can still be read from the journal in the raw image.",
                fsck: "e2fsck's recovery, the kernel's recovery.c, ends the log at the last commit block and ignores the rest: e2fsck -fy says \"recovering journal\" and nothing about the uncommitted transaction (sample journal-uncommitted).",
                immutable: "EROFS has no journal.",
            },
            Code::ManyNames => Explanation {
                what: "An ext inode has more names (hard links) than the 64 listed for it; the finding counts the rest.",
                attack: "Nothing by itself: hard links are one inode and share its owner and mode. Many names can keep a file reachable (an old setuid binary, say) after its official path is removed or replaced.",
                fsck: "e2fsck only compares the number of names with i_links_count (pass 4); extra names that match the count pass.",
                immutable: "Nothing changes: names on an immutable image are as they were built.",
            },
            Code::MetadataCollision => Explanation {
                what: "Two filesystem structures occupy the same blocks (for example a bitmap placed inside an inode table by a forged group descriptor).",
                attack: "The kernel updates one structure and silently corrupts the other; allocation and inode lookups become unpredictable.",
                fsck: "e2fsck reports the conflicting group descriptor fields and relocates the structures.",
                immutable: "An immutable image never updates them, but the kernel may still misread the filesystem: reject it.",
            },
            Code::MetadataOverlap => Explanation {
                what: "A file's block map points at blocks the filesystem uses for its own structures: a superblock, group descriptors, bitmaps, the inode table or the journal.",
                attack: "Writing the file rewrites filesystem metadata: an attacker forges inodes (owners, modes, block pointers to any block on the disk), bitmaps (so that allocations cross-link more files) or the superblock. Reading the file reveals raw metadata.",
                fsck: "e2fsck reports the blocks as shared with <filesystem metadata> in pass 1B and would clone them away from the file.",
                immutable: "Read-only, the overlap changes nothing at run time, but the image is malformed by construction: reject it.",
            },
            Code::NeedsRecovery => Explanation {
                what: "The ext superblock's needs_recovery flag is set: the kernel will replay the journal at mount. It gives way to journal_replay_pending when the replay is modelled; low when the log holds no committed transaction, so mount writes nothing and clears the flag.",
                attack: "What the filesystem looks like after mount can differ from what was checked: replay writes metadata first.",
                fsck: "e2fsck -fn: \"Warning: skipping journal recovery because doing a read-only filesystem check.\" and checks the unreplayed disk; e2fsck without -n replays first.",
                immutable: "EROFS has no journal. A read-only ext mount of a writable device still replays; mount -o ro,noload does not.",
            },
            Code::NeedsRepair => Explanation {
                what: "The XFS superblock sets the NEEDSREPAIR incompatible feature: an xfs_repair (or a feature upgrade through xfs_admin) was started and did not finish.",
                attack: "The kernel refuses to mount it, so the image is a denial of service until repaired; metadata may be half rebuilt.",
                fsck: "xfs_repair -n: \"would clear needsrepair flag and regenerate metadata\"; xfs_repair without -n does so.",
                immutable: "Nothing changes: the kernel refuses the read-only mount too.",
            },
            Code::NoRootDirectory => Explanation {
                what: "The root inode (ext inode 2, the XFS sb_rootino, the EROFS root nid) is not an in-use directory, or cannot be read: no name can be resolved.",
                attack: "Every file is reachable only by inode number, so tools that walk paths see an empty filesystem while the blocks are all there; the kernel refuses to mount an ext filesystem without a root directory.",
                fsck: "e2fsck: \"Root inode is not a directory. Clear?\", the '..' entries that point at inode 2 as deleted, \"Root inode not allocated. Allocate?\", and with -n \"Cannot proceed without a root inode.\" (exit 12). xfs_repair -n with sb_rootino moved: \"sb root inode value N inconsistent with calculated value M\", \"would reset superblock root inode pointer to M\". fsck.erofs with the root nid past the image: \"I/O error occurred when reading nid(N)\" (exit 1).",
                immutable: "The mount fails the same way read-only.",
            },
            Code::OrphanCleanupPending => Explanation {
                what: "Inodes on the orphan list (ext s_last_orphan chained through i_dtime, or the orphan file): files a crash left unlinked-but-open or half-truncated. Any mount of a writable device, even `mount -o ro`, finishes the job first: it deletes the unlinked ones and truncates the others to their size, freeing blocks.",
                attack: "An orphan whose block map points at another file's blocks is a delayed double free: mount itself frees the victim's blocks (say /etc/shadow's), and the next file written is given them, so an unprivileged writer ends up owning the victim's data blocks. Nothing needs to run as root: the kernel does it while mounting.",
                fsck: "`e2fsck -fn` reads an unlinked orphan as an already deleted inode (\"deleted inode has zero dtime\", an inode bitmap difference) and never pairs its blocks with the victim; `e2fsck -p`, what boot runs, clears the orphan — freeing the same blocks — and calls the filesystem clean.",
                immutable: "A read-only mount of a read-only device skips orphan cleanup; an immutable format has no orphan list. Reject the image, or mount a copy.",
            },
            Code::OutOfRange => Explanation {
                what: "An inode maps blocks beyond the end of the filesystem or of the image file.",
                attack: "Reads fail or, on a device larger than the filesystem, reach data outside it; with a grown image the mapping may later land on real data.",
                fsck: "e2fsck reports an invalid extent or illegal block and clears it.",
                immutable: "The kernel refuses the read; the image is still malformed.",
            },
            Code::PartialOverlap => Explanation {
                what: "On an immutable image (EROFS), one file's data starts inside another file's: a share that deduplication, which shares whole chunks, never makes.",
                attack: "Nothing can be written through it: reading one file returns part of the other's contents. On ext4 the same layout is a critical cross-link (read, tamper, double free); here it is a sign that the image was crafted or damaged.",
                fsck: "fsck.erofs checks no ownership at all and passes the image.",
                immutable: "This is the immutable case: the sharing is harmless at run time, but the image is not what mkfs.erofs writes.",
            },
            Code::PartitionOutOfRange => Explanation {
                what: "A partition runs past the end of the image: its last sectors are not there.",
                attack: "The filesystem in it is cut (reads past the end fail), or, once the image is written to a larger disk, the partition takes in whatever follows it there (another partition, the backup GPT), and writes to its filesystem overwrite that.",
                fsck: "sfdisk --verify says \"No errors detected.\" and then \"Total allocated sectors N greater than the maximum M.\" (exit 0); fdisk -l lists the partition at its full size. For a GPT, sgdisk -v: \"Problem: partition N is too big for the disk.\" A checker run on the partition sees a truncated filesystem (truncated_image).",
                immutable: "A read-only mount writes nothing past the end, but reads there fail or reach other data.",
            },
            Code::PartitionOutsideUsable => Explanation {
                what: "A GPT partition lies outside the usable range (FirstUsableLBA–LastUsableLBA) its header declares: over the partition entry arrays or the headers.",
                attack: "Writing the partition's filesystem rewrites the GPT, primary or backup: a filesystem user can change the disk's layout. Readers that clamp partitions to the usable range and those that do not see different partitions.",
                fsck: "sgdisk -v: \"Warning! Main partition table overlaps the first partition by N blocks!\" (\"Identified 1 problems!\").",
                immutable: "A read-only filesystem in the partition writes nothing over the table, but the disk was not laid out by a partitioning tool.",
            },
            Code::PartitionOverlap => Explanation {
                what: "Two partitions share sectors, or a partition covers the partition table itself.",
                attack: "Writing one filesystem corrupts the other; a filesystem over the table can rewrite the partition layout. Tools disagree on what the disk holds (`mmls` lists both without a word; `sfdisk --verify` complains but exits 0).",
                fsck: "fsck only sees one filesystem at a time and cannot notice; sfdisk --verify and sgdisk -v report the overlap.",
                immutable: "Read-only use of one partition is safe, but the disk was not laid out by a partitioning tool: reject it.",
            },
            Code::PrimarySuperblockUnusable => Explanation {
                what: "The primary ext superblock (byte 1024) does not parse; the volume is read through the first backup that does, with that group's copy of the descriptors, as e2fsck does. The message gives `e2fsck -b N` and `mount -o sb=N`.",
                attack: "The kernel reads the primary unless told otherwise, so it refuses the filesystem; tools that fall back to a backup, this one and e2fsck included, see the backup's filesystem. A repair writes the backup over the primary, so what is mounted after `e2fsck -y` is whatever the backup describes, which a checker of the primary never saw.",
                fsck: "e2fsck: \"Superblock invalid, trying backup blocks...\", then it checks the filesystem the backup describes; with -y it writes that superblock back over the primary.",
                immutable: "The kernel refuses the read-only mount too unless given -o sb=N.",
            },
            Code::RealtimeDevice => Explanation {
                what: "The XFS filesystem has a realtime device (sb_rblocks > 0), which is not in this image: realtime files keep their data there, and it is not mapped.",
                attack: "Nothing by itself: a realtime device is a supported layout. But the data of realtime files cannot be checked here for sharing or range.",
                fsck: "xfs_repair takes the realtime section's device with -r rtdev (xfs_repair(8)); this image alone cannot be checked whole.",
                immutable: "Not applicable: EROFS has no realtime device.",
            },
            Code::RefcountMismatch => Explanation {
                what: "An XFS refcount btree record disagrees with the block maps: its count is not the number of files that map the blocks, records overlap, or a record counts a share with nothing shared behind it.",
                attack: "The count decides when shared blocks are freed: one too low and the kernel frees them while another file still maps them (a cross-link with the next allocation); too high and they are never freed (leaked), and every write to them is copied although nothing else maps them.",
                fsck: "xfs_repair -n: \"incorrect reference count\" (exit 1; sample xfs-reflink-count-wrong); it does not notice a record with no sharing behind it (sample xfs-rmap-orphan passes). xfs_db blockget checks no refcounts.",
                immutable: "Nothing is freed or copied on a read-only mount, so the count is never used.",
            },
            Code::Reflink => Explanation {
                what: "XFS blocks that several files map, declared as a reflink: a refcount record counts the sharers, each sharer carries the REFLINK inode flag, and each has its rmap record.",
                attack: "Nothing: the kernel copies a shared block before any sharer writes it, so no file can read or change another's data through it.",
                fsck: "xfs_repair -n and xfs_db blockget pass it (sample xfs-reflink). After xfs_repair, a forged share looks exactly like this: it adds the records and the flag (sample xfs-forged-repaired), so a reflink is only as trustworthy as the image's history.",
                immutable: "Sharing is normal on immutable images (deduplication).",
            },
            Code::ReflinkFlagMissing => Explanation {
                what: "XFS blocks that the refcount btree declares shared are mapped by a file that lacks the REFLINK inode flag (XFS_DIFLAG2_REFLINK).",
                attack: "The kernel decides whether to copy on write by that flag: a write through the unflagged file goes in place, into the blocks the other sharers read. In effect the share is a cross-link for that file.",
                fsck: "xfs_repair: \"setting reflink flag on inode N\" (printed with -n too, where it changes nothing).",
                immutable: "Nothing is written on a read-only mount, so the missing flag is never consulted.",
            },
            Code::ReflinkUnrecorded => Explanation {
                what: "XFS blocks mapped by more than one file with no refcount record for them: a share the format does not declare, so not a reflink but a forged or corrupt cross-link.",
                attack: "As a cross-link: nothing copies on write, so each file reads and rewrites the other's data, and deleting one frees blocks the other still maps. xfs_repair would bless it: it rebuilds the refcount and rmap btrees from the block maps and turns the share into a reflink.",
                fsck: "xfs_repair -n reports the missing rmap and refcount records (exit 1; sample xfs-forged-share); xfs_db blockget -n reports the blocks claimed twice, remembering one previous owner per block. After xfs_repair both pass.",
                immutable: "XFS is never immutable; on EROFS the same layout is shared_legitimately or partial_overlap, because nothing writes through it.",
            },
            Code::ResizeInodeInvalid => Explanation {
                what: "The resize inode (ext inode 7), which reserves the blocks where online resize puts new group descriptors, does not describe them: wrong pointers, slots other than the double indirect block, or a resize inode on a meta_bg filesystem.",
                attack: "Its pointers are not followed by anyone but online resize, which checks them and refuses (verify_reserved_gdb); counting them as claims would invent hundreds of cross-links. The danger is a tool that trusts them.",
                fsck: "e2fsck: \"Resize inode not valid. Recreate?\" (super.c check_resize_inode); its pass 1 marks only the double indirect block.",
                immutable: "Immutable images are never resized.",
            },
            Code::ReusedBlocks => Explanation {
                what: "A deleted file's old block map (left in its freed inode on ext2 or after debugfs rm; guessed from the first cluster and size on FAT) points at blocks that a live file or the filesystem's metadata owns now. Deleted inodes claim nothing, so this is not a cross-link: the allocator handed the freed blocks on, as it should.",
                attack: "Nothing through the filesystem. The risk is to the examiner: recovering the deleted file through its old map (icat, photorec-style carving by inode) returns the new owner's data under the old name and owner, which can misattribute content in a timeline or a report. The deleted file's own data in those blocks is gone.",
                fsck: "e2fsck and fsck.fat ignore deleted inodes and entries: they report nothing. The Sleuth Kit's istat shows the old blocks and ifind -a names both the live and the deleted owner, without saying which one the data belongs to now.",
                immutable: "The same on any format with deletion; immutable images have no deleted files.",
            },
            Code::RmapMetadataMismatch => Explanation {
                what: "The XFS reverse-mapping btree's records for the filesystem's own blocks (its special owners: AG headers, log, free-space btrees and AGFL, inode btrees, inode chunks, refcount btree) disagree with where the headers and trees place those structures: blocks a structure occupies without its rmap record, or rmap records for a special owner where no such structure is.",
                attack: "Owner queries (GETFSMAP, xfs_scrub, online repair) trust the rmapbt: a record that calls data metadata hides the data from tools that skip metadata, and one that calls metadata something else invites a rebuild to treat it as free.",
                fsck: "xfs_repair rebuilds the rmapbt from what it finds in use (phase 5), so a repaired image no longer carries the record.",
                immutable: "Nothing is rebuilt or allocated on a read-only mount; owner queries still read the wrong record.",
            },
            Code::RmapMissing => Explanation {
                what: "A file maps XFS blocks for which the reverse-mapping btree has no record of that file.",
                attack: "The mapping is invisible to every owner query (GETFSMAP, xfs_scrub, online repair), which is how a forged share hides: a file that maps another's blocks behind the rmapbt's back.",
                fsck: "xfs_repair -n: \"missing reverse-mapping record\" (exit 1; sample xfs-reflink-no-rmap); xfs_db blockget does not check rmap records.",
                immutable: "Nothing is allocated on a read-only mount; owner queries still miss the mapping.",
            },
            Code::RmapOrphan => Explanation {
                what: "An XFS reverse-mapping record gives blocks to an inode whose block map does not map them.",
                attack: "Owner queries report the blocks as that inode's although it never reads them: a forged image can make a share look declared to tools that read only the trees, or hide whose the blocks really are.",
                fsck: "Neither xfs_repair -n nor xfs_db blockget checks records that no file backs: both pass (sample xfs-rmap-orphan).",
                immutable: "Nothing changes at run time; the record still misleads owner queries.",
            },
            Code::SelfReferencingPartition => Explanation {
                what: "Sector 0 is a FAT boot sector and, in the same bytes, an MBR whose partition starts at sector 0: the partition is the FAT volume itself, boot sector included. `mkfs.fat --mbr=y` writes this on purpose, for devices that want a partition table.",
                attack: "Nothing: the table and the FAT agree on where the volume starts, so every reader sees the same filesystem. blkid reports the whole device as vfat and ignores the table; Linux also creates a partition 1 over the same sectors.",
                fsck: "fsck.fat checks the FAT and ignores the table; sfdisk --verify and mmls list a partition that covers the partition table.",
                immutable: "None: it is a layout, not damage. It would be a critical partition_overlap if sector 0 were not a valid FAT boot sector.",
            },
            Code::SharedBlocksFeature => Explanation {
                what: "The ext superblock sets the shared_blocks read-only-compatible feature, which allows blocks to be shared between files (for images that deduplicate).",
                attack: "It turns off e2fsck's duplicate-block detection altogether: every cross-link in the image passes `e2fsck -fn`. imginspect reports every sharing anyway.",
                fsck: "e2fsck skips its duplicate-block passes and passes the image (sample shared-blocks-feature); e2fsck -E unshare_blocks copies the shared blocks apart and clears the feature.",
                immutable: "The feature is meant for read-only images, where sharing is harmless; on a writable mount the sharing is as dangerous as any cross-link.",
            },
            Code::SharedLegitimately => Explanation {
                what: "Blocks shared in a way the format declares: an extended-attribute block used by several inodes within its reference count.",
                attack: "Nothing by itself: the kernel copies the block before any inode changes its attributes.",
                fsck: "e2fsck accepts it as long as the count of referrers matches h_refcount.",
                immutable: "Sharing is normal on immutable images (deduplication).",
            },
            Code::SizeMismatch => Explanation {
                what: "A FAT file's size does not fit its cluster chain: the chain has more clusters than the size needs, or fewer.",
                attack: "Clusters past the size are allocated to the file but never read: hidden data only a raw reader sees. A size beyond the chain makes readers run past its end, where drivers fail or read other data.",
                fsck: "fsck.fat: \"File size is N bytes, cluster chain length is M bytes. Truncating file to M bytes.\"",
                immutable: "Nothing is written on a read-only mount; the hidden clusters stay hidden.",
            },
            Code::SuperblockCopyMismatch => Explanation {
                what: "An XFS secondary superblock (at the start of an AG) disagrees with the primary on a field growfs never changes: block size, AG size, sector or inode size, or the UUID.",
                attack: "xfs_repair rebuilds a damaged primary from the secondary copies: forged copies decide the geometry a repair uses, and so what the repaired filesystem is.",
                fsck: "xfs_repair -n: \"primary/secondary superblock N conflict - AG superblock geometry info conflicts with filesystem geometry\", \"would reset bad sb for ag N\".",
                immutable: "The kernel reads only the primary; the copies matter to repair.",
            },
            Code::TruncatedImage => Explanation {
                what: "The filesystem claims more space than the volume holds (blocks or sectors past the end), or a structure it needs (an inode table, a group descriptor, a FAT copy, a directory) lies past the end of the image: it is scanned as far as it goes.",
                attack: "Whatever lies past the end cannot be checked here. Written to a larger device, or after the image is grown, those blocks hold whatever was there before: unchecked data under the filesystem's own structures.",
                fsck: "e2fsck: \"The filesystem size (according to the superblock) is N blocks The physical size of the device is M blocks Either the superblock or the partition table is likely to be corrupt! Abort?\" and, answered no, checks what is there. fsck.fat stops at once: \"Failed to read sector N.\" (exit 1). xfs_repair -n on an XFS image cut inside its last AG: \"superblock read failed, offset …, ag 3\" and a fatal error.",
                immutable: "The kernel fails the reads past the end on a read-only mount too.",
            },
            Code::UnknownFeature => Explanation {
                what: "The superblock (ext, EROFS) or the ext journal superblock sets feature bits this tool does not know: the format may be read by rules that do not apply.",
                attack: "A feature bit changes how the bytes are read: what this scan reports, and what it does not, may be wrong, and kernels that know the feature read another filesystem than older tools.",
                fsck: "e2fsck refuses: \"has unsupported feature(s): FEATURE_I31\" and \"Get a newer version of e2fsck!\" (exit 8; an unknown ro_compat bit: exit 12); an unknown journal incompatible bit: \"journal superblock has an unknown incompatible feature flag set\". fsck.erofs: \"unidentified incompatible feature …, please upgrade kernel version\" (exit 1).",
                immutable: "Nothing changes: the kernel refuses incompatible features it does not know on read-only mounts too.",
            },
            Code::UnreachableInode => Explanation {
                what: "An ext inode is in use but no directory names it (special inodes excepted).",
                attack: "A live file hidden from ls, find and everything that walks the tree, yet it keeps its blocks; it can be opened by inode number (debugfs, or open_by_handle_at with CAP_DAC_READ_SEARCH), and e2fsck gives it a name in /lost+found with its owner and mode intact.",
                fsck: "e2fsck pass 4: \"Unattached inode N Connect to /lost+found?\"",
                immutable: "Nothing is hidden from a raw reader, but the file stays unreachable by path on a read-only mount.",
            },
            Code::WalkBudgetExceeded => Explanation {
                what: "The walk of this volume was cut because it took more work than the image justifies: FAT chains that merge over and over, directories that share clusters, or XFS and EROFS directories read more than four times the image's size.",
                attack: "An image built to make walkers do quadratic or endless work: a denial of service for tools without a bound. Files and claims after the cut are not checked here.",
                fsck: "The budget is this tool's; fsck.fat reports merging chains as files that share clusters (\"/A and /B share clusters.\") and truncates the second.",
                immutable: "Read-only readers walk the same structures: reject the image.",
            },
            Code::XattrRefcountMismatch => Explanation {
                what: "An ext extended-attribute block's h_refcount differs from the number of inodes that refer to it.",
                attack: "The kernel modifies an xattr block in place when h_refcount is 1: with two referrers and a count of 1, setting an attribute on one file changes the other's ACLs, security labels or capabilities, and removing it frees a block the other still uses. A count above the referrers only leaks the block. More referrers than the count is also reported as a crosslink (critical): the format does not declare that sharing.",
                fsck: "e2fsck pass 1: \"Extended attribute block B has reference count N, should be M. Fix?\"",
                immutable: "Nothing is modified on a read-only mount, so the count is never used.",
            },
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
    fn names_are_unique_sorted_and_serialise_as_themselves() {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        for code in Code::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.name().into())
            );
        }
    }

    /// docs/findings.md lists every code once, in a table row of its own
    /// (`| \`name\` | severity | meaning |`), at its default severity, and
    /// names no code that does not exist.
    #[test]
    fn findings_doc_lists_every_code_at_its_default_severity() {
        let doc = include_str!("../../docs/findings.md");
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
