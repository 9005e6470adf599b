//! EROFS: from raw bytes to the common [`Filesystem`] model.
//!
//! Sources: Linux `fs/erofs/erofs_fs.h` (`struct erofs_super_block`,
//! `erofs_inode_compact`, `erofs_inode_extended`, `erofs_inode_chunk_index`,
//! `erofs_dirent`, `erofs_xattr_ibody_header`), `fs/erofs/data.c` (flat and
//! chunk mapping), `fs/erofs/dir.c`.
//!
//! Inode numbers are nids, as `dump.erofs --nid=N` takes them. An inode
//! lives at byte `meta_blkaddr × block size + nid × 32`; its inline xattrs,
//! its inline tail (FLAT_INLINE) and its chunk index array (CHUNK_BASED)
//! follow it. The blocks holding those bytes, the superblock's and the shared
//! xattrs' are claimed by the filesystem (`erofs_metadata`), never by the
//! inodes whose slots they hold: many inodes in one block is normal. Data
//! shared between inodes is legitimate (the image is never written; dedupe
//! shares chunks on purpose); data over metadata is not.
//!
//! Compressed files (layouts 1 and 3) claim their physical clusters
//! ([`zmap`]); their ztailpacking tails and fragments are metadata.
//!
//! The modules: [`sb`] (the superblock), [`inode`] (slots, data maps, the
//! model's inodes), [`dir`] (the directory tree), [`zmap`] (compressed
//! files' clusters).

mod dir;
mod format;
mod inode;
pub mod roles;
pub use format::FORMAT;
mod sb;
mod zmap;

use crate::bytes::{le16, le32};
use crate::fs::Progress;
use crate::image::{ReadError, View};
use crate::model::{
    Code, Filesystem, Finding, FsInfo, MetadataRegion, RunSpan, Units, coalesce_runs,
};

use inode::Seen;

/// Why a volume could not be read as EROFS at all.
#[derive(Debug, thiserror::Error)]
pub enum ErofsError {
    /// The superblock describes no filesystem this parser reads; `offset`
    /// is the byte (in the volume) of the `erofs_super_block` field at fault.
    #[error("corrupt superblock: {problem}")]
    Superblock {
        offset: u64,
        problem: SuperblockProblem,
    },
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// What is wrong with a superblock (`struct erofs_super_block`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuperblockProblem {
    /// blkszbits is outside 9–16.
    #[error("blkszbits is {bits}: block sizes of 512 B to 64 KiB are possible")]
    BlockSizeBits { bits: u8 },
}

const SUPERBLOCK_AT: u64 = 1024;
const MAGIC: u32 = 0xE0F5_E1E2;
/// Data layouts (`i_format` bits 1–3, `EROFS_INODE_*`).
const FLAT_PLAIN: u16 = 0;
const COMPRESSED_FULL: u16 = 1;
const FLAT_INLINE: u16 = 2;
const COMPRESSED_COMPACT: u16 = 3;
const CHUNK_BASED: u16 = 4;
/// COMPR_CFGS / BIG_PCLUSTER (aliased): without it a full (legacy) index
/// ignores its map header.
const INCOMPAT_BIG_PCLUSTER: u32 = 0x2;

/// True if the volume holds an EROFS superblock.
pub fn probe(view: &View<'_>) -> bool {
    view.read(SUPERBLOCK_AT, 4)
        .is_ok_and(|m| le32(m, 0) == MAGIC)
}

/// True if the volume's EROFS superblock is one [`parse`] accepts.
pub fn valid(view: &View<'_>) -> bool {
    probe(view) && sb::superblock(view, &mut Vec::new()).is_ok()
}

/// Parses the whole volume.
pub fn parse(view: &View<'_>, progress: &dyn Progress) -> Result<Filesystem, ErofsError> {
    let mut findings = Vec::new();
    let sb = sb::superblock(view, &mut findings)?;
    let bs = sb.block_size;
    let image_blocks = view.len() / bs;
    let fs_blocks = if sb.blocks > 0 {
        sb.blocks
    } else {
        image_blocks
    };
    if fs_blocks > image_blocks {
        findings.push(Finding::new(Code::TruncatedImage,
            format!(
                "the superblock counts {fs_blocks} blocks but the image holds {image_blocks}: it is scanned as far as it goes"
            ),
        ));
    }
    let mut seen = Seen::default();
    seen.claim_bytes(bs, SUPERBLOCK_AT, 128);
    let dir::Tree { names, mut found } = dir::tree(view, &sb, &mut seen, progress, &mut findings);
    claim_shared_xattrs(view, &sb, &mut seen);
    found.sort_by_key(|(n, _)| n.ino);
    let mut runs = Vec::new();
    let mut inodes = Vec::with_capacity(found.len());
    for (mut inode, r) in found {
        let start = runs.len();
        runs.extend(r);
        inode.runs = RunSpan::between(start, runs.len());
        inodes.push(inode);
    }
    let Seen {
        meta_blocks,
        mut slots,
        ..
    } = seen;
    let metadata = coalesce_runs(meta_blocks.into_iter().map(|b| (b, 1)).collect())
        .into_iter()
        .map(|(start, len)| MetadataRegion {
            start,
            len,
            role: roles::METADATA,
            group: None,
        })
        .collect();
    let info = FsInfo {
        fs_type: "erofs".into(),
        block_size: u32::try_from(bs).unwrap_or(u32::MAX),
        block_count: fs_blocks,
        inode_count: sb.inos,
        label: sb.label.clone(),
        uuid: crate::bytes::uuid(&sb.uuid),
        features: sb::feature_names(sb.compat, sb.incompat, sb.algorithms),
        groups: 0,
        inodes_in_use: inodes.len() as u64,
    };
    Ok(Filesystem {
        info,
        inodes,
        metadata,
        runs,
        names,
        // EROFS has no allocation map: every block is "in use" or not only
        // by what references it.
        allocated: None,
        allocation_unknown: Vec::new(),
        first_data_block: 0,
        cluster_blocks: 1,
        declared_sharing: Vec::new(),
        own_metadata_inodes: Vec::new(),
        inode_labels: Vec::new(),
        shared_blocks_declared: false,
        omitted: None,
        units: Units::linear("block bitmap"),
        immutable: true,
        slots: {
            slots.sort_unstable();
            slots
        },
        findings,
    })
}

/// Shared xattr entries: 4-byte ids into the xattr area
/// (`xattr_blkaddr`), each an `erofs_xattr_entry`: name length (0), value
/// size (2), then both; claimed as metadata.
fn claim_shared_xattrs(view: &View<'_>, sb: &sb::Super, seen: &mut Seen) {
    let bs = sb.block_size;
    for id in std::mem::take(&mut seen.shared) {
        let at = sb
            .xattr_blkaddr
            .saturating_mul(bs)
            .saturating_add(u64::from(id) * 4);
        if let Ok(e) = view.read(at, 4) {
            let len = 4 + u64::from(e.first().copied().unwrap_or(0)) + u64::from(le16(e, 2));
            seen.claim_bytes(bs, at, len.next_multiple_of(4));
        }
    }
}
