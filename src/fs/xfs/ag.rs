//! One allocation group's walk: its headers, each of its btrees, its inode
//! chunks and the AGFL, gathered for the whole volume.
//!
//! Sources: `xfs_format.h` (`xfs_alloc_rec`, `xfs_inobt_rec`,
//! `xfs_rmap_rec`, `xfs_refcount_rec`), xfs-documentation
//! `allocation_groups.asciidoc`, `btrees.asciidoc`, `rmapbt.asciidoc`,
//! `refcountbt.asciidoc`. Every record's blocks are agbnos; what is gathered
//! is linear (`agno × agblocks + agbno`).

use std::collections::HashSet;

use crate::bytes::{be16, be32, be64};
use crate::image::View;
use crate::model::{Code, Finding, MetadataRegion, coalesce_runs};

use super::reflink::{self, Fork, Refcount, Rmap};
use super::sb::{self, Ag, Geo};
use super::{btree, roles};

/// Inodes per inode chunk (`XFS_INODES_PER_CHUNK`).
const INODES_PER_CHUNK: u64 = 64;

/// Findings about single btree records kept per AG: a hostile tree of a
/// million bad records gives the first few, not a million.
const MAX_RECORD_FINDINGS: usize = 32;

/// What the AG walk gathers.
#[derive(Default)]
pub(super) struct Gathered {
    pub metadata: Vec<MetadataRegion>,
    /// Free extents from the bnobt, linear; and AGs whose bnobt was not read.
    pub free: Vec<(u64, u64)>,
    pub unknown: Vec<(u64, u64)>,
    /// In-use inode numbers, from the inobt.
    pub inodes: Vec<u64>,
    pub refcounts: Vec<Refcount>,
    pub rmaps: Vec<Rmap>,
    /// The filesystem's own blocks by rmap owner (`OWN_FS`, `OWN_AG`, …):
    /// (owner, linear start, length).
    pub owned: Vec<(i64, u64, u64)>,
    /// AGs whose rmapbt and inobt were walked: what they do not cover is
    /// not held against the other trees.
    pub rmap_ags: HashSet<u32>,
    pub ino_ags: HashSet<u32>,
}

/// Reads one AG: headers, the trees, the inode chunks.
pub(super) fn walk_ag(
    view: &View<'_>,
    geo: &Geo,
    agno: u32,
    g: &mut Gathered,
    findings: &mut Vec<Finding>,
) {
    let ag = sb::ag_headers(view, geo, agno, findings);
    let Some(first) = geo.linear(agno, 0) else {
        return;
    };
    let mut walk = AgWalk {
        view,
        geo,
        agno,
        first,
        len: geo.ag_len(agno),
        ag_blocks: Vec::new(),
        inobt_blocks: Vec::new(),
        refc_blocks: Vec::new(),
        bad_records: Vec::new(),
    };
    g.metadata.push(MetadataRegion {
        start: first,
        len: walk.header_blocks(),
        role: roles::AG_HEADER,
        group: Some(agno),
    });
    walk.free_space(&ag, g, findings);
    walk.inode_btrees(&ag, g, findings);
    walk.rmapbt(&ag, g, findings);
    walk.refcountbt(&ag, g, findings);
    // Problems with single records come after the walks' own.
    findings.append(&mut walk.bad_records);
    walk.claim_own_blocks(&ag, g, findings);
}

/// One AG being read: where it lies, and the blocks its trees use.
struct AgWalk<'a, 'v> {
    view: &'a View<'v>,
    geo: &'a Geo,
    agno: u32,
    /// Linear block of agbno 0, and the AG's length in blocks.
    first: u64,
    len: u64,
    /// Btree blocks by their rmap owner: OWN_AG (free-space btrees, rmapbt),
    /// OWN_INOBT (inobt, finobt), OWN_REFC (refcountbt).
    ag_blocks: Vec<u32>,
    inobt_blocks: Vec<u32>,
    refc_blocks: Vec<u32>,
    /// Problems with single records, gathered apart from the walk's own.
    bad_records: Vec<Finding>,
}

/// `xfs_alloc_rec` (bnobt and cntbt): ar_startblock (0), ar_blockcount (4).
struct AllocRec {
    start: u32,
    len: u32,
}

impl AllocRec {
    fn decode(r: &[u8]) -> AllocRec {
        AllocRec {
            start: be32(r, 0),
            len: be32(r, 4),
        }
    }
}

/// `xfs_inobt_rec`: ir_startino (0, an AG inode number), ir_holemask (4, a
/// bit per four inodes of a sparse chunk that are not there), ir_free (8, a
/// bit per inode that is free).
struct InobtRec {
    startino: u64,
    holemask: u16,
    free: u64,
}

/// `xfs_rmap_rec`: rm_startblock (0), rm_blockcount (4), rm_owner (8, the
/// kernel's signed owner: an inode number or a special OWN_*), rm_offset
/// (16, with the attribute-fork flag in bit 63 and the bmbt-block flag in
/// bit 62).
fn decode_rmap(r: &[u8]) -> (u64, u64, i64, Fork) {
    let (s, l) = (u64::from(be32(r, 0)), u64::from(be32(r, 4)));
    let (owner, offset) = (be64(r, 8) as i64, be64(r, 16));
    let fork = if offset >> 62 & 1 != 0 {
        Fork::Bmbt
    } else if offset >> 63 != 0 {
        Fork::Attr
    } else {
        Fork::Data
    };
    (s, l, owner, fork)
}

impl AgWalk<'_, '_> {
    /// SB, AGF, AGI, AGFL: the first four sectors, in blocks.
    fn header_blocks(&self) -> u64 {
        (4 * self.geo.sectsize).div_ceil(self.geo.bs)
    }

    fn linear(&self, agbno: u64) -> u64 {
        self.first.saturating_add(agbno)
    }

    fn walk_tree(
        &self,
        kind: btree::Kind,
        root: (u32, u16),
        blocks: &mut Vec<u32>,
        findings: &mut Vec<Finding>,
        record: impl FnMut(&[u8]),
    ) {
        btree::walk(
            self.view, self.geo, self.agno, kind, root, blocks, findings, record,
        );
    }

    fn bad_record(&mut self, f: Finding) {
        if self.bad_records.len() < MAX_RECORD_FINDINGS {
            self.bad_records.push(f);
        }
    }

    /// The bnobt gives the free extents; the cntbt must index the same ones.
    fn free_space(&mut self, ag: &Ag, g: &mut Gathered, findings: &mut Vec<Finding>) {
        let mut blocks = std::mem::take(&mut self.ag_blocks);
        match ag.bno {
            Some(root) => {
                let mut records = Vec::new();
                self.walk_tree(btree::BNOBT, root, &mut blocks, findings, |r| {
                    records.push(AllocRec::decode(r));
                });
                for AllocRec { start, len } in records {
                    let (s, l) = (u64::from(start), u64::from(len));
                    if s.saturating_add(l) <= self.len && l > 0 {
                        g.free.push((self.linear(s), l));
                    } else {
                        let (agno, ag_len) = (self.agno, self.len);
                        self.bad_record(Finding::new(
                            Code::BadBtreeRecord,
                            format!(
                                "AG {agno} bnobt: free extent {s}+{l} runs past the AG ({ag_len} blocks)"
                            ),
                        ));
                    }
                }
            }
            None => g.unknown.push((self.first, self.len)),
        }
        if let Some(root) = ag.cnt {
            let mut by_size: Vec<(u32, u32)> = Vec::new();
            self.walk_tree(btree::CNTBT, root, &mut blocks, findings, |r| {
                let rec = AllocRec::decode(r);
                by_size.push((rec.start, rec.len));
            });
            if ag.bno.is_some() {
                self.compare_free_trees(g, by_size, findings);
            }
        }
        self.ag_blocks = blocks;
    }

    /// The two free-space btrees index the same extents.
    fn compare_free_trees(
        &self,
        g: &Gathered,
        mut by_size: Vec<(u32, u32)>,
        findings: &mut Vec<Finding>,
    ) {
        let (first, end) = (self.first, self.first.saturating_add(self.len));
        let mut by_bno: Vec<(u32, u32)> = g
            .free
            .iter()
            .filter(|&&(s, _)| s >= first && s < end)
            .filter_map(|&(s, l)| Some((u32::try_from(s - first).ok()?, u32::try_from(l).ok()?)))
            .collect();
        by_bno.sort_unstable();
        by_size.sort_unstable();
        if by_bno == by_size {
            return;
        }
        let only = |a: &[(u32, u32)], b: &[(u32, u32)]| {
            a.iter()
                .filter(|x| b.binary_search(x).is_err())
                .take(4)
                .map(|(s, l)| format!("{s}+{l}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        findings.push(Finding::new(Code::FreeSpaceTreesDisagree,
            format!(
                "AG {}: the bnobt lists {} free extents, the cntbt {} (only in the bnobt: [{}]; only in the cntbt: [{}]): one of them was forged or damaged, and the allocator trusts both",
                self.agno,
                by_bno.len(),
                by_size.len(),
                only(&by_bno, &by_size),
                only(&by_size, &by_bno)
            ),
        ));
    }

    /// The finobt (its blocks only) and the inobt: the in-use inodes, and
    /// the inode chunks as metadata.
    fn inode_btrees(&mut self, ag: &Ag, g: &mut Gathered, findings: &mut Vec<Finding>) {
        let mut blocks = std::mem::take(&mut self.inobt_blocks);
        if let Some(root) = ag.fino {
            self.walk_tree(btree::FINOBT, root, &mut blocks, findings, |_| {});
        }
        let mut records = Vec::new();
        if let Some(root) = ag.ino {
            g.ino_ags.insert(self.agno);
            self.walk_tree(btree::INOBT, root, &mut blocks, findings, |r| {
                records.push(InobtRec {
                    startino: u64::from(be32(r, 0)),
                    holemask: be16(r, 4),
                    free: be64(r, 8),
                });
            });
        }
        self.inobt_blocks = blocks;
        let mut chunks: Vec<(u64, u64)> = Vec::new();
        // A chunk listed twice is read once: in-use inodes stay bounded by the
        // AG's inode slots, whatever the records say.
        let mut starts: HashSet<u64> = HashSet::new();
        for rec in records {
            self.inode_chunk(&rec, &mut starts, &mut chunks, &mut g.inodes);
        }
        chunks.sort_unstable();
        for (start, len) in coalesce_runs(chunks) {
            g.owned.push((reflink::OWN_INODES, start, len));
            g.metadata.push(MetadataRegion {
                start,
                len,
                role: roles::INODE_CHUNK,
                group: Some(self.agno),
            });
        }
    }

    /// One inobt record: its chunk's blocks (sparse chunks only where they
    /// hold inodes) and its in-use inodes.
    fn inode_chunk(
        &mut self,
        rec: &InobtRec,
        starts: &mut HashSet<u64>,
        chunks: &mut Vec<(u64, u64)>,
        inodes: &mut Vec<u64>,
    ) {
        let (geo, agno, startino) = (self.geo, self.agno, rec.startino);
        let chunk_blocks = (INODES_PER_CHUNK >> geo.inopblog).max(1);
        let first_block = startino >> geo.inopblog;
        // Chunks start on a block (aligned to sb_inoalignmt, which
        // v4 filesystems keep below a whole chunk).
        if startino % INODES_PER_CHUNK.min(1u64 << geo.inopblog) != 0
            || first_block.saturating_add(chunk_blocks) > self.len
        {
            self.bad_record(Finding::new(
                Code::BadBtreeRecord,
                format!(
                    "AG {agno} inobt: inode chunk at AG inode {startino} lies outside the AG or off its alignment"
                ),
            ));
            return;
        }
        if !starts.insert(startino) {
            self.bad_record(Finding::new(
                Code::BadBtreeRecord,
                format!("AG {agno} inobt: the chunk at AG inode {startino} is listed twice"),
            ));
            return;
        }
        for slot in 0..INODES_PER_CHUNK {
            // A holemask bit covers four inodes (sparse chunks).
            if rec.holemask >> (slot / 4) & 1 != 0 {
                continue;
            }
            let agino = startino + slot;
            let b = self.linear(agino >> geo.inopblog);
            if chunks.last().map(|&(s, _)| s) != Some(b) {
                chunks.push((b, 1));
            }
            if rec.free >> slot & 1 == 0 {
                inodes.push(geo.ino(agno, agino));
            }
        }
    }

    /// The rmapbt: every record that fits in the AG, for the reflink
    /// verdicts and the owner checks.
    fn rmapbt(&mut self, ag: &Ag, g: &mut Gathered, findings: &mut Vec<Finding>) {
        let Some(root) = ag.rmap else {
            return;
        };
        g.rmap_ags.insert(self.agno);
        let mut blocks = std::mem::take(&mut self.ag_blocks);
        let mut records = Vec::new();
        self.walk_tree(btree::RMAPBT, root, &mut blocks, findings, |r| {
            records.push(decode_rmap(r));
        });
        self.ag_blocks = blocks;
        for (s, l, owner, fork) in records {
            if s.saturating_add(l) <= self.len {
                g.rmaps.push(Rmap {
                    start: self.linear(s),
                    len: l,
                    owner,
                    fork,
                });
            }
        }
    }

    /// The refcountbt: `xfs_refcount_rec` rc_startblock (0; bit 31 marks a
    /// copy-on-write staging extent), rc_blockcount (4), rc_refcount (8).
    fn refcountbt(&mut self, ag: &Ag, g: &mut Gathered, findings: &mut Vec<Finding>) {
        let Some(root) = ag.refcount else {
            return;
        };
        let mut blocks = std::mem::take(&mut self.refc_blocks);
        let mut records = Vec::new();
        self.walk_tree(btree::REFCOUNTBT, root, &mut blocks, findings, |r| {
            records.push((be32(r, 0), u64::from(be32(r, 4)), u64::from(be32(r, 8))));
        });
        self.refc_blocks = blocks;
        let agno = self.agno;
        for (raw, l, count) in records {
            let s = u64::from(raw & 0x7FFF_FFFF);
            if s.saturating_add(l) > self.len {
                self.bad_record(Finding::new(
                    Code::BadBtreeRecord,
                    format!("AG {agno} refcountbt: record {s}+{l} runs past the AG"),
                ));
            } else if raw & 0x8000_0000 != 0 {
                let f = Finding::new(Code::CowStaging,
                    format!(
                        "AG {agno} blocks {s}–{}: a copy-on-write staging extent (the filesystem was not unmounted cleanly; mount frees it)",
                        s.saturating_add(l).saturating_sub(1)
                    ),
                )
                .with_blocks([[self.linear(s), l]]);
                self.bad_record(f);
            } else {
                g.refcounts.push(Refcount {
                    start: self.linear(s),
                    len: l,
                    count,
                });
            }
        }
    }

    /// The AG's own blocks: the headers, every btree block and the AGFL,
    /// as metadata and by their rmap owner.
    fn claim_own_blocks(&self, ag: &Ag, g: &mut Gathered, findings: &mut Vec<Finding>) {
        for (owner, blocks) in [
            (reflink::OWN_AG, &self.ag_blocks),
            (reflink::OWN_INOBT, &self.inobt_blocks),
            (reflink::OWN_REFC, &self.refc_blocks),
        ] {
            g.owned.extend(
                blocks
                    .iter()
                    .map(|&b| (owner, self.linear(u64::from(b)), 1)),
            );
        }
        g.owned
            .push((reflink::OWN_FS, self.first, self.header_blocks()));
        let group = Some(self.agno);
        let mut tree_blocks: Vec<u32> = self.ag_blocks.clone();
        tree_blocks.extend(&self.inobt_blocks);
        tree_blocks.extend(&self.refc_blocks);
        tree_blocks.sort_unstable();
        for b in tree_blocks {
            g.metadata.push(MetadataRegion {
                start: self.linear(u64::from(b)),
                len: 1,
                role: roles::BTREE,
                group,
            });
        }
        for &b in &ag.agfl {
            if u64::from(b) < self.len {
                g.metadata.push(MetadataRegion {
                    start: self.linear(u64::from(b)),
                    len: 1,
                    role: roles::FREE_LIST,
                    group,
                });
                g.owned
                    .push((reflink::OWN_AG, self.linear(u64::from(b)), 1));
            } else {
                findings.push(Finding::new(
                    Code::BadAgHeader,
                    format!("AG {}: the AGFL lists block {b}, outside the AG", self.agno),
                ));
            }
        }
    }
}
