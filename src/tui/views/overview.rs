//! View 1: what the image is and what is wrong with it, worst first.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::model::Code;
use crate::model::Severity;
use crate::tui::action::Action;
use crate::tui::context::Context;
use crate::tui::format;
use crate::tui::theme::Theme;
use crate::tui::views::safe;

#[derive(Debug, Default)]
pub struct State {
    /// The selected finding (index into the volume's findings, worst first).
    pub selected: usize,
}

pub fn key(st: &mut State, cx: &Context, key: KeyEvent) -> Option<Action> {
    let n = cx.vol.findings.len();
    match key.code {
        KeyCode::Down | KeyCode::Char('j') if st.selected + 1 < n => st.selected += 1,
        KeyCode::Up | KeyCode::Char('k') => st.selected = st.selected.saturating_sub(1),
        KeyCode::Home | KeyCode::Char('g') => st.selected = 0,
        KeyCode::End | KeyCode::Char('G') => st.selected = n.saturating_sub(1),
        KeyCode::Enter if n > 0 => return Some(Action::Explain),
        _ => {}
    }
    None
}

/// What mount changes before anyone can use the filesystem: which view of a
/// pending journal is on screen, and the orphans that mount deletes or
/// truncates first; a line each, none when neither.
fn mount_lines(theme: &Theme, s: &Context, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let line = |title: &'static str, text: String, severity: Severity| {
        Line::from(vec![
            Span::styled(title, theme.title()),
            Span::styled(
                format::fit(&text, width.saturating_sub(title.len())),
                theme.severity(severity),
            ),
        ])
    };
    if let Some(journal) = s.vol.replay.as_deref() {
        let text = if s.vol.replayed {
            format!(
                "replayed: shown as the kernel will mount it ({} blocks written; J: as on disk)",
                journal.replayed.len()
            )
        } else {
            "NOT replayed: shown as it lies on disk, not as it will mount (J: replay)".to_string()
        };
        lines.push(line("journal ", text, Severity::High));
    }
    let (deleted, truncated) = s.index.released_at_mount;
    if deleted + truncated > 0 {
        let severity = s
            .vol
            .findings
            .iter()
            .find(|f| f.code == Code::OrphanCleanupPending)
            .map_or(Severity::Low, |f| f.severity);
        lines.push(line(
            "orphans ",
            format!("mount deletes {deleted} and truncates {truncated} inode(s) first"),
            severity,
        ));
    }
    lines
}

/// The image's SHA-256, whole, or why it is not shown.
fn hash_text(s: &Context, width: usize) -> String {
    match (&s.image.sha256, s.hashing) {
        (Some(h), _) if h.len() <= width => h.clone(),
        (Some(_), _) => "(64 hex digits: widen the window to see them)".into(),
        (None, Some((done, total))) if total > 0 => {
            format!("computing… {}%", done.saturating_mul(100) / total)
        }
        (None, _) => "computing…".to_string(),
    }
}

pub fn render(frame: &mut Frame, st: &State, s: &Context, area: Rect) {
    let theme = &s.theme;
    let info = &s.fs.info;
    let width = usize::from(area.width);
    let mut counts: Vec<Span> = vec![Span::raw("findings: ")];
    for sev in Severity::ALL_DESCENDING {
        let n = s.vol.findings.iter().filter(|f| f.severity == sev).count();
        counts.push(Span::styled(
            format!("{n} {}", sev.name()),
            theme.severity(sev),
        ));
        counts.push(Span::raw("  "));
    }
    // Every value whole or not at all: a line that does not fit ends in `…`
    // between words; the hash and the features get lines of their own.
    let titled = |title: &'static str, text: String| {
        Line::from(vec![
            Span::styled(title, theme.title()),
            Span::raw(format::fit(&text, width.saturating_sub(title.len()))),
        ])
    };
    let mut header = vec![titled(
        "image  ",
        format!(
            "{} ({})",
            safe(&s.image.path),
            format::size(s.image.size_bytes)
        ),
    )];
    header.push(titled("sha256 ", hash_text(s, width.saturating_sub(7))));
    header.push(titled(
        "fs     ",
        format!(
            "{} label \"{}\" uuid {}",
            info.fs_type,
            safe(&info.label),
            info.uuid
        ),
    ));
    if let Some(p) = &s.vol.partition {
        header.push(titled(
            "       ",
            format!(
                "on {} partition {} (sectors {}–{}; v: all volumes)",
                p.scheme.name(),
                p.number,
                p.start_lba,
                p.end_lba().saturating_sub(1)
            ),
        ));
    }
    header.push(titled(
        "       ",
        format!(
            "{} {}s of {} bytes, {}{} of {} inodes in use",
            info.block_count,
            s.fs.units.block,
            info.block_size,
            if info.groups > 0 {
                format!("{} groups, ", info.groups)
            } else {
                String::new()
            },
            info.inodes_in_use,
            info.inode_count
        ),
    ));
    for (i, line) in format::pack(&info.features, " ", width.saturating_sub(17))
        .into_iter()
        .enumerate()
    {
        let title = if i == 0 {
            "       features: "
        } else {
            "                 "
        };
        header.push(Line::raw(format!("{title}{line}")));
    }
    header.extend(mount_lines(theme, s, width));
    header.push(Line::from(counts));
    header.push(Line::raw(""));
    // The findings list keeps at least three rows.
    let header_lines = (header.len() as u16).min(area.height.saturating_sub(5));
    frame.render_widget(
        Paragraph::new(header),
        Rect {
            height: header_lines.min(area.height),
            ..area
        },
    );
    let list_area = Rect {
        y: area.y + header_lines.min(area.height),
        height: area.height.saturating_sub(header_lines),
        ..area
    };
    let visible = usize::from(list_area.height.saturating_sub(2));
    let findings = &s.vol.findings;
    let first = st.selected.saturating_sub(visible.saturating_sub(1));
    let width = usize::from(list_area.width.saturating_sub(2));
    let lines: Vec<Line> = findings
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, f)| {
            // Only the severity is coloured; the rest reads as plain text.
            let severity = format!("{:<8}", f.severity.name().to_uppercase());
            let rest = format::fit(
                &format!(" {:<22} {}", f.code, safe(&f.shown_message())),
                width.saturating_sub(severity.len()),
            );
            let row = if i == st.selected {
                theme.selected()
            } else {
                ratatui::style::Style::new()
            };
            Line::from(vec![
                Span::styled(severity, theme.severity(f.severity).patch(row)),
                Span::styled(rest, row),
            ])
        })
        .collect();
    let body = if lines.is_empty() {
        vec![Line::raw(
            "No findings: every block has at most one owner and the bitmaps agree.",
        )]
    } else {
        lines
    };
    frame.render_widget(
        Paragraph::new(body)
            .block(Block::bordered().title(" Findings, worst first (Enter explains) ")),
        list_area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::{context, demo, key, view_screen};

    #[test]
    fn the_crosslink_is_the_worst_finding_and_enter_explains_it() {
        let cx = demo();
        let mut st = State::default();
        // One finding: j stays on it, Enter asks for its explanation.
        assert_eq!(key_to(&mut st, &cx, KeyCode::Char('j')), None);
        assert_eq!(st.selected, 0);
        assert_eq!(key_to(&mut st, &cx, KeyCode::Enter), Some(Action::Explain));
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("CRITICAL crosslink"), "{screen}");
        insta::assert_snapshot!("overview", screen);
    }

    #[test]
    fn orphans_the_next_mount_releases_are_counted() {
        const ORPHANS: &[u8] = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-images/orphan-shadow-trap.img"
        ));
        let cx = context(ORPHANS, "sample-images/orphan-shadow-trap.img");
        let screen = view_screen(|frame, area| render(frame, &State::default(), &cx, area));
        assert!(screen.contains("orphans mount deletes"), "{screen}");
        insta::assert_snapshot!("overview-orphans", screen);
    }

    fn key_to(st: &mut State, cx: &Context, code: KeyCode) -> Option<Action> {
        super::key(st, cx, key(code))
    }
}
