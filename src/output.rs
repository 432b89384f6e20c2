//! Output: the finished report to bytes, in the format asked for, written once.
//!
//! In: the [`Report`] (rules checked) and the [`OutputOptions`]. Out: one of
//! - `json`: one document ending in a newline, pretty on a terminal or with `--pretty`; with
//!   `--summary-only` only the settings, summary, files, warnings and errors;
//! - `jsonl`: one JSON object per line, each with a `type`: `header` (version, tool, settings), then
//!   `cluster`, `partial_match`, `passage`, `file`, `warning`, `error` lines, and a closing
//!   `summary` line; every line is serialized on its own, so the writer holds one line at a time;
//! - `github`: GitHub Actions workflow commands: a `::warning` annotation for every redundant copy
//!   (only the new ones with a baseline), at most [`ANNOTATION_CAP`] and then a `::notice` with the
//!   number left out, an `::error` for every unreadable path and every broken rule.
//!
//! A file destination is written through a temporary file in the same directory and renamed into
//! place (on Linux, swapped with an existing report, which is then removed), so a reader never
//! sees half a report. It is not flushed to the disk before the rename:
//! an fsync of a report of gigabytes takes seconds, and surviving a power cut is not promised.
//! Compact JSON is written field by field, the long lists a block at a time: the items of a block
//! are serialized in parallel while the block before is written out; the bytes are those
//! serde_json writes for the whole document.

use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::report::{Report, Section};

/// Annotations written at most in the `github` format (GitHub shows 50 per job).
pub const ANNOTATION_CAP: usize = 50;

/// The report formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// One JSON document.
    #[default]
    Json,
    /// JSON Lines: one object per line.
    Jsonl,
    /// GitHub Actions workflow commands.
    Github,
}

/// How to write the report.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    /// The format.
    pub format: Format,
    /// Pretty-print JSON even when not on a terminal.
    pub pretty: bool,
    /// JSON with the summary and files but no clusters, partial matches or passages.
    pub summary_only: bool,
}

/// Writes the report to `output` (atomically) or to stdout when it is `None` or `-`.
pub fn write(report: &Report<'_>, output: Option<&Path>, options: OutputOptions) -> io::Result<()> {
    match output {
        Some(path) if path != Path::new("-") => write_atomically(path, |out| {
            write_format(out, report, options, options.pretty)
        }),
        _ => {
            let stdout = io::stdout();
            let pretty = options.pretty || stdout.is_terminal();
            let mut out = io::BufWriter::new(stdout.lock());
            write_format(&mut out, report, options, pretty)?;
            out.flush()
        }
    }
}

/// Writes a file through a temporary file in its directory, renamed into place once complete.
/// A destination that exists and is not a regular file (`/dev/null`, a pipe) is written directly.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut out = io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(path)?);
        fill(&mut out)?;
        return out.flush();
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Like any new file: 0666 less the umask, not the temporary file's private 0600.
    let mut temp = tempfile::Builder::new()
        .prefix(".dedup-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(&dir)?;
    let mut out = io::BufWriter::new(temp.as_file_mut());
    fill(&mut out)?;
    out.into_inner().map_err(io::IntoInnerError::into_error)?;
    if exchange(temp.path(), path) {
        // The temporary name now holds the old file; dropping `temp` removes it.
        return Ok(());
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Swaps `temp` and an existing `path` in one step (Linux `renameat2` with `RENAME_EXCHANGE`), so
/// that `path` is never missing or half written; false when `path` does not exist or the file
/// system cannot swap, and a plain rename must do. A rename over an existing file would do the
/// same, but ext4 then starts writing the new file out to the disk before the rename returns
/// (its `auto_da_alloc` guard against empty files after a crash): a tenth of a second for a
/// 280 MB report, seconds for a larger one.
#[cfg(target_os = "linux")]
fn exchange(temp: &Path, path: &Path) -> bool {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, temp, CWD, path, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn exchange(_temp: &Path, _path: &Path) -> bool {
    false
}

fn write_format(
    out: &mut dyn Write,
    report: &Report<'_>,
    options: OutputOptions,
    pretty: bool,
) -> io::Result<()> {
    match options.format {
        Format::Json if options.summary_only => write_json(out, &SummaryOnly::of(report), pretty),
        Format::Json if pretty => write_json(out, report, true),
        Format::Json => write_compact(out, report),
        Format::Jsonl => write_jsonl(out, report),
        Format::Github => write_github(out, report),
    }
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
fn write_compact(out: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
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
    field(out, "files", &erased::Slice(&r.files))?;
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

    /// A slice, serialized a block at a time in parallel.
    pub struct Slice<'s, T>(pub &'s [T]);

    impl<T: Serialize + Sync> Value for Slice<'_, T> {
        fn write(&self, out: &mut dyn Write) -> io::Result<()> {
            let items = self.0;
            let blocks = (0..items.len())
                .step_by(crate::report::SECTION_BLOCK)
                .map(|s| s..(s + crate::report::SECTION_BLOCK).min(items.len()));
            write_array(out, blocks, |i| &items[i])
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
struct SummaryOnly<'a> {
    version: u32,
    tool: &'a crate::report::Tool,
    settings: &'a crate::report::Settings,
    summary: &'a crate::report::Summary,
    files: &'a [crate::report::FileReport],
    warnings: &'a [crate::error::Problem],
    errors: &'a [crate::error::Problem],
}

impl<'a> SummaryOnly<'a> {
    fn of(r: &'a Report<'_>) -> Self {
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

fn write_jsonl(out: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    let header = Header {
        version: r.version,
        tool: &r.tool,
        settings: &r.settings,
    };
    write_line(out, "header", &header)?;
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
    for f in &r.files {
        write_line(out, "file", f)?;
    }
    for w in &r.warnings {
        write_line(out, "warning", w)?;
    }
    for e in &r.errors {
        write_line(out, "error", e)?;
    }
    write_line(out, "summary", &r.summary)
}

/// Escapes the message of a workflow command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=...`) of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn write_github(out: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    let mut written = 0;
    let mut left_out = 0;
    let clusters = r.clusters.blocks().flatten();
    for c in clusters.filter(|c| c.kind != "template") {
        let rep = &c.members[0];
        for m in &c.members[1..] {
            if m.new == Some(false) {
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
                c.kind,
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
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("dir/a:b,c.txt"), "dir/a%3Ab%2Cc.txt");
    }
}
