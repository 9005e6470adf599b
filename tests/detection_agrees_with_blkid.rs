//! Recognising what is on a volume: devices that hold no filesystem of
//! their own (an ext3/4 external journal, an XFS external log), judged as
//! e2fsck, xfs_repair and blkid judge them; and volumes where more than one
//! filesystem's signature is valid, which blkid calls ambivalent.

mod common;

use common::{json_codes, run_ok};

use std::path::Path;

use common::{have_tool, imginspect, tool};

fn sparse_file(path: &Path, bytes: u64) {
    std::fs::File::create(path).unwrap().set_len(bytes).unwrap();
}

/// `blkid -p -o export`: its KEY=value lines.
fn blkid(path: &str) -> (Vec<(String, String)>, i32) {
    let out = tool("blkid", &["-p", "-o", "export", path]);
    let pairs = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (pairs, out.status.code().unwrap_or(-1))
}

fn value(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

#[test]
fn an_ext_journal_device_is_named_and_refused_as_e2fsck_refuses_it() {
    if !have_tool("mke2fs") || !have_tool("e2fsck") || !have_tool("blkid") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("journal-dev.img");
    let path = img.to_str().unwrap();
    sparse_file(&img, 8 << 20);
    run_ok(
        "mke2fs",
        &["-q", "-F", "-O", "journal_dev", "-b", "1024", path],
    );
    let (pairs, _) = blkid(path);
    assert_eq!(value(&pairs, "TYPE").as_deref(), Some("jbd"), "{pairs:?}");
    let uuid = value(&pairs, "UUID").unwrap();
    // e2fsck refuses it: an operational error, status 8.
    let e2fsck = tool("e2fsck", &["-fn", path]);
    assert_eq!(e2fsck.status.code(), Some(8), "{e2fsck:?}");
    assert!(String::from_utf8_lossy(&e2fsck.stderr).contains("unsupported feature"));

    let out = imginspect(&["scan", path]);
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("an ext3/4 external journal device") && stderr.contains(&uuid),
        "{stderr}"
    );
    assert!(stderr.contains("no filesystem is attached"), "{stderr}");
    assert!(!stderr.contains("corrupt superblock"), "{stderr}");

    // A filesystem attached to it (mke2fs -J device= needs a block device:
    // the JBD2 superblock's user list is written here as mke2fs would).
    let mut bytes = std::fs::read(&img).unwrap();
    let jsb = 2048; // the block after the ext superblock's, 1 KiB blocks
    assert_eq!(&bytes[jsb..jsb + 4], &[0xC0, 0x3B, 0x39, 0x98]);
    bytes[jsb + 0x40..jsb + 0x44].copy_from_slice(&1u32.to_be_bytes());
    let user: Vec<u8> = (0x10..0x20).collect();
    bytes[jsb + 0x100..jsb + 0x110].copy_from_slice(&user);
    let result = common::scan_bytes(&bytes);
    let error = result.volumes[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("belongs to the filesystem with UUID 10111213-1415-1617-1819-1a1b1c1d1e1f"),
        "{error}"
    );
}

#[test]
fn an_xfs_external_log_is_named_on_the_filesystem_and_on_the_log_device() {
    if !have_tool("mkfs.xfs") || !have_tool("xfs_repair") || !have_tool("blkid") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.img");
    let log = dir.path().join("log.img");
    sparse_file(&data, 300 << 20);
    sparse_file(&log, 80 << 20);
    let (data_path, log_path) = (data.to_str().unwrap(), log.to_str().unwrap());
    run_ok(
        "mkfs.xfs",
        &["-q", "-f", "-l", &format!("logdev={log_path}"), data_path],
    );
    let (fs_pairs, _) = blkid(data_path);
    let (log_pairs, _) = blkid(log_path);
    assert_eq!(
        value(&log_pairs, "TYPE").as_deref(),
        Some("xfs_external_log")
    );
    let fs_uuid = value(&fs_pairs, "UUID").unwrap();
    assert_eq!(value(&log_pairs, "LOGUUID"), Some(fs_uuid.clone()));
    // xfs_repair needs the log device, and says so.
    let repair = tool("xfs_repair", &["-n", data_path]);
    assert!(!repair.status.success());
    assert!(String::from_utf8_lossy(&repair.stderr).contains("external log"));

    let json = common::scan_json(&data);
    let volume = &json["volumes"][0];
    assert_eq!(volume["filesystem"]["type"], "xfs");
    let external: Vec<&serde_json::Value> = volume["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "external_log")
        .collect();
    assert_eq!(external.len(), 1, "{volume}");
    assert_eq!(external[0]["severity"], "info");
    let logblocks = run_ok(
        "xfs_db",
        &["-r", "-c", "sb 0", "-c", "p logblocks", data_path],
    );
    let logblocks = logblocks.trim().strip_prefix("logblocks = ").unwrap();
    assert!(
        external[0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(": {logblocks} blocks of 4096 bytes")),
        "{external:?}"
    );

    let out = imginspect(&["scan", log_path]);
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("an XFS external log device") && stderr.contains(&fs_uuid),
        "{stderr}"
    );
}

/// An NTFS boot sector as blkid's `probe_ntfs` wants it, for a volume of
/// `sectors` 512-byte sectors: 4 KiB clusters, 1 KiB MFT records, the MFT
/// at cluster `mft`.
fn ntfs_boot_sector(sectors: u64, mft: u64) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..3].copy_from_slice(&[0xEB, 0x52, 0x90]);
    b[3..11].copy_from_slice(b"NTFS    ");
    b[11..13].copy_from_slice(&512u16.to_le_bytes());
    b[13] = 8;
    b[21] = 0xF8;
    b[0x28..0x30].copy_from_slice(&sectors.to_le_bytes());
    b[0x30..0x38].copy_from_slice(&mft.to_le_bytes());
    b[0x38..0x40].copy_from_slice(&2u64.to_le_bytes()); // $MFTMirr
    b[0x40] = 0xF6; // 2^10-byte records
    b[0x44] = 1;
    b[510] = 0x55;
    b[511] = 0xAA;
    b
}

#[test]
fn two_valid_filesystems_on_one_volume_are_ambivalent_as_blkid_says() {
    if !have_tool("mke2fs") || !have_tool("e2fsck") || !have_tool("blkid") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("ext2-ntfs.img");
    let path = img.to_str().unwrap();
    sparse_file(&img, 8 << 20);
    run_ok("mke2fs", &["-q", "-F", "-t", "ext2", "-b", "1024", path]);
    // ext leaves its first 1024 bytes unused: an NTFS boot sector goes
    // there, its MFT records 0 and 3 ("FILE") into free blocks at the end.
    let mft_cluster = 2040u64;
    let mut bytes = std::fs::read(&img).unwrap();
    let only_sector = ntfs_boot_sector(16384, mft_cluster);
    bytes[..512].copy_from_slice(&only_sector);
    std::fs::write(&img, &bytes).unwrap();
    // The boot sector alone is not NTFS, to blkid or to us.
    let (pairs, status) = blkid(path);
    assert_eq!(status, 0);
    assert_eq!(value(&pairs, "TYPE").as_deref(), Some("ext2"), "{pairs:?}");
    assert!(!json_codes(&common::scan_json(&img)).contains("ambivalent_filesystem"));

    let mft = (mft_cluster * 4096) as usize;
    for record in [0, 3] {
        bytes[mft + record * 1024..mft + record * 1024 + 4].copy_from_slice(b"FILE");
    }
    std::fs::write(&img, &bytes).unwrap();
    // blkid: ambivalent (status 8), both filesystems named.
    let out = tool("blkid", &["-p", path]);
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ambivalent result"));
    let udev =
        String::from_utf8_lossy(&tool("blkid", &["-p", "-o", "udev", path]).stdout).to_string();
    assert!(
        udev.contains("ID_FS_AMBIVALENT=") && udev.contains("ext2") && udev.contains("ntfs"),
        "{udev}"
    );
    // e2fsck passes the ext2 filesystem: the blocks written are free.
    assert_eq!(tool("e2fsck", &["-fn", path]).status.code(), Some(0));

    let json = common::scan_json(&img);
    assert_eq!(json["volumes"][0]["filesystem"]["type"], "ext2");
    let finding = json["volumes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ambivalent_filesystem")
        .unwrap_or_else(|| panic!("no ambivalent_filesystem: {json}"))
        .clone();
    assert_eq!(finding["severity"], "high");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("ext2/3/4 (modelled here, as ext2)") && message.contains("NTFS"),
        "{message}"
    );
    assert_eq!(imginspect(&["scan", path]).status.code(), Some(4));

    // With the ext superblock gone, only the NTFS is left: named, not parsed.
    bytes[1024..2048].fill(0);
    let result = common::scan_bytes(&bytes);
    let error = result.volumes[0].error.clone().unwrap_or_default();
    assert!(error.contains("NTFS (not supported yet)"), "{error}");
}

#[test]
fn no_sample_image_has_a_second_filesystem_or_a_detection_note() {
    // The committed samples are what mkfs tools make (then edited): none has
    // two valid signatures, a self-partitioned FAT or an external log.
    let new_codes = [
        "ambivalent_filesystem",
        "self_referencing_partition",
        "external_log",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut images: Vec<std::path::PathBuf> = std::fs::read_dir(common::samples_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "img"))
        .collect();
    let xz: Vec<String> = std::fs::read_dir(common::samples_dir())
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".img.xz").map(str::to_string)
        })
        .collect();
    assert!(xz.len() >= 5 && images.len() >= 30, "{xz:?} {images:?}");
    for name in &xz {
        images.extend(common::unpack_xz(dir.path(), name));
    }
    for image in &images {
        let json = common::scan_json(image);
        let text = json.to_string();
        for code in new_codes {
            assert!(!text.contains(code), "{}: {code}", image.display());
        }
        for volume in json["volumes"].as_array().unwrap() {
            assert!(
                volume["filesystem"].is_object(),
                "{}: {volume}",
                image.display()
            );
        }
    }
}
