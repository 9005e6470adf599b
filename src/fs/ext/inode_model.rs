//! From a raw inode-table slot to the model's inode: in use or deleted,
//! the blocks it claims, its role, a fast symlink's target.

use std::collections::HashMap;

use crate::bytes::le32;
use crate::fs::ext::groups::GroupDesc;
use crate::fs::ext::inode::{self, RawInode, flags};
use crate::fs::ext::resize::resize_inode_problem;
use crate::fs::ext::superblock::{Superblock, compat};
use crate::fs::ext::xattr::xattr_header_valid;
use crate::fs::ext::{BAD_BLOCKS_INO, RESIZE_INO, blockmap};
use crate::image::View;
use crate::model::Code;
use crate::model::{BlockRun, FileType, Finding, Inode, InodeNo, NO_NAME, Role, RunSpan};

/// The inode-table slot of inode `ino`, read again (for an inode a
/// findings-only parse left out of the model).
pub(super) fn read_raw_inode<'a>(
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

/// Whether a free inode is a deleted file: a non-reserved slot with a mode,
/// no links and `i_dtime` set (struct ext4_inode: the kernel and debugfs
/// `kill_file` set it when the inode is freed; a slot never used has none).
/// Orphans being deleted also have links 0 and dtime (the next orphan) but
/// are still marked in the inode bitmap, which the caller checks.
pub(super) fn deleted(sb: &Superblock, ri: &RawInode<'_>) -> bool {
    ri.ino >= u64::from(sb.first_ino) && ri.links == 0 && ri.mode != 0 && ri.dtime != 0
}

/// A deleted inode for the model: its old block map, read as it was left
/// (ext2 and debugfs keep the pointers, the ext3/ext4 kernel usually clears
/// them). What the stale map says is history, so its structural problems are
/// not findings, and its xattr block (still shared by others, or long gone) is
/// not part of what it held.
pub(super) fn deleted_inode(
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
pub(super) fn model_inode(ri: &RawInode<'_>, runs: RunSpan) -> Inode {
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
pub(super) fn in_use(sb: &Superblock, ri: &RawInode<'_>) -> bool {
    if ri.ino < u64::from(sb.first_ino) {
        ri.mode != 0 || ri.links != 0 || ri.i_block.iter().any(|&b| b != 0) || ri.file_acl != 0
    } else {
        ri.links > 0
    }
}

/// The role of an inode's file blocks.
pub(super) fn data_role(sb: &Superblock, ri: &RawInode<'_>) -> Role {
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
pub(super) fn map_inode(
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

/// Decides whether a symlink keeps its target in `i_block`, the way the kernel
/// does (`ext4_inode_is_fast_symlink`), and reports when e2fsprogs'
/// rule (`ext2fs_is_fast_symlink`: 0 < i_size < 60) disagrees: the same inode is
/// then text to one and block pointers to the other.
pub(super) fn fast_symlink(
    sb: &Superblock,
    ri: &RawInode<'_>,
    findings: &mut Vec<Finding>,
) -> bool {
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
