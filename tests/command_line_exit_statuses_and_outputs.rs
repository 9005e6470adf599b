//! The command line as a pipeline sees it: exit statuses (fsck(8)), JSON on
//! failure, the evidence left untouched, and golden JSON per sample image.

mod common;

use std::path::Path;

use sha2::{Digest, Sha256};

fn sample(name: &str) -> String {
    common::samples_dir().join(name).display().to_string()
}

fn status(args: &[&str]) -> i32 {
    common::imginspect(args).status.code().expect("exit status")
}

#[test]
fn exit_status_follows_fsck() {
    assert_eq!(status(&["scan", &sample("clean-ext4.img")]), 0);
    assert_eq!(status(&["scan", &sample("shadow-crosslink.img")]), 4);
    // out_of_range is high: it fails the default threshold, not --fail-on critical.
    assert_eq!(status(&["scan", &sample("out-of-range.img")]), 4);
    assert_eq!(
        status(&["scan", "--fail-on", "critical", &sample("out-of-range.img")]),
        0
    );
    // A legitimately shared xattr block is info: clean unless asked for info.
    assert_eq!(status(&["scan", &sample("shared-xattr.img")]), 0);
    assert_eq!(
        status(&["scan", "--fail-on", "info", &sample("shared-xattr.img")]),
        4
    );
    // The bare form is a scan too.
    assert_eq!(status(&[&sample("shadow-crosslink.img")]), 4);
}

#[test]
fn usage_errors_are_16() {
    assert_eq!(status(&["scan"]), 16);
    assert_eq!(status(&["scan", "--fail-on", "sometimes", "x.img"]), 16);
    assert_eq!(status(&["frobnicate", "x.img", "y"]), 16);
    assert_eq!(status(&[]), 16);
    assert_eq!(status(&["--help"]), 0);
}

#[test]
fn unreadable_inputs_are_8_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.path().join("random.img");
    std::fs::write(&random, vec![0x5Au8; 64 * 1024]).unwrap();
    let missing = dir.path().join("missing.img");
    for path in [dir.path(), &empty, &random, &missing] {
        let out = common::imginspect(&["scan", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(8), "{}", path.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
        assert!(stderr.starts_with("imginspect: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // With --format json the JSON still says why.
    for path in [&random, &missing] {
        let out = common::imginspect(&["scan", "--format", "json", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(8));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(json["schema_version"], 1, "{json}");
        let why = json["error"]
            .as_str()
            .or_else(|| json["volumes"][0]["error"].as_str())
            .unwrap_or_default();
        assert!(!why.is_empty(), "no error in {json}");
        if path == &random {
            assert!(json["volumes"][0]["filesystem"].is_null());
        }
    }
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_image_is_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    for (name, _, _) in common::expected() {
        let copy = dir.path().join(&name);
        std::fs::copy(common::samples_dir().join(&name), &copy).unwrap();
        let before = sha256(&copy);
        let mtime_before = std::fs::metadata(&copy).unwrap().modified().unwrap();
        let p = copy.to_str().unwrap();
        common::imginspect(&["scan", p]);
        common::imginspect(&["scan", "--format", "json", "--hash", p]);
        common::imginspect(&["block", p, "13"]);
        common::imginspect(&["inode", p, "12"]);
        assert_eq!(sha256(&copy), before, "{name} changed");
        assert_eq!(
            std::fs::metadata(&copy).unwrap().modified().unwrap(),
            mtime_before
        );
    }
}

#[test]
fn hash_is_the_images_sha256() {
    let path = common::samples_dir().join("clean-ext4.img");
    let out = common::imginspect(&["scan", "--format", "json", "--hash", path.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["image"]["sha256"].as_str(),
        Some(sha256(&path).as_str())
    );
    let json = common::scan_json(&path);
    assert!(json["image"]["sha256"].is_null());
}

#[test]
fn every_sample_reports_exactly_its_expected_findings() {
    for (name, _, expected) in common::expected() {
        let json = common::scan_json(&common::samples_dir().join(&name));
        let mut got: Vec<String> = json["volumes"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        got.dedup();
        let mut expected = expected.clone();
        expected.sort();
        assert_eq!(got, expected, "{name}");
    }
}

/// Golden JSON: the whole report of every sample image, byte for byte (with the
/// image path made relative). Regenerate with `UPDATE_GOLDEN=1 cargo test --test command_line_exit_statuses_and_outputs`.
#[test]
fn golden_json() {
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    let ext = common::expected().into_iter().map(|(name, _, _)| name);
    let journal = common::journal_samples().into_iter().map(|j| j.name);
    for name in ext.chain(common::disk_samples()).chain(journal) {
        let path = common::samples_dir().join(&name);
        let mut json = common::scan_json(&path);
        json["image"]["path"] = serde_json::Value::String(format!("sample-images/{name}"));
        json["tool"]["version"] = serde_json::Value::String("VERSION".into());
        let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
        let golden = golden_dir.join(name.replace(".img", ".json"));
        if update {
            std::fs::create_dir_all(&golden_dir).unwrap();
            std::fs::write(&golden, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == text => {}
            Ok(_) => failures.push(format!("{name}: differs from {}", golden.display())),
            Err(e) => failures.push(format!("{name}: {}: {e}", golden.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "golden JSON mismatches (rerun with UPDATE_GOLDEN=1 after checking the change):\n{}",
        failures.join("\n")
    );
}

#[test]
fn block_and_inode_commands_name_the_claimers() {
    let img = sample("shadow-crosslink.img");
    let out = common::imginspect(&["block", &img, "13"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("/etc/shadow"), "{text}");
    assert!(text.contains("/home/user/notes.txt"), "{text}");
    let out = common::imginspect(&["inode", &img, "14"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("name: /etc/shadow"), "{text}");
    assert!(text.contains("CROSS-LINKED"), "{text}");
    let out = common::imginspect(&["block", &sample("inode-table-overlap.img"), "135"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("filesystem metadata: the inode table of group 0"),
        "{text}"
    );
    assert!(text.contains("/var/log/blob.bin"), "{text}");
}

#[test]
fn hostile_names_are_escaped_in_the_text_report() {
    let out = common::imginspect(&["scan", &sample("hostile-names.img")]);
    let text = String::from_utf8(out.stdout).expect("valid UTF-8 report");
    assert!(text.contains("/tmp/\\x1b[2J\\x1b[31mowned"), "{text}");
    assert!(!text.contains('\x1b'), "raw ESC in the report");
    assert!(!text.contains('\u{202e}'), "raw RLO in the report");
    let out = common::imginspect(&["inode", &sample("hostile-names.img"), "17"]);
    let text = String::from_utf8(out.stdout).expect("valid UTF-8");
    assert!(text.contains("invoice\\u{202e}fdp.exe"), "{text}");
}

#[test]
fn block_takes_the_formats_own_numbering_too() {
    // xfs_db's fsblock (AG << sb_agblklog | AG block) and fsck.fat's
    // cluster name the same block as the linear number reports give.
    let dir = tempfile::tempdir().unwrap();
    let Some(xfs) = common::unpack_xz(dir.path(), "xfs-clean") else {
        return;
    };
    let xfs = xfs.to_str().unwrap();
    let json = |args: &[&str]| {
        let out = common::imginspect(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            common::describe("block", &out)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let linear = json(&["block", "--format", "json", xfs, "20000"]);
    let fsblock = linear["xfs"][0]["fsblock"].as_u64().unwrap();
    assert_ne!(fsblock, 20000, "the block must lie past AG 0: {linear}");
    let native = json(&[
        "block",
        "--format",
        "json",
        xfs,
        &format!("fsblock {fsblock}"),
    ]);
    assert_eq!(native, linear);

    let fat = common::sample_path("fat16-clean.img");
    let by_cluster = common::imginspect(&["block", &fat, "cluster 3"]);
    let text = String::from_utf8_lossy(&by_cluster.stdout).into_owned();
    let sector: u64 = text
        .strip_prefix("block ")
        .and_then(|t| t.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    let by_sector = common::imginspect(&["block", &fat, &sector.to_string()]);
    assert_eq!(by_sector.stdout, by_cluster.stdout);

    // A name from another format's numbering is a usage error (16).
    let wrong = common::imginspect(&["block", &fat, "fsblock 3"]);
    assert_eq!(wrong.status.code(), Some(16));
}

#[test]
fn lookups_of_what_the_filesystem_does_not_have_fail_loudly() {
    let img = common::sample_path("shadow-crosslink.img");
    let ls = common::imginspect(&["ls", &img, "/nonexistent"]);
    assert_eq!(ls.status.code(), Some(8), "{}", common::describe("ls", &ls));
    assert!(ls.stdout.is_empty(), "{ls:?}");
    assert!(
        String::from_utf8_lossy(&ls.stderr).contains("no directory /nonexistent"),
        "{ls:?}"
    );
    // A file is not a directory to list.
    assert_eq!(
        common::imginspect(&["ls", &img, "/etc/passwd"])
            .status
            .code(),
        Some(8)
    );
    assert_eq!(
        common::imginspect(&["ls", &img, "/etc"]).status.code(),
        Some(0)
    );

    // An inode not in use is an answer, as debugfs and istat give one.
    let inode = common::imginspect(&["inode", &img, "30"]);
    assert_eq!(inode.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&inode.stdout).contains("not in use"));

    let block = common::imginspect(&["block", &img, "99999"]);
    assert_eq!(block.status.code(), Some(8));
    assert_eq!(
        common::imginspect(&["block", &img, "13"]).status.code(),
        Some(0)
    );
    // Outside the filesystem but claimed by a forged run: an answer, not an error.
    let forged = common::sample_path("out-of-range.img");
    let claimed = common::imginspect(&["block", &forged, "1000000"]);
    assert_eq!(
        claimed.status.code(),
        Some(0),
        "{}",
        common::describe("block", &claimed)
    );
    assert!(String::from_utf8_lossy(&claimed.stdout).contains("/data/oor.bin"));
}

#[test]
fn timelines_exit_0_on_findings_unless_asked() {
    // A timeline (bodyfile, DFXML) is a listing, not a verdict: a `set -e`
    // pipeline that builds one must not stop on an image with findings.
    let img = common::sample_path("shadow-crosslink.img");
    for format in ["bodyfile", "dfxml"] {
        let out = common::imginspect(&["scan", "--format", format, &img]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(!out.stdout.is_empty(), "{format}");
        let asked = common::imginspect(&["scan", "--format", format, "--fail-on", "high", &img]);
        assert_eq!(asked.status.code(), Some(4), "{format} --fail-on high");
    }
    for format in ["text", "json", "html"] {
        let out = common::imginspect(&["scan", "--format", format, &img]);
        assert_eq!(out.status.code(), Some(4), "{format}");
    }
}

#[test]
fn inode_takes_a_path_as_the_inspector_does() {
    let img = common::sample_path("shadow-crosslink.img");
    let by_path = common::imginspect(&["inode", "--format", "json", &img, "/etc/shadow"]);
    let by_number = common::imginspect(&["inode", "--format", "json", &img, "14"]);
    assert_eq!(
        by_path.status.code(),
        Some(0),
        "{}",
        common::describe("inode", &by_path)
    );
    assert_eq!(by_path.stdout, by_number.stdout);
    let missing = common::imginspect(&["inode", &img, "/etc/nothing"]);
    assert_eq!(missing.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no inode is named /etc/nothing"));
}

#[test]
fn cat_warns_when_the_bytes_are_another_files_too() {
    let img = common::sample_path("shadow-crosslink.img");
    let shared = common::imginspect(&["cat", &img, "/etc/shadow"]);
    assert_eq!(shared.status.code(), Some(0));
    let warning = String::from_utf8_lossy(&shared.stderr);
    assert!(
        warning.contains("warning: /etc/shadow shares blocks with /home/user/notes.txt"),
        "{warning}"
    );
    assert!(
        shared.stdout.starts_with(b"root:"),
        "the bytes still come out"
    );
    let alone = common::imginspect(&["cat", &img, "/etc/passwd"]);
    assert!(alone.stderr.is_empty(), "{alone:?}");
}
