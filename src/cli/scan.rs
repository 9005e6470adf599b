//! `scan`: the whole report, in any of its formats.

use std::io::{self, Write};

use imginspect::analysis::{ScanOptions, ScanResult};
use imginspect::image::Image;
use imginspect::model::FileType;
use imginspect::report::{html, json, listing, text};

use super::args::{ScanArgs, ScanFormat};
use super::{Outcome, Reasons, load, output};

pub fn run(args: &ScanArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    let (image, result) = match load::scan(&args.image, options) {
        Ok(scanned) => scanned,
        Err(e) => {
            // The JSON says why too: a pipeline reads it instead of stderr.
            if let ScanFormat::Json = args.format {
                let path = args.image.display().to_string();
                output::to_stdout(|out| json::render_error(&path, &e.to_string(), out));
            }
            return Err(e);
        }
    };
    let digests = match args.format {
        ScanFormat::Dfxml if args.hash => file_digests(&image, &result),
        _ => listing::FileDigests::new(),
    };
    let print = |out: &mut dyn Write| -> io::Result<()> {
        match args.format {
            ScanFormat::Text => text::render(&result, out),
            ScanFormat::Json => json::render(&result, out),
            ScanFormat::Bodyfile => listing::bodyfile(&result, out),
            ScanFormat::Dfxml => listing::dfxml(&result, &digests, out),
            ScanFormat::Html => html::render(&result, out),
        }
    };
    match &args.output {
        None => output::to_stdout(print),
        Some(path) => output::to_file(path, &args.image, args.force, print)?,
    }
    if result.nothing_recognised() {
        let reasons = result
            .volumes
            .iter()
            .filter_map(|v| v.error.as_ref())
            .map(|e| format!("{}: {e}", args.image.display()))
            .collect();
        return Err(anyhow::Error::new(Reasons(reasons)));
    }
    let worst = result.findings().map(|f| f.severity).max();
    // The process ends right after: freeing a million-inode model one
    // allocation at a time would only delay the exit status.
    std::mem::forget(result);
    let fails = args.failing_severity();
    Ok(if worst.is_some_and(|w| fails.is_some_and(|f| w >= f)) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// The digests of every regular file whose bytes can be read (deleted ones
/// too, through their old maps, as fiwalk hashes them), for DFXML.
fn file_digests(image: &Image, result: &ScanResult) -> listing::FileDigests {
    let mut digests = listing::FileDigests::new();
    for volume in &result.volumes {
        let (Some(fs), Some(view)) = (&volume.filesystem, load::volume_view(image, volume)) else {
            continue;
        };
        for n in fs
            .inodes
            .iter()
            .filter(|n| n.file_type == FileType::Regular)
        {
            if let Ok(digest) = imginspect::fs::content::digests(&view, fs, n) {
                digests.insert((volume.index, n.ino), digest);
            }
        }
    }
    digests
}
