//! bigalloc: blocks are allocated in clusters, and a cluster has one owner at
//! one logical position. Sharing is judged per cluster the way e2fsck's pass 1
//! marks clusters (pass1.c `scan_extent_node`, `has_unaligned_cluster_map`,
//! `mark_block_used`): a cluster is multiply claimed when two claims mark it —
//! two inodes, an inode and metadata, one inode at two logical clusters, two
//! extent-tree blocks, or an extent whose logical and physical offsets within
//! the cluster differ (which e2fsck marks twice). Pass 1B then names every
//! block an inode maps inside such a cluster; so does each claimer here.
//!
//! The kernel's reason to care: when a file writes a block of a logical
//! cluster that already has a physical cluster, ext4 maps it to the block at
//! the same offset in that cluster (extents.c `get_implied_cluster_alloc`):
//! a misaligned map, or a cluster used by two owners, makes that write land on
//! a block someone already uses. Freeing one owner frees the whole cluster.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rayon::prelude::*;

use crate::model::Code;
use crate::model::{BlockNo, BlockRun, Filesystem, Finding, Inode, MetadataRegion, Role, Severity};

use super::sweep::{self, Span};
use super::{Claim, Claimer, Crosslink, Owner, claimer, describe, join_and, runs_text};

/// Who marked a cluster: an inode (its index in the model) or the metadata.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Marker {
    Inode(usize),
    Metadata,
}

/// The spans (in cluster numbers) that mark clusters, one per mark, and who
/// made each (`markers[span.id]`).
struct Marks {
    spans: Vec<Span>,
    markers: Vec<Marker>,
    /// Each xattr block's referrers: e2fsck marks the block once (for the
    /// first), every referrer still maps it.
    xattr_referrers: HashMap<BlockNo, Vec<usize>>,
}

impl Marks {
    fn mark(&mut self, first: u64, end: u64, by: Marker) {
        if first < end {
            self.spans.push(Span {
                start: first,
                end,
                id: self.markers.len(),
            });
            self.markers.push(by);
        }
    }
}

/// Whether an extent starting at (logical, physical) breaks the cluster rules
/// after the previous extent ended at (last_logical, last_physical):
/// pass1.c `has_unaligned_cluster_map`.
fn unaligned(per: u64, last: Option<(u64, u64)>, logical: u64, physical: u64) -> bool {
    if logical % per != physical % per {
        return true;
    }
    last.is_some_and(|(last_logical, last_physical)| {
        !logical.is_multiple_of(per)
            && logical / per == last_logical / per
            && physical / per != last_physical / per
    })
}

fn collect_marks(fs: &Filesystem, skip: &HashSet<usize>) -> Marks {
    let per = fs.cluster_blocks;
    let fs_end = fs.info.block_count;
    let mut marks = Marks {
        spans: Vec::new(),
        markers: Vec::new(),
        xattr_referrers: HashMap::new(),
    };
    // Metadata marks each cluster it touches once (mark_table_blocks sets the
    // bitmap without looking for duplicates).
    let mut meta: Vec<(u64, u64)> = fs
        .metadata
        .iter()
        .map(|r| {
            (
                r.start / per,
                r.end().min(fs_end).saturating_sub(1) / per + 1,
            )
        })
        .filter(|(s, e)| s < e)
        .collect();
    meta.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (s, e) in meta {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    for (s, e) in merged {
        marks.mark(s, e, Marker::Metadata);
    }
    for (i, inode) in fs.inodes.iter().enumerate() {
        if inode.deleted || skip.contains(&i) {
            continue;
        }
        // The last file block mapped: (logical, physical).
        let mut last: Option<(u64, u64)> = None;
        for run in fs.runs_of(inode) {
            let start = run.start.max(fs.first_data_block);
            let end = run.end().min(fs_end);
            if start >= end {
                continue;
            }
            match (run.role, run.logical) {
                (Role::Xattr, _) => {
                    let referrers = marks.xattr_referrers.entry(run.start).or_default();
                    referrers.push(i);
                    if referrers.len() == 1 {
                        marks.mark(start / per, start / per + 1, Marker::Inode(i));
                    }
                }
                (role, Some(logical)) if role.is_file_block() => {
                    if unaligned(per, last, logical, run.start) {
                        // e2fsck marks every block of the extent twice.
                        marks.mark(start / per, (end - 1) / per + 1, Marker::Inode(i));
                        marks.mark(start / per, (end - 1) / per + 1, Marker::Inode(i));
                    }
                    // The first cluster is not marked again when the previous
                    // extent ended in it.
                    let mut first = start / per;
                    if last.is_some_and(|(_, p)| p / per == first) {
                        first += 1;
                    }
                    marks.mark(first, (end - 1) / per + 1, Marker::Inode(i));
                    last = Some((logical.saturating_add(run.len - 1), run.end() - 1));
                }
                _ => {
                    // Tree and indirect blocks: mark_block_used, block by block.
                    for block in start..end {
                        marks.mark(block / per, block / per + 1, Marker::Inode(i));
                    }
                }
            }
        }
    }
    marks
}

/// One inode's runs in the filesystem, sorted by start, with the highest end
/// among each run and those before it (so that a range lookup starts at the
/// first run that can reach the range).
struct SortedRuns {
    runs: Vec<BlockRun>,
    max_end: Vec<u64>,
}

fn sorted_runs(fs: &Filesystem, inode: &Inode) -> SortedRuns {
    let mut runs: Vec<BlockRun> = fs
        .runs_of(inode)
        .iter()
        .filter(|r| r.start < fs.info.block_count && r.end() > fs.first_data_block)
        .cloned()
        .collect();
    runs.sort_unstable_by_key(|r| r.start);
    let mut highest = 0;
    let max_end = runs
        .iter()
        .map(|r| {
            highest = highest.max(r.end());
            highest
        })
        .collect();
    SortedRuns { runs, max_end }
}

impl SortedRuns {
    /// The runs that meet `[start, end)`.
    fn meeting(&self, start: u64, end: u64) -> impl Iterator<Item = &BlockRun> {
        let first = self.max_end.partition_point(|&e| e <= start);
        self.runs
            .iter()
            .skip(first)
            .take_while(move |r| r.start < end)
            .filter(move |r| r.end() > start)
    }

    /// Their blocks inside `[start, end)`, merged.
    fn blocks_within(&self, start: u64, end: u64) -> Vec<[u64; 2]> {
        let mut pieces: Vec<(u64, u64)> = self
            .meeting(start, end)
            .map(|r| (r.start.max(start), r.end().min(end)))
            .collect();
        pieces.sort_unstable();
        let mut out: Vec<[u64; 2]> = Vec::new();
        for (s, e) in pieces {
            match out.last_mut() {
                Some(last) if last[0] + last[1] >= s => last[1] = last[1].max(e - last[0]),
                _ => out.push([s, e - s]),
            }
        }
        out
    }
}

/// Replaces the block-level crosslinks inside multiply-claimed clusters with
/// one crosslink per shared cluster run, whose inode claimers each carry the
/// blocks they map there, and reports what the block-level findings do not
/// say already.
pub fn shared_clusters(
    fs: &Filesystem,
    crosslinks: &mut Vec<Crosslink>,
    findings: &mut Vec<Finding>,
) {
    // The filesystem's own inodes over their own metadata are the metadata.
    let skip: HashSet<usize> = fs
        .inodes
        .iter()
        .enumerate()
        .filter(|(_, n)| fs.own_metadata_inodes.iter().any(|&(ino, _)| ino == n.ino))
        .map(|(i, _)| i)
        .collect();
    let mut marks = collect_marks(fs, &skip);
    marks
        .spans
        .par_sort_unstable_by_key(|s| (s.start, s.end, s.id));
    let (cluster_links, groups) = ClusterScan::new(fs, &marks).crosslinks();
    if cluster_links.is_empty() {
        return;
    }
    let said = Said::new(crosslinks);
    // The cluster-level crosslinks replace the block-level ones inside them.
    let inside = |c: &Crosslink| {
        let k = cluster_links.partition_point(|k| k.start_block + k.block_count <= c.start_block);
        cluster_links.get(k).is_some_and(|k| {
            k.start_block <= c.start_block
                && c.start_block.saturating_add(c.block_count) <= k.start_block + k.block_count
        })
    };
    crosslinks.retain(|c| c.legitimate || !inside(c));
    for ((owners, has_meta), runs) in groups {
        let inodes: Vec<&Inode> = owners.iter().filter_map(|&i| fs.inodes.get(i)).collect();
        let covered = runs.iter().all(|&[s, l]| {
            inodes.iter().all(|n| {
                said.meeting(s, s + l)
                    .any(|(_, _, inos)| inos.contains(&n.ino))
            })
        });
        if covered || inodes.is_empty() {
            continue;
        }
        findings.push(cluster_finding(fs, &inodes, has_meta, runs));
    }
    crosslinks.extend(cluster_links);
    crosslinks.sort_by_key(|c| c.start_block);
}

/// Cluster runs by who shares them (inodes, metadata involved): block ranges.
type Groups = BTreeMap<(Vec<usize>, bool), Vec<[u64; 2]>>;

/// The sweep over the marked clusters, with the lookups it needs.
struct ClusterScan<'a> {
    fs: &'a Filesystem,
    marks: &'a Marks,
    /// Blocks per cluster, and the filesystem's end.
    per: u64,
    fs_end: u64,
    /// xattr blocks in block order, for a range lookup per shared segment.
    xattrs: Vec<(BlockNo, &'a Vec<usize>)>,
    /// Metadata regions in block order.
    metadata: Vec<&'a MetadataRegion>,
    /// Each owner's runs, sorted once when first needed.
    by_inode: HashMap<usize, SortedRuns>,
}

impl<'a> ClusterScan<'a> {
    fn new(fs: &'a Filesystem, marks: &'a Marks) -> Self {
        let mut xattrs: Vec<(BlockNo, &Vec<usize>)> =
            marks.xattr_referrers.iter().map(|(&b, r)| (b, r)).collect();
        xattrs.sort_unstable_by_key(|&(b, _)| b);
        let mut metadata: Vec<_> = fs.metadata.iter().collect();
        metadata.sort_unstable_by_key(|r| r.start);
        ClusterScan {
            fs,
            marks,
            per: fs.cluster_blocks,
            fs_end: fs.info.block_count,
            xattrs,
            metadata,
            by_inode: HashMap::new(),
        }
    }

    /// One crosslink per multiply-marked cluster run, and the runs grouped
    /// by who shares them.
    fn crosslinks(mut self) -> (Vec<Crosslink>, Groups) {
        let mut groups: Groups = BTreeMap::new();
        let mut cluster_links: Vec<Crosslink> = Vec::new();
        for seg in sweep::overlaps_sorted(&self.marks.spans) {
            let (start, end) = (
                seg.start.saturating_mul(self.per),
                seg.end.saturating_mul(self.per).min(self.fs_end),
            );
            if start >= end {
                continue;
            }
            let (owners, has_meta) = self.owners(&seg.ids, start, end);
            let mut claimers = self.inode_claimers(&owners, start, end);
            if has_meta {
                claimers.extend(self.metadata_claimers(start, end));
            }
            cluster_links.push(Crosslink {
                start_block: start,
                block_count: end - start,
                claimer_count: claimers.len(),
                claimers,
                legitimate: false,
                reason: cluster_reason(owners.len(), has_meta),
            });
            groups
                .entry((owners.into_iter().collect(), has_meta))
                .or_default()
                .push([start, end - start]);
        }
        (cluster_links, groups)
    }

    /// The inodes that mark the segment's clusters, and whether metadata
    /// does. Every referrer of an xattr block in these clusters maps it,
    /// though only the first marked it.
    fn owners(&self, ids: &[usize], start: u64, end: u64) -> (BTreeSet<usize>, bool) {
        let mut owners: BTreeSet<usize> = BTreeSet::new();
        let mut has_meta = false;
        for &id in ids {
            match self.marks.markers.get(id) {
                Some(Marker::Inode(i)) => {
                    owners.insert(*i);
                }
                Some(Marker::Metadata) => has_meta = true,
                None => {}
            }
        }
        let first_xattr = self.xattrs.partition_point(|&(b, _)| b < start);
        for &(_, referrers) in self
            .xattrs
            .iter()
            .skip(first_xattr)
            .take_while(|&&(b, _)| b < end)
        {
            if referrers.first().is_some_and(|f| owners.contains(f)) {
                owners.extend(referrers.iter().copied());
            }
        }
        (owners, has_meta)
    }

    /// Each owner as a claimer at its first run in `[start, end)`, with
    /// the blocks it maps there.
    fn inode_claimers(&mut self, owners: &BTreeSet<usize>, start: u64, end: u64) -> Vec<Claimer> {
        let fs = self.fs;
        let mut claimers: Vec<Claimer> = Vec::new();
        for &i in owners {
            let Some(inode) = fs.inodes.get(i) else {
                continue;
            };
            let runs = self
                .by_inode
                .entry(i)
                .or_insert_with(|| sorted_runs(fs, inode));
            let blocks = runs.blocks_within(start, end);
            let Some(first) = runs.meeting(start, end).next() else {
                continue;
            };
            let c = Claim {
                start: first.start,
                owner: Owner::Inode(i, first.role),
                logical: first.logical,
            };
            let mut cl = claimer(fs, &c, first.start.max(start));
            if let Claimer::Inode { blocks: b, .. } = &mut cl {
                *b = blocks;
            }
            claimers.push(cl);
        }
        claimers
    }

    /// The metadata regions that meet `[start, end)`.
    fn metadata_claimers(&self, start: u64, end: u64) -> impl Iterator<Item = Claimer> + '_ {
        let k = self.metadata.partition_point(|r| r.end() <= start);
        self.metadata
            .iter()
            .skip(k)
            .take_while(move |r| r.start < end)
            .filter(move |r| r.end() > start)
            .map(|r| Claimer::Metadata {
                role: r.role,
                group: r.group,
            })
    }
}

/// A shared cluster run's reason, by how many inodes share it and whether
/// metadata does.
fn cluster_reason(inodes: usize, has_meta: bool) -> String {
    match (inodes, has_meta) {
        (0, _) => "filesystem structures share a cluster".to_string(),
        (1, false) => "one inode maps this cluster out of bigalloc's rules (a block at a logical offset other than its physical one, or one cluster at two logical positions)".to_string(),
        (_, true) => "an inode allocates blocks in a cluster that holds filesystem metadata (one owner per cluster)".to_string(),
        (n, false) => format!("{n} inodes allocate blocks in the same bigalloc cluster (one owner per cluster)"),
    }
}

/// What the block-level findings already say: illegitimate block-level
/// crosslinks, as (start, end, their inodes), in block order.
struct Said(Vec<(u64, u64, BTreeSet<u64>)>);

impl Said {
    fn new(crosslinks: &[Crosslink]) -> Said {
        let mut said: Vec<(u64, u64, BTreeSet<u64>)> = crosslinks
            .iter()
            .filter(|c| !c.legitimate)
            .map(|c| {
                let inos = c
                    .claimers
                    .iter()
                    .filter_map(|cl| match cl {
                        Claimer::Inode { inode, .. } => Some(*inode),
                        Claimer::Metadata { .. } => None,
                    })
                    .collect();
                (
                    c.start_block,
                    c.start_block.saturating_add(c.block_count),
                    inos,
                )
            })
            .collect();
        said.sort_unstable_by_key(|&(start, _, _)| start);
        Said(said)
    }

    /// The crosslinks that meet `[s, e)`. Both lists hold disjoint runs in
    /// block order: lookups by binary search.
    fn meeting(&self, s: u64, e: u64) -> impl Iterator<Item = &(u64, u64, BTreeSet<u64>)> {
        let k = self.0.partition_point(|(_, end, _)| *end <= s);
        self.0
            .iter()
            .skip(k)
            .take_while(move |(start, _, _)| *start < e)
    }
}

/// The finding for the cluster runs `runs` shared by `inodes` (and the
/// metadata, with `has_meta`).
fn cluster_finding(
    fs: &Filesystem,
    inodes: &[&Inode],
    has_meta: bool,
    runs: Vec<[u64; 2]>,
) -> Finding {
    let per = fs.cluster_blocks;
    let who: Vec<String> = inodes.iter().map(|n| describe(fs, n)).collect();
    let total: u64 = runs.iter().map(|r| r[1]).sum();
    let clusters = total.div_ceil(per);
    let (severity, code, what) = match (inodes.len(), has_meta) {
        (1, false) => (
            Severity::High,
            Code::ClusterMisaligned,
            format!(
                "{} maps blocks in {} against bigalloc's rules: a block's offset in its logical cluster differs from its offset in the physical cluster, or one physical cluster serves two logical ones. The kernel maps a later write into that logical cluster onto the block at the same offset (get_implied_cluster_alloc), which the file may already use for other data; e2fsck reports \"violates cluster allocation rules\"",
                join_and(&who),
                runs_text(&fs.units, &runs)
            ),
        ),
        (_, true) => (
            Severity::Critical,
            Code::MetadataOverlap,
            format!(
                "{} allocate(s) blocks in {} that hold filesystem metadata: with bigalloc a cluster has one owner, so freeing the file frees the metadata's cluster and the next allocation overwrites it",
                join_and(&who),
                runs_text(&fs.units, &runs)
            ),
        ),
        _ => (
            Severity::Critical,
            Code::Crosslink,
            format!(
                "{} allocate blocks in the same {} of {per} blocks ({}): with bigalloc a cluster has one owner, so deleting or truncating one frees blocks the other still uses (double free)",
                join_and(&who),
                if clusters == 1 {
                    "cluster".to_string()
                } else {
                    format!("{clusters} clusters")
                },
                runs_text(&fs.units, &runs)
            ),
        ),
    };
    Finding::new(code, format!("{what}."))
        .with_severity(severity)
        .with_inodes(inodes.iter().map(|n| n.ino))
        .with_blocks(runs)
}
