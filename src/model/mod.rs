//! The common model every filesystem parser produces and every consumer reads.
//!
//! A parser turns on-disk structures into a [`Filesystem`]: its inodes with their
//! block runs (each with a [`Role`]), the filesystem's own metadata regions, the
//! allocation bitmap as runs, and the findings it made while parsing. Block numbers
//! are filesystem blocks, as e2fsck and debugfs print them. Nothing here knows any
//! on-disk layout.

mod codes;
mod filesystem;
mod finding;
mod inode;
mod meta;
mod names;
mod replay;
mod runs;
mod units;

pub use codes::{Code, Explanation};
pub use filesystem::*;
pub use finding::*;
pub use inode::*;
pub use meta::*;
pub use names::*;
pub use replay::{Replay, ReplayedBlock, Transaction};
pub use runs::*;
pub use units::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_build_paths_from_the_tree() {
        let mut names = Names::default();
        let root = names.push(None, "").unwrap();
        let etc = names.push(Some(root), "etc").unwrap();
        let shadow = names.push(Some(etc), "shadow").unwrap();
        assert_eq!(names.path(root), "/");
        assert_eq!(names.path(etc), "/etc");
        assert_eq!(names.path(shadow), "/etc/shadow");
        // A parent must already exist.
        assert_eq!(names.push(Some(99), "x"), None);
        // Deep paths are cut at the front.
        let mut at = root;
        for _ in 0..2000 {
            at = names.push(Some(at), "deep").unwrap();
        }
        let p = names.path(at);
        assert!(
            p.starts_with('…') && p.len() <= MAX_PATH_LEN + 8,
            "{}",
            p.len()
        );
    }

    #[test]
    fn coalescing_merges_touching_and_overlapping_runs() {
        assert_eq!(
            coalesce_runs(vec![(0, 2), (2, 3), (4, 1), (10, 1)]),
            vec![(0, 5), (10, 1)]
        );
    }

    #[test]
    fn union_finds_every_block_claimed_twice() {
        let (union, twice) =
            union_and_overlaps(vec![(10, 20), (0, 5), (5, 8), (15, 16), (18, 30), (40, 40)]);
        assert_eq!(union, vec![(0, 8), (10, 20)]);
        assert_eq!(twice, vec![(15, 1), (18, 2)]);
        // Three claims on one block are one shared block.
        let (_, twice) = union_and_overlaps(vec![(1, 4), (2, 3), (2, 3)]);
        assert_eq!(twice, vec![(2, 1)]);
    }

    #[test]
    fn run_lists_intersect_and_subtract() {
        let a = [(0, 10), (20, 5), (30, 1)];
        let b = [(5, 20), (30, 2)];
        assert_eq!(intersect_runs(&a, &b), vec![(5, 5), (20, 5), (30, 1)]);
        assert_eq!(subtract_runs(&a, &b), vec![(0, 5)]);
        assert_eq!(subtract_runs(&b, &a), vec![(10, 10), (31, 1)]);
        assert_eq!(subtract_runs(&a, &[]), a.to_vec());
    }

    #[test]
    fn invalid_utf8_names_are_escaped() {
        assert_eq!(name_from_bytes(b"caf\xc3\xa9"), "café");
        assert_eq!(name_from_bytes(b"a\xffb"), "a\\xffb");
        assert_eq!(name_from_bytes(b"a\\xffb"), "a\\\\xffb");
    }

    #[test]
    fn mode_strings_match_ls() {
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o100600), "-rw-------");
    }

    #[test]
    fn severities_order_by_gravity() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
    }
}
