//! Same input, same bytes out: for any thread count, any file creation order, any argument order.

use crate::util::{Run, dedup, run, run_in, seed_files, tempdir, write_tree};

#[test]
fn thread_count_does_not_change_the_report() {
    let one = run(&["-j1", "fixtures/seeds"]);
    let two = run(&["-j2", "fixtures/seeds"]);
    let four = run(&["-j4", "fixtures/seeds"]);
    assert_eq!(one.code, 0);
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout, "-j1 and -j2 differ");
    assert_eq!(one.stdout, four.stdout, "-j1 and -j4 differ");
}

#[test]
fn reading_ahead_does_not_change_the_report() {
    // The scan turns read-ahead on when it waits on the disk; forced on from the first file and
    // forced off, the report is the same bytes, on one thread and on several. 4,700 files, so
    // that the scan's first chunk (512 files) and a whole one (4,096) are read ahead and read.
    let seeds = seed_files();
    let names: Vec<String> = (0..4700)
        .map(|i| format!("corpus/{:02}/{i:04}.txt", i % 37))
        .collect();
    let texts: Vec<Vec<u8>> = (0..4700)
        .map(|i| {
            let (_, seed) = &seeds[i % seeds.len()];
            [format!("File {i} of the corpus.\n\n").as_bytes(), seed].concat()
        })
        .collect();
    let tree: Vec<(&str, &[u8])> = (names.iter().map(String::as_str))
        .zip(texts.iter().map(Vec::as_slice))
        .collect();
    let dir = tempdir();
    write_tree(dir.path(), &tree);
    let with = |read_ahead: &str, threads: &str| -> Run {
        (dedup().env("DEDUP_READ_AHEAD", read_ahead))
            .args([threads, "corpus"])
            .current_dir(dir.path())
            .output()
            .expect("cannot start dedup")
            .into()
    };
    let off = with("0", "-j1");
    assert_eq!(off.code, 0, "{}", off.stderr);
    assert_eq!(off.json()["summary"]["files"], 4700);
    assert!(off.json()["summary"]["clusters"].as_u64().unwrap() > 0);
    for threads in ["-j1", "-j3"] {
        let on = with("1", threads);
        assert_eq!(on.code, 0, "{}", on.stderr);
        assert_eq!(
            off.stdout, on.stdout,
            "read-ahead with {threads} changed the report"
        );
    }
}

#[test]
fn file_creation_order_does_not_change_the_report() {
    let seeds: Vec<(String, Vec<u8>)> = seed_files()
        .into_iter()
        .map(|(name, content)| (format!("corpus/{name}"), content))
        .collect();
    let forward = tempdir();
    let backward = tempdir();
    let tree: Vec<(&str, &[u8])> = seeds
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    write_tree(forward.path(), &tree);
    let reversed: Vec<(&str, &[u8])> = tree.iter().rev().copied().collect();
    write_tree(backward.path(), &reversed);

    let a = run_in(forward.path(), &["-j2", "corpus"]);
    let b = run_in(backward.path(), &["-j2", "corpus"]);
    assert_eq!(a.code, 0);
    assert!(a.json()["summary"]["clusters"].as_u64().unwrap() > 0);
    assert_eq!(
        a.stdout, b.stdout,
        "the copy created in reverse order reports differently"
    );

    // Naming the files one by one, in any order, gives the same files in the same order.
    let mut names: Vec<&str> = tree.iter().map(|(n, _)| *n).collect();
    let by_name = run_in(forward.path(), &[&["-j1"][..], &names].concat());
    names.reverse();
    let by_name_reversed = run_in(forward.path(), &[&["-j1"][..], &names].concat());
    let clusters = |r: &crate::util::Run| r.json()["clusters"].clone();
    assert_eq!(clusters(&by_name), clusters(&a));
    // The whole report, settings.inputs included, byte for byte.
    assert_eq!(
        by_name.stdout, by_name_reversed.stdout,
        "the arguments in reverse order report differently"
    );
}

#[test]
fn compact_and_pretty_reports_hold_the_same_document() {
    // The compact writer assembles the document field by field (the long lists in parallel
    // blocks); the pretty one goes through serde. Both must say the same thing.
    let compact = run(&["-j2", "fixtures/seeds"]);
    let pretty = run(&["-j2", "--pretty", "fixtures/seeds"]);
    assert_eq!(compact.code, 0);
    assert_eq!(compact.json(), pretty.json());
    assert!(compact.stdout.ends_with(b"}\n"));
    assert_eq!(
        compact.stdout.iter().filter(|&&b| b == b'\n').count(),
        1,
        "compact JSON is one line"
    );
}
