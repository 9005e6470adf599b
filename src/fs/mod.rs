//! Filesystem formats: recognising one on a volume and parsing it into the
//! common [`Filesystem`](crate::model::Filesystem) model. One module per format.

pub mod content;
pub mod detect;
pub mod erofs;
pub mod ext;
pub mod fat;
pub mod xfs;

use crate::image::View;
use crate::model::Code;
use crate::model::{BlockNo, Filesystem, Finding};

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
    #[error(
        "no supported filesystem recognised: the volume holds {0}, which this tool recognises but does not parse"
    )]
    Unsupported(String),
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

/// Recognises the filesystem on `view` and parses it. Probes run in a fixed
/// order (ext, EROFS, XFS, FAT) and the first that fires is modelled; when
/// more than one filesystem's signature is valid, an `ambivalent_filesystem`
/// finding names them all.
pub fn parse(
    view: &View<'_>,
    detail: Detail,
    progress: &dyn Progress,
) -> Result<Filesystem, FsError> {
    let (modelled, parsed) = if ext::probe(view) {
        (
            detect::EXT,
            ext::parse(view, detail, progress).map_err(FsError::from),
        )
    } else if erofs::probe(view) {
        // EROFS, XFS and FAT volumes are always modelled whole.
        (
            detect::EROFS,
            erofs::parse(view, progress).map_err(FsError::from),
        )
    } else if xfs::probe(view) {
        (
            detect::XFS,
            xfs::parse(view, progress).map_err(FsError::from),
        )
    } else if fat::probe(view) {
        (
            detect::FAT,
            fat::parse(view, progress).map_err(FsError::from),
        )
    } else if ext::backup_superblock(view).is_some() {
        // The primary ext superblock is gone, a backup is not: e2fsck and
        // the kernel (-o sb=N) read the filesystem through it.
        (
            detect::EXT,
            ext::parse(view, detail, progress).map_err(FsError::from),
        )
    } else {
        return Err(unrecognised(view));
    };
    let mut filesystem = parsed?;
    if let Some(finding) = ambivalence(view, modelled, &filesystem.info.fs_type) {
        filesystem.findings.insert(0, finding);
    }
    Ok(filesystem)
}

/// Why nothing was parsed: a log device, a format that is only recognised,
/// or nothing at all.
fn unrecognised(view: &View<'_>) -> FsError {
    if let Some(what) = xfs::external_log_device(view) {
        return xfs::XfsError::ExternalLogDevice(what).into();
    }
    let found: Vec<&str> = detect::signatures(view).iter().map(|s| s.name).collect();
    if found.is_empty() {
        FsError::Unrecognised
    } else {
        FsError::Unsupported(found.join(", "))
    }
}

/// The `ambivalent_filesystem` finding, when a valid signature of another
/// format shares the volume with the one modelled.
fn ambivalence(view: &View<'_>, modelled: &str, fs_type: &str) -> Option<Finding> {
    let found = detect::signatures(view);
    let others: Vec<&detect::Signature> = found.iter().filter(|s| s.name != modelled).collect();
    if others.is_empty() {
        return None;
    }
    let listed: Vec<String> = std::iter::once(format!("{modelled} (modelled here, as {fs_type})"))
        .chain(others.iter().map(|s| {
            if s.parsed {
                s.name.to_string()
            } else {
                format!("{} (recognised, not parsed)", s.name)
            }
        }))
        .collect();
    let used_by: Vec<&str> = others.iter().map(|s| s.used_by).collect();
    Some(Finding::new(
        Code::AmbivalentFilesystem,
        format!(
            "more than one filesystem's signature is valid on this volume: {}. blkid calls this an ambivalent result and `mount` without -t refuses it, but {} takes the same bytes for another filesystem than the {fs_type} checked here: what a checker passes is not what may be mounted (`wipefs` lists the signatures)",
            listed.join(", "),
            used_by.join(" or ")
        ),
    ))
}
