//! The directory walk: every in-use inode gets its names, and what no
//! directory names is reported.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::fs::ext::dir;
use crate::fs::ext::groups::GroupDesc;
use crate::fs::ext::inode::flags;
use crate::fs::ext::inode_model::read_raw_inode;
use crate::fs::ext::slots::{InlineDirs, OmittedInodes};
use crate::fs::ext::superblock::{Superblock, incompat};
use crate::image::View;
use crate::model::Code;
use crate::model::{
    BlockRun, FileType, Finding, Inode, InodeNo, NO_NAME, NameId, Names, Release, Role,
    name_from_bytes,
};

const ROOT_INO: u32 = 2;

/// Names kept per inode: hard links beyond this are counted, not listed.
pub const MAX_NAMES_PER_INODE: usize = 64;

/// Position of each inode in the (sorted) inode list, by inode number: a
/// dense table when inode numbers are dense (every inode modelled), a binary
/// search when the model holds few of them (findings-only), so that it never
/// costs more than the model itself. The dense table is bounded by the
/// highest inode found, which is bounded by the inode tables actually read.
enum InodeIndex {
    Dense(Vec<u32>),
    Sorted(Vec<InodeNo>),
}

impl InodeIndex {
    fn new(inodes: &[Inode]) -> InodeIndex {
        let top = inodes.last().map_or(0, |n| n.ino as usize + 1);
        if top / 4 > inodes.len() {
            return InodeIndex::Sorted(inodes.iter().map(|n| n.ino).collect());
        }
        let mut table = vec![u32::MAX; top];
        for (i, n) in inodes.iter().enumerate() {
            if let (Some(slot), Ok(i)) = (table.get_mut(n.ino as usize), u32::try_from(i)) {
                *slot = i;
            }
        }
        InodeIndex::Dense(table)
    }

    fn get(&self, ino: InodeNo) -> Option<usize> {
        match self {
            InodeIndex::Dense(table) => {
                let i = *table.get(usize::try_from(ino).ok()?)?;
                (i != u32::MAX).then_some(i as usize)
            }
            InodeIndex::Sorted(inos) => inos.binary_search(&ino).ok(),
        }
    }
}

/// How often the directory walk named each in-use inode that is not in the
/// model: a bit per inode number for the first name (hard links are rare),
/// a map for the rest.
struct NamedElsewhere {
    once: Vec<u64>,
    more: BTreeMap<InodeNo, u64>,
}

impl NamedElsewhere {
    fn new(elsewhere: &OmittedInodes) -> NamedElsewhere {
        // Bounded like the inodes: by the inode tables actually read.
        let top = elsewhere
            .ranges
            .last()
            .map_or(0, |&(s, n)| s.saturating_add(n));
        NamedElsewhere {
            once: vec![0; usize::try_from(top.div_ceil(64)).unwrap_or(0)],
            more: BTreeMap::new(),
        }
    }

    fn add(&mut self, ino: InodeNo) {
        let Some(word) = self.once.get_mut((ino / 64) as usize) else {
            return;
        };
        let bit = 1u64 << (ino % 64);
        if *word & bit == 0 {
            *word |= bit;
        } else {
            *self.more.entry(ino).or_default() += 1;
        }
    }

    fn named(&self, ino: InodeNo) -> bool {
        self.once
            .get((ino / 64) as usize)
            .is_some_and(|w| w & (1 << (ino % 64)) != 0)
    }
}

/// Walks the directory tree from the root, breadth-first, giving every inode
/// all its names (stored once, in a parent-pointer tree). Directories are
/// visited once (loops are cut), each directory block of a directory is read
/// once, and every entry is checked against the inodes found in use.
#[allow(clippy::too_many_arguments)]
pub(super) fn name_inodes(
    view: &View<'_>,
    sb: &Superblock,
    descs: &[GroupDesc],
    inodes: &mut [Inode],
    elsewhere: &OmittedInodes,
    arena: &[BlockRun],
    inline_dirs: &InlineDirs,
    findings: &mut Vec<Finding>,
) -> Names {
    let mut walk = Walk {
        view,
        sb,
        arena,
        inline_dirs,
        elsewhere,
        index: InodeIndex::new(inodes),
        // About one name per inode, and short names: reserve once.
        names: Names::with_capacity(inodes.len() + 1, inodes.len().saturating_mul(16)),
        has_filetype: sb.has_incompat(incompat::FILETYPE),
        visited: HashSet::new(),
        queue: VecDeque::new(),
        extra_names: BTreeMap::new(),
        named_elsewhere: NamedElsewhere::new(elsewhere),
        parses: HashMap::new(),
        children: Vec::new(),
        buffer: Vec::new(),
    };
    walk.start_at_root(inodes, findings);
    while let Some((dir_ino, dir_name)) = walk.queue.pop_front() {
        walk.read_directory(inodes, dir_ino, dir_name, findings);
        walk.adopt_children(inodes);
    }
    walk.report_extra_names(findings);
    walk.report_unreachable(descs, inodes, findings);
    walk.names
}

/// The directory walk's state: the names given so far and the directories
/// still to read.
struct Walk<'w, 'v> {
    view: &'w View<'v>,
    sb: &'w Superblock,
    arena: &'w [BlockRun],
    inline_dirs: &'w InlineDirs,
    elsewhere: &'w OmittedInodes,
    index: InodeIndex,
    names: Names,
    /// INCOMPAT_FILETYPE: entries carry an 8-bit name_len and a file type.
    has_filetype: bool,
    visited: HashSet<InodeNo>,
    queue: VecDeque<(InodeNo, NameId)>,
    /// Names past [`MAX_NAMES_PER_INODE`], counted per inode.
    extra_names: BTreeMap<InodeNo, u64>,
    named_elsewhere: NamedElsewhere,
    /// Times each block was parsed as a directory block, across directories.
    parses: HashMap<u64, u32>,
    /// The entries of the directory being read that name a modelled inode.
    children: Vec<(InodeNo, NameId)>,
    /// Directory blocks are read one at a time into this buffer.
    buffer: Vec<u8>,
}

impl Walk<'_, '_> {
    /// The root directory (inode 2) is the first to read, with the empty name.
    fn start_at_root(&mut self, inodes: &mut [Inode], findings: &mut Vec<Finding>) {
        let root = u64::from(ROOT_INO);
        match self.index.get(root).and_then(|i| inodes.get_mut(i)) {
            Some(r) if r.file_type == FileType::Directory => {
                if let Some(id) = self.names.push(None, "") {
                    self.names.add_to(r, id);
                    self.queue.push_back((root, id));
                    self.visited.insert(root);
                }
            }
            _ => findings.push(Finding::new(
                Code::NoRootDirectory,
                "inode 2 is not an in-use directory: no names can be resolved",
            )),
        }
    }

    /// Reads every entry of one directory: its blocks below i_size, then its
    /// inline entries (no block: they live in the inode), collecting in
    /// `children` the names of modelled inodes.
    fn read_directory(
        &mut self,
        inodes: &[Inode],
        dir_ino: InodeNo,
        dir_name: NameId,
        findings: &mut Vec<Finding>,
    ) {
        self.children.clear();
        let Some(dir) = self.index.get(dir_ino).and_then(|i| inodes.get(i)) else {
            return;
        };
        let (blocks, capped) =
            directory_blocks(self.sb, self.view, self.arena, dir, &mut self.parses);
        if capped {
            findings.push(
                Finding::new(Code::BadDirectory,
                    format!(
                        "directory {} (inode {dir_ino}) maps more than {MAX_BLOCKS_PER_DIR} blocks below its i_size ({} bytes); only the first {MAX_BLOCKS_PER_DIR} are read",
                        self.names.path(dir_name),
                        dir.size
                    ),
                )
                .with_inodes([dir_ino]),
            );
        }
        // EXT4_INDEX_FL: an htree directory, read linearly (see dir.rs).
        let htree = dir.flags & flags::INDEX != 0;
        let mut problems = 0usize;
        let mut sources: Vec<(Option<u64>, &[u8])> = blocks
            .into_iter()
            .map(|physical| (Some(physical), &[][..]))
            .collect();
        if let Some((in_iblock, in_xattr)) = self.inline_dirs.get(&dir_ino) {
            sources.push((None, in_iblock));
            if !in_xattr.is_empty() {
                sources.push((None, in_xattr));
            }
        }
        let mut buffer = std::mem::take(&mut self.buffer);
        for (physical, inline) in sources {
            let block: &[u8] = match physical {
                Some(b) => {
                    buffer.resize(self.sb.block_size as usize, 0);
                    let at = b.saturating_mul(u64::from(self.sb.block_size));
                    if self.view.read_into(at, &mut buffer).is_err() {
                        continue;
                    }
                    &buffer
                }
                None => inline,
            };
            let (entries, problem) =
                dir::parse_block(block, self.has_filetype, htree, self.sb.inodes_count);
            if problem.is_some() {
                problems += 1;
            }
            if let Some(p) = problem.filter(|_| problems <= MAX_PROBLEMS_PER_DIR) {
                let place = physical.map_or("inline data".to_string(), |b| format!("block {b}"));
                findings.push(
                    Finding::new(
                        Code::BadDirectoryEntry,
                        format!(
                            "directory {} (inode {dir_ino}), {place}, byte {}: {}",
                            self.names.path(dir_name),
                            p.offset,
                            p.kind
                        ),
                    )
                    .with_inodes([dir_ino])
                    .with_blocks(physical.map(|b| [b, 1])),
                );
            }
            for e in entries {
                if e.name != b"." && e.name != b".." {
                    self.name_entry(inodes, dir_ino, dir_name, &e, findings);
                }
            }
        }
        self.buffer = buffer;
        if problems > MAX_PROBLEMS_PER_DIR {
            findings.push(
                Finding::new(Code::BadDirectoryEntry,
                    format!(
                        "directory {} (inode {dir_ino}): {} more blocks with structural problems not listed",
                        self.names.path(dir_name),
                        problems - MAX_PROBLEMS_PER_DIR
                    ),
                )
                .with_inodes([dir_ino]),
            );
        }
    }

    /// One entry of directory `dir_ino`: a name for the inode it points at,
    /// counted if that inode is left out of the model, a finding if it is
    /// not in use.
    fn name_entry(
        &mut self,
        inodes: &[Inode],
        dir_ino: InodeNo,
        dir_name: NameId,
        e: &dir::DirEntry<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let child = u64::from(e.inode);
        let is_deleted = |i: &usize| inodes.get(*i).is_some_and(|n| n.deleted);
        // An unlinked orphan (open when it was unlinked, deleted at
        // the next mount) keeps the name it was unlinked from in the
        // directory's slack, as a deleted file does (fls: "realloc").
        let unlinked_orphan = |i: &usize| {
            inodes
                .get(*i)
                .is_some_and(|n| n.links == 0 && n.released_at_mount == Some(Release::Delete))
        };
        if e.deleted {
            // A removed name names a deleted inode of that number; if
            // the number was reused, it named an older file (what
            // fls marks "(realloc)"), and is left out.
            if self
                .index
                .get(child)
                .filter(|i| is_deleted(i) || unlinked_orphan(i))
                .is_some()
                && let Some(id) = self.names.push(Some(dir_name), &name_from_bytes(e.name))
            {
                self.children.push((child, id));
            }
            return;
        }
        let live = self.index.get(child).filter(|i| !is_deleted(i));
        if live.is_none() && self.elsewhere.contains(child) {
            // In use but left out of the model: counted, not stored.
            self.named_elsewhere.add(child);
            return;
        }
        let name = name_from_bytes(e.name);
        if live.is_none() {
            findings.push(
                Finding::new(
                    Code::BadDirectoryEntry,
                    format!(
                        "{}/{name}: the entry points at inode {child}, which is not in use{}",
                        self.names.path(dir_name).trim_end_matches('/'),
                        if child > u64::from(self.sb.inodes_count) {
                            " (or does not exist)"
                        } else {
                            ""
                        }
                    ),
                )
                .with_inodes([dir_ino, child]),
            );
            return;
        }
        if let Some(id) = self.names.push(Some(dir_name), &name) {
            self.children.push((child, id));
        }
    }

    /// Gives the directory's children their names and queues the live
    /// subdirectories not yet visited.
    fn adopt_children(&mut self, inodes: &mut [Inode]) {
        for &(child, id) in &self.children {
            let Some(node) = self.index.get(child).and_then(|i| inodes.get_mut(i)) else {
                continue;
            };
            // Counting names costs a lookup only for inodes already named.
            if node.first_name == NO_NAME || self.names.count(node) < MAX_NAMES_PER_INODE {
                self.names.add_to(node, id);
            } else {
                *self.extra_names.entry(child).or_default() += 1;
            }
            // A deleted directory's blocks may hold anything now: not walked.
            if node.file_type == FileType::Directory && !node.deleted && self.visited.insert(child)
            {
                self.queue.push_back((child, id));
            }
        }
    }

    /// One finding per inode with more names than are listed.
    fn report_extra_names(&mut self, findings: &mut Vec<Finding>) {
        // Inodes left out of the model carry all their names in the count.
        for (&ino, &more) in &self.named_elsewhere.more {
            let total = more + 1;
            if total > MAX_NAMES_PER_INODE as u64 {
                *self.extra_names.entry(ino).or_default() += total - MAX_NAMES_PER_INODE as u64;
            }
        }
        for (&ino, &extra) in &self.extra_names {
            findings.push(
                Finding::new(
                    Code::ManyNames,
                    format!(
                        "inode {ino} has {extra} more names than the {MAX_NAMES_PER_INODE} listed"
                    ),
                )
                .with_inodes([ino]),
            );
        }
    }

    /// One finding per in-use inode no directory names, in inode order: the
    /// model's, and those left out of it that no entry named (read again for
    /// what the finding says of them); reserved, EA and superblock-named
    /// inodes are expected to have no name.
    fn report_unreachable(
        &self,
        descs: &[GroupDesc],
        inodes: &[Inode],
        findings: &mut Vec<Finding>,
    ) {
        let unnamed_elsewhere = self
            .elsewhere
            .iter()
            .filter(|&ino| !self.named_elsewhere.named(ino) && self.index.get(ino).is_none())
            .filter_map(|ino| read_raw_inode(self.view, self.sb, descs, ino))
            .map(|ri| Unnamed {
                ino: ri.ino,
                file_type: FileType::from_mode(u32::from(ri.mode)),
                size: ri.size,
                links: u32::from(ri.links),
                flags: ri.flags,
            });
        let unnamed_here = inodes
            .iter()
            .filter(|n| n.first_name == NO_NAME && !n.deleted && n.released_at_mount.is_none())
            .map(|n| Unnamed {
                ino: n.ino,
                file_type: n.file_type,
                size: n.size,
                links: n.links,
                flags: n.flags,
            });
        let mut unnamed: Vec<Unnamed> = unnamed_here.chain(unnamed_elsewhere).collect();
        unnamed.sort_by_key(|u| u.ino);
        for node in unnamed {
            let special = node.ino < u64::from(self.sb.first_ino)
                || node.flags & flags::EA_INODE != 0
                || self
                    .sb
                    .special_inodes
                    .iter()
                    .any(|&(s, _)| u64::from(s) == node.ino);
            if !special {
                findings.push(
                    Finding::new(
                        Code::UnreachableInode,
                        format!(
                            "inode {} ({:?}, {} bytes, {} links) is in use but no directory names it",
                            node.ino, node.file_type, node.size, node.links
                        ),
                    )
                    .with_inodes([node.ino]),
                );
            }
        }
    }
}

/// What the unreachable-inode finding says of an inode no directory names.
struct Unnamed {
    ino: InodeNo,
    file_type: FileType,
    size: u64,
    links: u32,
    flags: u32,
}

/// Structural problems reported per directory; past it one line says how many
/// more there were, so a directory of a million zeroed blocks is one finding.
const MAX_PROBLEMS_PER_DIR: usize = 16;

/// How many times one physical block may be parsed as a directory block across
/// all directories: cross-linked directories share blocks legitimately often
/// enough to need more than one parse, and a hostile image where a million
/// directories map the same 32768 blocks must not cost a million passes.
const MAX_PARSES_PER_DIR_BLOCK: u32 = 8;

/// Directory blocks read for one directory at most: 2^20 blocks is 4 GiB of
/// entries at 4 KiB blocks, far past any real directory; a forged i_size and
/// extent cannot make one directory cost more.
const MAX_BLOCKS_PER_DIR: usize = 1 << 20;

/// The physical blocks of a directory below i_size, in logical order, each once,
/// inside the filesystem and the image, within the global parse budget. Holes
/// of a sparse image file hold no entries and are skipped without being read;
/// so are unwritten extents. The bool is true when the per-directory cap cut
/// the list.
fn directory_blocks(
    sb: &Superblock,
    view: &View<'_>,
    arena: &[BlockRun],
    dir: &Inode,
    parses: &mut HashMap<u64, u32>,
) -> (Vec<u64>, bool) {
    let bs = u64::from(sb.block_size);
    let mut runs: Vec<&BlockRun> = arena
        .get(
            dir.runs.start as usize
                ..(dir.runs.start as usize).saturating_add(dir.runs.len as usize),
        )
        .unwrap_or(&[])
        .iter()
        .filter(|r| r.role == Role::Directory && !r.unwritten)
        .collect();
    runs.sort_by_key(|r| r.logical);
    let logical_end = dir.size.div_ceil(bs);
    let last_block = sb.blocks_count.min(view.len() / bs);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in runs {
        let Some(logical) = r.logical else { continue };
        let usable = logical_end.saturating_sub(logical).min(r.len);
        let mut b = r.start.max(u64::from(sb.first_data_block));
        let end = r.start.saturating_add(usable).min(last_block);
        while b < end {
            if out.len() >= MAX_BLOCKS_PER_DIR {
                return (out, true);
            }
            // Jump over a hole in the image file: it reads as zeros.
            match view.next_data(b.saturating_mul(bs)) {
                Some(next) if next / bs > b => {
                    b = next / bs;
                    continue;
                }
                None => break,
                Some(_) => {}
            }
            let count = parses.entry(b).or_default();
            if *count < MAX_PARSES_PER_DIR_BLOCK && seen.insert(b) {
                *count += 1;
                out.push(b);
            }
            b += 1;
        }
    }
    (out, false)
}
