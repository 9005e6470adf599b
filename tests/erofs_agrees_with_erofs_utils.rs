//! EROFS against erofs-utils, on the samples of sample-images/build-erofs.sh:
//! nids and block maps equal `dump.erofs`, the bytes read through our map
//! equal what `fsck.erofs --extract` writes, and every crafted image gives
//! its finding while `fsck.erofs` (which checks no ownership) passes it.

mod common;

use common::sample_path;

use std::collections::BTreeSet;

use common::{have_tool, scan_bytes, tool};
use imginspect::model::Code;
use imginspect::model::FileType;

/// `dump.erofs --path=P -e IMG`: the nid and the block-aligned extents as
/// (physical block, blocks), leaving out the inline tail (not block aligned).
fn dump(image: &str, path: &str, block: u64) -> (u64, Vec<(u64, u64)>) {
    let out = tool(
        "dump.erofs",
        &[&format!("--path={path}"), "-e", &sample_path(image)],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let nid = text
        .split_whitespace()
        .skip_while(|w| *w != "NID:")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("dump.erofs {path}: {text}"));
    (nid, extents(&text, block))
}

/// The block-aligned physical extents `dump.erofs -e` prints, as (first
/// block, blocks): inline tails (not block aligned) are left out.
fn extents(text: &str, block: u64) -> Vec<(u64, u64)> {
    let mut extents = Vec::new();
    for line in text.lines() {
        // "   0:        0..    4096 |    4096 :       4096..      8192 |    4096"
        let Some((_, rest)) = line.split_once(':') else {
            continue;
        };
        let cols: Vec<&str> = rest.split('|').collect();
        let Some(physical) = cols.get(1).and_then(|c| c.split(':').nth(1)) else {
            continue;
        };
        let Some((from, to)) = physical.trim().split_once("..") else {
            continue;
        };
        let (Ok(from), Ok(to)) = (from.trim().parse::<u64>(), to.trim().parse::<u64>()) else {
            continue;
        };
        if from % block == 0 && (to - from) % block == 0 && to > from {
            extents.push((from / block, (to - from) / block));
        }
    }
    extents
}

#[test]
fn nids_and_block_maps_are_dump_erofs() {
    if !have_tool("dump.erofs") {
        return;
    }
    let mut checked = 0;
    for image in ["erofs-plain.img", "erofs-chunked-dedup.img"] {
        let result = scan_bytes(&common::sample_bytes(image));
        let fs = result.volumes[0].filesystem.as_ref().unwrap();
        let bs = u64::from(fs.info.block_size);
        for n in fs
            .inodes
            .iter()
            .filter(|n| n.file_type == FileType::Regular)
        {
            let path = fs.first_path(n).unwrap();
            let (nid, theirs) = dump(image, &path, bs);
            assert_eq!(nid, n.ino, "{image} {path}");
            // Expand both to blocks: chunks may be listed one by one.
            let ours = common::run_blocks(fs, n);
            let theirs: Vec<u64> = theirs.iter().flat_map(|&(s, l)| s..s + l).collect();
            assert_eq!(ours, theirs, "{image} {path} (nid {nid})");
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} files checked");
}

#[test]
fn bytes_through_our_map_are_what_fsck_erofs_extracts() {
    if !have_tool("fsck.erofs") {
        return;
    }
    let mut compared = 0;
    for image in ["erofs-plain.img", "erofs-chunked-dedup.img"] {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("x");
        let out = tool(
            "fsck.erofs",
            &[
                &format!("--extract={}", out_dir.display()),
                &sample_path(image),
            ],
        );
        assert!(out.status.success(), "{out:?}");
        let bytes = common::sample_bytes(image);
        let result = scan_bytes(&bytes);
        let fs = result.volumes[0].filesystem.as_ref().unwrap();
        let bs = u64::from(fs.info.block_size);
        for n in fs
            .inodes
            .iter()
            .filter(|n| n.file_type == FileType::Regular)
        {
            let path = fs.first_path(n).unwrap();
            let extracted = std::fs::read(out_dir.join(path.trim_start_matches('/'))).unwrap();
            assert_eq!(extracted.len() as u64, n.size, "{image} {path}");
            // The whole blocks of the file, read through our runs in logical
            // order (an inline tail lives in its inode's metadata block).
            let mut ours = Vec::new();
            let mut runs = fs.runs_of(n).to_vec();
            runs.sort_by_key(|r| r.logical);
            for r in runs {
                let at = (r.start * bs) as usize;
                ours.extend_from_slice(&bytes[at..at + (r.len * bs) as usize]);
            }
            let whole = ours.len().min(extracted.len());
            assert_eq!(&ours[..whole], &extracted[..whole], "{image} {path}");
            compared += usize::from(whole > 0);
        }
    }
    assert!(compared >= 6, "only {compared} files had whole blocks");
}

#[test]
fn crafted_images_give_their_findings_while_fsck_erofs_passes_them() {
    let fsck = have_tool("fsck.erofs");
    let expect: &[(&str, &[&str])] = &[
        ("erofs-plain.img", &[]),
        ("erofs-chunked-dedup.img", &["shared_legitimately"]),
        ("erofs-lz4.img", &[]),
        // big.bin's five blocks from block 0 also start before shadow's
        // and notes.txt's data: partial overlaps besides the metadata.
        (
            "erofs-data-over-metadata.img",
            &["metadata_overlap", "partial_overlap"],
        ),
        ("erofs-partial-overlap.img", &["partial_overlap"]),
        ("erofs-moved-onto-data.img", &["shared_legitimately"]),
        ("erofs-out-of-range.img", &["out_of_range"]),
    ];
    for (image, codes) in expect {
        let result = scan_bytes(&common::sample_bytes(image));
        let found: BTreeSet<&str> = result.findings().map(|f| f.code.name()).collect();
        let want: BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(found, want, "{image}");
        if fsck {
            let out = tool("fsck.erofs", &[&sample_path(image)]);
            assert_eq!(out.status.code(), Some(0), "fsck.erofs {image}: {out:?}");
        }
    }
    // The verdicts: dedupe is legitimate, data over metadata is critical,
    // and both say why the image being immutable matters.
    let dedup = scan_bytes(&common::sample_bytes("erofs-chunked-dedup.img"));
    let shared = &dedup.volumes[0].crosslinks;
    assert!(!shared.is_empty() && shared.iter().all(|c| c.legitimate));
    let over = scan_bytes(&common::sample_bytes("erofs-data-over-metadata.img"));
    let f = over
        .findings()
        .find(|f| f.code == Code::MetadataOverlap)
        .unwrap();
    assert_eq!(f.severity, imginspect::model::Severity::Critical);
    assert!(f.message.contains("never written"), "{}", f.message);
    // It names the inodes whose slots the file's data covers.
    assert!(
        f.message.contains("inode slots of nids 36 (/)") && f.message.contains("(/etc/shadow)"),
        "{}",
        f.message
    );
    // The same sharing that is critical on ext4 is said to be harmless here.
    let info = dedup
        .findings()
        .find(|f| f.code == Code::SharedLegitimately)
        .unwrap();
    assert!(info.message.contains("ext4"), "{}", info.message);
}

/// Hostile EROFS fields, patched into erofs-plain.img: each gives a finding
/// or a clean error, in bounded work.
#[test]
fn hostile_erofs_fields_become_findings() {
    use imginspect::image::{ReadMeter, View};
    let pristine = common::sample_bytes("erofs-plain.img");
    let scan = |bytes: &[u8]| {
        let meter = ReadMeter::default();
        let result = imginspect::analysis::scan_view(
            "hostile",
            &View::metered(bytes, &meter),
            &imginspect::analysis::ScanOptions::default(),
            &imginspect::fs::NoProgress,
        );
        let read = meter.bytes.load(std::sync::atomic::Ordering::Relaxed);
        assert!(read < 64 * bytes.len() as u64, "read {read} bytes");
        let codes: BTreeSet<&'static str> = result.findings().map(|f| f.code.name()).collect();
        (result, codes)
    };
    // A root nid past the end of the image.
    let mut bytes = pristine.clone();
    bytes[1024 + 14..1024 + 16].copy_from_slice(&0xFFFFu16.to_le_bytes());
    let (_, codes) = scan(&bytes);
    assert!(codes.contains("no_root_directory"), "{codes:?}");
    assert!(
        codes.contains("checksum_mismatch"),
        "the sb checksum covers it: {codes:?}"
    );
    // big.bin (nid 110, a compact inode) turned chunk-based with a 4 GiB size:
    // a million chunk indexes, past the end of the image.
    let at = 110 * 32;
    let mut bytes = pristine.clone();
    bytes[at..at + 2].copy_from_slice(&(4u16 << 1).to_le_bytes());
    bytes[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes[at + 16..at + 20].fill(0); // chunk format: 4-byte entries, 1-block chunks
    let (_, codes) = scan(&bytes);
    assert!(codes.contains("bad_inode"), "{codes:?}");
    // A compressed file (erofs-lz4's /logs/a.log, nid 42) with a forged
    // 4 GiB size: its index would run past the image, which is said, not walked.
    let mut lz4 = common::sample_bytes("erofs-lz4.img");
    let at = 42 * 32;
    assert_eq!(
        (u16::from_le_bytes([lz4[at], lz4[at + 1]]) >> 1) & 7,
        3,
        "compact index"
    );
    lz4[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let (_, codes) = scan(&lz4);
    assert!(codes.contains("bad_inode"), "{codes:?}");
    // An impossible block size is a clean error, not a panic.
    let mut bytes = pristine;
    bytes[1024 + 12] = 40;
    let (result, _) = scan(&bytes);
    let error = result.volumes[0].error.as_deref().unwrap_or("");
    assert!(error.contains("blkszbits"), "{error}");
}

/// Compressed files: the physical clusters we map equal `dump.erofs -e`'s,
/// block for block, for every file of a generated tree under each index
/// format mkfs.erofs writes (legacy full indexes, compact 4B/2B packs, big
/// pclusters, ztailpacking).
#[test]
fn compressed_clusters_are_the_ones_dump_erofs_lists() {
    if !have_tool("mkfs.erofs") || !have_tool("dump.erofs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    let mut rng = common::Rng(0xE50F5);
    let words: Vec<String> = (0..300)
        .map(|_| {
            (0..2 + rng.below(8))
                .map(|_| char::from(b'a' + rng.below(10) as u8))
                .collect()
        })
        .collect();
    for (i, size) in [100usize, 3000, 5000, 9000, 20000, 70000, 150000, 400000]
        .into_iter()
        .enumerate()
    {
        let mut text = String::new();
        while text.len() < size {
            text.push_str(&words[rng.below(words.len())]);
            text.push(' ');
        }
        text.truncate(size);
        std::fs::write(src.join(format!("f{i}.txt")), &text).unwrap();
        // Half noise, half text: some clusters compress, some stay plain.
        let mut mixed: Vec<u8> = (0..size / 3).map(|_| rng.next() as u8).collect();
        mixed.extend_from_slice(&text.as_bytes()[..size / 2]);
        std::fs::write(src.join("d").join(format!("r{i}.bin")), mixed).unwrap();
    }
    let mut files = 0;
    for options in [
        &["-zlz4"][..],
        &["-zlz4hc", "-C65536"],
        &["-zlz4", "-C16384"],
        &["-zlz4", "-Elegacy-compress"],
        &["-zlz4hc", "-C16384", "-Eztailpacking"],
    ] {
        let image = dir.path().join("z.img");
        let _ = std::fs::remove_file(&image);
        let mut args: Vec<&str> = vec!["--quiet", "-T0"];
        args.extend_from_slice(options);
        let (img, tree) = (image.to_str().unwrap(), src.to_str().unwrap());
        args.extend([img, tree]);
        let out = tool("mkfs.erofs", &args);
        assert!(out.status.success(), "mkfs.erofs {options:?}: {out:?}");
        let result = scan_bytes(&std::fs::read(&image).unwrap());
        let fs = result.volumes[0].filesystem.as_ref().unwrap();
        assert!(
            result
                .findings()
                .all(|f| f.severity <= imginspect::model::Severity::Info),
            "{options:?}: {:?}",
            result.findings().collect::<Vec<_>>()
        );
        let bs = u64::from(fs.info.block_size);
        for n in fs
            .inodes
            .iter()
            .filter(|n| n.file_type == FileType::Regular)
        {
            let path = fs.first_path(n).unwrap();
            let out = tool("dump.erofs", &[&format!("--path={path}"), "-e", img]);
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let theirs: Vec<u64> = extents(&text, bs)
                .into_iter()
                .flat_map(|(s, l)| s..s + l)
                .collect();
            let ours = common::run_blocks(fs, n);
            assert_eq!(ours, theirs, "{options:?} {path}");
            files += 1;
        }
    }
    assert!(files >= 80, "{files}");
}
