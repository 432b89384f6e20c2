//! Micro-benchmarks of the hot stages, on the bundled seed and template fixtures (no downloads).
//!
//! In: the files under `fixtures/seeds` and `fixtures/templates`. Out: divan's timings, with
//! throughput in bytes (MB/s) or items (paragraphs or pairs per second) for: segmentation,
//! normalization, fingerprinting (shingling, MinHash and winnowing), recomputing the real sets of
//! a re-read paragraph, and candidate verification (Jaccard on the real shingle sets and the
//! figure check).
//!
//! Run: `cargo bench --bench pipeline` (or `cargo bench --bench pipeline -- normalize` for one).

use std::path::Path;
use std::sync::OnceLock;

use dedup::Config;
use dedup::internals::{FileFingerprints, Fingerprinter, verify_sets};
use dedup::normalize::{Options, Tokens, normalize, normalize_into};
use dedup::segment::segment;
use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

/// The fixture files' bytes.
fn files() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut paths: Vec<_> = ["seeds", "templates"]
            .iter()
            .flat_map(|dir| std::fs::read_dir(root.join(dir)).expect("fixture directory"))
            .map(|e| e.expect("fixture entry").path())
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read(p).expect("fixture file"))
            .collect()
    })
}

/// The fixture paragraphs, normalized.
fn normalized_paragraphs() -> Vec<Tokens> {
    paragraphs()
        .iter()
        .map(|p| normalize(p, Options::default()))
        .collect()
}

/// Every paragraph of the fixtures, as bytes.
fn paragraphs() -> &'static [Vec<u8>] {
    static PARAGRAPHS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    PARAGRAPHS.get_or_init(|| {
        files()
            .iter()
            .flat_map(|f| {
                segment(f, 0)
                    .into_iter()
                    .map(|s| f[s.start..s.end].to_vec())
            })
            .collect()
    })
}

fn total_bytes(items: &[Vec<u8>]) -> usize {
    items.iter().map(Vec::len).sum()
}

/// The fingerprinter of a run with default flags.
fn fingerprinter() -> Fingerprinter {
    Fingerprinter::new(Config::default().fingerprint_params())
}

#[divan::bench]
fn segmentation(bencher: Bencher) {
    let files = files();
    bencher
        .counter(BytesCount::new(total_bytes(files)))
        .bench(|| {
            for f in files {
                black_box(segment(black_box(f), 0));
            }
        });
}

#[divan::bench]
fn normalization(bencher: Bencher) {
    let paragraphs = paragraphs();
    bencher
        .counter(BytesCount::new(total_bytes(paragraphs)))
        .bench(|| {
            let mut tokens = Tokens::default();
            for p in paragraphs {
                normalize_into(black_box(p), Options::default(), &mut tokens);
                black_box(&tokens);
            }
        });
}

/// Shingling, MinHash band keys and winnowing of normalized paragraphs.
#[divan::bench]
fn fingerprinting(bencher: Bencher) {
    let tokens = normalized_paragraphs();
    let fingerprinter = fingerprinter();
    bencher.counter(ItemsCount::new(tokens.len())).bench(|| {
        let mut out = FileFingerprints::default();
        for t in &tokens {
            fingerprinter.fingerprint(black_box(t), &mut out);
        }
        black_box(out)
    });
}

/// Recomputing the real sets of re-read paragraphs (what verification starts from).
#[divan::bench]
fn sets(bencher: Bencher) {
    let tokens = normalized_paragraphs();
    let fingerprinter = fingerprinter();
    bencher.counter(ItemsCount::new(tokens.len())).bench(|| {
        for t in &tokens {
            black_box(fingerprinter.sets(black_box(t)));
        }
    });
}

/// Verifying candidate pairs: every paragraph against a near copy of itself (its first word
/// dropped) and against the next paragraph.
#[divan::bench]
fn verification(bencher: Bencher) {
    let fingerprinter = fingerprinter();
    let sets: Vec<_> = normalized_paragraphs()
        .iter()
        .map(|t| fingerprinter.sets(t))
        .collect();
    let near: Vec<_> = paragraphs()
        .iter()
        .map(|p| {
            let cut = p.iter().position(|&b| b == b' ').map_or(0, |i| i + 1);
            fingerprinter.sets(&normalize(&p[cut..], Options::default()))
        })
        .collect();
    let pairs: Vec<_> = (0..sets.len())
        .flat_map(|i| {
            [
                (sets[i].view(), near[i].view()),
                (sets[i].view(), sets[(i + 1) % sets.len()].view()),
            ]
        })
        .collect();
    let threshold = Config::default().threshold;
    bencher.counter(ItemsCount::new(pairs.len())).bench(|| {
        for (a, b) in &pairs {
            black_box(verify_sets(a, b, threshold));
        }
    });
}
