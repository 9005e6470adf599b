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

use std::collections::BTreeMap;

use crate::bytes::{be16, be32};
use crate::fs::ext::blockmap;
use crate::fs::ext::csum::raw_crc32c;
use crate::fs::ext::groups::{self, GroupDesc};
use crate::fs::ext::inode::flags;
use crate::fs::ext::inode_model::{data_role, read_raw_inode};
use crate::fs::ext::roles;
use crate::fs::ext::superblock::{self, Superblock, compat, incompat};
use crate::image::{Overlay, View};
use crate::model::Code;
use crate::model::{BlockNo, BlockRun, Finding, Replay, ReplayedBlock, Severity, Transaction};

const JBD2_MAGIC: u32 = 0xC03B_3998;
const DESCRIPTOR_BLOCK: u32 = 1;
const COMMIT_BLOCK: u32 = 2;
const SUPERBLOCK_V1: u32 = 3;
const SUPERBLOCK_V2: u32 = 4;
const REVOKE_BLOCK: u32 = 5;

/// s_feature_compat / s_feature_incompat bits.
const COMPAT_CHECKSUM: u32 = 0x1;
const INCOMPAT_REVOKE: u32 = 0x1;
const INCOMPAT_64BIT: u32 = 0x2;
const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
const INCOMPAT_CSUM_V2: u32 = 0x8;
const INCOMPAT_CSUM_V3: u32 = 0x10;
const INCOMPAT_FAST_COMMIT: u32 = 0x20;
const KNOWN_INCOMPAT: u32 = INCOMPAT_REVOKE
    | INCOMPAT_64BIT
    | INCOMPAT_ASYNC_COMMIT
    | INCOMPAT_CSUM_V2
    | INCOMPAT_CSUM_V3
    | INCOMPAT_FAST_COMMIT;

/// Tag flags (journal_block_tag_t.t_flags).
const FLAG_ESCAPE: u32 = 0x1;
const FLAG_SAME_UUID: u32 = 0x2;
const FLAG_LAST_TAG: u32 = 0x8;

/// At most this many bytes of replayed blocks are held in memory; a journal
/// that would replay more is reported and not replayed.
const MAX_OVERLAY_BYTES: u64 = 512 << 20;

/// The journal's geometry and features (journal_superblock_t).
struct JournalSb {
    block_size: u32,
    maxlen: u64,
    first: u64,
    sequence: u32,
    start: u64,
    incompat: u32,
    compat: u32,
    /// crc32c(~0, s_uuid): the seed of every v2/v3 checksum.
    seed: u32,
}

impl JournalSb {
    fn csum(&self) -> bool {
        self.incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3) != 0
    }

    /// Bytes per tag (jbd2.h `journal_tag_bytes`).
    fn tag_bytes(&self) -> usize {
        if self.incompat & INCOMPAT_CSUM_V3 != 0 {
            return 16;
        }
        let mut size = 12;
        if self.incompat & INCOMPAT_CSUM_V2 != 0 {
            size += 2;
        }
        if self.incompat & INCOMPAT_64BIT == 0 {
            size -= 4;
        }
        size
    }

    /// The journal block after `block`, wrapping from the end to `s_first`.
    fn next(&self, block: u64) -> u64 {
        let next = block.saturating_add(1);
        if next >= self.maxlen {
            self.first
        } else {
            next
        }
    }

    /// jbd2 `jbd2_block_tag_csum_verify`: crc32c(seed, be32 sequence ‖ block).
    fn data_csum(&self, sequence: u32, data: &[u8]) -> u32 {
        raw_crc32c(raw_crc32c(self.seed, &sequence.to_be_bytes()), data)
    }

    /// Descriptor and revoke blocks end in a 4-byte checksum of the block
    /// with that field zeroed (jbd2_journal_block_tail).
    fn tail_ok(&self, block: &[u8]) -> bool {
        if !self.csum() {
            return true;
        }
        let n = block.len();
        let Some(tail_at) = n.checked_sub(4) else {
            return false;
        };
        let stored = be32(block, tail_at);
        let mut copy = block.to_vec();
        if let Some(t) = copy.get_mut(tail_at..) {
            t.fill(0);
        }
        raw_crc32c(self.seed, &copy) == stored
    }

    /// The commit block's checksum (commit_header.h_chksum[0]), computed with
    /// h_chksum_type, h_chksum_size and h_chksum[0] zeroed.
    fn commit_ok(&self, block: &[u8]) -> bool {
        if !self.csum() {
            return true;
        }
        let stored = be32(block, 16);
        let mut copy = block.to_vec();
        if let Some(f) = copy.get_mut(12..14) {
            f.fill(0);
        }
        if let Some(f) = copy.get_mut(16..20) {
            f.fill(0);
        }
        raw_crc32c(self.seed, &copy) == stored
    }
}

/// A tag read from a descriptor block.
struct Tag {
    block: BlockNo,
    flags: u32,
    checksum: u32,
}

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
    let problem = |journal: &mut Replay, severity: Severity, code: Code, what: String| {
        journal
            .findings
            .push(Finding::new(code, what).with_severity(severity));
    };
    if !sb.has_compat(compat::HAS_JOURNAL) {
        problem(
            &mut journal,
            Severity::High,
            Code::JournalInconsistent,
            "the superblock says the journal needs recovery, but the filesystem has no journal (has_journal is not set)".into(),
        );
        return Some(journal);
    }
    if sb.journal_inum == 0 {
        if needs_recovery {
            problem(
                &mut journal,
                Severity::High,
                Code::JournalExternal,
                "the filesystem needs recovery from an external journal device, which is not in this image: what the kernel will replay cannot be seen".into(),
            );
        }
        return Some(journal);
    }
    let descs = groups::read_descriptors(view, &sb, &mut Vec::new());
    let Some(ri) = read_raw_inode(view, &sb, &descs, u64::from(sb.journal_inum)) else {
        problem(
            &mut journal,
            Severity::High,
            Code::BadJournal,
            format!("the journal inode {} cannot be read", sb.journal_inum),
        );
        return Some(journal);
    };
    // The journal inode's own map: journal block → filesystem block.
    let mut runs: Vec<BlockRun> = Vec::new();
    {
        let mut mapping = blockmap::Mapping::new(&mut runs);
        if ri.has_flag(flags::EXTENTS) {
            blockmap::map_extents(view, &sb, &ri, data_role(&sb, &ri), &mut mapping);
        } else {
            blockmap::map_indirect(view, &sb, &ri, data_role(&sb, &ri), &mut mapping);
        }
    }
    let mut map: Vec<(u64, BlockNo, u64)> = runs
        .iter()
        .filter_map(|r| r.logical.map(|l| (l, r.start, r.len)))
        .collect();
    map.sort_unstable();
    let bs = u64::from(sb.block_size);
    let journal_block = |j: u64| -> Option<BlockNo> {
        let k = map.partition_point(|&(l, _, _)| l <= j);
        let &(l, p, n) = map.get(k.checked_sub(1)?)?;
        (j < l.saturating_add(n)).then(|| p.saturating_add(j - l))
    };
    let read_block = |j: u64| -> Option<Vec<u8>> {
        let fs_block = journal_block(j)?;
        let mut buf = vec![0u8; bs as usize];
        view.read_into(fs_block.checked_mul(bs)?, &mut buf).ok()?;
        Some(buf)
    };

    let Some(header) = read_block(0) else {
        problem(
            &mut journal,
            Severity::High,
            Code::BadJournal,
            "the journal superblock (journal block 0) cannot be read".into(),
        );
        return Some(journal);
    };
    let blocktype = be32(&header, 4);
    if be32(&header, 0) != JBD2_MAGIC || !matches!(blocktype, SUPERBLOCK_V1 | SUPERBLOCK_V2) {
        problem(
            &mut journal,
            Severity::High,
            Code::BadJournal,
            "the journal superblock has no JBD2 magic: the kernel refuses to mount a filesystem whose journal it cannot load".into(),
        );
        return Some(journal);
    }
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
    let mapped_blocks: u64 = map.iter().map(|&(_, _, n)| n).sum();
    if jsb.block_size != sb.block_size
        || jsb.first == 0
        || jsb.first >= jsb.maxlen
        || jsb.maxlen > mapped_blocks
    {
        problem(
            &mut journal,
            Severity::High,
            Code::BadJournal,
            format!(
                "the journal superblock is inconsistent (block size {}, s_first {}, s_maxlen {}, {} blocks mapped): recovery would fail",
                jsb.block_size, jsb.first, jsb.maxlen, mapped_blocks
            ),
        );
        return Some(journal);
    }
    if jsb.csum() {
        let mut copy = header.clone();
        if let Some(f) = copy.get_mut(0xFC..0x100) {
            f.fill(0);
        }
        let stored = be32(&header, 0xFC);
        let computed = raw_crc32c(!0, copy.get(..1024).unwrap_or(&copy));
        if stored != computed {
            problem(
                &mut journal,
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
            &mut journal,
            Severity::Medium,
            Code::UnknownFeature,
            format!(
                "the journal sets incompatible feature bits this tool does not know: {unknown:#x}"
            ),
        );
    }
    if jsb.start == 0 {
        journal.end = "the journal is empty (s_start 0): nothing to replay".into();
        if needs_recovery {
            problem(
                &mut journal,
                Severity::Low,
                Code::JournalInconsistent,
                "the superblock says the journal needs recovery, but the journal is empty (s_start 0)".into(),
            );
        }
        return Some(journal);
    }

    // PASS_SCAN: transactions up to the end of the log, with their tags and
    // revoke records. Each journal block is visited at most once.
    struct Logged {
        sequence: u32,
        target: BlockNo,
        journal_block: u64,
        flags: u32,
        checksum: u32,
    }
    let mut logged: Vec<Logged> = Vec::new();
    // Revoked block → the latest transaction that revokes it.
    let mut revoked: BTreeMap<BlockNo, u32> = BTreeMap::new();
    let tag_bytes = jsb.tag_bytes();
    let mut at = jsb.start;
    let mut sequence = jsb.sequence;
    let mut walked = 0u64;
    let log_len = jsb.maxlen.saturating_sub(jsb.first);
    let mut open: Option<Transaction> = None;
    let mut open_logged: Vec<Logged> = Vec::new();
    let mut open_revoked: Vec<BlockNo> = Vec::new();
    let mut bad_commit: Option<u32> = None;
    journal.end = loop {
        if walked > log_len {
            break "the log wraps onto itself without an end: stopped after one turn".into();
        }
        let Some(block) = read_block(at) else {
            break format!("journal block {at} cannot be read");
        };
        walked += 1;
        if be32(&block, 0) != JBD2_MAGIC {
            break format!("journal block {at} has no JBD2 magic: the end of the log");
        }
        if be32(&block, 8) != sequence {
            break format!(
                "journal block {at} belongs to sequence {}, not {sequence}: the end of the log",
                be32(&block, 8)
            );
        }
        let transaction = open.get_or_insert(Transaction {
            sequence,
            journal_block: at,
            tags: 0,
            revokes: 0,
            committed: false,
        });
        match be32(&block, 4) {
            DESCRIPTOR_BLOCK => {
                if !jsb.tail_ok(&block) {
                    break format!(
                        "the descriptor block at journal block {at} (sequence {sequence}) fails its checksum: recovery stops there"
                    );
                }
                let tags = parse_tags(&block, &jsb, tag_bytes);
                let mut data_at = at;
                for tag in &tags {
                    data_at = jsb.next(data_at);
                    walked += 1;
                    open_logged.push(Logged {
                        sequence,
                        target: tag.block,
                        journal_block: data_at,
                        flags: tag.flags,
                        checksum: tag.checksum,
                    });
                }
                transaction.tags += tags.len();
                at = jsb.next(data_at);
            }
            REVOKE_BLOCK => {
                if !jsb.tail_ok(&block) {
                    break format!(
                        "the revoke block at journal block {at} (sequence {sequence}) fails its checksum: recovery stops there"
                    );
                }
                let records = parse_revokes(&block, &jsb);
                transaction.revokes += records.len();
                open_revoked.extend(records);
                at = jsb.next(at);
            }
            COMMIT_BLOCK => {
                if !jsb.commit_ok(&block) {
                    bad_commit = Some(sequence);
                    break format!(
                        "the commit block of sequence {sequence} (journal block {at}) fails its checksum: that transaction and everything after it is not replayed"
                    );
                }
                transaction.committed = true;
                if let Some(done) = open.take() {
                    journal.transactions.push(done);
                }
                logged.append(&mut open_logged);
                for block in open_revoked.drain(..) {
                    let entry = revoked.entry(block).or_insert(sequence);
                    *entry = (*entry).max(sequence);
                }
                sequence = sequence.wrapping_add(1);
                at = jsb.next(at);
            }
            other => {
                break format!(
                    "journal block {at} has block type {other}, which recovery does not know: the end of the log"
                );
            }
        }
    };
    if let Some(sequence) = bad_commit {
        journal.findings.push(Finding::new(Code::ChecksumMismatch,
            format!(
                "the commit block of journal transaction {sequence} fails its checksum: recovery ends the log there, so transaction {sequence} and any after it are not replayed"
            ),
        ));
        if let Some(open) = open.take() {
            journal.transactions.push(open);
        }
    }
    if let Some(uncommitted) = open.take() {
        journal.findings.push(Finding::new(Code::JournalUncommitted,
            format!(
                "transaction {} ({} blocks logged from journal block {}) has no commit block: it is not replayed, as the kernel would not",
                uncommitted.sequence, uncommitted.tags, uncommitted.journal_block
            ),
        ));
        journal.transactions.push(uncommitted);
    }

    // PASS_REPLAY: every logged block of a committed transaction, unless a
    // revoke record of the same or a later transaction cancels it.
    let own: Vec<(BlockNo, u64)> = map.iter().map(|&(_, p, n)| (p, n)).collect();
    let mut replayed: BTreeMap<BlockNo, ReplayedBlock> = BTreeMap::new();
    let mut bad_data: Vec<(u64, BlockNo, u32)> = Vec::new();
    let mut onto_journal: Vec<BlockNo> = Vec::new();
    let mut outside: Vec<BlockNo> = Vec::new();
    for entry in &logged {
        if revoked
            .get(&entry.target)
            .is_some_and(|&r| entry.sequence <= r)
        {
            journal.revoked_blocks += 1;
            continue;
        }
        let Some(mut data) = read_block(entry.journal_block) else {
            continue;
        };
        if jsb.csum() {
            let computed = jsb.data_csum(entry.sequence, &data);
            let ok = if jsb.incompat & INCOMPAT_CSUM_V3 != 0 {
                computed == entry.checksum
            } else {
                computed & 0xFFFF == entry.checksum
            };
            if !ok {
                bad_data.push((entry.journal_block, entry.target, entry.sequence));
                continue;
            }
        }
        if entry.flags & FLAG_ESCAPE != 0
            && let Some(magic) = data.get_mut(..4)
        {
            // A logged block that began with the magic was stored with it zeroed.
            magic.copy_from_slice(&JBD2_MAGIC.to_be_bytes());
        }
        if entry.target >= sb.blocks_count {
            outside.push(entry.target);
            continue;
        }
        if own
            .iter()
            .any(|&(p, n)| p <= entry.target && entry.target < p.saturating_add(n))
        {
            onto_journal.push(entry.target);
        }
        let Some(at) = entry.target.checked_mul(bs) else {
            continue;
        };
        if (journal.overlay.len() as u64 + 1).saturating_mul(bs) > MAX_OVERLAY_BYTES {
            problem(
                &mut journal,
                Severity::High,
                Code::JournalTooLarge,
                format!(
                    "replay would write more than {} MiB: the replayed view is cut there",
                    MAX_OVERLAY_BYTES >> 20
                ),
            );
            break;
        }
        journal.overlay.insert(at, data);
        replayed.insert(
            entry.target,
            ReplayedBlock {
                block: entry.target,
                journal_block: entry.journal_block,
                sequence: entry.sequence,
                what: String::new(),
                inodes_changed: Vec::new(),
            },
        );
    }
    if !bad_data.is_empty() {
        let listed: Vec<String> = bad_data
            .iter()
            .take(8)
            .map(|(j, b, s)| format!("journal block {j} → block {b} (sequence {s})"))
            .collect();
        problem(
            &mut journal,
            Severity::High,
            Code::ChecksumMismatch,
            format!(
                "{} logged blocks fail their journal checksum and are skipped by recovery, which then reports an error: {}",
                bad_data.len(),
                listed.join(", ")
            ),
        );
    }
    if !onto_journal.is_empty() {
        problem(
            &mut journal,
            Severity::High,
            Code::JournalReplaysOntoJournal,
            format!(
                "replay writes {} blocks of the journal itself ({}): a journal that rewrites its own log is forged or corrupt",
                onto_journal.len(),
                onto_journal
                    .iter()
                    .take(8)
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if !outside.is_empty() {
        problem(
            &mut journal,
            Severity::High,
            Code::OutOfRange,
            format!(
                "the journal logs {} blocks past the end of the filesystem ({} blocks), e.g. block {}: recovery writes outside the filesystem",
                outside.len(),
                sb.blocks_count,
                outside.first().copied().unwrap_or(0)
            ),
        );
    }
    let mut replayed: Vec<ReplayedBlock> = replayed.into_values().collect();
    describe(view, &sb, &descs, &journal.overlay, &own, &mut replayed);
    journal.replayed = replayed;
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

/// The tags of a descriptor block: up to the tag with LAST_TAG, within the
/// block (less its checksum tail).
fn parse_tags(block: &[u8], jsb: &JournalSb, tag_bytes: usize) -> Vec<Tag> {
    let end = block.len().saturating_sub(if jsb.csum() { 4 } else { 0 });
    let mut tags = Vec::new();
    let mut at = 12usize;
    let csum_v3 = jsb.incompat & INCOMPAT_CSUM_V3 != 0;
    let wide = jsb.incompat & INCOMPAT_64BIT != 0;
    while at + tag_bytes <= end {
        let low = u64::from(be32(block, at));
        let (flags, high, checksum) = if csum_v3 {
            (
                be32(block, at + 4),
                be32(block, at + 8),
                be32(block, at + 12),
            )
        } else {
            (
                u32::from(be16(block, at + 6)),
                if wide { be32(block, at + 8) } else { 0 },
                u32::from(be16(block, at + 4)),
            )
        };
        let high = if wide { u64::from(high) } else { 0 };
        tags.push(Tag {
            block: (high << 32) | low,
            flags,
            checksum,
        });
        at += tag_bytes;
        if flags & FLAG_SAME_UUID == 0 {
            at += 16;
        }
        if flags & FLAG_LAST_TAG != 0 {
            break;
        }
    }
    tags
}

/// The block numbers of a revoke block (r_count bytes used, header included).
fn parse_revokes(block: &[u8], jsb: &JournalSb) -> Vec<BlockNo> {
    let record = if jsb.incompat & INCOMPAT_64BIT != 0 {
        8
    } else {
        4
    };
    let limit = block.len().saturating_sub(if jsb.csum() { 4 } else { 0 });
    let used = (be32(block, 12) as usize).min(limit);
    let mut out = Vec::new();
    let mut at = 16usize;
    while at + record <= used {
        let b = if record == 8 {
            (u64::from(be32(block, at)) << 32) | u64::from(be32(block, at + 4))
        } else {
            u64::from(be32(block, at))
        };
        out.push(b);
        at += record;
    }
    out
}

/// Says what each replayed block is in the on-disk metadata: the
/// superblock, descriptors, a bitmap, inode-table slots (and which inodes
/// the replay changes), the journal itself; other blocks are left for the
/// analysis to name from the replayed model's claimers.
fn describe(
    view: &View<'_>,
    sb: &Superblock,
    descs: &[GroupDesc],
    overlay: &Overlay,
    journal_runs: &[(BlockNo, u64)],
    replayed: &mut [ReplayedBlock],
) {
    let bs = u64::from(sb.block_size);
    let isz = u64::from(sb.inode_size).max(1);
    let per_block = (bs / isz).max(1);
    let ipg = u64::from(sb.inodes_per_group);
    let regions = groups::metadata_regions(sb, descs, &mut Vec::new());
    let replaced: BTreeMap<u64, &[u8]> = overlay.iter().collect();
    for r in replayed.iter_mut() {
        let b = r.block;
        if journal_runs
            .iter()
            .any(|&(p, n)| p <= b && b < p.saturating_add(n))
        {
            r.what = "the journal itself".into();
            continue;
        }
        let Some(region) = regions.iter().find(|m| m.start <= b && b < m.end()) else {
            continue;
        };
        r.what = region.role.describe(region.group);
        if region.role != roles::INODE_TABLE {
            continue;
        }
        let group = u64::from(region.group.unwrap_or(0));
        let first = group * ipg + (b - region.start) * per_block + 1;
        let last = first + per_block - 1;
        r.what = format!("{} (inodes {first}–{last})", r.what);
        // Which slots differ between the image and the replay.
        let on_disk = view.read(b.saturating_mul(bs), bs as usize).ok();
        let new = replaced.get(&b.saturating_mul(bs)).copied();
        if let (Some(old), Some(new)) = (on_disk, new) {
            r.inodes_changed = (0..per_block)
                .filter(|k| {
                    let slot = (k * isz) as usize..((k + 1) * isz) as usize;
                    old.get(slot.clone()) != new.get(slot)
                })
                .map(|k| first + k)
                .collect();
        }
    }
}
