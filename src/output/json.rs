//! The `json` format: one document ending in a newline, pretty on a terminal or with `--pretty`;
//! with `--summary-only` only the settings, summary, files, warnings and errors.
//!
//! In: the [`Report`]. Out: its bytes. Compact JSON is written field by field, the long lists a
//! block at a time: the items of a block are serialized in parallel while the block before is
//! written out; the bytes are those serde_json writes for the whole document (a test holds the
//! compact and the pretty writer to the same document).

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use crate::report::{Report, Section};

/// The report, pretty-printed.
pub(super) fn write_pretty(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    write_json(out, report, true)
}

/// The report without clusters, partial matches and passages.
pub(super) fn write_summary_only(
    out: &mut dyn Write,
    report: &Report<'_>,
    pretty: bool,
) -> io::Result<()> {
    write_json(out, &SummaryOnly::of(report), pretty)
}

fn write_json(out: &mut dyn Write, value: &impl Serialize, pretty: bool) -> io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, value)?;
    } else {
        serde_json::to_writer(&mut *out, value)?;
    }
    out.write_all(b"\n")
}

/// The report as compact JSON: the same bytes as `serde_json::to_writer`, with the items of the
/// long lists serialized in parallel, a block at a time.
pub(super) fn write_compact(out: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    let field = |out: &mut dyn Write, name: &str, value: &dyn erased::Value| -> io::Result<()> {
        out.write_all(if name == "version" { b"{\"" } else { b",\"" })?;
        out.write_all(name.as_bytes())?;
        out.write_all(b"\":")?;
        value.write(out)
    };
    field(out, "version", &r.version)?;
    field(out, "tool", &r.tool)?;
    field(out, "settings", &r.settings)?;
    field(out, "summary", &r.summary)?;
    field(out, "clusters", &erased::Items(&r.clusters))?;
    field(out, "partial_matches", &erased::Items(&r.partial_matches))?;
    field(out, "passages", &erased::Items(&r.passages))?;
    field(out, "files", &erased::Items(&r.files))?;
    field(out, "warnings", &r.warnings)?;
    field(out, "errors", &r.errors)?;
    out.write_all(b"}\n")
}

/// One field value of the compact writer.
mod erased {
    use super::*;

    pub trait Value {
        fn write(&self, out: &mut dyn Write) -> io::Result<()>;
    }

    impl<T: Serialize> Value for T {
        fn write(&self, out: &mut dyn Write) -> io::Result<()> {
            Ok(serde_json::to_writer(out, self)?)
        }
    }

    /// A section, serialized a block at a time in parallel.
    pub struct Items<'s, 'a, T>(pub &'s Section<'a, T>);

    impl<T: Serialize + Send> Value for Items<'_, '_, T> {
        fn write(&self, out: &mut dyn Write) -> io::Result<()> {
            let section = self.0;
            write_array(out, section.block_ranges(), |i| section.get(i))
        }
    }

    /// Items serialized into one buffer by one worker.
    const CHUNK: usize = 128;

    /// Writes the items as a JSON array, a block at a time: the items of a block are serialized
    /// in parallel while this thread writes out the block before.
    fn write_array<T: Serialize>(
        out: &mut dyn Write,
        blocks: impl Iterator<Item = std::ops::Range<usize>>,
        item: impl Fn(usize) -> T + Sync,
    ) -> io::Result<()> {
        let serialize = |block: std::ops::Range<usize>| -> serde_json::Result<Vec<Vec<u8>>> {
            let chunks: Vec<std::ops::Range<usize>> = block
                .clone()
                .step_by(CHUNK)
                .map(|s| s..(s + CHUNK).min(block.end))
                .collect();
            chunks
                .into_par_iter()
                .map(|chunk| {
                    let mut buf = Vec::with_capacity(CHUNK * 256);
                    for i in chunk.clone() {
                        if i > chunk.start {
                            buf.push(b',');
                        }
                        serde_json::to_writer(&mut buf, &item(i))?;
                    }
                    Ok(buf)
                })
                .collect()
        };
        out.write_all(b"[")?;
        let mut first = true;
        let mut write_out = |out: &mut dyn Write, bytes: Vec<Vec<u8>>| -> io::Result<()> {
            for b in bytes {
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                out.write_all(&b)?;
            }
            Ok(())
        };
        let mut serialized = Vec::new();
        for block in blocks {
            let mut next = None;
            rayon::in_place_scope(|s| {
                s.spawn(|_| next = Some(serialize(block)));
                write_out(out, std::mem::take(&mut serialized))
            })?;
            serialized = next.expect("the scope ran to its end")?;
        }
        write_out(out, serialized)?;
        out.write_all(b"]")
    }
}

/// The report without clusters, partial matches and passages.
#[derive(Serialize)]
struct SummaryOnly<'a, 'r> {
    version: u32,
    tool: &'a crate::report::Tool,
    settings: &'a crate::report::Settings,
    summary: &'a crate::report::Summary,
    files: &'a crate::report::Section<'r, crate::report::FileReport<'r>>,
    warnings: &'a [crate::error::Problem],
    errors: &'a [crate::error::Problem],
}

impl<'a, 'r> SummaryOnly<'a, 'r> {
    fn of(r: &'a Report<'r>) -> Self {
        SummaryOnly {
            version: r.version,
            tool: &r.tool,
            settings: &r.settings,
            summary: &r.summary,
            files: &r.files,
            warnings: &r.warnings,
            errors: &r.errors,
        }
    }
}
