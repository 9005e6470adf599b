//! XFS (v5 with reflink and rmapbt; v4 where it costs nothing): from raw
//! bytes to the common [`Filesystem`] model.
//!
//! Sources: Linux `fs/xfs/libxfs/xfs_format.h`, `xfs_da_format.h`;
//! xfs-documentation `design/XFS_Filesystem_Structure/`. The modules:
//! [`sb`] (superblock, AGF/AGI/AGFL, the geometry), [`ag`] (one AG's walk:
//! its trees, inode chunks and AGFL), [`btree`] (the per-AG btrees),
//! [`inode`] (inode cores and fork maps), [`modelled`] (inodes into the
//! model), [`names`] (the directory tree) and [`dir`] (its entries),
//! [`reflink`] (the verdict on every block two files share), [`log`]
//! (clean or dirty).
//!
//! Block numbers in the model are *linear* blocks (`agno × agblocks +
//! agbno`, the block at byte `n × block size`), because reads, the heatmap
//! and `cat` address the image by them. XFS tools print fsblocks (`agno <<
//! agblklog | agbno`): the XFS findings give both, and
//! [`Native::Grouped`](crate::model::Native) adds the fsblock and AG to every
//! block range in the reports. When `agblocks` is a power of two the two
//! numbers are the same.
//!
//! Claims: the AG headers (the first four sectors of every AG), the blocks
//! of every AG btree and of the AGFL, the inode chunks (sparse chunks only
//! where they hold inodes), the internal log, and each inode's data and
//! attribute extents and bmbt blocks. The free-space btree gives the
//! allocation map. CRCs are checked on the superblock, AGF, AGI, AGFL,
//! every btree block, inodes and directory blocks. The model's inode
//! `flags` are `di_flags`, with di_flags2 REFLINK as bit 16.
//!
//! With rmapbt, the special owners (`OWN_FS`, `OWN_AG`, `OWN_INOBT`,
//! `OWN_INODES`, `OWN_REFC`, `OWN_LOG`) are compared with where the headers
//! and trees put those blocks, both ways.
//!
//! The log is checked for a clean unmount ([`log`]): a dirty log means a
//! mount would replay metadata changes we do not model.
//!
//! Not read yet: the log's transactions, realtime extents (noted, not
//! mapped), the attribute-fork
//! btrees' names, directory leaf/free blocks' contents (claimed, not
//! parsed), and the METADIR,
//! rtgroups, exchange-range and parent-pointer features (refused).

mod ag;
mod btree;
mod dir;
mod format;
mod inode;
mod log;
mod modelled;
mod names;
mod reflink;
pub mod roles;
pub use format::FORMAT;
mod sb;

use crate::fs::Progress;
use crate::image::{ReadError, View};
use crate::model::{
    Code, DeclaredSharing, Filesystem, Finding, FsInfo, InodeNo, Native, RunSpan, Units,
    coalesce_runs, subtract_runs,
};

use crate::bytes::be32;
use ag::Gathered;
use modelled::Modelled;
use sb::Geo;

/// Why a volume could not be read as XFS at all.
#[derive(Debug, thiserror::Error)]
pub enum XfsError {
    /// The primary superblock describes no filesystem this parser reads;
    /// `offset` is the byte (in the volume) of the `xfs_dsb` field at fault.
    #[error("corrupt superblock: {problem}")]
    Superblock {
        offset: u64,
        problem: SuperblockProblem,
    },
    /// A log record header and no superblock: an external log device, whose
    /// header at `sector` names the filesystem it belongs to.
    #[error(
        "an XFS external log device (mkfs.xfs -l logdev=…): no filesystem on it; its log belongs to the XFS filesystem with UUID {uuid}, which is not in this image: check that filesystem with xfs_repair -n -l pointing at this device"
    )]
    ExternalLogDevice { sector: u64, uuid: String },
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// What is wrong with a primary superblock (`struct xfs_dsb`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuperblockProblem {
    /// sb_magicnum is not "XFSB".
    #[error("no XFSB magic")]
    NoMagic,
    /// sb_blocksize and sb_blocklog disagree or are out of range.
    #[error("block size {size} (log {log}) is not a power of two from 512 B to 64 KiB")]
    BlockSize { size: u64, log: u8 },
    /// sb_sectsize.
    #[error("sector size {size} is not a power of two from 512 to the block size")]
    SectorSize { size: u64 },
    /// sb_inodesize with sb_inopblog.
    #[error(
        "inode size {size} with {per_block} inodes per block does not fill a {block_size}-byte block"
    )]
    InodeSize {
        size: u64,
        per_block: u64,
        block_size: u64,
    },
    /// sb_agblocks, sb_agcount, sb_agblklog.
    #[error("AG geometry {count} AGs of {blocks} blocks (agblklog {log}) is impossible")]
    AgGeometry { count: u32, blocks: u64, log: u32 },
    /// sb_dblocks against the AGs.
    #[error("dblocks {dblocks} does not fit {ag_count} AGs of {ag_blocks} blocks")]
    DataBlocks {
        dblocks: u64,
        ag_count: u32,
        ag_blocks: u64,
    },
    /// sb_versionnum's low four bits.
    #[error("version {version}: only v4 and v5 are read")]
    Version { version: u16 },
    /// sb_features_incompat bits this parser does not read.
    #[error(
        "incompatible feature bits {bits:#x} (e.g. exchange-range, parent pointers, metadir/rtgroups) are not read yet"
    )]
    UnknownIncompat { bits: u32 },
    /// sb_dirblklog.
    #[error("dirblklog {log} is too large")]
    DirBlockLog { log: u32 },
}

/// True if the volume starts with an XFS superblock.
pub fn probe(view: &View<'_>) -> bool {
    view.read(0, 4).is_ok_and(|m| be32(m, 0) == sb::SB_MAGIC)
}

/// True if the volume's XFS superblock is one [`parse`] accepts.
pub fn valid(view: &View<'_>) -> bool {
    probe(view) && sb::superblock(view, &mut Vec::new()).is_ok()
}

/// An external log device (`mkfs.xfs -l logdev=`), as blkid's
/// `probe_xfs_log` finds one: a valid log record header
/// (`xlog_valid_rec_header`: magic, version 1 or 2, a body length, a known
/// format) at the start of one of the first 512 sectors, on a device of at
/// least 10 MiB, with no superblock before it. Says whose log it is
/// ([`XfsError::ExternalLogDevice`]).
pub fn external_log_device(view: &View<'_>) -> Option<XfsError> {
    const MIN_BYTES: u64 = 10 << 20;
    if view.len() < MIN_BYTES {
        return None;
    }
    for i in 0..512u64 {
        let sector = view.read(i * 512, 512).ok()?;
        if be32(sector, 0) == sb::SB_MAGIC {
            return None;
        }
        // xlog_rec_header: h_magicno (0), h_version (8), h_len (12),
        // h_fmt (300), h_fs_uuid (304).
        let version = be32(sector, 8);
        let len = be32(sector, 12);
        let valid = be32(sector, 0) == 0xFEED_BABE
            && version != 0
            && version & !3 == 0
            && len != 0
            && len <= 0x7FFF_FFFF
            && matches!(be32(sector, 300), 1..=3);
        if valid {
            let uuid = sector
                .get(304..320)
                .and_then(|u| <[u8; 16]>::try_from(u).ok())
                .map(|u| crate::bytes::uuid(&u))
                .unwrap_or_default();
            return Some(XfsError::ExternalLogDevice { sector: i, uuid });
        }
    }
    None
}

/// Parses the whole volume.
pub fn parse(view: &View<'_>, progress: &dyn Progress) -> Result<Filesystem, XfsError> {
    let mut findings = Vec::new();
    let geo = sb::superblock(view, &mut findings)?;
    let image_blocks = view.len() / geo.bs;
    if geo.dblocks > image_blocks {
        findings.push(Finding::new(Code::TruncatedImage,
            format!(
                "the superblock counts {} blocks but the image holds {image_blocks}: it is scanned as far as it goes",
                geo.dblocks
            ),
        ));
    }
    let mut g = walk_ags(view, &geo, image_blocks, progress, &mut findings);
    if geo.logstart != 0 {
        log::internal(view, &geo, image_blocks, &mut g, &mut findings);
    } else {
        findings.push(Finding::new(Code::ExternalLog,
            format!(
                "the log is on an external device (sb_logstart 0, mkfs.xfs -l logdev=…): {} blocks of {} bytes that are not in this image, so whether it holds transactions the kernel replays at mount cannot be seen; mounting needs -o logdev= and checking xfs_repair -n -l with that device",
                geo.logblocks, geo.bs
            ),
        ));
    }
    if geo.rblocks > 0 {
        findings.push(Finding::new(Code::RealtimeDevice,
            format!(
                "the filesystem has a realtime device of {} blocks (not in this image): realtime files' data is not mapped",
                geo.rblocks
            ),
        ));
    }
    let mut m = model_inodes(view, &geo, &mut g.inodes, progress, &mut findings);
    let names = names::names(view, &geo, &mut m, &g.ino_ags, progress, &mut findings);
    let declared = reflink_verdicts(&geo, &mut g, &mut m, &mut findings);
    let Modelled { mut found, .. } = m;
    // Hidden inodes were added as the names found them.
    found.sort_by_key(|(n, _)| n.ino);
    let mut runs = Vec::new();
    let mut inodes = Vec::with_capacity(found.len());
    for (mut inode, r) in found {
        let start = runs.len();
        runs.extend(r);
        inode.runs = RunSpan::between(start, runs.len());
        inodes.push(inode);
    }
    let info = info(&geo, inodes.len() as u64);
    let allocated = allocated(&geo, &mut g);
    let mut metadata = g.metadata;
    metadata.sort_by_key(|m| (m.start, m.len));
    Ok(Filesystem {
        info,
        inodes,
        metadata,
        runs,
        names,
        allocated: Some(allocated),
        allocation_unknown: g.unknown,
        first_data_block: 0,
        cluster_blocks: 1,
        declared_sharing: declared,
        own_metadata_inodes: Vec::new(),
        inode_labels: inode_labels(&geo),
        shared_blocks_declared: false,
        omitted: None,
        units: Units {
            block: "block",
            allocation_map: "free-space btree",
            // xfs_db's fsblock: `agno << sb_agblklog | agbno`.
            native: Native::Grouped {
                per_group: geo.agblocks.max(1),
                shift: geo.agblklog,
                address: "fsblock",
                group: "AG",
            },
        },
        immutable: false,
        slots: Vec::new(),
        findings,
    })
}

/// Walks every AG inside the image; what lies past its end is unknown.
fn walk_ags(
    view: &View<'_>,
    geo: &Geo,
    image_blocks: u64,
    progress: &dyn Progress,
    findings: &mut Vec<Finding>,
) -> Gathered {
    let mut g = Gathered::default();
    for agno in 0..geo.agcount {
        progress.step("allocation groups", u64::from(agno), u64::from(geo.agcount));
        let Some(first) = geo.linear(agno, 0) else {
            break;
        };
        if first >= image_blocks {
            // The rest lies past the image: said once by truncated_image.
            let end = geo.dblocks;
            g.unknown.push((first, end.saturating_sub(first)));
            break;
        }
        ag::walk_ag(view, geo, agno, &mut g, findings);
    }
    g
}

/// Every inode the inobt lists as in use, in number order, in the model.
fn model_inodes(
    view: &View<'_>,
    geo: &Geo,
    in_use: &mut Vec<u64>,
    progress: &dyn Progress,
    findings: &mut Vec<Finding>,
) -> Modelled {
    in_use.sort_unstable();
    in_use.dedup();
    let mut m = Modelled::default();
    let total = in_use.len() as u64;
    for (k, &ino) in in_use.iter().enumerate() {
        if k % 4096 == 0 {
            progress.step("inodes", k as u64, total);
        }
        if let Err(why) = m.add(view, geo, ino, None, findings) {
            findings.push(
                Finding::new(
                    Code::BadInode,
                    format!("the inobt says inode {ino} is in use, but {why}"),
                )
                .with_inodes([ino]),
            );
        }
    }
    m
}

/// The reflink verdicts on the inodes' claims, and (with rmapbt) the
/// special owners against where the headers and trees put their blocks:
/// the shares to declare.
fn reflink_verdicts(
    geo: &Geo,
    g: &mut Gathered,
    m: &mut Modelled,
    findings: &mut Vec<Finding>,
) -> Vec<DeclaredSharing> {
    let rmaps = geo.has(sb::RO_RMAPBT).then_some(g.rmaps.as_slice());
    // Only what lies in AGs whose rmapbt was read is checked against it.
    let rmap_ags = &g.rmap_ags;
    let in_rmap_ag =
        |linear: u64| u32::try_from(geo.where_is(linear).0).is_ok_and(|ag| rmap_ags.contains(&ag));
    m.all_claims.retain(|&(start, ..)| in_rmap_ag(start));
    g.owned.retain(|&(_, start, _)| in_rmap_ag(start));
    if let Some(rmaps) = rmaps {
        reflink::own_coverage(geo, &g.owned, rmaps, findings);
    }
    reflink::verdicts(
        geo,
        &m.data_claims,
        &m.all_claims,
        &g.refcounts,
        rmaps,
        findings,
    )
}

/// The allocation map: every AG block the bnobt does not list as free.
fn allocated(geo: &Geo, g: &mut Gathered) -> Vec<(u64, u64)> {
    g.free.sort_unstable();
    g.unknown.sort_unstable();
    let whole = vec![(0, geo.dblocks)];
    let free = coalesce_runs(std::mem::take(&mut g.free));
    subtract_runs(&subtract_runs(&whole, &free), &g.unknown)
}

/// The special inodes the superblock names.
fn inode_labels(geo: &Geo) -> Vec<(InodeNo, &'static str)> {
    let mut labels: Vec<(InodeNo, &'static str)> = vec![
        (geo.rbmino, "realtime bitmap"),
        (geo.rsumino, "realtime summary"),
    ];
    for q in geo.quota_inos {
        if q != 0 && q != u64::MAX {
            labels.push((q, "quota"));
        }
    }
    labels
}

fn info(geo: &Geo, inodes_in_use: u64) -> FsInfo {
    FsInfo {
        fs_type: if geo.v5 {
            "xfs".into()
        } else {
            "xfs (v4)".into()
        },
        block_size: u32::try_from(geo.bs).unwrap_or(u32::MAX),
        block_count: geo.dblocks,
        inode_count: geo.icount,
        label: geo.label.clone(),
        uuid: crate::bytes::uuid(&geo.uuid),
        features: features(geo),
        groups: u64::from(geo.agcount),
        inodes_in_use,
    }
}

fn features(geo: &Geo) -> Vec<String> {
    let mut out = vec![if geo.v5 {
        "crc".to_string()
    } else {
        "v4".to_string()
    }];
    for (bit, name) in [
        (sb::RO_FINOBT, "finobt"),
        (sb::RO_RMAPBT, "rmapbt"),
        (sb::RO_REFLINK, "reflink"),
        (0x8, "inobtcount"),
    ] {
        if geo.ro_compat & bit != 0 {
            out.push(name.into());
        }
    }
    for (bit, name) in [
        (0x1, "ftype"),
        (0x2, "sparse"),
        (0x4, "meta_uuid"),
        (0x8, "bigtime"),
        (0x10, "needsrepair"),
        (0x20, "nrext64"),
    ] {
        if geo.incompat & bit != 0 {
            out.push(name.into());
        }
    }
    if !geo.v5 && geo.ftype {
        out.push("ftype".into());
    }
    out
}
