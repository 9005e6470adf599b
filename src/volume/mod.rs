//! The volume layer: partition tables (MBR with extended/logical chains, GPT
//! with its backup) turned into volumes, each a byte range of the image that
//! the filesystem layer then probes. A bare filesystem (no table) is one
//! volume at offset 0.
//!
//! Sources: UEFI Specification 2.10 chapter 5 (protective MBR, GPT header and
//! entry array); Linux `block/partitions/msdos.c` and `efi.c` (what the kernel
//! accepts); util-linux libblkid `partitions/dos.c` and `gpt.c`.
//!
//! Tables are read, never trusted: every count is bounded, every CRC checked,
//! the primary GPT compared with its backup, and partitions that overlap each
//! other or the table, or run past the image, are findings.

pub mod gpt;
pub mod mbr;

use crate::image::View;
use crate::model::Code;
use crate::model::Finding;

/// Which kind of table a partition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Mbr,
    Gpt,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Mbr => "MBR",
            Scheme::Gpt => "GPT",
        }
    }
}

/// One partition, numbered as Linux numbers it (MBR: 1–4 primary, 5 and up
/// logical in chain order; GPT: entry index + 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub scheme: Scheme,
    pub number: u32,
    /// What the type says, in words ("Linux filesystem", "FAT16 (LBA)").
    pub type_name: String,
    /// The type as stored: `0x83`, or the type GUID.
    pub type_id: String,
    /// The GPT partition name; empty for MBR.
    pub name: String,
    pub start_lba: u64,
    pub sectors: u64,
}

impl Partition {
    pub fn end_lba(&self) -> u64 {
        self.start_lba.saturating_add(self.sectors)
    }
}

/// Sectors the table's own structures occupy (MBR, EBRs, GPT headers and
/// entry arrays): a partition over them is an overlap, and the disk map
/// shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRegion {
    pub start_lba: u64,
    pub sectors: u64,
    pub what: &'static str,
}

/// What the partition layer found.
#[derive(Debug, Clone)]
pub struct PartitionTable {
    pub scheme: Scheme,
    /// Logical sector size the table was found with (512 or 4096).
    pub sector_size: u32,
    /// The GPT disk GUID; absent for MBR.
    pub disk_guid: Option<String>,
    /// Data partitions (not MBR extended containers), by number.
    pub partitions: Vec<Partition>,
    pub regions: Vec<TableRegion>,
    pub findings: Vec<Finding>,
}

/// At most this many partitions are listed and scanned: each is a whole
/// filesystem scan, and a GPT may declare thousands of entries.
pub const MAX_PARTITIONS: usize = 128;

/// Reads the partition table of an image, if it has one. A GPT (with or
/// without a protective MBR) wins over the MBR that protects it.
pub fn read(view: &View<'_>) -> Option<PartitionTable> {
    read_layout(view, &|_, _| None).0
}

/// Asks whether an MBR belongs to a filesystem whose first sector it shares
/// (a FAT boot sector that partitions itself): then it is no table, and the
/// finding says why. The filesystem layer answers; this layer knows no
/// filesystem.
pub type OwnTable<'a> = &'a dyn Fn(&View<'_>, &PartitionTable) -> Option<Finding>;

/// The partition table, and findings about the image as a whole when it
/// has none: an MBR that `own_table` says is a filesystem's own is no table.
pub fn read_layout(
    view: &View<'_>,
    own_table: OwnTable<'_>,
) -> (Option<PartitionTable>, Vec<Finding>) {
    let Some(mbr) = mbr::read_sector(view) else {
        return (gpt::read(view, None).map(|t| checked(view, t)), Vec::new());
    };
    if let Some(table) = gpt::read(view, Some(&mbr)) {
        return (Some(checked(view, table)), Vec::new());
    }
    let Some(table) = mbr::read(view, &mbr) else {
        return (None, Vec::new());
    };
    if let Some(note) = own_table(view, &table) {
        return (None, vec![note]);
    }
    (Some(checked(view, table)), Vec::new())
}

fn checked(view: &View<'_>, mut table: PartitionTable) -> PartitionTable {
    check_layout(view, &mut table);
    table
}

/// Findings every scheme shares: partitions that overlap each other or the
/// table, and partitions that run past the end of the image.
fn check_layout(view: &View<'_>, table: &mut PartitionTable) {
    let ss = u64::from(table.sector_size);
    let image_sectors = view.len() / ss;
    let parts = &table.partitions;
    for (i, a) in parts.iter().enumerate() {
        for b in parts.iter().skip(i + 1) {
            let (start, end) = (a.start_lba.max(b.start_lba), a.end_lba().min(b.end_lba()));
            if start < end {
                table.findings.push(
                    Finding::new(Code::PartitionOverlap,
                        format!(
                            "{} partitions {} and {} overlap on sectors {start}–{} ({} sectors): two filesystems live in the same bytes, and writing either corrupts the other (`mmls` lists both without a word)",
                            table.scheme.name(),
                            a.number,
                            b.number,
                            end - 1,
                            end - start
                        ),
                    )
                    .with_blocks([[start, end - start]]),
                );
            }
        }
        for region in &table.regions {
            let (start, end) = (
                a.start_lba.max(region.start_lba),
                a.end_lba()
                    .min(region.start_lba.saturating_add(region.sectors)),
            );
            if start < end {
                table.findings.push(
                    Finding::new(Code::PartitionOverlap,
                        format!(
                            "{} partition {} covers the {} (sectors {start}–{}): writing the partition rewrites the partition table",
                            table.scheme.name(),
                            a.number,
                            region.what,
                            end - 1
                        ),
                    )
                    .with_blocks([[start, end - start]]),
                );
            }
        }
        if a.end_lba() > image_sectors {
            table.findings.push(
                Finding::new(Code::PartitionOutOfRange,
                    format!(
                        "{} partition {} (sectors {}–{}) runs past the end of the image ({image_sectors} sectors): {}",
                        table.scheme.name(),
                        a.number,
                        a.start_lba,
                        a.end_lba().saturating_sub(1),
                        if a.start_lba >= image_sectors {
                            "none of it is in the image, so it is not scanned"
                        } else {
                            "it is scanned as far as it goes"
                        }
                    ),
                )
                .with_blocks([[a.start_lba, a.sectors]]),
            );
        }
    }
}

/// A GUID as text: the first three fields are little-endian on disk.
pub fn guid_string(b: &[u8]) -> String {
    let byte = |i: usize| b.get(i).copied().unwrap_or(0);
    let hex = |range: &[usize]| {
        range
            .iter()
            .map(|&i| format!("{:02X}", byte(i)))
            .collect::<String>()
    };
    format!(
        "{}-{}-{}-{}-{}",
        hex(&[3, 2, 1, 0]),
        hex(&[5, 4]),
        hex(&[7, 6]),
        hex(&[8, 9]),
        hex(&[10, 11, 12, 13, 14, 15])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_print_mixed_endian() {
        // The EFI System Partition type as stored on disk.
        let esp = [
            0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E,
            0xC9, 0x3B,
        ];
        assert_eq!(guid_string(&esp), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    }
}
