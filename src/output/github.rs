//! The `github` format: GitHub Actions workflow commands.
//!
//! In: the [`Report`]. Out: a `::warning` annotation for every redundant copy (only the new ones
//! with a baseline), at most [`ANNOTATION_CAP`] and then a `::notice` with the number left out, an
//! `::error` for every unreadable path and every broken rule.
//!
//! Paths and messages are escaped by [`walk::escape_controls`] (a control character in a file
//! name becomes `\xNN`, so it can neither colour the log nor end the command) and then encoded
//! for the workflow command (`%`, and in properties `:` and `,`).

use std::io::{self, Write};

use crate::report::Report;
use crate::walk;

/// Annotations written at most (GitHub shows 50 per job).
pub const ANNOTATION_CAP: usize = 50;

/// Escapes the message of a workflow command: control characters (`\r` and `\n` among them) as
/// `\xNN`, then `%` as `%25`.
fn escape_data(s: &str) -> String {
    walk::escape_controls(s).replace('%', "%25")
}

/// Escapes a property value (`file=...`) of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Writes the annotations.
pub(super) fn write(out: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    let mut written = 0;
    let mut left_out = 0;
    let clusters = r.clusters.blocks().flatten();
    for c in clusters.filter(|c| c.kind.is_duplicate()) {
        let rep = &c.members[0];
        for m in &c.members[1..] {
            if m.new == Some(false) || m.reference {
                continue;
            }
            if written == ANNOTATION_CAP {
                left_out += 1;
                continue;
            }
            written += 1;
            let (line, end_line) = m.file_lines();
            let message = format!(
                "{} copy of {}:{} (similarity {:.2}, cluster {} of {})",
                c.kind.name(),
                rep.path,
                rep.file_lines().0,
                m.similarity.unwrap_or(1.0),
                c.id,
                c.size
            );
            writeln!(
                out,
                "::warning file={},line={},endLine={},title=Duplicate paragraph::{}",
                escape_property(m.path),
                line,
                end_line,
                escape_data(&message)
            )?;
        }
    }
    if left_out > 0 {
        writeln!(
            out,
            "::notice title=dedup::{left_out} more redundant copies not annotated; see the JSON report"
        )?;
    }
    for e in &r.errors {
        let line = e.line.map(|l| format!(",line={l}")).unwrap_or_default();
        writeln!(
            out,
            "::error file={}{line},title=Unreadable input::{}",
            escape_property(&e.path),
            escape_data(&e.message)
        )?;
    }
    let with_baseline = r.summary.baseline.is_some();
    if let Some(line) = crate::rules::describe(&r.summary.violations, with_baseline) {
        writeln!(out, "::error title=dedup::{}", escape_data(&line))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a\\x0Ab");
        assert_eq!(escape_property("dir/a:b,c.txt"), "dir/a%3Ab%2Cc.txt");
        assert_eq!(
            escape_property("d\x07/e\x1b[31m.txt"),
            "d\\x07/e\\x1B[31m.txt"
        );
    }
}
