//! What the views read: one volume's scan result and the lookups derived from
//! it once, off the UI thread. Views never change it; only the app does (the
//! image's digest arrives after the scan).

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::{BlockIndex, Claimer, Crosslink, ImageInfo, VolumeResult};
use crate::model::{Filesystem, Inode, InodeNo, Release};
use crate::report::heatmap::Ownership;
use crate::tui::source::Source;
use crate::tui::theme::Theme;

/// A finished scan of one volume, as the views see it.
pub struct Context {
    pub image: ImageInfo,
    /// The volume being explored; its filesystem was moved to `fs`.
    pub vol: VolumeResult,
    pub fs: Filesystem,
    /// Where the block view reads its bytes.
    pub source: Arc<Source>,
    pub index: Index,
    pub theme: Theme,
    /// SHA-256 progress (MiB done, MiB total) while the image is being hashed.
    pub hashing: Option<(u64, u64)>,
}

impl Context {
    /// The context of one volume (Err if it holds no filesystem).
    pub fn new(
        image: ImageInfo,
        mut vol: VolumeResult,
        source: Arc<Source>,
        theme: Theme,
    ) -> Result<Context, String> {
        let Some(fs) = vol.filesystem.take() else {
            return Err(vol
                .error
                .unwrap_or_else(|| "no filesystem recognised".into()));
        };
        let index = Index::new(&fs, &vol);
        Ok(Context {
            image,
            vol,
            fs,
            source,
            index,
            theme,
            hashing: None,
        })
    }

    /// The claimers of a crosslink other than `ino`, for "shared with" lines.
    pub fn others<'a>(&self, link: &'a Crosslink, ino: InodeNo) -> Vec<&'a Claimer> {
        link.claimers
            .iter()
            .filter(|c| !matches!(c, Claimer::Inode { inode, .. } if *inode == ino))
            .collect()
    }
}

/// Lookups derived once from the scan result.
pub struct Index {
    /// Inodes that are part of a non-legitimate cross-link.
    pub crosslinked: HashSet<InodeNo>,
    /// Crosslinks, worst first (metadata overlaps, cross-links, then legitimate).
    pub crosslinks_worst_first: Vec<usize>,
    /// First path of each inode (by position in `Filesystem::inodes`), built
    /// once from the name tree for the table and its sorting.
    pub first_paths: Vec<Option<String>>,
    /// Every path of each inode, lower-cased and joined by newlines: what the
    /// `/` filter searches.
    pub search_text: Vec<String>,
    /// Blocks in non-legitimate cross-links.
    pub crosslinked_blocks: u64,
    /// Inode positions ordered by size, mtime, uid and first path (ties by
    /// inode number): sorting the table is then a filter, never a sort.
    pub by_size: Vec<u32>,
    pub by_mtime: Vec<u32>,
    pub by_uid: Vec<u32>,
    pub by_path: Vec<u32>,
    /// Who owns a block, in O(log n): the heatmap asks at every cursor move.
    pub blocks: BlockIndex,
    /// The heatmap's runs of each kind; shared with the worker that draws the
    /// PNG picture.
    pub ownership: Arc<Ownership>,
    /// Orphans the next mount deletes, and truncates, before anyone can use
    /// the filesystem (counted once: the overview shows them in every frame).
    pub released_at_mount: (usize, usize),
}

impl Index {
    pub fn new(fs: &Filesystem, vol: &VolumeResult) -> Index {
        let crosslinks = &vol.crosslinks;
        let first_paths: Vec<Option<String>> =
            fs.inodes.par_iter().map(|n| fs.first_path(n)).collect();
        let search_text = fs
            .inodes
            .par_iter()
            .map(|n| fs.paths(n).join("\n").to_lowercase())
            .collect();
        let order_by = |key: &(dyn Fn(&Inode) -> u64 + Sync)| -> Vec<u32> {
            let mut keyed: Vec<(u64, u32)> = fs
                .inodes
                .par_iter()
                .enumerate()
                .filter_map(|(i, n)| Some((key(n), u32::try_from(i).ok()?)))
                .collect();
            keyed.par_sort_unstable();
            keyed.into_iter().map(|(_, i)| i).collect()
        };
        Index {
            // Signed times order as unsigned with the sign bit flipped.
            by_size: order_by(&|n| n.size),
            by_mtime: order_by(&|n| (n.mtime as u64) ^ (1 << 63)),
            by_uid: order_by(&|n| u64::from(n.uid)),
            by_path: by_path(&first_paths),
            crosslinked: crosslinked_inodes(crosslinks),
            crosslinks_worst_first: worst_first(crosslinks),
            first_paths,
            search_text,
            blocks: BlockIndex::new(fs),
            ownership: Arc::new(Ownership::new(fs, vol)),
            released_at_mount: released_at_mount(fs),
            crosslinked_blocks: crosslinks
                .iter()
                .filter(|c| !c.legitimate)
                .map(|c| c.block_count)
                .sum(),
        }
    }

    /// The first inode (in table order) with `path` among its names. Only the
    /// inodes whose lower-cased names contain it lower-cased are asked for
    /// their paths, in parallel: a path not in the filesystem costs a scan of
    /// the search text, not a path built for every name of every inode.
    pub fn inode_named(&self, fs: &Filesystem, path: &str) -> Option<InodeNo> {
        let lower = path.to_lowercase();
        fs.inodes
            .par_iter()
            .zip(self.search_text.par_iter())
            .find_first(|(n, text)| text.contains(&lower) && fs.paths(n).iter().any(|p| p == path))
            .map(|(n, _)| n.ino)
    }
}

fn released_at_mount(fs: &Filesystem) -> (usize, usize) {
    fs.inodes
        .iter()
        .fold((0, 0), |(d, t), n| match n.released_at_mount {
            Some(Release::Delete) => (d + 1, t),
            Some(Release::Truncate) => (d, t + 1),
            None => (d, t),
        })
}

fn crosslinked_inodes(crosslinks: &[Crosslink]) -> HashSet<InodeNo> {
    let mut crosslinked = HashSet::new();
    for c in crosslinks.iter().filter(|c| !c.legitimate) {
        for cl in &c.claimers {
            if let Claimer::Inode { inode, .. } = cl {
                crosslinked.insert(*inode);
            }
        }
    }
    crosslinked
}

/// Positions in `crosslinks`: metadata overlaps, cross-links, then
/// legitimate sharing, each by start block.
fn worst_first(crosslinks: &[Crosslink]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..crosslinks.len()).collect();
    order.sort_by_key(|&i| {
        let c = crosslinks.get(i);
        let rank = match c {
            Some(c) if c.legitimate => 2,
            Some(c)
                if c.claimers
                    .iter()
                    .any(|cl| matches!(cl, Claimer::Metadata { .. })) =>
            {
                0
            }
            _ => 1,
        };
        (rank, c.map_or(0, |c| c.start_block))
    });
    order
}

/// Inode positions by first path (the empty path first).
fn by_path(first_paths: &[Option<String>]) -> Vec<u32> {
    let mut by_path: Vec<u32> = (0..u32::try_from(first_paths.len()).unwrap_or(u32::MAX)).collect();
    by_path.par_sort_by(|&a, &b| {
        let path = |i: u32| {
            first_paths
                .get(i as usize)
                .and_then(Option::as_deref)
                .unwrap_or("")
        };
        path(a).cmp(path(b))
    });
    by_path
}

#[cfg(test)]
mod tests {
    use crate::tui::views::testing::demo;

    #[test]
    fn a_path_names_its_inode_exactly() {
        let cx = demo();
        let named = |path| cx.index.inode_named(&cx.fs, path);
        assert_eq!(named("/etc/shadow"), Some(14));
        assert_eq!(named("/home/user/notes.txt"), Some(17));
        // The search text is lower-cased; the match is not.
        assert_eq!(named("/ETC/SHADOW"), None);
        // A part of a path names nothing.
        assert_eq!(named("/etc/sha"), None);
        assert_eq!(named("/no/such/file"), None);
    }

    #[test]
    fn the_crosslinked_inodes_and_blocks_are_counted_once() {
        let cx = demo();
        let mut crosslinked: Vec<_> = cx.index.crosslinked.iter().copied().collect();
        crosslinked.sort_unstable();
        assert_eq!(crosslinked, [14, 17]);
        assert_eq!(cx.index.crosslinked_blocks, 2);
        assert_eq!(cx.index.released_at_mount, (0, 0));
        assert_eq!(cx.index.by_path.len(), cx.fs.inodes.len());
    }
}
