//! The `?` overlay: every key binding.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::format;
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
        "go to: 1234 (block), fsblock 32781 or cluster 5 (the format's own numbering), i12 (inode), 0x1f400 (byte offset), /etc/shadow (path); :q quits",
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

/// Width of the key column.
const KEY_WIDTH: usize = 34;

pub fn render(frame: &mut Frame, theme: &Theme, area: Rect) {
    let width = area.width.saturating_sub(4).min(110);
    // Inside the border: a space, the key column, a space, then the text.
    let text_width = usize::from(width.saturating_sub(2)).saturating_sub(KEY_WIDTH + 2);
    // Long descriptions wrap where the screen is tall enough for it; on a
    // short one each key keeps one line, cut at the border.
    let wrapped = |width: usize| -> Vec<Line> {
        let mut lines: Vec<Line> = Vec::new();
        for (key, what) in KEYS {
            for (i, piece) in wrap(what, width).into_iter().enumerate() {
                let key = if i == 0 { *key } else { "" };
                lines.push(Line::raw(format!(" {key:<KEY_WIDTH$} {piece}")));
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(" any key closes this help", theme.dim()));
        lines
    };
    let mut lines = wrapped(text_width.max(20));
    if lines.len() + 2 > usize::from(area.height.saturating_sub(2)) {
        lines = wrapped(usize::MAX);
    }
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys ")),
        rect,
    );
}

/// `text` cut into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let words: Vec<String> = text.split(' ').map(String::from).collect();
    format::pack(&words, " ", width)
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

    #[test]
    fn long_descriptions_wrap_at_spaces_without_losing_a_word() {
        for (_, what) in KEYS {
            let lines = wrap(what, 30);
            assert!(
                lines
                    .iter()
                    .all(|l| l.chars().count() <= 30 || !l.contains(' '))
            );
            assert_eq!(lines.join(" "), *what);
        }
    }
}
