//! Field readers for fixed-size on-disk structures: little-endian (ext, FAT,
//! EROFS, GPT) and big-endian (XFS, the JBD2 journal); and hex for digests
//! and UUIDs.
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

pub fn be16(buf: &[u8], off: usize) -> u16 {
    field::<2>(buf, off).map_or(0, u16::from_be_bytes)
}

pub fn be32(buf: &[u8], off: usize) -> u32 {
    field::<4>(buf, off).map_or(0, u32::from_be_bytes)
}

pub fn be64(buf: &[u8], off: usize) -> u64 {
    field::<8>(buf, off).map_or(0, u64::from_be_bytes)
}

pub fn u8_at(buf: &[u8], off: usize) -> u8 {
    buf.get(off).copied().unwrap_or(0)
}

fn field<const N: usize>(buf: &[u8], off: usize) -> Option<[u8; N]> {
    let end = off.checked_add(N)?;
    buf.get(off..end)?.try_into().ok()
}

/// Lowercase hex of `bytes` (digests, UUIDs).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 16-byte UUID as filesystems' tools print it: 8-4-4-4-12 hex digits.
pub fn uuid(u: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Combines a 32-bit low half and a high half read from separate fields.
pub fn hi_lo(hi: u32, lo: u32) -> u64 {
    (u64::from(hi) << 32) | u64::from(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_fields_hex_and_uuids() {
        let buf = [0xC0, 0x3B, 0x39, 0x98, 1, 2, 3, 4];
        assert_eq!(be32(&buf, 0), 0xC03B_3998);
        assert_eq!(be16(&buf, 4), 0x0102);
        assert_eq!(be64(&buf, 0), 0xC03B_3998_0102_0304);
        assert_eq!(be32(&buf, 6), 0, "a field past the end reads as zero");
        assert_eq!(hex(&[0, 0xab]), "00ab");
        let u: [u8; 16] = std::array::from_fn(|i| i as u8 * 17);
        assert_eq!(uuid(&u), "00112233-4455-6677-8899-aabbccddeeff");
    }

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
