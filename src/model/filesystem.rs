//! A parsed filesystem: what it is, its inodes, runs, metadata, allocation map
//! and declared sharing.

use super::*;

/// What the filesystem is, for the report header.
#[derive(Debug, Clone)]
pub struct FsInfo {
    /// "ext2", "ext3" or "ext4".
    pub fs_type: String,
    pub block_size: u32,
    pub block_count: u64,
    pub inode_count: u64,
    pub label: String,
    pub uuid: String,
    /// Feature names as the format's tools print them; unknown bits as hex.
    pub features: Vec<String>,
    /// Block groups (ext) or the nearest equivalent.
    pub groups: u64,
    /// Inodes in use.
    pub inodes_in_use: u64,
}

/// Sharing the format declares legitimate, for the analysis to honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredSharing {
    pub start: BlockNo,
    pub len: u64,
    pub role: Role,
    /// How many referrers the format allows (e.g. an xattr block's `h_refcount`).
    pub max_referrers: u64,
}

/// Everything a parser learned about one filesystem.
#[derive(Debug, Clone)]
pub struct Filesystem {
    pub info: FsInfo,
    /// In-use inodes, sorted by number.
    pub inodes: Vec<Inode>,
    pub metadata: Vec<MetadataRegion>,
    /// Every inode's runs, inode after inode (one allocation for all of them).
    pub runs: Vec<BlockRun>,
    /// Every name, once; inodes refer to them by [`NameId`].
    pub names: Names,
    /// Blocks the allocation bitmaps mark in use, as sorted, disjoint `(start, len)` runs.
    /// `None` where the format has no such bitmap or it could not be read.
    pub allocated: Option<Vec<(BlockNo, u64)>>,
    /// Runs whose allocation state is unknown (an unreadable bitmap).
    pub allocation_unknown: Vec<(BlockNo, u64)>,
    /// First block that may hold data (`s_first_data_block` on ext).
    pub first_data_block: BlockNo,
    /// Blocks per allocation cluster (ext bigalloc); 1 where blocks are
    /// allocated one by one.
    pub cluster_blocks: u64,
    /// Sharing the format allows, keyed by block run.
    pub declared_sharing: Vec<DeclaredSharing>,
    /// Inodes that belong to the filesystem's own machinery and whose runs over
    /// a given metadata role are not a cross-link (the ext resize inode over the
    /// reserved GDT blocks).
    pub own_metadata_inodes: Vec<(InodeNo, MetaRole)>,
    /// What the filesystem's own unnamed inodes are ("journal", "resize inode"),
    /// for display.
    pub inode_labels: Vec<(InodeNo, &'static str)>,
    /// Whether the format declares that blocks may be shared without bookkeeping
    /// (ext `shared_blocks`): reported, never trusted.
    pub shared_blocks_declared: bool,
    /// In-use inodes a findings-only parse left out of `inodes` (see
    /// [`Omitted`]); `None` when every in-use inode is in the model.
    pub omitted: Option<Omitted>,
    /// How reports name this format's blocks and allocation map.
    pub units: Units,
    /// Whether the format is read-only by design (EROFS): data shared
    /// between files leaks or tampers with nothing, so it is not a
    /// cross-link; data over metadata still is.
    pub immutable: bool,
    /// Which inode's slot lies in which metadata block, as `(block, inode)`
    /// sorted (EROFS, where many inodes share a block): a data block over
    /// metadata can then name the inodes it covers.
    pub slots: Vec<(BlockNo, InodeNo)>,
    pub findings: Vec<Finding>,
}

/// What a findings-only parse (`fs::Detail::FindingsOnly`) left out of the
/// model: in-use inodes whose every claim lies inside the filesystem and
/// overlaps nothing (no other claim, no metadata, no free block), so that no
/// finding can name them. Their claims are kept as one union, for the
/// allocated-but-unclaimed comparison with the bitmap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Omitted {
    /// How many in-use inodes are not in the model.
    pub inodes: u64,
    /// The union of their claims, clipped to the filesystem: sorted, disjoint
    /// `(start, len)` runs.
    pub claims: Vec<(BlockNo, u64)>,
}

impl Filesystem {
    /// The runs an inode maps.
    pub fn runs_of(&self, inode: &Inode) -> &[BlockRun] {
        let start = inode.runs.start as usize;
        self.runs
            .get(start..start.saturating_add(inode.runs.len as usize))
            .unwrap_or(&[])
    }

    /// Every path of an inode, built from the name tree.
    pub fn paths(&self, inode: &Inode) -> Vec<String> {
        self.names.of(inode).map(|id| self.names.path(id)).collect()
    }

    /// The first path of an inode, or what the filesystem uses it for
    /// (`<journal>`), or `<no name>`: for display.
    pub fn display_name(&self, inode: &Inode) -> String {
        self.first_path(inode).unwrap_or_else(|| {
            match self.inode_labels.iter().find(|(ino, _)| *ino == inode.ino) {
                Some((_, what)) => format!("<{what}>"),
                None => "<no name>".to_string(),
            }
        })
    }

    /// The first path of an inode, if any directory names it.
    pub fn first_path(&self, inode: &Inode) -> Option<String> {
        (inode.first_name != NO_NAME).then(|| self.names.path(inode.first_name))
    }

    /// The inodes a path names, in inode order (more than one only where a
    /// forged directory repeats a name).
    pub fn named<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Inode> + 'a {
        self.inodes
            .iter()
            .filter(move |n| self.paths(n).iter().any(|p| p == path))
    }

    pub fn inode(&self, ino: InodeNo) -> Option<&Inode> {
        self.inodes
            .binary_search_by_key(&ino, |i| i.ino)
            .ok()
            .and_then(|i| self.inodes.get(i))
    }
}
