//! Volumes that hold something other than a filesystem: Linux swap, LUKS,
//! LVM2 physical volumes.

use super::{Recognised, bytes_at};
use crate::bytes::{be16, le32};
use crate::image::View;

pub const SWAP: Recognised = Recognised {
    name: "Linux swap",
    used_by: "swapon (which writes over it)",
    identify: |view| swap(view).then(|| "Linux swap".into()),
};

pub const LUKS: Recognised = Recognised {
    name: "LUKS",
    used_by: "cryptsetup open",
    identify: luks,
};

pub const LVM2: Recognised = Recognised {
    name: "LVM2",
    used_by: "vgchange -ay",
    identify: lvm2,
};

/// `probe_swap`: "SWAPSPACE2" (version 1 header) or "SWAP-SPACE" in the
/// last 10 bytes of the first page, for the page sizes blkid tries.
fn swap(view: &View<'_>) -> bool {
    [4096u64, 8192, 16384, 32768, 65536]
        .iter()
        .any(|&page| match bytes_at(view, page - 10, 10) {
            Some(b"SWAPSPACE2") => bytes_at(view, 1024, 4).is_some_and(|v| le32(v, 0) == 1),
            Some(b"SWAP-SPACE") => true,
            _ => false,
        })
}

/// `probe_luks`: "LUKS\xba\xbe" at 0, version (big-endian at 6) 1 or 2.
fn luks(view: &View<'_>) -> Option<String> {
    let b = bytes_at(view, 0, 8)?;
    (b.get(0..6) == Some(b"LUKS\xba\xbe") && matches!(be16(b, 6), 1 | 2))
        .then(|| format!("LUKS{}", be16(b, 6)))
}

/// `probe_lvm2`: a label header in one of the first four sectors:
/// "LABELONE", the sector's own number at 8, and the type "LVM2 001" at 24
/// (lib/label/label.h, struct label_header).
fn lvm2(view: &View<'_>) -> Option<String> {
    (0..4u64).find_map(|sector| {
        let b = bytes_at(view, sector * 512, 32)?;
        (b.get(0..8) == Some(b"LABELONE")
            && u64::from(le32(b, 8)) == sector
            && b.get(24..32) == Some(b"LVM2 001"))
        .then(|| "LVM2 physical volume".into())
    })
}
