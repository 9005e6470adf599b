//! Images nobody here made: util-linux's blkid test images
//! (`tests/ts/blkid/images-{fs,pt}/*.img.xz`, 100+ filesystems, RAID and
//! volume-manager signatures, partition tables), each with blkid's verdict in
//! `tests/expected/blkid/low-probe-NAME`.
//!
//! For every image: the scan ends (no panic, signal or time-out) with exit 0,
//! 4 or 8, its JSON stays within 8× the image plus 1 MiB, and the image is
//! unchanged. Against blkid: every image blkid types as a filesystem we parse
//! (ext2/3/4, vfat, XFS, EROFS) is modelled, with blkid's UUID and label (FAT:
//! the root directory's volume entry); an ext journal device or an XFS log
//! device is named as
//! one; and no other image is modelled as one of ours (no false positive).
//!
//! The images come from Debian's util-linux source package
//! (`.ci/fetch-test-suites`, called by `.ci/run`; or UTIL_LINUX_SUITE=its
//! `tests` directory). Without them this prints SKIPPED (and fails under CI).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// blkid's types for the filesystems imginspect models.
const MODELLED: &[&str] = &["ext2", "ext3", "ext4", "vfat", "xfs", "erofs"];

/// `KEY=value` lines of blkid's expected output for one image.
fn expected(dir: &Path, name: &str) -> BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("expected/blkid").join(format!("low-probe-{name}")))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The bytes of blkid's `ID_FS_LABEL_ENC` (the label with `\xNN` escapes).
fn unescape(s: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'\\'
            && tail.first() == Some(&b'x')
            && let Some(hex) = tail.get(1..3)
            && let Ok(v) = u8::from_str_radix(&String::from_utf8_lossy(hex), 16)
        {
            bytes.push(v);
            rest = tail.get(3..).unwrap_or(&[]);
            continue;
        }
        bytes.push(b);
        rest = tail;
    }
    bytes
}

fn main() {
    let Some(dir) = common::fetched_suite(
        "UTIL_LINUX_SUITE",
        "test-suites",
        "util-linux-",
        "ts/blkid/images-fs",
    ) else {
        common::unavailable(
            "util-linux's blkid images (run .ci/fetch-test-suites or set UTIL_LINUX_SUITE)",
        );
        return;
    };
    if !common::have_tool("xz") || !common::have_tool("timeout") {
        return;
    }
    let mut images: Vec<PathBuf> = ["ts/blkid/images-fs", "ts/blkid/images-pt"]
        .iter()
        .filter_map(|d| std::fs::read_dir(dir.join(d)).ok())
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".img.xz"))
        .collect();
    images.sort();
    assert!(
        images.len() >= 100,
        "only {} images in {}",
        images.len(),
        dir.display()
    );
    let work = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut modelled = 0;
    for xz in &images {
        let partition_table = xz.to_string_lossy().contains("images-pt");
        let name = xz
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".img.xz").to_string())
            .unwrap_or_default();
        let out = Command::new("xz")
            .arg("-dc")
            .arg(xz)
            .output()
            .expect("run xz");
        assert!(out.status.success(), "xz -dc {}", xz.display());
        let bytes = out.stdout;
        let image = work.path().join(format!("{name}.img"));
        std::fs::write(&image, &bytes).expect("write image");
        let scan = Command::new("timeout")
            .arg("20")
            .arg(env!("CARGO_BIN_EXE_imginspect"))
            .args(["scan", "--format", "json"])
            .arg(&image)
            .output()
            .expect("run imginspect");
        let code = scan.status.code();
        if !matches!(code, Some(0 | 4 | 8)) {
            failures.push(format!(
                "{name}: exit {code:?} (panic, signal or time-out): {}",
                String::from_utf8_lossy(&scan.stderr)
            ));
            continue;
        }
        if scan.stdout.len() > bytes.len().saturating_mul(8) + (1 << 20) {
            failures.push(format!("{name}: {} bytes of JSON", scan.stdout.len()));
        }
        if std::fs::read(&image).expect("read back") != bytes {
            failures.push(format!("{name}: the image changed"));
        }
        let json: serde_json::Value = match serde_json::from_slice(&scan.stdout) {
            Ok(j) => j,
            Err(e) => {
                failures.push(format!("{name}: no JSON ({e})"));
                continue;
            }
        };
        let volumes = json["volumes"].as_array().cloned().unwrap_or_default();
        let ours: Vec<&serde_json::Value> = volumes
            .iter()
            .filter(|v| !v["filesystem"].is_null())
            .map(|v| &v["filesystem"])
            .collect();
        let blkid = expected(&dir, &name);
        let fs_type = blkid.get("ID_FS_TYPE").map(String::as_str).unwrap_or("");
        let errors: String = volumes
            .iter()
            .filter_map(|v| v["error"].as_str())
            .chain(json["error"].as_str())
            .collect::<Vec<_>>()
            .join("; ");
        match fs_type {
            t if MODELLED.contains(&t) => {
                let Some(fs) = ours.first() else {
                    failures.push(format!(
                        "{name}: blkid says {t}, we model nothing: {errors}"
                    ));
                    continue;
                };
                modelled += 1;
                if let Some(uuid) = blkid.get("ID_FS_UUID")
                    && !fs["uuid"].as_str().unwrap_or("").eq_ignore_ascii_case(uuid)
                {
                    failures.push(format!(
                        "{name}: UUID {} where blkid says {uuid}",
                        fs["uuid"]
                    ));
                }
                // blkid's bytes, written as our JSON keeps bytes that are not
                // UTF-8 (a FAT label in a DOS code page): `\xNN`.
                let label = blkid
                    .get("ID_FS_LABEL_ENC")
                    .map(|l| imginspect::model::name_from_bytes(&unescape(l)).into_owned())
                    .unwrap_or_default();
                if fs["label"].as_str().unwrap_or("") != label {
                    failures.push(format!(
                        "{name}: label {} where blkid says {label:?}",
                        fs["label"]
                    ));
                }
            }
            "jbd" if !errors.contains("external journal device") => {
                failures.push(format!(
                    "{name}: a journal device, not named as one: {errors}"
                ));
            }
            "xfs_external_log" if !errors.contains("external log device") => {
                failures.push(format!(
                    "{name}: an XFS log device, not named as one: {errors}"
                ));
            }
            other => {
                // A partition table's image may hold one of ours inside.
                if !partition_table && !ours.is_empty() && !MODELLED.contains(&other) {
                    failures.push(format!(
                        "{name}: blkid says {:?}, we model {}",
                        blkid.get("ID_FS_TYPE").or(blkid.get("ID_PART_TABLE_TYPE")),
                        ours.iter()
                            .map(|f| f["type"].to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    }
    assert!(modelled >= 25, "only {modelled} images of our formats");
    if !failures.is_empty() {
        panic!(
            "{} problem(s) on util-linux's images:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    println!(
        "blkid images: {} scanned within bounds, {modelled} of our formats modelled with blkid's UUID and label, no other image modelled as one of ours",
        images.len()
    );
}
