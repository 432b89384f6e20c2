//! The corpus model: what was read, and reading paragraphs again.
//!
//! In: the files as the scan merged them ([`crate::scan`]). Out: the [`Corpus`]: every file
//! ([`FileEntry`]), document (a whole file or a JSON Lines record, [`DocumentEntry`]) and
//! paragraph ([`Paragraph`], whose id is its index), in report order; and, for the stages that
//! need a paragraph's text again (the real sets, the report), [`Corpus::reread_with`], which reads
//! the files again instead of holding their text.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::Serialize;

use crate::error::Problem;
use crate::read;
use crate::segment::Span;

/// Paragraphs read again together (for the report's texts and shared spans).
pub(crate) const REREAD_BLOCK: usize = 16 * 1024;

/// Why a file was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Skipped {
    /// A NUL byte in its first 8 KiB.
    Binary,
    /// Not a regular file: a FIFO, socket or device met inside a walked folder, never opened.
    Special,
}

/// One file of the corpus.
#[derive(Debug, Clone, Default)]
pub struct FileEntry {
    /// The path as printed in the report ([`crate::walk::display_path`]): the path itself when it
    /// is UTF-8, as nearly every path is, so that a file holds one copy of its name.
    display: Box<str>,
    /// The path used to open it when that is not `display` (a path that is not UTF-8).
    raw_path: Option<Box<Path>>,
    /// Bytes of its text when it was read (after decompression and decoding).
    pub size: u64,
    /// Hash of its text when it was read, to tell whether it changed when read again.
    pub hash: u64,
    /// Why it was skipped (binary, or not a regular file), when it was; it then has no text.
    pub skipped: Option<Skipped>,
    /// The compression it was stored with.
    pub compression: Option<read::Compression>,
    /// How its bytes were decoded (`None` for a binary file).
    pub decoding: Option<read::Decoding>,
    /// For JSON Lines, the number of records read.
    pub records: Option<usize>,
    /// The text of stdin or a pipe, which cannot be read twice.
    pub kept: Option<Arc<read::Text>>,
    /// Reference text (`--reference`): matched, never a redundant copy.
    pub reference: bool,
}

impl FileEntry {
    /// A file at `path` (`-` for stdin), nothing read from it yet.
    pub fn new(path: PathBuf, reference: bool) -> Self {
        let (display, raw_path) = match path.into_os_string().into_string() {
            Ok(utf8) => (utf8.into_boxed_str(), None),
            Err(raw) => {
                let path = PathBuf::from(raw);
                (crate::walk::display_path(&path).into(), Some(path.into()))
            }
        };
        FileEntry {
            display,
            raw_path,
            reference,
            ..FileEntry::default()
        }
    }

    /// The path used to open it (`-` for stdin).
    pub fn path(&self) -> &Path {
        self.raw_path
            .as_deref()
            .unwrap_or_else(|| Path::new(&*self.display))
    }

    /// The path as printed in the report.
    pub fn display(&self) -> &str {
        &self.display
    }
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
    /// Paragraphs under `min_words`: of the inputs, then of the reference.
    pub short_paragraphs: [usize; 2],
    /// The text of the last file read again, kept for the next call: ids come in blocks in path
    /// order, so a large file spans many blocks and is read once instead of once a block.
    reread_cache: Mutex<Option<(u32, Arc<read::Text>)>>,
}

/// Paragraphs of one file handed to one worker when read again.
const REREAD_CHUNK: usize = 1024;

impl Corpus {
    /// Whether paragraph `p` is reference text (`--reference`).
    pub fn is_reference(&self, p: u32) -> bool {
        self.files[self.paragraphs[p as usize].file as usize].reference
    }

    /// An empty corpus whose files are read (and read again) with `read_options`.
    pub fn new(read_options: read::ReadOptions) -> Self {
        Corpus {
            read_options,
            ..Corpus::default()
        }
    }

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
                let again = |message: String| Problem::new(entry.path(), message);
                let text = match (&entry.kept, &cached) {
                    (Some(text), _) => text.clone(),
                    (None, Some((f, text))) if *f == file => text.clone(),
                    _ => match read::read(entry.path(), &self.read_options) {
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
