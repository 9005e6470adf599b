//! XFS inodes: the core, and the block maps of both forks (extent lists and
//! bmbt btrees, the root of which lives in the inode).
//!
//! Sources: `xfs_format.h` (`struct xfs_dinode`, `xfs_bmbt_rec`,
//! `xfs_bmdr_block`, long-form `xfs_btree_block`), xfs-documentation
//! `ondisk_inode.asciidoc`, `data_extents.asciidoc`. The in-inode btree
//! root's pointer array starts after as many keys as the fork could hold,
//! not after `numrecs` keys.

use std::collections::HashSet;

use crate::image::View;

use super::sb::{Geo, MAX_LEVELS, crc_ok};
use crate::bytes::{be16, be32, be64, u8_at};

const DI_MAGIC: u16 = 0x494E; // "IN"
pub(super) const FMT_LOCAL: u8 = 1;
pub(super) const FMT_EXTENTS: u8 = 2;
pub(super) const FMT_BTREE: u8 = 3;
/// di_flags: the data lives on the realtime device.
pub(super) const DIFLAG_REALTIME: u16 = 0x1;
/// di_flags2: the inode may share blocks (reflink).
pub(super) const DIFLAG2_REFLINK: u64 = 0x2;
const DIFLAG2_BIGTIME: u64 = 0x8;
const DIFLAG2_NREXT64: u64 = 0x10;
const BMAP_MAGIC_V5: u32 = 0x424D_4133; // "BMA3"
const BMAP_MAGIC_V4: u32 = 0x424D_4150; // "BMAP"

/// An inode's core, with the raw bytes its forks are read from.
pub(super) struct Dinode {
    pub ino: u64,
    pub mode: u16,
    pub format: u8,
    pub aformat: u8,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub size: u64,
    pub nblocks: u64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    pub crtime: Option<i64>,
    pub flags: u16,
    pub flags2: u64,
    pub nextents: u64,
    pub anextents: u64,
    /// Byte ranges of the data and attribute forks inside `raw`.
    pub data_fork: (usize, usize),
    pub attr_fork: Option<(usize, usize)>,
    pub raw: Vec<u8>,
    /// A stored CRC that does not match: (stored, computed).
    pub bad_crc: Option<(u32, u32)>,
}

/// One mapping of a fork: `len` blocks from file block `logical` at
/// `fsb` (an fsblock number, AG and agbno combined).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Extent {
    pub logical: u64,
    pub fsb: u64,
    pub len: u64,
    pub unwritten: bool,
}

/// Decodes a 16-byte bmbt record.
pub(super) fn decode_rec(rec: &[u8]) -> Extent {
    let (l0, l1) = (be64(rec, 0), be64(rec, 8));
    Extent {
        unwritten: l0 >> 63 != 0,
        logical: (l0 >> 9) & ((1 << 54) - 1),
        fsb: ((l0 & 0x1FF) << 43) | (l1 >> 21),
        len: l1 & ((1 << 21) - 1),
    }
}

fn timestamp(raw: &[u8], at: usize, bigtime: bool) -> i64 {
    if bigtime {
        // Nanoseconds since 1901-12-13 (the i32 epoch's minimum).
        let ns = be64(raw, at);
        i64::try_from(ns / 1_000_000_000).unwrap_or(0) - (1i64 << 31)
    } else {
        i64::from(be32(raw, at) as i32)
    }
}

/// Why an inode cannot be read: which inode, at which byte, and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum InodeError {
    /// Its number names no AG of the filesystem.
    #[error("inode {ino} lies outside every AG")]
    OutsideAgs { ino: u64 },
    #[error("inode {ino} (byte {at:#x}) lies past the end of the image")]
    PastImage { ino: u64, at: u64 },
    /// di_magic is not "IN".
    #[error("inode {ino} (byte {at:#x}) has no IN magic")]
    NoMagic { ino: u64, at: u64 },
    /// di_version: 3 on v5 filesystems, 1 or 2 on v4.
    #[error("inode {ino} has version {version}, not one this filesystem uses")]
    Version { ino: u64, version: u8 },
    /// di_ino of a v3 inode names another inode.
    #[error("inode {ino} (byte {at:#x}) says it is inode {own} (moved or forged)")]
    Forged { ino: u64, at: u64, own: u64 },
    /// di_forkoff puts the attribute fork past the inode.
    #[error("inode {ino}: attribute fork offset {forkoff} lies past the inode")]
    ForkOffset { ino: u64, forkoff: usize },
    /// Named by a directory but di_mode 0: no inode lives there.
    #[error("inode {ino} is unused (mode 0)")]
    Unused { ino: u64 },
}

/// Reads the inode `ino` from where its number says it lives.
pub(super) fn read(view: &View<'_>, geo: &Geo, ino: u64) -> Result<Dinode, InodeError> {
    let at = geo.inode_at(ino).ok_or(InodeError::OutsideAgs { ino })?;
    let raw = view
        .read(at, geo.inodesize as usize)
        .map_err(|_| InodeError::PastImage { ino, at })?;
    if be16(raw, 0) != DI_MAGIC {
        return Err(InodeError::NoMagic { ino, at });
    }
    let version = u8_at(raw, 4);
    let core: usize = match version {
        3 if geo.v5 => 176,
        1 | 2 if !geo.v5 => 100,
        version => return Err(InodeError::Version { ino, version }),
    };
    let mut bad_crc = None;
    if version == 3 {
        let (ok, stored, computed) = crc_ok(raw, 100);
        if !ok {
            bad_crc = Some((stored, computed));
        }
        let own = be64(raw, 152);
        if own != ino {
            return Err(InodeError::Forged { ino, at, own });
        }
    }
    let flags2 = if version == 3 { be64(raw, 120) } else { 0 };
    let bigtime = geo.bigtime && flags2 & DIFLAG2_BIGTIME != 0;
    let (nextents, anextents) = if flags2 & DIFLAG2_NREXT64 != 0 {
        (be64(raw, 24), u64::from(be32(raw, 76)))
    } else {
        (u64::from(be32(raw, 76)), u64::from(be16(raw, 80)))
    };
    let isize = raw.len();
    let forkoff = usize::from(u8_at(raw, 82)).saturating_mul(8);
    let (data_fork, attr_fork) = if forkoff == 0 {
        ((core, isize), None)
    } else {
        let split = core.saturating_add(forkoff);
        if split >= isize {
            return Err(InodeError::ForkOffset { ino, forkoff });
        }
        ((core, split), Some((split, isize)))
    };
    Ok(Dinode {
        ino,
        mode: be16(raw, 2),
        format: u8_at(raw, 5),
        aformat: u8_at(raw, 83),
        uid: be32(raw, 8),
        gid: be32(raw, 12),
        nlink: if version == 1 {
            u32::from(be16(raw, 6))
        } else {
            be32(raw, 16)
        },
        size: be64(raw, 56),
        nblocks: be64(raw, 64),
        atime: timestamp(raw, 32, bigtime),
        mtime: timestamp(raw, 40, bigtime),
        ctime: timestamp(raw, 48, bigtime),
        crtime: (version == 3).then(|| timestamp(raw, 144, bigtime)),
        flags: be16(raw, 90),
        flags2,
        nextents,
        anextents,
        data_fork,
        attr_fork,
        raw: raw.to_vec(),
        bad_crc,
    })
}

/// A fork's mappings, and the bmbt blocks (fsblocks) its btree uses.
#[derive(Default)]
pub(super) struct ForkMap {
    pub extents: Vec<Extent>,
    pub bmbt_blocks: Vec<u64>,
    pub problems: Vec<String>,
}

/// Maps one fork (`attr` false: the data fork) of an extents- or
/// btree-format inode. Local and device forks map nothing.
pub(super) fn map_fork(view: &View<'_>, geo: &Geo, d: &Dinode, attr: bool) -> ForkMap {
    let mut out = ForkMap::default();
    let (range, format, count) = if attr {
        match d.attr_fork {
            Some(r) => (r, d.aformat, d.anextents),
            None => return out,
        }
    } else {
        (d.data_fork, d.format, d.nextents)
    };
    let fork = d.raw.get(range.0..range.1).unwrap_or(&[]);
    let which = if attr { "attribute" } else { "data" };
    match format {
        FMT_EXTENTS => {
            let fits = (fork.len() / 16) as u64;
            if count > fits {
                out.problems.push(format!(
                    "its {which} fork claims {count} extents where {fits} fit in the inode"
                ));
            }
            for k in 0..count.min(fits) as usize {
                if let Some(rec) = fork.get(16 * k..16 * k + 16) {
                    out.extents.push(decode_rec(rec));
                }
            }
        }
        FMT_BTREE => {
            let level = be16(fork, 0);
            let numrecs = usize::from(be16(fork, 2));
            let maxrecs = fork.len().saturating_sub(4) / 16;
            if level == 0 || level >= MAX_LEVELS || numrecs > maxrecs {
                out.problems.push(format!(
                    "its {which} fork btree root (level {level}, {numrecs} pointers, room for {maxrecs}) is impossible"
                ));
                return out;
            }
            let ptrs = 4 + maxrecs * 8;
            let children: Vec<(u64, u16)> = (0..numrecs)
                .map(|k| (be64(fork, ptrs + 8 * k), level - 1))
                .collect();
            walk_bmbt(view, geo, d.ino, children, &mut out);
        }
        _ => {}
    }
    out
}

/// Walks bmbt blocks (long-form btree blocks) from `start`, depth first.
fn walk_bmbt(view: &View<'_>, geo: &Geo, ino: u64, start: Vec<(u64, u16)>, out: &mut ForkMap) {
    let hdr: usize = if geo.v5 { 72 } else { 24 };
    let bs = geo.bs as usize;
    let maxrecs = bs.saturating_sub(hdr) / 16;
    let mut visited: HashSet<u64> = HashSet::new();
    let mut stack = start;
    stack.reverse();
    while let Some((fsb, level)) = stack.pop() {
        if out.problems.len() >= 16 {
            out.problems
                .push("its bmbt walk stopped after 16 problems".into());
            break;
        }
        if visited.len() as u64 >= geo.dblocks || stack.len() as u64 >= geo.dblocks {
            out.problems
                .push("its bmbt has more blocks than the filesystem: walk stopped".into());
            break;
        }
        if !visited.insert(fsb) {
            out.problems
                .push(format!("its bmbt reaches fsblock {fsb} twice (a loop)"));
            continue;
        }
        let Some(linear) = geo.fsb_to_linear(fsb) else {
            out.problems.push(format!(
                "its bmbt points at fsblock {fsb}, outside every AG"
            ));
            continue;
        };
        let Ok(block) = view.read(linear.saturating_mul(geo.bs), bs) else {
            out.problems.push(format!(
                "its bmbt block at fsblock {fsb} lies past the end of the image"
            ));
            continue;
        };
        out.bmbt_blocks.push(fsb);
        let want = if geo.v5 { BMAP_MAGIC_V5 } else { BMAP_MAGIC_V4 };
        let (got_level, numrecs) = (be16(block, 4), usize::from(be16(block, 6)));
        if be32(block, 0) != want || got_level != level || numrecs > maxrecs {
            out.problems.push(format!(
                "its bmbt block at fsblock {fsb} is not a level-{level} bmbt block (magic {:#010x}, level {got_level}, {numrecs} records)",
                be32(block, 0)
            ));
            continue;
        }
        if geo.v5 {
            let (ok, stored, computed) = crc_ok(block, 64);
            if !ok {
                out.problems.push(format!(
                    "its bmbt block at fsblock {fsb} has crc32c {stored:#010x}, computed {computed:#010x}"
                ));
            }
            let (blkno, owner) = (be64(block, 24), be64(block, 56));
            let daddr = linear.saturating_mul(geo.bs / 512);
            if blkno != daddr || owner != ino {
                out.problems.push(format!(
                    "its bmbt block at fsblock {fsb} says it is daddr {blkno} of inode {owner} (lies at daddr {daddr}): moved or forged"
                ));
            }
        }
        if level == 0 {
            for k in 0..numrecs {
                let at = hdr + 16 * k;
                if let Some(rec) = block.get(at..at + 16) {
                    out.extents.push(decode_rec(rec));
                }
            }
        } else {
            let ptrs = hdr + maxrecs * 8;
            for k in (0..numrecs).rev() {
                let child = be64(block, ptrs + 8 * k);
                if !visited.contains(&child) {
                    stack.push((child, level - 1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmbt_records_decode_as_xfs_db_prints_them() {
        // startoff 1, startblock 98317, blockcount 1 (an xfs_db bmap line),
        // packed as the kernel packs it.
        let (off, start, count): (u64, u64, u64) = (1, 98317, 1);
        let l0 = (off << 9) | (start >> 43);
        let l1 = (start << 21) | count;
        let mut rec = l0.to_be_bytes().to_vec();
        rec.extend_from_slice(&l1.to_be_bytes());
        let e = decode_rec(&rec);
        assert_eq!((e.logical, e.fsb, e.len, e.unwritten), (1, 98317, 1, false));
        rec[0] |= 0x80;
        assert!(decode_rec(&rec).unwritten);
    }
}
