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
//!
//! The modules: [`bpb`] (the boot sector), [`layout`] (the regions, the FAT
//! copies, FSInfo, the allocation), [`table`] (FAT entries and chains),
//! [`walk`] (the directory tree) and [`dir`] (its entries).

pub mod bpb;
pub mod dir;
mod format;
mod layout;
pub mod roles;
pub use format::FORMAT;
pub mod table;
mod walk;

use crate::fs::Progress;
use crate::image::{ReadError, View};
use crate::model::{Code, Filesystem, Finding, FsInfo, InodeNo, Native, RunSpan, Units};

use bpb::{Bpb, FatKind};
use table::Fat;
use walk::Walk;

/// Why a volume could not be read as FAT at all.
#[derive(Debug, thiserror::Error)]
pub enum FatError {
    /// The boot sector's BPB describes no volume; `offset` is the byte (in
    /// the volume) of the BPB field at fault.
    #[error("not a usable FAT boot sector: {problem}")]
    BootSector {
        offset: u64,
        problem: BootSectorProblem,
    },
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// What is wrong with a boot sector's BPB.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BootSectorProblem {
    /// BytsPerSec, SecPerClus, RsvdSecCnt, NumFATs or Media is impossible.
    #[error("no FAT boot sector (BytsPerSec, SecPerClus, RsvdSecCnt, NumFATs, Media)")]
    NotFat,
    /// FATSz16 and FATSz32 are both 0.
    #[error("the FAT size (FATSz16/FATSz32) is 0")]
    NoFatSize,
    /// FATSz × NumFATs does not fit 64 bits.
    #[error("FAT size overflows")]
    FatSizeOverflow,
    /// RsvdSecCnt plus the FATs does not fit 64 bits.
    #[error("FAT region overflows")]
    FatRegionOverflow,
    /// The FATs plus the root directory does not fit 64 bits.
    #[error("root directory overflows")]
    RootDirectoryOverflow,
    /// The data area starts at or past TotSec.
    #[error(
        "the data area would start at sector {first_data_sector}, past the {total_sectors} sectors of the volume"
    )]
    DataPastEnd {
        first_data_sector: u64,
        total_sectors: u64,
    },
}

/// The Sleuth Kit's inode number of the root directory.
pub const ROOT_INO: InodeNo = 2;

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
    let bpb = bpb::parse(view.read(0, 512)?)?;
    let mut findings = Vec::new();
    geometry_findings(view, &bpb, &mut findings);
    let metadata = layout::regions(&bpb);
    let copies = layout::copies(view, &bpb);
    let (followed, fat_bytes) = layout::followed(&bpb, &copies);
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
    layout::compare_copies(&bpb, &copies, followed, &mut findings);
    let (allocated, free) = layout::allocation(&bpb, &fat, &mut findings);
    if bpb.kind == FatKind::Fat32 && !fat_bytes.is_empty() {
        layout::check_fsinfo(view, &bpb, free, &mut findings);
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
    let in_use = inodes.iter().filter(|n| !n.deleted).count() as u64;
    let info = info(&bpb, followed, label, in_use);
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

/// A volume larger than the image, and a FAT type the specification and
/// Linux read differently.
fn geometry_findings(view: &View<'_>, bpb: &Bpb, findings: &mut Vec<Finding>) {
    let ss = u64::from(bpb.bytes_per_sector);
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
}

/// The volume in the model's words. The label is the root directory's
/// volume entry, as blkid and Windows take it (libblkid vfat.c: LABEL from
/// the entry, the boot sector's as LABEL_FATBOOT); a boot-sector label that
/// differs is kept as a feature.
fn info(bpb: &Bpb, followed: usize, label: Option<String>, inodes_in_use: u64) -> FsInfo {
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
    FsInfo {
        fs_type: bpb.kind.name().to_string(),
        block_size: bpb.bytes_per_sector,
        block_count: bpb.total_sectors,
        inode_count: walk::last_entry_ino(bpb),
        label,
        uuid: format!("{:04X}-{:04X}", bpb.volume_id >> 16, bpb.volume_id & 0xFFFF),
        features,
        groups: 0,
        inodes_in_use,
    }
}

fn trim_label(label: &[u8]) -> String {
    let text = String::from_utf8_lossy(label).trim_end().to_string();
    if text == "NO NAME" {
        String::new()
    } else {
        text
    }
}
