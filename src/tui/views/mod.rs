//! The views. Each module owns a small `State`; its `key` changes that state
//! only and returns an [`Action`] for anything further, and its `render` reads
//! its state and the [`Context`] only: nothing here reads the image (but
//! `block::open`, one block), sorts, bins or writes. What depends on the
//! screen size is computed before the frame by [`Views::relayout`].

pub mod block;
pub mod crosslinks;
pub mod detail;
pub mod disk;
pub mod explain;
pub mod heatmap;
pub mod help;
pub mod inodes;
pub mod overview;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::report::sanitize::for_terminal;
use crate::tui::action::{Action, ViewId};
use crate::tui::context::Context;

/// Below this the views cannot be drawn usefully.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Terminal-safe text from the image.
pub fn safe(s: &str) -> String {
    for_terminal(s)
}

/// The area between the tab bar and the two footer lines.
pub fn body(size: Rect) -> Rect {
    Rect {
        x: size.x,
        y: size.y.saturating_add(1),
        width: size.width,
        height: size.height.saturating_sub(3),
    }
}

/// The state of every view of one session.
#[derive(Debug, Default)]
pub struct Views {
    pub overview: overview::State,
    pub inodes: inodes::State,
    pub detail: detail::State,
    pub heatmap: heatmap::State,
    pub crosslinks: crosslinks::State,
    pub block: block::State,
    pub explain: explain::State,
}

impl Views {
    /// The views of a freshly opened volume: every inode in the table.
    pub fn new(cx: &Context) -> Views {
        let mut views = Views::default();
        inodes::refresh_rows(&mut views.inodes, cx);
        views
    }

    /// A key for the view on screen; it changes that view's state only.
    pub fn key(&mut self, view: ViewId, cx: &Context, key: KeyEvent) -> Option<Action> {
        match view {
            ViewId::Overview => overview::key(&mut self.overview, cx, key),
            ViewId::Inodes => inodes::key(&mut self.inodes, cx, key),
            ViewId::Detail => detail::key(&mut self.detail, cx, key),
            ViewId::Heatmap => heatmap::key(&mut self.heatmap, cx, key),
            ViewId::Crosslinks => crosslinks::key(&mut self.crosslinks, cx, key),
            ViewId::Block => block::key(&mut self.block, cx, key),
            ViewId::Explain => explain::key(&mut self.explain, cx, key),
        }
    }

    /// A click at a screen position, in the view on screen.
    pub fn click(&mut self, view: ViewId, cx: &Context, column: u16, row: u16) {
        match view {
            ViewId::Inodes => inodes::click(&mut self.inodes, row),
            ViewId::Heatmap => heatmap::click(&mut self.heatmap, cx, column, row),
            _ => {}
        }
    }

    /// Recomputes what depends on the screen size (heatmap cells, scrolling).
    pub fn relayout(&mut self, cx: &Context, size: (u16, u16)) {
        heatmap::relayout(&mut self.heatmap, cx, size);
        inodes::clamp(&mut self.inodes, size);
    }

    pub fn render(&self, view: ViewId, frame: &mut Frame, cx: &Context, area: Rect) {
        match view {
            ViewId::Overview => overview::render(frame, &self.overview, cx, area),
            ViewId::Inodes => inodes::render(frame, &self.inodes, cx, area),
            ViewId::Detail => detail::render(frame, &self.detail, cx, area),
            ViewId::Heatmap => heatmap::render(frame, &self.heatmap, cx, area),
            ViewId::Crosslinks => crosslinks::render(frame, &self.crosslinks, cx, area),
            ViewId::Block => block::render(frame, &self.block, cx, area),
            ViewId::Explain => explain::render(frame, &self.explain, cx, area),
        }
    }

    /// The line of keys in the footer for a view.
    pub fn keys(view: ViewId) -> &'static str {
        match view {
            ViewId::Overview => "j/k finding  Enter explain",
            ViewId::Inodes => "Enter open s sort r rev x X-only",
            ViewId::Detail => "j/k move  Enter follow  h heatmap",
            ViewId::Heatmap => "hjkl move  +/- zoom  n/N X-link  e PNG",
            ViewId::Crosslinks => "Enter heatmap  i inode  b block",
            ViewId::Block => "j/k scroll  [ ] prev/next  g go to",
            ViewId::Explain => "j/k scroll",
        }
    }
}

/// What the views' snapshot tests share: samples scanned in memory, keys, and
/// a frame of 80×24 drawn into ratatui's TestBackend, read back as text.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use crossterm::event::{KeyCode, KeyEvent};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;

    use crate::analysis::{self, ScanOptions, ScanResult};
    use crate::fs::NoProgress;
    use crate::image::View;
    use crate::tui::context::Context;
    use crate::tui::source::{DEMO_IMAGE, Source};
    use crate::tui::theme::Theme;

    pub const SIZE: (u16, u16) = (80, 24);

    /// A sample image scanned from memory, named as the operator would type it.
    pub fn scan(bytes: &'static [u8], name: &str) -> ScanResult {
        let options = ScanOptions::default();
        analysis::scan_view(name, &View::from_bytes(bytes), &options, &NoProgress)
    }

    /// The built-in teaching image: /etc/shadow (inode 14) and
    /// /home/user/notes.txt (inode 17) share blocks 13–14.
    pub fn demo() -> Context {
        context(DEMO_IMAGE, "sample-images/shadow-crosslink.img")
    }

    /// The context of a sample holding one filesystem.
    pub fn context(bytes: &'static [u8], name: &'static str) -> Context {
        let result = scan(bytes, name);
        let vol = result.volumes.into_iter().next().expect("one volume");
        let source = Arc::new(Source::Embedded { name, bytes });
        Context::new(result.image, vol, source, Theme { color: true }).expect("a filesystem")
    }

    pub fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::from(code)
    }

    /// An 80×24 frame drawn by `render` into `area` of it, as text.
    fn draw(area: fn(Rect) -> Rect, render: impl FnOnce(&mut ratatui::Frame, Rect)) -> String {
        let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("backend");
        terminal
            .draw(|frame| {
                let area = area(frame.area());
                render(frame, area);
            })
            .expect("draw");
        terminal.backend().to_string()
    }

    /// A view drawn where the inspector draws it: between the tabs and the footer.
    pub fn view_screen(render: impl FnOnce(&mut ratatui::Frame, Rect)) -> String {
        draw(super::body, render)
    }

    /// Something drawn over the whole screen (the volume list, the help).
    pub fn full_screen(render: impl FnOnce(&mut ratatui::Frame, Rect)) -> String {
        draw(|area| area, render)
    }
}
