//! XFS against xfsprogs, on the samples of sample-images/build-xfs.sh
//! (committed as sparse images compressed with xz, unpacked here): every
//! sample gives the findings xfs.tsv lists; block maps equal `xfs_db bmap`,
//! names and inode numbers equal `xfs_db ls`; `xfs_repair -n` and
//! `xfs_db blockget -n` give the exit status xfs.tsv records, and what they
//! name is what we name, except where they are blind (said in the README).
//! Hostile fields patched into a copy become findings, never a panic.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{have_tool, samples_dir, tool};
use imginspect::analysis::{ScanOptions, ScanResult, scan};
use imginspect::fs::NoProgress;
use imginspect::image::Image;
use imginspect::model::Code;
use imginspect::model::{FileType, Filesystem, Role, Severity};

/// The rows of xfs.tsv: image, xfs_repair -n exit, blockget -n exit, codes.
fn table() -> Vec<(String, i32, i32, BTreeSet<String>)> {
    let text = std::fs::read_to_string(samples_dir().join("xfs.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_string(),
                cols[1].parse().unwrap(),
                cols[2].parse().unwrap(),
                cols[3]
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        })
        .collect()
}

fn unpack(dir: &Path, name: &str) -> Option<PathBuf> {
    common::unpack_xz(dir, name)
}

fn scan_file(path: &Path) -> ScanResult {
    let image = Image::open(path).unwrap();
    scan(&image, &ScanOptions::default(), &NoProgress)
}

fn codes(result: &ScanResult) -> BTreeSet<String> {
    result.findings().map(|f| f.code.to_string()).collect()
}

/// (agblocks, agblklog) of a scanned XFS volume, for fsblock conversions.
fn geometry(fs: &Filesystem) -> (u64, u32) {
    match fs.units.native {
        imginspect::model::Native::Grouped {
            per_group, shift, ..
        } => (per_group, shift),
        other => panic!("XFS numbers its blocks by AG, not {other:?}"),
    }
}

fn fsblock(fs: &Filesystem, linear: u64) -> u64 {
    let (agblocks, log) = geometry(fs);
    ((linear / agblocks) << log) | (linear % agblocks)
}

#[test]
fn samples_give_the_findings_xfs_tsv_lists() {
    let dir = tempfile::tempdir().unwrap();
    let rows = table();
    assert_eq!(rows.len(), 9);
    for (name, _, _, want) in &rows {
        let Some(path) = unpack(dir.path(), name) else {
            return;
        };
        let result = scan_file(&path);
        let volume = &result.volumes[0];
        assert!(volume.error.is_none(), "{name}: {:?}", volume.error);
        assert_eq!(&codes(&result), want, "{name}: {:#?}", volume.findings);
        let fs = volume.filesystem.as_ref().unwrap();
        assert_eq!(fs.info.fs_type, "xfs");
        // 300 names under /many, files in /etc and /home, symlink, root.
        assert!(fs.inodes.len() >= 310, "{name}: {}", fs.inodes.len());
        // The verdicts: the share is legitimate exactly where the trees
        // declare it.
        let legit = ["xfs-reflink", "xfs-forged-repaired"].contains(&name.as_str());
        for c in &volume.crosslinks {
            assert_eq!(c.legitimate, legit, "{name}: {c:?}");
        }
        if name.starts_with("xfs-reflink") || name.starts_with("xfs-forged") {
            // /etc/shadow and /home/notes.txt share shadow's three blocks.
            assert_eq!(volume.crosslinks.len(), 1, "{name}");
            let c = &volume.crosslinks[0];
            assert_eq!(c.block_count, 3);
            assert_eq!(fsblock(fs, c.start_block), (1 << 15) | 13, "{name}");
        }
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn each_forgery_is_named_for_what_was_forged() {
    let dir = tempfile::tempdir().unwrap();
    let message = |name: &str, code: &str| -> (Severity, String) {
        let path = unpack(dir.path(), name).unwrap();
        let result = scan_file(&path);
        let f = result
            .findings()
            .find(|f| f.code.name() == code)
            .unwrap_or_else(|| panic!("{name}: no {code}"));
        (f.severity, f.message.clone())
    };
    if !have_tool("xz") {
        return;
    }
    let (sev, m) = message("xfs-forged-share", "reflink_unrecorded");
    assert_eq!(sev, Severity::Critical);
    assert!(
        m.contains("fsblocks 32781–32783 (AG 1 blocks 13–15)"),
        "{m}"
    );
    assert!(m.contains("262273") && m.contains("655489"), "{m}");
    let (_, m) = message("xfs-reflink-count-wrong", "refcount_mismatch");
    assert!(m.contains("says 3 sharers, the block maps give 2"), "{m}");
    let (_, m) = message("xfs-reflink-no-rmap", "rmap_missing");
    assert!(m.contains("inode 655489 (data fork)"), "{m}");
    // The trees hiding something: a refcount record with nothing shared
    // behind it, an rmap record no block map backs.
    let (_, m) = message("xfs-rmap-orphan", "refcount_mismatch");
    assert!(m.contains("a record with no sharing behind it"), "{m}");
    assert!(m.contains("(AG 2 blocks 16408–16409)"), "{m}");
    let (_, m) = message("xfs-rmap-orphan", "rmap_orphan");
    assert!(m.contains("inode 655492 (data fork)"), "{m}");
    assert!(m.contains("fsblocks 32781–32783"), "{m}");
    let (_, m) = message("xfs-reflink", "reflink");
    assert!(m.contains("each has its rmap record"), "{m}");
    // Three files: the middle blocks have all three claimers, which
    // blockget (one previous owner) never says.
    let path = unpack(dir.path(), "xfs-partial-three").unwrap();
    let result = scan_file(&path);
    let volume = &result.volumes[0];
    let three: Vec<_> = volume
        .crosslinks
        .iter()
        .filter(|c| c.claimer_count == 3)
        .collect();
    assert_eq!(three.len(), 1);
    let fs = volume.filesystem.as_ref().unwrap();
    assert_eq!(fsblock(fs, three[0].start_block), (2 << 15) | 16411);
    assert_eq!(three[0].block_count, 2);
    // Data over AG 1's headers and its bnobt and cntbt roots.
    let path = unpack(dir.path(), "xfs-data-over-agheader").unwrap();
    let result = scan_file(&path);
    let over: Vec<String> = result
        .findings()
        .filter(|f| f.code == Code::MetadataOverlap)
        .map(|f| f.message.clone())
        .collect();
    assert!(
        over.iter().any(|m| m.contains("the AG headers of AG 1")),
        "{over:?}"
    );
    assert!(
        over.iter().any(|m| m.contains("a btree block of AG 1")),
        "{over:?}"
    );
}

/// `xfs_db -r -c 'inode N' -c bmap` (and `bmap -a`): "data offset 0
/// startblock 32781 (1/13) count 3 flag 0", as (fork, offset, fsblock, count).
fn xfs_db_bmap(image: &Path, ino: u64) -> BTreeSet<(String, u64, u64, u64)> {
    let out = tool(
        "xfs_db",
        &[
            "-r",
            "-c",
            &format!("inode {ino}"),
            "-c",
            "bmap",
            "-c",
            "bmap -a",
            image.to_str().unwrap(),
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() >= 8 && w[1] == "offset").then(|| {
                (
                    w[0].to_string(),
                    w[2].parse().unwrap(),
                    w[4].parse().unwrap(),
                    w[7].parse().unwrap(),
                )
            })
        })
        .collect()
}

#[test]
fn block_maps_and_names_are_xfs_dbs() {
    if !have_tool("xfs_db") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = unpack(dir.path(), "xfs-partial-three") else {
        return;
    };
    let compared = compare_with_xfs_db(&path, &["/home", "/many", "/"]);
    assert!(compared >= 8, "{compared}");
}

/// Every inode's block map equals `xfs_db bmap` (both forks) and the
/// entries of `dirs` equal `xfs_db ls`; returns how many maps were compared.
fn compare_with_xfs_db(path: &Path, dirs: &[&str]) -> usize {
    let result = scan_file(path);
    let fs = result.volumes[0].filesystem.as_ref().unwrap();
    let mut compared = 0;
    for n in &fs.inodes {
        let ours: BTreeSet<(String, u64, u64, u64)> = fs
            .runs_of(n)
            .iter()
            .filter(|r| r.role != Role::ExtentTree)
            .map(|r| {
                let fork = if r.role == Role::Xattr {
                    "attr"
                } else {
                    "data"
                };
                (
                    fork.to_string(),
                    r.logical.unwrap_or(0),
                    fsblock(fs, r.start),
                    r.len,
                )
            })
            .collect();
        if ours.is_empty() && n.file_type == FileType::Regular && n.size == 0 {
            continue;
        }
        let mut theirs = xfs_db_bmap(path, n.ino);
        // Attribute extents have no file offset in our model.
        theirs = theirs
            .into_iter()
            .map(|(f, o, b, c)| {
                if f == "attr" {
                    (f, 0, b, c)
                } else {
                    (f, o, b, c)
                }
            })
            .collect();
        assert_eq!(ours, theirs, "inode {} ({})", n.ino, fs.display_name(n));
        compared += 1;
    }
    // Names and inode numbers, as `xfs_db ls` lists them.
    for dir_path in dirs {
        let out = tool(
            "xfs_db",
            &[
                "-r",
                "-c",
                &format!("ls {dir_path}"),
                path.to_str().unwrap(),
            ],
        );
        let theirs: BTreeMap<String, u64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w.len() >= 7 && w[w.len() - 1] == "(good)")
                    .then(|| (w[5].to_string(), w[1].parse().unwrap()))
            })
            .filter(|(name, _)| name != "." && name != "..")
            .collect();
        let prefix = if *dir_path == "/" {
            "/".to_string()
        } else {
            format!("{dir_path}/")
        };
        let ours: BTreeMap<String, u64> = fs
            .inodes
            .iter()
            .flat_map(|n| fs.paths(n).into_iter().map(move |p| (p, n.ino)))
            .filter_map(|(p, ino)| {
                let rest = p.strip_prefix(&prefix)?;
                (!rest.is_empty() && !rest.contains('/')).then(|| (rest.to_string(), ino))
            })
            .collect();
        assert!(!theirs.is_empty(), "xfs_db ls {dir_path}: {out:?}");
        assert_eq!(ours, theirs, "{}: {dir_path}", path.display());
    }
    compared
}

/// Filesystems mkfs.xfs makes under other options (v4, 1 KiB blocks,
/// 16 KiB directory blocks, 1 KiB and 256-byte inodes, no sparse inodes,
/// no rmapbt, no reflink) scan clean, and their maps and names are xfs_db's.
#[test]
fn mkfs_xfs_option_matrix_scans_clean_and_matches_xfs_db() {
    if !have_tool("mkfs.xfs") || !have_tool("xfs_db") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f");
    std::fs::write(&src, "x".repeat(70_000)).unwrap();
    let mut proto = String::from("/dev/null\n0 0\nd--755 0 0\nbig ---644 0 0 ");
    proto.push_str(src.to_str().unwrap());
    proto.push_str("\nd d--755 0 0\n");
    for i in 0..700 {
        // Names of every length from 6 to 40 bytes: entry padding differs.
        let pad = "x".repeat(i % 35);
        proto.push_str(&format!("n{i:04}{pad} ---644 0 0 /dev/null\n"));
    }
    proto.push_str("$\n$\n");
    let proto_path = dir.path().join("proto");
    std::fs::write(&proto_path, proto).unwrap();
    for options in [
        &["-m", "crc=0"][..],
        &["-b", "size=1024", "-m", "rmapbt=1"],
        &["-n", "size=16384", "-m", "rmapbt=1"],
        &["-i", "size=1024", "-m", "rmapbt=1"],
        &["-i", "size=256", "-m", "crc=0"],
        &["-i", "sparse=0", "-m", "rmapbt=1"],
        &["-m", "reflink=0"],
        &["-d", "agcount=2"],
    ] {
        let image = dir.path().join("m.img");
        let _ = std::fs::remove_file(&image);
        std::fs::File::create(&image)
            .unwrap()
            .set_len(300 << 20)
            .unwrap();
        let mut args: Vec<&str> = vec!["-q", "-p", proto_path.to_str().unwrap()];
        args.extend_from_slice(options);
        args.push(image.to_str().unwrap());
        let out = tool("mkfs.xfs", &args);
        assert!(out.status.success(), "mkfs.xfs {options:?}: {out:?}");
        let result = scan_file(&image);
        assert!(
            result.findings().all(|f| f.severity <= Severity::Info),
            "{options:?}: {:#?}",
            result.findings().collect::<Vec<_>>()
        );
        let compared = compare_with_xfs_db(&image, &["/", "/d"]);
        assert!(compared >= 3, "{options:?}: {compared}");
    }
}

/// "block 1/13 claimed by inode 655489, previous inum 262273" → fsblock.
fn blockget_twice(out: &str) -> BTreeSet<u64> {
    out.lines()
        .filter(|l| l.contains("claimed by inode"))
        .filter_map(|l| {
            let (ag, bno) = l.split_whitespace().nth(1)?.split_once('/')?;
            Some((ag.parse::<u64>().ok()? << 15) | bno.parse::<u64>().ok()?)
        })
        .collect()
}

#[test]
fn xfs_repair_and_blockget_agree_where_they_can_see() {
    if !have_tool("xfs_repair") || !have_tool("xfs_db") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, repair_exit, blockget_exit, _) in table() {
        let Some(path) = unpack(dir.path(), &name) else {
            return;
        };
        let p = path.to_str().unwrap();
        // Both read only: -n never writes, xfs_db -r opens read-only.
        let repair = tool("xfs_repair", &["-n", p]);
        assert_eq!(
            repair.status.code(),
            Some(repair_exit),
            "{name}: {repair:?}"
        );
        let blockget = tool("xfs_db", &["-r", "-c", "blockget -n", p]);
        assert_eq!(
            blockget.status.code(),
            Some(blockget_exit),
            "{name}: {blockget:?}"
        );
        let repair_text = String::from_utf8_lossy(&repair.stderr).to_string()
            + &String::from_utf8_lossy(&repair.stdout);
        let result = scan_file(&path);
        let volume = &result.volumes[0];
        let fs = volume.filesystem.as_ref().unwrap();
        let ours: BTreeSet<u64> = volume
            .crosslinks
            .iter()
            .filter(|c| !c.legitimate)
            .flat_map(|c| c.start_block..c.start_block + c.block_count)
            .map(|b| fsblock(fs, b))
            .collect();
        // Every block blockget sees claimed twice is one of our cross-links.
        let twice = blockget_twice(&String::from_utf8_lossy(&blockget.stdout));
        assert!(twice.is_subset(&ours), "{name}: {twice:?} ⊄ {ours:?}");
        // xfs_repair -n exits 0 where we find nothing that is not
        // legitimate, and only on the image whose forged records it does
        // not check (it is blind to records that no file backs).
        let clean = result.findings().all(|f| f.severity <= Severity::Info);
        if name == "xfs-rmap-orphan" {
            assert!(!clean && repair_exit == 0, "{name}: {repair_text}");
        } else {
            assert_eq!(clean, repair_exit == 0, "{name}: {repair_text}");
        }
        // What repair names, we name.
        for (phrase, code) in [
            ("Missing reference count record", "reflink_unrecorded"),
            ("Incorrect reference count", "refcount_mismatch"),
            ("Missing reverse-mapping record", "rmap_missing"),
        ] {
            if repair_text.contains(phrase) {
                assert!(codes(&result).contains(code), "{name}: {phrase}");
            }
        }
        std::fs::remove_file(&path).unwrap();
    }
}

/// Patches `bytes` at byte `at` of a copy of the clean sample and scans it.
fn patched(dir: &Path, clean: &Path, patches: &[(u64, &[u8])]) -> ScanResult {
    let copy = dir.join("patched.img");
    let _ = std::fs::remove_file(&copy);
    let ok = Command::new("cp")
        .args(["--sparse=always"])
        .arg(clean)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(ok.success());
    let mut f = std::fs::OpenOptions::new().write(true).open(&copy).unwrap();
    for (at, b) in patches {
        f.seek(SeekFrom::Start(*at)).unwrap();
        f.write_all(b).unwrap();
    }
    drop(f);
    scan_file(&copy)
}

#[test]
fn hostile_fields_become_findings() {
    let dir = tempfile::tempdir().unwrap();
    let Some(clean) = unpack(dir.path(), "xfs-clean") else {
        return;
    };
    let bs = 4096u64;
    let agblocks = 19200u64;
    let agf = 512u64; // AG 0's AGF: sector 1
    // The bnobt root points at the AG header block: not a bnobt block.
    let result = patched(dir.path(), &clean, &[(agf + 16, &0u32.to_be_bytes())]);
    let c = codes(&result);
    assert!(
        c.contains("bad_btree_block") && c.contains("checksum_mismatch"),
        "{c:?}"
    );
    // A 9-level inobt whose root is itself.
    let agi = 1024u64;
    let root = u32::from_be_bytes(
        std::fs::read(&clean).unwrap()[(agi + 20) as usize..(agi + 24) as usize]
            .try_into()
            .unwrap(),
    );
    let at = u64::from(root) * bs;
    let result = patched(
        dir.path(),
        &clean,
        &[
            (agi + 24, &9u32.to_be_bytes()),
            (at + 4, &8u16.to_be_bytes()),
            (at + 6, &1u16.to_be_bytes()),
        ],
    );
    assert!(
        codes(&result).contains("bad_btree_block"),
        "{:?}",
        codes(&result)
    );
    // AG 0's bnobt loses a block of its first free extent (CRC redone):
    // the cntbt still lists it, and the block is now in use by nobody.
    let bytes = std::fs::read(&clean).unwrap();
    let bno_root = u32::from_be_bytes(
        bytes[(agf + 16) as usize..(agf + 20) as usize]
            .try_into()
            .unwrap(),
    );
    let at = u64::from(bno_root) * bs;
    let mut block = bytes[at as usize..(at + bs) as usize].to_vec();
    drop(bytes);
    assert_eq!(&block[0..4], b"AB3B");
    let len = u32::from_be_bytes(block[60..64].try_into().unwrap());
    block[60..64].copy_from_slice(&(len - 1).to_be_bytes());
    block[52..56].fill(0);
    let crc = crc32c::crc32c(&block);
    block[52..56].copy_from_slice(&crc.to_le_bytes());
    let result = patched(dir.path(), &clean, &[(at, &block)]);
    let c = codes(&result);
    assert!(c.contains("free_space_trees_disagree"), "{c:?}");
    assert!(!c.contains("checksum_mismatch"), "{c:?}");
    // AG 3's superblock copy with another AG size (its CRC now wrong too).
    let sb3 = 3 * agblocks * bs;
    let result = patched(dir.path(), &clean, &[(sb3 + 84, &16384u32.to_be_bytes())]);
    let c = codes(&result);
    assert!(
        c.contains("superblock_copy_mismatch") && c.contains("checksum_mismatch"),
        "{c:?}"
    );
    // Impossible geometry in the superblock is a clean error.
    let result = patched(dir.path(), &clean, &[(84, &7u32.to_be_bytes())]);
    let error = result.volumes[0].error.clone().unwrap_or_default();
    assert!(error.contains("AG geometry"), "{error}");
    // The AGF of AG 2 says its free list wraps past the AGFL's slots.
    let agf2 = 2 * agblocks * bs + 512;
    let result = patched(
        dir.path(),
        &clean,
        &[
            (agf2 + 40, &1000u32.to_be_bytes()),
            (agf2 + 48, &500u32.to_be_bytes()),
        ],
    );
    assert!(
        codes(&result).contains("bad_ag_header"),
        "{:?}",
        codes(&result)
    );
    // The log's newest (only) record made something other than an unmount
    // record: a log the kernel would replay. Log at fsblock 65543 (AG 2
    // block 7); the op header's flags at byte 512 + 9 of the record.
    let log = (2 * agblocks + 7) * bs;
    let head = std::fs::read(&clean).unwrap()[log as usize..log as usize + 4].to_vec();
    assert_eq!(head, [0xFE, 0xED, 0xBA, 0xBE]);
    let result = patched(dir.path(), &clean, &[(log + 512 + 9, &[0x02])]);
    let f = result
        .findings()
        .find(|f| f.code == Code::DirtyLog)
        .unwrap();
    assert_eq!(f.severity, Severity::Medium, "{}", f.message);
    // The whole log zeroed (xfs_repair -L leaves a fresh record; this is
    // no log at all).
    let zeros = vec![0u8; 8192];
    let result = patched(dir.path(), &clean, &[(log, &zeros)]);
    let f = result
        .findings()
        .find(|f| f.code == Code::DirtyLog)
        .unwrap();
    assert_eq!(f.severity, Severity::Low, "{}", f.message);
    // AG 1's first rmap record says its header block belongs to inode
    // chunks (OWN_INODES) instead of the filesystem (OWN_FS); the block's
    // CRC is recomputed, so only the owner is wrong.
    let agf1 = agblocks * bs + 512;
    let pristine = std::fs::read(&clean).unwrap();
    let rmap_root = u32::from_be_bytes(
        pristine[(agf1 + 24) as usize..(agf1 + 28) as usize]
            .try_into()
            .unwrap(),
    );
    let at = (agblocks + u64::from(rmap_root)) * bs;
    let mut block = pristine[at as usize..(at + bs) as usize].to_vec();
    assert_eq!(&block[0..4], b"RMB3");
    assert_eq!(&block[56..64], &[0, 0, 0, 0, 0, 0, 0, 1], "[0, 1, …]");
    assert_eq!(i64::from_be_bytes(block[64..72].try_into().unwrap()), -3);
    block[64..72].copy_from_slice(&(-7i64).to_be_bytes());
    block[52..56].fill(0);
    let crc = crc32c::crc32c(&block);
    block[52..56].copy_from_slice(&crc.to_le_bytes());
    drop(pristine);
    let result = patched(dir.path(), &clean, &[(at, &block)]);
    let c = codes(&result);
    assert_eq!(
        c,
        BTreeSet::from(["rmap_metadata_mismatch".to_string()]),
        "{:#?}",
        result.volumes[0].findings
    );
    let messages: Vec<String> = result.findings().map(|f| f.message.clone()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("fsblock 32768 (AG 1 block 0) belongs to the AG headers")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("is given by the rmapbt to inode chunks")),
        "{messages:?}"
    );
    // Random bytes over the first blocks of every AG (headers and btree
    // roots) and over the root inode chunk: findings, never a panic.
    let mut rng = common::Rng(0x5F5_B10C);
    for round in 0..12 {
        let ag = round % 4;
        let base = ag * agblocks * bs;
        let mut patches: Vec<(u64, Vec<u8>)> = Vec::new();
        for _ in 0..24 {
            let at = base + rng.below(12 * bs as usize) as u64;
            patches.push((at, vec![rng.next() as u8; 1 + rng.below(8)]));
        }
        // Root inode chunk: AG 0, block 16 onward (512-byte inodes).
        for _ in 0..8 {
            let at = 16 * bs + rng.below(4 * bs as usize) as u64;
            patches.push((at, vec![rng.next() as u8; 1 + rng.below(4)]));
        }
        let refs: Vec<(u64, &[u8])> = patches.iter().map(|(a, b)| (*a, b.as_slice())).collect();
        let result = patched(dir.path(), &clean, &refs);
        let _ = imginspect::report::to_bytes(|out| imginspect::report::text::render(&result, out));
        let _ = imginspect::report::to_bytes(|out| imginspect::report::json::render(&result, out));
    }
}

/// A btree-format data fork, written by hand: /home/a's one extent moved
/// into a bmbt leaf at a free block, the inode's root pointing at it. Our
/// map equals `xfs_db bmap`, and the leaf is claimed as the inode's tree
/// block (the root's pointer array sits after the keys the fork could
/// hold, not after `numrecs` keys).
#[test]
fn a_bmbt_data_fork_maps_as_xfs_db_maps_it() {
    if !have_tool("xfs_db") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(clean) = unpack(dir.path(), "xfs-clean") else {
        return;
    };
    let (bs, agblocks) = (4096u64, 19200u64);
    let ino = 655490u64; // /home/a: AG 2, AG inode 131202 (block 16400, slot 2)
    let at = (2 * agblocks + 16400) * bs + 2 * 512;
    let bytes = {
        let mut f = std::fs::File::open(&clean).unwrap();
        let mut sb = vec![0u8; 512];
        f.read_exact(&mut sb).unwrap();
        let mut inode = vec![0u8; 512];
        f.seek(SeekFrom::Start(at)).unwrap();
        f.read_exact(&mut inode).unwrap();
        (sb, inode)
    };
    let (sb, mut inode) = bytes;
    assert_eq!(&inode[0..2], b"IN");
    assert_eq!(u64::from_be_bytes(inode[152..160].try_into().unwrap()), ino);
    assert_eq!(inode[5], 2, "extents format");
    let rec: Vec<u8> = inode[176..192].to_vec();
    // The leaf, at AG 0 block 15000 (free in the clean image).
    let leaf_linear = 15000u64;
    let leaf_fsb = 15000u64;
    let mut leaf = vec![0u8; bs as usize];
    leaf[0..4].copy_from_slice(b"BMA3");
    leaf[4..6].copy_from_slice(&0u16.to_be_bytes());
    leaf[6..8].copy_from_slice(&1u16.to_be_bytes());
    leaf[8..16].copy_from_slice(&u64::MAX.to_be_bytes());
    leaf[16..24].copy_from_slice(&u64::MAX.to_be_bytes());
    leaf[24..32].copy_from_slice(&(leaf_linear * 8).to_be_bytes());
    leaf[40..56].copy_from_slice(&sb[32..48]);
    leaf[56..64].copy_from_slice(&ino.to_be_bytes());
    leaf[72..88].copy_from_slice(&rec);
    let crc = crc32c::crc32c(&leaf);
    leaf[64..68].copy_from_slice(&crc.to_le_bytes());
    // The root in the inode: level 1, one record; key at 4, pointer after
    // (336 - 4) / 16 = 20 keys.
    inode[5] = 3;
    inode[176..512].fill(0);
    inode[176..178].copy_from_slice(&1u16.to_be_bytes());
    inode[178..180].copy_from_slice(&1u16.to_be_bytes());
    inode[180..188].copy_from_slice(&0u64.to_be_bytes());
    inode[176 + 4 + 20 * 8..176 + 4 + 21 * 8].copy_from_slice(&leaf_fsb.to_be_bytes());
    inode[100..104].fill(0);
    let crc = crc32c::crc32c(&inode);
    inode[100..104].copy_from_slice(&crc.to_le_bytes());
    let result = patched(
        dir.path(),
        &clean,
        &[(at, &inode), (leaf_linear * bs, &leaf)],
    );
    let image = dir.path().join("patched.img");
    let fs = result.volumes[0].filesystem.as_ref().unwrap();
    let n = fs.inode(ino).unwrap();
    let runs = fs.runs_of(n);
    let tree: Vec<_> = runs.iter().filter(|r| r.role == Role::ExtentTree).collect();
    assert_eq!(tree.len(), 1, "{runs:?}");
    assert_eq!((tree[0].start, tree[0].len), (leaf_linear, 1));
    let data: BTreeSet<(String, u64, u64, u64)> = runs
        .iter()
        .filter(|r| r.role == Role::Data)
        .map(|r| {
            (
                "data".to_string(),
                r.logical.unwrap(),
                fsblock(fs, r.start),
                r.len,
            )
        })
        .collect();
    assert_eq!(data.len(), 1);
    assert_eq!(data, xfs_db_bmap(&image, ino));
    // No checksum or tree problem: only what the hand edit left undone
    // (the leaf block is free in the bnobt and has no rmap record).
    let c = codes(&result);
    assert!(
        !c.contains("bad_inode") && !c.contains("checksum_mismatch"),
        "{c:?}"
    );
    assert!(c.contains("claimed_but_free"), "{c:?}");
}

/// The first megabyte of the clean sample (AG 0's headers, trees and root
/// inode chunk; every other AG cut off), cut shorter and corrupted at
/// random, in memory: every case ends in a result or a clean error, in
/// reads bounded by a small multiple of the bytes given.
#[test]
fn truncated_and_corrupted_xfs_stays_bounded() {
    use imginspect::image::{ReadMeter, View};
    let dir = tempfile::tempdir().unwrap();
    let Some(clean) = unpack(dir.path(), "xfs-clean") else {
        return;
    };
    let mut head = vec![0u8; 1 << 20];
    std::fs::File::open(&clean)
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    let scan = |bytes: &[u8]| {
        let meter = ReadMeter::default();
        let result = imginspect::analysis::scan_view(
            "hostile",
            &View::metered(bytes, &meter),
            &ScanOptions::default(),
            &NoProgress,
        );
        let read = meter.bytes.load(std::sync::atomic::Ordering::Relaxed);
        assert!(read < 64 * bytes.len() as u64 + (1 << 20), "read {read}");
        let _ = imginspect::report::to_bytes(|out| imginspect::report::text::render(&result, out));
        let _ = imginspect::report::to_bytes(|out| imginspect::report::json::render(&result, out));
        result
    };
    for len in [0usize, 100, 512, 4096, 8192, 65536, 100_000, 1 << 20] {
        let result = scan(&head[..len]);
        let volume = &result.volumes[0];
        if len < 512 {
            assert!(volume.filesystem.is_none(), "{len}");
        } else {
            let c = codes(&result);
            assert!(c.contains("truncated_image"), "{len}: {c:?}");
        }
    }
    let mut rng = common::Rng(0xBAD_0F5);
    for round in 0..300 {
        let mut bytes = head.clone();
        // Headers and btree roots (blocks 0-15), then the root inode chunk
        // (blocks 16-23): a few bytes each, the CRCs left wrong or not.
        for _ in 0..1 + rng.below(12) {
            let at = if round % 3 == 0 {
                16 * 4096 + rng.below(8 * 4096)
            } else {
                rng.below(16 * 4096)
            };
            let len = 1 + rng.below(8);
            let v = rng.next().to_be_bytes();
            for k in 0..len.min(bytes.len() - at) {
                bytes[at + k] = v[k % 8];
            }
        }
        scan(&bytes);
    }
}

/// Extended attributes set with `xfs_db attr_set` (a 9000-byte value goes
/// to remote blocks, so the attribute fork maps extents): scanned clean,
/// the attribute extents are xfs_db's (`bmap -a`); then one attribute
/// extent pointed at /etc/shadow's data is a cross-link no refcount record
/// can bless.
#[test]
fn attribute_fork_extents_are_xfs_dbs_and_can_cross_link() {
    if !have_tool("xfs_db") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(clean) = unpack(dir.path(), "xfs-clean") else {
        return;
    };
    let img = clean.to_str().unwrap();
    for (ino, size) in [(655490u64, 9000), (655491, 30000)] {
        let out = tool(
            "xfs_db",
            &[
                "-x",
                "-c",
                &format!("inode {ino}"),
                "-c",
                &format!("attr_set -v {size} user.big"),
                "-c",
                "attr_set -v 20 user.small",
                img,
            ],
        );
        assert!(out.status.success(), "{out:?}");
    }
    let result = scan_file(&clean);
    assert!(
        result.findings().next().is_none(),
        "{:#?}",
        result.volumes[0].findings
    );
    let fs = result.volumes[0].filesystem.as_ref().unwrap();
    let attr_runs = fs
        .runs_of(fs.inode(655490).unwrap())
        .iter()
        .filter(|r| r.role == Role::Xattr)
        .count();
    assert!(attr_runs >= 1);
    assert!(compare_with_xfs_db(&clean, &["/home"]) >= 8);
    // /home/c's first attribute extent moved onto /etc/shadow's data.
    let out = tool(
        "xfs_db",
        &[
            "-x",
            "-c",
            "inode 655491",
            "-c",
            "write a.bmx[0].startblock 32781",
            img,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let result = scan_file(&clean);
    let volume = &result.volumes[0];
    assert!(codes(&result).contains("crosslink"), "{:?}", codes(&result));
    let c = volume.crosslinks.iter().find(|c| !c.legitimate).unwrap();
    let fs = volume.filesystem.as_ref().unwrap();
    assert_eq!(fsblock(fs, c.start_block), (1 << 15) | 13);
    let roles: BTreeSet<String> = c
        .claimers
        .iter()
        .map(|cl| format!("{cl:?}"))
        .filter_map(|d| {
            ["Xattr", "Data"]
                .into_iter()
                .find(|r| d.contains(&format!("role: {r}")))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(roles, BTreeSet::from(["Xattr".into(), "Data".into()]));
}

/// notes.txt, which maps /etc/shadow's blocks, marked free in AG 2's inobt
/// (the block's CRC recomputed): it would drop out of a scan that trusts
/// the inobt, but a directory still names it, so it is modelled as hidden
/// and the cross-link still shows.
#[test]
fn an_inode_hidden_from_the_inobt_still_cross_links() {
    let dir = tempfile::tempdir().unwrap();
    let Some(forged) = unpack(dir.path(), "xfs-forged-share") else {
        return;
    };
    let (bs, agblocks) = (4096u64, 19200u64);
    let bytes = std::fs::read(&forged).unwrap();
    let agi = (2 * agblocks * bs + 1024) as usize;
    assert_eq!(&bytes[agi..agi + 4], b"XAGI");
    let root = u32::from_be_bytes(bytes[agi + 20..agi + 24].try_into().unwrap());
    let at = ((2 * agblocks + u64::from(root)) * bs) as usize;
    let mut block = bytes[at..at + bs as usize].to_vec();
    drop(bytes);
    assert_eq!(&block[0..4], b"IAB3");
    // The one record: AG inode 131200..131263; notes.txt is 655489, AG
    // inode 131201, bit 1 of the free mask.
    assert_eq!(u16::from_be_bytes([block[6], block[7]]), 1);
    assert_eq!(
        u32::from_be_bytes(block[56..60].try_into().unwrap()),
        131_200
    );
    let free = u64::from_be_bytes(block[64..72].try_into().unwrap());
    assert_eq!(free & 2, 0);
    block[64..72].copy_from_slice(&(free | 2).to_be_bytes());
    block[63] += 1; // freecount
    block[52..56].fill(0);
    let crc = crc32c::crc32c(&block);
    block[52..56].copy_from_slice(&crc.to_le_bytes());
    let result = patched(dir.path(), &forged, &[(at as u64, &block)]);
    let hidden: Vec<_> = result
        .findings()
        .filter(|f| f.code == Code::HiddenInode)
        .collect();
    assert_eq!(hidden.len(), 1, "{hidden:#?}");
    assert_eq!(hidden[0].inodes, vec![655_489]);
    let volume = &result.volumes[0];
    let fs = volume.filesystem.as_ref().unwrap();
    assert_eq!(
        fs.inode(655_489).unwrap().hidden,
        Some(imginspect::model::Hidden::FreeInInodeBtree)
    );
    let c = codes(&result);
    assert!(
        c.contains("crosslink") && c.contains("reflink_unrecorded"),
        "{c:?}"
    );
}

/// The JSON gives every cross-linked run where xfs_db puts it: fsblock, AG
/// and AG block. blockget's "block AG/AGBNO claimed by inode …" lines are
/// exactly the AG blocks of our cross-linked runs on the forged image.
#[test]
fn json_runs_carry_xfs_dbs_block_numbers() {
    if !have_tool("xfs_db") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = unpack(dir.path(), "xfs-forged-share") else {
        return;
    };
    let p = path.to_str().unwrap();
    let blockget = tool("xfs_db", &["-r", "-c", "blockget -n", p]);
    let theirs: BTreeSet<(u64, u64)> = String::from_utf8_lossy(&blockget.stdout)
        .lines()
        .filter(|l| l.contains("claimed by inode"))
        .filter_map(|l| {
            let (ag, bno) = l.split_whitespace().nth(1)?.split_once('/')?;
            Some((ag.parse().ok()?, bno.parse().ok()?))
        })
        .collect();
    assert!(!theirs.is_empty());
    let out = common::imginspect(&["scan", "--format", "json", p]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = scan_file(&path);
    let fs = result.volumes[0].filesystem.as_ref().unwrap();
    let (_, agblklog) = geometry(fs);
    let mut ours: BTreeSet<(u64, u64)> = BTreeSet::new();
    for c in json["volumes"][0]["crosslinks"].as_array().unwrap() {
        let start = c["start_block"].as_u64().unwrap();
        let mut linear = start;
        for place in c["xfs"].as_array().expect("xfs places") {
            let (fsb, ag, agbno, count) = (
                place["fsblock"].as_u64().unwrap(),
                place["ag"].as_u64().unwrap(),
                place["ag_block"].as_u64().unwrap(),
                place["count"].as_u64().unwrap(),
            );
            assert_eq!(fsb, (ag << agblklog) | agbno);
            assert_eq!(fsb, fsblock(fs, linear));
            ours.extend((agbno..agbno + count).map(|b| (ag, b)));
            linear += count;
        }
        assert_eq!(linear, start + c["block_count"].as_u64().unwrap());
    }
    assert_eq!(ours, theirs);
    // Findings carry them too.
    let finding = json["volumes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "crosslink")
        .unwrap();
    assert!(!finding["xfs"].as_array().unwrap().is_empty());
}
