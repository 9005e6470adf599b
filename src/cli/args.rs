//! The command line as clap parses it, and the one checked [`Invocation`] a
//! run is made from: the inspector, or a [`Config`] for a command that scans.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use imginspect::analysis::{JournalMode, ScanOptions};
use imginspect::fs::Detail;
use imginspect::model::Severity;

use super::UsageError;

#[derive(Parser)]
#[command(
    name = "imginspect",
    version,
    about = "Forensic inspection of filesystem images: who owns every block, and which blocks are cross-linked",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
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

impl ColorChoice {
    /// Whether the inspector draws in colour: NO_COLOR (non-empty) turns it
    /// off unless `--color always`.
    fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image and report cross-links and other findings.
    Scan(ScanArgs),
    /// Show who claims one block (filesystem block number).
    Block(BlockArgs),
    /// Show one inode: stat fields, names and its block map.
    Inode(InodeArgs),
    /// List names with inode numbers, as `fls -r -p` (deleted entries marked `*`).
    Ls(LsArgs),
    /// Write a file's bytes, read through imginspect's own block map (as `icat`).
    Cat(CatArgs),
    /// Write the ownership heatmap as a PNG picture with a legend
    /// (cross-links hatched, so that they show in greyscale print too).
    Heatmap(HeatmapArgs),
    /// Open the inspector on a teaching image built into the binary
    /// (/etc/shadow cross-linked with a world-readable file).
    Demo,
}

#[derive(Args)]
pub struct ScanArgs {
    pub image: PathBuf,
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Exit with status 4 when a finding is at least this severe (default:
    /// high; for the timelines, bodyfile and dfxml, never unless asked, so
    /// that a `set -e` pipeline building a timeline does not stop on an
    /// image with findings).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Also compute the image's SHA-256 (reads the whole image); with
    /// `--format dfxml`, every regular file's md5, sha1 and sha256 (`hashdigest`).
    #[arg(long)]
    pub hash: bool,
    /// Write the report to this new file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists (never the image).
    #[arg(long)]
    pub force: bool,
}

impl ScanArgs {
    /// The severity from which findings make the exit status 4, if any.
    pub fn failing_severity(&self) -> Option<Severity> {
        match (self.fail_on, self.format) {
            (Some(threshold), _) => Some(threshold.severity()),
            (None, ScanFormat::Bodyfile | ScanFormat::Dfxml) => None,
            (None, _) => Some(Severity::High),
        }
    }

    /// `imginspect IMAGE` when standard output is not a terminal: the text
    /// report on standard output, as `scan IMAGE` gives it.
    fn plain(image: PathBuf) -> ScanArgs {
        ScanArgs {
            image,
            format: ScanFormat::Text,
            fail_on: None,
            hash: false,
            output: None,
            force: false,
        }
    }
}

impl BlockArgs {
    /// The block, when it is given as a plain (linear) number.
    pub fn linear_block(&self) -> Option<u64> {
        self.block.trim().parse().ok()
    }
}

#[derive(Args)]
pub struct BlockArgs {
    pub image: PathBuf,
    /// A filesystem block number, or the block in the format's own
    /// numbering as its tools print it: "fsblock 32781" (XFS), "cluster 5"
    /// (FAT; the cluster's first sector).
    pub block: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// On a partitioned disk, the partition (as numbered in `scan`);
    /// default: the first one that holds a filesystem.
    #[arg(long)]
    pub partition: Option<u32>,
}

#[derive(Args)]
pub struct InodeArgs {
    pub image: PathBuf,
    /// An inode number, or a path ("/etc/shadow").
    pub inode: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// On a partitioned disk, the partition (as numbered in `scan`);
    /// default: the first one that holds a filesystem.
    #[arg(long)]
    pub partition: Option<u32>,
}

#[derive(Args)]
pub struct LsArgs {
    pub image: PathBuf,
    /// The directory to list (default: the root).
    #[arg(default_value = "/")]
    pub path: String,
    /// Everything below the directory, not only its entries.
    #[arg(short, long)]
    pub recursive: bool,
    /// Also list deleted entries.
    #[arg(long)]
    pub deleted: bool,
    #[arg(long)]
    pub partition: Option<u32>,
}

#[derive(Args)]
pub struct CatArgs {
    pub image: PathBuf,
    /// An inode number, or a path such as /etc/shadow.
    pub file: String,
    /// Write to this new file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists (never the image).
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub partition: Option<u32>,
}

#[derive(Args)]
pub struct HeatmapArgs {
    pub image: PathBuf,
    /// The new PNG file to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Width of the picture in pixels (320–8192).
    #[arg(long, default_value_t = 1024)]
    pub width: u32,
    /// Replace the output file if it exists (never the image).
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub partition: Option<u32>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// What `scan` can write.
#[derive(Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    /// The Sleuth Kit 3 bodyfile of every file, for `mactime`.
    Bodyfile,
    /// DFXML 1.2.0 (as `fiwalk -X`), with the findings in their own namespace.
    Dfxml,
    /// One self-contained HTML page: summary, ownership maps, findings, explanations.
    Html,
}

impl ScanFormat {
    /// Whether the report lists every file (and so needs every inode in the
    /// model), not only what the findings name.
    fn lists_every_file(self) -> bool {
        matches!(
            self,
            ScanFormat::Bodyfile | ScanFormat::Dfxml | ScanFormat::Html
        )
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl FailOn {
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
            FailOn::Info => Severity::Info,
        }
    }
}

/// What one run of imginspect does, checked.
pub enum Invocation {
    /// The interactive inspector.
    Inspect(Inspector),
    /// A command that scans the image and writes what it found.
    Run(Config),
}

/// The inspector's settings.
pub struct Inspector {
    /// The image to open; `None` for the built-in demo.
    pub image: Option<PathBuf>,
    pub color: bool,
    pub mouse: bool,
    pub journal: JournalMode,
}

/// A command that scans, with the view of the journal it is asked for.
pub struct Config {
    pub journal: JournalMode,
    pub task: Task,
}

/// The commands that scan an image.
pub enum Task {
    Scan(ScanArgs),
    Block(BlockArgs),
    Inode(InodeArgs),
    Ls(LsArgs),
    Cat(CatArgs),
    Heatmap(HeatmapArgs),
}

impl Invocation {
    /// Checks what the command line asks for: the inspector needs a terminal,
    /// and without one `imginspect IMAGE` is `scan IMAGE`.
    pub fn new(cli: Cli, stdout_is_terminal: bool) -> Result<Invocation, UsageError> {
        let journal = cli.journal.mode();
        let inspect = |image| {
            if !stdout_is_terminal {
                return Err(UsageError(
                    "the inspector needs a terminal (use `imginspect scan` in pipelines)".into(),
                ));
            }
            Ok(Invocation::Inspect(Inspector {
                image,
                color: cli.color.enabled(),
                mouse: cli.mouse,
                journal,
            }))
        };
        let task = match (cli.command, cli.image) {
            (Some(Command::Demo), _) => return inspect(None),
            (Some(Command::Scan(args)), _) => Task::Scan(args),
            (Some(Command::Block(args)), _) => Task::Block(args),
            (Some(Command::Inode(args)), _) => Task::Inode(args),
            (Some(Command::Ls(args)), _) => Task::Ls(args),
            (Some(Command::Cat(args)), _) => Task::Cat(args),
            (Some(Command::Heatmap(args)), _) => Task::Heatmap(args),
            (None, Some(image)) if stdout_is_terminal => return inspect(Some(image)),
            (None, Some(image)) => Task::Scan(ScanArgs::plain(image)),
            (None, None) => {
                return Err(UsageError(
                    "no image given (try `imginspect --help`)".into(),
                ));
            }
        };
        Ok(Invocation::Run(Config { journal, task }))
    }
}

impl Config {
    /// What the scan builds for the task: the one place where scan options
    /// are chosen.
    pub fn scan_options(&self) -> ScanOptions {
        let (hash, parse_only, detail) = match &self.task {
            // The report names only what the findings involve: the model
            // keeps no more, unless every file is listed.
            Task::Scan(args) if args.format.lists_every_file() => {
                (args.hash, false, Detail::Everything)
            }
            Task::Scan(args) => (args.hash, false, Detail::FindingsOnly),
            // Who claims one block needs the model alone, and of it only
            // the names and the inodes that claim the block.
            // A block in the format's own numbering is resolved through the
            // model, which then has to be whole (it always is where such
            // numbering exists: XFS and FAT are modelled whole).
            Task::Block(args) => match args.linear_block() {
                Some(block) => (false, true, Detail::Claiming(block)),
                None => (false, true, Detail::Everything),
            },
            // The cross-links mark the inodes that take part in one.
            Task::Inode(_) | Task::Ls(_) => (false, false, Detail::Everything),
            // The bytes are read through the model's block map; the
            // cross-links say when they are another file's too.
            Task::Cat(_) => (false, false, Detail::Everything),
            // Every inode's runs colour the cells they own.
            Task::Heatmap(_) => (false, false, Detail::Everything),
        };
        ScanOptions {
            hash,
            parse_only,
            detail,
            journal: self.journal,
        }
    }
}
