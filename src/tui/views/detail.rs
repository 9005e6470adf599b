//! View 3: one inode — stat fields, every name, and its block map with the role
//! of every run. Cross-linked runs are highlighted and followed by one line per
//! other claimer; Enter on such a line jumps to it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use crate::analysis::Claimer;
use crate::model::{Inode, InodeNo, Release, mode_string};
use crate::report::describe;
use crate::tui::action::Action;
use crate::tui::context::Context;
use crate::tui::format;
use crate::tui::theme::Kind;
use crate::tui::views::safe;

/// One line of the block map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A run of the inode (index into `Inode::runs`), and whether it is
    /// cross-linked (Some(true)), legitimately shared (Some(false)) or not shared.
    Run { run: usize, shared: Option<bool> },
    /// Another claimer of part of the run above, from `start` for `len` blocks.
    Other {
        start: u64,
        len: u64,
        claimer: Claimer,
        legitimate: bool,
    },
}

#[derive(Debug, Default)]
pub struct State {
    pub inode: Option<InodeNo>,
    pub rows: Vec<Row>,
    pub selected: usize,
}

/// Builds the rows of an inode's block map. Cross-links are sorted and
/// disjoint, so the ones overlapping a run are found by binary search.
pub fn open(s: &Context, ino: InodeNo) -> State {
    let mut rows = Vec::new();
    if let Some(n) = s.fs.inode(ino) {
        let links = &s.vol.crosslinks;
        for (i, run) in s.fs.runs_of(n).iter().enumerate() {
            let first =
                links.partition_point(|c| c.start_block.saturating_add(c.block_count) <= run.start);
            let mut others = Vec::new();
            let mut shared = None;
            for c in links.get(first..).unwrap_or(&[]) {
                if c.start_block >= run.end() {
                    break;
                }
                let involves = c
                    .claimers
                    .iter()
                    .any(|cl| matches!(cl, Claimer::Inode { inode, role, .. } if *inode == ino && *role == run.role));
                if !involves {
                    continue;
                }
                shared = Some(shared.unwrap_or(false) || !c.legitimate);
                for other in s.others(c, ino) {
                    others.push(Row::Other {
                        start: c.start_block,
                        len: c.block_count,
                        claimer: other.clone(),
                        legitimate: c.legitimate,
                    });
                }
                // The same inode twice in one run (it maps a block twice).
                let own = c
                    .claimers
                    .iter()
                    .filter(|cl| matches!(cl, Claimer::Inode { inode, .. } if *inode == ino))
                    .count();
                if own > 1
                    && others.is_empty()
                    && let Some(me) = c.claimers.first()
                {
                    others.push(Row::Other {
                        start: c.start_block,
                        len: c.block_count,
                        claimer: me.clone(),
                        legitimate: false,
                    });
                }
            }
            rows.push(Row::Run { run: i, shared });
            rows.extend(others);
        }
    }
    State {
        inode: Some(ino),
        rows,
        selected: 0,
    }
}

/// The first block of the row's run, or of the part another claimer shares.
fn row_start(st: &State, cx: &Context, row: &Row) -> Option<u64> {
    match row {
        Row::Other { start, .. } => Some(*start),
        Row::Run { run, .. } => st
            .inode
            .and_then(|ino| cx.fs.inode(ino))
            .and_then(|n| cx.fs.runs_of(n).get(*run))
            .map(|r| r.start),
    }
}

pub fn key(st: &mut State, cx: &Context, key: KeyEvent) -> Option<Action> {
    let last = st.rows.len().saturating_sub(1);
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => st.selected = (st.selected + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => st.selected = st.selected.saturating_sub(1),
        KeyCode::Home | KeyCode::Char('g') => st.selected = 0,
        KeyCode::End | KeyCode::Char('G') => st.selected = last,
        KeyCode::PageDown => st.selected = (st.selected + 20).min(last),
        KeyCode::PageUp => st.selected = st.selected.saturating_sub(20),
        KeyCode::Enter => {
            let row = st.rows.get(st.selected)?;
            return match row {
                Row::Other {
                    claimer: Claimer::Inode { inode, .. },
                    ..
                } if Some(*inode) != st.inode => Some(Action::OpenInode(*inode)),
                _ => row_start(st, cx, row).map(Action::JumpToBlock),
            };
        }
        KeyCode::Char('h') => {
            let row = st.rows.get(st.selected)?;
            return row_start(st, cx, row).map(Action::ShowInHeatmap);
        }
        _ => {}
    }
    None
}

/// Stat fields, notes (deleted, orphan, hidden), names and the table header.
fn header(s: &Context, n: &Inode, width: usize) -> Vec<Line<'static>> {
    let theme = &s.theme;
    // Every field whole: they wrap onto more lines rather than lose a digit.
    let stat = [
        format!("{:?}", n.file_type),
        mode_string(n.mode),
        format!("uid {}", n.uid),
        format!("gid {}", n.gid),
        format!("size {} ({} bytes)", format::size(n.size), n.size),
        format!("links {}", n.links),
        format!("flags {:#x}", n.flags),
    ];
    let mut times = vec![
        format!("mtime {}", format::time(n.mtime)),
        format!("ctime {}", format::time(n.ctime)),
        format!("atime {}", format::time(n.atime)),
    ];
    times.extend(n.crtime.map(|c| format!("crtime {}", format::time(c))));
    let mut lines: Vec<Line<'static>> = format::pack(&stat, "  ", width)
        .into_iter()
        .chain(format::pack(&times, "  ", width))
        .map(Line::raw)
        .collect();
    if n.deleted {
        lines.push(Line::styled(describe::deleted_note(&s.fs), theme.dim()));
    }
    match n.released_at_mount {
        Some(Release::Delete) => lines.push(Line::styled(
            "ORPHAN: the next mount deletes this inode and frees every block it maps".to_string(),
            theme.kind(Kind::Crosslink),
        )),
        Some(Release::Truncate) => lines.push(Line::styled(
            format!(
                "ORPHAN: the next mount truncates this inode to {} bytes and frees the blocks past it",
                n.size
            ),
            theme.kind(Kind::Crosslink),
        )),
        None => {}
    }
    if let Some(h) = n.hidden.map(|h| h.reason()) {
        lines.push(Line::styled(
            format!("HIDDEN: {h}"),
            theme.kind(Kind::Crosslink),
        ));
    }
    let paths = s.fs.paths(n);
    let names = if paths.is_empty() {
        s.fs.display_name(n)
    } else {
        paths.iter().map(|p| safe(p)).collect::<Vec<_>>().join("  ")
    };
    lines.push(Line::raw(format::fit(&format!("names: {names}"), width)));
    lines.push(Line::styled(
        format::fit(
            "   logical      physical     length  role         flags",
            width,
        ),
        theme.title(),
    ));
    lines
}

/// One line of the block map, unselected (None for a run the inode lacks).
fn row_line(s: &Context, n: &Inode, row: &Row) -> Option<(String, Style)> {
    let theme = &s.theme;
    match row {
        Row::Run { run, shared } => {
            let r = s.fs.runs_of(n).get(*run)?;
            let mut flags = Vec::new();
            if r.unwritten {
                flags.push("unwritten");
            }
            if r.start < s.fs.first_data_block || r.end() > s.fs.info.block_count {
                flags.push("OUT OF RANGE");
            }
            let (kind, mark) = match shared {
                Some(true) => (Kind::Crosslink, 'X'),
                Some(false) => (Kind::Shared, '='),
                None => (Kind::Data, ' '),
            };
            if *shared == Some(true) {
                flags.push("CROSS-LINKED");
            }
            let logical = r
                .logical
                .map(|l| l.to_string())
                .unwrap_or_else(|| "-".into());
            let text = format!(
                "{mark} {logical:>9} {:>13} {:>10}  {:<12} {}",
                r.start,
                r.len,
                r.role.name(),
                flags.join(" ")
            );
            let style = if *shared == Some(true) || !flags.is_empty() {
                theme.kind(kind)
            } else {
                Style::new()
            };
            Some((text, style))
        }
        Row::Other {
            start,
            len,
            claimer,
            legitimate,
        } => {
            let kind = if *legitimate {
                Kind::Shared
            } else {
                Kind::Crosslink
            };
            let text = format!(
                "    ↳ shared with {} — blocks {}",
                describe::claimer(claimer),
                format::range(*start, *len)
            );
            Some((text, theme.kind(kind)))
        }
    }
}

pub fn render(frame: &mut Frame, st: &State, s: &Context, area: Rect) {
    let Some(n) = st.inode.and_then(|ino| s.fs.inode(ino)) else {
        frame.render_widget(
            Paragraph::new("No inode selected: pick one in Inodes (2) or go to one with : i12")
                .block(Block::bordered().title(" Inode ")),
            area,
        );
        return;
    };
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = header(s, n, width);
    let visible = usize::from(area.height.saturating_sub(2)).saturating_sub(lines.len());
    let first = st.selected.saturating_sub(visible.saturating_sub(1));
    for (pos, row) in st.rows.iter().enumerate().skip(first).take(visible) {
        let Some((text, mut style)) = row_line(s, n, row) else {
            continue;
        };
        if pos == st.selected {
            style = style.patch(s.theme.selected());
        }
        lines.push(Line::styled(format::fit(&text, width), style));
    }
    let runs = s.fs.runs_of(n).len();
    let title = format!(
        " Inode {}{} — {runs} run{} ",
        n.ino,
        if s.index.crosslinked.contains(&n.ino) {
            " (CROSS-LINKED)"
        } else {
            ""
        },
        if runs == 1 { "" } else { "s" }
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
    fn a_crosslinked_run_names_the_other_claimer_and_follows_it() {
        let cx = demo();
        let mut st = open(&cx, 14);
        assert!(matches!(
            st.rows.as_slice(),
            [
                Row::Run {
                    shared: Some(true),
                    ..
                },
                Row::Other { .. }
            ]
        ));
        let screen = view_screen(|frame, area| render(frame, &st, &cx, area));
        assert!(screen.contains("Inode 14 (CROSS-LINKED)"), "{screen}");
        insta::assert_snapshot!("detail", screen);
        let mut press = |code| super::key(&mut st, &cx, key(code));
        assert_eq!(press(KeyCode::Enter), Some(Action::JumpToBlock(13)));
        assert_eq!(press(KeyCode::Char('j')), None);
        assert_eq!(press(KeyCode::Enter), Some(Action::OpenInode(17)));
        assert_eq!(press(KeyCode::Char('h')), Some(Action::ShowInHeatmap(13)));
    }

    #[test]
    fn no_inode_says_how_to_choose_one() {
        let cx = demo();
        let screen = view_screen(|frame, area| render(frame, &State::default(), &cx, area));
        assert!(screen.contains("No inode selected"), "{screen}");
    }
}
