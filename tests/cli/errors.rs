//! Exit codes and bad input: every problem is named on stderr and in the report, the rest of the
//! corpus is still reported, and the exit status says what happened.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util::{
    ClusterIndex, Run, dedup, error_paths, file_names, run, run_in, tempdir, write_tree,
};

const SHARED: &str = "Clashes have erupted on the Syrian-Iraqi border between Daesh militants and Iraqi paramilitary fighters, a monitoring group said.";

fn corpus(dir: &Path) {
    let a = format!(
        "Story A\n\n{SHARED}\n\nOnly in A, a line of its own about something else entirely.\n"
    );
    let b = format!("Story B\n\n{SHARED}\n");
    write_tree(
        dir,
        &[
            ("corpus/a.txt", a.as_bytes()),
            ("corpus/b.txt", b.as_bytes()),
        ],
    );
}

fn shared_is_clustered(run: &Run) {
    let report = run.json();
    let index = ClusterIndex::new(&report, &["exact"]);
    assert!(
        index.together("a.txt:3", "b.txt:3"),
        "the readable files were not reported"
    );
}

#[test]
fn clean_run_exits_0() {
    let dir = tempdir();
    corpus(dir.path());
    let run = run_in(dir.path(), &["corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    shared_is_clustered(&run);
    assert!(run.json()["errors"].as_array().unwrap().is_empty());
    assert!(
        run.stderr.contains("2 files"),
        "summary line missing: {}",
        run.stderr
    );
    let quiet = run_in(dir.path(), &["-q", "corpus"]);
    assert!(quiet.stderr.is_empty(), "--quiet printed: {}", quiet.stderr);
}

#[test]
fn missing_path_exits_2_and_the_rest_is_reported() {
    let dir = tempdir();
    corpus(dir.path());
    let run = run_in(dir.path(), &["no-such-dir", "corpus"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("dedup: no-such-dir:"), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["errors"][0]["path"], "no-such-dir");
    assert_eq!(report["summary"]["errors"], 1);
    shared_is_clustered(&run);
}

/// Runs the binary on `dir` so that files with mode 000 really cannot be read: as root, which may
/// read anything, the binary is copied next to the corpus and run as `nobody`.
fn run_without_privileges(dir: &Path, args: &[&str]) -> Run {
    let root = fs::metadata(dir).unwrap().uid() == 0;
    let mut cmd = if root {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
        let binary = dir.join("dedup-under-test");
        fs::copy(env!("CARGO_BIN_EXE_dedup"), &binary).unwrap();
        let mut cmd = Command::new(binary);
        cmd.uid(65534).gid(65534);
        cmd
    } else {
        dedup()
    };
    cmd.args(args).current_dir(dir);
    // A test thread that forks while the copy is open for writing holds it open in its child
    // until that child execs, and exec of the copy fails meanwhile ("text file busy").
    let mut tries = 0;
    loop {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            output => return output.unwrap().into(),
        }
    }
}

#[test]
fn unreadable_file_and_folder_exit_2_and_the_rest_is_reported() {
    let dir = tempdir();
    corpus(dir.path());
    write_tree(
        dir.path(),
        &[
            ("corpus/secret.txt", SHARED.as_bytes()),
            ("corpus/locked/inside.txt", SHARED.as_bytes()),
        ],
    );
    for p in ["corpus/secret.txt", "corpus/locked"] {
        fs::set_permissions(dir.path().join(p), fs::Permissions::from_mode(0o000)).unwrap();
    }
    let run = run_without_privileges(dir.path(), &["corpus"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("dedup: corpus/secret.txt: "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("corpus/locked"), "{}", run.stderr);
    let report = run.json();
    assert_eq!(error_paths(&report), ["corpus/locked", "corpus/secret.txt"]);
    assert_eq!(report["summary"]["files"], 2);
    shared_is_clustered(&run);
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let dir = tempdir();
    corpus(dir.path());
    let mut binary = SHARED.as_bytes().to_vec();
    binary.extend_from_slice(b"\n\x00\x01\x02");
    write_tree(dir.path(), &[("corpus/image.bin", &binary)]);
    let run = run_in(dir.path(), &["corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["files"], 2);
    assert_eq!(report["summary"]["files_skipped"], 1);
    let skipped: Vec<_> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["skipped"] == "binary")
        .collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["path"], "corpus/image.bin");
    // The binary file's text was not read: the shared paragraph has two copies, not three.
    assert_eq!(report["clusters"][0]["size"], 2);
}

/// Runs `dedup` with `args` in `dir`, failing instead of hanging when it does not finish within a
/// minute (a FIFO opened without a writer blocks); `read_ahead` sets `DEDUP_READ_AHEAD`.
fn run_or_time_out(dir: &Path, args: &[&str], read_ahead: &str) -> Run {
    let mut child = dedup()
        .env("DEDUP_READ_AHEAD", read_ahead)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("dedup {args:?} did not finish: it opened a FIFO?");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap().into()
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
}

#[cfg(unix)]
#[test]
fn fifos_and_sockets_inside_a_folder_are_listed_as_skipped_and_never_opened() {
    let dir = tempdir();
    corpus(dir.path());
    let fifo = dir.path().join("corpus/pipe.txt");
    mkfifo(&fifo);
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("corpus/sock")).unwrap();
    // Reading ahead (forced from the first file) opens no FIFO either.
    for read_ahead in ["0", "1"] {
        let run = run_or_time_out(dir.path(), &["corpus"], read_ahead);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // No warning: the summary line is all stderr says.
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains("2 files"), "{}", run.stderr);
        let report = run.json();
        assert_eq!(report["summary"]["files"], 2);
        assert_eq!(report["summary"]["files_skipped"], 2);
        assert_eq!(report["summary"]["warnings"], 0);
        let files: Vec<(&str, &str)> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap(),
                    f["skipped"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                ("corpus/a.txt", ""),
                ("corpus/b.txt", ""),
                ("corpus/pipe.txt", "special"),
                ("corpus/sock", "special"),
            ]
        );
        shared_is_clustered(&run);

        // Named on the command line too, the FIFO is read (like `<(zcat a.gz)`), once.
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::write(fifo, format!("Story P\n\n{SHARED}\n")).unwrap())
        };
        let run = run_or_time_out(dir.path(), &["corpus/pipe.txt", "corpus"], read_ahead);
        if !writer.is_finished() {
            // dedup did not open it: let the writer go.
            drop(fs::File::open(&fifo));
        }
        writer.join().unwrap();
        assert_eq!(run.code, 0, "{}", run.stderr);
        let report = run.json();
        assert_eq!(report["summary"]["files"], 3);
        assert_eq!(report["summary"]["files_skipped"], 1);
        let pipe = &report["files"][2];
        assert_eq!(pipe["path"], "corpus/pipe.txt");
        assert!(pipe.get("skipped").is_none(), "{pipe}");
        assert_eq!(report["clusters"][0]["size"], 3);
    }
}

#[test]
fn invalid_utf8_is_read_lossily_with_a_warning() {
    let dir = tempdir();
    let latin1 =
        b"The caf\xe9 on the corner of the square was closed by the police on Friday evening.\n";
    let mut b = b"Header line\n".to_vec();
    b.extend_from_slice(latin1);
    write_tree(
        dir.path(),
        &[("corpus/a.txt", latin1), ("corpus/b.txt", &b)],
    );
    let run = run_in(dir.path(), &["corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("corpus/a.txt: invalid UTF-8") && run.stderr.contains("corpus/b.txt"),
        "{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["summary"]["warnings"], 2);
    let cluster = &report["clusters"][0];
    assert!(cluster["text"].as_str().unwrap().contains("caf\u{FFFD} on"));
    // Offsets are byte offsets in the original file, not in the decoded text.
    let member = &cluster["members"][1];
    assert_eq!(member["path"], "corpus/b.txt");
    assert_eq!(member["start"], 12);
    assert_eq!(member["end"].as_u64().unwrap() as usize, b.len() - 1);
}

#[test]
fn a_path_holding_no_file_to_read_is_an_error_so_a_gate_cannot_pass_by_mistake() {
    let dir = tempdir();
    fs::create_dir(dir.path().join("empty")).unwrap();
    fs::create_dir(dir.path().join("hidden")).unwrap();
    fs::write(
        dir.path().join("hidden/.only"),
        "A hidden file is not read by default.\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("full")).unwrap();
    fs::write(dir.path().join("full/a.txt"), "Text to read in a file.\n").unwrap();
    let run = run_in(
        dir.path(),
        &["empty", "hidden", "full/", "--fail-on-duplicates"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("dedup: empty: no files to read under it"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("dedup: hidden: no files to read under it"),
        "{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(crate::util::error_paths(&report), ["empty", "hidden"]);
    assert_eq!(report["summary"]["files"], 1);
    // A mistyped extension names itself.
    let run = run_in(dir.path(), &["full", "-e", "md"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("full: no files to read under it with the extension md"),
        "{}",
        run.stderr
    );
    // A folder whose name another one extends is told apart: `full` holds `full/a.txt`, and
    // `ful` holds nothing even though `full/a.txt` starts with its bytes.
    fs::create_dir(dir.path().join("ful")).unwrap();
    let run = run_in(dir.path(), &["ful", "full"]);
    assert_eq!(crate::util::error_paths(&run.json()), ["ful"]);
}

#[test]
fn output_file_is_written_whole_or_not_at_all() {
    let dir = tempdir();
    corpus(dir.path());
    fs::create_dir(dir.path().join("out")).unwrap();

    let to_stdout = run_in(dir.path(), &["corpus"]);
    let to_file = run_in(dir.path(), &["-o", "out/report.json", "corpus"]);
    assert_eq!(to_file.code, 0, "{}", to_file.stderr);
    assert!(to_file.stdout.is_empty(), "-o must keep stdout empty");
    let written = fs::read(dir.path().join("out/report.json")).unwrap();
    assert_eq!(written, to_stdout.stdout);

    // A run that fails leaves the previous report as it was, and no temporary file behind.
    let failed = run_in(
        dir.path(),
        &["-o", "out/report.json", "--threshold", "1.5", "corpus"],
    );
    assert_eq!(failed.code, 2);
    assert!(failed.stderr.contains("threshold"), "{}", failed.stderr);
    assert_eq!(
        fs::read(dir.path().join("out/report.json")).unwrap(),
        written
    );
    let unwritable = run_in(dir.path(), &["-o", "missing/report.json", "corpus"]);
    assert_eq!(unwritable.code, 2);
    assert!(
        unwritable.stderr.contains("cannot write the report"),
        "{}",
        unwritable.stderr
    );
    assert!(!dir.path().join("missing").exists());
    assert_eq!(file_names(&dir.path().join("out")), ["report.json"]);

    // A later run replaces the report in one step (swapped into place where the file system can),
    // leaving neither the old report nor a temporary file behind.
    fs::write(
        dir.path().join("corpus/c.txt"),
        format!("Story C\n\n{SHARED}\n"),
    )
    .unwrap();
    let replaced = run_in(dir.path(), &["-o", "out/report.json", "corpus"]);
    assert_eq!(replaced.code, 0, "{}", replaced.stderr);
    let rewritten = fs::read(dir.path().join("out/report.json")).unwrap();
    assert_ne!(rewritten, written);
    assert_eq!(rewritten, run_in(dir.path(), &["corpus"]).stdout);
    assert_eq!(file_names(&dir.path().join("out")), ["report.json"]);
}

#[test]
fn write_errors_name_the_file_asked_for_and_exit_2() {
    let dir = tempdir();
    corpus(dir.path());
    let named = |run: &Run, what: &str, path: &str| {
        assert_eq!(run.code, 2, "{}", run.stderr);
        let expected = format!("dedup: cannot write {what} to {path}: ");
        assert!(
            run.stderr.contains(&expected),
            "{expected:?} not in {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains(".dedup-"),
            "temporary file named: {}",
            run.stderr
        );
    };

    // A path under a regular file.
    let under_a_file = run_in(dir.path(), &["-o", "corpus/a.txt/report.json", "corpus"]);
    named(&under_a_file, "the report", "corpus/a.txt/report.json");
    assert!(
        under_a_file.stderr.contains("Not a directory"),
        "{}",
        under_a_file.stderr
    );

    // A folder that cannot be written to (as `nobody` when the tests run as root).
    fs::create_dir(dir.path().join("out")).unwrap();
    fs::set_permissions(dir.path().join("out"), fs::Permissions::from_mode(0o555)).unwrap();
    let read_only = run_without_privileges(dir.path(), &["-o", "out/report.json", "corpus"]);
    named(&read_only, "the report", "out/report.json");
    assert!(
        read_only.stderr.contains("Permission denied"),
        "{}",
        read_only.stderr
    );
    assert!(file_names(&dir.path().join("out")).is_empty());

    // The baseline is named as the baseline.
    let baseline = run_in(
        dir.path(),
        &[
            "--write-baseline",
            "corpus/a.txt/baseline.json",
            "-o",
            "report.json",
            "corpus",
        ],
    );
    named(&baseline, "the baseline", "corpus/a.txt/baseline.json");
    assert!(
        !baseline.stderr.contains("the report"),
        "{}",
        baseline.stderr
    );
}

#[test]
fn closed_stdout_ends_quietly() {
    let mut child = dedup()
        .args(["-j1", "--pretty", "fixtures/seeds"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("cannot write"),
        "{stderr}"
    );
}

#[test]
fn help_lists_the_exit_codes() {
    let help = run(&["--help"]);
    assert_eq!(help.code, 0);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("Exit status"));
    for line in ["0  the run finished", "1  a CI rule", "2  an error"] {
        assert!(text.contains(line), "--help lacks {line:?}");
    }
    let bad = run(&["--no-such-flag", "x"]);
    assert_eq!(bad.code, 2);
}

/// An absurd thread count is refused at once with exit 2 (a pool of 100,000 threads hung), and
/// the largest accepted one runs.
#[test]
fn too_many_threads_are_refused() {
    let refused = run(&["-j", "100000", "fixtures/seeds/000_2ad6602cf03491f6.txt"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("at most 1024"),
        "{}",
        refused.stderr
    );
    let most = run(&[
        "-q",
        "-j",
        "1024",
        "fixtures/seeds/000_2ad6602cf03491f6.txt",
    ]);
    assert_eq!(most.code, 0, "{}", most.stderr);
}

/// A killed run leaves its temporary report behind; the next run writing the same report removes
/// the ones whose process is gone, and leaves those of running processes and of other reports.
#[cfg(target_os = "linux")]
#[test]
fn stale_temporary_reports_are_removed_by_the_next_run() {
    let dir = tempdir();
    let gone = ".report.json.dedup-999999999-AbCdEf";
    let running = format!(".report.json.dedup-{}-AbCdEf", std::process::id());
    let other = ".other.json.dedup-999999999-AbCdEf";
    write_tree(
        dir.path(),
        &[
            ("corpus/a.txt", b"Some text here.\n"),
            (&format!("out/{gone}"), b"{\"version\": 1, \"summ"),
            (&format!("out/{running}"), b"{"),
            (&format!("out/{other}"), b"{"),
        ],
    );
    let run = run_in(dir.path(), &["-q", "-o", "out/report.json", "corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected = vec![other.to_owned(), running, "report.json".to_owned()];
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn a_report_that_cannot_be_written_is_refused_before_the_work_naming_the_file() {
    let dir = tempdir();
    corpus(dir.path());
    fs::create_dir(dir.path().join("folder")).unwrap();
    for (args, says) in [
        (
            vec!["corpus", "-o", "nodir/r.json"],
            "cannot write the report to nodir/r.json: there is no folder nodir",
        ),
        (
            vec!["corpus", "-o", "folder"],
            "cannot write the report to folder: it is a folder",
        ),
        (
            vec!["corpus", "--write-baseline", "nodir/b.json", "-o", "r.json"],
            "cannot write the baseline to nodir/b.json: there is no folder nodir",
        ),
    ] {
        let run = run_in(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim(), format!("dedup: {says}"), "{args:?}");
        assert!(!run.stderr.contains(".dedup-"), "never the temporary name");
    }
    assert!(!dir.path().join("r.json").exists(), "nothing was run");
}

#[test]
fn pretty_and_summary_only_work_with_the_formats_they_fit_and_are_refused_with_the_others() {
    let dir = tempdir();
    corpus(dir.path());
    for (format, flag) in [
        ("jsonl", "--pretty"),
        ("github", "--pretty"),
        ("github", "--summary-only"),
        ("text", "--summary-only"),
        ("html", "--pretty"),
    ] {
        let run = run_in(dir.path(), &["corpus", "--format", format, flag]);
        assert_eq!(run.code, 2, "{format} {flag}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("not with --format {format}")),
            "{}",
            run.stderr
        );
    }
    // JSON Lines with --summary-only: no cluster, partial match or passage lines.
    let run = run_in(
        dir.path(),
        &["corpus", "--format", "jsonl", "--summary-only"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let types: Vec<String> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("header"));
    assert_eq!(types.last().map(String::as_str), Some("summary"));
    assert!(
        types
            .iter()
            .all(|t| ["header", "file", "warning", "error", "summary"].contains(&t.as_str())),
        "{types:?}"
    );
}

#[test]
fn timings_go_to_stderr_and_leave_the_report_alone() {
    let plain = run(&["fixtures/seeds"]);
    let timed = dedup()
        .args(["fixtures/seeds"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DEDUP_TIMINGS", "1")
        .output()
        .expect("cannot start dedup");
    assert_eq!(timed.stdout, plain.stdout);
    let stderr = String::from_utf8_lossy(&timed.stderr);
    for stage in ["scan", "verify", "shared text", "writing", "total"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("dedup: timings: {stage} "))),
            "{stage} missing from {stderr}"
        );
    }
    // The peak resident memory, read from /proc: a process of several megabytes.
    let total = stderr
        .lines()
        .find(|l| l.starts_with("dedup: timings: total "))
        .unwrap();
    let peak: u64 = total
        .split_once("peak")
        .and_then(|(_, mb)| mb.trim().strip_suffix("MB"))
        .and_then(|mb| mb.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {total}"));
    assert!(peak >= 1, "{total}");
    assert!(!plain.stderr.contains("timings"), "{}", plain.stderr);
}

/// A subcommand written after an option is read as a path; when no file or folder has that
/// name, the message says where the subcommand goes. A folder named `index` is still a path.
#[test]
fn a_subcommand_after_an_option_is_told_to_go_first() {
    let dir = tempdir();
    write_tree(
        dir.path(),
        &[(
            "index/a.txt",
            b"Hello world, this is a file of several words.\n",
        )],
    );
    let misplaced = run_in(dir.path(), &["-q", "apply", "report.json"]);
    assert_eq!(misplaced.code, 2, "{}", misplaced.stderr);
    assert!(
        misplaced.stderr.contains("apply is no file or folder here")
            && misplaced.stderr.contains("goes first"),
        "{}",
        misplaced.stderr
    );
    let folder = run_in(dir.path(), &["-q", "index"]);
    assert_eq!(folder.code, 0, "{}", folder.stderr);
    assert_eq!(folder.json()["summary"]["files"], 1);
}
