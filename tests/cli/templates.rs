//! Figures and templates (DESIGN.md, "Words"): paragraphs alike but for their figures are
//! `template` clusters and never redundant copies; a near copy that only lacks a sentence with a
//! figure is still near; `--ignore-figures` treats templates as duplicates.

use crate::util::{ClusterIndex, describe, run};
use serde_json::Value;

fn report(extra: &[&str]) -> Value {
    let args: Vec<&str> = extra
        .iter()
        .copied()
        .chain(["fixtures/templates"])
        .collect();
    let run = run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

#[test]
fn dividend_lines_with_different_figures_are_a_template_not_duplicates() {
    let report = report(&[]);
    let duplicates = ClusterIndex::new(&report, &["exact", "near"]);
    let templates = ClusterIndex::new(&report, &["template"]);
    // "Qtly div 10 cts vs 9 cts prior" vs "Qtly div 12 cts vs 11 cts prior".
    assert!(
        templates.together("earnings.txt:3", "earnings.txt:11"),
        "{:#?}",
        describe(&report)
    );
    assert!(!duplicates.together("earnings.txt:3", "earnings.txt:11"));
    // The same dividend line twice is a real duplicate.
    assert!(duplicates.together("earnings.txt:3", "notices.txt:1"));
    // A record date repeated with another day.
    assert!(templates.together("earnings.txt:7", "earnings.txt:15"));
    assert!(!duplicates.together("earnings.txt:7", "earnings.txt:15"));
}

#[test]
fn notices_on_two_dates_and_updated_tolls_are_templates() {
    let report = report(&[]);
    let duplicates = ClusterIndex::new(&report, &["exact", "near"]);
    let templates = ClusterIndex::new(&report, &["template"]);
    for (a, b) in [
        ("earnings.txt:17", "notices.txt:3"),
        ("earnings.txt:19", "notices.txt:5"),
    ] {
        assert!(
            templates.together(a, b),
            "{a} {b}: {:#?}",
            describe(&report)
        );
        assert!(!duplicates.together(a, b), "{a} {b} counted as duplicates");
    }
}

#[test]
fn a_missing_sentence_with_a_figure_is_no_conflict() {
    let report = report(&[]);
    let duplicates = ClusterIndex::new(&report, &["near"]);
    assert!(
        duplicates.together("earnings.txt:21", "notices.txt:7"),
        "{:#?}",
        describe(&report)
    );
}

#[test]
fn templates_never_count_as_redundant_copies() {
    let report = report(&[]);
    let clusters = report["clusters"].as_array().unwrap();
    let summary = &report["summary"];
    let templates = clusters.iter().filter(|c| c["kind"] == "template").count() as u64;
    assert!(templates >= 4);
    assert_eq!(summary["template_clusters"], templates);
    // Only the repeated dividend line and the near copy of the death-toll paragraph count.
    assert_eq!(summary["duplicate_paragraphs"], 2);
}

#[test]
fn ignore_figures_makes_templates_duplicates() {
    let report = report(&["--ignore-figures"]);
    assert_eq!(report["settings"]["figures"], "ignored");
    assert_eq!(report["summary"]["template_clusters"], 0);
    let duplicates = ClusterIndex::new(&report, &["exact", "near"]);
    for (a, b) in [
        ("earnings.txt:3", "earnings.txt:11"),
        ("earnings.txt:17", "notices.txt:3"),
        ("earnings.txt:19", "notices.txt:5"),
    ] {
        assert!(
            duplicates.together(a, b),
            "{a} {b}: {:#?}",
            describe(&report)
        );
    }
}
