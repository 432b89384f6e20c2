//! The `github` format: GitHub Actions workflow commands.
//!
//! In: the [`Report`], and where the full report was written, if it was. Out: the workflow
//! commands, within what GitHub shows for one step ([`ANNOTATION_CAP`] of each level): a broken
//! rule as the first `::error`, then the unreadable paths; a `::warning` for each of the most
//! important redundant copies (only the new ones with a baseline; in the largest clusters first,
//! then the longest paragraphs, then in report order); and a `::notice` saying exactly how many
//! copies and errors were left out and where the full report is.
//!
//! Paths and messages are escaped by [`walk::escape_controls`] (a control character in a file
//! name becomes `\xNN`, so it can neither colour the log nor end the command) and then encoded
//! for the workflow command (`%`, and in properties `:` and `,`).

use std::collections::BinaryHeap;
use std::io::{self, Write};
use std::path::Path;

use crate::report::Report;
use crate::walk;

/// Annotations of each level written at most: GitHub shows 10 warnings, 10 errors and 10
/// notices per step (and 50 per job).
pub const ANNOTATION_CAP: usize = 10;

/// Escapes the message of a workflow command: control characters (`\r` and `\n` among them) as
/// `\xNN`, then `%` as `%25`.
fn escape_data(s: &str) -> String {
    walk::escape_controls(s).replace('%', "%25")
}

/// Escapes a property value (`file=...`) of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A redundant copy to annotate, ranked: the largest cluster first, then the longest
/// paragraph, then report order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    size: std::cmp::Reverse<usize>,
    bytes: std::cmp::Reverse<usize>,
    order: usize,
    cluster: usize,
    member: usize,
}

/// Writes the workflow commands; `full_report` is where the report was written, if it was.
pub(super) fn write(
    out: &mut dyn Write,
    r: &Report<'_>,
    full_report: Option<&Path>,
) -> io::Result<()> {
    let with_baseline = r.summary.baseline.is_some();
    let rule = crate::rules::describe(&r.summary.violations, with_baseline);
    let error_room = ANNOTATION_CAP - usize::from(rule.is_some());
    if let Some(line) = &rule {
        writeln!(out, "::error title=dedup::{}", escape_data(line))?;
    }
    for e in r.errors.iter().take(error_room) {
        let line = e.line.map(|l| format!(",line={l}")).unwrap_or_default();
        writeln!(
            out,
            "::error file={}{line},title=Unreadable input::{}",
            escape_property(&e.path),
            escape_data(&e.message)
        )?;
    }

    // The best ANNOTATION_CAP copies, kept in a heap whose top is the worst of them.
    let mut best: BinaryHeap<Rank> = BinaryHeap::new();
    let mut copies = 0;
    let mut cluster = 0;
    for block in r.clusters.blocks() {
        for c in &block {
            if c.kind.is_duplicate() {
                for (member, m) in c.members.iter().enumerate().skip(1) {
                    if m.new == Some(false) || m.reference {
                        continue;
                    }
                    let rank = Rank {
                        size: std::cmp::Reverse(c.size),
                        bytes: std::cmp::Reverse(m.end - m.start),
                        order: copies,
                        cluster,
                        member,
                    };
                    copies += 1;
                    if best.len() < ANNOTATION_CAP {
                        best.push(rank);
                    } else if best.peek().is_some_and(|worst| rank < *worst) {
                        best.pop();
                        best.push(rank);
                    }
                }
            }
            cluster += 1;
        }
    }
    for rank in best.into_sorted_vec() {
        let c = r.clusters.get(rank.cluster);
        let (rep, m) = (&c.members[0], &c.members[rank.member]);
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

    let copies_left = copies.saturating_sub(ANNOTATION_CAP);
    let errors_left = r.errors.len().saturating_sub(error_room);
    if copies_left > 0 || errors_left > 0 {
        let mut left = Vec::new();
        if copies_left > 0 {
            left.push(format!(
                "{copies_left} of {copies} {}redundant copies",
                if with_baseline { "new " } else { "" }
            ));
        }
        if errors_left > 0 {
            left.push(format!(
                "{errors_left} of {} unreadable inputs",
                r.errors.len()
            ));
        }
        let whole = match full_report {
            Some(path) => format!("all of them are in {}", walk::display_path(path)),
            None => "write the full report with -o FILE --annotations github".to_owned(),
        };
        let message = format!(
            "{} not annotated (GitHub shows {ANNOTATION_CAP} of each kind per step); {whole}",
            left.join(" and ")
        );
        writeln!(out, "::notice title=dedup::{}", escape_data(&message))?;
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
