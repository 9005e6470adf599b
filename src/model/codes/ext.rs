//! What the codes of ext2/3/4 and its JBD2 journal mean.

use super::Explanation;

pub const AMBIGUOUS_SYMLINK: Explanation = Explanation {
    what: "A symlink inode that the kernel and e2fsprogs read in two ways: the kernel (ext4_inode_is_fast_symlink) keeps the target in i_block when the inode owns no data blocks (i_blocks less its xattr block), e2fsprogs (ext2fs_is_fast_symlink) when 0 < i_size < 60. Here the rules disagree, so the same 60 bytes are a path to one and block pointers to the other.",
    attack: "The link resolves to one target in the kernel and to another for path lookups through libext2fs (ext2fs_namei, so debugfs and the tools built on it): a checker is shown a harmless target while the mounted filesystem follows the other one. Where one reading sees block pointers, those are claims the other never counts.",
    fsck: "e2fsck applies both rules: its symlink check reads the target inline by size (ext2fs_is_fast_symlink), its block walk follows i_block by i_blocks (ext2fs_inode_has_valid_blocks2), as the kernel does. An 11-byte target given i_blocks 2 made it say \"Inode N has illegal block(s). Clear?\", \"Illegal block #0 (…) in inode N.\" and \"Inode N, i_blocks is 2, should be 0. Fix?\"; were the bytes valid block numbers, the walk would claim those blocks instead.",
    immutable: "A read-only mount still resolves the link the kernel's way, so the two readings stay: reject the image.",
};

pub const BAD_BLOCK_IN_USE: Explanation = Explanation {
    what: "A file maps a block that the bad-blocks inode (ext inode 1) lists as unreadable.",
    attack: "No permission is crossed: inode 1 is never opened, read or written through the filesystem. The file's data in that block may be lost, and a tool that trusts the bad-blocks list may skip it.",
    fsck: "e2fsck pass 1B lists the file as sharing blocks with <The bad blocks inode> and offers to clone them.",
    immutable: "Nothing changes on a read-only mount.",
};

pub const BAD_BLOCK_MAP: Explanation = Explanation {
    what: "An ext2/ext3 indirect block map reaches the same indirect block twice (a loop, or one node at two positions); it is walked once.",
    attack: "A loop makes naive walkers spin or exhaust memory; a node reached twice shows the same data at two file offsets and makes the inode claim those blocks twice, so a truncate or delete frees them twice: the second free corrupts the allocator's view, as a cross-link does.",
    fsck: "e2fsck counts the second reference as a duplicate: pass 1B says \"Multiply-claimed block(s) in inode N: B B\", pass 1D that the file has multiply-claimed blocks \"shared with 0 file(s)\", and offers to clone them.",
    immutable: "EROFS has no indirect blocks; a read-only ext mount still walks the map, loop included.",
};

pub const BAD_EXTENT_TREE: Explanation = Explanation {
    what: "An ext4 extent tree is malformed: a node without the extent magic, eh_entries above eh_max or above what fits, a depth other than the parent requires (or deeper than 5), a zero-length extent, an index entry outside the filesystem or its parent's range, or a node reached twice. An extent e2fsck skips claims nothing here; a tree deeper than 5, which the kernel refuses, is medium and still walked.",
    attack: "The kernel refuses the bad nodes it meets (EFSCORRUPTED) while lenient tools follow them, so a file's contents depend on the reader; an extent outside its index's range or overlapping another maps blocks that belong to someone else, and a loop hangs walkers. A subtree e2fsck skips is invisible to its duplicate-block check.",
    fsck: "e2fsck pass 1: \"Inode N has corrupt extent header. Clear inode?\"; for bad entries \"Inode N has an invalid extent node (blk B, lblk L)\" or \"end of extent exceeds allowed value\", each offering to clear the extent; the blocks it drops show up in pass 5 as bitmap differences.",
    immutable: "EROFS has no extent trees; a read-only ext mount still walks this one.",
};

pub const BAD_GROUP_DESCRIPTOR: Explanation = Explanation {
    what: "An ext group descriptor places its block bitmap, inode bitmap or inode table outside the filesystem's blocks.",
    attack: "The kernel refuses such descriptors at mount (ext4_check_descriptors: \"group descriptors corrupted!\"), so the image is a denial of service; a tool that does not check reads the group's bitmaps and inodes from bytes outside the filesystem, which no check of the filesystem covered and an attacker controls.",
    fsck: "e2fsck: \"ext2fs_check_desc: Corrupt group descriptor: bad block for block bitmap\", then \"Block bitmap for group G is not in group. (block B)\" (Relocate?) and suggests the backup descriptors (-b); with -n the bitmaps it cannot read turn into long bitmap differences.",
    immutable: "The kernel checks the descriptors on a read-only mount too and refuses it.",
};

pub const BAD_JOURNAL: Explanation = Explanation {
    what: "The ext journal cannot be loaded: the journal inode cannot be read, the journal superblock (journal block 0) cannot be read or has no JBD2 magic, or its geometry is impossible (another block size, s_first 0 or past s_maxlen, more blocks than the journal inode maps).",
    attack: "The kernel refuses to mount a filesystem whose journal it cannot load, so the image is a denial of service; and if the filesystem needs recovery, what replay would write cannot be known. Tools that ignore the journal (debugfs, or the kernel itself with -o ro,noload) see a filesystem a normal mount refuses.",
    fsck: "e2fsck: \"Superblock has an invalid journal (inode 8). Clear?\" and \"Journal superblock is corrupt. Fix?\"; with -n it then stops: \"The journal superblock is corrupt while checking journal … Cannot proceed with file system check\" (exit 12).",
    immutable: "EROFS has no journal; a read-only ext mount still has to load it, and fails.",
};

pub const BAD_ORPHAN_LIST: Explanation = Explanation {
    what: "The ext orphan list is broken: the chain from s_last_orphan (through i_dtime) names an inode out of range, a free inode, or one already seen (a loop); or blocks of the orphan file lack their ext4_orphan_block_tail magic (medium), so their slots are not read.",
    attack: "The kernel's orphan cleanup stops at the bad entry (ext4_orphan_get: \"bad orphan inode\"), and it refuses an orphan file without its tails: orphans past that point are never deleted or truncated, so unlinked files keep their blocks and half-truncated ones keep data past their size. A loop must be cut by every reader that follows the chain.",
    fsck: "e2fsck -fn does not process the orphan list and says nothing (checked with s_last_orphan set past the last inode); e2fsck -fy or -p: \"Illegal orphaned inode N in superblock.\" and it clears the list. An in-range free inode on the list is not refused: -fy reports \"Clearing orphaned inode N\" and releases it.",
    immutable: "A read-only mount of a read-only device skips orphan cleanup; EROFS has no orphan list.",
};

pub const BAD_XATTR_BLOCK: Explanation = Explanation {
    what: "An ext extended-attribute block (i_file_acl) has no 0xEA020000 magic, or its h_blocks is not 1. The kernel refuses it (ext4_xattr_check_block), so it is not counted as its referrers' claim.",
    attack: "The attributes in it (ACLs, SELinux labels, file capabilities) are not applied: getxattr fails with EFSCORRUPTED, and a file meant to carry a restrictive ACL or label is left with its mode bits only. Tools that skip the header check still read the block as attributes, so readers disagree.",
    fsck: "e2fsck pass 1: \"Inode N has a bad extended attribute block B. Clear?\"",
    immutable: "The kernel refuses the block on a read-only mount too; the attributes are lost the same way.",
};

pub const BIGALLOC: Explanation = Explanation {
    what: "The ext4 filesystem uses bigalloc: blocks are allocated in clusters of 2^N blocks, and one cluster has one owner. Sharing is checked per block and per cluster; leaked blocks are not counted.",
    attack: "Nothing by itself: bigalloc is a supported layout. It widens what a forged block map can reach (a cluster shared with another file, or a block at the wrong offset in its cluster: see cluster_misaligned).",
    fsck: "e2fsck checks bigalloc filesystems and passes a clean one (mke2fs -O bigalloc -C 16384).",
    immutable: "Not applicable: EROFS has no clusters, and nothing is allocated on a read-only mount.",
};

pub const CLUSTER_MISALIGNED: Explanation = Explanation {
    what: "On a bigalloc filesystem, a file maps a block at an offset within its logical cluster that differs from its offset within the physical cluster, or maps one physical cluster at two logical positions.",
    attack: "When the file later writes another block of that logical cluster, the kernel maps it by offset into the same physical cluster (get_implied_cluster_alloc): onto a block the file already uses for other data, or, with two owners, onto someone else's. Freeing either frees the whole cluster.",
    fsck: "e2fsck: \"logical block N (physical block M) violates cluster allocation rules. Will fix in pass 1B.\"",
    immutable: "Nothing is written on a read-only mount.",
};

pub const INODE_BITMAP_MISMATCH: Explanation = Explanation {
    what: "An ext inode is live (it has links) but its bit in the inode bitmap is clear: the allocator considers it free.",
    attack: "The next inode allocation, by anyone who creates a file, can hand out the live inode: the new file is written over it, and every existing name of the old file then reaches the new file (its owner, its mode, its data), while the old file's blocks leak.",
    fsck: "e2fsck pass 5: \"Inode bitmap differences: +N\" and a wrong free inodes count (Fix?).",
    immutable: "Nothing is allocated on an immutable image, so the inode is never reused.",
};

pub const JOURNAL_EXTERNAL: Explanation = Explanation {
    what: "The ext filesystem needs recovery from an external journal device (s_journal_inum 0, a journal UUID or device), which is not in this image.",
    attack: "What the kernel replays at mount comes from another device: a forged external journal rewrites any metadata block at mount, and nothing in this image lets that be checked.",
    fsck: "e2fsck: \"Can't find external journal\" and stops (exit 12) unless the device is given with -j.",
    immutable: "EROFS has no journal; a read-only mount of an ext device that needs recovery still replays, unless -o noload.",
};

pub const JOURNAL_FEATURES: Explanation = Explanation {
    what: "The journal uses v1 commit checksums (JBD2_FEATURE_COMPAT_CHECKSUM) or fast commits, which this tool neither verifies nor replays.",
    attack: "Nothing by itself: both are supported features. But fast-commit blocks are replayed by the kernel after the full transactions, so the replayed view shown here may miss what they write.",
    fsck: "e2fsck replays fast commits too (its journal.c has a replay of its own for them); with -n it skips recovery altogether.",
    immutable: "EROFS has no journal.",
};

pub const JOURNAL_INCONSISTENT: Explanation = Explanation {
    what: "The superblock's needs_recovery flag contradicts the journal: it is set on a filesystem without has_journal (high), or on one whose journal is empty (s_start 0: low, nothing to replay).",
    attack: "Little by itself, but it is a state no kernel leaves behind: an image edited by hand. Readers may differ on whether to replay and from where.",
    fsck: "e2fsck: \"Superblock needs_recovery flag is set, but no journal is present. Clear?\"; with -n it then stops (\"Filesystem has unsupported feature(s) while checking journal\", exit 12).",
    immutable: "EROFS has no journal.",
};

pub const JOURNAL_REPLAY_PENDING: Explanation = Explanation {
    what: "The ext journal needs recovery and holds committed transactions: the finding says which transactions the kernel replays at mount and every block it writes; it is as severe as the worst finding the replay brings (high at most), low when it brings none.",
    attack: "At mount the kernel writes every logged block to its home location before anything is seen: a forged transaction rewrites inodes, bitmaps or the superblock after every check that read the disk as it is. Findings marked \"appears when the journal is replayed\" exist only after that.",
    fsck: "e2fsck -fn: \"Warning: skipping journal recovery because doing a read-only filesystem check.\" It checks the unreplayed disk and sees none of the replayed findings; e2fsck without -n replays first (\"recovering journal\").",
    immutable: "EROFS has no journal. A read-only ext mount of a writable device still replays; mount -o ro,noload does not.",
};

pub const JOURNAL_REPLAYS_ONTO_JOURNAL: Explanation = Explanation {
    what: "A logged block's home location is a block of the journal itself: replay would rewrite the log it is reading, or the journal superblock.",
    attack: "No legitimate transaction logs the journal: this is a forged or corrupt journal. Replay overwrites log blocks that later transactions (or the next mount) read, so what finally lands on disk depends on replay order, and can be aimed.",
    fsck: "e2fsck -fn skips recovery and sees nothing; e2fsck -fy replays with the kernel's own recovery code (recovery.c), which writes each block where its tag points, and passes the result without a word (\"recovering journal\", then clean: sample journal-onto-journal).",
    immutable: "EROFS has no journal; a read-only ext mount still replays, unless -o noload.",
};

pub const JOURNAL_TOO_LARGE: Explanation = Explanation {
    what: "Replaying the journal would write more than 512 MiB, this tool's bound: the replayed view is cut there.",
    attack: "Either a very large journal, or one built to exhaust whoever models the replay. Whatever lies past the cut is not checked here, and the kernel replays all of it.",
    fsck: "The bound is this tool's: e2fsck replays the whole log (without -n).",
    immutable: "EROFS has no journal; a read-only ext mount still replays, unless -o noload.",
};

pub const JOURNAL_UNCOMMITTED: Explanation = Explanation {
    what: "A journal transaction has descriptor and data blocks but no commit block: the crash came before it committed. It is not replayed, as the kernel would not replay it.",
    attack: "Nothing by itself: this is what a crash leaves. The logged blocks can still be read from the journal in the raw image.",
    fsck: "e2fsck's recovery, the kernel's recovery.c, ends the log at the last commit block and ignores the rest: e2fsck -fy says \"recovering journal\" and nothing about the uncommitted transaction (sample journal-uncommitted).",
    immutable: "EROFS has no journal.",
};

pub const MANY_NAMES: Explanation = Explanation {
    what: "An ext inode has more names (hard links) than the 64 listed for it; the finding counts the rest.",
    attack: "Nothing by itself: hard links are one inode and share its owner and mode. Many names can keep a file reachable (an old setuid binary, say) after its official path is removed or replaced.",
    fsck: "e2fsck only compares the number of names with i_links_count (pass 4); extra names that match the count pass.",
    immutable: "Nothing changes: names on an immutable image are as they were built.",
};

pub const NEEDS_RECOVERY: Explanation = Explanation {
    what: "The ext superblock's needs_recovery flag is set: the kernel will replay the journal at mount. It gives way to journal_replay_pending when the replay is modelled; low when the log holds no committed transaction, so mount writes nothing and clears the flag.",
    attack: "What the filesystem looks like after mount can differ from what was checked: replay writes metadata first.",
    fsck: "e2fsck -fn: \"Warning: skipping journal recovery because doing a read-only filesystem check.\" and checks the unreplayed disk; e2fsck without -n replays first.",
    immutable: "EROFS has no journal. A read-only ext mount of a writable device still replays; mount -o ro,noload does not.",
};

pub const ORPHAN_CLEANUP_PENDING: Explanation = Explanation {
    what: "Inodes on the orphan list (ext s_last_orphan chained through i_dtime, or the orphan file): files a crash left unlinked-but-open or half-truncated. Any mount of a writable device, even `mount -o ro`, finishes the job first: it deletes the unlinked ones and truncates the others to their size, freeing blocks.",
    attack: "An orphan whose block map points at another file's blocks is a delayed double free: mount itself frees the victim's blocks (say /etc/shadow's), and the next file written is given them, so an unprivileged writer ends up owning the victim's data blocks. Nothing needs to run as root: the kernel does it while mounting.",
    fsck: "`e2fsck -fn` reads an unlinked orphan as an already deleted inode (\"deleted inode has zero dtime\", an inode bitmap difference) and never pairs its blocks with the victim; `e2fsck -p`, what boot runs, clears the orphan — freeing the same blocks — and calls the filesystem clean.",
    immutable: "A read-only mount of a read-only device skips orphan cleanup; an immutable format has no orphan list. Reject the image, or mount a copy.",
};

pub const PRIMARY_SUPERBLOCK_UNUSABLE: Explanation = Explanation {
    what: "The primary ext superblock (byte 1024) does not parse; the volume is read through the first backup that does, with that group's copy of the descriptors, as e2fsck does. The message gives `e2fsck -b N` and `mount -o sb=N`.",
    attack: "The kernel reads the primary unless told otherwise, so it refuses the filesystem; tools that fall back to a backup, this one and e2fsck included, see the backup's filesystem. A repair writes the backup over the primary, so what is mounted after `e2fsck -y` is whatever the backup describes, which a checker of the primary never saw.",
    fsck: "e2fsck: \"Superblock invalid, trying backup blocks...\", then it checks the filesystem the backup describes; with -y it writes that superblock back over the primary.",
    immutable: "The kernel refuses the read-only mount too unless given -o sb=N.",
};

pub const RESIZE_INODE_INVALID: Explanation = Explanation {
    what: "The resize inode (ext inode 7), which reserves the blocks where online resize puts new group descriptors, does not describe them: wrong pointers, slots other than the double indirect block, or a resize inode on a meta_bg filesystem.",
    attack: "Its pointers are not followed by anyone but online resize, which checks them and refuses (verify_reserved_gdb); counting them as claims would invent hundreds of cross-links. The danger is a tool that trusts them.",
    fsck: "e2fsck: \"Resize inode not valid. Recreate?\" (super.c check_resize_inode); its pass 1 marks only the double indirect block.",
    immutable: "Immutable images are never resized.",
};

pub const SHARED_BLOCKS_FEATURE: Explanation = Explanation {
    what: "The ext superblock sets the shared_blocks read-only-compatible feature, which allows blocks to be shared between files (for images that deduplicate).",
    attack: "It turns off e2fsck's duplicate-block detection altogether: every cross-link in the image passes `e2fsck -fn`. imginspect reports every sharing anyway.",
    fsck: "e2fsck skips its duplicate-block passes and passes the image (sample shared-blocks-feature); e2fsck -E unshare_blocks copies the shared blocks apart and clears the feature.",
    immutable: "The feature is meant for read-only images, where sharing is harmless; on a writable mount the sharing is as dangerous as any cross-link.",
};

pub const UNREACHABLE_INODE: Explanation = Explanation {
    what: "An ext inode is in use but no directory names it (special inodes excepted).",
    attack: "A live file hidden from ls, find and everything that walks the tree, yet it keeps its blocks; it can be opened by inode number (debugfs, or open_by_handle_at with CAP_DAC_READ_SEARCH), and e2fsck gives it a name in /lost+found with its owner and mode intact.",
    fsck: "e2fsck pass 4: \"Unattached inode N Connect to /lost+found?\"",
    immutable: "Nothing is hidden from a raw reader, but the file stays unreachable by path on a read-only mount.",
};

pub const XATTR_REFCOUNT_MISMATCH: Explanation = Explanation {
    what: "An ext extended-attribute block's h_refcount differs from the number of inodes that refer to it.",
    attack: "The kernel modifies an xattr block in place when h_refcount is 1: with two referrers and a count of 1, setting an attribute on one file changes the other's ACLs, security labels or capabilities, and removing it frees a block the other still uses. A count above the referrers only leaks the block. More referrers than the count is also reported as a crosslink (critical): the format does not declare that sharing.",
    fsck: "e2fsck pass 1: \"Extended attribute block B has reference count N, should be M. Fix?\"",
    immutable: "Nothing is modified on a read-only mount, so the count is never used.",
};
