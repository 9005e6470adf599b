//! FAT12/16/32: from raw bytes to the common [`Filesystem`] model.
//!
//! Block numbers are sectors relative to the volume start, as The Sleuth
//! Kit's `ifind -d` and `blkstat` take them, so that the boot sector, every
//! FAT copy and the fixed root directory are metadata claims on the same map
//! as the clusters of files. Inode numbers follow The Sleuth Kit's FAT
//! addressing (`FATFS_SECT_2_INODE`): the root is 2, and the directory entry
//! in slot k of sector s is `(s − first sector after the FATs) × entries per
//! sector + k + 3`, so an analyst can take a number to `istat`/`icat` and back.
//!
//! Each file's claims are its cluster chain, walked in the FAT the kernel
//! follows (FAT #1, or the active one of a FAT32 without mirroring). Chains
//! that merge or overlap show up as shared sectors in the analysis; loops,
//! free, bad, reserved or out-of-range links, and sizes that do not fit the
//! chain are findings here. Lost clusters (allocated, on no chain) come out
//! of the allocation comparison as `allocated_but_unclaimed`.

pub mod bpb;
pub mod dir;
mod format;
pub mod roles;
pub use format::FORMAT;
pub mod table;

use std::collections::{HashMap, HashSet, VecDeque};

use crate::bytes::le32;
use crate::fs::Progress;
use crate::image::{ReadError, View};
use crate::model::{
    BlockRun, FileType, Filesystem, Finding, FsInfo, Inode, InodeNo, MetadataRegion, NO_NAME,
    NameId, Names, Role, RunSpan, Severity, Units, coalesce_runs,
};
use crate::model::{Code, Native};

use bpb::{Bpb, FatKind};
use dir::{ATTR_DIRECTORY, ATTR_READ_ONLY, Reader, Slot};
use table::{Chain, ChainProblem, Fat, Next};

/// Why a volume could not be read as FAT at all.
#[derive(Debug, thiserror::Error)]
pub enum FatError {
    #[error("not a usable FAT boot sector: {0}")]
    BootSector(String),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// The Sleuth Kit's inode number of the root directory.
pub const ROOT_INO: InodeNo = 2;
/// Its first inode number for a directory entry (`FATFS_FIRST_NORMINO`).
const FIRST_ENTRY_INO: InodeNo = 3;
/// Structural problems listed per directory; the rest are counted.
const MAX_PROBLEMS_PER_DIR: usize = 16;

/// True if the volume starts with a FAT boot sector.
pub fn probe(view: &View<'_>) -> bool {
    view.read(0, 512).is_ok_and(bpb::probe)
}

/// True if the volume's boot sector is FAT and its geometry holds.
pub fn valid(view: &View<'_>) -> bool {
    view.read(0, 512)
        .is_ok_and(|s| bpb::probe(s) && bpb::parse(s).is_ok())
}

/// Parses the whole volume.
pub fn parse(view: &View<'_>, progress: &dyn Progress) -> Result<Filesystem, FatError> {
    let bpb = bpb::parse(view.read(0, 512)?).map_err(FatError::BootSector)?;
    let ss = u64::from(bpb.bytes_per_sector);
    let mut findings = Vec::new();
    let needed = bpb.total_sectors.saturating_mul(ss);
    if needed > view.len() {
        findings.push(Finding::new(Code::TruncatedImage,
            format!(
                "the FAT volume claims {} sectors ({needed} bytes) but the volume holds {} bytes: it is scanned as far as it goes",
                bpb.total_sectors,
                view.len()
            ),
        ));
    }
    if bpb.kind != bpb.spec_kind {
        findings.push(Finding::new(Code::FatTypeAmbiguous,
            format!(
                "{} clusters make this {} by the specification's rule, but Linux and dosfstools read it as {} (FATSz16 is {}): tools that follow the specification (The Sleuth Kit among them) read a different filesystem than the kernel mounts; it is read here as Linux does",
                bpb.clusters,
                bpb.spec_kind.name().to_uppercase(),
                bpb.kind.name().to_uppercase(),
                if bpb.kind == FatKind::Fat32 { "0" } else { "set" }
            ),
        ));
    }
    let metadata = regions(&bpb);
    let copies: Vec<Option<&[u8]>> = (0..u64::from(bpb.fat_count))
        .map(|i| {
            let at = bpb
                .reserved_sectors
                .saturating_add(i.saturating_mul(bpb.fat_sectors))
                .saturating_mul(ss);
            view.read(
                at,
                usize::try_from(bpb.fat_sectors.saturating_mul(ss)).ok()?,
            )
            .ok()
        })
        .collect();
    let wanted = bpb.active_fat.unwrap_or(0) as usize;
    let (followed, fat_bytes) = match copies.get(wanted).copied().flatten() {
        Some(bytes) => (wanted, bytes),
        None => match copies
            .iter()
            .enumerate()
            .find_map(|(i, c)| c.map(|c| (i, c)))
        {
            Some(found) => found,
            None => (wanted, &[][..]),
        },
    };
    if fat_bytes.is_empty() {
        findings.push(Finding::new(
            Code::TruncatedImage,
            "no copy of the FAT lies inside the image: no cluster chain can be followed",
        ));
    }
    let fat = Fat {
        bytes: fat_bytes,
        kind: bpb.kind,
    };
    compare_copies(&bpb, &copies, followed, &mut findings);
    let (allocated, free) = allocation(&bpb, &fat, &mut findings);
    if bpb.kind == FatKind::Fat32 && !fat_bytes.is_empty() {
        check_fsinfo(view, &bpb, free, &mut findings);
    }

    let mut walk = Walk::new(view, &bpb, fat, findings);
    walk.tree(progress);
    let Walk {
        names,
        mut found,
        mut findings,
        label,
        ..
    } = walk;
    findings.extend(found.iter().flat_map(|f| f.size_problem.clone()));
    found.sort_by_key(|f| f.inode.ino);
    let mut runs = Vec::with_capacity(found.iter().map(|f| f.runs.len()).sum());
    let mut inodes = Vec::with_capacity(found.len());
    for f in found {
        let start = runs.len();
        runs.extend(f.runs);
        let mut inode = f.inode;
        inode.runs = RunSpan::between(start, runs.len());
        inodes.push(inode);
    }
    // The label is the root directory's volume entry, as blkid and Windows
    // take it (libblkid vfat.c: LABEL from the entry, the boot sector's as
    // LABEL_FATBOOT); a boot-sector label that differs is kept as a feature.
    let label = label.unwrap_or_default();
    let bpb_label = trim_label(&bpb.label);
    let mut features = vec![
        format!("{} FATs", bpb.fat_count),
        format!("{}-byte clusters", bpb.cluster_bytes()),
        format!("{} clusters", bpb.clusters),
        format!("follows FAT #{}", followed + 1),
    ];
    if !bpb_label.is_empty() && bpb_label != label {
        features.push(format!("boot sector label {bpb_label:?}"));
    }
    let info = FsInfo {
        fs_type: bpb.kind.name().to_string(),
        block_size: bpb.bytes_per_sector,
        block_count: bpb.total_sectors,
        inode_count: last_entry_ino(&bpb),
        label,
        uuid: format!("{:04X}-{:04X}", bpb.volume_id >> 16, bpb.volume_id & 0xFFFF),
        features,
        groups: 0,
        inodes_in_use: inodes.iter().filter(|n| !n.deleted).count() as u64,
    };
    Ok(Filesystem {
        info,
        inodes,
        metadata,
        runs,
        names,
        allocated: Some(allocated),
        allocation_unknown: Vec::new(),
        first_data_block: 0,
        cluster_blocks: 1,
        declared_sharing: Vec::new(),
        own_metadata_inodes: Vec::new(),
        inode_labels: Vec::new(),
        shared_blocks_declared: false,
        omitted: None,
        units: Units {
            block: "sector",
            allocation_map: "FAT",
            // fsck.fat numbers clusters from 2 at the first data sector.
            native: Native::Clustered {
                first_sector: bpb.first_data_sector,
                per_cluster: u64::from(bpb.sectors_per_cluster).max(1),
            },
        },
        immutable: false,
        slots: Vec::new(),
        findings,
    })
}

/// The highest inode number a directory entry can have (The Sleuth Kit adds
/// its virtual files after it).
fn last_entry_ino(bpb: &Bpb) -> u64 {
    let per_sector = u64::from(bpb.bytes_per_sector) / dir::ENTRY as u64;
    bpb.total_sectors
        .saturating_sub(bpb.first_after_fats)
        .saturating_mul(per_sector)
        .saturating_add(FIRST_ENTRY_INO - 1)
}

fn trim_label(label: &[u8]) -> String {
    let text = String::from_utf8_lossy(label).trim_end().to_string();
    if text == "NO NAME" {
        String::new()
    } else {
        text
    }
}

/// The filesystem's own sectors: reserved (boot sector, FSInfo, backup boot
/// sector), every FAT copy, and the fixed root directory of FAT12/16.
fn regions(bpb: &Bpb) -> Vec<MetadataRegion> {
    let mut out = vec![MetadataRegion {
        start: 0,
        len: bpb.reserved_sectors,
        role: roles::RESERVED,
        group: None,
    }];
    for i in 0..bpb.fat_count {
        out.push(MetadataRegion {
            start: bpb
                .reserved_sectors
                .saturating_add(u64::from(i).saturating_mul(bpb.fat_sectors)),
            len: bpb.fat_sectors,
            role: roles::TABLE,
            group: Some(i),
        });
    }
    if bpb.root_dir_sectors > 0 {
        out.push(MetadataRegion {
            start: bpb.first_after_fats,
            len: bpb.root_dir_sectors,
            role: roles::ROOT_DIRECTORY,
            group: None,
        });
    }
    out
}

/// FAT copies that disagree: which clusters, and which copy is followed.
fn compare_copies(
    bpb: &Bpb,
    copies: &[Option<&[u8]>],
    followed: usize,
    findings: &mut Vec<Finding>,
) {
    let Some(Some(main)) = copies.get(followed) else {
        return;
    };
    let main = Fat {
        bytes: main,
        kind: bpb.kind,
    };
    let last = u32::try_from(bpb.max_cluster()).unwrap_or(u32::MAX);
    for (i, copy) in copies.iter().enumerate() {
        if i == followed {
            continue;
        }
        let Some(copy) = copy else {
            findings.push(
                Finding::new(
                    Code::TruncatedImage,
                    format!("FAT #{} lies past the end of the image", i + 1),
                )
                .with_severity(Severity::Medium),
            );
            continue;
        };
        let other = Fat {
            bytes: copy,
            kind: bpb.kind,
        };
        let differing: Vec<u32> = (2..=last)
            .filter(|&c| main.raw(c) != other.raw(c))
            .collect();
        if differing.is_empty() {
            continue;
        }
        let listed: Vec<String> = differing.iter().take(8).map(u32::to_string).collect();
        let (severity, why) = match bpb.active_fat {
            Some(_) => (
                Severity::Medium,
                "mirroring is off (ExtFlags), so only the active FAT counts, but a tool or driver that reads another copy sees other files",
            ),
            None => (
                Severity::High,
                "the copies should be identical: Linux reads FAT #1, a repair tool may take another copy, and the files each sees differ",
            ),
        };
        findings.push(Finding::new(Code::FatMismatch,
            format!(
                "FAT #{} differs from FAT #{} (followed here) in the entries of {} cluster(s): {}{}; {why}",
                i + 1,
                followed + 1,
                differing.len(),
                listed.join(", "),
                if differing.len() > 8 { ", …" } else { "" }
            ),
        ).with_severity(severity));
    }
}

/// FSInfo (FAT32, spec section 5): lead signature 0x41615252 (0), structure
/// signature 0x61417272 (484), free cluster count (488), next free hint
/// (492), trail signature 0xAA550000 (508). Its counts are hints, but a
/// driver that trusts a wrong free count misjudges the space left.
fn check_fsinfo(view: &View<'_>, bpb: &Bpb, free: u64, findings: &mut Vec<Finding>) {
    let ss = u64::from(bpb.bytes_per_sector);
    let at = u64::from(bpb.fsinfo_sector);
    if at == 0 || at >= bpb.reserved_sectors {
        findings.push(Finding::new(
            Code::BadFsinfo,
            format!(
                "BPB_FSInfo is {at}: the FSInfo sector must lie in the reserved sectors (1–{})",
                bpb.reserved_sectors.saturating_sub(1)
            ),
        ));
        return;
    }
    let Ok(sector) = view.read(at.saturating_mul(ss), 512) else {
        return;
    };
    let signatures = (le32(sector, 0), le32(sector, 484), le32(sector, 508));
    if signatures != (0x4161_5252, 0x6141_7272, 0xAA55_0000) {
        findings.push(
            Finding::new(Code::BadFsinfo,
                format!(
                    "the FSInfo sector ({at}) has signatures {:#010x} {:#010x} {:#010x}, not 0x41615252 0x61417272 0xaa550000: drivers ignore its hints",
                    signatures.0, signatures.1, signatures.2
                ),
            )
            .with_blocks([[at, 1]]),
        );
        return;
    }
    let stored = le32(sector, 488);
    if stored != u32::MAX && u64::from(stored) != free {
        findings.push(
            Finding::new(Code::FsinfoMismatch,
                format!(
                    "FSInfo says {stored} clusters are free but the FAT has {free} free: a driver that trusts the hint misjudges the space left (fsck.fat corrects it)"
                ),
            )
            .with_blocks([[at, 1]]),
        );
    }
}

/// The sectors in use, as the FAT says: the filesystem's own regions and
/// every cluster whose entry is not free (bad clusters are not in use, they
/// are withdrawn; they are reported). Also the count of free clusters.
fn allocation(bpb: &Bpb, fat: &Fat<'_>, findings: &mut Vec<Finding>) -> (Vec<(u64, u64)>, u64) {
    let spc = u64::from(bpb.sectors_per_cluster);
    let mut runs = vec![(0, bpb.first_data_sector)];
    let mut bad = 0u64;
    let mut free = 0u64;
    for c in 2..=u32::try_from(bpb.max_cluster()).unwrap_or(u32::MAX) {
        match fat.next(c) {
            None => break,
            Some(Next::Free) => free += 1,
            Some(Next::Bad) => bad += 1,
            Some(_) => {
                let start = bpb.cluster_sector(c);
                match runs.last_mut() {
                    Some((s, l)) if *s + *l == start => *l += spc,
                    _ => runs.push((start, spc)),
                }
            }
        }
    }
    if bad > 0 {
        findings.push(Finding::new(
            Code::BadClusters,
            format!(
                "the FAT marks {bad} cluster(s) bad: they hold no file, but data can hide there"
            ),
        ));
    }
    (coalesce_runs(runs), free)
}

/// One directory entry turned into an inode of the model.
struct Found {
    inode: Inode,
    runs: Vec<BlockRun>,
    size_problem: Option<Finding>,
}

/// A directory waiting to be read: its inode, its name and its sectors.
struct Pending {
    ino: InodeNo,
    name: NameId,
    sectors: Vec<(u64, u64)>,
}

/// The breadth-first walk of the directory tree.
struct Walk<'v, 'b> {
    view: &'v View<'v>,
    bpb: &'b Bpb,
    fat: Fat<'v>,
    names: Names,
    found: Vec<Found>,
    by_ino: HashMap<InodeNo, usize>,
    findings: Vec<Finding>,
    /// Start clusters of the directories queued so far: a directory met twice
    /// (a loop, or two entries sharing one) is read once.
    dirs_seen: HashSet<u32>,
    /// Chain steps left for the whole volume.
    chain_budget: u64,
    /// Directory sectors left to read for the whole volume.
    dir_budget: u64,
    budget_reported: bool,
    label: Option<String>,
}

impl<'v, 'b> Walk<'v, 'b> {
    fn new(view: &'v View<'v>, bpb: &'b Bpb, fat: Fat<'v>, findings: Vec<Finding>) -> Walk<'v, 'b> {
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

    fn tree(&mut self, progress: &dyn Progress) {
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
        let max = self.bpb.max_cluster();
        let start = e.start_cluster;
        let role = if e.is_dir() {
            Role::Directory
        } else {
            Role::Data
        };
        let chain = if start == 0 {
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
            Some(self.chain(start, &path))
        };
        let runs = chain
            .as_ref()
            .map(|c| self.claims(c, role))
            .unwrap_or_default();
        let size_problem = chain.as_ref().and_then(|c| {
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
        });
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
