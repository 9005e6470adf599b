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
                | MetaRole::ErofsMetadata,
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
