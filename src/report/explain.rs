//! What each finding means, what it lets an attacker do, what fsck does and
//! what an immutable image changes: for the inspector's explain view and
//! the HTML report.

/// (what it is, what an attacker gets, what fsck does, what an immutable image changes)
pub fn explanation(code: &str) -> [&'static str; 4] {
    match code {
        "crosslink" => [
            "Two inodes map the same disk blocks. On a healthy filesystem every block has exactly one owner; here the block map of one file points into another file's data.",
            "Read: whoever can read one file reads the other's contents, whatever its permissions say (a world-readable file sharing blocks with /etc/shadow exposes the password hashes). Tamper: whoever can write one file rewrites the other, including root-owned ones. Double free: deleting one file returns blocks the other still uses to the allocator, which hands them to the next file written — corruption spreads, and an attacker can aim it.",
            "e2fsck passes 1B–1D list every multiply-claimed block and the files that share it, and offer to clone the blocks so that each file gets its own copy (`e2fsck -fn` only reports). Never mount such an image read-write before that.",
            "An immutable image (EROFS) mounted read-only under a copy-on-write layer (OverlayFS) is never written in place: the shared blocks can leak nothing new and tamper with nothing, because writes go to the upper layer. Reading through the second name still reads the first file's data, so the image should be rejected anyway.",
        ],
        "metadata_overlap" => [
            "A file's block map points at blocks the filesystem uses for its own structures: a superblock, group descriptors, bitmaps, the inode table or the journal.",
            "Writing the file rewrites filesystem metadata: an attacker forges inodes (owners, modes, block pointers to any block on the disk), bitmaps (so that allocations cross-link more files) or the superblock. Reading the file reveals raw metadata.",
            "e2fsck reports the blocks as shared with <filesystem metadata> in pass 1B and would clone them away from the file.",
            "Read-only, the overlap changes nothing at run time, but the image is malformed by construction: reject it.",
        ],
        "metadata_collision" => [
            "Two filesystem structures occupy the same blocks (for example a bitmap placed inside an inode table by a forged group descriptor).",
            "The kernel updates one structure and silently corrupts the other; allocation and inode lookups become unpredictable.",
            "e2fsck reports the conflicting group descriptor fields and relocates the structures.",
            "An immutable image never updates them, but the kernel may still misread the filesystem: reject it.",
        ],
        "ambivalent_filesystem" => [
            "The volume carries the fully valid signatures of more than one filesystem (for example an ext2 superblock at byte 1024 and an NTFS boot sector with its MFT at byte 0). Only one of them is modelled here, by the probe order ext, EROFS, XFS, FAT; the others are named.",
            "Whoever mounts with `-t` chooses the parser: a checker (or this scan) passes one filesystem while the kernel is made to mount the other over the same bytes, whose files were never checked. Writing through either corrupts the other.",
            "fsck checks only its own format and says nothing; blkid -p reports \"ambivalent result (probably more filesystems on the device)\" and exits 8, and `mount` without -t refuses the device. `wipefs` lists every signature and can erase the stale ones.",
            "An immutable image mounted read-only corrupts nothing, but which filesystem is seen still depends on the mount type: reject the image or wipe the extra signature.",
        ],
        "claimed_but_free" => [
            "An inode uses blocks that the block bitmap marks free.",
            "The next file written may be given those blocks: the two files then share them (a delayed cross-link), and one overwrites the other.",
            "e2fsck pass 5 reports the block bitmap differences (+N) and marks the blocks in use.",
            "Nothing is allocated on an immutable image, so the latent cross-link never forms.",
        ],
        "out_of_range" => [
            "An inode maps blocks beyond the end of the filesystem or of the image file.",
            "Reads fail or, on a device larger than the filesystem, reach data outside it; with a grown image the mapping may later land on real data.",
            "e2fsck reports an invalid extent or illegal block and clears it.",
            "The kernel refuses the read; the image is still malformed.",
        ],
        "reused_blocks" => [
            "A deleted file's old block map (left in its freed inode on ext2 or after debugfs rm; guessed from the first cluster and size on FAT) points at blocks that a live file or the filesystem's metadata owns now. Deleted inodes claim nothing, so this is not a cross-link: the allocator handed the freed blocks on, as it should.",
            "Nothing through the filesystem. The risk is to the examiner: recovering the deleted file through its old map (icat, photorec-style carving by inode) returns the new owner's data under the old name and owner, which can misattribute content in a timeline or a report. The deleted file's own data in those blocks is gone.",
            "e2fsck and fsck.fat ignore deleted inodes and entries: they report nothing. The Sleuth Kit's istat shows the old blocks and ifind -a names both the live and the deleted owner, without saying which one the data belongs to now.",
            "The same on any format with deletion; immutable images have no deleted files.",
        ],
        "shared_legitimately" => [
            "Blocks shared in a way the format declares: an extended-attribute block used by several inodes within its reference count.",
            "Nothing by itself: the kernel copies the block before any inode changes its attributes.",
            "e2fsck accepts it as long as the count of referrers matches h_refcount.",
            "Sharing is normal on immutable images (deduplication).",
        ],
        "hidden_inode" => [
            "A live inode sits in a part of the inode table marked uninitialised, which e2fsck and the kernel's scans skip.",
            "The file is invisible to checks that trust those flags, yet a directory entry can still reach it: a place to hide data or a forged block map.",
            "e2fsck only notices when a directory entry points at it (pass 2: inode in an unused area).",
            "Still reachable on a read-only mount: reject the image.",
        ],
        "checksum_mismatch" => [
            "A metadata checksum (metadata_csum or uninit_bg) does not verify.",
            "Either corruption, or metadata edited by a tool that did not recompute the checksum — a sign of tampering worth correlating with other findings.",
            "e2fsck reports the mismatch and recomputes the checksum; the kernel refuses to use the structure.",
            "The kernel verifies checksums on read-only mounts too.",
        ],
        "partial_overlap" => [
            "On an immutable image (EROFS), one file's data starts inside another file's: a share that deduplication, which shares whole chunks, never makes.",
            "Nothing can be written through it: reading one file returns part of the other's contents. On ext4 the same layout is a critical cross-link (read, tamper, double free); here it is a sign that the image was crafted or damaged.",
            "fsck.erofs checks no ownership at all and passes the image.",
            "This is the immutable case: the sharing is harmless at run time, but the image is not what mkfs.erofs writes.",
        ],
        "partition_overlap" => [
            "Two partitions share sectors, or a partition covers the partition table itself.",
            "Writing one filesystem corrupts the other; a filesystem over the table can rewrite the partition layout. Tools disagree on what the disk holds (`mmls` lists both without a word; `sfdisk --verify` complains but exits 0).",
            "fsck only sees one filesystem at a time and cannot notice; sfdisk --verify and sgdisk -v report the overlap.",
            "Read-only use of one partition is safe, but the disk was not laid out by a partitioning tool: reject it.",
        ],
        "self_referencing_partition" => [
            "Sector 0 is a FAT boot sector and, in the same bytes, an MBR whose partition starts at sector 0: the partition is the FAT volume itself, boot sector included. `mkfs.fat --mbr=y` writes this on purpose, for devices that want a partition table.",
            "Nothing: the table and the FAT agree on where the volume starts, so every reader sees the same filesystem. blkid reports the whole device as vfat and ignores the table; Linux also creates a partition 1 over the same sectors.",
            "fsck.fat checks the FAT and ignores the table; sfdisk --verify and mmls list a partition that covers the partition table.",
            "None: it is a layout, not damage. It would be a critical partition_overlap if sector 0 were not a valid FAT boot sector.",
        ],
        "external_log" => [
            "The XFS filesystem keeps its log on a separate device (mkfs.xfs -l logdev=…; sb_logstart is 0), which is not in this image.",
            "A log that needs recovery holds metadata writes the kernel replays at mount: what the filesystem will look like then cannot be judged from this image alone, and a forged log could change it.",
            "xfs_repair refuses the filesystem without `-l` naming the log device; with it, a dirty log must be replayed by mounting (or zeroed with -L) first.",
            "Nothing is replayed on a read-only norecovery mount; a normal mount replays the log.",
        ],
        "bad_cluster_chain" => [
            "A FAT cluster chain loops, reaches a free, bad or reserved cluster, or leaves the volume.",
            "A looping chain makes a file endless (tools hang or read the same clusters forever); a chain into a free cluster is a cross-link waiting for the next allocation.",
            "fsck.fat truncates circular and broken chains (\"Circular cluster chain. Truncating…\").",
            "Nothing is allocated on a read-only mount, but readers still follow the chain: reject the image.",
        ],
        "fat_mismatch" => [
            "The copies of the FAT disagree.",
            "Linux follows FAT #1; another driver or a repair tool may take another copy: the same image then holds different files for different readers — a way to show a checker one file and the victim another.",
            "fsck.fat says \"FATs differ\" and lets you pick a copy.",
            "Read-only mounts still read one copy: which one decides what is seen.",
        ],
        "orphan_cleanup_pending" => [
            "Inodes on the orphan list (ext s_last_orphan chained through i_dtime, or the orphan file): files a crash left unlinked-but-open or half-truncated. Any mount of a writable device, even `mount -o ro`, finishes the job first: it deletes the unlinked ones and truncates the others to their size, freeing blocks.",
            "An orphan whose block map points at another file's blocks is a delayed double free: mount itself frees the victim's blocks (say /etc/shadow's), and the next file written is given them, so an unprivileged writer ends up owning the victim's data blocks. Nothing needs to run as root: the kernel does it while mounting.",
            "`e2fsck -fn` reads an unlinked orphan as an already deleted inode (\"deleted inode has zero dtime\", an inode bitmap difference) and never pairs its blocks with the victim; `e2fsck -p`, what boot runs, clears the orphan — freeing the same blocks — and calls the filesystem clean.",
            "A read-only mount of a read-only device skips orphan cleanup; an immutable format has no orphan list. Reject the image, or mount a copy.",
        ],
        "bad_block_in_use" => [
            "A file maps a block that the bad-blocks inode (ext inode 1) lists as unreadable.",
            "No permission is crossed: inode 1 is never opened, read or written through the filesystem. The file's data in that block may be lost, and a tool that trusts the bad-blocks list may skip it.",
            "e2fsck pass 1B lists the file as sharing blocks with <The bad blocks inode> and offers to clone them.",
            "Nothing changes on a read-only mount.",
        ],
        "resize_inode_invalid" => [
            "The resize inode (ext inode 7), which reserves the blocks where online resize puts new group descriptors, does not describe them: wrong pointers, slots other than the double indirect block, or a resize inode on a meta_bg filesystem.",
            "Its pointers are not followed by anyone but online resize, which checks them and refuses (verify_reserved_gdb); counting them as claims would invent hundreds of cross-links. The danger is a tool that trusts them.",
            "e2fsck: \"Resize inode not valid. Recreate?\" (super.c check_resize_inode); its pass 1 marks only the double indirect block.",
            "Immutable images are never resized.",
        ],
        "cluster_misaligned" => [
            "On a bigalloc filesystem, a file maps a block at an offset within its logical cluster that differs from its offset within the physical cluster, or maps one physical cluster at two logical positions.",
            "When the file later writes another block of that logical cluster, the kernel maps it by offset into the same physical cluster (get_implied_cluster_alloc): onto a block the file already uses for other data, or, with two owners, onto someone else's. Freeing either frees the whole cluster.",
            "e2fsck: \"logical block N (physical block M) violates cluster allocation rules. Will fix in pass 1B.\"",
            "Nothing is written on a read-only mount.",
        ],
        _ => [
            "A structural problem in the filesystem.",
            "Depends on the structure: treat the image as untrusted.",
            "e2fsck reports and repairs most structural problems.",
            "Immutable images avoid write-time damage, not malformed input.",
        ],
    }
}
