//! The random-input driver: many small corpora of hostile bytes (random bytes, text, broken and
//! whole gzip and zstd streams, JSON Lines with odd fields, UTF-16, long lines, blank runs), each
//! run through the real binary with random flags. No run may panic: the exit status is 0, 1 or
//! 2, stderr holds no panic message, and a JSON report always parses.
//!
//! `DEDUP_RANDOM_RUNS=N` sets the number of runs (CI runs 5,000; the default keeps the test
//! suite quick). The seeds are fixed, so a failure names a run that fails again.

use crate::util::{Rng, gzip, run_in, tempdir, write_tree, zstd};

const WORDS: &[&str] = &[
    "the",
    "bank",
    "said",
    "rates",
    "Qtly",
    "div",
    "five",
    "cts",
    "vs",
    "prior",
    "BEIRUT",
    "(Reuters)",
    "-",
    "1,500",
    "6-5/16",
    "#39;",
    "&amp;",
    "<b>",
    "naïve",
    "ﬁsh",
    "İstanbul",
    "ß",
    "\u{301}",
    "x\u{200b}y",
    "mln",
    "dlrs",
    "March",
    "16",
    "(Reporting",
    "by",
    "Jane;",
    "Editing",
    "Mark)",
    "a,",
    "b;",
    "C,",
];

fn words(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn text(rng: &mut Rng) -> Vec<u8> {
    let mut out = String::new();
    for _ in 0..rng.below(12) {
        let n = rng.below(30);
        out.push_str(&words(rng, n));
        out.push_str(["\n", "\n\n", "\r\n", "\r", "\n\n\n", " \n"][rng.below(6)]);
    }
    out.into_bytes()
}

/// One hostile file: its name and bytes.
fn file(rng: &mut Rng, i: usize) -> (String, Vec<u8>) {
    let body = text(rng);
    let (suffix, bytes) = match rng.below(10) {
        0 => (
            "txt",
            (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        ),
        1 => ("txt.gz", gzip(&body)),
        2 => {
            let z = gzip(&body);
            let cut = rng.below(z.len() + 1);
            ("txt.gz", z[..cut].to_vec())
        }
        3 => ("txt.zst", zstd(&body)),
        4 => {
            let mut z = zstd(&body);
            let at = rng.below(z.len());
            z[at] ^= 1 << rng.below(8);
            ("txt.zst", z)
        }
        5 => {
            let mut out = String::new();
            for _ in 0..rng.below(6) {
                let record = match rng.below(5) {
                    0 => format!(
                        "{{\"text\": {:?}, \"id\": {}}}",
                        words(rng, 10),
                        rng.below(9)
                    ),
                    1 => "{\"text\": 5, \"id\": [1]}".to_owned(),
                    2 => format!("{{\"text\": \"{}\"", words(rng, 3)),
                    3 => "[1, 2]".to_owned(),
                    _ => format!("{{\"id\": \"x\", \"text\": {:?}}}", words(rng, 20)),
                };
                out.push_str(&record);
                out.push('\n');
            }
            ("jsonl", out.into_bytes())
        }
        6 => {
            let utf16: Vec<u8> = String::from_utf8_lossy(&body)
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            let mut bytes = b"\xFF\xFE".to_vec();
            bytes.extend(utf16);
            if rng.chance(0.3) {
                bytes.pop();
            }
            ("txt", bytes)
        }
        7 => ("txt", words(rng, 2000).into_bytes()),
        8 => ("txt", b"\n\n \n\t\n".repeat(rng.below(50))),
        _ => ("txt", body),
    };
    (format!("f{i:02}.{suffix}"), bytes)
}

fn flags(rng: &mut Rng) -> Vec<String> {
    let mut flags = Vec::new();
    let choices: &[&[&str]] = &[
        &["--exact-only"],
        &["--ignore-figures"],
        &["--keep-spelling"],
        &["--jsonl"],
        &["--encoding", "latin1"],
        &["--format", "jsonl"],
        &["--format", "github"],
        &["--summary-only"],
        &["--fail-on-duplicates"],
        &["-j", "3"],
    ];
    for choice in choices {
        if rng.chance(0.15) {
            flags.extend(choice.iter().map(|s| s.to_string()));
        }
    }
    if rng.chance(0.3) {
        flags.push("-t".into());
        flags.push(format!("0.{}", 1 + rng.below(9)));
    }
    if rng.chance(0.3) {
        flags.push("--shingle".into());
        flags.push((1 + rng.below(5)).to_string());
    }
    if rng.chance(0.3) {
        flags.push("--min-words".into());
        flags.push(rng.below(10).to_string());
    }
    if rng.chance(0.2) {
        flags.push("--min-shared-words".into());
        flags.push((4 + rng.below(8)).to_string());
    }
    flags
}

#[test]
fn random_inputs_and_flags_never_panic() {
    let runs: usize = std::env::var("DEDUP_RANDOM_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    for run in 0..runs {
        let mut rng = Rng::new(0xF0_22 + run as u64);
        let dir = tempdir();
        let files: Vec<(String, Vec<u8>)> =
            (0..1 + rng.below(5)).map(|i| file(&mut rng, i)).collect();
        let tree: Vec<(String, Vec<u8>)> = files
            .into_iter()
            .map(|(name, bytes)| (format!("corpus/{name}"), bytes))
            .collect();
        let tree: Vec<(&str, &[u8])> = tree
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        write_tree(dir.path(), &tree);
        let flags = flags(&mut rng);
        let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
        args.push("corpus");
        let out = run_in(dir.path(), &args);
        let context = format!("run {run}: dedup {}\n{}", args.join(" "), out.stderr);
        assert!((0..=2).contains(&out.code), "exit {}: {context}", out.code);
        assert!(!out.stderr.contains("panicked"), "{context}");
        // A usage error (a bad combination of flags) writes no report.
        let json = !flags.iter().any(|f| f == "jsonl" || f == "github");
        if json && !(out.code == 2 && out.stderr.contains("Usage:")) {
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {context}"));
        }
    }
}
