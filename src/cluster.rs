//! Stage 7, cluster: verified links to clusters.
//!
//! In: the [`Matches`] (units of exact copies, near links, template links), the real sets of
//! the linked units' paragraphs ([`SetArena`]) and the paragraphs' keys.
//! Out: [`Cluster`]s in report order: duplicate clusters (union-find over units joined by near
//! links; `exact` when all members are exact copies of the representative, else `near`) and
//! `template` clusters (union-find over template links), each with its members and every member's
//! verified similarity to the representative.
//!
//! A cluster's representative is its first member in report order. The similarity of a
//! duplicate-cluster member is the Jaccard similarity of its shingle set and the representative's
//! (1.0 for exact copies); in a template cluster it is the Jaccard similarity of the
//! figure-masked shingle sets.

use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::fingerprint::{Fingerprints, Key, jaccard};
use crate::matching::Matches;
use crate::sets::SetArena;

/// What joins a cluster's members; serialized as the report's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Every member is an exact copy of the representative.
    Exact,
    /// Exact and near copies.
    Near,
    /// Alike but for their figures: not duplicates.
    Template,
}

/// One cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// How the members are joined.
    pub kind: Kind,
    /// `(paragraph id, similarity to the representative)`, in report order; the first member is
    /// the representative.
    pub members: Vec<(u32, f64)>,
    /// The representative's key (exact and masked keys, word count), kept for the report so that
    /// the corpus's keys can be freed.
    pub key: Key,
}

impl Kind {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Near => "near",
            Kind::Template => "template",
        }
    }

    /// Whether its members are copies of one another (exact or near), not look-alikes.
    pub fn is_duplicate(self) -> bool {
        self != Kind::Template
    }
}

impl Cluster {
    /// The representative's paragraph id.
    pub fn representative(&self) -> u32 {
        self.members[0].0
    }

    /// The cluster's stable id: derived from the representative's normalized text (its exact
    /// key; for a template cluster, its figure-masked key), so it stays the same across runs and
    /// when unrelated files are added or removed.
    pub fn id(&self) -> ClusterId {
        ClusterId(match self.kind {
            Kind::Template => {
                let mut key = self.key.masked.to_le_bytes().to_vec();
                key.extend_from_slice(b"template");
                xxh3_64(&key)
            }
            _ => self.key.exact as u64,
        })
    }
}

/// A cluster's stable id, written as 16 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(pub u64);

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for ClusterId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Union-find with path halving; the root of a set is its smallest element, which keeps the
/// result independent of the order links arrive in.
struct DisjointSets(Vec<u32>);

impl DisjointSets {
    fn new(n: usize) -> Self {
        DisjointSets((0..n as u32).collect())
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let parent = self.0[x as usize];
            self.0[x as usize] = self.0[parent as usize];
            x = parent;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        let (low, high) = (ra.min(rb), ra.max(rb));
        self.0[high as usize] = low;
    }

    /// The sets with more than one element, each sorted, ordered by their smallest element.
    fn groups(mut self) -> Vec<Vec<u32>> {
        let roots: Vec<u32> = (0..self.0.len() as u32).map(|x| self.find(x)).collect();
        let mut sizes = vec![0u32; roots.len()];
        for &root in &roots {
            sizes[root as usize] += 1;
        }
        // (root, element) of every element not alone in its set, sorted: the root is the
        // smallest element, so the sets come out in order, each sorted.
        let mut members: Vec<(u32, u32)> = (0..roots.len() as u32)
            .zip(&roots)
            .filter(|&(_, &root)| sizes[root as usize] > 1)
            .map(|(x, &root)| (root, x))
            .collect();
        members.sort_unstable();
        members
            .chunk_by(|a, b| a.0 == b.0)
            .map(|set| set.iter().map(|&(_, x)| x).collect())
            .collect()
    }
}

/// Builds the clusters, sorted by representative, duplicate clusters before template clusters.
pub fn build_clusters(m: &Matches, sets: &SetArena, fps: &Fingerprints) -> Vec<Cluster> {
    let mut duplicates = DisjointSets::new(m.units.len());
    for &(a, b) in &m.near {
        duplicates.union(a, b);
    }
    let mut unit_groups: Vec<(Vec<u32>, bool)> = duplicates
        .groups()
        .into_iter()
        .map(|g| (g, false))
        .collect();
    // A unit of exact copies that no near link touches is an exact cluster of its own.
    let mut linked = vec![false; m.units.len()];
    for (group, _) in &unit_groups {
        group.iter().for_each(|&u| linked[u as usize] = true);
    }
    unit_groups.extend(
        (0..m.units.len() as u32)
            .filter(|&u| !linked[u as usize] && m.units.get(u).len() > 1)
            .map(|u| (vec![u], false)),
    );

    let mut templates = DisjointSets::new(m.units.len());
    for &(a, b) in &m.templates {
        templates.union(a, b);
    }
    unit_groups.extend(templates.groups().into_iter().map(|g| (g, true)));

    let mut clusters: Vec<Cluster> = unit_groups
        .into_par_iter()
        .map(|(group, template)| cluster_of(m, sets, fps, &group, template))
        .collect();
    clusters.sort_by_key(|c| (c.representative(), c.kind));
    clusters
}

/// For every unit, the index in `clusters` of its duplicate cluster and of its template cluster.
pub fn groups_of_units(m: &Matches, clusters: &[Cluster]) -> Vec<(Option<u32>, Option<u32>)> {
    let mut groups = vec![(None, None); m.units.len()];
    for (i, c) in clusters.iter().enumerate() {
        for &(p, _) in &c.members {
            if let Some(u) = m.unit_of[p as usize] {
                let slot = &mut groups[u as usize];
                match c.kind {
                    Kind::Template => slot.1 = Some(i as u32),
                    _ => slot.0 = Some(i as u32),
                }
            }
        }
    }
    groups
}

fn cluster_of(
    m: &Matches,
    sets: &SetArena,
    fps: &Fingerprints,
    group: &[u32],
    template: bool,
) -> Cluster {
    // Units are numbered by their first paragraph, so the group's first unit holds the
    // representative.
    let rep_unit = group[0];
    let rep = sets.get(rep_unit);
    let rep_masked = template.then(|| sets.masked(rep_unit));
    let mut members: Vec<(u32, f64)> = Vec::new();
    for &u in group {
        let paragraphs = m.units.get(u);
        let similarity = match &rep_masked {
            _ if u == rep_unit => 1.0,
            Some(rep_masked) => jaccard(sets.masked(u), rep_masked),
            None => jaccard(sets.get(u).shingles, rep.shingles),
        };
        members.extend(paragraphs.iter().map(|&p| (p, similarity)));
    }
    members.sort_by_key(|&(p, _)| p);
    let kind = match (template, group.len()) {
        (true, _) => Kind::Template,
        (false, 1) => Kind::Exact,
        (false, _) => Kind::Near,
    };
    Cluster {
        kind,
        members,
        key: *fps.key(m.units.first(rep_unit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjoint_sets_group_by_smallest_member() {
        let mut sets = DisjointSets::new(6);
        sets.union(4, 2);
        sets.union(5, 4);
        sets.union(1, 3);
        assert_eq!(sets.groups(), vec![vec![1, 3], vec![2, 4, 5]]);
    }
}
