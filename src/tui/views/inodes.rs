//! View 2: every in-use inode in a table. Sorting and filtering build an index
//! of rows once per change; drawing touches only the visible rows, so a
//! million inodes scroll as smoothly as ten.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use rayon::prelude::*;

use crate::model::{Release, mode_string};
use crate::tui::action::Action;
use crate::tui::context::Context;
use crate::tui::format;
use crate::tui::theme::Kind;
use crate::tui::views::{body, safe};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Column {
    #[default]
    Inode,
    Size,
    Mtime,
    Uid,
    Path,
}

impl Column {
    fn next(self) -> Column {
        match self {
            Column::Inode => Column::Size,
            Column::Size => Column::Mtime,
            Column::Mtime => Column::Uid,
            Column::Uid => Column::Path,
            Column::Path => Column::Inode,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Column::Inode => "inode",
            Column::Size => "size",
            Column::Mtime => "mtime",
            Column::Uid => "uid",
            Column::Path => "path",
        }
    }
}

#[derive(Debug, Default)]
pub struct State {
    /// Indices into `Filesystem::inodes`, filtered and sorted.
    pub rows: Vec<usize>,
    /// Selected position in `rows`.
    pub selected: usize,
    /// First visible position in `rows`.
    pub offset: usize,
    pub sort: Column,
    pub descending: bool,
    /// Text filter: matches a path or the inode number.
    pub filter: String,
    /// The filter `rows` was computed for (lower-cased).
    applied_filter: String,
    pub only_crosslinked: bool,
}

/// Rows of the table that fit in the body (minus border and header line).
fn visible_rows(size: (u16, u16)) -> usize {
    let area = body(Rect::new(0, 0, size.0, size.1));
    usize::from(area.height.saturating_sub(3))
}

/// Rebuilds the row index after a sort or filter change.
pub fn refresh_rows(st: &mut State, cx: &Context) {
    let filter = st.filter.to_lowercase();
    let number = filter.parse::<u64>().ok();
    // Typing one more character narrows the match: filter the rows already
    // shown (already sorted) instead of all of them. A number can also match an
    // inode number, which the narrower rows may lack, so it refreshes fully.
    let narrows = number.is_none()
        && !st.applied_filter.is_empty()
        && filter != st.applied_filter
        && filter.contains(&st.applied_filter);
    let index = &cx.index;
    if narrows {
        let old = std::mem::take(&mut st.rows);
        st.rows = old
            .into_par_iter()
            .filter(|&i| {
                index
                    .search_text
                    .get(i)
                    .is_some_and(|t| t.contains(&filter))
            })
            .collect();
        st.applied_filter = filter;
        st.selected = 0;
        st.offset = 0;
        return;
    }
    let only_crosslinked = st.only_crosslinked;
    let inodes = &cx.fs.inodes;
    // Filtering and sorting a million rows: both in parallel.
    // Start from the order of the sort column (computed once, off the UI
    // thread, when the session was built) and keep the rows that match:
    // a parallel filter that preserves order, so no key costs a sort.
    let order: &[u32] = match st.sort {
        Column::Inode => &[],
        Column::Size => &index.by_size,
        Column::Mtime => &index.by_mtime,
        Column::Uid => &index.by_uid,
        Column::Path => &index.by_path,
    };
    let keep = |i: usize| {
        let Some(n) = inodes.get(i) else { return false };
        (!only_crosslinked || index.crosslinked.contains(&n.ino))
            && (filter.is_empty()
                || number == Some(n.ino)
                || index
                    .search_text
                    .get(i)
                    .is_some_and(|t| t.contains(&filter)))
    };
    let mut rows: Vec<usize> = if st.sort == Column::Inode {
        (0..inodes.len())
            .into_par_iter()
            .filter(|&i| keep(i))
            .collect()
    } else {
        order
            .par_iter()
            .map(|&i| i as usize)
            .filter(|&i| keep(i))
            .collect()
    };
    if st.descending {
        rows.reverse();
    }
    st.rows = rows;
    st.applied_filter = filter;
    st.selected = 0;
    st.offset = 0;
}

/// Keeps the selection inside the rows and on screen.
pub fn clamp(st: &mut State, size: (u16, u16)) {
    let n = st.rows.len();
    st.selected = st.selected.min(n.saturating_sub(1));
    let visible = visible_rows(size).max(1);
    if st.selected < st.offset {
        st.offset = st.selected;
    } else if st.selected >= st.offset + visible {
        st.offset = st.selected + 1 - visible;
    }
}

pub fn key(st: &mut State, cx: &Context, key: KeyEvent) -> Option<Action> {
    let last = st.rows.len().saturating_sub(1);
    let page = 20;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => st.selected = (st.selected + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => st.selected = st.selected.saturating_sub(1),
        KeyCode::PageDown => st.selected = (st.selected + page).min(last),
        KeyCode::Char('d') if ctrl => st.selected = (st.selected + page / 2).min(last),
        KeyCode::PageUp => st.selected = st.selected.saturating_sub(page),
        KeyCode::Char('u') if ctrl => st.selected = st.selected.saturating_sub(page / 2),
        KeyCode::Home | KeyCode::Char('g') => st.selected = 0,
        KeyCode::End | KeyCode::Char('G') => st.selected = last,
        KeyCode::Char('s') => {
            st.sort = st.sort.next();
            refresh_rows(st, cx);
            return Some(Action::Status(format!("sorted by {}", st.sort.name())));
        }
        KeyCode::Char('r') => {
            st.descending = !st.descending;
            refresh_rows(st, cx);
        }
        KeyCode::Char('x') => {
            st.only_crosslinked = !st.only_crosslinked;
            refresh_rows(st, cx);
            return Some(Action::Status(if st.only_crosslinked {
                "showing cross-linked inodes only (x shows all)".into()
            } else {
                "showing all inodes".into()
            }));
        }
        KeyCode::Enter => {
            let n = st.rows.get(st.selected).and_then(|&i| cx.fs.inodes.get(i));
            return n.map(|n| Action::OpenInode(n.ino));
        }
        _ => {}
    }
    None
}

/// A click on a row selects it (the body's first two lines are border and header).
pub fn click(st: &mut State, row: u16) {
    let first_row = 1 + 2;
    if row >= first_row {
        let target = st.offset + usize::from(row - first_row);
        if target < st.rows.len() {
            st.selected = target;
        }
    }
}

pub fn render(frame: &mut Frame, st: &State, s: &Context, area: Rect) {
    let theme = &s.theme;
    let width = usize::from(area.width.saturating_sub(2));
    let visible = usize::from(area.height.saturating_sub(3));
    // Narrow terminals drop mtime, then blocks and links, so that the path
    // (what an analyst reads) keeps room.
    let with_counts = width >= 96;
    let with_mtime = width >= 116;
    let mut header = format!(
        "  {:<7} {:<4} {:<10} {:<12} {:>9} ",
        "inode", "type", "mode", "uid:gid", "size"
    );
    if with_counts {
        header.push_str(&format!("{:>6} {:>5} ", "blocks", "links"));
    }
    if with_mtime {
        header.push_str("mtime            ");
    }
    header.push_str("path");
    let bs = u64::from(s.fs.info.block_size / 512).max(1);
    let mut lines = vec![Line::styled(format::fit(&header, width), theme.title())];
    for (pos, &i) in st.rows.iter().enumerate().skip(st.offset).take(visible) {
        let Some(n) = s.fs.inodes.get(i) else {
            continue;
        };
        let crosslinked = s.index.crosslinked.contains(&n.ino);
        // X: cross-linked; *: deleted (as fls marks it).
        let mark = if crosslinked {
            'X'
        } else if n.deleted {
            '*'
        } else {
            ' '
        };
        let path = match s.index.first_paths.get(i).and_then(Option::as_deref) {
            Some(p) => safe(p),
            None => s.fs.display_name(n),
        };
        let mut text = format!(
            "{mark} {:<7} {:<4} {:<10} {:<12} {:>9} ",
            n.ino,
            n.file_type.short(),
            mode_string(n.mode),
            format!("{}:{}", n.uid, n.gid),
            format::size(n.size),
        );
        if with_counts {
            text.push_str(&format!("{:>6} {:>5} ", n.sectors / bs, n.links));
        }
        if with_mtime {
            text.push_str(&format!("{} ", format::time(n.mtime)));
        }
        text.push_str(&path);
        match n.released_at_mount {
            Some(Release::Delete) => text.push_str("  (orphan: deleted)"),
            Some(Release::Truncate) => text.push_str("  (orphan: truncated)"),
            None => {}
        }
        let text = format::fit(&text, width);
        let mut style = if crosslinked {
            theme.kind(Kind::Crosslink)
        } else {
            ratatui::style::Style::new()
        };
        if pos == st.selected {
            style = style.patch(theme.selected());
        }
        lines.push(Line::styled(text, style));
    }
    if st.rows.is_empty() {
        lines.push(Line::raw("  no inode matches"));
    }
    let title = format!(
        " Inodes: {} of {}{}{} — sorted by {}{} ",
        st.rows.len(),
        s.fs.inodes.len(),
        if st.only_crosslinked {
            ", cross-linked only"
        } else {
            ""
        },
        if st.filter.is_empty() {
            String::new()
        } else {
            format!(", filter \"{}\"", safe(&st.filter))
        },
        st.sort.name(),
        if st.descending { " (descending)" } else { "" }
    );
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::{SIZE, demo, key, view_screen};

    #[test]
    fn the_table_filters_to_crosslinked_inodes_and_opens_one() {
        let cx = demo();
        let mut st = State::default();
        refresh_rows(&mut st, &cx);
        assert_eq!(st.rows.len(), cx.fs.inodes.len());
        let press = |st: &mut State, code| super::key(st, &cx, key(code));
        assert!(matches!(
            press(&mut st, KeyCode::Char('x')),
            Some(Action::Status(_))
        ));
        clamp(&mut st, SIZE);
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("Inodes: 2 of"), "{screen}");
        insta::assert_snapshot!("inodes", screen);
        assert_eq!(press(&mut st, KeyCode::Enter), Some(Action::OpenInode(14)));
        press(&mut st, KeyCode::Char('j'));
        assert_eq!(press(&mut st, KeyCode::Enter), Some(Action::OpenInode(17)));
    }

    #[test]
    fn a_filter_that_matches_nothing_says_so() {
        let cx = demo();
        let mut st = State {
            filter: "no such name".into(),
            ..State::default()
        };
        refresh_rows(&mut st, &cx);
        assert!(st.rows.is_empty());
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("no inode matches"), "{screen}");
    }
}
