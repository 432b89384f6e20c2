//! CI rules and baselines: a built report to the verdict a CI job gates on.
//!
//! In: the [`Report`], the [`Rules`] given on the command line and, optionally, a [`Baseline`]
//! (an earlier report, or a file written by `--write-baseline`).
//! Out: the same report with every duplicate cluster and member marked new or known, the new
//! copies counted in `summary.baseline` and per file, and every broken rule recorded in
//! `summary.violations`.
//!
//! A cluster is known when its id is in the baseline. A known cluster may have grown: it then has
//! `size − baseline size` new copies, taken first from members in files the baseline cluster did
//! not have, then from the last members. Counting by size keeps renamed files from looking new;
//! cluster ids come from the representative's normalized text, so adding, removing or renaming
//! unrelated files changes none of them. Template clusters are never copies and never break a rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::{BaselineSummary, Report, ratio};

/// The CI rules given on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rules {
    /// Any (new) redundant copy breaks the rule.
    pub fail_on_duplicates: bool,
    /// The corpus's (new) duplicate ratio may not exceed this.
    pub max_duplicate_ratio: Option<f64>,
    /// No single file's (new) duplicate ratio may exceed this.
    pub max_file_duplicate_ratio: Option<f64>,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The flag that set the rule, without dashes.
    pub rule: &'static str,
    /// The limit given (0 for `fail-on-duplicates`).
    pub limit: f64,
    /// The value found.
    pub actual: f64,
    /// The file, for `max-file-duplicate-ratio`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Accepted clusters: id → accepted size and the files its members were in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    clusters: BTreeMap<String, (usize, BTreeSet<String>)>,
}

/// The baseline file: the same shape as the report's clusters, with only what a baseline needs,
/// so an earlier report can serve as a baseline too.
#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    clusters: Vec<BaselineCluster>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineCluster {
    id: String,
    #[serde(default)]
    kind: String,
    size: usize,
    members: Vec<BaselineMember>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineMember {
    path: String,
}

impl Baseline {
    /// Reads a baseline file or an earlier report.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read(path).map_err(|e| e.to_string())?;
        let file: BaselineFile = serde_json::from_slice(&text)
            .map_err(|e| format!("not a dedup report or baseline: {e}"))?;
        let clusters = file
            .clusters
            .into_iter()
            .filter(|c| c.kind != "template")
            .map(|c| {
                let paths = c.members.into_iter().map(|m| m.path).collect();
                (c.id, (c.size, paths))
            })
            .collect();
        Ok(Baseline { clusters })
    }

    /// The baseline that accepts every duplicate cluster of `report`, as JSON.
    pub fn json_for(report: &Report<'_>) -> String {
        let mut clusters = Vec::new();
        for block in report.clusters.blocks() {
            clusters.extend(block.into_iter().filter(|c| c.kind != "template").map(|c| {
                BaselineCluster {
                    id: c.id,
                    kind: c.kind.to_owned(),
                    size: c.size,
                    members: c
                        .members
                        .into_iter()
                        .map(|m| BaselineMember {
                            path: m.path.to_owned(),
                        })
                        .collect(),
                }
            }));
        }
        let file = BaselineFile {
            version: 1,
            clusters,
        };
        let mut json = serde_json::to_string_pretty(&file).expect("baseline serializes");
        json.push('\n');
        json
    }
}

/// What a baseline says of one duplicate cluster.
struct Marks {
    new: bool,
    new_copies: usize,
    /// For each member after the representative, whether it is a new copy.
    new_members: Vec<bool>,
}

/// Marks clusters and members new or known; counts the new copies overall and per file.
pub fn apply_baseline(report: &mut Report<'_>, baseline: &Baseline) {
    let mut summary = BaselineSummary::default();
    let mut new_bytes_per_file: BTreeMap<String, u64> = BTreeMap::new();
    let mut marks: Vec<Option<Marks>> = Vec::with_capacity(report.clusters.len());
    for block in report.clusters.blocks() {
        for cluster in block {
            if cluster.kind == "template" {
                marks.push(None);
                continue;
            }
            let known = baseline.clusters.get(&cluster.id);
            let new_copies = known.map_or(cluster.size - 1, |(size, _)| {
                cluster.size.saturating_sub(*size)
            });
            if known.is_some() {
                summary.known_clusters += 1;
            } else {
                summary.new_clusters += 1;
            }
            // Which members are the new copies: those in files the accepted cluster did not
            // have, then the last ones.
            let copies = &cluster.members[1..];
            let mut is_new = vec![known.is_none(); copies.len()];
            if let Some((_, paths)) = known {
                let mut left = new_copies;
                let unseen = (0..copies.len()).filter(|&i| !paths.contains(copies[i].path));
                let latest = (0..copies.len()).rev();
                for i in unseen.chain(latest) {
                    if left == 0 {
                        break;
                    }
                    if !is_new[i] {
                        is_new[i] = true;
                        left -= 1;
                    }
                }
            }
            for (member, &new) in copies.iter().zip(&is_new) {
                if new {
                    let bytes = (member.end - member.start) as u64;
                    summary.new_duplicate_paragraphs += 1;
                    summary.new_duplicate_bytes += bytes;
                    *new_bytes_per_file
                        .entry(member.path.to_owned())
                        .or_default() += bytes;
                }
            }
            marks.push(Some(Marks {
                new: known.is_none(),
                new_copies,
                new_members: is_new,
            }));
        }
    }
    report.clusters.set_fixup(move |i, cluster| {
        if let Some(marks) = &marks[i] {
            cluster.members[0].new = Some(false);
            for (member, &new) in cluster.members[1..].iter_mut().zip(&marks.new_members) {
                member.new = Some(new);
            }
            cluster.new = Some(marks.new);
            cluster.new_copies = Some(marks.new_copies);
        }
    });
    summary.new_duplicate_ratio = ratio(summary.new_duplicate_bytes, report.summary.bytes);
    for file in &mut report.files {
        let new_bytes = new_bytes_per_file.get(&file.path).copied().unwrap_or(0);
        file.new_duplicate_bytes = Some(new_bytes);
        file.new_duplicate_ratio = Some(ratio(new_bytes, file.bytes));
    }
    report.summary.baseline = Some(summary);
}

/// Checks the rules against the report (new copies only when a baseline was applied) and records
/// the violations in `summary.violations`.
pub fn check(report: &mut Report<'_>, rules: &Rules) {
    let mut violations = Vec::new();
    let (copies, corpus_ratio) = match &report.summary.baseline {
        Some(b) => (b.new_duplicate_paragraphs, b.new_duplicate_ratio),
        None => (
            report.summary.duplicate_paragraphs,
            report.summary.duplicate_ratio,
        ),
    };
    if rules.fail_on_duplicates && copies > 0 {
        violations.push(Violation {
            rule: "fail-on-duplicates",
            limit: 0.0,
            actual: copies as f64,
            path: None,
        });
    }
    if let Some(limit) = rules.max_duplicate_ratio.filter(|&l| corpus_ratio > l) {
        violations.push(Violation {
            rule: "max-duplicate-ratio",
            limit,
            actual: corpus_ratio,
            path: None,
        });
    }
    if let Some(limit) = rules.max_file_duplicate_ratio {
        for file in &report.files {
            let actual = file.new_duplicate_ratio.unwrap_or(file.duplicate_ratio);
            if actual > limit {
                violations.push(Violation {
                    rule: "max-file-duplicate-ratio",
                    limit,
                    actual,
                    path: Some(file.path.clone()),
                });
            }
        }
    }
    report.summary.violations = violations;
}

/// One line for stderr saying which rules broke and by how much; `None` when none did.
pub fn describe(violations: &[Violation], with_baseline: bool) -> Option<String> {
    let new = if with_baseline { "new " } else { "" };
    let mut parts = Vec::new();
    if let Some(v) = violations.iter().find(|v| v.rule == "fail-on-duplicates") {
        parts.push(format!(
            "--fail-on-duplicates: {} {new}redundant copies",
            v.actual
        ));
    }
    if let Some(v) = violations.iter().find(|v| v.rule == "max-duplicate-ratio") {
        parts.push(format!(
            "--max-duplicate-ratio {}: {new}duplicate ratio is {:.4}",
            v.limit, v.actual
        ));
    }
    let files: Vec<&Violation> = violations
        .iter()
        .filter(|v| v.rule == "max-file-duplicate-ratio")
        .collect();
    if let Some(worst) = files.iter().max_by(|a, b| a.actual.total_cmp(&b.actual)) {
        parts.push(format!(
            "--max-file-duplicate-ratio {}: {} file(s) above, worst {} at {:.4}",
            worst.limit,
            files.len(),
            worst.path.as_deref().unwrap_or(""),
            worst.actual
        ));
    }
    (!parts.is_empty()).then(|| format!("rule broken: {}", parts.join("; ")))
}
