//! The internal log: is it clean? A log whose newest record is not a lone
//! unmount record holds transactions the kernel replays at mount, changing
//! metadata this scan read as it lies on disk.
//!
//! Sources: Linux `fs/xfs/libxfs/xfs_log_format.h` (`xlog_rec_header`,
//! `xlog_op_header`, `XLOG_UNMOUNT_TRANS`), `fs/xfs/xfs_log_recover.c`
//! (`xlog_find_head`, `xlog_check_unmount_rec`): the head is the record with
//! the highest (cycle, block); every 512-byte sector of a record's body
//! starts with the cycle number instead of its data, so only record headers
//! start with the magic.

use crate::bytes::{be32, u8_at};
use crate::image::View;
use crate::model::{Code, Finding, MetadataRegion, Severity};

use super::ag::Gathered;
use super::reflink;
use super::roles;
use super::sb::Geo;

const LOG_MAGIC: u32 = 0xFEED_BABE;
const UNMOUNT_TRANS: u8 = 0x20;
const SECTOR: u64 = 512;

/// What the log says.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum State {
    /// The newest record is an unmount record.
    Clean,
    /// The newest record, at this sector of the log, is something else.
    Dirty { sector: u64, cycle: u32, ops: u32 },
    /// No record header anywhere in the log.
    Empty,
}

/// Scans the log (`len` bytes at byte `at`) for its newest record.
pub(super) fn state(view: &View<'_>, at: u64, len: u64) -> State {
    let end = at.saturating_add(len).min(view.len());
    // (cycle, sector) of the newest header.
    let mut head: Option<(u32, u64)> = None;
    let mut pos = at;
    // One read per sector, at most len / 512 of them; holes are skipped.
    while pos < end {
        match view.next_data(pos) {
            Some(next) if next > pos => {
                pos = next.next_multiple_of(SECTOR).max(pos);
                continue;
            }
            None => break,
            _ => {}
        }
        if let Ok(s) = view.read(pos, 8)
            && be32(s, 0) == LOG_MAGIC
        {
            let cycle = be32(s, 4);
            let sector = (pos - at) / SECTOR;
            if head.is_none_or(|(c, b)| (cycle, sector) > (c, b)) {
                head = Some((cycle, sector));
            }
        }
        pos = pos.saturating_add(SECTOR);
    }
    let Some((cycle, sector)) = head else {
        return State::Empty;
    };
    let hdr_at = at.saturating_add(sector.saturating_mul(SECTOR));
    let Ok(h) = view.read(hdr_at, SECTOR as usize) else {
        return State::Empty;
    };
    let ops = be32(h, 40);
    // v2 records of more than 32 KiB carry extra header sectors.
    let size = u64::from(be32(h, 320));
    let hdr_sectors = if be32(h, 8) & 2 != 0 {
        size.div_ceil(32768).max(1)
    } else {
        1
    };
    let op_at = hdr_at.saturating_add(hdr_sectors.saturating_mul(SECTOR));
    let flags = view.read(op_at, 12).map_or(0, |op| u8_at(op, 9));
    if ops == 1 && flags & UNMOUNT_TRANS != 0 {
        State::Clean
    } else {
        State::Dirty { sector, cycle, ops }
    }
}

/// The internal log (`sb_logstart`, `sb_logblocks`): claimed as metadata
/// and as `OWN_LOG`, and judged clean or dirty unless the image cuts it off.
pub(super) fn internal(
    view: &View<'_>,
    geo: &Geo,
    image_blocks: u64,
    g: &mut Gathered,
    findings: &mut Vec<Finding>,
) {
    let Some(start) = geo.fsb_to_linear(geo.logstart) else {
        findings.push(Finding::new(
            Code::BadSuperblock,
            format!(
                "the internal log starts at fsblock {}, outside every AG",
                geo.logstart
            ),
        ));
        return;
    };
    g.metadata.push(MetadataRegion {
        start,
        len: geo.logblocks,
        role: roles::LOG,
        group: u32::try_from(geo.where_is(start).0).ok(),
    });
    g.owned.push((reflink::OWN_LOG, start, geo.logblocks));
    // A log cut off by the end of the image is not judged.
    if start.saturating_add(geo.logblocks) > image_blocks {
        return;
    }
    let bytes = geo.logblocks.saturating_mul(geo.bs);
    match state(view, start.saturating_mul(geo.bs), bytes) {
        State::Clean => {}
        State::Dirty { sector, cycle, ops } => findings.push(
            Finding::new(Code::DirtyLog,
                format!(
                    "the log's newest record (cycle {cycle}, log sector {sector}, {ops} operations) is not an unmount record: the filesystem was not unmounted cleanly, and mounting it replays transactions this scan does not model (the metadata on disk may change)"
                ),
            )
            .with_blocks([[start.saturating_add(sector * 512 / geo.bs), 1]]),
        ),
        State::Empty => findings.push(
            Finding::new(Code::DirtyLog,
                "the internal log holds no record header (zeroed, e.g. by xfs_repair -L, or overwritten)",
            ).with_severity(Severity::Low)
            .with_blocks([[start, geo.logblocks]]),
        ),
    }
}
