//! The FAT boot sector and its BIOS Parameter Block (Microsoft "FAT32 File
//! System Specification" 1.03, section 3; Linux `fs/fat/inode.c`,
//! `fat_fill_super`).
//!
//! Fields (little-endian): BytsPerSec (11), SecPerClus (13), RsvdSecCnt (14),
//! NumFATs (16), RootEntCnt (17), TotSec16 (19), Media (21), FATSz16 (22),
//! TotSec32 (32); FAT32 only: FATSz32 (36), ExtFlags (40), RootClus (44),
//! FSInfo (48), BkBootSec (50); then the extended boot record: BS_VolID and
//! BS_VolLab at 39/43 (FAT12/16) or 67/71 (FAT32).

use crate::bytes::{le16, le32};

use super::{BootSectorProblem, FatError};

/// The FAT width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatKind {
    Fat12,
    Fat16,
    Fat32,
}

impl FatKind {
    pub fn name(self) -> &'static str {
        match self {
            FatKind::Fat12 => "fat12",
            FatKind::Fat16 => "fat16",
            FatKind::Fat32 => "fat32",
        }
    }

    /// The type the specification derives from the cluster count alone.
    fn by_cluster_count(clusters: u64) -> FatKind {
        if clusters < 4085 {
            FatKind::Fat12
        } else if clusters < 65525 {
            FatKind::Fat16
        } else {
            FatKind::Fat32
        }
    }
}

/// A boot sector that passed the checks the Linux driver makes.
#[derive(Debug, Clone)]
pub struct Bpb {
    pub bytes_per_sector: u32,
    pub sectors_per_cluster: u32,
    pub reserved_sectors: u64,
    pub fat_count: u32,
    pub root_entries: u32,
    pub total_sectors: u64,
    pub fat_sectors: u64,
    pub media: u8,
    /// FAT32: ExtFlags bit 7 set means only the FAT in bits 0–3 is active
    /// (no mirroring).
    pub active_fat: Option<u32>,
    pub root_cluster: u32,
    pub fsinfo_sector: u32,
    pub volume_id: u32,
    pub label: [u8; 11],
    /// The type as Linux reads it (what mounts): FAT32 when FATSz16 is 0.
    pub kind: FatKind,
    /// The type the specification's cluster-count rule gives.
    pub spec_kind: FatKind,
    /// Sectors of the fixed root directory (FAT12/16).
    pub root_dir_sectors: u64,
    /// The first sector after the FATs: the root directory region on
    /// FAT12/16, cluster 2 on FAT32. The Sleuth Kit numbers directory
    /// entries from here.
    pub first_after_fats: u64,
    /// The first sector of cluster 2.
    pub first_data_sector: u64,
    /// Data clusters: valid cluster numbers are 2 ..= clusters + 1.
    pub clusters: u64,
}

impl Bpb {
    pub fn cluster_bytes(&self) -> u64 {
        u64::from(self.bytes_per_sector) * u64::from(self.sectors_per_cluster)
    }

    /// The first sector of cluster `c` (≥ 2).
    pub fn cluster_sector(&self, c: u32) -> u64 {
        self.first_data_sector
            .saturating_add(u64::from(c.saturating_sub(2)) * u64::from(self.sectors_per_cluster))
    }

    pub fn max_cluster(&self) -> u64 {
        self.clusters.saturating_add(1)
    }
}

/// Media descriptor values Linux accepts (`fat_valid_media`).
fn valid_media(m: u8) -> bool {
    m == 0xF0 || m >= 0xF8
}

/// The fields Linux's `fat_read_bpb` and blkid's `fat_valid_superblock`
/// check, with no regard to the jump instruction: BytsPerSec a power of two
/// from 512 to 4096, SecPerClus a power of two, RsvdSecCnt and NumFATs not
/// 0, Media 0xF0 or 0xF8–0xFF (FATSz is [`parse`]'s to check).
fn fields_possible(sector: &[u8]) -> bool {
    let bps = le16(sector, 11);
    let spc = sector.get(13).copied().unwrap_or(0);
    let fats = sector.get(16).copied().unwrap_or(0);
    let media = sector.get(21).copied().unwrap_or(0);
    matches!(bps, 512 | 1024 | 2048 | 4096)
        && spc.is_power_of_two()
        && le16(sector, 14) >= 1
        && fats >= 1
        && valid_media(media)
}

/// Whether sector 0 is a FAT boot sector.
///
/// With a jump instruction (0xEB or 0xE9) at byte 0, plausible BPB fields
/// are enough: the volume is FAT, and a geometry that does not hold is an
/// error about that FAT. Linux (`fat_fill_super`) and dosfstools' fsck.fat
/// do not look at byte 0 at all, and `mkfs.fat -A` (the Atari variant)
/// writes no jump; without one, the whole geometry must hold as the kernel
/// checks it before mounting (the root directory a whole number of sectors,
/// the data area inside the volume, no more clusters than the FAT type
/// allows), so that stray bytes are not taken for a FAT.
pub fn probe(sector: &[u8]) -> bool {
    if !fields_possible(sector) {
        return false;
    }
    if matches!(sector.first(), Some(0xEB) | Some(0xE9)) {
        return true;
    }
    let Ok(bpb) = parse(sector) else {
        return false;
    };
    let per_sector = bpb.bytes_per_sector / 32;
    let max_clusters: u64 = match bpb.kind {
        FatKind::Fat12 => 0xFF4,
        FatKind::Fat16 => 0xFFF4,
        FatKind::Fat32 => 0x0FFF_FFF6,
    };
    bpb.root_entries % per_sector == 0 && bpb.clusters >= 1 && bpb.clusters <= max_clusters
}

/// A BPB the parser refuses: the field's byte and what is wrong.
fn corrupt(offset: u64, problem: BootSectorProblem) -> FatError {
    FatError::BootSector { offset, problem }
}

/// Parses and checks the BPB; `volume_sectors` is how many sectors of the
/// volume the image holds (for the sanity of the geometry, not a limit).
pub fn parse(sector: &[u8]) -> Result<Bpb, FatError> {
    if !fields_possible(sector) {
        return Err(corrupt(11, BootSectorProblem::NotFat));
    }
    let bytes_per_sector = u32::from(le16(sector, 11));
    let sectors_per_cluster = u32::from(sector.get(13).copied().unwrap_or(0));
    let reserved_sectors = u64::from(le16(sector, 14));
    let fat_count = u32::from(sector.get(16).copied().unwrap_or(0));
    let root_entries = u32::from(le16(sector, 17));
    let total16 = u64::from(le16(sector, 19));
    let total_sectors = if total16 != 0 {
        total16
    } else {
        u64::from(le32(sector, 32))
    };
    let media = sector.get(21).copied().unwrap_or(0);
    let fat16_size = u64::from(le16(sector, 22));
    let fat32_size = u64::from(le32(sector, 36));
    // Linux: FAT32 when the 16-bit FAT size is 0 and the 32-bit one is not.
    let is_fat32 = fat16_size == 0 && fat32_size != 0;
    let (fat_sectors, fat_size_at) = if is_fat32 {
        (fat32_size, 36)
    } else {
        (fat16_size, 22)
    };
    if fat_sectors == 0 {
        return Err(corrupt(22, BootSectorProblem::NoFatSize));
    }
    let root_dir_sectors = (u64::from(root_entries) * 32).div_ceil(u64::from(bytes_per_sector));
    let first_after_fats = reserved_sectors
        .checked_add(
            fat_sectors
                .checked_mul(u64::from(fat_count))
                .ok_or_else(|| corrupt(fat_size_at, BootSectorProblem::FatSizeOverflow))?,
        )
        .ok_or_else(|| corrupt(14, BootSectorProblem::FatRegionOverflow))?;
    let first_data_sector = first_after_fats
        .checked_add(if is_fat32 { 0 } else { root_dir_sectors })
        .ok_or_else(|| corrupt(17, BootSectorProblem::RootDirectoryOverflow))?;
    if first_data_sector >= total_sectors {
        return Err(corrupt(
            if total16 != 0 { 19 } else { 32 },
            BootSectorProblem::DataPastEnd {
                first_data_sector,
                total_sectors,
            },
        ));
    }
    let mut clusters = (total_sectors - first_data_sector) / u64::from(sectors_per_cluster);
    let spec_kind = FatKind::by_cluster_count(clusters);
    let kind = if is_fat32 {
        FatKind::Fat32
    } else if clusters < 4085 {
        FatKind::Fat12
    } else {
        FatKind::Fat16
    };
    // Like Linux, never count more clusters than the FAT has entries for.
    let bits = match kind {
        FatKind::Fat12 => 12,
        FatKind::Fat16 => 16,
        FatKind::Fat32 => 32,
    };
    let entries = fat_sectors.saturating_mul(u64::from(bytes_per_sector)) * 8 / bits;
    clusters = clusters.min(entries.saturating_sub(2));
    let ext_flags = le16(sector, 40);
    // BS_BootSig 0x29: serial, label and type follow; 0x28: the serial only.
    // Without it (the Atari variant, DOS 3 boot sectors) those bytes are
    // boot code or nothing.
    let (sig_at, id_at, label_at) = if is_fat32 { (66, 67, 71) } else { (38, 39, 43) };
    let signature = sector.get(sig_at).copied().unwrap_or(0);
    let mut label = [b' '; 11];
    if signature == 0x29
        && let Some(l) = sector.get(label_at..label_at + 11)
    {
        label.copy_from_slice(l);
    }
    Ok(Bpb {
        bytes_per_sector,
        sectors_per_cluster,
        reserved_sectors,
        fat_count,
        root_entries,
        total_sectors,
        fat_sectors,
        media,
        active_fat: (is_fat32 && ext_flags & 0x80 != 0).then_some(u32::from(ext_flags & 0x0F)),
        root_cluster: if is_fat32 { le32(sector, 44) } else { 0 },
        fsinfo_sector: if is_fat32 {
            u32::from(le16(sector, 48))
        } else {
            0
        },
        volume_id: if matches!(signature, 0x28 | 0x29) {
            le32(sector, id_at)
        } else {
            0
        },
        label,
        kind,
        spec_kind,
        root_dir_sectors: if is_fat32 { 0 } else { root_dir_sectors },
        first_after_fats,
        first_data_sector,
        clusters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boot sector `mkfs.fat -A` writes on 4 MiB (no jump at byte 0).
    fn atari() -> Vec<u8> {
        let mut s = vec![0u8; 512];
        s[0] = 0x60;
        s[11..13].copy_from_slice(&512u16.to_le_bytes());
        s[13] = 2; // sectors per cluster
        s[14] = 1; // reserved
        s[16] = 2; // FATs
        s[17..19].copy_from_slice(&512u16.to_le_bytes()); // root entries
        s[19..21].copy_from_slice(&8192u16.to_le_bytes());
        s[21] = 0xF8;
        s[22..24].copy_from_slice(&16u16.to_le_bytes());
        s
    }

    #[test]
    fn no_jump_is_needed_when_the_geometry_holds() {
        let s = atari();
        assert!(probe(&s));
        assert_eq!(parse(&s).unwrap().clusters, 4063); // fsck.fat's count
    }

    #[test]
    fn without_a_jump_a_geometry_that_does_not_hold_is_not_fat() {
        let mut past_end = atari();
        past_end[19..21].copy_from_slice(&40u16.to_le_bytes()); // 40 sectors
        assert!(!probe(&past_end));
        let mut odd_root = atari();
        odd_root[17..19].copy_from_slice(&500u16.to_le_bytes());
        assert!(!probe(&odd_root));
        let mut no_fat = atari();
        no_fat[22..24].fill(0);
        assert!(!probe(&no_fat));
        let mut media = atari();
        media[21] = 0x12;
        assert!(!probe(&media));
        // The same sector with a jump is FAT, and its geometry an error.
        past_end[0] = 0xEB;
        assert!(probe(&past_end));
        assert!(matches!(
            parse(&past_end),
            Err(FatError::BootSector {
                offset: 19,
                problem: BootSectorProblem::DataPastEnd {
                    first_data_sector: 65,
                    total_sectors: 40
                }
            })
        ));
    }
}
