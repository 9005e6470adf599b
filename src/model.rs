//! The common model every filesystem parser produces and every consumer reads.
//!
//! A parser turns on-disk structures into a [`Filesystem`]: its inodes with their
//! block runs (each with a [`Role`]), the filesystem's own metadata regions, the
//! allocation bitmap as runs, and the findings it made while parsing. Block numbers
//! are filesystem blocks, as e2fsck and debugfs print them. Nothing here knows any
//! on-disk layout.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

/// A filesystem block number (volume-relative, in filesystem blocks).
pub type BlockNo = u64;
/// An inode number as the filesystem numbers it (ext: 1-based).
pub type InodeNo = u64;

/// What a run of blocks is to the inode that claims it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// File contents.
    Data,
    /// Directory entries.
    Directory,
    /// A slow symlink's target.
    Symlink,
    /// An extent-tree index or leaf block (not the root inside the inode).
    ExtentTree,
    /// An indirect, double-indirect or triple-indirect block.
    Indirect,
    /// An extended-attribute block (`i_file_acl`).
    Xattr,
    /// A block of the journal inode.
    Journal,
    /// A block listed by the bad-blocks inode.
    BadBlock,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Data => "data",
            Role::Directory => "directory",
            Role::Symlink => "symlink",
            Role::ExtentTree => "extent_tree",
            Role::Indirect => "indirect",
            Role::Xattr => "xattr",
            Role::Journal => "journal",
            Role::BadBlock => "bad_block",
        }
    }

    /// Whether runs of this role map file blocks (and so carry a logical block).
    pub fn is_file_block(self) -> bool {
        matches!(
            self,
            Role::Data | Role::Directory | Role::Symlink | Role::Journal | Role::BadBlock
        )
    }
}

/// What a metadata region is to the filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaRole {
    Superblock,
    GroupDescriptors,
    ReservedGdt,
    BlockBitmap,
    InodeBitmap,
    InodeTable,
    Mmp,
    /// FAT: the boot sector and the rest of the reserved sectors (FSInfo,
    /// backup boot sector).
    FatReserved,
    /// FAT: one copy of the file allocation table (the region's `group` is
    /// the copy number, from 0).
    Fat,
    /// FAT12/16: the fixed root-directory region.
    FatRootDirectory,
    /// EROFS: a block holding the superblock, inode slots (with their inline
    /// xattrs, tails and chunk indexes) or shared xattrs.
    ErofsMetadata,
    /// XFS: an AG's first sectors (superblock or its copy, AGF, AGI, AGFL).
    XfsAgHeader,
    /// XFS: a block of a per-AG btree (free space, inodes, rmap, refcount).
    XfsBtree,
    /// XFS: a block held on an AG's free list (AGFL), reserved for btrees.
    XfsFreeList,
    /// XFS: blocks of an inode chunk.
    XfsInodeChunk,
    /// XFS: the internal log.
    XfsLog,
}

impl MetaRole {
    /// "the inode table of group 3", "FAT #2": the region in words.
    pub fn describe(self, group: Option<u32>) -> String {
        match (self, group) {
            (MetaRole::Fat, Some(copy)) => format!("FAT #{}", u64::from(copy) + 1),
            (MetaRole::Fat, None) => "the FAT".into(),
            (MetaRole::FatReserved, _) => "the reserved sectors (boot sector)".into(),
            (MetaRole::FatRootDirectory, _) => "the root directory region".into(),
            (MetaRole::ErofsMetadata, _) => {
                "the EROFS metadata (superblock, inode slots, xattrs)".into()
            }
            (MetaRole::XfsAgHeader, Some(ag)) => {
                format!("the AG headers of AG {ag} (superblock, AGF, AGI, AGFL)")
            }
            (MetaRole::XfsBtree, Some(ag)) => format!("a btree block of AG {ag}"),
            (MetaRole::XfsFreeList, Some(ag)) => format!("the free list (AGFL) of AG {ag}"),
            (MetaRole::XfsInodeChunk, Some(ag)) => format!("an inode chunk of AG {ag}"),
            (MetaRole::XfsLog, _) => "the XFS log".into(),
            (_, Some(g)) => format!("the {} of group {g}", self.name().replace('_', " ")),
            (_, None) => format!("the {}", self.name().replace('_', " ")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MetaRole::Superblock => "superblock",
            MetaRole::GroupDescriptors => "group_descriptors",
            MetaRole::ReservedGdt => "reserved_gdt",
            MetaRole::BlockBitmap => "block_bitmap",
            MetaRole::InodeBitmap => "inode_bitmap",
            MetaRole::InodeTable => "inode_table",
            MetaRole::Mmp => "mmp",
            MetaRole::FatReserved => "fat_reserved",
            MetaRole::Fat => "fat",
            MetaRole::FatRootDirectory => "fat_root_directory",
            MetaRole::ErofsMetadata => "erofs_metadata",
            MetaRole::XfsAgHeader => "xfs_ag_header",
            MetaRole::XfsBtree => "xfs_btree",
            MetaRole::XfsFreeList => "xfs_agfl",
            MetaRole::XfsInodeChunk => "xfs_inode_chunk",
            MetaRole::XfsLog => "xfs_log",
        }
    }
}

/// A contiguous run of blocks mapped by an inode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockRun {
    /// File block the run starts at, for runs that map file contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logical: Option<u64>,
    pub start: BlockNo,
    pub len: u64,
    pub role: Role,
    /// An ext4 unwritten (preallocated) extent: allocated, reads as zeros.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unwritten: bool,
}

impl BlockRun {
    /// One past the last block, saturating (a hostile run may end past u64::MAX).
    pub fn end(&self) -> BlockNo {
        self.start.saturating_add(self.len)
    }
}

/// A region the filesystem itself owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

impl FileType {
    /// From the S_IFMT bits of a POSIX mode.
    pub fn from_mode(mode: u32) -> FileType {
        match mode & 0o170000 {
            0o100000 => FileType::Regular,
            0o040000 => FileType::Directory,
            0o120000 => FileType::Symlink,
            0o020000 => FileType::CharDevice,
            0o060000 => FileType::BlockDevice,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            _ => FileType::Unknown,
        }
    }

    /// A short name for tables.
    pub fn short(self) -> &'static str {
        match self {
            FileType::Regular => "file",
            FileType::Directory => "dir",
            FileType::Symlink => "link",
            FileType::CharDevice => "chr",
            FileType::BlockDevice => "blk",
            FileType::Fifo => "fifo",
            FileType::Socket => "sock",
            FileType::Unknown => "?",
        }
    }

    /// The one-letter type `ls -l` shows.
    pub fn letter(self) -> char {
        match self {
            FileType::Regular => '-',
            FileType::Directory => 'd',
            FileType::Symlink => 'l',
            FileType::CharDevice => 'c',
            FileType::BlockDevice => 'b',
            FileType::Fifo => 'p',
            FileType::Socket => 's',
            FileType::Unknown => '?',
        }
    }
}

/// `-rw-r--r--` style rendering of a mode.
pub fn mode_string(mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(FileType::from_mode(mode).letter());
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let set = mode & bit != 0;
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        s.push(match (set, special, i) {
            (true, true, 8) => 't',
            (false, true, 8) => 'T',
            (true, true, _) => 's',
            (false, true, _) => 'S',
            (true, false, _) => *c,
            (false, false, _) => '-',
        });
    }
    s
}

/// One inode as the model sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Inode {
    pub ino: InodeNo,
    pub file_type: FileType,
    /// Full POSIX mode, type bits included.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub links: u32,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crtime: Option<i64>,
    /// Space the inode says it uses, in 512-byte sectors.
    pub sectors: u64,
    /// Format-specific inode flags, raw.
    pub flags: u32,
    /// The first directory entry that names this inode ([`NO_NAME`] if none);
    /// see [`Filesystem::paths`].
    #[serde(skip)]
    pub first_name: NameId,

    /// Where the runs this inode maps lie in [`Filesystem::runs`]; see
    /// [`Filesystem::runs_of`].
    #[serde(skip)]
    pub runs: RunSpan,
    /// Why this inode was counted as in use when the format's own bookkeeping
    /// says otherwise (e.g. hidden in an uninitialised inode-table tail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Hidden>,
    /// A deleted entry kept as evidence (FAT 0xE5): its runs are where its
    /// data was, history, not claims; the analysis never counts them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// What mount does to this inode before anything else can use the
    /// filesystem (ext's orphan list); its claims hold until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_at_mount: Option<Release>,
}

/// What the kernel does at mount to an inode left pending by a crash, before
/// any user can act (ext4: `ext4_orphan_cleanup`, fs/ext4/orphan.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Release {
    /// Unlinked (no links): deleted, and every block it claims freed.
    Delete,
    /// Still linked: truncated to its size, and the blocks past it freed.
    Truncate,
}

/// Why an inode that the format's bookkeeping calls unused was found live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hidden {
    /// In a group whose inode table is flagged uninitialised (ext INODE_UNINIT).
    UninitGroup,
    /// In the never-used tail of a group's inode table (ext bg_itable_unused).
    UnusedTail,
    /// Marked free in the inode btree, or in no chunk it lists, yet named
    /// by a directory and holding a live inode (XFS).
    FreeInInodeBtree,
}

impl Hidden {
    pub fn reason(self) -> &'static str {
        match self {
            Hidden::UninitGroup => "its group is flagged INODE_UNINIT",
            Hidden::UnusedTail => "it lies in the bg_itable_unused tail of its group's inode table",
            Hidden::FreeInInodeBtree => {
                "the inode btree marks it free or lists no chunk holding it, yet a directory names it"
            }
        }
    }
}

/// A slice of [`Filesystem::runs`]: one inode's runs, in the order it maps them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSpan {
    pub start: u32,
    pub len: u32,
}

impl RunSpan {
    /// The span of the runs from `start` to the end of an arena of `end` runs.
    pub fn between(start: usize, end: usize) -> RunSpan {
        RunSpan {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(end.saturating_sub(start)).unwrap_or(0),
        }
    }

    /// The same span in an arena where this one's arena starts at `offset`.
    pub fn shifted(self, offset: usize) -> RunSpan {
        RunSpan {
            start: u32::try_from(offset)
                .ok()
                .and_then(|o| self.start.checked_add(o))
                .unwrap_or(u32::MAX),
            len: self.len,
        }
    }
}

/// `Inode::first_name` of an inode that no directory names.
pub const NO_NAME: NameId = NameId::MAX;

impl Inode {
    /// World-readable (o+r) and not a directory.
    pub fn world_readable(&self) -> bool {
        self.mode & 0o004 != 0
    }

    pub fn world_writable(&self) -> bool {
        self.mode & 0o002 != 0
    }
}

/// What the filesystem is, for the report header.
#[derive(Debug, Clone, Serialize)]
pub struct FsInfo {
    /// "ext2", "ext3" or "ext4".
    #[serde(rename = "type")]
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

/// How severe a finding is, most severe last so that `>=` means "at least".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL_DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A problem (or notable fact) found in an image. Codes are stable identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inodes: Vec<InodeNo>,
    /// Block runs as `[start, count]` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<[u64; 2]>,
    /// Only in the filesystem as the kernel will mount it, once the journal
    /// is replayed (not in the image as it lies on disk).
    #[serde(skip_serializing_if = "is_false")]
    pub after_replay: bool,
    /// Only in the image as it lies on disk: replaying the journal removes it.
    #[serde(skip_serializing_if = "is_false")]
    pub before_replay: bool,
}

/// See [`Finding::key`].
pub type FindingKey<'a> = (&'static str, &'a str, &'a [InodeNo], &'a [[u64; 2]]);

fn is_false(b: &bool) -> bool {
    !b
}

impl Finding {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            severity,
            code,
            message: message.into(),
            inodes: Vec::new(),
            blocks: Vec::new(),
            after_replay: false,
            before_replay: false,
        }
    }

    /// What a report adds to the finding's message about the journal.
    pub fn replay_note(&self) -> Option<&'static str> {
        if self.after_replay {
            Some("appears when the journal is replayed")
        } else if self.before_replay {
            Some("only on disk: replaying the journal removes it")
        } else {
            None
        }
    }

    /// The message as reports show it: with the journal note in front.
    pub fn shown_message(&self) -> String {
        match self.replay_note() {
            Some(note) => format!("[{note}] {}", self.message),
            None => self.message.clone(),
        }
    }

    /// What makes two findings the same (code, message, inodes, blocks),
    /// whatever the replay marks.
    pub fn key(&self) -> FindingKey<'_> {
        (self.code, &self.message, &self.inodes, &self.blocks)
    }

    pub fn with_inodes(mut self, inodes: impl IntoIterator<Item = InodeNo>) -> Finding {
        self.inodes.extend(inodes);
        self
    }

    pub fn with_blocks(mut self, blocks: impl IntoIterator<Item = [u64; 2]>) -> Finding {
        self.blocks.extend(blocks);
        self
    }
}

/// Index of a name in [`Names`].
pub type NameId = u32;

/// One directory entry: its name and the entry of the directory holding it.
#[derive(Debug, Clone, Copy)]
struct NameEntry {
    /// The parent directory's entry; always an earlier entry, so walking up
    /// ends. `NO_PARENT` for the root.
    parent: NameId,
    start: u32,
    len: u32,
}

const NO_PARENT: NameId = NameId::MAX;

/// Paths longer than this (bytes) are cut at the front when built.
pub const MAX_PATH_LEN: usize = 4096;

/// Every name in the filesystem, stored once: a parent-pointer tree over one
/// text arena. Full paths are built on demand; 12 bytes plus the name per entry.
#[derive(Debug, Clone, Default)]
pub struct Names {
    entries: Vec<NameEntry>,
    text: String,
    /// Names after the first, by inode: hard links are rare, so they live
    /// here rather than in every inode.
    more: HashMap<InodeNo, Vec<NameId>>,
}

impl Names {
    /// An empty tree with room for `entries` names of `text` bytes in all.
    pub fn with_capacity(entries: usize, text: usize) -> Names {
        Names {
            entries: Vec::with_capacity(entries),
            text: String::with_capacity(text),
            more: HashMap::new(),
        }
    }

    /// Adds `name` under `parent` (None: the root). None when the arena is full
    /// (4 GiB of names) or the parent does not exist.
    pub fn push(&mut self, parent: Option<NameId>, name: &str) -> Option<NameId> {
        let id = NameId::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NO_PARENT)?;
        let parent = match parent {
            Some(p) if p < id => p,
            Some(_) => return None,
            None => NO_PARENT,
        };
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(name.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(name);
        self.entries.push(NameEntry { parent, start, len });
        Some(id)
    }

    /// The name of one entry (its last path component).
    pub fn name(&self, id: NameId) -> &str {
        self.entries
            .get(id as usize)
            .and_then(|e| {
                self.text
                    .get(e.start as usize..(e.start as usize + e.len as usize))
            })
            .unwrap_or("")
    }

    /// The full path of an entry, `/` for the root; cut at the front past
    /// [`MAX_PATH_LEN`] bytes.
    pub fn path(&self, id: NameId) -> String {
        let mut parts = Vec::new();
        let mut total = 0usize;
        let mut at = id;
        // Parents are always earlier entries: at most `entries.len()` steps.
        while let Some(e) = self.entries.get(at as usize) {
            if e.parent == NO_PARENT {
                break;
            }
            let name = self.name(at);
            total += name.len() + 1;
            if total > MAX_PATH_LEN {
                parts.push("…");
                break;
            }
            parts.push(name);
            at = e.parent;
        }
        if parts.is_empty() {
            return "/".into();
        }
        let mut out = String::with_capacity(total);
        for part in parts.iter().rev() {
            if *part != "…" {
                out.push('/');
            }
            out.push_str(part);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Records `id` as a name of `inode` (the first one goes in the inode).
    pub fn add_to(&mut self, inode: &mut Inode, id: NameId) {
        if inode.first_name == NO_NAME {
            inode.first_name = id;
        } else {
            self.more.entry(inode.ino).or_default().push(id);
        }
    }

    /// Every name of `inode`, the first one first.
    pub fn of<'a>(&'a self, inode: &Inode) -> impl Iterator<Item = NameId> + 'a {
        let more = self.more.get(&inode.ino).map_or(&[][..], Vec::as_slice);
        (inode.first_name != NO_NAME)
            .then_some(inode.first_name)
            .into_iter()
            .chain(more.iter().copied())
    }

    /// How many names `inode` has.
    pub fn count(&self, inode: &Inode) -> usize {
        usize::from(inode.first_name != NO_NAME) + self.more.get(&inode.ino).map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
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

    pub fn inode(&self, ino: InodeNo) -> Option<&Inode> {
        self.inodes
            .binary_search_by_key(&ino, |i| i.ino)
            .ok()
            .and_then(|i| self.inodes.get(i))
    }
}

/// Sorted `(start, len)` runs → sorted, disjoint runs, touching ones merged.
pub fn coalesce_runs(sorted: Vec<(BlockNo, u64)>) -> Vec<(BlockNo, u64)> {
    let mut out: Vec<(BlockNo, u64)> = Vec::with_capacity(sorted.len());
    for (s, l) in sorted {
        let e = s.saturating_add(l);
        if let Some(last) = out.last_mut() {
            let last_end = last.0.saturating_add(last.1);
            if s <= last_end {
                last.1 = last_end.max(e) - last.0;
                continue;
            }
        }
        out.push((s, l));
    }
    out
}

/// Runs of blocks as `(start, len)` pairs, sorted and disjoint.
pub type RunList = Vec<(BlockNo, u64)>;

/// Sorted `(start, end)` half-open claims → their union as sorted, disjoint
/// `(start, len)` runs (touching claims merged), and the blocks claimed more
/// than once, as sorted, disjoint `(start, len)` runs. One pass after the sort.
pub fn union_and_overlaps(mut claims: Vec<(BlockNo, BlockNo)>) -> (RunList, RunList) {
    claims.sort_unstable();
    let mut union: Vec<(BlockNo, BlockNo)> = Vec::new();
    let mut twice: Vec<(BlockNo, u64)> = Vec::new();
    for (start, end) in claims.into_iter().filter(|&(s, e)| s < e) {
        if let Some(last) = union.last_mut()
            && start <= last.1
        {
            // Every block of [start, min(end, last end)) is already claimed.
            let shared_end = end.min(last.1);
            if start < shared_end {
                twice.push((start, shared_end - start));
            }
            last.1 = last.1.max(end);
            continue;
        }
        union.push((start, end));
    }
    twice.sort_unstable();
    let union = union.into_iter().map(|(s, e)| (s, e - s)).collect();
    (union, coalesce_runs(twice))
}

/// The blocks in both of two sorted, disjoint `(start, len)` run lists. A
/// linear merge.
pub fn intersect_runs(a: &[(BlockNo, u64)], b: &[(BlockNo, u64)]) -> Vec<(BlockNo, u64)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while let (Some(&(sa, la)), Some(&(sb, lb))) = (a.get(i), b.get(j)) {
        let (ea, eb) = (sa.saturating_add(la), sb.saturating_add(lb));
        let (s, e) = (sa.max(sb), ea.min(eb));
        if s < e {
            out.push((s, e - s));
        }
        if ea <= eb {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The blocks of `a` not in `b` (both sorted, disjoint `(start, len)` runs).
/// A linear merge.
pub fn subtract_runs(a: &[(BlockNo, u64)], b: &[(BlockNo, u64)]) -> Vec<(BlockNo, u64)> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(start, len) in a {
        let end = start.saturating_add(len);
        let mut pos = start;
        // Skip the runs of b that end before this run of a.
        while b.get(j).is_some_and(|&(s, l)| s.saturating_add(l) <= pos) {
            j += 1;
        }
        let mut k = j;
        while let Some(&(s, l)) = b.get(k).filter(|&&(s, _)| s < end) {
            if s > pos {
                out.push((pos, s - pos));
            }
            pos = pos.max(s.saturating_add(l));
            k += 1;
        }
        if pos < end {
            out.push((pos, end - pos));
        }
    }
    out
}

/// A name from the image as a string that keeps the exact bytes recoverable:
/// valid UTF-8 is kept, a backslash becomes `\\`, and every byte of an invalid
/// sequence becomes `\xNN` — so `a\xffb` (bytes 61 FF 62) and a name spelled
/// with a literal backslash (`a\\xffb`) never collide. Control characters are
/// kept here (they are evidence) and escaped by the presentation layer before
/// they reach a terminal.
pub fn name_from_bytes(bytes: &[u8]) -> Cow<'_, str> {
    // The common case, valid UTF-8 without a backslash, costs no allocation.
    if let Ok(s) = std::str::from_utf8(bytes)
        && !s.contains('\\')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_build_paths_from_the_tree() {
        let mut names = Names::default();
        let root = names.push(None, "").unwrap();
        let etc = names.push(Some(root), "etc").unwrap();
        let shadow = names.push(Some(etc), "shadow").unwrap();
        assert_eq!(names.path(root), "/");
        assert_eq!(names.path(etc), "/etc");
        assert_eq!(names.path(shadow), "/etc/shadow");
        // A parent must already exist.
        assert_eq!(names.push(Some(99), "x"), None);
        // Deep paths are cut at the front.
        let mut at = root;
        for _ in 0..2000 {
            at = names.push(Some(at), "deep").unwrap();
        }
        let p = names.path(at);
        assert!(
            p.starts_with('…') && p.len() <= MAX_PATH_LEN + 8,
            "{}",
            p.len()
        );
    }

    #[test]
    fn coalescing_merges_touching_and_overlapping_runs() {
        assert_eq!(
            coalesce_runs(vec![(0, 2), (2, 3), (4, 1), (10, 1)]),
            vec![(0, 5), (10, 1)]
        );
    }

    #[test]
    fn union_finds_every_block_claimed_twice() {
        let (union, twice) =
            union_and_overlaps(vec![(10, 20), (0, 5), (5, 8), (15, 16), (18, 30), (40, 40)]);
        assert_eq!(union, vec![(0, 8), (10, 20)]);
        assert_eq!(twice, vec![(15, 1), (18, 2)]);
        // Three claims on one block are one shared block.
        let (_, twice) = union_and_overlaps(vec![(1, 4), (2, 3), (2, 3)]);
        assert_eq!(twice, vec![(2, 1)]);
    }

    #[test]
    fn run_lists_intersect_and_subtract() {
        let a = [(0, 10), (20, 5), (30, 1)];
        let b = [(5, 20), (30, 2)];
        assert_eq!(intersect_runs(&a, &b), vec![(5, 5), (20, 5), (30, 1)]);
        assert_eq!(subtract_runs(&a, &b), vec![(0, 5)]);
        assert_eq!(subtract_runs(&b, &a), vec![(10, 10), (31, 1)]);
        assert_eq!(subtract_runs(&a, &[]), a.to_vec());
    }

    #[test]
    fn invalid_utf8_names_are_escaped() {
        assert_eq!(name_from_bytes(b"caf\xc3\xa9"), "café");
        assert_eq!(name_from_bytes(b"a\xffb"), "a\\xffb");
        assert_eq!(name_from_bytes(b"a\\xffb"), "a\\\\xffb");
    }

    #[test]
    fn mode_strings_match_ls() {
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o100600), "-rw-------");
    }

    #[test]
    fn severities_order_by_gravity() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
    }
}
