//! The TUI's state and what keys do to it. Rendering lives in `views/` and
//! reads this state only; nothing here draws.

use std::collections::HashSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use rayon::prelude::*;

use crate::analysis::{
    BlockIndex, Claimer, Crosslink, ImageInfo, JournalMode, ScanResult, VolumeResult,
};
use crate::model::{BlockNo, Filesystem, Inode, InodeNo, Severity};
use crate::tui::source::Source;
use crate::tui::theme::Theme;
use crate::tui::views::{block, crosslinks, detail, explain, heatmap, inodes, overview};
use crate::volume::{Partition, PartitionTable};

/// The views, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewId {
    Overview,
    Inodes,
    Detail,
    Heatmap,
    Crosslinks,
    Block,
    Explain,
}

impl ViewId {
    pub const ALL: [ViewId; 7] = [
        ViewId::Overview,
        ViewId::Inodes,
        ViewId::Detail,
        ViewId::Heatmap,
        ViewId::Crosslinks,
        ViewId::Block,
        ViewId::Explain,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewId::Overview => "Overview",
            ViewId::Inodes => "Inodes",
            ViewId::Detail => "Inode",
            ViewId::Heatmap => "Heatmap",
            ViewId::Crosslinks => "Cross-links",
            ViewId::Block => "Block",
            ViewId::Explain => "Explain",
        }
    }

    fn position(self) -> usize {
        ViewId::ALL.iter().position(|&v| v == self).unwrap_or(0)
    }

    /// The view `step` tabs away (wrapping).
    fn cycle(self, step: isize) -> ViewId {
        let n = ViewId::ALL.len() as isize;
        let i = (self.position() as isize + step).rem_euclid(n) as usize;
        ViewId::ALL.get(i).copied().unwrap_or(ViewId::Overview)
    }
}

/// A one-line input at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: filter the inode table.
    Search,
    /// `:`: go to a block, an inode, a byte offset or a path.
    Goto,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

/// Where the user was, for Esc/Backspace.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    view: ViewId,
    inode: Option<InodeNo>,
    detail_selected: usize,
    block: Option<BlockNo>,
    finding: usize,
}

/// What the whole screen is showing.
pub enum Screen {
    /// The scan is running on another thread.
    Loading {
        name: String,
        phase: String,
        done: u64,
        total: u64,
    },
    /// Nothing to explore: the reason, shown until the user quits.
    Failed {
        name: String,
        error: String,
    },
    Ready(Box<Session>),
    /// A partitioned disk: the volume list, and the volume being explored.
    Disk(Box<Disk>),
}

/// A partitioned disk in the inspector: one row per partition, each volume
/// with a filesystem explorable as a [`Session`] of its own.
pub struct Disk {
    pub image: ImageInfo,
    pub table: PartitionTable,
    pub volumes: Vec<DiskVolume>,
    /// The row under the cursor.
    pub selected: usize,
    /// The volume being explored; None shows the list.
    pub open: Option<usize>,
}

/// One partition of a [`Disk`].
pub struct DiskVolume {
    pub partition: Option<Partition>,
    pub offset_bytes: u64,
    pub length_bytes: u64,
    /// "ext4", "fat16", or why nothing could be read.
    pub what: String,
    pub findings: usize,
    pub worst: Option<Severity>,
    pub crosslinked_blocks: u64,
    pub session: Option<Box<Session>>,
}

impl Disk {
    pub fn new(result: ScanResult, table: PartitionTable, source: &Arc<Source>) -> Disk {
        let image = result.image.clone();
        let volumes = result
            .volumes
            .into_iter()
            .map(|v| {
                let what = match (&v.filesystem, &v.error) {
                    (Some(fs), _) => fs.info.fs_type.clone(),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "no filesystem".into(),
                };
                let crosslinked_blocks = v
                    .crosslinks
                    .iter()
                    .filter(|c| !c.legitimate)
                    .map(|c| c.block_count)
                    .sum();
                DiskVolume {
                    partition: v.partition.clone(),
                    offset_bytes: v.offset_bytes,
                    length_bytes: v.length_bytes,
                    what,
                    findings: v.findings.len(),
                    worst: v.findings.iter().map(|f| f.severity).max(),
                    crosslinked_blocks,
                    session: Session::for_volume(image.clone(), v, Arc::clone(source))
                        .ok()
                        .map(Box::new),
                }
            })
            .collect();
        Disk {
            image,
            table,
            volumes,
            selected: 0,
            open: None,
        }
    }

    /// The session being explored, if one is open.
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        let i = self.open?;
        self.volumes.get_mut(i)?.session.as_deref_mut()
    }

    pub fn session(&self) -> Option<&Session> {
        let i = self.open?;
        self.volumes.get(i)?.session.as_deref()
    }

    /// Keys of the volume list. Returns true to quit.
    fn list_key(&mut self, key: KeyEvent) -> bool {
        let last = self.volumes.len().saturating_sub(1);
        match key.code {
            KeyCode::Char('q') => return true,
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = last,
            KeyCode::Enter
                if self
                    .volumes
                    .get(self.selected)
                    .is_some_and(|v| v.session.is_some()) =>
            {
                self.open = Some(self.selected);
            }
            _ => {}
        }
        false
    }
}

/// What the scan thread hands to the UI: one volume to explore, or a disk.
pub enum Opened {
    Session(Result<Box<Session>, String>),
    Disk(Box<Disk>),
}

impl Opened {
    /// A partitioned disk opens on its volume list (its table's findings are
    /// there); a bare filesystem opens straight on its overview.
    pub fn new(mut result: ScanResult, source: Arc<Source>) -> Opened {
        match result.partition_table.take() {
            Some(table) => Opened::Disk(Box::new(Disk::new(result, table, &source))),
            None => Opened::Session(Session::new(result, source).map(Box::new)),
        }
    }
}

pub struct App {
    pub screen: Screen,
    pub theme: Theme,
    pub mouse: bool,
    pub quit: bool,
    /// Set when the mouse mode changed, for the event loop to apply.
    pub mouse_changed: bool,
    /// Terminal size of the last frame: layout-dependent state is computed
    /// from it before drawing (never during drawing).
    pub size: (u16, u16),
    /// The view asked for when the ext journal needs recovery.
    pub journal: JournalMode,
    /// Set by `J`, for the event loop to scan again in the other view.
    pub rescan: bool,
    /// The image's SHA-256 once known (kept across a rescan).
    digest: Option<String>,
}

impl App {
    pub fn loading(name: String, theme: Theme, mouse: bool) -> App {
        App {
            screen: Screen::Loading {
                name,
                phase: "opening".into(),
                done: 0,
                total: 0,
            },
            theme,
            mouse,
            quit: false,
            mouse_changed: false,
            size: (80, 24),
            journal: JournalMode::Replay,
            rescan: false,
            digest: None,
        }
    }

    /// Hands the finished scan to the UI.
    pub fn scan_done(&mut self, result: ScanResult, source: Arc<Source>) {
        let name = source.name();
        self.opened(name, Opened::new(result, source));
    }

    /// Hands over what the scan thread built: a session or a disk.
    pub fn opened(&mut self, name: String, opened: Opened) {
        match opened {
            Opened::Session(session) => self.session_ready(name, session),
            Opened::Disk(disk) => {
                self.screen = Screen::Disk(disk);
                let size = self.size;
                self.resize(size.0, size.1);
            }
        }
    }

    /// Hands over a session built elsewhere (the scan thread builds it, so that
    /// indexing a million inodes never blocks the UI), or why there is none.
    pub fn session_ready(&mut self, name: String, session: Result<Box<Session>, String>) {
        self.screen = match session {
            Ok(session) => Screen::Ready(session),
            Err(error) => Screen::Failed { name, error },
        };
        if let Some(digest) = self.digest.clone() {
            self.hash_done(digest);
        }
        self.relayout();
    }

    pub fn progress(&mut self, phase: String, done: u64, total: u64) {
        if let Screen::Loading {
            phase: p,
            done: d,
            total: t,
            ..
        } = &mut self.screen
        {
            *p = phase;
            *d = done;
            *t = total;
        }
    }

    /// Every session on screen: the one, or each volume's of a disk.
    fn sessions(&mut self) -> Vec<&mut Session> {
        match &mut self.screen {
            Screen::Ready(session) => vec![session.as_mut()],
            Screen::Disk(disk) => disk
                .volumes
                .iter_mut()
                .filter_map(|v| v.session.as_deref_mut())
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn hash_progress(&mut self, done_mib: u64, total_mib: u64) {
        for session in self.sessions() {
            if session.image.sha256.is_none() {
                session.hashing = Some((done_mib, total_mib));
            }
        }
    }

    pub fn hash_done(&mut self, digest: String) {
        self.digest = Some(digest.clone());
        if let Screen::Disk(disk) = &mut self.screen {
            disk.image.sha256 = Some(digest.clone());
        }
        for session in self.sessions() {
            session.image.sha256 = Some(digest.clone());
            session.hashing = None;
        }
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        self.relayout();
    }

    fn relayout(&mut self) {
        let size = self.size;
        for session in self.sessions() {
            session.relayout(size);
        }
    }

    /// The image's name, when the session on screen is of a filesystem whose
    /// journal needs recovery and no prompt or help takes the key.
    fn journal_switchable(&self) -> Option<String> {
        let session = match &self.screen {
            Screen::Ready(session) => Some(session.as_ref()),
            Screen::Disk(disk) => disk.session(),
            _ => None,
        }?;
        (session.vol.replay.is_some() && session.prompt.is_none() && !session.help)
            .then(|| session.image.path.clone())
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if key.code == KeyCode::Char('J')
            && let Some(name) = self.journal_switchable()
        {
            self.journal = match self.journal {
                JournalMode::Ignore => JournalMode::Replay,
                JournalMode::Replay | JournalMode::Both => JournalMode::Ignore,
            };
            self.rescan = true;
            self.screen = Screen::Loading {
                name,
                phase: match self.journal {
                    JournalMode::Ignore => "reading the filesystem as it lies on disk".into(),
                    _ => "replaying the journal in memory".into(),
                },
                done: 0,
                total: 0,
            };
            return;
        }
        let session = match &mut self.screen {
            Screen::Ready(session) => session.as_mut(),
            Screen::Disk(disk) => {
                if disk.open.is_none() {
                    self.quit = disk.list_key(key);
                    return;
                }
                // `v`, or Esc with nothing to go back to, returns to the list.
                let leave = disk.session().is_some_and(|s| {
                    s.prompt.is_none()
                        && !s.help
                        && (key.code == KeyCode::Char('v')
                            || (key.code == KeyCode::Esc && s.at_history_start()))
                });
                if leave {
                    disk.open = None;
                    return;
                }
                let Some(session) = disk.session_mut() else {
                    disk.open = None;
                    return;
                };
                session
            }
            _ => {
                if matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) {
                    self.quit = true;
                }
                return;
            }
        };
        if session.prompt.is_some() {
            session.prompt_key(key);
        } else if session.help {
            // Any key closes the help overlay; q still quits.
            session.help = false;
            if key.code == KeyCode::Char('q') {
                self.quit = true;
            }
        } else {
            match key.code {
                KeyCode::Char('q') => self.quit = true,
                KeyCode::Char('m') => {
                    self.mouse = !self.mouse;
                    self.mouse_changed = true;
                    session.status = Some(if self.mouse {
                        "mouse on: click selects, wheel scrolls (m turns it off to select text)"
                            .into()
                    } else {
                        "mouse off".into()
                    });
                }
                _ => session.key(key),
            }
        }
        session.relayout(self.size);
    }

    pub fn on_mouse(&mut self, event: MouseEvent) {
        let size = self.size;
        let session = match &mut self.screen {
            Screen::Ready(session) => Some(session.as_mut()),
            Screen::Disk(disk) => disk.session_mut(),
            _ => None,
        };
        if let Some(session) = session {
            session.mouse(event);
            session.relayout(size);
        }
    }
}

/// Lookups derived once from the scan result.
pub struct Index {
    /// Inodes that are part of a non-legitimate cross-link.
    pub crosslinked: HashSet<InodeNo>,
    /// Crosslinks, worst first (metadata overlaps, cross-links, then legitimate).
    pub crosslinks_worst_first: Vec<usize>,
    /// First path of each inode (by position in `Filesystem::inodes`), built
    /// once from the name tree for the table and its sorting.
    pub first_paths: Vec<Option<String>>,
    /// Every path of each inode, lower-cased and joined by newlines: what the
    /// `/` filter searches.
    pub search_text: Vec<String>,
    /// Blocks in non-legitimate cross-links.
    pub crosslinked_blocks: u64,
    /// Inode positions ordered by size, mtime, uid and first path (ties by
    /// inode number): sorting the table is then a filter, never a sort.
    pub by_size: Vec<u32>,
    pub by_mtime: Vec<u32>,
    pub by_uid: Vec<u32>,
    pub by_path: Vec<u32>,
    /// Who owns a block, in O(log n): the heatmap asks at every cursor move.
    pub blocks: BlockIndex,
}

/// A finished scan being explored.
pub struct Session {
    pub image: ImageInfo,
    /// The volume being explored (the first with a filesystem); its
    /// filesystem was moved to `fs`.
    pub vol: VolumeResult,
    pub fs: Filesystem,
    pub source: Arc<Source>,
    pub index: Index,
    pub view: ViewId,
    pub overview: overview::State,
    pub inodes: inodes::State,
    pub detail: detail::State,
    pub heatmap: heatmap::State,
    pub crosslinks: crosslinks::State,
    pub block: block::State,
    pub explain: explain::State,
    history: Vec<Place>,
    pub prompt: Option<Prompt>,
    pub help: bool,
    /// A one-line message in the footer (what a key did, or why it did nothing).
    pub status: Option<String>,
    /// SHA-256 progress (MiB done, MiB total) while the image is being hashed.
    pub hashing: Option<(u64, u64)>,
}

impl Session {
    /// The session of the first volume that holds a filesystem.
    pub fn new(result: ScanResult, source: Arc<Source>) -> Result<Session, String> {
        let ScanResult { image, volumes, .. } = result;
        let why = volumes
            .iter()
            .find_map(|v| v.error.clone())
            .unwrap_or_else(|| "no filesystem recognised".into());
        let Some(vol) = volumes.into_iter().find(|v| v.filesystem.is_some()) else {
            return Err(why);
        };
        Session::for_volume(image, vol, source)
    }

    /// The session of one volume (Err if it holds no filesystem).
    pub fn for_volume(
        image: ImageInfo,
        mut vol: VolumeResult,
        source: Arc<Source>,
    ) -> Result<Session, String> {
        let Some(fs) = vol.filesystem.take() else {
            return Err(vol
                .error
                .unwrap_or_else(|| "no filesystem recognised".into()));
        };
        let index = build_index(&fs, &vol.crosslinks);
        let mut session = Session {
            image,
            vol,
            fs,
            source,
            index,
            view: ViewId::Overview,
            overview: overview::State::default(),
            inodes: inodes::State::default(),
            detail: detail::State::default(),
            heatmap: heatmap::State::default(),
            crosslinks: crosslinks::State::default(),
            block: block::State::default(),
            explain: explain::State::default(),
            history: Vec::new(),
            prompt: None,
            help: false,
            status: None,
            hashing: None,
        };
        inodes::refresh_rows(&mut session);
        heatmap::init(&mut session);
        Ok(session)
    }

    /// Recomputes what depends on the screen size (heatmap cells, scrolling).
    pub fn relayout(&mut self, size: (u16, u16)) {
        heatmap::relayout(self, size);
        inodes::clamp(self, size);
    }

    fn place(&self) -> Place {
        Place {
            view: self.view,
            inode: self.detail.inode,
            detail_selected: self.detail.selected,
            block: self.block.block,
            finding: self.overview.selected,
        }
    }

    /// Remembers where we are before jumping somewhere else.
    pub fn push_history(&mut self) {
        let here = self.place();
        if self.history.last() != Some(&here) {
            self.history.push(here);
        }
        const MAX_HISTORY: usize = 256;
        if self.history.len() > MAX_HISTORY {
            self.history.remove(0);
        }
    }

    /// Whether Esc has nowhere to go back to in this session.
    pub fn at_history_start(&self) -> bool {
        self.history.is_empty()
    }

    fn back(&mut self) {
        let Some(place) = self.history.pop() else {
            self.status = Some("nothing to go back to".into());
            return;
        };
        if let Some(ino) = place.inode {
            detail::open(self, ino);
            self.detail.selected = place.detail_selected;
        }
        if let Some(b) = place.block {
            block::open(self, b);
        }
        self.overview.selected = place.finding;
        self.view = place.view;
    }

    /// Opens the detail view of an inode, remembering where we came from.
    pub fn jump_to_inode(&mut self, ino: InodeNo) {
        if self.fs.inode(ino).is_some() {
            self.push_history();
            detail::open(self, ino);
            self.view = ViewId::Detail;
        } else {
            self.status = Some(format!("inode {ino} is not in use"));
        }
    }

    /// Opens the block view, remembering where we came from.
    pub fn jump_to_block(&mut self, block: BlockNo) {
        self.push_history();
        block::open(self, block);
        self.view = ViewId::Block;
    }

    /// Opens the heatmap at a block.
    pub fn jump_to_heatmap(&mut self, block: BlockNo) {
        self.push_history();
        self.view = ViewId::Heatmap;
        heatmap::focus(self, block);
    }

    fn key(&mut self, key: KeyEvent) {
        self.status = None;
        match key.code {
            KeyCode::Char('?') => {
                self.help = true;
                return;
            }
            KeyCode::Tab => {
                self.switch(self.view.cycle(1));
                return;
            }
            KeyCode::BackTab => {
                self.switch(self.view.cycle(-1));
                return;
            }
            KeyCode::Char(c @ '1'..='7') => {
                let i = usize::from(c as u8 - b'1');
                if let Some(&view) = ViewId::ALL.get(i) {
                    self.switch(view);
                }
                return;
            }
            KeyCode::Char(':') => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Goto,
                    text: String::new(),
                });
                return;
            }
            KeyCode::Char('/') => {
                self.view = ViewId::Inodes;
                self.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    text: self.inodes.filter.clone(),
                });
                return;
            }
            KeyCode::Esc | KeyCode::Backspace => {
                self.back();
                return;
            }
            _ => {}
        }
        match self.view {
            ViewId::Overview => overview::key(self, key),
            ViewId::Inodes => inodes::key(self, key),
            ViewId::Detail => detail::key(self, key),
            ViewId::Heatmap => heatmap::key(self, key),
            ViewId::Crosslinks => crosslinks::key(self, key),
            ViewId::Block => block::key(self, key),
            ViewId::Explain => explain::key(self, key),
        }
    }

    fn switch(&mut self, view: ViewId) {
        if view == ViewId::Detail && self.detail.inode.is_none() {
            // Nothing chosen yet: show the first cross-linked inode, or the root.
            let first = self
                .fs
                .inodes
                .iter()
                .find(|n| self.index.crosslinked.contains(&n.ino))
                .or_else(|| self.fs.inode(2))
                .or_else(|| self.fs.inodes.first())
                .map(|n| n.ino);
            if let Some(ino) = first {
                detail::open(self, ino);
            }
        }
        if view == ViewId::Block && self.block.block.is_none() {
            let first = self.vol.crosslinks.first().map_or(0, |c| c.start_block);
            block::open(self, first);
        }
        self.view = view;
    }

    fn prompt_key(&mut self, key: KeyEvent) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                if prompt.kind == PromptKind::Search {
                    self.inodes.filter.clear();
                    inodes::refresh_rows(self);
                }
                self.prompt = None;
            }
            KeyCode::Enter => {
                let prompt = self.prompt.take();
                if let Some(Prompt {
                    kind: PromptKind::Goto,
                    text,
                }) = prompt
                {
                    self.goto(&text);
                }
            }
            KeyCode::Backspace => {
                prompt.text.pop();
                if prompt.kind == PromptKind::Search {
                    self.inodes.filter = prompt.text.clone();
                    inodes::refresh_rows(self);
                }
            }
            KeyCode::Char(c) => {
                const MAX_PROMPT: usize = 256;
                if prompt.text.chars().count() < MAX_PROMPT {
                    prompt.text.push(c);
                }
                if prompt.kind == PromptKind::Search {
                    self.inodes.filter = prompt.text.clone();
                    inodes::refresh_rows(self);
                }
            }
            _ => {}
        }
    }

    /// `:` targets: `123` or `b123` a block, `i12` an inode, `0x1f400` a byte
    /// offset in the volume, `/etc/shadow` a path.
    pub fn goto(&mut self, text: &str) {
        let text = text.trim();
        let bs = u64::from(self.fs.info.block_size).max(1);
        let number = |s: &str| s.trim().parse::<u64>().ok();
        if let Some(path) = text.strip_prefix('/').map(|_| text) {
            let found = self
                .fs
                .inodes
                .iter()
                .find(|n| self.fs.paths(n).iter().any(|p| p == path))
                .map(|n| n.ino);
            match found {
                Some(ino) => self.jump_to_inode(ino),
                None => self.status = Some(format!("no inode is named {path}")),
            }
        } else if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            match u64::from_str_radix(hex, 16) {
                Ok(offset) => self.jump_to_block(offset / bs),
                Err(_) => self.status = Some(format!("not a hex offset: {text}")),
            }
        } else if let Some(ino) = text
            .strip_prefix("inode")
            .or_else(|| text.strip_prefix('i'))
            .and_then(number)
        {
            self.jump_to_inode(ino);
        } else if let Some(b) = text
            .strip_prefix("block")
            .or_else(|| text.strip_prefix('b'))
            .and_then(number)
            .or_else(|| number(text))
        {
            self.jump_to_block(b);
        } else {
            self.status = Some(format!(
                "go to what? {text:?} (try 1234, i12, 0x1f400 or /etc/shadow)"
            ));
        }
    }

    fn mouse(&mut self, event: MouseEvent) {
        let down = KeyEvent::from(KeyCode::Down);
        let up = KeyEvent::from(KeyCode::Up);
        match event.kind {
            MouseEventKind::ScrollDown => self.key(down),
            MouseEventKind::ScrollUp => self.key(up),
            MouseEventKind::Down(_) => match self.view {
                ViewId::Inodes => inodes::click(self, event.row),
                ViewId::Heatmap => heatmap::click(self, event.column, event.row),
                _ => {}
            },
            _ => {}
        }
    }

    /// The claimers of a crosslink other than `ino`, for "shared with" lines.
    pub fn others<'a>(&self, link: &'a Crosslink, ino: InodeNo) -> Vec<&'a Claimer> {
        link.claimers
            .iter()
            .filter(|c| !matches!(c, Claimer::Inode { inode, .. } if *inode == ino))
            .collect()
    }
}

fn build_index(fs: &Filesystem, crosslinks: &[Crosslink]) -> Index {
    let mut crosslinked = HashSet::new();
    for c in crosslinks.iter().filter(|c| !c.legitimate) {
        for cl in &c.claimers {
            if let Claimer::Inode { inode, .. } = cl {
                crosslinked.insert(*inode);
            }
        }
    }
    let mut order: Vec<usize> = (0..crosslinks.len()).collect();
    order.sort_by_key(|&i| {
        let c = crosslinks.get(i);
        let rank = match c {
            Some(c) if c.legitimate => 2,
            Some(c)
                if c.claimers
                    .iter()
                    .any(|cl| matches!(cl, Claimer::Metadata { .. })) =>
            {
                0
            }
            _ => 1,
        };
        (rank, c.map_or(0, |c| c.start_block))
    });
    let first_paths: Vec<Option<String>> = fs.inodes.par_iter().map(|n| fs.first_path(n)).collect();
    let first_paths_ref = &first_paths;
    let search_text = fs
        .inodes
        .par_iter()
        .map(|n| fs.paths(n).join("\n").to_lowercase())
        .collect();
    let order_by = |key: &(dyn Fn(&Inode) -> u64 + Sync)| -> Vec<u32> {
        let mut keyed: Vec<(u64, u32)> = fs
            .inodes
            .par_iter()
            .enumerate()
            .filter_map(|(i, n)| Some((key(n), u32::try_from(i).ok()?)))
            .collect();
        keyed.par_sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    };
    // Signed times order as unsigned with the sign bit flipped.
    let by_size = order_by(&|n| n.size);
    let by_mtime = order_by(&|n| (n.mtime as u64) ^ (1 << 63));
    let by_uid = order_by(&|n| u64::from(n.uid));
    let mut by_path: Vec<u32> = (0..u32::try_from(fs.inodes.len()).unwrap_or(u32::MAX)).collect();
    by_path.par_sort_by(|&a, &b| {
        let path = |i: u32| {
            first_paths_ref
                .get(i as usize)
                .and_then(Option::as_deref)
                .unwrap_or("")
        };
        path(a).cmp(path(b))
    });
    Index {
        by_size,
        by_mtime,
        by_uid,
        by_path,
        crosslinked,
        crosslinks_worst_first: order,
        first_paths,
        search_text,
        blocks: BlockIndex::new(fs),
        crosslinked_blocks: crosslinks
            .iter()
            .filter(|c| !c.legitimate)
            .map(|c| c.block_count)
            .sum(),
    }
}
