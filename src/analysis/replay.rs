//! The two views of a volume whose journal needs recovery: the findings of
//! the filesystem as mounted, marked against those of the bytes on disk.

use super::*;
use crate::model::Code;
use crate::model::Replay;
use crate::model::{Finding, FindingKey, Role, Severity, coalesce_runs};
use std::collections::HashSet;

/// The replayed view's result, its findings marked against the on-disk
/// view's (when there is one: a lookup parses only the replayed view):
/// `after_replay` where only the replayed filesystem has them, and (with
/// [`JournalMode::Both`]) the on-disk-only ones added as `before_replay`.
/// `needs_recovery` gives way to `journal_replay_pending`, which says what
/// replay writes.
pub(crate) fn with_replay(
    mut replayed: VolumeResult,
    on_disk: Option<&VolumeResult>,
    mut journal: Replay,
    mode: JournalMode,
) -> VolumeResult {
    replayed.findings.retain(|f| f.code != Code::NeedsRecovery);
    let on_disk_findings: Vec<&Finding> = on_disk
        .map(|v| {
            v.findings
                .iter()
                .filter(|f| f.code != Code::NeedsRecovery)
                .collect()
        })
        .unwrap_or_default();
    // Compared by key in a set: a hostile image may have a finding per inode.
    let on_disk_keys: HashSet<FindingKey<'_>> = on_disk_findings.iter().map(|f| f.key()).collect();
    let mut new_findings = 0usize;
    let mut worst_new = Severity::Info;
    for f in replayed.findings.iter_mut().filter(|_| on_disk.is_some()) {
        if !on_disk_keys.contains(&f.key()) {
            f.after_replay = true;
            new_findings += 1;
            worst_new = worst_new.max(f.severity);
        }
    }
    if mode == JournalMode::Both {
        let replayed_keys: HashSet<FindingKey<'_>> =
            replayed.findings.iter().map(Finding::key).collect();
        let removed: Vec<Finding> = on_disk_findings
            .into_iter()
            .filter(|f| !replayed_keys.contains(&f.key()))
            .cloned()
            .collect();
        for mut f in removed {
            f.before_replay = true;
            replayed.findings.push(f);
        }
    }
    if let Some(fs) = &replayed.filesystem {
        for r in journal.replayed.iter_mut().filter(|r| r.what.is_empty()) {
            // Directories are in every model (findings-only too), so this
            // reads the same whatever the detail of the parse.
            let dirs: Vec<String> = claimers_of(fs, r.block)
                .into_iter()
                .filter_map(|c| match c {
                    Claimer::Inode {
                        role: Role::Directory,
                        paths,
                        inode,
                        ..
                    } => Some(paths.first().cloned().unwrap_or(format!("inode {inode}"))),
                    _ => None,
                })
                .collect();
            r.what = if dirs.is_empty() {
                "a file's data or extent-tree block".into()
            } else {
                format!("a block of directory {}", dirs.join(", "))
            };
        }
    }
    let committed: Vec<u32> = journal
        .transactions
        .iter()
        .filter(|t| t.committed)
        .map(|t| t.sequence)
        .collect();
    const SHOWN: usize = 6;
    let mut listed: Vec<String> = journal
        .replayed
        .iter()
        .take(SHOWN)
        .map(|r| {
            let changed = if r.inodes_changed.is_empty() {
                String::new()
            } else {
                let inos: Vec<String> = r.inodes_changed.iter().map(u64::to_string).collect();
                format!(", changing inode {}", inos.join(", "))
            };
            format!("block {} ({}{changed})", r.block, r.what)
        })
        .collect();
    if journal.replayed.len() > SHOWN {
        listed.push(format!("{} more", journal.replayed.len() - SHOWN));
    }
    let sequences = match (committed.first(), committed.last()) {
        (Some(a), Some(b)) if a != b => format!("transactions {a}–{b}"),
        (Some(a), _) => format!("transaction {a}"),
        _ => "no transaction".into(),
    };
    // As serious as what replay brings (high at most: the findings it brings
    // carry their own severity), low when it brings nothing new.
    let (severity, verdict) = if new_findings > 0 {
        (
            worst_new.clamp(Severity::Low, Severity::High),
            format!(
                "{new_findings} finding(s) below appear only then (marked \"appears when the journal is replayed\"); e2fsck -fn skips journal recovery and does not see them"
            ),
        )
    } else {
        (
            Severity::Low,
            "the replayed filesystem has no finding the on-disk one lacks".to_string(),
        )
    };
    let mut pending = Finding::new(Code::JournalReplayPending,
        format!(
            "the journal needs recovery: at mount the kernel replays {sequences}, writing {}{}{}; {verdict}",
            plural(journal.replayed.len(), "block"),
            if listed.is_empty() {
                String::new()
            } else {
                format!(": {}", join_and(&listed))
            },
            if journal.revoked_blocks > 0 {
                format!(
                    " ({} logged blocks cancelled by revoke records)",
                    journal.revoked_blocks
                )
            } else {
                String::new()
            },
        ),
    ).with_severity(severity)
    .with_blocks(
        coalesce_runs(journal.replayed.iter().map(|r| (r.block, 1)).collect())
            .into_iter()
            .map(|(s, l)| [s, l]),
    );
    pending.inodes = journal
        .replayed
        .iter()
        .flat_map(|r| r.inodes_changed.iter().copied())
        .collect();
    replayed.findings.push(pending);
    replayed.findings.extend(journal.findings.iter().cloned());
    replayed
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    replayed.replay = Some(Box::new(journal));
    replayed.replayed = true;
    replayed
}
