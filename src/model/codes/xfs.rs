//! What the codes of XFS mean.

use super::Explanation;

pub const BAD_AG_HEADER: Explanation = Explanation {
    what: "An XFS allocation group header is unusable: the superblock copy, AGF, AGI or AGFL has no magic, cannot be read or carries impossible fields, or the AGFL lists a block outside its AG. That AG's btrees are not walked, so claims in it may be missing here.",
    attack: "The AGF roots the free-space btrees and the AGI the inode btrees: a forged AGF steers the allocator onto blocks in use (a cross-link at the next write), a forged AGI hides inodes from lookups or invents them. A bad AGFL entry hands a block outside the AG to btree growth.",
    fsck: "xfs_repair checks every AG header in phase 2: for an AGF without its magic, -n said \"bad magic # 0x0 for agf 2\", \"would reset bad agf for ag 2\" and \"bad uncorrected agheader 2, skipping ag...\", then counted the superblock totals without that AG (\"sb_icount 512, counted 448\"). Without -n it rebuilds the headers and the AG's btrees (phase 5) from what it scanned.",
    immutable: "The kernel reads the AG headers on a read-only mount too (every inode lookup goes through the AGI): nothing is allocated, but lookups can still be misled.",
};

pub const BAD_BTREE_BLOCK: Explanation = Explanation {
    what: "A block of an XFS per-AG btree (bnobt, cntbt, inobt, finobt, rmapbt, refcountbt) is unusable: wrong magic or level, more records than fit, outside its AG or past the image, reached twice (a loop or a shared subtree), or a tree larger than its AG. The walk of that tree stops or skips the block.",
    attack: "The allocator, inode lookups and reflink accounting trust these trees: a forged block hides free space or in-use inodes, makes allocations land on blocks in use, and a loop hangs walkers. Whatever sits below a skipped block is not checked here.",
    fsck: "xfs_repair walks every AG btree: for a bnobt root without its magic, -n said \"btree block 1/1 is suspect, error -117\", \"bad magic # 0 in btbno block 1/1\" and then \"free space (…) only seen by one free space btree\". Without -n it rebuilds the free-space, inode, rmap and refcount btrees from its own scan (phase 5).",
    immutable: "The kernel walks the inode btrees on a read-only mount too; the free-space trees matter only once something is written.",
};

pub const BAD_BTREE_RECORD: Explanation = Explanation {
    what: "A record in an XFS per-AG btree is impossible: a bnobt free extent or a refcountbt record that runs past its AG, or an inobt inode chunk outside its AG, off its alignment, or listed twice. The record is not used.",
    attack: "The allocator and inode lookups take records at their word: a free extent past the AG hands out blocks of the next AG (or past the device), a chunk listed twice or misplaced makes one inode number resolve to the wrong slot, and a bad refcount record miscounts sharers.",
    fsck: "xfs_repair checks each record as it scans the trees: a bnobt record past its AG gave \"invalid length 30000 in record 0 of bno btree block 1/1\" (the refcountbt scanner says \"invalid start block …\" and \"invalid reference count …\" likewise). Without -n it rebuilds the trees from its own scan (phase 5).",
    immutable: "The inode btree is read on a read-only mount too; the free-space and refcount records matter only once something is written.",
};

pub const COW_STAGING: Explanation = Explanation {
    what: "An XFS refcount btree record with the copy-on-write flag: blocks staged for a copy-on-write that never completed. The filesystem was not unmounted cleanly.",
    attack: "Nothing by itself: the blocks belong to no file, and the kernel frees leftover staging extents at mount (xfs_reflink_recover_cow). They may still hold the data of an unfinished write, readable in the raw image.",
    fsck: "xfs_repair reports each leftover staging extent (\"leftover CoW extent (AG/block) len N\") and frees it; one whose blocks something else claims is \"extent (AG/block) len N claimed, state is S\".",
    immutable: "An immutable image has no copy-on-write; the blocks are only bytes in the image.",
};

pub const DIRTY_LOG: Explanation = Explanation {
    what: "The XFS internal log's newest record is not an unmount record: the filesystem was not unmounted cleanly, and mounting it replays transactions this scan does not model. Low when the log holds no record header at all (zeroed, as by xfs_repair -L, or overwritten).",
    attack: "The kernel replays the log before anything is seen: logged metadata (inodes, btree blocks, the superblock) lands on disk at mount, so what this scan and xfs_repair -n check is not what is mounted. A forged log rewrites metadata at mount.",
    fsck: "xfs_repair -n: \"ALERT: The filesystem has valuable metadata changes in a log which is being ignored because the -n option was used. Expect spurious inconsistencies…\"; xfs_repair refuses (\"ERROR: … needs to be replayed. Mount the filesystem to replay the log…\", exit 2) unless -L destroys the log.",
    immutable: "mount -o norecovery skips the replay (read-only only); a plain mount replays the log, even one with -o ro on a writable device.",
};

pub const EXTERNAL_LOG: Explanation = Explanation {
    what: "The XFS filesystem keeps its log on a separate device (mkfs.xfs -l logdev=…; sb_logstart is 0), which is not in this image.",
    attack: "A log that needs recovery holds metadata writes the kernel replays at mount: what the filesystem will look like then cannot be judged from this image alone, and a forged log could change it.",
    fsck: "xfs_repair refuses the filesystem without `-l` naming the log device; with it, a dirty log must be replayed by mounting (or zeroed with -L) first.",
    immutable: "Nothing is replayed on a read-only norecovery mount; a normal mount replays the log.",
};

pub const FREE_SPACE_TREES_DISAGREE: Explanation = Explanation {
    what: "In an XFS AG, the two free-space btrees disagree: the bnobt (by block number) and the cntbt (by size) should list the same free extents, and here some are only in one of them.",
    attack: "The allocator searches the cntbt for a size and the bnobt for a place, and trusts both: a free extent listed in only one of them can be handed out although a file uses it (a cross-link at the next write), or free space is lost.",
    fsck: "xfs_repair -n, phase 4: \"free space (AG,start-end) only seen by one free space btree\"; without -n it rebuilds both trees from its own scan (phase 5).",
    immutable: "Nothing is allocated on a read-only mount, so the disagreement is latent.",
};

pub const NEEDS_REPAIR: Explanation = Explanation {
    what: "The XFS superblock sets the NEEDSREPAIR incompatible feature: an xfs_repair (or a feature upgrade through xfs_admin) was started and did not finish.",
    attack: "The kernel refuses to mount it, so the image is a denial of service until repaired; metadata may be half rebuilt.",
    fsck: "xfs_repair -n: \"would clear needsrepair flag and regenerate metadata\"; xfs_repair without -n does so.",
    immutable: "Nothing changes: the kernel refuses the read-only mount too.",
};

pub const REALTIME_DEVICE: Explanation = Explanation {
    what: "The XFS filesystem has a realtime device (sb_rblocks > 0), which is not in this image: realtime files keep their data there, and it is not mapped.",
    attack: "Nothing by itself: a realtime device is a supported layout. But the data of realtime files cannot be checked here for sharing or range.",
    fsck: "xfs_repair takes the realtime section's device with -r rtdev (xfs_repair(8)); this image alone cannot be checked whole.",
    immutable: "Not applicable: EROFS has no realtime device.",
};

pub const REFCOUNT_MISMATCH: Explanation = Explanation {
    what: "An XFS refcount btree record disagrees with the block maps: its count is not the number of files that map the blocks, records overlap, or a record counts a share with nothing shared behind it.",
    attack: "The count decides when shared blocks are freed: one too low and the kernel frees them while another file still maps them (a cross-link with the next allocation); too high and they are never freed (leaked), and every write to them is copied although nothing else maps them.",
    fsck: "xfs_repair -n: \"incorrect reference count\" (exit 1; sample xfs-reflink-count-wrong); it does not notice a record with no sharing behind it (sample xfs-rmap-orphan passes). xfs_db blockget checks no refcounts.",
    immutable: "Nothing is freed or copied on a read-only mount, so the count is never used.",
};

pub const REFLINK: Explanation = Explanation {
    what: "XFS blocks that several files map, declared as a reflink: a refcount record counts the sharers, each sharer carries the REFLINK inode flag, and each has its rmap record.",
    attack: "Nothing: the kernel copies a shared block before any sharer writes it, so no file can read or change another's data through it.",
    fsck: "xfs_repair -n and xfs_db blockget pass it (sample xfs-reflink). After xfs_repair, a forged share looks exactly like this: it adds the records and the flag (sample xfs-forged-repaired), so a reflink is only as trustworthy as the image's history.",
    immutable: "Sharing is normal on immutable images (deduplication).",
};

pub const REFLINK_FLAG_MISSING: Explanation = Explanation {
    what: "XFS blocks that the refcount btree declares shared are mapped by a file that lacks the REFLINK inode flag (XFS_DIFLAG2_REFLINK).",
    attack: "The kernel decides whether to copy on write by that flag: a write through the unflagged file goes in place, into the blocks the other sharers read. In effect the share is a cross-link for that file.",
    fsck: "xfs_repair: \"setting reflink flag on inode N\" (printed with -n too, where it changes nothing).",
    immutable: "Nothing is written on a read-only mount, so the missing flag is never consulted.",
};

pub const REFLINK_UNRECORDED: Explanation = Explanation {
    what: "XFS blocks mapped by more than one file with no refcount record for them: a share the format does not declare, so not a reflink but a forged or corrupt cross-link.",
    attack: "As a cross-link: nothing copies on write, so each file reads and rewrites the other's data, and deleting one frees blocks the other still maps. xfs_repair would bless it: it rebuilds the refcount and rmap btrees from the block maps and turns the share into a reflink.",
    fsck: "xfs_repair -n reports the missing rmap and refcount records (exit 1; sample xfs-forged-share); xfs_db blockget -n reports the blocks claimed twice, remembering one previous owner per block. After xfs_repair both pass.",
    immutable: "XFS is never immutable; on EROFS the same layout is shared_legitimately or partial_overlap, because nothing writes through it.",
};

pub const RMAP_METADATA_MISMATCH: Explanation = Explanation {
    what: "The XFS reverse-mapping btree's records for the filesystem's own blocks (its special owners: AG headers, log, free-space btrees and AGFL, inode btrees, inode chunks, refcount btree) disagree with where the headers and trees place those structures: blocks a structure occupies without its rmap record, or rmap records for a special owner where no such structure is.",
    attack: "Owner queries (GETFSMAP, xfs_scrub, online repair) trust the rmapbt: a record that calls data metadata hides the data from tools that skip metadata, and one that calls metadata something else invites a rebuild to treat it as free.",
    fsck: "xfs_repair rebuilds the rmapbt from what it finds in use (phase 5), so a repaired image no longer carries the record.",
    immutable: "Nothing is rebuilt or allocated on a read-only mount; owner queries still read the wrong record.",
};

pub const RMAP_MISSING: Explanation = Explanation {
    what: "A file maps XFS blocks for which the reverse-mapping btree has no record of that file.",
    attack: "The mapping is invisible to every owner query (GETFSMAP, xfs_scrub, online repair), which is how a forged share hides: a file that maps another's blocks behind the rmapbt's back.",
    fsck: "xfs_repair -n: \"missing reverse-mapping record\" (exit 1; sample xfs-reflink-no-rmap); xfs_db blockget does not check rmap records.",
    immutable: "Nothing is allocated on a read-only mount; owner queries still miss the mapping.",
};

pub const RMAP_ORPHAN: Explanation = Explanation {
    what: "An XFS reverse-mapping record gives blocks to an inode whose block map does not map them.",
    attack: "Owner queries report the blocks as that inode's although it never reads them: a forged image can make a share look declared to tools that read only the trees, or hide whose the blocks really are.",
    fsck: "Neither xfs_repair -n nor xfs_db blockget checks records that no file backs: both pass (sample xfs-rmap-orphan).",
    immutable: "Nothing changes at run time; the record still misleads owner queries.",
};

pub const SUPERBLOCK_COPY_MISMATCH: Explanation = Explanation {
    what: "An XFS secondary superblock (at the start of an AG) disagrees with the primary on a field growfs never changes: block size, AG size, sector or inode size, or the UUID.",
    attack: "xfs_repair rebuilds a damaged primary from the secondary copies: forged copies decide the geometry a repair uses, and so what the repaired filesystem is.",
    fsck: "xfs_repair -n: \"primary/secondary superblock N conflict - AG superblock geometry info conflicts with filesystem geometry\", \"would reset bad sb for ag N\".",
    immutable: "The kernel reads only the primary; the copies matter to repair.",
};
