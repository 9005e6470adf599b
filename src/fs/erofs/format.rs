//! EROFS behind the [`Format`] seam.

use crate::fs::content::ContentError;
use crate::fs::format::Format;
use crate::fs::{Detail, FsError, Progress};
use crate::image::View;
use crate::model::{Filesystem, Inode};

use super::{COMPRESSED_COMPACT, COMPRESSED_FULL, FLAT_INLINE};

pub struct Erofs;

/// EROFS in the registry.
pub static FORMAT: Erofs = Erofs;

impl Format for Erofs {
    fn name(&self) -> &'static str {
        "EROFS"
    }

    fn used_by(&self) -> &'static str {
        "mount -t erofs"
    }

    fn probe(&self, view: &View<'_>) -> bool {
        super::probe(view)
    }

    fn valid(&self, view: &View<'_>) -> bool {
        super::valid(view)
    }

    /// Modelled whole whatever the detail asked: EROFS images are small
    /// beside their metadata.
    fn open(
        &self,
        view: &View<'_>,
        _detail: Detail,
        progress: &dyn Progress,
    ) -> Result<Filesystem, FsError> {
        super::parse(view, progress).map_err(|e| FsError::format(self.name(), e))
    }

    /// The parser keeps each inode's data layout (`i_format` bits 1–3) in
    /// `Inode::flags`: compressed files and inline tails are not read by
    /// their block map alone.
    fn inode_bytes(
        &self,
        _view: &View<'_>,
        fs: &Filesystem,
        inode: &Inode,
    ) -> Result<Option<Vec<u8>>, ContentError> {
        let layout = u16::try_from(inode.flags).unwrap_or(u16::MAX);
        let block_size = u64::from(fs.info.block_size).max(1);
        if layout == COMPRESSED_FULL || layout == COMPRESSED_COMPACT {
            return Err(ContentError::Unsupported(
                "a compressed EROFS file: its clusters are mapped, but imginspect does not decompress",
            ));
        }
        if layout == FLAT_INLINE && !inode.size.is_multiple_of(block_size) {
            return Err(ContentError::Unsupported(
                "an EROFS file whose tail is inline in its inode's block, which cat does not read yet",
            ));
        }
        Ok(None)
    }
}
