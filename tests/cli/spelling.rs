//! Spelling folding: British and American spellings of one wire paragraph are one passage by
//! default, and `--keep-spelling` keeps them apart.

use crate::util::{ClusterIndex, run_in, tempdir, write_tree};

const BRITISH: &str = "Iraqi forces and members of the Popular Mobilisation units advance towards the centre of the city, the defence ministry said.";
const AMERICAN: &str = "Iraqi forces and members of the Popular Mobilization units advance toward the center of the city, the defense ministry said.";

#[test]
fn british_and_american_spellings_are_exact_copies_unless_kept_apart() {
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("corpus/uk.txt", BRITISH.as_bytes()),
            ("corpus/us.txt", AMERICAN.as_bytes()),
        ],
    );
    let folded = run_in(dir.path(), &["corpus"]).json();
    assert_eq!(folded["settings"]["spelling"], "folded");
    assert!(ClusterIndex::new(&folded, &["exact"]).together("uk.txt:1", "us.txt:1"));

    let kept = run_in(dir.path(), &["--keep-spelling", "corpus"]).json();
    assert_eq!(kept["settings"]["spelling"], "kept");
    assert!(!ClusterIndex::new(&kept, &["exact", "near"]).together("uk.txt:1", "us.txt:1"));
}
