//! The allocation map compared with the claims both ways: blocks claimed but
//! free, blocks allocated but unclaimed.

use super::*;
use crate::model::Code;
use crate::model::{BlockNo, Filesystem, Finding, coalesce_runs};
use std::collections::BTreeMap;
use sweep::Span;

/// Compares the claims with the block bitmap both ways.
pub(crate) fn bitmap_findings(
    fs: &Filesystem,
    claims: &ClaimTable<'_>,
    sorted_spans: &[Span],
    allocated: &[(BlockNo, u64)],
    findings: &mut Vec<Finding>,
) {
    let mut known: Vec<(BlockNo, u64)> = allocated.to_vec();
    known.extend(fs.allocation_unknown.iter().copied());
    known.sort_unstable();
    let known = coalesce_runs(known);
    // Claimed but free, per owner.
    let mut free_by_owner: BTreeMap<Option<usize>, Vec<[u64; 2]>> = BTreeMap::new();
    for span in sorted_spans {
        for (s, e) in sweep::uncovered(span.start, span.end, &known) {
            let key = match claims.get(span.id).map(|c| c.owner) {
                Some(Owner::Inode(i, _)) => Some(i),
                _ => None,
            };
            free_by_owner.entry(key).or_default().push([s, e - s]);
        }
    }
    for (owner, mut runs) in free_by_owner {
        runs.sort_unstable();
        let total: u64 = runs.iter().map(|r| r[1]).sum();
        let (who, inodes) = match owner.and_then(|i| fs.inodes.get(i)) {
            Some(n) => (describe(fs, n), vec![n.ino]),
            None => ("filesystem metadata".to_string(), Vec::new()),
        };
        findings.push(
            Finding::new(Code::ClaimedButFree,
                format!(
                    "{who} uses {} that the {} marks free ({}): the next allocation hands them to another file, cross-linking them",
                    plural(total as usize, fs.units.block),
                    fs.units.allocation_map,
                    runs_text(&fs.units, &runs)
                ),
            )
            .with_inodes(inodes)
            .with_blocks(runs),
        );
    }
    if fs.info.features.iter().any(|f| f == "bigalloc") {
        return; // allocation is per cluster; per-block leak accounting would mislead
    }
    // Allocated but unclaimed: claimed by the model or by the inodes a
    // findings-only parse left out of it.
    let mut claimed: Vec<(BlockNo, u64)> = sorted_spans
        .iter()
        .filter(|s| s.start < s.end)
        .map(|s| (s.start, s.end - s.start))
        .collect();
    if let Some(omitted) = &fs.omitted {
        claimed.extend(omitted.claims.iter().copied());
        claimed.sort_unstable();
    }
    let claimed = coalesce_runs(claimed);
    let mut leaked: Vec<[u64; 2]> = Vec::new();
    for &(s, l) in allocated {
        for (a, b) in sweep::uncovered(s, s.saturating_add(l), &claimed) {
            leaked.push([a, b - a]);
        }
    }
    if !leaked.is_empty() {
        let total: u64 = leaked.iter().map(|r| r[1]).sum();
        findings.push(
            Finding::new(Code::AllocatedButUnclaimed,
                format!(
                    "{} marked in use in the {} belong to no inode or metadata ({}): leaked space, or data left by a deleted or hidden file",
                    plural(total as usize, fs.units.block),
                    fs.units.allocation_map,
                    runs_text(&fs.units, &leaked)
                ),
            )
            .with_blocks(leaked),
        );
    }
}
