//! FAT12/16/32 behind the [`Format`] seam.

use crate::fs::format::Format;
use crate::fs::{Detail, FsError, Progress};
use crate::image::View;
use crate::model::{Code, Filesystem, Finding};
use crate::volume::{PartitionTable, Scheme};

pub struct Fat;

/// FAT in the registry.
pub static FORMAT: Fat = Fat;

impl Format for Fat {
    fn name(&self) -> &'static str {
        "FAT"
    }

    fn used_by(&self) -> &'static str {
        "mount -t vfat"
    }

    fn probe(&self, view: &View<'_>) -> bool {
        super::probe(view)
    }

    fn valid(&self, view: &View<'_>) -> bool {
        super::valid(view)
    }

    /// Modelled whole whatever the detail asked.
    fn open(
        &self,
        view: &View<'_>,
        _detail: Detail,
        progress: &dyn Progress,
    ) -> Result<Filesystem, FsError> {
        super::parse(view, progress).map_err(|e| FsError::format(self.name(), e))
    }

    fn owns_partition_table(&self, view: &View<'_>, table: &PartitionTable) -> Option<Finding> {
        table_in_boot_sector(view, table)
    }
}

/// `mkfs.fat --mbr=y` (and some USB sticks) put a partition table into the
/// FAT boot sector whose one partition starts at sector 0: the volume itself,
/// boot sector included. blkid ignores a DOS table in a sector that is a
/// valid FAT boot sector (libblkid `partitions/dos.c`, `blkid_probe_is_vfat`)
/// and reports the whole device as vfat; Linux's msdos.c adds a partition
/// with the same first sector, so both ways mount the same FAT. When every
/// entry starts at sector 0 of a sector 0 that is a whole FAT boot sector,
/// the image is read as one FAT volume and an info finding says why.
pub fn table_in_boot_sector(view: &View<'_>, table: &PartitionTable) -> Option<Finding> {
    if table.scheme != Scheme::Mbr
        || table.partitions.is_empty()
        || table.partitions.iter().any(|p| p.start_lba != 0)
    {
        return None;
    }
    let sector = view.read(0, 512).ok()?;
    if !super::bpb::probe(sector) {
        return None;
    }
    let bpb = super::bpb::parse(sector).ok()?;
    let entries: Vec<String> = table
        .partitions
        .iter()
        .map(|p| {
            let size = if p.sectors == bpb.total_sectors {
                "the FAT's own size".to_string()
            } else {
                format!("the FAT itself counts {} sectors", bpb.total_sectors)
            };
            format!(
                "partition {} (type {}) covers sectors 0–{} ({size})",
                p.number,
                p.type_id,
                p.end_lba().saturating_sub(1)
            )
        })
        .collect();
    Some(Finding::new(
        Code::SelfReferencingPartition,
        format!(
            "sector 0 is a FAT boot sector that also carries an MBR partition table, and its {}, the boot sector included: the layout `mkfs.fat --mbr=y` writes. The image is read as one FAT volume, as blkid and fsck.fat read it; Linux also offers the same volume as a partition",
            entries.join(", and ")
        ),
    ))
}
