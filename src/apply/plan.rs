//! A report to what `dedup apply` removes: per file, the paragraphs to cut and the copy each one
//! leaves in its place.
//!
//! In: the bytes of a report as `dedup` wrote it (one JSON document, or JSON Lines), which copies
//! to drop ([`Copies`]) and which to keep ([`Keep`]). Out: a [`Plan`]: how the run read its files,
//! the inputs it was given, and every file of the report with its [`Removal`]s in text order.
//!
//! In each duplicate cluster one member is kept and the others are removed (never reference
//! text: with `--reference`, the reference files are not written and their paragraphs stay): with
//! [`Copies::ExactAndNear`], every exact and near cluster; with [`Copies::Exact`], the exact clusters and,
//! in a near cluster, the representative's exact copies (the members of similarity 1.0), a group
//! of their own. Template clusters, shared text and partial matches are never removed.

use std::collections::HashMap;

use serde::Deserialize;

use crate::cluster::Kind;
use crate::read::{Encoding, ReadOptions};
use crate::report::FORMAT_VERSION;

/// Which redundant copies to remove (`--drop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Copies {
    /// Exact and near copies.
    #[default]
    ExactAndNear,
    /// Exact copies only.
    Exact,
}

/// Which member of a cluster stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// The representative: the first in report order, the earliest copy.
    #[default]
    First,
    /// The longest (most bytes; the first of those): the most complete version of a story.
    Longest,
}

/// What a report says to remove.
#[derive(Debug)]
pub struct Plan {
    /// How the run read its files, to read them again the same way.
    pub read: ReadOptions,
    /// The PATH arguments of the run, as the report lists them.
    pub inputs: Vec<String>,
    /// Its `--reference` paths.
    pub references: Vec<String>,
    /// Every file of the report, in report order.
    pub files: Vec<PlannedFile>,
}

/// One file of the report and what to cut from it.
#[derive(Debug)]
pub struct PlannedFile {
    /// The file as the report names it.
    pub path: String,
    /// Why the run skipped it (`binary`, `special`), if it did.
    pub skipped: Option<String>,
    /// The length of its text as read.
    pub text_bytes: Option<u64>,
    /// The hash of that text.
    pub text_hash: Option<String>,
    /// The bytes of its paragraphs.
    pub paragraph_bytes: u64,
    /// Its paragraphs to remove, in text order (record, then start).
    pub removals: Vec<Removal>,
}

/// A paragraph to remove, and the member of its cluster that stays.
#[derive(Debug, Clone)]
pub struct Removal {
    /// The paragraph.
    pub member: Place,
    /// Its cluster's id.
    pub cluster: String,
    /// Its cluster's kind.
    pub kind: Kind,
    /// The member kept.
    pub kept: Place,
}

/// Where a paragraph is, as the report gives it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Place {
    /// Its file.
    pub path: String,
    /// For a JSON Lines record, its line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u32>,
    /// Its index in its document.
    pub paragraph: u32,
    /// Its first line in the document.
    pub line: u32,
    /// Its last line.
    pub end_line: u32,
    /// Its first byte in the document's text.
    pub start: usize,
    /// Just past its last byte.
    pub end: usize,
    /// Its similarity to the representative, as the report gives it; not written again.
    #[serde(default, skip_serializing)]
    pub similarity: Option<f64>,
    /// Reference text (`--reference`): never removed.
    #[serde(default, skip_serializing)]
    pub reference: bool,
}

#[derive(Deserialize)]
struct ReportIn {
    version: u32,
    settings: SettingsIn,
    clusters: Option<Vec<ClusterIn>>,
    files: Vec<FileIn>,
}

#[derive(Deserialize)]
struct SettingsIn {
    #[serde(default)]
    inputs: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    jsonl: bool,
    text_field: String,
    #[serde(default)]
    id_field: Option<String>,
    encoding: Encoding,
    max_file_size: u64,
}

#[derive(Deserialize)]
struct ClusterIn {
    id: String,
    kind: Kind,
    members: Vec<Place>,
}

#[derive(Deserialize)]
struct FileIn {
    path: String,
    bytes: u64,
    #[serde(default)]
    skipped: Option<String>,
    #[serde(default)]
    text_bytes: Option<u64>,
    #[serde(default)]
    text_hash: Option<String>,
    #[serde(default)]
    reference: bool,
}

/// The lines of a JSON Lines report that `apply` reads.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum LineIn {
    Header {
        version: u32,
        settings: SettingsIn,
    },
    Cluster(ClusterIn),
    File(FileIn),
    #[serde(other)]
    Other,
}

/// Reads a report (JSON or JSON Lines) and plans the removals.
pub fn plan(report: &[u8], drop: Copies, keep: Keep) -> Result<Plan, String> {
    let report = parse(report)?;
    if report.version != FORMAT_VERSION {
        return Err(format!(
            "it is report format {}; this dedup applies format {FORMAT_VERSION}",
            report.version
        ));
    }
    let clusters = report
        .clusters
        .ok_or("it has no clusters (written with --summary-only?): run dedup again without it")?;
    let s = report.settings;
    let read = ReadOptions {
        jsonl: s.jsonl,
        text_field: s.text_field,
        id_field: s.id_field,
        encoding: s.encoding,
        max_file_size: s.max_file_size,
    };
    // Reference files are not part of the corpus being cleaned: they are not written.
    let mut files: Vec<PlannedFile> = report
        .files
        .into_iter()
        .filter(|f| !f.reference)
        .map(|f| PlannedFile {
            path: f.path,
            skipped: f.skipped,
            text_bytes: f.text_bytes,
            text_hash: f.text_hash,
            paragraph_bytes: f.bytes,
            removals: Vec::new(),
        })
        .collect();
    let index: HashMap<String, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.clone(), i))
        .collect();
    for cluster in clusters {
        for group in groups(&cluster, drop) {
            let kept = kept(&group, keep);
            for (i, member) in group.iter().enumerate() {
                if i == kept || member.reference {
                    continue;
                }
                let file = *index.get(&member.path).ok_or_else(|| {
                    format!(
                        "cluster {} names {}, which is not in its files",
                        cluster.id, member.path
                    )
                })?;
                files[file].removals.push(Removal {
                    member: (*member).clone(),
                    cluster: cluster.id.clone(),
                    kind: cluster.kind,
                    kept: group[kept].clone(),
                });
            }
        }
    }
    for file in &mut files {
        file.removals
            .sort_by_key(|r| (r.member.record, r.member.start));
    }
    Ok(Plan {
        read,
        inputs: s.inputs,
        references: s.references,
        files,
    })
}

/// The groups of a cluster in which one member stays and the rest go.
fn groups(cluster: &ClusterIn, drop: Copies) -> Vec<Vec<&Place>> {
    let places = |keep: &dyn Fn(&Place) -> bool| -> Vec<&Place> {
        cluster.members.iter().filter(|m| keep(m)).collect()
    };
    match (cluster.kind, drop) {
        (Kind::Template, _) => Vec::new(),
        (Kind::Exact, _) | (Kind::Near, Copies::ExactAndNear) => vec![places(&|_| true)],
        (Kind::Near, Copies::Exact) => vec![places(&|m| m.similarity == Some(1.0))],
    }
}

/// The index of the member kept in `group`: with reference text in it, always the
/// representative, the earliest reference copy.
fn kept(group: &[&Place], keep: Keep) -> usize {
    match keep {
        _ if group.first().is_some_and(|p| p.reference) => 0,
        Keep::First => 0,
        Keep::Longest => {
            let mut best = 0;
            for (i, p) in group.iter().enumerate() {
                if p.end - p.start > group[best].end - group[best].start {
                    best = i;
                }
            }
            best
        }
    }
}

/// How a JSON Lines report starts: its header line's type, written first.
const JSONL_HEADER: &[u8] = b"{\"type\":\"header\"";

/// The report as one JSON document, or its JSON Lines put together. (Which one is told by the
/// first bytes: a compact JSON report is one line, which must not be parsed as a tagged line.)
fn parse(bytes: &[u8]) -> Result<ReportIn, String> {
    if !bytes.starts_with(JSONL_HEADER) {
        return serde_json::from_slice(bytes).map_err(|e| format!("not a dedup report: {e}"));
    }
    let mut report = ReportIn {
        version: 0,
        settings: SettingsIn {
            inputs: Vec::new(),
            references: Vec::new(),
            jsonl: false,
            text_field: String::new(),
            id_field: None,
            encoding: Encoding::Utf8,
            max_file_size: 0,
        },
        clusters: Some(Vec::new()),
        files: Vec::new(),
    };
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: LineIn = serde_json::from_slice(line)
            .map_err(|e| format!("line {}: not a dedup report line: {e}", i + 1))?;
        match line {
            LineIn::Header { version, settings } => {
                report.version = version;
                report.settings = settings;
            }
            LineIn::Cluster(cluster) => report.clusters.get_or_insert_default().push(cluster),
            LineIn::File(file) => report.files.push(file),
            LineIn::Other => {}
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(path: &str, start: usize, end: usize, similarity: f64) -> serde_json::Value {
        serde_json::json!({"path": path, "paragraph": 0, "line": 1, "end_line": 1,
            "start": start, "end": end, "similarity": similarity})
    }

    fn report(clusters: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "version": 1,
            "settings": {"inputs": ["c"], "jsonl": false, "text_field": "text",
                "encoding": "utf-8", "max_file_size": 100},
            "clusters": clusters,
            "files": [{"path": "c/a", "bytes": 10, "text_bytes": 10, "text_hash": "0"},
                      {"path": "c/b", "bytes": 10, "text_bytes": 10, "text_hash": "0"}],
        }))
        .expect("serializes")
    }

    fn removed(plan: &Plan) -> Vec<(String, usize, usize)> {
        plan.files
            .iter()
            .flat_map(|f| f.removals.iter())
            .map(|r| (r.member.path.clone(), r.member.start, r.kept.start))
            .collect()
    }

    #[test]
    fn all_but_the_kept_member_go_and_templates_stay() {
        let clusters = serde_json::json!([
            {"id": "1", "kind": "near", "members": [member("c/a", 0, 4, 1.0),
                member("c/b", 0, 9, 0.8), member("c/b", 10, 14, 1.0)]},
            {"id": "2", "kind": "template", "members": [member("c/a", 5, 9, 1.0),
                member("c/b", 20, 24, 0.9)]},
        ]);
        let bytes = report(clusters);
        let first = plan(&bytes, Copies::ExactAndNear, Keep::First).expect("plans");
        assert_eq!(
            removed(&first),
            [("c/b".into(), 0, 0), ("c/b".into(), 10, 0)]
        );
        let longest = plan(&bytes, Copies::ExactAndNear, Keep::Longest).expect("plans");
        assert_eq!(
            removed(&longest),
            [("c/a".into(), 0, 0), ("c/b".into(), 10, 0)]
        );
        assert_eq!(longest.files[0].removals[0].kept.path, "c/b");
        let exact = plan(&bytes, Copies::Exact, Keep::First).expect("plans");
        assert_eq!(removed(&exact), [("c/b".into(), 10, 0)]);
    }

    #[test]
    fn json_lines_reports_read_the_same() {
        let clusters = serde_json::json!([{"id": "1", "kind": "exact",
            "members": [member("c/a", 0, 4, 1.0), member("c/b", 0, 4, 1.0)]}]);
        let json = report(clusters.clone());
        let doc: serde_json::Value = serde_json::from_slice(&json).expect("json");
        // As dedup writes them: the type first.
        let mut lines = format!(
            "{{\"type\":\"header\",\"version\":1,\"settings\":{}}}\n",
            doc["settings"]
        );
        for c in clusters.as_array().expect("array") {
            let mut c = c.clone();
            c["type"] = "cluster".into();
            lines += &format!("{c}\n");
        }
        for f in doc["files"].as_array().expect("array") {
            let mut f = f.clone();
            f["type"] = "file".into();
            lines += &format!("{f}\n");
        }
        lines += "{\"type\":\"summary\",\"files\":2}\n";
        let a = plan(&json, Copies::ExactAndNear, Keep::First).expect("json plans");
        let b = plan(lines.as_bytes(), Copies::ExactAndNear, Keep::First).expect("jsonl plans");
        assert_eq!(removed(&a), removed(&b));
        assert_eq!(removed(&a).len(), 1);
    }

    #[test]
    fn other_versions_and_summary_only_reports_are_refused() {
        let mut doc: serde_json::Value =
            serde_json::from_slice(&report(serde_json::json!([]))).expect("json");
        doc["version"] = 2.into();
        let err = plan(
            &serde_json::to_vec(&doc).expect("bytes"),
            Copies::ExactAndNear,
            Keep::First,
        )
        .expect_err("format 2");
        assert!(err.contains("format 2"), "{err}");
        doc["version"] = 1.into();
        doc.as_object_mut().expect("object").remove("clusters");
        let err = plan(
            &serde_json::to_vec(&doc).expect("bytes"),
            Copies::ExactAndNear,
            Keep::First,
        )
        .expect_err("no clusters");
        assert!(err.contains("--summary-only"), "{err}");
        assert!(plan(b"not json", Copies::ExactAndNear, Keep::First).is_err());
    }
}
