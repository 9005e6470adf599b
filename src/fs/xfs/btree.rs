//! The per-AG btrees (bnobt, cntbt, inobt, finobt, rmapbt, refcountbt): a
//! bounded walk that checks each block against where it was found and hands
//! the leaf records to the caller.
//!
//! Sources: `xfs_format.h` (`struct xfs_btree_block` short form, the record
//! and key layouts), xfs-documentation `btrees.asciidoc`, `rmapbt.asciidoc`
//! (overlapping low/high keys in rmapbt nodes), `refcountbt.asciidoc`.

use std::collections::HashSet;

use crate::image::View;
use crate::model::Code;
use crate::model::Finding;

use super::sb::{Geo, MAX_LEVELS, crc_ok};
use crate::bytes::{be16, be32, be64};

/// Findings one tree may give before its walk stops.
const MAX_PROBLEMS: usize = 32;

/// One kind of short-form btree.
#[derive(Debug, Clone, Copy)]
pub(super) struct Kind {
    pub name: &'static str,
    magic_v5: u32,
    magic_v4: u32,
    /// Bytes per leaf record.
    pub rec_len: usize,
    /// Bytes per key in a node (rmapbt keeps a low and a high key).
    key_len: usize,
}

pub(super) const BNOBT: Kind = Kind {
    name: "bnobt",
    magic_v5: 0x4142_3342,
    magic_v4: 0x4142_5442,
    rec_len: 8,
    key_len: 8,
};
pub(super) const CNTBT: Kind = Kind {
    name: "cntbt",
    magic_v5: 0x4142_3343,
    magic_v4: 0x4142_5443,
    rec_len: 8,
    key_len: 8,
};
pub(super) const INOBT: Kind = Kind {
    name: "inobt",
    magic_v5: 0x4941_4233,
    magic_v4: 0x4941_4254,
    rec_len: 16,
    key_len: 4,
};
pub(super) const FINOBT: Kind = Kind {
    name: "finobt",
    magic_v5: 0x4649_4233,
    magic_v4: 0x4649_4254,
    rec_len: 16,
    key_len: 4,
};
pub(super) const RMAPBT: Kind = Kind {
    name: "rmapbt",
    magic_v5: 0x524D_4233,
    magic_v4: 0,
    rec_len: 24,
    key_len: 40,
};
pub(super) const REFCOUNTBT: Kind = Kind {
    name: "refcountbt",
    magic_v5: 0x5233_4643,
    magic_v4: 0,
    rec_len: 12,
    key_len: 4,
};

/// Walks the tree rooted at `root` (`levels` deep) in AG `agno`: every
/// block it visits is pushed to `blocks` (as agbnos), every leaf record is
/// given to `record`. A block that is out of the AG, unreadable, of the wrong
/// kind or level, already visited, or fails its CRC or self-description
/// becomes a finding; the walk goes on with the rest.
#[allow(clippy::too_many_arguments)]
pub(super) fn walk(
    view: &View<'_>,
    geo: &Geo,
    agno: u32,
    kind: Kind,
    (root, levels): (u32, u16),
    blocks: &mut Vec<u32>,
    findings: &mut Vec<Finding>,
    mut record: impl FnMut(&[u8]),
) {
    let tree = Tree::new(view, geo, agno, kind);
    let first_finding = findings.len();
    let mut visited: HashSet<u32> = HashSet::new();
    let mut stack: Vec<(u32, u16)> = vec![(root, levels.saturating_sub(1))];
    // Each block is visited once, so the walk is bounded by the AG's size.
    let budget = geo.ag_len(agno);
    // Problems per tree are capped: a hostile tree of shared subtrees would
    // otherwise give one finding per pointer.
    while let Some((agbno, level)) = stack.pop() {
        let problems = findings.len().saturating_sub(first_finding);
        if problems >= MAX_PROBLEMS {
            tree.problem(
                findings,
                agbno,
                None,
                format!("{MAX_PROBLEMS} problems in this tree: walk stopped"),
            );
            break;
        }
        if visited.len() as u64 >= budget || stack.len() as u64 >= budget {
            tree.problem(
                findings,
                agbno,
                None,
                "the tree has more blocks than its AG: walk stopped".into(),
            );
            break;
        }
        if !visited.insert(agbno) {
            tree.problem(
                findings,
                agbno,
                None,
                "reached twice (a loop or a shared subtree)".into(),
            );
            continue;
        }
        let Some((linear, block)) = tree.read(agbno, findings) else {
            continue;
        };
        blocks.push(agbno);
        let Some(numrecs) = tree.check(block, agbno, linear, level, findings) else {
            continue;
        };
        if level == 0 {
            for k in 0..numrecs {
                let at = tree.hdr.saturating_add(k.saturating_mul(kind.rec_len));
                if let Some(r) = block.get(at..at.saturating_add(kind.rec_len)) {
                    record(r);
                }
            }
        } else {
            // The pointers follow as many keys as a node could hold, not
            // `numrecs` of them.
            let ptrs = tree
                .hdr
                .saturating_add(tree.maxrecs_node.saturating_mul(kind.key_len));
            for k in (0..numrecs).rev() {
                let child = be32(block, ptrs.saturating_add(4 * k));
                if !visited.contains(&child) {
                    stack.push((child, level - 1));
                }
            }
        }
    }
}

/// One tree's walk: where its blocks lie and how many entries fit in one.
struct Tree<'a, 'v> {
    view: &'a View<'v>,
    geo: &'a Geo,
    agno: u32,
    kind: Kind,
    /// Bytes of the short-form block header (`xfs_btree_block`): 56 with
    /// the v5 CRC fields, 16 without.
    hdr: usize,
    maxrecs_leaf: usize,
    maxrecs_node: usize,
}

impl<'a, 'v> Tree<'a, 'v> {
    fn new(view: &'a View<'v>, geo: &'a Geo, agno: u32, kind: Kind) -> Self {
        let hdr: usize = if geo.v5 { 56 } else { 16 };
        let room = (geo.bs as usize).saturating_sub(hdr);
        Tree {
            view,
            geo,
            agno,
            kind,
            hdr,
            maxrecs_leaf: room / kind.rec_len,
            maxrecs_node: room / (kind.key_len + 4),
        }
    }

    fn problem(&self, findings: &mut Vec<Finding>, agbno: u32, linear: Option<u64>, why: String) {
        let mut f = Finding::new(
            Code::BadBtreeBlock,
            format!("AG {} {} block {agbno}: {why}", self.agno, self.kind.name),
        );
        if let Some(b) = linear {
            f = f.with_blocks([[b, 1]]);
        }
        findings.push(f);
    }

    /// The block at `agbno` and its linear number, if it lies in the AG
    /// and the image.
    fn read(&self, agbno: u32, findings: &mut Vec<Finding>) -> Option<(u64, &'a [u8])> {
        let geo = self.geo;
        let Some(linear) = geo.linear(self.agno, u64::from(agbno)) else {
            self.problem(findings, agbno, None, "lies outside its AG".into());
            return None;
        };
        let Ok(block) = self
            .view
            .read(linear.saturating_mul(geo.bs), geo.bs as usize)
        else {
            self.problem(
                findings,
                agbno,
                Some(linear),
                "lies past the end of the image".into(),
            );
            return None;
        };
        Some((linear, block))
    }

    /// Checks a block's header against where the walk found it:
    /// bb_magic (0), bb_level (4), bb_numrecs (6); v5 adds bb_blkno (16,
    /// the daddr), bb_owner (48, the AG) and bb_crc (52). Its record or
    /// pointer count, None when the block cannot be read as this tree's.
    fn check(
        &self,
        block: &[u8],
        agbno: u32,
        linear: u64,
        level: u16,
        findings: &mut Vec<Finding>,
    ) -> Option<usize> {
        let (geo, agno, kind) = (self.geo, self.agno, self.kind);
        let magic = be32(block, 0);
        let want = if geo.v5 { kind.magic_v5 } else { kind.magic_v4 };
        if magic != want {
            self.problem(
                findings,
                agbno,
                Some(linear),
                format!("magic {magic:#010x}, not {want:#010x}"),
            );
            return None;
        }
        let (got_level, numrecs) = (be16(block, 4), usize::from(be16(block, 6)));
        if got_level != level || got_level >= MAX_LEVELS {
            self.problem(
                findings,
                agbno,
                Some(linear),
                format!("level {got_level} where the tree expects {level}"),
            );
            return None;
        }
        if geo.v5 {
            let (ok, stored, computed) = crc_ok(block, 52);
            if !ok {
                findings.push(
                    Finding::new(Code::ChecksumMismatch,
                        format!(
                            "AG {agno} {} block {agbno}: crc32c is {stored:#010x}, computed {computed:#010x}",
                            kind.name
                        ),
                    )
                    .with_blocks([[linear, 1]]),
                );
            }
            let daddr = linear.saturating_mul(geo.bs / 512);
            if be64(block, 16) != daddr || be32(block, 48) != agno {
                self.problem(
                    findings,
                    agbno,
                    Some(linear),
                    format!(
                        "says it is daddr {} of AG {}, but lies at daddr {daddr} of AG {agno} (moved or forged)",
                        be64(block, 16),
                        be32(block, 48)
                    ),
                );
            }
        }
        let max = if level == 0 {
            self.maxrecs_leaf
        } else {
            self.maxrecs_node
        };
        if numrecs > max {
            self.problem(
                findings,
                agbno,
                Some(linear),
                format!("{numrecs} records where at most {max} fit"),
            );
            return None;
        }
        Some(numrecs)
    }
}
