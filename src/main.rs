//! The `dedup` command: parses the arguments, runs the pipeline (or `dedup apply`), maps the
//! outcome to an exit status.

mod cli;

use std::process::ExitCode;

use dedup::ExitStatus;
use dedup::message;

fn main() -> ExitCode {
    let outcome = match cli::parse() {
        cli::Job::Find(config) => {
            dedup::tune_allocator();
            dedup::run(&config).map(|outcome| outcome.exit_status())
        }
        cli::Job::Index { config, update } => {
            dedup::tune_allocator();
            dedup::write_index(&config, update).map(|outcome| outcome.exit_status())
        }
        cli::Job::StageManifest {
            config,
            arguments,
            config_file,
            work,
        } => dedup::stage_manifest(&config, arguments, config_file, &work)
            .map(|outcome| outcome.exit_status()),
        cli::Job::Stage {
            config,
            manifest,
            work,
            stage,
        } => {
            dedup::tune_allocator();
            dedup::run_stage(&config, &manifest, &work, stage).map(|outcome| outcome.exit_status())
        }
        cli::Job::Apply(options) => {
            dedup::apply::run(&options).map(|applied| applied.exit_status())
        }
    };
    let status = outcome.unwrap_or_else(|e| {
        message(format_args!("{e}"));
        ExitStatus::Error
    });
    status.into()
}
