//! The seed corpus against its hand-checked labels (fixtures/seeds-truth.json), from the report
//! alone, with default flags.

use crate::util::{ClusterIndex, describe, fixture, seeds_report, truth, truth_pairs};

#[test]
fn exact_groups_land_in_one_cluster() {
    let report = seeds_report();
    let index = ClusterIndex::new(&report, &["exact", "near"]);
    for group in truth()["exact_groups"].as_array().unwrap() {
        let members: Vec<&str> = group["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        for m in &members[1..] {
            assert!(
                index.together(members[0], m),
                "{} and {m} are not in one cluster: {:#?}",
                members[0],
                describe(&report)
            );
        }
    }
}

#[test]
fn near_pairs_land_in_one_cluster() {
    let report = seeds_report();
    let index = ClusterIndex::new(&report, &["exact", "near"]);
    for (a, b) in truth_pairs("near_pairs") {
        assert!(
            index.together(&a, &b),
            "near pair {a} {b} is not in one cluster"
        );
    }
}

#[test]
fn distinct_pairs_stay_apart() {
    let report = seeds_report();
    let index = ClusterIndex::new(&report, &["exact", "near", "template"]);
    for (a, b) in truth_pairs("distinct_pairs") {
        assert!(
            !index.together(&a, &b),
            "distinct pair {a} {b} is in one cluster"
        );
    }
}

#[test]
fn partial_pairs_are_not_merged_as_duplicates() {
    // A paragraph that only shares a clause or a sentence is a partial match, not a cluster member.
    let report = seeds_report();
    let index = ClusterIndex::new(&report, &["exact", "near"]);
    for (a, b) in truth_pairs("partial_pairs") {
        assert!(!index.together(&a, &b), "partial pair {a} {b} was merged");
    }
}

#[test]
fn report_is_consistent() {
    let report = seeds_report();
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "dedup");
    let summary = &report["summary"];
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(summary["files"], 5);
    assert_eq!(
        summary["clusters"].as_u64().unwrap() as usize,
        clusters.len()
    );
    let kind_count = |k: &str| clusters.iter().filter(|c| c["kind"] == k).count() as u64;
    assert_eq!(summary["exact_clusters"], kind_count("exact"));
    assert_eq!(summary["near_clusters"], kind_count("near"));
    assert_eq!(summary["template_clusters"], kind_count("template"));

    let mut duplicate_paragraphs = 0;
    let mut duplicate_bytes = 0;
    let mut previous_rep: Option<(String, u64)> = None;
    for c in clusters {
        let members = c["members"].as_array().unwrap();
        assert_eq!(c["size"].as_u64().unwrap() as usize, members.len());
        assert!(members.len() >= 2);
        // The representative's text is its original text, cut from the file at its offsets.
        let rep = &members[0];
        let file = std::fs::read(fixture("..").join(rep["path"].as_str().unwrap())).unwrap();
        let (start, end) = (rep["start"].as_u64().unwrap(), rep["end"].as_u64().unwrap());
        assert_eq!(
            c["text"].as_str().unwrap().as_bytes(),
            &file[start as usize..end as usize]
        );
        assert_eq!(rep["similarity"], 1.0);
        // Members in (path, line) order; clusters by their representative's (path, line).
        let keys: Vec<(String, u64)> = members
            .iter()
            .map(|m| {
                (
                    m["path"].as_str().unwrap().to_owned(),
                    m["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "members out of order: {keys:?}"
        );
        if let Some(prev) = &previous_rep {
            assert!(prev <= &keys[0], "clusters out of order at {keys:?}");
        }
        previous_rep = Some(keys[0].clone());
        for m in members {
            let s = m["similarity"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&s));
            if c["kind"] == "exact" {
                assert_eq!(s, 1.0);
            }
        }
        if c["kind"] != "template" {
            duplicate_paragraphs += members.len() - 1;
            duplicate_bytes += members[1..]
                .iter()
                .map(|m| m["end"].as_u64().unwrap() - m["start"].as_u64().unwrap())
                .sum::<u64>();
        }
    }
    assert_eq!(summary["duplicate_paragraphs"], duplicate_paragraphs);
    assert_eq!(summary["duplicate_bytes"], duplicate_bytes);
    let ratio = duplicate_bytes as f64 / summary["bytes"].as_f64().unwrap();
    assert_eq!(summary["duplicate_ratio"].as_f64().unwrap(), ratio);

    // Cluster ids are unique.
    let mut ids: Vec<&str> = clusters.iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), clusters.len());

    // 001 is 000's Daesh story without its header: every paragraph but the first is a copy.
    let files = report["files"].as_array().unwrap();
    let f001 = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().contains("001_"))
        .unwrap();
    assert_eq!(f001["paragraphs"], 14);
    assert_eq!(f001["duplicate_paragraphs"], 13);
}

#[test]
fn settings_record_every_parameter() {
    let report = seeds_report();
    let s = &report["settings"];
    assert_eq!(s["shingle"], 2);
    assert!((s["min_coverage"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(s["threshold"], 0.5);
    assert_eq!(s["min_words"], 8);
    // Partial matches are seeded by 3-word shingles, however short the shingles are:
    // t = window + seed_shingle − 1.
    assert_eq!(s["seed_shingle"], 3);
    assert_eq!(
        s["min_shared_words"].as_u64(),
        Some(s["window"].as_u64().unwrap() + 3 - 1)
    );
    assert_eq!(
        s["signature"].as_u64(),
        Some(s["bands"].as_u64().unwrap() * s["rows"].as_u64().unwrap())
    );
    assert!(s["candidate_recall_at_threshold"].as_f64().unwrap() >= 0.99);
    assert_eq!(s["figures"], "templates");
    assert_eq!(s["inputs"], serde_json::json!(["fixtures/seeds"]));
    assert!(s["normalization"].as_array().unwrap().len() >= 4);
}
