//! ext2/3/4 behind the [`Format`] seam.

use crate::fs::content::ContentError;
use crate::fs::format::Format;
use crate::fs::{Detail, FsError, Progress};
use crate::image::View;
use crate::model::{FileType, Filesystem, Inode, Replay};

use super::inode::flags;

pub struct Ext;

/// The ext family in the registry.
pub static FORMAT: Ext = Ext;

impl Format for Ext {
    fn name(&self) -> &'static str {
        "ext2/3/4"
    }

    fn used_by(&self) -> &'static str {
        "mount -t ext4"
    }

    fn probe(&self, view: &View<'_>) -> bool {
        super::probe(view)
    }

    fn valid(&self, view: &View<'_>) -> bool {
        super::valid(view)
    }

    /// The primary superblock is gone, a backup is not: e2fsck and the
    /// kernel (`-o sb=N`) read the filesystem through it.
    fn probe_damaged(&self, view: &View<'_>) -> bool {
        super::backup_superblock(view).is_some()
    }

    fn open(
        &self,
        view: &View<'_>,
        detail: Detail,
        progress: &dyn Progress,
    ) -> Result<Filesystem, FsError> {
        super::parse(view, detail, progress).map_err(|e| FsError::format(self.name(), e))
    }

    /// The JBD2 journal, walked as fs/jbd2/recovery.c walks it.
    fn replay(&self, view: &View<'_>) -> Option<Replay> {
        super::probe(view)
            .then(|| super::journal::read(view))
            .flatten()
    }

    /// Inline data (EXT4_INLINE_DATA_FL) and a fast symlink's target live in
    /// the inode itself, not in blocks.
    fn inode_bytes(
        &self,
        view: &View<'_>,
        fs: &Filesystem,
        inode: &Inode,
    ) -> Result<Option<Vec<u8>>, ContentError> {
        let inline = inode.flags & flags::INLINE_DATA != 0;
        let fast_symlink = inode.file_type == FileType::Symlink && fs.runs_of(inode).is_empty();
        if !inline && !fast_symlink {
            return Ok(None);
        }
        super::inode_bytes(view, inode.ino)
            .map(Some)
            .ok_or(ContentError::Unsupported(
                "the inode holding the inline data cannot be read",
            ))
    }
}
