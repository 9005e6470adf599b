//! ext2/ext3/ext4: from raw bytes to the common [`Filesystem`] model.
//!
//! Order of work: superblock → group descriptors → metadata regions → block
//! bitmaps → every inode-table slot → block maps → xattr blocks → directories
//! (names). Only an unreadable or impossible superblock is fatal; every other
//! problem becomes a [`Finding`] and the walk goes on.

pub mod blockmap;
pub mod csum;
pub mod dir;
mod format;
pub mod groups;
pub mod inode;
pub mod journal;
pub mod orphan;
pub mod roles;
pub use format::FORMAT;
pub mod superblock;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::bytes::le32;
use crate::fs::{Detail, Progress};
use crate::image::{ReadError, View};
use crate::model::Code;
use crate::model::{
    BlockRun, DeclaredSharing, FileType, Filesystem, Finding, FsInfo, Hidden, Inode, InodeNo,
    NO_NAME, NameId, Names, Omitted, Release, Role, RunList, RunSpan, Severity, Units,
    coalesce_runs, intersect_runs, name_from_bytes, subtract_runs, union_and_overlaps,
};

use groups::GroupDesc;
use inode::{RawInode, flags};
use superblock::{Superblock, compat, incompat, ro_compat};

/// Why a volume could not be read as ext2/3/4 at all.
#[derive(Debug, thiserror::Error)]
pub enum ExtError {
    #[error("no ext2/3/4 superblock (magic 0xEF53 not found at byte 1080)")]
    NotExt,
    #[error("corrupt superblock at byte {offset:#x}: {what}")]
    Corrupt { what: String, offset: u64 },
    /// `mke2fs -O journal_dev`: a journal and nothing else (e2fsck refuses
    /// it with "unsupported feature(s)" and exit status 8).
    #[error("{0}")]
    JournalDevice(String),
    #[error(transparent)]
    Read(#[from] ReadError),
}

const ROOT_INO: u32 = 2;
const BAD_BLOCKS_INO: u64 = 1;
const RESIZE_INO: u64 = 7;
/// Names kept per inode: hard links beyond this are counted, not listed.
pub const MAX_NAMES_PER_INODE: usize = 64;
/// The xattr block header magic (`h_magic`, fs/ext4/xattr.h).
const XATTR_MAGIC: u32 = 0xEA02_0000;

/// True if the volume starts with an ext superblock.
pub fn probe(view: &View<'_>) -> bool {
    view.read(superblock::SUPERBLOCK_OFFSET + 0x38, 2)
        .is_ok_and(|m| m == [0x53, 0xEF])
}

/// What an external journal device is, when the superblock is one's
/// (INCOMPAT_JOURNAL_DEV): its own UUID, and the filesystems its JBD2
/// superblock (in the block after the ext superblock's) lists as users.
pub fn journal_device(view: &View<'_>, raw_sb: &[u8]) -> Option<String> {
    const JBD2_MAGIC: u32 = 0xC03B_3998;
    const MAX_USERS: usize = 48;
    if le32(raw_sb, 0x60) & incompat::JOURNAL_DEV == 0 || raw_sb.get(0x38..0x3A)? != [0x53, 0xEF] {
        return None;
    }
    let own = raw_sb
        .get(0x68..0x78)
        .and_then(|u| <[u8; 16]>::try_from(u).ok())?;
    let mut what = format!(
        "an ext3/4 external journal device (mke2fs -O journal_dev), UUID {}: no filesystem on it",
        crate::bytes::uuid(&own)
    );
    let log_block_size = le32(raw_sb, 0x18);
    let jsb = (log_block_size <= 6)
        .then(|| 1024u64 << log_block_size)
        .and_then(|bs| {
            let at = u64::from(le32(raw_sb, 0x14))
                .checked_add(1)?
                .checked_mul(bs)?;
            view.read(at, 1024).ok()
        })
        .filter(|j| crate::bytes::be32(j, 0) == JBD2_MAGIC);
    let Some(jsb) = jsb else {
        what.push_str(
            "; its journal superblock cannot be read, so the filesystem it belongs to is unknown",
        );
        return Some(what);
    };
    let count = crate::bytes::be32(jsb, 0x40) as usize;
    let users: Vec<String> = (0..count.min(MAX_USERS))
        .filter_map(|i| jsb.get(0x100 + 16 * i..0x110 + 16 * i))
        .filter_map(|u| <[u8; 16]>::try_from(u).ok())
        .map(|u| crate::bytes::uuid(&u))
        .collect();
    match users.as_slice() {
        [] => what.push_str(
            "; no filesystem is attached to its journal yet (s_nr_users 0); one that uses it names this UUID in s_journal_uuid",
        ),
        [one] => what.push_str(&format!(
            "; its journal belongs to the filesystem with UUID {one}, which is not in this image: check that filesystem with e2fsck -j pointing at this device"
        )),
        many => what.push_str(&format!(
            "; its journal is shared by the filesystems with UUIDs {}",
            many.join(", ")
        )),
    }
    Some(what)
}

/// True if the volume's ext superblock is one [`parse`] accepts (the magic
/// and a geometry that can be walked; not a journal device).
pub fn valid(view: &View<'_>) -> bool {
    probe(view)
        && view
            .read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE)
            .is_ok_and(|raw| Superblock::parse(raw).is_ok() && journal_device(view, raw).is_none())
}

/// The first backup superblock that parses, when the primary does not, tried
/// where e2fsck tries (unix.c `get_backup_sb`): group 1 of the primary's own
/// geometry when its block size and group size are still readable, then the
/// start of group 1 for every block size under mke2fs's default geometry
/// (8 × block size blocks per group, plus one with 1 KiB blocks). The copy
/// must lie where its own geometry puts group `g`'s superblock. The kernel
/// mounts it with `-o sb=N` (N in 1 KiB units).
pub fn backup_superblock(view: &View<'_>) -> Option<(Superblock, u64)> {
    let primary = probe(view)
        .then(|| view.read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE))
        .and_then(Result::ok)
        .and_then(|raw| {
            let log = le32(raw, 0x18);
            let per_group = u64::from(le32(raw, 0x20));
            (log <= 6 && per_group >= 8).then(|| {
                let bs = 1024u64 << log;
                (bs, per_group + u64::from(le32(raw, 0x14)))
            })
        });
    let defaults = (10..=16).map(|log| {
        let bs: u64 = 1 << log;
        (bs, bs * 8 + u64::from(bs == 1024))
    });
    primary.into_iter().chain(defaults).find_map(|(bs, block)| {
        let raw = view
            .read(block.checked_mul(bs)?, superblock::SUPERBLOCK_SIZE)
            .ok()?;
        let mut sb = Superblock::parse(raw).ok()?;
        let group =
            block.checked_sub(u64::from(sb.first_data_block))? / u64::from(sb.blocks_per_group);
        let fits = u64::from(sb.block_size) == bs
            && sb.group_first_block(group) == block
            && group >= 1
            && group < sb.group_count
            && journal_device(view, raw).is_none();
        fits.then(|| {
            sb.backup_group = group;
            (sb, block)
        })
    })
}

/// The superblock a parse goes by: the primary (`raw_sb`), else the first
/// backup that parses, with the finding that says the primary was passed over.
fn superblock_in_use(
    view: &View<'_>,
    raw_sb: &[u8],
) -> Result<(Superblock, Option<Finding>), ExtError> {
    let primary = match Superblock::parse(raw_sb) {
        Ok(sb) => return Ok((sb, None)),
        Err(e) => e,
    };
    let Some((sb, block)) = backup_superblock(view) else {
        return Err(primary);
    };
    let finding = Finding::new(
        Code::PrimarySuperblockUnusable,
        format!(
            "the primary superblock (byte 1024) is unusable ({primary}); scanned through the backup in group {} at block {block}, with its group's copy of the descriptors, as e2fsck does (\"trying backup blocks\", e2fsck -b {block}); the kernel mounts it only with -o sb={}",
            sb.backup_group,
            block * u64::from(sb.block_size) / 1024
        ),
    );
    Ok((sb, Some(finding)))
}

/// Parses the whole filesystem, keeping in the model the inodes `detail` asks for.
pub fn parse(
    view: &View<'_>,
    detail: Detail,
    progress: &dyn Progress,
) -> Result<Filesystem, ExtError> {
    let raw_sb = view.read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE)?;
    if let Some(what) = journal_device(view, raw_sb) {
        return Err(ExtError::JournalDevice(what));
    }
    let (sb, fell_back) = superblock_in_use(view, raw_sb)?;
    let mut findings: Vec<Finding> = fell_back.into_iter().collect();
    superblock_findings(view, &sb, &mut findings);

    let descs = groups::read_descriptors(view, &sb, &mut findings);
    let metadata = groups::metadata_regions(&sb, &descs, &mut findings);
    let allocation = groups::read_block_bitmaps(view, &sb, &descs, &metadata, &mut findings);
    let inode_bitmaps = groups::read_inode_bitmaps(view, &sb, &descs, &mut findings);
    let orphans = orphan::read(view, &sb, &descs, &inode_bitmaps, &mut findings);

    // With bigalloc, sharing is also judged per cluster from every inode's
    // runs: such filesystems are always modelled whole.
    let detail = if sb.cluster_ratio > 1 {
        Detail::Everything
    } else {
        detail
    };
    let asked = match detail {
        Detail::Claiming(block) => vec![(block, 1)],
        _ => Vec::new(),
    };
    let keep = KeepRule {
        detail,
        first_data_block: u64::from(sb.first_data_block),
        fs_end: sb.blocks_count,
        image_blocks: view.len() / u64::from(sb.block_size),
        first_ino: u64::from(sb.first_ino),
        suspects: &asked,
        orphans: &orphans.release,
    };

    // Pieces of inode table are independent: scan them in parallel, then join
    // the results in inode order, so the output does not depend on scheduling.
    let pieces = table_pieces(&sb, &descs);
    let piece_total = pieces.len() as u64;
    let pieces_done = AtomicU64::new(0);
    let scan = |piece: &Piece, keep: &KeepRule<'_>| {
        let mut found = InodeScan::default();
        let desc = descs.get(piece.desc);
        let bitmap = inode_bitmaps.get(piece.desc).copied().flatten();
        if let Some(desc) = desc {
            scan_piece(view, &sb, desc, bitmap, piece, keep, &mut found);
        }
        found
    };
    let mut per_piece: Vec<InodeScan> = pieces
        .par_iter()
        .map(|piece| {
            let found = scan(piece, &keep);
            // This part of the inode table is parsed: its pages need not stay
            // resident (a tail that was all holes was never touched).
            if let (Some(desc), Some(read)) = (descs.get(piece.desc), &found.slots_read) {
                let isz = u64::from(sb.inode_size);
                let table_at = desc.inode_table.saturating_mul(u64::from(sb.block_size));
                view.release(
                    table_at.saturating_add(read.start.saturating_mul(isz)),
                    (read.end - read.start).saturating_mul(isz),
                );
            }
            let done = pieces_done.fetch_add(1, Ordering::Relaxed) + 1;
            progress.step("inode tables", done, piece_total);
            found
        })
        .collect();

    let omitted = if detail == Detail::FindingsOnly {
        // Blocks where an omitted inode's claim meets another claim, metadata
        // or a free block: findings will name the inodes there, so the pieces
        // that hold them are read again, keeping every inode that touches one.
        let (union, suspects) = suspect_blocks(&per_piece, &metadata, &allocation);
        if !suspects.is_empty() {
            progress.step("shared blocks", 0, 1);
            let again = KeepRule {
                suspects: &suspects,
                ..keep
            };
            per_piece
                .par_iter_mut()
                .zip(pieces.par_iter())
                .filter(|(found, _)| found.folded_touches(&suspects))
                .for_each(|(found, piece)| {
                    let rescanned = scan(piece, &again);
                    found.inodes = rescanned.inodes;
                    found.runs = rescanned.runs;
                    found.inline_dirs = rescanned.inline_dirs;
                });
            progress.step("shared blocks", 1, 1);
        }
        Some(union)
    } else {
        None
    };

    let mut inodes = Vec::with_capacity(per_piece.iter().map(|g| g.inodes.len()).sum());
    let mut runs = Vec::with_capacity(per_piece.iter().map(|g| g.runs.len()).sum());
    let mut xattr_referrers: HashMap<u64, Vec<InodeNo>> = HashMap::new();
    let mut inline_dirs: InlineDirs = HashMap::new();
    let mut elsewhere = OmittedInodes::default();
    let mut in_use = 0u64;
    for piece in per_piece {
        // This piece's runs land after the previous pieces' in the arena.
        let offset = runs.len();
        runs.extend(piece.runs);
        inodes.extend(piece.inodes.into_iter().map(|mut n| {
            n.runs = n.runs.shifted(offset);
            n
        }));
        for (block, referrers) in piece.xattr_referrers {
            xattr_referrers.entry(block).or_default().extend(referrers);
        }
        inline_dirs.extend(piece.inline_dirs);
        findings.extend(piece.findings);
        elsewhere.ranges.extend(piece.omitted_inodes);
        in_use += piece.in_use;
    }

    let declared_sharing = xattr_sharing(view, &sb, &xattr_referrers, &mut findings);
    progress.step("directories", 0, 1);
    let names = name_inodes(
        view,
        &sb,
        &descs,
        &mut inodes,
        &elsewhere,
        &runs,
        &inline_dirs,
        &mut findings,
    );
    progress.step("directories", 1, 1);

    let (features, unknown) = sb.feature_names();
    if !unknown.is_empty() {
        findings.push(Finding::new(
            Code::UnknownFeature,
            format!(
                "the superblock sets feature bits this tool does not know: {}",
                unknown.join(", ")
            ),
        ));
    }
    let shared_blocks = sb.has_ro_compat(ro_compat::SHARED_BLOCKS);
    if shared_blocks {
        findings.push(Finding::new(Code::SharedBlocksFeature,
            "the shared_blocks feature is set: e2fsck skips duplicate-block detection entirely on this filesystem, so `e2fsck -fn` passing says nothing about cross-links; every cross-link below was found anyway".to_string(),
        ));
    }
    let label_end = sb.volume_name.iter().position(|&b| b == 0).unwrap_or(16);
    let info = FsInfo {
        fs_type: sb.fs_type().to_string(),
        block_size: sb.block_size,
        block_count: sb.blocks_count,
        inode_count: u64::from(sb.inodes_count),
        label: name_from_bytes(sb.volume_name.get(..label_end).unwrap_or(&[])).into_owned(),
        uuid: crate::bytes::uuid(&sb.uuid),
        features: features.into_iter().chain(unknown).collect(),
        groups: sb.group_count,
        inodes_in_use: in_use,
    };
    Ok(Filesystem {
        info,
        omitted: omitted.map(|claims| Omitted {
            inodes: in_use.saturating_sub(inodes.len() as u64),
            claims,
        }),
        inodes,
        metadata,
        runs,
        names,
        allocated: Some(allocation.allocated),
        allocation_unknown: allocation.unknown,
        first_data_block: u64::from(sb.first_data_block),
        cluster_blocks: u64::from(sb.cluster_ratio),
        declared_sharing,
        inode_labels: [(1, "bad blocks inode"), (RESIZE_INO as u32, "resize inode")]
            .into_iter()
            .chain(sb.special_inodes.iter().copied())
            .map(|(ino, what)| (u64::from(ino), what))
            .collect(),
        own_metadata_inodes: if sb.has_compat(compat::RESIZE_INODE) {
            vec![(RESIZE_INO, roles::RESERVED_GDT)]
        } else {
            Vec::new()
        },
        shared_blocks_declared: shared_blocks,
        units: Units::linear("block bitmap"),
        immutable: false,
        slots: Vec::new(),
        findings,
    })
}

/// Inode-table slots scanned as one unit of parallel work: a piece of one
/// group's table, so that a filesystem whose inodes all sit in one or two
/// groups still spreads over every core.
struct Piece {
    /// Index into the group descriptors.
    desc: usize,
    slots: Range<u64>,
}

/// Slots per [`Piece`]: 1024 slots are 256 KiB of table at 256-byte inodes.
const PIECE_SLOTS: u64 = 1024;

/// The pieces of every group's inode table: the slots the group says are
/// initialised in pieces of [`PIECE_SLOTS`], and the rest (which holds an
/// inode only if one is hidden there, and is skipped hole by hole) as one.
fn table_pieces(sb: &Superblock, descs: &[GroupDesc]) -> Vec<Piece> {
    let ipg = u64::from(sb.inodes_per_group);
    let mut pieces = Vec::new();
    for (i, desc) in descs.iter().enumerate() {
        let used = used_slots(sb, desc);
        let mut from = 0;
        while from < used {
            let to = from.saturating_add(PIECE_SLOTS).min(used);
            pieces.push(Piece {
                desc: i,
                slots: from..to,
            });
            from = to;
        }
        if used < ipg {
            pieces.push(Piece {
                desc: i,
                slots: used..ipg,
            });
        }
    }
    pieces
}

/// The slots of a group's inode table that e2fsprogs and the kernel read:
/// none in an INODE_UNINIT group, none in the `bg_itable_unused` tail (when
/// group checksums vouch for the descriptor), all of them otherwise.
fn used_slots(sb: &Superblock, desc: &GroupDesc) -> u64 {
    let ipg = u64::from(sb.inodes_per_group);
    if desc.inode_uninit(sb) && desc.checksum_ok {
        0
    } else if groups::has_group_csums(sb) && desc.checksum_ok {
        ipg.saturating_sub(u64::from(desc.itable_unused))
    } else {
        ipg
    }
}

/// Which in-use inodes go into the model.
///
/// `Everything` keeps all of them. `FindingsOnly` (e2fsck's pass 1, in
/// spirit) keeps the ones a finding may need: directories (for names),
/// reserved inodes (the journal, the resize inode over its reserved GDT
/// blocks), inodes with a claim outside the filesystem or the image, and,
/// on a second reading, every inode with a claim on a suspect block. The
/// claims of the others are folded into one union. `Claiming(block)` keeps
/// the same, with the one block as the suspect, and folds nothing.
#[derive(Clone, Copy)]
struct KeepRule<'s> {
    detail: Detail,
    first_data_block: u64,
    fs_end: u64,
    image_blocks: u64,
    first_ino: u64,
    /// Sorted, disjoint `(start, len)` runs of suspect blocks.
    suspects: &'s [(u64, u64)],
    /// Inodes on the orphan list: in use until mount releases them, whatever
    /// their link count, and always in a findings-only model (the
    /// orphan_cleanup_pending finding names them).
    orphans: &'s BTreeMap<InodeNo, Release>,
}

impl KeepRule<'_> {
    /// The part of a run the analysis counts as a claim: clipped to the filesystem.
    fn clipped(&self, run: &BlockRun) -> (u64, u64) {
        (
            run.start.max(self.first_data_block),
            run.end().min(self.fs_end),
        )
    }

    fn keeps(&self, inode: &Inode, runs: &[BlockRun]) -> bool {
        if self.detail == Detail::Everything
            || inode.file_type == FileType::Directory
            || inode.ino < self.first_ino
            || (inode.released_at_mount.is_some() && self.detail == Detail::FindingsOnly)
        {
            return true;
        }
        runs.iter().any(|run| {
            let (start, end) = self.clipped(run);
            let outside = run.start < self.first_data_block
                || run.end() > self.fs_end
                || run.end() == u64::MAX
                || (start < end && end > self.image_blocks);
            outside || (start < end && touches(self.suspects, start, end))
        })
    }
}

impl KeepRule<'_> {
    /// Deleted inodes are kept whole for the inspector and listings; a
    /// findings-only parse keeps the ones whose old blocks lie on a suspect
    /// block (where they may now belong to a live file or to metadata); a
    /// lookup of who claims a block keeps none (a deleted inode claims nothing).
    fn keeps_deleted(&self, runs: &[BlockRun]) -> bool {
        match self.detail {
            Detail::Everything => true,
            Detail::FindingsOnly => runs.iter().any(|run| {
                let (start, end) = self.clipped(run);
                start < end && touches(self.suspects, start, end)
            }),
            Detail::Claiming(_) => false,
        }
    }
}

/// Whether `[start, end)` meets any of the sorted, disjoint `(start, len)` runs.
fn touches(runs: &[(u64, u64)], start: u64, end: u64) -> bool {
    let k = runs.partition_point(|&(s, l)| s.saturating_add(l) <= start);
    runs.get(k).is_some_and(|&(s, _)| s < end)
}

/// The union of every omitted claim, and the suspect blocks: where omitted
/// claims meet each other (inside a piece or between pieces), metadata, the
/// claims of kept inodes, or blocks the bitmap does not mark in use; and
/// where a left-out deleted inode's old blocks meet any live claim.
fn suspect_blocks(
    pieces: &[InodeScan],
    metadata: &[crate::model::MetadataRegion],
    allocation: &groups::Allocation,
) -> (RunList, RunList) {
    let as_ends = |runs: &[(u64, u64)]| -> Vec<(u64, u64)> {
        runs.iter()
            .map(|&(s, l)| (s, s.saturating_add(l)))
            .collect()
    };
    let (union, between) =
        union_and_overlaps(pieces.iter().flat_map(|p| as_ends(&p.folded)).collect());
    let mut suspects: Vec<(u64, u64)> = between;
    suspects.extend(pieces.iter().flat_map(|p| p.twice.iter().copied()));
    let (meta, _) = union_and_overlaps(metadata.iter().map(|m| (m.start, m.end())).collect());
    suspects.extend(intersect_runs(&union, &meta));
    let (kept, _) = union_and_overlaps(
        pieces
            .iter()
            .flat_map(|p| p.runs.iter().map(|r| (r.start, r.end())))
            .collect(),
    );
    suspects.extend(intersect_runs(&union, &kept));
    // Deleted inodes' old blocks that a live claim or metadata now holds: the
    // findings attribute them (reused_blocks), naming both sides.
    let (deleted, _) = union_and_overlaps(
        pieces
            .iter()
            .flat_map(|p| as_ends(&p.deleted_folded))
            .collect(),
    );
    let (live, _) = union_and_overlaps(
        union
            .iter()
            .chain(&meta)
            .chain(&kept)
            .map(|&(s, l)| (s, s.saturating_add(l)))
            .collect(),
    );
    suspects.extend(intersect_runs(&deleted, &live));
    let mut known: Vec<(u64, u64)> = allocation.allocated.clone();
    known.extend(allocation.unknown.iter().copied());
    known.sort_unstable();
    suspects.extend(subtract_runs(&union, &coalesce_runs(known)));
    suspects.sort_unstable();
    (union, coalesce_runs(suspects))
}

fn superblock_findings(view: &View<'_>, sb: &Superblock, findings: &mut Vec<Finding>) {
    if sb.metadata_csum() && sb.checksum != sb.computed_checksum {
        findings.push(
            Finding::new(
                Code::ChecksumMismatch,
                format!(
                    "superblock checksum is {:#010x}, computed {:#010x}",
                    sb.checksum, sb.computed_checksum
                ),
            )
            .with_blocks([[groups::primary_sb_block(sb), 1]]),
        );
    }
    let needed = sb.blocks_count.saturating_mul(u64::from(sb.block_size));
    if needed > view.len() {
        findings.push(Finding::new(Code::TruncatedImage,
            format!(
                "the filesystem claims {} blocks ({needed} bytes) but the volume holds {} bytes: it is scanned as far as it goes",
                sb.blocks_count,
                view.len()
            ),
        ));
    }
    let expected_inodes = sb
        .group_count
        .saturating_mul(u64::from(sb.inodes_per_group));
    if expected_inodes != u64::from(sb.inodes_count) {
        findings.push(
            Finding::new(
                Code::BadSuperblock,
                format!(
                    "s_inodes_count is {} but {} groups of {} inodes make {expected_inodes}",
                    sb.inodes_count, sb.group_count, sb.inodes_per_group
                ),
            )
            .with_severity(Severity::Medium),
        );
    }
    if sb.cluster_ratio > 1 {
        findings.push(Finding::new(Code::Bigalloc,
            format!(
                "bigalloc: blocks are allocated in clusters of {} blocks; sharing is checked per block and per cluster (a cluster has one owner); leaked blocks are not counted",
                sb.cluster_ratio
            ),
        ));
    }
    if sb.has_incompat(incompat::RECOVER) {
        findings.push(Finding::new(Code::NeedsRecovery,
            "the journal needs recovery: the kernel will replay it at mount and may change what is shown here".to_string(),
        ));
    }
}

/// Directory entries of inline-data directories, by inode: the bytes of
/// `i_block` after the 4-byte parent inode number, and the `system.data` value.
type InlineDirs = HashMap<InodeNo, (Vec<u8>, Vec<u8>)>;

/// What the scan of one piece of inode table finds.
#[derive(Default)]
struct InodeScan {
    /// The in-use inodes the [`KeepRule`] keeps.
    inodes: Vec<Inode>,
    /// The runs of the kept inodes; spans are relative to it.
    runs: Vec<BlockRun>,
    /// xattr block → the inodes whose `i_file_acl` points at it.
    xattr_referrers: HashMap<u64, Vec<InodeNo>>,
    inline_dirs: InlineDirs,
    findings: Vec<Finding>,
    /// Every in-use inode, kept or not.
    in_use: u64,
    /// The slots whose bytes were read, first to last.
    slots_read: Option<Range<u64>>,
    /// The inodes left out, as `(first, count)` ranges of inode numbers.
    omitted_inodes: Vec<(InodeNo, u64)>,
    /// The union of the left-out inodes' claims, and the blocks among them
    /// claimed twice: sorted, disjoint `(start, len)` runs.
    folded: Vec<(u64, u64)>,
    twice: Vec<(u64, u64)>,
    /// The union of the left-out deleted inodes' old blocks.
    deleted_folded: Vec<(u64, u64)>,
}

impl InodeScan {
    /// Whether any left-out claim of this piece may lie on a suspect block.
    fn folded_touches(&self, suspects: &[(u64, u64)]) -> bool {
        [&self.folded, &self.deleted_folded].iter().any(|folded| {
            match (folded.first(), folded.last()) {
                (Some(&(first, _)), Some(&(s, l))) => touches(suspects, first, s.saturating_add(l)),
                _ => false,
            }
        })
    }
}

/// In-use inodes a findings-only parse left out of the model, for the
/// directory walk: sorted `(first, count)` ranges of inode numbers.
#[derive(Default)]
struct OmittedInodes {
    ranges: Vec<(InodeNo, u64)>,
}

impl OmittedInodes {
    fn contains(&self, ino: InodeNo) -> bool {
        let k = self
            .ranges
            .partition_point(|&(s, n)| s.saturating_add(n) <= ino);
        self.ranges.get(k).is_some_and(|&(s, _)| s <= ino)
    }

    fn iter(&self) -> impl Iterator<Item = InodeNo> + '_ {
        self.ranges
            .iter()
            .flat_map(|&(s, n)| s..s.saturating_add(n))
    }
}

/// Scans the inode-table slots of one piece of one group.
///
/// e2fsprogs and the kernel skip INODE_UNINIT groups and the `bg_itable_unused`
/// tail; an attacker can hide an inode there and reach it with a directory
/// entry. Those slots are read too (all-zero slots cost a compare), and any
/// live inode found there is reported as hidden.
fn scan_piece(
    view: &View<'_>,
    sb: &Superblock,
    desc: &GroupDesc,
    bitmap: Option<&[u8]>,
    piece: &Piece,
    keep: &KeepRule<'_>,
    found: &mut InodeScan,
) {
    let mut claims: Vec<(u64, u64)> = Vec::new();
    let mut deleted_claims: Vec<(u64, u64)> = Vec::new();
    scan_slots(
        view,
        sb,
        desc,
        bitmap,
        piece,
        keep,
        found,
        &mut claims,
        &mut deleted_claims,
    );
    (found.folded, found.twice) = union_and_overlaps(claims);
    (found.deleted_folded, _) = union_and_overlaps(deleted_claims);
}

#[allow(clippy::too_many_arguments)]
fn scan_slots(
    view: &View<'_>,
    sb: &Superblock,
    desc: &GroupDesc,
    bitmap: Option<&[u8]>,
    piece: &Piece,
    keep: &KeepRule<'_>,
    found: &mut InodeScan,
    claims: &mut Vec<(u64, u64)>,
    deleted_claims: &mut Vec<(u64, u64)>,
) {
    let InodeScan {
        inodes,
        runs: run_arena,
        xattr_referrers,
        inline_dirs,
        findings,
        in_use: in_use_count,
        omitted_inodes,
        slots_read,
        ..
    } = found;
    let bs = u64::from(sb.block_size);
    let isz = u64::from(sb.inode_size);
    let ipg = u64::from(sb.inodes_per_group);
    let table_blocks = groups::inode_table_blocks(sb);
    if !groups::metadata_in_fs(sb, desc.inode_table, table_blocks) {
        return; // reported by metadata_regions
    }
    let table_at = desc.inode_table.saturating_mul(bs);
    let used_slots = used_slots(sb, desc);
    let first_ino = u64::from(desc.group) * ipg + 1;
    // Most initialised slots hold a live inode with about one run: reserve
    // for that once instead of growing by doubling.
    let expected = usize::try_from(
        used_slots
            .min(piece.slots.end)
            .saturating_sub(piece.slots.start),
    )
    .unwrap_or(0);
    if keep.detail == Detail::Everything {
        inodes.reserve(expected);
        run_arena.reserve(expected);
    } else {
        claims.reserve(expected);
    }
    let mut next_slot = piece.slots.start;
    while next_slot < piece.slots.end.min(ipg) {
        let slot = next_slot;
        let at = table_at + slot * isz;
        if slot >= used_slots {
            // In the region e2fsprogs skips, jump over holes in the image file
            // without touching their pages: a hole reads as zeros, and a zeroed
            // slot holds no inode.
            match view.next_data(at) {
                None => return,
                Some(next) if next >= at.saturating_add(isz) => {
                    next_slot = ((next - table_at) / isz).max(slot + 1);
                    continue;
                }
                Some(_) => {}
            }
        }
        next_slot += 1;
        *slots_read = Some(slots_read.as_ref().map_or(slot, |r| r.start)..slot + 1);
        let ino = first_ino + slot;
        let raw = match view.read(at, isz as usize) {
            Ok(raw) => raw,
            Err(e) => {
                // Said once per group: by the piece that holds the cut.
                let cut_here = slot == 0
                    || slot > piece.slots.start
                    || view.read(at.saturating_sub(isz), isz as usize).is_ok();
                if cut_here {
                    findings.push(Finding::new(
                        Code::TruncatedImage,
                        format!(
                            "group {}: the inode table is cut short at inode {ino} ({e})",
                            desc.group
                        ),
                    ));
                }
                return;
            }
        };
        let hidden_slot = slot >= used_slots;
        if hidden_slot && raw.iter().all(|&b| b == 0) {
            continue;
        }
        let ri = RawInode::parse(sb, ino, raw);
        let in_bitmap = bitmap.is_some_and(|b| {
            b.get((slot / 8) as usize)
                .is_some_and(|byte| byte & (1 << (slot % 8)) != 0)
        });
        let released_at_mount = keep.orphans.get(&ino).copied();
        if !in_use(sb, &ri) && released_at_mount.is_none() {
            if !hidden_slot && bitmap.is_some() && !in_bitmap && deleted(sb, &ri) {
                let inode = deleted_inode(view, sb, &ri, run_arena);
                let own_runs = run_arena.get(inode.runs.start as usize..).unwrap_or(&[]);
                if keep.keeps_deleted(own_runs) {
                    inodes.push(inode);
                } else {
                    if keep.detail == Detail::FindingsOnly {
                        deleted_claims.extend(own_runs.iter().map(|run| keep.clipped(run)));
                    }
                    run_arena.truncate(inode.runs.start as usize);
                }
            }
            continue;
        }
        let hidden = if hidden_slot {
            let hidden = if desc.inode_uninit(sb) {
                Hidden::UninitGroup
            } else {
                Hidden::UnusedTail
            };
            let why = hidden.reason();
            findings.push(
                Finding::new(Code::HiddenInode,
                    format!(
                        "inode {ino} is live ({} links) but {why}: e2fsck and the kernel's inode scan skip it, yet a directory entry can still reach it",
                        ri.links
                    ),
                )
                .with_inodes([ino]),
            );
            Some(hidden)
        } else {
            None
        };
        if ino >= u64::from(sb.first_ino) && !in_bitmap && !hidden_slot {
            findings.push(
                Finding::new(Code::InodeBitmapMismatch,
                    format!(
                        "inode {ino} is live ({} links) but free in the inode bitmap: the next inode allocation can reuse it",
                        ri.links
                    ),
                )
                .with_inodes([ino]),
            );
        }
        if let Some((stored, computed)) = ri.checksum_mismatch(sb) {
            findings.push(
                Finding::new(
                    Code::ChecksumMismatch,
                    format!("inode {ino} checksum is {stored:#x}, computed {computed:#x}"),
                )
                .with_inodes([ino]),
            );
        }
        let runs = map_inode(view, sb, &ri, xattr_referrers, findings, run_arena);
        let file_type = FileType::from_mode(u32::from(ri.mode));
        if file_type == FileType::Directory && ri.has_flag(flags::INLINE_DATA) {
            inline_dirs.insert(
                ino,
                (
                    ri.i_block.get(4..).unwrap_or(&[]).to_vec(),
                    ri.inline_data_xattr().unwrap_or(&[]).to_vec(),
                ),
            );
        }
        *in_use_count += 1;
        let inode = Inode {
            hidden,
            released_at_mount,
            ..model_inode(&ri, runs)
        };
        let own_runs = run_arena.get(runs.start as usize..).unwrap_or(&[]);
        if keep.keeps(&inode, own_runs) {
            inodes.push(inode);
            continue;
        }
        // Left out: its claims join the piece's union, its runs leave the arena.
        // A claim that starts where the previous one ends extends it, so a
        // fragmented file laid out in order costs one claim, not one per extent.
        let folds = keep.detail == Detail::FindingsOnly;
        for run in own_runs.iter().filter(|_| folds) {
            let (start, end) = keep.clipped(run);
            match claims.last_mut() {
                Some(last) if last.1 == start && start < end => last.1 = end,
                _ => claims.push((start, end)),
            }
        }
        run_arena.truncate(runs.start as usize);
        match omitted_inodes.last_mut() {
            Some((first, count)) if first.saturating_add(*count) == ino => *count += 1,
            _ => omitted_inodes.push((ino, 1)),
        }
    }
}

/// The bytes an inode keeps in itself: the inline data of an inline-data
/// file (the 60 bytes of `i_block`, then the `system.data` xattr value;
/// Documentation/filesystems/ext4/inlinedata.rst) or a fast symlink's
/// target, cut at `i_size`. None when the inode cannot be read.
pub fn inode_bytes(view: &View<'_>, ino: InodeNo) -> Option<Vec<u8>> {
    let raw_sb = view
        .read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE)
        .ok()?;
    let (sb, _) = superblock_in_use(view, raw_sb).ok()?;
    let descs = groups::read_descriptors(view, &sb, &mut Vec::new());
    let ri = read_raw_inode(view, &sb, &descs, ino)?;
    let mut bytes = ri.i_block.to_vec();
    if ri.has_flag(flags::INLINE_DATA) {
        bytes.extend_from_slice(ri.inline_data_xattr().unwrap_or(&[]));
    }
    bytes.truncate(usize::try_from(ri.size).unwrap_or(usize::MAX));
    Some(bytes)
}

/// Whether a free inode is a deleted file: a non-reserved slot with a mode,
/// no links and `i_dtime` set (struct ext4_inode: the kernel and debugfs
/// `kill_file` set it when the inode is freed; a slot never used has none).
/// Orphans being deleted also have links 0 and dtime (the next orphan) but
/// are still marked in the inode bitmap, which the caller checks.
fn deleted(sb: &Superblock, ri: &RawInode<'_>) -> bool {
    ri.ino >= u64::from(sb.first_ino) && ri.links == 0 && ri.mode != 0 && ri.dtime != 0
}

/// A deleted inode for the model: its old block map, read as it was left
/// (ext2 and debugfs keep the pointers, the ext3/ext4 kernel usually clears
/// them). What the stale map says is history, so its structural problems are
/// not findings, and its xattr block (still shared by others, or long gone) is
/// not part of what it held.
fn deleted_inode(
    view: &View<'_>,
    sb: &Superblock,
    ri: &RawInode<'_>,
    arena: &mut Vec<BlockRun>,
) -> Inode {
    let first = arena.len();
    let file_type = FileType::from_mode(u32::from(ri.mode));
    let has_block_map = !ri.has_flag(flags::INLINE_DATA)
        && match file_type {
            FileType::Regular | FileType::Directory => true,
            FileType::Symlink => !fast_symlink(sb, ri, &mut Vec::new()),
            _ => false,
        };
    if has_block_map {
        let mut mapping = blockmap::Mapping::new(arena);
        if ri.has_flag(flags::EXTENTS) {
            blockmap::map_extents(view, sb, ri, data_role(sb, ri), &mut mapping);
        } else {
            blockmap::map_indirect(view, sb, ri, data_role(sb, ri), &mut mapping);
        }
    }
    Inode {
        deleted: true,
        ..model_inode(ri, RunSpan::between(first, arena.len()))
    }
}

/// The model's inode for a raw one, its runs already in the arena (not yet
/// named, not hidden, not deleted).
fn model_inode(ri: &RawInode<'_>, runs: RunSpan) -> Inode {
    Inode {
        ino: ri.ino,
        file_type: FileType::from_mode(u32::from(ri.mode)),
        mode: u32::from(ri.mode),
        uid: ri.uid,
        gid: ri.gid,
        size: ri.size,
        links: u32::from(ri.links),
        atime: i64::from(ri.atime),
        mtime: i64::from(ri.mtime),
        ctime: i64::from(ri.ctime),
        crtime: ri.crtime.map(i64::from),
        sectors: ri.sectors,
        flags: ri.flags,
        first_name: NO_NAME,
        runs,
        hidden: None,
        released_at_mount: None,
        deleted: false,
    }
}

/// Whether e2fsck pass 1 would treat the inode as in use: reserved inodes
/// (below s_first_ino) whenever they hold anything, others when their link
/// count is non-zero.
fn in_use(sb: &Superblock, ri: &RawInode<'_>) -> bool {
    if ri.ino < u64::from(sb.first_ino) {
        ri.mode != 0 || ri.links != 0 || ri.i_block.iter().any(|&b| b != 0) || ri.file_acl != 0
    } else {
        ri.links > 0
    }
}

/// The role of an inode's file blocks.
pub(crate) fn data_role(sb: &Superblock, ri: &RawInode<'_>) -> Role {
    if ri.ino == BAD_BLOCKS_INO {
        return Role::BadBlock;
    }
    if sb.has_compat(compat::HAS_JOURNAL) && ri.ino == u64::from(sb.journal_inum) {
        return Role::Journal;
    }
    match FileType::from_mode(u32::from(ri.mode)) {
        FileType::Directory => Role::Directory,
        FileType::Symlink => Role::Symlink,
        _ => Role::Data,
    }
}

/// Maps every block an inode claims: its file blocks (with tree or indirect
/// blocks) and its xattr block.
fn map_inode(
    view: &View<'_>,
    sb: &Superblock,
    ri: &RawInode<'_>,
    xattr_referrers: &mut HashMap<u64, Vec<InodeNo>>,
    findings: &mut Vec<Finding>,
    arena: &mut Vec<BlockRun>,
) -> RunSpan {
    let ino = ri.ino;
    let file_type = FileType::from_mode(u32::from(ri.mode));
    let first = arena.len();
    let has_block_map = match file_type {
        _ if ri.has_flag(flags::INLINE_DATA) => false,
        FileType::CharDevice | FileType::BlockDevice | FileType::Fifo | FileType::Socket => false,
        FileType::Symlink => !fast_symlink(sb, ri, findings),
        _ => true,
    };
    let resize_invalid = (ino == RESIZE_INO)
        .then(|| resize_inode_problem(view, sb, ri))
        .flatten();
    if let Some(problem) = resize_invalid {
        // e2fsck pass1.c `process_block` marks only the resize inode's double
        // indirect block, whatever it points at, and pass 1B skips the inode;
        // the kernel reads it only for an online resize, which checks it
        // (resize.c `verify_reserved_gdb`). A garbage resize inode is one
        // finding, not a cross-link per pointer.
        findings.push(
            Finding::new(Code::ResizeInodeInvalid,
                format!(
                    "the resize inode (7) {problem}: e2fsck offers to recreate it and the kernel's online resize refuses it; only its double indirect block is counted as a claim"
                ),
            )
            .with_inodes([ino]),
        );
        let dind = u64::from(le32(ri.i_block, 13 * 4));
        if dind != 0 {
            arena.push(BlockRun {
                logical: None,
                start: dind,
                len: 1,
                role: Role::Indirect,
                unwritten: false,
            });
        }
    } else if has_block_map {
        let role = data_role(sb, ri);
        let mut mapping = blockmap::Mapping::new(arena);
        // Even the bad-blocks inode is walked as an extent tree when it says
        // it has one: libext2fs's block iterator (which e2fsck's pass 1 uses
        // for it) follows EXT4_EXTENTS_FL for every inode.
        if ri.has_flag(flags::EXTENTS) {
            blockmap::map_extents(view, sb, ri, role, &mut mapping);
        } else {
            blockmap::map_indirect(view, sb, ri, role, &mut mapping);
        }
        findings.extend(mapping.findings);
    }
    // The kernel uses an xattr block only through ext4_xattr_check_block
    // (h_magic EXT4_XATTR_MAGIC, h_blocks 1): one without that header is
    // never read, shared or freed through this inode (ext4_xattr_delete_inode
    // gives up on it), so it claims nothing. xattr_sharing reports it.
    if ri.file_acl != 0 && xattr_header_valid(view, sb, ri.file_acl) {
        arena.push(BlockRun {
            logical: None,
            start: ri.file_acl,
            len: 1,
            role: Role::Xattr,
            unwritten: false,
        });
    }
    if ri.file_acl != 0 {
        xattr_referrers.entry(ri.file_acl).or_default().push(ino);
    }
    RunSpan::between(first, arena.len())
}

/// What is wrong with the resize inode, checked as e2fsck super.c
/// `check_resize_inode` does: with the resize_inode feature, only i_block[13]
/// (EXT2_DIND_BLOCK) is set, the inode is a linked regular file, and the
/// double indirect block lists each primary reserved GDT block, whose
/// indirect block lists that block's copy in every backup group; without the
/// feature, i_block is all zeros. None when it is sound.
fn resize_inode_problem(view: &View<'_>, sb: &Superblock, ri: &RawInode<'_>) -> Option<String> {
    const DIND_SLOT: usize = 13;
    let pointer = |slot: usize| le32(ri.i_block, slot * 4);
    let set_slots: Vec<usize> = (0..15).filter(|&i| pointer(i) != 0).collect();
    if !sb.has_compat(compat::RESIZE_INODE) {
        return (!set_slots.is_empty())
            .then(|| "has block pointers although the resize_inode feature is off".to_string());
    }
    if sb.has_incompat(incompat::META_BG) {
        return Some("is in use on a meta_bg filesystem, which has no reserved GDT blocks".into());
    }
    let dind = u64::from(pointer(DIND_SLOT));
    if set_slots.iter().any(|&i| i != DIND_SLOT) {
        return Some(format!(
            "sets i_block slots {set_slots:?}; only slot 13 (the double indirect block) may be set"
        ));
    }
    if dind == 0 || ri.links == 0 || u32::from(ri.mode) & 0o170000 != 0o100000 {
        return Some(format!(
            "is not a linked regular file with a double indirect block (mode {:#o}, {} links, block {dind})",
            ri.mode, ri.links
        ));
    }
    if dind < u64::from(sb.first_data_block) || dind >= sb.blocks_count {
        return Some(format!(
            "has its double indirect block {dind} outside the filesystem"
        ));
    }
    let bs = u64::from(sb.block_size);
    let per_block = bs / 4;
    let read_block = |block: u64| {
        view.read(block.saturating_mul(bs), sb.block_size as usize)
            .ok()
    };
    let Some(dind_bytes) = read_block(dind) else {
        return Some(format!(
            "has a double indirect block {dind} that cannot be read"
        ));
    };
    // Backup groups, in order; an indirect block has room for per_block of
    // them. Only the candidates are tried (a forged group count may be huge):
    // with sparse_super, 1 and the powers of 3, 5 and 7.
    let candidates: Vec<u64> = if sb.has_ro_compat(ro_compat::SPARSE_SUPER) {
        let mut c = vec![1u64];
        for base in [3u64, 5, 7] {
            let mut g = base;
            while g < sb.group_count {
                c.push(g);
                match g.checked_mul(base) {
                    Some(next) => g = next,
                    None => break,
                }
            }
        }
        c.extend(sb.backup_bgs.iter().map(|&b| u64::from(b)));
        c.sort_unstable();
        c.dedup();
        c
    } else {
        (1..sb.group_count.min(per_block.saturating_add(2))).collect()
    };
    let mut backups = Vec::new();
    for group in candidates
        .into_iter()
        .filter(|&g| g >= 1 && g < sb.group_count)
    {
        if sb.group_has_super(group) {
            if backups.len() as u64 >= per_block {
                return Some("has more backup groups than an indirect block can list".into());
            }
            backups.push(group);
        }
    }
    let mut gdt_off = sb.desc_blocks();
    let mut primary = u64::from(sb.first_data_block) + 1 + sb.desc_blocks();
    if sb.block_size == 1024 && sb.first_data_block == 0 {
        primary += 1; // 1 KiB bigalloc: the superblock is in block 1
    }
    // e2fsck checks the first quarter of the reserved blocks.
    for _ in 0..sb.reserved_gdt_blocks / 4 {
        gdt_off %= per_block;
        let listed = u64::from(le32(dind_bytes, (gdt_off * 4) as usize));
        if listed != primary {
            return Some(format!(
                "lists block {listed} where reserved GDT block {primary} belongs (double indirect slot {gdt_off})"
            ));
        }
        let Some(ind) = read_block(primary) else {
            return Some(format!(
                "points at reserved GDT block {primary}, which cannot be read"
            ));
        };
        for (k, &group) in backups.iter().enumerate() {
            let expect =
                primary.saturating_add(group.saturating_mul(u64::from(sb.blocks_per_group)));
            let listed = u64::from(le32(ind, k * 4));
            if listed != expect {
                return Some(format!(
                    "lists block {listed} where group {group}'s copy of reserved GDT block {primary} ({expect}) belongs"
                ));
            }
        }
        gdt_off += 1;
        primary += 1;
    }
    None
}

/// Whether `block` starts with the header ext4_xattr_check_block requires of
/// an xattr block: `h_magic` 0xEA020000 and `h_blocks` 1 (struct
/// ext4_xattr_header; the entries are not walked here). Out of range blocks
/// are not readable, so they pass: the analysis reports them out of range.
fn xattr_header_valid(view: &View<'_>, sb: &Superblock, block: u64) -> bool {
    if block < u64::from(sb.first_data_block) || block >= sb.blocks_count {
        return true;
    }
    view.read(block.saturating_mul(u64::from(sb.block_size)), 12)
        .is_ok_and(|h| le32(h, 0) == XATTR_MAGIC && le32(h, 8) == 1)
}

/// Decides whether a symlink keeps its target in `i_block`, the way the kernel
/// does (`ext4_inode_is_fast_symlink`), and reports when e2fsprogs'
/// rule (`ext2fs_is_fast_symlink`: 0 < i_size < 60) disagrees: the same inode is
/// then text to one and block pointers to the other.
fn fast_symlink(sb: &Superblock, ri: &RawInode<'_>, findings: &mut Vec<Finding>) -> bool {
    let by_size = ri.size > 0 && ri.size < inode::I_BLOCK_LEN as u64;
    let kernel = if sb.has_incompat(0x400) {
        by_size
    } else {
        let ea_sectors = if ri.file_acl != 0 {
            u64::from(sb.block_size / 512) * u64::from(sb.cluster_ratio)
        } else {
            0
        };
        ri.sectors.saturating_sub(ea_sectors) == 0
    };
    if kernel != by_size {
        findings.push(
            Finding::new(Code::AmbiguousSymlink,
                format!(
                    "symlink inode {} (size {}, {} sectors) is read as {} by the kernel but as {} by e2fsprogs",
                    ri.ino,
                    ri.size,
                    ri.sectors,
                    if kernel { "an inline target" } else { "block pointers" },
                    if by_size { "an inline target" } else { "block pointers" }
                ),
            )
            .with_inodes([ri.ino]),
        );
    }
    kernel
}

/// Reads each referenced xattr block's `h_refcount`: sharing up to it is declared.
fn xattr_sharing(
    view: &View<'_>,
    sb: &Superblock,
    referrers: &HashMap<u64, Vec<InodeNo>>,
    findings: &mut Vec<Finding>,
) -> Vec<DeclaredSharing> {
    let mut out = Vec::new();
    let mut blocks: Vec<_> = referrers.iter().collect();
    blocks.sort_unstable_by_key(|(b, _)| **b);
    for (&block, inos) in blocks {
        if block < u64::from(sb.first_data_block) || block >= sb.blocks_count {
            continue; // out of range: the analysis reports it
        }
        let Ok(header) = view.read(block.saturating_mul(u64::from(sb.block_size)), 12) else {
            continue;
        };
        let magic = le32(header, 0);
        let refcount = le32(header, 4);
        let blocks = le32(header, 8);
        if magic != XATTR_MAGIC || blocks != 1 {
            let what = if magic != XATTR_MAGIC {
                format!("has magic {magic:#010x}, not {XATTR_MAGIC:#010x}")
            } else {
                format!("says it spans {blocks} blocks (h_blocks), not 1")
            };
            findings.push(
                Finding::new(Code::BadXattrBlock,
                    format!(
                        "xattr block {block} (referenced by {} inode(s)) {what}: the kernel refuses it (ext4_xattr_check_block), so it is not counted as their claim",
                        inos.len()
                    ),
                )
                .with_inodes(inos.iter().copied())
                .with_blocks([[block, 1]]),
            );
            continue;
        }
        if u64::from(refcount) != inos.len() as u64 {
            findings.push(
                Finding::new(
                    Code::XattrRefcountMismatch,
                    format!(
                        "xattr block {block} has h_refcount {refcount} but {} inode(s) refer to it",
                        inos.len()
                    ),
                )
                .with_inodes(inos.iter().copied())
                .with_blocks([[block, 1]]),
            );
        }
        out.push(DeclaredSharing {
            start: block,
            len: 1,
            role: Role::Xattr,
            max_referrers: u64::from(refcount),
        });
    }
    out
}

/// Position of each inode in the (sorted) inode list, by inode number: a
/// dense table when inode numbers are dense (every inode modelled), a binary
/// search when the model holds few of them (findings-only), so that it never
/// costs more than the model itself. The dense table is bounded by the
/// highest inode found, which is bounded by the inode tables actually read.
enum InodeIndex {
    Dense(Vec<u32>),
    Sorted(Vec<InodeNo>),
}

impl InodeIndex {
    fn new(inodes: &[Inode]) -> InodeIndex {
        let top = inodes.last().map_or(0, |n| n.ino as usize + 1);
        if top / 4 > inodes.len() {
            return InodeIndex::Sorted(inodes.iter().map(|n| n.ino).collect());
        }
        let mut table = vec![u32::MAX; top];
        for (i, n) in inodes.iter().enumerate() {
            if let (Some(slot), Ok(i)) = (table.get_mut(n.ino as usize), u32::try_from(i)) {
                *slot = i;
            }
        }
        InodeIndex::Dense(table)
    }

    fn get(&self, ino: InodeNo) -> Option<usize> {
        match self {
            InodeIndex::Dense(table) => {
                let i = *table.get(usize::try_from(ino).ok()?)?;
                (i != u32::MAX).then_some(i as usize)
            }
            InodeIndex::Sorted(inos) => inos.binary_search(&ino).ok(),
        }
    }
}

/// How often the directory walk named each in-use inode that is not in the
/// model: a bit per inode number for the first name (hard links are rare),
/// a map for the rest.
struct NamedElsewhere {
    once: Vec<u64>,
    more: BTreeMap<InodeNo, u64>,
}

impl NamedElsewhere {
    fn new(elsewhere: &OmittedInodes) -> NamedElsewhere {
        // Bounded like the inodes: by the inode tables actually read.
        let top = elsewhere
            .ranges
            .last()
            .map_or(0, |&(s, n)| s.saturating_add(n));
        NamedElsewhere {
            once: vec![0; usize::try_from(top.div_ceil(64)).unwrap_or(0)],
            more: BTreeMap::new(),
        }
    }

    fn add(&mut self, ino: InodeNo) {
        let Some(word) = self.once.get_mut((ino / 64) as usize) else {
            return;
        };
        let bit = 1u64 << (ino % 64);
        if *word & bit == 0 {
            *word |= bit;
        } else {
            *self.more.entry(ino).or_default() += 1;
        }
    }

    fn named(&self, ino: InodeNo) -> bool {
        self.once
            .get((ino / 64) as usize)
            .is_some_and(|w| w & (1 << (ino % 64)) != 0)
    }
}

/// The inode-table slot of inode `ino`, read again (for an inode a
/// findings-only parse left out of the model).
pub(crate) fn read_raw_inode<'a>(
    view: &View<'a>,
    sb: &Superblock,
    descs: &[GroupDesc],
    ino: InodeNo,
) -> Option<RawInode<'a>> {
    let ipg = u64::from(sb.inodes_per_group);
    let index = ino.checked_sub(1)?;
    let group = u32::try_from(index / ipg.max(1)).ok()?;
    let desc = descs
        .binary_search_by_key(&group, |d| d.group)
        .ok()
        .and_then(|i| descs.get(i))?;
    let isz = u64::from(sb.inode_size);
    let at = desc
        .inode_table
        .checked_mul(u64::from(sb.block_size))?
        .checked_add((index % ipg.max(1)).checked_mul(isz)?)?;
    let raw = view.read(at, isz as usize).ok()?;
    Some(RawInode::parse(sb, ino, raw))
}

/// Walks the directory tree from the root, breadth-first, giving every inode
/// all its names (stored once, in a parent-pointer tree). Directories are
/// visited once (loops are cut), each directory block of a directory is read
/// once, and every entry is checked against the inodes found in use.
#[allow(clippy::too_many_arguments)]
fn name_inodes(
    view: &View<'_>,
    sb: &Superblock,
    descs: &[GroupDesc],
    inodes: &mut [Inode],
    elsewhere: &OmittedInodes,
    arena: &[BlockRun],
    inline_dirs: &InlineDirs,
    findings: &mut Vec<Finding>,
) -> Names {
    let index = InodeIndex::new(inodes);
    // About one name per inode, and short names: reserve once.
    let mut names = Names::with_capacity(inodes.len() + 1, inodes.len().saturating_mul(16));
    let has_filetype = sb.has_incompat(incompat::FILETYPE);
    let mut visited: HashSet<InodeNo> = HashSet::new();
    let mut queue: VecDeque<(InodeNo, NameId)> = VecDeque::new();
    let root = u64::from(ROOT_INO);
    match index.get(root).and_then(|i| inodes.get_mut(i)) {
        Some(r) if r.file_type == FileType::Directory => {
            if let Some(id) = names.push(None, "") {
                names.add_to(r, id);
                queue.push_back((root, id));
                visited.insert(root);
            }
        }
        _ => findings.push(Finding::new(
            Code::NoRootDirectory,
            "inode 2 is not an in-use directory: no names can be resolved",
        )),
    }
    let mut extra_names: BTreeMap<InodeNo, u64> = BTreeMap::new();
    let mut named_elsewhere = NamedElsewhere::new(elsewhere);
    let mut parses: HashMap<u64, u32> = HashMap::new();
    let bs = u64::from(sb.block_size);
    let mut children: Vec<(InodeNo, NameId)> = Vec::new();
    let mut buffer: Vec<u8> = Vec::new();
    while let Some((dir_ino, dir_name)) = queue.pop_front() {
        let Some(dir) = index.get(dir_ino).and_then(|i| inodes.get(i)) else {
            continue;
        };
        let (blocks, capped) = directory_blocks(sb, view, arena, dir, &mut parses);
        if capped {
            findings.push(
                Finding::new(Code::BadDirectory,
                    format!(
                        "directory {} (inode {dir_ino}) maps more than {MAX_BLOCKS_PER_DIR} blocks below its i_size ({} bytes); only the first {MAX_BLOCKS_PER_DIR} are read",
                        names.path(dir_name),
                        dir.size
                    ),
                )
                .with_inodes([dir_ino]),
            );
        }
        let htree = dir.flags & flags::INDEX != 0;
        let mut problems = 0usize;
        children.clear();
        // Entries in blocks, then inline ones (no block: they live in the inode).
        let mut sources: Vec<(Option<u64>, &[u8])> = blocks
            .into_iter()
            .map(|physical| (Some(physical), &[][..]))
            .collect();
        if let Some((in_iblock, in_xattr)) = inline_dirs.get(&dir_ino) {
            sources.push((None, in_iblock));
            if !in_xattr.is_empty() {
                sources.push((None, in_xattr));
            }
        }
        for (physical, inline) in sources {
            // Directory blocks are read one at a time into one buffer.
            let block: &[u8] = match physical {
                Some(b) => {
                    buffer.resize(sb.block_size as usize, 0);
                    if view.read_into(b.saturating_mul(bs), &mut buffer).is_err() {
                        continue;
                    }
                    &buffer
                }
                None => inline,
            };
            let (entries, problem) = dir::parse_block(block, has_filetype, htree, sb.inodes_count);
            if problem.is_some() {
                problems += 1;
            }
            if let Some(p) = problem.filter(|_| problems <= MAX_PROBLEMS_PER_DIR) {
                let place = physical.map_or("inline data".to_string(), |b| format!("block {b}"));
                findings.push(
                    Finding::new(
                        Code::BadDirectoryEntry,
                        format!(
                            "directory {} (inode {dir_ino}), {place}, byte {}: {}",
                            names.path(dir_name),
                            p.offset,
                            p.what
                        ),
                    )
                    .with_inodes([dir_ino])
                    .with_blocks(physical.map(|b| [b, 1])),
                );
            }
            for e in entries {
                if e.name == b"." || e.name == b".." {
                    continue;
                }
                let child = u64::from(e.inode);
                let is_deleted = |i: &usize| inodes.get(*i).is_some_and(|n| n.deleted);
                // An unlinked orphan (open when it was unlinked, deleted at
                // the next mount) keeps the name it was unlinked from in the
                // directory's slack, as a deleted file does (fls: "realloc").
                let unlinked_orphan = |i: &usize| {
                    inodes.get(*i).is_some_and(|n| {
                        n.links == 0 && n.released_at_mount == Some(Release::Delete)
                    })
                };
                if e.deleted {
                    // A removed name names a deleted inode of that number; if
                    // the number was reused, it named an older file (what
                    // fls marks "(realloc)"), and is left out.
                    if index
                        .get(child)
                        .filter(|i| is_deleted(i) || unlinked_orphan(i))
                        .is_some()
                        && let Some(id) = names.push(Some(dir_name), &name_from_bytes(e.name))
                    {
                        children.push((child, id));
                    }
                    continue;
                }
                let live = index.get(child).filter(|i| !is_deleted(i));
                if live.is_none() && elsewhere.contains(child) {
                    // In use but left out of the model: counted, not stored.
                    named_elsewhere.add(child);
                    continue;
                }
                let name = name_from_bytes(e.name);
                if live.is_none() {
                    findings.push(
                        Finding::new(Code::BadDirectoryEntry,
                            format!(
                                "{}/{name}: the entry points at inode {child}, which is not in use{}",
                                names.path(dir_name).trim_end_matches('/'),
                                if child > u64::from(sb.inodes_count) {
                                    " (or does not exist)"
                                } else {
                                    ""
                                }
                            ),
                        )
                        .with_inodes([dir_ino, child]),
                    );
                    continue;
                }
                if let Some(id) = names.push(Some(dir_name), &name) {
                    children.push((child, id));
                }
            }
        }
        if problems > MAX_PROBLEMS_PER_DIR {
            findings.push(
                Finding::new(Code::BadDirectoryEntry,
                    format!(
                        "directory {} (inode {dir_ino}): {} more blocks with structural problems not listed",
                        names.path(dir_name),
                        problems - MAX_PROBLEMS_PER_DIR
                    ),
                )
                .with_inodes([dir_ino]),
            );
        }
        for &(child, id) in &children {
            let Some(node) = index.get(child).and_then(|i| inodes.get_mut(i)) else {
                continue;
            };
            // Counting names costs a lookup only for inodes already named.
            if node.first_name == NO_NAME || names.count(node) < MAX_NAMES_PER_INODE {
                names.add_to(node, id);
            } else {
                *extra_names.entry(child).or_default() += 1;
            }
            // A deleted directory's blocks may hold anything now: not walked.
            if node.file_type == FileType::Directory && !node.deleted && visited.insert(child) {
                queue.push_back((child, id));
            }
        }
    }
    // Inodes left out of the model carry all their names in the count.
    for (&ino, &more) in &named_elsewhere.more {
        let total = more + 1;
        if total > MAX_NAMES_PER_INODE as u64 {
            *extra_names.entry(ino).or_default() += total - MAX_NAMES_PER_INODE as u64;
        }
    }
    for (ino, extra) in extra_names {
        findings.push(
            Finding::new(
                Code::ManyNames,
                format!("inode {ino} has {extra} more names than the {MAX_NAMES_PER_INODE} listed"),
            )
            .with_inodes([ino]),
        );
    }
    // Unreachable inodes, in inode order: the model's, and those left out of
    // it that no entry named (read again for what the finding says of them).
    let unnamed_elsewhere = elsewhere
        .iter()
        .filter(|&ino| !named_elsewhere.named(ino) && index.get(ino).is_none())
        .filter_map(|ino| read_raw_inode(view, sb, descs, ino))
        .map(|ri| Unnamed {
            ino: ri.ino,
            file_type: FileType::from_mode(u32::from(ri.mode)),
            size: ri.size,
            links: u32::from(ri.links),
            flags: ri.flags,
        });
    let unnamed_here = inodes
        .iter()
        .filter(|n| n.first_name == NO_NAME && !n.deleted && n.released_at_mount.is_none())
        .map(|n| Unnamed {
            ino: n.ino,
            file_type: n.file_type,
            size: n.size,
            links: n.links,
            flags: n.flags,
        });
    let mut unnamed: Vec<Unnamed> = unnamed_here.chain(unnamed_elsewhere).collect();
    unnamed.sort_by_key(|u| u.ino);
    for node in unnamed {
        let special = node.ino < u64::from(sb.first_ino)
            || node.flags & flags::EA_INODE != 0
            || sb
                .special_inodes
                .iter()
                .any(|&(s, _)| u64::from(s) == node.ino);
        if !special {
            findings.push(
                Finding::new(
                    Code::UnreachableInode,
                    format!(
                        "inode {} ({:?}, {} bytes, {} links) is in use but no directory names it",
                        node.ino, node.file_type, node.size, node.links
                    ),
                )
                .with_inodes([node.ino]),
            );
        }
    }
    names
}

/// What the unreachable-inode finding says of an inode no directory names.
struct Unnamed {
    ino: InodeNo,
    file_type: FileType,
    size: u64,
    links: u32,
    flags: u32,
}

/// Structural problems reported per directory; past it one line says how many
/// more there were, so a directory of a million zeroed blocks is one finding.
const MAX_PROBLEMS_PER_DIR: usize = 16;

/// How many times one physical block may be parsed as a directory block across
/// all directories: cross-linked directories share blocks legitimately often
/// enough to need more than one parse, and a hostile image where a million
/// directories map the same 32768 blocks must not cost a million passes.
const MAX_PARSES_PER_DIR_BLOCK: u32 = 8;

/// Directory blocks read for one directory at most: 2^20 blocks is 4 GiB of
/// entries at 4 KiB blocks, far past any real directory; a forged i_size and
/// extent cannot make one directory cost more.
const MAX_BLOCKS_PER_DIR: usize = 1 << 20;

/// The physical blocks of a directory below i_size, in logical order, each once,
/// inside the filesystem and the image, within the global parse budget. Holes
/// of a sparse image file hold no entries and are skipped without being read;
/// so are unwritten extents. The bool is true when the per-directory cap cut
/// the list.
fn directory_blocks(
    sb: &Superblock,
    view: &View<'_>,
    arena: &[BlockRun],
    dir: &Inode,
    parses: &mut HashMap<u64, u32>,
) -> (Vec<u64>, bool) {
    let bs = u64::from(sb.block_size);
    let mut runs: Vec<&BlockRun> = arena
        .get(
            dir.runs.start as usize
                ..(dir.runs.start as usize).saturating_add(dir.runs.len as usize),
        )
        .unwrap_or(&[])
        .iter()
        .filter(|r| r.role == Role::Directory && !r.unwritten)
        .collect();
    runs.sort_by_key(|r| r.logical);
    let logical_end = dir.size.div_ceil(bs);
    let last_block = sb.blocks_count.min(view.len() / bs);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in runs {
        let Some(logical) = r.logical else { continue };
        let usable = logical_end.saturating_sub(logical).min(r.len);
        let mut b = r.start.max(u64::from(sb.first_data_block));
        let end = r.start.saturating_add(usable).min(last_block);
        while b < end {
            if out.len() >= MAX_BLOCKS_PER_DIR {
                return (out, true);
            }
            // Jump over a hole in the image file: it reads as zeros.
            match view.next_data(b.saturating_mul(bs)) {
                Some(next) if next / bs > b => {
                    b = next / bs;
                    continue;
                }
                None => break,
                Some(_) => {}
            }
            let count = parses.entry(b).or_default();
            if *count < MAX_PARSES_PER_DIR_BLOCK && seen.insert(b) {
                *count += 1;
                out.push(b);
            }
            b += 1;
        }
    }
    (out, false)
}
