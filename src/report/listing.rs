//! Listings in The Sleuth Kit's formats, so that imginspect slots into the
//! same workflow: `ls` (as `fls -r -p`) and the TSK 3 bodyfile (as
//! `fls -r -m /`, read by `mactime`).

use std::io::{self, Write};

use crate::analysis::{Claimer, ScanResult, VolumeResult};
use crate::fs::content::Digests;
use crate::model::{FileType, Filesystem, Inode, InodeNo, Release, mode_string};
use crate::report::sanitize::{for_terminal as safe, push_byte_escapes};

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
pub fn ls(
    volume: &VolumeResult,
    under: &str,
    recursive: bool,
    deleted: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(fs) = &volume.filesystem else {
        return Ok(());
    };
    let shared = crosslinked(volume);
    let prefix = if under.ends_with('/') {
        under.to_string()
    } else {
        format!("{under}/")
    };
    for (path, n) in entries(fs) {
        let Some(rest) = path.strip_prefix(&prefix) else {
            continue;
        };
        if (!recursive && rest.contains('/')) || (n.deleted && !deleted) {
            continue;
        }
        let t = type_letter(n.file_type);
        // fls -p's columns, then what the cross-link attack turns on: who
        // may read or write the file.
        writeln!(
            out,
            "{t}/{t} {}{}{}:\t{}\t{}\t{}\t{}\t{}:{}{}",
            if n.deleted || unlinked(n) { "* " } else { "" },
            n.ino,
            if unlinked(n) { "(realloc)" } else { "" },
            safe(rest),
            n.size,
            crate::report::describe::time(n.mtime),
            mode_string(n.mode),
            n.uid,
            n.gid,
            if shared.contains(&n.ino) {
                "\tCROSS-LINKED"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// An unlinked inode that mount deletes (an orphan with no links): the only
/// names it has are removed ones, left in its directory's slack.
fn unlinked(n: &Inode) -> bool {
    !n.deleted && n.links == 0 && n.released_at_mount == Some(Release::Delete)
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
                push_byte_escapes(&mut out, c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The TSK 3 bodyfile of every volume:
/// `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`,
/// times in epoch seconds, 0 when unknown. Names as `fls -m /` gives them;
/// on a disk with several volumes each path starts with `/p<N>`. Each row
/// is written as soon as it is made: only the sorted paths are held, never
/// the text of the rows.
pub fn bodyfile(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
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
            writeln!(
                out,
                "0|{}{}{}|{}|{t}/{}|{}|{}|{}|{}|{}|{}|{}",
                body_name(&root),
                body_name(&path),
                if n.deleted {
                    " (deleted)"
                } else if unlinked(n) {
                    // TSK's words: the name is deleted, the inode allocated.
                    " (deleted-realloc)"
                } else {
                    ""
                },
                n.ino,
                mode.get(1..).map_or(String::new(), |m| format!("{t}{m}")),
                n.uid,
                n.gid,
                n.size,
                n.atime,
                n.mtime,
                n.ctime,
                n.crtime.unwrap_or(0)
            )?;
        }
    }
    Ok(())
}

/// Text for XML character data and attribute values: the five markup
/// characters escaped, and every control character (XML 1.0 cannot carry
/// most of them at all) written as `\xNN`, like the bodyfile.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {
                push_byte_escapes(&mut out, c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Seconds since the epoch as DFXML's `2023-11-14T22:13:20Z`.
fn iso(epoch: i64) -> String {
    crate::report::describe::utc(epoch)
}

/// Digests of file contents, by (volume index, inode number), for the DFXML
/// `hashdigest` elements; computed by the caller, which holds the image.
pub type FileDigests = std::collections::HashMap<(usize, InodeNo), Digests>;

/// DFXML 1.2.0, as `fiwalk -X` writes it: a `volume` per filesystem and a
/// `fileobject` per name with its `byte_runs` (file, filesystem and image
/// offsets; holes as `fill='0'`) and, where `digests` has them, its md5, sha1
/// and sha256 `hashdigest`s; then imginspect's findings in their own namespace.
pub fn dfxml(result: &ScanResult, digests: &FileDigests, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<?xml version='1.0' encoding='UTF-8'?>")?;
    writeln!(
        out,
        "<dfxml xmlns='http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML' xmlns:dc='http://purl.org/dc/elements/1.1/' xmlns:imginspect='urn:imginspect:findings' version='1.2.0'>"
    )?;
    writeln!(
        out,
        "  <metadata>\n    <dc:type>Disk Image</dc:type>\n  </metadata>"
    )?;
    writeln!(
        out,
        "  <creator version='1.0'>\n    <program>imginspect</program>\n    <version>{}</version>\n  </creator>",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(
        out,
        "  <source>\n    <image_filename>{}</image_filename>\n    <imagesize>{}</imagesize>\n  </source>",
        xml_text(&result.image.path),
        result.image.size_bytes
    )?;
    let mut id = 0u64;
    for volume in &result.volumes {
        let Some(fs) = &volume.filesystem else {
            continue;
        };
        let bs = u64::from(fs.info.block_size);
        writeln!(out, "  <volume offset='{}'>", volume.offset_bytes)?;
        writeln!(
            out,
            "    <partition_offset>{}</partition_offset>\n    <block_size>{bs}</block_size>\n    <ftype_str>{}</ftype_str>\n    <block_count>{}</block_count>",
            volume.offset_bytes,
            xml_text(&fs.info.fs_type),
            fs.info.block_count
        )?;
        let partition = volume.partition.as_ref().map_or(1, |p| p.number);
        for (path, n) in entries(fs) {
            id += 1;
            let t = type_letter(n.file_type);
            writeln!(out, "    <fileobject>")?;
            writeln!(
                out,
                "      <filename>{}</filename>\n      <partition>{partition}</partition>\n      <id>{id}</id>\n      <name_type>{t}</name_type>\n      <filesize>{}</filesize>\n      <alloc>{}</alloc>\n      <inode>{}</inode>\n      <mode>{}</mode>\n      <nlink>{}</nlink>\n      <uid>{}</uid>\n      <gid>{}</gid>\n      <mtime>{}</mtime>\n      <ctime>{}</ctime>\n      <atime>{}</atime>",
                xml_text(path.trim_start_matches('/')),
                n.size,
                u8::from(!n.deleted),
                n.ino,
                n.mode & 0o7777,
                n.links,
                n.uid,
                n.gid,
                iso(n.mtime),
                iso(n.ctime),
                iso(n.atime)
            )?;
            if let Some(c) = n.crtime {
                writeln!(out, "      <crtime>{}</crtime>", iso(c))?;
            }
            byte_runs(out, fs, n, bs, volume.offset_bytes)?;
            if let Some(d) = digests.get(&(volume.index, n.ino)) {
                for (kind, digest) in [("md5", &d.md5), ("sha1", &d.sha1), ("sha256", &d.sha256)] {
                    writeln!(out, "      <hashdigest type='{kind}'>{digest}</hashdigest>")?;
                }
            }
            writeln!(out, "    </fileobject>")?;
        }
        if !volume.findings.is_empty() {
            writeln!(out, "    <imginspect:findings>")?;
            for f in &volume.findings {
                writeln!(
                    out,
                    "      <imginspect:finding severity='{}' code='{}'>\n        <imginspect:message>{}</imginspect:message>",
                    f.severity.name(),
                    f.code,
                    xml_text(&f.message)
                )?;
                for ino in &f.inodes {
                    writeln!(out, "        <imginspect:inode>{ino}</imginspect:inode>")?;
                }
                for [start, count] in &f.blocks {
                    writeln!(
                        out,
                        "        <imginspect:blocks start='{start}' count='{count}'/>"
                    )?;
                }
                writeln!(out, "      </imginspect:finding>")?;
            }
            writeln!(out, "    </imginspect:findings>")?;
        }
        writeln!(out, "  </volume>")?;
    }
    writeln!(out, "</dfxml>")
}

/// The file's data runs in logical order as `byte_run`s, cut at the size,
/// holes as `fill='0'`; runs outside the filesystem are left out.
fn byte_runs(
    out: &mut dyn Write,
    fs: &Filesystem,
    n: &Inode,
    bs: u64,
    volume_at: u64,
) -> io::Result<()> {
    let mut runs: Vec<_> = fs
        .runs_of(n)
        .iter()
        .filter(|r| r.role.is_file_block() && r.start.saturating_add(r.len) <= fs.info.block_count)
        .filter_map(|r| r.logical.map(|l| (l, r)))
        .collect();
    runs.sort_by_key(|&(l, _)| l);
    let mut lines = Vec::new();
    let mut at = 0u64;
    for (logical, r) in runs {
        let start = logical.saturating_mul(bs);
        if start >= n.size || start < at {
            continue;
        }
        if start > at {
            lines.push(format!(
                "       <byte_run file_offset='{at}' fill='0' len='{}'/>",
                start - at
            ));
        }
        let len = r.len.saturating_mul(bs).min(n.size - start);
        let fs_offset = r.start.saturating_mul(bs);
        if r.unwritten {
            lines.push(format!(
                "       <byte_run file_offset='{start}' fill='0' len='{len}'/>"
            ));
        } else {
            lines.push(format!(
                "       <byte_run file_offset='{start}' fs_offset='{fs_offset}' img_offset='{}' len='{len}'/>",
                fs_offset.saturating_add(volume_at)
            ));
        }
        at = start + len;
    }
    if lines.is_empty() {
        return Ok(());
    }
    if at < n.size {
        lines.push(format!(
            "       <byte_run file_offset='{at}' fill='0' len='{}'/>",
            n.size - at
        ));
    }
    writeln!(out, "      <byte_runs>")?;
    for l in lines {
        writeln!(out, "{l}")?;
    }
    writeln!(out, "      </byte_runs>")
}
