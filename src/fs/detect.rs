//! Every filesystem signature on a volume, each checked as fully as the
//! tool that owns it checks it: this tool's own probes for the formats it
//! parses, and libblkid's checks (`libblkid/src/superblocks/*.c`) for
//! formats it only recognises. Two or more valid signatures on one volume
//! is what blkid calls an ambivalent result: `mount` without `-t` refuses
//! it ("more filesystems detected"), and a mount with `-t` picks a parser
//! that may not be the one a checker used.
//!
//! A bare magic is never enough: a FAT16 entry can be 0xEF53 and a file's
//! data can hold any string, so each check also wants the geometry around
//! the magic to hold.

use crate::bytes::{be16, le16, le32, le64, u8_at};
use crate::image::View;

/// One format whose signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The format, in words ("ext2/3/4", "NTFS").
    pub name: &'static str,
    /// Whether this tool parses it (and so may be modelling it).
    pub parsed: bool,
    /// What takes the volume as this format.
    pub used_by: &'static str,
}

/// Formats this tool parses, by [`Signature::name`].
pub const EXT: &str = "ext2/3/4";
pub const EROFS: &str = "EROFS";
pub const XFS: &str = "XFS";
pub const FAT: &str = "FAT";

/// Every valid signature on the volume, in the order the probes run.
pub fn signatures(view: &View<'_>) -> Vec<Signature> {
    type Check = fn(&View<'_>) -> bool;
    let all: [(&'static str, bool, &'static str, Check); 11] = [
        (EXT, true, "mount -t ext4", super::ext::valid),
        (EROFS, true, "mount -t erofs", super::erofs::valid),
        (XFS, true, "mount -t xfs", super::xfs::valid),
        (FAT, true, "mount -t vfat", super::fat::valid),
        ("NTFS", false, "mount -t ntfs3", ntfs),
        ("exFAT", false, "mount -t exfat", exfat),
        ("btrfs", false, "mount -t btrfs", btrfs),
        ("squashfs", false, "mount -t squashfs", squashfs),
        ("Linux swap", false, "swapon (which writes over it)", swap),
        ("LUKS", false, "cryptsetup open", luks),
        ("ISO 9660", false, "mount -t iso9660", iso9660),
    ];
    all.iter()
        .filter(|(.., valid)| valid(view))
        .map(|&(name, parsed, used_by, _)| Signature {
            name,
            parsed,
            used_by,
        })
        .collect()
}

fn bytes_at<'a>(view: &View<'a>, at: u64, len: usize) -> Option<&'a [u8]> {
    view.read(at, len).ok()
}

/// `probe_ntfs`: "NTFS    " at 3, a sector of 256–4096 bytes, a
/// power-of-two cluster of at most 64 KiB, the FAT fields zero, a valid MFT
/// record size, the MFT and its mirror inside the volume, and "FILE" at the
/// start of MFT records 0 and 3.
fn ntfs(view: &View<'_>) -> bool {
    let Some(b) = bytes_at(view, 0, 512) else {
        return false;
    };
    if b.get(3..11) != Some(b"NTFS    ") {
        return false;
    }
    let sector = u64::from(le16(b, 11));
    let spc = u64::from(u8_at(b, 13));
    if !(256..=4096).contains(&sector)
        || !spc.is_power_of_two()
        || spc > 128
        || sector * spc > 64 * 1024
    {
        return false;
    }
    // RsvdSecCnt, NumFATs, RootEntCnt, TotSec16, FATSz16, TotSec32.
    if le16(b, 14) != 0
        || u8_at(b, 16) != 0
        || le16(b, 17) != 0
        || le16(b, 19) != 0
        || le16(b, 22) != 0
        || le32(b, 32) != 0
    {
        return false;
    }
    let per_record = u8_at(b, 0x40);
    let record = match per_record {
        1 | 2 | 4 | 8 | 16 | 32 | 64 => u64::from(per_record) * spc * sector,
        0xE1..=0xF7 => 1u64 << (256 - u32::from(per_record)),
        _ => return false,
    };
    let clusters = le64(b, 0x28) / spc;
    let (mft, mirror) = (le64(b, 0x30), le64(b, 0x38));
    if mft > clusters || mirror > clusters {
        return false;
    }
    let Some(at) = mft.checked_mul(spc * sector) else {
        return false;
    };
    let file_at = |offset: Option<u64>| {
        offset
            .and_then(|o| bytes_at(view, o, 4))
            .is_some_and(|m| m == b"FILE")
    };
    file_at(Some(at)) && file_at(at.checked_add(3 * record))
}

/// `probe_exfat`: "EXFAT   " at 3, BytesPerSectorShift 9–12, a cluster of
/// at most 32 MiB, one or two FATs, and the boot signature.
fn exfat(view: &View<'_>) -> bool {
    let Some(b) = bytes_at(view, 0, 512) else {
        return false;
    };
    let sector_shift = u8_at(b, 108);
    let cluster_shift = u8_at(b, 109);
    b.get(3..11) == Some(b"EXFAT   ")
        && (9..=12).contains(&sector_shift)
        && u32::from(sector_shift) + u32::from(cluster_shift) <= 25
        && matches!(u8_at(b, 110), 1 | 2)
        && b.get(510..512) == Some(&[0x55, 0xAA][..])
}

/// `probe_btrfs`: "_BHRfS_M" in the superblock at 64 KiB, whose own
/// bytenr field says 64 KiB, with a power-of-two sector size.
fn btrfs(view: &View<'_>) -> bool {
    let Some(sb) = bytes_at(view, 0x10000, 0x100) else {
        return false;
    };
    let sector = le32(sb, 0x90);
    sb.get(0x40..0x48) == Some(b"_BHRfS_M")
        && le64(sb, 0x30) == 0x10000
        && sector.is_power_of_two()
        && (512..=65536).contains(&sector)
}

/// `probe_squashfs`: "hsqs" at 0 and a known major version.
fn squashfs(view: &View<'_>) -> bool {
    bytes_at(view, 0, 32)
        .is_some_and(|b| b.get(0..4) == Some(b"hsqs") && (1..=4).contains(&le16(b, 28)))
}

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

/// `probe_luks`: "LUKS\xba\xbe" at 0, version 1 or 2.
fn luks(view: &View<'_>) -> bool {
    bytes_at(view, 0, 8)
        .is_some_and(|b| b.get(0..6) == Some(b"LUKS\xba\xbe") && matches!(be16(b, 6), 1 | 2))
}

/// `probe_iso9660`: a volume descriptor at 32 KiB: a known type, "CD001",
/// version 1.
fn iso9660(view: &View<'_>) -> bool {
    bytes_at(view, 0x8000, 7).is_some_and(|d| {
        matches!(u8_at(d, 0), 0..=3 | 0xFF) && d.get(1..6) == Some(b"CD001") && u8_at(d, 6) == 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(bytes: &[u8]) -> Vec<&'static str> {
        signatures(&View::from_bytes(bytes))
            .iter()
            .map(|s| s.name)
            .collect()
    }

    #[test]
    fn bare_magics_are_not_signatures() {
        let mut b = vec![0u8; 128 * 1024];
        b[3..11].copy_from_slice(b"NTFS    ");
        b[0x10040..0x10048].copy_from_slice(b"_BHRfS_M");
        b[0x8001..0x8006].copy_from_slice(b"CD001");
        b[1024 + 0x38..1024 + 0x3A].copy_from_slice(&[0x53, 0xEF]);
        assert!(names(&b).is_empty(), "{:?}", names(&b));
    }

    #[test]
    fn each_checked_signature_is_found() {
        let mut b = vec![0u8; 128 * 1024];
        b[0x10030..0x10038].copy_from_slice(&0x10000u64.to_le_bytes());
        b[0x10040..0x10048].copy_from_slice(b"_BHRfS_M");
        b[0x10090..0x10094].copy_from_slice(&4096u32.to_le_bytes());
        b[0x8000] = 1;
        b[0x8001..0x8006].copy_from_slice(b"CD001");
        b[0x8006] = 1;
        b[4086..4096].copy_from_slice(b"SWAP-SPACE");
        assert_eq!(names(&b), vec!["btrfs", "Linux swap", "ISO 9660"]);
        let mut l = vec![0u8; 4096];
        l[..6].copy_from_slice(b"LUKS\xba\xbe");
        l[7] = 2;
        l[28] = 4; // squashfs is "hsqs" at 0: not here
        assert_eq!(names(&l), vec!["LUKS"]);
    }
}
