//! Formats this tool recognises but does not parse yet are named, with the
//! version their header gives, in the text report and the JSON, and the
//! scan exits 8 ("nothing this tool can check"), as for an unknown volume.
//! Every image is made by the format's own tool, not by this project.

mod common;

use std::path::Path;

use common::{have_tool, imginspect, tool};

/// Which tool makes the image, how (a shell script run in a scratch
/// directory that leaves `img`), and what the scan must call it.
struct Case {
    tool: &'static str,
    make: &'static str,
    named: &'static str,
}

const CASES: &[Case] = &[
    Case {
        tool: "mksquashfs",
        make: "mkdir d && echo hi > d/a && mksquashfs d img -noappend -quiet",
        named: "squashfs 4.0",
    },
    Case {
        tool: "mkfs.btrfs",
        make: "truncate -s 128M img && mkfs.btrfs -q img",
        named: "btrfs",
    },
    Case {
        tool: "mkfs.exfat",
        make: "truncate -s 16M img && mkfs.exfat img",
        named: "exFAT 1.00",
    },
    Case {
        tool: "mkfs.ntfs",
        make: "truncate -s 16M img && mkfs.ntfs -F -q -f img",
        named: "NTFS",
    },
    Case {
        tool: "mkfs.f2fs",
        make: "truncate -s 64M img && mkfs.f2fs -q img",
        named: "F2FS 1.",
    },
    Case {
        tool: "mkswap",
        make: "truncate -s 16M img && mkswap img",
        named: "Linux swap",
    },
    Case {
        tool: "cryptsetup",
        make: "truncate -s 32M img && printf pw | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 img -",
        named: "LUKS2",
    },
    Case {
        // pvcreate wants a block device: a loop device over the image.
        tool: "pvcreate",
        make: "truncate -s 16M img && lo=$(losetup -f --show img) && { pvcreate -q -y $lo 2>/dev/null; rc=$?; losetup -d $lo; exit $rc; }",
        named: "LVM2 physical volume",
    },
    Case {
        tool: "xorriso",
        make: "mkdir d && echo hi > d/a && xorriso -as mkisofs -quiet -o img d",
        named: "ISO 9660",
    },
    Case {
        tool: "qemu-img",
        make: "truncate -s 16M raw && mkfs.ext4 -q raw && qemu-img convert -O qcow2 raw img",
        named: "qcow2 (version 3)",
    },
    Case {
        tool: "qemu-img",
        make: "truncate -s 16M raw && mkfs.ext4 -q raw && qemu-img convert -O vmdk raw img",
        named: "VMDK sparse extent (version 1)",
    },
    Case {
        tool: "qemu-img",
        make: "truncate -s 16M raw && mkfs.ext4 -q raw && qemu-img convert -O vpc raw img",
        named: "VHD (dynamic)",
    },
    Case {
        tool: "qemu-img",
        make: "truncate -s 16M raw && mkfs.ext4 -q raw && qemu-img convert -O vhdx raw img",
        named: "VHDX",
    },
    Case {
        tool: "img2simg",
        make: "truncate -s 16M raw && mkfs.ext4 -q raw && img2simg raw img",
        named: "Android sparse image 1.0",
    },
    Case {
        tool: "ewfacquire",
        make: "truncate -s 16M raw.img && mkfs.ext4 -q raw.img && ewfacquire -q -u -t e -f encase6 -c none raw.img </dev/null >/dev/null && mv e.E01 img",
        named: "EWF (E01) evidence file",
    },
];

fn make(dir: &Path, case: &Case) -> std::path::PathBuf {
    let out = tool(
        "sh",
        &["-c", &format!("cd {} && {}", dir.display(), case.make)],
    );
    assert!(
        out.status.success(),
        "{}",
        common::describe(case.make, &out)
    );
    dir.join("img")
}

#[test]
fn every_recognised_format_is_named_with_its_version_and_exits_8() {
    for case in CASES {
        if !have_tool(case.tool) {
            continue;
        }
        let dir = tempfile::tempdir().expect("scratch directory");
        let image = make(dir.path(), case);
        let path = image.to_str().expect("utf-8 path");
        let text = imginspect(&["scan", path]);
        assert_eq!(
            text.status.code(),
            Some(8),
            "{}",
            common::describe(case.make, &text)
        );
        let said = String::from_utf8_lossy(&text.stdout);
        assert!(
            said.contains(case.named) && said.contains("(not supported yet)"),
            "{}: {said}",
            case.named
        );
        let json = common::scan_json(&image);
        let volume = &json["volumes"][0];
        let unsupported = volume["unsupported_format"].as_str().unwrap_or_default();
        assert!(
            unsupported.starts_with(case.named),
            "{}: {volume}",
            case.named
        );
        assert!(volume["filesystem"].is_null(), "{volume}");
    }
}

#[test]
fn a_fixed_vhd_is_the_raw_disk_it_carries() {
    // A fixed VHD is the disk's bytes with a 512-byte footer after them:
    // qemu and the kernel (after stripping nothing) read the same ext4, so
    // the footer is no second signature.
    if !have_tool("qemu-img") {
        return;
    }
    let dir = tempfile::tempdir().expect("scratch directory");
    let case = Case {
        tool: "qemu-img",
        make: "truncate -s 16M raw && mkfs.ext4 -q raw && qemu-img convert -O vpc -o subformat=fixed raw img",
        named: "",
    };
    let image = make(dir.path(), &case);
    let json = common::scan_json(&image);
    let volume = &json["volumes"][0];
    assert_eq!(volume["filesystem"]["type"], "ext4", "{volume}");
    assert!(
        volume["findings"]
            .as_array()
            .is_none_or(|f| f.iter().all(|f| f["code"] != "ambivalent_filesystem")),
        "{volume}"
    );
}
