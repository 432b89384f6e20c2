//! The `jsonl` format: one JSON object per line, each with a `type`: `header` (version, tool,
//! settings), then `cluster`, `partial_match`, `passage`, `file`, `warning`, `error` lines, and a
//! closing `summary` line.
//!
//! In: the [`Report`]. Out: its lines. Every line is serialized on its own, so the writer holds one
//! line at a time.

use std::io::{self, Write};

use serde::Serialize;

use crate::report::Report;

/// One JSON Lines record: its type, then the fields of the item.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    item: &'a T,
}

#[derive(Serialize)]
struct Header<'a> {
    version: u32,
    tool: &'a crate::report::Tool,
    settings: &'a crate::report::Settings,
}

fn write_line(out: &mut dyn Write, kind: &'static str, item: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Line { kind, item })?;
    out.write_all(b"\n")
}

/// Writes the report as JSON Lines; with `summary_only`, without the cluster, partial match and
/// passage lines.
pub(super) fn write(out: &mut dyn Write, r: &Report<'_>, summary_only: bool) -> io::Result<()> {
    let header = Header {
        version: r.version,
        tool: &r.tool,
        settings: &r.settings,
    };
    write_line(out, "header", &header)?;
    if !summary_only {
        write_findings(out, r)?;
    }
    for block in r.files.blocks() {
        for f in &block {
            write_line(out, "file", f)?;
        }
    }
    for w in &r.warnings {
        write_line(out, "warning", w)?;
    }
    for e in &r.errors {
        write_line(out, "error", e)?;
    }
    write_line(out, "summary", &r.summary)
}

/// The cluster, partial match and passage lines.
fn write_findings(out: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    for block in r.clusters.blocks() {
        for c in &block {
            write_line(out, "cluster", c)?;
        }
    }
    for block in r.partial_matches.blocks() {
        for p in &block {
            write_line(out, "partial_match", p)?;
        }
    }
    for block in r.passages.blocks() {
        for p in &block {
            write_line(out, "passage", p)?;
        }
    }
    Ok(())
}
