//! Stage 7b, passages and file overlap: duplicate clusters to copied runs and shared files.
//!
//! In: the paragraphs (file and position) and the duplicate clusters (exact and near).
//! Out: [`Passage`]s, the maximal runs of consecutive paragraphs of one file matched one for one,
//! in order, by consecutive paragraphs of another file or of another place in the same file (at
//! least two paragraphs; the two runs of one file never overlap); and for every file its
//! [`Overlaps`]: how many other files hold a copy of one of its paragraphs, and for the
//! [`OVERLAPS_LISTED`] largest of them how many of its paragraphs have a copy there and their
//! bytes. Files are worked on in parallel, each keeping only its largest overlaps.
//!
//! Template clusters play no part: paragraphs alike but for their figures are not copies.

use rayon::prelude::*;

use crate::cluster::{Cluster, Kind};
use crate::corpus::Paragraph;

/// Clusters with more members than this do not start passages (every pair of members would be
/// tried); passages still run through them.
pub const PASSAGE_SEED_CAP: usize = 100;
/// Clusters spread over more files than this (a masthead, a licence header) are boilerplate and
/// do not count towards file overlap: they would pair every one of those files with every other.
pub const OVERLAP_FILES_CAP: usize = 100;

/// A copied run of consecutive paragraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Passage {
    /// First paragraph of the earlier run.
    pub a: u32,
    /// First paragraph of the later run.
    pub b: u32,
    /// Paragraphs in each run.
    pub len: u32,
}

/// Overlaps listed per file, the largest first.
pub const OVERLAPS_LISTED: usize = 20;

/// How much of one file another file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    /// The other file.
    pub file: u32,
    /// Paragraphs of this file with a copy in the other file.
    pub paragraphs: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// For every paragraph, the index of its duplicate cluster, if any.
pub fn duplicate_cluster_of(paragraphs: usize, clusters: &[Cluster]) -> Vec<Option<u32>> {
    let mut of = vec![None; paragraphs];
    for (i, c) in clusters.iter().enumerate() {
        if c.kind != Kind::Template {
            for &(p, _) in &c.members {
                of[p as usize] = Some(i as u32);
            }
        }
    }
    of
}

/// Finds the maximal copied runs of at least two paragraphs, sorted by `(a, b)`.
pub fn find_passages(
    paragraphs: &[Paragraph],
    clusters: &[Cluster],
    cluster_of: &[Option<u32>],
) -> Vec<Passage> {
    // Whether paragraph p + step exists in p's document.
    let next = |p: usize, step: usize| {
        let q = p + step;
        (q < paragraphs.len() && paragraphs[q].document == paragraphs[p].document).then_some(q)
    };
    let same_cluster =
        |p: usize, q: usize| cluster_of[p].is_some() && cluster_of[p] == cluster_of[q];
    let mut passages = Vec::new();
    for c in clusters {
        if c.kind == Kind::Template || c.members.len() > PASSAGE_SEED_CAP {
            continue;
        }
        for (i, &(p, _)) in c.members.iter().enumerate() {
            for &(q, _) in &c.members[i + 1..] {
                let (p, q) = (p as usize, q as usize);
                let same_document = paragraphs[p].document == paragraphs[q].document;
                // Only the start of a run: the pair before it must not match too.
                let extends_earlier = p > 0
                    && q > 0
                    && paragraphs[p - 1].document == paragraphs[p].document
                    && paragraphs[q - 1].document == paragraphs[q].document
                    && same_cluster(p - 1, q - 1)
                    && cluster_size_ok(clusters, cluster_of[p - 1]);
                if extends_earlier {
                    continue;
                }
                let mut len = 1;
                while let (Some(pn), Some(qn)) = (next(p, len), next(q, len)) {
                    if !same_cluster(pn, qn) || (same_document && pn >= q) {
                        break;
                    }
                    len += 1;
                }
                if len >= 2 {
                    passages.push(Passage {
                        a: p as u32,
                        b: q as u32,
                        len: len as u32,
                    });
                }
            }
        }
    }
    passages.sort_unstable();
    passages
}

fn cluster_size_ok(clusters: &[Cluster], c: Option<u32>) -> bool {
    c.is_some_and(|c| clusters[c as usize].members.len() <= PASSAGE_SEED_CAP)
}

/// The overlaps of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overlaps {
    /// The largest overlaps by bytes, at most [`OVERLAPS_LISTED`]; ties in path order.
    pub listed: Vec<Overlap>,
    /// Number of other files holding a copy of one of this file's paragraphs.
    pub files: usize,
}

/// For every file, its overlaps with the other files that hold a copy of one of its paragraphs.
pub fn file_overlaps(
    paragraphs: &[Paragraph],
    clusters: &[Cluster],
    cluster_of: &[Option<u32>],
    files: usize,
) -> Vec<Overlaps> {
    // The files of each duplicate cluster, if it counts (2 to OVERLAP_FILES_CAP files).
    let files_of: Vec<Vec<u32>> = clusters
        .par_iter()
        .map(|c| {
            if c.kind == Kind::Template {
                return Vec::new();
            }
            let mut in_files: Vec<u32> = c
                .members
                .iter()
                .map(|&(p, _)| paragraphs[p as usize].file)
                .collect();
            in_files.dedup(); // Members are in report order, so a file's members are adjacent.
            if in_files.len() < 2 || in_files.len() > OVERLAP_FILES_CAP {
                in_files.clear();
            }
            in_files
        })
        .collect();
    // Paragraphs are in file order: where each file's paragraphs start.
    let mut starts = vec![0usize; files + 1];
    for p in paragraphs {
        starts[p.file as usize + 1] += 1;
    }
    for f in 0..files {
        starts[f + 1] += starts[f];
    }
    (0..files)
        .into_par_iter()
        .map(|file| {
            let mut shared: Vec<Overlap> = Vec::new();
            for id in starts[file]..starts[file + 1] {
                let Some(c) = cluster_of[id] else { continue };
                let len = paragraphs[id].len();
                for &other in files_of[c as usize].iter().filter(|&&f| f != file as u32) {
                    shared.push(Overlap {
                        file: other,
                        paragraphs: 1,
                        bytes: len,
                    });
                }
            }
            shared.sort_by_key(|o| o.file);
            let mut merged: Vec<Overlap> = Vec::new();
            for o in shared {
                match merged.last_mut() {
                    Some(last) if last.file == o.file => {
                        last.paragraphs += 1;
                        last.bytes += o.bytes;
                    }
                    _ => merged.push(o),
                }
            }
            // Largest share first; ties stay in path order (the sort is stable).
            merged.sort_by_key(|o| std::cmp::Reverse(o.bytes));
            let files = merged.len();
            merged.truncate(OVERLAPS_LISTED);
            merged.shrink_to_fit();
            Overlaps {
                listed: merged,
                files,
            }
        })
        .collect()
}
