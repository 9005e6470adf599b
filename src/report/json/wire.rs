//! The wire types of the JSON documents: every object `imginspect` writes as
//! JSON, with its fields in the order they are written. None of them is a
//! model or analysis type — `report::json` converts into them — so that a
//! change inside the library cannot change the contract by accident.
//! docs/json.md documents every field of every type here, under a heading
//! named after the type; a test holds the two together.

use serde::Serialize;

/// Which version of the contract a document follows. Raised when a field
/// changes meaning or goes away; adding a field does not raise it.
pub const SCHEMA_VERSION: u32 = 1;

/// `scan --format json`: the whole report.
#[derive(Serialize)]
pub struct Report<'a> {
    /// The version of the contract this document follows ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The program that wrote the document.
    pub tool: Tool,
    /// The image scanned.
    pub image: Image<'a>,
    /// The partition table, null for a bare filesystem.
    pub partition_table: Option<PartitionTable<'a>>,
    /// The volumes: the bare filesystem, or one per partition.
    pub volumes: Vec<Volume<'a>>,
    /// Totals over every volume and the partition table.
    pub summary: Summary,
    /// Why the image could not be scanned at all; absent when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

/// The program that wrote the document.
#[derive(Serialize)]
pub struct Tool {
    /// Always "imginspect".
    pub name: &'static str,
    /// The program's version.
    pub version: &'static str,
}

/// The image file.
#[derive(Serialize)]
pub struct Image<'a> {
    /// The path as given on the command line.
    pub path: &'a str,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Its SHA-256 in hex with `--hash`; null otherwise.
    pub sha256: Option<&'a str>,
}

/// An MBR or GPT partition table.
#[derive(Serialize)]
pub struct PartitionTable<'a> {
    /// "mbr" or "gpt".
    pub scheme: &'static str,
    /// The logical sector size the table was found with (512 or 4096).
    pub sector_size: u32,
    /// The GPT disk GUID; absent for MBR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_guid: Option<&'a str>,
    /// The data partitions (not MBR extended containers), by number.
    pub partitions: Vec<Partition<'a>>,
    /// The sectors the table's own structures occupy.
    pub regions: Vec<TableRegion>,
    /// Findings about the table itself (overlaps, bad CRCs, a backup that differs).
    pub findings: Vec<Finding<'a>>,
}

/// One partition, numbered as Linux numbers it.
#[derive(Serialize)]
pub struct Partition<'a> {
    /// "mbr" or "gpt".
    pub scheme: &'static str,
    /// MBR: 1–4 primary, 5 and up logical in chain order; GPT: entry index + 1.
    pub number: u32,
    /// What the type says, in words ("Linux filesystem").
    #[serde(rename = "type")]
    pub type_name: &'a str,
    /// The type as stored: "0x83", or the type GUID.
    pub type_id: &'a str,
    /// The GPT partition name; empty for MBR.
    pub name: &'a str,
    /// First sector.
    pub start_lba: u64,
    /// Length in sectors.
    pub sectors: u64,
}

/// Sectors that a partition table's own structures occupy.
#[derive(Serialize)]
pub struct TableRegion {
    /// First sector.
    pub start_lba: u64,
    /// Length in sectors.
    pub sectors: u64,
    /// Which structure ("MBR", "protective MBR", "extended boot record",
    /// "primary GPT header", "backup GPT entry array" …).
    pub what: &'static str,
}

/// A byte range of the image probed for a filesystem.
#[derive(Serialize)]
pub struct Volume<'a> {
    /// Position in `volumes`, from 0.
    pub index: usize,
    /// Where the volume starts in the image.
    pub offset_bytes: u64,
    /// Its length in bytes.
    pub length_bytes: u64,
    /// The partition this volume is; null for a bare filesystem.
    pub partition: Option<Partition<'a>>,
    /// The filesystem found; null when none was recognised.
    pub filesystem: Option<Filesystem<'a>>,
    /// Why no filesystem could be read; absent when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// The format the volume holds when this tool recognises it but does not
    /// parse it yet, with the version its header gives ("squashfs 4.0");
    /// absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported_format: Option<&'a str>,
    /// Every maximal run of blocks with the same two or more claimers.
    pub crosslinks: Vec<Crosslink<'a>>,
    /// Parser and analysis findings, most severe first.
    pub findings: Vec<Finding<'a>>,
    /// The journal mount replays first, when it needs recovery; absent
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<Journal<'a>>,
}

/// What the filesystem is.
#[derive(Serialize)]
pub struct Filesystem<'a> {
    /// "ext2", "ext3", "ext4", "fat12", "fat16", "fat32", "erofs", "xfs"
    /// or "xfs (v4)".
    #[serde(rename = "type")]
    pub fs_type: &'a str,
    /// Bytes per block (on FAT: per sector).
    pub block_size: u32,
    /// Blocks in the filesystem.
    pub block_count: u64,
    /// Inodes the filesystem has room for.
    pub inode_count: u64,
    /// The volume label.
    pub label: &'a str,
    /// The filesystem UUID (or volume serial number).
    pub uuid: &'a str,
    /// Feature names as the format's tools print them; unknown bits as hex.
    pub features: &'a [String],
    /// Block groups (ext), allocation groups (XFS), or 0.
    pub groups: u64,
    /// Inodes in use.
    pub inodes_in_use: u64,
}

/// A run of blocks with two or more claimers.
#[derive(Serialize)]
pub struct Crosslink<'a> {
    /// First block of the run.
    pub start_block: u64,
    /// Blocks in the run.
    pub block_count: u64,
    /// Who claims the run (at most 64 of them).
    pub claimers: Vec<Claimer<'a>>,
    /// How many claims the run has in all (more than `claimers` when capped).
    pub claimer_count: usize,
    /// Sharing the format allows (then `reason` says why).
    pub legitimate: bool,
    /// Why the run is or is not legitimate, in words.
    pub reason: &'a str,
    /// XFS: where the run lies in `xfs_db`'s terms; absent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub xfs: Vec<GroupedPlace>,
}

/// Who claims a block: an inode or the filesystem's own metadata.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Claimer<'a> {
    Inode {
        /// The inode number.
        inode: u64,
        /// Every path of the inode.
        paths: &'a [String],
        /// What the blocks are to the inode ("data", "extent_tree" …).
        role: &'static str,
        /// File block at the start of the shared run; absent for tree and xattr blocks.
        #[serde(skip_serializing_if = "Option::is_none")]
        logical_block: Option<u64>,
        /// The mode as `ls -l` shows it.
        mode: &'a str,
        /// Owner.
        uid: u32,
        /// Group.
        gid: u32,
        /// What mount does to the inode first (on the orphan list): "delete" or "truncate".
        #[serde(skip_serializing_if = "Option::is_none")]
        released_at_mount: Option<&'static str>,
        /// The blocks it maps in the run, when it does not map all of it.
        #[serde(skip_serializing_if = "is_empty")]
        blocks: &'a [[u64; 2]],
    },
    Metadata {
        /// Which metadata ("superblock", "inode_table" …).
        role: &'static str,
        /// The block group (or FAT copy, or XFS AG) it belongs to; null where none.
        group: Option<u32>,
    },
}

/// A problem or notable fact.
#[derive(Serialize)]
pub struct Finding<'a> {
    /// "critical", "high", "medium", "low" or "info".
    pub severity: &'static str,
    /// The stable identifier of the kind of finding (docs/findings.md).
    pub code: &'static str,
    /// What was found, in words.
    pub message: &'a str,
    /// The inodes involved; absent when none.
    #[serde(skip_serializing_if = "is_empty")]
    pub inodes: &'a [u64],
    /// The blocks involved as `[start, count]` pairs; absent when none.
    #[serde(skip_serializing_if = "is_empty")]
    pub blocks: &'a [[u64; 2]],
    /// Only in the filesystem as the kernel will mount it, after journal replay.
    #[serde(skip_serializing_if = "is_false")]
    pub after_replay: bool,
    /// Only in the image as it lies on disk: journal replay removes it.
    #[serde(skip_serializing_if = "is_false")]
    pub before_replay: bool,
    /// XFS: where `blocks` lie in `xfs_db`'s terms; absent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub xfs: Vec<GroupedPlace>,
}

/// A piece of a run inside one XFS allocation group, as `xfs_db` names blocks.
#[derive(Serialize)]
pub struct GroupedPlace {
    /// The fsblock number: the AG shifted by `sb_agblklog`, or'ed with the AG block.
    pub fsblock: u64,
    /// The allocation group.
    pub ag: u64,
    /// The block inside the AG.
    pub ag_block: u64,
    /// Blocks of the run in this AG.
    pub count: u64,
}

/// What the ext journal holds and what its replay writes.
#[derive(Serialize)]
pub struct Journal<'a> {
    /// The superblock says the journal needs recovery.
    pub needs_recovery: bool,
    /// "replayed": the volume is described as the kernel will mount it;
    /// "on_disk": as the bytes lie (`--journal ignore`, or nothing to replay).
    pub view: &'static str,
    /// The sequence number the log starts at.
    pub first_sequence: u32,
    /// Every transaction found in the log.
    pub transactions: Vec<Transaction>,
    /// Blocks cancelled by revoke records (not replayed).
    pub revoked_blocks: usize,
    /// Why the walk of the log ended where it did.
    pub end: &'a str,
    /// Every filesystem block replay writes.
    pub replayed_blocks: Vec<ReplayedBlock<'a>>,
}

/// One transaction of the journal.
#[derive(Serialize)]
pub struct Transaction {
    /// Its sequence number.
    pub sequence: u32,
    /// Journal block of its first descriptor (or revoke) block.
    pub journal_block: u64,
    /// Filesystem blocks it logs.
    pub tags: usize,
    /// Revoke records it holds.
    pub revokes: usize,
    /// Whether its commit block was found (only committed transactions are replayed).
    pub committed: bool,
}

/// A filesystem block that journal replay writes.
#[derive(Serialize)]
pub struct ReplayedBlock<'a> {
    /// The filesystem block written.
    pub block: u64,
    /// The journal block whose bytes are written there.
    pub journal_block: u64,
    /// The transaction that logs it.
    pub sequence: u32,
    /// What the block is, in words.
    pub what: &'a str,
    /// Inodes whose inode-table slot replay changes; absent when none.
    #[serde(skip_serializing_if = "is_empty")]
    pub inodes_changed: &'a [u64],
}

/// Totals over the whole image.
#[derive(Serialize)]
pub struct Summary {
    /// How many volumes were scanned.
    pub volumes: usize,
    /// Blocks in cross-links that are not legitimate, over all volumes.
    pub crosslinked_blocks: u64,
    /// Findings by severity.
    pub findings: Counts,
}

/// Findings by severity.
#[derive(Serialize)]
pub struct Counts {
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// Medium findings.
    pub medium: usize,
    /// Low findings.
    pub low: usize,
    /// Informational findings.
    pub info: usize,
}

/// `block --format json`: who claims one block.
#[derive(Serialize)]
pub struct BlockReport<'a> {
    /// The block asked about.
    pub block: u64,
    /// Whether it lies inside the filesystem.
    pub in_filesystem: bool,
    /// As the allocation map says; null when unknown.
    pub allocated: Option<bool>,
    /// Who claims it.
    pub claimers: Vec<Claimer<'a>>,
    /// XFS: where the block lies in `xfs_db`'s terms; absent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub xfs: Vec<GroupedPlace>,
}

/// `inode --format json`: an inode in use, as the model holds it.
#[derive(Serialize)]
pub struct InodeReport<'a> {
    /// The inode number.
    pub ino: u64,
    /// "regular", "directory", "symlink", "char_device", "block_device",
    /// "fifo", "socket" or "unknown".
    pub file_type: &'static str,
    /// The full POSIX mode, type bits included.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Link count.
    pub links: u32,
    /// Access time, seconds since the epoch.
    pub atime: i64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Inode change time, seconds since the epoch.
    pub ctime: i64,
    /// Creation time, where the format keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crtime: Option<i64>,
    /// Space the inode says it uses, in 512-byte sectors.
    pub sectors: u64,
    /// The format's inode flags, raw.
    pub flags: u32,
    /// Why an inode the format's bookkeeping calls unused was found live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<&'static str>,
    /// A deleted entry kept as evidence (FAT); absent otherwise.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// What mount does to the inode first: "delete" or "truncate".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_at_mount: Option<&'static str>,
    /// Every path of the inode.
    pub paths: Vec<String>,
    /// Its block map, in the order it maps the runs.
    pub runs: Vec<Run>,
    /// False for a deleted entry.
    pub in_use: bool,
    /// The cross-links it takes part in.
    pub crosslinks: Vec<Crosslink<'a>>,
}

/// A run of blocks an inode maps.
#[derive(Serialize)]
pub struct Run {
    /// File block the run starts at; absent for tree, indirect and xattr blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logical: Option<u64>,
    /// First block.
    pub start: u64,
    /// Blocks in the run.
    pub len: u64,
    /// What the blocks are to the inode.
    pub role: &'static str,
    /// An ext4 unwritten (preallocated) extent: allocated, reads as zeros.
    #[serde(skip_serializing_if = "is_false")]
    pub unwritten: bool,
    /// XFS: where the run lies in `xfs_db`'s terms; absent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub xfs: Vec<GroupedPlace>,
}

/// `inode --format json` for an inode that is not in use.
#[derive(Serialize)]
pub struct InodeNotInUse {
    /// Always false.
    pub in_use: bool,
    /// The inode number asked about.
    pub ino: u64,
}

fn is_empty<T>(items: &&[T]) -> bool {
    items.is_empty()
}

fn is_false(value: &bool) -> bool {
    !value
}
