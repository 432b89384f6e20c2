//! What can go wrong, and how a run ends.
//!
//! In: failures met on the way (a file that cannot be read, a record that cannot be parsed, a
//! report that cannot be written). Out: [`Problem`]s, collected once each in [`Problems`] and
//! reported in `errors` or `warnings` while the run goes on; an [`Error`] that stops the run; and
//! the [`ExitStatus`] of a finished run ([`crate::Outcome`]).

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use crate::walk;

/// A path and what went wrong with it; reported in `errors` or `warnings`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Problem {
    /// The path as reached from the arguments.
    pub path: String,
    /// For a JSON Lines record, its 1-based line in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What happened.
    pub message: String,
}

impl Problem {
    /// A problem with `path`.
    pub fn new(path: &Path, message: impl Into<String>) -> Self {
        Problem {
            path: walk::display_path(path),
            line: None,
            message: message.into(),
        }
    }

    /// A problem with the record at `line` of `path`.
    pub fn at_line(path: &Path, line: u32, message: impl Into<String>) -> Self {
        Problem {
            line: Some(line),
            ..Problem::new(path, message)
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Problems in the order they were met, each once: a file met again in a later block or stage
/// fails again, and is reported once.
#[derive(Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
    seen: HashSet<Problem>,
}

impl Problems {
    /// Adds `problem` unless it is already there.
    pub fn push(&mut self, problem: Problem) {
        if !self.seen.contains(&problem) {
            self.seen.insert(problem.clone());
            self.list.push(problem);
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The problems, in the order they were first met.
    pub fn into_vec(self) -> Vec<Problem> {
        self.list
    }
}

impl Extend<Problem> for Problems {
    fn extend<I: IntoIterator<Item = Problem>>(&mut self, problems: I) {
        for problem in problems {
            self.push(problem);
        }
    }
}

/// What a failed write was writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The report (`-o FILE`, or stdout).
    Report,
    /// The baseline (`--write-baseline FILE`).
    Baseline,
    /// The reference index (`dedup index -o FILE`).
    Index,
    /// A file of a staged run's work folder (`dedup stage ...`).
    Stage,
}

/// A failure that stops the run before a report is written.
#[derive(Debug)]
pub enum Error {
    /// The thread pool could not be started.
    Threads(rayon::ThreadPoolBuildError),
    /// The report or the baseline could not be written.
    Output {
        /// What was being written.
        what: Written,
        /// The file named on the command line (never the temporary file it is written through);
        /// `None` for stdout.
        path: Option<PathBuf>,
        /// Why.
        error: io::Error,
    },
    /// `dedup apply` cannot start: the report cannot be read or used, or the output folder cannot
    /// be (the message says which, naming it).
    Apply(String),
    /// A reference index cannot be used (the message names it and says why).
    Index(String),
    /// A stage of a staged run cannot go on (the message names the file and says why).
    Stage(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Threads(e) => write!(f, "cannot start worker threads: {e}"),
            Error::Output { what, path, error } => {
                let what = match what {
                    Written::Report => "the report",
                    Written::Baseline => "the baseline",
                    Written::Index => "the index",
                    Written::Stage => "the stage's file",
                };
                match path {
                    Some(path) => {
                        let path = walk::display_path(path);
                        write!(f, "cannot write {what} to {path}: {error}")
                    }
                    None => write!(f, "cannot write {what}: {error}"),
                }
            }
            Error::Apply(message) => write!(f, "apply: {message}"),
            Error::Index(message) | Error::Stage(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Threads(e) => Some(e),
            Error::Output { error, .. } => Some(error),
            Error::Apply(_) | Error::Index(_) | Error::Stage(_) => None,
        }
    }
}

/// The process exit status (DESIGN.md, "Command line").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the run finished and no CI rule was broken.
    Success,
    /// 1: a CI rule given on the command line was broken.
    RuleBroken,
    /// 2: an error (bad arguments, an unreadable input, a failed write); wins over a broken rule.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::RuleBroken => 1,
            ExitStatus::Error => 2,
        })
    }
}
