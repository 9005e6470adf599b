//! The orphan list as imginspect reads it: what mount releases (checked
//! against the kernel in tests/kernel_mounts_agree.rs), and chains that a hostile image
//! bends (a loop, an inode out of range, a free inode), which end the walk
//! with a finding, as ext4_orphan_get ends the kernel's cleanup.

mod common;

use common::json_codes;

use std::path::Path;

use common::{have_tool, imginspect, samples_dir, tool};

fn scan(image: &Path) -> serde_json::Value {
    common::scan_json(image)
}

/// A copy of an orphan sample edited with `debugfs -w -R REQUEST`.
fn edited(dir: &Path, sample: &str, requests: &[&str]) -> std::path::PathBuf {
    let copy = dir.join(sample);
    std::fs::copy(samples_dir().join(sample), &copy).expect("copy");
    for request in requests {
        let out = tool("debugfs", &["-w", "-R", request, copy.to_str().unwrap()]);
        assert!(out.status.success(), "debugfs {request}: {out:?}");
    }
    copy
}

#[test]
fn an_orphan_over_a_live_file_is_a_crosslink_that_mount_completes() {
    let json = scan(&samples_dir().join("orphan-shadow-trap.img"));
    let findings = json["volumes"][0]["findings"].as_array().unwrap();
    let crosslink = findings
        .iter()
        .find(|f| f["code"] == "crosslink")
        .expect("a crosslink through the orphan");
    assert_eq!(crosslink["severity"], "critical");
    let message = crosslink["message"].as_str().unwrap();
    assert!(message.contains("orphan list"), "{message}");
    assert!(message.contains("/etc/shadow"), "{message}");
    let pending = findings
        .iter()
        .find(|f| f["code"] == "orphan_cleanup_pending")
        .expect("orphan_cleanup_pending");
    assert_eq!(pending["severity"], "critical");
    assert_eq!(pending["inodes"], serde_json::json!([19]));
    assert_eq!(pending["blocks"], serde_json::json!([[14, 1]]));
    // The text report and the listing say it too.
    let text = String::from_utf8(
        imginspect(&[
            "scan",
            samples_dir()
                .join("orphan-shadow-trap.img")
                .to_str()
                .unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    assert!(text.contains("orphan: deleted at mount"), "{text}");
}

#[test]
fn an_ordinary_orphan_is_low() {
    if !have_tool("debugfs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Point the orphan at a block of its own (a free one): nothing else
    // uses what cleanup frees, as after any crash with files open.
    let copy = edited(
        dir.path(),
        "orphan-shadow-trap.img",
        &["sif <19> block[5] 300", "setb 300"],
    );
    let json = scan(&copy);
    let pending = json["volumes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "orphan_cleanup_pending")
        .expect("orphan_cleanup_pending")
        .clone();
    assert_eq!(pending["severity"], "low", "{pending}");
    assert!(!json_codes(&json).contains("crosslink"), "{json}");
}

#[test]
fn a_bent_orphan_chain_ends_the_walk_with_a_finding() {
    if !have_tool("debugfs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (requests, said) in [
        // notes.txt's next-orphan link points back at itself.
        (&["sif <17> dtime 17"][..], "a second time (a loop)"),
        (&["ssv last_orphan 9999"][..], "outside"),
        // ext4_orphan_get refuses an orphan whose own next link is out of
        // range: it is not truncated either.
        (&["sif <17> dtime 99999"][..], "next-orphan link"),
        // An inode the bitmap calls free.
        (&["ssv last_orphan 40"][..], "free in the inode bitmap"),
    ] {
        let copy = edited(dir.path(), "orphan-truncate-trap.img", requests);
        let started = std::time::Instant::now();
        let json = scan(&copy);
        assert!(
            started.elapsed().as_secs() < 10,
            "{requests:?}: the walk is bounded"
        );
        let bad = json["volumes"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "bad_orphan_list")
            .unwrap_or_else(|| panic!("{requests:?}: no bad_orphan_list: {:?}", json_codes(&json)))
            .clone();
        assert!(
            bad["message"].as_str().unwrap().contains(said),
            "{requests:?}: {bad}"
        );
    }
}
