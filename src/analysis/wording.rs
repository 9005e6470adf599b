//! The sentences findings say: what sharing lets an attacker do, inodes and
//! runs in words.

use crate::model::Code;
use crate::model::{Filesystem, Inode, InodeNo, Role, Units, mode_string};

/// One plain sentence on what the sharing lets an attacker do.
pub(crate) fn consequence(
    fs: &Filesystem,
    code: Code,
    inodes: &[&Inode],
    metas: &[String],
    roles: &[(InodeNo, Role)],
) -> String {
    match code {
        Code::SharedLegitimately if fs.immutable => {
            "The image is immutable, so nothing can be written through the shared blocks; on a writable filesystem such as ext4 the same sharing would be a critical cross-link (read, tamper, double free)".into()
        }
        Code::SharedLegitimately => String::new(),
        Code::MetadataCollision => {
            "Writing either structure corrupts the other; the kernel may refuse to mount or misread the filesystem".into()
        }
        Code::PartialOverlap => {
            "The image is never written, so nothing leaks or is tampered with through it; but reading one file returns part of another's contents, which dedupe never produces: the image was crafted or damaged".into()
        }
        Code::MetadataOverlap if fs.immutable => {
            let readers: Vec<String> = inodes.iter().map(|n| name_of(fs, n)).collect();
            format!(
                "The image is never written, so nobody can rewrite the metadata through {}; but reading it returns the filesystem's own structures (inode slots, the superblock), and a tool that trusts the file's contents or repacks the image carries them along. On a writable filesystem this would be critical for the opposite reason: writing the file would forge the metadata",
                join_or(&readers)
            )
        }
        Code::BadBlockInUse => {
            "A reliability problem, not a privilege one: nobody opens, reads or writes the bad-blocks inode, so no permission is crossed; the file lies on a block the filesystem lists as unreadable, and its data there may be lost".into()
        }
        Code::Crosslink if roles.iter().any(|&(_, r)| r == Role::Journal) => {
            let writers: Vec<String> = inodes
                .iter()
                .filter(|n| !roles.iter().any(|&(i, r)| i == n.ino && r == Role::Journal))
                .map(|n| name_of(fs, n))
                .collect();
            format!(
                "Whoever can write {} writes into the journal: a forged transaction there is replayed by the kernel at the next mount onto any block it names (inode tables, bitmaps, the superblock); and the kernel's own logging overwrites the file's data",
                join_or(&writers)
            )
        }
        Code::MetadataOverlap => {
            let target = metas.first().cloned().unwrap_or_else(|| "the metadata".into());
            let writers: Vec<String> = inodes.iter().map(|n| name_of(fs, n)).collect();
            format!(
                "Whoever can write {} overwrites {target} (forging inodes, bitmaps or the superblock), and whoever can read it reads them",
                join_or(&writers)
            )
        }
        _ => crosslink_consequence(fs, inodes, roles),
    }
}

/// What two or more inodes sharing blocks let an unprivileged user do, one
/// sentence per capability, most serious first. Root (uid 0) is never the
/// attacker: it can already read and write everything.
pub(crate) fn crosslink_consequence(
    fs: &Filesystem,
    inodes: &[&Inode],
    roles: &[(InodeNo, Role)],
) -> String {
    let mut sentences = Vec::new();
    let is_map = |r: Role| matches!(r, Role::ExtentTree | Role::Indirect);
    for &(map_owner, map_role) in roles.iter().filter(|(_, r)| is_map(*r)) {
        for &(writer, role) in roles {
            if writer != map_owner && !is_map(role) {
                let w = inodes.iter().find(|n| n.ino == writer);
                let m = inodes.iter().find(|n| n.ino == map_owner);
                if let (Some(w), Some(m)) = (w, m) {
                    sentences.push(format!(
                        "The shared block is the {} of {}: whoever can write {} rewrites that file's block map and can point it at any block of the disk",
                        if map_role == Role::ExtentTree { "extent tree" } else { "indirect block" },
                        name_of(fs, m),
                        name_of(fs, w)
                    ));
                }
            }
        }
    }
    for a in inodes {
        for b in inodes {
            if a.ino == b.ino {
                continue;
            }
            if a.world_readable() && !b.world_readable() {
                sentences.push(format!(
                    "Anyone can read {} ({}), and through it the contents of {} ({} uid {})",
                    name_of(fs, a),
                    mode_string(a.mode),
                    name_of(fs, b),
                    mode_string(b.mode),
                    b.uid
                ));
            } else if a.uid != b.uid && a.uid != 0 && a.mode & 0o400 != 0 && !b.world_readable() {
                sentences.push(format!(
                    "uid {} can read {} (uid {}) through {}",
                    a.uid,
                    name_of(fs, b),
                    b.uid,
                    name_of(fs, a)
                ));
            }
        }
    }
    for a in inodes {
        for b in inodes {
            if a.ino == b.ino || b.world_writable() {
                continue;
            }
            let writer = if a.world_writable() {
                Some("anyone".to_string())
            } else if a.uid != b.uid && a.uid != 0 && a.mode & 0o200 != 0 {
                Some(format!("uid {}", a.uid))
            } else {
                None
            };
            if let Some(who) = writer {
                sentences.push(format!(
                    "{who} can tamper with {} by writing {}",
                    name_of(fs, b),
                    name_of(fs, a)
                ));
            }
        }
    }
    if sentences.is_empty() {
        // Same owner and mode (or a format without permissions, such as
        // FAT): no privilege is crossed, but the files are still one.
        sentences.push("Writing any of them changes what the others read".into());
    }
    sentences.push(
        "Deleting or truncating one frees blocks the other still uses, and the allocator hands them out again (double free)".into(),
    );
    sentences
        .iter()
        .map(|s| capitalise(s))
        .collect::<Vec<_>>()
        .join(". ")
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "/etc/shadow (inode 14, -rw------- 0:0)".
pub fn describe(fs: &Filesystem, n: &Inode) -> String {
    let name = fs.display_name(n);
    format!(
        "{name} (inode {}, {} {}:{})",
        n.ino,
        mode_string(n.mode),
        n.uid,
        n.gid
    )
}

pub(crate) fn name_of(fs: &Filesystem, n: &Inode) -> String {
    fs.first_path(n)
        .unwrap_or_else(|| format!("inode {}", n.ino))
}

/// "12–15, 20" — runs as block ranges, at most a handful listed.
pub fn runs_text(units: &Units, runs: &[[u64; 2]]) -> String {
    const SHOWN: usize = 8;
    let unit = units.block;
    let mut parts: Vec<String> = runs
        .iter()
        .take(SHOWN)
        .map(|&[s, l]| {
            let clusters = units.native_note(s, l);
            if l <= 1 {
                format!("{unit} {s}{clusters}")
            } else {
                format!("{unit}s {s}–{}{clusters}", s.saturating_add(l - 1))
            }
        })
        .collect();
    if runs.len() > SHOWN {
        parts.push(format!("and {} more runs", runs.len() - SHOWN));
    }
    parts.join(", ")
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub(crate) fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

pub(crate) fn join_or(items: &[String]) -> String {
    join_with(items, "or")
}

pub(crate) fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}
