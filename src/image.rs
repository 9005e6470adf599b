//! The image layer: the evidence file, opened read-only and mapped read-only.
//!
//! Everything above this module reads the image through [`Image::bytes`] or a
//! [`View`], whose reads are bounds-checked and return a [`ReadError`] that says
//! where the read fell, never a panic.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{Mmap, MmapOptions};

/// Why an image could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a regular file or block device ({kind})")]
    NotAnImage { path: PathBuf, kind: &'static str },
    #[error("{path}: the image is empty")]
    Empty { path: PathBuf },
}

/// A read that fell outside the bytes it was made against (or, in a view
/// with an [`Overlay`], straddled a replaced block and the bytes around it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub offset: u64,
    pub len: u64,
    pub size: u64,
    /// The read was in bounds but crossed the edge of a replaced block.
    pub straddles_overlay: bool,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ReadError {
            offset, len, size, ..
        } = self;
        if self.straddles_overlay {
            write!(
                f,
                "read of {len} bytes at image offset {offset:#x} crosses the edge of a block the journal replay replaces"
            )
        } else {
            write!(
                f,
                "read of {len} bytes at image offset {offset:#x} is past the end of the image ({size:#x} bytes)"
            )
        }
    }
}

impl std::error::Error for ReadError {}

/// Blocks whose bytes replace the image's in a [`View`]: what the kernel will
/// have written before anything reads the filesystem (the ext journal,
/// replayed). Kept in memory, bounded by the journal that fills it; the
/// image itself is never written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    block_size: u64,
    /// Image offset of each replaced block → its new bytes (`block_size` of them).
    blocks: std::collections::BTreeMap<u64, Box<[u8]>>,
}

impl Overlay {
    pub fn new(block_size: u64) -> Overlay {
        Overlay {
            block_size: block_size.max(1),
            blocks: std::collections::BTreeMap::new(),
        }
    }

    /// Replaces the block at image offset `at` (a later insert wins, as a
    /// later transaction does). Bytes beyond one block are cut, missing ones
    /// are zeros.
    pub fn insert(&mut self, at: u64, mut bytes: Vec<u8>) {
        bytes.resize(usize::try_from(self.block_size).unwrap_or(0), 0);
        self.blocks.insert(at, bytes.into_boxed_slice());
    }

    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The replaced blocks: (image offset, new bytes), by offset.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.blocks.iter().map(|(&at, bytes)| (at, &bytes[..]))
    }

    /// The replaced blocks that meet `[start, end)` (image offsets).
    fn meeting(&self, start: u64, end: u64) -> impl Iterator<Item = (u64, &[u8])> {
        self.blocks
            .range(start.saturating_sub(self.block_size.saturating_sub(1))..end)
            .map(|(&at, bytes)| (at, &bytes[..]))
            .filter(move |&(at, _)| at.saturating_add(self.block_size) > start)
    }
}

/// An image file opened for reading only.
pub struct Image {
    path: PathBuf,
    /// Opened O_RDONLY; kept for positioned reads ([`View::read_into`]).
    file: File,
    map: Mmap,
    /// Byte ranges `(start, end)` that hold data, sorted; everything else is a
    /// hole that reads as zeros. `None` when the file system cannot say
    /// (then every byte counts as data).
    data_ranges: Option<Vec<(u64, u64)>>,
}

/// At most this many data ranges are recorded from SEEK_DATA/SEEK_HOLE (two
/// system calls each); past it, the rest of the file counts as data, which is
/// correct, only slower. Hole skipping pays off on large holes (uninitialised
/// groups of a sparse image), not on an image whose every other block is a
/// hole, where mapping millions of ranges would cost more than it saves.
const MAX_DATA_RANGES: usize = 1 << 14;

/// The data ranges of a file, from `lseek(SEEK_DATA)` / `lseek(SEEK_HOLE)`.
fn data_ranges(file: &File, size: u64) -> Option<Vec<(u64, u64)>> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    let mut ranges = Vec::new();
    let mut pos: u64 = 0;
    while pos < size {
        if ranges.len() >= MAX_DATA_RANGES {
            ranges.push((pos, size));
            break;
        }
        let at = libc::off_t::try_from(pos).ok()?;
        // SAFETY: lseek on a file descriptor we own; it only moves the offset
        // of this process's open file description (reads go through the map).
        let data = unsafe { libc::lseek(fd, at, libc::SEEK_DATA) };
        if data < 0 {
            // ENXIO: no data at or after pos. Anything else: unsupported.
            let err = std::io::Error::last_os_error();
            return (err.raw_os_error() == Some(libc::ENXIO)).then_some(ranges);
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
        let (data, hole) = (u64::try_from(data).ok()?, u64::try_from(hole).ok()?);
        if hole <= data {
            return None;
        }
        ranges.push((data, hole.min(size)));
        pos = hole;
    }
    Some(ranges)
}

impl Image {
    /// Opens `path` read-only and maps it privately and read-only.
    ///
    /// Only regular files and block devices are accepted; a block device reports
    /// length 0 in its metadata, so its size is taken by seeking to the end.
    pub fn open(path: &Path) -> Result<Image, OpenError> {
        let io = |source| OpenError::Io {
            path: path.to_owned(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(io)?;
        let file_type = metadata.file_type();
        let kind = if file_type.is_dir() {
            Some("a directory")
        } else if file_type.is_fifo() {
            Some("a FIFO")
        } else if file_type.is_socket() {
            Some("a socket")
        } else if file_type.is_char_device() {
            Some("a character device")
        } else {
            None
        };
        if let Some(kind) = kind {
            return Err(OpenError::NotAnImage {
                path: path.to_owned(),
                kind,
            });
        }
        // `File::open` opens with O_RDONLY: the evidence is never opened for writing.
        let mut file = File::open(path).map_err(io)?;
        let size = if file_type.is_block_device() {
            file.seek(SeekFrom::End(0)).map_err(io)?
        } else {
            metadata.len()
        };
        if size == 0 {
            return Err(OpenError::Empty {
                path: path.to_owned(),
            });
        }
        let len = usize::try_from(size).map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "image larger than the address space",
            ))
        })?;
        // SAFETY: the map is private and read-only (PROT_READ, MAP_PRIVATE), so this
        // process never writes through it. Another process truncating the file while
        // it is mapped would make reads of the lost pages raise SIGBUS; the image is
        // evidence at rest, and the size is checked again after a scan
        // (`Image::size_changed`) so that such a change is reported.
        let map = unsafe { MmapOptions::new().len(len).map_copy_read_only(&file) }.map_err(io)?;
        let data_ranges = if file_type.is_file() {
            data_ranges(&file, size)
        } else {
            None
        };
        Ok(Image {
            path: path.to_owned(),
            file,
            map,
            data_ranges,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The size of the image in bytes, as it was when it was mapped.
    pub fn size(&self) -> u64 {
        self.map.len() as u64
    }

    /// The whole image as one read-only view.
    pub fn view(&self) -> View<'_> {
        View {
            data: &self.map,
            base: 0,
            data_ranges: self.data_ranges.as_deref(),
            meter: None,
            mapped: true,
            file: Some(&self.file),
            overlay: None,
        }
    }

    /// True if the file on disk no longer has the size it had when mapped.
    pub fn size_changed(&self) -> bool {
        std::fs::metadata(&self.path)
            .map(|m| m.file_type().is_file() && m.len() != self.size())
            .unwrap_or(true)
    }
}

/// A window of the image (the whole image, or one volume) with bounds-checked reads.
///
/// Offsets passed to a view are relative to its start; errors report image offsets.
#[derive(Clone, Copy)]
pub struct View<'a> {
    data: &'a [u8],
    /// Image offset of the first byte of `data`.
    base: u64,
    /// The image's data ranges (image offsets), if known: lets a walk skip
    /// holes without touching their pages.
    data_ranges: Option<&'a [(u64, u64)]>,
    /// Counts what is read through this view, when a caller measures work.
    meter: Option<&'a ReadMeter>,
    /// Whether `data` is the read-only file mapping (then parsed ranges can be
    /// released back to the page cache).
    mapped: bool,
    /// The image file, for positioned reads of scattered blocks.
    file: Option<&'a File>,
    /// Blocks that read differently from the image (the journal replayed).
    overlay: Option<&'a Overlay>,
}

/// Bytes and reads done through a metered [`View`]: a deterministic measure of
/// the work a scan does, independent of the machine (tests bound it).
#[derive(Debug, Default)]
pub struct ReadMeter {
    pub bytes: AtomicU64,
    pub reads: AtomicU64,
}

impl<'a> View<'a> {
    /// A view over caller-provided bytes (tests, embedded images).
    pub fn from_bytes(data: &'a [u8]) -> View<'a> {
        View {
            data,
            base: 0,
            data_ranges: None,
            meter: None,
            mapped: false,
            file: None,
            overlay: None,
        }
    }

    /// The same view with `overlay`'s blocks in place of the image's.
    pub fn with_overlay(self, overlay: &'a Overlay) -> View<'a> {
        View {
            overlay: Some(overlay),
            ..self
        }
    }

    /// The overlay this view reads through, if any.
    pub fn overlay(&self) -> Option<&'a Overlay> {
        self.overlay
    }

    /// A view over caller-provided bytes that counts every read into `meter`.
    pub fn metered(data: &'a [u8], meter: &'a ReadMeter) -> View<'a> {
        View {
            meter: Some(meter),
            ..View::from_bytes(data)
        }
    }

    /// The first offset at or after `offset` (view-relative) that may hold a
    /// non-zero byte, or None if everything from `offset` to the end of the view
    /// is a hole. Without hole information every offset may hold data.
    pub fn next_data(&self, offset: u64) -> Option<u64> {
        if offset >= self.len() {
            return None;
        }
        let Some(ranges) = self.data_ranges else {
            return Some(offset);
        };
        let at = self.base.saturating_add(offset);
        let k = ranges.partition_point(|&(_, end)| end <= at);
        let in_file = ranges.get(k).map(|&(start, _)| start.max(at));
        // A replaced block holds data even where the image has a hole.
        let replaced = self
            .overlay
            .and_then(|o| o.meeting(at, u64::MAX).next())
            .map(|(block, _)| block.max(at));
        let next = match (in_file, replaced) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        }
        .saturating_sub(self.base);
        (next < self.len()).then_some(next)
    }

    pub fn len(&self) -> u64 {
        self.data.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Image offset of this view's first byte.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// `len` bytes at `offset` (relative to the view), or an error if any of them
    /// lies past the end.
    pub fn read(&self, offset: u64, len: usize) -> Result<&'a [u8], ReadError> {
        let err = || ReadError {
            offset: self.base.saturating_add(offset),
            len: len as u64,
            size: self.base.saturating_add(self.len()),
            straddles_overlay: false,
        };
        let start = usize::try_from(offset).map_err(|_| err())?;
        let end = start.checked_add(len).ok_or_else(err)?;
        if let Some(meter) = self.meter {
            meter.bytes.fetch_add(len as u64, Ordering::Relaxed);
            meter.reads.fetch_add(1, Ordering::Relaxed);
        }
        let bytes = self.data.get(start..end).ok_or_else(err)?;
        let Some(overlay) = self.overlay else {
            return Ok(bytes);
        };
        // A read inside one replaced block reads the replacement; a read that
        // meets a replaced block only in part cannot be one slice.
        let at = self.base.saturating_add(offset);
        let end = at.saturating_add(len as u64);
        let mut meeting = overlay.meeting(at, end);
        match (meeting.next(), meeting.next()) {
            (None, _) => Ok(bytes),
            (Some((block, replaced)), None)
                if block <= at && end <= block.saturating_add(overlay.block_size) =>
            {
                let from = usize::try_from(at - block).map_err(|_| err())?;
                replaced.get(from..from + len).ok_or_else(err)
            }
            _ => Err(ReadError {
                straddles_overlay: true,
                ..err()
            }),
        }
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`, or fails like
    /// [`View::read`]. For blocks scattered over the image (extent nodes,
    /// indirect and directory blocks): a positioned read from the file copies
    /// just those bytes, where touching the mapping would make the kernel map
    /// the pages around each one too (fault-around) and count them all in this
    /// process's memory.
    pub fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let plain = View {
            overlay: None,
            ..*self
        };
        let bytes = plain.read(offset, buf.len())?;
        if let Some(file) = self.file {
            use std::os::unix::fs::FileExt;
            // The bounds were checked against the mapping above; a file that
            // has shrunk since reads short and fails here instead of raising
            // SIGBUS.
            file.read_exact_at(buf, self.base.saturating_add(offset))
                .map_err(|_| ReadError {
                    offset: self.base.saturating_add(offset),
                    len: buf.len() as u64,
                    size: self.base.saturating_add(self.len()),
                    straddles_overlay: false,
                })?;
        } else {
            buf.copy_from_slice(bytes);
        }
        // Replaced blocks are copied over the image's bytes.
        if let Some(overlay) = self.overlay {
            let at = self.base.saturating_add(offset);
            let end = at.saturating_add(buf.len() as u64);
            for (block, replaced) in overlay.meeting(at, end) {
                let from = block.max(at);
                let to = block.saturating_add(overlay.block_size).min(end);
                let (Ok(dst), Ok(src), Ok(n)) = (
                    usize::try_from(from - at),
                    usize::try_from(from - block),
                    usize::try_from(to - from),
                ) else {
                    continue;
                };
                if let (Some(d), Some(s)) = (buf.get_mut(dst..dst + n), replaced.get(src..src + n))
                {
                    d.copy_from_slice(s);
                }
            }
        }
        Ok(())
    }

    /// Tells the kernel that the pages wholly inside `len` bytes at `offset`
    /// are no longer needed, so that what was parsed stops counting in this
    /// process's memory. Reading them again simply faults them back in from
    /// the file. Does nothing for views that are not the file mapping.
    pub fn release(&self, offset: u64, len: u64) {
        const PAGE: usize = 4096;
        if !self.mapped {
            return;
        }
        let (Ok(start), Ok(len)) = (usize::try_from(offset), usize::try_from(len)) else {
            return;
        };
        let end = start.saturating_add(len).min(self.data.len());
        let base = self.data.as_ptr() as usize;
        let first = (base + start).next_multiple_of(PAGE);
        let last = (base + end) / PAGE * PAGE;
        if first < last {
            // SAFETY: [first, last) lies inside this view's part of the
            // private read-only file mapping, which this process never writes;
            // MADV_DONTNEED on it drops clean page-cache-backed pages, and the
            // next access reads the same bytes from the file again. No
            // reference into the range is invalidated: the bytes stay the same.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }

    /// A sub-view of `len` bytes at `offset`.
    pub fn sub(&self, offset: u64, len: u64) -> Result<View<'a>, ReadError> {
        let len_usize = usize::try_from(len).map_err(|_| ReadError {
            offset: self.base.saturating_add(offset),
            len,
            size: self.base.saturating_add(self.len()),
            straddles_overlay: false,
        })?;
        let data = View {
            overlay: None,
            ..*self
        }
        .read(offset, len_usize)?;
        Ok(View {
            data,
            base: self.base.saturating_add(offset),
            data_ranges: self.data_ranges,
            meter: self.meter,
            mapped: self.mapped,
            file: self.file,
            overlay: self.overlay,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let bytes = [1u8, 2, 3, 4];
        let view = View::from_bytes(&bytes);
        assert_eq!(view.read(1, 2), Ok(&bytes[1..3]));
        assert!(view.read(3, 2).is_err());
        assert!(view.read(u64::MAX, 1).is_err());
        assert!(view.read(2, usize::MAX).is_err());
        let sub = view.sub(2, 2).unwrap();
        assert_eq!(sub.base(), 2);
        let err = sub.read(1, 4).unwrap_err();
        assert_eq!(err.offset, 3);
    }

    #[test]
    fn an_overlay_replaces_whole_blocks_and_refuses_straddling_slices() {
        let bytes: Vec<u8> = (0..64u8).collect();
        let mut overlay = Overlay::new(16);
        overlay.insert(16, vec![0xAA; 16]);
        let view = View::from_bytes(&bytes).with_overlay(&overlay);
        assert_eq!(view.read(0, 16).unwrap(), &bytes[..16]);
        assert_eq!(view.read(20, 4).unwrap(), &[0xAA; 4]);
        assert_eq!(view.read(32, 8).unwrap(), &bytes[32..40]);
        let straddle = view.read(12, 8).unwrap_err();
        assert!(straddle.straddles_overlay, "{straddle}");
        // A copy can cross the edge: the replaced part is patched in.
        let mut buf = [0u8; 12];
        view.read_into(10, &mut buf).unwrap();
        assert_eq!(&buf[..6], &bytes[10..16]);
        assert_eq!(&buf[6..], &[0xAA; 6]);
        // A sub-view keeps the overlay (image offsets).
        let sub = view.sub(16, 32).unwrap();
        assert_eq!(sub.read(0, 16).unwrap(), &[0xAA; 16]);
        assert_eq!(sub.read(16, 1).unwrap(), &[32]);
        // Without the overlay, the image's bytes.
        assert_eq!(View::from_bytes(&bytes).read(20, 1).unwrap(), &[20]);
    }

    #[test]
    fn holes_are_found_in_sparse_files() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sparse.img");
        let mut f = File::create(&path).unwrap();
        f.set_len(64 << 20).unwrap();
        f.seek(SeekFrom::Start(32 << 20)).unwrap();
        f.write_all(&[1u8; 4096]).unwrap();
        drop(f);
        let image = Image::open(&path).unwrap();
        let view = image.view();
        // Where the filesystem under the test reports holes, the first data is
        // at 32 MiB; where it cannot, every offset counts as data.
        match view.next_data(0) {
            Some(0) => assert!(image.data_ranges.is_none()),
            Some(at) => {
                assert!(at <= 32 << 20);
                assert_eq!(view.next_data((32 << 20) + 4096), None);
            }
            None => panic!("the data at 32 MiB was missed"),
        }
        assert_eq!(view.next_data(64 << 20), None);
    }

    #[test]
    fn refuses_directories_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Image::open(dir.path()),
            Err(OpenError::NotAnImage { .. })
        ));
        let empty = dir.path().join("empty.img");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(Image::open(&empty), Err(OpenError::Empty { .. })));
        assert!(matches!(
            Image::open(&dir.path().join("missing")),
            Err(OpenError::Io { .. })
        ));
    }
}
