//! PASS_REPLAY (fs/jbd2/recovery.c `do_one_pass`): every logged block of a
//! committed transaction, unless a revoke record of the same or a later
//! transaction cancels it, written into the replay's overlay; then what each
//! replayed block is in the on-disk metadata.

use std::collections::BTreeMap;

use crate::fs::ext::groups::{self, GroupDesc};
use crate::fs::ext::roles;
use crate::fs::ext::superblock::Superblock;
use crate::image::{Overlay, View};
use crate::model::Code;
use crate::model::{BlockNo, Replay, ReplayedBlock, Severity};

use super::log::{FLAG_ESCAPE, INCOMPAT_CSUM_V3, JBD2_MAGIC, JournalSb, Log};
use super::problem;
use super::scan::{Logged, Scanned};

/// At most this many bytes of replayed blocks are held in memory; a journal
/// that would replay more is reported and not replayed.
const MAX_OVERLAY_BYTES: u64 = 512 << 20;

/// What the replay wrote, and the logged blocks it skipped or that should
/// not be there.
#[derive(Default)]
struct Written {
    replayed: BTreeMap<BlockNo, ReplayedBlock>,
    /// `(journal block, target, sequence)` of each block whose tag checksum fails.
    bad_data: Vec<(u64, BlockNo, u32)>,
    /// Targets that are blocks of the journal itself.
    onto_journal: Vec<BlockNo>,
    /// Targets past the end of the filesystem.
    outside: Vec<BlockNo>,
}

/// Replays the scanned log into `journal.overlay` and says what each
/// replayed block is.
pub(super) fn pass_replay(
    log: &Log<'_, '_>,
    jsb: &JournalSb,
    sb: &Superblock,
    descs: &[GroupDesc],
    scanned: &Scanned,
    journal: &mut Replay,
) {
    let own = log.map.own_runs();
    let mut written = Written::default();
    for entry in &scanned.logged {
        if scanned
            .revoked
            .get(&entry.target)
            .is_some_and(|&r| entry.sequence <= r)
        {
            journal.revoked_blocks += 1;
            continue;
        }
        let Some(mut data) = log.read_block(entry.journal_block) else {
            continue;
        };
        if !tag_checksum_ok(jsb, entry, &data) {
            written
                .bad_data
                .push((entry.journal_block, entry.target, entry.sequence));
            continue;
        }
        if entry.flags & FLAG_ESCAPE != 0
            && let Some(magic) = data.get_mut(..4)
        {
            // A logged block that began with the magic was stored with it zeroed.
            magic.copy_from_slice(&JBD2_MAGIC.to_be_bytes());
        }
        if entry.target >= sb.blocks_count {
            written.outside.push(entry.target);
            continue;
        }
        if own
            .iter()
            .any(|&(p, n)| p <= entry.target && entry.target < p.saturating_add(n))
        {
            written.onto_journal.push(entry.target);
        }
        let bs = log.block_size;
        let Some(at) = entry.target.checked_mul(bs) else {
            continue;
        };
        if (journal.overlay.len() as u64 + 1).saturating_mul(bs) > MAX_OVERLAY_BYTES {
            problem(
                journal,
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
        written.replayed.insert(
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
    report_skipped(&written, sb, journal);
    let mut replayed: Vec<ReplayedBlock> = written.replayed.into_values().collect();
    describe(log.view, sb, descs, &journal.overlay, &own, &mut replayed);
    journal.replayed = replayed;
}

/// Whether a logged block matches its tag's checksum (v2: the low 16 bits
/// in t_checksum; v3: all 32 in journal_block_tag3_t.t_checksum); true
/// without checksums.
fn tag_checksum_ok(jsb: &JournalSb, entry: &Logged, data: &[u8]) -> bool {
    if !jsb.csum() {
        return true;
    }
    let computed = jsb.data_csum(entry.sequence, data);
    if jsb.incompat & INCOMPAT_CSUM_V3 != 0 {
        computed == entry.checksum
    } else {
        computed & 0xFFFF == entry.checksum
    }
}

/// The findings on logged blocks the replay skipped or should not write.
fn report_skipped(written: &Written, sb: &Superblock, journal: &mut Replay) {
    let Written {
        bad_data,
        onto_journal,
        outside,
        ..
    } = written;
    if !bad_data.is_empty() {
        let listed: Vec<String> = bad_data
            .iter()
            .take(8)
            .map(|(j, b, s)| format!("journal block {j} → block {b} (sequence {s})"))
            .collect();
        problem(
            journal,
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
            journal,
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
            journal,
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
