//! Block and inode numbers, and how reports name a format's blocks.

use serde::Serialize;

/// A filesystem block number (volume-relative, in filesystem blocks).
pub type BlockNo = u64;
/// An inode number as the filesystem numbers it (ext: 1-based).
pub type InodeNo = u64;

/// How reports name a format's blocks and its allocation map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Units {
    /// "block", or "sector" where block numbers are sectors (FAT).
    pub block: &'static str,
    /// "block bitmap", "FAT".
    pub allocation_map: &'static str,
    /// Where blocks are sectors grouped in clusters (FAT): the first sector
    /// of cluster 2 and the sectors per cluster, so that reports can give
    /// cluster numbers too, as fsck.fat does.
    pub clusters: Option<(BlockNo, u64)>,
    /// XFS: blocks per AG and log2 of it rounded up, so that reports can
    /// give the fsblock number (`agno << agblklog | agbno`) xfs_db prints
    /// beside the linear block.
    pub xfs_ag: Option<(u64, u32)>,
}

/// A run inside one XFS allocation group, in `xfs_db`'s terms: the fsblock
/// (AG number shifted by `sb_agblklog`, or'ed with the AG block), the AG and
/// the AG-relative block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct XfsPlace {
    pub fsblock: u64,
    pub ag: u64,
    pub ag_block: u64,
    pub count: u64,
}

/// Pieces listed for one run (a forged run may span every AG).
pub const MAX_XFS_PLACES: usize = 64;

impl Units {
    pub const EXT: Units = Units {
        block: "block",
        allocation_map: "block bitmap",
        clusters: None,
        xfs_ag: None,
    };

    /// XFS: linear blocks, with the fsblock and AG noted in reports.
    pub fn xfs(agblocks: u64, agblklog: u32) -> Units {
        Units {
            block: "block",
            allocation_map: "free-space btree",
            clusters: None,
            xfs_ag: Some((agblocks.max(1), agblklog)),
        }
    }

    /// FAT: sectors, with cluster 2 at `first_data_sector`.
    pub fn fat(first_data_sector: BlockNo, sectors_per_cluster: u64) -> Units {
        Units {
            block: "sector",
            allocation_map: "FAT",
            clusters: Some((first_data_sector, sectors_per_cluster.max(1))),
            xfs_ag: None,
        }
    }

    /// XFS: where a run of linear blocks lies as `xfs_db` names blocks — a
    /// piece per allocation group it spans (at most [`MAX_XFS_PLACES`]);
    /// empty on other formats.
    pub fn xfs_places(&self, start: BlockNo, len: u64) -> Vec<XfsPlace> {
        let Some((agblocks, agblklog)) = self.xfs_ag else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let end = start.saturating_add(len);
        let mut at = start;
        while at < end && out.len() < MAX_XFS_PLACES {
            let (ag, ag_block) = (at / agblocks, at % agblocks);
            let count = (agblocks - ag_block).min(end - at);
            out.push(XfsPlace {
                fsblock: ag.checked_shl(agblklog).unwrap_or(u64::MAX) | ag_block,
                ag,
                ag_block,
                count,
            });
            at += count;
        }
        out
    }

    /// " [clusters 5–7]" for a run of sectors in the data area; "" elsewhere.
    pub fn cluster_note(&self, start: BlockNo, len: u64) -> String {
        if let Some((agblocks, agblklog)) = self.xfs_ag {
            // " [fsblock 32781, AG 1 block 13]": a run inside one AG.
            let (ag, agbno) = (start / agblocks, start % agblocks);
            let fsb = ag.checked_shl(agblklog).unwrap_or(u64::MAX) | agbno;
            return if len <= 1 {
                format!(" [fsblock {fsb}, AG {ag} block {agbno}]")
            } else {
                format!(
                    " [fsblocks {fsb}–{}, AG {ag} blocks {agbno}–{}]",
                    fsb.saturating_add(len - 1),
                    agbno.saturating_add(len - 1)
                )
            };
        }
        let Some((first, per)) = self.clusters else {
            return String::new();
        };
        if start < first || len == 0 {
            return String::new();
        }
        let a = (start - first) / per + 2;
        let b = (start.saturating_add(len - 1) - first) / per + 2;
        if a == b {
            format!(" [cluster {a}]")
        } else {
            format!(" [clusters {a}–{b}]")
        }
    }
}
