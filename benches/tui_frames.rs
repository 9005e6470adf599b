//! TUI responsiveness benchmark: drives the inspector's state machine with
//! keys and renders every frame into ratatui's TestBackend, timing each
//! key → frame. No terminal needed.
//!
//!     cargo bench --bench tui_frames -- [IMAGE]
//!
//! IMAGE defaults to sample-images/shadow-crosslink.img; the figures that
//! matter come from a large image (bench/make-images.sh builds a 1M-inode one).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use imginspect::analysis::{ScanOptions, scan};
use imginspect::fs::NoProgress;
use imginspect::image::Image;
use imginspect::tui::app::App;
use imginspect::tui::render;
use imginspect::tui::source::Source;
use imginspect::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZE: (u16, u16) = (160, 48);

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/sample-images/shadow-crosslink.img"
            )
            .into()
        });
    let image = Image::open(std::path::Path::new(&path)).expect("open image");
    let started = Instant::now();
    let mut app = App::loading(path.clone(), Theme { color: true }, false);
    app.resize(SIZE.0, SIZE.1);
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("backend");
    terminal.draw(|f| render::draw(f, &app)).expect("draw");
    let first_frame = started.elapsed();
    let t = Instant::now();
    let result = scan(&image, &ScanOptions::default(), &NoProgress);
    let scan_time = t.elapsed();
    let t = Instant::now();
    app.scan_done(result, Arc::new(Source::File(image)));
    let session_time = t.elapsed();

    let mut frames: Vec<(&str, Duration)> = Vec::new();
    let mut step = |app: &mut App, label: &'static str, keys: &[KeyEvent]| {
        let t = Instant::now();
        for k in keys {
            app.on_key(*k);
        }
        terminal.draw(|f| render::draw(f, app)).expect("draw");
        frames.push((label, t.elapsed()));
    };
    step(&mut app, "overview", &[]);
    step(&mut app, "inodes view", &[key(KeyCode::Char('2'))]);
    for _ in 0..50 {
        step(&mut app, "scroll down", &[key(KeyCode::Down)]);
    }
    for _ in 0..20 {
        step(&mut app, "page down", &[key(KeyCode::PageDown)]);
    }
    step(&mut app, "end", &[key(KeyCode::End)]);
    step(&mut app, "home", &[key(KeyCode::Home)]);
    step(&mut app, "open filter", &[key(KeyCode::Char('/'))]);
    for c in "f0042".chars() {
        step(&mut app, "filter keystroke", &[key(KeyCode::Char(c))]);
    }
    step(&mut app, "close filter", &[key(KeyCode::Enter)]);
    step(
        &mut app,
        "clear filter",
        &[key(KeyCode::Char('/')), key(KeyCode::Esc)],
    );
    step(&mut app, "sort by size", &[key(KeyCode::Char('s'))]);
    step(&mut app, "open inode", &[key(KeyCode::Enter)]);
    step(&mut app, "heatmap", &[key(KeyCode::Char('4'))]);
    for _ in 0..10 {
        step(&mut app, "heatmap move", &[key(KeyCode::Right)]);
    }
    for _ in 0..6 {
        step(&mut app, "zoom in", &[key(KeyCode::Char('+'))]);
    }
    for _ in 0..6 {
        step(&mut app, "zoom out", &[key(KeyCode::Char('-'))]);
    }
    step(&mut app, "next cross-link", &[key(KeyCode::Char('n'))]);
    step(
        &mut app,
        "go to block",
        &[
            key(KeyCode::Char(':')),
            key(KeyCode::Char('9')),
            key(KeyCode::Enter),
        ],
    );
    step(&mut app, "cross-links", &[key(KeyCode::Char('5'))]);
    // A path finds its inode by every name of every inode (the worst case
    // when no inode has it).
    let mut goto_path = vec![key(KeyCode::Char(':'))];
    goto_path.extend("/etc/shadow".chars().map(|c| key(KeyCode::Char(c))));
    goto_path.push(key(KeyCode::Enter));
    step(&mut app, "go to path", &goto_path);

    println!("image: {path}");
    println!(
        "first frame: {:.1} ms (before the scan)",
        first_frame.as_secs_f64() * 1e3
    );
    println!(
        "scan: {:.1} ms, session built: {:.1} ms",
        scan_time.as_secs_f64() * 1e3,
        session_time.as_secs_f64() * 1e3
    );
    let mut labels: Vec<&str> = frames.iter().map(|(l, _)| *l).collect();
    labels.dedup();
    println!(
        "{:<18} {:>6} {:>10} {:>10}",
        "key", "frames", "median ms", "max ms"
    );
    for label in labels {
        let mut times: Vec<f64> = frames
            .iter()
            .filter(|(l, _)| *l == label)
            .map(|(_, d)| d.as_secs_f64() * 1e3)
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{label:<18} {:>6} {:>10.2} {:>10.2}",
            times.len(),
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
    let worst = frames.iter().map(|(_, d)| *d).max().unwrap_or_default();
    println!("slowest key → frame: {:.2} ms", worst.as_secs_f64() * 1e3);
}
