//! Output: the finished report to bytes, in the format asked for, written once.
//!
//! In: the [`Report`] (rules checked) and the [`OutputOptions`]. Out: the report on stdout or in
//! a file, in one of the formats, each in a file of its own: `json` (one document), `jsonl` (one
//! object per line), `github` (workflow commands, at most [`ANNOTATION_CAP`] annotations),
//! `text` (for a person at a terminal) and `html` (one page for a browser). A file destination is written through
//! [`write_atomically`], so a reader never sees half a report.

pub(crate) mod atomic;
mod github;
mod html;
mod json;
mod jsonl;
mod text;

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::report::Report;

pub use atomic::write_atomically;

pub use github::ANNOTATION_CAP;
pub use text::TextOptions;

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
    /// For a person: the largest findings of each kind, sized for a screen.
    Text,
    /// One self-contained HTML page to explore the findings in a browser.
    Html,
}

impl Format {
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Github => "github",
            Format::Text => "text",
            Format::Html => "html",
        }
    }
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
    /// What the text format shows.
    pub text: TextOptions,
    /// Also write GitHub annotations to stdout (the report goes to a file).
    pub annotations: bool,
}

/// Writes the report to `output` (atomically) or to stdout when it is `None` or `-`.
/// With `options.annotations`, the GitHub annotations then go to stdout, naming the file.
pub fn write(report: &Report<'_>, output: Option<&Path>, options: OutputOptions) -> io::Result<()> {
    let file = output.filter(|&p| p != Path::new("-"));
    match file {
        Some(path) => write_atomically(path, |out| {
            write_format(out, report, options, options.pretty)
        }),
        None => {
            let stdout = io::stdout();
            let pretty = options.pretty || stdout.is_terminal();
            let mut out = io::BufWriter::new(stdout.lock());
            write_format(&mut out, report, options, pretty)?;
            out.flush()
        }
    }?;
    if options.annotations {
        let mut out = io::BufWriter::new(io::stdout().lock());
        github::write(&mut out, report, file)?;
        out.flush()?;
    }
    Ok(())
}

fn write_format(
    out: &mut dyn Write,
    report: &Report<'_>,
    options: OutputOptions,
    pretty: bool,
) -> io::Result<()> {
    match options.format {
        Format::Json if options.summary_only => json::write_summary_only(out, report, pretty),
        Format::Json if pretty => json::write_pretty(out, report),
        Format::Json => json::write_compact(out, report),
        Format::Jsonl => jsonl::write(out, report, options.summary_only),
        Format::Github => github::write(out, report, None),
        Format::Text => text::write(out, report, options.text),
        Format::Html => html::write(out, report),
    }
}
