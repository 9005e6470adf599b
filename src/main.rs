//! The `imginspect` command line. Owns argument parsing, exit codes (fsck(8)
//! conventions) and error display; everything else lives in the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand, ValueEnum};

use imginspect::analysis::{self, JournalMode, ScanOptions, ScanResult, VolumeResult};
use imginspect::fs::{Detail, NoProgress};
use imginspect::image::Image;
use imginspect::model::Severity;
use imginspect::report::heatmap::Ownership;
use imginspect::report::{html, json, listing, picture, text};
use imginspect::tui::{self, source::Source};

/// fsck(8) exit statuses.
mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 4;
    pub const OPERATIONAL: u8 = 8;
    pub const USAGE: u8 = 16;
}

#[derive(Parser)]
#[command(
    name = "imginspect",
    version,
    about = "Forensic inspection of filesystem images: who owns every block, and which blocks are cross-linked",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Image to open in the interactive inspector (a text scan when stdout is not a terminal).
    image: Option<PathBuf>,
    /// Colour in the inspector: auto honours NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    /// Capture the mouse in the inspector (click selects, wheel scrolls); `m` toggles it.
    #[arg(long, global = true)]
    mouse: bool,
    /// An ext filesystem whose journal needs recovery: show it as the kernel
    /// will mount it (replay), as it lies on disk (ignore), or both.
    #[arg(long, value_enum, default_value_t = JournalChoice::Replay, global = true)]
    journal: JournalChoice,
}

#[derive(Clone, Copy, ValueEnum)]
enum JournalChoice {
    Replay,
    Ignore,
    Both,
}

impl JournalChoice {
    fn mode(self) -> JournalMode {
        match self {
            JournalChoice::Replay => JournalMode::Replay,
            JournalChoice::Ignore => JournalMode::Ignore,
            JournalChoice::Both => JournalMode::Both,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image and report cross-links and other findings.
    Scan {
        image: PathBuf,
        #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
        format: ScanFormat,
        /// Exit with status 4 when a finding is at least this severe.
        #[arg(long, value_enum, default_value_t = FailOn::High)]
        fail_on: FailOn,
        /// Also compute the image's SHA-256 (reads the whole image); with
        /// `--format dfxml`, every regular file's md5, sha1 and sha256 (`hashdigest`).
        #[arg(long)]
        hash: bool,
        /// Write the report to this new file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace the output file if it exists (never the image).
        #[arg(long)]
        force: bool,
    },
    /// Show who claims one block (filesystem block number).
    Block {
        image: PathBuf,
        block: u64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// On a partitioned disk, the partition (as numbered in `scan`);
        /// default: the first one that holds a filesystem.
        #[arg(long)]
        partition: Option<u32>,
    },
    /// Show one inode: stat fields, names and its block map.
    Inode {
        image: PathBuf,
        inode: u64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// On a partitioned disk, the partition (as numbered in `scan`);
        /// default: the first one that holds a filesystem.
        #[arg(long)]
        partition: Option<u32>,
    },
    /// List names with inode numbers, as `fls -r -p` (deleted entries marked `*`).
    Ls {
        image: PathBuf,
        /// The directory to list (default: the root).
        #[arg(default_value = "/")]
        path: String,
        /// Everything below the directory, not only its entries.
        #[arg(short, long)]
        recursive: bool,
        /// Also list deleted entries.
        #[arg(long)]
        deleted: bool,
        #[arg(long)]
        partition: Option<u32>,
    },
    /// Write a file's bytes, read through imginspect's own block map (as `icat`).
    Cat {
        image: PathBuf,
        /// An inode number, or a path such as /etc/shadow.
        file: String,
        /// Write to this new file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace the output file if it exists (never the image).
        #[arg(long)]
        force: bool,
        #[arg(long)]
        partition: Option<u32>,
    },
    /// Write the ownership heatmap as a PNG picture with a legend
    /// (cross-links hatched, so that they show in greyscale print too).
    Heatmap {
        image: PathBuf,
        /// The new PNG file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Width of the picture in pixels (320–8192).
        #[arg(long, default_value_t = 1024)]
        width: u32,
        /// Replace the output file if it exists (never the image).
        #[arg(long)]
        force: bool,
        #[arg(long)]
        partition: Option<u32>,
    },
    /// Open the inspector on a teaching image built into the binary
    /// (/etc/shadow cross-linked with a world-readable file).
    Demo,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// What `scan` can write.
#[derive(Clone, Copy, ValueEnum)]
enum ScanFormat {
    Text,
    Json,
    /// The Sleuth Kit 3 bodyfile of every file, for `mactime`.
    Bodyfile,
    /// DFXML 1.2.0 (as `fiwalk -X`), with the findings in their own namespace.
    Dfxml,
    /// One self-contained HTML page: summary, ownership maps, findings, explanations.
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
            FailOn::Info => Severity::Info,
        }
    }
}

/// Set while the inspector owns the terminal, so that the SIGBUS guard can give
/// it back before exiting.
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// The image is mapped: if the file shrinks while it is being read (another
/// process truncates it), touching a lost page raises SIGBUS. Instead of dying
/// silently, say what happened, leave the alternate screen if the inspector
/// had it, and exit with the fsck "operational error" status.
fn install_sigbus_guard() {
    extern "C" fn on_sigbus(_signal: libc::c_int) {
        const LEAVE_SCREEN: &[u8] = b"\x1b[?1049l\x1b[?25h";
        const MESSAGE: &[u8] =
            b"\nimginspect: the image file shrank or became unreadable while it was being read (SIGBUS); nothing was written, results are incomplete\n";
        // SAFETY: only async-signal-safe calls (write, _exit) on static buffers.
        unsafe {
            if TERMINAL_TAKEN.load(Ordering::Relaxed) {
                libc::write(1, LEAVE_SCREEN.as_ptr().cast(), LEAVE_SCREEN.len());
            }
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(i32::from(exit::OPERATIONAL));
        }
    }
    // SAFETY: a zeroed sigaction with an empty mask and a plain handler is a
    // valid argument; the handler above is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

fn main() -> ExitCode {
    install_sigbus_guard();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::CLEAN
            });
        }
    };
    let tui = TuiChoice {
        color: cli.color,
        mouse: cli.mouse,
        journal: cli.journal.mode(),
    };
    let command = match (cli.command, cli.image) {
        (Some(c), _) => c,
        (None, Some(image)) if std::io::stdout().is_terminal() => {
            return ExitCode::from(inspect(Some(&image), tui));
        }
        // Not a terminal: the inspector cannot run, so print the scan report.
        (None, Some(image)) => Command::Scan {
            image,
            format: ScanFormat::Text,
            fail_on: FailOn::High,
            hash: false,
            output: None,
            force: false,
        },
        (None, None) => {
            eprintln!("imginspect: no image given (try `imginspect --help`)");
            return ExitCode::from(exit::USAGE);
        }
    };
    if let Command::Demo = command {
        return ExitCode::from(inspect(None, tui));
    }
    ExitCode::from(run(command, cli.journal.mode()))
}

struct TuiChoice {
    color: ColorChoice,
    mouse: bool,
    journal: JournalMode,
}

/// Opens the inspector on an image (or the built-in demo). Errors opening the
/// image are printed plainly before the terminal is taken over.
fn inspect(image: Option<&Path>, choice: TuiChoice) -> u8 {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "imginspect: the inspector needs a terminal (use `imginspect scan` in pipelines)"
        );
        return exit::USAGE;
    }
    let source = match image {
        Some(path) => match Image::open(path) {
            Ok(image) => Source::File(image),
            Err(e) => {
                eprintln!("imginspect: {e}");
                return exit::OPERATIONAL;
            }
        },
        None => Source::demo(),
    };
    // NO_COLOR (non-empty) turns colour off unless --color always.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match choice.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color,
    };
    TERMINAL_TAKEN.store(true, Ordering::Relaxed);
    let outcome = tui::run(
        source,
        tui::Options {
            color,
            mouse: choice.mouse,
            journal: choice.journal,
        },
    );
    TERMINAL_TAKEN.store(false, Ordering::Relaxed);
    match outcome {
        Ok(()) => exit::CLEAN,
        Err(e) => {
            eprintln!("imginspect: {e:#}");
            exit::OPERATIONAL
        }
    }
}

fn run(command: Command, journal: JournalMode) -> u8 {
    match command {
        Command::Scan {
            image,
            format,
            fail_on,
            hash,
            output,
            force,
        } => {
            let every_file = matches!(
                format,
                ScanFormat::Bodyfile | ScanFormat::Dfxml | ScanFormat::Html
            );
            let result = match open_and_scan(&image, hash, every_file, journal) {
                Ok(r) => r,
                Err(e) => {
                    if let ScanFormat::Json = format {
                        print(&json::render_error(&image.display().to_string(), &e));
                    }
                    eprintln!("imginspect: {e}");
                    return exit::OPERATIONAL;
                }
            };
            let report = match format {
                ScanFormat::Text => text::render(&result),
                ScanFormat::Json => json::render(&result),
                ScanFormat::Bodyfile => listing::bodyfile(&result),
                ScanFormat::Dfxml => {
                    let digests = if hash {
                        file_digests(&image, &result)
                    } else {
                        listing::FileDigests::new()
                    };
                    listing::dfxml(&result, &digests)
                }
                ScanFormat::Html => html::render(&result),
            };
            match &output {
                None => print(&report),
                Some(path) => {
                    let written = create_output(path, &image, force)
                        .and_then(|mut f| f.write_all(report.as_bytes()));
                    if let Err(e) = written {
                        eprintln!("imginspect: {}: {e}", path.display());
                        return exit::OPERATIONAL;
                    }
                }
            }
            if result.nothing_recognised() {
                for v in &result.volumes {
                    if let Some(e) = &v.error {
                        eprintln!("imginspect: {}: {e}", image.display());
                    }
                }
                return exit::OPERATIONAL;
            }
            let worst = result.findings().map(|f| f.severity).max();
            // The process ends right after: freeing a million-inode model one
            // allocation at a time would only delay the exit status.
            std::mem::forget(result);
            if worst.is_some_and(|w| w >= fail_on.severity()) {
                exit::FINDINGS
            } else {
                exit::CLEAN
            }
        }
        Command::Ls {
            image,
            path,
            recursive,
            deleted,
            partition,
        } => with_filesystem(&image, false, Detail::Everything, journal, |result| {
            let volume = chosen_volume(result, partition)?;
            Some(listing::ls(volume, &path, recursive, deleted))
        }),
        Command::Cat {
            image,
            file,
            output,
            force,
            partition,
        } => cat(&image, &file, output.as_deref(), force, partition, journal),
        Command::Block {
            image,
            block,
            format,
            partition,
        } => with_filesystem(&image, true, Detail::Claiming(block), journal, |result| {
            let fs = chosen_volume(result, partition)?.filesystem.as_ref()?;
            Some(match format {
                Format::Text => text::block(fs, block),
                Format::Json => json::block(fs, block),
            })
        }),
        Command::Heatmap {
            image,
            output,
            width,
            force,
            partition,
        } => heatmap(&image, &output, width, force, partition, journal),
        Command::Demo => inspect(
            None,
            TuiChoice {
                color: ColorChoice::Auto,
                mouse: false,
                journal,
            },
        ),
        Command::Inode {
            image,
            inode,
            format,
            partition,
        } => with_filesystem(&image, false, Detail::Everything, journal, |result| {
            let volume = chosen_volume(result, partition)?;
            let fs = volume.filesystem.as_ref()?;
            Some(match (fs.inode(inode), format) {
                (Some(n), Format::Text) => text::inode(fs, &volume.crosslinks, n),
                (Some(n), Format::Json) => json::inode(fs, &volume.crosslinks, n),
                (None, Format::Text) => {
                    format!("inode {inode} is not in use (or does not exist)\n")
                }
                (None, Format::Json) => json::inode_not_in_use(inode),
            })
        }),
    }
}

/// Scans `image` (parse only when `parse_only`; the model as `detail` asks)
/// and prints what `f` makes of it.
fn with_filesystem(
    image: &Path,
    parse_only: bool,
    detail: Detail,
    journal: JournalMode,
    f: impl FnOnce(&ScanResult) -> Option<String>,
) -> u8 {
    let result = match Image::open(image) {
        Ok(img) => analysis::scan(
            &img,
            &ScanOptions {
                hash: false,
                parse_only,
                detail,
                journal,
            },
            &NoProgress,
        ),
        Err(e) => {
            eprintln!("imginspect: {e}");
            return exit::OPERATIONAL;
        }
    };
    match f(&result) {
        Some(out) => {
            print(&out);
            // Exit without freeing the model, as `scan` does.
            std::mem::forget(result);
            exit::CLEAN
        }
        None => no_filesystem(image, &result),
    }
}

/// `cat`: a file's bytes through imginspect's own block map, to standard
/// output or to a new file — never the image, never over an existing file
/// without `--force`.
fn cat(
    image: &Path,
    file: &str,
    output: Option<&Path>,
    force: bool,
    partition: Option<u32>,
    journal: JournalMode,
) -> u8 {
    let img = match Image::open(image) {
        Ok(img) => img,
        Err(e) => {
            eprintln!("imginspect: {e}");
            return exit::OPERATIONAL;
        }
    };
    let options = ScanOptions {
        hash: false,
        parse_only: true,
        detail: Detail::Everything,
        journal,
    };
    let result = analysis::scan(&img, &options, &NoProgress);
    let Some(volume) = chosen_volume(&result, partition) else {
        eprintln!("imginspect: {}: no filesystem recognised", image.display());
        return exit::OPERATIONAL;
    };
    let Some(fs) = &volume.filesystem else {
        return exit::OPERATIONAL;
    };
    let inode = match file.parse::<u64>() {
        Ok(ino) => fs.inode(ino),
        Err(_) => fs
            .inodes
            .iter()
            .find(|n| fs.paths(n).iter().any(|p| p == file)),
    };
    let Some(inode) = inode else {
        eprintln!("imginspect: {file}: no such inode or path");
        return exit::OPERATIONAL;
    };
    let Some(view) = volume_view(&img, volume) else {
        return exit::OPERATIONAL;
    };
    let written = match output {
        None => {
            let mut out = std::io::stdout().lock();
            imginspect::fs::content::write_content(&view, fs, inode, &mut out)
        }
        Some(path) => {
            let mut out = match create_output(path, image, force) {
                Ok(f) => std::io::BufWriter::new(f),
                Err(e) => {
                    eprintln!("imginspect: {}: {e}", path.display());
                    return exit::OPERATIONAL;
                }
            };
            imginspect::fs::content::write_content(&view, fs, inode, &mut out)
                .and_then(|n| out.flush().map(|()| n).map_err(Into::into))
        }
    };
    match written {
        Ok(_) => exit::CLEAN,
        // A closed pipe (`| head`) is not an error.
        Err(imginspect::fs::content::ContentError::Write(e))
            if e.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            exit::CLEAN
        }
        Err(e) => {
            eprintln!("imginspect: {file}: {e}");
            exit::OPERATIONAL
        }
    }
}

/// The bytes of a volume as its model was made from: on disk, or with the
/// journal replayed over them.
fn volume_view<'a>(
    img: &'a Image,
    volume: &'a VolumeResult,
) -> Option<imginspect::image::View<'a>> {
    let view = img
        .view()
        .sub(volume.offset_bytes, volume.length_bytes)
        .ok()?;
    Some(match volume.replay_overlay() {
        Some(overlay) => view.with_overlay(overlay),
        None => view,
    })
}

/// The digests of every regular file whose bytes can be read (deleted ones
/// too, through their old maps, as fiwalk hashes them), for DFXML.
fn file_digests(image: &Path, result: &ScanResult) -> listing::FileDigests {
    let mut digests = listing::FileDigests::new();
    let Ok(img) = Image::open(image) else {
        return digests;
    };
    for volume in &result.volumes {
        let (Some(fs), Some(view)) = (&volume.filesystem, volume_view(&img, volume)) else {
            continue;
        };
        for n in fs
            .inodes
            .iter()
            .filter(|n| n.file_type == imginspect::model::FileType::Regular)
        {
            if let Ok(digest) = imginspect::fs::content::digests(&view, fs, n) {
                digests.insert((volume.index, n.ino), digest);
            }
        }
    }
    digests
}

/// `heatmap`: the chosen volume's ownership map as a PNG in a new file.
fn heatmap(
    image: &Path,
    output: &Path,
    width: u32,
    force: bool,
    partition: Option<u32>,
    journal: JournalMode,
) -> u8 {
    // Every inode's runs are needed to colour the cells they own.
    let result = match Image::open(image) {
        Ok(img) => analysis::scan(
            &img,
            &ScanOptions {
                journal,
                ..ScanOptions::default()
            },
            &NoProgress,
        ),
        Err(e) => {
            eprintln!("imginspect: {e}");
            return exit::OPERATIONAL;
        }
    };
    let Some((volume, fs)) =
        chosen_volume(&result, partition).and_then(|v| Some((v, v.filesystem.as_ref()?)))
    else {
        return no_filesystem(image, &result);
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
        picture::Grid::fit(&ownership, width),
        &title,
        fs.units.block,
    );
    let written = picture.map_err(std::io::Error::other).and_then(|bytes| {
        create_output(output, image, force).and_then(|mut f| f.write_all(&bytes))
    });
    match written {
        Ok(()) => exit::CLEAN,
        Err(e) => {
            eprintln!("imginspect: {}: {e}", output.display());
            exit::OPERATIONAL
        }
    }
}

/// Says why no volume of the image could be used; the exit status for it.
fn no_filesystem(image: &Path, result: &ScanResult) -> u8 {
    let why = result
        .volumes
        .iter()
        .find_map(|v| v.error.clone())
        .unwrap_or_else(|| "no filesystem recognised".into());
    eprintln!("imginspect: {}: {why}", image.display());
    exit::OPERATIONAL
}

/// A new output file: refused if it is the image itself (even with
/// `--force`), or if it exists and `force` is not given.
fn create_output(path: &Path, image: &Path, force: bool) -> std::io::Result<std::fs::File> {
    let same = |a: &Path, b: &Path| {
        std::fs::canonicalize(a)
            .ok()
            .zip(std::fs::canonicalize(b).ok())
            .is_some_and(|(a, b)| a == b)
    };
    if same(path, image) {
        return Err(std::io::Error::other(
            "that is the image itself: the evidence is never written",
        ));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path)
}

/// The volume `--partition` names, or the first that holds a filesystem.
fn chosen_volume(result: &ScanResult, partition: Option<u32>) -> Option<&VolumeResult> {
    match partition {
        Some(n) => result
            .volumes
            .iter()
            .find(|v| v.partition.as_ref().is_some_and(|p| p.number == n))
            .filter(|v| v.filesystem.is_some()),
        None => result.volumes.iter().find(|v| v.filesystem.is_some()),
    }
}

fn open_and_scan(
    path: &Path,
    hash: bool,
    every_file: bool,
    journal: JournalMode,
) -> Result<ScanResult, String> {
    let image = Image::open(path).map_err(|e| e.to_string())?;
    // The report names only what the findings involve: the model keeps no
    // more, unless every file is listed (bodyfile).
    let options = ScanOptions {
        hash,
        parse_only: false,
        detail: if every_file {
            Detail::Everything
        } else {
            Detail::FindingsOnly
        },
        journal,
    };
    Ok(analysis::scan(&image, &options, &NoProgress))
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    if !s.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}
