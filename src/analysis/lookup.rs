//! Who owns a block: one-off lookups and an index for the inspector's cursor.

use super::*;
use crate::model::{BlockNo, Filesystem};
use rayon::slice::ParallelSliceMut;

/// Every claimer of `block`: like `debugfs icheck` plus `ncheck`, and the metadata.
pub fn claimers_of(fs: &Filesystem, block: BlockNo) -> Vec<Claimer> {
    let mut out = Vec::new();
    for region in &fs.metadata {
        if region.start <= block && block < region.end() {
            out.push(Claimer::Metadata {
                role: region.role,
                group: region.group,
            });
        }
    }
    for (i, inode) in fs.inodes.iter().enumerate().filter(|(_, n)| !n.deleted) {
        for run in fs.runs_of(inode) {
            if run.start <= block && block < run.end() {
                let c = Claim {
                    start: run.start,
                    owner: Owner::Inode(i, run.role),
                    logical: run.logical,
                };
                out.push(claimer(fs, &c, block));
            }
        }
    }
    out
}

/// Who owns a block, answered in O(log n + claimers) after one sort: for an
/// interactive tool that asks at every cursor move.
pub struct BlockIndex {
    /// (start, end, claim id) of every run and metadata region, by start.
    spans: Vec<(BlockNo, BlockNo, usize)>,
    /// `max_end[i]`: the largest end among `spans[..=i]`, so that a lookup can
    /// stop walking back as soon as nothing earlier can reach the block.
    max_end: Vec<BlockNo>,
}

impl BlockIndex {
    pub fn new(fs: &Filesystem) -> BlockIndex {
        let base = fs.runs.len();
        let mut spans: Vec<(BlockNo, BlockNo, usize)> = fs
            .inodes
            .iter()
            .filter(|n| !n.deleted)
            .flat_map(|n| {
                let first = n.runs.start as usize;
                fs.runs_of(n)
                    .iter()
                    .enumerate()
                    .map(move |(k, r)| (r.start, r.end(), first + k))
            })
            .chain(
                fs.metadata
                    .iter()
                    .enumerate()
                    .map(|(k, m)| (m.start, m.end(), base + k)),
            )
            .collect();
        spans.par_sort_unstable();
        let mut max_end = Vec::with_capacity(spans.len());
        let mut running = 0;
        for &(_, end, _) in &spans {
            running = running.max(end);
            max_end.push(running);
        }
        BlockIndex { spans, max_end }
    }

    /// Every claimer of `block`, as [`claimers_of`] gives them.
    pub fn claimers(&self, fs: &Filesystem, block: BlockNo) -> Vec<Claimer> {
        let table = ClaimTable { fs };
        let mut ids = Vec::new();
        let mut i = self.spans.partition_point(|&(start, _, _)| start <= block);
        while i > 0 {
            i -= 1;
            if self.max_end.get(i).is_none_or(|&m| m <= block) {
                break;
            }
            if let Some(&(_, end, id)) = self.spans.get(i)
                && block < end
            {
                ids.push(id);
            }
        }
        // Metadata first, then inodes in run order, as `claimers_of` lists them.
        ids.sort_unstable_by_key(|&id| (id < fs.runs.len(), id));
        ids.into_iter()
            .filter_map(|id| match fs.runs.get(id) {
                // The run as mapped (not clipped), as `claimers_of` reports it.
                Some(run) => Some(Claim {
                    start: run.start,
                    owner: Owner::Inode(table.run_owner(id)?, run.role),
                    logical: run.logical,
                }),
                None => table.get(id),
            })
            .map(|c| claimer(fs, &c, block))
            .collect()
    }
}

/// Whether `block` is marked allocated in the bitmap (None if unknown).
pub fn allocated(fs: &Filesystem, block: BlockNo) -> Option<bool> {
    if fs
        .allocation_unknown
        .iter()
        .any(|&(s, l)| s <= block && block < s.saturating_add(l))
    {
        return None;
    }
    let runs = fs.allocated.as_ref()?;
    let k = runs.partition_point(|&(s, l)| s.saturating_add(l) <= block);
    Some(runs.get(k).is_some_and(|&(s, _)| s <= block))
}
