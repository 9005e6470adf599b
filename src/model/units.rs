//! Block and inode numbers, and how reports name a format's blocks.

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
    /// The format's own block numbering, where it is not the linear one.
    pub native: Native,
}

/// A format's own numbering of its blocks, beside the linear volume block
/// numbers every output uses, so that a report can give the number the
/// format's own tools print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Native {
    /// The linear block number is the format's own.
    Linear,
    /// Blocks are numbered within groups of `per_group`, and the format's
    /// own address packs the group above `shift` bits: `group << shift |
    /// block in group` (XFS: the fsblock xfs_db prints, `agno << sb_agblklog
    /// | agbno`).
    Grouped {
        per_group: u64,
        shift: u32,
        /// The format's words for its address and its group: "fsblock", "AG".
        address: &'static str,
        group: &'static str,
    },
    /// Blocks are sectors, and the data area is allocated in clusters of
    /// `per_cluster` sectors, cluster 2 first at `first_sector` (FAT, whose
    /// tools number clusters).
    Clustered {
        first_sector: BlockNo,
        per_cluster: u64,
    },
}

/// A run inside one group, in the format's own terms (see
/// [`Native::Grouped`]): its address, its group, the block in the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupedPlace {
    pub address: u64,
    pub group: u64,
    pub group_block: u64,
    pub count: u64,
}

/// Pieces listed for one run (a forged run may span every group).
pub const MAX_GROUPED_PLACES: usize = 64;

impl Units {
    /// Blocks numbered linearly, as the format itself numbers them.
    pub const fn linear(allocation_map: &'static str) -> Units {
        Units {
            block: "block",
            allocation_map,
            native: Native::Linear,
        }
    }

    /// Whether allocation is by clusters of sectors ([`Native::Clustered`]).
    pub fn clustered(&self) -> bool {
        matches!(self.native, Native::Clustered { .. })
    }

    /// Where a run of linear blocks lies in a grouped numbering: a piece per
    /// group it spans (at most [`MAX_GROUPED_PLACES`]); empty for other
    /// numberings.
    pub fn grouped_places(&self, start: BlockNo, len: u64) -> Vec<GroupedPlace> {
        let Native::Grouped {
            per_group, shift, ..
        } = self.native
        else {
            return Vec::new();
        };
        let per_group = per_group.max(1);
        let mut out = Vec::new();
        let end = start.saturating_add(len);
        let mut at = start;
        while at < end && out.len() < MAX_GROUPED_PLACES {
            let (group, group_block) = (at / per_group, at % per_group);
            let count = (per_group - group_block).min(end - at);
            out.push(GroupedPlace {
                address: group.checked_shl(shift).unwrap_or(u64::MAX) | group_block,
                group,
                group_block,
                count,
            });
            at += count;
        }
        out
    }

    /// " [fsblock 32781, AG 1 block 13]", " [clusters 5–7]": a run in the
    /// format's own numbering; "" where it has none.
    pub fn native_note(&self, start: BlockNo, len: u64) -> String {
        match self.native {
            Native::Linear => String::new(),
            Native::Grouped {
                per_group,
                shift,
                address,
                group,
            } => {
                // A run inside one group.
                let per_group = per_group.max(1);
                let (g, block) = (start / per_group, start % per_group);
                let at = g.checked_shl(shift).unwrap_or(u64::MAX) | block;
                if len <= 1 {
                    format!(" [{address} {at}, {group} {g} block {block}]")
                } else {
                    format!(
                        " [{address}s {at}–{}, {group} {g} blocks {block}–{}]",
                        at.saturating_add(len - 1),
                        block.saturating_add(len - 1)
                    )
                }
            }
            Native::Clustered {
                first_sector,
                per_cluster,
            } => {
                if start < first_sector || len == 0 {
                    return String::new();
                }
                let per = per_cluster.max(1);
                let a = (start - first_sector) / per + 2;
                let b = (start.saturating_add(len - 1) - first_sector) / per + 2;
                if a == b {
                    format!(" [cluster {a}]")
                } else {
                    format!(" [clusters {a}–{b}]")
                }
            }
        }
    }
}
