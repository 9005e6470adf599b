//! The directory tree from the root: every name, as [`Names`]. Short-form
//! directories are read from the inode's data fork, the others from their
//! data blocks (file blocks below the leaf offset), one directory block
//! (`dir_bs`, possibly several filesystem blocks in several extents) at a
//! time; [`dir`] decodes the entries.

use std::collections::{HashSet, VecDeque};

use crate::fs::Progress;
use crate::image::View;
use crate::model::{BlockRun, Code, FileType, Finding, Names, Role, name_from_bytes};

use super::dir;
use super::modelled::{Modelled, hidden};
use super::sb::Geo;

/// Directory blocks read per directory at most, and names kept per inode.
const MAX_DIR_BLOCKS: u64 = 1 << 20;
const MAX_NAMES_PER_INODE: usize = 64;

/// The directory tree from the root: every name, as [`Names`].
pub(super) fn names(
    view: &View<'_>,
    geo: &Geo,
    m: &mut Modelled,
    ino_ags: &HashSet<u32>,
    progress: &dyn Progress,
    findings: &mut Vec<Finding>,
) -> Names {
    let mut walk = NameWalk {
        view,
        geo,
        m,
        ino_ags,
        names: Names::default(),
        queue: VecDeque::new(),
        seen: HashSet::from([geo.rootino]),
        budget: view.len().saturating_mul(4),
        findings,
    };
    if walk.root() {
        let mut done = 0u64;
        while let Some((dir_ino, dir_name)) = walk.queue.pop_front() {
            done += 1;
            progress.step("directories", done, done + walk.queue.len() as u64);
            walk.directory(dir_ino, dir_name);
        }
    }
    walk.names
}

/// The breadth-first walk of the tree.
struct NameWalk<'a, 'v> {
    view: &'a View<'v>,
    geo: &'a Geo,
    m: &'a mut Modelled,
    ino_ags: &'a HashSet<u32>,
    names: Names,
    /// Directories to read: (inode, its name).
    queue: VecDeque<(u64, u32)>,
    /// Directories queued so far: each is read once.
    seen: HashSet<u64>,
    /// Bytes of directory blocks left to read (four times the image).
    budget: u64,
    findings: &'a mut Vec<Finding>,
}

/// The directory being read, for findings.
struct Dir<'p> {
    ino: u64,
    path: &'p str,
}

impl Dir<'_> {
    fn bad(&self, why: impl std::fmt::Display, findings: &mut Vec<Finding>) {
        findings.push(
            Finding::new(
                Code::BadDirectoryEntry,
                format!("directory {} (inode {}): {why}", self.path, self.ino),
            )
            .with_inodes([self.ino]),
        );
    }
}

impl NameWalk<'_, '_> {
    /// Names the root and queues it; false when it is no in-use directory.
    fn root(&mut self) -> bool {
        let Some(root_id) = self.names.push(None, "") else {
            return false;
        };
        let m = &mut *self.m;
        let Some(&root) = m.by_ino.get(&self.geo.rootino).filter(|&&i| {
            m.found
                .get(i)
                .is_some_and(|(n, _)| n.file_type == FileType::Directory)
        }) else {
            self.findings.push(Finding::new(
                Code::NoRootDirectory,
                format!(
                    "the root inode {} is not an in-use directory: no names can be resolved",
                    self.geo.rootino
                ),
            ));
            return false;
        };
        if let Some((inode, _)) = m.found.get_mut(root) {
            self.names.add_to(inode, root_id);
        }
        self.queue.push_back((self.geo.rootino, root_id));
        true
    }

    /// Reads one directory and names what it lists.
    fn directory(&mut self, dir_ino: u64, dir_name: u32) {
        let Some(runs) = self
            .m
            .by_ino
            .get(&dir_ino)
            .and_then(|&i| self.m.found.get(i))
            .map(|(_, runs)| runs.clone())
        else {
            return;
        };
        let path = self.names.path(dir_name);
        let dir = Dir {
            ino: dir_ino,
            path: &path,
        };
        let mut entries: Vec<(u64, Vec<u8>)> = Vec::new();
        if let Some(fork) = self.m.local_dirs.get(&dir_ino) {
            if let Err(why) = dir::shortform(fork, self.geo, &mut entries) {
                dir.bad(why, self.findings);
            }
        } else {
            self.data_blocks(&dir, &runs, &mut entries);
        }
        for (ino, name) in entries {
            if name == b"." || name == b".." {
                continue;
            }
            self.link(&dir, dir_name, ino, &name_from_bytes(&name));
        }
    }

    /// The entries of a block, leaf or node directory's data blocks.
    fn data_blocks(&mut self, dir: &Dir<'_>, runs: &[BlockRun], entries: &mut Vec<(u64, Vec<u8>)>) {
        let geo = self.geo;
        let blocks = data_block_map(runs, dir::LEAF_OFFSET / geo.bs);
        let per_dir_block = geo.dir_bs / geo.bs;
        for &(l, b) in &blocks {
            if l % per_dir_block != 0 {
                continue;
            }
            if self.budget < geo.dir_bs {
                self.findings.push(Finding::new(
                    Code::WalkBudgetExceeded,
                    format!(
                        "directories read more than four times the image; the walk stopped in {}",
                        dir.path
                    ),
                ));
                break;
            }
            self.budget -= geo.dir_bs;
            let Some(bytes) = self.read_dir_block(&blocks, l, b) else {
                dir.bad(
                    format!("directory block at file block {l} cannot be read"),
                    self.findings,
                );
                continue;
            };
            self.check_dir_block(dir, &bytes, l, b);
            if let Err(why) = dir::data_block(&bytes, geo, entries) {
                dir.bad(
                    format!("directory block at file block {l}: {why}"),
                    self.findings,
                );
            }
        }
    }

    /// The `dir_bs` bytes of the directory block at file block `l`
    /// (physical block `b`): it spans `dir_bs / bs` file blocks, which may
    /// lie in different extents. None if one of them cannot be read.
    fn read_dir_block(&self, blocks: &[(u64, u64)], l: u64, b: u64) -> Option<Vec<u8>> {
        let geo = self.geo;
        let mut bytes = Vec::with_capacity(geo.dir_bs as usize);
        let mut ok = true;
        for j in 0..geo.dir_bs / geo.bs {
            let phys = if j == 0 {
                Some(b)
            } else {
                // Sorted by file block: a binary search, not a scan.
                blocks
                    .binary_search_by_key(&l.saturating_add(j), |&(ll, _)| ll)
                    .ok()
                    .and_then(|i| blocks.get(i))
                    .map(|&(_, p)| p)
            };
            match phys.and_then(|p| {
                self.view
                    .read(p.saturating_mul(geo.bs), geo.bs as usize)
                    .ok()
            }) {
                Some(data) => bytes.extend_from_slice(data),
                None => ok = false,
            }
        }
        ok.then_some(bytes)
    }

    /// A v5 directory block's crc32c and self-description (`xfs_dir3_blk_hdr`:
    /// blkno, owner): a block moved or copied from another directory says so.
    fn check_dir_block(&mut self, dir: &Dir<'_>, bytes: &[u8], l: u64, b: u64) {
        let geo = self.geo;
        if let Some((stored, computed)) = dir::bad_crc(bytes, geo) {
            self.findings.push(
                Finding::new(Code::ChecksumMismatch,
                    format!(
                        "directory {} (inode {}), block at file block {l}: crc32c is {stored:#010x}, computed {computed:#010x}",
                        dir.path, dir.ino
                    ),
                )
                .with_inodes([dir.ino]),
            );
        }
        if let Some((blkno, owner)) = dir::self_description(bytes, geo) {
            let daddr = b.saturating_mul(geo.bs / 512);
            if blkno != daddr || owner != dir.ino {
                dir.bad(
                    format!(
                        "directory block at file block {l} says it is daddr {blkno} of inode {owner}, but lies at daddr {daddr} of this directory (moved or forged)"
                    ),
                    self.findings,
                );
            }
        }
    }

    /// Names inode `ino` `name` in the directory; an inode the inobt does
    /// not list is read as [`hidden`], a subdirectory is queued.
    fn link(&mut self, dir: &Dir<'_>, dir_name: u32, ino: u64, name: &str) {
        let k = match self.m.by_ino.get(&ino) {
            Some(&k) => k,
            None => {
                let path = format!("{}/{name}", dir.path.trim_end_matches('/'));
                match hidden(
                    self.view,
                    self.geo,
                    self.m,
                    self.ino_ags,
                    ino,
                    &path,
                    self.findings,
                ) {
                    Ok(k) => k,
                    Err(why) => {
                        self.findings.push(
                            Finding::new(
                                Code::BadDirectoryEntry,
                                format!("{path} names inode {ino}, which {why}"),
                            )
                            .with_inodes([dir.ino]),
                        );
                        return;
                    }
                }
            }
        };
        let Some(id) = self.names.push(Some(dir_name), name) else {
            return;
        };
        if let Some((inode, _)) = self.m.found.get_mut(k) {
            if self.names.count(inode) < MAX_NAMES_PER_INODE {
                self.names.add_to(inode, id);
            }
            if inode.file_type == FileType::Directory && self.seen.insert(ino) {
                self.queue.push_back((ino, id));
            }
        }
    }
}

/// A directory's data blocks: (file block, physical block) of every file
/// block below the leaf offset (`XFS_DIR2_LEAF_OFFSET`, in file blocks
/// `leaf_block`), sorted by file block.
fn data_block_map(runs: &[BlockRun], leaf_block: u64) -> Vec<(u64, u64)> {
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    for r in runs.iter().filter(|r| r.role == Role::Directory) {
        let Some(logical) = r.logical else { continue };
        for k in 0..r.len.min(MAX_DIR_BLOCKS) {
            let l = logical.saturating_add(k);
            if l >= leaf_block || blocks.len() as u64 >= MAX_DIR_BLOCKS {
                break;
            }
            blocks.push((l, r.start.saturating_add(k)));
        }
    }
    blocks.sort_unstable();
    blocks
}
