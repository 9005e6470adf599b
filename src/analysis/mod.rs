//! Analysis: from a parsed [`Filesystem`] to cross-links and findings.
//!
//! Every inode run and metadata region becomes a claim; the [`sweep`] finds the
//! runs of blocks with two or more claimers; each is classified (cross-link,
//! metadata overlap, declared sharing) and explained. The allocation bitmap is
//! compared with the claims both ways. The result is one immutable [`ScanResult`].

mod allocation;
mod claims;
mod clusters;
mod crosslinks;
mod deleted;
mod lookup;
mod release;
mod replay;
mod scan;
pub mod sweep;
mod wording;

pub use claims::analyse;
pub use lookup::{BlockIndex, allocated, claimers_of};
pub use scan::{scan, scan_view, sha256};
pub use wording::{describe, runs_text};

use allocation::bitmap_findings;
use claims::{Claim, ClaimTable, Owner, merge, split_at_runs};
use crosslinks::{claimer, classify};
use deleted::reused_blocks;
use replay::with_replay;
use wording::{consequence, join_and, name_of, plural};

use crate::fs::{self};
use crate::image::Overlay;
use crate::model::{
    BlockNo, Filesystem, Finding, InodeNo, MetaRole, Release, Replay, Role, Severity,
};
use crate::volume::{Partition, PartitionTable};

/// Who claims a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimer {
    Inode {
        inode: InodeNo,
        paths: Vec<String>,
        role: Role,
        /// File block at the start of the shared run (absent for tree and xattr blocks).
        logical_block: Option<u64>,
        mode: String,
        uid: u32,
        gid: u32,
        /// What mount does to the inode first (on the orphan list).
        released_at_mount: Option<Release>,
        /// The blocks it maps in the run, when it does not map all of it
        /// (a bigalloc cluster shared whole: each owner maps some blocks).
        blocks: Vec<[u64; 2]>,
    },
    Metadata {
        role: MetaRole,
        group: Option<u32>,
    },
}

/// A run of blocks with two or more claimers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crosslink {
    pub start_block: BlockNo,
    pub block_count: u64,
    /// The claimers (at most `sweep::MAX_LISTED` of them).
    pub claimers: Vec<Claimer>,
    /// How many claims the run has in all (more than `claimers` when capped).
    pub claimer_count: usize,
    pub legitimate: bool,
    pub reason: String,
}

/// The analysis of one volume.
#[derive(Debug, Clone)]
pub struct VolumeResult {
    pub index: usize,
    pub offset_bytes: u64,
    pub length_bytes: u64,
    /// The partition this volume is, on a partitioned disk.
    pub partition: Option<Partition>,
    pub filesystem: Option<Filesystem>,
    /// Why no filesystem could be parsed.
    pub error: Option<String>,
    /// The format the volume holds when this tool recognises it but does
    /// not parse it yet, with its version ("squashfs 4.0").
    pub unsupported: Option<String>,
    pub crosslinks: Vec<Crosslink>,
    /// Parser and analysis findings, most severe first.
    pub findings: Vec<Finding>,
    /// What mount replays first (a journal or log), when it was read
    /// (recovery pending, or asked for).
    pub replay: Option<Box<Replay>>,
    /// The model and findings are of the filesystem with the journal
    /// replayed (what the kernel will mount), not of the bytes on disk.
    pub replayed: bool,
}

impl VolumeResult {
    /// The journal replay the model was made through, if it was: read the
    /// volume with it to see the bytes the model describes.
    pub fn replay_overlay(&self) -> Option<&Overlay> {
        self.replay
            .as_deref()
            .filter(|_| self.replayed)
            .map(|j| &j.overlay)
    }
}

#[derive(Debug, Clone)]
pub struct ImageInfo {
    pub path: String,
    pub size_bytes: u64,
    pub sha256: Option<String>,
}

/// Everything one scan found.
#[derive(Debug, Clone)]
pub struct ScanResult {
    pub image: ImageInfo,
    /// The partition table, on a partitioned disk.
    pub partition_table: Option<PartitionTable>,
    pub volumes: Vec<VolumeResult>,
}

impl ScanResult {
    /// All findings: the partition table's, then every volume's.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.partition_table
            .iter()
            .flat_map(|t| t.findings.iter())
            .chain(self.volumes.iter().flat_map(|v| v.findings.iter()))
    }

    /// True if no volume holds a recognised filesystem.
    pub fn nothing_recognised(&self) -> bool {
        self.volumes.iter().all(|v| v.filesystem.is_none())
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings().filter(|f| f.severity == severity).count()
    }

    /// Blocks in non-legitimate cross-links, over all volumes.
    pub fn crosslinked_blocks(&self) -> u64 {
        self.volumes
            .iter()
            .flat_map(|v| &v.crosslinks)
            .filter(|c| !c.legitimate)
            .map(|c| c.block_count)
            .sum()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Hash the whole image (costs a full read).
    pub hash: bool,
    /// Parse only: no ownership sweep, no cross-links, no bitmap comparison
    /// (for lookups such as `imginspect block`, which need the model alone).
    pub parse_only: bool,
    /// How much of the filesystem goes into the model (the findings are the
    /// same either way).
    pub detail: fs::Detail,
    /// Which view of an ext filesystem whose journal needs recovery.
    pub journal: JournalMode,
}

/// Which filesystem a scan shows when an ext journal needs recovery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JournalMode {
    /// The filesystem as the kernel will mount it: the journal replayed in
    /// memory; findings that exist only then are marked `after_replay`.
    #[default]
    Replay,
    /// The bytes as they lie on disk.
    Ignore,
    /// The replayed view, plus the on-disk findings that replay removes
    /// (marked `before_replay`).
    Both,
}
