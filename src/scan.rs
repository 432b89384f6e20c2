//! Stages 2–5 per file, and the corpus they make: read → segment → normalize → fingerprint.
//!
//! In: the sorted files the walk found ([`walk::Entry`]), how to read them, the normalization options and the
//! [`Fingerprinter`]. Out: a [`Scan`]: the [`Corpus`] (files, documents, paragraphs, in path order)
//! beside one fingerprint per paragraph, and the warnings and errors met reading.
//!
//! Files are scanned in parallel a chunk at a time, each document's paragraphs in parallel blocks;
//! a chunk is merged into the corpus (on one thread, in path order) while the next is scanned, so
//! the per-file results of at most two chunks are held next to the merged ones. A file's text is
//! dropped once it is fingerprinted (but for stdin and pipes, which cannot be read twice). Exact
//! copies are fingerprinted once: the first to claim a key gets its band keys and winnowed
//! fingerprints ([`Claims`]).

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::corpus::{Corpus, DocumentEntry, FileEntry, Paragraph, Skipped};
use crate::error::{Problem, Problems};
use crate::fingerprint::{
    Claims, FileFingerprints, Fingerprinter, Fingerprints, HUGE_PARAGRAPH, claim_place,
};
use crate::normalize;
use crate::partial::headline;
use crate::prefetch;
use crate::progress::Progress;
use crate::read::{self, ReadOptions};
use crate::segment::{self, Span};
use crate::timings;
use crate::walk;
use crate::wire;

/// Files scanned in parallel before their results are merged.
const SCAN_CHUNK: usize = 4096;

/// Files of the first chunk: fewer, so that a scan waiting on the disk is seen soon
/// ([`prefetch`]).
const FIRST_CHUNK: usize = 512;

/// Paragraphs of one document fingerprinted together, in parallel with the next block.
const PARAGRAPH_BLOCK: usize = 4096;

/// What the scan of every file gave.
#[derive(Debug, Default)]
pub struct Scan {
    /// Files, documents and paragraphs.
    pub corpus: Corpus,
    /// One fingerprint per paragraph, by paragraph id.
    pub fingerprints: Fingerprints,
    /// Files read with a problem that did not stop them being read.
    pub warnings: Vec<Problem>,
    /// Files and records that could not be read.
    pub errors: Problems,
}

/// How every file is scanned.
pub struct Scanner<'a> {
    /// How files are read and decoded.
    pub read: &'a ReadOptions,
    /// How paragraphs are normalized.
    pub normalize: normalize::Options,
    /// How normalized paragraphs are fingerprinted.
    pub fingerprinter: &'a Fingerprinter,
    /// Told of every file read.
    pub progress: &'a Progress,
}

impl Scanner<'_> {
    /// Scans the files the walk found (sorted) into a corpus, in path order; special files are
    /// listed as skipped without being opened.
    pub fn scan(&self, paths: Vec<walk::Entry>) -> Scan {
        let scan = Scan {
            corpus: Corpus::new(self.read.clone()),
            ..Scan::default()
        };
        self.scan_onto(scan, paths)
    }

    /// [`Scanner::scan`], the files following those of `scan` (a reference index's).
    pub fn scan_onto(&self, scan: Scan, paths: Vec<walk::Entry>) -> Scan {
        self.scan_reusing(scan, paths, Claims::default(), |_| None)
    }

    /// [`Scanner::scan_onto`], but the file `paths[i]` is not read when `reuse(i)` gives its
    /// scan (a file of the index being updated, [`Scanned::from_earlier`]); `claims` holds the
    /// exact keys whose fingerprints those files already have.
    pub(crate) fn scan_reusing(
        &self,
        mut scan: Scan,
        mut paths: Vec<walk::Entry>,
        claims: Claims,
        reuse: impl Fn(usize) -> Option<Scanned> + Sync,
    ) -> Scan {
        // Each file's path moves from its walk entry to its file entry when the file is merged.
        let mut previous: Option<(&mut [walk::Entry], Vec<Scanned>)> = None;
        let threads = rayon::current_num_threads();
        // Whether the scan waits on the disk (then files are asked for ahead), and the files
        // asked for so far.
        let forced = prefetch::forced();
        let (mut reading_ahead, mut asked) = (forced.unwrap_or(false), 0);
        let (mut rest, mut start) = (&mut paths[..], 0);
        while !rest.is_empty() {
            // The first chunk is small, so that a scan waiting on the disk is seen early.
            let size = if start == 0 { FIRST_CHUNK } else { SCAN_CHUNK }.min(rest.len());
            let (chunk, after) = std::mem::take(&mut rest).split_at_mut(size);
            rest = after;
            // This chunk's files and the next's not asked for yet.
            let mut ahead: Vec<&Path> = Vec::new();
            if reading_ahead {
                let next = &rest[..SCAN_CHUNK.min(rest.len())];
                let not_asked = chunk.iter().chain(next).skip(asked.max(start) - start);
                ahead.extend(not_asked.filter(|e| e.regular).map(|e| e.path.as_path()));
                asked = start + chunk.len() + next.len();
            }
            let scan_chunk = || {
                chunk
                    .par_iter()
                    .enumerate()
                    .map(|(i, entry)| {
                        let file = start + i;
                        if let Some(scanned) = reuse(file) {
                            return scanned;
                        }
                        let scanned = if entry.special {
                            Scanned::Special
                        } else {
                            self.scan_file(&entry.path, &claims, file)
                        };
                        self.progress.file_read(scanned.size());
                        scanned
                    })
                    .collect::<Vec<Scanned>>()
            };
            let merge_previous = || {
                if let Some((chunk, scanned)) = previous.take() {
                    self.merge(&mut scan, chunk, scanned);
                }
            };
            let (wall, cpu) = (Instant::now(), timings::cpu_time());
            let (scanned, ()) = std::thread::scope(|scope| {
                if !ahead.is_empty() {
                    scope.spawn(|| prefetch::prefetch(&ahead));
                }
                rayon::join(scan_chunk, merge_previous)
            });
            let (wall, cpu) = (wall.elapsed(), timings::cpu_time().saturating_sub(cpu));
            reading_ahead = forced.unwrap_or(reading_ahead || prefetch::waited(wall, cpu, threads));
            start += chunk.len();
            previous = Some((chunk, scanned));
        }
        if let Some((chunk, scanned)) = previous {
            self.merge(&mut scan, chunk, scanned);
        }
        scan
    }

    fn merge(&self, scan: &mut Scan, paths: &mut [walk::Entry], scanned: Vec<Scanned>) {
        for (entry, scanned) in paths.iter_mut().zip(scanned) {
            let min_words = self.fingerprinter.params().min_words;
            scanned.merge_into(scan, entry, min_words);
        }
    }

    /// Reads, segments and fingerprints one file, the `file`th of the paths scanned.
    fn scan_file(&self, path: &Path, claims: &Claims, file: usize) -> Scanned {
        let text = match read::read(path, self.read) {
            Ok(read::Source::Text(text)) => text,
            Ok(read::Source::Binary { size }) => return Scanned::Binary { size },
            Err(e) => return Scanned::Failed(e),
        };
        let mut documents = Vec::new();
        let mut fingerprints = FileFingerprints::default();
        let mut record_errors = Vec::new();
        if text.jsonl {
            // Records are parsed, segmented and fingerprinted in parallel, and kept in file order.
            let lines: Vec<read::RecordLine> = text.record_lines().collect();
            let records: Vec<_> = lines
                .into_par_iter()
                .map(|line| {
                    Ok(line.parse(self.read)?.map(|record| {
                        let id = record.id.map(String::into_boxed_str);
                        let place = (file, line.line);
                        let (document, fingerprints) =
                            self.scan_document(record.text.as_bytes(), 0, claims, place);
                        let document = ScannedDocument {
                            record: Some(line.line),
                            offset: line.offset as u64,
                            id,
                            ..document
                        };
                        (document, fingerprints)
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
            let (document, file_fingerprints) =
                self.scan_document(&text.bytes, text.text_start, claims, (file, 0));
            documents.push(document);
            fingerprints = file_fingerprints;
        }
        // stdin and pipes (`<(zcat a.gz)`) cannot be read twice: their text is kept.
        let keep = !text.rereadable;
        Scanned::Text(Box::new(ScannedText {
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
        }))
    }

    /// Segments and fingerprints one document, blocks of paragraphs in parallel: the paragraphs'
    /// spans and [`Paragraph::bytes_hash`]es, and their fingerprints.
    fn scan_document(
        &self,
        text: &[u8],
        text_start: usize,
        claims: &Claims,
        (file, record): (usize, u32),
    ) -> (ScannedDocument, FileFingerprints) {
        let spans = segment::segment(text, text_start);
        let bands = self.fingerprinter.params().bands;
        let min_shared_words = self.fingerprinter.params().min_shared_words();
        let blocks: Vec<(FileFingerprints, Vec<u32>)> = spans
            .par_chunks(PARAGRAPH_BLOCK)
            .enumerate()
            .map(|(number, block)| {
                let mut fingerprints = FileFingerprints::with_capacity(block.len(), bands);
                let mut hashes = Vec::with_capacity(block.len());
                let mut tokens = normalize::Tokens::default();
                // The headline, if any, and its lead are in the first block.
                let mut headline = (number == 0)
                    .then_some(min_shared_words)
                    .flatten()
                    .map(|t| (headline::Watch::default(), t));
                for (index, s) in block.iter().enumerate() {
                    let bytes = &text[s.start..s.end];
                    hashes.push(xxhash_rust::xxh3::xxh3_64(bytes) as u32);
                    if bytes.len() > HUGE_PARAGRAPH {
                        self.fingerprinter.fingerprint_huge(
                            bytes,
                            self.normalize,
                            &mut fingerprints,
                        );
                        continue;
                    }
                    normalize::normalize_into(bytes, self.normalize, &mut tokens);
                    if let Some((watch, t)) = headline
                        .as_mut()
                        .filter(|_| index <= headline::LEAD_PARAGRAPHS)
                        && let Some(lead) = watch.paragraph(index, &tokens, *t)
                    {
                        fingerprints.headlines.push((0, lead));
                    }
                    let content = wire::content(bytes, &tokens);
                    let place = claim_place(file, record, number * PARAGRAPH_BLOCK + index);
                    self.fingerprinter.fingerprint_once(
                        &tokens,
                        content.as_ref(),
                        &mut fingerprints,
                        Some((claims, place)),
                    );
                }
                (fingerprints, hashes)
            })
            .collect();
        let mut fingerprints = FileFingerprints::default();
        let mut bytes_hashes = Vec::with_capacity(spans.len());
        for (block, block_hashes) in blocks {
            fingerprints.extend(block);
            bytes_hashes.extend(block_hashes);
        }
        let document = ScannedDocument {
            record: None,
            offset: 0,
            id: None,
            spans,
            bytes_hashes,
        };
        (document, fingerprints)
    }
}

/// Where one file's documents and paragraphs are in a corpus's lists.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileRanges {
    pub documents: std::ops::Range<usize>,
    pub paragraphs: std::ops::Range<usize>,
}

/// The [`FileRanges`] of every file of `corpus` (documents and paragraphs are in file order).
pub(crate) fn file_ranges(corpus: &Corpus) -> Vec<FileRanges> {
    let mut ranges = vec![FileRanges::default(); corpus.files.len()];
    for (i, d) in corpus.documents.iter().enumerate() {
        let r = &mut ranges[d.file as usize].documents;
        *r = if r.start == r.end {
            i..i + 1
        } else {
            r.start..i + 1
        };
    }
    for (i, p) in corpus.paragraphs.iter().enumerate() {
        let r = &mut ranges[p.file as usize].paragraphs;
        *r = if r.start == r.end {
            i..i + 1
        } else {
            r.start..i + 1
        };
    }
    ranges
}

/// One document, segmented (its fingerprints follow the previous document's in the file's).
pub(crate) struct ScannedDocument {
    record: Option<u32>,
    offset: u64,
    id: Option<Box<str>>,
    spans: Vec<Span>,
    bytes_hashes: Vec<u32>,
}

/// What reading, segmenting and fingerprinting one file of text gave. The text itself is
/// dropped, but for stdin and pipes, which cannot be read twice.
pub(crate) struct ScannedText {
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
}

/// What scanning one file gave.
pub(crate) enum Scanned {
    Text(Box<ScannedText>),
    Binary {
        size: u64,
    },
    /// Not a regular file, met inside a folder: not opened.
    Special,
    Failed(io::Error),
}

impl Scanned {
    /// File `file` of an earlier scan (`ranges`: [`file_ranges`] of its corpus), as scanning it
    /// again would give it when its text has not changed.
    pub(crate) fn from_earlier(earlier: &Scan, file: usize, ranges: &[FileRanges]) -> Scanned {
        let corpus = &earlier.corpus;
        let entry = &corpus.files[file];
        match entry.skipped {
            Some(Skipped::Binary) => return Scanned::Binary { size: entry.size },
            Some(Skipped::Special) => return Scanned::Special,
            None => {}
        }
        let FileRanges {
            documents,
            paragraphs,
        } = ranges[file].clone();
        let mut rest = &corpus.paragraphs[paragraphs.clone()];
        let documents = corpus.documents[documents.clone()]
            .iter()
            .zip(documents)
            .map(|(d, id)| {
                let n = rest.partition_point(|p| p.document as usize == id);
                let (own, after) = rest.split_at(n);
                rest = after;
                ScannedDocument {
                    record: d.record,
                    offset: d.offset,
                    id: d.id.clone(),
                    spans: own.iter().map(|p| p.span).collect(),
                    bytes_hashes: own.iter().map(|p| p.bytes_hash).collect(),
                }
            })
            .collect();
        Scanned::Text(Box::new(ScannedText {
            size: entry.size,
            hash: entry.hash,
            compression: entry.compression,
            decoding: entry.decoding.unwrap_or(read::Decoding::Utf8),
            jsonl: entry.records.is_some(),
            valid_utf8: true,
            documents,
            fingerprints: earlier.fingerprints.file_part(paragraphs),
            record_errors: Vec::new(),
            kept: None,
        }))
    }

    /// The bytes read (decoded, for compressed files).
    fn size(&self) -> u64 {
        match self {
            Scanned::Text(text) => text.size,
            Scanned::Binary { size } => *size,
            Scanned::Special | Scanned::Failed(_) => 0,
        }
    }

    /// Adds the file to the scan: its entry, documents, paragraphs and fingerprints, and its
    /// warnings and errors.
    fn merge_into(self, scan: &mut Scan, walked: &mut walk::Entry, min_words: usize) {
        let mut entry = FileEntry::new(std::mem::take(&mut walked.path), walked.reference);
        match self {
            Scanned::Failed(e) => {
                scan.errors.push(Problem::new(entry.path(), e.to_string()));
                return;
            }
            Scanned::Binary { size } => {
                entry.size = size;
                entry.skipped = Some(Skipped::Binary);
            }
            Scanned::Special => entry.skipped = Some(Skipped::Special),
            Scanned::Text(text) => text.merge_into(scan, &mut entry, min_words),
        }
        scan.corpus.files.push(entry);
    }
}

impl ScannedText {
    fn merge_into(self, scan: &mut Scan, entry: &mut FileEntry, min_words: usize) {
        let corpus = &mut scan.corpus;
        let file = corpus.files.len() as u32;
        entry.size = self.size;
        entry.hash = self.hash;
        entry.compression = self.compression;
        entry.decoding = Some(self.decoding);
        entry.records = self.jsonl.then_some(self.documents.len());
        entry.kept = self.kept;
        let path = entry.path();
        if !self.valid_utf8 {
            let message = match self.decoding {
                read::Decoding::Utf16Le | read::Decoding::Utf16Be => {
                    "invalid UTF-16, decoded with U+FFFD replacement characters"
                }
                _ => "invalid UTF-8, decoded with U+FFFD replacement characters",
            };
            scan.warnings.push(Problem::new(path, message));
        }
        scan.errors.extend(
            self.record_errors
                .into_iter()
                .map(|e| Problem::at_line(path, e.line, e.message)),
        );
        for document in self.documents {
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
        let short = self
            .fingerprints
            .keys()
            .iter()
            .filter(|k| (k.words as usize) < min_words)
            .count();
        corpus.short_paragraphs[usize::from(entry.reference)] += short;
        scan.fingerprints.append(self.fingerprints);
    }
}
