//! The `imginspect` command line. Owns argument parsing, exit codes (fsck(8)
//! conventions) and error display; everything else lives in the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use imginspect::analysis::{self, ScanOptions, ScanResult};
use imginspect::fs::NoProgress;
use imginspect::image::Image;
use imginspect::model::Severity;
use imginspect::report::{json, text};

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
    /// Image to scan (same as `imginspect scan IMAGE`).
    image: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image and report cross-links and other findings.
    Scan {
        image: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exit with status 4 when a finding is at least this severe.
        #[arg(long, value_enum, default_value_t = FailOn::High)]
        fail_on: FailOn,
        /// Also compute the image's SHA-256 (reads the whole image).
        #[arg(long)]
        hash: bool,
    },
    /// Show who claims one block (filesystem block number).
    Block { image: PathBuf, block: u64 },
    /// Show one inode: stat fields, names and its block map.
    Inode { image: PathBuf, inode: u64 },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
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

fn main() -> ExitCode {
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
    let command = match (cli.command, cli.image) {
        (Some(c), _) => c,
        (None, Some(image)) => Command::Scan {
            image,
            format: Format::Text,
            fail_on: FailOn::High,
            hash: false,
        },
        (None, None) => {
            eprintln!("imginspect: no image given (try `imginspect --help`)");
            return ExitCode::from(exit::USAGE);
        }
    };
    ExitCode::from(run(command))
}

fn run(command: Command) -> u8 {
    match command {
        Command::Scan {
            image,
            format,
            fail_on,
            hash,
        } => {
            let result = match open_and_scan(&image, hash) {
                Ok(r) => r,
                Err(e) => {
                    if let Format::Json = format {
                        print(&json::render_error(&image.display().to_string(), &e));
                    }
                    eprintln!("imginspect: {e}");
                    return exit::OPERATIONAL;
                }
            };
            match format {
                Format::Text => print(&text::render(&result)),
                Format::Json => print(&json::render(&result)),
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
            if worst.is_some_and(|w| w >= fail_on.severity()) {
                exit::FINDINGS
            } else {
                exit::CLEAN
            }
        }
        Command::Block { image, block } => with_filesystem(&image, |result| {
            let fs = result.volumes.iter().find_map(|v| v.filesystem.as_ref())?;
            Some(text::block(fs, block))
        }),
        Command::Inode { image, inode } => with_filesystem(&image, |result| {
            let volume = result.volumes.iter().find(|v| v.filesystem.is_some())?;
            let fs = volume.filesystem.as_ref()?;
            match fs.inode(inode) {
                Some(n) => Some(text::inode(fs, &volume.crosslinks, n)),
                None => Some(format!("inode {inode} is not in use (or does not exist)\n")),
            }
        }),
    }
}

fn with_filesystem(image: &Path, f: impl FnOnce(&ScanResult) -> Option<String>) -> u8 {
    let result = match open_and_scan(image, false) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("imginspect: {e}");
            return exit::OPERATIONAL;
        }
    };
    match f(&result) {
        Some(out) => {
            print(&out);
            exit::CLEAN
        }
        None => {
            let why = result
                .volumes
                .iter()
                .find_map(|v| v.error.clone())
                .unwrap_or_else(|| "no filesystem recognised".into());
            eprintln!("imginspect: {}: {why}", image.display());
            exit::OPERATIONAL
        }
    }
}

fn open_and_scan(path: &Path, hash: bool) -> Result<ScanResult, String> {
    let image = Image::open(path).map_err(|e| e.to_string())?;
    Ok(analysis::scan(&image, &ScanOptions { hash }, &NoProgress))
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
