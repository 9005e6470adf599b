//! Differential tests: imginspect against independent tools (e2fsprogs'
//! e2fsck and debugfs, sleuthkit's fls and ifind) on the committed sample
//! images.
//!
//! Every outside tool runs on a copy of the image in a temporary directory,
//! never on the committed file, even when the tool is read-only.

mod common;

use common::describe;
use common::e2fsck::{
    crosslink_blocks, crosslinks, findings, inode_claimers,
    metadata_sharers as imginspect_metadata_sharers,
    multiply_claimed as imginspect_multiply_claimed, parse_pass1b, parse_pass1d_metadata,
};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

/// Copies a sample image into `dir` and returns the path of the copy.
fn copy_image(dir: &Path, name: &str) -> PathBuf {
    let dst = dir.join(name);
    std::fs::copy(common::samples_dir().join(name), &dst)
        .unwrap_or_else(|e| panic!("copy {name} to {}: {e}", dst.display()));
    dst
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `e2fsck -fn` (read-only) on an image copy.
fn e2fsck(copy: &Path) -> Output {
    common::tool("e2fsck", &["-fn", path_str(copy)])
}

/// Runs one debugfs request (read-only unless `-w` is passed in `extra`).
fn debugfs(copy: &Path, extra: &[&str], request: &str) -> Output {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["-R", request, path_str(copy)]);
    let out = common::tool("debugfs", &args);
    assert!(
        out.status.success(),
        "{}",
        describe(&format!("debugfs {request}"), &out)
    );
    out
}

/// Every inode claimer of every crosslink (legitimate or not).
fn crosslinked_inodes(json: &Value) -> BTreeSet<u64> {
    crosslinks(json)
        .iter()
        .flat_map(inode_claimers)
        .map(|c| c["inode"].as_u64().expect("inode"))
        .collect()
}

/// Claimers of one block from `imginspect block --format json IMG B`:
/// (inode numbers, number of metadata claimers).
fn block_claimers(image: &Path, block: u64) -> (BTreeSet<u64>, usize) {
    let b = block.to_string();
    let out = common::imginspect(&["block", "--format", "json", path_str(image), &b]);
    assert!(
        out.status.success(),
        "{}",
        describe("imginspect block", &out)
    );
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("imginspect block {block}: not JSON ({e})"));
    assert_eq!(json["block"].as_u64(), Some(block));
    let mut inodes = BTreeSet::new();
    let mut metadata = 0;
    for c in json["claimers"].as_array().expect("claimers") {
        match c["kind"].as_str() {
            Some("inode") => {
                inodes.insert(c["inode"].as_u64().expect("inode number"));
            }
            Some("metadata") => metadata += 1,
            other => panic!("claimer kind {other:?}"),
        }
    }
    (inodes, metadata)
}

/// What `imginspect inode IMG N` says: names, and the block map as
/// (physical start, length, role) runs.
struct InodeView {
    names: BTreeSet<String>,
    runs: Vec<(u64, u64, String)>,
}

fn inode_view(image: &Path, ino: u64) -> InodeView {
    let n = ino.to_string();
    let out = common::imginspect(&["inode", "--format", "json", path_str(image), &n]);
    assert!(
        out.status.success(),
        "{}",
        describe("imginspect inode", &out)
    );
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("imginspect inode {ino}: not JSON ({e})"));
    let names = json["paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let runs = json["runs"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["start"].as_u64().expect("run start"),
                        r["len"].as_u64().expect("run len"),
                        r["role"].as_str().expect("run role").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    InodeView { names, runs }
}

fn block_count(json: &Value) -> u64 {
    json["volumes"][0]["filesystem"]["block_count"]
        .as_u64()
        .expect("filesystem.block_count")
}

/// Parses `debugfs -R 'icheck ...'`: block → Some(inode) or None for
/// `<block not found>`.
fn parse_icheck(output: &str) -> BTreeMap<u64, Option<u64>> {
    let mut map = BTreeMap::new();
    for line in output
        .lines()
        .skip_while(|l| !l.starts_with("Block\t"))
        .skip(1)
    {
        let Some((block, owner)) = line.split_once('\t') else {
            continue;
        };
        let block: u64 = block
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("icheck {line:?}"));
        let owner = owner.trim();
        let owner = if owner == "<block not found>" {
            None
        } else {
            Some(owner.parse().unwrap_or_else(|_| panic!("icheck {line:?}")))
        };
        map.insert(block, owner);
    }
    map
}

/// Parses `debugfs -R 'ncheck ...'`: inode → set of paths. debugfs writes
/// the children of the root as `//name` in some cases; that is normalised.
fn parse_ncheck(output: &str) -> BTreeMap<u64, BTreeSet<String>> {
    let mut map: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for line in output
        .lines()
        .skip_while(|l| !l.starts_with("Inode\t"))
        .skip(1)
    {
        let Some((ino, path)) = line.split_once('\t') else {
            continue;
        };
        let ino: u64 = ino
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("ncheck {line:?}"));
        let mut path = path.to_string();
        while path.starts_with("//") {
            path.remove(0);
        }
        map.entry(ino).or_default().insert(path);
    }
    map
}

fn sample_names() -> Vec<String> {
    common::expected().into_iter().map(|(n, _, _)| n).collect()
}

fn have_e2fsprogs() -> bool {
    common::have_tool("e2fsck") && common::have_tool("debugfs")
}

#[test]
fn e2fsck_pass1b_agrees() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut nonempty = 0;
    let mut metadata_cases = 0;
    for name in sample_names() {
        let copy = copy_image(tmp.path(), &name);
        let json = common::scan_json(&copy);
        let ours = imginspect_multiply_claimed(&json);
        let our_meta = imginspect_metadata_sharers(&json);

        let fsck_out = if name == "shared-blocks-feature.img" {
            // With shared_blocks set, e2fsck skips duplicate detection and
            // passes the image, while imginspect reports critical findings.
            let plain = e2fsck(&copy);
            assert_eq!(
                plain.status.code(),
                Some(0),
                "{}",
                describe("e2fsck on shared-blocks-feature.img (feature set)", &plain)
            );
            assert!(
                parse_pass1b(&text(&plain)).is_empty(),
                "e2fsck ran pass 1B despite shared_blocks:\n{}",
                text(&plain)
            );
            let critical: Vec<&Value> = findings(&json)
                .iter()
                .filter(|f| f["severity"] == "critical")
                .collect();
            assert!(
                !critical.is_empty(),
                "imginspect reports no critical finding on {name}, where e2fsck is blinded"
            );
            // Reference: e2fsck on a second copy with the feature removed.
            let unshared = tmp.path().join("unshared-blocks-feature.img");
            std::fs::copy(&copy, &unshared).expect("copy");
            debugfs(&unshared, &["-w"], "feature -shared_blocks");
            let features = debugfs(&unshared, &[], "features");
            assert!(
                !text(&features).contains("shared_blocks"),
                "feature -shared_blocks did not clear it: {}",
                text(&features)
            );
            // Removing the bit must not change what imginspect finds.
            let json_unshared = common::scan_json(&unshared);
            assert_eq!(
                imginspect_multiply_claimed(&json_unshared),
                ours,
                "imginspect changes its crosslinks when only the shared_blocks bit is cleared"
            );
            let out = e2fsck(&unshared);
            assert_eq!(
                out.status.code(),
                Some(4),
                "{}",
                describe("e2fsck without shared_blocks", &out)
            );
            out
        } else {
            e2fsck(&copy)
        };
        let stdout = text(&fsck_out);
        let theirs = parse_pass1b(&stdout);
        assert_eq!(
            ours, theirs,
            "{name}: inode → multiply-claimed blocks: imginspect (left) vs e2fsck pass 1B (right)\n\
             e2fsck output:\n{stdout}"
        );
        let their_meta = parse_pass1d_metadata(&stdout);
        assert_eq!(
            our_meta, their_meta,
            "{name}: inodes sharing blocks with filesystem metadata: imginspect (left) vs \
             e2fsck pass 1D (right)\ne2fsck output:\n{stdout}"
        );
        if name == "shared-xattr.img" {
            // Special case (a): shared only legitimately, so both sides are
            // empty, but imginspect must still have seen the sharing.
            assert!(
                crosslinks(&json)
                    .iter()
                    .any(|x| x["legitimate"] == true && inode_claimers(x).count() == 3),
                "{name}: imginspect does not report the legitimately shared xattr block"
            );
        }
        nonempty += usize::from(!theirs.is_empty());
        metadata_cases += usize::from(!their_meta.is_empty());
    }
    // The comparison must not be vacuous.
    assert!(nonempty >= 6, "only {nonempty} images had pass 1B output");
    assert!(
        metadata_cases >= 2,
        "only {metadata_cases} images had metadata sharing"
    );
}

#[test]
fn e2fsck_exit_codes_match_expected_tsv() {
    if !common::have_tool("e2fsck") {
        return;
    }
    let expected = common::expected();
    // expected.tsv (ext), disks.tsv (disks and FAT), erofs.tsv and
    // journal.tsv document every committed image.
    let listed: BTreeSet<String> = expected
        .iter()
        .map(|(n, _, _)| n.clone())
        .chain(common::disk_samples())
        .chain(common::journal_samples().into_iter().map(|j| j.name))
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(common::samples_dir())
        .expect("read sample-images")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".img"))
        .collect();
    assert_eq!(
        listed, on_disk,
        "expected.tsv + disks.tsv (left) vs *.img files (right)"
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let mut mismatches = Vec::new();
    for (name, exit, _) in &expected {
        let copy = copy_image(tmp.path(), name);
        let out = e2fsck(&copy);
        if out.status.code() != Some(*exit) {
            mismatches.push(format!(
                "{name}: expected.tsv says {exit}, e2fsck -fn exited {:?}\n{}",
                out.status.code(),
                text(&out)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn debugfs_icheck_agrees_with_block() {
    if !common::have_tool("debugfs") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut checked_found = 0;
    let mut checked_not_found = 0;
    let mut checked_names = 0;
    for name in sample_names() {
        let copy = copy_image(tmp.path(), &name);
        let json = common::scan_json(&copy);
        let blocks_total = block_count(&json);

        let mut blocks = BTreeSet::new();
        for x in crosslinks(&json) {
            let r = crosslink_blocks(x);
            blocks.insert(r.start);
            blocks.insert(r.end - 1);
        }
        // A few inodes: root, lost+found, the first files, and every
        // cross-linked inode; the first block of each of their runs.
        let mut inodes: BTreeSet<u64> = [2, 11, 12, 13, 14, 15].into();
        inodes.extend(crosslinked_inodes(&json));
        for &ino in &inodes {
            for (physical, _, _) in inode_view(&copy, ino).runs {
                if physical < blocks_total {
                    blocks.insert(physical);
                }
            }
        }
        // Blocks that no inode owns in any sample: the superblock's block and
        // the last block of the filesystem (never allocated in 2 MiB images).
        let first_data_block = u64::from(json["volumes"][0]["filesystem"]["block_size"] == 1024);
        blocks.insert(first_data_block);
        blocks.insert(blocks_total - 1);

        let request = format!(
            "icheck {}",
            blocks
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        );
        let icheck = parse_icheck(&text(&debugfs(&copy, &[], &request)));
        assert_eq!(
            icheck.keys().copied().collect::<BTreeSet<_>>(),
            blocks,
            "{name}: debugfs icheck did not answer for every block"
        );
        for (&block, &owner) in &icheck {
            let (ours, _metadata) = block_claimers(&copy, block);
            match owner {
                Some(ino) => {
                    checked_found += 1;
                    assert!(
                        ours.contains(&ino),
                        "{name} block {block}: debugfs icheck names inode {ino}, \
                         imginspect block lists inodes {ours:?}"
                    );
                }
                None => {
                    checked_not_found += 1;
                    assert!(
                        ours.is_empty(),
                        "{name} block {block}: debugfs icheck finds no inode, \
                         imginspect block lists inodes {ours:?}"
                    );
                }
            }
        }

        // ncheck names of cross-linked inodes = paths in imginspect's JSON
        // (but an unlinked orphan's: ncheck lists live names only, and the
        // orphan's is the removed entry left in its directory).
        let mut json_paths: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
        for x in crosslinks(&json) {
            for c in inode_claimers(x).filter(|c| c["released_at_mount"] != "delete") {
                let ino = c["inode"].as_u64().expect("inode");
                let paths = c["paths"].as_array().expect("paths");
                json_paths
                    .entry(ino)
                    .or_default()
                    .extend(paths.iter().map(|p| p.as_str().expect("path").to_string()));
            }
        }
        if json_paths.is_empty() {
            continue;
        }
        let request = format!(
            "ncheck {}",
            json_paths
                .keys()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        );
        let ncheck = parse_ncheck(&text(&debugfs(&copy, &[], &request)));
        for (ino, ours) in &json_paths {
            let theirs = ncheck.get(ino).cloned().unwrap_or_default();
            assert_eq!(
                ours, &theirs,
                "{name} inode {ino}: paths in imginspect JSON (left) vs debugfs ncheck (right)"
            );
            checked_names += 1;
        }
    }
    assert!(
        checked_found >= 30,
        "only {checked_found} owned blocks checked"
    );
    assert!(
        checked_not_found >= 11,
        "only {checked_not_found} unowned blocks checked"
    );
    assert!(
        checked_names >= 15,
        "only {checked_names} ncheck inodes checked"
    );
}

/// Parses `fls -r -p`: inode → allocated paths (with a leading `/`) of
/// regular files, directories and symlinks.
fn parse_fls(output: &str) -> BTreeMap<u64, BTreeSet<String>> {
    let mut map: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for line in output.lines() {
        let Some((meta, path)) = line.split_once(":\t") else {
            continue;
        };
        let mut words = meta.split_whitespace();
        let kind = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        // Deleted entries carry a `*` before the inode number.
        if rest.contains(&"*") || path.ends_with(" (deleted)") {
            continue;
        }
        if path.starts_with("$OrphanFiles") || kind.starts_with('V') || kind.starts_with('-') {
            continue;
        }
        if !matches!(kind, "r/r" | "d/d" | "l/l") {
            continue;
        }
        let ino: u64 = rest
            .last()
            .and_then(|n| n.split('(').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("fls inode number in {line:?}"));
        map.entry(ino).or_default().insert(format!("/{path}"));
    }
    map
}

#[test]
fn sleuthkit_agrees_on_names_and_owners() {
    if !common::have_tool("fls") || !common::have_tool("ifind") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in ["clean-ext4.img", "shadow-crosslink.img"] {
        let copy = copy_image(tmp.path(), name);
        let out = common::tool("fls", &["-r", "-p", path_str(&copy)]);
        assert!(out.status.success(), "{}", describe("fls", &out));
        let fls = parse_fls(&text(&out));
        assert!(
            fls.len() >= 6,
            "{name}: fls listed too little:\n{}",
            text(&out)
        );

        let mut data_blocks = BTreeSet::new();
        for (&ino, paths) in &fls {
            let view = inode_view(&copy, ino);
            for p in paths {
                assert!(
                    view.names.contains(p),
                    "{name} inode {ino}: fls names {p}, imginspect inode names {:?}",
                    view.names
                );
            }
            // And imginspect knows no name for the inode that fls does not.
            assert_eq!(
                &view.names, paths,
                "{name} inode {ino}: imginspect inode names (left) vs fls (right)"
            );
            data_blocks.extend(
                view.runs
                    .iter()
                    .filter(|(_, _, role)| role == "data")
                    .map(|(physical, _, _)| *physical),
            );
        }
        assert!(
            data_blocks.len() >= 2,
            "{name}: too few data blocks to check: {data_blocks:?}"
        );
        for block in data_blocks {
            let b = block.to_string();
            let out = common::tool("ifind", &["-d", &b, path_str(&copy)]);
            assert!(out.status.success(), "{}", describe("ifind", &out));
            let first = text(&out)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let ino: u64 = first
                .parse()
                .unwrap_or_else(|_| panic!("{name}: ifind -d {block} found no inode: {first:?}"));
            let (ours, _) = block_claimers(&copy, block);
            assert!(
                ours.contains(&ino),
                "{name} block {block}: ifind names inode {ino}, imginspect block lists {ours:?}"
            );
        }
    }
}
