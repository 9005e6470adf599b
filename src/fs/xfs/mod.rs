//! XFS (v5 with reflink and rmapbt; v4 where it costs nothing): from raw
//! bytes to the common [`Filesystem`] model.
//!
//! Sources: Linux `fs/xfs/libxfs/xfs_format.h`, `xfs_da_format.h`;
//! xfs-documentation `design/XFS_Filesystem_Structure/`. The modules:
//! [`sb`] (superblock, AGF/AGI/AGFL, the geometry), [`btree`] (the per-AG
//! btrees), [`inode`] (inode cores and fork maps), [`dir`] (names),
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

mod btree;
mod dir;
mod format;
mod inode;
mod log;
mod reflink;
pub mod roles;
pub use format::FORMAT;
mod sb;

use std::collections::{HashMap, HashSet, VecDeque};

use crate::fs::Progress;
use crate::image::{ReadError, View};
use crate::model::{
    BlockRun, FileType, Filesystem, Finding, FsInfo, Hidden, Inode, InodeNo, MetadataRegion,
    NO_NAME, Names, Role, RunSpan, Severity, Units, coalesce_runs, name_from_bytes, subtract_runs,
};
use crate::model::{Code, Native};

use crate::bytes::{be16, be32, be64};
use inode::{DIFLAG_REALTIME, DIFLAG2_REFLINK, Dinode, FMT_BTREE, FMT_EXTENTS, FMT_LOCAL};
use reflink::{DataClaim, Fork, Refcount, Rmap};
use sb::Geo;

/// Why a volume could not be read as XFS at all.
#[derive(Debug, thiserror::Error)]
pub enum XfsError {
    #[error("corrupt superblock: {0}")]
    Superblock(String),
    /// A log record header and no superblock: an external log device.
    #[error("{0}")]
    ExternalLogDevice(String),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// Directory blocks read per directory at most, and names kept per inode.
const MAX_DIR_BLOCKS: u64 = 1 << 20;
const MAX_NAMES_PER_INODE: usize = 64;
const INODES_PER_CHUNK: u64 = 64;

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
/// least 10 MiB, with no superblock before it. Says whose log it is.
pub fn external_log_device(view: &View<'_>) -> Option<String> {
    const MIN_BYTES: u64 = 10 << 20;
    if view.len() < MIN_BYTES {
        return None;
    }
    for i in 0..512u64 {
        let sector = view.read(i * 512, 512).ok()?;
        if be32(sector, 0) == sb::SB_MAGIC {
            return None;
        }
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
            return Some(format!(
                "an XFS external log device (mkfs.xfs -l logdev=…): no filesystem on it; its log belongs to the XFS filesystem with UUID {uuid}, which is not in this image: check that filesystem with xfs_repair -n -l pointing at this device"
            ));
        }
    }
    None
}

/// What the AG walk gathers.
#[derive(Default)]
struct Gathered {
    metadata: Vec<MetadataRegion>,
    /// Free extents from the bnobt, linear; and AGs whose bnobt was not read.
    free: Vec<(u64, u64)>,
    unknown: Vec<(u64, u64)>,
    /// In-use inode numbers, from the inobt.
    inodes: Vec<u64>,
    refcounts: Vec<Refcount>,
    rmaps: Vec<Rmap>,
    /// The filesystem's own blocks by rmap owner (`OWN_FS`, `OWN_AG`, …):
    /// (owner, linear start, length).
    owned: Vec<(i64, u64, u64)>,
    /// AGs whose rmapbt and inobt were walked: what they do not cover is
    /// not held against the other trees.
    rmap_ags: HashSet<u32>,
    ino_ags: HashSet<u32>,
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
        walk_ag(view, &geo, agno, &mut g, &mut findings);
    }
    if geo.logstart != 0 {
        match geo.fsb_to_linear(geo.logstart) {
            Some(start) => {
                g.metadata.push(MetadataRegion {
                    start,
                    len: geo.logblocks,
                    role: roles::LOG,
                    group: u32::try_from(geo.where_is(start).0).ok(),
                });
                g.owned.push((reflink::OWN_LOG, start, geo.logblocks));
                let bytes = geo.logblocks.saturating_mul(geo.bs);
                // A log cut off by the end of the image is not judged.
                let whole = start.saturating_add(geo.logblocks) <= image_blocks;
                match log::state(view, start.saturating_mul(geo.bs), bytes) {
                    _ if !whole => {}
                    log::State::Clean => {}
                    log::State::Dirty { sector, cycle, ops } => findings.push(
                        Finding::new(Code::DirtyLog,
                            format!(
                                "the log's newest record (cycle {cycle}, log sector {sector}, {ops} operations) is not an unmount record: the filesystem was not unmounted cleanly, and mounting it replays transactions this scan does not model (the metadata on disk may change)"
                            ),
                        )
                        .with_blocks([[start.saturating_add(sector * 512 / geo.bs), 1]]),
                    ),
                    log::State::Empty => findings.push(
                        Finding::new(Code::DirtyLog,
                            "the internal log holds no record header (zeroed, e.g. by xfs_repair -L, or overwritten)",
                        ).with_severity(Severity::Low)
                        .with_blocks([[start, geo.logblocks]]),
                    ),
                }
            }
            None => findings.push(Finding::new(
                Code::BadSuperblock,
                format!(
                    "the internal log starts at fsblock {}, outside every AG",
                    geo.logstart
                ),
            )),
        }
    }
    if geo.logstart == 0 {
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

    // Inodes, in number order.
    g.inodes.sort_unstable();
    g.inodes.dedup();
    let mut m = Modelled::default();
    let total = g.inodes.len() as u64;
    for (k, &ino) in g.inodes.iter().enumerate() {
        if k % 4096 == 0 {
            progress.step("inodes", k as u64, total);
        }
        if let Err(why) = m.add(view, &geo, ino, None, &mut findings) {
            findings.push(
                Finding::new(
                    Code::BadInode,
                    format!("the inobt says inode {ino} is in use, but {why}"),
                )
                .with_inodes([ino]),
            );
        }
    }

    let names = names(view, &geo, &mut m, &g.ino_ags, progress, &mut findings);
    let Modelled {
        mut found,
        data_claims,
        mut all_claims,
        ..
    } = m;
    // Hidden inodes were added as the names found them.
    found.sort_by_key(|(n, _)| n.ino);

    // Reflink verdicts.
    let rmaps = geo.has(sb::RO_RMAPBT).then_some(g.rmaps.as_slice());
    // Only what lies in AGs whose rmapbt was read is checked against it.
    let in_rmap_ag = |linear: u64| {
        u32::try_from(geo.where_is(linear).0).is_ok_and(|ag| g.rmap_ags.contains(&ag))
    };
    all_claims.retain(|&(start, ..)| in_rmap_ag(start));
    g.owned.retain(|&(_, start, _)| in_rmap_ag(start));
    if let Some(rmaps) = rmaps {
        reflink::own_coverage(&geo, &g.owned, rmaps, &mut findings);
    }
    let declared = reflink::verdicts(
        &geo,
        &data_claims,
        &all_claims,
        &g.refcounts,
        rmaps,
        &mut findings,
    );

    let mut runs = Vec::new();
    let mut inodes = Vec::with_capacity(found.len());
    for (mut inode, r) in found {
        let start = runs.len();
        runs.extend(r);
        inode.runs = RunSpan::between(start, runs.len());
        inodes.push(inode);
    }
    // The allocation map: every AG block the bnobt does not list as free.
    g.free.sort_unstable();
    g.unknown.sort_unstable();
    let whole = vec![(0, geo.dblocks)];
    let allocated = subtract_runs(&subtract_runs(&whole, &coalesce_runs(g.free)), &g.unknown);
    let mut labels: Vec<(InodeNo, &'static str)> = vec![
        (geo.rbmino, "realtime bitmap"),
        (geo.rsumino, "realtime summary"),
    ];
    for q in geo.quota_inos {
        if q != 0 && q != u64::MAX {
            labels.push((q, "quota"));
        }
    }
    let info = FsInfo {
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
        features: features(&geo),
        groups: u64::from(geo.agcount),
        inodes_in_use: inodes.len() as u64,
    };
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
        inode_labels: labels,
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

/// Findings about single btree records kept per AG: a hostile tree of a
/// million bad records gives the first few, not a million.
const MAX_RECORD_FINDINGS: usize = 32;

fn push_capped(out: &mut Vec<Finding>, f: Finding) {
    if out.len() < MAX_RECORD_FINDINGS {
        out.push(f);
    }
}

/// Reads one AG: headers, the trees, the inode chunks.
fn walk_ag(view: &View<'_>, geo: &Geo, agno: u32, g: &mut Gathered, findings: &mut Vec<Finding>) {
    let ag = sb::ag_headers(view, geo, agno, findings);
    let Some(first) = geo.linear(agno, 0) else {
        return;
    };
    let ag_len = geo.ag_len(agno);
    let group = Some(agno);
    // SB, AGF, AGI, AGFL: the first four sectors.
    g.metadata.push(MetadataRegion {
        start: first,
        len: (4 * geo.sectsize).div_ceil(geo.bs),
        role: roles::AG_HEADER,
        group,
    });
    let linear = |agbno: u64| first.saturating_add(agbno);
    // Btree blocks by their rmap owner: OWN_AG (free-space btrees, rmapbt),
    // OWN_INOBT (inobt, finobt), OWN_REFC (refcountbt).
    let mut ag_blocks: Vec<u32> = Vec::new();
    let mut inobt_blocks: Vec<u32> = Vec::new();
    let mut refc_blocks: Vec<u32> = Vec::new();
    // Problems with single records, gathered apart from the walk's own.
    let mut bad_records: Vec<Finding> = Vec::new();
    // bnobt: the free extents.
    match ag.bno {
        Some(root) => btree::walk(
            view,
            geo,
            agno,
            btree::BNOBT,
            root,
            &mut ag_blocks,
            findings,
            |r| {
                let (s, l) = (u64::from(be32(r, 0)), u64::from(be32(r, 4)));
                if s.saturating_add(l) <= ag_len && l > 0 {
                    g.free.push((linear(s), l));
                } else {
                    push_capped(
                        &mut bad_records,
                        Finding::new(
                            Code::BadBtreeRecord,
                            format!(
                                "AG {agno} bnobt: free extent {s}+{l} runs past the AG ({ag_len} blocks)"
                            ),
                        ),
                    );
                }
            },
        ),
        None => g.unknown.push((first, ag_len)),
    }
    let mut by_size: Vec<(u32, u32)> = Vec::new();
    if let Some(root) = ag.cnt {
        btree::walk(
            view,
            geo,
            agno,
            btree::CNTBT,
            root,
            &mut ag_blocks,
            findings,
            |r| by_size.push((be32(r, 0), be32(r, 4))),
        );
        // The two free-space btrees index the same extents.
        let mut by_bno: Vec<(u32, u32)> = g
            .free
            .iter()
            .filter(|&&(s, _)| s >= first && s < first.saturating_add(ag_len))
            .filter_map(|&(s, l)| Some((u32::try_from(s - first).ok()?, u32::try_from(l).ok()?)))
            .collect();
        by_bno.sort_unstable();
        by_size.sort_unstable();
        if ag.bno.is_some() && by_bno != by_size {
            let only = |a: &[(u32, u32)], b: &[(u32, u32)]| {
                a.iter()
                    .filter(|x| b.binary_search(x).is_err())
                    .take(4)
                    .map(|(s, l)| format!("{s}+{l}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            findings.push(Finding::new(Code::FreeSpaceTreesDisagree,
                format!(
                    "AG {agno}: the bnobt lists {} free extents, the cntbt {} (only in the bnobt: [{}]; only in the cntbt: [{}]): one of them was forged or damaged, and the allocator trusts both",
                    by_bno.len(),
                    by_size.len(),
                    only(&by_bno, &by_size),
                    only(&by_size, &by_bno)
                ),
            ));
        }
    }
    if let Some(root) = ag.fino {
        btree::walk(
            view,
            geo,
            agno,
            btree::FINOBT,
            root,
            &mut inobt_blocks,
            findings,
            |_| {},
        );
    }
    let chunk_blocks = (INODES_PER_CHUNK >> geo.inopblog).max(1);
    let mut chunks: Vec<(u64, u64)> = Vec::new();
    // A chunk listed twice is read once: in-use inodes stay bounded by the
    // AG's inode slots, whatever the records say.
    let mut starts: HashSet<u64> = HashSet::new();
    if ag.ino.is_some() {
        g.ino_ags.insert(agno);
    }
    if let Some(root) = ag.ino {
        btree::walk(
            view,
            geo,
            agno,
            btree::INOBT,
            root,
            &mut inobt_blocks,
            findings,
            |r| {
                let startino = u64::from(be32(r, 0));
                let holemask = be16(r, 4);
                let free = be64(r, 8);
                let first_block = startino >> geo.inopblog;
                // Chunks start on a block (aligned to sb_inoalignmt, which
                // v4 filesystems keep below a whole chunk).
                if startino % INODES_PER_CHUNK.min(1u64 << geo.inopblog) != 0
                    || first_block.saturating_add(chunk_blocks) > ag_len
                {
                    push_capped(
                        &mut bad_records,
                        Finding::new(
                            Code::BadBtreeRecord,
                            format!(
                                "AG {agno} inobt: inode chunk at AG inode {startino} lies outside the AG or off its alignment"
                            ),
                        ),
                    );
                    return;
                }
                if !starts.insert(startino) {
                    push_capped(
                        &mut bad_records,
                        Finding::new(
                            Code::BadBtreeRecord,
                            format!(
                                "AG {agno} inobt: the chunk at AG inode {startino} is listed twice"
                            ),
                        ),
                    );
                    return;
                }
                for slot in 0..INODES_PER_CHUNK {
                    // A holemask bit covers four inodes (sparse chunks).
                    if holemask >> (slot / 4) & 1 != 0 {
                        continue;
                    }
                    let agino = startino + slot;
                    let block = agino >> geo.inopblog;
                    let b = linear(block);
                    if chunks.last().map(|&(s, _)| s) != Some(b) {
                        chunks.push((b, 1));
                    }
                    if free >> slot & 1 == 0 {
                        g.inodes.push(geo.ino(agno, agino));
                    }
                }
            },
        );
    }
    for (start, len) in coalesce_runs({
        chunks.sort_unstable();
        chunks
    }) {
        g.owned.push((reflink::OWN_INODES, start, len));
        g.metadata.push(MetadataRegion {
            start,
            len,
            role: roles::INODE_CHUNK,
            group,
        });
    }
    if ag.rmap.is_some() {
        g.rmap_ags.insert(agno);
    }
    if let Some(root) = ag.rmap {
        btree::walk(
            view,
            geo,
            agno,
            btree::RMAPBT,
            root,
            &mut ag_blocks,
            findings,
            |r| {
                let (s, l) = (u64::from(be32(r, 0)), u64::from(be32(r, 4)));
                let (owner, offset) = (be64(r, 8) as i64, be64(r, 16));
                let fork = if offset >> 62 & 1 != 0 {
                    Fork::Bmbt
                } else if offset >> 63 != 0 {
                    Fork::Attr
                } else {
                    Fork::Data
                };
                if s.saturating_add(l) <= ag_len {
                    g.rmaps.push(Rmap {
                        start: linear(s),
                        len: l,
                        owner,
                        fork,
                    });
                }
            },
        );
    }
    if let Some(root) = ag.refcount {
        btree::walk(
            view,
            geo,
            agno,
            btree::REFCOUNTBT,
            root,
            &mut refc_blocks,
            findings,
            |r| {
                let raw = be32(r, 0);
                let (s, l, count) = (
                    u64::from(raw & 0x7FFF_FFFF),
                    u64::from(be32(r, 4)),
                    u64::from(be32(r, 8)),
                );
                if s.saturating_add(l) > ag_len {
                    push_capped(
                        &mut bad_records,
                        Finding::new(
                            Code::BadBtreeRecord,
                            format!("AG {agno} refcountbt: record {s}+{l} runs past the AG"),
                        ),
                    );
                } else if raw & 0x8000_0000 != 0 {
                    push_capped(&mut bad_records,
                    Finding::new(Code::CowStaging,
                        format!(
                            "AG {agno} blocks {s}–{}: a copy-on-write staging extent (the filesystem was not unmounted cleanly; mount frees it)",
                            s.saturating_add(l).saturating_sub(1)
                        ),
                    )
                    .with_blocks([[linear(s), l]]),
                );
                } else {
                    g.refcounts.push(Refcount {
                        start: linear(s),
                        len: l,
                        count,
                    });
                }
            },
        );
    }
    findings.extend(bad_records);
    for (owner, blocks) in [
        (reflink::OWN_AG, &ag_blocks),
        (reflink::OWN_INOBT, &inobt_blocks),
        (reflink::OWN_REFC, &refc_blocks),
    ] {
        g.owned
            .extend(blocks.iter().map(|&b| (owner, linear(u64::from(b)), 1)));
    }
    g.owned
        .push((reflink::OWN_FS, first, (4 * geo.sectsize).div_ceil(geo.bs)));
    let mut tree_blocks: Vec<u32> = ag_blocks;
    tree_blocks.extend(inobt_blocks);
    tree_blocks.extend(refc_blocks);
    tree_blocks.sort_unstable();
    for b in tree_blocks {
        g.metadata.push(MetadataRegion {
            start: linear(u64::from(b)),
            len: 1,
            role: roles::BTREE,
            group,
        });
    }
    for b in ag.agfl {
        if u64::from(b) < ag_len {
            g.metadata.push(MetadataRegion {
                start: linear(u64::from(b)),
                len: 1,
                role: roles::FREE_LIST,
                group,
            });
            g.owned.push((reflink::OWN_AG, linear(u64::from(b)), 1));
        } else {
            findings.push(Finding::new(
                Code::BadAgHeader,
                format!("AG {agno}: the AGFL lists block {b}, outside the AG"),
            ));
        }
    }
}

/// The inodes modelled so far, with what the reflink verdicts and the name
/// walk need of them.
#[derive(Default)]
struct Modelled {
    found: Vec<(Inode, Vec<BlockRun>)>,
    by_ino: HashMap<u64, usize>,
    data_claims: Vec<DataClaim>,
    all_claims: Vec<(u64, u64, InodeNo, Fork)>,
    /// Short-form directories' data forks, by inode.
    local_dirs: HashMap<u64, Vec<u8>>,
}

impl Modelled {
    /// Reads inode `ino` and adds it to the model; its index in `found`.
    fn add(
        &mut self,
        view: &View<'_>,
        geo: &Geo,
        ino: u64,
        hidden: Option<Hidden>,
        findings: &mut Vec<Finding>,
    ) -> Result<usize, String> {
        let d = inode::read(view, geo, ino)?;
        if hidden.is_some() && d.mode == 0 {
            return Err(format!("inode {ino} is unused (mode 0)"));
        }
        if let Some((stored, computed)) = d.bad_crc {
            findings.push(
                Finding::new(
                    Code::ChecksumMismatch,
                    format!("inode {ino}: crc32c is {stored:#010x}, computed {computed:#010x}"),
                )
                .with_inodes([ino]),
            );
        }
        let file_type = FileType::from_mode(u32::from(d.mode));
        if file_type == FileType::Directory && d.format == FMT_LOCAL {
            let fork = d.raw.get(d.data_fork.0..d.data_fork.1).unwrap_or(&[]);
            self.local_dirs.insert(ino, fork.to_vec());
        }
        let runs = model_runs(
            geo,
            &d,
            file_type,
            view,
            &mut self.data_claims,
            &mut self.all_claims,
            findings,
        );
        let inode = Inode {
            ino,
            file_type,
            mode: u32::from(d.mode),
            uid: d.uid,
            gid: d.gid,
            size: d.size,
            links: d.nlink,
            atime: d.atime,
            mtime: d.mtime,
            ctime: d.ctime,
            crtime: d.crtime,
            sectors: d.nblocks.saturating_mul(geo.bs / 512),
            flags: u32::from(d.flags) | (u32::from(d.flags2 & DIFLAG2_REFLINK != 0) << 16),
            first_name: NO_NAME,
            runs: RunSpan::default(),
            hidden,
            deleted: false,
            released_at_mount: None,
        };
        let k = self.found.len();
        self.by_ino.insert(ino, k);
        self.found.push((inode, runs));
        Ok(k)
    }
}

/// The runs of one inode: data fork (by file type), attribute fork, bmbt
/// blocks. Regular files' data claims and every claim are also gathered for
/// the reflink verdicts.
fn model_runs(
    geo: &Geo,
    d: &Dinode,
    file_type: FileType,
    view: &View<'_>,
    data_claims: &mut Vec<DataClaim>,
    all_claims: &mut Vec<(u64, u64, InodeNo, Fork)>,
    findings: &mut Vec<Finding>,
) -> Vec<BlockRun> {
    let ino = d.ino;
    let mut runs = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let data_role = match file_type {
        FileType::Directory => Role::Directory,
        FileType::Symlink => Role::Symlink,
        _ => Role::Data,
    };
    let realtime = d.flags & DIFLAG_REALTIME != 0 && file_type == FileType::Regular;
    for attr in [false, true] {
        let format = if attr { d.aformat } else { d.format };
        if !matches!(format, FMT_EXTENTS | FMT_BTREE) {
            continue;
        }
        if !attr && realtime {
            continue; // mapped on the realtime device
        }
        let map = inode::map_fork(view, geo, d, attr);
        problems.extend(map.problems);
        for fsb in map.bmbt_blocks {
            if let Some(start) = geo.fsb_to_linear(fsb) {
                runs.push(BlockRun {
                    logical: None,
                    start,
                    len: 1,
                    role: Role::ExtentTree,
                    unwritten: false,
                });
                all_claims.push((start, 1, ino, Fork::Bmbt));
            }
        }
        let role = if attr { Role::Xattr } else { data_role };
        for e in map.extents {
            if e.len == 0 {
                problems.push(format!(
                    "an extent at file block {} has no blocks",
                    e.logical
                ));
                continue;
            }
            let Some(start) = geo.fsb_to_linear(e.fsb) else {
                problems.push(format!(
                    "file block {} maps to fsblock {}, outside every AG",
                    e.logical, e.fsb
                ));
                continue;
            };
            let (agno, agbno, _) = geo.where_is(start);
            let ag_len = geo.ag_len(u32::try_from(agno).unwrap_or(u32::MAX));
            let mut len = e.len;
            if agbno.saturating_add(len) > ag_len {
                problems.push(format!(
                    "file block {} maps {} blocks from fsblock {}, past the end of AG {agno}",
                    e.logical, e.len, e.fsb
                ));
                len = ag_len.saturating_sub(agbno);
            }
            runs.push(BlockRun {
                logical: (!attr).then_some(e.logical),
                start,
                len,
                role,
                unwritten: e.unwritten,
            });
            all_claims.push((start, len, ino, if attr { Fork::Attr } else { Fork::Data }));
            if !attr && file_type == FileType::Regular {
                data_claims.push(DataClaim {
                    start,
                    len,
                    ino,
                    reflink_flag: d.flags2 & DIFLAG2_REFLINK != 0,
                });
            }
        }
    }
    if !problems.is_empty() {
        findings.push(
            Finding::new(
                Code::BadInode,
                format!("inode {ino}: {}", problems.join("; ")),
            )
            .with_inodes([ino]),
        );
    }
    runs
}

/// The directory tree from the root: every name, as [`Names`].
fn names(
    view: &View<'_>,
    geo: &Geo,
    m: &mut Modelled,
    ino_ags: &HashSet<u32>,
    progress: &dyn Progress,
    findings: &mut Vec<Finding>,
) -> Names {
    let mut names = Names::default();
    let Some(root_id) = names.push(None, "") else {
        return names;
    };
    let Some(&root) = m.by_ino.get(&geo.rootino).filter(|&&i| {
        m.found
            .get(i)
            .is_some_and(|(n, _)| n.file_type == FileType::Directory)
    }) else {
        findings.push(Finding::new(
            Code::NoRootDirectory,
            format!(
                "the root inode {} is not an in-use directory: no names can be resolved",
                geo.rootino
            ),
        ));
        return names;
    };
    if let Some((inode, _)) = m.found.get_mut(root) {
        names.add_to(inode, root_id);
    }
    let mut queue: VecDeque<(u64, u32)> = VecDeque::from([(geo.rootino, root_id)]);
    let mut seen: HashSet<u64> = HashSet::from([geo.rootino]);
    let mut budget = view.len().saturating_mul(4);
    let leaf_block = dir::LEAF_OFFSET / geo.bs;
    let per_dir_block = geo.dir_bs / geo.bs;
    let mut done = 0u64;
    while let Some((dir_ino, dir_name)) = queue.pop_front() {
        done += 1;
        progress.step("directories", done, done + queue.len() as u64);
        let Some(runs) = m
            .by_ino
            .get(&dir_ino)
            .and_then(|&i| m.found.get(i))
            .map(|(_, runs)| runs.clone())
        else {
            continue;
        };
        let dir_path = names.path(dir_name);
        let mut entries: Vec<(u64, Vec<u8>)> = Vec::new();
        let bad = |why: String, findings: &mut Vec<Finding>| {
            findings.push(
                Finding::new(
                    Code::BadDirectoryEntry,
                    format!("directory {dir_path} (inode {dir_ino}): {why}"),
                )
                .with_inodes([dir_ino]),
            );
        };
        if let Some(fork) = m.local_dirs.get(&dir_ino) {
            if let Err(why) = dir::shortform(fork, geo, &mut entries) {
                bad(why, findings);
            }
        } else {
            // The data blocks: file blocks below the leaf offset, one
            // directory block (dir_bs) at a time.
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
            let mut k = 0;
            while let Some(&(l, b)) = blocks.get(k) {
                k += 1;
                if l % per_dir_block != 0 {
                    continue;
                }
                // A directory block spans per_dir_block file blocks, which
                // may lie in different extents.
                let mut bytes = Vec::with_capacity(geo.dir_bs as usize);
                let mut ok = true;
                for j in 0..per_dir_block {
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
                    match phys
                        .and_then(|p| view.read(p.saturating_mul(geo.bs), geo.bs as usize).ok())
                    {
                        Some(data) => bytes.extend_from_slice(data),
                        None => ok = false,
                    }
                }
                if budget < geo.dir_bs {
                    findings.push(Finding::new(Code::WalkBudgetExceeded,
                        format!("directories read more than four times the image; the walk stopped in {dir_path}"),
                    ));
                    break;
                }
                budget -= geo.dir_bs;
                if !ok {
                    bad(
                        format!("directory block at file block {l} cannot be read"),
                        findings,
                    );
                    continue;
                }
                if let Some((stored, computed)) = dir::bad_crc(&bytes, geo) {
                    findings.push(
                        Finding::new(Code::ChecksumMismatch,
                            format!(
                                "directory {dir_path} (inode {dir_ino}), block at file block {l}: crc32c is {stored:#010x}, computed {computed:#010x}"
                            ),
                        )
                        .with_inodes([dir_ino]),
                    );
                }
                // v5 blocks say where they belong: a block moved or
                // copied from another directory says so.
                if let Some((blkno, owner)) = dir::self_description(&bytes, geo) {
                    let daddr = b.saturating_mul(geo.bs / 512);
                    if blkno != daddr || owner != dir_ino {
                        bad(
                            format!(
                                "directory block at file block {l} says it is daddr {blkno} of inode {owner}, but lies at daddr {daddr} of this directory (moved or forged)"
                            ),
                            findings,
                        );
                    }
                }
                if let Err(why) = dir::data_block(&bytes, geo, &mut entries) {
                    bad(
                        format!("directory block at file block {l}: {why}"),
                        findings,
                    );
                }
            }
        }
        for (ino, name) in entries {
            if name == b"." || name == b".." {
                continue;
            }
            let name = name_from_bytes(&name);
            let k = match m.by_ino.get(&ino) {
                Some(&k) => k,
                None => {
                    let path = format!("{}/{name}", dir_path.trim_end_matches('/'));
                    match hidden(view, geo, m, ino_ags, ino, &path, findings) {
                        Ok(k) => k,
                        Err(why) => {
                            findings.push(
                                Finding::new(
                                    Code::BadDirectoryEntry,
                                    format!("{path} names inode {ino}, which {why}"),
                                )
                                .with_inodes([dir_ino]),
                            );
                            continue;
                        }
                    }
                }
            };
            let Some(id) = names.push(Some(dir_name), &name) else {
                continue;
            };
            if let Some((inode, _)) = m.found.get_mut(k) {
                if names.count(inode) < MAX_NAMES_PER_INODE {
                    names.add_to(inode, id);
                }
                if inode.file_type == FileType::Directory && seen.insert(ino) {
                    queue.push_back((ino, id));
                }
            }
        }
    }
    names
}

/// An inode a directory names but the inode btree does not list as in
/// use: read anyway and modelled (its claims count), with a finding; or why
/// it cannot be.
fn hidden(
    view: &View<'_>,
    geo: &Geo,
    m: &mut Modelled,
    ino_ags: &HashSet<u32>,
    ino: u64,
    path: &str,
    findings: &mut Vec<Finding>,
) -> Result<usize, String> {
    match geo.inode_ag(ino) {
        Some(ag) if ino_ags.contains(&ag) => {}
        Some(ag) => return Err(format!("lies in AG {ag}, whose inode btree was not read")),
        None => return Err("lies outside every AG".to_string()),
    }
    let k = m
        .add(view, geo, ino, Some(Hidden::FreeInInodeBtree), findings)
        .map_err(|why| format!("the inode btree does not list as in use ({why})"))?;
    findings.push(
        Finding::new(Code::HiddenInode,
            format!(
                "{path} names inode {ino}, which the inode btree marks free (or lists in no chunk) although it holds a live inode: its blocks are counted as claims"
            ),
        )
        .with_inodes([ino]),
    );
    Ok(k)
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
