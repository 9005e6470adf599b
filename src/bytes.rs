//! Little-endian field readers for fixed-size on-disk structures.
//!
//! Each reader takes a slice the caller has already read in full from a [`View`]
//! (a superblock, a descriptor, an inode) and a field offset inside it. A field
//! that does not fit in the slice reads as zero instead of panicking: callers
//! size their slices from the structure's definition, so this only happens for
//! optional tail fields of a short structure (a 128-byte inode has no
//! `i_extra_isize`), where zero is the format's own default.
//!
//! [`View`]: crate::image::View

pub fn le16(buf: &[u8], off: usize) -> u16 {
    field::<2>(buf, off).map_or(0, u16::from_le_bytes)
}

pub fn le32(buf: &[u8], off: usize) -> u32 {
    field::<4>(buf, off).map_or(0, u32::from_le_bytes)
}

pub fn le64(buf: &[u8], off: usize) -> u64 {
    field::<8>(buf, off).map_or(0, u64::from_le_bytes)
}

pub fn u8_at(buf: &[u8], off: usize) -> u8 {
    buf.get(off).copied().unwrap_or(0)
}

fn field<const N: usize>(buf: &[u8], off: usize) -> Option<[u8; N]> {
    let end = off.checked_add(N)?;
    buf.get(off..end)?.try_into().ok()
}

/// Combines a 32-bit low half and a high half read from separate fields.
pub fn hi_lo(hi: u32, lo: u32) -> u64 {
    (u64::from(hi) << 32) | u64::from(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_fields_read_as_zero() {
        let b = [0x34, 0x12, 0x78, 0x56];
        assert_eq!(le16(&b, 0), 0x1234);
        assert_eq!(le32(&b, 0), 0x5678_1234);
        assert_eq!(le32(&b, 1), 0);
        assert_eq!(le64(&b, 0), 0);
        assert_eq!(le16(&b, usize::MAX), 0);
        assert_eq!(u8_at(&b, 4), 0);
    }
}
