//! A file's bytes, read through the model's own block map (what `icat`
//! does with The Sleuth Kit's): file blocks in logical order, holes and
//! unwritten extents as zeros, cut at the size; bytes a format keeps in the
//! inode itself ([`Format::inode_bytes`](crate::fs::format::Format::inode_bytes))
//! read from there. Streamed in
//! bounded chunks, so a forged size costs output, never memory.

use std::io::Write;

use crate::bytes::hex;
use crate::image::View;
use crate::model::{Filesystem, Inode};

/// Why a file's bytes cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("block {block} of the file lies past the end of the image")]
    PastEnd { block: u64 },
    #[error("writing the output failed: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes the bytes of `inode` to `out`; returns how many were written.
pub fn write_content(
    view: &View<'_>,
    fs: &Filesystem,
    inode: &Inode,
    out: &mut impl Write,
) -> Result<u64, ContentError> {
    let bs = u64::from(fs.info.block_size).max(1);
    let held = match crate::fs::format::recognise(view) {
        Some(format) => format.inode_bytes(view, fs, inode)?,
        None => None,
    };
    if let Some(bytes) = held {
        // The bytes the inode holds itself (ext inline data, a fast
        // symlink's target); past them the file reads as zeros, as the
        // kernel's ext4_read_inline_page zero-fills the rest.
        out.write_all(&bytes)?;
        let len = bytes.len() as u64;
        write_zeros(out, inode.size.saturating_sub(len))?;
        return Ok(inode.size.max(len));
    }
    let mut runs: Vec<_> = fs
        .runs_of(inode)
        .iter()
        .filter(|r| r.role.is_file_block())
        .filter_map(|r| r.logical.map(|l| (l, r)))
        .collect();
    runs.sort_by_key(|&(l, _)| l);
    let mut written = 0u64;
    let zeros = write_zeros;
    let mut buffer = vec![0u8; (bs.min(CHUNK)) as usize];
    for (logical, run) in runs {
        let at = logical.saturating_mul(bs).min(inode.size);
        if at < written {
            continue; // overlapping runs: the first mapping wins
        }
        zeros(out, at - written)?;
        written = at;
        for k in 0..run.len {
            if written >= inode.size {
                break;
            }
            let take = bs.min(inode.size - written);
            if run.unwritten {
                zeros(out, take)?;
            } else {
                let block = run.start.saturating_add(k);
                let bytes = buffer.get_mut(..take as usize).unwrap_or(&mut []);
                view.read_into(block.saturating_mul(bs), bytes)
                    .map_err(|_| ContentError::PastEnd { block })?;
                out.write_all(bytes)?;
            }
            written += take;
        }
    }
    zeros(out, inode.size.saturating_sub(written))?;
    Ok(inode.size.max(written))
}

/// Bytes written at a time: zeros and file blocks go out in chunks of at most this.
const CHUNK: u64 = 1 << 20;

/// Writes `n` zero bytes (holes, unwritten extents), a chunk at a time.
fn write_zeros(out: &mut dyn Write, mut n: u64) -> std::io::Result<()> {
    static ZEROS: [u8; CHUNK as usize] = [0; CHUNK as usize];
    while n > 0 {
        let k = n.min(CHUNK);
        out.write_all(ZEROS.get(..k as usize).unwrap_or(&[]))?;
        n -= k;
    }
    Ok(())
}

/// A file's digests, as DFXML `hashdigest` elements carry them (fiwalk
/// writes md5 and sha1), in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
}

/// The digests of a file's bytes (as [`write_content`] gives them), in one pass.
pub fn digests(view: &View<'_>, fs: &Filesystem, inode: &Inode) -> Result<Digests, ContentError> {
    use sha2::Digest;
    /// Feeds written bytes to every hasher.
    struct Hashing(md5::Md5, sha1::Sha1, sha2::Sha256);
    impl Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            self.1.update(bytes);
            self.2.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(md5::Md5::new(), sha1::Sha1::new(), sha2::Sha256::new());
    write_content(view, fs, inode, &mut hashing)?;
    let Hashing(md5, sha1, sha256) = hashing;
    Ok(Digests {
        md5: hex(&md5.finalize()),
        sha1: hex(&sha1.finalize()),
        sha256: hex(&sha256.finalize()),
    })
}
