//! Inodes as the model sees them: their runs and the role of each, file types
//! and modes.

use super::*;

/// What a run of blocks is to the inode that claims it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// A contiguous run of blocks mapped by an inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRun {
    /// File block the run starts at, for runs that map file contents.
    pub logical: Option<u64>,
    pub start: BlockNo,
    pub len: u64,
    pub role: Role,
    /// An ext4 unwritten (preallocated) extent: allocated, reads as zeros.
    pub unwritten: bool,
}

impl BlockRun {
    /// One past the last block, saturating (a hostile run may end past u64::MAX).
    pub fn end(&self) -> BlockNo {
        self.start.saturating_add(self.len)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone)]
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
    pub crtime: Option<i64>,
    /// Space the inode says it uses, in 512-byte sectors.
    pub sectors: u64,
    /// Format-specific inode flags, raw.
    pub flags: u32,
    /// The first directory entry that names this inode ([`NO_NAME`] if none);
    /// see [`Filesystem::paths`].
    pub first_name: NameId,

    /// Where the runs this inode maps lie in [`Filesystem::runs`]; see
    /// [`Filesystem::runs_of`].
    pub runs: RunSpan,
    /// Why this inode was counted as in use when the format's own bookkeeping
    /// says otherwise (e.g. hidden in an uninitialised inode-table tail).
    pub hidden: Option<Hidden>,
    /// A deleted entry kept as evidence (FAT 0xE5): its runs are where its
    /// data was, history, not claims; the analysis never counts them.
    pub deleted: bool,
    /// What mount does to this inode before anything else can use the
    /// filesystem (ext's orphan list); its claims hold until then.
    pub released_at_mount: Option<Release>,
}

/// What the kernel does at mount to an inode left pending by a crash, before
/// any user can act (ext4: `ext4_orphan_cleanup`, fs/ext4/orphan.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Unlinked (no links): deleted, and every block it claims freed.
    Delete,
    /// Still linked: truncated to its size, and the blocks past it freed.
    Truncate,
}

/// Why an inode that the format's bookkeeping calls unused was found live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
