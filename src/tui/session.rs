//! One volume being explored: its [`Context`], the state of every view, the
//! history, the prompt and the footer. Keys become [`Action`]s (the views'
//! own, or the session-wide ones below) and are applied here; what must not
//! run on the UI thread comes back as a [`Job`] for the worker.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};

use crate::analysis::{ImageInfo, ScanResult, VolumeResult};
use crate::model::{BlockNo, InodeNo};
use crate::tui::action::{Action, PromptKind, ViewId};
use crate::tui::context::Context;
use crate::tui::prompt::Prompt;
use crate::tui::source::Source;
use crate::tui::theme::Theme;
use crate::tui::views::{Views, block, detail, heatmap, inodes};
use crate::tui::worker::Job;

/// How many places Esc can go back.
const MAX_HISTORY: usize = 256;

/// Where the user was, for Esc/Backspace.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    view: ViewId,
    inode: Option<InodeNo>,
    detail_selected: usize,
    block: Option<BlockNo>,
    finding: usize,
}

/// A finished scan being explored.
pub struct Session {
    /// What the views read.
    pub cx: Context,
    pub views: Views,
    /// The view on screen.
    pub view: ViewId,
    history: Vec<Place>,
    pub prompt: Option<Prompt>,
    /// The `?` overlay is open.
    pub help: bool,
    /// A one-line message in the footer (what a key did, or why it did nothing).
    pub status: Option<String>,
}

impl Session {
    /// The session of the first volume that holds a filesystem.
    pub fn new(result: ScanResult, source: Arc<Source>, theme: Theme) -> Result<Session, String> {
        let ScanResult { image, volumes, .. } = result;
        let why = volumes
            .iter()
            .find_map(|v| v.error.clone())
            .unwrap_or_else(|| "no filesystem recognised".into());
        let Some(vol) = volumes.into_iter().find(|v| v.filesystem.is_some()) else {
            return Err(why);
        };
        Session::for_volume(image, vol, source, theme)
    }

    /// The session of one volume (Err if it holds no filesystem).
    pub fn for_volume(
        image: ImageInfo,
        vol: VolumeResult,
        source: Arc<Source>,
        theme: Theme,
    ) -> Result<Session, String> {
        let cx = Context::new(image, vol, source, theme)?;
        Ok(Session {
            views: Views::new(&cx),
            cx,
            view: ViewId::Overview,
            history: Vec::new(),
            prompt: None,
            help: false,
            status: None,
        })
    }

    /// Recomputes what depends on the screen size (heatmap cells, scrolling).
    pub fn relayout(&mut self, size: (u16, u16)) {
        self.views.relayout(&self.cx, size);
    }

    /// Whether Esc has nowhere to go back to in this session.
    pub fn at_history_start(&self) -> bool {
        self.history.is_empty()
    }

    /// What a key asks for, with no prompt or help open: the keys every
    /// view shares, else the view's own (which may change its state).
    pub fn key(&mut self, key: KeyEvent) -> Option<Action> {
        self.status = None;
        session_action(self.view, key).or_else(|| self.views.key(self.view, &self.cx, key))
    }

    /// The wheel scrolls like ↓ ↑; a click goes to the view on screen.
    pub fn mouse(&mut self, event: MouseEvent) -> Option<Action> {
        match event.kind {
            MouseEventKind::ScrollDown => self.key(KeyEvent::from(KeyCode::Down)),
            MouseEventKind::ScrollUp => self.key(KeyEvent::from(KeyCode::Up)),
            MouseEventKind::Down(_) => {
                self.views
                    .click(self.view, &self.cx, event.column, event.row);
                None
            }
            _ => None,
        }
    }

    /// Does what a key asked for; a job is work for the worker thread.
    pub fn apply(&mut self, action: Action) -> Option<Job> {
        match action {
            Action::SwitchView(view) => self.switch(view),
            Action::Back => self.back(),
            Action::Help => self.help = true,
            Action::OpenPrompt(PromptKind::Goto) => {
                self.prompt = Some(Prompt::new(PromptKind::Goto, String::new()));
            }
            Action::OpenPrompt(PromptKind::Search) => {
                self.show(ViewId::Inodes);
                let filter = self.views.inodes.filter.clone();
                self.prompt = Some(Prompt::new(PromptKind::Search, filter));
            }
            Action::CancelPrompt => {
                if self
                    .prompt
                    .take()
                    .is_some_and(|p| p.kind == PromptKind::Search)
                {
                    self.filter(String::new());
                }
            }
            Action::SubmitPrompt => {
                if let Some(Prompt {
                    kind: PromptKind::Goto,
                    text,
                }) = self.prompt.take()
                {
                    self.goto(&text);
                }
            }
            Action::Filter(text) => self.filter(text),
            Action::Explain => {
                self.push_history();
                self.views.explain.scroll = 0;
                self.show(ViewId::Explain);
            }
            Action::OpenInode(ino) => self.jump_to_inode(ino),
            Action::JumpToBlock(block) => self.jump_to_block(block),
            Action::ShowBlock(block) => self.views.block = block::open(&self.cx, block),
            Action::ShowInHeatmap(block) => {
                self.push_history();
                self.show(ViewId::Heatmap);
                heatmap::focus(&mut self.views.heatmap, &self.cx, block);
            }
            Action::ExportHeatmap => {
                self.status = Some("saving the heatmap…".into());
                let picture = heatmap::picture(&self.views.heatmap, &self.cx);
                return Some(Job::SaveHeatmap(picture));
            }
            Action::Status(message) => self.status = Some(message),
            // The app's own (see `App::apply`).
            Action::Quit
            | Action::ToggleMouse
            | Action::SwitchJournal
            | Action::OpenVolume(_)
            | Action::LeaveVolume => {}
        }
        None
    }

    /// Puts a view on screen. The explanation follows the finding selected
    /// in the overview.
    fn show(&mut self, view: ViewId) {
        if view == ViewId::Explain {
            self.views.explain.finding = self.views.overview.selected;
        }
        self.view = view;
    }

    fn switch(&mut self, view: ViewId) {
        let cx = &self.cx;
        if view == ViewId::Detail && self.views.detail.inode.is_none() {
            // Nothing chosen yet: show the first cross-linked inode, or the root.
            let first = cx
                .fs
                .inodes
                .iter()
                .find(|n| cx.index.crosslinked.contains(&n.ino))
                .or_else(|| cx.fs.inode(2))
                .or_else(|| cx.fs.inodes.first())
                .map(|n| n.ino);
            if let Some(ino) = first {
                self.views.detail = detail::open(cx, ino);
            }
        }
        if view == ViewId::Block && self.views.block.block.is_none() {
            let first = cx.vol.crosslinks.first().map_or(0, |c| c.start_block);
            self.views.block = block::open(cx, first);
        }
        self.show(view);
    }

    fn filter(&mut self, text: String) {
        self.views.inodes.filter = text;
        inodes::refresh_rows(&mut self.views.inodes, &self.cx);
    }

    fn place(&self) -> Place {
        Place {
            view: self.view,
            inode: self.views.detail.inode,
            detail_selected: self.views.detail.selected,
            block: self.views.block.block,
            finding: self.views.overview.selected,
        }
    }

    /// Remembers where we are before jumping somewhere else.
    fn push_history(&mut self) {
        let here = self.place();
        if self.history.last() != Some(&here) {
            self.history.push(here);
        }
        if self.history.len() > MAX_HISTORY {
            self.history.remove(0);
        }
    }

    fn back(&mut self) {
        let Some(place) = self.history.pop() else {
            self.status = Some("nothing to go back to".into());
            return;
        };
        if let Some(ino) = place.inode {
            self.views.detail = detail::open(&self.cx, ino);
            self.views.detail.selected = place.detail_selected;
        }
        if let Some(b) = place.block {
            self.views.block = block::open(&self.cx, b);
        }
        self.views.overview.selected = place.finding;
        self.show(place.view);
    }

    /// Opens the detail view of an inode, remembering where we came from.
    fn jump_to_inode(&mut self, ino: InodeNo) {
        if self.cx.fs.inode(ino).is_some() {
            self.push_history();
            self.views.detail = detail::open(&self.cx, ino);
            self.show(ViewId::Detail);
        } else {
            self.status = Some(format!("inode {ino} is not in use"));
        }
    }

    /// Opens the block view, remembering where we came from.
    fn jump_to_block(&mut self, block: BlockNo) {
        self.push_history();
        self.views.block = block::open(&self.cx, block);
        self.show(ViewId::Block);
    }

    /// Whether the `:` prompt holds `q` (vi's and less's way out).
    pub fn prompt_says_quit(&self) -> bool {
        self.prompt.as_ref().is_some_and(|p| {
            p.kind == PromptKind::Goto && matches!(p.text.trim(), "q" | "q!" | "quit")
        })
    }

    /// `:` targets: `123` or `b123` a block, `fsblock 32781` or `cluster 5`
    /// a block in the format's own numbering, `i12` an inode, `0x1f400` a
    /// byte offset in the volume, `/etc/shadow` a path.
    fn goto(&mut self, text: &str) {
        let text = text.trim();
        let fs = &self.cx.fs;
        let bs = u64::from(fs.info.block_size).max(1);
        let number = |s: &str| s.trim().parse::<u64>().ok();
        if let Some(path) = text.strip_prefix('/').map(|_| text) {
            match self.cx.index.inode_named(fs, path) {
                Some(ino) => self.jump_to_inode(ino),
                None => self.status = Some(format!("no inode is named {path}")),
            }
        } else if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            match u64::from_str_radix(hex, 16) {
                Ok(offset) => self.jump_to_block(offset / bs),
                Err(_) => self.status = Some(format!("not a hex offset: {text}")),
            }
        } else if let Some(block) = fs.units.parse_native(text) {
            self.jump_to_block(block);
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
            let native = fs
                .units
                .native_word()
                .map(|word| format!(", {word} N"))
                .unwrap_or_default();
            self.status = Some(format!(
                "go to what? {text:?} (try 1234{native}, i12, 0x1f400 or /etc/shadow)"
            ));
        }
    }
}

/// The keys every view shares (None: the view's own key).
fn session_action(view: ViewId, key: KeyEvent) -> Option<Action> {
    match key.code {
        KeyCode::Char('?') => Some(Action::Help),
        KeyCode::Tab => Some(Action::SwitchView(view.cycle(1))),
        KeyCode::BackTab => Some(Action::SwitchView(view.cycle(-1))),
        KeyCode::Char(c @ '1'..='7') => {
            let i = usize::from(c as u8 - b'1');
            ViewId::ALL.get(i).copied().map(Action::SwitchView)
        }
        KeyCode::Char(':') => Some(Action::OpenPrompt(PromptKind::Goto)),
        KeyCode::Char('/') => Some(Action::OpenPrompt(PromptKind::Search)),
        KeyCode::Esc | KeyCode::Backspace => Some(Action::Back),
        _ => None,
    }
}
