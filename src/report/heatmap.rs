//! The ownership map of a volume, binned for display: what owns each range
//! of blocks, worst first. Shared by the inspector's heatmap and the HTML
//! report; nothing here draws.

use crate::analysis::VolumeResult;
use crate::model::Code;
use crate::model::{BlockNo, Filesystem, coalesce_runs};

/// What a heatmap cell, a row or a label is, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Free,
    Metadata,
    Data,
    Shared,
    Crosslink,
    ClaimedFree,
    OutOfRange,
    /// Written by the journal replay at mount (the replayed view).
    Replayed,
}

impl Kind {
    pub const LEGEND: [Kind; 8] = [
        Kind::Free,
        Kind::Metadata,
        Kind::Data,
        Kind::Shared,
        Kind::Crosslink,
        Kind::ClaimedFree,
        Kind::OutOfRange,
        Kind::Replayed,
    ];

    /// The glyph of a heatmap cell: distinct for every kind, so that the map
    /// reads without colour.
    pub fn glyph(self) -> char {
        match self {
            Kind::Free => '·',
            Kind::Metadata => 'm',
            Kind::Data => '▪',
            Kind::Shared => '=',
            Kind::Crosslink => 'X',
            Kind::ClaimedFree => '!',
            Kind::OutOfRange => '»',
            Kind::Replayed => 'J',
        }
    }

    /// The cell's colour in pictures (PNG, HTML). Cross-linked and
    /// used-but-free cells are also patterned (see [`Kind::patterned`]), so
    /// that they stand out in greyscale print.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Kind::Free => [0xe8, 0xe8, 0xe8],
            Kind::Metadata => [0x4a, 0x6f, 0xd1],
            Kind::Data => [0x5b, 0xb2, 0x5b],
            Kind::Shared => [0x33, 0xb5, 0xb5],
            Kind::Crosslink => [0xdd, 0x22, 0x22],
            Kind::ClaimedFree => [0xe0, 0xb0, 0x00],
            Kind::OutOfRange => [0xb0, 0x40, 0xb0],
            Kind::Replayed => [0xff, 0x8c, 0x00],
        }
    }

    /// Whether pictures overlay the colour with black stripes.
    pub fn patterned(self) -> bool {
        matches!(self, Kind::Crosslink | Kind::ClaimedFree)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Free => "free",
            Kind::Metadata => "metadata",
            Kind::Data => "one owner",
            Kind::Shared => "shared ok",
            Kind::Crosslink => "CROSS-LINKED",
            Kind::ClaimedFree => "used but free",
            Kind::OutOfRange => "out of range",
            Kind::Replayed => "journal replay",
        }
    }
}

/// Sorted, disjoint `(start, len)` runs of each kind of ownership.
#[derive(Debug, Default)]
pub struct Ownership {
    pub crosslinked: Vec<(BlockNo, u64)>,
    claimed_free: Vec<(BlockNo, u64)>,
    shared: Vec<(BlockNo, u64)>,
    metadata: Vec<(BlockNo, u64)>,
    data: Vec<(BlockNo, u64)>,
    /// Blocks the journal replay writes at mount.
    replayed: Vec<(BlockNo, u64)>,
    /// Runs outside the filesystem, shown in one cell after the last block.
    pub out_of_range: Vec<[u64; 2]>,
    /// Blocks the grid spans: the filesystem.
    pub blocks: u64,
}

impl Ownership {
    pub fn new(fs: &Filesystem, vol: &VolumeResult) -> Ownership {
        let runs = |it: &mut dyn Iterator<Item = (BlockNo, u64)>| {
            let mut v: Vec<_> = it.collect();
            v.sort_unstable();
            coalesce_runs(v)
        };
        let finding_runs = |code: Code| {
            let mut v: Vec<(BlockNo, u64)> = vol
                .findings
                .iter()
                .filter(|f| f.code == code)
                .flat_map(|f| f.blocks.iter().map(|&[s, l]| (s, l)))
                .collect();
            v.sort_unstable();
            coalesce_runs(v)
        };
        Ownership {
            crosslinked: runs(
                &mut vol
                    .crosslinks
                    .iter()
                    .filter(|c| !c.legitimate)
                    .map(|c| (c.start_block, c.block_count)),
            ),
            shared: runs(
                &mut vol
                    .crosslinks
                    .iter()
                    .filter(|c| c.legitimate)
                    .map(|c| (c.start_block, c.block_count)),
            ),
            claimed_free: finding_runs(Code::ClaimedButFree),
            // Where replay writes (or, on the on-disk view, would write).
            replayed: vol.replay.as_deref().map_or_else(Vec::new, |journal| {
                coalesce_runs(journal.replayed.iter().map(|r| (r.block, 1)).collect())
            }),
            metadata: runs(&mut fs.metadata.iter().map(|m| (m.start, m.len))),
            // Deleted entries' runs are history, not owners.
            data: runs(
                &mut fs
                    .inodes
                    .iter()
                    .filter(|n| !n.deleted)
                    .flat_map(|n| fs.runs_of(n).iter().map(|r| (r.start, r.len))),
            ),
            out_of_range: vol
                .findings
                .iter()
                .filter(|f| f.code == Code::OutOfRange)
                .flat_map(|f| f.blocks.iter().copied())
                .collect(),
            blocks: fs.info.block_count,
        }
    }

    /// The kinds a legend lists: all of them, but the journal replay only
    /// where there is one.
    pub fn legend(&self) -> impl Iterator<Item = Kind> + '_ {
        Kind::LEGEND
            .into_iter()
            .filter(|&k| k != Kind::Replayed || !self.replayed.is_empty())
    }

    /// Cells in the grid at `per_cell` blocks per cell (plus one for out-of-range runs).
    pub fn cells(&self, per_cell: u64) -> u64 {
        self.blocks.div_ceil(per_cell.max(1)) + u64::from(!self.out_of_range.is_empty())
    }

    pub fn in_fs_cells(&self, per_cell: u64) -> u64 {
        self.blocks.div_ceil(per_cell.max(1))
    }

    /// What cell `cell` of a grid at `per_cell` blocks per cell shows: the
    /// cell after the last in-filesystem one holds every out-of-range run.
    pub fn cell_kind(&self, cell: u64, per_cell: u64) -> Kind {
        let per_cell = per_cell.max(1);
        if cell >= self.in_fs_cells(per_cell) {
            return Kind::OutOfRange;
        }
        let a = cell.saturating_mul(per_cell);
        self.kind(a, a.saturating_add(per_cell).min(self.blocks))
    }

    /// What owns blocks `[a, b)`, the worst kind first.
    pub fn kind(&self, a: BlockNo, b: BlockNo) -> Kind {
        let hit = |runs: &[(BlockNo, u64)]| {
            let k = runs.partition_point(|&(s, l)| s.saturating_add(l) <= a);
            runs.get(k).is_some_and(|&(s, _)| s < b)
        };
        if hit(&self.crosslinked) {
            Kind::Crosslink
        } else if hit(&self.claimed_free) {
            Kind::ClaimedFree
        } else if hit(&self.replayed) {
            Kind::Replayed
        } else if hit(&self.shared) {
            Kind::Shared
        } else if hit(&self.metadata) {
            Kind::Metadata
        } else if hit(&self.data) {
            Kind::Data
        } else {
            Kind::Free
        }
    }

    /// First non-legitimate cross-link starting after block `after`, or before `before`.
    pub fn next_crosslink(&self, after: BlockNo) -> Option<BlockNo> {
        let k = self.crosslinked.partition_point(|&(s, _)| s <= after);
        self.crosslinked.get(k).map(|&(s, _)| s)
    }

    pub fn prev_crosslink(&self, before: BlockNo) -> Option<BlockNo> {
        let k = self.crosslinked.partition_point(|&(s, _)| s < before);
        k.checked_sub(1)
            .and_then(|k| self.crosslinked.get(k))
            .map(|&(s, _)| s)
    }
}
