//! The orphan list: inodes that a crash left half-deleted or half-truncated,
//! which the kernel finishes at mount — any mount of a writable device, even
//! `mount -o ro` — before anything else can use the filesystem.
//!
//! Sources: Documentation/filesystems/ext4/orphan.rst; fs/ext4/orphan.c
//! (`ext4_orphan_cleanup`, `ext4_orphan_get`, the orphan file's
//! `struct ext4_orphan_block_tail`); fs/ext4/ext4.h (`NEXT_ORPHAN` is
//! `i_dtime`); e2fsprogs e2fsck/super.c (`release_orphan_inodes`).
//!
//! An unlinked inode at the head of the list keeps its block map until mount:
//! `e2fsck -n` reads it as an already deleted inode (pass 1 ignores its
//! blocks), but the kernel deletes it and frees every block it maps. If those
//! blocks are a live file's, mount hands that file's blocks to the allocator.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::bytes::le32;
use crate::fs::ext::blockmap;
use crate::fs::ext::groups::GroupDesc;
use crate::fs::ext::inode::I_BLOCK_LEN;
use crate::fs::ext::inode_model::read_raw_inode;
use crate::fs::ext::superblock::{Superblock, compat};
use crate::image::View;
use crate::model::Code;
use crate::model::{BlockRun, FileType, Finding, InodeNo, Release, Role, Severity};

/// `struct ext4_orphan_block_tail`: ob_magic, then ob_checksum, at a block's end.
const ORPHAN_BLOCK_MAGIC: u32 = 0x0B10_CA04;
const ORPHAN_TAIL_LEN: usize = 8;
/// EXT2_ERROR_FS in s_state: the kernel then skips orphan cleanup.
const STATE_ERROR_FS: u16 = 2;

/// The inodes mount will release, and what it does to each.
#[derive(Debug, Default)]
pub struct OrphanList {
    pub release: BTreeMap<InodeNo, Release>,
}

/// Reads the orphan list as `ext4_orphan_cleanup` walks it: the chain from
/// `s_last_orphan` through each inode's `i_dtime`, then every slot of the
/// orphan file. Each step is checked as `ext4_orphan_get` checks it (an
/// inode number in range, its inode bitmap bit set); the kernel stops at the
/// first bad one, and so does this walk, with a finding. The chain visits
/// each inode at most once (a loop is a finding), so the walk is bounded by
/// the inodes the image holds.
pub fn read(
    view: &View<'_>,
    sb: &Superblock,
    descs: &[GroupDesc],
    inode_bitmaps: &[Option<&[u8]>],
    findings: &mut Vec<Finding>,
) -> OrphanList {
    let mut walk = Walk {
        view,
        sb,
        descs,
        inode_bitmaps,
        list: OrphanList::default(),
    };
    let mut next = u64::from(sb.last_orphan);
    let mut from = Source::LastOrphan;
    while next != 0 {
        let ino = next;
        match walk.take(ino, from, findings) {
            Some(dtime) => {
                next = u64::from(dtime);
                from = Source::NextLink(ino);
            }
            None => break,
        }
    }
    if sb.has_compat(compat::ORPHAN_FILE) && sb.orphan_file_inum != 0 {
        for ino in orphan_file_entries(view, sb, descs, findings) {
            if walk.take(ino, Source::OrphanFile, findings).is_none() {
                break;
            }
        }
    }
    let list = walk.list;
    if !list.release.is_empty() && sb.state & STATE_ERROR_FS != 0 {
        findings.push(Finding::new(Code::OrphanCleanupPending,
            format!(
                "the errors flag is set (s_state {:#x}): the kernel skips orphan cleanup and a read-write mount drops the list; e2fsck then frees these inodes as deleted, with the same effect",
                sb.state
            ),
        ));
    }
    list
}

/// Where the orphan list named an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The superblock's s_last_orphan: the head of the chain.
    LastOrphan,
    /// The previous orphan's i_dtime (NEXT_ORPHAN).
    NextLink(InodeNo),
    /// A slot of the orphan file.
    OrphanFile,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::LastOrphan => f.write_str("s_last_orphan"),
            Source::NextLink(ino) => write!(f, "inode {ino}'s next-orphan link (i_dtime)"),
            Source::OrphanFile => f.write_str("the orphan file"),
        }
    }
}

/// Why `ext4_orphan_get` refuses an orphan (and the walk stops there).
#[derive(Debug, Clone, PartialEq, Eq)]
enum OrphanProblem {
    /// The inode number is below s_first_ino or above s_inodes_count.
    OutOfRange { first_ino: u64, max_ino: u64 },
    /// The inode is already on the list.
    Loop,
    /// Its bit in the inode bitmap is clear.
    FreeInBitmap,
    /// Its inode-table slot cannot be read.
    Unreadable,
    /// A linked inode that ext4_can_truncate refuses.
    NotTruncatable(FileType),
    /// Its next-orphan link (i_dtime) is above s_inodes_count.
    NextLink { dtime: u32, max_ino: u64 },
}

impl fmt::Display for OrphanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrphanProblem::OutOfRange { first_ino, max_ino } => {
                write!(f, ", outside {first_ino}..={max_ino}")
            }
            OrphanProblem::Loop => f.write_str(" a second time (a loop)"),
            OrphanProblem::FreeInBitmap => f.write_str(", which is free in the inode bitmap"),
            OrphanProblem::Unreadable => f.write_str(", whose slot cannot be read"),
            OrphanProblem::NotTruncatable(file_type) => {
                write!(f, ", a linked {file_type:?} that cannot be truncated")
            }
            OrphanProblem::NextLink { dtime, max_ino } => write!(
                f,
                ", whose next-orphan link (i_dtime {dtime}) is outside 1..={max_ino}"
            ),
        }
    }
}

/// The walk of the orphan list: what it reads, and the orphans taken so far.
struct Walk<'w, 'v> {
    view: &'w View<'v>,
    sb: &'w Superblock,
    descs: &'w [GroupDesc],
    inode_bitmaps: &'w [Option<&'w [u8]>],
    list: OrphanList,
}

impl Walk<'_, '_> {
    /// Takes one orphan: its next-orphan link (i_dtime), or None, with the
    /// finding, when the walk must stop.
    fn take(&mut self, ino: InodeNo, from: Source, findings: &mut Vec<Finding>) -> Option<u32> {
        match self.check(ino) {
            Ok((release, dtime)) => {
                self.list.release.insert(ino, release);
                Some(dtime)
            }
            Err(problem) => {
                findings.push(
                    Finding::new(Code::BadOrphanList,
                        format!(
                            "the orphan list {from} names inode {ino}{problem}: the kernel stops its orphan cleanup there (ext4_orphan_get: \"bad orphan inode\") and e2fsck reports the list as corrupt"
                        ),
                    )
                    .with_inodes([ino]),
                );
                None
            }
        }
    }

    /// Checks an orphan as ext4_orphan_get does: what mount does to it and
    /// its next-orphan link, or why it is refused.
    fn check(&self, ino: InodeNo) -> Result<(Release, u32), OrphanProblem> {
        let max_ino = u64::from(self.sb.inodes_count);
        let first_ino = u64::from(self.sb.first_ino);
        if ino < first_ino || ino > max_ino {
            return Err(OrphanProblem::OutOfRange { first_ino, max_ino });
        }
        if self.list.release.contains_key(&ino) {
            return Err(OrphanProblem::Loop);
        }
        if !self.in_bitmap(ino) {
            return Err(OrphanProblem::FreeInBitmap);
        }
        let Some(ri) = read_raw_inode(self.view, self.sb, self.descs, ino) else {
            return Err(OrphanProblem::Unreadable);
        };
        // ext4_orphan_get refuses a linked orphan it cannot truncate
        // (ext4_can_truncate: a regular file, a directory or a slow
        // symlink) and one whose next-orphan link (i_dtime) is out of range;
        // such a bad orphan is neither deleted nor truncated.
        let file_type = FileType::from_mode(u32::from(ri.mode));
        let truncatable = match file_type {
            FileType::Regular | FileType::Directory => true,
            FileType::Symlink => ri.size >= I_BLOCK_LEN as u64,
            _ => false,
        };
        if ri.links > 0 && !truncatable {
            return Err(OrphanProblem::NotTruncatable(file_type));
        }
        if u64::from(ri.dtime) > max_ino {
            return Err(OrphanProblem::NextLink {
                dtime: ri.dtime,
                max_ino,
            });
        }
        let release = if ri.links == 0 {
            Release::Delete
        } else {
            Release::Truncate
        };
        Ok((release, ri.dtime))
    }

    /// Whether the inode's bit is set in its group's inode bitmap.
    fn in_bitmap(&self, ino: InodeNo) -> bool {
        let ipg = u64::from(self.sb.inodes_per_group.max(1));
        let index = ino.saturating_sub(1);
        let (group, bit) = (index / ipg, index % ipg);
        let group = u32::try_from(group).ok();
        group
            .and_then(|g| self.descs.binary_search_by_key(&g, |d| d.group).ok())
            .and_then(|k| self.inode_bitmaps.get(k).copied().flatten())
            .and_then(|b| b.get((bit / 8) as usize))
            .is_some_and(|byte| byte & (1 << (bit % 8)) != 0)
    }
}

/// The inode numbers in the orphan file's slots (every block it maps: each is
/// block_size/4 − 2 le32 inode numbers, then the tail). A block without the
/// tail's magic is not read by the kernel (ext4_orphan_cleanup checks it at
/// mount through ext4_orphan_file_block_csum_verify) and is reported.
fn orphan_file_entries(
    view: &View<'_>,
    sb: &Superblock,
    descs: &[GroupDesc],
    findings: &mut Vec<Finding>,
) -> Vec<InodeNo> {
    let ino = u64::from(sb.orphan_file_inum);
    let Some(ri) = read_raw_inode(view, sb, descs, ino) else {
        return Vec::new();
    };
    let mut runs: Vec<BlockRun> = Vec::new();
    let mut mapping = blockmap::Mapping::new(&mut runs);
    blockmap::map_extents(view, sb, &ri, Role::Data, &mut mapping);
    drop(mapping);
    let bs = u64::from(sb.block_size);
    let size_blocks = ri.size.div_ceil(bs);
    let mut seen: HashSet<u64> = HashSet::new();
    let mut entries = Vec::new();
    let mut without_tail: Vec<[u64; 2]> = Vec::new();
    for run in runs.iter().filter(|r| r.role.is_file_block()) {
        let logical = run.logical.unwrap_or(0);
        for k in 0..run.len.min(size_blocks.saturating_sub(logical)) {
            let block = run.start.saturating_add(k);
            if !seen.insert(block) || block >= sb.blocks_count {
                continue;
            }
            let Ok(bytes) = view.read(block.saturating_mul(bs), sb.block_size as usize) else {
                continue;
            };
            let tail = bytes.len().saturating_sub(ORPHAN_TAIL_LEN);
            if le32(bytes, tail) != ORPHAN_BLOCK_MAGIC {
                match without_tail.last_mut() {
                    Some(last) if last[0] + last[1] == block => last[1] += 1,
                    _ => without_tail.push([block, 1]),
                }
                continue;
            }
            entries.extend(
                (0..tail / 4)
                    .map(|slot| u64::from(le32(bytes, slot * 4)))
                    .filter(|&n| n != 0),
            );
        }
    }
    if !without_tail.is_empty() {
        let count: u64 = without_tail.iter().map(|r| r[1]).sum();
        findings.push(
            Finding::new(Code::BadOrphanList,
                format!(
                    "{count} block(s) of the orphan file (inode {ino}) have no ext4_orphan_block_tail magic: the kernel refuses the orphan file at mount, and their slots are not read"
                ),
            ).with_severity(Severity::Medium)
            .with_inodes([ino])
            .with_blocks(without_tail),
        );
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_orphan_is_said_as_it_always_was() {
        let said = |from: Source, problem: OrphanProblem| format!("{from} names inode 12{problem}");
        assert_eq!(
            said(Source::NextLink(11), OrphanProblem::Loop),
            "inode 11's next-orphan link (i_dtime) names inode 12 a second time (a loop)"
        );
        assert_eq!(
            said(
                Source::LastOrphan,
                OrphanProblem::OutOfRange {
                    first_ino: 11,
                    max_ino: 10
                }
            ),
            "s_last_orphan names inode 12, outside 11..=10"
        );
    }
}
