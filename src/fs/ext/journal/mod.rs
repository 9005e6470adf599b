//! The ext3/ext4 journal (JBD2), walked as the kernel's recovery walks it,
//! and replayed into an in-memory [`Overlay`]: what the filesystem will look
//! like once mounted, without writing a byte.
//!
//! Sources: Documentation/filesystems/ext4/journal.rst; include/linux/jbd2.h
//! (journal_superblock_t, journal_header_t, journal_block_tag_t/tag3_t,
//! jbd2_journal_revoke_header_t, commit_header, jbd2_journal_block_tail);
//! fs/jbd2/recovery.c (`do_one_pass`: PASS_SCAN, PASS_REVOKE, PASS_REPLAY).
//! Every journal field is big-endian.
//!
//! Recovery starts at `s_start` with sequence `s_sequence` and reads
//! transactions — descriptor blocks (tags naming the filesystem block each
//! following journal block replaces), revoke blocks, a commit block — until a
//! block without the magic or with the wrong sequence: the end of the log. A
//! transaction without its commit block is not replayed. A revoke record in
//! transaction T cancels the block in every transaction up to T. Checksums
//! (v2/v3: crc32c seeded with the journal UUID) end the log where a
//! descriptor, revoke or commit block fails, and a data block whose tag
//! checksum fails is skipped, as recovery.c does.

mod log;
mod replay;
mod scan;

use crate::bytes::be32;
use crate::fs::ext::csum::raw_crc32c;
use crate::fs::ext::groups::{self, GroupDesc};
use crate::fs::ext::inode_model::read_raw_inode;
use crate::fs::ext::superblock::{self, Superblock, compat, incompat};
use crate::image::{Overlay, View};
use crate::model::Code;
use crate::model::{Finding, Replay, Severity};

use log::{
    COMPAT_CHECKSUM, INCOMPAT_FAST_COMMIT, JBD2_MAGIC, JournalMap, JournalSb, KNOWN_INCOMPAT, Log,
    SUPERBLOCK_V1, SUPERBLOCK_V2,
};

/// The journal of the ext filesystem on `view`, walked and replayed, when
/// the superblock says it needs recovery (`needs_recovery`); None otherwise,
/// at the cost of reading the superblock.
pub fn read(view: &View<'_>) -> Option<Replay> {
    let raw_sb = view
        .read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE)
        .ok()?;
    let sb = Superblock::parse(raw_sb).ok()?;
    let needs_recovery = sb.has_incompat(incompat::RECOVER);
    if !needs_recovery {
        return None;
    }
    let mut journal = Replay {
        needs_recovery,
        first_sequence: 0,
        transactions: Vec::new(),
        revoked_blocks: 0,
        end: String::new(),
        replayed: Vec::new(),
        overlay: Overlay::new(u64::from(sb.block_size)),
        findings: Vec::new(),
    };
    if !journal_inode_expected(&sb, &mut journal) {
        return Some(journal);
    }
    let descs = groups::read_descriptors(view, &sb, &mut Vec::new());
    let Some((log, jsb)) = load(view, &sb, &descs, &mut journal) else {
        return Some(journal);
    };
    if jsb.start == 0 {
        journal.end = "the journal is empty (s_start 0): nothing to replay".into();
        problem(
            &mut journal,
            Severity::Low,
            Code::JournalInconsistent,
            "the superblock says the journal needs recovery, but the journal is empty (s_start 0)"
                .into(),
        );
        return Some(journal);
    }
    let scanned = scan::pass_scan(&log, &jsb, &mut journal);
    replay::pass_replay(&log, &jsb, &sb, &descs, &scanned, &mut journal);
    if jsb.compat & COMPAT_CHECKSUM != 0 || jsb.incompat & INCOMPAT_FAST_COMMIT != 0 {
        problem(
            &mut journal,
            Severity::Info,
            Code::JournalFeatures,
            "the journal uses v1 commit checksums or fast commits, which this tool does not verify or replay".into(),
        );
    }
    Some(journal)
}

/// A finding about the journal, at its own severity.
fn problem(journal: &mut Replay, severity: Severity, code: Code, what: String) {
    journal
        .findings
        .push(Finding::new(code, what).with_severity(severity));
}

/// Whether the filesystem superblock points at a journal inode in this image
/// (COMPAT_HAS_JOURNAL and `s_journal_inum`); when it does not, the finding
/// that says why recovery cannot be seen.
fn journal_inode_expected(sb: &Superblock, journal: &mut Replay) -> bool {
    if !sb.has_compat(compat::HAS_JOURNAL) {
        problem(
            journal,
            Severity::High,
            Code::JournalInconsistent,
            "the superblock says the journal needs recovery, but the filesystem has no journal (has_journal is not set)".into(),
        );
        return false;
    }
    if sb.journal_inum == 0 {
        problem(
            journal,
            Severity::High,
            Code::JournalExternal,
            "the filesystem needs recovery from an external journal device, which is not in this image: what the kernel will replay cannot be seen".into(),
        );
        return false;
    }
    true
}

/// The journal inode's log and the journal superblock (journal block 0),
/// checked as jbd2 `journal_load` / `journal_get_superblock` check them: the
/// magic and a v1/v2 block type, a geometry the mapped log can hold, the
/// superblock checksum (s_checksum, v2/v3) and the incompatible features.
/// None, with the finding, when recovery could not start.
fn load<'t, 'v>(
    view: &'t View<'v>,
    sb: &Superblock,
    descs: &[GroupDesc],
    journal: &mut Replay,
) -> Option<(Log<'t, 'v>, JournalSb)> {
    let Some(ri) = read_raw_inode(view, sb, descs, u64::from(sb.journal_inum)) else {
        problem(
            journal,
            Severity::High,
            Code::BadJournal,
            format!("the journal inode {} cannot be read", sb.journal_inum),
        );
        return None;
    };
    let log = Log {
        view,
        map: JournalMap::of_inode(view, sb, &ri),
        block_size: u64::from(sb.block_size),
    };
    let Some(header) = log.read_block(0) else {
        problem(
            journal,
            Severity::High,
            Code::BadJournal,
            "the journal superblock (journal block 0) cannot be read".into(),
        );
        return None;
    };
    let blocktype = be32(&header, 4);
    if be32(&header, 0) != JBD2_MAGIC || !matches!(blocktype, SUPERBLOCK_V1 | SUPERBLOCK_V2) {
        problem(
            journal,
            Severity::High,
            Code::BadJournal,
            "the journal superblock has no JBD2 magic: the kernel refuses to mount a filesystem whose journal it cannot load".into(),
        );
        return None;
    }
    // journal_superblock_t: s_feature_compat and s_feature_incompat exist
    // only in a v2 superblock.
    let v2 = blocktype == SUPERBLOCK_V2;
    let jsb = JournalSb {
        block_size: be32(&header, 0x0C),
        maxlen: u64::from(be32(&header, 0x10)),
        first: u64::from(be32(&header, 0x14)),
        sequence: be32(&header, 0x18),
        start: u64::from(be32(&header, 0x1C)),
        compat: if v2 { be32(&header, 0x24) } else { 0 },
        incompat: if v2 { be32(&header, 0x28) } else { 0 },
        seed: raw_crc32c(!0, header.get(0x30..0x40).unwrap_or(&[])),
    };
    journal.first_sequence = jsb.sequence;
    let mapped_blocks = log.map.mapped_blocks();
    if jsb.block_size != sb.block_size
        || jsb.first == 0
        || jsb.first >= jsb.maxlen
        || jsb.maxlen > mapped_blocks
    {
        problem(
            journal,
            Severity::High,
            Code::BadJournal,
            format!(
                "the journal superblock is inconsistent (block size {}, s_first {}, s_maxlen {}, {} blocks mapped): recovery would fail",
                jsb.block_size, jsb.first, jsb.maxlen, mapped_blocks
            ),
        );
        return None;
    }
    if jsb.csum() {
        // s_checksum (offset 0xFC): crc32c over the 1024-byte superblock
        // with the field itself zeroed.
        let mut copy = header.clone();
        if let Some(f) = copy.get_mut(0xFC..0x100) {
            f.fill(0);
        }
        let stored = be32(&header, 0xFC);
        let computed = raw_crc32c(!0, copy.get(..1024).unwrap_or(&copy));
        if stored != computed {
            problem(
                journal,
                Severity::High,
                Code::ChecksumMismatch,
                format!(
                    "the journal superblock checksum is {stored:#010x}, computed {computed:#010x}: the kernel refuses to load this journal"
                ),
            );
        }
    }
    let unknown = jsb.incompat & !KNOWN_INCOMPAT;
    if unknown != 0 {
        problem(
            journal,
            Severity::Medium,
            Code::UnknownFeature,
            format!(
                "the journal sets incompatible feature bits this tool does not know: {unknown:#x}"
            ),
        );
    }
    Some((log, jsb))
}
