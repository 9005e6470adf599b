//! The seam between the formats and everything above them: what a format
//! folder provides, and the one registry detection loops over. A new format
//! is its folder, an `impl Format` and one line in [`FORMATS`].

use crate::image::View;
use crate::model::{Filesystem, Finding, Inode, Replay};
use crate::volume::PartitionTable;

use super::content::ContentError;
use super::{Detail, FsError, Progress};

/// A filesystem format. Object-safe; each default means "this format has
/// none".
pub trait Format: Sync {
    /// The format in words, stable: signatures, errors and reports name it
    /// so ("ext2/3/4", "XFS").
    fn name(&self) -> &'static str;

    /// What takes a volume as this format ("mount -t ext4").
    fn used_by(&self) -> &'static str;

    /// Whether the format's magic is where it belongs: cheap, never
    /// allocates, never fails. The first format whose probe fires is
    /// modelled.
    fn probe(&self, view: &View<'_>) -> bool;

    /// Whether the signature is fully valid, as the format's own tool checks
    /// it (a magic and a geometry that holds): two valid signatures on one
    /// volume are an ambivalent result.
    fn valid(&self, view: &View<'_>) -> bool;

    /// Whether the filesystem can still be read although its probe failed
    /// (ext: a backup superblock where the primary is gone). Tried only when
    /// no format's probe fires.
    fn probe_damaged(&self, _view: &View<'_>) -> bool {
        false
    }

    /// Whether this tool parses the format into the model, or only
    /// recognises it.
    fn parses(&self) -> bool {
        true
    }

    /// Raw bytes → the common model.
    fn open(
        &self,
        view: &View<'_>,
        detail: Detail,
        progress: &dyn Progress,
    ) -> Result<Filesystem, FsError>;

    /// What mount changes before anyone reads the filesystem (a journal or
    /// log the kernel replays), read and replayed in memory.
    fn replay(&self, _view: &View<'_>) -> Option<Replay> {
        None
    }

    /// The bytes of a file that no block map gives (ext inline data and fast
    /// symlinks): `Ok(Some)` to use them, `Ok(None)` to read the file
    /// through its block map, `Err` where this tool cannot give them.
    fn inode_bytes(
        &self,
        _view: &View<'_>,
        _fs: &Filesystem,
        _inode: &Inode,
    ) -> Result<Option<Vec<u8>>, ContentError> {
        Ok(None)
    }

    /// The finding that says why an MBR on the image is this filesystem's
    /// own first sector rather than a partition table (a FAT boot sector
    /// that partitions itself), if it is.
    fn owns_partition_table(&self, _view: &View<'_>, _table: &PartitionTable) -> Option<Finding> {
        None
    }

    /// What the volume is when it holds no filesystem but belongs to one of
    /// this format (an external journal or log device).
    fn device_of(&self, _view: &View<'_>) -> Option<FsError> {
        None
    }
}

/// Every format this tool knows, in the order probes run: the formats it
/// parses, then those it only recognises.
pub static FORMATS: &[&dyn Format] = &[
    &super::ext::FORMAT,
    &super::erofs::FORMAT,
    &super::xfs::FORMAT,
    &super::fat::FORMAT,
    &super::recognised::NTFS,
    &super::recognised::EXFAT,
    &super::recognised::BTRFS,
    &super::recognised::SQUASHFS,
    &super::recognised::F2FS,
    &super::recognised::SWAP,
    &super::recognised::LUKS,
    &super::recognised::LVM2,
    &super::recognised::ISO9660,
    &super::recognised::QCOW2,
    &super::recognised::VMDK,
    &super::recognised::VHDX,
    &super::recognised::VHD,
    &super::recognised::EWF,
    &super::recognised::ANDROID_SPARSE,
];

/// The format that models the volume's filesystem: the first whose probe
/// fires, or else the first that can read a damaged one.
pub fn recognise(view: &View<'_>) -> Option<&'static dyn Format> {
    FORMATS
        .iter()
        .find(|f| f.probe(view))
        .or_else(|| FORMATS.iter().find(|f| f.probe_damaged(view)))
        .copied()
}

/// The registered format of this name.
pub fn named(name: &str) -> Option<&'static dyn Format> {
    FORMATS.iter().find(|f| f.name() == name).copied()
}

/// Whether an MBR is some filesystem's own first sector (see
/// [`Format::owns_partition_table`]).
pub fn own_partition_table(view: &View<'_>, table: &PartitionTable) -> Option<Finding> {
    FORMATS
        .iter()
        .find_map(|f| f.owns_partition_table(view, table))
}
