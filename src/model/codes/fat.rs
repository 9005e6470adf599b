//! What the codes of FAT mean.

use super::Explanation;

pub const BAD_CLUSTER_CHAIN: Explanation = Explanation {
    what: "A FAT cluster chain loops, reaches a free, bad or reserved cluster, or leaves the volume.",
    attack: "A looping chain makes a file endless (tools hang or read the same clusters forever); a chain into a free cluster is a cross-link waiting for the next allocation.",
    fsck: "fsck.fat truncates circular and broken chains (\"Circular cluster chain. Truncating…\").",
    immutable: "Nothing is allocated on a read-only mount, but readers still follow the chain: reject the image.",
};

pub const BAD_CLUSTERS: Explanation = Explanation {
    what: "The FAT marks clusters bad (0xFF7 and its FAT16/FAT32 forms): they belong to no file and are never allocated.",
    attack: "Nothing by itself: media defects are legitimate. But a cluster marked bad is skipped by the driver, by fsck and by every tool that walks files: a place to hide data in plain sight of anyone who reads the image raw.",
    fsck: "fsck.fat -n passes a volume with extra bad clusters and says nothing of them; fsck.fat -t tests clusters and marks unreadable ones bad itself.",
    immutable: "The same on a read-only image: the hidden bytes are still there.",
};

pub const BAD_FSINFO: Explanation = Explanation {
    what: "The FAT32 FSInfo sector is unusable: BPB_FSInfo points outside the reserved sectors, or the sector lacks its signatures (0x41615252 at 0, 0x61417272 at 484, 0xAA550000 at 508).",
    attack: "Little: FSInfo holds only hints (the free count and the next free cluster), and drivers ignore a sector without its signatures. It is worth noting as a sign that the boot area was edited by hand.",
    fsck: "fsck.fat: \"FSINFO sector has bad magic number(s): Offset 0: … != expected 0x41615252\" (Auto-correcting it), then \"Free cluster summary uninitialized (should be N)\".",
    immutable: "Nothing is allocated on a read-only mount, so the hints are never used.",
};

pub const FAT_MISMATCH: Explanation = Explanation {
    what: "The copies of the FAT disagree.",
    attack: "Linux follows FAT #1; another driver or a repair tool may take another copy: the same image then holds different files for different readers — a way to show a checker one file and the victim another.",
    fsck: "fsck.fat says \"FATs differ\" and lets you pick a copy.",
    immutable: "Read-only mounts still read one copy: which one decides what is seen.",
};

pub const FAT_TYPE_AMBIGUOUS: Explanation = Explanation {
    what: "The FAT type the specification derives from the cluster count (FAT12 below 4085, FAT16 below 65525, FAT32 above) differs from the one Linux and dosfstools derive from the BPB (FAT32 when FATSz16 is 0). The volume is read here as Linux reads it.",
    attack: "The same bytes are two filesystems: tools that follow the specification (The Sleuth Kit among them) decode the FAT with another entry width, follow other chains and list other files than the kernel mounts. A checker can be shown one tree while the victim mounts another.",
    fsck: "fsck.fat reads the type as Linux does; for a FAT32 layout with too few clusters it warns \"Filesystem is FAT32 according to fat_length and fat32_length fields, but has only N clusters, less than the required minimum of 65525. This may lead to problems on some systems.\", and a FAT16 layout with too many clusters stops it: \"Too many clusters (N) for FAT16 filesystem.\"",
    immutable: "Nothing is written on a read-only mount, but which tree is seen still depends on the reader.",
};

pub const FSINFO_MISMATCH: Explanation = Explanation {
    what: "The FAT32 FSInfo free-cluster count (offset 488) differs from the number of free clusters in the FAT.",
    attack: "Little: the count is a hint. A driver that trusts it misjudges the space left, refusing writes on a volume that has room or starting them on one that has none.",
    fsck: "fsck.fat: \"Free cluster summary wrong (N vs. really M)\" and corrects it.",
    immutable: "Nothing is allocated on a read-only mount, so the hint is never used.",
};

pub const SELF_REFERENCING_PARTITION: Explanation = Explanation {
    what: "Sector 0 is a FAT boot sector and, in the same bytes, an MBR whose partition starts at sector 0: the partition is the FAT volume itself, boot sector included. `mkfs.fat --mbr=y` writes this on purpose, for devices that want a partition table.",
    attack: "Nothing: the table and the FAT agree on where the volume starts, so every reader sees the same filesystem. blkid reports the whole device as vfat and ignores the table; Linux also creates a partition 1 over the same sectors.",
    fsck: "fsck.fat checks the FAT and ignores the table; sfdisk --verify and mmls list a partition that covers the partition table.",
    immutable: "None: it is a layout, not damage. It would be a critical partition_overlap if sector 0 were not a valid FAT boot sector.",
};

pub const SIZE_MISMATCH: Explanation = Explanation {
    what: "A FAT file's size does not fit its cluster chain: the chain has more clusters than the size needs, or fewer.",
    attack: "Clusters past the size are allocated to the file but never read: hidden data only a raw reader sees. A size beyond the chain makes readers run past its end, where drivers fail or read other data.",
    fsck: "fsck.fat: \"File size is N bytes, cluster chain length is M bytes. Truncating file to M bytes.\"",
    immutable: "Nothing is written on a read-only mount; the hidden clusters stay hidden.",
};
