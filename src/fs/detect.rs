//! Every filesystem signature on a volume, each checked as fully as the
//! tool that owns it checks it: this tool's own probes for the formats it
//! parses, and libblkid's checks for formats it only recognises
//! ([`super::recognised`]). Two or more valid signatures on one volume is
//! what blkid calls an ambivalent result: `mount` without `-t` refuses it
//! ("more filesystems detected"), and a mount with `-t` picks a parser that
//! may not be the one a checker used.

use super::FsError;
use super::format::FORMATS;
use crate::image::View;
use crate::model::{Code, Finding};

/// One format whose signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The format, in words ("ext2/3/4", "NTFS").
    pub name: &'static str,
    /// Whether this tool parses it (and so may be modelling it).
    pub parsed: bool,
    /// What takes the volume as this format.
    pub used_by: &'static str,
}

/// Every valid signature on the volume, in the order the probes run.
pub fn signatures(view: &View<'_>) -> Vec<Signature> {
    FORMATS
        .iter()
        .filter(|f| f.valid(view))
        .map(|f| Signature {
            name: f.name(),
            parsed: f.parses(),
            used_by: f.used_by(),
        })
        .collect()
}

/// "ext2/3/4, EROFS, XFS and FAT": the formats this tool parses.
pub fn parsed_formats() -> String {
    let names: Vec<&str> = FORMATS
        .iter()
        .filter(|f| f.parses())
        .map(|f| f.name())
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// Why no format's probe fired: the volume is a device of some format's
/// filesystem (an external log), or holds nothing this tool knows.
pub fn unrecognised(view: &View<'_>) -> FsError {
    FORMATS
        .iter()
        .find_map(|f| f.device_of(view))
        .unwrap_or(FsError::Unrecognised)
}

/// The `ambivalent_filesystem` finding, when a valid signature of another
/// format shares the volume with the one modelled.
pub fn ambivalence(view: &View<'_>, modelled: &str, fs_type: &str) -> Option<Finding> {
    let found = signatures(view);
    let others: Vec<&Signature> = found.iter().filter(|s| s.name != modelled).collect();
    if others.is_empty() {
        return None;
    }
    let listed: Vec<String> = std::iter::once(format!("{modelled} (modelled here, as {fs_type})"))
        .chain(others.iter().map(|s| {
            if s.parsed {
                s.name.to_string()
            } else {
                format!("{} (recognised, not parsed)", s.name)
            }
        }))
        .collect();
    let used_by: Vec<&str> = others.iter().map(|s| s.used_by).collect();
    Some(Finding::new(
        Code::AmbivalentFilesystem,
        format!(
            "more than one filesystem's signature is valid on this volume: {}. blkid calls this an ambivalent result and `mount` without -t refuses it, but {} takes the same bytes for another filesystem than the {fs_type} checked here: what a checker passes is not what may be mounted (`wipefs` lists the signatures)",
            listed.join(", "),
            used_by.join(" or ")
        ),
    ))
}
