//! Directory entries (`struct ext4_dir_entry_2`) in linear and htree directories.
//!
//! Sources: Documentation/filesystems/ext4/directory.rst; fs/ext4/namei.c.
//! An htree directory is read linearly: its interior nodes look like one empty
//! entry (inode 0, rec_len = block size) and its root block like `.` and a `..`
//! whose rec_len covers the dx_root, so a linear reader sees every real entry once.

use crate::bytes::{le16, le32, u8_at};

/// A directory entry as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry<'a> {
    pub inode: u32,
    pub name: &'a [u8],
    /// Byte offset of the entry within the block.
    pub offset: usize,
}

/// A structural problem in a directory block; parsing of that block stops there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirProblem {
    pub offset: usize,
    pub what: String,
}

/// Parses one directory block. `has_filetype` selects the 8-bit name_len form;
/// without it name_len is 16 bits. Entries are bounded by the block itself.
pub fn parse_block(block: &[u8], has_filetype: bool) -> (Vec<DirEntry<'_>>, Option<DirProblem>) {
    let mut entries = Vec::new();
    let mut offset = 0usize;
    let len = block.len();
    while offset < len {
        let Some(header) = block.get(offset..offset + 8) else {
            return (
                entries,
                Some(DirProblem {
                    offset,
                    what: "a directory entry header crosses the end of the block".into(),
                }),
            );
        };
        let inode = le32(header, 0);
        let rec_len = decode_rec_len(le16(header, 4), len);
        let name_len = if has_filetype {
            usize::from(u8_at(header, 6))
        } else {
            usize::from(le16(header, 6))
        };
        let min = (8 + name_len).next_multiple_of(4);
        if rec_len < 8
            || !rec_len.is_multiple_of(4)
            || offset + rec_len > len
            || (inode != 0 && rec_len < min)
        {
            return (
                entries,
                Some(DirProblem {
                    offset,
                    what: format!(
                        "rec_len {rec_len} with name_len {name_len} is invalid (entry needs {min}, {} bytes left)",
                        len - offset
                    ),
                }),
            );
        }
        if inode != 0
            && name_len > 0
            && let Some(name) = block.get(offset + 8..offset + 8 + name_len)
        {
            entries.push(DirEntry {
                inode,
                name,
                offset,
            });
        }
        offset += rec_len;
    }
    (entries, None)
}

/// rec_len as stored → bytes. On 64 KiB blocks the value 65535 (or 0) means
/// 65536 and the low two bits carry bits 16–17 (fs/ext4/ext4.h `ext4_rec_len_from_disk`).
fn decode_rec_len(raw: u16, block_len: usize) -> usize {
    let v = usize::from(raw);
    if block_len < 65536 {
        return v;
    }
    if raw == 65535 || raw == 0 {
        return 65536;
    }
    (v & 65532) | ((v & 3) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(inode: u32, rec_len: u16, name: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&inode.to_le_bytes());
        v.extend_from_slice(&rec_len.to_le_bytes());
        v.push(name.len() as u8);
        v.push(1);
        v.extend_from_slice(name);
        v.resize(usize::from(rec_len), 0);
        v
    }

    #[test]
    fn parses_entries_and_stops_at_bad_rec_len() {
        let mut block = entry(2, 12, b".");
        block.extend(entry(2, 12, b".."));
        block.extend(entry(12, 1000, b"file"));
        assert_eq!(block.len(), 1024);
        let (entries, problem) = parse_block(&block, true);
        assert_eq!(problem, None);
        let names: Vec<&[u8]> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names, vec![&b"."[..], b"..", b"file"]);

        // rec_len pointing past the block
        let mut bad = entry(2, 12, b".");
        bad.extend(entry(12, 1012, b"x"));
        bad[12 + 4] = 0xFF;
        bad[12 + 5] = 0x0F;
        let (entries, problem) = parse_block(&bad, true);
        assert_eq!(entries.len(), 1);
        assert!(problem.is_some());

        // rec_len 0 must not loop forever
        let zero = vec![0u8; 1024];
        let (entries, problem) = parse_block(&zero, true);
        assert!(entries.is_empty());
        assert!(problem.is_some());
    }
}
