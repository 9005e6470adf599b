//! The GUID Partition Table (UEFI 2.10, 5.3): a header at LBA 1 and its entry
//! array, with a backup header at the last LBA and a backup array before it.
//!
//! Header (little-endian): "EFI PART" (0), revision (8), HeaderSize (12),
//! HeaderCRC32 (16, over HeaderSize bytes with itself zeroed), MyLBA (24),
//! AlternateLBA (32), FirstUsableLBA (40), LastUsableLBA (48), DiskGUID (56),
//! PartitionEntryLBA (72), NumberOfPartitionEntries (80),
//! SizeOfPartitionEntry (84), PartitionEntryArrayCRC32 (88). Entry: type GUID
//! (0), unique GUID (16), StartingLBA (32), EndingLBA (40, inclusive),
//! attributes (48), name (56, 36 UTF-16LE units). An all-zero type is unused.
//!
//! The sector size is not stored: the header is looked for at byte 512 and
//! at byte 4096.

use crate::bytes::{le32, le64};
use crate::image::View;
use crate::model::Code;
use crate::model::{Finding, Severity};
use crate::volume::mbr::MbrSector;
use crate::volume::{MAX_PARTITIONS, Partition, PartitionTable, Scheme, TableRegion, guid_string};

const SIGNATURE: &[u8; 8] = b"EFI PART";
const HEADER_MIN: u32 = 92;
/// The entry array read at most: 128 entries of 128 bytes is the norm (16
/// KiB); a header that asks for more than this is not believed.
const MAX_ARRAY_BYTES: u64 = 1 << 20;

/// A header that carries the signature, with what its checks said.
struct Header {
    lba: u64,
    crc_ok: bool,
    alternate_lba: u64,
    first_usable: u64,
    last_usable: u64,
    disk_guid: String,
    entries_lba: u64,
    entry_count: u32,
    entry_size: u32,
    array_crc: u32,
    /// The entry array, when it could be read within bounds.
    array: Option<Vec<u8>>,
    array_crc_ok: bool,
    /// Why the header's geometry is not usable, if it is not.
    broken: Option<String>,
}

impl Header {
    fn usable(&self) -> bool {
        self.crc_ok && self.array_crc_ok && self.broken.is_none()
    }

    fn array_sectors(&self, ss: u64) -> u64 {
        (u64::from(self.entry_count) * u64::from(self.entry_size)).div_ceil(ss)
    }
}

fn read_header(view: &View<'_>, ss: u64, lba: u64) -> Option<Header> {
    let raw = view.read(lba.checked_mul(ss)?, ss as usize).ok()?;
    if raw.get(..8)? != SIGNATURE {
        return None;
    }
    let header_size = le32(raw, 12);
    let stored_crc = le32(raw, 16);
    let mut broken = None;
    let crc_ok = if (HEADER_MIN..=ss as u32).contains(&header_size) {
        let mut copy = raw.get(..header_size as usize)?.to_vec();
        copy.get_mut(16..20)?.fill(0);
        crc32fast::hash(&copy) == stored_crc
    } else {
        broken = Some(format!(
            "HeaderSize is {header_size}, not {HEADER_MIN}..{ss}"
        ));
        false
    };
    let entry_count = le32(raw, 80);
    let entry_size = le32(raw, 84);
    let array_bytes = u64::from(entry_count) * u64::from(entry_size);
    if entry_size < 128 || !entry_size.is_power_of_two() {
        broken = Some(format!(
            "SizeOfPartitionEntry is {entry_size}, not 128 × 2^n"
        ));
    } else if array_bytes > MAX_ARRAY_BYTES {
        broken = Some(format!(
            "{entry_count} entries of {entry_size} bytes ({array_bytes} bytes) is past the {MAX_ARRAY_BYTES}-byte bound"
        ));
    }
    let entries_lba = le64(raw, 72);
    let array = if broken.is_none() {
        entries_lba
            .checked_mul(ss)
            .and_then(|at| view.read(at, array_bytes as usize).ok())
            .map(<[u8]>::to_vec)
    } else {
        None
    };
    let array_crc = le32(raw, 88);
    let array_crc_ok = array
        .as_deref()
        .is_some_and(|a| crc32fast::hash(a) == array_crc);
    Some(Header {
        lba,
        crc_ok,
        alternate_lba: le64(raw, 32),
        first_usable: le64(raw, 40),
        last_usable: le64(raw, 48),
        disk_guid: guid_string(raw.get(56..72)?),
        entries_lba,
        entry_count,
        entry_size,
        array_crc,
        array,
        array_crc_ok,
        broken,
    })
}

/// Reads the GPT of an image, if it has one at either sector size.
pub fn read(view: &View<'_>, mbr: Option<&MbrSector>) -> Option<PartitionTable> {
    for ss in [512u64, 4096] {
        let sectors = view.len() / ss;
        let last = sectors.checked_sub(1)?;
        let primary = read_header(view, ss, 1);
        let backup = if last > 1 {
            read_header(view, ss, last)
        } else {
            None
        };
        if primary.is_none() && backup.is_none() {
            continue;
        }
        return Some(build(ss, last, primary, backup, mbr));
    }
    None
}

fn build(
    ss: u64,
    last: u64,
    primary: Option<Header>,
    backup: Option<Header>,
    mbr: Option<&MbrSector>,
) -> PartitionTable {
    let mut findings = Vec::new();
    let mut regions = vec![TableRegion {
        start_lba: 0,
        sectors: 1,
        what: "protective MBR",
    }];
    for (h, name) in [(&primary, "primary"), (&backup, "backup")] {
        let Some(h) = h else { continue };
        regions.push(TableRegion {
            start_lba: h.lba,
            sectors: 1,
            what: if name == "primary" {
                "primary GPT header"
            } else {
                "backup GPT header"
            },
        });
        if h.broken.is_none() {
            regions.push(TableRegion {
                start_lba: h.entries_lba,
                sectors: h.array_sectors(ss),
                what: if name == "primary" {
                    "primary GPT entry array"
                } else {
                    "backup GPT entry array"
                },
            });
        }
        let at = format!("{name} GPT header (LBA {})", h.lba);
        if let Some(why) = &h.broken {
            findings.push(Finding::new(
                Code::BadPartitionTable,
                format!("{at}: {why}"),
            ));
        } else if !h.crc_ok {
            findings.push(
                Finding::new(Code::ChecksumMismatch,
                    format!("{at}: HeaderCRC32 does not match: the kernel and firmware reject this header"),
                ).with_severity(Severity::High)
                .with_blocks([[h.lba, 1]]),
            );
        } else if !h.array_crc_ok {
            findings.push(
                Finding::new(Code::ChecksumMismatch,
                    format!(
                        "{at}: the entry array at LBA {} does not match PartitionEntryArrayCRC32 {:#010x}{}",
                        h.entries_lba,
                        h.array_crc,
                        if h.array.is_none() { " (it lies past the end of the image)" } else { "" }
                    ),
                ).with_severity(Severity::High)
                .with_blocks([[h.entries_lba, h.array_sectors(ss)]]),
            );
        }
    }
    // The primary is what Linux reads; firmware falls back to the backup.
    let chosen = match (&primary, &backup) {
        (Some(p), _) if p.usable() => Some(p),
        (_, Some(b)) if b.usable() => {
            findings.push(Finding::new(Code::BadPartitionTable,
                "the primary GPT is damaged and the backup is read instead, as firmware does; Linux ignores the backup unless booted with `gpt`, so the two may see different partitions".to_string(),
            ));
            Some(b)
        }
        (p, b) => p.as_ref().or(b.as_ref()),
    };
    match (&primary, &backup) {
        (Some(p), Some(b)) if p.usable() && b.usable() => {
            let mut differences = Vec::new();
            if p.array != b.array {
                differences.push("the partition entries");
            }
            if p.disk_guid != b.disk_guid {
                differences.push("the disk GUID");
            }
            if (p.first_usable, p.last_usable) != (b.first_usable, b.last_usable) {
                differences.push("the usable range");
            }
            if !differences.is_empty() {
                findings.push(Finding::new(Code::GptBackupMismatch,
                    format!(
                        "the primary and backup GPT disagree on {}: Linux reads the primary, firmware may read the backup, so the disk looks different to each",
                        differences.join(" and ")
                    ),
                ));
            }
        }
        (Some(p), None) => findings.push(Finding::new(Code::GptBackupMissing,
            format!(
                "no backup GPT header at the last LBA ({last}); the primary says it is at LBA {}: the image was truncated or grown, or the backup was erased",
                p.alternate_lba
            ),
        )),
        _ => {}
    }
    match mbr.map(|m| (m.protective().is_some(), m.others().count())) {
        None | Some((false, _)) => findings.push(Finding::new(Code::GptNoProtectiveMbr,
            "the GPT has no protective MBR (no 0xEE entry in sector 0): Linux ignores such a GPT unless booted with `gpt`, and MBR-only tools see an empty disk they may overwrite",
        )),
        Some((true, others)) if others > 0 => findings.push(Finding::new(Code::HybridMbr,
            format!(
                "the protective MBR also lists {others} other partition(s) (a hybrid MBR): MBR-only systems see those and may disagree with the GPT"
            ),
        )),
        _ => {}
    }
    let partitions = chosen
        .map(|h| entries(h, &mut findings))
        .unwrap_or_default();
    PartitionTable {
        scheme: Scheme::Gpt,
        sector_size: ss as u32,
        disk_guid: chosen.map(|h| h.disk_guid.clone()),
        partitions,
        regions,
        findings,
    }
}

fn entries(h: &Header, findings: &mut Vec<Finding>) -> Vec<Partition> {
    let Some(array) = &h.array else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, e) in array.chunks_exact(h.entry_size as usize).enumerate() {
        let type_guid = e.get(..16).unwrap_or(&[]);
        if type_guid.iter().all(|&b| b == 0) {
            continue;
        }
        let number = i as u32 + 1;
        let (first, last) = (le64(e, 32), le64(e, 40));
        if last < first {
            findings.push(Finding::new(
                Code::BadPartitionTable,
                format!("GPT partition {number} ends (LBA {last}) before it starts (LBA {first})"),
            ));
            continue;
        }
        if out.len() >= MAX_PARTITIONS {
            findings.push(
                Finding::new(
                    Code::BadPartitionTable,
                    format!("more than {MAX_PARTITIONS} GPT partitions: the rest are not scanned"),
                )
                .with_severity(Severity::Medium),
            );
            break;
        }
        let type_id = guid_string(type_guid);
        let units: Vec<u16> = e
            .get(56..128)
            .unwrap_or(&[])
            .chunks_exact(2)
            .map(|c| {
                u16::from_le_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .take_while(|&u| u != 0)
            .collect();
        let name = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        if first < h.first_usable || last > h.last_usable {
            findings.push(
                Finding::new(Code::PartitionOutsideUsable,
                    format!(
                        "GPT partition {number} (LBA {first}–{last}) lies outside the usable range {}–{} that the header declares",
                        h.first_usable, h.last_usable
                    ),
                )
                .with_blocks([[first, (last - first).saturating_add(1)]]),
            );
        }
        out.push(Partition {
            scheme: Scheme::Gpt,
            number,
            type_name: type_name(&type_id).to_string(),
            type_id,
            name,
            start_lba: first,
            sectors: (last - first).saturating_add(1),
        });
    }
    out
}

/// What common GPT partition type GUIDs stand for.
pub fn type_name(guid: &str) -> &'static str {
    match guid {
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" => "EFI System",
        "21686148-6449-6E6F-744E-656564454649" => "BIOS boot",
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4" => "Linux filesystem",
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" => "Linux swap",
        "E6D6D379-F507-44C2-A23C-238F2A3DF928" => "Linux LVM",
        "A19D880F-05FC-4D3B-A006-743F0F84911E" => "Linux RAID",
        "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709" => "Linux root (x86-64)",
        "933AC7E1-2EB4-4F13-B844-0E14E2AEF915" => "Linux home",
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" => "Microsoft basic data",
        "E3C9E316-0B5C-4DB8-817D-F92DF00215AE" => "Microsoft reserved",
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC" => "Windows recovery",
        "48465300-0000-11AA-AA11-00306543ECAC" => "Apple HFS+",
        _ => "unknown",
    }
}
