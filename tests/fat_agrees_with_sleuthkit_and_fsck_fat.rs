//! FAT12/16/32 against independent tools, on the crafted samples of
//! sample-images/build-disks.sh: The Sleuth Kit (`fls`, `istat`, `ifind`)
//! for names, inode numbers and sectors, `fsck.fat -n` for shared clusters,
//! loops and lost clusters.

mod common;

use common::{run_ok, sample_path};

use std::collections::{BTreeMap, BTreeSet};

use common::{have_tool, samples_dir, tool};
use imginspect::analysis::{Claimer, ScanOptions, ScanResult, scan};
use imginspect::fs::NoProgress;
use imginspect::image::Image;
use imginspect::model::Code;
use imginspect::model::{FileType, Severity};

/// The bare FAT samples (no partition table).
const BARE: &[&str] = &[
    "fat12-clean.img",
    "fat16-clean.img",
    "fat16-crosslink.img",
    "fat16-fats-disagree.img",
    "fat32-loop.img",
];

fn model(name: &str) -> ScanResult {
    let image = Image::open(&samples_dir().join(name)).expect("sample image");
    scan(&image, &ScanOptions::default(), &NoProgress)
}

/// `fls -r -p`: (inode, "/path", deleted) of every entry (TSK's virtual
/// files, its orphan directory and the volume label entry, which TSK lists
/// as a file, are left out).
fn fls(name: &str) -> BTreeSet<(u64, String, bool)> {
    let out = tool("fls", &["-r", "-p", &sample_path(name)]);
    assert!(out.status.success(), "fls {name}: {:?}", out);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("v/v") && !l.starts_with("V/V"))
        .filter_map(|l| {
            let (kind, rest) = l.split_once(' ')?;
            let _ = kind;
            let deleted = rest.starts_with('*');
            let (ino, path) = rest.trim_start_matches("* ").split_once(":\t")?;
            if path.ends_with(" (Volume Label Entry)") || path.starts_with("$OrphanFiles") {
                return None;
            }
            Some((ino.trim().parse().ok()?, format!("/{path}"), deleted))
        })
        .collect()
}

#[test]
fn names_and_inode_numbers_are_the_sleuth_kits() {
    if !have_tool("fls") {
        return;
    }
    for name in BARE {
        let result = model(name);
        let fs = result.volumes[0].filesystem.as_ref().unwrap();
        let ours: BTreeSet<(u64, String, bool)> = fs
            .inodes
            .iter()
            .filter(|n| n.ino != 2)
            .flat_map(|n| fs.paths(n).into_iter().map(move |p| (n.ino, p, n.deleted)))
            .collect();
        let theirs = fls(name);
        assert!(theirs.len() >= 4, "{name}: fls listed {theirs:?}");
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn every_files_sectors_start_as_istat_lists_them() {
    if !have_tool("istat") {
        return;
    }
    let mut checked = 0;
    for name in BARE {
        let result = model(name);
        let fs = result.volumes[0].filesystem.as_ref().unwrap();
        for n in fs
            .inodes
            .iter()
            .filter(|n| n.file_type == FileType::Regular && n.size > 0)
        {
            let out = tool("istat", &[&sample_path(name), &n.ino.to_string()]);
            let text = String::from_utf8_lossy(&out.stdout);
            let Some((_, list)) = text.split_once("Sectors:") else {
                panic!("{name} inode {}: istat gave no sectors: {text}", n.ino);
            };
            let theirs: Vec<u64> = list
                .split_whitespace()
                .map_while(|w| w.parse().ok())
                // Sectors of the last cluster past the size are listed as 0.
                .filter(|&s| s != 0)
                .collect();
            let ours = common::run_blocks(fs, n);
            // istat lists the chain as far as the size reaches (and stops a
            // loop there); the claims are the whole chain.
            assert!(
                !theirs.is_empty() && ours.starts_with(&theirs),
                "{name} inode {} ({}): istat {theirs:?}, ours {ours:?}",
                n.ino,
                fs.display_name(n)
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} files checked");
}

/// fsck.fat -n: the pairs of files it says share clusters, and the clusters
/// it would reclaim.
fn fsck_fat(name: &str) -> (BTreeSet<(String, String)>, u64, i32) {
    fsck_fat_at(&sample_path(name))
}

fn fsck_fat_at(path: &str) -> (BTreeSet<(String, String)>, u64, i32) {
    let out = tool("fsck.fat", &["-n", path]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut pairs = BTreeSet::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(first) = l.strip_suffix("  and")
            && lines
                .get(i + 2)
                .is_some_and(|s| s.trim() == "share clusters.")
        {
            let second = lines[i + 1].trim().to_string();
            pairs.insert((first.trim().to_string(), second));
        }
    }
    let reclaimed = text
        .lines()
        .find_map(|l| l.strip_prefix("Reclaimed "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (pairs, reclaimed, out.status.code().unwrap_or(-1))
}

#[test]
fn shared_clusters_and_lost_clusters_agree_with_fsck_fat() {
    if !have_tool("fsck.fat") {
        return;
    }
    let result = model("fat16-crosslink.img");
    let volume = &result.volumes[0];
    let fs = volume.filesystem.as_ref().unwrap();
    let (pairs, reclaimed, exit) = fsck_fat("fat16-crosslink.img");
    assert_eq!(exit, 1, "fsck.fat -n finds errors");
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    // fsck.fat truncates the second file of a pair as it goes, so it names
    // fewer pairs than share; every pair it names shares a run here.
    let sharing: Vec<BTreeSet<String>> = volume
        .crosslinks
        .iter()
        .map(|c| {
            c.claimers
                .iter()
                .filter_map(|cl| match cl {
                    Claimer::Inode { paths, .. } => paths.first().cloned(),
                    Claimer::Metadata { .. } => None,
                })
                .collect()
        })
        .collect();
    for (a, b) in &pairs {
        assert!(
            sharing.iter().any(|s| s.contains(a) && s.contains(b)),
            "fsck.fat: {a} and {b} share clusters; ours: {sharing:?}"
        );
    }
    let named: BTreeSet<&String> = pairs.iter().flat_map(|(a, b)| [a, b]).collect();
    let ours: BTreeSet<&String> = sharing.iter().flatten().collect();
    assert_eq!(named, ours);
    // Lost clusters: what fsck.fat would reclaim is what the FAT allocates
    // and no chain reaches.
    let spc = fs.info.block_size as u64; // bytes per sector
    let lost: u64 = volume
        .findings
        .iter()
        .filter(|f| f.code == Code::AllocatedButUnclaimed)
        .flat_map(|f| f.blocks.iter().map(|b| b[1]))
        .sum();
    let cluster_sectors = fs
        .info
        .features
        .iter()
        .find_map(|f| f.strip_suffix("-byte clusters"))
        .and_then(|b| b.parse::<u64>().ok())
        .unwrap()
        / spc;
    assert_eq!(lost / cluster_sectors, reclaimed);
}

#[test]
fn ifind_names_every_claimer_of_every_shared_sector() {
    if !have_tool("ifind") {
        return;
    }
    let result = model("fat16-crosslink.img");
    let volume = &result.volumes[0];
    assert!(!volume.crosslinks.is_empty());
    for c in &volume.crosslinks {
        let ours: BTreeSet<u64> = c
            .claimers
            .iter()
            .filter_map(|cl| match cl {
                Claimer::Inode { inode, .. } => Some(*inode),
                Claimer::Metadata { .. } => None,
            })
            .collect();
        for sector in c.start_block..c.start_block + c.block_count {
            let out = tool(
                "ifind",
                &[
                    "-a",
                    "-d",
                    &sector.to_string(),
                    &sample_path("fat16-crosslink.img"),
                ],
            );
            let theirs: BTreeSet<u64> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
            assert_eq!(ours, theirs, "sector {sector}");
        }
    }
}

#[test]
fn loops_and_disagreeing_fats_are_reported_where_fsck_fat_fails() {
    let fsck = have_tool("fsck.fat");
    let mut codes: BTreeMap<&str, Vec<&'static str>> = BTreeMap::new();
    for name in BARE {
        let result = model(name);
        let mut found: Vec<&'static str> = result.findings().map(|f| f.code.name()).collect();
        found.sort_unstable();
        found.dedup();
        if fsck {
            // Info findings (a deleted file's clusters reused) are no fault.
            let faults = result.findings().any(|f| f.severity > Severity::Info);
            let (_, _, exit) = fsck_fat(name);
            assert_eq!(
                exit != 0,
                faults,
                "{name}: fsck.fat -n exit {exit}, our findings {found:?}"
            );
        }
        codes.insert(name, found);
    }
    assert_eq!(codes["fat12-clean.img"], Vec::<&str>::new());
    // The deleted _MP1.BIN's first cluster is FRAG.BIN's now (see the README).
    assert_eq!(codes["fat16-clean.img"], ["reused_blocks"]);
    assert_eq!(codes["fat32-loop.img"], ["bad_cluster_chain"]);
    assert_eq!(codes["fat16-fats-disagree.img"], ["fat_mismatch"]);
    assert_eq!(
        codes["fat16-crosslink.img"],
        ["allocated_but_unclaimed", "crosslink"]
    );
    let result = model("fat32-loop.img");
    let looped = result
        .findings()
        .find(|f| f.code == Code::BadClusterChain)
        .unwrap();
    assert!(looped.message.contains("/LOOP.BIN") && looped.message.contains("loops"));
}

#[test]
fn fsinfo_hints_are_checked_against_the_fat() {
    let pristine = common::sample_bytes("fat32-loop.img");
    let codes = |bytes: &[u8]| -> Vec<&'static str> {
        common::scan_bytes(bytes)
            .findings()
            .map(|f| f.code.name())
            .filter(|c| c.contains("fsinfo"))
            .collect()
    };
    assert!(codes(&pristine).is_empty());
    // FSInfo is sector 1: a free count that the FAT does not bear out...
    let mut wrong_count = pristine.clone();
    wrong_count[512 + 488..512 + 492].copy_from_slice(&5u32.to_le_bytes());
    assert_eq!(codes(&wrong_count), ["fsinfo_mismatch"]);
    // ...unknown (0xFFFFFFFF) is allowed...
    let mut unknown = pristine.clone();
    unknown[512 + 488..512 + 492].fill(0xFF);
    assert!(codes(&unknown).is_empty());
    // ...and a broken signature makes the hints worthless.
    let mut unsigned = pristine;
    unsigned[512] ^= 1;
    assert_eq!(codes(&unsigned), ["bad_fsinfo"]);
}

/// The "a/b clusters" of fsck.fat -n's last line: (used, total).
fn fsck_fat_clusters(path: &str) -> (u64, u64) {
    let out = tool("fsck.fat", &["-n", path]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let last = text.lines().last().unwrap_or_default().to_string();
    let counts = last
        .rsplit(", ")
        .next()
        .and_then(|c| c.strip_suffix(" clusters"))
        .and_then(|c| c.split_once('/'))
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    counts.unwrap_or_else(|| panic!("fsck.fat -n {path}: {text}"))
}

#[test]
fn an_atari_fat_without_a_jump_instruction_is_read_as_fsck_fat_reads_it() {
    if !have_tool("mkfs.fat") || !have_tool("fsck.fat") || !have_tool("mcopy") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("atari.img");
    let path = img.to_str().unwrap();
    std::fs::File::create(&img)
        .unwrap()
        .set_len(4 << 20)
        .unwrap();
    run_ok("mkfs.fat", &["-A", path]);
    let bytes = std::fs::read(&img).unwrap();
    assert!(
        !matches!(bytes[0], 0xEB | 0xE9),
        "mkfs.fat -A wrote a jump: {:02x}",
        bytes[0]
    );
    let data = dir.path().join("data.txt");
    std::fs::write(&data, vec![b'x'; 5000]).unwrap();
    let out = std::process::Command::new("mcopy")
        .args(["-i", path, data.to_str().unwrap(), "::/DATA.TXT"])
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "mcopy: {out:?}");
    let (used, total) = fsck_fat_clusters(path);
    let result = scan(
        &Image::open(&img).unwrap(),
        &ScanOptions::default(),
        &NoProgress,
    );
    let volume = &result.volumes[0];
    let fs = volume
        .filesystem
        .as_ref()
        .unwrap_or_else(|| panic!("not recognised: {:?}", volume.error));
    assert_eq!(fs.info.fs_type, "fat12");
    assert!(
        fs.info.features.contains(&format!("{total} clusters")),
        "fsck.fat counts {total} clusters; ours: {:?}",
        fs.info.features
    );
    let data_file = fs
        .inodes
        .iter()
        .find(|n| fs.paths(n).iter().any(|p| p == "/DATA.TXT"))
        .expect("/DATA.TXT");
    assert_eq!(data_file.size, 5000);
    // fsck.fat counts the clusters files use (five 1 KiB clusters here) and
    // reclaims the one mkfs.fat -A leaves allocated on no chain: ours are the
    // file's claims and the lost clusters.
    let claimed: u64 = fs.runs_of(data_file).iter().map(|r| r.len).sum();
    assert_eq!(claimed, used * 2, "sectors of /DATA.TXT");
    let (_, reclaimed, _) = fsck_fat_at(path);
    let lost: u64 = volume
        .findings
        .iter()
        .filter(|f| f.code == Code::AllocatedButUnclaimed)
        .flat_map(|f| f.blocks.iter().map(|b| b[1]))
        .sum();
    assert_eq!(lost / 2, reclaimed);
    assert!(
        volume.findings.iter().all(|f| f.severity < Severity::High),
        "{:?}",
        volume.findings
    );
}
