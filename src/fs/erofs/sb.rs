//! The EROFS superblock (`struct erofs_super_block`, at byte 1024): the
//! block size, where the inodes and shared xattrs lie, and the features.
//!
//! Sources: Linux `fs/erofs/erofs_fs.h`, `fs/erofs/super.c`
//! (`erofs_read_superblock`, `erofs_superblock_csum_verify`).

use crate::bytes::{le16, le32, le64};
use crate::image::View;
use crate::model::{Code, Finding, name_from_bytes};

use super::{ErofsError, INCOMPAT_BIG_PCLUSTER, SUPERBLOCK_AT, SuperblockProblem};

const COMPAT_SB_CHKSUM: u32 = 0x1;
/// Incompat bits this parser reads (0x1 zero padding / lz4 0-padding, 0x2
/// compression configs / big pclusters, 0x4 chunked files, 0x8 device table /
/// compressed head2, 0x10 ztailpacking, 0x20 fragments / dedupe, 0x40 xattr
/// prefixes: the aliases share bits).
const KNOWN_INCOMPAT: u32 = 0x7F;

/// What the superblock says.
pub(super) struct Super {
    pub block_size: u64,
    pub root_nid: u64,
    pub inos: u64,
    pub blocks: u64,
    pub meta_blkaddr: u64,
    pub xattr_blkaddr: u64,
    pub build_time: u64,
    pub uuid: [u8; 16],
    pub label: String,
    pub compat: u32,
    pub incompat: u32,
    /// `available_compr_algs` (84): a bit per algorithm with COMPR_CFGS.
    pub algorithms: u16,
}

/// Reads the superblock: blkszbits (12), feature_compat (8), root_nid (14),
/// inos (16), build_time (24), blocks (36), meta_blkaddr (40),
/// xattr_blkaddr (44), uuid (48), volume_name (64), feature_incompat (80),
/// available_compr_algs (84), extra_devices (86). Only an impossible block
/// size is an error; the checksum and the features are findings.
pub(super) fn superblock(
    view: &View<'_>,
    findings: &mut Vec<Finding>,
) -> Result<Super, ErofsError> {
    let sb = view.read(SUPERBLOCK_AT, 128)?;
    let bits = sb.get(12).copied().unwrap_or(0);
    if !(9..=16).contains(&bits) {
        return Err(ErofsError::Superblock {
            offset: SUPERBLOCK_AT + 12,
            problem: SuperblockProblem::BlockSizeBits { bits },
        });
    }
    let block_size = 1u64 << bits;
    let compat = le32(sb, 8);
    let incompat = le32(sb, 80);
    if compat & COMPAT_SB_CHKSUM != 0 {
        // crc32c, raw (no final inversion), over [1024, end of the
        // superblock's block) with the checksum field zeroed.
        let end = block_size.max(SUPERBLOCK_AT + 128);
        if let Ok(bytes) = view.read(SUPERBLOCK_AT, (end - SUPERBLOCK_AT) as usize) {
            let stored = le32(bytes, 4);
            let mut copy = bytes.to_vec();
            if let Some(field) = copy.get_mut(4..8) {
                field.fill(0);
            }
            let computed = !crc32c::crc32c(&copy);
            if computed != stored {
                findings.push(
                    Finding::new(
                        Code::ChecksumMismatch,
                        format!("superblock checksum is {stored:#010x}, computed {computed:#010x}"),
                    )
                    .with_blocks([[SUPERBLOCK_AT / block_size, 1]]),
                );
            }
        }
    }
    // extra_devices (86): a multi-device image keeps chunks on blob devices.
    let devices = le16(sb, 86);
    if devices > 0 {
        findings.push(Finding::new(Code::ExtraDevices,
            format!(
                "the image names {devices} extra device(s) (a device table): chunks stored there are not in this image and are not mapped"
            ),
        ));
    }
    let unknown = incompat & !KNOWN_INCOMPAT;
    if unknown != 0 {
        findings.push(Finding::new(Code::UnknownFeature,
            format!(
                "the superblock sets incompatible feature bits this tool does not read ({unknown:#x}, e.g. 48-bit block numbers or a metabox): what it maps may be wrong"
            ),
        ));
    }
    let mut uuid = [0u8; 16];
    if let Some(u) = sb.get(48..64) {
        uuid.copy_from_slice(u);
    }
    let name = sb.get(64..80).unwrap_or(&[]);
    let name_end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok(Super {
        block_size,
        root_nid: u64::from(le16(sb, 14)),
        inos: le64(sb, 16),
        build_time: le64(sb, 24),
        blocks: u64::from(le32(sb, 36)),
        meta_blkaddr: u64::from(le32(sb, 40)),
        xattr_blkaddr: u64::from(le32(sb, 44)),
        uuid,
        label: name_from_bytes(name.get(..name_end).unwrap_or(&[])).into_owned(),
        compat,
        incompat,
        algorithms: le16(sb, 84),
    })
}

/// The features, as words.
pub(super) fn feature_names(compat: u32, incompat: u32, algorithms: u16) -> Vec<String> {
    let mut out = Vec::new();
    // available_compr_algs (84), meaningful with COMPR_CFGS.
    if incompat & INCOMPAT_BIG_PCLUSTER != 0 {
        for (bit, name) in [(0, "lz4"), (1, "lzma"), (2, "deflate"), (3, "zstd")] {
            if algorithms & (1 << bit) != 0 {
                out.push(format!("compression:{name}"));
            }
        }
    }
    for (bit, name) in [(0x1, "sb_chksum"), (0x2, "mtime"), (0x4, "xattr_filter")] {
        if compat & bit != 0 {
            out.push(name.to_string());
        }
    }
    for (bit, name) in [
        (0x1, "lz4_0padding"),
        (0x2, "compr_cfgs/big_pcluster"),
        (0x4, "chunked_file"),
        (0x8, "device_table/compr_head2"),
        (0x10, "ztailpacking"),
        (0x20, "fragments/dedupe"),
        (0x40, "xattr_prefixes"),
    ] {
        if incompat & bit != 0 {
            out.push(name.to_string());
        }
    }
    let unknown = incompat & !KNOWN_INCOMPAT;
    if unknown != 0 {
        out.push(format!("incompat:{unknown:#x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impossible_block_size_is_refused_at_blkszbits() {
        let mut image = vec![0u8; 2048];
        image[1024..1028].copy_from_slice(&super::super::MAGIC.to_le_bytes());
        image[1024 + 12] = 20;
        let result = superblock(&View::from_bytes(&image), &mut Vec::new());
        assert!(matches!(
            result,
            Err(ErofsError::Superblock {
                offset: 1036,
                problem: SuperblockProblem::BlockSizeBits { bits: 20 }
            })
        ));
    }
}
