//! The `imginspect` command line: parses the arguments and turns the outcome
//! into an exit status (fsck(8) conventions). The commands are in [`cli`];
//! everything else lives in the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Outcome, Reasons, UsageError, exit};

fn main() -> ExitCode {
    cli::install_sigbus_guard();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::CLEAN
            });
        }
    };
    ExitCode::from(exit_status(cli::run(args)))
}

/// The exit status of a run; an error is said on standard error first.
fn exit_status(outcome: anyhow::Result<Outcome>) -> u8 {
    let error = match outcome {
        Ok(Outcome::Clean) => return exit::CLEAN,
        Ok(Outcome::Findings) => return exit::FINDINGS,
        Ok(Outcome::NotFound) => return exit::OPERATIONAL,
        Err(error) => error,
    };
    match error.downcast_ref::<Reasons>() {
        Some(Reasons(reasons)) => reasons
            .iter()
            .for_each(|reason| eprintln!("imginspect: {reason}")),
        None => eprintln!("imginspect: {error:#}"),
    }
    if error.is::<UsageError>() {
        exit::USAGE
    } else {
        exit::OPERATIONAL
    }
}
