//! The HTML report of the seeds in a real browser: headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs when missing) runs its script; the DOM then shows as many clusters, members
//! and shared texts as the JSON report, no script error, a filter from the address narrows the
//! clusters, and a screenshot is saved (`target/html-report.png`) for a person to look at.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::util::{run, seeds_report};

/// The DOM after the page's script ran, for `url`; and what Chromium said on stderr.
fn dom(url: &str, screenshot: Option<&Path>) -> String {
    let mut chromium = Command::new("chromium");
    chromium.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
    ]);
    match screenshot {
        Some(png) => chromium
            .arg("--window-size=1400,1800")
            .arg(format!("--screenshot={}", png.display())),
        None => chromium.arg("--dump-dom"),
    };
    let out = chromium.arg(url).output().expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn the_html_report_shows_the_json_reports_findings_in_chromium() {
    let dir = crate::util::tempdir();
    let page = dir.path().join("report.html");
    let written = run(&[
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "fixtures/seeds",
    ]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing fetched (the SVG namespace is a name, not a request).
    for fetch in ["src=\"http", "href=\"http", "@import", "url(http", "fetch("] {
        assert!(!html.contains(fetch), "{fetch}");
    }

    let report = seeds_report();
    let clusters = report["clusters"].as_array().unwrap();
    let url = format!("file://{}", page.display());
    let shown = dom(&url, None);
    assert!(
        shown.contains("<pre id=\"errors\" hidden=\"\"></pre>"),
        "a script error: {shown}"
    );
    assert_eq!(count(&shown, "data-cluster-id=\""), clusters.len());
    for c in clusters {
        let id = c["id"].as_str().unwrap();
        assert!(shown.contains(&format!("data-cluster-id=\"{id}\"")), "{id}");
    }
    let copies: usize = clusters
        .iter()
        .map(|c| c["members"].as_array().unwrap().len() - 1)
        .sum();
    assert_eq!(count(&shown, "class=\"pair member\""), copies);
    // Shared texts: the distinct texts of the partial matches' longest runs, cut from the files.
    let texts: BTreeSet<String> = report["partial_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let longest = p["shared"]
                .as_array()
                .unwrap()
                .iter()
                .max_by_key(|s| {
                    (
                        s["words"].as_u64(),
                        std::cmp::Reverse(s["a_start"].as_u64()),
                    )
                })
                .unwrap();
            let bytes = std::fs::read(p["a"]["path"].as_str().unwrap()).unwrap();
            let (start, end) = (
                longest["a_start"].as_u64().unwrap(),
                longest["a_end"].as_u64().unwrap(),
            );
            let text = String::from_utf8_lossy(&bytes[start as usize..end as usize]).into_owned();
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect();
    assert_eq!(count(&shown, "class=\"shared\""), texts.len());
    // A side-by-side diff marks what changed.
    assert!(shown.contains("<del>squeezed</del>") && shown.contains("<ins>pressed</ins>"));

    // A filter narrows the list: near clusters only.
    let near = clusters.iter().filter(|c| c["kind"] == "near").count();
    assert!(near > 0 && near < clusters.len());
    let filtered = dom(&format!("{url}#kind=near"), None);
    assert_eq!(count(&filtered, "data-cluster-id=\""), near);
    let by_path = dom(&format!("{url}#path=001_"), None);
    assert!(count(&by_path, "data-cluster-id=\"") < clusters.len());

    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../html-report.png");
    dom(&format!("{url}#kind=near"), Some(&png));
    let image = std::fs::read(&png).unwrap();
    assert!(
        image.starts_with(b"\x89PNG") && image.len() > 50_000,
        "{}",
        image.len()
    );
}
