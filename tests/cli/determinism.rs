//! Same input, same bytes out: for any thread count, any file creation order, any argument order.

use crate::util::{run, run_in, seed_files, tempdir, write_tree};

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
