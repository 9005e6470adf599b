//! The volume list of a partitioned disk: a map of the whole disk
//! (partitions by number, table structures, gaps, overlaps), one row per
//! partition, and the partition table's own findings.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::analysis::{ImageInfo, VolumeResult};
use crate::model::Severity;
use crate::tui::action::Action;
use crate::tui::theme::{Kind, Theme};
use crate::tui::views::safe;
use crate::volume::{Partition, PartitionTable};

/// What the volume list reads: the disk, its table and one row a partition.
pub struct VolumeList {
    pub image: ImageInfo,
    pub table: PartitionTable,
    pub volumes: Vec<VolumeRow>,
}

/// One partition of the disk.
pub struct VolumeRow {
    pub partition: Option<Partition>,
    /// "ext4", "fat16", or why nothing could be read.
    pub what: String,
    pub findings: usize,
    pub worst: Option<Severity>,
    pub crosslinked_blocks: u64,
    /// Whether it holds a filesystem to explore.
    pub explorable: bool,
}

impl VolumeRow {
    /// The row of a scanned volume (before its filesystem moves to a session).
    pub fn new(v: &VolumeResult) -> VolumeRow {
        let what = match (&v.filesystem, &v.error) {
            (Some(fs), _) => fs.info.fs_type.clone(),
            (None, Some(e)) => e.clone(),
            (None, None) => "no filesystem".into(),
        };
        VolumeRow {
            partition: v.partition.clone(),
            what,
            findings: v.findings.len(),
            worst: v.findings.iter().map(|f| f.severity).max(),
            crosslinked_blocks: v
                .crosslinks
                .iter()
                .filter(|c| !c.legitimate)
                .map(|c| c.block_count)
                .sum(),
            explorable: v.filesystem.is_some(),
        }
    }
}

#[derive(Debug, Default)]
pub struct State {
    /// The row under the cursor.
    pub selected: usize,
}

pub fn key(st: &mut State, list: &VolumeList, key: KeyEvent) -> Option<Action> {
    let last = list.volumes.len().saturating_sub(1);
    match key.code {
        KeyCode::Char('q') => return Some(Action::Quit),
        KeyCode::Down | KeyCode::Char('j') => st.selected = (st.selected + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => st.selected = st.selected.saturating_sub(1),
        KeyCode::Home | KeyCode::Char('g') => st.selected = 0,
        KeyCode::End | KeyCode::Char('G') => st.selected = last,
        KeyCode::Enter if list.volumes.get(st.selected).is_some_and(|v| v.explorable) => {
            return Some(Action::OpenVolume(st.selected));
        }
        _ => {}
    }
    None
}

/// What one cell of the disk map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Gap,
    Table,
    Partition(u32),
    Overlap,
}

impl Cell {
    pub fn glyph(self) -> char {
        match self {
            Cell::Gap => '·',
            Cell::Table => 'm',
            Cell::Partition(n) => char::from_digit(n % 10, 10).unwrap_or('?'),
            Cell::Overlap => 'X',
        }
    }
}

/// The disk in `width` cells, each covering an equal share of the sectors:
/// two partitions in one cell's sectors is an overlap only if they overlap
/// there, not merely meet.
pub fn map(disk: &VolumeList, width: usize) -> Vec<Cell> {
    let ss = u64::from(disk.table.sector_size).max(1);
    let parts: Vec<&Partition> = disk.table.partitions.iter().collect();
    let total = parts
        .iter()
        .map(|p| p.end_lba())
        .chain([disk.image.size_bytes / ss])
        .max()
        .unwrap_or(1)
        .max(1);
    let width = width.max(1) as u64;
    (0..width)
        .map(|i| {
            // In u128: a hostile partition can end near u64::MAX.
            let at = |k: u64| (u128::from(k) * u128::from(total) / u128::from(width)) as u64;
            let (from, to) = (at(i), at(i + 1).max(at(i).saturating_add(1)));
            let inside: Vec<&&Partition> = parts
                .iter()
                .filter(|p| p.start_lba < to && from < p.end_lba())
                .collect();
            let overlapping = inside.iter().enumerate().any(|(k, a)| {
                inside.iter().skip(k + 1).any(|b| {
                    a.start_lba.max(b.start_lba).max(from) < a.end_lba().min(b.end_lba()).min(to)
                })
            });
            let table = disk
                .table
                .regions
                .iter()
                .any(|r| r.start_lba < to && from < r.start_lba.saturating_add(r.sectors));
            match inside.first() {
                _ if overlapping => Cell::Overlap,
                _ if table => Cell::Table,
                Some(p) => Cell::Partition(p.number),
                None => Cell::Gap,
            }
        })
        .collect()
}

pub fn render(frame: &mut Frame, st: &State, disk: &VolumeList, theme: &Theme) {
    let area = frame.area();
    let t = &disk.table;
    let mut lines = vec![
        Line::styled(
            format!(
                "imginspect — {} — {} disk, {} partition{}, {}-byte sectors",
                safe(&disk.image.path),
                t.scheme.name(),
                t.partitions.len(),
                if t.partitions.len() == 1 { "" } else { "s" },
                t.sector_size
            ),
            theme.title(),
        ),
        Line::raw(""),
    ];
    let cells = map(disk, usize::from(area.width.saturating_sub(2)));
    lines.push(Line::from(
        cells
            .iter()
            .map(|c| {
                let style = match c {
                    Cell::Overlap => theme.kind(Kind::Crosslink),
                    Cell::Table => theme.dim(),
                    _ => Style::new(),
                };
                Span::styled(c.glyph().to_string(), style)
            })
            .collect::<Vec<_>>(),
    ));
    lines.push(Line::styled(
        "map: digit = partition, m = table, · = unpartitioned, X = overlap; rows: X = cross-linked",
        theme.dim(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "    {:<4} {:>10} {:>10}  {:<22} {:<10} {:<12} {}",
            "part", "start", "sectors", "type", "fs", "findings", "name"
        ),
        theme.title(),
    ));
    for (i, v) in disk.volumes.iter().enumerate() {
        let (number, start, sectors, kind, name) = match &v.partition {
            Some(p) => (
                format!("p{}", p.number),
                p.start_lba.to_string(),
                p.sectors.to_string(),
                p.type_name.clone(),
                safe(&p.name),
            ),
            None => (
                "-".into(),
                "0".into(),
                "-".into(),
                "-".into(),
                String::new(),
            ),
        };
        let findings = match v.worst {
            Some(w) => format!("{} {}", v.findings, w.name()),
            None => "none".into(),
        };
        // X marks a volume with cross-linked blocks, as in the inode table.
        let row = format!(
            "{} {} {:<4} {:>10} {:>10}  {:<22} {:<10} {:<12} {}",
            if i == st.selected { '>' } else { ' ' },
            if v.crosslinked_blocks > 0 { 'X' } else { ' ' },
            number,
            start,
            sectors,
            truncate(&kind, 22),
            truncate(&safe(&v.what), 10),
            findings,
            name
        );
        let style = if i == st.selected {
            theme.selected()
        } else if v.crosslinked_blocks > 0 {
            theme.kind(Kind::Crosslink)
        } else {
            Style::new()
        };
        lines.push(Line::styled(row, style));
    }
    if !t.findings.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("partition table findings ({}):", t.findings.len()),
            theme.title(),
        ));
        for f in &t.findings {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<8} ", f.severity.name().to_uppercase()),
                    theme.severity(f.severity),
                ),
                Span::raw(format!("{}: {}", f.code, safe(&f.shown_message()))),
            ]));
        }
    }
    let body = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    frame.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        body,
    );
    let footer = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            "j/k move  Enter explore the volume  v or Esc (in a volume) back here  q quit",
            theme.dim(),
        )),
        footer,
    );
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::views::testing::{full_screen, key, scan};

    const GPT: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample-images/gpt-two-partitions.img"
    ));

    #[test]
    fn the_volume_list_maps_the_disk_and_opens_a_volume() {
        let mut result = scan(GPT, "sample-images/gpt-two-partitions.img");
        let list = VolumeList {
            table: result.partition_table.take().expect("a GPT"),
            volumes: result.volumes.iter().map(VolumeRow::new).collect(),
            image: result.image,
        };
        let mut st = State::default();
        let theme = Theme { color: true };
        let screen = full_screen(|frame, _| render(frame, &st, &list, &theme));
        assert!(screen.contains("GPT disk, 2 partitions"), "{screen}");
        insta::assert_snapshot!("disk", screen);
        let mut press = |code| super::key(&mut st, &list, key(code));
        assert_eq!(press(KeyCode::Char('j')), None);
        assert_eq!(press(KeyCode::Enter), Some(Action::OpenVolume(1)));
        assert_eq!(press(KeyCode::Char('q')), Some(Action::Quit));
    }
}
