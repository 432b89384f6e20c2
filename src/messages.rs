//! What a person reads on stderr: errors, warnings, the broken rules and the summary line.
//!
//! In: the finished report (its problems, violations and summary). Out: `dedup: ` lines on stderr.
//! Writes to stderr ignore failures: a closed stderr must not stop or fail the run. Every line
//! goes through [`walk::escape_controls`], so a control character in a file name (ESC, BEL, a
//! newline) is printed as `\xNN`, never raw.

use std::fmt;
use std::io::{self, Write};

use crate::report::Report;
use crate::rules;
use crate::walk;

/// Writes `dedup: <message>` to stderr, its control characters escaped as `\xNN`, ignoring
/// failures (a closed stderr must not panic).
pub fn message(args: fmt::Arguments<'_>) {
    let line = args.to_string();
    let line = walk::escape_controls(&line);
    let _ = writeln!(io::stderr().lock(), "dedup: {line}");
}

/// The problems met, before the report is written: every error, and unless `quiet` every
/// warning and a note when the paths held no file.
pub fn problems(report: &Report<'_>, quiet: bool) {
    for problem in &report.errors {
        message(format_args!("{problem}"));
    }
    if !quiet {
        for problem in &report.warnings {
            message(format_args!("warning: {problem}"));
        }
    }
}

/// After the report is written: the rules broken, and unless `quiet` the one-line summary.
pub fn outcome(report: &Report<'_>, quiet: bool) {
    let s = &report.summary;
    if let Some(line) = rules::describe(&s.violations, s.baseline.is_some()) {
        message(format_args!("{line}"));
    }
    if !quiet {
        let against = s.reference.as_ref().map_or(String::new(), |r| {
            format!(
                " (against {} reference files, {} paragraphs)",
                r.files, r.paragraphs
            )
        });
        message(format_args!(
            "{} files, {} paragraphs{against}: {}",
            s.files,
            s.paragraphs,
            s.clusters_line()
        ));
    }
}
