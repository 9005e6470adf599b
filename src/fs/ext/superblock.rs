//! The ext2/3/4 superblock (`struct ext4_super_block`), validated into geometry.
//!
//! Sources: Documentation/filesystems/ext4/super.rst; fs/ext4/ext4.h;
//! e2fsprogs lib/ext2fs/ext2_fs.h.

use crate::bytes::{hi_lo, le16, le32, le64};
use crate::fs::ext::ExtError;
use crate::fs::ext::csum::raw_crc32c;

/// The primary superblock always starts 1024 bytes into the volume.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
pub const SUPERBLOCK_SIZE: usize = 1024;
const EXT2_MAGIC: u16 = 0xEF53;

pub mod compat {
    pub const HAS_JOURNAL: u32 = 0x4;
    pub const RESIZE_INODE: u32 = 0x10;
    pub const SPARSE_SUPER2: u32 = 0x200;
    pub const ORPHAN_FILE: u32 = 0x1000;
    pub const NAMES: &[(u32, &str)] = &[
        (0x1, "dir_prealloc"),
        (0x2, "imagic_inodes"),
        (0x4, "has_journal"),
        (0x8, "ext_attr"),
        (0x10, "resize_inode"),
        (0x20, "dir_index"),
        (0x40, "lazy_bg"),
        (0x80, "exclude_inode"),
        (0x100, "exclude_bitmap"),
        (0x200, "sparse_super2"),
        (0x400, "fast_commit"),
        (0x800, "stable_inodes"),
        (0x1000, "orphan_file"),
    ];
}

pub mod incompat {
    pub const FILETYPE: u32 = 0x2;
    pub const RECOVER: u32 = 0x4;
    pub const JOURNAL_DEV: u32 = 0x8;
    pub const META_BG: u32 = 0x10;
    pub const EXTENTS: u32 = 0x40;
    pub const BIT64: u32 = 0x80;
    pub const MMP: u32 = 0x100;
    pub const CSUM_SEED: u32 = 0x2000;
    pub const INLINE_DATA: u32 = 0x8000;
    pub const NAMES: &[(u32, &str)] = &[
        (0x1, "compression"),
        (0x2, "filetype"),
        (0x4, "needs_recovery"),
        (0x8, "journal_dev"),
        (0x10, "meta_bg"),
        (0x40, "extent"),
        (0x80, "64bit"),
        (0x100, "mmp"),
        (0x200, "flex_bg"),
        (0x400, "ea_inode"),
        (0x1000, "dirdata"),
        (0x2000, "metadata_csum_seed"),
        (0x4000, "large_dir"),
        (0x8000, "inline_data"),
        (0x10000, "encrypt"),
        (0x20000, "casefold"),
    ];
}

pub mod ro_compat {
    pub const SPARSE_SUPER: u32 = 0x1;
    pub const HUGE_FILE: u32 = 0x8;
    pub const GDT_CSUM: u32 = 0x10;
    pub const BIGALLOC: u32 = 0x200;
    pub const METADATA_CSUM: u32 = 0x400;
    pub const SHARED_BLOCKS: u32 = 0x4000;
    pub const NAMES: &[(u32, &str)] = &[
        (0x1, "sparse_super"),
        (0x2, "large_file"),
        (0x4, "btree_dir"),
        (0x8, "huge_file"),
        (0x10, "uninit_bg"),
        (0x20, "dir_nlink"),
        (0x40, "extra_isize"),
        (0x80, "has_snapshot"),
        (0x100, "quota"),
        (0x200, "bigalloc"),
        (0x400, "metadata_csum"),
        (0x800, "replica"),
        (0x1000, "read-only"),
        (0x2000, "project"),
        (0x4000, "shared_blocks"),
        (0x8000, "verity"),
        (0x10000, "orphan_present"),
    ];
}

/// The superblock fields imginspect uses, with the geometry derived and checked.
#[derive(Debug, Clone)]
pub struct Superblock {
    pub inodes_count: u32,
    pub blocks_count: u64,
    pub first_data_block: u32,
    pub block_size: u32,
    pub cluster_ratio: u32,
    pub blocks_per_group: u32,
    pub clusters_per_group: u32,
    pub inodes_per_group: u32,
    pub rev_level: u32,
    pub first_ino: u32,
    pub inode_size: u16,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    pub reserved_gdt_blocks: u16,
    pub journal_inum: u32,
    pub desc_size: u32,
    pub first_meta_bg: u32,
    pub mmp_block: u64,
    pub backup_bgs: [u32; 2],
    pub checksum_seed: u32,
    /// s_last_orphan: the head of the orphan list (0 when empty).
    pub last_orphan: u32,
    /// s_orphan_file_inum: the orphan file's inode (orphan_file feature).
    pub orphan_file_inum: u32,
    /// s_state: EXT2_VALID_FS 1, EXT2_ERROR_FS 2, EXT3_ORPHAN_FS 4.
    pub state: u16,
    /// The group whose superblock copy this is: 0 for the primary; a backup
    /// (read when the primary is unusable) brings its group's descriptors.
    pub backup_group: u64,
    /// Inodes the superblock itself points at (s_journal_inum, the quota
    /// inodes, s_orphan_file_inum), with what each is: no directory names
    /// them, and none is expected to.
    pub special_inodes: Vec<(u32, &'static str)>,
    pub checksum: u32,
    /// The checksum recomputed over the superblock bytes.
    pub computed_checksum: u32,
    /// Groups in the filesystem: ceil((blocks_count − first_data_block) / blocks_per_group).
    pub group_count: u64,
}

/// Why a superblock's geometry cannot be walked safely: the field at fault
/// and its value (struct ext4_super_block).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuperblockProblem {
    #[error(
        "s_log_block_size {log_block_size} is out of range (block size must be 1 KiB to 64 KiB)"
    )]
    BlockSize { log_block_size: u32 },
    #[error(
        "s_log_cluster_size {log_cluster_size} is impossible with s_log_block_size {log_block_size}"
    )]
    ClusterSize {
        log_cluster_size: u32,
        log_block_size: u32,
    },
    #[error("s_blocks_per_group {blocks_per_group} is below 8, the fewest e2fsck allows")]
    BlocksPerGroup { blocks_per_group: u32 },
    #[error("s_inodes_per_group is zero")]
    NoInodesPerGroup,
    #[error(
        "a group of {blocks_per_group} blocks / {inodes_per_group} inodes cannot fit a one-block bitmap of {bits_per_block} bits"
    )]
    GroupBitmap {
        blocks_per_group: u32,
        inodes_per_group: u32,
        bits_per_block: u32,
    },
    #[error("s_first_data_block {first_data_block} is not below s_blocks_count {blocks_count}")]
    FirstDataBlock {
        first_data_block: u32,
        blocks_count: u64,
    },
    #[error("s_inode_size {inode_size} is not a power of two between 128 and the block size")]
    InodeSize { inode_size: u16 },
    #[error(
        "s_inodes_per_group {inodes_per_group} needs more inode table than {blocks_per_group} blocks per group hold (at most {ipg_max}: {inodes_per_block} inodes per block, 4 blocks kept for the bitmaps and descriptors)"
    )]
    InodeTable {
        inodes_per_group: u32,
        blocks_per_group: u32,
        ipg_max: u32,
        inodes_per_block: u32,
    },
    #[error(
        "s_desc_size {desc_size} must be a power of two from 64 to 1024 with the 64bit feature"
    )]
    DescSize { desc_size: u32 },
}

/// The geometry fields of a superblock, checked together.
struct Geometry {
    block_size: u32,
    blocks_count: u64,
    first_data_block: u32,
    cluster_ratio: u32,
    blocks_per_group: u32,
    clusters_per_group: u32,
    inodes_per_group: u32,
    rev_level: u32,
    first_ino: u32,
    inode_size: u16,
    desc_size: u32,
}

impl Geometry {
    /// Reads and checks the geometry: what [`Superblock::parse`] refuses.
    fn read(sb: &[u8]) -> Result<Geometry, SuperblockProblem> {
        let log_block_size = le32(sb, 0x18);
        // 1 KiB to 64 KiB blocks: s_log_block_size 0..=6.
        if log_block_size > 6 {
            return Err(SuperblockProblem::BlockSize { log_block_size });
        }
        let block_size = 1024u32 << log_block_size;
        let feature_incompat = le32(sb, 0x60);
        let bigalloc = le32(sb, 0x64) & ro_compat::BIGALLOC != 0;
        let is_64bit = feature_incompat & incompat::BIT64 != 0;
        let blocks_count = if is_64bit {
            hi_lo(le32(sb, 0x150), le32(sb, 0x4))
        } else {
            u64::from(le32(sb, 0x4))
        };
        let first_data_block = le32(sb, 0x14);
        let blocks_per_group = le32(sb, 0x20);
        let inodes_per_group = le32(sb, 0x28);
        let log_cluster_size = le32(sb, 0x1C);
        let cluster_ratio = if bigalloc {
            // s_log_cluster_size is log2(cluster size) − 10, like s_log_block_size.
            // 2^29 blocks per cluster is far past anything mke2fs makes.
            if log_cluster_size < log_block_size || log_cluster_size > 29 {
                return Err(SuperblockProblem::ClusterSize {
                    log_cluster_size,
                    log_block_size,
                });
            }
            1u32 << (log_cluster_size - log_block_size)
        } else {
            1
        };
        let clusters_per_group = le32(sb, 0x24);
        check_groups(
            block_size,
            if bigalloc {
                clusters_per_group
            } else {
                blocks_per_group
            },
            blocks_per_group,
            inodes_per_group,
        )?;
        if u64::from(first_data_block) >= blocks_count {
            return Err(SuperblockProblem::FirstDataBlock {
                first_data_block,
                blocks_count,
            });
        }
        let rev_level = le32(sb, 0x4C);
        let (first_ino, inode_size) = if rev_level == 0 {
            (11, 128)
        } else {
            (le32(sb, 0x54), le16(sb, 0x58))
        };
        check_inode_table(block_size, blocks_per_group, inodes_per_group, inode_size)?;
        let desc_size = if is_64bit {
            u32::from(le16(sb, 0xFE))
        } else {
            32
        };
        if is_64bit && (!(64..=1024).contains(&desc_size) || !desc_size.is_power_of_two()) {
            return Err(SuperblockProblem::DescSize { desc_size });
        }
        Ok(Geometry {
            block_size,
            blocks_count,
            first_data_block,
            cluster_ratio,
            blocks_per_group,
            clusters_per_group,
            inodes_per_group,
            rev_level,
            first_ino,
            inode_size,
            desc_size,
        })
    }
}

/// e2fsck `check_super_block`: s_blocks_per_group is at least 8, and
/// s_inodes_per_group at most what s_blocks_per_group − 4 blocks of
/// inode table hold, so that the inode tables of all groups together
/// fit in the filesystem. (One block per group would make a group, a
/// descriptor and an inode table per block of the image.) `bitmap_objects`
/// is what the block bitmap maps: blocks, or clusters with bigalloc.
fn check_groups(
    block_size: u32,
    bitmap_objects: u32,
    blocks_per_group: u32,
    inodes_per_group: u32,
) -> Result<(), SuperblockProblem> {
    if blocks_per_group < 8 {
        return Err(SuperblockProblem::BlocksPerGroup { blocks_per_group });
    }
    if inodes_per_group == 0 {
        return Err(SuperblockProblem::NoInodesPerGroup);
    }
    // A bitmap is one block: it can describe at most 8 × block_size objects.
    let bits_per_block = block_size.saturating_mul(8);
    if bitmap_objects > bits_per_block || inodes_per_group > bits_per_block {
        return Err(SuperblockProblem::GroupBitmap {
            blocks_per_group,
            inodes_per_group,
            bits_per_block,
        });
    }
    Ok(())
}

/// s_inode_size is a power of two from 128 to the block size, and a
/// group's inode table fits in its blocks, 4 kept for the bitmaps and
/// descriptors.
fn check_inode_table(
    block_size: u32,
    blocks_per_group: u32,
    inodes_per_group: u32,
    inode_size: u16,
) -> Result<(), SuperblockProblem> {
    if inode_size < 128 || !inode_size.is_power_of_two() || u32::from(inode_size) > block_size {
        return Err(SuperblockProblem::InodeSize { inode_size });
    }
    let inodes_per_block = block_size / u32::from(inode_size);
    let ipg_max = inodes_per_block.saturating_mul(blocks_per_group.saturating_sub(4));
    if inodes_per_group > ipg_max {
        return Err(SuperblockProblem::InodeTable {
            inodes_per_group,
            blocks_per_group,
            ipg_max,
            inodes_per_block,
        });
    }
    Ok(())
}

impl Superblock {
    /// Parses and validates the 1024 bytes of a superblock. Geometry that cannot
    /// be walked safely (zero or oversized counts, block size out of range) is an
    /// error; everything else is reported later as a finding.
    pub fn parse(sb: &[u8]) -> Result<Superblock, ExtError> {
        if le16(sb, 0x38) != EXT2_MAGIC {
            return Err(ExtError::NotExt);
        }
        let g = Geometry::read(sb).map_err(|kind| ExtError::Corrupt {
            offset: SUPERBLOCK_OFFSET,
            kind,
        })?;
        let feature_incompat = le32(sb, 0x60);
        let group_count = (g.blocks_count - u64::from(g.first_data_block))
            .div_ceil(u64::from(g.blocks_per_group));
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(sb.get(0x68..0x78).unwrap_or(&[0; 16]));
        let mut volume_name = [0u8; 16];
        volume_name.copy_from_slice(sb.get(0x78..0x88).unwrap_or(&[0; 16]));
        let checksum_seed = if feature_incompat & incompat::CSUM_SEED != 0 {
            le32(sb, 0x270)
        } else {
            raw_crc32c(!0, &uuid)
        };
        Ok(Superblock {
            inodes_count: le32(sb, 0x0),
            blocks_count: g.blocks_count,
            first_data_block: g.first_data_block,
            block_size: g.block_size,
            cluster_ratio: g.cluster_ratio,
            blocks_per_group: g.blocks_per_group,
            clusters_per_group: g.clusters_per_group,
            inodes_per_group: g.inodes_per_group,
            rev_level: g.rev_level,
            first_ino: g.first_ino,
            inode_size: g.inode_size,
            feature_compat: le32(sb, 0x5C),
            feature_incompat,
            feature_ro_compat: le32(sb, 0x64),
            uuid,
            volume_name,
            reserved_gdt_blocks: le16(sb, 0xCE),
            journal_inum: le32(sb, 0xE0),
            desc_size: g.desc_size,
            first_meta_bg: le32(sb, 0x104),
            mmp_block: le64(sb, 0x168),
            backup_bgs: [le32(sb, 0x24C), le32(sb, 0x250)],
            checksum_seed,
            last_orphan: le32(sb, 0xE8),
            orphan_file_inum: le32(sb, 0x280),
            state: le16(sb, 0x3A),
            backup_group: 0,
            special_inodes: [
                (0xE0, "journal"),
                (0x240, "user quota"),
                (0x244, "group quota"),
                (0x26C, "project quota"),
                (0x280, "orphan file"),
            ]
            .iter()
            .map(|&(off, what)| (le32(sb, off), what))
            .filter(|&(ino, _)| ino != 0)
            .collect(),
            checksum: le32(sb, 0x3FC),
            computed_checksum: raw_crc32c(!0, sb.get(..0x3FC).unwrap_or(&[])),
            group_count,
        })
    }

    pub fn has_compat(&self, bit: u32) -> bool {
        self.feature_compat & bit != 0
    }
    pub fn has_incompat(&self, bit: u32) -> bool {
        self.feature_incompat & bit != 0
    }
    pub fn has_ro_compat(&self, bit: u32) -> bool {
        self.feature_ro_compat & bit != 0
    }

    pub fn metadata_csum(&self) -> bool {
        self.has_ro_compat(ro_compat::METADATA_CSUM)
    }

    /// Group descriptors per descriptor block.
    pub fn descs_per_block(&self) -> u64 {
        u64::from(self.block_size / self.desc_size)
    }

    /// Blocks the classic descriptor table occupies: ceil(groups / descs_per_block).
    pub fn desc_blocks(&self) -> u64 {
        self.group_count.div_ceil(self.descs_per_block())
    }

    /// First block of group `g`.
    pub fn group_first_block(&self, group: u64) -> u64 {
        u64::from(self.first_data_block)
            .saturating_add(group.saturating_mul(u64::from(self.blocks_per_group)))
    }

    /// Blocks in group `g` (the last group is usually short).
    pub fn group_len(&self, group: u64) -> u64 {
        let first = self.group_first_block(group);
        self.blocks_count
            .saturating_sub(first)
            .min(u64::from(self.blocks_per_group))
    }

    /// Whether group `g` holds a superblock backup (and, without meta_bg, a copy
    /// of the descriptor table). e2fsprogs lib/ext2fs/closefs.c `ext2fs_bg_has_super`.
    pub fn group_has_super(&self, group: u64) -> bool {
        if group == 0 {
            return true;
        }
        if self.has_compat(compat::SPARSE_SUPER2) {
            return self
                .backup_bgs
                .iter()
                .any(|&b| b != 0 && u64::from(b) == group);
        }
        if group <= 1 || !self.has_ro_compat(ro_compat::SPARSE_SUPER) {
            return true;
        }
        if group & 1 == 0 {
            return false;
        }
        [3u64, 5, 7].iter().any(|&base| is_power_of(group, base))
    }

    /// Feature names, with unknown bits as hex so that nothing is hidden.
    pub fn feature_names(&self) -> (Vec<String>, Vec<String>) {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for (word, names, kind) in [
            (self.feature_compat, compat::NAMES, "compat"),
            (self.feature_incompat, incompat::NAMES, "incompat"),
            (self.feature_ro_compat, ro_compat::NAMES, "ro_compat"),
        ] {
            let mut rest = word;
            for &(bit, name) in names {
                if word & bit != 0 {
                    known.push(name.to_string());
                    rest &= !bit;
                }
            }
            for bit in 0..32 {
                if rest & (1 << bit) != 0 {
                    unknown.push(format!("{kind}:{:#x}", 1u32 << bit));
                }
            }
        }
        (known, unknown)
    }

    /// "ext2", "ext3" or "ext4", as blkid names them.
    pub fn fs_type(&self) -> &'static str {
        const EXT4_ONLY_INCOMPAT: u32 = incompat::EXTENTS
            | incompat::BIT64
            | incompat::MMP
            | 0x200 // flex_bg
            | 0x400 // ea_inode
            | incompat::INLINE_DATA
            | incompat::CSUM_SEED
            | 0x4000; // large_dir
        const EXT4_ONLY_RO: u32 = ro_compat::HUGE_FILE
            | ro_compat::GDT_CSUM
            | ro_compat::BIGALLOC
            | ro_compat::METADATA_CSUM
            | 0x20 // dir_nlink
            | 0x40; // extra_isize
        if self.feature_incompat & EXT4_ONLY_INCOMPAT != 0
            || self.feature_ro_compat & EXT4_ONLY_RO != 0
        {
            "ext4"
        } else if self.has_compat(compat::HAS_JOURNAL) {
            "ext3"
        } else {
            "ext2"
        }
    }
}

fn is_power_of(mut n: u64, base: u64) -> bool {
    while n > 1 && n.is_multiple_of(base) {
        n /= base;
    }
    n == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_super_groups() {
        let with: Vec<u64> = (0..60).filter(|&g| is_sparse(g)).collect();
        assert_eq!(with, vec![0, 1, 3, 5, 7, 9, 25, 27, 49]);
    }

    fn is_sparse(g: u64) -> bool {
        g <= 1 || (g & 1 == 1 && [3, 5, 7].iter().any(|&b| is_power_of(g, b)))
    }

    #[test]
    fn rejects_bad_magic_and_geometry() {
        let mut sb = vec![0u8; 1024];
        assert!(matches!(Superblock::parse(&sb), Err(ExtError::NotExt)));
        sb[0x38] = 0x53;
        sb[0x39] = 0xEF;
        // blocks_per_group zero
        assert!(matches!(
            Superblock::parse(&sb),
            Err(ExtError::Corrupt {
                offset: SUPERBLOCK_OFFSET,
                kind: SuperblockProblem::BlocksPerGroup {
                    blocks_per_group: 0
                }
            })
        ));
        sb[0x18] = 7; // 128 KiB blocks
        let err = Superblock::parse(&sb).unwrap_err();
        assert!(matches!(
            err,
            ExtError::Corrupt {
                kind: SuperblockProblem::BlockSize { log_block_size: 7 },
                ..
            }
        ));
        // The message is the one it always was.
        assert_eq!(
            err.to_string(),
            "corrupt superblock at byte 0x400: s_log_block_size 7 is out of range (block size must be 1 KiB to 64 KiB)"
        );
    }
}
