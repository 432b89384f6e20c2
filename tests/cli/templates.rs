//! Figures and templates (DESIGN.md, "Words"): paragraphs alike but for their figures are
//! `template` clusters and never redundant copies; a near copy that only lacks a sentence with a
//! figure is still near; `--ignore-figures` treats templates as duplicates.

use crate::util::{ClusterIndex, describe, ok_report, run, run_in, tempdir, write_tree};
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

/// Document context: a paragraph whose only difference is its dateline's date is a near copy when
/// its file is a copy of the other's elsewhere (a story re-issued with a new date), and a template
/// when the files are unrelated (a daily notice).
#[test]
fn a_redated_dateline_splits_only_unrelated_files() {
    let notice = "The Federal Home Loan Bank Board adjusted the rates on its short-term discount \
                  notes as follows, effective at once, the board said in a statement.";
    let story = [
        "Senior officials of the seven countries will meet next week to decide an agenda for the \
         summit to be held in Venice in June, officials said.",
        "The officials said the meeting would also review currency markets and the progress of \
         talks on farm subsidies, which remain the hardest issue.",
        "Japan is expected to present a package of measures to stimulate domestic demand and \
         raise imports before the summit begins.",
    ];
    let issue = |day: u32| {
        format!(
            "OSAKA, Japan, April {day} - {}\n\n{}\n\n{}\n",
            story[0], story[1], story[2]
        )
    };
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("reissue/first.txt", issue(26).as_bytes()),
            ("reissue/second.txt", issue(27).as_bytes()),
            (
                "notices/monday.txt",
                format!("WASHINGTON, April 1 - {notice}\n\n3 months 5.80 pct\n").as_bytes(),
            ),
            (
                "notices/wednesday.txt",
                format!("WASHINGTON, April 3 - {notice}\n\n6 months 5.95 pct\n").as_bytes(),
            ),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    let duplicates = ClusterIndex::new(&report, &["exact", "near"]);
    let templates = ClusterIndex::new(&report, &["template"]);
    assert!(
        duplicates.together("first.txt:1", "second.txt:1"),
        "{:#?}",
        describe(&report)
    );
    assert!(
        !duplicates.together("monday.txt:1", "wednesday.txt:1"),
        "{:#?}",
        describe(&report)
    );
    assert!(templates.together("monday.txt:1", "wednesday.txt:1"));
}

/// Document context counts near copies too: a re-issued story whose other paragraphs were
/// edited a little (no exact copy between the files) still makes its redated lead a near copy.
#[test]
fn a_redated_dateline_is_a_copy_when_the_rest_of_the_story_was_edited() {
    let story = |day: u32, edited: bool| {
        let (verb, time) = if edited {
            ("would", "on Monday")
        } else {
            ("will", "next week")
        };
        format!(
            "LONDON, May {day} - The central bank left its lending rate unchanged at the end of a \
             two-day meeting of its policy committee, the bank said in a statement.\n\n\
             Economists had expected the decision, saying that the bank {verb} wait for more \
             evidence that inflation was slowing before it cut the rate again this year.\n\n\
             The committee {verb} publish the minutes of the meeting {time}, with the votes of \
             each of its nine members and the forecasts they were given.\n"
        )
    };
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("story/first.txt", story(4, false).as_bytes()),
            ("story/second.txt", story(5, true).as_bytes()),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    let duplicates = ClusterIndex::new(&report, &["exact", "near"]);
    for line in [3, 5] {
        let (a, b) = (format!("first.txt:{line}"), format!("second.txt:{line}"));
        assert!(duplicates.together(&a, &b), "{:#?}", describe(&report));
    }
    assert!(
        duplicates.together("first.txt:1", "second.txt:1"),
        "{:#?}",
        describe(&report)
    );
}

/// Team sheets of two matches share most of their names, but each names a player the other does
/// not: a template, while the same sheet in two reports of one match is a copy.
#[test]
fn team_sheets_of_two_matches_are_not_copies() {
    let sheet = |players: [&str; 4]| {
        format!(
            "Wales: G Thomas (capt); {}, T Shanklin, G Henson, S Williams; S Jones, D Peel; \
             G Jenkins, M Davies, A Jones; B Cockbain, R Sidoli; {}, M Williams, {}, {}.\n",
            players[0], players[1], players[2], players[3]
        )
    };
    let first = sheet(["H Luscombe", "J Thomas", "M Owen", "R Jones"]);
    let second = sheet(["K Morgan", "J Thomas", "M Owen", "D Jones"]);
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("match1/report.txt", first.as_bytes()),
            ("match1/preview.txt", first.as_bytes()),
            ("match2/result.txt", second.as_bytes()),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    let duplicates = ClusterIndex::new(&report, &["exact", "near"]);
    assert!(duplicates.together("report.txt:1", "preview.txt:1"));
    assert!(
        !duplicates.together("report.txt:1", "result.txt:1"),
        "{:#?}",
        describe(&report)
    );
}

/// A headline under `--min-words` with a dateline or a credit added is a near copy of the bare
/// headline; two short lines that differ by a word (two credit lines) stay apart.
#[test]
fn short_paragraphs_with_wire_markup_are_near_copies_of_the_bare_text() {
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("bare.txt", b"Oil prices rise sharply in Asia\n"),
            ("dated.txt", b"TOKYO (Reuters) - Oil prices rise sharply in Asia\n"),
            (
                "credited.txt",
                b"Oil prices rise sharply in Asia (Reporting by Jane Doe; Editing by Mark Heinrich)\n",
            ),
            ("other.txt", b"Oil prices fall sharply in Asia\n"),
            ("byline1.txt", b"Editing by Mark Heinrich\n"),
            ("byline2.txt", b"Editing by Mark Trevelyan\n"),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    let near = ClusterIndex::new(&report, &["near"]);
    for copy in ["dated.txt:1", "credited.txt:1"] {
        assert!(
            near.together("bare.txt:1", copy),
            "{:#?}",
            describe(&report)
        );
    }
    let duplicates = ClusterIndex::new(&report, &["exact", "near", "template"]);
    assert!(!duplicates.together("bare.txt:1", "other.txt:1"));
    assert!(!duplicates.together("byline1.txt:1", "byline2.txt:1"));
    let similarities: Vec<f64> = report["clusters"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["similarity"].as_f64().unwrap())
        .collect();
    assert_eq!(similarities, [1.0, 1.0, 1.0]);
}

/// A paragraph of `--min-words` or more with figures draws its band keys from its figure-masked
/// shingles, which every line of its template shares: with more look-alikes than
/// `--boilerplate-cap`, those buckets are cut. A copy with a dateline or credit added is still
/// found, by its content's exact key, and is a near copy of the bare line, not a template.
#[test]
fn a_dateline_added_is_found_among_more_look_alikes_than_the_boilerplate_cap() {
    let dir = tempdir();
    let family: Vec<(String, Vec<u8>)> = (0..30)
        .map(|i| {
            let line = format!("Qtly div {} cts vs {} cts prior\n", 10 + i, 40 + i);
            (format!("a{i:02}.txt"), line.into_bytes())
        })
        .collect();
    let mut files: Vec<(&str, &[u8])> = family
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_slice()))
        .collect();
    files.extend([
        ("b-bare.txt", &b"Qtly div three cts vs three cts prior\n"[..]),
        (
            "b-dated.txt",
            b"JOHANNESBURG, Oct 11 - Qtly div three cts vs three cts prior\n",
        ),
        (
            "b-credited.txt",
            b"Qtly div three cts vs three cts prior (Reporting by Jane Doe; Editing by Mark Heinrich)\n",
        ),
    ]);
    write_tree(dir.path(), &files);
    let report = ok_report(&run_in(dir.path(), &["."]));
    let near = ClusterIndex::new(&report, &["near"]);
    for copy in ["b-dated.txt:1", "b-credited.txt:1"] {
        assert!(
            near.together("b-bare.txt:1", copy),
            "{:#?}",
            describe(&report)
        );
    }
    let duplicates = ClusterIndex::new(&report, &["exact", "near"]);
    assert!(!duplicates.together("b-bare.txt:1", "a00.txt:1"));
    assert!(report["summary"]["oversized_buckets"].as_u64().unwrap() > 0);
}
