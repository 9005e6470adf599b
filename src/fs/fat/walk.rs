//! The breadth-first walk of a FAT directory tree: every live entry an
//! inode with its cluster chain as claims, every deleted entry an inode
//! with where its data was, the root directory's volume label.
//!
//! Sources: Microsoft "FAT32 File System Specification" 1.03, sections 6
//! and 7 (directory entries, long names, in [`dir`]) and 4 (chains, in
//! [`table`]); The Sleuth Kit `tsk/fs/fatfs_meta.c` for its inode numbers.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::fs::Progress;
use crate::image::View;
use crate::model::{
    BlockRun, Code, FileType, Finding, Inode, InodeNo, NO_NAME, NameId, Names, Role, RunSpan,
    Severity,
};

use super::ROOT_INO;
use super::bpb::{Bpb, FatKind};
use super::dir::{self, ATTR_DIRECTORY, ATTR_READ_ONLY, Reader, Slot};
use super::table::{self, Chain, ChainProblem, Fat};

/// The Sleuth Kit's first inode number for a directory entry
/// (`FATFS_FIRST_NORMINO`).
const FIRST_ENTRY_INO: InodeNo = 3;
/// Structural problems listed per directory; the rest are counted.
const MAX_PROBLEMS_PER_DIR: usize = 16;

/// The highest inode number a directory entry can have (The Sleuth Kit adds
/// its virtual files after it).
pub(super) fn last_entry_ino(bpb: &Bpb) -> u64 {
    let per_sector = u64::from(bpb.bytes_per_sector) / dir::ENTRY as u64;
    bpb.total_sectors
        .saturating_sub(bpb.first_after_fats)
        .saturating_mul(per_sector)
        .saturating_add(FIRST_ENTRY_INO - 1)
}

/// One directory entry turned into an inode of the model.
pub(super) struct Found {
    pub inode: Inode,
    pub runs: Vec<BlockRun>,
    pub size_problem: Option<Finding>,
}

/// A directory waiting to be read: its inode, its name and its sectors.
struct Pending {
    ino: InodeNo,
    name: NameId,
    sectors: Vec<(u64, u64)>,
}

/// The breadth-first walk of the directory tree.
pub(super) struct Walk<'v, 'b> {
    view: &'v View<'v>,
    bpb: &'b Bpb,
    fat: Fat<'v>,
    pub names: Names,
    pub found: Vec<Found>,
    by_ino: HashMap<InodeNo, usize>,
    pub findings: Vec<Finding>,
    /// Start clusters of the directories queued so far: a directory met twice
    /// (a loop, or two entries sharing one) is read once.
    dirs_seen: HashSet<u32>,
    /// Chain steps left for the whole volume.
    chain_budget: u64,
    /// Directory sectors left to read for the whole volume.
    dir_budget: u64,
    budget_reported: bool,
    /// The root directory's volume-label entry.
    pub label: Option<String>,
}

impl<'v, 'b> Walk<'v, 'b> {
    pub(super) fn new(
        view: &'v View<'v>,
        bpb: &'b Bpb,
        fat: Fat<'v>,
        findings: Vec<Finding>,
    ) -> Walk<'v, 'b> {
        Walk {
            view,
            bpb,
            fat,
            names: Names::default(),
            found: Vec::new(),
            by_ino: HashMap::new(),
            findings,
            dirs_seen: HashSet::new(),
            // Merged chains are walked once per file that reaches them: four
            // times the clusters is more than any real volume needs.
            chain_budget: bpb.clusters.saturating_mul(4).saturating_add(1024),
            dir_budget: bpb.total_sectors.saturating_mul(4).saturating_add(64),
            budget_reported: false,
            label: None,
        }
    }

    /// Reads the tree from the root directory.
    pub(super) fn tree(&mut self, progress: &dyn Progress) {
        let Some(root_name) = self.names.push(None, "") else {
            return;
        };
        let (root_sectors, root_runs) = if self.bpb.kind == FatKind::Fat32 {
            let root = self.bpb.root_cluster;
            if root < 2 || u64::from(root) > self.bpb.max_cluster() {
                self.findings.push(Finding::new(Code::BadDirectoryEntry,
                    format!(
                        "the FAT32 root directory starts at cluster {root} (BPB_RootClus), which is not a data cluster (2–{}): no file can be reached",
                        self.bpb.max_cluster()
                    ),
                ).with_severity(Severity::High));
                (Vec::new(), Vec::new())
            } else {
                self.dirs_seen.insert(root);
                let chain = self.chain(root, "/");
                (
                    self.sectors_of(&chain),
                    self.claims(&chain, Role::Directory),
                )
            }
        } else {
            (
                vec![(self.bpb.first_after_fats, self.bpb.root_dir_sectors)],
                Vec::new(),
            )
        };
        let mut root = blank_inode(ROOT_INO, ATTR_DIRECTORY, 0);
        root.sectors = root_runs.iter().map(|r| r.len).sum::<u64>() * self.sector_units();
        self.names.add_to(&mut root, root_name);
        self.add(Found {
            inode: root,
            runs: root_runs,
            size_problem: None,
        });
        let mut queue = VecDeque::from([Pending {
            ino: ROOT_INO,
            name: root_name,
            sectors: root_sectors,
        }]);
        let mut done = 0u64;
        while let Some(dir) = queue.pop_front() {
            let children = self.read_directory(&dir, dir.ino == ROOT_INO);
            queue.extend(children);
            done += 1;
            progress.step("directories", done, done + queue.len() as u64);
        }
    }

    /// 512-byte units per sector (for `Inode::sectors`).
    fn sector_units(&self) -> u64 {
        u64::from(self.bpb.bytes_per_sector) / 512
    }

    fn add(&mut self, f: Found) {
        self.by_ino.insert(f.inode.ino, self.found.len());
        self.found.push(f);
    }

    fn chain(&mut self, start: u32, path: &str) -> Chain {
        let chain = table::walk(
            &self.fat,
            start,
            self.bpb.max_cluster(),
            &mut self.chain_budget,
        );
        if let Some(problem) = &chain.problem {
            self.chain_problem(problem, path);
        }
        chain
    }

    fn chain_problem(&mut self, problem: &ChainProblem, path: &str) {
        let what = match problem {
            ChainProblem::Loop { at, back_to } => format!(
                "loops: cluster {at} links back to cluster {back_to}, already in the chain (the file never ends; a driver or tool that follows it reads or frees the same clusters again)"
            ),
            ChainProblem::Free(c) => format!(
                "reaches cluster {c}, which the FAT marks free: the next allocation can hand it to another file"
            ),
            ChainProblem::Bad(c) => format!("reaches cluster {c}, which the FAT marks bad"),
            ChainProblem::Reserved { at, value } => {
                format!("has entry {value:#x} (reserved, not a cluster) in cluster {at}")
            }
            ChainProblem::OutOfRange { at, value } => format!(
                "links from cluster {at} to cluster {value}, past the last cluster of the volume ({})",
                self.bpb.max_cluster()
            ),
            ChainProblem::Unreadable(c) => {
                format!("reaches cluster {c}, whose FAT entry lies past the end of the image")
            }
            ChainProblem::Budget => {
                if self.budget_reported {
                    return;
                }
                self.budget_reported = true;
                self.findings.push(Finding::new(Code::WalkBudgetExceeded,
                    format!(
                        "the cluster chains of this volume take more than four steps per cluster to walk (chains that merge over and over): the walk stopped at {}; files after it may be missing claims",
                        path
                    ),
                ));
                return;
            }
        };
        self.findings.push(Finding::new(
            Code::BadClusterChain,
            format!("the cluster chain of {path} {what}"),
        ));
    }

    /// The sectors of a chain, as (first sector, count) runs.
    fn sectors_of(&self, chain: &Chain) -> Vec<(u64, u64)> {
        let spc = u64::from(self.bpb.sectors_per_cluster);
        chain
            .runs
            .iter()
            .map(|&(first, n)| (self.bpb.cluster_sector(first), u64::from(n) * spc))
            .collect()
    }

    /// A chain as claims: one run per stretch of consecutive clusters.
    fn claims(&self, chain: &Chain, role: Role) -> Vec<BlockRun> {
        let spc = u64::from(self.bpb.sectors_per_cluster);
        let mut logical = 0u64;
        chain
            .runs
            .iter()
            .map(|&(first, n)| {
                let run = BlockRun {
                    logical: Some(logical),
                    start: self.bpb.cluster_sector(first),
                    len: u64::from(n) * spc,
                    role,
                    unwritten: false,
                };
                logical += u64::from(n) * spc;
                run
            })
            .collect()
    }

    /// Reads one directory's entries; returns the subdirectories to read.
    fn read_directory(&mut self, dir: &Pending, is_root: bool) -> Vec<Pending> {
        let ss = u64::from(self.bpb.bytes_per_sector);
        let per_sector = ss / dir::ENTRY as u64;
        let is_fat32 = self.bpb.kind == FatKind::Fat32;
        let dir_path = self.names.path(dir.name);
        let mut reader = Reader::default();
        let mut buffer = vec![0u8; ss as usize];
        let mut problems = 0usize;
        let mut subdirs = Vec::new();
        'sectors: for &(first, count) in &dir.sectors {
            for sector in first..first.saturating_add(count) {
                if self.dir_budget == 0 {
                    if !self.budget_reported {
                        self.budget_reported = true;
                        self.findings.push(Finding::new(Code::WalkBudgetExceeded,
                            format!(
                                "directories of this volume take more than four reads per sector (directories that share clusters): the walk stopped in {dir_path}"
                            ),
                        ));
                    }
                    break 'sectors;
                }
                self.dir_budget -= 1;
                if self
                    .view
                    .read_into(sector.saturating_mul(ss), &mut buffer)
                    .is_err()
                {
                    self.findings.push(
                        Finding::new(Code::TruncatedImage,
                            format!("directory {dir_path}: sector {sector} lies past the end of the image"),
                        )
                        .with_inodes([dir.ino]),
                    );
                    break 'sectors;
                }
                let first_ino = sector
                    .saturating_sub(self.bpb.first_after_fats)
                    .saturating_mul(per_sector)
                    .saturating_add(FIRST_ENTRY_INO);
                for (k, slot) in buffer.chunks_exact(dir::ENTRY).enumerate() {
                    let ino = first_ino.saturating_add(k as u64);
                    let (slot, problem) = reader.slot(slot, is_fat32);
                    if let Some(p) = problem {
                        problems += 1;
                        if problems <= MAX_PROBLEMS_PER_DIR {
                            self.findings.push(
                                Finding::new(
                                    Code::BadDirectoryEntry,
                                    format!(
                                        "directory {dir_path}, sector {sector}, entry {k}: {p}"
                                    ),
                                )
                                .with_inodes([dir.ino])
                                .with_blocks([[sector, 1]]),
                            );
                        }
                    }
                    match slot {
                        Slot::End => break 'sectors,
                        Slot::Skip => {}
                        Slot::Entry(e) => {
                            if let Some(sub) = self.entry(dir, &dir_path, ino, e) {
                                subdirs.push(sub);
                            }
                        }
                        Slot::Deleted(e) => self.deleted(dir, ino, e),
                    }
                }
            }
        }
        if problems > MAX_PROBLEMS_PER_DIR {
            self.findings.push(
                Finding::new(
                    Code::BadDirectoryEntry,
                    format!(
                        "directory {dir_path}: {} more problems not listed",
                        problems - MAX_PROBLEMS_PER_DIR
                    ),
                )
                .with_inodes([dir.ino]),
            );
        }
        if is_root && let Some(label) = reader.label {
            self.label = Some(label);
        }
        subdirs
    }

    /// One live entry: its inode, name and claims; a subdirectory to read.
    fn entry(
        &mut self,
        dir: &Pending,
        dir_path: &str,
        ino: InodeNo,
        e: dir::Entry,
    ) -> Option<Pending> {
        let name_id = self.names.push(Some(dir.name), &e.name)?;
        let path = self.names.path(name_id);
        if let Some(&i) = self.by_ino.get(&ino) {
            // The same entry reached through a second directory (shared
            // directory clusters): one inode, one more name.
            if let Some(f) = self.found.get_mut(i) {
                self.names.add_to(&mut f.inode, name_id);
            }
            return None;
        }
        let role = if e.is_dir() {
            Role::Directory
        } else {
            Role::Data
        };
        let chain = self.first_cluster(&e, &path, ino);
        let runs = chain
            .as_ref()
            .map(|c| self.claims(c, role))
            .unwrap_or_default();
        let size_problem = chain
            .as_ref()
            .and_then(|c| self.size_problem(&e, c, &path, ino));
        // A directory entry records size 0; like The Sleuth Kit, a
        // directory's size is its chain's.
        let size = match &chain {
            Some(c) if e.is_dir() => c.length.saturating_mul(self.bpb.cluster_bytes()),
            _ => u64::from(e.size),
        };
        let mut inode = blank_inode(ino, e.attr, size);
        inode.mtime = e.mtime;
        inode.atime = e.atime;
        inode.crtime = Some(e.crtime);
        inode.sectors = runs.iter().map(|r| r.len).sum::<u64>() * self.sector_units();
        self.names.add_to(&mut inode, name_id);
        self.add(Found {
            inode,
            runs,
            size_problem,
        });
        let chain = chain?;
        if !e.is_dir() {
            return None;
        }
        let start = e.start_cluster;
        if !self.dirs_seen.insert(start) {
            self.findings.push(
                Finding::new(Code::BadDirectory,
                    format!(
                        "{path} (in {dir_path}) starts at cluster {start}, which another directory already uses: a directory loop or two directories sharing entries; it is read once"
                    ),
                )
                .with_inodes([dir.ino, ino]),
            );
            return None;
        }
        Some(Pending {
            ino,
            name: name_id,
            sectors: self.sectors_of(&chain),
        })
    }

    /// The chain from the entry's first cluster (DIR_FstClusHI/LO): none
    /// for cluster 0 (an empty file), and none, with a finding, for a
    /// first cluster that is no data cluster (1 is the FAT's reserved
    /// entry; past the last cluster is past the volume).
    fn first_cluster(&mut self, e: &dir::Entry, path: &str, ino: InodeNo) -> Option<Chain> {
        let max = self.bpb.max_cluster();
        let start = e.start_cluster;
        if start == 0 {
            if e.is_dir() || e.size > 0 {
                self.findings.push(
                    Finding::new(
                        Code::BadDirectoryEntry,
                        format!(
                            "{path}: {} but its first cluster is 0 (no clusters)",
                            if e.is_dir() {
                                "a directory".to_string()
                            } else {
                                format!("size {} bytes", e.size)
                            }
                        ),
                    )
                    .with_inodes([ino]),
                );
            }
            None
        } else if start == 1 || u64::from(start) > max {
            self.findings.push(
                Finding::new(Code::BadDirectoryEntry,
                    format!(
                        "{path}: the first cluster is {start}, which is not a data cluster (2–{max}): a driver that follows it reads {}",
                        if start == 1 { "the FAT's reserved entry" } else { "past the end of the volume" }
                    ),
                ).with_severity(Severity::High)
                .with_inodes([ino]),
            );
            None
        } else {
            Some(self.chain(start, path))
        }
    }

    /// A file whose DIR_FileSize needs another number of clusters than its
    /// chain holds (directories have no size; a broken chain says so
    /// already).
    fn size_problem(&self, e: &dir::Entry, c: &Chain, path: &str, ino: InodeNo) -> Option<Finding> {
        if e.is_dir() || c.problem.is_some() {
            return None;
        }
        let expected = u64::from(e.size).div_ceil(self.bpb.cluster_bytes());
        (c.length != expected).then(|| {
            Finding::new(Code::SizeMismatch,
                format!(
                    "{path} is {} bytes ({expected} cluster(s)) but its chain holds {} cluster(s): {}",
                    e.size,
                    c.length,
                    if c.length > expected {
                        "the clusters past the size are allocated to it but never read"
                    } else {
                        "reading past the chain's end fails"
                    }
                ),
            )
            .with_inodes([ino])
        })
    }
}

impl Walk<'_, '_> {
    /// A deleted entry: listed, with where its data was, never a claim. Its
    /// clusters are guessed contiguous from its first one, for as many as
    /// its size needs (the FAT chain is freed), as The Sleuth Kit does.
    fn deleted(&mut self, dir: &Pending, ino: InodeNo, e: dir::Entry) {
        if self.by_ino.contains_key(&ino) {
            return;
        }
        let Some(name_id) = self.names.push(Some(dir.name), &e.name) else {
            return;
        };
        let max = self.bpb.max_cluster();
        let start = u64::from(e.start_cluster);
        let wanted = if e.is_dir() {
            1
        } else {
            u64::from(e.size).div_ceil(self.bpb.cluster_bytes())
        };
        let clusters = if start >= 2 && start <= max {
            wanted.min(max - start + 1)
        } else {
            0
        };
        let spc = u64::from(self.bpb.sectors_per_cluster);
        let runs: Vec<BlockRun> = (clusters > 0)
            .then(|| BlockRun {
                logical: Some(0),
                start: self.bpb.cluster_sector(e.start_cluster),
                len: clusters * spc,
                role: if e.is_dir() {
                    Role::Directory
                } else {
                    Role::Data
                },
                unwritten: false,
            })
            .into_iter()
            .collect();
        let mut inode = blank_inode(ino, e.attr, u64::from(e.size));
        inode.deleted = true;
        inode.mtime = e.mtime;
        inode.atime = e.atime;
        inode.crtime = Some(e.crtime);
        self.names.add_to(&mut inode, name_id);
        self.add(Found {
            inode,
            runs,
            size_problem: None,
        });
    }
}

/// An inode for a directory entry, before its times, name and claims.
fn blank_inode(ino: InodeNo, attr: u8, size: u64) -> Inode {
    let dir = attr & ATTR_DIRECTORY != 0;
    // FAT has no owners or permissions (read-only clears the write bits) and
    // no change time (ctime stays 0, unknown, as The Sleuth Kit gives it).
    let perms = if attr & ATTR_READ_ONLY != 0 {
        0o555
    } else {
        0o777
    };
    Inode {
        ino,
        file_type: if dir {
            FileType::Directory
        } else {
            FileType::Regular
        },
        mode: if dir { 0o040000 } else { 0o100000 } | perms,
        uid: 0,
        gid: 0,
        size,
        links: 1,
        atime: 0,
        mtime: 0,
        ctime: 0,
        crtime: None,
        sectors: 0,
        flags: u32::from(attr),
        first_name: NO_NAME,
        runs: RunSpan::default(),
        hidden: None,
        released_at_mount: None,
        deleted: false,
    }
}
