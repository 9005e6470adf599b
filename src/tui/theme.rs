//! Styles, with and without colour. Without colour (`NO_COLOR`, `--color
//! never`), everything that matters is still told apart by a glyph or by
//! bold / reverse / underline.

use ratatui::style::{Color, Modifier, Style};

pub use crate::report::heatmap::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn kind(&self, kind: Kind) -> Style {
        if !self.color {
            return match kind {
                Kind::Crosslink | Kind::ClaimedFree | Kind::OutOfRange => {
                    Style::new().add_modifier(Modifier::BOLD)
                }
                _ => Style::new(),
            };
        }
        let fg = match kind {
            Kind::Free => Color::DarkGray,
            Kind::Metadata => Color::Blue,
            Kind::Data => Color::Green,
            Kind::Shared => Color::Cyan,
            Kind::Crosslink => Color::Red,
            Kind::ClaimedFree => Color::Yellow,
            Kind::OutOfRange => Color::Magenta,
            Kind::Replayed => Color::LightYellow,
        };
        let style = Style::new().fg(fg);
        match kind {
            Kind::Crosslink | Kind::ClaimedFree | Kind::OutOfRange => {
                style.add_modifier(Modifier::BOLD)
            }
            _ => style,
        }
    }

    /// The selected row or cell.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn severity(&self, s: crate::model::Severity) -> Style {
        use crate::model::Severity;
        if !self.color {
            return match s {
                Severity::Critical | Severity::High => Style::new().add_modifier(Modifier::BOLD),
                _ => Style::new(),
            };
        }
        match s {
            // Critical and high must not look alike: white on red for
            // critical, red text for high; nothing in dark grey, which a dark
            // background swallows.
            Severity::Critical => Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Severity::High => Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            Severity::Medium => Style::new().fg(Color::Yellow),
            Severity::Low => Style::new().fg(Color::Cyan),
            Severity::Info => Style::new().fg(Color::Gray),
        }
    }

    pub fn active_tab(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
}
