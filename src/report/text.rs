//! The human-readable reports: `scan`, `block` and `inode`.

use std::io::{self, Write};

use crate::analysis::{self, Claimer, ScanResult, VolumeResult};
use crate::model::{BlockNo, Filesystem, Finding, Inode, Severity, mode_string};
use crate::report::describe;
use crate::report::sanitize::for_terminal as safe;
use crate::volume::{Partition, PartitionTable};

/// The `scan` report.
pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "image    {} ({} bytes)",
        safe(&result.image.path),
        result.image.size_bytes
    )?;
    if let Some(h) = &result.image.sha256 {
        writeln!(out, "sha256   {h}")?;
    }
    if let Some(t) = &result.partition_table {
        partition_table(out, t)?;
    }
    for v in &result.volumes {
        volume(out, v)?;
    }
    writeln!(
        out,
        "\nsummary  {} cross-linked blocks; findings: {}",
        result.crosslinked_blocks(),
        Severity::ALL_DESCENDING
            .iter()
            .map(|&s| format!("{} {}", result.count(s), s.name()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn partition_table(out: &mut dyn Write, t: &PartitionTable) -> io::Result<()> {
    writeln!(
        out,
        "table    {}, {}-byte sectors, {} partition{}{}",
        t.scheme.name(),
        t.sector_size,
        t.partitions.len(),
        if t.partitions.len() == 1 { "" } else { "s" },
        t.disk_guid
            .as_ref()
            .map(|g| format!(", disk GUID {g}"))
            .unwrap_or_default()
    )?;
    for p in &t.partitions {
        writeln!(out, "         {}", partition_line(p))?;
    }
    for f in &t.findings {
        finding_line(out, f)?;
    }
    Ok(())
}

/// "p2  sectors 2048–6143 (4096)  Linux filesystem [0FC6…]  "root"".
fn partition_line(p: &Partition) -> String {
    format!(
        "p{:<3} sectors {}–{} ({})  {} [{}]{}",
        p.number,
        p.start_lba,
        p.end_lba().saturating_sub(1),
        p.sectors,
        p.type_name,
        p.type_id,
        if p.name.is_empty() {
            String::new()
        } else {
            format!("  \"{}\"", safe(&p.name))
        }
    )
}

fn finding_line(out: &mut dyn Write, f: &Finding) -> io::Result<()> {
    writeln!(
        out,
        "  {:<8} {:<24} {}",
        f.severity.name().to_uppercase(),
        f.code,
        safe(&f.shown_message())
    )
}

fn volume(out: &mut dyn Write, v: &VolumeResult) -> io::Result<()> {
    if let Some(p) = &v.partition {
        writeln!(out, "\npartition {}", partition_line(p))?;
    }
    let Some(fs) = &v.filesystem else {
        return writeln!(
            out,
            "volume {} at byte {}: {}",
            v.index,
            v.offset_bytes,
            safe(v.error.as_deref().unwrap_or("no filesystem"))
        );
    };
    let i = &fs.info;
    writeln!(
        out,
        "volume {}  {} label \"{}\" uuid {}\n         {} {}s of {} bytes, {}{} of {} inodes in use\n         features: {}",
        v.index,
        i.fs_type,
        safe(&i.label),
        i.uuid,
        i.block_count,
        fs.units.block,
        i.block_size,
        if i.groups > 0 {
            format!("{} groups, ", i.groups)
        } else {
            String::new()
        },
        i.inodes_in_use,
        i.inode_count,
        i.features.join(" ")
    )?;
    let journal = describe::journal_lines(v);
    if !journal.is_empty() {
        writeln!(out, "\njournal:")?;
        for line in journal {
            writeln!(out, "  {}", safe(&line))?;
        }
    }
    if v.findings.is_empty() {
        return writeln!(
            out,
            "\nno findings: every block has at most one owner and the bitmaps agree"
        );
    }
    writeln!(out, "\nfindings ({}):", v.findings.len())?;
    for f in &v.findings {
        finding_line(out, f)?;
    }
    let real: Vec<_> = v.crosslinks.iter().collect();
    if !real.is_empty() {
        let runs = if real.len() == 1 { "run" } else { "runs" };
        writeln!(out, "\nshared blocks ({} {runs}):", real.len())?;
        for c in real {
            let range = if c.block_count == 1 {
                format!("{}", c.start_block)
            } else {
                format!(
                    "{}–{}",
                    c.start_block,
                    c.start_block.saturating_add(c.block_count - 1)
                )
            };
            writeln!(
                out,
                "  {range} ({} {}{}){}{}",
                c.block_count,
                fs.units.block,
                if c.block_count == 1 { "" } else { "s" },
                fs.units.native_note(c.start_block, c.block_count),
                if c.legitimate { "  [legitimate]" } else { "" }
            )?;
            for cl in &c.claimers {
                writeln!(out, "      {}", claimer_line(cl))?;
            }
        }
    }
    Ok(())
}

fn claimer_line(c: &Claimer) -> String {
    describe::claimer(c)
}

/// The `block` report: who claims one block.
pub fn block(fs: &Filesystem, block: BlockNo, out: &mut dyn Write) -> io::Result<()> {
    let claimers = analysis::claimers_of(fs, block);
    let state = match analysis::allocated(fs, block) {
        Some(true) => "allocated in the block bitmap",
        Some(false) => "free in the block bitmap",
        None => "allocation unknown",
    };
    let range = if block < fs.first_data_block || block >= fs.info.block_count {
        format!(
            " — outside the filesystem (blocks {}..{})",
            fs.first_data_block, fs.info.block_count
        )
    } else {
        String::new()
    };
    writeln!(out, "block {block}: {state}{range}")?;
    if claimers.is_empty() {
        writeln!(out, "  claimed by nothing")?;
    }
    for c in &claimers {
        writeln!(out, "  {}", claimer_line(c))?;
    }
    if claimers.len() > 1 {
        writeln!(
            out,
            "  ({} claimers: see `imginspect scan` for the verdict)",
            claimers.len()
        )?;
    }
    Ok(())
}

/// The `inode` report: stat fields, names and the extent map.
pub fn inode(
    fs: &Filesystem,
    crosslinks: &[analysis::Crosslink],
    n: &Inode,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "inode {}  {:?}  {}",
        n.ino,
        n.file_type,
        mode_string(n.mode)
    )?;
    writeln!(
        out,
        "  uid {}  gid {}  size {}  links {}  sectors {}  flags {:#x}",
        n.uid, n.gid, n.size, n.links, n.sectors, n.flags
    )?;
    writeln!(
        out,
        "  atime {}  mtime {}  ctime {}{}",
        describe::time(n.atime),
        describe::time(n.mtime),
        describe::time(n.ctime),
        n.crtime
            .map(|c| format!("  crtime {}", describe::time(c)))
            .unwrap_or_default()
    )?;
    if n.deleted {
        writeln!(out, "  {}", describe::deleted_note(fs))?;
    }
    if let Some(h) = n.hidden.map(|h| h.reason()) {
        writeln!(out, "  HIDDEN: {h}")?;
    }
    let paths = fs.paths(n);
    if paths.is_empty() {
        writeln!(out, "  names: none")?;
    }
    for p in &paths {
        writeln!(out, "  name: {}", safe(p))?;
    }
    let runs = fs.runs_of(n);
    writeln!(out, "  block map ({} runs):", runs.len())?;
    writeln!(
        out,
        "    {:>12}  {:>14}  {:>8}  {:<12} flags",
        "logical", "physical", "length", "role"
    )?;
    for r in runs {
        let logical = r
            .logical
            .map(|l| l.to_string())
            .unwrap_or_else(|| "-".into());
        let mut flags = Vec::new();
        if r.unwritten {
            flags.push("unwritten".to_string());
        }
        if r.start < fs.first_data_block || r.end() > fs.info.block_count {
            flags.push("OUT OF RANGE".to_string());
        }
        for c in crosslinks {
            let overlaps =
                c.start_block < r.end() && r.start < c.start_block.saturating_add(c.block_count);
            let involves = c
                .claimers
                .iter()
                .any(|cl| matches!(cl, Claimer::Inode { inode, .. } if *inode == n.ino));
            if overlaps && involves {
                let others: Vec<String> = c
                    .claimers
                    .iter()
                    .filter(|cl| !matches!(cl, Claimer::Inode { inode, .. } if *inode == n.ino))
                    .map(|cl| match cl {
                        Claimer::Inode { inode, .. } => format!("inode {inode}"),
                        Claimer::Metadata { role, .. } => role.name().to_string(),
                    })
                    .collect();
                let tag = if c.legitimate {
                    "shared"
                } else {
                    "CROSS-LINKED"
                };
                let with = if others.is_empty() {
                    "itself".to_string()
                } else {
                    others.join(", ")
                };
                flags.push(format!(
                    "{tag} {}+{} with {with}",
                    c.start_block, c.block_count
                ));
            }
        }
        writeln!(
            out,
            "    {logical:>12}  {:>14}  {:>8}  {:<12} {}",
            r.start,
            r.len,
            r.role.name(),
            flags.join("; ")
        )?;
    }
    Ok(())
}

/// The `inode` report for an inode that is not in use.
pub fn inode_not_in_use(ino: u64, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "inode {ino} is not in use (or does not exist)")
}
