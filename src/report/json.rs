//! The JSON contract: `scan --format json`, `block --format json` and
//! `inode --format json`. This module owns it: the documents are made of
//! the wire types in [`wire`], converted here from the model and the
//! analysis, so that nothing else decides a key, a value or an order.
//! Field names are fixed (fields may be added); docs/json.md documents
//! every one. Block numbers are filesystem blocks.

mod names;
mod wire;

use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::{self, Claimer, Crosslink, ScanResult, VolumeResult};
use crate::model::{BlockNo, Filesystem, Finding, FsInfo, Inode, Replay, Severity, Units};
use crate::volume::{Partition, PartitionTable};

pub use wire::SCHEMA_VERSION;

/// `scan --format json`: the scan result as the contract's report.
pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let report = wire::Report {
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        image: wire::Image {
            path: &result.image.path,
            size_bytes: result.image.size_bytes,
            sha256: result.image.sha256.as_deref(),
        },
        partition_table: result.partition_table.as_ref().map(partition_table),
        volumes: result.volumes.iter().map(volume).collect(),
        summary: wire::Summary {
            volumes: result.volumes.len(),
            crosslinked_blocks: result.crosslinked_blocks(),
            findings: wire::Counts {
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

/// `scan --format json` for an image that could not be opened at all.
pub fn render_error(path: &str, error: &str, out: &mut dyn Write) -> io::Result<()> {
    let report = wire::Report {
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        image: wire::Image {
            path,
            size_bytes: 0,
            sha256: None,
        },
        partition_table: None,
        volumes: Vec::new(),
        summary: wire::Summary {
            volumes: 0,
            crosslinked_blocks: 0,
            findings: wire::Counts {
                critical: 0,
                high: 0,
                medium: 0,
                low: 0,
                info: 0,
            },
        },
        error: Some(error),
    };
    write(out, &report)
}

/// `block --format json`: who claims one block.
pub fn block(fs: &Filesystem, block: BlockNo, out: &mut dyn Write) -> io::Result<()> {
    let claimers = analysis::claimers_of(fs, block);
    write(
        out,
        &wire::BlockReport {
            block,
            in_filesystem: block >= fs.first_data_block && block < fs.info.block_count,
            allocated: analysis::allocated(fs, block),
            claimers: claimers.iter().map(claimer).collect(),
            xfs: grouped_places(Some(&fs.units), block, 1),
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
    let involves = |c: &&Crosslink| {
        c.claimers
            .iter()
            .any(|cl| matches!(cl, Claimer::Inode { inode, .. } if *inode == n.ino))
    };
    let runs = fs.runs_of(n).iter().map(|r| wire::Run {
        logical: r.logical,
        start: r.start,
        len: r.len,
        role: names::role(r.role),
        unwritten: r.unwritten,
        xfs: grouped_places(Some(&fs.units), r.start, r.len),
    });
    write(
        out,
        &wire::InodeReport {
            ino: n.ino,
            file_type: names::file_type(n.file_type),
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            size: n.size,
            links: n.links,
            atime: n.atime,
            mtime: n.mtime,
            ctime: n.ctime,
            crtime: n.crtime,
            sectors: n.sectors,
            flags: n.flags,
            hidden: n.hidden.map(names::hidden),
            deleted: n.deleted,
            released_at_mount: n.released_at_mount.map(names::release),
            paths: fs.paths(n),
            runs: runs.collect(),
            in_use: !n.deleted,
            // The inode report places no cross-link in XFS terms: its runs are.
            crosslinks: crosslinks
                .iter()
                .filter(involves)
                .map(|c| crosslink(c, None))
                .collect(),
        },
    )
}

/// `inode --format json` for an inode that is not in use.
pub fn inode_not_in_use(ino: u64, out: &mut dyn Write) -> io::Result<()> {
    write(out, &wire::InodeNotInUse { in_use: false, ino })
}

fn tool() -> wire::Tool {
    wire::Tool {
        name: "imginspect",
        version: env!("CARGO_PKG_VERSION"),
    }
}

fn volume(v: &VolumeResult) -> wire::Volume<'_> {
    let units = v.filesystem.as_ref().map(|fs| &fs.units);
    wire::Volume {
        index: v.index,
        offset_bytes: v.offset_bytes,
        length_bytes: v.length_bytes,
        partition: v.partition.as_ref().map(partition),
        filesystem: v.filesystem.as_ref().map(|fs| filesystem(&fs.info)),
        error: v.error.as_deref(),
        unsupported_format: v.unsupported.as_deref(),
        crosslinks: v.crosslinks.iter().map(|c| crosslink(c, units)).collect(),
        findings: v.findings.iter().map(|f| finding(f, units)).collect(),
        journal: v.replay.as_deref().map(|j| journal(j, v.replayed)),
    }
}

fn partition_table(t: &PartitionTable) -> wire::PartitionTable<'_> {
    wire::PartitionTable {
        scheme: names::scheme(t.scheme),
        sector_size: t.sector_size,
        disk_guid: t.disk_guid.as_deref(),
        partitions: t.partitions.iter().map(partition).collect(),
        regions: t
            .regions
            .iter()
            .map(|r| wire::TableRegion {
                start_lba: r.start_lba,
                sectors: r.sectors,
                what: r.what,
            })
            .collect(),
        // Sectors of the disk, not blocks of a filesystem: never placed in XFS terms.
        findings: t.findings.iter().map(|f| finding(f, None)).collect(),
    }
}

fn partition(p: &Partition) -> wire::Partition<'_> {
    wire::Partition {
        scheme: names::scheme(p.scheme),
        number: p.number,
        type_name: &p.type_name,
        type_id: &p.type_id,
        name: &p.name,
        start_lba: p.start_lba,
        sectors: p.sectors,
    }
}

fn filesystem(info: &FsInfo) -> wire::Filesystem<'_> {
    wire::Filesystem {
        fs_type: &info.fs_type,
        block_size: info.block_size,
        block_count: info.block_count,
        inode_count: info.inode_count,
        label: &info.label,
        uuid: &info.uuid,
        features: &info.features,
        groups: info.groups,
        inodes_in_use: info.inodes_in_use,
    }
}

/// A cross-link; with `units`, placed in XFS terms where the format is XFS.
fn crosslink<'a>(c: &'a Crosslink, units: Option<&Units>) -> wire::Crosslink<'a> {
    wire::Crosslink {
        start_block: c.start_block,
        block_count: c.block_count,
        claimers: c.claimers.iter().map(claimer).collect(),
        claimer_count: c.claimer_count,
        legitimate: c.legitimate,
        reason: &c.reason,
        xfs: grouped_places(units, c.start_block, c.block_count),
    }
}

fn claimer(c: &Claimer) -> wire::Claimer<'_> {
    match c {
        Claimer::Inode {
            inode,
            paths,
            role,
            logical_block,
            mode,
            uid,
            gid,
            released_at_mount,
            blocks,
        } => wire::Claimer::Inode {
            inode: *inode,
            paths,
            role: names::role(*role),
            logical_block: *logical_block,
            mode,
            uid: *uid,
            gid: *gid,
            released_at_mount: released_at_mount.map(names::release),
            blocks,
        },
        Claimer::Metadata { role, group } => wire::Claimer::Metadata {
            role: names::meta_role(*role),
            group: *group,
        },
    }
}

/// A finding; with `units`, its blocks placed in XFS terms where the format is XFS.
fn finding<'a>(f: &'a Finding, units: Option<&Units>) -> wire::Finding<'a> {
    wire::Finding {
        severity: names::severity(f.severity),
        code: f.code.name(),
        message: &f.message,
        inodes: &f.inodes,
        blocks: &f.blocks,
        after_replay: f.after_replay,
        before_replay: f.before_replay,
        xfs: f
            .blocks
            .iter()
            .flat_map(|&[start, len]| grouped_places(units, start, len))
            .collect(),
    }
}

/// The journal replay; `replayed` when the volume is described through it.
fn journal(j: &Replay, replayed: bool) -> wire::Journal<'_> {
    wire::Journal {
        needs_recovery: j.needs_recovery,
        view: if replayed { "replayed" } else { "on_disk" },
        first_sequence: j.first_sequence,
        transactions: j
            .transactions
            .iter()
            .map(|t| wire::Transaction {
                sequence: t.sequence,
                journal_block: t.journal_block,
                tags: t.tags,
                revokes: t.revokes,
                committed: t.committed,
            })
            .collect(),
        revoked_blocks: j.revoked_blocks,
        end: &j.end,
        replayed_blocks: j
            .replayed
            .iter()
            .map(|b| wire::ReplayedBlock {
                block: b.block,
                journal_block: b.journal_block,
                sequence: b.sequence,
                what: &b.what,
                inodes_changed: &b.inodes_changed,
            })
            .collect(),
    }
}

/// Where a run lies in `xfs_db`'s terms: a piece per allocation group on
/// XFS, nothing on other formats (or without `units`).
/// Where a run lies in the format's grouped numbering (XFS fsblocks and
/// AGs), under the contract's `xfs` key; empty for other numberings.
fn grouped_places(units: Option<&Units>, start: BlockNo, len: u64) -> Vec<wire::GroupedPlace> {
    let Some(units) = units else {
        return Vec::new();
    };
    units
        .grouped_places(start, len)
        .into_iter()
        .map(|p| wire::GroupedPlace {
            fsblock: p.address,
            ag: p.group,
            ag_block: p.group_block,
            count: p.count,
        })
        .collect()
}

fn write<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(out, value).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    /// Every wire type of `wire.rs` with its JSON field names in order: the
    /// fields of a struct, or of every variant of an enum after its serde
    /// `tag`, each once, `#[serde(rename)]` applied; and the fields that
    /// have no rustdoc. Relies on the file's plain layout: items at the
    /// start of a line, closed by a lone `}`.
    fn wire_fields() -> (BTreeMap<String, Vec<String>>, Vec<String>) {
        let mut types = BTreeMap::new();
        let mut undocumented = Vec::new();
        let mut current: Option<(String, Vec<String>)> = None;
        let (mut rename, mut tag, mut documented) = (None, None, false);
        for line in include_str!("json/wire.rs").lines() {
            let trimmed = line.trim();
            if trimmed.starts_with("///") {
                documented = true;
                continue;
            }
            if trimmed.starts_with("#[serde(") {
                let quoted = |key: &str| {
                    let (_, rest) = trimmed.split_once(key)?;
                    rest.split('"').nth(1).map(str::to_string)
                };
                rename = quoted("rename = ").or(rename);
                tag = quoted("tag = ").or(tag);
                continue;
            }
            if let Some(item) = line
                .strip_prefix("pub struct ")
                .or_else(|| line.strip_prefix("pub enum "))
            {
                let name: String = item
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                current = Some((name, tag.take().into_iter().collect()));
            } else if line == "}" {
                if let Some((name, fields)) = current.take() {
                    types.insert(name, fields);
                }
            } else if let Some((item, fields)) = current.as_mut() {
                let field = trimmed.strip_prefix("pub ").unwrap_or(trimmed);
                let ident = field.split_once(": ").map(|(ident, _)| ident);
                if let Some(ident) = ident.filter(|i| {
                    i.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                }) {
                    let name = rename.take().unwrap_or_else(|| ident.to_string());
                    if !documented {
                        undocumented.push(format!("{item}.{name}"));
                    }
                    if !fields.contains(&name) {
                        fields.push(name);
                    }
                }
            }
            if !trimmed.starts_with("#[") {
                documented = false;
            }
        }
        (types, undocumented)
    }

    /// Every `### Type` of the field reference in docs/json.md with the
    /// fields its table lists (rows that start with a backquoted name).
    fn documented_fields() -> BTreeMap<String, Vec<String>> {
        let doc = include_str!("../../docs/json.md");
        let (_, reference) = doc
            .split_once("\n## Field reference\n")
            .expect("docs/json.md has a field reference");
        let mut types = BTreeMap::new();
        let mut current: Option<&mut Vec<String>> = None;
        for line in reference.lines() {
            if let Some(heading) = line.strip_prefix("### ") {
                let name = heading.split_whitespace().next().unwrap_or_default();
                current = Some(types.entry(name.to_string()).or_default());
            } else if let (Some((field, _)), Some(fields)) = (
                line.strip_prefix("| `").and_then(|row| row.split_once('`')),
                current.as_mut(),
            ) {
                fields.push(field.to_string());
            }
        }
        types
    }

    #[test]
    fn every_wire_field_has_rustdoc() {
        let (_, undocumented) = wire_fields();
        assert!(undocumented.is_empty(), "no rustdoc: {undocumented:?}");
    }

    #[test]
    fn docs_json_md_documents_every_wire_field_and_no_other() {
        let (wire, _) = wire_fields();
        assert!(wire.contains_key("Report") && wire["Claimer"].contains(&"kind".to_string()));
        assert!(wire["Partition"].contains(&"type".to_string()));
        let documented = documented_fields();
        let mut problems = Vec::new();
        for (name, fields) in &wire {
            match documented.get(name) {
                None => problems.push(format!("`### {name}` is missing")),
                Some(listed) if listed != fields => problems.push(format!(
                    "{name}: the wire has {fields:?}, the table lists {listed:?}"
                )),
                Some(_) => {}
            }
        }
        for name in documented.keys().filter(|n| !wire.contains_key(*n)) {
            problems.push(format!("`### {name}` documents no wire type"));
        }
        assert!(
            problems.is_empty(),
            "docs/json.md and src/report/json/wire.rs disagree:\n{}",
            problems.join("\n")
        );
    }
}
