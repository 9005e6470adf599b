//! Drawing a frame: the whole screen as a function of the [`App`] state. The
//! views draw their own part (see `views/`); this draws around them: the tab
//! bar, the footer, the loading and failure screens.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Wrap};

use crate::tui::action::{PromptKind, ViewId};
use crate::tui::app::App;
use crate::tui::screen::Screen;
use crate::tui::session::Session;
use crate::tui::theme::Theme;
use crate::tui::views::{MIN_HEIGHT, MIN_WIDTH, Views, body, disk, help, safe};

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
        Screen::Ready(session) => ready(frame, session),
        Screen::Disk(d) => match d.session() {
            Some(session) => ready(frame, session),
            None => disk::render(frame, &d.state, &d.list, &app.theme),
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

fn ready(frame: &mut Frame, s: &Session) {
    let theme = &s.cx.theme;
    let area = frame.area();
    tabs(frame, theme, s, Rect { height: 1, ..area });
    s.views.render(s.view, frame, &s.cx, body(area));
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
                format!("{}  {}", safe(&s.cx.image.path), status_summary(s)),
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
    let keys = Views::keys(s.view);
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
        s.cx.vol.findings.len(),
        s.cx.index.crosslinked_blocks
    )
}
