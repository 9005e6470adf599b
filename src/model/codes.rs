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
            | Code::Reflink
            | Code::Bigalloc
            | Code::CowStaging
            | Code::ExternalLog
            | Code::ExtraDevices
            | Code::JournalExternal
            | Code::JournalUncommitted
            | Code::ManyNames
            | Code::RealtimeDevice
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
            | Code::ClusterMisaligned
            | Code::DirtyLog
            | Code::FatMismatch
            | Code::FatTypeAmbiguous
            | Code::GptBackupMissing
            | Code::GptNoProtectiveMbr
            | Code::HybridMbr
            | Code::InodeBitmapMismatch
            | Code::JournalFeatures
            | Code::JournalTooLarge
            | Code::OrphanCleanupPending
            | Code::PartialOverlap
            | Code::PartitionOutsideUsable
            | Code::ReflinkFlagMissing
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
            | Code::FreeSpaceTreesDisagree
            | Code::GptBackupMismatch
            | Code::HiddenInode
            | Code::ImageChanged
            | Code::JournalInconsistent
            | Code::JournalReplayPending
            | Code::JournalReplaysOntoJournal
            | Code::MetadataCollision
            | Code::MetadataOverlap
            | Code::NeedsRecovery
            | Code::NeedsRepair
            | Code::NoRootDirectory
            | Code::OutOfRange
            | Code::PartitionOutOfRange
            | Code::PrimarySuperblockUnusable
            | Code::RefcountMismatch
            | Code::ReflinkUnrecorded
            | Code::RmapMetadataMismatch
            | Code::RmapMissing
            | Code::TruncatedImage
            | Code::WalkBudgetExceeded => Severity::High,
            Code::Crosslink | Code::PartitionOverlap => Severity::Critical,
        }
    }

    /// What the code means, what an attacker gets, what fsck does and what an
    /// immutable image changes.
    pub fn explanation(self) -> Explanation {
        match self {
            Code::AmbivalentFilesystem => Explanation {
                what: "The volume carries the fully valid signatures of more than one filesystem (for example an ext2 superblock at byte 1024 and an NTFS boot sector with its MFT at byte 0). Only one of them is modelled here, by the probe order ext, EROFS, XFS, FAT; the others are named.",
                attack: "Whoever mounts with `-t` chooses the parser: a checker (or this scan) passes one filesystem while the kernel is made to mount the other over the same bytes, whose files were never checked. Writing through either corrupts the other.",
                fsck: "fsck checks only its own format and says nothing; blkid -p reports \"ambivalent result (probably more filesystems on the device)\" and exits 8, and `mount` without -t refuses the device. `wipefs` lists every signature and can erase the stale ones.",
                immutable: "An immutable image mounted read-only corrupts nothing, but which filesystem is seen still depends on the mount type: reject the image or wipe the extra signature.",
            },
            Code::BadBlockInUse => Explanation {
                what: "A file maps a block that the bad-blocks inode (ext inode 1) lists as unreadable.",
                attack: "No permission is crossed: inode 1 is never opened, read or written through the filesystem. The file's data in that block may be lost, and a tool that trusts the bad-blocks list may skip it.",
                fsck: "e2fsck pass 1B lists the file as sharing blocks with <The bad blocks inode> and offers to clone them.",
                immutable: "Nothing changes on a read-only mount.",
            },
            Code::BadClusterChain => Explanation {
                what: "A FAT cluster chain loops, reaches a free, bad or reserved cluster, or leaves the volume.",
                attack: "A looping chain makes a file endless (tools hang or read the same clusters forever); a chain into a free cluster is a cross-link waiting for the next allocation.",
                fsck: "fsck.fat truncates circular and broken chains (\"Circular cluster chain. Truncating…\").",
                immutable: "Nothing is allocated on a read-only mount, but readers still follow the chain: reject the image.",
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
            Code::Crosslink => Explanation {
                what: "Two inodes map the same disk blocks. On a healthy filesystem every block has exactly one owner; here the block map of one file points into another file's data.",
                attack: "Read: whoever can read one file reads the other's contents, whatever its permissions say (a world-readable file sharing blocks with /etc/shadow exposes the password hashes). Tamper: whoever can write one file rewrites the other, including root-owned ones. Double free: deleting one file returns blocks the other still uses to the allocator, which hands them to the next file written — corruption spreads, and an attacker can aim it.",
                fsck: "e2fsck passes 1B–1D list every multiply-claimed block and the files that share it, and offer to clone the blocks so that each file gets its own copy (`e2fsck -fn` only reports). Never mount such an image read-write before that.",
                immutable: "An immutable image (EROFS) mounted read-only under a copy-on-write layer (OverlayFS) is never written in place: the shared blocks can leak nothing new and tamper with nothing, because writes go to the upper layer. Reading through the second name still reads the first file's data, so the image should be rejected anyway.",
            },
            Code::ExternalLog => Explanation {
                what: "The XFS filesystem keeps its log on a separate device (mkfs.xfs -l logdev=…; sb_logstart is 0), which is not in this image.",
                attack: "A log that needs recovery holds metadata writes the kernel replays at mount: what the filesystem will look like then cannot be judged from this image alone, and a forged log could change it.",
                fsck: "xfs_repair refuses the filesystem without `-l` naming the log device; with it, a dirty log must be replayed by mounting (or zeroed with -L) first.",
                immutable: "Nothing is replayed on a read-only norecovery mount; a normal mount replays the log.",
            },
            Code::FatMismatch => Explanation {
                what: "The copies of the FAT disagree.",
                attack: "Linux follows FAT #1; another driver or a repair tool may take another copy: the same image then holds different files for different readers — a way to show a checker one file and the victim another.",
                fsck: "fsck.fat says \"FATs differ\" and lets you pick a copy.",
                immutable: "Read-only mounts still read one copy: which one decides what is seen.",
            },
            Code::HiddenInode => Explanation {
                what: "A live inode sits in a part of the inode table marked uninitialised, which e2fsck and the kernel's scans skip.",
                attack: "The file is invisible to checks that trust those flags, yet a directory entry can still reach it: a place to hide data or a forged block map.",
                fsck: "e2fsck only notices when a directory entry points at it (pass 2: inode in an unused area).",
                immutable: "Still reachable on a read-only mount: reject the image.",
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
            Code::PartitionOverlap => Explanation {
                what: "Two partitions share sectors, or a partition covers the partition table itself.",
                attack: "Writing one filesystem corrupts the other; a filesystem over the table can rewrite the partition layout. Tools disagree on what the disk holds (`mmls` lists both without a word; `sfdisk --verify` complains but exits 0).",
                fsck: "fsck only sees one filesystem at a time and cannot notice; sfdisk --verify and sgdisk -v report the overlap.",
                immutable: "Read-only use of one partition is safe, but the disk was not laid out by a partitioning tool: reject it.",
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
            Code::SelfReferencingPartition => Explanation {
                what: "Sector 0 is a FAT boot sector and, in the same bytes, an MBR whose partition starts at sector 0: the partition is the FAT volume itself, boot sector included. `mkfs.fat --mbr=y` writes this on purpose, for devices that want a partition table.",
                attack: "Nothing: the table and the FAT agree on where the volume starts, so every reader sees the same filesystem. blkid reports the whole device as vfat and ignores the table; Linux also creates a partition 1 over the same sectors.",
                fsck: "fsck.fat checks the FAT and ignores the table; sfdisk --verify and mmls list a partition that covers the partition table.",
                immutable: "None: it is a layout, not damage. It would be a critical partition_overlap if sector 0 were not a valid FAT boot sector.",
            },
            Code::SharedLegitimately => Explanation {
                what: "Blocks shared in a way the format declares: an extended-attribute block used by several inodes within its reference count.",
                attack: "Nothing by itself: the kernel copies the block before any inode changes its attributes.",
                fsck: "e2fsck accepts it as long as the count of referrers matches h_refcount.",
                immutable: "Sharing is normal on immutable images (deduplication).",
            },
            Code::Reflink
            | Code::AllocatedButUnclaimed
            | Code::AmbiguousSymlink
            | Code::BadAgHeader
            | Code::BadBlockMap
            | Code::BadBtreeBlock
            | Code::BadBtreeRecord
            | Code::BadClusters
            | Code::BadDirectory
            | Code::BadDirectoryEntry
            | Code::BadExtentTree
            | Code::BadFsinfo
            | Code::BadGroupDescriptor
            | Code::BadInode
            | Code::BadJournal
            | Code::BadOrphanList
            | Code::BadPartitionTable
            | Code::BadSuperblock
            | Code::BadXattrBlock
            | Code::Bigalloc
            | Code::CowStaging
            | Code::DirtyLog
            | Code::ExtraDevices
            | Code::FatTypeAmbiguous
            | Code::FreeSpaceTreesDisagree
            | Code::FsinfoMismatch
            | Code::GptBackupMismatch
            | Code::GptBackupMissing
            | Code::GptNoProtectiveMbr
            | Code::HybridMbr
            | Code::ImageChanged
            | Code::InodeBitmapMismatch
            | Code::JournalExternal
            | Code::JournalFeatures
            | Code::JournalInconsistent
            | Code::JournalReplayPending
            | Code::JournalReplaysOntoJournal
            | Code::JournalTooLarge
            | Code::JournalUncommitted
            | Code::ManyNames
            | Code::NeedsRecovery
            | Code::NeedsRepair
            | Code::NoRootDirectory
            | Code::PartitionOutOfRange
            | Code::PartitionOutsideUsable
            | Code::PrimarySuperblockUnusable
            | Code::RealtimeDevice
            | Code::RefcountMismatch
            | Code::ReflinkFlagMissing
            | Code::ReflinkUnrecorded
            | Code::RmapMetadataMismatch
            | Code::RmapMissing
            | Code::RmapOrphan
            | Code::SharedBlocksFeature
            | Code::SizeMismatch
            | Code::SuperblockCopyMismatch
            | Code::TruncatedImage
            | Code::UnknownFeature
            | Code::UnreachableInode
            | Code::WalkBudgetExceeded
            | Code::XattrRefcountMismatch => Explanation {
                what: "A structural problem in the filesystem.",
                attack: "Depends on the structure: treat the image as untrusted.",
                fsck: "e2fsck reports and repairs most structural problems.",
                immutable: "Immutable images avoid write-time damage, not malformed input.",
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
}
