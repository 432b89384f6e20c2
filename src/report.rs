//! Stage 8, report: clusters to the JSON report (format version 1), written once.
//!
//! In: the corpus (files, paragraphs, fingerprints), the matches, the clusters, the problems met,
//! and the settings of the run. Out: a [`Report`]; [`crate::rules`] then marks what is new and
//! checks the CI rules, and [`crate::output`] writes it in the format asked for.
//!
//! The representatives' original text is read again from their files here, so no paragraph text
//! is held in memory while matching. Everything is sorted before it is written: clusters by their
//! representative's (path, line), members by (path, line); the bytes of the report never depend on
//! the thread count or on timing. Field names are the contract in DESIGN.md.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::cluster::{Cluster, Kind};
use crate::matching::Matches;
use crate::normalize::{Options, normalize};
use crate::partial::Partials;
use crate::passages::{Overlap, Passage};
use crate::rules::Violation;
use crate::{Corpus, Paragraph, Problem, read};

/// Expanded into its copies, one partial link between two distinct texts lists at most this many
/// paragraph pairs; the rest are counted in `summary.partial_matches_omitted`.
pub const PARTIAL_COPIES_CAP: usize = 16;
/// Overlaps listed per file, the largest first; `overlapping_files` counts them all.
pub const OVERLAPS_LISTED: usize = 20;

/// What the matching stages found, for the report.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// Units and links.
    pub matches: &'a Matches,
    /// Duplicate and template clusters.
    pub clusters: &'a [Cluster],
    /// Partial matches between units.
    pub partials: &'a Partials,
    /// Copied runs of paragraphs.
    pub passages: &'a [Passage],
    /// Per file, its overlap with other files.
    pub overlaps: &'a [Vec<Overlap>],
}

/// The format version written in every report.
pub const FORMAT_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Report format version.
    pub version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// Every effective parameter of the run.
    pub settings: Settings,
    /// Counts over the whole corpus.
    pub summary: Summary,
    /// Exact, near and template clusters.
    pub clusters: Vec<ClusterReport>,
    /// Paragraphs that are not duplicates but share runs of words.
    pub partial_matches: Vec<PartialReport>,
    /// Runs of consecutive paragraphs copied from one place to another.
    pub passages: Vec<PassageReport>,
    /// One entry per file read or skipped.
    pub files: Vec<FileReport>,
    /// Files read with a problem that did not stop them being read (invalid UTF-8).
    pub warnings: Vec<Problem>,
    /// Paths that could not be read; the rest of the corpus is still reported.
    pub errors: Vec<Problem>,
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
    /// Words per shingle.
    pub shingle: usize,
    /// Jaccard threshold for near duplicates and templates.
    pub threshold: f64,
    /// Paragraphs with fewer tokens are matched exactly only.
    pub min_words: usize,
    /// What happens to short paragraphs.
    pub short_paragraphs: &'static str,
    /// MinHash values per paragraph (bands × rows).
    pub signature: usize,
    /// LSH bands.
    pub bands: usize,
    /// MinHash values per band.
    pub rows: usize,
    /// Probability that a pair exactly at the threshold becomes a candidate.
    pub candidate_recall_at_threshold: f64,
    /// Shortest shared run of words reported as a partial match (t = window + shingle − 1).
    pub min_shared_words: usize,
    /// Winnowing window, in shingles (0: no partial matching).
    pub window: usize,
    /// Fingerprints and LSH keys shared by more distinct paragraphs are boilerplate.
    pub boilerplate_cap: usize,
    /// Whether only exact duplicates were looked for.
    pub exact_only: bool,
    /// `templates` (paragraphs alike but for their figures are template clusters) or `ignored`
    /// (figures masked, such paragraphs are duplicates).
    pub figures: &'static str,
    /// `folded` (British spellings read as American ones) or `kept`.
    pub spelling: &'static str,
    /// The normalization steps, in order.
    pub normalization: Vec<String>,
    /// Extension filter; empty means every file.
    pub extensions: Vec<String>,
    /// Whether hidden files were read.
    pub hidden: bool,
    /// Whether symbolic links were followed.
    pub follow: bool,
    /// The path list read with `--files-from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_from: Option<String>,
    /// Whether every file was read as JSON Lines (else only `.jsonl` and `.ndjson` files).
    pub jsonl: bool,
    /// The JSON Lines field holding a record's text.
    pub text_field: String,
    /// The JSON Lines field holding a record's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_field: Option<String>,
    /// How files that are not valid UTF-8 were read: `utf-8` (lossily) or `latin1`.
    pub encoding: &'static str,
}

/// Counts over the corpus.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Files skipped as binary.
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
    /// The CI rules broken; empty when none was broken or none was given.
    pub violations: Vec<Violation>,
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
pub struct ClusterReport {
    /// Stable id derived from the representative's normalized text.
    pub id: String,
    /// `exact`, `near` or `template`.
    pub kind: &'static str,
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
    pub members: Vec<Member>,
}

/// A paragraph in a cluster.
#[derive(Debug, Serialize)]
pub struct Member {
    /// The file, as reached from the arguments.
    pub path: String,
    /// For a JSON Lines record, its 1-based line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u32>,
    /// For a JSON Lines record, its id (with `--id-field`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Box<str>>,
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
    /// A redundant copy the baseline did not have (cluster members, only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<bool>,
}

/// Two paragraphs that share runs of words.
#[derive(Debug, Serialize)]
pub struct PartialReport {
    /// The earlier paragraph.
    pub a: Member,
    /// The later paragraph.
    pub b: Member,
    /// Jaccard similarity of their shingle sets.
    pub similarity: f64,
    /// The maximal shared runs, in the order they appear in `a`.
    pub shared: Vec<SharedSpan>,
}

/// One shared run, as byte ranges in both files.
#[derive(Debug, Serialize)]
pub struct SharedSpan {
    /// Start of the run in `a`'s file.
    pub a_start: usize,
    /// End of the run in `a`'s file (exclusive).
    pub a_end: usize,
    /// Start of the run in `b`'s file.
    pub b_start: usize,
    /// End of the run in `b`'s file (exclusive).
    pub b_end: usize,
    /// Normalized words in the run.
    pub words: u32,
}

/// A copied run of consecutive paragraphs.
#[derive(Debug, Serialize)]
pub struct PassageReport {
    /// Paragraphs on each side.
    pub paragraphs: u32,
    /// The earlier run: its first paragraph's index, the first and last line, the byte range.
    pub a: Member,
    /// The later run.
    pub b: Member,
}

/// How much of a file another file holds.
#[derive(Debug, Serialize)]
pub struct OverlapReport {
    /// The other file.
    pub path: String,
    /// Paragraphs of this file with a copy in the other file.
    pub paragraphs: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Those bytes as a fraction of this file's paragraph bytes.
    pub containment: f64,
}

/// One file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The file, as reached from the arguments.
    pub path: String,
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
    pub overlaps: Vec<OverlapReport>,
    /// Number of other files holding copies of this file's paragraphs.
    pub overlapping_files: usize,
    /// Why the file was not read (`binary`), when it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'static str>,
    /// `gzip` or `zstd`, for a compressed file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    /// How a text that was not UTF-8 was decoded: `utf-16le`, `utf-16be` or `latin1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// For a JSON Lines file, the number of records read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<usize>,
}

/// `part / whole`, 0 when `whole` is 0.
pub(crate) fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Exact => "exact",
        Kind::Near => "near",
        Kind::Template => "template",
    }
}

/// Builds the report. Reading paragraphs again from their files may add errors.
pub fn build(
    corpus: &Corpus,
    found: &Found<'_>,
    settings: Settings,
    warnings: Vec<Problem>,
    mut errors: Vec<Problem>,
) -> Report {
    let clusters = found.clusters;
    let (partial_pairs, partial_matches_omitted) = partial_pairs(found);
    let wanted: Vec<u32> = clusters
        .iter()
        .map(Cluster::representative)
        .chain(partial_pairs.iter().flat_map(|pair| [pair.p, pair.q]))
        .collect();
    let (texts, reread_errors) = corpus.reread(&wanted);
    errors.extend(reread_errors);

    let mut summary = Summary {
        files: corpus.files.iter().filter(|f| !f.binary).count(),
        files_skipped: corpus.files.iter().filter(|f| f.binary).count(),
        paragraphs: corpus.paragraphs.len(),
        bytes: corpus.paragraphs.iter().map(Paragraph::len).sum(),
        short_paragraphs: corpus.short_paragraphs,
        clusters: clusters.len(),
        partial_matches_omitted,
        passages: found.passages.len(),
        candidate_pairs: found.matches.candidate_pairs,
        oversized_buckets: found.matches.oversized_buckets,
        boilerplate_fingerprints: found.partials.boilerplate_fingerprints,
        warnings: warnings.len(),
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
        for &(id, _) in &cluster.members[1..] {
            let p = &corpus.paragraphs[id as usize];
            summary.duplicate_paragraphs += 1;
            summary.duplicate_bytes += p.len();
            let entry = &mut file_duplicates[p.file as usize];
            entry.0 += 1;
            entry.1 += p.len();
        }
    }
    summary.duplicate_ratio = ratio(summary.duplicate_bytes, summary.bytes);

    let path_of = |p: &Paragraph| corpus.files[p.file as usize].display.clone();
    let member = |id: u32, similarity: Option<f64>| {
        let p = &corpus.paragraphs[id as usize];
        let document = &corpus.documents[p.document as usize];
        Member {
            path: path_of(p),
            record: document.record,
            id: document.id.clone(),
            paragraph: p.index,
            line: p.span.line,
            end_line: p.span.end_line,
            start: p.span.start,
            end: p.span.end,
            similarity,
            new: None,
        }
    };
    let cluster_reports = clusters
        .iter()
        .map(|c| {
            let rep = c.representative();
            let fp = &corpus.fingerprints[rep as usize];
            let id = match c.kind {
                Kind::Template => {
                    let mut key = fp.masked.to_le_bytes().to_vec();
                    key.extend_from_slice(b"template");
                    xxh3_64(&key)
                }
                _ => fp.exact as u64,
            };
            ClusterReport {
                id: format!("{id:016x}"),
                kind: kind_name(c.kind),
                size: c.members.len(),
                words: fp.words,
                text: texts
                    .get(&rep)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
                new: None,
                new_copies: None,
                members: c
                    .members
                    .iter()
                    .map(|&(id, s)| member(id, Some(s)))
                    .collect(),
            }
        })
        .collect();

    // Where each token of a partial-match paragraph starts and ends in its file, each paragraph
    // normalized once. Token boundaries do not depend on the normalization options.
    let mut in_partials: Vec<u32> = partial_pairs
        .iter()
        .flat_map(|pair| [pair.p, pair.q])
        .collect();
    in_partials.sort_unstable();
    in_partials.dedup();
    let token_spans: BTreeMap<u32, Vec<(usize, usize)>> = in_partials
        .par_iter()
        .filter_map(|&id| {
            let start = corpus.paragraphs[id as usize].span.start;
            let tokens = normalize(texts.get(&id)?, Options::default()).tokens;
            let spans = tokens
                .iter()
                .map(|t| (start + t.source.start, start + t.source.end))
                .collect();
            Some((id, spans))
        })
        .collect();
    let partial_matches: Vec<PartialReport> = partial_pairs
        .iter()
        .filter_map(|pair| {
            let (p, q) = (pair.p, pair.q);
            let link = &found.partials.links[pair.link];
            let (tp, tq) = (token_spans.get(&p)?, token_spans.get(&q)?);
            let mut runs: Vec<(usize, usize, usize)> = link
                .runs
                .iter()
                .map(|r| {
                    let (a, b) = if pair.swapped { (r.b, r.a) } else { (r.a, r.b) };
                    (a as usize, b as usize, r.len as usize)
                })
                .collect();
            runs.sort_unstable();
            let shared = runs
                .into_iter()
                .map(|(a, b, n)| SharedSpan {
                    a_start: tp[a].0,
                    a_end: tp[a + n - 1].1,
                    b_start: tq[b].0,
                    b_end: tq[b + n - 1].1,
                    words: n as u32,
                })
                .collect();
            Some(PartialReport {
                a: member(p, None),
                b: member(q, None),
                similarity: link.similarity,
                shared,
            })
        })
        .collect();
    summary.partial_matches = partial_matches.len();

    let side = |first: u32, len: u32| {
        let last = &corpus.paragraphs[(first + len - 1) as usize];
        Member {
            end_line: last.span.end_line,
            end: last.span.end,
            ..member(first, None)
        }
    };
    let passages = found
        .passages
        .iter()
        .map(|ps| PassageReport {
            paragraphs: ps.len,
            a: side(ps.a, ps.len),
            b: side(ps.b, ps.len),
        })
        .collect();

    let mut paragraphs_per_file = vec![(0usize, 0u64); corpus.files.len()];
    for p in &corpus.paragraphs {
        let entry = &mut paragraphs_per_file[p.file as usize];
        entry.0 += 1;
        entry.1 += p.len();
    }
    let files = corpus
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (paragraphs, bytes) = paragraphs_per_file[i];
            let (duplicate_paragraphs, duplicate_bytes) = file_duplicates[i];
            let mut overlaps: Vec<OverlapReport> = found.overlaps[i]
                .iter()
                .map(|o| OverlapReport {
                    path: corpus.files[o.file as usize].display.clone(),
                    paragraphs: o.paragraphs,
                    bytes: o.bytes,
                    containment: ratio(o.bytes, bytes),
                })
                .collect();
            // Largest share first; `found.overlaps` is in path order, and the sort is stable.
            overlaps.sort_by_key(|o| std::cmp::Reverse(o.bytes));
            let overlapping_files = overlaps.len();
            overlaps.truncate(OVERLAPS_LISTED);
            FileReport {
                path: f.display.clone(),
                paragraphs,
                bytes,
                duplicate_paragraphs,
                duplicate_bytes,
                duplicate_ratio: ratio(duplicate_bytes, bytes),
                new_duplicate_bytes: None,
                new_duplicate_ratio: None,
                overlaps,
                overlapping_files,
                skipped: f.binary.then_some("binary"),
                compression: f.compression.map(read::Compression::name),
                encoding: f
                    .decoding
                    .filter(|&d| d != read::Decoding::Utf8)
                    .map(read::Decoding::name),
                records: f.records,
            }
        })
        .collect();

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
    }
}

/// One listed partial match: paragraphs `p < q` and the link whose runs they share. `swapped`
/// when `p` is a copy of the link's second text, so the runs' sides are exchanged.
struct PartialPair {
    p: u32,
    q: u32,
    link: usize,
    swapped: bool,
}

/// Every partial link expanded into the paragraph pairs of the two texts' copies, sorted; at most
/// [`PARTIAL_COPIES_CAP`] pairs a link. Also the number left out.
fn partial_pairs(found: &Found<'_>) -> (Vec<PartialPair>, usize) {
    let mut pairs = Vec::new();
    let mut omitted = 0;
    for (link, l) in found.partials.links.iter().enumerate() {
        let units = &found.matches.units;
        let (copies_a, copies_b) = (&units[l.a as usize], &units[l.b as usize]);
        let mut all: Vec<PartialPair> = copies_a
            .iter()
            .flat_map(|&a| {
                copies_b.iter().map(move |&b| PartialPair {
                    p: a.min(b),
                    q: a.max(b),
                    link,
                    swapped: b < a,
                })
            })
            .collect();
        all.sort_unstable_by_key(|pair| (pair.p, pair.q));
        omitted += all.len().saturating_sub(PARTIAL_COPIES_CAP);
        all.truncate(PARTIAL_COPIES_CAP);
        pairs.extend(all);
    }
    pairs.sort_unstable_by_key(|pair| (pair.p, pair.q));
    (pairs, omitted)
}
