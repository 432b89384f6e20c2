//! The pipeline as stages with files between them (`dedup stage ...`), each runnable alone, the
//! scan in shards on as many machines as there are, under any batch scheduler.
//!
//! In: a work folder and the stage's own arguments. Out: the stage's files in the work folder,
//! or (the last stage) the report, the same bytes as `dedup PATH...` gives with the same options:
//!
//! 1. [`manifest`]: the PATH arguments walked to the sorted file list, with each file's id, size
//!    and content hash, the walk's problems, and the options every later stage runs with
//!    (`WORK/manifest.json`);
//! 2. [`sign`]: the files of shard I of N (ids `I·n/N` up to `(I+1)·n/N`) scanned: read,
//!    segmented, normalized and fingerprinted (`WORK/sign/shard-I-of-N.dedupx`, a scan in the
//!    reference index format of [`crate::index`], and `WORK/sign/shard-I-of-N.json`, the shard's
//!    problems), and the tables a query engine joins, in Parquet:
//!    `sign/paragraphs-shard-I-of-N.parquet` (every paragraph's place, exact and figure-masked
//!    keys, word count), `sign/bands-shard-I-of-N.parquet` (every band key of the paragraphs
//!    fingerprinted) and `sign/winnowed-shard-I-of-N.parquet` (their winnowed fingerprints);
//! 3. [`candidates`]: the band join, pairs of units sharing a band key, written to
//!    `candidates/band-pairs.parquet` and `candidates/oversized.parquet`; the same files as the
//!    shipped SQL (`sql/`) writes when a query engine runs it on the tables of step 2;
//! 4. [`verify`] (optional): shard I of N's candidates (those whose first paragraph lies in its
//!    files) verified on the real sets, the paragraphs read again, those that pass written to
//!    `links/shard-I-of-N.parquet`;
//! 5. [`report`]: the shards of one N merged, in file order, into the scan of every file, then
//!    the band candidates read, verified (or their links read, when `verify` ran), clustered,
//!    shared text found and the report written, as one run does them.
//!
//! A paragraph's id derives from its file id and its place in the file, never from a shard. Every
//! file of the work folder carries its format version and the hash of the settings it was made
//! with; a stage refuses a file made with other settings or by another version.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{Error, Problem, Problems, Written};
use crate::fingerprint::{Claims, Fingerprinter};
use crate::index;
use crate::matching::Link;
use crate::pipeline::{self, Drawn, Outcome, Verification};
use crate::progress::Progress;
use crate::read;
use crate::report::Summary;
use crate::scan::{self, Scan, Scanned};
use crate::table;
use crate::timings::Timings;
use crate::walk;

/// The version of the work folder's files this build writes and reads.
pub const VERSION: u32 = 2;

/// The manifest's name in the work folder.
const MANIFEST: &str = "manifest.json";

/// The folder of the shards' files in the work folder.
const SIGNED: &str = "sign";

/// The folder of the band candidates in the work folder.
const CANDIDATES: &str = "candidates";

/// The folder of the candidates verified by `dedup stage verify`, a table a shard.
const LINKS: &str = "links";

/// The one-row table of the settings the shipped SQL reads, in the work folder.
const SETTINGS_TABLE: &str = "settings.parquet";

/// The key-value metadata of every Parquet file of the work folder: its schema version and the
/// settings hash.
const VERSION_KEY: &str = "dedup.schema_version";
const SETTINGS_KEY: &str = "dedup.settings_hash";
const FILES_KEY: &str = "dedup.files_hash";

/// `WORK/manifest.json`: what every stage after the first starts from.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// `dedup-stage-manifest`.
    schema: String,
    /// [`VERSION`].
    version: u32,
    /// The hash of the run's settings ([`settings_hash`]).
    settings_hash: String,
    /// The xxh3-64, in hex, of `files` as written: what was signed from another manifest's list
    /// is told apart.
    files_hash: String,
    /// The arguments of `dedup stage manifest` (with those of its configuration file merged in):
    /// every later stage parses them again, so that all run with the same settings.
    arguments: Vec<String>,
    /// The configuration file those arguments came from, if any.
    config_file: Option<String>,
    /// The files to scan, sorted as the walk sorts them.
    files: Vec<ManifestFile>,
    /// What the walk could not read (and inputs holding no file), as a run reports them.
    errors: Vec<Problem>,
}

/// One file of the manifest.
#[derive(Debug, Serialize, Deserialize)]
struct ManifestFile {
    /// Its id: its place in the sorted list.
    id: u32,
    /// The path, as reached from the arguments.
    path: String,
    /// Reached from a `--reference` path.
    reference: bool,
    /// Not a regular file: listed as skipped, never opened.
    special: bool,
    /// Its length on disk when the manifest was written.
    size: u64,
    /// The xxh3-64 of its bytes then, in hex (`""` for a special file).
    hash: String,
}

impl Manifest {
    /// The manifest of the work folder `work`.
    pub fn read(work: &Path) -> Result<Manifest, Error> {
        let first = format!(
            "; write it first with dedup stage manifest PATH... -o {}",
            walk::display_path(work)
        );
        read_stamped(&work.join(MANIFEST), &first)
    }

    /// The arguments every stage runs with.
    pub fn arguments(&self) -> &[String] {
        &self.arguments
    }

    /// The configuration file the arguments came from, if any.
    pub fn config_file(&self) -> Option<&str> {
        self.config_file.as_deref()
    }

    /// The files to scan, as the walk gives them.
    fn entries(&self) -> Vec<walk::Entry> {
        self.files
            .iter()
            .map(|f| walk::Entry {
                path: PathBuf::from(&f.path),
                special: f.special,
                reference: f.reference,
                regular: false,
            })
            .collect()
    }
}

/// A stage after the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `dedup stage sign WORK --shard I/N`.
    Sign(Shard),
    /// `dedup stage candidates WORK`.
    Candidates,
    /// `dedup stage verify WORK --shard I/N`.
    Verify(Shard),
    /// `dedup stage report WORK`.
    Report,
}

/// A JSON file of the work folder, whose `schema` and `version` say what it is.
trait Stamped: serde::de::DeserializeOwned {
    /// The `schema` it has.
    const SCHEMA: &'static str;
    /// Its `schema` and `version` as read.
    fn stamp(&self) -> (&str, u32);
}

impl Stamped for Manifest {
    const SCHEMA: &'static str = "dedup-stage-manifest";
    fn stamp(&self) -> (&str, u32) {
        (&self.schema, self.version)
    }
}

impl Stamped for VerifiedShard {
    const SCHEMA: &'static str = "dedup-stage-verified";
    fn stamp(&self) -> (&str, u32) {
        (&self.schema, self.version)
    }
}

/// What `dedup stage verify` did besides its links table (`WORK/links/shard-I-of-N.json`).
#[derive(Debug, Serialize, Deserialize)]
struct VerifiedShard {
    /// `dedup-stage-verified`.
    schema: String,
    /// [`VERSION`].
    version: u32,
    /// I.
    shard: usize,
    /// N.
    shards: usize,
    /// What the links were verified from ([`drawn_stamp`]): the shards' paragraphs and the
    /// candidates, so that links left from an earlier signing or draw are refused.
    drawn: String,
    /// The problems met reading the paragraphs again, carried to the report.
    errors: Vec<Problem>,
}

/// The xxh3-64, in hex, of every paragraph's exact key in the merged `scan` and of the candidate
/// pairs `drawn`: what a shard's links were verified from.
fn drawn_stamp(scan: &Scan, drawn: &Drawn) -> String {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    for p in 0..scan.corpus.paragraphs.len() as u32 {
        hash.update(&scan.fingerprints.key(p).exact.to_le_bytes());
    }
    for &(a, b) in &drawn.pairs {
        hash.update(&a.to_le_bytes());
        hash.update(&b.to_le_bytes());
    }
    format!("{:016x}", hash.digest())
}

impl Stamped for ShardProblems {
    const SCHEMA: &'static str = "dedup-stage-shard";
    fn stamp(&self) -> (&str, u32) {
        (&self.schema, self.version)
    }
}

/// The `T` at `path`, refused (naming the file) when it cannot be read (the message ends with
/// `unread`), is not a `T`, or is of another version.
fn read_stamped<T: Stamped>(path: &Path, unread: &str) -> Result<T, Error> {
    let name = walk::display_path(path);
    let bytes = std::fs::read(path).map_err(|e| Error::Stage(format!("{name}: {e}{unread}")))?;
    let value: T = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Stage(format!("{name}: not a {}: {e}", T::SCHEMA)))?;
    let (schema, version) = value.stamp();
    if schema != T::SCHEMA || version != VERSION {
        return Err(Error::Stage(format!(
            "{name}: {schema} version {version}; this dedup reads {} version {VERSION}",
            T::SCHEMA
        )));
    }
    Ok(value)
}

/// Shard `index` of `count` (`--shard I/N`, 0 ≤ I < N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// I.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl Shard {
    /// `I/N`, or why not.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or("give the shard as I/N, like 0/4")?;
        let (index, count): (usize, usize) = (
            i.parse().map_err(|e| format!("I: {e}"))?,
            n.parse().map_err(|e| format!("N: {e}"))?,
        );
        if count == 0 || index >= count {
            return Err(format!("shard {index} of {count}: I goes from 0 to N - 1"));
        }
        Ok(Shard { index, count })
    }

    /// The ids of its files among `files`.
    fn files(&self, files: usize) -> std::ops::Range<usize> {
        files * self.index / self.count..files * (self.index + 1) / self.count
    }

    /// Its files' names in the work folder, without the extension.
    fn stem(&self) -> String {
        format!("shard-{:05}-of-{:05}", self.index, self.count)
    }
}

/// The shard's problems and how its files map to the scan it wrote
/// (`WORK/sign/shard-I-of-N.json`).
#[derive(Debug, Serialize, Deserialize)]
struct ShardProblems {
    /// `dedup-stage-shard`.
    schema: String,
    /// [`VERSION`].
    version: u32,
    /// As the manifest's.
    settings_hash: String,
    /// As the manifest's.
    files_hash: String,
    /// I.
    shard: usize,
    /// N.
    shards: usize,
    /// `(place in the shard, message)` of each file that could not be read: it is not in the scan.
    failed: Vec<(usize, String)>,
    /// The scan's warnings, in file order.
    warnings: Vec<Problem>,
    /// The scan's errors, in file order.
    errors: Vec<Problem>,
}

/// The hash of a run's settings, as the stages' files carry it: the xxh3-64, in hex, of the
/// report's `settings` block without the paths given (which name the work folder in later
/// stages).
fn settings_hash(config: &Config) -> String {
    let settings = serde_json::to_value(config.settings()).expect("settings serialize");
    let shaping = index::shaping_settings(&settings).to_string();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(shaping.as_bytes()))
}

/// `dedup stage manifest`: the inputs of `config` walked and listed in `work`/manifest.json
/// with `arguments` (and the `config_file` they came from), which the later stages run with.
pub fn manifest(
    config: &Config,
    arguments: Vec<String>,
    config_file: Option<String>,
    work: &Path,
) -> Result<Outcome, Error> {
    if config.references.iter().any(|r| index::is_index(r)) {
        return Err(Error::Stage(
            "a reference index cannot be staged: give the reference folders".to_owned(),
        ));
    }
    if config.inputs.iter().any(|p| p == Path::new(read::STDIN)) {
        return Err(Error::Stage(
            "stdin cannot be staged: later stages read the files again".to_owned(),
        ));
    }
    let mut errors = Problems::default();
    let entries = pipeline::inputs(config, &config.references, &[], &mut errors);
    let files: Vec<ManifestFile> = entries
        .par_iter()
        .enumerate()
        .map(|(id, e)| {
            let path = e.path.to_str().ok_or_else(|| {
                let shown = walk::display_path(&e.path);
                Error::Stage(format!(
                    "{shown}: a path that is not UTF-8 cannot be staged"
                ))
            })?;
            // A file that cannot be read now is listed all the same: the scan reports it.
            let (size, hash) = match e.special {
                true => (0, String::new()),
                false => content_hash(&e.path).map_or((0, String::new()), |(size, hash)| {
                    (size, format!("{hash:016x}"))
                }),
            };
            Ok(ManifestFile {
                id: id as u32,
                path: path.to_owned(),
                reference: e.reference,
                special: e.special,
                size,
                hash,
            })
        })
        .collect::<Result<_, Error>>()?;
    let listed = serde_json::to_vec(&files).expect("files serialize");
    let manifest = Manifest {
        schema: Manifest::SCHEMA.to_owned(),
        version: VERSION,
        settings_hash: settings_hash(config),
        files_hash: format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&listed)),
        arguments,
        config_file,
        files,
        errors: errors.into_vec(),
    };
    std::fs::create_dir_all(work.join(SIGNED)).map_err(|error| Error::Output {
        what: Written::Stage,
        path: Some(work.to_path_buf()),
        error,
    })?;
    let cap = config.boilerplate_cap as i64;
    let settings = work.join(SETTINGS_TABLE);
    write_table(
        &settings,
        "settings",
        &["boilerplate_cap"],
        &manifest,
        |rows| rows.push(&[cap]),
    )?;
    write_json(&work.join(MANIFEST), &manifest)?;
    let files = manifest.files.len();
    let outcome = said(config, &[], manifest.errors);
    if !config.quiet {
        crate::messages::message(format_args!(
            "manifest of {files} files written to {}",
            walk::display_path(&work.join(MANIFEST))
        ));
    }
    Ok(outcome)
}

/// A stage's outcome: its `errors` (which the report carries too) printed on stderr, and unless
/// `quiet` its `warnings`; the exit status says whether there were errors.
fn said(config: &Config, warnings: &[Problem], errors: Vec<Problem>) -> Outcome {
    for problem in &errors {
        crate::messages::message(format_args!("{problem}"));
    }
    if !config.quiet {
        for problem in warnings {
            crate::messages::message(format_args!("warning: {problem}"));
        }
    }
    Outcome {
        summary: Summary::default(),
        errors,
    }
}

/// A table at `path` with the work folder's metadata: the schema version, and the settings and
/// files hashes of `manifest`.
fn write_table(
    path: &Path,
    name: &str,
    columns: &[&str],
    manifest: &Manifest,
    fill: impl FnOnce(&mut table::Rows<'_>) -> io::Result<()>,
) -> Result<(), Error> {
    let version = VERSION.to_string();
    let metadata = [
        (VERSION_KEY, version.as_str()),
        (SETTINGS_KEY, &manifest.settings_hash),
        (FILES_KEY, &manifest.files_hash),
    ];
    table::write(path, name, columns, &metadata, fill).map_err(|error| Error::Output {
        what: Written::Stage,
        path: Some(path.to_path_buf()),
        error,
    })
}

/// The columns `wanted` of the table at `path`: a Parquet file, or a folder of them (`*.parquet`,
/// as Spark writes a table), read in name order. A file whose metadata names another version, or
/// other settings or files than `manifest`'s, is refused (one an engine wrote without that
/// metadata is taken).
fn read_table(path: &Path, wanted: &[&str], manifest: &Manifest) -> Result<Vec<Vec<i64>>, Error> {
    let shown = walk::display_path(path);
    let files = match std::fs::read_dir(path) {
        Err(_) => vec![path.to_path_buf()],
        Ok(listing) => {
            let mut files: Vec<PathBuf> = listing
                .map(|e| e.map(|e| e.path()))
                .collect::<io::Result<_>>()
                .map_err(|e| Error::Stage(format!("{shown}: {e}")))?;
            files.retain(|f| f.extension().is_some_and(|e| e == "parquet"));
            files.sort();
            files
        }
    };
    let mut columns: Vec<Vec<i64>> = wanted.iter().map(|_| Vec::new()).collect();
    let version = VERSION.to_string();
    for file in files {
        let read = table::read(&file, wanted).map_err(Error::Stage)?;
        let shown = walk::display_path(&file);
        if read
            .metadata
            .get(VERSION_KEY)
            .is_some_and(|v| *v != version)
        {
            return Err(Error::Stage(format!(
                "{shown}: another schema version; this dedup reads version {VERSION}"
            )));
        }
        let differs = |key, ours: &str| read.metadata.get(key).is_some_and(|h| h != ours);
        if differs(SETTINGS_KEY, &manifest.settings_hash) {
            return Err(Error::Stage(format!(
                "{shown}: made with other settings than the manifest's; make it again"
            )));
        }
        if differs(FILES_KEY, &manifest.files_hash) {
            return Err(Error::Stage(format!(
                "{shown}: made from another manifest's files; make it again"
            )));
        }
        for (all, part) in columns.iter_mut().zip(read.columns) {
            all.extend(part);
        }
    }
    Ok(columns)
}

/// The length and the xxh3-64 of the bytes of the file at `path`, read a block at a time.
fn content_hash(path: &Path) -> io::Result<(u64, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut block = vec![0; 1 << 16];
    let mut size = 0;
    loop {
        match io::Read::read(&mut file, &mut block) {
            Ok(0) => return Ok((size, hasher.digest())),
            Ok(n) => {
                hasher.update(&block[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `value` as JSON at `path`, through a temporary file.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    crate::output::atomic::write_atomically(path, |out| {
        serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
        out.write_all(b"\n")
    })
    .map_err(|error| Error::Output {
        what: Written::Stage,
        path: Some(path.to_path_buf()),
        error,
    })
}

/// `dedup stage sign`: the files of `shard` scanned and written to `work`/sign.
pub fn sign(
    config: &Config,
    manifest: &Manifest,
    work: &Path,
    shard: Shard,
) -> Result<Outcome, Error> {
    check_settings(config, manifest, &work.join(MANIFEST))?;
    let mut entries = manifest.entries();
    let range = shard.files(entries.len());
    let entries: Vec<walk::Entry> = entries.drain(range.clone()).collect();
    let paths: Vec<PathBuf> = entries.iter().map(|e| e.path.clone()).collect();
    let mut progress = Progress::new(!config.quiet, entries.len());
    let fingerprinter = Fingerprinter::new(config.fingerprint_params());
    let mut scan = pipeline::scanner(config, &fingerprinter, &progress).scan(entries);
    progress.finish();
    let errors = std::mem::take(&mut scan.errors).into_vec();
    // The files the scan holds follow the paths in order; those missing could not be read.
    let mut held = scan.corpus.files.iter().map(|f| f.path()).peekable();
    let mut failed = Vec::new();
    let mut ids = Vec::new();
    for (place, path) in paths.iter().enumerate() {
        if held.next_if(|p| p == path).is_some() {
            ids.push((range.start + place) as i64);
        } else {
            let shown = walk::display_path(path);
            let message = errors
                .iter()
                .find(|p| p.path == shown && p.line.is_none())
                .map_or_else(|| "could not be read".to_owned(), |p| p.message.clone());
            failed.push((place, message));
        }
    }
    let settings = serde_json::to_value(config.settings()).expect("settings serialize");
    let dedupx = work.join(SIGNED).join(format!("{}.dedupx", shard.stem()));
    crate::output::atomic::write_atomically(&dedupx, |out| index::write(out, &settings, &scan))
        .map_err(|error| Error::Output {
            what: Written::Stage,
            path: Some(dedupx.clone()),
            error,
        })?;
    write_tables(work, shard, &scan, &ids, manifest)?;
    let problems = ShardProblems {
        schema: ShardProblems::SCHEMA.to_owned(),
        version: VERSION,
        settings_hash: manifest.settings_hash.clone(),
        files_hash: manifest.files_hash.clone(),
        shard: shard.index,
        shards: shard.count,
        failed,
        warnings: scan.warnings,
        errors,
    };
    write_json(&dedupx.with_extension("json"), &problems)?;
    let ShardProblems {
        warnings, errors, ..
    } = problems;
    let outcome = said(config, &warnings, errors);
    if !config.quiet {
        crate::messages::message(format_args!(
            "shard {} of {}: {} files, {} paragraphs written to {}",
            shard.index,
            shard.count,
            paths.len(),
            scan.corpus.paragraphs.len(),
            walk::display_path(&dedupx)
        ));
    }
    Ok(outcome)
}

/// The shard's Parquet tables: `paragraphs` (every paragraph's file id and place in the file,
/// record, lines, bytes, exact and masked keys as two signed halves each, words, 1 for reference
/// text), `bands` (file
/// id, place, band, key of every band key) and `winnowed` (file id, place, hash, context of every
/// winnowed fingerprint). `ids`: the manifest id of each file of the scan.
fn write_tables(
    work: &Path,
    shard: Shard,
    scan: &Scan,
    ids: &[i64],
    manifest: &Manifest,
) -> Result<(), Error> {
    let corpus = &scan.corpus;
    let fingerprints = &scan.fingerprints;
    let ranges = scan::file_ranges(corpus);
    let place = |p: usize| {
        let file = corpus.paragraphs[p].file as usize;
        (ids[file], (p - ranges[file].paragraphs.start) as i64)
    };
    let names = [
        "file",
        "paragraph",
        "record",
        "line",
        "end_line",
        "start",
        "end",
        "exact_hi",
        "exact_lo",
        "masked_hi",
        "masked_lo",
        "words",
        "reference",
    ];
    let signed = work.join(SIGNED);
    let stem = shard.stem();
    let path = signed.join(format!("paragraphs-{stem}.parquet"));
    write_table(&path, "paragraphs", &names, manifest, |rows| {
        for (p, paragraph) in corpus.paragraphs.iter().enumerate() {
            let key = fingerprints.key(p as u32);
            let (file, at) = place(p);
            let record = corpus.documents[paragraph.document as usize].record;
            let span = &paragraph.span;
            rows.push(&[
                file,
                at,
                record.map_or(-1, i64::from),
                i64::from(span.line),
                i64::from(span.end_line),
                span.start as i64,
                span.end as i64,
                (key.exact >> 64) as u64 as i64,
                key.exact as u64 as i64,
                (key.masked >> 64) as u64 as i64,
                key.masked as u64 as i64,
                i64::from(key.words),
                i64::from(corpus.files[paragraph.file as usize].reference),
            ])?;
        }
        Ok(())
    })?;
    let path = signed.join(format!("bands-{stem}.parquet"));
    let names = ["file", "paragraph", "band", "key"];
    write_table(&path, "bands", &names, manifest, |rows| {
        for p in 0..corpus.paragraphs.len() {
            let (file, at) = place(p);
            for (band, key) in fingerprints.band_keys_of(p as u32).enumerate() {
                rows.push(&[file, at, band as i64, i64::from(key)])?;
            }
        }
        Ok(())
    })?;
    let path = signed.join(format!("winnowed-{stem}.parquet"));
    let names = ["file", "paragraph", "hash", "context"];
    write_table(&path, "winnowed", &names, manifest, |rows| {
        for p in 0..corpus.paragraphs.len() {
            let (file, at) = place(p);
            let (hashes, contexts) = fingerprints.winnowed(p as u32);
            for (&hash, &context) in hashes.iter().zip(contexts) {
                rows.push(&[file, at, hash as i64, i64::from(context)])?;
            }
        }
        Ok(())
    })
}

/// Refuses to go on when `config`'s settings are not those `manifest` (at `path`) was made with.
fn check_settings(config: &Config, manifest: &Manifest, path: &Path) -> Result<(), Error> {
    if settings_hash(config) != manifest.settings_hash {
        return Err(Error::Stage(format!(
            "{}: made with other settings than this run's; run every stage with the manifest's",
            walk::display_path(path)
        )));
    }
    Ok(())
}

/// The scan of every file of the manifest, merged from its shards in `work`/sign, and for each
/// manifest id the index of its file in the scan (`None`: it could not be read).
struct Merged {
    scan: Scan,
    file_of_id: Vec<Option<u32>>,
}

impl Merged {
    /// The shards of `work`, checked against the manifest and `config`, merged in file order: each
    /// file's documents, paragraphs and fingerprints taken from its shard's scan as one scan of
    /// them all gives them, then the shards' warnings and errors in shard order (their files'
    /// order). One shard's scan is held at a time besides the merged one.
    fn read(
        config: &Config,
        manifest: &Manifest,
        work: &Path,
        progress: &Progress,
    ) -> Result<Merged, Error> {
        check_settings(config, manifest, &work.join(MANIFEST))?;
        let count = shard_count(&work.join(SIGNED), "json", "sign", "signed")?;
        let settings = serde_json::to_value(config.settings()).expect("settings serialize");
        let fingerprinter = Fingerprinter::new(config.fingerprint_params());
        let scanner = pipeline::scanner(config, &fingerprinter, progress);
        let mut scan = Scan {
            corpus: crate::corpus::Corpus::new(config.read.clone()),
            ..Scan::default()
        };
        let mut entries = manifest.entries().into_iter();
        let (mut warnings, mut errors) = (Vec::new(), Problems::default());
        let mut file_of_id = Vec::with_capacity(manifest.files.len());
        for index in 0..count {
            let shard = Shard { index, count };
            let (earlier, problems) = read_shard(config, manifest, work, shard, &settings)?;
            // Each file's place in the shard's scan, or the message it failed with.
            let mut failed = problems.failed.iter().peekable();
            let mut held = 0;
            let files = shard.files(manifest.files.len()).len();
            let sources: Vec<Result<usize, &str>> = (0..files)
                .map(|place| match failed.next_if(|(at, _)| *at == place) {
                    Some((_, message)) => Err(message.as_str()),
                    None => {
                        held += 1;
                        Ok(held - 1)
                    }
                })
                .collect();
            let first = scan.corpus.files.len() as u32;
            file_of_id.extend(sources.iter().scan(first, |next, source| {
                Some(source.is_ok().then(|| {
                    *next += 1;
                    *next - 1
                }))
            }));
            let ranges = scan::file_ranges(&earlier.corpus);
            let paths = entries.by_ref().take(files).collect();
            scan = scanner.scan_reusing(scan, paths, Claims::default(), |file| {
                Some(match sources[file] {
                    Ok(place) => Scanned::from_earlier(&earlier, place, &ranges),
                    Err(message) => Scanned::Failed(io::Error::other(message.to_owned())),
                })
            });
            warnings.extend(problems.warnings);
            errors.extend(problems.errors);
        }
        scan.warnings = warnings;
        scan.errors = errors;
        Ok(Merged { scan, file_of_id })
    }

    /// The manifest id of each file of the scan.
    fn id_of_file(&self) -> Vec<i64> {
        let mut id_of_file = vec![0; self.scan.corpus.files.len()];
        for (id, file) in self.file_of_id.iter().enumerate() {
            if let Some(file) = file {
                id_of_file[*file as usize] = id as i64;
            }
        }
        id_of_file
    }

    /// `(manifest file id, place in the file)` of each paragraph id of the scan, given
    /// [`Merged::id_of_file`].
    fn place(&self, id_of_file: &[i64], ranges: &[scan::FileRanges], p: u32) -> (i64, i64) {
        let file = self.scan.corpus.paragraphs[p as usize].file as usize;
        (
            id_of_file[file],
            i64::from(p) - ranges[file].paragraphs.start as i64,
        )
    }

    /// The paragraph id of `(manifest file id, place in the file)`, if the scan holds it.
    fn paragraph(&self, ranges: &[scan::FileRanges], file: i64, place: i64) -> Option<u32> {
        let file = *self.file_of_id.get(usize::try_from(file).ok()?)?;
        let paragraphs = &ranges[file? as usize].paragraphs;
        let id = paragraphs.start + usize::try_from(place).ok()?;
        paragraphs.contains(&id).then_some(id as u32)
    }
}

/// `dedup stage candidates`: the band join of the shards in `work`/sign done in-process, written
/// as the shipped SQL writes it: `candidates/band-pairs.parquet` (`a_file`, `a_paragraph`,
/// `b_file`, `b_paragraph`: the first paragraphs of two units sharing a band key, `a` first,
/// each pair once) and `candidates/oversized.parquet` (`buckets`: band buckets over the cap).
pub fn candidates(config: &Config, manifest: &Manifest, work: &Path) -> Result<Outcome, Error> {
    let mut merged = Merged::read(config, manifest, work, &Progress::default())?;
    let scan = &mut merged.scan;
    let drawn = pipeline::draw_band_pairs(config, &scan.corpus, &mut scan.fingerprints);
    let id_of_file = merged.id_of_file();
    let ranges = scan::file_ranges(&merged.scan.corpus);
    let place = |p: u32| merged.place(&id_of_file, &ranges, p);
    let folder = work.join(CANDIDATES);
    create_folder(&folder)?;
    let names = ["a_file", "a_paragraph", "b_file", "b_paragraph"];
    let pairs = folder.join("band-pairs.parquet");
    write_table(&pairs, "band_pairs", &names, manifest, |rows| {
        for &(a, b) in &drawn.pairs {
            let ((a_file, a_at), (b_file, b_at)) = (place(a), place(b));
            rows.push(&[a_file, a_at, b_file, b_at])?;
        }
        Ok(())
    })?;
    let oversized = drawn.oversized as i64;
    write_table(
        &folder.join("oversized.parquet"),
        "oversized",
        &["buckets"],
        manifest,
        |rows| rows.push(&[oversized]),
    )?;
    if !config.quiet {
        crate::messages::message(format_args!(
            "{} band candidate pairs, {} oversized buckets written to {}",
            drawn.pairs.len(),
            drawn.oversized,
            walk::display_path(&folder)
        ));
    }
    Ok(Outcome {
        summary: Summary::default(),
        errors: Vec::new(),
    })
}

/// The folder `folder`, made if it is not there.
fn create_folder(folder: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(folder).map_err(|error| Error::Output {
        what: Written::Stage,
        path: Some(folder.to_owned()),
        error,
    })
}

/// The columns of a table of verified candidates (`links/shard-I-of-N.parquet`): the first
/// paragraphs of two units, and how they relate ([`link_code`]).
const LINK_COLUMNS: [&str; 5] = ["a_file", "a_paragraph", "b_file", "b_paragraph", "link"];

/// How a verified pair relates, as a links table writes it: 0 near, 1 template, 2 conflicting in
/// the datelines only (settled in `report`, once it knows which files are copies).
fn link_code(link: Link) -> i64 {
    match link {
        Link::Near => 0,
        Link::Template => 1,
        Link::DatelineOnly => 2,
    }
}

/// The link a links table's `code` stands for ([`link_code`]), if any.
fn link_of(code: i64) -> Option<Link> {
    [Link::Near, Link::Template, Link::DatelineOnly]
        .into_iter()
        .find(|&link| link_code(link) == code)
}

/// `dedup stage verify`: the candidates (band pairs of `work`/candidates and the content
/// candidates) whose first paragraph is in a file of `shard`, verified on the real sets (their
/// paragraphs read again from the corpus), and those that pass written to
/// `links/shard-I-of-N.parquet` ([`LINK_COLUMNS`]). Optional: `report` verifies the candidates
/// itself when there is no `links` folder, and takes the links of every shard when there is one.
pub fn verify(
    config: &Config,
    manifest: &Manifest,
    work: &Path,
    shard: Shard,
) -> Result<Outcome, Error> {
    let mut merged = Merged::read(config, manifest, work, &Progress::default())?;
    let drawn = read_candidates(&merged, &work.join(CANDIDATES), manifest)?;
    let stamp = drawn_stamp(&merged.scan, &drawn);
    let id_of_file = merged.id_of_file();
    let files = shard.files(manifest.files.len());
    let in_shard = |file: u32| files.contains(&(id_of_file[file as usize] as usize));
    let fingerprints = std::mem::take(&mut merged.scan.fingerprints);
    let corpus = &merged.scan.corpus;
    let (verified, pairs, problems) =
        pipeline::verify_shard(config, corpus, fingerprints, &drawn, in_shard);
    let ranges = scan::file_ranges(corpus);
    let place = |p: u32| merged.place(&id_of_file, &ranges, p);
    let folder = work.join(LINKS);
    create_folder(&folder)?;
    let path = folder.join(format!("{}.parquet", shard.stem()));
    write_table(&path, "links", &LINK_COLUMNS, manifest, |rows| {
        for &(a, b, link) in &verified {
            let ((a_file, a_at), (b_file, b_at)) = (place(a), place(b));
            rows.push(&[a_file, a_at, b_file, b_at, link_code(link)])?;
        }
        Ok(())
    })?;
    let verified_shard = VerifiedShard {
        schema: VerifiedShard::SCHEMA.to_owned(),
        version: VERSION,
        shard: shard.index,
        shards: shard.count,
        drawn: stamp,
        errors: problems.into_vec(),
    };
    write_json(&path.with_extension("json"), &verified_shard)?;
    let outcome = said(config, &[], verified_shard.errors);
    if !config.quiet {
        crate::messages::message(format_args!(
            "shard {} of {}: {} links from {pairs} candidate pairs written to {}",
            shard.index,
            shard.count,
            verified.len(),
            walk::display_path(&path)
        ));
    }
    Ok(outcome)
}

/// The links of every shard in `folder` (`dedup stage verify`), as pairs of paragraph ids of
/// `merged`, with the problems met making them; `None` when there is no such folder. Refused when
/// they were verified from other shards' paragraphs or other candidates than `drawn`.
fn read_links(
    merged: &Merged,
    drawn: &Drawn,
    folder: &Path,
    manifest: &Manifest,
) -> Result<Option<Verification>, Error> {
    if !folder.exists() {
        return Ok(None);
    }
    let count = shard_count(folder, "json", "verify", "verified")?;
    let stamp = drawn_stamp(&merged.scan, drawn);
    let ranges = scan::file_ranges(&merged.scan.corpus);
    let (mut verified, mut problems) = (Vec::new(), Vec::new());
    for index in 0..count {
        let path = folder.join(format!("{}.parquet", Shard { index, count }.stem()));
        let json = path.with_extension("json");
        let done: VerifiedShard = read_stamped(&json, "")?;
        if (done.shard, done.shards) != (index, count) || done.drawn != stamp {
            return Err(Error::Stage(format!(
                "{}: verified from other shards or candidates than these; verify again \
                 (or remove {} to let report verify)",
                walk::display_path(&json),
                walk::display_path(folder)
            )));
        }
        problems.extend(done.errors);
        let columns = read_table(&path, &LINK_COLUMNS, manifest)?;
        let [a_file, a_at, b_file, b_at, link] = &columns[..] else {
            unreachable!("five columns asked for")
        };
        for i in 0..a_file.len() {
            let a = merged.paragraph(&ranges, a_file[i], a_at[i]);
            let b = merged.paragraph(&ranges, b_file[i], b_at[i]);
            let Some(((a, b), link)) = a.zip(b).zip(link_of(link[i])) else {
                return Err(Error::Stage(format!(
                    "{}: row {i} names no paragraph the shards hold, or no link; verify again",
                    walk::display_path(&path)
                )));
            };
            verified.push((a, b, link));
        }
    }
    Ok(Some(Verification {
        pairs: verified,
        problems,
    }))
}

/// `dedup stage report`: the shards in `work`/sign merged into the scan of every file, the band
/// candidates of `work`/candidates read (and their verification, when `dedup stage verify` ran
/// for every shard), and the rest matched and reported as `dedup PATH...` does it.
pub fn report(config: &Config, manifest: &Manifest, work: &Path) -> Result<Outcome, Error> {
    let timings = Timings::from_env();
    let progress = Progress::new(!config.quiet, manifest.files.len());
    let merged = Merged::read(config, manifest, work, &progress)?;
    timings.lap("merge");
    let mut drawn = read_candidates(&merged, &work.join(CANDIDATES), manifest)?;
    drawn.verified = read_links(&merged, &drawn, &work.join(LINKS), manifest)?;
    timings.lap("read candidates");
    let mut errors = Problems::default();
    errors.extend(manifest.errors.iter().cloned());
    pipeline::match_and_report(
        config,
        merged.scan,
        Some(&drawn),
        errors,
        progress,
        &timings,
    )
}

/// The band candidates in `folder`, as paragraph ids of `merged`.
fn read_candidates(merged: &Merged, folder: &Path, manifest: &Manifest) -> Result<Drawn, Error> {
    let pairs = folder.join("band-pairs.parquet");
    if !pairs.exists() {
        return Err(Error::Stage(format!(
            "{}: no band candidates; draw them first with dedup stage candidates WORK or the \
             shipped SQL (sql/)",
            walk::display_path(&pairs)
        )));
    }
    let wanted = ["a_file", "a_paragraph", "b_file", "b_paragraph"];
    let columns = read_table(&pairs, &wanted, manifest)?;
    let ranges = scan::file_ranges(&merged.scan.corpus);
    let [a_file, a_at, b_file, b_at] = &columns[..] else {
        unreachable!("four columns asked for")
    };
    let mut drawn = Vec::with_capacity(a_file.len());
    for i in 0..a_file.len() {
        let a = merged.paragraph(&ranges, a_file[i], a_at[i]);
        let b = merged.paragraph(&ranges, b_file[i], b_at[i]);
        match a.zip(b) {
            Some(pair) => drawn.push(pair),
            None => {
                return Err(Error::Stage(format!(
                    "{}: names a paragraph the shards do not hold (file {}, paragraph {}); \
                     draw the candidates again",
                    walk::display_path(&pairs),
                    a_file[i],
                    a_at[i]
                )));
            }
        }
    }
    drawn.par_sort_unstable();
    drawn.dedup();
    let oversized = folder.join("oversized.parquet");
    let buckets = read_table(&oversized, &["buckets"], manifest)?;
    Ok(Drawn {
        pairs: drawn,
        oversized: buckets[0].iter().sum::<i64>().max(0) as usize,
        verified: None,
    })
}

/// The N of the shards in `folder` (`shard-I-of-N.EXTENSION`, written by `dedup stage STAGE`;
/// `done` says what it did), when there are all N of one N.
fn shard_count(folder: &Path, extension: &str, stage: &str, done: &str) -> Result<usize, Error> {
    let shown = walk::display_path(folder);
    let listing = std::fs::read_dir(folder).map_err(|e| Error::Stage(format!("{shown}: {e}")))?;
    let mut found: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let parsed = name
            .strip_prefix("shard-")
            .and_then(|n| n.strip_suffix(extension)?.strip_suffix('.'))
            .and_then(|n| n.split_once("-of-"))
            .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
        if let Some((i, n)) = parsed {
            found.entry(n).or_default().push(i);
        }
    }
    let counts: Vec<usize> = found.keys().copied().collect();
    match counts.as_slice() {
        [] => Err(Error::Stage(format!(
            "{shown}: no shard; run dedup stage {stage} WORK --shard I/N for every I first"
        ))),
        [n] => {
            let mut have = found[n].clone();
            have.sort_unstable();
            let missing: Vec<String> = (0..*n)
                .filter(|i| have.binary_search(i).is_err())
                .map(|i| format!("{i}/{n}"))
                .collect();
            match missing.is_empty() {
                true => Ok(*n),
                false => Err(Error::Stage(format!(
                    "{shown}: shards {} not {done} yet",
                    missing.join(", ")
                ))),
            }
        }
        _ => Err(Error::Stage(format!(
            "{shown}: shards of several counts ({}); keep those of one N",
            counts
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The scan and the problems of one shard, checked against the manifest and the run's settings.
fn read_shard(
    config: &Config,
    manifest: &Manifest,
    work: &Path,
    shard: Shard,
    settings: &serde_json::Value,
) -> Result<(Scan, ShardProblems), Error> {
    let stem = work.join(SIGNED).join(shard.stem());
    let json = stem.with_extension("json");
    let shown = walk::display_path(&json);
    let problems: ShardProblems = read_stamped(&json, "")?;
    if (problems.shard, problems.shards) != (shard.index, shard.count) {
        return Err(Error::Stage(format!(
            "{shown}: holds shard {}/{}, not {}/{}; sign it again",
            problems.shard, problems.shards, shard.index, shard.count
        )));
    }
    if problems.files_hash != manifest.files_hash {
        return Err(Error::Stage(format!(
            "{shown}: signed from another manifest's list of files; sign it again"
        )));
    }
    if problems.settings_hash != manifest.settings_hash {
        return Err(Error::Stage(format!(
            "{shown}: signed with other settings than the manifest's; sign it again"
        )));
    }
    let scan = index::read_scan(&stem.with_extension("dedupx"), settings, &config.read)
        .map_err(Error::Stage)?;
    let files = shard.files(manifest.files.len()).len();
    if scan.corpus.files.len() + problems.failed.len() != files {
        return Err(Error::Stage(format!(
            "{shown}: holds other files than the manifest's shard {}/{}; sign it again",
            shard.index, shard.count
        )));
    }
    Ok((scan, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_hashed_a_block_at_a_time_as_its_bytes_are_whole() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, (1 << 16) - 1, 1 << 16, (1 << 17) + 5] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let path = dir.path().join(format!("{len}"));
            std::fs::write(&path, &bytes).unwrap();
            let whole = (len as u64, xxhash_rust::xxh3::xxh3_64(&bytes));
            assert_eq!(content_hash(&path).unwrap(), whole, "{len} bytes");
        }
    }

    #[test]
    fn shards_cover_the_files_once_in_order() {
        for files in [0, 1, 5, 7, 100] {
            for count in 1..12 {
                let ranges: Vec<_> = (0..count)
                    .map(|index| Shard { index, count }.files(files))
                    .collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[count - 1].end, files);
                assert!(
                    ranges.windows(2).all(|w| w[0].end == w[1].start),
                    "{files} files, {count}"
                );
            }
        }
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        assert!(Shard::parse("4/4").is_err() && Shard::parse("0/0").is_err());
        assert!(Shard::parse("1").is_err() && Shard::parse("a/2").is_err());
    }
}
