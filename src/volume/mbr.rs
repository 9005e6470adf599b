//! The MBR partition table: four primary entries at byte 0x1BE of sector 0,
//! and the chain of extended boot records (EBRs) that holds logical
//! partitions.
//!
//! Entry (16 bytes): status (0x00 or 0x80), CHS start, type (+4), CHS end,
//! first LBA (+8, le32), sector count (+12, le32). CHS is ignored, as Linux
//! does. In an EBR the first entry is the logical partition, its start
//! relative to that EBR; the second links to the next EBR, its start relative
//! to the start of the outermost extended partition (msdos.c,
//! `parse_extended`).

use std::collections::HashSet;

use crate::bytes::le32;
use crate::image::View;
use crate::model::Code;
use crate::model::Finding;
use crate::volume::{Partition, PartitionTable, Scheme, TableRegion};

const SECTOR: u64 = 512;
const ENTRIES_AT: usize = 0x1BE;
/// The partition type of a GPT protective MBR entry.
pub const PROTECTIVE: u8 = 0xEE;
/// EBRs followed at most: Linux gives up after 100 links without data; a
/// chain longer than this is an attack or a loop.
const MAX_EBRS: usize = 128;

/// One of the four 16-byte entries of an MBR or EBR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub status: u8,
    pub kind: u8,
    pub start: u32,
    pub sectors: u32,
}

impl Entry {
    pub fn is_empty(&self) -> bool {
        self.kind == 0 || self.sectors == 0
    }

    pub fn is_extended(&self) -> bool {
        matches!(self.kind, 0x05 | 0x0F | 0x85)
    }
}

/// Sector 0 read as an MBR.
#[derive(Debug, Clone)]
pub struct MbrSector {
    pub entries: [Entry; 4],
}

impl MbrSector {
    /// The protective (0xEE) entry, if any.
    pub fn protective(&self) -> Option<&Entry> {
        self.entries.iter().find(|e| e.kind == PROTECTIVE)
    }

    /// Non-empty entries other than the protective one (a hybrid MBR has some).
    pub fn others(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.is_empty() && e.kind != PROTECTIVE)
    }
}

fn entries(sector: &[u8]) -> Option<[Entry; 4]> {
    let at = |i: usize| -> Option<Entry> {
        let e = sector.get(ENTRIES_AT + 16 * i..ENTRIES_AT + 16 * (i + 1))?;
        Some(Entry {
            status: *e.first()?,
            kind: *e.get(4)?,
            start: le32(e, 8),
            sectors: le32(e, 12),
        })
    };
    Some([at(0)?, at(1)?, at(2)?, at(3)?])
}

/// Sector 0 as an MBR, if it is one: the 55 AA signature, every status byte
/// 0x00 or 0x80 (how Linux tells an MBR from a FAT boot sector, whose boot
/// code fills those bytes), and at least one entry in use.
pub fn read_sector(view: &View<'_>) -> Option<MbrSector> {
    let sector = view.read(0, SECTOR as usize).ok()?;
    if sector.get(510..512)? != [0x55, 0xAA] {
        return None;
    }
    let entries = entries(sector)?;
    if entries.iter().any(|e| e.status != 0 && e.status != 0x80) {
        return None;
    }
    if entries.iter().all(Entry::is_empty) {
        return None;
    }
    Some(MbrSector { entries })
}

/// The partitions of a (non-GPT) MBR.
pub fn read(view: &View<'_>, mbr: &MbrSector) -> Option<PartitionTable> {
    let mut table = PartitionTable {
        scheme: Scheme::Mbr,
        sector_size: SECTOR as u32,
        disk_guid: None,
        partitions: Vec::new(),
        regions: vec![TableRegion {
            start_lba: 0,
            sectors: 1,
            what: "MBR",
        }],
        findings: Vec::new(),
    };
    if mbr.protective().is_some() {
        table.findings.push(Finding::new(Code::BadPartitionTable,
            "the MBR has a GPT protective entry (0xEE) but no valid GPT header was found at LBA 1 or at the last LBA: the partitions it protects cannot be read",
        ));
    }
    let mut next_logical = 5;
    for (i, e) in mbr.entries.iter().enumerate() {
        if e.is_empty() || e.kind == PROTECTIVE {
            continue;
        }
        if e.is_extended() {
            logical_chain(view, e, &mut next_logical, &mut table);
            continue;
        }
        table
            .partitions
            .push(partition(i as u32 + 1, e, u64::from(e.start)));
    }
    table.partitions.sort_by_key(|p| p.number);
    Some(table)
}

fn partition(number: u32, e: &Entry, start: u64) -> Partition {
    Partition {
        scheme: Scheme::Mbr,
        number,
        type_name: type_name(e.kind).to_string(),
        type_id: format!("{:#04x}", e.kind),
        name: String::new(),
        start_lba: start,
        sectors: u64::from(e.sectors),
    }
}

/// Follows the EBR chain of an extended partition, bounded and loop-checked.
fn logical_chain(view: &View<'_>, ext: &Entry, next: &mut u32, table: &mut PartitionTable) {
    let base = u64::from(ext.start);
    let mut ebr = base;
    let mut seen = HashSet::new();
    for _ in 0..MAX_EBRS {
        if !seen.insert(ebr) {
            table.findings.push(Finding::new(Code::BadPartitionTable,
                format!("the extended partition's EBR chain loops back to sector {ebr}: the chain is cut there"),
            ));
            return;
        }
        let sector = view
            .read(ebr.saturating_mul(SECTOR), SECTOR as usize)
            .ok()
            .filter(|s| s.get(510..512) == Some(&[0x55, 0xAA][..]));
        let Some(entries) = sector.and_then(entries) else {
            table.findings.push(Finding::new(Code::BadPartitionTable,
                format!("the EBR at sector {ebr} is missing or has no 55 AA signature: logical partitions after it cannot be read"),
            ));
            return;
        };
        table.regions.push(TableRegion {
            start_lba: ebr,
            sectors: 1,
            what: "extended boot record",
        });
        let [data, link, ..] = entries;
        if !data.is_empty() {
            table.partitions.push(partition(
                *next,
                &data,
                ebr.saturating_add(u64::from(data.start)),
            ));
            *next += 1;
            if table.partitions.len() >= super::MAX_PARTITIONS {
                return;
            }
        }
        if link.is_empty() || !link.is_extended() {
            return;
        }
        ebr = base.saturating_add(u64::from(link.start));
    }
    table.findings.push(Finding::new(Code::BadPartitionTable,
        format!("the extended partition's EBR chain is longer than {MAX_EBRS} links: the rest is not read"),
    ));
}

/// What common MBR partition types hold.
pub fn type_name(kind: u8) -> &'static str {
    match kind {
        0x01 => "FAT12",
        0x04 => "FAT16 (<32 MiB)",
        0x05 => "Extended",
        0x06 => "FAT16",
        0x07 => "NTFS/exFAT",
        0x0B => "FAT32 (CHS)",
        0x0C => "FAT32 (LBA)",
        0x0E => "FAT16 (LBA)",
        0x0F => "Extended (LBA)",
        0x82 => "Linux swap",
        0x83 => "Linux",
        0x85 => "Linux extended",
        0x8E => "Linux LVM",
        0xA5 => "FreeBSD",
        0xEE => "GPT protective",
        0xEF => "EFI System",
        0xFD => "Linux RAID",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_entry(disk: &mut [u8], sector: usize, slot: usize, e: Entry) {
        let at = sector * 512 + ENTRIES_AT + slot * 16;
        disk[at] = e.status;
        disk[at + 4] = e.kind;
        disk[at + 8..at + 12].copy_from_slice(&e.start.to_le_bytes());
        disk[at + 12..at + 16].copy_from_slice(&e.sectors.to_le_bytes());
        disk[sector * 512 + 510] = 0x55;
        disk[sector * 512 + 511] = 0xAA;
    }

    fn entry(kind: u8, start: u32, sectors: u32) -> Entry {
        Entry {
            status: 0,
            kind,
            start,
            sectors,
        }
    }

    #[test]
    fn logical_partitions_follow_the_ebr_chain_and_loops_are_cut() {
        let mut disk = vec![0u8; 512 * 64];
        put_entry(&mut disk, 0, 0, entry(0x83, 1, 9));
        put_entry(&mut disk, 0, 1, entry(0x05, 10, 50));
        // EBR at 10: logical at 10+1, link to base+20.
        put_entry(&mut disk, 10, 0, entry(0x83, 1, 5));
        put_entry(&mut disk, 10, 1, entry(0x05, 20, 10));
        // EBR at 30: logical at 30+2, link back to the first EBR (a loop).
        put_entry(&mut disk, 30, 0, entry(0x06, 2, 4));
        put_entry(&mut disk, 30, 1, entry(0x05, 0, 10));
        let view = View::from_bytes(&disk);
        let mbr = read_sector(&view).unwrap();
        let table = read(&view, &mbr).unwrap();
        let got: Vec<(u32, u64, u64)> = table
            .partitions
            .iter()
            .map(|p| (p.number, p.start_lba, p.sectors))
            .collect();
        assert_eq!(got, vec![(1, 1, 9), (5, 11, 5), (6, 32, 4)]);
        assert!(
            table
                .findings
                .iter()
                .any(|f| f.code == Code::BadPartitionTable && f.message.contains("loops")),
            "{:?}",
            table.findings
        );
    }

    #[test]
    fn a_fat_boot_sector_is_not_an_mbr() {
        let mut disk = vec![0u8; 1024];
        disk[0x1BE..0x1FE].fill(b'T'); // boot message text where the entries would be
        disk[510] = 0x55;
        disk[511] = 0xAA;
        assert!(read_sector(&View::from_bytes(&disk)).is_none());
    }
}
