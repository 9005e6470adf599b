//! Scanning an image: its partition table, each volume parsed (through the
//! journal replay when one is pending) and analysed, and the image's digest.

use super::*;
use crate::fs::{self, Progress};
use crate::image::{Image, View};
use crate::model::Code;
use crate::model::{Finding, Severity};
use crate::volume::{self, Partition};
use sha2::{Digest, Sha256};

/// Scans an image: each partition of its partition table is a volume, or the
/// whole image is one when it has no table.
pub fn scan(image: &Image, options: &ScanOptions, progress: &dyn Progress) -> ScanResult {
    let mut result = scan_view(
        &image.path().display().to_string(),
        &image.view(),
        options,
        progress,
    );
    if image.size_changed()
        && let Some(volume) = result.volumes.first_mut()
    {
        volume.findings.insert(
            0,
            Finding::new(Code::ImageChanged,
                "the image file changed size while it was being scanned: results may be inconsistent",
            ),
        );
    }
    result
}

/// Scans the bytes of a view (the whole image, or bytes held in memory).
pub fn scan_view(
    path: &str,
    view: &View<'_>,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> ScanResult {
    let (table, whole_image_notes) = volume::read_layout(view, &fs::format::own_partition_table);
    let scan_volumes = || match &table {
        None => {
            let mut volume = scan_volume(0, view, None, options, progress);
            volume.findings.extend(whole_image_notes.iter().cloned());
            volume
                .findings
                .sort_by_key(|f| std::cmp::Reverse(f.severity));
            vec![volume]
        }
        Some(t) => t
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| scan_volume(i, view, Some((p, t.sector_size)), options, progress))
            .collect(),
    };
    // The hash reads the whole image: it runs beside the scan, not after it.
    let (volumes, sha256) = if options.hash {
        let (volumes, digest) = rayon::join(scan_volumes, || sha256(view, progress));
        (volumes, Some(digest))
    } else {
        (scan_volumes(), None)
    };
    ScanResult {
        image: ImageInfo {
            path: path.to_string(),
            size_bytes: view.len(),
            sha256,
        },
        partition_table: table,
        volumes,
    }
}

/// Parses and analyses one volume: the whole view, or one partition of it
/// (clipped to the image; a partition wholly past its end is not scanned).
pub(crate) fn scan_volume(
    index: usize,
    image: &View<'_>,
    partition: Option<(&Partition, u32)>,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> VolumeResult {
    let (offset, wanted) = match partition {
        Some((p, ss)) => (
            p.start_lba.saturating_mul(u64::from(ss)),
            p.sectors.saturating_mul(u64::from(ss)),
        ),
        None => (0, image.len()),
    };
    let length = wanted.min(image.len().saturating_sub(offset));
    let failed = |error: String, unsupported: Option<String>| VolumeResult {
        index,
        offset_bytes: offset,
        length_bytes: length,
        partition: partition.map(|(p, _)| p.clone()),
        filesystem: None,
        error: Some(error),
        unsupported,
        crosslinks: Vec::new(),
        findings: Vec::new(),
        replay: None,
        replayed: false,
    };
    let view = match image.sub(offset, length) {
        Ok(view) if length > 0 => view,
        _ => {
            return failed(
                "the partition lies beyond the end of the image".into(),
                None,
            );
        }
    };
    let journal = fs::replay(&view);
    let one_view = |view: &View<'_>| match fs::parse(view, options.detail, progress) {
        Ok(filesystem) if options.parse_only => VolumeResult {
            index,
            offset_bytes: offset,
            length_bytes: length,
            partition: None,
            findings: filesystem.findings.clone(),
            filesystem: Some(filesystem),
            error: None,
            unsupported: None,
            crosslinks: Vec::new(),
            replay: None,
            replayed: false,
        },
        Ok(filesystem) => analyse(index, offset, length, filesystem, length),
        Err(e) => {
            let unsupported = match &e {
                fs::FsError::Unsupported { format } => Some(format.clone()),
                _ => None,
            };
            failed(e.to_string(), unsupported)
        }
    };
    let mut result = match journal {
        // As it lies on disk: the journal is there to say so, nothing more.
        Some(journal) if options.journal == JournalMode::Ignore => {
            let mut result = one_view(&view);
            result.replay = Some(Box::new(journal));
            result
        }
        Some(journal) if journal.pending() => {
            // The on-disk view only marks findings; a lookup has none to mark.
            let on_disk = (!options.parse_only).then(|| one_view(&view));
            let replayed = one_view(&view.with_overlay(&journal.overlay));
            with_replay(replayed, on_disk.as_ref(), journal, options.journal)
        }
        journal => {
            let mut result = one_view(&view);
            if let Some(journal) = journal {
                // The flag is set, but the log holds nothing mount would
                // write: the kernel replays nothing and clears it.
                for f in result
                    .findings
                    .iter_mut()
                    .filter(|f| f.code == Code::NeedsRecovery)
                {
                    f.severity = Severity::Low;
                    f.message = "the journal is marked as needing recovery, but its log holds no committed transaction to replay: mount writes nothing from it and clears the flag".into();
                }
                result.findings.extend(journal.findings.iter().cloned());
                result
                    .findings
                    .sort_by_key(|f| std::cmp::Reverse(f.severity));
                result.replay = Some(Box::new(journal));
            }
            result
        }
    };
    result.partition = partition.map(|(p, _)| p.clone());
    result
}

/// The SHA-256 of a view, read in bounded chunks. Holes in a sparse image
/// file are hashed as the zeros they read as, without touching their pages.
pub fn sha256(view: &View<'_>, progress: &dyn Progress) -> String {
    const CHUNK: u64 = 1 << 20;
    static ZEROS: [u8; CHUNK as usize] = [0; CHUNK as usize];
    let mut hasher = Sha256::new();
    let len = view.len();
    let mut at = 0;
    while at < len {
        let data = view.next_data(at).unwrap_or(len);
        while at < data {
            let n = CHUNK.min(data - at);
            hasher.update(ZEROS.get(..n as usize).unwrap_or(&[]));
            at += n;
        }
        if at < len {
            let n = CHUNK.min(len - at);
            hasher.update(view.read(at, n as usize).unwrap_or(&[]));
            at += n;
        }
        progress.step("sha256", at >> 20, len >> 20);
    }
    crate::bytes::hex(&hasher.finalize())
}
