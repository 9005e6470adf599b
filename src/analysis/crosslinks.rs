//! Classifying each shared run: cross-link, metadata overlap or collision,
//! declared sharing, and who the claimers are.

use super::*;
use crate::model::Code;
use crate::model::{BlockNo, Filesystem, Finding, Inode, InodeNo, Role, Severity, mode_string};
use std::collections::BTreeMap;
use sweep::Shared;

pub(crate) fn classify(
    fs: &Filesystem,
    claims: &ClaimTable<'_>,
    shared: &[Shared],
    findings: &mut Vec<Finding>,
) -> Vec<Crosslink> {
    // Findings are grouped per (code, set of owners): one finding for "A and B
    // share blocks X, Y and Z", not three.
    let mut groups: BTreeMap<(Code, Vec<Owner>), Vec<usize>> = BTreeMap::new();
    let mut crosslinks = Vec::new();
    for m in merge(shared)
        .into_iter()
        .flat_map(|m| split_at_runs(claims, m))
    {
        let mut in_run: Vec<Claim> = m
            .ids
            .iter()
            .filter_map(|&id| claims.get_at(id, m.start))
            .collect();
        // The filesystem's own inodes over their own metadata (the resize inode
        // over the reserved GDT blocks) are one owner, not two.
        for &(own_ino, own_role) in &fs.own_metadata_inodes {
            let has_role = in_run
                .iter()
                .any(|c| matches!(c.owner, Owner::Metadata(r, _) if r == own_role));
            if has_role {
                in_run.retain(|c| {
                    !matches!(c.owner, Owner::Inode(i, _) if fs.inodes.get(i).is_some_and(|n| n.ino == own_ino))
                });
            }
        }
        if in_run.len() < 2 {
            continue;
        }
        let inode_claims: Vec<(usize, Role)> = in_run
            .iter()
            .filter_map(|c| match c.owner {
                Owner::Inode(i, r) => Some((i, r)),
                Owner::Metadata(..) => None,
            })
            .collect();
        let meta_count = in_run.len() - inode_claims.len();
        let mut distinct_inodes: Vec<usize> = inode_claims.iter().map(|&(i, _)| i).collect();
        distinct_inodes.sort_unstable();
        distinct_inodes.dedup();
        let journal_involved = inode_claims.iter().any(|&(_, r)| r == Role::Journal);
        // The bad-blocks list (ext inode 1) is no file anybody opens: sharing
        // with it says a file sits on a block marked unreadable.
        let files_besides_bad_blocks = inode_claims
            .iter()
            .filter(|&&(_, r)| r != Role::BadBlock)
            .map(|&(i, _)| i)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let bad_block_involved = inode_claims.iter().any(|&(_, r)| r == Role::BadBlock);
        let len = m.end - m.start;

        let (code, legitimate, reason) = if meta_count > 0 && inode_claims.is_empty() {
            (
                Code::MetadataCollision,
                false,
                "two filesystem structures occupy the same blocks".to_string(),
            )
        } else if meta_count > 0 {
            (
                Code::MetadataOverlap,
                false,
                "an inode maps blocks that the filesystem uses for its own metadata".to_string(),
            )
        } else if bad_block_involved && files_besides_bad_blocks <= 1 {
            (
                Code::BadBlockInUse,
                false,
                "a block on the bad-blocks list is also used by an inode".to_string(),
            )
        } else if journal_involved && inode_claims.len() > 1 {
            // The journal is a file that mount writes through: e2fsck pairs
            // it with the other file in pass 1B like any two files.
            (
                Code::Crosslink,
                false,
                "a file shares blocks with the journal".to_string(),
            )
        } else if fs.immutable {
            // Nothing writes through shared blocks of an immutable image:
            // dedupe shares whole chunks on purpose. A share that starts
            // inside one claimer's run is not what dedupe makes.
            if in_run.iter().all(|c| c.start == m.start) {
                (
                    Code::SharedLegitimately,
                    true,
                    format!(
                        "{} files share whole chunks of an immutable image (deduplicated data: nothing can write through it)",
                        distinct_inodes.len()
                    ),
                )
            } else {
                (
                    Code::PartialOverlap,
                    true,
                    "one file's data starts inside another's: not whole-chunk deduplication, but on an immutable image nothing writes through it".to_string(),
                )
            }
        } else if let Some(limit) = declared_limit(fs, &inode_claims, m.start, len) {
            // What declares the sharing: an ext xattr block's h_refcount, or
            // (any other role) an XFS refcount btree record.
            let xattr = inode_claims.first().is_some_and(|&(_, r)| r == Role::Xattr);
            // An xattr block is referred to once per inode; a reflinked
            // extent may be mapped twice by one file (reflinked onto itself),
            // and the refcount counts mappings.
            let within = if xattr {
                distinct_inodes.len() as u64 <= limit && distinct_inodes.len() == inode_claims.len()
            } else {
                inode_claims.len() as u64 <= limit
            };
            if within {
                (
                    Code::SharedLegitimately,
                    true,
                    if xattr {
                        format!(
                            "an extended-attribute block shared by {} inodes within its h_refcount of {limit}",
                            distinct_inodes.len()
                        )
                    } else {
                        format!(
                            "reflink: {} mappings by {} inodes share the extent, as the refcount btree records (count {limit})",
                            inode_claims.len(),
                            distinct_inodes.len()
                        )
                    },
                )
            } else {
                (
                    Code::Crosslink,
                    false,
                    if xattr {
                        format!(
                            "{} references to an extended-attribute block whose h_refcount allows {limit}",
                            inode_claims.len()
                        )
                    } else {
                        format!(
                            "{} mappings of an extent whose refcount record says {limit}",
                            inode_claims.len()
                        )
                    },
                )
            }
        } else if distinct_inodes.len() == 1 {
            (
                Code::Crosslink,
                false,
                "one inode maps the same blocks more than once".to_string(),
            )
        } else {
            (
                Code::Crosslink,
                false,
                format!("{} inodes map the same blocks", distinct_inodes.len()),
            )
        };
        let reason = if fs.shared_blocks_declared && !legitimate {
            format!("{reason} (the shared_blocks feature is set, so e2fsck does not check this)")
        } else {
            reason
        };
        let claimers: Vec<Claimer> = in_run.iter().map(|c| claimer(fs, c, m.start)).collect();
        let mut owners: Vec<Owner> = in_run
            .iter()
            .map(|c| match c.owner {
                Owner::Inode(i, _) => Owner::Inode(i, Role::Data),
                other => other,
            })
            .collect();
        owners.sort_unstable();
        owners.dedup();
        groups
            .entry((code, owners))
            .or_default()
            .push(crosslinks.len());
        let unlisted = m.total.saturating_sub(m.ids.len());
        let reason = if unlisted > 0 {
            format!("{reason}; {} claims in all, {unlisted} not listed", m.total)
        } else {
            reason
        };
        crosslinks.push(Crosslink {
            start_block: m.start,
            block_count: len,
            claimer_count: claimers.len() + unlisted,
            claimers,
            legitimate,
            reason,
        });
    }
    for ((code, owners), members) in groups {
        let runs: Vec<[u64; 2]> = members
            .iter()
            .filter_map(|&k| crosslinks.get(k))
            .map(|c| [c.start_block, c.block_count])
            .collect();
        let inodes: Vec<&Inode> = owners
            .iter()
            .filter_map(|o| match o {
                Owner::Inode(i, _) => fs.inodes.get(*i),
                Owner::Metadata(..) => None,
            })
            .collect();
        let metas: Vec<String> = owners
            .iter()
            .filter_map(|o| match o {
                Owner::Metadata(role, group) => Some(role.describe(*group)),
                Owner::Inode(..) => None,
            })
            .collect();
        let total: u64 = runs.iter().map(|r| r[1]).sum();
        let severity = match code {
            Code::SharedLegitimately => Severity::Info,
            Code::PartialOverlap | Code::BadBlockInUse => Severity::Medium,
            Code::MetadataCollision => Severity::High,
            _ => Severity::Critical,
        };
        let who: Vec<String> = inodes
            .iter()
            .map(|n| describe(fs, n))
            .chain(metas.iter().cloned())
            .collect();
        let mut message = format!(
            "{} share {} ({})",
            join_and(&who),
            plural(total as usize, fs.units.block),
            runs_text(&fs.units, &runs)
        );
        if who.len() == 1 {
            message = format!(
                "{} maps {} twice ({})",
                join_and(&who),
                plural(total as usize, fs.units.block),
                runs_text(&fs.units, &runs)
            );
        }
        let roles: Vec<(InodeNo, Role)> = members
            .iter()
            .filter_map(|&k| crosslinks.get(k))
            .flat_map(|c| &c.claimers)
            .filter_map(|c| match c {
                Claimer::Inode { inode, role, .. } => Some((*inode, *role)),
                Claimer::Metadata { .. } => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let consequence = consequence(fs, code, &inodes, &metas, &roles);
        if !consequence.is_empty() {
            message.push_str(". ");
            message.push_str(&consequence);
        }
        let member_links: Vec<&Crosslink> =
            members.iter().filter_map(|&k| crosslinks.get(k)).collect();
        let at_mount = release::crosslink_sentence(fs, &inodes, &member_links);
        if !at_mount.is_empty() {
            message.push_str(". ");
            message.push_str(&at_mount);
        }
        if code == Code::MetadataOverlap {
            message.push_str(&slots_covered(fs, &runs));
        }
        if fs.shared_blocks_declared && code != Code::SharedLegitimately {
            message.push_str(
                ". The shared_blocks feature is set: e2fsck skips this check and passes the image",
            );
        }
        message.push('.');
        findings.push(
            Finding::new(code, message)
                .with_severity(severity)
                .with_inodes(inodes.iter().map(|n| n.ino))
                .with_blocks(runs),
        );
    }
    crosslinks
}

/// The referrer limit the format declares for these claims, if every claim is
/// of a role that may be shared and the run lies inside a declared region.
pub(crate) fn declared_limit(
    fs: &Filesystem,
    inode_claims: &[(usize, Role)],
    start: BlockNo,
    len: u64,
) -> Option<u64> {
    let role = inode_claims.first()?.1;
    if inode_claims.iter().any(|&(_, r)| r != role) {
        return None;
    }
    fs.declared_sharing
        .iter()
        .find(|d| {
            d.role == role
                && d.start <= start
                && start.saturating_add(len) <= d.start.saturating_add(d.len)
        })
        .map(|d| d.max_referrers)
}

pub(crate) fn claimer(fs: &Filesystem, c: &Claim, at: BlockNo) -> Claimer {
    match c.owner {
        Owner::Inode(i, role) => {
            let inode = fs.inodes.get(i);
            Claimer::Inode {
                inode: inode.map_or(0, |n| n.ino),
                paths: inode.map(|n| fs.paths(n)).unwrap_or_default(),
                role,
                logical_block: c
                    .logical
                    .map(|l| l.saturating_add(at.saturating_sub(c.start))),
                mode: inode.map(|n| mode_string(n.mode)).unwrap_or_default(),
                uid: inode.map_or(0, |n| n.uid),
                gid: inode.map_or(0, |n| n.gid),
                released_at_mount: inode.and_then(|n| n.released_at_mount),
                blocks: Vec::new(),
            }
        }
        Owner::Metadata(role, group) => Claimer::Metadata { role, group },
    }
}

/// ". The shared blocks hold the inode slots of nid 36 (/), …": where the
/// format keeps many inodes per metadata block (EROFS), which inodes a data
/// run over metadata exposes.
pub(crate) fn slots_covered(fs: &Filesystem, runs: &[[u64; 2]]) -> String {
    const SHOWN: usize = 8;
    let mut covered: Vec<InodeNo> = Vec::new();
    for &[start, len] in runs {
        let end = start.saturating_add(len);
        let first = fs.slots.partition_point(|&(b, _)| b < start);
        covered.extend(
            fs.slots
                .iter()
                .skip(first)
                .take_while(|&&(b, _)| b < end)
                .map(|&(_, ino)| ino),
        );
    }
    if covered.is_empty() {
        return String::new();
    }
    let named: Vec<String> = covered
        .iter()
        .take(SHOWN)
        .map(|&ino| match fs.inode(ino).and_then(|n| fs.first_path(n)) {
            Some(path) => format!("{ino} ({path})"),
            None => ino.to_string(),
        })
        .collect();
    let more = covered.len().saturating_sub(SHOWN);
    let list = if more > 0 {
        format!("{} and {more} more", named.join(", "))
    } else {
        join_and(&named)
    };
    format!(
        ". The shared blocks hold the inode slots of nid{} {list}",
        if covered.len() == 1 { "" } else { "s" },
    )
}
