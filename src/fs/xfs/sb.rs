//! XFS superblock and AG headers (AGF, AGI, AGFL): the geometry every other
//! XFS module converts block and inode numbers with, and the btree roots.
//!
//! Sources: Linux `fs/xfs/libxfs/xfs_format.h` (`struct xfs_dsb`, `xfs_agf`,
//! `xfs_agi`, `xfs_agfl`), xfs-documentation `allocation_groups.asciidoc`.
//! Everything is big-endian except the crc32c fields, which are stored
//! little-endian (standard crc32c, computed with the field zeroed).

use crate::bytes::{be16, be32, be64, le32, u8_at};
use crate::image::View;
use crate::model::Code;
use crate::model::Finding;

use super::{SuperblockProblem, XfsError};

/// Whether the crc32c stored little-endian at `at` in `bytes` is right
/// (computed over `bytes` with those four bytes zeroed). `(stored, computed)`.
pub(super) fn crc_ok(bytes: &[u8], at: usize) -> (bool, u32, u32) {
    let stored = le32(bytes, at);
    let Some(end) = at.checked_add(4) else {
        return (false, stored, 0);
    };
    let (Some(head), Some(tail)) = (bytes.get(..at), bytes.get(end..)) else {
        return (false, stored, 0);
    };
    let crc = crc32c::crc32c(head);
    let crc = crc32c::crc32c_append(crc, &[0; 4]);
    let crc = crc32c::crc32c_append(crc, tail);
    (crc == stored, stored, crc)
}

pub(super) const SB_MAGIC: u32 = 0x5846_5342; // "XFSB"
const AGF_MAGIC: u32 = 0x5841_4746; // "XAGF"
const AGI_MAGIC: u32 = 0x5841_4749; // "XAGI"
const AGFL_MAGIC: u32 = 0x5841_464C; // "XAFL"

/// ro-compat features (v5).
pub(super) const RO_FINOBT: u32 = 0x1;
pub(super) const RO_RMAPBT: u32 = 0x2;
pub(super) const RO_REFLINK: u32 = 0x4;
/// incompat features (v5) this parser reads: ftype, sparse inodes, meta
/// uuid, bigtime, needsrepair (reported), nrext64.
pub(super) const IN_FTYPE: u32 = 0x1;
pub(super) const IN_BIGTIME: u32 = 0x8;
pub(super) const IN_NEEDSREPAIR: u32 = 0x10;
const KNOWN_INCOMPAT: u32 = 0x3F;
/// features2 (v4): the dirent file-type byte.
const V2_FTYPE: u32 = 0x200;

/// Btrees with a root in the AGF or AGI, and their depths cap.
pub(super) const MAX_LEVELS: u16 = 9;

/// The filesystem's geometry, from the primary superblock.
#[derive(Debug, Clone)]
pub(super) struct Geo {
    pub bs: u64,
    pub dblocks: u64,
    pub agblocks: u64,
    pub agblklog: u32,
    pub agcount: u32,
    pub sectsize: u64,
    pub inodesize: u64,
    pub inopblog: u32,
    pub dir_bs: u64,
    pub logstart: u64,
    pub logblocks: u64,
    pub rootino: u64,
    pub rbmino: u64,
    pub rsumino: u64,
    pub quota_inos: [u64; 3],
    pub rblocks: u64,
    pub v5: bool,
    pub ftype: bool,
    pub bigtime: bool,
    pub ro_compat: u32,
    pub incompat: u32,
    pub uuid: [u8; 16],
    pub label: String,
    pub icount: u64,
}

impl Geo {
    /// Blocks in AG `agno` (the last one may be short).
    pub fn ag_len(&self, agno: u32) -> u64 {
        let before = u64::from(agno).saturating_mul(self.agblocks);
        self.dblocks.saturating_sub(before).min(self.agblocks)
    }

    /// Linear (image) block of `agbno` in AG `agno`; None past the AG.
    pub fn linear(&self, agno: u32, agbno: u64) -> Option<u64> {
        if agno >= self.agcount || agbno >= self.ag_len(agno) {
            return None;
        }
        u64::from(agno)
            .checked_mul(self.agblocks)?
            .checked_add(agbno)
    }

    /// Linear block of an fsblock (`agno << agblklog | agbno`), unchecked
    /// against the AG length (a run may start inside and run past it):
    /// None when the AG number or the agbno field cannot be an address.
    pub fn fsb_to_linear(&self, fsb: u64) -> Option<u64> {
        let agno = u32::try_from(fsb.checked_shr(self.agblklog)?).ok()?;
        let agbno = fsb & self.agbno_mask();
        if agno >= self.agcount || agbno >= self.agblocks {
            return None;
        }
        u64::from(agno)
            .checked_mul(self.agblocks)?
            .checked_add(agbno)
    }

    fn agbno_mask(&self) -> u64 {
        1u64.checked_shl(self.agblklog)
            .map_or(u64::MAX, |v| v.saturating_sub(1))
    }

    /// (AG, agbno, fsblock) of a linear block, for messages.
    pub fn where_is(&self, linear: u64) -> (u64, u64, u64) {
        let agno = linear / self.agblocks.max(1);
        let agbno = linear % self.agblocks.max(1);
        let fsb = agno.checked_shl(self.agblklog).unwrap_or(u64::MAX) | agbno;
        (agno, agbno, fsb)
    }

    /// Byte offset of an inode, from its number alone.
    pub fn inode_at(&self, ino: u64) -> Option<u64> {
        let ag_shift = self.agblklog.checked_add(self.inopblog)?;
        let agno = u32::try_from(ino.checked_shr(ag_shift)?).ok()?;
        let agino = ino & 1u64.checked_shl(ag_shift)?.checked_sub(1)?;
        let agbno = agino.checked_shr(self.inopblog)?;
        let slot = agino & 1u64.checked_shl(self.inopblog)?.checked_sub(1)?;
        let block = self.linear(agno, agbno)?;
        block
            .checked_mul(self.bs)?
            .checked_add(slot.checked_mul(self.inodesize)?)
    }

    /// The AG an inode number lies in, if any.
    pub fn inode_ag(&self, ino: u64) -> Option<u32> {
        let shift = self.agblklog.checked_add(self.inopblog)?;
        u32::try_from(ino.checked_shr(shift)?)
            .ok()
            .filter(|&ag| ag < self.agcount)
    }

    /// Inode number of slot `slot` of AG inode `agino` in AG `agno`.
    pub fn ino(&self, agno: u32, agino: u64) -> u64 {
        let shift = self.agblklog.saturating_add(self.inopblog);
        u64::from(agno).checked_shl(shift).unwrap_or(0) | agino
    }

    pub fn has(&self, ro_compat: u32) -> bool {
        self.ro_compat & ro_compat != 0
    }
}

/// A superblock the parser refuses: the field's byte and what is wrong.
fn corrupt(offset: u64, problem: SuperblockProblem) -> XfsError {
    XfsError::Superblock { offset, problem }
}

/// Reads and checks the primary superblock.
pub(super) fn superblock(view: &View<'_>, findings: &mut Vec<Finding>) -> Result<Geo, XfsError> {
    let sb = view.read(0, 512)?;
    if be32(sb, 0) != SB_MAGIC {
        return Err(corrupt(0, SuperblockProblem::NoMagic));
    }
    let sizes = sizes(sb)?;
    let bs = sizes.block;
    let ags = ag_geometry(sb)?;
    let version = be16(sb, 100) & 0xF;
    if !(4..=5).contains(&version) {
        return Err(corrupt(100, SuperblockProblem::Version { version }));
    }
    let v5 = version == 5;
    let features2 = be32(sb, 200);
    let ro_compat = if v5 { be32(sb, 212) } else { 0 };
    let incompat = if v5 { be32(sb, 216) } else { 0 };
    if v5 {
        check_v5(view, sizes.sector, incompat, findings)?;
    }
    let dirblklog = u32::from(u8_at(sb, 192));
    let dir_bs = bs
        .checked_shl(dirblklog)
        .filter(|&d| d <= 65536)
        .ok_or_else(|| corrupt(192, SuperblockProblem::DirBlockLog { log: dirblklog }))?;
    let mut uuid = [0u8; 16];
    if let Some(u) = sb.get(32..48) {
        uuid.copy_from_slice(u);
    }
    let name = sb.get(108..120).unwrap_or(&[]);
    let name_end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok(Geo {
        bs,
        dblocks: ags.dblocks,
        agblocks: ags.agblocks,
        agblklog: ags.agblklog,
        agcount: ags.agcount,
        sectsize: sizes.sector,
        inodesize: sizes.inode,
        inopblog: sizes.inopblog,
        dir_bs,
        logstart: be64(sb, 48),
        logblocks: u64::from(be32(sb, 96)),
        rootino: be64(sb, 56),
        rbmino: be64(sb, 64),
        rsumino: be64(sb, 72),
        quota_inos: [
            be64(sb, 160),
            be64(sb, 168),
            if v5 { be64(sb, 232) } else { 0 },
        ],
        rblocks: be64(sb, 16),
        v5,
        ftype: if v5 {
            incompat & IN_FTYPE != 0
        } else {
            features2 & V2_FTYPE != 0
        },
        bigtime: incompat & IN_BIGTIME != 0,
        ro_compat,
        incompat,
        uuid,
        label: crate::model::name_from_bytes(name.get(..name_end).unwrap_or(&[])).into_owned(),
        icount: be64(sb, 128),
    })
}

/// The superblock's unit sizes, in bytes.
struct Sizes {
    block: u64,
    sector: u64,
    inode: u64,
    /// log2 of inodes per block.
    inopblog: u32,
}

/// sb_blocksize (4) with sb_blocklog (120), sb_sectsize (102), and
/// sb_inodesize (104) with sb_inopblog (123): each a power of two, inodes
/// filling a block exactly.
fn sizes(sb: &[u8]) -> Result<Sizes, XfsError> {
    let bs = u64::from(be32(sb, 4));
    let blocklog = u8_at(sb, 120);
    if !(9..=16).contains(&blocklog) || 1u64 << blocklog != bs {
        return Err(corrupt(
            4,
            SuperblockProblem::BlockSize {
                size: bs,
                log: blocklog,
            },
        ));
    }
    let sectsize = u64::from(be16(sb, 102));
    if !matches!(sectsize, 512 | 1024 | 2048 | 4096 | 8192 | 16384 | 32768) || sectsize > bs {
        return Err(corrupt(
            102,
            SuperblockProblem::SectorSize { size: sectsize },
        ));
    }
    let inodesize = u64::from(be16(sb, 104));
    let inopblog = u32::from(u8_at(sb, 123));
    if !matches!(inodesize, 256 | 512 | 1024 | 2048) || inodesize.checked_shl(inopblog) != Some(bs)
    {
        return Err(corrupt(
            104,
            SuperblockProblem::InodeSize {
                size: inodesize,
                per_block: 1u64 << inopblog.min(63),
                block_size: bs,
            },
        ));
    }
    Ok(Sizes {
        block: bs,
        sector: sectsize,
        inode: inodesize,
        inopblog,
    })
}

/// How the data blocks divide into AGs.
struct AgGeometry {
    dblocks: u64,
    agblocks: u64,
    agblklog: u32,
    agcount: u32,
}

/// sb_agblocks (84), sb_agcount (88), sb_agblklog (124) and sb_dblocks (8):
/// the last AG is the only short one.
fn ag_geometry(sb: &[u8]) -> Result<AgGeometry, XfsError> {
    let agblocks = u64::from(be32(sb, 84));
    let agcount = be32(sb, 88);
    let agblklog = u32::from(u8_at(sb, 124));
    let dblocks = be64(sb, 8);
    // agblklog is log2 of agblocks rounded up; a wrong one misplaces every
    // fsblock and inode number.
    let want_log = 64 - agblocks.saturating_sub(1).leading_zeros();
    if agblocks < 64 || agcount == 0 || agblklog != want_log || agblklog > 31 {
        return Err(corrupt(
            84,
            SuperblockProblem::AgGeometry {
                count: agcount,
                blocks: agblocks,
                log: agblklog,
            },
        ));
    }
    let span = u64::from(agcount).saturating_mul(agblocks);
    if dblocks == 0 || dblocks > span || dblocks <= span.saturating_sub(agblocks) {
        return Err(corrupt(
            8,
            SuperblockProblem::DataBlocks {
                dblocks,
                ag_count: agcount,
                ag_blocks: agblocks,
            },
        ));
    }
    Ok(AgGeometry {
        dblocks,
        agblocks,
        agblklog,
        agcount,
    })
}

/// A v5 superblock: its crc32c (sb_crc, 224, over the whole sector), the
/// incompat features (sb_features_incompat, 216) this parser reads, and
/// NEEDSREPAIR.
fn check_v5(
    view: &View<'_>,
    sectsize: u64,
    incompat: u32,
    findings: &mut Vec<Finding>,
) -> Result<(), XfsError> {
    let sector = view.read(0, sectsize as usize)?;
    let (ok, stored, computed) = crc_ok(sector, 224);
    if !ok {
        findings.push(
            Finding::new(
                Code::ChecksumMismatch,
                format!("primary superblock crc32c is {stored:#010x}, computed {computed:#010x}"),
            )
            .with_blocks([[0, 1]]),
        );
    }
    let unknown = incompat & !KNOWN_INCOMPAT;
    if unknown != 0 {
        return Err(corrupt(
            216,
            SuperblockProblem::UnknownIncompat { bits: unknown },
        ));
    }
    if incompat & IN_NEEDSREPAIR != 0 {
        findings.push(Finding::new(Code::NeedsRepair,
            "the superblock sets NEEDSREPAIR: a repair was started and not finished; the kernel refuses to mount it",
        ));
    }
    Ok(())
}

/// One AG's headers: the btree roots and the AGFL's live blocks.
#[derive(Debug, Default, Clone)]
pub(super) struct Ag {
    /// (root agbno, levels) of bnobt, cntbt, rmapbt, refcountbt, inobt, finobt.
    pub bno: Option<(u32, u16)>,
    pub cnt: Option<(u32, u16)>,
    pub rmap: Option<(u32, u16)>,
    pub refcount: Option<(u32, u16)>,
    pub ino: Option<(u32, u16)>,
    pub fino: Option<(u32, u16)>,
    /// Blocks on the AGFL (live slots only), as agbnos.
    pub agfl: Vec<u32>,
}

/// Reads the AGF, AGI and AGFL of one AG; problems become findings and the
/// trees whose roots could not be read are left out.
pub(super) fn ag_headers(view: &View<'_>, geo: &Geo, agno: u32, findings: &mut Vec<Finding>) -> Ag {
    let mut ag = Ag::default();
    let Some(first) = geo.linear(agno, 0) else {
        return ag;
    };
    let headers = Headers {
        view,
        geo,
        agno,
        first,
    };
    if agno > 0 {
        headers.superblock_copy(findings);
    }
    headers.agf(&mut ag, findings);
    headers.agi(&mut ag, findings);
    ag
}

/// A btree root from the AGF or AGI: (agbno, levels), None when the level
/// count is impossible.
fn root(agbno: u32, levels: u32) -> Option<(u32, u16)> {
    (levels >= 1 && levels <= u32::from(MAX_LEVELS)).then_some((agbno, levels as u16))
}

/// The four header sectors of one AG: SB (0), AGF (1), AGI (2), AGFL (3).
struct Headers<'a, 'v> {
    view: &'a View<'v>,
    geo: &'a Geo,
    agno: u32,
    /// Linear block of the AG's first block.
    first: u64,
}

impl Headers<'_, '_> {
    fn sector(&self, k: u64) -> Result<&[u8], crate::image::ReadError> {
        let ss = self.geo.sectsize;
        let base = self.first.saturating_mul(self.geo.bs);
        self.view
            .read(base.saturating_add(k.saturating_mul(ss)), ss as usize)
    }

    fn bad(&self, findings: &mut Vec<Finding>, what: &str, why: String) {
        findings.push(
            Finding::new(
                Code::BadAgHeader,
                format!(
                    "AG {}: the {what} {why}; its trees are not walked",
                    self.agno
                ),
            )
            .with_blocks([[self.first, 1]]),
        );
    }

    /// A v5 header's crc32c at byte `at`.
    fn crc(&self, bytes: &[u8], at: usize, what: &str, findings: &mut Vec<Finding>) {
        if !self.geo.v5 {
            return;
        }
        let (ok, stored, computed) = crc_ok(bytes, at);
        if !ok {
            findings.push(
                Finding::new(
                    Code::ChecksumMismatch,
                    format!(
                        "AG {}: {what} crc32c is {stored:#010x}, computed {computed:#010x}",
                        self.agno
                    ),
                )
                .with_blocks([[self.first, 1]]),
            );
        }
    }

    /// Secondary superblocks: the magic, the CRC, and the fields growfs
    /// never changes (block size, AG size, sector and inode sizes, UUID);
    /// xfs_repair rebuilds the primary from these copies.
    fn superblock_copy(&self, findings: &mut Vec<Finding>) {
        let Ok(s) = self.sector(0) else {
            return;
        };
        if be32(s, 0) != SB_MAGIC {
            self.bad(findings, "superblock copy", "has no XFSB magic".into());
            return;
        }
        self.crc(s, 224, "superblock copy", findings);
        let geo = self.geo;
        let mut differ = Vec::new();
        for (what, ours, primary) in [
            ("block size", u64::from(be32(s, 4)), geo.bs),
            ("AG size", u64::from(be32(s, 84)), geo.agblocks),
            ("sector size", u64::from(be16(s, 102)), geo.sectsize),
            ("inode size", u64::from(be16(s, 104)), geo.inodesize),
        ] {
            if ours != primary {
                differ.push(format!("{what} {ours} (primary: {primary})"));
            }
        }
        if s.get(32..48) != Some(&geo.uuid[..]) {
            differ.push("UUID".to_string());
        }
        if !differ.is_empty() {
            findings.push(
                Finding::new(
                    Code::SuperblockCopyMismatch,
                    format!(
                        "AG {}: the superblock copy disagrees with the primary: {}",
                        self.agno,
                        differ.join(", ")
                    ),
                )
                .with_blocks([[self.first, 1]]),
            );
        }
    }

    /// `xfs_agf`: agf_magicnum (0), agf_seqno (8), the roots (16: bnobt,
    /// cntbt, rmapbt) and their levels (28), agf_flfirst/fllast/flcount
    /// (40, 44, 48), agf_crc (216), the refcountbt root and level (88, 92).
    fn agf(&self, ag: &mut Ag, findings: &mut Vec<Finding>) {
        let geo = self.geo;
        let agf = match self.sector(1) {
            Ok(agf) if be32(agf, 0) == AGF_MAGIC && be32(agf, 8) == self.agno => agf,
            Ok(_) => {
                return self.bad(
                    findings,
                    "AGF",
                    "has no XAGF magic or the wrong AG number".into(),
                );
            }
            Err(e) => return self.bad(findings, "AGF", format!("cannot be read: {e}")),
        };
        let levels = |k: usize| be32(agf, 28 + 4 * k);
        ag.bno = root(be32(agf, 16), levels(0));
        ag.cnt = root(be32(agf, 20), levels(1));
        if geo.has(RO_RMAPBT) {
            ag.rmap = root(be32(agf, 24), levels(2));
        }
        if geo.has(RO_REFLINK) {
            ag.refcount = root(be32(agf, 88), be32(agf, 92));
        }
        self.crc(agf, 216, "AGF", findings);
        let free_list = (be32(agf, 40), be32(agf, 44), be32(agf, 48));
        self.agfl(free_list, ag, findings);
    }

    /// The AGFL's live slots, `flcount` from `flfirst` (wrapping) to
    /// `fllast`: v5 has a 36-byte header (magic, seqno, uuid, lsn, crc at
    /// 32) before the slots.
    fn agfl(
        &self,
        (flfirst, fllast, flcount): (u32, u32, u32),
        ag: &mut Ag,
        findings: &mut Vec<Finding>,
    ) {
        let geo = self.geo;
        let Ok(agfl) = self.sector(3) else {
            return;
        };
        let head = if geo.v5 { 36 } else { 0 };
        if geo.v5 {
            if be32(agfl, 0) != AGFL_MAGIC {
                self.bad(findings, "AGFL", "has no XAFL magic".into());
            } else {
                self.crc(agfl, 32, "AGFL", findings);
            }
        }
        let slots = (geo.sectsize as usize).saturating_sub(head) / 4;
        if flcount as usize > slots
            || (flcount > 0 && (flfirst as usize >= slots || fllast as usize >= slots))
        {
            self.bad(
                findings,
                "AGF",
                format!(
                    "free list of {flcount} from slot {flfirst} to {fllast} does not fit {slots} slots"
                ),
            );
            return;
        }
        let mut k = flfirst as usize;
        for _ in 0..flcount {
            ag.agfl.push(be32(agfl, head + 4 * k));
            k = (k + 1) % slots.max(1);
        }
    }

    /// `xfs_agi`: agi_magicnum (0), agi_seqno (8), the inobt root and level
    /// (20, 24), agi_crc (312), the finobt root and level (328, 332).
    fn agi(&self, ag: &mut Ag, findings: &mut Vec<Finding>) {
        match self.sector(2) {
            Ok(agi) if be32(agi, 0) == AGI_MAGIC && be32(agi, 8) == self.agno => {
                ag.ino = root(be32(agi, 20), be32(agi, 24));
                if self.geo.has(RO_FINOBT) {
                    ag.fino = root(be32(agi, 328), be32(agi, 332));
                }
                self.crc(agi, 312, "AGI", findings);
            }
            Ok(_) => self.bad(
                findings,
                "AGI",
                "has no XAGI magic or the wrong AG number".into(),
            ),
            Err(e) => self.bad(findings, "AGI", format!("cannot be read: {e}")),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// 4 KiB blocks, 512-byte inodes, AGs of 20480 blocks (agblklog 15).
    pub(crate) fn geo() -> Geo {
        Geo {
            bs: 4096,
            dblocks: 81920,
            agblocks: 20480,
            agblklog: 15,
            agcount: 4,
            sectsize: 512,
            inodesize: 512,
            inopblog: 3,
            dir_bs: 4096,
            logstart: 65543,
            logblocks: 16384,
            rootino: 128,
            rbmino: 129,
            rsumino: 130,
            quota_inos: [0; 3],
            rblocks: 0,
            v5: true,
            ftype: true,
            bigtime: true,
            ro_compat: RO_FINOBT | RO_RMAPBT | RO_REFLINK,
            incompat: IN_FTYPE | IN_BIGTIME,
            uuid: [0; 16],
            label: String::new(),
            icount: 64,
        }
    }

    #[test]
    fn fsblocks_and_inode_numbers_convert_as_xfs_db_says() {
        let g = geo();
        // logstart 65543 = AG 2 block 7 = linear 40967 (FORMATS.md, checked).
        assert_eq!(g.fsb_to_linear(65543), Some(40967));
        assert_eq!(g.where_is(40967), (2, 7, 65543));
        // An agbno past the AG, or an AG past agcount, is no address.
        assert_eq!(g.fsb_to_linear((1 << 15) | 20480), None);
        assert_eq!(g.fsb_to_linear(4 << 15), None);
        // ino 131 = AG 0, block 16, slot 3.
        assert_eq!(g.inode_at(131), Some(16 * 4096 + 3 * 512));
        assert_eq!(g.inode_ag(131), Some(0));
        // AG 2 inode 131201 is inode 655489.
        assert_eq!(g.ino(2, 131_201), (2 << 18) | 131_201);
        assert_eq!(g.inode_ag(4 << 18), None);
    }

    #[test]
    fn a_refused_superblock_says_which_field_and_why() {
        let mut sb = vec![0u8; 512];
        let refused = |sb: &[u8]| match superblock(&View::from_bytes(sb), &mut Vec::new()) {
            Err(XfsError::Superblock { offset, problem }) => Some((offset, problem)),
            _ => None,
        };
        assert_eq!(refused(&sb), Some((0, SuperblockProblem::NoMagic)));
        sb[0..4].copy_from_slice(&SB_MAGIC.to_be_bytes());
        sb[4..8].copy_from_slice(&4096u32.to_be_bytes());
        sb[120] = 12; // sb_blocklog
        sb[102..104].copy_from_slice(&512u16.to_be_bytes());
        sb[104..106].copy_from_slice(&512u16.to_be_bytes());
        sb[123] = 3; // sb_inopblog
        sb[84..88].copy_from_slice(&10u32.to_be_bytes()); // sb_agblocks
        sb[88..92].copy_from_slice(&4u32.to_be_bytes());
        assert_eq!(
            refused(&sb),
            Some((
                84,
                SuperblockProblem::AgGeometry {
                    count: 4,
                    blocks: 10,
                    log: 0
                }
            ))
        );
        sb[120] = 13;
        assert!(matches!(
            refused(&sb),
            Some((
                4,
                SuperblockProblem::BlockSize {
                    size: 4096,
                    log: 13
                }
            ))
        ));
    }

    #[test]
    fn crc_is_standard_crc32c_stored_little_endian_over_the_zeroed_field() {
        let mut block = vec![7u8; 512];
        block[52..56].fill(0);
        let crc = crc32c::crc32c(&block);
        block[52..56].copy_from_slice(&crc.to_le_bytes());
        assert!(crc_ok(&block, 52).0);
        block[100] ^= 1;
        assert!(!crc_ok(&block, 52).0);
        // A field past the end is never right.
        assert!(!crc_ok(&block, 510).0);
    }
}
