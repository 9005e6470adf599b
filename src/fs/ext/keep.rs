//! Which in-use inodes a parse keeps in the model, and the suspect blocks
//! that make a findings-only parse read a piece of inode table again.

use std::collections::BTreeMap;

use crate::fs::Detail;
use crate::fs::ext::groups;
use crate::fs::ext::slots::InodeScan;
use crate::fs::ext::superblock::Superblock;
use crate::image::View;
use crate::model::{
    BlockRun, FileType, Inode, InodeNo, Release, RunList, coalesce_runs, intersect_runs,
    subtract_runs, union_and_overlaps,
};

/// Which in-use inodes go into the model.
///
/// `Everything` keeps all of them. `FindingsOnly` (e2fsck's pass 1, in
/// spirit) keeps the ones a finding may need: directories (for names),
/// reserved inodes (the journal, the resize inode over its reserved GDT
/// blocks), inodes with a claim outside the filesystem or the image, and,
/// on a second reading, every inode with a claim on a suspect block. The
/// claims of the others are folded into one union. `Claiming(block)` keeps
/// the same, with the one block as the suspect, and folds nothing.
#[derive(Clone, Copy)]
pub(super) struct KeepRule<'s> {
    pub(super) detail: Detail,
    pub(super) first_data_block: u64,
    pub(super) fs_end: u64,
    pub(super) image_blocks: u64,
    pub(super) first_ino: u64,
    /// Sorted, disjoint `(start, len)` runs of suspect blocks.
    pub(super) suspects: &'s [(u64, u64)],
    /// Inodes on the orphan list: in use until mount releases them, whatever
    /// their link count, and always in a findings-only model (the
    /// orphan_cleanup_pending finding names them).
    pub(super) orphans: &'s BTreeMap<InodeNo, Release>,
}

impl<'s> KeepRule<'s> {
    /// The rule for `detail`: `suspects` are the blocks asked about, `orphans`
    /// the orphan list.
    pub(super) fn new(
        view: &View<'_>,
        sb: &Superblock,
        detail: Detail,
        suspects: &'s [(u64, u64)],
        orphans: &'s BTreeMap<InodeNo, Release>,
    ) -> KeepRule<'s> {
        KeepRule {
            detail,
            first_data_block: u64::from(sb.first_data_block),
            fs_end: sb.blocks_count,
            image_blocks: view.len() / u64::from(sb.block_size),
            first_ino: u64::from(sb.first_ino),
            suspects,
            orphans,
        }
    }

    /// The part of a run the analysis counts as a claim: clipped to the filesystem.
    pub(super) fn clipped(&self, run: &BlockRun) -> (u64, u64) {
        (
            run.start.max(self.first_data_block),
            run.end().min(self.fs_end),
        )
    }

    pub(super) fn keeps(&self, inode: &Inode, runs: &[BlockRun]) -> bool {
        if self.detail == Detail::Everything
            || inode.file_type == FileType::Directory
            || inode.ino < self.first_ino
            || (inode.released_at_mount.is_some() && self.detail == Detail::FindingsOnly)
        {
            return true;
        }
        runs.iter().any(|run| {
            let (start, end) = self.clipped(run);
            let outside = run.start < self.first_data_block
                || run.end() > self.fs_end
                || run.end() == u64::MAX
                || (start < end && end > self.image_blocks);
            outside || (start < end && touches(self.suspects, start, end))
        })
    }
}

impl KeepRule<'_> {
    /// Deleted inodes are kept whole for the inspector and listings; a
    /// findings-only parse keeps the ones whose old blocks lie on a suspect
    /// block (where they may now belong to a live file or to metadata); a
    /// lookup of who claims a block keeps none (a deleted inode claims nothing).
    pub(super) fn keeps_deleted(&self, runs: &[BlockRun]) -> bool {
        match self.detail {
            Detail::Everything => true,
            Detail::FindingsOnly => runs.iter().any(|run| {
                let (start, end) = self.clipped(run);
                start < end && touches(self.suspects, start, end)
            }),
            Detail::Claiming(_) => false,
        }
    }
}

/// Whether `[start, end)` meets any of the sorted, disjoint `(start, len)` runs.
pub(super) fn touches(runs: &[(u64, u64)], start: u64, end: u64) -> bool {
    let k = runs.partition_point(|&(s, l)| s.saturating_add(l) <= start);
    runs.get(k).is_some_and(|&(s, _)| s < end)
}

/// The union of every omitted claim, and the suspect blocks: where omitted
/// claims meet each other (inside a piece or between pieces), metadata, the
/// claims of kept inodes, or blocks the bitmap does not mark in use; and
/// where a left-out deleted inode's old blocks meet any live claim.
pub(super) fn suspect_blocks(
    pieces: &[InodeScan],
    metadata: &[crate::model::MetadataRegion],
    allocation: &groups::Allocation,
) -> (RunList, RunList) {
    let as_ends = |runs: &[(u64, u64)]| -> Vec<(u64, u64)> {
        runs.iter()
            .map(|&(s, l)| (s, s.saturating_add(l)))
            .collect()
    };
    let (union, between) =
        union_and_overlaps(pieces.iter().flat_map(|p| as_ends(&p.folded)).collect());
    let mut suspects: Vec<(u64, u64)> = between;
    suspects.extend(pieces.iter().flat_map(|p| p.twice.iter().copied()));
    let (meta, _) = union_and_overlaps(metadata.iter().map(|m| (m.start, m.end())).collect());
    suspects.extend(intersect_runs(&union, &meta));
    let (kept, _) = union_and_overlaps(
        pieces
            .iter()
            .flat_map(|p| p.runs.iter().map(|r| (r.start, r.end())))
            .collect(),
    );
    suspects.extend(intersect_runs(&union, &kept));
    // Deleted inodes' old blocks that a live claim or metadata now holds: the
    // findings attribute them (reused_blocks), naming both sides.
    let (deleted, _) = union_and_overlaps(
        pieces
            .iter()
            .flat_map(|p| as_ends(&p.deleted_folded))
            .collect(),
    );
    let (live, _) = union_and_overlaps(
        union
            .iter()
            .chain(&meta)
            .chain(&kept)
            .map(|&(s, l)| (s, s.saturating_add(l)))
            .collect(),
    );
    suspects.extend(intersect_runs(&deleted, &live));
    let mut known: Vec<(u64, u64)> = allocation.allocated.clone();
    known.extend(allocation.unknown.iter().copied());
    known.sort_unstable();
    suspects.extend(subtract_runs(&union, &coalesce_runs(known)));
    suspects.sort_unstable();
    (union, coalesce_runs(suspects))
}
