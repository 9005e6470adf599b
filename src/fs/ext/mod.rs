//! ext2/ext3/ext4: from raw bytes to the common [`Filesystem`] model.
//!
//! Order of work: superblock → group descriptors → metadata regions → block
//! bitmaps → every inode-table slot → block maps → xattr blocks → directories
//! (names). Only an unreadable or impossible superblock is fatal; every other
//! problem becomes a [`Finding`] and the walk goes on.

pub mod blockmap;
pub mod csum;
pub mod dir;
mod format;
pub mod groups;
pub mod inode;
mod inode_model;
pub mod journal;
mod keep;
mod names;
pub mod orphan;
mod resize;
pub mod roles;
mod slots;
pub mod superblock;
mod xattr;

pub use format::FORMAT;
pub use names::MAX_NAMES_PER_INODE;

use crate::bytes::le32;
use crate::fs::{Detail, Progress};
use crate::image::{ReadError, View};
use crate::model::Code;
use crate::model::{
    Filesystem, Finding, FsInfo, InodeNo, Omitted, Severity, Units, name_from_bytes,
};

use inode::flags;
use inode_model::read_raw_inode;
use keep::KeepRule;
use names::name_inodes;
use superblock::{Superblock, compat, incompat, ro_compat};
use xattr::xattr_sharing;

/// Why a volume could not be read as ext2/3/4 at all.
#[derive(Debug, thiserror::Error)]
pub enum ExtError {
    #[error("no ext2/3/4 superblock (magic 0xEF53 not found at byte 1080)")]
    NotExt,
    /// A superblock (at byte `offset`) whose geometry cannot be walked.
    #[error("corrupt superblock at byte {offset:#x}: {kind}")]
    Corrupt {
        offset: u64,
        kind: superblock::SuperblockProblem,
    },
    /// `mke2fs -O journal_dev`: a journal and nothing else (e2fsck refuses
    /// it with "unsupported feature(s)" and exit status 8).
    #[error("{0}")]
    JournalDevice(JournalDevice),
    #[error(transparent)]
    Read(#[from] ReadError),
}

const BAD_BLOCKS_INO: u64 = 1;
const RESIZE_INO: u64 = 7;

/// True if the volume starts with an ext superblock.
pub fn probe(view: &View<'_>) -> bool {
    view.read(superblock::SUPERBLOCK_OFFSET + 0x38, 2)
        .is_ok_and(|m| m == [0x53, 0xEF])
}

/// An external journal device (`mke2fs -O journal_dev`: INCOMPAT_JOURNAL_DEV
/// set in the ext superblock): a journal and no filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalDevice {
    /// The device's own UUID (s_uuid).
    pub uuid: [u8; 16],
    /// The filesystems its JBD2 superblock lists as users (s_users,
    /// s_nr_users of them); None when that superblock cannot be read.
    pub users: Option<Vec<[u8; 16]>>,
}

impl std::fmt::Display for JournalDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "an ext3/4 external journal device (mke2fs -O journal_dev), UUID {}: no filesystem on it",
            crate::bytes::uuid(&self.uuid)
        )?;
        let Some(users) = &self.users else {
            return f.write_str(
                "; its journal superblock cannot be read, so the filesystem it belongs to is unknown",
            );
        };
        let users: Vec<String> = users.iter().map(crate::bytes::uuid).collect();
        match users.as_slice() {
            [] => f.write_str(
                "; no filesystem is attached to its journal yet (s_nr_users 0); one that uses it names this UUID in s_journal_uuid",
            ),
            [one] => write!(
                f,
                "; its journal belongs to the filesystem with UUID {one}, which is not in this image: check that filesystem with e2fsck -j pointing at this device"
            ),
            many => write!(
                f,
                "; its journal is shared by the filesystems with UUIDs {}",
                many.join(", ")
            ),
        }
    }
}

/// What an external journal device is, when the superblock is one's
/// (INCOMPAT_JOURNAL_DEV): its own UUID, and the filesystems its JBD2
/// superblock (in the block after the ext superblock's) lists as users.
pub fn journal_device(view: &View<'_>, raw_sb: &[u8]) -> Option<JournalDevice> {
    const JBD2_MAGIC: u32 = 0xC03B_3998;
    const MAX_USERS: usize = 48;
    if le32(raw_sb, 0x60) & incompat::JOURNAL_DEV == 0 || raw_sb.get(0x38..0x3A)? != [0x53, 0xEF] {
        return None;
    }
    let uuid = raw_sb
        .get(0x68..0x78)
        .and_then(|u| <[u8; 16]>::try_from(u).ok())?;
    let log_block_size = le32(raw_sb, 0x18);
    let jsb = (log_block_size <= 6)
        .then(|| 1024u64 << log_block_size)
        .and_then(|bs| {
            let at = u64::from(le32(raw_sb, 0x14))
                .checked_add(1)?
                .checked_mul(bs)?;
            view.read(at, 1024).ok()
        })
        .filter(|j| crate::bytes::be32(j, 0) == JBD2_MAGIC);
    // journal_superblock_t: s_nr_users at 0x40, the s_users UUIDs from 0x100.
    let users = jsb.map(|jsb| {
        let count = crate::bytes::be32(jsb, 0x40) as usize;
        (0..count.min(MAX_USERS))
            .filter_map(|i| jsb.get(0x100 + 16 * i..0x110 + 16 * i))
            .filter_map(|u| <[u8; 16]>::try_from(u).ok())
            .collect()
    });
    Some(JournalDevice { uuid, users })
}

/// True if the volume's ext superblock is one [`parse`] accepts (the magic
/// and a geometry that can be walked; not a journal device).
pub fn valid(view: &View<'_>) -> bool {
    probe(view)
        && view
            .read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE)
            .is_ok_and(|raw| Superblock::parse(raw).is_ok() && journal_device(view, raw).is_none())
}

/// The first backup superblock that parses, when the primary does not, tried
/// where e2fsck tries (unix.c `get_backup_sb`): group 1 of the primary's own
/// geometry when its block size and group size are still readable, then the
/// start of group 1 for every block size under mke2fs's default geometry
/// (8 × block size blocks per group, plus one with 1 KiB blocks). The copy
/// must lie where its own geometry puts group `g`'s superblock. The kernel
/// mounts it with `-o sb=N` (N in 1 KiB units).
pub fn backup_superblock(view: &View<'_>) -> Option<(Superblock, u64)> {
    let primary = probe(view)
        .then(|| view.read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE))
        .and_then(Result::ok)
        .and_then(|raw| {
            let log = le32(raw, 0x18);
            let per_group = u64::from(le32(raw, 0x20));
            (log <= 6 && per_group >= 8).then(|| {
                let bs = 1024u64 << log;
                (bs, per_group + u64::from(le32(raw, 0x14)))
            })
        });
    let defaults = (10..=16).map(|log| {
        let bs: u64 = 1 << log;
        (bs, bs * 8 + u64::from(bs == 1024))
    });
    primary.into_iter().chain(defaults).find_map(|(bs, block)| {
        let raw = view
            .read(block.checked_mul(bs)?, superblock::SUPERBLOCK_SIZE)
            .ok()?;
        let mut sb = Superblock::parse(raw).ok()?;
        let group =
            block.checked_sub(u64::from(sb.first_data_block))? / u64::from(sb.blocks_per_group);
        let fits = u64::from(sb.block_size) == bs
            && sb.group_first_block(group) == block
            && group >= 1
            && group < sb.group_count
            && journal_device(view, raw).is_none();
        fits.then(|| {
            sb.backup_group = group;
            (sb, block)
        })
    })
}

/// The superblock a parse goes by: the primary (`raw_sb`), else the first
/// backup that parses, with the finding that says the primary was passed over.
fn superblock_in_use(
    view: &View<'_>,
    raw_sb: &[u8],
) -> Result<(Superblock, Option<Finding>), ExtError> {
    let primary = match Superblock::parse(raw_sb) {
        Ok(sb) => return Ok((sb, None)),
        Err(e) => e,
    };
    let Some((sb, block)) = backup_superblock(view) else {
        return Err(primary);
    };
    let finding = Finding::new(
        Code::PrimarySuperblockUnusable,
        format!(
            "the primary superblock (byte 1024) is unusable ({primary}); scanned through the backup in group {} at block {block}, with its group's copy of the descriptors, as e2fsck does (\"trying backup blocks\", e2fsck -b {block}); the kernel mounts it only with -o sb={}",
            sb.backup_group,
            block * u64::from(sb.block_size) / 1024
        ),
    );
    Ok((sb, Some(finding)))
}

/// Parses the whole filesystem, keeping in the model the inodes `detail` asks for.
pub fn parse(
    view: &View<'_>,
    detail: Detail,
    progress: &dyn Progress,
) -> Result<Filesystem, ExtError> {
    let raw_sb = view.read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE)?;
    if let Some(device) = journal_device(view, raw_sb) {
        return Err(ExtError::JournalDevice(device));
    }
    let (sb, fell_back) = superblock_in_use(view, raw_sb)?;
    let mut findings: Vec<Finding> = fell_back.into_iter().collect();
    superblock_findings(view, &sb, &mut findings);

    let descs = groups::read_descriptors(view, &sb, &mut findings);
    let metadata = groups::metadata_regions(&sb, &descs, &mut findings);
    let allocation = groups::read_block_bitmaps(view, &sb, &descs, &metadata, &mut findings);
    let inode_bitmaps = groups::read_inode_bitmaps(view, &sb, &descs, &mut findings);
    let orphans = orphan::read(view, &sb, &descs, &inode_bitmaps, &mut findings);

    // With bigalloc, sharing is also judged per cluster from every inode's
    // runs: such filesystems are always modelled whole.
    let detail = if sb.cluster_ratio > 1 {
        Detail::Everything
    } else {
        detail
    };
    let asked = match detail {
        Detail::Claiming(block) => vec![(block, 1)],
        _ => Vec::new(),
    };
    let keep = KeepRule::new(view, &sb, detail, &asked, &orphans.release);

    let tables = slots::Tables {
        view,
        sb: &sb,
        descs: &descs,
        inode_bitmaps: &inode_bitmaps,
    };
    let slots::TableScan {
        mut inodes,
        runs,
        xattr_referrers,
        inline_dirs,
        elsewhere,
        in_use,
        omitted,
    } = tables.scan(keep, &metadata, &allocation, progress, &mut findings);

    let declared_sharing = xattr_sharing(view, &sb, &xattr_referrers, &mut findings);
    progress.step("directories", 0, 1);
    let names = name_inodes(
        view,
        &sb,
        &descs,
        &mut inodes,
        &elsewhere,
        &runs,
        &inline_dirs,
        &mut findings,
    );
    progress.step("directories", 1, 1);

    let info = fs_info(&sb, in_use, &mut findings);
    let shared_blocks = sb.has_ro_compat(ro_compat::SHARED_BLOCKS);
    if shared_blocks {
        findings.push(Finding::new(Code::SharedBlocksFeature,
            "the shared_blocks feature is set: e2fsck skips duplicate-block detection entirely on this filesystem, so `e2fsck -fn` passing says nothing about cross-links; every cross-link below was found anyway".to_string(),
        ));
    }
    Ok(Filesystem {
        info,
        omitted: omitted.map(|claims| Omitted {
            inodes: in_use.saturating_sub(inodes.len() as u64),
            claims,
        }),
        inodes,
        metadata,
        runs,
        names,
        allocated: Some(allocation.allocated),
        allocation_unknown: allocation.unknown,
        first_data_block: u64::from(sb.first_data_block),
        cluster_blocks: u64::from(sb.cluster_ratio),
        declared_sharing,
        inode_labels: [(1, "bad blocks inode"), (RESIZE_INO as u32, "resize inode")]
            .into_iter()
            .chain(sb.special_inodes.iter().copied())
            .map(|(ino, what)| (u64::from(ino), what))
            .collect(),
        own_metadata_inodes: if sb.has_compat(compat::RESIZE_INODE) {
            vec![(RESIZE_INO, roles::RESERVED_GDT)]
        } else {
            Vec::new()
        },
        shared_blocks_declared: shared_blocks,
        units: Units::linear("block bitmap"),
        immutable: false,
        slots: Vec::new(),
        findings,
    })
}

/// What the superblock says of the filesystem as a whole; feature bits this
/// tool does not know are also a finding.
fn fs_info(sb: &Superblock, inodes_in_use: u64, findings: &mut Vec<Finding>) -> FsInfo {
    let (features, unknown) = sb.feature_names();
    if !unknown.is_empty() {
        findings.push(Finding::new(
            Code::UnknownFeature,
            format!(
                "the superblock sets feature bits this tool does not know: {}",
                unknown.join(", ")
            ),
        ));
    }
    // s_volume_name: 16 bytes, NUL-padded.
    let label_end = sb.volume_name.iter().position(|&b| b == 0).unwrap_or(16);
    FsInfo {
        fs_type: sb.fs_type().to_string(),
        block_size: sb.block_size,
        block_count: sb.blocks_count,
        inode_count: u64::from(sb.inodes_count),
        label: name_from_bytes(sb.volume_name.get(..label_end).unwrap_or(&[])).into_owned(),
        uuid: crate::bytes::uuid(&sb.uuid),
        features: features.into_iter().chain(unknown).collect(),
        groups: sb.group_count,
        inodes_in_use,
    }
}

fn superblock_findings(view: &View<'_>, sb: &Superblock, findings: &mut Vec<Finding>) {
    if sb.metadata_csum() && sb.checksum != sb.computed_checksum {
        findings.push(
            Finding::new(
                Code::ChecksumMismatch,
                format!(
                    "superblock checksum is {:#010x}, computed {:#010x}",
                    sb.checksum, sb.computed_checksum
                ),
            )
            .with_blocks([[groups::primary_sb_block(sb), 1]]),
        );
    }
    let needed = sb.blocks_count.saturating_mul(u64::from(sb.block_size));
    if needed > view.len() {
        findings.push(Finding::new(Code::TruncatedImage,
            format!(
                "the filesystem claims {} blocks ({needed} bytes) but the volume holds {} bytes: it is scanned as far as it goes",
                sb.blocks_count,
                view.len()
            ),
        ));
    }
    let expected_inodes = sb
        .group_count
        .saturating_mul(u64::from(sb.inodes_per_group));
    if expected_inodes != u64::from(sb.inodes_count) {
        findings.push(
            Finding::new(
                Code::BadSuperblock,
                format!(
                    "s_inodes_count is {} but {} groups of {} inodes make {expected_inodes}",
                    sb.inodes_count, sb.group_count, sb.inodes_per_group
                ),
            )
            .with_severity(Severity::Medium),
        );
    }
    if sb.cluster_ratio > 1 {
        findings.push(Finding::new(Code::Bigalloc,
            format!(
                "bigalloc: blocks are allocated in clusters of {} blocks; sharing is checked per block and per cluster (a cluster has one owner); leaked blocks are not counted",
                sb.cluster_ratio
            ),
        ));
    }
    if sb.has_incompat(incompat::RECOVER) {
        findings.push(Finding::new(Code::NeedsRecovery,
            "the journal needs recovery: the kernel will replay it at mount and may change what is shown here".to_string(),
        ));
    }
}

/// The bytes an inode keeps in itself: the inline data of an inline-data
/// file (the 60 bytes of `i_block`, then the `system.data` xattr value;
/// Documentation/filesystems/ext4/inlinedata.rst) or a fast symlink's
/// target, cut at `i_size`. None when the inode cannot be read.
pub fn inode_bytes(view: &View<'_>, ino: InodeNo) -> Option<Vec<u8>> {
    let raw_sb = view
        .read(superblock::SUPERBLOCK_OFFSET, superblock::SUPERBLOCK_SIZE)
        .ok()?;
    let (sb, _) = superblock_in_use(view, raw_sb).ok()?;
    let descs = groups::read_descriptors(view, &sb, &mut Vec::new());
    let ri = read_raw_inode(view, &sb, &descs, ino)?;
    let mut bytes = ri.i_block.to_vec();
    if ri.has_flag(flags::INLINE_DATA) {
        bytes.extend_from_slice(ri.inline_data_xattr().unwrap_or(&[]));
    }
    bytes.truncate(usize::try_from(ri.size).unwrap_or(usize::MAX));
    Some(bytes)
}
