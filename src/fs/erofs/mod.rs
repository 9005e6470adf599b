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

mod format;
pub mod roles;
pub use format::FORMAT;
mod zmap;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use crate::bytes::{le16, le32, le64};
use crate::fs::Progress;
use crate::image::{ReadError, View};
use crate::model::Code;
use crate::model::{
    BlockRun, FileType, Filesystem, Finding, FsInfo, Inode, InodeNo, MetadataRegion, NO_NAME,
    Names, Role, RunSpan, Units, coalesce_runs, name_from_bytes,
};

/// Why a volume could not be read as EROFS at all.
#[derive(Debug, thiserror::Error)]
pub enum ErofsError {
    #[error("corrupt superblock: {0}")]
    Superblock(String),
    #[error(transparent)]
    Read(#[from] ReadError),
}

const SUPERBLOCK_AT: u64 = 1024;
const MAGIC: u32 = 0xE0F5_E1E2;
const COMPAT_SB_CHKSUM: u32 = 0x1;
/// Incompat bits this parser reads (0x1 zero padding / lz4 0-padding, 0x2
/// compression configs / big pclusters, 0x4 chunked files, 0x8 device table /
/// compressed head2, 0x10 ztailpacking, 0x20 fragments / dedupe, 0x40 xattr
/// prefixes: the aliases share bits).
const KNOWN_INCOMPAT: u32 = 0x7F;
const FLAT_PLAIN: u16 = 0;
const COMPRESSED_FULL: u16 = 1;
const FLAT_INLINE: u16 = 2;
const COMPRESSED_COMPACT: u16 = 3;
const CHUNK_BASED: u16 = 4;
const CHUNK_FORMAT_INDEXES: u16 = 0x20;
/// COMPR_CFGS / BIG_PCLUSTER (aliased): without it a full (legacy) index
/// ignores its map header.
const INCOMPAT_BIG_PCLUSTER: u32 = 0x2;
const NULL_ADDR: u32 = u32::MAX;
/// Directory blocks read per directory at most, and names listed per inode.
const MAX_DIR_BLOCKS: u64 = 1 << 20;
const MAX_NAMES_PER_INODE: usize = 64;

/// True if the volume holds an EROFS superblock.
pub fn probe(view: &View<'_>) -> bool {
    view.read(SUPERBLOCK_AT, 4)
        .is_ok_and(|m| le32(m, 0) == MAGIC)
}

/// True if the volume's EROFS superblock is one [`parse`] accepts.
pub fn valid(view: &View<'_>) -> bool {
    probe(view) && superblock(view, &mut Vec::new()).is_ok()
}

/// What the superblock says.
struct Super {
    block_size: u64,
    root_nid: u64,
    inos: u64,
    blocks: u64,
    meta_blkaddr: u64,
    xattr_blkaddr: u64,
    build_time: u64,
    uuid: [u8; 16],
    label: String,
    compat: u32,
    incompat: u32,
    /// `available_compr_algs` (84): a bit per algorithm with COMPR_CFGS.
    algorithms: u16,
}

fn superblock(view: &View<'_>, findings: &mut Vec<Finding>) -> Result<Super, ErofsError> {
    let sb = view.read(SUPERBLOCK_AT, 128)?;
    let bits = sb.get(12).copied().unwrap_or(0);
    if !(9..=16).contains(&bits) {
        return Err(ErofsError::Superblock(format!(
            "blkszbits is {bits}: block sizes of 512 B to 64 KiB are possible"
        )));
    }
    let block_size = 1u64 << bits;
    let compat = le32(sb, 8);
    let incompat = le32(sb, 80);
    if compat & COMPAT_SB_CHKSUM != 0 {
        // crc32c, raw (no final inversion), over [1024, end of the
        // superblock's block) with the checksum field zeroed.
        let end = block_size.max(SUPERBLOCK_AT + 128);
        if let Ok(bytes) = view.read(SUPERBLOCK_AT, (end - SUPERBLOCK_AT) as usize) {
            let stored = le32(bytes, 4);
            let mut copy = bytes.to_vec();
            if let Some(field) = copy.get_mut(4..8) {
                field.fill(0);
            }
            let computed = !crc32c::crc32c(&copy);
            if computed != stored {
                findings.push(
                    Finding::new(
                        Code::ChecksumMismatch,
                        format!("superblock checksum is {stored:#010x}, computed {computed:#010x}"),
                    )
                    .with_blocks([[SUPERBLOCK_AT / block_size, 1]]),
                );
            }
        }
    }
    // extra_devices (86): a multi-device image keeps chunks on blob devices.
    let devices = le16(sb, 86);
    if devices > 0 {
        findings.push(Finding::new(Code::ExtraDevices,
            format!(
                "the image names {devices} extra device(s) (a device table): chunks stored there are not in this image and are not mapped"
            ),
        ));
    }
    let unknown = incompat & !KNOWN_INCOMPAT;
    if unknown != 0 {
        findings.push(Finding::new(Code::UnknownFeature,
            format!(
                "the superblock sets incompatible feature bits this tool does not read ({unknown:#x}, e.g. 48-bit block numbers or a metabox): what it maps may be wrong"
            ),
        ));
    }
    let mut uuid = [0u8; 16];
    if let Some(u) = sb.get(48..64) {
        uuid.copy_from_slice(u);
    }
    let name = sb.get(64..80).unwrap_or(&[]);
    let name_end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok(Super {
        block_size,
        root_nid: u64::from(le16(sb, 14)),
        inos: le64(sb, 16),
        build_time: le64(sb, 24),
        blocks: u64::from(le32(sb, 36)),
        meta_blkaddr: u64::from(le32(sb, 40)),
        xattr_blkaddr: u64::from(le32(sb, 44)),
        uuid,
        label: name_from_bytes(name.get(..name_end).unwrap_or(&[])).into_owned(),
        compat,
        incompat,
        algorithms: le16(sb, 84),
    })
}

/// One inode as read from its slot.
struct Slot {
    nid: u64,
    /// Byte where the inode starts.
    at: u64,
    layout: u16,
    mode: u16,
    size: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    /// `i_u`: raw_blkaddr, chunk format, or compressed block count.
    i_u: u32,
    /// Bytes of inode plus inline xattrs.
    head: u64,
    /// Shared xattr ids.
    shared_xattrs: Vec<u32>,
}

fn read_slot(view: &View<'_>, sb: &Super, nid: u64) -> Result<Slot, String> {
    let at = sb
        .meta_blkaddr
        .checked_mul(sb.block_size)
        .and_then(|m| m.checked_add(nid.checked_mul(32)?))
        .ok_or_else(|| format!("nid {nid} lies past any possible address"))?;
    let compact = view
        .read(at, 32)
        .map_err(|_| format!("nid {nid} (byte {at:#x}) lies past the end of the image"))?;
    let format = le16(compact, 0);
    let extended = format & 1 != 0;
    let raw = if extended {
        view.read(at, 64).map_err(|_| {
            format!("nid {nid}: its extended inode is cut off by the end of the image")
        })?
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

/// An inode's data: whole blocks, and bytes inside a metadata block.
#[derive(Default)]
struct Mapped {
    runs: Vec<BlockRun>,
    /// The inline tail or chunk-index array: (byte, length), claimed as metadata.
    meta_bytes: Option<(u64, u64)>,
    problem: Option<String>,
}

fn map(view: &View<'_>, sb: &Super, slot: &Slot, role: Role) -> Mapped {
    let bs = sb.block_size;
    let mut m = Mapped::default();
    let body_end = slot.at + slot.head;
    match slot.layout {
        FLAT_PLAIN | FLAT_INLINE => {
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
                if body_end % bs + tail > bs {
                    m.problem = Some(format!(
                        "its inline tail of {tail} bytes would cross the end of its metadata block"
                    ));
                }
                m.meta_bytes = Some((slot.at, slot.head + tail));
            }
        }
        CHUNK_BASED => {
            let format = (slot.i_u & 0xFFFF) as u16;
            let chunk_bits = u32::from(format & 0x1F);
            let indexes = format & CHUNK_FORMAT_INDEXES != 0;
            let unit: u64 = if indexes { 8 } else { 4 };
            let chunk_blocks = 1u64.checked_shl(chunk_bits).unwrap_or(u64::MAX);
            let chunk_bytes = bs.saturating_mul(chunk_blocks);
            let chunks = slot.size.div_ceil(chunk_bytes.max(1));
            let array_at = body_end.next_multiple_of(unit);
            let array_len = chunks.saturating_mul(unit);
            m.meta_bytes = Some((slot.at, (array_at - slot.at).saturating_add(array_len)));
            let Ok(array) = usize::try_from(array_len)
                .map_err(|_| ())
                .and_then(|n| view.read(array_at, n).map_err(|_| ()))
            else {
                m.problem = Some(format!(
                    "its chunk index array ({chunks} entries at byte {array_at:#x}) lies past the end of the image"
                ));
                return m;
            };
            for (k, e) in array.chunks_exact(unit as usize).enumerate() {
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
        }
        COMPRESSED_FULL | COMPRESSED_COMPACT => {
            m.meta_bytes = Some((slot.at, slot.head));
            let index = zmap::Index::new(
                view,
                slot.layout == COMPRESSED_COMPACT,
                body_end,
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
                Err(why) => m.problem = Some(why),
            }
        }
        other => {
            m.problem = Some(format!("its data layout {other} is not one EROFS defines"));
            m.meta_bytes = Some((slot.at, slot.head));
        }
    }
    if m.meta_bytes.is_none() {
        m.meta_bytes = Some((slot.at, slot.head));
    }
    m
}

/// Parses the whole volume.
pub fn parse(view: &View<'_>, progress: &dyn Progress) -> Result<Filesystem, ErofsError> {
    let mut findings = Vec::new();
    let sb = superblock(view, &mut findings)?;
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

    let mut names = Names::default();
    let mut found: Vec<(Inode, Vec<BlockRun>)> = Vec::new();
    let mut by_nid: HashMap<u64, usize> = HashMap::new();
    let mut queue: VecDeque<(u64, u32)> = VecDeque::new();
    let mut dirs_seen: HashSet<u64> = HashSet::new();
    let mut budget = view.len().saturating_mul(4);
    let mut buffer = Vec::new();

    let root_name = names.push(None, "");
    match (read_slot(view, &sb, sb.root_nid), root_name) {
        (Ok(slot), Some(id))
            if FileType::from_mode(u32::from(slot.mode)) == FileType::Directory =>
        {
            dirs_seen.insert(slot.nid);
            queue.push_back((slot.nid, id));
            let (inode, runs) = model_inode(view, &sb, &slot, &mut seen, &mut findings);
            by_nid.insert(slot.nid, found.len());
            found.push((inode, runs));
            if let Some((inode, _)) = found.last_mut() {
                names.add_to(inode, id);
            }
        }
        (Err(why), _) => findings.push(Finding::new(
            Code::NoRootDirectory,
            format!(
                "the root directory (nid {}) cannot be read: {why}",
                sb.root_nid
            ),
        )),
        _ => findings.push(Finding::new(
            Code::NoRootDirectory,
            format!(
                "the root nid {} is not a directory: no names can be resolved",
                sb.root_nid
            ),
        )),
    }
    let mut done = 0u64;
    while let Some((dir_nid, dir_name)) = queue.pop_front() {
        done += 1;
        progress.step("directories", done, done + queue.len() as u64);
        let Some(&i) = by_nid.get(&dir_nid) else {
            continue;
        };
        let Some((dir, runs)) = found.get(i) else {
            continue;
        };
        let dir_size = dir.size;
        let dir_path = names.path(dir_name);
        // A directory is stored plain: compressed bytes are no dirents.
        if matches!(
            u16::try_from(dir.flags),
            Ok(COMPRESSED_FULL | COMPRESSED_COMPACT)
        ) {
            findings.push(
                Finding::new(Code::BadDirectoryEntry,
                    format!("directory {dir_path} (nid {dir_nid}) is compressed: its entries are not read"),
                )
                .with_inodes([dir_nid]),
            );
            continue;
        }
        // The directory's bytes: its blocks, then its inline tail.
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut remaining = dir_size;
        for r in runs {
            for k in 0..r.len.min(MAX_DIR_BLOCKS) {
                // A forged size cannot make the list longer than the reads
                // the budget still allows.
                if remaining == 0 || (pieces.len() as u64).saturating_mul(bs) > budget {
                    break;
                }
                let take = remaining.min(bs);
                pieces.push((r.start.saturating_add(k).saturating_mul(bs), take));
                remaining -= take;
            }
        }
        if remaining > 0
            && let Ok(slot) = read_slot(view, &sb, dir_nid)
            && slot.layout == FLAT_INLINE
        {
            pieces.push((slot.at + slot.head, remaining.min(bs)));
        }
        let mut entries: Vec<(u64, Vec<u8>)> = Vec::new();
        for (at, len) in pieces {
            if budget < len {
                findings.push(Finding::new(Code::WalkBudgetExceeded,
                    format!("directories read more than four times the image; the walk stopped in {dir_path}"),
                ));
                break;
            }
            budget -= len;
            buffer.resize(len as usize, 0);
            if view.read_into(at, &mut buffer).is_err() {
                findings.push(
                    Finding::new(Code::TruncatedImage,
                        format!("directory {dir_path} (nid {dir_nid}): byte {at:#x} lies past the end of the image"),
                    )
                    .with_inodes([dir_nid]),
                );
                break;
            }
            if let Err(why) = dirents(&buffer, &mut entries) {
                findings.push(
                    Finding::new(
                        Code::BadDirectoryEntry,
                        format!("directory {dir_path} (nid {dir_nid}), byte {at:#x}: {why}"),
                    )
                    .with_inodes([dir_nid]),
                );
            }
        }
        for (nid, name) in entries {
            if name == b"." || name == b".." {
                continue;
            }
            let name = name_from_bytes(&name);
            let Some(id) = names.push(Some(dir_name), &name) else {
                continue;
            };
            if let Some(&k) = by_nid.get(&nid) {
                if let Some((inode, _)) = found.get_mut(k)
                    && names.count(inode) < MAX_NAMES_PER_INODE
                {
                    names.add_to(inode, id);
                }
                continue;
            }
            let slot = match read_slot(view, &sb, nid) {
                Ok(slot) => slot,
                Err(why) => {
                    findings.push(
                        Finding::new(
                            Code::BadDirectoryEntry,
                            format!("{}/{name}: {why}", dir_path.trim_end_matches('/')),
                        )
                        .with_inodes([dir_nid]),
                    );
                    continue;
                }
            };
            let (mut inode, runs) = model_inode(view, &sb, &slot, &mut seen, &mut findings);
            names.add_to(&mut inode, id);
            if inode.file_type == FileType::Directory && dirs_seen.insert(nid) {
                queue.push_back((nid, id));
            }
            by_nid.insert(nid, found.len());
            found.push((inode, runs));
        }
    }
    // Shared xattr entries: 4-byte ids into the xattr area.
    for id in std::mem::take(&mut seen.shared) {
        let at = sb
            .xattr_blkaddr
            .saturating_mul(bs)
            .saturating_add(u64::from(id) * 4);
        // erofs_xattr_entry: name length (0), value size (2), then both.
        if let Ok(e) = view.read(at, 4) {
            let len = 4 + u64::from(e.first().copied().unwrap_or(0)) + u64::from(le16(e, 2));
            seen.claim_bytes(bs, at, len.next_multiple_of(4));
        }
    }
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
        features: feature_names(sb.compat, sb.incompat, sb.algorithms),
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

/// What the walk gathers besides inodes.
#[derive(Default)]
struct Seen {
    /// Blocks of the filesystem's own bytes: the superblock, inode slots with
    /// their xattrs, tails and chunk indexes, shared xattr entries.
    meta_blocks: BTreeSet<u64>,
    /// Shared xattr ids referenced by some inode.
    shared: BTreeSet<u32>,
    /// (block, nid) of every inode slot.
    slots: Vec<(u64, InodeNo)>,
}

impl Seen {
    /// Claims the blocks holding `len` bytes at byte `at` as metadata.
    fn claim_bytes(&mut self, bs: u64, at: u64, len: u64) {
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
fn model_inode(
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

/// The entries of one directory block: `erofs_dirent` {nid le64, nameoff
/// le16, file_type, reserved}; the first nameoff / 12 is the entry count;
/// names run from their nameoff to the next one's (the last to the block end
/// or the first NUL).
fn dirents(block: &[u8], out: &mut Vec<(u64, Vec<u8>)>) -> Result<(), String> {
    let first = usize::from(le16(block, 8));
    if block.len() < 12 || first < 12 || first % 12 != 0 || first > block.len() {
        return Err(format!(
            "the first name offset {first} is not a multiple of 12 inside the block"
        ));
    }
    let count = first / 12;
    for k in 0..count {
        let e = block.get(12 * k..12 * k + 12).unwrap_or(&[]);
        let start = usize::from(le16(e, 8));
        let end = if k + 1 < count {
            usize::from(le16(block, 12 * (k + 1) + 8))
        } else {
            block.len()
        };
        let Some(name) = block.get(start..end.max(start)) else {
            return Err(format!(
                "entry {k}'s name ({start}..{end}) lies outside the block"
            ));
        };
        let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
        if name.is_empty() {
            return Err(format!("entry {k} has an empty name"));
        }
        out.push((le64(e, 0), name.to_vec()));
    }
    Ok(())
}

fn feature_names(compat: u32, incompat: u32, algorithms: u16) -> Vec<String> {
    let mut out = Vec::new();
    // available_compr_algs (84), meaningful with COMPR_CFGS.
    if incompat & INCOMPAT_BIG_PCLUSTER != 0 {
        for (bit, name) in [(0, "lz4"), (1, "lzma"), (2, "deflate"), (3, "zstd")] {
            if algorithms & (1 << bit) != 0 {
                out.push(format!("compression:{name}"));
            }
        }
    }
    for (bit, name) in [(0x1, "sb_chksum"), (0x2, "mtime"), (0x4, "xattr_filter")] {
        if compat & bit != 0 {
            out.push(name.to_string());
        }
    }
    for (bit, name) in [
        (0x1, "lz4_0padding"),
        (0x2, "compr_cfgs/big_pcluster"),
        (0x4, "chunked_file"),
        (0x8, "device_table/compr_head2"),
        (0x10, "ztailpacking"),
        (0x20, "fragments/dedupe"),
        (0x40, "xattr_prefixes"),
    ] {
        if incompat & bit != 0 {
            out.push(name.to_string());
        }
    }
    let unknown = incompat & !KNOWN_INCOMPAT;
    if unknown != 0 {
        out.push(format!("incompat:{unknown:#x}"));
    }
    out
}
