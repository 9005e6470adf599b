//! Classifying each shared run: cross-link, metadata overlap or collision,
//! declared sharing, and who the claimers are.
//!
//! Three steps: [`judge`] decides what one shared run is ([`RunKind`]) from
//! its claims alone; [`classify`] groups the runs into findings by kind and
//! owners; [`RunKind::reason`] and [`group_message`] word them.

use super::*;
use crate::model::Code;
use crate::model::{BlockNo, Filesystem, Finding, Inode, InodeNo, Role, Severity, mode_string};
use claims::Merged;
use std::collections::{BTreeMap, BTreeSet};
use sweep::Shared;

/// What one shared run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    /// Two filesystem structures occupy the same blocks.
    MetadataCollision,
    /// An inode maps blocks of the filesystem's own metadata.
    MetadataOverlap,
    /// A block on the bad-blocks list is also a file's.
    BadBlockInUse,
    /// A file shares blocks with the journal.
    SharedWithJournal,
    /// Whole chunks of an immutable image shared by `files` files (dedupe).
    Deduplicated { files: usize },
    /// One file's data starts inside another's, on an immutable image.
    PartialOverlap,
    /// An extended-attribute block shared by `inodes` inodes within its
    /// h_refcount `limit`.
    XattrWithinRefcount { inodes: usize, limit: u64 },
    /// A reflinked extent: `mappings` by `inodes` inodes within the
    /// refcount record's `limit`.
    ReflinkWithinRefcount {
        mappings: usize,
        inodes: usize,
        limit: u64,
    },
    /// More references to an xattr block than its h_refcount allows.
    XattrOverRefcount { references: usize, limit: u64 },
    /// More mappings of an extent than its refcount record says.
    ReflinkOverRefcount { mappings: usize, limit: u64 },
    /// One inode maps the same blocks more than once.
    MappedTwice,
    /// `inodes` inodes map the same blocks.
    Crosslink { inodes: usize },
}

impl RunKind {
    fn code(self) -> Code {
        match self {
            RunKind::MetadataCollision => Code::MetadataCollision,
            RunKind::MetadataOverlap => Code::MetadataOverlap,
            RunKind::BadBlockInUse => Code::BadBlockInUse,
            RunKind::Deduplicated { .. }
            | RunKind::XattrWithinRefcount { .. }
            | RunKind::ReflinkWithinRefcount { .. } => Code::SharedLegitimately,
            RunKind::PartialOverlap => Code::PartialOverlap,
            RunKind::SharedWithJournal
            | RunKind::XattrOverRefcount { .. }
            | RunKind::ReflinkOverRefcount { .. }
            | RunKind::MappedTwice
            | RunKind::Crosslink { .. } => Code::Crosslink,
        }
    }

    /// Sharing nothing can write through, or that the format declares.
    fn legitimate(self) -> bool {
        matches!(
            self,
            RunKind::Deduplicated { .. }
                | RunKind::PartialOverlap
                | RunKind::XattrWithinRefcount { .. }
                | RunKind::ReflinkWithinRefcount { .. }
        )
    }

    /// The run's reason, in words.
    fn reason(self) -> String {
        match self {
            RunKind::MetadataCollision => {
                "two filesystem structures occupy the same blocks".to_string()
            }
            RunKind::MetadataOverlap => {
                "an inode maps blocks that the filesystem uses for its own metadata".to_string()
            }
            RunKind::BadBlockInUse => {
                "a block on the bad-blocks list is also used by an inode".to_string()
            }
            RunKind::SharedWithJournal => "a file shares blocks with the journal".to_string(),
            RunKind::Deduplicated { files } => format!(
                "{files} files share whole chunks of an immutable image (deduplicated data: nothing can write through it)"
            ),
            RunKind::PartialOverlap => "one file's data starts inside another's: not whole-chunk deduplication, but on an immutable image nothing writes through it".to_string(),
            RunKind::XattrWithinRefcount { inodes, limit } => format!(
                "an extended-attribute block shared by {inodes} inodes within its h_refcount of {limit}"
            ),
            RunKind::ReflinkWithinRefcount {
                mappings,
                inodes,
                limit,
            } => format!(
                "reflink: {mappings} mappings by {inodes} inodes share the extent, as the refcount btree records (count {limit})"
            ),
            RunKind::XattrOverRefcount { references, limit } => format!(
                "{references} references to an extended-attribute block whose h_refcount allows {limit}"
            ),
            RunKind::ReflinkOverRefcount { mappings, limit } => {
                format!("{mappings} mappings of an extent whose refcount record says {limit}")
            }
            RunKind::MappedTwice => "one inode maps the same blocks more than once".to_string(),
            RunKind::Crosslink { inodes } => format!("{inodes} inodes map the same blocks"),
        }
    }
}

/// Classifies every shared run, and gives one finding per kind and set of
/// owners: "A and B share blocks X, Y and Z", not three.
pub(crate) fn classify(
    fs: &Filesystem,
    claims: &ClaimTable<'_>,
    shared: &[Shared],
    findings: &mut Vec<Finding>,
) -> Vec<Crosslink> {
    let mut groups: BTreeMap<(Code, Vec<Owner>), Vec<usize>> = BTreeMap::new();
    let mut crosslinks = Vec::new();
    for m in merge(shared)
        .into_iter()
        .flat_map(|m| split_at_runs(claims, m))
    {
        let in_run = claims_in_run(fs, claims, &m);
        if in_run.len() < 2 {
            continue;
        }
        let kind = judge(fs, &in_run, m.start, m.end - m.start);
        groups
            .entry((kind.code(), owners(&in_run)))
            .or_default()
            .push(crosslinks.len());
        crosslinks.push(crosslink(fs, &m, &in_run, kind));
    }
    for ((code, owners), members) in groups {
        let members: Vec<&Crosslink> = members.iter().filter_map(|&k| crosslinks.get(k)).collect();
        findings.push(group_finding(fs, code, &owners, &members));
    }
    crosslinks
}

/// The claims on a shared run. The filesystem's own inodes over their own
/// metadata (the resize inode over the reserved GDT blocks) are one owner,
/// not two: the inode's claim is dropped.
fn claims_in_run(fs: &Filesystem, claims: &ClaimTable<'_>, m: &Merged) -> Vec<Claim> {
    let mut in_run: Vec<Claim> = m
        .ids
        .iter()
        .filter_map(|&id| claims.get_at(id, m.start))
        .collect();
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
    in_run
}

/// Decides what a shared run of `len` blocks from `start` is, from its
/// claims (two or more) alone, in order: metadata involved, the bad-blocks
/// list, the journal, an immutable image, sharing the format declares,
/// then a cross-link.
fn judge(fs: &Filesystem, in_run: &[Claim], start: BlockNo, len: u64) -> RunKind {
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
        .collect::<BTreeSet<_>>()
        .len();
    let bad_block_involved = inode_claims.iter().any(|&(_, r)| r == Role::BadBlock);

    if meta_count > 0 && inode_claims.is_empty() {
        RunKind::MetadataCollision
    } else if meta_count > 0 {
        RunKind::MetadataOverlap
    } else if bad_block_involved && files_besides_bad_blocks <= 1 {
        RunKind::BadBlockInUse
    } else if journal_involved && inode_claims.len() > 1 {
        // The journal is a file that mount writes through: e2fsck pairs
        // it with the other file in pass 1B like any two files.
        RunKind::SharedWithJournal
    } else if fs.immutable {
        // Nothing writes through shared blocks of an immutable image:
        // dedupe shares whole chunks on purpose. A share that starts
        // inside one claimer's run is not what dedupe makes.
        if in_run.iter().all(|c| c.start == start) {
            RunKind::Deduplicated {
                files: distinct_inodes.len(),
            }
        } else {
            RunKind::PartialOverlap
        }
    } else if let Some(limit) = declared_limit(fs, &inode_claims, start, len) {
        judge_declared(&inode_claims, distinct_inodes.len(), limit)
    } else if distinct_inodes.len() == 1 {
        RunKind::MappedTwice
    } else {
        RunKind::Crosslink {
            inodes: distinct_inodes.len(),
        }
    }
}

/// Sharing the format declares, up to `limit` referrers: an ext xattr
/// block's h_refcount, or (any other role) an XFS refcount btree record.
fn judge_declared(inode_claims: &[(usize, Role)], inodes: usize, limit: u64) -> RunKind {
    let xattr = inode_claims.first().is_some_and(|&(_, r)| r == Role::Xattr);
    let mappings = inode_claims.len();
    // An xattr block is referred to once per inode; a reflinked extent may
    // be mapped twice by one file (reflinked onto itself), and the refcount
    // counts mappings.
    match xattr {
        true if inodes as u64 <= limit && inodes == mappings => {
            RunKind::XattrWithinRefcount { inodes, limit }
        }
        true => RunKind::XattrOverRefcount {
            references: mappings,
            limit,
        },
        false if mappings as u64 <= limit => RunKind::ReflinkWithinRefcount {
            mappings,
            inodes,
            limit,
        },
        false => RunKind::ReflinkOverRefcount { mappings, limit },
    }
}

/// Who a finding groups a run by: its owners, an inode whatever the role
/// of its runs.
fn owners(in_run: &[Claim]) -> Vec<Owner> {
    let mut owners: Vec<Owner> = in_run
        .iter()
        .map(|c| match c.owner {
            Owner::Inode(i, _) => Owner::Inode(i, Role::Data),
            other => other,
        })
        .collect();
    owners.sort_unstable();
    owners.dedup();
    owners
}

/// The crosslink of one run, with its claimers and its reason in words.
fn crosslink(fs: &Filesystem, m: &Merged, in_run: &[Claim], kind: RunKind) -> Crosslink {
    let legitimate = kind.legitimate();
    let mut reason = kind.reason();
    if fs.shared_blocks_declared && !legitimate {
        reason.push_str(" (the shared_blocks feature is set, so e2fsck does not check this)");
    }
    let claimers: Vec<Claimer> = in_run.iter().map(|c| claimer(fs, c, m.start)).collect();
    let unlisted = m.total.saturating_sub(m.ids.len());
    if unlisted > 0 {
        reason.push_str(&format!(
            "; {} claims in all, {unlisted} not listed",
            m.total
        ));
    }
    Crosslink {
        start_block: m.start,
        block_count: m.end - m.start,
        claimer_count: claimers.len() + unlisted,
        claimers,
        legitimate,
        reason,
    }
}

/// The finding for the runs of one kind with the same owners.
fn group_finding(fs: &Filesystem, code: Code, owners: &[Owner], members: &[&Crosslink]) -> Finding {
    let runs: Vec<[u64; 2]> = members
        .iter()
        .map(|c| [c.start_block, c.block_count])
        .collect();
    let inodes: Vec<&Inode> = owners
        .iter()
        .filter_map(|o| match o {
            Owner::Inode(i, _) => fs.inodes.get(*i),
            Owner::Metadata(..) => None,
        })
        .collect();
    let severity = match code {
        Code::SharedLegitimately => Severity::Info,
        Code::PartialOverlap | Code::BadBlockInUse => Severity::Medium,
        Code::MetadataCollision => Severity::High,
        _ => Severity::Critical,
    };
    let message = group_message(fs, code, owners, &inodes, members, &runs);
    Finding::new(code, message)
        .with_severity(severity)
        .with_inodes(inodes.iter().map(|n| n.ino))
        .with_blocks(runs)
}

/// "A and B share 3 blocks (…). What it means. What mount does.": who, how
/// much, the consequence of the kind, and what mount changes.
fn group_message(
    fs: &Filesystem,
    code: Code,
    owners: &[Owner],
    inodes: &[&Inode],
    members: &[&Crosslink],
    runs: &[[u64; 2]],
) -> String {
    let metas: Vec<String> = owners
        .iter()
        .filter_map(|o| match o {
            Owner::Metadata(role, group) => Some(role.describe(*group)),
            Owner::Inode(..) => None,
        })
        .collect();
    let total: u64 = runs.iter().map(|r| r[1]).sum();
    let who: Vec<String> = inodes
        .iter()
        .map(|n| describe(fs, n))
        .chain(metas.iter().cloned())
        .collect();
    let blocks = plural(total as usize, fs.units.block);
    let mut message = if who.len() == 1 {
        format!(
            "{} maps {blocks} twice ({})",
            join_and(&who),
            runs_text(&fs.units, runs)
        )
    } else {
        format!(
            "{} share {blocks} ({})",
            join_and(&who),
            runs_text(&fs.units, runs)
        )
    };
    let roles: Vec<(InodeNo, Role)> = members
        .iter()
        .flat_map(|c| &c.claimers)
        .filter_map(|c| match c {
            Claimer::Inode { inode, role, .. } => Some((*inode, *role)),
            Claimer::Metadata { .. } => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let consequence = consequence(fs, code, inodes, &metas, &roles);
    if !consequence.is_empty() {
        message.push_str(". ");
        message.push_str(&consequence);
    }
    let at_mount = release::crosslink_sentence(fs, inodes, members);
    if !at_mount.is_empty() {
        message.push_str(". ");
        message.push_str(&at_mount);
    }
    if code == Code::MetadataOverlap {
        message.push_str(&slots_covered(fs, runs));
    }
    if fs.shared_blocks_declared && code != Code::SharedLegitimately {
        message.push_str(
            ". The shared_blocks feature is set: e2fsck skips this check and passes the image",
        );
    }
    message.push('.');
    message
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
