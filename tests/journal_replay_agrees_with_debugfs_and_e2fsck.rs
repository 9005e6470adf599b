//! The ext journal replayed in memory (sample-images/journal-*.img, built by
//! build-journal.sh): our replayed view against the image `debugfs -w -R jr`
//! writes on a copy, block for block; our findings on it against
//! `e2fsck -fn` on that copy (which does see the cross-link that e2fsck on
//! the original skips); revoked, uncommitted and badly checksummed
//! transactions left out as the kernel leaves them out; and the evidence
//! never written.

mod common;

use common::{json_codes, sample_path};

use std::collections::BTreeSet;
use std::process::Command;

use common::{JournalSample, have_tool, imginspect, journal_samples, tool};
use imginspect::fs::ext::journal;
use imginspect::image::View;

fn scan(name: &str, mode: &str) -> serde_json::Value {
    let out = imginspect(&[
        "scan",
        "--format",
        "json",
        "--journal",
        mode,
        &sample_path(name),
    ]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}: {out:?}"))
}

#[test]
fn every_journal_sample_reports_its_expected_findings() {
    let samples = journal_samples();
    assert!(samples.len() >= 6);
    for JournalSample {
        name, codes: want, ..
    } in &samples
    {
        let json = scan(name, "replay");
        let want: BTreeSet<String> = want.iter().cloned().collect();
        assert_eq!(json_codes(&json), want, "{name}");
        assert_eq!(json["volumes"][0]["journal"]["view"], "replayed", "{name}");
        // Read as it lies on disk: only the pending recovery is said.
        let on_disk = scan(name, "ignore");
        assert_eq!(
            json_codes(&on_disk),
            BTreeSet::from(["needs_recovery".to_string()]),
            "{name}"
        );
        assert_eq!(
            on_disk["volumes"][0]["journal"]["view"], "on_disk",
            "{name}"
        );
    }
}

/// The blocks replay writes, and what it writes there, are the blocks and
/// bytes `debugfs -w -R jr` writes on a copy — all of them, except jr's own
/// bookkeeping in the superblock (needs_recovery cleared) and the journal
/// superblock (s_start reset).
#[test]
fn the_replayed_view_is_what_debugfs_jr_writes() {
    if !have_tool("debugfs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for sample in journal_samples() {
        let name = &sample.name;
        let original = std::fs::read(sample_path(name)).unwrap();
        let copy = dir.path().join(name);
        std::fs::write(&copy, &original).unwrap();
        let jr = Command::new("debugfs")
            .args(["-w", "-R", "jr", copy.to_str().unwrap()])
            .env("PATH", common::tool_path())
            .env("E2FSPROGS_FAKE_TIME", "1700000000")
            .output()
            .unwrap();
        assert!(jr.status.success(), "{name}: {jr:?}");
        let replayed_by_jr = std::fs::read(&copy).unwrap();

        let view = View::from_bytes(&original);
        let journal = journal::read(&view).expect("an ext journal");
        let ours = view.with_overlay(&journal.overlay);
        let bs = journal.overlay.block_size() as usize;
        let mut differ: Vec<u64> = Vec::new();
        let mut ours_changed: Vec<u64> = Vec::new();
        let mut block = vec![0u8; bs];
        for (b, theirs) in replayed_by_jr.chunks(bs).enumerate() {
            let b = b as u64;
            ours.read_into(b * bs as u64, &mut block).unwrap();
            if block != theirs {
                differ.push(b);
            }
            if block[..] != original[b as usize * bs..(b as usize + 1) * bs] {
                ours_changed.push(b);
            }
        }
        // Only the two bookkeeping blocks: the superblock (block 1 at 1 KiB)
        // and the journal's own superblock, where jr records that it ran.
        let journal_sb = *sample
            .changed_blocks
            .iter()
            .find(|&&b| b != 1 && !ours_changed.contains(&b))
            .unwrap_or(&u64::MAX);
        assert!(
            differ.iter().all(|&b| b == 1 || b == journal_sb),
            "{name}: replayed view and jr differ in blocks {differ:?}"
        );
        // What we change is what jr changes, bookkeeping aside.
        let jr_changed: Vec<u64> = sample
            .changed_blocks
            .iter()
            .copied()
            .filter(|&b| b != 1 && b != journal_sb)
            .collect();
        assert_eq!(ours_changed, jr_changed, "{name}");
        let listed: Vec<u64> = journal.replayed.iter().map(|r| r.block).collect();
        assert!(
            ours_changed.iter().all(|b| listed.contains(b)),
            "{name}: {listed:?}"
        );
    }
}

/// Our findings on the replayed view against e2fsck -fn on the jr copy: the
/// exit status (clean or not), and on the trap the very pairs pass 1B names.
#[test]
fn findings_after_replay_are_what_e2fsck_sees_on_a_replayed_copy() {
    if !have_tool("debugfs") || !have_tool("e2fsck") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for sample in journal_samples() {
        let name = &sample.name;
        let before = tool("e2fsck", &["-fn", &sample_path(name)]);
        assert_eq!(before.status.code(), Some(sample.e2fsck_before), "{name}");
        let copy = dir.path().join(name);
        std::fs::copy(sample_path(name), &copy).unwrap();
        let c = copy.to_str().unwrap();
        assert!(tool("debugfs", &["-w", "-R", "jr", c]).status.success());
        let after = tool("e2fsck", &["-fn", c]);
        assert_eq!(after.status.code(), Some(sample.e2fsck_after), "{name}");

        let json = scan(name, "replay");
        let findings = json["volumes"][0]["findings"].as_array().unwrap();
        let serious_after = findings.iter().any(|f| {
            f["after_replay"] == true && matches!(f["severity"].as_str(), Some("critical" | "high"))
        });
        assert_eq!(
            serious_after,
            sample.e2fsck_after != 0,
            "{name}: e2fsck on the replayed copy exits {}",
            sample.e2fsck_after
        );
        if sample.e2fsck_after != 0 {
            // Pass 1B: "Multiply-claimed block(s) in inode N: a--b".
            let text = String::from_utf8_lossy(&after.stdout);
            let theirs: BTreeSet<u64> = text
                .lines()
                .filter_map(|l| l.strip_prefix("Multiply-claimed block(s) in inode "))
                .filter_map(|l| l.split(':').next()?.parse().ok())
                .collect();
            let ours: BTreeSet<u64> = findings
                .iter()
                .filter(|f| f["code"] == "crosslink")
                .flat_map(|f| f["inodes"].as_array().unwrap().iter())
                .map(|i| i.as_u64().unwrap())
                .collect();
            assert!(!theirs.is_empty(), "{name}: {text}");
            assert_eq!(ours, theirs, "{name}");
        }
    }
}

#[test]
fn the_trap_is_shown_as_it_will_be_mounted_and_marked_so() {
    let name = "journal-crosslink-trap.img";
    let json = scan(name, "replay");
    let volume = &json["volumes"][0];
    let crosslink = volume["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "crosslink")
        .expect("the cross-link after replay");
    assert_eq!(crosslink["after_replay"], true);
    assert_eq!(json["summary"]["crosslinked_blocks"], 2);
    // The replayed block is the inode table block holding the forged inode.
    let replayed = volume["journal"]["replayed_blocks"].as_array().unwrap();
    assert_eq!(replayed.len(), 1);
    assert!(
        replayed[0]["what"]
            .as_str()
            .unwrap()
            .contains("inode table"),
        "{replayed:?}"
    );
    let changed = replayed[0]["inodes_changed"].as_array().unwrap();
    assert!(
        crosslink["inodes"]
            .as_array()
            .unwrap()
            .contains(&changed[0])
    );
    // The text report says it too, and the exit status is a finding's.
    let out = imginspect(&["scan", &sample_path(name)]);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[appears when the journal is replayed]"),
        "{text}"
    );
    // The report's journal section names the replayed block and the inode.
    let inode = changed[0].as_u64().unwrap();
    assert!(
        text.contains(&format!("inodes changed: {inode}")) && text.contains("<- journal block"),
        "{text}"
    );
    let html = imginspect(&["scan", "--format", "html", &sample_path(name)]);
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(html.contains("<h3>Journal</h3>"), "{html}");
    // On disk the image is clean but for the pending recovery.
    let on_disk = scan(name, "ignore");
    assert_eq!(on_disk["summary"]["crosslinked_blocks"], 0);
    // Both views: nothing on disk disappears with replay here; the harmless
    // image's replay changes a timestamp and adds no finding.
    let both = scan(name, "both");
    assert!(
        both["volumes"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["before_replay"].is_null())
    );
    let harmless = scan("journal-harmless.img", "replay");
    let pending = harmless["volumes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "journal_replay_pending")
        .unwrap();
    // Replay brings nothing new: low (the severity follows what replay does).
    assert_eq!(pending["severity"], "low");
    assert_eq!(
        imginspect(&["scan", &sample_path("journal-harmless.img")])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn cat_reads_the_file_as_it_will_be_mounted() {
    let name = "journal-crosslink-trap.img";
    let replayed = imginspect(&["cat", &sample_path(name), "/home/user/notes.txt"]);
    let shadow = imginspect(&["cat", &sample_path(name), "/etc/shadow"]);
    assert!(!shadow.stdout.is_empty());
    assert_eq!(
        replayed.stdout, shadow.stdout,
        "after replay notes.txt reads /etc/shadow's blocks"
    );
    let on_disk = imginspect(&[
        "cat",
        &sample_path(name),
        "/home/user/notes.txt",
        "--journal",
        "ignore",
    ]);
    assert!(on_disk.stdout.is_empty());
}

#[test]
fn the_evidence_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    for sample in journal_samples() {
        let copy = dir.path().join(&sample.name);
        std::fs::copy(sample_path(&sample.name), &copy).unwrap();
        let before = std::fs::read(&copy).unwrap();
        let c = copy.to_str().unwrap();
        for mode in ["replay", "both", "ignore"] {
            imginspect(&["scan", "--journal", mode, c]);
        }
        imginspect(&["cat", c, "/etc/shadow"]);
        assert_eq!(std::fs::read(&copy).unwrap(), before, "{}", sample.name);
    }
}

/// Hostile journals: every field of the journal superblock and of the first
/// log blocks set to extremes never panics, loops or allocates without bound.
#[test]
fn a_hostile_journal_is_a_finding_never_a_crash() {
    let pristine = std::fs::read(sample_path("journal-crosslink-trap.img")).unwrap();
    // Journal superblock at block 40, log blocks 41.. (1 KiB blocks; see the README).
    let journal_at = 40 * 1024;
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for case in 0..400 {
        let mut bytes = pristine.clone();
        for _ in 0..1 + case % 8 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let at = (journal_at + (rng % (8 * 1024)) as usize) & !3;
            let value: u32 = match rng >> 60 {
                0 => 0,
                1 => u32::MAX,
                2 => 0xC03B_3998,
                3 => (rng >> 20) as u32 % 16,
                _ => (rng >> 32) as u32,
            };
            bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
        }
        let view = View::from_bytes(&bytes);
        if let Some(j) = journal::read(&view) {
            assert!(j.overlay.len() <= 1024, "case {case}");
        }
        let result = common::scan_bytes(&bytes);
        assert!(!result.volumes.is_empty());
    }
}

/// A logged block that began with the JBD2 magic is stored with those four
/// bytes zeroed and the tag's ESCAPE flag set; replay puts the magic back.
/// Made here by setting the flag on the first tag of journal-harmless.img
/// (no journal checksums there), and checked against debugfs jr.
#[test]
fn an_escaped_block_gets_its_magic_back_as_jr_gives_it() {
    if !have_tool("debugfs") {
        return;
    }
    let mut bytes = std::fs::read(sample_path("journal-harmless.img")).unwrap();
    // Journal block 1 (fs block 41) is the first descriptor; its first tag
    // (64-bit, no checksum: blocknr, checksum, flags, blocknr_high) logs
    // block 26 from journal block 2 (fs block 44). See the README.
    let descriptor = 41 * 1024;
    assert_eq!(
        &bytes[descriptor..descriptor + 4],
        &[0xC0, 0x3B, 0x39, 0x98]
    );
    assert_eq!(bytes[descriptor + 15], 26);
    bytes[descriptor + 19] |= 1; // JBD2_FLAG_ESCAPE
    bytes[44 * 1024..44 * 1024 + 4].fill(0);
    let view = View::from_bytes(&bytes);
    let journal = journal::read(&view).unwrap();
    let mut ours = vec![0u8; 1024];
    view.with_overlay(&journal.overlay)
        .read_into(26 * 1024, &mut ours)
        .unwrap();
    assert_eq!(&ours[..4], &[0xC0, 0x3B, 0x39, 0x98]);

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("escaped.img");
    std::fs::write(&copy, &bytes).unwrap();
    let jr = tool("debugfs", &["-w", "-R", "jr", copy.to_str().unwrap()]);
    assert!(jr.status.success(), "{jr:?}");
    let theirs = std::fs::read(&copy).unwrap();
    assert_eq!(ours, &theirs[26 * 1024..27 * 1024]);
}

/// A file whose block map reaches into the journal's own blocks: whatever
/// it writes, the kernel replays as metadata. Made here (ext3, indirect maps)
/// by pointing a file's block[0] at a journal block; e2fsck's pass 1B names
/// the same two inodes, as two files: the journal is a file (inode 8) that
/// mount writes through, so this is a critical cross-link, not an overlap
/// with fixed metadata.
#[test]
fn a_file_over_the_journal_is_a_crosslink() {
    if !have_tool("mke2fs") || !have_tool("debugfs") || !have_tool("e2fsck") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("f.txt"), b"hi\n").unwrap();
    let img = dir.path().join("e3.img");
    let img = img.to_str().unwrap();
    let made = tool(
        "mke2fs",
        &[
            "-q",
            "-F",
            "-t",
            "ext3",
            "-b",
            "1024",
            "-d",
            src.to_str().unwrap(),
            img,
            "4096",
        ],
    );
    assert!(made.status.success(), "{made:?}");
    let bmap = tool("debugfs", &["-R", "bmap <8> 5", img]);
    let journal_block: u64 = String::from_utf8_lossy(&bmap.stdout)
        .trim()
        .parse()
        .unwrap();
    let set = tool(
        "debugfs",
        &[
            "-w",
            "-R",
            &format!("sif /f.txt block[0] {journal_block}"),
            img,
        ],
    );
    assert!(set.status.success(), "{set:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&imginspect(&["scan", "--format", "json", img]).stdout).unwrap();
    let overlap = json["volumes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "crosslink")
        .expect("the file over the journal");
    assert_eq!(overlap["severity"], "critical");
    let message = overlap["message"].as_str().unwrap();
    assert!(
        message.contains("replayed by the kernel at the next mount"),
        "{message}"
    );
    assert_eq!(overlap["blocks"][0][0].as_u64(), Some(journal_block));
    let e2fsck = tool("e2fsck", &["-fn", img]);
    let text = String::from_utf8_lossy(&e2fsck.stdout);
    assert!(
        text.contains(&format!(
            "Multiply-claimed block(s) in inode 8: {journal_block}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Multiply-claimed block(s) in inode 12: {journal_block}"
        )),
        "{text}"
    );
    let inodes: Vec<u64> = overlap["inodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap())
        .collect();
    assert!(inodes.contains(&8) && inodes.contains(&12), "{inodes:?}");
}

/// `--journal both`: a finding of the bytes on disk that replay removes is
/// kept, marked `before_replay`. Made here by corrupting, on disk, an inode
/// slot of block 62, which journal-harmless.img's replay rewrites whole.
#[test]
fn both_views_keep_what_replay_removes_marked_before_replay() {
    let mut bytes = std::fs::read(sample_path("journal-harmless.img")).unwrap();
    // Inode 19 (todo.txt) is slot 2 of block 62 (256-byte inodes, 1 KiB
    // blocks); its mtime is at byte 0x10 of the slot.
    bytes[62 * 1024 + 2 * 256 + 0x10] ^= 0xFF;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("corrupt-on-disk.img");
    std::fs::write(&copy, &bytes).unwrap();
    let c = copy.to_str().unwrap();
    let scan = |mode: &str| -> serde_json::Value {
        let out = imginspect(&["scan", "--format", "json", "--journal", mode, c]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let mismatch = |json: &serde_json::Value| -> Vec<serde_json::Value> {
        json["volumes"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "checksum_mismatch")
            .cloned()
            .collect()
    };
    // On disk the slot's checksum fails; replayed, the journal's copy is good.
    assert_eq!(mismatch(&scan("ignore")).len(), 1);
    assert!(mismatch(&scan("replay")).is_empty());
    let both = mismatch(&scan("both"));
    assert_eq!(both.len(), 1, "{both:?}");
    assert_eq!(both[0]["before_replay"], true);
    assert!(both[0]["after_replay"].is_null());
}
