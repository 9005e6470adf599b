//! The inode-table slots, scanned piece by piece in parallel: which slots
//! are read, what each holds, and what the scan of one piece finds.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::fs::ext::groups::{self, GroupDesc};
use crate::fs::ext::inode::{RawInode, flags};
use crate::fs::ext::inode_model::{deleted, deleted_inode, in_use, map_inode, model_inode};
use crate::fs::ext::keep::{KeepRule, suspect_blocks, touches};
use crate::fs::ext::superblock::Superblock;
use crate::fs::{Detail, Progress};
use crate::image::View;
use crate::model::Code;
use crate::model::{
    BlockRun, FileType, Finding, Hidden, Inode, InodeNo, MetadataRegion, Release, RunList,
    union_and_overlaps,
};

/// The inode tables of a filesystem, as the scan reads them.
pub(super) struct Tables<'t, 'v> {
    pub(super) view: &'t View<'v>,
    pub(super) sb: &'t Superblock,
    pub(super) descs: &'t [GroupDesc],
    /// Each group's inode bitmap, by descriptor index (None: unreadable).
    pub(super) inode_bitmaps: &'t [Option<&'v [u8]>],
}

/// What the scan of every inode table found, joined in inode order.
pub(super) struct TableScan {
    /// The in-use inodes the [`KeepRule`] keeps.
    pub(super) inodes: Vec<Inode>,
    /// The kept inodes' runs: the arena their spans index.
    pub(super) runs: Vec<BlockRun>,
    /// xattr block → the inodes whose `i_file_acl` points at it.
    pub(super) xattr_referrers: HashMap<u64, Vec<InodeNo>>,
    pub(super) inline_dirs: InlineDirs,
    /// The in-use inodes left out of the model.
    pub(super) elsewhere: OmittedInodes,
    /// Every in-use inode, kept or not.
    pub(super) in_use: u64,
    /// For a findings-only parse: the union of the left-out inodes' claims.
    pub(super) omitted: Option<RunList>,
}

impl Tables<'_, '_> {
    /// Scans every slot of every inode table. Pieces of inode table are
    /// independent: they are scanned in parallel, then joined in inode order,
    /// so the output does not depend on scheduling.
    pub(super) fn scan(
        &self,
        keep: KeepRule<'_>,
        metadata: &[MetadataRegion],
        allocation: &groups::Allocation,
        progress: &dyn Progress,
        findings: &mut Vec<Finding>,
    ) -> TableScan {
        let pieces = table_pieces(self.sb, self.descs);
        let piece_total = pieces.len() as u64;
        let pieces_done = AtomicU64::new(0);
        let mut per_piece: Vec<InodeScan> = pieces
            .par_iter()
            .map(|piece| {
                let found = self.scan_piece(piece, &keep);
                self.release(piece, &found);
                let done = pieces_done.fetch_add(1, Ordering::Relaxed) + 1;
                progress.step("inode tables", done, piece_total);
                found
            })
            .collect();
        let omitted = (keep.detail == Detail::FindingsOnly).then(|| {
            self.rescan_suspects(
                &pieces,
                &mut per_piece,
                keep,
                metadata,
                allocation,
                progress,
            )
        });
        join(per_piece, omitted, findings)
    }

    /// The scan of one piece.
    fn scan_piece(&self, piece: &Piece, keep: &KeepRule<'_>) -> InodeScan {
        let mut found = InodeScan::default();
        let bitmap = self.inode_bitmaps.get(piece.desc).copied().flatten();
        if let Some(desc) = self.descs.get(piece.desc) {
            scan_piece(self.view, self.sb, desc, bitmap, piece, keep, &mut found);
        }
        found
    }

    /// This part of the inode table is parsed: its pages need not stay
    /// resident (a tail that was all holes was never touched).
    fn release(&self, piece: &Piece, found: &InodeScan) {
        if let (Some(desc), Some(read)) = (self.descs.get(piece.desc), &found.slots_read) {
            let isz = u64::from(self.sb.inode_size);
            let table_at = desc
                .inode_table
                .saturating_mul(u64::from(self.sb.block_size));
            self.view.release(
                table_at.saturating_add(read.start.saturating_mul(isz)),
                (read.end - read.start).saturating_mul(isz),
            );
        }
    }

    /// For a findings-only parse: the blocks where an omitted inode's claim
    /// meets another claim, metadata or a free block. Findings will name the
    /// inodes there, so the pieces that hold them are read again, keeping
    /// every inode that touches one. Returns the union of the omitted claims.
    fn rescan_suspects(
        &self,
        pieces: &[Piece],
        per_piece: &mut [InodeScan],
        keep: KeepRule<'_>,
        metadata: &[MetadataRegion],
        allocation: &groups::Allocation,
        progress: &dyn Progress,
    ) -> RunList {
        let (union, suspects) = suspect_blocks(per_piece, metadata, allocation);
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
                    let rescanned = self.scan_piece(piece, &again);
                    found.inodes = rescanned.inodes;
                    found.runs = rescanned.runs;
                    found.inline_dirs = rescanned.inline_dirs;
                });
            progress.step("shared blocks", 1, 1);
        }
        union
    }
}

/// The pieces' scans joined in inode order: each piece's runs land after the
/// previous pieces' in one arena, its findings after theirs.
fn join(
    per_piece: Vec<InodeScan>,
    omitted: Option<RunList>,
    findings: &mut Vec<Finding>,
) -> TableScan {
    let mut inodes = Vec::with_capacity(per_piece.iter().map(|g| g.inodes.len()).sum());
    let mut runs = Vec::with_capacity(per_piece.iter().map(|g| g.runs.len()).sum());
    let mut xattr_referrers: HashMap<u64, Vec<InodeNo>> = HashMap::new();
    let mut inline_dirs: InlineDirs = HashMap::new();
    let mut elsewhere = OmittedInodes::default();
    let mut in_use = 0u64;
    for piece in per_piece {
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
    TableScan {
        inodes,
        runs,
        xattr_referrers,
        inline_dirs,
        elsewhere,
        in_use,
        omitted,
    }
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

/// Directory entries of inline-data directories, by inode: the bytes of
/// `i_block` after the 4-byte parent inode number, and the `system.data` value.
pub(super) type InlineDirs = HashMap<InodeNo, (Vec<u8>, Vec<u8>)>;

/// What the scan of one piece of inode table finds.
#[derive(Default)]
pub(super) struct InodeScan {
    /// The in-use inodes the [`KeepRule`] keeps.
    pub(super) inodes: Vec<Inode>,
    /// The runs of the kept inodes; spans are relative to it.
    pub(super) runs: Vec<BlockRun>,
    /// xattr block → the inodes whose `i_file_acl` points at it.
    pub(super) xattr_referrers: HashMap<u64, Vec<InodeNo>>,
    pub(super) inline_dirs: InlineDirs,
    pub(super) findings: Vec<Finding>,
    /// Every in-use inode, kept or not.
    pub(super) in_use: u64,
    /// The slots whose bytes were read, first to last.
    pub(super) slots_read: Option<Range<u64>>,
    /// The inodes left out, as `(first, count)` ranges of inode numbers.
    pub(super) omitted_inodes: Vec<(InodeNo, u64)>,
    /// The union of the left-out inodes' claims, and the blocks among them
    /// claimed twice: sorted, disjoint `(start, len)` runs.
    pub(super) folded: Vec<(u64, u64)>,
    pub(super) twice: Vec<(u64, u64)>,
    /// The union of the left-out deleted inodes' old blocks.
    pub(super) deleted_folded: Vec<(u64, u64)>,
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
pub(super) struct OmittedInodes {
    pub(super) ranges: Vec<(InodeNo, u64)>,
}

impl OmittedInodes {
    pub(super) fn contains(&self, ino: InodeNo) -> bool {
        let k = self
            .ranges
            .partition_point(|&(s, n)| s.saturating_add(n) <= ino);
        self.ranges.get(k).is_some_and(|&(s, _)| s <= ino)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = InodeNo> + '_ {
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
    let mut scan = PieceScan {
        view,
        sb,
        desc,
        bitmap,
        keep,
        found,
        claims: Vec::new(),
        deleted_claims: Vec::new(),
    };
    scan.scan_slots(piece);
    let (claims, deleted_claims) = (scan.claims, scan.deleted_claims);
    (found.folded, found.twice) = union_and_overlaps(claims);
    (found.deleted_folded, _) = union_and_overlaps(deleted_claims);
}

/// The scan of one piece: what it reads from, and what it has found so far.
struct PieceScan<'p, 'v> {
    view: &'p View<'v>,
    sb: &'p Superblock,
    desc: &'p GroupDesc,
    /// The group's inode bitmap, when it could be read.
    bitmap: Option<&'p [u8]>,
    keep: &'p KeepRule<'p>,
    found: &'p mut InodeScan,
    /// The left-out live inodes' claims, clipped to the filesystem.
    claims: Vec<(u64, u64)>,
    /// The left-out deleted inodes' old blocks.
    deleted_claims: Vec<(u64, u64)>,
}

/// A slot that holds something, and what its group says of it.
struct Slot {
    ino: InodeNo,
    /// In the region e2fsprogs skips (see [`used_slots`]).
    hidden: bool,
    /// Its bit in the group's inode bitmap is set.
    in_bitmap: bool,
}

impl PieceScan<'_, '_> {
    /// Reads every slot of the piece, skipping holes of the image file in the
    /// slots e2fsprogs skips, and stopping where the inode table is cut short.
    fn scan_slots(&mut self, piece: &Piece) {
        let (view, sb, desc) = (self.view, self.sb, self.desc);
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
        self.reserve(
            used_slots
                .min(piece.slots.end)
                .saturating_sub(piece.slots.start),
        );
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
            let slots_read = &mut self.found.slots_read;
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
                        self.found.findings.push(Finding::new(
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
            let hidden = slot >= used_slots;
            if hidden && raw.iter().all(|&b| b == 0) {
                continue;
            }
            let in_bitmap = self.bitmap.is_some_and(|b| {
                b.get((slot / 8) as usize)
                    .is_some_and(|byte| byte & (1 << (slot % 8)) != 0)
            });
            let slot = Slot {
                ino,
                hidden,
                in_bitmap,
            };
            self.slot(&slot, &RawInode::parse(sb, ino, raw));
        }
    }

    /// Most initialised slots hold a live inode with about one run: reserve
    /// for that once instead of growing by doubling.
    fn reserve(&mut self, initialised_slots: u64) {
        let expected = usize::try_from(initialised_slots).unwrap_or(0);
        if self.keep.detail == Detail::Everything {
            self.found.inodes.reserve(expected);
            self.found.runs.reserve(expected);
        } else {
            self.claims.reserve(expected);
        }
    }

    /// What one slot holds: a live inode (in use, or on the orphan list), a
    /// deleted one, or nothing.
    fn slot(&mut self, slot: &Slot, ri: &RawInode<'_>) {
        let sb = self.sb;
        let released_at_mount = self.keep.orphans.get(&slot.ino).copied();
        if in_use(sb, ri) || released_at_mount.is_some() {
            self.live(slot, ri, released_at_mount);
        } else if !slot.hidden && self.bitmap.is_some() && !slot.in_bitmap && deleted(sb, ri) {
            self.deleted(ri);
        }
    }

    /// A deleted inode: kept whole, or its old blocks folded.
    fn deleted(&mut self, ri: &RawInode<'_>) {
        let (keep, run_arena) = (self.keep, &mut self.found.runs);
        let inode = deleted_inode(self.view, self.sb, ri, run_arena);
        let own_runs = run_arena.get(inode.runs.start as usize..).unwrap_or(&[]);
        if keep.keeps_deleted(own_runs) {
            self.found.inodes.push(inode);
        } else {
            if keep.detail == Detail::FindingsOnly {
                self.deleted_claims
                    .extend(own_runs.iter().map(|run| keep.clipped(run)));
            }
            run_arena.truncate(inode.runs.start as usize);
        }
    }

    /// A live inode: its findings, its block map, and either the model or
    /// the piece's union of left-out claims.
    fn live(&mut self, slot: &Slot, ri: &RawInode<'_>, released_at_mount: Option<Release>) {
        let (view, sb) = (self.view, self.sb);
        let ino = slot.ino;
        let hidden = slot.hidden.then(|| self.hidden(ri));
        let findings = &mut self.found.findings;
        if ino >= u64::from(sb.first_ino) && !slot.in_bitmap && !slot.hidden {
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
        let found = &mut *self.found;
        let runs = map_inode(
            view,
            sb,
            ri,
            &mut found.xattr_referrers,
            &mut found.findings,
            &mut found.runs,
        );
        let file_type = FileType::from_mode(u32::from(ri.mode));
        if file_type == FileType::Directory && ri.has_flag(flags::INLINE_DATA) {
            // Inline entries: i_block after its 4-byte parent inode number,
            // then the system.data xattr value.
            found.inline_dirs.insert(
                ino,
                (
                    ri.i_block.get(4..).unwrap_or(&[]).to_vec(),
                    ri.inline_data_xattr().unwrap_or(&[]).to_vec(),
                ),
            );
        }
        found.in_use += 1;
        let inode = Inode {
            hidden,
            released_at_mount,
            ..model_inode(ri, runs)
        };
        let own_runs = found.runs.get(runs.start as usize..).unwrap_or(&[]);
        if self.keep.keeps(&inode, own_runs) {
            found.inodes.push(inode);
        } else {
            self.leave_out(ino, runs.start as usize);
        }
    }

    /// Why a live inode in a skipped slot is hidden, said as a finding.
    fn hidden(&mut self, ri: &RawInode<'_>) -> Hidden {
        let hidden = if self.desc.inode_uninit(self.sb) {
            Hidden::UninitGroup
        } else {
            Hidden::UnusedTail
        };
        let why = hidden.reason();
        self.found.findings.push(
            Finding::new(Code::HiddenInode,
                format!(
                    "inode {} is live ({} links) but {why}: e2fsck and the kernel's inode scan skip it, yet a directory entry can still reach it",
                    ri.ino, ri.links
                ),
            )
            .with_inodes([ri.ino]),
        );
        hidden
    }

    /// Leaves a live inode out of the model: its claims (its runs from
    /// `first_run` on) join the piece's union, its runs leave the arena.
    fn leave_out(&mut self, ino: InodeNo, first_run: usize) {
        let found = &mut *self.found;
        // A claim that starts where the previous one ends extends it, so a
        // fragmented file laid out in order costs one claim, not one per extent.
        if self.keep.detail == Detail::FindingsOnly {
            for run in found.runs.get(first_run..).unwrap_or(&[]) {
                let (start, end) = self.keep.clipped(run);
                match self.claims.last_mut() {
                    Some(last) if last.1 == start && start < end => last.1 = end,
                    _ => self.claims.push((start, end)),
                }
            }
        }
        found.runs.truncate(first_run);
        match found.omitted_inodes.last_mut() {
            Some((first, count)) if first.saturating_add(*count) == ino => *count += 1,
            _ => found.omitted_inodes.push((ino, 1)),
        }
    }
}
