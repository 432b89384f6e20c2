//! The reference index: what matching needs of a reference corpus, saved once and used by every
//! later run (`dedup index PATH... -o corpus.dedupx`, then `--reference corpus.dedupx`).
//!
//! In: the [`Scan`] of the reference files (written) or an index file (read), and the settings of
//! the run. Out: the index file, or the [`Scan`] it holds, its files marked as reference, as if
//! they had just been scanned; the rest of the pipeline is the same, and reads again from the
//! reference files only the paragraphs whose candidates it verifies or quotes. [`update`] takes
//! an index and the files walked now to the scan of those files, the unchanged ones taken from
//! the index (`dedup index --update`).
//!
//! The format (version [`VERSION`]), all integers little-endian:
//!
//! | part | layout |
//! |---|---|
//! | magic | the 8 bytes `DEDUPX\r\n` |
//! | version | u32 |
//! | settings | u32 length, then the JSON of the report's `settings` that shape fingerprints ([`shaping_settings`]) |
//! | files | u64 count; each: path and display path (u32 length, bytes), text bytes u64, text hash u64, length on disk u64, modification time u64 (ns since the epoch), skipped u8 (0 no, 1 binary, 2 special), compression u8 (0 none, 1 gzip, 2 zstd), decoding u8 (0 none, 1 UTF-8, 2 UTF-16LE, 3 UTF-16BE, 4 Latin-1), records u64 (`u64::MAX`: not JSON Lines) |
//! | documents | u64 count; each: file u32, record u32 (`u32::MAX`: none), offset u64, id (u32 length, `u32::MAX`: none; bytes) |
//! | paragraphs | u64 count; each: file u32, document u32, index u32, bytes hash u32, line u32, end line u32, start u64, end u64 |
//! | short paragraphs | u64 |
//! | fingerprints | [`crate::fingerprint::Fingerprints::encode`]: keys, band keys band by band, winnowed fingerprints and their contexts, contents (every paragraph with wire markup since version 3; before, the short ones), headlines (u64 count; each: headline paragraph u32, lead paragraph u32; since version 2) |
//! | checksum | u64, the xxh3-64 of every byte before it (since version 2) |
//!
//! An index whose checksum does not match its bytes is refused as damaged, before anything in it
//! is used. A run whose settings differ from those the index was written with is refused, naming them;
//! a reference file missing, or changed on disk since (another length or modification time), is
//! an error naming it.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::corpus::{Corpus, DocumentEntry, FileEntry, Paragraph, Skipped};
use crate::error::Problem;
use crate::fingerprint::Fingerprints;
use crate::fingerprint::{Claims, claim_place};
use crate::read::{self, Compression, Decoding};
use crate::scan::{self, Scan, Scanned, Scanner};
use crate::segment::Span;
use crate::walk;
use rayon::prelude::*;

/// The first bytes of every index file.
pub const MAGIC: &[u8; 8] = b"DEDUPX\r\n";

/// The version of the format this build writes and reads.
pub const VERSION: u32 = 3;

/// Whether `path` is an index file (a regular file starting with [`MAGIC`]).
pub fn is_index(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == MAGIC
}

/// The settings of a report's `settings` block (as JSON) that shape what an index holds: all
/// but the paths given (and the file they came from or the settings file), and the options of
/// the walk and of the candidates' expansion, which the index does not depend on.
pub fn shaping_settings(settings: &serde_json::Value) -> serde_json::Value {
    let mut settings = settings.clone();
    if let Some(map) = settings.as_object_mut() {
        for key in [
            "inputs",
            "references",
            "files_from",
            "config",
            "extensions",
            "exclude",
            "hidden",
            "follow",
            "boilerplate_cap",
        ] {
            map.remove(key);
        }
    }
    settings
}

/// Writes the scan of the reference files to `out`, with the settings that shaped it.
pub fn write(out: &mut dyn Write, settings: &serde_json::Value, scan: &Scan) -> io::Result<()> {
    let mut w = Writer::new(out);
    w.put(MAGIC)?;
    w.u32(VERSION)?;
    w.bytes(shaping_settings(settings).to_string().as_bytes())?;
    let corpus = &scan.corpus;
    w.u64(corpus.files.len() as u64)?;
    for file in &corpus.files {
        w.bytes(file.path().as_os_str().as_encoded_bytes())?;
        w.bytes(file.display().as_bytes())?;
        w.u64(file.size)?;
        w.u64(file.hash)?;
        let (length, modified) = on_disk(file.path());
        w.u64(length)?;
        w.u64(modified)?;
        w.u8(match file.skipped {
            None => 0,
            Some(Skipped::Binary) => 1,
            Some(Skipped::Special) => 2,
        })?;
        w.u8(match file.compression {
            None => 0,
            Some(Compression::Gzip) => 1,
            Some(Compression::Zstd) => 2,
        })?;
        w.u8(match file.decoding {
            None => 0,
            Some(Decoding::Utf8) => 1,
            Some(Decoding::Utf16Le) => 2,
            Some(Decoding::Utf16Be) => 3,
            Some(Decoding::Latin1) => 4,
        })?;
        w.u64(file.records.map_or(u64::MAX, |r| r as u64))?;
    }
    w.u64(corpus.documents.len() as u64)?;
    for d in &corpus.documents {
        w.u32(d.file)?;
        w.u32(d.record.unwrap_or(u32::MAX))?;
        w.u64(d.offset)?;
        match &d.id {
            Some(id) => w.bytes(id.as_bytes())?,
            None => w.u32(u32::MAX)?,
        }
    }
    w.u64(corpus.paragraphs.len() as u64)?;
    for p in &corpus.paragraphs {
        for v in [
            p.file,
            p.document,
            p.index,
            p.bytes_hash,
            p.span.line,
            p.span.end_line,
        ] {
            w.u32(v)?;
        }
        w.u64(p.span.start as u64)?;
        w.u64(p.span.end as u64)?;
    }
    w.u64(corpus.short_paragraphs[0] as u64)?;
    scan.fingerprints.encode(&mut w)?;
    w.finish()
}

/// Reads the index at `path` as the scan of reference files read with `read_options`; `Err`
/// with the message to print when it cannot be used (not an index, another version, other
/// settings, cut short). Reference files missing or changed on disk are errors in the scan.
pub fn read(
    path: &Path,
    settings: &serde_json::Value,
    read_options: &read::ReadOptions,
) -> Result<Scan, String> {
    open(path, settings, read_options, true).map(|(scan, _)| scan)
}

/// A problem for each of `files` missing on disk, or changed since its `stamps` were taken. One
/// stat a file, on every thread: a reference of many small files is mostly this.
fn changed_files(files: &[FileEntry], stamps: &[(u64, u64)]) -> Vec<Problem> {
    (files.par_iter().zip(stamps))
        .filter_map(|(file, &stamp)| {
            let problem = match std::fs::metadata(file.path()) {
                Err(e) => format!("in the reference index: {e}"),
                Ok(m) if file.skipped.is_none() && stamp_of(&m) != stamp => {
                    "changed since the reference index was written: write it again".to_owned()
                }
                Ok(_) => return None,
            };
            Some(Problem::new(file.path(), problem))
        })
        .collect()
}

/// The index at `path` to update, as [`read()`] reads it but with its files' lengths on disk and
/// modification times when it was written, and no problem for those changed since; `None` when
/// there is no file at `path` yet.
pub fn read_earlier(
    path: &Path,
    settings: &serde_json::Value,
    read_options: &read::ReadOptions,
) -> Result<Option<Earlier>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let (scan, stamps) = open(path, settings, read_options, false)?;
    Ok(Some(Earlier { scan, stamps }))
}

/// An index read to be updated.
pub struct Earlier {
    scan: Scan,
    /// Each file's length on disk and modification time when the index was written.
    stamps: Vec<(u64, u64)>,
}

/// The scan an index file holds, read as [`read()`] reads it but without looking at its files on
/// disk (a shard of a staged run: its files are read again only when verified).
pub(crate) fn read_scan(
    path: &Path,
    settings: &serde_json::Value,
    read_options: &read::ReadOptions,
) -> Result<Scan, String> {
    open(path, settings, read_options, false).map(|(scan, _)| scan)
}

/// The index's header checked against this run's settings, and the scan it holds; with
/// `check_files`, its files missing or changed on disk are errors in the scan.
fn open(
    path: &Path,
    settings: &serde_json::Value,
    read_options: &read::ReadOptions,
    check_files: bool,
) -> Result<(Scan, Vec<(u64, u64)>), String> {
    let name = crate::walk::display_path(path);
    let unreadable = |e: io::Error| format!("{name}: {e}");
    // Read a window at a time, not mapped: an index cut short or rewritten in place while a run
    // reads it (`cp` over it) must be refused with a message, not kill the run with SIGBUS.
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    let mut r = Reader::new(&mut file, len.saturating_sub(8));
    let cut = |_: io::Error| damaged(&name);
    if r.take(8).map_err(cut)? != MAGIC {
        return Err(format!("{name}: not a dedup index"));
    }
    let version = r.u32().map_err(cut)?;
    if version != VERSION {
        return Err(format!(
            "{name}: index format {version}; this dedup reads format {VERSION}: write it again"
        ));
    }
    let decoded = decode_with_settings(&mut r, settings, read_options, check_files, &name);
    // Nothing decoded is used unless the checksum matches: an index whose settings differ or
    // that cannot be decoded is read to its end all the same, so that a damaged one is called
    // damaged.
    let digest = r.digest().map_err(cut)?;
    // The checksum ends the file: bytes after it (the file grew while it was read) are damage.
    let mut checksum = Vec::new();
    (&mut file)
        .take(9)
        .read_to_end(&mut checksum)
        .map_err(cut)?;
    if checksum != digest.to_le_bytes() {
        return Err(cut(io::ErrorKind::InvalidData.into()));
    }
    decoded
}

/// The message for the index `name` cut short or damaged.
fn damaged(name: &str) -> String {
    format!("{name}: the index is cut short or damaged; write it again")
}

/// The settings of the index `name` checked against this run's, then the scan it holds.
fn decode_with_settings(
    r: &mut Reader<'_>,
    settings: &serde_json::Value,
    read_options: &read::ReadOptions,
    check_files: bool,
    name: &str,
) -> Result<(Scan, Vec<(u64, u64)>), String> {
    let cut = |_: io::Error| damaged(name);
    let written: serde_json::Value = serde_json::from_slice(r.bytes_field().map_err(cut)?)
        .map_err(|e| format!("{name}: {e}"))?;
    let wanted = shaping_settings(settings);
    if written != wanted {
        return Err(format!(
            "{name}: written with other settings ({}); write it again with these, or run with \
             those",
            differences(&written, &wanted)
        ));
    }
    decode(r, read_options, check_files).map_err(cut)
}

/// What `dedup index --update` did with the files.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Updated {
    /// Files taken from the index as they were: unchanged on disk, or read and found to hold
    /// the text of a file the index has (touched, renamed, copied).
    pub kept: usize,
    /// Files read and fingerprinted: new, changed, or holding a copy of a text whose
    /// fingerprinted copy is gone.
    pub scanned: usize,
    /// Files of the index not found any more.
    pub dropped: usize,
}

/// The scan of `paths` (sorted, as walked) with what the index `earlier` holds of them reused:
/// the same scan as of the files read afresh, but for which copy of an exactly repeated
/// paragraph holds its fingerprints. A file is taken from the index when its path is there
/// with the same length on disk and modification time, or else when its text (length, hash,
/// how it was decoded) is that of a file of the index; every other file is scanned. A kept
/// file holding a copy whose fingerprints were held by a file that is not kept is scanned
/// too, so that every text keeps one fingerprinted copy.
pub fn update(earlier: Earlier, paths: Vec<walk::Entry>, scanner: &Scanner<'_>) -> (Scan, Updated) {
    let Earlier { scan: old, stamps } = earlier;
    let files = &old.corpus.files;
    let by_path: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path(), i))
        .collect();
    type Text = (u64, u64, Option<Compression>, Option<Decoding>, bool);
    let text_of = |f: &FileEntry| -> Text {
        (
            f.size,
            f.hash,
            f.compression,
            f.decoding,
            f.records.is_some(),
        )
    };
    let by_text: HashMap<Text, usize> = files
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, f)| f.skipped.is_none())
        .map(|(i, f)| (text_of(f), i))
        .collect();
    let read_options = scanner.read;
    let mut reuse: Vec<Option<usize>> = paths
        .par_iter()
        .map(|entry| {
            if entry.special {
                return None;
            }
            let same_path = by_path.get(entry.path.as_path()).copied();
            if let Some(i) = same_path.filter(|&i| on_disk(&entry.path) == stamps[i]) {
                return Some(i);
            }
            match read::read(&entry.path, read_options) {
                Ok(read::Source::Text(t)) => {
                    let text = (
                        t.bytes.len() as u64,
                        t.hash,
                        t.compression,
                        Some(t.decoding),
                        t.jsonl,
                    );
                    by_text.get(&text).copied()
                }
                _ => None,
            }
        })
        .collect();
    let ranges = scan::file_ranges(&old.corpus);
    let fingerprints = &old.fingerprints;
    // Until no kept file holds a copy of a text fingerprinted only in files that are not kept.
    let claims = loop {
        let mut kept = vec![false; files.len()];
        reuse.iter().flatten().for_each(|&i| kept[i] = true);
        let fingerprinted_in = |keep: bool| -> HashSet<u128> {
            (0..files.len())
                .filter(|&f| kept[f] == keep)
                .flat_map(|f| ranges[f].paragraphs.clone())
                .filter(|&p| fingerprints.fingerprinted(p))
                .map(|p| fingerprints.key(p as u32).exact)
                .collect()
        };
        let held = fingerprinted_in(true);
        let gone: HashSet<u128> = fingerprinted_in(false)
            .into_iter()
            .filter(|k| !held.contains(k))
            .collect();
        let orphaned = |f: usize| {
            ranges[f].paragraphs.clone().any(|p| {
                !fingerprints.fingerprinted(p) && gone.contains(&fingerprints.key(p as u32).exact)
            })
        };
        let before = reuse.iter().flatten().count();
        reuse
            .iter_mut()
            .for_each(|r| *r = r.filter(|&f| !orphaned(f)));
        if reuse.iter().flatten().count() == before {
            // Each text held by a kept file, claimed at the place of its copy there, so that an
            // earlier copy in a file read now is fingerprinted itself, as a fresh index does.
            drop(held);
            let claims = Claims::default();
            for (i, f) in reuse.iter().enumerate() {
                let Some(f) = *f else { continue };
                for p in ranges[f].paragraphs.clone() {
                    if fingerprints.fingerprinted(p) {
                        let paragraph = &old.corpus.paragraphs[p];
                        let record = old.corpus.documents[paragraph.document as usize].record;
                        let place = claim_place(i, record.unwrap_or(0), paragraph.index as usize);
                        claims.claim(fingerprints.key(p as u32).exact, place);
                    }
                }
            }
            break claims;
        }
    };
    let mut listed = vec![false; files.len()];
    for entry in &paths {
        if let Some(&i) = by_path.get(entry.path.as_path()) {
            listed[i] = true;
        }
    }
    let kept = reuse.iter().flatten().count();
    let updated = Updated {
        kept,
        scanned: paths.iter().filter(|e| !e.special).count() - kept,
        dropped: listed.iter().filter(|&&l| !l).count(),
    };
    let fresh = Scan {
        corpus: Corpus::new(read_options.clone()),
        ..Scan::default()
    };
    let scan = scanner.scan_reusing(fresh, paths, claims, |i| {
        reuse[i].map(|f| Scanned::from_earlier(&old, f, &ranges))
    });
    (scan, updated)
}

/// The settings that differ, as `key: index's value, this run's value`.
fn differences(written: &serde_json::Value, wanted: &serde_json::Value) -> String {
    let (Some(a), Some(b)) = (written.as_object(), wanted.as_object()) else {
        return "another layout".to_owned();
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show =
                |v: Option<&serde_json::Value>| v.map_or("none".to_owned(), |v| v.to_string());
            format!(
                "{k}: {} in the index, {} here",
                show(a.get(k)),
                show(b.get(k))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The scan an index holds, and each file's length on disk and modification time then; with
/// `check_files`, its files are looked at on disk ([`changed_files`]) while the rest is decoded.
fn decode(
    r: &mut Reader<'_>,
    read_options: &read::ReadOptions,
    check_files: bool,
) -> io::Result<(Scan, Vec<(u64, u64)>)> {
    let mut corpus = Corpus::new(read_options.clone());
    let mut stamps = Vec::new();
    let bad = || io::Error::from(io::ErrorKind::InvalidData);
    for _ in 0..r.u64()? {
        let path = PathBuf::from(String::from_utf8(r.bytes_field()?.to_vec()).map_err(|_| bad())?);
        // The display path, written for readers of the format, is the path's own (UTF-8) text.
        let display = r.bytes_field()?;
        if display != path.as_os_str().as_encoded_bytes() {
            return Err(bad());
        }
        let (size, hash, length, modified) = (r.u64()?, r.u64()?, r.u64()?, r.u64()?);
        let skipped = match r.u8()? {
            0 => None,
            1 => Some(Skipped::Binary),
            2 => Some(Skipped::Special),
            _ => return Err(bad()),
        };
        let compression = match r.u8()? {
            0 => None,
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Zstd),
            _ => return Err(bad()),
        };
        let decoding = match r.u8()? {
            0 => None,
            1 => Some(Decoding::Utf8),
            2 => Some(Decoding::Utf16Le),
            3 => Some(Decoding::Utf16Be),
            4 => Some(Decoding::Latin1),
            _ => return Err(bad()),
        };
        let records = match r.u64()? {
            u64::MAX => None,
            n => Some(n as usize),
        };
        stamps.push((length, modified));
        let mut file = FileEntry::new(path, true);
        file.size = size;
        file.hash = hash;
        file.skipped = skipped;
        file.compression = compression;
        file.decoding = decoding;
        file.records = records;
        corpus.files.push(file);
    }
    let files = &corpus.files;
    let (problems, rest) = rayon::join(
        || match check_files {
            true => changed_files(files, &stamps),
            false => Vec::new(),
        },
        || decode_paragraphs(r),
    );
    let (documents, paragraphs, short, fingerprints) = rest?;
    if fingerprints.keys().len() != paragraphs.len() || r.left() != 0 {
        return Err(bad());
    }
    corpus.documents = documents;
    corpus.paragraphs = paragraphs;
    corpus.short_paragraphs[1] = short;
    let mut scan = Scan {
        corpus,
        fingerprints,
        ..Scan::default()
    };
    problems.into_iter().for_each(|p| scan.errors.push(p));
    Ok((scan, stamps))
}

/// What an index holds after its files: the documents, the paragraphs, the count of the short
/// ones and the fingerprints.
type Paragraphs = (Vec<DocumentEntry>, Vec<Paragraph>, usize, Fingerprints);

fn decode_paragraphs(r: &mut Reader<'_>) -> io::Result<Paragraphs> {
    let bad = || io::Error::from(io::ErrorKind::InvalidData);
    let mut documents = Vec::new();
    for _ in 0..r.u64()? {
        let file = r.u32()?;
        let record = Some(r.u32()?).filter(|&n| n != u32::MAX);
        let offset = r.u64()?;
        let id = match r.peek_u32()? {
            u32::MAX => {
                r.u32()?;
                None
            }
            _ => Some(
                String::from_utf8(r.bytes_field()?.to_vec())
                    .map_err(|_| bad())?
                    .into_boxed_str(),
            ),
        };
        documents.push(DocumentEntry {
            file,
            record,
            offset,
            id,
        });
    }
    let paragraphs = r.count(40)?;
    let paragraphs = r.records::<40, _>(paragraphs, |p| {
        let u32_at = |i: usize| u32::from_le_bytes(p[i..i + 4].try_into().expect("4"));
        let u64_at = |i: usize| u64::from_le_bytes(p[i..i + 8].try_into().expect("8"));
        Paragraph {
            file: u32_at(0),
            document: u32_at(4),
            index: u32_at(8),
            bytes_hash: u32_at(12),
            span: Span {
                line: u32_at(16),
                end_line: u32_at(20),
                start: u64_at(24) as usize,
                end: u64_at(32) as usize,
            },
        }
    })?;
    let short = r.u64()? as usize;
    let fingerprints = Fingerprints::decode(r)?;
    Ok((documents, paragraphs, short, fingerprints))
}

/// A file's length on disk and modification time (ns since the epoch); zeros when unknown.
fn on_disk(path: &Path) -> (u64, u64) {
    std::fs::metadata(path).map_or((0, 0), |m| stamp_of(&m))
}

/// The length on disk and modification time (ns since the epoch) of a file's metadata.
fn stamp_of(m: &std::fs::Metadata) -> (u64, u64) {
    let modified = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    (m.len(), modified)
}

/// Writes the integers and byte strings of the format, through a buffer of [`WRITE_BUFFER`]
/// bytes (one call to the writer per buffer, not per integer).
pub(crate) struct Writer<'a> {
    out: &'a mut dyn Write,
    buf: Vec<u8>,
    /// The xxh3-64 of every byte handed to the writer so far.
    checksum: xxhash_rust::xxh3::Xxh3,
}

/// Bytes gathered before they are handed to the writer.
const WRITE_BUFFER: usize = 1 << 20;

impl<'a> Writer<'a> {
    fn new(out: &'a mut dyn Write) -> Self {
        Writer {
            out,
            buf: Vec::with_capacity(WRITE_BUFFER),
            checksum: xxhash_rust::xxh3::Xxh3::new(),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.checksum.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= WRITE_BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands the rest of the buffer to the writer, then the checksum of everything before it.
    fn finish(mut self) -> io::Result<()> {
        self.flush()?;
        self.out.write_all(&self.checksum.digest().to_le_bytes())
    }

    pub(crate) fn u8(&mut self, v: u8) -> io::Result<()> {
        self.put(&[v])
    }

    pub(crate) fn u32(&mut self, v: u32) -> io::Result<()> {
        self.put(&v.to_le_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> io::Result<()> {
        self.put(&v.to_le_bytes())
    }

    pub(crate) fn u128(&mut self, v: u128) -> io::Result<()> {
        self.put(&v.to_le_bytes())
    }

    /// A u32 length, then the bytes.
    pub(crate) fn bytes(&mut self, v: &[u8]) -> io::Result<()> {
        let len =
            u32::try_from(v.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.u32(len)?;
        self.put(v)
    }
}

/// Reads what [`Writer`] wrote from a stream of `len` bytes, through a window of about
/// [`WINDOW`] bytes (an index is never held whole in memory besides what it decodes to), working
/// out the xxh3-64 of the bytes as they are read; an error when the bytes run out.
pub(crate) struct Reader<'a> {
    source: &'a mut (dyn Read + Send),
    /// Bytes of the stream not yet read into the window.
    unread: u64,
    window: Vec<u8>,
    /// Where the bytes of the window not yet taken start.
    at: usize,
    hasher: xxhash_rust::xxh3::Xxh3,
}

/// The bytes a [`Reader`] reads at once.
const WINDOW: usize = 1 << 20;

impl<'a> Reader<'a> {
    pub(crate) fn new(source: &'a mut (dyn Read + Send), len: u64) -> Self {
        Reader {
            source,
            unread: len,
            window: Vec::new(),
            at: 0,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
        }
    }

    /// The bytes not yet taken.
    fn left(&self) -> u64 {
        (self.window.len() - self.at) as u64 + self.unread
    }

    /// Makes the next `n` bytes ready in the window.
    fn fill(&mut self, n: usize) -> io::Result<()> {
        let ready = self.window.len() - self.at;
        if ready >= n {
            return Ok(());
        }
        if (n - ready) as u64 > self.unread {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.window.drain(..self.at);
        self.at = 0;
        let more = (n - ready).max(WINDOW).min(self.unread as usize);
        self.window.resize(ready + more, 0);
        self.source.read_exact(&mut self.window[ready..])?;
        self.hasher.update(&self.window[ready..]);
        self.unread -= more as u64;
        Ok(())
    }

    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        self.fill(n)?;
        let taken = &self.window[self.at..self.at + n];
        self.at += n;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("N bytes taken"))
    }

    /// The next `n` records of `N` bytes, each turned into a `T` by `f`, a window at a time: an
    /// array of a million integers is a few bounds checks, not a million.
    pub(crate) fn records<const N: usize, T>(
        &mut self,
        n: usize,
        f: impl Fn([u8; N]) -> T,
    ) -> io::Result<Vec<T>> {
        let mut left = n
            .checked_mul(N)
            .filter(|&bytes| bytes as u64 <= self.left())
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        let mut records = Vec::with_capacity(n);
        while left > 0 {
            let step = left.min(WINDOW.div_ceil(N) * N);
            let bytes = self.take(step)?;
            let record = |c: &[u8]| f(c.try_into().expect("N bytes a chunk"));
            records.extend(bytes.chunks_exact(N).map(record));
            left -= step;
        }
        Ok(records)
    }

    pub(crate) fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> io::Result<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn peek_u32(&mut self) -> io::Result<u32> {
        self.fill(4)?;
        let bytes = &self.window[self.at..self.at + 4];
        Ok(u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
    }

    pub(crate) fn u64(&mut self) -> io::Result<u64> {
        self.array().map(u64::from_le_bytes)
    }

    pub(crate) fn u128(&mut self) -> io::Result<u128> {
        self.array().map(u128::from_le_bytes)
    }

    /// A count written as u64 that must fit the bytes left at `size` bytes per item, so a
    /// damaged count cannot ask for more memory than the file holds.
    pub(crate) fn count(&mut self, size: usize) -> io::Result<usize> {
        let n = self.u64()?;
        if n.saturating_mul(size as u64) > self.left() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(n as usize)
    }

    fn bytes_field(&mut self) -> io::Result<&[u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// Reads the rest of the stream, and returns the xxh3-64 of all of it.
    fn digest(mut self) -> io::Result<u64> {
        while self.unread > 0 {
            self.at = self.window.len();
            self.fill(1)?;
        }
        Ok(self.hasher.digest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paths_and_the_walk_do_not_shape_an_index() {
        let settings = serde_json::json!({
            "inputs": ["new"], "references": ["corpus.dedupx"], "config": "dedup.toml",
            "exclude": ["*.log"], "hidden": true, "boilerplate_cap": 20, "shingle": 2,
            "min_words": 8,
        });
        let other = serde_json::json!({
            "inputs": ["corpus"], "hidden": false, "boilerplate_cap": 50, "shingle": 2,
            "min_words": 8,
        });
        assert_eq!(shaping_settings(&settings), shaping_settings(&other));
        let changed = serde_json::json!({"inputs": ["new"], "shingle": 3, "min_words": 8});
        assert_ne!(shaping_settings(&settings), shaping_settings(&changed));
        assert_eq!(
            differences(&shaping_settings(&settings), &shaping_settings(&changed)),
            "shingle: 2 in the index, 3 here"
        );
    }

    #[test]
    fn a_count_larger_than_the_bytes_left_is_refused_before_allocating() {
        let bytes = [u64::MAX.to_le_bytes().as_slice(), &[0u8; 16]].concat();
        let mut source = &bytes[..];
        let mut r = Reader::new(&mut source, bytes.len() as u64);
        assert!(r.count(48).is_err());
        // No keys, so no band key: a damaged band count would ask for billions of empty bands.
        let bytes = [
            0u64.to_le_bytes().as_slice(),
            &u32::MAX.to_le_bytes(),
            &[0u8; 64],
        ]
        .concat();
        let mut source = &bytes[..];
        let mut r = Reader::new(&mut source, bytes.len() as u64);
        assert!(Fingerprints::decode(&mut r).is_err());
    }
}
