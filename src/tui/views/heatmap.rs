//! View 4: the whole filesystem as a grid of cells, each a range of blocks,
//! marked by what owns it. The cells and the side panel are computed when the
//! cursor, the zoom or the screen size changes (`relayout`), from sorted run
//! lists with binary search: cost follows the number of cells, never the
//! number of blocks.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::model::BlockNo;
use crate::report::describe;
use crate::report::heatmap::Ownership;
use crate::report::picture;
use crate::tui::action::Action;
use crate::tui::context::Context;
use crate::tui::export::HeatmapPicture;
use crate::tui::format;
use crate::tui::theme::Kind;
use crate::tui::views::body;

/// Width of the side panel; the legend sits under the grid.
const PANEL_WIDTH: u16 = 30;
const LEGEND_LINES: u16 = 2;
/// Each zoom step divides or multiplies the blocks per cell by this.
const ZOOM_STEP: u64 = 4;

/// The grid's geometry and cursor; what each block is comes from
/// [`Index::ownership`](crate::tui::context::Index::ownership).
#[derive(Debug, Default)]
pub struct State {
    /// Blocks per cell; 0 until the first layout fits the whole filesystem.
    pub per_cell: u64,
    /// The cell under the cursor (absolute index).
    pub cursor: u64,
    /// First visible cell (a multiple of `cols`).
    pub origin: u64,
    pub cols: u16,
    pub rows: u16,
    /// Kinds of the visible cells, row by row.
    pub cells: Vec<Kind>,
    /// The side panel's lines for the cell under the cursor.
    pub panel: Vec<String>,
}

/// The grid area inside the body (border, legend and side panel taken off).
fn grid_area(size: (u16, u16)) -> Rect {
    let body = body(Rect::new(0, 0, size.0, size.1));
    Rect {
        x: body.x + 1,
        y: body.y + 1,
        width: body.width.saturating_sub(PANEL_WIDTH + 2),
        height: body.height.saturating_sub(2 + LEGEND_LINES),
    }
}

/// Blocks per cell that fit the whole filesystem on screen.
fn fit(st: &State, own: &Ownership) -> u64 {
    let cells = u64::from(st.cols) * u64::from(st.rows);
    own.blocks.div_ceil(cells.saturating_sub(1).max(1)).max(1)
}

/// Recomputes grid geometry, visible cells and the side panel.
pub fn relayout(st: &mut State, cx: &Context, size: (u16, u16)) {
    let own = &cx.index.ownership;
    let area = grid_area(size);
    st.cols = area.width.max(1);
    st.rows = area.height.max(1);
    let fitted = fit(st, own);
    if st.per_cell == 0 || st.per_cell > fitted {
        st.per_cell = fitted;
    }
    let total = own.cells(st.per_cell);
    st.cursor = st.cursor.min(total.saturating_sub(1));
    let cols = u64::from(st.cols);
    let page = cols * u64::from(st.rows);
    let cursor_row_start = st.cursor / cols * cols;
    if st.cursor < st.origin {
        st.origin = cursor_row_start;
    } else if st.cursor >= st.origin + page {
        st.origin = (cursor_row_start + cols).saturating_sub(page);
    }
    st.cells = (st.origin..(st.origin + page).min(total))
        .map(|cell| own.cell_kind(cell, st.per_cell))
        .collect();
    st.panel = panel(st, cx);
}

/// The block range of a cell, or None for the out-of-range cell.
fn cell_range(st: &State, own: &Ownership, cell: u64) -> Option<(BlockNo, BlockNo)> {
    (cell < own.in_fs_cells(st.per_cell)).then(|| {
        let a = cell * st.per_cell;
        (a, (a + st.per_cell).min(own.blocks))
    })
}

fn panel(st: &State, s: &Context) -> Vec<String> {
    let own = &s.index.ownership;
    let Some((a, b)) = cell_range(st, own, st.cursor) else {
        let mut lines = vec!["beyond the filesystem".to_string(), String::new()];
        for r in own.out_of_range.iter().take(12) {
            lines.push(format!("out of range: {}", format::range(r[0], r[1])));
        }
        return lines;
    };
    let mut lines = vec![
        if b - a == 1 {
            format!("block {a}")
        } else {
            format!("blocks {}", format::range(a, b - a))
        },
        format!("{} per cell", st.per_cell),
        own.kind(a, b).label().to_string(),
        String::new(),
    ];
    if let Some(journal) = s.vol.replay.as_deref() {
        let k = journal.replayed.partition_point(|r| r.block < a);
        let here: Vec<_> = journal
            .replayed
            .get(k..)
            .unwrap_or(&[])
            .iter()
            .take_while(|r| r.block < b)
            .collect();
        for r in here.iter().take(3) {
            let verb = if s.vol.replayed {
                "writes"
            } else {
                "would write"
            };
            lines.push(format!("journal replay {verb}"));
            lines.push(format!(" block {} (transaction {})", r.block, r.sequence));
            lines.push(format!(" {}", r.what));
        }
        if here.len() > 3 {
            lines.push(format!("… {} more replayed blocks", here.len() - 3));
        }
        if !here.is_empty() {
            lines.push(String::new());
        }
    }
    if b - a == 1 {
        let claimers = s.index.blocks.claimers(&s.fs, a);
        if claimers.is_empty() {
            lines.push("claimed by nothing".into());
        }
        for c in claimers.iter().take(8) {
            lines.extend(describe::claimer_two_lines(c));
        }
        lines.push(String::new());
        lines.push("Enter: hex dump".into());
    } else {
        let links = &s.vol.crosslinks;
        let k = links.partition_point(|c| c.start_block.saturating_add(c.block_count) <= a);
        for (shown, c) in links
            .get(k..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.start_block < b)
            .enumerate()
        {
            if shown >= 4 {
                lines.push("…".into());
                break;
            }
            lines.push(format!(
                "{} {}:",
                if c.legitimate { "shared" } else { "CROSS-LINK" },
                format::range(c.start_block, c.block_count)
            ));
            for cl in c.claimers.iter().take(3) {
                lines.extend(describe::claimer_two_lines(cl));
            }
        }
        lines.push(String::new());
        lines.push("+/Enter: zoom in".into());
    }
    lines
}

/// Puts the cursor on `block`, one block per cell.
pub fn focus(st: &mut State, cx: &Context, block: BlockNo) {
    st.per_cell = 1;
    st.cursor = block.min(cx.index.ownership.blocks.saturating_sub(1));
}

fn zoom(st: &mut State, own: &Ownership, inward: bool) {
    let block = cell_range(st, own, st.cursor).map_or(own.blocks, |(a, _)| a);
    st.per_cell = if inward {
        (st.per_cell / ZOOM_STEP).max(1)
    } else {
        st.per_cell.saturating_mul(ZOOM_STEP).min(fit(st, own))
    };
    st.cursor = block / st.per_cell.max(1);
}

/// `n`, `N`: the cursor to the next or previous cross-linked block.
fn next_crosslink(st: &mut State, own: &Ownership, forward: bool) -> Option<Action> {
    let here = cell_range(st, own, st.cursor).map_or(own.blocks, |(a, b)| {
        if forward { b.saturating_sub(1) } else { a }
    });
    let target = if forward {
        own.next_crosslink(here)
    } else {
        own.prev_crosslink(here)
    };
    match target {
        Some(b) => {
            st.cursor = b / st.per_cell.max(1);
            None
        }
        None => Some(Action::Status(
            "no further cross-link in that direction".into(),
        )),
    }
}

pub fn key(st: &mut State, cx: &Context, key: KeyEvent) -> Option<Action> {
    let own = &cx.index.ownership;
    let cols = u64::from(st.cols.max(1));
    let page = cols * u64::from(st.rows.max(1));
    let last = own.cells(st.per_cell).saturating_sub(1);
    match key.code {
        KeyCode::Left | KeyCode::Char('h') => st.cursor = st.cursor.saturating_sub(1),
        KeyCode::Right | KeyCode::Char('l') => st.cursor = (st.cursor + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => st.cursor = st.cursor.saturating_sub(cols),
        KeyCode::Down | KeyCode::Char('j') => st.cursor = (st.cursor + cols).min(last),
        KeyCode::PageDown => st.cursor = (st.cursor + page).min(last),
        KeyCode::PageUp => st.cursor = st.cursor.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => st.cursor = 0,
        KeyCode::End | KeyCode::Char('G') => st.cursor = last,
        KeyCode::Char('+') | KeyCode::Char('=') => zoom(st, own, true),
        KeyCode::Char('-') => zoom(st, own, false),
        KeyCode::Enter if st.per_cell > 1 => zoom(st, own, true),
        KeyCode::Enter => {
            return cell_range(st, own, st.cursor).map(|(a, _)| Action::JumpToBlock(a));
        }
        KeyCode::Char('e') => return Some(Action::ExportHeatmap),
        KeyCode::Char('n') => return next_crosslink(st, own, true),
        KeyCode::Char('N') => return next_crosslink(st, own, false),
        _ => {}
    }
    None
}

/// What `e` saves: the visible part of the heatmap.
pub fn picture(st: &State, cx: &Context) -> HeatmapPicture {
    HeatmapPicture {
        ownership: cx.index.ownership.clone(),
        grid: picture::Grid {
            per_cell: st.per_cell.max(1),
            first: st.origin,
            cols: u32::from(st.cols.max(1)),
            rows: u32::from(st.rows.max(1)),
        },
        image_path: cx.image.path.clone(),
        fs_type: cx.fs.info.fs_type.clone(),
        unit: cx.fs.units.block,
    }
}

/// A click puts the cursor on the cell under the mouse.
pub fn click(st: &mut State, cx: &Context, column: u16, row: u16) {
    // The grid starts one cell inside the body's border (see `grid_area`).
    let (x0, y0) = (1u16, 2u16);
    if column >= x0 && row >= y0 && column - x0 < st.cols && row - y0 < st.rows {
        let cell = st.origin + u64::from(row - y0) * u64::from(st.cols) + u64::from(column - x0);
        if cell < cx.index.ownership.cells(st.per_cell) {
            st.cursor = cell;
        }
    }
}

pub fn render(frame: &mut Frame, st: &State, s: &Context, area: Rect) {
    let theme = &s.theme;
    let grid_width = area.width.saturating_sub(PANEL_WIDTH);
    let grid_box = Rect {
        width: grid_width,
        ..area
    };
    let title = format!(
        " Heatmap: {} {}s, {} per cell ",
        s.index.ownership.blocks, s.fs.units.block, st.per_cell
    );
    frame.render_widget(Block::bordered().title(title), grid_box);
    let cols = usize::from(st.cols.max(1));
    let mut lines: Vec<Line> = st
        .cells
        .chunks(cols)
        .enumerate()
        .map(|(row, chunk)| {
            Line::from(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(col, kind)| {
                        let cell = st.origin + (row * cols + col) as u64;
                        let style = if cell == st.cursor {
                            theme.kind(*kind).patch(theme.selected())
                        } else {
                            theme.kind(*kind)
                        };
                        Span::styled(kind.glyph().to_string(), style)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    lines.truncate(usize::from(st.rows));
    let inner = Rect {
        x: grid_box.x + 1,
        y: grid_box.y + 1,
        width: st.cols,
        height: st.rows,
    };
    frame.render_widget(Paragraph::new(lines), inner);
    let legend: Vec<Span> = s
        .index
        .ownership
        .legend()
        .flat_map(|k| {
            [
                Span::styled(k.glyph().to_string(), theme.kind(k)),
                Span::raw(format!(" {} ", k.label())),
            ]
        })
        .collect();
    let legend_area = Rect {
        x: inner.x,
        y: inner.y + inner.height,
        width: grid_box.width.saturating_sub(2),
        height: LEGEND_LINES,
    };
    frame.render_widget(
        Paragraph::new(Line::from(legend)).wrap(ratatui::widgets::Wrap { trim: true }),
        legend_area,
    );
    let panel_area = Rect {
        x: area.x + grid_width,
        width: area.width.saturating_sub(grid_width),
        ..area
    };
    let width = usize::from(panel_area.width.saturating_sub(2));
    let panel: Vec<Line> = st
        .panel
        .iter()
        .map(|l| Line::raw(format::fit(l, width)))
        .collect();
    frame.render_widget(
        Paragraph::new(panel).block(Block::bordered().title(" Cell ")),
        panel_area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::{SIZE, demo, key, view_screen};

    #[test]
    fn n_puts_the_cursor_on_the_crosslink_and_enter_opens_its_block() {
        let cx = demo();
        let mut st = State::default();
        relayout(&mut st, &cx, SIZE);
        let press = |st: &mut State, code| {
            let action = super::key(st, &cx, key(code));
            relayout(st, &cx, SIZE);
            action
        };
        assert_eq!(press(&mut st, KeyCode::Char('n')), None);
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("block 13"), "{screen}");
        insta::assert_snapshot!("heatmap", screen);
        assert_eq!(
            press(&mut st, KeyCode::Enter),
            Some(Action::JumpToBlock(13))
        );
        assert_eq!(
            press(&mut st, KeyCode::Char('e')),
            Some(Action::ExportHeatmap)
        );
        assert!(matches!(
            press(&mut st, KeyCode::Char('n')),
            Some(Action::Status(_))
        ));
    }

    #[test]
    fn the_picture_is_the_visible_grid() {
        let cx = demo();
        let mut st = State::default();
        relayout(&mut st, &cx, SIZE);
        let picture = picture(&st, &cx);
        assert_eq!(picture.grid.first, st.origin);
        assert_eq!(picture.grid.cols, u32::from(st.cols));
        assert_eq!(picture.grid.per_cell, st.per_cell);
        assert!(picture.png().is_ok_and(|png| png.starts_with(b"\x89PNG")));
    }
}
