//! Partitioned disks: our partitions against `mmls`, overlaps against
//! `sfdisk --verify`, the volumes inside scanned like bare ones, and damaged
//! GPTs (CRC, backup, protective MBR, 4096-byte sectors) built in memory.

mod common;

use common::{codes, sample_path};

use std::collections::BTreeSet;

use common::{have_tool, imginspect, sample_bytes, samples_dir, scan_bytes, scan_json, tool};
use imginspect::model::Code;
use imginspect::volume::{self, Scheme};

const DISKS: &[&str] = &[
    "gpt-two-partitions.img",
    "mbr-logical.img",
    "mbr-overlap.img",
];

#[test]
fn partitions_are_the_ones_mmls_lists() {
    if !have_tool("mmls") {
        return;
    }
    for name in DISKS {
        let out = tool("mmls", &[&sample_path(name)]);
        assert!(out.status.success(), "mmls {name}");
        // "004:  000       0000002048   0000004095   0000002048   fat12-data"
        let theirs: BTreeSet<(u64, u64)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let slot = cols.get(1)?;
                let description = cols.get(5..)?.join(" ");
                let data = slot.chars().next()?.is_ascii_digit()
                    && !description.contains("Extended")
                    && !description.contains("Table");
                data.then(|| Some((cols.get(2)?.parse().ok()?, cols.get(4)?.parse().ok()?)))?
            })
            .collect();
        let table = volume::read(&imginspect::image::View::from_bytes(&sample_bytes(name)))
            .expect("a partition table");
        let ours: BTreeSet<(u64, u64)> = table
            .partitions
            .iter()
            .map(|p| (p.start_lba, p.sectors))
            .collect();
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn overlapping_partitions_are_found_where_sfdisk_verify_finds_them() {
    if !have_tool("sfdisk") {
        return;
    }
    for name in DISKS {
        let out = tool("sfdisk", &["--verify", &sample_path(name)]);
        // sfdisk prints its complaints on stderr and exits 0 all the same.
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = said.contains("overlaps partition");
        let result = scan_bytes(&sample_bytes(name));
        let overlap = result
            .partition_table
            .as_ref()
            .unwrap()
            .findings
            .iter()
            .find(|f| f.code == Code::PartitionOverlap);
        assert_eq!(overlap.is_some(), theirs, "{name}: sfdisk says {said}");
        if let Some(f) = overlap {
            assert!(f.message.contains("partitions 1 and 2"), "{}", f.message);
            assert_eq!(f.blocks, vec![[2304, 256]]);
        }
    }
}

#[test]
fn a_cross_link_inside_a_gpt_partition_is_the_bare_images() {
    let json = scan_json(&samples_dir().join("gpt-two-partitions.img"));
    assert_eq!(json["partition_table"]["scheme"], "gpt");
    let volumes = json["volumes"].as_array().unwrap();
    assert_eq!(volumes.len(), 2);
    assert_eq!(volumes[0]["filesystem"]["type"], "fat12");
    assert_eq!(volumes[1]["partition"]["number"], 2);
    assert_eq!(volumes[1]["partition"]["type"], "Linux filesystem");
    assert_eq!(volumes[1]["offset_bytes"], 4096 * 512);
    let bare = scan_json(&samples_dir().join("shadow-crosslink.img"));
    assert_eq!(
        volumes[1]["crosslinks"], bare["volumes"][0]["crosslinks"],
        "block numbers are relative to the volume"
    );
    // The exit status counts every volume; `block` looks inside one.
    let out = imginspect(&["scan", &sample_path("gpt-two-partitions.img")]);
    assert_eq!(out.status.code(), Some(4));
    let out = imginspect(&[
        "block",
        &sample_path("gpt-two-partitions.img"),
        "13",
        "--partition",
        "2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/etc/shadow") && text.contains("/home/user/notes.txt"),
        "{text}"
    );
}

#[test]
fn logical_partitions_are_numbered_from_5_and_scanned() {
    let result = scan_bytes(&sample_bytes("mbr-logical.img"));
    let table = result.partition_table.as_ref().unwrap();
    assert_eq!(table.scheme, Scheme::Mbr);
    let numbers: Vec<u32> = table.partitions.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 5]);
    assert!(table.findings.is_empty(), "{:?}", table.findings);
    assert!(result.volumes.iter().all(|v| {
        v.filesystem
            .as_ref()
            .is_some_and(|f| f.info.fs_type == "fat12")
    }),);
    assert!(codes(&result).is_empty(), "{:?}", codes(&result));
}

// --- damaged GPTs, made in memory from gpt-two-partitions.img ---

fn put_crc(bytes: &mut [u8], header_at: usize) {
    let size =
        u32::from_le_bytes(bytes[header_at + 12..header_at + 16].try_into().unwrap()) as usize;
    bytes[header_at + 16..header_at + 20].fill(0);
    let crc = crc32fast::hash(&bytes[header_at..header_at + size]);
    bytes[header_at + 16..header_at + 20].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn a_damaged_primary_gpt_falls_back_to_the_backup_and_says_so() {
    let mut bytes = sample_bytes("gpt-two-partitions.img");
    bytes[512 + 60] ^= 1; // inside the disk GUID: the header CRC no longer matches
    let result = scan_bytes(&bytes);
    let table = result.partition_table.as_ref().unwrap();
    assert_eq!(table.partitions.len(), 2, "read from the backup");
    let found = codes(&result);
    assert!(
        found.contains("checksum_mismatch") && found.contains("bad_partition_table"),
        "{found:?}"
    );
}

#[test]
fn a_backup_gpt_that_disagrees_is_reported() {
    let mut bytes = sample_bytes("gpt-two-partitions.img");
    let last = bytes.len() - 512;
    bytes[last + 56] ^= 0xFF; // the backup's disk GUID
    put_crc(&mut bytes, last);
    let result = scan_bytes(&bytes);
    let f = result
        .findings()
        .find(|f| f.code == Code::GptBackupMismatch)
        .expect("gpt_backup_mismatch");
    assert!(f.message.contains("disk GUID"), "{}", f.message);
}

#[test]
fn a_gpt_without_protective_mbr_or_backup_is_reported() {
    let mut bytes = sample_bytes("gpt-two-partitions.img");
    bytes[..512].fill(0);
    bytes.truncate(8200 * 512); // the backup header was at the last LBA
    let result = scan_bytes(&bytes);
    let found = codes(&result);
    assert!(found.contains("gpt_no_protective_mbr"), "{found:?}");
    assert!(found.contains("gpt_backup_missing"), "{found:?}");
    assert_eq!(result.partition_table.as_ref().unwrap().partitions.len(), 2);
}

#[test]
fn a_partition_past_the_end_of_the_image_is_scanned_as_far_as_it_goes() {
    let mut bytes = sample_bytes("gpt-two-partitions.img");
    bytes.truncate(6000 * 512); // p2 is sectors 4096–8191
    let result = scan_bytes(&bytes);
    let found = codes(&result);
    assert!(found.contains("partition_out_of_range"), "{found:?}");
    assert!(found.contains("truncated_image"), "{found:?}");
    assert_eq!(result.volumes[1].length_bytes, (6000 - 4096) * 512);
}

/// A GPT on 4096-byte sectors: header at byte 4096, one partition.
#[test]
fn a_gpt_on_4096_byte_sectors_is_read() {
    const SS: usize = 4096;
    let sectors = 64;
    let mut disk = vec![0u8; SS * sectors];
    // Protective MBR.
    disk[0x1BE + 4] = 0xEE;
    disk[0x1BE + 8..0x1BE + 12].copy_from_slice(&1u32.to_le_bytes());
    disk[0x1BE + 12..0x1BE + 16].copy_from_slice(&((sectors - 1) as u32).to_le_bytes());
    disk[510] = 0x55;
    disk[511] = 0xAA;
    // One entry in the array at LBA 2: Linux filesystem, LBA 6–40, named "x".
    let entry = 2 * SS;
    let linux = [
        0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47, 0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D,
        0xE4,
    ];
    disk[entry..entry + 16].copy_from_slice(&linux);
    disk[entry + 16] = 1;
    disk[entry + 32..entry + 40].copy_from_slice(&6u64.to_le_bytes());
    disk[entry + 40..entry + 48].copy_from_slice(&40u64.to_le_bytes());
    disk[entry + 56] = b'x';
    let array_crc = crc32fast::hash(&disk[entry..entry + 128 * 4]);
    let write_header = |disk: &mut Vec<u8>, lba: u64, alternate: u64, array_lba: u64| {
        let h = lba as usize * SS;
        disk[h..h + 8].copy_from_slice(b"EFI PART");
        disk[h + 8..h + 12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        disk[h + 12..h + 16].copy_from_slice(&92u32.to_le_bytes());
        disk[h + 24..h + 32].copy_from_slice(&lba.to_le_bytes());
        disk[h + 32..h + 40].copy_from_slice(&alternate.to_le_bytes());
        disk[h + 40..h + 48].copy_from_slice(&6u64.to_le_bytes());
        disk[h + 48..h + 56].copy_from_slice(&((sectors - 6) as u64).to_le_bytes());
        disk[h + 72..h + 80].copy_from_slice(&array_lba.to_le_bytes());
        disk[h + 80..h + 84].copy_from_slice(&4u32.to_le_bytes());
        disk[h + 84..h + 88].copy_from_slice(&128u32.to_le_bytes());
        disk[h + 88..h + 92].copy_from_slice(&array_crc.to_le_bytes());
        put_crc(disk, h);
    };
    let last = (sectors - 1) as u64;
    // The backup array sits just before the backup header.
    let backup_array = (last - 1) as usize * SS;
    let primary_array = disk[entry..entry + SS].to_vec();
    disk[backup_array..backup_array + SS].copy_from_slice(&primary_array);
    write_header(&mut disk, 1, last, 2);
    write_header(&mut disk, last, 1, last - 1);
    let result = scan_bytes(&disk);
    let table = result.partition_table.as_ref().unwrap();
    assert_eq!(table.sector_size, 4096);
    assert!(table.findings.is_empty(), "{:?}", table.findings);
    let p = &table.partitions[0];
    assert_eq!((p.number, p.start_lba, p.sectors), (1, 6, 35));
    assert_eq!(
        (p.type_name.as_str(), p.name.as_str()),
        ("Linux filesystem", "x")
    );
    assert_eq!(result.volumes[0].offset_bytes, 6 * 4096);
}

#[test]
fn the_evidence_disk_is_never_written() {
    for name in DISKS {
        let path = samples_dir().join(name);
        let before = std::fs::read(&path).unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let out = imginspect(&["scan", "--format", "json", "--hash", &sample_path(name)]);
        assert!(matches!(out.status.code(), Some(0) | Some(4)));
        assert_eq!(std::fs::read(&path).unwrap(), before, "{name}");
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
    }
}

#[test]
fn a_fat_boot_sector_partitioning_itself_is_one_fat_volume_as_blkid_reads_it() {
    if !have_tool("mkfs.fat") || !have_tool("blkid") || !have_tool("fsck.fat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("mbr-fat.img");
    let path = img.to_str().unwrap();
    std::fs::File::create(&img)
        .unwrap()
        .set_len(8 << 20)
        .unwrap();
    let out = tool("mkfs.fat", &["--mbr=y", path]);
    assert!(out.status.success(), "mkfs.fat --mbr=y: {out:?}");
    // The layout: sector 0 is both the FAT boot sector and an MBR whose one
    // partition starts at sector 0.
    let bytes = std::fs::read(&img).unwrap();
    let entry = &bytes[0x1BE..0x1CE];
    assert_eq!(u32::from_le_bytes(entry[8..12].try_into().unwrap()), 0);
    assert_ne!(u32::from_le_bytes(entry[12..16].try_into().unwrap()), 0);
    // blkid: the whole device is vfat, and there is no partition table.
    let out = tool("blkid", &["-p", "-o", "export", path]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("TYPE=vfat"), "blkid -p: {text}");
    assert!(!text.contains("PTTYPE"), "blkid -p: {text}");
    assert!(tool("fsck.fat", &["-n", path]).status.success());

    let json = scan_json(&img);
    assert!(json["partition_table"].is_null(), "{json}");
    let volumes = json["volumes"].as_array().unwrap();
    assert_eq!(volumes.len(), 1);
    assert_eq!(volumes[0]["filesystem"]["type"], "fat12");
    let findings: Vec<(&str, &str)> = volumes[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(findings, vec![("self_referencing_partition", "info")]);
    let status = imginspect(&["scan", path]).status.code();
    assert_eq!(status, Some(0));

    // The same table in front of a sector that is no FAT boot sector is a
    // partition over the MBR, as before.
    let mut broken = bytes.clone();
    broken[0x0B..0x0D].fill(0); // BytsPerSec 0
    let result = scan_bytes(&broken);
    assert!(result.partition_table.is_some());
    assert!(
        codes(&result).contains("partition_overlap"),
        "{:?}",
        codes(&result)
    );
}
