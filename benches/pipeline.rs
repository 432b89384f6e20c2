//! Micro-benchmarks of the hot stages, on the bundled seed and template fixtures (no downloads).
//!
//! In: the files under `fixtures/seeds` and `fixtures/templates`. Out: divan's timings, with
//! throughput in bytes (MB/s) or items (paragraphs or pairs per second) for: segmentation,
//! normalization, fingerprinting (shingling, MinHash and winnowing), and candidate verification
//! (Jaccard on the real shingle sets and the figure check).
//!
//! Run: `cargo bench --bench pipeline` (or `cargo bench --bench pipeline -- normalize` for one).

use std::path::Path;
use std::sync::OnceLock;

use dedup::fingerprint::{Fingerprinter, Params, banding_for, jaccard};
use dedup::normalize::{Options, normalize};
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

fn fingerprinter() -> Fingerprinter {
    let (bands, rows) = banding_for(dedup::DEFAULT_THRESHOLD);
    Fingerprinter::new(Params {
        shingle: dedup::DEFAULT_SHINGLE,
        min_words: dedup::DEFAULT_MIN_WORDS,
        bands,
        rows,
        ignore_figures: false,
        exact_only: false,
        window: dedup::DEFAULT_MIN_SHARED_WORDS + 1 - dedup::DEFAULT_SHINGLE,
    })
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
            for p in paragraphs {
                black_box(normalize(black_box(p), Options::default()));
            }
        });
}

/// Shingling, MinHash band keys and winnowing of normalized paragraphs.
#[divan::bench]
fn fingerprinting(bencher: Bencher) {
    let tokens: Vec<_> = paragraphs()
        .iter()
        .map(|p| normalize(p, Options::default()))
        .collect();
    let fingerprinter = fingerprinter();
    bencher.counter(ItemsCount::new(tokens.len())).bench(|| {
        for t in &tokens {
            black_box(fingerprinter.fingerprint(black_box(t)));
        }
    });
}

/// Verifying candidate pairs: every paragraph against a near copy of itself (its first word
/// dropped) and against the next paragraph.
#[divan::bench]
fn verification(bencher: Bencher) {
    let fingerprinter = fingerprinter();
    let fps: Vec<_> = paragraphs()
        .iter()
        .map(|p| fingerprinter.fingerprint(&normalize(p, Options::default())))
        .collect();
    let near: Vec<_> = paragraphs()
        .iter()
        .map(|p| {
            let cut = p.iter().position(|&b| b == b' ').map_or(0, |i| i + 1);
            fingerprinter.fingerprint(&normalize(&p[cut..], Options::default()))
        })
        .collect();
    let pairs: Vec<_> = (0..fps.len())
        .flat_map(|i| [(&fps[i], &near[i]), (&fps[i], &fps[(i + 1) % fps.len()])])
        .collect();
    bencher.counter(ItemsCount::new(pairs.len())).bench(|| {
        for &(a, b) in &pairs {
            let conflict = a.conflicts_with(b);
            black_box((conflict, jaccard(&a.shingles, &b.shingles)));
        }
    });
}
