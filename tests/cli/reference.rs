//! `--reference`: new text against text already held, which holds no redundant copies itself.

use std::path::Path;

use serde_json::Value;

use crate::util::{ok_report, run_in, seed_files, tempdir, write_tree};

/// The seeds as the reference (`held/`), and a batch (`new/`) with two copies from them, a
/// paragraph of its own and a copy within the batch.
fn corpus(dir: &Path) -> String {
    for (name, bytes) in seed_files() {
        write_tree(dir, &[(&format!("held/{name}"), &bytes)]);
    }
    let seeds = seed_files();
    let first = String::from_utf8(seeds[0].1.clone()).unwrap();
    let lines: Vec<&str> = first
        .lines()
        .filter(|l| l.split(' ').count() > 10)
        .collect();
    let own = "A paragraph the batch is the first to hold, about the river and its ferries today.";
    let batch = format!("{}\n\n{}\n\n{own}\n\n{own}\n", lines[0], lines[1]);
    write_tree(dir, &[("new/batch.txt", batch.as_bytes())]);
    batch
}

fn clusters(report: &Value) -> &Vec<Value> {
    report["clusters"].as_array().unwrap()
}

#[test]
fn only_copies_in_the_inputs_count_and_the_reference_is_the_original() {
    let dir = tempdir();
    corpus(dir.path());
    let report = ok_report(&run_in(
        dir.path(),
        &["new", "--reference", "held", "-o", "-"],
    ));
    let summary = &report["summary"];
    // Three copies in the batch: two of the reference, one of its own paragraph.
    assert_eq!(summary["duplicate_paragraphs"], 3, "{summary}");
    assert_eq!(summary["files"], 1);
    assert_eq!(summary["reference"]["files"], 5);
    assert!(
        summary["reference"]["clusters_not_listed"]
            .as_u64()
            .unwrap()
            > 50
    );
    let batch_bytes = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "new/batch.txt")
        .unwrap()["bytes"]
        .as_u64()
        .unwrap();
    assert_eq!(
        summary["bytes"].as_u64().unwrap(),
        batch_bytes,
        "ratios count the inputs only"
    );
    for c in clusters(&report) {
        let members = c["members"].as_array().unwrap();
        assert!(
            members.iter().any(|m| m["path"] == "new/batch.txt"),
            "a cluster of reference text only is not listed: {c}"
        );
        if members.iter().any(|m| m["reference"] == true) {
            assert_eq!(
                members[0]["reference"], true,
                "the original is reference text: {c}"
            );
        }
    }
    for f in report["files"].as_array().unwrap() {
        let reference = f["path"].as_str().unwrap().starts_with("held/");
        assert_eq!(f["reference"] == true, reference, "{f}");
        if reference {
            assert_eq!(
                f["duplicate_paragraphs"], 0,
                "reference holds no copies: {f}"
            );
        }
    }
    // The gate: copies of the reference fail it, and the reference alone passes.
    let gate = run_in(
        dir.path(),
        &[
            "new",
            "--reference",
            "held",
            "--fail-on-duplicates",
            "-o",
            "/dev/null",
        ],
    );
    assert_eq!(gate.code, 1, "{}", gate.stderr);
    let alone = run_in(
        dir.path(),
        &[
            "held/000_2ad6602cf03491f6.txt",
            "--reference",
            "held",
            "--fail-on-duplicates",
            "-o",
            "/dev/null",
        ],
    );
    assert_eq!(
        alone.code, 0,
        "a file named as input and reached as reference is reference: {}",
        alone.stderr
    );
}

#[test]
fn the_reference_is_matched_against_the_inputs_never_against_itself() {
    let dir = tempdir();
    corpus(dir.path());
    let own = "A paragraph the batch is the first to hold, about the river and its ferries today.";
    write_tree(
        dir.path(),
        &[("fresh/own.txt", format!("{own}\n").as_bytes())],
    );
    let summary = |args: &[&str]| ok_report(&run_in(dir.path(), args))["summary"].clone();
    let alone = summary(&["held", "-o", "-"]);
    assert!(
        alone["candidate_pairs"].as_u64().unwrap() > 10,
        "the seeds hold near copies of one another: {alone}"
    );
    // A batch that copies nothing: no candidate pair at all, however many the reference holds.
    let fresh = summary(&["fresh", "--reference", "held", "-o", "-"]);
    assert_eq!(fresh["candidate_pairs"], 0, "{fresh}");
    assert_eq!(fresh["clusters"], 0, "{fresh}");
    // A batch with copies: only pairs with input text are candidates.
    let copies = summary(&["new", "--reference", "held", "-o", "-"]);
    let pairs = copies["candidate_pairs"].as_u64().unwrap();
    assert!(
        pairs > 0 && pairs < alone["candidate_pairs"].as_u64().unwrap(),
        "{copies}"
    );
}

#[test]
fn reference_files_listed_are_those_with_a_finding_and_those_skipped() {
    let dir = tempdir();
    corpus(dir.path());
    write_tree(
        dir.path(),
        &[("held/picture.dat", b"\x00\x01\x02 binary \x00")],
    );
    let report = ok_report(&run_in(
        dir.path(),
        &["new", "--reference", "held", "-o", "-"],
    ));
    let files = report["files"].as_array().unwrap();
    let skipped: Vec<&Value> = files.iter().filter(|f| f["skipped"].is_string()).collect();
    assert_eq!(skipped.len(), 1, "{files:?}");
    assert_eq!(skipped[0]["path"], "held/picture.dat");
    let read = files
        .iter()
        .filter(|f| f["reference"] == true && !f["skipped"].is_string());
    let read = read.count() as u64;
    assert!(read >= 1, "the reference files the batch copies are listed");
    assert!(
        read < report["summary"]["reference"]["files"].as_u64().unwrap(),
        "a reference file that holds nothing listed is only counted: {files:?}"
    );
}

#[test]
fn stdin_against_a_reference_folder_is_the_copy() {
    let dir = tempdir();
    let batch = corpus(dir.path());
    let run = crate::util::run_with_stdin(
        dir.path(),
        &["-", "--reference", "held", "-o", "-"],
        batch.as_bytes(),
    );
    let report = ok_report(&run);
    let stdin = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "-")
        .unwrap();
    assert!(stdin["duplicate_ratio"].as_f64().unwrap() > 0.5, "{stdin}");
    assert_eq!(report["summary"]["duplicate_paragraphs"], 3);
}

#[test]
fn reference_runs_are_the_same_for_any_argument_order() {
    let dir = tempdir();
    corpus(dir.path());
    write_tree(
        dir.path(),
        &[(
            "more/x.txt",
            b"Another held text with no copies at all in it, long enough.\n",
        )],
    );
    let a = run_in(
        dir.path(),
        &[
            "new",
            "--reference",
            "held",
            "--reference",
            "more",
            "-o",
            "-",
        ],
    );
    let b = run_in(
        dir.path(),
        &[
            "--reference",
            "more",
            "new",
            "--reference",
            "held",
            "-o",
            "-",
            "-j",
            "1",
        ],
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn annotations_and_apply_leave_the_reference_alone() {
    let dir = tempdir();
    corpus(dir.path());
    let github = run_in(
        dir.path(),
        &["new", "--reference", "held", "--format", "github"],
    );
    let annotations = String::from_utf8(github.stdout).unwrap();
    let warnings: Vec<&str> = annotations
        .lines()
        .filter(|l| l.starts_with("::warning"))
        .collect();
    assert_eq!(warnings.len(), 3, "{annotations}");
    assert!(
        warnings.iter().all(|w| w.contains("file=new/batch.txt")),
        "{annotations}"
    );

    let found = run_in(dir.path(), &["new", "--reference", "held", "-o", "report"]);
    assert_eq!(found.code, 0, "{}", found.stderr);
    let applied = run_in(dir.path(), &["apply", "report", "--out", "clean"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let own = "A paragraph the batch is the first to hold, about the river and its ferries today.";
    assert_eq!(
        std::fs::read_to_string(dir.path().join("clean/batch.txt")).unwrap(),
        format!("{own}\n"),
        "the copies of the reference and the batch's own copy go; the reference is not written"
    );
    assert!(!dir.path().join("clean/000_2ad6602cf03491f6.txt").exists());
}

#[test]
fn the_text_view_shows_the_input_copies_before_other_reference_text() {
    let dir = tempdir();
    corpus(dir.path());
    let view = run_in(
        dir.path(),
        &[
            "new",
            "--reference",
            "held",
            "--format",
            "text",
            "--color",
            "never",
        ],
    );
    assert_eq!(view.code, 0, "{}", view.stderr);
    let text = String::from_utf8(view.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let rep = lines
        .iter()
        .position(|l| l.ends_with("(reference) (representative)"))
        .unwrap_or_else(|| panic!("a reference representative: {text}"));
    assert!(
        lines[rep + 1].trim_start().starts_with("new/batch.txt:"),
        "{text}"
    );
}

/// The report of `args` with `settings.references` left out: what an index must not change.
fn findings(dir: &Path, args: &[&str]) -> Value {
    let mut report = ok_report(&run_in(dir, args));
    report["settings"]
        .as_object_mut()
        .unwrap()
        .remove("references");
    report
}

#[test]
fn a_reference_index_finds_what_the_reference_folder_finds() {
    let dir = tempdir();
    let batch = corpus(dir.path());
    let indexed = run_in(dir.path(), &["index", "held", "-o", "held.dedupx"]);
    assert_eq!(indexed.code, 0, "{}", indexed.stderr);
    assert!(indexed.stderr.contains("held.dedupx"), "{}", indexed.stderr);
    // The same files give the same index, byte for byte, for any thread count.
    for threads in ["1", "4"] {
        let again = run_in(
            dir.path(),
            &["index", "held", "-j", threads, "-o", "again.dedupx"],
        );
        assert_eq!(again.code, 0, "{}", again.stderr);
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        assert!(read("again.dedupx") == read("held.dedupx"), "-j {threads}");
    }
    let from_folder = findings(dir.path(), &["new", "--reference", "held", "-o", "-"]);
    let from_index = findings(
        dir.path(),
        &["new", "--reference", "held.dedupx", "-o", "-"],
    );
    assert_eq!(from_index, from_folder);
    // The folder given beside its index adds nothing: its files are read from the index once.
    let both = findings(
        dir.path(),
        &[
            "new",
            "--reference",
            "held.dedupx",
            "--reference",
            "held",
            "-o",
            "-",
        ],
    );
    assert_eq!(both, from_folder);
    assert_eq!(from_index["summary"]["duplicate_paragraphs"], 3);
    // stdin against the index is the copy, as against the folder.
    let run = crate::util::run_with_stdin(
        dir.path(),
        &["-", "--reference", "held.dedupx", "-o", "-"],
        batch.as_bytes(),
    );
    assert_eq!(ok_report(&run)["summary"]["duplicate_paragraphs"], 3);
}

#[test]
fn an_index_made_with_other_settings_or_stale_files_is_refused_by_name() {
    let dir = tempdir();
    corpus(dir.path());
    let indexed = run_in(dir.path(), &["index", "held", "-o", "held.dedupx"]);
    assert_eq!(indexed.code, 0, "{}", indexed.stderr);
    let other = run_in(
        dir.path(),
        &[
            "new",
            "--reference",
            "held.dedupx",
            "--shingle",
            "3",
            "-o",
            "-",
        ],
    );
    assert_eq!(other.code, 2);
    assert!(other.stdout.is_empty());
    assert!(
        other.stderr.contains("held.dedupx") && other.stderr.contains("shingle: 2"),
        "{}",
        other.stderr
    );
    // A reference file gone since the index was written is an error naming it; the run goes on.
    let (name, _) = &seed_files()[4];
    std::fs::remove_file(dir.path().join("held").join(name)).unwrap();
    let gone = run_in(
        dir.path(),
        &["new", "--reference", "held.dedupx", "-o", "-"],
    );
    assert_eq!(gone.code, 2);
    assert!(gone.stderr.contains(name.as_str()), "{}", gone.stderr);
    assert!(
        gone.json()["summary"]["duplicate_paragraphs"]
            .as_u64()
            .unwrap()
            >= 2
    );
    // Not an index at all, cut short: refused, naming it.
    std::fs::write(dir.path().join("cut.dedupx"), b"DEDUPX\r\n\x01\x00").unwrap();
    let cut = run_in(dir.path(), &["new", "--reference", "cut.dedupx", "-o", "-"]);
    assert_eq!(cut.code, 2);
    assert!(cut.stderr.contains("cut.dedupx"), "{}", cut.stderr);
    // Any byte of an index changed, in the header, the fingerprints or the checksum, the index
    // cut short anywhere (read a window at a time, it is known short only at its end) or longer:
    // refused as damaged before anything in it is used, never a panic nor a silently different
    // answer.
    let index = std::fs::read(dir.path().join("held.dedupx")).unwrap();
    let changed = [
        20,
        index.len() / 3,
        index.len() / 2,
        index.len() - 20,
        index.len() - 1,
    ];
    let changed = changed.into_iter().map(|at| {
        let mut damaged = index.clone();
        damaged[at] ^= 0x10;
        (format!("byte {at} changed"), damaged)
    });
    let short = [index.len() / 2, index.len() - 8, index.len() - 1];
    let short =
        (short.into_iter()).map(|len| (format!("cut to {len} bytes"), index[..len].to_vec()));
    let longer = std::iter::once(("a byte added".to_owned(), [&index[..], &[0]].concat()));
    for (what, damaged) in changed.chain(short).chain(longer) {
        std::fs::write(dir.path().join("damaged.dedupx"), &damaged).unwrap();
        let run = run_in(
            dir.path(),
            &["new", "--reference", "damaged.dedupx", "-o", "-"],
        );
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{what}");
        assert!(
            run.stderr
                .contains("damaged.dedupx: the index is cut short or damaged"),
            "{what}: {}",
            run.stderr
        );
    }
    // dedup index writes a file, never stdout.
    let no_file = run_in(dir.path(), &["index", "held"]);
    assert_eq!(no_file.code, 2);
    assert!(no_file.stderr.contains("-o FILE"), "{}", no_file.stderr);
}

#[test]
fn an_updated_index_reads_only_what_changed_and_finds_what_a_new_one_finds() {
    let dir = tempdir();
    corpus(dir.path());
    let copied = "The harbour board said the new ferry terminal would open in the spring after \
                  two years of delays and a long dispute over its cost.";
    let edited = copied.replace("spring", "summer");
    write_tree(
        dir.path(),
        &[
            (
                "held/a.txt",
                format!("{copied}\n\nOnly in a, about lamps.\n").as_bytes(),
            ),
            (
                "held/b.txt",
                format!("Only in b, about bells.\n\n{copied}\n").as_bytes(),
            ),
            ("new/edited.txt", edited.as_bytes()),
        ],
    );
    // The updated index is byte for byte the index written afresh.
    let update = || {
        let run = run_in(
            dir.path(),
            &["index", "--update", "held", "-o", "held.dedupx"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let fresh = run_in(dir.path(), &["index", "held", "-o", "fresh.dedupx"]);
        assert_eq!(fresh.code, 0, "{}", fresh.stderr);
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        assert!(read("held.dedupx") == read("fresh.dedupx"));
        run.stderr
    };
    let same_as_the_folder = || {
        let from_index = findings(
            dir.path(),
            &["new", "--reference", "held.dedupx", "-o", "-"],
        );
        let from_folder = findings(dir.path(), &["new", "--reference", "held", "-o", "-"]);
        assert_eq!(from_index, from_folder);
        // The edited copy is found through whichever copy of its text the index fingerprinted.
        let edited_is_a_copy = clusters(&from_index).iter().any(|c| {
            c["kind"] == "near"
                && c["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["path"] == "new/edited.txt")
        });
        assert!(edited_is_a_copy, "{from_index:#}");
    };
    // No index there yet: written from scratch.
    assert!(update().contains("7 files"));
    same_as_the_folder();
    assert!(update().contains("7 kept, 0 read, 0 dropped"));
    // Renamed, touched, changed, added and removed files.
    let seeds = seed_files();
    let held = dir.path().join("held");
    std::fs::rename(held.join(&seeds[1].0), held.join("moved.txt")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(held.join(&seeds[2].0), &seeds[2].1).unwrap();
    let changed = [
        seeds[3].1.as_slice(),
        b"\n\nA paragraph added to a held file.\n",
    ]
    .concat();
    std::fs::write(held.join(&seeds[3].0), changed).unwrap();
    write_tree(
        dir.path(),
        &[("held/added.txt", b"A held file added since the index.\n")],
    );
    std::fs::remove_file(held.join("a.txt")).unwrap();
    // Read: the changed and added files, and b, whose copy of the paragraph a held the
    // fingerprints of (an index gives them to the first copy), and each kept seed holding a copy
    // of a paragraph whose fingerprints the changed seed held; dropped: a and the old name.
    let stderr = update();
    let counts: Vec<usize> = stderr
        .rsplit(": ")
        .next()
        .unwrap()
        .split(", ")
        .map(|c| c.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let [kept, read, dropped] = counts[..] else {
        panic!("{stderr}")
    };
    assert!(kept + read == 7 && read >= 3 && dropped == 2, "{stderr}");
    same_as_the_folder();
    // a back, then b gone: a, read again as a new file, is the first copy, so it holds the
    // fingerprints and nothing is read when b goes.
    write_tree(
        dir.path(),
        &[("held/a.txt", format!("{copied}\n").as_bytes())],
    );
    update();
    std::fs::remove_file(held.join("b.txt")).unwrap();
    let stderr = update();
    assert!(stderr.contains("7 kept, 0 read, 1 dropped"), "{stderr}");
    same_as_the_folder();
    // An index of other settings is refused, not rewritten.
    let other = run_in(
        dir.path(),
        &[
            "index",
            "--update",
            "held",
            "--shingle",
            "3",
            "-o",
            "held.dedupx",
        ],
    );
    assert_eq!(other.code, 2);
    assert!(other.stderr.contains("shingle: 2"), "{}", other.stderr);
}
