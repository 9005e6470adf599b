//! The directory tree from the root nid: every name, and every inode a
//! name reaches, read as the walk meets it (EROFS has no inode table to
//! sweep). A directory's bytes are its blocks, then its inline tail.
//!
//! Sources: Linux `fs/erofs/dir.c`, `fs/erofs/namei.c`, `erofs_fs.h`
//! (`struct erofs_dirent`).

use std::collections::{HashMap, HashSet, VecDeque};

use crate::bytes::{le16, le64};
use crate::fs::Progress;
use crate::image::View;
use crate::model::{BlockRun, Code, FileType, Finding, Inode, Names, name_from_bytes};

use super::inode::{Seen, model_inode, read_slot};
use super::sb::Super;
use super::{COMPRESSED_COMPACT, COMPRESSED_FULL, FLAT_INLINE};

/// Directory blocks read per directory at most, and names listed per inode.
const MAX_DIR_BLOCKS: u64 = 1 << 20;
const MAX_NAMES_PER_INODE: usize = 64;

/// What the walk found: the names, and every inode with its runs.
pub(super) struct Tree {
    pub names: Names,
    pub found: Vec<(Inode, Vec<BlockRun>)>,
}

/// Walks the tree from the root nid, breadth first.
pub(super) fn tree(
    view: &View<'_>,
    sb: &Super,
    seen: &mut Seen,
    progress: &dyn Progress,
    findings: &mut Vec<Finding>,
) -> Tree {
    let mut walk = Walk {
        view,
        sb,
        seen,
        findings,
        names: Names::default(),
        found: Vec::new(),
        by_nid: HashMap::new(),
        queue: VecDeque::new(),
        dirs_seen: HashSet::new(),
        budget: view.len().saturating_mul(4),
        buffer: Vec::new(),
    };
    walk.root();
    let mut done = 0u64;
    while let Some((dir_nid, dir_name)) = walk.queue.pop_front() {
        done += 1;
        progress.step("directories", done, done + walk.queue.len() as u64);
        walk.directory(dir_nid, dir_name);
    }
    Tree {
        names: walk.names,
        found: walk.found,
    }
}

struct Walk<'a, 'v> {
    view: &'a View<'v>,
    sb: &'a Super,
    seen: &'a mut Seen,
    findings: &'a mut Vec<Finding>,
    names: Names,
    found: Vec<(Inode, Vec<BlockRun>)>,
    by_nid: HashMap<u64, usize>,
    /// Directories to read: (nid, its name).
    queue: VecDeque<(u64, u32)>,
    /// Directories queued so far: each is read once.
    dirs_seen: HashSet<u64>,
    /// Directory bytes left to read (four times the image).
    budget: u64,
    buffer: Vec<u8>,
}

impl Walk<'_, '_> {
    /// Models the root directory and queues it.
    fn root(&mut self) {
        let root_nid = self.sb.root_nid;
        let root_name = self.names.push(None, "");
        match (read_slot(self.view, self.sb, root_nid), root_name) {
            (Ok(slot), Some(id))
                if FileType::from_mode(u32::from(slot.mode)) == FileType::Directory =>
            {
                self.dirs_seen.insert(slot.nid);
                self.queue.push_back((slot.nid, id));
                let (inode, runs) =
                    model_inode(self.view, self.sb, &slot, self.seen, self.findings);
                self.by_nid.insert(slot.nid, self.found.len());
                self.found.push((inode, runs));
                if let Some((inode, _)) = self.found.last_mut() {
                    self.names.add_to(inode, id);
                }
            }
            (Err(why), _) => self.findings.push(Finding::new(
                Code::NoRootDirectory,
                format!("the root directory (nid {root_nid}) cannot be read: {why}"),
            )),
            _ => self.findings.push(Finding::new(
                Code::NoRootDirectory,
                format!("the root nid {root_nid} is not a directory: no names can be resolved"),
            )),
        }
    }

    /// Reads one directory and names what it lists.
    fn directory(&mut self, dir_nid: u64, dir_name: u32) {
        let Some(&i) = self.by_nid.get(&dir_nid) else {
            return;
        };
        let Some((dir, runs)) = self.found.get(i) else {
            return;
        };
        let dir_path = self.names.path(dir_name);
        // A directory is stored plain: compressed bytes are no dirents.
        if matches!(
            u16::try_from(dir.flags),
            Ok(COMPRESSED_FULL | COMPRESSED_COMPACT)
        ) {
            self.findings.push(
                Finding::new(Code::BadDirectoryEntry,
                    format!("directory {dir_path} (nid {dir_nid}) is compressed: its entries are not read"),
                )
                .with_inodes([dir_nid]),
            );
            return;
        }
        let pieces = self.pieces(dir_nid, dir.size, runs);
        let entries = self.entries(dir_nid, &dir_path, pieces);
        for (nid, name) in entries {
            if name == b"." || name == b".." {
                continue;
            }
            self.link(dir_nid, dir_name, &dir_path, nid, &name_from_bytes(&name));
        }
    }

    /// The directory's bytes, as (byte, length) pieces: its blocks, then
    /// its inline tail.
    fn pieces(&self, dir_nid: u64, dir_size: u64, runs: &[BlockRun]) -> Vec<(u64, u64)> {
        let bs = self.sb.block_size;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut remaining = dir_size;
        for r in runs {
            for k in 0..r.len.min(MAX_DIR_BLOCKS) {
                // A forged size cannot make the list longer than the reads
                // the budget still allows.
                if remaining == 0 || (pieces.len() as u64).saturating_mul(bs) > self.budget {
                    break;
                }
                let take = remaining.min(bs);
                pieces.push((r.start.saturating_add(k).saturating_mul(bs), take));
                remaining -= take;
            }
        }
        if remaining > 0
            && let Ok(slot) = read_slot(self.view, self.sb, dir_nid)
            && slot.layout == FLAT_INLINE
        {
            pieces.push((slot.at + slot.head, remaining.min(bs)));
        }
        pieces
    }

    /// The entries in the directory's pieces, as (nid, name).
    fn entries(
        &mut self,
        dir_nid: u64,
        dir_path: &str,
        pieces: Vec<(u64, u64)>,
    ) -> Vec<(u64, Vec<u8>)> {
        let mut entries: Vec<(u64, Vec<u8>)> = Vec::new();
        for (at, len) in pieces {
            if self.budget < len {
                self.findings.push(Finding::new(Code::WalkBudgetExceeded,
                    format!("directories read more than four times the image; the walk stopped in {dir_path}"),
                ));
                break;
            }
            self.budget -= len;
            self.buffer.resize(len as usize, 0);
            if self.view.read_into(at, &mut self.buffer).is_err() {
                self.findings.push(
                    Finding::new(Code::TruncatedImage,
                        format!("directory {dir_path} (nid {dir_nid}): byte {at:#x} lies past the end of the image"),
                    )
                    .with_inodes([dir_nid]),
                );
                break;
            }
            if let Err(why) = dirents(&self.buffer, &mut entries) {
                self.findings.push(
                    Finding::new(
                        Code::BadDirectoryEntry,
                        format!("directory {dir_path} (nid {dir_nid}), byte {at:#x}: {why}"),
                    )
                    .with_inodes([dir_nid]),
                );
            }
        }
        entries
    }

    /// Names `nid` `name` in the directory; an inode met for the first
    /// time is read and modelled, a subdirectory queued.
    fn link(&mut self, dir_nid: u64, dir_name: u32, dir_path: &str, nid: u64, name: &str) {
        let Some(id) = self.names.push(Some(dir_name), name) else {
            return;
        };
        if let Some(&k) = self.by_nid.get(&nid) {
            if let Some((inode, _)) = self.found.get_mut(k)
                && self.names.count(inode) < MAX_NAMES_PER_INODE
            {
                self.names.add_to(inode, id);
            }
            return;
        }
        let slot = match read_slot(self.view, self.sb, nid) {
            Ok(slot) => slot,
            Err(why) => {
                self.findings.push(
                    Finding::new(
                        Code::BadDirectoryEntry,
                        format!("{}/{name}: {why}", dir_path.trim_end_matches('/')),
                    )
                    .with_inodes([dir_nid]),
                );
                return;
            }
        };
        let (mut inode, runs) = model_inode(self.view, self.sb, &slot, self.seen, self.findings);
        self.names.add_to(&mut inode, id);
        if inode.file_type == FileType::Directory && self.dirs_seen.insert(nid) {
            self.queue.push_back((nid, id));
        }
        self.by_nid.insert(nid, self.found.len());
        self.found.push((inode, runs));
    }
}

/// Why a directory block's entries cannot all be read: which entry, where
/// its name lies in the block, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum DirentError {
    /// The first entry's nameoff, which gives the entry count.
    #[error("the first name offset {first} is not a multiple of 12 inside the block")]
    FirstNameOffset { first: usize },
    #[error("entry {entry}'s name ({start}..{end}) lies outside the block")]
    NameOutside {
        entry: usize,
        start: usize,
        end: usize,
    },
    #[error("entry {entry} has an empty name")]
    EmptyName { entry: usize },
}

/// The entries of one directory block: `erofs_dirent` {nid le64, nameoff
/// le16, file_type, reserved}; the first nameoff / 12 is the entry count;
/// names run from their nameoff to the next one's (the last to the block end
/// or the first NUL).
fn dirents(block: &[u8], out: &mut Vec<(u64, Vec<u8>)>) -> Result<(), DirentError> {
    let first = usize::from(le16(block, 8));
    if block.len() < 12 || first < 12 || first % 12 != 0 || first > block.len() {
        return Err(DirentError::FirstNameOffset { first });
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
            return Err(DirentError::NameOutside {
                entry: k,
                start,
                end,
            });
        };
        let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
        if name.is_empty() {
            return Err(DirentError::EmptyName { entry: k });
        }
        out.push((le64(e, 0), name.to_vec()));
    }
    Ok(())
}
