//! A clean filesystem straight from mke2fs has no finding at all, whatever its
//! layout: block sizes from 1 KiB to 64 KiB, ext2/ext3/ext4, meta_bg,
//! sparse_super2, uninit_bg (crc16) and metadata_csum (crc32c), 32- and 64-bit
//! descriptors, flex_bg, many groups, 128-byte inodes, quotas, bigalloc.
//! e2fsck -fn must agree that each image is clean, or the case proves nothing.

mod common;

use std::path::Path;

/// (name, mke2fs arguments, size in MiB)
const CASES: &[(&str, &str, u64)] = &[
    ("ext2-1k", "-t ext2 -b 1024", 16),
    ("ext3-1k", "-t ext3 -b 1024", 24),
    ("ext4-4k", "-t ext4 -b 4096", 64),
    ("ext4-2k-many-groups", "-t ext4 -b 2048 -g 2048", 48),
    ("ext4-64k-blocks", "-t ext4 -b 65536", 256),
    (
        "ext4-meta-bg",
        "-t ext4 -b 1024 -O meta_bg,^resize_inode",
        64,
    ),
    ("ext4-sparse-super2", "-t ext4 -b 1024 -O sparse_super2", 32),
    (
        "ext4-no-sparse-super",
        "-t ext4 -b 1024 -O ^sparse_super,^resize_inode -g 1024",
        8,
    ),
    (
        "ext4-uninit-bg-crc16",
        "-t ext4 -b 1024 -O ^metadata_csum,uninit_bg",
        32,
    ),
    (
        "ext4-32bit-no-flex",
        "-t ext4 -b 4096 -O ^64bit,^flex_bg",
        64,
    ),
    ("ext4-128-byte-inodes", "-t ext4 -b 1024 -I 128", 16),
    ("ext4-orphan-file", "-t ext4 -b 4096 -O orphan_file", 64),
    ("ext4-bigalloc", "-t ext4 -b 4096 -O bigalloc -C 65536", 128),
    // Group 0's descriptors in block 2 (block 1 is the superblock).
    (
        "ext4-1k-bigalloc-meta-bg",
        "-t ext4 -b 1024 -O bigalloc,meta_bg,^resize_inode -C 16384",
        64,
    ),
    ("ext4-mmp", "-t ext4 -b 4096 -O mmp", 32),
    ("ext4-inline-data", "-t ext4 -b 4096 -O inline_data", 32),
    (
        "ext4-csum-seed",
        "-t ext4 -b 4096 -O metadata_csum_seed",
        32,
    ),
];

/// Paths of the source tree that the scan does not give to any inode.
fn missing_names(tree: &Path, img: &Path) -> Vec<String> {
    let image = imginspect::image::Image::open(img).unwrap();
    let result = imginspect::analysis::scan(
        &image,
        &imginspect::analysis::ScanOptions::default(),
        &imginspect::fs::NoProgress,
    );
    let fs = result.volumes[0].filesystem.as_ref().expect("filesystem");
    let found: std::collections::HashSet<String> =
        fs.inodes.iter().flat_map(|i| fs.paths(i)).collect();
    let mut missing = Vec::new();
    let mut stack = vec![tree.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = format!("/{}", path.strip_prefix(tree).unwrap().display());
            if !found.contains(rel.as_str()) {
                missing.push(rel);
            }
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            }
        }
    }
    missing.sort();
    missing.truncate(5);
    missing
}

fn populate(dir: &Path) {
    std::fs::create_dir_all(dir.join("etc/ssh")).unwrap();
    std::fs::create_dir_all(dir.join("usr/share/doc/pkg")).unwrap();
    std::fs::write(dir.join("etc/hostname"), b"imginspect\n").unwrap();
    std::fs::write(dir.join("etc/ssh/sshd_config"), vec![b'#'; 3000]).unwrap();
    std::fs::write(dir.join("usr/share/doc/pkg/big"), vec![0xA5; 300_000]).unwrap();
    for i in 0..40 {
        std::fs::write(
            dir.join(format!("usr/share/doc/pkg/f{i}")),
            vec![i as u8; 100 * i],
        )
        .unwrap();
    }
    // Enough long names for a multi-block (htree on ext4) directory.
    std::fs::create_dir_all(dir.join("var/spool")).unwrap();
    for i in 0..300 {
        std::fs::write(
            dir.join(format!("var/spool/message-{i:04}-{}", "q".repeat(40))),
            b"m",
        )
        .unwrap();
    }
    std::os::unix::fs::symlink("/etc/hostname", dir.join("etc/link")).unwrap();
    std::os::unix::fs::symlink("x".repeat(200), dir.join("etc/longlink")).unwrap();
    std::fs::hard_link(dir.join("etc/hostname"), dir.join("etc/hostname.bak")).unwrap();
}

#[test]
fn clean_mkfs_images_have_no_findings() {
    if !common::have_tool("mke2fs") || !common::have_tool("e2fsck") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    populate(&tree);
    let mut failures = Vec::new();
    for &(name, args, mib) in CASES {
        let img = work.path().join(format!("{name}.img"));
        let file = std::fs::File::create(&img).unwrap();
        file.set_len(mib << 20).unwrap();
        drop(file);
        let mut argv: Vec<&str> = vec![
            "-q",
            "-F",
            "-E",
            "root_owner=0:0",
            "-d",
            tree.to_str().unwrap(),
        ];
        argv.extend(args.split_whitespace());
        argv.push(img.to_str().unwrap());
        let out = common::tool("mke2fs", &argv);
        assert!(
            out.status.success(),
            "{name}: mke2fs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if name.ends_with("htree") {
            let reindex = common::tool("e2fsck", &["-fyD", img.to_str().unwrap()]);
            assert!(
                reindex.status.code().is_some_and(|c| c <= 1),
                "{name}: e2fsck -fyD failed"
            );
            let htree = common::tool(
                "debugfs",
                &["-R", "htree /var/spool", img.to_str().unwrap()],
            );
            assert!(
                String::from_utf8_lossy(&htree.stdout).contains("Root node dump"),
                "{name}: /var/spool was not indexed"
            );
        }
        let fsck = common::tool("e2fsck", &["-fn", img.to_str().unwrap()]);
        assert_eq!(
            fsck.status.code(),
            Some(0),
            "{name}: e2fsck does not call it clean: {}",
            String::from_utf8_lossy(&fsck.stdout)
        );
        let json = common::scan_json(&img);
        let findings: Vec<String> = json["volumes"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .map(|f| format!("{} {}: {}", f["severity"], f["code"], f["message"]))
            .collect();
        if !findings.is_empty() {
            failures.push(format!("{name} ({args}):\n  {}", findings.join("\n  ")));
        }
        let missing = missing_names(&tree, &img);
        if !missing.is_empty() {
            failures.push(format!("{name} ({args}): names not found: {missing:?}"));
        }
        std::fs::remove_file(&img).unwrap();
    }
    assert!(
        failures.is_empty(),
        "findings on clean images:\n{}",
        failures.join("\n")
    );
}

#[test]
fn two_inodes_in_one_bigalloc_cluster_are_a_crosslink() {
    if !common::have_tool("mke2fs") || !common::have_tool("debugfs") || !common::have_tool("e2fsck")
    {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a"), vec![0xA1; 8192]).unwrap();
    std::fs::write(tree.join("b"), vec![0xB2; 4096]).unwrap();
    let img = work.path().join("bigalloc.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let p = img.to_str().unwrap();
    let out = common::tool(
        "mke2fs",
        &[
            "-q",
            "-F",
            "-t",
            "ext4",
            "-b",
            "4096",
            "-C",
            "16384",
            "-O",
            "bigalloc,^metadata_csum",
            "-E",
            "root_owner=0:0",
            "-d",
            tree.to_str().unwrap(),
            p,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // /a holds blocks N, N+1 of a 4-block cluster; point /b at block N+2.
    let ex = common::tool("debugfs", &["-R", "ex /a", p]);
    let start: u64 = String::from_utf8_lossy(&ex.stdout)
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().nth(7))
        .and_then(|n| n.parse().ok())
        .expect("physical start of /a");
    let set = format!("sif /b block[5] {}", start + 2);
    assert!(
        common::tool("debugfs", &["-w", "-R", &set, p])
            .status
            .success()
    );
    // e2fsck sees a cluster shared by two inodes (pass 1B).
    let fsck = common::tool("e2fsck", &["-fn", p]);
    let report = String::from_utf8_lossy(&fsck.stdout);
    assert_eq!(fsck.status.code(), Some(4), "{report}");
    assert!(
        report.contains("Multiply-claimed block(s) in inode 13"),
        "{report}"
    );
    let json = common::scan_json(&img);
    let found = json["volumes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "crosslink" && f["inodes"] == serde_json::json!([12, 13]));
    assert!(found, "{}", json["volumes"][0]["findings"]);
}
