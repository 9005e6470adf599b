//! Image containers: a disk image inside another file format, which has to
//! be unpacked (or read through its own block map) before any filesystem in
//! it can be checked.

use super::{Recognised, bytes_at};
use crate::bytes::{be32, le16, le32};
use crate::image::View;

pub const QCOW2: Recognised = Recognised {
    name: "qcow2",
    used_by: "qemu-img, qemu-nbd",
    identify: qcow,
};

pub const VMDK: Recognised = Recognised {
    name: "VMDK",
    used_by: "qemu-img, VMware",
    identify: vmdk,
};

pub const VHDX: Recognised = Recognised {
    name: "VHDX",
    used_by: "qemu-img, Hyper-V",
    identify: |view| (bytes_at(view, 0, 8) == Some(b"vhdxfile")).then(|| "VHDX".into()),
};

pub const VHD: Recognised = Recognised {
    name: "VHD",
    used_by: "qemu-img, Hyper-V",
    identify: vhd,
};

pub const EWF: Recognised = Recognised {
    name: "EWF",
    used_by: "ewfmount, ewfexport",
    identify: ewf,
};

pub const ANDROID_SPARSE: Recognised = Recognised {
    name: "Android sparse image",
    used_by: "simg2img",
    identify: android_sparse,
};

/// QEMU's qcow header: "QFI\xfb", then a big-endian version: 1 (qcow), 2
/// or 3 (qcow2) (docs/interop/qcow2.txt).
fn qcow(view: &View<'_>) -> Option<String> {
    let b = bytes_at(view, 0, 8)?;
    if b.get(0..4) != Some(b"QFI\xfb") {
        return None;
    }
    match be32(b, 4) {
        1 => Some("qcow (version 1)".into()),
        v @ (2 | 3) => Some(format!("qcow2 (version {v})")),
        _ => None,
    }
}

/// A VMDK sparse extent ("KDMV", a version of 1–3 little-endian at 4) or a
/// descriptor file ("# Disk DescriptorFile").
fn vmdk(view: &View<'_>) -> Option<String> {
    let b = bytes_at(view, 0, 21)?;
    if b.get(0..4) == Some(b"KDMV") && (1..=3).contains(&le32(b, 4)) {
        return Some(format!("VMDK sparse extent (version {})", le32(b, 4)));
    }
    (b == b"# Disk DescriptorFile").then(|| "VMDK descriptor".into())
}

/// A dynamic or differencing VHD: the copy of the footer at 0
/// ("conectix", the disk type big-endian at 60: 3 dynamic, 4 differencing)
/// before the dynamic disk header. A fixed VHD (type 2) is the raw disk
/// with the footer appended after it: what it holds is read as it is, and
/// its footer is no second signature.
fn vhd(view: &View<'_>) -> Option<String> {
    let footer = bytes_at(view, 0, 512).filter(|f| f.get(0..8) == Some(b"conectix"))?;
    match be32(footer, 60) {
        3 => Some("VHD (dynamic)".into()),
        4 => Some("VHD (differencing)".into()),
        _ => None,
    }
}

/// Expert Witness Format: "EVF\x09\x0d\x0a\xff\x00" (E01), "LVF…" (L01),
/// or the version 2 signature "EVF2\x0d\x0a\x81\x00" (Ex01).
fn ewf(view: &View<'_>) -> Option<String> {
    match bytes_at(view, 0, 8)? {
        b"EVF\x09\x0d\x0a\xff\x00" => Some("EWF (E01) evidence file".into()),
        b"LVF\x09\x0d\x0a\xff\x00" => Some("EWF (L01) logical evidence file".into()),
        b"EVF2\x0d\x0a\x81\x00" => Some("EWF2 (Ex01) evidence file".into()),
        _ => None,
    }
}

/// AOSP libsparse's sparse_header_t: magic 0xED26FF3A, major version 1,
/// a 28-byte file header and 12-byte chunk headers.
fn android_sparse(view: &View<'_>) -> Option<String> {
    let b = bytes_at(view, 0, 12)?;
    (le32(b, 0) == 0xED26_FF3A && le16(b, 4) == 1 && le16(b, 8) == 28 && le16(b, 10) == 12)
        .then(|| format!("Android sparse image {}.{}", le16(b, 4), le16(b, 6)))
}
