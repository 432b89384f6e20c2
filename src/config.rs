//! The run's configuration, lowered once.
//!
//! In: the checked command-line values (or a library caller's), as a [`Config`]. Out: what each
//! stage takes, derived here and nowhere else: the normalization options, the banding, the
//! fingerprinting and partial-matching parameters, and the report's `settings` block.

use std::path::PathBuf;

use crate::fingerprint::{self, HUGE_PARAGRAPH, banding_for, candidate_probability};
use crate::normalize;
use crate::output::OutputOptions;
use crate::partial::PartialParams;
use crate::read::ReadOptions;
use crate::report::{Figures, Settings, Spelling};
use crate::rules::Rules;
use crate::sets::MIN_COVERAGE;
use crate::walk::{self, WalkOptions};

/// Default words per shingle.
pub const DEFAULT_SHINGLE: usize = 2;
/// The fewest words per seed shingle of partial matches: shorter seeds are boilerplate in
/// too many paragraphs to find shared sentences (`he said`, `of the`).
pub const MIN_SEED_SHINGLE: usize = 3;
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
    /// Reference files and directories (`--reference`): read and matched, holding no redundant
    /// copies; a copy of reference text in the inputs is the copy.
    pub references: Vec<PathBuf>,
    /// A file listing more paths to read (`-`: stdin).
    pub files_from: Option<PathBuf>,
    /// The configuration file the settings came from, if any.
    pub config: Option<PathBuf>,
    /// The path list is separated by NUL bytes instead of newlines.
    pub null_separated: bool,
    /// Where to write the report; `None` or `-` is stdout.
    pub output: Option<PathBuf>,
    /// Format, pretty-printing, summary only.
    pub output_options: OutputOptions,
    /// The CI rules to check.
    pub rules: Rules,
    /// An earlier report or baseline whose clusters are known.
    pub baseline: Option<PathBuf>,
    /// Where to write a baseline accepting every duplicate cluster of this run.
    pub write_baseline: Option<PathBuf>,
    /// How to walk the inputs.
    pub walk: WalkOptions,
    /// How to read and decode files.
    pub read: ReadOptions,
    /// Words per shingle (k ≥ 1).
    pub shingle: usize,
    /// Jaccard threshold, in (0, 1].
    pub threshold: f64,
    /// Paragraphs with fewer tokens are matched exactly only (or, with wire markup, as near
    /// copies of the paragraph they equal without it).
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
    /// Print the files that would be read and stop.
    pub list_files: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inputs: Vec::new(),
            references: Vec::new(),
            files_from: None,
            config: None,
            null_separated: false,
            output: None,
            output_options: OutputOptions::default(),
            rules: Rules::default(),
            baseline: None,
            write_baseline: None,
            walk: WalkOptions::default(),
            read: ReadOptions::default(),
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
            list_files: false,
        }
    }
}

impl Config {
    /// The normalization options of this run.
    pub fn normalize_options(&self) -> normalize::Options {
        normalize::Options {
            ignore_figures: self.ignore_figures,
            fold_spelling: !self.keep_spelling,
        }
    }

    /// Words per seed shingle of partial matches (k'): the shingle size, at least
    /// [`MIN_SEED_SHINGLE`].
    pub fn seed_shingle(&self) -> usize {
        self.shingle.max(MIN_SEED_SHINGLE)
    }

    /// The winnowing window w = t − k' + 1 (0 when partial matching is off).
    pub fn window(&self) -> usize {
        if self.exact_only {
            0
        } else {
            (self.min_shared_words + 1).saturating_sub(self.seed_shingle())
        }
    }

    /// The LSH banding for the threshold: (bands, rows per band).
    pub fn banding(&self) -> (usize, usize) {
        banding_for(self.threshold)
    }

    /// What fingerprinting needs: shingle size, banding, window.
    pub fn fingerprint_params(&self) -> fingerprint::Params {
        let (bands, rows) = self.banding();
        fingerprint::Params {
            shingle: self.shingle,
            min_words: self.min_words,
            bands,
            rows,
            ignore_figures: self.ignore_figures,
            exact_only: self.exact_only,
            seed_shingle: self.seed_shingle(),
            window: self.window(),
        }
    }

    /// What verifying shared runs of words needs.
    pub fn partial_params(&self) -> PartialParams {
        PartialParams {
            shingle: self.shingle,
            seed_shingle: self.seed_shingle(),
            min_shared_words: self.min_shared_words,
        }
    }

    /// The PATH arguments as displayed, sorted and each once: the report does not depend on
    /// their order.
    fn sorted_inputs(&self) -> Vec<String> {
        sorted_paths(&self.inputs)
    }

    /// The report's `settings` block: every effective parameter.
    pub fn settings(&self) -> Settings {
        let (bands, rows) = self.banding();
        Settings {
            inputs: self.sorted_inputs(),
            references: sorted_paths(&self.references),
            shingle: self.shingle,
            threshold: self.threshold,
            min_coverage: MIN_COVERAGE,
            coverage: "the words of each paragraph (without wire markup) inside shingles both \
                       share, each shingle at as many places as it occurs on both sides; near \
                       copies have more than min_coverage of each",
            wire_markup: "leading datelines, trailing credits, tags and entities: left out of near \
                          similarity (a dated dateline counts as one figure); exact identity \
                          keeps them",
            min_words: self.min_words,
            short_paragraphs: "fewer than min_words tokens without wire markup: matched exactly, or as a \
                               near copy of the paragraph they equal once markup is left out; \
                               no partial matches",
            huge_paragraph: HUGE_PARAGRAPH,
            signature: bands * rows,
            bands,
            rows,
            candidate_recall_at_threshold: candidate_probability(self.threshold, bands, rows),
            min_shared_words: self.min_shared_words,
            seed_shingle: self.seed_shingle(),
            window: self.window(),
            boilerplate_cap: self.boilerplate_cap,
            exact_only: self.exact_only,
            figures: if self.ignore_figures {
                Figures::Ignored
            } else {
                Figures::Templates
            },
            spelling: if self.keep_spelling {
                Spelling::Kept
            } else {
                Spelling::Folded
            },
            normalization: normalize::steps(self.normalize_options()),
            extensions: self.walk.extensions.clone(),
            exclude: self
                .walk
                .exclude
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            hidden: self.walk.hidden,
            follow: self.walk.follow,
            files_from: self.files_from.as_deref().map(walk::display_path),
            config: self.config.as_deref().map(walk::display_path),
            jsonl: self.read.jsonl,
            text_field: self.read.text_field.clone(),
            id_field: self.read.id_field.clone(),
            encoding: self.read.encoding,
            max_file_size: self.read.max_file_size,
        }
    }
}

/// Paths as displayed, sorted and each once.
fn sorted_paths(paths: &[PathBuf]) -> Vec<String> {
    let mut shown: Vec<String> = paths.iter().map(|p| walk::display_path(p)).collect();
    shown.sort_unstable();
    shown.dedup();
    shown
}
