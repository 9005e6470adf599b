//! XFS directory entries, for paths: short-form directories inside the
//! inode, and the data blocks of block, leaf and node directories (their
//! leaf, node and free-index blocks hold no names).
//!
//! Sources: `xfs_da_format.h` (`xfs_dir2_sf_hdr`, `xfs_dir2_sf_entry`,
//! `xfs_dir3_data_hdr`, `xfs_dir2_data_entry`, `xfs_dir2_data_unused`,
//! `xfs_dir2_block_tail`), xfs-documentation `directories.asciidoc`.

use super::sb::{Geo, crc_ok};
use crate::bytes::{be16, be32, be64, u8_at};

const BLOCK_V5: u32 = 0x5844_4233; // "XDB3"
const DATA_V5: u32 = 0x5844_4433; // "XDD3"
const BLOCK_V4: u32 = 0x5844_3242; // "XD2B"
const DATA_V4: u32 = 0x5844_3244; // "XD2D"

/// Byte offset in a directory where its leaf blocks start (32 GiB): data
/// blocks lie below it.
pub(super) const LEAF_OFFSET: u64 = 32 << 30;

/// Why a directory's entries cannot all be read: which entry (by number in
/// a short-form directory, by byte in a data block) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum DirError {
    #[error("short-form entry {entry} runs past the inode's data fork")]
    ShortformPastFork { entry: usize },
    #[error("short-form entry {entry} has an empty name")]
    ShortformEmptyName { entry: usize },
    /// The block's magic is no data or single-block directory's.
    #[error("magic {magic:#010x} is no directory data block")]
    NotDataBlock { magic: u32 },
    /// `xfs_dir2_block_tail`'s count leaves no room for the entries.
    #[error("its block tail counts {count} leaf entries, more than fit")]
    TailCount { count: usize },
    /// An `xfs_dir2_data_unused` whose length cannot be.
    #[error("free space at byte {at} has length {len}")]
    FreeLength { at: usize, len: usize },
    #[error("entry at byte {at} runs past the data")]
    EntryPastData { at: usize },
    #[error("entry at byte {at} has an empty name")]
    EmptyName { at: usize },
}

/// The entries of a short-form directory (the inode's data fork), as
/// (inode, name); "." and ".." are not stored.
pub(super) fn shortform(
    fork: &[u8],
    geo: &Geo,
    out: &mut Vec<(u64, Vec<u8>)>,
) -> Result<(), DirError> {
    let count = usize::from(u8_at(fork, 0));
    let i8count = u8_at(fork, 1);
    let ino_len: usize = if i8count > 0 { 8 } else { 4 };
    let mut at = 2 + ino_len;
    let ftype = usize::from(geo.ftype);
    for k in 0..count {
        let namelen = usize::from(u8_at(fork, at));
        let name_at = at + 3;
        let ino_at = name_at + namelen + ftype;
        let end = ino_at + ino_len;
        let (Some(name), true) = (fork.get(name_at..name_at + namelen), end <= fork.len()) else {
            return Err(DirError::ShortformPastFork { entry: k });
        };
        if namelen == 0 {
            return Err(DirError::ShortformEmptyName { entry: k });
        }
        let ino = if ino_len == 8 {
            be64(fork, ino_at)
        } else {
            u64::from(be32(fork, ino_at))
        };
        out.push((ino, name.to_vec()));
        at = end;
    }
    Ok(())
}

/// A v5 directory block's crc32c (at byte 4), if it is wrong:
/// (stored, computed).
pub(super) fn bad_crc(block: &[u8], geo: &Geo) -> Option<(u32, u32)> {
    if !geo.v5 {
        return None;
    }
    let (ok, stored, computed) = crc_ok(block, 4);
    (!ok).then_some((stored, computed))
}

/// What a v5 directory block says of itself: (daddr, owner inode).
pub(super) fn self_description(block: &[u8], geo: &Geo) -> Option<(u64, u64)> {
    geo.v5.then(|| (be64(block, 8), be64(block, 40)))
}

/// The entries of one directory data block (`dir_bs` bytes).
pub(super) fn data_block(
    block: &[u8],
    geo: &Geo,
    out: &mut Vec<(u64, Vec<u8>)>,
) -> Result<(), DirError> {
    let magic = be32(block, 0);
    let (hdr, is_block): (usize, bool) = match magic {
        BLOCK_V5 if geo.v5 => (64, true),
        DATA_V5 if geo.v5 => (64, false),
        BLOCK_V4 if !geo.v5 => (16, true),
        DATA_V4 if !geo.v5 => (16, false),
        _ => return Err(DirError::NotDataBlock { magic }),
    };
    let mut end = block.len();
    if is_block {
        // The tail (count, stale) and `count` leaf entries end the block.
        let count = be32(block, end.saturating_sub(8)) as usize;
        end = end
            .checked_sub(8)
            .and_then(|e| e.checked_sub(count.checked_mul(8)?))
            .filter(|&e| e >= hdr)
            .ok_or(DirError::TailCount { count })?;
    }
    let ftype = usize::from(geo.ftype);
    let mut at = hdr;
    // Every step moves forward by at least 8 bytes.
    while at + 8 <= end {
        if be16(block, at) == 0xFFFF {
            let len = usize::from(be16(block, at + 2));
            if len < 8 || len % 8 != 0 {
                return Err(DirError::FreeLength { at, len });
            }
            at += len;
            continue;
        }
        let namelen = usize::from(u8_at(block, at + 8));
        let size = (8 + 1 + namelen + ftype + 2).next_multiple_of(8);
        let Some(name) = block
            .get(at + 9..at + 9 + namelen)
            .filter(|_| at + size <= end)
        else {
            return Err(DirError::EntryPastData { at });
        };
        if namelen == 0 {
            return Err(DirError::EmptyName { at });
        }
        out.push((be64(block, at), name.to_vec()));
        at += size;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geo {
        crate::fs::xfs::sb::tests::geo()
    }

    #[test]
    fn short_form_entries_with_file_types() {
        // count 2, i8count 0, parent 128; "ab" → 200, "c" → 201.
        let mut fork = vec![2, 0, 0, 0, 0, 128];
        fork.extend_from_slice(&[2, 0, 0x60, b'a', b'b', 1, 0, 0, 0, 200]);
        fork.extend_from_slice(&[1, 0, 0x70, b'c', 2, 0, 0, 0, 201]);
        let mut out = Vec::new();
        shortform(&fork, &geo(), &mut out).unwrap();
        assert_eq!(out, vec![(200, b"ab".to_vec()), (201, b"c".to_vec())]);
        // Cut short: an error, not a panic.
        let mut out = Vec::new();
        assert!(shortform(&fork[..12], &geo(), &mut out).is_err());
    }

    #[test]
    fn data_block_entries_skip_free_space() {
        let mut block = vec![0u8; 4096];
        block[0..4].copy_from_slice(&DATA_V5.to_be_bytes());
        let mut at = 64;
        // An entry: inode 300, "name", ftype 1, padded to 8, tag.
        block[at..at + 8].copy_from_slice(&300u64.to_be_bytes());
        block[at + 8] = 4;
        block[at + 9..at + 13].copy_from_slice(b"name");
        at += (8 + 1 + 4 + 1 + 2usize).next_multiple_of(8);
        // Free space of 32 bytes, then another entry, then free to the end.
        block[at..at + 2].copy_from_slice(&0xFFFFu16.to_be_bytes());
        block[at + 2..at + 4].copy_from_slice(&32u16.to_be_bytes());
        at += 32;
        block[at..at + 8].copy_from_slice(&301u64.to_be_bytes());
        block[at + 8] = 1;
        block[at + 9] = b'x';
        at += 16;
        block[at..at + 2].copy_from_slice(&0xFFFFu16.to_be_bytes());
        block[at + 2..at + 4].copy_from_slice(&((4096 - at) as u16).to_be_bytes());
        let mut out = Vec::new();
        data_block(&block, &geo(), &mut out).unwrap();
        assert_eq!(out, vec![(300, b"name".to_vec()), (301, b"x".to_vec())]);
        // A zero-length free entry would never advance: an error.
        block[at + 2..at + 4].fill(0);
        let mut out = Vec::new();
        assert!(data_block(&block, &geo(), &mut out).is_err());
    }
}
