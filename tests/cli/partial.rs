//! Partial matches, passages and file overlap: the seed labels, the exact spans, and a
//! brute-force oracle for shared runs of words on generated corpora.

use std::collections::BTreeSet;

use crate::util::{
    ClusterIndex, Rng, file_name, fixture, ok_report, run_in, seeds_report, tempdir, truth_pairs,
    word, write_tree,
};
use dedup::normalize::{Options, normalize};
use serde_json::Value;

fn label(m: &Value) -> Place {
    (
        file_name(m),
        m["line"].as_u64().unwrap(),
        m["end_line"].as_u64().unwrap(),
    )
}

fn holds(m: &Value, label: &str) -> bool {
    let (file, line) = label.rsplit_once(':').unwrap();
    let line: u64 = line.parse().unwrap();
    let (f, first, last) = self::label(m);
    f == file && (first..=last).contains(&line)
}

fn partial_reported(report: &Value, a: &str, b: &str) -> bool {
    report["partial_matches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| {
            (holds(&p["a"], a) && holds(&p["b"], b)) || (holds(&p["a"], b) && holds(&p["b"], a))
        })
}

#[test]
fn seed_partial_pairs_are_reported_and_distinct_pairs_are_not() {
    let report = seeds_report();
    let clusters = ClusterIndex::new(&report, &["exact", "near", "template"]);
    for (a, b) in truth_pairs("partial_pairs") {
        assert!(
            partial_reported(&report, &a, &b) || clusters.together(&a, &b),
            "partial pair {a} {b} not reported"
        );
    }
    for (a, b) in truth_pairs("distinct_pairs") {
        assert!(
            !partial_reported(&report, &a, &b),
            "distinct pair {a} {b} reported as partial"
        );
    }
    assert_eq!(
        report["summary"]["partial_matches"].as_u64().unwrap() as usize,
        report["partial_matches"].as_array().unwrap().len()
    );
}

#[test]
fn two_word_shingles_still_find_a_shared_sentence_among_common_word_pairs() {
    // Two paragraphs share a run of 8 words whose every word pair is also in 100 other
    // paragraphs, never three words of it in a row. Seeded by word pairs, the run's fingerprint
    // would be winnowed in more paragraphs than the boilerplate cap and never used; seeded by
    // 3-word shingles, the run is found.
    let run: Vec<String> = (0..8).map(|i| word('r', i)).collect();
    let filler =
        |p: usize, n: usize| -> Vec<String> { (0..n).map(|i| word('f', p * 100 + i)).collect() };
    let mut text = String::new();
    for side in 0..2 {
        let mut words = filler(side, 10);
        words.extend(run.iter().cloned());
        words.extend(filler(side + 2, 10));
        text += &(words.join(" ") + "\n\n");
    }
    for p in 0..100 {
        let mut words = filler(p + 4, 3);
        for pair in run.windows(2) {
            words.extend(pair.iter().cloned());
            words.push(word('x', p));
        }
        text += &(words.join(" ") + "\n\n");
    }
    let dir = tempdir();
    write_tree(dir.path(), &[("a.txt", text.as_bytes())]);
    let report = ok_report(&run_in(dir.path(), &["--shingle", "2", "a.txt"]));
    assert!(
        partial_reported(&report, "a.txt:1", "a.txt:3"),
        "{:#?}",
        report["partial_matches"]
    );
    assert_eq!(report["settings"]["seed_shingle"], 3);
}

#[test]
fn shared_spans_cut_from_the_files_are_the_shared_text() {
    let report = seeds_report();
    let root = fixture("..");
    let partials = report["partial_matches"].as_array().unwrap();
    assert!(!partials.is_empty());
    let min_shared = report["settings"]["min_shared_words"].as_u64().unwrap();
    for p in partials {
        let (a, b) = (&p["a"], &p["b"]);
        assert!(
            (a["path"].as_str(), a["line"].as_u64()) < (b["path"].as_str(), b["line"].as_u64())
        );
        let file_a = std::fs::read(root.join(a["path"].as_str().unwrap())).unwrap();
        let file_b = std::fs::read(root.join(b["path"].as_str().unwrap())).unwrap();
        let spans = p["shared"].as_array().unwrap();
        assert!(!spans.is_empty());
        for s in spans {
            let at = |k: &str| s[k].as_u64().unwrap() as usize;
            // Inside the paragraphs.
            assert!(
                a["start"].as_u64().unwrap() as usize <= at("a_start")
                    && at("a_end") <= a["end"].as_u64().unwrap() as usize
            );
            assert!(
                b["start"].as_u64().unwrap() as usize <= at("b_start")
                    && at("b_end") <= b["end"].as_u64().unwrap() as usize
            );
            let text_a = normalize(&file_a[at("a_start")..at("a_end")], Options::default());
            let text_b = normalize(&file_b[at("b_start")..at("b_end")], Options::default());
            assert_eq!(text_a.text, text_b.text, "spans differ");
            assert_eq!(text_a.len() as u64, s["words"].as_u64().unwrap());
            assert!(s["words"].as_u64().unwrap() >= min_shared);
        }
        let sim = p["similarity"].as_f64().unwrap();
        assert!(
            sim < report["settings"]["threshold"].as_f64().unwrap(),
            "a near duplicate reported as partial"
        );
    }
}

/// A file name with a first and last line.
type Place = (String, u64, u64);

fn passage_sides(report: &Value) -> Vec<(Place, Place, u64)> {
    report["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                label(&p["a"]),
                label(&p["b"]),
                p["paragraphs"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn copied_stories_are_passages() {
    let report = seeds_report();
    let passages = passage_sides(&report);
    let f000 = "000_2ad6602cf03491f6.txt".to_owned();
    let f001 = "001_a4e1b90758e06dd6.txt".to_owned();
    assert!(
        passages.contains(&((f000, 11, 23), (f001, 14 - 12, 14), 13)),
        "000:11-23 / 001:2-14 missing: {passages:#?}"
    );
    // Each of 003's two stories (lines 1-51 and 55-107) is inside a passage whose other side is
    // in 002, with as many paragraphs on both sides.
    for (first, last) in [(1, 51), (55, 107)] {
        let found = passages.iter().any(|(a, b, _)| {
            a.0.starts_with("002_") && b.0.starts_with("003_") && b.1 <= first && last <= b.2
        });
        assert!(
            found,
            "003:{first}-{last} is not inside a passage from 002: {passages:#?}"
        );
    }
    for p in report["passages"].as_array().unwrap() {
        assert!(p["paragraphs"].as_u64().unwrap() >= 2);
        assert!(p["a"]["start"].as_u64() < p["a"]["end"].as_u64());
    }
}

#[test]
fn file_overlap_shows_contained_files() {
    let report = seeds_report();
    let overlap = |file: &str, other: &str| -> f64 {
        let f = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().contains(file))
            .unwrap();
        f["overlaps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["path"].as_str().unwrap().contains(other))
            .map_or(0.0, |o| o["containment"].as_f64().unwrap())
    };
    assert!(overlap("001_", "000_") >= 0.95);
    assert!(overlap("003_", "002_") >= 0.95);
    // Containment is a share of the file's own bytes: 000 is mostly not in 001.
    assert!(overlap("000_", "001_") < 0.5);
    assert_eq!(overlap("004_", "000_"), 0.0);
}

/// A distinct word of letters only (digits would make it a figure): 0 → `qa`, 27 → `qbb`.
/// All maximal runs of at least `t` shared words: `(start in a, start in b, length)`.
fn maximal_runs(a: &[String], b: &[String], t: usize) -> BTreeSet<(usize, usize, usize)> {
    let mut runs = BTreeSet::new();
    for i in 0..a.len() {
        for j in 0..b.len() {
            if a[i] != b[j] || (i > 0 && j > 0 && a[i - 1] == b[j - 1]) {
                continue;
            }
            let len = (0..)
                .take_while(|&n| i + n < a.len() && j + n < b.len() && a[i + n] == b[j + n])
                .count();
            if len >= t {
                runs.insert((i, j, len));
            }
        }
    }
    runs
}

#[test]
fn oracle_every_shared_run_of_t_words_is_found() {
    for (seed, t) in [(1u64, 8usize), (2, 8), (3, 12), (4, 5)] {
        let mut rng = Rng::new(seed);
        let vocab: Vec<String> = (0..400).map(|i| word('q', i)).collect();
        let mut paragraphs: Vec<Vec<String>> = (0..50)
            .map(|_| {
                (0..20 + rng.below(40))
                    .map(|_| vocab[rng.below(vocab.len())].clone())
                    .collect()
            })
            .collect();
        // Plant shared runs of t to t + 10 words from one paragraph into another.
        for _ in 0..40 {
            let (from, to) = (rng.below(paragraphs.len()), rng.below(paragraphs.len()));
            if from == to {
                continue;
            }
            let len = (t + rng.below(11)).min(paragraphs[from].len());
            let start = rng.below(paragraphs[from].len() - len + 1);
            let run: Vec<String> = paragraphs[from][start..start + len].to_vec();
            let at = rng.below(paragraphs[to].len() + 1);
            paragraphs[to].splice(at..at, run);
        }
        let text: String = paragraphs.iter().map(|p| p.join(" ") + "\n\n").collect();
        let dir = tempdir();
        write_tree(dir.path(), &[("corpus/all.txt", text.as_bytes())]);
        let t_arg = t.to_string();
        let k_arg = t.min(3).to_string();
        let run = run_in(
            dir.path(),
            &[
                "--min-shared-words",
                &t_arg,
                "--shingle",
                &k_arg,
                "--min-words",
                "5",
                "--boilerplate-cap",
                "100000",
                "corpus",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let report = run.json();

        // Byte offset of every word: paragraph i is on line 2i + 1.
        let mut offsets: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut pos = 0;
        for p in &paragraphs {
            let mut words = Vec::new();
            for w in p {
                words.push((pos, pos + w.len()));
                pos += w.len() + 1;
            }
            pos += 1;
            offsets.push(words);
        }
        let index = ClusterIndex::new(&report, &["exact", "near", "template"]);
        let mut reported: BTreeSet<(usize, usize, usize, usize, usize, usize)> = BTreeSet::new();
        for p in report["partial_matches"].as_array().unwrap() {
            let (la, lb) = (
                p["a"]["line"].as_u64().unwrap() as usize,
                p["b"]["line"].as_u64().unwrap() as usize,
            );
            for s in p["shared"].as_array().unwrap() {
                let at = |k: &str| s[k].as_u64().unwrap() as usize;
                reported.insert((
                    (la - 1) / 2,
                    (lb - 1) / 2,
                    at("a_start"),
                    at("a_end"),
                    at("b_start"),
                    at("b_end"),
                ));
            }
        }
        let mut expected = 0;
        for i in 0..paragraphs.len() {
            for j in i + 1..paragraphs.len() {
                let label = |n: usize| format!("all.txt:{}", 2 * n + 1);
                if index.together(&label(i), &label(j)) {
                    continue;
                }
                for (a, b, len) in maximal_runs(&paragraphs[i], &paragraphs[j], t) {
                    expected += 1;
                    let span = (
                        i,
                        j,
                        offsets[i][a].0,
                        offsets[i][a + len - 1].1,
                        offsets[j][b].0,
                        offsets[j][b + len - 1].1,
                    );
                    assert!(
                        reported.contains(&span),
                        "seed {seed}: run of {len} words at {i}:{a} / {j}:{b} not reported"
                    );
                }
            }
        }
        assert!(
            expected >= 20,
            "seed {seed}: too few planted runs ({expected})"
        );
        assert_eq!(
            reported.len(),
            expected,
            "seed {seed}: reported spans that are not maximal shared runs"
        );
    }
}

/// A paragraph contained in a longer one is a partial match, not a near copy, and says so; two
/// paragraphs that only share a sentence are a partial match that is not `contained`.
#[test]
fn a_contained_paragraph_is_a_partial_match_marked_contained() {
    let long = "The detainees took their case to the House of Lords after the Court of Appeal \
                backed the powers of the Home Office to hold them without limit or charge, and \
                the government opted out of part of the European Convention on Human Rights to \
                hold them.";
    let half = "The detainees took their case to the House of Lords after the Court of Appeal \
                backed the powers of the Home Office.";
    let shares = "Lawyers said on Monday that the detainees took their case to the House of Lords \
                  after the Court of Appeal ruled, and that a verdict is expected within weeks.";
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("a.txt", format!("{long}\n").as_bytes()),
            ("b.txt", format!("{half}\n").as_bytes()),
            ("c.txt", format!("{shares}\n").as_bytes()),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    assert_eq!(report["summary"]["near_clusters"], 0, "{report:#}");
    let contained = |a: &str, b: &str| {
        report["partial_matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| file_name(&p["a"]) == a && file_name(&p["b"]) == b)
            .map(|p| p["contained"] == true)
    };
    assert_eq!(contained("a.txt", "b.txt"), Some(true), "{report:#}");
    assert_eq!(contained("a.txt", "c.txt"), Some(false), "{report:#}");
}

/// A document's headline said again, but for one word, in its lead is a partial match with its
/// run, though shorter than `--min-shared-words`; a first line that shares less, a headline
/// said again only in another file, and a short paragraph that is not the first are not.
#[test]
fn a_headline_said_again_in_its_lead_is_a_partial_match() {
    let story = |paragraphs: &[&str]| paragraphs.join("\n\n") + "\n";
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            // Found: 5 of its 6 words as one run, two paragraphs on.
            (
                "a.txt",
                story(&[
                    "SHULTZ LIKELY TO VISIT MOSCOW SOON",
                    "By staff",
                    "PEKING, March 2 - U.S. Secretary of State George Shultz is likely to visit \
                     Moscow soon for talks following new Soviet arms control proposals.",
                ])
                .as_bytes(),
            ),
            // 4 of 6 words in one run: not enough.
            (
                "b.txt",
                story(&[
                    "JAPAN READY TO DISCUSS BANK REGULATION",
                    "LONDON, March 12 - Japan is ready to discuss bank rules and capital adequacy \
                     with western monetary authorities, its vice-minister of finance said.",
                ])
                .as_bytes(),
            ),
            // Said again in another file only, in a run of 7 words, shorter than t = 8.
            (
                "c.txt",
                story(&[
                    "OIL PRICES RISE SHARPLY IN ASIA TRADE",
                    "Traders in Singapore and Hong Kong pointed to the cold weather in the north \
                     and to lower stocks of heating fuel than a year ago.",
                ])
                .as_bytes(),
            ),
            (
                "d.txt",
                story(&[
                    "TOKYO - Oil prices rise sharply in Asia trade as the cartel meets \
                         in Vienna to decide on its output for the second quarter.",
                ])
                .as_bytes(),
            ),
            // Not the first paragraph.
            (
                "e.txt",
                story(&[
                    "The central bank published its monthly figures for the reserves on \
                     Tuesday, a day later than it had said it would.",
                    "Gold reserves rise in Malaysia again",
                    "Gold reserves rise in Malaysia again as the ringgit firms, the central \
                     bank said in its monthly bulletin.",
                ])
                .as_bytes(),
            ),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    let matches = report["partial_matches"].as_array().unwrap();
    let found: Vec<(String, &Value, String, &Value)> = matches
        .iter()
        .map(|p| {
            (
                file_name(&p["a"]),
                &p["a"]["paragraph"],
                file_name(&p["b"]),
                &p["b"]["paragraph"],
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![(
            "a.txt".to_string(),
            &Value::from(0),
            "a.txt".to_string(),
            &Value::from(2)
        )],
        "{report:#}"
    );
    assert_eq!(matches[0]["contained"], true);
    let text = std::fs::read(dir.path().join("a.txt")).unwrap();
    let shared = &matches[0]["shared"];
    assert_eq!(shared.as_array().unwrap().len(), 1, "{shared}");
    assert_eq!(shared[0]["words"], 5);
    let cut = |s: &str, e: &str| {
        let (s, e) = (
            shared[0][s].as_u64().unwrap(),
            shared[0][e].as_u64().unwrap(),
        );
        String::from_utf8(text[s as usize..e as usize].to_vec()).unwrap()
    };
    assert_eq!(cut("a_start", "a_end"), "LIKELY TO VISIT MOSCOW SOON");
    assert_eq!(cut("b_start", "b_end"), "likely to visit Moscow soon");
}
