//! Presentation of a [`ScanResult`](crate::analysis::ScanResult): the human
//! text report, the JSON contract and the Sleuth Kit listings. Every string from the image passes
//! through [`sanitize`] before it reaches a terminal.

pub mod describe;
pub mod explain;
pub mod heatmap;
pub mod html;
pub mod json;
pub mod listing;
pub mod sanitize;
pub mod text;
