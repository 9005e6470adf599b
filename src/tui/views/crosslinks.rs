//! View 5: every shared run, worst first (metadata overlaps, cross-links, then
//! legitimate sharing), each with its claimers and paths.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use crate::analysis::{Claimer, Crosslink};
use crate::report::describe;
use crate::tui::action::Action;
use crate::tui::context::Context;
use crate::tui::format;
use crate::tui::theme::Kind;
use crate::tui::views::safe;

#[derive(Debug, Default)]
pub struct State {
    /// Position in `Index::crosslinks_worst_first`.
    pub selected: usize,
}

fn selected<'a>(st: &State, cx: &'a Context) -> Option<&'a Crosslink> {
    let i = *cx.index.crosslinks_worst_first.get(st.selected)?;
    cx.vol.crosslinks.get(i)
}

pub fn key(st: &mut State, cx: &Context, key: KeyEvent) -> Option<Action> {
    let last = cx.index.crosslinks_worst_first.len().saturating_sub(1);
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => st.selected = (st.selected + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => st.selected = st.selected.saturating_sub(1),
        KeyCode::Home | KeyCode::Char('g') => st.selected = 0,
        KeyCode::End | KeyCode::Char('G') => st.selected = last,
        KeyCode::Enter => {
            return selected(st, cx).map(|c| Action::ShowInHeatmap(c.start_block));
        }
        KeyCode::Char('b') => return selected(st, cx).map(|c| Action::JumpToBlock(c.start_block)),
        KeyCode::Char('i') => {
            return selected(st, cx)
                .and_then(|c| {
                    c.claimers.iter().find_map(|cl| match cl {
                        Claimer::Inode { inode, .. } => Some(*inode),
                        Claimer::Metadata { .. } => None,
                    })
                })
                .map(Action::OpenInode);
        }
        _ => {}
    }
    None
}

pub fn render(frame: &mut Frame, st: &State, s: &Context, area: Rect) {
    let theme = &s.theme;
    let width = usize::from(area.width.saturating_sub(2));
    let height = usize::from(area.height.saturating_sub(2));
    let order = &s.index.crosslinks_worst_first;
    if order.is_empty() {
        frame.render_widget(
            Paragraph::new("No block has more than one owner.")
                .block(Block::bordered().title(" Cross-links ")),
            area,
        );
        return;
    }
    // Each entry takes 1 + claimers lines; start far enough back that the
    // selected entry is on screen.
    let entry_height = |pos: usize| {
        order
            .get(pos)
            .and_then(|&i| s.vol.crosslinks.get(i))
            .map_or(1, |c| 1 + c.claimers.len())
    };
    let mut first = st.selected;
    let mut used = entry_height(first);
    while first > 0 && used + entry_height(first - 1) <= height {
        first -= 1;
        used += entry_height(first);
    }
    let mut lines = Vec::new();
    for (pos, &i) in order.iter().enumerate().skip(first) {
        if lines.len() >= height {
            break;
        }
        let Some(c) = s.vol.crosslinks.get(i) else {
            continue;
        };
        let metadata = c
            .claimers
            .iter()
            .any(|cl| matches!(cl, Claimer::Metadata { .. }));
        let (verdict, kind) = match (c.legitimate, metadata) {
            (true, _) => ("shared legitimately", Kind::Shared),
            (false, true) => ("METADATA OVERLAP", Kind::Crosslink),
            (false, false) => ("CROSS-LINK", Kind::Crosslink),
        };
        let mut style = theme.kind(kind);
        if pos == st.selected {
            style = style.patch(theme.selected());
        }
        lines.push(Line::styled(
            format::fit(
                &format!(
                    "{} {}s {} ({}){}  {verdict}: {}",
                    if c.legitimate { '=' } else { 'X' },
                    s.fs.units.block,
                    format::range(c.start_block, c.block_count),
                    c.block_count,
                    // FAT clusters, XFS fsblocks and AG blocks.
                    s.fs.units.native_note(c.start_block, c.block_count),
                    safe(&c.reason)
                ),
                width,
            ),
            style,
        ));
        for cl in &c.claimers {
            lines.push(Line::raw(format::fit(
                &format!("    {}", describe::claimer(cl)),
                width,
            )));
        }
    }
    let title = format!(
        " Cross-links: {} shared runs (Enter heatmap, i inode, b block) ",
        order.len()
    );
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::{demo, key, view_screen};

    #[test]
    fn the_shared_run_lists_its_claimers_and_keys_follow_it() {
        let cx = demo();
        let mut st = State::default();
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("X blocks 13–14 (2)"), "{screen}");
        insta::assert_snapshot!("crosslinks", screen);
        let mut press = |code| super::key(&mut st, &cx, key(code));
        assert_eq!(press(KeyCode::Enter), Some(Action::ShowInHeatmap(13)));
        assert_eq!(press(KeyCode::Char('b')), Some(Action::JumpToBlock(13)));
        assert_eq!(press(KeyCode::Char('i')), Some(Action::OpenInode(14)));
        assert_eq!(press(KeyCode::Char('j')), None);
    }
}
