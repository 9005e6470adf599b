//! `cat`: a file's bytes through imginspect's own block map, to standard
//! output or to a new file — never the image, never over an existing file
//! without `--force`.

use std::io::{self, BufWriter, Write};

use anyhow::anyhow;

use imginspect::analysis::{Claimer, ScanOptions, VolumeResult};
use imginspect::fs::content::{ContentError, write_content};
use imginspect::report::{describe, sanitize};

use super::args::CatArgs;
use super::{Outcome, load, output};

pub fn run(args: &CatArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    let (image, result) = load::scan(&args.image, options)?;
    let Some((volume, fs)) = load::chosen_volume(&result, args.partition) else {
        return Err(anyhow!(
            "{}: no filesystem recognised",
            args.image.display()
        ));
    };
    let file = &args.file;
    let inode = match file.parse::<u64>() {
        Ok(ino) => fs.inode(ino),
        Err(_) => fs.named(file).next(),
    };
    let Some(inode) = inode else {
        return Err(anyhow!("{file}: no such inode or path"));
    };
    warn_if_shared(volume, inode.ino, file);
    let Some(view) = load::volume_view(&image, volume) else {
        return Err(anyhow!(
            "{}: the volume lies outside the image",
            args.image.display()
        ));
    };
    let written = match &args.output {
        None => write_content(&view, fs, inode, &mut io::stdout().lock()),
        Some(path) => {
            let file = output::create(path, &args.image, args.force)
                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let mut out = BufWriter::new(file);
            write_content(&view, fs, inode, &mut out)
                .and_then(|n| out.flush().map(|()| n).map_err(Into::into))
        }
    };
    match written {
        Ok(_) => Ok(Outcome::Clean),
        // A closed pipe (`| head`) is not an error.
        Err(ContentError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::Clean),
        Err(e) => Err(anyhow!("{file}: {e}")),
    }
}

/// Says on standard error when the file's blocks are cross-linked: the bytes
/// written are also another file's (or the filesystem's own), so what they
/// say may not be this file's.
fn warn_if_shared(volume: &VolumeResult, ino: u64, file: &str) {
    let others: Vec<String> = volume
        .crosslinks
        .iter()
        .filter(|c| !c.legitimate)
        .filter(|c| {
            c.claimers
                .iter()
                .any(|cl| matches!(cl, Claimer::Inode { inode, .. } if *inode == ino))
        })
        .flat_map(|c| c.claimers.iter())
        .filter(|cl| !matches!(cl, Claimer::Inode { inode, .. } if *inode == ino))
        .map(describe::claimer)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !others.is_empty() {
        eprintln!(
            "imginspect: warning: {} shares blocks with {}: those bytes are theirs too (cross-linked)",
            sanitize::for_terminal(file),
            others.join("; ")
        );
    }
}
