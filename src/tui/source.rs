//! Where the TUI's bytes come from: an image file, or the teaching image built
//! into the binary. Only the block view reads bytes, through a bounds-checked view.

use crate::image::{Image, View};

/// The built-in teaching image: `/etc/shadow` (0600 root) and
/// `/home/user/notes.txt` (0644 uid 1000) share blocks 13–14
/// (sample-images/shadow-crosslink.img).
pub const DEMO_IMAGE: &[u8] = include_bytes!("../../sample-images/shadow-crosslink.img");
pub const DEMO_NAME: &str = "demo: shadow-crosslink.img (built in)";

pub enum Source {
    File(Image),
    Embedded {
        name: &'static str,
        bytes: &'static [u8],
    },
}

impl Source {
    pub fn demo() -> Source {
        Source::Embedded {
            name: DEMO_NAME,
            bytes: DEMO_IMAGE,
        }
    }

    pub fn view(&self) -> View<'_> {
        match self {
            Source::File(image) => image.view(),
            Source::Embedded { bytes, .. } => View::from_bytes(bytes),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Source::File(image) => image.path().display().to_string(),
            Source::Embedded { name, .. } => (*name).to_string(),
        }
    }
}
