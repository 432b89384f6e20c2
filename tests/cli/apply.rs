//! `dedup apply`: the report applied to the corpus, checked against the input byte for byte.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::util::{Run, gzip, ok_report, run_in, seed_files, tempdir, write_tree, zstd};

/// Asserts that a run succeeded.
fn succeeds(run: &Run) {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
}

/// The manifest's lines.
fn manifest(text: &[u8]) -> Vec<Value> {
    std::str::from_utf8(text)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The clusters of a report that claim copies (exact and near).
fn duplicate_clusters(report: &Value) -> Vec<&Value> {
    report["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .filter(|c| c["kind"] != "template")
        .collect()
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let e = e.expect("entry");
            if e.file_type().expect("type").is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).expect("below").to_owned();
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                );
            }
        }
    }
    out
}

/// `text` with the byte ranges `cuts` removed.
fn without(text: &[u8], mut cuts: Vec<(usize, usize)>) -> Vec<u8> {
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end) in cuts {
        assert!(at <= start && start <= end, "cuts overlap or run backwards");
        out.extend_from_slice(&text[at..start]);
        at = end;
    }
    out.extend_from_slice(&text[at..]);
    out
}

/// How a corpus's files are stored, and how to get their text back.
#[derive(Clone, Copy, Debug)]
enum Form {
    Plain,
    Crlf,
    Gzip,
    Zstd,
    Utf16,
    Latin1,
}

impl Form {
    fn store(self, text: &str) -> Vec<u8> {
        match self {
            Form::Plain => text.as_bytes().to_vec(),
            Form::Crlf => text.replace('\n', "\r\n").into_bytes(),
            Form::Gzip => gzip(text.as_bytes()),
            Form::Zstd => zstd(text.as_bytes()),
            Form::Utf16 => [0xFF, 0xFE]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            Form::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'\''))
                .collect(),
        }
    }

    /// The text as `dedup` decodes it (offsets in the report count its bytes).
    fn text(self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Form::Plain | Form::Crlf => out = bytes.to_vec(),
            Form::Gzip => {
                flate2::read::MultiGzDecoder::new(bytes)
                    .read_to_end(&mut out)
                    .expect("gzip");
            }
            Form::Zstd => {
                ruzstd::decoding::StreamingDecoder::new(bytes)
                    .expect("zstd frame")
                    .read_to_end(&mut out)
                    .expect("zstd");
            }
            Form::Utf16 => {
                assert_eq!(&bytes[..2], [0xFF, 0xFE], "the byte order mark stays");
                let units: Vec<u16> = bytes[2..]
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
                    .collect();
                out = String::from_utf16(&units).expect("UTF-16").into_bytes();
            }
            Form::Latin1 => {
                out = bytes
                    .iter()
                    .map(|&b| char::from(b))
                    .collect::<String>()
                    .into_bytes()
            }
        }
        out
    }

    fn name(self, file: &str) -> String {
        match self {
            Form::Gzip => format!("{file}.gz"),
            Form::Zstd => format!("{file}.zst"),
            _ => file.to_owned(),
        }
    }

    fn flags(self) -> &'static [&'static str] {
        match self {
            Form::Latin1 => &["--encoding", "latin1"],
            _ => &[],
        }
    }
}

/// The seeds, each file starting with a word Latin-1 can hold but UTF-8 cannot read as Latin-1.
fn corpus_texts() -> Vec<(String, String)> {
    seed_files()
        .into_iter()
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes).expect("seeds are UTF-8");
            (name.clone(), format!("Café notes on {name}.\n\n{text}"))
        })
        .collect()
}

/// Runs `dedup` on `corpus/` in `dir`, then `dedup apply` to `clean/`, and checks the output
/// against the input; returns the manifest.
fn apply_and_check(dir: &Path, form: Form, report_flags: &[&str]) -> Vec<Value> {
    let stored: Vec<(String, Vec<u8>)> = corpus_texts()
        .iter()
        .map(|(name, text)| (form.name(name), form.store(text)))
        .collect();
    for (name, bytes) in &stored {
        write_tree(dir, &[(&format!("corpus/sub/{name}"), bytes)]);
    }
    let before = tree(&dir.join("corpus"));
    let mut args = vec!["corpus", "-o", "report"];
    args.extend(form.flags());
    args.extend(report_flags);
    let found = run_in(dir, &args);
    assert_eq!(found.code, 0, "{}", found.stderr);
    let applied = run_in(dir, &["apply", "report", "--out", "clean"]);
    assert_eq!(applied.code, 0, "{form:?}: {}", applied.stderr);
    assert!(
        applied.stderr.contains("apply: removed"),
        "{}",
        applied.stderr
    );
    assert_eq!(tree(&dir.join("corpus")), before, "the input is only read");

    let removed =
        manifest(&std::fs::read(dir.join("clean/dedup-removed.jsonl")).expect("manifest"));
    assert!(
        removed.len() > 50,
        "{form:?}: the seeds have copies to remove"
    );
    let mut cuts: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for r in &removed {
        let path = r["path"].as_str().expect("path").to_owned();
        let cut = (
            r["cut_start"].as_u64().unwrap() as usize,
            r["cut_end"].as_u64().unwrap() as usize,
        );
        assert!(cut.0 <= r["start"].as_u64().unwrap() as usize);
        assert!(cut.1 >= r["end"].as_u64().unwrap() as usize);
        cuts.entry(path).or_default().push(cut);
    }
    let after = tree(&dir.join("clean"));
    assert_eq!(
        after.len(),
        stored.len() + 1,
        "every file and the manifest: {:?}",
        after.keys()
    );
    for (name, bytes) in &stored {
        let input = form.text(bytes);
        let output_bytes = &after[&format!("sub/{name}")];
        let output = form.text(output_bytes);
        let file_cuts = cuts
            .remove(&format!("corpus/sub/{name}"))
            .unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&output),
            String::from_utf8_lossy(&without(&input, file_cuts)),
            "{form:?} {name}: every byte but the cut ones as it was"
        );
        if let Form::Latin1 = form {
            assert!(
                std::str::from_utf8(output_bytes).is_err(),
                "written back in Latin-1"
            );
        }
    }
    // Every removed paragraph's kept member is in the output, at the place the manifest says
    // once the cuts before it are counted.
    let texts: BTreeMap<String, Vec<u8>> = stored
        .iter()
        .map(|(name, bytes)| (format!("corpus/sub/{name}"), form.text(bytes)))
        .collect();
    for r in &removed {
        let kept = &r["kept"];
        let path = kept["path"].as_str().unwrap();
        let (start, end) = (
            kept["start"].as_u64().unwrap() as usize,
            kept["end"].as_u64().unwrap() as usize,
        );
        let text = &texts[path][start..end];
        let name = path.trim_start_matches("corpus/");
        let output = form.text(&after[name]);
        assert!(
            output.windows(text.len()).any(|w| w == text),
            "{form:?}: the kept member {path}:{} is in the output",
            kept["line"]
        );
    }

    // Run again on the output: nothing left to remove.
    let mut again = vec!["clean", "-o", "-"];
    again.extend(form.flags());
    let report = ok_report(&run_in(dir, &again));
    assert_eq!(
        duplicate_clusters(&report),
        Vec::<&Value>::new(),
        "{form:?}: no copy left"
    );
    assert!(
        !report["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"].as_str().unwrap().ends_with("dedup-removed.jsonl")),
        "the manifest is not read as corpus"
    );
    removed
}

#[test]
fn copies_are_cut_and_every_other_byte_kept_in_every_form() {
    let mut counts = Vec::new();
    for form in [
        Form::Plain,
        Form::Crlf,
        Form::Gzip,
        Form::Zstd,
        Form::Utf16,
        Form::Latin1,
    ] {
        let dir = tempdir();
        counts.push((form, apply_and_check(dir.path(), form, &[]).len()));
    }
    // The same paragraphs go, however the files are stored.
    let plain = counts[0].1;
    for (form, n) in &counts {
        assert_eq!(
            *n, plain,
            "{form:?} removes as many paragraphs as plain text"
        );
    }
}

#[test]
fn a_json_lines_report_applies_like_a_json_one() {
    let dir = tempdir();
    let from_json = apply_and_check(dir.path(), Form::Plain, &[]);
    let dir = tempdir();
    let from_jsonl = apply_and_check(dir.path(), Form::Plain, &["--format", "jsonl"]);
    assert_eq!(from_json, from_jsonl);
}

/// A JSON Lines corpus: each seed file a record with its text first and other fields after.
fn jsonl_corpus(dir: &Path) -> Vec<(String, String)> {
    let mut lines = String::new();
    let texts = corpus_texts();
    for (name, text) in &texts {
        let text = serde_json::to_string(text).unwrap();
        lines += &format!("{{\"text\":{text},\"id\":\"{name}\",\"lang\":\"en\",\"n\":[1,2]}}\n");
    }
    // A record that is only a copy: left empty, it is dropped (or kept with the flag).
    let first = &texts[0].1;
    let copy = first.split("\n\n").nth(1).expect("a paragraph");
    lines += &format!(
        "{{\"text\":{},\"id\":\"copy\"}}\n",
        serde_json::to_string(copy).unwrap()
    );
    write_tree(dir, &[("corpus/records.jsonl", lines.as_bytes())]);
    texts
}

#[test]
fn json_lines_records_keep_their_other_fields_and_order() {
    let dir = tempdir();
    jsonl_corpus(dir.path());
    let input = std::fs::read_to_string(dir.path().join("corpus/records.jsonl")).unwrap();
    succeeds(&run_in(dir.path(), &["corpus", "-o", "report"]));
    let applied = run_in(dir.path(), &["apply", "report", "--out", "clean"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(
        applied.stderr.contains("1 records left empty dropped"),
        "{}",
        applied.stderr
    );
    let removed = manifest(&std::fs::read(dir.path().join("clean/dedup-removed.jsonl")).unwrap());

    // The expected output, built from the input lines and the manifest's cuts.
    let mut expected = String::new();
    for (i, line) in input.lines().enumerate() {
        let record: Value = serde_json::from_str(line).unwrap();
        let text = record["text"].as_str().unwrap();
        let cuts: Vec<(usize, usize)> = removed
            .iter()
            .filter(|r| r["record"] == i + 1)
            .map(|r| {
                (
                    r["cut_start"].as_u64().unwrap() as usize,
                    r["cut_end"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        let left = String::from_utf8(without(text.as_bytes(), cuts)).unwrap();
        if left.trim().is_empty() {
            assert!(
                removed
                    .iter()
                    .any(|r| r["record"] == i + 1 && r["record_dropped"] == true)
            );
            continue;
        }
        let literal = serde_json::to_string(text).unwrap();
        expected += &line.replacen(&literal, &serde_json::to_string(&left).unwrap(), 1);
        expected.push('\n');
    }
    let output = std::fs::read_to_string(dir.path().join("clean/records.jsonl")).unwrap();
    assert_eq!(output, expected);
    let report = ok_report(&run_in(dir.path(), &["clean", "-o", "-"]));
    assert_eq!(duplicate_clusters(&report), Vec::<&Value>::new());

    // With --keep-empty-records the emptied record stays, its text empty.
    let kept = run_in(
        dir.path(),
        &["apply", "report", "--out", "kept", "--keep-empty-records"],
    );
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    let output = std::fs::read_to_string(dir.path().join("kept/records.jsonl")).unwrap();
    assert_eq!(output.lines().count(), input.lines().count());
    assert!(
        output
            .lines()
            .last()
            .unwrap()
            .starts_with("{\"text\":\"\",\"id\":\"copy\"}")
    );
}

/// A small corpus: one paragraph in `a.txt` copied exactly and nearly into `b.txt`, one longer.
fn small_corpus(dir: &Path) {
    let story = "Oil prices rose sharply on Tuesday as traders weighed a long outage at the \
                 refinery near the coast";
    write_tree(
        dir,
        &[
            (
                "corpus/a.txt",
                format!("Intro of file a stands alone here today.\n\n{story}\n").as_bytes(),
            ),
            (
                "corpus/b.txt",
                format!(
                    "{story}\n\nA different paragraph about the weather in the hills.\n\n\
                     {story}, officials said on Tuesday evening\n"
                )
                .as_bytes(),
            ),
        ],
    );
}

#[test]
fn a_file_changed_since_the_report_is_refused_by_name_and_the_rest_written() {
    let dir = tempdir();
    small_corpus(dir.path());
    succeeds(&run_in(dir.path(), &["corpus", "-o", "report"]));
    let b = dir.path().join("corpus/b.txt");
    let mut text = std::fs::read_to_string(&b).unwrap();
    text = text.replacen("weather", "climate", 1);
    std::fs::write(&b, text).unwrap();
    let applied = run_in(dir.path(), &["apply", "report", "--out", "clean"]);
    assert_eq!(applied.code, 2, "{}", applied.stderr);
    assert!(
        applied
            .stderr
            .contains("corpus/b.txt: changed since the report was written"),
        "{}",
        applied.stderr
    );
    assert!(
        dir.path().join("clean/a.txt").exists(),
        "the other file is written"
    );
    assert!(
        !dir.path().join("clean/b.txt").exists(),
        "the changed file is not"
    );
}

#[test]
fn the_output_folder_must_be_new_or_empty_and_outside_the_inputs() {
    let dir = tempdir();
    small_corpus(dir.path());
    succeeds(&run_in(dir.path(), &["corpus", "-o", "report"]));
    let before = tree(&dir.path().join("corpus"));
    std::fs::create_dir(dir.path().join("full")).unwrap();
    std::fs::write(dir.path().join("full/x"), "x").unwrap();
    for (out, says) in [
        ("full", "is not empty"),
        ("corpus/clean", "is inside the input corpus"),
        ("report", "is not a folder"),
    ] {
        let applied = run_in(dir.path(), &["apply", "report", "--out", out]);
        assert_eq!(applied.code, 2, "{out}: {}", applied.stderr);
        assert!(applied.stderr.contains(says), "{out}: {}", applied.stderr);
    }
    assert_eq!(tree(&dir.path().join("corpus")), before);
    assert_eq!(tree(&dir.path().join("full")).len(), 1);
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let applied = run_in(dir.path(), &["apply", "report", "--out", "empty"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(dir.path().join("empty/b.txt").exists());
    // No temporary file is left.
    assert!(
        tree(&dir.path().join("empty"))
            .keys()
            .all(|k| !k.contains(".dedup-"))
    );
}

#[test]
fn a_dry_run_prints_the_manifest_and_writes_nothing() {
    let dir = tempdir();
    small_corpus(dir.path());
    succeeds(&run_in(dir.path(), &["corpus", "-o", "report"]));
    let dry = run_in(dir.path(), &["apply", "report", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stderr.contains("would remove 2 paragraphs"),
        "{}",
        dry.stderr
    );
    let lines = manifest(&dry.stdout);
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["path"] == "corpus/b.txt" && l["kept"]["path"] == "corpus/a.txt")
    );
    let with_out = run_in(
        dir.path(),
        &["apply", "report", "--dry-run", "--out", "clean"],
    );
    assert_eq!(with_out.stdout, dry.stdout);
    assert!(!dir.path().join("clean").exists());
    // The real run writes the same lines.
    let applied = run_in(dir.path(), &["apply", "report", "--out", "clean"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(
        std::fs::read(dir.path().join("clean/dedup-removed.jsonl")).unwrap(),
        dry.stdout
    );
}

#[test]
fn keep_longest_and_drop_exact_choose_what_goes() {
    let dir = tempdir();
    small_corpus(dir.path());
    let report = ok_report(&run_in(dir.path(), &["corpus", "-o", "-"]));
    std::fs::write(
        dir.path().join("report"),
        serde_json::to_vec(&report).unwrap(),
    )
    .unwrap();
    let dry = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["apply", "report", "--dry-run"];
        all.extend(args);
        let run: Run = run_in(dir.path(), &all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        manifest(&run.stdout)
    };
    let places = |lines: &[Value]| -> Vec<(String, u64)> {
        lines
            .iter()
            .map(|l| {
                (
                    l["path"].as_str().unwrap().to_owned(),
                    l["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // The near cluster: a.txt:3 (first), b.txt:1 (exact copy), b.txt:5 (longer, near).
    assert_eq!(
        places(&dry(&[])),
        [("corpus/b.txt".into(), 1), ("corpus/b.txt".into(), 5)]
    );
    let longest = dry(&["--keep", "longest"]);
    assert_eq!(
        places(&longest),
        [("corpus/a.txt".into(), 3), ("corpus/b.txt".into(), 1)]
    );
    assert!(longest.iter().all(|l| l["kept"]["line"] == 5));
    assert_eq!(
        places(&dry(&["--drop", "exact"])),
        [("corpus/b.txt".into(), 1)]
    );
}

#[test]
fn a_report_without_what_apply_needs_is_refused() {
    let dir = tempdir();
    small_corpus(dir.path());
    succeeds(&run_in(
        dir.path(),
        &["corpus", "-o", "report", "--summary-only"],
    ));
    let applied = run_in(dir.path(), &["apply", "report", "--out", "clean"]);
    assert_eq!(applied.code, 2);
    assert!(
        applied.stderr.contains("--summary-only"),
        "{}",
        applied.stderr
    );
    let applied = run_in(dir.path(), &["apply", "missing", "--out", "clean"]);
    assert_eq!(applied.code, 2);
    assert!(
        applied.stderr.contains("cannot read the report missing"),
        "{}",
        applied.stderr
    );
    assert!(!dir.path().join("clean").exists());
}

#[test]
fn the_report_can_come_from_a_pipe() {
    let dir = tempdir();
    small_corpus(dir.path());
    let report = run_in(dir.path(), &["corpus"]);
    let applied = crate::util::run_with_stdin(
        dir.path(),
        &["apply", "-", "--out", "clean"],
        &report.stdout,
    );
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("clean/b.txt")).unwrap(),
        "A different paragraph about the weather in the hills.\n"
    );
}
