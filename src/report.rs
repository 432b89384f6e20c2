//! Stage 8, report: clusters to the JSON report (format version 1), written once.
//!
//! In: the corpus (files, paragraphs), what matching found ([`Found`]), the settings of the run,
//! what a baseline says of the clusters ([`crate::rules::mark`]) and the problems met. Out: a
//! [`Report`]; [`crate::rules::check`] then checks the CI rules on it, and [`crate::output`]
//! writes it in the format asked for.
//!
//! The representatives' original text is read again from their files here (in blocks, in path
//! order, into one flat buffer), so no paragraph text is held in memory while matching; beside it,
//! [`crate::partial::spans`] maps the partial matches' shared runs to byte offsets. The long lists
//! (clusters, partial matches, passages) are [`Section`]s: their items are built from compact data
//! in parallel blocks while the report is written, never all held at once. Everything is sorted
//! before it is written: clusters by their representative's (path, line), members by (path, line);
//! the bytes of the report never depend on the thread count or on timing. Field names are the
//! contract in DESIGN.md.

use std::cmp::Reverse;
use std::ops::Range;

use rayon::prelude::*;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use crate::cluster::{Cluster, ClusterId, Kind};
use crate::corpus::{Corpus, REREAD_BLOCK, Skipped};
use crate::error::{Problem, Problems};
use crate::matching::Matches;
use crate::partial::Partials;
use crate::partial::spans::{self, SharedSpan};
use crate::passages::{Overlaps, Passage};
use crate::read;

/// What the matching stages found, for the report.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// Units and links.
    pub matches: &'a Matches,
    /// Duplicate and template clusters; with `--reference`, none of reference text only.
    pub clusters: &'a [Cluster],
    /// Partial matches between units.
    pub partials: &'a Partials,
    /// Copied runs of paragraphs.
    pub passages: &'a [Passage],
    /// Per file, its overlap with other files.
    pub overlaps: &'a [Overlaps],
    /// Clusters of reference text only, counted but not in `clusters`.
    pub reference_clusters: usize,
}

/// The format version written in every report.
pub const FORMAT_VERSION: u32 = 1;

/// Builds item `i` of a [`Section`].
type Make<'a, T> = Box<dyn Fn(usize) -> T + Sync + 'a>;

/// Items built when they are written, a block at a time.
pub struct Section<'a, T> {
    len: usize,
    make: Make<'a, T>,
}

/// Items of a [`Section`] built together (in parallel) and then written.
pub const SECTION_BLOCK: usize = 4096;

impl<'a, T: Send> Section<'a, T> {
    /// A section of `len` items, item `i` built by `make(i)`.
    pub fn new(len: usize, make: impl Fn(usize) -> T + Sync + 'a) -> Self {
        Section {
            len,
            make: Box::new(make),
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Item `i`.
    pub fn get(&self, i: usize) -> T {
        (self.make)(i)
    }

    /// The items in order, a block at a time, each block built in parallel.
    pub fn blocks(&self) -> impl Iterator<Item = Vec<T>> + '_ {
        (0..self.len).step_by(SECTION_BLOCK).map(move |start| {
            (start..(start + SECTION_BLOCK).min(self.len))
                .into_par_iter()
                .map(|i| self.get(i))
                .collect()
        })
    }

    /// The items' ranges of [`SECTION_BLOCK`].
    pub fn block_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        (0..self.len)
            .step_by(SECTION_BLOCK)
            .map(move |start| start..(start + SECTION_BLOCK).min(self.len))
    }
}

impl<T: Serialize + Send> Serialize for Section<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for block in self.blocks() {
            for item in &block {
                seq.serialize_element(item)?;
            }
        }
        seq.end()
    }
}

impl<T> std::fmt::Debug for Section<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Section({} items)", self.len)
    }
}

/// A CI rule, named by the flag that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `--fail-on-duplicates`.
    FailOnDuplicates,
    /// `--max-duplicate-ratio`.
    MaxDuplicateRatio,
    /// `--max-file-duplicate-ratio`.
    MaxFileDuplicateRatio,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The flag that set the rule, without dashes.
    pub rule: Rule,
    /// The limit given (0 for `fail-on-duplicates`).
    pub limit: f64,
    /// The value found.
    pub actual: f64,
    /// The file, for `max-file-duplicate-ratio`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// What a baseline says of one duplicate cluster.
#[derive(Debug, Clone)]
pub struct Marks {
    /// Its id is not in the baseline.
    pub new: bool,
    /// Redundant copies the baseline did not have.
    pub new_copies: usize,
    /// For each member after the representative, whether it is a new copy.
    pub new_members: Vec<bool>,
}

/// What a baseline says of a run's clusters, for the report.
#[derive(Debug, Clone)]
pub struct BaselineMarks {
    /// By cluster, the marks of a duplicate cluster (`None` for a template cluster).
    pub clusters: Vec<Option<Marks>>,
    /// The new copies counted, all but the ratio.
    pub summary: BaselineSummary,
    /// By file, the bytes of its new copies.
    pub new_bytes: Vec<u64>,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Report format version.
    pub version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// Every effective parameter of the run.
    pub settings: Settings,
    /// Counts over the whole corpus.
    pub summary: Summary,
    /// Exact, near and template clusters.
    pub clusters: Section<'a, ClusterReport<'a>>,
    /// Paragraphs that are not duplicates but share runs of words.
    pub partial_matches: Section<'a, PartialReport<'a>>,
    /// Runs of consecutive paragraphs copied from one place to another.
    pub passages: Section<'a, PassageReport<'a>>,
    /// One entry per file read or skipped (built when written, like the sections before it: a
    /// corpus of a million small files would hold them all at once).
    pub files: Section<'a, FileReport<'a>>,
    /// Files read with a problem that did not stop them being read (invalid UTF-8).
    pub warnings: Vec<Problem>,
    /// Paths that could not be read; the rest of the corpus is still reported.
    pub errors: Vec<Problem>,
    /// The members' texts, for the formats that show them; not in the report.
    #[serde(skip)]
    pub texts: ParagraphTexts<'a>,
}

impl<'a> Report<'a> {
    /// The files with duplicated bytes, most first (ties in path order), at most `limit` of
    /// them, and how many files have duplicated bytes.
    pub fn most_duplicated_files(&self, limit: usize) -> (Vec<FileReport<'a>>, usize) {
        let mut duplicated: Vec<(Reverse<u64>, usize)> = (self.files.blocks().flatten())
            .enumerate()
            .filter(|(_, f)| f.duplicate_bytes > 0)
            .map(|(i, f)| (Reverse(f.duplicate_bytes), i))
            .collect();
        duplicated.sort_unstable();
        let most = duplicated.iter().take(limit);
        (
            most.map(|&(_, i)| self.files.get(i)).collect(),
            duplicated.len(),
        )
    }
}

/// Reads paragraphs' original text again from their files, for the formats that show them.
#[derive(Clone, Copy)]
pub struct ParagraphTexts<'a>(&'a Corpus);

impl ParagraphTexts<'_> {
    /// The texts of the paragraphs `ids` (sorted by path, as report order is), each `None` when
    /// it cannot be read again.
    pub fn read(&self, ids: &[u32]) -> Vec<Option<String>> {
        self.0
            .reread_with(ids, |_, bytes| String::from_utf8_lossy(bytes).into_owned())
            .0
    }
}

impl std::fmt::Debug for ParagraphTexts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParagraphTexts")
    }
}

/// Name and version of the tool.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// Always `dedup`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

/// The effective parameters.
#[derive(Debug, Serialize)]
pub struct Settings {
    /// The PATH arguments as given.
    pub inputs: Vec<String>,
    /// The `--reference` paths, sorted (only when given).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Words per shingle.
    pub shingle: usize,
    /// Jaccard threshold for near duplicates and templates.
    pub threshold: f64,
    /// The share of each paragraph's words two near duplicates have in shared shingles, which
    /// they must exceed.
    pub min_coverage: f64,
    /// How that share is counted.
    pub coverage: &'static str,
    /// What near similarity and the figure test leave out.
    pub wire_markup: &'static str,
    /// Paragraphs with fewer tokens are matched exactly only (or, with wire markup, as near
    /// copies of the paragraph they equal without it).
    pub min_words: usize,
    /// What happens to short paragraphs.
    pub short_paragraphs: &'static str,
    /// Paragraphs of more bytes are matched exactly only.
    pub huge_paragraph: usize,
    /// MinHash values per paragraph (bands × rows).
    pub signature: usize,
    /// LSH bands.
    pub bands: usize,
    /// MinHash values per band.
    pub rows: usize,
    /// Probability that a pair exactly at the threshold becomes a candidate.
    pub candidate_recall_at_threshold: f64,
    /// Shortest shared run of words reported as a partial match (t = window + seed_shingle − 1).
    pub min_shared_words: usize,
    /// Words per winnowed shingle, the seeds of partial matches (`shingle`, at least 3).
    pub seed_shingle: usize,
    /// Winnowing window, in seed shingles (0: no partial matching).
    pub window: usize,
    /// Fingerprints and LSH keys shared by more distinct paragraphs are boilerplate.
    pub boilerplate_cap: usize,
    /// Whether only exact duplicates were looked for.
    pub exact_only: bool,
    /// What figures do.
    pub figures: Figures,
    /// What British and American spellings do.
    pub spelling: Spelling,
    /// The normalization steps, in order.
    pub normalization: Vec<String>,
    /// Extension filter; empty means every file.
    pub extensions: Vec<String>,
    /// The `--exclude` patterns (only when given).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Whether hidden files were read.
    pub hidden: bool,
    /// Whether symbolic links were followed.
    pub follow: bool,
    /// The path list read with `--files-from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_from: Option<String>,
    /// The configuration file the settings came from (`--config`, or `dedup.toml`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Whether every file was read as JSON Lines (else only `.jsonl` and `.ndjson` files).
    pub jsonl: bool,
    /// The JSON Lines field holding a record's text.
    pub text_field: String,
    /// The JSON Lines field holding a record's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_field: Option<String>,
    /// How files that are not valid UTF-8 were read: `utf-8` (lossily) or `latin1`.
    pub encoding: read::Encoding,
    /// The most bytes a file may hold once decompressed.
    pub max_file_size: u64,
}

/// What figures do, in the report's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Figures {
    /// Paragraphs alike but for their figures are template clusters.
    Templates,
    /// Figures masked: such paragraphs are duplicates (`--ignore-figures`).
    Ignored,
}

/// What British and American spellings do, in the report's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Spelling {
    /// British spellings read as American ones.
    Folded,
    /// Kept apart (`--keep-spelling`).
    Kept,
}

/// Counts over the corpus.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Files skipped: binary, or not regular files (`files[].skipped`).
    pub files_skipped: usize,
    /// Paragraphs read.
    pub paragraphs: usize,
    /// Bytes of all paragraphs read.
    pub bytes: u64,
    /// Paragraphs under `min_words`, matched exactly only.
    pub short_paragraphs: usize,
    /// All clusters.
    pub clusters: usize,
    /// Clusters of exact copies.
    pub exact_clusters: usize,
    /// Clusters with at least one near copy.
    pub near_clusters: usize,
    /// Clusters of paragraphs alike but for their figures.
    pub template_clusters: usize,
    /// Redundant copies: members of exact and near clusters other than the representative.
    pub duplicate_paragraphs: usize,
    /// Original bytes of the redundant copies.
    pub duplicate_bytes: u64,
    /// `duplicate_bytes / bytes`.
    pub duplicate_ratio: f64,
    /// Partial matches listed.
    pub partial_matches: usize,
    /// Partial matches between further copies of the same two texts, not listed.
    pub partial_matches_omitted: usize,
    /// Copied runs of paragraphs.
    pub passages: usize,
    /// Candidate pairs verified on their shingle sets.
    pub candidate_pairs: usize,
    /// LSH buckets over the boilerplate cap, compared against their first paragraph only.
    pub oversized_buckets: usize,
    /// Winnowed fingerprints over the boilerplate cap, not used to find partial matches.
    pub boilerplate_fingerprints: usize,
    /// Entries in `warnings`.
    pub warnings: usize,
    /// Entries in `errors`.
    pub errors: usize,
    /// What is new against the baseline (only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
    /// The reference text read (only with `--reference`); the counts above are of the inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceSummary>,
    /// The CI rules broken; empty when none was broken or none was given.
    pub violations: Vec<Violation>,
}

impl Summary {
    /// `N clusters (E exact, N near, T template), R redundant copies, P% of paragraph bytes
    /// duplicated`: the counts a person reads first, on stderr and in the text view.
    pub fn clusters_line(&self) -> String {
        format!(
            "{} clusters ({} exact, {} near, {} template), {} redundant copies, {:.1}% of \
             paragraph bytes duplicated",
            self.clusters,
            self.exact_clusters,
            self.near_clusters,
            self.template_clusters,
            self.duplicate_paragraphs,
            self.duplicate_ratio * 100.0
        )
    }
}

/// The reference text of a run with `--reference`.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReferenceSummary {
    /// Reference files read.
    pub files: usize,
    /// Their paragraphs.
    pub paragraphs: usize,
    /// Those paragraphs' bytes.
    pub bytes: u64,
    /// Clusters of reference paragraphs only, not listed.
    pub clusters_not_listed: usize,
}

/// Duplicates counted against a baseline.
#[derive(Debug, Default, Clone, Serialize)]
pub struct BaselineSummary {
    /// Duplicate clusters whose id is in the baseline.
    pub known_clusters: usize,
    /// Duplicate clusters whose id is not.
    pub new_clusters: usize,
    /// Redundant copies the baseline did not have.
    pub new_duplicate_paragraphs: usize,
    /// Their bytes.
    pub new_duplicate_bytes: u64,
    /// `new_duplicate_bytes / bytes`.
    pub new_duplicate_ratio: f64,
}

/// One cluster.
#[derive(Debug, Serialize)]
pub struct ClusterReport<'a> {
    /// Stable id derived from the representative's normalized text.
    pub id: ClusterId,
    /// `exact`, `near` or `template`.
    pub kind: Kind,
    /// Number of members.
    pub size: usize,
    /// Tokens in the representative.
    pub words: u32,
    /// The representative's original text.
    pub text: String,
    /// Not in the baseline (only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<bool>,
    /// Redundant copies the baseline did not have (only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_copies: Option<usize>,
    /// The members, representative first.
    pub members: Vec<Member<'a>>,
}

/// A paragraph in a cluster.
#[derive(Debug, Serialize)]
pub struct Member<'a> {
    /// The file, as reached from the arguments.
    pub path: &'a str,
    /// For a JSON Lines record, its 1-based line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u32>,
    /// For a JSON Lines record, its id (with `--id-field`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// 0-based index of the paragraph in its document (the file, or the record).
    pub paragraph: u32,
    /// 1-based first line in the document.
    pub line: u32,
    /// 1-based last line, inclusive.
    pub end_line: u32,
    /// Byte offset of the paragraph in the document's text as decoded.
    pub start: usize,
    /// Byte offset just past the paragraph.
    pub end: usize,
    /// Verified Jaccard similarity to the representative (cluster members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// The paragraph's index in the corpus, to read its text again ([`ParagraphTexts`]); not
    /// in the report.
    #[serde(skip)]
    pub paragraph_id: u32,
    /// A redundant copy the baseline did not have (cluster members, only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<bool>,
    /// Reference text (`--reference`): never a redundant copy.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reference: bool,
}

impl Member<'_> {
    /// Its first and last line in the file: the record's line for a JSON Lines record (its
    /// `line` and `end_line` count inside the record's text).
    pub fn file_lines(&self) -> (u32, u32) {
        match self.record {
            Some(record) => (record, record),
            None => (self.line, self.end_line),
        }
    }
}

/// Two paragraphs that share runs of words.
#[derive(Debug, Serialize)]
pub struct PartialReport<'a> {
    /// The earlier paragraph.
    pub a: Member<'a>,
    /// The later paragraph.
    pub b: Member<'a>,
    /// Jaccard similarity of their shingle sets.
    pub similarity: f64,
    /// The shorter one is contained in the longer one (only when it is).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub contained: bool,
    /// The maximal shared runs, in the order they appear in `a`.
    pub shared: Vec<SharedSpan>,
}

/// A copied run of consecutive paragraphs.
#[derive(Debug, Serialize)]
pub struct PassageReport<'a> {
    /// Paragraphs on each side.
    pub paragraphs: u32,
    /// The earlier run: its first paragraph's index, the first and last line, the byte range.
    pub a: Member<'a>,
    /// The later run.
    pub b: Member<'a>,
}

/// How much of a file another file holds.
#[derive(Debug, Serialize)]
pub struct OverlapReport<'a> {
    /// The other file.
    pub path: &'a str,
    /// Paragraphs of this file with a copy in the other file.
    pub paragraphs: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Those bytes as a fraction of this file's paragraph bytes.
    pub containment: f64,
}

/// One file.
#[derive(Debug, Serialize)]
pub struct FileReport<'a> {
    /// The file, as reached from the arguments.
    pub path: &'a str,
    /// Paragraphs in the file.
    pub paragraphs: usize,
    /// Bytes of those paragraphs.
    pub bytes: u64,
    /// Paragraphs of this file that are redundant copies.
    pub duplicate_paragraphs: usize,
    /// Their bytes.
    pub duplicate_bytes: u64,
    /// `duplicate_bytes / bytes` (0 for a file without paragraphs).
    pub duplicate_ratio: f64,
    /// Bytes of redundant copies the baseline did not have (only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_duplicate_bytes: Option<u64>,
    /// `new_duplicate_bytes / bytes` (only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_duplicate_ratio: Option<f64>,
    /// Other files holding copies of this file's paragraphs, by containment, largest first (at
    /// most 20).
    pub overlaps: Vec<OverlapReport<'a>>,
    /// Number of other files holding copies of this file's paragraphs.
    pub overlapping_files: usize,
    /// Why the file was not read (`binary`, `special`), when it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<Skipped>,
    /// `gzip` or `zstd`, for a compressed file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<read::Compression>,
    /// How a text that was not UTF-8 was decoded: `utf-16le`, `utf-16be` or `latin1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<read::Decoding>,
    /// For a JSON Lines file, the number of records read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<usize>,
    /// Bytes of its text as read (decompressed and decoded), for `dedup apply` to tell that the
    /// file is unchanged; not for a skipped file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_bytes: Option<u64>,
    /// xxh3-64 of that text, 16 hex digits; with `text_bytes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_hash: Option<String>,
    /// Reference text (`--reference`): its paragraphs are never redundant copies.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reference: bool,
}

/// `part / whole`, 0 when `whole` is 0.
pub(crate) fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Builds the report, with what a baseline says when one was given. Reading paragraphs again
/// from their files may add errors.
pub fn build<'a>(
    corpus: &'a Corpus,
    found: &Found<'a>,
    settings: Settings,
    baseline: Option<BaselineMarks>,
    warnings: Vec<Problem>,
    mut errors: Problems,
) -> Report<'a> {
    let clusters = found.clusters;
    // Both read paragraphs again, each in parallel, with serial steps the other fills.
    let spans = || {
        let (pairs, omitted) = spans::partial_pairs(found.matches, found.partials);
        let shared = spans::shared_spans(corpus, found.matches, found.partials, pairs);
        (shared, omitted)
    };
    let ((texts, text_errors), ((partial_spans, span_errors), partial_matches_omitted)) =
        rayon::join(|| representative_texts(corpus, clusters), spans);
    errors.extend(text_errors);
    errors.extend(span_errors);
    let errors = errors.into_vec();

    // With `--reference`, what holds reference text only is not listed (the clusters were
    // left out before: `found.reference_clusters`), and what is counted is the inputs'.
    let is_reference = |p: u32| corpus.is_reference(p);
    let listed_partials: Vec<usize> = (0..partial_spans.pairs.len())
        .filter(|&i| {
            let pair = &partial_spans.pairs[i];
            !(is_reference(pair.p) && is_reference(pair.q))
        })
        .collect();
    let listed_passages: Vec<usize> = (0..found.passages.len())
        .filter(|&i| !(is_reference(found.passages[i].a) && is_reference(found.passages[i].b)))
        .collect();
    // The files listed: every input, the reference files skipped, and those that hold a member
    // or side of something listed (a reference of thousands of files is not repeated in every
    // gate report).
    let mut listed_files: Vec<bool> = (corpus.files.iter())
        .map(|f| !f.reference || f.skipped.is_some())
        .collect();
    {
        let mut list = |p: u32| listed_files[corpus.paragraphs[p as usize].file as usize] = true;
        for cluster in clusters {
            cluster.members.iter().for_each(|&(p, _)| list(p));
        }
        for &i in &listed_partials {
            let pair = &partial_spans.pairs[i];
            list(pair.p);
            list(pair.q);
        }
        for &i in &listed_passages {
            list(found.passages[i].a);
            list(found.passages[i].b);
        }
    }
    // (files read, paragraphs, bytes) of the inputs, then of the reference.
    let mut counts = [(0usize, 0usize, 0u64); 2];
    for f in corpus.files.iter().filter(|f| f.skipped.is_none()) {
        counts[usize::from(f.reference)].0 += 1;
    }
    for p in &corpus.paragraphs {
        let c = &mut counts[usize::from(corpus.files[p.file as usize].reference)];
        c.1 += 1;
        c.2 += p.len();
    }
    let [
        (files, paragraphs, bytes),
        (reference_files, reference_paragraphs, reference_bytes),
    ] = counts;
    let reference = corpus
        .files
        .iter()
        .any(|f| f.reference)
        .then_some(ReferenceSummary {
            files: reference_files,
            paragraphs: reference_paragraphs,
            bytes: reference_bytes,
            clusters_not_listed: found.reference_clusters,
        });
    let mut summary = Summary {
        files,
        files_skipped: corpus.files.iter().filter(|f| f.skipped.is_some()).count(),
        paragraphs,
        bytes,
        short_paragraphs: corpus.short_paragraphs[0],
        clusters: clusters.len(),
        partial_matches: listed_partials.len(),
        partial_matches_omitted,
        passages: listed_passages.len(),
        candidate_pairs: found.matches.candidate_pairs,
        oversized_buckets: found.matches.oversized_buckets,
        boilerplate_fingerprints: found.partials.boilerplate_fingerprints,
        warnings: warnings.len(),
        reference,
        ..Summary::default()
    };
    let mut file_duplicates = vec![(0usize, 0u64); corpus.files.len()];
    for cluster in clusters {
        match cluster.kind {
            Kind::Exact => summary.exact_clusters += 1,
            Kind::Near => summary.near_clusters += 1,
            Kind::Template => {
                summary.template_clusters += 1;
                continue;
            }
        }
        for &(id, _) in cluster.members[1..]
            .iter()
            .filter(|&&(id, _)| !is_reference(id))
        {
            let p = &corpus.paragraphs[id as usize];
            summary.duplicate_paragraphs += 1;
            summary.duplicate_bytes += p.len();
            let entry = &mut file_duplicates[p.file as usize];
            entry.0 += 1;
            entry.1 += p.len();
        }
    }
    summary.duplicate_ratio = ratio(summary.duplicate_bytes, summary.bytes);

    let (marks, new_bytes) = match baseline {
        Some(b) => {
            summary.baseline = Some(BaselineSummary {
                new_duplicate_ratio: ratio(b.summary.new_duplicate_bytes, summary.bytes),
                ..b.summary
            });
            (b.clusters, Some(b.new_bytes))
        }
        None => (Vec::new(), None),
    };
    let cluster_reports = Section::new(clusters.len(), move |i| {
        let c = &clusters[i];
        let mut members: Vec<Member> = c
            .members
            .iter()
            .map(|&(id, s)| member(corpus, id, Some(s)))
            .collect();
        let marks = marks.get(i).and_then(Option::as_ref);
        if let Some(marks) = marks {
            members[0].new = Some(false);
            for (member, &new) in members[1..].iter_mut().zip(&marks.new_members) {
                member.new = Some(new);
            }
        }
        ClusterReport {
            id: c.id(),
            kind: c.kind,
            size: c.members.len(),
            words: c.key.words,
            text: texts.get(i).to_owned(),
            new: marks.map(|m| m.new),
            new_copies: marks.map(|m| m.new_copies),
            members,
        }
    });

    let links = &found.partials.links;
    let partial_matches = Section::new(listed_partials.len(), move |i| {
        let i = listed_partials[i];
        let pair = &partial_spans.pairs[i];
        PartialReport {
            a: member(corpus, pair.p, None),
            b: member(corpus, pair.q, None),
            similarity: links[pair.link].similarity,
            contained: links[pair.link].contained,
            shared: partial_spans.shared(i).to_vec(),
        }
    });

    let side = move |first: u32, len: u32| {
        let last = &corpus.paragraphs[(first + len - 1) as usize];
        Member {
            end_line: last.span.end_line,
            end: last.span.end,
            ..member(corpus, first, None)
        }
    };
    let found_passages = found.passages;
    let passages = Section::new(listed_passages.len(), move |i| {
        let ps = &found_passages[listed_passages[i]];
        PassageReport {
            paragraphs: ps.len,
            a: side(ps.a, ps.len),
            b: side(ps.b, ps.len),
        }
    });

    let mut paragraphs_per_file = vec![(0usize, 0u64); corpus.files.len()];
    for p in &corpus.paragraphs {
        let entry = &mut paragraphs_per_file[p.file as usize];
        entry.0 += 1;
        entry.1 += p.len();
    }
    let listed_files: Vec<u32> = (0..corpus.files.len() as u32)
        .filter(|&i| listed_files[i as usize])
        .collect();
    let overlaps = found.overlaps;
    let files = Section::new(listed_files.len(), move |i| {
        let i = listed_files[i] as usize;
        let f = &corpus.files[i];
        let (paragraphs, bytes) = paragraphs_per_file[i];
        let (duplicate_paragraphs, duplicate_bytes) = file_duplicates[i];
        let listed: Vec<OverlapReport> = overlaps[i]
            .listed
            .iter()
            .map(|o| OverlapReport {
                path: corpus.files[o.file as usize].display(),
                paragraphs: o.paragraphs,
                bytes: o.bytes,
                containment: ratio(o.bytes, bytes),
            })
            .collect();
        let overlapping_files = overlaps[i].files;
        let new_duplicate_bytes = new_bytes.as_ref().map(|b| b[i]);
        FileReport {
            path: f.display(),
            paragraphs,
            bytes,
            duplicate_paragraphs,
            duplicate_bytes,
            duplicate_ratio: ratio(duplicate_bytes, bytes),
            new_duplicate_bytes,
            new_duplicate_ratio: new_duplicate_bytes.map(|b| ratio(b, bytes)),
            overlaps: listed,
            overlapping_files,
            skipped: f.skipped,
            compression: f.compression,
            encoding: f.decoding.filter(|&d| d != read::Decoding::Utf8),
            records: f.records,
            text_bytes: f.skipped.is_none().then_some(f.size),
            text_hash: f.skipped.is_none().then(|| read::hash_hex(f.hash)),
            reference: f.reference,
        }
    });

    summary.errors = errors.len();
    Report {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "dedup",
            version: env!("CARGO_PKG_VERSION"),
        },
        settings,
        summary,
        clusters: cluster_reports,
        partial_matches,
        passages,
        files,
        warnings,
        errors,
        texts: ParagraphTexts(corpus),
    }
}

/// Paragraph `id` as a report member.
fn member(corpus: &Corpus, id: u32, similarity: Option<f64>) -> Member<'_> {
    let p = &corpus.paragraphs[id as usize];
    let document = &corpus.documents[p.document as usize];
    Member {
        paragraph_id: id,
        path: corpus.files[p.file as usize].display(),
        record: document.record,
        id: document.id.as_deref(),
        paragraph: p.index,
        line: p.span.line,
        end_line: p.span.end_line,
        start: p.span.start,
        end: p.span.end,
        similarity,
        new: None,
        reference: corpus.files[p.file as usize].reference,
    }
}

/// The clusters' representative texts, in one buffer.
struct Texts {
    text: String,
    /// Where each cluster's text ends in `text`.
    ends: Vec<usize>,
}

impl Texts {
    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// Reads every cluster's representative text again, in blocks (clusters are in report order, so
/// each block covers consecutive files). A text that cannot be read is empty.
fn representative_texts(corpus: &Corpus, clusters: &[Cluster]) -> (Texts, Vec<Problem>) {
    let mut texts = Texts {
        text: String::new(),
        ends: Vec::with_capacity(clusters.len()),
    };
    let mut problems = Problems::default();
    for block in clusters.chunks(REREAD_BLOCK) {
        let reps: Vec<u32> = block.iter().map(Cluster::representative).collect();
        let (read, block_problems) = corpus.reread_with(&reps, |_, bytes| {
            String::from_utf8_lossy(bytes).into_owned()
        });
        problems.extend(block_problems);
        for text in read {
            texts.text.push_str(text.as_deref().unwrap_or_default());
            texts.ends.push(texts.text.len());
        }
    }
    texts.text.shrink_to_fit();
    (texts, problems.into_vec())
}
