//! FAT directory entries and long names (spec sections 6 and 7; dosfstools
//! `src/lfn.c`).
//!
//! A 32-byte entry: name (0, 8 + 3 bytes, space padded; first byte 0x00 ends
//! the directory, 0xE5 marks a deleted entry, 0x05 stands for a real 0xE5),
//! attributes (11), NTRes (12: 0x08 lower-case base, 0x10 lower-case
//! extension), creation time tenths (13), time (14) and date (16), access
//! date (18), first cluster high (20, FAT32), write time (22) and date (24),
//! first cluster low (26), size (28). Attribute 0x0F marks a long-name (LFN)
//! entry: order (0; 0x40 flags the last part, which is stored first), 13
//! UCS-2 characters at 1, 14 and 28, and the checksum of the short name (13).

use crate::bytes::{le16, le32};
use crate::model::name_from_bytes;

pub const ENTRY: usize = 32;
pub const ATTR_READ_ONLY: u8 = 0x01;
pub const ATTR_VOLUME_ID: u8 = 0x08;
pub const ATTR_DIRECTORY: u8 = 0x10;
const ATTR_LFN: u8 = 0x0F;
const DELETED: u8 = 0xE5;

/// A live directory entry (not `.`, `..`, a volume label or a long-name part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The long name when one precedes the entry and checks out, else the 8.3 name.
    pub name: String,
    pub attr: u8,
    pub start_cluster: u32,
    pub size: u32,
    pub mtime: i64,
    pub atime: i64,
    pub crtime: i64,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.attr & ATTR_DIRECTORY != 0
    }
}

/// What one slot of a directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// 0x00: no entries follow.
    End,
    /// Nothing to list: `.`/`..`, a long-name part, a volume label.
    Skip,
    Entry(Entry),
    /// A deleted (0xE5) entry, named as The Sleuth Kit names it: the 8.3
    /// name with `_` for the lost first character.
    Deleted(Entry),
}

/// Walks the slots of one directory in order, assembling long names.
#[derive(Default)]
pub struct Reader {
    /// Long-name parts seen so far: their characters, last part first.
    parts: Vec<[u16; 13]>,
    checksum: u8,
    /// The order number the next part must carry.
    expect: u8,
    /// The volume label, if the directory holds one.
    pub label: Option<String>,
}

/// Why a slot's long name was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// An LFN entry whose order number (bits 0–4 of byte 0) or checksum
    /// (13) does not continue the long name before it.
    #[error("long-name part {seq} is out of sequence")]
    OutOfSequence { seq: u8 },
    /// LFN entries followed by no short entry: by what came instead.
    #[error("long-name parts without their short entry, before {before}")]
    Orphaned { before: &'static str },
    /// The short entry came before the part numbered 1.
    #[error("a long name is missing parts")]
    MissingParts,
    /// The LFN checksum (13) is not the short name's.
    #[error(
        "the long name's checksum is {stored:#04x} but its short name sums to {sum:#04x} (orphaned or forged long name)"
    )]
    Checksum { stored: u8, sum: u8 },
}

impl Reader {
    /// Reads one 32-byte slot (shorter input is an end of directory).
    pub fn slot(&mut self, e: &[u8], is_fat32: bool) -> (Slot, Option<Problem>) {
        let Some(&first) = e.first().filter(|_| e.len() >= ENTRY) else {
            return (Slot::End, None);
        };
        if first == 0 {
            return (Slot::End, self.orphans("the end of the directory"));
        }
        let attr = e.get(11).copied().unwrap_or(0);
        if first == DELETED {
            let problem = self.orphans("a deleted entry");
            let attr = e.get(11).copied().unwrap_or(0);
            if attr & 0x3F == ATTR_LFN || attr & ATTR_VOLUME_ID != 0 {
                return (Slot::Skip, problem);
            }
            let mut named = [0u8; ENTRY];
            named.copy_from_slice(e.get(..ENTRY).unwrap_or(&[0; ENTRY]));
            named[0] = b'_';
            return (Slot::Deleted(entry(&named, is_fat32)), problem);
        }
        if attr & 0x3F == ATTR_LFN {
            return (Slot::Skip, self.long_part(e));
        }
        let short = e.get(..11).unwrap_or(&[]);
        let long = self.take_long(short);
        if attr & ATTR_VOLUME_ID != 0 {
            // A label is the 11 bytes as they are: no dot between 8 and 3,
            // a leading 0x05 standing for 0xE5 as in names. The first entry
            // that is the volume ID and not a directory, with no cluster, is
            // the label (libblkid vfat.c `search_fat_label`).
            let clusterless = le16(e, 20) == 0 && le16(e, 26) == 0;
            if self.label.is_none() && attr & ATTR_DIRECTORY == 0 && clusterless {
                let mut bytes = short.to_vec();
                if let Some(b) = bytes.first_mut().filter(|b| **b == 0x05) {
                    *b = DELETED;
                }
                let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
                self.label = Some(name_from_bytes(bytes.get(..end).unwrap_or(&[])).into_owned());
            }
            return (Slot::Skip, long.err());
        }
        if short == b".          " || short == b"..         " {
            return (Slot::Skip, long.err());
        }
        let (name, problem) = match long {
            Ok(Some(name)) => (name, None),
            Ok(None) => (short_name(e), None),
            Err(p) => (short_name(e), Some(p)),
        };
        (
            Slot::Entry(Entry {
                name,
                ..entry(e, is_fat32)
            }),
            problem,
        )
    }

    fn long_part(&mut self, e: &[u8]) -> Option<Problem> {
        let order = e.first().copied().unwrap_or(0);
        let seq = order & 0x1F;
        let checksum = e.get(13).copied().unwrap_or(0);
        let mut chars = [0u16; 13];
        for (k, at) in (1..11)
            .step_by(2)
            .chain((14..26).step_by(2))
            .chain((28..32).step_by(2))
            .enumerate()
        {
            if let Some(c) = chars.get_mut(k) {
                *c = le16(e, at);
            }
        }
        let mut problem = None;
        if order & 0x40 != 0 {
            problem = self.orphans("a new long name");
            self.parts.clear();
            self.checksum = checksum;
            self.expect = seq;
        }
        if seq == 0 || seq != self.expect || checksum != self.checksum || self.parts.len() >= 20 {
            self.parts.clear();
            self.expect = 0;
            return problem.or(Some(Problem::OutOfSequence { seq }));
        }
        self.parts.push(chars);
        self.expect = seq - 1;
        problem
    }

    /// Long-name parts left without their short entry.
    fn orphans(&mut self, before: &'static str) -> Option<Problem> {
        if self.parts.is_empty() {
            return None;
        }
        self.parts.clear();
        self.expect = 0;
        Some(Problem::Orphaned { before })
    }

    /// The long name assembled for the short name `short`, if any.
    fn take_long(&mut self, short: &[u8]) -> Result<Option<String>, Problem> {
        if self.parts.is_empty() {
            return Ok(None);
        }
        let parts = std::mem::take(&mut self.parts);
        let complete = self.expect == 0;
        self.expect = 0;
        if !complete {
            return Err(Problem::MissingParts);
        }
        let sum = lfn_checksum(short);
        if sum != self.checksum {
            return Err(Problem::Checksum {
                stored: self.checksum,
                sum,
            });
        }
        let units: Vec<u16> = parts
            .iter()
            .rev()
            .flat_map(|p| p.iter().copied())
            .take_while(|&u| u != 0)
            .collect();
        Ok(Some(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        ))
    }
}

/// The fields of a short entry, named by its 8.3 name.
fn entry(e: &[u8], is_fat32: bool) -> Entry {
    let hi = if is_fat32 { u32::from(le16(e, 20)) } else { 0 };
    Entry {
        name: short_name(e),
        attr: e.get(11).copied().unwrap_or(0),
        start_cluster: (hi << 16) | u32::from(le16(e, 26)),
        size: le32(e, 28),
        mtime: dos_time(le16(e, 24), le16(e, 22)),
        atime: dos_time(le16(e, 18), 0),
        crtime: dos_time(le16(e, 16), le16(e, 14)),
    }
}

/// The spec's rotate-right-and-add checksum of an 11-byte short name.
pub fn lfn_checksum(short: &[u8]) -> u8 {
    short
        .iter()
        .fold(0u8, |sum, &b| sum.rotate_right(1).wrapping_add(b))
}

/// "README.TXT", or "readme.txt" when NTRes asks for lower case.
pub fn short_name(e: &[u8]) -> String {
    let mut base: Vec<u8> = e.get(..8).unwrap_or(&[]).to_vec();
    if let Some(b) = base.first_mut().filter(|b| **b == 0x05) {
        *b = DELETED;
    }
    let ext = e.get(8..11).unwrap_or(&[]);
    let nt = e.get(12).copied().unwrap_or(0);
    let trim = |s: &[u8]| -> Vec<u8> {
        let end = s.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
        s.get(..end).unwrap_or(&[]).to_vec()
    };
    let mut base = trim(&base);
    let mut ext = trim(ext);
    if nt & 0x08 != 0 {
        base.make_ascii_lowercase();
    }
    if nt & 0x10 != 0 {
        ext.make_ascii_lowercase();
    }
    if !ext.is_empty() {
        base.push(b'.');
        base.extend(ext);
    }
    name_from_bytes(&base).into_owned()
}

/// A DOS date and time (local time, taken as UTC) as seconds since the
/// epoch; 0 when the date is unset.
pub fn dos_time(date: u16, time: u16) -> i64 {
    if date == 0 {
        return 0;
    }
    let year = 1980 + i64::from(date >> 9);
    let month = i64::from((date >> 5) & 0x0F).clamp(1, 12);
    let day = i64::from(date & 0x1F).max(1);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = i64::from(time >> 11) * 3600
        + i64::from((time >> 5) & 0x3F) * 60
        + i64::from(time & 0x1F) * 2;
    days * 86_400 + secs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short_entry(name: &[u8; 11], attr: u8, cluster: u16, size: u32) -> [u8; 32] {
        let mut e = [0u8; 32];
        e[..11].copy_from_slice(name);
        e[11] = attr;
        e[26..28].copy_from_slice(&cluster.to_le_bytes());
        e[28..32].copy_from_slice(&size.to_le_bytes());
        e
    }

    fn lfn_entry(order: u8, text: &str, checksum: u8) -> [u8; 32] {
        let mut e = [0u8; 32];
        e[0] = order;
        e[11] = 0x0F;
        e[13] = checksum;
        let mut units: Vec<u16> = text.encode_utf16().collect();
        if units.len() < 13 {
            units.push(0);
        }
        units.resize(13, 0xFFFF);
        let offsets: Vec<usize> = (1..11)
            .step_by(2)
            .chain((14..26).step_by(2))
            .chain((28..32).step_by(2))
            .collect();
        for (u, at) in units.iter().zip(offsets) {
            e[at..at + 2].copy_from_slice(&u.to_le_bytes());
        }
        e
    }

    #[test]
    fn long_names_are_assembled_and_checked() {
        let short = *b"ALONGF~1TXT";
        let sum = lfn_checksum(&short);
        let mut r = Reader::default();
        // "A long file name.txt" is 20 characters: two parts, last one first.
        assert_eq!(
            r.slot(&lfn_entry(0x42, "ame.txt", sum), false),
            (Slot::Skip, None)
        );
        assert_eq!(
            r.slot(&lfn_entry(0x01, "A long file n", sum), false),
            (Slot::Skip, None)
        );
        let (slot, problem) = r.slot(&short_entry(&short, 0x20, 5, 100), false);
        assert_eq!(problem, None);
        let Slot::Entry(e) = slot else {
            panic!("{slot:?}")
        };
        assert_eq!(e.name, "A long file name.txt");
        assert_eq!((e.start_cluster, e.size), (5, 100));

        // A long name whose checksum does not match its short entry is not used.
        let mut r = Reader::default();
        r.slot(&lfn_entry(0x41, "forged.txt", sum ^ 1), false);
        let (slot, problem) = r.slot(&short_entry(&short, 0x20, 5, 100), false);
        assert_eq!(
            problem,
            Some(Problem::Checksum {
                stored: sum ^ 1,
                sum
            })
        );
        assert!(matches!(slot, Slot::Entry(e) if e.name == "ALONGF~1.TXT"));
    }

    #[test]
    fn short_names_honour_the_lower_case_bits() {
        let mut e = short_entry(b"README  TXT", 0x20, 0, 0);
        assert_eq!(short_name(&e), "README.TXT");
        e[12] = 0x18;
        assert_eq!(short_name(&e), "readme.txt");
        assert_eq!(
            short_name(&short_entry(b"\x05BC     DAT", 0, 0, 0)),
            "\\xe5BC.DAT"
        );
    }

    #[test]
    fn dos_dates_convert_to_epoch_seconds() {
        // 2023-11-14 22:13:20: date (43 << 9 | 11 << 5 | 14), time (22 << 11 | 13 << 5 | 10).
        assert_eq!(
            dos_time(43 << 9 | 11 << 5 | 14, 22 << 11 | 13 << 5 | 10),
            1_700_000_000
        );
        assert_eq!(dos_time(0, 1234), 0);
    }
}
