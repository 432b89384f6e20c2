//! The matcher against a brute-force oracle on generated corpora: every pair whose true Jaccard
//! similarity is at least threshold + 0.1 lands in one cluster, every reported similarity is the
//! true Jaccard similarity to the representative, and every near member is justified by a
//! verified link.

use std::collections::{BTreeMap, BTreeSet};

use crate::util::{Rng, file_name, run_in, tempdir, write_tree};
use serde_json::Value;

fn vocabulary(rng: &mut Rng, size: usize) -> Vec<String> {
    const CONSONANTS: &[u8] = b"bcdfghklmnprstvz";
    const VOWELS: &[u8] = b"aeiou";
    let mut words = BTreeSet::new();
    while words.len() < size {
        let syllables = 1 + rng.below(3);
        let word: String = (0..syllables)
            .flat_map(|_| {
                [
                    CONSONANTS[rng.below(CONSONANTS.len())] as char,
                    VOWELS[rng.below(VOWELS.len())] as char,
                ]
            })
            .collect();
        words.insert(word);
    }
    words.into_iter().collect()
}

/// A copy of `words` with each word edited (replaced, dropped, or followed by a new word) with
/// probability `rate`.
fn mutate(rng: &mut Rng, words: &[String], vocab: &[String], rate: f64) -> Vec<String> {
    let mut out = Vec::new();
    for w in words {
        if !rng.chance(rate) {
            out.push(w.clone());
            continue;
        }
        match rng.below(3) {
            0 => out.push(vocab[rng.below(vocab.len())].clone()),
            1 => {}
            _ => {
                out.push(w.clone());
                out.push(vocab[rng.below(vocab.len())].clone());
            }
        }
    }
    if out.is_empty() {
        out.push(vocab[0].clone());
    }
    out
}

/// Paragraphs placed in files: `(file, line)` → tokens.
type Corpus = BTreeMap<(String, u64), Vec<String>>;

fn generate(seed: u64) -> Corpus {
    let mut rng = Rng::new(seed);
    // A small vocabulary makes unrelated paragraphs share some shingles too.
    let vocab = vocabulary(&mut rng, 150);
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    for _ in 0..60 {
        let len = 3 + rng.below(45);
        let base: Vec<String> = (0..len)
            .map(|_| vocab[rng.below(vocab.len())].clone())
            .collect();
        let copies = rng.below(4);
        let mut family = vec![base];
        for _ in 0..copies {
            let from = family[rng.below(family.len())].clone();
            let rate = [0.0, 0.03, 0.08, 0.15, 0.25, 0.4][rng.below(6)];
            family.push(mutate(&mut rng, &from, &vocab, rate));
        }
        paragraphs.extend(family);
    }
    // Shuffle, then deal the paragraphs into files, one per line with blank lines between.
    for i in (1..paragraphs.len()).rev() {
        let j = rng.below(i + 1);
        paragraphs.swap(i, j);
    }
    let mut corpus = Corpus::new();
    let files = 5;
    let mut next_line = vec![1u64; files];
    for words in paragraphs {
        let f = rng.below(files);
        corpus.insert((format!("f{f}.txt"), next_line[f]), words);
        next_line[f] += 2;
    }
    corpus
}

fn shingles(words: &[String], k: usize) -> BTreeSet<Vec<String>> {
    let k = k.min(words.len());
    words.windows(k).map(<[String]>::to_vec).collect()
}

fn jaccard(a: &BTreeSet<Vec<String>>, b: &BTreeSet<Vec<String>>) -> f64 {
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

fn write_corpus(dir: &std::path::Path, corpus: &Corpus) {
    let mut texts: BTreeMap<&str, String> = BTreeMap::new();
    for ((file, _), words) in corpus {
        let mut sentence = words.join(" ");
        sentence[..1].make_ascii_uppercase();
        texts
            .entry(file)
            .or_default()
            .push_str(&format!("{sentence}.\n\n"));
    }
    let files: Vec<(String, Vec<u8>)> = texts
        .into_iter()
        .map(|(f, t)| (format!("corpus/{f}"), t.into_bytes()))
        .collect();
    let tree: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_slice()))
        .collect();
    write_tree(dir, &tree);
}

fn check(seed: u64, threshold: f64, k: usize, min_words: usize) {
    let corpus = generate(seed);
    let dir = tempdir();
    write_corpus(dir.path(), &corpus);
    let args = [
        "-t".to_owned(),
        threshold.to_string(),
        "--shingle".to_owned(),
        k.to_string(),
        "--min-words".to_owned(),
        min_words.to_string(),
        "corpus".to_owned(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_in(dir.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();

    let keys: Vec<&(String, u64)> = corpus.keys().collect();
    let sets: Vec<BTreeSet<Vec<String>>> = corpus.values().map(|w| shingles(w, k)).collect();
    let index_of = |m: &Value| {
        let key = (file_name(m), m["line"].as_u64().unwrap());
        keys.iter()
            .position(|k| **k == key)
            .expect("member is a generated paragraph")
    };
    let mut cluster_of = vec![None; keys.len()];
    let context = format!("seed {seed}, threshold {threshold}, k {k}");
    for (c, cluster) in report["clusters"].as_array().unwrap().iter().enumerate() {
        let members: Vec<usize> = cluster["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(index_of)
            .collect();
        let rep = members[0];
        for (m, member) in members.iter().zip(cluster["members"].as_array().unwrap()) {
            let truth = jaccard(&sets[*m], &sets[rep]);
            let reported = member["similarity"].as_f64().unwrap();
            assert!(
                (truth - reported).abs() < 1e-12,
                "{context}: similarity {reported} != {truth}"
            );
            cluster_of[*m] = Some(c);
            if cluster["kind"] == "near" {
                assert!(
                    corpus[keys[*m]].len() >= min_words,
                    "{context}: short paragraph in a near cluster"
                );
                let justified = members
                    .iter()
                    .any(|o| o != m && jaccard(&sets[*m], &sets[*o]) >= threshold);
                assert!(
                    justified,
                    "{context}: {:?} has no verified link in its cluster",
                    keys[*m]
                );
            }
        }
    }

    let mut checked = 0;
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            let (wi, wj) = (&corpus[keys[i]], &corpus[keys[j]]);
            let exact = wi == wj;
            let near = wi.len() >= min_words
                && wj.len() >= min_words
                && jaccard(&sets[i], &sets[j]) >= threshold + 0.1;
            if exact || near {
                checked += 1;
                assert!(
                    cluster_of[i].is_some() && cluster_of[i] == cluster_of[j],
                    "{context}: {:?} and {:?} (Jaccard {:.3}) are not in one cluster",
                    keys[i],
                    keys[j],
                    jaccard(&sets[i], &sets[j])
                );
            }
        }
    }
    assert!(
        checked > 20,
        "{context}: the generated corpus has too few similar pairs ({checked})"
    );
}

#[test]
fn default_settings_find_every_pair_above_threshold_plus_margin() {
    for seed in 1..=4 {
        check(seed, 0.5, 3, 8);
    }
}

#[test]
fn other_thresholds_and_shingle_sizes() {
    check(11, 0.3, 2, 5);
    check(12, 0.8, 4, 8);
    check(13, 0.6, 1, 3);
}
