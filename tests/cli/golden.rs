//! Golden reports: the real binary on the bundled fixtures under several flag sets, compared byte
//! for byte with the expected stdout, stderr, exit status and written files in
//! `tests/golden/<case>/`.
//!
//! A case is a folder holding `args` (one argument per line, run from the crate root; `$OUT`
//! stands for an empty temporary folder), and the expected `stdout`, `stderr`, `status` and, for
//! every file the run writes under `$OUT`, `out/<name>`. A change to the report is meant when the
//! expected files change in the same commit:
//!
//! ```sh
//! DEDUP_UPDATE_GOLDEN=1 cargo test --test cli golden   # rewrites tests/golden/*/ from this build
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{Run, dedup, tempdir};

/// Set to rewrite the expected files instead of comparing with them.
const UPDATE: &str = "DEDUP_UPDATE_GOLDEN";

/// Lines of context shown around a difference, and the most lines of a difference shown.
const CONTEXT: usize = 3;
const SHOWN: usize = 80;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/golden")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("args").is_file())
        .collect();
    cases.sort();
    cases
}

/// What one case produced, as the files of its folder: (name, bytes).
fn produce(case: &Path) -> Vec<(String, Vec<u8>)> {
    let out = tempdir();
    let out_dir = out.path().to_str().expect("temporary path is UTF-8");
    let args: Vec<String> = fs::read_to_string(case.join("args"))
        .expect("args")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.replace("$OUT", out_dir))
        .collect();
    let run: Run = dedup()
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cannot start dedup")
        .into();
    // The temporary folder's name is the one thing that differs between runs.
    let unplace = |bytes: &[u8]| -> Vec<u8> {
        String::from_utf8_lossy(bytes)
            .replace(out_dir, "$OUT")
            .into_bytes()
    };
    let mut files = vec![
        ("status".to_owned(), format!("{}\n", run.code).into_bytes()),
        ("stdout".to_owned(), unplace(&run.stdout)),
        ("stderr".to_owned(), unplace(run.stderr.as_bytes())),
    ];
    let mut written: Vec<PathBuf> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    written.sort();
    for path in written {
        let name = path.file_name().unwrap().to_string_lossy();
        files.push((format!("out/{name}"), unplace(&fs::read(&path).unwrap())));
    }
    files
}

/// The expected files of a case, as [`produce`] names them.
fn expected(case: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for name in ["status", "stdout", "stderr"] {
        files.push((
            name.to_owned(),
            fs::read(case.join(name)).unwrap_or_default(),
        ));
    }
    if let Ok(entries) = fs::read_dir(case.join("out")) {
        let mut written: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        written.sort();
        for path in written {
            let name = path.file_name().unwrap().to_string_lossy();
            files.push((format!("out/{name}"), fs::read(&path).unwrap()));
        }
    }
    files
}

fn update(case: &Path, files: &[(String, Vec<u8>)]) {
    let _ = fs::remove_dir_all(case.join("out"));
    for (name, bytes) in files {
        let path = case.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

/// The lines to compare: JSON documents (one, or one a line) pretty-printed, so that a change
/// inside a compact report shows as the fields that changed.
fn readable(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let pretty = |doc: &str| {
        serde_json::from_str::<serde_json::Value>(doc)
            .ok()
            .map(|v| serde_json::to_string_pretty(&v).unwrap())
    };
    let joined = match pretty(&text) {
        Some(doc) => Some(doc),
        None => text
            .lines()
            .map(pretty)
            .collect::<Option<Vec<String>>>()
            .map(|docs| docs.join("\n")),
    };
    joined
        .as_deref()
        .unwrap_or(&text)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A difference as the changed lines between the common head and tail, with context.
fn diff(expected: &[u8], actual: &[u8]) -> String {
    let (old, new) = (readable(expected), readable(actual));
    if old == new {
        return "the documents are equal once pretty-printed: only their layout or key order \
                differs"
            .to_owned();
    }
    let head = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = Vec::new();
    let from = head.saturating_sub(CONTEXT);
    out.extend(old[from..head].iter().map(|l| format!("  {l}")));
    out.extend(old[head..old.len() - tail].iter().map(|l| format!("- {l}")));
    out.extend(new[head..new.len() - tail].iter().map(|l| format!("+ {l}")));
    let after = old.len() - tail;
    out.extend(
        old[after..(after + CONTEXT).min(old.len())]
            .iter()
            .map(|l| format!("  {l}")),
    );
    let more = out.len().saturating_sub(SHOWN);
    out.truncate(SHOWN);
    if more > 0 {
        out.push(format!("... {more} more lines"));
    }
    format!("from line {}:\n{}", from + 1, out.join("\n"))
}

#[test]
fn reports_are_the_golden_ones() {
    let cases = cases();
    assert!(cases.len() >= 8, "the golden cases are missing");
    let updating = std::env::var_os(UPDATE).is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let actual = produce(case);
        if updating {
            update(case, &actual);
            continue;
        }
        let expected = expected(case);
        let names = |files: &[(String, Vec<u8>)]| -> Vec<String> {
            files.iter().map(|(n, _)| n.clone()).collect()
        };
        if names(&expected) != names(&actual) {
            failures.push(format!(
                "{name}: files {:?}, expected {:?}",
                names(&actual),
                names(&expected)
            ));
            continue;
        }
        for ((file, want), (_, got)) in expected.iter().zip(&actual) {
            if want != got {
                failures.push(format!("{name}/{file} differs, {}", diff(want, got)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden file(s) differ (if the change is meant: {UPDATE}=1 cargo test --test cli \
         golden, and say why in the commit):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn a_difference_is_shown_as_the_changed_fields() {
    let old = br#"{"a":1,"b":[1,2,3],"c":"x"}"#;
    let new = br#"{"a":1,"b":[1,5,3],"c":"x"}"#;
    let shown = diff(old, new);
    assert!(
        shown.contains("-     2,") && shown.contains("+     5,"),
        "{shown}"
    );
    assert!(!shown.contains("- \"a\""), "{shown}");
}
