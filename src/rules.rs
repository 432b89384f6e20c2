//! CI rules and baselines: a built report to the verdict a CI job gates on.
//!
//! In: the clusters and the corpus, and optionally a [`Baseline`] (an earlier report, or a file
//! written by `--write-baseline`); then the built [`Report`] and the [`Rules`] given on the
//! command line. Out: [`BaselineMarks`], every duplicate cluster and member marked new or known
//! and the new copies counted overall and per file, which the report is built with; then every
//! broken rule recorded in `summary.violations`.
//!
//! A cluster is known when its id is in the baseline. A known cluster may have grown: it then has
//! `size − baseline size` new copies, taken first from members in files the baseline cluster did
//! not have, then from the last members. Counting by size keeps renamed files from looking new;
//! cluster ids come from the representative's normalized text, so adding, removing or renaming
//! unrelated files changes none of them. Template clusters are never copies and never break a rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cluster::{Cluster, Kind};
use crate::corpus::Corpus;
use crate::report::{BaselineMarks, BaselineSummary, Marks, Report, Rule, Violation};

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

/// Accepted clusters: id → accepted size and the files its members were in; and the ids of the
/// accepted clusters' member texts → the cluster's id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    clusters: BTreeMap<String, (usize, BTreeSet<String>)>,
    texts: BTreeMap<String, String>,
}

/// The version of the baseline file written.
const BASELINE_VERSION: u32 = 1;

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
    kind: Option<Kind>,
    size: usize,
    members: Vec<BaselineMember>,
    /// The ids its member texts would give (a baseline file; not in a report).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    texts: Vec<String>,
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
        let mut texts = BTreeMap::new();
        let clusters = file
            .clusters
            .into_iter()
            .filter(|c| c.kind.is_none_or(Kind::is_duplicate))
            .map(|c| {
                for text in c.texts {
                    texts.insert(text, c.id.clone());
                }
                let paths = c.members.into_iter().map(|m| m.path).collect();
                (c.id, (c.size, paths))
            })
            .collect();
        Ok(Baseline { clusters, texts })
    }

    /// The baseline that accepts every duplicate cluster found, as JSON.
    pub fn json_for(clusters: &[Cluster], corpus: &Corpus) -> String {
        let clusters = clusters
            .iter()
            .filter(|c| c.kind.is_duplicate())
            .map(|c| BaselineCluster {
                id: c.id().to_string(),
                kind: Some(c.kind),
                size: c.members.len(),
                members: c
                    .members
                    .iter()
                    .map(|&(p, _)| BaselineMember {
                        path: path_of(corpus, p).to_owned(),
                    })
                    .collect(),
                texts: c.texts.iter().map(ToString::to_string).collect(),
            })
            .collect();
        let file = BaselineFile {
            version: BASELINE_VERSION,
            clusters,
        };
        let mut json = serde_json::to_string_pretty(&file).expect("baseline serializes");
        json.push('\n');
        json
    }
}

/// The printed path of paragraph `p`'s file.
fn path_of(corpus: &Corpus, p: u32) -> &str {
    corpus.files[corpus.paragraphs[p as usize].file as usize].display()
}

/// Marks clusters and members new or known; counts the new copies overall and per file.
pub fn mark(clusters: &[Cluster], corpus: &Corpus, baseline: &Baseline) -> BaselineMarks {
    let mut summary = BaselineSummary::default();
    let mut new_bytes = vec![0u64; corpus.files.len()];
    let mut marks = Vec::with_capacity(clusters.len());
    for cluster in clusters {
        if !cluster.kind.is_duplicate() {
            marks.push(None);
            continue;
        }
        let size = cluster.members.len();
        // Known by its id, or by any of its texts: renaming the file that held the
        // representative, or an earlier copy appearing, changes the id but not the texts.
        let known = baseline
            .clusters
            .get(&cluster.id().to_string())
            .or_else(|| {
                cluster.texts.iter().find_map(|text| {
                    let id = baseline.texts.get(&text.to_string())?;
                    baseline.clusters.get(id)
                })
            });
        let new_copies = known.map_or(size - 1, |(accepted, _)| size.saturating_sub(*accepted));
        if known.is_some() {
            summary.known_clusters += 1;
        } else {
            summary.new_clusters += 1;
        }
        // Which members are the new copies: those in files the accepted cluster did not have,
        // then the last ones.
        let copies = &cluster.members[1..];
        let mut is_new = vec![known.is_none(); copies.len()];
        if let Some((_, paths)) = known {
            let mut left = new_copies;
            let unseen =
                (0..copies.len()).filter(|&i| !paths.contains(path_of(corpus, copies[i].0)));
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
        for (&(p, _), &new) in copies.iter().zip(&is_new) {
            if new {
                let paragraph = &corpus.paragraphs[p as usize];
                summary.new_duplicate_paragraphs += 1;
                summary.new_duplicate_bytes += paragraph.len();
                new_bytes[paragraph.file as usize] += paragraph.len();
            }
        }
        marks.push(Some(Marks {
            new: known.is_none(),
            new_copies,
            new_members: is_new,
        }));
    }
    BaselineMarks {
        clusters: marks,
        summary,
        new_bytes,
    }
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
            rule: Rule::FailOnDuplicates,
            limit: 0.0,
            actual: copies as f64,
            path: None,
        });
    }
    if let Some(limit) = rules.max_duplicate_ratio.filter(|&l| corpus_ratio > l) {
        violations.push(Violation {
            rule: Rule::MaxDuplicateRatio,
            limit,
            actual: corpus_ratio,
            path: None,
        });
    }
    if let Some(limit) = rules.max_file_duplicate_ratio {
        for file in report.files.blocks().flatten() {
            let actual = file.new_duplicate_ratio.unwrap_or(file.duplicate_ratio);
            if actual > limit {
                violations.push(Violation {
                    rule: Rule::MaxFileDuplicateRatio,
                    limit,
                    actual,
                    path: Some(file.path.to_owned()),
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
    if let Some(v) = violations.iter().find(|v| v.rule == Rule::FailOnDuplicates) {
        parts.push(format!(
            "--fail-on-duplicates: {} {new}redundant copies",
            v.actual
        ));
    }
    if let Some(v) = violations
        .iter()
        .find(|v| v.rule == Rule::MaxDuplicateRatio)
    {
        parts.push(format!(
            "--max-duplicate-ratio {}: {new}duplicate ratio is {:.4}",
            v.limit, v.actual
        ));
    }
    let files: Vec<&Violation> = violations
        .iter()
        .filter(|v| v.rule == Rule::MaxFileDuplicateRatio)
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
