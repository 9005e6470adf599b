//! The claims (inode runs and metadata regions) read from the model, and the
//! analysis that sweeps them for shared runs.

use super::*;
use crate::model::Code;
use crate::model::{BlockNo, BlockRun, Filesystem, Finding, MetaRole, Role};
use rayon::slice::ParallelSliceMut;
use sweep::{Shared, Span};

/// One claim: an inode run or a metadata region, clipped to the filesystem.
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub(crate) start: BlockNo,
    pub(crate) owner: Owner,
    pub(crate) logical: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Owner {
    /// Index into `Filesystem::inodes`, and the role of the run.
    Inode(usize, Role),
    Metadata(MetaRole, Option<u32>),
}

/// The claims, read from the model without copying it: claim id `i` below
/// `fs.runs.len()` is inode run `i`, the ones after it are metadata regions.
/// A claim is materialised only where it is needed (shared runs, bitmap
/// disagreements), so a filesystem of millions of runs costs one span each.
pub(crate) struct ClaimTable<'a> {
    pub(crate) fs: &'a Filesystem,
}

impl ClaimTable<'_> {
    pub(crate) fn metadata_base(&self) -> usize {
        self.fs.runs.len()
    }

    /// The inode (index into `fs.inodes`) whose runs include run `run`: the
    /// arena holds each inode's runs in inode order.
    pub(crate) fn run_owner(&self, run: usize) -> Option<usize> {
        let after = self
            .fs
            .inodes
            .partition_point(|n| n.runs.start as usize <= run);
        after.checked_sub(1)
    }

    /// The runs `analyse` merged into the span that starts at run `id`: that
    /// run, then the following runs of the same inode and role, each starting
    /// where the previous one ends.
    pub(crate) fn merged_runs(&self, id: usize) -> impl Iterator<Item = (usize, &BlockRun)> {
        let fs = self.fs;
        let first = fs.runs.get(id);
        // The owner's runs end here; no binary search per run.
        let owner_end = self
            .run_owner(id)
            .and_then(|i| fs.inodes.get(i))
            .map_or(id, |n| n.runs.start as usize + n.runs.len as usize);
        let mut prev_end = first.map(BlockRun::end);
        fs.runs
            .iter()
            .enumerate()
            .take(owner_end)
            .skip(id)
            .take_while(move |&(k, run)| {
                let continues = k == id
                    || (Some(run.start) == prev_end && Some(run.role) == first.map(|f| f.role));
                prev_end = Some(run.end());
                continues
            })
    }

    /// Where, strictly inside `[from, to)`, the span that starts at run `id`
    /// passes from one of its merged runs to the next.
    pub(crate) fn run_boundaries(
        &self,
        id: usize,
        from: BlockNo,
        to: BlockNo,
        out: &mut Vec<BlockNo>,
    ) {
        out.extend(
            self.merged_runs(id)
                .skip(1)
                .map(|(_, run)| run.start)
                .take_while(|&start| start < to)
                .filter(|&start| start > from),
        );
    }

    /// The claim of span `id` at block `at`: for a span merged from several
    /// adjacent runs of one inode, the run that holds `at`.
    pub(crate) fn get_at(&self, id: usize, at: BlockNo) -> Option<Claim> {
        let best = self
            .merged_runs(id)
            .take_while(|(_, run)| run.start <= at)
            .find(|(_, run)| at < run.end())
            .map_or(id, |(k, _)| k);
        self.get(best)
    }

    pub(crate) fn get(&self, id: usize) -> Option<Claim> {
        let fs = self.fs;
        if let Some(run) = fs.runs.get(id) {
            let start = run.start.max(fs.first_data_block);
            return Some(Claim {
                start,
                owner: Owner::Inode(self.run_owner(id)?, run.role),
                logical: run.logical.map(|l| l.saturating_add(start - run.start)),
            });
        }
        let region = fs.metadata.get(id.checked_sub(self.metadata_base())?)?;
        Some(Claim {
            start: region.start,
            owner: Owner::Metadata(region.role, region.group),
            logical: None,
        })
    }
}

/// Analyses a parsed filesystem on a volume of `volume_len` bytes.
pub fn analyse(
    index: usize,
    offset_bytes: u64,
    length_bytes: u64,
    fs: Filesystem,
    volume_len: u64,
) -> VolumeResult {
    let mut findings = fs.findings.clone();
    let bs = u64::from(fs.info.block_size);
    let fs_end = fs.info.block_count;
    let image_blocks = volume_len / bs.max(1);
    let claims = ClaimTable { fs: &fs };
    let mut spans: Vec<Span> = Vec::with_capacity(fs.runs.len() + fs.metadata.len());
    for (k, region) in fs.metadata.iter().enumerate() {
        spans.push(Span {
            start: region.start,
            end: region.end().min(fs_end),
            id: claims.metadata_base() + k,
        });
    }
    // Deleted entries' runs are history, not claims.
    for inode in fs.inodes.iter().filter(|n| !n.deleted) {
        let mut outside: Vec<[u64; 2]> = Vec::new();
        let mut beyond_image: Vec<[u64; 2]> = Vec::new();
        let first_run = inode.runs.start as usize;
        for (k, run) in fs.runs_of(inode).iter().enumerate() {
            let start = run.start.max(fs.first_data_block);
            let end = run.end().min(fs_end);
            if run.start < fs.first_data_block || run.end() > fs_end || run.end() == u64::MAX {
                outside.push([run.start, run.len]);
            }
            if start < end {
                if end > image_blocks {
                    let s = start.max(image_blocks);
                    beyond_image.push([s, end - s]);
                }
                // Runs of one inode and role that follow each other on disk
                // are one span: ownership does not care where they sit in
                // the file, and a fragmented file becomes a few spans instead
                // of thousands. Overlapping runs are never merged, so an inode
                // that maps a block twice still shows.
                let id = first_run + k;
                match spans.last_mut() {
                    Some(last)
                        if last.end == start
                            && last.id >= first_run
                            && fs.runs.get(last.id).map(|r| r.role) == Some(run.role) =>
                    {
                        last.end = end;
                    }
                    _ => spans.push(Span { start, end, id }),
                }
            }
        }
        if !outside.is_empty() {
            findings.push(
                Finding::new(
                    Code::OutOfRange,
                    format!(
                        "{} maps {} outside the filesystem (valid blocks {}..{}): {}",
                        describe(&fs, inode),
                        plural(outside.len(), "run"),
                        fs.first_data_block,
                        fs_end,
                        runs_text(&fs.units, &outside)
                    ),
                )
                .with_inodes([inode.ino])
                .with_blocks(outside),
            );
        }
        if !beyond_image.is_empty() {
            findings.push(
                Finding::new(
                    Code::OutOfRange,
                    format!(
                        "{} maps blocks past the end of the image file ({image_blocks} blocks): {}",
                        describe(&fs, inode),
                        runs_text(&fs.units, &beyond_image)
                    ),
                )
                .with_inodes([inode.ino])
                .with_blocks(beyond_image),
            );
        }
    }
    // One sort on the start block (most runs arrive nearly sorted), in parallel.
    spans.par_sort_unstable_by_key(|s| (s.start, s.end, s.id));
    let shared = sweep::overlaps_sorted(&spans);
    let mut crosslinks = classify(&fs, &claims, &shared, &mut findings);
    if fs.cluster_blocks > 1 {
        clusters::shared_clusters(&fs, &mut crosslinks, &mut findings);
    }
    if let Some(allocated) = &fs.allocated {
        bitmap_findings(&fs, &claims, &spans, allocated, &mut findings);
    }
    reused_blocks(&fs, &claims, &spans, &mut findings);
    findings.extend(release::cleanup_finding(&fs, &crosslinks));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    VolumeResult {
        index,
        offset_bytes,
        length_bytes,
        partition: None,
        filesystem: Some(fs),
        error: None,
        unsupported: None,
        crosslinks,
        findings,
        replay: None,
        replayed: false,
    }
}

/// A shared run after merging, with the claim ids and each claim's logical
/// block at the run's start.
pub(crate) struct Merged {
    pub(crate) start: BlockNo,
    pub(crate) end: BlockNo,
    pub(crate) ids: Vec<usize>,
    pub(crate) total: usize,
}

/// Merges adjacent shared segments with the same claims (a claim continues
/// across the boundary, so its logical blocks continue too).
pub(crate) fn merge(shared: &[Shared]) -> Vec<Merged> {
    let mut out: Vec<Merged> = Vec::new();
    for s in shared {
        if let Some(last) = out.last_mut()
            && last.end == s.start
            && last.ids == s.ids
            && last.total == s.total
        {
            last.end = s.end;
            continue;
        }
        out.push(Merged {
            start: s.start,
            end: s.end,
            ids: s.ids.clone(),
            total: s.total,
        });
    }
    out
}

/// Splits a shared run where any of its claims passes from one merged run to
/// the next, so that each piece has one file offset per claimer.
pub(crate) fn split_at_runs(claims: &ClaimTable<'_>, m: Merged) -> Vec<Merged> {
    let mut cuts = Vec::new();
    for &id in &m.ids {
        claims.run_boundaries(id, m.start, m.end, &mut cuts);
    }
    if cuts.is_empty() {
        return vec![m];
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = m.start;
    for cut in cuts.into_iter().chain([m.end]) {
        pieces.push(Merged {
            start,
            end: cut,
            ids: m.ids.clone(),
            total: m.total,
        });
        start = cut;
    }
    pieces
}
