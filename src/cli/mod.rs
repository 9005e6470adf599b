//! The commands of the `imginspect` binary: each opens the image, scans it
//! as [`args::Config::scan_options`] says, and writes through a printer of
//! [`imginspect::report`]. Errors are returned to `main`, which reports them
//! and turns them into an exit status.

mod args;
mod cat;
mod heatmap;
mod inspect;
mod load;
mod lookup;
mod output;
mod scan;

use std::io::IsTerminal;

pub use args::Cli;
pub use inspect::install_sigbus_guard;

use args::{Invocation, Task};

/// fsck(8) exit statuses.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 4;
    pub const OPERATIONAL: u8 = 8;
    pub const USAGE: u8 = 16;
}

/// How a run that did its work ended.
pub enum Outcome {
    Clean,
    /// A finding at least as severe as `--fail-on`.
    Findings,
    /// A lookup answered that the filesystem has no such thing (a block
    /// outside it that nothing claims): the answer is on standard output,
    /// the status is 8.
    NotFound,
}

/// The command line asks for something that cannot be done (exit status
/// 16), as opposed to an image or file that cannot be used (8).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Several reasons for one failure, each reported on its own line (every
/// volume of a disk where no filesystem could be read).
#[derive(Debug)]
pub struct Reasons(pub Vec<String>);

impl std::fmt::Display for Reasons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for Reasons {}

/// Does what the command line asks.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let config = match Invocation::new(cli, std::io::stdout().is_terminal())? {
        Invocation::Inspect(inspector) => return inspect::run(inspector),
        Invocation::Run(config) => config,
    };
    let options = config.scan_options();
    match &config.task {
        Task::Scan(args) => scan::run(args, &options),
        Task::Block(args) => lookup::block(args, &options),
        Task::Inode(args) => lookup::inode(args, &options),
        Task::Ls(args) => lookup::ls(args, &options),
        Task::Cat(args) => cat::run(args, &options),
        Task::Heatmap(args) => heatmap::run(args, &options),
    }
}
