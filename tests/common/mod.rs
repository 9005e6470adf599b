//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

pub mod e2fsck;

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The path of a committed sample image, for a command line.
pub fn sample_path(name: &str) -> String {
    samples_dir()
        .join(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// The codes of every finding of a scan.
pub fn codes(
    result: &imginspect::analysis::ScanResult,
) -> std::collections::BTreeSet<&'static str> {
    result.findings().map(|f| f.code.name()).collect()
}

/// The codes of volume 0's findings in `scan --format json` output.
pub fn json_codes(json: &serde_json::Value) -> std::collections::BTreeSet<String> {
    json["volumes"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect()
}

/// Runs an outside tool, failing the test unless it succeeds; its stdout.
pub fn run_ok(program: &str, args: &[&str]) -> String {
    let out = tool(program, args);
    assert!(
        out.status.success(),
        "{}",
        describe(&format!("{program} {args:?}"), &out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The repository's sample-images directory.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images")
}

/// Every sample image with the exit status e2fsck -fn gives it and the finding
/// codes imginspect must report, from sample-images/expected.tsv.
pub fn expected() -> Vec<(String, i32, Vec<String>)> {
    let text = std::fs::read_to_string(samples_dir().join("expected.tsv")).expect("expected.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut cols = l.split('\t');
            let name = cols.next().unwrap_or_default().to_string();
            let exit = cols.next().unwrap_or("0").parse().expect("e2fsck exit");
            let codes = cols
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            (name, exit, codes)
        })
        .collect()
}

/// The disk, FAT and EROFS samples of sample-images/disks.tsv and
/// erofs.tsv (first column).
pub fn disk_samples() -> Vec<String> {
    ["disks.tsv", "erofs.tsv"]
        .iter()
        .flat_map(|tsv| {
            let text = std::fs::read_to_string(samples_dir().join(tsv)).expect(tsv);
            text.lines()
                .skip(1) // the header
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .filter_map(|l| l.split('\t').next().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A journal sample (sample-images/journal.tsv): e2fsck -fn's exit on the
/// image and on a copy replayed by `debugfs -w -R jr`, the blocks that replay
/// changes there, and the finding codes imginspect reports.
pub struct JournalSample {
    pub name: String,
    pub e2fsck_before: i32,
    pub e2fsck_after: i32,
    pub changed_blocks: Vec<u64>,
    pub codes: Vec<String>,
}

pub fn journal_samples() -> Vec<JournalSample> {
    let text = std::fs::read_to_string(samples_dir().join("journal.tsv")).expect("journal.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let list = |i: usize| -> Vec<String> {
                cols.get(i)
                    .unwrap_or(&"")
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let changed_blocks = list(3)
                .iter()
                .flat_map(|r| match r.split_once('-') {
                    Some((a, b)) => a.parse::<u64>().unwrap()..=b.parse().unwrap(),
                    None => r.parse::<u64>().unwrap()..=r.parse().unwrap(),
                })
                .collect();
            JournalSample {
                name: cols[0].to_string(),
                e2fsck_before: cols[1].parse().expect("e2fsck exit"),
                e2fsck_after: cols[2].parse().expect("e2fsck exit"),
                changed_blocks,
                codes: list(4),
            }
        })
        .collect()
}

/// Every block an inode's runs claim, in run order (one entry per block:
/// for comparing with tools that list blocks, on small sample files only).
pub fn run_blocks(
    fs: &imginspect::model::Filesystem,
    inode: &imginspect::model::Inode,
) -> Vec<u64> {
    fs.runs_of(inode)
        .iter()
        .flat_map(|r| r.start..r.start + r.len)
        .collect()
}

/// Runs the imginspect binary.
pub fn imginspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imginspect"))
        .args(args)
        .output()
        .expect("run imginspect")
}

/// True if `tool` can be run. When it cannot: under CI (`CI=true`) the test
/// fails, because a skipped check is not a passing check; on a developer's
/// machine it prints why and the caller skips.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .env("PATH", tool_path())
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        unavailable(&format!(
            "{tool} is not installed (under CI install it in .ci/run)"
        ));
    }
    found
}

/// Says that a test cannot run here: under CI (`CI=true`) by failing it, as a
/// skipped check is not a passing check; elsewhere by printing `SKIPPED:` (the
/// caller then returns).
pub fn unavailable(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("required under CI: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// The `tests` directory of another project's source, unpacked by
/// `.ci/fetch-test-suites` into `target/UNDER/PREFIX…/` (or named by the
/// environment variable `env`), when it holds `marker`.
pub fn fetched_suite(env: &str, under: &str, prefix: &str, marker: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os(env) {
        Some(dir) => PathBuf::from(dir),
        None => std::fs::read_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target")
                .join(under),
        )
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path().join("tests"))
        .find(|p| p.join(marker).exists())?,
    };
    dir.join(marker).exists().then_some(dir)
}

/// A failed command's status and output, for an assertion message.
pub fn describe(what: &str, out: &Output) -> String {
    format!(
        "{what}: status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// PATH with the sbin directories where e2fsprogs lives.
pub fn tool_path() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{path}:/usr/sbin:/sbin")
}

/// Runs an outside tool with the sbin directories on PATH.
pub fn tool(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env("PATH", tool_path())
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

/// JSON of `imginspect scan --format json IMAGE`.
pub fn scan_json(image: &Path) -> serde_json::Value {
    let out = imginspect(&[
        "scan",
        "--format",
        "json",
        image.to_str().expect("utf-8 path"),
    ]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "scan of {} gave no JSON ({e}): {}",
            image.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Scans bytes held in memory (a sample image edited by a test).
pub fn scan_bytes(bytes: &[u8]) -> imginspect::analysis::ScanResult {
    imginspect::analysis::scan_view(
        "test",
        &imginspect::image::View::from_bytes(bytes),
        &imginspect::analysis::ScanOptions::default(),
        &imginspect::fs::NoProgress,
    )
}

/// The bytes of a sample image.
pub fn sample_bytes(name: &str) -> Vec<u8> {
    std::fs::read(samples_dir().join(name)).expect("sample image")
}

/// xorshift64*: a seeded generator, so that every failure can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Unpacks `name.img.xz` into `dir` as a sparse file (runs of zeros are
/// skipped, not written). None (and SKIPPED) without xz.
pub fn unpack_xz(dir: &Path, name: &str) -> Option<PathBuf> {
    if !have_tool("xz") {
        return None;
    }
    let out = dir.join(format!("{name}.img"));
    let mut child = Command::new("xz")
        .args(["-dc"])
        .arg(samples_dir().join(format!("{name}.img.xz")))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut file = std::fs::File::create(&out).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            let n = stdout.read(&mut buf[filled..]).unwrap();
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        if buf[..filled].iter().all(|&b| b == 0) {
            file.seek(std::io::SeekFrom::Current(filled as i64))
                .unwrap();
        } else {
            file.write_all(&buf[..filled]).unwrap();
        }
        len += filled as u64;
    }
    file.set_len(len).unwrap();
    assert!(child.wait().unwrap().success(), "xz -dc {name}");
    Some(out)
}
