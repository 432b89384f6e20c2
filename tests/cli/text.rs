//! The text view for people: what it shows of the seeds, colour only when asked or on a
//! terminal, JSON unchanged when piped; the view itself and the progress line in a real
//! pseudo-terminal (`script`).

use std::process::Command;

use crate::util::{dedup, run, seeds_report};

fn text(args: &[&str]) -> String {
    let mut all = vec!["--format", "text", "fixtures/seeds"];
    all.extend_from_slice(args);
    let run = run(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    String::from_utf8(run.stdout).unwrap()
}

#[test]
fn the_text_view_shows_the_largest_clusters_with_their_copies_and_diffs() {
    let report = seeds_report();
    let view = text(&[]);
    let s = &report["summary"];
    assert!(
        view.contains(&format!(
            "{} clusters ({} exact, {} near, {} template)",
            s["clusters"], s["exact_clusters"], s["near_clusters"], s["template_clusters"]
        )),
        "{view}"
    );
    assert!(
        view.contains("Clusters, largest first (10 of 60; --limit N shows more)"),
        "{view}"
    );
    // The largest cluster first, with its representative's place and text.
    let clusters = report["clusters"].as_array().unwrap();
    let largest = clusters
        .iter()
        .map(|c| c["size"].as_u64().unwrap())
        .max()
        .unwrap();
    let first = clusters.iter().find(|c| c["size"] == largest).unwrap();
    let rep = &first["members"][0];
    let rank_one = view.lines().find(|l| l.starts_with("  1. ")).unwrap();
    assert!(rank_one.contains(&format!("×{largest}")), "{rank_one}");
    assert!(
        rank_one.contains(first["id"].as_str().unwrap()),
        "{rank_one}"
    );
    assert!(
        view.contains(&format!(
            "{}:{} (representative)",
            rep["path"].as_str().unwrap(),
            rep["line"]
        )),
        "{view}"
    );
    // A near member as a word diff: 002:398 squeezes "has been squeezed" to "is pressed".
    assert!(
        view.contains("[-has been squeezed-] {+is pressed+}"),
        "{view}"
    );
    // Shared text grouped by what is shared, and the files with most duplicated bytes.
    assert!(
        view.contains("29 words in 4 places: \"On the Syrian side,"),
        "{view}"
    );
    assert!(view.contains("Files with most duplicated bytes"), "{view}");
    // Piped without --color always: no escapes.
    assert!(!view.contains('\x1b'), "{view}");
    let colored = text(&["--color", "always"]);
    assert!(
        colored.contains("\x1b[31;9mhas been squeezed\x1b[0m"),
        "{colored}"
    );
    assert!(!text(&["--color", "never"]).contains('\x1b'));
}

#[test]
fn the_limit_sets_how_many_items_each_section_shows() {
    let view = text(&["--limit", "2"]);
    assert!(view.contains("(2 of 60; --limit N shows more)"), "{view}");
    assert!(view.lines().any(|l| l.starts_with("  2. ")));
    assert!(!view.lines().any(|l| l.starts_with("  3. ")), "{view}");
}

#[test]
fn piped_output_is_the_json_report_byte_for_byte() {
    let default = run(&["fixtures/seeds"]);
    let json = run(&["--format", "json", "fixtures/seeds"]);
    assert_eq!(default.code, 0);
    assert_eq!(default.stdout, json.stdout);
    default.json();
}

/// `dedup fixtures/seeds` in a pseudo-terminal (util-linux `script`, which `.ci/run` installs):
/// the text view, coloured, its clusters within the first 60 lines; `NO_COLOR` turns colour off.
#[test]
fn on_a_terminal_the_default_is_the_text_view() {
    let binary = dedup().get_program().to_owned();
    let in_terminal = |no_color: bool| {
        let mut script = Command::new("script");
        script
            .args(["-qec"])
            .arg(format!("{} fixtures/seeds", binary.to_string_lossy()))
            .arg("/dev/null")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("NO_COLOR");
        if no_color {
            script.env("NO_COLOR", "1");
        }
        let out = script.output().expect("script (util-linux) runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
    };
    let view = in_terminal(false);
    let first_screen: Vec<&str> = view.lines().take(60).collect();
    assert!(
        first_screen[0].contains("5 files, 378 paragraphs"),
        "{view}"
    );
    assert!(
        first_screen.iter().any(|l| l.starts_with(" 10. ")),
        "the tenth cluster is not on the first screen:\n{}",
        first_screen.join("\n")
    );
    assert!(view.contains("\x1b[1;36mexact\x1b[0m"), "{view}");
    let plain = in_terminal(true);
    assert!(plain.contains("Clusters, largest first"), "{plain}");
    assert!(!plain.contains("\x1b[1;36m"), "{plain}");
}

/// On a run longer than half a second, a progress line on stderr in a pseudo-terminal (the stage,
/// files read), erased at the end; none when stderr is a file, or with `-q`; the report the same.
#[test]
fn progress_shows_on_a_terminal_and_nowhere_else() {
    let dir = crate::util::tempdir();
    std::fs::create_dir(dir.path().join("corpus")).unwrap();
    let mut rng = crate::util::Rng::new(35);
    for f in 0..3000 {
        let words: Vec<String> = (0..1500)
            .map(|_| crate::util::word('p', rng.below(20_000)))
            .collect();
        let text = words
            .chunks(30)
            .map(|c| c.join(" "))
            .collect::<Vec<_>>()
            .join("\n\n");
        std::fs::write(dir.path().join(format!("corpus/{f:04}.txt")), text).unwrap();
    }
    let binary = dedup().get_program().to_string_lossy().into_owned();
    let in_terminal = |command: String| {
        let out = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(dir.path())
            .output()
            .expect("script (util-linux) runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Drawn at once, so that the test does not depend on how long the run takes.
    let shown = in_terminal(format!(
        "DEDUP_PROGRESS_DELAY_MS=0 {binary} -o a.json corpus"
    ));
    // The stage reached depends on the machine's speed; the files read are counted in all.
    assert!(shown.contains("\r\x1b[2Kdedup: "), "{shown:?}");
    assert!(shown.contains("/3000 files, "), "{shown:?}");
    // Erased before the summary line.
    assert!(shown.contains("\r\x1b[2Kdedup: 3000 files"), "{shown:?}");
    let to_file = in_terminal(format!("{binary} -o b.json corpus 2>stderr.txt"));
    assert!(!to_file.contains("files, "), "{to_file:?}");
    let stderr = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap();
    assert!(
        !stderr.contains("reading") && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
    let quiet = in_terminal(format!("{binary} -q -o c.json corpus"));
    assert!(quiet.is_empty(), "{quiet:?}");
    let report = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    assert!(report("a.json") == report("b.json") && report("a.json") == report("c.json"));
}
