//! Presentation of a [`ScanResult`](crate::analysis::ScanResult): the human
//! text report, the JSON contract, the Sleuth Kit listings, the HTML page and
//! the PNG heatmap. Every printer writes to an [`std::io::Write`] as it goes
//! (a million-file bodyfile is never one string in memory). Every string from
//! the image passes through [`sanitize`] before it reaches a terminal.

pub mod describe;
pub mod heatmap;
pub mod html;
pub mod json;
pub mod listing;
pub mod picture;
pub mod sanitize;
pub mod text;

use std::io;

/// What a printer writes, in memory (for tests and the fuzz targets, which
/// compare reports). Writing to a `Vec` cannot fail, so an error would be a
/// printer's own: it is written after the output, where a comparison sees it.
pub fn to_bytes(print: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Err(e) = print(&mut bytes) {
        bytes.extend_from_slice(format!("\n[the printer failed: {e}]\n").as_bytes());
    }
    bytes
}
