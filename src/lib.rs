//! `dedup`: find exact, near-duplicate and templated paragraphs in a corpus of text files.
//!
//! The pipeline runs in one direction, one module per stage or concept, in the order data flows:
//!
//! - [`config`]: the checked options, and every parameter derived from them;
//! - [`walk`]: PATH arguments to sorted files;
//! - [`scan`]: per file, [`read`] (bytes to text), [`segment`] (text to paragraphs),
//!   [`normalize`] (paragraphs to tokens) and [`fingerprint`] (tokens to exact keys, LSH band keys
//!   and winnowed fingerprints), merged in path order into the [`corpus`] ([`prefetch`] asks for
//!   the next files ahead when the scan waits on the disk); [`index`]: the scan of
//!   reference files saved (`dedup index`) and read back in place of scanning them;
//! - [`matching`]: units of exact copies and candidate pairs, verified on the real [`sets`]
//!   (re-read from the files);
//! - [`cluster`]: verified links to clusters;
//! - [`partial`] and [`passages`]: shared runs of words, copied runs of paragraphs, file overlaps;
//! - [`report`]: everything found to the report; [`rules`]: baselines and CI rules;
//!   [`output`]: the report in the format asked for; [`messages`]: what stderr shows;
//! - [`stage`]: the same pipeline as stages with files between them (`dedup stage`), the scan in
//!   shards and the band join also as SQL, the tables in Parquet ([`table`]);
//! - [`pipeline`]: the phases in order, and when memory is freed; [`progress`]: the line on
//!   stderr a person sees meanwhile; [`error`]: problems, errors and the exit status.
//!
//! [`run`] drives it for a [`Config`] and returns an [`Outcome`] whose [`Outcome::exit_status`] is
//! the process's. Stages 2–5 run in parallel per file and stage 6 per band and per candidate
//! block; results are merged in path order, so the report's bytes never depend on the thread
//! count.

#![deny(missing_docs)]
// The crate doc maps every module, private ones too: the map is for whoever works on the code
// (`cargo doc --document-private-items`), and links to private modules are plain text without it.
#![allow(rustdoc::private_intra_doc_links)]

mod alloc;
pub mod apply;
mod cluster;
pub mod config;
mod corpus;
pub mod error;
mod fingerprint;
mod index;
mod matching;
mod messages;
pub mod normalize;
pub mod output;
mod partial;
mod passages;
mod pipeline;
mod prefetch;
mod progress;
pub mod read;
mod report;
pub mod rules;
mod scan;
pub mod segment;
mod sets;
pub mod stage;
mod table;
mod timings;
pub mod utf8;
pub mod walk;
mod wire;

pub use config::Config;
pub use error::{Error, ExitStatus, Problem};
pub use messages::message;
pub use pipeline::Outcome;

/// What the micro-benchmarks and the example measure of the matcher's internals; not a stable
/// interface.
#[doc(hidden)]
pub mod internals {
    pub use crate::fingerprint::{FileFingerprints, Fingerprinter};
    pub use crate::matching::verify_sets;
    pub use crate::sets::jaccard;
}

/// Runs the whole pipeline on a pool of `config.threads` workers and writes the report.
pub fn run(config: &Config) -> Result<Outcome, Error> {
    in_pool(config, pipeline::run)
}

/// `job` run on a pool of `config.threads` workers.
fn in_pool(
    config: &Config,
    job: impl FnOnce(&Config) -> Result<Outcome, Error> + Send,
) -> Result<Outcome, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(Error::Threads)?;
    pool.install(|| job(config))
}

/// `dedup index`: scans the inputs on a pool of `config.threads` workers and writes what
/// matching needs of them to `config.output`, a reference index for `--reference`; with
/// `update`, the files of the index already there that did not change are taken from it.
pub fn write_index(config: &Config, update: bool) -> Result<Outcome, Error> {
    in_pool(config, |config| pipeline::write_index(config, update))
}

/// `dedup stage manifest`: the inputs walked and listed in the work folder (`config.output`)
/// with the `arguments` every later stage runs with ([`stage::manifest`]).
pub fn stage_manifest(
    config: &Config,
    arguments: Vec<String>,
    config_file: Option<String>,
    work: &std::path::Path,
) -> Result<Outcome, Error> {
    in_pool(config, |config| {
        stage::manifest(config, arguments, config_file, work)
    })
}

/// A stage after `dedup stage manifest` ([`stage::Stage`]) on the work folder `work`.
pub fn run_stage(
    config: &Config,
    manifest: &stage::Manifest,
    work: &std::path::Path,
    which: stage::Stage,
) -> Result<Outcome, Error> {
    in_pool(config, |config| match which {
        stage::Stage::Sign(shard) => stage::sign(config, manifest, work, shard),
        stage::Stage::Candidates => stage::candidates(config, manifest, work),
        stage::Stage::Verify(shard) => stage::verify(config, manifest, work, shard),
        stage::Stage::Report => stage::report(config, manifest, work),
    })
}

/// Tunes the process's allocator for a run (glibc: blocks of 1 MiB and more are mapped, so the
/// arenas freed between phases go back to the system). Process-wide, so the binary calls it,
/// not [`run`].
pub fn tune_allocator() {
    alloc::map_large_blocks();
}
