//! The interactive inspector. The scan, the hash and the heatmap picture run
//! on worker threads and report over a channel; the UI thread only handles
//! keys and draws. Keys become actions (`action.rs`) that the session and the
//! app apply; views own their state and read the scan through `context.rs`. The
//! terminal is restored on every exit path: normal, error, Ctrl-C and panic.

pub mod action;
pub mod app;
pub mod context;
pub mod export;
pub mod format;
pub mod prompt;
pub mod render;
pub mod screen;
pub mod session;
pub mod source;
pub mod theme;
pub mod views;
pub mod worker;

use std::io::stdout;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::execute;

use crate::analysis::JournalMode;
use app::App;
use source::Source;
use theme::Theme;
use worker::{Job, Message, Worker};

/// How the TUI was asked to look and behave.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub color: bool,
    pub mouse: bool,
    /// Which view of an ext filesystem whose journal needs recovery.
    pub journal: JournalMode,
}

/// Scans `source` on a background thread and runs the UI until the user quits.
/// The errors are the terminal's (and a thread that could not be started).
pub fn run(source: Source, options: Options) -> std::io::Result<()> {
    let source = Arc::new(source);
    let (tx, rx) = mpsc::channel();
    let theme = Theme {
        color: options.color,
    };
    let worker = Worker {
        source: Arc::clone(&source),
        theme,
        tx,
    };
    worker.start(Job::Scan {
        journal: options.journal,
        hash: true,
    })?;
    let mut app = App::loading(source.name(), theme, options.mouse);
    app.journal = options.journal;
    // ratatui::init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::try_init()?;
    let outcome = (|| -> std::io::Result<()> {
        if app.mouse {
            execute!(stdout(), EnableMouseCapture)?;
        }
        event_loop(&mut terminal, &mut app, &worker, &rx)
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
    worker: &Worker,
    rx: &Receiver<Message>,
) -> std::io::Result<()> {
    let size = terminal.size()?;
    app.resize(size.width, size.height);
    loop {
        terminal.draw(|frame| render::draw(frame, app))?;
        // Wait for input briefly, then take whatever the worker has sent.
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
                Message::Done(opened) => app.opened(worker.source.name(), opened),
                Message::HashProgress(done, total) => app.hash_progress(done, total),
                Message::Hash(digest) => app.hash_done(digest),
                Message::Saved(saved) => app.heatmap_saved(saved),
            }
        }
        // `J` (a rescan) and `e` (the heatmap picture) run on the worker.
        for job in app.take_jobs() {
            worker.start(job)?;
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
