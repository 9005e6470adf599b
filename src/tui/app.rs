//! The TUI's state as a whole and where keys go: the screen (loading, a
//! session, a disk's volume list), the app-wide keys (quit, mouse, `J`), and
//! what the worker reports. Rendering lives in `render.rs` and `views/`;
//! nothing here draws, reads the image or writes a file: such work leaves as
//! a [`Job`] for the event loop to start on the worker.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};

use crate::analysis::{JournalMode, ScanResult};
use crate::tui::action::Action;
use crate::tui::screen::{Opened, Screen};
use crate::tui::session::Session;
use crate::tui::source::Source;
use crate::tui::theme::Theme;
use crate::tui::views::disk;
use crate::tui::worker::Job;

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
    /// Work for the worker thread, for the event loop to start.
    jobs: Vec<Job>,
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
            jobs: Vec::new(),
            digest: None,
        }
    }

    /// Hands the finished scan to the UI (building the session here: tests
    /// and benchmarks; the inspector builds it on the worker).
    pub fn scan_done(&mut self, result: ScanResult, source: Arc<Source>) {
        let name = source.name();
        self.opened(name, Opened::new(result, source, self.theme));
    }

    /// Hands over what the scan thread built: a session or a disk.
    pub fn opened(&mut self, name: String, opened: Opened) {
        match opened {
            Opened::Session(session) => self.session_ready(name, session),
            Opened::Disk(disk) => {
                self.screen = Screen::Disk(disk);
                self.after_scan();
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
        self.after_scan();
    }

    fn after_scan(&mut self) {
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
                .sessions
                .iter_mut()
                .filter_map(|s| s.as_deref_mut())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The session being explored, if any.
    pub fn session(&self) -> Option<&Session> {
        match &self.screen {
            Screen::Ready(session) => Some(session),
            Screen::Disk(disk) => disk.session(),
            _ => None,
        }
    }

    fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.screen {
            Screen::Ready(session) => Some(session),
            Screen::Disk(disk) => disk.session_mut(),
            _ => None,
        }
    }

    pub fn hash_progress(&mut self, done_mib: u64, total_mib: u64) {
        for session in self.sessions() {
            if session.cx.image.sha256.is_none() {
                session.cx.hashing = Some((done_mib, total_mib));
            }
        }
    }

    pub fn hash_done(&mut self, digest: String) {
        self.digest = Some(digest.clone());
        if let Screen::Disk(disk) = &mut self.screen {
            disk.list.image.sha256 = Some(digest.clone());
        }
        for session in self.sessions() {
            session.cx.image.sha256 = Some(digest.clone());
            session.cx.hashing = None;
        }
    }

    /// The worker saved the heatmap picture, or could not.
    pub fn heatmap_saved(&mut self, saved: Result<PathBuf, String>) {
        if let Some(session) = self.session_mut() {
            session.status = Some(match saved {
                Ok(path) => format!("heatmap saved to {}", path.display()),
                Err(e) => format!("heatmap not saved: {e}"),
            });
        }
    }

    /// The jobs keys asked for since the last call, for the worker.
    pub fn take_jobs(&mut self) -> Vec<Job> {
        std::mem::take(&mut self.jobs)
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

    pub fn on_key(&mut self, key: KeyEvent) {
        if let Some(action) = self.key_action(key) {
            self.apply(action);
        }
        let size = self.size;
        if let Some(session) = self.session_mut() {
            session.relayout(size);
        }
    }

    /// What a key asks for: the app-wide keys first, then the volume list,
    /// the prompt, the help overlay or the session on screen.
    fn key_action(&mut self, key: KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        if key.code == KeyCode::Char('J') && self.journal_switchable() {
            return Some(Action::SwitchJournal);
        }
        if let Screen::Disk(disk) = &mut self.screen {
            if disk.open.is_none() {
                return disk::key(&mut disk.state, &disk.list, key);
            }
            // `v`, or Esc with nothing to go back to, returns to the list.
            let leave = disk.session().is_none_or(|s| {
                s.prompt.is_none()
                    && !s.help
                    && (key.code == KeyCode::Char('v')
                        || (key.code == KeyCode::Esc && s.at_history_start()))
            });
            if leave {
                return Some(Action::LeaveVolume);
            }
        }
        let Some(session) = self.session_mut() else {
            return matches!(key.code, KeyCode::Char('q') | KeyCode::Esc).then_some(Action::Quit);
        };
        if let Some(prompt) = &mut session.prompt {
            return prompt.key(key);
        }
        if session.help {
            // Any key closes the help overlay; q still quits.
            session.help = false;
            return (key.code == KeyCode::Char('q')).then_some(Action::Quit);
        }
        match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char('m') => Some(Action::ToggleMouse),
            _ => session.key(key),
        }
    }

    /// `m`: mouse capture on or off (the event loop applies it).
    fn toggle_mouse(&mut self) {
        self.mouse = !self.mouse;
        self.mouse_changed = true;
        let status = if self.mouse {
            "mouse on: click selects, wheel scrolls (m turns it off to select text)"
        } else {
            "mouse off"
        };
        if let Some(session) = self.session_mut() {
            session.status = Some(status.into());
        }
    }

    /// Applies the actions that reach past a session; the session applies
    /// the rest, and what it cannot do on the UI thread becomes a job.
    fn apply(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::SubmitPrompt if self.session_mut().is_some_and(|s| s.prompt_says_quit()) => {
                self.quit = true;
            }
            Action::ToggleMouse => self.toggle_mouse(),
            Action::SwitchJournal => self.switch_journal(),
            Action::OpenVolume(i) => self.open_volume(Some(i)),
            Action::LeaveVolume => self.open_volume(None),
            other => {
                let job = self.session_mut().and_then(|s| s.apply(other));
                self.jobs.extend(job);
            }
        }
    }

    /// Explores a volume of a partitioned disk, or (None) shows the list.
    fn open_volume(&mut self, row: Option<usize>) {
        if let Screen::Disk(disk) = &mut self.screen {
            disk.open = row;
        }
    }

    /// Whether the session on screen is of a filesystem whose journal needs
    /// recovery, and no prompt or help takes the key.
    fn journal_switchable(&self) -> bool {
        self.session()
            .is_some_and(|s| s.cx.vol.replay.is_some() && s.prompt.is_none() && !s.help)
    }

    /// `J`: scan again in the other view of the pending journal.
    fn switch_journal(&mut self) {
        let name = self
            .session()
            .map(|s| s.cx.image.path.clone())
            .unwrap_or_default();
        self.journal = match self.journal {
            JournalMode::Ignore => JournalMode::Replay,
            JournalMode::Replay | JournalMode::Both => JournalMode::Ignore,
        };
        self.jobs.push(Job::Scan {
            journal: self.journal,
            hash: false,
        });
        self.screen = Screen::Loading {
            name,
            phase: match self.journal {
                JournalMode::Ignore => "reading the filesystem as it lies on disk".into(),
                _ => "replaying the journal in memory".into(),
            },
            done: 0,
            total: 0,
        };
    }

    pub fn on_mouse(&mut self, event: MouseEvent) {
        let Some(session) = self.session_mut() else {
            return;
        };
        if let Some(action) = session.mouse(event) {
            self.apply(action);
        }
        let size = self.size;
        if let Some(session) = self.session_mut() {
            session.relayout(size);
        }
    }
}
