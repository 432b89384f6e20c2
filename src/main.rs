//! The `dedup` command: parses the arguments, runs the pipeline, maps the outcome to an exit status.

mod cli;

use std::process::ExitCode;

use dedup::ExitStatus;
use dedup::message;

fn main() -> ExitCode {
    let config = cli::parse();
    dedup::tune_allocator();
    let status = match dedup::run(&config) {
        Ok(outcome) => outcome.exit_status(),
        Err(e) => {
            message(format_args!("{e}"));
            ExitStatus::Error
        }
    };
    status.into()
}
