//! One way to name a claimer, shared by the text report and every TUI view:
//! path first (what an analyst looks for), then the inode, its mode and owner,
//! and the role of the claim. Image strings are made terminal-safe here.

use crate::analysis::Claimer;
use crate::model::MetaRole;
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
            format!(
                "{name}{more} (inode {inode}, {mode} {uid}:{gid}, {}{at})",
                role.name()
            )
        }
        Claimer::Metadata { role, group } => match (role, group) {
            (
                MetaRole::Fat
                | MetaRole::FatReserved
                | MetaRole::FatRootDirectory
                | MetaRole::ErofsMetadata
                | MetaRole::XfsAgHeader
                | MetaRole::XfsBtree
                | MetaRole::XfsFreeList
                | MetaRole::XfsInodeChunk
                | MetaRole::XfsLog,
                _,
            ) => {
                format!("filesystem metadata: {}", role.describe(*group))
            }
            (_, Some(g)) => format!("filesystem metadata: {} of group {g}", role.name()),
            (_, None) => format!("filesystem metadata: {}", role.name()),
        },
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

/// Seconds since the epoch as "YYYY-MM-DD HH:MM" (UTC).
pub fn utc(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
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
    if fs.units.clusters.is_some() {
        "DELETED: its runs are where its data was (guessed contiguous from its first cluster and size), not claims"
    } else {
        "DELETED: its runs are the block map the freed inode was left with (where its data was), not claims"
    }
}
