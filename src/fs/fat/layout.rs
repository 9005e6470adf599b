//! The volume's own layout: its metadata regions (reserved sectors, the
//! FAT copies, the fixed root directory), which FAT copy is followed and
//! where the others disagree, FSInfo's hints, and the allocation the FAT
//! gives.
//!
//! Sources: Microsoft "FAT32 File System Specification" 1.03, sections 3
//! (BPB, ExtFlags), 4 (the FAT), 5 (FSInfo); Linux `fs/fat/inode.c`.

use crate::bytes::le32;
use crate::image::View;
use crate::model::{Code, Finding, MetadataRegion, Severity, coalesce_runs};

use super::bpb::Bpb;
use super::roles;
use super::table::{Fat, Next};

/// Every FAT copy (BPB_NumFATs of BPB_FATSz sectors from the reserved
/// sectors on), as far as the image holds it.
pub(super) fn copies<'v>(view: &'v View<'v>, bpb: &Bpb) -> Vec<Option<&'v [u8]>> {
    let ss = u64::from(bpb.bytes_per_sector);
    (0..u64::from(bpb.fat_count))
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
        .collect()
}

/// The copy the kernel follows: the active FAT of a FAT32 without
/// mirroring (ExtFlags), else FAT #1; when that one is not in the image,
/// the first that is. Its index and bytes (empty when none is).
pub(super) fn followed<'v>(bpb: &Bpb, copies: &[Option<&'v [u8]>]) -> (usize, &'v [u8]) {
    let wanted = bpb.active_fat.unwrap_or(0) as usize;
    match copies.get(wanted).copied().flatten() {
        Some(bytes) => (wanted, bytes),
        None => match copies
            .iter()
            .enumerate()
            .find_map(|(i, c)| c.map(|c| (i, c)))
        {
            Some(found) => found,
            None => (wanted, &[][..]),
        },
    }
}

/// The filesystem's own sectors: reserved (boot sector, FSInfo, backup boot
/// sector), every FAT copy, and the fixed root directory of FAT12/16.
pub(super) fn regions(bpb: &Bpb) -> Vec<MetadataRegion> {
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
pub(super) fn compare_copies(
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
pub(super) fn check_fsinfo(view: &View<'_>, bpb: &Bpb, free: u64, findings: &mut Vec<Finding>) {
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
pub(super) fn allocation(
    bpb: &Bpb,
    fat: &Fat<'_>,
    findings: &mut Vec<Finding>,
) -> (Vec<(u64, u64)>, u64) {
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
