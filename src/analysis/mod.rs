//! Analysis: from a parsed [`Filesystem`] to cross-links and findings.
//!
//! Every inode run and metadata region becomes a claim; the [`sweep`] finds the
//! runs of blocks with two or more claimers; each is classified (cross-link,
//! metadata overlap, declared sharing) and explained. The allocation bitmap is
//! compared with the claims both ways. The result is one immutable [`ScanResult`].

mod clusters;
mod release;
pub mod sweep;

use std::collections::{BTreeMap, HashSet};

use rayon::slice::ParallelSliceMut;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::fs::ext::journal::Journal;
use crate::fs::{self, Progress};
use crate::image::{Image, Overlay, View};
use crate::model::{
    BlockNo, BlockRun, Filesystem, Finding, FindingKey, Inode, InodeNo, MetaRole, Release, Role,
    Severity, Units, coalesce_runs, mode_string,
};
use crate::volume::{self, Partition, PartitionTable};
use sweep::{Shared, Span};

/// Who claims a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Claimer {
    Inode {
        inode: InodeNo,
        paths: Vec<String>,
        role: Role,
        /// File block at the start of the shared run (absent for tree and xattr blocks).
        #[serde(skip_serializing_if = "Option::is_none")]
        logical_block: Option<u64>,
        mode: String,
        uid: u32,
        gid: u32,
        /// What mount does to the inode first (on the orphan list).
        #[serde(skip_serializing_if = "Option::is_none")]
        released_at_mount: Option<Release>,
        /// The blocks it maps in the run, when it does not map all of it
        /// (a bigalloc cluster shared whole: each owner maps some blocks).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        blocks: Vec<[u64; 2]>,
    },
    Metadata {
        role: MetaRole,
        group: Option<u32>,
    },
}

/// A run of blocks with two or more claimers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crosslink {
    pub start_block: BlockNo,
    pub block_count: u64,
    /// The claimers (at most `sweep::MAX_LISTED` of them).
    pub claimers: Vec<Claimer>,
    /// How many claims the run has in all (more than `claimers` when capped).
    pub claimer_count: usize,
    pub legitimate: bool,
    pub reason: String,
}

/// The analysis of one volume.
#[derive(Debug, Clone)]
pub struct VolumeResult {
    pub index: usize,
    pub offset_bytes: u64,
    pub length_bytes: u64,
    /// The partition this volume is, on a partitioned disk.
    pub partition: Option<Partition>,
    pub filesystem: Option<Filesystem>,
    /// Why no filesystem could be parsed.
    pub error: Option<String>,
    pub crosslinks: Vec<Crosslink>,
    /// Parser and analysis findings, most severe first.
    pub findings: Vec<Finding>,
    /// The ext journal, when it was read (recovery pending, or asked for).
    pub journal: Option<Box<Journal>>,
    /// The model and findings are of the filesystem with the journal
    /// replayed (what the kernel will mount), not of the bytes on disk.
    pub replayed: bool,
}

impl VolumeResult {
    /// The journal replay the model was made through, if it was: read the
    /// volume with it to see the bytes the model describes.
    pub fn replay_overlay(&self) -> Option<&Overlay> {
        self.journal
            .as_deref()
            .filter(|_| self.replayed)
            .map(|j| &j.overlay)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageInfo {
    pub path: String,
    pub size_bytes: u64,
    pub sha256: Option<String>,
}

/// Everything one scan found.
#[derive(Debug, Clone)]
pub struct ScanResult {
    pub image: ImageInfo,
    /// The partition table, on a partitioned disk.
    pub partition_table: Option<PartitionTable>,
    pub volumes: Vec<VolumeResult>,
}

impl ScanResult {
    /// All findings: the partition table's, then every volume's.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.partition_table
            .iter()
            .flat_map(|t| t.findings.iter())
            .chain(self.volumes.iter().flat_map(|v| v.findings.iter()))
    }

    /// True if no volume holds a recognised filesystem.
    pub fn nothing_recognised(&self) -> bool {
        self.volumes.iter().all(|v| v.filesystem.is_none())
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings().filter(|f| f.severity == severity).count()
    }

    /// Blocks in non-legitimate cross-links, over all volumes.
    pub fn crosslinked_blocks(&self) -> u64 {
        self.volumes
            .iter()
            .flat_map(|v| &v.crosslinks)
            .filter(|c| !c.legitimate)
            .map(|c| c.block_count)
            .sum()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Hash the whole image (costs a full read).
    pub hash: bool,
    /// Parse only: no ownership sweep, no cross-links, no bitmap comparison
    /// (for lookups such as `imginspect block`, which need the model alone).
    pub parse_only: bool,
    /// How much of the filesystem goes into the model (the findings are the
    /// same either way).
    pub detail: fs::Detail,
    /// Which view of an ext filesystem whose journal needs recovery.
    pub journal: JournalMode,
}

/// Which filesystem a scan shows when an ext journal needs recovery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JournalMode {
    /// The filesystem as the kernel will mount it: the journal replayed in
    /// memory; findings that exist only then are marked `after_replay`.
    #[default]
    Replay,
    /// The bytes as they lie on disk.
    Ignore,
    /// The replayed view, plus the on-disk findings that replay removes
    /// (marked `before_replay`).
    Both,
}

/// Scans an image: each partition of its partition table is a volume, or the
/// whole image is one when it has no table.
pub fn scan(image: &Image, options: &ScanOptions, progress: &dyn Progress) -> ScanResult {
    let mut result = scan_view(
        &image.path().display().to_string(),
        &image.view(),
        options,
        progress,
    );
    if image.size_changed()
        && let Some(volume) = result.volumes.first_mut()
    {
        volume.findings.insert(
            0,
            Finding::new(
                Severity::High,
                "image_changed",
                "the image file changed size while it was being scanned: results may be inconsistent",
            ),
        );
    }
    result
}

/// Scans the bytes of a view (the whole image, or bytes held in memory).
pub fn scan_view(
    path: &str,
    view: &View<'_>,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> ScanResult {
    let (table, whole_image_notes) = volume::read_layout(view);
    let scan_volumes = || match &table {
        None => {
            let mut volume = scan_volume(0, view, None, options, progress);
            volume.findings.extend(whole_image_notes.iter().cloned());
            volume
                .findings
                .sort_by_key(|f| std::cmp::Reverse(f.severity));
            vec![volume]
        }
        Some(t) => t
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| scan_volume(i, view, Some((p, t.sector_size)), options, progress))
            .collect(),
    };
    // The hash reads the whole image: it runs beside the scan, not after it.
    let (volumes, sha256) = if options.hash {
        let (volumes, digest) = rayon::join(scan_volumes, || sha256(view, progress));
        (volumes, Some(digest))
    } else {
        (scan_volumes(), None)
    };
    ScanResult {
        image: ImageInfo {
            path: path.to_string(),
            size_bytes: view.len(),
            sha256,
        },
        partition_table: table,
        volumes,
    }
}

/// Parses and analyses one volume: the whole view, or one partition of it
/// (clipped to the image; a partition wholly past its end is not scanned).
fn scan_volume(
    index: usize,
    image: &View<'_>,
    partition: Option<(&Partition, u32)>,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> VolumeResult {
    let (offset, wanted) = match partition {
        Some((p, ss)) => (
            p.start_lba.saturating_mul(u64::from(ss)),
            p.sectors.saturating_mul(u64::from(ss)),
        ),
        None => (0, image.len()),
    };
    let length = wanted.min(image.len().saturating_sub(offset));
    let failed = |error: String| VolumeResult {
        index,
        offset_bytes: offset,
        length_bytes: length,
        partition: partition.map(|(p, _)| p.clone()),
        filesystem: None,
        error: Some(error),
        crosslinks: Vec::new(),
        findings: Vec::new(),
        journal: None,
        replayed: false,
    };
    let view = match image.sub(offset, length) {
        Ok(view) if length > 0 => view,
        _ => return failed("the partition lies beyond the end of the image".into()),
    };
    let journal = fs::ext::probe(&view)
        .then(|| fs::ext::journal::read(&view))
        .flatten();
    let one_view = |view: &View<'_>| match fs::parse(view, options.detail, progress) {
        Ok(filesystem) if options.parse_only => VolumeResult {
            index,
            offset_bytes: offset,
            length_bytes: length,
            partition: None,
            findings: filesystem.findings.clone(),
            filesystem: Some(filesystem),
            error: None,
            crosslinks: Vec::new(),
            journal: None,
            replayed: false,
        },
        Ok(filesystem) => analyse(index, offset, length, filesystem, length),
        Err(e) => failed(e.to_string()),
    };
    let mut result = match journal {
        // As it lies on disk: the journal is there to say so, nothing more.
        Some(journal) if options.journal == JournalMode::Ignore => {
            let mut result = one_view(&view);
            result.journal = Some(Box::new(journal));
            result
        }
        Some(journal) if journal.pending() => {
            // The on-disk view only marks findings; a lookup has none to mark.
            let on_disk = (!options.parse_only).then(|| one_view(&view));
            let replayed = one_view(&view.with_overlay(&journal.overlay));
            with_replay(replayed, on_disk.as_ref(), journal, options.journal)
        }
        journal => {
            let mut result = one_view(&view);
            if let Some(journal) = journal {
                // The flag is set, but the log holds nothing mount would
                // write: the kernel replays nothing and clears it.
                for f in result
                    .findings
                    .iter_mut()
                    .filter(|f| f.code == "needs_recovery")
                {
                    f.severity = Severity::Low;
                    f.message = "the journal is marked as needing recovery, but its log holds no committed transaction to replay: mount writes nothing from it and clears the flag".into();
                }
                result.findings.extend(journal.findings.iter().cloned());
                result
                    .findings
                    .sort_by_key(|f| std::cmp::Reverse(f.severity));
                result.journal = Some(Box::new(journal));
            }
            result
        }
    };
    result.partition = partition.map(|(p, _)| p.clone());
    result
}

/// The replayed view's result, its findings marked against the on-disk
/// view's (when there is one: a lookup parses only the replayed view):
/// `after_replay` where only the replayed filesystem has them, and (with
/// [`JournalMode::Both`]) the on-disk-only ones added as `before_replay`.
/// `needs_recovery` gives way to `journal_replay_pending`, which says what
/// replay writes.
fn with_replay(
    mut replayed: VolumeResult,
    on_disk: Option<&VolumeResult>,
    mut journal: Journal,
    mode: JournalMode,
) -> VolumeResult {
    replayed.findings.retain(|f| f.code != "needs_recovery");
    let on_disk_findings: Vec<&Finding> = on_disk
        .map(|v| {
            v.findings
                .iter()
                .filter(|f| f.code != "needs_recovery")
                .collect()
        })
        .unwrap_or_default();
    // Compared by key in a set: a hostile image may have a finding per inode.
    let on_disk_keys: HashSet<FindingKey<'_>> = on_disk_findings.iter().map(|f| f.key()).collect();
    let mut new_findings = 0usize;
    let mut worst_new = Severity::Info;
    for f in replayed.findings.iter_mut().filter(|_| on_disk.is_some()) {
        if !on_disk_keys.contains(&f.key()) {
            f.after_replay = true;
            new_findings += 1;
            worst_new = worst_new.max(f.severity);
        }
    }
    if mode == JournalMode::Both {
        let replayed_keys: HashSet<FindingKey<'_>> =
            replayed.findings.iter().map(Finding::key).collect();
        let removed: Vec<Finding> = on_disk_findings
            .into_iter()
            .filter(|f| !replayed_keys.contains(&f.key()))
            .cloned()
            .collect();
        for mut f in removed {
            f.before_replay = true;
            replayed.findings.push(f);
        }
    }
    if let Some(fs) = &replayed.filesystem {
        for r in journal.replayed.iter_mut().filter(|r| r.what.is_empty()) {
            // Directories are in every model (findings-only too), so this
            // reads the same whatever the detail of the parse.
            let dirs: Vec<String> = claimers_of(fs, r.block)
                .into_iter()
                .filter_map(|c| match c {
                    Claimer::Inode {
                        role: Role::Directory,
                        paths,
                        inode,
                        ..
                    } => Some(paths.first().cloned().unwrap_or(format!("inode {inode}"))),
                    _ => None,
                })
                .collect();
            r.what = if dirs.is_empty() {
                "a file's data or extent-tree block".into()
            } else {
                format!("a block of directory {}", dirs.join(", "))
            };
        }
    }
    let committed: Vec<u32> = journal
        .transactions
        .iter()
        .filter(|t| t.committed)
        .map(|t| t.sequence)
        .collect();
    const SHOWN: usize = 6;
    let mut listed: Vec<String> = journal
        .replayed
        .iter()
        .take(SHOWN)
        .map(|r| {
            let changed = if r.inodes_changed.is_empty() {
                String::new()
            } else {
                let inos: Vec<String> = r.inodes_changed.iter().map(u64::to_string).collect();
                format!(", changing inode {}", inos.join(", "))
            };
            format!("block {} ({}{changed})", r.block, r.what)
        })
        .collect();
    if journal.replayed.len() > SHOWN {
        listed.push(format!("{} more", journal.replayed.len() - SHOWN));
    }
    let sequences = match (committed.first(), committed.last()) {
        (Some(a), Some(b)) if a != b => format!("transactions {a}–{b}"),
        (Some(a), _) => format!("transaction {a}"),
        _ => "no transaction".into(),
    };
    // As serious as what replay brings (high at most: the findings it brings
    // carry their own severity), low when it brings nothing new.
    let (severity, verdict) = if new_findings > 0 {
        (
            worst_new.clamp(Severity::Low, Severity::High),
            format!(
                "{new_findings} finding(s) below appear only then (marked \"appears when the journal is replayed\"); e2fsck -fn skips journal recovery and does not see them"
            ),
        )
    } else {
        (
            Severity::Low,
            "the replayed filesystem has no finding the on-disk one lacks".to_string(),
        )
    };
    let mut pending = Finding::new(
        severity,
        "journal_replay_pending",
        format!(
            "the journal needs recovery: at mount the kernel replays {sequences}, writing {}{}{}; {verdict}",
            plural(journal.replayed.len(), "block"),
            if listed.is_empty() {
                String::new()
            } else {
                format!(": {}", join_and(&listed))
            },
            if journal.revoked_blocks > 0 {
                format!(
                    " ({} logged blocks cancelled by revoke records)",
                    journal.revoked_blocks
                )
            } else {
                String::new()
            },
        ),
    )
    .with_blocks(
        coalesce_runs(journal.replayed.iter().map(|r| (r.block, 1)).collect())
            .into_iter()
            .map(|(s, l)| [s, l]),
    );
    pending.inodes = journal
        .replayed
        .iter()
        .flat_map(|r| r.inodes_changed.iter().copied())
        .collect();
    replayed.findings.push(pending);
    replayed.findings.extend(journal.findings.iter().cloned());
    replayed
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    replayed.journal = Some(Box::new(journal));
    replayed.replayed = true;
    replayed
}

/// The SHA-256 of a view, read in bounded chunks. Holes in a sparse image
/// file are hashed as the zeros they read as, without touching their pages.
pub fn sha256(view: &View<'_>, progress: &dyn Progress) -> String {
    const CHUNK: u64 = 1 << 20;
    static ZEROS: [u8; CHUNK as usize] = [0; CHUNK as usize];
    let mut hasher = Sha256::new();
    let len = view.len();
    let mut at = 0;
    while at < len {
        let data = view.next_data(at).unwrap_or(len);
        while at < data {
            let n = CHUNK.min(data - at);
            hasher.update(ZEROS.get(..n as usize).unwrap_or(&[]));
            at += n;
        }
        if at < len {
            let n = CHUNK.min(len - at);
            hasher.update(view.read(at, n as usize).unwrap_or(&[]));
            at += n;
        }
        progress.step("sha256", at >> 20, len >> 20);
    }
    crate::bytes::hex(&hasher.finalize())
}

/// One claim: an inode run or a metadata region, clipped to the filesystem.
#[derive(Debug, Clone)]
struct Claim {
    start: BlockNo,
    owner: Owner,
    logical: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    /// Index into `Filesystem::inodes`, and the role of the run.
    Inode(usize, Role),
    Metadata(MetaRole, Option<u32>),
}

/// The claims, read from the model without copying it: claim id `i` below
/// `fs.runs.len()` is inode run `i`, the ones after it are metadata regions.
/// A claim is materialised only where it is needed (shared runs, bitmap
/// disagreements), so a filesystem of millions of runs costs one span each.
struct ClaimTable<'a> {
    fs: &'a Filesystem,
}

impl ClaimTable<'_> {
    fn metadata_base(&self) -> usize {
        self.fs.runs.len()
    }

    /// The inode (index into `fs.inodes`) whose runs include run `run`: the
    /// arena holds each inode's runs in inode order.
    fn run_owner(&self, run: usize) -> Option<usize> {
        let after = self
            .fs
            .inodes
            .partition_point(|n| n.runs.start as usize <= run);
        after.checked_sub(1)
    }

    /// The runs `analyse` merged into the span that starts at run `id`: that
    /// run, then the following runs of the same inode and role, each starting
    /// where the previous one ends.
    fn merged_runs(&self, id: usize) -> impl Iterator<Item = (usize, &BlockRun)> {
        let fs = self.fs;
        let first = fs.runs.get(id);
        // The owner's runs end here; no binary search per run.
        let owner_end = self
            .run_owner(id)
            .and_then(|i| fs.inodes.get(i))
            .map_or(id, |n| n.runs.start as usize + n.runs.len as usize);
        let mut prev_end = first.map(BlockRun::end);
        fs.runs
            .iter()
            .enumerate()
            .take(owner_end)
            .skip(id)
            .take_while(move |&(k, run)| {
                let continues = k == id
                    || (Some(run.start) == prev_end && Some(run.role) == first.map(|f| f.role));
                prev_end = Some(run.end());
                continues
            })
    }

    /// Where, strictly inside `[from, to)`, the span that starts at run `id`
    /// passes from one of its merged runs to the next.
    fn run_boundaries(&self, id: usize, from: BlockNo, to: BlockNo, out: &mut Vec<BlockNo>) {
        out.extend(
            self.merged_runs(id)
                .skip(1)
                .map(|(_, run)| run.start)
                .take_while(|&start| start < to)
                .filter(|&start| start > from),
        );
    }

    /// The claim of span `id` at block `at`: for a span merged from several
    /// adjacent runs of one inode, the run that holds `at`.
    fn get_at(&self, id: usize, at: BlockNo) -> Option<Claim> {
        let best = self
            .merged_runs(id)
            .take_while(|(_, run)| run.start <= at)
            .find(|(_, run)| at < run.end())
            .map_or(id, |(k, _)| k);
        self.get(best)
    }

    fn get(&self, id: usize) -> Option<Claim> {
        let fs = self.fs;
        if let Some(run) = fs.runs.get(id) {
            let start = run.start.max(fs.first_data_block);
            return Some(Claim {
                start,
                owner: Owner::Inode(self.run_owner(id)?, run.role),
                logical: run.logical.map(|l| l.saturating_add(start - run.start)),
            });
        }
        let region = fs.metadata.get(id.checked_sub(self.metadata_base())?)?;
        Some(Claim {
            start: region.start,
            owner: Owner::Metadata(region.role, region.group),
            logical: None,
        })
    }
}

/// Analyses a parsed filesystem on a volume of `volume_len` bytes.
pub fn analyse(
    index: usize,
    offset_bytes: u64,
    length_bytes: u64,
    fs: Filesystem,
    volume_len: u64,
) -> VolumeResult {
    let mut findings = fs.findings.clone();
    let bs = u64::from(fs.info.block_size);
    let fs_end = fs.info.block_count;
    let image_blocks = volume_len / bs.max(1);
    let claims = ClaimTable { fs: &fs };
    let mut spans: Vec<Span> = Vec::with_capacity(fs.runs.len() + fs.metadata.len());
    for (k, region) in fs.metadata.iter().enumerate() {
        spans.push(Span {
            start: region.start,
            end: region.end().min(fs_end),
            id: claims.metadata_base() + k,
        });
    }
    // Deleted entries' runs are history, not claims.
    for inode in fs.inodes.iter().filter(|n| !n.deleted) {
        let mut outside: Vec<[u64; 2]> = Vec::new();
        let mut beyond_image: Vec<[u64; 2]> = Vec::new();
        let first_run = inode.runs.start as usize;
        for (k, run) in fs.runs_of(inode).iter().enumerate() {
            let start = run.start.max(fs.first_data_block);
            let end = run.end().min(fs_end);
            if run.start < fs.first_data_block || run.end() > fs_end || run.end() == u64::MAX {
                outside.push([run.start, run.len]);
            }
            if start < end {
                if end > image_blocks {
                    let s = start.max(image_blocks);
                    beyond_image.push([s, end - s]);
                }
                // Runs of one inode and role that follow each other on disk
                // are one span: ownership does not care where they sit in
                // the file, and a fragmented file becomes a few spans instead
                // of thousands. Overlapping runs are never merged, so an inode
                // that maps a block twice still shows.
                let id = first_run + k;
                match spans.last_mut() {
                    Some(last)
                        if last.end == start
                            && last.id >= first_run
                            && fs.runs.get(last.id).map(|r| r.role) == Some(run.role) =>
                    {
                        last.end = end;
                    }
                    _ => spans.push(Span { start, end, id }),
                }
            }
        }
        if !outside.is_empty() {
            findings.push(
                Finding::new(
                    Severity::High,
                    "out_of_range",
                    format!(
                        "{} maps {} outside the filesystem (valid blocks {}..{}): {}",
                        describe(&fs, inode),
                        plural(outside.len(), "run"),
                        fs.first_data_block,
                        fs_end,
                        runs_text(&fs.units, &outside)
                    ),
                )
                .with_inodes([inode.ino])
                .with_blocks(outside),
            );
        }
        if !beyond_image.is_empty() {
            findings.push(
                Finding::new(
                    Severity::High,
                    "out_of_range",
                    format!(
                        "{} maps blocks past the end of the image file ({image_blocks} blocks): {}",
                        describe(&fs, inode),
                        runs_text(&fs.units, &beyond_image)
                    ),
                )
                .with_inodes([inode.ino])
                .with_blocks(beyond_image),
            );
        }
    }
    // One sort on the start block (most runs arrive nearly sorted), in parallel.
    spans.par_sort_unstable_by_key(|s| (s.start, s.end, s.id));
    let shared = sweep::overlaps_sorted(&spans);
    let mut crosslinks = classify(&fs, &claims, &shared, &mut findings);
    if fs.cluster_blocks > 1 {
        clusters::shared_clusters(&fs, &mut crosslinks, &mut findings);
    }
    if let Some(allocated) = &fs.allocated {
        bitmap_findings(&fs, &claims, &spans, allocated, &mut findings);
    }
    reused_blocks(&fs, &claims, &spans, &mut findings);
    findings.extend(release::cleanup_finding(&fs, &crosslinks));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    VolumeResult {
        index,
        offset_bytes,
        length_bytes,
        partition: None,
        filesystem: Some(fs),
        error: None,
        crosslinks,
        findings,
        journal: None,
        replayed: false,
    }
}

/// A shared run after merging, with the claim ids and each claim's logical
/// block at the run's start.
struct Merged {
    start: BlockNo,
    end: BlockNo,
    ids: Vec<usize>,
    total: usize,
}

/// Merges adjacent shared segments with the same claims (a claim continues
/// across the boundary, so its logical blocks continue too).
fn merge(shared: &[Shared]) -> Vec<Merged> {
    let mut out: Vec<Merged> = Vec::new();
    for s in shared {
        if let Some(last) = out.last_mut()
            && last.end == s.start
            && last.ids == s.ids
            && last.total == s.total
        {
            last.end = s.end;
            continue;
        }
        out.push(Merged {
            start: s.start,
            end: s.end,
            ids: s.ids.clone(),
            total: s.total,
        });
    }
    out
}

/// Splits a shared run where any of its claims passes from one merged run to
/// the next, so that each piece has one file offset per claimer.
fn split_at_runs(claims: &ClaimTable<'_>, m: Merged) -> Vec<Merged> {
    let mut cuts = Vec::new();
    for &id in &m.ids {
        claims.run_boundaries(id, m.start, m.end, &mut cuts);
    }
    if cuts.is_empty() {
        return vec![m];
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = m.start;
    for cut in cuts.into_iter().chain([m.end]) {
        pieces.push(Merged {
            start,
            end: cut,
            ids: m.ids.clone(),
            total: m.total,
        });
        start = cut;
    }
    pieces
}

fn classify(
    fs: &Filesystem,
    claims: &ClaimTable<'_>,
    shared: &[Shared],
    findings: &mut Vec<Finding>,
) -> Vec<Crosslink> {
    // Findings are grouped per (code, set of owners): one finding for "A and B
    // share blocks X, Y and Z", not three.
    let mut groups: BTreeMap<(&'static str, Vec<Owner>), Vec<usize>> = BTreeMap::new();
    let mut crosslinks = Vec::new();
    for m in merge(shared)
        .into_iter()
        .flat_map(|m| split_at_runs(claims, m))
    {
        let mut in_run: Vec<Claim> = m
            .ids
            .iter()
            .filter_map(|&id| claims.get_at(id, m.start))
            .collect();
        // The filesystem's own inodes over their own metadata (the resize inode
        // over the reserved GDT blocks) are one owner, not two.
        for &(own_ino, own_role) in &fs.own_metadata_inodes {
            let has_role = in_run
                .iter()
                .any(|c| matches!(c.owner, Owner::Metadata(r, _) if r == own_role));
            if has_role {
                in_run.retain(|c| {
                    !matches!(c.owner, Owner::Inode(i, _) if fs.inodes.get(i).is_some_and(|n| n.ino == own_ino))
                });
            }
        }
        if in_run.len() < 2 {
            continue;
        }
        let inode_claims: Vec<(usize, Role)> = in_run
            .iter()
            .filter_map(|c| match c.owner {
                Owner::Inode(i, r) => Some((i, r)),
                Owner::Metadata(..) => None,
            })
            .collect();
        let meta_count = in_run.len() - inode_claims.len();
        let mut distinct_inodes: Vec<usize> = inode_claims.iter().map(|&(i, _)| i).collect();
        distinct_inodes.sort_unstable();
        distinct_inodes.dedup();
        let journal_involved = inode_claims.iter().any(|&(_, r)| r == Role::Journal);
        // The bad-blocks list (ext inode 1) is no file anybody opens: sharing
        // with it says a file sits on a block marked unreadable.
        let files_besides_bad_blocks = inode_claims
            .iter()
            .filter(|&&(_, r)| r != Role::BadBlock)
            .map(|&(i, _)| i)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let bad_block_involved = inode_claims.iter().any(|&(_, r)| r == Role::BadBlock);
        let len = m.end - m.start;

        let (code, legitimate, reason) = if meta_count > 0 && inode_claims.is_empty() {
            (
                "metadata_collision",
                false,
                "two filesystem structures occupy the same blocks".to_string(),
            )
        } else if meta_count > 0 {
            (
                "metadata_overlap",
                false,
                "an inode maps blocks that the filesystem uses for its own metadata".to_string(),
            )
        } else if bad_block_involved && files_besides_bad_blocks <= 1 {
            (
                "bad_block_in_use",
                false,
                "a block on the bad-blocks list is also used by an inode".to_string(),
            )
        } else if journal_involved && inode_claims.len() > 1 {
            // The journal is a file that mount writes through: e2fsck pairs
            // it with the other file in pass 1B like any two files.
            (
                "crosslink",
                false,
                "a file shares blocks with the journal".to_string(),
            )
        } else if fs.immutable {
            // Nothing writes through shared blocks of an immutable image:
            // dedupe shares whole chunks on purpose. A share that starts
            // inside one claimer's run is not what dedupe makes.
            if in_run.iter().all(|c| c.start == m.start) {
                (
                    "shared_legitimately",
                    true,
                    format!(
                        "{} files share whole chunks of an immutable image (deduplicated data: nothing can write through it)",
                        distinct_inodes.len()
                    ),
                )
            } else {
                (
                    "partial_overlap",
                    true,
                    "one file's data starts inside another's: not whole-chunk deduplication, but on an immutable image nothing writes through it".to_string(),
                )
            }
        } else if let Some(limit) = declared_limit(fs, &inode_claims, m.start, len) {
            // What declares the sharing: an ext xattr block's h_refcount, or
            // (any other role) an XFS refcount btree record.
            let xattr = inode_claims.first().is_some_and(|&(_, r)| r == Role::Xattr);
            // An xattr block is referred to once per inode; a reflinked
            // extent may be mapped twice by one file (reflinked onto itself),
            // and the refcount counts mappings.
            let within = if xattr {
                distinct_inodes.len() as u64 <= limit && distinct_inodes.len() == inode_claims.len()
            } else {
                inode_claims.len() as u64 <= limit
            };
            if within {
                (
                    "shared_legitimately",
                    true,
                    if xattr {
                        format!(
                            "an extended-attribute block shared by {} inodes within its h_refcount of {limit}",
                            distinct_inodes.len()
                        )
                    } else {
                        format!(
                            "reflink: {} mappings by {} inodes share the extent, as the refcount btree records (count {limit})",
                            inode_claims.len(),
                            distinct_inodes.len()
                        )
                    },
                )
            } else {
                (
                    "crosslink",
                    false,
                    if xattr {
                        format!(
                            "{} references to an extended-attribute block whose h_refcount allows {limit}",
                            inode_claims.len()
                        )
                    } else {
                        format!(
                            "{} mappings of an extent whose refcount record says {limit}",
                            inode_claims.len()
                        )
                    },
                )
            }
        } else if distinct_inodes.len() == 1 {
            (
                "crosslink",
                false,
                "one inode maps the same blocks more than once".to_string(),
            )
        } else {
            (
                "crosslink",
                false,
                format!("{} inodes map the same blocks", distinct_inodes.len()),
            )
        };
        let reason = if fs.shared_blocks_declared && !legitimate {
            format!("{reason} (the shared_blocks feature is set, so e2fsck does not check this)")
        } else {
            reason
        };
        let claimers: Vec<Claimer> = in_run.iter().map(|c| claimer(fs, c, m.start)).collect();
        let mut owners: Vec<Owner> = in_run
            .iter()
            .map(|c| match c.owner {
                Owner::Inode(i, _) => Owner::Inode(i, Role::Data),
                other => other,
            })
            .collect();
        owners.sort_unstable();
        owners.dedup();
        groups
            .entry((code, owners))
            .or_default()
            .push(crosslinks.len());
        let unlisted = m.total.saturating_sub(m.ids.len());
        let reason = if unlisted > 0 {
            format!("{reason}; {} claims in all, {unlisted} not listed", m.total)
        } else {
            reason
        };
        crosslinks.push(Crosslink {
            start_block: m.start,
            block_count: len,
            claimer_count: claimers.len() + unlisted,
            claimers,
            legitimate,
            reason,
        });
    }
    for ((code, owners), members) in groups {
        let runs: Vec<[u64; 2]> = members
            .iter()
            .filter_map(|&k| crosslinks.get(k))
            .map(|c| [c.start_block, c.block_count])
            .collect();
        let inodes: Vec<&Inode> = owners
            .iter()
            .filter_map(|o| match o {
                Owner::Inode(i, _) => fs.inodes.get(*i),
                Owner::Metadata(..) => None,
            })
            .collect();
        let metas: Vec<String> = owners
            .iter()
            .filter_map(|o| match o {
                Owner::Metadata(role, group) => Some(role.describe(*group)),
                Owner::Inode(..) => None,
            })
            .collect();
        let total: u64 = runs.iter().map(|r| r[1]).sum();
        let severity = match code {
            "shared_legitimately" => Severity::Info,
            "partial_overlap" | "bad_block_in_use" => Severity::Medium,
            "metadata_collision" => Severity::High,
            _ => Severity::Critical,
        };
        let who: Vec<String> = inodes
            .iter()
            .map(|n| describe(fs, n))
            .chain(metas.iter().cloned())
            .collect();
        let mut message = format!(
            "{} share {} ({})",
            join_and(&who),
            plural(total as usize, fs.units.block),
            runs_text(&fs.units, &runs)
        );
        if who.len() == 1 {
            message = format!(
                "{} maps {} twice ({})",
                join_and(&who),
                plural(total as usize, fs.units.block),
                runs_text(&fs.units, &runs)
            );
        }
        let roles: Vec<(InodeNo, Role)> = members
            .iter()
            .filter_map(|&k| crosslinks.get(k))
            .flat_map(|c| &c.claimers)
            .filter_map(|c| match c {
                Claimer::Inode { inode, role, .. } => Some((*inode, *role)),
                Claimer::Metadata { .. } => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let consequence = consequence(fs, code, &inodes, &metas, &roles);
        if !consequence.is_empty() {
            message.push_str(". ");
            message.push_str(&consequence);
        }
        let member_links: Vec<&Crosslink> =
            members.iter().filter_map(|&k| crosslinks.get(k)).collect();
        let at_mount = release::crosslink_sentence(fs, &inodes, &member_links);
        if !at_mount.is_empty() {
            message.push_str(". ");
            message.push_str(&at_mount);
        }
        if code == "metadata_overlap" {
            message.push_str(&slots_covered(fs, &runs));
        }
        if fs.shared_blocks_declared && code != "shared_legitimately" {
            message.push_str(
                ". The shared_blocks feature is set: e2fsck skips this check and passes the image",
            );
        }
        message.push('.');
        findings.push(
            Finding::new(severity, code, message)
                .with_inodes(inodes.iter().map(|n| n.ino))
                .with_blocks(runs),
        );
    }
    crosslinks
}

/// The referrer limit the format declares for these claims, if every claim is
/// of a role that may be shared and the run lies inside a declared region.
fn declared_limit(
    fs: &Filesystem,
    inode_claims: &[(usize, Role)],
    start: BlockNo,
    len: u64,
) -> Option<u64> {
    let role = inode_claims.first()?.1;
    if inode_claims.iter().any(|&(_, r)| r != role) {
        return None;
    }
    fs.declared_sharing
        .iter()
        .find(|d| {
            d.role == role
                && d.start <= start
                && start.saturating_add(len) <= d.start.saturating_add(d.len)
        })
        .map(|d| d.max_referrers)
}

fn claimer(fs: &Filesystem, c: &Claim, at: BlockNo) -> Claimer {
    match c.owner {
        Owner::Inode(i, role) => {
            let inode = fs.inodes.get(i);
            Claimer::Inode {
                inode: inode.map_or(0, |n| n.ino),
                paths: inode.map(|n| fs.paths(n)).unwrap_or_default(),
                role,
                logical_block: c
                    .logical
                    .map(|l| l.saturating_add(at.saturating_sub(c.start))),
                mode: inode.map(|n| mode_string(n.mode)).unwrap_or_default(),
                uid: inode.map_or(0, |n| n.uid),
                gid: inode.map_or(0, |n| n.gid),
                released_at_mount: inode.and_then(|n| n.released_at_mount),
                blocks: Vec::new(),
            }
        }
        Owner::Metadata(role, group) => Claimer::Metadata { role, group },
    }
}

/// ". The shared blocks hold the inode slots of nid 36 (/), …": where the
/// format keeps many inodes per metadata block (EROFS), which inodes a data
/// run over metadata exposes.
fn slots_covered(fs: &Filesystem, runs: &[[u64; 2]]) -> String {
    const SHOWN: usize = 8;
    let mut covered: Vec<InodeNo> = Vec::new();
    for &[start, len] in runs {
        let end = start.saturating_add(len);
        let first = fs.slots.partition_point(|&(b, _)| b < start);
        covered.extend(
            fs.slots
                .iter()
                .skip(first)
                .take_while(|&&(b, _)| b < end)
                .map(|&(_, ino)| ino),
        );
    }
    if covered.is_empty() {
        return String::new();
    }
    let named: Vec<String> = covered
        .iter()
        .take(SHOWN)
        .map(|&ino| match fs.inode(ino).and_then(|n| fs.first_path(n)) {
            Some(path) => format!("{ino} ({path})"),
            None => ino.to_string(),
        })
        .collect();
    let more = covered.len().saturating_sub(SHOWN);
    let list = if more > 0 {
        format!("{} and {more} more", named.join(", "))
    } else {
        join_and(&named)
    };
    format!(
        ". The shared blocks hold the inode slots of nid{} {list}",
        if covered.len() == 1 { "" } else { "s" },
    )
}

/// One plain sentence on what the sharing lets an attacker do.
fn consequence(
    fs: &Filesystem,
    code: &str,
    inodes: &[&Inode],
    metas: &[String],
    roles: &[(InodeNo, Role)],
) -> String {
    match code {
        "shared_legitimately" if fs.immutable => {
            "The image is immutable, so nothing can be written through the shared blocks; on a writable filesystem such as ext4 the same sharing would be a critical cross-link (read, tamper, double free)".into()
        }
        "shared_legitimately" => String::new(),
        "metadata_collision" => {
            "Writing either structure corrupts the other; the kernel may refuse to mount or misread the filesystem".into()
        }
        "partial_overlap" => {
            "The image is never written, so nothing leaks or is tampered with through it; but reading one file returns part of another's contents, which dedupe never produces: the image was crafted or damaged".into()
        }
        "metadata_overlap" if fs.immutable => {
            let readers: Vec<String> = inodes.iter().map(|n| name_of(fs, n)).collect();
            format!(
                "The image is never written, so nobody can rewrite the metadata through {}; but reading it returns the filesystem's own structures (inode slots, the superblock), and a tool that trusts the file's contents or repacks the image carries them along. On a writable filesystem this would be critical for the opposite reason: writing the file would forge the metadata",
                join_or(&readers)
            )
        }
        "bad_block_in_use" => {
            "A reliability problem, not a privilege one: nobody opens, reads or writes the bad-blocks inode, so no permission is crossed; the file lies on a block the filesystem lists as unreadable, and its data there may be lost".into()
        }
        "crosslink" if roles.iter().any(|&(_, r)| r == Role::Journal) => {
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
        "metadata_overlap" => {
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
fn crosslink_consequence(fs: &Filesystem, inodes: &[&Inode], roles: &[(InodeNo, Role)]) -> String {
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

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Compares the claims with the block bitmap both ways.
fn bitmap_findings(
    fs: &Filesystem,
    claims: &ClaimTable<'_>,
    sorted_spans: &[Span],
    allocated: &[(BlockNo, u64)],
    findings: &mut Vec<Finding>,
) {
    let mut known: Vec<(BlockNo, u64)> = allocated.to_vec();
    known.extend(fs.allocation_unknown.iter().copied());
    known.sort_unstable();
    let known = coalesce_runs(known);
    // Claimed but free, per owner.
    let mut free_by_owner: BTreeMap<Option<usize>, Vec<[u64; 2]>> = BTreeMap::new();
    for span in sorted_spans {
        for (s, e) in sweep::uncovered(span.start, span.end, &known) {
            let key = match claims.get(span.id).map(|c| c.owner) {
                Some(Owner::Inode(i, _)) => Some(i),
                _ => None,
            };
            free_by_owner.entry(key).or_default().push([s, e - s]);
        }
    }
    for (owner, mut runs) in free_by_owner {
        runs.sort_unstable();
        let total: u64 = runs.iter().map(|r| r[1]).sum();
        let (who, inodes) = match owner.and_then(|i| fs.inodes.get(i)) {
            Some(n) => (describe(fs, n), vec![n.ino]),
            None => ("filesystem metadata".to_string(), Vec::new()),
        };
        findings.push(
            Finding::new(
                Severity::High,
                "claimed_but_free",
                format!(
                    "{who} uses {} that the {} marks free ({}): the next allocation hands them to another file, cross-linking them",
                    plural(total as usize, fs.units.block),
                    fs.units.allocation_map,
                    runs_text(&fs.units, &runs)
                ),
            )
            .with_inodes(inodes)
            .with_blocks(runs),
        );
    }
    if fs.info.features.iter().any(|f| f == "bigalloc") {
        return; // allocation is per cluster; per-block leak accounting would mislead
    }
    // Allocated but unclaimed: claimed by the model or by the inodes a
    // findings-only parse left out of it.
    let mut claimed: Vec<(BlockNo, u64)> = sorted_spans
        .iter()
        .filter(|s| s.start < s.end)
        .map(|s| (s.start, s.end - s.start))
        .collect();
    if let Some(omitted) = &fs.omitted {
        claimed.extend(omitted.claims.iter().copied());
        claimed.sort_unstable();
    }
    let claimed = coalesce_runs(claimed);
    let mut leaked: Vec<[u64; 2]> = Vec::new();
    for &(s, l) in allocated {
        for (a, b) in sweep::uncovered(s, s.saturating_add(l), &claimed) {
            leaked.push([a, b - a]);
        }
    }
    if !leaked.is_empty() {
        let total: u64 = leaked.iter().map(|r| r[1]).sum();
        findings.push(
            Finding::new(
                Severity::Low,
                "allocated_but_unclaimed",
                format!(
                    "{} marked in use in the {} belong to no inode or metadata ({}): leaked space, or data left by a deleted or hidden file",
                    plural(total as usize, fs.units.block),
                    fs.units.allocation_map,
                    runs_text(&fs.units, &leaked)
                ),
            )
            .with_blocks(leaked),
        );
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

fn name_of(fs: &Filesystem, n: &Inode) -> String {
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
            let clusters = units.cluster_note(s, l);
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

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

fn join_or(items: &[String]) -> String {
    join_with(items, "or")
}

fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

/// Deleted inodes listed one by one in `reused_blocks` findings; the rest
/// are counted in one more.
const MAX_REUSED_LISTED: usize = 256;

/// Where a deleted inode's old block map points at blocks a live inode or
/// metadata holds now. Not a cross-link (a deleted inode claims nothing),
/// but what an examiner must know before recovering it: its old map now
/// leads to someone else's data. `live` are the analysis' spans, sorted.
fn reused_blocks(
    fs: &Filesystem,
    claims: &ClaimTable<'_>,
    live: &[Span],
    findings: &mut Vec<Finding>,
) {
    let fs_end = fs.info.block_count;
    let mut old: Vec<Span> = Vec::new();
    for inode in fs.inodes.iter().filter(|n| n.deleted) {
        let first = inode.runs.start as usize;
        for (k, run) in fs.runs_of(inode).iter().enumerate() {
            let (start, end) = (run.start.max(fs.first_data_block), run.end().min(fs_end));
            if start < end {
                old.push(Span {
                    start,
                    end,
                    id: first + k,
                });
            }
        }
    }
    if old.is_empty() {
        return;
    }
    old.sort_unstable_by_key(|s| (s.start, s.end, s.id));
    // Both lists are sorted by start: merged, they are swept in one pass.
    let mut all: Vec<Span> = Vec::with_capacity(live.len() + old.len());
    let (mut a, mut b) = (live.iter().peekable(), old.iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if (x.start, x.end, x.id) <= (y.start, y.end, y.id) => a.next(),
            (Some(_), Some(_)) | (None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => break,
        };
        all.extend(next.copied());
    }
    let is_old = |id: usize| {
        fs.runs.get(id).is_some()
            && claims
                .run_owner(id)
                .and_then(|i| fs.inodes.get(i))
                .is_some_and(|n| n.deleted)
    };
    /// What became of one deleted inode's old blocks.
    #[derive(Default)]
    struct Reuse {
        runs: Vec<(BlockNo, u64)>,
        /// Who holds them now, described; and the inodes among them.
        holders: Vec<String>,
        holder_inodes: Vec<InodeNo>,
    }
    // Deleted inode (index) → its reused runs and their holders.
    let mut reused: BTreeMap<usize, Reuse> = BTreeMap::new();
    for seg in sweep::overlaps_sorted(&all) {
        let (dead, alive): (Vec<usize>, Vec<usize>) = seg.ids.iter().partition(|&&id| is_old(id));
        if dead.is_empty() || alive.is_empty() {
            continue;
        }
        let mut holders: Vec<String> = Vec::new();
        let mut holder_inodes: Vec<InodeNo> = Vec::new();
        for id in alive {
            match claims.get_at(id, seg.start).map(|c| c.owner) {
                Some(Owner::Inode(i, _)) => {
                    if let Some(n) = fs.inodes.get(i) {
                        holders.push(describe(fs, n));
                        holder_inodes.push(n.ino);
                    }
                }
                Some(Owner::Metadata(role, group)) => holders.push(role.describe(group)),
                None => {}
            }
        }
        for id in dead {
            let Some(i) = claims.run_owner(id) else {
                continue;
            };
            let entry = reused.entry(i).or_default();
            entry.runs.push((seg.start, seg.end - seg.start));
            for h in &holders {
                if !entry.holders.contains(h) {
                    entry.holders.push(h.clone());
                }
            }
            for &ino in &holder_inodes {
                if !entry.holder_inodes.contains(&ino) {
                    entry.holder_inodes.push(ino);
                }
            }
        }
    }
    let guessed = if fs.units.clusters.is_some() {
        " (where it was, guessed contiguous from its first cluster and size)"
    } else {
        ""
    };
    let total = reused.len();
    for (i, reuse) in reused.into_iter().take(MAX_REUSED_LISTED) {
        let Some(n) = fs.inodes.get(i) else {
            continue;
        };
        let Reuse {
            mut runs,
            holders,
            holder_inodes,
        } = reuse;
        runs.sort_unstable();
        let runs: Vec<[u64; 2]> = coalesce_runs(runs)
            .into_iter()
            .map(|(s, l)| [s, l])
            .collect();
        findings.push(
            Finding::new(
                Severity::Info,
                "reused_blocks",
                format!(
                    "deleted {}{guessed} had {} that now belong to {}: its old data there is overwritten, and recovering it through its old map would give their contents instead",
                    describe(fs, n),
                    runs_text(&fs.units, &runs),
                    join_and(&holders)
                ),
            )
            .with_inodes(std::iter::once(n.ino).chain(holder_inodes))
            .with_blocks(runs),
        );
    }
    if total > MAX_REUSED_LISTED {
        findings.push(Finding::new(
            Severity::Info,
            "reused_blocks",
            format!(
                "{} more deleted inodes had blocks that live files or metadata hold now (not listed)",
                total - MAX_REUSED_LISTED
            ),
        ));
    }
}

/// Every claimer of `block`: like `debugfs icheck` plus `ncheck`, and the metadata.
pub fn claimers_of(fs: &Filesystem, block: BlockNo) -> Vec<Claimer> {
    let mut out = Vec::new();
    for region in &fs.metadata {
        if region.start <= block && block < region.end() {
            out.push(Claimer::Metadata {
                role: region.role,
                group: region.group,
            });
        }
    }
    for (i, inode) in fs.inodes.iter().enumerate().filter(|(_, n)| !n.deleted) {
        for run in fs.runs_of(inode) {
            if run.start <= block && block < run.end() {
                let c = Claim {
                    start: run.start,
                    owner: Owner::Inode(i, run.role),
                    logical: run.logical,
                };
                out.push(claimer(fs, &c, block));
            }
        }
    }
    out
}

/// Who owns a block, answered in O(log n + claimers) after one sort: for an
/// interactive tool that asks at every cursor move.
pub struct BlockIndex {
    /// (start, end, claim id) of every run and metadata region, by start.
    spans: Vec<(BlockNo, BlockNo, usize)>,
    /// `max_end[i]`: the largest end among `spans[..=i]`, so that a lookup can
    /// stop walking back as soon as nothing earlier can reach the block.
    max_end: Vec<BlockNo>,
}

impl BlockIndex {
    pub fn new(fs: &Filesystem) -> BlockIndex {
        let base = fs.runs.len();
        let mut spans: Vec<(BlockNo, BlockNo, usize)> = fs
            .inodes
            .iter()
            .filter(|n| !n.deleted)
            .flat_map(|n| {
                let first = n.runs.start as usize;
                fs.runs_of(n)
                    .iter()
                    .enumerate()
                    .map(move |(k, r)| (r.start, r.end(), first + k))
            })
            .chain(
                fs.metadata
                    .iter()
                    .enumerate()
                    .map(|(k, m)| (m.start, m.end(), base + k)),
            )
            .collect();
        spans.par_sort_unstable();
        let mut max_end = Vec::with_capacity(spans.len());
        let mut running = 0;
        for &(_, end, _) in &spans {
            running = running.max(end);
            max_end.push(running);
        }
        BlockIndex { spans, max_end }
    }

    /// Every claimer of `block`, as [`claimers_of`] gives them.
    pub fn claimers(&self, fs: &Filesystem, block: BlockNo) -> Vec<Claimer> {
        let table = ClaimTable { fs };
        let mut ids = Vec::new();
        let mut i = self.spans.partition_point(|&(start, _, _)| start <= block);
        while i > 0 {
            i -= 1;
            if self.max_end.get(i).is_none_or(|&m| m <= block) {
                break;
            }
            if let Some(&(_, end, id)) = self.spans.get(i)
                && block < end
            {
                ids.push(id);
            }
        }
        // Metadata first, then inodes in run order, as `claimers_of` lists them.
        ids.sort_unstable_by_key(|&id| (id < fs.runs.len(), id));
        ids.into_iter()
            .filter_map(|id| match fs.runs.get(id) {
                // The run as mapped (not clipped), as `claimers_of` reports it.
                Some(run) => Some(Claim {
                    start: run.start,
                    owner: Owner::Inode(table.run_owner(id)?, run.role),
                    logical: run.logical,
                }),
                None => table.get(id),
            })
            .map(|c| claimer(fs, &c, block))
            .collect()
    }
}

/// Whether `block` is marked allocated in the bitmap (None if unknown).
pub fn allocated(fs: &Filesystem, block: BlockNo) -> Option<bool> {
    if fs
        .allocation_unknown
        .iter()
        .any(|&(s, l)| s <= block && block < s.saturating_add(l))
    {
        return None;
    }
    let runs = fs.allocated.as_ref()?;
    let k = runs.partition_point(|&(s, l)| s.saturating_add(l) <= block);
    Some(runs.get(k).is_some_and(|&(s, _)| s <= block))
}
