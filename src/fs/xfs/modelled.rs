//! The inodes in the model: each inode the inobt lists (or a directory
//! names) read, turned into a model [`Inode`] with its runs, and its claims
//! gathered for the reflink verdicts.

use std::collections::{HashMap, HashSet};

use crate::image::View;
use crate::model::{
    BlockRun, Code, FileType, Finding, Hidden, Inode, InodeNo, NO_NAME, Role, RunSpan,
};

use super::inode::{
    self, DIFLAG_REALTIME, DIFLAG2_REFLINK, Dinode, FMT_BTREE, FMT_EXTENTS, FMT_LOCAL, InodeError,
};
use super::reflink::{DataClaim, Fork};
use super::sb::Geo;

/// The inodes modelled so far, with what the reflink verdicts and the name
/// walk need of them.
#[derive(Default)]
pub(super) struct Modelled {
    pub found: Vec<(Inode, Vec<BlockRun>)>,
    pub by_ino: HashMap<u64, usize>,
    pub data_claims: Vec<DataClaim>,
    pub all_claims: Vec<(u64, u64, InodeNo, Fork)>,
    /// Short-form directories' data forks, by inode.
    pub local_dirs: HashMap<u64, Vec<u8>>,
}

impl Modelled {
    /// Reads inode `ino` and adds it to the model; its index in `found`.
    pub(super) fn add(
        &mut self,
        view: &View<'_>,
        geo: &Geo,
        ino: u64,
        hidden: Option<Hidden>,
        findings: &mut Vec<Finding>,
    ) -> Result<usize, InodeError> {
        let d = inode::read(view, geo, ino)?;
        if hidden.is_some() && d.mode == 0 {
            return Err(InodeError::Unused { ino });
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

/// Why an inode a directory names cannot be modelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum HiddenError {
    /// Its AG's inobt was not read, so whether it is in use is unknown.
    #[error("lies in AG {ag}, whose inode btree was not read")]
    AgNotRead { ag: u32 },
    #[error("lies outside every AG")]
    OutsideAgs,
    #[error("the inode btree does not list as in use ({0})")]
    Unreadable(InodeError),
}

/// An inode a directory names but the inode btree does not list as in
/// use: read anyway and modelled (its claims count), with a finding; or why
/// it cannot be.
pub(super) fn hidden(
    view: &View<'_>,
    geo: &Geo,
    m: &mut Modelled,
    ino_ags: &HashSet<u32>,
    ino: u64,
    path: &str,
    findings: &mut Vec<Finding>,
) -> Result<usize, HiddenError> {
    match geo.inode_ag(ino) {
        Some(ag) if ino_ags.contains(&ag) => {}
        Some(ag) => return Err(HiddenError::AgNotRead { ag }),
        None => return Err(HiddenError::OutsideAgs),
    }
    let k = m
        .add(view, geo, ino, Some(Hidden::FreeInInodeBtree), findings)
        .map_err(HiddenError::Unreadable)?;
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
