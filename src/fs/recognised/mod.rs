//! Formats this tool recognises but does not parse yet: each is named in
//! every output ("squashfs 4.0 (not supported yet)") instead of "nothing
//! recognised", and counts as a signature when a volume holds two. Each
//! check is as strict as the one its owner makes (libblkid's
//! `libblkid/src/superblocks/*.c`, or the container's specification): a bare
//! magic is never enough, since a file's data can hold any string.

mod containers;
mod devices;
mod filesystems;

use crate::fs::format::Format;
use crate::fs::{Detail, FsError, Progress};
use crate::image::View;
use crate::model::Filesystem;

pub use containers::{ANDROID_SPARSE, EWF, QCOW2, VHD, VHDX, VMDK};
pub use devices::{LUKS, LVM2, SWAP};
pub use filesystems::{BTRFS, EXFAT, F2FS, ISO9660, NTFS, SQUASHFS};

/// A recognised format: its name, what takes it, and its check.
pub struct Recognised {
    name: &'static str,
    used_by: &'static str,
    /// `Some(what it is, with its version where the header gives one)` when
    /// the signature is valid.
    identify: fn(&View<'_>) -> Option<String>,
}

impl Format for Recognised {
    fn name(&self) -> &'static str {
        self.name
    }

    fn used_by(&self) -> &'static str {
        self.used_by
    }

    fn probe(&self, view: &View<'_>) -> bool {
        (self.identify)(view).is_some()
    }

    fn valid(&self, view: &View<'_>) -> bool {
        self.probe(view)
    }

    fn parses(&self) -> bool {
        false
    }

    fn open(&self, view: &View<'_>, _: Detail, _: &dyn Progress) -> Result<Filesystem, FsError> {
        Err(FsError::Unsupported {
            format: (self.identify)(view).unwrap_or_else(|| self.name.to_string()),
        })
    }
}

/// `len` bytes at `at`, or None past the end of the volume.
fn bytes_at<'a>(view: &View<'a>, at: u64, len: usize) -> Option<&'a [u8]> {
    view.read(at, len).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identified(bytes: &[u8]) -> Vec<String> {
        let view = View::from_bytes(bytes);
        crate::fs::format::FORMATS
            .iter()
            .filter(|f| !f.parses() && f.probe(&view))
            .map(
                |f| match f.open(&view, Detail::default(), &crate::fs::NoProgress) {
                    Err(FsError::Unsupported { format }) => format,
                    other => panic!("{}: {other:?}", f.name()),
                },
            )
            .collect()
    }

    #[test]
    fn bare_magics_are_not_signatures() {
        let mut b = vec![0u8; 128 * 1024];
        b[3..11].copy_from_slice(b"NTFS    ");
        b[0x10040..0x10048].copy_from_slice(b"_BHRfS_M");
        b[0x8001..0x8006].copy_from_slice(b"CD001");
        b[1024..1028].copy_from_slice(&0xF2F5_2010u32.to_le_bytes());
        assert!(identified(&b).is_empty(), "{:?}", identified(&b));
        let mut q = vec![0u8; 4096];
        q[..4].copy_from_slice(b"QFI\xfb");
        q[7] = 9; // no such qcow version
        assert!(identified(&q).is_empty(), "{:?}", identified(&q));
    }

    #[test]
    fn each_checked_signature_is_named_with_its_version() {
        let mut b = vec![0u8; 128 * 1024];
        b[0x10030..0x10038].copy_from_slice(&0x10000u64.to_le_bytes());
        b[0x10040..0x10048].copy_from_slice(b"_BHRfS_M");
        b[0x10090..0x10094].copy_from_slice(&4096u32.to_le_bytes());
        b[0x8000] = 1;
        b[0x8001..0x8006].copy_from_slice(b"CD001");
        b[0x8006] = 1;
        b[4086..4096].copy_from_slice(b"SWAP-SPACE");
        assert_eq!(identified(&b), vec!["btrfs", "Linux swap", "ISO 9660"]);
        let mut l = vec![0u8; 4096];
        l[..6].copy_from_slice(b"LUKS\xba\xbe");
        l[7] = 2;
        assert_eq!(identified(&l), vec!["LUKS2"]);
        let mut s = vec![0u8; 4096];
        s[..4].copy_from_slice(b"hsqs");
        s[28] = 4;
        assert_eq!(identified(&s), vec!["squashfs 4.0"]);
        let mut q = vec![0u8; 4096];
        q[..4].copy_from_slice(b"QFI\xfb");
        q[7] = 3;
        assert_eq!(identified(&q), vec!["qcow2 (version 3)"]);
        let mut a = vec![0u8; 4096];
        a[..4].copy_from_slice(&0xED26_FF3Au32.to_le_bytes());
        a[4] = 1;
        a[8] = 28;
        a[10] = 12;
        assert_eq!(identified(&a), vec!["Android sparse image 1.0"]);
        let mut e = vec![0u8; 4096];
        e[..8].copy_from_slice(b"EVF\x09\x0d\x0a\xff\x00");
        assert_eq!(identified(&e), vec!["EWF (E01) evidence file"]);
    }
}
