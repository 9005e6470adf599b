//! `block`, `inode` and `ls`: what the model says about one block, one
//! inode or one directory.

use imginspect::analysis::{self, ScanOptions, VolumeResult};
use imginspect::model::{FileType, Filesystem};
use imginspect::report::{json, listing, text};

use super::args::{BlockArgs, Format, InodeArgs, LsArgs};
use super::{Outcome, UsageError, load, output};

pub fn block(args: &BlockArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    with_volume(&args.image, args.partition, options, |_, fs| {
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
        // Outside the filesystem a block is only worth asking about when
        // something claims it (a forged run pointing past the end).
        let found = block < fs.info.block_count || !analysis::claimers_of(fs, block).is_empty();
        Ok(if found {
            Outcome::Clean
        } else {
            Outcome::NotFound
        })
    })
}

pub fn inode(args: &InodeArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    with_volume(&args.image, args.partition, options, |volume, fs| {
        let ino = match args.inode.trim().parse::<u64>() {
            Ok(ino) => ino,
            Err(_) => {
                let Some(n) = fs.named(args.inode.trim_end_matches('/')).next() else {
                    anyhow::bail!(
                        "{}: no inode is named {}",
                        args.image.display(),
                        imginspect::report::sanitize::for_terminal(&args.inode)
                    );
                };
                n.ino
            }
        };
        output::to_stdout(|out| match (fs.inode(ino), args.format) {
            (Some(n), Format::Text) => text::inode(fs, &volume.crosslinks, n, out),
            (Some(n), Format::Json) => json::inode(fs, &volume.crosslinks, n, out),
            (None, Format::Text) => text::inode_not_in_use(ino, out),
            (None, Format::Json) => json::inode_not_in_use(ino, out),
        });
        // An inode not in use is an answer (debugfs and istat give one
        // too); telling a number the filesystem cannot have from a free
        // slot needs each format's inode number range, which the model does
        // not carry yet.
        Ok(Outcome::Clean)
    })
}

pub fn ls(args: &LsArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    with_volume(&args.image, args.partition, options, |volume, fs| {
        if !is_directory(fs, &args.path) {
            anyhow::bail!(
                "{}: no directory {} in the filesystem",
                args.image.display(),
                imginspect::report::sanitize::for_terminal(&args.path)
            );
        }
        output::to_stdout(|out| listing::ls(volume, &args.path, args.recursive, args.deleted, out));
        Ok(Outcome::Clean)
    })
}

/// Scans the image and answers `lookup` about the chosen volume.
fn with_volume(
    image: &std::path::Path,
    partition: Option<u32>,
    options: &ScanOptions,
    lookup: impl FnOnce(&VolumeResult, &Filesystem) -> anyhow::Result<Outcome>,
) -> anyhow::Result<Outcome> {
    let (_, result) = load::scan(image, options)?;
    let Some((volume, fs)) = load::chosen_volume(&result, partition) else {
        return Err(load::no_filesystem(image, &result));
    };
    let outcome = lookup(volume, fs);
    // Exit without freeing the model, as `scan` does.
    std::mem::forget(result);
    outcome
}

/// Whether `path` names a directory of the filesystem (`/` always does).
fn is_directory(fs: &Filesystem, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path.is_empty() || fs.named(path).any(|n| n.file_type == FileType::Directory)
}
