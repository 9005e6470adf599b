//! imginspect: forensic inspection of filesystem images.
//!
//! The layers, each importing only from those above it in this list:
//! [`image`] (read-only map, bounds-checked views) → [`volume`] (partition
//! tables) → [`fs`] (one module per format, producing the [`model`]) → [`analysis`] (ownership sweep,
//! cross-links, findings; one immutable [`analysis::ScanResult`]) → [`report`]
//! (text and JSON) | [`tui`] (the interactive inspector).

// Image bytes are hostile: no panicking index, unwrap or panic in library code.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod analysis;
pub mod bytes;
pub mod fs;
pub mod fuzzing;
pub mod image;
pub mod model;
pub mod report;
pub mod tui;
pub mod volume;
