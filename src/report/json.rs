//! The JSON contract of `scan --format json`. Field names are fixed (fields may
//! be added); docs/json.md documents it. Block numbers are filesystem blocks.

use serde::Serialize;

use crate::analysis::{self, Claimer, Crosslink, ImageInfo, ScanResult};
use crate::model::{BlockNo, Filesystem, Finding, FsInfo, GroupedPlace, Inode, Severity, Units};
use crate::model::{ReplayedBlock, Transaction};
use crate::volume::{Partition, PartitionTable};

#[derive(Serialize)]
struct Report<'a> {
    tool: Tool,
    image: &'a ImageInfo,
    /// The partition table, null for a bare filesystem.
    partition_table: Option<&'a PartitionTable>,
    volumes: Vec<Volume<'a>>,
    summary: Summary,
    /// Present when the image could not be scanned at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Volume<'a> {
    index: usize,
    offset_bytes: u64,
    length_bytes: u64,
    /// The partition this volume is; null for a bare filesystem.
    partition: Option<&'a Partition>,
    filesystem: Option<&'a FsInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// The format the volume holds when it is recognised but not parsed yet,
    /// with its version ("squashfs 4.0"); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    unsupported_format: Option<&'a str>,
    crosslinks: Vec<Placed<'a, Crosslink>>,
    findings: Vec<Placed<'a, Finding>>,
    /// The ext journal, when it needs recovery; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    journal: Option<JournalReport<'a>>,
}

/// What the journal holds and what its replay writes.
#[derive(Serialize)]
struct JournalReport<'a> {
    needs_recovery: bool,
    /// `replayed`: the filesystem above is the one the kernel will mount;
    /// `on_disk`: the bytes as they lie (`--journal ignore`, or nothing to replay).
    view: &'static str,
    first_sequence: u32,
    transactions: &'a [Transaction],
    revoked_blocks: usize,
    /// Why the walk of the log ended where it did.
    end: &'a str,
    /// Every filesystem block replay writes, what it is, and which inodes change.
    replayed_blocks: &'a [ReplayedBlock],
}

/// An item with block runs, and, where the format numbers its blocks by
/// group, where those runs lie in the format's own terms.
#[derive(Serialize)]
struct Placed<'a, T> {
    #[serde(flatten)]
    item: &'a T,
    #[serde(rename = "xfs", skip_serializing_if = "Vec::is_empty")]
    grouped: Vec<GroupedWire>,
}

/// One run inside one group, under the key the contract has used since XFS
/// brought grouped numbering (`xfs`): the format's own address (`fsblock`,
/// as xfs_db prints it), the group (`ag`), the block in the group
/// (`ag_block`) and the run's length there.
#[derive(Serialize)]
struct GroupedWire {
    fsblock: u64,
    ag: u64,
    ag_block: u64,
    count: u64,
}

impl From<GroupedPlace> for GroupedWire {
    fn from(p: GroupedPlace) -> GroupedWire {
        GroupedWire {
            fsblock: p.address,
            ag: p.group,
            ag_block: p.group_block,
            count: p.count,
        }
    }
}

/// A run's places in the format's grouped numbering (none elsewhere).
fn grouped(units: &Units, start: BlockNo, len: u64) -> Vec<GroupedWire> {
    units
        .grouped_places(start, len)
        .into_iter()
        .map(GroupedWire::from)
        .collect()
}

#[derive(Serialize)]
struct Summary {
    volumes: usize,
    crosslinked_blocks: u64,
    findings: Counts,
}

#[derive(Serialize)]
struct Counts {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

/// The scan result as the JSON contract.
pub fn render(result: &ScanResult) -> String {
    let volumes = result
        .volumes
        .iter()
        .map(|v| Volume {
            index: v.index,
            offset_bytes: v.offset_bytes,
            length_bytes: v.length_bytes,
            partition: v.partition.as_ref(),
            filesystem: v.filesystem.as_ref().map(|f| &f.info),
            error: v.error.as_deref(),
            unsupported_format: v.unsupported.as_deref(),
            crosslinks: v
                .crosslinks
                .iter()
                .map(|c| Placed {
                    grouped: v.filesystem.as_ref().map_or_else(Vec::new, |fs| {
                        grouped(&fs.units, c.start_block, c.block_count)
                    }),
                    item: c,
                })
                .collect(),
            findings: v
                .findings
                .iter()
                .map(|f| Placed {
                    grouped: v.filesystem.as_ref().map_or_else(Vec::new, |fs| {
                        f.blocks
                            .iter()
                            .flat_map(|&[s, l]| grouped(&fs.units, s, l))
                            .collect()
                    }),
                    item: f,
                })
                .collect(),
            journal: v.replay.as_deref().map(|j| JournalReport {
                needs_recovery: j.needs_recovery,
                view: if v.replayed { "replayed" } else { "on_disk" },
                first_sequence: j.first_sequence,
                transactions: &j.transactions,
                revoked_blocks: j.revoked_blocks,
                end: &j.end,
                replayed_blocks: &j.replayed,
            }),
        })
        .collect();
    let report = Report {
        tool: tool(),
        image: &result.image,
        partition_table: result.partition_table.as_ref(),
        volumes,
        summary: Summary {
            volumes: result.volumes.len(),
            crosslinked_blocks: result.crosslinked_blocks(),
            findings: Counts {
                critical: result.count(Severity::Critical),
                high: result.count(Severity::High),
                medium: result.count(Severity::Medium),
                low: result.count(Severity::Low),
                info: result.count(Severity::Info),
            },
        },
        error: None,
    };
    to_string(&report)
}

/// `block --format json`: who claims one block.
pub fn block(fs: &Filesystem, block: BlockNo) -> String {
    #[derive(Serialize)]
    struct BlockReport {
        block: BlockNo,
        in_filesystem: bool,
        /// As the block bitmap says; null when unknown.
        allocated: Option<bool>,
        claimers: Vec<Claimer>,
        #[serde(rename = "xfs", skip_serializing_if = "Vec::is_empty")]
        grouped: Vec<GroupedWire>,
    }
    to_string(&BlockReport {
        block,
        in_filesystem: block >= fs.first_data_block && block < fs.info.block_count,
        allocated: analysis::allocated(fs, block),
        claimers: analysis::claimers_of(fs, block),
        grouped: grouped(&fs.units, block, 1),
    })
}

/// `inode --format json`: the inode as the model holds it, with the shared
/// runs it takes part in.
pub fn inode(fs: &Filesystem, crosslinks: &[Crosslink], n: &Inode) -> String {
    #[derive(Serialize)]
    struct InodeReport<'a> {
        #[serde(flatten)]
        inode: &'a Inode,
        paths: Vec<String>,
        runs: Vec<Placed<'a, crate::model::BlockRun>>,
        in_use: bool,
        crosslinks: Vec<&'a Crosslink>,
    }
    let involved = crosslinks
        .iter()
        .filter(|c| {
            c.claimers
                .iter()
                .any(|cl| matches!(cl, Claimer::Inode { inode, .. } if *inode == n.ino))
        })
        .collect();
    to_string(&InodeReport {
        inode: n,
        paths: fs.paths(n),
        runs: fs
            .runs_of(n)
            .iter()
            .map(|r| Placed {
                grouped: grouped(&fs.units, r.start, r.len),
                item: r,
            })
            .collect(),
        in_use: !n.deleted,
        crosslinks: involved,
    })
}

/// `inode --format json` for an inode that is not in use.
pub fn inode_not_in_use(ino: u64) -> String {
    to_string(&serde_json::json!({ "ino": ino, "in_use": false }))
}

/// The JSON for an image that could not be opened at all.
pub fn render_error(path: &str, error: &str) -> String {
    #[derive(Serialize)]
    struct Failed<'a> {
        tool: Tool,
        image: ImageInfo,
        partition_table: Option<()>,
        volumes: [(); 0],
        summary: Summary,
        error: &'a str,
    }
    to_string(&Failed {
        tool: tool(),
        image: ImageInfo {
            path: path.to_string(),
            size_bytes: 0,
            sha256: None,
        },
        partition_table: None,
        volumes: [],
        summary: Summary {
            volumes: 0,
            crosslinked_blocks: 0,
            findings: Counts {
                critical: 0,
                high: 0,
                medium: 0,
                low: 0,
                info: 0,
            },
        },
        error,
    })
}

fn tool() -> Tool {
    Tool {
        name: "imginspect",
        version: env!("CARGO_PKG_VERSION"),
    }
}

fn to_string<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail (no maps with non-string keys).
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
