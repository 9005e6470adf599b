//! XFS behind the [`Format`] seam.

use crate::fs::format::Format;
use crate::fs::{Detail, FsError, Progress};
use crate::image::View;
use crate::model::Filesystem;

pub struct Xfs;

/// XFS in the registry.
pub static FORMAT: Xfs = Xfs;

impl Format for Xfs {
    fn name(&self) -> &'static str {
        "XFS"
    }

    fn used_by(&self) -> &'static str {
        "mount -t xfs"
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

    /// An external log device (`mkfs.xfs -l logdev=`), and whose log it is.
    fn device_of(&self, view: &View<'_>) -> Option<FsError> {
        super::external_log_device(view).map(|e| FsError::format(self.name(), e))
    }
}
