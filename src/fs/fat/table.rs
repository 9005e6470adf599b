//! The file allocation table: entry N says what follows cluster N in its
//! chain (spec section 4; dosfstools `src/fat.c`).
//!
//! FAT12 entry N is the 12 bits at byte N + N/2 (low bits for even N, high
//! for odd; entries straddle sectors). FAT16 entries are 16 bits, FAT32
//! entries 28 bits (the top 4 are reserved and masked off). 0 is free, 1 and
//! 0x…FF0–0x…FF6 reserved, 0x…FF7 bad, 0x…FF8 and up end of chain.

use std::collections::HashSet;

use crate::bytes::{le16, le32};
use crate::fs::fat::bpb::FatKind;

/// What a FAT entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Free,
    Cluster(u32),
    End,
    Bad,
    /// 1, or a value of the reserved range.
    Reserved(u32),
}

/// One copy of the FAT, as bytes of the image.
#[derive(Clone, Copy)]
pub struct Fat<'a> {
    pub bytes: &'a [u8],
    pub kind: FatKind,
}

impl Fat<'_> {
    /// The raw value of entry `n`, if the table holds it.
    pub fn raw(&self, n: u32) -> Option<u32> {
        let n = n as usize;
        match self.kind {
            FatKind::Fat12 => {
                let at = n + n / 2;
                self.bytes.get(at + 1)?;
                let v = u32::from(le16(self.bytes, at));
                Some(if n.is_multiple_of(2) {
                    v & 0xFFF
                } else {
                    v >> 4
                })
            }
            FatKind::Fat16 => {
                self.bytes.get(2 * n + 1)?;
                Some(u32::from(le16(self.bytes, 2 * n)))
            }
            FatKind::Fat32 => {
                self.bytes.get(4 * n + 3)?;
                Some(le32(self.bytes, 4 * n) & 0x0FFF_FFFF)
            }
        }
    }

    pub fn next(&self, n: u32) -> Option<Next> {
        let v = self.raw(n)?;
        let (bad, reserved_from) = match self.kind {
            FatKind::Fat12 => (0xFF7, 0xFF0),
            FatKind::Fat16 => (0xFFF7, 0xFFF0),
            FatKind::Fat32 => (0x0FFF_FFF7, 0x0FFF_FFF0),
        };
        Some(match v {
            0 => Next::Free,
            1 => Next::Reserved(1),
            v if v == bad => Next::Bad,
            v if v > bad => Next::End,
            v if v >= reserved_from => Next::Reserved(v),
            v => Next::Cluster(v),
        })
    }
}

/// Why a chain stopped before an end-of-chain mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The chain comes back to a cluster it already holds.
    Loop { at: u32, back_to: u32 },
    /// A cluster of the chain is marked free in the FAT.
    Free(u32),
    /// The chain reaches a cluster marked bad.
    Bad(u32),
    /// An entry holds 1 or a reserved value.
    Reserved { at: u32, value: u32 },
    /// An entry points past the last cluster of the volume.
    OutOfRange { at: u32, value: u32 },
    /// The FAT ends before the entry of this cluster.
    Unreadable(u32),
    /// The volume-wide walk budget ran out in this chain.
    Budget,
}

/// A cluster chain, in file order.
#[derive(Debug, Default)]
pub struct Chain {
    /// Runs of consecutive clusters: (first cluster, count).
    pub runs: Vec<(u32, u32)>,
    pub length: u64,
    pub problem: Option<ChainProblem>,
}

/// Walks the chain from `start` (a valid cluster number) to its end, each
/// cluster once. `budget` counts steps left for the whole volume: merged
/// chains are walked once per file, and a hostile FAT must not make that
/// quadratic.
pub fn walk(fat: &Fat<'_>, start: u32, max_cluster: u64, budget: &mut u64) -> Chain {
    let mut chain = Chain::default();
    let mut seen: HashSet<u32> = HashSet::new();
    let mut cur = start;
    loop {
        if *budget == 0 {
            chain.problem = Some(ChainProblem::Budget);
            return chain;
        }
        *budget -= 1;
        if !seen.insert(cur) {
            chain.problem = Some(ChainProblem::Loop {
                at: chain.runs.last().map_or(cur, |&(f, n)| f + n - 1),
                back_to: cur,
            });
            return chain;
        }
        match chain.runs.last_mut() {
            Some((first, count)) if first.saturating_add(*count) == cur => *count += 1,
            _ => chain.runs.push((cur, 1)),
        }
        chain.length += 1;
        let Some(next) = fat.next(cur) else {
            chain.problem = Some(ChainProblem::Unreadable(cur));
            return chain;
        };
        match next {
            Next::End => return chain,
            Next::Cluster(n) if u64::from(n) <= max_cluster && n >= 2 => cur = n,
            Next::Cluster(n) => {
                chain.problem = Some(ChainProblem::OutOfRange { at: cur, value: n });
                return chain;
            }
            Next::Free => {
                chain.problem = Some(ChainProblem::Free(cur));
                return chain;
            }
            Next::Bad => {
                chain.problem = Some(ChainProblem::Bad(cur));
                return chain;
            }
            Next::Reserved(value) => {
                chain.problem = Some(ChainProblem::Reserved { at: cur, value });
                return chain;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fat12_entries_straddle_bytes() {
        // Entries 0..3 = FF8, FFF, 003, FFF packed in 12 bits.
        let bytes = [0xF8, 0xFF, 0xFF, 0x03, 0xF0, 0xFF];
        let fat = Fat {
            bytes: &bytes,
            kind: FatKind::Fat12,
        };
        assert_eq!(fat.raw(0), Some(0xFF8));
        assert_eq!(fat.raw(1), Some(0xFFF));
        assert_eq!(fat.raw(2), Some(0x003));
        assert_eq!(fat.raw(3), Some(0xFFF));
        assert_eq!(fat.raw(4), None);
    }

    #[test]
    fn loops_and_free_clusters_stop_the_walk() {
        // FAT16: 2 → 3 → 4 → 2 (loop); 5 → 6, 6 free.
        let mut bytes = vec![0u8; 16];
        for (n, v) in [(2u16, 3u16), (3, 4), (4, 2), (5, 6), (6, 0)] {
            bytes[2 * n as usize..2 * n as usize + 2].copy_from_slice(&v.to_le_bytes());
        }
        let fat = Fat {
            bytes: &bytes,
            kind: FatKind::Fat16,
        };
        let mut budget = 100;
        let looped = walk(&fat, 2, 7, &mut budget);
        assert_eq!(looped.runs, vec![(2, 3)]);
        assert_eq!(
            looped.problem,
            Some(ChainProblem::Loop { at: 4, back_to: 2 })
        );
        let free = walk(&fat, 5, 7, &mut budget);
        assert_eq!(free.runs, vec![(5, 2)]);
        assert_eq!(free.problem, Some(ChainProblem::Free(6)));
        let mut none = 0;
        assert_eq!(
            walk(&fat, 5, 7, &mut none).problem,
            Some(ChainProblem::Budget)
        );
    }
}
