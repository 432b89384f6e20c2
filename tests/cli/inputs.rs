//! Corpora as they arrive: JSON Lines, gzip and zstd, stdin, path lists, odd encodings and line
//! ends, awkward paths and hostile files. Each test runs the real binary on files it writes.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::util::{
    Run, dedup, describe, error_paths, file_name, gzip, ok_report, run_in, seed_files, tempdir,
    word, write_tree, zstd,
};
use serde_json::{Value, json};

/// JSON Lines with one record per seed file, its name as `id`.
fn seeds_jsonl() -> Vec<u8> {
    let mut out = Vec::new();
    for (name, content) in seed_files() {
        let record = json!({"id": name, "text": String::from_utf8(content).unwrap(), "lang": "en"});
        writeln!(out, "{record}").unwrap();
    }
    out
}

/// Where a member is, independent of how its document was stored: the seed file's name (from
/// the path without .gz/.zst, or the record's id), and its place in the document's text.
fn place(member: &Value) -> String {
    let document = match member["id"].as_str() {
        Some(id) => id.to_owned(),
        None => {
            let path = member["path"].as_str().unwrap();
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            name.trim_end_matches(".gz")
                .trim_end_matches(".zst")
                .to_owned()
        }
    };
    format!(
        "{document}:{}-{} [{}..{}]",
        member["line"], member["end_line"], member["start"], member["end"]
    )
}

/// Every cluster as kind, text and the places of its members, sorted.
fn clusters(report: &Value) -> BTreeSet<String> {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let members: Vec<String> = c["members"].as_array().unwrap().iter().map(place).collect();
            format!(
                "{} {} {:?} {}",
                c["kind"],
                c["size"],
                c["text"],
                members.join(" ")
            )
        })
        .collect()
}

#[test]
fn plain_jsonl_gzip_and_zstd_give_the_same_clusters() {
    let dir = tempdir();
    let seeds = seed_files();
    for (name, content) in &seeds {
        write_tree(dir.path(), &[(&format!("plain/{name}"), content)]);
        write_tree(dir.path(), &[(&format!("gz/{name}.gz"), &gzip(content))]);
        write_tree(dir.path(), &[(&format!("zst/{name}.zst"), &zstd(content))]);
    }
    let jsonl = seeds_jsonl();
    write_tree(
        dir.path(),
        &[
            ("jsonl/seeds.jsonl", &jsonl),
            ("jsonl-gz/seeds.jsonl.gz", &gzip(&jsonl)),
            ("jsonl-zst/seeds.ndjson.zst", &zstd(&jsonl)),
            // Named .txt but JSON Lines: --jsonl reads it so.
            ("forced/seeds.txt", &jsonl),
        ],
    );
    let id = ["--id-field", "id"];
    let plain = clusters(&ok_report(&run_in(dir.path(), &["plain"])));
    assert!(plain.len() > 50, "the seeds have 60 clusters: {plain:?}");
    for (args, compression) in [
        (vec!["gz"], Some("gzip")),
        (vec!["zst"], Some("zstd")),
        (vec!["jsonl", id[0], id[1]], None),
        (vec!["jsonl-gz", id[0], id[1]], Some("gzip")),
        (vec!["jsonl-zst", id[0], id[1]], Some("zstd")),
        (vec!["forced", "--jsonl", id[0], id[1]], None),
    ] {
        let report = ok_report(&run_in(dir.path(), &args));
        assert_eq!(clusters(&report), plain, "{args:?}");
        let files = report["files"].as_array().unwrap();
        assert!(
            files
                .iter()
                .all(|f| f["compression"].as_str() == compression),
            "{args:?}: {files:?}"
        );
        if args.contains(&"--id-field") {
            assert_eq!(files.len(), 1);
            assert_eq!(files[0]["records"], 5);
            let member = &report["clusters"][0]["members"][0];
            assert!(member["record"].as_u64().unwrap() >= 1, "{member}");
        }
    }
}

#[test]
fn jsonl_members_carry_record_line_id_and_offsets_in_the_decoded_string() {
    let dir = tempdir();
    let shared = "The central bank said on Tuesday it would keep its key \"policy\" rate unchanged at 4.5 per cent, citing café prices.";
    let records = [
        json!({"doc_id": 101, "body": format!("Intro line one here.\n\n{shared}")}),
        json!({"doc_id": "b-2", "body": "Something else entirely, nothing in common with the others at all."}),
        json!({"body": format!("\u{00e9}t\u{00e9} \u{2014} \"quoted\"\n{shared}")}),
    ];
    let mut file = String::new();
    for r in &records {
        // serde_json escapes quotes and newlines; ensure_ascii-style escapes are also valid JSON.
        file.push_str(&r.to_string().replace('é', "\\u00e9"));
        file.push('\n');
    }
    write_tree(dir.path(), &[("feed.ndjson", file.as_bytes())]);
    let report = ok_report(&run_in(
        dir.path(),
        &[
            "feed.ndjson",
            "--text-field",
            "body",
            "--id-field",
            "doc_id",
        ],
    ));
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let c = &clusters[0];
    assert_eq!(c["kind"], "exact");
    assert_eq!(c["text"], shared);
    let members = c["members"].as_array().unwrap();
    assert_eq!(members[0]["record"], 1);
    assert_eq!(members[0]["id"], "101");
    assert_eq!(members[0]["line"], 3);
    assert_eq!(members[1]["record"], 3);
    assert_eq!(members[1]["line"], 2);
    assert!(members[1].get("id").is_none(), "{members:?}");
    for (m, record) in members.iter().zip([&records[0], &records[2]]) {
        let text = record["body"].as_str().unwrap().as_bytes();
        let (start, end) = (
            m["start"].as_u64().unwrap() as usize,
            m["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[start..end], shared.as_bytes(), "{m}");
    }
}

#[test]
fn a_malformed_record_is_an_error_naming_file_and_line_and_the_rest_is_read() {
    let dir = tempdir();
    let para = "Police said three people were hurt when a bus overturned on the coast road.";
    let file = format!(
        "{}\n{{\"text\": \"unterminated\n\n{}\n{{\"title\": \"no text\"}}\n[1, 2]\n",
        json!({"text": para}),
        json!({"text": para})
    );
    write_tree(dir.path(), &[("a.jsonl", file.as_bytes())]);
    let run = run_in(dir.path(), &["a.jsonl"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    for line in [2, 5, 6] {
        assert!(
            run.stderr.contains(&format!("a.jsonl:{line}: ")),
            "line {line}: {}",
            run.stderr
        );
    }
    let report = run.json();
    let errors = report["errors"].as_array().unwrap();
    let lines: Vec<&Value> = errors.iter().map(|e| &e["line"]).collect();
    assert_eq!(lines, [2, 5, 6], "{errors:?}");
    assert!(errors[1]["message"].as_str().unwrap().contains("\"text\""));
    assert_eq!(report["summary"]["clusters"], 1);
    let members = report["clusters"][0]["members"].as_array().unwrap();
    let records: Vec<&Value> = members.iter().map(|m| &m["record"]).collect();
    assert_eq!(records, [1, 4]);
}

#[test]
fn stdin_is_one_document_plain_or_compressed() {
    let dir = tempdir();
    let seeds = seed_files();
    let (name, content) = &seeds[0];
    write_tree(dir.path(), &[(&format!("copy/{name}"), content)]);
    let record = json!({"text": String::from_utf8_lossy(content)});
    write_tree(
        dir.path(),
        &[("copy.jsonl", format!("{record}\n").as_bytes())],
    );
    for (input, args) in [
        (content.clone(), vec!["-", "copy"]),
        (gzip(content), vec!["copy", "-"]),
        (
            format!("{}\n", json!({"text": String::from_utf8_lossy(content)})).into_bytes(),
            vec!["--jsonl", "-", "copy.jsonl"],
        ),
    ] {
        let mut child = dedup()
            .args(&args)
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let run: Run = child.wait_with_output().unwrap().into();
        let report = ok_report(&run);
        let files: Vec<&Value> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["path"])
            .collect();
        assert!(files.contains(&&json!("-")), "{args:?}: {files:?}");
        // Every paragraph of the copy is a copy of stdin's, and the report quotes stdin's text.
        let clusters = report["clusters"].as_array().unwrap();
        assert!(!clusters.is_empty());
        for c in clusters.iter().filter(|c| c["kind"] == "exact") {
            let paths: BTreeSet<&str> = c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["path"].as_str().unwrap())
                .collect();
            assert!(paths.contains("-"), "{args:?}: {c}");
            assert!(c["text"].as_str().is_some_and(|t| !t.is_empty()));
        }
    }
}

#[test]
fn files_from_reads_a_newline_or_nul_separated_list() {
    let dir = tempdir();
    let para = b"Flights resumed at the airport on Monday after a three-day strike by baggage handlers ended.\n";
    write_tree(
        dir.path(),
        &[
            ("docs/with space.txt", para),
            ("docs/new\nline.txt", para),
            ("docs/unlisted.txt", para),
        ],
    );
    let members = |run: &Run| -> Vec<String> {
        let report = ok_report(run);
        report["clusters"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["path"].as_str().unwrap().to_owned())
            .collect()
    };

    write_tree(
        dir.path(),
        &[("list.txt", b"docs/with space.txt\r\n\ndocs/unlisted.txt\n")],
    );
    let run = run_in(dir.path(), &["--files-from", "list.txt"]);
    assert_eq!(members(&run), ["docs/unlisted.txt", "docs/with space.txt"]);

    write_tree(
        dir.path(),
        &[("list0", b"docs/new\nline.txt\0docs/with space.txt\0")],
    );
    let run = run_in(dir.path(), &["--files-from", "list0", "--null"]);
    assert_eq!(members(&run), ["docs/new\nline.txt", "docs/with space.txt"]);

    // From stdin, with a path argument too.
    let mut child = dedup()
        .args(["--files-from", "-", "docs/unlisted.txt"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"docs/with space.txt\n")
        .unwrap();
    let run: Run = child.wait_with_output().unwrap().into();
    assert_eq!(members(&run), ["docs/unlisted.txt", "docs/with space.txt"]);

    // A listed path that is gone is an error naming it; the others are read.
    write_tree(
        dir.path(),
        &[(
            "gone.txt",
            b"docs/vanished.txt\ndocs/unlisted.txt\ndocs/with space.txt\n",
        )],
    );
    let run = run_in(dir.path(), &["--files-from", "gone.txt"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("docs/vanished.txt"), "{}", run.stderr);
    assert_eq!(run.json()["summary"]["clusters"], 1);

    // A missing list is an error too.
    let run = run_in(dir.path(), &["--files-from", "nope.txt", "docs"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope.txt"), "{}", run.stderr);

    // stdin cannot be both.
    let run = run_in(dir.path(), &["--files-from", "-", "-"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("stdin"), "{}", run.stderr);
}

/// The seed files rewritten by `convert`, each beside its original: every paragraph of every
/// converted file must be in the cluster of the original's paragraph at the same lines.
fn converted_twins_cluster_together(convert: fn(&[u8]) -> Vec<u8>, args: &[&str]) -> Value {
    let dir = tempdir();
    for (name, content) in seed_files() {
        write_tree(
            dir.path(),
            &[
                (&format!("a/{name}"), &content),
                (&format!("b/{name}"), &convert(&content)),
            ],
        );
    }
    let mut all = vec!["a", "b"];
    all.extend(args);
    let report = ok_report(&run_in(dir.path(), &all));
    let original = ok_report(&run_in(dir.path(), &["a"]));
    let paragraphs = original["summary"]["paragraphs"].as_u64().unwrap();
    assert_eq!(report["summary"]["paragraphs"], 2 * paragraphs);
    let mut twinned = 0;
    for c in report["clusters"].as_array().unwrap() {
        let members = c["members"].as_array().unwrap();
        let lines = |dir: &str| -> BTreeSet<String> {
            members
                .iter()
                .filter(|m| m["path"].as_str().unwrap().starts_with(dir))
                .map(|m| {
                    format!(
                        "{}:{}-{}",
                        crate::util::file_name(m),
                        m["line"],
                        m["end_line"]
                    )
                })
                .collect()
        };
        assert_eq!(lines("a/"), lines("b/"), "{c}");
        twinned += lines("b/").len();
    }
    assert_eq!(twinned as u64, paragraphs, "every paragraph has its twin");
    report
}

#[test]
fn crlf_and_lone_cr_line_ends_read_like_lf() {
    let crlf = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace('\n', "\r\n")
            .into_bytes()
    };
    let cr = |b: &[u8]| String::from_utf8_lossy(b).replace('\n', "\r").into_bytes();
    converted_twins_cluster_together(crlf, &[]);
    converted_twins_cluster_together(cr, &[]);
}

#[test]
fn byte_order_marks_and_utf16_are_decoded() {
    let bom = |b: &[u8]| [b"\xEF\xBB\xBF", b].concat();
    converted_twins_cluster_together(bom, &[]);
    fn utf16(b: &[u8], big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in String::from_utf8_lossy(b).encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }
    let le: fn(&[u8]) -> Vec<u8> = |b| utf16(b, false);
    let be: fn(&[u8]) -> Vec<u8> = |b| utf16(b, true);
    for (convert, name) in [(le, "utf-16le"), (be, "utf-16be")] {
        let report = converted_twins_cluster_together(convert, &[]);
        for f in report["files"].as_array().unwrap() {
            let expected = f["path"]
                .as_str()
                .unwrap()
                .starts_with("b/")
                .then_some(name);
            assert_eq!(f["encoding"].as_str(), expected, "{f}");
        }
        assert_eq!(report["summary"]["warnings"], 0);
    }
}

#[test]
fn latin1_is_read_only_when_asked() {
    let dir = tempdir();
    let text = "Le café de la gare a rouvert ses portes lundi après trois mois de travaux.\n";
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    write_tree(
        dir.path(),
        &[("utf8.txt", text.as_bytes()), ("latin1.txt", &latin1)],
    );
    // By default the bytes are invalid UTF-8: a warning, U+FFFD, no exact match.
    let run = run_in(dir.path(), &["."]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("latin1.txt") && run.stderr.contains("invalid UTF-8"),
        "{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["summary"]["exact_clusters"], 0);
    // Asked for, Latin-1 decodes them: an exact copy, no warning.
    let run = run_in(dir.path(), &[".", "--encoding", "latin1"]);
    let report = ok_report(&run);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(report["summary"]["exact_clusters"], 1);
    assert_eq!(report["clusters"][0]["text"], text.trim_end());
    assert_eq!(report["settings"]["encoding"], "latin1");
    let encodings: Vec<&Value> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["encoding"])
        .collect();
    assert_eq!(encodings, [&json!("latin1"), &Value::Null]);
}

#[test]
fn empty_files_in_every_form_are_read_without_complaint() {
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("empty.txt", b""),
            ("blank.txt", b" \n\t\r\n\xC2\xA0\n"),
            ("empty.jsonl", b""),
            ("blank.jsonl", b"\n\n"),
            ("empty.txt.gz", &gzip(b"")),
            ("empty.txt.zst", &zstd(b"")),
            ("zero.gz", b""),
            ("empty-text.jsonl", b"{\"text\": \"\"}\n"),
        ],
    );
    let run = run_in(dir.path(), &["."]);
    let report = ok_report(&run);
    assert_eq!(report["summary"]["files"], 8);
    assert_eq!(report["summary"]["paragraphs"], 0);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
}

#[test]
fn broken_compressed_files_are_errors_naming_them() {
    let dir = tempdir();
    let seeds = seed_files();
    let gz = gzip(&seeds[1].1);
    let zst = zstd(&seeds[1].1);
    // A flipped byte in the payload, and one in the content checksum: the text may decode, but
    // it is not what was compressed.
    let mut corrupt = zst.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x20;
    let mut bad_checksum = zst.clone();
    *bad_checksum.last_mut().unwrap() ^= 0xff;
    write_tree(
        dir.path(),
        &[
            ("a.txt", &seeds[1].1),
            ("b.txt", &seeds[1].1),
            ("truncated.txt.gz", &gz[..gz.len() / 2]),
            ("truncated.txt.zst", &zst[..zst.len() / 2]),
            ("corrupt.txt.zst", &corrupt),
            ("bad-checksum.txt.zst", &bad_checksum),
            ("not-really.gz", b"just text\n"),
            ("binary.gz", &gzip(b"\x00\x01\x02 binary")),
        ],
    );
    let run = run_in(dir.path(), &["."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    let errors: BTreeSet<String> = error_paths(&report).into_iter().collect();
    let errors: BTreeSet<&str> = errors.iter().map(String::as_str).collect();
    assert_eq!(
        errors,
        BTreeSet::from([
            "./bad-checksum.txt.zst",
            "./corrupt.txt.zst",
            "./not-really.gz",
            "./truncated.txt.gz",
            "./truncated.txt.zst"
        ]),
        "{}",
        run.stderr
    );
    for path in &errors {
        assert!(run.stderr.contains(path), "{}", run.stderr);
    }
    assert!(run.stderr.contains("not gzip data"), "{}", run.stderr);
    assert_eq!(report["summary"]["files_skipped"], 1);
    // a.txt and b.txt are still compared: every paragraph of b is a copy.
    let b_paragraphs = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "./b.txt")
        .unwrap()["duplicate_ratio"]
        .as_f64()
        .unwrap();
    assert!(b_paragraphs > 0.99, "{b_paragraphs}");
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_are_escaped_and_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir();
    let para =
        b"Rescue teams reached the village late on Sunday after the landslide cut the only road.\n";
    let odd = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9 \\x.txt"));
    std::fs::write(&odd, para).unwrap();
    std::fs::write(dir.path().join("plain.txt"), para).unwrap();
    let report = ok_report(&run_in(dir.path(), &["."]));
    let paths: Vec<&str> = report["clusters"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["./caf\\xE9 \\x.txt", "./plain.txt"]);
}

#[cfg(unix)]
#[test]
fn control_characters_in_names_are_escaped_on_stderr_and_in_annotations() {
    let dir = tempdir();
    let para =
        "Rescue teams reached the village late on Sunday after the landslide cut the only road.";
    // Invalid UTF-8 in the copies, so that stderr names them in a warning; a .gz that is not
    // gzip, so that it names one in an error.
    let mut copy = format!("Header of a copy\n\n{para}\n\nA line with a bad byte ").into_bytes();
    copy.extend_from_slice(b"\xff here.\n");
    let esc = "names/esc\x1b[31mRED\x1b[0m.txt";
    let bel = "names/d\x1b]0;TITLE\x07/c.txt";
    let tab = "names/not\tgzip.txt.gz";
    write_tree(
        dir.path(),
        &[
            ("names/b.txt", format!("{para}\n").as_bytes()),
            (esc, &copy),
            (bel, &copy),
            (tab, para.as_bytes()),
        ],
    );
    let raw = |text: &[u8]| text.iter().any(|&b| (b < 0x20 && b != b'\n') || b == 0x7f);

    let run = run_in(dir.path(), &["names"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        !raw(run.stderr.as_bytes()),
        "raw control in stderr: {:?}",
        run.stderr
    );
    for shown in [
        "dedup: warning: names/esc\\x1B[31mRED\\x1B[0m.txt: invalid UTF-8",
        "dedup: warning: names/d\\x1B]0;TITLE\\x07/c.txt: invalid UTF-8",
        "dedup: names/not\\x09gzip.txt.gz: ",
    ] {
        assert!(
            run.stderr.contains(shown),
            "{shown:?} not in {:?}",
            run.stderr
        );
    }
    // The JSON report keeps the exact names.
    let report = run.json();
    let members: Vec<&str> = report["clusters"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["names/b.txt", bel, esc]);
    assert_eq!(error_paths(&report), [tab]);
    let warned: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["path"].as_str().unwrap())
        .collect();
    assert_eq!(warned, [bel, esc]);

    let github = run_in(dir.path(), &["names", "--format", "github"]);
    assert_eq!(github.code, 2, "{}", github.stderr);
    assert!(
        !raw(&github.stdout),
        "raw control in annotations: {:?}",
        String::from_utf8_lossy(&github.stdout)
    );
    assert!(!raw(github.stderr.as_bytes()), "{:?}", github.stderr);
    let annotations = String::from_utf8(github.stdout).unwrap();
    for shown in [
        "::warning file=names/d\\x1B]0;TITLE\\x07/c.txt,line=3,",
        "::warning file=names/esc\\x1B[31mRED\\x1B[0m.txt,line=3,",
        "::error file=names/not\\x09gzip.txt.gz,title=Unreadable input::",
    ] {
        assert!(
            annotations.contains(shown),
            "{shown:?} not in {annotations:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_with_follow() {
    let dir = tempdir();
    let para = b"The ministry said exports rose 4 percent in March from a year earlier, led by machinery.\n";
    write_tree(
        dir.path(),
        &[("docs/a.txt", para), ("docs/sub/b.txt", para)],
    );
    std::os::unix::fs::symlink("..", dir.path().join("docs/sub/up")).unwrap();
    let plain = run_in(dir.path(), &["docs"]);
    assert_eq!(ok_report(&plain)["summary"]["clusters"], 1);
    let run = run_in(dir.path(), &["docs", "--follow"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("docs/sub/up"), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["files"], 2);
    assert_eq!(report["summary"]["clusters"], 1);
}

/// A temporary folder in memory when the machine has one: creating 100,000 files on a disk
/// file system can take a minute.
fn tempdir_in_memory() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    match tempfile::tempdir_in(shm) {
        Ok(dir) if shm.is_dir() => dir,
        _ => tempdir(),
    }
}

#[test]
fn a_hundred_thousand_tiny_files() {
    let dir = tempdir_in_memory();
    let shared =
        "Shares in the company closed up 3 percent in Frankfurt after the results were published.";
    for d in 0..100 {
        let sub = dir.path().join(format!("{d:03}"));
        std::fs::create_dir(&sub).unwrap();
        for f in 0..1000 {
            let text = if f % 10 == 0 {
                format!("Headline {d} {f}\n{shared}\n")
            } else {
                format!("Note number {d} {f} of the tiny corpus.\n")
            };
            std::fs::write(sub.join(format!("{f:04}.txt")), text).unwrap();
        }
    }
    let report = ok_report(&run_in(dir.path(), &[".", "--summary-only"]));
    let summary = &report["summary"];
    assert_eq!(summary["files"], 100_000);
    assert_eq!(summary["paragraphs"], 110_000);
    assert_eq!(summary["duplicate_paragraphs"], 9_999);
}

#[test]
fn a_long_single_line_is_one_paragraph() {
    let dir = tempdir();
    // About 8 MB on one line, as text and as a JSON Lines record, plus a copy of it.
    let mut line = String::new();
    let mut i = 0u64;
    while line.len() < 8 << 20 {
        line.push_str(&format!("word{} and some filler text ", i % 9973));
        i += 1;
    }
    let line = line.trim_end().to_owned();
    let record = format!("{}\n", json!({"text": line}));
    write_tree(
        dir.path(),
        &[
            ("long.txt", format!("{line}\n").as_bytes()),
            ("copy.txt", format!("intro\n{line}\n").as_bytes()),
            ("long.jsonl", record.as_bytes()),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &[".", "--summary-only"]));
    assert_eq!(report["summary"]["paragraphs"], 4);
    assert_eq!(report["summary"]["exact_clusters"], 1);
    assert_eq!(report["summary"]["duplicate_paragraphs"], 2);
}

#[test]
fn files_changing_and_vanishing_during_the_run_are_reported_and_the_rest_kept() {
    let dir = tempdir();
    let seeds = seed_files();
    for (name, content) in &seeds {
        write_tree(dir.path(), &[(&format!("stable/{name}"), content)]);
    }
    let churn: PathBuf = dir.path().join("churn");
    std::fs::create_dir(&churn).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let churn = churn.clone();
        let seeds = seeds.clone();
        std::thread::spawn(move || {
            let mut round = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (_, content) = &seeds[round % seeds.len()];
                let _ = std::fs::write(
                    churn.join("rewritten.txt"),
                    &content[..content.len() / (1 + round % 3)],
                );
                let gone = churn.join(format!("gone{}.txt", round % 4));
                let _ = std::fs::write(&gone, content);
                let _ = std::fs::remove_file(churn.join(format!("gone{}.txt", (round + 2) % 4)));
                round += 1;
            }
        })
    };
    let mut expected = None;
    for _ in 0..5 {
        let run = run_in(dir.path(), &["."]);
        assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
        let report = run.json();
        for e in report["errors"].as_array().unwrap() {
            let path = e["path"].as_str().unwrap();
            assert!(path.starts_with("./churn/"), "{e}");
            assert!(run.stderr.contains(path), "{}", run.stderr);
        }
        // The stable files' own clusters are always there, whatever happened to the others.
        let stable_members = |c: &Value| -> BTreeSet<String> {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["path"].as_str().unwrap().starts_with("./stable/"))
                .map(place)
                .collect()
        };
        let found: Vec<BTreeSet<String>> = report["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(stable_members)
            .collect();
        let expected = expected.get_or_insert_with(|| {
            let report = ok_report(&run_in(dir.path(), &["./stable"]));
            let all: Vec<BTreeSet<String>> = report["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .map(stable_members)
                .collect();
            all
        });
        for group in expected.iter() {
            assert!(found.iter().any(|f| f.is_superset(group)), "{group:?} lost");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_once_and_its_text_kept() {
    let dir = tempdir();
    let seeds = seed_files();
    let (name, content) = &seeds[0];
    write_tree(dir.path(), &[(name.as_str(), content)]);
    // Named to sort first, so the clusters quote the pipe's text.
    let fifo = dir.path().join("0-pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        panic!("mkfifo failed");
    }
    let writer = {
        let (fifo, content) = (fifo.clone(), content.clone());
        std::thread::spawn(move || std::fs::write(fifo, content).unwrap())
    };
    let report = ok_report(&run_in(dir.path(), &["0-pipe", name]));
    writer.join().unwrap();
    let clusters = report["clusters"].as_array().unwrap();
    assert!(!clusters.is_empty());
    for c in clusters.iter().filter(|c| c["kind"] == "exact") {
        assert_eq!(c["members"][0]["path"], "0-pipe", "{c}");
        assert!(!c["text"].as_str().unwrap().is_empty(), "{c}");
    }
}

#[test]
fn a_compressed_binary_file_is_skipped_without_inflating_it() {
    let dir = tempdir();
    // 64 MiB of zeros is 64 KiB of gzip; only the first 8 KiB are inflated.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    write_tree(
        dir.path(),
        &[
            ("bomb.gz", &encoder.finish().unwrap()),
            ("a.txt", b"One line of text that is here.\n"),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    assert_eq!(report["summary"]["files_skipped"], 1);
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn a_phrase_repeated_thousands_of_times_is_matched_in_linear_time() {
    let dir = tempdir();
    // Every winnowed fingerprint of the repeated part recurs at thousands of positions in both
    // paragraphs; pairing all positions would make hundreds of millions of seeds. (Each stays
    // under `settings.huge_paragraph`, which would match it exactly only.)
    let repeated = "alpha beta gamma delta ".repeat(20_000);
    let tail_a: String = (0..40_000).map(|i| word('x', i) + " ").collect();
    let tail_b: String = (0..40_000).map(|i| word('y', i) + " ").collect();
    write_tree(
        dir.path(),
        &[
            ("a.txt", format!("{repeated}{tail_a}\n").as_bytes()),
            ("b.txt", format!("{tail_b}{repeated}\n").as_bytes()),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    assert_eq!(report["summary"]["clusters"], 0);
    let partials = report["partial_matches"].as_array().unwrap();
    assert_eq!(partials.len(), 1, "{partials:?}");
    let longest = partials[0]["shared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["words"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(longest >= 79_000, "{longest}");
}

#[test]
fn concatenated_gzip_members_and_zstd_frames_are_read_whole() {
    let dir = tempdir();
    let seeds = seed_files();
    let (a, b) = (&seeds[0].1, &seeds[1].1);
    let both = [a.as_slice(), b.as_slice()].concat();
    write_tree(
        dir.path(),
        &[
            ("plain.txt", &both),
            ("both.txt.gz", &[gzip(a), gzip(b)].concat()),
            ("both.txt.zst", &[zstd(a), zstd(b)].concat()),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    let files = report["files"].as_array().unwrap();
    let paragraphs: Vec<&Value> = files.iter().map(|f| &f["paragraphs"]).collect();
    assert_eq!(paragraphs[0], paragraphs[2], "{files:?}");
    assert_eq!(paragraphs[1], paragraphs[2], "{files:?}");
    // The zstd and plain files come after the gzip file: all their paragraphs are copies.
    for f in &files[1..] {
        assert_eq!(f["duplicate_ratio"], 1.0, "{f}");
    }
}

#[test]
fn github_annotations_point_at_the_record_line_of_a_jsonl_file() {
    let dir = tempdir();
    let para =
        "Investors sold the currency after the central bank left rates unchanged on Thursday.";
    let file = format!(
        "{}\n{}\nnot json\n{}\n",
        json!({"text": format!("headline\n{para}")}),
        json!({"text": "another story entirely, with nothing in common"}),
        json!({"text": format!("other\nlines\n{para}")}),
    );
    write_tree(dir.path(), &[("feed.jsonl", file.as_bytes())]);
    let run = run_in(dir.path(), &["feed.jsonl", "--format", "github"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let out = String::from_utf8(run.stdout).unwrap();
    assert!(
        out.contains("::warning file=feed.jsonl,line=4,endLine=4,"),
        "{out}"
    );
    assert!(out.contains("copy of feed.jsonl:1 "), "{out}");
    assert!(out.contains("::error file=feed.jsonl,line=3,"), "{out}");
}

/// A file larger than `--max-file-size` once decompressed (a plain one, or a small gzip file of
/// much text: a bomb) is an error naming it, and the rest is read; at the limit it is read.
#[test]
fn files_over_the_size_limit_are_errors_and_the_rest_is_read() {
    let dir = tempdir();
    let seeds = seed_files();
    let big = "a line of text that repeats\n".repeat(200);
    write_tree(
        dir.path(),
        &[
            ("a.txt", &seeds[1].1[..1000]),
            ("b.txt", &seeds[1].1[..1000]),
            ("plain.txt", big.as_bytes()),
            ("bomb.txt.gz", &gzip(big.as_bytes())),
            ("bomb.txt.zst", &zstd(big.as_bytes())),
        ],
    );
    let limit = 1000.to_string();
    let run = run_in(dir.path(), &["--max-file-size", &limit, "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    let errors: BTreeSet<String> = error_paths(&report).into_iter().collect();
    assert_eq!(
        errors,
        BTreeSet::from(["./bomb.txt.gz", "./bomb.txt.zst", "./plain.txt"].map(String::from))
    );
    assert!(
        run.stderr.contains("larger than --max-file-size"),
        "{}",
        run.stderr
    );
    assert_eq!(report["settings"]["max_file_size"], 1000);
    // a.txt and b.txt are still read and compared.
    assert!(report["summary"]["duplicate_paragraphs"].as_u64().unwrap() > 0);
    // Units, and a limit the files fit in.
    let fits = run_in(dir.path(), &["-q", "--max-file-size", "1K", "."]);
    assert_eq!(fits.code, 2);
    let all = run_in(dir.path(), &["-q", "--max-file-size", "6k", "."]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(run_in(dir.path(), &["--max-file-size", "5X", "."]).code, 2);
}

/// A file larger than the memory the process may take is no crash: under an address-space cap of
/// 2 GB, a sparse 3 GiB file of zeros is skipped as binary from its first bytes (it was an abort
/// when room for the whole file was asked first), and the rest is read.
#[cfg(target_os = "linux")]
#[test]
fn a_file_larger_than_memory_allows_does_not_abort_the_run() {
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[("a.txt", b"One line of text that is here.\n")],
    );
    std::fs::File::create(dir.path().join("zeros.txt"))
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -v 2000000 && exec \"$0\" -q .",
            env!("CARGO_BIN_EXE_dedup"),
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["files_skipped"], 1);
    assert_eq!(report["summary"]["files"], 1);
}

/// A paragraph of more than `settings.huge_paragraph` bytes is matched exactly only: two copies
/// that differ in case, spacing and punctuation are one exact cluster, and a third with one word
/// changed is no near copy of them.
#[test]
fn huge_paragraphs_are_matched_exactly_only() {
    let words: Vec<String> = (0..250_000).map(|i| word('w', i % 5000)).collect();
    let plain = words.join(" ");
    let shouted = words.join(",  ").to_uppercase();
    let mut edited = words.clone();
    edited[125_000] = "changed".into();
    let edited = edited.join(" ");
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[
            ("a.txt", format!("Title\n\n{plain}\n").as_bytes()),
            ("b.txt", shouted.as_bytes()),
            ("c.txt", edited.as_bytes()),
        ],
    );
    let report = ok_report(&run_in(dir.path(), &["."]));
    let huge = report["settings"]["huge_paragraph"].as_u64().unwrap() as usize;
    assert!(
        plain.len() > huge && plain.len() < 2 * huge,
        "{}",
        plain.len()
    );
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{:#?}", describe(&report));
    assert_eq!(clusters[0]["kind"], "exact");
    assert_eq!(clusters[0]["words"], 250_000);
    let members: Vec<String> = clusters[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}:{}", file_name(m), m["line"]))
        .collect();
    assert_eq!(members, ["a.txt:3", "b.txt:1"]);
    assert_eq!(report["summary"]["paragraphs"], 4);
}

#[test]
fn exclude_leaves_out_files_and_folders_and_list_files_shows_what_is_read() {
    let dir = tempdir();
    let text = b"A paragraph long enough to be read as text by the tool.\n";
    write_tree(
        dir.path(),
        &[
            ("corpus/a.txt", text),
            ("corpus/notes.md", text),
            ("corpus/drafts/b.txt", text),
            ("corpus/old/c.txt", text),
            ("corpus/keep/old.txt", text),
            ("held/r.txt", text),
        ],
    );
    let list = run_in(
        dir.path(),
        &[
            "corpus",
            "--reference",
            "held",
            "--exclude",
            "*.md",
            "--exclude",
            "drafts",
            "--exclude",
            "corpus/old",
            "--list-files",
        ],
    );
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(
        String::from_utf8(list.stdout).unwrap(),
        "held/r.txt\treference\ncorpus/a.txt\ncorpus/keep/old.txt\n"
    );
    let report = ok_report(&run_in(
        dir.path(),
        &[
            "corpus",
            "--exclude",
            "*.md",
            "--exclude",
            "drafts",
            "-o",
            "-",
        ],
    ));
    let paths: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["corpus/a.txt", "corpus/keep/old.txt", "corpus/old/c.txt"]
    );
    assert_eq!(report["settings"]["exclude"], json!(["*.md", "drafts"]));
    // A bad pattern is refused.
    assert_eq!(run_in(dir.path(), &["corpus", "--exclude", "[a"]).code, 2);
}
