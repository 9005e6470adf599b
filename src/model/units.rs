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

    /// The word the format's own tools put before one of its block numbers
    /// ("fsblock", "cluster"); None where the linear number is its own.
    pub fn native_word(&self) -> Option<&'static str> {
        match self.native {
            Native::Linear => None,
            Native::Grouped { address, .. } => Some(address),
            Native::Clustered { .. } => Some("cluster"),
        }
    }

    /// A block named in the format's own numbering, as its tools print it:
    /// "fsblock 32781" (or "fsblock:32781") on a grouped numbering,
    /// "cluster 5" on a clustered one; the linear block it is, or None when
    /// the text is not such a name or names no block.
    pub fn parse_native(&self, text: &str) -> Option<BlockNo> {
        let word = self.native_word()?;
        let number: u64 = text
            .trim()
            .strip_prefix(word)?
            .trim_start_matches([' ', ':'])
            .parse()
            .ok()?;
        match self.native {
            Native::Linear => None,
            Native::Grouped {
                per_group, shift, ..
            } => {
                let group = number.checked_shr(shift).unwrap_or(0);
                let block = number & 1u64.checked_shl(shift).map_or(u64::MAX, |b| b - 1);
                (block < per_group).then_some(group.checked_mul(per_group)?.checked_add(block)?)
            }
            Native::Clustered {
                first_sector,
                per_cluster,
            } => first_sector.checked_add(number.checked_sub(2)?.checked_mul(per_cluster)?),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const XFS_LIKE: Units = Units {
        block: "block",
        allocation_map: "free-space btree",
        native: Native::Grouped {
            per_group: 16384,
            shift: 14,
            address: "fsblock",
            group: "AG",
        },
    };

    #[test]
    fn a_native_name_is_the_linear_block_the_note_names() {
        for linear in [0, 13, 16383, 16384 + 13, 3 * 16384 + 99] {
            let note = XFS_LIKE.native_note(linear, 1);
            let address: u64 = note
                .trim_start_matches(" [fsblock ")
                .split(',')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                XFS_LIKE.parse_native(&format!("fsblock {address}")),
                Some(linear)
            );
            assert_eq!(
                XFS_LIKE.parse_native(&format!("fsblock:{address}")),
                Some(linear)
            );
        }
        // An address whose in-AG part is past the AG names no block.
        let mut odd = XFS_LIKE;
        odd.native = Native::Grouped {
            per_group: 10000,
            shift: 14,
            address: "fsblock",
            group: "AG",
        };
        assert_eq!(odd.parse_native("fsblock 12000"), None);
        assert_eq!(XFS_LIKE.parse_native("12"), None);
        let fat = Units {
            block: "sector",
            allocation_map: "FAT",
            native: Native::Clustered {
                first_sector: 100,
                per_cluster: 4,
            },
        };
        assert_eq!(fat.parse_native("cluster 2"), Some(100));
        assert_eq!(fat.parse_native("cluster 5"), Some(112));
        assert_eq!(fat.native_note(112, 4), " [cluster 5]");
        assert_eq!(fat.parse_native("cluster 1"), None);
        assert_eq!(
            Units::linear("block bitmap").parse_native("cluster 5"),
            None
        );
    }
}
