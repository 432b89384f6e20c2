//! Stage 7, cluster: verified links to clusters.
//!
//! In: the [`Matches`] (units of exact copies, near links, template links), the real sets of
//! the linked units' paragraphs ([`SetArena`]) and the paragraphs' keys.
//! Out: [`Cluster`]s in report order: duplicate clusters (stars cut from the components of the
//! near links; `exact` when all members are exact copies of the representative, else `near`) and
//! `template` clusters (stars cut from the components of the template links), each with its
//! members and every member's verified similarity to the representative.
//!
//! A cluster's representative is its first member in report order. The invariant: every member of
//! a duplicate cluster is near the representative itself (the Jaccard similarity of its shingle
//! set and the representative's, its reported similarity, is at least the threshold; 1.0 for
//! exact copies) and no two members have conflicting figures; every member of a template cluster
//! is alike to the representative once figures are masked (the similarity of the figure-masked
//! sets, reported, is at least the threshold). See `stars` for the rule.

use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::fingerprint::Key;
use crate::matching::Matches;
use crate::sets::SetArena;
use crate::sets::{Conflict, jaccard_if_at_least, near_similarity};

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
    /// The representative's key, kept for the report so that the corpus's keys can be freed.
    pub key: UnitKey,
    /// The ids its members' texts would give as representatives (one per distinct text, in
    /// member order), so that a baseline knows the cluster by any of them.
    pub texts: Vec<ClusterId>,
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
                let mut key = self.key.masked.to_vec();
                key.extend_from_slice(b"template");
                xxh3_64(&key)
            }
            _ => self.key.exact_low,
        })
    }
}

/// What a cluster keeps of a unit's [`Key`]: the low half of its exact key (its id), its
/// figure-masked key (a template cluster's id) and its word count. 32 bytes where a whole key,
/// aligned for its `u128`s, takes 48: every unit's is held from the candidates to the clusters.
#[derive(Debug, Clone, Copy)]
pub struct UnitKey {
    exact_low: u64,
    /// The masked key's little-endian bytes, as a template's id hashes them.
    masked: [u8; 16],
    /// Number of tokens.
    pub words: u32,
}

impl From<&Key> for UnitKey {
    fn from(key: &Key) -> Self {
        UnitKey {
            exact_low: key.exact as u64,
            masked: key.masked.to_le_bytes(),
            words: key.words,
        }
    }
}

const _: () = assert!(std::mem::size_of::<UnitKey>() == 32);

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
///
/// The verified links only say which units may belong together: union-find over the near links
/// (or the template links) gives connected components, and each component is split into stars
/// (`stars`) so that every member is alike to the representative itself, not only through a
/// chain of other members.
pub fn build_clusters(
    m: &Matches,
    sets: &SetArena,
    unit_keys: &[UnitKey],
    threshold: f64,
    same_story: &(impl Fn(u32, u32) -> bool + Sync),
) -> Vec<Cluster> {
    let mut duplicates = DisjointSets::new(m.units.len());
    for &(a, b) in &m.near {
        duplicates.union(a, b);
    }
    let mut components: Vec<(Vec<u32>, bool)> = duplicates
        .groups()
        .into_iter()
        .map(|g| (g, false))
        .collect();
    // A unit of exact copies that no near link touches is an exact cluster of its own.
    let mut linked = vec![false; m.units.len()];
    for (group, _) in &components {
        group.iter().for_each(|&u| linked[u as usize] = true);
    }
    let lone: Vec<Vec<(u32, f64)>> = (0..m.units.len() as u32)
        .filter(|&u| !linked[u as usize] && m.units.get(u).len() > 1)
        .map(|u| vec![(u, 1.0)])
        .collect();

    let mut templates = DisjointSets::new(m.units.len());
    for &(a, b) in &m.templates {
        templates.union(a, b);
    }
    components.extend(templates.groups().into_iter().map(|g| (g, true)));
    // Largest components first, so that one large component does not finish alone at the end;
    // each is a task of its own, as their costs differ by orders of magnitude (rayon's halving
    // of the list left one thread with nearly all of the work).
    components.sort_by_key(|(g, _)| std::cmp::Reverse(g.len()));

    let mut clusters: Vec<Cluster> = components
        .into_par_iter()
        .with_max_len(1)
        .flat_map_iter(|(component, template)| {
            stars(sets, &component, threshold, template, same_story)
                .into_iter()
                .filter(|star| star.len() > 1 || m.units.get(star[0].0).len() > 1)
                .filter(move |star| !template || star.len() > 1)
                .map(move |star| cluster_of(m, unit_keys, &star, template))
        })
        .chain(
            lone.into_par_iter()
                .map(|star| cluster_of(m, unit_keys, &star, false)),
        )
        .collect();
    clusters.sort_by_key(|c| (c.representative(), c.kind));
    clusters
}

/// Splits a connected component (units in order) into stars, each `(unit, similarity to the
/// star's first unit)` in unit order, the first unit with 1.0.
///
/// The rule, greedy in report order: the earliest unit not yet placed is a representative; every
/// later unit not yet placed joins it when its set is near the representative's
/// ([`near_similarity`]: Jaccard at least `threshold`, shared shingles covering each side) and,
/// for duplicates, its figures conflict with no member's already in (the representative's
/// included; a conflict confined to the datelines does not count when `same_story` says the two
/// units' files are copies); the others are left for the next representative. Template
/// stars use the figure-masked sets and no figure test. Every unit of the component ends in
/// exactly one star; a unit near no representative before it is the first of its own star,
/// perhaps alone.
///
/// Cost: a small component compares each representative with every unit still left. A large one
/// (at least [`PREFIX_FILTER_FROM`] units) compares it only with the units whose sets share an
/// element with its prefix ([`PrefixIndex`]), which every unit that can reach the threshold
/// does, so the stars are the same and a component that splits into many stars no longer costs
/// stars × units comparisons. The figure test is run only against the members that have figures.
fn stars(
    sets: &SetArena,
    component: &[u32],
    threshold: f64,
    template: bool,
    same_story: &impl Fn(u32, u32) -> bool,
) -> Vec<Vec<(u32, f64)>> {
    let filter = component.len() >= PREFIX_FILTER_FROM;
    stars_with(sets, component, threshold, template, same_story, filter)
}

/// The component size from which [`stars`] draws each representative's partners from a
/// [`PrefixIndex`] instead of trying every unit left.
const PREFIX_FILTER_FROM: usize = 64;

fn stars_with(
    sets: &SetArena,
    component: &[u32],
    threshold: f64,
    template: bool,
    same_story: &impl Fn(u32, u32) -> bool,
    prefix_filter: bool,
) -> Vec<Vec<(u32, f64)>> {
    // A template component's figure-masked sets (of the units with figures), made for it and
    // dropped with it.
    let masked: Vec<Option<Vec<u64>>> = match template {
        true => component
            .iter()
            .map(|&u| Some(sets.get(u)).filter(|s| !s.figure_shingles.is_empty()))
            .map(|s| s.map(|s| s.masked_shingles()))
            .collect(),
        false => Vec::new(),
    };
    // The set each unit is compared on, by position in the component.
    let set_at = |i: usize| match masked.get(i) {
        Some(Some(masked)) => &masked[..],
        _ => sets.get(component[i]).shingles,
    };
    let similar = |i: usize, r: usize| match template {
        true => jaccard_if_at_least(set_at(i), set_at(r), threshold),
        false => near_similarity(&sets.get(component[i]), &sets.get(component[r]), threshold),
    };
    // The size of each unit's set: the sizes rule most pairs of a large component out, read here
    // without a look into the arena.
    let sizes: Vec<usize> = (0..component.len()).map(|i| set_at(i).len()).collect();
    let index = prefix_filter.then(|| PrefixIndex::new(component.len(), &set_at, threshold));
    let mut placed = vec![false; component.len()];
    let mut partners = Vec::new();
    let mut stars = Vec::new();
    for r in 0..component.len() {
        if placed[r] {
            continue;
        }
        placed[r] = true;
        let (rep, rep_len) = (component[r], sizes[r]);
        partners.clear();
        match &index {
            Some(index) => index.partners(r, &placed, &mut partners),
            None => partners.extend((r + 1..component.len()).filter(|&i| !placed[i])),
        }
        let mut star = vec![(rep, 1.0)];
        // The members whose figures a newcomer must not contradict.
        let mut with_figures: Vec<u32> = Vec::new();
        if !template && !sets.get(rep).figure_shingles.is_empty() {
            with_figures.push(rep);
        }
        for &i in &partners {
            let (u, len) = (component[i], sizes[i]);
            let (small, large) = (len.min(rep_len), len.max(rep_len));
            let sizes_allow = large == 0 || small as f64 / large as f64 >= threshold;
            let joins = sizes_allow.then(|| similar(i, r)).flatten().filter(|_| {
                let sets_u = sets.get(u);
                template
                    || sets_u.figure_shingles.is_empty()
                    || !with_figures
                        .iter()
                        .any(|&w| match sets.get(w).conflict(&sets_u) {
                            Conflict::None => false,
                            Conflict::Dateline => !same_story(w, u),
                            Conflict::Figures => true,
                        })
            });
            if let Some(similarity) = joins {
                if !template && !sets.get(u).figure_shingles.is_empty() {
                    with_figures.push(u);
                }
                placed[i] = true;
                star.push((u, similarity));
            }
        }
        stars.push(star);
    }
    stars
}

/// The prefix filter of similarity joins, over one component: order the elements of all its
/// sets rarest first; two sets with a Jaccard similarity of at least t share at least
/// ⌈t·|s|⌉ elements of each side's s, so the first |s| − ⌈t·|s|⌉ + 1 elements of each (its
/// prefix) meet. Each unit is listed under its prefix's elements (one more each, against
/// rounding); empty sets, which only an empty set can match, are listed apart.
struct PrefixIndex {
    /// Each unit's prefix (the elements it is listed under), by position in the component: the
    /// prefix of position `i` ends at `prefix_ends[i]`.
    prefixes: Vec<u64>,
    prefix_ends: Vec<u32>,
    /// `(element, position)` of every prefix element, sorted: an element's positions, ascending.
    postings: Vec<(u64, u32)>,
    /// The positions of the units with an empty set, ascending.
    empty: Vec<u32>,
}

impl PrefixIndex {
    fn new<'a>(len: usize, set_at: &impl Fn(usize) -> &'a [u64], threshold: f64) -> Self {
        // Every element at every position, sorted by element: the length of an element's run is
        // its frequency. Then by position, rarest first.
        let mut placed: Vec<(u64, u32)> = (0..len)
            .flat_map(|i| set_at(i).iter().map(move |&e| (e, i as u32)))
            .collect();
        placed.sort_unstable();
        let runs: Vec<u32> = (placed.chunk_by(|a, b| a.0 == b.0))
            .map(|run| run.len() as u32)
            .collect();
        let frequency = runs
            .iter()
            .flat_map(|&n| std::iter::repeat_n(n, n as usize));
        // Collected in the place of `placed`: (element, position) and (position, frequency,
        // element) take 16 bytes each.
        let mut ranked: Vec<(u32, u32, u64)> = (placed.into_iter().zip(frequency))
            .map(|((e, i), f)| (i, f, e))
            .collect();
        ranked.sort_unstable();
        let (mut prefixes, mut prefix_ends, mut empty) =
            (Vec::new(), Vec::with_capacity(len), Vec::new());
        let mut rest = &ranked[..];
        for i in 0..len {
            let size = set_at(i).len();
            if size == 0 {
                empty.push(i as u32);
            }
            let (set, after) = rest.split_at(size);
            rest = after;
            let overlap = ((threshold * size as f64).ceil() as usize).saturating_sub(1);
            let keep = (size - overlap.min(size) + 1).min(size);
            prefixes.extend(set[..keep].iter().map(|&(_, _, e)| e));
            prefix_ends.push(prefixes.len() as u32);
        }
        let mut index = PrefixIndex {
            prefixes,
            prefix_ends,
            postings: Vec::new(),
            empty,
        };
        index.postings = (0..len)
            .flat_map(|i| index.prefix(i).iter().map(move |&e| (e, i as u32)))
            .collect();
        index.postings.sort_unstable();
        index
    }

    /// The prefix of the unit at position `i`.
    fn prefix(&self, i: usize) -> &[u64] {
        let start = if i == 0 {
            0
        } else {
            self.prefix_ends[i - 1] as usize
        };
        &self.prefixes[start..self.prefix_ends[i] as usize]
    }

    /// The positions after `r`, not yet placed, whose units may be near the unit at `r`: into
    /// `out`, ascending.
    fn partners(&self, r: usize, placed: &[bool], out: &mut Vec<usize>) {
        let later = |&i: &u32| i as usize > r && !placed[i as usize];
        let prefix = self.prefix(r);
        match prefix.is_empty() {
            true => out.extend(self.empty.iter().copied().filter(later).map(|i| i as usize)),
            false => {
                for &element in prefix {
                    let from = self.postings.partition_point(|&(e, _)| e < element);
                    let postings = self.postings[from..]
                        .iter()
                        .take_while(|&&(e, _)| e == element);
                    out.extend(postings.map(|&(_, i)| i).filter(later).map(|i| i as usize));
                }
                out.sort_unstable();
                out.dedup();
            }
        }
    }
}

/// For every unit, the index in `clusters` of its duplicate cluster and of its template cluster.
pub fn groups_of_units(m: &Matches, clusters: &[Cluster]) -> Vec<(Option<u32>, Option<u32>)> {
    let mut groups = vec![(None, None); m.units.len()];
    for (i, c) in clusters.iter().enumerate() {
        for &(p, _) in &c.members {
            if let Some(u) = m.unit_of.get(p) {
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

/// The cluster of a star of units (`(unit, similarity to the first)`, the first the
/// representative's): every paragraph of every unit, in report order.
fn cluster_of(m: &Matches, unit_keys: &[UnitKey], star: &[(u32, f64)], template: bool) -> Cluster {
    let mut members: Vec<(u32, f64)> = star
        .iter()
        .flat_map(|&(u, similarity)| m.units.get(u).iter().map(move |&p| (p, similarity)))
        .collect();
    members.sort_by_key(|&(p, _)| p);
    let kind = match (template, star.len()) {
        (true, _) => Kind::Template,
        (false, 1) => Kind::Exact,
        (false, _) => Kind::Near,
    };
    Cluster {
        kind,
        members,
        key: unit_keys[star[0].0 as usize],
        texts: star
            .iter()
            .map(|&(u, _)| ClusterId(unit_keys[u as usize].exact_low))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sets::Sets;

    /// Sets over the shingles `shingles` (hashes are the numbers themselves) with figure
    /// shingles `(masked, real)`.
    fn sets(shingles: &[u64], figures: &[(u64, u64)]) -> Sets {
        let mut shingles = shingles.to_vec();
        shingles.extend(figures.iter().map(|&(_, real)| real));
        shingles.sort_unstable();
        // Each shingle one word, at its place in the sorted set.
        let words = shingles.len() as u32;
        Sets {
            shingle_at: (0..words).collect(),
            words: crate::sets::Words {
                total: words,
                per_shingle: 1,
            },
            shingles,
            figure_shingles: figures.to_vec(),
            ..Sets::default()
        }
    }

    #[test]
    fn a_chain_is_cut_where_it_leaves_the_representative() {
        // 0 ~ 1 (J 0.6), 1 ~ 2 (J 0.6), 0 !~ 2 (J 0.33); 3 ~ 2 only.
        let arena = SetArena::from_sets(
            4,
            [
                (0, sets(&[1, 2, 3, 4, 5, 6, 7, 8], &[])),
                (1, sets(&[3, 4, 5, 6, 7, 8, 9, 10], &[])),
                (2, sets(&[5, 6, 7, 8, 9, 10, 11, 12], &[])),
                (3, sets(&[6, 7, 8, 9, 10, 11, 12, 13], &[])),
            ],
        );
        let cut = stars(&arena, &[0, 1, 2, 3], 0.5, false, &|_, _| false);
        assert_eq!(
            cut,
            vec![vec![(0, 1.0), (1, 0.6)], vec![(2, 1.0), (3, 7.0 / 9.0)]]
        );
    }

    #[test]
    fn members_with_conflicting_figures_go_to_different_stars() {
        // 1 and 2 are both near 0, which has no figure there; they state different figures at
        // one place (masked shingle 100), so 2 starts a star of its own.
        let base = [1, 2, 3, 4, 5, 6, 7, 8];
        let arena = SetArena::from_sets(
            3,
            [
                (0, sets(&base, &[])),
                (1, sets(&base, &[(100, 101)])),
                (2, sets(&base, &[(100, 102)])),
            ],
        );
        let cut = stars(&arena, &[0, 1, 2], 0.5, false, &|_, _| false);
        assert_eq!(cut, vec![vec![(0, 1.0), (1, 8.0 / 9.0)], vec![(2, 1.0)]]);
        // Template stars do not look at the figures.
        let masked = stars(&arena, &[0, 1, 2], 0.5, true, &|_, _| false);
        assert_eq!(masked.len(), 1);
    }

    #[test]
    fn the_prefix_filter_cuts_the_same_stars_as_trying_every_unit() {
        // 300 units drawn from 12 base sets with 0–9 elements replaced, some with a figure,
        // some empty: many near pairs, chains and figure conflicts.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let bases: Vec<Vec<u64>> = (0..12)
            .map(|_| (0..20).map(|_| next(120)).collect())
            .collect();
        let units: Vec<(u32, Sets)> = (0..300u32)
            .map(|u| {
                if next(40) == 0 {
                    return (u, sets(&[], &[]));
                }
                let mut set = bases[next(12) as usize].clone();
                for _ in 0..next(10) {
                    set[next(20) as usize] = next(400);
                }
                set.sort_unstable();
                set.dedup();
                let figures: Vec<(u64, u64)> = match next(3) {
                    0 => vec![(1000, 1001 + next(3))],
                    _ => vec![],
                };
                (u, sets(&set, &figures))
            })
            .collect();
        let arena = SetArena::from_sets(units.len(), units);
        let component: Vec<u32> = (0..300).collect();
        for threshold in [0.5, 0.7, 0.9] {
            for template in [false, true] {
                let same_story = |a: u32, b: u32| (a + b).is_multiple_of(5);
                let cut = |filter| {
                    stars_with(&arena, &component, threshold, template, &same_story, filter)
                };
                let (filtered, every) = (cut(true), cut(false));
                assert!(every.len() > 12 && every.len() < 290, "{}", every.len());
                assert_eq!(
                    filtered, every,
                    "threshold {threshold}, template {template}"
                );
            }
        }
    }

    #[test]
    fn disjoint_sets_group_by_smallest_member() {
        let mut sets = DisjointSets::new(6);
        sets.union(4, 2);
        sets.union(5, 4);
        sets.union(1, 3);
        assert_eq!(sets.groups(), vec![vec![1, 3], vec![2, 4, 5]]);
    }
}
