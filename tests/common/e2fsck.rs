//! e2fsck's pass 1B and 1D output, and imginspect's JSON read the same way,
//! so that the two can be compared set for set.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// inode number → set of filesystem blocks.
pub type BlockMap = BTreeMap<u64, BTreeSet<u64>>;

/// Parses e2fsck's pass 1B lines
/// `Multiply-claimed block(s) in inode N: B1 B2--B3 ...` (ranges inclusive).
pub fn parse_pass1b(output: &str) -> BlockMap {
    let mut map = BlockMap::new();
    for line in output.lines() {
        let Some(rest) = line
            .trim()
            .strip_prefix("Multiply-claimed block(s) in inode ")
        else {
            continue;
        };
        let (ino, blocks) = rest
            .split_once(':')
            .unwrap_or_else(|| panic!("unexpected pass 1B line: {line}"));
        let ino: u64 = ino.trim().parse().expect("pass 1B inode number");
        let set = map.entry(ino).or_default();
        for word in blocks.split_whitespace() {
            let (a, b) = word.split_once("--").unwrap_or((word, word));
            let a: u64 = a
                .parse()
                .unwrap_or_else(|_| panic!("pass 1B block in {line}"));
            let b: u64 = b
                .parse()
                .unwrap_or_else(|_| panic!("pass 1B block in {line}"));
            assert!(a <= b, "backwards range in {line}");
            set.extend(a..=b);
        }
    }
    map
}

/// Parses e2fsck's pass 1D paragraphs
/// ```text
/// File /x (inode #14, mod time ...)
///   has 4 multiply-claimed block(s), shared with 1 file(s):
///     <filesystem metadata>
/// ```
/// and returns the inodes said to share blocks with `<filesystem metadata>`.
pub fn parse_pass1d_metadata(output: &str) -> BTreeSet<u64> {
    let mut result = BTreeSet::new();
    let lines: Vec<&str> = output.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if !line.starts_with("File ") {
            continue;
        }
        let Some(pos) = line.rfind("(inode #") else {
            continue;
        };
        let ino: u64 = line[pos + "(inode #".len()..]
            .split(',')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("pass 1D inode number in {line}"));
        let Some(has) = lines.get(i) else { break };
        let Some((_, count)) = has.split_once("shared with ") else {
            continue;
        };
        i += 1;
        let count: usize = count
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("pass 1D sharer count in {has}"));
        for sharer in lines.iter().skip(i).take(count) {
            if sharer.trim() == "<filesystem metadata>" {
                result.insert(ino);
            }
        }
        i += count;
    }
    result
}

pub fn crosslinks(json: &Value) -> &Vec<Value> {
    json["volumes"][0]["crosslinks"]
        .as_array()
        .expect("volumes[0].crosslinks is an array")
}

pub fn findings(json: &Value) -> &Vec<Value> {
    json["volumes"][0]["findings"]
        .as_array()
        .expect("volumes[0].findings is an array")
}

pub fn inode_claimers(crosslink: &Value) -> impl Iterator<Item = &Value> {
    crosslink["claimers"]
        .as_array()
        .expect("claimers is an array")
        .iter()
        .filter(|c| c["kind"] == "inode")
}

pub fn crosslink_blocks(crosslink: &Value) -> std::ops::Range<u64> {
    let start = crosslink["start_block"].as_u64().expect("start_block");
    let count = crosslink["block_count"].as_u64().expect("block_count");
    assert!(count > 0, "empty crosslink: {crosslink}");
    start..start + count
}

/// Inode claimers that e2fsck's pass 1 does not count: an orphan that mount
/// deletes (links 0) is, to `e2fsck -n`, an inode already deleted.
fn counted_by_e2fsck(claimer: &Value) -> bool {
    claimer["released_at_mount"] != "delete"
}

/// The blocks a claimer of `crosslink` maps there: its own `blocks` (a
/// bigalloc cluster shared whole) or the whole crosslink run.
fn claimer_blocks(crosslink: &Value, claimer: &Value) -> Vec<u64> {
    match claimer["blocks"].as_array() {
        Some(runs) => runs
            .iter()
            .flat_map(|r| {
                let s = r[0].as_u64().expect("run start");
                s..s + r[1].as_u64().expect("run length")
            })
            .collect(),
        None => crosslink_blocks(crosslink).collect(),
    }
}

/// imginspect's equivalent of e2fsck pass 1B: every inode that is a claimer
/// in a crosslink that is not legitimate, with the blocks of those crosslinks;
/// claims e2fsck -n does not count (orphans mount deletes) are left out, and
/// a crosslink left with one claimer says nothing.
pub fn multiply_claimed(json: &Value) -> BlockMap {
    let mut map = BlockMap::new();
    for x in crosslinks(json) {
        let legitimate = x["legitimate"].as_bool().expect("legitimate is a bool");
        if legitimate {
            continue;
        }
        let all = x["claimers"].as_array().expect("claimers");
        let counted = all
            .iter()
            .filter(|c| c["kind"] != "inode" || counted_by_e2fsck(c))
            .count();
        if counted < 2 && x["claimers"][0]["blocks"].is_null() {
            continue;
        }
        for c in inode_claimers(x).filter(|c| counted_by_e2fsck(c)) {
            let ino = c["inode"].as_u64().expect("claimer inode");
            map.entry(ino).or_default().extend(claimer_blocks(x, c));
        }
    }
    map
}

/// Inodes imginspect lists in a crosslink together with a metadata claimer.
pub fn metadata_sharers(json: &Value) -> BTreeSet<u64> {
    let mut set = BTreeSet::new();
    for x in crosslinks(json) {
        let claimers = x["claimers"].as_array().expect("claimers");
        if claimers.iter().any(|c| c["kind"] == "metadata") {
            set.extend(
                inode_claimers(x)
                    .filter(|c| counted_by_e2fsck(c))
                    .map(|c| c["inode"].as_u64().expect("inode")),
            );
        }
    }
    set
}
