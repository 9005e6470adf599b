//! The two checksum families of ext4: crc32c for `metadata_csum` and crc16 for
//! `gdt_csum` (uninit_bg).
//!
//! Sources: Documentation/filesystems/ext4/checksums.rst; e2fsprogs lib/ext2fs/csum.c.

/// ext4 stores the *raw* crc32c register: seeded with `!0` and never inverted at
/// the end. The `crc32c` crate computes the standard (inverted) form, so a raw
/// value `r` continued over `data` is `!crc32c_append(!r, data)`.
pub fn raw_crc32c(seed: u32, data: &[u8]) -> u32 {
    !crc32c::crc32c_append(!seed, data)
}

/// The crc16 of e2fsprogs' `ext2fs_crc16` (polynomial 0x8005, reflected, no final
/// inversion), used by `gdt_csum` group descriptor checksums.
pub fn crc16(mut crc: u16, data: &[u8]) -> u16 {
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_crc32c_is_the_uninverted_register() {
        // Standard crc32c("123456789") = 0xE3069283.
        assert_eq!(raw_crc32c(!0, b"123456789"), !0xE306_9283);
        // Chaining raw values equals one pass.
        let one = raw_crc32c(!0, b"123456789");
        let two = raw_crc32c(raw_crc32c(!0, b"1234"), b"56789");
        assert_eq!(one, two);
    }

    #[test]
    fn crc16_matches_arc() {
        // CRC-16/ARC("123456789") = 0xBB3D (init 0); MODBUS (init 0xFFFF) = 0x4B37.
        assert_eq!(crc16(0, b"123456789"), 0xBB3D);
        assert_eq!(crc16(0xFFFF, b"123456789"), 0x4B37);
    }
}
