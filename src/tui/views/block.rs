//! View 6: one block as hex and ASCII, with its claimers in a header. The
//! bytes are copied into the state when the block is opened, so drawing reads
//! no image.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use crate::analysis::{self, Claimer};
use crate::model::BlockNo;
use crate::report::describe;
use crate::tui::action::{Action, PromptKind};
use crate::tui::context::Context;
use crate::tui::theme::Kind;
use crate::tui::views::safe;

const BYTES_PER_LINE: usize = 16;

#[derive(Debug, Default)]
pub struct State {
    pub block: Option<BlockNo>,
    pub bytes: Vec<u8>,
    pub claimers: Vec<Claimer>,
    pub allocated: Option<bool>,
    /// Why the bytes could not be read (past the end of the image).
    pub error: Option<String>,
    /// First hex line shown.
    pub scroll: usize,
}

/// The block's bytes (one block, read through the bounds-checked view) and
/// who claims it.
pub fn open(s: &Context, block: BlockNo) -> State {
    let bs = u64::from(s.fs.info.block_size);
    // Block numbers are relative to the volume (a partition of a disk).
    let image = s.source.view();
    let (bytes, error) = match block
        .checked_mul(bs)
        .ok_or_else(|| "block number overflows".to_string())
        .and_then(|at| {
            image
                .sub(s.vol.offset_bytes, s.vol.length_bytes)
                .and_then(|volume| match s.vol.replay_overlay() {
                    // The bytes the model was made from: with the journal
                    // replayed over them, when it was.
                    Some(overlay) => {
                        let mut bytes = vec![0u8; bs as usize];
                        volume
                            .with_overlay(overlay)
                            .read_into(at, &mut bytes)
                            .map(|()| bytes)
                    }
                    None => volume.read(at, bs as usize).map(<[u8]>::to_vec),
                })
                .map_err(|e| e.to_string())
        }) {
        Ok(b) => (b, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    State {
        block: Some(block),
        bytes,
        claimers: s.index.blocks.claimers(&s.fs, block),
        allocated: analysis::allocated(&s.fs, block),
        error,
        scroll: 0,
    }
}

pub fn key(st: &mut State, _cx: &Context, key: KeyEvent) -> Option<Action> {
    let lines = st.bytes.len().div_ceil(BYTES_PER_LINE);
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => {
            st.scroll = (st.scroll + 1).min(lines.saturating_sub(1))
        }
        KeyCode::Up | KeyCode::Char('k') => st.scroll = st.scroll.saturating_sub(1),
        KeyCode::PageDown => st.scroll = (st.scroll + 16).min(lines.saturating_sub(1)),
        KeyCode::PageUp => st.scroll = st.scroll.saturating_sub(16),
        KeyCode::Home => st.scroll = 0,
        KeyCode::Char(']') => return st.block.map(|b| Action::ShowBlock(b.saturating_add(1))),
        KeyCode::Char('[') => return st.block.map(|b| Action::ShowBlock(b.saturating_sub(1))),
        KeyCode::Char('g') => return Some(Action::OpenPrompt(PromptKind::Goto)),
        _ => {}
    }
    None
}

fn hex_line(offset: usize, chunk: &[u8]) -> String {
    let mut hex = String::with_capacity(50);
    for (i, b) in chunk.iter().enumerate() {
        if i == 8 {
            hex.push(' ');
        }
        hex.push_str(&format!("{b:02x} "));
    }
    let ascii: String = chunk
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{offset:06x}  {hex:<49} |{ascii}|")
}

pub fn render(frame: &mut Frame, st: &State, s: &Context, area: Rect) {
    let theme = &s.theme;
    let Some(block) = st.block else {
        frame.render_widget(
            Paragraph::new("No block selected: press : and a block number.")
                .block(Block::bordered().title(" Block ")),
            area,
        );
        return;
    };
    let bs = u64::from(s.fs.info.block_size);
    let state = match st.allocated {
        Some(true) => "allocated",
        Some(false) => "free in the allocation map",
        None => "allocation unknown",
    };
    let at = block.saturating_mul(bs);
    let in_image = if s.vol.offset_bytes > 0 {
        format!(" (image byte {:#x})", at.saturating_add(s.vol.offset_bytes))
    } else {
        String::new()
    };
    let mut lines = vec![Line::raw(format!(
        "{} {block} at byte {at:#x}{in_image} — {state}",
        s.fs.units.block
    ))];
    let shared = st.claimers.len() > 1;
    if st.claimers.is_empty() {
        lines.push(Line::raw("claimed by nothing"));
    }
    for c in st.claimers.iter().take(4) {
        let text = format!("  {}", describe::claimer(c));
        let style = if shared {
            theme.kind(Kind::Crosslink)
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::styled(text, style));
    }
    if st.claimers.len() > 4 {
        lines.push(Line::raw(format!(
            "  and {} more claimers",
            st.claimers.len() - 4
        )));
    }
    if let Some(e) = &st.error {
        lines.push(Line::raw(format!("cannot read: {}", safe(e))));
    }
    let fixed = lines.len();
    let visible = usize::from(area.height.saturating_sub(2)).saturating_sub(fixed);
    for (i, chunk) in st
        .bytes
        .chunks(BYTES_PER_LINE)
        .enumerate()
        .skip(st.scroll)
        .take(visible)
    {
        lines.push(Line::raw(hex_line(i * BYTES_PER_LINE, chunk)));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(" Block {block} "))),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::{demo, key, view_screen};

    #[test]
    fn a_crosslinked_block_shows_its_claimers_and_bytes() {
        let cx = demo();
        let mut st = open(&cx, 13);
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("root:$6$"), "{screen}");
        assert!(screen.contains("block 13 at byte 0xd000"), "{screen}");
        insta::assert_snapshot!("block", screen);
        let mut press = |code| super::key(&mut st, &cx, key(code));
        assert_eq!(press(KeyCode::Char(']')), Some(Action::ShowBlock(14)));
        assert_eq!(press(KeyCode::Char('[')), Some(Action::ShowBlock(12)));
        assert_eq!(
            press(KeyCode::Char('g')),
            Some(Action::OpenPrompt(PromptKind::Goto))
        );
        assert_eq!(press(KeyCode::PageDown), None);
        assert_eq!(st.scroll, 16);
    }

    #[test]
    fn a_block_past_the_image_says_why_it_has_no_bytes() {
        let cx = demo();
        let st = open(&cx, 1 << 40);
        assert!(st.bytes.is_empty());
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("cannot read"), "{screen}");
    }
}
