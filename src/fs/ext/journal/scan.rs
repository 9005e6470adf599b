//! PASS_SCAN (fs/jbd2/recovery.c `do_one_pass`): the transactions from
//! `s_start` up to the end of the log, with the blocks each logs and the
//! blocks each revokes. Each journal block is visited at most once.

use std::collections::BTreeMap;
use std::fmt;

use crate::bytes::be32;
use crate::model::Code;
use crate::model::{BlockNo, Finding, Replay, Transaction};

use super::log::{
    COMMIT_BLOCK, DESCRIPTOR_BLOCK, JBD2_MAGIC, JournalSb, Log, REVOKE_BLOCK, parse_revokes,
    parse_tags,
};

/// A block the log holds: journal block `journal_block` of transaction
/// `sequence` replaces filesystem block `target` (its descriptor tag's
/// t_flags and t_checksum with it).
pub(super) struct Logged {
    pub(super) sequence: u32,
    pub(super) target: BlockNo,
    pub(super) journal_block: u64,
    pub(super) flags: u32,
    pub(super) checksum: u32,
}

/// What the scan found in the committed transactions.
#[derive(Default)]
pub(super) struct Scanned {
    pub(super) logged: Vec<Logged>,
    /// Revoked block → the latest transaction that revokes it.
    pub(super) revoked: BTreeMap<BlockNo, u32>,
}

/// Where and why the scan stopped: the end of the log, as `Replay::end` says it.
enum LogEnd {
    /// More blocks walked than the log holds.
    Wrapped,
    Unreadable {
        at: u64,
    },
    NoMagic {
        at: u64,
    },
    WrongSequence {
        at: u64,
        found: u32,
        expected: u32,
    },
    DescriptorChecksum {
        at: u64,
        sequence: u32,
    },
    RevokeChecksum {
        at: u64,
        sequence: u32,
    },
    CommitChecksum {
        at: u64,
        sequence: u32,
    },
    UnknownBlockType {
        at: u64,
        blocktype: u32,
    },
}

impl fmt::Display for LogEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LogEnd::Wrapped => {
                f.write_str("the log wraps onto itself without an end: stopped after one turn")
            }
            LogEnd::Unreadable { at } => write!(f, "journal block {at} cannot be read"),
            LogEnd::NoMagic { at } => {
                write!(
                    f,
                    "journal block {at} has no JBD2 magic: the end of the log"
                )
            }
            LogEnd::WrongSequence {
                at,
                found,
                expected,
            } => write!(
                f,
                "journal block {at} belongs to sequence {found}, not {expected}: the end of the log"
            ),
            LogEnd::DescriptorChecksum { at, sequence } => write!(
                f,
                "the descriptor block at journal block {at} (sequence {sequence}) fails its checksum: recovery stops there"
            ),
            LogEnd::RevokeChecksum { at, sequence } => write!(
                f,
                "the revoke block at journal block {at} (sequence {sequence}) fails its checksum: recovery stops there"
            ),
            LogEnd::CommitChecksum { at, sequence } => write!(
                f,
                "the commit block of sequence {sequence} (journal block {at}) fails its checksum: that transaction and everything after it is not replayed"
            ),
            LogEnd::UnknownBlockType { at, blocktype } => write!(
                f,
                "journal block {at} has block type {blocktype}, which recovery does not know: the end of the log"
            ),
        }
    }
}

/// The walk through the log: the next journal block and the sequence it must
/// carry, and the transaction being read until its commit block.
struct Walk<'j> {
    jsb: &'j JournalSb,
    tag_bytes: usize,
    at: u64,
    sequence: u32,
    walked: u64,
    open: Option<Transaction>,
    open_logged: Vec<Logged>,
    open_revoked: Vec<BlockNo>,
    bad_commit: Option<u32>,
    scanned: Scanned,
}

/// Walks the log from `s_start`, recording the transactions in `journal`
/// and where the log ends in `journal.end`.
pub(super) fn pass_scan(log: &Log<'_, '_>, jsb: &JournalSb, journal: &mut Replay) -> Scanned {
    let mut walk = Walk {
        jsb,
        tag_bytes: jsb.tag_bytes(),
        at: jsb.start,
        sequence: jsb.sequence,
        walked: 0,
        open: None,
        open_logged: Vec::new(),
        open_revoked: Vec::new(),
        bad_commit: None,
        scanned: Scanned::default(),
    };
    let end = loop {
        if let Err(end) = walk.step(log, journal) {
            break end;
        }
    };
    journal.end = end.to_string();
    walk.finish(journal);
    walk.scanned
}

impl Walk<'_> {
    /// Reads one block of the log: a descriptor (with the data blocks its
    /// tags name), a revoke block or a commit block (journal_header_t
    /// h_magic, h_blocktype, h_sequence).
    fn step(&mut self, log: &Log<'_, '_>, journal: &mut Replay) -> Result<(), LogEnd> {
        let log_len = self.jsb.maxlen.saturating_sub(self.jsb.first);
        if self.walked > log_len {
            return Err(LogEnd::Wrapped);
        }
        let at = self.at;
        let Some(block) = log.read_block(at) else {
            return Err(LogEnd::Unreadable { at });
        };
        self.walked += 1;
        if be32(&block, 0) != JBD2_MAGIC {
            return Err(LogEnd::NoMagic { at });
        }
        if be32(&block, 8) != self.sequence {
            return Err(LogEnd::WrongSequence {
                at,
                found: be32(&block, 8),
                expected: self.sequence,
            });
        }
        self.open.get_or_insert(Transaction {
            sequence: self.sequence,
            journal_block: at,
            tags: 0,
            revokes: 0,
            committed: false,
        });
        match be32(&block, 4) {
            DESCRIPTOR_BLOCK => self.descriptor(&block),
            REVOKE_BLOCK => self.revoke(&block),
            COMMIT_BLOCK => self.commit(&block, journal),
            blocktype => Err(LogEnd::UnknownBlockType { at, blocktype }),
        }
    }

    /// A descriptor block: each tag names the filesystem block that the
    /// journal block after the previous one replaces.
    fn descriptor(&mut self, block: &[u8]) -> Result<(), LogEnd> {
        let (at, sequence) = (self.at, self.sequence);
        if !self.jsb.tail_ok(block) {
            return Err(LogEnd::DescriptorChecksum { at, sequence });
        }
        let tags = parse_tags(block, self.jsb, self.tag_bytes);
        let mut data_at = at;
        for tag in &tags {
            data_at = self.jsb.next(data_at);
            self.walked += 1;
            self.open_logged.push(Logged {
                sequence,
                target: tag.block,
                journal_block: data_at,
                flags: tag.flags,
                checksum: tag.checksum,
            });
        }
        if let Some(transaction) = self.open.as_mut() {
            transaction.tags += tags.len();
        }
        self.at = self.jsb.next(data_at);
        Ok(())
    }

    /// A revoke block: its records count once the transaction commits.
    fn revoke(&mut self, block: &[u8]) -> Result<(), LogEnd> {
        let (at, sequence) = (self.at, self.sequence);
        if !self.jsb.tail_ok(block) {
            return Err(LogEnd::RevokeChecksum { at, sequence });
        }
        let records = parse_revokes(block, self.jsb);
        if let Some(transaction) = self.open.as_mut() {
            transaction.revokes += records.len();
        }
        self.open_revoked.extend(records);
        self.at = self.jsb.next(at);
        Ok(())
    }

    /// A commit block: the open transaction is complete, its logged blocks
    /// are replayed and its revoke records apply.
    fn commit(&mut self, block: &[u8], journal: &mut Replay) -> Result<(), LogEnd> {
        let (at, sequence) = (self.at, self.sequence);
        if !self.jsb.commit_ok(block) {
            self.bad_commit = Some(sequence);
            return Err(LogEnd::CommitChecksum { at, sequence });
        }
        if let Some(mut done) = self.open.take() {
            done.committed = true;
            journal.transactions.push(done);
        }
        self.scanned.logged.append(&mut self.open_logged);
        self.record_revokes();
        self.sequence = sequence.wrapping_add(1);
        self.at = self.jsb.next(at);
        Ok(())
    }

    /// What PASS_REVOKE builds (recovery.c `scan_revoke_records`): each
    /// revoked block with the latest transaction that revokes it. A revoke
    /// record in transaction T cancels the block in every transaction up to T.
    fn record_revokes(&mut self) {
        let sequence = self.sequence;
        for block in self.open_revoked.drain(..) {
            let entry = self.scanned.revoked.entry(block).or_insert(sequence);
            *entry = (*entry).max(sequence);
        }
    }

    /// The findings on how the log ended: a commit block that fails its
    /// checksum, or a last transaction without one.
    fn finish(&mut self, journal: &mut Replay) {
        if let Some(sequence) = self.bad_commit {
            journal.findings.push(Finding::new(Code::ChecksumMismatch,
                format!(
                    "the commit block of journal transaction {sequence} fails its checksum: recovery ends the log there, so transaction {sequence} and any after it are not replayed"
                ),
            ));
            if let Some(open) = self.open.take() {
                journal.transactions.push(open);
            }
        }
        if let Some(uncommitted) = self.open.take() {
            journal.findings.push(Finding::new(Code::JournalUncommitted,
                format!(
                    "transaction {} ({} blocks logged from journal block {}) has no commit block: it is not replayed, as the kernel would not",
                    uncommitted.sequence, uncommitted.tags, uncommitted.journal_block
                ),
            ));
            journal.transactions.push(uncommitted);
        }
    }
}
