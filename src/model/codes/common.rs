//! What the codes of findings any format can make: ownership, allocation, structure mean.

use super::Explanation;

pub const ALLOCATED_BUT_UNCLAIMED: Explanation = Explanation {
    what: "Blocks that the allocation map marks in use (the ext block bitmap, the XFS free-space btrees by leaving them out, the FAT by giving them a chain) belong to no inode and to no filesystem structure: leaked space. On FAT these are the lost clusters that no directory entry reaches.",
    attack: "Nothing through the filesystem: no file maps the blocks. But they keep whatever was written there, by a deleted or hidden file or on purpose, out of reach of every tool that walks files, and out of reach of carvers that look only at free space.",
    fsck: "e2fsck pass 5: \"Block bitmap differences: -N\" and a wrong free blocks count, which -y frees. fsck.fat: \"Reclaimed N unused clusters (… bytes).\" (with -f it salvages the chains into files instead).",
    immutable: "Nothing is allocated on an immutable image, so nothing leaks at run time; the bytes are still in the image for anyone who reads it raw.",
};

pub const AMBIVALENT_FILESYSTEM: Explanation = Explanation {
    what: "The volume carries the fully valid signatures of more than one filesystem (for example an ext2 superblock at byte 1024 and an NTFS boot sector with its MFT at byte 0). Only one of them is modelled here, by the probe order ext, EROFS, XFS, FAT; the others are named.",
    attack: "Whoever mounts with `-t` chooses the parser: a checker (or this scan) passes one filesystem while the kernel is made to mount the other over the same bytes, whose files were never checked. Writing through either corrupts the other.",
    fsck: "fsck checks only its own format and says nothing; blkid -p reports \"ambivalent result (probably more filesystems on the device)\" and exits 8, and `mount` without -t refuses the device. `wipefs` lists every signature and can erase the stale ones.",
    immutable: "An immutable image mounted read-only corrupts nothing, but which filesystem is seen still depends on the mount type: reject the image or wipe the extra signature.",
};

pub const BAD_DIRECTORY: Explanation = Explanation {
    what: "A directory that cannot be read as one tree: on FAT, a directory starting at a cluster another directory already uses (a loop, or two directories sharing their entries), read once; on ext, a directory mapping more than 2^20 blocks below its i_size, of which only the first 2^20 are read.",
    attack: "Two directories sharing entries put the same files under two paths, each with its parent's permissions; deleting a file through one leaves the other's entry pointing at freed clusters. A loop or an enormous directory makes recursive walkers (find, backup, rm -r, indexers) never finish.",
    fsck: "fsck.fat: \"/A and /B share clusters. Truncating second to 0 bytes.\" For the ext case the cap is this tool's: e2fsck checks every directory block in pass 2.",
    immutable: "A read-only mount still walks the loop and shows the shared entries: reject the image.",
};

pub const BAD_DIRECTORY_ENTRY: Explanation = Explanation {
    what: "A directory entry that is malformed or leads nowhere: on ext, a directory block whose records do not parse (rec_len, name_len) or an entry naming a free or out-of-range inode; on FAT, a bad short name or an entry whose first cluster is 0, 1 or past the volume (or a FAT32 root cluster outside the data area); on XFS and EROFS, entries that cannot be decoded or name an inode that cannot be read, and compressed EROFS directories.",
    attack: "Readers that parse malformed records differently see different names: a file hidden from one tool and shown by another. An entry naming a free inode reaches whatever file the next allocation puts there. A FAT entry whose first cluster is reserved or past the volume makes a driver read the FAT or data outside the volume as the file.",
    fsck: "e2fsck pass 2: \"Directory inode N, block #B, offset O: directory corrupted\" (Salvage?) and \"Entry 'x' in / (2) has deleted/unused inode N. Clear?\". fsck.fat: \"Bad short file name (…). Auto-renaming it.\", \"Start cluster beyond limit (…). Truncating file.\", and for a first cluster of 0 \"File size is N bytes, cluster chain length is 0 bytes. Truncating file to 0 bytes.\"",
    immutable: "Nothing is allocated into a free inode on a read-only mount, but the names each reader shows still differ.",
};

pub const BAD_INODE: Explanation = Explanation {
    what: "An inode the format says is in use cannot be modelled: on XFS, the inobt lists it but the slot has no inode magic or bad fields, or its extents have no blocks, lie outside every AG or run past their AG's end; on EROFS, an inline tail crossing its block, a chunk index array past the image, a compressed index that cannot be read, or an unknown data layout. What it maps is not counted as a claim.",
    attack: "Readers handle a broken inode differently: the kernel refuses it (EFSCORRUPTED) while another tool follows the bad map into blocks that belong to other files or lie outside the image. Because its blocks are not counted, anything it maps escapes the cross-link checks here.",
    fsck: "xfs_repair checks every inode the inobt lists in phase 3: \"bad magic number 0x0 on inode N\", \"bad CRC for inode N\", and for a bad extent \"bad extent starting block …, would clear the inode\" with -n. fsck.erofs passes images whose file data lies outside the image (sample erofs-out-of-range): it does not check layouts this strictly.",
    immutable: "Nothing is written, but every reader still decodes the inode in its own way: reject the image.",
};

pub const BAD_SUPERBLOCK: Explanation = Explanation {
    what: "Superblock fields that contradict each other or the volume: on ext, s_inodes_count differs from groups × inodes per group (medium), or the superblock describes more block groups than the volume can hold inode tables for; on XFS, the internal log starts outside every AG.",
    attack: "Readers that trust different fields compute different layouts: the kernel refuses an inode count that does not match the groups (ext4_fill_super: \"inodes count not valid\"), while a lenient tool reads on and finds inode tables, and so inodes, at other places than a checker did. An XFS log outside the AGs is replayed onto blocks no AG accounts for.",
    fsck: "e2fsck finds the primary corrupt and tries the backups (\"Superblock invalid, trying backup blocks...\"); when they say the same it offers the fix (\"Inode count in superblock is N, should be M. Fix?\") and with -n stops with \"The superblock could not be read or does not describe a valid ext2/ext3/ext4 filesystem\" (exit 12). xfs_repair verifies the superblock in phase 1.",
    immutable: "The kernel checks the superblock on a read-only mount too.",
};

pub const CHECKSUM_MISMATCH: Explanation = Explanation {
    what: "A metadata checksum (metadata_csum or uninit_bg) does not verify.",
    attack: "Either corruption, or metadata edited by a tool that did not recompute the checksum — a sign of tampering worth correlating with other findings.",
    fsck: "e2fsck reports the mismatch and recomputes the checksum; the kernel refuses to use the structure.",
    immutable: "The kernel verifies checksums on read-only mounts too.",
};

pub const CLAIMED_BUT_FREE: Explanation = Explanation {
    what: "An inode uses blocks that the block bitmap marks free.",
    attack: "The next file written may be given those blocks: the two files then share them (a delayed cross-link), and one overwrites the other.",
    fsck: "e2fsck pass 5 reports the block bitmap differences (+N) and marks the blocks in use.",
    immutable: "Nothing is allocated on an immutable image, so the latent cross-link never forms.",
};

pub const CROSSLINK: Explanation = Explanation {
    what: "Two inodes map the same disk blocks. On a healthy filesystem every block has exactly one owner; here the block map of one file points into another file's data.",
    attack: "Read: whoever can read one file reads the other's contents, whatever its permissions say (a world-readable file sharing blocks with /etc/shadow exposes the password hashes). Tamper: whoever can write one file rewrites the other, including root-owned ones. Double free: deleting one file returns blocks the other still uses to the allocator, which hands them to the next file written — corruption spreads, and an attacker can aim it.",
    fsck: "e2fsck passes 1B–1D list every multiply-claimed block and the files that share it, and offer to clone the blocks so that each file gets its own copy (`e2fsck -fn` only reports). Never mount such an image read-write before that.",
    immutable: "An immutable image (EROFS) mounted read-only under a copy-on-write layer (OverlayFS) is never written in place: the shared blocks can leak nothing new and tamper with nothing, because writes go to the upper layer. Reading through the second name still reads the first file's data, so the image should be rejected anyway.",
};

pub const HIDDEN_INODE: Explanation = Explanation {
    what: "A live inode sits in a part of the inode table marked uninitialised, which e2fsck and the kernel's scans skip.",
    attack: "The file is invisible to checks that trust those flags, yet a directory entry can still reach it: a place to hide data or a forged block map.",
    fsck: "e2fsck only notices when a directory entry points at it (pass 2: inode in an unused area).",
    immutable: "Still reachable on a read-only mount: reject the image.",
};

pub const IMAGE_CHANGED: Explanation = Explanation {
    what: "The image file changed size while it was being scanned: something was writing it.",
    attack: "A time-of-check/time-of-use race: the bytes that were checked are not the bytes that will be mounted, and whoever writes the file can wait for the check to pass.",
    fsck: "Not a property of the filesystem, so no checker reports it: check (and mount) a private, read-only copy of the image.",
    immutable: "An image that is immutable on disk cannot change; this one did.",
};

pub const METADATA_COLLISION: Explanation = Explanation {
    what: "Two filesystem structures occupy the same blocks (for example a bitmap placed inside an inode table by a forged group descriptor).",
    attack: "The kernel updates one structure and silently corrupts the other; allocation and inode lookups become unpredictable.",
    fsck: "e2fsck reports the conflicting group descriptor fields and relocates the structures.",
    immutable: "An immutable image never updates them, but the kernel may still misread the filesystem: reject it.",
};

pub const METADATA_OVERLAP: Explanation = Explanation {
    what: "A file's block map points at blocks the filesystem uses for its own structures: a superblock, group descriptors, bitmaps, the inode table or the journal.",
    attack: "Writing the file rewrites filesystem metadata: an attacker forges inodes (owners, modes, block pointers to any block on the disk), bitmaps (so that allocations cross-link more files) or the superblock. Reading the file reveals raw metadata.",
    fsck: "e2fsck reports the blocks as shared with <filesystem metadata> in pass 1B and would clone them away from the file.",
    immutable: "Read-only, the overlap changes nothing at run time, but the image is malformed by construction: reject it.",
};

pub const NO_ROOT_DIRECTORY: Explanation = Explanation {
    what: "The root inode (ext inode 2, the XFS sb_rootino, the EROFS root nid) is not an in-use directory, or cannot be read: no name can be resolved.",
    attack: "Every file is reachable only by inode number, so tools that walk paths see an empty filesystem while the blocks are all there; the kernel refuses to mount an ext filesystem without a root directory.",
    fsck: "e2fsck: \"Root inode is not a directory. Clear?\", the '..' entries that point at inode 2 as deleted, \"Root inode not allocated. Allocate?\", and with -n \"Cannot proceed without a root inode.\" (exit 12). xfs_repair -n with sb_rootino moved: \"sb root inode value N inconsistent with calculated value M\", \"would reset superblock root inode pointer to M\". fsck.erofs with the root nid past the image: \"I/O error occurred when reading nid(N)\" (exit 1).",
    immutable: "The mount fails the same way read-only.",
};

pub const OUT_OF_RANGE: Explanation = Explanation {
    what: "An inode maps blocks beyond the end of the filesystem or of the image file.",
    attack: "Reads fail or, on a device larger than the filesystem, reach data outside it; with a grown image the mapping may later land on real data.",
    fsck: "e2fsck reports an invalid extent or illegal block and clears it.",
    immutable: "The kernel refuses the read; the image is still malformed.",
};

pub const REUSED_BLOCKS: Explanation = Explanation {
    what: "A deleted file's old block map (left in its freed inode on ext2 or after debugfs rm; guessed from the first cluster and size on FAT) points at blocks that a live file or the filesystem's metadata owns now. Deleted inodes claim nothing, so this is not a cross-link: the allocator handed the freed blocks on, as it should.",
    attack: "Nothing through the filesystem. The risk is to the examiner: recovering the deleted file through its old map (icat, photorec-style carving by inode) returns the new owner's data under the old name and owner, which can misattribute content in a timeline or a report. The deleted file's own data in those blocks is gone.",
    fsck: "e2fsck and fsck.fat ignore deleted inodes and entries: they report nothing. The Sleuth Kit's istat shows the old blocks and ifind -a names both the live and the deleted owner, without saying which one the data belongs to now.",
    immutable: "The same on any format with deletion; immutable images have no deleted files.",
};

pub const SHARED_LEGITIMATELY: Explanation = Explanation {
    what: "Blocks shared in a way the format declares: an extended-attribute block used by several inodes within its reference count.",
    attack: "Nothing by itself: the kernel copies the block before any inode changes its attributes.",
    fsck: "e2fsck accepts it as long as the count of referrers matches h_refcount.",
    immutable: "Sharing is normal on immutable images (deduplication).",
};

pub const TRUNCATED_IMAGE: Explanation = Explanation {
    what: "The filesystem claims more space than the volume holds (blocks or sectors past the end), or a structure it needs (an inode table, a group descriptor, a FAT copy, a directory) lies past the end of the image: it is scanned as far as it goes.",
    attack: "Whatever lies past the end cannot be checked here. Written to a larger device, or after the image is grown, those blocks hold whatever was there before: unchecked data under the filesystem's own structures.",
    fsck: "e2fsck: \"The filesystem size (according to the superblock) is N blocks The physical size of the device is M blocks Either the superblock or the partition table is likely to be corrupt! Abort?\" and, answered no, checks what is there. fsck.fat stops at once: \"Failed to read sector N.\" (exit 1). xfs_repair -n on an XFS image cut inside its last AG: \"superblock read failed, offset …, ag 3\" and a fatal error.",
    immutable: "The kernel fails the reads past the end on a read-only mount too.",
};

pub const UNKNOWN_FEATURE: Explanation = Explanation {
    what: "The superblock (ext, EROFS) or the ext journal superblock sets feature bits this tool does not know: the format may be read by rules that do not apply.",
    attack: "A feature bit changes how the bytes are read: what this scan reports, and what it does not, may be wrong, and kernels that know the feature read another filesystem than older tools.",
    fsck: "e2fsck refuses: \"has unsupported feature(s): FEATURE_I31\" and \"Get a newer version of e2fsck!\" (exit 8; an unknown ro_compat bit: exit 12); an unknown journal incompatible bit: \"journal superblock has an unknown incompatible feature flag set\". fsck.erofs: \"unidentified incompatible feature …, please upgrade kernel version\" (exit 1).",
    immutable: "Nothing changes: the kernel refuses incompatible features it does not know on read-only mounts too.",
};

pub const WALK_BUDGET_EXCEEDED: Explanation = Explanation {
    what: "The walk of this volume was cut because it took more work than the image justifies: FAT chains that merge over and over, directories that share clusters, or XFS and EROFS directories read more than four times the image's size.",
    attack: "An image built to make walkers do quadratic or endless work: a denial of service for tools without a bound. Files and claims after the cut are not checked here.",
    fsck: "The budget is this tool's; fsck.fat reports merging chains as files that share clusters (\"/A and /B share clusters.\") and truncates the second.",
    immutable: "Read-only readers walk the same structures: reject the image.",
};
