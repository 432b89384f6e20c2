//! `dedup apply`: a report and the files it names to the deduplicated corpus.
//!
//! In: a report as `dedup` wrote it (JSON or JSON Lines, format 1, recording each file's
//! `text_bytes` and `text_hash`), the files it names, read again the way the run read them (from
//! the folder the run ran in: the report's paths are as reached from its arguments), and the
//! [`ApplyOptions`]. Out: the output folder, laid out like the inputs below the folder they have
//! in common, each file with its redundant copies cut ([`cut`], [`jsonl`]) and every other byte
//! as it was, written back in its encoding and compression ([`encode`]); and
//! [`MANIFEST`], one line per paragraph removed (which a run over the output never reads). With `dry_run` those lines go to stdout and
//! nothing is written.
//!
//! What goes is planned from the report alone ([`plan`]). Safety: a file whose text no longer has
//! the length and hash the report recorded is refused, an error naming it, and the other files
//! are still written. The output folder must not exist or be empty and must not be inside an
//! input folder. Everything is written into a hidden folder in it, `.dedup-apply-PID`, and moved
//! into place once every file is complete, so an interrupted apply leaves no file under its final
//! name (only that folder); the inputs are only read. Files are prepared (read, checked, cut,
//! encoded) in parallel and written by one thread, in order.

mod cut;
mod encode;
mod jsonl;
mod plan;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use plan::{Copies, Keep};

use crate::error::{Error, ExitStatus, Problem};
use crate::read::{self, ReadOptions, Source, Text};
use crate::walk;
use plan::{Place, PlannedFile, Removal};

/// The file in the output folder listing every paragraph removed.
pub use walk::REMOVALS_LIST as MANIFEST;

/// What `dedup apply` is asked to do.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The report (`-`: stdin).
    pub report: PathBuf,
    /// The output folder; `None` only for a dry run.
    pub out: Option<PathBuf>,
    /// Which copies go.
    pub copies: Copies,
    /// Which member of a cluster stays.
    pub keep: Keep,
    /// Print what would be removed, write nothing.
    pub dry_run: bool,
    /// Keep a JSON Lines record whose text is left empty (else it is dropped).
    pub keep_empty_records: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// No summary line on stderr.
    pub quiet: bool,
}

/// How an apply ended.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Applied {
    /// Files in the report.
    pub files: usize,
    /// Files written (or, in a dry run, that would be).
    pub files_written: usize,
    /// Files with paragraphs removed.
    pub files_cut: usize,
    /// Paragraphs removed.
    pub paragraphs: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Bytes of all paragraphs of the report's files.
    pub paragraph_bytes: u64,
    /// JSON Lines records dropped because their text was left empty.
    pub records_dropped: usize,
    /// Files refused or not written, each named.
    pub errors: Vec<Problem>,
}

impl Applied {
    /// [`ExitStatus::Error`] when a file was refused or could not be written.
    pub fn exit_status(&self) -> ExitStatus {
        if self.errors.is_empty() {
            ExitStatus::Success
        } else {
            ExitStatus::Error
        }
    }
}

/// One line of the manifest.
#[derive(Serialize)]
struct Removed<'a> {
    #[serde(flatten)]
    paragraph: &'a Place,
    /// The bytes cut with it (its line end and the blank lines after it), in its document's text.
    cut_start: usize,
    cut_end: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    record_dropped: bool,
    cluster: &'a str,
    kind: crate::cluster::Kind,
    kept: &'a Place,
}

/// What became of one file.
#[derive(Default)]
struct FileDone {
    manifest: Vec<u8>,
    paragraphs: usize,
    bytes: u64,
    records_dropped: usize,
    written: bool,
    error: Option<Problem>,
}

/// Runs `dedup apply` on a pool of `options.threads` workers.
pub fn run(options: &ApplyOptions) -> Result<Applied, Error> {
    let report_name = walk::display_path(&options.report);
    let bytes = read_report(&options.report)
        .map_err(|e| Error::Apply(format!("cannot read the report {report_name}: {e}")))?;
    let plan = plan::plan(&bytes, options.copies, options.keep)
        .map_err(|e| Error::Apply(format!("{report_name}: {e}")))?;
    drop(bytes);
    if let Some(file) = plan
        .files
        .iter()
        .find(|f| f.skipped.is_none() && (f.text_bytes.is_none() || f.text_hash.is_none()))
    {
        return Err(Error::Apply(format!(
            "{report_name}: it does not record the text length and hash of {} (written by an \
             older dedup?): run dedup again",
            file.path
        )));
    }
    let root = common_folder(&plan.inputs, &plan.files);
    let out = match (&options.out, options.dry_run) {
        (Some(out), false) => {
            let inputs: Vec<&String> = plan.inputs.iter().chain(&plan.references).collect();
            check_out(out, &inputs).map_err(Error::Apply)?;
            Some(out.as_path())
        }
        _ => None,
    };
    // Each file's place below the output folder.
    let places: Vec<Result<PathBuf, String>> = plan
        .files
        .iter()
        .map(|f| place_below(&root, &f.path))
        .collect();
    if places
        .iter()
        .any(|d| d.as_deref() == Ok(Path::new(MANIFEST)))
    {
        return Err(Error::Apply(format!(
            "the inputs have a file {MANIFEST} at the top, where the list of removals goes"
        )));
    }
    // Everything is written into a hidden folder inside DIR first and moved into place at the
    // end: a file under its final name is complete.
    let staging = out.map(|out| out.join(format!(".dedup-apply-{}", std::process::id())));
    if let Some(staging) = &staging {
        std::fs::create_dir_all(staging).map_err(|e| {
            Error::Apply(format!(
                "cannot create {}: {e}",
                walk::display_path(staging)
            ))
        })?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(Error::Threads)?;
    let done = pool.install(|| {
        let prepare = |i: usize| {
            let file = &plan.files[i];
            match &places[i] {
                Ok(_) => prepare(file, &plan.read, options.keep_empty_records, out.is_some()),
                Err(e) => Prepared::refused(file, e.clone()),
            }
        };
        // The folder made last, so each is made once.
        let mut made = PathBuf::new();
        let write = |i: usize, prepared: Prepared| match (&staging, &places[i]) {
            (Some(staging), Ok(place)) => {
                prepared.write(&plan.files[i], &staging.join(place), &mut made)
            }
            _ => prepared.done,
        };
        prepare_and_write(
            plan.files.len(),
            |i| plan.files[i].text_bytes,
            prepare,
            write,
        )
    });

    let mut applied = Applied {
        files: plan.files.len(),
        paragraph_bytes: plan.files.iter().map(|f| f.paragraph_bytes).sum(),
        ..Applied::default()
    };
    let mut manifest = Vec::new();
    for d in done {
        manifest.extend_from_slice(&d.manifest);
        applied.files_written += usize::from(d.written);
        applied.files_cut += usize::from(d.written && d.paragraphs > 0);
        applied.paragraphs += d.paragraphs;
        applied.bytes += d.bytes;
        applied.records_dropped += d.records_dropped;
        applied.errors.extend(d.error);
    }
    match (out, &staging) {
        (Some(out), Some(staging)) => {
            let path = staging.join(MANIFEST);
            write_new(&path, |w| w.write_all(&manifest)).map_err(|error| {
                let path = out.join(MANIFEST);
                Error::Apply(format!(
                    "cannot write {}: {error}",
                    walk::display_path(&path)
                ))
            })?;
            move_into_place(staging, out).map_err(|error| {
                Error::Apply(format!(
                    "cannot move the files written from {} into {}: {error}",
                    walk::display_path(staging),
                    walk::display_path(out)
                ))
            })?;
        }
        _ => {
            let mut stdout = io::stdout().lock();
            if let Err(e) = stdout.write_all(&manifest).and_then(|()| stdout.flush())
                && e.kind() != io::ErrorKind::BrokenPipe
            {
                return Err(Error::Apply(format!(
                    "cannot write the list of removals: {e}"
                )));
            }
        }
    }
    for problem in &applied.errors {
        crate::message(format_args!("{problem}"));
    }
    if !options.quiet {
        crate::message(format_args!("{}", summary_line(&applied, out)));
    }
    Ok(applied)
}

/// `apply: …` for stderr: what was (or would be) removed and written.
fn summary_line(a: &Applied, out: Option<&Path>) -> String {
    let share = 100.0 * crate::report::ratio(a.bytes, a.paragraph_bytes);
    let removed = format!(
        "{} paragraphs ({} bytes, {share:.1}% of paragraph bytes) from {} of {} files",
        a.paragraphs, a.bytes, a.files_cut, a.files
    );
    let dropped = match a.records_dropped {
        0 => String::new(),
        n => format!("; {n} records left empty dropped"),
    };
    match out {
        Some(out) => format!(
            "apply: removed {removed}{dropped}; {} files written to {}",
            a.files_written,
            walk::display_path(out)
        ),
        None => format!("apply (dry run): would remove {removed}{dropped}"),
    }
}

fn read_report(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new(read::STDIN) {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    std::fs::read(path)
}

/// The output folder must be a new or empty folder, and not inside an input or reference folder
/// (where the next run over them would read it).
fn check_out(out: &Path, inputs: &[&String]) -> Result<(), String> {
    let shown = walk::display_path(out);
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!("the output folder {shown} is not empty"));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(_) if !out.is_dir() && out.exists() => {
            return Err(format!("the output folder {shown} is not a folder"));
        }
        Err(e) => return Err(format!("cannot read the output folder {shown}: {e}")),
    }
    let out_resolved = resolved(out);
    for input in inputs {
        let Ok(input_resolved) = std::fs::canonicalize(input) else {
            continue;
        };
        if input_resolved.is_dir() && out_resolved.starts_with(&input_resolved) {
            return Err(format!(
                "the output folder {shown} is inside the input {input}: the next run over it \
                 would read the output"
            ));
        }
    }
    Ok(())
}

/// `path` made absolute with its symbolic links resolved, as far as it exists.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return rest.iter().rev().fold(real, |p, name| p.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// The folder the output's layout starts from: the deepest folder every input is in (a folder
/// input counts as itself, a file as its folder; without inputs, every file as its folder).
fn common_folder(inputs: &[String], files: &[PlannedFile]) -> PathBuf {
    let is_file = |input: &str| files.iter().any(|f| f.path == input);
    let folders: Vec<PathBuf> = if inputs.is_empty() {
        files.iter().map(|f| parent(&f.path)).collect()
    } else {
        inputs
            .iter()
            .filter(|i| *i != read::STDIN)
            .map(|i| if is_file(i) { parent(i) } else { lexical(i) })
            .collect()
    };
    let Some((first, rest)) = folders.split_first() else {
        return PathBuf::new();
    };
    let mut common: Vec<Component<'_>> = first.components().collect();
    for folder in rest {
        let shared = common
            .iter()
            .zip(folder.components())
            .take_while(|(a, b)| **a == *b)
            .count();
        common.truncate(shared);
    }
    common.iter().collect()
}

/// A path without its `.` components.
fn lexical(path: &str) -> PathBuf {
    Path::new(path)
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}

fn parent(path: &str) -> PathBuf {
    lexical(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where the file `path` goes below the output folder: its place below `root`.
fn place_below(root: &Path, path: &str) -> Result<PathBuf, String> {
    let below = lexical(path)
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .ok()
        .filter(|rel| {
            rel.components().all(|c| matches!(c, Component::Normal(_)))
                && rel.components().next().is_some()
        });
    match below {
        Some(rel) => Ok(rel),
        None if path == read::STDIN => {
            Err("standard input cannot be read again; not written".into())
        }
        None => Err(format!(
            "it is not below {}, the folder the inputs share, so it has no place in the output; \
             not written",
            walk::display_path(root)
        )),
    }
}

/// Moves everything in `staging` into `out`, then removes `staging`.
fn move_into_place(staging: &Path, out: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(staging)? {
        let name = entry?.file_name();
        std::fs::rename(staging.join(&name), out.join(&name))?;
    }
    std::fs::remove_dir(staging)
}

/// The path to open for a report path: as it is, or with the `\xNN` escapes of bytes that were
/// not UTF-8 turned back into those bytes.
fn real_path(shown: &str) -> PathBuf {
    let literal = PathBuf::from(shown);
    #[cfg(unix)]
    if shown.contains("\\x") && !literal.exists() {
        use std::os::unix::ffi::OsStringExt;
        let mut bytes = Vec::with_capacity(shown.len());
        let mut rest = shown.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            let hex = tail
                .strip_prefix(b"x")
                .and_then(|t| t.get(..2))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (b, hex) {
                (b'\\', Some(byte)) => {
                    bytes.push(byte);
                    rest = &tail[3..];
                }
                _ => {
                    bytes.push(b);
                    rest = tail;
                }
            }
        }
        return PathBuf::from(std::ffi::OsString::from_vec(bytes));
    }
    literal
}

/// Files prepared together in parallel; their outputs are written by one thread, in order,
/// while the next block is prepared (threads creating files in one folder at once wait on each
/// other in the file system: on ext4, two were slower than one).
const PREPARED_FILES: usize = 256;

/// The most text bytes of one block of prepared files held before they are written.
const PREPARED_BYTES: u64 = 64 << 20;

/// Prepares files `0..n` in parallel blocks and writes each block's outputs in order on one
/// thread while the next block is prepared; the results in order.
fn prepare_and_write(
    n: usize,
    size: impl Fn(usize) -> Option<u64>,
    prepare: impl Fn(usize) -> Prepared + Sync,
    mut write: impl FnMut(usize, Prepared) -> FileDone + Send,
) -> Vec<FileDone> {
    let mut blocks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for i in 0..n {
        bytes += size(i).unwrap_or(0);
        if i + 1 - start == PREPARED_FILES || bytes >= PREPARED_BYTES || i + 1 == n {
            blocks.push(start..i + 1);
            (start, bytes) = (i + 1, 0);
        }
    }
    let mut done = Vec::with_capacity(n);
    let mut pending: Option<(std::ops::Range<usize>, Vec<Prepared>)> = None;
    let mut write_pending = |pending: Option<(std::ops::Range<usize>, Vec<Prepared>)>,
                             done: &mut Vec<FileDone>| {
        if let Some((range, prepared)) = pending {
            done.extend(range.zip(prepared).map(|(i, p)| write(i, p)));
        }
    };
    for block in blocks {
        let (prepared, ()) = rayon::join(
            || block.clone().into_par_iter().map(&prepare).collect(),
            || write_pending(pending.take(), &mut done),
        );
        pending = Some((block, prepared));
    }
    write_pending(pending, &mut done);
    done
}

/// One file read again, checked and cut, its output still to be written.
struct Prepared {
    done: FileDone,
    output: Output,
}

/// What to write for a file.
enum Output {
    /// Nothing: a FIFO or device, a refused file, or a dry run.
    Nothing,
    /// The file as it is.
    Copy(PathBuf),
    /// These bytes.
    Bytes(Vec<u8>),
}

impl Prepared {
    fn refused(file: &PlannedFile, message: String) -> Prepared {
        Prepared {
            done: FileDone {
                error: Some(Problem {
                    path: file.path.clone(),
                    line: None,
                    message,
                }),
                ..FileDone::default()
            },
            output: Output::Nothing,
        }
    }

    /// Writes the output to `destination`, making its folder unless it is `made` (the last one
    /// made, which it then becomes); an error is the file's.
    fn write(self, file: &PlannedFile, destination: &Path, made: &mut PathBuf) -> FileDone {
        if matches!(self.output, Output::Nothing) {
            return self.done;
        }
        if let Some(folder) = destination.parent()
            && folder != made.as_path()
        {
            if let Err(e) = std::fs::create_dir_all(folder) {
                let message = format!("cannot write {}: {e}", walk::display_path(destination));
                return Prepared::refused(file, message).done;
            }
            *made = folder.to_path_buf();
        }
        let written = match self.output {
            Output::Nothing => return self.done,
            Output::Copy(path) => match std::fs::File::open(path) {
                Ok(mut from) => write_new(destination, |w| io::copy(&mut from, w).map(drop)),
                Err(e) => {
                    return Prepared::refused(file, format!("cannot read it: {e}; not written"))
                        .done;
                }
            },
            Output::Bytes(bytes) => write_new(destination, |w| w.write_all(&bytes)),
        };
        match written {
            Ok(()) => self.done,
            Err(e) => {
                let message = format!("cannot write {}: {e}", walk::display_path(destination));
                Prepared::refused(file, message).done
            }
        }
    }
}

/// Reads one file again, checks it is the file the report saw and cuts its removals; its output
/// (`write`: not in a dry run) is left to write.
fn prepare(
    file: &PlannedFile,
    read_options: &ReadOptions,
    keep_empty_records: bool,
    write: bool,
) -> Prepared {
    let path = real_path(&file.path);
    let written = |output| Prepared {
        done: FileDone {
            written: true,
            ..FileDone::default()
        },
        output,
    };
    match file.skipped.as_deref() {
        // A FIFO or device: nothing to write.
        Some("special") => {
            return Prepared {
                done: FileDone::default(),
                output: Output::Nothing,
            };
        }
        // Binary: copied as it is.
        Some(_) => return written(Output::Copy(path)),
        None => {}
    }
    let text = match read::read(&path, read_options) {
        Ok(Source::Text(text)) => text,
        Ok(Source::Binary { .. }) => {
            let message = "changed since the report was written (binary now); not written";
            return Prepared::refused(file, message.into());
        }
        Err(e) => return Prepared::refused(file, format!("cannot read it: {e}; not written")),
    };
    let hash = read::hash_hex(text.hash);
    if Some(text.bytes.len() as u64) != file.text_bytes || Some(&hash) != file.text_hash.as_ref() {
        let message = format!(
            "changed since the report was written (its text is {} bytes with hash {hash}, the \
             report's {} bytes with hash {}); not written",
            text.bytes.len(),
            file.text_bytes.unwrap_or(0),
            file.text_hash.as_deref().unwrap_or("?"),
        );
        return Prepared::refused(file, message);
    }
    if file.removals.is_empty() {
        return written(Output::Copy(path));
    }
    let cut = if text.jsonl {
        cut_records(&text, &file.removals, read_options, keep_empty_records)
    } else {
        cut_text(&text, &file.removals)
    };
    let (bytes, mut done) = match cut {
        Ok(cut) => cut,
        Err(e) => return Prepared::refused(file, format!("{e}; not written")),
    };
    done.written = true;
    let output = if write {
        match encode::encode(bytes, text.decoding, text.compression) {
            Ok(bytes) => Output::Bytes(bytes),
            Err(e) => {
                return Prepared::refused(
                    file,
                    format!("cannot encode it again: {e}; not written"),
                );
            }
        }
    } else {
        Output::Nothing
    };
    Prepared { done, output }
}

/// Writes a new file (never over an existing one); a file left half written by an error is
/// removed.
fn write_new(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let file = std::fs::File::create_new(path)?;
    let mut out = io::BufWriter::new(file);
    let written = fill(&mut out).and_then(|()| out.flush());
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// A plain text file's text with its removals cut, and the manifest lines.
fn cut_text(text: &Text, removals: &[Removal]) -> Result<(Vec<u8>, FileDone), String> {
    // Offsets count the byte order mark, which stays.
    let start = text.text_start;
    let body = &text.bytes[start..];
    let spans: Vec<_> = removals
        .iter()
        .map(|r| r.member.start.saturating_sub(start)..r.member.end.saturating_sub(start))
        .collect();
    let cuts = cut::cuts(body, &spans).map_err(|bad| bad_span(&bad, start))?;
    let mut done = FileDone::default();
    for (r, c) in removals.iter().zip(&cuts) {
        done.note(r, c.start + start, c.end + start, false);
    }
    let mut bytes = text.bytes[..start].to_vec();
    bytes.extend(cut::cut_out(body, &cuts));
    Ok((bytes, done))
}

fn bad_span(bad: &cut::BadSpan, shift: usize) -> String {
    format!(
        "the report's paragraph at bytes {}..{} does not fit its text of {} bytes",
        bad.span.start + shift,
        bad.span.end + shift,
        bad.len + shift
    )
}

impl FileDone {
    /// Counts a removal and writes its manifest line.
    fn note(&mut self, removal: &Removal, cut_start: usize, cut_end: usize, dropped: bool) {
        let line = Removed {
            paragraph: &removal.member,
            cut_start,
            cut_end,
            record_dropped: dropped,
            cluster: &removal.cluster,
            kind: removal.kind,
            kept: &removal.kept,
        };
        serde_json::to_writer(&mut self.manifest, &line).expect("a manifest line serializes");
        self.manifest.push(b'\n');
        self.paragraphs += 1;
        self.bytes += (removal.member.end - removal.member.start) as u64;
    }
}

/// A JSON Lines file's text with its removals cut from the records' texts (a record left with
/// no text dropped, unless `keep_empty`), and the manifest lines.
fn cut_records(
    text: &Text,
    removals: &[Removal],
    options: &ReadOptions,
    keep_empty: bool,
) -> Result<(Vec<u8>, FileDone), String> {
    let mut by_record: BTreeMap<u32, Vec<&Removal>> = BTreeMap::new();
    for r in removals {
        let record = r
            .member
            .record
            .ok_or("the report names a paragraph of it outside any record")?;
        by_record.entry(record).or_default().push(r);
    }
    let mut done = FileDone::default();
    let mut out = Vec::with_capacity(text.bytes.len());
    let mut at = 0;
    let mut removals = by_record.into_iter().peekable();
    for line in text.record_lines() {
        let Some((_, removals)) = removals.next_if(|(record, _)| *record == line.line) else {
            continue;
        };
        let shown = |e: String| format!("record at line {}: {e}", line.line);
        let line_start = text.text_start + line.offset;
        let record = std::str::from_utf8(line.bytes).map_err(|e| shown(e.to_string()))?;
        let field = jsonl::text_field(record, &options.text_field).map_err(shown)?;
        let spans: Vec<_> = removals
            .iter()
            .map(|r| r.member.start..r.member.end)
            .collect();
        let cuts =
            cut::cuts(field.text.as_bytes(), &spans).map_err(|bad| shown(bad_span(&bad, 0)))?;
        let left = cut::cut_out(field.text.as_bytes(), &cuts);
        let dropped = !keep_empty && left.iter().all(u8::is_ascii_whitespace);
        for (r, c) in removals.iter().zip(&cuts) {
            done.note(r, c.start, c.end, dropped);
        }
        out.extend_from_slice(&text.bytes[at..line_start]);
        if dropped {
            done.records_dropped += 1;
            // The line goes with its line end.
            let end = line_start + line.bytes.len();
            at = match text.bytes.get(end..) {
                Some([b'\r', b'\n', ..]) => end + 2,
                Some([b'\n' | b'\r', ..]) => end + 1,
                _ => end,
            };
        } else {
            let literal = &line.bytes[field.literal.clone()];
            out.extend_from_slice(&line.bytes[..field.literal.start]);
            out.extend(jsonl::cut_literal(literal, &cuts));
            out.extend_from_slice(&line.bytes[field.literal.end..]);
            at = line_start + line.bytes.len();
        }
    }
    if let Some((record, _)) = removals.next() {
        return Err(format!(
            "the report names record {record}, which it does not have"
        ));
    }
    out.extend_from_slice(&text.bytes[at..]);
    Ok((out, done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(path: &str) -> PlannedFile {
        PlannedFile {
            path: path.into(),
            skipped: None,
            text_bytes: None,
            text_hash: None,
            paragraph_bytes: 0,
            removals: Vec::new(),
        }
    }

    #[test]
    fn the_layout_starts_below_the_folder_the_inputs_share() {
        let files = [planned("corpus/a/x.txt"), planned("corpus/b/y.txt")];
        let root = common_folder(&["corpus".into()], &files);
        assert_eq!(root, Path::new("corpus"));
        assert_eq!(
            place_below(&root, "corpus/a/x.txt"),
            Ok(PathBuf::from("a/x.txt"))
        );
        let root = common_folder(&["./corpus/a".into(), "corpus/b".into()], &files);
        assert_eq!(root, Path::new("corpus"));
        let files = [planned("one.txt")];
        let root = common_folder(&["one.txt".into()], &files);
        assert_eq!(place_below(&root, "one.txt"), Ok(PathBuf::from("one.txt")));
        let files = [planned("../up/x.txt"), planned("down/y.txt")];
        let root = common_folder(&["../up".into(), "down".into()], &files);
        assert!(place_below(&root, "../up/x.txt").is_err());
        assert_eq!(
            place_below(&root, "down/y.txt"),
            Ok(PathBuf::from("down/y.txt"))
        );
    }

    #[test]
    fn escaped_bytes_of_a_report_path_name_the_real_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"caf\xE9.txt");
            std::fs::write(dir.path().join(name), "x").expect("write");
            let shown = walk::display_path(&dir.path().join(name));
            assert!(shown.ends_with("caf\\xE9.txt"), "{shown}");
            assert_eq!(real_path(&shown), dir.path().join(name));
        }
    }
}
