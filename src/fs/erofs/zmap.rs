//! Where a compressed EROFS file's physical clusters lie (Linux
//! `fs/erofs/zmap.c`, erofs-utils `lib/zmap.c`; structures in `erofs_fs.h`).
//!
//! After the inode and its xattrs, aligned to 8 bytes, comes the 8-byte
//! `z_erofs_map_header`: `h_idata_size` (2, the ztailpacking tail),
//! `h_advise` (4), algorithm types (6), `h_clusterbits` (7: lcluster size =
//! block size << low 4 bits). Then one record per logical cluster
//! (lcluster), of type PLAIN (0), HEAD1 (1), NONHEAD (2) or HEAD2 (3):
//! - layout 1, "full": 8-byte `z_erofs_lcluster_index` records from 8 bytes
//!   after the header: advise (0, type in bits 0–1), clusterofs (2), and
//!   the pcluster's block address (4) for HEAD/PLAIN or deltas for NONHEAD;
//! - layout 3, "compact": packs of 2 lclusters in 8 bytes (4B) or 16 in 32
//!   bytes (2B), each lcluster `lobits + 2` bits, the pack ending with the
//!   le32 block address of its first pcluster; a HEAD's address is that base
//!   plus the pclusters before it in the pack.
//!
//! A pcluster is one block unless the file has big pclusters: then the first
//! NONHEAD after the HEAD carries the block count in delta[0] with 0x800.
//! The ztailpacking tail and a fragment live in metadata, not in blocks.

use crate::bytes::{le16, le32};
use crate::image::View;

const TYPE_PLAIN: u8 = 0;
const TYPE_HEAD1: u8 = 1;
const TYPE_NONHEAD: u8 = 2;
const TYPE_HEAD2: u8 = 3;
const ADVISE_COMPACTED_2B: u16 = 0x0001;
const ADVISE_BIG_PCLUSTER_1: u16 = 0x0002;
const ADVISE_BIG_PCLUSTER_2: u16 = 0x0004;
const ADVISE_INLINE_PCLUSTER: u16 = 0x0008;
const ADVISE_FRAGMENT_PCLUSTER: u16 = 0x0020;
/// delta[0] of a NONHEAD lcluster holding the pcluster's block count.
const D0_CBLKCNT: u32 = 1 << 11;

/// Why a compressed file's clusters cannot all be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZmapError {
    /// The `z_erofs_map_header` at byte `at` is not in the image.
    #[error("its compression map header lies past the end of the image")]
    HeaderPastImage { at: u64 },
    /// `h_clusterbits` gives an lcluster of more than 1 GiB.
    #[error("its lcluster size 2^{bits} is impossible")]
    LclusterSize { bits: u32 },
    /// The index of `total` records does not end inside the image.
    #[error("its compressed index ({total} logical clusters) would run past the end of the image")]
    IndexPastImage { total: u64 },
    /// The record of lcluster `lcn` cannot be decoded.
    #[error("its compressed index cannot be read at logical cluster {lcn} of {total}")]
    Unreadable { lcn: u64, total: u64 },
}

/// One lcluster record, as far as block claims need it.
struct Lcluster {
    kind: u8,
    /// For HEAD/PLAIN: where its pcluster starts.
    pblk: u64,
    /// For NONHEAD: delta[0] (or the block count, with `D0_CBLKCNT`).
    lo: u32,
    clusterofs: u64,
}

/// The index of one compressed inode.
pub struct Index<'v> {
    view: &'v View<'v>,
    compact: bool,
    /// Byte of the header's end (compact) or of the first full record.
    base: u64,
    advise: u16,
    lclusterbits: u32,
    /// How many lcluster records there are.
    total: u64,
    /// Bytes of the ztailpacking tail (0: none).
    pub idata_size: u64,
}

/// A pcluster: its logical start (bytes), first block and block count.
pub struct Pcluster {
    pub logical: u64,
    pub block: u64,
    pub blocks: u64,
}

impl<'v> Index<'v> {
    /// Reads the map header of an inode whose inode and xattrs end at byte
    /// `body_end`. `big_pcluster_feature` is the superblock's
    /// COMPR_CFGS/BIG_PCLUSTER bit: without it a full index ignores the header.
    pub fn new(
        view: &'v View<'v>,
        compact: bool,
        body_end: u64,
        size: u64,
        blkszbits: u32,
        big_pcluster_feature: bool,
    ) -> Result<Index<'v>, ZmapError> {
        let header_at = body_end.next_multiple_of(8);
        let header = view
            .read(header_at, 8)
            .map_err(|_| ZmapError::HeaderPastImage { at: header_at })?;
        let (advise, lclusterbits) = if !compact && !big_pcluster_feature {
            (0, blkszbits)
        } else {
            (
                le16(header, 4),
                blkszbits + u32::from(header.get(7).copied().unwrap_or(0) & 15),
            )
        };
        if lclusterbits > 30 {
            return Err(ZmapError::LclusterSize { bits: lclusterbits });
        }
        let (base, total) = if compact {
            // The kernel counts compact records in blocks.
            (header_at + 8, size.div_ceil(1 << blkszbits))
        } else {
            (header_at + 16, size.div_ceil(1 << lclusterbits))
        };
        Ok(Index {
            view,
            compact,
            base,
            advise,
            lclusterbits,
            total,
            idata_size: u64::from(le16(header, 2)),
        })
    }

    fn load(&self, lcn: u64) -> Option<Lcluster> {
        if lcn >= self.total {
            return None;
        }
        if !self.compact {
            let r = self
                .view
                .read(self.base.checked_add(lcn.checked_mul(8)?)?, 8)
                .ok()?;
            let kind = (le16(r, 0) & 3) as u8;
            return Some(Lcluster {
                kind,
                pblk: u64::from(le32(r, 4)),
                lo: u32::from(le16(r, 4)),
                clusterofs: u64::from(le16(r, 2)),
            });
        }
        self.load_compact(lcn)
    }

    /// `z_erofs_load_compact_lcluster`: find the pack, decode the record,
    /// and for a HEAD count the pclusters before it in the pack.
    fn load_compact(&self, lcn: u64) -> Option<Lcluster> {
        let big = self.advise & ADVISE_BIG_PCLUSTER_1 != 0;
        // 4B records until the 2B area is 32-byte aligned, then 2B packs
        // (whole packs of 16), then 4B records again.
        let initial_4b = ((32 - self.base % 32) / 4) & 7;
        let compacted_2b = if self.advise & ADVISE_COMPACTED_2B != 0 && initial_4b < self.total {
            (self.total - initial_4b) / 16 * 16
        } else {
            0
        };
        let mut pos = self.base;
        let mut idx = lcn;
        let mut shift = 2u32;
        if idx >= initial_4b {
            pos += initial_4b * 4;
            idx -= initial_4b;
            if idx < compacted_2b {
                shift = 1;
            } else {
                pos += compacted_2b * 2;
                idx -= compacted_2b;
            }
        }
        pos = pos.checked_add(idx.checked_mul(1 << shift)?)?;
        let vcnt: u64 = match (shift, self.lclusterbits) {
            (2, b) if b <= 14 => 2,
            (1, b) if b <= 12 => 16,
            _ => return None,
        };
        let pack_bytes = vcnt << shift;
        let pack_at = pos / pack_bytes * pack_bytes;
        let pack = self.view.read(pack_at, pack_bytes as usize).ok()?;
        let lobits = self.lclusterbits.max(12);
        let encodebits = ((pack_bytes - 4) * 8 / vcnt) as u32;
        let i = ((pos - pack_at) >> shift) as u32;
        let decode = |k: u32| -> (u32, u8) {
            let bit = encodebits * k;
            let byte = (bit / 8) as usize;
            let mut word = [0u8; 4];
            for (n, w) in word.iter_mut().enumerate() {
                *w = pack.get(byte + n).copied().unwrap_or(0);
            }
            let v = u32::from_le_bytes(word) >> (bit & 7);
            (v & ((1 << lobits) - 1), ((v >> lobits) & 3) as u8)
        };
        let (lo, kind) = decode(i);
        if kind == TYPE_NONHEAD {
            return Some(Lcluster {
                kind,
                pblk: 0,
                lo,
                clusterofs: 1 << self.lclusterbits,
            });
        }
        // Pclusters of this pack before record i.
        let mut nblk: u64 = u64::from(!big);
        let mut k = i as i64;
        while k > 0 {
            k -= 1;
            let (lo, kind) = decode(k as u32);
            if kind == TYPE_NONHEAD {
                if big {
                    if lo & D0_CBLKCNT != 0 {
                        k -= 1;
                        nblk += u64::from(lo & !D0_CBLKCNT);
                        continue;
                    }
                    if lo <= 1 {
                        return None; // corrupt: a big pcluster's plain d0 is never 1
                    }
                    k -= i64::from(lo) - 2;
                    continue;
                }
                k -= i64::from(lo);
            }
            if big || k >= 0 {
                nblk += 1;
            }
        }
        let base = u64::from(le32(pack, (pack_bytes - 4) as usize));
        Some(Lcluster {
            kind,
            pblk: base.checked_add(nblk)?,
            lo,
            clusterofs: u64::from(lo),
        })
    }

    /// Every pcluster the file stores in blocks, in logical order (the
    /// ztailpacking tail and a fragment are not in blocks). Err when the
    /// index cannot be read to its end.
    pub fn pclusters(&self, size: u64) -> Result<Vec<Pcluster>, ZmapError> {
        // A forged size cannot make the walk longer than the image: the
        // whole index must lie inside it.
        if self.end() > self.view.len() {
            return Err(ZmapError::IndexPastImage { total: self.total });
        }
        let bigpcl1 = self.advise & ADVISE_BIG_PCLUSTER_1 != 0;
        let bigpcl2 = self.advise & ADVISE_BIG_PCLUSTER_2 != 0;
        let mut heads: Vec<Pcluster> = Vec::new();
        for lcn in 0..self.total {
            let Some(l) = self.load(lcn) else {
                return Err(ZmapError::Unreadable {
                    lcn,
                    total: self.total,
                });
            };
            let logical = (lcn << self.lclusterbits) | l.clusterofs;
            // A HEAD whose extent would start at or past the end of the
            // file starts nothing: the lcluster's bytes before clusterofs
            // belong to the previous extent.
            if l.kind == TYPE_NONHEAD || logical >= size {
                continue;
            }
            let single = (l.kind == TYPE_HEAD1 && !bigpcl1)
                || ((l.kind == TYPE_PLAIN || l.kind == TYPE_HEAD2) && !bigpcl2)
                || (lcn + 1) << self.lclusterbits >= size;
            let blocks = if single {
                1
            } else {
                match self.load(lcn + 1) {
                    Some(n) if n.kind == TYPE_NONHEAD && n.lo & D0_CBLKCNT != 0 => {
                        u64::from(n.lo & !D0_CBLKCNT).max(1)
                    }
                    _ => 1,
                }
            };
            heads.push(Pcluster {
                logical,
                block: l.pblk,
                blocks,
            });
        }
        // The extent holding the last byte may live in metadata.
        if self.advise & (ADVISE_INLINE_PCLUSTER | ADVISE_FRAGMENT_PCLUSTER) != 0
            && (self.idata_size > 0 || self.advise & ADVISE_FRAGMENT_PCLUSTER != 0)
        {
            heads.pop();
        }
        Ok(heads)
    }

    /// One past the last byte of the index (and of the ztailpacking tail,
    /// which follows it): what the inode's metadata covers.
    pub fn end(&self) -> u64 {
        let records = if self.compact {
            let initial_4b = (((32 - self.base % 32) / 4) & 7).min(self.total);
            let compacted_2b = if self.advise & ADVISE_COMPACTED_2B != 0 {
                (self.total - initial_4b) / 16 * 16
            } else {
                0
            };
            initial_4b * 4 + compacted_2b * 2 + (self.total - initial_4b - compacted_2b) * 4
        } else {
            self.total.saturating_mul(8)
        };
        self.base
            .saturating_add(records)
            .saturating_add(self.idata_size)
    }
}
