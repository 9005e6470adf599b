//! Drawing: every view is a pure function of the [`App`] state. Nothing here
//! reads the image, sorts, bins or mutates; what depends on the screen size was
//! computed before the frame by [`Session::relayout`](crate::tui::app::Session::relayout).

pub mod block;
pub mod crosslinks;
pub mod detail;
pub mod disk;
pub mod explain;
pub mod heatmap;
pub mod help;
pub mod inodes;
pub mod overview;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Wrap};

use crate::report::sanitize::for_terminal;
use crate::tui::app::{App, PromptKind, Screen, Session, ViewId};
use crate::tui::theme::Theme;

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

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: {}×{} (needs {MIN_WIDTH}×{MIN_HEIGHT}); q quits",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    match &app.screen {
        Screen::Loading {
            name,
            phase,
            done,
            total,
        } => loading(frame, &app.theme, name, phase, *done, *total),
        Screen::Failed { name, error } => failed(frame, &app.theme, name, error),
        Screen::Ready(session) => ready(frame, &app.theme, session),
        Screen::Disk(d) => match d.session() {
            Some(session) => ready(frame, &app.theme, session),
            None => disk::render(frame, &app.theme, d),
        },
    }
}

fn loading(frame: &mut Frame, theme: &Theme, name: &str, phase: &str, done: u64, total: u64) {
    let area = frame.area();
    let ratio = if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let label = if total == 0 {
        phase.to_string()
    } else {
        format!("{phase}: {done} of {total}")
    };
    let title = Paragraph::new(vec![
        Line::styled(
            format!("imginspect — scanning {}", safe(name)),
            theme.title(),
        ),
        Line::raw(""),
        Line::raw("q or Ctrl-C quits at any time"),
    ]);
    let centre = Rect {
        x: area.x + 2,
        y: area.y + area.height / 3,
        width: area.width.saturating_sub(4),
        height: 3,
    };
    frame.render_widget(
        title,
        Rect {
            height: 3,
            ..centre
        },
    );
    let gauge = Gauge::default()
        .block(Block::bordered())
        .ratio(ratio)
        .label(label);
    frame.render_widget(
        gauge,
        Rect {
            y: centre.y + 4,
            ..centre
        },
    );
}

fn failed(frame: &mut Frame, theme: &Theme, name: &str, error: &str) {
    let text = vec![
        Line::styled(format!("imginspect — {}", safe(name)), theme.title()),
        Line::raw(""),
        Line::raw(format!("Nothing to inspect: {}", safe(error))),
        Line::raw(""),
        Line::raw("q quits"),
    ];
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(Block::bordered()),
        frame.area(),
    );
}

fn ready(frame: &mut Frame, theme: &Theme, s: &Session) {
    let area = frame.area();
    tabs(frame, theme, s, Rect { height: 1, ..area });
    let body = body(area);
    match s.view {
        ViewId::Overview => overview::render(frame, theme, s, body),
        ViewId::Inodes => inodes::render(frame, theme, s, body),
        ViewId::Detail => detail::render(frame, theme, s, body),
        ViewId::Heatmap => heatmap::render(frame, theme, s, body),
        ViewId::Crosslinks => crosslinks::render(frame, theme, s, body),
        ViewId::Block => block::render(frame, theme, s, body),
        ViewId::Explain => explain::render(frame, theme, s, body),
    }
    footer(frame, theme, s, area);
    if s.help {
        help::render(frame, theme, area);
    }
}

fn tabs(frame: &mut Frame, theme: &Theme, s: &Session, area: Rect) {
    let mut spans = Vec::new();
    if area.width >= 90 {
        spans.push(Span::styled(" imginspect ", theme.title()));
    }
    for (i, v) in ViewId::ALL.iter().enumerate() {
        let style = if *v == s.view {
            theme.active_tab()
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!(" {}:{} ", i + 1, v.title()), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn footer(frame: &mut Frame, theme: &Theme, s: &Session, area: Rect) {
    let y = area.y + area.height.saturating_sub(2);
    let status = match &s.prompt {
        Some(p) => {
            let lead = match p.kind {
                PromptKind::Search => "/",
                PromptKind::Goto => ":",
            };
            Line::raw(format!("{lead}{}█", p.text))
        }
        None => match &s.status {
            Some(msg) => Line::raw(safe(msg)),
            None => Line::styled(
                format!("{}  {}", safe(&s.image.path), status_summary(s)),
                theme.dim(),
            ),
        },
    };
    frame.render_widget(
        Paragraph::new(status),
        Rect {
            y,
            height: 1,
            ..area
        },
    );
    let keys = match s.view {
        ViewId::Overview => "j/k finding  Enter explain",
        ViewId::Inodes => "Enter open s sort r rev x X-only",
        ViewId::Detail => "j/k move  Enter follow  h heatmap",
        ViewId::Heatmap => "hjkl move  +/- zoom  n/N X-link  e PNG",
        ViewId::Crosslinks => "Enter heatmap  i inode  b block",
        ViewId::Block => "j/k scroll  [ ] prev/next  g go to",
        ViewId::Explain => "j/k scroll",
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{keys} │ Tab view  : go to  ? help  q quit"),
            theme.title(),
        )),
        Rect {
            y: y + 1,
            height: 1,
            ..area
        },
    );
}

fn status_summary(s: &Session) -> String {
    format!(
        "{} findings, {} cross-linked blocks",
        s.vol.findings.len(),
        s.index.crosslinked_blocks
    )
}
