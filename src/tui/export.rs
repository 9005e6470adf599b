//! The heatmap's `e`: the visible map as a PNG picture in a new file. The UI
//! thread only describes the picture ([`HeatmapPicture`], cheap to build);
//! the worker thread draws and writes it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::report::heatmap::Ownership;
use crate::report::picture;

/// Everything needed to draw the visible heatmap, owned, for another thread.
#[derive(Debug, Clone)]
pub struct HeatmapPicture {
    pub ownership: Arc<Ownership>,
    pub grid: picture::Grid,
    /// The image's path as the operator typed it.
    pub image_path: String,
    pub fs_type: String,
    /// What a block is called ("block", "sector").
    pub unit: &'static str,
}

impl HeatmapPicture {
    /// The PNG (see [`picture::heatmap_png`]), titled with the image and the
    /// volume.
    pub fn png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let title = format!("{}: {}", file_name(&self.image_path), self.fs_type);
        picture::heatmap_png(&self.ownership, self.grid, &title, self.unit)
    }

    /// Writes [`Self::png`] to a new file in `dir`, named after the image
    /// (`<image>-heatmap.png`, then `-2`, `-3`…): never over an existing file.
    pub fn save(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let bytes = self.png().map_err(std::io::Error::other)?;
        // Only plain characters from the image's file name reach the new name.
        let stem: String = file_name(&self.image_path)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        for n in 1..=99 {
            let name = if n == 1 {
                format!("{stem}-heatmap.png")
            } else {
                format!("{stem}-heatmap-{n}.png")
            };
            let path = dir.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    file.write_all(&bytes)?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(
            "99 heatmap pictures of this image are already there",
        ))
    }
}

/// The last component of a path, as typed by the operator.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
