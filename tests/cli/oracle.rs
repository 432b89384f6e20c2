//! The matcher against a brute-force oracle on generated corpora, run through the real binary.
//! Every reported similarity is the true Jaccard similarity to the representative (of the
//! figure-masked sets in a template cluster); the cluster invariant holds: every member of an
//! exact or near cluster is an exact copy or a verified near duplicate of the representative
//! (similarity at least the threshold, figures not in conflict) and no two members of one
//! duplicate cluster have conflicting figures; and the star rule loses nothing: a paragraph well
//! above the threshold to a representative (or to a paragraph left out of every cluster) that is
//! not in its cluster was taken by an earlier representative or conflicts with an earlier member.
//! The chain corpora are made to chain (A ~ B ~ C with A !~ C, and copies of one paragraph with
//! different figures at one place), which union-find over the links put in one cluster.

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
        // Some plurals, which the unit after a figure loses (README, "Figures").
        words.insert(match rng.chance(0.2) {
            true => word + "s",
            false => word,
        });
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
    deal(&mut rng, paragraphs)
}

/// Shuffles the paragraphs, then deals them into files, one per line with blank lines between.
fn deal(rng: &mut Rng, mut paragraphs: Vec<Vec<String>>) -> Corpus {
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

/// A figure: a number from 1 to 99.
fn figure(rng: &mut Rng) -> String {
    (1 + rng.below(99)).to_string()
}

/// Families made to chain: a base paragraph and a chain of edits of edits (each step near the
/// last, the ends not near), or copies of the base each with a different figure inserted at one
/// place (all near the base, in conflict with one another); some paragraphs copied exactly, some
/// figures changed along a chain.
fn generate_chains(seed: u64) -> Corpus {
    let mut rng = Rng::new(seed);
    let vocab = vocabulary(&mut rng, 150);
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    for _ in 0..30 {
        let len = 10 + rng.below(30);
        let base: Vec<String> = (0..len)
            .map(|_| match rng.chance(0.08) {
                true => figure(&mut rng),
                false => vocab[rng.below(vocab.len())].clone(),
            })
            .collect();
        let mut family = vec![base.clone()];
        if rng.chance(0.5) {
            for _ in 0..3 + rng.below(3) {
                let rate = [0.08, 0.12, 0.16][rng.below(3)];
                let mut next = mutate(&mut rng, family.last().unwrap(), &vocab, rate);
                if rng.chance(0.3)
                    && let Some(w) = next.iter_mut().find(|w| is_figure(w))
                {
                    *w = figure(&mut rng);
                }
                family.push(next);
            }
        } else {
            let at = rng.below(len);
            for _ in 0..2 + rng.below(3) {
                let mut copy = mutate(&mut rng, &base, &vocab, 0.03);
                copy.insert(at.min(copy.len()), figure(&mut rng));
                family.push(copy);
            }
        }
        for _ in 0..rng.below(3) {
            let copy = family[rng.below(family.len())].clone();
            family.push(copy);
        }
        paragraphs.extend(family);
    }
    deal(&mut rng, paragraphs)
}

fn shingles(words: &[String], k: usize) -> BTreeSet<Vec<String>> {
    let k = k.min(words.len());
    words.windows(k).map(<[String]>::to_vec).collect()
}

fn is_figure(word: &str) -> bool {
    word.bytes().any(|b| b.is_ascii_digit())
}

fn masked_word(word: &str) -> String {
    match is_figure(word) {
        true => "#".to_owned(),
        false => word.to_owned(),
    }
}

/// What the brute force knows of one paragraph.
struct Paragraph {
    words: Vec<String>,
    shingles: BTreeSet<Vec<String>>,
    /// The shingles with every figure masked.
    masked: BTreeSet<Vec<String>>,
    /// For every masked shingle that held a figure, the real shingles behind it.
    figures: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

/// The words as shingled: the unit after a figure in the singular (`12 weeks` as `12 week`).
fn units(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = words.to_vec();
    for i in 1..out.len() {
        let w = &out[i];
        if is_figure(&words[i - 1])
            && !is_figure(w)
            && w.len() > 3
            && w.ends_with('s')
            && !w.ends_with("ss")
        {
            out[i].pop();
        }
    }
    out
}

impl Paragraph {
    fn new(words: &[String], k: usize) -> Self {
        let shingles = shingles(&units(words), k);
        let mut figures: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        let mut masked = BTreeSet::new();
        for shingle in &shingles {
            let m: Vec<String> = shingle.iter().map(|w| masked_word(w)).collect();
            if shingle.iter().any(|w| is_figure(w)) {
                figures
                    .entry(m.clone())
                    .or_default()
                    .insert(shingle.clone());
            }
            masked.insert(m);
        }
        Paragraph {
            words: words.to_vec(),
            shingles,
            masked,
            figures,
        }
    }

    /// A figure of one stands where the other has a different one: some masked shingle with a
    /// figure occurs in both, never with the same real shingle.
    fn conflicts_with(&self, other: &Paragraph) -> bool {
        self.figures.iter().any(|(m, real)| {
            other
                .figures
                .get(m)
                .is_some_and(|theirs| real.is_disjoint(theirs))
        })
    }
}

/// Whether the shingles `a` shares with `b` hold more than two thirds of `a`'s words, each
/// shingle counted at as many places in `a` as it occurs in both, its first ones (README,
/// "Matching").
fn covered_by(a: &Paragraph, b: &Paragraph, k: usize) -> bool {
    let occurrences = |words: &[String]| {
        let mut counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
        let k = k.min(words.len());
        for start in 0..=words.len() - k {
            *counts.entry(words[start..start + k].to_vec()).or_default() += 1;
        }
        counts
    };
    let words = units(&a.words);
    let mut left_in_b = occurrences(&units(&b.words));
    let k = k.min(words.len());
    let mut covered = vec![false; words.len()];
    for start in 0..=words.len() - k {
        if let Some(left) = left_in_b
            .get_mut(&words[start..start + k])
            .filter(|n| **n > 0)
        {
            *left -= 1;
            covered[start..start + k].fill(true);
        }
    }
    3 * covered.iter().filter(|&&c| c).count() > 2 * words.len()
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

/// Runs the binary on `corpus` and checks its clusters against the brute force; returns how
/// many (representative, near paragraph) pairs the star rule's completeness was checked on, and
/// how many of them were not in one cluster (taken by an earlier representative, or refused for
/// their figures).
fn check(
    corpus: &Corpus,
    context: &str,
    threshold: f64,
    k: usize,
    min_words: usize,
) -> (usize, usize) {
    let dir = tempdir();
    write_corpus(dir.path(), corpus);
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

    // Paragraphs in report order (file, line), as the corpus's keys are.
    let keys: Vec<&(String, u64)> = corpus.keys().collect();
    let paragraphs: Vec<Paragraph> = corpus.values().map(|w| Paragraph::new(w, k)).collect();
    let long = |i: usize| paragraphs[i].words.len() >= min_words;
    // Near as the README defines it: J at least the threshold, figures not in conflict, and the
    // shared shingles holding more than two thirds of each paragraph's words (no containment).
    let near = |i: usize, j: usize| {
        let (a, b) = (&paragraphs[i], &paragraphs[j]);
        long(i)
            && long(j)
            && !a.conflicts_with(b)
            && jaccard(&a.shingles, &b.shingles) >= threshold
            && covered_by(a, b, k)
            && covered_by(b, a, k)
    };
    let index_of = |m: &Value| {
        let key = (file_name(m), m["line"].as_u64().unwrap());
        keys.iter()
            .position(|k| **k == key)
            .expect("member is a generated paragraph")
    };
    // The first paragraph with the same words: what the matcher's units are numbered by.
    let unit_first: Vec<usize> = (0..keys.len())
        .map(|i| {
            (0..=i)
                .find(|&j| paragraphs[j].words == paragraphs[i].words)
                .unwrap()
        })
        .collect();

    // For every paragraph, its duplicate cluster's members (representative first).
    let mut duplicate_of: Vec<Option<usize>> = vec![None; keys.len()];
    let mut duplicates: Vec<Vec<usize>> = Vec::new();
    for cluster in report["clusters"].as_array().unwrap() {
        let listed = cluster["members"].as_array().unwrap();
        let members: Vec<usize> = listed.iter().map(index_of).collect();
        let rep = members[0];
        assert!(
            members.windows(2).all(|w| w[0] < w[1]),
            "{context}: members are not in report order"
        );
        let kind = cluster["kind"].as_str().unwrap();
        for (&m, member) in members.iter().zip(listed) {
            let (a, b) = (&paragraphs[m], &paragraphs[rep]);
            let truth = match kind {
                "template" => jaccard(&a.masked, &b.masked),
                _ => jaccard(&a.shingles, &b.shingles),
            };
            let reported = member["similarity"].as_f64().unwrap();
            assert!(
                (truth - reported).abs() < 1e-12,
                "{context}: similarity {reported} != {truth}"
            );
            let copy = a.words == b.words;
            match kind {
                "exact" => assert!(copy, "{context}: {:?} in an exact cluster", keys[m]),
                "near" => assert!(
                    copy || near(m, rep),
                    "{context}: {:?} is in the near cluster of {:?} but not near it \
                     (similarity {truth:.3}, figures in conflict: {})",
                    keys[m],
                    keys[rep],
                    a.conflicts_with(b)
                ),
                _ => assert!(
                    truth >= threshold,
                    "{context}: {:?} in a template cluster at {truth:.3}",
                    keys[m]
                ),
            }
        }
        if kind == "template" {
            continue;
        }
        for (i, &a) in members.iter().enumerate() {
            for &b in &members[i + 1..] {
                assert!(
                    !paragraphs[a].conflicts_with(&paragraphs[b]),
                    "{context}: {:?} and {:?}, one duplicate cluster, have conflicting figures",
                    keys[a],
                    keys[b]
                );
            }
            assert!(
                duplicate_of[a].is_none(),
                "{context}: {:?} in two clusters",
                keys[a]
            );
            duplicate_of[a] = Some(duplicates.len());
        }
        duplicates.push(members);
    }

    // Every exact copy is in its copy's cluster.
    for i in 0..keys.len() {
        let first = unit_first[i];
        if first != i {
            assert!(
                duplicate_of[i].is_some() && duplicate_of[i] == duplicate_of[first],
                "{context}: {:?} and its copy {:?} are not in one cluster",
                keys[i],
                keys[first]
            );
        }
    }

    // Nothing near is lost. The greedy rule: every representative (and every paragraph in no
    // duplicate cluster, the representative of a star of one) takes each paragraph near it that
    // no earlier representative took and whose figures agree with the members before it. The
    // margin over the threshold leaves out the pairs the banding may miss.
    let mut checked = (0, 0);
    for r in 0..keys.len() {
        let star: Vec<usize> = match duplicate_of[r] {
            Some(c) if duplicates[c][0] == r => duplicates[c].clone(),
            Some(_) => continue,
            None => vec![r],
        };
        for u in 0..keys.len() {
            if u == r || !near(r, u) {
                continue;
            }
            let similarity = jaccard(&paragraphs[r].shingles, &paragraphs[u].shingles);
            if similarity < threshold + 0.1 {
                continue;
            }
            checked.0 += 1;
            if star.contains(&u) {
                continue;
            }
            checked.1 += 1;
            let taken_earlier = duplicate_of[u].is_some_and(|c| duplicates[c][0] < r);
            let refused = star.iter().any(|&m| {
                unit_first[m] < unit_first[u] && paragraphs[m].conflicts_with(&paragraphs[u])
            });
            assert!(
                taken_earlier || refused,
                "{context}: {:?} (similarity {similarity:.3}) was left out of the star of {:?} \
                 ({} members)",
                keys[u],
                keys[r],
                star.len()
            );
        }
    }
    checked
}

/// The triples a ~ b ~ c with a !~ c (less alike, or figures in conflict): what union-find
/// over the near links chains into one cluster.
fn chain_triples(corpus: &Corpus, threshold: f64, k: usize) -> usize {
    let paragraphs: Vec<Paragraph> = corpus.values().map(|w| Paragraph::new(w, k)).collect();
    let n = paragraphs.len();
    let j = |a: usize, b: usize| jaccard(&paragraphs[a].shingles, &paragraphs[b].shingles);
    let near = |a: usize, b: usize| {
        a != b && !paragraphs[a].conflicts_with(&paragraphs[b]) && j(a, b) >= threshold
    };
    let mut triples = 0;
    for b in 0..n {
        for a in 0..n {
            for c in a + 1..n {
                if near(a, b) && near(b, c) && !near(a, c) {
                    triples += 1;
                }
            }
        }
    }
    triples
}

#[test]
fn default_settings_keep_the_cluster_invariant_and_lose_nothing() {
    for seed in 1..=4 {
        let context = format!("seed {seed}");
        let (checked, _) = check(&generate(seed), &context, 0.5, 3, 8);
        assert!(
            checked > 20,
            "{context}: the generated corpus has too few similar pairs ({checked})"
        );
    }
}

#[test]
fn other_thresholds_and_shingle_sizes() {
    for (seed, threshold, k, min_words) in [(11, 0.3, 2, 5), (12, 0.8, 4, 8), (13, 0.6, 1, 3)] {
        let context = format!("seed {seed}, threshold {threshold}, k {k}");
        check(&generate(seed), &context, threshold, k, min_words);
    }
}

#[test]
fn chains_are_cut_into_stars() {
    let (mut triples, mut checked, mut split) = (0, 0, 0);
    for seed in 21..=26 {
        let corpus = generate_chains(seed);
        let context = format!("chains, seed {seed}");
        triples += chain_triples(&corpus, 0.5, 3);
        let (c, s) = check(&corpus, &context, 0.5, 3, 8);
        checked += c;
        split += s;
    }
    // The corpora chain, and the star rule had to leave near paragraphs out of a star.
    assert!(triples > 50, "only {triples} chaining triples");
    assert!(
        checked > 100 && split > 10,
        "{checked} near pairs checked, {split} split"
    );
}

#[test]
fn chains_at_other_thresholds() {
    for (seed, threshold, k) in [(31, 0.4, 2), (32, 0.7, 3)] {
        let corpus = generate_chains(seed);
        let context = format!("chains, seed {seed}, threshold {threshold}, k {k}");
        assert!(
            chain_triples(&corpus, threshold, k) > 5,
            "{context}: no chains"
        );
        check(&corpus, &context, threshold, k, 8);
    }
}
