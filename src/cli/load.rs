//! Opening and scanning the image, and choosing the volume a command is about.

use std::path::Path;

use anyhow::anyhow;

use imginspect::analysis::{self, ScanOptions, ScanResult, VolumeResult};
use imginspect::fs::NoProgress;
use imginspect::image::{Image, View};
use imginspect::model::Filesystem;

/// Opens the image. The error is kept as one line: it already names the
/// path and the cause.
pub fn open(path: &Path) -> anyhow::Result<Image> {
    Image::open(path).map_err(|e| anyhow!("{e}"))
}

/// Opens and scans the image.
pub fn scan(path: &Path, options: &ScanOptions) -> anyhow::Result<(Image, ScanResult)> {
    let image = open(path)?;
    let result = analysis::scan(&image, options, &NoProgress);
    Ok((image, result))
}

/// The volume `--partition` names, or the first that holds a filesystem;
/// with its filesystem.
pub fn chosen_volume(
    result: &ScanResult,
    partition: Option<u32>,
) -> Option<(&VolumeResult, &Filesystem)> {
    let volume = match partition {
        Some(n) => result
            .volumes
            .iter()
            .find(|v| v.partition.as_ref().is_some_and(|p| p.number == n)),
        None => result.volumes.iter().find(|v| v.filesystem.is_some()),
    }?;
    Some((volume, volume.filesystem.as_ref()?))
}

/// Why no volume of the image could be used.
pub fn no_filesystem(image: &Path, result: &ScanResult) -> anyhow::Error {
    let why = result
        .volumes
        .iter()
        .find_map(|v| v.error.clone())
        .unwrap_or_else(|| "no filesystem recognised".into());
    anyhow!("{}: {why}", image.display())
}

/// The bytes of a volume as its model was made from: on disk, or with the
/// journal replayed over them.
pub fn volume_view<'a>(img: &'a Image, volume: &'a VolumeResult) -> Option<View<'a>> {
    let view = img
        .view()
        .sub(volume.offset_bytes, volume.length_bytes)
        .ok()?;
    Some(match volume.replay_overlay() {
        Some(overlay) => view.with_overlay(overlay),
        None => view,
    })
}
