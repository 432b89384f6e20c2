//! Stage 6b, partial matches: winnowed fingerprints to verified shared runs of words.
//!
//! In: the fingerprints, the units of exact copies, and for every unit the duplicate and template
//! cluster it belongs to (so pairs already clustered are left out).
//! Out: [`PartialLink`]s between units: every maximal run of at least `min_shared_words`
//! consecutive normalized tokens that two paragraphs share, as token positions, with the Jaccard
//! similarity of their shingle sets.
//!
//! Candidates are pairs of units that share a winnowed fingerprint. With shingles of k words and
//! windows of w shingles, every shared run of t = w + k − 1 words holds w shared consecutive
//! shingles, whose minimum both paragraphs select: so every shared run of at least t words yields
//! a candidate, unless its fingerprints are boilerplate. Each shared fingerprint is a seed that is
//! extended left and right on the token sequences to the maximal shared run; runs shorter than t
//! (a chance seed) are dropped. A fingerprint shared by more than `boilerplate_cap` units is not
//! used as a seed and is counted in [`Partials::boilerplate_fingerprints`].

use rayon::prelude::*;

use crate::fingerprint::{Fingerprint, jaccard};
use crate::matching::Matches;

/// Positions of one fingerprint in one unit used as seeds; more are repeats of a phrase inside
/// the paragraph, and the runs through them are found by extending the first ones.
pub const SEED_POSITIONS_PER_UNIT: usize = 8;

/// Parameters of partial matching.
#[derive(Debug, Clone, Copy)]
pub struct PartialParams {
    /// Words per shingle (k).
    pub shingle: usize,
    /// The shortest shared run reported, in tokens (t).
    pub min_shared_words: usize,
    /// Winnowed fingerprints shared by more units than this are not used as seeds.
    pub boilerplate_cap: usize,
}

/// A run of tokens two paragraphs share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SharedRun {
    /// First token of the run in the first paragraph.
    pub a: u32,
    /// First token of the run in the second paragraph.
    pub b: u32,
    /// Tokens in the run.
    pub len: u32,
}

/// A verified partial match between two units.
#[derive(Debug, Clone)]
pub struct PartialLink {
    /// The first unit (the smaller index).
    pub a: u32,
    /// The second unit.
    pub b: u32,
    /// Jaccard similarity of their shingle sets.
    pub similarity: f64,
    /// The maximal shared runs, sorted by their position in `a`.
    pub runs: Vec<SharedRun>,
}

/// The result of partial matching.
#[derive(Debug, Default)]
pub struct Partials {
    /// Verified links, sorted by `(a, b)`.
    pub links: Vec<PartialLink>,
    /// Winnowed fingerprints not used as seeds because too many units share them.
    pub boilerplate_fingerprints: usize,
}

/// Finds the partial matches between units that are not in one cluster already.
/// `group_of_unit[u]` gives `(duplicate cluster, template cluster)` indexes, if any.
pub fn find_partials(
    m: &Matches,
    fps: &[Fingerprint],
    group_of_unit: &[(Option<u32>, Option<u32>)],
    params: PartialParams,
) -> Partials {
    let fp_of = |u: u32| &fps[m.units[u as usize][0] as usize];
    let mut entries: Vec<(u64, u32, u32)> = (0..m.units.len() as u32)
        .flat_map(|u| fp_of(u).winnowed.iter().map(move |&(h, pos)| (h, u, pos)))
        .collect();
    entries.par_sort_unstable();

    let mut boilerplate = 0;
    let mut seeds: Vec<(u32, u32, u32, u32)> = Vec::new();
    for group in entries.chunk_by(|x, y| x.0 == y.0) {
        let units = 1 + group.windows(2).filter(|w| w[0].1 != w[1].1).count();
        if units < 2 {
            continue;
        }
        if units > params.boilerplate_cap {
            boilerplate += 1;
            continue;
        }
        // A phrase repeated inside a paragraph gives the same fingerprint many times: a few
        // positions per unit seed every run without pairing all positions with all.
        let group: Vec<(u64, u32, u32)> = group
            .chunk_by(|x, y| x.1 == y.1)
            .flat_map(|unit| unit.iter().take(SEED_POSITIONS_PER_UNIT).copied())
            .collect();
        for (i, &(_, ua, pa)) in group.iter().enumerate() {
            for &(_, ub, pb) in &group[i + 1..] {
                if ua != ub && !clustered_together(group_of_unit, ua, ub) {
                    seeds.push((ua, ub, pa, pb));
                }
            }
        }
    }
    seeds.par_sort_unstable();
    seeds.dedup();

    let pairs: Vec<&[(u32, u32, u32, u32)]> =
        seeds.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)).collect();
    let links = pairs
        .par_iter()
        .filter_map(|pair_seeds| {
            let (a, b) = (pair_seeds[0].0, pair_seeds[0].1);
            let (fa, fb) = (fp_of(a), fp_of(b));
            let runs = extend_seeds(fa, fb, pair_seeds, params.shingle, params.min_shared_words);
            (!runs.is_empty()).then(|| PartialLink {
                a,
                b,
                similarity: jaccard(&fa.shingles, &fb.shingles),
                runs,
            })
        })
        .collect();
    Partials {
        links,
        boilerplate_fingerprints: boilerplate,
    }
}

fn clustered_together(group_of_unit: &[(Option<u32>, Option<u32>)], a: u32, b: u32) -> bool {
    let (ga, gb) = (group_of_unit[a as usize], group_of_unit[b as usize]);
    (ga.0.is_some() && ga.0 == gb.0) || (ga.1.is_some() && ga.1 == gb.1)
}

/// Extends every seed to the maximal shared run around it; keeps runs of at least `min_len`
/// tokens, each once.
fn extend_seeds(
    a: &Fingerprint,
    b: &Fingerprint,
    seeds: &[(u32, u32, u32, u32)],
    shingle: usize,
    min_len: usize,
) -> Vec<SharedRun> {
    let (ta, tb) = (&a.tokens, &b.tokens);
    let mut runs: Vec<SharedRun> = Vec::new();
    for &(_, _, pa, pb) in seeds {
        let (pa, pb) = (pa as usize, pb as usize);
        let diagonal = pa as i64 - pb as i64;
        let covered = runs.iter().any(|r| {
            r.a as i64 - r.b as i64 == diagonal
                && (r.a as usize..(r.a + r.len) as usize).contains(&pa)
        });
        // A seed on a run already found, or a hash collision rather than shared words.
        let shingle = shingle.min(ta.len() - pa).min(tb.len() - pb);
        if covered || ta[pa..pa + shingle] != tb[pb..pb + shingle] {
            continue;
        }
        let (mut start_a, mut start_b) = (pa, pb);
        while start_a > 0 && start_b > 0 && ta[start_a - 1] == tb[start_b - 1] {
            start_a -= 1;
            start_b -= 1;
        }
        let mut len = pa + shingle - start_a;
        while start_a + len < ta.len()
            && start_b + len < tb.len()
            && ta[start_a + len] == tb[start_b + len]
        {
            len += 1;
        }
        if len >= min_len {
            runs.push(SharedRun {
                a: start_a as u32,
                b: start_b as u32,
                len: len as u32,
            });
        }
    }
    runs.sort_unstable();
    runs
}
