//! EROFS inodes: a slot read by nid (`erofs_inode_compact`, 32 bytes, or
//! `erofs_inode_extended`, 64, by bit 0 of `i_format`), its data mapped by
//! layout (`i_format` bits 1–3), and the model's inode made of it.
//!
//! Sources: Linux `fs/erofs/erofs_fs.h`, `fs/erofs/inode.c`, `fs/erofs/data.c`
//! (flat and chunk mapping), `fs/erofs/zmap.c` (compressed, in [`zmap`]).

use std::collections::BTreeSet;

use crate::bytes::{le16, le32, le64};
use crate::image::View;
use crate::model::{BlockRun, Code, FileType, Finding, Inode, InodeNo, NO_NAME, Role, RunSpan};

use super::sb::Super;
use super::zmap;
use super::{
    CHUNK_BASED, COMPRESSED_COMPACT, COMPRESSED_FULL, FLAT_INLINE, FLAT_PLAIN,
    INCOMPAT_BIG_PCLUSTER,
};

/// `erofs_inode_chunk_index` / a block map entry: no block (a hole).
const NULL_ADDR: u32 = u32::MAX;
/// `i_u` of a CHUNK_BASED inode: 8-byte `erofs_inode_chunk_index` entries
/// (with a device id) instead of 4-byte block addresses.
const CHUNK_FORMAT_INDEXES: u16 = 0x20;

/// One inode as read from its slot.
pub(super) struct Slot {
    pub nid: u64,
    /// Byte where the inode starts.
    pub at: u64,
    pub layout: u16,
    pub mode: u16,
    pub size: u64,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    /// `i_u`: raw_blkaddr, chunk format, or compressed block count.
    pub i_u: u32,
    /// Bytes of inode plus inline xattrs.
    pub head: u64,
    /// Shared xattr ids.
    pub shared_xattrs: Vec<u32>,
}

/// Why an inode slot cannot be read: which nid, at which byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum SlotError {
    /// `meta_blkaddr × block size + nid × 32` overflows.
    #[error("nid {nid} lies past any possible address")]
    NoAddress { nid: u64 },
    #[error("nid {nid} (byte {at:#x}) lies past the end of the image")]
    PastImage { nid: u64, at: u64 },
    /// The 64-byte extended inode at `at` ends past the image.
    #[error("nid {nid}: its extended inode is cut off by the end of the image")]
    ExtendedCutOff { nid: u64, at: u64 },
}

/// Reads the inode slot of `nid`: `i_format` (0), `i_xattr_icount` (2),
/// `i_mode` (4), and the compact or extended fields after them.
pub(super) fn read_slot(view: &View<'_>, sb: &Super, nid: u64) -> Result<Slot, SlotError> {
    let at = sb
        .meta_blkaddr
        .checked_mul(sb.block_size)
        .and_then(|m| m.checked_add(nid.checked_mul(32)?))
        .ok_or(SlotError::NoAddress { nid })?;
    let compact = view
        .read(at, 32)
        .map_err(|_| SlotError::PastImage { nid, at })?;
    let format = le16(compact, 0);
    let extended = format & 1 != 0;
    let raw = if extended {
        view.read(at, 64)
            .map_err(|_| SlotError::ExtendedCutOff { nid, at })?
    } else {
        compact
    };
    let icount = u64::from(le16(raw, 2));
    let xattr_bytes = if icount == 0 {
        0
    } else {
        12 + 4 * (icount - 1)
    };
    let isize = if extended { 64 } else { 32 };
    // erofs_xattr_ibody_header: h_shared_count at 4, ids from 12.
    let shared_xattrs = if icount > 0 {
        view.read(at + isize, xattr_bytes as usize)
            .ok()
            .map(|x| {
                let n = usize::from(x.get(4).copied().unwrap_or(0));
                (0..n)
                    .map_while(|k| x.get(12 + 4 * k..16 + 4 * k).map(|b| le32(b, 0)))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let (size, nlink, uid, gid, mtime) = if extended {
        (
            le64(raw, 8),
            le32(raw, 44),
            le32(raw, 24),
            le32(raw, 28),
            i64::try_from(le64(raw, 32)).unwrap_or(0),
        )
    } else {
        (
            u64::from(le32(raw, 8)),
            u32::from(le16(raw, 6)),
            u32::from(le16(raw, 24)),
            u32::from(le16(raw, 26)),
            i64::try_from(sb.build_time).unwrap_or(0),
        )
    };
    Ok(Slot {
        nid,
        at,
        layout: (format >> 1) & 7,
        mode: le16(raw, 4),
        size,
        nlink,
        uid,
        gid,
        mtime,
        i_u: le32(raw, 16),
        head: isize + xattr_bytes,
        shared_xattrs,
    })
}

impl Slot {
    /// The byte after the inode and its inline xattrs: where an inline
    /// tail, a chunk index array or a compression index starts.
    fn body_end(&self) -> u64 {
        self.at + self.head
    }
}

/// An inode's data: whole blocks, and bytes inside a metadata block.
#[derive(Default)]
pub(super) struct Mapped {
    pub runs: Vec<BlockRun>,
    /// The inline tail or chunk-index array: (byte, length), claimed as metadata.
    pub meta_bytes: Option<(u64, u64)>,
    pub problem: Option<MapProblem>,
}

/// Why an inode's data cannot be mapped whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum MapProblem {
    /// A FLAT_INLINE tail of `tail` bytes that would cross the end of the
    /// metadata block holding it.
    #[error("its inline tail of {tail} bytes would cross the end of its metadata block")]
    TailCrossesBlock { tail: u64 },
    /// The CHUNK_BASED index array at byte `at` ends past the image.
    #[error(
        "its chunk index array ({chunks} entries at byte {at:#x}) lies past the end of the image"
    )]
    ChunkIndexPastImage { chunks: u64, at: u64 },
    /// A compressed file's index.
    #[error(transparent)]
    Compressed(zmap::ZmapError),
    /// `i_format` bits 1–3 name no layout.
    #[error("its data layout {layout} is not one EROFS defines")]
    UnknownLayout { layout: u16 },
}

/// Maps a slot's data by its layout.
fn map(view: &View<'_>, sb: &Super, slot: &Slot, role: Role) -> Mapped {
    let mut m = match slot.layout {
        FLAT_PLAIN | FLAT_INLINE => map_flat(sb, slot, role),
        CHUNK_BASED => map_chunks(view, sb, slot, role),
        COMPRESSED_FULL | COMPRESSED_COMPACT => map_compressed(view, sb, slot, role),
        other => Mapped {
            problem: Some(MapProblem::UnknownLayout { layout: other }),
            meta_bytes: Some((slot.at, slot.head)),
            ..Mapped::default()
        },
    };
    if m.meta_bytes.is_none() {
        m.meta_bytes = Some((slot.at, slot.head));
    }
    m
}

/// FLAT_PLAIN: `size` bytes from block `i_u` (raw_blkaddr); FLAT_INLINE:
/// the same but the last partial block, which follows the inode and its
/// xattrs in the metadata.
fn map_flat(sb: &Super, slot: &Slot, role: Role) -> Mapped {
    let bs = sb.block_size;
    let mut m = Mapped::default();
    let blocks = slot.size.div_ceil(bs);
    let (whole, tail) = if slot.layout == FLAT_INLINE && blocks > 0 {
        (blocks - 1, slot.size - (blocks - 1) * bs)
    } else {
        (blocks, 0)
    };
    if whole > 0 {
        m.runs.push(BlockRun {
            logical: Some(0),
            start: u64::from(slot.i_u),
            len: whole,
            role,
            unwritten: false,
        });
    }
    if tail > 0 {
        // The tail must not cross a block boundary (data.c).
        if slot.body_end() % bs + tail > bs {
            m.problem = Some(MapProblem::TailCrossesBlock { tail });
        }
        m.meta_bytes = Some((slot.at, slot.head + tail));
    }
    m
}

/// CHUNK_BASED: `i_u` holds the chunk format (chunk size in its low 5 bits
/// as log2 blocks, CHUNK_FORMAT_INDEXES); the chunk index array follows
/// the inode and xattrs, aligned to its entry size, one entry per chunk.
fn map_chunks(view: &View<'_>, sb: &Super, slot: &Slot, role: Role) -> Mapped {
    let bs = sb.block_size;
    let mut m = Mapped::default();
    let format = (slot.i_u & 0xFFFF) as u16;
    let chunk_bits = u32::from(format & 0x1F);
    let indexes = format & CHUNK_FORMAT_INDEXES != 0;
    let unit: u64 = if indexes { 8 } else { 4 };
    let chunk_blocks = 1u64.checked_shl(chunk_bits).unwrap_or(u64::MAX);
    let chunk_bytes = bs.saturating_mul(chunk_blocks);
    let chunks = slot.size.div_ceil(chunk_bytes.max(1));
    let array_at = slot.body_end().next_multiple_of(unit);
    let array_len = chunks.saturating_mul(unit);
    m.meta_bytes = Some((slot.at, (array_at - slot.at).saturating_add(array_len)));
    let Ok(array) = usize::try_from(array_len)
        .map_err(|_| ())
        .and_then(|n| view.read(array_at, n).map_err(|_| ()))
    else {
        m.problem = Some(MapProblem::ChunkIndexPastImage {
            chunks,
            at: array_at,
        });
        return m;
    };
    for (k, e) in array.chunks_exact(unit as usize).enumerate() {
        // erofs_inode_chunk_index: device_id (2), blkaddr (4); the 4-byte
        // form is a block address alone.
        let (block, device) = if indexes {
            (le32(e, 4), le16(e, 2))
        } else {
            (le32(e, 0), 0)
        };
        if block == NULL_ADDR {
            continue; // a hole
        }
        if device != 0 {
            continue; // on an extra device: not in this image
        }
        let logical = (k as u64).saturating_mul(chunk_blocks);
        let len = chunk_blocks.min(slot.size.div_ceil(bs).saturating_sub(logical));
        match m.runs.last_mut() {
            Some(last)
                if last.end() == u64::from(block)
                    && last.logical.map(|l| l + last.len) == Some(logical) =>
            {
                last.len += len
            }
            _ => m.runs.push(BlockRun {
                logical: Some(logical),
                start: u64::from(block),
                len,
                role,
                unwritten: false,
            }),
        }
    }
    m
}

/// COMPRESSED_FULL / COMPRESSED_COMPACT: the physical clusters the
/// compression index ([`zmap`]) names; the index itself is metadata.
fn map_compressed(view: &View<'_>, sb: &Super, slot: &Slot, role: Role) -> Mapped {
    let bs = sb.block_size;
    let mut m = Mapped {
        meta_bytes: Some((slot.at, slot.head)),
        ..Mapped::default()
    };
    let index = zmap::Index::new(
        view,
        slot.layout == COMPRESSED_COMPACT,
        slot.body_end(),
        slot.size,
        sb.block_size.trailing_zeros(),
        sb.incompat & INCOMPAT_BIG_PCLUSTER != 0,
    );
    let pclusters = index.and_then(|i| {
        m.meta_bytes = Some((slot.at, i.end().saturating_sub(slot.at)));
        i.pclusters(slot.size)
    });
    match pclusters {
        Ok(pclusters) => {
            for p in pclusters {
                let logical = p.logical / bs;
                match m.runs.last_mut() {
                    Some(last) if last.end() == p.block => last.len += p.blocks,
                    _ => m.runs.push(BlockRun {
                        logical: Some(logical),
                        start: p.block,
                        len: p.blocks,
                        role,
                        unwritten: false,
                    }),
                }
            }
        }
        Err(why) => m.problem = Some(MapProblem::Compressed(why)),
    }
    m
}

/// What the walk gathers besides inodes.
#[derive(Default)]
pub(super) struct Seen {
    /// Blocks of the filesystem's own bytes: the superblock, inode slots with
    /// their xattrs, tails and chunk indexes, shared xattr entries.
    pub meta_blocks: BTreeSet<u64>,
    /// Shared xattr ids referenced by some inode.
    pub shared: BTreeSet<u32>,
    /// (block, nid) of every inode slot.
    pub slots: Vec<(u64, InodeNo)>,
}

impl Seen {
    /// Claims the blocks holding `len` bytes at byte `at` as metadata.
    pub(super) fn claim_bytes(&mut self, bs: u64, at: u64, len: u64) {
        let first = at / bs;
        let last = at.saturating_add(len.max(1)).saturating_sub(1) / bs;
        // A forged length cannot make this walk long: at most 64 blocks.
        for b in first..=last.min(first.saturating_add(64)) {
            self.meta_blocks.insert(b);
        }
    }
}

/// The model's inode for a slot, with its data runs; its metadata bytes
/// are claimed for the filesystem, its shared xattr ids collected.
pub(super) fn model_inode(
    view: &View<'_>,
    sb: &Super,
    slot: &Slot,
    seen: &mut Seen,
    findings: &mut Vec<Finding>,
) -> (Inode, Vec<BlockRun>) {
    seen.shared.extend(slot.shared_xattrs.iter().copied());
    let file_type = FileType::from_mode(u32::from(slot.mode));
    let role = match file_type {
        FileType::Directory => Role::Directory,
        FileType::Symlink => Role::Symlink,
        _ => Role::Data,
    };
    let has_data = matches!(
        file_type,
        FileType::Regular | FileType::Directory | FileType::Symlink
    );
    let mapped = if has_data {
        map(view, sb, slot, role)
    } else {
        Mapped {
            meta_bytes: Some((slot.at, slot.head)),
            ..Mapped::default()
        }
    };
    if let Some((at, len)) = mapped.meta_bytes {
        seen.claim_bytes(sb.block_size, at, len);
    }
    seen.slots.push((slot.at / sb.block_size, slot.nid));
    if let Some(why) = mapped.problem {
        findings.push(
            Finding::new(Code::BadInode, format!("nid {}: {why}", slot.nid))
                .with_inodes([slot.nid]),
        );
    }
    let inode = Inode {
        ino: slot.nid,
        file_type,
        mode: u32::from(slot.mode),
        uid: slot.uid,
        gid: slot.gid,
        size: slot.size,
        links: slot.nlink,
        atime: slot.mtime,
        mtime: slot.mtime,
        ctime: slot.mtime,
        crtime: None,
        sectors: mapped.runs.iter().map(|r| r.len).sum::<u64>() * (sb.block_size / 512),
        flags: u32::from(slot.layout),
        first_name: NO_NAME,
        runs: RunSpan::default(),
        hidden: None,
        released_at_mount: None,
        deleted: false,
    };
    (inode, mapped.runs)
}
