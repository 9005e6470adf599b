//! The Linux kernel as the oracle: what a read-only mount shows, name by
//! name, against imginspect's `ls -r`, `inode --format json` and `cat` on the
//! original image, which is never mounted or written.
//!
//! Test A mounts a copy of every committed ext sample; test B has the kernel
//! itself leave a dirty journal (seeded random operations, selective syncs,
//! then `xfs_io -c shutdown`, the backing file taken as the shutdown left
//! it: a crash image) and compares imginspect's in-memory replay with the
//! kernel's own replay at mount.
//!
//! Every mount is of a private copy in a temporary directory, on a writable
//! loop device (`losetup -f --show`, no `-r`) mounted `-o ro`: the kernel then
//! replays the journal and cleans up orphans as it would for a user. Guards
//! unmount and detach even when an assertion fails.
//!
//! Needs root, loop devices and ext4 in the kernel: under `CI=true` a machine
//! without them fails these tests; elsewhere they print `SKIPPED:` and pass.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use serde_json::Value;

use common::{Rng, describe, imginspect, tool};

// ------------------------------------------------------------ known cases --

/// Committed samples the kernel refuses to mount, with the reason. For each
/// the test asserts that the mount fails, and checks the blocks the kernel
/// wrote before giving up against imginspect's replayed view.
const MOUNT_REFUSED: &[(&str, &str)] = &[
    (
        "journal-bad-checksum.img",
        "The commit block of transaction 2 fails its csum-v3 checksum. In \
         PASS_SCAN, do_one_pass (fs/jbd2/recovery.c, label chksum_error) ends \
         the log there and, the journal having no async_commit, sets \
         j_failed_commit = 2. jbd2_journal_recover still replays transaction \
         1 and syncs it to the device; then jbd2_journal_load (fs/jbd2/journal.c) \
         prints `JBD2: journal transaction 2 on loopN-8 is corrupt.` and returns \
         -EFSCORRUPTED, so ext4_load_journal fails the mount (`error loading \
         journal`, EUCLEAN). imginspect replays transaction 1 only, reports the \
         bad commit as checksum_mismatch, and writes the same block 62 as the \
         kernel (checked below).",
    ),
    (
        "journal-bad-tag-checksum.img",
        "The logged copy of block 62 in transaction 2 fails its tag checksum. \
         jbd2_do_replay (fs/jbd2/recovery.c) skips that one block (`JBD2: \
         Invalid checksum recovering data block 62 in journal block 5`), \
         replays the rest and returns -EFSBADCRC; jbd2_journal_recover syncs \
         what it wrote and returns the error, and jbd2_journal_load fails \
         (`JBD2: journal recovery failed`, then `error loading journal`). \
         imginspect skips the same block, reports checksum_mismatch (high: \
         `recovery ... then reports an error`), and its replayed view has the \
         very bytes the kernel left on the device (checked below).",
    ),
];

/// A difference with the kernel that is understood, with the proof. Every
/// entry must still occur (a stale entry fails the test), and no other
/// difference may.
struct Known {
    image: &'static str,
    path: &'static str,
    field: &'static str,
    why: &'static str,
}

/// Why the kernel will not open a file whose extent lies on metadata.
const SYSTEM_ZONE: &str = "The forged extent points into filesystem metadata. \
     ext4_iget runs ext4_ext_check_inode -> ext4_valid_extent_entries -> \
     ext4_valid_extent -> ext4_inode_block_valid (fs/ext4/extents.c, \
     fs/ext4/block_validity.c), which refuses a data extent that overlaps the \
     system zone (superblocks, group descriptors, bitmaps, inode tables; \
     block_validity is on by default), so the kernel logs `bad \
     header/extent: invalid extent entries` and stat fails with EFSCORRUPTED \
     (EUCLEAN). imginspect is right for its purpose: it reports the overlap \
     (metadata_overlap, critical) and, like sleuthkit's icat, `cat` reads \
     the mapped blocks anyway: the metadata the file would expose is the \
     evidence. Not a bug, so both differences (stat, content) stay.";

/// Why a truncated orphan's times differ after the kernel's mount.
const ORPHAN_TRUNCATE_TIMES: &str = "notes.txt is on the orphan list with \
     links: ext4_orphan_cleanup (fs/ext4/orphan.c) calls ext4_truncate on it, \
     which stamps i_mtime and i_ctime with the time of the mount \
     (inode_set_mtime_to_ts/inode_set_ctime_current in ext4_truncate's \
     caller path). imginspect shows the inode as it lies on disk and reports \
     the pending truncation (orphan_cleanup_pending): the times are the \
     mount's, not the image's.";

const KNOWN_DIFFERENCES: &[Known] = &[
    Known {
        image: "orphan-truncate-trap.img",
        path: "home/user/notes.txt",
        field: "mtime",
        why: ORPHAN_TRUNCATE_TIMES,
    },
    Known {
        image: "orphan-truncate-trap.img",
        path: "home/user/notes.txt",
        field: "ctime",
        why: ORPHAN_TRUNCATE_TIMES,
    },
    Known {
        image: "inode-table-overlap.img",
        path: "var/log/blob.bin",
        field: "stat",
        why: SYSTEM_ZONE,
    },
    Known {
        image: "inode-table-overlap.img",
        path: "var/log/blob.bin",
        field: "content",
        why: SYSTEM_ZONE,
    },
    Known {
        image: "shared-blocks-feature.img",
        path: "data/over.bin",
        field: "stat",
        why: SYSTEM_ZONE,
    },
    Known {
        image: "shared-blocks-feature.img",
        path: "data/over.bin",
        field: "content",
        why: SYSTEM_ZONE,
    },
    Known {
        image: "out-of-range.img",
        path: "data/oor.bin",
        field: "stat",
        why: "The name is there, but the kernel cannot stat it: ext4_iget runs \
          ext4_ext_check_inode (fs/ext4/extents.c, ext4_valid_extent_entries), \
          which rejects the inode's only extent (physical 1000000-1000001, \
          past s_blocks_count 2048: `bad header/extent: invalid extent \
          entries`) and fails with EFSCORRUPTED (EUCLEAN, `Structure needs \
          cleaning`). imginspect lists the name with the inode's stored \
          fields, reports out_of_range, and refuses `cat` (checked: a `cat` \
          that succeeded would be a second difference).",
    },
];

// ------------------------------------------------------- loop and mount --

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A loop device attached to a file; detached when dropped.
struct Loop {
    dev: String,
}

impl Loop {
    /// `losetup -f --show FILE`: writable, so that the kernel can replay.
    fn attach(file: &Path) -> Result<Loop, String> {
        let out = tool("losetup", &["-f", "--show", path_str(file)]);
        let dev = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || dev.is_empty() {
            return Err(describe("losetup -f --show", &out));
        }
        Ok(Loop { dev })
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let out = tool("losetup", &["-d", &self.dev]);
        if !out.status.success() {
            eprintln!("{}", describe(&format!("losetup -d {}", self.dev), &out));
        }
    }
}

/// A file mounted through a loop device on a fresh directory; unmounted,
/// then detached, when dropped.
struct Mount {
    dir: tempfile::TempDir,
    // Dropped after `dir`'s unmount in Drop::drop: detaches the device.
    _dev: Loop,
}

impl Mount {
    fn new(file: &Path, options: &str) -> Result<Mount, String> {
        let dev = Loop::attach(file)?;
        let dir = tempfile::tempdir().map_err(|e| format!("mount point: {e}"))?;
        let out = tool("mount", &["-o", options, &dev.dev, path_str(dir.path())]);
        if !out.status.success() {
            return Err(describe(&format!("mount -o {options} {}", dev.dev), &out));
        }
        Ok(Mount { dir, _dev: dev })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let dir = path_str(self.dir.path()).to_string();
        for _ in 0..20 {
            if tool("umount", &[&dir]).status.success() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("umount {dir} failed; detaching lazily");
        let _ = tool("umount", &["-l", &dir]);
    }
}

/// Whether loop mounts work here: root, a loop device, ext4 in the kernel,
/// and a clean image made now by mke2fs mounts. When not: fails under CI,
/// else prints `SKIPPED:` (see common::unavailable).
fn loop_mounts_work() -> bool {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    match PROBE.get_or_init(probe_loop_mounts) {
        Ok(()) => true,
        Err(why) => {
            common::unavailable(&format!("kernel mount tests: {why}"));
            false
        }
    }
}

fn probe_loop_mounts() -> Result<(), String> {
    for t in ["losetup", "mount", "umount", "mke2fs"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .env("PATH", common::tool_path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!("{t} is not installed"));
        }
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err("not root (losetup and mount need root)".into());
    }
    if !Path::new("/dev/loop-control").exists() {
        return Err("no /dev/loop-control (no loop driver)".into());
    }
    let fs = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if !fs.split_whitespace().any(|f| f == "ext4") {
        return Err("ext4 is not in /proc/filesystems".into());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let img = dir.path().join("probe.img");
    make_fs(&img, "ext4", 4 << 20, 0, &[])?;
    Mount::new(&img, "ro").map_err(|e| format!("a clean new ext4 image does not mount: {e}"))?;
    Ok(())
}

/// A fresh ext3/ext4 image of `bytes` bytes, 1 KiB blocks, from a private
/// mke2fs.conf (the host's has no say), with a UUID from `id`.
fn make_fs(img: &Path, fstype: &str, bytes: u64, id: u64, extra: &[&str]) -> Result<(), String> {
    let dir = img.parent().expect("a directory");
    let conf = dir.join("mke2fs.conf");
    std::fs::write(
        &conf,
        "[defaults]\n\
         \tbase_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr\n\
         \tblocksize = 1024\n\tinode_size = 256\n\tinode_ratio = 4096\n\
         [fs_types]\n\
         \text3 = {\n\t\tfeatures = has_journal\n\t}\n\
         \text4 = {\n\t\tfeatures = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize\n\t}\n",
    )
    .map_err(|e| e.to_string())?;
    File::create(img)
        .and_then(|f| f.set_len(bytes))
        .map_err(|e| e.to_string())?;
    let uuid = format!("1a9e5000-0000-4000-8000-{id:012x}");
    let out = std::process::Command::new("mke2fs")
        .args(["-q", "-F", "-t", fstype, "-U", &uuid])
        .args(extra)
        .arg(img)
        .env("PATH", common::tool_path())
        .env("MKE2FS_CONFIG", &conf)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(describe("mke2fs", &out));
    }
    Ok(())
}

// ------------------------------------------------------------ the kernel --

/// The stat fields compared.
#[derive(Debug, Clone, PartialEq)]
struct Stat {
    ino: u64,
    kind: char,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    links: u64,
    atime: i64,
    mtime: i64,
    ctime: i64,
}

fn kind_of_mode(mode: u32) -> char {
    match mode & 0o170000 {
        0o100000 => 'r',
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    }
}

fn stat_of(meta: &std::fs::Metadata) -> Stat {
    Stat {
        ino: meta.ino(),
        kind: kind_of_mode(meta.mode()),
        mode: meta.mode(),
        uid: meta.uid(),
        gid: meta.gid(),
        size: meta.size(),
        links: meta.nlink(),
        atime: meta.atime(),
        mtime: meta.mtime(),
        ctime: meta.ctime(),
    }
}

/// One name as the mounted kernel shows it.
struct KernelEntry {
    stat: Result<Stat, String>,
    /// A regular file's bytes or a symlink's target.
    content: Option<Result<Vec<u8>, String>>,
}

/// A name as imginspect's `ls` prints it: invalid UTF-8 as `\xNN`, then
/// control and bidi characters escaped.
fn shown(bytes: &[u8]) -> String {
    imginspect::report::sanitize::for_terminal(&imginspect::model::name_from_bytes(bytes))
}

/// Every name below the mount point, by its `ls` form, plus the root's stat.
fn kernel_walk(root: &Path) -> (Stat, BTreeMap<String, KernelEntry>) {
    let root_stat = stat_of(&std::fs::symlink_metadata(root).expect("stat the mount point"));
    let mut names = BTreeMap::new();
    let mut stack: Vec<(PathBuf, Vec<u8>)> = vec![(root.to_path_buf(), Vec::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                let key = if rel.is_empty() {
                    "/".into()
                } else {
                    shown(&rel)
                };
                names.insert(
                    format!("{key} (readdir)"),
                    KernelEntry {
                        stat: Err(format!("readdir: {e}")),
                        content: None,
                    },
                );
                continue;
            }
        };
        for entry in entries {
            let entry = entry.expect("a directory entry");
            let mut path_bytes = rel.clone();
            if !path_bytes.is_empty() {
                path_bytes.push(b'/');
            }
            path_bytes.extend_from_slice(entry.file_name().as_bytes());
            let abs = entry.path();
            let stat = std::fs::symlink_metadata(&abs)
                .map(|m| stat_of(&m))
                .map_err(|e| e.to_string());
            let content = match &stat {
                Ok(s) if s.kind == 'r' => Some(std::fs::read(&abs).map_err(|e| e.to_string())),
                Ok(s) if s.kind == 'l' => Some(
                    std::fs::read_link(&abs)
                        .map(|t| t.as_os_str().as_bytes().to_vec())
                        .map_err(|e| e.to_string()),
                ),
                _ => None,
            };
            if matches!(&stat, Ok(s) if s.kind == 'd') {
                stack.push((abs, path_bytes.clone()));
            }
            names.insert(shown(&path_bytes), KernelEntry { stat, content });
        }
    }
    (root_stat, names)
}

// ------------------------------------------------------------ imginspect --

/// `ls -r`: path → (the inode's type letter, inode number, size).
fn our_listing(image: &Path) -> BTreeMap<String, (char, u64, u64)> {
    let out = imginspect(&["ls", "-r", path_str(image)]);
    assert!(
        out.status.success(),
        "{}",
        describe("imginspect ls -r", &out)
    );
    let text = String::from_utf8(out.stdout).expect("ls output is UTF-8");
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(head), Some(path), Some(size)) = (cols.first(), cols.get(1), cols.get(2)) else {
            panic!("unexpected ls line: {line:?}");
        };
        let (types, ino) = head
            .split_once(' ')
            .unwrap_or_else(|| panic!("unexpected ls line: {line:?}"));
        let kind = types.chars().nth(2).expect("a type letter");
        if ino.starts_with("* ") {
            // A removed name (an unlinked orphan's, `* 19(realloc):`): the
            // kernel's orphan cleanup deletes the inode, no mount shows it.
            continue;
        }
        let ino: u64 = ino.trim_end_matches(':').parse().expect("inode number");
        let size: u64 = size.parse().expect("size");
        map.insert(path.to_string(), (kind, ino, size));
    }
    map
}

fn our_inode(image: &Path, ino: u64) -> Result<Value, String> {
    let out = imginspect(&[
        "inode",
        "--format",
        "json",
        path_str(image),
        &ino.to_string(),
    ]);
    if !out.status.success() {
        return Err(describe("imginspect inode", &out));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("inode JSON: {e}"))
}

fn our_cat(image: &Path, ino: u64) -> Result<Vec<u8>, String> {
    let out = imginspect(&["cat", path_str(image), &ino.to_string()]);
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn kind_of_json(file_type: &str) -> char {
    match file_type {
        "regular" => 'r',
        "directory" => 'd',
        "symlink" => 'l',
        "char_device" => 'c',
        "block_device" => 'b',
        "fifo" => 'p',
        "socket" => 's',
        _ => '-',
    }
}

/// imginspect's stat fields of an inode, from `inode --format json`.
fn our_stat(json: &Value) -> Stat {
    let num = |k: &str| json[k].as_u64().unwrap_or(u64::MAX);
    let time = |k: &str| json[k].as_i64().unwrap_or(i64::MIN);
    Stat {
        ino: num("ino"),
        kind: kind_of_json(json["file_type"].as_str().unwrap_or("")),
        mode: u32::try_from(num("mode")).unwrap_or(u32::MAX),
        uid: u32::try_from(num("uid")).unwrap_or(u32::MAX),
        gid: u32::try_from(num("gid")).unwrap_or(u32::MAX),
        size: num("size"),
        links: num("links"),
        atime: time("atime"),
        mtime: time("mtime"),
        ctime: time("ctime"),
    }
}

// ---------------------------------------------------------- comparison --

#[derive(Debug, Clone)]
struct Diff {
    path: String,
    field: &'static str,
    kernel: String,
    ours: String,
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: kernel {}, imginspect {}",
            self.path, self.field, self.kernel, self.ours
        )
    }
}

/// Where two byte strings first differ, for the report.
fn bytes_diff(kernel: &[u8], ours: &[u8]) -> Option<(String, String)> {
    if kernel == ours {
        return None;
    }
    let at = kernel
        .iter()
        .zip(ours)
        .position(|(a, b)| a != b)
        .unwrap_or(kernel.len().min(ours.len()));
    let around = |b: &[u8]| {
        let end = (at + 8).min(b.len());
        format!(
            "{} bytes, from offset {at}: {:02x?}",
            b.len(),
            b.get(at..end).unwrap_or(&[])
        )
    };
    Some((around(kernel), around(ours)))
}

fn compare_stats(path: &str, kernel: &Stat, ours: &Stat, diffs: &mut Vec<Diff>) {
    let mut field = |field: &'static str, k: String, o: String| {
        if k != o {
            diffs.push(Diff {
                path: path.to_string(),
                field,
                kernel: k,
                ours: o,
            });
        }
    };
    field("ino", kernel.ino.to_string(), ours.ino.to_string());
    field("type", kernel.kind.to_string(), ours.kind.to_string());
    field(
        "mode",
        format!("{:o}", kernel.mode),
        format!("{:o}", ours.mode),
    );
    field("uid", kernel.uid.to_string(), ours.uid.to_string());
    field("gid", kernel.gid.to_string(), ours.gid.to_string());
    field("size", kernel.size.to_string(), ours.size.to_string());
    field("links", kernel.links.to_string(), ours.links.to_string());
    field("atime", kernel.atime.to_string(), ours.atime.to_string());
    field("mtime", kernel.mtime.to_string(), ours.mtime.to_string());
    field("ctime", kernel.ctime.to_string(), ours.ctime.to_string());
}

/// What was compared, for the test output.
#[derive(Default)]
struct Tally {
    names: usize,
    inodes: usize,
    bytes: usize,
}

/// Every name of the mounted kernel view against imginspect on `image`.
fn compare(image: &Path, mnt: &Path) -> (Vec<Diff>, Tally) {
    let (root_stat, kernel) = kernel_walk(mnt);
    let ours = our_listing(image);
    let mut diffs = Vec::new();
    let mut tally = Tally::default();
    let mut inodes: BTreeMap<u64, Result<Stat, String>> = BTreeMap::new();
    let mut stat_of_ino = |ino: u64| -> Result<Stat, String> {
        inodes
            .entry(ino)
            .or_insert_with(|| our_inode(image, ino).map(|j| our_stat(&j)))
            .clone()
    };
    let mut contents: BTreeMap<u64, Result<Vec<u8>, String>> = BTreeMap::new();

    // The root directory has no name in `ls`.
    match stat_of_ino(2) {
        Ok(s) => compare_stats("/", &root_stat, &s, &mut diffs),
        Err(e) => diffs.push(Diff {
            path: "/".into(),
            field: "inode",
            kernel: format!("{root_stat:?}"),
            ours: e,
        }),
    }

    let names: BTreeSet<&String> = kernel.keys().chain(ours.keys()).collect();
    for name in names {
        tally.names += 1;
        let push = |diffs: &mut Vec<Diff>, field, k: String, o: String| {
            diffs.push(Diff {
                path: name.clone(),
                field,
                kernel: k,
                ours: o,
            })
        };
        let (Some(k), Some(&(o_kind, o_ino, o_size))) = (kernel.get(name), ours.get(name)) else {
            let k = kernel.get(name).map(|k| match &k.stat {
                Ok(s) => format!("{} inode {}", s.kind, s.ino),
                Err(e) => e.clone(),
            });
            push(
                &mut diffs,
                "name",
                k.unwrap_or_else(|| "absent".into()),
                ours.get(name)
                    .map_or("absent".into(), |o| format!("{} inode {}", o.0, o.1)),
            );
            continue;
        };
        let ks = match &k.stat {
            Ok(s) => s,
            Err(e) => {
                push(
                    &mut diffs,
                    "stat",
                    format!("fails: {e}"),
                    format!("lists {o_kind} inode {o_ino}, {o_size} bytes"),
                );
                // The kernel refuses the inode: reading it must fail here too.
                if o_kind == 'r'
                    && let Ok(b) = our_cat(image, o_ino)
                {
                    push(
                        &mut diffs,
                        "content",
                        "cannot read the file".into(),
                        format!("cat gives {} bytes", b.len()),
                    );
                }
                continue;
            }
        };
        // The listing's own columns.
        if (ks.kind, ks.ino, ks.size) != (o_kind, o_ino, o_size) {
            push(
                &mut diffs,
                "ls",
                format!("{} inode {} size {}", ks.kind, ks.ino, ks.size),
                format!("{o_kind} inode {o_ino} size {o_size}"),
            );
        }
        // The inode's stat fields (by the kernel's inode number).
        match stat_of_ino(ks.ino) {
            Ok(s) => {
                tally.inodes += 1;
                compare_stats(name, ks, &s, &mut diffs)
            }
            Err(e) => push(&mut diffs, "inode", format!("{ks:?}"), e),
        }
        // The bytes (a symlink's: its target).
        if let Some(kc) = &k.content {
            let oc = contents
                .entry(ks.ino)
                .or_insert_with(|| our_cat(image, ks.ino));
            match (kc, &*oc) {
                (Ok(kb), Ok(ob)) => {
                    tally.bytes += kb.len();
                    if let Some((kd, od)) = bytes_diff(kb, ob) {
                        push(&mut diffs, "content", kd, od);
                    }
                }
                (Err(_), Err(_)) => {}
                (Ok(kb), Err(e)) => push(
                    &mut diffs,
                    "content",
                    format!("{} bytes", kb.len()),
                    format!("cat fails: {e}"),
                ),
                (Err(e), Ok(ob)) => push(
                    &mut diffs,
                    "content",
                    format!("read fails: {e}"),
                    format!("cat gives {} bytes", ob.len()),
                ),
            }
        }
    }
    (diffs, tally)
}

/// The blocks a kernel replay wrote (`after` against `before`) against
/// imginspect's replayed view of `before`: a block the kernel changed must
/// read the same through imginspect's overlay, bookkeeping (`allowed`)
/// aside, and a block imginspect replays must have the kernel's bytes.
fn replay_blocks_agree(before: &[u8], after: &[u8], allowed: &BTreeSet<u64>) -> Vec<String> {
    use imginspect::image::View;
    let view = View::from_bytes(before);
    let Some(journal) = imginspect::fs::ext::journal::read(&view) else {
        return vec!["imginspect sees no journal to replay".into()];
    };
    let ours = view.with_overlay(&journal.overlay);
    let bs = usize::try_from(journal.overlay.block_size()).expect("block size");
    let mut problems = Vec::new();
    let mut block = vec![0u8; bs];
    let replayed: BTreeSet<u64> = journal.overlay.iter().map(|(b, _)| b).collect();
    for (b, theirs) in after.chunks(bs).enumerate() {
        let b = b as u64;
        ours.read_into(b * bs as u64, &mut block)
            .expect("read the replayed view");
        let kernel_changed = before.get(b as usize * bs..(b as usize + 1) * bs) != Some(theirs);
        if block != theirs && !allowed.contains(&b) {
            problems.push(format!(
                "block {b}: kernel {}, imginspect {}",
                if kernel_changed {
                    "wrote it"
                } else {
                    "left it"
                },
                if replayed.contains(&b) {
                    "replays other bytes"
                } else {
                    "leaves it as on disk"
                }
            ));
        }
    }
    problems
}

/// The blocks of the primary superblock and the journal superblock: what a
/// completed recovery rewrites besides the replayed blocks.
fn bookkeeping_blocks(image: &Path) -> BTreeSet<u64> {
    let journal = our_inode(image, 8).expect("the journal inode");
    let bs = journal_block_size(image);
    let mut set = BTreeSet::from([1024 / bs]);
    let first = journal["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["logical"] == 0 && r["role"] == "journal")
        .and_then(|r| r["start"].as_u64())
        .expect("the journal's block 0");
    set.insert(first);
    set
}

fn journal_block_size(image: &Path) -> u64 {
    let bytes = std::fs::read(image).expect("read image");
    let log = u32::from_le_bytes(bytes[1024 + 24..1024 + 28].try_into().expect("4 bytes"));
    1024 << log
}

// ------------------------------------------------------------- test A --

/// The bare ext samples: expected.tsv and journal.tsv.
fn ext_samples() -> Vec<String> {
    let mut names: Vec<String> = common::expected().into_iter().map(|e| e.0).collect();
    names.extend(common::journal_samples().into_iter().map(|j| j.name));
    names
}

#[test]
fn kernel_mount_of_every_ext_sample_agrees() {
    if !loop_mounts_work() {
        return;
    }
    let started = Instant::now();
    let samples = ext_samples();
    assert!(samples.len() >= 20, "{samples:?}");
    let journaled: BTreeSet<String> = common::journal_samples()
        .into_iter()
        .map(|j| j.name)
        .collect();
    let mut failures: Vec<String> = Vec::new();
    let mut seen_known: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for name in &samples {
        let original = common::samples_dir().join(name);
        let before = std::fs::read(&original).expect("read sample");
        let dir = tempfile::tempdir().expect("tempdir");
        let copy = dir.path().join(name);
        std::fs::write(&copy, &before).expect("copy sample");
        let refused = MOUNT_REFUSED.iter().find(|(n, _)| n == name);
        let mount = match (Mount::new(&copy, "ro"), refused) {
            (Err(e), None) => {
                failures.push(format!("{name}: the kernel does not mount it: {e}"));
                continue;
            }
            (Err(_), Some((_, why))) => {
                eprintln!("{name}: mount refused, as listed in MOUNT_REFUSED: {why}");
                // Recovery wrote what it could before failing: that must
                // be imginspect's replay, block for block.
                let after = std::fs::read(&copy).expect("read copy");
                for p in replay_blocks_agree(&before, &after, &BTreeSet::new()) {
                    failures.push(format!("{name} (refused mount, replayed blocks): {p}"));
                }
                continue;
            }
            (Ok(m), Some(_)) => {
                failures.push(format!(
                    "{name}: listed in MOUNT_REFUSED, but the kernel mounts it"
                ));
                m // compared all the same
            }
            (Ok(m), None) => m,
        };
        let (diffs, tally) = compare(&original, mount.path());
        drop(mount); // unmounted and detached: the copy is final
        eprintln!(
            "{name}: {} names, {} inodes, {} bytes compared with the kernel, {} differences",
            tally.names,
            tally.inodes,
            tally.bytes,
            diffs.len()
        );
        for d in diffs {
            if let Some(k) = KNOWN_DIFFERENCES
                .iter()
                .find(|k| k.image == name && k.path == d.path && k.field == d.field)
            {
                eprintln!("{name}: known difference: {d}\n    why: {}", k.why);
                seen_known.insert((k.image, k.path, k.field));
            } else {
                failures.push(format!("{name}: {d}"));
            }
        }
        if journaled.contains(name) {
            // The kernel's replay, block for block, against ours.
            let after = std::fs::read(&copy).expect("read copy");
            for p in replay_blocks_agree(&before, &after, &bookkeeping_blocks(&original)) {
                failures.push(format!("{name} (replayed blocks): {p}"));
            }
        }
        assert_eq!(
            std::fs::read(&original).expect("read sample"),
            before,
            "{name}: the committed sample changed"
        );
    }
    for k in KNOWN_DIFFERENCES {
        if !seen_known.contains(&(k.image, k.path, k.field)) {
            failures.push(format!(
                "stale KNOWN_DIFFERENCES entry: {} {} {} no longer differs",
                k.image, k.path, k.field
            ));
        }
    }
    eprintln!(
        "{} samples compared with the kernel in {:.1?}",
        samples.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} differences with the kernel:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------- test B --

/// The tree a workload builds, by path relative to the mount point.
struct Workload {
    root: PathBuf,
    rng: Rng,
    files: Vec<String>,
    /// Directories, "" being the root.
    dirs: Vec<String>,
    links: Vec<String>,
    next_name: u32,
    /// Files unlinked while still open: orphans at shutdown.
    held: Vec<File>,
    /// What was done, to replay a failure by hand.
    log: Vec<String>,
    /// Commit with fsync only (no sync or syncfs, which write back the
    /// metadata and so let the log tail move).
    fsync_only: bool,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl Workload {
    fn new(root: &Path, seed: u64) -> Workload {
        Workload {
            root: root.to_path_buf(),
            rng: Rng(seed),
            files: Vec::new(),
            dirs: vec![String::new()],
            links: Vec::new(),
            next_name: 0,
            held: Vec::new(),
            log: Vec::new(),
            fsync_only: false,
        }
    }

    fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn pick<'a>(&mut self, from: &'a [String]) -> Option<&'a String> {
        if from.is_empty() {
            None
        } else {
            from.get(self.rng.below(from.len()))
        }
    }

    /// A new name: mostly short, sometimes long (up to 255 bytes) or not
    /// ASCII.
    fn name(&mut self, prefix: &str) -> String {
        self.next_name += 1;
        let n = self.next_name;
        match self.rng.below(10) {
            0 => format!("{prefix}{n}-{}", "x".repeat(200 + self.rng.below(40))),
            1 => format!("{prefix}{n} ünï cødé"),
            _ => format!("{prefix}{n}"),
        }
    }

    fn size(&mut self) -> usize {
        match self.rng.below(10) {
            0..=4 => self.rng.below(3000),
            5..=7 => self.rng.below(40_000),
            8 => self.rng.below(300_000),
            _ => 0,
        }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(len + 8);
        while v.len() < len {
            v.extend_from_slice(&self.rng.next().to_le_bytes());
        }
        v.truncate(len);
        v
    }

    fn random_dir(&mut self) -> String {
        let dirs = self.dirs.clone();
        self.pick(&dirs).cloned().unwrap_or_default()
    }

    fn random_file(&mut self) -> Option<String> {
        let files = self.files.clone();
        self.pick(&files).cloned()
    }

    fn note(&mut self, what: String) {
        self.log.push(what);
    }

    /// One random operation. Errors the kernel may rightly give (ext3 has
    /// no fallocate, a name too long) are noted, not fatal.
    fn step(&mut self) {
        let op = self.rng.below(100);
        let result: std::io::Result<String> = match op {
            0..=13 => self.create(),
            14..=21 => self.append(),
            22..=29 => self.overwrite(),
            30..=35 => self.truncate(),
            36..=41 => self.rename(),
            42..=47 => self.unlink(),
            48..=52 => self.mkdir(),
            53..=57 => self.symlink(),
            58..=64 => self.fallocate(),
            65..=68 => self.chmod(),
            69..=72 => self.chown(),
            73..=75 => self.hard_link(),
            76..=77 => self.orphan(),
            78..=79 => self.burst(),
            80..=81 => self.rmdir(),
            82..=83 => self.rename_dir(),
            _ => self.sync(),
        };
        let line = match result {
            Ok(s) => s,
            Err(e) => format!("op {op}: error {e}"),
        };
        self.note(line);
    }

    fn create(&mut self) -> std::io::Result<String> {
        let dir = self.random_dir();
        let rel = join(&dir, &self.name("f"));
        let len = self.size();
        let data = self.bytes(len);
        std::fs::write(self.abs(&rel), &data)?;
        self.files.push(rel.clone());
        Ok(format!("create {rel:?} {len}"))
    }

    fn append(&mut self) -> std::io::Result<String> {
        let Some(rel) = self.random_file() else {
            return self.create();
        };
        let len = self.size();
        let data = self.bytes(len);
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(self.abs(&rel))?
            .write_all(&data)?;
        Ok(format!("append {rel:?} {len}"))
    }

    fn overwrite(&mut self) -> std::io::Result<String> {
        let Some(rel) = self.random_file() else {
            return self.create();
        };
        let size = std::fs::metadata(self.abs(&rel))?.len() as usize;
        let at = self.rng.below(size + 8192);
        let len = 1 + self.rng.below(8192);
        let data = self.bytes(len);
        use std::os::unix::fs::FileExt;
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.abs(&rel))?
            .write_all_at(&data, at as u64)?;
        Ok(format!("overwrite {rel:?} at {at} len {len}"))
    }

    fn truncate(&mut self) -> std::io::Result<String> {
        let Some(rel) = self.random_file() else {
            return self.create();
        };
        let size = std::fs::metadata(self.abs(&rel))?.len() as usize;
        let to = self.rng.below(size * 2 + 2);
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.abs(&rel))?
            .set_len(to as u64)?;
        Ok(format!("truncate {rel:?} to {to}"))
    }

    fn rename(&mut self) -> std::io::Result<String> {
        let Some(from) = self.random_file() else {
            return self.create();
        };
        // A quarter of the time onto another file, which it replaces.
        let onto = if self.rng.below(4) == 0 {
            self.random_file().filter(|f| *f != from)
        } else {
            None
        };
        let to = match onto {
            Some(f) => f,
            None => {
                let dir = self.random_dir();
                join(&dir, &self.name("r"))
            }
        };
        std::fs::rename(self.abs(&from), self.abs(&to))?;
        self.files.retain(|f| *f != from && *f != to);
        self.files.push(to.clone());
        Ok(format!("rename {from:?} -> {to:?}"))
    }

    fn unlink(&mut self) -> std::io::Result<String> {
        let mut both = self.files.clone();
        both.extend(self.links.iter().cloned());
        let Some(rel) = self.pick(&both).cloned() else {
            return self.create();
        };
        std::fs::remove_file(self.abs(&rel))?;
        self.files.retain(|f| *f != rel);
        self.links.retain(|f| *f != rel);
        Ok(format!("unlink {rel:?}"))
    }

    fn mkdir(&mut self) -> std::io::Result<String> {
        let dir = self.random_dir();
        let rel = join(&dir, &self.name("d"));
        std::fs::create_dir(self.abs(&rel))?;
        self.dirs.push(rel.clone());
        Ok(format!("mkdir {rel:?}"))
    }

    fn rmdir(&mut self) -> std::io::Result<String> {
        let empty: Vec<String> = self
            .dirs
            .iter()
            .filter(|d| !d.is_empty())
            .filter(|d| std::fs::read_dir(self.root.join(d)).is_ok_and(|mut e| e.next().is_none()))
            .cloned()
            .collect();
        let Some(rel) = self.pick(&empty).cloned() else {
            return self.mkdir();
        };
        std::fs::remove_dir(self.abs(&rel))?;
        self.dirs.retain(|d| *d != rel);
        Ok(format!("rmdir {rel:?}"))
    }

    fn rename_dir(&mut self) -> std::io::Result<String> {
        let movable: Vec<String> = self
            .dirs
            .iter()
            .filter(|d| !d.is_empty())
            .cloned()
            .collect();
        let Some(from) = self.pick(&movable).cloned() else {
            return self.mkdir();
        };
        let inside = format!("{from}/");
        let targets: Vec<String> = self
            .dirs
            .iter()
            .filter(|d| **d != from && !d.starts_with(&inside))
            .cloned()
            .collect();
        let parent = self.pick(&targets).cloned().unwrap_or_default();
        let to = join(&parent, &self.name("m"));
        std::fs::rename(self.abs(&from), self.abs(&to))?;
        let moved = |p: &String| -> String {
            if *p == from {
                to.clone()
            } else if let Some(rest) = p.strip_prefix(&inside) {
                format!("{to}/{rest}")
            } else {
                p.clone()
            }
        };
        self.dirs = self.dirs.iter().map(moved).collect();
        self.files = self.files.iter().map(moved).collect();
        self.links = self.links.iter().map(moved).collect();
        Ok(format!("rename dir {from:?} -> {to:?}"))
    }

    fn symlink(&mut self) -> std::io::Result<String> {
        let dir = self.random_dir();
        let rel = join(&dir, &self.name("l"));
        // Fast (in the inode, under 60 bytes) and slow (in a block) ones.
        let target = match self.rng.below(3) {
            0 => format!("t{}", self.rng.below(1000)),
            1 => {
                let n = 60 + self.rng.below(400);
                (0..n)
                    .map(|i| {
                        if i % 9 == 8 {
                            '/'
                        } else {
                            (b'a' + (i % 26) as u8) as char
                        }
                    })
                    .collect()
            }
            _ => self.random_file().unwrap_or_else(|| "dangling".into()),
        };
        std::os::unix::fs::symlink(&target, self.abs(&rel))?;
        self.links.push(rel.clone());
        Ok(format!("symlink {rel:?} -> {} bytes", target.len()))
    }

    fn fallocate(&mut self) -> std::io::Result<String> {
        let Some(rel) = self.random_file() else {
            return self.create();
        };
        let size = std::fs::metadata(self.abs(&rel))?.len() as usize;
        let (mode, what) = match self.rng.below(4) {
            0 => (0, "allocate"),
            1 => (libc::FALLOC_FL_KEEP_SIZE, "allocate, keep size"),
            2 => (
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                "punch hole",
            ),
            _ => (libc::FALLOC_FL_ZERO_RANGE, "zero range"),
        };
        let at = self.rng.below(size + 4096);
        let len = 1 + self.rng.below(65536);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(self.abs(&rel))?;
        // SAFETY: a valid open descriptor; fallocate takes no pointers.
        let rc = unsafe {
            libc::fallocate(
                std::os::fd::AsRawFd::as_raw_fd(&file),
                mode,
                at as libc::off_t,
                len as libc::off_t,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(format!("fallocate ({what}) {rel:?} at {at} len {len}"))
    }

    fn chmod(&mut self) -> std::io::Result<String> {
        let mut all = self.files.clone();
        all.extend(self.dirs.iter().filter(|d| !d.is_empty()).cloned());
        let Some(rel) = self.pick(&all).cloned() else {
            return self.create();
        };
        let mode = u32::try_from(self.rng.below(0o10000)).unwrap_or(0o644);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.abs(&rel), std::fs::Permissions::from_mode(mode))?;
        Ok(format!("chmod {mode:o} {rel:?}"))
    }

    fn chown(&mut self) -> std::io::Result<String> {
        let mut all = self.files.clone();
        all.extend(self.dirs.iter().cloned());
        all.extend(self.links.iter().cloned());
        let Some(rel) = self.pick(&all).cloned() else {
            return self.create();
        };
        // Above 65535 the high 16 bits live in another field.
        const IDS: [u32; 6] = [0, 1000, 1001, 65534, 70000, 4_000_000];
        let uid = IDS[self.rng.below(IDS.len())];
        let gid = IDS[self.rng.below(IDS.len())];
        std::os::unix::fs::lchown(self.abs(&rel), Some(uid), Some(gid))?;
        Ok(format!("chown {uid}:{gid} {rel:?}"))
    }

    fn hard_link(&mut self) -> std::io::Result<String> {
        let Some(from) = self.random_file() else {
            return self.create();
        };
        let dir = self.random_dir();
        let to = join(&dir, &self.name("h"));
        std::fs::hard_link(self.abs(&from), self.abs(&to))?;
        self.files.push(to.clone());
        Ok(format!("link {from:?} -> {to:?}"))
    }

    /// A file unlinked while open: on the orphan list at shutdown, for the
    /// kernel's mount to delete.
    fn orphan(&mut self) -> std::io::Result<String> {
        let dir = self.random_dir();
        let rel = join(&dir, &self.name("o"));
        let len = self.size();
        let data = self.bytes(len);
        std::fs::write(self.abs(&rel), &data)?;
        let file = File::open(self.abs(&rel))?;
        file.sync_all()?;
        std::fs::remove_file(self.abs(&rel))?;
        self.held.push(file);
        Ok(format!("orphan {rel:?} {len}"))
    }

    /// Many small files in one directory: its entries outgrow a block, so
    /// dir_index makes it an htree.
    fn burst(&mut self) -> std::io::Result<String> {
        let dir = self.random_dir();
        let n = 30 + self.rng.below(30);
        for _ in 0..n {
            let rel = join(&dir, &self.name("b"));
            let len = self.rng.below(200);
            let data = self.bytes(len);
            std::fs::write(self.abs(&rel), &data)?;
            self.files.push(rel);
        }
        Ok(format!("burst of {n} files in {dir:?}"))
    }

    /// A commit: sync(2), fsync of one file, or syncfs.
    fn sync(&mut self) -> std::io::Result<String> {
        let how = self.rng.below(3);
        match if self.fsync_only { 1 } else { how } {
            0 => {
                // SAFETY: sync takes no arguments and cannot fail.
                unsafe { libc::sync() };
                Ok("sync".into())
            }
            1 => {
                let Some(rel) = self.random_file() else {
                    return Ok("fsync: no file".into());
                };
                File::open(self.abs(&rel))?.sync_all()?;
                Ok(format!("fsync {rel:?}"))
            }
            _ => {
                let root = File::open(&self.root)?;
                // SAFETY: a valid open descriptor.
                let rc = unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&root)) };
                if rc != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok("syncfs".into())
            }
        }
    }
}

/// The free blocks of an ext image, from dumpe2fs's `Free blocks:` lines.
fn free_blocks(image: &Path) -> BTreeSet<u64> {
    let out = tool("dumpe2fs", &[path_str(image)]);
    assert!(out.status.success(), "{}", describe("dumpe2fs", &out));
    let mut free = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // The group lines, indented (not the superblock's count).
        let Some(list) = line.strip_prefix("  Free blocks: ") else {
            continue;
        };
        for range in list.split(", ").filter(|r| !r.is_empty()) {
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            let (a, b): (u64, u64) = (a.parse().expect("block"), b.parse().expect("block"));
            free.extend(a..=b);
        }
    }
    free
}

/// The blocks of every `code` finding that are still in use after the
/// kernel's mount (`free`: its free blocks then), one line each.
fn kept_by_the_kernel(findings: &[Value], code: &str, free: &BTreeSet<u64>) -> Vec<String> {
    let mut out = Vec::new();
    for f in findings.iter().filter(|f| f["code"] == code) {
        for run in f["blocks"].as_array().into_iter().flatten() {
            let (start, len) = (run[0].as_u64().unwrap_or(0), run[1].as_u64().unwrap_or(0));
            let kept: Vec<u64> = (start..start + len).filter(|b| !free.contains(b)).collect();
            if !kept.is_empty() {
                out.push(format!(
                    "{code} names blocks the kernel keeps in use after its mount: {kept:?}"
                ));
            }
        }
    }
    out
}

/// Severity order of the scan's findings.
fn severity_rank(s: &str) -> u8 {
    match s {
        "info" => 0,
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "critical" => 4,
        _ => 5,
    }
}

/// One dirty-journal run.
struct Plan<'a> {
    fstype: &'a str,
    /// More mke2fs options (features, block size).
    mkfs: &'a [&'a str],
    /// More mount options for the workload (`journal_async_commit`, ...).
    options: &'a str,
    seed: u64,
    ops: usize,
    /// `shutdown -f` (commit the running transaction first) or `shutdown`
    /// (abort it: what was not committed is lost).
    flush: bool,
    /// Mounted `data=journal` (file data logged too) with a commit after
    /// every operation, so that the 1024-block log fills and wraps.
    data_journal: bool,
    /// Assert that the live log crosses the end of the ring.
    must_wrap: bool,
    /// Assert that files unlinked while open were left on the orphan list
    /// (imginspect's orphan_cleanup_pending, whose blocks the kernel frees).
    must_orphan: bool,
}

/// A workload on a fresh image, left with a dirty journal by a shutdown;
/// then imginspect's replay against the kernel's.
fn dirty_journal_agrees(plan: &Plan<'_>) {
    let &Plan {
        fstype,
        mkfs,
        options: extra_options,
        seed,
        ops,
        flush,
        data_journal,
        must_wrap,
        must_orphan,
    } = plan;
    if !loop_mounts_work() || !common::have_tool("xfs_io") || !common::have_tool("e2fsck") {
        return;
    }
    let started = Instant::now();
    let label = format!("{fstype} {mkfs:?} -o {extra_options:?} seed {seed:#x}");
    let dir = tempfile::tempdir().expect("tempdir");
    let mounted_file = dir.path().join("workload.img");
    make_fs(&mounted_file, fstype, 16 << 20, seed, mkfs).expect("mke2fs");

    // The workload, on a read-write mount. The commit interval is long, so
    // that only the workload's own syncs (and the shutdown) commit.
    let log = {
        let mut options = String::from("rw,commit=3600");
        if data_journal {
            options.push_str(",data=journal");
        }
        if !extra_options.is_empty() {
            options.push(',');
            options.push_str(extra_options);
        }
        let mount = Mount::new(&mounted_file, &options).expect("mount rw");
        let mut work = Workload::new(mount.path(), seed);
        work.fsync_only = data_journal;
        for i in 0..ops {
            work.step();
            if data_journal {
                // A commit, but no writeback of the metadata: the log tail
                // moves only when jbd2 needs the space, so the live log
                // fills the ring and crosses its end.
                let root = File::open(mount.path()).expect("open the mount point");
                root.sync_all().expect("fsync");
            }
            if i == ops / 2 && !data_journal {
                // At least one committed transaction, whatever the seed.
                // SAFETY: sync takes no arguments and cannot fail.
                unsafe { libc::sync() };
                work.note("sync (forced)".into());
            }
        }
        let how = if flush { "shutdown -f" } else { "shutdown" };
        let out = tool("xfs_io", &["-x", "-c", how, path_str(mount.path())]);
        assert!(
            out.status.success(),
            "{}",
            describe("xfs_io shutdown", &out)
        );
        work.note(format!("xfs_io -x -c {how:?}"));
        // The crash image: the backing file as the shutdown left it, read
        // while still mounted. The unmount would still flush the block
        // device's dirty buffers (committed metadata, which the shut-down
        // filesystem no longer writes itself, but the page cache of the
        // device does) to their home locations, and replay would then
        // change nothing. Taken here, what was committed after the last
        // sync is only in the log, as after a power cut.
        let crash = std::fs::read(&mounted_file).expect("read the crash image");
        drop(work.held.drain(..));
        (work.log, crash)
    };
    let (log, before) = log;
    let image = dir.path().join("crash.img");
    std::fs::write(&image, &before).expect("write the crash image");
    // To look at a failure by hand: KERNEL_TEST_KEEP=DIR keeps the image.
    if let Some(keep) = std::env::var_os("KERNEL_TEST_KEEP") {
        let kept = Path::new(&keep).join(format!("dirty-{fstype}-{seed:x}.img"));
        std::fs::write(&kept, &before).expect("keep the dirty image");
        std::fs::write(kept.with_extension("log"), log.join("\n")).expect("keep the log");
        eprintln!("{label}: kept {}", kept.display());
    }

    // The journal is dirty: imginspect and dumpe2fs agree it needs recovery.
    let scan = common::scan_json(&image);
    let journal = &scan["volumes"][0]["journal"];
    assert_eq!(
        journal["needs_recovery"], true,
        "{label}: imginspect sees no pending recovery: {journal}\n{log:#?}"
    );
    let committed = journal["transactions"]
        .as_array()
        .map_or(0, |t| t.iter().filter(|t| t["committed"] == true).count());
    let dump = tool("dumpe2fs", &["-h", path_str(&image)]);
    assert!(
        String::from_utf8_lossy(&dump.stdout).contains("needs_recovery"),
        "{label}: {}",
        describe("dumpe2fs -h", &dump)
    );
    assert!(committed > 0, "{label}: no committed transaction\n{log:#?}");
    // The replay must matter: blocks whose logged bytes differ from those at
    // home, or the comparison below could not tell a replay from none.
    let replay_changes = {
        use imginspect::image::View;
        let view = View::from_bytes(&before);
        let journal = imginspect::fs::ext::journal::read(&view).expect("a journal to replay");
        let bs = usize::try_from(journal.overlay.block_size()).expect("block size");
        journal
            .overlay
            .iter()
            .filter(|&(b, bytes)| {
                let at = usize::try_from(b).expect("block") * bs;
                before.get(at..at + bs) != Some(bytes)
            })
            .count()
    };
    assert!(
        replay_changes > 0,
        "{label}: replay changes no block: nothing to compare\n{log:#?}"
    );
    let starts: Vec<u64> = journal["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["journal_block"].as_u64())
        .collect();
    let wrapped = starts.windows(2).any(|w| w[1] < w[0]);
    if must_wrap {
        assert!(
            wrapped,
            "{label}: the log was meant to wrap: transactions start at {starts:?}"
        );
    }

    // The kernel's replay, on a copy.
    let copy = dir.path().join("kernel-replayed.img");
    std::fs::write(&copy, &before).expect("copy");
    let (diffs, tally) = {
        let mount = Mount::new(&copy, "ro").expect("mount the dirty copy ro");
        compare(&image, mount.path())
    };
    let fsck = tool("e2fsck", &["-fn", path_str(&copy)]);
    let kernel_free = free_blocks(&copy);
    let after_scan = common::scan_json(&copy);

    // imginspect's findings on the original: nothing above medium, and the
    // pending replay said.
    let findings = scan["volumes"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let codes: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or("?").to_string(),
                f["code"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    eprintln!(
        "{label}: {ops} ops, {committed} committed transactions{}, replay changes {replay_changes} blocks, {} names, {} inodes, \
         {} bytes compared, {} differences, findings {codes:?}, {:.1?}",
        if wrapped { " (the log wraps)" } else { "" },
        tally.names,
        tally.inodes,
        tally.bytes,
        diffs.len(),
        started.elapsed()
    );
    let mut failures: Vec<String> = diffs.iter().map(|d| d.to_string()).collect();
    if fsck.status.code() != Some(0) {
        failures.push(describe("e2fsck -fn on the kernel-replayed copy", &fsck));
    }
    for (severity, code) in &codes {
        if severity_rank(severity) > severity_rank("medium") {
            failures.push(format!("finding above medium: {severity} {code}"));
        }
    }
    // Files unlinked while open are orphans: imginspect keeps their claims
    // and says that mount frees them (orphan_cleanup_pending); the kernel's
    // mount (ext4_orphan_cleanup, right after replay) must free those.
    failures.extend(kept_by_the_kernel(
        &findings,
        "orphan_cleanup_pending",
        &kernel_free,
    ));
    if must_orphan && !codes.iter().any(|(_, c)| c == "orphan_cleanup_pending") {
        failures.push(format!("no orphan_cleanup_pending finding: {codes:?}"));
    }
    if !codes.iter().any(|(_, c)| c == "journal_replay_pending") {
        failures.push(format!("no journal_replay_pending finding: {codes:?}"));
    }
    // Blocks we call allocated but unclaimed must be free after the
    // kernel's mount too (leaks it cleans up).
    failures.extend(kept_by_the_kernel(
        &findings,
        "allocated_but_unclaimed",
        &kernel_free,
    ));
    // After the kernel's replay and orphan cleanup there is nothing to say.
    let after = after_scan["volumes"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !after.is_empty() || !after_scan["volumes"][0]["journal"].is_null() {
        failures.push(format!(
            "findings on the kernel-replayed copy: {after:?}, journal {}",
            after_scan["volumes"][0]["journal"]
        ));
    }
    assert_eq!(
        std::fs::read(&image).expect("read image"),
        before,
        "{label}: the original changed"
    );
    assert!(
        failures.is_empty(),
        "{label}: {} problems:\n{}\n--- the workload:\n{}",
        failures.len(),
        failures.join("\n"),
        log.join("\n")
    );
}

const EXT4: Plan<'static> = Plan {
    fstype: "ext4",
    mkfs: &[],
    options: "",
    seed: 0,
    ops: 60,
    flush: true,
    data_journal: false,
    must_wrap: false,
    must_orphan: false,
};

#[test]
fn kernel_replay_of_a_dirty_ext4_journal_agrees_seed_1() {
    dirty_journal_agrees(&Plan {
        seed: 0x5eed_0001,
        ..EXT4
    });
}

#[test]
fn kernel_replay_of_a_dirty_ext4_journal_agrees_seed_2() {
    // The running transaction aborted, not committed.
    dirty_journal_agrees(&Plan {
        seed: 0x5eed_0002,
        flush: false,
        ..EXT4
    });
}

#[test]
fn kernel_replay_of_a_dirty_ext4_journal_agrees_seed_3() {
    dirty_journal_agrees(&Plan {
        seed: 0x5eed_0003,
        ..EXT4
    });
}

#[test]
fn kernel_replay_of_a_dirty_ext3_journal_agrees() {
    dirty_journal_agrees(&Plan {
        fstype: "ext3",
        seed: 0x5eed_0004,
        ..EXT4
    });
}

/// With the orphan_file feature, files unlinked while open sit in the orphan
/// file's slots, not on the s_last_orphan chain: read, and freed by the
/// kernel's mount exactly where imginspect says.
#[test]
fn kernel_replay_with_an_orphan_file_agrees() {
    dirty_journal_agrees(&Plan {
        mkfs: &["-O", "orphan_file", "-b", "4096"],
        seed: 0x5eed_1009,
        flush: true,
        must_orphan: true,
        ..EXT4
    });
}

/// data=journal and a commit per operation: the log wraps past its end
/// before the shutdown, and file data is replayed too.
#[test]
fn kernel_replay_of_a_wrapped_data_journal_agrees() {
    dirty_journal_agrees(&Plan {
        seed: 0x5eed_0005,
        ops: 150,
        flush: false,
        data_journal: true,
        must_wrap: true,
        ..EXT4
    });
}

/// More seeds, by hand: `KERNEL_TEST_SEEDS=1-40 [KERNEL_TEST_FSTYPE=ext3]
/// [KERNEL_TEST_MKFS="-O inline_data -b 4096"]
/// [KERNEL_TEST_MOUNT_OPTIONS=journal_async_commit] [KERNEL_TEST_DATA_JOURNAL=1]
/// cargo test --test kernel_mounts_agree -- --ignored` (odd seeds shut down with a log
/// flush, even ones without).
#[test]
#[ignore = "a long search, run by hand"]
fn kernel_replay_of_many_seeds_agrees() {
    let seeds = std::env::var("KERNEL_TEST_SEEDS").unwrap_or_else(|_| "1-10".into());
    let (a, b) = seeds.split_once('-').unwrap_or((&seeds, &seeds));
    let (a, b): (u64, u64) = (a.parse().expect("seed"), b.parse().expect("seed"));
    let fstype = std::env::var("KERNEL_TEST_FSTYPE").unwrap_or_else(|_| "ext4".into());
    let mkfs = std::env::var("KERNEL_TEST_MKFS").unwrap_or_default();
    let mkfs: Vec<&str> = mkfs.split_whitespace().collect();
    let data_journal = std::env::var("KERNEL_TEST_DATA_JOURNAL").is_ok_and(|v| v == "1");
    let options = std::env::var("KERNEL_TEST_MOUNT_OPTIONS").unwrap_or_default();
    for seed in a..=b {
        dirty_journal_agrees(&Plan {
            fstype: &fstype,
            mkfs: &mkfs,
            options: &options,
            seed: 0x5eed_1000 + seed,
            ops: 60,
            flush: seed % 2 == 1,
            data_journal,
            must_wrap: false,
            must_orphan: false,
        });
    }
}

/// The orphan trap, checked against the kernel: an inode on the orphan list
/// whose blocks are /etc/shadow's. `e2fsck -fn` reports no shared block
/// there and `e2fsck -p` (what boot runs) calls the filesystem clean; a
/// read-only mount of a copy frees exactly the blocks imginspect's
/// `orphan_cleanup_pending` names, while /etc/shadow still maps them.
#[test]
fn the_kernel_frees_what_orphan_cleanup_pending_names() {
    if !loop_mounts_work() || !common::have_tool("e2fsck") || !common::have_tool("dumpe2fs") {
        return;
    }
    for (name, release) in [
        ("orphan-shadow-trap.img", "delete"),
        ("orphan-truncate-trap.img", "truncate"),
    ] {
        let original = common::samples_dir().join(name);
        let before = std::fs::read(&original).expect("read sample");
        let scan = common::scan_json(&original);
        let findings = scan["volumes"][0]["findings"].as_array().expect("findings");
        let pending = findings
            .iter()
            .find(|f| f["code"] == "orphan_cleanup_pending")
            .unwrap_or_else(|| panic!("{name}: no orphan_cleanup_pending: {findings:?}"));
        assert_eq!(pending["severity"], "critical", "{name}: {pending}");
        assert!(
            pending["message"]
                .as_str()
                .unwrap_or_default()
                .contains("/etc/shadow"),
            "{name}: the finding names the victim: {pending}"
        );
        let named: BTreeSet<u64> = pending["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .flat_map(|r| {
                let s = r[0].as_u64().expect("start");
                s..s + r[1].as_u64().expect("count")
            })
            .collect();
        let claimer = scan["volumes"][0]["crosslinks"]
            .as_array()
            .expect("crosslinks")
            .iter()
            .flat_map(|x| x["claimers"].as_array().cloned().unwrap_or_default())
            .find(|c| c["released_at_mount"] == release);
        assert!(
            claimer.is_some(),
            "{name}: no claimer marked {release} at mount"
        );

        let dir = tempfile::tempdir().expect("tempdir");
        let copy = dir.path().join(name);
        std::fs::write(&copy, &before).expect("copy");
        // e2fsck's view: -n sees no orphan cross-link, -p cleans up and passes.
        let fsck_p_copy = dir.path().join("p.img");
        std::fs::write(&fsck_p_copy, &before).expect("copy");
        let p = tool("e2fsck", &["-p", path_str(&fsck_p_copy)]);
        assert_eq!(p.status.code(), Some(0), "{}", describe("e2fsck -p", &p));
        let free_before = free_blocks(&copy);
        let shadow: BTreeSet<u64> = {
            let out = tool("debugfs", &["-R", "blocks /etc/shadow", path_str(&copy)]);
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(|b| b.parse().expect("block"))
                .collect()
        };
        assert!(!shadow.is_empty(), "{name}: /etc/shadow has blocks");
        {
            let _mount = Mount::new(&copy, "ro").expect("mount the copy");
        }
        let freed: BTreeSet<u64> = free_blocks(&copy)
            .difference(&free_before)
            .copied()
            .collect();
        assert_eq!(
            freed, named,
            "{name}: blocks the kernel's mount freed (left) vs orphan_cleanup_pending's (right)"
        );
        assert!(
            freed.is_subset(&shadow),
            "{name}: mount freed {freed:?}, /etc/shadow maps {shadow:?}"
        );
        let p_freed: BTreeSet<u64> = free_blocks(&fsck_p_copy)
            .difference(&free_before)
            .copied()
            .collect();
        assert_eq!(p_freed, named, "{name}: e2fsck -p frees the same blocks");
        assert_eq!(
            std::fs::read(&original).expect("read"),
            before,
            "{name} changed"
        );
    }
}

/// A filesystem whose primary superblock is gone: imginspect scans it
/// through the first backup and says how to mount it (`-o sb=N`); the
/// kernel, mounted exactly so, shows the same names, inodes and bytes.
#[test]
fn a_zeroed_primary_superblock_reads_as_the_kernel_mounts_its_backup() {
    if !loop_mounts_work() {
        return;
    }
    // mke2fs's default geometry (8192 blocks of 1 KiB per group), so that
    // a zeroed primary leaves e2fsck's first guess, block 8193, to find.
    let dir = tempfile::tempdir().expect("tempdir");
    let image = dir.path().join("no-primary.img");
    make_fs(&image, "ext4", 24 << 20, 0xb4c, &[]).expect("mke2fs");
    {
        // A few files, written through the kernel.
        let mount = Mount::new(&image, "rw").expect("mount rw");
        for i in 0..12 {
            std::fs::write(
                mount.path().join(format!("f{i}.txt")),
                format!("file {i}\n").repeat(300 * i + 1),
            )
            .expect("write a file");
        }
    }
    let mut bytes = std::fs::read(&image).expect("read");
    bytes[1024..2048].fill(0);
    std::fs::write(&image, &bytes).expect("write");
    let json = common::scan_json(&image);
    let finding = json["volumes"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "primary_superblock_unusable")
        .unwrap_or_else(|| panic!("no primary_superblock_unusable: {json}"))
        .clone();
    let message = finding["message"].as_str().expect("message");
    let sb = message
        .split("-o sb=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap_or_else(|| panic!("no -o sb=N in {message}"));
    let copy = dir.path().join("copy.img");
    std::fs::write(&copy, &bytes).expect("copy");
    let mount = Mount::new(&copy, &format!("ro,sb={sb}"))
        .unwrap_or_else(|e| panic!("the kernel does not mount with sb={sb}: {e}"));
    let (diffs, tally) = compare(&image, mount.path());
    assert!(tally.names >= 10, "only {} names compared", tally.names);
    assert!(
        diffs.is_empty(),
        "differences with the kernel's mount through sb={sb}:\n{}",
        diffs
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        std::fs::read(&image).expect("read"),
        bytes,
        "the image changed"
    );
}
