//! How an inode maps its blocks: extent trees and classic indirect block maps,
//! turned into [`BlockRun`]s with a role, with every anomaly a finding.
//!
//! Sources: Documentation/filesystems/ext4/ifork.rst (`struct ext4_extent_header`,
//! `ext4_extent_idx`, `ext4_extent`, `ext4_extent_tail`), blocks.rst;
//! fs/ext4/ext4_extents.h; e2fsprogs e2fsck/pass1.c (`scan_extent_node`).
//!
//! Both walks are iterative with a visited set of tree/indirect blocks, so a
//! block that points at itself or an ancestor is read once and reported; the
//! depth is bounded by the format (extent trees ≤ 5 levels, indirect ≤ 3).

use std::collections::HashSet;

use crate::bytes::{le16, le32};
use crate::fs::ext::csum::raw_crc32c;
use crate::fs::ext::inode::RawInode;
use crate::fs::ext::superblock::Superblock;
use crate::image::View;
use crate::model::Code;
use crate::model::{BlockRun, Finding, Role, Severity};

const EXTENT_MAGIC: u16 = 0xF30A;
const EXTENT_HEADER_LEN: usize = 12;
const EXTENT_ENTRY_LEN: usize = 12;
/// fs/ext4/ext4_extents.h: EXT4_MAX_EXTENT_DEPTH is 5.
const MAX_EXTENT_DEPTH: u16 = 5;
/// ee_len above this marks an unwritten extent of (ee_len − 32768) blocks;
/// exactly 32768 is an initialised extent of 32768 blocks.
const EXT_INIT_MAX_LEN: u16 = 32768;

/// Mapping one inode: its runs are appended to a shared arena (one allocation
/// for a whole group of inodes, not one per inode), its findings collected.
pub struct Mapping<'r> {
    runs: &'r mut Vec<BlockRun>,
    /// Where this inode's runs start in the arena: never merge across it.
    first: usize,
    pub findings: Vec<Finding>,
}

impl<'r> Mapping<'r> {
    pub fn new(runs: &'r mut Vec<BlockRun>) -> Mapping<'r> {
        let first = runs.len();
        Mapping {
            runs,
            first,
            findings: Vec::new(),
        }
    }

    /// Runs this inode has mapped so far.
    pub fn runs(&self) -> &[BlockRun] {
        self.runs.get(self.first..).unwrap_or(&[])
    }

    fn finding(&mut self, severity: Severity, code: Code, ino: u64, msg: String) {
        self.findings.push(
            Finding::new(code, msg)
                .with_severity(severity)
                .with_inodes([ino]),
        );
    }

    /// Appends a file-block mapping, merging it into the previous run when it
    /// continues it both logically and physically.
    fn push_file_block(&mut self, logical: u64, physical: u64, role: Role) {
        let mine = self.runs.len() > self.first;
        if let Some(last) = self.runs.last_mut().filter(|_| mine)
            && last.role == role
            && !last.unwritten
            && last.logical.map(|l| l.saturating_add(last.len)) == Some(logical)
            && last.end() == physical
        {
            last.len += 1;
            return;
        }
        self.runs.push(BlockRun {
            logical: Some(logical),
            start: physical,
            len: 1,
            role,
            unwritten: false,
        });
    }

    fn push_meta_block(&mut self, physical: u64, role: Role) {
        self.runs.push(BlockRun {
            logical: None,
            start: physical,
            len: 1,
            role,
            unwritten: false,
        });
    }
}

/// Where an extent node lies, as findings name it.
struct NodePlace(Option<u64>);

impl std::fmt::Display for NodePlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(b) => write!(f, "extent block {b}"),
            None => f.write_str("the in-inode extent root"),
        }
    }
}

/// Whether `block` can be read as part of the filesystem.
fn in_fs(sb: &Superblock, block: u64) -> bool {
    block >= u64::from(sb.first_data_block) && block < sb.blocks_count
}

/// The deepest extent tree walked. The kernel refuses trees deeper than
/// EXT4_MAX_EXTENT_DEPTH (ext4_find_extent: "inode has invalid extent depth"),
/// but e2fsck walks any depth (libext2fs sizes its path by eh_depth), so a
/// cross-link hidden below level 5 is still found; past this bound the tree
/// would need more blocks than any real file has.
const WALK_DEPTH_LIMIT: u16 = 32;

/// A node waiting to be walked: where it lies, the depth its parent requires,
/// and the logical range its parent's index entry gives it (e2fsck pass1.c
/// `scan_extent_node`'s `start_block` / `end_block`; no end for the root and
/// for the last entry of a node whose own range is open).
struct PendingNode {
    at: Option<u64>,
    required_depth: Option<u16>,
    first_logical: u64,
    last_logical: Option<u64>,
}

/// Why e2fsck would skip an extent or index entry: the block or logical
/// range at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum EntryProblem {
    #[error(
        "starts at block {start}, outside the filesystem (blocks {first_data_block}..{blocks_count})"
    )]
    OutsideFs {
        start: u64,
        first_data_block: u32,
        blocks_count: u64,
    },
    #[error(
        "starts at logical block {logical}, before the range its index gives ({first_logical})"
    )]
    BeforeIndexRange { logical: u64, first_logical: u64 },
    #[error("ends at logical block {last}, past the range its index gives (…{end})")]
    PastIndexRange { last: u64, end: u64 },
    #[error(
        "runs from block {start} for {len} blocks, past the end of the filesystem ({blocks_count} blocks)"
    )]
    PastFsEnd {
        start: u64,
        len: u64,
        blocks_count: u64,
    },
    #[error(
        "maps logical block {logical}, which an earlier extent already maps (up to {mapped_to})"
    )]
    AlreadyMapped { logical: u64, mapped_to: u64 },
}

/// Why e2fsck would skip an extent or index entry (pass1.c `scan_extent_node`,
/// checked in its order) — and the kernel refuse the node that holds it
/// (extents.c `ext4_valid_extent_entries`). A skipped entry claims nothing.
fn entry_problem(
    sb: &Superblock,
    node: &PendingNode,
    leaf: bool,
    logical: u64,
    len: u64,
    start: u64,
    next_logical: u64,
) -> Option<EntryProblem> {
    let last = logical.saturating_add(len).saturating_sub(1);
    if start == 0 || start < u64::from(sb.first_data_block) || start >= sb.blocks_count {
        return Some(EntryProblem::OutsideFs {
            start,
            first_data_block: sb.first_data_block,
            blocks_count: sb.blocks_count,
        });
    }
    if logical < node.first_logical {
        return Some(EntryProblem::BeforeIndexRange {
            logical,
            first_logical: node.first_logical,
        });
    }
    if let Some(end) = node.last_logical
        && last > end
    {
        return Some(EntryProblem::PastIndexRange { last, end });
    }
    if !leaf {
        return None;
    }
    if start.saturating_add(len) > sb.blocks_count {
        return Some(EntryProblem::PastFsEnd {
            start,
            len,
            blocks_count: sb.blocks_count,
        });
    }
    if logical < next_logical {
        return Some(EntryProblem::AlreadyMapped {
            logical,
            mapped_to: next_logical.saturating_sub(1),
        });
    }
    None
}

/// Maps an extent-mapped inode.
pub fn map_extents(
    view: &View<'_>,
    sb: &Superblock,
    inode: &RawInode<'_>,
    role: Role,
    m: &mut Mapping<'_>,
) {
    let ino = inode.ino;
    // struct ext4_extent_tail's checksum is seeded per inode:
    // crc32c(s_checksum_seed, le32 inode number ‖ le32 i_generation).
    let inode_seed = sb.metadata_csum().then(|| {
        let ino32 = u32::try_from(ino).unwrap_or(u32::MAX);
        let crc = raw_crc32c(sb.checksum_seed, &ino32.to_le_bytes());
        raw_crc32c(crc, &inode.generation.to_le_bytes())
    });
    let mut walk = ExtentWalk {
        view,
        sb,
        inode,
        role,
        m,
        block_capacity: (sb.block_size as usize - EXTENT_HEADER_LEN) / EXTENT_ENTRY_LEN,
        inode_seed,
        visited: HashSet::new(),
        // A node is read when it is walked, into one buffer per inode.
        buffer: Vec::new(),
        next_logical: 0,
        too_deep_said: false,
    };
    let mut stack: Vec<PendingNode> = vec![PendingNode {
        at: None,
        required_depth: None,
        first_logical: 0,
        last_logical: None,
    }];
    while let Some(pending) = stack.pop() {
        walk.node(&pending, &mut stack);
    }
    // Children were pushed in reverse; runs come out in walk order, which for a
    // well-formed tree is logical order, tree blocks before the data they index.
}

/// The walk of one inode's extent tree.
struct ExtentWalk<'w, 'v, 'r> {
    view: &'w View<'v>,
    sb: &'w Superblock,
    inode: &'w RawInode<'w>,
    role: Role,
    m: &'w mut Mapping<'r>,
    /// Entries a tree block has room for after its header.
    block_capacity: usize,
    /// The extent tail checksum's seed, with metadata_csum.
    inode_seed: Option<u32>,
    /// Tree blocks already walked.
    visited: HashSet<u64>,
    buffer: Vec<u8>,
    /// One past the highest logical block mapped so far (pass1.c `next_lblock`).
    next_logical: u64,
    /// Whether the tree was already reported deeper than the kernel allows.
    too_deep_said: bool,
}

/// The header of an extent node (struct ext4_extent_header).
struct NodeHeader {
    /// eh_entries, at most the node's capacity.
    count: usize,
    /// eh_depth: 0 for a leaf of extents, more for an index node.
    depth: u16,
}

impl ExtentWalk<'_, '_, '_> {
    fn ino(&self) -> u64 {
        self.inode.ino
    }

    /// Walks one node: reads it (the in-inode root is `i_block`), checks its
    /// header and tail, maps its extents and queues its children on `stack`.
    fn node(&mut self, pending: &PendingNode, stack: &mut Vec<PendingNode>) {
        let ino = self.ino();
        let mut buffer = std::mem::take(&mut self.buffer);
        let node: &[u8] = match pending.at {
            None => self.inode.i_block,
            Some(block) => {
                buffer.resize(self.sb.block_size as usize, 0);
                let at = block.saturating_mul(u64::from(self.sb.block_size));
                if let Err(e) = self.view.read_into(at, &mut buffer) {
                    self.m.finding(
                        Severity::High,
                        Code::TruncatedImage,
                        ino,
                        format!("inode {ino}: extent block {block} cannot be read: {e}"),
                    );
                    self.buffer = buffer;
                    return;
                }
                &buffer
            }
        };
        if let Some(header) = self.header(pending, node) {
            let children = self.entries(pending, node, &header);
            self.queue_children(pending, &header, &children, stack);
        }
        self.buffer = buffer;
    }

    /// Checks a node's header (magic, eh_entries against eh_max and the
    /// room the node has, eh_depth against what its parent requires) and
    /// its tail checksum. None when the node is not walked.
    fn header(&mut self, pending: &PendingNode, node: &[u8]) -> Option<NodeHeader> {
        let ino = self.ino();
        // Named only when a finding needs it: no allocation per healthy node.
        let where_ = NodePlace(pending.at);
        let magic = le16(node, 0);
        let entries = le16(node, 2);
        let max = le16(node, 4);
        let depth = le16(node, 6);
        let capacity = if pending.at.is_some() {
            self.block_capacity
        } else {
            4
        };
        if magic != EXTENT_MAGIC {
            self.m.finding(
                Severity::High,
                Code::BadExtentTree,
                ino,
                format!("inode {ino}: {where_} has no extent header (magic {magic:#06x})"),
            );
            return None;
        }
        if entries > max || usize::from(max) > capacity {
            self.m.finding(
                Severity::High,
                Code::BadExtentTree,
                ino,
                format!(
                    "inode {ino}: {where_} claims {entries} entries with eh_max {max}; it has room for {capacity}"
                ),
            );
        }
        if pending.required_depth.is_some_and(|d| d != depth) || depth > WALK_DEPTH_LIMIT {
            self.m.finding(
                Severity::High,
                Code::BadExtentTree,
                ino,
                format!(
                    "inode {ino}: {where_} has eh_depth {depth}{}; the tree is not walked below it",
                    pending
                        .required_depth
                        .map(|d| format!(", its parent requires {d}"))
                        .unwrap_or_default()
                ),
            );
            return None;
        }
        if depth > MAX_EXTENT_DEPTH && !self.too_deep_said {
            self.too_deep_said = true;
            self.m.finding(
                Severity::Medium,
                Code::BadExtentTree,
                ino,
                format!(
                    "inode {ino}: the extent tree is {depth} levels deep; the kernel refuses any file deeper than {MAX_EXTENT_DEPTH} (ext4_find_extent), e2fsck walks it: its blocks are still counted as claims"
                ),
            );
        }
        if let (Some(block), Some(seed)) = (pending.at, self.inode_seed) {
            self.check_tail(block, seed, node, max);
        }
        Some(NodeHeader {
            count: usize::from(entries).min(capacity),
            depth,
        })
    }

    /// struct ext4_extent_tail sits right after eh_max entries: et_checksum,
    /// crc32c of the node up to it.
    fn check_tail(&mut self, block: u64, seed: u32, node: &[u8], max: u16) {
        let ino = self.ino();
        let tail = EXTENT_HEADER_LEN + usize::from(max) * EXTENT_ENTRY_LEN;
        if let (Some(covered), Some(stored)) = (node.get(..tail), node.get(tail..tail + 4)) {
            let stored = le32(stored, 0);
            let computed = raw_crc32c(seed, covered);
            if stored != computed {
                self.m.findings.push(
                    Finding::new(Code::ChecksumMismatch,
                        format!(
                            "inode {ino}: extent block {block} checksum is {stored:#010x}, computed {computed:#010x}"
                        ),
                    )
                    .with_inodes([ino])
                    .with_blocks([[block, 1]]),
                );
            }
        }
    }

    /// The node's entries: a leaf's extents are mapped; an index node's
    /// entries come back as `(child block, first logical, last logical)`.
    fn entries(
        &mut self,
        pending: &PendingNode,
        node: &[u8],
        header: &NodeHeader,
    ) -> Vec<(u64, u64, Option<u64>)> {
        let count = header.count;
        let entry = |i: usize| {
            node.get(EXTENT_HEADER_LEN + i * EXTENT_ENTRY_LEN..)?
                .get(..EXTENT_ENTRY_LEN)
        };
        let mut children = Vec::new();
        for i in 0..count {
            let Some(e) = entry(i) else {
                break;
            };
            let logical = u64::from(le32(e, 0));
            if header.depth == 0 {
                self.extent(pending, e, logical);
            } else {
                // struct ext4_extent_idx: ei_leaf_hi (16 bits) and ei_leaf_lo.
                let child = (u64::from(le16(e, 8)) << 32) | u64::from(le32(e, 4));
                // libext2fs gives an index entry the logical range up to the
                // next entry's start, the last one its parent's end.
                let last_logical = match entry(i + 1).filter(|_| i + 1 < count) {
                    Some(next) => Some(u64::from(le32(next, 0)).saturating_sub(1)),
                    None => pending.last_logical,
                };
                children.push((child, logical, last_logical));
            }
        }
        children
    }

    /// One extent of a leaf (struct ext4_extent: ee_block, ee_len,
    /// ee_start_hi, ee_start_lo), mapped unless e2fsck would skip it.
    fn extent(&mut self, pending: &PendingNode, e: &[u8], logical: u64) {
        let (ino, sb) = (self.ino(), self.sb);
        let where_ = NodePlace(pending.at);
        let raw_len = le16(e, 4);
        let start = (u64::from(le16(e, 6)) << 32) | u64::from(le32(e, 8));
        let (len, unwritten) = if raw_len > EXT_INIT_MAX_LEN {
            (raw_len - EXT_INIT_MAX_LEN, true)
        } else {
            (raw_len, false)
        };
        if len == 0 {
            self.m.finding(
                Severity::High,
                Code::BadExtentTree,
                ino,
                format!(
                    "inode {ino}: {where_} has a zero-length extent at logical block {logical}"
                ),
            );
            return;
        }
        let len = u64::from(len);
        // Wholly outside the filesystem: kept as it is, so that the
        // analysis reports it against the file's name (it claims
        // nothing either way).
        let wholly_outside =
            start >= sb.blocks_count || start.saturating_add(len) <= u64::from(sb.first_data_block);
        if !wholly_outside {
            if let Some(problem) =
                entry_problem(sb, pending, true, logical, len, start, self.next_logical)
            {
                let code = if start.saturating_add(len) > sb.blocks_count
                    || start < u64::from(sb.first_data_block)
                {
                    Code::OutOfRange
                } else {
                    Code::BadExtentTree
                };
                self.m.findings.push(
                    Finding::new(code,
                        format!(
                            "inode {ino}: the extent at logical block {logical} in {where_} {problem}; e2fsck skips it and the kernel refuses the node, so it claims nothing"
                        ),
                    ).with_severity(Severity::High)
                    .with_inodes([ino])
                    .with_blocks([[start, len]]),
                );
                return;
            }
            self.next_logical = self.next_logical.max(logical.saturating_add(len));
        }
        self.m.runs.push(BlockRun {
            logical: Some(logical),
            start,
            len,
            role: self.role,
            unwritten,
        });
    }

    /// Queues an index node's children, in reverse so that they are walked
    /// in logical order: each is a tree block claim, and walked once, unless
    /// e2fsck would skip its subtree.
    fn queue_children(
        &mut self,
        pending: &PendingNode,
        header: &NodeHeader,
        children: &[(u64, u64, Option<u64>)],
        stack: &mut Vec<PendingNode>,
    ) {
        let (ino, sb) = (self.ino(), self.sb);
        let where_ = NodePlace(pending.at);
        for &(child, first_logical, last_logical) in children.iter().rev() {
            if !in_fs(sb, child) {
                self.m.runs.push(BlockRun {
                    logical: None,
                    start: child,
                    len: 1,
                    role: Role::ExtentTree,
                    unwritten: false,
                });
                continue;
            }
            if let Some(problem) = entry_problem(
                sb,
                pending,
                false,
                first_logical,
                last_logical.map_or(1, |l| l.saturating_sub(first_logical).saturating_add(1)),
                child,
                0,
            ) {
                self.m.findings.push(
                    Finding::new(Code::BadExtentTree,
                        format!(
                            "inode {ino}: the index entry for extent block {child} in {where_} {problem}; e2fsck skips that subtree, so it claims nothing"
                        ),
                    )
                    .with_inodes([ino])
                    .with_blocks([[child, 1]]),
                );
                continue;
            }
            if !self.visited.insert(child) {
                self.m.finding(
                    Severity::High,
                    Code::BadExtentTree,
                    ino,
                    format!("inode {ino}: extent block {child} is referenced twice in the tree (a loop or a shared node); walked once"),
                );
                continue;
            }
            self.m.push_meta_block(child, Role::ExtentTree);
            stack.push(PendingNode {
                at: Some(child),
                required_depth: Some(header.depth - 1),
                first_logical,
                last_logical,
            });
        }
    }
}

/// Maps a classic (ext2/ext3) inode: 12 direct pointers, then single, double and
/// triple indirect blocks. A zero pointer is a hole.
pub fn map_indirect(
    view: &View<'_>,
    sb: &Superblock,
    inode: &RawInode<'_>,
    role: Role,
    m: &mut Mapping<'_>,
) {
    let ino = inode.ino;
    let bs = u64::from(sb.block_size);
    let per_block = u64::from(sb.block_size / 4);
    let mut visited: HashSet<u64> = HashSet::new();
    // Indirect blocks are read one at a time into this buffer.
    let mut buffer: Vec<u8> = Vec::new();
    for i in 0..12u64 {
        let b = u64::from(le32(inode.i_block, (i * 4) as usize));
        if b != 0 {
            m.push_file_block(i, b, role);
        }
    }
    // (pointer, levels of indirection below it, first logical block it covers)
    let mut stack: Vec<(u64, u32, u64)> = Vec::new();
    let mut first_logical = 12u64;
    let mut tops = Vec::new();
    for (slot, level) in [(12usize, 1u32), (13, 2), (14, 3)] {
        let b = u64::from(le32(inode.i_block, slot * 4));
        tops.push((b, level, first_logical));
        first_logical = first_logical.saturating_add(per_block.saturating_pow(level));
    }
    for top in tops.into_iter().rev() {
        if top.0 != 0 {
            stack.push(top);
        }
    }
    while let Some((block, level, logical)) = stack.pop() {
        m.push_meta_block(block, Role::Indirect);
        if !in_fs(sb, block) {
            continue; // reported as out of range by the analysis; never read
        }
        if !visited.insert(block) {
            m.finding(
                Severity::High,
                Code::BadBlockMap,
                ino,
                format!("inode {ino}: indirect block {block} is referenced twice; walked once"),
            );
            continue;
        }
        buffer.resize(sb.block_size as usize, 0);
        let bytes: &[u8] = match view.read_into(block.saturating_mul(bs), &mut buffer) {
            Ok(()) => &buffer,
            Err(e) => {
                m.finding(
                    Severity::High,
                    Code::TruncatedImage,
                    ino,
                    format!("inode {ino}: indirect block {block} cannot be read: {e}"),
                );
                continue;
            }
        };
        let span = per_block.saturating_pow(level - 1);
        let mut children = Vec::new();
        for i in 0..per_block {
            let b = u64::from(le32(bytes, (i * 4) as usize));
            if b == 0 {
                continue;
            }
            let child_logical = logical.saturating_add(i.saturating_mul(span));
            if level == 1 {
                m.push_file_block(child_logical, b, role);
            } else {
                children.push((b, level - 1, child_logical));
                // An indirect pointer outside the filesystem ends the walk of
                // this block: libext2fs's block_iterate_dind/tind break out of
                // their loop on the child's BLOCK_ERROR, so e2fsck never sees
                // the pointers after it (and the kernel's
                // ext4_check_indirect_blockref refuses the whole block).
                if !in_fs(sb, b) {
                    break;
                }
            }
        }
        stack.extend(children.into_iter().rev());
    }
}
