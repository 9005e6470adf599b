//! The interactive inspector. The scan runs on its own thread and reports
//! progress over a channel; the UI thread only handles keys and draws. The
//! terminal is restored on every exit path: normal, error, Ctrl-C and panic.

pub mod app;
pub mod format;
pub mod source;
pub mod theme;
pub mod views;

use std::io::stdout;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::execute;

use crate::analysis::{self, JournalMode, ScanOptions};
use crate::fs::Progress;
use app::{App, Opened};
use source::Source;
use theme::Theme;

/// How the TUI was asked to look and behave.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub color: bool,
    pub mouse: bool,
    /// Which view of an ext filesystem whose journal needs recovery.
    pub journal: JournalMode,
}

enum Message {
    Progress(String, u64, u64),
    /// The scan and the session's indexes, built off the UI thread.
    Done(Opened),
    /// Hashing after the scan: MiB done of total, then the digest.
    HashProgress(u64, u64),
    Hash(String),
}

/// Sends progress to the UI thread, at most a few hundred reports a phase so
/// that a million-inode scan does not flood the channel.
struct ChannelProgress(Sender<Message>);

impl Progress for ChannelProgress {
    fn step(&self, phase: &str, done: u64, total: u64) {
        let reports = if phase == "sha256" { 1000 } else { 200 };
        let stride = (total / reports).max(1);
        if done.is_multiple_of(stride) || done == total {
            let msg = if phase == "sha256" {
                Message::HashProgress(done, total)
            } else {
                Message::Progress(phase.to_string(), done, total)
            };
            let _ = self.0.send(msg);
        }
    }
}

/// Scans `source` on a background thread; the first scan then hashes the
/// image (a full read, so it comes last and the UI never waits for it).
fn start_scan(
    source: &Arc<Source>,
    journal: JournalMode,
    hash: bool,
    tx: &Sender<Message>,
) -> std::io::Result<()> {
    let source = Arc::clone(source);
    let tx = tx.clone();
    std::thread::Builder::new()
        .name("scan".into())
        .spawn(move || {
            let progress = ChannelProgress(tx.clone());
            let options = ScanOptions {
                journal,
                ..ScanOptions::default()
            };
            let result = analysis::scan_view(&source.name(), &source.view(), &options, &progress);
            progress.step("indexing", 0, 1);
            let opened = Opened::new(result, Arc::clone(&source));
            let _ = tx.send(Message::Done(opened));
            if hash {
                let digest = analysis::sha256(&source.view(), &progress);
                let _ = tx.send(Message::Hash(digest));
            }
        })?;
    Ok(())
}

/// Scans `source` on a background thread and runs the UI until the user quits.
pub fn run(source: Source, options: Options) -> anyhow::Result<()> {
    let source = Arc::new(source);
    let (tx, rx) = mpsc::channel();
    start_scan(&source, options.journal, true, &tx)?;
    let theme = Theme {
        color: options.color,
    };
    let mut app = App::loading(source.name(), theme, options.mouse);
    app.journal = options.journal;
    // ratatui::init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::try_init()?;
    let outcome = (|| -> anyhow::Result<()> {
        if app.mouse {
            execute!(stdout(), EnableMouseCapture)?;
        }
        event_loop(&mut terminal, &mut app, (&tx, &rx), &source)
    })();
    if app.mouse {
        let _ = execute!(stdout(), DisableMouseCapture);
    }
    ratatui::restore();
    outcome
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    (tx, rx): (&Sender<Message>, &Receiver<Message>),
    source: &Arc<Source>,
) -> anyhow::Result<()> {
    let size = terminal.size()?;
    app.resize(size.width, size.height);
    loop {
        terminal.draw(|frame| views::draw(frame, app))?;
        // Wait for input briefly, then take whatever the scan has sent.
        if event::poll(Duration::from_millis(50))? {
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => app.on_key(key),
                Event::Mouse(m) => app.on_mouse(m),
                Event::Resize(w, h) => app.resize(w, h),
                _ => {}
            }
        }
        while let Ok(msg) = rx.try_recv() {
            match msg {
                Message::Progress(phase, done, total) => app.progress(phase, done, total),
                Message::Done(opened) => app.opened(source.name(), opened),
                Message::HashProgress(done, total) => app.hash_progress(done, total),
                Message::Hash(digest) => app.hash_done(digest),
            }
        }
        if app.rescan {
            // `J`: the other view of a filesystem whose journal needs recovery.
            app.rescan = false;
            start_scan(source, app.journal, false, tx)?;
        }
        if app.mouse_changed {
            app.mouse_changed = false;
            if app.mouse {
                execute!(stdout(), EnableMouseCapture)?;
            } else {
                execute!(stdout(), DisableMouseCapture)?;
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}
