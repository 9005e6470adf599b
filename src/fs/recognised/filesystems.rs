//! Filesystems recognised, not parsed: NTFS, exFAT, btrfs, squashfs, F2FS,
//! ISO 9660.

use super::{Recognised, bytes_at};
use crate::bytes::{le16, le32, le64, u8_at};
use crate::image::View;

pub const NTFS: Recognised = Recognised {
    name: "NTFS",
    used_by: "mount -t ntfs3",
    identify: |view| ntfs(view).then(|| "NTFS".into()),
};

pub const EXFAT: Recognised = Recognised {
    name: "exFAT",
    used_by: "mount -t exfat",
    identify: exfat,
};

pub const BTRFS: Recognised = Recognised {
    name: "btrfs",
    used_by: "mount -t btrfs",
    identify: |view| btrfs(view).then(|| "btrfs".into()),
};

pub const SQUASHFS: Recognised = Recognised {
    name: "squashfs",
    used_by: "mount -t squashfs",
    identify: squashfs,
};

pub const F2FS: Recognised = Recognised {
    name: "F2FS",
    used_by: "mount -t f2fs",
    identify: f2fs,
};

pub const ISO9660: Recognised = Recognised {
    name: "ISO 9660",
    used_by: "mount -t iso9660",
    identify: |view| iso9660(view).then(|| "ISO 9660".into()),
};

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
/// at most 32 MiB, one or two FATs, and the boot signature. The version is
/// FileSystemRevision (offset 104: minor, then major).
fn exfat(view: &View<'_>) -> Option<String> {
    let b = bytes_at(view, 0, 512)?;
    let sector_shift = u8_at(b, 108);
    let cluster_shift = u8_at(b, 109);
    let valid = b.get(3..11) == Some(b"EXFAT   ")
        && (9..=12).contains(&sector_shift)
        && u32::from(sector_shift) + u32::from(cluster_shift) <= 25
        && matches!(u8_at(b, 110), 1 | 2)
        && b.get(510..512) == Some(&[0x55, 0xAA][..]);
    valid.then(|| format!("exFAT {}.{:02}", u8_at(b, 105), u8_at(b, 104)))
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

/// `probe_squashfs`: "hsqs" at 0 and a known major version (s_major at
/// 28, s_minor at 30).
fn squashfs(view: &View<'_>) -> Option<String> {
    let b = bytes_at(view, 0, 32)?;
    (b.get(0..4) == Some(b"hsqs") && (1..=4).contains(&le16(b, 28)))
        .then(|| format!("squashfs {}.{}", le16(b, 28), le16(b, 30)))
}

/// `probe_f2fs`: the superblock at 1 KiB (F2FS_MAGIC, then major_ver and
/// minor_ver), with a log2 sector size of 9–12 and 512 sectors per block
/// at most (include/linux/f2fs_fs.h, struct f2fs_super_block).
fn f2fs(view: &View<'_>) -> Option<String> {
    let sb = bytes_at(view, 1024, 32)?;
    let log_sector = le32(sb, 8);
    let log_sectors_per_block = le32(sb, 12);
    (le32(sb, 0) == 0xF2F5_2010
        && (9..=12).contains(&log_sector)
        && log_sector + log_sectors_per_block == 12)
        .then(|| format!("F2FS {}.{}", le16(sb, 4), le16(sb, 6)))
}

/// `probe_iso9660`: a volume descriptor at 32 KiB: a known type, "CD001",
/// version 1.
fn iso9660(view: &View<'_>) -> bool {
    bytes_at(view, 0x8000, 7).is_some_and(|d| {
        matches!(u8_at(d, 0), 0..=3 | 0xFF) && d.get(1..6) == Some(b"CD001") && u8_at(d, 6) == 1
    })
}
