//! The `?` overlay: every key binding.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::theme::Theme;

pub const KEYS: &[(&str, &str)] = &[
    (
        "Tab / Shift-Tab, 1–7",
        "switch view: Overview, Inodes, Inode, Heatmap, Cross-links, Block, Explain",
    ),
    ("j k ↑ ↓, PgUp PgDn, Ctrl-d Ctrl-u", "move"),
    ("g G, Home End", "first / last"),
    (
        "Enter",
        "open: finding → explanation, inode → detail, claimer → that inode, cell → zoom / hex",
    ),
    ("Esc, Backspace", "back along the history"),
    (
        ":",
        "go to: 1234 (block), i12 (inode), 0x1f400 (byte offset), /etc/shadow (path)",
    ),
    ("/", "filter the inode table by path or number (Esc clears)"),
    (
        "s, r, x",
        "inodes: next sort column, reverse, cross-linked only",
    ),
    ("h", "inode: show the selected run in the heatmap"),
    (
        "+ / -, n N, e",
        "heatmap: zoom in / out, next / previous cross-link, save the visible map as <image>-heatmap.png",
    ),
    ("i, b", "cross-links: open the first inode, the block"),
    (
        "J",
        "journal needing recovery: the filesystem as mounted (replayed) / as on disk",
    ),
    ("[ ], g", "block: previous / next block, go to"),
    (
        "m",
        "mouse on/off (on: click selects, wheel scrolls; off: select text)",
    ),
    ("?, q / Ctrl-c", "this help; quit"),
];

pub fn render(frame: &mut Frame, theme: &Theme, area: Rect) {
    let width = area.width.saturating_sub(4).min(100);
    let height = (KEYS.len() as u16 + 4).min(area.height.saturating_sub(2));
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| Line::raw(format!(" {k:<34} {what}")))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(" any key closes this help", theme.dim()));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys ")),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::full_screen;

    #[test]
    fn every_key_is_listed() {
        let theme = Theme { color: true };
        let screen = full_screen(|frame, area| render(frame, &theme, area));
        assert!(screen.contains("any key closes this help"), "{screen}");
        insta::assert_snapshot!("help", screen);
    }
}
