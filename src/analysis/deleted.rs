//! Deleted inodes whose old block maps lead into blocks someone else holds now.

use super::*;
use crate::model::Code;
use crate::model::{BlockNo, Filesystem, Finding, InodeNo, coalesce_runs};
use std::collections::BTreeMap;
use sweep::Span;

/// Deleted inodes listed one by one in `reused_blocks` findings; the rest
/// are counted in one more.
pub(crate) const MAX_REUSED_LISTED: usize = 256;

/// Where a deleted inode's old block map points at blocks a live inode or
/// metadata holds now. Not a cross-link (a deleted inode claims nothing),
/// but what an examiner must know before recovering it: its old map now
/// leads to someone else's data. `live` are the analysis' spans, sorted.
pub(crate) fn reused_blocks(
    fs: &Filesystem,
    claims: &ClaimTable<'_>,
    live: &[Span],
    findings: &mut Vec<Finding>,
) {
    let fs_end = fs.info.block_count;
    let mut old: Vec<Span> = Vec::new();
    for inode in fs.inodes.iter().filter(|n| n.deleted) {
        let first = inode.runs.start as usize;
        for (k, run) in fs.runs_of(inode).iter().enumerate() {
            let (start, end) = (run.start.max(fs.first_data_block), run.end().min(fs_end));
            if start < end {
                old.push(Span {
                    start,
                    end,
                    id: first + k,
                });
            }
        }
    }
    if old.is_empty() {
        return;
    }
    old.sort_unstable_by_key(|s| (s.start, s.end, s.id));
    // Both lists are sorted by start: merged, they are swept in one pass.
    let mut all: Vec<Span> = Vec::with_capacity(live.len() + old.len());
    let (mut a, mut b) = (live.iter().peekable(), old.iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if (x.start, x.end, x.id) <= (y.start, y.end, y.id) => a.next(),
            (Some(_), Some(_)) | (None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => break,
        };
        all.extend(next.copied());
    }
    let is_old = |id: usize| {
        fs.runs.get(id).is_some()
            && claims
                .run_owner(id)
                .and_then(|i| fs.inodes.get(i))
                .is_some_and(|n| n.deleted)
    };
    /// What became of one deleted inode's old blocks.
    #[derive(Default)]
    struct Reuse {
        runs: Vec<(BlockNo, u64)>,
        /// Who holds them now, described; and the inodes among them.
        holders: Vec<String>,
        holder_inodes: Vec<InodeNo>,
    }
    // Deleted inode (index) → its reused runs and their holders.
    let mut reused: BTreeMap<usize, Reuse> = BTreeMap::new();
    for seg in sweep::overlaps_sorted(&all) {
        let (dead, alive): (Vec<usize>, Vec<usize>) = seg.ids.iter().partition(|&&id| is_old(id));
        if dead.is_empty() || alive.is_empty() {
            continue;
        }
        let mut holders: Vec<String> = Vec::new();
        let mut holder_inodes: Vec<InodeNo> = Vec::new();
        for id in alive {
            match claims.get_at(id, seg.start).map(|c| c.owner) {
                Some(Owner::Inode(i, _)) => {
                    if let Some(n) = fs.inodes.get(i) {
                        holders.push(describe(fs, n));
                        holder_inodes.push(n.ino);
                    }
                }
                Some(Owner::Metadata(role, group)) => holders.push(role.describe(group)),
                None => {}
            }
        }
        for id in dead {
            let Some(i) = claims.run_owner(id) else {
                continue;
            };
            let entry = reused.entry(i).or_default();
            entry.runs.push((seg.start, seg.end - seg.start));
            for h in &holders {
                if !entry.holders.contains(h) {
                    entry.holders.push(h.clone());
                }
            }
            for &ino in &holder_inodes {
                if !entry.holder_inodes.contains(&ino) {
                    entry.holder_inodes.push(ino);
                }
            }
        }
    }
    let guessed = if fs.units.clustered() {
        " (where it was, guessed contiguous from its first cluster and size)"
    } else {
        ""
    };
    let total = reused.len();
    for (i, reuse) in reused.into_iter().take(MAX_REUSED_LISTED) {
        let Some(n) = fs.inodes.get(i) else {
            continue;
        };
        let Reuse {
            mut runs,
            holders,
            holder_inodes,
        } = reuse;
        runs.sort_unstable();
        let runs: Vec<[u64; 2]> = coalesce_runs(runs)
            .into_iter()
            .map(|(s, l)| [s, l])
            .collect();
        findings.push(
            Finding::new(Code::ReusedBlocks,
                format!(
                    "deleted {}{guessed} had {} that now belong to {}: its old data there is overwritten, and recovering it through its old map would give their contents instead",
                    describe(fs, n),
                    runs_text(&fs.units, &runs),
                    join_and(&holders)
                ),
            )
            .with_inodes(std::iter::once(n.ino).chain(holder_inodes))
            .with_blocks(runs),
        );
    }
    if total > MAX_REUSED_LISTED {
        findings.push(Finding::new(Code::ReusedBlocks,
            format!(
                "{} more deleted inodes had blocks that live files or metadata hold now (not listed)",
                total - MAX_REUSED_LISTED
            ),
        ));
    }
}
