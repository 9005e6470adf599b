//! Filesystem formats: recognising one on a volume and parsing it into the
//! common [`Filesystem`](crate::model::Filesystem) model. One module per format.

pub mod content;
pub mod erofs;
pub mod ext;
pub mod fat;
pub mod xfs;

use crate::image::View;
use crate::model::{BlockNo, Filesystem};

/// Reports how far a long parse has got. Called from the parsing thread.
pub trait Progress: Sync {
    /// `phase` is what is being read; `done` of `total` units of it are finished.
    fn step(&self, phase: &str, done: u64, total: u64);
}

/// A [`Progress`] that ignores every report.
pub struct NoProgress;

impl Progress for NoProgress {
    fn step(&self, _phase: &str, _done: u64, _total: u64) {}
}

/// Why no filesystem model could be built for a volume.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("no supported filesystem recognised (ext2/3/4, EROFS, FAT12/16/32 and XFS looked for)")]
    Unrecognised,
    #[error("ext2/3/4: {0}")]
    Ext(#[from] ext::ExtError),
    #[error("FAT: {0}")]
    Fat(#[from] fat::FatError),
    #[error("EROFS: {0}")]
    Erofs(#[from] erofs::ErofsError),
    #[error("XFS: {0}")]
    Xfs(#[from] xfs::XfsError),
}

/// How much of the filesystem a parse puts into the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every in-use inode with its runs and names: for the inspector and for
    /// lookups, which may be asked about any inode or block.
    #[default]
    Everything,
    /// Only what the findings can name (directories, reserved inodes, inodes
    /// with claims outside the filesystem or on a block another claim, metadata
    /// or a free bitmap bit shares); the claims of every other inode are kept
    /// as one union ([`crate::model::Omitted`]). The findings and cross-links
    /// are the same as with `Everything`; memory follows the metadata that
    /// matters, not the number of inodes. For `imginspect scan`.
    FindingsOnly,
    /// Only directories (for names), reserved inodes and the inodes with a
    /// claim on this block: everything `imginspect block` says of it.
    Claiming(BlockNo),
}

/// Recognises the filesystem on `view` and parses it.
pub fn parse(
    view: &View<'_>,
    detail: Detail,
    progress: &dyn Progress,
) -> Result<Filesystem, FsError> {
    if ext::probe(view) {
        return Ok(ext::parse(view, detail, progress)?);
    }
    // EROFS, XFS and FAT volumes are always modelled whole.
    if erofs::probe(view) {
        return Ok(erofs::parse(view, progress)?);
    }
    if xfs::probe(view) {
        return Ok(xfs::parse(view, progress)?);
    }
    if fat::probe(view) {
        return Ok(fat::parse(view, progress)?);
    }
    if let Some(what) = xfs::external_log_device(view) {
        return Err(xfs::XfsError::ExternalLogDevice(what).into());
    }
    Err(FsError::Unrecognised)
}
