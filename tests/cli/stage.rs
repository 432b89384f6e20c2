//! `dedup stage`: the pipeline as stages with files between them gives the report one run gives.

use std::path::Path;

use crate::util::{Run, fixture, run_in, seed_files, tempdir, write_tree};

/// A corpus with what a report carries besides clusters: the seeds and the templates (clusters of
/// every kind, partial matches, passages), a reference folder, a file of invalid UTF-8 (a
/// warning), a JSON Lines file with a bad record (an error) and an empty file.
fn corpus(dir: &Path) {
    for (name, bytes) in seed_files() {
        write_tree(dir, &[(&format!("new/seeds/{name}"), &bytes)]);
    }
    for entry in std::fs::read_dir(fixture("templates")).unwrap() {
        let entry = entry.unwrap();
        let name = format!("new/templates/{}", entry.file_name().to_string_lossy());
        write_tree(dir, &[(&name, &std::fs::read(entry.path()).unwrap())]);
    }
    let first = String::from_utf8(seed_files()[0].1.clone()).unwrap();
    let held: Vec<&str> = first.lines().filter(|l| l.len() > 80).take(3).collect();
    write_tree(
        dir,
        &[
            ("held/a.txt", held.join("\n\n").as_bytes()),
            (
                "new/latin.txt",
                b"Caf\xe9 au lait, a paragraph in Latin-1 that is not UTF-8 at all.\n",
            ),
            (
                "new/records.jsonl",
                b"{\"text\": \"A record of its own with words enough to be matched.\"}\nnot json\n",
            ),
            ("new/empty.txt", b""),
        ],
    );
}

const OPTIONS: [&str; 4] = ["--reference", "held", "-e", "txt,jsonl"];

fn ok(run: Run) -> Run {
    assert!(
        run.code == 0 || run.code == 2,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    run
}

/// Checks a `dedup stage sign` run: exit 0, or 2 when its shard holds the corpus's one error (the
/// bad record of `new/records.jsonl`), which it names on stderr and still signs.
fn signed(run: &Run) -> bool {
    match run.code {
        0 => assert!(!run.stderr.contains("records.jsonl"), "{}", run.stderr),
        2 => assert!(run.stderr.contains("records.jsonl:2"), "{}", run.stderr),
        code => panic!("sign exited {code}: {}", run.stderr),
    }
    run.code == 2
}

/// `dedup stage` run through: manifest, the shards signed in `order`, the band candidates, the
/// report; its exit status and bytes.
fn staged(dir: &Path, work: &str, shards: usize, order: &[usize], threads: &str) -> Run {
    let mut manifest = vec!["stage", "manifest", "new", "-o", work, "-q"];
    manifest.extend(OPTIONS);
    let run = run_in(dir, &manifest);
    assert_eq!(run.code, 0, "manifest: {}", run.stderr);
    let mut with_the_error = 0;
    for &i in order {
        let shard = format!("{i}/{shards}");
        let run = run_in(
            dir,
            &["stage", "sign", work, "--shard", &shard, "-j", threads],
        );
        with_the_error += usize::from(signed(&run));
        assert!(
            run.stderr.contains(&format!("shard {i} of {shards}")),
            "{}",
            run.stderr
        );
    }
    assert_eq!(with_the_error, 1, "one shard holds the bad record");
    let run = run_in(dir, &["stage", "candidates", work, "-j", threads]);
    assert_eq!(run.code, 0, "candidates: {}", run.stderr);
    assert!(
        run.stderr.contains("band candidate pairs"),
        "{}",
        run.stderr
    );
    ok(run_in(dir, &["stage", "report", work, "-j", threads, "-q"]))
}

#[test]
fn staged_runs_give_the_bytes_of_one_run_for_any_shard_count_and_order() {
    let dir = tempdir();
    corpus(dir.path());
    let mut args = vec!["new", "-q"];
    args.extend(OPTIONS);
    let whole = ok(run_in(dir.path(), &args));
    let report = whole.json();
    // The corpus carries what the staged run must carry too.
    assert!(report["warnings"].as_array().is_some_and(|w| !w.is_empty()));
    assert!(report["errors"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(report["summary"]["near_clusters"].as_u64() > Some(0));
    assert!(report["summary"]["template_clusters"].as_u64() > Some(0));
    assert!(report["summary"]["partial_matches"].as_u64() > Some(0));
    for (n, order, threads) in [
        (1, vec![0], "1"),
        (2, vec![1, 0], "2"),
        (4, vec![3, 1, 0, 2], "3"),
        // More shards than files: some shards are empty.
        (40, (0..40).rev().collect(), "2"),
    ] {
        let work = format!("work-{n}");
        let run = staged(dir.path(), &work, n, &order, threads);
        assert_eq!(run.code, whole.code, "{n} shards: {}", run.stderr);
        assert!(
            run.stdout == whole.stdout,
            "{n} shards: the staged report differs from one run's"
        );
        assert_eq!(run.stderr, whole.stderr, "{n} shards");
    }
    // Candidates as an engine like Spark writes a table: a folder of part files, the pairs split
    // across them.
    let candidates = dir.path().join("work-4/candidates");
    let pairs = std::fs::read(candidates.join("band-pairs.parquet")).unwrap();
    std::fs::remove_file(candidates.join("band-pairs.parquet")).unwrap();
    let parts = candidates.join("band-pairs.parquet");
    std::fs::create_dir(&parts).unwrap();
    std::fs::write(parts.join("part-00000.parquet"), &pairs).unwrap();
    std::fs::write(parts.join("part-00001.parquet"), &pairs).unwrap();
    std::fs::write(parts.join("_SUCCESS"), b"").unwrap();
    let run = ok(run_in(dir.path(), &["stage", "report", "work-4", "-q"]));
    assert!(
        run.stdout == whole.stdout,
        "candidates in part files: the report differs"
    );
}

#[test]
fn a_missing_or_foreign_shard_is_refused_by_name() {
    let dir = tempdir();
    corpus(dir.path());
    staged(dir.path(), "work", 2, &[0, 1], "1");
    // A shard of another manifest's settings.
    let mut other = vec!["stage", "manifest", "new", "-o", "other", "-q", "-t", "0.7"];
    other.extend(OPTIONS);
    assert_eq!(run_in(dir.path(), &other).code, 0);
    signed(&run_in(
        dir.path(),
        &["stage", "sign", "other", "--shard", "1/2"],
    ));
    let shard = "sign/shard-00001-of-00002";
    // Candidates drawn under other settings.
    let sign = ["stage", "sign", "other", "--shard", "0/2"];
    signed(&run_in(dir.path(), &sign));
    assert_eq!(
        run_in(dir.path(), &["stage", "candidates", "other"]).code,
        0
    );
    let pairs = "candidates/band-pairs.parquet";
    let ours = std::fs::read(dir.path().join(format!("work/{pairs}"))).unwrap();
    std::fs::copy(
        dir.path().join(format!("other/{pairs}")),
        dir.path().join(format!("work/{pairs}")),
    )
    .unwrap();
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("band-pairs.parquet") && run.stderr.contains("other settings"),
        "{}",
        run.stderr
    );
    // No candidates.
    std::fs::remove_file(dir.path().join(format!("work/{pairs}"))).unwrap();
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no band candidates"), "{}", run.stderr);
    std::fs::write(dir.path().join(format!("work/{pairs}")), ours).unwrap();
    for ext in ["json", "dedupx"] {
        std::fs::copy(
            dir.path().join(format!("other/{shard}.{ext}")),
            dir.path().join(format!("work/{shard}.{ext}")),
        )
        .unwrap();
    }
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("shard-00001-of-00002.json") && run.stderr.contains("other settings"),
        "{}",
        run.stderr
    );
    // A shard not signed.
    std::fs::remove_file(dir.path().join(format!("work/{shard}.json"))).unwrap();
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("shards 1/2 not signed yet"),
        "{}",
        run.stderr
    );
    // Shards of two counts.
    signed(&run_in(
        dir.path(),
        &["stage", "sign", "work", "--shard", "0/3"],
    ));
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("several counts (2, 3)"),
        "{}",
        run.stderr
    );
}

#[test]
fn candidates_verified_in_shards_give_the_bytes_of_one_run() {
    let dir = tempdir();
    corpus(dir.path());
    let mut args = vec!["new", "-q"];
    args.extend(OPTIONS);
    let whole = ok(run_in(dir.path(), &args));
    // Verified in as many shards as were signed, in fewer and in more.
    for (signed, verified) in [(1, 1), (4, 2), (2, 5)] {
        let work = format!("work-{signed}-{verified}");
        let order: Vec<usize> = (0..signed).collect();
        staged(dir.path(), &work, signed, &order, "2");
        let mut passed = 0;
        for i in (0..verified).rev() {
            let shard = format!("{i}/{verified}");
            let run = run_in(dir.path(), &["stage", "verify", &work, "--shard", &shard]);
            assert_eq!(run.code, 0, "verify {shard}: {}", run.stderr);
            let said = run.stderr.split_whitespace().collect::<Vec<_>>();
            let at = said.iter().position(|w| *w == "links").unwrap();
            passed += said[at - 1].parse::<usize>().unwrap();
        }
        assert!(passed > 0, "{signed}, {verified}");
        let run = ok(run_in(dir.path(), &["stage", "report", &work, "-q"]));
        assert!(
            run.stdout == whole.stdout,
            "signed in {signed}, verified in {verified}: the report differs from one run's"
        );
    }
    // Links left from an earlier signing are refused: a file changed and the shards signed again.
    let mut seeds: Vec<_> = std::fs::read_dir(dir.path().join("new/seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    seeds.sort();
    let text = std::fs::read_to_string(&seeds[0]).unwrap();
    std::fs::write(&seeds[0], text.to_uppercase().replace(' ', " and ")).unwrap();
    for i in 0..4 {
        let shard = format!("{i}/4");
        run_in(
            dir.path(),
            &["stage", "sign", "work-4-2", "--shard", &shard],
        );
    }
    assert_eq!(
        run_in(dir.path(), &["stage", "candidates", "work-4-2"]).code,
        0
    );
    let run = run_in(dir.path(), &["stage", "report", "work-4-2", "-q"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("verify again"), "{}", run.stderr);
    // The report takes the links of every shard, and names those missing.
    let links = dir.path().join("work-4-2/links");
    std::fs::remove_file(links.join("shard-00001-of-00002.json")).unwrap();
    let run = run_in(dir.path(), &["stage", "report", "work-4-2", "-q"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("1/2 not verified yet"),
        "{}",
        run.stderr
    );
}

#[test]
fn what_cannot_be_staged_is_refused_before_any_work() {
    let dir = tempdir();
    corpus(dir.path());
    for (args, says) in [
        (
            vec!["stage", "manifest", "-", "-o", "work"],
            "stdin cannot be staged",
        ),
        (vec!["stage", "manifest", "new"], "needs -o WORK"),
        (vec!["stage", "sign", "work"], "needs --shard"),
        (
            vec!["stage", "sign", "nowhere", "--shard", "0/1"],
            "no such file",
        ),
        (
            vec!["stage", "sign", "new", "--shard", "2/2"],
            "I goes from 0 to N - 1",
        ),
        (
            vec!["stage", "report", "new", "--shard", "0/2"],
            "--shard is for sign",
        ),
        (
            vec!["stage", "candidates", "new", "-o", "x"],
            "only report writes to -o",
        ),
        (vec!["stage", "verify", "work"], "verify needs --shard"),
        (vec!["stage", "merge", "work"], "name a stage"),
    ] {
        let run = run_in(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.to_lowercase().contains(&says.to_lowercase()),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!dir.path().join("work").exists());
}

#[test]
fn shards_and_candidates_of_an_earlier_manifest_are_refused_by_name() {
    let dir = tempdir();
    corpus(dir.path());
    staged(dir.path(), "work", 2, &[0, 1], "1");
    // The corpus changes and the manifest is written again: what was signed and drawn from the
    // earlier list of files must not be merged with it.
    write_tree(
        dir.path(),
        &[(
            "new/added.txt",
            b"A file added after the shards were signed.\n",
        )],
    );
    let mut manifest = vec!["stage", "manifest", "new", "-o", "work", "-q"];
    manifest.extend(OPTIONS);
    assert_eq!(run_in(dir.path(), &manifest).code, 0);
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("shard-00000-of-00002.json")
            && run.stderr.contains("another manifest's list of files"),
        "{}",
        run.stderr
    );
    for i in ["0/2", "1/2"] {
        signed(&run_in(
            dir.path(),
            &["stage", "sign", "work", "--shard", i],
        ));
    }
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("band-pairs.parquet")
            && run.stderr.contains("another manifest's files"),
        "{}",
        run.stderr
    );
    assert_eq!(run_in(dir.path(), &["stage", "candidates", "work"]).code, 0);
    let run = run_in(dir.path(), &["stage", "report", "work", "-q"]);
    let mut args = vec!["new", "-q"];
    args.extend(OPTIONS);
    let whole = run_in(dir.path(), &args);
    assert!(
        run.stdout == whole.stdout && run.code == whole.code,
        "{}",
        run.stderr
    );
}

#[test]
fn a_stage_that_meets_a_bad_input_says_so_and_exits_2_and_the_report_carries_it() {
    let dir = tempdir();
    corpus(dir.path());
    let run = run_in(
        dir.path(),
        &["stage", "manifest", "new", "missing", "-o", "work", "-q"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("missing"), "{}", run.stderr);
    let sign = run_in(dir.path(), &["stage", "sign", "work", "--shard", "0/1"]);
    assert!(signed(&sign), "the one shard holds the bad record");
    assert!(
        sign.stderr.contains("warning: new/latin.txt"),
        "{}",
        sign.stderr
    );
    assert_eq!(run_in(dir.path(), &["stage", "candidates", "work"]).code, 0);
    let report = run_in(dir.path(), &["stage", "report", "work", "-q"]);
    let whole = run_in(dir.path(), &["new", "missing", "-q"]);
    assert_eq!(report.code, 2);
    assert!(report.stdout == whole.stdout, "{}", report.stderr);
    assert_eq!(report.stderr, whole.stderr);
}

#[test]
fn a_shard_renamed_as_another_is_refused_by_name() {
    let dir = tempdir();
    corpus(dir.path());
    staged(dir.path(), "work", 2, &[0, 1], "1");
    for ext in ["json", "dedupx"] {
        let at = |i: usize| {
            dir.path()
                .join(format!("work/sign/shard-0000{i}-of-00002.{ext}"))
        };
        std::fs::copy(at(0), at(1)).unwrap();
    }
    let run = run_in(dir.path(), &["stage", "report", "work"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("shard-00001-of-00002.json: holds shard 0/2, not 1/2"),
        "{}",
        run.stderr
    );
}
