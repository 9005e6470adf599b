//! The names the JSON contract gives the model's enums. Each match is
//! exhaustive, so that a new variant cannot reach the output without a name
//! chosen here.

use crate::model::{FileType, Hidden, MetaRole, Release, Role, Severity};
use crate::volume::Scheme;

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

pub fn role(r: Role) -> &'static str {
    match r {
        Role::Data => "data",
        Role::Directory => "directory",
        Role::Symlink => "symlink",
        Role::ExtentTree => "extent_tree",
        Role::Indirect => "indirect",
        Role::Xattr => "xattr",
        Role::Journal => "journal",
        Role::BadBlock => "bad_block",
    }
}

/// Metadata roles: each format names its own in its folder (`roles.rs`),
/// with the names the contract has always had.
pub fn meta_role(r: MetaRole) -> &'static str {
    r.name()
}

pub fn file_type(t: FileType) -> &'static str {
    match t {
        FileType::Regular => "regular",
        FileType::Directory => "directory",
        FileType::Symlink => "symlink",
        FileType::CharDevice => "char_device",
        FileType::BlockDevice => "block_device",
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
        FileType::Unknown => "unknown",
    }
}

pub fn release(r: Release) -> &'static str {
    match r {
        Release::Delete => "delete",
        Release::Truncate => "truncate",
    }
}

pub fn hidden(h: Hidden) -> &'static str {
    match h {
        Hidden::UninitGroup => "uninit_group",
        Hidden::UnusedTail => "unused_tail",
        Hidden::FreeInInodeBtree => "free_in_inode_btree",
    }
}

pub fn scheme(s: Scheme) -> &'static str {
    match s {
        Scheme::Mbr => "mbr",
        Scheme::Gpt => "gpt",
    }
}
