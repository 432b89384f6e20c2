//! Helpers for the integration tests: run the real binary, parse its report, find paragraphs.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The binary under test.
pub fn dedup() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dedup"));
    cmd.env_remove("NO_COLOR").env_remove("RAYON_NUM_THREADS");
    cmd
}

/// A bundled fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// What one run gave.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}); stderr:\n{}",
                self.stderr
            )
        })
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().expect("dedup was killed by a signal"),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `dedup` with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    dedup()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot start dedup")
        .into()
}

/// Runs `dedup` with `args` in `dir`, `stdin` written to its standard input.
pub fn run_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = dedup()
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cannot start dedup");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("dedup ran").into()
}

/// Runs `dedup` with `args` from the crate root.
pub fn run(args: &[&str]) -> Run {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// The file name at the end of a member's path.
pub fn file_name(member: &Value) -> String {
    let path = member["path"].as_str().expect("member path");
    Path::new(path)
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// For every `FILE:LINE` label, the indexes of the clusters whose member contains that line
/// (`line..=end_line`), looking only at clusters whose kind passes `kinds`.
pub struct ClusterIndex {
    members: Vec<(String, u64, u64, usize)>,
}

impl ClusterIndex {
    pub fn new(report: &Value, kinds: &[&str]) -> Self {
        let mut members = Vec::new();
        for (i, cluster) in report["clusters"].as_array().unwrap().iter().enumerate() {
            if !kinds.contains(&cluster["kind"].as_str().unwrap()) {
                continue;
            }
            for m in cluster["members"].as_array().unwrap() {
                members.push((
                    file_name(m),
                    m["line"].as_u64().unwrap(),
                    m["end_line"].as_u64().unwrap(),
                    i,
                ));
            }
        }
        ClusterIndex { members }
    }

    /// Clusters holding the paragraph labelled `FILE:LINE`.
    pub fn clusters_of(&self, label: &str) -> Vec<usize> {
        let (file, line) = label.rsplit_once(':').expect("label is FILE:LINE");
        let line: u64 = line.parse().expect("line number");
        self.members
            .iter()
            .filter(|(f, first, last, _)| f == file && (*first..=*last).contains(&line))
            .map(|m| m.3)
            .collect()
    }

    /// Whether the two labelled paragraphs share a cluster.
    pub fn together(&self, a: &str, b: &str) -> bool {
        let theirs = self.clusters_of(b);
        self.clusters_of(a).iter().any(|c| theirs.contains(c))
    }
}

/// Writes `files` (relative path → content) under `dir`, in the given order.
pub fn write_tree(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// Cluster kinds by representative `FILE:LINE`, for readable failure messages.
pub fn describe(report: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for c in report["clusters"].as_array().unwrap() {
        let members: Vec<String> = c["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{}:{}", file_name(m), m["line"]))
            .collect();
        out.insert(
            format!("{} {}", c["kind"].as_str().unwrap(), members[0]),
            members,
        );
    }
    out
}

/// The seed files, sorted by name: (file name, content).
pub fn seed_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture("seeds"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The `i`th of a series of distinct words of letters only (digits would make them figures),
/// each starting with `prefix`.
pub fn word(prefix: char, mut i: usize) -> String {
    let mut w = String::from(prefix);
    loop {
        w.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            return w;
        }
    }
}

/// The paths in a report's `errors`, in order.
pub fn error_paths(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect()
}

/// The names in a folder, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The report of a run that must succeed.
pub fn ok_report(run: &Run) -> Value {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.json()
}

/// The seed labels, fixtures/seeds-truth.json.
pub fn truth() -> Value {
    let text = std::fs::read_to_string(fixture("seeds-truth.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The `(a, b)` labels of one kind of labelled pair (`near_pairs`, `partial_pairs`, ...).
pub fn truth_pairs(kind: &str) -> Vec<(String, String)> {
    truth()[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().to_owned(),
                p["b"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The report for the seed corpus with default flags.
pub fn seeds_report() -> Value {
    ok_report(&run(&["fixtures/seeds"]))
}

/// xorshift64*: a tiny deterministic generator, so every run tests the same corpora.
pub struct Rng(pub u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// A new empty temporary folder, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `bytes` zstd-compressed (one frame, with its content checksum).
pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}
