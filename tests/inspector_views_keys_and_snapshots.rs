//! The inspector, drawn on ratatui's TestBackend: every view as a snapshot on
//! a sample image, navigation by key sequences, hostile names escaped, and
//! NO_COLOR honoured. Rendering is a function of state, so none of this needs
//! a terminal.

mod common;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use imginspect::analysis::{ScanOptions, scan};
use imginspect::fs::NoProgress;
use imginspect::image::Image;
use imginspect::tui::action::ViewId;
use imginspect::tui::app::App;
use imginspect::tui::render;
use imginspect::tui::screen::Screen;
use imginspect::tui::source::Source;
use imginspect::tui::theme::Theme;
use imginspect::tui::worker::Job;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn app_for(name: &str, color: bool, size: (u16, u16)) -> App {
    let path = common::samples_dir().join(name);
    let image = Image::open(&path).expect("image");
    let mut result = scan(&image, &ScanOptions::default(), &NoProgress);
    result.image.path = format!("sample-images/{name}");
    let mut app = App::loading(name.to_string(), Theme { color }, false);
    app.resize(size.0, size.1);
    app.scan_done(result, Arc::new(Source::File(image)));
    app
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }
}

fn draw(app: &App, size: (u16, u16)) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    terminal.draw(|f| render::draw(f, app)).unwrap();
    terminal
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

fn session_view(app: &App) -> ViewId {
    match &app.screen {
        Screen::Ready(s) => s.view,
        _ => panic!("not ready"),
    }
}

fn detail_inode(app: &App) -> Option<u64> {
    match &app.screen {
        Screen::Ready(s) => s.views.detail.inode,
        _ => None,
    }
}

const SIZE: (u16, u16) = (80, 24);

#[test]
fn every_view_snapshot() {
    for (view, keys) in [
        ("overview", ""),
        ("inodes", "2"),
        ("detail", "2x\n"),
        ("heatmap", "4"),
        ("heatmap-next-crosslink", "4n"),
        ("crosslinks", "5"),
        ("block", "5b"),
        ("explain", "1\n"),
        ("help", "?"),
    ] {
        let mut app = app_for("shadow-crosslink.img", true, SIZE);
        press(&mut app, keys);
        let terminal = draw(&app, SIZE);
        insta::assert_snapshot!(view, terminal.backend());
    }
}

#[test]
fn navigation_follows_a_crosslink_and_comes_back() {
    let mut app = app_for("shadow-crosslink.img", true, SIZE);
    // Inodes, cross-linked only, open the first (/etc/shadow, inode 14).
    press(&mut app, "2x\n");
    assert_eq!(session_view(&app), ViewId::Detail);
    assert_eq!(detail_inode(&app), Some(14));
    // The row under the run names the other claimer; Enter follows it.
    press(&mut app, "j\n");
    assert_eq!(detail_inode(&app), Some(17));
    let text = screen_text(&draw(&app, SIZE));
    assert!(text.contains("/etc/shadow"), "{text}");
    // Esc goes back to inode 14, then to the inode table.
    press(&mut app, "\x1b");
    assert_eq!(detail_inode(&app), Some(14));
    press(&mut app, "\x1b");
    assert_eq!(session_view(&app), ViewId::Inodes);
}

#[test]
fn goto_prompt_reaches_blocks_inodes_offsets_and_paths() {
    let mut app = app_for("shadow-crosslink.img", true, SIZE);
    press(&mut app, ":13\n");
    assert_eq!(session_view(&app), ViewId::Block);
    let text = screen_text(&draw(&app, SIZE));
    assert!(
        text.contains("root:$6$"),
        "hex dump of /etc/shadow's block: {text}"
    );
    press(&mut app, ":i17\n");
    assert_eq!(detail_inode(&app), Some(17));
    press(&mut app, ":/etc/shadow\n");
    assert_eq!(detail_inode(&app), Some(14));
    press(&mut app, ":0xd000\n");
    assert_eq!(session_view(&app), ViewId::Block);
    let text = screen_text(&draw(&app, SIZE));
    assert!(text.contains("block 13 at byte 0xd000"), "{text}");
    assert!(!app.quit);
    press(&mut app, ":q\n");
    assert!(app.quit, ":q quits, as in vi and less");
}

#[test]
fn heatmap_marks_crosslinks_with_a_glyph_and_jumps_to_them() {
    let mut app = app_for("shadow-crosslink.img", false, SIZE);
    press(&mut app, "4n");
    let text = screen_text(&draw(&app, SIZE));
    assert!(text.contains('X'), "{text}");
    assert!(
        text.contains("block 13"),
        "cursor on the first cross-linked block: {text}"
    );
    assert!(text.contains("/etc/shadow"), "{text}");
    // Enter on a one-block cell opens the hex dump of that block.
    press(&mut app, "\n");
    assert_eq!(session_view(&app), ViewId::Block);
}

#[test]
fn hostile_names_are_escaped_on_screen() {
    let mut app = app_for("hostile-names.img", true, (120, 30));
    press(&mut app, "2");
    let terminal = draw(&app, (120, 30));
    let text = screen_text(&terminal);
    assert!(text.contains("\\x1b[2J\\x1b[31mowned"), "{text}");
    assert!(text.contains("invoice\\u{202e}fdp.exe"), "{text}");
    assert!(text.contains("line1\\x0aline2\\x0dX"), "{text}");
    assert!(text.contains("bad\\xff\\xfe.txt"), "{text}");
    for cell in terminal.backend().buffer().content() {
        for ch in cell.symbol().chars() {
            let u = ch as u32;
            assert!(
                u >= 0x20
                    && u != 0x7f
                    && !(0x80..0xa0).contains(&u)
                    && !(0x202a..=0x202e).contains(&u),
                "control character {u:#x} reached the screen"
            );
        }
    }
    // The cross-link finding in the overview names the hostile file, escaped.
    let mut app = app_for("hostile-names.img", true, (120, 30));
    press(&mut app, "1");
    let text = screen_text(&draw(&app, (120, 30)));
    assert!(text.contains("\\x1b[2J"), "{text}");
}

#[test]
fn no_color_uses_no_colour_at_all() {
    for keys in ["1", "2", "2x\n", "4n", "5"] {
        let mut app = app_for("shadow-crosslink.img", false, SIZE);
        press(&mut app, keys);
        let terminal = draw(&app, SIZE);
        for cell in terminal.backend().buffer().content() {
            assert_eq!(
                cell.fg,
                Color::Reset,
                "keys {keys:?}: coloured cell {cell:?}"
            );
            assert_eq!(
                cell.bg,
                Color::Reset,
                "keys {keys:?}: coloured cell {cell:?}"
            );
        }
    }
}

#[test]
fn small_terminals_get_a_message_not_a_mess() {
    let app = app_for("shadow-crosslink.img", true, (40, 10));
    let text = screen_text(&draw(&app, (40, 10)));
    assert!(text.contains("terminal too small"), "{text}");
}

#[test]
fn loading_shows_progress_and_quits() {
    let mut app = App::loading("big.img".into(), Theme { color: true }, false);
    app.resize(80, 24);
    app.progress("inode tables".into(), 3, 16);
    let text = screen_text(&draw(&app, SIZE));
    assert!(text.contains("inode tables: 3 of 16"), "{text}");
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn unknown_filesystem_is_shown_not_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeros.img");
    std::fs::write(&path, vec![0u8; 65536]).unwrap();
    let image = Image::open(&path).unwrap();
    let result = scan(&image, &ScanOptions::default(), &NoProgress);
    let mut app = App::loading("zeros.img".into(), Theme { color: true }, false);
    app.scan_done(result, Arc::new(Source::File(image)));
    let text = screen_text(&draw(&app, SIZE));
    assert!(text.contains("Nothing to inspect"), "{text}");
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn typing_a_filter_narrows_and_settings_still_apply() {
    let mut app = app_for("clean-ext4.img", true, SIZE);
    press(&mut app, "2/etc");
    let narrowed = match &app.screen {
        Screen::Ready(s) => s.views.inodes.rows.clone(),
        _ => panic!(),
    };
    // The same filter typed in one go from a fresh session gives the same rows.
    let mut fresh = app_for("clean-ext4.img", true, SIZE);
    press(&mut fresh, "2");
    if let Screen::Ready(s) = &mut fresh.screen {
        s.views.inodes.filter = "etc".into();
        imginspect::tui::views::inodes::refresh_rows(&mut s.views.inodes, &s.cx);
        assert_eq!(s.views.inodes.rows, narrowed);
        assert!(!narrowed.is_empty());
    }
    // Reversing with the filter unchanged re-sorts instead of narrowing.
    press(&mut app, "\n");
    press(&mut app, "r");
    match &app.screen {
        Screen::Ready(s) => {
            let mut reversed = narrowed.clone();
            reversed.reverse();
            assert_eq!(s.views.inodes.rows, reversed);
        }
        _ => panic!(),
    }
}

/// A partitioned disk opens on its volume list: the disk map, one row per
/// partition (the cross-linked one marked), and Enter explores a volume
/// whose block numbers and bytes are its own; `v` comes back.
#[test]
fn a_partitioned_disk_opens_on_its_volume_list() {
    let size = (100, 24);
    let mut app = app_for("gpt-two-partitions.img", true, size);
    let screen = screen_text(&draw(&app, size));
    insta::assert_snapshot!("disk", screen);
    assert!(screen.contains("GPT disk, 2 partitions"), "{screen}");
    assert!(screen.contains("fat12-data") && screen.contains("linux-shadow"));
    // The map shows both partitions and the table at both ends.
    let map = screen.lines().nth(2).unwrap();
    assert!(
        map.contains('1') && map.contains('2') && map.contains('m'),
        "{map}"
    );
    press(&mut app, "j\n");
    let inside = screen_text(&draw(&app, size));
    assert!(inside.contains("on GPT partition 2"), "{inside}");
    assert!(inside.contains("crosslink"), "{inside}");
    // Block 13 of the volume is /etc/shadow's first block, not the disk's.
    press(&mut app, ":13\n");
    let block = screen_text(&draw(&app, size));
    assert!(block.contains("root:$6$"), "{block}");
    assert!(block.contains("image byte 0x20d000"), "{block}");
    press(&mut app, "v");
    let back = screen_text(&draw(&app, size));
    assert!(back.contains("GPT disk, 2 partitions"), "{back}");
    // Overlapping partitions show as X on the map, in bold red.
    let mut app = app_for("mbr-overlap.img", true, size);
    let terminal = draw(&app, size);
    let map = screen_text(&terminal).lines().nth(2).unwrap().to_string();
    assert!(map.contains('X'), "{map}");
    let x = map.chars().position(|c| c == 'X').unwrap() as u16;
    assert_eq!(terminal.backend().buffer()[(x, 2)].fg, Color::Red);
    press(&mut app, "q");
    assert!(app.quit);
}

/// A filesystem whose journal needs recovery opens as the kernel will mount
/// it, says so, marks the blocks replay writes in the heatmap, and `J` asks
/// for the other view (the event loop hands the rescan to the worker; done here by hand).
#[test]
fn a_pending_journal_is_shown_replayed_and_j_switches_the_view() {
    let size = (120, 30);
    let mut app = app_for("journal-crosslink-trap.img", false, size);
    let text = screen_text(&draw(&app, size));
    assert!(text.contains("shown as the kernel will mount it"), "{text}");
    assert!(
        text.contains("[appears when the journal is replayed]"),
        "{text}"
    );
    // The heatmap marks the replayed inode-table block, and says what it is.
    press(&mut app, "4");
    let text = screen_text(&draw(&app, size));
    assert!(
        text.contains('J') && text.contains("journal replay"),
        "{text}"
    );
    // Cell 31 at 2 blocks per cell holds block 62.
    press(&mut app, &"l".repeat(31));
    let text = screen_text(&draw(&app, size));
    assert!(text.contains("journal replay writes"), "{text}");
    assert!(text.contains("block 62 (transaction 1)"), "{text}");
    // J: rescan as on disk.
    press(&mut app, "J");
    let jobs = app.take_jobs();
    assert!(
        matches!(jobs.as_slice(), [Job::Scan { journal, hash: false }] if *journal == app.journal),
        "{jobs:?}"
    );
    assert_eq!(app.journal, imginspect::analysis::JournalMode::Ignore);
    assert!(matches!(app.screen, Screen::Loading { .. }));
    let image = Image::open(&common::samples_dir().join("journal-crosslink-trap.img")).unwrap();
    let options = ScanOptions {
        journal: app.journal,
        ..ScanOptions::default()
    };
    let mut result = scan(&image, &options, &NoProgress);
    result.image.path = "sample-images/journal-crosslink-trap.img".into();
    app.scan_done(result, Arc::new(Source::File(image)));
    let text = screen_text(&draw(&app, size));
    assert!(text.contains("shown as it lies on disk"), "{text}");
    assert!(!text.contains("CRITICAL"), "{text}");
    // Images without a pending journal ignore J.
    let mut app = app_for("shadow-crosslink.img", false, size);
    press(&mut app, "J");
    assert!(app.take_jobs().is_empty());
}

/// `e` does not write on the UI thread: it hands the visible map to the
/// worker (done here by hand) and the footer says where the picture went.
#[test]
fn e_hands_the_heatmap_to_the_worker_and_the_footer_says_where_it_went() {
    let mut app = app_for("shadow-crosslink.img", true, SIZE);
    press(&mut app, "4e");
    let jobs = app.take_jobs();
    let [Job::SaveHeatmap(picture)] = jobs.as_slice() else {
        panic!("{jobs:?}");
    };
    let text = screen_text(&draw(&app, SIZE));
    assert!(text.contains("saving the heatmap"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    app.heatmap_saved(picture.save(dir.path()).map_err(|e| e.to_string()));
    let text = screen_text(&draw(&app, SIZE));
    assert!(
        text.contains("heatmap saved to") && text.contains("shadow-crosslink.img-heatmap.png"),
        "{text}"
    );
    assert!(dir.path().join("shadow-crosslink.img-heatmap.png").exists());
    app.heatmap_saved(Err("No space left on device".into()));
    let text = screen_text(&draw(&app, SIZE));
    assert!(
        text.contains("heatmap not saved: No space left on device"),
        "{text}"
    );
}
