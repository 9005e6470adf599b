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

/// Whether sector 0 looks like a FAT boot sector: a jump instruction and a
/// BPB whose basic fields are possible.
pub fn probe(sector: &[u8]) -> bool {
    let jump = matches!(sector.first(), Some(0xEB) | Some(0xE9));
    let bps = le16(sector, 11);
    let spc = sector.get(13).copied().unwrap_or(0);
    let fats = sector.get(16).copied().unwrap_or(0);
    let media = sector.get(21).copied().unwrap_or(0);
    jump && matches!(bps, 512 | 1024 | 2048 | 4096)
        && spc.is_power_of_two()
        && le16(sector, 14) >= 1
        && fats >= 1
        && valid_media(media)
}

/// Parses and checks the BPB; `volume_sectors` is how many sectors of the
/// volume the image holds (for the sanity of the geometry, not a limit).
pub fn parse(sector: &[u8]) -> Result<Bpb, String> {
    if !probe(sector) {
        return Err("no FAT boot sector (jump, BytsPerSec, SecPerClus, NumFATs, Media)".into());
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
    let fat_sectors = if is_fat32 { fat32_size } else { fat16_size };
    if fat_sectors == 0 {
        return Err("the FAT size (FATSz16/FATSz32) is 0".into());
    }
    let root_dir_sectors = (u64::from(root_entries) * 32).div_ceil(u64::from(bytes_per_sector));
    let first_after_fats = reserved_sectors
        .checked_add(
            fat_sectors
                .checked_mul(u64::from(fat_count))
                .ok_or("FAT size overflows")?,
        )
        .ok_or("FAT region overflows")?;
    let first_data_sector = first_after_fats
        .checked_add(if is_fat32 { 0 } else { root_dir_sectors })
        .ok_or("root directory overflows")?;
    if first_data_sector >= total_sectors {
        return Err(format!(
            "the data area would start at sector {first_data_sector}, past the {total_sectors} sectors of the volume"
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
    let (id_at, label_at) = if is_fat32 { (67, 71) } else { (39, 43) };
    let mut label = [b' '; 11];
    if let Some(l) = sector.get(label_at..label_at + 11) {
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
        volume_id: le32(sector, id_at),
        label,
        kind,
        spec_kind,
        root_dir_sectors: if is_fat32 { 0 } else { root_dir_sectors },
        first_after_fats,
        first_data_sector,
        clusters,
    })
}
