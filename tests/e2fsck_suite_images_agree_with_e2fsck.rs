//! imginspect against e2fsck on e2fsprogs' own test suite: the images in
//! e2fsprogs 1.47.0's `tests/*/image.gz`, which nobody here made.
//!
//! For every image, the per-inode multiply-claimed block sets and the inodes
//! sharing blocks with `<filesystem metadata>` must equal what `e2fsck -fn`
//! prints in passes 1B and 1D (the bad-blocks inode counted by neither side).
//! Where e2fsck gives no answer (it aborts, or loops) the image is listed,
//! not counted; if its own repair run (`expect.1`, e2fsck -fy) printed a pass
//! 1B, every block it names must be among ours. Every remaining difference is
//! a row of `tests/data/e2fsprogs-suite.tsv` with the proof that e2fsck is
//! blind there, and a row that no longer differs fails the test. An image
//! e2fsck passes (exit 0) may get no finding of medium or above unless e2fsck
//! printed the same problem or skipped a journal replay.
//!
//! The suite comes from Debian's source package (`.ci/fetch-test-suites`,
//! which `.ci/run` calls); set E2FSPROGS_SUITE to its `tests` directory to
//! use another copy. Without it this prints SKIPPED (and fails under CI).
//! Every tool runs on a copy; imginspect reads the unpacked image, and its
//! hash is checked afterwards.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::e2fsck::{
    BlockMap, metadata_sharers, multiply_claimed, parse_pass1b, parse_pass1d_metadata,
};

/// The bad-blocks inode: never a privilege cross-link, counted by neither side.
const BAD_BLOCKS_INO: u64 = 1;

/// What one image gave.
struct Outcome {
    name: String,
    verdict: Verdict,
    notes: Vec<String>,
}

enum Verdict {
    Agree,
    /// e2fsck aborted or did not finish: its pass 1B is no answer.
    NoAnswer(String),
    Differs(String),
}

/// Known differences: image → (kind, proof).
fn known_differences() -> BTreeMap<String, (String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/e2fsprogs-suite.tsv");
    let text = std::fs::read_to_string(&path).expect("tests/data/e2fsprogs-suite.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut cols = l.splitn(3, '\t');
            let name = cols.next().unwrap_or_default().to_string();
            let kind = cols.next().unwrap_or_default().to_string();
            let proof = cols.next().unwrap_or_default().to_string();
            assert!(
                !proof.trim().is_empty(),
                "{name}: a known difference needs its proof"
            );
            (name, (kind, proof))
        })
        .collect()
}

fn gunzip(path: &Path) -> Vec<u8> {
    // The gzip crate is not a dependency: zcat is in every Debian base system.
    let out = Command::new("zcat").arg(path).output().expect("run zcat");
    assert!(out.status.success(), "zcat {}", path.display());
    out.stdout
}

/// `e2fsck -fn` on a copy, with a time limit (a few suite images make it
/// loop): its exit status (None when it did not finish), standard output and
/// standard error (where it says it aborted).
fn e2fsck(copy: &Path) -> (Option<i32>, String, String) {
    let out = Command::new("timeout")
        .args(["30", "e2fsck", "-fn"])
        .arg(copy)
        .env("PATH", common::tool_path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run e2fsck");
    let code = out.status.code().filter(|&c| c != 124);
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn without_bad_blocks(mut map: BlockMap) -> BlockMap {
    map.remove(&BAD_BLOCKS_INO);
    map
}

fn summary(map: &BlockMap) -> String {
    map.iter()
        .map(|(ino, blocks)| {
            let first = blocks.first().copied().unwrap_or(0);
            let last = blocks.last().copied().unwrap_or(0);
            format!("{ino}: {} blocks {first}–{last}", blocks.len())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Findings of medium or above that e2fsck -fn, exiting 0, must have printed
/// too: each code with the words e2fsck uses for the same problem.
const SAME_PROBLEM: &[(&str, &str)] = &[
    ("checksum_mismatch", "checksum"),
    ("bad_extent_tree", "extent tree"),
    ("primary_superblock_unusable", "trying backup blocks"),
];

fn check_image(image_gz: &Path, work: &Path) -> Outcome {
    let name = image_gz
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = gunzip(image_gz);
    let image = work.join(format!("{name}.img"));
    let copy = work.join(format!("{name}.copy.img"));
    std::fs::write(&image, &bytes).expect("write image");
    std::fs::write(&copy, &bytes).expect("write copy");
    let (code, stdout, stderr) = e2fsck(&copy);
    let _ = std::fs::remove_file(&copy);

    let out = Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_imginspect"))
        .args(["scan", "--format", "json"])
        .arg(&image)
        .output()
        .expect("run imginspect");
    let mut notes = Vec::new();
    let scanned = out.status.code();
    assert!(
        matches!(scanned, Some(0 | 4 | 8)),
        "{name}: imginspect exited {scanned:?} (panic, signal or time-out)\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.len() <= bytes.len().saturating_mul(8) + (1 << 20),
        "{name}: {} bytes of JSON for a {}-byte image",
        out.stdout.len(),
        bytes.len()
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: no JSON ({e})"));
    let mut after = Vec::new();
    std::fs::File::open(&image)
        .and_then(|mut f| f.read_to_end(&mut after))
        .expect("read image back");
    assert!(after == bytes, "{name}: the image changed");
    let _ = std::fs::remove_file(&image);

    let has_volume = json["volumes"][0]["crosslinks"].is_array();
    let ours = if has_volume {
        without_bad_blocks(multiply_claimed(&json))
    } else {
        BlockMap::new()
    };
    let mut our_meta: BTreeSet<u64> = if has_volume {
        metadata_sharers(&json)
    } else {
        BTreeSet::new()
    };
    our_meta.remove(&BAD_BLOCKS_INO);
    let theirs = without_bad_blocks(parse_pass1b(&stdout));
    let their_meta = parse_pass1d_metadata(&stdout);

    // An image e2fsck passes gets nothing of medium or above that e2fsck
    // did not print too, unless e2fsck skipped the journal replay we did.
    if code == Some(0) && has_volume && !stdout.contains("skipping journal recovery") {
        for f in json["volumes"][0]["findings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let severity = f["severity"].as_str().unwrap_or_default();
            if !matches!(severity, "medium" | "high" | "critical") {
                continue;
            }
            let code = f["code"].as_str().unwrap_or_default();
            let printed = SAME_PROBLEM
                .iter()
                .any(|&(c, words)| c == code && (stdout.contains(words) || stderr.contains(words)));
            if !printed {
                notes.push(format!(
                    "e2fsck exits 0, we report {severity} {code}: {}",
                    f["message"]
                ));
            }
        }
    }

    // Pass 1B runs between passes 1 and 2: an e2fsck that stops later (a
    // missing root it may not allocate under -n) has answered already.
    let said = format!("{stdout}{stderr}");
    let aborted = (said.contains("e2fsck: aborted") || said.contains("Cannot proceed"))
        && !stdout.contains("Pass 2:")
        || code.is_none_or(|c| c == 8);
    let verdict = if aborted {
        // e2fsck's own repair run: what it found in pass 1B must be ours too.
        let expect = image_gz.with_file_name("expect.1");
        let repaired = std::fs::read_to_string(&expect).unwrap_or_default();
        let fy = without_bad_blocks(parse_pass1b(&repaired));
        let missing: Vec<String> = fy
            .iter()
            .filter(|(ino, blocks)| !ours.get(ino).is_some_and(|o| blocks.is_subset(o)))
            .map(|(ino, _)| format!("inode {ino}"))
            .collect();
        if missing.is_empty() {
            Verdict::NoAnswer(match code {
                None => "e2fsck -fn does not finish in 30 s".into(),
                Some(c) => format!("e2fsck -fn exits {c} before pass 1B can answer"),
            })
        } else {
            Verdict::Differs(format!(
                "e2fsck -fy's pass 1B (expect.1) names {} in blocks we do not report",
                missing.join(", ")
            ))
        }
    } else if ours == theirs && our_meta == their_meta {
        Verdict::Agree
    } else {
        Verdict::Differs(format!(
            "pass 1B: ours {{{}}} vs e2fsck {{{}}}; metadata sharers: ours {our_meta:?} vs e2fsck {their_meta:?}",
            summary(&ours),
            summary(&theirs)
        ))
    };
    Outcome {
        name,
        verdict,
        notes,
    }
}

fn main() {
    // The table of known differences is e2fsprogs 1.47.0's.
    let Some(dir) = common::fetched_suite(
        "E2FSPROGS_SUITE",
        "e2fsprogs-suite",
        "e2fsprogs-1.47.0",
        "f_dup",
    ) else {
        common::unavailable(
            "the e2fsprogs 1.47.0 test suite (run .ci/fetch-test-suites or set E2FSPROGS_SUITE)",
        );
        return;
    };
    if !common::have_tool("e2fsck") || !common::have_tool("timeout") || !common::have_tool("zcat") {
        return;
    }
    let mut images: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read the suite")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("image.gz"))
        .filter(|p| p.is_file())
        .collect();
    images.sort();
    assert!(
        images.len() >= 200,
        "only {} images in {}",
        images.len(),
        dir.display()
    );
    let work = tempfile::tempdir().expect("tempdir");
    let queue = Mutex::new(images.iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some(next) = queue.lock().expect("queue").next() else {
                        break;
                    };
                    let outcome = check_image(next, work.path());
                    results.lock().expect("results").push(outcome);
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by(|a, b| a.name.cmp(&b.name));

    let known = known_differences();
    let mut failures = Vec::new();
    let (mut agree, mut no_answer, mut blind) = (0, Vec::new(), 0);
    for r in &results {
        let row = known.get(&r.name);
        match (&r.verdict, row) {
            (Verdict::Agree, None) => agree += 1,
            (Verdict::Agree, Some(_)) => failures.push(format!(
                "{}: agrees with e2fsck now; remove its row from tests/data/e2fsprogs-suite.tsv",
                r.name
            )),
            (Verdict::NoAnswer(why), _) => no_answer.push(format!("{} ({why})", r.name)),
            (Verdict::Differs(_), Some((kind, _))) if kind == "blind" => blind += 1,
            (Verdict::Differs(what), _) => failures.push(format!("{}: {what}", r.name)),
        }
        if !r.notes.is_empty() && row.is_none_or(|(kind, _)| kind != "blind") {
            failures.extend(r.notes.iter().map(|n| format!("{}: {n}", r.name)));
        }
    }
    for name in known.keys() {
        if !results.iter().any(|r| &r.name == name) {
            failures.push(format!("{name}: in the table but not in the suite"));
        }
    }
    println!("e2fsprogs suite: no answer from e2fsck -fn (listed, not counted):");
    for n in &no_answer {
        println!("  {n}");
    }
    if !failures.is_empty() {
        panic!(
            "{} difference(s) with e2fsck:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    let counted = results.len() - no_answer.len();
    println!(
        "e2fsprogs suite: {agree} of {counted} images agree with e2fsck -fn pass 1B/1D, {blind} differ where e2fsck is blind (tests/data/e2fsprogs-suite.tsv), {} gave no answer",
        no_answer.len()
    );
}
