//! Listings in The Sleuth Kit's formats, so that imginspect slots into the
//! same workflow: `ls` (as `fls -r -p`) and the TSK 3 bodyfile (as
//! `fls -r -m /`, read by `mactime`).

use std::fmt::Write;

use crate::analysis::{Claimer, ScanResult, VolumeResult};
use crate::model::{FileType, Filesystem, Inode, mode_string};
use crate::report::sanitize::for_terminal as safe;

/// The letter `fls` gives a file type (`r/r`, `d/d`, …).
fn type_letter(t: FileType) -> char {
    match t {
        FileType::Regular => 'r',
        FileType::Directory => 'd',
        FileType::Symlink => 'l',
        FileType::CharDevice => 'c',
        FileType::BlockDevice => 'b',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
        FileType::Unknown => '-',
    }
}

/// Inodes of a volume that take part in a non-legitimate cross-link.
fn crosslinked(volume: &VolumeResult) -> std::collections::HashSet<u64> {
    volume
        .crosslinks
        .iter()
        .filter(|c| !c.legitimate)
        .flat_map(|c| &c.claimers)
        .filter_map(|c| match c {
            Claimer::Inode { inode, .. } => Some(*inode),
            Claimer::Metadata { .. } => None,
        })
        .collect()
}

/// Every (path, inode) of a filesystem, by path; the root left out.
fn entries(fs: &Filesystem) -> Vec<(String, &Inode)> {
    let mut out: Vec<(String, &Inode)> = fs
        .inodes
        .iter()
        .flat_map(|n| fs.paths(n).into_iter().map(move |p| (p, n)))
        .filter(|(p, _)| p != "/")
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `ls`: one line per name, as `fls -p` prints them — `r/r 14:<TAB>path` —
/// then the size, the mtime and `CROSS-LINKED` where it applies; deleted
/// entries carry `*` before the inode number, as in fls. `under` limits the
/// listing to a directory (its children, or everything below with
/// `recursive`); deleted entries are listed only with `deleted`.
pub fn ls(volume: &VolumeResult, under: &str, recursive: bool, deleted: bool) -> String {
    let Some(fs) = &volume.filesystem else {
        return String::new();
    };
    let shared = crosslinked(volume);
    let prefix = if under.ends_with('/') {
        under.to_string()
    } else {
        format!("{under}/")
    };
    let mut out = String::new();
    for (path, n) in entries(fs) {
        let Some(rest) = path.strip_prefix(&prefix) else {
            continue;
        };
        if (!recursive && rest.contains('/')) || (n.deleted && !deleted) {
            continue;
        }
        let t = type_letter(n.file_type);
        let _ = writeln!(
            out,
            "{t}/{t} {}{}:\t{}\t{}\t{}{}",
            if n.deleted { "* " } else { "" },
            n.ino,
            safe(rest),
            n.size,
            crate::report::describe::utc(n.mtime),
            if shared.contains(&n.ino) {
                "\tCROSS-LINKED"
            } else {
                ""
            }
        );
    }
    out
}

/// A name for a bodyfile: `|` would split the row and a newline would end
/// it, so they and every control byte are written `\xNN`, and a backslash
/// `\\` (TSK's own `fls -m` writes them raw).
fn body_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\x7c"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The TSK 3 bodyfile of every volume:
/// `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`,
/// times in epoch seconds, 0 when unknown. Names as `fls -m /` gives them;
/// on a disk with several volumes each path starts with `/p<N>`.
pub fn bodyfile(result: &ScanResult) -> String {
    let mut out = String::new();
    let several = result.volumes.len() > 1;
    for volume in &result.volumes {
        let Some(fs) = &volume.filesystem else {
            continue;
        };
        let root = match (&volume.partition, several) {
            (Some(p), true) => format!("/p{}", p.number),
            _ => String::new(),
        };
        for (path, n) in entries(fs) {
            let t = type_letter(n.file_type);
            let mode = mode_string(n.mode);
            let _ = writeln!(
                out,
                "0|{}{}{}|{}|{t}/{}|{}|{}|{}|{}|{}|{}|{}",
                body_name(&root),
                body_name(&path),
                if n.deleted { " (deleted)" } else { "" },
                n.ino,
                mode.get(1..).map_or(String::new(), |m| format!("{t}{m}")),
                n.uid,
                n.gid,
                n.size,
                n.atime,
                n.mtime,
                n.ctime,
                n.crtime.unwrap_or(0)
            );
        }
    }
    out
}
