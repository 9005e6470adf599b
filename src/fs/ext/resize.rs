//! The resize inode (inode 7), checked as e2fsck checks it.

use crate::bytes::le32;
use crate::fs::ext::inode::RawInode;
use crate::fs::ext::superblock::{Superblock, compat, incompat, ro_compat};
use crate::image::View;

/// i_block[13], EXT2_DIND_BLOCK: the only pointer a resize inode sets.
const DIND_SLOT: usize = 13;

/// What is wrong with the resize inode, said after "the resize inode (7)".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum ResizeProblem {
    #[error("has block pointers although the resize_inode feature is off")]
    PointersWithoutFeature,
    #[error("is in use on a meta_bg filesystem, which has no reserved GDT blocks")]
    MetaBg,
    #[error("sets i_block slots {slots:?}; only slot 13 (the double indirect block) may be set")]
    OtherSlots { slots: Vec<usize> },
    #[error(
        "is not a linked regular file with a double indirect block (mode {mode:#o}, {links} links, block {dind})"
    )]
    NotLinkedRegular { mode: u16, links: u16, dind: u64 },
    #[error("has its double indirect block {dind} outside the filesystem")]
    DindOutside { dind: u64 },
    #[error("has a double indirect block {dind} that cannot be read")]
    DindUnreadable { dind: u64 },
    #[error("has more backup groups than an indirect block can list")]
    TooManyBackups,
    #[error(
        "lists block {listed} where reserved GDT block {primary} belongs (double indirect slot {slot})"
    )]
    WrongGdtBlock {
        listed: u64,
        primary: u64,
        slot: u64,
    },
    #[error("points at reserved GDT block {primary}, which cannot be read")]
    GdtUnreadable { primary: u64 },
    #[error(
        "lists block {listed} where group {group}'s copy of reserved GDT block {primary} ({expect}) belongs"
    )]
    WrongBackupCopy {
        listed: u64,
        group: u64,
        primary: u64,
        expect: u64,
    },
}

/// What is wrong with the resize inode, checked as e2fsck super.c
/// `check_resize_inode` does: with the resize_inode feature, only i_block[13]
/// (EXT2_DIND_BLOCK) is set, the inode is a linked regular file, and the
/// double indirect block lists each primary reserved GDT block, whose
/// indirect block lists that block's copy in every backup group; without the
/// feature, i_block is all zeros. None when it is sound.
pub(super) fn resize_inode_problem(
    view: &View<'_>,
    sb: &Superblock,
    ri: &RawInode<'_>,
) -> Option<ResizeProblem> {
    let pointer = |slot: usize| le32(ri.i_block, slot * 4);
    let set_slots: Vec<usize> = (0..15).filter(|&i| pointer(i) != 0).collect();
    if !sb.has_compat(compat::RESIZE_INODE) {
        return (!set_slots.is_empty()).then_some(ResizeProblem::PointersWithoutFeature);
    }
    if sb.has_incompat(incompat::META_BG) {
        return Some(ResizeProblem::MetaBg);
    }
    let dind = u64::from(pointer(DIND_SLOT));
    if set_slots.iter().any(|&i| i != DIND_SLOT) {
        return Some(ResizeProblem::OtherSlots { slots: set_slots });
    }
    if dind == 0 || ri.links == 0 || u32::from(ri.mode) & 0o170000 != 0o100000 {
        return Some(ResizeProblem::NotLinkedRegular {
            mode: ri.mode,
            links: ri.links,
            dind,
        });
    }
    if dind < u64::from(sb.first_data_block) || dind >= sb.blocks_count {
        return Some(ResizeProblem::DindOutside { dind });
    }
    let Some(dind_bytes) = read_block(view, sb, dind) else {
        return Some(ResizeProblem::DindUnreadable { dind });
    };
    let backups = match backup_groups(sb) {
        Ok(backups) => backups,
        Err(problem) => return Some(problem),
    };
    reserved_gdt_problem(view, sb, dind_bytes, &backups)
}

fn read_block<'v>(view: &View<'v>, sb: &Superblock, block: u64) -> Option<&'v [u8]> {
    view.read(
        block.saturating_mul(u64::from(sb.block_size)),
        sb.block_size as usize,
    )
    .ok()
}

/// The groups that hold a backup superblock, in order; an indirect block
/// has room for block_size / 4 of them. Only the candidates are tried (a
/// forged group count may be huge): with sparse_super, 1 and the powers of
/// 3, 5 and 7 (and s_backup_bgs).
fn backup_groups(sb: &Superblock) -> Result<Vec<u64>, ResizeProblem> {
    let per_block = u64::from(sb.block_size) / 4;
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
                return Err(ResizeProblem::TooManyBackups);
            }
            backups.push(group);
        }
    }
    Ok(backups)
}

/// Checks the double indirect block's list of primary reserved GDT blocks,
/// and each one's list of its copies in the `backups` groups; e2fsck checks
/// the first quarter of the reserved blocks.
fn reserved_gdt_problem(
    view: &View<'_>,
    sb: &Superblock,
    dind_bytes: &[u8],
    backups: &[u64],
) -> Option<ResizeProblem> {
    let per_block = u64::from(sb.block_size) / 4;
    let mut gdt_off = sb.desc_blocks();
    let mut primary = u64::from(sb.first_data_block) + 1 + sb.desc_blocks();
    if sb.block_size == 1024 && sb.first_data_block == 0 {
        primary += 1; // 1 KiB bigalloc: the superblock is in block 1
    }
    for _ in 0..sb.reserved_gdt_blocks / 4 {
        gdt_off %= per_block;
        let listed = u64::from(le32(dind_bytes, (gdt_off * 4) as usize));
        if listed != primary {
            return Some(ResizeProblem::WrongGdtBlock {
                listed,
                primary,
                slot: gdt_off,
            });
        }
        let Some(ind) = read_block(view, sb, primary) else {
            return Some(ResizeProblem::GdtUnreadable { primary });
        };
        for (k, &group) in backups.iter().enumerate() {
            let expect =
                primary.saturating_add(group.saturating_mul(u64::from(sb.blocks_per_group)));
            let listed = u64::from(le32(ind, k * 4));
            if listed != expect {
                return Some(ResizeProblem::WrongBackupCopy {
                    listed,
                    group,
                    primary,
                    expect,
                });
            }
        }
        gdt_off += 1;
        primary += 1;
    }
    None
}
