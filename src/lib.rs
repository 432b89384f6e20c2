//! `dedup`: find exact, near-duplicate and templated paragraphs in a corpus of text files.
//!
//! The pipeline runs in one direction, one module per stage:
//! [`walk`] → [`read`] → [`segment`] → [`normalize`] → [`fingerprint`] → [`matching`] →
//! [`cluster`] → [`report`]. [`run`] drives it for a [`Config`] and returns an [`Outcome`] whose
//! [`Outcome::exit_code`] is the process's exit status. Stages 2–5 run in parallel per file and
//! stage 6 per band and per candidate block; results are merged in path order, so the report's
//! bytes never depend on the thread count.

#![deny(missing_docs)]

mod alloc;
pub mod cluster;
pub mod fingerprint;
pub mod matching;
pub mod normalize;
pub mod output;
pub mod partial;
pub mod passages;
pub mod read;
pub mod report;
pub mod rules;
pub mod segment;
pub mod sets;
pub mod utf8;
pub mod walk;

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::fingerprint::{
    Claims, FileFingerprints, Fingerprinter, Fingerprints, Params, banding_for,
    candidate_probability,
};
use crate::segment::Span;
use crate::walk::WalkOptions;

/// Exit status: the run finished and no CI rule was broken.
pub const EXIT_OK: i32 = 0;
/// Exit status: a CI rule given on the command line was broken.
pub const EXIT_RULE_BROKEN: i32 = 1;
/// Exit status: an error (bad arguments, an unreadable input, a failed write).
pub const EXIT_ERROR: i32 = 2;

/// Default words per shingle.
pub const DEFAULT_SHINGLE: usize = 3;
/// Default Jaccard threshold.
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Default minimum number of tokens for near matching.
pub const DEFAULT_MIN_WORDS: usize = 8;
/// Default shortest shared run reported as a partial match, in words.
pub const DEFAULT_MIN_SHARED_WORDS: usize = 8;
/// Default boilerplate cap: fingerprints and LSH keys shared by more paragraphs are not
/// expanded into candidate pairs.
pub const DEFAULT_BOILERPLATE_CAP: usize = 20;

/// Everything a run needs, already checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Files and directories to read; `-` is stdin.
    pub inputs: Vec<PathBuf>,
    /// A file listing more paths to read (`-`: stdin).
    pub files_from: Option<PathBuf>,
    /// The path list is separated by NUL bytes instead of newlines.
    pub null_separated: bool,
    /// Where to write the report; `None` or `-` is stdout.
    pub output: Option<PathBuf>,
    /// Format, pretty-printing, summary only.
    pub output_options: output::OutputOptions,
    /// The CI rules to check.
    pub rules: rules::Rules,
    /// An earlier report or baseline whose clusters are known.
    pub baseline: Option<PathBuf>,
    /// Where to write a baseline accepting every duplicate cluster of this run.
    pub write_baseline: Option<PathBuf>,
    /// How to walk the inputs.
    pub walk: WalkOptions,
    /// How to read and decode files.
    pub read: read::ReadOptions,
    /// Words per shingle (k ≥ 1).
    pub shingle: usize,
    /// Jaccard threshold, in (0, 1].
    pub threshold: f64,
    /// Paragraphs with fewer tokens are matched exactly only.
    pub min_words: usize,
    /// Look for exact duplicates only.
    pub exact_only: bool,
    /// Mask figures: paragraphs alike but for their figures count as duplicates.
    pub ignore_figures: bool,
    /// Keep British and American spellings apart (no spelling folding).
    pub keep_spelling: bool,
    /// Shortest shared run of words reported as a partial match (t ≥ shingle).
    pub min_shared_words: usize,
    /// Winnowed fingerprints shared by more distinct paragraphs are not used as seeds; LSH
    /// buckets larger than this are compared against their first paragraph only.
    pub boilerplate_cap: usize,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// No summary line and no warnings on stderr (errors are still printed).
    pub quiet: bool,
}

impl Config {
    /// The normalization options of this run.
    pub fn normalize_options(&self) -> normalize::Options {
        normalize::Options {
            ignore_figures: self.ignore_figures,
            fold_spelling: !self.keep_spelling,
        }
    }

    /// The winnowing window w = t − k + 1 (0 when partial matching is off).
    pub fn window(&self) -> usize {
        if self.exact_only {
            0
        } else {
            (self.min_shared_words + 1).saturating_sub(self.shingle)
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inputs: Vec::new(),
            files_from: None,
            null_separated: false,
            output: None,
            output_options: output::OutputOptions::default(),
            rules: rules::Rules::default(),
            baseline: None,
            write_baseline: None,
            walk: WalkOptions::default(),
            read: read::ReadOptions::default(),
            shingle: DEFAULT_SHINGLE,
            threshold: DEFAULT_THRESHOLD,
            min_words: DEFAULT_MIN_WORDS,
            exact_only: false,
            ignore_figures: false,
            keep_spelling: false,
            min_shared_words: DEFAULT_MIN_SHARED_WORDS,
            boilerplate_cap: DEFAULT_BOILERPLATE_CAP,
            threads: 0,
            quiet: false,
        }
    }
}

/// A path and what went wrong with it; reported in `errors` or `warnings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The path as reached from the arguments.
    pub path: String,
    /// For a JSON Lines record, its 1-based line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// A failure that stops the run before a report is written.
#[derive(Debug)]
pub enum Error {
    /// The thread pool could not be started.
    Threads(rayon::ThreadPoolBuildError),
    /// The report could not be written.
    Output(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Threads(e) => write!(f, "cannot start worker threads: {e}"),
            Error::Output(e) => write!(f, "cannot write the report: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The summary of the report as written.
    pub summary: report::Summary,
    /// The paths that could not be read, as in the report.
    pub errors: Vec<Problem>,
}

impl Outcome {
    /// The process exit status: [`EXIT_ERROR`] when any input could not be read (an error wins),
    /// [`EXIT_RULE_BROKEN`] when a CI rule was broken, else [`EXIT_OK`].
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            EXIT_ERROR
        } else if !self.summary.violations.is_empty() {
            EXIT_RULE_BROKEN
        } else {
            EXIT_OK
        }
    }
}

/// One file of the corpus.
#[derive(Debug, Clone, Default)]
pub struct FileEntry {
    /// The path used to open it (`-` for stdin).
    pub path: PathBuf,
    /// The path as printed in the report.
    pub display: String,
    /// Bytes of its text when it was read (after decompression and decoding).
    pub size: u64,
    /// Hash of its text when it was read, to tell whether it changed when read again.
    pub hash: u64,
    /// Skipped as binary.
    pub binary: bool,
    /// The compression it was stored with.
    pub compression: Option<read::Compression>,
    /// How its bytes were decoded (`None` for a binary file).
    pub decoding: Option<read::Decoding>,
    /// For JSON Lines, the number of records read.
    pub records: Option<usize>,
    /// The text of stdin or a pipe, which cannot be read twice.
    pub kept: Option<Arc<read::Text>>,
}

/// One document: a whole text file or one JSON Lines record.
#[derive(Debug, Clone, Default)]
pub struct DocumentEntry {
    /// Index of its file in [`Corpus::files`].
    pub file: u32,
    /// For a record, its 1-based line in the file.
    pub record: Option<u32>,
    /// For a record, where its line starts in the file's decoded text (after a byte order
    /// mark), so that reading it again parses that line only.
    pub offset: u64,
    /// For a record, its id.
    pub id: Option<Box<str>>,
}

/// One paragraph of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct Paragraph {
    /// Index of its file in [`Corpus::files`].
    pub file: u32,
    /// Index of its document in [`Corpus::documents`].
    pub document: u32,
    /// 0-based index in its document.
    pub index: u32,
    /// The low 32 bits of xxh3-64 of its bytes: with the length, tells a byte-for-byte copy
    /// (whose words sit at the same offsets) from one that only normalizes the same.
    pub bytes_hash: u32,
    /// Where it is in its document's text.
    pub span: Span,
}

impl Paragraph {
    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        (self.span.end - self.span.start) as u64
    }

    /// Whether it is empty (never: paragraphs hold a non-blank character).
    pub fn is_empty(&self) -> bool {
        self.span.end == self.span.start
    }
}

/// Everything read from the inputs, in report order (path, then record, then line).
#[derive(Debug, Default)]
pub struct Corpus {
    /// How the files were read (to read them again the same way).
    pub read_options: read::ReadOptions,
    /// Files read or skipped, sorted by path.
    pub files: Vec<FileEntry>,
    /// Documents of all files, in file order.
    pub documents: Vec<DocumentEntry>,
    /// Paragraphs of all files; a paragraph's id is its index here.
    pub paragraphs: Vec<Paragraph>,
    /// One fingerprint per paragraph (emptied once the clusters are built).
    pub fingerprints: Fingerprints,
    /// Paragraphs under `min_words`.
    pub short_paragraphs: usize,
    /// The text of the last file read again, kept for the next call: ids come in blocks in path
    /// order, so a large file spans many blocks and is read once instead of once a block.
    reread_cache: std::sync::Mutex<Option<(u32, Arc<read::Text>)>>,
}

/// Paragraphs of one file handed to one worker when read again.
const REREAD_CHUNK: usize = 1024;

impl Corpus {
    /// Reads the paragraphs `ids` (sorted, without repeats) again from their files, each file once
    /// (stdin's text was kept, and the last file of the previous call is still at hand), and
    /// returns `visit(id, bytes)` for each, in the order of `ids`, computed in parallel. A file
    /// that can no longer be read, or whose text changed since it was fingerprinted, is a problem
    /// and its paragraphs give `None`.
    pub fn reread_with<T: Send>(
        &self,
        ids: &[u32],
        visit: impl Fn(u32, &[u8]) -> T + Sync,
    ) -> (Vec<Option<T>>, Vec<Problem>) {
        let file_of = |id: &u32| self.paragraphs[*id as usize].file;
        let last_file = ids.last().map(file_of);
        let cached = self
            .reread_cache
            .lock()
            .ok()
            .and_then(|cache| cache.clone());
        type FileResult<T> = Result<(Vec<Option<T>>, Option<Arc<read::Text>>), Problem>;
        let groups: Vec<&[u32]> = ids.chunk_by(|a, b| file_of(a) == file_of(b)).collect();
        let results: Vec<FileResult<T>> = groups
            .par_iter()
            .map(|group| {
                let file = file_of(&group[0]);
                let entry = &self.files[file as usize];
                let again = |message: String| Problem::new(&entry.path, message);
                let text = match (&entry.kept, &cached) {
                    (Some(text), _) => text.clone(),
                    (None, Some((f, text))) if *f == file => text.clone(),
                    _ => match read::read(&entry.path, &self.read_options) {
                        Ok(read::Source::Text(text)) => Arc::new(text),
                        Ok(read::Source::Binary { .. }) => {
                            return Err(again("file changed while it was read".to_owned()));
                        }
                        Err(e) => return Err(again(format!("reading again: {e}"))),
                    },
                };
                if text.bytes.len() as u64 != entry.size || text.hash != entry.hash {
                    return Err(again("file changed while it was read".to_owned()));
                }
                let visited: Vec<Vec<Option<T>>> = group
                    .par_chunks(REREAD_CHUNK)
                    .map(|chunk| self.visit_paragraphs(&text, chunk, &visit))
                    .collect();
                let keep = (Some(file) == last_file && entry.kept.is_none()).then_some(text);
                Ok((visited.into_iter().flatten().collect(), keep))
            })
            .collect();
        let mut visited = Vec::with_capacity(ids.len());
        let mut problems = Vec::new();
        let mut last = None;
        for (result, group) in results.into_iter().zip(&groups) {
            match result {
                Ok((values, keep)) => {
                    visited.extend(values);
                    last = keep.or(last);
                }
                Err(problem) => {
                    visited.extend(group.iter().map(|_| None));
                    problems.push(problem);
                }
            }
        }
        if let Ok(mut cache) = self.reread_cache.lock() {
            *cache = last.map(|text| (last_file.unwrap_or_default(), text));
        }
        (visited, problems)
    }

    /// `visit(id, bytes)` for the paragraphs `ids` of one file, whose text is `text`; a JSON
    /// Lines record is parsed once for its consecutive paragraphs.
    fn visit_paragraphs<T>(
        &self,
        text: &read::Text,
        ids: &[u32],
        visit: &impl Fn(u32, &[u8]) -> T,
    ) -> Vec<Option<T>> {
        let mut record: Option<(usize, Option<String>)> = None;
        ids.iter()
            .map(|&id| {
                let p = &self.paragraphs[id as usize];
                let document = if text.jsonl {
                    let at = self.documents[p.document as usize].offset as usize;
                    if record.as_ref().is_none_or(|(offset, _)| *offset != at) {
                        let parsed = text.record_at(at, &self.read_options);
                        record = Some((at, parsed.ok().flatten().map(|r| r.text)));
                    }
                    record
                        .as_ref()
                        .and_then(|(_, text)| text.as_deref())?
                        .as_bytes()
                } else {
                    &text.bytes[..]
                };
                Some(visit(id, document.get(p.span.start..p.span.end)?))
            })
            .collect()
    }
}

/// Writes `dedup: <message>` to stderr, ignoring failures (a closed stderr must not panic).
pub fn message(args: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "dedup: {args}");
}

/// One document, segmented (its fingerprints follow the previous document's in the file's).
struct ScannedDocument {
    record: Option<u32>,
    offset: u64,
    id: Option<Box<str>>,
    spans: Vec<Span>,
    bytes_hashes: Vec<u32>,
}

/// What reading, segmenting and fingerprinting one file gave. The file's text itself is dropped,
/// but for stdin and pipes, which cannot be read twice.
enum Scanned {
    Text {
        size: u64,
        hash: u64,
        compression: Option<read::Compression>,
        decoding: read::Decoding,
        jsonl: bool,
        valid_utf8: bool,
        documents: Vec<ScannedDocument>,
        fingerprints: FileFingerprints,
        record_errors: Vec<read::RecordError>,
        kept: Option<Arc<read::Text>>,
    },
    Binary {
        size: u64,
    },
    Failed(io::Error),
}

/// Paragraphs of one document fingerprinted together, in parallel with the next block.
const PARAGRAPH_BLOCK: usize = 4096;

/// Segments and fingerprints one document, blocks of paragraphs in parallel: the paragraphs'
/// spans and [`Paragraph::bytes_hash`]es, and their fingerprints.
fn scan_document(
    text: &[u8],
    text_start: usize,
    fingerprinter: &Fingerprinter,
    options: normalize::Options,
    claims: &Claims,
) -> (Vec<Span>, Vec<u32>, FileFingerprints) {
    let spans = segment::segment(text, text_start);
    let blocks: Vec<(FileFingerprints, Vec<u32>)> = spans
        .par_chunks(PARAGRAPH_BLOCK)
        .map(|block| {
            let mut fingerprints =
                FileFingerprints::with_capacity(block.len(), fingerprinter.params().bands);
            let mut hashes = Vec::with_capacity(block.len());
            let mut tokens = normalize::Tokens::default();
            for s in block {
                let bytes = &text[s.start..s.end];
                hashes.push(xxhash_rust::xxh3::xxh3_64(bytes) as u32);
                normalize::normalize_into(bytes, options, &mut tokens);
                fingerprinter.fingerprint_once(&tokens, &mut fingerprints, Some(claims));
            }
            (fingerprints, hashes)
        })
        .collect();
    let mut fingerprints = FileFingerprints::default();
    let mut hashes = Vec::with_capacity(spans.len());
    for (block, block_hashes) in blocks {
        fingerprints.extend(block);
        hashes.extend(block_hashes);
    }
    (spans, hashes, fingerprints)
}

fn scan(path: &Path, config: &Config, fingerprinter: &Fingerprinter, claims: &Claims) -> Scanned {
    let options = config.normalize_options();
    let text = match read::read(path, &config.read) {
        Ok(read::Source::Text(text)) => text,
        Ok(read::Source::Binary { size }) => return Scanned::Binary { size },
        Err(e) => return Scanned::Failed(e),
    };
    let mut documents = Vec::new();
    let mut fingerprints = FileFingerprints::default();
    let mut record_errors = Vec::new();
    if text.jsonl {
        // Records are parsed, segmented and fingerprinted in parallel, and kept in file order.
        let records_start = text.bytes[text.text_start..].as_ptr() as usize;
        let lines: Vec<(u32, &[u8])> = read::jsonl_lines(&text.bytes[text.text_start..]).collect();
        let records: Vec<_> = lines
            .into_par_iter()
            .map(|(line, bytes)| {
                let record = read::parse_record(bytes, &config.read)
                    .map_err(|message| read::RecordError { line, message })?;
                Ok(record.map(|record| {
                    let (spans, bytes_hashes, fingerprints) =
                        scan_document(record.text.as_bytes(), 0, fingerprinter, options, claims);
                    let id = record.id.map(String::into_boxed_str);
                    (
                        ScannedDocument {
                            record: Some(line),
                            offset: (bytes.as_ptr() as usize - records_start) as u64,
                            id,
                            spans,
                            bytes_hashes,
                        },
                        fingerprints,
                    )
                }))
            })
            .collect();
        for record in records {
            match record {
                Ok(Some((document, record_fingerprints))) => {
                    documents.push(document);
                    fingerprints.extend(record_fingerprints);
                }
                Ok(None) => {}
                Err(e) => record_errors.push(e),
            }
        }
    } else {
        let (spans, bytes_hashes, file_fingerprints) =
            scan_document(&text.bytes, text.text_start, fingerprinter, options, claims);
        documents.push(ScannedDocument {
            record: None,
            offset: 0,
            id: None,
            spans,
            bytes_hashes,
        });
        fingerprints = file_fingerprints;
    }
    // stdin and pipes (`<(zcat a.gz)`) cannot be read twice: their text is kept.
    let keep = !text.rereadable;
    Scanned::Text {
        size: text.bytes.len() as u64,
        hash: text.hash,
        compression: text.compression,
        decoding: text.decoding,
        jsonl: text.jsonl,
        valid_utf8: text.valid_utf8,
        documents,
        fingerprints,
        record_errors,
        kept: keep.then(|| Arc::new(text)),
    }
}

/// Adds one scanned file to the corpus: its entry, documents, paragraphs and fingerprints, and
/// its warnings and errors.
fn merge_scanned(
    corpus: &mut Corpus,
    warnings: &mut Vec<Problem>,
    errors: &mut Vec<Problem>,
    path: &Path,
    scanned: Scanned,
    config: &Config,
) {
    let file = corpus.files.len() as u32;
    let mut entry = FileEntry {
        path: path.to_path_buf(),
        display: walk::display_path(path),
        ..FileEntry::default()
    };
    match scanned {
        Scanned::Failed(e) => {
            errors.push(Problem::new(path, e.to_string()));
            return;
        }
        Scanned::Binary { size } => {
            entry.size = size;
            entry.binary = true;
        }
        Scanned::Text {
            size,
            hash,
            compression,
            decoding,
            jsonl,
            valid_utf8,
            documents,
            fingerprints,
            record_errors,
            kept,
        } => {
            entry.size = size;
            entry.hash = hash;
            entry.compression = compression;
            entry.decoding = Some(decoding);
            entry.records = jsonl.then_some(documents.len());
            entry.kept = kept;
            if !valid_utf8 {
                let message = match decoding {
                    read::Decoding::Utf16Le | read::Decoding::Utf16Be => {
                        "invalid UTF-16, decoded with U+FFFD replacement characters"
                    }
                    _ => "invalid UTF-8, decoded with U+FFFD replacement characters",
                };
                warnings.push(Problem::new(path, message));
            }
            errors.extend(
                record_errors
                    .into_iter()
                    .map(|e| Problem::at_line(path, e.line, e.message)),
            );
            for document in documents {
                let id = corpus.documents.len() as u32;
                corpus.documents.push(DocumentEntry {
                    file,
                    record: document.record,
                    offset: document.offset,
                    id: document.id,
                });
                let paragraphs = document.spans.into_iter().zip(document.bytes_hashes);
                for (index, (span, bytes_hash)) in paragraphs.enumerate() {
                    corpus.paragraphs.push(Paragraph {
                        file,
                        document: id,
                        index: index as u32,
                        bytes_hash,
                        span,
                    });
                }
            }
            corpus.short_paragraphs += fingerprints
                .keys()
                .iter()
                .filter(|k| (k.words as usize) < config.min_words)
                .count();
            corpus.fingerprints.append(fingerprints);
        }
    }
    corpus.files.push(entry);
}

/// Files scanned in parallel before their results are merged.
const SCAN_CHUNK: usize = 4096;

/// The normalization steps, as listed in the report's settings.
fn normalization_steps(options: normalize::Options) -> Vec<String> {
    let mut steps = [
        "tokens are runs of letters, digits and marks; all other characters separate",
        "number separators , . / : and dashes kept between digits",
        "unicode NFKC",
        "lowercase (ß to ss, final sigma to sigma)",
        "unicode NFKC again; what NFKC made of a token split again by the token rules",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    if options.fold_spelling {
        steps.push(format!(
            "British spellings folded to American ({} word pairs from VarCon)",
            normalize::spelling_variant_count()
        ));
    }
    if options.ignore_figures {
        steps.push("figures masked as 0".to_owned());
    }
    steps
}

/// Stages 6 and 7 but for partial matches: candidates from the kept fingerprints, the real sets
/// of the candidates re-read (problems re-reading go to `errors`), verified links and clusters;
/// and the partial candidates, not yet checked against the clusters. The fingerprints are freed.
fn find_clusters(
    corpus: &mut Corpus,
    fingerprinter: &Fingerprinter,
    config: &Config,
    errors: &mut Vec<Problem>,
) -> (
    matching::Matches,
    Vec<cluster::Cluster>,
    partial::Candidates,
) {
    // Each arena is freed as soon as its candidates are drawn (the band keys band by band), so
    // the two are never held together with their candidates.
    let mut matches = matching::group_exact(&corpus.fingerprints);
    let units = &matches.units;
    let copies = (0..units.len() as u32).map(|u| units.get(u));
    corpus.fingerprints.share_with_first(copies);
    let candidates = matching::band_candidates(
        &mut matches,
        &mut corpus.fingerprints,
        config.boilerplate_cap,
    );
    alloc::give_back_freed_memory();
    let partial_candidates =
        partial::candidates(&matches, &corpus.fingerprints, config.boilerplate_cap);
    corpus.fingerprints.release_winnowed();
    alloc::give_back_freed_memory();

    // The sets are re-read in two rounds, each freed before the next, so that only one kind is
    // held at a time: shingles and figure shingles of every unit in a candidate pair or template
    // link, here, to verify them and build the clusters; then, in [`find_partial_matches`], token
    // hashes and winnowed fingerprints of every unit in a partial candidate pair not clustered.
    let units = linked_units(candidates.iter().chain(&matches.templates));
    let (sets, problems) = sets::load(
        corpus,
        fingerprinter,
        config.normalize_options(),
        &matches,
        &units,
        sets::Contents::Verify,
    );
    drop(units);
    add_problems(errors, problems);
    matching::verify(&mut matches, &candidates, &sets, config.threshold);
    drop(candidates);
    let clusters = cluster::build_clusters(&matches, &sets, &corpus.fingerprints);
    drop(sets);
    // The clusters keep their representatives' keys; nothing reads the others any more.
    corpus.fingerprints = Fingerprints::default();
    alloc::give_back_freed_memory();
    (matches, clusters, partial_candidates)
}

/// Stage 6 for partial matches: the candidates whose units are not clustered together, their
/// token hashes and winnowed fingerprints re-read, and the verified shared runs; with the
/// problems met re-reading.
fn find_partial_matches(
    corpus: &Corpus,
    fingerprinter: &Fingerprinter,
    config: &Config,
    matches: &matching::Matches,
    clusters: &[cluster::Cluster],
    mut candidates: partial::Candidates,
) -> (partial::Partials, Vec<Problem>) {
    candidates.retain_unclustered(&cluster::groups_of_units(matches, clusters));
    let units = linked_units(candidates.pairs.iter());
    let (sets, problems) = sets::load(
        corpus,
        fingerprinter,
        config.normalize_options(),
        matches,
        &units,
        sets::Contents::Partial,
    );
    drop(units);
    let params = partial::PartialParams {
        shingle: config.shingle,
        min_shared_words: config.min_shared_words,
    };
    let partials = partial::find_partials(&sets, &candidates, params);
    drop(sets);
    alloc::give_back_freed_memory();
    (partials, problems)
}

/// The units in `pairs`, sorted, each once.
fn linked_units<'a>(pairs: impl Iterator<Item = &'a (u32, u32)>) -> Vec<u32> {
    let mut units: Vec<u32> = pairs.flat_map(|&(a, b)| [a, b]).collect();
    units.par_sort_unstable();
    units.dedup();
    units
}

/// Adds problems to `errors`, each once (a file met again in a later block or stage fails again).
pub(crate) fn add_problems(errors: &mut Vec<Problem>, problems: Vec<Problem>) {
    for p in problems {
        if !errors.contains(&p) {
            errors.push(p);
        }
    }
}

/// Runs the whole pipeline and writes the report.
pub fn run(config: &Config) -> Result<Outcome, Error> {
    alloc::map_large_blocks();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(Error::Threads)?;
    pool.install(|| run_in_pool(config))
}

fn run_in_pool(config: &Config) -> Result<Outcome, Error> {
    let mut inputs = config.inputs.clone();
    let mut errors = Vec::new();
    if let Some(list) = &config.files_from {
        let bytes = if list == Path::new(read::STDIN) {
            let mut bytes = Vec::new();
            io::Read::read_to_end(&mut io::stdin().lock(), &mut bytes).map(|_| bytes)
        } else {
            std::fs::read(list)
        };
        match bytes {
            Ok(bytes) => inputs.extend(walk::path_list(&bytes, config.null_separated)),
            Err(e) => errors.push(Problem::new(
                list,
                format!("cannot read the path list: {e}"),
            )),
        }
    }
    let (paths, walk_errors) = walk::walk(&inputs, &config.walk);
    errors.extend(walk_errors);
    let (bands, rows) = banding_for(config.threshold);
    let fingerprinter = Fingerprinter::new(Params {
        shingle: config.shingle,
        min_words: config.min_words,
        bands,
        rows,
        ignore_figures: config.ignore_figures,
        exact_only: config.exact_only,
        window: config.window(),
    });

    // A chunk of files at a time is scanned in parallel while the chunk before is merged (on one
    // thread, in path order), so the per-file results of at most two chunks are held next to the
    // merged ones.
    let mut corpus = Corpus {
        read_options: config.read.clone(),
        ..Corpus::default()
    };
    let mut warnings = Vec::new();
    let mut merge = |chunk: &[PathBuf], scanned: Vec<Scanned>| {
        for (path, scanned) in chunk.iter().zip(scanned) {
            merge_scanned(
                &mut corpus,
                &mut warnings,
                &mut errors,
                path,
                scanned,
                config,
            );
        }
    };
    // Exact copies are fingerprinted once (band keys and winnowed fingerprints).
    let claims = Claims::default();
    let mut previous: Option<(&[PathBuf], Vec<Scanned>)> = None;
    for chunk in paths.chunks(SCAN_CHUNK) {
        let scan_chunk = || {
            chunk
                .par_iter()
                .map(|p| scan(p, config, &fingerprinter, &claims))
                .collect::<Vec<Scanned>>()
        };
        let merge_previous = || {
            if let Some((chunk, scanned)) = previous.take() {
                merge(chunk, scanned);
            }
        };
        let (scanned, ()) = rayon::join(scan_chunk, merge_previous);
        previous = Some((chunk, scanned));
    }
    if let Some((chunk, scanned)) = previous {
        merge(chunk, scanned);
    }
    drop(claims);

    let (matches, clusters, partial_candidates) =
        find_clusters(&mut corpus, &fingerprinter, config, &mut errors);
    // Partial matches and passages both start from the clusters: one is worked on while the
    // other waits for a thread.
    let partial_round = || {
        find_partial_matches(
            &corpus,
            &fingerprinter,
            config,
            &matches,
            &clusters,
            partial_candidates,
        )
    };
    let passages_and_overlaps = || {
        let cluster_of = passages::duplicate_cluster_of(corpus.paragraphs.len(), &clusters);
        let passages = passages::find_passages(&corpus.paragraphs, &clusters, &cluster_of);
        let files = corpus.files.len();
        let overlaps = passages::file_overlaps(&corpus.paragraphs, &clusters, &cluster_of, files);
        (passages, overlaps)
    };
    let ((partials, partial_problems), (passages, overlaps)) =
        rayon::join(partial_round, passages_and_overlaps);
    add_problems(&mut errors, partial_problems);

    let settings = report::Settings {
        inputs: config
            .inputs
            .iter()
            .map(|p| walk::display_path(p))
            .collect(),
        shingle: config.shingle,
        threshold: config.threshold,
        min_words: config.min_words,
        short_paragraphs: "fewer than min_words tokens: matched exactly only",
        signature: bands * rows,
        bands,
        rows,
        candidate_recall_at_threshold: candidate_probability(config.threshold, bands, rows),
        min_shared_words: config.min_shared_words,
        window: config.window(),
        boilerplate_cap: config.boilerplate_cap,
        exact_only: config.exact_only,
        figures: if config.ignore_figures {
            "ignored"
        } else {
            "templates"
        },
        spelling: if config.keep_spelling {
            "kept"
        } else {
            "folded"
        },
        normalization: normalization_steps(config.normalize_options()),
        extensions: config.walk.extensions.clone(),
        hidden: config.walk.hidden,
        follow: config.walk.follow,
        files_from: config.files_from.as_deref().map(walk::display_path),
        jsonl: config.read.jsonl,
        text_field: config.read.text_field.clone(),
        id_field: config.read.id_field.clone(),
        encoding: match config.read.encoding {
            read::Encoding::Utf8 => "utf-8",
            read::Encoding::Latin1 => "latin1",
        },
    };
    let found = report::Found {
        matches: &matches,
        clusters: &clusters,
        partials: &partials,
        passages: &passages,
        overlaps: &overlaps,
    };
    let mut report = report::build(&corpus, &found, settings, warnings, errors);
    if let Some(path) = &config.baseline {
        match rules::Baseline::read(path) {
            Ok(baseline) => rules::apply_baseline(&mut report, &baseline),
            Err(e) => {
                report
                    .errors
                    .push(Problem::new(path, format!("baseline: {e}")));
                report.summary.errors = report.errors.len();
            }
        }
    }
    rules::check(&mut report, &config.rules);

    for problem in &report.errors {
        message(format_args!("{problem}"));
    }
    if !config.quiet {
        for problem in &report.warnings {
            message(format_args!("warning: {problem}"));
        }
        if paths.is_empty() {
            message(format_args!("no files found under the given paths"));
        }
    }

    if let Some(path) = &config.write_baseline {
        let baseline = rules::Baseline::json_for(&report);
        output::write_atomically(path, |out| out.write_all(baseline.as_bytes()))
            .map_err(Error::Output)?;
    }
    match output::write(&report, config.output.as_deref(), config.output_options) {
        Ok(()) => {}
        // A closed stdout (`dedup corpus | head`) ends the run quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(Error::Output(e)),
    }

    if let Some(line) = rules::describe(
        &report.summary.violations,
        report.summary.baseline.is_some(),
    ) {
        message(format_args!("{line}"));
    }
    if !config.quiet {
        let s = &report.summary;
        message(format_args!(
            "{} files, {} paragraphs: {} clusters ({} exact, {} near, {} template), \
             {} redundant copies, {:.1}% of paragraph bytes duplicated",
            s.files,
            s.paragraphs,
            s.clusters,
            s.exact_clusters,
            s.near_clusters,
            s.template_clusters,
            s.duplicate_paragraphs,
            s.duplicate_ratio * 100.0
        ));
    }
    Ok(Outcome {
        summary: report.summary,
        errors: report.errors,
    })
}
