//! The orchestrator: the phases of a run in order, and the order in which memory is freed.
//!
//! In: a [`Config`]. Out: the report written where it asks, the messages on stderr, and the
//! [`Outcome`]. Each phase is a function below, in run order:
//!
//! 1. [`inputs`]: the PATH arguments and `--files-from` list walked to sorted files;
//! 2. [`Scanner::scan`]: every file read, segmented, normalized and fingerprinted (after the
//!    files of a reference index, read from it instead: [`reference_index`]);
//! 3. [`Matcher::candidates`]: units of exact copies, LSH candidate pairs and partial candidates drawn from
//!    the fingerprints, which are freed as they are used;
//! 4. [`Matcher::clusters`]: the candidates verified on their real sets, re-read, and clustered;
//! 5. [`Matcher::partials_and_passages`]: shared runs of words verified (the partial sets re-read) beside
//!    the copied passages and file overlaps, which need only the clusters;
//! 6. [`report()`]: the report built, the baseline applied and the CI rules checked;
//! 7. [`finish`]: the messages, the baseline and the report written.
//!
//! [`write_index`] (`dedup index`) runs phases 1 and 2 and writes the scan as a reference index;
//! `dedup stage report` ([`crate::stage`]) runs phases 3 to 7 ([`match_and_report`]) on the scan
//! it merges from shards, with the band candidates drawn outside ([`Drawn`]).

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::alloc;
use crate::cluster::{self, Cluster, UnitKey};
use crate::config::Config;
use crate::corpus::{Corpus, FileEntry};
use crate::error::{Error, ExitStatus, Problem, Problems, Written};
use crate::fingerprint::{Fingerprinter, Fingerprints};
use crate::index;
use crate::matching::{self, BandPairs, FileCopies, InputUnits, Matches, Verified};
use crate::messages;
use crate::output;
use crate::partial::{self, Partials};
use crate::passages::{self, Overlaps, Passage};
use crate::progress::{Progress, Stage};
use crate::read;
use crate::report::{self, Found, Report, Summary};
use crate::rules::{self, Baseline};
use crate::scan::{Scan, Scanner};
use crate::sets::{self, Contents};
use crate::timings::Timings;
use crate::walk;

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The summary of the report as written.
    pub summary: Summary,
    /// The paths that could not be read, as in the report.
    pub errors: Vec<Problem>,
}

impl Outcome {
    /// [`ExitStatus::Error`] when any input could not be read (an error wins),
    /// [`ExitStatus::RuleBroken`] when a CI rule was broken, else [`ExitStatus::Success`].
    pub fn exit_status(&self) -> ExitStatus {
        if !self.errors.is_empty() {
            ExitStatus::Error
        } else if !self.summary.violations.is_empty() {
            ExitStatus::RuleBroken
        } else {
            ExitStatus::Success
        }
    }
}

/// Runs the whole pipeline in the current thread pool and writes the report.
pub fn run(config: &Config) -> Result<Outcome, Error> {
    // Where the report and the baseline go is checked before the work, not after it.
    let destinations = [
        (Written::Report, config.output.as_deref()),
        (Written::Baseline, config.write_baseline.as_deref()),
    ];
    for (what, path) in destinations {
        if let Some(path) = path.filter(|&p| p != Path::new("-")) {
            writable(path).map_err(|error| Error::Output {
                what,
                path: Some(path.to_path_buf()),
                error,
            })?;
        }
    }
    let timings = Timings::from_env();
    let mut errors = Problems::default();
    // Each --reference path is an index (its magic bytes say so) or text to walk.
    let (indexes, folders): (Vec<PathBuf>, Vec<PathBuf>) = config
        .references
        .iter()
        .cloned()
        .partition(|p| index::is_index(p));
    let indexed = reference_index(config, &indexes)?;
    let paths = inputs(config, &folders, &indexed.corpus.files, &mut errors);
    timings.lap("walk");
    if config.list_files {
        return Ok(list_files(&paths, errors));
    }
    let progress = Progress::new(!config.quiet, paths.len());
    let fingerprinter = Fingerprinter::new(config.fingerprint_params());
    let scanner = scanner(config, &fingerprinter, &progress);
    let scan = scanner.scan_onto(indexed, paths);
    timings.lap("scan");
    match_and_report(config, scan, None, errors, progress, &timings)
}

/// Phases 3 to 7 on the `scan` of every file: the candidates, clusters, shared text and report,
/// written; `errors` are those met before the scan (the walk's), the scan's follow them.
pub(crate) fn match_and_report(
    config: &Config,
    scan: Scan,
    drawn: Option<&Drawn>,
    mut errors: Problems,
    mut progress: Progress,
    timings: &Timings,
) -> Result<Outcome, Error> {
    let Scan {
        corpus,
        fingerprints,
        warnings,
        errors: scan_errors,
    } = scan;
    errors.extend(scan_errors.into_vec());
    let fingerprinter = Fingerprinter::new(config.fingerprint_params());
    progress.stage(Stage::Matching);
    let matcher = Matcher {
        corpus: &corpus,
        fingerprinter: &fingerprinter,
        config,
        timings,
        partials: true,
    };
    let (mut matches, candidates, unit_keys) = matcher.candidates(fingerprints, drawn);
    timings.lap("candidates");
    let verified = drawn.and_then(|d| d.verified.as_ref());
    let mut clusters = matcher.clusters(
        &mut matches,
        candidates.near,
        verified,
        &unit_keys,
        &mut errors,
    );
    // With `--reference`, clusters of reference text only are counted, never listed: nothing
    // after this reads them, so the shared text and the report cost what the inputs hold.
    let reference_clusters = clusters.len();
    clusters.retain(|c| !c.members.iter().all(|&(p, _)| corpus.is_reference(p)));
    let reference_clusters = reference_clusters - clusters.len();
    // The clusters keep their representatives' keys; nothing reads the others any more.
    drop(unit_keys);
    alloc::give_back_freed_memory();
    progress.stage(Stage::SharedText);
    let (partials, passages, overlaps) =
        matcher.partials_and_passages(&matches, &clusters, candidates.partial, &mut errors);
    timings.lap("shared text");

    let found = Found {
        matches: &matches,
        clusters: &clusters,
        partials: &partials,
        passages: &passages,
        overlaps: &overlaps,
        reference_clusters,
    };
    progress.stage(Stage::Writing);
    let report = report(config, &corpus, &found, warnings, errors);
    timings.lap("report");
    // The line is erased before anything else reaches stderr or the terminal.
    progress.finish();
    finish(config, &corpus, &clusters, &report)?;
    timings.lap("writing");
    timings.print();
    Ok(Outcome {
        summary: report.summary,
        errors: report.errors,
    })
}

/// The scanner of the run's files.
pub(crate) fn scanner<'a>(
    config: &'a Config,
    fingerprinter: &'a Fingerprinter,
    progress: &'a Progress,
) -> Scanner<'a> {
    Scanner {
        read: &config.read,
        normalize: config.normalize_options(),
        fingerprinter,
        progress,
    }
}

/// The reference index among the `--reference` paths (`indexes`), read, as the scan the inputs
/// follow; an empty scan when there is none. At most one index is taken.
fn reference_index(config: &Config, indexes: &[PathBuf]) -> Result<Scan, Error> {
    let empty = || Scan {
        corpus: Corpus::new(config.read.clone()),
        ..Scan::default()
    };
    let path = match indexes {
        [] => return Ok(empty()),
        [path] => path,
        [..] => {
            return Err(Error::Index(
                "give one reference index (--reference FILE.dedupx), not several".to_owned(),
            ));
        }
    };
    let settings = serde_json::to_value(config.settings()).expect("settings serialize");
    index::read(path, &settings, &config.read).map_err(Error::Index)
}

/// `dedup index`: the inputs scanned and written to `config.output` as a reference index; with
/// `update`, the files of the index already at `config.output` that are unchanged are taken
/// from it, not read again.
pub fn write_index(config: &Config, update: bool) -> Result<Outcome, Error> {
    let output = config
        .output
        .as_deref()
        .filter(|&p| p != Path::new("-"))
        .ok_or_else(|| Error::Index("dedup index needs -o FILE, the index to write".to_owned()))?;
    let failed = |error| Error::Output {
        what: Written::Index,
        path: Some(output.to_path_buf()),
        error,
    };
    writable(output).map_err(failed)?;
    let settings = serde_json::to_value(config.settings()).expect("settings serialize");
    let earlier = match update {
        true => index::read_earlier(output, &settings, &config.read).map_err(Error::Index)?,
        false => None,
    };
    let mut errors = Problems::default();
    let paths = inputs(config, &[], &[], &mut errors);
    let mut progress = Progress::new(!config.quiet, paths.len());
    let fingerprinter = Fingerprinter::new(config.fingerprint_params());
    let scanner = scanner(config, &fingerprinter, &progress);
    let (scan, updated) = match earlier {
        Some(earlier) => {
            let (scan, updated) = index::update(earlier, paths, &scanner);
            (scan, Some(updated))
        }
        None => (scanner.scan(paths), None),
    };
    progress.finish();
    if scan.corpus.files.iter().any(|f| f.kept.is_some()) {
        return Err(Error::Index(
            "stdin and pipes cannot be indexed: the index points into files read again".to_owned(),
        ));
    }
    output::atomic::write_atomically(output, |out| index::write(out, &settings, &scan))
        .map_err(failed)?;
    errors.extend(scan.errors.into_vec());
    let errors = errors.into_vec();
    for problem in scan.warnings.iter().chain(&errors) {
        messages::message(format_args!("{problem}"));
    }
    if !config.quiet {
        let files = scan.corpus.files.len();
        let paragraphs = scan.corpus.paragraphs.len();
        let path = walk::display_path(output);
        match updated {
            None => messages::message(format_args!(
                "index of {files} files, {paragraphs} paragraphs written to {path}"
            )),
            Some(u) => messages::message(format_args!(
                "index of {files} files, {paragraphs} paragraphs updated in {path}: {} kept, {} \
                 read, {} dropped",
                u.kept, u.scanned, u.dropped
            )),
        }
    }
    Ok(Outcome {
        summary: Summary::default(),
        errors,
    })
}

/// `--list-files`: the files that would be read on stdout, one per line (a reference file
/// followed by a tab and `reference`), the problems on stderr.
fn list_files(paths: &[walk::Entry], errors: Problems) -> Outcome {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let listed = paths.iter().filter(|e| !e.special).try_for_each(|e| {
        let shown = walk::escape_controls(&walk::display_path(&e.path)).into_owned();
        let mark = if e.reference { "\treference" } else { "" };
        writeln!(out, "{shown}{mark}")
    });
    let listed = listed.and_then(|()| out.flush());
    let mut errors = errors.into_vec();
    if let Err(e) = listed
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        errors.push(Problem::new(
            Path::new("-"),
            format!("cannot write the list: {e}"),
        ));
    }
    for problem in &errors {
        messages::message(format_args!("{problem}"));
    }
    Outcome {
        summary: Summary::default(),
        errors,
    }
}

/// The files to read (and the special files met, to list): the PATH arguments and the
/// `--files-from` list, walked and sorted, after the reference files: those under the
/// `--reference` paths `walked` that are not among the files of the index (`indexed`).
pub(crate) fn inputs(
    config: &Config,
    walked: &[PathBuf],
    indexed: &[FileEntry],
    errors: &mut Problems,
) -> Vec<walk::Entry> {
    let mut inputs = config.inputs.clone();
    if let Some(list) = &config.files_from {
        let bytes = if list == Path::new(read::STDIN) {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
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
    errors.extend(no_files(&config.inputs, &paths, &walk_errors, config));
    errors.extend(walk_errors);
    if config.references.is_empty() {
        return paths;
    }
    // Reference files come first, so that in every order (paragraph ids, clusters, members) the
    // earliest copy is the earliest reference copy; a file both named as input and reached as
    // reference is reference.
    // A reference index is read, not walked ([`reference_index`]); its files are held too.
    let (mut references, walk_errors) = walk::walk(walked, &config.walk);
    errors.extend(no_files(walked, &references, &walk_errors, config));
    errors.extend(walk_errors);
    // A file of the index reached again under a reference folder is read from the index only.
    // Then the paths held, the index's and the walked reference files': each hashed once (a
    // `Path` hashes component by component: with the 1 GB index, 272 k files, two sets took 0.17 s).
    let mut held: std::collections::HashSet<&Path> = indexed.iter().map(|f| f.path()).collect();
    references.retain(|e| !held.contains(e.path.as_path()));
    held.extend(references.iter().map(|e| e.path.as_path()));
    let paths: Vec<walk::Entry> = paths
        .into_iter()
        .filter(|e| !held.contains(e.path.as_path()))
        .collect();
    references.iter_mut().for_each(|e| e.reference = true);
    references.extend(paths);
    references
}

/// An error for each of `inputs` that exists (the walk met no problem with it) but holds no
/// file to read: a gate given an empty folder or a mistyped extension must not pass.
fn no_files(
    inputs: &[std::path::PathBuf],
    walked: &[walk::Entry],
    walk_errors: &[Problem],
    config: &Config,
) -> Vec<Problem> {
    let failed: std::collections::HashSet<&str> =
        walk_errors.iter().map(|p| p.path.as_str()).collect();
    let message = match config.walk.extensions.as_slice() {
        [] => "no files to read under it".to_owned(),
        extensions => format!(
            "no files to read under it with the extension {}",
            extensions.join(", ")
        ),
    };
    inputs
        .iter()
        .filter(|input| *input != Path::new(read::STDIN))
        .filter(|input| !failed.contains(walk::display_path(input).as_str()))
        .filter(|input| !holds_files(walked, input))
        .map(|input| Problem::new(input, message.clone()))
        .collect()
}

/// Whether a file can be written at `path`: it is not a folder, and its folder exists.
fn writable(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder",
        ));
    }
    let folder = path.parent().filter(|f| !f.as_os_str().is_empty());
    match folder {
        Some(folder) if folder.exists() && !folder.is_dir() => Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is a file (Not a directory)", walk::display_path(folder)),
        )),
        Some(folder) if !folder.is_dir() => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("there is no folder {}", walk::display_path(folder)),
        )),
        _ => Ok(()),
    }
}

/// Whether the walked `paths` (sorted by their bytes) hold `input` or a file below it.
fn holds_files(paths: &[walk::Entry], input: &Path) -> bool {
    let bytes = input.as_os_str().as_encoded_bytes();
    let bytes = bytes
        .strip_suffix(b"/")
        .filter(|b| !b.is_empty())
        .unwrap_or(bytes);
    fn key(e: &walk::Entry) -> &[u8] {
        e.path.as_os_str().as_encoded_bytes()
    }
    let first = paths.partition_point(|e| key(e) < bytes);
    // Every path starting with the input's bytes follows it: `dir`, `dir-2/…`, `dir/…`.
    paths[first..]
        .iter()
        .map(key)
        .take_while(|path| path.starts_with(bytes))
        .any(|path| {
            let rest = &path[bytes.len()..];
            rest.is_empty() || rest[0] == b'/' || bytes.ends_with(b"/")
        })
}

/// The band candidates drawn outside the run (`dedup stage candidates`, or the shipped SQL in a
/// query engine): pairs of paragraph ids, each the first of its unit, sharing a band key, and the
/// band buckets over the boilerplate cap.
pub(crate) struct Drawn {
    pub pairs: Vec<(u32, u32)>,
    pub oversized: usize,
    /// The candidates' first round of verification done outside (`dedup stage verify`).
    pub verified: Option<Verification>,
}

/// The first round of verification of every candidate, done outside (`dedup stage verify`).
pub(crate) struct Verification {
    /// Pairs of first paragraphs with how they relate, each candidate that passed once.
    pub pairs: Vec<Verified>,
    /// The problems met reading their paragraphs again.
    pub problems: Vec<Problem>,
}

/// The band join alone (`dedup stage candidates`): the pairs of units that share a band key, as
/// their first paragraphs, sorted and each once, and the buckets over the boilerplate cap. The
/// band keys are taken out of `fingerprints`.
pub(crate) fn draw_band_pairs(
    config: &Config,
    corpus: &Corpus,
    fingerprints: &mut Fingerprints,
) -> Drawn {
    let matches = matching::group_exact(fingerprints);
    let units = &matches.units;
    fingerprints.share_with_first((0..units.len() as u32).map(|u| units.get(u)));
    let inputs = InputUnits::of(&matches, |p| !corpus.is_reference(p));
    let cap = config.boilerplate_cap;
    let band = matching::band_pairs(&matches, fingerprints, cap, inputs.as_ref());
    let mut pairs: Vec<(u32, u32)> = band
        .pairs
        .iter()
        .map(|&(a, b)| (units.first(a), units.first(b)))
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    Drawn {
        pairs,
        oversized: band.oversized,
        verified: None,
    }
}

/// `dedup stage verify`: the first round of verification of the candidates (band pairs
/// `drawn` outside, and the content candidates) whose first unit's first paragraph lies in a
/// file `in_shard` says is the shard's (a file of `corpus`): the pairs that pass, as pairs of
/// first paragraphs with how they relate, the number of pairs verified, and the problems met
/// reading them again.
pub(crate) fn verify_shard(
    config: &Config,
    corpus: &Corpus,
    fingerprints: Fingerprints,
    drawn: &Drawn,
    in_shard: impl Fn(u32) -> bool,
) -> (Vec<Verified>, usize, Problems) {
    let fingerprinter = Fingerprinter::new(config.fingerprint_params());
    let timings = Timings::from_env();
    let matcher = Matcher {
        corpus,
        fingerprinter: &fingerprinter,
        config,
        timings: &timings,
        partials: false,
    };
    let (matches, candidates, unit_keys) = matcher.candidates(fingerprints, Some(drawn));
    drop(unit_keys);
    let first = |u: u32| matches.units.first(u);
    let mine: Vec<(u32, u32)> = (candidates.near.into_iter())
        .filter(|&(a, _)| in_shard(corpus.paragraphs[first(a) as usize].file))
        .collect();
    let mut problems = Problems::default();
    let units = linked_units(mine.iter().copied());
    let sets = matcher.load(&matches, &units, Contents::Verify, &mut problems);
    let verified = matching::verify_candidates(&mine, &sets, config.threshold);
    let verified = (verified.into_iter())
        .map(|(a, b, link)| (first(a), first(b), link))
        .collect();
    (verified, mine.len(), problems)
}

/// What the matching phases share.
struct Matcher<'a> {
    corpus: &'a Corpus,
    fingerprinter: &'a Fingerprinter,
    config: &'a Config,
    timings: &'a Timings,
    /// Whether phase 3 draws the partial candidates too (not in `dedup stage verify`, which
    /// verifies the near candidates only).
    partials: bool,
}

/// Candidate pairs of units: near and template candidates from the LSH bands, and partial
/// candidates from the winnowed fingerprints (not yet checked against the clusters).
struct Candidates {
    near: Vec<(u32, u32)>,
    partial: partial::Candidates,
}

impl Matcher<'_> {
    /// Phase 3: the units of exact copies and the candidates. Each arena of the fingerprints is
    /// freed as soon as its candidates are drawn (the band keys band by band, then the winnowed
    /// fingerprints), so the two are never held together with their candidates; of the rest,
    /// only the key of each unit's first paragraph is kept (by unit), for the clusters.
    fn candidates(
        &self,
        mut fingerprints: Fingerprints,
        drawn: Option<&Drawn>,
    ) -> (Matches, Candidates, Vec<UnitKey>) {
        let cap = self.config.boilerplate_cap;
        let mut matches = matching::group_exact(&fingerprints);
        let corpus = self.corpus;
        let inputs = InputUnits::of(&matches, |p| !corpus.is_reference(p));
        if let Some(inputs) = &inputs {
            matches.templates.retain(|&pair| inputs.either(pair));
        }
        let units = &matches.units;
        fingerprints.share_with_first((0..units.len() as u32).map(|u| units.get(u)));
        let band = match drawn {
            None => matching::band_pairs(&matches, &mut fingerprints, cap, inputs.as_ref()),
            Some(drawn) => {
                drop(fingerprints.take_band_keys());
                BandPairs::of_first_paragraphs(&drawn.pairs, drawn.oversized, &matches)
            }
        };
        let near =
            matching::with_content_candidates(&mut matches, &fingerprints, band, inputs.as_ref());
        alloc::give_back_freed_memory();
        let mut partial = match self.partials {
            true => partial::candidates(&matches, &fingerprints, cap, inputs.as_ref()),
            false => partial::Candidates::default(),
        };
        if let Some(inputs) = &inputs {
            partial.pairs.retain(|&pair| inputs.either(pair));
            partial.headlines.retain(|&pair| inputs.either(pair));
        }
        fingerprints.release_winnowed();
        let units = &matches.units;
        let unit_keys = (0..units.len() as u32)
            .map(|u| UnitKey::from(fingerprints.key(units.first(u))))
            .collect();
        drop(fingerprints);
        alloc::give_back_freed_memory();
        (matches, Candidates { near, partial }, unit_keys)
    }

    /// Phase 4: the shingles and figure shingles of every unit in a near candidate pair or a
    /// template link re-read, the links verified and the clusters built. The candidates are
    /// freed once verified, and the sets of the units left without a link then too: the
    /// clusters are built on the rest.
    fn clusters(
        &self,
        matches: &mut Matches,
        near: Vec<(u32, u32)>,
        verified: Option<&Verification>,
        unit_keys: &[UnitKey],
        errors: &mut Problems,
    ) -> Vec<Cluster> {
        // Verified outside (`dedup stage verify`, pairs of first paragraphs): as unit pairs, in
        // the candidates' order, as the first round gives them; only their units are read, and
        // the problems met reading the others come with them.
        let verified = verified.map(|verified| {
            errors.extend(verified.problems.iter().cloned());
            let unit = |p: u32| {
                matches
                    .unit_of
                    .get(p)
                    .expect("a verified paragraph has a unit")
            };
            let mut pairs: Vec<Verified> = (verified.pairs.iter())
                .map(|&(a, b, link)| (unit(a), unit(b), link))
                .collect();
            pairs.par_sort_unstable_by_key(|&(a, b, _)| (a, b));
            pairs
        });
        // The sets are re-read in two rounds, each freed before the next, so that only one kind
        // is held at a time: these, then in phase 5 the token hashes and winnowed fingerprints.
        let units = match &verified {
            None => linked_units(near.iter().chain(&matches.templates).copied()),
            Some(verified) => linked_units(
                (verified.iter().map(|&(a, b, _)| (a, b))).chain(matches.templates.iter().copied()),
            ),
        };
        let mut sets = self.load(matches, &units, Contents::Verify, errors);
        drop(units);
        self.timings.lap("re-read");
        let threshold = self.config.threshold;
        let verified =
            verified.unwrap_or_else(|| matching::verify_candidates(&near, &sets, threshold));
        drop(near);
        let (paragraphs, files) = (&self.corpus.paragraphs, self.corpus.files.len());
        let mut copies = FileCopies::new(paragraphs, files, &matches.units, &matches.unit_of);
        let (links, templates) = (&mut matches.near, &mut matches.templates);
        matching::resolve(links, templates, verified, &sets, threshold, &mut copies);
        sets.retain(&linked_units(links.iter().chain(templates.iter()).copied()));
        alloc::give_back_freed_memory();
        self.timings.lap("verify");
        let same_story = |a, b| copies.same_story(a, b);
        let clusters = cluster::build_clusters(matches, &sets, unit_keys, threshold, &same_story);
        drop(sets);
        self.timings.lap("clusters");
        clusters
    }

    /// Phase 5: partial matches (the candidates whose units are not clustered together, their
    /// token hashes and winnowed fingerprints re-read, the shared runs verified) and passages
    /// both start from the clusters: one is worked on while the other waits for a thread.
    fn partials_and_passages(
        &self,
        matches: &Matches,
        clusters: &[Cluster],
        mut candidates: partial::Candidates,
        errors: &mut Problems,
    ) -> (Partials, Vec<Passage>, Vec<Overlaps>) {
        let partial_round = || {
            candidates.retain_unclustered(&cluster::groups_of_units(matches, clusters));
            let mut problems = Problems::default();
            let units = linked_units(
                candidates
                    .pairs
                    .iter()
                    .chain(&candidates.headlines)
                    .copied(),
            );
            let sets = self.load(matches, &units, Contents::Partial, &mut problems);
            drop(units);
            let partials = partial::find_partials(&sets, &candidates, self.config.partial_params());
            drop(sets);
            alloc::give_back_freed_memory();
            (partials, problems)
        };
        let passages_and_overlaps = || {
            let paragraphs = &self.corpus.paragraphs;
            let cluster_of = passages::duplicate_cluster_of(paragraphs.len(), clusters);
            let passages = passages::find_passages(paragraphs, clusters, &cluster_of);
            let files = self.corpus.files.len();
            let overlaps = passages::file_overlaps(paragraphs, clusters, &cluster_of, files);
            (passages, overlaps)
        };
        let ((partials, problems), (passages, overlaps)) =
            rayon::join(partial_round, passages_and_overlaps);
        errors.extend(problems.into_vec());
        (partials, passages, overlaps)
    }

    /// The real sets of `units`, re-read; problems re-reading go to `errors`.
    fn load(
        &self,
        matches: &Matches,
        units: &[u32],
        contents: Contents,
        errors: &mut Problems,
    ) -> sets::SetArena {
        let options = self.config.normalize_options();
        let (sets, problems) = sets::load(
            self.corpus,
            self.fingerprinter,
            options,
            matches,
            units,
            contents,
        );
        errors.extend(problems);
        sets
    }
}

/// The units in `pairs`, sorted, each once.
fn linked_units(pairs: impl Iterator<Item = (u32, u32)>) -> Vec<u32> {
    let mut units: Vec<u32> = pairs.flat_map(|(a, b)| [a, b]).collect();
    units.par_sort_unstable();
    units.dedup();
    units
}

/// Phase 6: the report, with the baseline applied and the CI rules checked.
fn report<'a>(
    config: &Config,
    corpus: &'a Corpus,
    found: &Found<'a>,
    warnings: Vec<Problem>,
    errors: Problems,
) -> Report<'a> {
    let baseline = config
        .baseline
        .as_deref()
        .map(|path| (path, Baseline::read(path)));
    let marks = match &baseline {
        Some((_, Ok(baseline))) => Some(rules::mark(found.clusters, corpus, baseline)),
        _ => None,
    };
    let mut report = report::build(corpus, found, config.settings(), marks, warnings, errors);
    if let Some((path, Err(e))) = baseline {
        report
            .errors
            .push(Problem::new(path, format!("baseline: {e}")));
        report.summary.errors = report.errors.len();
    }
    rules::check(&mut report, &config.rules);
    report
}

/// Phase 7: the problems on stderr, the baseline and the report written, the summary line.
fn finish(
    config: &Config,
    corpus: &Corpus,
    clusters: &[Cluster],
    report: &Report<'_>,
) -> Result<(), Error> {
    messages::problems(report, config.quiet);
    if let Some(path) = &config.write_baseline {
        let baseline = Baseline::json_for(clusters, corpus);
        output::write_atomically(path, |out| out.write_all(baseline.as_bytes())).map_err(
            |error| Error::Output {
                what: Written::Baseline,
                path: Some(path.clone()),
                error,
            },
        )?;
    }
    let output = config.output.as_deref();
    match output::write(report, output, config.output_options) {
        Ok(()) => {}
        // A closed stdout (`dedup corpus | head`) ends the run quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(error) => {
            return Err(Error::Output {
                what: Written::Report,
                path: output
                    .filter(|&p| p != Path::new("-"))
                    .map(Path::to_path_buf),
                error,
            });
        }
    }
    messages::outcome(report, config.quiet);
    Ok(())
}
