//! What mount changes first: the transactions of a journal or log that the
//! kernel replays at mount, the blocks replay writes and the bytes it writes
//! there. Format-free: a format's `replay` fills it in.

use super::{BlockNo, Finding, InodeNo};
use crate::image::Overlay;

/// One transaction found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub sequence: u32,
    /// Journal block of its first descriptor (or revoke) block.
    pub journal_block: u64,
    /// Filesystem blocks it logs, in order.
    pub tags: usize,
    pub revokes: usize,
    pub committed: bool,
}

/// A filesystem block that replay writes, and where from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedBlock {
    pub block: BlockNo,
    /// Journal block (index in the journal) whose bytes replay writes there.
    pub journal_block: u64,
    pub sequence: u32,
    /// What the block is, as far as the ext metadata says (refined by the
    /// analysis with the replayed model's claimers).
    pub what: String,
    /// Inodes whose inode-table slot the replay changes.
    pub inodes_changed: Vec<InodeNo>,
}

/// What mount changes before anyone reads the filesystem: a journal or log
/// the kernel replays (ext's JBD2 journal today), walked and replayed in
/// memory by the format. Reports and the inspector read it without knowing
/// the format.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The filesystem says its journal needs recovery (ext: `needs_recovery`).
    pub needs_recovery: bool,
    pub first_sequence: u32,
    pub transactions: Vec<Transaction>,
    /// Blocks cancelled by revoke records (not replayed).
    pub revoked_blocks: usize,
    /// Why the scan ended where it did.
    pub end: String,
    /// The replayed blocks, by filesystem block.
    pub replayed: Vec<ReplayedBlock>,
    /// The replayed bytes, to read the volume through.
    pub overlay: Overlay,
    pub findings: Vec<Finding>,
}

impl Replay {
    /// Whether the kernel will run recovery at mount: the flag is set and
    /// the log holds a committed transaction (whose blocks may all be
    /// revoked: then recovery writes nothing but its own bookkeeping).
    pub fn pending(&self) -> bool {
        self.needs_recovery && self.transactions.iter().any(|t| t.committed)
    }
}
