//! `block`, `inode` and `ls`: what the model says about one block, one
//! inode or one directory.

use std::io::{self, Write};
use std::path::Path;

use imginspect::analysis::{ScanOptions, VolumeResult};
use imginspect::model::Filesystem;
use imginspect::report::{json, listing, text};

use super::args::{BlockArgs, Format, InodeArgs, LsArgs};
use super::{Outcome, UsageError, load, output};

pub fn block(args: &BlockArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    let (_, result) = load::scan(&args.image, options)?;
    let Some((_, fs)) = load::chosen_volume(&result, args.partition) else {
        return Err(load::no_filesystem(&args.image, &result));
    };
    let Some(block) = args
        .linear_block()
        .or_else(|| fs.units.parse_native(&args.block))
    else {
        return Err(UsageError(format!(
            "not a block of this filesystem: {:?} (give a number{})",
            args.block,
            fs.units
                .native_word()
                .map(|word| format!(", or \"{word} N\""))
                .unwrap_or_default()
        ))
        .into());
    };
    output::to_stdout(|out| match args.format {
        Format::Text => text::block(fs, block, out),
        Format::Json => json::block(fs, block, out),
    });
    // Exit without freeing the model, as `scan` does.
    std::mem::forget(result);
    Ok(Outcome::Clean)
}

pub fn inode(args: &InodeArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    let ino = args.inode;
    with_volume(
        &args.image,
        args.partition,
        options,
        |volume, fs, out| match (fs.inode(ino), args.format) {
            (Some(n), Format::Text) => text::inode(fs, &volume.crosslinks, n, out),
            (Some(n), Format::Json) => json::inode(fs, &volume.crosslinks, n, out),
            (None, Format::Text) => text::inode_not_in_use(ino, out),
            (None, Format::Json) => json::inode_not_in_use(ino, out),
        },
    )
}

pub fn ls(args: &LsArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    with_volume(&args.image, args.partition, options, |volume, _, out| {
        listing::ls(volume, &args.path, args.recursive, args.deleted, out)
    })
}

/// Scans the image and writes to standard output what `print` says of the
/// chosen volume.
fn with_volume(
    image: &Path,
    partition: Option<u32>,
    options: &ScanOptions,
    print: impl FnOnce(&VolumeResult, &Filesystem, &mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<Outcome> {
    let (_, result) = load::scan(image, options)?;
    let Some((volume, fs)) = load::chosen_volume(&result, partition) else {
        return Err(load::no_filesystem(image, &result));
    };
    output::to_stdout(|out| print(volume, fs, out));
    // Exit without freeing the model, as `scan` does.
    std::mem::forget(result);
    Ok(Outcome::Clean)
}
