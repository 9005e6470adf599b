//! `block`, `inode` and `ls`: what the model says about one block, one
//! inode or one directory.

use imginspect::analysis::{self, ScanOptions};
use imginspect::model::{FileType, Filesystem};
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
    // Outside the filesystem a block is only worth asking about when
    // something claims it (a forged run pointing past the end).
    let found = block < fs.info.block_count || !analysis::claimers_of(fs, block).is_empty();
    // Exit without freeing the model, as `scan` does.
    std::mem::forget(result);
    Ok(if found {
        Outcome::Clean
    } else {
        Outcome::NotFound
    })
}

pub fn inode(args: &InodeArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    let (_, result) = load::scan(&args.image, options)?;
    let Some((volume, fs)) = load::chosen_volume(&result, args.partition) else {
        return Err(load::no_filesystem(&args.image, &result));
    };
    let ino = match args.inode.trim().parse::<u64>() {
        Ok(ino) => ino,
        Err(_) => {
            let path = args.inode.trim_end_matches('/');
            let named = fs
                .inodes
                .iter()
                .find(|n| fs.paths(n).iter().any(|p| p == path));
            let Some(n) = named else {
                anyhow::bail!(
                    "{}: no inode is named {}",
                    args.image.display(),
                    imginspect::report::sanitize::for_terminal(&args.inode)
                );
            };
            n.ino
        }
    };
    let n = fs.inode(ino);
    output::to_stdout(|out| match (n, args.format) {
        (Some(n), Format::Text) => text::inode(fs, &volume.crosslinks, n, out),
        (Some(n), Format::Json) => json::inode(fs, &volume.crosslinks, n, out),
        (None, Format::Text) => text::inode_not_in_use(ino, out),
        (None, Format::Json) => json::inode_not_in_use(ino, out),
    });
    // Exit without freeing the model, as `scan` does. An inode not in use
    // is an answer (debugfs and istat give one too); telling a number the
    // filesystem cannot have from a free slot needs each format's inode
    // number range, which the model does not carry yet.
    std::mem::forget(result);
    Ok(Outcome::Clean)
}

pub fn ls(args: &LsArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    let (_, result) = load::scan(&args.image, options)?;
    let Some((volume, fs)) = load::chosen_volume(&result, args.partition) else {
        return Err(load::no_filesystem(&args.image, &result));
    };
    if !is_directory(fs, &args.path) {
        anyhow::bail!(
            "{}: no directory {} in the filesystem",
            args.image.display(),
            imginspect::report::sanitize::for_terminal(&args.path)
        );
    }
    output::to_stdout(|out| listing::ls(volume, &args.path, args.recursive, args.deleted, out));
    // Exit without freeing the model, as `scan` does.
    std::mem::forget(result);
    Ok(Outcome::Clean)
}

/// Whether `path` names a directory of the filesystem (`/` always does).
fn is_directory(fs: &Filesystem, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path.is_empty()
        || fs
            .inodes
            .iter()
            .any(|n| n.file_type == FileType::Directory && fs.paths(n).iter().any(|p| p == path))
}
