//! What mount releases before anyone can use the filesystem: the inodes a
//! crash left pending ([`Inode::released_at_mount`]; ext's orphan list). Until
//! mount their claims hold; at mount the kernel deletes the unlinked ones and
//! truncates the linked ones to their size, freeing blocks. A freed block that
//! another file (or the filesystem) still uses is handed to the next file
//! written: mount itself turns the overlap into a use-after-free.

use std::collections::BTreeSet;

use crate::model::Code;
use crate::model::{Filesystem, Finding, Inode, Release, Severity};

use super::{Claimer, Crosslink, describe, join_and, plural, runs_text};

/// The blocks that releasing `inode` frees, as `[start, count]` runs: all of
/// an unlinked inode's claims; of a linked one, the file blocks past its size
/// (ext4_truncate keeps ceil(i_size / block size) blocks).
pub fn freed_runs(fs: &Filesystem, inode: &Inode) -> Vec<[u64; 2]> {
    let keep = kept_blocks(fs, inode);
    fs.runs_of(inode)
        .iter()
        .filter_map(|run| match inode.released_at_mount? {
            Release::Delete => Some([run.start, run.len]),
            Release::Truncate => {
                let logical = run.logical.filter(|_| run.role.is_file_block())?;
                let skip = keep.saturating_sub(logical);
                (skip < run.len).then(|| [run.start.saturating_add(skip), run.len - skip])
            }
        })
        .collect()
}

/// The file blocks a truncation to `i_size` keeps.
fn kept_blocks(fs: &Filesystem, inode: &Inode) -> u64 {
    inode.size.div_ceil(u64::from(fs.info.block_size.max(1)))
}

/// Whether releasing `orphan` frees the blocks of crosslink `c`: it is one of
/// the claimers there, at a place its release frees.
fn frees_in(fs: &Filesystem, orphan: &Inode, c: &Crosslink) -> bool {
    c.claimers.iter().any(|cl| {
        matches!(cl, Claimer::Inode { inode, .. } if *inode == orphan.ino) && frees(fs, orphan, cl)
    })
}

/// Whether releasing `inode` frees the block where a crosslink lists it as
/// `claimer`.
fn frees(fs: &Filesystem, inode: &Inode, claimer: &Claimer) -> bool {
    match (inode.released_at_mount, claimer) {
        (Some(Release::Delete), _) => true,
        (
            Some(Release::Truncate),
            Claimer::Inode {
                role,
                logical_block,
                ..
            },
        ) => role.is_file_block() && logical_block.is_some_and(|l| l >= kept_blocks(fs, inode)),
        _ => false,
    }
}

/// The sentence a cross-link finding adds when mount frees the shared blocks
/// through one of its inodes (empty when none does).
pub fn crosslink_sentence(fs: &Filesystem, inodes: &[&Inode], members: &[&Crosslink]) -> String {
    let mut sentences = Vec::new();
    for orphan in inodes.iter().filter(|n| n.released_at_mount.is_some()) {
        if !members.iter().any(|c| frees_in(fs, orphan, c)) {
            continue;
        }
        let others: Vec<String> = inodes
            .iter()
            .filter(|n| n.ino != orphan.ino)
            .map(|n| super::name_of(fs, n))
            .collect();
        let what = match orphan.released_at_mount {
            Some(Release::Delete) => "deletes",
            _ => "truncates",
        };
        sentences.push(format!(
            "Inode {} is on the orphan list: at the next mount (even read-only, on a writable device) orphan cleanup {what} it and frees these blocks while {} still uses them, so the next file written is given {}'s blocks (a use-after-free that e2fsck -n does not report: it reads the orphan as already deleted)",
            orphan.ino,
            join_and(&others),
            others.first().cloned().unwrap_or_default()
        ));
    }
    sentences.join(". ")
}

/// One finding for every inode mount will release, with what it frees and
/// whose blocks those are: critical when cleanup frees blocks another owner
/// still uses, low otherwise (a crash while files were open leaves this).
pub fn cleanup_finding(fs: &Filesystem, crosslinks: &[Crosslink]) -> Option<Finding> {
    let pending: Vec<&Inode> = fs
        .inodes
        .iter()
        .filter(|n| n.released_at_mount.is_some() && !n.deleted)
        .collect();
    if pending.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    let mut victims: BTreeSet<String> = BTreeSet::new();
    let mut all_freed = Vec::new();
    for orphan in &pending {
        let freed = freed_runs(fs, orphan);
        for c in crosslinks
            .iter()
            .filter(|c| !c.legitimate && frees_in(fs, orphan, c))
        {
            for cl in &c.claimers {
                match cl {
                    Claimer::Inode { inode, .. } if *inode != orphan.ino => {
                        victims.insert(
                            fs.inode(*inode)
                                .map_or_else(|| format!("inode {inode}"), |n| describe(fs, n)),
                        );
                    }
                    Claimer::Metadata { role, group } => {
                        victims.insert(role.describe(*group));
                    }
                    Claimer::Inode { .. } => {}
                }
            }
        }
        let count: u64 = freed.iter().map(|r| r[1]).sum();
        let action = match orphan.released_at_mount {
            Some(Release::Delete) => {
                format!("deletes {} ({} links)", describe(fs, orphan), orphan.links)
            }
            _ => format!(
                "truncates {} to {} bytes",
                describe(fs, orphan),
                orphan.size
            ),
        };
        parts.push(format!(
            "{action}, freeing {}{}",
            plural(count as usize, fs.units.block),
            if freed.is_empty() {
                String::new()
            } else {
                format!(" ({})", runs_text(&fs.units, &freed))
            }
        ));
        all_freed.extend(freed);
    }
    let (severity, tail) = if victims.is_empty() {
        (
            Severity::Low,
            "; nothing else uses those blocks (a crash while files were open leaves this)"
                .to_string(),
        )
    } else {
        let victims: Vec<String> = victims.into_iter().collect();
        (
            Severity::Critical,
            format!(
                "; {} {} blocks it frees: after mount the allocator hands them to the next file written",
                join_and(&victims),
                if victims.len() == 1 {
                    "still uses"
                } else {
                    "still use"
                }
            ),
        )
    };
    Some(
        Finding::new(Code::OrphanCleanupPending,
            format!(
                "at the next mount (any mount of a writable device, even -o ro) the kernel's orphan cleanup {}{tail}",
                parts.join("; ")
            ),
        ).with_severity(severity)
        .with_inodes(pending.iter().map(|n| n.ino))
        .with_blocks(all_freed),
    )
}
