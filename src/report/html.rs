//! `scan --format html`: one self-contained page to attach to an incident
//! ticket — summary, partition table, an SVG ownership map per volume
//! (cross-linked cells hatched, so they stand out in greyscale print too),
//! every finding with its claimers and paths, and what each kind of finding
//! means. No script, no stylesheet or image fetched from anywhere: the page
//! works offline and runs nothing.

use std::io::{self, Write};

use crate::analysis::{ScanResult, VolumeResult};
use crate::model::Severity;
use crate::model::{Code, Explanation};
use crate::report::describe;
use crate::report::heatmap::{Kind, Ownership};
use crate::report::sanitize::push_byte_escapes;

/// Text for HTML: markup characters escaped, control characters shown as
/// `\xNN` (an image's names are evidence, never markup or terminal codes).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                push_byte_escapes(&mut out, c);
            }
            c => out.push(c),
        }
    }
    out
}

fn fill(kind: Kind) -> String {
    match kind {
        Kind::Crosslink => "url(#crosslink)".into(),
        Kind::ClaimedFree => "url(#claimed-free)".into(),
        kind => {
            let [r, g, b] = kind.rgb();
            format!("#{r:02x}{g:02x}{b:02x}")
        }
    }
}

const COLUMNS: u64 = 64;
const ROWS: u64 = 24;
const CELL: u64 = 10;

/// The volume's ownership map as inline SVG: up to 64 × 24 cells, each a
/// share of the blocks, coloured by its worst owner.
fn svg(
    fs: &crate::model::Filesystem,
    volume: &VolumeResult,
    out: &mut dyn Write,
) -> io::Result<()> {
    let own = Ownership::new(fs, volume);
    let per_cell = own.blocks.div_ceil(COLUMNS * ROWS).max(1);
    let cells = own.in_fs_cells(per_cell);
    let rows = cells.div_ceil(COLUMNS).max(1);
    write!(
        out,
        "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' role='img' aria-label='ownership map'>\
<defs><pattern id='crosslink' width='6' height='6' patternUnits='userSpaceOnUse' patternTransform='rotate(45)'>\
<rect width='6' height='6' fill='#d22'/><rect width='3' height='6' fill='#000'/></pattern>\
<pattern id='claimed-free' width='4' height='4' patternUnits='userSpaceOnUse'>\
<rect width='4' height='4' fill='#e0b000'/><rect width='2' height='2' fill='#000'/></pattern></defs>",
        COLUMNS * CELL,
        rows * CELL
    )?;
    for cell in 0..cells {
        let a = cell * per_cell;
        let kind = own.cell_kind(cell, per_cell);
        write!(
            out,
            "<rect class='{}' x='{}' y='{}' width='{}' height='{}' fill='{}'><title>{} {}–{}: {}</title></rect>",
            kind_class(kind),
            cell % COLUMNS * CELL,
            cell / COLUMNS * CELL,
            CELL - 1,
            CELL - 1,
            fill(kind),
            fs.units.block,
            a,
            (a + per_cell).min(own.blocks).saturating_sub(1),
            kind.label()
        )?;
    }
    out.write_all(b"</svg>")?;
    write!(
        out,
        "<p class='legend'>{per_cell} {}(s) per cell: ",
        fs.units.block
    )?;
    for kind in own.legend() {
        write!(
            out,
            "<span><svg width='12' height='12'><rect width='12' height='12' fill='{}'/></svg> {}</span> ",
            // The hatch pattern is defined in the map above (ids are
            // document-wide), so the legend shows it too.
            fill(kind),
            kind.label()
        )?;
    }
    out.write_all(b"</p>")
}

fn kind_class(kind: Kind) -> &'static str {
    match kind {
        Kind::Free => "free",
        Kind::Metadata => "metadata",
        Kind::Data => "data",
        Kind::Shared => "shared",
        Kind::Crosslink => "crosslink",
        Kind::ClaimedFree => "claimed-free",
        Kind::OutOfRange => "out-of-range",
        Kind::Replayed => "replayed",
    }
}

/// The whole report page.
pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let title = format!("imginspect report — {}", escape(&result.image.path));
    write!(
        out,
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{title}</title>\
<style>body{{font-family:sans-serif;max-width:70em;margin:1em auto;color:#222}}\
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}}\
.critical{{color:#b00;font-weight:bold}}.high{{color:#c40}}.medium{{color:#a70}}.low,.info{{color:#555}}\
code{{background:#f3f3f3}}.legend span{{margin-right:1em}}</style></head><body>\n<h1>{title}</h1>\n"
    )?;
    let counts: Vec<String> = Severity::ALL_DESCENDING
        .iter()
        .map(|&s| format!("{} {}", result.count(s), s.name()))
        .collect();
    writeln!(
        out,
        "<p>{} bytes{}. <strong>{} cross-linked block(s)</strong>; findings: {}.</p>",
        result.image.size_bytes,
        result
            .image
            .sha256
            .as_ref()
            .map(|h| format!(", sha256 <code>{h}</code>"))
            .unwrap_or_default(),
        result.crosslinked_blocks(),
        counts.join(", ")
    )?;
    if let Some(t) = &result.partition_table {
        writeln!(
            out,
            "<h2>Partition table ({}, {}-byte sectors)</h2>\n<table><tr><th>part</th><th>start</th><th>sectors</th><th>type</th><th>name</th></tr>",
            t.scheme.name(),
            t.sector_size
        )?;
        for p in &t.partitions {
            writeln!(
                out,
                "<tr><td>p{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                p.number,
                p.start_lba,
                p.sectors,
                escape(&p.type_name),
                escape(&p.name)
            )?;
        }
        out.write_all(b"</table>\n")?;
        findings_table(out, &t.findings)?;
    }
    let mut codes: Vec<Code> = Vec::new();
    for v in &result.volumes {
        write!(out, "<h2>Volume {}", v.index)?;
        if let Some(p) = &v.partition {
            write!(out, " — partition {} ({})", p.number, escape(&p.type_name))?;
        }
        out.write_all(b"</h2>\n")?;
        let Some(fs) = &v.filesystem else {
            writeln!(
                out,
                "<p>{}</p>",
                escape(v.error.as_deref().unwrap_or("no filesystem"))
            )?;
            continue;
        };
        let i = &fs.info;
        writeln!(
            out,
            "<p>{} label “{}”, uuid <code>{}</code>: {} {}s of {} bytes, {} inodes in use.</p>",
            escape(&i.fs_type),
            escape(&i.label),
            escape(&i.uuid),
            i.block_count,
            fs.units.block,
            i.block_size,
            i.inodes_in_use
        )?;
        svg(fs, v, out)?;
        let journal = describe::journal_lines(v);
        if !journal.is_empty() {
            out.write_all(b"<h3>Journal</h3>\n<pre>")?;
            for line in journal {
                writeln!(out, "{}", escape(&line))?;
            }
            out.write_all(b"</pre>\n")?;
        }
        findings_table(out, &v.findings)?;
        if !v.crosslinks.is_empty() {
            out.write_all(b"<h3>Shared blocks</h3>\n<table><tr><th>blocks</th><th>verdict</th><th>claimers</th></tr>\n")?;
            for c in &v.crosslinks {
                let claimers: Vec<String> = c
                    .claimers
                    .iter()
                    .map(|cl| escape(&describe::claimer(cl)))
                    .collect();
                writeln!(
                    out,
                    "<tr><td>{}–{}</td><td>{}</td><td>{}</td></tr>",
                    c.start_block,
                    c.start_block
                        .saturating_add(c.block_count)
                        .saturating_sub(1),
                    if c.legitimate {
                        "legitimate"
                    } else {
                        "<strong>cross-linked</strong>"
                    },
                    claimers.join("<br>")
                )?;
            }
            out.write_all(b"</table>\n")?;
        }
        for f in &v.findings {
            if !codes.contains(&f.code) {
                codes.push(f.code);
            }
        }
    }
    if !codes.is_empty() {
        out.write_all(b"<h2>What the findings mean</h2>\n")?;
        for code in codes {
            let Explanation {
                what,
                attack: attacker,
                fsck,
                immutable,
            } = code.explanation();
            writeln!(
                out,
                "<h3><code>{code}</code></h3>\n<p>{}</p>\n<p><strong>What an attacker can do:</strong> {}</p>\n<p><strong>What fsck does:</strong> {}</p>\n<p><strong>On an immutable image:</strong> {}</p>",
                escape(what),
                escape(attacker),
                escape(fsck),
                escape(immutable)
            )?;
        }
    }
    out.write_all(b"</body></html>\n")
}

fn findings_table(out: &mut dyn Write, findings: &[crate::model::Finding]) -> io::Result<()> {
    if findings.is_empty() {
        return out.write_all(b"<p>No findings.</p>\n");
    }
    out.write_all(b"<table><tr><th>severity</th><th>code</th><th>finding</th></tr>\n")?;
    for f in findings {
        writeln!(
            out,
            "<tr><td class='{0}'>{0}</td><td><code>{1}</code></td><td>{2}</td></tr>",
            f.severity.name(),
            f.code,
            escape(&f.shown_message())
        )?;
    }
    out.write_all(b"</table>\n")
}
