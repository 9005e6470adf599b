//! The heatmap as a PNG (`imginspect heatmap`, `e` in the inspector): the
//! picture is decoded back and its cells read — a cross-linked cell is
//! hatched (two grey levels far apart, so it shows in greyscale print), the
//! others are their kind's flat colour; the output never replaces the image
//! or an existing file.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{imginspect, samples_dir};
use imginspect::analysis::{ScanOptions, scan};
use imginspect::fs::NoProgress;
use imginspect::image::Image;
use imginspect::report::heatmap::{Kind, Ownership};
use imginspect::report::picture::{CELL_PX, Grid, cell_centre};
use imginspect::tui::session::Session;
use imginspect::tui::source::Source;
use imginspect::tui::theme::Theme;
use imginspect::tui::views::heatmap;

struct Decoded {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Decoded {
    fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let at = (y * self.width + x) as usize * 3;
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }

    /// The pixels of the cell whose centre is (x, y) (the cell less its gap).
    fn cell(&self, (x, y): (u32, u32)) -> Vec<[u8; 3]> {
        let (x0, y0) = (x - CELL_PX / 2, y - CELL_PX / 2);
        (0..CELL_PX - 1)
            .flat_map(|dy| (0..CELL_PX - 1).map(move |dx| (x0 + dx, y0 + dy)))
            .map(|(x, y)| self.pixel(x, y))
            .collect()
    }
}

fn decode(bytes: &[u8]) -> Decoded {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    rgb.truncate(info.buffer_size());
    Decoded {
        width: info.width,
        height: info.height,
        rgb,
    }
}

/// ITU-R BT.601 luma: what a greyscale printer keeps of a colour.
fn grey([r, g, b]: [u8; 3]) -> u32 {
    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000
}

fn ownership(name: &str) -> (Ownership, u64) {
    let image = Image::open(&samples_dir().join(name)).unwrap();
    let result = scan(&image, &ScanOptions::default(), &NoProgress);
    let volume = result
        .volumes
        .iter()
        .find(|v| v.filesystem.is_some())
        .unwrap();
    let own = Ownership::new(volume.filesystem.as_ref().unwrap(), volume);
    let first_crosslinked = own.crosslinked.first().expect("a cross-link").0;
    (own, first_crosslinked)
}

#[test]
fn the_png_hatches_the_cross_linked_cell_and_colours_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    for (name, width) in [
        ("shadow-crosslink.img", 1024),
        ("fat16-crosslink.img", 600),
        ("inode-table-overlap.img", 2000),
    ] {
        let out_path = dir.path().join(format!("{name}.png"));
        let out = imginspect(&[
            "heatmap",
            samples_dir().join(name).to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
            "--width",
            &width.to_string(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
        let png = decode(&std::fs::read(&out_path).unwrap());
        assert_eq!(png.width, width, "{name}");
        assert!(
            png.height > 60 && png.height < 2000,
            "{name}: {}",
            png.height
        );

        let (own, crosslinked) = ownership(name);
        let grid = Grid::fit(&own, width);
        let cell = crosslinked / grid.per_cell;
        let pixels = png.cell(cell_centre(grid, cell).unwrap());
        // Hatched: both the red and black stripes, far apart in grey.
        assert!(
            pixels.contains(&Kind::Crosslink.rgb()),
            "{name}: {pixels:?}"
        );
        assert!(pixels.contains(&[0, 0, 0]), "{name}: {pixels:?}");
        let greys: Vec<u32> = pixels.iter().map(|&p| grey(p)).collect();
        assert!(
            greys.iter().max().unwrap() - greys.iter().min().unwrap() >= 50,
            "{name}: the hatch must survive greyscale: {greys:?}"
        );
        // Every other cell is one flat colour: its kind's.
        let cells = own.cells(grid.per_cell);
        for c in 0..cells {
            let kind = own.cell_kind(c, grid.per_cell);
            if kind.patterned() {
                continue;
            }
            let pixels = png.cell(cell_centre(grid, c).unwrap());
            assert!(
                pixels.iter().all(|&p| p == kind.rgb()),
                "{name}: cell {c} ({kind:?})"
            );
        }
    }
}

#[test]
fn the_png_is_never_written_over_the_image_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("evidence.img");
    std::fs::copy(samples_dir().join("shadow-crosslink.img"), &image).unwrap();
    let before = std::fs::read(&image).unwrap();
    let img = image.to_str().unwrap();
    for args in [
        &["heatmap", img, "-o", img][..],
        &["heatmap", img, "-o", img, "--force"],
    ] {
        let out = imginspect(args);
        assert_eq!(out.status.code(), Some(8), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("evidence is never written"));
    }
    assert_eq!(std::fs::read(&image).unwrap(), before);
    let target = dir.path().join("map.png");
    std::fs::write(&target, b"keep me").unwrap();
    let t = target.to_str().unwrap();
    assert_eq!(
        imginspect(&["heatmap", img, "-o", t]).status.code(),
        Some(8)
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    assert_eq!(
        imginspect(&["heatmap", img, "-o", t, "--force"])
            .status
            .code(),
        Some(0)
    );
    assert!(std::fs::read(&target).unwrap().starts_with(b"\x89PNG"));
}

fn session(name: &str) -> Session {
    let image = Image::open(&samples_dir().join(name)).unwrap();
    let result = scan(&image, &ScanOptions::default(), &NoProgress);
    let mut session =
        Session::new(result, Arc::new(Source::File(image)), Theme { color: true }).unwrap();
    session.relayout((100, 30));
    session
}

#[test]
fn the_inspector_saves_the_visible_map_under_a_new_name() {
    let dir = tempfile::tempdir().unwrap();
    let s = session("shadow-crosslink.img");
    let picture = heatmap::picture(&s.views.heatmap, &s.cx);
    let first = picture.save(dir.path()).unwrap();
    let second = picture.save(dir.path()).unwrap();
    assert_eq!(
        first.file_name().unwrap(),
        Path::new("shadow-crosslink.img-heatmap.png")
    );
    assert_eq!(
        second.file_name().unwrap(),
        Path::new("shadow-crosslink.img-heatmap-2.png")
    );
    // The picture shows the grid as it is on screen: the same cells.
    let png = decode(&std::fs::read(&first).unwrap());
    let st = &s.views.heatmap;
    let grid = Grid {
        per_cell: st.per_cell,
        first: st.origin,
        cols: u32::from(st.cols),
        rows: u32::from(st.rows),
    };
    assert_eq!(png.width, u32::from(st.cols) * CELL_PX + 24);
    for (i, kind) in st.cells.iter().enumerate() {
        let pixels = png.cell(cell_centre(grid, st.origin + i as u64).unwrap());
        assert!(pixels.contains(&kind.rgb()), "cell {i}: {kind:?}");
    }
}
