//! What the codes of partition tables mean.

use super::Explanation;

pub const BAD_PARTITION_TABLE: Explanation = Explanation {
    what: "The partition table is broken: a GPT header that does not parse, a primary GPT so damaged that the backup is read instead, a partition that ends before it starts, more partitions than are scanned (medium), a protective MBR (0xEE) with no GPT behind it, or an extended partition whose EBR chain loops, breaks (no 55 AA) or runs too long.",
    attack: "Readers disagree on the layout: Linux reads only the primary GPT unless booted with `gpt`, firmware falls back to the backup, so the two can see different partitions; an EBR loop makes naive parsers hang or list the same logical partition again and again; partitions behind a lost table cannot be found by the tools that would check them.",
    fsck: "No filesystem checker reads partition tables. sgdisk -v rebuilds a damaged GPT header from the other copy when it saves (\"Caution: invalid backup GPT header, but valid main header; regenerating backup header from main header.\"); fdisk -l prints \"The backup GPT table is corrupt, but the primary appears OK, so that will be used.\" On an EBR chain that links back to itself, fdisk -l and sfdisk -l list the same logical partition as partitions 5 to 60 and stop there (\"Omitting partitions after #60.\").",
    immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
};

pub const GPT_BACKUP_MISMATCH: Explanation = Explanation {
    what: "The primary GPT (LBA 1) and the backup GPT (last LBA) both verify but disagree: on the partition entries, the disk GUID or the usable range.",
    attack: "The disk has two layouts: Linux reads the primary, UEFI firmware switches to the backup when it considers the primary bad. An attacker who can flip one byte of the primary header (breaking its CRC) moves every firmware reader to the other layout.",
    fsck: "sgdisk -v: \"Warning! Main and backup partition tables differ! Use the 'c' and 'e' options on the recovery & transformation menu to examine the two tables.\" (\"Identified 1 problems!\", yet exit status 0).",
    immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
};

pub const GPT_BACKUP_MISSING: Explanation = Explanation {
    what: "The primary GPT is valid, but there is no backup GPT header at the last LBA: the image was truncated or grown, or the backup was erased.",
    attack: "Little by itself: there is no second copy to fall back on, so damage to the primary loses the partitions. A disk that was grown leaves space past the old end that no table describes.",
    fsck: "sgdisk -v: \"Caution: invalid backup GPT header, but valid main header; regenerating backup header from main header.\" and otherwise \"No problems found.\"; fdisk -l: \"The backup GPT table is corrupt, but the primary appears OK, so that will be used.\"",
    immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
};

pub const GPT_NO_PROTECTIVE_MBR: Explanation = Explanation {
    what: "The disk has a GPT but sector 0 holds no protective MBR entry (type 0xEE).",
    attack: "Readers disagree on whether the disk is partitioned: Linux ignores such a GPT unless booted with `gpt`, fdisk shows no partition table at all, while sgdisk reads the GPT. An MBR-only tool sees an empty disk that it may partition over.",
    fsck: "sgdisk -v: \"Found valid GPT with corrupt MBR; using GPT and will write new protective MBR on save.\" and \"No problems found.\"; fdisk -l lists the disk without any partition.",
    immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
};

pub const HYBRID_MBR: Explanation = Explanation {
    what: "The protective MBR lists other partitions besides its 0xEE entry: a hybrid MBR, as `sgdisk -h` writes for systems that boot from MBR.",
    attack: "MBR-only systems see the MBR entries, GPT-aware ones the GPT; when the two disagree, each writes to what it takes for its own partition, corrupting the other's view. The hybrid can also show an MBR reader a partition the GPT does not have.",
    fsck: "sgdisk -v passes a hybrid MBR (\"No problems found.\"); fdisk -l lists the GPT partitions and says nothing of the MBR ones.",
    immutable: "The table lies outside every filesystem: an immutable filesystem inside changes nothing about it.",
};

pub const PARTITION_OUT_OF_RANGE: Explanation = Explanation {
    what: "A partition runs past the end of the image: its last sectors are not there.",
    attack: "The filesystem in it is cut (reads past the end fail), or, once the image is written to a larger disk, the partition takes in whatever follows it there (another partition, the backup GPT), and writes to its filesystem overwrite that.",
    fsck: "sfdisk --verify says \"No errors detected.\" and then \"Total allocated sectors N greater than the maximum M.\" (exit 0); fdisk -l lists the partition at its full size. For a GPT, sgdisk -v: \"Problem: partition N is too big for the disk.\" A checker run on the partition sees a truncated filesystem (truncated_image).",
    immutable: "A read-only mount writes nothing past the end, but reads there fail or reach other data.",
};

pub const PARTITION_OUTSIDE_USABLE: Explanation = Explanation {
    what: "A GPT partition lies outside the usable range (FirstUsableLBA–LastUsableLBA) its header declares: over the partition entry arrays or the headers.",
    attack: "Writing the partition's filesystem rewrites the GPT, primary or backup: a filesystem user can change the disk's layout. Readers that clamp partitions to the usable range and those that do not see different partitions.",
    fsck: "sgdisk -v: \"Warning! Main partition table overlaps the first partition by N blocks!\" (\"Identified 1 problems!\").",
    immutable: "A read-only filesystem in the partition writes nothing over the table, but the disk was not laid out by a partitioning tool.",
};

pub const PARTITION_OVERLAP: Explanation = Explanation {
    what: "Two partitions share sectors, or a partition covers the partition table itself.",
    attack: "Writing one filesystem corrupts the other; a filesystem over the table can rewrite the partition layout. Tools disagree on what the disk holds (`mmls` lists both without a word; `sfdisk --verify` complains but exits 0).",
    fsck: "fsck only sees one filesystem at a time and cannot notice; sfdisk --verify and sgdisk -v report the overlap.",
    immutable: "Read-only use of one partition is safe, but the disk was not laid out by a partitioning tool: reject it.",
};
