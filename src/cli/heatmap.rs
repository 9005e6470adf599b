//! `heatmap`: the chosen volume's ownership map as a PNG in a new file.

use anyhow::anyhow;

use imginspect::analysis::ScanOptions;
use imginspect::report::heatmap::Ownership;
use imginspect::report::picture;

use super::args::HeatmapArgs;
use super::{Outcome, load, output};

pub fn run(args: &HeatmapArgs, options: &ScanOptions) -> anyhow::Result<Outcome> {
    let image = &args.image;
    let (_, result) = load::scan(image, options)?;
    let Some((volume, fs)) = load::chosen_volume(&result, args.partition) else {
        return Err(load::no_filesystem(image, &result));
    };
    let ownership = Ownership::new(fs, volume);
    let name = image.file_name().map_or_else(
        || image.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let title = match &volume.partition {
        Some(p) => format!("{name} partition {}: {}", p.number, fs.info.fs_type),
        None => format!("{name}: {}", fs.info.fs_type),
    };
    let picture = picture::heatmap_png(
        &ownership,
        picture::Grid::fit(&ownership, args.width),
        &title,
        fs.units.block,
    );
    let bytes = picture.map_err(|e| anyhow!("{}: {e}", args.output.display()))?;
    output::to_file(&args.output, image, args.force, |out| out.write_all(&bytes))?;
    Ok(Outcome::Clean)
}
