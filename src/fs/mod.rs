//! Filesystem formats: recognising one on a volume and parsing it into the
//! common [`Filesystem`](crate::model::Filesystem) model. One module per format.

pub mod content;
pub mod detect;
pub mod erofs;
pub mod ext;
pub mod fat;
pub mod format;
pub mod recognised;
pub mod xfs;

use crate::image::View;
use crate::model::{BlockNo, Filesystem, Replay};

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
    #[error(
        "no supported filesystem recognised ({} looked for)",
        detect::parsed_formats()
    )]
    Unrecognised,
    /// A format this tool recognises but does not parse yet, in words with
    /// its version ("squashfs 4.0").
    #[error("{format} (not supported yet)")]
    Unsupported { format: String },
    /// A format's parser gave up: the format's own typed error says where.
    #[error("{format}: {source}")]
    Format {
        format: &'static str,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl FsError {
    /// A format's own error, under the format's name.
    pub fn format(
        format: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> FsError {
        FsError::Format {
            format,
            source: Box::new(source),
        }
    }
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

/// Recognises the filesystem on `view` and parses it. Probes run in the
/// registry's order ([`format::FORMATS`]) and the first that fires is
/// modelled; when more than one filesystem's signature is valid, an
/// `ambivalent_filesystem` finding names them all.
pub fn parse(
    view: &View<'_>,
    detail: Detail,
    progress: &dyn Progress,
) -> Result<Filesystem, FsError> {
    let Some(format) = format::recognise(view) else {
        return Err(detect::unrecognised(view));
    };
    let mut filesystem = format.open(view, detail, progress)?;
    if let Some(finding) = detect::ambivalence(view, format.name(), &filesystem.info.fs_type) {
        filesystem.findings.insert(0, finding);
    }
    Ok(filesystem)
}

/// What mount changes first on the volume's filesystem (a journal or log it
/// replays), read and replayed in memory; None where there is nothing, or
/// the format has none.
pub fn replay(view: &View<'_>) -> Option<Replay> {
    format::recognise(view)?.replay(view)
}
