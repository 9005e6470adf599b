//! One way to name a claimer, shared by the text report and every TUI view:
//! path first (what an analyst looks for), then the inode, its mode and owner,
//! and the role of the claim. Image strings are made terminal-safe here.

use crate::analysis::Claimer;
use crate::model::Release;
use crate::report::sanitize::for_terminal;

/// "/etc/shadow (inode 14, -rw------- 0:0, data at file block 0)" or
/// "filesystem metadata: inode_table of group 0".
pub fn claimer(c: &Claimer) -> String {
    match c {
        Claimer::Inode {
            inode,
            paths,
            role,
            logical_block,
            mode,
            uid,
            gid,
            released_at_mount,
            ..
        } => {
            let name = paths
                .first()
                .map(|p| for_terminal(p))
                .unwrap_or_else(|| "<no name>".into());
            let more = match paths.len() {
                0 | 1 => String::new(),
                n => format!(" (+{} more names)", n - 1),
            };
            let at = logical_block
                .map(|l| format!(" at file block {l}"))
                .unwrap_or_default();
            let pending = match released_at_mount {
                Some(Release::Delete) => ", orphan: deleted at mount",
                Some(Release::Truncate) => ", orphan: truncated at mount",
                None => "",
            };
            format!(
                "{name}{more} (inode {inode}, {mode} {uid}:{gid}, {}{at}{pending})",
                role.name()
            )
        }
        Claimer::Metadata { role, group } => {
            format!("filesystem metadata: {}", role.describe(*group))
        }
    }
}

/// The same in two short lines for narrow panels: the name, then what it is.
pub fn claimer_two_lines(c: &Claimer) -> [String; 2] {
    match c {
        Claimer::Inode {
            inode, paths, role, ..
        } => [
            paths
                .first()
                .map(|p| for_terminal(p))
                .unwrap_or_else(|| "<no name>".into()),
            format!("  inode {inode}, {}", role.name()),
        ],
        Claimer::Metadata { role, group } => [
            format!("metadata: {}", role.name()),
            group.map(|g| format!("  group {g}")).unwrap_or_default(),
        ],
    }
}

/// Seconds since the epoch in ISO 8601, UTC: "2023-11-14T22:13:20Z".
pub fn utc(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// An inode time as reports show it: [`utc`], or "—" for zero (never set;
/// not the first second of 1970).
pub fn time(epoch: i64) -> String {
    if epoch == 0 { "—".into() } else { utc(epoch) }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What the runs of a deleted inode are, for the inode views.
pub fn deleted_note(fs: &crate::model::Filesystem) -> &'static str {
    if fs.units.clustered() {
        "DELETED: its runs are where its data was (guessed contiguous from its first cluster and size), not claims"
    } else {
        "DELETED: its runs are the block map the freed inode was left with (where its data was), not claims"
    }
}

/// Replayed blocks listed one by one in reports.
const JOURNAL_BLOCKS_SHOWN: usize = 32;

/// The journal of a volume whose recovery is pending, for the reports: which
/// view is shown, the transactions, where the log ends, what replay writes.
/// Empty when there is no journal to replay.
pub fn journal_lines(v: &crate::analysis::VolumeResult) -> Vec<String> {
    let Some(j) = v.replay.as_deref() else {
        return Vec::new();
    };
    let mut lines = vec![if v.replayed {
        "recovery pending; shown as the kernel will mount it (the journal replayed in memory; --journal ignore: as on disk)".to_string()
    } else {
        "recovery pending; shown as it lies on disk (the journal not replayed)".to_string()
    }];
    let transactions: Vec<String> = j
        .transactions
        .iter()
        .map(|t| {
            format!(
                "{} ({}, {} logged, {} revoked)",
                t.sequence,
                if t.committed {
                    "committed"
                } else {
                    "NOT committed"
                },
                t.tags,
                t.revokes
            )
        })
        .collect();
    lines.push(format!(
        "transactions from sequence {}: {}",
        j.first_sequence,
        if transactions.is_empty() {
            "none".to_string()
        } else {
            transactions.join(", ")
        }
    ));
    lines.push(format!("the log ends: {}", j.end));
    let verb = if v.replayed { "writes" } else { "would write" };
    lines.push(format!(
        "replay {verb} {} blocks ({} cancelled by revoke records):",
        j.replayed.len(),
        j.revoked_blocks
    ));
    for r in j.replayed.iter().take(JOURNAL_BLOCKS_SHOWN) {
        let changed = if r.inodes_changed.is_empty() {
            String::new()
        } else {
            let inos: Vec<String> = r.inodes_changed.iter().map(u64::to_string).collect();
            format!("; inodes changed: {}", inos.join(", "))
        };
        lines.push(format!(
            "  block {} <- journal block {} (transaction {}): {}{changed}",
            r.block, r.journal_block, r.sequence, r.what
        ));
    }
    if j.replayed.len() > JOURNAL_BLOCKS_SHOWN {
        lines.push(format!(
            "  … {} more (all in the JSON)",
            j.replayed.len() - JOURNAL_BLOCKS_SHOWN
        ));
    }
    lines
}
