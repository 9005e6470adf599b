//! Reflink verdicts: which blocks shared between inodes the refcount btree
//! (and, with rmapbt, the reverse-mapping btree) declares, and every way the
//! trees and the block maps disagree.
//!
//! Sources: xfs-documentation `reflink.asciidoc`, `refcountbt.asciidoc`,
//! `rmapbt.asciidoc`; Linux `fs/xfs/libxfs/xfs_refcount.c` (records cover
//! only extents with refcount ≥ 2; bit 31 of the start marks a CoW staging
//! extent). A share is declared (and the analysis then calls it legitimate)
//! only when a refcount record covers it with a count equal to the number
//! of mappings, every sharer carries the REFLINK flag, and, with rmapbt,
//! every sharer has its reverse-mapping record. The trees are judged as
//! found: xfs_repair rebuilds them from the block maps, after which a forged
//! share looks like a reflink.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::Code;
use crate::model::{
    DeclaredSharing, Finding, InodeNo, Role, Severity, coalesce_runs, subtract_runs,
};

use super::sb::Geo;

/// One data-fork mapping of a regular file, in linear blocks.
#[derive(Debug, Clone)]
pub(super) struct DataClaim {
    pub start: u64,
    pub len: u64,
    pub ino: InodeNo,
    pub reflink_flag: bool,
}

/// What an inode claim is to the rmapbt: a data-fork extent, an attribute
/// fork extent or a bmbt block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Fork {
    Data,
    Attr,
    Bmbt,
}

impl Fork {
    fn name(self) -> &'static str {
        match self {
            Fork::Data => "data fork",
            Fork::Attr => "attribute fork",
            Fork::Bmbt => "bmbt blocks",
        }
    }
}

/// A refcount record in linear blocks.
#[derive(Debug, Clone)]
pub(super) struct Refcount {
    pub start: u64,
    pub len: u64,
    pub count: u64,
}

/// An rmap record in linear blocks; `owner` as the kernel's signed owner.
#[derive(Debug, Clone)]
pub(super) struct Rmap {
    pub start: u64,
    pub len: u64,
    pub owner: i64,
    pub fork: Fork,
}

/// The verdicts: the shares to declare, and findings.
pub(super) fn verdicts(
    geo: &Geo,
    claims: &[DataClaim],
    all_claims: &[(u64, u64, InodeNo, Fork)],
    refcounts: &[Refcount],
    rmaps: Option<&[Rmap]>,
    findings: &mut Vec<Finding>,
) -> Vec<DeclaredSharing> {
    // Events: (position, 0 = end / 1 = start, what, index). Ends sort
    // first, so touching runs do not overlap.
    let mut events: Vec<(u64, u8, u8, usize)> =
        Vec::with_capacity(2 * (claims.len() + refcounts.len()));
    for (k, c) in claims.iter().enumerate() {
        events.push((c.start, 1, 0, k));
        events.push((c.start.saturating_add(c.len), 0, 0, k));
    }
    for (k, r) in refcounts.iter().enumerate() {
        events.push((r.start, 1, 1, k));
        events.push((r.start.saturating_add(r.len), 0, 1, k));
    }
    events.sort_unstable();
    let rmap_index = rmaps.map(index_rmaps);
    let mut active: BTreeSet<usize> = BTreeSet::new();
    let mut active_rc: BTreeSet<usize> = BTreeSet::new();
    let mut declared: Vec<DeclaredSharing> = Vec::new();
    // (code, inodes, detail) → runs.
    let mut problems: Problems = BTreeMap::new();
    let mut prev = 0u64;
    for (pos, start, what, k) in events {
        if pos > prev && (active.len() >= 2 || !active_rc.is_empty()) {
            judge(
                (prev, pos - prev),
                claims,
                &active,
                refcounts,
                &active_rc,
                rmap_index.as_ref(),
                &mut declared,
                &mut problems,
            );
        }
        prev = pos;
        let set = if what == 0 {
            &mut active
        } else {
            &mut active_rc
        };
        if start == 1 {
            set.insert(k);
        } else {
            set.remove(&k);
        }
    }
    for ((code, inodes, detail), runs) in problems {
        findings.push(problem_finding(geo, code, inodes, &detail, runs));
    }
    if let Some(rmaps) = rmaps {
        rmap_coverage(geo, all_claims, rmaps, findings);
    }
    merge_declared(declared)
}

/// Touching declared pieces with the same count are one region.
fn merge_declared(declared: Vec<DeclaredSharing>) -> Vec<DeclaredSharing> {
    let mut merged: Vec<DeclaredSharing> = Vec::new();
    for d in declared {
        if let Some(last) = merged.last_mut()
            && last.start.saturating_add(last.len) == d.start
            && last.max_referrers == d.max_referrers
        {
            last.len = last.len.saturating_add(d.len);
            continue;
        }
        merged.push(d);
    }
    merged
}

/// One finding for the runs a problem (code, sharers, detail) applies to.
fn problem_finding(
    geo: &Geo,
    code: Code,
    inodes: Vec<InodeNo>,
    detail: &str,
    runs: Vec<(u64, u64)>,
) -> Finding {
    let runs = coalesce_runs(runs);
    let (severity, what) = match code {
        Code::ReflinkUnrecorded => (
            Severity::Critical,
            "are mapped by more than one file but the refcount btree has no record for them: forged sharing, not a reflink (xfs_repair would bless it by adding the record)",
        ),
        Code::RefcountMismatch => (
            Severity::High,
            "have a refcount record that disagrees with the block maps",
        ),
        Code::Reflink => (
            Severity::Info,
            "are shared as a reflink, as the trees found on disk declare it",
        ),
        Code::ReflinkFlagMissing => (
            Severity::High,
            "are shared by files that do not all carry the REFLINK flag",
        ),
        _ => (
            Severity::High,
            "do not agree with the reverse-mapping btree",
        ),
    };
    let list: Vec<String> = runs.iter().take(8).map(|&(s, l)| span(geo, s, l)).collect();
    Finding::new(
        code,
        format!(
            "{}{} {}{}{detail}",
            list.join(", "),
            if runs.len() > 8 { " and more" } else { "" },
            if runs.len() == 1 && runs.first().is_some_and(|r| r.1 == 1) {
                what.replacen("are ", "is ", 1).replacen("have ", "has ", 1)
            } else {
                what.to_string()
            },
            if inodes.is_empty() {
                String::new()
            } else {
                format!(
                    " (inodes {})",
                    inodes
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        ),
    )
    .with_severity(severity)
    .with_inodes(inodes)
    .with_blocks(runs.iter().map(|&(s, l)| [s, l]))
}

/// "fsblocks 32781–32783 (AG 1 blocks 13–15)".
pub(super) fn span(geo: &Geo, start: u64, len: u64) -> String {
    let (ag, agbno, fsb) = geo.where_is(start);
    if len <= 1 {
        format!("fsblock {fsb} (AG {ag} block {agbno})")
    } else {
        let n = len - 1;
        format!(
            "fsblocks {fsb}–{} (AG {ag} blocks {agbno}–{})",
            fsb.saturating_add(n),
            agbno.saturating_add(n)
        )
    }
}

/// (code, sharers, detail) → the runs it applies to.
type Problems = BTreeMap<(Code, Vec<InodeNo>, String), Vec<(u64, u64)>>;

type RmapIndex = HashMap<(i64, Fork), Vec<(u64, u64)>>;

fn index_rmaps(rmaps: &[Rmap]) -> RmapIndex {
    let mut index: RmapIndex = HashMap::new();
    for r in rmaps {
        index
            .entry((r.owner, r.fork))
            .or_default()
            .push((r.start, r.len));
    }
    for runs in index.values_mut() {
        runs.sort_unstable();
        let sorted = std::mem::take(runs);
        *runs = coalesce_runs(sorted);
    }
    index
}

#[allow(clippy::too_many_arguments)]
fn judge(
    seg: (u64, u64),
    claims: &[DataClaim],
    active: &BTreeSet<usize>,
    refcounts: &[Refcount],
    active_rc: &BTreeSet<usize>,
    rmaps: Option<&RmapIndex>,
    declared: &mut Vec<DeclaredSharing>,
    problems: &mut Problems,
) {
    let sharers: Vec<&DataClaim> = active.iter().filter_map(|&k| claims.get(k)).collect();
    let mut inos: Vec<InodeNo> = sharers.iter().map(|c| c.ino).collect();
    inos.sort_unstable();
    inos.dedup();
    let observed = sharers.len() as u64;
    let mut add = |code: Code, detail: String| {
        problems
            .entry((code, inos.clone(), detail))
            .or_default()
            .push(seg);
    };
    if active_rc.len() > 1 {
        add(Code::RefcountMismatch, ": refcount records overlap".into());
        return;
    }
    let Some(rc) = active_rc.first().and_then(|&k| refcounts.get(k)) else {
        // Two or more mappings and no record.
        add(Code::ReflinkUnrecorded, String::new());
        return;
    };
    if rc.count != observed {
        let detail = if observed < 2 {
            format!(
                ": the record says {} sharers, but {} (a record with no sharing behind it)",
                rc.count,
                if observed == 0 {
                    "no file maps them".to_string()
                } else {
                    "only one file maps them".to_string()
                }
            )
        } else {
            format!(
                ": the record says {} sharers, the block maps give {observed}",
                rc.count
            )
        };
        add(Code::RefcountMismatch, detail);
        return;
    }
    let unflagged: Vec<InodeNo> = sharers
        .iter()
        .filter(|c| !c.reflink_flag)
        .map(|c| c.ino)
        .collect();
    if !unflagged.is_empty() {
        add(
            Code::ReflinkFlagMissing,
            format!(
                ": REFLINK is not set on inode {}",
                unflagged
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return;
    }
    if let Some(index) = rmaps {
        let missing: Vec<InodeNo> = sharers
            .iter()
            .filter(|c| {
                let owner = i64::try_from(c.ino).unwrap_or(i64::MAX);
                let have = index
                    .get(&(owner, Fork::Data))
                    .map_or(&[][..], Vec::as_slice);
                !subtract_runs(&[seg], have).is_empty()
            })
            .map(|c| c.ino)
            .collect();
        if !missing.is_empty() {
            // Not declared; the rmap coverage check names the sharer.
            return;
        }
    }
    add(
        Code::Reflink,
        format!(
            ": the refcount record counts {} sharers, each carries REFLINK{}",
            rc.count,
            if rmaps.is_some() {
                " and each has its rmap record"
            } else {
                " (no rmapbt to confirm the owners)"
            }
        ),
    );
    declared.push(DeclaredSharing {
        start: seg.0,
        len: seg.1,
        role: Role::Data,
        max_referrers: rc.count,
    });
}

/// Every inode claim has its rmap record, and every rmap record with an
/// inode owner is backed by a claim of that inode.
fn rmap_coverage(
    geo: &Geo,
    all_claims: &[(u64, u64, InodeNo, Fork)],
    rmaps: &[Rmap],
    findings: &mut Vec<Finding>,
) {
    let index = index_rmaps(rmaps);
    let mut claimed: HashMap<(i64, Fork), Vec<(u64, u64)>> = HashMap::new();
    for &(start, len, ino, fork) in all_claims {
        let owner = i64::try_from(ino).unwrap_or(i64::MAX);
        claimed.entry((owner, fork)).or_default().push((start, len));
    }
    for runs in claimed.values_mut() {
        runs.sort_unstable();
        let sorted = std::mem::take(runs);
        *runs = coalesce_runs(sorted);
    }
    let mut keys: Vec<&(i64, Fork)> = claimed.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let Some(runs) = claimed.get(key) else {
            continue;
        };
        let have = index.get(key).map_or(&[][..], Vec::as_slice);
        let missing = subtract_runs(runs, have);
        if !missing.is_empty() {
            findings.push(rmap_finding(
                geo,
                Code::RmapMissing,
                *key,
                &missing,
                "are mapped by",
                "but the rmapbt has no record of it",
            ));
        }
    }
    let mut keys: Vec<&(i64, Fork)> = index.keys().filter(|(o, _)| *o >= 0).collect();
    keys.sort_unstable();
    for key in keys {
        let Some(have) = index.get(key) else { continue };
        let backed = claimed.get(key).map_or(&[][..], Vec::as_slice);
        let orphan = subtract_runs(have, backed);
        if !orphan.is_empty() {
            findings.push(rmap_finding(
                geo,
                Code::RmapOrphan,
                *key,
                &orphan,
                "are given by the rmapbt to",
                "but its block map does not map them",
            ));
        }
    }
}

fn rmap_finding(
    geo: &Geo,
    code: Code,
    (owner, fork): (i64, Fork),
    runs: &[(u64, u64)],
    verb: &str,
    tail: &str,
) -> Finding {
    let list: Vec<String> = runs.iter().take(8).map(|&(s, l)| span(geo, s, l)).collect();
    Finding::new(
        code,
        format!(
            "{}{} {verb} inode {owner} ({}), {tail}",
            list.join(", "),
            if runs.len() > 8 { " and more" } else { "" },
            fork.name()
        ),
    )
    .with_severity(if code == Code::RmapMissing {
        Severity::High
    } else {
        Severity::Medium
    })
    .with_inodes(u64::try_from(owner).ok())
    .with_blocks(runs.iter().map(|&(s, l)| [s, l]))
}

/// rmap owners of the filesystem's own blocks (`XFS_RMAP_OWN_*`).
pub(super) const OWN_FS: i64 = -3;
pub(super) const OWN_LOG: i64 = -4;
pub(super) const OWN_AG: i64 = -5;
pub(super) const OWN_INOBT: i64 = -6;
pub(super) const OWN_INODES: i64 = -7;
pub(super) const OWN_REFC: i64 = -8;

fn owner_name(owner: i64) -> &'static str {
    match owner {
        OWN_FS => "the AG headers (OWN_FS)",
        OWN_LOG => "the log (OWN_LOG)",
        OWN_AG => "the free-space btrees, rmapbt and AGFL (OWN_AG)",
        OWN_INOBT => "the inode btrees (OWN_INOBT)",
        OWN_INODES => "inode chunks (OWN_INODES)",
        OWN_REFC => "the refcount btree (OWN_REFC)",
        _ => "a special owner",
    }
}

/// The filesystem's own blocks as the headers and trees place them, and as
/// the rmapbt's special owners record them, both ways.
pub(super) fn own_coverage(
    geo: &Geo,
    owned: &[(i64, u64, u64)],
    rmaps: &[Rmap],
    findings: &mut Vec<Finding>,
) {
    let index = index_rmaps(rmaps);
    let mut ours: BTreeMap<i64, Vec<(u64, u64)>> = BTreeMap::new();
    for &(owner, start, len) in owned {
        ours.entry(owner).or_default().push((start, len));
    }
    for owner in [OWN_FS, OWN_LOG, OWN_AG, OWN_INOBT, OWN_INODES, OWN_REFC] {
        let mut mine = ours.remove(&owner).unwrap_or_default();
        mine.sort_unstable();
        let mine = coalesce_runs(mine);
        let theirs = index
            .get(&(owner, Fork::Data))
            .map_or(&[][..], Vec::as_slice);
        for (runs, what) in [
            (
                subtract_runs(&mine, theirs),
                "belong to {} as the headers and trees place them, but the rmapbt does not say so",
            ),
            (
                subtract_runs(theirs, &mine),
                "are given by the rmapbt to {}, but the headers and trees place none of it there",
            ),
        ] {
            if runs.is_empty() {
                continue;
            }
            let list: Vec<String> = runs.iter().take(8).map(|&(s, l)| span(geo, s, l)).collect();
            findings.push(
                Finding::new(
                    Code::RmapMetadataMismatch,
                    format!(
                        "{}{} {}",
                        list.join(", "),
                        if runs.len() > 8 { " and more" } else { "" },
                        if runs.len() == 1 && runs.first().is_some_and(|r| r.1 == 1) {
                            what.replacen("belong ", "belongs ", 1).replacen(
                                "are given",
                                "is given",
                                1,
                            )
                        } else {
                            what.to_string()
                        }
                        .replace("{}", owner_name(owner))
                    ),
                )
                .with_blocks(runs.iter().map(|&(s, l)| [s, l])),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(start: u64, len: u64, ino: InodeNo) -> DataClaim {
        DataClaim {
            start,
            len,
            ino,
            reflink_flag: true,
        }
    }

    fn rmap(start: u64, len: u64, owner: i64) -> Rmap {
        Rmap {
            start,
            len,
            owner,
            fork: Fork::Data,
        }
    }

    #[test]
    fn a_record_covering_half_a_share_declares_only_that_half() {
        let geo = crate::fs::xfs::sb::tests::geo();
        // Inodes 10 and 11 share blocks 100-107; the refcount record
        // covers 100-103 only.
        let claims = [claim(100, 8, 10), claim(100, 8, 11)];
        let all: Vec<_> = claims
            .iter()
            .map(|c| (c.start, c.len, c.ino, Fork::Data))
            .collect();
        let rc = [Refcount {
            start: 100,
            len: 4,
            count: 2,
        }];
        let rmaps = [rmap(100, 8, 10), rmap(100, 8, 11)];
        let mut findings = Vec::new();
        let declared = verdicts(&geo, &claims, &all, &rc, Some(&rmaps), &mut findings);
        assert_eq!(declared.len(), 1);
        assert_eq!((declared[0].start, declared[0].len), (100, 4));
        let unrecorded: Vec<_> = findings
            .iter()
            .filter(|f| f.code == Code::ReflinkUnrecorded)
            .collect();
        assert_eq!(unrecorded.len(), 1);
        assert_eq!(unrecorded[0].blocks, vec![[104, 4]]);
        assert_eq!(unrecorded[0].inodes, vec![10, 11]);
    }

    #[test]
    fn a_sharer_without_reflink_or_its_rmap_is_not_declared() {
        let geo = crate::fs::xfs::sb::tests::geo();
        let mut claims = [claim(100, 2, 10), claim(100, 2, 11)];
        claims[1].reflink_flag = false;
        let all: Vec<_> = claims
            .iter()
            .map(|c| (c.start, c.len, c.ino, Fork::Data))
            .collect();
        let rc = [Refcount {
            start: 100,
            len: 2,
            count: 2,
        }];
        let mut findings = Vec::new();
        let declared = verdicts(&geo, &claims, &all, &rc, None, &mut findings);
        assert!(declared.is_empty());
        assert!(findings.iter().any(|f| f.code == Code::ReflinkFlagMissing));
        // Flag set, but inode 11 has no rmap record: not declared, and the
        // coverage check names it.
        claims[1].reflink_flag = true;
        let mut findings = Vec::new();
        let rmaps = [rmap(100, 2, 10)];
        let declared = verdicts(&geo, &claims, &all, &rc, Some(&rmaps), &mut findings);
        assert!(declared.is_empty());
        let missing: Vec<_> = findings
            .iter()
            .filter(|f| f.code == Code::RmapMissing)
            .collect();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].inodes, vec![11]);
    }
}
