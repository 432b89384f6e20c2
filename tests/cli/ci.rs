//! The CI gate: rules and exit statuses, baselines, JSON Lines, GitHub annotations, summary only.

use std::fs;
use std::path::Path;

use crate::util::{Run, run, run_in, seed_files, tempdir, write_tree};
use serde_json::Value;

fn violations(run: &Run) -> Vec<String> {
    run.json()["summary"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn fail_on_duplicates() {
    let broken = run(&["--fail-on-duplicates", "fixtures/seeds"]);
    assert_eq!(broken.code, 1, "{}", broken.stderr);
    assert_eq!(violations(&broken), ["fail-on-duplicates"]);
    let v = &broken.json()["summary"]["violations"][0];
    assert_eq!(
        v["actual"],
        broken.json()["summary"]["duplicate_paragraphs"]
            .as_f64()
            .unwrap()
    );
    assert!(
        broken.stderr.contains("rule broken: --fail-on-duplicates"),
        "{}",
        broken.stderr
    );
    assert_eq!(
        broken.stderr.matches("rule broken").count(),
        1,
        "one line on stderr"
    );

    let dir = tempdir();
    write_tree(
        dir.path(),
        &[(
            "clean/a.txt",
            b"One paragraph here.\n\nAnother one, different.\n",
        )],
    );
    let clean = run_in(dir.path(), &["--fail-on-duplicates", "clean"]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert!(violations(&clean).is_empty());
}

#[test]
fn max_duplicate_ratio() {
    let plain = run(&["fixtures/seeds"]).json();
    let ratio = plain["summary"]["duplicate_ratio"].as_f64().unwrap();
    assert!(ratio > 0.2 && ratio < 0.3, "seed ratio {ratio}");

    let pass = run(&["--max-duplicate-ratio", "0.3", "fixtures/seeds"]);
    assert_eq!(pass.code, 0, "{}", pass.stderr);
    assert!(violations(&pass).is_empty());

    let fail = run(&["--max-duplicate-ratio", "0.2", "fixtures/seeds"]);
    assert_eq!(fail.code, 1);
    let v = &fail.json()["summary"]["violations"][0];
    assert_eq!(v["rule"], "max-duplicate-ratio");
    assert_eq!(v["limit"], 0.2);
    assert_eq!(v["actual"].as_f64().unwrap(), ratio);
    assert!(
        fail.stderr.contains("--max-duplicate-ratio 0.2"),
        "{}",
        fail.stderr
    );
}

#[test]
fn max_file_duplicate_ratio() {
    // 003 is wholly a copy of part of 002; 001 (99.3%) is not quite.
    let fail = run(&["--max-file-duplicate-ratio", "0.995", "fixtures/seeds"]);
    assert_eq!(fail.code, 1);
    let report = fail.json();
    let broken: Vec<&str> = report["summary"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    assert_eq!(broken, ["fixtures/seeds/003_599916317f08f970.txt"]);
    assert!(fail.stderr.contains("1 file(s) above"), "{}", fail.stderr);

    let pass = run(&["--max-file-duplicate-ratio", "1", "fixtures/seeds"]);
    assert_eq!(pass.code, 0);
}

#[test]
fn an_error_wins_over_a_broken_rule() {
    let both = run(&["--fail-on-duplicates", "fixtures/seeds", "no-such-file"]);
    assert_eq!(both.code, 2);
    assert_eq!(violations(&both), ["fail-on-duplicates"]);
}

fn copy_seeds(dir: &Path) {
    for (name, content) in seed_files() {
        write_tree(dir, &[(&format!("corpus/{name}"), &content)]);
    }
}

#[test]
fn baseline_flow() {
    let dir = tempdir();
    copy_seeds(dir.path());
    write_tree(
        dir.path(),
        &[(
            "corpus/notes.txt",
            b"A note about nothing that is copied anywhere else at all.\n",
        )],
    );
    let written = run_in(
        dir.path(),
        &[
            "-o",
            "first.json",
            "--write-baseline",
            "baseline.json",
            "corpus",
        ],
    );
    assert_eq!(written.code, 0, "{}", written.stderr);

    // The corpus as accepted passes.
    let gate = [
        "--baseline",
        "baseline.json",
        "--fail-on-duplicates",
        "corpus",
    ];
    let same = run_in(dir.path(), &gate);
    assert_eq!(same.code, 0, "{}", same.stderr);
    let b = &same.json()["summary"]["baseline"];
    assert_eq!(b["new_clusters"], 0);
    assert_eq!(b["new_duplicate_paragraphs"], 0);

    // A new file copying one seed paragraph: only that copy counts.
    let copied = fs::read_to_string(dir.path().join("corpus/002_7fbe486f6179ca2d.txt")).unwrap();
    let paragraph = copied.lines().nth(13).unwrap(); // line 14, unique in the seeds
    write_tree(
        dir.path(),
        &[(
            "corpus/new.txt",
            format!("Fresh header\n\n{paragraph}\n").as_bytes(),
        )],
    );
    let added = run_in(dir.path(), &gate);
    assert_eq!(added.code, 1, "{}", added.stderr);
    let report = added.json();
    let b = &report["summary"]["baseline"];
    assert_eq!(b["new_clusters"], 1);
    assert_eq!(b["new_duplicate_paragraphs"], 1);
    assert_eq!(report["summary"]["violations"][0]["actual"], 1.0);
    let new_clusters: Vec<&Value> = report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["new"] == true)
        .collect();
    assert_eq!(new_clusters.len(), 1);
    assert_eq!(new_clusters[0]["members"][1]["path"], "corpus/new.txt");
    assert_eq!(new_clusters[0]["members"][1]["new"], true);
    assert!(
        added.stderr.contains("1 new redundant copies"),
        "{}",
        added.stderr
    );

    // A copy added to a known cluster counts too, and only it.
    let known_copy = copied.lines().nth(207).unwrap(); // line 208, already in a near cluster
    write_tree(
        dir.path(),
        &[("corpus/new.txt", format!("{known_copy}\n").as_bytes())],
    );
    let grown = run_in(dir.path(), &gate).json();
    assert_eq!(grown["summary"]["baseline"]["new_clusters"], 0);
    assert_eq!(grown["summary"]["baseline"]["new_duplicate_paragraphs"], 1);
    fs::remove_file(dir.path().join("corpus/new.txt")).unwrap();

    // Renaming an unrelated file, or even one holding copies, makes nothing new.
    fs::rename(
        dir.path().join("corpus/notes.txt"),
        dir.path().join("corpus/a-notes.txt"),
    )
    .unwrap();
    fs::rename(
        dir.path().join("corpus/001_a4e1b90758e06dd6.txt"),
        dir.path().join("corpus/zzz.txt"),
    )
    .unwrap();
    let renamed = run_in(dir.path(), &gate);
    assert_eq!(renamed.code, 0, "{}", renamed.stderr);
    assert_eq!(renamed.json()["summary"]["baseline"]["new_clusters"], 0);

    // An earlier full report serves as a baseline too.
    let from_report = run_in(
        dir.path(),
        &["--baseline", "first.json", "--fail-on-duplicates", "corpus"],
    );
    assert_eq!(from_report.code, 0, "{}", from_report.stderr);

    // A baseline that cannot be read is an error, not a silent pass.
    let missing = run_in(dir.path(), &["--baseline", "nope.json", "corpus"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("nope.json"), "{}", missing.stderr);
}

#[test]
fn jsonl_lines_parse_on_their_own_and_carry_the_same_clusters() {
    let json = run(&["fixtures/seeds"]).json();
    let jsonl = run(&["--format", "jsonl", "fixtures/seeds"]);
    assert_eq!(jsonl.code, 0);
    let lines: Vec<Value> = String::from_utf8(jsonl.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is one JSON object"))
        .collect();
    assert_eq!(lines[0]["type"], "header");
    assert_eq!(lines[0]["settings"], json["settings"]);
    assert_eq!(lines.last().unwrap()["type"], "summary");
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("type");
        v
    };
    let of_type =
        |t: &str| -> Vec<Value> { lines.iter().filter(|l| l["type"] == t).map(strip).collect() };
    assert_eq!(Value::Array(of_type("cluster")), json["clusters"]);
    assert_eq!(
        Value::Array(of_type("partial_match")),
        json["partial_matches"]
    );
    assert_eq!(Value::Array(of_type("passage")), json["passages"]);
    assert_eq!(Value::Array(of_type("file")), json["files"]);
    assert_eq!(strip(lines.last().unwrap()), json["summary"]);
}

#[test]
fn github_annotations_point_at_the_copies() {
    let json = run(&["fixtures/seeds"]).json();
    let gh = run(&[
        "--format",
        "github",
        "--max-duplicate-ratio",
        "0.1",
        "fixtures/seeds",
    ]);
    assert_eq!(gh.code, 1);
    let text = String::from_utf8(gh.stdout).unwrap();
    let mut copies: Vec<(String, u64, u64)> = Vec::new();
    for c in json["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] != "template")
    {
        for m in &c["members"].as_array().unwrap()[1..] {
            copies.push((
                m["path"].as_str().unwrap().to_owned(),
                m["line"].as_u64().unwrap(),
                m["end_line"].as_u64().unwrap(),
            ));
        }
    }
    let mut warnings = 0;
    for line in text.lines() {
        assert!(line.starts_with("::"), "not a workflow command: {line}");
        let (command, message) = line[2..].split_once("::").expect("command::message");
        assert!(!message.is_empty());
        if let Some(props) = command.strip_prefix("warning ") {
            warnings += 1;
            let prop = |k: &str| {
                props
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{k}=")))
                    .unwrap()
                    .to_owned()
            };
            let place = (
                prop("file"),
                prop("line").parse().unwrap(),
                prop("endLine").parse().unwrap(),
            );
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(&place.0)
                    .is_file()
            );
            assert!(copies.contains(&place), "{place:?} is not a redundant copy");
        } else {
            assert!(
                command.starts_with("notice") || command.starts_with("error"),
                "{line}"
            );
        }
    }
    // GitHub shows 10 warnings a step: the 10 copies in the largest clusters, and a notice
    // saying exactly how many were left out.
    assert_eq!(warnings, copies.len().min(10));
    let largest = json["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] != "template")
        .map(|c| c["size"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(
        text.contains(&format!(" of {largest})")),
        "the largest cluster comes first"
    );
    let left_out = copies.len() - 10;
    assert!(text.contains(&format!(
        "::notice title=dedup::{left_out} of {} redundant copies not annotated",
        copies.len()
    )));
    assert!(text.starts_with("::error title=dedup::rule broken: --max-duplicate-ratio 0.1"));
}

#[test]
fn one_run_writes_the_report_and_the_annotations() {
    let dir = crate::util::tempdir();
    let seeds = crate::util::fixture("seeds");
    let seeds = seeds.to_str().unwrap();
    let both = crate::util::run_in(
        dir.path(),
        &[
            seeds,
            "-o",
            "report.json",
            "--annotations",
            "github",
            "--fail-on-duplicates",
        ],
    );
    assert_eq!(both.code, 1, "{}", both.stderr);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let alone = run(&[
        "fixtures/seeds",
        "--format",
        "github",
        "--fail-on-duplicates",
    ]);
    let text = String::from_utf8(both.stdout).unwrap();
    let warnings = |t: &str| t.lines().filter(|l| l.starts_with("::warning")).count();
    assert_eq!(warnings(&text), 10);
    assert_eq!(
        warnings(&text),
        warnings(&String::from_utf8(alone.stdout).unwrap())
    );
    assert!(text.contains("all of them are in report.json"), "{text}");
    assert_eq!(report["summary"]["duplicate_paragraphs"], 92);
    let refused = run(&["fixtures/seeds", "--annotations", "github"]);
    assert_eq!(refused.code, 2);
}

#[test]
fn summary_only_has_no_clusters() {
    let out = run(&["--summary-only", "fixtures/seeds"]);
    assert_eq!(out.code, 0);
    let report = out.json();
    assert!(report.get("clusters").is_none());
    assert!(report.get("partial_matches").is_none());
    assert_eq!(report["summary"]["files"], 5);
    assert_eq!(report["files"].as_array().unwrap().len(), 5);
    // As the pre-commit hook runs it: the report thrown away, the verdict in the exit status.
    let hook = run(&[
        "--summary-only",
        "--output",
        "/dev/null",
        "--fail-on-duplicates",
        "fixtures/seeds",
    ]);
    assert_eq!(hook.code, 1, "{}", hook.stderr);
    assert!(hook.stdout.is_empty());
}

#[test]
fn a_baseline_survives_renaming_the_file_that_holds_a_representative() {
    let dir = crate::util::tempdir();
    for (name, bytes) in crate::util::seed_files() {
        crate::util::write_tree(dir.path(), &[(&format!("corpus/{name}"), &bytes)]);
    }
    let write = crate::util::run_in(
        dir.path(),
        &[
            "corpus",
            "--write-baseline",
            "baseline.json",
            "-o",
            "/dev/null",
        ],
    );
    assert_eq!(write.code, 0, "{}", write.stderr);
    // 000 holds the representative of the near cluster 000:11 / 001:2; renamed, it sorts last.
    std::fs::rename(
        dir.path().join("corpus/000_2ad6602cf03491f6.txt"),
        dir.path().join("corpus/zzz_000_renamed.txt"),
    )
    .unwrap();
    let gate = |out: &str| {
        let args = [
            "corpus",
            "--baseline",
            "baseline.json",
            "--fail-on-duplicates",
            "-o",
            out,
        ];
        crate::util::run_in(dir.path(), &args)
    };
    let rename = gate("-");
    assert_eq!(
        rename.code, 0,
        "a pure rename passes the gate: {}",
        rename.stderr
    );
    let report = rename.json();
    assert_eq!(report["summary"]["baseline"]["new_clusters"], 0);
    // A real new copy still fails it.
    let copy = std::fs::read_to_string(dir.path().join("corpus/zzz_000_renamed.txt")).unwrap();
    let paragraph = copy.lines().nth(10).unwrap();
    std::fs::write(dir.path().join("corpus/new.txt"), format!("{paragraph}\n")).unwrap();
    let copied = gate("/dev/null");
    assert_eq!(copied.code, 1, "{}", copied.stderr);
}

#[test]
fn dedup_toml_holds_the_settings_and_flags_win() {
    let dir = crate::util::tempdir();
    for (name, bytes) in crate::util::seed_files() {
        crate::util::write_tree(dir.path(), &[(&format!("corpus/{name}"), &bytes)]);
    }
    std::fs::write(
        dir.path().join("dedup.toml"),
        "paths = [\"corpus\"]\nthreshold = 0.7\nexclude = [\"004_*\"]\nmin_words = 6\nquiet = true\n",
    )
    .unwrap();
    let settings = |args: &[&str]| {
        let run = crate::util::run_in(dir.path(), args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run.json()["settings"].clone()
    };
    let from_file = settings(&["-o", "-"]);
    assert_eq!(from_file["config"], "dedup.toml");
    assert_eq!(from_file["inputs"], serde_json::json!(["corpus"]));
    assert_eq!(from_file["threshold"], 0.7);
    assert_eq!(from_file["min_words"], 6);
    assert_eq!(from_file["exclude"], serde_json::json!(["004_*"]));
    // The command line wins, list options add to the file's, and paths given replace its own.
    let overridden = settings(&[
        "corpus/000_2ad6602cf03491f6.txt",
        "-t",
        "0.6",
        "--exclude",
        "003_*",
        "-o",
        "-",
    ]);
    assert_eq!(overridden["threshold"], 0.6);
    assert_eq!(
        overridden["inputs"],
        serde_json::json!(["corpus/000_2ad6602cf03491f6.txt"])
    );
    assert_eq!(overridden["exclude"], serde_json::json!(["004_*", "003_*"]));
    // --config names another file; a key that is no option is refused, naming the file.
    std::fs::write(dir.path().join("other.toml"), "thresold = 0.8\n").unwrap();
    let bad = crate::util::run_in(dir.path(), &["--config", "other.toml", "corpus"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("other.toml: `thresold` is not an option of dedup"),
        "{}",
        bad.stderr
    );
    std::fs::write(dir.path().join("other.toml"), "threshold = 0.8\n").unwrap();
    assert_eq!(
        settings(&["--config=other.toml", "corpus", "-o", "-"])["threshold"],
        0.8
    );
}
