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
    /// Found in the slack of a live entry: a removed name (see [`parse_block`]).
    pub deleted: bool,
}

/// A structural problem in a directory block; parsing of that block stops there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirProblem {
    /// Byte offset of the entry within the block.
    pub offset: usize,
    pub kind: DirProblemKind,
}

/// What is wrong with a directory entry (struct ext4_dir_entry_2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirProblemKind {
    /// Fewer than the 8 header bytes (inode, rec_len, name_len, file_type) are left.
    #[error("a directory entry header crosses the end of the block")]
    HeaderCut,
    /// rec_len is under 8, not a multiple of 4, past the block, or too short
    /// for the name (8 + name_len, rounded up to 4).
    #[error(
        "rec_len {rec_len} with name_len {name_len} is invalid (entry needs {min}, {left} bytes left)"
    )]
    RecLen {
        rec_len: usize,
        name_len: usize,
        min: usize,
        left: usize,
    },
}

/// Parses one directory block. `has_filetype` selects the 8-bit name_len form;
/// without it name_len is 16 bits. Entries are bounded by the block itself.
///
/// Removing a name (fs/ext4/namei.c `ext4_generic_delete_entry`, e2fsprogs
/// `ext2fs_unlink`) adds its rec_len to the previous entry's and leaves its
/// bytes in place: the slack after each entry's own `8 + name_len` bytes is
/// searched for such entries, which come back with `deleted` set, as The
/// Sleuth Kit's `fls -d` finds them. In an htree directory the slack of `..`
/// and of empty (inode 0) entries holds the index, not names, and is skipped.
/// A deleted entry must look whole (inode within `max_inode`, a name without
/// NUL or `/`, a file type the format knows) to be believed.
pub fn parse_block(
    block: &[u8],
    has_filetype: bool,
    htree: bool,
    max_inode: u32,
) -> (Vec<DirEntry<'_>>, Option<DirProblem>) {
    let mut entries = Vec::new();
    let mut offset = 0usize;
    let len = block.len();
    while offset < len {
        let Some(header) = block.get(offset..offset + 8) else {
            return (
                entries,
                Some(DirProblem {
                    offset,
                    kind: DirProblemKind::HeaderCut,
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
                    kind: DirProblemKind::RecLen {
                        rec_len,
                        name_len,
                        min,
                        left: len - offset,
                    },
                }),
            );
        }
        let name = block.get(offset + 8..offset + 8 + name_len);
        if inode != 0
            && name_len > 0
            && let Some(name) = name
        {
            entries.push(DirEntry {
                inode,
                name,
                offset,
                deleted: false,
            });
        }
        let index_space = htree && (inode == 0 || name == Some(&b".."[..]));
        let used = if inode == 0 { 8 } else { min };
        if rec_len > used && !index_space {
            slack_entries(
                block,
                offset + used,
                offset + rec_len,
                has_filetype,
                max_inode,
                &mut entries,
            );
        }
        offset += rec_len;
    }
    (entries, None)
}

/// Removed entries in `block[from..to)`: each whole-looking entry is taken
/// and the search goes on after its name (a run of removals leaves the
/// entries one after another); elsewhere it moves on by 4 bytes, the
/// alignment of every entry.
fn slack_entries<'a>(
    block: &'a [u8],
    from: usize,
    to: usize,
    has_filetype: bool,
    max_inode: u32,
    out: &mut Vec<DirEntry<'a>>,
) {
    let mut at = from.next_multiple_of(4);
    while at + 8 <= to {
        let Some(header) = block.get(at..at + 8) else {
            return;
        };
        let inode = le32(header, 0);
        let rec_len = usize::from(le16(header, 4));
        let (name_len, file_type) = if has_filetype {
            (usize::from(u8_at(header, 6)), u8_at(header, 7))
        } else {
            (usize::from(le16(header, 6)), 0)
        };
        let need = (8 + name_len).next_multiple_of(4);
        let name = block
            .get(at + 8..at + 8 + name_len)
            .filter(|_| at + need <= to);
        let whole = inode != 0
            && inode <= max_inode
            && name_len > 0
            && file_type <= 7
            && rec_len >= need
            && rec_len.is_multiple_of(4)
            && name.is_some_and(|n| !n.contains(&0) && !n.contains(&b'/'));
        match name {
            Some(name) if whole => {
                if name != b"." && name != b".." {
                    out.push(DirEntry {
                        inode,
                        name,
                        offset: at,
                        deleted: true,
                    });
                }
                at += need;
            }
            _ => at += 4,
        }
    }
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
        let (entries, problem) = parse_block(&block, true, false, u32::MAX);
        assert_eq!(problem, None);
        let names: Vec<&[u8]> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names, vec![&b"."[..], b"..", b"file"]);

        // rec_len pointing past the block
        let mut bad = entry(2, 12, b".");
        bad.extend(entry(12, 1012, b"x"));
        bad[12 + 4] = 0xFF;
        bad[12 + 5] = 0x0F;
        let (entries, problem) = parse_block(&bad, true, false, u32::MAX);
        assert_eq!(entries.len(), 1);
        let problem = problem.expect("a problem at the second entry");
        assert_eq!(problem.offset, 12);
        assert!(matches!(
            problem.kind,
            DirProblemKind::RecLen { rec_len: 4095, .. }
        ));
        assert_eq!(
            problem.kind.to_string(),
            "rec_len 4095 with name_len 1 is invalid (entry needs 12, 1012 bytes left)"
        );

        // rec_len 0 must not loop forever
        let zero = vec![0u8; 1024];
        let (entries, problem) = parse_block(&zero, true, false, u32::MAX);
        assert!(entries.is_empty());
        assert!(
            problem.is_some_and(|p| matches!(p.kind, DirProblemKind::RecLen { rec_len: 0, .. }))
        );
    }

    #[test]
    fn finds_removed_entries_in_slack_but_not_in_an_htree_index() {
        // "a" absorbed the removed "b" and "c" (rm c, then rm b), then "d".
        let mut block = entry(2, 12, b".");
        block.extend(entry(2, 12, b".."));
        let mut a = entry(12, 36, b"a");
        a[12..24].copy_from_slice(&entry(13, 24, b"b")[..12]);
        a[24..36].copy_from_slice(&entry(14, 12, b"c"));
        block.extend(a);
        block.extend(entry(15, 1024 - 60, b"d"));
        let (entries, problem) = parse_block(&block, true, false, 100);
        assert_eq!(problem, None);
        let found: Vec<(u32, &[u8], bool)> = entries
            .iter()
            .map(|e| (e.inode, e.name, e.deleted))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, &b"."[..], false),
                (2, b"..", false),
                (12, b"a", false),
                (13, b"b", true),
                (14, b"c", true),
                (15, b"d", false),
            ]
        );
        // Inode numbers past the filesystem's are not believed.
        let (entries, _) = parse_block(&block, true, false, 13);
        assert_eq!(entries.iter().filter(|e| e.deleted).count(), 1);
        // In an htree directory, what follows `..` is the index.
        let mut root = entry(2, 12, b".");
        let mut dotdot = entry(2, 1012, b"..");
        dotdot[12..24].copy_from_slice(&entry(13, 12, b"b"));
        root.extend(dotdot);
        let (entries, _) = parse_block(&root, true, true, 100);
        assert!(entries.iter().all(|e| !e.deleted));
        let (entries, _) = parse_block(&root, true, false, 100);
        assert!(entries.iter().any(|e| e.deleted));
    }
}
