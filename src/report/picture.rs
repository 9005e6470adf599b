//! The ownership heatmap as a PNG picture with a legend, for a report or an
//! incident ticket (`imginspect heatmap`, and `e` in the inspector's heatmap).
//! Cross-linked cells are hatched black on red and used-but-free cells
//! dotted, so that both stay unmistakable when printed in greyscale. Text is
//! drawn with an 8×8 bitmap font; only printable ASCII is drawn (anything
//! else becomes `?`), so nothing from the image can smuggle bytes through.

use font8x8::{BASIC_FONTS, UnicodeFonts};

use crate::report::heatmap::{Kind, Ownership};

/// Pixels per cell side (one pixel of it is the gap to the next cell).
pub const CELL_PX: u32 = 8;
/// Text is the 8×8 font drawn at this scale.
const TEXT_SCALE: u32 = 2;
const GLYPH_PX: u32 = 8 * TEXT_SCALE;
const LINE_PX: u32 = GLYPH_PX + 6;
const MARGIN_PX: u32 = 12;
/// Pictures are at least this wide (room for the legend) and at most this
/// wide or high, whatever is asked.
pub const MIN_WIDTH_PX: u32 = 320;
pub const MAX_SIDE_PX: u32 = 8192;
/// At most this many rows when the whole filesystem is fitted.
const FIT_ROWS: u64 = 96;

const BACKGROUND: [u8; 3] = [0xff, 0xff, 0xff];
const INK: [u8; 3] = [0x10, 0x10, 0x10];
const STRIPE: [u8; 3] = [0x00, 0x00, 0x00];

/// Which cells a picture shows: `rows` × `cols` cells of `per_cell` blocks
/// each, starting at cell `first` (a multiple of `cols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub per_cell: u64,
    pub first: u64,
    pub cols: u32,
    pub rows: u32,
}

impl Grid {
    /// The whole filesystem in a picture `width_px` wide: one block per cell
    /// when it fits in [`FIT_ROWS`] rows, else as many blocks per cell as it takes.
    pub fn fit(own: &Ownership, width_px: u32) -> Grid {
        let width_px = width_px.clamp(MIN_WIDTH_PX, MAX_SIDE_PX);
        let cols = ((width_px - 2 * MARGIN_PX) / CELL_PX).max(1);
        let per_cell = own.blocks.div_ceil(u64::from(cols) * FIT_ROWS).max(1);
        let rows = own.cells(per_cell).div_ceil(u64::from(cols)).max(1);
        Grid {
            per_cell,
            first: 0,
            cols,
            rows: u32::try_from(rows).unwrap_or(u32::MAX),
        }
    }

    /// The picture's cells, clamped so that it stays within [`MAX_SIDE_PX`].
    fn clamped(self) -> Grid {
        let max_cells = (MAX_SIDE_PX - 2 * MARGIN_PX) / CELL_PX;
        Grid {
            cols: self.cols.clamp(1, max_cells),
            rows: self.rows.clamp(1, max_cells),
            ..self
        }
    }
}

/// An RGB raster.
struct Canvas {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Canvas {
        let len = width as usize * height as usize * 3;
        let mut rgb = Vec::with_capacity(len);
        for _ in 0..width as usize * height as usize {
            rgb.extend_from_slice(&BACKGROUND);
        }
        Canvas { width, height, rgb }
    }

    fn put(&mut self, x: u32, y: u32, colour: [u8; 3]) {
        if x >= self.width || y >= self.height {
            return;
        }
        let at = (y as usize * self.width as usize + x as usize) * 3;
        if let Some(px) = self.rgb.get_mut(at..at + 3) {
            px.copy_from_slice(&colour);
        }
    }

    /// A `side`-pixel square of `kind` at (x, y); the pattern follows the
    /// picture's coordinates, so that neighbouring cells' stripes line up.
    fn swatch(&mut self, x: u32, y: u32, side: u32, kind: Kind) {
        for dy in 0..side {
            for dx in 0..side {
                let (px, py) = (x + dx, y + dy);
                let colour = match kind {
                    // Diagonal stripes two pixels wide.
                    Kind::Crosslink if (px + py) / 2 % 2 == 0 => STRIPE,
                    // A dot in every other pixel of every other row.
                    Kind::ClaimedFree if px % 2 == 0 && py % 2 == 0 => STRIPE,
                    kind => kind.rgb(),
                };
                self.put(px, py, colour);
            }
        }
    }

    /// Draws `text` with its top-left corner at (x, y); returns the x after it.
    fn text(&mut self, x: u32, y: u32, text: &str) -> u32 {
        let mut x = x;
        for c in text.chars() {
            let c = if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            };
            let glyph = BASIC_FONTS.get(c).unwrap_or([0; 8]);
            for (row, bits) in (0u32..).zip(glyph) {
                for col in 0..8u32 {
                    // font8x8: bit 0 is the leftmost pixel.
                    if bits >> col & 1 == 1 {
                        for sy in 0..TEXT_SCALE {
                            for sx in 0..TEXT_SCALE {
                                self.put(x + col * TEXT_SCALE + sx, y + row * TEXT_SCALE + sy, INK);
                            }
                        }
                    }
                }
            }
            x += GLYPH_PX;
        }
        x
    }

    fn encode(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.rgb)?;
        writer.finish()?;
        Ok(out)
    }
}

/// `text` cut to `chars` characters (an ellipsis marks the cut).
fn fit_text(text: &str, chars: u32) -> String {
    let chars = chars as usize;
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}

/// The picture: `title` on top, then a line saying which blocks the grid
/// covers, the grid, and the legend. `unit` names a block ("block", "sector").
pub fn heatmap_png(
    own: &Ownership,
    grid: Grid,
    title: &str,
    unit: &str,
) -> Result<Vec<u8>, png::EncodingError> {
    let total = own.cells(grid.per_cell);
    let mut grid = grid.clamped();
    // No empty rows after the last cell.
    let rows_with_cells = total
        .saturating_sub(grid.first)
        .div_ceil(u64::from(grid.cols))
        .max(1);
    grid.rows = u32::try_from(rows_with_cells).map_or(grid.rows, |r| r.min(grid.rows));
    let grid_width = grid.cols * CELL_PX;
    let width = (grid_width + 2 * MARGIN_PX).max(MIN_WIDTH_PX);
    let chars_per_line = (width - 2 * MARGIN_PX) / GLYPH_PX;

    // The legend flows over as many lines as it needs.
    let mut legend_lines: Vec<Vec<Kind>> = vec![Vec::new()];
    let mut used = 0;
    for kind in own.legend() {
        let chars = 2 + kind.label().len() as u32 + 2;
        if used + chars > chars_per_line && used > 0 {
            legend_lines.push(Vec::new());
            used = 0;
        }
        if let Some(line) = legend_lines.last_mut() {
            line.push(kind);
        }
        used += chars;
    }

    let grid_top = MARGIN_PX + 2 * LINE_PX;
    let grid_height = grid.rows * CELL_PX;
    let legend_top = grid_top + grid_height + MARGIN_PX;
    let height = (legend_top + legend_lines.len() as u32 * LINE_PX + MARGIN_PX).min(MAX_SIDE_PX);
    let mut canvas = Canvas::new(width, height);

    canvas.text(MARGIN_PX, MARGIN_PX, &fit_text(title, chars_per_line));
    let first_block = grid.first.saturating_mul(grid.per_cell);
    let last_block = grid
        .first
        .saturating_add(u64::from(grid.cols) * u64::from(grid.rows))
        .saturating_mul(grid.per_cell)
        .min(own.blocks)
        .saturating_sub(1);
    let scale = format!(
        "{unit}s {first_block}-{last_block} of {}, {} per cell",
        own.blocks, grid.per_cell
    );
    canvas.text(
        MARGIN_PX,
        MARGIN_PX + LINE_PX,
        &fit_text(&scale, chars_per_line),
    );

    for row in 0..grid.rows {
        for col in 0..grid.cols {
            let cell = grid
                .first
                .saturating_add(u64::from(row) * u64::from(grid.cols) + u64::from(col));
            if cell >= total {
                break;
            }
            let kind = own.cell_kind(cell, grid.per_cell);
            canvas.swatch(
                MARGIN_PX + col * CELL_PX,
                grid_top + row * CELL_PX,
                CELL_PX - 1,
                kind,
            );
        }
    }

    for (line, kinds) in (0u32..).zip(&legend_lines) {
        let y = legend_top + line * LINE_PX;
        let mut x = MARGIN_PX;
        for &kind in kinds {
            canvas.swatch(x, y, GLYPH_PX, kind);
            x = canvas.text(x + GLYPH_PX + GLYPH_PX / 2, y, kind.label()) + GLYPH_PX;
        }
    }
    canvas.encode()
}

/// Where cell `cell` of `grid` is drawn in a picture made by
/// [`heatmap_png`]: the centre pixel's (x, y), for tests and tools that
/// read the picture back.
pub fn cell_centre(grid: Grid, cell: u64) -> Option<(u32, u32)> {
    let grid = grid.clamped();
    let index = cell.checked_sub(grid.first)?;
    let (row, col) = (index / u64::from(grid.cols), index % u64::from(grid.cols));
    let row = u32::try_from(row).ok().filter(|&r| r < grid.rows)?;
    let col = u32::try_from(col).ok()?;
    Some((
        MARGIN_PX + col * CELL_PX + CELL_PX / 2,
        MARGIN_PX + 2 * LINE_PX + row * CELL_PX + CELL_PX / 2,
    ))
}
