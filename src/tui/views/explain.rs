//! View 7: what the selected finding means, what it lets an attacker do, and
//! what fsck or an immutable image would do about it — for an incident
//! responder and for a student.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::model::Explanation;
use crate::tui::action::Action;
use crate::tui::context::Context;
use crate::tui::views::safe;

#[derive(Debug, Default)]
pub struct State {
    /// The finding explained (index into the volume's findings): the one
    /// selected in the overview when this view was shown.
    pub finding: usize,
    /// Lines scrolled off the top.
    pub scroll: u16,
}

pub fn key(st: &mut State, _cx: &Context, key: KeyEvent) -> Option<Action> {
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => st.scroll = st.scroll.saturating_add(1).min(200),
        KeyCode::Up | KeyCode::Char('k') => st.scroll = st.scroll.saturating_sub(1),
        KeyCode::PageDown => st.scroll = st.scroll.saturating_add(10).min(200),
        KeyCode::PageUp => st.scroll = st.scroll.saturating_sub(10),
        KeyCode::Home | KeyCode::Char('g') => st.scroll = 0,
        _ => {}
    }
    None
}

pub fn render(frame: &mut Frame, st: &State, s: &Context, area: Rect) {
    let theme = &s.theme;
    let Some(f) = s.vol.findings.get(st.finding) else {
        frame.render_widget(
            Paragraph::new("No finding selected: choose one in the Overview (1) and press Enter.")
                .block(Block::bordered().title(" Explain ")),
            area,
        );
        return;
    };
    let Explanation {
        what,
        attack,
        fsck,
        immutable,
    } = f.code.explanation();
    let mut lines = vec![
        Line::styled(
            format!("{} — {}", f.severity.name().to_uppercase(), f.code),
            theme.severity(f.severity),
        ),
        Line::raw(safe(&f.shown_message())),
        Line::raw(""),
        Line::styled("What it is", theme.title()),
        Line::raw(what),
        Line::raw(""),
        Line::styled("What an attacker can do", theme.title()),
        Line::raw(attack),
        Line::raw(""),
        Line::styled("What fsck does", theme.title()),
        Line::raw(fsck),
        Line::raw(""),
        Line::styled("On an immutable image", theme.title()),
        Line::raw(immutable),
    ];
    if !f.blocks.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(format!(
            "Blocks: {}",
            crate::analysis::runs_text(&s.fs.units, &f.blocks)
        )));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((st.scroll, 0))
            .block(Block::bordered().title(" Explain ")),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::{demo, key, view_screen};

    #[test]
    fn the_selected_finding_is_explained_and_scrolls() {
        let cx = demo();
        let mut st = State::default();
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("What an attacker can do"), "{screen}");
        insta::assert_snapshot!("explain", screen);
        for code in [KeyCode::Char('j'), KeyCode::Down, KeyCode::PageDown] {
            assert_eq!(super::key(&mut st, &cx, key(code)), None);
        }
        assert_eq!(st.scroll, 12);
        super::key(&mut st, &cx, key(KeyCode::Char('g')));
        assert_eq!(st.scroll, 0);
    }

    #[test]
    fn no_finding_says_where_to_choose_one() {
        let cx = demo();
        let st = State {
            finding: 99,
            scroll: 0,
        };
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("No finding selected"), "{screen}");
    }
}
