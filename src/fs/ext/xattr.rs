//! Extended-attribute blocks (`i_file_acl`): their header, and the sharing
//! their `h_refcount` declares.

use std::collections::HashMap;

use crate::bytes::le32;
use crate::fs::ext::superblock::Superblock;
use crate::image::View;
use crate::model::Code;
use crate::model::{DeclaredSharing, Finding, InodeNo, Role};

/// The xattr block header magic (`h_magic`, fs/ext4/xattr.h).
pub(super) const XATTR_MAGIC: u32 = 0xEA02_0000;

/// Whether `block` starts with the header ext4_xattr_check_block requires of
/// an xattr block: `h_magic` 0xEA020000 and `h_blocks` 1 (struct
/// ext4_xattr_header; the entries are not walked here). Out of range blocks
/// are not readable, so they pass: the analysis reports them out of range.
pub(super) fn xattr_header_valid(view: &View<'_>, sb: &Superblock, block: u64) -> bool {
    if block < u64::from(sb.first_data_block) || block >= sb.blocks_count {
        return true;
    }
    view.read(block.saturating_mul(u64::from(sb.block_size)), 12)
        .is_ok_and(|h| le32(h, 0) == XATTR_MAGIC && le32(h, 8) == 1)
}

/// Reads each referenced xattr block's `h_refcount`: sharing up to it is declared.
pub(super) fn xattr_sharing(
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
