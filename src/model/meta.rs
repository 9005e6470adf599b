//! Metadata regions: the blocks the filesystem itself owns, and what each is.

use super::*;

/// What kind of structure a metadata region is, whatever the format calls
/// it. The order is the order claimers of one run are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetaKind {
    /// A superblock or another header that describes the filesystem.
    Header,
    /// Descriptors of the filesystem's groups.
    Descriptors,
    /// A block of an index (a btree) over the filesystem's own structures.
    Index,
    /// Blocks set aside for the filesystem's own later use.
    Reserved,
    /// A map of which blocks or inodes are in use (bitmaps, a FAT).
    AllocationMap,
    /// Where inodes are stored.
    InodeTable,
    /// A directory held in a fixed region rather than in a file.
    Directory,
    /// A journal or log the filesystem writes ahead.
    Log,
    /// Anything else the format owns.
    Other,
}

/// What a metadata region is to the filesystem: a kind any reader can reason
/// about, the format's own name for it, and its wording. Each format defines
/// its roles as constants in its own folder.
#[derive(Debug, Clone, Copy)]
pub struct MetaRole {
    pub kind: MetaKind,
    /// The format's stable snake_case name for it (the JSON `role`):
    /// "inode_table", "xfs_agfl".
    pub name: &'static str,
    /// The region in words, given its group (block group, AG, copy) if the
    /// region has one: "the inode table of group 3", "FAT #2".
    pub words: fn(Option<u32>) -> String,
}

impl MetaRole {
    /// "the inode table of group 3", "FAT #2": the region in words.
    pub fn describe(self, group: Option<u32>) -> String {
        (self.words)(group)
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    fn key(&self) -> (MetaKind, &'static str) {
        (self.kind, self.name)
    }
}

impl PartialEq for MetaRole {
    fn eq(&self, other: &MetaRole) -> bool {
        self.key() == other.key()
    }
}

impl Eq for MetaRole {}

impl std::hash::Hash for MetaRole {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for MetaRole {
    fn partial_cmp(&self, other: &MetaRole) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MetaRole {
    fn cmp(&self, other: &MetaRole) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// A region the filesystem itself owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRegion {
    pub start: BlockNo,
    pub len: u64,
    pub role: MetaRole,
    /// The block group the region belongs to, where the format has groups.
    pub group: Option<u32>,
}

impl MetadataRegion {
    pub fn end(&self) -> BlockNo {
        self.start.saturating_add(self.len)
    }
}
