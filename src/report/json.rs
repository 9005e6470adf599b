//! The JSON contract of `scan --format json`. Field names are fixed (fields may
//! be added); docs/json.md documents it. Block numbers are filesystem blocks.

use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::{self, Claimer, Crosslink, ImageInfo, ScanResult};
use crate::model::{BlockNo, Filesystem, Finding, FsInfo, Inode, Severity, XfsPlace};
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

/// An item with block runs, and on XFS where those runs lie in `xfs_db`'s
/// terms (fsblock, AG, AG block, count).
#[derive(Serialize)]
struct Placed<'a, T> {
    #[serde(flatten)]
    item: &'a T,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    xfs: Vec<XfsPlace>,
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
pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
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
            crosslinks: v
                .crosslinks
                .iter()
                .map(|c| Placed {
                    xfs: v.filesystem.as_ref().map_or_else(Vec::new, |fs| {
                        fs.units.xfs_places(c.start_block, c.block_count)
                    }),
                    item: c,
                })
                .collect(),
            findings: v
                .findings
                .iter()
                .map(|f| Placed {
                    xfs: v.filesystem.as_ref().map_or_else(Vec::new, |fs| {
                        f.blocks
                            .iter()
                            .flat_map(|&[s, l]| fs.units.xfs_places(s, l))
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
    write(out, &report)
}

/// `block --format json`: who claims one block.
pub fn block(fs: &Filesystem, block: BlockNo, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct BlockReport {
        block: BlockNo,
        in_filesystem: bool,
        /// As the block bitmap says; null when unknown.
        allocated: Option<bool>,
        claimers: Vec<Claimer>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        xfs: Vec<XfsPlace>,
    }
    write(
        out,
        &BlockReport {
            block,
            in_filesystem: block >= fs.first_data_block && block < fs.info.block_count,
            allocated: analysis::allocated(fs, block),
            claimers: analysis::claimers_of(fs, block),
            xfs: fs.units.xfs_places(block, 1),
        },
    )
}

/// `inode --format json`: the inode as the model holds it, with the shared
/// runs it takes part in.
pub fn inode(
    fs: &Filesystem,
    crosslinks: &[Crosslink],
    n: &Inode,
    out: &mut dyn Write,
) -> io::Result<()> {
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
    write(
        out,
        &InodeReport {
            inode: n,
            paths: fs.paths(n),
            runs: fs
                .runs_of(n)
                .iter()
                .map(|r| Placed {
                    xfs: fs.units.xfs_places(r.start, r.len),
                    item: r,
                })
                .collect(),
            in_use: !n.deleted,
            crosslinks: involved,
        },
    )
}

/// `inode --format json` for an inode that is not in use.
pub fn inode_not_in_use(ino: u64, out: &mut dyn Write) -> io::Result<()> {
    write(out, &serde_json::json!({ "ino": ino, "in_use": false }))
}

/// The JSON for an image that could not be opened at all.
pub fn render_error(path: &str, error: &str, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Failed<'a> {
        tool: Tool,
        image: ImageInfo,
        partition_table: Option<()>,
        volumes: [(); 0],
        summary: Summary,
        error: &'a str,
    }
    write(
        out,
        &Failed {
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
        },
    )
}

fn tool() -> Tool {
    Tool {
        name: "imginspect",
        version: env!("CARGO_PKG_VERSION"),
    }
}

fn write<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(out, value).map_err(io::Error::from)
}
