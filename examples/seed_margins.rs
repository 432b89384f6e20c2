//! Measures how well each shingle size separates the seed labels, the measurement behind the
//! default shingle size and threshold (README, "Defaults").
//!
//! For k = 1..=5 it prints the lowest Jaccard similarity among the labelled near pairs and the
//! highest among the pairs that must not be merged (partial and distinct pairs).
//!
//! Run: `cargo run --example seed_margins`

use std::path::Path;

use dedup::Config;
use dedup::internals::{Fingerprinter, jaccard};
use dedup::normalize::{Options, normalize};

fn paragraph(seeds: &Path, label: &str) -> String {
    let (file, line) = label.rsplit_once(':').expect("FILE:LINE");
    let text = std::fs::read_to_string(seeds.join(file)).expect("seed file");
    let line: usize = line.parse().expect("line number");
    text.lines().nth(line - 1).expect("line in file").to_owned()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("seeds-truth.json")).unwrap())
            .unwrap();
    let seeds = root.join("seeds");
    let pairs = |kind: &str| -> Vec<(String, String, String)> {
        truth[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let a = p["a"].as_str().unwrap();
                let b = p["b"].as_str().unwrap();
                (
                    paragraph(&seeds, a),
                    paragraph(&seeds, b),
                    format!("{a} {b}"),
                )
            })
            .collect()
    };
    let near = pairs("near_pairs");
    let apart: Vec<_> = pairs("partial_pairs")
        .into_iter()
        .chain(pairs("distinct_pairs"))
        .collect();

    println!("k  lowest near pair            highest pair kept apart      gap");
    for k in 1..=5 {
        let config = Config {
            shingle: k,
            ..Config::default()
        };
        let fingerprinter = Fingerprinter::new(config.fingerprint_params());
        let similarity = |a: &str, b: &str| {
            let fa = fingerprinter.sets(&normalize(a.as_bytes(), Options::default()));
            let fb = fingerprinter.sets(&normalize(b.as_bytes(), Options::default()));
            jaccard(&fa.shingles, &fb.shingles)
        };
        let lowest = near
            .iter()
            .map(|(a, b, label)| (similarity(a, b), label))
            .min_by(|x, y| x.0.total_cmp(&y.0))
            .unwrap();
        let highest = apart
            .iter()
            .map(|(a, b, label)| (similarity(a, b), label))
            .max_by(|x, y| x.0.total_cmp(&y.0))
            .unwrap();
        println!(
            "{k}  {:.2} ({:<22}) {:.2} ({:<22}) {:.2}",
            lowest.0,
            short(lowest.1),
            highest.0,
            short(highest.1),
            lowest.0 - highest.0
        );
    }
}

/// `000_2ad6602cf03491f6.txt:11 001_a4e1b90758e06dd6.txt:2` → `000:11 001:2`.
fn short(label: &str) -> String {
    label
        .split(' ')
        .map(|l| {
            let (file, line) = l.rsplit_once(':').unwrap();
            format!("{}:{line}", &file[..3])
        })
        .collect::<Vec<_>>()
        .join(" ")
}
