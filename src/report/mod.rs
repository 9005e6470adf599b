//! Presentation of a [`ScanResult`](crate::analysis::ScanResult): the human
//! text report, the JSON contract, the Sleuth Kit listings, the HTML page and the PNG heatmap. Every string from the image passes
//! through [`sanitize`] before it reaches a terminal.

pub mod describe;
pub mod heatmap;
pub mod html;
pub mod json;
pub mod listing;
pub mod picture;
pub mod sanitize;
pub mod text;
