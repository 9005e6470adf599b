//! Presentation of a [`ScanResult`](crate::analysis::ScanResult): the human
//! text report and the JSON contract. Every string from the image passes
//! through [`sanitize`] before it reaches a terminal.

pub mod describe;
pub mod json;
pub mod sanitize;
pub mod text;
