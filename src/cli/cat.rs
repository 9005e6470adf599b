//! `cat`: a file's bytes through imginspect's own block map, to standard
//! output or to a new file — never the image, never over an existing file
//! without `--force`.

use std::io::{self, BufWriter, Write};

use anyhow::anyhow;

use imginspect::analysis::ScanOptions;
use imginspect::fs::content::{ContentError, write_content};

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
        Err(_) => fs
            .inodes
            .iter()
            .find(|n| fs.paths(n).iter().any(|p| p == file)),
    };
    let Some(inode) = inode else {
        return Err(anyhow!("{file}: no such inode or path"));
    };
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
