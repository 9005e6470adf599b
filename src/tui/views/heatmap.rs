//! View 4: the whole filesystem as a grid of cells, each a range of blocks,
//! marked by what owns it. The cells and the side panel are computed when the
//! cursor, the zoom or the screen size changes (`relayout`), from sorted run
//! lists with binary search: cost follows the number of cells, never the
//! number of blocks.

use std::io::Write;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::model::BlockNo;
use crate::report::describe;
use crate::report::heatmap::Ownership;
use crate::report::picture;
use crate::tui::app::Session;
use crate::tui::format;
use crate::tui::theme::{Kind, Theme};
use crate::tui::views::body;

/// Width of the side panel; the legend sits under the grid.
const PANEL_WIDTH: u16 = 30;
const LEGEND_LINES: u16 = 2;
/// Each zoom step divides or multiplies the blocks per cell by this.
const ZOOM_STEP: u64 = 4;

#[derive(Debug, Default)]
pub struct State {
    pub ownership: Ownership,
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

pub fn init(s: &mut Session) {
    s.heatmap.ownership = Ownership::new(&s.fs, &s.vol);
}

/// Blocks per cell that fit the whole filesystem on screen.
fn fit(st: &State) -> u64 {
    let cells = u64::from(st.cols) * u64::from(st.rows);
    st.ownership
        .blocks
        .div_ceil(cells.saturating_sub(1).max(1))
        .max(1)
}

/// Recomputes grid geometry, visible cells and the side panel.
pub fn relayout(s: &mut Session, size: (u16, u16)) {
    let area = grid_area(size);
    let st = &mut s.heatmap;
    st.cols = area.width.max(1);
    st.rows = area.height.max(1);
    let fitted = fit(st);
    if st.per_cell == 0 || st.per_cell > fitted {
        st.per_cell = fitted;
    }
    let total = st.ownership.cells(st.per_cell);
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
        .map(|cell| st.ownership.cell_kind(cell, st.per_cell))
        .collect();
    s.heatmap.panel = panel(s);
}

/// The block range of a cell, or None for the out-of-range cell.
fn cell_range(st: &State, cell: u64) -> Option<(BlockNo, BlockNo)> {
    (cell < st.ownership.in_fs_cells(st.per_cell)).then(|| {
        let a = cell * st.per_cell;
        (a, (a + st.per_cell).min(st.ownership.blocks))
    })
}

fn panel(s: &Session) -> Vec<String> {
    let st = &s.heatmap;
    let Some((a, b)) = cell_range(st, st.cursor) else {
        let mut lines = vec!["beyond the filesystem".to_string(), String::new()];
        for r in st.ownership.out_of_range.iter().take(12) {
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
        st.ownership.kind(a, b).label().to_string(),
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
pub fn focus(s: &mut Session, block: BlockNo) {
    s.heatmap.per_cell = 1;
    s.heatmap.cursor = block.min(s.heatmap.ownership.blocks.saturating_sub(1));
}

fn zoom(st: &mut State, inward: bool) {
    let block = cell_range(st, st.cursor).map_or(st.ownership.blocks, |(a, _)| a);
    st.per_cell = if inward {
        (st.per_cell / ZOOM_STEP).max(1)
    } else {
        st.per_cell.saturating_mul(ZOOM_STEP).min(fit(st))
    };
    st.cursor = block / st.per_cell.max(1);
}

pub fn key(s: &mut Session, key: KeyEvent) {
    let st = &mut s.heatmap;
    let cols = u64::from(st.cols.max(1));
    let page = cols * u64::from(st.rows.max(1));
    let total = st.ownership.cells(st.per_cell);
    let last = total.saturating_sub(1);
    match key.code {
        KeyCode::Left | KeyCode::Char('h') => st.cursor = st.cursor.saturating_sub(1),
        KeyCode::Right | KeyCode::Char('l') => st.cursor = (st.cursor + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => st.cursor = st.cursor.saturating_sub(cols),
        KeyCode::Down | KeyCode::Char('j') => st.cursor = (st.cursor + cols).min(last),
        KeyCode::PageDown => st.cursor = (st.cursor + page).min(last),
        KeyCode::PageUp => st.cursor = st.cursor.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => st.cursor = 0,
        KeyCode::End | KeyCode::Char('G') => st.cursor = last,
        KeyCode::Char('+') | KeyCode::Char('=') => zoom(st, true),
        KeyCode::Char('-') => zoom(st, false),
        KeyCode::Enter => {
            if st.per_cell > 1 {
                zoom(st, true);
            } else if let Some((a, _)) = cell_range(st, st.cursor) {
                s.jump_to_block(a);
            }
        }
        KeyCode::Char('e') => {
            s.status = Some(match export(s, Path::new(".")) {
                Ok(path) => format!("heatmap saved to {}", path.display()),
                Err(e) => format!("heatmap not saved: {e}"),
            });
        }
        KeyCode::Char('n') | KeyCode::Char('N') => {
            let here = cell_range(st, st.cursor).map_or(st.ownership.blocks, |(a, b)| {
                if key.code == KeyCode::Char('n') {
                    b.saturating_sub(1)
                } else {
                    a
                }
            });
            let target = if key.code == KeyCode::Char('n') {
                st.ownership.next_crosslink(here)
            } else {
                st.ownership.prev_crosslink(here)
            };
            match target {
                Some(b) => st.cursor = b / st.per_cell.max(1),
                None => s.status = Some("no further cross-link in that direction".into()),
            }
        }
        _ => {}
    }
}

/// The visible part of the heatmap as a PNG picture (see
/// [`picture::heatmap_png`]), titled with the image and the volume.
pub fn picture(s: &Session) -> Result<Vec<u8>, png::EncodingError> {
    let st = &s.heatmap;
    let grid = picture::Grid {
        per_cell: st.per_cell.max(1),
        first: st.origin,
        cols: u32::from(st.cols.max(1)),
        rows: u32::from(st.rows.max(1)),
    };
    let title = format!("{}: {}", file_name(&s.image.path), s.fs.info.fs_type);
    picture::heatmap_png(&st.ownership, grid, &title, s.fs.units.block)
}

/// The last component of a path, as typed by the operator.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Writes [`picture`] to a new file in `dir`, named after the image
/// (`<image>-heatmap.png`, then `-2`, `-3`…): never over an existing file.
pub fn export(s: &Session, dir: &Path) -> std::io::Result<PathBuf> {
    let bytes = picture(s).map_err(std::io::Error::other)?;
    // Only plain characters from the image's file name reach the new name.
    let stem: String = file_name(&s.image.path)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    for n in 1..=99 {
        let name = if n == 1 {
            format!("{stem}-heatmap.png")
        } else {
            format!("{stem}-heatmap-{n}.png")
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(&bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "99 heatmap pictures of this image are already there",
    ))
}

/// A click puts the cursor on the cell under the mouse.
pub fn click(s: &mut Session, column: u16, row: u16) {
    let st = &mut s.heatmap;
    // The grid starts one cell inside the body's border (see `grid_area`).
    let (x0, y0) = (1u16, 2u16);
    if column >= x0 && row >= y0 && column - x0 < st.cols && row - y0 < st.rows {
        let cell = st.origin + u64::from(row - y0) * u64::from(st.cols) + u64::from(column - x0);
        if cell < st.ownership.cells(st.per_cell) {
            st.cursor = cell;
        }
    }
}

pub fn render(frame: &mut Frame, theme: &Theme, s: &Session, area: Rect) {
    let st = &s.heatmap;
    let grid_width = area.width.saturating_sub(PANEL_WIDTH);
    let grid_box = Rect {
        width: grid_width,
        ..area
    };
    let title = format!(
        " Heatmap: {} {}s, {} per cell ",
        st.ownership.blocks, s.fs.units.block, st.per_cell
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
    let legend: Vec<Span> = st
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
